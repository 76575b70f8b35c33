// The reporter in real Node processes (README, "Behaviour"): a pending send never keeps the process alive,
// an awaited flush does (until its deadline), worker_threads and the module-level API work.
// Each child runs a small script against receivers living in this test process.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { runChild, type ChildRun } from './helpers/child'
import { hang, refusedPort, respond, startReceiver, type Receiver, type Script } from './helpers/receiver'

const root = join(__dirname, '..')
const scriptDir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-process-'))
/** How soon after its last statement a child must have exited. */
const EXIT_BOUND_MS = 300

const receivers: Receiver[] = []
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})
afterAll(() => rmSync(scriptDir, { recursive: true, force: true }))

async function receiver(script?: Script): Promise<Receiver> {
  const started = await startReceiver({ script })
  receivers.push(started)
  return started
}

/** The child's last line is `Date.now()` printed by its last statement. */
function exitDelay(run: ChildRun): number {
  const lastStatementAt = Number(run.stdout[run.stdout.length - 1])
  expect(Number.isFinite(lastStatementAt), `last line: ${run.stdout.join('|')}`).toBe(true)
  return run.exitedAt - lastStatementAt
}

const failed = `{ subtype: 'error_during_execution', is_error: true, errors: ['boom'] }`
const contextFor = (url: string) => `{ callbackToken: 'child-token', callbackUrl: ${JSON.stringify(url)}, teamId: 'team-child' }`

describe('the process is never held by pending sends', () => {
  it.each([
    ['an instance', 'const reporter = new addon.TelemetryReporter({ requestTimeoutMs: 10000 })'],
    ['the module-level reporter', 'const reporter = addon; addon.configure({ requestTimeoutMs: 10000 })'],
  ])('%s with sends hanging on the endpoint exits right after its last statement', async (name, create) => {
    const rx = await receiver([hang()])
    const run = runChild(
      `hanging-${name.replace(/\W/g, '-')}`,
      `${create}
      reporter.setCallbackContext(${contextFor(rx.url)})
      for (const id of ['a', 'b', 'c']) reporter.reportSessionError({ id }, ${failed})
      // Long enough for the sends to be in flight (the receiver sees them), then the last statement.
      setTimeout(() => console.log(Date.now()), 300)`,
    )
    await rx.waitForRequests(3)
    const result = await run
    expect(result.code, result.stderr).toBe(0)
    expect(exitDelay(result)).toBeLessThan(EXIT_BOUND_MS)
  })

  it('an awaited flush(500) resolves incomplete, then the process exits', async () => {
    const rx = await receiver([hang()])
    const result = await runChild(
      'flush-then-exit',
      `const reporter = new addon.TelemetryReporter({ requestTimeoutMs: 10000 })
      reporter.setCallbackContext(${contextFor(rx.url)})
      reporter.reportSessionError({ id: 'a' }, ${failed})
      reporter.reportSessionError({ id: 'b' }, ${failed})
      const started = Date.now()
      reporter.flush(500).then((outcome) => {
        console.log(JSON.stringify({ outcome, waited: Date.now() - started }))
        console.log(Date.now())
      })`,
    )
    expect(result.code, result.stderr).toBe(0)
    const { outcome, waited } = JSON.parse(result.stdout[0])
    expect(outcome).toEqual({ completed: false, pending: 2 })
    // The awaited flush is what kept the process alive: it lasted its whole deadline.
    expect(waited).toBeGreaterThanOrEqual(450)
    expect(exitDelay(result)).toBeLessThan(EXIT_BOUND_MS)
    expect(rx.requests).toHaveLength(2)
  })

  it('function and ILogger loggers do not keep the process alive', async () => {
    const rx = await receiver([hang()])
    const port = await refusedPort()
    const result = await runChild(
      'loggers',
      `class Logger {
        constructor(name) { this.name = name }
        line(level, message) { console.log('log ' + this.name + ' ' + level + ' ' + message) }
        debug(message) { this.line('debug', message) }
        info(message) { this.line('info', message) }
        warn(message) { this.line('warn', message) }
        error(message) { this.line('error', message) }
      }
      const viaFunction = new addon.TelemetryReporter({
        requestTimeoutMs: 10000,
        logLevel: 'debug',
        logger: (level, message) => console.log('log function ' + level + ' ' + message),
      })
      // Waiting a second before its retry: a pending timer inside the addon, not in Node.
      const viaObject = new addon.TelemetryReporter({ backoffBaseMs: 1000, logLevel: 'debug', logger: new Logger('object') })
      viaFunction.setCallbackContext(${contextFor(rx.url)})
      viaObject.setCallbackContext(${contextFor(`http://127.0.0.1:${port}/cb`)})
      viaFunction.reportSessionError({ id: 'a' }, ${failed})
      viaObject.reportSessionError({ id: 'b' }, ${failed})
      setTimeout(() => console.log(Date.now()), 300)`,
    )
    expect(result.code, result.stderr).toBe(0)
    const logLines = result.stdout.filter((line) => line.startsWith('log '))
    expect(logLines.some((line) => line.startsWith('log function debug '))).toBe(true)
    expect(logLines.some((line) => line.startsWith('log object debug '))).toBe(true)
    expect(exitDelay(result)).toBeLessThan(EXIT_BOUND_MS)
  })
})

describe('worker_threads and the module-level API', () => {
  it('two workers, each with its own reporter and receiver, both deliver and exit', async () => {
    const first = await receiver([respond(200)])
    const second = await receiver([respond(200)])
    const result = await runChild(
      'workers',
      `const { Worker } = require('node:worker_threads')
      const workerSource = \`
        const { parentPort, workerData } = require('node:worker_threads')
        const { TelemetryReporter } = require(${JSON.stringify(root)})
        const reporter = new TelemetryReporter({ logger: () => {} })
        reporter.setCallbackContext({ callbackToken: 'worker-token', callbackUrl: workerData.url, teamId: 'team-workers' })
        const outcome = reporter.reportSessionError({ id: workerData.id }, { subtype: 'error_during_execution', is_error: true })
        reporter.flush(5000).then((flushed) => parentPort.postMessage({ outcome: outcome.outcome, flushed, stats: reporter.stats() }))
      \`
      const urls = ${JSON.stringify([first.url, second.url])}
      Promise.all(urls.map((url, index) => new Promise((resolve, reject) => {
        const worker = new Worker(workerSource, { eval: true, workerData: { url, id: 'worker-' + index } })
        let message
        worker.on('message', (value) => (message = value))
        worker.on('error', reject)
        worker.on('exit', (code) => resolve({ code, message }))
      }))).then((results) => {
        console.log(JSON.stringify(results))
        console.log(Date.now())
      })`,
    )
    expect(result.code, result.stderr).toBe(0)
    const workers = JSON.parse(result.stdout[0])
    expect(workers).toHaveLength(2)
    for (const worker of workers) {
      expect(worker.code).toBe(0)
      expect(worker.message.outcome).toBe('queued')
      expect(worker.message.flushed).toEqual({ completed: true, pending: 0 })
      expect(worker.message.stats).toMatchObject({ reported: 1, queued: 1, sent: 1, failed: 0 })
    }
    expect(first.requests.map((request) => request.body.session_id)).toEqual(['worker-0'])
    expect(second.requests.map((request) => request.body.session_id)).toEqual(['worker-1'])
    expect(exitDelay(result)).toBeLessThan(EXIT_BOUND_MS)
  })

  it('configure, report, shutdown, then configure starts a fresh reporter that accepts reports', async () => {
    const rx = await receiver([respond(200)])
    const result = await runChild(
      'module-level',
      `const print = (label, value) => console.log(label + ' ' + JSON.stringify(value))
      ;(async () => {
        addon.configure({ backoffBaseMs: 50, requestTimeoutMs: 1000, logger: () => {} })
        print('set', addon.setCallbackContext(${contextFor(rx.url)}))
        print('report', addon.reportSessionError({ id: 'before-shutdown' }, ${failed}))
        print('shutdown', await addon.shutdown())
        print('stopped', addon.reportSessionError({ id: 'while-stopped' }, ${failed}))
        print('statsStopped', addon.stats())
        addon.configure({})
        print('statsFresh', addon.stats())
        print('fresh', addon.reportSessionError({ id: 'after-configure' }, ${failed}))
        print('setAgain', addon.setCallbackContext(${contextFor(rx.url)}))
        print('flush', await addon.flush())
        print('statsAfter', addon.stats())
        console.log(Date.now())
      })()`,
    )
    expect(result.code, result.stderr).toBe(0)
    const printed = Object.fromEntries(
      result.stdout
        .filter((line) => /^[a-zA-Z]+ [[{]/.test(line))
        .map((line) => [line.slice(0, line.indexOf(' ')), JSON.parse(line.slice(line.indexOf(' ') + 1))]),
    )
    expect(printed.set.status).toBe('set')
    expect(printed.report.outcome).toBe('queued')
    expect(printed.shutdown).toEqual({ completed: true, pending: 0 })
    expect(printed.stopped).toMatchObject({ outcome: 'disabled', reason: 'shut down' })
    expect(printed.statsStopped).toMatchObject({ reported: 1, sent: 1 })
    expect(printed.statsFresh).toMatchObject({ reported: 0, queued: 0, sent: 0, skippedDisabled: 0 })
    // A fresh reporter has no context: the report is held, then sent when a context arrives.
    expect(printed.fresh.outcome).toBe('held')
    expect(printed.setAgain.status).toBe('set')
    expect(printed.flush).toEqual({ completed: true, pending: 0 })
    expect(printed.statsAfter).toMatchObject({ reported: 1, queued: 1, sent: 1 })
    expect(rx.requests.map((request) => request.body.session_id)).toEqual(['before-shutdown', 'after-configure'])
    expect(exitDelay(result)).toBeLessThan(EXIT_BOUND_MS)
  })
})

describe('the background threads yield to the JavaScript thread', () => {
  // Linux keeps a nice value per thread (/proc/<pid>/task/<tid>/stat, field 19); elsewhere the
  // addon leaves priorities alone. A test run that is itself niced has nothing to compare with.
  const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
  const ownNice = process.platform === 'linux' ? niceOf(readFileSync('/proc/self/stat', 'utf8')) : NaN
  it.runIf(ownNice === 0)('delivery, blocking and spool threads run at nice 19, the JS thread at its own', async () => {
    const rx = await receiver([respond(200)])
    const spoolDir = join(scriptDir, 'priority-spool')
    const result = await runChild(
      'priority',
      `const { readdirSync, readFileSync } = require('node:fs')
      const reporter = new addon.TelemetryReporter({ spoolDir: ${JSON.stringify(spoolDir)}, logger: () => {} })
      reporter.setCallbackContext(${contextFor(rx.url)})
      reporter.reportSessionError({ id: 'nice' }, ${failed})
      reporter.flush(5000).then(() => {
        const threads = readdirSync('/proc/self/task').map((tid) => {
          const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8')
          const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
          const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
          return { tid: Number(tid), name, nice }
        })
        console.log(JSON.stringify({ pid: process.pid, threads }))
        return reporter.shutdown(1000)
      })`,
    )
    const { pid, threads } = JSON.parse(result.stdout[0])
    const ours = threads.filter((thread: { name: string }) => thread.name.startsWith('cyrus-telemetr'))
    // The delivery thread, the spool's and at least one blocking thread (TLS roots, the spool).
    expect(ours.length, JSON.stringify(threads)).toBeGreaterThanOrEqual(3)
    for (const thread of ours) expect(thread, JSON.stringify(threads)).toMatchObject({ nice: 19 })
    const main = threads.find((thread: { tid: number }) => thread.tid === pid)
    expect(main.nice).toBe(0)
  })
})

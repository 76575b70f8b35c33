// Reporter lifetime (README, "Behaviour", issue "Reporter lifetime and a hostile host" §1): a reporter that
// becomes unreachable without shutdown() — collected, or its worker thread ended — releases its
// task, connections, spool lock and memory; shutdown() closes its connections; once a reporter
// has stopped, every event is accounted for (queued == sent + failed + abandoned).
// Real child processes (with --expose-gc), real worker threads, real loopback servers and files.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { TelemetryReporter } from '../index.mjs'
import { startCollector, type Answers } from 'cyrus-telemetry/testing'
import { COLLECT, runJsonChild } from './helpers/child'
import { hang, respond, sleep, type Receiver } from './helpers/receiver'

const root = join(__dirname, '..')
const work = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-lifetime-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const receivers: Receiver[] = []
const reporters: TelemetryReporter[] = []
afterEach(async () => {
  await Promise.all(reporters.splice(0).map((reporter) => reporter.shutdown(0)))
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})

/** A loopback collector that keeps idle connections for a minute: only the reporters close them. */
async function receiver(answers: Answers): Promise<Receiver> {
  const started = await startCollector({ answers, keepAliveTimeoutMs: 60_000 })
  receivers.push(started)
  return started
}

function reporter(options: ConstructorParameters<typeof TelemetryReporter>[0] = {}): TelemetryReporter {
  const created = new TelemetryReporter({ logger: () => {}, ...options })
  reporters.push(created)
  return created
}

const failed = { subtype: 'error_during_execution', is_error: true, errors: ['boom'] }
const context = (url: string, token = 'lifetime-token') => ({ callbackToken: token, callbackUrl: url, teamId: 'team-life' })

/** Polls `probe` every 20 ms until it is true or `ms` have passed; returns its last value. */
async function eventually(probe: () => boolean, ms = 5_000): Promise<boolean> {
  const until = Date.now() + ms
  while (!probe() && Date.now() < until) await sleep(20)
  return probe()
}

describe('shutdown() lets go of everything', () => {
  it('closes the kept-alive connections of each reporter', async () => {
    const rx = await receiver([respond(200)])
    const stopped = Array.from({ length: 20 }, () => reporter())
    for (const [index, each] of stopped.entries()) {
      each.setCallbackContext(context(rx.url))
      each.reportSessionError({ id: `s-${index}` }, failed)
    }
    for (const each of stopped) expect(await each.flush(5_000)).toEqual({ completed: true, pending: 0 })
    expect(rx.stats().openSockets).toBeGreaterThanOrEqual(20)
    await Promise.all(stopped.map((each) => each.shutdown(1_000)))
    expect(await eventually(() => rx.stats().openSockets === 0), `open: ${rx.stats().openSockets}`).toBe(true)
  })

  it('counts events given up at the deadline as abandoned: queued == sent + failed + abandoned', async () => {
    const rx = await receiver([hang()])
    const stopping = reporter({ requestTimeoutMs: 10_000 })
    stopping.setCallbackContext(context(rx.url))
    for (let index = 0; index < 20; index++) stopping.reportSessionError({ id: `hung-${index}` }, failed)
    await rx.waitForRequests(8)
    expect(await stopping.shutdown(200)).toEqual({ completed: false, pending: 20 })
    const stats = stopping.stats()
    expect(stats).toMatchObject({ queued: 20, sent: 0, failed: 0, abandoned: 20, abandonedSpooled: 0 })
    expect(stats).toMatchObject({ queueLength: 0, inFlight: 0, waitingToRetry: 0 })
    expect(stats.queued).toBe(stats.sent + stats.failed + stats.abandoned)
    // The hung requests were cancelled: their connections are closed too.
    expect(await eventually(() => rx.stats().openSockets === 0)).toBe(true)
  })

  it('with a spool, the abandoned events are kept for the next reporter', async () => {
    const spoolDir = join(work, 'abandoned-spool')
    const rx = await receiver([hang()])
    const first = reporter({ spoolDir, requestTimeoutMs: 10_000 })
    first.setCallbackContext(context(rx.url))
    const ids = Array.from({ length: 5 }, (_, index) => first.reportSessionError({ id: `kept-${index}` }, failed).eventId)
    await rx.waitForRequests(5)
    await first.shutdown(100)
    expect(first.stats()).toMatchObject({ queued: 5, abandoned: 5, abandonedSpooled: 5 })
    const ok = await receiver([respond(200)])
    const next = reporter({ spoolDir })
    next.setCallbackContext(context(ok.url))
    expect(await next.flush(5_000)).toEqual({ completed: true, pending: 0 })
    expect(next.stats()).toMatchObject({ restored: 5, sent: 5 })
    expect(ok.events.map((event) => event.event_id).sort()).toEqual([...ids].sort())
  })

  it('every mix of outcomes adds up once stopped', async () => {
    // Delivered, refused for good (400), retried then given up (503), and cut off (hang).
    const rx = await receiver((request) => {
      const id = String(request.body?.session_id ?? '')
      if (id.startsWith('ok')) return respond(200)
      if (id.startsWith('bad')) return respond(400)
      if (id.startsWith('busy')) return respond(503)
      return hang()
    })
    const mixed = reporter({ maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 10, requestTimeoutMs: 10_000 })
    mixed.setCallbackContext(context(rx.url))
    for (const prefix of ['ok', 'bad', 'busy', 'hung']) {
      for (let index = 0; index < 3; index++) mixed.reportSessionError({ id: `${prefix}-${index}` }, failed)
    }
    await rx.waitForRequests(3 + 3 + 6 + 3, 10_000)
    await mixed.shutdown(300)
    const stats = mixed.stats()
    expect(stats).toMatchObject({ queued: 12, sent: 3, failed: 6, failedHttp: 6, abandoned: 3 })
    expect(stats.queued).toBe(stats.sent + stats.failed + stats.abandoned)
  })
})

describe('a reporter that becomes unreachable without shutdown() releases everything', () => {
  it('collected: its spool lock goes to the next reporter, which restores what it spooled', async () => {
    const spoolDir = join(work, 'collected-spool')
    const rx = await receiver([hang()])
    const result = await runJsonChild(
      'collected-spool',
      `${COLLECT}
      ;(async () => {
        const warnings = []
        const logger = (level, message) => { if (level !== 'debug') warnings.push(message) }
        let first = new addon.TelemetryReporter({ spoolDir: ${JSON.stringify(spoolDir)}, logger })
        first.setCallbackContext({ callbackToken: 'collected-token', callbackUrl: ${JSON.stringify(rx.url)}, teamId: 'team-life' })
        for (let i = 0; i < 3; i++) first.reportSessionError({ id: 'spooled-' + i }, { subtype: 'error_during_execution', is_error: true, errors: ['boom'] })
        await first.flush(300) // the hanging endpoint: nothing is sent, all three are spooled
        const spooled = first.stats().spooled
        first = null
        await collect()
        const next = new addon.TelemetryReporter({ spoolDir: ${JSON.stringify(spoolDir)}, logger })
        await next.flush(5000)
        console.log(JSON.stringify({ spooled, restored: next.stats().restored, warnings }))
        await next.shutdown(0)
      })()`,
    )
    expect(result.spooled).toBe(3)
    expect(result.warnings.filter((line: string) => /in use/.test(line))).toEqual([])
    expect(result.restored).toBe(3)
  })

  it('collected: its connections close, and many collected reporters leave no memory behind', async () => {
    const rx = await receiver([respond(200)])
    const result = await runJsonChild(
      'collected-memory',
      `${COLLECT}
      ;(async () => {
        const failed = { subtype: 'error_during_execution', is_error: true, errors: ['boom'] }
        async function round(count) {
          for (let i = 0; i < count; i++) {
            const each = new addon.TelemetryReporter({ logger: () => {} })
            each.setCallbackContext({ callbackToken: 'memory-token-' + i, callbackUrl: ${JSON.stringify(rx.url)}, teamId: 'team-life' })
            each.reportSessionError({ id: 'm-' + i }, failed)
            await each.flush(5000)
          }
        }
        await round(50) // warm-up: runtime, classifier tables, allocator arenas
        await collect()
        const before = process.memoryUsage().rss
        await round(400)
        await collect()
        await new Promise((r) => setTimeout(r, 500))
        await collect()
        console.log(JSON.stringify({ growthMb: (process.memoryUsage().rss - before) / 1048576 }))
      })()`,
      120_000,
    )
    // 400 collected reporters used to keep about 65 MB (their clients, tasks and sockets) for
    // good; what is left now is the allocator's, about 6 to 15 MB whatever the count.
    expect(result.growthMb).toBeLessThan(25)
    expect(await eventually(() => rx.stats().openSockets === 0), `open: ${rx.stats().openSockets}`).toBe(true)
    expect(rx.stats().events).toBe(450)
  })

  it('its worker thread ended: the spool lock is released and the next owner restores its events', async () => {
    const spoolDir = join(work, 'worker-spool')
    const rx = await receiver([hang()])
    const result = await runJsonChild(
      'worker-spool',
      `const { Worker } = require('node:worker_threads')
      ;(async () => {
        const worker = new Worker(\`
          const addon = require(\${JSON.stringify(${JSON.stringify(root)})})
          const { parentPort } = require('node:worker_threads')
          addon.configure({ spoolDir: ${JSON.stringify(spoolDir)}, logger: () => {} })
          addon.setCallbackContext({ callbackToken: 'worker-token', callbackUrl: ${JSON.stringify(rx.url)}, teamId: 'team-life' })
          for (let i = 0; i < 4; i++) addon.reportSessionError({ id: 'w-' + i }, { subtype: 'error_during_execution', is_error: true, errors: ['boom'] })
          addon.flush(300).then(() => parentPort.postMessage(addon.stats().spooled))
        \`, { eval: true })
        const spooled = await new Promise((resolve) => worker.once('message', resolve))
        await worker.terminate()
        const warnings = []
        const next = new addon.TelemetryReporter({ spoolDir: ${JSON.stringify(spoolDir)}, logger: (level, message) => { if (level !== 'debug') warnings.push(message) } })
        await next.flush(5000)
        console.log(JSON.stringify({ spooled, restored: next.stats().restored, warnings }))
        await next.shutdown(0)
      })()`,
    )
    expect(result.spooled).toBe(4)
    expect(result.warnings).toEqual([])
    expect(result.restored).toBe(4)
    expect(readdirSync(spoolDir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })
})

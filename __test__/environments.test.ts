// The module-level reporter belongs to one JavaScript environment (README, "API"): the main thread and
// each worker thread have their own counters, context and logger. Each case runs in a fresh Node
// process (the package loaded by name, as callers load it) with a real worker thread.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(__dirname, '..')

/** Runs `source` (an ES module; `telemetry` is the package) in a fresh process; its stdout as JSON. */
function runMain(source: string): any {
  const script = `import * as telemetry from 'cyrus-telemetry'\nimport { Worker } from 'node:worker_threads'\n${source}`
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, CYRUS_TELEMETRY_DISABLED: '' },
  })
  return JSON.parse(out.trim().split('\n').pop()!)
}

// Held events (no context) count as `reported` and never touch the network.
const failing = `{ subtype: 'error_during_execution', is_error: true, errors: ['API Error: 500'] }`
// Callback headers without a token: a rejected context, which warns once per reporter.
const partialHeaders = `{ 'x-cyrus-callback-url': 'https://cyhost.example/cb', 'x-cyrus-team-id': 'team-1' }`

// The worker (an ES module, like the main script): its own module-level reporter, logging to the main thread through messages. It
// reports three events, rejects a context (one warning), sends its stats, and stays alive (its
// logger reachable) until told to go.
const workerSource = `
import { parentPort } from 'node:worker_threads'
import * as telemetry from 'cyrus-telemetry'
telemetry.configure({ disabled: false, logger: (level, message) => parentPort.postMessage({ log: message }) })
for (let i = 0; i < 3; i++) telemetry.reportSessionError({ id: 'worker-' + i }, ${failing})
telemetry.setCallbackContext(${partialHeaders})
setTimeout(() => parentPort.postMessage({ stats: telemetry.stats() }), 100)
parentPort.on('message', () => process.exit(0))
`

describe('one module-level reporter per JavaScript environment', () => {
  it('a worker thread has its own counters and logger', () => {
    const result = runMain(`
      const mainLog = []
      telemetry.configure({ disabled: false, logger: (level, message) => mainLog.push(message) })
      telemetry.reportSessionError({ id: 'main' }, ${failing})
      const worker = new Worker(${JSON.stringify(workerSource)}, { eval: true })
      const workerLog = []
      const workerStats = await new Promise((resolve) => worker.on('message', (message) => {
        if (message.log !== undefined) workerLog.push(message.log)
        if (message.stats !== undefined) resolve(message.stats)
      }))
      // The main thread's first rejected context warns on the main thread's logger.
      telemetry.setCallbackContext(${partialHeaders})
      await new Promise((resolve) => setTimeout(resolve, 100))
      worker.postMessage('exit')
      await new Promise((resolve) => worker.on('exit', resolve))
      console.log(JSON.stringify({ main: telemetry.stats(), worker: workerStats, mainLog, workerLog }))
    `)
    expect(result.worker.reported).toBe(3)
    expect(result.worker.held).toBe(3)
    expect(result.main.reported).toBe(1)
    expect(result.main.held).toBe(1)
    // Each environment's warning reaches its own logger, and only that one.
    expect(result.mainLog.filter((line: string) => line.includes('callback context rejected'))).toHaveLength(1)
    expect(result.workerLog.filter((line: string) => line.includes('callback context rejected'))).toHaveLength(1)
  })

  it('configure() after shutdown() starts afresh: no context, counters at zero, options kept', () => {
    const result = runMain(`
      const log = []
      telemetry.configure({ disabled: false, heldCapacity: 2, logger: (level, message) => log.push(message) })
      for (let i = 0; i < 3; i++) telemetry.reportSessionError({ id: 'before-' + i }, ${failing})
      const context = { callbackToken: 'tok_first_0123456789', callbackUrl: 'http://127.0.0.1:9/cb', teamId: 'team-1' }
      const first = telemetry.setCallbackContext(context).status
      const before = telemetry.stats()
      await telemetry.shutdown(0)
      const afterShutdown = telemetry.reportSessionError({ id: 'late' }, ${failing})
      telemetry.configure({ maxAttempts: 1 })
      const fresh = telemetry.stats()
      // The same context again is 'unchanged' on the old reporter; a fresh one has none yet.
      const again = telemetry.setCallbackContext(context).status
      telemetry.setCallbackContext(${partialHeaders})
      await new Promise((resolve) => setTimeout(resolve, 100))
      await telemetry.shutdown(0)
      console.log(JSON.stringify({ first, before, afterShutdown, fresh, again, log }))
    `)
    expect(result.first).toBe('set')
    expect(result.before.reported).toBe(3)
    expect(result.afterShutdown).toMatchObject({ outcome: 'disabled', reason: 'shut down' })
    expect(result.again).toBe('set')
    for (const [name, value] of Object.entries(result.fresh)) expect(value, name).toBe(0)
    // The options not named (the logger among them) carried over to the fresh reporter.
    expect(result.log.filter((line: string) => line.includes('callback context rejected'))).toHaveLength(1)
  })
})

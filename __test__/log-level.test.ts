// The log level: lines below it never reach the logger (and are never formatted: the Rust unit
// tests of src/reporter/logger.rs count that). The level comes from `logLevel`, else the logger's
// `getLevel()` (cyrus's ILogger), else CYRUS_LOG_LEVEL, else info. Real loopback deliveries.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TelemetryReporter, type TelemetryOptions } from 'cyrus-telemetry'
import { callbackHeaders } from './helpers/headers'
import { runJsonChild } from './helpers/child'
import { respond, sleep, startReceiver, type Receiver } from './helpers/receiver'

/** cyrus's LogLevel (packages/core/src/logging/ILogger.ts). */
const LogLevel = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, SILENT: 4 } as const

/** A cyrus-shaped ILogger at `level` that counts every call per method, whatever the level. */
function countingLogger(level: number) {
  const calls = { debug: 0, info: 0, warn: 0, error: 0, getLevel: 0 }
  return {
    calls,
    debug: () => void calls.debug++,
    info: () => void calls.info++,
    warn: () => void calls.warn++,
    error: () => void calls.error++,
    getLevel: () => {
      calls.getLevel++
      return level
    },
    setLevel: () => {},
  }
}

const failed = (index: number) => ({ type: 'result', subtype: 'error_during_execution', is_error: true, errors: [`boom ${index}`] })

const EVENTS = 20
let receivers: Receiver[] = []
let reporters: TelemetryReporter[] = []

afterEach(async () => {
  await Promise.all(reporters.map((reporter) => reporter.shutdown(500)))
  await Promise.all(receivers.map((receiver) => receiver.close()))
  receivers = []
  reporters = []
})

/** Delivers EVENTS events through a reporter with `options`, and lets its log calls arrive. */
async function deliver(options: TelemetryOptions) {
  const receiver = await startReceiver()
  receivers.push(receiver)
  const reporter = new TelemetryReporter(options)
  reporters.push(reporter)
  expect(reporter.setCallbackContext(callbackHeaders({ url: receiver.url })).status).toBe('set')
  for (let index = 0; index < EVENTS; index++) {
    expect(reporter.reportSessionError({ id: `s-${index}` }, failed(index)).outcome).toBe('queued')
  }
  expect(await reporter.flush(5000)).toEqual({ completed: true, pending: 0 })
  expect(reporter.stats().sent).toBe(EVENTS)
  await sleep(50)
}

describe('log level', () => {
  it('a logger whose getLevel() says INFO receives no debug line; at DEBUG it receives one per event', async () => {
    const info = countingLogger(LogLevel.INFO)
    await deliver({ logger: info })
    expect(info.calls.getLevel).toBe(1)
    expect(info.calls.debug).toBe(0)

    const debug = countingLogger(LogLevel.DEBUG)
    await deliver({ logger: debug })
    // "callback context set" and one "event … delivered" line per event.
    expect(debug.calls.debug).toBeGreaterThanOrEqual(EVENTS)
  })

  it('logLevel overrides getLevel(), both ways', async () => {
    const quiet = countingLogger(LogLevel.DEBUG)
    await deliver({ logger: quiet, logLevel: 'warn' })
    expect(quiet.calls.debug).toBe(0)

    const loud = countingLogger(LogLevel.SILENT)
    await deliver({ logger: loud, logLevel: 'debug' })
    expect(loud.calls.debug).toBeGreaterThanOrEqual(EVENTS)
  })

  it('silent: not even warnings', async () => {
    const receiver = await startReceiver({ script: [respond(400)] })
    receivers.push(receiver)
    const logger = countingLogger(LogLevel.DEBUG)
    const reporter = new TelemetryReporter({ logger, logLevel: 'silent' })
    reporters.push(reporter)
    reporter.setCallbackContext(callbackHeaders({ url: receiver.url }))
    reporter.reportSessionError({ id: 's' }, failed(0))
    await reporter.flush(5000)
    await sleep(50)
    expect(reporter.stats().failedHttp).toBe(1)
    expect(logger.calls).toMatchObject({ debug: 0, info: 0, warn: 0, error: 0 })
  })

  it('a logger without getLevel() follows CYRUS_LOG_LEVEL, else info', () => {
    const script = `
      const { TelemetryReporter } = require('cyrus-telemetry')
      const lines = []
      const reporter = new TelemetryReporter({ logger: (level) => lines.push(level) })
      // Absent headers log one debug line.
      reporter.setCallbackContext({})
      setTimeout(() => console.log(JSON.stringify(lines)), 100)`
    const run = (env: Record<string, string>) => {
      const { CYRUS_LOG_LEVEL: _ignored, ...rest } = process.env
      const child = spawnSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..'), env: { ...rest, ...env }, encoding: 'utf8', timeout: 10_000 })
      expect(child.status, child.stderr).toBe(0)
      return JSON.parse(child.stdout) as string[]
    }
    expect(run({})).toEqual([])
    expect(run({ CYRUS_LOG_LEVEL: 'DEBUG' })).toEqual(['debug'])
    expect(run({ CYRUS_LOG_LEVEL: 'info' })).toEqual([])
  })

  it('refuses an unknown level with a TypeError naming logLevel', () => {
    for (const logLevel of ['verbose', 1, '']) {
      expect(() => new TelemetryReporter({ logLevel: logLevel as never })).toThrow(TypeError)
      expect(() => new TelemetryReporter({ logLevel: logLevel as never })).toThrow(/`logLevel`/)
    }
  })

  it('a flood of lines while the JS thread is busy is bounded: lines beyond the queue are dropped and counted', async () => {
    const receiver = await startReceiver()
    receivers.push(receiver)
    const result = await runJsonChild(
      'log-flood',
      `;(async () => {
        let shown = 0
        const reporter = new addon.TelemetryReporter({ queueCapacity: 5000, logLevel: 'debug', logger: () => shown++ })
        reporter.setCallbackContext({ callbackToken: 'flood-token', callbackUrl: ${JSON.stringify(receiver.url)}, teamId: 'team-flood' })
        const events = 3000
        for (let i = 0; i < events; i++) reporter.reportSessionError({ id: 'f-' + i }, { subtype: 'error_during_execution', is_error: true, errors: ['boom'] })
        // The JS thread does not run while the background thread delivers and logs a line per event.
        const until = Date.now() + 4000
        while (reporter.stats().sent < events && Date.now() < until) {}
        await reporter.flush(5000)
        await new Promise((r) => setTimeout(r, 200))
        const stats = reporter.stats()
        console.log(JSON.stringify({ events, sent: stats.sent, shown, dropped: stats.logLinesDropped }))
        await reporter.shutdown(0)
      })()`,
    )
    expect(result.sent).toBe(result.events)
    // One "delivered" line per event: each reached the logger or was counted as dropped.
    expect(result.dropped).toBeGreaterThan(0)
    expect(result.shown + result.dropped).toBeGreaterThanOrEqual(result.events)
  })
})

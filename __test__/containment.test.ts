// Failures inside the addon or in the caller's logger stay contained: an internal panic becomes
// an outcome plus one error log line, and a logger that throws never ends the process.
// Run in a child process so that an abort would show as a failed exit, not kill vitest.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(__dirname, '..')

function runScript(source: string): { stdout: string; status: number } {
  const stdout = execFileSync(process.execPath, ['-e', source], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, RUST_BACKTRACE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return { stdout, status: 0 }
}

describe('containment', () => {
  // The forced panic is a test hook: built with `--features test-hooks` (`npm run build:debug`,
  // scripts/test.sh), never into a release build.
  it('turns a forced internal panic into an outcome and an error log line (test-hooks builds)', () => {
    const { stdout } = runScript(`
      const { TelemetryReporter } = require('cyrus-telemetry')
      const lines = []
      const reporter = new TelemetryReporter({ logger: (level, message) => lines.push([level, message]) })
      const outcome = reporter.reportSessionError({ id: '__cyrus_telemetry_forced_panic__' }, { subtype: 'error_during_execution', is_error: true })
      const after = reporter.reportSessionError({ id: 'next' }, { subtype: 'error_during_execution', is_error: true, errors: ['boom'] })
      setTimeout(() => console.log(JSON.stringify({ outcome, after, lines })), 100)
    `)
    const { outcome, after, lines } = JSON.parse(stdout)
    expect(outcome.outcome, 'no forced panic: build the addon with `npm run build:debug` (the test-hooks feature)').toBe('invalid_input')
    expect(outcome.reason).toMatch(/internal error/)
    expect(after.outcome).toBe('held')
    expect(lines.filter(([level]: [string]) => level === 'error')).toHaveLength(1)
  })

  it('survives loggers that throw, as functions and as ILogger methods', () => {
    const { stdout } = runScript(`
      const { TelemetryReporter } = require('cyrus-telemetry')
      class ThrowingLogger { debug() { throw new Error('debug') } info() {} warn() { throw new Error('warn') } error() { throw new Error('error') } }
      const reporters = [
        new TelemetryReporter({ logLevel: 'debug', logger: () => { throw new Error('function logger') } }),
        new TelemetryReporter({ logLevel: 'debug', logger: new ThrowingLogger() }),
      ]
      for (const reporter of reporters) {
        reporter.setCallbackContext({ 'x-cyrus-team-id': 'only-one-header' })
        reporter.setCallbackContext({ callbackToken: 't', callbackUrl: 'http://127.0.0.1:9/cb', teamId: 'team' })
      }
      setTimeout(() => console.log('alive'), 200)
    `)
    expect(stdout.trim()).toBe('alive')
  })
})

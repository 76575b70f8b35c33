// The package entry reads the report's fields in JS (the fast path); the generated loader's
// native method reads them through N-API. Both must give the same outcome for the same input.
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const entry = require('../entry.cjs')
const native = require('../index.js')

const failing = { type: 'result', subtype: 'error_during_execution', is_error: true, errors: ['API Error: 429 Too Many Requests'] }
const runner = { start() {}, children: [] as unknown[] }
runner.children.push(runner)

const cases: Array<[string, unknown, unknown, unknown?]> = [
  ['minimal', { id: 's' }, failing],
  ['full session', { id: 's', createdAt: Date.now() - 5000, issueContext: { issueId: 'i', issueIdentifier: 'CY-1' }, agentRunner: runner }, failing],
  ['deprecated issue fields', { id: 's', issueId: 'old', issue: { identifier: 'OLD-1' } }, failing],
  ['sessionId option wins', { id: 's' }, failing, { sessionId: 'from-options' }],
  ['empty sessionId falls back', { id: 's' }, failing, { sessionId: '' }],
  ['no id', {}, failing],
  ['non-string id', { id: 42 }, failing],
  ['stop requested', { id: 's' }, failing, { stopRequested: true }],
  ['stopRequested must be true', { id: 's' }, failing, { stopRequested: 'yes' }],
  ['success', { id: 's' }, { subtype: 'success', is_error: false, result: 'done' }],
  ['is_error success', { id: 's' }, { subtype: 'success', is_error: true, result: 'Claude AI usage limit reached|1755615600' }],
  ['is_error must be true', { id: 's' }, { subtype: 'success', is_error: 'true', result: 'x' }],
  ['missing subtype', { id: 's' }, {}],
  ['mixed errors', { id: 's' }, { subtype: 'error_during_execution', errors: ['Credit balance is too low', 7, null] }],
  ['result not a string', { id: 's' }, { subtype: 'error_during_execution', result: 42 }],
  ['session not an object', 'session', failing],
  ['result not an object', { id: 's' }, null],
  ['options not an object', { id: 's' }, failing, 'options'],
  ['throwing getter', { id: 's', get issueContext() { throw new Error('no') } }, failing],
]

function comparable(outcome: Record<string, unknown>) {
  const { eventId, ...rest } = outcome
  return { ...rest, hasEventId: typeof eventId === 'string' }
}

describe('fast path parity', () => {
  for (const facade of ['instance', 'module'] as const) {
    it.each(cases)(`${facade}: %s`, (_name, session, result, options) => {
      const quiet = { logger: () => {} }
      const viaEntry = facade === 'instance' ? new entry.TelemetryReporter(quiet).reportSessionError(session, result, options) : entry.reportSessionError(session, result, options)
      // The module-level functions delegate to one reporter held by the entry: its native method.
      const viaNative = new native.TelemetryReporter(quiet).reportSessionError(session, result, options)
      expect(comparable(viaEntry)).toEqual(comparable(viaNative))
    })
  }

  it('is the path the package exports', () => {
    expect(entry.TelemetryReporter.prototype.reportSessionError).not.toBe(native.TelemetryReporter.prototype.reportSessionError)
    expect(new entry.TelemetryReporter()).toBeInstanceOf(native.TelemetryReporter)
    // The module-level functions exist only in the entry, over one reporter per environment.
    for (const name of ['configure', 'setCallbackContext', 'classifySessionError', 'reportSessionError', 'flush', 'shutdown', 'stats']) {
      expect(typeof entry[name], name).toBe('function')
      expect(native[name], name).toBeUndefined()
    }
    expect(Object.keys(entry)).not.toContain('reportFields')
  })
})

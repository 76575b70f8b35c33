// The real agent-session messages of __test__/fixtures/classification (the project's own copy of
// the labelled set) through the bindings: every case's expected type (or one of its acceptable
// ones), resets_at exact, and the message contract.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { classifySessionError, TelemetryReporter } from 'cyrus-telemetry'

interface Fixture {
  id: string
  result: Record<string, unknown>
  expected: string
  acceptable: string[]
  resets_at?: string
}

const fixtures: Fixture[] = readFileSync(join(__dirname, 'fixtures', 'classification', 'fixtures.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line))

const errorTypes = ['crash', 'stall', 'rate_limit', 'billing', 'max_turns']

describe('classification of real messages', () => {
  it('has the fixture file', () => {
    expect(fixtures.length).toBeGreaterThan(50)
  })

  it.each(fixtures.map((fixture) => [fixture.id, fixture] as const))('%s', (_id, fixture) => {
    const classification = classifySessionError(fixture.result)
    if (fixture.expected === 'none') {
      expect(classification).toBeNull()
      return
    }
    expect(classification).not.toBeNull()
    expect([fixture.expected, ...fixture.acceptable]).toContain(classification!.errorType)
    expect(classification!.errorDetail).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/)
    if (fixture.resets_at) expect(classification!.resetsAt).toBe(fixture.resets_at)
    else expect(classification!.resetsAt).toBeUndefined()
    expect([...classification!.errorMessage].length).toBeLessThanOrEqual(500)
  })
})

describe('classification contract', () => {
  it('treats is_error results with subtype success as errors, and stops as nothing', () => {
    const usageLimit = { type: 'result', subtype: 'success', is_error: true, result: 'Claude AI usage limit reached|1755615600' }
    expect(classifySessionError(usageLimit)).toMatchObject({ errorType: 'rate_limit', resetsAt: '2025-08-19T15:00:00Z' })
    expect(classifySessionError(usageLimit, { stopRequested: true })).toBeNull()
    expect(classifySessionError({ type: 'result', subtype: 'success', is_error: false, result: 'rate limit' })).toBeNull()
  })

  it('builds the message from errors, else result, else the subtype', () => {
    expect(classifySessionError({ subtype: 'error_during_execution', is_error: true, errors: ['a', 'b'], result: 'r' })?.errorMessage).toBe('a; b')
    expect(classifySessionError({ subtype: 'error_during_execution', is_error: true, errors: [], result: 'r' })?.errorMessage).toBe('r')
    expect(classifySessionError({ subtype: 'error_during_execution', is_error: true })?.errorMessage).toBe('error_during_execution')
  })

  it('caps the message at 500 code points without splitting a character', () => {
    const emoji = '😀'.repeat(800)
    const message = classifySessionError({ subtype: 'error_during_execution', is_error: true, errors: [emoji] })!.errorMessage
    expect([...message]).toHaveLength(500)
    expect(message.isWellFormed()).toBe(true)
    const loneSurrogates = classifySessionError({ subtype: 'error_during_execution', is_error: true, errors: ['\uD800x\uDC00y'] })!.errorMessage
    expect(loneSurrogates.isWellFormed()).toBe(true)
  })

  it('scrubs secrets, including a reporter’s own token', () => {
    const reporter = new TelemetryReporter({ logger: () => {} })
    reporter.setCallbackContext({ callbackToken: 'cyrus-callback-token-42', callbackUrl: 'https://cyhost.example/cb', teamId: 'team' })
    const text = 'auth failed for sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789 with cyrus-callback-token-42'
    const scrubbed = reporter.classifySessionError({ subtype: 'error_during_execution', is_error: true, errors: [text] })!
    expect(scrubbed.errorMessage).not.toContain('sk-ant-api03')
    expect(scrubbed.errorMessage).not.toContain('cyrus-callback-token-42')
    expect(scrubbed.errorMessage).toContain('[REDACTED]')
    expect(errorTypes).toContain(scrubbed.errorType)
  })

  it('never throws on wrong types and always yields one of the five types', () => {
    for (const result of [
      { subtype: 42, is_error: 'yes', result: 7, errors: [1, null, 'x'] },
      { is_error: true, errors: 'not an array' },
      { subtype: 'error_during_execution', errors: [{ toString: () => 'boom' }] },
      {},
    ]) {
      const classification = classifySessionError(result as never)
      expect(classification).not.toBeNull()
      expect(errorTypes).toContain(classification!.errorType)
    }
    for (const notAnObject of [null, undefined, 42, 'text', []]) {
      expect(() => classifySessionError(notAnObject as never)).not.toThrow()
    }
  })
})

// The package entry (entry.cjs with read.cjs) is the one place that reads the caller's values,
// and the JavaScript thread does bounded work for any input (README, "Behaviour"): `errors` is read by
// index up to 10,000 entries, strings are cut to what is used before they cross into Rust, each
// property is read once, and report and classify read the same way. The addon takes plain
// values only; its `__`-named methods are internals.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runJsonChild } from './helpers/child'

const require = createRequire(import.meta.url)
const entry = require('../entry.cjs')
const native = require('../index.js')

const ERROR_ENTRIES = 10_000
const RATE_LIMITED = 'API Error: 429 Too Many Requests'
const quiet = () => {}
const failing = (fields: object = {}) => ({ type: 'result', subtype: 'error_during_execution', is_error: true, ...fields })

/** The four ways in: the class and the module-level functions, report and classify. */
function everyWay(session: unknown, result: unknown, options?: unknown) {
  const reporter = new entry.TelemetryReporter({ logger: quiet })
  return {
    report: reporter.reportSessionError(session, result, options),
    moduleReport: entry.reportSessionError(session, result, options),
    classify: reporter.classifySessionError(result, options),
    moduleClassify: entry.classifySessionError(result, options),
  }
}

/**
 * An array Proxy of length 2**32 − 1 that counts its traps (a read of `length`, of an index, a
 * `has`) and throws once it has been walked well past the cap, so that walking it ends.
 */
function endlessErrors() {
  let traps = 0
  const count = () => {
    if (++traps > 3 * ERROR_ENTRIES) throw new Error('walked past the cap')
  }
  const proxy = new Proxy([] as unknown[], {
    get(target, key, receiver) {
      count()
      if (key === 'length') return 2 ** 32 - 1
      if (key === '5') return RATE_LIMITED
      return Reflect.get(target, key, receiver)
    },
    has() {
      count()
      return true
    },
    getOwnPropertyDescriptor(target, key) {
      count()
      return Reflect.getOwnPropertyDescriptor(target, key)
    },
  })
  return { proxy, traps: () => traps }
}

describe('the JavaScript thread does bounded work for any input', () => {
  it('errors is read by index up to 10,000 entries: a Proxy array of length 2**32 − 1', () => {
    const ways = {
      report: (errors: unknown) => new entry.TelemetryReporter({ logger: quiet }).reportSessionError({ id: 's' }, failing({ errors })),
      moduleReport: (errors: unknown) => entry.reportSessionError({ id: 's' }, failing({ errors })),
      classify: (errors: unknown) => new entry.TelemetryReporter({ logger: quiet }).classifySessionError(failing({ errors })),
      moduleClassify: (errors: unknown) => entry.classifySessionError(failing({ errors })),
    }
    for (const [way, call] of Object.entries(ways)) {
      const { proxy, traps } = endlessErrors()
      const answer = call(proxy)
      // `length`, then entries 0 … 9,999: each once.
      expect(traps(), way).toBe(1 + ERROR_ENTRIES)
      expect(answer.errorDetail, `${way}: entry 5 was read`).toBe('http_429')
    }
  })

  it('a sparse errors array of length 2**32 − 1 is answered at once (in a child, killed after 30 s)', async () => {
    const answers = await runJsonChild(
      'sparse-errors',
      `const errors = []
      errors.length = 2 ** 32 - 1
      errors[3] = ${JSON.stringify(RATE_LIMITED)}
      const result = { subtype: 'error_during_execution', is_error: true, errors }
      const reporter = new addon.TelemetryReporter({ logger: () => {} })
      const answers = [reporter.reportSessionError({ id: 's' }, result), addon.reportSessionError({ id: 's' }, result), addon.classifySessionError(result)]
      console.log(JSON.stringify(answers.map((answer) => answer.errorDetail)))
      process.exit(0)`,
      30_000,
    )
    expect(answers).toEqual(['http_429', 'http_429', 'http_429'])
  })

  // Peak RSS (VmHWM, reset through /proc/self/clear_refs) around each call, after the 200 MB
  // string exists: a copy of it into Rust would add 200 MB.
  it.runIf(process.platform === 'linux')('a 200 MB string is not copied whole, wherever it is given', async () => {
    const { growth, details } = await runJsonChild(
      'large-strings',
      `const fs = require('node:fs')
      const kib = (field) => Number(new RegExp(field + ':\\\\s+(\\\\d+)').exec(fs.readFileSync('/proc/self/status', 'utf8'))[1])
      // A flat one-byte string (no rope for V8 to flatten on first use), its buffer collected.
      function flat(prefix, size) {
        const buffer = Buffer.alloc(size, 'x')
        buffer.write(prefix)
        return buffer.toString('latin1')
      }
      const text = flat(${JSON.stringify(RATE_LIMITED)} + ' ', 200 * 1024 * 1024)
      const reporter = new addon.TelemetryReporter({ logger: () => {} })
      const growth = {}
      const details = {}
      const measure = (name, call) => {
        global.gc()
        fs.writeFileSync('/proc/self/clear_refs', '5')
        const before = kib('VmRSS')
        const answer = call()
        growth[name] = (kib('VmHWM') - before) / 1024
        details[name] = answer.errorDetail ?? answer.outcome
      }
      const error = (fields) => ({ subtype: 'error_during_execution', is_error: true, ...fields })
      measure('result', () => reporter.reportSessionError({ id: 's' }, error({ result: text })))
      measure('errors', () => reporter.reportSessionError({ id: 's' }, error({ errors: ['first', text] })))
      measure('subtype', () => reporter.reportSessionError({ id: 's' }, { subtype: text }))
      measure('session id', () => reporter.reportSessionError({ id: text }, error()))
      measure('sessionId option', () => reporter.reportSessionError({ id: 's' }, error(), { sessionId: text }))
      measure('issue ids', () => reporter.reportSessionError({ id: 's', issueContext: { issueId: text, issueIdentifier: text } }, error()))
      measure('classify', () => addon.classifySessionError({ subtype: 'success', is_error: true, result: text }))
      console.log(JSON.stringify({ growth, details }))
      process.exit(0)`,
      120_000,
    )
    for (const [where, mib] of Object.entries(growth as Record<string, number>)) {
      expect(mib, `${where}: peak RSS grew by ${mib} MiB`).toBeLessThan(50)
    }
    expect(details).toMatchObject({ result: 'http_429', errors: 'http_429', classify: 'http_429', 'session id': 'unknown' })
  })

  it('a cut never changes the outcome: a 429 within the first 32 KiB counts, one after it does not', () => {
    const at = (offset: number) => failing({ result: `${'x'.repeat(offset)} ${RATE_LIMITED} ${'y'.repeat(1_000_000)}` })
    expect(entry.classifySessionError(at(32_000)).errorDetail).toBe('http_429')
    expect(entry.classifySessionError(at(33_000)).errorDetail).toBe('unknown')
    // A surrogate pair at the cut stays whole: the message still ends in well-formed text.
    const pair = entry.classifySessionError(failing({ result: `${'😀'.repeat(40_000)}` }))
    expect(pair.errorMessage).toBe('😀'.repeat(500))
  })
})

describe('report and classify read the same way, caps included', () => {
  it('10,000 entries that are not strings, then a 429 text: the text is past the cap for both', () => {
    const result = failing({ errors: [...Array(ERROR_ENTRIES).fill(0), RATE_LIMITED] })
    const answers = everyWay({ id: 's' }, result)
    for (const [way, answer] of Object.entries(answers)) expect(answer.errorDetail, way).toBe('unknown')
  })

  it('the last entry under the cap is read by both', () => {
    const result = failing({ errors: [...Array(ERROR_ENTRIES - 1).fill(null), RATE_LIMITED] })
    for (const [way, answer] of Object.entries(everyWay({ id: 's' }, result))) expect(answer.errorDetail, way).toBe('http_429')
  })

  it('an errors array behind a Proxy is read by both', () => {
    const result = failing({ errors: new Proxy(['Credit balance is too low'], {}) })
    for (const [way, answer] of Object.entries(everyWay({ id: 's' }, result))) expect(answer.errorDetail, way).toBe('credit_balance')
  })
})

/** An object whose properties are getters that count their calls; `throwing` throws. */
function counting(values: Record<string, unknown>, calls: Record<string, number>, throwing?: string) {
  const object = {}
  for (const [key, value] of Object.entries(values)) {
    Object.defineProperty(object, key, {
      enumerable: true,
      get() {
        calls[key] = (calls[key] ?? 0) + 1
        if (key === throwing) throw new Error(`getter ${key}`)
        return value
      },
    })
  }
  return object
}

describe('each property is read once', () => {
  const sessionKeys = ['id', 'createdAt', 'issueContext', 'issueId', 'issue']
  const resultKeys = ['subtype', 'is_error', 'result', 'errors']
  const optionKeys = ['stopRequested', 'sessionId']

  for (const throwing of [undefined, ...sessionKeys, ...resultKeys, ...optionKeys]) {
    it(`by reportSessionError and classifySessionError, ${throwing ? `the getter of ${throwing} throwing` : 'no getter throwing'}`, () => {
      for (const way of ['report', 'moduleReport', 'classify', 'moduleClassify'] as const) {
        const calls: Record<string, number> = {}
        const issueContext = counting({ issueIdentifier: 'CY-1' }, calls)
        const session = counting({ id: 's', createdAt: Date.now(), issueContext, issueId: 'old', issue: { identifier: 'OLD-1' } }, calls, throwing)
        const result = counting({ subtype: 'error_during_execution', is_error: true, result: 'x', errors: [RATE_LIMITED] }, calls, throwing)
        const options = counting({ stopRequested: false, sessionId: 'from-options' }, calls, throwing)
        const reporter = new entry.TelemetryReporter({ logger: quiet })
        const answer = {
          report: () => reporter.reportSessionError(session, result, options),
          moduleReport: () => entry.reportSessionError(session, result, options),
          classify: () => reporter.classifySessionError(result, options),
          moduleClassify: () => entry.classifySessionError(result, options),
        }[way]()
        for (const [key, count] of Object.entries(calls)) expect(count, `${way}: ${key}`).toBe(1)
        expect(answer, way).not.toBeNull()
      }
    })
  }

  it('by setCallbackContext and extractCallbackContext, one header getter throwing', () => {
    for (const throwing of [undefined, 'x-cyrus-callback-token', 'X-Cyrus-Team-Id', 'callbackUrl']) {
      const calls: Record<string, number> = {}
      const headers = counting(
        { 'x-cyrus-callback-token': 'token', 'x-cyrus-callback-url': 'http://127.0.0.1:9/cb', 'X-Cyrus-Team-Id': 'team', host: 'h' },
        calls,
        throwing,
      )
      const context = counting({ callbackToken: 'token', callbackUrl: 'http://127.0.0.1:9/cb', teamId: 'team' }, calls, throwing)
      new entry.TelemetryReporter({ logger: quiet }).setCallbackContext(headers)
      entry.extractCallbackContext(context)
      // `host` is not one of the three: never read.
      expect(calls.host).toBeUndefined()
      for (const [key, count] of Object.entries(calls)) expect(count, `${throwing}: ${key}`).toBe(1)
    }
  })

  it('a header given as an array: its length and each entry once', () => {
    const gets: Record<string, number> = {}
    const team = new Proxy(['team', ' team '], {
      get(target, key, receiver) {
        if (typeof key === 'string') gets[key] = (gets[key] ?? 0) + 1
        return Reflect.get(target, key, receiver)
      },
    })
    const headers = { 'x-cyrus-callback-token': 'token', 'x-cyrus-callback-url': 'http://127.0.0.1:9/cb', 'x-cyrus-team-id': team }
    expect(new entry.TelemetryReporter({ logger: quiet }).setCallbackContext(headers).status).toBe('set')
    expect(gets).toEqual({ length: 1, 0: 1, 1: 1 })
  })

  it('by the constructor and configure, one option getter throwing (read as absent)', () => {
    const values = { queueCapacity: 10, logLevel: 'warn', disabled: false, allowedHosts: ['127.0.0.1'] }
    for (const throwing of [undefined, ...Object.keys(values)]) {
      const calls: Record<string, number> = {}
      const logger = counting({ debug: quiet, info: quiet, warn: quiet, error: quiet, getLevel: () => 2 }, calls)
      new entry.TelemetryReporter(counting({ ...values, logger }, calls, throwing))
      for (const [key, count] of Object.entries(calls)) expect(count, `${throwing}: ${key}`).toBe(1)
    }
  })
})

describe('the addon takes plain values; its plain-value methods are internals', () => {
  it('the package exports the public functions and no internal', () => {
    for (const name of ['configure', 'setCallbackContext', 'extractCallbackContext', 'classifySessionError', 'reportSessionError', 'flush', 'shutdown', 'stats']) {
      expect(typeof entry[name], name).toBe('function')
    }
    expect(Object.keys(entry).filter((name) => name.startsWith('__'))).toEqual(['__napiBindingTarget'])
    expect(new entry.TelemetryReporter()).toBeInstanceOf(native.TelemetryReporter)
    const dts = readFileSync(join(__dirname, '..', 'index.d.ts'), 'utf8')
    for (const internal of ['__report', '__classify', '__setCallbackContext', '__configure', '__flush', '__shutdown', '__extractCallbackContext', '__readingRules', 'reportFields']) {
      expect(dts, internal).not.toContain(internal)
    }
  })

  it('calling the class without new is the language TypeError', () => {
    expect(() => (entry.TelemetryReporter as unknown as () => unknown)()).toThrow(TypeError)
  })
})

// Every export called with hostile values (README, "Behaviour" and "API"): throwing getters, Proxies whose traps
// throw, revoked Proxies, cycles, Symbols, BigInts, 1–10 MB strings, lone surrogates, frozen and
// prototype-less objects, arrays and functions where objects belong, NaN/±Infinity/-0, deep
// nesting, and getters that call back into the addon. Every call returns an outcome; only the
// constructor and `configure` may throw, and then only a TypeError naming the option.
//
// Runs in-process on purpose: an abort or a stray exception thrown from a logger callback would
// take vitest down with it and fail the run. fast-check draws plain descriptions (Spec) and the
// hostile values are built from them in the property, so a failure prints a readable case.
import * as telemetry from 'cyrus-telemetry'
import { TelemetryReporter } from 'cyrus-telemetry'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_TYPES } from 'cyrus-telemetry/testing'
import { TEAM_HEADER, TOKEN_HEADER, URL_HEADER } from './helpers/headers'
import { respond, startReceiver } from './helpers/receiver'

const SEED = 42
const RUNS = 300

const OUTCOMES = ['queued', 'held', 'not_an_error', 'user_stop', 'disabled', 'dropped_queue_full', 'invalid_input']
const STATUSES = ['set', 'unchanged', 'rotated', 'absent', 'rejected']
const OPTION_NAMES = [
  'queueCapacity',
  'heldCapacity',
  'maxConcurrency',
  'requestTimeoutMs',
  'maxAttempts',
  'backoffBaseMs',
  'backoffMaxMs',
  'retryAfterMaxMs',
  'allowedHosts',
  'logger',
  'logLevel',
  'disabled',
  'extraCaCerts',
  'spoolDir',
  'spoolMaxEvents',
  'spoolMaxBytes',
  'spoolMaxAgeMs',
]
/** A token no generated value can contain by chance: its absence from reasons means something. */
const HOSTILE_TOKEN = 'cyt_hostile_5ecret_T0ken_9f8e7d'
/** Callback URLs that are either refused or point at a closed loopback port: no traffic leaves. */
const CALLBACK_URLS = [
  'http://127.0.0.1:9/cb',
  'https://localhost:9/cb',
  'http://example.com/cb',
  'https://user:pw@127.0.0.1:9/cb',
  'ftp://127.0.0.1/cb',
  'http://127.0.0.1:9/cb\r\nX-Evil: 1',
  '',
]

const isWellFormed = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed()
const codePoints = (text: string) => [...text].length

// ---------------------------------------------------------------------------------------------
// Hostile values, described as data and built fresh for each run

const LEAF_KINDS = [
  'undefined',
  'null',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  'true',
  'false',
  'bigint',
  'symbol',
  'function',
  'throwingFunction',
  'asyncFunction',
  'class',
  'date',
  'regexp',
  'map',
  'promise',
  'typedArray',
  'loneHighSurrogate',
  'loneLowSurrogate',
  'surrogateSoup',
  'huge1MB',
  'huge10MB',
  'hugeSurrogates',
  'revokedProxy',
  'trapsThrowProxy',
  'circular',
  'frozenEmpty',
  'nullProto',
  'deepObject',
  'deepArray',
] as const
type LeafKind = (typeof LEAF_KINDS)[number]

const WRAPS = [
  'plain',
  'frozen',
  'nullProto',
  'getters',
  'throwingGetters',
  'transparentProxy',
  'trapsThrowProxy',
  'getTrapThrowsProxy',
  'revokedProxy',
  'asArray',
  'circular',
  'reentrantGetters',
] as const
type Wrap = (typeof WRAPS)[number]

type Spec =
  | { leaf: LeafKind }
  | { text: string }
  | { number: number }
  | { bool: boolean }
  | { array: Spec[] }
  | { object: Record<string, Spec>; wrap: Wrap; throwingKey?: string }

const lazily = <T>(make: () => T) => {
  let value: T | undefined
  return () => (value ??= make())
}
const huge1MB = lazily(() => `API Error: 429 ${'rate limit '.repeat(95_000)} Bearer ${HOSTILE_TOKEN}`)
const huge10MB = lazily(() => `${'x'.repeat(5_000_000)}sk-ant-api03-${'Q'.repeat(40)} ${'é'.repeat(2_500_000)}`)
const hugeSurrogates = lazily(() => 'a\uD800b\uDFFF'.repeat(300_000))
const spoolRoot = lazily(() => mkdtempSync(join(tmpdir(), 'cyrus-telemetry-hostile-')))

function throwingProxy(): object {
  const fail = () => {
    throw new Error('trap')
  }
  return new Proxy(
    {},
    {
      get: fail,
      has: fail,
      ownKeys: fail,
      getOwnPropertyDescriptor: fail,
      getPrototypeOf: fail,
      defineProperty: fail,
      set: fail,
      deleteProperty: fail,
      isExtensible: fail,
      preventExtensions: fail,
      setPrototypeOf: fail,
    },
  )
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
}

function deep(depth: number, array: boolean): unknown {
  let value: unknown = array ? ['bottom'] : { result: 'bottom' }
  for (let level = 0; level < depth; level++) value = array ? [value] : { nested: value, result: value }
  return value
}

function buildLeaf(kind: LeafKind): unknown {
  switch (kind) {
    case 'undefined':
      return undefined
    case 'null':
      return null
    case 'NaN':
      return Number.NaN
    case 'Infinity':
      return Number.POSITIVE_INFINITY
    case '-Infinity':
      return Number.NEGATIVE_INFINITY
    case '-0':
      return -0
    case 'true':
      return true
    case 'false':
      return false
    case 'bigint':
      return 2n ** 70n
    case 'symbol':
      return Symbol('hostile')
    case 'function':
      return () => 'called'
    case 'throwingFunction':
      return () => {
        throw new Error('called')
      }
    case 'asyncFunction':
      return async () => {
        throw new Error('async')
      }
    case 'class':
      return class Hostile {}
    case 'date':
      return new Date(Number.NaN)
    case 'regexp':
      return /x/g
    case 'map':
      return new Map([['is_error', true]])
    case 'promise':
      return Promise.resolve('later')
    case 'typedArray':
      return new Uint8Array([1, 2, 3])
    case 'loneHighSurrogate':
      return '\uD800'
    case 'loneLowSurrogate':
      return 'tail \uDFFF'
    case 'surrogateSoup':
      return '\uDBFF\uD800x\uDC00\uD83D\uDE00\uDE00'
    case 'huge1MB':
      return huge1MB()
    case 'huge10MB':
      return huge10MB()
    case 'hugeSurrogates':
      return hugeSurrogates()
    case 'revokedProxy':
      return revokedProxy()
    case 'trapsThrowProxy':
      return throwingProxy()
    case 'circular': {
      const cycle: Record<string, unknown> = { subtype: 'error_during_execution', is_error: true }
      cycle.self = cycle
      cycle.errors = [cycle, 'cycle']
      return cycle
    }
    case 'frozenEmpty':
      return Object.freeze({})
    case 'nullProto':
      return Object.create(null)
    case 'deepObject':
      return deep(10_000, false)
    case 'deepArray':
      return deep(10_000, true)
  }
}

/** What a getter may do before answering: call back into the addon (re-entrancy). */
type Reentry = () => void

function wrapObject(entries: Record<string, unknown>, wrap: Wrap, throwingKey: string | undefined, reentry: Reentry) {
  const plain = () => Object.assign({}, entries)
  const withGetters = (throwing: (key: string) => boolean, before: () => void = () => {}) => {
    const object = {}
    for (const [key, value] of Object.entries(entries)) {
      Object.defineProperty(object, key, {
        enumerable: true,
        get() {
          before()
          if (throwing(key)) throw new Error(`getter ${key}`)
          return value
        },
      })
    }
    return object
  }
  switch (wrap) {
    case 'plain':
      return plain()
    case 'frozen':
      return Object.freeze(plain())
    case 'nullProto':
      return Object.assign(Object.create(null), entries)
    case 'getters':
      return withGetters(() => false)
    case 'throwingGetters':
      return withGetters((key) => throwingKey === undefined || key === throwingKey)
    case 'transparentProxy':
      return new Proxy(plain(), {})
    case 'trapsThrowProxy':
      return throwingProxy()
    case 'getTrapThrowsProxy':
      return new Proxy(plain(), {
        get() {
          throw new Error('get trap')
        },
      })
    case 'revokedProxy': {
      const { proxy, revoke } = Proxy.revocable(plain(), {})
      revoke()
      return proxy
    }
    case 'asArray':
      return Object.values(entries)
    case 'circular': {
      const object: Record<string, unknown> = plain()
      object.self = object
      object.issueContext ??= object
      return object
    }
    case 'reentrantGetters':
      return withGetters(() => false, reentry)
  }
}

function build(spec: Spec, reentry: Reentry): unknown {
  if ('leaf' in spec) return buildLeaf(spec.leaf)
  if ('text' in spec) return spec.text
  if ('number' in spec) return spec.number
  if ('bool' in spec) return spec.bool
  if ('array' in spec) return spec.array.map((item) => build(item, reentry))
  const entries = Object.fromEntries(Object.entries(spec.object).map(([key, value]) => [key, build(value, reentry)]))
  return wrapObject(entries, spec.wrap, spec.throwingKey, reentry)
}

// --- arbitraries ---------------------------------------------------------------------------------

const surrogateText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
    fc.constantFrom('a', ' ', 'é', '😀', 'API Error: 429', 'timeout'),
  ),
  maxLength: 40,
})
const anyText = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), surrogateText)
const leaf: fc.Arbitrary<Spec> = fc.constantFrom(...LEAF_KINDS).map((kind) => ({ leaf: kind }))
const primitive: fc.Arbitrary<Spec> = fc.oneof(
  anyText.map((text) => ({ text })),
  fc.double().map((number) => ({ number })),
  fc.boolean().map((bool) => ({ bool })),
)

/**
 * An object with some of `keys` (realistic values from `realistic`, or hostile ones) and maybe a
 * stray key, wrapped in one of the hostile ways.
 */
function shaped(keys: string[], realistic: (key: string) => fc.Arbitrary<Spec>, depth = 2): fc.Arbitrary<Spec> {
  const value = (key: string): fc.Arbitrary<Spec> =>
    depth > 0
      ? fc.oneof(
          { weight: 3, arbitrary: realistic(key) },
          { weight: 2, arbitrary: leaf },
          { weight: 1, arbitrary: primitive },
          { weight: 1, arbitrary: shaped(keys, realistic, depth - 1) },
        )
      : fc.oneof(realistic(key), leaf, primitive)
  const record = Object.fromEntries(keys.map((key) => [key, value(key)]))
  return fc
    .record({
      object: fc.record(record, { requiredKeys: [] }),
      stray: fc.option(fc.tuple(fc.string({ maxLength: 12 }), primitive), { nil: undefined }),
      wrap: fc.oneof({ weight: 4, arbitrary: fc.constant<Wrap>('plain') }, fc.constantFrom(...WRAPS)),
      throwingKey: fc.option(fc.constantFrom(...keys), { nil: undefined }),
    })
    .map(({ object, stray, wrap, throwingKey }): Spec => {
      const entries: Record<string, Spec> = { ...(object as Record<string, Spec>) }
      if (stray) entries[stray[0]] = stray[1]
      return { object: entries, wrap, throwingKey }
    })
}

const hostile = (shape: fc.Arbitrary<Spec>): fc.Arbitrary<Spec> =>
  fc.oneof({ weight: 4, arbitrary: shape }, { weight: 2, arbitrary: leaf }, { weight: 1, arbitrary: primitive })

const text = (...values: string[]): fc.Arbitrary<Spec> =>
  fc.oneof(fc.constantFrom(...values), anyText).map((value) => ({ text: value }))

const resultSpec = shaped(['type', 'subtype', 'is_error', 'result', 'errors'], (key) => {
  switch (key) {
    case 'type':
      return fc.constant({ text: 'result' })
    case 'subtype':
      return text('success', 'error_during_execution', 'error_max_turns', 'error_max_budget_usd')
    case 'is_error':
      return fc.boolean().map((bool) => ({ bool }))
    case 'errors':
      return fc.array(fc.oneof(text('Claude AI usage limit reached|1755615600', `Bearer ${HOSTILE_TOKEN}`), leaf), {
        maxLength: 4,
      }).map((array) => ({ array }))
    default:
      return fc.oneof(
        text('API Error: 529 {"type":"error","error":{"type":"overloaded_error"}}', `token ${HOSTILE_TOKEN}`),
        fc.constantFrom<Spec>({ leaf: 'huge1MB' }, { leaf: 'hugeSurrogates' }),
      )
  }
})

const sessionSpec = shaped(['id', 'createdAt', 'issueContext', 'issueId', 'issue', 'agentRunner'], (key) => {
  switch (key) {
    case 'id':
      return text('session-1', '')
    case 'createdAt':
      return fc.oneof(fc.double(), fc.constant(Date.now() - 61_000)).map((number) => ({ number }))
    case 'issueContext':
      return shaped(['issueId', 'issueIdentifier'], () => text('issue-uuid', 'CYPACK-951'), 0)
    case 'issue':
      return shaped(['identifier'], () => text('CYPACK-951'), 0)
    case 'agentRunner':
      return fc.constant<Spec>({ leaf: 'circular' })
    default:
      return text('issue-uuid')
  }
})

const reportOptionsSpec = shaped(['stopRequested', 'sessionId'], (key) =>
  key === 'stopRequested' ? fc.boolean().map((bool) => ({ bool })) : text('session-from-options', ''),
)

/** Header names in the case variants Node, Fastify and proxies produce. */
const headerNames = [TOKEN_HEADER, URL_HEADER, TEAM_HEADER].flatMap((name) => [
  name,
  name.toUpperCase(),
  name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()),
])
const headerValue = (key: string): fc.Arbitrary<Spec> => {
  const lower = key.toLowerCase()
  const realistic =
    lower === TOKEN_HEADER || key === 'callbackToken'
      ? text(HOSTILE_TOKEN, ` ${HOSTILE_TOKEN} `, `${HOSTILE_TOKEN}\r\nX-Evil: 1`, `${HOSTILE_TOKEN}, other`)
      : lower === URL_HEADER || key === 'callbackUrl'
        ? text(...CALLBACK_URLS)
        : text('team-1', 'team-1, team-2', 'team\u0000', '  ')
  return fc.oneof(
    { weight: 3, arbitrary: realistic },
    { weight: 1, arbitrary: fc.array(realistic, { maxLength: 3 }).map((array): Spec => ({ array })) },
  )
}
const headersSpec = shaped([...headerNames, 'host', 'callbackToken', 'callbackUrl', 'teamId'], headerValue, 1)

const optionsSpec = shaped(OPTION_NAMES, (key) => {
  switch (key) {
    case 'logger':
      return fc.oneof(
        fc.constantFrom<Spec>({ leaf: 'throwingFunction' }, { leaf: 'function' }, { leaf: 'asyncFunction' }),
        shaped(['debug', 'info', 'warn', 'error'], () => fc.constantFrom<Spec>({ leaf: 'throwingFunction' }, { leaf: 'function' }), 0),
      )
    case 'logLevel':
      return text('debug', 'SILENT', 'verbose', '')
    case 'allowedHosts':
      return fc.array(text('*.cyrus.app', 'cyrus.app', '127.0.0.1', '*', ''), { maxLength: 3 }).map((array) => ({ array }))
    case 'disabled':
      return fc.boolean().map((bool) => ({ bool }))
    case 'extraCaCerts':
      return text('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n', '')
    case 'spoolDir':
      // Only folders inside this test's temporary directory: a hostile path must not litter the repo.
      return fc.constantFrom<Spec>({ text: spoolRoot() }, { text: join(spoolRoot(), 'nested', 'deeper') }, { text: '   ' })
    default:
      return fc
        .oneof(fc.integer({ min: -2, max: 2_000_000 }), fc.double(), fc.constantFrom(1, 0, -0, 0.5, 2 ** 53))
        .map((number) => ({ number }))
  }
})

const timeoutSpec: fc.Arbitrary<Spec> = fc.oneof(leaf, primitive, fc.constantFrom<Spec>({ number: 0 }, { number: -1 }, { number: 1e300 }))


// ---------------------------------------------------------------------------------------------
// Assertions on what comes back

const quiet = () => {}
const reporters: TelemetryReporter[] = []
const track = <T extends TelemetryReporter>(reporter: T) => {
  reporters.push(reporter)
  return reporter
}

/** Calls `call`; a throw becomes a failed assertion carrying the thrown value. */
function returns<T>(what: string, call: () => T): T {
  try {
    return call()
  } catch (error) {
    throw new Error(`${what} threw: ${String(error)}`)
  }
}

/** `secret`: a token the classifier was given (a captured context), which must be scrubbed. */
function expectClassification(value: unknown, secret?: string) {
  if (value === null) return
  const classification = value as Record<string, unknown>
  expect(ERROR_TYPES).toContain(classification.errorType)
  expect(classification.errorDetail).toMatch(/^[a-z0-9_]+$/)
  const message = classification.errorMessage as string
  expect(typeof message).toBe('string')
  expect(isWellFormed(message), 'message has a lone surrogate').toBe(true)
  expect(codePoints(message)).toBeLessThanOrEqual(500)
  if (secret !== undefined) expect(message).not.toContain(secret)
  if (classification.resetsAt !== undefined) expect(classification.resetsAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
}

function expectOutcome(value: unknown) {
  const outcome = value as Record<string, unknown>
  expect(OUTCOMES).toContain(outcome.outcome)
  if (outcome.outcome === 'held' || outcome.outcome === 'queued') {
    expect(outcome.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(ERROR_TYPES).toContain(outcome.errorType)
  }
  if (outcome.reason !== undefined) {
    expect(typeof outcome.reason).toBe('string')
    expect(outcome.reason).not.toContain(HOSTILE_TOKEN)
  }
}

function expectStatsInvariant(stats: ReturnType<typeof telemetry.stats>) {
  expect(stats.reported).toBe(stats.queued + stats.held + stats.droppedQueueFull + stats.droppedHeldOverflow)
  expect(JSON.stringify(stats)).not.toContain(HOSTILE_TOKEN)
}

function expectSetResult(value: unknown) {
  const result = value as Record<string, unknown>
  expect(STATUSES).toContain(result.status)
  if (result.status === 'rejected') expect(typeof result.reason).toBe('string')
  if (result.reason !== undefined) expect(result.reason).not.toContain(HOSTILE_TOKEN)
}

function expectExtracted(value: unknown) {
  if (value === null) return
  const context = value as Record<string, unknown>
  for (const key of ['callbackToken', 'callbackUrl', 'teamId']) {
    expect(typeof context[key]).toBe('string')
    expect((context[key] as string).length).toBeGreaterThan(0)
  }
}

/** Only a TypeError naming an option (or "options") may come out of the constructor and configure. */
function expectOptionError(error: unknown) {
  expect(error, String(error)).toBeInstanceOf(TypeError)
  const named = [...OPTION_NAMES, 'options'].some((name) => (error as TypeError).message.includes(`\`${name}\``))
  expect(named, (error as TypeError).message).toBe(true)
}

async function expectSettles(what: string, promise: unknown) {
  expect(promise, `${what} returns a promise`).toBeInstanceOf(Promise)
  const result = (await (promise as Promise<unknown>).catch((error: unknown) => {
    throw new Error(`${what} rejected: ${String(error)}`)
  })) as Record<string, unknown>
  expect(typeof result.completed).toBe('boolean')
  expect(Number.isInteger(result.pending)).toBe(true)
}

// ---------------------------------------------------------------------------------------------

describe('hostile input', () => {
  // No context and never disabled: each error runs the whole classification path and is held.
  let held: TelemetryReporter
  const reentry: Reentry = () => {
    held.stats()
    held.classifySessionError({ subtype: 'error_during_execution', result: 'reentrant' })
    held.reportSessionError({ id: 'reentrant' }, { subtype: 'error_during_execution', is_error: true })
    telemetry.stats()
  }

  beforeAll(() => {
    fc.configureGlobal({ seed: SEED, numRuns: RUNS, endOnFailure: true })
    held = track(new TelemetryReporter({ logger: quiet, disabled: false, heldCapacity: 64 }))
    telemetry.configure({ logger: quiet, disabled: false, heldCapacity: 64 })
  })

  afterAll(async () => {
    await Promise.all(reporters.map((reporter) => reporter.shutdown(0)))
    await telemetry.shutdown(0)
    rmSync(spoolRoot(), { recursive: true, force: true })
  })

  it('reportSessionError returns an outcome for any session, result and options', () => {
    fc.assert(
      fc.property(hostile(sessionSpec), hostile(resultSpec), fc.option(hostile(reportOptionsSpec), { nil: undefined }), (session, result, options) => {
        const args = () => [build(session, reentry), build(result, reentry), options && build(options, reentry)] as const
        expectOutcome(returns('reporter.reportSessionError', () => held.reportSessionError(...(args() as [any, any, any]))))
        expectStatsInvariant(held.stats())
        expectOutcome(returns('reportSessionError', () => telemetry.reportSessionError(...(args() as [any, any, any]))))
        expectStatsInvariant(telemetry.stats())
      }),
    )
    expect(held.stats().reported, 'the classification path ran').toBeGreaterThan(0)
  })

  it('classifySessionError returns null or a well-formed classification for any result', () => {
    // A captured token is scrubbed from every message; the closed port means nothing is sent
    // (and classifying never queues anything anyway).
    const withToken = track(new TelemetryReporter({ logger: quiet, disabled: false }))
    expect(withToken.setCallbackContext({ callbackToken: HOSTILE_TOKEN, callbackUrl: CALLBACK_URLS[0], teamId: 'team-1' }).status).toBe('set')
    fc.assert(
      fc.property(hostile(resultSpec), fc.option(hostile(reportOptionsSpec), { nil: undefined }), (result, options) => {
        const args = () => [build(result, reentry), options && build(options, reentry)] as [any, any]
        expectClassification(returns('reporter.classifySessionError', () => held.classifySessionError(...args())))
        expectClassification(returns('classifySessionError', () => telemetry.classifySessionError(...args())))
        expectClassification(returns('reporter.classifySessionError', () => withToken.classifySessionError(...args())), HOSTILE_TOKEN)
      }),
    )
    expect(withToken.stats().queued).toBe(0)
  })

  it('setCallbackContext and extractCallbackContext return a status for any headers', () => {
    const contexts = track(new TelemetryReporter({ logger: quiet, disabled: false }))
    fc.assert(
      fc.property(hostile(headersSpec), (headers) => {
        expectSetResult(returns('reporter.setCallbackContext', () => contexts.setCallbackContext(build(headers, reentry) as any)))
        expectSetResult(returns('setCallbackContext', () => telemetry.setCallbackContext(build(headers, reentry) as any)))
        expectExtracted(returns('extractCallbackContext', () => telemetry.extractCallbackContext(build(headers, reentry) as any)))
        expect(JSON.stringify(contexts.stats())).not.toContain(HOSTILE_TOKEN)
      }),
    )
  })

  it('the constructor and configure accept good options or throw a TypeError naming the option', () => {
    fc.assert(
      fc.property(hostile(optionsSpec), (options) => {
        let reporter: TelemetryReporter | undefined
        try {
          reporter = track(new TelemetryReporter(build(options, reentry) as any))
        } catch (error) {
          expectOptionError(error)
        }
        if (reporter) {
          expect(reporter).toBeInstanceOf(TelemetryReporter)
          // A reporter built from hostile options (throwing logger included) still works. No
          // callback headers log a debug line: it reaches a hostile logger, and the default
          // stderr logger drops it.
          expectSetResult(reporter.setCallbackContext({}))
          expectOutcome(reporter.reportSessionError({ id: 's' }, { subtype: 'error_during_execution', is_error: true }))
        }
        try {
          telemetry.configure(build(options, reentry) as any)
        } catch (error) {
          expectOptionError(error)
        }
      }),
      { numRuns: 150 },
    )
    telemetry.configure({ logger: quiet, disabled: false })
  })

  it('stats, flush and shutdown never throw and their promises never reject, whatever the timeout', async () => {
    await fc.assert(
      fc.asyncProperty(timeoutSpec, async (timeout) => {
        const reporter = track(new TelemetryReporter({ logger: quiet }))
        const value = () => build(timeout, reentry) as any
        const stats = telemetry.stats as (...args: unknown[]) => ReturnType<typeof telemetry.stats>
        expectStatsInvariant(returns('stats', () => stats(value())))
        await expectSettles('flush', returns('flush', () => telemetry.flush(value())))
        await expectSettles('reporter.flush', returns('reporter.flush', () => reporter.flush(value())))
        await expectSettles('reporter.shutdown', returns('reporter.shutdown', () => reporter.shutdown(value())))
      }),
      { numRuns: 100 },
    )
  })

  it('module-level shutdown settles with a hostile timeout, and configure starts afresh after it', async () => {
    for (const kind of ['symbol', 'bigint', 'trapsThrowProxy', 'NaN'] as const) {
      await expectSettles(`shutdown(${kind})`, returns(`shutdown(${kind})`, () => telemetry.shutdown(buildLeaf(kind) as any)))
      telemetry.configure({ logger: quiet, disabled: false })
      expect(telemetry.stats().reported).toBe(0)
    }
  })

  it('the constructor called without `new` throws only a TypeError', () => {
    const existing = track(new TelemetryReporter({ logger: quiet }))
    for (const receiver of [existing, Object.freeze({}), {}]) {
      try {
        ;(TelemetryReporter as unknown as (this: unknown, options: unknown) => unknown).call(receiver, { logger: quiet })
      } catch (error) {
        expect(error, String(error)).toBeInstanceOf(TypeError)
      }
    }
  })

  it('lone surrogates in a result become a well-formed message', () => {
    const lone = { subtype: 'error_during_execution', is_error: true, result: 'a\uD800b \uDFFF c \uD83D', errors: ['x\uDC00y'] }
    for (const classify of [telemetry.classifySessionError, held.classifySessionError.bind(held)]) {
      const classification = classify(lone)!
      expect(isWellFormed(classification.errorMessage)).toBe(true)
      expect(classification.errorMessage).toContain('x')
      const fromResult = classify({ ...lone, errors: [] })!
      expect(isWellFormed(fromResult.errorMessage)).toBe(true)
      expect(fromResult.errorMessage.startsWith('a')).toBe(true)
    }
    fc.assert(
      fc.property(surrogateText, fc.array(surrogateText, { maxLength: 3 }), (result, errors) => {
        expectClassification(held.classifySessionError({ subtype: 'error_during_execution', is_error: true, result, errors }))
      }),
    )
  })
})

// Found by the soak (soak/soak.mjs): with a few percent of 5xx/429 answers, delivery throughput
// collapsed and the queue overflowed, because an event waiting out its backoff kept its
// connection slot. README, "Behaviour", bounds requests in flight, not events waiting to retry.
describe('a faulty endpoint', () => {
  it('an event waiting to retry does not hold a connection slot', async () => {
    const receiver = await startReceiver({ script: (index) => (index === 0 ? respond(503) : respond(200)) })
    // One slot, and a backoff (≥ 4 s with jitter) far longer than the window the second event gets.
    const reporter = new TelemetryReporter({ logger: quiet, maxConcurrency: 1, backoffBaseMs: 5000, requestTimeoutMs: 2000 })
    try {
      reporter.setCallbackContext({ callbackToken: HOSTILE_TOKEN, callbackUrl: receiver.url, teamId: 'team-1' })
      const failing = { subtype: 'error_during_execution', is_error: true, errors: ['first'] }
      const first = reporter.reportSessionError({ id: 'first' }, failing)
      await receiver.waitForRequests(1)
      const second = reporter.reportSessionError({ id: 'second' }, { ...failing, errors: ['second'] })
      const requests = await receiver.waitForRequests(2, 2000)
      expect(requests[1].headers['idempotency-key']).toBe(second.eventId)
      expect(first.eventId).not.toBe(second.eventId)
    } finally {
      await reporter.shutdown(0)
      await receiver.close()
    }
  })
})

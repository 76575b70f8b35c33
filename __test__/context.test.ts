// The callback context as JavaScript sees it (README, "API" and "Behaviour"): every header rule, the capture order,
// hostile input that must never throw, and the token never leaking into reasons, stats or logs.
import {
  TelemetryReporter,
  configure,
  extractCallbackContext,
  setCallbackContext,
  shutdown,
  stats,
  type TelemetryOptions,
} from 'cyrus-telemetry'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  CALLBACK_URL,
  LINEAR_WEBHOOK_HEADERS,
  OTHER_TEAM,
  ROTATED_TOKEN,
  TEAM,
  TEAM_HEADER,
  TOKEN,
  TOKEN_HEADER,
  URL_HEADER,
  callbackHeaders,
  explicitContext,
  without,
} from './helpers/headers'
import { recordLogs } from './helpers/log-recorder'
import { startReceiver, type Receiver } from './helpers/receiver'

const quiet: TelemetryOptions = { logger: () => {} }
const newReporter = (options: TelemetryOptions = {}) => new TelemetryReporter({ ...quiet, ...options })

const errorResult = {
  type: 'result',
  subtype: 'error_during_execution',
  is_error: true,
  errors: ['boom'],
}

type Status = 'set' | 'unchanged' | 'rotated' | 'absent' | 'rejected'

interface HeaderCase {
  name: string
  input: unknown
  options?: TelemetryOptions
  status: 'set' | 'absent' | 'rejected'
  /** For `rejected`: fragments the reason must contain (the header(s) at fault, the rule). */
  reason?: (string | RegExp)[]
  /** For `rejected`: header names the reason must not blame. */
  notBlamed?: string[]
  /**
   * Whether the structural rules pass, so `extractCallbackContext` returns the values even
   * though `setCallbackContext` may still refuse them (URL, character and length rules).
   */
  structural: boolean
  /** The token of this case, which must never appear in a reason. */
  token?: string
}

const accepted = (name: string, input: unknown, options?: TelemetryOptions): HeaderCase => ({
  name,
  input,
  options,
  status: 'set',
  structural: true,
})
const absent = (name: string, input: unknown): HeaderCase => ({ name, input, status: 'absent', structural: false })
/** Refused by the structural rules (missing, ambiguous, not text): extraction gives null too. */
const malformed = (name: string, input: unknown, reason: (string | RegExp)[], notBlamed: string[] = []): HeaderCase => ({
  name,
  input,
  status: 'rejected',
  reason,
  notBlamed,
  structural: false,
})
/** Structurally complete but refused by a URL, character or length rule. */
const invalid = (
  name: string,
  input: unknown,
  reason: (string | RegExp)[],
  extra: Partial<HeaderCase> = {},
): HeaderCase => ({ name, input, status: 'rejected', reason, structural: true, ...extra })

const full = callbackHeaders()
const withUrl = (url: string) => callbackHeaders({ url })
const longToken = `${TOKEN}${'x'.repeat(4096 - TOKEN.length + 1)}`
const maxToken = `${TOKEN}${'x'.repeat(4096 - TOKEN.length)}`

const headerCases: HeaderCase[] = [
  // Presence: all three, none, some.
  accepted('all three headers', full),
  absent('no headers at all', {}),
  absent('only a webhook’s own headers (self-hosted)', LINEAR_WEBHOOK_HEADERS),
  malformed('token only', { [TOKEN_HEADER]: TOKEN }, [URL_HEADER, TEAM_HEADER], [TOKEN_HEADER]),
  malformed('url only', { [URL_HEADER]: CALLBACK_URL }, [TOKEN_HEADER, TEAM_HEADER], [URL_HEADER]),
  malformed('team only', { [TEAM_HEADER]: TEAM }, [TOKEN_HEADER, URL_HEADER], [TEAM_HEADER]),
  malformed('team missing', without(full, TEAM_HEADER), [TEAM_HEADER], [TOKEN_HEADER, URL_HEADER]),
  malformed('url missing', without(full, URL_HEADER), [URL_HEADER], [TOKEN_HEADER, TEAM_HEADER]),
  malformed('token missing', { ...LINEAR_WEBHOOK_HEADERS, ...without(full, TOKEN_HEADER) }, [TOKEN_HEADER], [
    URL_HEADER,
    TEAM_HEADER,
  ]),
  // Empty after trimming counts as missing.
  malformed('team empty', { ...full, [TEAM_HEADER]: '' }, [TEAM_HEADER], [TOKEN_HEADER, URL_HEADER]),
  malformed('token only whitespace', { ...full, [TOKEN_HEADER]: ' \t ' }, [TOKEN_HEADER], [URL_HEADER, TEAM_HEADER]),
  malformed('url empty, team spaces', { ...full, [URL_HEADER]: '', [TEAM_HEADER]: '   ' }, [URL_HEADER, TEAM_HEADER], [
    TOKEN_HEADER,
  ]),
  absent('all three empty after trimming', { [TOKEN_HEADER]: ' ', [URL_HEADER]: '', [TEAM_HEADER]: '\t' }),
  // Header names are case-insensitive.
  accepted('mixed-case names', {
    'X-Cyrus-Callback-Token': TOKEN,
    'X-CYRUS-CALLBACK-URL': CALLBACK_URL,
    'x-Cyrus-TEAM-id': TEAM,
  }),
  malformed('mixed-case token only', { 'X-Cyrus-Callback-Token': TOKEN }, [URL_HEADER, TEAM_HEADER]),
  accepted('same header under two casings, same value', { ...full, 'X-Cyrus-Team-Id': TEAM }),
  malformed('same header under two casings, different values', { ...full, 'X-Cyrus-Team-Id': OTHER_TEAM }, [
    TEAM_HEADER,
    /different values/,
  ]),
  // string[] values.
  accepted('repeated header with one value', { ...full, [TEAM_HEADER]: [TEAM, TEAM] }),
  accepted('repeated header differing only in surrounding spaces', { ...full, [TOKEN_HEADER]: [TOKEN, ` ${TOKEN} `] }),
  malformed('repeated header with different values', { ...full, [TEAM_HEADER]: [TEAM, OTHER_TEAM] }, [
    TEAM_HEADER,
    /different values/,
  ]),
  malformed('repeated token with different values', { ...full, [TOKEN_HEADER]: [TOKEN, ROTATED_TOKEN] }, [
    TOKEN_HEADER,
    /different values/,
  ]),
  malformed('empty array counts as missing', { ...full, [URL_HEADER]: [] }, [URL_HEADER]),
  accepted('single-element array', { ...full, [URL_HEADER]: [CALLBACK_URL] }),
  // Trimming.
  accepted('values surrounded by whitespace', {
    [TOKEN_HEADER]: `  ${TOKEN}\t`,
    [URL_HEADER]: ` ${CALLBACK_URL} `,
    [TEAM_HEADER]: `\t${TEAM}  `,
  }),
  // URL scheme and host rules.
  accepted('https with port and query', withUrl('https://cyhost.example:8443/cb?source=edge')),
  invalid('http to a public host', withUrl('http://cyhost.example/cb'), [URL_HEADER, /https/]),
  accepted('http to localhost', withUrl('http://localhost:3000/cb')),
  accepted('http to LOCALHOST', withUrl('http://LOCALHOST:3000/cb')),
  accepted('http to 127.0.0.1', withUrl('http://127.0.0.1:3000/cb')),
  accepted('http to 127.45.6.7', withUrl('http://127.45.6.7/cb')),
  accepted('http to [::1]', withUrl('http://[::1]:8080/cb')),
  invalid('http to 128.0.0.1', withUrl('http://128.0.0.1/cb'), [URL_HEADER, /https/]),
  invalid('http to 10.0.0.1', withUrl('http://10.0.0.1/cb'), [URL_HEADER, /https/]),
  invalid('http to localhost.evil.example', withUrl('http://localhost.evil.example/cb'), [URL_HEADER, /https/]),
  invalid('http to [::2]', withUrl('http://[::2]/cb'), [URL_HEADER, /https/]),
  invalid('ftp scheme', withUrl('ftp://cyhost.example/cb'), [URL_HEADER, /https/]),
  invalid('javascript: scheme', withUrl('javascript:alert(1)'), [URL_HEADER]),
  invalid('relative URL', withUrl('/telemetry/callback'), [URL_HEADER]),
  invalid('not a URL', withUrl('callback please'), [URL_HEADER]),
  invalid('user and password in the URL', withUrl('https://user:hunter2@cyhost.example/cb'), [URL_HEADER, /user ?info/i]),
  invalid('user name in the URL', withUrl('https://edge@cyhost.example/cb'), [URL_HEADER, /user ?info/i]),
  // allowedHosts.
  accepted('allowedHosts exact host', withUrl('https://cyhost.example/cb'), { allowedHosts: ['cyhost.example'] }),
  accepted('allowedHosts exact host, other case', withUrl('https://CyHost.Example/cb'), { allowedHosts: ['cyhost.example'] }),
  invalid('allowedHosts exact host, other host', withUrl('https://other.example/cb'), [URL_HEADER, /allowedHosts/], {
    options: { allowedHosts: ['cyhost.example'] },
  }),
  accepted('*.cyrus.app allows a.cyrus.app', withUrl('https://a.cyrus.app/cb'), { allowedHosts: ['*.cyrus.app'] }),
  accepted('*.cyrus.app allows a.b.cyrus.app', withUrl('https://a.b.cyrus.app/cb'), { allowedHosts: ['*.cyrus.app'] }),
  invalid('*.cyrus.app refuses the apex cyrus.app', withUrl('https://cyrus.app/cb'), [URL_HEADER, /allowedHosts/], {
    options: { allowedHosts: ['*.cyrus.app'] },
  }),
  invalid('*.cyrus.app refuses evilcyrus.app', withUrl('https://evilcyrus.app/cb'), [URL_HEADER, /allowedHosts/], {
    options: { allowedHosts: ['*.cyrus.app'] },
  }),
  invalid('*.cyrus.app refuses cyrus.app.evil.example', withUrl('https://cyrus.app.evil.example/cb'), [URL_HEADER], {
    options: { allowedHosts: ['*.cyrus.app'] },
  }),
  accepted('the apex when listed separately', withUrl('https://cyrus.app/cb'), {
    allowedHosts: ['*.cyrus.app', 'cyrus.app'],
  }),
  accepted('allowedHosts with a loopback IP', withUrl('http://127.0.0.1:9/cb'), { allowedHosts: ['127.0.0.1'] }),
  invalid('allowedHosts still requires https', withUrl('http://a.cyrus.app/cb'), [URL_HEADER, /https/], {
    options: { allowedHosts: ['*.cyrus.app'] },
  }),
  // Control characters and lengths.
  invalid('CR inside the token', callbackHeaders({ token: `${TOKEN}\rX` }), [TOKEN_HEADER], { token: `${TOKEN}\rX` }),
  invalid('LF inside the token', callbackHeaders({ token: `${TOKEN}\nX-Injected: 1` }), [TOKEN_HEADER], {
    token: `${TOKEN}\nX-Injected: 1`,
  }),
  invalid('NUL inside the token', callbackHeaders({ token: `${TOKEN}\0` }), [TOKEN_HEADER], { token: `${TOKEN}\0` }),
  invalid('CR inside the team', callbackHeaders({ team: `${TEAM}\rX` }), [TEAM_HEADER, /control/]),
  invalid('LF inside the team', callbackHeaders({ team: `${TEAM}\nX` }), [TEAM_HEADER, /control/]),
  invalid('NUL inside the team', callbackHeaders({ team: `${TEAM}\0x` }), [TEAM_HEADER, /control/]),
  invalid('CRLF inside the URL', withUrl(`${CALLBACK_URL}\r\nX-Evil: 1`), [URL_HEADER]),
  invalid('NUL inside the URL', withUrl(`${CALLBACK_URL}\0x`), [URL_HEADER]),
  invalid('tab inside the URL', withUrl('https://cyhost.example/c\tb'), [URL_HEADER]),
  accepted('token of exactly 4096 bytes', callbackHeaders({ token: maxToken })),
  invalid('token of 4097 bytes', callbackHeaders({ token: longToken }), [TOKEN_HEADER, /4096/], { token: longToken }),
  accepted('team of exactly 256 characters', callbackHeaders({ team: 't'.repeat(256) })),
  invalid('team of 257 characters', callbackHeaders({ team: 't'.repeat(257) }), [TEAM_HEADER, /256/]),
  accepted('team with non-ASCII letters', callbackHeaders({ team: 'équipe-ü' })),
  // Values that are not strings.
  malformed('number as a value', { ...full, [TEAM_HEADER]: 42 }, [TEAM_HEADER]),
  malformed('object as a value', { ...full, [URL_HEADER]: { href: CALLBACK_URL } }, [URL_HEADER]),
  malformed('Symbol as a value', { ...full, [TOKEN_HEADER]: Symbol(TOKEN) }, [TOKEN_HEADER]),
  malformed('array holding a number', { ...full, [TEAM_HEADER]: [TEAM, 7] }, [TEAM_HEADER]),
  malformed('boolean as a value', { ...full, [TEAM_HEADER]: true }, [TEAM_HEADER]),
  // The explicit form.
  accepted('explicit { callbackToken, callbackUrl, teamId }', explicitContext()),
  accepted('explicit form, trimmed', explicitContext({ token: ` ${TOKEN} `, team: ` ${TEAM}\t` })),
  malformed('explicit form without teamId', without(explicitContext(), 'teamId'), [TEAM_HEADER]),
  invalid('explicit form with an http public URL', explicitContext({ url: 'http://cyhost.example/cb' }), [URL_HEADER]),
  invalid('explicit form with a LF in the team', explicitContext({ team: 'a\nb' }), [TEAM_HEADER]),
]

describe('setCallbackContext header rules (fresh reporter per case)', () => {
  it.each(headerCases)('$name → $status', (testCase) => {
    const result = newReporter(testCase.options).setCallbackContext(testCase.input as never)
    expect(result.status).toBe(testCase.status)
    if (testCase.status !== 'rejected') {
      expect(result.reason).toBeUndefined()
      return
    }
    expect(typeof result.reason).toBe('string')
    for (const fragment of testCase.reason ?? []) expect(result.reason).toMatch(fragment)
    for (const name of testCase.notBlamed ?? []) expect(result.reason).not.toContain(name)
    expect(result.reason).not.toContain(testCase.token ?? TOKEN)
  })
})

describe('extractCallbackContext', () => {
  it.each(headerCases)('$name → values only when structurally complete', (testCase) => {
    const extracted = extractCallbackContext(testCase.input as never)
    if (!testCase.structural) {
      expect(extracted).toBeNull()
      return
    }
    expect(extracted).not.toBeNull()
    for (const value of Object.values(extracted!)) {
      expect(value).toBe(value.trim())
      expect(value.length).toBeGreaterThan(0)
    }
  })

  it('returns the trimmed values under their field names', () => {
    expect(
      extractCallbackContext({
        'X-Cyrus-Callback-Token': `  ${TOKEN} `,
        [URL_HEADER]: [` ${CALLBACK_URL}`, CALLBACK_URL],
        [TEAM_HEADER]: `${TEAM}\t`,
        ...LINEAR_WEBHOOK_HEADERS,
      }),
    ).toEqual({ callbackToken: TOKEN, callbackUrl: CALLBACK_URL, teamId: TEAM })
  })

  it('applies no URL, character or length rule (setCallbackContext does)', () => {
    const headers = callbackHeaders({ url: 'http://cyhost.example/cb', team: 't'.repeat(300) })
    expect(extractCallbackContext(headers)).toEqual({
      callbackToken: TOKEN,
      callbackUrl: 'http://cyhost.example/cb',
      teamId: 't'.repeat(300),
    })
  })

  it('accepts the explicit form and is pure (no context is captured)', () => {
    expect(extractCallbackContext(explicitContext())).toEqual(explicitContext())
    const reporter = newReporter()
    extractCallbackContext(callbackHeaders())
    expect(reporter.setCallbackContext(callbackHeaders()).status).toBe('set')
  })
})

describe('hostile input never throws', () => {
  const throwingGetter = { ...callbackHeaders() }
  Object.defineProperty(throwingGetter, TEAM_HEADER, {
    enumerable: true,
    get() {
      throw new Error('getter exploded')
    },
  })
  const boom = () => {
    throw new Error('trap exploded')
  }
  const hugeHeaders: Record<string, string> = {}
  for (let index = 0; index < 20_000; index++) hugeHeaders[`x-filler-${index}`] = 'v'
  Object.assign(hugeHeaders, callbackHeaders())

  const nullPrototype = (entries: Record<string, unknown>) => Object.assign(Object.create(null), entries)

  const inputs: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['NaN', Number.NaN],
    ['a string', `${TOKEN_HEADER}: ${TOKEN}`],
    ['a boolean', true],
    ['a Symbol', Symbol('headers')],
    ['a bigint', 10n],
    ['a function', () => callbackHeaders()],
    ['an array of header objects', [callbackHeaders()]],
    ['an array of raw header pairs', [TOKEN_HEADER, TOKEN, URL_HEADER, CALLBACK_URL, TEAM_HEADER, TEAM]],
    ['a getter that throws', throwingGetter],
    ['a Proxy whose every trap throws', new Proxy({}, { ownKeys: boom, get: boom, getOwnPropertyDescriptor: boom, has: boom })],
    ['a Proxy over valid headers whose get trap throws', new Proxy(callbackHeaders(), { get: boom })],
    [
      'a Proxy over valid headers whose getOwnPropertyDescriptor trap throws',
      new Proxy(callbackHeaders(), { getOwnPropertyDescriptor: boom }),
    ],
    ['a revoked Proxy', (() => {
      const { proxy, revoke } = Proxy.revocable(callbackHeaders(), {})
      revoke()
      return proxy
    })()],
    ['20,000 header keys', hugeHeaders],
    ['a Date', new Date()],
    ['a Map holding the headers', new Map(Object.entries(callbackHeaders()))],
    ['a header value that is a Proxy', { ...callbackHeaders(), [TEAM_HEADER]: new Proxy([TEAM], { get: boom }) }],
  ]

  it.each(inputs)('%s → absent or rejected with a reason', (_name, input) => {
    let result: ReturnType<TelemetryReporter['setCallbackContext']> | undefined
    expect(() => {
      result = newReporter().setCallbackContext(input as never)
    }).not.toThrow()
    expect(['absent', 'rejected']).toContain(result!.status)
    if (result!.status === 'rejected') {
      expect(result!.reason).toEqual(expect.any(String))
      expect(result!.reason).not.toContain(TOKEN)
    }
    expect(() => extractCallbackContext(input as never)).not.toThrow()
  })

  it('a huge header object is rejected, naming the reason', () => {
    const result = newReporter().setCallbackContext(hugeHeaders)
    expect(result.status).toBe('rejected')
    expect(result.reason).toMatch(/keys/)
  })

  // A read limit on long arrays must not turn an ambiguous header into an accepted one.
  it('a 20,001-value header whose last value differs is rejected, not truncated', () => {
    const values = [...new Array<string>(20_000).fill(TEAM), OTHER_TEAM]
    const result = newReporter().setCallbackContext({ ...callbackHeaders(), [TEAM_HEADER]: values })
    expect(result.status).toBe('rejected')
    expect(extractCallbackContext({ ...callbackHeaders(), [TEAM_HEADER]: values })).toBeNull()
  })

  it('a null-prototype headers object (like Node’s headersDistinct) works', () => {
    expect(newReporter().setCallbackContext(nullPrototype(callbackHeaders())).status).toBe('set')
    expect(newReporter().setCallbackContext(nullPrototype({})).status).toBe('absent')
    expect(extractCallbackContext(nullPrototype(callbackHeaders()))).toEqual(explicitContext())
  })

  it('a rejected hostile input leaves the captured context in place', () => {
    const reporter = newReporter()
    expect(reporter.setCallbackContext(callbackHeaders()).status).toBe('set')
    for (const [, input] of inputs) reporter.setCallbackContext(input as never)
    expect(reporter.setCallbackContext(callbackHeaders()).status).toBe('unchanged')
  })
})

describe('capture order', () => {
  const statuses = (reporter: TelemetryReporter, inputs: unknown[]): Status[] =>
    inputs.map((input) => reporter.setCallbackContext(input as never).status)

  it('first set, then the same again is unchanged', () => {
    expect(statuses(newReporter(), [callbackHeaders(), callbackHeaders(), callbackHeaders()])).toEqual([
      'set',
      'unchanged',
      'unchanged',
    ])
  })

  it('the same context in another shape (casing, spacing, explicit form) is unchanged', () => {
    const reporter = newReporter()
    expect(reporter.setCallbackContext(callbackHeaders()).status).toBe('set')
    expect(
      statuses(reporter, [
        explicitContext(),
        { 'X-Cyrus-Callback-Token': ` ${TOKEN}`, 'X-Cyrus-Callback-Url': CALLBACK_URL, 'X-Cyrus-Team-Id': [TEAM] },
      ]),
    ).toEqual(['unchanged', 'unchanged'])
  })

  it('a new token for the same team rotates; rotating back rotates again', () => {
    const rotated = callbackHeaders({ token: ROTATED_TOKEN })
    expect(statuses(newReporter(), [callbackHeaders(), rotated, rotated, callbackHeaders()])).toEqual([
      'set',
      'rotated',
      'unchanged',
      'rotated',
    ])
  })

  it('a new URL for the same team rotates', () => {
    const moved = callbackHeaders({ url: 'https://cyhost.example/v2/callback' })
    expect(statuses(newReporter(), [callbackHeaders(), moved, moved])).toEqual(['set', 'rotated', 'unchanged'])
  })

  it('another team is refused and the first context is kept', () => {
    const reporter = newReporter()
    expect(reporter.setCallbackContext(callbackHeaders()).status).toBe('set')
    const other = reporter.setCallbackContext(callbackHeaders({ team: OTHER_TEAM, token: ROTATED_TOKEN }))
    expect(other.status).toBe('rejected')
    expect(other.reason).toContain(TEAM_HEADER)
    expect(other.reason).not.toContain(TOKEN)
    expect(other.reason).not.toContain(ROTATED_TOKEN)
    // Refused again on a retry, and the original still matches exactly.
    expect(statuses(reporter, [callbackHeaders({ team: OTHER_TEAM }), callbackHeaders()])).toEqual([
      'rejected',
      'unchanged',
    ])
  })

  it('partial, invalid and absent headers after a capture change nothing', () => {
    const reporter = newReporter()
    expect(reporter.setCallbackContext(callbackHeaders()).status).toBe('set')
    expect(
      statuses(reporter, [
        without(callbackHeaders({ token: ROTATED_TOKEN }), TEAM_HEADER),
        callbackHeaders({ token: ROTATED_TOKEN, url: 'http://cyhost.example/cb' }),
        callbackHeaders({ token: `${ROTATED_TOKEN}\nx` }),
        LINEAR_WEBHOOK_HEADERS,
        callbackHeaders(),
      ]),
    ).toEqual(['rejected', 'rejected', 'rejected', 'absent', 'unchanged'])
  })

  it('a rejection before any capture does not block the first valid context', () => {
    expect(
      statuses(newReporter(), [without(callbackHeaders(), URL_HEADER), callbackHeaders({ team: OTHER_TEAM })]),
    ).toEqual(['rejected', 'set'])
  })

  it('independent reporters keep independent contexts', () => {
    const first = newReporter()
    const second = newReporter()
    expect(first.setCallbackContext(callbackHeaders()).status).toBe('set')
    expect(second.setCallbackContext(callbackHeaders({ team: OTHER_TEAM })).status).toBe('set')
    expect(first.setCallbackContext(callbackHeaders({ team: OTHER_TEAM })).status).toBe('rejected')
  })

  describe('delivery follows the kept context', () => {
    let firstReceiver: Receiver
    let otherTeamReceiver: Receiver
    let reporter: TelemetryReporter

    afterEach(async () => {
      await reporter?.shutdown(1000)
      await Promise.all([firstReceiver?.close(), otherTeamReceiver?.close()])
    })

    it('after another team is refused, a report still goes to the first URL with the first team', async () => {
      firstReceiver = await startReceiver()
      otherTeamReceiver = await startReceiver()
      reporter = newReporter()
      expect(reporter.setCallbackContext(callbackHeaders({ url: firstReceiver.url })).status).toBe('set')
      expect(
        reporter.setCallbackContext(
          callbackHeaders({ url: otherTeamReceiver.url, team: OTHER_TEAM, token: ROTATED_TOKEN }),
        ).status,
      ).toBe('rejected')

      expect(reporter.reportSessionError({ id: 's-kept' }, errorResult).outcome).toBe('queued')
      expect(await reporter.flush(5000)).toEqual({ completed: true, pending: 0 })

      expect(otherTeamReceiver.requests).toHaveLength(0)
      expect(firstReceiver.requests).toHaveLength(1)
      const [delivered] = firstReceiver.requests
      expect(delivered.headers.authorization).toBe(`Bearer ${TOKEN}`)
      expect(delivered.body).toMatchObject({ team_id: TEAM, session_id: 's-kept' })
    })
  })
})

describe('the token never leaks', () => {
  const tokens = [TOKEN, ROTATED_TOKEN, `${TOKEN}\rX`, longToken]
  /** Every kind of call that can succeed, be refused or log, with several tokens. */
  const workout = (reporter: TelemetryReporter) => [
    reporter.setCallbackContext(callbackHeaders()),
    reporter.setCallbackContext(callbackHeaders()),
    reporter.setCallbackContext(callbackHeaders({ token: ROTATED_TOKEN })),
    reporter.setCallbackContext(callbackHeaders({ team: OTHER_TEAM })),
    reporter.setCallbackContext(callbackHeaders({ token: `${TOKEN}\rX` })),
    reporter.setCallbackContext(callbackHeaders({ token: longToken })),
    reporter.setCallbackContext(callbackHeaders({ url: `https://${TOKEN}:x@cyhost.example/cb` })),
    reporter.setCallbackContext(callbackHeaders({ url: `http://cyhost.example/cb?token=${TOKEN}` })),
    reporter.setCallbackContext({ ...callbackHeaders(), [TEAM_HEADER]: [TEAM, TOKEN] }),
    reporter.setCallbackContext(without(callbackHeaders(), URL_HEADER)),
    reporter.setCallbackContext(callbackHeaders({ token: TOKEN, team: `${TEAM}\nx` })),
  ]

  const expectNoToken = (text: string) => {
    for (const token of tokens) expect(text).not.toContain(token)
    // Shorter fragments of the token would also be a leak.
    expect(text).not.toContain(TOKEN.slice(0, 16))
    expect(text).not.toContain(ROTATED_TOKEN.slice(0, 16))
  }

  it('not in results, their reasons, or their string forms', () => {
    const results = workout(newReporter())
    expect(results.filter((result) => result.status === 'rejected').length).toBeGreaterThanOrEqual(7)
    for (const result of results) {
      expectNoToken(JSON.stringify(result))
      expectNoToken(String(result))
      expectNoToken(result.reason ?? '')
    }
  })

  it('not in stats()', () => {
    const reporter = newReporter()
    workout(reporter)
    reporter.reportSessionError({ id: 's-stats' }, errorResult)
    expectNoToken(JSON.stringify(reporter.stats()))
    expectNoToken(JSON.stringify(Object.entries(reporter.stats())))
  })

  it('not in log lines (function logger)', async () => {
    const logs = recordLogs()
    const reporter = new TelemetryReporter({ logger: logs.logger, logLevel: 'debug' })
    workout(reporter)
    // The first refusal is worth a warning; wait for it, then for anything queued behind it.
    await logs.waitFor((lines) => lines.some((line) => line.level === 'warn'))
    await logs.settle()
    expect(logs.lines.length).toBeGreaterThan(1)
    for (const line of logs.lines) expectNoToken(line.message)
  })

  it('not in log lines (ILogger object)', async () => {
    const logs = recordLogs()
    const reporter = new TelemetryReporter({
      logger: {
        debug: (message: string) => logs.logger('debug', message),
        info: (message: string) => logs.logger('info', message),
        warn: (message: string) => logs.logger('warn', message),
        error: (message: string) => logs.logger('error', message),
      },
      logLevel: 'debug',
    })
    workout(reporter)
    await logs.waitFor((lines) => lines.some((line) => line.level === 'warn'))
    await logs.settle()
    for (const line of logs.lines) expectNoToken(line.message)
  })
})

describe('no part of the token leaves, in any form (issue 12 §2)', () => {
  /** A 30-character token with the base64 characters that JSON and URL encoders rewrite. */
  const SLASHED_TOKEN = 'cyt/Qd2kP9xW+4mZ8rT1vB6nY3s=='
  const WINDOW = 8
  /** Every `WINDOW`-character piece of `token`. */
  const windows = (token: string) =>
    Array.from({ length: token.length - WINDOW + 1 }, (_, i) => token.slice(i, i + WINDOW))
  /** The pieces of each token found in the raw bodies or the decoded messages received. */
  const leaks = (rx: Receiver, ...tokens: string[]) =>
    rx.requests.flatMap((request) =>
      tokens.flatMap((token) =>
        windows(token).filter(
          (piece) => request.rawBody.includes(piece) || String(request.body?.error_message).includes(piece),
        ),
      ),
    )

  let rx: Receiver | undefined
  let reporter: TelemetryReporter | undefined
  afterEach(async () => {
    await reporter?.shutdown(1000)
    await rx?.close()
    reporter = undefined
    rx = undefined
  })

  it('a token that the redaction marker contains is rejected, and the reason does not print it', () => {
    reporter = newReporter()
    for (const token of ['E', 'RED', 'ACTED', 'REDACTED', '[REDACTED]', 'D]', '[R']) {
      const result = reporter.setCallbackContext(callbackHeaders({ token }))
      expect(result.status, token).toBe('rejected')
      expect(result.reason).toContain(TOKEN_HEADER)
      expect(result.reason).not.toContain(token)
    }
    // Short tokens keep working (cyrus's own tests use these).
    for (const token of ['token', 'cb-token-123']) {
      expect(newReporter().setCallbackContext(callbackHeaders({ token })).status, token).not.toBe('rejected')
    }
  })

  it('the JSON-escaped and percent-encoded forms and the replaced tokens are scrubbed', async () => {
    rx = await startReceiver()
    reporter = newReporter()
    const [first, second, current] = [TOKEN, ROTATED_TOKEN, SLASHED_TOKEN]
    expect(reporter.setCallbackContext(callbackHeaders({ url: rx.url, token: first })).status).toBe('set')
    expect(reporter.setCallbackContext(callbackHeaders({ url: rx.url, token: second })).status).toBe('rotated')
    expect(reporter.setCallbackContext(callbackHeaders({ url: rx.url, token: current })).status).toBe('rotated')
    const quoted = [
      `GET ${rx.url}?t=${encodeURIComponent(current)} failed`,
      `retry ?t=${encodeURIComponent(current).toLowerCase()}`,
      `php body {"t":"${current.replaceAll('/', '\\/')}"}`,
      `.NET body {"t":"${current.replaceAll('+', '\\u002B')}"}`,
      `old tokens ${first} and ${second}`,
      `raw ${current}`,
    ]
    expect(reporter.reportSessionError({ id: 's-forms' }, { ...errorResult, errors: quoted }).outcome).toBe('queued')
    expect(await reporter.flush(5000)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(1)
    expect(rx.requests[0].body.error_message).toContain('[REDACTED]')
    expect(leaks(rx, first, second, current)).toEqual([])
  })

  it('an event held before any context is scrubbed with the token before it is cut', async () => {
    rx = await startReceiver()
    reporter = newReporter()
    // Each message puts the token across the 500-character cut, at every offset, in every form
    // the scrubber knows; the event is held (no context yet) and released when the token comes.
    const forms = [SLASHED_TOKEN, encodeURIComponent(SLASHED_TOKEN), SLASHED_TOKEN.replaceAll('/', '\\/')]
    /** session id → the message expected, uncut. */
    const expected = new Map<string, string>()
    for (const form of forms) {
      for (let before = 500 - form.length + 1; before < 500; before += 3) {
        const id = `held-${expected.size}`
        const text = `${'x'.repeat(before)}${form} and more text after it`
        expect(reporter.reportSessionError({ id }, { ...errorResult, errors: [text] }).outcome).toBe('held')
        expected.set(id, `${'x'.repeat(before)}[REDACTED] and more text after it`.slice(0, 500))
      }
    }
    expect(reporter.setCallbackContext(callbackHeaders({ url: rx.url, token: SLASHED_TOKEN })).status).toBe('set')
    expect(await reporter.flush(10_000)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(expected.size)
    for (const { body } of rx.requests) expect(body.error_message).toBe(expected.get(body.session_id))
    expect(leaks(rx, SLASHED_TOKEN)).toEqual([])
  })
})

describe('self-hosted: no callback headers ever', () => {
  it('logs nothing above debug, holds reports silently, and never fails', async () => {
    const logs = recordLogs()
    const reporter = new TelemetryReporter({ logger: logs.logger, logLevel: 'debug', heldCapacity: 2 })
    const webhooks: unknown[] = [
      LINEAR_WEBHOOK_HEADERS,
      { ...LINEAR_WEBHOOK_HEADERS, authorization: 'Bearer direct-mode-secret' },
      Object.assign(Object.create(null), LINEAR_WEBHOOK_HEADERS),
      {},
      { [TOKEN_HEADER]: '', [URL_HEADER]: ' ', [TEAM_HEADER]: [] },
    ]
    for (let round = 0; round < 20; round++) {
      for (const headers of webhooks) expect(reporter.setCallbackContext(headers as never)).toEqual({ status: 'absent' })
    }
    // More failures than the held buffer takes: overflow is counted, not shouted about.
    for (let index = 0; index < 5; index++) {
      expect(reporter.reportSessionError({ id: `s-${index}` }, errorResult).outcome).toBe('held')
    }
    expect(await reporter.flush(1000)).toEqual({ completed: true, pending: 0 })
    await logs.settle()

    expect(logs.lines.filter((line) => line.level !== 'debug')).toEqual([])
    expect(reporter.stats()).toMatchObject({ held: 2, droppedHeldOverflow: 3, sent: 0, failed: 0 })
  })
})

describe('option validation', () => {
  const badOptions: [string, unknown, string][] = [
    ['queueCapacity: 0', { queueCapacity: 0 }, 'queueCapacity'],
    ['requestTimeoutMs: -1', { requestTimeoutMs: -1 }, 'requestTimeoutMs'],
    ["maxAttempts: 'x'", { maxAttempts: 'x' }, 'maxAttempts'],
    ["allowedHosts: ['']", { allowedHosts: [''] }, 'allowedHosts'],
    ["allowedHosts: ['*']", { allowedHosts: ['*'] }, 'allowedHosts'],
    ["allowedHosts: 'cyrus.app'", { allowedHosts: 'cyrus.app' }, 'allowedHosts'],
    ['logger: 42', { logger: 42 }, 'logger'],
    ['heldCapacity: -3', { heldCapacity: -3 }, 'heldCapacity'],
    ['maxConcurrency: 1.5', { maxConcurrency: 1.5 }, 'maxConcurrency'],
    ['backoffBaseMs: NaN', { backoffBaseMs: Number.NaN }, 'backoffBaseMs'],
    ['queueCapacity: Infinity', { queueCapacity: Number.POSITIVE_INFINITY }, 'queueCapacity'],
    ["disabled: 'yes'", { disabled: 'yes' }, 'disabled'],
    ['options: 5', 5, 'options'],
  ]

  it.each(badOptions)('new TelemetryReporter(%s) throws a TypeError naming the option', (_name, options, option) => {
    expect(() => new TelemetryReporter(options as never)).toThrow(TypeError)
    expect(() => new TelemetryReporter(options as never)).toThrow(option)
  })

  it('valid options, including none, construct', () => {
    for (const options of [undefined, null, {}, { allowedHosts: ['*.cyrus.app', 'cyrus.app'], queueCapacity: 1 }]) {
      expect(() => new TelemetryReporter(options as never)).not.toThrow()
    }
  })
})

// Module-level functions share this environment's reporter: these tests run in order and leave
// it shut down (a later configure() would start a fresh one).
describe('module-level reporter', () => {
  afterAll(async () => {
    await shutdown(1000)
  })

  it('configure rejects bad options with a TypeError naming the option', () => {
    for (const [, options, option] of [
      ['queueCapacity: 0', { queueCapacity: 0 }, 'queueCapacity'],
      ['logger: 42', { logger: 42 }, 'logger'],
      ['options: 5', 5, 'options'],
    ] as const) {
      expect(() => configure(options as never)).toThrow(TypeError)
      expect(() => configure(options as never)).toThrow(option)
    }
  })

  it('setCallbackContext: absent, partial, set, unchanged, other team', () => {
    configure({ logger: () => {} })
    expect(setCallbackContext(LINEAR_WEBHOOK_HEADERS)).toEqual({ status: 'absent' })
    const partial = setCallbackContext(without(callbackHeaders(), TOKEN_HEADER))
    expect(partial.status).toBe('rejected')
    expect(partial.reason).toContain(TOKEN_HEADER)
    expect(setCallbackContext(callbackHeaders())).toEqual({ status: 'set' })
    expect(setCallbackContext(explicitContext())).toEqual({ status: 'unchanged' })
    expect(setCallbackContext(callbackHeaders({ team: OTHER_TEAM })).status).toBe('rejected')
    expect(JSON.stringify(stats())).not.toContain(TOKEN)
  })

  it('a refused configure() keeps the captured context', () => {
    expect(() => configure({ requestTimeoutMs: -1 })).toThrow(TypeError)
    expect(setCallbackContext(callbackHeaders()).status).toBe('unchanged')
  })
})

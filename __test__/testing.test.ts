// cyrus-telemetry/testing, the collector users' test suites get: driven by the real addon and by
// hand-made requests over real loopback HTTP, so each of its checks is seen to refuse what it
// must and to accept what the addon sends.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TelemetryReporter } from 'cyrus-telemetry'
import {
  ERROR_TYPES,
  after,
  eventProblems,
  hang,
  redirect,
  refusedPort,
  reset,
  respond,
  stallBody,
  startCollector,
  startCounter,
  type Collector,
  type CollectorOptions,
  type Counter,
  type CounterOptions,
} from 'cyrus-telemetry/testing'

const root = join(__dirname, '..')
const TOKEN = 'cbtok_collector_5e2d9a41'
const TEAM = 'team-collector'
const EVENT = {
  team_id: TEAM,
  event_type: 'agent_session_error',
  error_type: 'crash',
  error_message: 'Execution Error',
  session_id: 'session-1',
  timestamp: '2026-03-13T17:36:00.123Z',
  event_id: '3f1c2a7e-9b4d-4e8a-a1b2-0c3d4e5f6a7b',
  error_detail: 'unknown',
}
const WIRE_HEADERS = {
  'content-type': 'application/json',
  authorization: `Bearer ${TOKEN}`,
  'user-agent': 'cyrus-telemetry/0.1.0',
  'idempotency-key': EVENT.event_id,
}

const open: { close(): Promise<void> }[] = []
const reporters: TelemetryReporter[] = []
afterEach(async () => {
  await Promise.all(reporters.splice(0).map((reporter) => reporter.shutdown(0)))
  await Promise.all(open.splice(0).map((server) => server.close()))
})

async function collector(options: CollectorOptions = {}): Promise<Collector> {
  const started = await startCollector(options)
  open.push(started)
  return started
}
async function counter(options: CounterOptions = {}): Promise<Counter> {
  const started = await startCounter(options)
  open.push(started)
  return started
}

function reporterFor(url: string, options: ConstructorParameters<typeof TelemetryReporter>[0] = {}) {
  const reporter = new TelemetryReporter({ backoffBaseMs: 50, requestTimeoutMs: 500, logger: () => {}, ...options })
  reporters.push(reporter)
  expect(reporter.setCallbackContext({ callbackToken: TOKEN, callbackUrl: url, teamId: TEAM }).status).toBe('set')
  return reporter
}

const failed = { subtype: 'error_during_execution', is_error: true, errors: ['Claude Code process exited with code 1'] }
const report = (reporter: TelemetryReporter, id = 'session-1') =>
  reporter.reportSessionError({ id, createdAt: Date.now() - 3000, issueContext: { issueId: 'issue-1', issueIdentifier: 'CYPACK-1' } }, failed)

async function post(url: string, body: unknown, headers: Record<string, string> = WIRE_HEADERS, method = 'POST') {
  const response = await fetch(url, { method, headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: response.status, headers: response.headers, body: await response.text() }
}

describe('the recording collector and the addon', () => {
  it('records each event with its headers, method and path, and finds no problem', async () => {
    const rx = await collector({ token: TOKEN, teamId: TEAM, strict: true })
    const reporter = reporterFor(rx.url)
    const outcome = report(reporter)
    const [event] = await rx.waitForEvents(1)

    expect(event).toMatchObject({ team_id: TEAM, session_id: 'session-1', event_id: outcome.eventId, error_type: 'crash', issue_identifier: 'CYPACK-1' })
    const [request] = rx.requests
    expect(request).toMatchObject({ index: 0, method: 'POST', path: '/cb', url: '/cb', status: 200, problems: [] })
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(request.headers['idempotency-key']).toBe(outcome.eventId)
    expect(JSON.parse(request.rawBody)).toEqual(event)
    expect(rx.problems).toEqual([])
    expect(() => rx.assertValid()).not.toThrow()
    expect(rx.stats()).toMatchObject({ requests: 1, events: 1, problems: 0 })
  })

  it('answers as scripted: a 503, then a 429 with Retry-After, then 200; one event, three requests', async () => {
    const rx = await collector({ answers: [respond(503), respond(429, { 'retry-after': '1' }), respond(200)] })
    const reporter = reporterFor(rx.url)
    report(reporter)
    await rx.waitForEvents(1, 10_000)
    expect(rx.requests.map((request) => request.status)).toEqual([503, 429, 200])
    // The Retry-After was the client's to honour: the third attempt came at least ~1 s later.
    expect(rx.requests[2].at - rx.requests[1].at).toBeGreaterThanOrEqual(900)
    expect(rx.events).toHaveLength(1)
    expect(await reporter.flush(5000)).toMatchObject({ completed: true })
    expect(reporter.stats()).toMatchObject({ sent: 1, retried: 2 })
  })

  it('answers by a function of the request', async () => {
    const rx = await collector({ answers: (request) => (request.body?.session_id === 'refused' ? respond(400) : respond(202)) })
    const reporter = reporterFor(rx.url)
    report(reporter, 'refused')
    report(reporter, 'accepted')
    await rx.waitForRequests(2)
    expect(await reporter.flush(5000)).toMatchObject({ completed: true })
    expect(rx.events.map((event) => event.session_id)).toEqual(['accepted'])
    expect(reporter.stats()).toMatchObject({ sent: 1, failedHttp: 1 })
  })

  it('after(): holds the request until the promise settles, then answers', async () => {
    let open = () => {}
    const gate = new Promise<void>((resolve) => (open = resolve))
    const rx = await collector({ answers: [after(gate, respond(202))] })
    const reporter = reporterFor(rx.url)
    report(reporter)
    await rx.waitForRequests(1)
    expect(await reporter.flush(200)).toEqual({ completed: false, pending: 1 })
    expect(reporter.stats()).toMatchObject({ sent: 0, inFlight: 1 })
    open()
    expect(await reporter.flush(5000)).toEqual({ completed: true, pending: 0 })
    expect(reporter.stats()).toMatchObject({ sent: 1, inFlight: 0 })
    expect(rx.requests[0].status).toBe(202)
  })

  it('a hung answer holds the request until the client gives up; close() still ends at once', async () => {
    const rx = await collector({ answers: [hang()] })
    const reporter = reporterFor(rx.url, { maxAttempts: 1, requestTimeoutMs: 300 })
    report(reporter)
    await rx.waitForRequests(1)
    expect(rx.requests[0].status).toBeUndefined()
    expect(await reporter.flush(3000)).toMatchObject({ completed: true })
    expect(reporter.stats()).toMatchObject({ failedTimeout: 1 })
    expect(rx.events).toEqual([])
  })

  it('a reset, a redirect and a stalled body reach the client as such', async () => {
    const elsewhere = await collector()
    const rx = await collector({ answers: [reset(), redirect(307, elsewhere.url), stallBody(200)] })
    const reporter = reporterFor(rx.url, { maxAttempts: 1 })
    report(reporter, 'reset')
    expect(await reporter.flush(3000)).toMatchObject({ completed: true })
    report(reporter, 'redirect')
    expect(await reporter.flush(3000)).toMatchObject({ completed: true })
    report(reporter, 'stalled')
    expect(await reporter.flush(3000)).toMatchObject({ completed: true })
    expect(reporter.stats()).toMatchObject({ failedNetwork: 1, failedHttp: 1, sent: 1 })
    expect(elsewhere.requests).toEqual([])
    expect(rx.requests.map((request) => request.status)).toEqual([undefined, 307, 200])
  })

  it('over TLS: the url is https and requests are recorded the same way', async () => {
    // A self-signed certificate made on the spot (openssl), trusted by the client as its CA.
    const dir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-collector-tls-'))
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
      const cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
      const rx = await collector({ tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert } })
      expect(rx.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/cb$/)
      const status = await new Promise((resolve, reject) => {
        const req = httpsRequest(rx.url, { method: 'POST', ca: cert, headers: WIRE_HEADERS }, (res) => res.resume().on('end', () => resolve(res.statusCode)))
        req.on('error', reject)
        req.end(JSON.stringify(EVENT))
      })
      expect(status).toBe(200)
      expect(rx.events).toEqual([EVENT])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the wire-format checks', () => {
  it.each([
    ['a null field', { issue_id: null }, 'issue_id is null'],
    ['a missing field', { session_id: undefined }, 'session_id must be a string'],
    ['an unknown error type', { error_type: 'timeout' }, 'error_type must be one of crash, stall, rate_limit, billing, max_turns'],
    ['another event type', { event_type: 'other' }, 'event_type must be "agent_session_error"'],
    ['an error_detail that is not snake_case', { error_detail: 'Not Snake' }, 'error_detail must be a snake_case code'],
    ['an event_id that is not a UUID v4', { event_id: '3f1c2a7e-9b4d-1e8a-a1b2-0c3d4e5f6a7b' }, 'event_id must be a lowercase UUID v4'],
    ['a timestamp without milliseconds', { timestamp: '2026-03-13T17:36:00Z' }, 'timestamp must be'],
    ['an impossible date', { timestamp: '2026-02-30T17:36:00.123Z' }, 'timestamp must be'],
    ['a fractional duration', { duration_seconds: 1.5 }, 'duration_seconds must be a non-negative integer'],
    ['a message over 500 characters', { error_message: 'x'.repeat(501) }, 'error_message is longer than 500 characters'],
    ['a resets_at that is not RFC 3339', { resets_at: 'tomorrow' }, 'resets_at must be an RFC 3339 UTC timestamp'],
    ['another team', { team_id: 'team-other' }, 'team_id is not the expected team'],
  ])('a body with %s: a 400 naming it when strict, recorded otherwise', async (_label, change, reason) => {
    const body = { ...EVENT, ...change }
    expect(eventProblems(JSON.parse(JSON.stringify(body)), { teamId: TEAM }).join('; ')).toContain(reason)

    const strict = await collector({ token: TOKEN, teamId: TEAM, strict: true })
    const refused = await post(strict.url, body)
    expect(refused.status).toBe(400)
    expect(JSON.parse(refused.body).error).toContain(reason)

    const lenient = await collector({ token: TOKEN, teamId: TEAM })
    expect((await post(lenient.url, body)).status).toBe(200)
    expect(lenient.requests[0].problems.join('; ')).toContain(reason)
    expect(lenient.events).toEqual([])
    expect(() => lenient.assertValid()).toThrow(reason)
  })

  it.each([
    ['no Authorization', { authorization: undefined }, 401, 'Authorization must be "Bearer <callback token>"'],
    ['another Bearer token', { authorization: 'Bearer someone-else' }, 401, 'the Bearer token is not the expected callback token'],
    ['a Basic Authorization', { authorization: `Basic ${TOKEN}` }, 401, 'Authorization must be "Bearer <callback token>"'],
    ['a text/plain body', { 'content-type': 'text/plain' }, 400, 'Content-Type must be application/json'],
    ['another User-Agent', { 'user-agent': 'node' }, 400, 'User-Agent must be cyrus-telemetry/<version>'],
    ['an Idempotency-Key that is not the event_id', { 'idempotency-key': 'other' }, 400, 'Idempotency-Key must equal event_id'],
  ])('a request with %s is refused (%i) when strict', async (_label, change, status, reason) => {
    const rx = await collector({ token: TOKEN, strict: true })
    const headers = Object.fromEntries(Object.entries({ ...WIRE_HEADERS, ...change }).filter(([, value]) => value !== undefined)) as Record<string, string>
    const answer = await post(rx.url, EVENT, headers)
    expect(answer.status).toBe(status)
    expect(JSON.parse(answer.body).error).toBe(reason)
    expect(rx.problems).toEqual([{ index: 0, message: reason }])
  })

  it('a wrong path, a GET and a body that is not JSON are problems', async () => {
    const rx = await collector()
    await post(`${rx.url}/../other`, EVENT)
    await post(rx.url.replace('/cb', '/other'), EVENT)
    await post(rx.url, '{not json')
    await fetch(rx.url, { headers: WIRE_HEADERS })
    const messages = rx.problems.map((problem) => problem.message)
    expect(messages).toEqual(expect.arrayContaining(['path must be /cb, got /other', 'body is not valid JSON', 'method must be POST, got GET']))
  })

  it('never puts the token in a problem', async () => {
    const rx = await collector({ token: TOKEN, strict: true })
    const answer = await post(rx.url, { ...EVENT, error_message: null }, { ...WIRE_HEADERS, authorization: `Bearer ${TOKEN}x` })
    expect(answer.body).not.toContain(TOKEN)
    expect(JSON.stringify(rx.problems)).not.toContain(TOKEN)
  })

  it('a retry must resend the same bytes: another body under the same event_id is a 409', async () => {
    const rx = await collector({ strict: true, answers: [respond(503), respond(200)] })
    expect((await post(rx.url, EVENT)).status).toBe(503)
    expect((await post(rx.url, { ...EVENT, timestamp: '2026-03-13T17:36:01.123Z' })).status).toBe(409)
    expect((await post(rx.url, EVENT)).status).toBe(200)
    expect(rx.events).toEqual([EVENT])
  })

  it('a replay of an accepted event is answered and recorded, not counted twice', async () => {
    const rx = await collector()
    await post(rx.url, EVENT)
    await post(rx.url, EVENT)
    expect(rx.requests).toHaveLength(2)
    expect(rx.events).toHaveLength(1)
  })

  it('setToken: after a rotation only the new token is accepted', async () => {
    const rx = await collector({ token: TOKEN, strict: true })
    rx.setToken('rotated-token')
    expect((await post(rx.url, EVENT)).status).toBe(401)
    expect((await post(rx.url, EVENT, { ...WIRE_HEADERS, authorization: 'Bearer rotated-token' })).status).toBe(200)
  })

  it('ERROR_TYPES are the five types of index.d.ts ErrorType, in its order', () => {
    const declared = /export type ErrorType = (.*)/.exec(readFileSync(join(root, 'index.d.ts'), 'utf8'))![1]
    expect(ERROR_TYPES).toEqual(declared.split('|').map((member) => member.trim().replace(/'/g, '')))
    expect(ERROR_TYPES).toEqual(['crash', 'stall', 'rate_limit', 'billing', 'max_turns'])
  })
})

describe('waiting and closing', () => {
  it('waitForEvents rejects after its timeout, naming the problems it saw', async () => {
    const rx = await collector({ teamId: TEAM })
    await post(rx.url, { ...EVENT, team_id: 'team-other' })
    await expect(rx.waitForEvents(1, 200)).rejects.toThrow(/expected 1 event\(s\) within 200 ms, got 1 request\(s\), 0 event\(s\); problems: #0 team_id is not the expected team/)
  })

  it('a pending wait rejects when the collector closes', async () => {
    const rx = await startCollector()
    const waiting = rx.waitForRequests(1, 10_000)
    await rx.close()
    await expect(waiting).rejects.toThrow('closed')
  })

  it('close() ends idle keep-alive connections and hung ones', async () => {
    const rx = await startCollector({ answers: (request) => (request.index === 0 ? respond(200) : hang()) })
    const agent = new Agent({ keepAlive: true })
    const closed: Promise<void>[] = []
    const send = (through: Agent | false) =>
      new Promise<void>((resolve) => {
        const req = httpRequest(rx.url, { method: 'POST', agent: through, headers: WIRE_HEADERS }, (res) => res.resume().on('end', resolve))
        req.on('socket', (socket) => closed.push(new Promise((done) => socket.once('close', () => done()))))
        req.on('error', () => resolve())
        req.end(JSON.stringify(EVENT))
      })
    await send(agent) // answered: its keep-alive connection stays open, idle
    const hung = send(false) // another connection, never answered
    await rx.waitForRequests(2)
    expect(rx.stats().openSockets).toBe(2)
    await rx.close()
    await Promise.all([...closed, hung])
    expect(rx.stats().openSockets).toBe(0)
    agent.destroy()
  })

  it('record: false keeps counts and events, not requests', async () => {
    const rx = await collector({ record: false })
    await post(rx.url, EVENT)
    await rx.waitForEvents(1)
    expect(rx.requests).toEqual([])
    expect(rx.stats()).toMatchObject({ requests: 1, events: 1 })
  })

  it('refuses answers that are not answers, with what to use instead', async () => {
    await expect(startCollector({ answers: [] })).rejects.toThrow('answers must be a non-empty array')
    await expect(startCollector({ path: 'cb' })).rejects.toThrow('path must start with "/"')
  })

  it('refusedPort: nothing listens there', async () => {
    const port = await refusedPort()
    await expect(fetch(`http://127.0.0.1:${port}/cb`)).rejects.toThrow()
  })
})

describe('the counting collector', () => {
  /** Writes raw bytes on one connection and resolves with what came back once `replies` answers arrived. */
  function raw(port: number, bytes: string, replies: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes))
      let text = ''
      socket.on('data', (chunk) => {
        text += chunk
        if (text.split('HTTP/1.1 ').length - 1 >= replies) {
          socket.destroy()
          resolve(text)
        }
      })
      socket.on('error', reject)
    })
  }
  const requestOf = (body: string, extra = '') => `POST /cb HTTP/1.1\r\nhost: x\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`

  it('counts the addon\'s events and answers 200', async () => {
    const rx = await counter()
    const reporter = reporterFor(rx.url)
    for (let index = 0; index < 20; index++) report(reporter, `s${index}`)
    const reached = await rx.waitForEvents(20)
    expect(reached).toMatchObject({ requests: 20, events: 20 })
    expect(reached.lastAt).toBeGreaterThan(0)
    expect(await reporter.flush(5000)).toMatchObject({ completed: true })
    expect(reporter.stats()).toMatchObject({ sent: 20, failed: 0 })
  })

  it('reads pipelined, split and chunked requests; a plug-in counts events per request', async () => {
    const rx = await counter({ countEvents: (head, body) => (head.startsWith('POST /batch') ? JSON.parse(body.toString()).batch.length : 1) })
    const chunked = 'POST /cb HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3\r\n{"a\r\n3\r\n":1}\r\n0\r\n\r\n'
    const batch = '{"batch":[1,2,3]}'
    const answers = await raw(rx.port, requestOf('{}') + chunked + `POST /batch/ HTTP/1.1\r\nhost: x\r\ncontent-length: ${batch.length}\r\n\r\n${batch}`, 3)
    expect(answers.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3)
    expect(rx.stats()).toMatchObject({ requests: 3, events: 5 })
  })

  it('hang(): counts and never answers', async () => {
    const rx = await counter({ answers: [hang()] })
    const socket = connect(rx.port, '127.0.0.1', () => socket.write(requestOf('{}')))
    let answered = false
    socket.on('data', () => (answered = true))
    await rx.waitForRequests(1)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(answered).toBe(false)
    socket.destroy()
  })

  it('takes one plain answer only', async () => {
    await expect(startCounter({ answers: [reset()] })).rejects.toThrow('a counting collector answers with one respond')
    await expect(startCounter({ answers: [respond(200), respond(500)] as never })).rejects.toThrow('exactly one answer')
  })
})

describe('the package export', () => {
  it('import and require give the same collector', () => {
    const script = `
      const required = require('cyrus-telemetry/testing')
      import('cyrus-telemetry/testing').then((imported) => {
        const names = Object.keys(required).sort()
        const same = names.every((name) => imported[name] === required[name])
        console.log(JSON.stringify({ names, same, default: imported.default === required }))
      })`
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }))
    expect(out).toEqual({
      names: ['ERROR_TYPES', 'after', 'eventProblems', 'hang', 'redirect', 'refusedPort', 'reset', 'respond', 'stallBody', 'startCollector', 'startCounter'],
      same: true,
      default: true,
    })
  })
})

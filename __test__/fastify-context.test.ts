// The callback context end to end, the way cyrus's LinearEventTransport captures it in proxy
// mode: a real Fastify 5 server on 127.0.0.1 checks its own Bearer secret, hands
// `request.headers` to the reporter, and the captured context then drives a real delivery to a
// loopback callback server. Requests go over the wire with node:http, so header names and
// repeated headers arrive exactly as Node parses them.
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TelemetryReporter } from 'cyrus-telemetry'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  OTHER_TEAM,
  ROTATED_TOKEN,
  TEAM,
  TEAM_HEADER,
  TOKEN,
  TOKEN_HEADER,
  URL_HEADER,
  callbackHeaders,
} from './helpers/headers'
import { recordLogs } from './helpers/log-recorder'
import { startReceiver, type Receiver } from './helpers/receiver'

const WEBHOOK_SECRET = 'proxy-webhook-secret-5f2b'
const WEBHOOK_BODY = JSON.stringify({
  type: 'AgentSessionEvent',
  action: 'created',
  organizationId: 'org-1',
  agentSession: { id: 'agent-session-1', issue: { id: 'issue-1', identifier: 'CYPACK-951' } },
})

interface TransportReply {
  status: string
  reason?: string
  /** The three callback headers as the route saw them in `request.headers`. */
  delivered: Record<string, string | string[] | null>
}

interface WebhookResponse {
  statusCode: number
  body: TransportReply
}

// One reporter per simulated worker: the real transport has exactly one, but scenarios that
// need a reporter without a captured context get their own without restarting the server.
const workers = new Map<string, TelemetryReporter>()
const logs = recordLogs()
let transport: FastifyInstance
let transportPort: number
let callbackReceiver: Receiver

function startWorker(name: string): TelemetryReporter {
  const reporter = new TelemetryReporter({ logger: logs.logger, logLevel: 'debug' })
  workers.set(name, reporter)
  return reporter
}

async function startTransport(): Promise<FastifyInstance> {
  const app = Fastify()
  app.post<{ Params: { worker: string }; Querystring: { view?: 'distinct' } }>(
    '/webhook/:worker',
    async (request, reply) => {
      if (request.headers.authorization !== `Bearer ${WEBHOOK_SECRET}`) {
        return reply.code(401).send({ error: 'Unauthorized' })
      }
      const reporter = workers.get(request.params.worker)
      if (!reporter) return reply.code(404).send({ error: 'no such worker' })
      // `headersDistinct` is Node's other view: every header as an array, never joined.
      const headers = request.query.view === 'distinct' ? request.raw.headersDistinct : request.headers
      const { status, reason } = reporter.setCallbackContext(headers)
      const delivered = Object.fromEntries(
        [TOKEN_HEADER, URL_HEADER, TEAM_HEADER].map((name) => [name, request.headers[name] ?? null]),
      )
      return { status, reason, delivered }
    },
  )
  await app.listen({ host: '127.0.0.1', port: 0 })
  return app
}

/** Header pairs in wire order; a name may repeat, and its case is kept on the wire. */
type HeaderPairs = [string, string][]

const pairsOf = (headers: Record<string, string>): HeaderPairs => Object.entries(headers)

/** POSTs a webhook with the headers exactly as given (node:http raw header list). */
function postWebhook(
  worker: string,
  headers: HeaderPairs,
  options: { secret?: string | null; view?: 'distinct' } = {},
): Promise<WebhookResponse> {
  const secret = options.secret === undefined ? WEBHOOK_SECRET : options.secret
  // A raw header list replaces Node's defaults, so Host (required by HTTP/1.1 servers) is ours.
  const raw = [
    'Host',
    `127.0.0.1:${transportPort}`,
    'Content-Type',
    'application/json',
    'Content-Length',
    String(Buffer.byteLength(WEBHOOK_BODY)),
    ...(secret === null ? [] : ['Authorization', `Bearer ${secret}`]),
    ...headers.flat(),
  ]
  const path = `/webhook/${worker}${options.view ? `?view=${options.view}` : ''}`
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: transportPort, method: 'POST', path, headers: raw, timeout: 5000 },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ statusCode: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        )
        response.on('error', reject)
      },
    )
    request.on('timeout', () => request.destroy(new Error('webhook request timed out')))
    request.on('error', reject)
    request.end(WEBHOOK_BODY)
  })
}

beforeAll(async () => {
  callbackReceiver = await startReceiver()
  transport = await startTransport()
  transportPort = (transport.server.address() as AddressInfo).port
})

afterAll(async () => {
  await Promise.all([...workers.values()].map((reporter) => reporter.shutdown(1000)))
  await transport?.close()
  await callbackReceiver?.close()
})

// These steps share one worker and run in order, like successive webhooks to one droplet.
describe('one worker receiving forwarded webhooks', () => {
  const edge = 'edge'
  const cyhost = (values: { token?: string; team?: string } = {}) =>
    pairsOf(callbackHeaders({ url: callbackReceiver.url, ...values }))

  beforeAll(() => {
    startWorker(edge)
  })

  it('a webhook without callback headers (self-hosted) is absent', async () => {
    const response = await postWebhook(edge, [['Linear-Event', 'AgentSessionEvent']])
    expect(response.statusCode).toBe(200)
    expect(response.body).toMatchObject({ status: 'absent' })
    expect(response.body.reason).toBeUndefined()
  })

  it('a webhook failing the transport’s own Bearer check never reaches the reporter', async () => {
    expect((await postWebhook(edge, cyhost(), { secret: null })).statusCode).toBe(401)
    expect((await postWebhook(edge, cyhost(), { secret: 'wrong-secret' })).statusCode).toBe(401)
    // The next test's `set` (not `unchanged`) shows neither request captured anything.
  })

  it('all three headers are set', async () => {
    const response = await postWebhook(edge, cyhost())
    expect(response.statusCode).toBe(200)
    expect(response.body.status).toBe('set')
  })

  it('the same headers again are unchanged', async () => {
    expect((await postWebhook(edge, cyhost())).body.status).toBe('unchanged')
  })

  it('a new token for the same team is rotated', async () => {
    expect((await postWebhook(edge, cyhost({ token: ROTATED_TOKEN }))).body.status).toBe('rotated')
  })

  it('another team is rejected, with a reason that never holds a token', async () => {
    const response = await postWebhook(edge, cyhost({ team: OTHER_TEAM, token: TOKEN }))
    expect(response.body.status).toBe('rejected')
    expect(response.body.reason).toContain(TEAM_HEADER)
    expect(response.body.reason).not.toContain(TOKEN)
    expect(response.body.reason).not.toContain(ROTATED_TOKEN)
  })

  it('mixed-case header names on the wire match the captured context', async () => {
    const response = await postWebhook(edge, [
      ['X-Cyrus-Callback-Token', ROTATED_TOKEN],
      ['X-CYRUS-CALLBACK-URL', callbackReceiver.url],
      ['x-Cyrus-Team-ID', TEAM],
    ])
    expect(response.body.status).toBe('unchanged')
  })

  it('the captured context is used: one POST with the rotated token and the first team', async () => {
    const reporter = workers.get(edge)!
    const result = { type: 'result', subtype: 'error_during_execution', is_error: true, errors: ['boom'] }
    const outcome = reporter.reportSessionError({ id: 's-1' }, result)
    expect(outcome.outcome).toBe('queued')
    expect(await reporter.flush(5000)).toEqual({ completed: true, pending: 0 })

    expect(callbackReceiver.requests).toHaveLength(1)
    const [callback] = callbackReceiver.requests
    expect(callback.method).toBe('POST')
    expect(callback.url).toBe(new URL(callbackReceiver.url).pathname)
    expect(callback.headers.authorization).toBe(`Bearer ${ROTATED_TOKEN}`)
    expect(callback.headers['idempotency-key']).toBe(outcome.eventId)
    expect(callback.body).toMatchObject({
      team_id: TEAM,
      session_id: 's-1',
      event_type: 'agent_session_error',
      error_type: 'crash',
      event_id: outcome.eventId,
    })
    expect(callback.rawBody).not.toContain(ROTATED_TOKEN)
    expect(reporter.stats()).toMatchObject({ sent: 1, failed: 0 })
  })

  it('no log line holds a token', async () => {
    await logs.settle()
    expect(logs.lines.length).toBeGreaterThan(0)
    for (const line of logs.lines) {
      expect(line.message).not.toContain(TOKEN)
      expect(line.message).not.toContain(ROTATED_TOKEN)
    }
  })
})

// Node joins a custom header sent several times into one string with ", " (its
// `headersDistinct` keeps the separate values). Fastify hands the joined string on, so
// this is how a repeated callback header really reaches the reporter.
describe('repeated callback headers on the wire', () => {
  const base = callbackHeaders({ url: 'https://cyhost.example/cb' })
  const repeated = (name: string, first: string, second: string): HeaderPairs => [
    ...pairsOf(base).filter(([header]) => header !== name),
    [name, first],
    [name.toUpperCase(), second],
  ]

  it('two team ids arrive joined and are not accepted as a team', async () => {
    startWorker('repeated-team')
    const response = await postWebhook('repeated-team', repeated(TEAM_HEADER, TEAM, OTHER_TEAM))
    expect(response.body.delivered[TEAM_HEADER]).toBe(`${TEAM}, ${OTHER_TEAM}`)
    expect(response.body.status).toBe('rejected')
  })

  it('two callback URLs arrive joined and are not accepted as a URL', async () => {
    startWorker('repeated-url')
    const response = await postWebhook(
      'repeated-url',
      repeated(URL_HEADER, 'https://cyhost.example/cb', 'https://attacker.example/cb'),
    )
    expect(response.body.delivered[URL_HEADER]).toBe('https://cyhost.example/cb, https://attacker.example/cb')
    expect(response.body.status).toBe('rejected')
  })

  it('two tokens arrive joined and are not accepted as a token', async () => {
    startWorker('repeated-token')
    const response = await postWebhook('repeated-token', repeated(TOKEN_HEADER, TOKEN, ROTATED_TOKEN))
    expect(response.body.delivered[TOKEN_HEADER]).toBe(`${TOKEN}, ${ROTATED_TOKEN}`)
    expect(response.body.status).toBe('rejected')
    expect(response.body.reason).not.toContain(TOKEN)
    expect(response.body.reason).not.toContain(ROTATED_TOKEN)
  })

  it('the same token twice arrives joined; the joined text is never captured as a token', async () => {
    const reporter = startWorker('same-token-twice')
    const response = await postWebhook('same-token-twice', repeated(TOKEN_HEADER, TOKEN, TOKEN))
    expect(response.body.delivered[TOKEN_HEADER]).toBe(`${TOKEN}, ${TOKEN}`)
    // Either the join is refused (then the single token is a first `set`) or it is understood
    // as the one token (then the single token is `unchanged`); `rotated` would mean the joined
    // text had been captured as a token.
    const single = reporter.setCallbackContext(base).status
    expect([response.body.status, single]).toBeOneOf([
      ['rejected', 'set'],
      ['set', 'unchanged'],
    ])
  })

  it('through headersDistinct, different values are rejected and equal values accepted', async () => {
    startWorker('distinct-different')
    startWorker('distinct-same')
    const different = await postWebhook('distinct-different', repeated(TEAM_HEADER, TEAM, OTHER_TEAM), {
      view: 'distinct',
    })
    expect(different.body.status).toBe('rejected')
    expect(different.body.reason).toMatch(/x-cyrus-team-id.*different values/)
    const same = await postWebhook('distinct-same', repeated(TEAM_HEADER, TEAM, TEAM), { view: 'distinct' })
    expect(same.body.status).toBe('set')
  })
})

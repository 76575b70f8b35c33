// A local stand-in for the control plane's telemetry endpoint (CYHOST): a real Fastify 5 server
// on 127.0.0.1 that checks what a real endpoint checks, so the demo shows the addon passing the
// same gates it meets in production rather than a server that accepts anything.
import { fastify } from 'fastify'

export const ERROR_TYPES = ['crash', 'stall', 'rate_limit', 'billing', 'max_turns']

const REQUIRED_STRINGS = ['team_id', 'event_type', 'error_type', 'error_message', 'session_id', 'timestamp', 'event_id', 'error_detail']
const OPTIONAL_STRINGS = ['issue_id', 'issue_identifier', 'resets_at']
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
// Exactly what JS `toISOString()` prints.
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
const MAX_MESSAGE_CODE_POINTS = 500

/**
 * Checks a body against the wire format (SPEC §3). Returns the first problem found, or null.
 * Unknown fields are allowed (the format is additive); nulls never are.
 */
export function validateEvent(body, expectedTeamId) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body must be a JSON object'
  for (const [field, value] of Object.entries(body)) {
    if (value === null) return `${field} is null (omit unknown fields instead)`
  }
  for (const field of REQUIRED_STRINGS) {
    if (typeof body[field] !== 'string') return `${field} must be a string`
  }
  for (const field of OPTIONAL_STRINGS) {
    if (field in body && typeof body[field] !== 'string') return `${field} must be a string when present`
  }
  if (body.event_type !== 'agent_session_error') return 'event_type must be "agent_session_error"'
  if (!ERROR_TYPES.includes(body.error_type)) return `error_type must be one of ${ERROR_TYPES.join(', ')}`
  if (!SNAKE_CASE.test(body.error_detail)) return 'error_detail must be a snake_case code'
  if ([...body.error_message].length > MAX_MESSAGE_CODE_POINTS) return `error_message is longer than ${MAX_MESSAGE_CODE_POINTS} characters`
  if (body.session_id === '') return 'session_id is empty'
  if (!UUID_V4.test(body.event_id)) return 'event_id must be a lowercase UUID v4'
  if (!ISO_MILLIS.test(body.timestamp) || new Date(body.timestamp).toISOString() !== body.timestamp) {
    return 'timestamp must be an ISO 8601 UTC instant with milliseconds (toISOString form)'
  }
  if ('resets_at' in body && (!RFC3339_UTC.test(body.resets_at) || Number.isNaN(Date.parse(body.resets_at)))) {
    return 'resets_at must be an RFC 3339 UTC timestamp'
  }
  if ('duration_seconds' in body && (!Number.isInteger(body.duration_seconds) || body.duration_seconds < 0)) {
    return 'duration_seconds must be a non-negative integer'
  }
  if (expectedTeamId !== undefined && body.team_id !== expectedTeamId) return "team_id is not the token's team"
  return null
}

/**
 * Starts the collector. `token` is the only Bearer token it accepts until `rotateToken`.
 * Every request is recorded in `requests`, whatever the answer.
 */
export async function startCollector({ token, teamId, host = '127.0.0.1', path = '/api/telemetry/callback' }) {
  let currentToken = token
  let tokenGeneration = 1
  /** session_id → answers to give before accepting (each used once). */
  const scripted = new Map()
  /** event_id → the first body accepted or refused for it, to check retries are identical. */
  const firstBodies = new Map()
  /** event_id → { body, tokenGeneration } of the delivery accepted. */
  const accepted = new Map()
  const requests = []

  const app = fastify({ logger: false })
  // Keeps the body byte for byte, so a retry can be compared with the first attempt exactly.
  app.decorateRequest('rawBody', '')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, raw, done) => {
    request.rawBody = raw
    try {
      done(null, JSON.parse(raw))
    } catch {
      done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }))
    }
  })
  app.post(path, async (request, reply) => {
    const eventId = String(request.headers['idempotency-key'] ?? '')
    const record = {
      at: performance.now(),
      eventId,
      sessionId: typeof request.body?.session_id === 'string' ? request.body.session_id : '',
      userAgent: String(request.headers['user-agent'] ?? ''),
      rawBody: request.rawBody,
      status: 0,
      reason: '',
    }
    requests.push(record)
    const answer = (status, reason = '', headers = {}) => {
      record.status = status
      record.reason = reason
      return reply.code(status).headers(headers).send(reason ? { error: reason } : { ok: true })
    }

    if (request.headers.authorization !== `Bearer ${currentToken}`) return answer(401, 'invalid or missing Bearer token')
    const problem = validateEvent(request.body, teamId)
    if (problem) return answer(400, problem)
    if (eventId !== request.body.event_id) return answer(400, 'Idempotency-Key must equal event_id')
    const previous = firstBodies.get(eventId)
    if (previous === undefined) firstBodies.set(eventId, record.rawBody)
    else if (previous !== record.rawBody) return answer(409, 'event_id reused with a different body')

    const pending = scripted.get(record.sessionId)
    if (pending?.length) {
      const { status, headers } = pending.shift()
      return answer(status, `scripted ${status}`, headers)
    }
    // A replay of an event already accepted is acknowledged, not stored twice.
    if (accepted.has(eventId)) return answer(200)
    accepted.set(eventId, { body: request.body, tokenGeneration })
    return answer(202)
  })

  await app.listen({ host, port: 0 })
  const { port } = app.server.address()

  return {
    url: `http://${host}:${port}${path}`,
    requests,
    accepted,
    get tokenGeneration() {
      return tokenGeneration
    },
    /** From now on only `next` is accepted. */
    rotateToken(next) {
      currentToken = next
      tokenGeneration += 1
    },
    /** Answers the next requests for `sessionId` with these transient failures first. */
    failFirst(sessionId, answers) {
      scripted.set(sessionId, [...answers])
    },
    /** Every request made for one event (its Idempotency-Key), in arrival order. */
    attemptsFor(eventId) {
      return requests.filter((request) => request.eventId === eventId)
    },
    close: () => app.close(),
  }
}

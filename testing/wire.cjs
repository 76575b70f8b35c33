'use strict'
// The wire format of one event (README: "The event"), as a receiver checks it: the request line and headers,
// then the JSON body. Each check returns problems as { status, message }: the status a strict
// collector answers with (401 for the Bearer token, 400 for the rest), the message a test prints.

/** The five error types agreed with CYHOST (index.d.ts `ErrorType`). */
const ERROR_TYPES = Object.freeze(['crash', 'stall', 'rate_limit', 'billing', 'max_turns'])
const EVENT_TYPE = 'agent_session_error'
const REQUIRED_STRINGS = ['team_id', 'event_type', 'error_type', 'error_message', 'session_id', 'timestamp', 'event_id', 'error_detail']
const OPTIONAL_STRINGS = ['issue_id', 'issue_identifier', 'resets_at']
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
// Exactly what JS `toISOString()` prints.
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
const BEARER = /^Bearer (\S+)$/
const USER_AGENT = /^cyrus-telemetry\/\S+/
const MAX_MESSAGE_CODE_POINTS = 500

const refused = (message) => ({ status: 401, message })
const malformed = (message) => ({ status: 400, message })

/**
 * Problems of one event body; none for a valid one. Unknown fields are allowed (the format is
 * additive); nulls never are. With `teamId`, the body must carry that team.
 */
function bodyProblems(body, { teamId } = {}) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [malformed('body must be a JSON object')]
  const problems = []
  const problem = (message) => problems.push(malformed(message))
  for (const [field, value] of Object.entries(body)) {
    if (value === null) problem(`${field} is null (omit unknown fields instead)`)
  }
  for (const field of REQUIRED_STRINGS) {
    if (typeof body[field] !== 'string') problem(`${field} must be a string`)
  }
  for (const field of OPTIONAL_STRINGS) {
    if (field in body && body[field] !== null && typeof body[field] !== 'string') problem(`${field} must be a string when present`)
  }
  if (problems.length > 0) return problems
  if (body.event_type !== EVENT_TYPE) problem(`event_type must be "${EVENT_TYPE}"`)
  if (!ERROR_TYPES.includes(body.error_type)) problem(`error_type must be one of ${ERROR_TYPES.join(', ')}`)
  if (!SNAKE_CASE.test(body.error_detail)) problem('error_detail must be a snake_case code')
  if ([...body.error_message].length > MAX_MESSAGE_CODE_POINTS) problem(`error_message is longer than ${MAX_MESSAGE_CODE_POINTS} characters`)
  if (body.session_id === '') problem('session_id is empty')
  if (!UUID_V4.test(body.event_id)) problem('event_id must be a lowercase UUID v4')
  if (!ISO_MILLIS.test(body.timestamp) || Number.isNaN(Date.parse(body.timestamp)) || new Date(body.timestamp).toISOString() !== body.timestamp) {
    problem('timestamp must be an ISO 8601 UTC instant with milliseconds (toISOString form)')
  }
  if (typeof body.resets_at === 'string' && (!RFC3339_UTC.test(body.resets_at) || Number.isNaN(Date.parse(body.resets_at)))) {
    problem('resets_at must be an RFC 3339 UTC timestamp')
  }
  if ('duration_seconds' in body && body.duration_seconds !== null && (!Number.isInteger(body.duration_seconds) || body.duration_seconds < 0)) {
    problem('duration_seconds must be a non-negative integer')
  }
  if (teamId !== undefined && body.team_id !== teamId) problem(`team_id is not the expected team (${teamId})`)
  return problems
}

/**
 * Problems of a whole request: `POST` to `path`, `Content-Type: application/json`,
 * `Authorization: Bearer <token>` (that token, when one is expected; the token itself is never
 * in a message), `User-Agent: cyrus-telemetry/<version>`, `Idempotency-Key` equal to the body's
 * `event_id`, then the body.
 */
function requestProblems({ method, pathname, headers, body, parsed }, { path, token, teamId } = {}) {
  const problems = []
  if (method !== 'POST') problems.push(malformed(`method must be POST, got ${method}`))
  if (path !== undefined && pathname !== path) problems.push(malformed(`path must be ${path}, got ${pathname}`))
  const bearer = BEARER.exec(headers.authorization ?? '')
  if (!bearer) problems.push(refused('Authorization must be "Bearer <callback token>"'))
  else if (token !== undefined && bearer[1] !== token) problems.push(refused('the Bearer token is not the expected callback token'))
  if (!/^application\/json(\s*;|$)/i.test(headers['content-type'] ?? '')) problems.push(malformed('Content-Type must be application/json'))
  if (!USER_AGENT.test(headers['user-agent'] ?? '')) problems.push(malformed('User-Agent must be cyrus-telemetry/<version>'))
  if (!parsed) return [...problems, malformed('body is not valid JSON')]
  const bodyIssues = bodyProblems(body, { teamId })
  if (bodyIssues.length === 0 && headers['idempotency-key'] !== body.event_id) {
    problems.push(malformed('Idempotency-Key must equal event_id'))
  }
  return [...problems, ...bodyIssues]
}

module.exports = { ERROR_TYPES, bodyProblems, requestProblems }

// The one-command demo: drives the addon the way the cyrus edge worker does (webhook headers in,
// completed sessions in) against a local control-plane collector, then shows what the worker
// reported, what the collector received, and the reporter's counters.
//
//   node demo/demo.mjs                                   local collector on 127.0.0.1 (default)
//   node demo/demo.mjs --url <callback url> --token <t> --team <id>
//                                                        the same sessions to a real endpoint
//   add --verbose to see the reporter's debug log lines
//
// Exit status 0 when every check at the end holds.
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { TelemetryReporter } from 'cyrus-telemetry'
import { ERROR_TYPES, respond, startCollector } from 'cyrus-telemetry/testing'
import { printTable, truncate } from '../cli/table.mjs'

const USAGE = 'usage: node demo/demo.mjs [--verbose] [--url <callback url> --token <token> --team <team id>]'
const TOKEN_PLACEHOLDER = '{{callbackToken}}'
// The fake credentials in fixtures.json; none may reach the collector.
const PLANTED_SECRETS = [
  ['fake Anthropic key', 'sk-ant-api03-DEMOFAKEKEY'],
  ['fake Google API key', 'AIzaSyFAKE-FAKE-FAKE-FAKE-FAKE-FAKE0000'],
]
// Long enough for the 503 retry (backoffBaseMs 200) and the 429 with `Retry-After: 1`.
const FLUSH_MS = 8000

const fixtures = new Map(
  JSON.parse(readFileSync(new URL('./fixtures.json', import.meta.url), 'utf8')).map((fixture) => [fixture.id, fixture]),
)

/** The cyrus `ILogger` shape; prints warnings and errors, and debug lines with --verbose. */
class DemoLogger {
  constructor(verbose) {
    this.verbose = verbose
  }
  debug(message) {
    if (this.verbose) console.error(`  [cyrus-telemetry debug] ${message}`)
  }
  info(message) {
    if (this.verbose) console.error(`  [cyrus-telemetry info] ${message}`)
  }
  warn(message) {
    console.error(`  [cyrus-telemetry warn] ${message}`)
  }
  error(message) {
    console.error(`  [cyrus-telemetry error] ${message}`)
  }
}

function parseOptions() {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        team: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }))
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`)
    process.exit(2)
  }
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const remote = [values.url, values.token, values.team]
  if (remote.some(Boolean) && !remote.every(Boolean)) {
    console.error(`--url, --token and --team go together\n${USAGE}`)
    process.exit(2)
  }
  return values
}

/** A `CyrusAgentSession`-shaped object, with a live runner the addon must never touch. */
let sessionCount = 0
function agentSession() {
  sessionCount += 1
  const number = String(sessionCount).padStart(2, '0')
  return {
    id: `demo-session-${number}`,
    createdAt: Date.now() - (60 + sessionCount * 37) * 1000,
    issueContext: { trackerId: 'linear', issueId: randomUUID(), issueIdentifier: `DEMO-1${number}` },
    agentRunner: {
      supportsStreamingInput: true,
      stop() {},
      toJSON() {
        throw new Error('the live agent runner must never be serialized')
      },
    },
  }
}

/** Headers as Fastify hands them to the webhook route (Node lower-cases the names). */
function webhookHeaders(callback) {
  const headers = {
    host: '127.0.0.1:3456',
    'content-type': 'application/json; charset=utf-8',
    authorization: 'Bearer cyrus-api-key-of-this-droplet',
    'linear-event': 'AgentSessionEvent',
    'user-agent': 'Linear-Webhook',
  }
  if (!callback) return headers
  return {
    ...headers,
    'x-cyrus-callback-token': callback.token,
    'x-cyrus-callback-url': callback.url,
    'x-cyrus-team-id': callback.teamId,
  }
}

function heading(text) {
  console.log(`\n== ${text}`)
}

function step(text, result) {
  console.log(`  - ${text.padEnd(62)} -> ${result}`)
}

async function main() {
  const options = parseOptions()
  const remote = Boolean(options.url)
  const teamId = remote ? options.team : 'team-demo'
  const tokens = remote ? [options.token] : [1, 2].map(() => `demo-callback-${randomBytes(16).toString('hex')}`)
  /** session_id → answers to give before accepting (each used once). */
  const failFirst = new Map()
  // The package's test collector in strict mode stands in for the control plane: it refuses a
  // wrong Bearer token (401), a body off the wire format (400) and a retry that changed its
  // body (409), as the real endpoint does; failFirst scripts transient failures per session.
  const collector = remote
    ? null
    : await startCollector({
        token: tokens[0],
        teamId,
        strict: true,
        path: '/api/telemetry/callback',
        answers: (request) => failFirst.get(request.body?.session_id)?.shift() ?? respond(200),
      })
  const callbackUrl = remote ? options.url : collector.url
  let currentToken = tokens[0]

  const reporter = new TelemetryReporter({ logger: new DemoLogger(options.verbose), backoffBaseMs: 200 })
  /** One row per completed session, as the worker saw it. */
  const reported = []
  const checks = []
  const check = (label, ok, detail = '') => checks.push({ label, ok, detail })

  const complete = (fixtureId, { stopRequested = false, session = agentSession() } = {}) => {
    const fixture = fixtures.get(fixtureId)
    const result = JSON.parse(JSON.stringify(fixture.result).replaceAll(TOKEN_PLACEHOLDER, currentToken))
    const outcome = reporter.reportSessionError(session, result, { stopRequested })
    reported.push({
      session: session.id,
      fixture: fixture.id,
      expected: stopRequested ? '(user stop)' : fixture.expected,
      outcome: outcome.outcome,
      error_type: outcome.errorType ?? '',
      error_detail: outcome.errorDetail ?? '',
      eventId: outcome.eventId,
    })
    return outcome
  }

  console.log(`cyrus-telemetry demo: ${remote ? `sending to ${callbackUrl}` : `local collector at ${callbackUrl}`}`)
  heading('What the edge worker does')

  const selfHosted = reporter.setCallbackContext(webhookHeaders(null))
  step('webhook without callback headers (self-hosted install)', `setCallbackContext: ${selfHosted.status}`)
  const held = complete('sdk-query-error-exit-1')
  step('a session fails before any forwarded webhook', `reportSessionError: ${held.outcome}`)
  const requestsSoFar = collector?.requests.length ?? 0
  const heldSoFar = reporter.stats().held
  check('self-hosted webhook: nothing sent, the error is held', requestsSoFar === 0 && heldSoFar === 1, `${requestsSoFar} request(s), ${heldSoFar} held`)
  check('self-hosted webhook gives status absent', selfHosted.status === 'absent', selfHosted.status)

  const forwarded = reporter.setCallbackContext(webhookHeaders({ token: currentToken, url: callbackUrl, teamId }))
  step('forwarded webhook with x-cyrus-callback-* headers', `setCallbackContext: ${forwarded.status}${forwarded.reason ? ` (${forwarded.reason})` : ''}`)
  check('forwarded webhook gives status set', forwarded.status === 'set', forwarded.reason ?? forwarded.status)
  if (forwarded.status !== 'set') {
    await reporter.shutdown(0)
    await collector?.close()
    console.error('the callback context was not accepted; nothing can be sent')
    process.exitCode = 1
    return
  }

  const transient = agentSession()
  failFirst.set(transient.id, [respond(503)])
  for (const [fixtureId, session] of [
    ['cc-stream-idle-timeout-turn-failed', transient],
    ['cc-credit-balance-is-too-low'],
    ['cc-error-reached-max-turns-3'],
    ['synthetic-leaked-keys-process-exit'],
  ]) {
    const outcome = complete(fixtureId, { session })
    step(`session fails: ${fixtureId}`, `${outcome.outcome} ${outcome.errorType}/${outcome.errorDetail}`)
  }
  const stopped = complete('cc-print-execution-error', { stopRequested: true })
  step('the user stops a session', `reportSessionError: ${stopped.outcome}`)
  const success = complete('ok-version-042')
  step('a session succeeds', `reportSessionError: ${success.outcome}`)
  const firstFlush = await reporter.flush(FLUSH_MS)
  step('flush()', `completed: ${firstFlush.completed}, pending: ${firstFlush.pending}`)

  if (remote) {
    step('token rotation', 'skipped (needs the local collector)')
  } else {
    // The control plane issues a new token and forwards it on the next webhook; from that moment
    // it accepts only the new one.
    currentToken = tokens[1]
    collector.setToken(currentToken)
    const rotated = reporter.setCallbackContext(webhookHeaders({ token: currentToken, url: callbackUrl, teamId }))
    step('forwarded webhook carries a new token', `setCallbackContext: ${rotated.status}`)
    check('token rotation gives status rotated', rotated.status === 'rotated', rotated.status)
    const probe = await fetch(callbackUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/json' },
      body: '{}',
    })
    step('the collector, asked with the old token', `HTTP ${probe.status}`)
    check('the collector refuses the old token after rotation', probe.status === 401, `HTTP ${probe.status}`)
  }

  const throttled = agentSession()
  failFirst.set(throttled.id, [respond(429, { 'retry-after': '1' })])
  const sessionsAfterRotation = new Set()
  for (const [fixtureId, session = agentSession()] of [
    ['cc-usage-limit-epoch-11429', throttled],
    ['gemini-quota-per-minute-key-redacted'],
    ['other-openai-ratelimiterror-insufficient-quota'],
    ['sdk-max-budget-envelope'],
  ]) {
    sessionsAfterRotation.add(session.id)
    const outcome = complete(fixtureId, { session })
    step(`session fails: ${fixtureId}`, `${outcome.outcome} ${outcome.errorType}/${outcome.errorDetail}`)
  }

  const shutdown = await reporter.shutdown(FLUSH_MS)
  step('await reporter.shutdown()', `completed: ${shutdown.completed}, pending: ${shutdown.pending}`)
  check('shutdown finished every queued event', shutdown.completed && shutdown.pending === 0, JSON.stringify(shutdown))
  const late = complete('cc-credit-balance-is-too-low')
  step('a session completes after shutdown', `reportSessionError: ${late.outcome} (${late.reason})`)
  check('reports after shutdown are refused', late.outcome === 'disabled', late.outcome)

  heading('What the worker reported')
  printTable(reported, [
    ['session', 'session'],
    ['fixture', 'fixture'],
    ['expected', 'expected'],
    ['outcome', 'outcome'],
    ['error_type', 'error_type'],
    ['error_detail', 'error_detail'],
  ])

  // Events that were queued at once or held, then released: all of them must arrive.
  const deliverableIds = reported.filter((row) => ['queued', 'held'].includes(row.outcome)).map((row) => row.eventId)
  const stats = reporter.stats()
  if (collector) {
    heading('What the collector received')
    const attemptsFor = (eventId) => collector.requests.filter((request) => request.headers['idempotency-key'] === eventId)
    /** Which of the demo's tokens (1, 2) a request carried. */
    const tokenNumber = (request) => tokens.findIndex((token) => request.headers.authorization === `Bearer ${token}`) + 1
    const received = collector.events.map((body) => {
      const attempts = attemptsFor(body.event_id)
      return {
        session: body.session_id,
        issue: body.issue_identifier ?? '',
        error_type: body.error_type,
        error_detail: body.error_detail,
        resets_at: body.resets_at ?? '',
        message: truncate(body.error_message, 60),
        attempts: attempts.map((attempt) => attempt.status).join(' > '),
        token: `#${tokenNumber(attempts.at(-1))}`,
      }
    })
    printTable(received, [
      ['session', 'session'],
      ['issue', 'issue'],
      ['error_type', 'error_type'],
      ['error_detail', 'error_detail'],
      ['resets_at', 'resets_at'],
      ['message', 'error_message (scrubbed)'],
      ['attempts', 'answers per attempt'],
      ['token', 'token'],
    ], { maxWidth: 62 })
    const types = new Set(received.map((row) => row.error_type))
    console.log(`  error types received: ${ERROR_TYPES.map((type) => `${type} ${types.has(type) ? 'yes' : 'no'}`).join(', ')}`)

    // The probe with the old token is refused on purpose; every other refusal is a fault.
    const refused = collector.requests
      .filter((request) => deliverableIds.includes(request.headers['idempotency-key']) && request.problems.length > 0)
      .map((request) => ({ session: request.body?.session_id ?? '', status: String(request.status), reason: request.problems.join('; ') }))
    if (refused.length > 0) {
      heading('Deliveries the collector refused')
      printTable(refused, [['session', 'session'], ['status', 'status'], ['reason', 'reason']], { maxWidth: 80 })
    }

    const acceptedIds = new Set(collector.events.map((body) => body.event_id))
    check(
      'every reported event arrived, once',
      deliverableIds.length === acceptedIds.size && deliverableIds.every((id) => acceptedIds.has(id)),
      `${acceptedIds.size} of ${deliverableIds.length}`,
    )
    check('no delivery refused by the collector (token, format)', refused.length === 0, `${refused.length} refused`)
    const requestsOf = (session) => collector.requests.filter((request) => request.body?.session_id === session.id)
    const afterUnavailable = requestsOf(transient).map((request) => request.status)
    check('503 retried, then delivered', afterUnavailable.join() === '503,200', afterUnavailable.join(' > '))
    const afterThrottle = requestsOf(throttled)
    const waitedMs = afterThrottle.length === 2 ? afterThrottle[1].at - afterThrottle[0].at : 0
    check(
      '429 with Retry-After: 1 retried after at least 1 s',
      afterThrottle.map((request) => request.status).join() === '429,200' && waitedMs >= 950,
      `${afterThrottle.map((request) => request.status).join(' > ')}, waited ${Math.round(waitedMs)} ms`,
    )
    const afterRotation = received.filter((row) => sessionsAfterRotation.has(row.session))
    check(
      'events after the rotation used the new token',
      afterRotation.length === sessionsAfterRotation.size && afterRotation.every((row) => row.token === `#${tokens.length}`),
      `${afterRotation.length} event(s)`,
    )
    const bodies = collector.requests.map((request) => request.rawBody).join('\n')
    const secrets = [...tokens.map((token, index) => [`callback token #${index + 1}`, token]), ...PLANTED_SECRETS]
    const leaked = secrets.filter(([, secret]) => bodies.includes(secret)).map(([label]) => label)
    check('no callback token or fake key in any body received', leaked.length === 0, leaked.length ? `found: ${leaked.join(', ')}` : '')
    check('stats().sent equals events received', stats.sent === acceptedIds.size, `${stats.sent} / ${acceptedIds.size}`)
  } else {
    check('every queued event delivered', stats.sent === stats.queued && stats.failed === 0, `sent ${stats.sent} of ${stats.queued}, failed ${stats.failed}`)
  }
  check(
    'reported == queued + held + droppedQueueFull + droppedHeldOverflow',
    stats.reported === stats.queued + stats.held + stats.droppedQueueFull + stats.droppedHeldOverflow,
  )
  check('queued == sent + failed', stats.queued === stats.sent + stats.failed)

  heading('Final stats()')
  printTable(
    Object.entries(stats).map(([counter, value]) => ({ counter, value: String(value) })),
    [['counter', 'counter'], ['value', 'value']],
  )

  heading('Checks')
  for (const { label, ok, detail } of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? ` (${detail})` : ''}`)
  const failed = checks.filter((entry) => !entry.ok).length
  console.log(failed === 0 ? '\nall checks passed' : `\n${failed} check(s) failed`)
  process.exitCode = failed === 0 ? 0 : 1
  await collector?.close()
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})

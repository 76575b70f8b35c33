// `cyrus-telemetry send-test --url --token --team`: one test event through the addon's own
// delivery path (context validation, TLS, the deadline, retries) to a real endpoint, and what
// came of it.
import { randomUUID } from 'node:crypto'
import { TelemetryReporter } from '../index.mjs'
import { Failure, UsageError } from './errors.mjs'

export const usage = `usage: cyrus-telemetry send-test --url <callback url> --token <callback token> --team <team id>
                               [--attempts <n>] [--timeout-ms <ms>] [--json]

Sends one test event (error_type crash, error_detail process_exit, a session id starting with
"send-test-") to the endpoint, as the edge worker would, and reports the outcome and HTTP status.
  --url, --token, --team   the three x-cyrus-callback-* values (url: https, or http on loopback)
  --attempts <n>           attempts before giving up (default 1: the endpoint's first answer)
  --timeout-ms <ms>        deadline of one attempt (default 10000)
  --json                   one JSON object on stdout
The token is never printed. Exit 0 when the endpoint accepted the event (2xx), 1 when it did
not (or refused the context), 2 for a wrong command line.`

export const options = {
  url: { type: 'string' },
  token: { type: 'string' },
  team: { type: 'string' },
  attempts: { type: 'string', default: '1' },
  'timeout-ms': { type: 'string', default: '10000' },
  json: { type: 'boolean', default: false },
}

/** A positive integer option, or a usage error naming it. */
function count(values, name) {
  const text = values[name]
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(text)}`)
  return value
}

const TEST_RESULT = {
  type: 'result',
  subtype: 'error_during_execution',
  is_error: true,
  errors: ['cyrus-telemetry send-test: a test event, not an agent error (Claude Code process exited with code 1)'],
}

export async function run({ values, positionals }) {
  if (positionals.length > 0) throw new UsageError(`send-test takes no arguments besides its options, got ${positionals.join(' ')}`)
  const missing = ['url', 'token', 'team'].filter((name) => !values[name])
  if (missing.length) throw new UsageError(`send-test needs ${missing.map((name) => `--${name}`).join(', ')}`)
  const maxAttempts = count(values, 'attempts')
  const requestTimeoutMs = count(values, 'timeout-ms')

  const log = []
  const reporter = new TelemetryReporter({
    maxAttempts,
    requestTimeoutMs,
    backoffBaseMs: 500,
    disabled: false, // CYRUS_TELEMETRY_DISABLED must not turn a deliberate test into a no-op
    logger: (level, message) => log.push(`${level}: ${message}`),
  })
  try {
    const context = reporter.setCallbackContext({ callbackUrl: values.url, callbackToken: values.token, teamId: values.team })
    if (context.status === 'rejected') throw new Failure(`the callback context was refused: ${context.reason}`)
    const sessionId = `send-test-${randomUUID()}`
    const outcome = reporter.reportSessionError({ id: sessionId, createdAt: Date.now() }, TEST_RESULT)
    if (outcome.outcome !== 'queued') throw new Failure(`the event was not queued: ${outcome.outcome}${outcome.reason ? ` (${outcome.reason})` : ''}`)
    // Long enough for every attempt at its deadline plus the backoff between them (≤ 30 s each).
    const flushed = await reporter.flush(maxAttempts * (requestTimeoutMs + 30_000))
    await new Promise((resolve) => setImmediate(resolve)) // the addon's last log lines
    const stats = reporter.stats()
    const httpStatus = /HTTP (\d{3})/.exec(log.findLast((line) => /HTTP \d{3}/.test(line)) ?? '')?.[1]
    const result = stats.sent === 1
      ? { outcome: 'delivered', httpStatus: '2xx' }
      : stats.failedHttp === 1
        ? { outcome: 'refused', httpStatus: Number(httpStatus) }
        : stats.failedTimeout === 1
          ? { outcome: 'timed out' }
          : stats.failedNetwork === 1
            ? { outcome: 'network error' }
            : { outcome: flushed.completed ? 'unknown' : 'still pending' }
    const report = { ...result, eventId: outcome.eventId, sessionId, teamId: values.team, url: values.url, attempts: 1 + stats.retried, log }
    if (values.json) console.log(JSON.stringify(report, null, 2))
    else {
      console.log(`event ${report.eventId} (session ${sessionId}, team ${values.team}) to ${values.url}`)
      console.log(`${report.outcome}${report.httpStatus === undefined ? '' : ` (HTTP ${report.httpStatus})`} after ${report.attempts} attempt(s)`)
      for (const line of log) console.log(`  ${line}`)
    }
    if (result.outcome !== 'delivered') throw new Failure(hint(result))
  } finally {
    await reporter.shutdown(0)
  }
}

/** What to check for each way a test event can fail. */
function hint({ outcome, httpStatus }) {
  if (outcome === 'refused' && (httpStatus === 401 || httpStatus === 403)) return `the endpoint refused the token (HTTP ${httpStatus}): check --token`
  if (outcome === 'refused' && httpStatus === 404) return 'the endpoint answered 404: check the path of --url'
  if (outcome === 'refused') return `the endpoint answered HTTP ${httpStatus}`
  if (outcome === 'timed out') return 'no answer within --timeout-ms: check that --url is reachable from here'
  if (outcome === 'network error') return 'could not connect (refused, reset, DNS or TLS): check --url and the network'
  return `the event was not delivered (${outcome})`
}

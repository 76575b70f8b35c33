// `cyrus-telemetry send-test --url --token --team`: one test event through the addon's own
// delivery path (context validation, TLS, the deadline, retries) to a real endpoint, and what
// came of it.
import { randomUUID } from 'node:crypto'
import { loadAddon } from './addon.mjs'
import { Failure, UsageError } from './errors.mjs'

export const usage = `usage: cyrus-telemetry send-test --url <callback url> --token <callback token> --team <team id>
                               [--attempts <n>] [--timeout-ms <ms>] [--json]

Sends one test event (error_type crash, error_detail process_exit, a session id starting with
"send-test-") to the endpoint, as the edge worker would, and reports the outcome and HTTP status.
  --url, --token, --team   the three x-cyrus-callback-* values (url: https, or http on loopback)
  --attempts <n>           attempts before giving up, 1-100 (default 1: the endpoint's first answer)
  --timeout-ms <ms>        deadline of one attempt, 1-3600000 (default 10000)
  --json                   one JSON object on stdout
The token is never printed. Exit 0 when the endpoint accepted the event (2xx), 1 when it did
not, 2 for a wrong command line (values the reporter would refuse included: an http URL that is
not loopback, a token with spaces …).`

export const options = {
  url: { type: 'string' },
  token: { type: 'string' },
  team: { type: 'string' },
  attempts: { type: 'string', default: '1' },
  'timeout-ms': { type: 'string', default: '10000' },
  json: { type: 'boolean', default: false },
}

/** A whole-number option within the reporter's range, or a usage error naming it. */
function count(values, name, max) {
  const text = values[name]
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}`)
  }
  return value
}

/** The reporter's reason, in the command line's words: its header names become the flags. */
const FLAGS = { 'x-cyrus-callback-url': '--url', 'x-cyrus-callback-token': '--token', 'x-cyrus-team-id': '--team' }
const inFlags = (reason) => reason.replace(/x-cyrus-(callback-url|callback-token|team-id)/g, (header) => FLAGS[header])

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
  // The reporter's own ranges (maxAttempts, requestTimeoutMs).
  const maxAttempts = count(values, 'attempts', 100)
  const requestTimeoutMs = count(values, 'timeout-ms', 3_600_000)
  const { TelemetryReporter } = await loadAddon()

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
    // Values the reporter refuses are a command line to fix: the reason names the flag.
    if (context.status === 'rejected') throw new UsageError(`the reporter refuses these values: ${inFlags(context.reason ?? 'no reason given')}`)
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

// The delivery engine end to end (README, "The event", "Behaviour" and "API"): the built addon POSTs to real loopback
// receivers whose answers are scripted. Small timings (50 ms backoff, 300 ms attempt deadline)
// keep it fast; delays are asserted with generous margins.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TelemetryReporter, type ReportOutcome, type TelemetryOptions, type TelemetryStats } from 'cyrus-telemetry'
import {
  hang,
  redirect,
  refusedPort,
  reset,
  respond,
  sleep,
  stallBody,
  startReceiver,
  type Receiver,
  type RecordedRequest,
  type Script,
} from './helpers/receiver'

const root = join(__dirname, '..')
const TOKEN = 'cbtok_7f3a9c2e51d84b6aQ'
const TEAM = 'team-delivery'
/** Long enough for a log line or a stray retry to show up if it were coming. */
const SETTLE_MS = 150

type LogLine = { level: string; message: string }

const receivers: Receiver[] = []
const reporters: TelemetryReporter[] = []

afterEach(async () => {
  await Promise.all(reporters.splice(0).map((reporter) => reporter.shutdown(0)))
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})

async function receiver(script?: Script): Promise<Receiver> {
  const started = await startReceiver({ script })
  receivers.push(started)
  return started
}

function context(callbackUrl: string, callbackToken = TOKEN, teamId = TEAM) {
  return { callbackToken, callbackUrl, teamId }
}

/** A reporter with test timings and a function logger; with a URL, its context is set. */
function reporterFor(url: string | null, options: TelemetryOptions = {}) {
  const lines: LogLine[] = []
  const reporter = new TelemetryReporter({
    backoffBaseMs: 50,
    requestTimeoutMs: 300,
    logger: (level, message) => lines.push({ level, message }),
    logLevel: 'debug',
    ...options,
  })
  reporters.push(reporter)
  if (url !== null) expect(reporter.setCallbackContext(context(url)).status).toBe('set')
  return { reporter, lines }
}

/** An SDK error result, as `@anthropic-ai/claude-agent-sdk` emits it. */
function failedResult(text = 'boom') {
  return { type: 'result', subtype: 'error_during_execution', is_error: true, errors: [text] }
}

function report(reporter: TelemetryReporter, sessionId = 'session-1', text = 'boom'): ReportOutcome {
  return reporter.reportSessionError({ id: sessionId }, failedResult(text))
}

/** Every attempt of one event: same bytes, same id, the headers of README, "The event". */
function expectAttemptsOfOneEvent(requests: RecordedRequest[], eventId: string | undefined) {
  expect(eventId).toMatch(/^[0-9a-f-]{36}$/)
  expect(requests.length).toBeGreaterThan(0)
  for (const request of requests) {
    expect(request.method).toBe('POST')
    expect(request.url).toBe('/cb')
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(request.headers['user-agent']).toMatch(/^cyrus-telemetry\//)
    expect(request.headers['content-type']).toBe('application/json')
    expect(request.headers['idempotency-key']).toBe(eventId)
    expect(request.body.event_id).toBe(eventId)
    expect(request.rawBody).toBe(requests[0].rawBody)
  }
}

/** Milliseconds between consecutive arrivals. */
function gaps(requests: RecordedRequest[]): number[] {
  return requests.slice(1).map((request, index) => request.at - requests[index].at)
}

function expectCountersConsistent(stats: TelemetryStats) {
  expect(stats.reported).toBe(stats.queued + stats.held + stats.droppedQueueFull + stats.droppedHeldOverflow)
  expect(stats.failed).toBe(stats.failedHttp + stats.failedTimeout + stats.failedNetwork)
  if (stats.queueLength === 0 && stats.inFlight === 0 && stats.waitingToRetry === 0) {
    expect(stats.queued).toBe(stats.sent + stats.failed)
  }
}

/** Flushes, then waits a little so that a stray extra attempt would be seen. */
async function flushAndSettle(reporter: TelemetryReporter, timeoutMs = 3000) {
  const result = await reporter.flush(timeoutMs)
  await sleep(SETTLE_MS)
  return result
}

describe('answers and retries', () => {
  it('200: one request, delivered, flush completes', async () => {
    const rx = await receiver([respond(200)])
    const { reporter } = reporterFor(rx.url)
    const outcome = report(reporter)
    expect(outcome.outcome).toBe('queued')
    expect(await flushAndSettle(reporter)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(1)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    expect(reporter.stats()).toMatchObject({ reported: 1, queued: 1, sent: 1, retried: 0, failed: 0 })
    expectCountersConsistent(reporter.stats())
  })

  it('400 is final: one attempt, failedHttp', async () => {
    const rx = await receiver([respond(400)])
    const { reporter } = reporterFor(rx.url)
    const outcome = report(reporter)
    expect(await flushAndSettle(reporter)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(1)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    expect(reporter.stats()).toMatchObject({ sent: 0, retried: 0, failed: 1, failedHttp: 1 })
    expectCountersConsistent(reporter.stats())
  })

  it('401 is final and warns exactly once across two events', async () => {
    const rx = await receiver([respond(401)])
    const { reporter, lines } = reporterFor(rx.url)
    report(reporter, 'session-a')
    report(reporter, 'session-b')
    await flushAndSettle(reporter)
    expect(rx.requests).toHaveLength(2)
    expect(reporter.stats()).toMatchObject({ sent: 0, retried: 0, failedHttp: 2 })
    const warnings = lines.filter((line) => line.level === 'warn' || line.level === 'error')
    expect(warnings.map((line) => line.message)).toHaveLength(1)
    expect(warnings[0].message).toMatch(/refused|401/)
  })

  it('429 with Retry-After: 1 waits at least the server’s second', async () => {
    const rx = await receiver([respond(429, { 'retry-after': '1' }), respond(200)])
    const { reporter } = reporterFor(rx.url, { retryAfterMaxMs: 5000 })
    const outcome = report(reporter)
    expect(await flushAndSettle(reporter, 5000)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(2)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    expect(gaps(rx.requests)[0]).toBeGreaterThanOrEqual(900)
    expect(reporter.stats()).toMatchObject({ sent: 1, retried: 1, failed: 0 })
  })

  it('429 with an HTTP-date Retry-After is honoured, clamped by retryAfterMaxMs', async () => {
    // A date about 3 s ahead, clamped to 600 ms: the 50 ms backoff alone would retry far sooner.
    const inThreeSeconds = new Date(Date.now() + 3500).toUTCString()
    const rx = await receiver([respond(429, { 'retry-after': inThreeSeconds }), respond(200)])
    const { reporter } = reporterFor(rx.url, { retryAfterMaxMs: 600 })
    const outcome = report(reporter)
    await flushAndSettle(reporter, 5000)
    expect(rx.requests).toHaveLength(2)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    const [wait] = gaps(rx.requests)
    expect(wait).toBeGreaterThanOrEqual(550)
    expect(wait).toBeLessThan(2000)
    expect(reporter.stats()).toMatchObject({ sent: 1, retried: 1 })
  })

  it('429 without Retry-After retries after the backoff', async () => {
    const rx = await receiver([respond(429), respond(200)])
    const { reporter } = reporterFor(rx.url)
    const outcome = report(reporter)
    await flushAndSettle(reporter)
    expect(rx.requests).toHaveLength(2)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    const [wait] = gaps(rx.requests)
    expect(wait).toBeGreaterThanOrEqual(35)
    expect(wait).toBeLessThan(900)
    expect(reporter.stats()).toMatchObject({ sent: 1, retried: 1 })
  })

  it('500 then 200: delivered on the second attempt', async () => {
    const rx = await receiver([respond(500), respond(200)])
    const { reporter } = reporterFor(rx.url)
    const outcome = report(reporter)
    await flushAndSettle(reporter)
    expect(rx.requests).toHaveLength(2)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    expect(reporter.stats()).toMatchObject({ sent: 1, retried: 1, failed: 0 })
  })

  it('503 three times then 200: four attempts with growing backoff', async () => {
    const rx = await receiver([respond(503), respond(503), respond(503), respond(200)])
    const { reporter } = reporterFor(rx.url)
    const outcome = report(reporter)
    expect(await flushAndSettle(reporter)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(4)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    // 50, 100, 200 ms, each −20 % at worst.
    const [first, second, third] = gaps(rx.requests)
    expect(first).toBeGreaterThanOrEqual(35)
    expect(second).toBeGreaterThanOrEqual(70)
    expect(third).toBeGreaterThanOrEqual(140)
    expect(reporter.stats()).toMatchObject({ sent: 1, retried: 3, failed: 0 })
    expectCountersConsistent(reporter.stats())
  })

  it('503 forever: four attempts, then failedHttp', async () => {
    const rx = await receiver(() => respond(503))
    const { reporter } = reporterFor(rx.url)
    const outcome = report(reporter)
    expect(await reporter.flush(3000)).toEqual({ completed: true, pending: 0 })
    // A fifth attempt would come about 400 ms after the fourth.
    await sleep(600)
    expect(rx.requests).toHaveLength(4)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    expect(reporter.stats()).toMatchObject({ sent: 0, retried: 3, failed: 1, failedHttp: 1 })
    expectCountersConsistent(reporter.stats())
  })

  it('a hanging receiver: every attempt times out, then failedTimeout', async () => {
    const rx = await receiver([hang()])
    const { reporter } = reporterFor(rx.url, { maxAttempts: 2 })
    const outcome = report(reporter)
    expect(await flushAndSettle(reporter)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(2)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    // The second attempt starts only after the first one's 300 ms deadline.
    expect(gaps(rx.requests)[0]).toBeGreaterThanOrEqual(300)
    expect(reporter.stats()).toMatchObject({ sent: 0, retried: 1, failed: 1, failedTimeout: 1 })
  })

  it('2xx headers then a stalled body: delivered once the headers arrive, never retried', async () => {
    const rx = await receiver([stallBody(200)])
    // A long deadline, so that "delivered at the headers" and "delivered at the deadline" differ.
    const { reporter } = reporterFor(rx.url, { requestTimeoutMs: 3000 })
    const outcome = report(reporter)
    await rx.waitForRequests(1)
    const headersSentAt = performance.now()
    const flushed = await reporter.flush(5000)
    const countedAfter = performance.now() - headersSentAt
    await sleep(SETTLE_MS)
    expect(flushed).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(1)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    expect(reporter.stats()).toMatchObject({ sent: 1, retried: 0, failed: 0 })
    // README, "Behaviour": a 2xx counts as delivered as soon as its headers arrive; the stalled body may be
    // read only within the deadline and must not hold the event until then.
    expect(countedAfter).toBeLessThan(1500)
  })

  it('a reset socket is retried, then failedNetwork', async () => {
    const rx = await receiver([reset()])
    const { reporter } = reporterFor(rx.url, { maxAttempts: 3 })
    const outcome = report(reporter)
    expect(await flushAndSettle(reporter)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(3)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    expect(reporter.stats()).toMatchObject({ sent: 0, retried: 2, failed: 1, failedNetwork: 1 })
  })

  it('a refused connection: retried, then failedNetwork', async () => {
    const port = await refusedPort()
    const { reporter } = reporterFor(`http://127.0.0.1:${port}/cb`, { maxAttempts: 2 })
    report(reporter)
    expect(await flushAndSettle(reporter)).toEqual({ completed: true, pending: 0 })
    expect(reporter.stats()).toMatchObject({ sent: 0, retried: 1, failed: 1, failedNetwork: 1 })
  })

  it.each([302, 307] as const)('a %i redirect is a final failure and is never followed', async (status) => {
    const elsewhere = await receiver([respond(200)])
    const rx = await receiver([redirect(status, elsewhere.url)])
    const { reporter } = reporterFor(rx.url)
    const outcome = report(reporter)
    expect(await flushAndSettle(reporter)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(1)
    expectAttemptsOfOneEvent(rx.requests, outcome.eventId)
    expect(elsewhere.requests).toHaveLength(0)
    expect(reporter.stats()).toMatchObject({ sent: 0, retried: 0, failed: 1, failedHttp: 1 })
  })
})

describe('queue and held buffer', () => {
  it('a full queue drops the new event and counts it; the caller never waits', async () => {
    const rx = await receiver([hang()])
    const { reporter } = reporterFor(rx.url, { queueCapacity: 2, requestTimeoutMs: 10_000 })
    const outcomes = [report(reporter, 'a'), report(reporter, 'b'), report(reporter, 'c')]
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['queued', 'queued', 'dropped_queue_full'])
    expect(outcomes[2].reason).toMatch(/queue/)
    await rx.waitForRequests(2)
    const stats = reporter.stats()
    expect(stats).toMatchObject({ reported: 3, queued: 2, droppedQueueFull: 1, sent: 0 })
    expectCountersConsistent(stats)
  })

  it('holds events until a context arrives, drops the oldest, scrubs the token on release', async () => {
    const rx = await receiver([respond(200)])
    const { reporter } = reporterFor(null, { heldCapacity: 2 })
    const outcomes = ['first', 'second', 'third'].map((name) =>
      report(reporter, name, `${name} failed: Bearer-less header ${TOKEN} was rejected`),
    )
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['held', 'held', 'held'])
    expect(reporter.stats()).toMatchObject({ reported: 3, held: 2, droppedHeldOverflow: 1, queued: 0 })
    expectCountersConsistent(reporter.stats())
    // Held events cannot be sent: a flush does not wait for them.
    expect(await reporter.flush(1000)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(0)

    expect(reporter.setCallbackContext(context(rx.url)).status).toBe('set')
    expect(await flushAndSettle(reporter)).toEqual({ completed: true, pending: 0 })
    expect(rx.requests).toHaveLength(2)
    const bodies = rx.requests.map((request) => request.body)
    expect(bodies.map((body) => body.event_id).sort()).toEqual([outcomes[1].eventId, outcomes[2].eventId].sort())
    for (const request of rx.requests) {
      expect(request.rawBody).not.toContain(TOKEN)
      expect(request.body.error_message).toContain('[REDACTED]')
      expect(request.body.team_id).toBe(TEAM)
    }
    expect(reporter.stats()).toMatchObject({ reported: 3, held: 0, queued: 2, sent: 2, droppedHeldOverflow: 1 })
    expectCountersConsistent(reporter.stats())
  })
})

describe('flush and shutdown', () => {
  it('flush with nothing queued completes at once', async () => {
    const { reporter } = reporterFor(null)
    expect(await reporter.flush()).toEqual({ completed: true, pending: 0 })
  })

  it('flush(300) against a hanging receiver resolves incomplete, quickly, without rejecting', async () => {
    const rx = await receiver([hang()])
    const { reporter } = reporterFor(rx.url, { requestTimeoutMs: 10_000 })
    report(reporter, 'a')
    report(reporter, 'b')
    await rx.waitForRequests(2)
    const started = performance.now()
    await expect(reporter.flush(300)).resolves.toEqual({ completed: false, pending: 2 })
    expect(performance.now() - started).toBeLessThan(2000)
    expect(reporter.stats()).toMatchObject({ inFlight: 2, sent: 0, failed: 0 })
  })

  it('shutdown resolves despite a hung send, then reports are refused as disabled', async () => {
    const rx = await receiver([hang()])
    const { reporter } = reporterFor(rx.url, { requestTimeoutMs: 10_000 })
    report(reporter)
    await rx.waitForRequests(1)
    await expect(reporter.shutdown(200)).resolves.toEqual({ completed: false, pending: 1 })
    const after = report(reporter, 'late')
    expect(after).toMatchObject({ outcome: 'disabled', reason: 'shut down' })
    expect(after.eventId).toBeUndefined()
    expect(reporter.stats()).toMatchObject({ reported: 1, skippedDisabled: 1 })
    await sleep(SETTLE_MS)
    expect(rx.requests).toHaveLength(1)
  })
})

describe('outcomes that send nothing', () => {
  it('user stop, success, and the disabled option', async () => {
    const rx = await receiver([respond(200)])
    const { reporter } = reporterFor(rx.url)
    expect(reporter.reportSessionError({ id: 's' }, failedResult(), { stopRequested: true }).outcome).toBe('user_stop')
    const success = { type: 'result', subtype: 'success', is_error: false, result: 'done' }
    expect(reporter.reportSessionError({ id: 's' }, success).outcome).toBe('not_an_error')
    const { reporter: disabled } = reporterFor(rx.url, { disabled: true })
    expect(disabled.reportSessionError({ id: 's' }, failedResult()).outcome).toBe('disabled')
    await reporter.flush()
    await disabled.flush()
    await sleep(SETTLE_MS)
    expect(rx.requests).toHaveLength(0)
    expect(reporter.stats()).toMatchObject({ reported: 0, queued: 0, skippedUserStop: 1, skippedNotAnError: 1 })
    expect(disabled.stats()).toMatchObject({ reported: 0, queued: 0, skippedDisabled: 1 })
  })

  it('CYRUS_TELEMETRY_DISABLED=1 in the environment disables a new reporter', async () => {
    const port = await refusedPort()
    const script = `
      const { TelemetryReporter } = require(${JSON.stringify(root)})
      const reporter = new TelemetryReporter({ logger: () => {} })
      reporter.setCallbackContext({ callbackToken: 't', callbackUrl: 'http://127.0.0.1:${port}/cb', teamId: 'x' })
      const outcome = reporter.reportSessionError({ id: 's' }, { subtype: 'error_during_execution', is_error: true })
      console.log(JSON.stringify(outcome))`
    const run = (env: NodeJS.ProcessEnv) =>
      JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 20_000 }))
    const { CYRUS_TELEMETRY_DISABLED: _ignored, ...clean } = process.env
    expect(run({ ...clean, CYRUS_TELEMETRY_DISABLED: '1' }).outcome).toBe('disabled')
    // The same script without the variable queues: the variable is what made the difference.
    expect(run(clean).outcome).toBe('queued')
  })

  it.each([
    ['a null session', null, failedResult(), /session/],
    ['an undefined session', undefined, failedResult(), /session/],
    ['a string session', 'session-1', failedResult(), /session/],
    ['a null result', { id: 's' }, null, /result/],
    ['a string result', { id: 's' }, 'error', /result/],
    ['a session without id', { createdAt: Date.now() }, failedResult(), /id/],
    ['a session with an empty id', { id: '' }, failedResult(), /id/],
  ])('%s is invalid_input with a reason, never an exception', (_name, session, result, reason) => {
    const { reporter } = reporterFor(null)
    const outcome = reporter.reportSessionError(session as any, result as any)
    expect(outcome.outcome).toBe('invalid_input')
    expect(outcome.reason).toMatch(reason)
    expect(outcome.eventId).toBeUndefined()
    expect(reporter.stats()).toMatchObject({ invalidInput: 1, reported: 0 })
  })

  it('options.sessionId overrides session.id', async () => {
    const rx = await receiver([respond(200)])
    const { reporter } = reporterFor(rx.url)
    reporter.reportSessionError({ id: 'from-session' }, failedResult(), { sessionId: 'from-option' })
    await reporter.flush()
    expect(rx.requests.map((request) => request.body.session_id)).toEqual(['from-option'])
  })
})

describe('wire format', () => {
  const requiredKeys = [
    'team_id',
    'event_type',
    'error_type',
    'error_message',
    'session_id',
    'timestamp',
    'event_id',
    'error_detail',
  ]
  const errorTypes = ['crash', 'stall', 'rate_limit', 'billing', 'max_turns']

  async function deliverOne(session: object, result: object) {
    const rx = await receiver([respond(200)])
    const { reporter } = reporterFor(rx.url)
    const reportedAt = Date.now()
    const outcome = reporter.reportSessionError(session as any, result as any)
    expect(outcome.outcome).toBe('queued')
    await reporter.flush()
    expect(rx.requests).toHaveLength(1)
    return { body: rx.requests[0].body, outcome, reportedAt }
  }

  it('a minimal session: exactly the required keys, optional ones omitted (never null)', async () => {
    const { body, outcome } = await deliverOne({ id: 'session-min' }, failedResult('tool crashed'))
    expect(Object.keys(body).sort()).toEqual([...requiredKeys].sort())
    expect(Object.values(body)).not.toContain(null)
    expect(body).toMatchObject({
      team_id: TEAM,
      event_type: 'agent_session_error',
      session_id: 'session-min',
      error_message: 'tool crashed',
      event_id: outcome.eventId,
      error_type: outcome.errorType,
      error_detail: outcome.errorDetail,
    })
    expect(errorTypes).toContain(body.error_type)
    expect(body.error_detail).toMatch(/^[a-z0-9_]+$/)
    expect(body.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('timestamp is the report time in toISOString() form', async () => {
    const { body, reportedAt } = await deliverOne({ id: 'session-time' }, failedResult())
    expect(body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    expect(Math.abs(Date.parse(body.timestamp) - reportedAt)).toBeLessThan(5000)
  })

  it('a full session: all twelve fields', async () => {
    const session = {
      id: 'session-full',
      createdAt: Date.now() - 61_400,
      issueContext: { issueId: 'issue-uuid-1', issueIdentifier: 'CYPACK-951' },
    }
    const usageLimit = { type: 'result', subtype: 'success', is_error: true, result: 'Claude AI usage limit reached|1755615600' }
    const { body } = await deliverOne(session, usageLimit)
    expect(body).toMatchObject({ issue_id: 'issue-uuid-1', issue_identifier: 'CYPACK-951' })
    expect(Number.isInteger(body.duration_seconds)).toBe(true)
    expect(body.duration_seconds).toBeGreaterThanOrEqual(61)
    expect(body.duration_seconds).toBeLessThanOrEqual(63)
    expect(body.resets_at).toBe('2025-08-19T15:00:00Z')
    expect(Object.keys(body).sort()).toEqual(
      [...requiredKeys, 'issue_id', 'issue_identifier', 'duration_seconds', 'resets_at'].sort(),
    )
  })

  it('the deprecated issueId and issue.identifier are read when issueContext is absent', async () => {
    const { body } = await deliverOne({ id: 's', issueId: 'legacy-id', issue: { identifier: 'OLD-7' } }, failedResult())
    expect(body).toMatchObject({ issue_id: 'legacy-id', issue_identifier: 'OLD-7' })
  })

  it('a live session object (functions, a cycle, a throwing getter) is never serialized', async () => {
    let explosiveReads = 0
    class AgentRunner {
      session: unknown
      stop() {}
    }
    const runner = new AgentRunner()
    const session = { id: 'live', createdAt: Date.now(), agentRunner: runner, onDone: () => {} }
    runner.session = session
    Object.defineProperty(session, 'explosive', {
      enumerable: true,
      get() {
        explosiveReads += 1
        throw new Error('this property must not be read')
      },
    })
    const { body } = await deliverOne(session, failedResult())
    expect(explosiveReads).toBe(0)
    expect(Object.keys(body).sort()).toEqual([...requiredKeys, 'duration_seconds'].sort())
    expect(body.session_id).toBe('live')
  })
})

describe('logging', () => {
  it('a cyrus-style ILogger class is called with its own `this`', async () => {
    class PrefixedLogger {
      readonly lines: LogLine[] = []
      constructor(private readonly prefix: string) {}
      private write(level: string, message: string) {
        this.lines.push({ level, message: `${this.prefix} ${message}` })
      }
      debug(message: string) {
        this.write('debug', message)
      }
      info(message: string) {
        this.write('info', message)
      }
      warn(message: string) {
        this.write('warn', message)
      }
      error(message: string) {
        this.write('error', message)
      }
    }
    const logger = new PrefixedLogger('[edge]')
    const rx = await receiver([respond(400)])
    const { reporter } = reporterFor(rx.url, { logger })
    report(reporter)
    await flushAndSettle(reporter)
    expect(logger.lines.some((line) => line.level === 'debug')).toBe(true)
    expect(logger.lines.some((line) => line.level === 'warn')).toBe(true)
    for (const line of logger.lines) expect(line.message.startsWith('[edge] ')).toBe(true)
  })

  it('a function logger receives (level, message)', async () => {
    const rx = await receiver([respond(400)])
    const { reporter, lines } = reporterFor(rx.url)
    report(reporter)
    await flushAndSettle(reporter)
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) {
      expect(['debug', 'info', 'warn', 'error']).toContain(line.level)
      expect(typeof line.message).toBe('string')
    }
    expect(lines.some((line) => line.level === 'warn')).toBe(true)
  })

  it('no log line, reason or stat ever contains the token', async () => {
    const ok = await receiver([respond(200)])
    const refused = await receiver([respond(401)])
    const hung = await receiver([hang()])
    const elsewhere = await receiver([respond(200)])
    const redirecting = await receiver([redirect(302, `${elsewhere.url}?access_token=${TOKEN}`)])
    const closedPort = await refusedPort()
    const { reporter, lines } = reporterFor(ok.url, { maxAttempts: 2 })
    const reasons: (string | undefined)[] = []
    const text = `request failed with header Authorization: Bearer ${TOKEN} and raw ${TOKEN}`

    for (const url of [ok.url, refused.url, `http://127.0.0.1:${closedPort}/cb`, hung.url, redirecting.url]) {
      reporter.setCallbackContext(context(url))
      reasons.push(report(reporter, 'leak-check', text).reason)
      await reporter.flush(3000)
    }
    for (const offered of [
      context('http://example.com/cb'),
      context(`http://user:${TOKEN}@127.0.0.1:1/cb`),
      context(ok.url, `${TOKEN}\r\nX-Injected: 1`),
      context(ok.url, TOKEN, 'another-team'),
      { 'x-cyrus-callback-token': TOKEN },
    ]) {
      const result = reporter.setCallbackContext(offered)
      expect(result.status).toBe('rejected')
      reasons.push(result.reason)
    }
    reasons.push(reporter.classifySessionError(failedResult(text))?.errorMessage)
    await reporter.shutdown(500)
    reasons.push(report(reporter, 'after-shutdown', text).reason)
    await sleep(SETTLE_MS)

    expect(lines.some((line) => line.level === 'debug')).toBe(true)
    expect(lines.some((line) => line.level === 'warn')).toBe(true)
    for (const line of lines) expect(line.message).not.toContain(TOKEN)
    for (const reason of reasons) expect(reason ?? '').not.toContain(TOKEN)
    expect(JSON.stringify(reporter.stats())).not.toContain(TOKEN)
    expect(elsewhere.requests).toHaveLength(0)
    for (const request of [...ok.requests, ...refused.requests, ...hung.requests]) {
      expect(request.rawBody).not.toContain(TOKEN)
    }
  })
})

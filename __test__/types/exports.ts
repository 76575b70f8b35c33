// The named types of index.d.ts, used the way cyrus would use them.
import type { IncomingHttpHeaders } from 'node:http'
import {
  TelemetryReporter,
  type CallbackContextSink,
  type ErrorType,
  type ReportOutcome,
  type ReportOutcomeKind,
  type SessionErrorClassification,
  type SetContextResult,
  type SetContextStatus,
  type TelemetryEvent,
} from 'cyrus-telemetry'

// A transport that depends on the one-method interface alone; a reporter is one.
class Transport {
  constructor(private readonly sink: CallbackContextSink | null) {}
  onRequest(headers: IncomingHttpHeaders): SetContextStatus | undefined {
    const result: SetContextResult | undefined = this.sink?.setCallbackContext(headers)
    return result?.status
  }
}
export const transport = new Transport(new TelemetryReporter())

// Every union, exhaustively: a member added or renamed breaks one of these switches.
export function describeErrorType(type: ErrorType): string {
  switch (type) {
    case 'crash':
    case 'stall':
    case 'rate_limit':
    case 'billing':
    case 'max_turns':
      return type
    default:
      return unreachable(type)
  }
}
export function delivered(kind: ReportOutcomeKind): boolean {
  switch (kind) {
    case 'queued':
    case 'held':
      return true
    case 'not_an_error':
    case 'user_stop':
    case 'disabled':
    case 'dropped_queue_full':
    case 'invalid_input':
      return false
    default:
      return unreachable(kind)
  }
}
function unreachable(value: never): never {
  throw new Error(`unexpected ${String(value)}`)
}

// The fields use the named unions.
export const outcomeKind = (outcome: ReportOutcome): ReportOutcomeKind => outcome.outcome
export const classifiedType = (classification: SessionErrorClassification): ErrorType => classification.errorType

// A wire event as a receiver parses it; the optional fields may be left out, never null.
export const event: TelemetryEvent = {
  team_id: 'team',
  event_type: 'agent_session_error',
  error_type: 'rate_limit',
  error_message: 'Claude AI usage limit reached',
  session_id: 'session',
  timestamp: '2026-03-13T17:36:00.123Z',
  event_id: '00000000-0000-4000-8000-000000000001',
  error_detail: 'usage_limit',
}
export const withIssue: TelemetryEvent = { ...event, issue_id: 'issue', issue_identifier: 'CYPACK-951', duration_seconds: 42 }

// @ts-expect-error: not one of the five error types
export const wrongType: ErrorType = 'timeout'
// @ts-expect-error: not an outcome
export const wrongKind: ReportOutcomeKind = 'sent'
// @ts-expect-error: not a status
export const wrongStatus: SetContextStatus = 'ok'
// @ts-expect-error: issue_id is omitted when unknown, never null
export const nullIssue: TelemetryEvent = { ...event, issue_id: null }
// @ts-expect-error: event_type is a literal
export const otherEvent: TelemetryEvent = { ...event, event_type: 'other' }

// cyrus-telemetry/testing, as a cyrus test would use it.
import { hang, respond, startCollector, startCounter, type Collector, type RecordedRequest } from 'cyrus-telemetry/testing'

export async function collectOne(reporter: TelemetryReporter): Promise<TelemetryEvent> {
  const collector: Collector = await startCollector({
    token: 'token',
    teamId: 'team',
    strict: true,
    answers: (request: RecordedRequest) => (request.index === 0 ? respond(429, { 'retry-after': '1' }) : respond(200)),
  })
  try {
    reporter.setCallbackContext({ callbackToken: 'token', callbackUrl: collector.url, teamId: 'team' })
    const [first] = await collector.waitForEvents(1)
    const type: ErrorType | undefined = first?.error_type
    if (type === undefined) throw new Error('no event')
    collector.assertValid()
    return first!
  } finally {
    await collector.close()
  }
}
export async function countHung(): Promise<number> {
  const counter = await startCounter({ answers: [hang()], countEvents: (head) => (head.startsWith('POST /batch') ? 2 : 1) })
  const { events } = await counter.waitForEvents(1, 100).catch(() => counter.stats())
  await counter.close()
  return events
}

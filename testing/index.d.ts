// cyrus-telemetry/testing: a real loopback collector for test suites, in place of a fetch spy.
import type { IncomingHttpHeaders } from 'node:http'
import type { ErrorType, TelemetryEvent } from 'cyrus-telemetry'

/** How the collector answers one request. */
export type Answer =
  | { kind: 'respond'; status: number; headers?: Record<string, string> | undefined; body?: string | undefined }
  /** Reads the request, then never answers (the socket stays open until `close()`). */
  | { kind: 'hang' }
  /** Sends the status line and headers, then never the body. */
  | { kind: 'stallBody'; status: number }
  /** Reads the request, then resets the connection (TCP RST; a plain close under TLS). */
  | { kind: 'reset' }
  | { kind: 'redirect'; status: 301 | 302 | 303 | 307 | 308; location: string }
  /** Reads the request, then gives `answer` once `until` settles. */
  | { kind: 'after'; until: PromiseLike<unknown>; answer: Answer }

/** Answers with `status` (default 200), extra headers (e.g. `{ 'retry-after': '1' }`) and a body (default `{}`). */
export declare function respond(status?: number, headers?: Record<string, string>, body?: string): Answer
export declare function hang(): Answer
export declare function stallBody(status?: number): Answer
export declare function reset(): Answer
export declare function redirect(status: 301 | 302 | 303 | 307 | 308, location: string): Answer
/**
 * Holds the request until `until` settles, then gives `answer` (default `respond(200)`): a gate
 * the test opens, e.g. to keep requests in flight while it changes the reporter.
 */
export declare function after(until: PromiseLike<unknown>, answer?: Answer): Answer

/** Answers in order (the last one repeats), or a function of the request. */
export type Answers = Answer[] | ((request: RecordedRequest) => Answer)

/** One request, recorded once its body has been read. */
export interface RecordedRequest {
  /** 0-based, in order of arrival. */
  index: number
  method: string
  /** The request target, query included. */
  url: string
  /** The path alone. */
  path: string
  headers: IncomingHttpHeaders
  /** The body as received (UTF-8). */
  rawBody: string
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: any
  /** `performance.now()` when the request head arrived. */
  at: number
  /** What breaks the wire format (README: "The event"); empty for a valid event. Never contains the token. */
  problems: string[]
  /** The status answered; undefined for `hang()` and `reset()`. */
  status: number | undefined
}

export interface CollectorOptions {
  /** Answers to give; default `[respond(200)]`. */
  answers?: Answers
  /** The path events are POSTed to; default `/cb`. */
  path?: string
  /** The expected callback token: another Bearer token is a problem. Default: any Bearer token. */
  token?: string
  /** The expected `team_id`. Default: any. */
  teamId?: string
  /**
   * Answer a request with a problem as the control plane would — 401 (Bearer token), 400
   * (format, with `{ error }`), 409 (an `event_id` resent with another body) — instead of
   * playing `answers`. Default false: problems are recorded, `answers` are played.
   */
  strict?: boolean
  /** Keep each request in `requests`; false keeps counts and `events` only (long runs). Default true. */
  record?: boolean
  /** TLS key and certificate (PEM): the collector then speaks HTTPS. */
  tls?: { key: string; cert: string }
  /** Idle keep-alive connections are closed after this. Default 5000. */
  keepAliveTimeoutMs?: number
}

export interface CollectorStats {
  /** Requests whose body has been read. */
  requests: number
  /** Distinct valid events answered 2xx. */
  events: number
  /** Wire-format problems seen. */
  problems: number
  /** Connections open now. */
  openSockets: number
}

export interface Collector {
  /** `http://127.0.0.1:<port>/cb` (https with `tls`): the callback URL to hand the reporter. */
  url: string
  port: number
  /** Every request so far, in order of arrival (empty with `record: false`). */
  readonly requests: RecordedRequest[]
  /** The events accepted: valid, answered 2xx, once per `event_id` (a replay is not counted twice). */
  readonly events: TelemetryEvent[]
  /** Every wire-format problem so far, with the index of its request. */
  readonly problems: ReadonlyArray<{ index: number; message: string }>
  stats(): CollectorStats
  /** From now on only `token` is the expected Bearer token (a token rotation). */
  setToken(token: string): void
  /** Throws, listing them, if any request broke the wire format. */
  assertValid(): void
  /** Resolves with the requests once `count` have been read; rejects after `timeoutMs` (default 5000). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>
  /** Resolves with the events once `count` were accepted; rejects after `timeoutMs` (default 5000), naming the problems seen. */
  waitForEvents(count: number, timeoutMs?: number): Promise<TelemetryEvent[]>
  /** Stops listening and closes every connection (idle keep-alive and hung ones); pending waits reject. */
  close(): Promise<void>
}

export declare function startCollector(options?: CollectorOptions): Promise<Collector>

export interface CounterOptions {
  /** One answer for every request: `[respond(200)]` (default) or `[hang()]`. */
  answers?: [Answer]
  path?: string
  /** Events in one request, from its head (latin1) and body; default 1 (a batching client's plug-in says more). */
  countEvents?: (head: string, body: Buffer) => number
  /** Accept backlog; default 511. */
  backlog?: number
}

export interface CounterStats {
  requests: number
  events: number
  openSockets: number
  /** `performance.now()` when the last counted request arrived. */
  lastAt: number
}

/**
 * A counting collector for load: a few µs per request (a minimal HTTP/1.1 reader over node:net),
 * nothing recorded or checked.
 */
export interface Counter {
  url: string
  port: number
  stats(): CounterStats
  waitForRequests(count: number, timeoutMs?: number): Promise<CounterStats>
  waitForEvents(count: number, timeoutMs?: number): Promise<CounterStats>
  close(): Promise<void>
}

export declare function startCounter(options?: CounterOptions): Promise<Counter>

/** A loopback port nothing listens on (bound, then released): a refused connection. */
export declare function refusedPort(): Promise<number>

/** The five error types, in the order of `ErrorType`. */
export declare const ERROR_TYPES: ReadonlyArray<ErrorType>

/** What is wrong with one event body (README: "The event"), as messages; empty when it is valid. */
export declare function eventProblems(body: unknown, options?: { teamId?: string }): string[]

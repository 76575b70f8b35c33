//! The shapes JavaScript sees (`#[napi(object)]`, typed in index.d.ts) and the conversions of
//! the core's results into them.

use crate::classify::Classification;
use crate::context::SetStatus;
use crate::reporter::{stats_fields, FlushResult, Outcome, Stats};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// The three callback values, as `extractCallbackContext` returns them and as
/// `setCallbackContext` also accepts them.
#[napi(object)]
pub struct CallbackContext {
    /// Bearer token for the POST (`x-cyrus-callback-token`).
    pub callback_token: String,
    /// Where events are POSTed (`x-cyrus-callback-url`).
    pub callback_url: String,
    /// Team the events belong to (`x-cyrus-team-id`).
    pub team_id: String,
}

/// What `setCallbackContext` did.
#[napi(object)]
pub struct SetContextResult {
    /// What was done with the context; the values are documented on `SetContextStatus`.
    #[napi(ts_type = "SetContextStatus")]
    pub status: String,
    /// Why the context was rejected. Never contains the token.
    pub reason: Option<String>,
}

// Declares a TypeScript shape for index.d.ts; values are read field by field (never
// through this struct) so that a throwing getter or a Proxy cannot throw into the caller.
#[allow(dead_code)]
/// Options of `classifySessionError`.
#[napi(object)]
pub struct ClassifyOptions {
    /// The user stopped the session: not an agent error (returns null).
    pub stop_requested: Option<bool>,
}

/// An agent-session error, classified.
#[napi(object)]
pub struct SessionErrorClassification {
    /// The error type (see `ErrorType`).
    #[napi(ts_type = "ErrorType")]
    pub error_type: String,
    /// A finer snake_case code, e.g. `usage_limit`, `http_429`, `credit_balance`, `timeout`.
    pub error_detail: String,
    /// `errors` joined with "; ", else `result`, else the subtype; scrubbed; ≤ 500 code points.
    pub error_message: String,
    /// When the provider says the limit resets (RFC 3339 UTC), if the text carries it.
    pub resets_at: Option<String>,
}

// Declares a TypeScript shape for index.d.ts; values are read field by field (never
// through this struct) so that a throwing getter or a Proxy cannot throw into the caller.
#[allow(dead_code)]
/// Options of `reportSessionError`.
#[napi(object)]
pub struct ReportOptions {
    /// The user stopped the session: outcome `user_stop`, nothing is sent.
    pub stop_requested: Option<bool>,
    /// Overrides `session.id` as the event's `session_id`.
    pub session_id: Option<String>,
}

// Declares a TypeScript shape for index.d.ts; values are read field by field (never
// through this struct) so that a throwing getter or a Proxy cannot throw into the caller.
#[allow(dead_code)]
/// The fields read of cyrus's `CyrusAgentSession`; every other property (the live agent runner
/// among them) is never touched.
#[napi(object)]
pub struct CyrusAgentSessionLike {
    /// The session id (`session_id` unless `options.sessionId` is given).
    pub id: Option<String>,
    /// Session start, ms since the epoch (for `duration_seconds`).
    pub created_at: Option<f64>,
    #[napi(ts_type = "{ issueId?: string | null; issueIdentifier?: string | null } | null")]
    pub issue_context: Option<Unknown<'static>>,
    /// Deprecated fallback for `issueContext.issueId`.
    #[napi(ts_type = "string | null")]
    pub issue_id: Option<String>,
    /// Deprecated fallback for `issueContext.issueIdentifier`.
    #[napi(ts_type = "{ identifier?: string | null } | null")]
    pub issue: Option<Unknown<'static>>,
}

// Declares a TypeScript shape for index.d.ts; values are read field by field (never
// through this struct) so that a throwing getter or a Proxy cannot throw into the caller.
#[allow(dead_code)]
/// The fields read of an SDK result message (`SDKResultMessage` of
/// `@anthropic-ai/claude-agent-sdk`, or what cyrus's Codex, Gemini and Cursor runners build).
#[napi(object)]
pub struct SdkResultMessageLike {
    /// `success`, `error_max_turns`, `error_during_execution`, `error_max_budget_usd`, …
    pub subtype: Option<String>,
    /// Claude Code reports API failures as `subtype: "success"` with `is_error: true`.
    #[napi(js_name = "is_error")]
    pub is_error: Option<bool>,
    /// The result text (success shape).
    pub result: Option<String>,
    /// Error texts (error shapes).
    #[napi(ts_type = "ReadonlyArray<string>")]
    pub errors: Option<Vec<String>>,
}

/// What `reportSessionError` did with the result. Never thrown: always returned.
#[napi(object)]
pub struct ReportOutcome {
    /// What was done with the result; the values are documented on `ReportOutcomeKind`.
    #[napi(ts_type = "ReportOutcomeKind")]
    pub outcome: String,
    /// The event's UUID (also its `Idempotency-Key`), when an event was built.
    pub event_id: Option<String>,
    #[napi(ts_type = "ErrorType")]
    pub error_type: Option<String>,
    pub error_detail: Option<String>,
    pub reason: Option<String>,
}

/// Result of `flush` and `shutdown`; they never reject.
#[napi(object)]
pub struct FlushOutcome {
    /// Every event queued before the call finished (delivered or finally failed).
    pub completed: bool,
    /// Events of that snapshot still unfinished when the time ran out.
    pub pending: u32,
}

// `TelemetryStats` and its conversion, from the one list of the figures of `stats()`.
macro_rules! define_telemetry_stats {
    ($($name:ident: $doc:literal,)*) => {
        /// Counters since the reporter started. No secrets.
        #[napi(object)]
        pub struct TelemetryStats {
            $(#[doc = $doc] pub $name: f64,)*
        }

        pub(super) fn stats_object(stats: Stats) -> TelemetryStats {
            TelemetryStats {
                $($name: stats.$name as f64,)*
            }
        }
    };
}
stats_fields!(define_telemetry_stats);

// Declares a TypeScript shape for index.d.ts; values are read field by field (never
// through this struct) so that a throwing getter or a Proxy cannot throw into the caller.
#[allow(dead_code)]
/// Options of `new TelemetryReporter(options)` and `configure(options)`; all optional.
/// Out-of-range values throw a `TypeError` naming the option.
#[napi(object)]
pub struct TelemetryOptions {
    /// Events accepted but not finished (waiting, in flight or waiting to retry). Default 1024.
    pub queue_capacity: Option<u32>,
    /// Events held before a callback context arrives (oldest dropped). Default 256.
    pub held_capacity: Option<u32>,
    /// Requests in flight. Default 8.
    pub max_concurrency: Option<u32>,
    /// Hard deadline of one attempt (connect, request, status and headers). Default 10000.
    pub request_timeout_ms: Option<u32>,
    /// Attempts per event, the first included. Default 4.
    pub max_attempts: Option<u32>,
    /// First retry backoff, doubled per attempt with ±20 % jitter. Default 1000.
    pub backoff_base_ms: Option<u32>,
    /// Backoff cap. Default 30000.
    pub backoff_max_ms: Option<u32>,
    /// Clamp on a server's `Retry-After`. Default 60000.
    pub retry_after_max_ms: Option<u32>,
    /// Callback host allow-list: exact hosts and `*.suffix` patterns. Default: any host.
    pub allowed_hosts: Option<Vec<String>>,
    /// A cyrus `ILogger` (`debug`/`info`/`warn`/`error`) or `(level, message) => void`.
    /// Called on the JS thread; never keeps the process alive. Default: warnings and errors to
    /// stderr, prefixed `[cyrus-telemetry]`.
    #[napi(
        ts_type = "{ debug(message: string, ...args: any[]): void; info(message: string, ...args: any[]): void; warn(message: string, ...args: any[]): void; error(message: string, ...args: any[]): void; getLevel?(): number } | ((level: 'debug' | 'info' | 'warn' | 'error', message: string) => void)"
    )]
    pub logger: Option<Unknown<'static>>,
    /// Lines below this level are never formatted and never sent to the logger. Default: what
    /// the logger's `getLevel()` returns (cyrus's `LogLevel`, read when the logger is given),
    /// else `CYRUS_LOG_LEVEL`, else `"info"`. The default stderr logger prints warnings and
    /// errors only, unless this option asks for more.
    #[napi(ts_type = "'debug' | 'info' | 'warn' | 'error' | 'silent'")]
    pub log_level: Option<String>,
    /// Report nothing. Default: `CYRUS_TELEMETRY_DISABLED=1`.
    pub disabled: Option<bool>,
    /// PEM certificate(s) trusted in addition to the system roots, for a private control plane.
    pub extra_ca_certs: Option<String>,
    /// Folder of the durable spool: events survive a restart and are delivered by the next
    /// process with their original `event_id`. Unset: memory only, nothing touches the disk.
    /// For the edge worker: a folder under the cyrus home, e.g. `~/.cyrus/telemetry-spool`.
    pub spool_dir: Option<String>,
    /// Spooled events kept at most (oldest dropped). Default 1000.
    pub spool_max_events: Option<u32>,
    /// Spool bytes kept at most (oldest dropped). Default 4194304 (4 MiB).
    pub spool_max_bytes: Option<u32>,
    /// Spooled events older than this are discarded at start. Default 604800000 (7 days).
    pub spool_max_age_ms: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// core → JS

pub(super) fn status_result((status, reason): (SetStatus, Option<String>)) -> SetContextResult {
    SetContextResult {
        status: status.as_str().to_owned(),
        reason,
    }
}

pub(super) fn classification_object(classification: Classification) -> SessionErrorClassification {
    SessionErrorClassification {
        error_type: classification.error_type.as_str().to_owned(),
        error_detail: classification.detail.to_owned(),
        error_message: classification.message,
        resets_at: classification.resets_at,
    }
}

pub(super) fn outcome_object(outcome: Outcome) -> ReportOutcome {
    ReportOutcome {
        outcome: outcome.kind.as_str().to_owned(),
        event_id: outcome.event_id,
        error_type: outcome.error_type.map(str::to_owned),
        error_detail: outcome.error_detail.map(str::to_owned),
        reason: outcome.reason,
    }
}

pub(super) fn flush_object(result: FlushResult) -> FlushOutcome {
    FlushOutcome {
        completed: result.completed,
        pending: u32::try_from(result.pending).unwrap_or(u32::MAX),
    }
}

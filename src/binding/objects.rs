//! The shapes JavaScript sees (`#[napi(object)]`, typed in index.d.ts) and the conversions of
//! the core's results into them. `TelemetryOptions` is in `options.rs`, with the option table.

use crate::classify::Classification;
use crate::context::SetStatus;
use crate::reporter::{stats_fields, FlushResult, Stats};
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

// Declares a TypeScript shape for index.d.ts; the package entry reads these values field by
// field (read.cjs), never through this struct.
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

// Declares a TypeScript shape for index.d.ts; the package entry reads these values field by
// field (read.cjs), never through this struct.
#[allow(dead_code)]
/// Options of `reportSessionError`.
#[napi(object)]
pub struct ReportOptions {
    /// The user stopped the session: outcome `user_stop`, nothing is sent.
    pub stop_requested: Option<bool>,
    /// Overrides `session.id` as the event's `session_id`.
    pub session_id: Option<String>,
}

// Declares a TypeScript shape for index.d.ts; the package entry reads these values field by
// field (read.cjs), never through this struct.
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

// Declares a TypeScript shape for index.d.ts; the package entry reads these values field by
// field (read.cjs), never through this struct.
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

// Declares a TypeScript shape for index.d.ts; the package entry builds it from the packed
// outcome (report.rs).
#[allow(dead_code)]
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

pub(super) fn flush_object(result: FlushResult) -> FlushOutcome {
    FlushOutcome {
        completed: result.completed,
        pending: u32::try_from(result.pending).unwrap_or(u32::MAX),
    }
}

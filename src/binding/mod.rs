//! The N-API binding: converts JS values to the core's plain Rust types and back, and holds
//! every `#[napi]` export. Reads only the properties the SPEC names, never serializes a whole
//! object, and clears any exception a hostile getter or Proxy throws: apart from option errors
//! (`TypeError`), nothing here throws into JavaScript.
//!
//! `read` holds the raw `napi_sys` reads, `input` the JS → core conversion of headers, sessions
//! and results, `options` the options and the logger, `objects` the shapes JavaScript sees and
//! core → JS conversion, `promise` the flush/shutdown promises, `fields` the fast path's
//! plain-values entry point; this file holds the class and the module-level export.

mod fields;
mod input;
mod objects;
mod options;
mod promise;
mod read;

use crate::context::{self, SetStatus};
use crate::reporter::{Level, Options, OutcomeKind, ReportInput, Reporter};
use fields::{report_plain, ReportFields};
use input::{read_headers, read_report, read_result, stop_requested};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use objects::{
    classification_object, outcome_object, stats_object, status_result, CallbackContext,
    ReportOutcome, SessionErrorClassification, SetContextResult, TelemetryStats,
};
use options::{option_error, read_options};
use promise::{settle, timeout_of};
use read::is_object;

// The class

/// An independent reporter: its own context, queue, counters and logger. The edge worker owns
/// one, created at start-up, and awaits `shutdown()` in its `stop()`.
#[napi]
pub struct TelemetryReporter {
    inner: Reporter,
}

#[napi]
impl TelemetryReporter {
    /// Creates a reporter. Throws a `TypeError` naming the option when one is out of range.
    #[napi(constructor, catch_unwind, ts_args_type = "options?: TelemetryOptions")]
    pub fn new(env: Env, options: Option<Unknown<'_>>) -> Result<Self> {
        let patch = read_options(env.raw(), options.map(|value| value.raw()))
            .map_err(|error| option_error(&env, error))?;
        let options = Options::default()
            .merged(&patch)
            .map_err(|error| option_error(&env, error))?;
        Ok(Self {
            inner: Reporter::new(options),
        })
    }

    /// Hands the reporter a webhook's headers (or an explicit context). See the module-level
    /// `setCallbackContext`.
    #[napi(
        catch_unwind,
        ts_args_type = "headersOrContext: HeadersLike | CallbackContext | null | undefined"
    )]
    pub fn set_callback_context(
        &self,
        env: Env,
        headers_or_context: Unknown<'_>,
    ) -> SetContextResult {
        set_context(&self.inner, &env, headers_or_context)
    }

    /// Reports a completed session; see the module-level `reportSessionError`.
    #[napi(
        catch_unwind,
        ts_args_type = "session: CyrusAgentSessionLike, result: SdkResultMessageLike, options?: ReportOptions"
    )]
    pub fn report_session_error(
        &self,
        env: Env,
        session: Unknown<'_>,
        result: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> ReportOutcome {
        report(&self.inner, &env, session, result, options)
    }

    /// The fast path behind `reportSessionError` (used by the package entry): the fields
    /// already read, the outcome packed into one string. Internal: not in `index.d.ts`.
    #[napi(catch_unwind, js_name = "__reportFields", skip_typescript)]
    #[allow(clippy::too_many_arguments)] // one plain argument per field is the point
    pub fn report_fields(
        &self,
        session_id: Option<String>,
        created_at: Option<f64>,
        issue_id: Option<String>,
        issue_identifier: Option<String>,
        subtype: Option<String>,
        is_error: bool,
        result: Option<String>,
        errors: Option<Vec<String>>,
        stop_requested: bool,
    ) -> String {
        report_plain(
            &self.inner,
            ReportFields {
                session_id,
                created_at,
                issue_id,
                issue_identifier,
                subtype,
                is_error,
                result,
                errors,
                stop_requested,
            },
        )
    }

    /// Classifies without reporting; the captured token is scrubbed too.
    #[napi(
        catch_unwind,
        ts_args_type = "result: SdkResultMessageLike, options?: ClassifyOptions"
    )]
    pub fn classify_session_error(
        &self,
        env: Env,
        result: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Option<SessionErrorClassification> {
        classify_with(&self.inner, &env, result, options)
    }

    /// Waits until every event queued before the call is delivered or finally failed, or the
    /// time is up (default 2000 ms). Never rejects.
    #[napi(
        catch_unwind,
        ts_args_type = "timeoutMs?: number",
        ts_return_type = "Promise<FlushOutcome>"
    )]
    pub fn flush<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<Unknown<'_>>,
    ) -> Result<Object<'env>> {
        settle(
            env,
            &self.inner,
            self.inner.flush(timeout_of(env, timeout_ms)),
        )
    }

    /// Stops accepting events (later reports: `disabled`, reason `shut down`), flushes for at
    /// most `timeoutMs` (default 2000), then abandons what is left. Never rejects.
    #[napi(
        catch_unwind,
        ts_args_type = "timeoutMs?: number",
        ts_return_type = "Promise<FlushOutcome>"
    )]
    pub fn shutdown<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<Unknown<'_>>,
    ) -> Result<Object<'env>> {
        settle(
            env,
            &self.inner,
            self.inner.shutdown(timeout_of(env, timeout_ms)),
        )
    }

    /// Applies the named options to this live reporter; the module-level `configure` of the
    /// package entry. Internal: not in `index.d.ts`.
    #[napi(catch_unwind, js_name = "__configure", skip_typescript)]
    pub fn configure(&self, env: Env, options: Unknown<'_>) -> Result<()> {
        let patch = read_options(env.raw(), Some(options.raw()))
            .map_err(|error| option_error(&env, error))?;
        self.inner
            .configure(&patch)
            .map_err(|error| option_error(&env, error))
    }

    /// A fresh reporter (no context, counters at zero) with this one's options and the named
    /// ones merged: the module-level `configure` after `shutdown()`. Internal: not in
    /// `index.d.ts`.
    #[napi(catch_unwind, js_name = "__successor", skip_typescript)]
    pub fn successor(&self, env: Env, options: Unknown<'_>) -> Result<TelemetryReporter> {
        let patch = read_options(env.raw(), Some(options.raw()))
            .map_err(|error| option_error(&env, error))?;
        let options = self
            .inner
            .options()
            .merged(&patch)
            .map_err(|error| option_error(&env, error))?;
        Ok(Self {
            inner: Reporter::new(options),
        })
    }

    /// Counters since this reporter started.
    #[napi(catch_unwind)]
    pub fn stats(&self) -> TelemetryStats {
        stats_object(self.inner.stats())
    }
}

/// Runs an export's body so that a panic (a bug) becomes `fallback` and one error log line,
/// never an exception in JavaScript nor an abort of the process.
fn contained<T>(reporter: &Reporter, fallback: impl FnOnce() -> T, body: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        reporter.options().logger.log(
            Level::Error,
            format_args!("internal error contained at the N-API boundary: {message}"),
        );
        fallback()
    })
}

/// In builds with the `test-hooks` feature only, a report for this session id panics inside the
/// export, so that a test can prove the boundary contains it.
#[cfg(feature = "test-hooks")]
const FORCED_PANIC_SESSION: &str = "__cyrus_telemetry_forced_panic__";

fn report(
    reporter: &Reporter,
    env: &Env,
    session: Unknown<'_>,
    result: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> ReportOutcome {
    contained(reporter, internal_error_outcome, || {
        let options = options.map(|options| options.raw());
        let input = read_report(env.raw(), session.raw(), result.raw(), options);
        report_input(reporter, input, stop_requested(env.raw(), options))
    })
}

fn internal_error_outcome() -> ReportOutcome {
    ReportOutcome {
        outcome: OutcomeKind::InvalidInput.as_str().to_owned(),
        event_id: None,
        error_type: None,
        error_detail: None,
        reason: Some("internal error (logged); nothing was reported".into()),
    }
}

fn report_input(reporter: &Reporter, input: ReportInput, stop_requested: bool) -> ReportOutcome {
    #[cfg(feature = "test-hooks")]
    if matches!(&input, Ok((session, _)) if session.session_id == FORCED_PANIC_SESSION) {
        panic!("forced panic for session {FORCED_PANIC_SESSION}");
    }
    outcome_object(reporter.report(input, stop_requested))
}

fn set_context(reporter: &Reporter, env: &Env, headers: Unknown<'_>) -> SetContextResult {
    let internal_error = || SetContextResult {
        status: SetStatus::Rejected.as_str().to_owned(),
        reason: Some("internal error (logged); the context is unchanged".into()),
    };
    contained(reporter, internal_error, || {
        status_result(reporter.set_context(read_headers(env.raw(), headers.raw())))
    })
}

/// Classifies a result; the reporter's captured token is scrubbed too.
fn classify_with(
    reporter: &Reporter,
    env: &Env,
    result: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> Option<SessionErrorClassification> {
    let raw = env.raw();
    if !is_object(raw, result.raw()) || stop_requested(raw, options.map(|options| options.raw())) {
        return None;
    }
    reporter
        .classify(&read_result(raw, result.raw()))
        .map(classification_object)
}

// ---------------------------------------------------------------------------------------------
// Module-level functions: only the pure one. The others act on one reporter per JavaScript
// environment, which the package entry (`entry.cjs`) holds and delegates to; their types are
// declared in `src/binding/header.d.ts`.

/// Pure and structural: the three trimmed values when all are present and unambiguous, else
/// null. URL, character and length rules are applied by `setCallbackContext`.
#[napi(
    catch_unwind,
    ts_args_type = "headers: HeadersLike | CallbackContext | null | undefined"
)]
pub fn extract_callback_context(env: Env, headers: Unknown<'_>) -> Option<CallbackContext> {
    let set = read_headers(env.raw(), headers.raw()).ok()?;
    let raw = context::extract(&set).ok()?;
    Some(CallbackContext {
        callback_token: raw.token.expose().to_owned(),
        callback_url: raw.url,
        team_id: raw.team_id,
    })
}

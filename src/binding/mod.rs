//! The N-API binding: the `TelemetryReporter` class and the module-level exports, over plain
//! values only. The package entry (`entry.cjs`, with `read.cjs`) is the one place that reads
//! JavaScript values — once each, bounded, a throwing getter or Proxy read as absent — and hands
//! over strings, numbers, booleans and arrays of strings; the rules that decide what they mean
//! are the core's, applied here. The class's methods that take those values are internal
//! (`__`-named, not in `index.d.ts`); the entry's subclass of this class gives them the public
//! names and shapes, which `header.d.ts` declares. Apart from option errors (`TypeError`),
//! nothing here throws into JavaScript.
//!
//! `report` holds `reportSessionError` and `classifySessionError`, `headers` the callback
//! context, `options` the options and the logger, `promise` the flush/shutdown promises,
//! `objects` the shapes JavaScript sees, `rules` what the entry reads by; this file holds the
//! class and the module-level exports.

mod headers;
mod objects;
mod options;
mod promise;
mod report;
mod rules;

use crate::context::{self, SetStatus};
use crate::reporter::{Level, Options, Reporter};
use headers::{header_set, HeaderReading};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use objects::{
    stats_object, status_result, CallbackContext, SessionErrorClassification, SetContextResult,
    TelemetryStats,
};
use options::{option_error, options_patch, LoggerFunction, OptionInput, OptionReadings};
use promise::{settle, timeout_of};
use report::{internal_error_outcome, ResultFields, SessionFields};

/// An independent reporter: its own context, queue, counters and logger. The edge worker owns
/// one, created at start-up, and awaits `shutdown()` in its `stop()`.
#[napi]
pub struct TelemetryReporter {
    inner: Reporter,
}

#[napi]
impl TelemetryReporter {
    /// Creates a reporter. Throws a `TypeError` naming the option when one is out of range or
    /// of the wrong type.
    // The class callers construct is the entry's subclass, which reads `options` and calls this
    // with what it read; `predecessor` (the module-level `configure` after `shutdown()`) gives
    // the options the new reporter starts from.
    #[napi(constructor, catch_unwind, ts_args_type = "options?: TelemetryOptions")]
    #[allow(clippy::too_many_arguments)] // the readings of one options object, as plain values
    pub fn new(
        env: Env,
        names: Vec<String>,
        values: Vec<OptionInput>,
        wrong_type: Option<String>,
        logger: Option<LoggerFunction<'_>>,
        logger_level: Option<f64>,
        predecessor: Option<ClassInstance<'_, TelemetryReporter>>,
    ) -> Result<Self> {
        let readings = OptionReadings {
            names,
            values,
            wrong_type,
            logger,
            logger_level,
        };
        let base = predecessor.map_or_else(Options::default, |reporter| {
            Options::clone(&reporter.inner.options())
        });
        let options = options_patch(readings)
            .and_then(|patch| base.merged(&patch))
            .map_err(|error| option_error(&env, error))?;
        Ok(Self {
            inner: Reporter::new(options),
        })
    }

    /// Reports a session from the fields the entry read (`read.cjs`); the outcome packed into
    /// one string, which the entry unpacks.
    #[napi(js_name = "__report", skip_typescript)]
    #[allow(clippy::too_many_arguments)] // one plain argument per field is the point
    pub fn report(
        &self,
        options_session_id: Option<String>,
        session_id: Option<String>,
        created_at: Option<f64>,
        issue_id: Option<String>,
        issue_identifier: Option<String>,
        subtype: Option<String>,
        result: Option<String>,
        errors: Option<Vec<String>>,
        flags: u32,
    ) -> String {
        let session = SessionFields {
            options_session_id,
            session_id,
            created_at,
            issue_id,
            issue_identifier,
        };
        let result = ResultFields {
            subtype,
            result,
            errors,
        };
        contained(&self.inner, internal_error_outcome, || {
            report::report(&self.inner, session, result, flags)
        })
    }

    /// Classifies the result fields the entry read; null when there is nothing to report.
    #[napi(js_name = "__classify", skip_typescript)]
    pub fn classify(
        &self,
        subtype: Option<String>,
        result: Option<String>,
        errors: Option<Vec<String>>,
        flags: u32,
    ) -> Option<SessionErrorClassification> {
        let result = ResultFields {
            subtype,
            result,
            errors,
        };
        contained(
            &self.inner,
            || None,
            || report::classify(&self.inner, result, flags),
        )
    }

    /// Offers the headers the entry read (`read.cjs`) as a callback context.
    #[napi(js_name = "__setCallbackContext", skip_typescript)]
    pub fn set_callback_context(
        &self,
        names: Vec<String>,
        readings: Vec<HeaderReading>,
        problem: Option<String>,
    ) -> SetContextResult {
        let internal_error = || SetContextResult {
            status: SetStatus::Rejected.as_str().to_owned(),
            reason: Some("internal error (logged); the context is unchanged".into()),
        };
        contained(&self.inner, internal_error, || {
            status_result(self.inner.set_context(header_set(names, readings, problem)))
        })
    }

    /// `flush(timeoutMs)` with the timeout the entry read (a number, or nothing).
    #[napi(catch_unwind, js_name = "__flush", skip_typescript)]
    pub fn flush<'env>(&self, env: &'env Env, timeout_ms: Option<f64>) -> Result<Object<'env>> {
        settle(env, &self.inner, self.inner.flush(timeout_of(timeout_ms)))
    }

    /// `shutdown(timeoutMs)` with the timeout the entry read (a number, or nothing).
    #[napi(catch_unwind, js_name = "__shutdown", skip_typescript)]
    pub fn shutdown<'env>(&self, env: &'env Env, timeout_ms: Option<f64>) -> Result<Object<'env>> {
        settle(
            env,
            &self.inner,
            self.inner.shutdown(timeout_of(timeout_ms)),
        )
    }

    /// Applies the options the entry read to this live reporter: the module-level `configure`.
    #[napi(catch_unwind, js_name = "__configure", skip_typescript)]
    pub fn configure(
        &self,
        env: Env,
        names: Vec<String>,
        values: Vec<OptionInput>,
        wrong_type: Option<String>,
        logger: Option<LoggerFunction<'_>>,
        logger_level: Option<f64>,
    ) -> Result<()> {
        let readings = OptionReadings {
            names,
            values,
            wrong_type,
            logger,
            logger_level,
        };
        options_patch(readings)
            .and_then(|patch| self.inner.configure(&patch))
            .map_err(|error| option_error(&env, error))
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

/// `extractCallbackContext` over the headers the entry read: the three trimmed values when all
/// are present and unambiguous, else null. Declared with the module-level functions in
/// `header.d.ts`.
#[napi(catch_unwind, js_name = "__extractCallbackContext", skip_typescript)]
pub fn extract_callback_context(
    names: Vec<String>,
    readings: Vec<HeaderReading>,
    problem: Option<String>,
) -> Option<CallbackContext> {
    let set = header_set(names, readings, problem).ok()?;
    let raw = context::extract(&set).ok()?;
    Some(CallbackContext {
        callback_token: raw.token.expose().to_owned(),
        callback_url: raw.url,
        team_id: raw.team_id,
    })
}

//! The N-API binding: converts JS values to the core's plain Rust types and back, and holds
//! every `#[napi]` export. Reads only the properties the SPEC names, never serializes a whole
//! object, and clears any exception a hostile getter or Proxy throws: apart from option errors
//! (`TypeError`), nothing here throws into JavaScript.

use crate::classify::{Classification, ResultMessage};
use crate::context::{self, HeaderSet, HeaderValue, SetStatus};
use crate::event::SessionInfo;
use crate::reporter::{
    self, FlushResult, Level, Logger, OptionError, Options, OptionsPatch, Outcome, OutcomeKind,
    ReportInput, Reporter, Stats,
};
use napi::bindgen_prelude::*;
use napi::sys;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::ffi::CStr;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::time::Duration;

/// Header objects with more keys than this are refused instead of scanned.
const MAX_HEADER_KEYS: u32 = 10_000;
/// Values of one repeated header accepted at most (Node delivers a handful).
const MAX_HEADER_VALUES: u32 = 1_000;
/// Entries of `errors` read at most.
const MAX_ERROR_ENTRIES: u32 = 10_000;
const DEFAULT_FLUSH_MS: f64 = 2000.0;

// ---------------------------------------------------------------------------------------------
// Shapes seen by TypeScript

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

/// Counters since the reporter started. No secrets.
#[napi(object)]
pub struct TelemetryStats {
    /// Error events created (queued, held or dropped).
    pub reported: f64,
    /// Events that entered the delivery queue.
    pub queued: f64,
    /// Events held now, waiting for a callback context.
    pub held: f64,
    /// Events delivered (2xx).
    pub sent: f64,
    /// Attempts after the first.
    pub retried: f64,
    /// Events finally failed (`failedHttp + failedTimeout + failedNetwork`).
    pub failed: f64,
    /// Finally failed on an HTTP status (3xx, non-retryable 4xx, or retries exhausted).
    pub failed_http: f64,
    pub failed_timeout: f64,
    pub failed_network: f64,
    pub dropped_queue_full: f64,
    /// Held events dropped (oldest first) because the held buffer was full.
    pub dropped_held_overflow: f64,
    pub skipped_not_an_error: f64,
    pub skipped_user_stop: f64,
    pub skipped_disabled: f64,
    /// Reports whose session or result could not be read.
    pub invalid_input: f64,
    /// Events waiting for a free connection slot.
    pub queue_length: f64,
    /// Requests in flight.
    pub in_flight: f64,
    /// Events sleeping before their next attempt.
    pub waiting_to_retry: f64,
    /// Events written to the spool.
    pub spooled: f64,
    /// Events read back from the spool at start.
    pub restored: f64,
    /// Spooled events dropped: over `spoolMaxEvents`/`spoolMaxBytes`, or older than `spoolMaxAgeMs`.
    pub spool_dropped: f64,
    /// Spool files that could not be read, and spool writes that failed.
    pub spool_errors: f64,
}

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
        ts_type = "{ debug(message: string, ...args: any[]): void; info(message: string, ...args: any[]): void; warn(message: string, ...args: any[]): void; error(message: string, ...args: any[]): void } | ((level: 'debug' | 'info' | 'warn' | 'error', message: string) => void)"
    )]
    pub logger: Option<Unknown<'static>>,
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
// Raw reads: every failure (a throwing getter, a revoked Proxy) is cleared and read as absent.

/// Clears a pending exception so a failed read never surfaces in JavaScript.
fn clear_exception(env: sys::napi_env) {
    let mut pending = false;
    // SAFETY: env is the live env of the current call.
    unsafe {
        if sys::napi_is_exception_pending(env, &mut pending) == sys::Status::napi_ok && pending {
            let mut error = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut error);
        }
    }
}

fn type_of(env: sys::napi_env, value: sys::napi_value) -> ValueType {
    let mut kind = 0;
    // SAFETY: value belongs to env's current scope.
    if unsafe { sys::napi_typeof(env, value, &mut kind) } != sys::Status::napi_ok {
        clear_exception(env);
        return ValueType::Unknown;
    }
    ValueType::from(kind)
}

fn is_object(env: sys::napi_env, value: sys::napi_value) -> bool {
    matches!(type_of(env, value), ValueType::Object)
}

/// `object[key]`: Ok(None) when undefined or null, Err when reading it threw (cleared).
fn try_property(
    env: sys::napi_env,
    object: sys::napi_value,
    key: &CStr,
) -> std::result::Result<Option<sys::napi_value>, ()> {
    let mut value = ptr::null_mut();
    // SAFETY: object is an object of env's scope; key is NUL-terminated.
    if unsafe { sys::napi_get_named_property(env, object, key.as_ptr(), &mut value) }
        != sys::Status::napi_ok
    {
        clear_exception(env);
        return Err(());
    }
    Ok(match type_of(env, value) {
        ValueType::Undefined | ValueType::Null | ValueType::Unknown => None,
        _ => Some(value),
    })
}

/// `object[key]`, or None when it is undefined, null, or reading it threw.
fn property(env: sys::napi_env, object: sys::napi_value, key: &CStr) -> Option<sys::napi_value> {
    try_property(env, object, key).ok().flatten()
}

fn string(env: sys::napi_env, value: sys::napi_value) -> Option<String> {
    if type_of(env, value) != ValueType::String {
        return None;
    }
    // SAFETY: value is a string; napi_get_value_string_utf8 writes at most `len + 1` bytes.
    unsafe {
        let mut len = 0;
        if sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len)
            != sys::Status::napi_ok
        {
            return None;
        }
        let mut buffer = vec![0u8; len + 1];
        let mut written = 0;
        if sys::napi_get_value_string_utf8(
            env,
            value,
            buffer.as_mut_ptr().cast(),
            len + 1,
            &mut written,
        ) != sys::Status::napi_ok
        {
            return None;
        }
        buffer.truncate(written);
        // Node replaces lone surrogates by U+FFFD, so this is valid UTF-8; stay safe anyway.
        Some(
            String::from_utf8(buffer)
                .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
        )
    }
}

fn number(env: sys::napi_env, value: sys::napi_value) -> Option<f64> {
    if type_of(env, value) != ValueType::Number {
        return None;
    }
    let mut result = 0.0;
    // SAFETY: value is a number.
    (unsafe { sys::napi_get_value_double(env, value, &mut result) } == sys::Status::napi_ok)
        .then_some(result)
}

fn boolean(env: sys::napi_env, value: sys::napi_value) -> Option<bool> {
    if type_of(env, value) != ValueType::Boolean {
        return None;
    }
    let mut result = false;
    // SAFETY: value is a boolean.
    (unsafe { sys::napi_get_value_bool(env, value, &mut result) } == sys::Status::napi_ok)
        .then_some(result)
}

fn string_property(env: sys::napi_env, object: sys::napi_value, key: &CStr) -> Option<String> {
    property(env, object, key).and_then(|value| string(env, value))
}

/// The elements of an array (at most `limit`), or None if `value` is not an array.
fn array_elements(
    env: sys::napi_env,
    value: sys::napi_value,
    limit: u32,
) -> Option<Vec<sys::napi_value>> {
    let mut is_array = false;
    // SAFETY: value belongs to env's scope.
    if unsafe { sys::napi_is_array(env, value, &mut is_array) } != sys::Status::napi_ok || !is_array
    {
        clear_exception(env);
        return None;
    }
    let mut length = 0;
    // SAFETY: value is an array.
    if unsafe { sys::napi_get_array_length(env, value, &mut length) } != sys::Status::napi_ok {
        clear_exception(env);
        return None;
    }
    let mut elements = Vec::with_capacity(length.min(limit) as usize);
    for index in 0..length.min(limit) {
        let mut element = ptr::null_mut();
        // SAFETY: index < length.
        if unsafe { sys::napi_get_element(env, value, index, &mut element) } == sys::Status::napi_ok
        {
            elements.push(element);
        } else {
            clear_exception(env);
        }
    }
    Some(elements)
}

/// Own enumerable string keys of an object, or None when there are too many or reading failed.
fn own_keys(
    env: sys::napi_env,
    object: sys::napi_value,
) -> std::result::Result<Vec<String>, String> {
    let mut names = ptr::null_mut();
    // SAFETY: object is an object of env's scope.
    let status = unsafe {
        sys::napi_get_all_property_names(
            env,
            object,
            sys::KeyCollectionMode::own_only,
            sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
            sys::KeyConversion::numbers_to_strings,
            &mut names,
        )
    };
    if status != sys::Status::napi_ok {
        clear_exception(env);
        return Err("the headers object could not be read".into());
    }
    let mut length = 0;
    // SAFETY: names is an array.
    unsafe { sys::napi_get_array_length(env, names, &mut length) };
    if length > MAX_HEADER_KEYS {
        return Err(format!(
            "the headers object has more than {MAX_HEADER_KEYS} keys"
        ));
    }
    Ok(array_elements(env, names, MAX_HEADER_KEYS)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|key| string(env, key))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// JS → core

/// One header's value: a string, an array of strings, absent, or why it is unusable.
fn header_value(env: sys::napi_env, object: sys::napi_value, key: &CStr) -> HeaderValue {
    let value = match try_property(env, object, key) {
        Ok(Some(value)) => value,
        Ok(None) => return HeaderValue::Missing,
        Err(()) => return HeaderValue::Invalid("could not be read"),
    };
    if let Some(text) = string(env, value) {
        return HeaderValue::One(text);
    }
    let mut length = 0;
    // SAFETY: value belongs to env's scope; a non-array fails here and is refused below.
    let is_array =
        unsafe { sys::napi_get_array_length(env, value, &mut length) } == sys::Status::napi_ok;
    clear_exception(env);
    if is_array && length > MAX_HEADER_VALUES {
        return HeaderValue::Invalid("has too many values");
    }
    array_elements(env, value, MAX_HEADER_VALUES)
        .and_then(|elements| {
            elements
                .into_iter()
                .map(|element| string(env, element))
                .collect::<Option<Vec<String>>>()
        })
        .map_or(HeaderValue::Invalid("is not a string"), HeaderValue::Many)
}

const CONTEXT_KEYS: [&CStr; 3] = [c"callbackToken", c"callbackUrl", c"teamId"];

/// A Node/Fastify headers object, or an explicit `{ callbackToken, callbackUrl, teamId }`.
fn read_headers(
    env: sys::napi_env,
    input: sys::napi_value,
) -> std::result::Result<HeaderSet, String> {
    if !is_object(env, input) {
        return Ok(HeaderSet::default());
    }
    let keys = own_keys(env, input)?;
    let is_context_object = keys.iter().any(|key| {
        CONTEXT_KEYS
            .iter()
            .any(|known| known.to_bytes() == key.as_bytes())
    }) && !keys.iter().any(|key| context::header_index(key).is_some());
    if is_context_object {
        let [token, url, team] = CONTEXT_KEYS.map(|key| header_value(env, input, key));
        return Ok(HeaderSet::from_fields(token, url, team));
    }
    let mut set = HeaderSet::default();
    for key in keys
        .iter()
        .filter(|key| context::header_index(key).is_some())
    {
        let Ok(c_key) = std::ffi::CString::new(key.as_str()) else {
            continue;
        };
        set.add(key, header_value(env, input, &c_key));
    }
    Ok(set)
}

fn read_result(env: sys::napi_env, result: sys::napi_value) -> ResultMessage {
    let errors = property(env, result, c"errors")
        .and_then(|errors| array_elements(env, errors, MAX_ERROR_ENTRIES))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|entry| string(env, entry))
        .collect();
    ResultMessage {
        subtype: string_property(env, result, c"subtype"),
        is_error: property(env, result, c"is_error").and_then(|value| boolean(env, value))
            == Some(true),
        result: string_property(env, result, c"result"),
        errors,
    }
}

fn read_session(
    env: sys::napi_env,
    session: sys::napi_value,
    session_id: Option<String>,
) -> std::result::Result<SessionInfo, String> {
    let issue_context =
        property(env, session, c"issueContext").filter(|value| is_object(env, *value));
    let from_context =
        |key: &CStr| issue_context.and_then(|context| string_property(env, context, key));
    let session_id = session_id_of(session_id, || string_property(env, session, c"id"))?;
    Ok(SessionInfo {
        session_id,
        created_at_ms: property(env, session, c"createdAt").and_then(|value| number(env, value)),
        issue_id: from_context(c"issueId").or_else(|| string_property(env, session, c"issueId")),
        issue_identifier: from_context(c"issueIdentifier").or_else(|| {
            property(env, session, c"issue")
                .filter(|issue| is_object(env, *issue))
                .and_then(|issue| string_property(env, issue, c"identifier"))
        }),
    })
}

/// `options.sessionId ?? session.id`, empty strings counting as absent.
fn session_id_of(
    from_options: Option<String>,
    from_session: impl FnOnce() -> Option<String>,
) -> std::result::Result<String, String> {
    from_options
        .filter(|id| !id.is_empty())
        .or_else(|| from_session().filter(|id| !id.is_empty()))
        .ok_or_else(|| "session has no id (pass options.sessionId or a session with an id)".into())
}

fn stop_requested(env: sys::napi_env, options: Option<sys::napi_value>) -> bool {
    options
        .filter(|options| is_object(env, *options))
        .and_then(|options| property(env, options, c"stopRequested"))
        .and_then(|value| boolean(env, value))
        == Some(true)
}

fn read_report(
    env: sys::napi_env,
    session: sys::napi_value,
    result: sys::napi_value,
    options: Option<sys::napi_value>,
) -> ReportInput {
    if !is_object(env, session) {
        return Err("session must be an object".into());
    }
    if !is_object(env, result) {
        return Err("result must be an object (the SDK result message)".into());
    }
    let session_id = options
        .filter(|options| is_object(env, *options))
        .and_then(|options| string_property(env, options, c"sessionId"));
    Ok((
        read_session(env, session, session_id)?,
        read_result(env, result),
    ))
}

// --- options -----------------------------------------------------------------------------------

fn type_error(env: &Env, message: &str) -> Error {
    let _ = env.throw_type_error(message, None);
    Error::new(Status::PendingException, message.to_owned())
}

fn option_error(env: &Env, error: OptionError) -> Error {
    type_error(env, &error.to_string())
}

fn wrong_type(option: &'static str, expected: &str) -> OptionError {
    OptionError {
        option,
        message: format!("must be {expected}"),
    }
}

/// Wraps a logger once, in JS, so that the background thread only ever calls one function:
/// it dispatches `(level, message)` to a `(level, message)` function or to an ILogger's method
/// (with its `this`), and swallows what a logger throws — an exception thrown from a
/// threadsafe-function callback would otherwise be uncaught and end the process.
const SAFE_LOGGER: &str = r#"(logger) => typeof logger === 'function'
  ? (level, message) => { try { logger(level, message) } catch {} }
  : (level, message) => { try { const log = logger[level]; if (typeof log === 'function') log.call(logger, message) } catch {} }"#;

type LogFunction =
    ThreadsafeFunction<FnArgs<(String, String)>, (), FnArgs<(String, String)>, Status, false, true>;

fn is_logger(env: sys::napi_env, value: sys::napi_value) -> bool {
    match type_of(env, value) {
        ValueType::Function => true,
        ValueType::Object => [c"debug", c"info", c"warn", c"error"].iter().any(|key| {
            property(env, value, key)
                .is_some_and(|method| type_of(env, method) == ValueType::Function)
        }),
        _ => false,
    }
}

/// A cyrus `ILogger` object or a `(level, message) => void` function, as a core [`Logger`]
/// backed by a weak threadsafe function: logging never keeps Node alive.
fn read_logger(
    env: sys::napi_env,
    value: sys::napi_value,
) -> std::result::Result<Logger, OptionError> {
    let not_a_logger = || {
        wrong_type(
            "logger",
            "an ILogger object (debug/info/warn/error) or a (level, message) function",
        )
    };
    if !is_logger(env, value) {
        return Err(not_a_logger());
    }
    let sink = (|| -> Result<LogFunction> {
        let wrap: Function<Unknown, Unknown> = Env::from_raw(env).run_script(SAFE_LOGGER)?;
        // SAFETY: value is the logger of env's current scope.
        let wrapped = wrap.call(unsafe { Unknown::from_raw_unchecked(env, value) })?;
        // SAFETY: the wrapper returns a function.
        let function = unsafe {
            Function::<FnArgs<(String, String)>, ()>::from_napi_value(env, wrapped.raw())
        }?;
        function.build_threadsafe_function().weak::<true>().build()
    })()
    .map_err(|_| {
        clear_exception(env);
        not_a_logger()
    })?;
    Ok(Logger::new(move |level, message| {
        sink.call(
            (level.as_str().to_owned(), message.to_owned()).into(),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }))
}

fn read_options(
    env: sys::napi_env,
    options: Option<sys::napi_value>,
) -> std::result::Result<OptionsPatch, OptionError> {
    let mut patch = OptionsPatch::default();
    let Some(options) = options.filter(|options| {
        !matches!(
            type_of(env, *options),
            ValueType::Undefined | ValueType::Null
        )
    }) else {
        return Ok(patch);
    };
    if !is_object(env, options) {
        return Err(OptionError {
            option: "options",
            message: "must be an object".into(),
        });
    }
    let numbers: [(&'static CStr, &mut Option<f64>); 11] = [
        (c"queueCapacity", &mut patch.queue_capacity),
        (c"heldCapacity", &mut patch.held_capacity),
        (c"maxConcurrency", &mut patch.max_concurrency),
        (c"requestTimeoutMs", &mut patch.request_timeout_ms),
        (c"maxAttempts", &mut patch.max_attempts),
        (c"backoffBaseMs", &mut patch.backoff_base_ms),
        (c"backoffMaxMs", &mut patch.backoff_max_ms),
        (c"retryAfterMaxMs", &mut patch.retry_after_max_ms),
        (c"spoolMaxEvents", &mut patch.spool_max_events),
        (c"spoolMaxBytes", &mut patch.spool_max_bytes),
        (c"spoolMaxAgeMs", &mut patch.spool_max_age_ms),
    ];
    for (key, slot) in numbers {
        if let Some(value) = property(env, options, key) {
            let name = key.to_str().unwrap_or("options");
            *slot = Some(number(env, value).ok_or_else(|| wrong_type(name, "a number"))?);
        }
    }
    if let Some(value) = property(env, options, c"allowedHosts") {
        let hosts = array_elements(env, value, MAX_HEADER_KEYS)
            .and_then(|elements| {
                elements
                    .into_iter()
                    .map(|host| string(env, host))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| wrong_type("allowedHosts", "an array of host patterns"))?;
        patch.allowed_hosts = Some(hosts);
    }
    if let Some(value) = property(env, options, c"disabled") {
        patch.disabled =
            Some(boolean(env, value).ok_or_else(|| wrong_type("disabled", "a boolean"))?);
    }
    if let Some(value) = property(env, options, c"extraCaCerts") {
        patch.extra_ca_certs =
            Some(string(env, value).ok_or_else(|| wrong_type("extraCaCerts", "a PEM string"))?);
    }
    if let Some(value) = property(env, options, c"spoolDir") {
        patch.spool_dir =
            Some(string(env, value).ok_or_else(|| wrong_type("spoolDir", "a folder path string"))?);
    }
    if let Some(value) = property(env, options, c"logger") {
        patch.logger = Some(read_logger(env, value)?);
    }
    Ok(patch)
}

// ---------------------------------------------------------------------------------------------
// core → JS

fn status_result((status, reason): (SetStatus, Option<String>)) -> SetContextResult {
    SetContextResult {
        status: status.as_str().to_owned(),
        reason,
    }
}

fn classification_object(classification: Classification) -> SessionErrorClassification {
    SessionErrorClassification {
        error_type: classification.error_type.as_str().to_owned(),
        error_detail: classification.detail.to_owned(),
        error_message: classification.message,
        resets_at: classification.resets_at,
    }
}

fn outcome_object(outcome: Outcome) -> ReportOutcome {
    ReportOutcome {
        outcome: outcome.kind.as_str().to_owned(),
        event_id: outcome.event_id,
        error_type: outcome.error_type.map(str::to_owned),
        error_detail: outcome.error_detail.map(str::to_owned),
        reason: outcome.reason,
    }
}

fn flush_object(result: FlushResult) -> FlushOutcome {
    FlushOutcome {
        completed: result.completed,
        pending: u32::try_from(result.pending).unwrap_or(u32::MAX),
    }
}

fn stats_object(stats: Stats) -> TelemetryStats {
    TelemetryStats {
        reported: stats.reported as f64,
        queued: stats.queued as f64,
        held: stats.held as f64,
        sent: stats.sent as f64,
        retried: stats.retried as f64,
        failed: stats.failed as f64,
        failed_http: stats.failed_http as f64,
        failed_timeout: stats.failed_timeout as f64,
        failed_network: stats.failed_network as f64,
        dropped_queue_full: stats.dropped_queue_full as f64,
        dropped_held_overflow: stats.dropped_held_overflow as f64,
        skipped_not_an_error: stats.skipped_not_an_error as f64,
        skipped_user_stop: stats.skipped_user_stop as f64,
        skipped_disabled: stats.skipped_disabled as f64,
        invalid_input: stats.invalid_input as f64,
        queue_length: stats.queue_length as f64,
        in_flight: stats.in_flight as f64,
        waiting_to_retry: stats.waiting_to_retry as f64,
        spooled: stats.spooled as f64,
        restored: stats.restored as f64,
        spool_dropped: stats.spool_dropped as f64,
        spool_errors: stats.spool_errors as f64,
    }
}

/// A flush/shutdown timeout: any non-negative finite number of ms; anything else (a string,
/// NaN, a Symbol …) means the default, because these promises never reject.
fn timeout_of(env: &Env, timeout_ms: Option<Unknown<'_>>) -> Duration {
    let ms = timeout_ms
        .and_then(|value| number(env.raw(), value.raw()))
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .unwrap_or(DEFAULT_FLUSH_MS);
    Duration::from_secs_f64(ms.min(24.0 * 3_600_000.0) / 1000.0)
}

/// Polls a future once without a runtime; used when nothing is pending, so that an idle flush
/// or shutdown settles without starting the background thread.
fn poll_once<F: Future>(future: Pin<&mut F>) -> Option<F::Output> {
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.poll(&mut context) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

type FlushResolver = Box<dyn FnOnce(Env) -> Result<FlushOutcome> + Send>;

fn resolve(deferred: napi::JsDeferred<FlushOutcome, FlushResolver>, result: FlushResult) {
    deferred.resolve(Box::new(move |_| Ok(flush_object(result))));
}

/// Turns a flush/shutdown future into a promise that never rejects. An awaited promise keeps
/// Node alive until it settles; that is the only thing that does.
fn settle<'env>(
    env: &'env Env,
    reporter: &Reporter,
    work: impl Future<Output = FlushResult> + Send + 'static,
) -> Result<Object<'env>> {
    let (deferred, promise) = env.create_deferred::<FlushOutcome, FlushResolver>()?;
    let mut work = Box::pin(work);
    if reporter.is_idle() {
        if let Some(result) = poll_once(work.as_mut()) {
            resolve(deferred, result);
            return Ok(promise);
        }
    }
    match reporter::runtime() {
        Ok(runtime) => {
            runtime.spawn(async move {
                let result = work.await;
                resolve(deferred, result);
            });
        }
        Err(_) => {
            let pending = reporter.stats().queue_length;
            resolve(
                deferred,
                FlushResult {
                    completed: false,
                    pending,
                },
            );
        }
    }
    Ok(promise)
}

// ---------------------------------------------------------------------------------------------
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
            &format!("internal error contained at the N-API boundary: {message}"),
        );
        fallback()
    })
}

/// In debug builds only, a report for this session id panics inside the export, so that a test
/// can prove the boundary contains it.
#[cfg(debug_assertions)]
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
    #[cfg(debug_assertions)]
    if matches!(&input, Ok((session, _)) if session.session_id == FORCED_PANIC_SESSION) {
        panic!("forced panic for session {FORCED_PANIC_SESSION}");
    }
    outcome_object(reporter.report(input, stop_requested))
}

/// The fields of a report as plain values, read by the package entry (`entry.cjs`) in
/// JavaScript and passed as arguments: far cheaper than reading them through N-API one by one.
struct ReportFields {
    /// `options.sessionId ?? session.id`.
    session_id: Option<String>,
    created_at: Option<f64>,
    issue_id: Option<String>,
    issue_identifier: Option<String>,
    subtype: Option<String>,
    is_error: bool,
    result: Option<String>,
    /// The string entries of `errors`.
    errors: Option<Vec<String>>,
    stop_requested: bool,
}

/// Separates the fields of a packed outcome: `outcome⇥eventId⇥errorType⇥errorDetail⇥reason`.
const PACKED_SEPARATOR: char = '\t';

/// The outcome as one string, which the entry unpacks into the outcome object: one string is
/// much cheaper to hand back through N-API than an object built property by property.
fn packed(outcome: ReportOutcome) -> String {
    let fields = [
        Some(outcome.outcome),
        outcome.event_id,
        outcome.error_type,
        outcome.error_detail,
        outcome.reason,
    ];
    let mut packed = String::with_capacity(96);
    for (index, field) in fields.into_iter().enumerate() {
        if index > 0 {
            packed.push(PACKED_SEPARATOR);
        }
        packed.push_str(field.as_deref().unwrap_or_default());
    }
    packed
}

fn report_plain(reporter: &Reporter, fields: ReportFields) -> String {
    packed(contained(reporter, internal_error_outcome, || {
        let ReportFields {
            session_id,
            created_at,
            issue_id,
            issue_identifier,
            subtype,
            is_error,
            result,
            errors,
            stop_requested,
        } = fields;
        let input = session_id_of(session_id, || None).map(|session_id| {
            let session = SessionInfo {
                session_id,
                created_at_ms: created_at,
                issue_id,
                issue_identifier,
            };
            let result = ResultMessage {
                subtype,
                is_error,
                result,
                errors: errors.unwrap_or_default(),
            };
            (session, result)
        });
        report_input(reporter, input, stop_requested)
    }))
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

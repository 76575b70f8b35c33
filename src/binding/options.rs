//! JS options → the core's [`OptionsPatch`], the logger among them, and option errors as
//! `TypeError`s.

use super::read::{
    array_elements, boolean, clear_exception, is_object, number, property, string, type_of,
    MAX_HEADER_KEYS,
};
use crate::reporter::{LogLevel, Logger, OptionError, OptionsPatch};
use napi::bindgen_prelude::*;
use napi::sys;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use std::ffi::CStr;
use std::ptr;

fn type_error(env: &Env, message: &str) -> Error {
    let _ = env.throw_type_error(message, None);
    Error::new(Status::PendingException, message.to_owned())
}

pub(super) fn option_error(env: &Env, error: OptionError) -> Error {
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

/// Log lines waiting for the JavaScript thread at most; a flood beyond it is dropped and counted
/// (`logLinesDropped`), never queued without bound.
const LOG_QUEUE_LINES: usize = 1024;

type LogFunction = ThreadsafeFunction<
    FnArgs<(String, String)>,
    (),
    FnArgs<(String, String)>,
    Status,
    false,
    true,
    LOG_QUEUE_LINES,
>;

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
        function
            .build_threadsafe_function()
            .weak::<true>()
            .max_queue_size::<LOG_QUEUE_LINES>()
            .build()
    })()
    .map_err(|_| {
        clear_exception(env);
        not_a_logger()
    })?;
    let logger = Logger::new(move |level, message| {
        let status = sink.call(
            (level.as_str().to_owned(), message.to_owned()).into(),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
        status != Status::QueueFull
    });
    Ok(match logger_level(env, value) {
        Some(level) => logger.with_level(level),
        None => logger,
    })
}

/// What a cyrus `ILogger`'s `getLevel()` returns now, if it has one and it answers a level.
fn logger_level(env: sys::napi_env, logger: sys::napi_value) -> Option<LogLevel> {
    let get_level = property(env, logger, c"getLevel")
        .filter(|method| type_of(env, *method) == ValueType::Function)?;
    let mut result = ptr::null_mut();
    // SAFETY: logger and get_level belong to env's current scope; no arguments are passed.
    let status =
        unsafe { sys::napi_call_function(env, logger, get_level, 0, ptr::null(), &mut result) };
    if status != sys::Status::napi_ok {
        clear_exception(env);
        return None;
    }
    number(env, result).and_then(LogLevel::from_cyrus)
}

pub(super) fn read_options(
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
    if let Some(value) = property(env, options, c"logLevel") {
        patch.log_level = Some(
            string(env, value)
                .and_then(|name| LogLevel::parse(&name))
                .ok_or_else(|| wrong_type("logLevel", LogLevel::NAMES))?,
        );
    }
    Ok(patch)
}

//! Options: their shape in `index.d.ts` and the values the package entry (`read.cjs`) read,
//! both from the one option table (`crate::option_table!`); the logger as a threadsafe
//! function; option errors as `TypeError`s.

use crate::reporter::{LogLevel, Logger, OptionError, OptionValue, OptionsPatch};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

/// An option's value as the entry hands it over, already of its kind's JavaScript type.
pub(super) type OptionInput = Either4<f64, bool, String, Vec<String>>;

/// The logger as the entry hands it over: the caller's logger wrapped in one `(level, message)`
/// function that dispatches to it and swallows what it throws.
pub(super) type LoggerFunction<'env> = Function<'env, FnArgs<(String, String)>, ()>;

/// What the entry read of an options object.
pub(super) struct OptionReadings<'env> {
    /// The options given, by JavaScript name, with `values`.
    pub(super) names: Vec<String>,
    pub(super) values: Vec<OptionInput>,
    /// The first option (or `options` itself) whose value has the wrong JavaScript type.
    pub(super) wrong_type: Option<String>,
    pub(super) logger: Option<LoggerFunction<'env>>,
    /// What the logger's `getLevel()` answered (a cyrus `LogLevel` number).
    pub(super) logger_level: Option<f64>,
}

/// Log lines waiting for the JavaScript thread at most; a flood beyond it is dropped and counted
/// (`logLinesDropped`), never queued without bound.
const LOG_QUEUE_LINES: usize = 1024;

type LogSink = ThreadsafeFunction<
    FnArgs<(String, String)>,
    (),
    FnArgs<(String, String)>,
    Status,
    false,
    true,
    LOG_QUEUE_LINES,
>;

/// Throws `error` as a `TypeError`, the only thing the addon throws.
pub(super) fn option_error(env: &Env, error: OptionError) -> Error {
    let message = error.to_string();
    let _ = env.throw_type_error(&message, None);
    Error::new(Status::PendingException, message)
}

/// The options patch the readings describe, or the first error in them.
pub(super) fn options_patch(
    readings: OptionReadings<'_>,
) -> std::result::Result<OptionsPatch, OptionError> {
    if let Some(name) = readings.wrong_type {
        return Err(OptionError::wrong_type(&name));
    }
    let mut patch = OptionsPatch::default();
    for (name, value) in readings.names.iter().zip(readings.values) {
        let value = match value {
            Either4::A(number) => OptionValue::Number(number),
            Either4::B(flag) => OptionValue::Flag(flag),
            Either4::C(text) => OptionValue::Text(text),
            Either4::D(texts) => OptionValue::Texts(texts),
        };
        patch.set(name, value)?;
    }
    if let Some(function) = readings.logger {
        let logger = logger(function).map_err(|_| OptionError::wrong_type("logger"))?;
        patch.logger = Some(match readings.logger_level.and_then(LogLevel::from_cyrus) {
            Some(level) => logger.with_level(level),
            None => logger,
        });
    }
    Ok(patch)
}

/// The wrapped logger as a core [`Logger`], backed by a weak threadsafe function: logging never
/// keeps Node alive, and a full queue drops the line (counted by the reporter).
fn logger(function: LoggerFunction<'_>) -> Result<Logger> {
    let sink: LogSink = function
        .build_threadsafe_function()
        .weak::<true>()
        .max_queue_size::<LOG_QUEUE_LINES>()
        .build()?;
    Ok(Logger::new(move |level, message| {
        let status = sink.call(
            (level.as_str().to_owned(), message.to_owned()).into(),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
        status != Status::QueueFull
    }))
}

/// The TypeScript type of an option of each kind, as a field of `TelemetryOptions`: its Rust
/// type (which napi-derive maps) and, where that says too little, `ts_type`.
macro_rules! define_telemetry_options {
    ($($field:ident $name:literal: $kind:ident $(= $default:literal in $min:literal..=$max:literal)?, $doc:literal;)*) => {
        define_telemetry_options!(@fields [] $($field $name $kind $doc;)*);
    };
    (@fields [$($done:tt)*] $field:ident $name:literal Count $doc:literal; $($rest:tt)*) => {
        define_telemetry_options!(@fields [$($done)* #[doc = $doc] #[napi(js_name = $name)] pub $field: Option<f64>,] $($rest)*);
    };
    (@fields [$($done:tt)*] $field:ident $name:literal Millis $doc:literal; $($rest:tt)*) => {
        define_telemetry_options!(@fields [$($done)* #[doc = $doc] #[napi(js_name = $name)] pub $field: Option<f64>,] $($rest)*);
    };
    (@fields [$($done:tt)*] $field:ident $name:literal HostPatterns $doc:literal; $($rest:tt)*) => {
        define_telemetry_options!(@fields [$($done)* #[doc = $doc] #[napi(js_name = $name)] pub $field: Option<Vec<String>>,] $($rest)*);
    };
    (@fields [$($done:tt)*] $field:ident $name:literal Logger $doc:literal; $($rest:tt)*) => {
        define_telemetry_options!(@fields [$($done)*
            #[doc = $doc]
            #[napi(js_name = $name, ts_type = "{ debug(message: string, ...args: any[]): void; info(message: string, ...args: any[]): void; warn(message: string, ...args: any[]): void; error(message: string, ...args: any[]): void; getLevel?(): number } | ((level: 'debug' | 'info' | 'warn' | 'error', message: string) => void)")]
            pub $field: Option<Unknown<'static>>,
        ] $($rest)*);
    };
    (@fields [$($done:tt)*] $field:ident $name:literal LogLevel $doc:literal; $($rest:tt)*) => {
        define_telemetry_options!(@fields [$($done)*
            #[doc = $doc]
            #[napi(js_name = $name, ts_type = "'debug' | 'info' | 'warn' | 'error' | 'silent'")]
            pub $field: Option<String>,
        ] $($rest)*);
    };
    (@fields [$($done:tt)*] $field:ident $name:literal Flag $doc:literal; $($rest:tt)*) => {
        define_telemetry_options!(@fields [$($done)* #[doc = $doc] #[napi(js_name = $name)] pub $field: Option<bool>,] $($rest)*);
    };
    (@fields [$($done:tt)*] $field:ident $name:literal Pem $doc:literal; $($rest:tt)*) => {
        define_telemetry_options!(@fields [$($done)* #[doc = $doc] #[napi(js_name = $name)] pub $field: Option<String>,] $($rest)*);
    };
    (@fields [$($done:tt)*] $field:ident $name:literal Folder $doc:literal; $($rest:tt)*) => {
        define_telemetry_options!(@fields [$($done)* #[doc = $doc] #[napi(js_name = $name)] pub $field: Option<String>,] $($rest)*);
    };
    (@fields [$($done:tt)*]) => {
        // Declares a TypeScript shape for index.d.ts; the entry reads options field by field
        // (never through this struct), so a throwing getter or a Proxy cannot throw into the
        // caller.
        #[allow(dead_code)]
        /// Options of `new TelemetryReporter(options)` and `configure(options)`; all optional.
        /// A value out of range or of the wrong type throws a `TypeError` naming the option.
        #[napi(object)]
        pub struct TelemetryOptions {
            $($done)*
        }
    };
}
crate::option_table!(define_telemetry_options);

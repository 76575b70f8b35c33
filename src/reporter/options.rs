//! Reporter options: the one table of them ([`option_table!`]), their defaults (README,
//! "Behaviour") and the range checks of `configure`.
//!
//! Everything else about an option follows from its row: the [`OPTIONS`] list (which the package
//! entry reads by, and which the README's options table is held to), [`OptionsPatch`], the
//! numbers [`Options::default`] and [`Options::merged`] use, and the binding's `TelemetryOptions`
//! in `index.d.ts`.

use super::{LogLevel, Logger};
use crate::context::HostAllowList;
use crate::retry::RetryPolicy;
use crate::spool::SpoolConfig;
use crate::transport::extra_roots;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Calls `$generate!` with every option of `new TelemetryReporter(options)` and `configure`, in
/// the order they are read and checked: the Rust field, the JavaScript name, the kind (numbers
/// with `= default in min..=max`) and what it does. The doc is a plain string because
/// napi-derive copies only those into `index.d.ts`; a numeric option's doc states its default,
/// which a test holds to the number.
#[doc(hidden)]
#[macro_export]
macro_rules! option_table {
    ($generate:ident) => {
        $generate! {
            queue_capacity "queueCapacity": Count = 1024 in 1..=1_000_000,
                "Events accepted but not finished (waiting, in flight or waiting to retry). When full, a new event is dropped (`dropped_queue_full`) and the caller never blocks. Default 1024.";
            held_capacity "heldCapacity": Count = 256 in 1..=100_000,
                "Events held before a callback context arrives, oldest dropped first (`droppedHeldOverflow`). A held event keeps its message scrubbed of everything but the token and not yet cut (at most 14 KiB); when a context arrives it is scrubbed with the token, then cut to 500 characters, so no part of the token is ever sent. Default 256.";
            max_concurrency "maxConcurrency": Count = 8 in 1..=1024,
                "Requests in flight, over kept-alive connections. Default 8.";
            request_timeout_ms "requestTimeoutMs": Millis = 10_000 in 1..=3_600_000,
                "Hard deadline of one attempt: connect, request, response status and headers. A 2xx counts as delivered when its headers arrive; at most 64 KiB of body is read (within the deadline) and discarded. Default 10,000.";
            max_attempts "maxAttempts": Count = 4 in 1..=100,
                "Attempts per event, the first included. Default 4.";
            backoff_base_ms "backoffBaseMs": Millis = 1000 in 0..=3_600_000,
                "First retry backoff: after attempt n the wait is base × 2^(n−1), ±20 % jitter, capped at `backoffMaxMs`. Default 1000.";
            backoff_max_ms "backoffMaxMs": Millis = 30_000 in 0..=3_600_000,
                "Backoff cap. Default 30,000.";
            retry_after_max_ms "retryAfterMaxMs": Millis = 60_000 in 0..=3_600_000,
                "Clamp on a server's `Retry-After` (seconds or HTTP date), which is a minimum: wait = max(backoff, min(Retry-After, clamp)). Default 60,000.";
            allowed_hosts "allowedHosts": HostPatterns,
                "Callback host allow-list: exact hosts and `*.suffix` patterns (`*.cyrus.app` matches `a.cyrus.app` and `a.b.cyrus.app`, not `cyrus.app`). Default: any host.";
            logger "logger": Logger,
                "A cyrus `ILogger` (`debug`/`info`/`warn`/`error`) or `(level, message) => void`, called on the JavaScript thread; it never keeps the process alive, and a logger that throws is ignored. Warnings: an event finally failed, the token was refused (once), the first rejected context (later ones at debug), spool problems; never the token. At most 1024 lines wait for the JavaScript thread; a flood beyond that (a busy thread while thousands of events are delivered at debug level) is dropped and counted in `logLinesDropped`. Default: warnings and errors to stderr, prefixed `[cyrus-telemetry]`.";
            log_level "logLevel": LogLevel,
                "Lines below this level are never formatted and never sent to the logger (the per-event `event … delivered` line is at debug). Default: what the logger's `getLevel()` returns (cyrus's `LogLevel`, `DEBUG = 0` … `SILENT = 4`), read when the logger is given (`configure({ logger })` reads the new one's), else `CYRUS_LOG_LEVEL`, else `\"info\"`. The default stderr logger stays at warnings and errors unless this option asks for more.";
            disabled "disabled": Flag,
                "Report nothing (outcome `disabled`). Default: `CYRUS_TELEMETRY_DISABLED=1`.";
            extra_ca_certs "extraCaCerts": Pem,
                "PEM certificate(s) trusted in addition to the system roots, for a private control plane. Default: none.";
            spool_dir "spoolDir": Folder,
                "Folder of the durable spool: events survive a restart and are delivered by the next process with their original `event_id`. For the edge worker: a folder under the cyrus home, e.g. `~/.cyrus/telemetry-spool`. Default: none (memory only, nothing touches the disk).";
            spool_max_events "spoolMaxEvents": Count = 1000 in 1..=1_000_000,
                "Spooled events kept at most (oldest dropped). Needs `spoolDir`. Default 1000.";
            spool_max_bytes "spoolMaxBytes": Count = 4_194_304 in 1024..=1_073_741_824,
                "Spool bytes kept at most (oldest dropped). Needs `spoolDir`. Default 4,194,304 (4 MiB).";
            spool_max_age_ms "spoolMaxAgeMs": Millis = 604_800_000 in 1..=31_536_000_000,
                "Spooled events older than this are discarded when the spool is read back at start. Needs `spoolDir`. Default 604,800,000 (7 days).";
        }
    };
}

/// The default and accepted range of a numeric option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeRange {
    pub default: u64,
    pub min: u64,
    pub max: u64,
}

/// What an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A whole number.
    Count(WholeRange),
    /// A whole number of milliseconds.
    Millis(WholeRange),
    /// An array of host patterns.
    HostPatterns,
    /// A cyrus `ILogger` or a `(level, message)` function.
    Logger,
    /// A level name ([`LogLevel::parse`]).
    LogLevel,
    Flag,
    /// PEM text.
    Pem,
    /// A folder path.
    Folder,
}

impl OptionKind {
    /// The JavaScript type the package entry checks before it hands a value over: `number`,
    /// `boolean`, `string`, `string[]`, or `logger` (which it wraps into one function).
    pub fn js_type(self) -> &'static str {
        match self {
            OptionKind::Count(_) | OptionKind::Millis(_) => "number",
            OptionKind::HostPatterns => "string[]",
            OptionKind::Logger => "logger",
            OptionKind::LogLevel | OptionKind::Pem | OptionKind::Folder => "string",
            OptionKind::Flag => "boolean",
        }
    }

    /// What an error says a value of the wrong type must be.
    pub fn expected(self) -> &'static str {
        match self {
            OptionKind::Count(_) | OptionKind::Millis(_) => "a number",
            OptionKind::HostPatterns => "an array of host patterns",
            OptionKind::Logger => {
                "an ILogger object (debug/info/warn/error) or a (level, message) function"
            }
            OptionKind::LogLevel => LogLevel::NAMES,
            OptionKind::Flag => "a boolean",
            OptionKind::Pem => "a PEM string",
            OptionKind::Folder => "a folder path string",
        }
    }
}

/// One row of the option table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// The JavaScript name, which errors name too.
    pub name: &'static str,
    pub kind: OptionKind,
    /// What it does (in `index.d.ts` and the README).
    pub doc: &'static str,
}

impl OptionSpec {
    /// The default of a numeric option (0 for the others).
    pub const fn default_number(&self) -> u64 {
        match self.kind {
            OptionKind::Count(range) | OptionKind::Millis(range) => range.default,
            _ => 0,
        }
    }

    /// `value` as a whole number in this option's range, or an error naming the option.
    pub fn whole_number(&self, value: f64) -> Result<u64, OptionError> {
        match self.kind {
            OptionKind::Count(range) | OptionKind::Millis(range) => {
                whole_number(self.name, value, range.min, range.max)
            }
            _ => Err(self.wrong_type()),
        }
    }

    /// The error for a value that is not of this option's kind.
    pub fn wrong_type(&self) -> OptionError {
        OptionError {
            option: self.name,
            message: format!("must be {}", self.kind.expected()),
        }
    }
}

/// A value the package entry read for an option, by its JavaScript type.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    Number(f64),
    Flag(bool),
    Text(String),
    Texts(Vec<String>),
}

/// The Rust type an option of each kind has in an [`OptionsPatch`].
macro_rules! patch_type {
    (Count) => { f64 };
    (Millis) => { f64 };
    (HostPatterns) => { Vec<String> };
    (Logger) => { Logger };
    (LogLevel) => { LogLevel };
    (Flag) => { bool };
    (Pem) => { String };
    (Folder) => { String };
}

/// An [`OptionValue`] as the patch type of its kind, if it is one.
macro_rules! take_value {
    (Count, $value:expr) => {
        match $value {
            OptionValue::Number(number) => Some(number),
            _ => None,
        }
    };
    (Millis, $value:expr) => {
        take_value!(Count, $value)
    };
    (HostPatterns, $value:expr) => {
        match $value {
            OptionValue::Texts(texts) => Some(texts),
            _ => None,
        }
    };
    // A logger is a JavaScript function: the binding sets it, never from a plain value.
    (Logger, $value:expr) => {{
        let _ = $value;
        None::<Logger>
    }};
    (LogLevel, $value:expr) => {
        match $value {
            OptionValue::Text(name) => LogLevel::parse(&name),
            _ => None,
        }
    };
    (Flag, $value:expr) => {
        match $value {
            OptionValue::Flag(flag) => Some(flag),
            _ => None,
        }
    };
    (Pem, $value:expr) => {
        match $value {
            OptionValue::Text(text) => Some(text),
            _ => None,
        }
    };
    (Folder, $value:expr) => {
        take_value!(Pem, $value)
    };
}

macro_rules! define_options {
    ($($field:ident $name:literal: $kind:ident $(= $default:literal in $min:literal..=$max:literal)?, $doc:literal;)*) => {
        /// Each option's row, by its Rust field name.
        #[allow(non_upper_case_globals)]
        pub mod specs {
            use super::{OptionKind, OptionSpec, WholeRange};
            $(pub const $field: OptionSpec = OptionSpec {
                name: $name,
                kind: OptionKind::$kind$((WholeRange { default: $default, min: $min, max: $max }))?,
                doc: $doc,
            };)*
        }

        /// Every option, in the order they are read and checked.
        pub const OPTIONS: &[OptionSpec] = &[$(specs::$field),*];

        /// The options a caller named. Numbers arrive as JS numbers and are range-checked by
        /// [`Options::merged`].
        #[derive(Debug, Clone, Default)]
        pub struct OptionsPatch {
            $(pub $field: Option<patch_type!($kind)>,)*
        }

        impl OptionsPatch {
            /// Sets the option named `name` (its JavaScript name) to a value the package entry
            /// read; an error names the option when the value is not of its kind.
            pub fn set(&mut self, name: &str, value: OptionValue) -> Result<(), OptionError> {
                $(if name == $name {
                    self.$field = Some(take_value!($kind, value).ok_or_else(|| specs::$field.wrong_type())?);
                    return Ok(());
                })*
                Err(OptionError {
                    option: "options",
                    message: format!("has no option {name:?}"),
                })
            }
        }
    };
}
option_table!(define_options);

impl OptionError {
    /// `options` itself, or the option named `name`, has a value of the wrong type.
    pub fn wrong_type(name: &str) -> OptionError {
        match OPTIONS.iter().find(|spec| spec.name == name) {
            Some(spec) => spec.wrong_type(),
            None => OptionError {
                option: "options",
                message: "must be an object".into(),
            },
        }
    }
}

/// Reporter options, with the table's defaults.
#[derive(Debug, Clone)]
pub struct Options {
    pub queue_capacity: usize,
    pub held_capacity: usize,
    pub max_concurrency: usize,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    pub allowed_hosts: HostAllowList,
    pub logger: Logger,
    pub disabled: bool,
    /// PEM certificates trusted in addition to the platform's roots.
    pub extra_ca_certs: Option<String>,
    /// The durable spool; None keeps events in memory only.
    pub spool: Option<SpoolConfig>,
}

const fn default_millis(spec: &OptionSpec) -> Duration {
    Duration::from_millis(spec.default_number())
}

impl Default for Options {
    fn default() -> Self {
        Self {
            queue_capacity: specs::queue_capacity.default_number() as usize,
            held_capacity: specs::held_capacity.default_number() as usize,
            max_concurrency: specs::max_concurrency.default_number() as usize,
            request_timeout: default_millis(&specs::request_timeout_ms),
            retry: RetryPolicy {
                max_attempts: specs::max_attempts.default_number() as u32,
                backoff_base: default_millis(&specs::backoff_base_ms),
                backoff_max: default_millis(&specs::backoff_max_ms),
                retry_after_max: default_millis(&specs::retry_after_max_ms),
            },
            allowed_hosts: HostAllowList::default(),
            logger: Logger::stderr(),
            disabled: disabled_by_environment(),
            extra_ca_certs: None,
            spool: None,
        }
    }
}

/// A spool in `dir` with the table's default bounds.
fn default_spool(dir: PathBuf) -> SpoolConfig {
    SpoolConfig {
        dir,
        max_events: specs::spool_max_events.default_number() as usize,
        max_bytes: specs::spool_max_bytes.default_number(),
        max_age: default_millis(&specs::spool_max_age_ms),
    }
}

/// `CYRUS_TELEMETRY_DISABLED=1` (or `true`) turns reporting off.
pub fn disabled_by_environment() -> bool {
    std::env::var("CYRUS_TELEMETRY_DISABLED")
        .map(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "1" | "true"))
        .unwrap_or(false)
}

/// An option out of range; the binding throws it as a `TypeError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    pub option: &'static str,
    pub message: String,
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cyrus-telemetry: option `{}` {}",
            self.option, self.message
        )
    }
}

/// `value` as a whole number in `min..=max`, or an error naming the option.
pub fn whole_number(
    option: &'static str,
    value: f64,
    min: u64,
    max: u64,
) -> Result<u64, OptionError> {
    if value.is_finite() && value.fract() == 0.0 && value >= min as f64 && value <= max as f64 {
        Ok(value as u64)
    } else {
        Err(OptionError {
            option,
            message: format!("must be a whole number from {min} to {max} (got {value})"),
        })
    }
}

/// A numeric option of the patch, checked against its row.
fn whole(spec: &OptionSpec, value: Option<f64>) -> Result<Option<u64>, OptionError> {
    value.map(|value| spec.whole_number(value)).transpose()
}

/// A millisecond option of the patch, checked against its row.
fn millis(spec: &OptionSpec, value: Option<f64>) -> Result<Option<Duration>, OptionError> {
    Ok(whole(spec, value)?.map(Duration::from_millis))
}

impl Options {
    /// Applies the named options; on error nothing changes.
    pub fn merged(&self, patch: &OptionsPatch) -> Result<Options, OptionError> {
        let mut next = self.clone();
        if let Some(value) = whole(&specs::queue_capacity, patch.queue_capacity)? {
            next.queue_capacity = value as usize;
        }
        if let Some(value) = whole(&specs::held_capacity, patch.held_capacity)? {
            next.held_capacity = value as usize;
        }
        if let Some(value) = whole(&specs::max_concurrency, patch.max_concurrency)? {
            next.max_concurrency = value as usize;
        }
        if let Some(timeout) = millis(&specs::request_timeout_ms, patch.request_timeout_ms)? {
            next.request_timeout = timeout;
        }
        if let Some(value) = whole(&specs::max_attempts, patch.max_attempts)? {
            next.retry.max_attempts = value as u32;
        }
        if let Some(base) = millis(&specs::backoff_base_ms, patch.backoff_base_ms)? {
            next.retry.backoff_base = base;
        }
        if let Some(max) = millis(&specs::backoff_max_ms, patch.backoff_max_ms)? {
            next.retry.backoff_max = max;
        }
        if let Some(max) = millis(&specs::retry_after_max_ms, patch.retry_after_max_ms)? {
            next.retry.retry_after_max = max;
        }
        if let Some(patterns) = &patch.allowed_hosts {
            next.allowed_hosts = HostAllowList::parse(patterns).map_err(|message| OptionError {
                option: specs::allowed_hosts.name,
                message,
            })?;
        }
        if let Some(logger) = &patch.logger {
            next.logger = logger.clone();
        }
        if let Some(level) = patch.log_level {
            next.logger = next.logger.with_level(level);
        }
        if let Some(disabled) = patch.disabled {
            next.disabled = disabled;
        }
        if let Some(pem) = &patch.extra_ca_certs {
            // Checked here so a bad bundle fails at configuration time, not at the first send.
            extra_roots(pem).map_err(|message| OptionError {
                option: specs::extra_ca_certs.name,
                message,
            })?;
            next.extra_ca_certs = Some(pem.clone());
        }
        next.spool = merged_spool(next.spool.take(), patch)?;
        Ok(next)
    }
}

/// The spool options of a patch applied to the current spool settings.
fn merged_spool(
    current: Option<SpoolConfig>,
    patch: &OptionsPatch,
) -> Result<Option<SpoolConfig>, OptionError> {
    let mut spool = match &patch.spool_dir {
        Some(dir) if dir.trim().is_empty() => {
            return Err(OptionError {
                option: specs::spool_dir.name,
                message: "must be a folder path".into(),
            })
        }
        Some(dir) => Some(match current {
            Some(current) => SpoolConfig {
                dir: PathBuf::from(dir),
                ..current
            },
            None => default_spool(PathBuf::from(dir)),
        }),
        None => current,
    };
    let Some(config) = spool.as_mut() else {
        let limits = [
            patch.spool_max_events,
            patch.spool_max_bytes,
            patch.spool_max_age_ms,
        ];
        if limits.iter().any(Option::is_some) {
            // Limits without a folder would silently do nothing; say so instead.
            return Err(OptionError {
                option: specs::spool_dir.name,
                message: "is required when spoolMaxEvents, spoolMaxBytes or spoolMaxAgeMs is set"
                    .into(),
            });
        }
        return Ok(None);
    };
    if let Some(value) = whole(&specs::spool_max_events, patch.spool_max_events)? {
        config.max_events = value as usize;
    }
    if let Some(value) = whole(&specs::spool_max_bytes, patch.spool_max_bytes)? {
        config.max_bytes = value;
    }
    if let Some(value) = millis(&specs::spool_max_age_ms, patch.spool_max_age_ms)? {
        config.max_age = value;
    }
    Ok(spool)
}

#[cfg(test)]
mod tests;

//! Reporter options, their defaults (README, "Behaviour") and the range checks of `configure`.

use super::{LogLevel, Logger};
use crate::context::HostAllowList;
use crate::retry::RetryPolicy;
use crate::spool::SpoolConfig;
use crate::transport::extra_roots;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Reporter options with their SPEC §5 defaults.
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

impl Default for Options {
    fn default() -> Self {
        Self {
            queue_capacity: 1024,
            held_capacity: 256,
            max_concurrency: 8,
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            allowed_hosts: HostAllowList::default(),
            logger: Logger::stderr(),
            disabled: disabled_by_environment(),
            extra_ca_certs: None,
            spool: None,
        }
    }
}

/// `CYRUS_TELEMETRY_DISABLED=1` (or `true`) turns reporting off.
pub fn disabled_by_environment() -> bool {
    std::env::var("CYRUS_TELEMETRY_DISABLED")
        .map(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "1" | "true"))
        .unwrap_or(false)
}

/// The options a caller named; numbers arrive as JS numbers and are range-checked here.
#[derive(Debug, Clone, Default)]
pub struct OptionsPatch {
    pub queue_capacity: Option<f64>,
    pub held_capacity: Option<f64>,
    pub max_concurrency: Option<f64>,
    pub request_timeout_ms: Option<f64>,
    pub max_attempts: Option<f64>,
    pub backoff_base_ms: Option<f64>,
    pub backoff_max_ms: Option<f64>,
    pub retry_after_max_ms: Option<f64>,
    pub allowed_hosts: Option<Vec<String>>,
    /// A logger at its own level (a cyrus `ILogger`'s `getLevel()`, else the default).
    pub logger: Option<Logger>,
    /// `logLevel`: overrides the logger's level.
    pub log_level: Option<LogLevel>,
    pub disabled: Option<bool>,
    pub extra_ca_certs: Option<String>,
    pub spool_dir: Option<String>,
    pub spool_max_events: Option<f64>,
    pub spool_max_bytes: Option<f64>,
    pub spool_max_age_ms: Option<f64>,
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

/// One hour: the ceiling of every time option.
const MAX_MS: u64 = 3_600_000;

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

impl Options {
    /// Applies the named options; on error nothing changes.
    pub fn merged(&self, patch: &OptionsPatch) -> Result<Options, OptionError> {
        let mut next = self.clone();
        let ms = |option, value: Option<f64>, min| {
            value
                .map(|value| whole_number(option, value, min, MAX_MS).map(Duration::from_millis))
                .transpose()
        };
        if let Some(value) = patch.queue_capacity {
            next.queue_capacity = whole_number("queueCapacity", value, 1, 1_000_000)? as usize;
        }
        if let Some(value) = patch.held_capacity {
            next.held_capacity = whole_number("heldCapacity", value, 1, 100_000)? as usize;
        }
        if let Some(value) = patch.max_concurrency {
            next.max_concurrency = whole_number("maxConcurrency", value, 1, 1024)? as usize;
        }
        if let Some(value) = patch.max_attempts {
            next.retry.max_attempts = whole_number("maxAttempts", value, 1, 100)? as u32;
        }
        if let Some(timeout) = ms("requestTimeoutMs", patch.request_timeout_ms, 1)? {
            next.request_timeout = timeout;
        }
        if let Some(base) = ms("backoffBaseMs", patch.backoff_base_ms, 0)? {
            next.retry.backoff_base = base;
        }
        if let Some(max) = ms("backoffMaxMs", patch.backoff_max_ms, 0)? {
            next.retry.backoff_max = max;
        }
        if let Some(max) = ms("retryAfterMaxMs", patch.retry_after_max_ms, 0)? {
            next.retry.retry_after_max = max;
        }
        if let Some(patterns) = &patch.allowed_hosts {
            next.allowed_hosts = HostAllowList::parse(patterns).map_err(|message| OptionError {
                option: "allowedHosts",
                message,
            })?;
        }
        if let Some(pem) = &patch.extra_ca_certs {
            // Checked here so a bad bundle fails at configuration time, not at the first send.
            extra_roots(pem).map_err(|message| OptionError {
                option: "extraCaCerts",
                message,
            })?;
            next.extra_ca_certs = Some(pem.clone());
        }
        next.spool = merged_spool(next.spool.take(), patch)?;
        if let Some(logger) = &patch.logger {
            next.logger = logger.clone();
        }
        if let Some(level) = patch.log_level {
            next.logger = next.logger.with_level(level);
        }
        if let Some(disabled) = patch.disabled {
            next.disabled = disabled;
        }
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
                option: "spoolDir",
                message: "must be a folder path".into(),
            })
        }
        Some(dir) => Some(match current {
            Some(current) => SpoolConfig {
                dir: PathBuf::from(dir),
                ..current
            },
            None => SpoolConfig::new(PathBuf::from(dir)),
        }),
        None => current,
    };
    let limits = [
        patch.spool_max_events,
        patch.spool_max_bytes,
        patch.spool_max_age_ms,
    ];
    let Some(config) = spool.as_mut() else {
        if limits.iter().any(Option::is_some) {
            // Limits without a folder would silently do nothing; say so instead.
            return Err(OptionError {
                option: "spoolDir",
                message: "is required when spoolMaxEvents, spoolMaxBytes or spoolMaxAgeMs is set"
                    .into(),
            });
        }
        return Ok(None);
    };
    if let Some(value) = patch.spool_max_events {
        config.max_events = whole_number("spoolMaxEvents", value, 1, 1_000_000)? as usize;
    }
    if let Some(value) = patch.spool_max_bytes {
        config.max_bytes = whole_number("spoolMaxBytes", value, 1024, 1 << 30)?;
    }
    if let Some(value) = patch.spool_max_age_ms {
        config.max_age = Duration::from_millis(whole_number(
            "spoolMaxAgeMs",
            value,
            1,
            365 * 24 * 3_600_000,
        )?);
    }
    Ok(spool)
}

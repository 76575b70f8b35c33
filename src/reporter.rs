//! The reporter: options, callback context, held buffer, bounded queue, background delivery,
//! flush and shutdown, counters (SPEC §4, §5). No N-API: the binding hands it plain values and
//! a log sink, and turns the futures it returns into promises.

use crate::classify::{self, Classification, ResultMessage};
use crate::context::{self, CallbackContext, ExtractError, HeaderSet, HostAllowList, SetStatus};
use crate::delivery::{Attempt, Failure, RetryPolicy, Sender};
use crate::event::{Event, SessionInfo};
use crate::scrub;
use crate::spool::{OpenError, Spool, SpoolConfig};
use bytes::Bytes;
use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tokio::sync::{watch, Notify, Semaphore};

/// How long the background worker keeps looking for new events after draining the queue before
/// it parks: a burst of reports then costs one wake-up instead of one per report.
const LINGER: Duration = Duration::from_millis(1);
/// How long delivery waits for the spool to open before going on without it.
const SPOOL_OPEN_WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Logging

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// Where log lines go. Lines never contain the callback token.
#[derive(Clone)]
pub struct Logger(Arc<LogSink>);

type LogSink = dyn Fn(Level, &str) + Send + Sync;

impl Logger {
    pub fn new(sink: impl Fn(Level, &str) + Send + Sync + 'static) -> Self {
        Self(Arc::new(sink))
    }

    /// The default: warnings and errors to stderr, prefixed `[cyrus-telemetry]`.
    pub fn stderr() -> Self {
        Self::new(|level, message| {
            if level >= Level::Warn {
                eprintln!("[cyrus-telemetry] {}: {message}", level.as_str());
            }
        })
    }

    pub fn log(&self, level: Level, message: &str) {
        (self.0)(level, message)
    }
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Logger")
    }
}

// ---------------------------------------------------------------------------------------------
// Options

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
    pub logger: Option<Logger>,
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
            Sender::new(Some(pem)).map_err(|message| OptionError {
                option: "extraCaCerts",
                message,
            })?;
            next.extra_ca_certs = Some(pem.clone());
        }
        next.spool = merged_spool(next.spool.take(), patch)?;
        if let Some(logger) = &patch.logger {
            next.logger = logger.clone();
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

// ---------------------------------------------------------------------------------------------
// Outcomes and counters

/// The `outcome` of `reportSessionError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Queued,
    Held,
    NotAnError,
    UserStop,
    Disabled,
    DroppedQueueFull,
    InvalidInput,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Queued => "queued",
            OutcomeKind::Held => "held",
            OutcomeKind::NotAnError => "not_an_error",
            OutcomeKind::UserStop => "user_stop",
            OutcomeKind::Disabled => "disabled",
            OutcomeKind::DroppedQueueFull => "dropped_queue_full",
            OutcomeKind::InvalidInput => "invalid_input",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub event_id: Option<String>,
    pub error_type: Option<&'static str>,
    pub error_detail: Option<&'static str>,
    pub reason: Option<String>,
}

impl Outcome {
    fn bare(kind: OutcomeKind, reason: Option<&str>) -> Self {
        Self {
            kind,
            event_id: None,
            error_type: None,
            error_detail: None,
            reason: reason.map(str::to_owned),
        }
    }
}

/// What `reportSessionError` hands over: the session fields and the result, or why the input
/// could not be read.
pub type ReportInput = Result<(SessionInfo, ResultMessage), String>;

#[derive(Debug, Default)]
struct Counters {
    reported: AtomicU64,
    queued: AtomicU64,
    sent: AtomicU64,
    retried: AtomicU64,
    failed_http: AtomicU64,
    failed_timeout: AtomicU64,
    failed_network: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_held_overflow: AtomicU64,
    skipped_not_an_error: AtomicU64,
    skipped_user_stop: AtomicU64,
    skipped_disabled: AtomicU64,
    invalid_input: AtomicU64,
    in_flight: AtomicU64,
    waiting_for_slot: AtomicU64,
    waiting_to_retry: AtomicU64,
    spooled: AtomicU64,
    restored: AtomicU64,
    spool_dropped: AtomicU64,
    spool_errors: AtomicU64,
}

/// Counts what is in a state for as long as the guard lives, even when a task is cancelled.
struct Gauge<'a>(&'a AtomicU64);

impl<'a> Gauge<'a> {
    fn enter(counter: &'a AtomicU64) -> Self {
        bump(counter);
        Self(counter)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// `stats()`: cumulative counters and current gauges. No secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Error events created (queued, held or dropped); skips and invalid input are not counted.
    pub reported: u64,
    /// Events that entered the delivery queue (at once, or released from the held buffer).
    pub queued: u64,
    /// Events held now, waiting for a callback context.
    pub held: u64,
    pub sent: u64,
    /// Attempts after the first.
    pub retried: u64,
    pub failed: u64,
    pub failed_http: u64,
    pub failed_timeout: u64,
    pub failed_network: u64,
    pub dropped_queue_full: u64,
    pub dropped_held_overflow: u64,
    pub skipped_not_an_error: u64,
    pub skipped_user_stop: u64,
    pub skipped_disabled: u64,
    pub invalid_input: u64,
    /// Events waiting for a free connection slot.
    pub queue_length: u64,
    pub in_flight: u64,
    /// Events sleeping before their next attempt.
    pub waiting_to_retry: u64,
    /// Events written to the spool.
    pub spooled: u64,
    /// Events read back from the spool at start.
    pub restored: u64,
    /// Spooled events dropped: over the count or byte bound, or older than the maximum age.
    pub spool_dropped: u64,
    /// Spool files that could not be read, and writes that failed.
    pub spool_errors: u64,
}

/// Result of `flush` and `shutdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushResult {
    pub completed: bool,
    /// Events of the flush's snapshot still unfinished.
    pub pending: u64,
}

// ---------------------------------------------------------------------------------------------
// The shared runtime

/// The one background runtime shared by every reporter, started on first use: one worker
/// thread for delivery, and a small blocking pool for DNS look-ups.
pub fn runtime() -> Result<&'static tokio::runtime::Runtime, &'static str> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .max_blocking_threads(2)
                .thread_name("cyrus-telemetry")
                .enable_io()
                .enable_time()
                .build()
                .map_err(|error| format!("cannot start the delivery thread: {error}"))
        })
        .as_ref()
        .map_err(String::as_str)
}

/// Builds the classifier's tables (a few ms, once per process) on a short-lived thread, so the
/// first report does not pay for them on the JS thread.
fn warm_up_classifier() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("cyrus-telemetry-warm-up".into())
            .spawn(classify::warm_up);
    });
}

// ---------------------------------------------------------------------------------------------
// The reporter

/// One reporter instance. Cloning shares the instance.
#[derive(Clone)]
pub struct Reporter {
    shared: Arc<Shared>,
}

struct Queued {
    seq: u64,
    event: Event,
}

struct Shared {
    options: Mutex<Arc<Options>>,
    context: Mutex<Option<Arc<CallbackContext>>>,
    held: Mutex<VecDeque<Event>>,
    /// Events read back from the spool, waiting for a context like held ones; bounded by the
    /// spool's own limits, so they never push fresh held events out (nor the other way round).
    restored_waiting: Mutex<Vec<Event>>,
    queue: Mutex<VecDeque<Queued>>,
    /// Sequence numbers of queued events not yet finished (the queue bound and flush snapshots).
    unfinished: Mutex<BTreeSet<u64>>,
    next_seq: AtomicU64,
    /// Signalled whenever an event finishes.
    progress: Notify,
    wake_worker: Notify,
    worker_parked: AtomicBool,
    worker_started: AtomicBool,
    concurrency: Arc<Semaphore>,
    sender: OnceLock<Result<Sender, String>>,
    shut_down: AtomicBool,
    cancel: watch::Sender<bool>,
    warned_refused_token: AtomicBool,
    warned_rejected_context: AtomicBool,
    warned_spool_write: AtomicBool,
    /// The open spool; taken (and its lock released) at shutdown.
    spool: Mutex<Option<Arc<Spool>>>,
    /// True while the spool is being opened and read back; flush waits for it.
    spool_loading: AtomicBool,
    spool_loaded: Notify,
    counters: Counters,
}

/// Locks a mutex, recovering the data if a panic poisoned it: every critical section here
/// leaves its data consistent, and a reporter must keep working after a contained panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Default for Reporter {
    fn default() -> Self {
        Self::new(Options::default())
    }
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Reporter {
    pub fn new(options: Options) -> Self {
        warm_up_classifier();
        let max_concurrency = options.max_concurrency;
        let reporter = Self {
            shared: Arc::new(Shared {
                options: Mutex::new(Arc::new(options)),
                context: Mutex::new(None),
                held: Mutex::new(VecDeque::new()),
                restored_waiting: Mutex::new(Vec::new()),
                queue: Mutex::new(VecDeque::new()),
                unfinished: Mutex::new(BTreeSet::new()),
                next_seq: AtomicU64::new(0),
                progress: Notify::new(),
                wake_worker: Notify::new(),
                worker_parked: AtomicBool::new(false),
                worker_started: AtomicBool::new(false),
                concurrency: Arc::new(Semaphore::new(max_concurrency)),
                sender: OnceLock::new(),
                shut_down: AtomicBool::new(false),
                cancel: watch::channel(false).0,
                warned_refused_token: AtomicBool::new(false),
                warned_rejected_context: AtomicBool::new(false),
                warned_spool_write: AtomicBool::new(false),
                spool: Mutex::new(None),
                spool_loading: AtomicBool::new(false),
                spool_loaded: Notify::new(),
                counters: Counters::default(),
            }),
        };
        reporter.open_spool();
        reporter
    }

    pub fn options(&self) -> Arc<Options> {
        lock(&self.shared.options).clone()
    }

    /// Applies the named options to this live reporter (module-level `configure`).
    pub fn configure(&self, patch: &OptionsPatch) -> Result<(), OptionError> {
        let mut options = lock(&self.shared.options);
        let next = options.merged(patch)?;
        // The semaphore was sized from the current options; both change only here, under the lock.
        let current = options.max_concurrency;
        if next.max_concurrency > current {
            self.shared
                .concurrency
                .add_permits(next.max_concurrency - current);
        } else {
            // Permits in use now are forgotten as they come back: best effort, never blocks.
            self.shared
                .concurrency
                .forget_permits(current - next.max_concurrency);
        }
        *options = Arc::new(next);
        drop(options);
        self.open_spool();
        Ok(())
    }

    pub fn is_shut_down(&self) -> bool {
        self.shared.shut_down.load(Ordering::Acquire)
    }

    fn log(&self, level: Level, message: &str) {
        self.options().logger.log(level, message);
    }

    // --- context -----------------------------------------------------------------------------

    /// `setCallbackContext`: validates and captures; releases held events on `set`/`rotated`.
    pub fn set_context(&self, headers: Result<HeaderSet, String>) -> (SetStatus, Option<String>) {
        let options = self.options();
        let offered = headers
            .map_err(ExtractError::Rejected)
            .and_then(|set| context::extract(&set))
            .and_then(|raw| {
                context::validate(raw, &options.allowed_hosts).map_err(ExtractError::Rejected)
            });
        let offered = match offered {
            Ok(offered) => offered,
            Err(ExtractError::Absent) => {
                options.logger.log(
                    Level::Debug,
                    "no callback headers (self-hosted install): nothing will be sent",
                );
                return (SetStatus::Absent, None);
            }
            Err(ExtractError::Rejected(reason)) => return self.rejected(&options, reason),
        };
        let status = {
            let mut current = lock(&self.shared.context);
            match context::capture(current.as_deref(), offered) {
                Ok((status, None)) => return (status, None),
                Ok((status, Some(kept))) => {
                    *current = Some(Arc::new(kept));
                    status
                }
                Err(reason) => {
                    drop(current);
                    return self.rejected(&options, reason);
                }
            }
        };
        options.logger.log(
            Level::Debug,
            &format!(
                "callback context {} (team and URL captured; token hidden)",
                status.as_str()
            ),
        );
        self.release_held(&options);
        (status, None)
    }

    fn rejected(&self, options: &Options, reason: String) -> (SetStatus, Option<String>) {
        let first = !self
            .shared
            .warned_rejected_context
            .swap(true, Ordering::Relaxed);
        let level = if first { Level::Warn } else { Level::Debug };
        options
            .logger
            .log(level, &format!("callback context rejected: {reason}"));
        (SetStatus::Rejected, Some(reason))
    }

    fn release_held(&self, options: &Options) {
        let Some(context) = lock(&self.shared.context).clone() else {
            return;
        };
        // Restored events first: they are the older ones.
        let mut held: Vec<Event> = lock(&self.shared.restored_waiting).drain(..).collect();
        held.extend(lock(&self.shared.held).drain(..));
        if held.is_empty() {
            return;
        }
        let count = held.len();
        for mut event in held {
            // Held events were scrubbed without the token; scrub again now that it is known.
            if let std::borrow::Cow::Owned(scrubbed) =
                scrub::scrub(&event.error_message, &context.scrub_secrets())
            {
                event.error_message = scrubbed;
            }
            self.enqueue(event, &context, options);
        }
        options
            .logger
            .log(Level::Debug, &format!("released {count} held event(s)"));
    }

    // --- reporting ---------------------------------------------------------------------------

    /// `reportSessionError`: classify, build, queue or hold, and return at once.
    pub fn report(&self, input: ReportInput, stop_requested: bool) -> Outcome {
        let counters = &self.shared.counters;
        if self.is_shut_down() {
            bump(&counters.skipped_disabled);
            return Outcome::bare(OutcomeKind::Disabled, Some("shut down"));
        }
        let options = self.options();
        if options.disabled {
            bump(&counters.skipped_disabled);
            return Outcome::bare(
                OutcomeKind::Disabled,
                Some("disabled by option or CYRUS_TELEMETRY_DISABLED"),
            );
        }
        let (session, result) = match input {
            Ok(input) => input,
            Err(reason) => {
                bump(&counters.invalid_input);
                return Outcome::bare(OutcomeKind::InvalidInput, Some(&reason));
            }
        };
        if stop_requested {
            bump(&counters.skipped_user_stop);
            return Outcome::bare(OutcomeKind::UserStop, None);
        }
        let context = lock(&self.shared.context).clone();
        let secrets = context.as_deref().map(CallbackContext::scrub_secrets);
        let Some(classification) = classify::classify(&result, &secrets.unwrap_or_default()) else {
            bump(&counters.skipped_not_an_error);
            return Outcome::bare(OutcomeKind::NotAnError, None);
        };
        bump(&counters.reported);
        let mut outcome = Outcome {
            kind: OutcomeKind::Queued,
            event_id: None,
            error_type: Some(classification.error_type.as_str()),
            error_detail: Some(classification.detail),
            reason: None,
        };
        let event = Event::new(session, classification);
        outcome.event_id = Some(event.event_id.clone());
        outcome.kind = match context {
            Some(context) => self.enqueue(event, &context, &options),
            None => self.hold(event, &options),
        };
        if outcome.kind == OutcomeKind::DroppedQueueFull {
            outcome.reason = Some(format!("queue full ({} events)", options.queue_capacity));
        }
        outcome
    }

    /// `classifySessionError`: pure; the captured token is scrubbed too.
    pub fn classify(&self, result: &ResultMessage) -> Option<Classification> {
        let context = lock(&self.shared.context).clone();
        let secrets = context.as_deref().map(CallbackContext::scrub_secrets);
        classify::classify(result, &secrets.unwrap_or_default())
    }

    fn hold(&self, event: Event, options: &Options) -> OutcomeKind {
        let mut held = lock(&self.shared.held);
        while held.len() >= options.held_capacity {
            held.pop_front();
            bump(&self.shared.counters.dropped_held_overflow);
        }
        held.push_back(event);
        OutcomeKind::Held
    }

    fn enqueue(
        &self,
        mut event: Event,
        context: &CallbackContext,
        options: &Options,
    ) -> OutcomeKind {
        let shared = &self.shared;
        let seq = {
            let mut unfinished = lock(&shared.unfinished);
            if unfinished.len() >= options.queue_capacity {
                bump(&shared.counters.dropped_queue_full);
                return OutcomeKind::DroppedQueueFull;
            }
            let seq = shared.next_seq.fetch_add(1, Ordering::Relaxed);
            unfinished.insert(seq);
            seq
        };
        if event.team_id.is_empty() {
            // Restored events keep the team (and the whole body) they were reported with.
            event.team_id.clone_from(&context.team_id);
        }
        lock(&shared.queue).push_back(Queued { seq, event });
        bump(&shared.counters.queued);
        self.start_worker();
        if shared.worker_parked.swap(false, Ordering::AcqRel) {
            shared.wake_worker.notify_one();
        }
        OutcomeKind::Queued
    }

    // --- background delivery -----------------------------------------------------------------

    fn start_worker(&self) {
        if self.shared.worker_started.swap(true, Ordering::AcqRel) {
            return;
        }
        match runtime() {
            Ok(runtime) => {
                runtime.spawn(run_worker(self.clone()));
            }
            Err(reason) => self.log(Level::Error, reason),
        }
    }

    fn sender(&self) -> Result<&Sender, &str> {
        self.shared
            .sender
            .get_or_init(|| Sender::new(self.options().extra_ca_certs.as_deref()))
            .as_ref()
            .map_err(String::as_str)
    }

    fn pop(&self) -> Option<Queued> {
        lock(&self.shared.queue).pop_front()
    }

    /// Waits for the next queued event; None once the reporter is shut down.
    async fn next_event(&self, cancel: &mut watch::Receiver<bool>) -> Option<Queued> {
        loop {
            if let Some(item) = self.pop() {
                return Some(item);
            }
            let lingering = tokio::time::Instant::now() + LINGER;
            while tokio::time::Instant::now() < lingering {
                tokio::task::yield_now().await;
                if let Some(item) = self.pop() {
                    return Some(item);
                }
            }
            self.shared.worker_parked.store(true, Ordering::Release);
            if let Some(item) = self.pop() {
                self.shared.worker_parked.store(false, Ordering::Release);
                return Some(item);
            }
            tokio::select! {
                _ = self.shared.wake_worker.notified() => {}
                _ = cancel.wait_for(|cancelled| *cancelled) => return None,
            }
        }
    }

    /// Attempts one event until it is delivered or finally fails. Each attempt takes a
    /// connection slot; the waits between attempts do not hold one.
    async fn deliver(&self, event: Event, seq: u64) {
        let body = Bytes::from(event.to_json());
        let options = self.options();
        let counters = &self.shared.counters;
        let mut waiting_for_slot = Some(Gauge::enter(&counters.waiting_for_slot));
        let mut attempt_number = 1;
        let result = loop {
            let Ok(slot) = self.shared.concurrency.acquire().await else {
                break Err((Failure::Network, attempt_number, Ending::GaveUp));
            };
            waiting_for_slot = None;
            let Some(context) = lock(&self.shared.context).clone() else {
                break Err((Failure::Network, attempt_number, Ending::GaveUp));
            };
            let attempt = match self.sender() {
                Ok(sender) => {
                    let _in_flight = Gauge::enter(&counters.in_flight);
                    sender
                        .attempt(&context, &event.event_id, &body, options.request_timeout)
                        .await
                }
                Err(reason) => {
                    self.log(Level::Error, reason);
                    Attempt::Final(Failure::Network)
                }
            };
            // The slot is for the request only, never for the wait before the next attempt.
            drop(slot);
            match attempt {
                Attempt::Delivered => break Ok(attempt_number),
                Attempt::Final(failure) => break Err((failure, attempt_number, Ending::Final)),
                Attempt::Retry { failure, .. } if attempt_number >= options.retry.max_attempts => {
                    break Err((failure, attempt_number, Ending::GaveUp))
                }
                Attempt::Retry {
                    failure,
                    retry_after,
                } => {
                    let wait = options.retry.delay(
                        attempt_number,
                        retry_after,
                        RetryPolicy::random_jitter(),
                    );
                    self.log(
                        Level::Debug,
                        &format!(
                            "event {} attempt {attempt_number} failed ({}); retrying in {} ms",
                            event.event_id,
                            describe(failure),
                            wait.as_millis()
                        ),
                    );
                    let _waiting = Gauge::enter(&counters.waiting_to_retry);
                    tokio::time::sleep(wait).await;
                    bump(&counters.retried);
                    attempt_number += 1;
                }
            }
        };
        drop(waiting_for_slot);
        match result {
            Ok(attempts) => {
                bump(&counters.sent);
                self.forget_spooled(&event.event_id);
                self.log(
                    Level::Debug,
                    &format!("event {} delivered (attempt {attempts})", event.event_id),
                );
            }
            Err((failure, attempts, ending)) => {
                if ending == Ending::Final {
                    // The endpoint's final answer will not change on a restart; events that ran
                    // out of attempts stay spooled for the next process to try again.
                    self.forget_spooled(&event.event_id);
                }
                self.record_failure(&event.event_id, failure, attempts);
            }
        }
        self.finish(seq);
    }

    // --- spool ---------------------------------------------------------------------------------

    /// Opens the configured spool on the background thread and restores its events into the
    /// held buffer (they wait for a context like any held event).
    fn open_spool(&self) {
        let Some(config) = self.options().spool.clone() else {
            return;
        };
        if self.is_shut_down()
            || lock(&self.shared.spool).is_some()
            || self.shared.spool_loading.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let runtime = match runtime() {
            Ok(runtime) => runtime,
            Err(reason) => {
                self.log(Level::Warn, &format!("spool disabled: {reason}"));
                self.spool_ready();
                return;
            }
        };
        let reporter = self.clone();
        runtime.spawn_blocking(move || {
            reporter.load_spool(config);
            reporter.spool_ready();
        });
    }

    fn load_spool(&self, config: SpoolConfig) {
        let dir = config.dir.display().to_string();
        let spool = match Spool::open(config) {
            Ok(spool) => Arc::new(spool),
            Err(OpenError::Busy) => {
                return self.log(
                    Level::Warn,
                    &format!("spool folder {dir} is in use by another process or reporter; this reporter keeps events in memory only"),
                );
            }
            Err(OpenError::Unusable(reason)) => {
                bump(&self.shared.counters.spool_errors);
                return self.log(
                    Level::Warn,
                    &format!("spool disabled, events are kept in memory only: {reason}"),
                );
            }
        };
        let loaded = spool.load(crate::event::now_millis());
        let counters = &self.shared.counters;
        counters
            .spool_dropped
            .fetch_add(loaded.dropped, Ordering::Relaxed);
        counters
            .restored
            .fetch_add(loaded.events.len() as u64, Ordering::Relaxed);
        if !loaded.unreadable.is_empty() {
            counters
                .spool_errors
                .fetch_add(loaded.unreadable.len() as u64, Ordering::Relaxed);
            self.log(
                Level::Warn,
                &format!(
                    "skipped {} unreadable file(s) in the spool folder {dir}: {}",
                    loaded.unreadable.len(),
                    loaded.unreadable.join(", ")
                ),
            );
        }
        *lock(&self.shared.spool) = Some(spool);
        lock(&self.shared.restored_waiting).extend(loaded.events);
        self.release_held(&self.options());
    }

    fn spool_ready(&self) {
        self.shared.spool_loading.store(false, Ordering::Release);
        self.shared.spool_loaded.notify_waiters();
    }

    fn spool(&self) -> Option<Arc<Spool>> {
        lock(&self.shared.spool).clone()
    }

    /// Writes an event to the spool before its first attempt (background thread only).
    fn spool_write(&self, event: &mut Event) {
        if event.spooled {
            return;
        }
        let Some(spool) = self.spool() else {
            return;
        };
        let counters = &self.shared.counters;
        match spool.write(event) {
            Ok(dropped) => {
                event.spooled = true;
                bump(&counters.spooled);
                counters.spool_dropped.fetch_add(dropped, Ordering::Relaxed);
            }
            Err(error) => {
                bump(&counters.spool_errors);
                if !self.shared.warned_spool_write.swap(true, Ordering::Relaxed) {
                    self.log(
                        Level::Warn,
                        &format!("cannot write to the spool folder {} ({error}); events are kept in memory only until it works again", spool.dir().display()),
                    );
                }
            }
        }
    }

    /// Removes an event that reached a final outcome from the spool (background thread).
    fn forget_spooled(&self, event_id: &str) {
        if let Some(spool) = self.spool() {
            spool.remove(event_id);
        }
    }

    fn record_failure(&self, event_id: &str, failure: Failure, attempts: u32) {
        let counters = &self.shared.counters;
        bump(match failure {
            Failure::Http(_) => &counters.failed_http,
            Failure::Timeout => &counters.failed_timeout,
            Failure::Network => &counters.failed_network,
        });
        let describe_failure = format!(
            "event {event_id} not delivered after {attempts} attempt(s): {}",
            describe(failure)
        );
        if let Failure::Http(status @ (401 | 403)) = failure {
            // One warning per reporter: every later event would fail the same way.
            if !self
                .shared
                .warned_refused_token
                .swap(true, Ordering::Relaxed)
            {
                self.log(
                    Level::Warn,
                    &format!("the callback endpoint refused the token (HTTP {status}); events are not being accepted"),
                );
            }
            return self.log(Level::Debug, &describe_failure);
        }
        self.log(Level::Warn, &describe_failure);
    }

    fn finish(&self, seq: u64) {
        lock(&self.shared.unfinished).remove(&seq);
        self.shared.progress.notify_waiters();
    }

    // --- flush, shutdown, stats --------------------------------------------------------------

    /// Number of events queued before `snapshot` still unfinished.
    fn pending_before(&self, snapshot: u64) -> u64 {
        lock(&self.shared.unfinished).range(..snapshot).count() as u64
    }

    /// Whether a flush now would have nothing to wait for.
    pub fn is_idle(&self) -> bool {
        !self.shared.spool_loading.load(Ordering::Acquire)
            && lock(&self.shared.unfinished).is_empty()
    }

    /// Waits (until `deadline`) for the spool to be read back; true if it was being read.
    async fn wait_for_spool(&self, deadline: tokio::time::Instant) -> bool {
        let mut waited = false;
        while self.shared.spool_loading.load(Ordering::Acquire) {
            waited = true;
            let loaded = self.shared.spool_loaded.notified();
            tokio::pin!(loaded);
            loaded.as_mut().enable();
            if !self.shared.spool_loading.load(Ordering::Acquire) {
                break;
            }
            tokio::select! {
                _ = loaded => {}
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        waited
    }

    /// Resolves when every event queued before the call is finished, or at the timeout.
    pub fn flush(&self, timeout: Duration) -> impl Future<Output = FlushResult> + Send + 'static {
        let reporter = self.clone();
        let snapshot = self.shared.next_seq.load(Ordering::Acquire);
        async move {
            let deadline = tokio::time::Instant::now() + timeout;
            // Restored events count as queued before the call: wait for the spool to be read.
            let snapshot = if reporter.wait_for_spool(deadline).await {
                reporter.shared.next_seq.load(Ordering::Acquire)
            } else {
                snapshot
            };
            loop {
                let progressed = reporter.shared.progress.notified();
                tokio::pin!(progressed);
                progressed.as_mut().enable();
                let pending = reporter.pending_before(snapshot);
                if pending == 0 {
                    return FlushResult {
                        completed: true,
                        pending: 0,
                    };
                }
                tokio::select! {
                    _ = progressed => {}
                    _ = tokio::time::sleep_until(deadline) => {
                        let pending = reporter.pending_before(snapshot);
                        return FlushResult { completed: pending == 0, pending };
                    }
                }
            }
        }
    }

    /// Stops accepting events now, flushes for at most `timeout`, then cancels what is left.
    pub fn shutdown(
        &self,
        timeout: Duration,
    ) -> impl Future<Output = FlushResult> + Send + 'static {
        self.shared.shut_down.store(true, Ordering::Release);
        let flush = self.flush(timeout);
        let reporter = self.clone();
        async move {
            let result = flush.await;
            reporter.shared.cancel.send_replace(true);
            // Events the worker had not taken yet go to the spool too, then its lock is freed.
            let waiting: Vec<Queued> = lock(&reporter.shared.queue).drain(..).collect();
            for Queued { mut event, .. } in waiting {
                reporter.spool_write(&mut event);
            }
            lock(&reporter.shared.spool).take();
            let held = reporter.held_count();
            if held > 0 {
                reporter.log(
                    Level::Debug,
                    &format!(
                        "shut down with {held} held event(s) that never had a callback context"
                    ),
                );
            }
            result
        }
    }

    /// Events waiting for a callback context: held reports and events restored from the spool.
    fn held_count(&self) -> usize {
        lock(&self.shared.held).len() + lock(&self.shared.restored_waiting).len()
    }

    pub fn stats(&self) -> Stats {
        let counters = &self.shared.counters;
        let failed_http = read(&counters.failed_http);
        let failed_timeout = read(&counters.failed_timeout);
        let failed_network = read(&counters.failed_network);
        Stats {
            reported: read(&counters.reported),
            queued: read(&counters.queued),
            held: self.held_count() as u64,
            sent: read(&counters.sent),
            retried: read(&counters.retried),
            failed: failed_http + failed_timeout + failed_network,
            failed_http,
            failed_timeout,
            failed_network,
            dropped_queue_full: read(&counters.dropped_queue_full),
            dropped_held_overflow: read(&counters.dropped_held_overflow),
            skipped_not_an_error: read(&counters.skipped_not_an_error),
            skipped_user_stop: read(&counters.skipped_user_stop),
            skipped_disabled: read(&counters.skipped_disabled),
            invalid_input: read(&counters.invalid_input),
            queue_length: lock(&self.shared.queue).len() as u64 + read(&counters.waiting_for_slot),
            in_flight: read(&counters.in_flight),
            waiting_to_retry: read(&counters.waiting_to_retry),
            spooled: read(&counters.spooled),
            restored: read(&counters.restored),
            spool_dropped: read(&counters.spool_dropped),
            spool_errors: read(&counters.spool_errors),
        }
    }
}

/// How an event that was not delivered ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The endpoint answered with a status that is not retried (3xx, most 4xx).
    Final,
    /// Attempts ran out on retryable failures (or delivery could not run at all).
    GaveUp,
}

fn describe(failure: Failure) -> String {
    match failure {
        Failure::Http(status) => format!("HTTP {status}"),
        Failure::Timeout => "timed out".into(),
        Failure::Network => "network error".into(),
    }
}

/// The worker: takes each queued event as soon as it arrives, spools it, and delivers it on a
/// task of its own (which waits for a connection slot).
async fn run_worker(reporter: Reporter) {
    let mut cancel = reporter.shared.cancel.subscribe();
    while let Some(Queued { seq, mut event }) = reporter.next_event(&mut cancel).await {
        // An event must not slip past a spool that is still being opened.
        reporter
            .wait_for_spool(tokio::time::Instant::now() + SPOOL_OPEN_WAIT)
            .await;
        reporter.spool_write(&mut event);
        let task_reporter = reporter.clone();
        let mut task_cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = task_reporter.deliver(event, seq) => {}
                _ = task_cancel.wait_for(|cancelled| *cancelled) => {}
            }
        });
    }
}

//! The reporter: one handle per instance that classifies, builds and queues events (this file),
//! captures the callback context (`capture`), delivers in the background (`worker`), keeps the
//! durable spool (`spooling`), flushes and shuts down (`flush`) and counts (`stats`). No N-API:
//! the binding hands it plain values and a log sink, and turns the futures it returns into
//! promises.

mod capture;
mod flush;
mod logger;
mod options;
mod outcome;
mod runtime;
mod slots;
mod spooling;
mod stats;
mod worker;

pub use logger::{Level, LogLevel, Logger};
pub use options::{disabled_by_environment, whole_number, OptionError, Options, OptionsPatch};
pub use outcome::{Outcome, OutcomeKind, ReportInput};
pub use runtime::runtime;
pub use stats::{FlushResult, Stats};

use crate::classify::{self, Classification, ResultMessage};
use crate::context::CallbackContext;
use crate::event::Event;
use crate::spool::Spool;
use crate::transport::Sender;
use runtime::warm_up_classifier;
use slots::Slots;
use stats::{bump, Counters};
use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{watch, Notify};

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
    slots: Slots,
    /// The HTTP client, built on first use; replaced when `extraCaCerts` changes.
    sender: Mutex<Option<Arc<Sender>>>,
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
                slots: Slots::new(max_concurrency),
                sender: Mutex::new(None),
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

    /// Applies the named options to this live reporter (module-level `configure`): each one
    /// takes effect for what happens next, or the call fails naming the one that cannot change
    /// live (a new `spoolDir` while a spool is open); on error nothing changes. Events already
    /// queued keep the timeout and retry policy they started with.
    pub fn configure(&self, patch: &OptionsPatch) -> Result<(), OptionError> {
        let mut options = lock(&self.shared.options);
        let next = options.merged(patch)?;
        self.check_spool_change(&options, &next)?;
        // The slots were sized from the current options; both change only here, under the lock.
        self.shared
            .slots
            .resize(options.max_concurrency, next.max_concurrency);
        if next.extra_ca_certs != options.extra_ca_certs {
            // The next attempt builds a client with the new roots; attempts in flight finish
            // on the old one.
            *lock(&self.shared.sender) = None;
        }
        self.apply_spool_bounds(&next);
        if patch.allowed_hosts.is_some() {
            self.drop_context_outside(&next);
        }
        *options = Arc::new(next);
        drop(options);
        self.open_spool();
        Ok(())
    }

    pub fn is_shut_down(&self) -> bool {
        self.shared.shut_down.load(Ordering::Acquire)
    }

    fn log(&self, level: Level, message: fmt::Arguments<'_>) {
        self.options().logger.log(level, message);
    }

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
}

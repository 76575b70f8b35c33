//! The reporter: a handle ([`Reporter`]) that owns one instance's background work, and the
//! state its tasks share ([`Core`]). No N-API: the binding hands it plain values and a log sink,
//! and turns the futures it returns into promises.
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | the handle, its `Drop`, and `report`: classify, build, queue or hold |
//! | `capture.rs` | `setCallbackContext`: capture, rotation, releasing held events |
//! | `queue.rs` | the queue, the ticket that accounts for each event, flush snapshots |
//! | `worker.rs` | the delivery loop: batches, tasks, the retry loop |
//! | `flush.rs` | `flush`, `shutdown`, and stopping when dropped |
//! | `spooling.rs` | the reporter's side of the durable spool |
//! | `slots.rs` | the resizable limit of requests in flight |
//! | `options.rs`, `logger.rs`, `stats.rs`, `outcome.rs`, `runtime.rs` | what they say |
//! | `tests.rs` | the reporter end to end against real HTTP servers on 127.0.0.1 |

mod capture;
mod flush;
mod logger;
mod options;
mod outcome;
mod queue;
mod runtime;
mod slots;
mod spooling;
mod stats;
// The reporter against real loopback servers (no mocked HTTP client).
#[cfg(test)]
mod tests;
mod worker;

pub use logger::{Level, LogLevel, Logger};
pub use options::{
    disabled_by_environment, whole_number, OptionError, OptionKind, OptionSpec, OptionValue,
    Options, OptionsPatch, WholeRange, OPTIONS,
};
pub use outcome::{Outcome, OutcomeKind, ReportInput};
pub use runtime::runtime;
// For the binding's `TelemetryStats` (the binding is not built for unit tests).
#[cfg(all(feature = "node", not(test)))]
pub(crate) use stats::stats_fields;
pub use stats::{FlushResult, Stats};

use crate::classify::{self, Classification, ResultMessage, UncutMessage};
use crate::context::CallbackContext;
use crate::event::Event;
use crate::scrub::Secrets;
use crate::spool::Spool;
use crate::transport::Sender;
use queue::Queue;
use runtime::warm_up_classifier;
use slots::Slots;
use stats::{add, Counters};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// One reporter instance, owning its background work. Dropping it — a JavaScript object
/// collected without `shutdown()`, a worker thread that ended — stops that work: its tasks end,
/// the spool's lock is released (spooled events stay on disk for the next owner), its
/// connections close and its memory is freed once the last task has let go.
pub struct Reporter {
    core: Arc<Core>,
}

/// What a reporter's tasks share.
pub(crate) struct Core {
    options: Mutex<Arc<Options>>,
    context: Mutex<Option<Arc<CallbackContext>>>,
    held: Mutex<Held>,
    queue: Queue,
    worker_started: AtomicBool,
    slots: Slots,
    /// The HTTP client, built on first use; replaced when `extraCaCerts` changes, dropped (and
    /// its connections closed) when the reporter stops.
    sender: Mutex<Option<Arc<Sender>>>,
    /// No more reports are accepted (`shutdown()` was called, or the reporter was dropped).
    shut_down: AtomicBool,
    /// Set once when the reporter stops: the worker and every delivery task end.
    stop: watch::Sender<bool>,
    warned: Warnings,
    /// The open spool; taken (and its lock released) when the reporter stops.
    spool: Mutex<Option<Arc<Spool>>>,
    /// True while the spool is being opened and read back; flushes and the worker wait for it.
    spool_loading: AtomicBool,
    spool_loaded: Notify,
    counters: Counters,
}

/// "Warns once": once per reporter instance.
#[derive(Default)]
struct Warnings {
    refused_token: AtomicBool,
    rejected_context: AtomicBool,
    spool_write: AtomicBool,
}

/// Events waiting for a callback context.
#[derive(Default)]
struct Held {
    /// Reports made before any context, oldest first, each with its message scrubbed of
    /// everything but the token and not yet cut: the token is scrubbed, then the message cut,
    /// when a context brings it, so no part of the token is ever sent.
    reports: VecDeque<(Event, UncutMessage)>,
    /// Events read back from the spool; bounded by the spool's own limits, so they never push
    /// fresh held reports out (nor the other way round).
    restored: Vec<Event>,
}

impl Held {
    fn len(&self) -> usize {
        self.reports.len() + self.restored.len()
    }
}

/// Resolves once `condition` holds, checked again each time `notify` is signalled (the wait is
/// registered before each check, so no signal between the two is missed).
async fn notified_until(notify: &Notify, condition: impl Fn() -> bool) {
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if condition() {
            return;
        }
        notified.await;
    }
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

impl Drop for Reporter {
    fn drop(&mut self) {
        self.core.stop_now();
    }
}

impl Reporter {
    pub fn new(options: Options) -> Self {
        warm_up_classifier();
        let core = Arc::new(Core {
            slots: Slots::new(options.max_concurrency),
            options: Mutex::new(Arc::new(options)),
            context: Mutex::new(None),
            held: Mutex::new(Held::default()),
            queue: Queue::new(),
            worker_started: AtomicBool::new(false),
            sender: Mutex::new(None),
            shut_down: AtomicBool::new(false),
            stop: watch::channel(false).0,
            warned: Warnings::default(),
            spool: Mutex::new(None),
            spool_loading: AtomicBool::new(false),
            spool_loaded: Notify::new(),
            counters: Counters::default(),
        });
        core.open_spool();
        Self { core }
    }

    pub fn options(&self) -> Arc<Options> {
        self.core.options()
    }

    /// Applies the named options to this live reporter (module-level `configure`): each one
    /// takes effect for what happens next, or the call fails naming the one that cannot change
    /// live (a new `spoolDir` while a spool is open); on error nothing changes. Events already
    /// queued keep the timeout and retry policy they started with.
    pub fn configure(&self, patch: &OptionsPatch) -> Result<(), OptionError> {
        self.core.configure(patch)
    }

    /// `reportSessionError`: classify, build, queue or hold, and return at once.
    pub fn report(&self, input: ReportInput, stop_requested: bool) -> Outcome {
        self.core.report(input, stop_requested)
    }

    /// `classifySessionError`: pure; the captured token is scrubbed too.
    pub fn classify(&self, result: &ResultMessage) -> Option<Classification> {
        let context = self.core.context();
        let no_secrets = Secrets::none();
        let secrets = context
            .as_deref()
            .map_or(&no_secrets, CallbackContext::scrub_secrets);
        classify::classify(result, secrets)
    }

    /// Resolves when every event queued before the call is finished, or at the timeout.
    pub fn flush(&self, timeout: Duration) -> impl Future<Output = FlushResult> + Send + 'static {
        self.core.flush(timeout)
    }

    /// Stops accepting events now, flushes for at most `timeout`, then stops: unfinished
    /// events are abandoned (the spool keeps them), the spool's lock is released and the
    /// connections close.
    pub fn shutdown(
        &self,
        timeout: Duration,
    ) -> impl Future<Output = FlushResult> + Send + 'static {
        self.core.shutdown(timeout)
    }

    /// Whether a flush now would have nothing to wait for.
    pub fn is_idle(&self) -> bool {
        !self.core.spool_loading.load(Ordering::Acquire) && self.core.queue.unfinished() == 0
    }

    pub fn stats(&self) -> Stats {
        self.core.counters.snapshot()
    }
}

impl Core {
    fn options(&self) -> Arc<Options> {
        lock(&self.options).clone()
    }

    fn context(&self) -> Option<Arc<CallbackContext>> {
        lock(&self.context).clone()
    }

    fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    fn log(&self, level: Level, message: fmt::Arguments<'_>) {
        if !self.options().logger.log(level, message) {
            add(&self.counters.log_lines_dropped, 1);
        }
    }

    fn configure(self: &Arc<Self>, patch: &OptionsPatch) -> Result<(), OptionError> {
        let mut options = lock(&self.options);
        let next = options.merged(patch)?;
        self.check_spool_change(&options, &next)?;
        // The slots were sized from the current options; both change only here, under the lock.
        self.slots
            .resize(options.max_concurrency, next.max_concurrency);
        if next.extra_ca_certs != options.extra_ca_certs {
            // The next attempt builds a client with the new roots; attempts in flight finish
            // on the old one.
            lock(&self.sender).take();
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

    fn report(self: &Arc<Self>, input: ReportInput, stop_requested: bool) -> Outcome {
        let counters = &self.counters;
        if self.is_shut_down() {
            add(&counters.skipped_disabled, 1);
            return Outcome::bare(OutcomeKind::Disabled, Some("shut down"));
        }
        let options = self.options();
        if options.disabled {
            add(&counters.skipped_disabled, 1);
            return Outcome::bare(
                OutcomeKind::Disabled,
                Some("disabled by option or CYRUS_TELEMETRY_DISABLED"),
            );
        }
        let (session, result) = match input {
            Ok(input) => input,
            Err(reason) => {
                add(&counters.invalid_input, 1);
                return Outcome::bare(OutcomeKind::InvalidInput, Some(&reason));
            }
        };
        if stop_requested {
            add(&counters.skipped_user_stop, 1);
            return Outcome::bare(OutcomeKind::UserStop, None);
        }
        // With a context, the message is final now; without one, it waits uncut for the token.
        let context = self.context();
        let classified = match &context {
            Some(context) => classify::classify(&result, context.scrub_secrets())
                .map(|classification| (classification, None)),
            None => classify::classify_uncut(&result)
                .map(|(classification, uncut)| (classification, Some(uncut))),
        };
        let Some((classification, uncut)) = classified else {
            add(&counters.skipped_not_an_error, 1);
            return Outcome::bare(OutcomeKind::NotAnError, None);
        };
        add(&counters.reported, 1);
        let mut outcome = Outcome {
            kind: OutcomeKind::Queued,
            event_id: None,
            error_type: Some(classification.error_type.as_str()),
            error_detail: Some(classification.detail),
            reason: None,
        };
        let event = Event::new(session, classification);
        outcome.event_id = Some(event.event_id.clone());
        outcome.kind = match (context, uncut) {
            (Some(context), _) => self.enqueue(event, &context, &options),
            (None, uncut) => self.hold(event, uncut.unwrap_or_default(), &options),
        };
        if outcome.kind == OutcomeKind::DroppedQueueFull {
            outcome.reason = Some(format!("queue full ({} events)", options.queue_capacity));
        }
        outcome
    }

    fn hold(self: &Arc<Self>, event: Event, uncut: UncutMessage, options: &Options) -> OutcomeKind {
        {
            let mut held = lock(&self.held);
            while held.reports.len() >= options.held_capacity {
                held.reports.pop_front();
                add(&self.counters.dropped_held_overflow, 1);
            }
            held.reports.push_back((event, uncut));
            self.count_held(&held);
        }
        // A context that arrived meanwhile has released the held events before this one.
        if self.context().is_some() {
            self.release_held(options);
        }
        OutcomeKind::Held
    }

    /// `held` in `stats()`; called under the lock after each change.
    fn count_held(&self, held: &Held) {
        self.counters
            .held
            .store(held.len() as u64, Ordering::Relaxed);
    }

    fn enqueue(
        self: &Arc<Self>,
        mut event: Event,
        context: &CallbackContext,
        options: &Options,
    ) -> OutcomeKind {
        if event.team_id.is_empty() {
            // Restored events keep the team (and the whole body) they were reported with.
            event.team_id.clone_from(&context.team_id);
        }
        match self.accept(event, options.queue_capacity) {
            Ok(()) => OutcomeKind::Queued,
            Err(_) => {
                add(&self.counters.dropped_queue_full, 1);
                OutcomeKind::DroppedQueueFull
            }
        }
    }
}

//! The reporter's side of the durable spool: opening and reading it back, writing each event
//! before its first attempt, and removing events that reached a final outcome.

use super::queue::Queued;
use super::stats::add;
use super::{lock, notified_until, runtime, Core, Level, OptionError, Options};
use crate::spool::{OpenError, Spool, SpoolConfig};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long delivery waits for the spool to open before going on without it.
pub(super) const SPOOL_OPEN_WAIT: Duration = Duration::from_secs(10);
/// How long opening waits for a folder that is busy: a reporter on it that was just dropped or
/// shut down lets go of its lock once its spool thread has written what it was given.
const BUSY_WAIT: Duration = Duration::from_secs(2);
const BUSY_RETRY: Duration = Duration::from_millis(20);

impl Core {
    /// Opens the configured spool on the background thread and restores its events into the
    /// held buffer (they wait for a context like any held event).
    pub(super) fn open_spool(self: &Arc<Self>) {
        let Some(config) = self.options().spool.clone() else {
            return;
        };
        if self.is_shut_down()
            || lock(&self.spool).is_some()
            || self.spool_loading.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let runtime = match runtime() {
            Ok(runtime) => runtime,
            Err(reason) => {
                self.log(Level::Warn, format_args!("spool disabled: {reason}"));
                self.spool_ready();
                return;
            }
        };
        let core = self.clone();
        runtime.spawn_blocking(move || {
            core.load_spool(config);
            core.spool_ready();
        });
    }

    /// Opens the spool, waiting up to [`BUSY_WAIT`] for a folder another reporter is letting go.
    fn open_waiting(config: SpoolConfig) -> Result<Spool, OpenError> {
        let started = Instant::now();
        loop {
            match Spool::open(config.clone()) {
                Err(OpenError::Busy) if started.elapsed() < BUSY_WAIT => {
                    std::thread::sleep(BUSY_RETRY)
                }
                opened => return opened,
            }
        }
    }

    fn load_spool(self: &Arc<Self>, config: SpoolConfig) {
        let dir = config.dir.display().to_string();
        let spool = match Self::open_waiting(config) {
            Ok(spool) => Arc::new(spool),
            Err(OpenError::Busy) => {
                return self.log(
                    Level::Warn,
                    format_args!("spool folder {dir} is in use by another process or reporter; this reporter keeps events in memory only"),
                );
            }
            Err(OpenError::Unusable(reason)) => {
                add(&self.counters.spool_errors, 1);
                return self.log(
                    Level::Warn,
                    format_args!("spool disabled, events are kept in memory only: {reason}"),
                );
            }
        };
        if *self.stop.borrow() {
            // Dropped or shut down while the folder was opened: let it go at once.
            return;
        }
        let loaded = spool.load(crate::event::now_millis());
        let counters = &self.counters;
        add(&counters.spool_dropped, loaded.dropped);
        add(&counters.restored, loaded.events.len() as u64);
        if !loaded.unreadable.is_empty() {
            add(&counters.spool_errors, loaded.unreadable.len() as u64);
            self.log(
                Level::Warn,
                format_args!(
                    "skipped {} unreadable file(s) in the spool folder {dir}: {}",
                    loaded.unreadable.len(),
                    loaded.unreadable.join(", ")
                ),
            );
        }
        *lock(&self.spool) = Some(spool);
        {
            let mut held = lock(&self.held);
            held.restored.extend(loaded.events);
            self.count_held(&held);
        }
        self.release_held(&self.options());
    }

    fn spool_ready(&self) {
        self.spool_loading.store(false, Ordering::Release);
        self.spool_loaded.notify_waiters();
    }

    fn spool(&self) -> Option<Arc<Spool>> {
        lock(&self.spool).clone()
    }

    /// Hands an event to the spool before its first attempt; the spool's own thread writes it.
    pub(super) fn spool_write(self: &Arc<Self>, queued: &mut Queued) {
        if queued.event.spooled {
            return;
        }
        let Some(spool) = self.spool() else {
            return;
        };
        let core = self.clone();
        let dir = spool.dir().display().to_string();
        spool.write(&queued.event, move |result| {
            core.spool_written(result, &dir)
        });
        queued.event.spooled = true;
        queued.ticket.spooled = true;
    }

    /// Counts a spool write (on the spool's thread).
    fn spool_written(&self, result: std::io::Result<u64>, dir: &str) {
        let counters = &self.counters;
        match result {
            Ok(dropped) => {
                add(&counters.spooled, 1);
                add(&counters.spool_dropped, dropped);
            }
            Err(error) => {
                add(&counters.spool_errors, 1);
                if !self.warned.spool_write.swap(true, Ordering::Relaxed) {
                    self.log(
                        Level::Warn,
                        format_args!("cannot write to the spool folder {dir} ({error}); events are kept in memory only until it works again"),
                    );
                }
            }
        }
    }

    /// Removes an event that reached a final outcome from the spool (handed to its thread).
    pub(super) fn forget_spooled(&self, event_id: &str) {
        if let Some(spool) = self.spool() {
            spool.remove(event_id);
        }
    }

    /// Waits (until `deadline`) for the spool to be read back.
    pub(super) async fn wait_for_spool(&self, deadline: tokio::time::Instant) {
        if self.spool_loading.load(Ordering::Acquire) {
            let loaded = || !self.spool_loading.load(Ordering::Acquire);
            let _ =
                tokio::time::timeout_at(deadline, notified_until(&self.spool_loaded, loaded)).await;
        }
    }

    /// `configure` cannot move an open spool: its lock and the events written there belong to
    /// the folder. Naming the folder already in use is fine.
    pub(super) fn check_spool_change(
        &self,
        current: &Options,
        next: &Options,
    ) -> Result<(), OptionError> {
        let folder = |options: &Options| options.spool.as_ref().map(|spool| spool.dir.clone());
        let in_use = lock(&self.spool).is_some() || self.spool_loading.load(Ordering::Acquire);
        if in_use && folder(current) != folder(next) {
            return Err(OptionError {
                option: "spoolDir",
                message: "cannot change while this reporter has its spool open; shut it down and start a new reporter on the new folder".into(),
            });
        }
        Ok(())
    }

    /// New spool bounds from `configure` apply to the open spool (on its thread) at once.
    pub(super) fn apply_spool_bounds(self: &Arc<Self>, next: &Options) {
        if let (Some(spool), Some(bounds)) = (self.spool(), next.spool.as_ref()) {
            let core = self.clone();
            spool.set_bounds(bounds, move |result| match result {
                Ok(dropped) => add(&core.counters.spool_dropped, dropped),
                Err(error) => core.log(
                    Level::Warn,
                    format_args!("spool bounds not applied: {error}"),
                ),
            });
        }
    }
}

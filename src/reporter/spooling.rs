//! The reporter's side of the durable spool: opening and reading it back, writing each event
//! before its first attempt, and removing events that reached a final outcome.

use super::stats::bump;
use super::{lock, runtime, Level, OptionError, Options, Reporter};
use crate::event::Event;
use crate::spool::{OpenError, Spool, SpoolConfig};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How long delivery waits for the spool to open before going on without it.
pub(super) const SPOOL_OPEN_WAIT: Duration = Duration::from_secs(10);

impl Reporter {
    /// Opens the configured spool on the background thread and restores its events into the
    /// held buffer (they wait for a context like any held event).
    pub(super) fn open_spool(&self) {
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
                self.log(Level::Warn, format_args!("spool disabled: {reason}"));
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

    pub(super) fn load_spool(&self, config: SpoolConfig) {
        let dir = config.dir.display().to_string();
        let spool = match Spool::open(config) {
            Ok(spool) => Arc::new(spool),
            Err(OpenError::Busy) => {
                return self.log(
                    Level::Warn,
                    format_args!("spool folder {dir} is in use by another process or reporter; this reporter keeps events in memory only"),
                );
            }
            Err(OpenError::Unusable(reason)) => {
                bump(&self.shared.counters.spool_errors);
                return self.log(
                    Level::Warn,
                    format_args!("spool disabled, events are kept in memory only: {reason}"),
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
                format_args!(
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

    pub(super) fn spool_ready(&self) {
        self.shared.spool_loading.store(false, Ordering::Release);
        self.shared.spool_loaded.notify_waiters();
    }

    pub(super) fn spool(&self) -> Option<Arc<Spool>> {
        lock(&self.shared.spool).clone()
    }

    /// Hands an event to the spool before its first attempt; the spool's own thread writes it.
    pub(super) fn spool_write(&self, event: &mut Event) {
        if event.spooled {
            return;
        }
        let Some(spool) = self.spool() else {
            return;
        };
        let reporter = self.clone();
        let dir = spool.dir().display().to_string();
        spool.write(event, move |result| reporter.spool_written(result, &dir));
        event.spooled = true;
    }

    /// Counts a spool write (on the spool's thread).
    fn spool_written(&self, result: std::io::Result<u64>, dir: &str) {
        let counters = &self.shared.counters;
        match result {
            Ok(dropped) => {
                bump(&counters.spooled);
                counters.spool_dropped.fetch_add(dropped, Ordering::Relaxed);
            }
            Err(error) => {
                bump(&counters.spool_errors);
                if !self.shared.warned_spool_write.swap(true, Ordering::Relaxed) {
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

    /// Waits (until `deadline`) for the spool to be read back; true if it was being read.
    pub(super) async fn wait_for_spool(&self, deadline: tokio::time::Instant) -> bool {
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

    /// `configure` cannot move an open spool: its lock and the events written there belong to
    /// the folder. Naming the folder already in use is fine.
    pub(super) fn check_spool_change(
        &self,
        current: &Options,
        next: &Options,
    ) -> Result<(), OptionError> {
        let folder = |options: &Options| options.spool.as_ref().map(|spool| spool.dir.clone());
        let in_use =
            lock(&self.shared.spool).is_some() || self.shared.spool_loading.load(Ordering::Acquire);
        if in_use && folder(current) != folder(next) {
            return Err(OptionError {
                option: "spoolDir",
                message: "cannot change while this reporter has its spool open; shut it down and start a new reporter on the new folder".into(),
            });
        }
        Ok(())
    }

    /// New spool bounds from `configure` apply to the open spool (on its thread) at once.
    pub(super) fn apply_spool_bounds(&self, next: &Options) {
        if let (Some(spool), Some(bounds)) = (self.spool(), next.spool.as_ref()) {
            let reporter = self.clone();
            spool.set_bounds(bounds, move |result| match result {
                Ok(dropped) => {
                    let counters = &reporter.shared.counters;
                    counters.spool_dropped.fetch_add(dropped, Ordering::Relaxed);
                }
                Err(error) => reporter.log(
                    Level::Warn,
                    format_args!("spool bounds not applied: {error}"),
                ),
            });
        }
    }
}

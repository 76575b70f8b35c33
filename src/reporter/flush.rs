//! `flush` and `shutdown`: waiting for a snapshot of the queue, then stopping.

use super::{lock, runtime, FlushResult, Level, Queued, Reporter};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

impl Reporter {
    pub(super) fn finish(&self, seq: u64) {
        lock(&self.shared.unfinished).remove(&seq);
        self.shared.progress.notify_waiters();
    }

    /// Number of events queued before `snapshot` still unfinished.
    pub(super) fn pending_before(&self, snapshot: u64) -> u64 {
        lock(&self.shared.unfinished).range(..snapshot).count() as u64
    }

    /// Whether a flush now would have nothing to wait for.
    pub fn is_idle(&self) -> bool {
        !self.shared.spool_loading.load(Ordering::Acquire)
            && lock(&self.shared.unfinished).is_empty()
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
            // Dropping waits for the spool thread's pending writes: not on the delivery thread
            // (this future may be polled outside the runtime, so spawn on it explicitly).
            let spool = lock(&reporter.shared.spool).take();
            if let (Some(spool), Ok(runtime)) = (spool, runtime()) {
                let _ = runtime.spawn_blocking(move || drop(spool)).await;
            }
            let held = reporter.held_count();
            if held > 0 {
                reporter.log(
                    Level::Debug,
                    format_args!(
                        "shut down with {held} held event(s) that never had a callback context"
                    ),
                );
            }
            result
        }
    }

    /// Events waiting for a callback context: held reports and events restored from the spool.
    pub(super) fn held_count(&self) -> usize {
        lock(&self.shared.held).len() + lock(&self.shared.restored_waiting).len()
    }
}

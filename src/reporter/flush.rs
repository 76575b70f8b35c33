//! `flush` and `shutdown`, and stopping: what a reporter does when it is shut down or dropped.

use super::{lock, runtime, Core, FlushResult, Level};
use crate::spool::Spool;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How long a stopping reporter waits for its cancelled deliveries to let go of their events.
/// They end at their next poll, so this is only a bound.
const STOP_WAIT: Duration = Duration::from_secs(1);

impl Core {
    /// Resolves when every event accepted before the call has ended, or at the timeout. Events
    /// restored from the spool count as accepted before the call.
    pub(super) fn flush(
        self: &Arc<Self>,
        timeout: Duration,
    ) -> impl Future<Output = FlushResult> + Send + 'static {
        let core = self.clone();
        // The snapshot is taken now, unless the spool is still being read back.
        let early = (!self.spool_loading.load(Ordering::Acquire)).then(|| self.watch_flush());
        async move {
            let deadline = tokio::time::Instant::now() + timeout;
            let watch = match early {
                Some(watch) => watch,
                None => {
                    core.wait_for_spool(deadline).await;
                    core.watch_flush()
                }
            };
            if watch.remaining() == 0 {
                return FlushResult {
                    completed: true,
                    pending: 0,
                };
            }
            tokio::select! {
                _ = watch.done() => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
            let pending = watch.remaining();
            FlushResult {
                completed: pending == 0,
                pending,
            }
        }
    }

    /// Stops accepting events now, flushes for at most `timeout`, then stops: what is left is
    /// abandoned (and kept by the spool, if there is one), the spool's lock is released and
    /// the kept-alive connections are closed.
    pub(super) fn shutdown(
        self: &Arc<Self>,
        timeout: Duration,
    ) -> impl Future<Output = FlushResult> + Send + 'static {
        self.shut_down.store(true, Ordering::Release);
        let flush = self.flush(timeout);
        let core = self.clone();
        async move {
            let result = flush.await;
            core.stop().await;
            let held = core.held_count();
            if held > 0 {
                core.log(
                    Level::Debug,
                    format_args!(
                        "shut down with {held} held event(s) that never had a callback context"
                    ),
                );
            }
            result
        }
    }

    /// Stops at once, without waiting: the reporter was dropped (collected by JavaScript, or
    /// its worker thread ended). Its tasks end at their next poll; spooled events stay on disk
    /// for the next owner of the folder.
    pub(super) fn stop_now(&self) {
        self.shut_down.store(true, Ordering::Release);
        self.stop.send_replace(true);
        if let Some(spool) = self.take_spool() {
            release_in_background(spool);
        }
        // The client (and its pool) goes once the cancelled attempts let go of it.
        lock(&self.sender).take();
    }

    /// Stops and waits until everything is let go: every unfinished event is abandoned, the
    /// spool has written what it was given and released its lock, and the connections are
    /// closed. Once this resolves, `queued == sent + failed + abandoned`.
    async fn stop(&self) {
        self.stop.send_replace(true);
        if self.queue.unfinished() > 0 && runtime().is_ok() {
            let _ = tokio::time::timeout(STOP_WAIT, self.queue.settled()).await;
        }
        if let Some(spool) = self.take_spool() {
            release(spool).await;
        }
        lock(&self.sender).take();
    }

    fn take_spool(&self) -> Option<Arc<Spool>> {
        lock(&self.spool).take()
    }

    /// Events waiting for a callback context: held reports and events restored from the spool.
    pub(super) fn held_count(&self) -> usize {
        lock(&self.held).len()
    }
}

/// Drops the spool on a blocking thread, which lets its own thread finish what it was handed,
/// and resolves once that is done (or could not be started).
async fn release(spool: Arc<Spool>) {
    if let Ok(runtime) = runtime() {
        let _ = runtime.spawn_blocking(move || drop(spool)).await;
    }
}

/// Drops the spool on a blocking thread without waiting: never on the JavaScript thread, which
/// a slow disk must not hold up.
fn release_in_background(spool: Arc<Spool>) {
    match runtime() {
        Ok(runtime) => drop(runtime.spawn_blocking(move || drop(spool))),
        Err(_) => drop(spool),
    }
}

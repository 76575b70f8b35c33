//! Background delivery: the worker takes queued events in batches, spools them, and delivers
//! each on a task of its own through the retry loop. Every task ends when the reporter stops.

use super::queue::{Ending, Queued};
use super::spooling::SPOOL_OPEN_WAIT;
use super::stats::{add, Gauge};
use super::{lock, runtime, Core, Level};
use crate::retry::{Attempt, Failure, RetryPolicy};
use crate::transport::Sender;
use bytes::Bytes;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;

/// After taking what the queue holds, the worker waits this long before it looks again: a burst
/// of reports then wakes the background thread about once per interval, not once per report.
const BATCH_INTERVAL: Duration = Duration::from_millis(2);

/// Resolves once the reporter is stopping.
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

impl Core {
    /// Starts the worker with the first queued event (a no-op once started).
    pub(super) fn start_worker(self: &Arc<Self>) {
        if self.worker_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let Some(queue) = self.queue.take_receiver() else {
            return;
        };
        match runtime() {
            Ok(runtime) => {
                runtime.spawn(run_worker(self.clone(), queue));
            }
            // Dropping the receiver abandons what was queued; later events are abandoned too.
            Err(reason) => self.log(Level::Error, format_args!("{reason}")),
        }
    }

    /// The HTTP client, built on first use with the current `extraCaCerts` on a blocking
    /// thread (reading TLS roots from disk must not stall the delivery thread).
    async fn sender(&self) -> Result<Arc<Sender>, String> {
        if let Some(sender) = lock(&self.sender).clone() {
            return Ok(sender);
        }
        let extra_roots = self.options().extra_ca_certs.clone();
        let built = tokio::task::spawn_blocking(move || Sender::new(extra_roots.as_deref()))
            .await
            .map_err(|_| "the HTTP client could not be built".to_owned())??;
        // Another attempt may have built one meanwhile: all of them use the first.
        Ok(lock(&self.sender)
            .get_or_insert_with(|| Arc::new(built))
            .clone())
    }

    /// Spools one event and starts its delivery on a task of its own, which ends (abandoning
    /// the event if unfinished) when the reporter stops.
    fn dispatch(self: &Arc<Self>, mut queued: Queued) {
        self.spool_write(&mut queued);
        let core = self.clone();
        let mut stop = self.stop.subscribe();
        tokio::spawn(async move {
            tokio::select! {
                _ = core.deliver(queued) => {}
                _ = stopping(&mut stop) => {}
            }
        });
    }

    /// Attempts one event until it is delivered or finally fails. Each attempt takes a
    /// connection slot; the waits between attempts do not hold one.
    async fn deliver(&self, Queued { event, mut ticket }: Queued) {
        let body = Bytes::from(event.to_json());
        let options = self.options();
        let mut attempt_number = 1;
        let (ending, gave_up) = loop {
            let slot = self.slots.acquire().await;
            ticket.started();
            let Some(context) = self.context() else {
                // configure() dropped the context (allowedHosts) after the event was queued.
                break (Ending::Failed(Failure::Network), true);
            };
            let (attempt, drain) = match self.sender().await {
                Ok(sender) => {
                    let _in_flight = Gauge::enter(&self.counters.in_flight);
                    sender
                        .attempt(&context, &event.event_id, &body, options.request_timeout)
                        .await
                }
                Err(reason) => {
                    self.log(Level::Error, format_args!("{reason}"));
                    (Attempt::Final(Failure::Network), None)
                }
            };
            // The slot is for the request only, never for the wait before the next attempt.
            drop(slot);
            let drain = async move {
                if let Some(drain) = drain {
                    drain.run().await;
                }
            };
            match attempt {
                Attempt::Delivered => {
                    ticket.end(Ending::Sent);
                    self.forget_spooled(&event.event_id);
                    self.log(
                        Level::Debug,
                        format_args!(
                            "event {} delivered (attempt {attempt_number})",
                            event.event_id
                        ),
                    );
                    return drain.await;
                }
                Attempt::Final(failure) => {
                    drain.await;
                    break (Ending::Failed(failure), false);
                }
                Attempt::Retry { failure, .. } if attempt_number >= options.retry.max_attempts => {
                    drain.await;
                    break (Ending::Failed(failure), true);
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
                        format_args!(
                            "event {} attempt {attempt_number} failed ({}); retrying in {} ms",
                            event.event_id,
                            Described(failure),
                            wait.as_millis()
                        ),
                    );
                    let _waiting = Gauge::enter(&self.counters.waiting_to_retry);
                    tokio::join!(drain, tokio::time::sleep(wait));
                    add(&self.counters.retried, 1);
                    attempt_number += 1;
                }
            }
        };
        if !gave_up {
            // The endpoint's final answer will not change on a restart; events that ran out of
            // attempts stay spooled for the next process to try again.
            self.forget_spooled(&event.event_id);
        }
        if let Ending::Failed(failure) = ending {
            self.warn_failure(&event.event_id, failure, attempt_number);
        }
        ticket.end(ending);
    }

    fn warn_failure(&self, event_id: &str, failure: Failure, attempts: u32) {
        let mut level = Level::Warn;
        if let Failure::Http(status @ (401 | 403)) = failure {
            // One warning per reporter: every later event would fail the same way.
            if !self.warned.refused_token.swap(true, Ordering::Relaxed) {
                self.log(
                    Level::Warn,
                    format_args!("the callback endpoint refused the token (HTTP {status}); events are not being accepted"),
                );
            }
            level = Level::Debug;
        }
        self.log(
            level,
            format_args!(
                "event {event_id} not delivered after {attempts} attempt(s): {}",
                Described(failure)
            ),
        );
    }
}

/// A failure in words, for log lines: formatted only when the line is logged.
struct Described(Failure);

impl fmt::Display for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Failure::Http(status) => write!(f, "HTTP {status}"),
            Failure::Timeout => f.write_str("timed out"),
            Failure::Network => f.write_str("network error"),
        }
    }
}

/// The worker: takes what the queue holds, spools each event and starts its delivery, then
/// pauses for [`BATCH_INTERVAL`] before it looks again. When the reporter stops, what it had
/// not taken yet goes to the spool and is abandoned.
async fn run_worker(core: Arc<Core>, mut queue: UnboundedReceiver<Queued>) {
    let mut stop = core.stop.subscribe();
    loop {
        let first = tokio::select! {
            biased;
            _ = stopping(&mut stop) => None,
            first = queue.recv() => first,
        };
        let Some(first) = first else {
            break;
        };
        // An event must not slip past a spool that is still being opened.
        let spool_wait = core.wait_for_spool(tokio::time::Instant::now() + SPOOL_OPEN_WAIT);
        tokio::select! {
            _ = spool_wait => {}
            _ = stopping(&mut stop) => {}
        }
        core.dispatch(first);
        while let Ok(next) = queue.try_recv() {
            core.dispatch(next);
        }
        tokio::select! {
            _ = tokio::time::sleep(BATCH_INTERVAL) => {}
            _ = stopping(&mut stop) => {}
        }
    }
    queue.close();
    while let Ok(mut left) = queue.try_recv() {
        core.spool_write(&mut left);
    }
}

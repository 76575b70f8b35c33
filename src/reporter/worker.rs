//! Background delivery: the worker takes queued events, spools them, and delivers each on a task
//! of its own through the retry loop.

use super::spooling::SPOOL_OPEN_WAIT;
use super::stats::{bump, Gauge};
use super::{lock, runtime, Level, Queued, Reporter};
use crate::event::Event;
use crate::retry::{Attempt, Failure, RetryPolicy};
use crate::transport::Sender;
use bytes::Bytes;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long the background worker keeps looking for new events after draining the queue before
/// it parks: a burst of reports then costs one wake-up instead of one per report.
const LINGER: Duration = Duration::from_millis(1);

impl Reporter {
    pub(super) fn start_worker(&self) {
        if self.shared.worker_started.swap(true, Ordering::AcqRel) {
            return;
        }
        match runtime() {
            Ok(runtime) => {
                runtime.spawn(run_worker(self.clone()));
            }
            Err(reason) => self.log(Level::Error, format_args!("{reason}")),
        }
    }

    /// The HTTP client, built on first use with the current `extraCaCerts`.
    pub(super) fn sender(&self) -> Result<Arc<Sender>, String> {
        let mut sender = lock(&self.shared.sender);
        if let Some(sender) = sender.as_ref() {
            return Ok(sender.clone());
        }
        let built = Arc::new(Sender::new(self.options().extra_ca_certs.as_deref())?);
        *sender = Some(built.clone());
        Ok(built)
    }

    pub(super) fn pop(&self) -> Option<Queued> {
        lock(&self.shared.queue).pop_front()
    }

    /// Waits for the next queued event; None once the reporter is shut down.
    pub(super) async fn next_event(&self, cancel: &mut watch::Receiver<bool>) -> Option<Queued> {
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
    pub(super) async fn deliver(&self, event: Event, seq: u64) {
        let body = Bytes::from(event.to_json());
        let options = self.options();
        let counters = &self.shared.counters;
        let mut waiting_for_slot = Some(Gauge::enter(&counters.waiting_for_slot));
        let mut attempt_number = 1;
        let result = loop {
            let slot = self.shared.slots.acquire().await;
            // Only the wait for the first attempt counts as queued; retries wait in `waiting_to_retry`.
            drop(waiting_for_slot.take());
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
                    self.log(Level::Error, format_args!("{reason}"));
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
                        format_args!(
                            "event {} attempt {attempt_number} failed ({}); retrying in {} ms",
                            event.event_id,
                            Described(failure),
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
        match result {
            Ok(attempts) => {
                bump(&counters.sent);
                self.forget_spooled(&event.event_id);
                self.log(
                    Level::Debug,
                    format_args!("event {} delivered (attempt {attempts})", event.event_id),
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

    pub(super) fn record_failure(&self, event_id: &str, failure: Failure, attempts: u32) {
        let counters = &self.shared.counters;
        bump(match failure {
            Failure::Http(_) => &counters.failed_http,
            Failure::Timeout => &counters.failed_timeout,
            Failure::Network => &counters.failed_network,
        });
        let mut level = Level::Warn;
        if let Failure::Http(status @ (401 | 403)) = failure {
            // One warning per reporter: every later event would fail the same way.
            if !self
                .shared
                .warned_refused_token
                .swap(true, Ordering::Relaxed)
            {
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

/// How an event that was not delivered ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The endpoint answered with a status that is not retried (3xx, most 4xx).
    Final,
    /// Attempts ran out on retryable failures (or delivery could not run at all).
    GaveUp,
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

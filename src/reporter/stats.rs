//! Counters and gauges, and the `stats()` and flush results built from them.

use super::{lock, Reporter};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) reported: AtomicU64,
    pub(super) queued: AtomicU64,
    pub(super) sent: AtomicU64,
    pub(super) retried: AtomicU64,
    pub(super) failed_http: AtomicU64,
    pub(super) failed_timeout: AtomicU64,
    pub(super) failed_network: AtomicU64,
    pub(super) dropped_queue_full: AtomicU64,
    pub(super) dropped_held_overflow: AtomicU64,
    pub(super) skipped_not_an_error: AtomicU64,
    pub(super) skipped_user_stop: AtomicU64,
    pub(super) skipped_disabled: AtomicU64,
    pub(super) invalid_input: AtomicU64,
    pub(super) in_flight: AtomicU64,
    pub(super) waiting_for_slot: AtomicU64,
    pub(super) waiting_to_retry: AtomicU64,
    pub(super) spooled: AtomicU64,
    pub(super) restored: AtomicU64,
    pub(super) spool_dropped: AtomicU64,
    pub(super) spool_errors: AtomicU64,
}

/// Counts what is in a state for as long as the guard lives, even when a task is cancelled.
pub(super) struct Gauge<'a>(&'a AtomicU64);

impl<'a> Gauge<'a> {
    pub(super) fn enter(counter: &'a AtomicU64) -> Self {
        bump(counter);
        Self(counter)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(super) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

pub(super) fn read(counter: &AtomicU64) -> u64 {
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

impl Reporter {
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

//! The figures of `stats()`, written once ([`stats_fields`]): the live counters and gauges
//! ([`Counters`]), their snapshot ([`Stats`]) and the binding's `TelemetryStats` are all
//! generated from that one list.

use std::sync::atomic::{AtomicU64, Ordering};

/// Calls `$generate!` with every figure of `stats()`, in order: its name and what it counts
/// (a plain string, which napi-derive copies into `index.d.ts`). The one list that [`Stats`],
/// the counters behind it and the binding's `TelemetryStats` derive from.
///
/// Once a reporter has stopped (`shutdown()` resolved), every event that entered the queue is
/// accounted for: `queued == sent + failed + abandoned`; and always
/// `failed == failedHttp + failedTimeout + failedNetwork`.
macro_rules! stats_fields {
    ($generate:ident) => {
        $generate! {
            reported: "Error events created (queued, held or dropped); skips and invalid input are not counted.",
            queued: "Events that entered the delivery queue (at once, or released from the held buffer, or restored from the spool).",
            held: "Events held now, waiting for a callback context (held reports and events restored from the spool).",
            sent: "Events delivered (a 2xx status).",
            retried: "Attempts after the first.",
            failed: "Events finally failed (`failedHttp + failedTimeout + failedNetwork`).",
            failed_http: "Finally failed on an HTTP status (3xx, a non-retryable 4xx, or retries exhausted on 408/429/5xx).",
            failed_timeout: "Finally failed because every attempt timed out.",
            failed_network: "Finally failed on a network error (refused, reset, DNS, TLS).",
            abandoned: "Events given up unfinished when the reporter stopped (`shutdown()` deadline): `queued == sent + failed + abandoned` once it has.",
            abandoned_spooled: "Of the abandoned events, those handed to the spool, which keeps them for the next process.",
            dropped_queue_full: "Events dropped because the queue was full.",
            dropped_held_overflow: "Held events dropped (oldest first) because the held buffer was full.",
            skipped_not_an_error: "Results that were not errors.",
            skipped_user_stop: "Sessions the user stopped.",
            skipped_disabled: "Reports while disabled or after `shutdown()`.",
            invalid_input: "Reports whose session or result could not be read.",
            queue_length: "Events waiting for their first attempt (in the queue, or for a free connection slot).",
            in_flight: "Requests in flight.",
            waiting_to_retry: "Events waiting before their next attempt.",
            spooled: "Events written to the spool.",
            restored: "Events read back from the spool at start.",
            spool_dropped: "Spooled events dropped: over `spoolMaxEvents`/`spoolMaxBytes`, or older than `spoolMaxAgeMs`.",
            spool_errors: "Spool files that could not be read, and spool writes that failed.",
            log_lines_dropped: "Log lines dropped because the logger's queue to the JavaScript thread was full.",
        }
    };
}
#[cfg(all(feature = "node", not(test)))]
pub(crate) use stats_fields;

macro_rules! define_counters {
    ($($name:ident: $doc:literal,)*) => {
        /// The live figures behind `stats()`: one atomic each, counters and gauges alike.
        #[derive(Debug, Default)]
        pub(super) struct Counters {
            $(pub(super) $name: AtomicU64,)*
        }

        /// `stats()`: cumulative counters and current gauges. No secrets.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Stats {
            $(#[doc = $doc] pub $name: u64,)*
        }

        impl Counters {
            pub(super) fn snapshot(&self) -> Stats {
                Stats {
                    $($name: self.$name.load(Ordering::Relaxed),)*
                }
            }
        }
    };
}
stats_fields!(define_counters);

/// Counts what is in a state for as long as the guard lives, even when a task is cancelled.
pub(super) struct Gauge<'a>(&'a AtomicU64);

impl<'a> Gauge<'a> {
    pub(super) fn enter(gauge: &'a AtomicU64) -> Self {
        add(gauge, 1);
        Self(gauge)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        subtract(self.0, 1);
    }
}

pub(super) fn add(figure: &AtomicU64, amount: u64) {
    figure.fetch_add(amount, Ordering::Relaxed);
}

pub(super) fn subtract(gauge: &AtomicU64, amount: u64) {
    gauge.fetch_sub(amount, Ordering::Relaxed);
}

/// Result of `flush` and `shutdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushResult {
    pub completed: bool,
    /// Events of the flush's snapshot still unfinished.
    pub pending: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_every_figure_under_its_own_name() {
        let counters = Counters::default();
        add(&counters.sent, 3);
        add(&counters.log_lines_dropped, 2);
        {
            let _in_flight = Gauge::enter(&counters.in_flight);
            let stats = counters.snapshot();
            assert_eq!((stats.sent, stats.in_flight), (3, 1));
            assert_eq!(stats.log_lines_dropped, 2);
        }
        assert_eq!(counters.snapshot().in_flight, 0);
    }
}

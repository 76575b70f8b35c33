//! The delivery queue: events accepted on the JavaScript thread go to the background worker
//! through a channel, each with a [`Ticket`] that accounts for it until it ends — delivered,
//! finally failed, or abandoned when the reporter stops — and lets flushes wait for it.
//!
//! The channel itself is unbounded; the bound is the number of accepted, unfinished events
//! (waiting, in flight or waiting to retry), checked when an event is accepted, so `configure`
//! can change it on a live reporter.

use super::stats::{add, subtract};
use super::{lock, notified_until, Core};
use crate::event::Event;
use crate::retry::Failure;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;

/// One accepted event on its way to the endpoint.
pub(super) struct Queued {
    pub(super) event: Event,
    pub(super) ticket: Ticket,
}

pub(super) struct Queue {
    sender: UnboundedSender<Queued>,
    /// The receiving end, until the worker takes it (the worker starts with the first event).
    receiver: Mutex<Option<UnboundedReceiver<Queued>>>,
    ledger: Mutex<Ledger>,
    /// Signalled when the last unfinished event ends.
    settled: Notify,
}

/// What is owed: accepted events not yet ended, and the flushes waiting for some of them.
struct Ledger {
    next_seq: u64,
    unfinished: usize,
    flushes: Vec<Arc<FlushWatch>>,
}

/// One flush: the events accepted before it, still unfinished.
pub(super) struct FlushWatch {
    /// Events with a sequence number below this one are the flush's.
    before: u64,
    remaining: AtomicU64,
    done: Notify,
}

impl FlushWatch {
    pub(super) fn remaining(&self) -> u64 {
        self.remaining.load(Ordering::Acquire)
    }

    /// Resolves once every event of the flush has ended (at once if none was pending).
    pub(super) async fn done(&self) {
        notified_until(&self.done, || self.remaining() == 0).await;
    }
}

/// How a queued event ended, short of being abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    Sent,
    Failed(Failure),
}

impl Queue {
    pub(super) fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            sender,
            receiver: Mutex::new(Some(receiver)),
            ledger: Mutex::new(Ledger {
                next_seq: 0,
                unfinished: 0,
                flushes: Vec::new(),
            }),
            settled: Notify::new(),
        }
    }

    /// The receiving end for the worker; None once taken.
    pub(super) fn take_receiver(&self) -> Option<UnboundedReceiver<Queued>> {
        lock(&self.receiver).take()
    }

    /// Accepted events not yet ended.
    pub(super) fn unfinished(&self) -> usize {
        lock(&self.ledger).unfinished
    }

    /// Resolves once no accepted event is unfinished.
    pub(super) async fn settled(&self) {
        notified_until(&self.settled, || self.unfinished() == 0).await;
    }

    fn end(&self, seq: u64) {
        let mut ledger = lock(&self.ledger);
        ledger.unfinished -= 1;
        for watch in &ledger.flushes {
            if seq < watch.before && watch.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                watch.done.notify_one();
            }
        }
        if ledger.unfinished == 0 {
            self.settled.notify_waiters();
        }
    }
}

/// A registered flush; deregisters when dropped.
pub(super) struct FlushGuard {
    core: Arc<Core>,
    watch: Arc<FlushWatch>,
}

impl std::ops::Deref for FlushGuard {
    type Target = FlushWatch;

    fn deref(&self) -> &FlushWatch {
        &self.watch
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        lock(&self.core.queue.ledger)
            .flushes
            .retain(|watch| !Arc::ptr_eq(watch, &self.watch));
    }
}

impl Core {
    /// Registers a flush of every event accepted so far.
    pub(super) fn watch_flush(self: &Arc<Self>) -> FlushGuard {
        let mut ledger = lock(&self.queue.ledger);
        let watch = Arc::new(FlushWatch {
            before: ledger.next_seq,
            remaining: AtomicU64::new(ledger.unfinished as u64),
            done: Notify::new(),
        });
        if ledger.unfinished > 0 {
            ledger.flushes.push(watch.clone());
        }
        FlushGuard {
            core: self.clone(),
            watch,
        }
    }

    /// Accepts an event into the queue, or gives it back when `capacity` events are already
    /// unfinished. Counted in `queued` and `queueLength`.
    pub(super) fn accept(
        self: &Arc<Self>,
        event: Event,
        capacity: usize,
    ) -> Result<(), Box<Event>> {
        let seq = {
            let mut ledger = lock(&self.queue.ledger);
            if ledger.unfinished >= capacity {
                return Err(Box::new(event));
            }
            ledger.unfinished += 1;
            ledger.next_seq += 1;
            ledger.next_seq - 1
        };
        add(&self.counters.queued, 1);
        add(&self.counters.queue_length, 1);
        let ticket = Ticket {
            core: self.clone(),
            seq,
            spooled: event.spooled,
            waiting: true,
            ended: false,
        };
        // Sending fails only once the worker has stopped: the ticket then ends as abandoned.
        let _ = self.queue.sender.send(Queued { event, ticket });
        self.start_worker();
        Ok(())
    }
}

/// Accounts for one accepted event until it ends: [`Ticket::end`] counts it as sent or failed;
/// a ticket dropped before that (its delivery cancelled when the reporter stopped) counts it
/// as abandoned. Either way it leaves the queue's bound and the flushes waiting for it.
pub(super) struct Ticket {
    core: Arc<Core>,
    seq: u64,
    /// Handed to the spool, which keeps it for the next process if it is abandoned.
    pub(super) spooled: bool,
    /// Still waiting for its first attempt (counted in `queueLength`).
    waiting: bool,
    ended: bool,
}

impl Ticket {
    /// The first attempt got a connection slot: the event leaves `queueLength`.
    pub(super) fn started(&mut self) {
        if std::mem::take(&mut self.waiting) {
            subtract(&self.core.counters.queue_length, 1);
        }
    }

    pub(super) fn end(mut self, ending: Ending) {
        let counters = &self.core.counters;
        match ending {
            Ending::Sent => add(&counters.sent, 1),
            Ending::Failed(failure) => {
                add(&counters.failed, 1);
                add(
                    match failure {
                        Failure::Http(_) => &counters.failed_http,
                        Failure::Timeout => &counters.failed_timeout,
                        Failure::Network => &counters.failed_network,
                    },
                    1,
                );
            }
        }
        self.ended = true;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.started();
        let counters = &self.core.counters;
        if !self.ended {
            add(&counters.abandoned, 1);
            if self.spooled {
                add(&counters.abandoned_spooled, 1);
            }
        }
        self.core.queue.end(self.seq);
    }
}

//! Connection slots: at most `maxConcurrency` attempts in flight, resizable while attempts run.
//!
//! tokio's `Semaphore::forget_permits` removes only permits nobody holds, so lowering the limit
//! while requests are in flight would leave it unchanged until they all end at once. The
//! shortfall is kept as a debt instead: each slot given back while the debt is unpaid is
//! forgotten, so the number in flight falls to the new limit as attempts finish.

use super::lock;
use std::sync::Mutex;
use tokio::sync::{Semaphore, SemaphorePermit};

pub(super) struct Slots {
    permits: Semaphore,
    /// Permits still to be forgotten as slots come back (a lowered limit).
    owed: Mutex<usize>,
}

/// One attempt's right to a connection; given back (or forgotten) when dropped.
pub(super) struct Slot<'a> {
    slots: &'a Slots,
    permit: Option<SemaphorePermit<'a>>,
}

impl Slots {
    pub(super) fn new(limit: usize) -> Self {
        Self {
            permits: Semaphore::new(limit),
            owed: Mutex::new(0),
        }
    }

    /// Waits for a free slot.
    pub(super) async fn acquire(&self) -> Slot<'_> {
        // The semaphore is never closed, so acquiring only waits.
        let permit = self.permits.acquire().await.ok();
        Slot {
            slots: self,
            permit,
        }
    }

    /// Changes the limit from `from` to `to`, effective for attempts in flight as they end.
    pub(super) fn resize(&self, from: usize, to: usize) {
        // Under the lock no slot is given back meanwhile, so the count stays exact.
        let mut owed = lock(&self.owed);
        if to >= from {
            let paid = (to - from).min(*owed);
            *owed -= paid;
            self.permits.add_permits(to - from - paid);
        } else {
            let shrink = from - to;
            *owed += shrink - self.permits.forget_permits(shrink);
        }
    }

    /// Slots free now (for tests and stats).
    #[cfg(test)]
    fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut owed = lock(&self.slots.owed);
        if let Some(permit) = self.permit.take() {
            if *owed > 0 {
                *owed -= 1;
                permit.forget();
            }
            // Otherwise the permit goes back here, while the lock is still held.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime") // ok: test code
            .block_on(future)
    }

    #[test]
    fn lowering_the_limit_takes_effect_as_slots_come_back() {
        block_on(async {
            let slots = Slots::new(4);
            let held: Vec<Slot<'_>> = vec![
                slots.acquire().await,
                slots.acquire().await,
                slots.acquire().await,
            ];
            // 3 in flight, 1 free; the limit drops to 1: the free one goes now, 2 are owed.
            slots.resize(4, 1);
            assert_eq!(slots.available(), 0);
            drop(held);
            // Two slots were forgotten, the third came back: exactly one free, the new limit.
            assert_eq!(slots.available(), 1);
        });
    }

    #[test]
    fn raising_the_limit_pays_the_debt_first() {
        block_on(async {
            let slots = Slots::new(2);
            let first = slots.acquire().await;
            let second = slots.acquire().await;
            slots.resize(2, 1); // one owed
            slots.resize(1, 3); // pays the debt, adds one
            assert_eq!(slots.available(), 1);
            drop((first, second));
            assert_eq!(slots.available(), 3);
        });
    }
}

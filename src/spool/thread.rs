//! The spool's own I/O thread: writes and removals are handed over through a bounded channel
//! and done in order, so a slow or full disk never stalls the runtime thread that drives every
//! reporter's timers and sockets. Handing over never blocks: when the channel is full, a write
//! is answered at once with an error and a removal is skipped (the file is then delivered again
//! by the next process, under the same `Idempotency-Key`).

use super::store::Store;
use super::SpoolConfig;
use crate::event::Event;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Jobs waiting for the thread (a few times the reporter's queue bound, 1,024).
pub(super) const CAPACITY: usize = 4096;
/// How long a drop waits for the thread to finish what was handed over. A disk that hangs for
/// longer must not hang the dropping thread (the JavaScript thread, when a reporter is
/// collected): the spool thread then ends, and releases the lock, on its own.
const DROP_WAIT: Duration = Duration::from_secs(1);

/// Told the outcome of a write: events dropped for room, or why it failed.
pub type Done = Box<dyn FnOnce(io::Result<u64>) + Send>;

enum Job {
    Write(Box<Event>, Done),
    Remove(String),
    SetBounds(Box<SpoolConfig>, Done),
}

/// Owns the thread. Dropping it lets the thread finish what was handed over and waits for it
/// (for at most [`DROP_WAIT`], and not when dropped on that thread itself), so the store — and
/// the folder's lock — is normally released by the time the drop returns.
pub struct SpoolThread {
    sender: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// Disconnected once the thread has let go of the store (in a mutex only so the handle is
    /// `Sync`; only the drop reads it).
    finished: Mutex<Receiver<()>>,
}

impl SpoolThread {
    pub fn start(store: Arc<Store>) -> io::Result<Self> {
        let (sender, receiver) = mpsc::sync_channel(CAPACITY);
        let (finishing, finished) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("cyrus-telemetry-spool".into())
            .spawn(move || {
                crate::priority::lower_this_thread();
                run(&store, receiver);
                drop(store);
                drop(finishing);
            })?;
        Ok(Self {
            sender: Some(sender),
            thread: Some(thread),
            finished: Mutex::new(finished),
        })
    }

    pub fn write(&self, event: Box<Event>, done: Done) {
        if let Err(Job::Write(_, done)) = self.submit(Job::Write(event, done)) {
            done(Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the spool thread is behind (slow disk)",
            )));
        }
    }

    pub fn remove(&self, event_id: String) {
        let _ = self.submit(Job::Remove(event_id));
    }

    pub fn set_bounds(&self, bounds: Box<SpoolConfig>, done: Done) {
        if let Err(Job::SetBounds(_, done)) = self.submit(Job::SetBounds(bounds, done)) {
            done(Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the spool thread is behind (slow disk); the new bounds apply at the next start",
            )));
        }
    }

    /// Hands a job over without waiting; gives it back if the thread cannot take it.
    fn submit(&self, job: Job) -> Result<(), Job> {
        let Some(sender) = &self.sender else {
            return Err(job);
        };
        sender.try_send(job).map_err(|error| match error {
            TrySendError::Full(job) | TrySendError::Disconnected(job) => job,
        })
    }
}

impl Drop for SpoolThread {
    fn drop(&mut self) {
        drop(self.sender.take());
        let Some(thread) = self.thread.take() else {
            return;
        };
        if thread.thread().id() == thread::current().id() {
            return;
        }
        let finished = self
            .finished
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(RecvTimeoutError::Disconnected) = finished.recv_timeout(DROP_WAIT) {
            let _ = thread.join();
        }
    }
}

fn run(store: &Store, jobs: Receiver<Job>) {
    for job in jobs {
        // A panic in one job (a bug) must not stop the spool for the rest of the process.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| match job {
            Job::Write(event, done) => done(store.write(&event)),
            Job::Remove(event_id) => store.remove(&event_id),
            Job::SetBounds(bounds, done) => done(Ok(store.set_bounds(&bounds))),
        }));
    }
}

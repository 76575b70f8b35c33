//! The durable spool: one owner-only JSON file per event, so events queued or being retried
//! when the process ends are delivered after the restart with their original `event_id`.
//!
//! - A file holds the wire body (already scrubbed) and when the event was reported — never the
//!   callback token or URL.
//! - Writes are atomic (temporary name, then rename): a crash never leaves a half event that is
//!   read back as real, and a failed write leaves nothing.
//! - One process owns a folder at a time: an exclusive lock on `.lock`, released when the
//!   [`Spool`] is dropped, or by the OS when the process ends (even on SIGKILL). A second owner
//!   gets [`OpenError::Busy`].
//! - Bounded by count and bytes (oldest dropped first) and by age.
//! - The folder is hostile ground ([`folder`]): nothing is followed through a link, only
//!   regular files named exactly as [`names`] says are read or deleted.
//! - Writes and removals run on the spool's own thread ([`thread`]), never on the runtime thread
//!   that drives delivery: [`Spool::write`] and [`Spool::remove`] hand over and return.
//!   [`Spool::open`] and [`Spool::load`] block: call them off the runtime (`spawn_blocking`).

mod folder;
mod names;
mod store;
mod thread;

use crate::event::Event;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use thread::SpoolThread;

/// Where the spool lives and how much it may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    pub dir: PathBuf,
    pub max_events: usize,
    pub max_bytes: u64,
    pub max_age: Duration,
}

impl SpoolConfig {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            max_events: 1000,
            max_bytes: 4 * 1024 * 1024,
            max_age: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

#[derive(Debug)]
pub enum OpenError {
    /// Another process (or reporter) owns the folder.
    Busy,
    /// The folder cannot be created, locked or written (read-only disk, permissions …), or is
    /// refused (owned by another user, writable by group or others, not a folder).
    Unusable(String),
}

/// What [`Spool::load`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Events to deliver, oldest first.
    pub events: Vec<Event>,
    /// Events removed for being older than the maximum age or over the bounds.
    pub dropped: u64,
    /// Files named as events that could not be read as events (corrupt, truncated, another
    /// format, not a regular file). Foreign files are not listed: they are left alone.
    pub unreadable: Vec<String>,
}

/// An open spool. Dropping it lets its thread finish what was handed over, then releases the
/// folder's lock, before the drop returns (or, dropped on the spool's own thread, as that thread
/// ends). Spooled events stay on disk for the next owner.
pub struct Spool {
    // Declared first, so dropped first: the thread ends before the store (and lock) go.
    thread: SpoolThread,
    store: Arc<Store>,
}

impl Spool {
    /// Opens the folder (creating it owner-only if it does not exist), checks it, takes its lock
    /// and starts the spool's thread. Blocking.
    pub fn open(config: SpoolConfig) -> Result<Self, OpenError> {
        let store = Arc::new(Store::open(config)?);
        let thread = SpoolThread::start(store.clone()).map_err(|error| {
            OpenError::Unusable(format!("cannot start the spool thread: {error}"))
        })?;
        Ok(Self { thread, store })
    }

    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    /// Reads every event in the folder; drops expired ones and the oldest beyond the bounds.
    /// Blocking; call it once, before the first write.
    pub fn load(&self, now_ms: i64) -> Loaded {
        self.store.load(now_ms)
    }

    /// Hands one event to the spool's thread; `done` is told, on that thread, how many old
    /// events were dropped for room, or why the write failed (at once, on the caller's thread,
    /// when the thread is too far behind to take it).
    pub fn write(&self, event: &Event, done: impl FnOnce(io::Result<u64>) + Send + 'static) {
        self.thread.write(Box::new(event.clone()), Box::new(done));
    }

    /// Applies new bounds (`dir` is ignored: the folder stays) on the spool's thread; `done` is
    /// told how many events were dropped to fit them.
    pub fn set_bounds(
        &self,
        bounds: &SpoolConfig,
        done: impl FnOnce(io::Result<u64>) + Send + 'static,
    ) {
        self.thread
            .set_bounds(Box::new(bounds.clone()), Box::new(done));
    }

    /// Forgets an event that reached a final outcome (on the spool's thread, after any write of
    /// it handed over before).
    pub fn remove(&self, event_id: &str) {
        self.thread.remove(event_id.to_owned());
    }
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool").field("dir", &self.dir()).finish()
    }
}
#[cfg(test)]
mod tests;
// The folder as hostile ground: planted links, FIFOs, foreign files, shared folders, full disks.
#[cfg(all(test, unix))]
mod hostile_tests;

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
//!
//! All of it is blocking file I/O, called from the background thread only.

mod folder;
mod names;

use crate::event::Event;
use folder::Folder;
use names::Name;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The record format; a file with another version is foreign and skipped.
const FORMAT_VERSION: u32 = 1;
/// The largest record the spool writes, and so the most it reads of a file: a record that would
/// be larger is refused when written (counted as a failed write), never left unreadable on disk.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

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

#[derive(Serialize, Deserialize)]
struct Record {
    cyrus_telemetry_spool: u32,
    reported_at_ms: i64,
    event: Event,
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

/// The files on disk, oldest first: key (reported_at_ms, event_id) → size in bytes.
#[derive(Debug, Default)]
struct Index {
    files: BTreeMap<(i64, String), u64>,
    bytes: u64,
}

/// An open spool; dropping it releases the folder's lock.
#[derive(Debug)]
pub struct Spool {
    config: SpoolConfig,
    index: Mutex<Index>,
    folder: Folder,
}

impl Spool {
    /// Opens the folder (creating it owner-only if it does not exist), checks it and takes its
    /// lock.
    pub fn open(config: SpoolConfig) -> Result<Self, OpenError> {
        let folder = Folder::open(&config.dir)?;
        Ok(Self {
            config,
            index: Mutex::new(Index::default()),
            folder,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.config.dir
    }

    /// Reads every event in the folder; drops expired ones and the oldest beyond the bounds.
    pub fn load(&self, now_ms: i64) -> Loaded {
        let mut loaded = Loaded::default();
        let Ok(file_names) = self.folder.names() else {
            loaded
                .unreadable
                .push(self.config.dir.display().to_string());
            return loaded;
        };
        let max_age_ms = i64::try_from(self.config.max_age.as_millis()).unwrap_or(i64::MAX);
        let mut found = Vec::new();
        for file_name in &file_names {
            match Name::parse(file_name) {
                // An interrupted write (never renamed, so never an event) or probe.
                Some(Name::Temporary(_) | Name::Probe) => self.folder.remove(file_name),
                Some(Name::Event(event_id)) => match self.read_record(file_name) {
                    Some((record, size)) if record.event.event_id == event_id => {
                        if now_ms.saturating_sub(record.reported_at_ms) > max_age_ms {
                            self.folder.remove(file_name);
                            loaded.dropped += 1;
                        } else {
                            found.push((record, size));
                        }
                    }
                    _ => loaded.unreadable.push(file_name.clone()),
                },
                Some(Name::Lock) | None => {}
            }
        }
        found.sort_by_key(|(record, _)| record.reported_at_ms);
        let mut index = self.lock_index();
        for (record, size) in found {
            index.insert(record.reported_at_ms, record.event.event_id.clone(), size);
            loaded.events.push(Event {
                reported_at_ms: record.reported_at_ms,
                spooled: true,
                ..record.event
            });
        }
        let evicted = self.evict_over_bounds(&mut index);
        loaded.dropped += evicted.len() as u64;
        loaded
            .events
            .retain(|event| !evicted.contains(&event.event_id));
        loaded
    }

    /// Writes (or rewrites) one event; returns how many old events were dropped for room.
    pub fn write(&self, event: &Event) -> io::Result<u64> {
        if !names::is_event_id(&event.event_id) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not an event id of ours",
            ));
        }
        let reported_at_ms = event.reported_at_ms;
        let record = Record {
            cyrus_telemetry_spool: FORMAT_VERSION,
            reported_at_ms,
            event: event.clone(),
        };
        let bytes = serde_json::to_vec(&record).map_err(io::Error::other)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "event too large to be read back",
            ));
        }
        self.folder.write_atomically(
            &names::temporary(&event.event_id),
            &names::event(&event.event_id),
            &bytes,
        )?;
        let mut index = self.lock_index();
        index.insert(reported_at_ms, event.event_id.clone(), bytes.len() as u64);
        Ok(self.evict_over_bounds(&mut index).len() as u64)
    }

    /// Forgets an event that reached a final outcome.
    pub fn remove(&self, event_id: &str) {
        if names::is_event_id(event_id) {
            self.folder.remove(&names::event(event_id));
        }
        self.lock_index().remove(event_id);
    }

    fn lock_index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Deletes the oldest files until the bounds hold; returns the event ids removed.
    fn evict_over_bounds(&self, index: &mut Index) -> Vec<String> {
        let mut evicted = Vec::new();
        while index.files.len() > self.config.max_events || index.bytes > self.config.max_bytes {
            let Some(((_, event_id), size)) = index.files.pop_first() else {
                break;
            };
            index.bytes = index.bytes.saturating_sub(size);
            self.folder.remove(&names::event(&event_id));
            evicted.push(event_id);
        }
        evicted
    }

    /// One event file and its size, or None if it is not a readable record of ours.
    fn read_record(&self, file_name: &str) -> Option<(Record, u64)> {
        let bytes = self.folder.read(file_name, MAX_FILE_BYTES).ok()?;
        let record: Record = serde_json::from_slice(&bytes).ok()?;
        (record.cyrus_telemetry_spool == FORMAT_VERSION).then_some((record, bytes.len() as u64))
    }
}

impl Index {
    fn insert(&mut self, reported_at_ms: i64, event_id: String, size: u64) {
        self.remove(&event_id);
        self.bytes += size;
        self.files.insert((reported_at_ms, event_id), size);
    }

    fn remove(&mut self, event_id: &str) {
        let key = self.files.keys().find(|(_, id)| id == event_id).cloned();
        if let Some(key) = key {
            if let Some(size) = self.files.remove(&key) {
                self.bytes = self.bytes.saturating_sub(size);
            }
        }
    }
}

#[cfg(test)]
mod tests;
// The folder as hostile ground: planted links, FIFOs, foreign files, shared folders, full disks.
#[cfg(all(test, unix))]
mod hostile_tests;

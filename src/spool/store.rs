//! The spool's files: one record per event, written atomically, read back oldest first, kept
//! within the bounds. Blocking file I/O: [`super::Spool`] runs writes and removals on its own
//! thread, and opening and loading off the runtime.

use super::folder::Folder;
use super::names::{self, Name};
use super::{Loaded, OpenError, SpoolConfig};
use crate::classify::MESSAGE_MAX_CHARS;
use crate::context::MAX_TEAM_LEN;
use crate::event::{Event, MAX_ID_CHARS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::Mutex;

/// The record format; a file with another version is foreign and skipped.
const FORMAT_VERSION: u32 = 1;
/// The longest JSON form of one character (`\u001f`).
const JSON_ESCAPE_MAX_BYTES: usize = 6;
/// Everything in a record besides its capped texts: field names, the format version, the two
/// times, the event id, the static codes, `resets_at`, `duration_seconds` (under 500 bytes).
const RECORD_FIXED_BYTES: usize = 1024;
/// The largest record the spool can write — every capped text at its cap, each character in its
/// longest JSON form — and so the most it reads of a file. A record over it (only if a cap were
/// broken) is refused when written, never left unreadable on disk.
const MAX_FILE_BYTES: u64 = (RECORD_FIXED_BYTES
    + JSON_ESCAPE_MAX_BYTES * (MESSAGE_MAX_CHARS + MAX_TEAM_LEN + 3 * MAX_ID_CHARS))
    as u64;

#[derive(Serialize, Deserialize)]
struct Record {
    cyrus_telemetry_spool: u32,
    reported_at_ms: i64,
    event: Event,
}

/// The files on disk, oldest first: key (reported_at_ms, event_id) → size in bytes.
#[derive(Debug)]
struct Index {
    files: BTreeMap<(i64, String), u64>,
    bytes: u64,
    /// The bounds in force: `configure` can change them on an open spool (the folder stays).
    bounds: SpoolConfig,
}

/// The folder and what it holds; dropping it releases the folder's lock.
#[derive(Debug)]
pub struct Store {
    config: SpoolConfig,
    index: Mutex<Index>,
    folder: Folder,
}

impl Store {
    /// Opens the folder (creating it owner-only if it does not exist), checks it and takes its
    /// lock.
    pub fn open(config: SpoolConfig) -> Result<Self, OpenError> {
        let folder = Folder::open(&config.dir)?;
        Ok(Self {
            index: Mutex::new(Index {
                files: BTreeMap::new(),
                bytes: 0,
                bounds: config.clone(),
            }),
            config,
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
        let max_age = self.lock_index().bounds.max_age;
        let max_age_ms = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
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

    /// Applies new bounds; returns how many events were dropped to fit them. A shorter maximum
    /// age applies when the folder is next read back.
    pub fn set_bounds(&self, bounds: &SpoolConfig) -> u64 {
        let mut index = self.lock_index();
        index.bounds = bounds.clone();
        self.evict_over_bounds(&mut index).len() as u64
    }

    fn lock_index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Deletes the oldest files until the bounds hold; returns the event ids removed.
    fn evict_over_bounds(&self, index: &mut Index) -> Vec<String> {
        let mut evicted = Vec::new();
        while index.files.len() > index.bounds.max_events || index.bytes > index.bounds.max_bytes {
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

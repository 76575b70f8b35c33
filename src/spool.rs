//! The durable spool: one owner-only JSON file per event, so events queued or being retried
//! when the process ends are delivered after the restart with their original `event_id`.
//!
//! - A file holds the wire body (already scrubbed) and when the event was reported — never the
//!   callback token or URL.
//! - Writes are atomic (temporary name, then rename): a crash never leaves a half event that is
//!   read back as real.
//! - One process owns a folder at a time: an exclusive lock on `.lock`, released by the OS when
//!   the process ends (even on SIGKILL). A second process gets [`OpenError::Busy`].
//! - Bounded by count and bytes (oldest dropped first) and by age.
//!
//! All of it is blocking file I/O, called from the background thread only.

use crate::event::Event;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

const LOCK_FILE: &str = ".lock";
const EXTENSION: &str = "event.json";
const TEMPORARY_EXTENSION: &str = "tmp";
/// The record format; a file with another version is foreign and skipped.
const FORMAT_VERSION: u32 = 1;
/// A spool file larger than this cannot be one of ours (events are a few KiB at most).
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
    /// The folder cannot be created, locked or written (read-only disk, permissions …).
    Unusable(String),
}

/// What [`Spool::load`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Events to deliver, oldest first.
    pub events: Vec<Event>,
    /// Events removed for being older than the maximum age or over the bounds.
    pub dropped: u64,
    /// Files that could not be read as events (corrupt, truncated, foreign, unreadable).
    pub unreadable: Vec<String>,
}

/// The files on disk, oldest first: key (reported_at_ms, event_id) → size in bytes.
#[derive(Debug, Default)]
struct Index {
    files: BTreeMap<(i64, String), u64>,
    bytes: u64,
}

#[derive(Debug)]
pub struct Spool {
    config: SpoolConfig,
    index: Mutex<Index>,
    /// Held open for the spool's lifetime: the lock lives as long as this handle.
    _lock: File,
}

impl Spool {
    /// Creates the folder (owner-only) and takes its lock.
    pub fn open(config: SpoolConfig) -> Result<Self, OpenError> {
        let unusable = |what: &str, error: io::Error| {
            OpenError::Unusable(format!("{what} {}: {error}", config.dir.display()))
        };
        create_private_dir(&config.dir).map_err(|error| unusable("cannot create", error))?;
        let lock = private_options()
            .read(true)
            .write(true)
            .truncate(false)
            .open(config.dir.join(LOCK_FILE))
            .map_err(|error| unusable("cannot open the lock file in", error))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(OpenError::Busy),
            Err(fs::TryLockError::Error(error)) => return Err(unusable("cannot lock", error)),
        }
        // A probe write now turns a read-only folder into one clear warning at start-up.
        let probe = config.dir.join(format!(".probe.{TEMPORARY_EXTENSION}"));
        write_atomically(&probe, &config.dir.join(".probe"), b"")
            .and_then(|()| fs::remove_file(config.dir.join(".probe")))
            .map_err(|error| unusable("cannot write to", error))?;
        Ok(Self {
            config,
            index: Mutex::new(Index::default()),
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.config.dir
    }

    /// Reads every event in the folder; drops expired ones and the oldest beyond the bounds.
    pub fn load(&self, now_ms: i64) -> Loaded {
        let mut loaded = Loaded::default();
        let Ok(entries) = fs::read_dir(&self.config.dir) else {
            loaded
                .unreadable
                .push(self.config.dir.display().to_string());
            return loaded;
        };
        let max_age_ms = i64::try_from(self.config.max_age.as_millis()).unwrap_or(i64::MAX);
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            if name.ends_with(TEMPORARY_EXTENSION) {
                // An interrupted write: never renamed, so never an event.
                let _ = fs::remove_file(&path);
                continue;
            }
            match read_record(&path) {
                Some(record) if record.event.event_id == event_id_of(name).unwrap_or_default() => {
                    if now_ms.saturating_sub(record.reported_at_ms) > max_age_ms {
                        let _ = fs::remove_file(&path);
                        loaded.dropped += 1;
                    } else {
                        let size = entry.metadata().map_or(0, |metadata| metadata.len());
                        found.push((record, size));
                    }
                }
                _ => loaded.unreadable.push(name.to_owned()),
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
        let reported_at_ms = event.reported_at_ms;
        let record = Record {
            cyrus_telemetry_spool: FORMAT_VERSION,
            reported_at_ms,
            event: event.clone(),
        };
        let bytes = serde_json::to_vec(&record).map_err(io::Error::other)?;
        let path = self.path_of(&event.event_id);
        let temporary = path.with_extension(format!("{EXTENSION}.{TEMPORARY_EXTENSION}"));
        write_atomically(&temporary, &path, &bytes)?;
        let mut index = self.lock_index();
        index.insert(reported_at_ms, event.event_id.clone(), bytes.len() as u64);
        Ok(self.evict_over_bounds(&mut index).len() as u64)
    }

    /// Forgets an event that reached a final outcome.
    pub fn remove(&self, event_id: &str) {
        let _ = fs::remove_file(self.path_of(event_id));
        self.lock_index().remove(event_id);
    }

    fn path_of(&self, event_id: &str) -> PathBuf {
        self.config.dir.join(format!("{event_id}.{EXTENSION}"))
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
            let _ = fs::remove_file(self.path_of(&event_id));
            evicted.push(event_id);
        }
        evicted
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

fn event_id_of(file_name: &str) -> Option<&str> {
    file_name.strip_suffix(&format!(".{EXTENSION}"))
}

fn read_record(path: &Path) -> Option<Record> {
    let file = File::open(path).ok()?;
    if file.metadata().ok()?.len() > MAX_FILE_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    let record: Record = serde_json::from_slice(&bytes).ok()?;
    (record.cyrus_telemetry_spool == FORMAT_VERSION).then_some(record)
}

fn write_atomically(temporary: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(temporary)?;
    file.write_all(bytes)?;
    drop(file);
    fs::rename(temporary, path)
}

#[cfg(unix)]
fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.create(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create(true);
    options
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    // An existing folder is narrowed to owner-only too: events name teams and issues.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Classification, ErrorType};
    use crate::event::SessionInfo;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "cyrus-telemetry-spool-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn event_at(message: &str, reported_at_ms: i64) -> Event {
        let mut event = Event::new(
            SessionInfo {
                session_id: "s".into(),
                ..SessionInfo::default()
            },
            Classification {
                error_type: ErrorType::Crash,
                detail: "unknown",
                message: message.into(),
                resets_at: None,
            },
        );
        event.team_id = "team".into();
        event.reported_at_ms = reported_at_ms;
        event
    }

    fn restored(event: &Event) -> Event {
        Event {
            spooled: true,
            ..event.clone()
        }
    }

    #[test]
    fn events_survive_a_reopen_in_order() {
        let dir = temp_dir("reopen");
        let first = event_at("first", 1_000);
        let second = event_at("second", 2_000);
        {
            let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
            spool.write(&second).unwrap();
            spool.write(&first).unwrap();
        }
        let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
        let loaded = spool.load(3_000);
        assert_eq!(loaded.events, vec![restored(&first), restored(&second)]);
        assert_eq!(loaded.dropped, 0);
        spool.remove(&first.event_id);
        drop(spool);
        let loaded = Spool::open(SpoolConfig::new(dir.clone()))
            .unwrap()
            .load(3_000);
        assert_eq!(loaded.events.len(), 1);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_second_owner_is_refused_until_the_first_closes() {
        let dir = temp_dir("lock");
        let first = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
        assert!(matches!(
            Spool::open(SpoolConfig::new(dir.clone())),
            Err(OpenError::Busy)
        ));
        drop(first);
        assert!(Spool::open(SpoolConfig::new(dir.clone())).is_ok());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bounds_and_age_drop_the_oldest() {
        let dir = temp_dir("bounds");
        let config = SpoolConfig {
            max_events: 2,
            max_age: Duration::from_millis(10_000),
            ..SpoolConfig::new(dir.clone())
        };
        let spool = Spool::open(config.clone()).unwrap();
        let events: Vec<Event> = (0..3)
            .map(|n| event_at(&format!("e{n}"), 1_000 * (n + 1)))
            .collect();
        assert_eq!(spool.write(&events[0]).unwrap(), 0);
        assert_eq!(spool.write(&events[1]).unwrap(), 0);
        assert_eq!(spool.write(&events[2]).unwrap(), 1);
        drop(spool);
        let spool = Spool::open(config).unwrap();
        let loaded = spool.load(12_500);
        assert_eq!(
            loaded.events,
            vec![restored(&events[2])],
            "e0 evicted, e1 expired"
        );
        assert_eq!(loaded.dropped, 1);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn corrupt_foreign_and_partial_files_are_skipped() {
        let dir = temp_dir("corrupt");
        let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
        let good = event_at("good", 1_000);
        spool.write(&good).unwrap();
        let bytes = fs::read(spool.path_of(&good.event_id)).unwrap();
        let truncated = event_at("truncated", 1_000);
        fs::write(
            spool.path_of(&truncated.event_id),
            &bytes[..bytes.len() / 2],
        )
        .unwrap();
        fs::write(dir.join("notes.txt"), "not ours").unwrap();
        fs::write(dir.join("x.event.json.tmp"), "{").unwrap();
        let renamed = event_at("renamed", 1_000);
        fs::write(spool.path_of(&renamed.event_id), &bytes).unwrap();
        drop(spool);
        let loaded = Spool::open(SpoolConfig::new(dir.clone()))
            .unwrap()
            .load(2_000);
        assert_eq!(loaded.events, vec![restored(&good)]);
        let mut unreadable = loaded.unreadable.clone();
        unreadable.sort();
        assert_eq!(unreadable.len(), 3, "{unreadable:?}");
        assert!(!dir.join("x.event.json.tmp").exists());
        assert!(
            dir.join("notes.txt").exists(),
            "foreign files are left alone"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn files_and_folder_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("modes");
        let spool = Spool::open(SpoolConfig::new(dir.clone())).unwrap();
        let stored = event_at("mode", 1_000);
        spool.write(&stored).unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&spool.path_of(&stored.event_id)), 0o600);
        assert_eq!(mode(&dir.join(LOCK_FILE)), 0o600);
        fs::remove_dir_all(dir).unwrap();
    }
}

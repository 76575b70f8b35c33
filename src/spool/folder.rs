//! The spool folder as a handle, not a path: every file is opened relative to the folder that
//! was checked, is never followed through a link, and must be a regular file (README, "Durable spool").
//!
//! - Only a folder that does not exist is created (mode 0700, missing parents too); an existing
//!   path is never `chmod`ed. A folder owned by another user, or that group or others may write
//!   to, is refused, as ssh refuses such a folder for its keys.
//! - New files are created exclusively (0600): a name planted in advance, a link among them,
//!   makes the creation fail instead of writing through it.
//! - Nothing blocks on a FIFO, socket or device: opens are non-blocking and the file type is
//!   checked on the open handle before a byte is read.
//! - A write that fails (a full disk) removes its temporary file.

use super::names::{LOCK, PROBE};
use super::OpenError;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;

#[cfg(not(unix))]
#[path = "folder/other.rs"]
mod platform;
#[cfg(unix)]
#[path = "folder/unix.rs"]
mod platform;

#[derive(Debug)]
pub struct Folder {
    dir: platform::Dir,
    /// Held open for the folder's lifetime: the OS lock lives as long as this handle, and is
    /// released when the handle is dropped (or the process ends, however it ends).
    _lock: File,
}

impl Folder {
    /// Opens (or creates) the folder, checks it, takes its lock and checks it can be written.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let unusable = |what: &str, error: io::Error| {
            OpenError::Unusable(format!("{what} {}: {error}", path.display()))
        };
        let dir = platform::Dir::open_or_create(path)
            .map_err(|error| unusable("cannot use the folder", error))?;
        let lock = dir
            .open_lock(LOCK)
            .map_err(|error| unusable("cannot open the lock file in", error))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(OpenError::Busy),
            Err(fs::TryLockError::Error(error)) => return Err(unusable("cannot lock", error)),
        }
        let folder = Self { dir, _lock: lock };
        // A probe now turns a read-only folder into one clear warning at start-up.
        folder
            .create(PROBE)
            .and_then(|file| {
                drop(file);
                folder.dir.remove(PROBE)
            })
            .map_err(|error| unusable("cannot write to", error))?;
        Ok(folder)
    }

    /// The names of the folder's entries (names that are not UTF-8 are foreign and left out).
    pub fn names(&self) -> io::Result<Vec<String>> {
        self.dir.names()
    }

    /// Reads a regular file of at most `limit` bytes; anything else is an error.
    pub fn read(&self, name: &str, limit: u64) -> io::Result<Vec<u8>> {
        let file = self.dir.open_regular(name)?;
        if file.metadata()?.len() > limit {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "file too large"));
        }
        let mut bytes = Vec::new();
        file.take(limit).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Writes `bytes` under `temporary`, then renames it to `name`: `name` appears complete or
    /// not at all, and a failed write leaves nothing behind.
    pub fn write_atomically(&self, temporary: &str, name: &str, bytes: &[u8]) -> io::Result<()> {
        let result = self.create(temporary).and_then(|mut file| {
            file.write_all(bytes)?;
            drop(file);
            self.dir.rename(temporary, name)
        });
        if result.is_err() {
            let _ = self.dir.remove(temporary);
        }
        result
    }

    /// Removes one of the spool's own files (a link is removed, never its target).
    pub fn remove(&self, name: &str) {
        let _ = self.dir.remove(name);
    }

    /// Creates `name` exclusively; a leftover of ours under that name (an interrupted write, a
    /// planted link) is removed first, once.
    fn create(&self, name: &str) -> io::Result<File> {
        match self.dir.create_new(name) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                self.dir.remove(name)?;
                self.dir.create_new(name)
            }
            created => created,
        }
    }
}

/// What opening a FIFO, socket, device, folder or link where a file of ours belongs gives.
fn not_regular() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "not a regular file")
}

//! The folder's primitives on Unix: a directory file descriptor and `openat`/`renameat`/
//! `unlinkat` relative to it, with `O_NOFOLLOW`, `O_NONBLOCK` and an `fstat` check.

use super::not_regular;
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

/// Group- and other-write bits: a folder with either is refused.
const SHARED_WRITE: u32 = 0o022;
const FOLDER_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

#[derive(Debug)]
pub struct Dir(OwnedFd);

impl Dir {
    pub fn open_or_create(path: &Path) -> io::Result<Self> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = match rfs::open(path, flags, Mode::empty()) {
            Err(Errno::NOENT) => {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(FOLDER_MODE)
                    .create(path)?;
                rfs::open(path, flags, Mode::empty())?
            }
            opened => opened?,
        };
        let stat = rfs::fstat(&fd)?;
        let owner = rustix::process::geteuid().as_raw();
        if stat.st_uid != owner {
            return Err(refused(format!(
                "it is owned by another user (uid {}, this process runs as {owner})",
                stat.st_uid
            )));
        }
        let mode = stat.st_mode & 0o7777;
        if mode & SHARED_WRITE != 0 {
            return Err(refused(format!(
                "group or others may write to it (mode {mode:o})"
            )));
        }
        Ok(Self(fd))
    }

    pub fn open_lock(&self, name: &str) -> io::Result<File> {
        let flags = OFlags::RDWR | OFlags::CREATE | no_surprises();
        self.open_checked(name, flags)
    }

    /// Looks before it opens, so a device is never even opened; the open handle is checked
    /// again in case the name was swapped in between.
    pub fn open_regular(&self, name: &str) -> io::Result<File> {
        let stat = rfs::statat(&self.0, name, AtFlags::SYMLINK_NOFOLLOW)?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return Err(not_regular());
        }
        self.open_checked(name, OFlags::RDONLY | no_surprises())
    }

    pub fn create_new(&self, name: &str) -> io::Result<File> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | no_surprises();
        self.open_checked(name, flags)
    }

    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        Ok(rfs::renameat(&self.0, from, &self.0, to)?)
    }

    pub fn remove(&self, name: &str) -> io::Result<()> {
        Ok(rfs::unlinkat(&self.0, name, AtFlags::empty())?)
    }

    pub fn names(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in rfs::Dir::read_from(&self.0)? {
            if let Ok(name) = entry?.file_name().to_str() {
                if name != "." && name != ".." {
                    names.push(name.to_owned());
                }
            }
        }
        Ok(names)
    }

    /// Opens `name` in this folder and keeps it only if it is a regular file.
    fn open_checked(&self, name: &str, flags: OFlags) -> io::Result<File> {
        let fd = rfs::openat(&self.0, name, flags, Mode::from_raw_mode(FILE_MODE))?;
        if FileType::from_raw_mode(rfs::fstat(&fd)?.st_mode) != FileType::RegularFile {
            return Err(not_regular());
        }
        Ok(File::from(fd))
    }
}

/// Never through a link, never wait on a FIFO or device, never become a terminal's process.
fn no_surprises() -> OFlags {
    OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
}

fn refused(reason: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("refused, {reason}"),
    )
}

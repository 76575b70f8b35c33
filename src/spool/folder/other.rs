//! The folder's primitives where there is no `openat` (Windows): paths under the folder, with
//! the file type checked without following links before and after opening. Ownership and
//! modes are left to the folder's ACL.

use super::not_regular;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct Dir(PathBuf);

impl Dir {
    pub fn open_or_create(path: &Path) -> io::Result<Self> {
        if let Err(error) = fs::symlink_metadata(path) {
            if error.kind() != io::ErrorKind::NotFound {
                return Err(error);
            }
            fs::create_dir_all(path)?;
        }
        if !fs::metadata(path)?.is_dir() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a folder"));
        }
        Ok(Self(path.to_path_buf()))
    }

    pub fn open_lock(&self, name: &str) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        self.open_checked(name, &options)
    }

    pub fn open_regular(&self, name: &str) -> io::Result<File> {
        self.open_checked(name, OpenOptions::new().read(true))
    }

    /// `create_new` fails on anything already there, a link included.
    pub fn create_new(&self, name: &str) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.0.join(name))
    }

    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        fs::rename(self.0.join(from), self.0.join(to))
    }

    pub fn remove(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.0.join(name))
    }

    pub fn names(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.0)? {
            if let Ok(name) = entry?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn open_checked(&self, name: &str, options: &OpenOptions) -> io::Result<File> {
        let path = self.0.join(name);
        match fs::symlink_metadata(&path) {
            Ok(metadata) if !metadata.is_file() => return Err(not_regular()),
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
        let file = options.open(&path)?;
        if !file.metadata()?.is_file() {
            return Err(not_regular());
        }
        Ok(file)
    }
}

//! Small file-system helpers: durable renames, directory fsync, the data
//! directory lock, and read-only maps of files.

use std::fs::{self, File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::error::StoreError;

/// fsyncs a directory so that creations, renames and deletions in it are
/// durable.
pub fn fsync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("fsync directory", dir, e))
}

/// Creates a directory (and parents) if needed.
pub fn create_dir_all(dir: &Path) -> Result<(), StoreError> {
    fs::create_dir_all(dir).map_err(|e| StoreError::io("create directory", dir, e))
}

/// Writes `bytes` to `path` durably: a temporary file is written, fsynced
/// and renamed over `path`, then the directory is fsynced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = tmp_path(path);
    {
        let mut f = File::create(&tmp).map_err(|e| StoreError::io("create", &tmp, e))?;
        std::io::Write::write_all(&mut f, bytes).map_err(|e| StoreError::io("write", &tmp, e))?;
        f.sync_all().map_err(|e| StoreError::io("fsync", &tmp, e))?;
    }
    rename_durable(&tmp, path)
}

/// Renames `from` to `to` and fsyncs the directory of `to`.
pub fn rename_durable(from: &Path, to: &Path) -> Result<(), StoreError> {
    fs::rename(from, to).map_err(|e| StoreError::io("rename", from, e))?;
    fsync_dir(to.parent().unwrap_or(Path::new(".")))
}

/// The temporary name used while writing `path`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// An exclusive advisory lock on `<dir>/LOCK`, released when dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock or fails with [`StoreError::Locked`].
    pub fn acquire(dir: &Path) -> Result<DirLock, StoreError> {
        let path = dir.join("LOCK");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io("open", &path, e))?;
        // SAFETY: flock only reads the descriptor, which `file` keeps open.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            return Err(StoreError::Locked(dir.to_path_buf()));
        }
        Ok(DirLock { _file: file })
    }
}

/// Maps a whole file read-only. Empty files give an empty map.
///
/// The store maps only files it no longer writes (sealed indexes) or that
/// no one writes while they are mapped (files scanned during recovery and
/// by `check`); nothing truncates them while a map is alive.
pub fn map_file(path: &Path) -> Result<Mapped, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io("open", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| StoreError::io("stat", path, e))?
        .len();
    if len == 0 {
        return Ok(Mapped(None));
    }
    // SAFETY: see the function comment: the file is not modified while mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| StoreError::io("mmap", path, e))?;
    Ok(Mapped(Some(map)))
}

/// A read-only file map (or nothing, for an empty file).
#[derive(Debug)]
pub struct Mapped(Option<memmap2::Mmap>);

impl std::ops::Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.0.as_deref().unwrap_or(&[])
    }
}

//! Error types of the store, one per failure domain: decoding bytes
//! ([`CodecError`]) and everything the store does ([`StoreError`]).

use std::io;
use std::path::PathBuf;

/// Why a byte sequence could not be decoded. Carries no location: callers
/// wrap it in [`StoreError::Corrupt`] with the file and offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input ended before the structure did.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// A field holds a value the format does not allow.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A stored CRC32C does not match the bytes it covers.
    #[error("checksum mismatch in {0}")]
    Checksum(&'static str),
    /// A file or record carries a format version this build cannot read.
    #[error("unsupported format version {found} of {what}")]
    Version {
        /// The kind of file or record.
        what: &'static str,
        /// The version found on disk.
        found: u32,
    },
    /// zstd rejected a frame.
    #[error("zstd frame of {0} does not decompress")]
    Decompress(&'static str),
}

/// Any failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An operating-system call on a file or directory failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`"open"`, `"write"`, `"fsync"`, ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Bytes on disk fail their checksum or do not decode.
    #[error("corrupt data in {} at offset {offset}: {source}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Byte offset of the damaged record or block.
        offset: u64,
        /// What is wrong with it.
        source: CodecError,
    },
    /// Another process holds the data directory's lock file.
    #[error("data directory {} is in use by another process", .0.display())]
    Locked(PathBuf),
    /// The configuration cannot work.
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// A tenant name the store cannot keep (empty or too long).
    #[error("invalid tenant id {0:?}")]
    InvalidTenant(String),
    /// The store was closed; no more writes are accepted.
    #[error("store is closed")]
    Closed,
}

impl StoreError {
    /// Wraps an I/O error with the operation and the path it concerned.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StoreError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Wraps a decoding error with the file and offset it was found at.
    pub fn corrupt(path: impl Into<PathBuf>, offset: u64, source: CodecError) -> Self {
        StoreError::Corrupt {
            path: path.into(),
            offset,
            source,
        }
    }
}

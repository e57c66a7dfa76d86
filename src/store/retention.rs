//! Retention: a day partition older than the retention period is dropped
//! whole, directory and all. The current day is never dropped.
//!
//! Days that were sealed or dropped are closed for good: the `days/CLOSED`
//! file records the last such day, so that WAL records still naming a
//! dropped day after a crash do not bring it back.

use std::path::Path;
use std::time::Duration;

use super::error::{CodecError, StoreError};
use super::fsutil::{fsync_dir, write_atomic};
use super::key::{day_of, day_start};
use super::varint::Reader;

/// File name of the closed-days watermark in `days/`.
pub const CLOSED_FILE: &str = "CLOSED";
/// Watermark file magic.
pub const CLOSED_MAGIC: [u8; 8] = *b"KNDLCLSD";
/// Watermark file version.
pub const CLOSED_VERSION: u32 = 1;

/// Parses the watermark file's bytes: the last closed day.
pub fn parse_closed(buf: &[u8]) -> Result<i32, CodecError> {
    let mut r = Reader::new(buf);
    if r.array::<8>("closed-days file")? != CLOSED_MAGIC {
        return Err(CodecError::Invalid("closed-days magic"));
    }
    let version = r.u32("closed-days file")?;
    let day = r.u32("closed-days file")? as i32;
    let crc = r.u32("closed-days file")?;
    if crc != crc32c::crc32c(&buf[..16]) || !r.is_empty() {
        return Err(CodecError::Checksum("closed-days file"));
    }
    if version != CLOSED_VERSION {
        return Err(CodecError::Version {
            what: "closed-days file",
            found: version,
        });
    }
    Ok(day)
}

/// Reads the last closed day from `days_dir`, if recorded. A damaged file
/// reads as absent (the sealed days on disk still close themselves).
pub fn read_closed(days_dir: &Path) -> Option<i32> {
    let path = days_dir.join(CLOSED_FILE);
    let buf = std::fs::read(&path).ok()?;
    match parse_closed(&buf) {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "ignoring damaged closed-days file");
            None
        }
    }
}

/// Records `day` as the last closed day, durably.
pub fn write_closed(days_dir: &Path, day: i32) -> Result<(), StoreError> {
    let mut buf = Vec::with_capacity(20);
    buf.extend_from_slice(&CLOSED_MAGIC);
    buf.extend_from_slice(&CLOSED_VERSION.to_le_bytes());
    buf.extend_from_slice(&day.to_le_bytes());
    let crc = crc32c::crc32c(&buf);
    buf.extend_from_slice(&crc.to_le_bytes());
    write_atomic(&days_dir.join(CLOSED_FILE), &buf)
}

/// The days of `days` that retention `keep` expires at `now`: days that
/// ended at least `keep` ago, never the day of `now`. `None` or a zero
/// duration keeps everything.
pub fn expired(days: impl IntoIterator<Item = i32>, now: i64, keep: Option<Duration>) -> Vec<i32> {
    let Some(keep) = keep.filter(|k| !k.is_zero()) else {
        return Vec::new();
    };
    let keep = i64::try_from(keep.as_nanos()).unwrap_or(i64::MAX);
    let cutoff = now.saturating_sub(keep);
    let today = day_of(now);
    days.into_iter()
        .filter(|&d| d < today && day_start(d + 1) <= cutoff)
        .collect()
}

/// Deletes a day directory durably.
pub fn drop_day(dir: &Path) -> Result<(), StoreError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::io("remove directory", dir, e)),
    }
    match dir.parent() {
        Some(parent) => fsync_dir(parent),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::key::DAY_NS;

    #[test]
    fn closed_watermark_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(read_closed(tmp.path()), None);
        write_closed(tmp.path(), -3).unwrap();
        assert_eq!(read_closed(tmp.path()), Some(-3));
        let path = tmp.path().join(CLOSED_FILE);
        let mut b = std::fs::read(&path).unwrap();
        b[13] ^= 1;
        std::fs::write(&path, b).unwrap();
        assert_eq!(read_closed(tmp.path()), None);
    }

    #[test]
    fn expiry_table() {
        let day = |d: i32| day_start(d);
        let week = Some(Duration::from_secs(7 * 86_400));
        let now = day(100) + DAY_NS / 2;
        let cases: Vec<(Option<Duration>, Vec<i32>)> = vec![
            (week, vec![91, 92]),
            (None, vec![]),
            (Some(Duration::ZERO), vec![]),
            (Some(Duration::from_secs(1)), vec![91, 92, 93, 99]),
        ];
        for (keep, want) in cases {
            assert_eq!(
                expired([91, 92, 93, 99, 100, 101], now, keep),
                want,
                "{keep:?}"
            );
        }
        // Day 92 ends at day(93): expired once now - 7d reaches it.
        assert_eq!(expired([92], day(100), week), vec![92]);
        assert_eq!(expired([92], day(100) - 1, week), Vec::<i32>::new());
    }
}

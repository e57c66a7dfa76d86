//! Retention: a day partition older than the retention period is dropped
//! whole, directory and all. The current day is never dropped.

use std::path::Path;
use std::time::Duration;

use super::error::StoreError;
use super::fsutil::fsync_dir;
use super::key::{day_of, day_start};

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
            assert_eq!(expired([91, 92, 93, 99, 100, 101], now, keep), want, "{keep:?}");
        }
        // Day 92 ends at day(93): expired once now - 7d reaches it.
        assert_eq!(expired([92], day(100), week), vec![92]);
        assert_eq!(expired([92], day(100) - 1, week), Vec::<i32>::new());
    }
}

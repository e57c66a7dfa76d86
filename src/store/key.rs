//! Stream identity and the day arithmetic of partitions.

use crate::model::Labels;

/// Nanoseconds in a UTC day.
pub const DAY_NS: i64 = 86_400 * 1_000_000_000;

/// A stream's identity: its tenant and full label set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    /// The tenant the stream belongs to.
    pub tenant: String,
    /// The stream's labels, as stored.
    pub labels: Labels,
}

/// Days since the Unix epoch of the UTC day holding `ts`.
pub fn day_of(ts: i64) -> i32 {
    ts.div_euclid(DAY_NS) as i32
}

/// First nanosecond of `day`.
pub fn day_start(day: i32) -> i64 {
    i64::from(day) * DAY_NS
}

/// The days a half-open time range `[start, end)` touches.
pub fn days_in(start: i64, end: i64) -> std::ops::RangeInclusive<i32> {
    if end <= start {
        #[allow(clippy::reversed_empty_ranges)]
        return 1..=0;
    }
    day_of(start)..=day_of(end - 1)
}

/// The directory name of a day: `YYYY-MM-DD`.
pub fn day_name(day: i32) -> String {
    let date = chrono::DateTime::from_timestamp(i64::from(day) * 86_400, 0)
        .map(|d| d.date_naive())
        .unwrap_or_default();
    date.format("%Y-%m-%d").to_string()
}

/// Parses a `YYYY-MM-DD` directory name back to a day number.
pub fn parse_day_name(name: &str) -> Option<i32> {
    let d = chrono::NaiveDate::parse_from_str(name, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((d - epoch).num_days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days() {
        let ts = 1_795_449_600_012_140_406; // 2026-11-23T16:00:00Z
        let d = day_of(ts);
        assert_eq!(day_name(d), "2026-11-23");
        assert_eq!(parse_day_name("2026-11-23"), Some(d));
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_name(-1), "1969-12-31");
        assert_eq!(days_in(day_start(d), day_start(d + 1)), d..=d);
        assert_eq!(days_in(day_start(d), day_start(d + 1) + 1), d..=d + 1);
        assert!(days_in(5, 5).is_empty());
        assert_eq!(parse_day_name("nope"), None);
    }
}

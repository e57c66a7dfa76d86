//! Request parameters as Loki reads them (`pkg/loghttp/params.go`): merged
//! query string and form body, timestamps in ns / seconds / float seconds /
//! RFC3339, `step` and `interval` as float seconds or Prometheus durations,
//! `since`, `limit`, `direction`.

use chrono::DateTime;

use crate::api::error::ApiError;
use crate::model::{Direction, Timestamp};

const NS_PER_SEC: i64 = 1_000_000_000;

/// Loki's cap on points per series of a range query.
pub const MAX_POINTS_PER_SERIES: i64 = 11_000;

/// Query parameters in arrival order (query string first, then form body).
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (also a URL query).
    pub fn parse(query: &str) -> Params {
        Params(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Appends the pairs of another encoded string (a POST form body).
    pub fn extend_from(&mut self, encoded: &str) {
        self.0.extend(Params::parse(encoded).0);
    }

    /// The first value of `key` (Go's `FormValue`); an empty value counts as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a timestamp the way Loki does; `default` when empty.
///
/// Float strings with a `.` are seconds rounded to milliseconds; integers of
/// up to 10 characters are seconds, longer ones nanoseconds; then RFC3339.
/// The error is Go's `strconv.ParseInt` error text.
pub fn parse_timestamp(value: Option<&str>, default: Timestamp) -> Result<Timestamp, String> {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    if v.contains('.') {
        if let Some(f) = parse_go_float(v) {
            let secs = f.trunc();
            let frac = ((f - secs) * 1000.0).round() / 1000.0;
            let ns = (frac * NS_PER_SEC as f64) as i64;
            return Ok((secs as i64).saturating_mul(NS_PER_SEC).saturating_add(ns));
        }
    }
    match v.parse::<i64>() {
        Ok(n) if v.len() <= 10 => Ok(n.saturating_mul(NS_PER_SEC)),
        Ok(n) => Ok(n),
        Err(_) => match DateTime::parse_from_rfc3339(v) {
            Ok(t) => t
                .timestamp_nanos_opt()
                .ok_or_else(|| format!("strconv.ParseInt: parsing {v:?}: value out of range")),
            Err(_) => {
                let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
                let why = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    "value out of range"
                } else {
                    "invalid syntax"
                };
                Err(format!(
                    "strconv.ParseInt: parsing {}: {why}",
                    crate::model::go_quote(v)
                ))
            }
        },
    }
}

/// Go's `strconv.ParseFloat` for the decimal forms Loki's clients send.
fn parse_go_float(v: &str) -> Option<f64> {
    // Rust accepts "inf"/"nan" spellings Go also accepts; both reject "1.5s".
    v.parse::<f64>().ok()
}

/// `step` / `interval`: float seconds, else a Prometheus duration.
pub fn parse_seconds_or_duration(v: &str) -> Result<i64, String> {
    if let Some(f) = parse_go_float(v) {
        let ns = f * NS_PER_SEC as f64;
        if !(i64::MIN as f64..=i64::MAX as f64).contains(&ns) {
            return Err(format!(
                "cannot parse {v:?} to a valid duration. It overflows int64"
            ));
        }
        return Ok(ns as i64);
    }
    parse_prometheus_duration(v).ok_or_else(|| format!("cannot parse {v:?} to a valid duration"))
}

/// Prometheus `model.ParseDuration`: `[0-9]+(y|w|d|h|m|s|ms)` groups, units
/// in descending order, each at most once; `0` alone is allowed.
pub fn parse_prometheus_duration(v: &str) -> Option<i64> {
    if v == "0" {
        return Some(0);
    }
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 86_400 * NS_PER_SEC),
        ("w", 7 * 86_400 * NS_PER_SEC),
        ("d", 86_400 * NS_PER_SEC),
        ("h", 3_600 * NS_PER_SEC),
        ("m", 60 * NS_PER_SEC),
        ("s", NS_PER_SEC),
        ("ms", 1_000_000),
    ];
    let mut rest = v;
    let mut total: i64 = 0;
    let mut last_unit = usize::MAX;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // "ms" must be tried before "m".
        let idx = if rest.starts_with("ms") {
            6
        } else {
            UNITS
                .iter()
                .position(|(u, _)| u.len() == 1 && rest.starts_with(u))?
        };
        if last_unit != usize::MAX && idx <= last_unit {
            return None;
        }
        last_unit = idx;
        rest = &rest[UNITS[idx].0.len()..];
        total = total.checked_add(n.checked_mul(UNITS[idx].1)?)?;
    }
    Some(total)
}

/// `start`/`end`/`since` with Loki's defaults: `end` = now, `since` = 1h,
/// `start` = min(end, now) - since.
pub fn bounds(p: &Params, now: Timestamp) -> Result<(Timestamp, Timestamp), ApiError> {
    let end = parse_timestamp(p.get("end"), now)
        .map_err(|e| ApiError::bad_request(format!("could not parse 'end' parameter: {e}")))?;
    let since = match p.get("since") {
        Some(s) => parse_prometheus_duration(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "could not parse 'since' parameter: cannot parse {s:?} to a valid duration"
            ))
        })?,
        None => 3_600 * NS_PER_SEC,
    };
    let anchor = end.min(now);
    let start = parse_timestamp(p.get("start"), anchor.saturating_sub(since))
        .map_err(|e| ApiError::bad_request(format!("could not parse 'start' parameter: {e}")))?;
    Ok((start, end))
}

/// `limit`: default 100, must be positive.
pub fn limit(p: &Params) -> Result<u32, ApiError> {
    match p.get("limit") {
        None => Ok(100),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n > 0 => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
            Ok(_) => Err(ApiError::bad_request("limit must be a positive value")),
            Err(_) => Err(ApiError::bad_request(format!(
                "strconv.ParseInt: parsing {}: invalid syntax",
                crate::model::go_quote(s)
            ))),
        },
    }
}

/// `direction`: case-insensitive `forward` / `backward`, default backward.
pub fn direction(p: &Params) -> Result<Direction, ApiError> {
    match p.get("direction") {
        None => Ok(Direction::Backward),
        Some(d) => match d.to_ascii_uppercase().as_str() {
            "FORWARD" => Ok(Direction::Forward),
            "BACKWARD" => Ok(Direction::Backward),
            _ => Err(ApiError::bad_request(format!("invalid direction '{d}'"))),
        },
    }
}

/// A parsed `query_range` request.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeQuery {
    /// The LogQL text.
    pub query: String,
    /// Inclusive start, ns.
    pub start: Timestamp,
    /// End, ns (exclusive for log queries, inclusive for metric steps).
    pub end: Timestamp,
    /// Entry limit for log queries.
    pub limit: u32,
    /// Order of log results.
    pub direction: Direction,
    /// Step, ns (> 0).
    pub step: i64,
    /// Minimum spacing of returned log entries, ns (0 = off).
    pub interval: i64,
}

/// Parses `query_range` parameters in Loki's order of checks.
pub fn range_query(p: &Params, now: Timestamp) -> Result<RangeQuery, ApiError> {
    let query = p.get("query").unwrap_or_default().to_string();
    let (start, end) = bounds(p, now)?;
    if end < start {
        return Err(ApiError::bad_request(
            "end timestamp must not be before or equal to start time",
        ));
    }
    let limit = limit(p)?;
    let direction = direction(p)?;
    let step = match p.get("step") {
        Some(s) => parse_seconds_or_duration(s).map_err(ApiError::bad_request)?,
        None => default_step(start, end),
    };
    if step <= 0 {
        return Err(ApiError::bad_request(
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    if (end - start) / step > MAX_POINTS_PER_SERIES {
        return Err(ApiError::bad_request(
            "exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter",
        ));
    }
    let interval = match p.get("interval") {
        Some(s) => parse_seconds_or_duration(s).map_err(ApiError::bad_request)?,
        None => 0,
    };
    if interval < 0 {
        return Err(ApiError::bad_request("interval must be >= 0"));
    }
    Ok(RangeQuery {
        query,
        start,
        end,
        limit,
        direction,
        step,
        interval,
    })
}

/// `max(floor((end - start) / 250s), 1)` seconds, in ns.
pub fn default_step(start: Timestamp, end: Timestamp) -> i64 {
    let secs = ((end - start) as f64 / NS_PER_SEC as f64 / 250.0)
        .floor()
        .max(1.0);
    secs as i64 * NS_PER_SEC
}

/// A parsed instant `query` request.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantQuery {
    /// The LogQL text.
    pub query: String,
    /// Evaluation time, ns.
    pub time: Timestamp,
    /// Entry limit.
    pub limit: u32,
    /// Direction.
    pub direction: Direction,
}

/// Parses instant `query` parameters.
pub fn instant_query(p: &Params, now: Timestamp) -> Result<InstantQuery, ApiError> {
    let query = p.get("query").unwrap_or_default().to_string();
    let time = parse_timestamp(p.get("time"), now).map_err(ApiError::bad_request)?;
    Ok(InstantQuery {
        query,
        time,
        limit: limit(p)?,
        direction: direction(p)?,
    })
}

/// Go's `time.Duration.String()` for whole-nanosecond durations
/// (`745h0m0s`, `1m30s`, `1.5s`, `300ms`, `0s`).
pub fn go_duration_string(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut s = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        s.push_str(&frac_string(u, div));
        s.push_str(unit);
    } else {
        let h = u / 3_600_000_000_000;
        let m = (u / 60_000_000_000) % 60;
        let sec_ns = u % 60_000_000_000;
        if h > 0 {
            s.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            s.push_str(&format!("{m}m"));
        }
        s.push_str(&frac_string(sec_ns, 1_000_000_000));
        s.push('s');
    }
    if neg {
        s.insert(0, '-');
    }
    s
}

fn frac_string(v: u64, div: u64) -> String {
    let whole = v / div;
    let frac = v % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Prometheus `model.Duration.String()` (`30d1h`, `1h30m`, `5m`, `0s`).
pub fn prometheus_duration_string(ns: i64) -> String {
    let mut ms = ns / 1_000_000;
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
        ms = -ms;
    }
    // Years and weeks only when they divide exactly ("90d", not "12w6d").
    let units: [(&str, i64, bool); 7] = [
        ("y", 365 * 86_400_000, true),
        ("w", 7 * 86_400_000, true),
        ("d", 86_400_000, false),
        ("h", 3_600_000, false),
        ("m", 60_000, false),
        ("s", 1_000, false),
        ("ms", 1, false),
    ];
    for (u, size, exact) in units {
        if exact && ms % size != 0 {
            continue;
        }
        let n = ms / size;
        if n > 0 {
            out.push_str(&format!("{n}{u}"));
            ms -= n * size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000 * NS_PER_SEC;

    #[test]
    fn timestamps_in_every_form() {
        let cases: &[(&str, i64)] = &[
            ("1700000000", 1_700_000_000 * NS_PER_SEC),
            ("1700000000000000000", 1_700_000_000 * NS_PER_SEC),
            (
                "1700000000.123456",
                1_700_000_000 * NS_PER_SEC + 123_000_000,
            ),
            ("2024-01-02T03:04:05Z", 1_704_164_645 * NS_PER_SEC),
            ("2024-01-01T00:00:00.000Z", 1_704_067_200 * NS_PER_SEC),
            (
                "2024-01-02T03:04:05.5+01:00",
                1_704_161_045 * NS_PER_SEC + 500_000_000,
            ),
            ("4000000000", 4_000_000_000 * NS_PER_SEC),
        ];
        for (s, want) in cases {
            assert_eq!(parse_timestamp(Some(s), 0).unwrap(), *want, "{s}");
        }
        assert_eq!(parse_timestamp(None, 42).unwrap(), 42);
        assert_eq!(parse_timestamp(Some(""), 42).unwrap(), 42);
        assert_eq!(
            parse_timestamp(Some("abc"), 0).unwrap_err(),
            "strconv.ParseInt: parsing \"abc\": invalid syntax"
        );
    }

    #[test]
    fn steps_and_durations() {
        assert_eq!(parse_seconds_or_duration("60").unwrap(), 60 * NS_PER_SEC);
        assert_eq!(parse_seconds_or_duration("0.5").unwrap(), NS_PER_SEC / 2);
        assert_eq!(
            parse_seconds_or_duration("1h30m").unwrap(),
            5400 * NS_PER_SEC
        );
        assert_eq!(
            parse_seconds_or_duration("15000ms").unwrap(),
            15 * NS_PER_SEC
        );
        assert_eq!(parse_seconds_or_duration("1m0s").unwrap(), 60 * NS_PER_SEC);
        assert!(parse_seconds_or_duration("1.5s").is_err());
        assert!(parse_seconds_or_duration("30m1h").is_err());
        assert_eq!(
            parse_seconds_or_duration("x").unwrap_err(),
            "cannot parse \"x\" to a valid duration"
        );
    }

    #[test]
    fn range_query_defaults_and_errors() {
        let q = range_query(&Params::parse("query=%7Ba%3D%22b%22%7D"), NOW).unwrap();
        assert_eq!(q.end, NOW);
        assert_eq!(q.start, NOW - 3600 * NS_PER_SEC);
        assert_eq!(q.limit, 100);
        assert_eq!(q.direction, Direction::Backward);
        assert_eq!(q.step, 14 * NS_PER_SEC);
        let q = range_query(&Params::parse("since=5m&direction=FORWARD&limit=7"), NOW).unwrap();
        assert_eq!(q.start, NOW - 300 * NS_PER_SEC);
        assert_eq!(q.direction, Direction::Forward);
        assert_eq!(q.limit, 7);
        let err = |s: &str| range_query(&Params::parse(s), NOW).unwrap_err().message;
        assert_eq!(err("limit=0"), "limit must be a positive value");
        assert_eq!(err("direction=up"), "invalid direction 'up'");
        assert_eq!(
            err("start=20&end=10"),
            "end timestamp must not be before or equal to start time"
        );
        assert_eq!(
            err("step=0"),
            "zero or negative query resolution step widths are not accepted. Try a positive integer"
        );
        assert!(err("start=0&end=100000&step=1").starts_with("exceeded maximum resolution"));
        assert_eq!(err("interval=-1"), "interval must be >= 0");
        assert!(err("start=abc").starts_with("could not parse 'start' parameter: strconv.ParseInt"));
    }

    #[test]
    fn future_end_anchors_default_start_at_now() {
        let p = Params::parse(&format!("end={}", NOW + 7200 * NS_PER_SEC));
        let (start, _) = bounds(&p, NOW).unwrap();
        assert_eq!(start, NOW - 3600 * NS_PER_SEC);
    }

    #[test]
    fn form_values_merge_and_repeat() {
        let mut p = Params::parse("match%5B%5D=%7Ba%3D%22b%22%7D&limit=");
        p.extend_from("match[]={c=\"d\"}&limit=5");
        assert_eq!(p.all("match[]").count(), 2);
        // Go's FormValue takes the first value, even an empty one.
        assert_eq!(p.get("limit"), None);
    }

    #[test]
    fn duration_strings_like_go_and_prometheus() {
        assert_eq!(go_duration_string(745 * 3600 * NS_PER_SEC), "745h0m0s");
        assert_eq!(go_duration_string(90 * NS_PER_SEC), "1m30s");
        assert_eq!(go_duration_string(1_500_000_000), "1.5s");
        assert_eq!(go_duration_string(300_000_000), "300ms");
        assert_eq!(prometheus_duration_string(721 * 3600 * NS_PER_SEC), "30d1h");
        assert_eq!(prometheus_duration_string(90 * 60 * NS_PER_SEC), "1h30m");
    }
}

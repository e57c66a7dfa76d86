//! Go formatting conventions that show up verbatim in Loki's push error texts:
//! `%q` of a rune, `%#U`, `time.Time.String()`, `time.RFC3339` and the
//! `datasize` byte sizes used in the per-stream rate limit message.

use std::fmt::Write as _;

use crate::model::go_quote;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Go's `strconv.QuoteRune` (`%q` of a rune): `'a'`, `'\n'`, `'\''`, `'\x00'`.
pub fn quote_rune(c: char) -> String {
    let inner = match c {
        '"' => "\"".to_string(),
        '\'' => "\\'".to_string(),
        _ => {
            let q = go_quote(c.encode_utf8(&mut [0u8; 4]));
            q[1..q.len() - 1].to_string()
        }
    };
    format!("'{inner}'")
}

/// Go's `%#U`: `U+0078 'x'` for printable runes, `U+0007` otherwise.
pub fn unicode_verbose(c: char) -> String {
    let mut out = format!("U+{:04X}", c as u32);
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    let printable = c == '"' || c == '\\' || go_quote(s).len() == s.len() + 2;
    if printable {
        let _ = write!(out, " '{c}'");
    }
    out
}

/// A UTC civil time split out of Unix nanoseconds.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
}

fn civil(ns: i64) -> Civil {
    let secs = ns.div_euclid(NANOS_PER_SECOND);
    let nanos = ns.rem_euclid(NANOS_PER_SECOND) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Days to civil date (proleptic Gregorian), after H. Hinnant.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: sod / 3600,
        minute: sod / 60 % 60,
        second: sod % 60,
        nanos,
    }
}

fn push_year(out: &mut String, year: i64) {
    if year < 0 {
        let _ = write!(out, "-{:04}", -year);
    } else {
        let _ = write!(out, "{year:04}");
    }
}

/// `time.Unix(0, ns).UTC().Format(time.RFC3339)`: `2024-01-01T00:00:00Z`.
pub fn rfc3339(ns: i64) -> String {
    let c = civil(ns);
    let mut out = String::with_capacity(20);
    push_year(&mut out, c.year);
    let _ = write!(
        out,
        "-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.month, c.day, c.hour, c.minute, c.second
    );
    out
}

/// `time.Unix(0, ns).UTC().String()`: `2024-01-01 00:00:00.5 +0000 UTC`
/// (fractional seconds without trailing zeros, omitted when zero).
pub fn time_string(ns: i64) -> String {
    let c = civil(ns);
    let mut out = String::with_capacity(40);
    push_year(&mut out, c.year);
    let _ = write!(
        out,
        "-{:02}-{:02} {:02}:{:02}:{:02}",
        c.month, c.day, c.hour, c.minute, c.second
    );
    if c.nanos != 0 {
        let frac = format!("{:09}", c.nanos);
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

/// The `c2h5oh/datasize` rendering Loki uses for byte sizes: the largest
/// binary unit that divides the value exactly (`3MB`, `1536KB`, `830B`).
pub fn byte_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 6] = [
        (1 << 60, "EB"),
        (1 << 50, "PB"),
        (1 << 40, "TB"),
        (1 << 30, "GB"),
        (1 << 20, "MB"),
        (1 << 10, "KB"),
    ];
    if bytes == 0 {
        return "0B".to_string();
    }
    for (unit, name) in UNITS {
        if bytes % unit == 0 {
            return format!("{}{name}", bytes / unit);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runes_quote_like_go() {
        assert_eq!(quote_rune('a'), "'a'");
        assert_eq!(quote_rune('\''), "'\\''");
        assert_eq!(quote_rune('"'), "'\"'");
        assert_eq!(quote_rune('\n'), "'\\n'");
        assert_eq!(quote_rune('\u{0}'), "'\\x00'");
        assert_eq!(quote_rune('日'), "'日'");
        assert_eq!(unicode_verbose('x'), "U+0078 'x'");
        assert_eq!(unicode_verbose('\u{7}'), "U+0007");
        assert_eq!(unicode_verbose('\u{1F600}'), "U+1F600 '\u{1F600}'");
    }

    #[test]
    fn times_format_like_go() {
        let table = [
            (0, "1970-01-01T00:00:00Z", "1970-01-01 00:00:00 +0000 UTC"),
            (
                1_704_067_200_500_000_000,
                "2024-01-01T00:00:00Z",
                "2024-01-01 00:00:00.5 +0000 UTC",
            ),
            (
                1_768_176_000_005_970_380,
                "2026-01-12T00:00:00Z",
                "2026-01-12 00:00:00.00597038 +0000 UTC",
            ),
            (
                -1,
                "1969-12-31T23:59:59Z",
                "1969-12-31 23:59:59.999999999 +0000 UTC",
            ),
            (
                951_782_400_000_000_000,
                "2000-02-29T00:00:00Z",
                "2000-02-29 00:00:00 +0000 UTC",
            ),
        ];
        for (ns, rfc, s) in table {
            assert_eq!(rfc3339(ns), rfc, "{ns}");
            assert_eq!(time_string(ns), s, "{ns}");
        }
        // Extremes must not panic.
        let _ = rfc3339(i64::MIN);
        let _ = time_string(i64::MAX);
    }

    #[test]
    fn byte_sizes_like_datasize() {
        assert_eq!(byte_size(0), "0B");
        assert_eq!(byte_size(3 << 20), "3MB");
        assert_eq!(byte_size(1536 << 10), "1536KB");
        assert_eq!(byte_size(830), "830B");
        assert_eq!(byte_size(4 << 30), "4GB");
    }
}

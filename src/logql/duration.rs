//! Durations and byte sizes as LogQL reads and prints them.
//!
//! Three syntaxes meet in LogQL (logql.md §1.6, §1.7):
//! - Prometheus durations (`model.ParseDuration`): `[5m]` ranges, and the first
//!   try for durations elsewhere; integer groups of `y w d h m s ms`, units in
//!   descending order, each at most once.
//! - Go durations (`time.ParseDuration`): the fallback for literals, and the
//!   only syntax for label values compared by duration filters and
//!   `unwrap duration()`; fractions, signs, `ns us µs ms s m h`.
//! - Byte sizes (`humanize.ParseBytes`): `10KB`, `1.5KiB`, `5 MiB`, `3k`.
//!
//! Error texts are Go's, because Loki shows them to users (for example in
//! `__error_details__`).

use crate::model::go_quote;

const NS_PER_MS: u64 = 1_000_000;
const NS_PER_S: u64 = 1_000_000_000;
const NS_PER_MIN: u64 = 60 * NS_PER_S;
const NS_PER_H: u64 = 60 * NS_PER_MIN;
const NS_PER_D: u64 = 24 * NS_PER_H;
const NS_PER_W: u64 = 7 * NS_PER_D;
const NS_PER_Y: u64 = 365 * NS_PER_D;
const MAX_DURATION: u64 = i64::MAX as u64;

/// Parses a Prometheus duration (`1h30m`, `7d`, `500ms`, `0`) into nanoseconds.
pub fn parse_prometheus_duration(s: &str) -> Result<i64, String> {
    match s {
        "0" => return Ok(0),
        "" => return Err("empty duration string".to_string()),
        _ => {}
    }
    let invalid = || format!("not a valid duration string: {}", go_quote(s));
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut last_pos = 0;
    while i < bytes.len() {
        let digits_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            return Err(invalid());
        }
        let value: u64 = s[digits_start..i].parse().map_err(|_| invalid())?;
        let unit_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == unit_start {
            return Err(invalid());
        }
        let unit = &s[unit_start..i];
        let (pos, mult) = match unit {
            "y" => (1, NS_PER_Y),
            "w" => (2, NS_PER_W),
            "d" => (3, NS_PER_D),
            "h" => (4, NS_PER_H),
            "m" => (5, NS_PER_MIN),
            "s" => (6, NS_PER_S),
            "ms" => (7, NS_PER_MS),
            _ => {
                return Err(format!(
                    "unknown unit {} in duration {}",
                    go_quote(unit),
                    go_quote(s)
                ))
            }
        };
        if pos <= last_pos {
            return Err(invalid());
        }
        last_pos = pos;
        if value > (1u64 << 63) / mult {
            return Err("duration out of range".to_string());
        }
        total += value * mult;
        if total > MAX_DURATION {
            return Err("duration out of range".to_string());
        }
    }
    Ok(total as i64)
}

/// Parses a Go duration (`1.5h`, `-300ms`, `10µs`, `0`) into nanoseconds,
/// with `time.ParseDuration`'s error texts (`time: invalid duration "oops"`).
pub fn parse_go_duration(s: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", time_quote(s));
    let mut rest = s.as_bytes();
    let mut neg = false;
    if let Some((&c, tail)) = rest.split_first() {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            rest = tail;
        }
    }
    if rest == b"0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !(rest[0] == b'.' || rest[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Integer part.
        let mut v: u64 = 0;
        let mut i = 0;
        while i < rest.len() && rest[i].is_ascii_digit() {
            if v > (1u64 << 63) / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(rest[i] - b'0');
            if v > 1u64 << 63 {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        rest = &rest[i..];
        // Fraction.
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if rest.first() == Some(&b'.') {
            rest = &rest[1..];
            let mut j = 0;
            let mut overflow = false;
            while j < rest.len() && rest[j].is_ascii_digit() {
                if !overflow {
                    if f > (MAX_DURATION) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(rest[j] - b'0');
                        if y > 1u64 << 63 {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                j += 1;
            }
            post = j > 0;
            rest = &rest[j..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        // Unit: everything up to the next digit or dot.
        let mut k = 0;
        while k < rest.len() && !(rest[k] == b'.' || rest[k].is_ascii_digit()) {
            k += 1;
        }
        if k == 0 {
            return Err(format!("time: missing unit in duration {}", time_quote(s)));
        }
        let unit = &rest[..k];
        rest = &rest[k..];
        let mult = match unit {
            b"ns" => 1,
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => NS_PER_MS,
            b"s" => NS_PER_S,
            b"m" => NS_PER_MIN,
            b"h" => NS_PER_H,
            _ => {
                let unit = String::from_utf8_lossy(unit);
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    time_quote(&unit),
                    time_quote(s)
                ));
            }
        };
        if v > (1u64 << 63) / mult {
            return Err(invalid());
        }
        v *= mult;
        if f > 0 {
            v += (f as f64 * (mult as f64 / scale)) as u64;
            if v > 1u64 << 63 {
                return Err(invalid());
            }
        }
        total += v;
        if total > 1u64 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((total as i64).wrapping_neg());
    }
    if total > MAX_DURATION {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// Parses a duration literal of a LogQL query outside `[...]`: Prometheus
/// syntax first, then Go syntax (Loki's `parseDuration` in the lexer).
pub fn parse_literal_duration(s: &str) -> Option<i64> {
    parse_prometheus_duration(s)
        .or_else(|_| parse_go_duration(s))
        .ok()
}

/// Parses a byte size the way `humanize.ParseBytes` does: a number (commas
/// allowed), optional spaces, then a case-insensitive SI (`kB`, `MB`) or IEC
/// (`KiB`, `MiB`) unit, or a bare prefix (`k`, `Mi`); no unit means bytes.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let bytes = s.as_bytes();
    let mut end = 0;
    let mut has_comma = false;
    while end < bytes.len()
        && (bytes[end].is_ascii_digit() || bytes[end] == b'.' || bytes[end] == b',')
    {
        has_comma |= bytes[end] == b',';
        end += 1;
    }
    let num_text = &s[..end];
    let cleaned;
    let num = if has_comma {
        cleaned = num_text.replace(',', "");
        cleaned.as_str()
    } else {
        num_text
    };
    let f = crate::logql::number::parse_go_float(num)?;
    let unit = s[end..].trim().to_ascii_lowercase();
    let mult: u64 = match unit.as_str() {
        "b" | "" => 1,
        "kib" | "ki" => 1 << 10,
        "kb" | "k" => 1_000,
        "mib" | "mi" => 1 << 20,
        "mb" | "m" => 1_000_000,
        "gib" | "gi" => 1 << 30,
        "gb" | "g" => 1_000_000_000,
        "tib" | "ti" => 1 << 40,
        "tb" | "t" => 1_000_000_000_000,
        "pib" | "pi" => 1 << 50,
        "pb" | "p" => 1_000_000_000_000_000,
        "eib" | "ei" => 1 << 60,
        "eb" | "e" => 1_000_000_000_000_000_000,
        _ => return Err(format!("unhandled size name: {unit}")),
    };
    let value = f * mult as f64;
    // 2^64 as a float: anything at or above does not fit.
    if value >= 18_446_744_073_709_551_616.0 {
        return Err(format!("too large: {s}"));
    }
    // Go converts with truncation; negative values cannot occur (no sign).
    Ok(value as u64)
}

/// Formats nanoseconds the way Prometheus prints `model.Duration`
/// (`1h30m`, `7d`, `1w`, `0s`): the canonical text of a `[range]`.
/// Sub-millisecond parts are dropped, as Prometheus does.
pub fn format_prometheus_duration(ns: i64) -> String {
    let mut ms = ns / NS_PER_MS as i64;
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
        ms = -ms;
    }
    let ms_per = |ns: u64| (ns / NS_PER_MS) as i64;
    let units: [(&str, i64, bool); 7] = [
        ("y", ms_per(NS_PER_Y), true),
        ("w", ms_per(NS_PER_W), true),
        ("d", ms_per(NS_PER_D), false),
        ("h", ms_per(NS_PER_H), false),
        ("m", ms_per(NS_PER_MIN), false),
        ("s", ms_per(NS_PER_S), false),
        ("ms", 1, false),
    ];
    for (unit, mult, exact) in units {
        if exact && ms % mult != 0 {
            continue;
        }
        let v = ms / mult;
        if v > 0 {
            out.push_str(&v.to_string());
            out.push_str(unit);
            ms -= v * mult;
        }
    }
    out
}

/// Formats nanoseconds the way Go prints `time.Duration` (`1h30m0s`,
/// `1.5s`, `-5m0s`, `500ns`, `0s`): the canonical text of an `offset` or a
/// duration literal, and the form Loki uses in error messages.
pub fn format_go_duration(ns: i64) -> String {
    let neg = ns < 0;
    let mut u = ns.unsigned_abs();
    let mut out = String::new();
    if u < NS_PER_S {
        if u == 0 {
            return "0s".to_string();
        }
        let (scale, unit) = if u < 1_000 {
            (1, "ns")
        } else if u < NS_PER_MS {
            (1_000, "µs")
        } else {
            (NS_PER_MS, "ms")
        };
        out.push_str(&fraction(u, scale));
        out.push_str(unit);
    } else {
        let h = u / NS_PER_H;
        u -= h * NS_PER_H;
        let m = u / NS_PER_MIN;
        u -= m * NS_PER_MIN;
        if h > 0 {
            out.push_str(&h.to_string());
            out.push('h');
        }
        if h > 0 || m > 0 {
            out.push_str(&m.to_string());
            out.push('m');
        }
        out.push_str(&fraction(u, NS_PER_S));
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `v / scale` with the fraction digits Go prints (no trailing zeros).
fn fraction(v: u64, scale: u64) -> String {
    let int = v / scale;
    let mut frac = v % scale;
    if frac == 0 {
        return int.to_string();
    }
    let mut width = scale.ilog10() as usize;
    while frac % 10 == 0 {
        frac /= 10;
        width -= 1;
    }
    format!("{int}.{frac:0width$}")
}

/// Quotes like the Go `time` package's private `quote`: `"` and `\`
/// escaped, non-ASCII and control bytes as `\xNN`.
fn time_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if (c as u32) < 0x20 || (c as u32) >= 0x80 {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn prometheus_durations() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("0s", 0),
            ("30s", 30 * S),
            ("500ms", 500_000_000),
            ("1h30m", 90 * 60 * S),
            ("2h15m30s", (2 * 3600 + 15 * 60 + 30) * S),
            ("1d12h", 36 * 3600 * S),
            ("1w", 7 * 86400 * S),
            ("1y", 365 * 86400 * S),
        ];
        for (text, want) in ok {
            assert_eq!(parse_prometheus_duration(text), Ok(*want), "{text}");
        }
        let bad: &[(&str, &str)] = &[
            ("", "empty duration string"),
            ("30m1h", r#"not a valid duration string: "30m1h""#),
            ("1.5h", r#"unknown unit "." in duration "1.5h""#),
            ("5M", r#"unknown unit "M" in duration "5M""#),
            ("-5m", r#"not a valid duration string: "-5m""#),
            (" 5m ", r#"not a valid duration string: " 5m ""#),
            ("5", r#"not a valid duration string: "5""#),
            ("1m1m", r#"not a valid duration string: "1m1m""#),
            ("300y", "duration out of range"),
            ("10ns", r#"unknown unit "ns" in duration "10ns""#),
        ];
        for (text, want) in bad {
            assert_eq!(
                parse_prometheus_duration(text).unwrap_err(),
                *want,
                "{text}"
            );
        }
    }

    #[test]
    fn go_durations() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("-0", 0),
            ("1.5h", 5400 * S),
            ("300ms", 300_000_000),
            ("10us", 10_000),
            ("10µs", 10_000),
            ("10μs", 10_000),
            ("500ns", 500),
            ("1h30m", 5400 * S),
            ("-5m", -300 * S),
            ("+5s", 5 * S),
            (".5s", S / 2),
            ("1.s", S),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
        ];
        for (text, want) in ok {
            assert_eq!(parse_go_duration(text), Ok(*want), "{text}");
        }
        let bad: &[(&str, &str)] = &[
            ("oops", r#"time: invalid duration "oops""#),
            ("", r#"time: invalid duration """#),
            ("1", r#"time: missing unit in duration "1""#),
            ("1m30", r#"time: missing unit in duration "1m30""#),
            ("1d", r#"time: unknown unit "d" in duration "1d""#),
            ("1 h", r#"time: unknown unit " h" in duration "1 h""#),
            (".s", r#"time: invalid duration ".s""#),
            (
                "1é",
                r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#,
            ),
            (
                "2562047h47m16.854775808s",
                r#"time: invalid duration "2562047h47m16.854775808s""#,
            ),
        ];
        for (text, want) in bad {
            assert_eq!(parse_go_duration(text).unwrap_err(), *want, "{text}");
        }
    }

    #[test]
    fn literal_durations_try_prometheus_then_go() {
        assert_eq!(parse_literal_duration("1d"), Some(86400 * S));
        assert_eq!(parse_literal_duration("1.5h"), Some(5400 * S));
        assert_eq!(parse_literal_duration("-5m"), Some(-300 * S));
        assert_eq!(parse_literal_duration("-1d"), None);
        assert_eq!(parse_literal_duration("1m30"), None);
    }

    #[test]
    fn byte_sizes() {
        let ok: &[(&str, u64)] = &[
            ("0", 0),
            ("512B", 512),
            ("1KB", 1000),
            ("1kB", 1000),
            ("1kb", 1000),
            ("1.5KiB", 1536),
            ("10MB", 10_000_000),
            ("10MiB", 10 << 20),
            ("2GB", 2_000_000_000),
            ("1TiB", 1 << 40),
            ("1PB", 1_000_000_000_000_000),
            ("10k", 10_000),
            ("1Mi", 1 << 20),
            ("5 MiB", 5 << 20),
            ("1,000", 1000),
            ("1EB", 1_000_000_000_000_000_000),
        ];
        for (text, want) in ok {
            assert_eq!(parse_bytes(text), Ok(*want), "{text}");
        }
        let bad: &[(&str, &str)] = &[
            ("KB", r#"strconv.ParseFloat: parsing "": invalid syntax"#),
            ("-5KB", r#"strconv.ParseFloat: parsing "": invalid syntax"#),
            ("5 XB", "unhandled size name: xb"),
            (
                "1.2.3",
                r#"strconv.ParseFloat: parsing "1.2.3": invalid syntax"#,
            ),
            ("100EB", "too large: 100EB"),
        ];
        for (text, want) in bad {
            assert_eq!(parse_bytes(text).unwrap_err(), *want, "{text}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for ns in [
            0,
            30 * S,
            90 * 60 * S,
            86400 * S,
            7 * 86400 * S,
            365 * 86400 * S,
            1_500_000,
        ] {
            let text = format_prometheus_duration(ns);
            assert_eq!(
                parse_prometheus_duration(&text),
                Ok(ns / 1_000_000 * 1_000_000),
                "{text}"
            );
        }
        assert_eq!(format_prometheus_duration(90 * 60 * S), "1h30m");
        assert_eq!(format_prometheus_duration(90 * 86400 * S), "90d");
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (500, "500ns"),
            (1_500, "1.5µs"),
            (300_000_000, "300ms"),
            (S + S / 2, "1.5s"),
            (5400 * S, "1h30m0s"),
            (-300 * S, "-5m0s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (ns, text) in cases {
            assert_eq!(format_go_duration(*ns), *text);
            assert_eq!(parse_go_duration(text), Ok(*ns));
        }
    }
}

//! Time functions (`__timestamp__`, `now`, `date`, `toDate`, `toDateInZone`,
//! `unixEpoch*`, `unixToTime`), the `time.Time` methods templates may call,
//! `__line__`, and Loki's unit conversions `bytes` and `duration`.

use super::Env;
use crate::logql::template::gonum;
use crate::logql::template::gotime::{self, GoTime, Zone};
use crate::logql::template::value::Value;

type R<'a> = Result<Value<'a>, String>;

fn s<'v>(args: &'v [Value], i: usize) -> &'v str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

fn time_arg(args: &[Value], i: usize) -> GoTime {
    match args.get(i) {
        Some(Value::Time(t)) => *t,
        _ => GoTime::zero(),
    }
}

pub(super) fn line<'a>(env: &Env<'a>, _: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::str(env.ctx.line()))
}

pub(super) fn timestamp<'a>(env: &Env<'a>, _: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Time(GoTime::unix(0, env.ctx.timestamp())))
}

pub(super) fn now<'a>(env: &Env<'a>, _: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Time(GoTime::unix(0, env.ctx.now())))
}

/// sprig `date layout t`: formats in the server zone (UTC). A time, or an
/// `int`/`int64` of Unix seconds; anything else (a string label!) formats
/// the current time.
pub(super) fn date<'a>(env: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let t = match a.get(1) {
        Some(Value::Time(t)) => *t,
        Some(Value::Int(i) | Value::Int64(i)) => GoTime::unix(*i, 0),
        _ => GoTime::unix(0, env.ctx.now()),
    };
    let mut out = String::new();
    t.in_zone(Zone::UTC).format(&mut out, s(a, 0));
    Ok(Value::string(out))
}

/// sprig `toDate layout s`: parsed in the server zone; failure is the zero time.
pub(super) fn to_date<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let t = gotime::parse_in_location(s(a, 0), s(a, 1), Zone::UTC).unwrap_or_else(GoTime::zero);
    Ok(Value::Time(t))
}

/// Loki `toDateInZone layout zone s`: an unknown zone means UTC; failure is
/// the zero time.
pub(super) fn to_date_in_zone<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let loc = gotime::load_location(s(a, 1)).unwrap_or(Zone::UTC);
    let t = gotime::parse_in_location(s(a, 0), s(a, 2), loc).unwrap_or_else(GoTime::zero);
    Ok(Value::Time(t))
}

pub(super) fn unix_epoch<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::string(time_arg(a, 0).sec.to_string()))
}

pub(super) fn unix_epoch_millis<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::string(time_arg(a, 0).unix_milli().to_string()))
}

pub(super) fn unix_epoch_nanos<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::string(time_arg(a, 0).unix_nano().to_string()))
}

/// `strconv.ParseInt(s, 10, 64)`.
fn parse_int10(src: &str) -> Result<i64, String> {
    let digits = src.strip_prefix(['+', '-']).unwrap_or(src);
    let bad = |kind: gonum::NumErr| {
        format!(
            "strconv.ParseInt: parsing {}: {}",
            crate::logql::template::printf::go_quote(src),
            kind.text()
        )
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(gonum::NumErr::Syntax));
    }
    src.parse::<i64>().map_err(|_| bad(gonum::NumErr::Range))
}

/// Loki `unixToTime s`: Unix time whose unit follows from its digit count
/// (5 days, 10 seconds, 13 ms, 16 µs, 19 ns).
pub(super) fn unix_to_time<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let epoch = s(a, 0);
    let i = parse_int10(epoch).map_err(|e| format!("unable to parse time '{epoch}': {e}"))?;
    let t = match epoch.len() {
        5 => GoTime::unix(i.wrapping_mul(86_400), 0),
        10 => GoTime::unix(i, 0),
        13 => GoTime::unix(0, i.wrapping_mul(1_000_000)),
        16 => GoTime::unix(0, i.wrapping_mul(1_000)),
        19 => GoTime::unix(0, i),
        _ => return Err(format!("unable to parse time '{epoch}': %!w(<nil>)")),
    };
    Ok(Value::Time(t))
}

/// Loki `duration` / `duration_seconds`: a Go duration in seconds.
pub(super) fn duration<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let ns = gotime::parse_duration(s(a, 0))?;
    Ok(Value::Float(gotime::duration_seconds(ns)))
}

/// Loki `bytes`: go-humanize's `ParseBytes`, as a float.
pub(super) fn bytes<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Float(parse_bytes(s(a, 0))? as f64))
}

fn parse_bytes(src: &str) -> Result<u64, String> {
    let last = src
        .bytes()
        .take_while(|&b| b.is_ascii_digit() || b == b'.' || b == b',')
        .count();
    let num = src[..last].replace(',', "");
    let f = gonum::parse_float(&num).map_err(|e| gonum::parse_float_error(&num, e))?;
    let extra = src[last..].trim().to_lowercase();
    let mult: u64 = match extra.as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "ki" | "kib" => 1 << 10,
        "m" | "mb" => 1000_u64.pow(2),
        "mi" | "mib" => 1 << 20,
        "g" | "gb" => 1000_u64.pow(3),
        "gi" | "gib" => 1 << 30,
        "t" | "tb" => 1000_u64.pow(4),
        "ti" | "tib" => 1 << 40,
        "p" | "pb" => 1000_u64.pow(5),
        "pi" | "pib" => 1 << 50,
        "e" | "eb" => 1000_u64.pow(6),
        "ei" | "eib" => 1 << 60,
        _ => return Err(format!("unhandled size name: {extra}")),
    };
    let v = f * mult as f64;
    if v >= u64::MAX as f64 {
        return Err(format!("too large: {src}"));
    }
    Ok(v as u64)
}

// --- time.Time methods (receiver first) ---------------------------------

pub(super) fn m_format<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let mut out = String::new();
    time_arg(a, 0).format(&mut out, s(a, 1));
    Ok(Value::string(out))
}

pub(super) fn m_string<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let mut out = String::new();
    time_arg(a, 0).write_string(&mut out);
    Ok(Value::string(out))
}

pub(super) fn m_unix<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int64(time_arg(a, 0).sec))
}

pub(super) fn m_unix_milli<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int64(time_arg(a, 0).unix_milli()))
}

pub(super) fn m_unix_micro<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int64(time_arg(a, 0).unix_micro()))
}

pub(super) fn m_unix_nano<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int64(time_arg(a, 0).unix_nano()))
}

pub(super) fn m_year<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int(time_arg(a, 0).civil().year))
}

pub(super) fn m_month<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Month(time_arg(a, 0).civil().month as u8))
}

pub(super) fn m_day<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int(i64::from(time_arg(a, 0).civil().day)))
}

pub(super) fn m_hour<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int(i64::from(time_arg(a, 0).civil().hour)))
}

pub(super) fn m_minute<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int(i64::from(time_arg(a, 0).civil().min)))
}

pub(super) fn m_second<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int(i64::from(time_arg(a, 0).civil().sec)))
}

pub(super) fn m_nanosecond<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int(i64::from(time_arg(a, 0).nsec)))
}

pub(super) fn m_year_day<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int(i64::from(time_arg(a, 0).civil().yday)))
}

pub(super) fn m_weekday<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Weekday(time_arg(a, 0).civil().weekday as u8))
}

pub(super) fn m_utc<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Time(time_arg(a, 0).in_zone(Zone::UTC)))
}

pub(super) fn m_is_zero<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Bool(time_arg(a, 0).is_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanize_bytes() {
        assert_eq!(parse_bytes("42MB"), Ok(42_000_000));
        assert_eq!(parse_bytes("42mib"), Ok(44_040_192));
        assert_eq!(parse_bytes("1.5 KiB"), Ok(1536));
        assert_eq!(parse_bytes("1181KB"), Ok(1_181_000));
        assert_eq!(parse_bytes("1,000"), Ok(1000));
        assert_eq!(parse_bytes("10"), Ok(10));
        assert_eq!(
            parse_bytes(""),
            Err(r#"strconv.ParseFloat: parsing "": invalid syntax"#.to_string())
        );
        assert_eq!(
            parse_bytes("5 XB"),
            Err("unhandled size name: xb".to_string())
        );
    }

    #[test]
    fn int10() {
        assert_eq!(parse_int10("-1234"), Ok(-1234));
        assert!(parse_int10("0x10").is_err());
        assert_eq!(
            parse_int10("abc"),
            Err(r#"strconv.ParseInt: parsing "abc": invalid syntax"#.to_string())
        );
    }
}

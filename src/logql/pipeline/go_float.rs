//! Go's `strconv.ParseFloat(s, 64)`: what numeric label filters and
//! `unwrap` accept, with Go's error texts (they end up in
//! `__error_details__`).

use crate::model::go_quote;

/// Parses `s` like Go's `strconv.ParseFloat(s, 64)`. The error is Go's
/// message, e.g. `strconv.ParseFloat: parsing "abc": invalid syntax`.
pub fn parse_go_float(s: &str) -> Result<f64, String> {
    match parse(s) {
        Some(Ok(v)) => Ok(v),
        Some(Err(())) => Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(s)
        )),
        None => Err(format!("strconv.ParseFloat: parsing {}: invalid syntax", go_quote(s))),
    }
}

/// None: syntax error; Some(Err): out of range.
fn parse(s: &str) -> Option<Result<f64, ()>> {
    if let Some(v) = special(s) {
        return Some(Ok(v));
    }
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let b = body.as_bytes();
    if b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        return hex(&body[2..]).map(|r| r.map(|v| if neg { -v } else { v }));
    }
    if !decimal_syntax(b) {
        return None;
    }
    let v: f64 = body.parse().ok()?;
    if v.is_infinite() {
        return Some(Err(()));
    }
    Some(Ok(if neg { -v } else { v }))
}

/// `inf`, `infinity` (any case, optional sign) and `nan` (any case, no sign).
fn special(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    }
}

/// `digits [. digits] [e [+-] digits]` with at least one mantissa digit.
fn decimal_syntax(b: &[u8]) -> bool {
    let mut i = 0;
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// A hexadecimal float after `0x`: hex mantissa (optional point, `_`
/// between digits) and a mandatory binary exponent `p[+-]digits`.
fn hex(b: &str) -> Option<Result<f64, ()>> {
    let b = b.as_bytes();
    let mut i = 0;
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut seen_point = false;
    let mut prev_underscore = false;
    while i < b.len() {
        let c = b[i];
        if c == b'_' {
            if prev_underscore {
                return None;
            }
            prev_underscore = true;
            i += 1;
            continue;
        }
        prev_underscore = false;
        if c == b'.' {
            if seen_point {
                return None;
            }
            seen_point = true;
            i += 1;
            continue;
        }
        let Some(d) = (c as char).to_digit(16) else {
            break;
        };
        digits += 1;
        if mant >> 60 == 0 {
            mant = mant * 16 + u64::from(d);
            if seen_point {
                exp -= 4;
            }
        } else if !seen_point {
            exp += 4;
        }
        i += 1;
    }
    if digits == 0 || prev_underscore || i >= b.len() || (b[i] != b'p' && b[i] != b'P') {
        return None;
    }
    i += 1;
    let mut eneg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        eneg = b[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut e: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        e = (e * 10 + i64::from(b[i] - b'0')).min(100_000);
        i += 1;
    }
    if i == start || i != b.len() {
        return None;
    }
    let total = exp + if eneg { -e } else { e };
    let v = (mant as f64) * 2f64.powi(total.clamp(-2000, 2000) as i32);
    if v.is_infinite() {
        return Some(Err(()));
    }
    Some(Ok(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_go_accepts() {
        let ok: &[(&str, f64)] = &[
            ("200", 200.0),
            ("-1", -1.0),
            ("+1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1.50", 1.5),
            ("1E-2", 0.01),
            ("Inf", f64::INFINITY),
            ("-infinity", f64::NEG_INFINITY),
            ("0x1p-2", 0.25),
            ("0x1.8p1", 3.0),
            ("0X_1p4", 16.0),
        ];
        for (s, want) in ok {
            assert_eq!(parse_go_float(s), Ok(*want), "{s}");
        }
        assert!(parse_go_float("NaN").unwrap().is_nan());
    }

    #[test]
    fn rejects_with_go_messages() {
        let bad: &[(&str, &str)] = &[
            ("abc", r#"strconv.ParseFloat: parsing "abc": invalid syntax"#),
            ("", r#"strconv.ParseFloat: parsing "": invalid syntax"#),
            ("1_000", r#"strconv.ParseFloat: parsing "1_000": invalid syntax"#),
            (" 1", r#"strconv.ParseFloat: parsing " 1": invalid syntax"#),
            ("1e", r#"strconv.ParseFloat: parsing "1e": invalid syntax"#),
            ("+nan", r#"strconv.ParseFloat: parsing "+nan": invalid syntax"#),
            ("infin", r#"strconv.ParseFloat: parsing "infin": invalid syntax"#),
            ("0x1", r#"strconv.ParseFloat: parsing "0x1": invalid syntax"#),
            ("1e400", r#"strconv.ParseFloat: parsing "1e400": value out of range"#),
            ("12ms", r#"strconv.ParseFloat: parsing "12ms": invalid syntax"#),
        ];
        for (s, want) in bad {
            assert_eq!(parse_go_float(s).unwrap_err(), *want, "{s}");
        }
    }
}

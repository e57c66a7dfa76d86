//! Go's `strconv.ParseFloat`: what LogQL number literals and numeric label
//! filters accept.
//!
//! Decimal (`1.5e3`, `.5`, `1_000`), hexadecimal with a binary exponent
//! (`0x1p-2`), and `inf` / `infinity` / `nan` in any case. Values that
//! overflow are errors ("value out of range"); underflow gives zero.

use crate::model::go_quote;

/// Parses `s` like `strconv.ParseFloat(s, 64)`, with Go's error texts:
/// `strconv.ParseFloat: parsing "abc": invalid syntax`.
pub fn parse_go_float(s: &str) -> Result<f64, String> {
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(s)
        )
    };
    if let Some(v) = special(s) {
        return Ok(v);
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let value =
        if body.len() > 2 && body.as_bytes()[0] == b'0' && (body.as_bytes()[1] | 0x20) == b'x' {
            parse_hex(&body[2..]).ok_or_else(syntax)?
        } else {
            parse_decimal(body).ok_or_else(syntax)?
        };
    if value.is_infinite() {
        return Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(s)
        ));
    }
    Ok(if neg { -value } else { value })
}

/// The value `strconv.ParseFloat` returns beside its error, for callers
/// that ignore the error as Loki's numeric label filters do: 0 for bad
/// syntax, ±infinity for an out-of-range value.
pub fn go_float_value(s: &str) -> f64 {
    match parse_go_float(s) {
        Ok(v) => v,
        Err(e) if e.ends_with("value out of range") => {
            if s.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        Err(_) => 0.0,
    }
}

/// `inf`, `+Inf`, `-infinity`, `NaN` (no sign on NaN), case-insensitive.
fn special(s: &str) -> Option<f64> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'+') => (1.0, &s[1..]),
        Some(b'-') => (-1.0, &s[1..]),
        _ => (0.0, s),
    };
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        return Some(if sign < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if sign == 0.0 && body.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    None
}

/// Decimal mantissa with optional fraction and exponent; `_` only between
/// digits.
fn parse_decimal(body: &str) -> Option<f64> {
    let b = body.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    let mut cleaned: Option<String> = None;
    let mut prev_digit = false;
    let push = |i: usize, cleaned: &mut Option<String>| {
        if let Some(c) = cleaned.as_mut() {
            c.push(b[i] as char);
        }
    };
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => {
                digits += 1;
                prev_digit = true;
                push(i, &mut cleaned);
            }
            b'_' => {
                if !prev_digit || !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
                if cleaned.is_none() {
                    cleaned = Some(body[..i].to_string());
                }
                prev_digit = false;
            }
            b'.' => {
                prev_digit = false;
                push(i, &mut cleaned);
            }
            _ => break,
        }
        i += 1;
    }
    if digits == 0 || body[..i].matches('.').count() > 1 {
        return None;
    }
    if i < b.len() {
        if b[i] | 0x20 != b'e' {
            return None;
        }
        let exp = &body[i + 1..];
        let exp_digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp_digits.is_empty() || !exp_digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if let Some(c) = cleaned.as_mut() {
            c.push_str(&body[i..]);
        }
    }
    match cleaned {
        Some(c) => c.parse().ok(),
        None => body.parse().ok(),
    }
}

/// Hexadecimal mantissa (after `0x`) with a mandatory `p` exponent.
fn parse_hex(body: &str) -> Option<f64> {
    let b = body.as_bytes();
    let mut i = 0;
    let mut mant: u64 = 0;
    let mut sticky = false;
    let mut exp: i64 = 0;
    let mut seen_dot = false;
    let mut digits = 0;
    // The `0x` prefix counts as a digit for `_` placement, as in Go.
    let mut prev_digit = true;
    while i < b.len() {
        let c = b[i];
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b'_' => {
                if !prev_digit || !b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) {
                    return None;
                }
                prev_digit = false;
                i += 1;
                continue;
            }
            b'.' if !seen_dot => {
                seen_dot = true;
                prev_digit = false;
                i += 1;
                continue;
            }
            _ => break,
        };
        digits += 1;
        prev_digit = true;
        if mant >> 60 == 0 {
            mant = mant << 4 | u64::from(d);
            if seen_dot {
                exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !seen_dot {
                exp += 4;
            }
        }
        i += 1;
    }
    if digits == 0 || i >= b.len() || b[i] | 0x20 != b'p' {
        return None;
    }
    let exp_text = &body[i + 1..];
    let (exp_neg, exp_digits) = match exp_text.as_bytes().first() {
        Some(b'+') => (false, &exp_text[1..]),
        Some(b'-') => (true, &exp_text[1..]),
        _ => (false, exp_text),
    };
    if exp_digits.is_empty() || !exp_digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let e: i64 = exp_digits.parse().unwrap_or(i64::MAX / 4).min(100_000);
    exp += if exp_neg { -e } else { e };
    if mant == 0 {
        return Some(0.0);
    }
    // Round the mantissa to 53 bits (nearest, ties to even), then scale.
    let shift = 64 - mant.leading_zeros() as i64 - 53;
    let mut m = mant;
    if shift > 0 {
        let half = 1u64 << (shift - 1);
        let rem = m & ((1u64 << shift) - 1);
        m >>= shift;
        if rem > half || (rem == half && (sticky || m & 1 == 1)) {
            m += 1;
        }
        exp += shift;
    }
    let mut v = m as f64;
    // Scale in steps so intermediate powers stay finite.
    while exp > 0 {
        let step = exp.min(1000);
        v *= 2f64.powi(step as i32);
        exp -= step;
    }
    while exp < 0 {
        let step = (-exp).min(1000);
        v /= 2f64.powi(step as i32);
        exp += step;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_go_float_syntax() {
        let ok: &[(&str, f64)] = &[
            ("1", 1.0),
            ("1.5", 1.5),
            (".5", 0.5),
            ("1.", 1.0),
            ("1e3", 1000.0),
            ("1.5E-3", 0.0015),
            ("1_000", 1000.0),
            ("1_000.5_5", 1000.55),
            ("0755", 755.0),
            ("+3", 3.0),
            ("-3", -3.0),
            ("0x1p4", 16.0),
            ("0x1.8p1", 3.0),
            ("0X_1p-2", 0.25),
            ("1e-400", 0.0),
        ];
        for (text, want) in ok {
            assert_eq!(parse_go_float(text), Ok(*want), "{text}");
        }
        assert!(parse_go_float("NaN").unwrap().is_nan());
        assert_eq!(go_float_value("0x1F"), 0.0);
        assert_eq!(go_float_value("1e400"), f64::INFINITY);
        assert_eq!(go_float_value("-1e400"), f64::NEG_INFINITY);
        assert_eq!(go_float_value("2.5"), 2.5);
        assert_eq!(parse_go_float("-Inf"), Ok(f64::NEG_INFINITY));
        assert_eq!(parse_go_float("+infinity"), Ok(f64::INFINITY));
    }

    #[test]
    fn rejects_what_go_rejects() {
        let syntax = [
            "", "abc", "0x1F", "1__0", "_1", "1_", "1e", "1e+", "-nan", "1.2.3", "0b1", "0o7",
            " 1", "1 ", "1,5",
        ];
        for text in syntax {
            assert_eq!(
                parse_go_float(text).unwrap_err(),
                format!(
                    "strconv.ParseFloat: parsing {}: invalid syntax",
                    go_quote(text)
                ),
                "{text}"
            );
        }
        assert_eq!(
            parse_go_float("1e400").unwrap_err(),
            r#"strconv.ParseFloat: parsing "1e400": value out of range"#
        );
    }
}

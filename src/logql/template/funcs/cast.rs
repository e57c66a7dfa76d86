//! spf13/cast's conversions as sprig uses them (`toInt64`, `toFloat64`):
//! numeric strings are parsed, a decimal part is dropped for integers
//! (`"1.5"` → 1), anything unconvertible is 0.

use crate::logql::template::gonum;
use crate::logql::template::value::Value;

/// `cast.ToInt64` (errors become 0).
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint8(u) => i64::from(*u),
        Value::Month(m) => i64::from(*m),
        Value::Weekday(d) => i64::from(*d),
        Value::Bool(b) => i64::from(*b),
        Value::Float(f) if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(f) => {
            *f as i64
        }
        Value::Str(s) => {
            if s.is_empty() {
                return 0;
            }
            gonum::parse_int_base0(trim_decimal(s)).unwrap_or(0)
        }
        _ => 0,
    }
}

/// `cast.ToFloat64` (errors become 0).
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Float(f) => *f,
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Uint8(u) => f64::from(*u),
        Value::Month(m) => f64::from(*m),
        Value::Weekday(d) => f64::from(*d),
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => {
            if s.is_empty() {
                return 0.0;
            }
            gonum::parse_float(s).unwrap_or(0.0)
        }
        _ => 0.0,
    }
}

/// cast's `trimDecimal`: `[-+]digits.digits` keeps only the integer part
/// (`"-.5"` → `"-0"`); anything else is left for the integer parser to reject.
fn trim_decimal(s: &str) -> &str {
    let Some(dot) = s.find('.') else {
        return s;
    };
    let int_part = &s[..dot];
    let frac = &s[dot + 1..];
    let digits = int_part.strip_prefix(['-', '+']).unwrap_or(int_part);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return s;
    }
    match int_part {
        "-" => "-0",
        "+" => "+0",
        "" => "0",
        p => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_conversions() {
        let cases: Vec<(Value, i64)> = vec![
            (Value::str("1.5"), 1),
            (Value::str("-2.9"), -2),
            (Value::str(".5"), 0),
            (Value::str("42"), 42),
            (Value::str("0x10"), 16),
            (Value::str("010"), 8),
            (Value::str("1e3"), 0),
            (Value::str("abc"), 0),
            (Value::str(""), 0),
            (Value::str(" 1"), 0),
            (Value::str("1.2.3"), 0),
            (Value::Float(2.7), 2),
            (Value::Float(-2.7), -2),
            (Value::Float(f64::NAN), 0),
            (Value::Bool(true), 1),
            (Value::Nil, 0),
        ];
        for (v, want) in cases {
            assert_eq!(to_int64(&v), want, "{v:?}");
        }
    }

    #[test]
    fn float_conversions() {
        assert_eq!(to_float64(&Value::str("0.25")), 0.25);
        assert_eq!(to_float64(&Value::str("1e3")), 1000.0);
        assert_eq!(to_float64(&Value::str("x")), 0.0);
        assert_eq!(to_float64(&Value::str("1e999")), 0.0);
        assert_eq!(to_float64(&Value::Int64(3)), 3.0);
    }
}

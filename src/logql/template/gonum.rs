//! Go's `strconv` rules for numbers: `ParseInt`/`ParseUint` with base 0,
//! `ParseFloat`, and `FormatFloat` for the `e`, `f` and `g` formats (shortest
//! or with a precision), which `fmt` and the template printer build on.

use std::fmt::Write as _;

/// Why a Go `strconv` parse failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumErr {
    /// `invalid syntax`.
    Syntax,
    /// `value out of range`.
    Range,
}

impl NumErr {
    /// The text Go puts after `parsing "x": `.
    pub(crate) fn text(self) -> &'static str {
        match self {
            NumErr::Syntax => "invalid syntax",
            NumErr::Range => "value out of range",
        }
    }
}

/// `strconv.ParseFloat: parsing "s": invalid syntax` and friends.
pub(crate) fn parse_float_error(s: &str, err: NumErr) -> String {
    format!(
        "strconv.ParseFloat: parsing {}: {}",
        crate::logql::template::printf::go_quote(s),
        err.text()
    )
}

/// Go's rule for `_` digit separators: only between digits, or after a base
/// prefix.
pub(crate) fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if let Some((&c, rest)) = b.split_first() {
        if c == b'-' || c == b'+' {
            b = rest;
        }
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1] | 0x20 == b'x';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && (c | 0x20).is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, 0, 64)`: base from the prefix (`0x`, `0o`, `0b`,
/// leading `0` = octal), `_` separators allowed.
pub(crate) fn parse_uint_base0(s: &str) -> Result<u64, NumErr> {
    let whole = s;
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(NumErr::Syntax);
    }
    let (base, digits): (u64, &[u8]) = if b[0] == b'0' {
        if b.len() >= 3 && b[1] | 0x20 == b'b' {
            (2, &b[2..])
        } else if b.len() >= 3 && b[1] | 0x20 == b'o' {
            (8, &b[2..])
        } else if b.len() >= 3 && b[1] | 0x20 == b'x' {
            (16, &b[2..])
        } else {
            (8, &b[1..])
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for &c in digits {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u64::from(c - b'0'),
            _ if (c | 0x20).is_ascii_lowercase() => u64::from((c | 0x20) - b'a') + 10,
            _ => return Err(NumErr::Syntax),
        };
        if d >= base {
            return Err(NumErr::Syntax);
        }
        n = n
            .checked_mul(base)
            .and_then(|m| m.checked_add(d))
            .ok_or(NumErr::Range)?;
    }
    if underscores && !underscore_ok(whole) {
        return Err(NumErr::Syntax);
    }
    Ok(n)
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_int_base0(s: &str) -> Result<i64, NumErr> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint_base0(rest)?;
    if neg {
        if u > 1 << 63 {
            return Err(NumErr::Range);
        }
        Ok((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).map_err(|_| NumErr::Range)
    }
}

/// `strconv.ParseFloat(s, 64)`: decimal and hexadecimal forms, `inf`,
/// `infinity`, `nan`, `_` separators. Out of range is an error, as in Go.
pub(crate) fn parse_float(s: &str) -> Result<f64, NumErr> {
    if let Some(v) = parse_special(s) {
        return Ok(v);
    }
    let b = s.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'+') => {
            i = 1;
            false
        }
        Some(b'-') => {
            i = 1;
            true
        }
        _ => false,
    };
    if b.len() >= i + 2 && b[i] == b'0' && b[i + 1] | 0x20 == b'x' {
        let v = parse_hex_float(&b[i + 2..], s)?;
        return Ok(if neg { -v } else { v });
    }
    // Validate Go's decimal syntax: digits [. digits] [e [sign] digits].
    let mut clean = String::new();
    let mut saw_digits = false;
    let mut saw_dot = false;
    let mut underscores = false;
    let mut j = i;
    while j < b.len() {
        let c = b[j];
        match c {
            b'_' => underscores = true,
            b'0'..=b'9' => {
                saw_digits = true;
                clean.push(c as char);
            }
            b'.' if !saw_dot => {
                saw_dot = true;
                clean.push('.');
            }
            _ => break,
        }
        j += 1;
    }
    if !saw_digits {
        return Err(NumErr::Syntax);
    }
    if j < b.len() && b[j] | 0x20 == b'e' {
        clean.push('e');
        j += 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            clean.push(b[j] as char);
            j += 1;
        }
        let start = j;
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
            if b[j] == b'_' {
                underscores = true;
            } else {
                clean.push(b[j] as char);
            }
            j += 1;
        }
        if j == start {
            return Err(NumErr::Syntax);
        }
    }
    if j != b.len() || (underscores && !underscore_ok(s)) {
        return Err(NumErr::Syntax);
    }
    let v: f64 = clean.parse().map_err(|_| NumErr::Syntax)?;
    if v.is_infinite() {
        return Err(NumErr::Range);
    }
    Ok(if neg { -v } else { v })
}

fn parse_special(s: &str) -> Option<f64> {
    let (sign, rest, signed) = match s.as_bytes().first() {
        Some(b'+') => (1.0, &s[1..], true),
        Some(b'-') => (-1.0, &s[1..], true),
        _ => (1.0, s, false),
    };
    if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        return Some(sign * f64::INFINITY);
    }
    if !signed && rest.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    None
}

/// Hexadecimal mantissa with a mandatory `p` exponent (`0x1.8p3`).
fn parse_hex_float(b: &[u8], whole: &str) -> Result<f64, NumErr> {
    let mut mant: f64 = 0.0;
    let mut exp: i64 = 0;
    let mut saw_dot = false;
    let mut saw_digits = false;
    let mut underscores = false;
    let mut j = 0;
    while j < b.len() {
        let c = b[j];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' && !saw_dot {
            saw_dot = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            saw_digits = true;
            mant = mant * 16.0 + f64::from(d);
            if saw_dot {
                exp -= 4;
            }
        } else {
            break;
        }
        j += 1;
    }
    if !saw_digits || j >= b.len() || b[j] | 0x20 != b'p' {
        return Err(NumErr::Syntax);
    }
    j += 1;
    let mut eneg = false;
    if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
        eneg = b[j] == b'-';
        j += 1;
    }
    let start = j;
    let mut e: i64 = 0;
    while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
        if b[j] != b'_' {
            e = (e * 10 + i64::from(b[j] - b'0')).min(100_000);
        } else {
            underscores = true;
        }
        j += 1;
    }
    if j == start || j != b.len() || (underscores && !underscore_ok(whole)) {
        return Err(NumErr::Syntax);
    }
    exp += if eneg { -e } else { e };
    let v = mant * 2f64.powi(exp.clamp(-2000, 2000) as i32);
    if v.is_infinite() {
        return Err(NumErr::Range);
    }
    Ok(v)
}

/// Decimal digits of a finite, non-negative float: `digits` without leading
/// or trailing zeros (empty for zero) and the decimal point position `dp`
/// (value = 0.digits × 10^dp), as Go's `decimalSlice`.
pub(crate) struct Digits {
    buf: [u8; 40],
    len: usize,
    long: String,
    /// Decimal point position.
    pub dp: i32,
}

impl Digits {
    /// The significant digits.
    pub(crate) fn digits(&self) -> &[u8] {
        if self.long.is_empty() {
            &self.buf[..self.len]
        } else {
            self.long.as_bytes()
        }
    }

    /// Shortest digits that read back as `v`.
    pub(crate) fn shortest(v: f64) -> Digits {
        let mut tmp = StackBuf::new();
        let _ = write!(tmp, "{:e}", v.abs());
        Digits::from_sci(tmp.as_bytes())
    }

    /// `n` significant digits, correctly rounded (n ≥ 1), trailing zeros trimmed.
    pub(crate) fn significant(v: f64, n: usize) -> Digits {
        let s = format!("{:.*e}", n.saturating_sub(1), v.abs());
        Digits::from_sci(s.as_bytes())
    }

    /// Parses Rust's `d.ddde±x` scientific form of a non-negative value.
    fn from_sci(s: &[u8]) -> Digits {
        let mut d = Digits {
            buf: [0; 40],
            len: 0,
            long: String::new(),
            dp: 0,
        };
        let epos = s.iter().position(|&c| c == b'e').unwrap_or(s.len());
        let exp: i32 = std::str::from_utf8(s.get(epos + 1..).unwrap_or(b"0"))
            .ok()
            .and_then(|e| e.parse().ok())
            .unwrap_or(0);
        let mant = &s[..epos];
        // A non-zero value starts with a non-zero digit; zero has no digits.
        if mant.first().is_none_or(|&c| c == b'0') {
            return d;
        }
        let mut end = mant.len();
        while end > 0 && (mant[end - 1] == b'0' || mant[end - 1] == b'.') {
            end -= 1;
        }
        let sig = mant[..end].iter().copied().filter(u8::is_ascii_digit);
        d.dp = exp + 1;
        let count = sig.clone().count();
        if count <= d.buf.len() {
            for (i, c) in sig.enumerate() {
                d.buf[i] = c;
            }
            d.len = count;
        } else {
            d.long = sig.map(char::from).collect();
        }
        d
    }
}

/// A small fixed buffer implementing `fmt::Write`, for allocation-free float
/// digit extraction.
pub(crate) struct StackBuf {
    buf: [u8; 64],
    len: usize,
}

impl StackBuf {
    pub(crate) fn new() -> StackBuf {
        StackBuf {
            buf: [0; 64],
            len: 0,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `strconv.AppendFloat(out, v, fmt, prec, 64)` for fmt in `e E f F g G`;
/// `prec < 0` means shortest.
pub(crate) fn format_float(out: &mut String, v: f64, fmt: u8, prec: i32) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    let shortest = prec < 0;
    match fmt {
        b'e' | b'E' => {
            let d = if shortest {
                Digits::shortest(v)
            } else {
                Digits::significant(v, prec as usize + 1)
            };
            let p = if shortest {
                d.digits().len().max(1) as i32 - 1
            } else {
                prec
            };
            fmt_e(out, &d, p, fmt);
        }
        b'f' | b'F' => {
            if shortest {
                let d = Digits::shortest(v);
                let p = (d.digits().len() as i32 - d.dp).max(0);
                fmt_f(out, &d, p);
            } else {
                let _ = write!(out, "{:.*}", prec as usize, v.abs());
            }
        }
        _ => {
            let upper = fmt == b'G';
            let (d, mut p) = if shortest {
                let d = Digits::shortest(v);
                let n = d.digits().len() as i32;
                (d, n)
            } else {
                let p = prec.max(1);
                (Digits::significant(v, p as usize), p)
            };
            let nd = d.digits().len() as i32;
            let mut eprec = p;
            if eprec > nd && nd >= d.dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = d.dp - 1;
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                fmt_e(out, &d, (p - 1).max(0), if upper { b'E' } else { b'e' });
            } else {
                if p > d.dp {
                    p = nd;
                }
                fmt_f(out, &d, (p - d.dp).max(0));
            }
        }
    }
}

/// `d.ddde±dd` with `prec` digits after the point.
fn fmt_e(out: &mut String, d: &Digits, prec: i32, fmt: u8) {
    let digits = d.digits();
    out.push(*digits.first().unwrap_or(&b'0') as char);
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as usize {
            out.push(*digits.get(i).unwrap_or(&b'0') as char);
        }
    }
    out.push(if fmt == b'E' { 'E' } else { 'e' });
    let exp = if digits.is_empty() { 0 } else { d.dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    let _ = write!(out, "{e}");
}

/// `ddd.ddd` with `prec` digits after the point.
fn fmt_f(out: &mut String, d: &Digits, prec: i32) {
    let digits = d.digits();
    if d.dp > 0 {
        for i in 0..d.dp as usize {
            out.push(*digits.get(i).unwrap_or(&b'0') as char);
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            let idx = d.dp + i;
            let c = if idx < 0 {
                b'0'
            } else {
                *digits.get(idx as usize).unwrap_or(&b'0')
            };
            out.push(c as char);
        }
    }
}

/// Go's `%v` for a float64: shortest digits, `e` notation when the exponent
/// is below -4 or at least 6 (`1e+06`, `0.0001`, `1e-05`).
pub(crate) fn format_float_v(out: &mut String, v: f64) {
    format_float(out, v, b'g', -1);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(v: f64) -> String {
        let mut s = String::new();
        format_float_v(&mut s, v);
        s
    }

    fn f(v: f64, fmt: u8, prec: i32) -> String {
        let mut s = String::new();
        format_float(&mut s, v, fmt, prec);
        s
    }

    #[test]
    fn float_v_matches_go() {
        let cases = [
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.0, "0"),
            (-0.0, "-0"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (100.0, "100"),
            (1768177817.051, "1.768177817051e+09"),
        ];
        for (v, want) in cases {
            assert_eq!(g(v), want, "{v}");
        }
    }

    #[test]
    fn float_formats_match_go() {
        let cases = [
            (1.23456, b'f', 2, "1.23"),
            (2.5, b'f', 0, "2"),
            (3.5, b'f', 0, "4"),
            (0.125, b'f', 2, "0.12"),
            (1234.5678, b'e', 3, "1.235e+03"),
            (0.0, b'e', 2, "0.00e+00"),
            (1234.5678, b'g', 3, "1.23e+03"),
            (100.0, b'g', 3, "100"),
            (1.5, b'g', 3, "1.5"),
            (1.0, b'g', 3, "1"),
            (0.000012345, b'g', 2, "1.2e-05"),
            (123.0, b'g', 0, "1e+02"),
            (1e21, b'f', -1, "1000000000000000000000"),
            (0.001, b'f', -1, "0.001"),
            (-1.0, b'f', 1, "-1.0"),
        ];
        for (v, fmt, prec, want) in cases {
            assert_eq!(f(v, fmt, prec), want, "{v} {} {prec}", fmt as char);
        }
    }

    #[test]
    fn parse_int_base0_matches_go() {
        let ok = [
            ("0", 0),
            ("42", 42),
            ("-42", -42),
            ("+7", 7),
            ("0x1F", 31),
            ("0o17", 15),
            ("017", 15),
            ("0b101", 5),
            ("1_000", 1000),
            ("-9223372036854775808", i64::MIN),
        ];
        for (s, want) in ok {
            assert_eq!(parse_int_base0(s), Ok(want), "{s}");
        }
        let bad = [
            ("", NumErr::Syntax),
            ("1.5", NumErr::Syntax),
            ("08", NumErr::Syntax),
            ("_1", NumErr::Syntax),
            ("1__0", NumErr::Syntax),
            ("9223372036854775808", NumErr::Range),
            (" 1", NumErr::Syntax),
            ("0x", NumErr::Syntax),
        ];
        for (s, want) in bad {
            assert_eq!(parse_int_base0(s), Err(want), "{s}");
        }
    }

    #[test]
    fn parse_float_matches_go() {
        let ok = [
            ("1.5", 1.5),
            ("-0.25", -0.25),
            (".5", 0.5),
            ("1.", 1.0),
            ("1e3", 1000.0),
            ("1E-2", 0.01),
            ("+3", 3.0),
            ("1_000.5", 1000.5),
            ("0x1p-2", 0.25),
            ("0x1.8p1", 3.0),
            ("Inf", f64::INFINITY),
            ("-infinity", f64::NEG_INFINITY),
        ];
        for (s, want) in ok {
            assert_eq!(parse_float(s), Ok(want), "{s}");
        }
        assert!(parse_float("nan").is_ok_and(f64::is_nan));
        for s in [
            "", ".", "e5", "1e", "abc", "1.2.3", " 1", "+nan", "1_", "0x1",
        ] {
            assert_eq!(parse_float(s), Err(NumErr::Syntax), "{s}");
        }
        assert_eq!(parse_float("1e400"), Err(NumErr::Range));
    }

    #[test]
    fn parse_error_text_is_go_style() {
        assert_eq!(
            parse_float_error("", NumErr::Syntax),
            r#"strconv.ParseFloat: parsing "": invalid syntax"#
        );
    }
}

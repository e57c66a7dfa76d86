//! Go's `fmt` as the `print`, `println` and `printf` builtins use it:
//! verbs `%v %s %q %d %b %o %O %x %X %c %U %e %E %f %F %g %G %t %T %%`,
//! flags `+ - # 0 space`, width and precision (also `*`), argument indexes
//! `%[n]d`, and Go's complaints (`%!d(string=x)`, `%!d(MISSING)`,
//! `%!(EXTRA int=1)`, `%!(NOVERB)`, `%!(BADWIDTH)`, ...).

use std::fmt::Write as _;

use super::gonum;
use super::value::{month_name, weekday_name, Value};
use super::TemplateContext;

/// `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s, '"', false);
    out
}

/// Appends `s` quoted with `quote` using Go's escapes; `ascii` escapes every
/// non-ASCII rune (`%+q`).
fn quote_into(out: &mut String, s: &str, quote: char, ascii: bool) {
    out.push(quote);
    for c in s.chars() {
        quote_rune_body(out, c, quote, ascii);
    }
    out.push(quote);
}

fn quote_rune_body(out: &mut String, c: char, quote: char, ascii: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii {
        if c.is_ascii() && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if (c as u32) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\U{:08x}", c as u32);
        }
    }
}

/// An approximation of Go's `unicode.IsPrint`: graphic characters and the
/// ASCII space; controls, other spaces, format characters, private use and
/// non-characters are not printable.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
        | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xFDD0..=0xFDEF | 0xF0000..
    ) && (u & 0xFFFE) != 0xFFFE
}

/// Go's `strconv.CanBackquote`.
fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\u{7f}')))
}

/// `fmt.Sprint(args...)`: spaces between operands when neither is a string.
pub(crate) fn sprint(out: &mut String, args: &[Value], ctx: &dyn TemplateContext) {
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::Str(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        a.write_v(out, ctx);
        prev_string = is_string;
    }
}

/// `fmt.Sprintln(args...)`: always spaced, newline at the end.
pub(crate) fn sprintln(out: &mut String, args: &[Value], ctx: &dyn TemplateContext) {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        a.write_v(out, ctx);
    }
    out.push('\n');
}

/// Formatting flags of one verb.
#[derive(Clone, Copy, Default)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

/// Width and precision values above this are refused, as in Go.
const MAX_WIDTH: i64 = 1_000_000;

/// `fmt.Sprintf(format, args...)`.
pub(crate) fn sprintf(out: &mut String, format: &str, args: &[Value], ctx: &dyn TemplateContext) {
    let f = format.as_bytes();
    let end = f.len();
    let mut arg_num = 0usize;
    let mut reordered = false;
    let mut i = 0;
    while i < end {
        let lit_start = i;
        while i < end && f[i] != b'%' {
            i += 1;
        }
        out.push_str(&format[lit_start..i]);
        if i >= end {
            break;
        }
        i += 1; // past '%'
        let mut fl = Flags::default();
        while i < end {
            match f[i] {
                b'#' => fl.sharp = true,
                b'0' => fl.zero = !fl.minus,
                b'+' => fl.plus = true,
                b'-' => {
                    fl.minus = true;
                    fl.zero = false;
                }
                b' ' => fl.space = true,
                _ => break,
            }
            i += 1;
        }
        // Argument index, width.
        let mut good_arg_num = true;
        let mut after_index;
        (arg_num, i, after_index, good_arg_num) =
            arg_number(format, i, arg_num, args.len(), good_arg_num, &mut reordered);
        if i < end && f[i] == b'*' {
            i += 1;
            match int_from_arg(args, arg_num) {
                Some(w) => {
                    arg_num += 1;
                    if w < 0 {
                        fl.minus = true;
                        fl.zero = false;
                    }
                    fl.wid = Some(w.unsigned_abs() as usize);
                }
                None => {
                    arg_num += usize::from(arg_num < args.len());
                    out.push_str("%!(BADWIDTH)");
                }
            }
            after_index = false;
        } else {
            let (n, present, ni) = parse_num(format, i);
            i = ni;
            if present {
                fl.wid = Some(n);
                if after_index {
                    good_arg_num = false;
                }
            }
        }
        // Precision.
        if i < end && f[i] == b'.' {
            i += 1;
            if after_index {
                good_arg_num = false;
            }
            (arg_num, i, after_index, good_arg_num) =
                arg_number(format, i, arg_num, args.len(), good_arg_num, &mut reordered);
            if i < end && f[i] == b'*' {
                i += 1;
                let prec = int_from_arg(args, arg_num);
                arg_num += usize::from(arg_num < args.len());
                fl.prec = prec.filter(|&p| p >= 0).map(|p| p as usize);
                if fl.prec.is_none() {
                    out.push_str("%!(BADPREC)");
                }
                after_index = false;
            } else {
                let (n, present, ni) = parse_num(format, i);
                i = ni;
                fl.prec = Some(if present { n } else { 0 });
            }
        }
        if !after_index {
            (arg_num, i, after_index, good_arg_num) =
                arg_number(format, i, arg_num, args.len(), good_arg_num, &mut reordered);
        }
        let _ = after_index;
        if i >= end {
            out.push_str("%!(NOVERB)");
            break;
        }
        let verb = format[i..].chars().next().unwrap_or('%');
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good_arg_num {
            let _ = write!(out, "%!{verb}(BADINDEX)");
            continue;
        }
        let Some(arg) = args.get(arg_num) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        if verb == 'v' {
            fl.sharp_v = fl.sharp;
            fl.sharp = false;
            fl.plus_v = fl.plus;
            fl.plus = false;
        }
        print_arg(out, arg, verb, &fl, ctx);
        arg_num += 1;
    }
    if !reordered && arg_num < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, a) in args[arg_num..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            if matches!(a, Value::Nil) {
                out.push_str("<nil>");
            } else {
                out.push_str(a.type_name());
                out.push('=');
                print_arg(out, a, 'v', &Flags::default(), ctx);
            }
        }
        out.push(')');
    }
}

/// Parses `[n]` at `i`: returns the new argument number, position, whether
/// an index was present, and whether it was valid.
fn arg_number(
    format: &str,
    i: usize,
    arg_num: usize,
    num_args: usize,
    good: bool,
    reordered: &mut bool,
) -> (usize, usize, bool, bool) {
    let f = format.as_bytes();
    if i >= f.len() || f[i] != b'[' {
        return (arg_num, i, false, good);
    }
    *reordered = true;
    // Find the closing bracket.
    let Some(close) = f[i + 1..].iter().position(|&c| c == b']') else {
        return (arg_num, i + 1, false, false);
    };
    let close = i + 1 + close;
    let (n, ok, ni) = parse_num(format, i + 1);
    if !ok || ni != close {
        return (arg_num, close + 1, true, false);
    }
    let index = n.wrapping_sub(1);
    if n >= 1 && index < num_args {
        (index, close + 1, true, good)
    } else {
        (arg_num, close + 1, true, false)
    }
}

/// Decimal digits at `i`: (value, present, next position). Absurd numbers
/// swallow the rest of the format like Go.
fn parse_num(format: &str, mut i: usize) -> (usize, bool, usize) {
    let f = format.as_bytes();
    let mut n: i64 = 0;
    let mut present = false;
    while i < f.len() && f[i].is_ascii_digit() {
        if n > MAX_WIDTH {
            return (0, false, f.len());
        }
        n = n * 10 + i64::from(f[i] - b'0');
        present = true;
        i += 1;
    }
    (n as usize, present, i)
}

/// An int argument for `*`: any integer kind within ±1e6.
fn int_from_arg(args: &[Value], n: usize) -> Option<i64> {
    let v = match args.get(n)? {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint8(u) => i64::from(*u),
        Value::Month(m) => i64::from(*m),
        Value::Weekday(d) => i64::from(*d),
        _ => return None,
    };
    (-MAX_WIDTH..=MAX_WIDTH).contains(&v).then_some(v)
}

fn pad(out: &mut String, s: &str, fl: &Flags) {
    let Some(wid) = fl.wid else {
        out.push_str(s);
        return;
    };
    let n = s.chars().count();
    if n >= wid {
        out.push_str(s);
        return;
    }
    let fill = if fl.zero { '0' } else { ' ' };
    if fl.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', wid - n));
    } else {
        out.extend(std::iter::repeat_n(fill, wid - n));
        out.push_str(s);
    }
}

fn bad_verb(out: &mut String, arg: &Value, verb: char, fl: &Flags, ctx: &dyn TemplateContext) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if matches!(arg, Value::Nil) {
        out.push_str("<nil>");
    } else {
        out.push_str(arg.type_name());
        out.push('=');
        print_arg(out, arg, 'v', fl, ctx);
    }
    out.push(')');
}

fn print_arg(out: &mut String, arg: &Value, verb: char, fl: &Flags, ctx: &dyn TemplateContext) {
    if verb == 'T' {
        let t = if matches!(arg, Value::Nil) {
            "<nil>"
        } else {
            arg.type_name()
        };
        pad(out, t, fl);
        return;
    }
    match arg {
        Value::Nil => {
            if verb == 'v' {
                pad(out, "<nil>", fl);
            } else {
                bad_verb(out, arg, verb, fl, ctx);
            }
        }
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, fl),
            _ => bad_verb(out, arg, verb, fl, ctx),
        },
        Value::Int(i) | Value::Int64(i) => {
            fmt_integer_verb(out, *i as u64, true, verb, fl, arg, ctx)
        }
        Value::Uint8(u) => fmt_integer_verb(out, u64::from(*u), false, verb, fl, arg, ctx),
        Value::Month(_) | Value::Weekday(_) => {
            // These types have a String method, used for the string verbs.
            let (n, name) = match arg {
                Value::Month(m) => (i64::from(*m), month_name(*m)),
                Value::Weekday(d) => (i64::from(*d), weekday_name(*d)),
                _ => (0, ""),
            };
            match verb {
                'v' | 's' | 'x' | 'X' | 'q' => fmt_string(out, name, verb, fl),
                _ => fmt_integer_verb(out, n as u64, true, verb, fl, arg, ctx),
            }
        }
        Value::Float(v) => fmt_float_verb(out, *v, verb, fl, arg, ctx),
        Value::Str(s) => match verb {
            'v' | 's' | 'x' | 'X' | 'q' => fmt_string(out, s, verb, fl),
            _ => bad_verb(out, arg, verb, fl, ctx),
        },
        Value::Time(t) => {
            let mut s = String::new();
            t.write_string(&mut s);
            match verb {
                'v' | 's' | 'x' | 'X' | 'q' => fmt_string(out, &s, verb, fl),
                _ => {
                    let _ = write!(out, "%!{verb}(time.Time={s})");
                }
            }
        }
        Value::Labels => {
            out.push_str("map[");
            let mut first = true;
            ctx.for_each_label(&mut |k, v| {
                if !first {
                    out.push(' ');
                }
                first = false;
                print_arg(out, &Value::str(k), verb, fl, ctx);
                out.push(':');
                print_arg(out, &Value::str(v), verb, fl, ctx);
            });
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (n, (k, v)) in m.iter().enumerate() {
                if n > 0 {
                    out.push(' ');
                }
                print_arg(out, &Value::str(k), verb, fl, ctx);
                out.push(':');
                print_arg(out, v, verb, fl, ctx);
            }
            out.push(']');
        }
        Value::List(l) => {
            out.push('[');
            for (n, v) in l.iter().enumerate() {
                if n > 0 {
                    out.push(' ');
                }
                print_arg(out, v, verb, fl, ctx);
            }
            out.push(']');
        }
    }
}

fn fmt_string(out: &mut String, s: &str, verb: char, fl: &Flags) {
    let s = match fl.prec {
        Some(p) => match s.char_indices().nth(p) {
            Some((idx, _)) => &s[..idx],
            None => s,
        },
        None => s,
    };
    match verb {
        'v' if fl.sharp_v => {
            let mut q = String::new();
            quote_into(&mut q, s, '"', false);
            pad(out, &q, fl);
        }
        'v' | 's' => pad(out, s, fl),
        'q' => {
            let mut q = String::new();
            if fl.sharp && can_backquote(s) {
                q.push('`');
                q.push_str(s);
                q.push('`');
            } else {
                quote_into(&mut q, s, '"', fl.plus);
            }
            pad(out, &q, fl);
        }
        _ => {
            // %x / %X: hex of the bytes.
            let digits: &[u8; 16] = if verb == 'X' {
                b"0123456789ABCDEF"
            } else {
                b"0123456789abcdef"
            };
            let mut h = String::with_capacity(s.len() * 2);
            for (n, b) in s.bytes().enumerate() {
                if fl.space && n > 0 {
                    h.push(' ');
                }
                if fl.sharp && (fl.space || n == 0) {
                    h.push('0');
                    h.push(if verb == 'X' { 'X' } else { 'x' });
                }
                h.push(digits[usize::from(b >> 4)] as char);
                h.push(digits[usize::from(b & 15)] as char);
            }
            pad(out, &h, fl);
        }
    }
}

fn fmt_integer_verb(
    out: &mut String,
    u: u64,
    signed: bool,
    verb: char,
    fl: &Flags,
    arg: &Value,
    ctx: &dyn TemplateContext,
) {
    match verb {
        'v' | 'd' => fmt_integer(out, u, 10, signed, verb, fl, false),
        'b' => fmt_integer(out, u, 2, signed, verb, fl, false),
        'o' | 'O' => fmt_integer(out, u, 8, signed, verb, fl, false),
        'x' => fmt_integer(out, u, 16, signed, verb, fl, false),
        'X' => fmt_integer(out, u, 16, signed, verb, fl, true),
        'c' => {
            let c = char::from_u32(u as u32)
                .filter(|_| u <= u64::from(u32::MAX))
                .unwrap_or('\u{FFFD}');
            let mut b = [0u8; 4];
            pad(out, c.encode_utf8(&mut b), fl);
        }
        'q' => {
            let c = char::from_u32(u as u32)
                .filter(|_| u <= u64::from(u32::MAX))
                .unwrap_or('\u{FFFD}');
            let mut q = String::new();
            if fl.sharp && c != '`' && can_backquote(c.encode_utf8(&mut [0u8; 4])) {
                q.push('`');
                q.push(c);
                q.push('`');
            } else {
                q.push('\'');
                quote_rune_body(&mut q, c, '\'', fl.plus);
                q.push('\'');
            }
            pad(out, &q, fl);
        }
        'U' => {
            let mut s = format!("U+{u:04X}");
            if fl.sharp {
                if let Some(c) = char::from_u32(u as u32).filter(|&c| is_print(c)) {
                    let _ = write!(s, " '{c}'");
                }
            }
            pad(out, &s, fl);
        }
        _ => bad_verb(out, arg, verb, fl, ctx),
    }
}

/// Go's `fmt.fmtInteger`.
fn fmt_integer(
    out: &mut String,
    u: u64,
    base: u64,
    signed: bool,
    verb: char,
    fl: &Flags,
    upper: bool,
) {
    let negative = signed && (u as i64) < 0;
    let mut u = if negative {
        (u as i64).unsigned_abs()
    } else {
        u
    };
    let mut prec = 0usize;
    if let Some(p) = fl.prec {
        prec = p;
        if p == 0 && u == 0 {
            let nf = Flags { zero: false, ..*fl };
            pad(out, "", &nf);
            return;
        }
    } else if fl.zero && !fl.minus {
        if let Some(w) = fl.wid {
            prec = w;
            if negative || fl.plus || fl.space {
                prec = prec.saturating_sub(1);
            }
        }
    }
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut buf: Vec<u8> = Vec::with_capacity(24 + prec);
    loop {
        buf.push(digits[(u % base) as usize]);
        u /= base;
        if u == 0 {
            break;
        }
    }
    while buf.len() < prec {
        buf.push(b'0');
    }
    if fl.sharp {
        match base {
            2 => buf.extend_from_slice(b"b0"),
            8 if buf.last() != Some(&b'0') => buf.push(b'0'),
            16 => {
                buf.push(if upper { b'X' } else { b'x' });
                buf.push(b'0');
            }
            _ => {}
        }
    }
    if verb == 'O' {
        buf.extend_from_slice(b"o0");
    }
    if negative {
        buf.push(b'-');
    } else if fl.plus {
        buf.push(b'+');
    } else if fl.space {
        buf.push(b' ');
    }
    buf.reverse();
    let s = String::from_utf8(buf).unwrap_or_default();
    let nf = Flags { zero: false, ..*fl };
    pad(out, &s, &nf);
}

fn fmt_float_verb(
    out: &mut String,
    v: f64,
    verb: char,
    fl: &Flags,
    arg: &Value,
    ctx: &dyn TemplateContext,
) {
    let (fmt, default_prec) = match verb {
        'v' => (b'g', -1),
        'g' | 'G' => (verb as u8, -1),
        'e' | 'E' | 'f' | 'F' => (verb as u8, 6),
        _ => return bad_verb(out, arg, verb, fl, ctx),
    };
    let prec = fl.prec.map_or(default_prec, |p| p.min(1 << 20) as i32);
    let mut num = String::with_capacity(24);
    gonum::format_float(&mut num, v, fmt, prec);
    let (sign, body) = match num.as_bytes().first() {
        Some(b'-') => ('-', &num[1..]),
        Some(b'+') => ('+', &num[1..]),
        _ => ('+', num.as_str()),
    };
    let special = body.starts_with('I') || body.starts_with('N');
    let mut sign = sign;
    if fl.space && sign == '+' && !fl.plus {
        sign = ' ';
    }
    let show_sign = fl.plus || sign != '+';
    if special {
        let nf = Flags { zero: false, ..*fl };
        if body.starts_with('N') && !fl.space && !fl.plus {
            pad(out, body, &nf);
        } else {
            let s = format!("{sign}{body}");
            pad(out, &s, &nf);
        }
        return;
    }
    if show_sign {
        let total = body.chars().count() + 1;
        if fl.zero && !fl.minus && fl.wid.is_some_and(|w| w > total) {
            out.push(sign);
            out.extend(std::iter::repeat_n('0', fl.wid.unwrap_or(0) - total));
            out.push_str(body);
            return;
        }
        let s = format!("{sign}{body}");
        pad(out, &s, fl);
        return;
    }
    pad(out, body, fl);
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ctx;
    impl TemplateContext for Ctx {
        fn label(&self, _: &str) -> Option<&str> {
            None
        }
        fn for_each_label(&self, f: &mut dyn FnMut(&str, &str)) {
            f("a", "b");
        }
        fn line(&self) -> &str {
            ""
        }
        fn timestamp(&self) -> i64 {
            0
        }
        fn now(&self) -> i64 {
            0
        }
    }

    fn p(format: &str, args: &[Value]) -> String {
        let mut s = String::new();
        sprintf(&mut s, format, args, &Ctx);
        s
    }

    #[test]
    fn sprintf_matches_go() {
        let s = |x: &'static str| Value::str(x);
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("%s", vec![s("x")], "x"),
            ("%5s|%-5s|", vec![s("ab"), s("cd")], "   ab|cd   |"),
            ("%-6s %s", vec![s("GET"), s("/a")], "GET    /a"),
            ("%.2s", vec![s("héllo")], "hé"),
            ("%q", vec![s("a\"b\n")], r#""a\"b\n""#),
            ("%x %X", vec![s("hi"), s("hi")], "6869 6869"),
            ("%d", vec![Value::Int(-42)], "-42"),
            ("%05d", vec![Value::Int(-42)], "-0042"),
            ("%+d", vec![Value::Int64(5)], "+5"),
            (
                "%x %X %o %b %#x %#o",
                vec![
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(5),
                    Value::Int(255),
                    Value::Int(8),
                ],
                "ff FF 10 101 0xff 010",
            ),
            ("%O", vec![Value::Int(8)], "0o10"),
            ("%.3d", vec![Value::Int(7)], "007"),
            ("%.0d|", vec![Value::Int(0)], "|"),
            (
                "%c %q %U",
                vec![Value::Int(65), Value::Int(65), Value::Int(0x1F600)],
                "A 'A' U+1F600",
            ),
            ("%.2f", vec![Value::Float(1.23456)], "1.23"),
            ("%05.1f", vec![Value::Float(0.0)], "000.0"),
            ("%8.3f|", vec![Value::Float(-1.5)], "  -1.500|"),
            ("%e", vec![Value::Float(1234.5678)], "1.234568e+03"),
            (
                "%g %v",
                vec![Value::Float(1e6), Value::Float(0.1)],
                "1e+06 0.1",
            ),
            (
                "%+.1f % .1f",
                vec![Value::Float(1.0), Value::Float(1.0)],
                "+1.0  1.0",
            ),
            ("%f", vec![Value::Float(f64::INFINITY)], "+Inf"),
            ("%5.1f|", vec![Value::Float(f64::NAN)], "  NaN|"),
            (
                "%t %v",
                vec![Value::Bool(true), Value::Bool(false)],
                "true false",
            ),
            ("%v", vec![Value::Labels], "map[a:b]"),
            (
                "%T %T %T",
                vec![s("x"), Value::Int64(1), Value::Nil],
                "string int64 <nil>",
            ),
            ("%d", vec![s("x")], "%!d(string=x)"),
            ("%s", vec![Value::Int(5)], "%!s(int=5)"),
            ("%s", vec![Value::Nil], "%!s(<nil>)"),
            ("%d %d", vec![Value::Int(1)], "1 %!d(MISSING)"),
            ("%d", vec![Value::Int(1), s("x")], "1%!(EXTRA string=x)"),
            ("100%", vec![], "100%!(NOVERB)"),
            ("%%", vec![], "%"),
            ("%[2]d %[1]d", vec![Value::Int(1), Value::Int(2)], "2 1"),
            ("%[3]d", vec![Value::Int(1)], "%!d(BADINDEX)"),
            ("%*d", vec![Value::Int(4), Value::Int(7)], "   7"),
            ("%-*d|", vec![Value::Int(3), Value::Int(7)], "7  |"),
            ("%*d", vec![s("x"), Value::Int(7)], "%!(BADWIDTH)7"),
            ("%05s", vec![s("ab")], "000ab"),
            ("%v", vec![Value::Month(3)], "March"),
            ("%d", vec![Value::Month(3)], "3"),
        ];
        for (f, args, want) in cases {
            assert_eq!(p(f, &args), want, "{f}");
        }
    }

    #[test]
    fn sprint_spacing() {
        let mut out = String::new();
        sprint(
            &mut out,
            &[Value::Int(1), Value::Int(2), Value::str("a"), Value::Int(3)],
            &Ctx,
        );
        assert_eq!(out, "1 2a3");
        out.clear();
        sprintln(&mut out, &[Value::str("a"), Value::Int(1)], &Ctx);
        assert_eq!(out, "a 1\n");
    }

    #[test]
    fn quote_matches_go() {
        assert_eq!(go_quote("héllo\t\u{1}"), r#""héllo\t\x01""#);
        assert_eq!(go_quote("\u{a0}\u{200b}"), r#""\u00a0\u200b""#);
    }
}

//! The dynamically typed values a template computes with, standing in for
//! the Go types Loki's templates see: `string`, `int`, `int64`, `uint8`,
//! `float64`, `bool`, `time.Time` (with `time.Month` / `time.Weekday`), the
//! label map `map[string]string` (dot), and what `fromJson` builds
//! (`map[string]interface {}`, `[]interface {}`, `nil`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use super::gonum;
use super::gotime::{GoTime, MONTHS, WEEKDAYS};
use super::TemplateContext;

/// A JSON object decoded by `fromJson`.
pub(crate) type JsonMap = BTreeMap<String, Value<'static>>;

/// One template value.
#[derive(Clone, Debug, Default)]
pub(crate) enum Value<'a> {
    /// An invalid value or an untyped/interface nil.
    #[default]
    Nil,
    /// `bool`.
    Bool(bool),
    /// `int` (literals, `len`, `count`, `int`, ...).
    Int(i64),
    /// `int64` (sprig arithmetic).
    Int64(i64),
    /// `uint8` (`index` of a string).
    Uint8(u8),
    /// `float64`.
    Float(f64),
    /// `string`.
    Str(Cow<'a, str>),
    /// `time.Time`.
    Time(GoTime),
    /// `time.Month` (1..=12).
    Month(u8),
    /// `time.Weekday` (0 = Sunday).
    Weekday(u8),
    /// The template data: the entry's labels as a `map[string]string`.
    Labels,
    /// `map[string]interface {}`.
    Map(Rc<JsonMap>),
    /// `[]interface {}`.
    List(Rc<Vec<Value<'static>>>),
}

/// Go's "basic kinds" used by the comparison functions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Basic {
    /// Not a basic kind (maps, slices, structs, nil).
    Invalid,
    /// bool.
    Bool(bool),
    /// Signed integers.
    Int(i64),
    /// Unsigned integers.
    Uint(u64),
    /// Floats.
    Float(f64),
    /// Strings (compared through the value itself).
    Str,
}

impl<'a> Value<'a> {
    /// A borrowed string value.
    pub(crate) fn str(s: &'a str) -> Value<'a> {
        Value::Str(Cow::Borrowed(s))
    }

    /// An owned string value.
    pub(crate) fn string(s: String) -> Value<'a> {
        Value::Str(Cow::Owned(s))
    }

    /// Go's `reflect.Type.String()` of the value; "" for nil.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint8(_) => "uint8",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Time(_) => "time.Time",
            Value::Month(_) => "time.Month",
            Value::Weekday(_) => "time.Weekday",
            Value::Labels => "map[string]string",
            Value::Map(_) => "map[string]interface {}",
            Value::List(_) => "[]interface {}",
        }
    }

    /// The basic kind, for `eq`/`lt`/...
    pub(crate) fn basic(&self) -> Basic {
        match self {
            Value::Bool(b) => Basic::Bool(*b),
            Value::Int(i) | Value::Int64(i) => Basic::Int(*i),
            Value::Month(m) => Basic::Int(i64::from(*m)),
            Value::Weekday(d) => Basic::Int(i64::from(*d)),
            Value::Uint8(u) => Basic::Uint(u64::from(*u)),
            Value::Float(f) => Basic::Float(*f),
            Value::Str(_) => Basic::Str,
            _ => Basic::Invalid,
        }
    }

    /// The string, when the value is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `text/template`'s truth: non-zero, non-empty, non-nil.
    pub(crate) fn is_true(&self, ctx: &dyn TemplateContext) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Uint8(u) => *u != 0,
            Value::Month(m) => *m != 0,
            Value::Weekday(d) => *d != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Time(_) => true,
            Value::Labels => label_count(ctx) > 0,
            Value::Map(m) => !m.is_empty(),
            Value::List(l) => !l.is_empty(),
        }
    }

    /// Writes the value as `fmt.Print` (`%v`) does; a nil at top level is
    /// `<nil>` here (the template printer turns it into `<no value>` itself).
    pub(crate) fn write_v(&self, out: &mut String, ctx: &dyn TemplateContext) {
        match self {
            Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Uint8(u) => {
                let _ = write!(out, "{u}");
            }
            Value::Float(f) => gonum::format_float_v(out, *f),
            Value::Str(s) => out.push_str(s),
            Value::Time(t) => t.write_string(out),
            Value::Month(m) => out.push_str(month_name(*m)),
            Value::Weekday(d) => out.push_str(weekday_name(*d)),
            Value::Labels => {
                out.push_str("map[");
                let mut first = true;
                ctx.for_each_label(&mut |k, v| {
                    if !first {
                        out.push(' ');
                    }
                    first = false;
                    out.push_str(k);
                    out.push(':');
                    out.push_str(v);
                });
                out.push(']');
            }
            Value::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_v(out, ctx);
                }
                out.push(']');
            }
            Value::List(l) => {
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.write_v(out, ctx);
                }
                out.push(']');
            }
        }
    }

    /// `%v` into a new string.
    pub(crate) fn to_v_string(&self, ctx: &dyn TemplateContext) -> String {
        let mut s = String::new();
        self.write_v(&mut s, ctx);
        s
    }
}

/// `time.Month.String()`.
pub(crate) fn month_name(m: u8) -> &'static str {
    MONTHS
        .get(usize::from(m).wrapping_sub(1))
        .copied()
        .unwrap_or("%!Month")
}

/// `time.Weekday.String()`.
pub(crate) fn weekday_name(d: u8) -> &'static str {
    WEEKDAYS.get(usize::from(d)).copied().unwrap_or("%!Weekday")
}

/// Number of labels in the template data.
pub(crate) fn label_count(ctx: &dyn TemplateContext) -> usize {
    let mut n = 0;
    ctx.for_each_label(&mut |_, _| n += 1);
    n
}

/// Replaces each byte of an invalid UTF-8 sequence with U+FFFD, as Go's
/// `strings.Map` and JSON encoder do (one replacement per bad byte).
pub(crate) fn lossy_utf8(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            let mut rest = bytes;
            while !rest.is_empty() {
                match std::str::from_utf8(rest) {
                    Ok(s) => {
                        out.push_str(s);
                        break;
                    }
                    Err(e) => {
                        let good = e.valid_up_to();
                        out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                        let bad = e.error_len().unwrap_or(rest.len() - good);
                        for _ in 0..bad {
                            out.push('\u{FFFD}');
                        }
                        rest = &rest[good + bad..];
                    }
                }
            }
            out
        }
    }
}

/// A byte-indexed substring that Go would allow even inside a multi-byte
/// character; broken characters become U+FFFD.
pub(crate) fn byte_slice(s: &str, start: usize, end: usize) -> Cow<'_, str> {
    match s.get(start..end) {
        Some(sub) => Cow::Borrowed(sub),
        None => Cow::Owned(lossy_utf8(&s.as_bytes()[start..end])),
    }
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
            f("a", "1");
            f("b", "x y");
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

    #[test]
    fn print_rules() {
        let mut m = JsonMap::new();
        m.insert("z".into(), Value::Float(1e6));
        m.insert("a".into(), Value::Nil);
        m.insert(
            "l".into(),
            Value::List(Rc::new(vec![Value::Bool(true), Value::string("s".into())])),
        );
        let cases: Vec<(Value, &str)> = vec![
            (Value::Labels, "map[a:1 b:x y]"),
            (Value::Map(Rc::new(m)), "map[a:<nil> l:[true s] z:1e+06]"),
            (Value::Int64(-3), "-3"),
            (Value::Float(0.5), "0.5"),
            (Value::Month(2), "February"),
            (Value::Weekday(0), "Sunday"),
            (Value::Uint8(195), "195"),
            (Value::Nil, "<nil>"),
        ];
        for (v, want) in cases {
            assert_eq!(v.to_v_string(&Ctx), want);
        }
    }

    #[test]
    fn truth() {
        assert!(!Value::str("").is_true(&Ctx));
        assert!(Value::str("0").is_true(&Ctx));
        assert!(!Value::Float(0.0).is_true(&Ctx));
        assert!(Value::Labels.is_true(&Ctx));
        assert!(Value::Time(GoTime::zero()).is_true(&Ctx));
        assert!(!Value::Nil.is_true(&Ctx));
    }

    #[test]
    fn lossy_replaces_each_bad_byte() {
        assert_eq!(lossy_utf8(b"h\xc3"), "h\u{FFFD}");
        assert_eq!(lossy_utf8(b"\xff\xfeok"), "\u{FFFD}\u{FFFD}ok");
        assert_eq!(byte_slice("héllo", 0, 2), "h\u{FFFD}");
        assert_eq!(byte_slice("héllo", 0, 3), "hé");
    }
}

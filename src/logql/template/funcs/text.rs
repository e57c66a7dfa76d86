//! String functions: Go's `strings` (Loki's legacy names), sprig's string
//! helpers, regexes with Go (RE2) syntax, URL query escaping and base64.

use std::borrow::Cow;
use std::fmt::Write as _;

use regex::Regex;

use super::Env;
use crate::logql::template::value::{byte_slice, lossy_utf8, Value};

type R<'a> = Result<Value<'a>, String>;

/// Upper bound for strings built by `repeat`, `indent` and the aligners.
pub(crate) const MAX_BUILT: usize = 16 << 20;

fn s<'v>(args: &'v [Value], i: usize) -> &'v str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

fn int(args: &[Value], i: usize) -> i64 {
    match args.get(i) {
        Some(Value::Int(n)) => *n,
        _ => 0,
    }
}

/// Moves string argument `i` out, keeping a borrowed string borrowed.
fn take_str<'a>(args: &mut [Value<'a>], i: usize) -> Cow<'a, str> {
    match args.get_mut(i).map(std::mem::take) {
        Some(Value::Str(s)) => s,
        _ => Cow::Borrowed(""),
    }
}

/// Keeps `sub` borrowed from `whole` when it is a slice of it.
fn sub_of<'a>(whole: Cow<'a, str>, start: usize, end: usize) -> Value<'a> {
    match whole {
        Cow::Borrowed(w) => Value::Str(byte_slice(w, start, end)),
        Cow::Owned(w) => Value::string(byte_slice(&w, start, end).into_owned()),
    }
}

fn too_big(n: usize) -> String {
    format!("result of {n} bytes exceeds the {MAX_BUILT}-byte limit")
}

// --- case mapping -------------------------------------------------------

/// Go's `unicode.ToUpper` (simple case mapping).
fn upper_char(c: char) -> char {
    let mut it = c.to_uppercase();
    if it.len() == 1 {
        return it.next().unwrap_or(c);
    }
    // Multi-character full mappings; only the Greek iota-subscript letters
    // have a single-character simple mapping.
    let u = c as u32;
    let simple = match u {
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => u + 8,
        0x1FB3 => 0x1FBC,
        0x1FC3 => 0x1FCC,
        0x1FF3 => 0x1FFC,
        _ => u,
    };
    char::from_u32(simple).unwrap_or(c)
}

/// Go's `unicode.ToLower` (simple case mapping).
fn lower_char(c: char) -> char {
    let mut it = c.to_lowercase();
    if it.len() == 1 {
        return it.next().unwrap_or(c);
    }
    if c == '\u{130}' {
        return 'i';
    }
    c
}

/// Go's `unicode.ToTitle`.
fn title_char(c: char) -> char {
    match c as u32 {
        0x1C4..=0x1C6 => '\u{1C5}',
        0x1C7..=0x1C9 => '\u{1C8}',
        0x1CA..=0x1CC => '\u{1CB}',
        0x1F1..=0x1F3 => '\u{1F2}',
        _ => upper_char(c),
    }
}

fn map_chars<'a>(src: Cow<'a, str>, f: fn(char) -> char) -> Value<'a> {
    if src.chars().all(|c| f(c) == c) {
        return Value::Str(src);
    }
    Value::string(src.chars().map(f).collect())
}

pub(super) fn upper<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(map_chars(take_str(a, 0), upper_char))
}

pub(super) fn lower<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(map_chars(take_str(a, 0), lower_char))
}

/// Go's `strings.Title`: the first letter of each word in title case.
pub(super) fn title<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let src = s(a, 0);
    let mut out = String::with_capacity(src.len());
    let mut prev = ' ';
    for c in src.chars() {
        out.push(if is_separator(prev) { title_char(c) } else { c });
        prev = c;
    }
    Ok(Value::string(out))
}

fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

// --- trimming and replacing ---------------------------------------------

fn trim_with<'a>(src: Cow<'a, str>, cutset: &str, left: bool, right: bool) -> Value<'a> {
    if src.is_empty() || cutset.is_empty() {
        return Value::Str(src);
    }
    let in_set = |c: char| cutset.contains(c);
    let (start, end) = {
        let mut t: &str = &src;
        if left {
            t = t.trim_start_matches(in_set);
        }
        let start = src.len() - t.len();
        if right {
            t = t.trim_end_matches(in_set);
        }
        (start, start + t.len())
    };
    sub_of(src, start, end)
}

pub(super) fn go_trim<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let cut = s(a, 1).to_string();
    Ok(trim_with(take_str(a, 0), &cut, true, true))
}

pub(super) fn go_trim_left<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let cut = s(a, 1).to_string();
    Ok(trim_with(take_str(a, 0), &cut, true, false))
}

pub(super) fn go_trim_right<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let cut = s(a, 1).to_string();
    Ok(trim_with(take_str(a, 0), &cut, false, true))
}

/// sprig `trimAll cutset s`.
pub(super) fn trim_all<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let cut = s(a, 0).to_string();
    Ok(trim_with(take_str(a, 1), &cut, true, true))
}

fn strip<'a>(src: Cow<'a, str>, affix: &str, prefix: bool) -> Value<'a> {
    let len = src.len();
    if prefix && src.starts_with(affix) {
        return sub_of(src, affix.len(), len);
    }
    if !prefix && src.ends_with(affix) {
        return sub_of(src, 0, len - affix.len());
    }
    Value::Str(src)
}

pub(super) fn go_trim_prefix<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let affix = s(a, 1).to_string();
    Ok(strip(take_str(a, 0), &affix, true))
}

pub(super) fn go_trim_suffix<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let affix = s(a, 1).to_string();
    Ok(strip(take_str(a, 0), &affix, false))
}

/// sprig `trimPrefix prefix s`.
pub(super) fn trim_prefix<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let affix = s(a, 0).to_string();
    Ok(strip(take_str(a, 1), &affix, true))
}

/// sprig `trimSuffix suffix s`.
pub(super) fn trim_suffix<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let affix = s(a, 0).to_string();
    Ok(strip(take_str(a, 1), &affix, false))
}

/// Go's `strings.TrimSpace` (Unicode white space).
pub(super) fn trim_space<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let src = take_str(a, 0);
    let start = src.len() - src.trim_start().len();
    let end = src.trim_end().len().max(start);
    Ok(sub_of(src, start, end))
}

fn replace_n(src: &str, old: &str, new: &str, n: i64) -> String {
    if n < 0 {
        src.replace(old, new)
    } else {
        src.replacen(old, new, usize::try_from(n).unwrap_or(usize::MAX))
    }
}

/// Go's `strings.Replace(s, old, new, n)`.
pub(super) fn go_replace<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let (old, new, n) = (s(a, 1), s(a, 2), int(a, 3));
    if old == new || n == 0 || (!old.is_empty() && !s(a, 0).contains(old)) {
        return Ok(Value::Str(take_str(a, 0)));
    }
    check_replace_size(s(a, 0), old, new)?;
    Ok(Value::string(replace_n(s(a, 0), old, new, n)))
}

/// sprig `replace old new s`.
pub(super) fn replace<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let (old, new) = (s(a, 0), s(a, 1));
    if old == new || (!old.is_empty() && !s(a, 2).contains(old)) {
        return Ok(Value::Str(take_str(a, 2)));
    }
    check_replace_size(s(a, 2), old, new)?;
    Ok(Value::string(replace_n(s(a, 2), old, new, -1)))
}

fn check_replace_size(src: &str, old: &str, new: &str) -> Result<(), String> {
    let matches = if old.is_empty() {
        src.chars().count() + 1
    } else {
        src.matches(old).count()
    };
    let size = src.len() + matches.saturating_mul(new.len());
    if size > MAX_BUILT {
        return Err(too_big(size));
    }
    Ok(())
}

pub(super) fn contains<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Bool(s(a, 1).contains(s(a, 0))))
}

pub(super) fn has_prefix<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Bool(s(a, 1).starts_with(s(a, 0))))
}

pub(super) fn has_suffix<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Bool(s(a, 1).ends_with(s(a, 0))))
}

// --- cutting and padding ------------------------------------------------

/// sprig `trunc n s`: the first n bytes (last -n when negative).
pub(super) fn trunc<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let c = int(a, 0);
    let src = take_str(a, 1);
    let len = src.len() as i64;
    if c < 0 && len + c > 0 {
        return Ok(sub_of(src, (len + c) as usize, len as usize));
    }
    if c >= 0 && len > c {
        return Ok(sub_of(src, 0, c as usize));
    }
    Ok(Value::Str(src))
}

/// sprig `substr start end s`, byte offsets, with Go's slice panics.
pub(super) fn substr<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let (start, end) = (int(a, 0), int(a, 1));
    let src = take_str(a, 2);
    let len = src.len() as i64;
    if start < 0 {
        if end < 0 {
            return Err(format!("runtime error: slice bounds out of range [:{end}]"));
        }
        if end > len {
            return Err(format!(
                "runtime error: slice bounds out of range [:{end}] with length {len}"
            ));
        }
        return Ok(sub_of(src, 0, end as usize));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(format!(
                "runtime error: slice bounds out of range [{start}:{len}]"
            ));
        }
        return Ok(sub_of(src, start as usize, len as usize));
    }
    if start > end {
        return Err(format!(
            "runtime error: slice bounds out of range [{start}:{end}]"
        ));
    }
    Ok(sub_of(src, start as usize, end as usize))
}

/// `strings.Repeat(" ", n)`-style checks shared by the builders.
fn check_repeat(count: i64, unit: usize) -> Result<usize, String> {
    if count < 0 {
        return Err("strings: negative Repeat count".into());
    }
    let size = (count as u128) * (unit as u128);
    if size > MAX_BUILT as u128 {
        return Err(too_big(size.min(usize::MAX as u128) as usize));
    }
    Ok(count as usize)
}

/// sprig `repeat n s`.
pub(super) fn repeat<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let src = s(a, 1);
    let n = check_repeat(int(a, 0), src.len())?;
    Ok(Value::string(src.repeat(n)))
}

fn indent_str(n: i64, src: &str) -> Result<String, String> {
    let n = check_repeat(n, 1)?;
    let lines = src.matches('\n').count() + 1;
    let size = src.len() + lines.saturating_mul(n);
    if size > MAX_BUILT {
        return Err(too_big(size));
    }
    let pad = " ".repeat(n);
    let mut out = String::with_capacity(size);
    out.push_str(&pad);
    out.push_str(&src.replace('\n', &format!("\n{pad}")));
    Ok(out)
}

/// sprig `indent n s`: every line padded with n spaces.
pub(super) fn indent<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::string(indent_str(int(a, 0), s(a, 1))?))
}

/// sprig `nindent n s`: a newline, then `indent`.
pub(super) fn nindent<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let mut out = String::from("\n");
    out.push_str(&indent_str(int(a, 0), s(a, 1))?);
    Ok(Value::string(out))
}

fn align(a: &mut [Value], left: bool) -> Result<Option<String>, String> {
    let count = int(a, 0);
    let src = s(a, 1);
    let runes = src.chars().count() as i64;
    if count < 0 || count == runes {
        return Ok(None);
    }
    let pad = count - runes;
    if pad > 0 {
        let pad = check_repeat(pad, 1)?;
        let spaces = " ".repeat(pad);
        return Ok(Some(if left {
            format!("{src}{spaces}")
        } else {
            format!("{spaces}{src}")
        }));
    }
    let keep = count as usize;
    Ok(Some(if left {
        src.chars().take(keep).collect()
    } else {
        src.chars().skip(runes as usize - keep).collect()
    }))
}

/// Loki `alignLeft n s`: pad on the right or keep the first n runes.
pub(super) fn align_left<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    match align(a, true)? {
        Some(out) => Ok(Value::string(out)),
        None => Ok(Value::Str(take_str(a, 1))),
    }
}

/// Loki `alignRight n s`: pad on the left or keep the last n runes.
pub(super) fn align_right<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    match align(a, false)? {
        Some(out) => Ok(Value::string(out)),
        None => Ok(Value::Str(take_str(a, 1))),
    }
}

// --- regexes ------------------------------------------------------------

/// Compiles a Go (RE2) regex with Rust's engine, mapping the syntax
/// differences: ASCII-only `\d \w \s \b`, `\Q...\E`, octal escapes,
/// a `{` that starts no repetition being literal, and `[` / `&&` / `--` /
/// `~~` being plain characters inside a class.
pub(crate) fn compile_go_regex(pattern: &str) -> Result<Regex, String> {
    let translated = translate_go_regex(pattern)?;
    Regex::new(&translated)
        .map_err(|_| format!("error parsing regexp: invalid or unsupported syntax: `{pattern}`"))
}

fn translate_go_regex(p: &str) -> Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 16);
    let mut i = 0;
    let mut class_depth = 0usize;
    let mut class_open = 0usize;
    let mut parens: i64 = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let Some(&e) = chars.get(i + 1) else {
                return Err(
                    "error parsing regexp: trailing backslash at end of expression: ``".into(),
                );
            };
            i += 2;
            let inside = class_depth > 0;
            match e {
                'd' => out.push_str(if inside { "0-9" } else { "[0-9]" }),
                'D' => out.push_str("[^0-9]"),
                'w' => out.push_str(if inside { "0-9A-Za-z_" } else { "[0-9A-Za-z_]" }),
                'W' => out.push_str("[^0-9A-Za-z_]"),
                's' => out.push_str(if inside {
                    "\\t\\n\\f\\r "
                } else {
                    "[\\t\\n\\f\\r ]"
                }),
                'S' => out.push_str("[^\\t\\n\\f\\r ]"),
                'b' if !inside => out.push_str("(?-u:\\b)"),
                'B' if !inside => out.push_str("(?-u:\\B)"),
                'Q' => {
                    let mut lit = String::new();
                    while i < chars.len() {
                        if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                            i += 2;
                            break;
                        }
                        lit.push(chars[i]);
                        i += 1;
                    }
                    if inside {
                        for ch in lit.chars() {
                            let _ = write!(out, "\\x{{{:x}}}", ch as u32);
                        }
                    } else {
                        out.push_str(&regex::escape(&lit));
                    }
                }
                '<' | '>' => out.push(e),
                '0'..='7' if e == '0' || chars.get(i).is_some_and(|d| ('0'..='7').contains(d)) => {
                    let mut v = e.to_digit(8).unwrap_or(0);
                    let mut n = 1;
                    while n < 3 && chars.get(i).and_then(|d| d.to_digit(8)).is_some() {
                        v = v * 8 + chars[i].to_digit(8).unwrap_or(0);
                        i += 1;
                        n += 1;
                    }
                    let _ = write!(out, "\\x{{{v:x}}}");
                }
                '1'..='9' => {
                    return Err(format!(
                        "error parsing regexp: invalid escape sequence: `\\{e}`"
                    ))
                }
                _ => {
                    out.push('\\');
                    out.push(e);
                }
            }
            continue;
        }
        if class_depth > 0 {
            match c {
                '[' if chars.get(i + 1) == Some(&':') => {
                    // A POSIX class [:name:] passes through.
                    let rest: String = chars[i..].iter().collect();
                    match rest.find(":]") {
                        Some(end) if end > 1 => {
                            out.push_str(&rest[..end + 2]);
                            i += rest[..end + 2].chars().count();
                            continue;
                        }
                        _ => out.push_str("\\["),
                    }
                }
                '[' => out.push_str("\\["),
                ']' => {
                    class_depth = 0;
                    out.push(']');
                }
                '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '-' if chars.get(i + 1) == Some(&'-') => out.push_str("-\\"),
                c => out.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                class_depth = 1;
                class_open = i;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A ']' right after '[' or '[^' is literal.
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            '(' => parens += 1,
            ')' => {
                parens -= 1;
                if parens < 0 {
                    return Err(format!("error parsing regexp: unexpected ): `{p}`"));
                }
            }
            '{' => {
                match repeat_len(&chars[i..]) {
                    Some(n) => out.extend(&chars[i..i + n]),
                    None => out.push_str("\\{"),
                }
                i += repeat_len(&chars[i..]).unwrap_or(1);
                continue;
            }
            '}' => {
                out.push_str("\\}");
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    if class_depth > 0 {
        let tail: String = chars[class_open..].iter().collect();
        return Err(format!("error parsing regexp: missing closing ]: `{tail}`"));
    }
    if parens > 0 {
        return Err(format!("error parsing regexp: missing closing ): `{p}`"));
    }
    Ok(out)
}

/// The length of a valid `{n}`, `{n,}` or `{n,m}` at the start of `s`.
fn repeat_len(s: &[char]) -> Option<usize> {
    let mut i = 1;
    let digits = |i: &mut usize| {
        let start = *i;
        while s.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    if s.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    (s.get(i) == Some(&'}')).then_some(i + 1)
}

fn with_regex<'a, T>(
    env: &Env<'a>,
    pattern: &str,
    f: impl FnOnce(&Regex) -> T,
) -> Result<T, String> {
    match env.regexes.get(pattern).as_ref() {
        Ok(re) => Ok(f(re)),
        Err(e) => Err(e.clone()),
    }
}

/// Loki `regexReplaceAll regex s repl`, `$1` / `${name}` expanded.
pub(super) fn regex_replace_all<'a>(env: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let out = with_regex(env, s(a, 0), |re| {
        re.replace_all(s(a, 1), s(a, 2)).into_owned()
    })?;
    Ok(Value::string(out))
}

/// Loki `regexReplaceAllLiteral regex s repl`.
pub(super) fn regex_replace_all_literal<'a>(env: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let out = with_regex(env, s(a, 0), |re| {
        re.replace_all(s(a, 1), regex::NoExpand(s(a, 2)))
            .into_owned()
    })?;
    Ok(Value::string(out))
}

/// Loki `count regex s`: number of non-overlapping matches.
pub(super) fn count<'a>(env: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let n = with_regex(env, s(a, 0), |re| re.find_iter(s(a, 1)).count())?;
    Ok(Value::Int(n as i64))
}

// --- URL and base64 -----------------------------------------------------

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for b in src.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

pub(super) fn urlencode<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::string(query_escape(s(a, 0))))
}

/// Go's `url.QueryUnescape`.
pub(super) fn urldecode<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let src = s(a, 0).as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out: Vec<u8> = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        match src[i] {
            b'%' => {
                let pair = (
                    src.get(i + 1).and_then(|&c| hex(c)),
                    src.get(i + 2).and_then(|&c| hex(c)),
                );
                match pair {
                    (Some(h), Some(l)) if i + 2 < src.len() => {
                        out.push(h << 4 | l);
                        i += 3;
                    }
                    _ => {
                        let bad = &src[i..src.len().min(i + 3)];
                        return Err(format!("invalid URL escape {}", quote_bytes(bad)));
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(Value::string(lossy_utf8(&out)))
}

/// `strconv.Quote` of raw bytes: invalid UTF-8 bytes as `\xNN`.
fn quote_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => crate::logql::template::printf::go_quote(s),
        Err(_) => {
            let mut out = String::from("\"");
            for &c in b {
                if c.is_ascii() && !c.is_ascii_control() && c != b'"' && c != b'\\' {
                    out.push(c as char);
                } else {
                    let _ = write!(out, "\\x{c:02x}");
                }
            }
            out.push('"');
            out
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// sprig `b64enc`: standard base64 with padding.
pub(super) fn b64enc<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let src = s(a, 0).as_bytes();
    let mut out = String::with_capacity(src.len().div_ceil(3) * 4);
    for chunk in src.chunks(3) {
        let n = chunk.len();
        let v = u32::from(chunk[0]) << 16
            | u32::from(*chunk.get(1).unwrap_or(&0)) << 8
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= n {
                out.push(B64[((v >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    Ok(Value::string(out))
}

/// sprig `b64dec`: standard base64; on failure the result is Go's error
/// text (`illegal base64 data at input byte N`), not an error.
pub(super) fn b64dec<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::string(match b64_decode(s(a, 0).as_bytes()) {
        Ok(bytes) => lossy_utf8(&bytes),
        Err(at) => format!("illegal base64 data at input byte {at}"),
    }))
}

/// Go's `base64.StdEncoding.DecodeString`: `\r` and `\n` ignored, padding
/// required; the error is the offset Go reports.
fn b64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let val = |c: u8| B64.iter().position(|&x| x == c).map(|p| p as u32);
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    loop {
        let mut dbuf = [0u32; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing_err = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = val(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            // Padding.
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing_err = Some(si);
            }
            dlen = j;
            break;
        }
        let v = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3];
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing_err {
            return Err(at);
        }
        if dlen < 4 {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_regex_translation() {
        let cases = [
            (r"\d+", "[0-9]+"),
            (r"[\d.]", "[0-9.]"),
            (r"\bx", r"(?-u:\b)x"),
            (r"a{", r"a\{"),
            (r"a{2,3}", "a{2,3}"),
            (r"[[]", r"[\[]"),
            (r"[a&&b]", r"[a\&\&b]"),
            (r"\Q.*\E", r"\.\*"),
            (r"\<", "<"),
            (r"\101", r"\x{41}"),
            (r"[]a]", r"[\]a]"),
            (r"[]]", r"[\]]"),
            (r"x{2}}", r"x{2}\}"),
            (r"[[:alpha:]]", "[[:alpha:]]"),
        ];
        for (go, want) in cases {
            assert_eq!(translate_go_regex(go).as_deref(), Ok(want), "{go}");
        }
        assert!(compile_go_regex("(a").is_err_and(|e| e.contains("missing closing )")));
        assert!(compile_go_regex("a)").is_err_and(|e| e.contains("unexpected )")));
        assert!(compile_go_regex("\\d").is_ok_and(|re| !re.is_match("٣")));
    }

    #[test]
    fn base64_decode_matches_go() {
        assert_eq!(b64_decode(b"aGVsbG8="), Ok(b"hello".to_vec()));
        assert_eq!(b64_decode(b"aGVs\nbG8="), Ok(b"hello".to_vec()));
        assert_eq!(b64_decode(b""), Ok(vec![]));
        assert_eq!(b64_decode(b"aGVsbG8"), Err(4));
        assert_eq!(b64_decode(b"abc"), Err(0));
        assert_eq!(b64_decode(b"a!bc"), Err(1));
        assert_eq!(b64_decode(b"aGVsbG8=x"), Err(8));
        assert_eq!(b64_decode(b"aG=="), Ok(b"h".to_vec()));
        assert_eq!(b64_decode(b"aG="), Err(3));
    }

    #[test]
    fn case_mapping_is_simple() {
        assert_eq!(upper_char('ß'), 'ß');
        assert_eq!(upper_char('é'), 'É');
        assert_eq!(upper_char('\u{1F80}'), '\u{1F88}');
        assert_eq!(lower_char('\u{130}'), 'i');
        assert_eq!(title_char('\u{1C6}'), '\u{1C5}');
    }
}

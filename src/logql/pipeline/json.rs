//! `| json` (logql.md §3.5): without parameters every scalar leaf becomes a
//! label (nested objects flattened with `_`, arrays and nulls skipped); with
//! parameters only the given paths are extracted.
//!
//! Loki parses with `jsonparser`, a lenient scanner, and its quirks are
//! visible in results: numbers keep their source text and are not validated,
//! array contents are only bracket-matched, anything after the closing brace
//! is ignored, and the error texts (`__error_details__`) are the scanner's.
//! This module is a byte-level scanner with the same acceptance rules and
//! messages, written for speed: no intermediate values, the walk over nested
//! objects is iterative, and label values are decoded straight into the label
//! builder's arena.

use std::fmt;

use super::labels::{
    append_sanitized, extract_resolved, KeyCache, LabelsBuilder, Resolved, EXTRACTED_SUFFIX,
};
use crate::logql::ast::{JsonExtraction, JsonPathPart};

/// Error label value of a JSON parsing failure.
pub const JSON_PARSER_ERR: &str = "JSONParserErr";

/// Scanner failures, displayed with jsonparser's texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// "Unknown value type"
    UnknownValueType,
    /// "Malformed JSON error"
    MalformedJson,
    /// A string without its closing quote.
    MalformedString,
    /// An array without its closing bracket.
    MalformedArray,
    /// An object without its closing brace (also: not an object at all).
    MalformedObject,
    /// A bad `\` escape in a key.
    MalformedStringEscape,
}

impl JsonError {
    /// The message jsonparser gives.
    pub fn as_str(self) -> &'static str {
        match self {
            JsonError::UnknownValueType => "Unknown value type",
            JsonError::MalformedJson => "Malformed JSON error",
            JsonError::MalformedString => "Value is string, but can't find closing '\"' symbol",
            JsonError::MalformedArray => "Value is array, but can't find closing ']' symbol",
            JsonError::MalformedObject => {
                "Value looks like object, but can't find closing '}' symbol"
            }
            JsonError::MalformedStringEscape => {
                "Encountered an invalid escape sequence in a string"
            }
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kinds of JSON values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// A string; the value is its raw (still escaped) content.
    String,
    /// A number token (any token starting with a digit or `-`).
    Number,
    /// An object, raw text.
    Object,
    /// An array, raw text.
    Array,
    /// `true` / `false`.
    Boolean,
    /// `null`.
    Null,
}

// ---------------------------------------------------------------------------
// scanner primitives (jsonparser's rules)

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Index of the first non-white-space byte.
fn next_token(data: &[u8]) -> Option<usize> {
    data.iter().position(|b| !is_ws(*b))
}

/// Length of a number / literal token.
fn token_end(data: &[u8]) -> usize {
    data.iter()
        .position(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b',' | b'}' | b']'))
        .unwrap_or(data.len())
}

/// Given the bytes after an opening quote, the index just past the closing
/// quote and whether a backslash was seen.
fn string_end(data: &[u8]) -> Option<(usize, bool)> {
    let mut escaped = false;
    let mut from = 0;
    while let Some(i) = quote_or_backslash(data, from) {
        if data[i] == b'\\' {
            escaped = true;
            from = i + 1;
            continue;
        }
        if !escaped {
            return Some((i + 1, false));
        }
        // count the backslashes right before the quote
        let run = data[..i].iter().rev().take_while(|b| **b == b'\\').count();
        if run % 2 == 0 {
            return Some((i + 1, true));
        }
        from = i + 1;
    }
    None
}

/// Index of the first `"` or `\` at or after `from`. Keys and most values
/// are short: the first 32 bytes are searched eight at a time in registers,
/// longer strings with `memchr2`.
#[inline]
fn quote_or_backslash(data: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Flags zero bytes; the lowest flag is always exact.
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut i = from;
    while i - from < 32 {
        let Some(word) = data.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) else {
            let tail = data.get(i..)?;
            return tail
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .map(|p| i + p);
        };
        let w = u64::from_le_bytes(word);
        let hits =
            zero_byte(w ^ (ONES * u64::from(b'"'))) | zero_byte(w ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(b'"', b'\\', data.get(i..)?).map(|p| i + p)
}

/// Index just past the bracket closing the block that starts at `data[0]`,
/// skipping strings.
fn block_end(data: &[u8], open: u8, close: u8) -> Option<usize> {
    let mut level = 0i64;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b == b'"' {
            let (se, _) = string_end(&data[i + 1..])?;
            i += se;
        } else if b == open {
            level += 1;
        } else if b == close {
            level -= 1;
            if level == 0 {
                return Some(i + 1);
            }
        }
        i += 1;
    }
    None
}

/// A value found by [`get_value`]: `data[start..end]` is the value (string
/// contents without quotes), `next` is the index just past it.
#[derive(Clone, Copy, Debug)]
struct Found {
    start: usize,
    end: usize,
    next: usize,
    ty: ValueType,
}

/// jsonparser's `Get` without keys: the value at the start of `data`.
fn get_value(data: &[u8]) -> Result<Found, JsonError> {
    let off = next_token(data).ok_or(JsonError::MalformedJson)?;
    let rest = &data[off..];
    match rest[0] {
        b'"' => {
            let (idx, _) = string_end(&rest[1..]).ok_or(JsonError::MalformedString)?;
            Ok(Found {
                start: off + 1,
                end: off + idx,
                next: off + idx + 1,
                ty: ValueType::String,
            })
        }
        b'[' => {
            let e = block_end(rest, b'[', b']').ok_or(JsonError::MalformedArray)?;
            Ok(Found {
                start: off,
                end: off + e,
                next: off + e,
                ty: ValueType::Array,
            })
        }
        b'{' => {
            let e = block_end(rest, b'{', b'}').ok_or(JsonError::MalformedObject)?;
            Ok(Found {
                start: off,
                end: off + e,
                next: off + e,
                ty: ValueType::Object,
            })
        }
        first => {
            let e = token_end(rest);
            let tok = &rest[..e];
            let ty = match first {
                b't' | b'f' if tok == b"true" || tok == b"false" => ValueType::Boolean,
                b'u' | b'n' if tok == b"null" => ValueType::Null,
                b'0'..=b'9' | b'-' => ValueType::Number,
                _ => return Err(JsonError::UnknownValueType),
            };
            Ok(Found {
                start: off,
                end: off + e,
                next: off + e,
                ty,
            })
        }
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() < 4 {
        return None;
    }
    let mut v = 0u32;
    for c in &b[..4] {
        v = v * 16 + (*c as char).to_digit(16)?;
    }
    Some(v)
}

/// jsonparser's `Unescape`, appending to `out`. On a bad escape `out` is
/// left with a partial value and `Err` is returned.
pub(crate) fn unescape_into(s: &str, out: &mut String) -> Result<(), JsonError> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'\\', &b[from..]) {
        let i = from + p;
        out.push_str(s.get(from..i).unwrap_or(""));
        let esc = *b.get(i + 1).ok_or(JsonError::MalformedStringEscape)?;
        let consumed = match esc {
            b'"' => {
                out.push('"');
                2
            }
            b'\\' => {
                out.push('\\');
                2
            }
            b'/' => {
                out.push('/');
                2
            }
            b'b' => {
                out.push('\u{8}');
                2
            }
            b'f' => {
                out.push('\u{c}');
                2
            }
            b'n' => {
                out.push('\n');
                2
            }
            b'r' => {
                out.push('\r');
                2
            }
            b't' => {
                out.push('\t');
                2
            }
            b'u' => {
                let r = hex4(&b[i + 2..]).ok_or(JsonError::MalformedStringEscape)?;
                if !(0xD800..=0xDFFF).contains(&r) {
                    out.push(char::from_u32(r).unwrap_or('\u{FFFD}'));
                    6
                } else {
                    // a surrogate: the next six bytes must hold a low surrogate
                    // (jsonparser reads their hex digits without checking `\u`)
                    let r2 = b
                        .get(i + 6..i + 12)
                        .and_then(|t| hex4(&t[2..]))
                        .ok_or(JsonError::MalformedStringEscape)?;
                    if r2 < 0xDC00 {
                        return Err(JsonError::MalformedStringEscape);
                    }
                    let c = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                    out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                    12
                }
            }
            _ => return Err(JsonError::MalformedStringEscape),
        };
        from = i + consumed;
        if from > b.len() {
            return Err(JsonError::MalformedStringEscape);
        }
    }
    out.push_str(s.get(from..).unwrap_or(""));
    Ok(())
}

/// Appends a JSON string value as Loki stores it: unescaped, "" when the
/// escapes are invalid, U+FFFD replaced by a space.
pub(crate) fn push_json_string(raw: &str, out: &mut String) {
    let start = out.len();
    if memchr::memchr(b'\\', raw.as_bytes()).is_none() {
        out.push_str(raw);
    } else if unescape_into(raw, out).is_err() {
        out.truncate(start);
        return;
    }
    if memchr::memchr(0xEF, &out.as_bytes()[start..]).is_some() && out[start..].contains('\u{FFFD}')
    {
        let fixed = out[start..].replace('\u{FFFD}', " ");
        out.truncate(start);
        out.push_str(&fixed);
    }
}

// ---------------------------------------------------------------------------
// object walk (jsonparser's ObjectEach, nested objects iteratively)

/// What the walk does after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on.
    Continue,
    /// After `Enter`: do not descend into this object.
    Skip,
    /// End the walk now, successfully.
    Stop,
}

/// What the walk reports.
pub(crate) enum Event<'a> {
    /// A member whose value is not descended into. `value` is the raw text
    /// (string contents without quotes).
    Member {
        key: &'a str,
        value: &'a str,
        ty: ValueType,
    },
    /// Entering an object member (only when descending).
    Enter { key: &'a str },
    /// Leaving the object entered last.
    Leave,
}

struct Frame {
    /// End of this object's text (exclusive).
    end: usize,
    /// Where the enclosing object resumes once this one is done.
    resume: usize,
    last_comma: Option<usize>,
}

enum Mode {
    /// Expecting a key or the closing brace.
    Key,
    /// Expecting `,` or `}` after a member's value.
    AfterValue,
}

/// Objects nested deeper are not entered (their members give no labels):
/// each level costs a scan of the rest of the object, so unbounded nesting
/// would make a hostile line quadratic. Loki has no such limit.
const MAX_DEPTH: usize = 128;

/// Scratch state of a walk, reused between lines.
#[derive(Default)]
pub(crate) struct Walker {
    stack: Vec<Frame>,
    key: String,
}

impl Walker {
    /// Walks the members of the object at the start of `line` in order,
    /// descending into object values when `descend` is set. Stops at the
    /// first error with jsonparser's verdict; members reported before the
    /// error stay reported.
    pub(crate) fn walk(
        &mut self,
        line: &str,
        descend: bool,
        f: &mut dyn FnMut(Event<'_>) -> Result<Flow, JsonError>,
    ) -> Result<(), JsonError> {
        let data = line.as_bytes();
        self.stack.clear();
        let Some(mut off) = open_object(data, 0, data.len())? else {
            return Ok(());
        };
        self.stack.push(Frame {
            end: data.len(),
            resume: data.len(),
            last_comma: None,
        });
        let mut mode = Mode::Key;
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return Ok(());
            };
            let end = frame.end;
            let done = match mode {
                Mode::Key => {
                    if off >= end {
                        return Err(JsonError::MalformedObject);
                    }
                    match data[off] {
                        b'"' => false,
                        b'}' => {
                            if frame.last_comma.is_some_and(|c| c + 1 == off) {
                                return Err(JsonError::MalformedObject);
                            }
                            true
                        }
                        _ => return Err(JsonError::MalformedObject),
                    }
                }
                Mode::AfterValue => {
                    let t =
                        next_token(&data[off.min(end)..end]).ok_or(JsonError::MalformedArray)?;
                    off += t;
                    match data[off] {
                        b'}' => true,
                        b',' => {
                            frame.last_comma = Some(off);
                            off += 1;
                            let t = next_token(&data[off.min(end)..end])
                                .ok_or(JsonError::MalformedArray)?;
                            if t > 0 {
                                frame.last_comma = Some(off - 1 + t - 1);
                            }
                            off += t;
                            mode = Mode::Key;
                            continue;
                        }
                        _ => return Err(JsonError::MalformedObject),
                    }
                }
            };
            if done {
                let resume = frame.resume;
                self.stack.pop();
                if self.stack.is_empty() {
                    return Ok(());
                }
                if f(Event::Leave)? == Flow::Stop {
                    return Ok(());
                }
                off = resume;
                mode = Mode::AfterValue;
                continue;
            }
            // key
            off += 1;
            let (klen, kesc) = string_end(&data[off..end]).ok_or(JsonError::MalformedJson)?;
            let key_raw = line.get(off..off + klen - 1).unwrap_or("");
            off += klen;
            // An escaped key is decoded into scratch; a plain one is used
            // where it stands.
            let key: &str = if kesc {
                self.key.clear();
                unescape_into(key_raw, &mut self.key)
                    .map_err(|_| JsonError::MalformedStringEscape)?;
                &self.key
            } else {
                key_raw
            };
            // colon
            let c = next_token(&data[off..end]).ok_or(JsonError::MalformedJson)?;
            off += c;
            if data[off] != b':' {
                return Err(JsonError::MalformedJson);
            }
            off += 1;
            // value
            let v = get_value(&data[off..end])?;
            let (vs, ve, next) = (off + v.start, off + v.end, off + v.next);
            if descend && v.ty == ValueType::Object && self.stack.len() <= MAX_DEPTH {
                match f(Event::Enter { key })? {
                    Flow::Stop => return Ok(()),
                    Flow::Skip => {
                        off = next;
                        mode = Mode::AfterValue;
                        continue;
                    }
                    Flow::Continue => {}
                }
                match open_object(data, vs, next)? {
                    Some(o) => {
                        self.stack.push(Frame {
                            end: next,
                            resume: next,
                            last_comma: None,
                        });
                        off = o;
                        mode = Mode::Key;
                    }
                    None => {
                        if f(Event::Leave)? == Flow::Stop {
                            return Ok(());
                        }
                        off = next;
                        mode = Mode::AfterValue;
                    }
                }
                continue;
            }
            let flow = f(Event::Member {
                key,
                value: line.get(vs..ve).unwrap_or(""),
                ty: v.ty,
            })?;
            if flow == Flow::Stop {
                return Ok(());
            }
            off = next;
            mode = Mode::AfterValue;
        }
    }
}

/// Checks that `data[from..end]` starts with `{`. Returns the index of the
/// first token inside, or None when the object is empty (`{}`).
fn open_object(data: &[u8], from: usize, end: usize) -> Result<Option<usize>, JsonError> {
    let slice = data.get(from..end).unwrap_or(&[]);
    let o = next_token(slice).ok_or(JsonError::MalformedObject)?;
    if slice[o] != b'{' {
        return Err(JsonError::MalformedObject);
    }
    let after = o + 1;
    let t = next_token(&slice[after..]).ok_or(JsonError::MalformedJson)?;
    if slice[after + t] == b'}' {
        return Ok(None);
    }
    Ok(Some(from + after + t))
}

// ---------------------------------------------------------------------------
// `| json` without parameters

const MEMBER: u8 = 0;
const ENTER: u8 = 1;
const LEAVE: u8 = 2;

/// `| json`: every scalar member becomes a label. Label names are resolved
/// once per key sequence of the stream (see [`KeyCache`]).
#[derive(Default)]
pub struct JsonStage {
    walker: Walker,
    prefix: String,
    prefix_lens: Vec<usize>,
    keys: KeyCache,
}

impl JsonStage {
    /// A fresh stage.
    pub fn new() -> JsonStage {
        JsonStage::default()
    }

    /// Extracts the labels of `line`; on malformed JSON sets `JSONParserErr`
    /// and keeps what was extracted before the error.
    pub fn process(&mut self, line: &str, lbs: &mut LabelsBuilder) {
        if lbs.parsers_idle() {
            return;
        }
        let JsonStage {
            walker,
            prefix,
            prefix_lens,
            keys,
        } = self;
        prefix.clear();
        prefix_lens.clear();
        keys.start();
        let res = walker.walk(line, true, &mut |ev| {
            match ev {
                Event::Enter { key } => {
                    keys.next(ENTER, key, || None);
                    let before = prefix.len();
                    if !prefix.is_empty() {
                        prefix.push('_');
                    }
                    append_sanitized(prefix, key);
                    if !lbs.should_extract_prefix(prefix) {
                        prefix.truncate(before);
                        return Ok(Flow::Skip);
                    }
                    prefix_lens.push(before);
                }
                Event::Leave => {
                    keys.next(LEAVE, "", || None);
                    let l = prefix_lens.pop().unwrap_or(0);
                    prefix.truncate(l);
                }
                Event::Member { key, value, ty } => {
                    let idx = keys.next(MEMBER, key, || {
                        let mut name = String::with_capacity(prefix.len() + key.len() + 1);
                        if !prefix.is_empty() {
                            name.push_str(prefix);
                            name.push('_');
                        }
                        append_sanitized(&mut name, key);
                        // Keys the hints rule out are remembered without a
                        // name: later lines skip them at once.
                        Some(Resolved::new(name, lbs)).filter(|r| r.extractable(lbs))
                    });
                    if matches!(
                        ty,
                        ValueType::String | ValueType::Number | ValueType::Boolean
                    ) {
                        if let Some(r) = idx.and_then(|i| keys.name(i)) {
                            extract_resolved(r, lbs, |out| match ty {
                                ValueType::String => push_json_string(value, out),
                                ValueType::Boolean => {
                                    out.push_str(if value == "true" { "true" } else { "false" })
                                }
                                _ => out.push_str(value),
                            });
                        }
                    }
                    if lbs.all_required_extracted() {
                        return Ok(Flow::Stop);
                    }
                }
            }
            Ok(Flow::Continue)
        });
        if let Err(e) = res {
            lbs.set_error_with_details(JSON_PARSER_ERR, e.as_str());
        }
    }
}

// ---------------------------------------------------------------------------
// `| json a="path", ...` (jsonparser's EachKey)

/// `| json label="expr", ...`: extracts the given paths.
pub struct JsonPathsStage {
    labels: Vec<String>,
    paths: Vec<Vec<String>>,
    value: String,
}

impl JsonPathsStage {
    /// Compiles the extractions; each path step is a key or `[n]`.
    pub fn new(extractions: &[JsonExtraction]) -> JsonPathsStage {
        JsonPathsStage {
            labels: extractions.iter().map(|e| e.label.clone()).collect(),
            paths: extractions
                .iter()
                .map(|e| {
                    e.path
                        .iter()
                        .map(|p| match p {
                            JsonPathPart::Key(k) => k.clone(),
                            JsonPathPart::Index(i) => format!("[{i}]"),
                        })
                        .collect()
                })
                .collect(),
            value: String::new(),
        }
    }

    /// Sets one label per extraction: scalars unescaped, objects as raw
    /// text, null and missing paths as "". Only a line that does not start
    /// with `{`, `[` or `"`, or a structural error met while searching, sets
    /// `JSONParserErr`.
    pub fn process(&mut self, line: &str, lbs: &mut LabelsBuilder) {
        if line.is_empty() || lbs.parsers_idle() {
            return;
        }
        if !matches!(line.as_bytes()[0], b'"' | b'{' | b'[') {
            lbs.set_error(JSON_PARSER_ERR);
            return;
        }
        let mut matches = 0usize;
        let JsonPathsStage {
            labels,
            paths,
            value,
        } = self;
        each_key(line.as_bytes(), paths, &mut |idx, found| {
            let (raw, ty) = match found {
                Ok(v) => v,
                Err(e) => {
                    lbs.set_error_with_details(JSON_PARSER_ERR, e.as_str());
                    return;
                }
            };
            let Some(label) = labels.get(idx) else {
                return;
            };
            let raw = std::str::from_utf8(raw).unwrap_or("");
            value.clear();
            match ty {
                ValueType::Null => {}
                ValueType::Object => value.push_str(raw),
                _ => push_json_string(raw, value),
            }
            if lbs.base_has(label) {
                let mut n = String::with_capacity(label.len() + EXTRACTED_SUFFIX.len());
                n.push_str(label);
                n.push_str(EXTRACTED_SUFFIX);
                lbs.set_parsed(&n, value);
            } else {
                lbs.set_parsed(label, value);
            }
            matches += 1;
        });
        if matches < labels.len() {
            for label in labels.iter() {
                if lbs.get(label).is_none() {
                    lbs.set_parsed(label, "");
                }
            }
        }
    }
}

fn path_step_eq(key: &[u8], step: &str) -> bool {
    key == step.as_bytes()
}

fn same_tree(p: &[String], buf: &[Vec<u8>]) -> bool {
    p.iter()
        .zip(buf.iter())
        .all(|(a, b)| a.as_bytes() == b.as_slice())
}

fn atoi_index(step: &str) -> Option<usize> {
    step.get(1..step.len().checked_sub(1)?)?.parse().ok()
}

fn unescaped_key(raw: &[u8], esc: bool, out: &mut Vec<u8>) -> bool {
    out.clear();
    if !esc {
        out.extend_from_slice(raw);
        return true;
    }
    let Ok(s) = std::str::from_utf8(raw) else {
        return false;
    };
    let mut tmp = String::new();
    if unescape_into(s, &mut tmp).is_err() {
        return false;
    }
    out.extend_from_slice(tmp.as_bytes());
    true
}

type FoundValue<'a> = Result<(&'a [u8], ValueType), JsonError>;

fn found_of(data: &[u8]) -> FoundValue<'_> {
    get_value(data).map(|f| (&data[f.start..f.end], f.ty))
}

/// jsonparser's `EachKey`: walks `data` once and calls `cb(path index,
/// value)` for the first occurrence of each path. A structural problem at
/// the top calls `cb` with an error; most malformed input just ends the walk.
fn each_key(data: &[u8], paths: &[Vec<String>], cb: &mut dyn FnMut(usize, FoundValue<'_>)) {
    let ln = data.len() as isize;
    let mut level: isize = 0;
    let mut matched_count = 0usize;
    let mut flags = vec![false; paths.len()];
    let max_path = paths.iter().map(Vec::len).max().unwrap_or(0);
    let mut buf: Vec<Vec<u8>> = vec![Vec::new(); max_path];
    let mut key = Vec::new();
    let mut i: isize = 0;
    // Every iteration moves forward except rare one-byte steps back; bound
    // the walk so no input can make it spin.
    let mut budget = data.len().saturating_mul(4) + 64;
    let at =
        |i: isize| -> Option<u8> { usize::try_from(i).ok().and_then(|u| data.get(u).copied()) };
    while i < ln {
        budget = match budget.checked_sub(1) {
            Some(b) => b,
            None => return,
        };
        let Some(c) = at(i) else { return };
        match c {
            b'"' => {
                i += 1;
                let key_begin = i as usize;
                let Some((se, esc)) = string_end(&data[key_begin..]) else {
                    return;
                };
                i += se as isize;
                let key_end = (i - 1) as usize;
                let Some(vo) = next_token(&data[i as usize..]) else {
                    return;
                };
                i += vo as isize;
                if at(i) == Some(b':') {
                    let mut matched = false;
                    if !unescaped_key(&data[key_begin..key_end], esc, &mut key) {
                        return;
                    }
                    if max_path as isize >= level {
                        if level < 1 {
                            cb(usize::MAX, Err(JsonError::MalformedJson));
                            return;
                        }
                        let lv = level as usize;
                        buf[lv - 1].clear();
                        buf[lv - 1].extend_from_slice(&key);
                        for (pi, p) in paths.iter().enumerate() {
                            if p.len() != lv
                                || flags[pi]
                                || !path_step_eq(&key, &p[lv - 1])
                                || !same_tree(p, &buf[..lv])
                            {
                                continue;
                            }
                            matched = true;
                            matched_count += 1;
                            flags[pi] = true;
                            let from = (i + 1) as usize;
                            cb(pi, found_of(data.get(from..).unwrap_or(&[])));
                            if matched_count == paths.len() {
                                break;
                            }
                        }
                        if matched_count == paths.len() {
                            return;
                        }
                    }
                    if !matched {
                        let from = (i + 1) as usize;
                        i += next_token(data.get(from..).unwrap_or(&[])).map_or(-1, |t| t as isize);
                        if at(i) == Some(b'{') {
                            let skip = block_end(&data[i as usize..], b'{', b'}')
                                .map_or(-1, |e| e as isize);
                            i += skip + 1;
                        }
                    }
                    if i < ln && matches!(at(i), Some(b'{' | b'}' | b'[' | b'"')) {
                        i -= 1;
                    }
                } else {
                    i -= 1;
                }
            }
            b'{' => level += 1,
            b'}' => level -= 1,
            b'[' => {
                if level < 0 {
                    cb(usize::MAX, Err(JsonError::MalformedJson));
                    return;
                }
                let lv = level as usize;
                let mut wanted: Vec<(usize, usize)> = Vec::new(); // (path, index)
                for (pi, p) in paths.iter().enumerate() {
                    if p.len() < lv + 1
                        || flags[pi]
                        || !p[lv].starts_with('[')
                        || !same_tree(p, &buf[..lv.min(buf.len())])
                    {
                        continue;
                    }
                    if p[lv].len() >= 2 {
                        wanted.push((pi, atoi_index(&p[lv]).unwrap_or(0)));
                    }
                }
                let start = i as usize;
                if !wanted.is_empty() {
                    level += 1;
                    let lv1 = level as usize;
                    let mut cur = 0usize;
                    let arr = &data[start..];
                    let arr_off = array_each(arr, &mut |vs, ve, ty| {
                        let value = &arr[vs..ve];
                        for &(pi, idx) in &wanted {
                            if idx != cur || flags[pi] {
                                continue;
                            }
                            let rest = paths[pi].get(lv1..).unwrap_or(&[]);
                            let of = search_keys(value, rest);
                            matched_count += 1;
                            flags[pi] = true;
                            if let Some(of) = of {
                                if ty == ValueType::String {
                                    cb(pi, Ok((value.get(of..).unwrap_or(&[]), ty)));
                                } else {
                                    cb(pi, found_of(value.get(of..).unwrap_or(&[])));
                                }
                            }
                        }
                        cur += 1;
                    });
                    if matched_count == paths.len() {
                        return;
                    }
                    i += arr_off - 1;
                } else {
                    let Some(skip) = block_end(&data[start..], b'[', b']') else {
                        return;
                    };
                    i += skip as isize - 1;
                }
            }
            b']' => level -= 1,
            _ => {}
        }
        i += 1;
    }
}

/// jsonparser's `ArrayEach` over the array at the start of `data`; returns
/// the offset where it stopped.
fn array_each(data: &[u8], f: &mut dyn FnMut(usize, usize, ValueType)) -> isize {
    if data.is_empty() {
        return -1;
    }
    let Some(nt) = next_token(data) else {
        return -1;
    };
    let mut offset = nt + 1;
    let Some(no) = next_token(data.get(offset..).unwrap_or(&[])) else {
        return offset as isize;
    };
    offset += no;
    if data.get(offset) == Some(&b']') {
        return offset as isize;
    }
    loop {
        let Ok(v) = get_value(data.get(offset..).unwrap_or(&[])) else {
            return offset as isize;
        };
        if v.next == 0 {
            break;
        }
        f(offset + v.start, offset + v.end, v.ty);
        offset += v.next;
        let Some(skip) = next_token(data.get(offset..).unwrap_or(&[])) else {
            return offset as isize;
        };
        offset += skip;
        match data.get(offset) {
            Some(b']') => break,
            Some(b',') => offset += 1,
            _ => return offset as isize,
        }
    }
    offset as isize
}

/// jsonparser's `searchKeys`: where the value at `keys` starts inside `data`.
fn search_keys(data: &[u8], keys: &[String]) -> Option<usize> {
    if keys.is_empty() {
        return Some(0);
    }
    let lk = keys.len() as isize;
    let mut key_level: isize = 0;
    let mut level: isize = 0;
    let mut last_matched = true;
    let mut i = 0usize;
    let mut key = Vec::new();
    while i < data.len() {
        match data[i] {
            b'"' => {
                i += 1;
                let key_begin = i;
                let (se, esc) = string_end(&data[i..])?;
                i += se;
                let key_end = i - 1;
                i += next_token(&data[i..])?;
                if data[i] == b':' {
                    if level < 1 {
                        return None;
                    }
                    if !unescaped_key(&data[key_begin..key_end], esc, &mut key) {
                        return None;
                    }
                    if level <= lk {
                        if path_step_eq(&key, &keys[(level - 1) as usize]) {
                            last_matched = true;
                            if key_level == level - 1 {
                                key_level += 1;
                                if key_level == lk {
                                    return Some(i + 1);
                                }
                            }
                        } else {
                            last_matched = false;
                        }
                    } else {
                        return None;
                    }
                } else {
                    i -= 1;
                }
            }
            b'{' => {
                if !last_matched {
                    let end = block_end(&data[i..], b'{', b'}')?;
                    i += end - 1;
                } else {
                    level += 1;
                }
            }
            b'}' => {
                level -= 1;
                if level == key_level {
                    key_level -= 1;
                }
            }
            b'[' => {
                let step = usize::try_from(level).ok().and_then(|l| keys.get(l));
                match step {
                    Some(step) if key_level == level && step.starts_with('[') => {
                        if step.len() < 3 || !step.ends_with(']') {
                            return None;
                        }
                        let want = atoi_index(step)?;
                        let mut cur = 0usize;
                        let mut found: Option<(usize, usize)> = None;
                        let base = i;
                        array_each(&data[i..], &mut |vs, ve, ty| {
                            if cur == want {
                                found = Some(if ty == ValueType::String {
                                    (vs.saturating_sub(1), ve - vs + 2)
                                } else {
                                    (vs, ve - vs)
                                });
                            }
                            cur += 1;
                        });
                        let (s, len) = found?;
                        let value = data.get(base + s..base + s + len)?;
                        let rest = keys.get((level + 1) as usize..).unwrap_or(&[]);
                        let sub = search_keys(value, rest)?;
                        return Some(i + s + sub);
                    }
                    _ => {
                        let skip = block_end(&data[i..], b'[', b']')?;
                        i += skip - 1;
                    }
                }
            }
            b':' => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_or_backslash_finds_what_a_byte_scan_finds() {
        // Every length up to past the 32-byte register window, the target
        // at every position, from every start offset.
        // Fillers next to the targets' codes, and high bytes, in turn.
        let fillers = [b'a', 0x21, 0x23, 0x5b, 0x5d, 0xa2, 0xdc, 0x80];
        for len in 0..80usize {
            for at in 0..=len {
                for target in [b'"', b'\\'] {
                    let mut data: Vec<u8> = (0..len)
                        .map(|k| fillers[(k + at) % fillers.len()])
                        .collect();
                    if at < len {
                        data[at] = target;
                    }
                    for from in 0..=len {
                        let want = data
                            .get(from..)
                            .and_then(|t| t.iter().position(|&b| b == b'"' || b == b'\\'))
                            .map(|p| from + p);
                        assert_eq!(quote_or_backslash(&data, from), want, "{len} {at} {from}");
                    }
                }
            }
        }
    }
    use crate::model::Labels;
    use std::sync::Arc;

    /// The labels a stage leaves (stream label `app` left out), as `k=v` pairs.
    fn labels(b: &LabelsBuilder) -> String {
        let mut out = Vec::new();
        b.for_each_sorted(&mut |n, v| {
            if n != "app" {
                out.push(format!("{n}={v:?}"));
            }
        });
        out.join(" ")
    }

    fn flatten(line: &str) -> String {
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs([("app", "x")])));
        b.reset(&[]);
        JsonStage::new().process(line, &mut b);
        labels(&b)
    }

    #[test]
    fn flattening_follows_jsonparser() {
        let err = |e: &str, rest: &str| {
            let head = format!("__error__=\"JSONParserErr\" __error_details__={e:?}");
            if rest.is_empty() {
                head
            } else {
                format!("{head} {rest}")
            }
        };
        let cases: Vec<(&str, String)> = vec![
            (
                r#"{"a":"b","n":1.50,"t":true,"f":false,"z":null,"arr":[1,{"x":1}],"o":{"p":{"q":"r"}}}"#,
                r#"a="b" f="false" n="1.50" o_p_q="r" t="true""#.into(),
            ),
            (
                r#"{"s":"line\nbreak \"q\" \u00e9 \ud83d\ude00"}"#,
                "s=\"line\\nbreak \\\"q\\\" é 😀\"".into(),
            ),
            (r#"{"s":"bad \x","t":"ok"}"#, r#"s="" t="ok""#.into()),
            (r#"{"s":"\ud83d"}"#, r#"s="""#.into()),
            (r#"{"k\"ey":"v"}"#, r#"k_ey="v""#.into()),
            (r#"{"a":"b","a":"c"}"#, r#"a="b""#.into()),
            (r#"{"a":12abc}"#, r#"a="12abc""#.into()),
            (r#"{"a":1, }"#, r#"a="1""#.into()),
            (r#"  {"a":"b"}  junk"#, r#"a="b""#.into()),
            (r#"{} trailing"#, String::new()),
            (r#"{"":"v","1x":"y"}"#, r#"_1x="y""#.into()),
            (r#"{"o":{"1x":"y","":"z"}}"#, r#"o_="z" o_1x="y""#.into()),
            (
                r#"{"k\qey":"v"}"#,
                err("Encountered an invalid escape sequence in a string", ""),
            ),
            (r#"{"a":"b","c":"#, err("Malformed JSON error", r#"a="b""#)),
            (
                r#"{"a":"b""#,
                err(
                    "Value is array, but can't find closing ']' symbol",
                    r#"a="b""#,
                ),
            ),
            (
                r#"{"a":1,}"#,
                err(
                    "Value looks like object, but can't find closing '}' symbol",
                    r#"a="1""#,
                ),
            ),
            (
                r#"[1,2]"#,
                err(
                    "Value looks like object, but can't find closing '}' symbol",
                    "",
                ),
            ),
            (
                "",
                err(
                    "Value looks like object, but can't find closing '}' symbol",
                    "",
                ),
            ),
            (r#"{"a":tru}"#, err("Unknown value type", "")),
            (
                r#"{"a":"unterminated}"#,
                err("Value is string, but can't find closing '\"' symbol", ""),
            ),
            (
                r#"{"a":{"b":1}"#,
                err(
                    "Value is array, but can't find closing ']' symbol",
                    r#"a_b="1""#,
                ),
            ),
            (
                r#"{"a":[}"#,
                err("Value is array, but can't find closing ']' symbol", ""),
            ),
            (
                r#"{"o":{"x":1,}}"#,
                err(
                    "Value looks like object, but can't find closing '}' symbol",
                    r#"o_x="1""#,
                ),
            ),
            (r#"{"a" "b"}"#, err("Malformed JSON error", "")),
        ];
        for (line, want) in cases {
            assert_eq!(flatten(line), want, "{line}");
        }
    }

    #[test]
    fn flattening_stops_descending_at_the_depth_limit() {
        let depth = MAX_DEPTH + 10;
        let mut line = String::new();
        for _ in 0..depth {
            line.push_str(r#"{"a":"#);
        }
        line.push('1');
        for _ in 0..depth {
            line.push('}');
        }
        let got = flatten(&format!(r#"{{"x":"y","n":{line}}}"#));
        assert_eq!(got, r#"x="y""#);
    }

    fn paths(line: &str, exprs: &[(&str, Vec<JsonPathPart>)]) -> String {
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs([("app", "x")])));
        b.reset(&[]);
        let extractions: Vec<JsonExtraction> = exprs
            .iter()
            .map(|(l, p)| JsonExtraction {
                label: l.to_string(),
                expr: String::new(),
                path: p.clone(),
            })
            .collect();
        JsonPathsStage::new(&extractions).process(line, &mut b);
        labels(&b)
    }

    fn k(s: &str) -> JsonPathPart {
        JsonPathPart::Key(s.into())
    }

    fn i(n: usize) -> JsonPathPart {
        JsonPathPart::Index(n)
    }

    #[test]
    fn paths_follow_each_key() {
        let line = r#"{"a":{"b":[{"c":"d"},{"c":"e"}],"s":"x\"y"},"n":null,"arr":[1,"two",{"k":"v"}],"top":{"x":1}}"#;
        let cases: Vec<(Vec<JsonPathPart>, &str)> = vec![
            (vec![k("a"), k("s")], r#"v="x\"y""#),
            (vec![k("a"), k("b"), i(1), k("c")], r#"v="e""#),
            (vec![k("n")], r#"v="""#),
            (vec![k("top")], r#"v="{\"x\":1}""#),
            (vec![k("arr"), i(1)], r#"v="two""#),
            (vec![k("arr"), i(2), k("k")], r#"v="v""#),
            (vec![k("missing")], r#"v="""#),
            (vec![k("a"), k("b"), i(5)], r#"v="""#),
        ];
        for (p, want) in cases {
            assert_eq!(paths(line, &[("v", p.clone())]), want, "{p:?}");
        }
        assert_eq!(paths(r#"["x","y"]"#, &[("v", vec![i(0)])]), r#"v="x""#);
        assert_eq!(
            paths(
                r#"{"a":"1","b":"2"}"#,
                &[("x", vec![k("b")]), ("y", vec![k("a")])]
            ),
            r#"x="2" y="1""#
        );
        // a line that cannot be JSON: error without details, no labels
        assert_eq!(
            paths("plain", &[("v", vec![k("a")])]),
            r#"__error__="JSONParserErr""#
        );
        assert_eq!(paths("", &[("v", vec![k("a")])]), "");
    }
}

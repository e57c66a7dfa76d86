//! Summaries of the top-level fields of JSON lines, one per stream and day
//! (see [`super::day_fields`]): for each key, how many lines hold it, the
//! range of its numeric values and whether any value is not a number. A
//! metric query with `| json | field >= 500` skips a stream no line of which
//! can pass, and counts a stream every line of which passes from block
//! totals, without decompressing its lines.
//!
//! A summary exists only when every line it describes is a flat JSON
//! object (no nested objects or arrays, no escapes in strings) that the
//! query side's JSON parser reads without error, with at most
//! [`MAX_FIELDS`] distinct keys. It may describe more lines than are
//! stored (lines refused or deduplicated after they were summarised):
//! every property readers use (a key in every line, all values within a
//! range) holds for a subset too.

use super::error::CodecError;
use super::varint::{put_uvarint, Reader};
use super::window16::{digit_bits, digits_value, either_bits, window};
use crate::logql::number::parse_go_float;

/// Most distinct keys a summary holds; lines with more make none.
pub const MAX_FIELDS: usize = 64;
/// Longest key a summary holds.
const MAX_KEY_LEN: usize = 256;

/// Flag: the field has numeric values (min and max follow).
const HAS_NUMBERS: u8 = 1;
/// Flag: some value is not a finite number.
const HAS_OTHER: u8 = 2;

/// What is known about one key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldStats {
    /// End of the key in the summary's key text.
    key_end: u32,
    /// Lines holding the key.
    pub lines: u32,
    /// Smallest numeric value (`+inf` when there is none).
    pub min: f64,
    /// Largest numeric value (`-inf` when there is none).
    pub max: f64,
    /// Some value is a string, `true`, `false`, `null` or out of `f64`
    /// range: a numeric comparison on it would fail.
    pub other: bool,
}

impl FieldStats {
    /// No line holds the field (yet).
    const EMPTY: FieldStats = FieldStats {
        key_end: 0,
        lines: 0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        other: false,
    };

    /// The range of the numeric values, if there are any.
    pub fn numbers(&self) -> Option<(f64, f64)> {
        (self.min <= self.max).then_some((self.min, self.max))
    }

    fn absorb(&mut self, o: &FieldStats) {
        self.lines = self.lines.saturating_add(o.lines);
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        self.other |= o.other;
    }
}

/// The summary of some lines (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSummary {
    lines: u32,
    keys: String,
    fields: Vec<FieldStats>,
}

impl FieldSummary {
    /// Lines summarised.
    pub fn lines(&self) -> u32 {
        self.lines
    }

    /// Each key (raw, as in the lines) with its facts.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &FieldStats)> {
        let mut start = 0usize;
        self.fields.iter().map(move |f| {
            let key = self.keys.get(start..f.key_end as usize).unwrap_or("");
            start = f.key_end as usize;
            (key, f)
        })
    }

    /// Bytes of memory the summary holds, roughly.
    pub fn memory(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.keys.capacity()
            + self.fields.capacity() * std::mem::size_of::<FieldStats>()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.fields().position(|(k, _)| k == key)
    }

    /// The `i`-th key.
    fn key(&self, i: usize) -> &str {
        let start = i
            .checked_sub(1)
            .and_then(|p| self.fields.get(p))
            .map_or(0, |p| p.key_end as usize);
        let end = self.fields.get(i).map_or(0, |x| x.key_end as usize);
        self.keys.get(start..end).unwrap_or("")
    }

    /// A copy holding only the fields some line holds.
    fn without_unused(&self) -> FieldSummary {
        let mut out = FieldSummary {
            lines: self.lines,
            keys: String::with_capacity(self.keys.len()),
            fields: Vec::with_capacity(self.fields.len()),
        };
        for (key, f) in self.fields().filter(|(_, f)| f.lines > 0) {
            let i = out.push_field(key);
            let key_end = out.fields[i].key_end;
            out.fields[i] = FieldStats { key_end, ..*f };
        }
        out
    }

    fn push_field(&mut self, key: &str) -> usize {
        self.keys.push_str(key);
        self.fields.push(FieldStats {
            key_end: self.keys.len() as u32,
            ..FieldStats::EMPTY
        });
        self.fields.len() - 1
    }

    /// Adds the lines of `other`; false (and `self` unusable) when the
    /// union has more than [`MAX_FIELDS`] keys.
    pub fn merge(&mut self, other: &FieldSummary) -> bool {
        self.lines = self.lines.saturating_add(other.lines);
        // Summaries of one stream mostly list their keys in the same
        // order, give or take keys other streams put first in a builder's
        // table: each key is looked for after the previous one's place
        // before the whole list is searched.
        let mut next = 0;
        for (key, f) in other.fields() {
            let in_order = next < self.fields.len() && self.key(next) == key;
            let i = match if in_order {
                Some(next)
            } else {
                self.position(key)
            } {
                Some(i) => i,
                None if self.fields.len() < MAX_FIELDS => self.push_field(key),
                None => return false,
            };
            self.fields[i].absorb(f);
            next = i + 1;
        }
        true
    }

    /// Appends the encoded summary (layout in `storage-format.md`).
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_uvarint(out, u64::from(self.lines));
        put_uvarint(out, self.fields.len() as u64);
        for (key, f) in self.fields() {
            put_uvarint(out, key.len() as u64);
            out.extend_from_slice(key.as_bytes());
            put_uvarint(out, u64::from(f.lines));
            let numbers = f.numbers();
            let flags = if numbers.is_some() { HAS_NUMBERS } else { 0 }
                | if f.other { HAS_OTHER } else { 0 };
            out.push(flags);
            if let Some((min, max)) = numbers {
                out.extend_from_slice(&min.to_le_bytes());
                out.extend_from_slice(&max.to_le_bytes());
            }
        }
    }

    /// Decodes and checks an encoded summary.
    pub fn decode(raw: &[u8]) -> Result<FieldSummary, CodecError> {
        const WHAT: &str = "field summary";
        let mut r = Reader::new(raw);
        let lines = u32::try_from(r.uvarint(WHAT)?).map_err(|_| CodecError::Invalid(WHAT))?;
        let n = r.len(MAX_FIELDS, WHAT)?;
        let mut s = FieldSummary {
            lines,
            ..FieldSummary::default()
        };
        for _ in 0..n {
            let key_len = r.len(MAX_KEY_LEN, WHAT)?;
            let key = std::str::from_utf8(r.bytes(key_len, WHAT)?)
                .map_err(|_| CodecError::Invalid(WHAT))?;
            if s.position(key).is_some() {
                return Err(CodecError::Invalid(WHAT));
            }
            let present = r.uvarint(WHAT)?;
            let flags = r.u8(WHAT)?;
            if present > u64::from(lines) || present == 0 || flags & !(HAS_NUMBERS | HAS_OTHER) != 0
            {
                return Err(CodecError::Invalid(WHAT));
            }
            let i = s.push_field(key);
            let f = &mut s.fields[i];
            f.lines = present as u32;
            f.other = flags & HAS_OTHER != 0;
            if flags & HAS_NUMBERS != 0 {
                f.min = f64::from_le_bytes(r.array(WHAT)?);
                f.max = f64::from_le_bytes(r.array(WHAT)?);
                if !(f.min.is_finite() && f.max.is_finite() && f.min <= f.max) {
                    return Err(CodecError::Invalid(WHAT));
                }
            } else if !f.other {
                return Err(CodecError::Invalid(WHAT));
            }
        }
        if !r.is_empty() {
            return Err(CodecError::Invalid(WHAT));
        }
        Ok(s)
    }
}

/// Builds the summary of lines one at a time, walking each line once.
///
/// Its table of keys outlives [`Self::finish`]: the next stream of a push
/// usually has the same keys in the same order, and finds them at once.
#[derive(Debug, Default)]
pub struct FieldSummaryBuilder {
    acc: FieldSummary,
    /// Per field: the last line (1-based) that held it.
    last_line: Vec<u32>,
    /// Per field: whether its key is a level field.
    level_key: Vec<bool>,
    /// The n-th key of the previous line: lines of one stream usually
    /// repeat their keys in the same order.
    shape: Vec<Option<KeyPattern>>,
    dead: bool,
}

impl FieldSummaryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Walks one line into the summary. For a line that can be summarised,
    /// returns `Some` with the raw text of the first top-level string value
    /// whose key `is_level_key` accepts (found in document order); `None`
    /// when the line cannot be summarised: the builder then makes no
    /// summary and walks no more lines.
    pub fn add_line<'a>(
        &mut self,
        line: &'a str,
        is_level_key: &dyn Fn(&[u8]) -> bool,
    ) -> Option<Option<&'a str>> {
        if self.dead {
            return None;
        }
        self.acc.lines += 1;
        let found = self.walk(line, is_level_key);
        if found.is_none() {
            self.dead = true;
        }
        found
    }

    /// The summary of the lines added since the last call (`None` when
    /// one could not be summarised, or there were none); starts afresh.
    pub fn finish(&mut self) -> Option<FieldSummary> {
        let out = (!self.dead && self.acc.lines > 0).then(|| self.acc.without_unused());
        self.acc.lines = 0;
        for f in &mut self.acc.fields {
            *f = FieldStats {
                key_end: f.key_end,
                ..FieldStats::EMPTY
            };
        }
        self.last_line.fill(0);
        self.dead = false;
        out
    }

    fn walk<'a>(
        &mut self,
        line: &'a str,
        is_level_key: &dyn Fn(&[u8]) -> bool,
    ) -> Option<Option<&'a str>> {
        let b = line.as_bytes();
        if b.first() != Some(&b'{') {
            return None;
        }
        let mut level = None;
        let mut i = skip_ws(b, 1);
        if b.get(i) == Some(&b'}') {
            return (skip_ws(b, i + 1) == b.len()).then_some(None);
        }
        let mut pos = 0usize;
        loop {
            let known = self.shape.get(pos).and_then(Option::as_ref);
            let f = match known.filter(|k| k.matches(b, i)) {
                Some(k) => {
                    i = skip_ws(b, i + k.len);
                    usize::from(k.field)
                }
                None => {
                    if b.get(i) != Some(&b'"') {
                        return None;
                    }
                    let key_end = string_end(b, i + 1)?;
                    let f = self.field(pos, b.get(i + 1..key_end)?, is_level_key)?;
                    i = skip_ws(b, key_end + 1);
                    if b.get(i) != Some(&b':') {
                        return None;
                    }
                    i = skip_ws(b, i + 1);
                    f
                }
            };
            let (number, end) = match *b.get(i)? {
                b'"' => {
                    let e = string_end(b, i + 1)?;
                    if level.is_none() && self.level_key.get(f) == Some(&true) {
                        level = line.get(i + 1..e);
                    }
                    (None, e + 1)
                }
                b'-' | b'0'..=b'9' => {
                    let (e, v) = number(b, i)?;
                    (v, e)
                }
                b't' if b[i..].starts_with(b"true") => (None, i + 4),
                b'f' if b[i..].starts_with(b"false") => (None, i + 5),
                b'n' if b[i..].starts_with(b"null") => (None, i + 4),
                _ => return None,
            };
            self.note(f, number);
            pos += 1;
            i = skip_ws(b, end);
            match b.get(i) {
                Some(b',') => i = skip_ws(b, i + 1),
                Some(b'}') => return (skip_ws(b, i + 1) == b.len()).then_some(level),
                _ => return None,
            }
        }
    }

    /// The field of `key`, the `pos`-th key of the line, looked up by name
    /// (after [`Self::same_key_as_before`] missed) and added when new;
    /// `None` when the summary cannot take it.
    fn field(
        &mut self,
        pos: usize,
        key: &[u8],
        is_level_key: &dyn Fn(&[u8]) -> bool,
    ) -> Option<usize> {
        // The key lies between two quotes of a `str`: it is UTF-8.
        let key = std::str::from_utf8(key).ok()?;
        if key.len() > MAX_KEY_LEN {
            return None;
        }
        let f = match self.acc.position(key) {
            Some(f) => f,
            None => {
                if self.acc.fields.len() >= MAX_FIELDS {
                    self.drop_unused_fields();
                }
                if self.acc.fields.len() >= MAX_FIELDS {
                    return None;
                }
                self.last_line.push(0);
                self.level_key.push(is_level_key(key.as_bytes()));
                self.acc.push_field(key)
            }
        };
        if self.shape.len() <= pos {
            self.shape.resize(pos + 1, None);
        }
        self.shape[pos] = KeyPattern::new(key.as_bytes(), f);
        Some(f)
    }

    /// Forgets the fields earlier streams left in the table.
    fn drop_unused_fields(&mut self) {
        let used: Vec<bool> = self.acc.fields.iter().map(|f| f.lines > 0).collect();
        self.acc = self.acc.without_unused();
        let mut keep = used.iter().copied();
        self.last_line.retain(|_| keep.next().unwrap_or(false));
        let mut keep = used.iter().copied();
        self.level_key.retain(|_| keep.next().unwrap_or(false));
        self.shape.clear();
    }

    /// Notes a value of field `f` in the current line: a number, or
    /// anything else (`None`).
    #[inline]
    fn note(&mut self, f: usize, number: Option<f64>) {
        let line_no = self.acc.lines;
        let (Some(stats), Some(last)) = (self.acc.fields.get_mut(f), self.last_line.get_mut(f))
        else {
            return;
        };
        if *last != line_no {
            *last = line_no;
            stats.lines += 1;
        }
        match number {
            Some(v) => {
                stats.min = stats.min.min(v);
                stats.max = stats.max.max(v);
            }
            None => stats.other = true,
        }
    }
}

/// A known key as compact JSON writes it before its value (`"key":`),
/// compared with a line 16 bytes at a time: one or two masked word
/// comparisons instead of a loop whose length changes from key to key.
#[derive(Debug, Clone, Copy)]
struct KeyPattern {
    text: [u128; 2],
    mask: [u128; 2],
    /// Bytes of the pattern, at most 32.
    len: usize,
    field: u16,
}

impl KeyPattern {
    /// The pattern of field `field`, whose key `key` holds no quote or
    /// backslash; `None` when it is longer than 32 bytes.
    fn new(key: &[u8], field: usize) -> Option<KeyPattern> {
        let len = key.len() + 3;
        if len > 32 {
            return None;
        }
        let field = u16::try_from(field).ok()?;
        let mut text = [0u8; 32];
        text[1..=key.len()].copy_from_slice(key);
        text[0] = b'"';
        text[key.len() + 1] = b'"';
        text[key.len() + 2] = b':';
        let word = |k: usize| {
            let mut w = [0u8; 16];
            w.copy_from_slice(&text[16 * k..16 * k + 16]);
            u128::from_le_bytes(w)
        };
        let mask = |k: usize| match len.saturating_sub(16 * k).min(16) {
            16 => u128::MAX,
            n => (1u128 << (8 * n)) - 1,
        };
        Some(KeyPattern {
            text: [word(0), word(1)],
            mask: [mask(0), mask(1)],
            len,
            field,
        })
    }

    /// Whether `b[at..]` starts with the pattern. Zero padding past the
    /// line's end never matches: the pattern ends with a colon.
    #[inline(always)]
    fn matches(&self, b: &[u8], at: usize) -> bool {
        let head = u128::from_le_bytes(window(b, at));
        if (head ^ self.text[0]) & self.mask[0] != 0 {
            return false;
        }
        self.len <= 16
            || (u128::from_le_bytes(window(b, at + 16)) ^ self.text[1]) & self.mask[1] == 0
    }
}

/// The first byte at or after `i` that is not JSON whitespace.
#[inline(always)]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    // Compact JSON has none: every whitespace byte is at most a space, so
    // one comparison settles the usual case.
    while let Some(&c) = b.get(i) {
        if c > b' ' || !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        i += 1;
    }
    i
}

/// The position of the quote closing a string whose text starts at `i`;
/// `None` when it has an escape or does not end.
#[inline(always)]
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < b.len() {
        // Zero padding past the line's end is neither a quote nor a
        // backslash.
        let hits = either_bits(&window(b, j), b'"', b'\\');
        if hits != 0 {
            let at = j + hits.trailing_zeros() as usize;
            return (b.get(at) == Some(&b'"')).then_some(at);
        }
        j += 16;
    }
    None
}

/// A JSON number starting at `i`: its end, and its value as
/// [`number_value`] gives it. Integers of up to 15 digits are read from
/// one window, without a loop.
#[inline]
fn number(b: &[u8], i: usize) -> Option<(usize, Option<f64>)> {
    let neg = b.get(i) == Some(&b'-');
    let mut j = i + usize::from(neg);
    let mut n = 0u64;
    match b.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => {
            // The integer digits in one window, read without a loop.
            let win = window(b, j);
            let run = (!digit_bits(&win)).trailing_zeros() as usize;
            n = digits_value(&win, run);
            j += run;
        }
        _ => return None,
    }
    let simple = j - i - usize::from(neg) <= 15 && !matches!(b.get(j), Some(b'.' | b'e' | b'E'));
    if simple {
        let v = n as f64;
        return Some((j, Some(if neg { -v } else { v })));
    }
    let end = number_end(b, i)?;
    let text = std::str::from_utf8(b.get(i..end)?).ok()?;
    Some((end, number_value(text)))
}

/// The end of a JSON number (RFC 8259 grammar) starting at `i`.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], mut i: usize| {
        let from = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > from).then_some(i)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(b, i)?,
        _ => return None,
    };
    if b.get(i) == Some(&b'.') {
        i = digits(b, i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(b, i)?;
    }
    Some(i)
}

/// The value `strconv.ParseFloat` gives a JSON number (as a numeric label
/// filter converts it), `None` when it reports an error (out of range).
/// [`number`] reads short integers itself and calls this for the rest.
fn number_value(text: &str) -> Option<f64> {
    parse_go_float(text).ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn level_key(k: &[u8]) -> bool {
        k == b"level"
    }

    fn refs(lines: &[String]) -> Vec<&str> {
        lines.iter().map(String::as_str).collect()
    }

    fn summarise(lines: &[&str]) -> Option<FieldSummary> {
        let mut b = FieldSummaryBuilder::new();
        for l in lines {
            b.add_line(l, &level_key);
        }
        b.finish()
    }

    fn field<'a>(s: &'a FieldSummary, key: &str) -> Option<&'a FieldStats> {
        s.fields().find(|(k, _)| *k == key).map(|(_, f)| f)
    }

    #[test]
    fn flat_objects_are_summarised_per_key() {
        let s = summarise(&[
            r#"{"status":502,"path":"/a","level":"info","dur":1.5e3}"#,
            r#"{ "status" : 200 , "level":"warn","ok":true,"z":null}  "#,
            r#"{"path":"/b","status":-7}"#,
        ])
        .expect("summary");
        assert_eq!(s.lines(), 3);
        let status = field(&s, "status").expect("status");
        assert_eq!(
            (status.lines, status.numbers(), status.other),
            (3, Some((-7.0, 502.0)), false)
        );
        let path = field(&s, "path").expect("path");
        assert_eq!((path.lines, path.numbers(), path.other), (2, None, true));
        let dur = field(&s, "dur").expect("dur");
        assert_eq!(dur.numbers(), Some((1500.0, 1500.0)));
        assert!(field(&s, "ok").is_some_and(|f| f.other && f.lines == 1));
        assert!(field(&s, "z").is_some_and(|f| f.other));
    }

    #[test]
    fn the_level_value_is_the_first_string_of_a_level_key() {
        let mut b = FieldSummaryBuilder::new();
        assert_eq!(
            b.add_line(
                r#"{"level":5,"a":"x","level":"warn","level":"error"}"#,
                &level_key
            ),
            Some(Some("warn"))
        );
        assert_eq!(b.add_line(r#"{"a":"x"}"#, &level_key), Some(None));
        assert_eq!(b.add_line("{}", &level_key), Some(None));
    }

    #[test]
    fn lines_that_cannot_be_summarised_spoil_the_summary() {
        for bad in [
            "plain text",
            " {\"a\":1}",
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            r#"{"a":"x\"y"}"#,
            r#"{"a\n":1}"#,
            r#"{"a":1} tail"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":+1}"#,
            r#"{"a":tru}"#,
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"{"a":1,}"#,
            "",
        ] {
            let mut b = FieldSummaryBuilder::new();
            assert_eq!(b.add_line(r#"{"a":1}"#, &level_key), Some(None));
            assert_eq!(b.add_line(bad, &level_key), None, "{bad}");
            assert_eq!(b.add_line(r#"{"a":1}"#, &level_key), None, "{bad}");
            assert_eq!(b.finish(), None, "{bad}");
            assert!(summarise(&[r#"{"a":2}"#]).is_some(), "builder reusable");
        }
    }

    #[test]
    fn the_key_table_carries_over_streams_and_makes_room() {
        let mut b = FieldSummaryBuilder::new();
        for round in 0..6 {
            let line = format!(
                "{{{}}}",
                (0..40)
                    .map(|i| format!("\"r{}k{i}\":{i}", round / 2))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            assert_eq!(b.add_line(&line, &level_key), Some(None));
            let s = b.finish().expect("summary");
            assert_eq!(s.fields().count(), 40);
            assert_eq!(Some(s), summarise(&[&line]), "round {round}");
        }
        assert_eq!(
            b.add_line(r#"{"level":"warn"}"#, &level_key),
            Some(Some("warn"))
        );
        assert_eq!(b.finish(), summarise(&[r#"{"level":"warn"}"#]));
        assert_eq!(b.finish(), None, "no lines");
    }

    #[test]
    fn numbers_out_of_range_are_not_numbers() {
        let s = summarise(&[r#"{"a":1e400,"b":-1e999,"c":1e-400}"#]).expect("summary");
        assert!(field(&s, "a").is_some_and(|f| f.other && f.numbers().is_none()));
        assert!(field(&s, "b").is_some_and(|f| f.other));
        assert_eq!(
            field(&s, "c").and_then(FieldStats::numbers),
            Some((0.0, 0.0))
        );
    }

    #[test]
    fn a_key_twice_in_a_line_counts_one_line() {
        let s = summarise(&[r#"{"a":1,"a":9}"#, r#"{"b":1}"#]).expect("summary");
        let a = field(&s, "a").expect("a");
        assert_eq!((a.lines, a.numbers()), (1, Some((1.0, 9.0))));
    }

    #[test]
    fn too_many_keys_make_no_summary() {
        let wide: String = format!(
            "{{{}}}",
            (0..=MAX_FIELDS)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(summarise(&[&wide]).is_none());
        let mut a = summarise(&[r#"{"a":1}"#]).expect("a");
        let narrow: String = format!(
            "{{{}}}",
            (0..MAX_FIELDS)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let b = summarise(&[&narrow]).expect("b");
        assert!(!a.merge(&b));
    }

    #[test]
    fn merging_adds_lines_and_widens_ranges() {
        let mut a = summarise(&[r#"{"x":1,"s":"a"}"#, r#"{"x":3}"#]).expect("a");
        let b = summarise(&[r#"{"x":-2,"y":5}"#]).expect("b");
        assert!(a.merge(&b));
        assert_eq!(a.lines(), 3);
        let x = field(&a, "x").expect("x");
        assert_eq!(
            (x.lines, x.numbers(), x.other),
            (3, Some((-2.0, 3.0)), false)
        );
        assert_eq!(field(&a, "y").map(|f| f.lines), Some(1));
        assert_eq!(
            a,
            summarise(&[r#"{"x":1,"s":"a"}"#, r#"{"x":3}"#, r#"{"x":-2,"y":5}"#]).expect("all")
        );
    }

    #[test]
    fn damaged_encodings_are_refused() {
        let s = summarise(&[r#"{"x":1,"s":"a"}"#]).expect("s");
        let mut enc = Vec::new();
        s.encode(&mut enc);
        assert_eq!(FieldSummary::decode(&enc).as_ref(), Ok(&s));
        for cut in 0..enc.len() {
            assert!(FieldSummary::decode(&enc[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = enc.clone();
        longer.push(0);
        assert!(FieldSummary::decode(&longer).is_err());
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i32>().prop_map(|v| v.to_string()),
            (-1e6f64..1e6).prop_map(|v| format!("{v:e}")),
            "[a-z]{0,4}".prop_map(|s| format!("\"{s}\"")),
            Just("true".to_string()),
            Just("null".to_string()),
        ]
    }

    proptest! {
        #[test]
        fn scanners_agree_with_plain_definitions(text in r#"[a-z"\\0-9.eE+-]{0,40}"#, from in 0usize..4) {
            let b = text.as_bytes();
            let plain = b.get(from..).and_then(|rest| {
                let at = rest.iter().position(|&c| c == b'"' || c == b'\\')?;
                (rest[at] == b'"').then_some(from + at)
            });
            prop_assert_eq!(string_end(b, from), plain);
            let slow = number_end(b, from).map(|e| (e, text.get(from..e).and_then(number_value)));
            prop_assert_eq!(number(b, from), slow);
        }

        #[test]
        fn merging_matches_summarising_all_lines(
            a in prop::collection::vec(prop::collection::vec(("[a-e]", value()), 0..6), 1..5),
            b in prop::collection::vec(prop::collection::vec(("[a-e]", value()), 0..6), 1..5),
        ) {
            // Keys in any order on either side, some on one side only.
            let render = |rows: &[Vec<(String, String)>]| -> Vec<String> {
                rows.iter()
                    .map(|r| format!("{{{}}}", r.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",")))
                    .collect()
            };
            let (la, lb) = (render(&a), render(&b));
            let mut merged = summarise(&refs(&la)).expect("flat");
            prop_assert!(merged.merge(&summarise(&refs(&lb)).expect("flat")));
            let all: Vec<String> = la.iter().chain(&lb).cloned().collect();
            let whole = summarise(&refs(&all)).expect("flat");
            let by_key = |s: &FieldSummary| {
                let mut v: Vec<(String, FieldStats)> = s
                    .fields()
                    .map(|(k, f)| (k.to_string(), FieldStats { key_end: 0, ..*f }))
                    .collect();
                v.sort_by(|x, y| x.0.cmp(&y.0));
                v
            };
            prop_assert_eq!(merged.lines(), whole.lines());
            prop_assert_eq!(by_key(&merged), by_key(&whole));
        }

        #[test]
        fn key_patterns_match_exactly_their_text(
            key in "[a-zA-Z_:-]{0,34}",
            pre in r#"[a"]{0,2}"#,
            cut in 0usize..40,
            tail in r#"[a":]{0,3}"#,
        ) {
            // The pattern whole, cut short, or followed by more text.
            let pattern = format!("\"{key}\":");
            let line = format!("{pre}{}{tail}", &pattern[..cut.min(pattern.len())]);
            let p = KeyPattern::new(key.as_bytes(), 3);
            prop_assert_eq!(p.is_some(), pattern.len() <= 32);
            if let Some(p) = p {
                prop_assert_eq!(p.field, 3);
                for at in 0..=line.len() + 1 {
                    let here = line.as_bytes().get(at..).is_some_and(|r| r.starts_with(pattern.as_bytes()));
                    prop_assert_eq!(p.matches(line.as_bytes(), at), here, "at {}", at);
                }
            }
        }

        #[test]
        fn whitespace_is_skipped_as_json_defines_it(text in "[ \t\n\r\x0b\x0c\x00a{]{0,12}", from in 0usize..14) {
            let b = text.as_bytes();
            let plain = (from..b.len())
                .find(|&i| !matches!(b[i], b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(b.len().max(from));
            prop_assert_eq!(skip_ws(b, from), plain);
        }

        #[test]
        fn summaries_round_trip_and_hold_for_every_line(
            // Keys that are prefixes of each other ("a", "ab") test the
            // guess that a line repeats the previous line's keys.
            rows in prop::collection::vec(prop::collection::vec(("[ab]{1,2}|c", value()), 0..5), 1..8)
        ) {
            let lines: Vec<String> = rows
                .iter()
                .map(|r| format!("{{{}}}", r.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",")))
                .collect();
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let s = summarise(&refs).expect("flat lines");
            let mut enc = Vec::new();
            s.encode(&mut enc);
            prop_assert_eq!(FieldSummary::decode(&enc), Ok(s.clone()));
            for (key, f) in s.fields() {
                let holding = rows.iter().filter(|r| r.iter().any(|(k, _)| k == key)).count();
                prop_assert_eq!(f.lines as usize, holding);
                for (_, v) in rows.iter().flatten().filter(|(k, _)| k == key) {
                    match v.parse::<f64>() {
                        Ok(n) => {
                            let (lo, hi) = f.numbers().expect("numbers");
                            prop_assert!(lo <= n && n <= hi);
                        }
                        Err(_) => prop_assert!(f.other),
                    }
                }
            }
        }
    }
}

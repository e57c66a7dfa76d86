//! Finding a log level inside a line, as Loki 3.7's field detection does it:
//!
//! 1. a line whose first non-blank character is `{` and last is `}` is JSON:
//!    the first string value whose key is a level field, searched in document
//!    order through the top level and nested objects down to the configured
//!    depth (keys compared exactly, values taken raw);
//! 2. otherwise a line containing `=` is logfmt: the value of the key that
//!    matches the highest-priority level field (keys compared case-insensitively);
//! 3. a found value that is a known level (`trace`, `trc`, `debug`, `dbg`,
//!    `info`, `inf`, `information`, `warn`, `wrn`, `warning`, `error`, `err`,
//!    `critical`, `fatal`, any case) gives the level; anything else, and lines
//!    that are neither JSON nor logfmt, fall back to a keyword scan: the first
//!    occurrence of `trace`, `debug`, `fatal`, `critical`, `error`, `err`,
//!    `warning`, `warn`, `info` (in that order) in the lower-cased line that
//!    stands as a word gives the level, else `unknown`.
//!
//! Everything works on bytes of the line without building a JSON tree; the
//! only allocation is a reused scratch buffer for the lower-cased line.

use std::borrow::Cow;

use memchr::memmem;
use memchr::{memchr, memchr3};

/// The normalized level names.
pub const TRACE: &str = "trace";
/// See [`TRACE`].
pub const DEBUG: &str = "debug";
/// See [`TRACE`].
pub const INFO: &str = "info";
/// See [`TRACE`].
pub const WARN: &str = "warn";
/// See [`TRACE`].
pub const ERROR: &str = "error";
/// See [`TRACE`].
pub const CRITICAL: &str = "critical";
/// See [`TRACE`].
pub const FATAL: &str = "fatal";
/// See [`TRACE`].
pub const UNKNOWN: &str = "unknown";

/// Keyword scan order: the first word found as a word wins.
const WORDS: [(&str, &str); 9] = [
    ("trace", TRACE),
    ("debug", DEBUG),
    ("fatal", FATAL),
    ("critical", CRITICAL),
    ("error", ERROR),
    ("err", ERROR),
    ("warning", WARN),
    ("warn", WARN),
    ("info", INFO),
];

/// Recursion guard for JSON objects when the depth is unlimited.
const MAX_JSON_NESTING: usize = 64;

/// The known level a value stands for (ASCII case-insensitive), if any.
pub fn known_level(v: &[u8]) -> Option<&'static str> {
    let is = |w: &str| v.eq_ignore_ascii_case(w.as_bytes());
    if is("trace") || is("trc") {
        Some(TRACE)
    } else if is("debug") || is("dbg") {
        Some(DEBUG)
    } else if is("info") || is("inf") || is("information") {
        Some(INFO)
    } else if is("warn") || is("wrn") || is("warning") {
        Some(WARN)
    } else if is("error") || is("err") {
        Some(ERROR)
    } else if is("critical") {
        Some(CRITICAL)
    } else if is("fatal") {
        Some(FATAL)
    } else {
        None
    }
}

/// Finds levels in lines; built once from the configured level fields.
pub struct LineLevelScanner {
    fields: Vec<String>,
    /// Bit `n` set when some field is `n` bytes long (JSON keys are compared exactly).
    field_lengths: u128,
    max_depth: usize,
    finders: Vec<memmem::Finder<'static>>,
}

impl LineLevelScanner {
    /// A scanner for the given level fields (priority order) and JSON depth (0 = unlimited).
    pub fn new(fields: &[String], max_depth: usize) -> Self {
        let field_lengths = fields
            .iter()
            .filter(|f| f.len() < 128)
            .fold(0u128, |m, f| m | 1 << f.len());
        LineLevelScanner {
            fields: fields.to_vec(),
            field_lengths,
            max_depth,
            finders: WORDS.iter().map(|(w, _)| memmem::Finder::new(*w)).collect(),
        }
    }

    /// The level of a line; `scratch` is reused between calls. `walked`
    /// is, when known, what a walk of the line as a flat JSON object found
    /// (see [`Self::is_field`]): the value of its first string-valued
    /// level field, if any, which spares the JSON walk here.
    pub fn level(
        &self,
        line: &str,
        scratch: &mut Vec<u8>,
        walked: Option<Option<&str>>,
    ) -> &'static str {
        let bytes = line.as_bytes();
        let found = if is_json(line) {
            match walked {
                Some(value) => value.map(|v| Cow::Borrowed(v.as_bytes())),
                None => self.json_level(bytes).map(Cow::Borrowed),
            }
        } else if memchr(b'=', bytes).is_some() {
            self.logfmt_level(bytes)
        } else {
            return self.keyword_level(line, scratch);
        };
        match found.as_deref().and_then(known_level) {
            Some(level) => level,
            None => self.keyword_level(line, scratch),
        }
    }

    /// Whether `key` is one of the level fields (JSON keys compare exactly).
    pub fn is_field(&self, key: &[u8]) -> bool {
        key.len() < 128
            && self.field_lengths & (1 << key.len()) != 0
            && self.fields.iter().any(|f| f.as_bytes() == key)
    }

    /// The raw value of the first string-valued level field in a JSON line.
    pub fn json_level<'a>(&self, line: &'a [u8]) -> Option<&'a [u8]> {
        self.object_each(line, 0).ok().flatten()
    }

    /// Walks one JSON object like jsonparser's `ObjectEach`. `Err` means the
    /// object is malformed, which ends the whole search.
    fn object_each<'a>(&self, data: &'a [u8], depth: usize) -> Result<Option<&'a [u8]>, ()> {
        if (self.max_depth > 0 && depth >= self.max_depth) || depth >= MAX_JSON_NESTING {
            return Ok(None);
        }
        let mut i = skip_ws(data, 0).ok_or(())?;
        if data[i] != b'{' {
            return Err(());
        }
        i = skip_ws(data, i + 1).ok_or(())?;
        loop {
            match data[i] {
                b'"' => i += 1,
                b'}' => return Ok(None),
                _ => return Err(()),
            }
            let (end, escaped) = string_end(&data[i..]).ok_or(())?;
            let raw_key = &data[i..i + end - 1];
            i += end;
            let key = if escaped {
                Cow::Owned(unescape(raw_key, false).ok_or(())?)
            } else {
                Cow::Borrowed(raw_key)
            };
            i = skip_ws(data, i).ok_or(())?;
            if data[i] != b':' {
                return Err(());
            }
            i = skip_ws(data, i + 1).ok_or(())?;
            let (end, kind) = value_end(data, i).ok_or(())?;
            match kind {
                Kind::String if self.is_field(&key) => return Ok(Some(&data[i + 1..end - 1])),
                Kind::Object => {
                    if let Some(v) = self.object_each(&data[i..end], depth + 1)? {
                        return Ok(Some(v));
                    }
                }
                _ => {}
            }
            i = skip_ws(data, end).ok_or(())?;
            match data[i] {
                b'}' => return Ok(None),
                b',' => i = skip_ws(data, i + 1).ok_or(())?,
                _ => return Err(()),
            }
        }
    }

    /// The value of the best-priority level key of a logfmt line.
    pub fn logfmt_level<'a>(&self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        let mut dec = Logfmt { line, pos: 0 };
        let mut best = self.fields.len();
        let mut result = None;
        while !dec.eol() {
            let Some((key, value)) = dec.scan() else {
                break;
            };
            let Some(x) = self.fields.iter().position(|f| equal_fold(key, f)) else {
                continue;
            };
            if x < best {
                best = x;
                result = value;
                if x == 0 {
                    return result;
                }
            }
        }
        result
    }

    /// The keyword scan of the whole line.
    fn keyword_level(&self, line: &str, scratch: &mut Vec<u8>) -> &'static str {
        scratch.clear();
        if line.is_ascii() {
            scratch.extend_from_slice(line.as_bytes());
            scratch.make_ascii_lowercase();
        } else {
            go_to_lower(line, scratch);
        }
        let lowered: &[u8] = scratch;
        for (finder, (word, level)) in self.finders.iter().zip(WORDS) {
            if let Some(p) = finder.find(lowered) {
                let before = p.checked_sub(1).map(|b| lowered[b]);
                let after = lowered.get(p + word.len()).copied();
                if is_boundary(before) && is_boundary(after) {
                    return level;
                }
            }
        }
        UNKNOWN
    }
}

/// Go's `isJSON`: first non-space rune `{`, last non-space byte `}`.
fn is_json(line: &str) -> bool {
    let first = line.chars().find(|c| !c.is_whitespace());
    if first != Some('{') {
        return false;
    }
    // The tail is checked byte by byte, each byte read as a Latin-1 rune.
    let last = line
        .as_bytes()
        .iter()
        .rev()
        .find(|b| !matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0));
    last == Some(&b'}')
}

/// Go reads the byte next to a keyword as a Latin-1 rune: a word boundary
/// unless it is a letter, a digit or `_`.
fn is_boundary(b: Option<u8>) -> bool {
    match b {
        None => true,
        Some(b) => {
            !(b.is_ascii_alphanumeric()
                || b == b'_'
                || matches!(b, 0xaa | 0xb5 | 0xba)
                || (b >= 0xc0 && b != 0xd7 && b != 0xf7))
        }
    }
}

/// Go's `strings.ToLower` for non-ASCII text (simple case mapping).
fn go_to_lower(line: &str, out: &mut Vec<u8>) {
    let mut buf = [0u8; 4];
    for c in line.chars() {
        let lower = if c == '\u{130}' {
            'i'
        } else {
            let mut it = c.to_lowercase();
            match (it.next(), it.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        };
        out.extend_from_slice(lower.encode_utf8(&mut buf).as_bytes());
    }
}

/// Case folding close to Go's `strings.EqualFold` for level field names.
fn equal_fold(key: &[u8], field: &str) -> bool {
    if key.is_ascii() && field.is_ascii() {
        return key.eq_ignore_ascii_case(field.as_bytes());
    }
    let fold = |c: char| match c {
        '\u{17f}' => 's',
        '\u{212a}' => 'k',
        c => {
            let mut it = c.to_lowercase();
            match (it.next(), it.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        }
    };
    let Ok(key) = std::str::from_utf8(key) else {
        return false;
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Object,
    Other,
}

#[inline]
fn skip_ws(data: &[u8], from: usize) -> Option<usize> {
    let rest = data.get(from..)?;
    match rest.first() {
        Some(b) if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') => Some(from),
        _ => rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
            .map(|p| from + p),
    }
}

/// Index just past the closing quote of a string whose opening quote is
/// already consumed, and whether it contains escapes. Eight bytes at a time:
/// a word is tested for `"` and `\\` with the classic zero-byte trick.
fn string_end(data: &[u8]) -> Option<(usize, bool)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut i = 0;
    let mut escaped = false;
    loop {
        while let Some(chunk) = data.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            let hits =
                zero_byte(w ^ (ONES * u64::from(b'"'))) | zero_byte(w ^ (ONES * u64::from(b'\\')));
            if hits != 0 {
                i += (hits.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match *data.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            _ => i += 1,
        }
    }
}

/// End of a bracketed block, counting only its own bracket kind and skipping strings.
fn block_end(data: &[u8], open: u8, close: u8) -> Option<usize> {
    let mut level: i64 = 0;
    let mut i = 0;
    while let Some(j) = memchr3(b'"', open, close, data.get(i..)?) {
        let p = i + j;
        if data[p] == b'"' {
            let (end, _) = string_end(data.get(p + 1..)?)?;
            i = p + 1 + end;
            continue;
        }
        if data[p] == open {
            level += 1;
        } else {
            level -= 1;
            if level == 0 {
                return Some(p + 1);
            }
        }
        i = p + 1;
    }
    None
}

/// The end of the JSON value starting at `i` and its kind, like jsonparser's `getType`.
fn value_end(data: &[u8], i: usize) -> Option<(usize, Kind)> {
    match data[i] {
        b'"' => string_end(&data[i + 1..]).map(|(e, _)| (i + 1 + e, Kind::String)),
        b'[' => block_end(&data[i..], b'[', b']').map(|e| (i + e, Kind::Other)),
        b'{' => block_end(&data[i..], b'{', b'}').map(|e| (i + e, Kind::Object)),
        first => {
            let rest = &data[i..];
            let len = rest
                .iter()
                .position(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b',' | b'}' | b']'))
                .unwrap_or(rest.len());
            let token = &rest[..len];
            let ok = match first {
                b't' | b'f' => token == b"true" || token == b"false",
                b'u' | b'n' => token == b"null",
                b'0'..=b'9' | b'-' => true,
                _ => false,
            };
            ok.then_some((i + len, Kind::Other))
        }
    }
}

/// JSON string unescaping. Strict (jsonparser's `Unescape`, for object
/// keys): a bad escape gives `None`. Lenient (Go's `encoding/json` unquote,
/// for quoted logfmt values): `\'` is accepted and a broken surrogate
/// becomes U+FFFD.
fn unescape(raw: &[u8], lenient: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let e = *raw.get(i + 1)?;
        let simple = match e {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'\'' if lenient => Some(b'\''),
            b'u' => None,
            _ => return None,
        };
        if let Some(s) = simple {
            out.push(s);
            i += 2;
            continue;
        }
        let hex = |at: usize| -> Option<u32> {
            let h = raw.get(at..at + 4)?;
            u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
        };
        let first = hex(i + 2)?;
        let low = (raw.get(i + 6..i + 8) == Some(b"\\u"))
            .then(|| hex(i + 8))
            .flatten()
            .filter(|low| (0xdc00..0xe000).contains(low));
        let (c, used) = match ((0xd800..0xe000).contains(&first), low) {
            (false, _) => (first, 6),
            (true, Some(low)) if first < 0xdc00 => {
                (0x10000 + ((first - 0xd800) << 10) + (low - 0xdc00), 12)
            }
            (true, _) if lenient => (0xfffd, 6),
            (true, _) => return None,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(char::from_u32(c)?.encode_utf8(&mut buf).as_bytes());
        i += used;
    }
    Some(out)
}

/// Loki's logfmt decoder (`pkg/logql/log/logfmt`), reduced to key/value scanning.
struct Logfmt<'a> {
    line: &'a [u8],
    pos: usize,
}

/// One scanned pair: the key and its value (absent for `key` or `key=`).
type Pair<'a> = (&'a [u8], Option<Cow<'a, [u8]>>);

impl<'a> Logfmt<'a> {
    fn eol(&self) -> bool {
        self.pos >= self.line.len()
    }

    /// The next pair, or `None` when the line ends or a syntax error stops the scan.
    fn scan(&mut self) -> Option<Pair<'a>> {
        let line = self.line;
        let Some(p) = line[self.pos..].iter().position(|&c| c > b' ') else {
            self.pos = line.len();
            return None;
        };
        self.pos += p;
        let start = self.pos;
        let mut i = start;
        while i < line.len() {
            let c = line[i];
            if c == b'=' {
                self.pos = i;
                if i == start || bad_key(&line[start..i]) {
                    return self.skip_value();
                }
                return self.value(&line[start..i]);
            }
            if c == b'"' {
                self.pos = i;
                return self.skip_value();
            }
            if c <= b' ' {
                self.pos = i;
                let key = &line[start..i];
                return (!bad_key(key)).then_some((key, None));
            }
            i += 1;
        }
        self.pos = line.len();
        let key = &line[start..];
        (!bad_key(key)).then_some((key, None))
    }

    /// After `key=`: a bare or a quoted value.
    fn value(&mut self, key: &'a [u8]) -> Option<Pair<'a>> {
        let line = self.line;
        self.pos += 1;
        if self.pos >= line.len() || line[self.pos] <= b' ' {
            return Some((key, None));
        }
        if line[self.pos] == b'"' {
            return self.quoted(key);
        }
        let start = self.pos;
        for (i, &c) in line.iter().enumerate().skip(start) {
            if c == b'=' || c == b'"' {
                self.pos = i;
                return self.skip_value();
            }
            if c <= b' ' {
                self.pos = i;
                return Some((key, Some(Cow::Borrowed(&line[start..i]))));
            }
        }
        self.pos = line.len();
        Some((key, Some(Cow::Borrowed(&line[start..]))))
    }

    fn quoted(&mut self, key: &'a [u8]) -> Option<Pair<'a>> {
        let line = self.line;
        let start = self.pos;
        let mut has_escape = false;
        let mut escape = false;
        for (i, &c) in line.iter().enumerate().skip(start + 1) {
            if escape {
                escape = false;
            } else if c == b'\\' {
                has_escape = true;
                escape = true;
            } else if c == b'"' {
                self.pos = i + 1;
                if has_escape {
                    let v = unquote_logfmt(&line[start + 1..i])?;
                    return Some((key, Some(Cow::Owned(v))));
                }
                let v = &line[start + 1..i];
                return Some((key, (!v.is_empty()).then_some(Cow::Borrowed(v))));
            }
        }
        self.pos = line.len();
        None
    }

    fn skip_value(&mut self) -> Option<Pair<'a>> {
        match self.line[self.pos..].iter().position(|&c| c <= b' ') {
            Some(p) => self.pos += p,
            None => self.pos = self.line.len(),
        }
        None
    }
}

/// A key holding U+FFFD (Go: an invalid UTF-8 rune) is a syntax error.
fn bad_key(key: &[u8]) -> bool {
    memmem::find(key, "\u{FFFD}".as_bytes()).is_some()
}

/// JSON-style unquoting of a logfmt value's inside; `None` when invalid.
fn unquote_logfmt(inner: &[u8]) -> Option<Vec<u8>> {
    if inner.iter().any(|&b| b < b' ') {
        return None;
    }
    unescape(inner, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> LineLevelScanner {
        let fields: Vec<String> = super::super::config::DEFAULT_LOG_LEVEL_FIELDS
            .iter()
            .map(|s| s.to_string())
            .collect();
        LineLevelScanner::new(&fields, 2)
    }

    #[test]
    fn lines_to_levels() {
        let s = scanner();
        let mut scratch = Vec::new();
        let table = [
            // JSON
            (r#"{"level":"WARN","msg":"x"}"#, WARN),
            (r#"  {"msg":"x", "lvl": "dbg"}  "#, DEBUG),
            (r#"{"a":{"severity":"fatal"}}"#, FATAL),
            (
                r#"{"a":{"b":{"level":"error"}}, "msg":"all good info"}"#,
                ERROR,
            ),
            (r#"{"a":{"b":{"level":"x"}}, "msg":"all good info"}"#, INFO),
            (r#"{"level":30,"msg":"hello"}"#, UNKNOWN),
            (r#"{"level":"notice","msg":"an error"}"#, ERROR),
            (r#"{"Level":"information"}"#, INFO),
            (r#"{"LEVEL": "Critical"}"#, CRITICAL),
            (r#"{"le\u0076el":"warn"}"#, WARN),
            (r#"{"msg":"x" "level":"warn"}"#, WARN),
            (r#"{"tags":["level","x"],"level":"trace"}"#, TRACE),
            // logfmt
            ("ts=1 level=info caller=x msg=\"y\"", INFO),
            ("ts=1 lvl=warn Level=error", ERROR),
            ("ts=1 severity=debug lvl=error", DEBUG),
            ("ts=1 LEVEL=\"warning\"", WARN),
            ("ts=1 level=\"w\\u0061rn\"", WARN),
            ("at=info method=GET path=/x", INFO),
            ("key=user:1 ttl=2s DEBUG", DEBUG),
            ("bad\"key=1 level=warn", WARN),
            ("bad\"key=1 lvl=x", UNKNOWN),
            // keyword scan
            ("NetworkManager[4901]: INFO zulu", INFO),
            ("cron[1]: ERR quebec", ERROR),
            ("Invalid user pi from 1.2.3.4", UNKNOWN),
            ("\u{1b}[32mINFO \u{1b}[0m[2026] grafana: x", UNKNOWN),
            ("podman[1]: WARNING x", WARN),
            ("errors happened, error", UNKNOWN),
            ("an error and a warning", ERROR),
            ("warning: debug mode", DEBUG),
            ("stderr: not found", UNKNOWN),
            ("ÊINFO é info", UNKNOWN),
            ("é info", INFO),
            ("İNFO here", INFO),
            ("", UNKNOWN),
        ];
        for (line, want) in table {
            assert_eq!(s.level(line, &mut scratch, None), want, "{line}");
        }
    }

    #[test]
    fn json_depth_is_configurable() {
        let fields = vec!["level".to_string()];
        let line = br#"{"a":{"b":{"level":"error"}}}"#;
        assert_eq!(LineLevelScanner::new(&fields, 2).json_level(line), None);
        assert_eq!(
            LineLevelScanner::new(&fields, 3).json_level(line),
            Some(&b"error"[..])
        );
        assert_eq!(
            LineLevelScanner::new(&fields, 0).json_level(line),
            Some(&b"error"[..])
        );
        assert_eq!(
            LineLevelScanner::new(&fields, 1).json_level(br#"{"a":{"level":"x"}}"#),
            None
        );
    }

    #[test]
    fn malformed_json_stops_quietly() {
        let s = scanner();
        for line in [
            r#"{"a":{"level":"info"}"#,
            r#"{"a" "level":"info"}"#,
            r#"{"a":tru, "level":"info"}"#,
            r#"{"a":"\"#,
            "{",
            "{}",
            r#"{"level":"info"#,
        ] {
            let _ = s.json_level(line.as_bytes());
        }
        assert_eq!(s.json_level(br#"{"a":tru, "level":"info"}"#), None);
    }

    proptest::proptest! {
        #[test]
        fn the_field_summary_walk_finds_the_level_the_search_finds(
            pairs in proptest::collection::vec(
                (
                    "(level|lvl|severity|LEVEL|msg|a)",
                    "(\"(info|WARN|error|debug|x|)\"|0|[1-9][0-9]{0,2}|true|null)",
                ),
                0..6,
            )
        ) {
            let line = format!(
                "{{{}}}",
                pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",")
            );
            let s = scanner();
            let mut scratch = Vec::new();
            let mut fields = crate::store::field_summary::FieldSummaryBuilder::new();
            let walked = fields.add_line(&line, &|k| s.is_field(k));
            proptest::prop_assert!(walked.is_some(), "{}", line);
            let searched = s.level(&line, &mut scratch, None);
            proptest::prop_assert_eq!(s.level(&line, &mut scratch, walked), searched, "{}", line);
        }

        #[test]
        fn never_panics(line in r#"[{}\[\]":,=a-z \\lvILNFOerw_\u{e9}\u{130}]{0,60}"#) {
            let s = scanner();
            let mut scratch = Vec::new();
            let _ = s.level(&line, &mut scratch, None);
            let _ = s.logfmt_level(line.as_bytes());
        }

        #[test]
        fn any_text_never_panics(line in proptest::prelude::any::<String>()) {
            let s = scanner();
            let mut scratch = Vec::new();
            let _ = s.level(&line, &mut scratch, None);
        }
    }
}

//! `| logfmt [--strict] [--keep-empty] [params]` (logql.md §3.5).
//!
//! The decoder follows Loki's copy of go-logfmt byte for byte: the same
//! acceptance rules (`k=v`, `k="quoted"`, bare keys), the same recovery from
//! malformed pairs in non-strict mode and the same error texts
//! (`logfmt syntax error at pos 2 : unexpected '"'`).

use super::labels::{
    extract_resolved, sanitize_into, KeyCache, LabelsBuilder, Resolved, EXTRACTED_SUFFIX,
};
use crate::logql::ast::LogfmtParser;

/// Error label value of a strict logfmt failure.
pub const LOGFMT_PARSER_ERR: &str = "LogfmtParserErr";

/// A syntax error at a 1-based byte position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based position.
    pub pos: usize,
    /// What was wrong.
    pub msg: &'static str,
    /// The offending byte for "unexpected" errors.
    pub byte: Option<u8>,
}

impl SyntaxError {
    fn text(&self) -> String {
        match self.byte {
            Some(b) => format!(
                "logfmt syntax error at pos {} : unexpected '{}'",
                self.pos, b as char
            ),
            None => format!("logfmt syntax error at pos {} : {}", self.pos, self.msg),
        }
    }
}

/// Where a decoded key or value lives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Piece {
    /// No value (bare key, `k=`).
    #[default]
    None,
    /// `line[a..b]`.
    Line(usize, usize),
    /// The unquoted copy in the decoder's buffer.
    Unquoted,
}

/// A logfmt decoder over one line.
#[derive(Default)]
pub struct Decoder {
    pos: usize,
    key: Option<(usize, usize)>,
    value: Piece,
    err: Option<SyntaxError>,
    unquoted: String,
}

impl Decoder {
    /// Starts decoding a new line.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.key = None;
        self.value = Piece::None;
        self.err = None;
    }

    /// True at the end of the line.
    pub fn eol(&self, line: &str) -> bool {
        self.pos >= line.len()
    }

    /// The last error (sticky until `reset`).
    pub fn err(&self) -> Option<&SyntaxError> {
        self.err.as_ref()
    }

    /// The key of the pair read last.
    pub fn key<'a>(&self, line: &'a str) -> &'a str {
        self.key.and_then(|(a, b)| line.get(a..b)).unwrap_or("")
    }

    /// The value of the pair read last ("" for none).
    pub fn value<'a>(&'a self, line: &'a str) -> &'a str {
        match self.value {
            Piece::None => "",
            Piece::Line(a, b) => line.get(a..b).unwrap_or(""),
            Piece::Unquoted => &self.unquoted,
        }
    }

    fn unexpected(&mut self, c: u8) {
        self.err = Some(SyntaxError {
            pos: self.pos + 1,
            msg: "",
            byte: Some(c),
        });
    }

    fn syntax(&mut self, msg: &'static str) {
        self.err = Some(SyntaxError {
            pos: self.pos + 1,
            msg,
            byte: None,
        });
    }

    /// Reads the next pair. False when the line ended without a pair or a
    /// pair was malformed (then `err` tells why and the decoder has skipped
    /// to the next white space).
    pub fn scan(&mut self, line: &str) -> bool {
        let b = line.as_bytes();
        self.key = None;
        self.value = Piece::None;
        // garbage before the key
        match b
            .get(self.pos..)
            .and_then(|r| r.iter().position(|c| *c > b' '))
        {
            Some(p) => self.pos += p,
            None => {
                self.pos = b.len();
                return false;
            }
        }
        // key
        let start = self.pos;
        let mut p = start;
        let mut multibyte = false;
        loop {
            let Some(&c) = b.get(p) else {
                self.pos = b.len();
                return self.take_key(line, start, multibyte);
            };
            if c == b'=' {
                self.pos = p;
                if self.pos > start {
                    self.key = Some((start, self.pos));
                    if multibyte && self.key(line).contains('\u{FFFD}') {
                        self.syntax("invalid key");
                        return self.skip_value(b);
                    }
                }
                if self.key.is_none() {
                    self.unexpected(c);
                    return self.skip_value(b);
                }
                break;
            } else if c == b'"' {
                self.pos = p;
                self.unexpected(c);
                return self.skip_value(b);
            } else if c <= b' ' {
                self.pos = p;
                return self.take_key(line, start, multibyte);
            } else if c >= 0x80 {
                multibyte = true;
            }
            p += 1;
        }
        // after '='
        self.pos += 1;
        let Some(&c) = b.get(self.pos) else {
            return true;
        };
        if c <= b' ' {
            return true;
        }
        if c == b'"' {
            return self.quoted(line);
        }
        let start = self.pos;
        let mut p = start;
        loop {
            let Some(&c) = b.get(p) else {
                self.pos = b.len();
                if self.pos > start {
                    self.value = Piece::Line(start, self.pos);
                }
                return true;
            };
            if c == b'=' || c == b'"' {
                self.pos = p;
                self.unexpected(c);
                return self.skip_value(b);
            }
            if c <= b' ' {
                self.pos = p;
                if self.pos > start {
                    self.value = Piece::Line(start, self.pos);
                }
                return true;
            }
            p += 1;
        }
    }

    /// A key that ended at white space or at the end of the line.
    fn take_key(&mut self, line: &str, start: usize, multibyte: bool) -> bool {
        if self.pos > start {
            self.key = Some((start, self.pos));
            if multibyte && self.key(line).contains('\u{FFFD}') {
                self.syntax("invalid key");
                return false;
            }
        }
        true
    }

    fn skip_value(&mut self, b: &[u8]) -> bool {
        match b
            .get(self.pos..)
            .and_then(|r| r.iter().position(|c| *c <= b' '))
        {
            Some(p) => self.pos += p,
            None => self.pos = b.len(),
        }
        false
    }

    fn quoted(&mut self, line: &str) -> bool {
        let b = line.as_bytes();
        let start = self.pos; // the opening quote
        let mut has_esc = false;
        let mut esc = false;
        let mut p = start + 1;
        while let Some(&c) = b.get(p) {
            if esc {
                esc = false;
            } else if c == b'\\' {
                has_esc = true;
                esc = true;
            } else if c == b'"' {
                self.pos = p + 1;
                if has_esc {
                    let inner = line.get(start + 1..p).unwrap_or("");
                    self.unquoted.clear();
                    if !unquote_into(inner, &mut self.unquoted) {
                        self.syntax("invalid quoted value");
                        return false;
                    }
                    self.value = Piece::Unquoted;
                } else if p > start + 1 {
                    self.value = Piece::Line(start + 1, p);
                }
                return true;
            }
            p += 1;
        }
        self.pos = b.len();
        self.syntax("unterminated quoted value");
        false
    }
}

/// Whether `v` holds U+FFFD (Loki drops or blanks such values).
fn has_replacement_char(v: &str) -> bool {
    memchr::memchr(0xEF, v.as_bytes()).is_some() && v.contains('\u{FFFD}')
}

/// go-logfmt's JSON-style unquoting of the inside of a quoted value.
fn unquote_into(s: &str, out: &mut String) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut from = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                out.push_str(s.get(from..i).unwrap_or(""));
                let Some(&e) = b.get(i + 1) else {
                    return false;
                };
                i += 2;
                match e {
                    b'"' | b'\\' | b'/' | b'\'' => out.push(e as char),
                    b'b' => out.push('\u{8}'),
                    b'f' => out.push('\u{c}'),
                    b'n' => out.push('\n'),
                    b'r' => out.push('\r'),
                    b't' => out.push('\t'),
                    b'u' => {
                        let Some(r) = hex4(b.get(i..)) else {
                            return false;
                        };
                        i += 4;
                        if (0xD800..0xE000).contains(&r) {
                            let pair = (b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u'))
                                .then(|| hex4(b.get(i + 2..)))
                                .flatten()
                                .and_then(|r2| decode_surrogates(r, r2));
                            match pair {
                                Some(c) => {
                                    out.push(c);
                                    i += 6;
                                }
                                None => out.push('\u{FFFD}'),
                            }
                        } else {
                            out.push(char::from_u32(r).unwrap_or('\u{FFFD}'));
                        }
                    }
                    _ => return false,
                }
                from = i;
            }
            b'"' => return false,
            _ => i += 1,
        }
    }
    out.push_str(s.get(from..).unwrap_or(""));
    true
}

fn hex4(b: Option<&[u8]>) -> Option<u32> {
    let b = b?;
    if b.len() < 4 {
        return None;
    }
    let mut v = 0u32;
    for c in &b[..4] {
        v = v * 16 + (*c as char).to_digit(16)?;
    }
    Some(v)
}

fn decode_surrogates(hi: u32, lo: u32) -> Option<char> {
    if (0xD800..0xDC00).contains(&hi) && (0xDC00..0xE000).contains(&lo) {
        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
    } else {
        None
    }
}

/// `| logfmt` with its flags and optional extractions.
pub struct LogfmtStage {
    strict: bool,
    keep_empty: bool,
    /// (label, key) pairs; empty for "every key".
    extractions: Vec<(String, String)>,
    dec: Decoder,
    keys: KeyCache,
    name: String,
}

impl LogfmtStage {
    /// Compiles the stage.
    pub fn new(p: &LogfmtParser) -> LogfmtStage {
        LogfmtStage {
            strict: p.strict,
            keep_empty: p.keep_empty,
            extractions: p
                .extractions
                .iter()
                .map(|e| (e.label.clone(), e.key.clone()))
                .collect(),
            dec: Decoder::default(),
            keys: KeyCache::for_flat_keys(),
            name: String::new(),
        }
    }

    /// Extracts the pairs of `line`.
    pub fn process(&mut self, line: &str, lbs: &mut LabelsBuilder) {
        if lbs.parsers_idle() {
            return;
        }
        if self.extractions.is_empty() {
            self.every_key(line, lbs);
        } else {
            self.requested_keys(line, lbs);
        }
    }

    fn finish(&self, lbs: &mut LabelsBuilder) {
        if self.strict {
            if let Some(e) = self.dec.err() {
                lbs.set_error_with_details(LOGFMT_PARSER_ERR, &e.text());
            }
        }
    }

    fn every_key(&mut self, line: &str, lbs: &mut LabelsBuilder) {
        self.dec.reset();
        self.keys.start();
        while !self.dec.eol(line) {
            let before = self.dec.pos;
            if !self.dec.scan(line) {
                if self.strict || self.dec.pos == before {
                    break;
                }
                continue;
            }
            let key = self.dec.key(line);
            let idx = self.keys.next(0, key, || {
                let mut n = String::with_capacity(key.len());
                sanitize_into(&mut n, key);
                Some(Resolved::new(n, lbs)).filter(|r| r.extractable(lbs))
            });
            let Some(r) = idx.and_then(|i| self.keys.name(i)) else {
                continue;
            };
            let v = self.dec.value(line);
            if v.is_empty() && !self.keep_empty {
                continue;
            }
            let set = extract_resolved(r, lbs, |out| {
                if has_replacement_char(v) {
                    out.push_str(&v.replace('\u{FFFD}', " "));
                } else {
                    out.push_str(v);
                }
            });
            if set && lbs.all_required_extracted() {
                break;
            }
        }
        self.finish(lbs);
    }

    fn requested_keys(&mut self, line: &str, lbs: &mut LabelsBuilder) {
        for (label, _) in &self.extractions {
            if !lbs.base_has(label) {
                lbs.set_parsed(label, "");
            }
        }
        self.dec.reset();
        while !self.dec.eol(line) {
            let before = self.dec.pos;
            if !self.dec.scan(line) {
                if self.strict || self.dec.pos == before {
                    break;
                }
                continue;
            }
            sanitize_into(&mut self.name, self.dec.key(line));
            if self.name.is_empty() {
                continue;
            }
            let always = self.extractions.iter().any(|(l, _)| *l == self.name);
            if !always && !lbs.should_extract(&self.name) {
                continue;
            }
            let v = self.dec.value(line);
            let v = if has_replacement_char(v) { "" } else { v };
            // a requested key is stored under its label
            let label = self
                .extractions
                .iter()
                .find(|(_, k)| *k == self.name)
                .map(|(l, _)| l.as_str())
                .unwrap_or(self.name.as_str());
            if !self.extractions.iter().any(|(l, _)| l == label) {
                continue;
            }
            if lbs.base_has(label) {
                let mut n = String::with_capacity(label.len() + EXTRACTED_SUFFIX.len());
                n.push_str(label);
                n.push_str(EXTRACTED_SUFFIX);
                if !lbs.should_extract(&n) {
                    break;
                }
                lbs.set_parsed(&n, v);
            } else {
                lbs.set_parsed(label, v);
            }
            if lbs.all_required_extracted() {
                break;
            }
        }
        self.finish(lbs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs = &'static [(&'static str, &'static str)];
    use crate::logql::ast::LogfmtExtraction;
    use crate::model::Labels;
    use std::sync::Arc;

    fn decode(line: &str) -> (Vec<(String, String)>, Option<String>) {
        let mut d = Decoder::default();
        d.reset();
        let mut out = Vec::new();
        while !d.eol(line) {
            if d.scan(line) {
                out.push((d.key(line).to_string(), d.value(line).to_string()));
            }
        }
        (out, d.err().map(SyntaxError::text))
    }

    #[test]
    fn decoder_follows_go_logfmt() {
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let cases: &[(&str, Pairs, Option<&str>)] = &[
            (
                "a=1 b=\"two words\" c",
                &[("a", "1"), ("b", "two words"), ("c", "")],
                None,
            ),
            ("k= v=x", &[("k", ""), ("v", "x")], None),
            (
                "=value foo=bar=buzz fo\"o=bar ok=1",
                &[("ok", "1")],
                Some("logfmt syntax error at pos 23 : unexpected '\"'"),
            ),
            ("esc=\"a\\\"b\\n\"", &[("esc", "a\"b\n")], None),
            ("u=\"\\u00e9\"", &[("u", "é")], None),
            (
                "bad=\"x\\qy\"",
                &[],
                Some("logfmt syntax error at pos 11 : invalid quoted value"),
            ),
            (
                "open=\"never",
                &[],
                Some("logfmt syntax error at pos 12 : unterminated quoted value"),
            ),
            ("  spaced   out=1  ", &[("spaced", ""), ("out", "1")], None),
            ("", &[], None),
            (
                "{\"level\": \"info\"}",
                &[],
                Some("logfmt syntax error at pos 11 : unexpected '\"'"),
            ),
        ];
        for (line, want, err) in cases {
            let (got, e) = decode(line);
            assert_eq!(got, pairs(want), "{line:?}");
            assert_eq!(e.as_deref(), *err, "{line:?}");
        }
    }

    fn run(stream: &[(&str, &str)], p: LogfmtParser, line: &str) -> String {
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs(stream.iter().copied())));
        b.reset(&[]);
        let mut s = LogfmtStage::new(&p);
        s.process(line, &mut b);
        let mut out = Vec::new();
        b.for_each_sorted(&mut |n, v| out.push(format!("{n}={v:?}")));
        out.join(" ")
    }

    fn plain(strict: bool, keep_empty: bool) -> LogfmtParser {
        LogfmtParser {
            strict,
            keep_empty,
            extractions: vec![],
        }
    }

    fn params(v: &[(&str, &str)]) -> LogfmtParser {
        LogfmtParser {
            strict: false,
            keep_empty: false,
            extractions: v
                .iter()
                .map(|(l, k)| LogfmtExtraction {
                    label: l.to_string(),
                    key: k.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn every_key_rules() {
        let cases: &[(Pairs, LogfmtParser, &str, &str)] = &[
            (&[], plain(false, false), "=value foo=bar=buzz fo\"o=bar ok=1", "ok=\"1\""),
            (&[], plain(false, false), "dup=1 dup=2", "dup=\"1\""),
            (&[], plain(false, false), "k= bare x=1", "x=\"1\""),
            (&[], plain(false, true), "k= bare x=1", "bare=\"\" k=\"\" x=\"1\""),
            (&[("level", "info")], plain(false, false), "level=error", "level=\"info\" level_extracted=\"error\""),
            (&[], plain(false, false), "user-agent=curl 1st=x", "_1st=\"x\" user_agent=\"curl\""),
            (
                &[],
                plain(true, false),
                "a=1 =x b=2",
                "__error__=\"LogfmtParserErr\" __error_details__=\"logfmt syntax error at pos 5 : unexpected '='\" a=\"1\"",
            ),
            (
                &[],
                plain(true, false),
                "{\"level\": \"info\"}",
                "__error__=\"LogfmtParserErr\" __error_details__=\"logfmt syntax error at pos 2 : unexpected '\\\"'\"",
            ),
            (&[], plain(false, false), "{\"level\": \"info\"}", ""),
        ];
        for (stream, p, line, want) in cases {
            let got = run(stream, p.clone(), line);
            let stream_part: Vec<String> =
                stream.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
            let got: Vec<&str> = got
                .split(' ')
                .filter(|s| !stream_part.iter().any(|x| x == s))
                .collect();
            let want_v: Vec<&str> = want
                .split(' ')
                .filter(|s| !stream_part.iter().any(|x| x == s))
                .collect();
            assert_eq!(got.join(" "), want_v.join(" "), "{line:?}");
        }
    }

    #[test]
    fn requested_keys_are_always_set() {
        assert_eq!(
            run(
                &[],
                params(&[("host", "host"), ("fwd_ip", "fwd")]),
                "at=info fwd=\"10.0.0.1\" path=/"
            ),
            "fwd_ip=\"10.0.0.1\" host=\"\""
        );
        assert_eq!(
            run(&[], params(&[("host", "host")]), "plain text line"),
            "host=\"\""
        );
        assert_eq!(run(&[], params(&[("k", "k")]), "k x=1"), "k=\"\"");
        assert_eq!(
            run(&[("host", "h1")], params(&[("host", "host")]), "host=h2"),
            "host=\"h1\" host_extracted=\"h2\""
        );
    }
}

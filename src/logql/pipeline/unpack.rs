//! `| unpack` (logql.md §3.5): undoes Promtail's / Alloy's `pack` stage. The
//! line must be a JSON object; only when it has a string `_entry` member do
//! its other top-level string members become labels and `_entry` the new
//! line. Without `_entry` nothing changes.

use super::json::{
    push_json_string, unescape_into, Event, Flow, JsonError, ValueType, Walker, JSON_PARSER_ERR,
};
use super::labels::{sanitize_into, LabelsBuilder, EXTRACTED_SUFFIX};

const PACKED_ENTRY_KEY: &str = "_entry";

/// The `unpack` stage.
#[derive(Default)]
pub struct UnpackStage {
    walker: Walker,
    /// Name/value bytes of the labels found, and their boundaries.
    buf: String,
    spans: Vec<(usize, usize, usize)>,
    name: String,
    sanitized: String,
}

impl UnpackStage {
    /// A fresh stage.
    pub fn new() -> UnpackStage {
        UnpackStage::default()
    }

    /// Unpacks `line`: on success with `_entry`, writes the new line into
    /// `out` and returns true. Errors set `JSONParserErr` and leave the line.
    pub fn process(&mut self, line: &str, lbs: &mut LabelsBuilder, out: &mut String) -> bool {
        if line.is_empty() || lbs.parsers_idle() {
            return false;
        }
        if line.as_bytes()[0] != b'{' {
            lbs.set_error_with_details(JSON_PARSER_ERR, "expecting json object(6), but it is not");
            return false;
        }
        let UnpackStage {
            walker,
            buf,
            spans,
            name,
            sanitized,
        } = self;
        buf.clear();
        spans.clear();
        out.clear();
        let mut packed = false;
        let res = walker.walk(line, false, &mut |ev| {
            let Event::Member { key, value, ty } = ev else {
                return Ok(Flow::Continue);
            };
            if ty != ValueType::String {
                return Ok(Flow::Continue);
            }
            if key == PACKED_ENTRY_KEY {
                out.clear();
                unescape_into(value, out).map_err(|_| JsonError::MalformedStringEscape)?;
                packed = true;
                return Ok(Flow::Continue);
            }
            name.clear();
            name.push_str(key);
            if lbs.base_has(name) {
                name.push_str(EXTRACTED_SUFFIX);
            }
            let start = buf.len();
            sanitize_into(sanitized, name);
            buf.push_str(sanitized);
            let mid = buf.len();
            push_json_string(value, buf);
            spans.push((start, mid, buf.len()));
            Ok(Flow::Continue)
        });
        if let Err(e) = res {
            lbs.set_error_with_details(JSON_PARSER_ERR, e.as_str());
            return false;
        }
        if !packed {
            return false;
        }
        for &(a, m, b) in spans.iter() {
            let (n, v) = (&buf[a..m], &buf[m..b]);
            if n.is_empty() || !lbs.should_extract(n) {
                continue;
            }
            lbs.set_parsed(n, v);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs = &'static [(&'static str, &'static str)];
    use crate::model::Labels;
    use std::sync::Arc;

    fn run(stream: &[(&str, &str)], line: &str) -> (String, String) {
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs(stream.iter().copied())));
        b.reset(&[]);
        let mut out = String::new();
        let new_line = if UnpackStage::new().process(line, &mut b, &mut out) {
            out
        } else {
            line.to_string()
        };
        let mut labels = Vec::new();
        b.for_each_sorted(&mut |n, v| {
            if !stream.iter().any(|(sn, _)| *sn == n) {
                labels.push(format!("{n}={v:?}"))
            }
        });
        (labels.join(" "), new_line)
    }

    #[test]
    fn unpacks_only_with_entry() {
        let cases: &[(Pairs, &str, &str, &str)] = &[
            (
                &[],
                r#"{"_entry":"hello \"w\"","app":"web","n":1}"#,
                r#"app="web""#,
                "hello \"w\"",
            ),
            (&[], r#"{"app":"web"}"#, "", r#"{"app":"web"}"#),
            (
                &[("app", "x")],
                r#"{"app":"web","_entry":"l"}"#,
                r#"app_extracted="web""#,
                "l",
            ),
            (&[], r#"{"my-key":"v","_entry":"l"}"#, r#"my_key="v""#, "l"),
            (
                &[],
                "not json",
                r#"__error__="JSONParserErr" __error_details__="expecting json object(6), but it is not""#,
                "not json",
            ),
            (
                &[],
                r#"{"_entry":"x","a":"b""#,
                r#"__error__="JSONParserErr" __error_details__="Value is array, but can't find closing ']' symbol""#,
                r#"{"_entry":"x","a":"b""#,
            ),
            (&[], "", "", ""),
        ];
        for (stream, line, labels, new_line) in cases {
            let (l, n) = run(stream, line);
            assert_eq!(l, *labels, "{line:?}");
            assert_eq!(n, *new_line, "{line:?}");
        }
    }
}

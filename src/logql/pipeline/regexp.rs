//! `| regexp "re"` (logql.md §3.5): an unanchored search; every named group
//! becomes a label (sanitised name, `_extracted` on collision). No match: no
//! labels and no error. An optional group that did not take part gives "".

use regex::{CaptureLocations, Regex};

use super::labels::{sanitize_into, LabelsBuilder, EXTRACTED_SUFFIX};
use crate::logql::ast::RegexpParser;

/// A compiled `regexp` stage.
pub struct RegexpStage {
    re: Regex,
    /// (group index, sanitised name) of the named groups.
    groups: Vec<(usize, String)>,
    locs: CaptureLocations,
    name: String,
}

impl RegexpStage {
    /// Compiles the stage from the parser's regex.
    pub fn new(p: &RegexpParser) -> RegexpStage {
        let re = p.regex.re.clone();
        let mut groups = Vec::new();
        for (i, n) in re.capture_names().enumerate() {
            if let Some(n) = n {
                let mut s = String::new();
                sanitize_into(&mut s, n);
                if !s.is_empty() {
                    groups.push((i, s));
                }
            }
        }
        let locs = re.capture_locations();
        RegexpStage {
            re,
            groups,
            locs,
            name: String::new(),
        }
    }

    /// Extracts the named groups of the first match in `line`.
    pub fn process(&mut self, line: &str, lbs: &mut LabelsBuilder) {
        if self.re.captures_read(&mut self.locs, line).is_none() {
            return;
        }
        for (i, group) in &self.groups {
            let value = self
                .locs
                .get(*i)
                .and_then(|(a, b)| line.get(a..b))
                .unwrap_or("");
            self.name.clear();
            self.name.push_str(group);
            if lbs.base_has(&self.name) {
                self.name.push_str(EXTRACTED_SUFFIX);
            }
            if !lbs.should_extract(&self.name) {
                continue;
            }
            lbs.set_parsed(&self.name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs = &'static [(&'static str, &'static str)];
    use crate::logql::ast::CompiledRegex;
    use crate::model::Labels;
    use std::sync::Arc;

    fn run(stream: &[(&str, &str)], re: &str, line: &str) -> String {
        let p = RegexpParser {
            regex: CompiledRegex {
                source: re.to_string(),
                re: Regex::new(re).unwrap(),
            },
        };
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs(stream.iter().copied())));
        b.reset(&[]);
        RegexpStage::new(&p).process(line, &mut b);
        let mut out = Vec::new();
        b.for_each_sorted(&mut |n, v| out.push(format!("{n}={v:?}")));
        out.join(" ")
    }

    #[test]
    fn named_groups_become_labels() {
        let cases: &[(Pairs, &str, &str, &str)] = &[
            (
                &[],
                r"from (?P<src_ip>\S+) port",
                "Failed password from 1.2.3.4 port 22",
                "src_ip=\"1.2.3.4\"",
            ),
            (&[], r"(?P<a>x)(?P<b>y)?", "x", "a=\"x\" b=\"\""),
            (&[], r"(?P<a>\d+)", "no digits", ""),
            (
                &[("a", "s")],
                r"(?P<a>\d+)",
                "n=42",
                "a=\"s\" a_extracted=\"42\"",
            ),
            (
                &[],
                r"^(?P<method>\w+) (?P<path>\S+)",
                "GET /x y",
                "method=\"GET\" path=\"/x\"",
            ),
            (&[], r"(?P<x>a.b)", "a\nb", ""),
        ];
        for (stream, re, line, want) in cases {
            assert_eq!(run(stream, re, line), *want, "{re:?} on {line:?}");
        }
    }
}

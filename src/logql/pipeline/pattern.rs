//! `| pattern "<a> - <_> [<b>]"` (logql.md §3.5): a leading literal anchors
//! at the start of the line; each capture takes the text up to the first
//! occurrence of the following literal; a trailing capture takes the rest.
//! When a literal is missing, the capture before it takes the remainder and
//! matching stops (partial extraction, no error).

use memchr::memmem::Finder;

use super::labels::{LabelsBuilder, EXTRACTED_SUFFIX};
use crate::logql::ast::{PatternExpr, PatternNode};

#[derive(Debug)]
enum Node {
    Literal(Box<Finder<'static>>, usize),
    Capture(Option<String>),
}

/// A compiled `pattern` stage.
pub struct PatternStage {
    nodes: Vec<Node>,
    captures: Vec<(usize, usize)>,
    name: String,
}

impl PatternStage {
    /// Compiles the parser's pattern (adjacent literals are merged).
    pub fn new(p: &PatternExpr) -> PatternStage {
        let mut nodes: Vec<Node> = Vec::new();
        let mut pending = String::new();
        let flush = |pending: &mut String, nodes: &mut Vec<Node>| {
            if !pending.is_empty() {
                nodes.push(Node::Literal(
                    Box::new(Finder::new(pending.as_bytes()).into_owned()),
                    pending.len(),
                ));
                pending.clear();
            }
        };
        for n in &p.nodes {
            match n {
                PatternNode::Literal(l) => pending.push_str(l),
                PatternNode::Capture(c) => {
                    flush(&mut pending, &mut nodes);
                    if matches!(nodes.last(), Some(Node::Capture(_))) {
                        // two captures in a row: an empty literal between them
                        nodes.push(Node::Literal(Box::new(Finder::new(b"").into_owned()), 0));
                    }
                    nodes.push(Node::Capture(c.clone()));
                }
            }
        }
        flush(&mut pending, &mut nodes);
        PatternStage {
            nodes,
            captures: Vec::new(),
            name: String::new(),
        }
    }

    /// Loki's `Matches`: byte ranges of the named captures that matched, in order.
    fn matches(&mut self, line: &str) -> usize {
        self.captures.clear();
        let b = line.as_bytes();
        if b.is_empty() || self.nodes.is_empty() {
            return 0;
        }
        let mut pos = 0usize;
        let mut nodes = &self.nodes[..];
        if let Some(Node::Literal(f, len)) = nodes.first() {
            if f.find(b) != Some(0) {
                return 0;
            }
            pos = *len;
            nodes = &nodes[1..];
        }
        if nodes.is_empty() {
            return 0;
        }
        while !nodes.is_empty() {
            let named = matches!(&nodes[0], Node::Capture(Some(_)));
            if nodes.len() == 1 {
                if named {
                    self.captures.push((pos, b.len()));
                }
                break;
            }
            let Node::Literal(f, len) = &nodes[1] else {
                break;
            };
            nodes = &nodes[2..];
            let Some(i) = b.get(pos..).and_then(|rest| f.find(rest)) else {
                if named {
                    self.captures.push((pos, b.len()));
                }
                break;
            };
            if named {
                self.captures.push((pos, pos + i));
            }
            pos += i + len;
        }
        self.captures.len()
    }

    /// Extracts the captures of `line`.
    pub fn process(&mut self, line: &str, lbs: &mut LabelsBuilder) {
        if lbs.parsers_idle() {
            return;
        }
        let n = self.matches(line);
        let names = self.nodes.iter().filter_map(|n| match n {
            Node::Capture(Some(name)) => Some(name),
            _ => None,
        });
        for (name, &(a, b)) in names.zip(self.captures.iter()).take(n) {
            self.name.clear();
            self.name.push_str(name);
            if lbs.base_has(&self.name) {
                self.name.push_str(EXTRACTED_SUFFIX);
            }
            if !lbs.should_extract(&self.name) {
                continue;
            }
            lbs.set_parsed(&self.name, line.get(a..b).unwrap_or(""));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::Labels;
    use std::sync::Arc;

    /// Splits a pattern into nodes: `<name>` / `<_>` captures, the rest literal.
    pub(crate) fn pattern_expr(src: &str) -> PatternExpr {
        let mut nodes = Vec::new();
        let mut lit = String::new();
        let mut rest = src;
        while let Some(c) = rest.chars().next() {
            if c == '<' {
                if let Some(end) = rest.find('>') {
                    let name = &rest[1..end];
                    if !name.is_empty()
                        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
                    {
                        if !lit.is_empty() {
                            nodes.push(PatternNode::Literal(std::mem::take(&mut lit)));
                        }
                        nodes.push(PatternNode::Capture(
                            (name != "_").then(|| name.to_string()),
                        ));
                        rest = &rest[end + 1..];
                        continue;
                    }
                }
            }
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
        if !lit.is_empty() {
            nodes.push(PatternNode::Literal(lit));
        }
        PatternExpr {
            source: src.to_string(),
            nodes,
        }
    }

    fn run(stream: &[(&str, &str)], p: &str, line: &str) -> String {
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs(stream.iter().copied())));
        b.reset(&[]);
        PatternStage::new(&pattern_expr(p)).process(line, &mut b);
        let mut out = Vec::new();
        b.for_each_sorted(&mut |n, v| {
            if !stream.iter().any(|(sn, _)| *sn == n) {
                out.push(format!("{n}={v:?}"))
            }
        });
        out.join(" ")
    }

    #[test]
    fn captures_follow_loki() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "<method> <path> <status>",
                "GET /api 200 12ms extra",
                r#"method="GET" path="/api" status="200 12ms extra""#,
            ),
            (
                "<method> <path> <status>",
                "foo bar",
                r#"method="foo" path="bar""#,
            ),
            (
                "<_> from <src_ip> port <port> <_>",
                "Failed password for x from 1.2.3.4 port 22 ssh2",
                r#"port="22" src_ip="1.2.3.4""#,
            ),
            ("foo <a>", "xx foo bar", ""),
            ("foo <a>", "foo bar", r#"a="bar""#),
            ("<a> [<b>]", "x [y] z", r#"a="x" b="y""#),
            ("<a>-<b>", "-x", r#"a="" b="x""#),
            ("<a>", "", ""),
            ("<a> end", "x end trailing", r#"a="x""#),
        ];
        for (p, line, want) in cases {
            assert_eq!(run(&[], p, line), *want, "{p:?} on {line:?}");
        }
        assert_eq!(
            run(&[("method", "POST")], "<method> <path>", "GET /"),
            r#"method_extracted="GET" path="/""#
        );
    }
}

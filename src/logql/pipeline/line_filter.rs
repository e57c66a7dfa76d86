//! Line filters: `|=`, `!=`, `|~`, `!~`, `|>`, `!>`, `ip("...")` and `or`
//! chains (logql.md §3.2).
//!
//! Substrings are searched with a `memchr::memmem::Finder` built once per
//! query; regexes are the parser's unanchored compiled ones (`.` does not
//! match `\n` unless `(?s)`, as in Go); pattern filters use Loki's `Test`
//! rules; `ip()` scans the line for address-looking runs.

use std::sync::Arc;

use memchr::memmem::Finder;
use regex::Regex;

use crate::logql::ast::{
    IpPattern, LineFilter, LineFilterOp, LineFilterOperand, PatternExpr, PatternNode,
};
use crate::logql::ip::parse_addr;

/// One compiled line filter with its `or` operands.
#[derive(Clone, Debug)]
pub struct LineFilterStage {
    negate: bool,
    operands: Arc<[Operand]>,
}

#[derive(Debug)]
enum Operand {
    /// Matches every line (`|= ""`, `|~ ""`).
    Everything,
    Contains(Box<Finder<'static>>),
    Regex(Regex),
    Pattern(PatternFilter),
    Ip(IpPattern),
}

impl LineFilterStage {
    /// Compiles a filter of the AST.
    pub fn new(f: &LineFilter) -> LineFilterStage {
        let negate = matches!(
            f.op,
            LineFilterOp::NotContains | LineFilterOp::NotRegex | LineFilterOp::NotPattern
        );
        let operands = f
            .operands
            .iter()
            .map(|o| match o {
                LineFilterOperand::Text(t) if t.is_empty() => Operand::Everything,
                LineFilterOperand::Text(t) => {
                    Operand::Contains(Box::new(Finder::new(t.as_bytes()).into_owned()))
                }
                LineFilterOperand::Regex(r) if r.source.is_empty() => Operand::Everything,
                LineFilterOperand::Regex(r) => Operand::Regex(r.re.clone()),
                LineFilterOperand::Pattern(p) => Operand::Pattern(PatternFilter::new(p)),
                LineFilterOperand::Ip(ip) => Operand::Ip(ip.pattern),
            })
            .collect();
        LineFilterStage { negate, operands }
    }

    /// Whether the line passes.
    pub fn matches(&self, line: &str) -> bool {
        let any = self.operands.iter().any(|o| match o {
            Operand::Everything => true,
            Operand::Contains(f) => f.find(line.as_bytes()).is_some(),
            Operand::Regex(r) => r.is_match(line),
            Operand::Pattern(p) => p.test(line.as_bytes()),
            Operand::Ip(p) => contains_ip_in(line.as_bytes(), p),
        });
        any != self.negate
    }
}

/// A `|>` pattern: literals that must appear in order, separated by
/// non-empty `<_>` captures.
#[derive(Debug)]
struct PatternFilter {
    nodes: Vec<FilterNode>,
}

#[derive(Debug)]
enum FilterNode {
    Literal(Box<Finder<'static>>, usize),
    Capture,
}

impl PatternFilter {
    fn new(p: &PatternExpr) -> PatternFilter {
        let mut nodes: Vec<FilterNode> = Vec::new();
        let mut pending = String::new();
        for n in &p.nodes {
            match n {
                PatternNode::Literal(l) => pending.push_str(l),
                PatternNode::Capture(_) => {
                    if !pending.is_empty() {
                        let len = pending.len();
                        nodes.push(FilterNode::Literal(
                            Box::new(Finder::new(pending.as_bytes()).into_owned()),
                            len,
                        ));
                        pending.clear();
                    }
                    nodes.push(FilterNode::Capture);
                }
            }
        }
        if !pending.is_empty() {
            let len = pending.len();
            nodes.push(FilterNode::Literal(
                Box::new(Finder::new(pending.as_bytes()).into_owned()),
                len,
            ));
        }
        PatternFilter { nodes }
    }

    /// Loki's `Matcher.Test`: every literal found in order after the previous
    /// one; a literal after the first node may not follow immediately (empty
    /// capture); a trailing literal must end the line, a trailing capture must
    /// leave something.
    fn test(&self, line: &[u8]) -> bool {
        if line.is_empty() || self.nodes.is_empty() {
            return line.is_empty() && self.nodes.is_empty();
        }
        let mut off = 0usize;
        for (i, n) in self.nodes.iter().enumerate() {
            let FilterNode::Literal(f, len) = n else {
                continue;
            };
            let Some(j) = line.get(off..).and_then(|rest| f.find(rest)) else {
                return false;
            };
            if i != 0 && j == 0 {
                return false;
            }
            off += j + len;
        }
        let ends_on_capture = matches!(self.nodes.last(), Some(FilterNode::Capture));
        ends_on_capture == (off != line.len())
    }
}

const IPV4_CHARS: &[u8] = b"0123456789.";
const IPV6_CHARS: &[u8] = b"0123456789abcdefABCDEF:.";

fn span_of(s: &[u8], accept: &[u8]) -> usize {
    s.iter()
        .position(|b| !accept.contains(b))
        .unwrap_or(s.len())
}

fn ipv4_hint(p: &[u8]) -> bool {
    p.len() >= 4 && p[0].is_ascii_digit() && (p[1] == b'.' || p[2] == b'.' || p[3] == b'.')
}

fn ipv6_hint(p: &[u8]) -> bool {
    if p.len() < 5 {
        return false;
    }
    let h = |b: u8| b.is_ascii_hexdigit();
    (p[0] == b':' && p[1] == b':' && h(p[2]))
        || (h(p[0]) && p[1] == b':')
        || (h(p[0]) && h(p[1]) && p[2] == b':')
        || (h(p[0]) && h(p[1]) && h(p[2]) && p[3] == b':')
        || (h(p[0]) && h(p[1]) && h(p[2]) && h(p[3]) && p[4] == b':')
}

/// Whether `text` holds an address inside `pattern`, found the way Loki does:
/// at each position that looks like the start of an IPv4 (`d.`, `dd.`,
/// `ddd.`) or IPv6 address, the longest run of address characters is parsed;
/// a run that fails is skipped together with the byte after it.
pub(crate) fn contains_ip_in(text: &[u8], pattern: &IpPattern) -> bool {
    let n = text.len();
    let mut i = 0;
    while i < n {
        let rest = &text[i..];
        let charset = if i + 3 < n && ipv4_hint(rest) {
            Some(IPV4_CHARS)
        } else if i + 4 < n && ipv6_hint(rest) {
            Some(IPV6_CHARS)
        } else {
            None
        };
        if let Some(cs) = charset {
            let len = span_of(rest, cs);
            let candidate = std::str::from_utf8(&rest[..len]).ok().and_then(parse_addr);
            if candidate.is_some_and(|(addr, _)| pattern.contains(addr)) {
                return true;
            }
            i += len;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ast::{CompiledRegex, IpMatcher};
    use crate::logql::pipeline::pattern::tests::pattern_expr;

    fn text(op: LineFilterOp, ops: &[&str]) -> LineFilterStage {
        LineFilterStage::new(&LineFilter {
            op,
            operands: ops
                .iter()
                .map(|s| LineFilterOperand::Text(s.to_string()))
                .collect(),
        })
    }

    fn regex(op: LineFilterOp, ops: &[&str]) -> LineFilterStage {
        LineFilterStage::new(&LineFilter {
            op,
            operands: ops
                .iter()
                .map(|s| {
                    LineFilterOperand::Regex(CompiledRegex {
                        source: s.to_string(),
                        re: Regex::new(s).unwrap(),
                    })
                })
                .collect(),
        })
    }

    fn pattern(op: LineFilterOp, ops: &[&str]) -> LineFilterStage {
        LineFilterStage::new(&LineFilter {
            op,
            operands: ops
                .iter()
                .map(|s| LineFilterOperand::Pattern(pattern_expr(s)))
                .collect(),
        })
    }

    #[test]
    fn contains_and_not_contains() {
        let cases: &[(LineFilterOp, &[&str], &str, bool)] = &[
            (LineFilterOp::Contains, &["error"], "an error here", true),
            (LineFilterOp::Contains, &["error"], "an ERROR here", false),
            (LineFilterOp::Contains, &[""], "anything", true),
            (LineFilterOp::Contains, &[""], "", true),
            (LineFilterOp::NotContains, &[""], "anything", false),
            (
                LineFilterOp::NotContains,
                &["healthcheck"],
                "GET /healthcheck",
                false,
            ),
            (LineFilterOp::NotContains, &["healthcheck"], "GET /", true),
            (
                LineFilterOp::Contains,
                &["error", "fatal"],
                "fatal: x",
                true,
            ),
            (
                LineFilterOp::Contains,
                &["error", "fatal", "panic"],
                "warn",
                false,
            ),
            (
                LineFilterOp::NotContains,
                &["debug", "trace"],
                "trace x",
                false,
            ),
            (
                LineFilterOp::NotContains,
                &["debug", "trace"],
                "info x",
                true,
            ),
            (LineFilterOp::Contains, &["café"], "a café b", true),
        ];
        for (op, ops, line, want) in cases {
            assert_eq!(
                text(*op, ops).matches(line),
                *want,
                "{op:?} {ops:?} {line:?}"
            );
        }
    }

    #[test]
    fn regex_filters_are_unanchored_and_dot_stops_at_newline() {
        let cases: &[(LineFilterOp, &[&str], &str, bool)] = &[
            (
                LineFilterOp::Regex,
                &["status=5\\d\\d"],
                "x status=503 y",
                true,
            ),
            (LineFilterOp::Regex, &["a.b"], "a\nb", false),
            (LineFilterOp::Regex, &["(?s)a.b"], "a\nb", true),
            (LineFilterOp::Regex, &["(?i)error"], "An ErRoR", true),
            (LineFilterOp::Regex, &["^GET"], "xGET", false),
            (
                LineFilterOp::NotRegex,
                &["GET /(health|ready)"],
                "GET /ready",
                false,
            ),
            (
                LineFilterOp::NotRegex,
                &["GET /(health|ready)"],
                "GET /x",
                true,
            ),
            (
                LineFilterOp::Regex,
                &["H1[0-9]", "R1[0-9]"],
                "code=R14",
                true,
            ),
            (LineFilterOp::Regex, &[""], "", true),
        ];
        for (op, ops, line, want) in cases {
            assert_eq!(
                regex(*op, ops).matches(line),
                *want,
                "{op:?} {ops:?} {line:?}"
            );
        }
    }

    #[test]
    fn pattern_filter_rules() {
        let cases: &[(&str, &str, bool)] = &[
            ("foo <_>", "xx foo bar", true),
            ("<_> bar", "foo bar baz", false),
            ("<_> baz", "foo bar baz", true),
            ("foo <_>", "foo bar baz", true),
            ("<_> bar <_>", " bar ", false),
            ("<_>bar<_>", " bar ", true),
            ("<_> at=error <_>", "x at=error y", true),
            ("<_> at=error <_>", "at=error y", false),
            ("<_> status=5<_>", "a status=503", true),
            ("at=info <_>", "at=info method=GET", true),
            ("at=info <_>", "at=info ", false),
            ("<_>", "", false),
        ];
        for (p, line, want) in cases {
            assert_eq!(
                pattern(LineFilterOp::Pattern, &[p]).matches(line),
                *want,
                "{p:?} {line:?}"
            );
            assert_eq!(
                pattern(LineFilterOp::NotPattern, &[p]).matches(line),
                !*want,
                "!> {p:?} {line:?}"
            );
        }
        let or = pattern(
            LineFilterOp::Pattern,
            &["<_> code=H12 <_>", "<_> code=H13 <_>"],
        );
        assert!(or.matches("at=error code=H13 desc=x"));
        assert!(!or.matches("at=error code=H14 desc=x"));
    }

    fn ip(op: LineFilterOp, p: IpPattern) -> LineFilterStage {
        LineFilterStage::new(&LineFilter {
            op,
            operands: vec![LineFilterOperand::Ip(IpMatcher {
                source: String::new(),
                pattern: p,
            })],
        })
    }

    #[test]
    fn ip_filter_scans_lines() {
        let a = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let single = IpPattern::Addr(a("10.0.0.5"));
        let cidr = IpPattern::Cidr(a("10.0.0.0"), 8);
        let range = IpPattern::Range(a("192.168.4.5"), a("192.168.4.20"));
        let v6 = IpPattern::Cidr(a("2001:db8::"), 32);
        let cases: &[(&IpPattern, &str, bool)] = &[
            (&single, "x10.0.0.5y", true),
            (&single, "310.0.0.5", false),
            (&single, "from 10.0.0.5:443", true),
            (&single, "10.0.0.55", false),
            (&cidr, "fwd=\"10.14.143.121\" x", true),
            (&cidr, "fwd=\"11.14.143.121\" x", false),
            (&cidr, "010.1.2.3", false),
            (&range, "client 192.168.4.7 done", true),
            (&range, "client 192.168.4.21 done", false),
            (&v6, "addr=2001:db8::1 ok", true),
            (&v6, "addr=2001:db9::1 ok", false),
            (&single, "", false),
            (&single, "1.2", false),
        ];
        for (p, line, want) in cases {
            assert_eq!(
                ip(LineFilterOp::Contains, **p).matches(line),
                *want,
                "{p:?} {line:?}"
            );
            assert_eq!(
                ip(LineFilterOp::NotContains, **p).matches(line),
                !*want,
                "{p:?} {line:?}"
            );
        }
    }
}

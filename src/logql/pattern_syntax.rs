//! Pattern expressions of the `| pattern "..."` parser and the `|>` / `!>`
//! line filters: literals and captures `<name>` / `<_>` (logql.md §3.2,
//! §3.5).
//!
//! A capture is `<` then an ASCII letter or `_`, then ASCII letters, digits
//! or `_`, then `>`; anything else is literal text (so `<1a>` and `<a b>`
//! are literals). Consecutive literal characters form one literal.

use crate::logql::ast::{PatternExpr, PatternNode};

/// Parses the pattern of a `| pattern` parser with Loki's rules: at least
/// one named capture, no two captures side by side, no duplicate names.
pub fn parse_pattern_parser(source: &str) -> Result<PatternExpr, String> {
    let nodes = tokenize(source)?;
    let names = nodes.iter().filter_map(|n| match n {
        PatternNode::Capture(Some(name)) => Some(name.as_str()),
        _ => None,
    });
    if names.clone().next().is_none() {
        return Err("at least one capture is required".to_string());
    }
    check_no_consecutive_captures(&nodes)?;
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if seen.contains(&name) {
            return Err(format!(
                "duplicate capture name ({name}): invalid expression"
            ));
        }
        seen.push(name);
    }
    Ok(PatternExpr {
        source: source.to_string(),
        nodes,
    })
}

/// Parses the pattern of a `|>` / `!>` line filter: only `<_>` captures,
/// none side by side. The empty pattern is allowed (it has no nodes).
pub fn parse_line_filter_pattern(source: &str) -> Result<PatternExpr, String> {
    if source.is_empty() {
        return Ok(PatternExpr {
            source: String::new(),
            nodes: Vec::new(),
        });
    }
    let nodes = tokenize(source)?;
    check_no_consecutive_captures(&nodes)?;
    if let Some(name) = nodes.iter().find_map(|n| match n {
        PatternNode::Capture(Some(name)) => Some(name),
        _ => None,
    }) {
        return Err(format!("named captures are not allowed: found '{name}'"));
    }
    Ok(PatternExpr {
        source: source.to_string(),
        nodes,
    })
}

fn check_no_consecutive_captures(nodes: &[PatternNode]) -> Result<(), String> {
    for pair in nodes.windows(2) {
        if let [PatternNode::Capture(a), PatternNode::Capture(b)] = pair {
            let a = a.as_deref().unwrap_or("_");
            let b = b.as_deref().unwrap_or("_");
            return Err(format!(
                "found consecutive capture '{a}{b}': invalid expression"
            ));
        }
    }
    Ok(())
}

/// Splits a pattern into literals and captures. An empty pattern is a
/// syntax error of the pattern grammar, as in Loki.
fn tokenize(source: &str) -> Result<Vec<PatternNode>, String> {
    if source.is_empty() {
        return Err(
            "parse error at line 1, col 1: syntax error: unexpected $end, expecting IDENTIFIER or LITERAL"
                .to_string(),
        );
    }
    let bytes = source.as_bytes();
    let mut nodes = Vec::new();
    let mut literal_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            if let Some(len) = capture_len(&bytes[i..]) {
                if literal_start < i {
                    nodes.push(PatternNode::Literal(source[literal_start..i].to_string()));
                }
                let name = &source[i + 1..i + len - 1];
                nodes.push(PatternNode::Capture(
                    (name != "_").then(|| name.to_string()),
                ));
                i += len;
                literal_start = i;
                continue;
            }
        }
        i += 1;
    }
    if literal_start < bytes.len() {
        nodes.push(PatternNode::Literal(source[literal_start..].to_string()));
    }
    Ok(nodes)
}

/// Length of a capture `<name>` at the start of `b`, if there is one.
fn capture_len(b: &[u8]) -> Option<usize> {
    let first = *b.get(1)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let mut i = 2;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    (b.get(i) == Some(&b'>')).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> PatternNode {
        PatternNode::Literal(s.to_string())
    }
    fn cap(s: &str) -> PatternNode {
        PatternNode::Capture(Some(s.to_string()))
    }

    #[test]
    fn tokenizes_literals_and_captures() {
        let p = parse_pattern_parser(r#"<ip> - <_> "<method> <uri>""#).unwrap();
        assert_eq!(
            p.nodes,
            vec![
                cap("ip"),
                lit(" - "),
                PatternNode::Capture(None),
                lit(" \""),
                cap("method"),
                lit(" "),
                cap("uri"),
                lit("\"")
            ]
        );
        let p = parse_pattern_parser("<1a> <a b> héllo <x>").unwrap();
        assert_eq!(p.nodes, vec![lit("<1a> <a b> héllo "), cap("x")]);
        let p = parse_pattern_parser("<__>").unwrap();
        assert_eq!(p.nodes, vec![cap("__")]);
    }

    #[test]
    fn parser_rules() {
        let cases: &[(&str, &str)] = &[
            ("", "parse error at line 1, col 1: syntax error: unexpected $end, expecting IDENTIFIER or LITERAL"),
            ("<_>", "at least one capture is required"),
            ("no captures", "at least one capture is required"),
            ("<a><b>", "found consecutive capture 'ab': invalid expression"),
            ("x <a><_>", "found consecutive capture 'a_': invalid expression"),
            ("<a> <a>", "duplicate capture name (a): invalid expression"),
        ];
        for (src, want) in cases {
            assert_eq!(parse_pattern_parser(src).unwrap_err(), *want, "{src}");
        }
    }

    #[test]
    fn line_filter_rules() {
        assert!(parse_line_filter_pattern("").unwrap().nodes.is_empty());
        assert_eq!(
            parse_line_filter_pattern("<_> at=error <_>").unwrap().nodes,
            vec![
                PatternNode::Capture(None),
                lit(" at=error "),
                PatternNode::Capture(None)
            ]
        );
        assert_eq!(
            parse_line_filter_pattern("<a> bar").unwrap_err(),
            "named captures are not allowed: found 'a'"
        );
        assert_eq!(
            parse_line_filter_pattern("<_><_>").unwrap_err(),
            "found consecutive capture '__': invalid expression"
        );
    }
}

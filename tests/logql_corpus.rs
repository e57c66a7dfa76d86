//! The LogQL conformance corpora: every query of `tests/logql/valid.txt`
//! must parse and print back to an equal tree; every query of
//! `tests/logql/invalid.txt` must be refused (by the parser or by the
//! checks Loki runs before reading data).

use kindling::logql::parse_expr;

/// Query lines of a corpus file: comments (`# `) and blank lines skipped.
fn queries(corpus: &str) -> impl Iterator<Item = (usize, &str)> {
    corpus
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with("# "))
        .map(|(i, l)| (i + 1, l))
}

#[test]
fn valid_queries_parse_and_round_trip() {
    let corpus = include_str!("logql/valid.txt");
    let mut failures = Vec::new();
    let mut count = 0;
    for (line, query) in queries(corpus) {
        count += 1;
        let expr = match parse_expr(query) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("line {line}: {query}\n    {e}"));
                continue;
            }
        };
        let printed = expr.to_string();
        match parse_expr(&printed) {
            Ok(back) if back == expr => {}
            Ok(back) => failures.push(format!(
                "line {line}: {query}\n    printed {printed}\n    reparsed to a different tree: {back:?}"
            )),
            Err(e) => failures.push(format!("line {line}: {query}\n    printed {printed}\n    {e}")),
        }
    }
    assert!(count > 500, "corpus looks truncated: {count} queries");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn invalid_queries_are_refused() {
    let corpus = include_str!("logql/invalid.txt");
    let mut accepted = Vec::new();
    let mut count = 0;
    for (line, query) in queries(corpus) {
        count += 1;
        if let Ok(e) = parse_expr(query) {
            accepted.push(format!("line {line}: {query}\n    parsed as {e}"));
        }
    }
    assert!(count > 200, "corpus looks truncated: {count} queries");
    assert!(
        accepted.is_empty(),
        "{} accepted:\n{}",
        accepted.len(),
        accepted.join("\n")
    );
}

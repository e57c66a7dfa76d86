//! The LogQL conformance corpora: every query of `tests/logql/valid.txt`
//! must parse and print back to an equal tree; every query of
//! `tests/logql/invalid.txt` must be refused (by the parser or by the
//! checks Loki runs before reading data).

use kindling::logql::parse_expr;

/// Corpus lines that Grafana Loki 3.7.6 itself answers the other way (its
/// recorded HTTP answers in `tests/conformance/golden.jsonl.zst`); kindling
/// follows Loki. Each must still be in its corpus and behave as Loki does.
const LOKI_DISAGREES: &[(&str, &str)] = &[
    (
        r#"{app="myapp"} | logfmt | bytes < 1PB"#,
        "Loki's scanner reads `1P` as a number with a `p` exponent: 400 \"'P' exponent requires hexadecimal mantissa\" (case lexical-durations-numbers-and-bytes-in-l/074)",
    ),
    (
        r#"{app="myapp"} | logfmt | bytes < 1PiB"#,
        "as `1PB` (case lexical-durations-numbers-and-bytes-in-l/075)",
    ),
    (
        r#"{app="foo"} | logfmt | x > 0x1F"#,
        "a numeric label filter keeps the literal's value and drops its parse error, so Loki answers 200 (case invalid-strings-and-lexical-errors/033)",
    ),
];

/// Whether `query` is one of [`LOKI_DISAGREES`].
fn loki_disagrees(query: &str) -> bool {
    LOKI_DISAGREES.iter().any(|(q, _)| *q == query)
}

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
        if loki_disagrees(query) {
            if parse_expr(query).is_ok() {
                failures.push(format!(
                    "line {line}: {query}\n    accepted; Loki refuses it"
                ));
            }
            continue;
        }
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
        if loki_disagrees(query) {
            if let Err(e) = parse_expr(query) {
                accepted.push(format!(
                    "line {line}: {query}\n    refused ({e}); Loki accepts it"
                ));
            }
            continue;
        }
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

#[test]
fn every_disagreement_is_still_in_a_corpus() {
    let valid = include_str!("logql/valid.txt");
    let invalid = include_str!("logql/invalid.txt");
    for (query, why) in LOKI_DISAGREES {
        let present = queries(valid)
            .chain(queries(invalid))
            .any(|(_, q)| q == *query);
        assert!(present, "{query} ({why}) is no longer in a corpus");
    }
}

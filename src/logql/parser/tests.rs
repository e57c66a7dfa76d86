//! Table-driven tests of the parser, construct by construct: each query is
//! checked against its canonical text (which shows the tree's shape: the
//! printer parenthesizes by precedence) and must print back to an equal
//! tree; each invalid query against Loki's error text.

use super::*;
use crate::logql::ast::{
    LabelFilterExpr, LineFilterOp, LineFilterOperand, MetricExpr, Stage, UnwrapConversion,
};

/// Parses, compares the canonical text, and checks the round trip.
fn check(cases: &[(&str, &str)]) {
    for (query, canonical) in cases {
        let expr = parse_expr(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        let printed = expr.to_string();
        assert_eq!(&printed, canonical, "canonical text of {query}");
        let back = parse_expr(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
        if printed.contains("(0 / 0)") {
            // NaN is not equal to itself: compare the texts.
            assert_eq!(back.to_string(), printed, "round trip of {query}");
        } else {
            assert_eq!(back, expr, "round trip of {query}");
        }
    }
}

/// Checks the full error text of each query.
fn check_errors(cases: &[(&str, &str)]) {
    for (query, message) in cases {
        match parse_expr(query) {
            Ok(e) => panic!("{query} parsed as {e}"),
            Err(e) => assert_eq!(e.to_string(), *message, "{query}"),
        }
    }
}

fn log(query: &str) -> LogExpr {
    match parse_expr(query) {
        Ok(Expr::Log(l)) => l,
        other => panic!("{query}: {other:?}"),
    }
}

#[test]
fn selectors() {
    check(&[
        (r#"{app="myapp"}"#, r#"{app="myapp"}"#),
        (
            r#"{ app = "myapp" , dyno = "web.1" }"#,
            r#"{app="myapp", dyno="web.1"}"#,
        ),
        ("{app=`myapp`}", r#"{app="myapp"}"#),
        (r#"{app="my\"app"}"#, r#"{app="my\"app"}"#),
        (
            r#"{app=~"web\\.[0-9]+", dyno!~"run\\..*"}"#,
            r#"{app=~"web\\.[0-9]+", dyno!~"run\\..*"}"#,
        ),
        (r#"({app="myapp"})"#, r#"{app="myapp"}"#),
        (r#"{app="myapp", level=""}"#, r#"{app="myapp", level=""}"#),
        ("{app=\"a\"}\n", r#"{app="a"}"#),
        // Function names are label names unless a `(` follows.
        (
            r#"{label_replace="x", rate="y", ip="z"}"#,
            r#"{label_replace="x", rate="y", ip="z"}"#,
        ),
        (r#"{café="x"}"#, r#"{café="x"}"#),
        // Loki lexes an unknown character as an identifier.
        (r#"{@="x"}"#, r#"{@="x"}"#),
        (r#"{! ="x"}"#, r#"{! ="x"}"#),
    ]);
    let m = &log(r#"{app=~"web", x=~".+"}"#).selector;
    assert!(m[0].matches("web") && !m[0].matches("web.1"), "anchored");
    assert!(
        m[1].matches("a\nb") && !m[1].matches(""),
        "dot matches newline"
    );
}

#[test]
fn selector_errors() {
    const EMPTY: &str = "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will";
    check_errors(&[
        ("{}", EMPTY),
        (r#"{a=~".*", b=""}"#, EMPTY),
        (r#"{a=~"(foo)?"}"#, EMPTY),
        (r#"sum(count_over_time({env!="prod"}[5m]))"#, EMPTY),
        (r#"{app="foo""#, "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,"),
        (r#"{app="foo",}"#, "parse error at line 1, col 12: syntax error: unexpected }, expecting IDENTIFIER"),
        ("{app}", "parse error at line 1, col 5: syntax error: unexpected }, expecting = or != or =~ or !~"),
        (r#"{app=="foo"}"#, "parse error at line 0, col 5: syntax error: unexpected ==, expecting = or != or =~ or !~"),
        ("{app='foo'}", "parse error at line 1, col 6: invalid char literal"),
        (r#"{service.name="foo"}"#, "parse error at line 1, col 9: syntax error: unexpected ., expecting = or != or =~ or !~"),
        (r#"{app=~"foo("}"#, "parse error : error parsing regexp: missing closing ): `foo(`"),
        (r#"({app="foo"}) |= "x""#, "parse error at line 0, col 15: syntax error: unexpected |="),
        (r#"{offset="x"}"#, "parse error at line 1, col 2: syntax error: unexpected offset, expecting IDENTIFIER or }"),
        (r#"{BY="x"}"#, "parse error at line 1, col 2: syntax error: unexpected by, expecting IDENTIFIER or }"),
        ("{app=\"foo\",\n x}", "parse error at line 2, col 3: syntax error: unexpected }, expecting = or != or =~ or !~"),
    ]);
}

#[test]
fn lexical_rules() {
    check(&[
        (
            r#"{a="b"} |= "say \"hello\"""#,
            r#"{a="b"} |= "say \"hello\"""#,
        ),
        (
            "{a=\"b\"} |= `say \"hello\"`",
            r#"{a="b"} |= "say \"hello\"""#,
        ),
        (r#"{a="b"} |~ "\\d{3}""#, r#"{a="b"} |~ "\\d{3}""#),
        (r#"{a="b"} |~ `\d{3}`"#, r#"{a="b"} |~ "\\d{3}""#),
        (r#"{a="b"} |= "tab\there""#, r#"{a="b"} |= "tab\there""#),
        (
            r#"{a="b"} |= "caf\u00e9" |= "\x41" |= "\101""#,
            r#"{a="b"} |= "café" |= "A" |= "A""#,
        ),
        (r##"{a="b"} |= "#x" # comment"##, r##"{a="b"} |= "#x""##),
        (r#"{a="b"} |= "x" // comment"#, r#"{a="b"} |= "x""#),
        (
            r#"count_over_time({a="b"}[5m] /* c */ offset 1m)"#,
            r#"count_over_time({a="b"}[5m] offset 1m0s)"#,
        ),
        (
            r#"{a="b"}|="x"|logfmt|s>=500"#,
            r#"{a="b"} |= "x" | logfmt | s >= 500.0"#,
        ),
        (
            r#"{a="b"} | JSON | LOGFMT | Status >= 500"#,
            r#"{a="b"} | json | logfmt | Status >= 500.0"#,
        ),
        (
            r#"SUM BY (dyno) (RATE({a="b"}[5m]))"#,
            r#"sum by (dyno) (rate({a="b"}[5m]))"#,
        ),
        (
            r#"Count_Over_Time({a="b"}[5m])"#,
            r#"count_over_time({a="b"}[5m])"#,
        ),
        (
            r#"{a="b"} | logfmt | x="1" AND y="2" Or z="3""#,
            r#"{a="b"} | logfmt | x="1" and y="2" or z="3""#,
        ),
        // Function names are identifiers when no `(` follows.
        (
            r#"{a="b"} | logfmt | rate > 5 | ip="1" | bytes > 1KB"#,
            r#"{a="b"} | logfmt | rate > 5.0 | ip="1" | bytes > 1000B"#,
        ),
        (
            r#"sum by (rate, count) (count_over_time({a="b"}[1m]))"#,
            r#"sum by (rate, count) (count_over_time({a="b"}[1m]))"#,
        ),
        (
            r#"sum_over_time({a="b"} | logfmt | unwrap bytes [5m])"#,
            r#"sum_over_time({a="b"} | logfmt | unwrap bytes [5m])"#,
        ),
        ("\u{feff}{a=\"b\"}", r#"{a="b"}"#),
    ]);
}

#[test]
fn lexical_errors() {
    check_errors(&[
        (r#"{a="b"} |= "unterminated"#, "parse error at line 1, col 12: literal not terminated"),
        (r#"{a="b"} |= "bad \q escape""#, "parse error at line 1, col 12: invalid char escape"),
        (r#"{a="b"} |= 'x'"#, "parse error at line 1, col 12: syntax error: unexpected IDENTIFIER, expecting STRING or ip"),
        (r#"{a="b"} | logfmt | b == 0B"#, "parse error at line 1, col 25: decimal literal has no digits"),
        (r#"count_over_time({a="b"}[1m]) > 0x1F"#, r#"parse error : unable to parse literal as a float: strconv.ParseFloat: parsing "0x1F": invalid syntax"#),
        (r#"{a="b"} | logfmt | b < 1PB"#, "parse error at line 1, col 24: 'P' exponent requires hexadecimal mantissa"),
        (r#"{a="b"} | logfmt | b < 1pib"#, "parse error at line 1, col 24: 'p' exponent requires hexadecimal mantissa"),
        (r#"{a="b"} | logfmt | b > 1EB"#, "parse error at line 1, col 24: exponent has no digits"),
        (r#"{a="b"} | logfmt | b > 10 KB"#, "parse error at line 1, col 29: syntax error: unexpected $end"),
        (r#"{a="b"} | logfmt | b > 10kb"#, "parse error at line 1, col 28: syntax error: unexpected $end"),
        (r#"{a="b"} | logfmt | x > 1m30"#, "parse error at line 1, col 28: syntax error: unexpected $end"),
        ("{a=\"b\"} |= \"x\0\"", "parse error at line 1, col 12: invalid character NUL"),
        ("{a=\"b\"} # x\0", "parse error at line 0, col 9: invalid character NUL"),
        (r#"{a="b"} /* open"#, "parse error at line 1, col 9: comment not terminated"),
    ]);
}

#[test]
fn line_filters() {
    check(&[
        (
            r#"{a="b"} |= "x" != "y" |~ "z" !~ "w" |> "<_> q" !> "r <_>""#,
            r#"{a="b"} |= "x" != "y" |~ "z" !~ "w" |> "<_> q" !> "r <_>""#,
        ),
        (
            r#"{a="b"} |= "x" or "y" or "z""#,
            r#"{a="b"} |= "x" or "y" or "z""#,
        ),
        (r#"{a="b"} |~ "x" or "y""#, r#"{a="b"} |~ "x" or "y""#),
        // A negative chain means "none of them".
        (r#"{a="b"} != "x" or "y""#, r#"{a="b"} != "x" != "y""#),
        (r#"{a="b"} !~ "x" or "y""#, r#"{a="b"} !~ "x" !~ "y""#),
        (
            r#"{a="b"} |= "e" or "w" != "r""#,
            r#"{a="b"} |= "e" or "w" != "r""#,
        ),
        (
            r#"{a="b"} |= ip("10.0.0.0/8")"#,
            r#"{a="b"} |= ip("10.0.0.0/8")"#,
        ),
        (
            r#"{a="b"} != ip("10.0.0.0/8") or ip("::1")"#,
            r#"{a="b"} != ip("10.0.0.0/8") != ip("::1")"#,
        ),
        // In a positive chain Loki uses an ip() pattern as plain text.
        (
            r#"{a="b"} |= "t" or ip("10.0.0.1")"#,
            r#"{a="b"} |= "t" or "10.0.0.1""#,
        ),
        (
            r#"{a="b"} |= ip("bad") or "x""#,
            r#"{a="b"} |= "bad" or "x""#,
        ),
        (r#"{a="b"} |= """#, r#"{a="b"} |= """#),
        (r#"{a="b"} |> """#, r#"{a="b"} |> """#),
    ]);
    let l = log(r#"{a="b"} != "x" or "y" |= "p" or ip("1.2.3.4") |~ "q""#);
    let ops: Vec<(LineFilterOp, usize)> = l
        .stages
        .iter()
        .map(|s| match s {
            Stage::LineFilter(f) => (f.op, f.operands.len()),
            other => panic!("{other:?}"),
        })
        .collect();
    use LineFilterOp::*;
    assert_eq!(
        ops,
        [
            (NotContains, 1),
            (NotContains, 1),
            (Contains, 2),
            (Regex, 1)
        ]
    );
    let Stage::LineFilter(f) = &l.stages[3] else {
        unreachable!()
    };
    let LineFilterOperand::Regex(r) = &f.operands[0] else {
        panic!()
    };
    assert!(r.re.is_match("xqx"), "line filter regexes are not anchored");
}

#[test]
fn line_filter_errors() {
    check_errors(&[
        (r#"{a="b"} |="#, "parse error at line 1, col 11: syntax error: unexpected $end, expecting STRING or ip"),
        (r#"{a="b"} |= "a" or"#, "parse error at line 1, col 18: syntax error: unexpected $end, expecting STRING or ip"),
        (r#"{a="b"} |= ip(10.0.0.1)"#, "parse error at line 1, col 15: syntax error: unexpected NUMBER, expecting STRING"),
        (r#"{a="b"} |~ "((""#, "parse error : stage '|~ \"((\"' : error parsing regexp: missing closing ): `((`"),
        (r#"{a="b"} |~ "\\q""#, "parse error : stage '|~ \"\\\\q\"' : error parsing regexp: invalid escape sequence: `\\q`"),
        (r#"{a="b"} |~ ip("10.0.0.1")"#, "parse error : stage '|~ ip(\"10.0.0.1\")' : ip: invalid operation"),
        (r#"{a="b"} |= ip("not-an-ip")"#, "parse error : stage '|= ip(\"not-an-ip\")' : ip: invalid pattern: \"not-an-ip\""),
        (r#"{a="b"} |> "<a> bar""#, "parse error : stage '|> \"<a> bar\"' : named captures are not allowed: found 'a'"),
        (r#"{a="b"} |> "<_><_>""#, "parse error : stage '|> \"<_><_>\"' : found consecutive capture '__': invalid expression"),
        // A syntax error wins over a build error earlier in the query.
        (r#"{a="b"} |~ "((" |="#, "parse error at line 1, col 19: syntax error: unexpected $end, expecting STRING or ip"),
    ]);
}

#[test]
fn parsers() {
    check(&[
        (r#"{a="b"} | json"#, r#"{a="b"} | json"#),
        (
            r#"{a="b"} | json s="Status", m, ua=`["User-Agent"]`"#,
            r#"{a="b"} | json s="Status", m="m", ua="[\"User-Agent\"]""#,
        ),
        (r#"{a="b"} | logfmt"#, r#"{a="b"} | logfmt"#),
        (
            r#"{a="b"} | logfmt --keep-empty --strict"#,
            r#"{a="b"} | logfmt --strict --keep-empty"#,
        ),
        (
            r#"{a="b"} | logfmt --strict host, fwd_ip="fwd""#,
            r#"{a="b"} | logfmt --strict host="host", fwd_ip="fwd""#,
        ),
        (
            r#"{a="b"} | logfmt k="\"a b\"""#,
            r#"{a="b"} | logfmt k="\"a b\"""#,
        ),
        (
            r#"{a="b"} | regexp `(?P<s>\d+)`"#,
            r#"{a="b"} | regexp "(?P<s>\\d+)""#,
        ),
        (
            r#"{a="b"} | pattern "<ip> - <_> <x>""#,
            r#"{a="b"} | pattern "<ip> - <_> <x>""#,
        ),
        (
            r#"{a="b"} | unpack | decolorize"#,
            r#"{a="b"} | unpack | decolorize"#,
        ),
    ]);
    let l = log(r#"{a="b"} | json x="a.b[0][\"c d\"]" | logfmt k="\"q\"""#);
    let Stage::Json(j) = &l.stages[0] else {
        panic!()
    };
    use crate::logql::ast::JsonPathPart::{Index, Key};
    assert_eq!(
        j.extractions[0].path,
        vec![
            Key("a".into()),
            Key("b".into()),
            Index(0),
            Key("c d".into())
        ]
    );
    let Stage::Logfmt(lf) = &l.stages[1] else {
        panic!()
    };
    assert_eq!(lf.extractions[0].key, "q");
}

#[test]
fn parser_errors() {
    check_errors(&[
        (r#"{a="b"} | json --strict"#, "parse error at line 0, col 16: syntax error: unexpected PARSER_FLAG"),
        (r#"{a="b"} | json a=b"#, "parse error at line 1, col 18: syntax error: unexpected IDENTIFIER, expecting STRING"),
        (r#"{a="b"} | logfmt host --strict"#, "parse error at line 0, col 23: syntax error: unexpected PARSER_FLAG"),
        (r#"{a="b"} | regexp "(\\w+)""#, "parse error : invalid regexp parser: at least one named capture must be supplied"),
        (r#"{a="b"} | regexp "(?P<a>x)(?P<a>y)""#, "parse error : invalid regexp parser: duplicate extracted label name 'a'"),
        (r#"{a="b"} | pattern "<_>""#, "parse error : invalid pattern parser: at least one capture is required"),
        (r#"{a="b"} | pattern "<a><b>""#, "parse error : invalid pattern parser: found consecutive capture 'ab': invalid expression"),
        (r#"{a="b"} | json a="b..c""#, "parse error : stage '| json a=\"b..c\"' : cannot parse expression [b..c]: syntax error: unexpected DOT, expecting FIELD"),
        (r#"{a="b"} | logfmt a="my-key""#, "parse error : stage '| logfmt a=\"my-key\"' : cannot parse expression [my-key]: unexpected char -"),
        (r#"{a="b"} | unpack "x""#, "parse error at line 1, col 18: syntax error: unexpected STRING"),
    ]);
}

#[test]
fn label_filters() {
    check(&[
        // Loki keeps an unparsable literal's value (0) and drops its error.
        (r#"{a="b"} | x > 0x1F"#, r#"{a="b"} | x > 0.0"#),
        (
            r#"{a="b"} | x > 0o17 | y < 1e400"#,
            r#"{a="b"} | x > 0.0 | y < 1e400"#,
        ),
        (
            r#"{a="b"} | x="1" | y!="2" | z=~"3.*" | w!~"4""#,
            r#"{a="b"} | x="1" | y!="2" | z=~"3.*" | w!~"4""#,
        ),
        (
            r#"{a="b"} | s == 200 | s = 200 | s != 200 | s > .5 | s >= 1e-3 | s < 1_000 | s <= -1 | s > +2"#,
            r#"{a="b"} | s == 200.0 | s == 200.0 | s != 200.0 | s > 0.5 | s >= 0.001 | s < 1000.0 | s <= -1.0 | s > 2.0"#,
        ),
        (
            r#"{a="b"} | d > 300ms | d >= 1.5s | d > 1m30s | d <= 250µs | d > 1d | d != 0s | d > -5s"#,
            r#"{a="b"} | d > 300ms | d >= 1.5s | d > 1m30s | d <= 250µs | d > 24h0m0s | d != 0s | d > -5s"#,
        ),
        (
            r#"{a="b"} | b > 1KB | b > 1kB | b >= 1.5KiB | b < 10MB | b > 10k | b == 1B | b < 1TB"#,
            r#"{a="b"} | b > 1000B | b > 1000B | b >= 1536B | b < 10000000B | b > 10000B | b == 1B | b < 1000000000000B"#,
        ),
        // `0B` would read as a binary literal without digits.
        (
            r#"{a="b"} | b > 0TiB | b > 0.5B"#,
            r#"{a="b"} | b > 0.0B | b > 0.0B"#,
        ),
        (
            r#"{a="b"} | x = ip("10.0.0.0/8") | y != ip("::1")"#,
            r#"{a="b"} | x = ip("10.0.0.0/8") | y != ip("::1")"#,
        ),
        // `and` binds tighter than `or`; `,` and juxtaposition take
        // everything to their right, as Loki's grammar does.
        (
            r#"{a="b"} | p="1" or q="2", r="3""#,
            r#"{a="b"} | p="1" or q="2" and r="3""#,
        ),
        (
            r#"{a="b"} | p="1", q="2" or r="3""#,
            r#"{a="b"} | p="1" and (q="2" or r="3")"#,
        ),
        (
            r#"{a="b"} | p="1" q="2" or r="3""#,
            r#"{a="b"} | p="1" and (q="2" or r="3")"#,
        ),
        (
            r#"{a="b"} | p="1" and q="2" or r="3""#,
            r#"{a="b"} | p="1" and q="2" or r="3""#,
        ),
        (
            r#"{a="b"} | p="1" or q="2" or r="3""#,
            r#"{a="b"} | p="1" or q="2" or r="3""#,
        ),
        (
            r#"{a="b"} | (p="1" or q="2") and r="3""#,
            r#"{a="b"} | (p="1" or q="2") and r="3""#,
        ),
        (
            r#"{a="b"} | p="1" or (q="2" or r="3")"#,
            r#"{a="b"} | p="1" or (q="2" or r="3")"#,
        ),
        (
            r#"{a="b"} | p="1" and (q="2" and r="3")"#,
            r#"{a="b"} | p="1" and (q="2" and r="3")"#,
        ),
        (r#"{a="b"} | ((p >= 5))"#, r#"{a="b"} | p >= 5.0"#),
        // A duration literal `-0` (Go accepts it) makes a duration filter.
        (r#"{a="b"} | x > -0"#, r#"{a="b"} | x > 0s"#),
    ]);
    let l = log(r#"{a="b"} | x=~"w.b" | y >= 10"#);
    let Stage::LabelFilter(LabelFilterExpr::Matcher(m)) = &l.stages[0] else {
        panic!()
    };
    assert!(m.matches("web") && !m.matches("aweb"));
    assert!(
        matches!(l.stages[1], Stage::LabelFilter(LabelFilterExpr::Number { value, .. }) if value == 10.0)
    );
}

#[test]
fn label_filter_errors() {
    check_errors(&[
        (
            r#"{a="b"} | level"#,
            "parse error at line 1, col 16: syntax error: unexpected $end",
        ),
        (
            r#"{a="b"} | level == "error""#,
            "parse error at line 1, col 20: syntax error: unexpected STRING",
        ),
        (
            r#"{a="b"} | 500 < status"#,
            "parse error at line 1, col 11: syntax error: unexpected NUMBER",
        ),
        (
            r#"{a="b"} | s >= other"#,
            "parse error at line 1, col 16: syntax error: unexpected IDENTIFIER",
        ),
        (
            r#"{a="b"} | x == ip("10.0.0.0/8")"#,
            "parse error at line 1, col 16: syntax error: unexpected ip",
        ),
        (
            r#"{a="b"} | x="1" and"#,
            "parse error at line 1, col 20: syntax error: unexpected $end, expecting IDENTIFIER",
        ),
        (
            r#"{a="b"} | (x="1""#,
            "parse error at line 1, col 17: syntax error: unexpected $end",
        ),
        (
            r#"{a="b"} | x=~"(u""#,
            "parse error : error parsing regexp: missing closing ): `(u`",
        ),
        (
            r#"{a="b"} | x = ip("999.1.1.1")"#,
            "parse error : stage '| x=ip(\"999.1.1.1\")' : ip: invalid pattern: \"999.1.1.1\"",
        ),
        (
            r#"{a="b"} | on="x""#,
            "parse error at line 1, col 11: syntax error: unexpected on",
        ),
    ]);
}

#[test]
fn format_drop_keep() {
    check(&[
        (
            r#"{a="b"} | line_format "{{.a}} {{.b}}""#,
            r#"{a="b"} | line_format "{{.a}} {{.b}}""#,
        ),
        (
            "{a=\"b\"} | line_format `{{ if eq .x \"y\" }}z{{ end }}`",
            r#"{a="b"} | line_format "{{ if eq .x \"y\" }}z{{ end }}""#,
        ),
        (
            r#"{a="b"} | label_format x=y, z="{{.w}}""#,
            r#"{a="b"} | label_format x=y, z="{{.w}}""#,
        ),
        (
            r#"{a="b"} | drop x, y="1", z=~"2.*""#,
            r#"{a="b"} | drop x, y="1", z=~"2.*""#,
        ),
        (r#"{a="b"} | keep x, y!="1""#, r#"{a="b"} | keep x, y!="1""#),
    ]);
    check_errors(&[
        (r#"{a="b"} | label_format a=b, a="x""#, "parse error : stage '| label_format a=b,a=\"x\"' : multiple label name 'a' not allowed in a single format operation"),
        (r#"{a="b"} | label_format __error__=level"#, "parse error : stage '| label_format __error__=level' : __error__ cannot be formatted"),
        (r#"{a="b"} | label_format a=b,"#, "parse error at line 1, col 28: syntax error: unexpected $end, expecting IDENTIFIER"),
        (r#"{a="b"} | drop a > 5"#, "parse error : unexpected type for left leg of binary operation (>): *syntax.PipelineExpr"),
        (r#"{a="b"} | keep "a""#, "parse error at line 1, col 16: syntax error: unexpected STRING, expecting IDENTIFIER"),
    ]);
}

#[test]
fn range_aggregations() {
    check(&[
        (
            r#"count_over_time({a="b"}[30s])"#,
            r#"count_over_time({a="b"}[30s])"#,
        ),
        (
            r#"count_over_time({a="b"}[90s])"#,
            r#"count_over_time({a="b"}[1m30s])"#,
        ),
        (
            r#"count_over_time({a="b"}[1h30m])"#,
            r#"count_over_time({a="b"}[1h30m])"#,
        ),
        (
            r#"count_over_time({a="b"}[7d])"#,
            r#"count_over_time({a="b"}[1w])"#,
        ),
        (
            r#"count_over_time({a="b"}[500ms])"#,
            r#"count_over_time({a="b"}[500ms])"#,
        ),
        (
            r#"count_over_time({a="b"}[0s])"#,
            r#"count_over_time({a="b"}[0s])"#,
        ),
        (
            r#"count_over_time({a="b"}[5m] offset 1.5h)"#,
            r#"count_over_time({a="b"}[5m] offset 1h30m0s)"#,
        ),
        (
            r#"count_over_time({a="b"}[5m] offset -5m)"#,
            r#"count_over_time({a="b"}[5m] offset -5m0s)"#,
        ),
        (
            r#"count_over_time({a="b"}[5m] offset 1d)"#,
            r#"count_over_time({a="b"}[5m] offset 24h0m0s)"#,
        ),
        (
            r#"rate({a="b"}[5m] | json)"#,
            r#"rate({a="b"} | json [5m])"#,
        ),
        (
            r#"rate({a="b"}[5m] offset 5m | json)"#,
            r#"rate({a="b"} | json [5m] offset 5m0s)"#,
        ),
        (
            r#"sum_over_time({a="b"}[5m] | logfmt | unwrap x)"#,
            r#"sum_over_time({a="b"} | logfmt | unwrap x [5m])"#,
        ),
        (
            r#"sum_over_time(({a="b"} | logfmt | unwrap x)[5m])"#,
            r#"sum_over_time({a="b"} | logfmt | unwrap x [5m])"#,
        ),
        (
            r#"sum_over_time(({a="b"})[5m] offset 1m | unwrap x)"#,
            r#"sum_over_time({a="b"} | unwrap x [5m] offset 1m0s)"#,
        ),
        (
            r#"count_over_time((({a="b"} |= "x" [5m])))"#,
            r#"count_over_time({a="b"} |= "x" [5m])"#,
        ),
        (
            r#"avg_over_time({a="b"} | unwrap duration(d) | __error__="" [5m]) by (x)"#,
            r#"avg_over_time({a="b"} | unwrap duration(d) | __error__="" [5m]) by (x)"#,
        ),
        (
            r#"max_over_time({a="b"} | unwrap duration_seconds(d) [5m]) without ()"#,
            r#"max_over_time({a="b"} | unwrap duration_seconds(d) [5m]) without ()"#,
        ),
        (
            r#"sum_over_time({a="b"} | unwrap bytes(s) | s > 1 or t < 2 [5m])"#,
            r#"sum_over_time({a="b"} | unwrap bytes(s) | s > 1.0 or t < 2.0 [5m])"#,
        ),
        (
            r#"quantile_over_time(0.95, {a="b"} | unwrap x [5m]) by (s)"#,
            r#"quantile_over_time(0.95, {a="b"} | unwrap x [5m]) by (s)"#,
        ),
        (
            r#"rate({a="b"} | unwrap x [5m])"#,
            r#"rate({a="b"} | unwrap x [5m])"#,
        ),
        (
            r#"absent_over_time({a="b"}[5m])"#,
            r#"absent_over_time({a="b"}[5m])"#,
        ),
    ]);
    let Ok(Expr::Metric(MetricExpr::RangeAgg(r))) =
        parse_expr(r#"sum_over_time({a="b"} | json | unwrap bytes(x) | y="1" [1m] offset -1s)"#)
    else {
        panic!()
    };
    let u = r.range.unwrap.as_ref().unwrap();
    assert_eq!(
        (u.label.as_str(), u.conversion, u.post_filters.len()),
        ("x", UnwrapConversion::Bytes, 1)
    );
    assert_eq!(
        (r.range.range, r.range.offset),
        (60_000_000_000, -1_000_000_000)
    );
}

#[test]
fn range_aggregation_errors() {
    check_errors(&[
        (r#"count_over_time({a="b"})"#, "parse error at line 1, col 24: syntax error: unexpected )"),
        (r#"count_over_time({a="b"}[5M])"#, r#"parse error at line 0, col 24: unknown unit "M" in duration "5M""#),
        (r#"count_over_time({a="b"}[30m1h])"#, r#"parse error at line 0, col 24: not a valid duration string: "30m1h""#),
        (r#"count_over_time({a="b"}[ 5m ])"#, r#"parse error at line 0, col 24: not a valid duration string: " 5m ""#),
        (r#"count_over_time({a="b"}[5m)"#, "parse error at line 0, col 24: missing closing ']' in duration"),
        (r#"count_over_time({a="b"}[5m][5m])"#, "parse error at line 0, col 28: syntax error: unexpected RANGE, expecting )"),
        (r#"count_over_time({a="b"}[5m]) offset 5m"#, "parse error at line 1, col 30: syntax error: unexpected offset"),
        (r#"count_over_time({a="b"}[5m] offset 5)"#, "parse error at line 1, col 36: syntax error: unexpected NUMBER, expecting DURATION"),
        (r#"count_over_time({a="b"}[5m] offset -1d)"#, "parse error at line 1, col 36: syntax error: unexpected -, expecting DURATION"),
        (r#"count_over_time({a="b"} | logfmt | unwrap x [5m])"#, "parse error : invalid aggregation count_over_time with unwrap"),
        (r#"sum_over_time({a="b"}[5m])"#, "parse error : invalid aggregation sum_over_time without unwrap"),
        (r#"quantile_over_time({a="b"} | unwrap x [5m])"#, "parse error : parameter required for operation quantile_over_time"),
        (r#"avg_over_time(0.5, {a="b"} | unwrap x [5m])"#, "parse error : parameter 0.5 not supported for operation avg_over_time"),
        (r#"quantile_over_time(0x1F, {a="b"} | unwrap x [5m])"#, r#"parse error : invalid parameter for operation quantile_over_time: strconv.ParseFloat: parsing "0x1F": invalid syntax"#),
        (r#"rate({a="b"}[5m]) by (x)"#, "parse error : grouping not allowed for rate aggregation"),
        (r#"{a="b"} | logfmt | unwrap x"#, "parse error at line 1, col 20: syntax error: unexpected unwrap"),
        (r#"sum_over_time({a="b"} | unwrap x | json [5m])"#, "parse error at line 1, col 36: syntax error: unexpected json, expecting IDENTIFIER or ("),
        (r#"sum_over_time(({a="b"} | json)[5m] | unwrap x)"#, "parse error at line 1, col 36: syntax error: unexpected |, expecting )"),
    ]);
}

#[test]
fn vector_aggregations() {
    check(&[
        (r#"sum(rate({a="b"}[5m]))"#, r#"sum(rate({a="b"}[5m]))"#),
        (
            r#"sum(rate({a="b"}[5m])) by (x, y)"#,
            r#"sum by (x, y) (rate({a="b"}[5m]))"#,
        ),
        (
            r#"sum without (x) (rate({a="b"}[5m]))"#,
            r#"sum without (x) (rate({a="b"}[5m]))"#,
        ),
        (
            r#"sum by () (rate({a="b"}[5m]))"#,
            r#"sum by () (rate({a="b"}[5m]))"#,
        ),
        (
            r#"topk(5, rate({a="b"}[5m])) by (x)"#,
            r#"topk by (x) (5, rate({a="b"}[5m]))"#,
        ),
        (
            r#"bottomk by (x) (007, rate({a="b"}[5m]))"#,
            r#"bottomk by (x) (7, rate({a="b"}[5m]))"#,
        ),
        (
            r#"sort(rate({a="b"}[5m])) by ()"#,
            r#"sort by () (rate({a="b"}[5m]))"#,
        ),
        (
            r#"approx_topk(3, rate({a="b"}[5m]))"#,
            r#"approx_topk(3, rate({a="b"}[5m]))"#,
        ),
        (r#"sum(5)"#, r#"sum(5.0)"#),
        (
            r#"avg(avg_over_time({a="b"} | unwrap x [5m]) by (y))"#,
            r#"avg(avg_over_time({a="b"} | unwrap x [5m]) by (y))"#,
        ),
    ]);
    check_errors(&[
        (
            r#"topk(rate({a="b"}[5m]))"#,
            "parse error : parameter required for operation topk",
        ),
        (
            r#"topk(0, rate({a="b"}[5m]))"#,
            "parse error : invalid parameter (must be greater than 0) topk(0",
        ),
        (
            r#"topk(1.5, rate({a="b"}[5m]))"#,
            "parse error : invalid parameter topk(1.5,",
        ),
        (
            r#"topk(-1, rate({a="b"}[5m]))"#,
            "parse error at line 1, col 8: syntax error: unexpected ,",
        ),
        (
            r#"sum(5, rate({a="b"}[5m]))"#,
            "parse error : unsupported parameter for operation sum(5,",
        ),
        (
            r#"sort by (x) (rate({a="b"}[5m]))"#,
            "parse error : sort and sort_desc doesn't allow grouping by ",
        ),
        (
            r#"approx_topk(5, rate({a="b"}[5m])) by ()"#,
            "parse error : grouping not allowed for approx_topk aggregation",
        ),
        (
            r#"sum by (x,) (rate({a="b"}[5m]))"#,
            "parse error at line 1, col 11: syntax error: unexpected ), expecting IDENTIFIER",
        ),
        (
            r#"sum by (x) by (y) (rate({a="b"}[5m]))"#,
            "parse error at line 1, col 12: syntax error: unexpected by, expecting (",
        ),
        (
            r#"sum({a="b"})"#,
            "parse error at line 1, col 12: syntax error: unexpected )",
        ),
        (
            "sum()",
            "parse error at line 1, col 5: syntax error: unexpected )",
        ),
        (
            r#"distinct({a="b"})"#,
            "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER",
        ),
    ]);
}

#[test]
fn binary_operators_and_literals() {
    let r = r#"rate({a="b"}[5m])"#;
    let cases: Vec<(String, String)> = vec![
        ("1".into(), "1.0".into()),
        ("-1".into(), "-1.0".into()),
        ("- 1".into(), "-1.0".into()),
        ("+3.14".into(), "3.14".into()),
        ("1e3".into(), "1000.0".into()),
        ("1 + 2 * 3".into(), "7.0".into()),
        ("(1 + 2) * 3".into(), "9.0".into()),
        ("2 ^ 3 ^ 2".into(), "512.0".into()),
        ("10 % 3".into(), "1.0".into()),
        ("1 > 2".into(), "0.0".into()),
        ("1 > bool 2".into(), "0.0".into()),
        ("2 >= 2".into(), "1.0".into()),
        ("1 / 0".into(), "(0 / 0)".into()),
        ("2 ^ 1024".into(), "(2 ^ 1024)".into()),
        ("-1 ^ 2".into(), "1.0".into()),
        (
            "vector(1) + vector(2)".into(),
            "vector(1.0) + vector(2.0)".into(),
        ),
        (format!("{r} - {r} - {r}"), format!("{r} - {r} - {r}")),
        (format!("{r} - ({r} - {r})"), format!("{r} - ({r} - {r})")),
        (format!("{r} ^ {r} ^ {r}"), format!("{r} ^ {r} ^ {r}")),
        (format!("({r} ^ {r}) ^ {r}"), format!("({r} ^ {r}) ^ {r}")),
        (format!("{r} + 1 > 2 * 3"), format!("{r} + 1.0 > 6.0")),
        (format!("{r} or {r} and {r}"), format!("{r} or {r} and {r}")),
        (
            format!("({r} or {r}) and {r}"),
            format!("({r} or {r}) and {r}"),
        ),
        (format!("{r} * -1"), format!("{r} * -1.0")),
        (format!("-2 ^ {r}"), format!("-2.0 ^ {r}")),
        (
            format!("{r} > bool on (x) group_left (y) {r}"),
            format!("{r} > bool on (x) group_left (y) {r}"),
        ),
        (
            format!("{r} / ignoring (x) group_right {r}"),
            format!("{r} / ignoring (x) group_right () {r}"),
        ),
        (
            format!("{r} / on () group_left () {r}"),
            format!("{r} / on () group_left () {r}"),
        ),
        (
            format!("{r} unless ignoring () {r}"),
            format!("{r} unless ignoring () {r}"),
        ),
        (
            format!("sum({r}) or vector(0)"),
            format!("sum({r}) or vector(0.0)"),
        ),
        (format!("(({r}))"), r.to_string()),
    ];
    for (q, c) in &cases {
        check(&[(q.as_str(), c.as_str())]);
    }
    check_errors(&[
        (r#"{a="b"} + {c="d"}"#, "parse error : unexpected type for left leg of binary operation (+): *syntax.MatchersExpr"),
        (&format!("{r} + {{a=\"b\"}} |= \"x\""), "parse error : unexpected type for right leg of binary operation (+): *syntax.PipelineExpr"),
        (&format!("{r} or 1"), "parse error : unexpected literal for right leg of logical/set binary operation (or): 1.000000"),
        ("1 or 2", "parse error : unexpected literal for left leg of logical/set binary operation (or): 1.000000"),
        (&format!("-{r}"), "parse error at line 1, col 2: syntax error: unexpected RATE, expecting NUMBER"),
        ("-vector(1)", "parse error at line 1, col 2: syntax error: unexpected VECTOR, expecting NUMBER"),
        ("-(1)", "parse error at line 1, col 2: syntax error: unexpected (, expecting NUMBER"),
        (&format!("{r} + on(x) bool {r}"), "parse error at line 1, col 27: syntax error: unexpected bool"),
        (&format!("{r} + group_left {r}"), "parse error at line 1, col 21: syntax error: unexpected group_left"),
        (&format!("{r} + on x {r}"), "parse error at line 1, col 24: syntax error: unexpected IDENTIFIER, expecting ("),
        (&format!("{r} +"), "parse error at line 1, col 20: syntax error: unexpected $end"),
        ("vector(-1)", "parse error at line 1, col 8: syntax error: unexpected -, expecting NUMBER"),
        ("vector()", "parse error at line 1, col 8: syntax error: unexpected ), expecting NUMBER"),
        ("\"s\"", "parse error at line 1, col 1: syntax error: unexpected STRING"),
    ]);
}

#[test]
fn label_replace_and_vector() {
    check(&[
        (
            r#"label_replace(rate({a="b"}[5m]), "d", "$1", "s", "(.*)@x")"#,
            r#"label_replace(rate({a="b"}[5m]), "d", "$1", "s", "(.*)@x")"#,
        ),
        (
            r#"label_replace(vector(1), "s", "x", "", "")"#,
            r#"label_replace(vector(1.0), "s", "x", "", "")"#,
        ),
        ("vector(1.5)", "vector(1.5)"),
    ]);
    let Ok(Expr::Metric(MetricExpr::LabelReplace(l))) =
        parse_expr(r#"label_replace(vector(1), "d", "$1", "s", "a|b")"#)
    else {
        panic!()
    };
    assert!(
        l.regex.re.is_match("b") && !l.regex.re.is_match("ab"),
        "anchored"
    );
    check_errors(&[
        (r#"label_replace(rate({a="b"}[5m]), "d", "$1", "s", "(.*")"#, "parse error : invalid regex in label_replace: error parsing regexp: missing closing ): `^(?:(.*)$`"),
        (r#"label_replace(rate({a="b"}[5m]), d, "$1", "s", "(.*)")"#, "parse error at line 1, col 34: syntax error: unexpected IDENTIFIER, expecting STRING"),
        (r#"label_replace({a="b"}, "d", "$1", "s", "(.*)")"#, "parse error at line 1, col 22: syntax error: unexpected ,"),
        // Loki checks only the first selector under label_replace; a bare
        // literal has an empty one.
        (r#"label_replace(1, "d", "$1", "s", "(.*)")"#, "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will"),
    ]);
}

#[test]
fn limits() {
    let long = format!("{{a=\"{}\"}}", "x".repeat(MAX_QUERY_BYTES));
    assert_eq!(
        parse_expr(&long).unwrap_err().to_string(),
        format!(
            "parse error : input size too long ({} > {MAX_QUERY_BYTES})",
            long.len()
        )
    );
    let deep = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_expr(&deep(200)).is_ok());
    assert!(parse_expr(&deep(300))
        .unwrap_err()
        .to_string()
        .contains("nests too deeply"));
    let chain = |n: usize| vec!["vector(1)"; n].join(" + ");
    assert!(parse_expr(&chain(200)).is_ok());
    assert!(parse_expr(&chain(300))
        .unwrap_err()
        .to_string()
        .contains("nests too deeply"));
    let filters = |n: usize| format!("{{a=\"b\"}} | {}", vec!["x=\"1\""; n].join(" or "));
    assert!(parse_expr(&filters(200)).is_ok());
    assert!(parse_expr(&filters(300)).is_err());
    let juxt = format!("{{a=\"b\"}} | {}", vec!["x=\"1\""; 2000].join(" "));
    assert!(parse_expr(&juxt).is_err());
    // The deepest accepted trees print and drop without trouble.
    let e = parse_expr(&chain(MAX_DEPTH as usize)).unwrap();
    assert_eq!(parse_expr(&e.to_string()).unwrap(), e);
}

#[test]
fn entry_points_for_metadata() {
    let m = parse_matchers(r#"{a="b", c=~"d|e"}"#).unwrap();
    assert_eq!(m.len(), 2);
    assert!(m[1].matches("e"));
    assert_eq!(
        parse_matchers(r#"{a="b"} |= "x""#).unwrap_err().to_string(),
        "only label matchers are supported"
    );
    assert!(parse_matchers("{}").is_err());
    let l = parse_log_selector(r#"{a="b"} | json"#).unwrap();
    assert_eq!(l.stages.len(), 1);
    assert_eq!(
        parse_log_selector(r#"rate({a="b"}[1m])"#)
            .unwrap_err()
            .to_string(),
        "only log selector is supported"
    );
    assert_eq!(parse_expr("1 +").unwrap_err().http_status(), 400);
}

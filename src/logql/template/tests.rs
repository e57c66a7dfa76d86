//! End-to-end template tests (parse + render). Expected outputs follow Go's
//! `text/template`, sprig v3, spf13/cast and Loki's function map; cases
//! marked "golden" are Loki 3.7 answers from the conformance suite.

use super::*;

/// 2026-01-12 03:58:58.366824588 UTC, a Monday.
const TS: i64 = 1_768_190_338_366_824_588;
/// 2026-11-22 10:20:30 UTC: what `now` returns in these tests.
const NOW: i64 = 1_795_342_830_000_000_000;

struct Ctx {
    labels: Vec<(&'static str, &'static str)>,
    line: &'static str,
    ts: i64,
}

impl TemplateContext for Ctx {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }
    fn for_each_label(&self, f: &mut dyn FnMut(&str, &str)) {
        let mut sorted = self.labels.clone();
        sorted.sort();
        for (k, v) in sorted {
            f(k, v);
        }
    }
    fn line(&self) -> &str {
        self.line
    }
    fn timestamp(&self) -> i64 {
        self.ts
    }
    fn now(&self) -> i64 {
        NOW
    }
}

fn ctx() -> Ctx {
    Ctx {
        labels: vec![
            ("a", "1"),
            ("b", "2"),
            ("s", "hello"),
            ("word", "héllo"),
            ("path", "/api/v1/x.json"),
            ("empty", ""),
            ("num", "42"),
            ("f", "2.5"),
            ("ts", "2026-01-12T03:53:02.927Z"),
        ],
        line: "level=error msg=\"disk full\" error=ENOSPC",
        ts: TS,
    }
}

fn render_in(name: &str, src: &str, c: &Ctx) -> Result<String, String> {
    let t = Template::parse_named(name, src).map_err(|e| e.0)?;
    let mut out = String::from("stale");
    t.render(c, &mut out).map_err(|e| e.0)?;
    Ok(out)
}

fn render(src: &str) -> Result<String, String> {
    render_in("line", src, &ctx())
}

fn as_strs(r: &Result<String, String>) -> Result<&str, &str> {
    r.as_ref().map(String::as_str).map_err(String::as_str)
}

/// Table runner: each case is (template, expected output).
fn check_ok(cases: &[(&str, &str)]) {
    for (src, want) in cases {
        assert_eq!(as_strs(&render(src)), Ok(*want), "template: {src}");
    }
}

/// Table runner: each case is (template, expected full error text).
fn check_err(cases: &[(&str, &str)]) {
    for (src, want) in cases {
        assert_eq!(as_strs(&render(src)), Err(*want), "template: {src}");
    }
}

/// Table runner: (template, expected end of the error text).
fn check_err_tail(cases: &[(&str, &str)]) {
    for (src, want) in cases {
        match render(src) {
            Err(e) => assert!(
                e.ends_with(want),
                "template: {src}\n got: {e}\nwant: …{want}"
            ),
            Ok(o) => panic!("template: {src}: expected error …{want}, got output {o:?}"),
        }
    }
}

#[test]
fn fields_text_and_printing() {
    check_ok(&[
        ("", ""),
        ("plain text", "plain text"),
        ("{{.a}} - {{.b}}", "1 - 2"),
        ("{{ .a }}", "1"),
        // missingkey=zero on a map[string]string: "" not "<no value>".
        ("[{{.missing}}]", "[]"),
        ("{{.empty}}|", "|"),
        (
            "{{.}}",
            "map[a:1 b:2 empty: f:2.5 num:42 path:/api/v1/x.json s:hello ts:2026-01-12T03:53:02.927Z word:héllo]",
        ),
        ("a{{/* comment */}}b", "ab"),
        ("a  {{- .a -}}  b", "a1b"),
        ("a \n {{- /* c */ -}} \n b", "ab"),
        ("{{.a}}\n{{.b}}", "1\n2"),
        ("{{ \"→ ünïcode\" }}", "→ ünïcode"),
        ("{{ `raw \\n` }}", "raw \\n"),
        ("{{ \"esc\\t\\x41\\u00e9\" }}", "esc\tAé"),
    ]);
}

#[test]
fn literals_print_like_go() {
    check_ok(&[
        ("{{ 1 }}", "1"),
        ("{{ -2 }}", "-2"),
        ("{{ 1.5 }}", "1.5"),
        // %v of float64: shortest, exponent from 1e+06 on.
        ("{{ 1e6 }}", "1e+06"),
        ("{{ 123456.0 }}", "123456"),
        ("{{ 1.0 }}", "1"),
        ("{{ 0x1F }}", "31"),
        ("{{ 0o17 }} {{ 017 }} {{ 0b101 }}", "15 15 5"),
        ("{{ 1_000 }}", "1000"),
        ("{{ 'a' }}", "97"),
        ("{{ true }} {{ false }}", "true false"),
        ("{{ \"s\" }}", "s"),
        ("{{ (1) }}", "1"),
    ]);
}

#[test]
fn control_structures() {
    check_ok(&[
        (r#"{{ if eq .a "1" }}one{{ end }}"#, "one"),
        (
            r#"{{ if eq .a "2" }}two{{ else if eq .a "1" }}one{{ else }}other{{ end }}"#,
            "one",
        ),
        (r#"{{ if .missing }}x{{ else }}y{{ end }}"#, "y"),
        (r#"{{ if .empty }}x{{ end }}"#, ""),
        (r#"{{ with .s }}[{{ . }}]{{ end }}"#, "[hello]"),
        (r#"{{ with .missing }}x{{ else }}none{{ end }}"#, "none"),
        (r#"{{ with .missing }}x{{ else with .a }}a={{ . }}{{ end }}"#, "a=1"),
        (
            r#"{{ range $k, $v := . }}{{ if ne $k "ts" }}{{ $k }}={{ $v }};{{ end }}{{ end }}"#,
            "a=1;b=2;empty=;f=2.5;num=42;path=/api/v1/x.json;s=hello;word=héllo;",
        ),
        (r#"{{ range . }}{{ if eq . "1" }}found{{ end }}{{ end }}"#, "found"),
        ("{{ range 3 }}{{ . }}{{ end }}", "012"),
        ("{{ range $i := 3 }}{{ $i }},{{ end }}", "0,1,2,"),
        ("{{ range 0 }}x{{ else }}none{{ end }}", "none"),
        (
            r#"{{ range $i, $e := fromJson "[\"a\",\"b\"]" }}{{ $i }}:{{ $e }} {{ end }}"#,
            "0:a 1:b ",
        ),
        (
            r#"{{ range $k, $v := fromJson "{\"z\":1,\"a\":true}" }}{{ $k }}={{ $v }} {{ end }}"#,
            "a=true z=1 ",
        ),
        (r#"{{ range fromJson "[]" }}x{{ else }}empty{{ end }}"#, "empty"),
        // A nil (bad JSON) ranges like an empty map (golden 265).
        (r#"{{ range $k, $v := fromJson .missing }}{{ $k }}{{ end }}"#, ""),
        (
            "{{ range $i := 5 }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}{{ end }}",
            "02",
        ),
        // Assignment to an outer variable inside range.
        (
            "{{ $n := 0 }}{{ range $i := 4 }}{{ $n = add $n $i }}{{ end }}{{ $n }}",
            "6",
        ),
    ]);
}

#[test]
fn variables() {
    check_ok(&[
        ("{{ $x := .a }}{{ $x }}", "1"),
        ("{{ $x := 1 }}", ""),
        ("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"),
        ("{{ with .s }}{{ $.b }}{{ end }}", "2"),
        ("{{ $ }}", "map[a:1 b:2 empty: f:2.5 num:42 path:/api/v1/x.json s:hello ts:2026-01-12T03:53:02.927Z word:héllo]"),
        ("{{ $m := fromJson `{\"k\":{\"n\":\"v\"}}` }}{{ $m.k.n }}", "v"),
        // golden 266: the variable holds the label.
        ("{{ $s := .num }}{{ $s }}", "42"),
    ]);
}

#[test]
fn pipelines_and_chains() {
    check_ok(&[
        (r#"{{ .a | printf "%s!" }}"#, "1!"),
        // The piped value is the LAST argument.
        (r#"{{ "x" | printf "%s-%s" "y" }}"#, "y-x"),
        (r#"{{ .s | upper | printf "<%s>" }}"#, "<HELLO>"),
        (r#"{{ printf "%d" (len .s) }}"#, "5"),
        (r#"{{ (fromJson "{\"a\":{\"b\":\"c\"}}").a.b }}"#, "c"),
        // fromJson results: nil prints as <no value>, inside maps as <nil>.
        (r#"{{ fromJson "bad" }}"#, "<no value>"),
        (r#"{{ (fromJson "{}").x }}"#, "<no value>"),
        (
            r#"{{ fromJson "{\"a\":null,\"n\":12345678}" }}"#,
            "map[a:<nil> n:1.2345678e+07]",
        ),
        (r#"{{ index (fromJson "{\"a\":[1,\"x\"]}") "a" }}"#, "[1 x]"),
        ("{{ .a | }}", "1"),
    ]);
}

#[test]
fn logic_and_comparison_builtins() {
    check_ok(&[
        ("{{ and .a .b }}", "2"),
        ("{{ and .missing .b }}|", "|"),
        (r#"{{ or .missing "d" }}"#, "d"),
        (r#"{{ or 0 "" }}|"#, "|"),
        ("{{ and 1 0 }}", "0"),
        // Short-circuit: the division never runs.
        ("{{ or true (div 1 0) }}", "true"),
        ("{{ and false (div 1 0) }}", "false"),
        ("{{ .a | and true }}", "1"),
        ("{{ not .missing }} {{ not 1 }}", "true false"),
        (
            r#"{{ eq .a "1" }} {{ eq .a "x" "1" }} {{ eq .a "x" "y" }}"#,
            "true true false",
        ),
        (
            "{{ eq 1 1 }} {{ eq (len .a) 1 }} {{ eq (add 1 1) 2 }}",
            "true true true",
        ),
        ("{{ eq nil nil }} {{ eq .a nil }}", "true false"),
        (r#"{{ ne .a "2" }}"#, "true"),
        (
            r#"{{ lt 1 2 }} {{ lt "a" "b" }} {{ gt 2.5 1.5 }} {{ ge 2 2 }} {{ le 3 2 }}"#,
            "true true true true false",
        ),
        ("{{ lt (add 1 1) 3 }}", "true"),
        ("{{ eq (index \"abc\" 0) 97 }}", "true"),
        (r#"{{ eq __timestamp__ __timestamp__ }}"#, "true"),
    ]);
    check_err_tail(&[
        ("{{ eq .a 1 }}", "error calling eq: incompatible types for comparison: string and int"),
        ("{{ eq 1.0 1 }}", "error calling eq: incompatible types for comparison: float64 and int"),
        ("{{ lt .a 2 }}", "error calling lt: incompatible types for comparison: string and int"),
        ("{{ lt true false }}", "error calling lt: invalid type for comparison"),
        ("{{ lt nil 1 }}", "error calling lt: invalid type for comparison"),
        ("{{ eq .a }}", "error calling eq: missing argument for comparison"),
        ("{{ eq . . }}", "error calling eq: non-comparable type map[a:1 b:2 empty: f:2.5 num:42 path:/api/v1/x.json s:hello ts:2026-01-12T03:53:02.927Z word:héllo]: map[string]string"),
    ]);
}

#[test]
fn collection_builtins() {
    check_ok(&[
        ("{{ len .s }} {{ len . }} {{ len .word }}", "5 9 6"),
        (r#"{{ index . "a" }}|{{ index . "zz" }}|"#, "1||"),
        (r#"{{ index "abc" 1 }}"#, "98"),
        (r#"{{ index (fromJson "[1,2]") 1 }}"#, "2"),
        (r#"{{ index (fromJson "[[1,[2,3]]]") 0 1 0 }}"#, "2"),
        (
            r#"{{ slice "abcdef" 1 3 }} {{ slice "abc" 1 }} {{ slice "abc" }}"#,
            "bc bc abc",
        ),
        (r#"{{ slice (fromJson "[1,2,3]") 1 }}"#, "[2 3]"),
        (r#"{{ print 1 2 "a" 3 }}"#, "1 2a3"),
        (r#"{{ println "a" 1 }}"#, "a 1\n"),
        (
            r#"{{ html "<a href='x'>&\"</a>" }}"#,
            "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;",
        ),
        (
            r#"{{ js "a'b\"c<d>=&" }}"#,
            r#"a\'b\"c\u003Cd\u003E\u003D\u0026"#,
        ),
        (r#"{{ urlquery "a b&c/é" }}"#, "a+b%26c%2F%C3%A9"),
        (r#"{{ print }}|{{ print nil }}"#, "|<nil>"),
    ]);
    check_err_tail(&[
        ("{{ len 3 }}", "error calling len: len of type int"),
        (
            r#"{{ index (fromJson "[1,2]") 5 }}"#,
            "error calling index: index out of range: 5",
        ),
        (
            "{{ index 1 0 }}",
            "error calling index: can't index item of type int",
        ),
        (
            "{{ index . 1 }}",
            "error calling index: value has type int; should be string",
        ),
        (
            "{{ index nil 1 }}",
            "error calling index: index of untyped nil",
        ),
        (
            r#"{{ slice "abc" 2 1 }}"#,
            "error calling slice: invalid slice index: 2 > 1",
        ),
        (
            r#"{{ slice "abc" 1 2 3 }}"#,
            "error calling slice: cannot 3-index slice a string",
        ),
        (
            r#"{{ slice "abc" 9 }}"#,
            "error calling slice: index out of range: 9",
        ),
        (
            "{{ call .a }}",
            "error calling call: non-function .a of type string",
        ),
    ]);
}

#[test]
fn printf_verbs() {
    check_ok(&[
        (r#"{{ printf "%.2f" 3.14159 }}"#, "3.14"),
        (r#"{{ printf "%.2f" (float64 .f) }}"#, "2.50"),
        (r#"{{ printf "%5s|%-5s|" .a .b }}"#, "    1|2    |"),
        (r#"{{ printf "%d %v %s" 5 .a .s }}"#, "5 1 hello"),
        (r#"{{ printf "%q" .word }}"#, r#""héllo""#),
        (r#"{{ printf "%x %X" 255 "hi" }}"#, "ff 6869"),
        (r#"{{ printf "%t %v" true 1.5 }}"#, "true 1.5"),
        (r#"{{ printf "%05.1f" (float64 .missing) }}"#, "000.0"),
        (r#"{{ printf "%d" .a }}"#, "%!d(string=1)"),
        (r#"{{ printf "%d %d" 1 }}"#, "1 %!d(MISSING)"),
        (r#"{{ printf "%d" 1 2 }}"#, "1%!(EXTRA int=2)"),
        (r#"{{ printf "%T %T" (add 1 2) __timestamp__ }}"#, "int64 time.Time"),
        (r#"{{ printf "%v" . }}"#, "map[a:1 b:2 empty: f:2.5 num:42 path:/api/v1/x.json s:hello ts:2026-01-12T03:53:02.927Z word:héllo]"),
        // golden 309/310 (labels missing).
        (r#"{{ printf "%-6s %s" .method .path }}"#, "       /api/v1/x.json"),
    ]);
}

#[test]
fn loki_string_functions() {
    check_ok(&[
        (
            r#"{{ ToLower "HéLLO" }} {{ ToUpper "héllo" }}"#,
            "héllo HÉLLO",
        ),
        (r#"{{ Replace .path "/" "_" -1 }}"#, "_api_v1_x.json"),
        (r#"{{ Replace .path "/" "_" 1 }}"#, "_api/v1/x.json"),
        (
            r#"{{ Trim "//a/b//" "/" }}|{{ TrimLeft "//a/b//" "/" }}|{{ TrimRight "//a/b//" "/" }}"#,
            "a/b|a/b//|//a/b",
        ),
        (
            r#"{{ TrimPrefix .path "/api" }} {{ TrimSuffix .path ".json" }}"#,
            "/v1/x.json /api/v1/x",
        ),
        ("{{ TrimSpace \"  x \\n\" }}|", "x|"),
        // Go's Expand: ${1} is group 1, $1x names group "1x" (empty).
        (
            r#"{{ regexReplaceAll "(a*)bc" "xaabcx" "${1}Z" }}"#,
            "xaaZx",
        ),
        (r#"{{ regexReplaceAll "(a)" "a" "$1x" }}|"#, "|"),
        (
            r#"{{ regexReplaceAll "(?P<v>\\d+)" "n=42" "<$v>" }}"#,
            "n=<42>",
        ),
        (r#"{{ regexReplaceAllLiteral "(a)" "a" "$1" }}"#, "$1"),
        // Go's \d is ASCII only.
        (r##"{{ regexReplaceAll "\\d" "1٣" "#" }}"##, "#٣"),
        (
            r#"{{ count "a" "banana" }} {{ __line__ | count "(?i)ERROR" }}"#,
            "3 2",
        ),
        (r#"{{ urlencode "a b/c?d=é" }}"#, "a+b%2Fc%3Fd%3D%C3%A9"),
        (r#"{{ urldecode "a+b%2Fc%C3%A9" }}"#, "a b/cé"),
        (
            r#"{{ alignLeft 5 "ab" }}|{{ alignLeft 2 .word }}|{{ alignLeft -1 "x" }}"#,
            "ab   |hé|x",
        ),
        (
            r#"{{ alignRight 5 "ab" }}|{{ alignRight 2 .word }}|{{ alignRight 2 "ab" }}"#,
            "   ab|lo|ab",
        ),
        // golden 302 (labels missing).
        (
            "{{ alignLeft 10 .dyno }}|{{ alignRight 8 .status }}",
            "          |        ",
        ),
        (
            "{{ __line__ }}",
            "level=error msg=\"disk full\" error=ENOSPC",
        ),
    ]);
    check_err_tail(&[
        (
            r#"{{ regexReplaceAll "(" "a" "b" }}"#,
            "error calling regexReplaceAll: error parsing regexp: missing closing ): `(`",
        ),
        (
            r#"{{ count "[a" "b" }}"#,
            "error calling count: error parsing regexp: missing closing ]: `[a`",
        ),
        (
            r#"{{ urldecode "%zz" }}"#,
            r#"error calling urldecode: invalid URL escape "%zz""#,
        ),
        (
            r#"{{ urldecode "ab%4" }}"#,
            r#"error calling urldecode: invalid URL escape "%4""#,
        ),
    ]);
}

#[test]
fn sprig_string_functions() {
    check_ok(&[
        (
            r#"{{ b64enc "hello" }} {{ b64enc "" }}|{{ b64enc "ab" }}"#,
            "aGVsbG8= |YWI=",
        ),
        (r#"{{ b64dec "aGVsbG8=" }}"#, "hello"),
        // sprig returns the decode error text as the result.
        (
            r#"{{ b64dec "aGVsbG8" }}"#,
            "illegal base64 data at input byte 4",
        ),
        (
            r#"{{ lower "ABC" }} {{ upper .s }} {{ title "hello wOrld-foo_bar" }}"#,
            "abc HELLO Hello WOrld-Foo_bar",
        ),
        ("{{ trim \"  x  \" }}|", "x|"),
        // trunc cuts bytes: Go yields "h\xc3"; kindling marks the broken byte.
        (r#"{{ trunc 2 "héllo" }}"#, "h\u{FFFD}"),
        (
            r#"{{ trunc -3 "hello" }} {{ trunc 10 "hi" }} {{ trunc -10 "hi" }}"#,
            "llo hi hi",
        ),
        (r#"{{ .path | trunc 4 }}"#, "/api"),
        (
            r#"{{ substr 1 3 "hello" }} {{ substr -1 3 "hello" }} {{ substr 2 -1 "hello" }} {{ substr 2 99 "hello" }}"#,
            "el hel llo llo",
        ),
        (
            r#"{{ contains "ll" .s }} {{ hasPrefix "/api" .path }} {{ hasSuffix ".css" .path }}"#,
            "true true false",
        ),
        ("{{ indent 2 \"a\\nb\" }}", "  a\n  b"),
        ("{{ nindent 2 \"a\" }}", "\n  a"),
        // golden 300 (label missing).
        ("{{ .desc | indent 4 }}", "    "),
        (r#"{{ "a-b-c" | replace "-" "+" }}"#, "a+b+c"),
        (r#"{{ repeat 3 "ab" }} {{ repeat 3 "=" }}"#, "ababab ==="),
        (
            r#"{{ trimAll "$" "$5.00$" }} {{ trimPrefix "/" .path }} {{ trimSuffix ".json" .path }}"#,
            "5.00 api/v1/x.json /api/v1/x",
        ),
    ]);
    check_err_tail(&[
        // Go's slice bound panics become template errors.
        (
            r#"{{ substr 3 2 "hello" }}"#,
            "error calling substr: runtime error: slice bounds out of range [3:2]",
        ),
        (
            r#"{{ substr 9 -1 "hello" }}"#,
            "error calling substr: runtime error: slice bounds out of range [9:5]",
        ),
        (
            r#"{{ substr -1 9 "hello" }}"#,
            "error calling substr: runtime error: slice bounds out of range [:9] with length 5",
        ),
        (
            r#"{{ substr -1 -1 "x" }}"#,
            "error calling substr: runtime error: slice bounds out of range [:-1]",
        ),
        (
            r#"{{ repeat -1 "a" }}"#,
            "error calling repeat: strings: negative Repeat count",
        ),
        (
            r#"{{ indent -1 "a" }}"#,
            "error calling indent: strings: negative Repeat count",
        ),
        (
            r#"{{ repeat 100000000 "ab" }}"#,
            "error calling repeat: result of 200000000 bytes exceeds the 16777216-byte limit",
        ),
    ]);
}

#[test]
fn sprig_math_functions() {
    check_ok(&[
        ("{{ int \"42\" }} {{ int \"1.9\" }} {{ int \"x\" }} {{ int 3.7 }} {{ int \"0x10\" }}", "42 1 0 3 16"),
        ("{{ float64 \"1.5\" }} {{ float64 \"x\" }} {{ float64 2 }}", "1.5 0 2"),
        ("{{ add 1 2 3 }} {{ add }}", "6 0"),
        // cast drops the fraction of a numeric string (verified in Loki).
        (r#"{{ add "1.5" 2 }} {{ add "x" 1 }} {{ add .num 1 }}"#, "3 1 43"),
        ("{{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ div -7 2 }} {{ mod 7 3 }} {{ mod -7 3 }}", "-2 24 3 -3 1 -1"),
        // golden 322-327 (status missing → 0).
        ("{{ add .status 1 }} {{ sub .status 100 }} {{ mul .status 2 }}", "1 -100 0"),
        ("{{ max 1 \"5\" 3 }} {{ min 1 2 3 }} {{ max 1 2 3 }}", "5 1 3"),
        ("{{ maxf 1 2.5 \"3\" }} {{ minf 1 2.5 3 }}", "3 1"),
        ("{{ ceil 1.2 }} {{ floor \"-1.5\" }} {{ ceil .missing }}", "2 -2 0"),
        // Exact decimal arithmetic, then float64.
        ("{{ addf 0.1 0.2 }} {{ addf \"1.5\" 1 }} {{ subf 1 0.9 }} {{ mulf 0.1 3 }}", "0.3 2.5 0.1 0.3"),
        ("{{ divf 1 3 }} {{ divf 10 4 }} {{ divf 2 3 }}", "0.3333333333333333 2.5 0.6666666666666667"),
        ("{{ addf .ratio 0.5 }} {{ mulf .ratio 100 }}", "0.5 0"),
        ("{{ round 3.14159 2 }} {{ round 2.5 0 }} {{ round -2.5 0 }}", "3.14 3 -3"),
        // golden 336.
        ("{{ round 123.88571428571 5 .2 }}", "123.88572"),
        ("{{ 1 | add 2 }} {{ .f | float64 | printf \"%.1f\" }}", "3 2.5"),
    ]);
    check_err(&[
        (
            "{{ div 1 0 }}",
            "template: line:1:3: executing \"line\" at <div 1 0>: error calling div: runtime error: integer divide by zero",
        ),
        (
            "{{ mod 1 0 }}",
            "template: line:1:3: executing \"line\" at <mod 1 0>: error calling mod: runtime error: integer divide by zero",
        ),
        (
            "{{ divf 1 0 }}",
            "template: line:1:3: executing \"line\" at <divf 1 0>: error calling divf: decimal division by 0",
        ),
        (
            "x {{ .a | addf \"NaN\" }}",
            "template: line:1:10: executing \"line\" at <addf \"NaN\">: error calling addf: Cannot create a Decimal from NaN",
        ),
    ]);
}

#[test]
fn time_functions() {
    check_ok(&[
        ("{{ __timestamp__ }}", "2026-01-12 03:58:58.366824588 +0000 UTC"),
        ("{{ __timestamp__ | unixEpoch }} {{ __timestamp__ | unixEpochMillis }} {{ __timestamp__ | unixEpochNanos }}", "1768190338 1768190338366 1768190338366824588"),
        ("{{ now }}", "2026-11-22 10:20:30 +0000 UTC"),
        ("{{ now | unixEpoch }}", "1795342830"),
        (r#"{{ date "2006-01-02 15:04:05.000 Mon Jan _2 MST" __timestamp__ }}"#, "2026-01-12 03:58:58.366 Mon Jan 12 UTC"),
        (r#"{{ __timestamp__ | date "15:04" }}"#, "03:58"),
        // A string label is not a time: `date` formats "now" (Loki quirk).
        (r#"{{ .ts | date "15:04" }}"#, "10:20"),
        (r#"{{ date "2006-01-02" 0 }} {{ date "2006-01-02" (add 86400 0) }}"#, "1970-01-01 1970-01-02"),
        (r#"{{ toDate "2006-01-02" "2024-02-03" }}"#, "2024-02-03 00:00:00 +0000 UTC"),
        // A parse failure is the zero time, year 1.
        (r#"{{ toDate "2006-01-02" "bad" }}"#, "0001-01-01 00:00:00 +0000 UTC"),
        (r#"{{ toDate "2006-01-02" "bad" | unixEpoch }}"#, "-62135596800"),
        (r#"{{ .ts | toDate "2006-01-02T15:04:05.999999999Z" }}"#, "2026-01-12 03:53:02.927 +0000 UTC"),
        (r#"{{ toDateInZone "2006-01-02 15:04" "Etc/GMT-2" "2024-01-02 10:00" }}"#, "2024-01-02 10:00:00 +0200 +02"),
        (r#"{{ toDateInZone "2006-01-02 15:04" "Etc/GMT-2" "2024-01-02 10:00" | date "15:04 MST" }}"#, "08:00 UTC"),
        (r#"{{ toDateInZone "2006-01-02" "No/Such_Zone" "2024-01-02" }}"#, "2024-01-02 00:00:00 +0000 UTC"),
        (r#"{{ toDateInZone "2006-01-02T15:04:05Z07:00" "UTC" "2024-01-02T10:00:00+01:00" }}"#, "2024-01-02 10:00:00 +0100 +0100"),
        (r#"{{ toDateInZone "2006-01-02" "UTC" .day }}"#, "0001-01-01 00:00:00 +0000 UTC"),
        // unixToTime picks the unit from the digit count.
        (r#"{{ unixToTime "1673798889" }}"#, "2023-01-15 16:08:09 +0000 UTC"),
        (r#"{{ unixToTime "1673798889902" }}"#, "2023-01-15 16:08:09.902 +0000 UTC"),
        (r#"{{ unixToTime "1673798889902000" }}"#, "2023-01-15 16:08:09.902 +0000 UTC"),
        (r#"{{ unixToTime "1673798889902000001" }}"#, "2023-01-15 16:08:09.902000001 +0000 UTC"),
        (r#"{{ unixToTime "19373" }}"#, "2023-01-16 00:00:00 +0000 UTC"),
        (r#"{{ duration "1m30s" }} {{ duration "1.5s" }} {{ duration_seconds "-250ms" }}"#, "90 1.5 -0.25"),
        // bytes returns a float64: two million prints as 2e+06.
        (r#"{{ bytes "1.5KiB" }} {{ bytes "2 MB" }} {{ bytes "512" }}"#, "1536 2e+06 512"),
        ("{{ __timestamp__.Year }} {{ __timestamp__.Month }} {{ __timestamp__.Day }} {{ __timestamp__.Weekday }} {{ __timestamp__.YearDay }}", "2026 January 12 Monday 12"),
        (r#"{{ (__timestamp__).Format "2006" }} {{ __timestamp__.Unix }} {{ __timestamp__.Hour }}"#, "2026 1768190338 3"),
        ("{{ (toDate \"2006\" \"x\").IsZero }}", "true"),
        (r#"{{ default "d" __timestamp__ }}"#, "2026-01-12 03:58:58.366824588 +0000 UTC"),
    ]);
    check_err_tail(&[
        (
            r#"{{ unixToTime "123" }}"#,
            "error calling unixToTime: unable to parse time '123': %!w(<nil>)",
        ),
        (
            r#"{{ unixToTime "abc" }}"#,
            r#"error calling unixToTime: unable to parse time 'abc': strconv.ParseInt: parsing "abc": invalid syntax"#,
        ),
        (
            r#"{{ duration "1d" }}"#,
            r#"error calling duration: time: unknown unit "d" in duration "1d""#,
        ),
        (
            r#"{{ bytes "5 XB" }}"#,
            "error calling bytes: unhandled size name: xb",
        ),
        (
            "{{ __timestamp__.Foo }}",
            "can't evaluate field Foo in type time.Time",
        ),
        (
            "{{ __timestamp__.Format }}",
            "wrong number of args for Format: want 1 got 0",
        ),
        (
            "{{ unixEpoch .a }}",
            "wrong type for value; expected time.Time; got string",
        ),
        (
            r#"{{ unixEpoch "x" }}"#,
            "can't handle \"x\" for arg of type time.Time",
        ),
    ]);
}

#[test]
fn default_function() {
    check_ok(&[
        (r#"{{ .missing | default "d" }}"#, "d"),
        (r#"{{ .a | default "d" }}"#, "1"),
        (
            r#"{{ default "d" 0 }} {{ default "d" false }} {{ default "d" 1.5 }}"#,
            "d d 1.5",
        ),
        (
            r#"{{ default "d" (fromJson "[]") }} {{ default "d" }}"#,
            "d d",
        ),
        // golden 307/308.
        (r#"{{ .fwd | default "-" }}"#, "-"),
        (r#"{{ default "unknown" .code }}"#, "unknown"),
    ]);
}

#[test]
fn templates_and_blocks() {
    check_ok(&[
        (
            r#"{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" .a }}"#,
            "[1]",
        ),
        (
            r#"{{ define "t" }}[{{ .a }}]{{ end }}{{ template "t" . }}{{ template "t" }}"#,
            "[1][<no value>]",
        ),
        (r#"{{ block "b" .s }}<{{ . }}>{{ end }}"#, "<hello>"),
    ]);
    check_err(&[(
        r#"{{ template "x" }}"#,
        "template: line:1:12: executing \"line\" at <{{template \"x\"}}>: template \"x\" not defined",
    )]);
}

#[test]
fn execution_errors_match_go_text() {
    check_err(&[
        (
            "{{ substr 1 \"x\" }}",
            "template: line:1:3: executing \"line\" at <substr>: wrong number of args for substr: want 3 got 2",
        ),
        (
            "{{ upper 5 }}",
            "template: line:1:9: executing \"line\" at <5>: expected string; found 5",
        ),
        (
            "{{ 5 | upper }}",
            "template: line:1:7: executing \"line\" at <upper>: wrong type for value; expected string; got int",
        ),
        (
            "{{ trunc \"2\" .a }}",
            "template: line:1:9: executing \"line\" at <\"2\">: expected integer; found \"2\"",
        ),
        (
            "{{ trunc (add 1 1) .a }}",
            "template: line:1:16: executing \"line\" at <1>: wrong type for value; expected int; got int64",
        ),
        (
            "{{ .a.b }}",
            "template: line:1:5: executing \"line\" at <.a.b>: can't evaluate field b in type string",
        ),
        (
            "{{ nil }}",
            "template: line:1:3: executing \"line\" at <nil>: nil is not a command",
        ),
        (
            "{{ .a 1 }}",
            "template: line:1:3: executing \"line\" at <.a>: a is not a method but has arguments",
        ),
        (
            "{{ \"x\" 1 }}",
            "template: line:1:3: executing \"line\" at <\"x\">: can't give argument to non-function \"x\"",
        ),
        (
            "{{ range .a }}{{ end }}",
            "template: line:1:9: executing \"line\" at <.a>: range can't iterate over 1",
        ),
        (
            "{{ range $k, $v := 3 }}{{ end }}",
            "template: line:1:19: executing \"line\" at <3>: can't use 3 to iterate over more than one variable",
        ),
        (
            "{{ if eq .a 1 }}x{{ end }}",
            "template: line:1:6: executing \"line\" at <eq .a 1>: error calling eq: incompatible types for comparison: string and int",
        ),
        (
            "a\nb {{ div 1 0 }}",
            "template: line:2:5: executing \"line\" at <div 1 0>: error calling div: runtime error: integer divide by zero",
        ),
        (
            "{{ with .s }}{{ .x }}{{ end }}",
            "template: line:1:16: executing \"line\" at <.x>: can't evaluate field x in type string",
        ),
        (
            "{{ upper (fromJson \"x\") }}",
            // The error is reported at the last node evaluated, as in Go.
            "template: line:1:19: executing \"line\" at <\"x\">: invalid value; expected string",
        ),
        (
            "{{ trunc 2 nil }}",
            "template: line:1:11: executing \"line\" at <nil>: cannot assign nil to string",
        ),
    ]);
    // label_format templates are named "label".
    assert_eq!(
        render_in("label", "{{ div 1 0 }}", &ctx()),
        Err("template: label:1:3: executing \"label\" at <div 1 0>: error calling div: runtime error: integer divide by zero".into())
    );
}

#[test]
fn parse_errors_match_go_text() {
    let err = |src: &str| Template::parse(src).err().map(|e| e.0);
    let cases = [
        // goldens 177-181 (the LogQL layer adds "invalid line template: ").
        ("{{.a", "template: line:1: unclosed action"),
        (
            "{{ unknownFunc .a }}",
            "template: line:1: function \"unknownFunc\" not defined",
        ),
        (
            "{{ toJson . }}",
            "template: line:1: function \"toJson\" not defined",
        ),
        (
            "{{ .a | sha256sum }}",
            "template: line:1: function \"sha256sum\" not defined",
        ),
        ("{{ end }}", "template: line:1: unexpected {{end}}"),
        ("{{ if .a }}", "template: line:1: unexpected EOF"),
        ("{{ $x }}", "template: line:1: undefined variable \"$x\""),
        (
            "{{ .a | \"b\" }}",
            "template: line:1: non executable command in pipeline stage 2",
        ),
        ("{{ # }}", "template: line:1: unexpected \"#\" in command"),
    ];
    for (src, want) in cases {
        assert_eq!(err(src).as_deref(), Some(want), "{src}");
    }
    assert_eq!(
        Template::parse_named("label", "{{.b")
            .err()
            .map(|e| e.0)
            .as_deref(),
        Some("template: label:1: unclosed action")
    );
}

#[test]
fn render_reuses_and_clears_output() {
    let t = Template::parse("{{.a}}").expect("parse");
    let mut out = String::with_capacity(64);
    t.render(&ctx(), &mut out).expect("render");
    assert_eq!(out, "1");
    let cap = out.capacity();
    t.render(&ctx(), &mut out).expect("render");
    assert_eq!((out.as_str(), out.capacity()), ("1", cap));
    assert_eq!(t, Template::parse("{{.a}}").expect("parse"));
    assert_ne!(t, Template::parse("{{.b}}").expect("parse"));
}

#[test]
fn template_is_shareable() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Template>();
}

#[test]
fn recursion_is_bounded() {
    let r = render(
        r#"{{ define "t" }}{{ if true }}{{ with 1 }}{{ template "t" }}{{ end }}{{ end }}{{ end }}{{ template "t" }}"#,
    );
    assert!(r.is_err_and(|e| e.contains("exceeded maximum template depth")));
    let r = render(r#"{{ define "t" }}x{{ template "t" }}{{ end }}{{ template "t" }}"#);
    assert!(r.is_err_and(|e| e.contains("exceeded maximum template depth")));
}

#[test]
fn deepest_allowed_nesting_fits_a_small_stack() {
    // 99 nested ifs around 99 nested parentheses, called recursively until
    // the nesting limit: must end in an error, not a stack overflow.
    let ifs = "{{ if true }}".repeat(99);
    let ends = "{{ end }}".repeat(99);
    let expr = ["{{ ", &"(".repeat(99), "1", &")".repeat(99), " }}"].concat();
    let src = [
        r#"{{ define "t" }}"#,
        &ifs,
        &expr,
        r#"{{ template "t" }}"#,
        &ends,
        r#"{{ end }}{{ template "t" }}"#,
    ]
    .concat();
    let r = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || render(&src))
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    assert!(
        matches!(&r, Err(e) if e.contains("exceeded maximum template depth")),
        "{r:?}"
    );
}

#[test]
fn output_is_bounded() {
    let r = render("{{ range 1000000 }}{{ repeat 1000 \"x\" }}{{ end }}");
    assert!(r.is_err_and(|e| e.contains("template output exceeds 16777216 bytes")));
    assert!(render("{{ range 2000000 }}{{ end }}").is_err());
    let deep = format!("{{{{ {}1{} }}}}", "(".repeat(50), ")".repeat(50));
    assert_eq!(as_strs(&render(&deep)), Ok("1"));
    let too_deep = format!("{{{{ {}1{} }}}}", "(".repeat(200), ")".repeat(200));
    assert!(
        Template::parse(&too_deep).is_err_and(|e| e.0.ends_with("max expression depth exceeded"))
    );
}

/// Cases from the conformance goldens (Loki 3.7.6 over the shared data
/// set): the labels an entry had when the template ran, and Loki's output.
#[test]
fn conformance_goldens() {
    struct G {
        id: &'static str,
        tmpl: &'static str,
        labels: Vec<(&'static str, &'static str)>,
        line: &'static str,
        ts: i64,
        want: Result<&'static str, &'static str>,
    }
    let shop_line = "at=info method=GET path=\"/assets/app.js\" host=shop.herokuapp.com request_id=08dfd6b5-6208 fwd=\"192.86.18.66\" dyno=web.2 connect=3ms service=47ms status=200 bytes=45155 protocol=https";
    let router_line = "at=info method=GET path=\"/\" host=shop.herokuapp.com request_id=dff75dbc-0f6d fwd=\"94.65.211.59\" dyno=web.1 connect=2ms service=36ms status=200 bytes=59288 protocol=https";
    let monitoring_line = "ts=2026-01-12T03:53:02.927Z level=debug caller=grafana.go:131 msg=\"xray yankee\" duration=986.000ms size=1017KB user_id=300 component=\"querier\"";
    let cases = vec![
        G {
            id: "required-queries/003",
            tmpl: "{{.alert}} → {{.playbook}}: {{.stderr_preview}}",
            labels: vec![("alert", "CertificateExpiringSoon"), ("playbook", "cert-renew"), ("success", "false")],
            line: "",
            ts: 1_768_188_258_559_296_796,
            want: Ok("CertificateExpiringSoon → cert-renew: "),
        },
        G {
            id: "line-format/260",
            tmpl: "{{ __timestamp__ }} {{ __line__ }}",
            labels: vec![("app", "shop"), ("dyno", "web.1")],
            line: "2026-01-12T03:58:58.366824Z app[web.1]: DEBUG -- : cache hit key=user:4563 ttl=223s",
            ts: 1_768_190_338_366_824_588,
            want: Ok("2026-01-12 03:58:58.366824588 +0000 UTC 2026-01-12T03:58:58.366824Z app[web.1]: DEBUG -- : cache hit key=user:4563 ttl=223s"),
        },
        G {
            id: "template-functions-regex/317",
            tmpl: r#"{{ regexReplaceAll "request_id=\\S+" __line__ "request_id=<redacted>" }}"#,
            labels: vec![("app", "shop")],
            line: shop_line,
            ts: 0,
            want: Ok("at=info method=GET path=\"/assets/app.js\" host=shop.herokuapp.com request_id=<redacted> fwd=\"192.86.18.66\" dyno=web.2 connect=3ms service=47ms status=200 bytes=45155 protocol=https"),
        },
        G {
            id: "template-functions-regex/318",
            tmpl: r#"{{ regexReplaceAll "(a*)bc" __line__ "${1}a" }}"#,
            labels: vec![("app", "shop")],
            line: router_line,
            ts: 0,
            want: Ok("at=info method=GET path=\"/\" host=shop.herokuapp.com request_id=dff75da-0f6d fwd=\"94.65.211.59\" dyno=web.1 connect=2ms service=36ms status=200 bytes=59288 protocol=https"),
        },
        G {
            id: "template-functions-regex/321",
            tmpl: r#"{{ __line__ | count "(?i)error" }}"#,
            labels: vec![("app", "shop")],
            line: "2026-01-12T01:46:39.291263Z app[web.1]: ERROR -- : NoMethodError (undefined method `total' for nil:NilClass)",
            ts: 0,
            want: Ok("2"),
        },
        G {
            id: "template-functions-math/339",
            tmpl: "{{ div .Duration 1000000 }}ms {{ .RequestPath }}",
            labels: vec![("Duration", "14695639"), ("RequestPath", "/web/index.html")],
            line: "",
            ts: 0,
            want: Ok("14ms /web/index.html"),
        },
        G {
            id: "template-functions-math/340",
            tmpl: r#"{{ divf .Duration 1000000000 | printf "%.3f" }}s"#,
            labels: vec![("Duration", "30436132")],
            line: "",
            ts: 0,
            want: Ok("0.030s"),
        },
        G {
            id: "use-case-remediation-decision-jsonl/564",
            tmpl: "{{.alert}} took {{ divf .duration_ms 1000 }}s",
            labels: vec![("alert", "CertificateExpiringSoon"), ("duration_ms", "32611")],
            line: "",
            ts: 0,
            want: Ok("CertificateExpiringSoon took 32.611s"),
        },
        G {
            id: "use-case-remediation-decision-jsonl/560",
            tmpl: "{{.timestamp}} {{.playbook}} success={{.success}}",
            labels: vec![("playbook", "disk-cleanup"), ("success", "false"), ("timestamp", "1768188099.077")],
            line: "",
            ts: 0,
            want: Ok("1768188099.077 disk-cleanup success=false"),
        },
        G {
            id: "template-functions-date-and-time/343",
            tmpl: "{{ __timestamp__ | unixEpochMillis }}",
            labels: vec![],
            line: "",
            ts: 1_768_190_399_993_084_582,
            want: Ok("1768190399993"),
        },
        G {
            id: "template-functions-date-and-time/348",
            tmpl: r#"{{ .ts | toDate "2006-01-02T15:04:05.999999999Z" }}"#,
            labels: vec![("ts", "2026-01-12T02:14:27.38Z")],
            line: "",
            ts: 0,
            want: Ok("2026-01-12 02:14:27.38 +0000 UTC"),
        },
        G {
            id: "template-functions-date-and-time/351",
            tmpl: r#"{{ .ts | toDateInZone "2006-01-02T15:04:05Z07:00" "Europe/Paris" | date "15:04" }}"#,
            labels: vec![("ts", "2026-01-12T03:53:02.927Z")],
            line: monitoring_line,
            ts: 0,
            want: Ok("03:53"),
        },
        G {
            id: "template-functions-date-and-time/351 (no ts)",
            tmpl: r#"{{ .ts | toDateInZone "2006-01-02T15:04:05Z07:00" "Europe/Paris" | date "15:04" }}"#,
            labels: vec![],
            line: "",
            ts: 0,
            want: Ok("00:00"),
        },
        G {
            id: "label-format/275",
            tmpl: "{{ __timestamp__ | unixEpoch }}",
            labels: vec![("ts", "2026-01-12T03:53:02.927Z")],
            line: monitoring_line,
            ts: 1_768_189_982_927_772_831,
            want: Ok("1768189982"),
        },
        G {
            id: "label-format/276",
            tmpl: "{{ __line__ | len }}",
            labels: vec![],
            line: monitoring_line,
            ts: 0,
            want: Ok("142"),
        },
        G {
            id: "label-format/271",
            tmpl: "{{.method}} {{.path}}",
            labels: vec![("level", "debug")],
            line: monitoring_line,
            ts: 0,
            want: Ok(" "),
        },
        G {
            id: "template-functions-date-and-time/353",
            tmpl: "{{ .elapsed | duration }}",
            labels: vec![("level", "debug")],
            line: monitoring_line,
            ts: 0,
            want: Err("template: line:1:14: executing \"line\" at <duration>: error calling duration: time: invalid duration \"\""),
        },
        G {
            id: "template-functions-date-and-time/355",
            tmpl: "{{ .size | bytes }}",
            labels: vec![],
            line: "",
            ts: 0,
            want: Err("template: line:1:11: executing \"line\" at <bytes>: error calling bytes: strconv.ParseFloat: parsing \"\": invalid syntax"),
        },
        G {
            id: "use-case-heroku-router-and-app-logs/528",
            tmpl: "{{.dyno}}: {{__line__}}",
            labels: vec![("dyno", "web.1")],
            line: "2026-01-12T02:48:16.567412Z app[web.1]: Error R14 (Memory quota exceeded) used=548MB",
            ts: 0,
            want: Ok("web.1: 2026-01-12T02:48:16.567412Z app[web.1]: Error R14 (Memory quota exceeded) used=548MB"),
        },
        G {
            id: "use-case-systemd-journal/585",
            tmpl: "{{.unit}}[{{.pid}}]: {{.MESSAGE}}",
            labels: vec![("MESSAGE", ""), ("pid", ""), ("unit", "kernel")],
            line: "",
            ts: 0,
            want: Ok("kernel[]: "),
        },
        G {
            id: "line-format/261",
            tmpl: r#"{{ if eq .at "error" }}ERR {{ .code }}{{ else }}ok{{ end }}"#,
            labels: vec![],
            line: "",
            ts: 0,
            want: Ok("ok"),
        },
        G {
            id: "line-format/263",
            tmpl: r#"{{ if or (eq .status "500") (eq .status "503") }}5xx{{ else if eq .status "404" }}nf{{ else }}other{{ end }}"#,
            labels: vec![],
            line: "",
            ts: 0,
            want: Ok("other"),
        },
        G {
            id: "template-functions-math/333",
            tmpl: "{{ maxf 1 2.5 3 }} {{ minf 1 2.5 3 }}",
            labels: vec![],
            line: "",
            ts: 0,
            want: Ok("3 1"),
        },
        G {
            id: "template-functions-string-manipulation/299",
            tmpl: r#"{{ repeat 3 "=" }} {{ .path }}"#,
            labels: vec![],
            line: "",
            ts: 0,
            want: Ok("=== "),
        },
    ];
    for g in cases {
        let c = Ctx {
            labels: g.labels,
            line: g.line,
            ts: g.ts,
        };
        let got = render_in("line", g.tmpl, &c);
        assert_eq!(as_strs(&got), g.want, "golden {}: {}", g.id, g.tmpl);
    }
}

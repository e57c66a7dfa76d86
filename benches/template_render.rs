//! Render cost of `line_format` / `label_format` templates: parse once,
//! render many times into a reused buffer.

use criterion::{criterion_group, criterion_main, Criterion};
use kindling::logql::template::{Template, TemplateContext};
use std::hint::black_box;

struct Entry {
    labels: Vec<(&'static str, &'static str)>,
    line: &'static str,
}

impl TemplateContext for Entry {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }
    fn for_each_label(&self, f: &mut dyn FnMut(&str, &str)) {
        for (k, v) in &self.labels {
            f(k, v);
        }
    }
    fn line(&self) -> &str {
        self.line
    }
    fn timestamp(&self) -> i64 {
        1_768_190_338_366_824_588
    }
    fn now(&self) -> i64 {
        1_795_342_830_000_000_000
    }
}

fn bench(c: &mut Criterion) {
    let entry = Entry {
        labels: vec![
            ("a", "alpha"),
            ("b", "bravo"),
            ("job", "traefik-access"),
            ("method", "GET"),
            ("path", "/api/v1/status"),
            ("status", "503"),
            ("Duration", "18092790"),
        ],
        line: "at=info method=GET path=\"/\" host=shop.herokuapp.com request_id=dff75dbc-0f6d status=200",
    };
    let cases = [
        ("two_fields", "{{.a}} - {{.b}}"),
        (
            "if_eq_printf",
            r#"{{ if eq .status "503" }}{{ printf "%-6s %s" .method .path }}{{ else }}ok{{ end }}"#,
        ),
        (
            "functions",
            r#"{{ .method | lower }} {{ div .Duration 1000000 }}ms {{ __timestamp__ | date "15:04:05" }}"#,
        ),
        (
            "regex",
            r#"{{ regexReplaceAll "request_id=\\S+" __line__ "request_id=<redacted>" }}"#,
        ),
    ];
    for (name, src) in cases {
        let t = Template::parse(src).expect("template parses");
        let mut out = String::with_capacity(256);
        c.bench_function(&format!("template_render/{name}"), |b| {
            b.iter(|| {
                t.render(black_box(&entry), &mut out).expect("renders");
                black_box(out.len())
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

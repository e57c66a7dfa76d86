//! Parse + build time of LogQL queries: the whole valid corpus per
//! iteration (reported per corpus; divide by the query count printed at the
//! start for the per-query average).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kindling::logql::parse_expr;

fn corpus() -> Vec<&'static str> {
    include_str!("../tests/logql/valid.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("# "))
        .collect()
}

fn bench_parse(c: &mut Criterion) {
    let queries = corpus();
    eprintln!("{} queries per iteration", queries.len());
    let mut group = c.benchmark_group("logql_parse");
    group.throughput(Throughput::Elements(queries.len() as u64));
    group.bench_function("valid_corpus", |b| {
        b.iter(|| {
            for q in &queries {
                let _ = black_box(parse_expr(black_box(q)));
            }
        })
    });
    let no_regex: Vec<&str> = queries
        .iter()
        .copied()
        .filter(|q| {
            !q.contains("=~")
                && !q.contains("!~")
                && !q.contains("|~")
                && !q.contains("regexp")
                && !q.contains("label_replace")
        })
        .collect();
    group.throughput(Throughput::Elements(no_regex.len() as u64));
    group.bench_function("valid_corpus_without_regexes", |b| {
        b.iter(|| {
            for q in &no_regex {
                let _ = black_box(parse_expr(black_box(q)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);

//! Write path throughput: `Store::append` of 1 MiB pushes (WAL record,
//! heads, cuts) with the default 1 s sync interval, and WAL appends of a
//! 64 KiB record with and without an fsync per append.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kindling::model::{Entry, Label, Labels, PushStream};
use kindling::store::metrics::StoreMetrics;
use kindling::store::wal::Wal;
use kindling::store::{Store, StoreConfig};

/// One push of about 1 MiB over 10 streams, starting at `t0`.
fn push(t0: i64) -> Vec<PushStream> {
    (0..10)
        .map(|s| PushStream {
            labels: Labels::from_pairs([("app", format!("app-{s}")), ("service_name", format!("app-{s}"))]),
            entries: (0..400)
                .map(|i| Entry {
                    ts: t0 + i * 1_000_000,
                    line: format!(
                        "level=info ts=2026-11-23T16:00:{:02}.{:06}Z caller=handler.go:{} msg=\"request served\" path=/api/items/{} status=200 duration={}ms bytes={}",
                        i % 60,
                        i * 997 % 1_000_000,
                        100 + s,
                        i * 7 % 1000,
                        i * 13 % 900,
                        i * 104_729 % 100_000
                    ),
                    metadata: vec![Label::new("detected_level", "info")],
                })
                .collect(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("wal_append");
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = Store::open(StoreConfig {
        dir: tmp.path().to_path_buf(),
        ..Default::default()
    })
    .expect("open");
    let sample = push(0);
    let bytes: usize = sample
        .iter()
        .flat_map(|s| &s.entries)
        .map(|e| e.line.len())
        .sum();
    g.throughput(Throughput::Bytes(bytes as u64));
    let mut t0 = 1_795_449_600_000_000_000i64;
    g.bench_function("store_append_1MiB", |b| {
        b.iter_batched(
            || {
                t0 += 1_000_000_000;
                push(t0)
            },
            |p| store.append("fake", &p).expect("append"),
            criterion::BatchSize::LargeInput,
        )
    });
    let record = vec![0x5au8; 64 << 10];
    g.throughput(Throughput::Bytes(record.len() as u64));
    let wal_dir = tempfile::tempdir().expect("tempdir");
    let wal = Wal::create(
        wal_dir.path(),
        32 << 20,
        1,
        Vec::new(),
        Arc::new(StoreMetrics::default()),
    )
    .expect("wal");
    g.bench_function("wal_append_64KiB", |b| {
        b.iter(|| wal.append(&record).expect("append"))
    });
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("wal_append_64KiB_fsync", |b| {
        b.iter(|| {
            let (_, pos) = wal.append(&record).expect("append");
            wal.sync_to(pos).expect("sync")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

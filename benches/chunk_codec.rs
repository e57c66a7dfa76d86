//! Block codec throughput: splitting and encoding a 256 KiB block of
//! access-log lines, decoding it in full, and decoding only timestamps and
//! line lengths. Throughput is in bytes of log text.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kindling::store::batch::{EncodedBatch, EntryBatch};
use kindling::store::block::{BlockDecoder, BlockEncoder};
use kindling::store::linecodec::LineEncoder;

/// Deterministic traefik-style JSON access lines, about 256 KiB.
fn lines() -> Vec<(i64, String)> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let paths = [
        "/",
        "/api/v1/status",
        "/web/index.html",
        "/login",
        "/favicon.ico",
        "/socket",
    ];
    let agents = [
        "curl/8.5.0",
        "Go-http-client/1.1",
        "Prometheus/2.53.0",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
    ];
    let mut ts: i64 = 1_795_449_600_000_000_000;
    let mut out = Vec::new();
    let mut bytes = 0;
    while bytes < 256 << 10 {
        ts += (next() % 90_000_000) as i64;
        let (secs, nanos) = (ts / 1_000_000_000, ts % 1_000_000_000);
        let line = format!(
            r#"{{"ClientHost":"10.{}.{}.{}","ClientPort":"{}","DownstreamContentSize":{},"Duration":{},"RequestMethod":"GET","RequestPath":"{}","RequestProtocol":"HTTP/2.0","StartUTC":"2026-11-23T16:{:02}:{:02}.{:09}Z","level":"info","request_User-Agent":"{}"}}"#,
            next() % 256,
            next() % 256,
            next() % 256,
            1024 + next() % 64000,
            next() % 5000,
            next() % 90_000_000,
            paths[(next() % paths.len() as u64) as usize],
            (secs / 60) % 60,
            secs % 60,
            nanos,
            agents[(next() % agents.len() as u64) as usize],
        );
        bytes += line.len();
        out.push((ts, line));
    }
    out
}

fn bench(c: &mut Criterion) {
    let lines = lines();
    let text: u64 = lines.iter().map(|(_, l)| l.len() as u64).sum();
    let mut g = c.benchmark_group("chunk_codec");
    g.throughput(Throughput::Bytes(text));
    let mut enc = BlockEncoder::new();
    let mut split = LineEncoder::new();
    let mut batch = EncodedBatch::new();
    let mut out = Vec::new();
    let mut order = Vec::new();
    g.bench_function(BenchmarkId::new("split", "256KiB"), |b| {
        b.iter(|| {
            batch.clear();
            for (t, l) in &lines {
                batch.push(&mut split, *t, l, [("detected_level", "info")]);
            }
            batch.len()
        })
    });
    g.bench_function(BenchmarkId::new("split+encode", "256KiB"), |b| {
        b.iter(|| {
            batch.clear();
            for (t, l) in &lines {
                batch.push(&mut split, *t, l, [("detected_level", "info")]);
            }
            batch.sorted_order(&mut order);
            out.clear();
            enc.encode(&batch, &order, true, &mut out)
        })
    });
    // Encode once here too: a filtered run may skip the benchmark above.
    batch.clear();
    for (t, l) in &lines {
        batch.push(&mut split, *t, l, [("detected_level", "info")]);
    }
    batch.sorted_order(&mut order);
    let mut block = Vec::new();
    enc.encode(&batch, &order, true, &mut block);
    let mut dec = BlockDecoder::new();
    let mut decoded = EntryBatch::new();
    g.bench_function(BenchmarkId::new("decode", "256KiB"), |b| {
        b.iter(|| dec.decode(&block, &mut decoded).expect("decodes").entries)
    });
    let (mut ts, mut lens) = (Vec::new(), Vec::new());
    g.bench_function(BenchmarkId::new("decode_counts", "256KiB"), |b| {
        b.iter(|| {
            dec.decode_counts(&block, &mut ts, &mut lens)
                .map(|h| h.entries)
        })
    });
    g.finish();
    println!(
        "block: {} bytes of text -> {} bytes ({:.1}x)",
        text,
        block.len(),
        text as f64 / block.len() as f64
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

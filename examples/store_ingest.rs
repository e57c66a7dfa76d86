//! Store-level ingest and scan benchmark over a loggen JSONL file:
//!
//! ```text
//! cargo run --release --example store_ingest -- /work/bench/bench.jsonl [DATA_DIR]
//! ```
//!
//! Pushes the file through `Store::append` in batches of about 1 MiB of
//! lines (what Promtail and Vector send; each entry gets a `detected_level`
//! and each stream a `service_name`, as ingest adds them), flushes, and
//! reports the CPU time spent inside the store, bytes written to the WAL
//! and chunk files, the compression ratio and RSS; then scans every
//! `job="traefik-access"` stream in full and counts its entries from
//! timestamps only and from block headers, before and after sealing.
//!
//! `STORE_INGEST_REPEAT=N` parses the file into memory first and pushes it
//! N times into fresh stores, printing the least store CPU time (use it on
//! a shared machine). `STORE_INGEST_PARSE_ONLY=1` parses without storing.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use kindling::model::{Direction, Entry, Label, Labels, MatchOp, Matcher, PushStream};
use kindling::store::{Counts, Store, StoreConfig};

#[derive(serde::Deserialize)]
struct Line {
    stream: BTreeMap<String, String>,
    ts: String,
    line: String,
    meta: Option<BTreeMap<String, String>>,
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// CPU time of the whole process (all threads).
fn process_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: as above.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Minor page faults of the calling thread so far.
fn thread_faults() -> i64 {
    // SAFETY: getrusage writes into the struct we own.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
    u.ru_minflt
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn dir_bytes(dir: &Path, suffix: &str) -> u64 {
    let mut total = 0;
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            total += dir_bytes(&p, suffix);
        } else if p.to_string_lossy().ends_with(suffix) {
            total += e.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    total
}

/// Roughly what ingest adds: `service_name` and a `detected_level`.
fn to_push(batch: &mut BTreeMap<Vec<(String, String)>, Vec<Entry>>) -> Vec<PushStream> {
    std::mem::take(batch)
        .into_iter()
        .map(|(pairs, entries)| {
            let mut labels = Labels::from_pairs(pairs);
            let service = ["service", "app", "job"]
                .iter()
                .find_map(|n| labels.get(n))
                .unwrap_or("unknown_service")
                .to_string();
            labels.insert("service_name", service);
            PushStream { labels, entries }
        })
        .collect()
}

/// With STORE_INGEST_REPEAT=N the input is parsed into memory first and
/// pushed N times into fresh stores; the least store CPU time is printed
/// (the machine may be shared, so the minimum is the honest figure).
fn repeat(input: &Path, n: usize) {
    let file = std::fs::File::open(input).expect("input");
    let mut pushes = Vec::new();
    let mut batch: BTreeMap<Vec<(String, String)>, Vec<Entry>> = BTreeMap::new();
    let mut batch_bytes = 0;
    for l in std::io::BufReader::with_capacity(1 << 20, file).lines() {
        let v: Line = serde_json::from_str(&l.expect("read")).expect("json");
        let level = v
            .stream
            .get("level")
            .cloned()
            .unwrap_or_else(|| "info".to_string());
        let mut metadata = vec![Label::new("detected_level", level)];
        if let Some(m) = v.meta {
            metadata.extend(m.into_iter().map(|(k, v)| Label::new(k, v)));
        }
        batch_bytes += v.line.len();
        batch
            .entry(v.stream.into_iter().collect())
            .or_default()
            .push(Entry {
                ts: v.ts.parse().expect("ts"),
                line: v.line,
                metadata,
            });
        if batch_bytes >= 1 << 20 {
            pushes.push(to_push(&mut batch));
            batch_bytes = 0;
        }
    }
    pushes.push(to_push(&mut batch));
    let mut best = Duration::MAX;
    for _ in 0..n {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = Store::open(StoreConfig {
            dir: tmp.path().to_path_buf(),
            ..Default::default()
        })
        .expect("open");
        let copy = pushes.clone();
        let (t, faults) = (thread_cpu(), thread_faults());
        for p in copy {
            store.append("fake", &p).expect("append");
        }
        store.flush().expect("flush");
        let el = thread_cpu() - t;
        println!(
            "store CPU {:.3} s, {} page faults",
            el.as_secs_f64(),
            thread_faults() - faults
        );
        best = best.min(el);
    }
    println!("least store CPU over {n} runs: {:.3} s", best.as_secs_f64());
}

/// Scans every `job="traefik-access"` stream in full, then counts its
/// entries from timestamps and from block headers.
fn scan(store: &Store, what: &str) {
    println!("{what}:");
    let sel = [Matcher::new("job", MatchOp::Eq, "traefik-access").expect("matcher")];
    let streams = store
        .streams(&["fake"], &sel, 0, i64::MAX)
        .expect("streams");
    let t = thread_cpu();
    let (mut n, mut bytes) = (0u64, 0u64);
    for s in &streams {
        let mut it = store.entries(s, 0, i64::MAX, Direction::Backward);
        while let Some(b) = it.next_batch() {
            let b = b.expect("batch");
            n += b.len() as u64;
            bytes += b.line_bytes() as u64;
        }
    }
    let scan = thread_cpu() - t;
    println!(
        "scan {} streams: {n} entries, {bytes} bytes in {:.3} s CPU = {:.2} GB/s",
        streams.len(),
        scan.as_secs_f64(),
        bytes as f64 / scan.as_secs_f64() / 1e9
    );
    for use_summaries in [false, true] {
        let t = thread_cpu();
        let mut count = 0u64;
        for s in &streams {
            let mut it = store.entries(s, 0, i64::MAX, Direction::Forward);
            while let Some(c) = it.next_counts(&mut |_, _| use_summaries) {
                match c.expect("counts") {
                    Counts::Summary { entries, .. } => count += u64::from(entries),
                    Counts::Entries(b) => count += b.len() as u64,
                }
            }
        }
        let el = thread_cpu() - t;
        println!(
            "count entries from {}: {count} in {:.2} ms CPU",
            if use_summaries {
                "block headers"
            } else {
                "timestamps"
            },
            el.as_secs_f64() * 1e3
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(n) = std::env::var("STORE_INGEST_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        repeat(
            Path::new(
                args.get(1)
                    .map_or("/work/bench/bench.jsonl", |s| s.as_str()),
            ),
            n,
        );
        return;
    }
    let input = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/bench/bench.jsonl"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = args
        .get(2)
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let store = Store::open(StoreConfig {
        dir: dir.clone(),
        ..Default::default()
    })
    .expect("open");
    // With STORE_INGEST_PARSE_ONLY set nothing is stored: subtracting such a
    // run's `perf stat` counts from a full run's isolates the store.
    let parse_only = std::env::var_os("STORE_INGEST_PARSE_ONLY").is_some();
    let file = std::fs::File::open(&input).expect("input");
    let mut batch: BTreeMap<Vec<(String, String)>, Vec<Entry>> = BTreeMap::new();
    let (mut batch_bytes, mut text_bytes, mut lines) = (0usize, 0u64, 0u64);
    let mut in_store = Duration::ZERO;
    let cpu0 = process_cpu();
    for l in std::io::BufReader::with_capacity(1 << 20, file).lines() {
        let l = l.expect("read");
        let v: Line = serde_json::from_str(&l).expect("json");
        let level = v
            .stream
            .get("level")
            .cloned()
            .unwrap_or_else(|| "info".to_string());
        let mut metadata = vec![Label::new("detected_level", level)];
        if let Some(m) = v.meta {
            metadata.extend(m.into_iter().map(|(k, v)| Label::new(k, v)));
        }
        text_bytes += v.line.len() as u64;
        lines += 1;
        batch_bytes += v.line.len();
        batch
            .entry(v.stream.into_iter().collect())
            .or_default()
            .push(Entry {
                ts: v.ts.parse().expect("ts"),
                line: v.line,
                metadata,
            });
        if batch_bytes >= 1 << 20 {
            let push = to_push(&mut batch);
            if parse_only {
                drop(push);
                batch_bytes = 0;
                continue;
            }
            let t = thread_cpu();
            store.append("fake", &push).expect("append");
            in_store += thread_cpu() - t;
            batch_bytes = 0;
        }
    }
    let push = to_push(&mut batch);
    if parse_only {
        return;
    }
    let t = thread_cpu();
    store.append("fake", &push).expect("append");
    store.flush().expect("flush");
    in_store += thread_cpu() - t;
    let total_cpu = process_cpu() - cpu0;
    let m = store.metrics();
    let chunk_files = dir_bytes(&dir.join("days"), ".kc");
    let wal = m.wal_bytes_written.load(Relaxed);
    let written = m.chunk_bytes_written.load(Relaxed);
    println!("input: {lines} lines, {text_bytes} bytes of log text");
    println!(
        "store CPU (inside append+flush, this thread): {:.3} s",
        in_store.as_secs_f64()
    );
    println!(
        "process CPU (incl. JSON parsing, syncer): {:.3} s",
        total_cpu.as_secs_f64()
    );
    println!(
        "chunk files after flush: {chunk_files} bytes, {:.2}x",
        text_bytes as f64 / chunk_files as f64
    );
    println!(
        "WAL bytes written: {wal} ({:.2}x); chunk bytes written: {written}",
        text_bytes as f64 / wal as f64
    );
    println!(
        "bytes written per byte of text: {:.3}",
        (wal + written) as f64 / text_bytes as f64
    );
    println!(
        "blocks written: {}; WAL fsyncs: {}",
        m.blocks_written.load(Relaxed),
        m.wal_fsyncs.load(Relaxed)
    );
    println!(
        "peak RSS {} KiB (includes the JSON reader), RSS after flush {} KiB",
        status_kib("VmHWM:"),
        status_kib("VmRSS:")
    );

    scan(&store, "open day (blocks as cut)");
    // Seal the day (its end plus the out-of-order window has passed) and
    // scan again: compacted 1 MiB blocks.
    let t = thread_cpu();
    let r = store
        .maintenance(1_795_564_800_000_000_000 + 2 * 3_600_000_000_000)
        .expect("maintenance");
    println!(
        "sealed {:?} in {:.3} s CPU; data.kc {} bytes",
        r.days_sealed,
        (thread_cpu() - t).as_secs_f64(),
        dir_bytes(&dir.join("days"), "data.kc")
    );
    scan(&store, "sealed day");
    store.close().expect("close");
}

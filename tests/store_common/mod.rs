//! Shared helpers of the store integration tests (included with `mod`).
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use kindling::model::{Direction, Entry, Label, Labels, MatchOp, Matcher, PushStream};
use kindling::store::{Store, StoreConfig, StreamRef};

/// 2026-11-23T16:00:00Z in nanoseconds.
pub const T0: i64 = 1_795_449_600_000_000_000;
pub const SEC: i64 = 1_000_000_000;
pub const DAY: i64 = 86_400 * SEC;

pub fn config(dir: &Path) -> StoreConfig {
    StoreConfig {
        dir: dir.to_path_buf(),
        wal_sync_interval: Duration::ZERO,
        block_size: 4096,
        chunk_target_size: 16384,
        wal_segment_size: 64 * 1024,
        ..Default::default()
    }
}

pub fn open(dir: &Path) -> Store {
    Store::open(config(dir)).expect("open store")
}

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

pub fn stream(pairs: &[(&str, &str)], entries: &[(i64, &str)]) -> PushStream {
    PushStream {
        labels: labels(pairs),
        entries: entries
            .iter()
            .map(|(ts, line)| Entry {
                ts: *ts,
                line: line.to_string(),
                metadata: vec![Label::new("detected_level", "info")],
            })
            .collect(),
    }
}

pub fn sref(tenant: &str, pairs: &[(&str, &str)]) -> StreamRef {
    StreamRef {
        tenant: tenant.to_string(),
        labels: labels(pairs),
    }
}

pub fn m(name: &str, op: MatchOp, value: &str) -> Matcher {
    Matcher::new(name, op, value).expect("matcher")
}

/// Every (ts, line) of a stream in `[start, end)` in `dir` order.
pub fn read(
    store: &Store,
    s: &StreamRef,
    start: i64,
    end: i64,
    dir: Direction,
) -> Vec<(i64, String)> {
    let mut it = store.entries(s, start, end, dir);
    let mut out = Vec::new();
    while let Some(b) = it.next_batch() {
        let b = b.expect("batch");
        for i in 0..b.len() {
            out.push((b.ts(i), b.line(i).to_string()));
        }
    }
    out
}

/// Forward read, checking that backward is exactly its reverse and that the
/// counts path agrees.
pub fn read_all(store: &Store, s: &StreamRef, start: i64, end: i64) -> Vec<(i64, String)> {
    let fwd = read(store, s, start, end, Direction::Forward);
    let mut bwd = read(store, s, start, end, Direction::Backward);
    bwd.reverse();
    assert_eq!(fwd, bwd, "backward must be forward reversed");
    let mut it = store.entries(s, start, end, Direction::Forward);
    let mut counted = Vec::new();
    while let Some(c) = it.next_counts(&mut |_, _| false) {
        match c.expect("counts") {
            kindling::store::Counts::Entries(b) => {
                for i in 0..b.len() {
                    counted.push((b.ts(i), b.line_len(i) as usize));
                }
            }
            kindling::store::Counts::Summary { .. } => unreachable!("summaries were refused"),
        }
    }
    let want: Vec<(i64, usize)> = fwd.iter().map(|(t, l)| (*t, l.len())).collect();
    assert_eq!(counted, want, "counts must match entries");
    fwd
}

/// A line of some realistic length and shape.
pub fn line(i: usize) -> String {
    format!(
        "level=info msg=\"request served\" path=/api/v1/items/{} status=200 duration={}ms bytes={}",
        i % 97,
        (i * 7919) % 1000,
        (i * 104729) % 100000
    )
}

//! Day lifecycle with an injected clock: sealing (compaction, index file,
//! crash leftovers), retention, and damaged index files.

mod store_common;
use store_common::*;

use std::fs;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use kindling::model::MatchOp;
use kindling::store::{check, RejectReason, Store, StoreConfig};

/// Midnight starting the day of `T0`.
const D0: i64 = T0 - T0.rem_euclid(DAY);

fn day_dir(root: &std::path::Path, name: &str) -> std::path::PathBuf {
    root.join("days").join(name)
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Writes `n` out-of-order-ish entries into `day` (0 = day of T0) for two
/// streams, in appends of 40; returns them per stream.
fn fill_day(store: &Store, day: i64, n: usize) -> Vec<Vec<(i64, String)>> {
    let base = D0 + day * DAY + 10 * 3600 * SEC;
    let mut want = vec![Vec::new(), Vec::new()];
    for start in (0..n).step_by(40) {
        let mut streams = Vec::new();
        for (k, app) in ["web", "api"].iter().enumerate() {
            // Each append goes back a little in time: overlapping blocks.
            let batch: Vec<(i64, String)> = (start..(start + 40).min(n))
                .map(|i| {
                    (
                        base + (i as i64 * 10 - (i as i64 % 40) * 3) * SEC,
                        format!("{app} day {day} {}", line(i)),
                    )
                })
                .collect();
            let refs: Vec<(i64, &str)> = batch.iter().map(|(t, l)| (*t, l.as_str())).collect();
            streams.push(stream(&[("app", app)], &refs));
            want[k].extend(batch);
        }
        let out = store.append("fake", &streams).unwrap();
        assert!(out.rejected.is_empty(), "{:?}", out.rejected.first());
    }
    for w in &mut want {
        w.sort_by_key(|e| e.0);
    }
    want
}

#[test]
fn sealing_compacts_and_reads_stay_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let want = fill_day(&store, 0, 800);
    store.flush().unwrap();
    let web = sref("fake", &[("app", "web")]);
    let before = read_all(&store, &web, D0, D0 + DAY);
    assert_eq!(before, want[0]);
    let blocks_before = store.stream_stats(&web, D0, D0 + DAY).unwrap().chunks;
    // Not yet: the out-of-order window (1h) after midnight has not passed.
    let r = store.maintenance(D0 + DAY + 30 * 60 * SEC).unwrap();
    assert!(r.days_sealed.is_empty());
    let r = store.maintenance(D0 + DAY + 61 * 60 * SEC).unwrap();
    assert_eq!(r.days_sealed, ["2026-11-23"]);
    let dir = day_dir(tmp.path(), "2026-11-23");
    // Generation 2: it consumed chunk file 1.
    assert_eq!(files(&dir), ["data-000002.kc", "index-000002.kix"]);
    assert_eq!(read_all(&store, &web, D0, D0 + DAY), want[0]);
    assert_eq!(
        read_all(&store, &sref("fake", &[("app", "api")]), D0, D0 + DAY),
        want[1]
    );
    let stats = store.stream_stats(&web, D0, D0 + DAY).unwrap();
    assert!(
        stats.chunks < blocks_before,
        "{} -> {}",
        blocks_before,
        stats.chunks
    );
    assert_eq!(stats.entries, 800);
    // Labels come from the mapped index.
    assert_eq!(
        store
            .label_values(&["fake"], "app", &[], D0, D0 + DAY)
            .unwrap(),
        ["api", "web"]
    );
    assert_eq!(
        store
            .streams(&["fake"], &[m("app", MatchOp::Re, "w.*")], D0, D0 + DAY)
            .unwrap(),
        vec![web.clone()]
    );
    drop(store);
    let store = open(tmp.path());
    assert_eq!(read_all(&store, &web, D0, D0 + DAY), want[0]);
    assert!(check(tmp.path()).unwrap().is_ok());
    assert_eq!(store.metrics().recovery_errors.load(Relaxed), 0);
}

#[test]
fn heads_of_a_finished_day_are_cut_before_sealing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let want = fill_day(&store, 0, 100);
    // No flush: the data is in heads and the WAL only.
    let r = store.maintenance(D0 + DAY + 2 * 3600 * SEC).unwrap();
    assert_eq!(r.days_sealed, ["2026-11-23"]);
    drop(store);
    // Crash right after: the WAL still holds the entries, but the sealed
    // day must not take them twice.
    let store = open(tmp.path());
    assert_eq!(
        read_all(&store, &sref("fake", &[("app", "web")]), D0, D0 + DAY),
        want[0]
    );
}

#[test]
fn interrupted_seals_are_undone_or_finished_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let want = fill_day(&store, 0, 200);
    store.flush().unwrap();
    drop(store);
    let dir = day_dir(tmp.path(), "2026-11-23");
    let chunk_files = files(&dir);
    let saved: Vec<(String, Vec<u8>)> = chunk_files
        .iter()
        .map(|f| (f.clone(), fs::read(dir.join(f)).unwrap()))
        .collect();
    // Crash after the data file was renamed, before the index: undone.
    fs::write(dir.join("data-000002.kc"), b"half a seal").unwrap();
    let store = open(tmp.path());
    assert_eq!(
        read_all(&store, &sref("fake", &[("app", "web")]), D0, D0 + DAY),
        want[0]
    );
    store.maintenance(D0 + 2 * DAY).unwrap();
    drop(store);
    // Crash after the index was renamed, before the chunk files were
    // deleted: finished, and nothing is read twice.
    for (name, bytes) in &saved {
        fs::write(dir.join(name), bytes).unwrap();
    }
    let store = open(tmp.path());
    assert_eq!(files(&dir), ["data-000003.kc", "index-000003.kix"]);
    assert_eq!(
        read_all(&store, &sref("fake", &[("app", "web")]), D0, D0 + DAY),
        want[0]
    );
}

#[test]
fn damaged_index_is_reported_and_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let want = fill_day(&store, 0, 200);
    store.maintenance(D0 + 2 * DAY).unwrap();
    drop(store);
    let index = day_dir(tmp.path(), "2026-11-23").join("index-000002.kix");
    let mut bytes = fs::read(&index).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x22;
    fs::write(&index, &bytes).unwrap();
    let report = check(tmp.path()).unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.damage[0].path, index);
    let store = open(tmp.path());
    assert_eq!(store.metrics().recovery_errors.load(Relaxed), 1);
    let web = sref("fake", &[("app", "web")]);
    assert_eq!(read_all(&store, &web, D0, D0 + DAY), want[0]);
    // The next maintenance seals it again with a good index.
    assert_eq!(
        store.maintenance(D0 + 2 * DAY).unwrap().days_sealed,
        ["2026-11-23"]
    );
    assert_eq!(read_all(&store, &web, D0, D0 + DAY), want[0]);
    drop(store);
    assert!(check(tmp.path()).unwrap().is_ok());
}

#[test]
fn retention_drops_whole_days_with_an_injected_clock() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    for day in [-10, -8, -1, 0] {
        fill_day(&store, day, 40);
    }
    let now = D0 + 12 * 3600 * SEC;
    let r = store.maintenance(now).unwrap();
    assert_eq!(r.days_dropped, ["2026-11-13", "2026-11-15"]);
    assert_eq!(r.days_sealed, ["2026-11-22"]);
    assert_eq!(
        files(&tmp.path().join("days")),
        ["2026-11-22", "2026-11-23", "CLOSED"]
    );
    let web = sref("fake", &[("app", "web")]);
    assert!(read_all(&store, &web, D0 - 11 * DAY, D0 - 7 * DAY).is_empty());
    assert_eq!(read_all(&store, &web, D0 - DAY, D0 + DAY).len(), 80);
    assert_eq!(store.metrics().days_dropped.load(Relaxed), 2);
    drop(store);
    // Retention of one second: everything but the current day goes.
    let store = Store::open(StoreConfig {
        retention: Some(Duration::from_secs(1)),
        ..config(tmp.path())
    })
    .unwrap();
    let r = store.maintenance(now).unwrap();
    assert_eq!(r.days_dropped, ["2026-11-22"]);
    assert_eq!(read_all(&store, &web, D0 - DAY, D0 + DAY).len(), 40);
    drop(store);
    // Retention 0 keeps everything, even a year later.
    let store = Store::open(StoreConfig {
        retention: Some(Duration::ZERO),
        ..config(tmp.path())
    })
    .unwrap();
    assert!(store
        .maintenance(now + 365 * DAY)
        .unwrap()
        .days_dropped
        .is_empty());
    assert_eq!(read_all(&store, &web, D0 - DAY, D0 + DAY).len(), 40);
}

#[test]
fn idle_streams_are_cut_and_forgotten() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        max_streams_per_tenant: 1,
        ..config(tmp.path())
    };
    let store = Store::open(cfg).unwrap();
    let now = D0 + 12 * 3600 * SEC;
    store
        .append("fake", &[stream(&[("app", "a")], &[(now, "x")])])
        .unwrap();
    let out = store
        .append("fake", &[stream(&[("app", "b")], &[(now, "y")])])
        .unwrap();
    assert_eq!(out.rejected[0].reason, RejectReason::StreamLimit);
    // Heads are stamped with the wall clock; two hours later they are idle.
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    let later = wall + 2 * 3600 * SEC;
    let r = store.maintenance(later).unwrap();
    assert_eq!((r.heads_cut, r.streams_forgotten), (1, 1));
    let out = store
        .append("fake", &[stream(&[("app", "b")], &[(later, "y")])])
        .unwrap();
    assert_eq!(out.accepted, 1);
}

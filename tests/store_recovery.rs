//! Crash safety and recovery: drop without close, torn and damaged WAL,
//! damaged chunk files and index files, and the offline checker.

mod store_common;
use store_common::*;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;

use kindling::store::{check, Store};

fn files_with_suffix(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn flip(path: &Path, offset: usize) {
    let mut b = fs::read(path).unwrap();
    b[offset] ^= 0x5a;
    fs::write(path, b).unwrap();
}

/// Writes `n` entries for each of `apps` in appends of `per` entries.
fn write(
    store: &Store,
    apps: &[&str],
    n: usize,
    per: usize,
    t0: i64,
) -> Vec<(String, Vec<(i64, String)>)> {
    let mut all: Vec<(String, Vec<(i64, String)>)> =
        apps.iter().map(|a| (a.to_string(), Vec::new())).collect();
    for start in (0..n).step_by(per) {
        let mut streams = Vec::new();
        for (k, (app, got)) in all.iter_mut().enumerate() {
            let batch: Vec<(i64, String)> = (start..(start + per).min(n))
                .map(|i| {
                    (
                        t0 + (i * apps.len() + k) as i64 * SEC / 100,
                        format!("{app} {}", line(i)),
                    )
                })
                .collect();
            let refs: Vec<(i64, &str)> = batch.iter().map(|(t, l)| (*t, l.as_str())).collect();
            streams.push(stream(&[("app", app)], &refs));
            got.extend(batch);
        }
        let out = store.append("fake", &streams).unwrap();
        assert!(out.rejected.is_empty());
    }
    all
}

fn assert_all_present(store: &Store, want: &[(String, Vec<(i64, String)>)]) {
    for (app, entries) in want {
        let got = read_all(store, &sref("fake", &[("app", app)]), T0 - DAY, T0 + DAY);
        assert_eq!(got.len(), entries.len(), "{app}: count");
        assert_eq!(&got, entries, "{app}: every entry exactly once");
    }
}

#[test]
fn crash_without_close_loses_nothing_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut want: Vec<(String, Vec<(i64, String)>)> = vec![];
    for round in 0..3 {
        let store = open(tmp.path());
        if round > 0 {
            assert_all_present(&store, &want);
        }
        let t0 = T0 + round as i64 * 100 * SEC;
        let got = write(&store, &["web", "api", "db"], 400, 50, t0);
        if round == 1 {
            store.flush().unwrap();
        }
        if want.is_empty() {
            want = got;
        } else {
            for (w, g) in want.iter_mut().zip(got) {
                w.1.extend(g.1);
            }
        }
        assert_all_present(&store, &want);
        // Dropped without close: the next open replays the WAL.
        drop(store);
    }
    let store = open(tmp.path());
    assert_all_present(&store, &want);
    store.close().unwrap();
    drop(store);
    let store = open(tmp.path());
    assert_all_present(&store, &want);
    assert_eq!(store.metrics().recovery_errors.load(Relaxed), 0);
    assert!(check(tmp.path()).unwrap().is_ok());
}

#[test]
fn crash_with_default_sync_interval_and_small_head_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = kindling::store::StoreConfig {
        wal_sync_interval: std::time::Duration::from_millis(50),
        head_budget_bytes: 16 * 1024,
        ..config(tmp.path())
    };
    let store = Store::open(cfg.clone()).unwrap();
    let want = write(&store, &["a", "b", "c", "d", "e"], 300, 7, T0);
    drop(store);
    let store = Store::open(cfg).unwrap();
    assert_all_present(&store, &want);
}

/// A store whose heads are never cut by size: everything stays in the WAL.
fn open_wal_only(dir: &Path) -> Store {
    Store::open(kindling::store::StoreConfig {
        block_size: 1 << 20,
        ..config(dir)
    })
    .unwrap()
}

#[test]
fn torn_wal_tail_is_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open_wal_only(tmp.path());
    let want = write(&store, &["web"], 100, 10, T0);
    drop(store);
    let seg = files_with_suffix(&tmp.path().join("wal"), ".wal")
        .pop()
        .unwrap();
    let len = fs::metadata(&seg).unwrap().len();
    let f = fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(len - 5).unwrap();
    drop(f);
    let report = check(tmp.path()).unwrap();
    assert!(
        report.is_ok(),
        "a torn tail is expected after a crash: {:?}",
        report.damage
    );
    assert_eq!(report.warnings.len(), 1);
    let store = open_wal_only(tmp.path());
    // The last append (10 entries) is gone, the rest is there.
    let got = read_all(&store, &sref("fake", &[("app", "web")]), T0 - DAY, T0 + DAY);
    assert_eq!(got.len(), 90);
    assert!(got == want[0].1[..90]);
    drop(store);
    assert!(
        check(tmp.path()).unwrap().warnings.is_empty(),
        "the tail was truncated"
    );
}

#[test]
fn flipped_byte_in_the_wal_is_reported_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open_wal_only(tmp.path());
    let want = write(&store, &["web"], 100, 10, T0);
    drop(store);
    let seg = files_with_suffix(&tmp.path().join("wal"), ".wal")
        .pop()
        .unwrap();
    let len = fs::metadata(&seg).unwrap().len() as usize;
    flip(&seg, len - 40);
    assert!(!check(tmp.path()).unwrap().is_ok());
    let store = open_wal_only(tmp.path());
    assert_eq!(store.metrics().recovery_errors.load(Relaxed), 1);
    let got = read_all(&store, &sref("fake", &[("app", "web")]), T0 - DAY, T0 + DAY);
    assert_eq!(got.len(), 90);
    assert!(got == want[0].1[..90]);
}

#[test]
fn flipped_bytes_in_chunk_files_lose_only_the_damaged_block() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let want = write(&store, &["web", "api"], 600, 100, T0);
    store.flush().unwrap();
    drop(store);
    let chunk = files_with_suffix(&tmp.path().join("days"), ".kc")
        .pop()
        .unwrap();
    let bytes = fs::read(&chunk).unwrap();
    // A byte in the middle of the file: inside some block's columns.
    flip(&chunk, bytes.len() / 2);
    assert!(!check(tmp.path()).unwrap().is_ok());
    let store = open(tmp.path());
    let mut total = 0;
    for (app, entries) in &want {
        // Forward only: counting reads only the timestamp and length
        // columns, which may be intact when the lines are not.
        let got = read(
            &store,
            &sref("fake", &[("app", app)]),
            T0 - DAY,
            T0 + DAY,
            kindling::model::Direction::Forward,
        );
        assert!(got.iter().all(|e| entries.contains(e)), "nothing invented");
        total += entries.len() - got.len();
    }
    assert!(total > 0 && total < 600, "one block lost: {total}");
    assert!(store.metrics().recovery_errors.load(Relaxed) >= 1);
}

#[test]
fn damaged_block_header_is_found_at_open() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    write(&store, &["web"], 300, 100, T0);
    store.flush().unwrap();
    drop(store);
    let chunk = files_with_suffix(&tmp.path().join("days"), ".kc")
        .pop()
        .unwrap();
    // First frame is the stream declaration; flip inside the first block's
    // header (20 bytes file header, STREAM frame, 28 bytes frame header).
    let scanned = kindling::store::chunk_file::scan(&chunk, false).unwrap();
    let first = scanned.blocks[0].loc.offset as usize;
    flip(&chunk, first + 28 + 6);
    let store = open(tmp.path());
    assert_eq!(store.metrics().recovery_errors.load(Relaxed), 1);
    let got = read_all(&store, &sref("fake", &[("app", "web")]), T0 - DAY, T0 + DAY);
    assert!(!got.is_empty() && got.len() < 300);
}

#[test]
fn garbage_files_never_panic_the_open() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let want = write(&store, &["web"], 50, 50, T0);
    drop(store);
    let day = tmp.path().join("days").join("2026-11-23");
    fs::write(
        day.join("c-000099.kc"),
        b"KNDLCHNK garbage that is no chunk file",
    )
    .unwrap();
    fs::write(day.join("data.kc"), b"interrupted seal").unwrap();
    fs::write(day.join("index.kix.tmp"), b"interrupted seal").unwrap();
    fs::write(
        tmp.path().join("wal").join("00000000000000000999.wal"),
        [0xffu8; 100],
    )
    .unwrap();
    let store = open(tmp.path());
    assert_all_present(&store, &want);
    assert!(!day.join("data.kc").exists() && !day.join("index.kix.tmp").exists());
}

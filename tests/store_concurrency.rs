//! Many threads appending and reading at once: every entry lands exactly
//! once, concurrent appends share fsyncs (group commit), and readers always
//! see a consistent stream while heads are being cut.

mod store_common;
use store_common::*;

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use kindling::model::Direction;

#[test]
fn concurrent_appends_share_fsyncs_and_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(open(tmp.path()));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 0..100 {
                    let ts = T0 + (i * 8 + t) as i64 * SEC;
                    let l = format!("thread {t} entry {i} {}", line(i));
                    let out = store
                        .append(
                            "fake",
                            &[stream(
                                &[("app", "web"), ("t", &t.to_string())],
                                &[(ts, &l)],
                            )],
                        )
                        .unwrap();
                    assert_eq!(out.accepted, 1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let m = store.metrics();
    let fsyncs = m.wal_fsyncs.load(Relaxed);
    assert_eq!(m.wal_records_written.load(Relaxed), 800);
    // With sync interval 0 every append waits for an fsync, but appends
    // arriving during one share the next.
    assert!(fsyncs < 800, "{fsyncs}");
    for t in 0..8 {
        let got = read_all(
            &store,
            &sref("fake", &[("app", "web"), ("t", &t.to_string())]),
            T0,
            T0 + DAY,
        );
        assert_eq!(got.len(), 100);
    }
    drop(store);
    let store = open(tmp.path());
    let all = store.streams(&["fake"], &[], T0, T0 + DAY).unwrap();
    let n: usize = all
        .iter()
        .map(|s| read_all(&store, s, T0, T0 + DAY).len())
        .sum();
    assert_eq!(n, 800);
}

#[test]
fn readers_see_each_entry_once_while_heads_are_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(open(tmp.path()));
    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            for i in 0..2000 {
                let l = line(i);
                store
                    .append(
                        "fake",
                        &[stream(&[("app", "web")], &[(T0 + i as i64 * SEC, &l)])],
                    )
                    .unwrap();
            }
        })
    };
    let s = sref("fake", &[("app", "web")]);
    let mut reads = 0;
    while !writer.is_finished() || reads == 0 {
        let got = read(&store, &s, T0, T0 + DAY, Direction::Forward);
        // A prefix of what was written, each entry once, in order.
        for (i, (ts, l)) in got.iter().enumerate() {
            assert_eq!((*ts, l.as_str()), (T0 + i as i64 * SEC, line(i).as_str()));
        }
        reads += 1;
    }
    writer.join().unwrap();
    assert_eq!(read_all(&store, &s, T0, T0 + DAY).len(), 2000);
    assert!(store.metrics().blocks_written.load(Relaxed) > 10);
}

#[test]
fn flush_ends_under_constant_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(open(tmp.path()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, stop) = (Arc::clone(&store), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Relaxed) {
                let l = line(i);
                store
                    .append(
                        "fake",
                        &[stream(&[("app", "web")], &[(T0 + i as i64 * SEC, &l)])],
                    )
                    .unwrap();
                i += 1;
            }
            i
        })
    };
    for _ in 0..5 {
        store.flush().unwrap();
    }
    stop.store(true, Relaxed);
    let n = writer.join().unwrap();
    assert_eq!(
        read_all(&store, &sref("fake", &[("app", "web")]), T0, T0 + DAY).len(),
        n
    );
}

//! Late writes into sealed days: a sealed day takes entries again (new and
//! existing streams, timestamps between the sealed ones), reads merge the
//! sealed generation with the late chunks and heads, maintenance re-seals,
//! and crashes at every step leave every entry present exactly once.

mod store_common;
use store_common::*;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use kindling::model::MatchOp;
use kindling::store::{check, RejectReason, Store, StoreConfig, StreamRef};

/// Midnight starting the day of `T0` (2026-11-23).
const D0: i64 = T0 - T0.rem_euclid(DAY);
/// 10:00 on that day.
const BASE: i64 = D0 + 10 * 3600 * SEC;
/// Late enough for the day of `D0` to be sealed.
const NEXT_DAY: i64 = D0 + DAY + 2 * 3600 * SEC;

fn day_dir(root: &Path) -> PathBuf {
    root.join("days").join("2026-11-23")
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn web() -> StreamRef {
    sref("fake", &[("app", "web")])
}

fn api() -> StreamRef {
    sref("fake", &[("app", "api")])
}

fn late() -> StreamRef {
    sref("fake", &[("app", "late")])
}

/// What each stream should read back, in push order (sorted on demand).
#[derive(Default, Clone)]
struct Want {
    web: Vec<(i64, String)>,
    api: Vec<(i64, String)>,
    late: Vec<(i64, String)>,
}

impl Want {
    /// Stable sort by time: at equal timestamps, earlier pushes first.
    fn sorted(v: &[(i64, String)]) -> Vec<(i64, String)> {
        let mut v = v.to_vec();
        v.sort_by_key(|e| e.0);
        v
    }

    fn assert_read(&self, store: &Store) {
        for (s, want) in [(web(), &self.web), (api(), &self.api), (late(), &self.late)] {
            let got = read_all(store, &s, D0, D0 + DAY);
            assert_eq!(got.len(), want.len(), "{:?}", s.labels);
            assert_eq!(got, Want::sorted(want), "{:?}", s.labels);
            let stats = store.stream_stats(&s, D0, D0 + DAY).unwrap();
            assert_eq!(stats.entries, want.len() as u64);
        }
    }
}

fn push(store: &Store, app: &str, entries: &[(i64, String)]) {
    let refs: Vec<(i64, &str)> = entries.iter().map(|(t, l)| (*t, l.as_str())).collect();
    let out = store
        .append("fake", &[stream(&[("app", app)], &refs)])
        .unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected.first());
    assert_eq!(out.accepted, entries.len());
}

/// 300 entries per stream (web, api), 10 s apart from 10:00, in appends of
/// 50.
fn fill(store: &Store, want: &mut Want) {
    for start in (0..300).step_by(50) {
        for app in ["web", "api"] {
            let batch: Vec<(i64, String)> = (start..start + 50)
                .map(|i| (BASE + i as i64 * 10 * SEC, format!("{app} {}", line(i))))
                .collect();
            push(store, app, &batch);
            match app {
                "web" => want.web.extend(batch),
                _ => want.api.extend(batch),
            }
        }
    }
}

/// Late entries: into `web` between its sealed entries (5 s after every
/// third one, plus one at exactly the time of a sealed entry), and a new
/// stream `late` in the small hours of the sealed day. `tag` keeps lines of
/// different rounds apart.
fn late_round(store: &Store, want: &mut Want, tag: &str) {
    let mut web_late: Vec<(i64, String)> = (0..300)
        .step_by(3)
        .map(|i| {
            (
                BASE + i as i64 * 10 * SEC + 5 * SEC,
                format!("late {tag} web {}", line(i)),
            )
        })
        .collect();
    web_late.push((BASE + 500 * SEC, format!("late {tag} web same time")));
    push(store, "web", &web_late);
    want.web.extend(web_late);
    let new: Vec<(i64, String)> = (0..40)
        .map(|i| {
            (
                D0 + 3 * 3600 * SEC + i * 7 * SEC,
                format!("late {tag} new {}", line(i as usize)),
            )
        })
        .collect();
    push(store, "late", &new);
    want.late.extend(new);
}

fn assert_metadata(store: &Store) {
    assert_eq!(
        store
            .label_values(&["fake"], "app", &[], D0, D0 + DAY)
            .unwrap(),
        ["api", "late", "web"]
    );
    assert_eq!(
        store.label_names(&["fake"], &[], D0, D0 + DAY).unwrap(),
        ["app"]
    );
    assert_eq!(
        store
            .streams(
                &["fake"],
                &[m("app", MatchOp::Re, "(web|late)")],
                D0,
                D0 + DAY
            )
            .unwrap(),
        vec![late(), web()]
    );
    assert_eq!(
        store
            .streams(&["fake"], &[m("app", MatchOp::Neq, "web")], D0, D0 + DAY)
            .unwrap(),
        vec![api(), late()]
    );
}

#[test]
fn late_writes_reopen_a_sealed_day_and_are_resealed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = day_dir(tmp.path());
    let store = open(tmp.path());
    let mut want = Want::default();
    fill(&store, &mut want);
    let r = store.maintenance(NEXT_DAY).unwrap();
    assert_eq!(r.days_sealed, ["2026-11-23"]);
    assert_eq!(files(&dir), ["data-000002.kc", "index-000002.kix"]);
    want.assert_read(&store);

    // Late entries land in heads first: sealed blocks and heads merge.
    late_round(&store, &mut want, "a");
    want.assert_read(&store);
    assert_metadata(&store);
    // Cut: they go to a chunk file next to the sealed generation.
    store.flush().unwrap();
    assert_eq!(
        files(&dir),
        ["c-000003.kc", "data-000002.kc", "index-000002.kix"]
    );
    want.assert_read(&store);
    assert_metadata(&store);
    // A reopened day survives a restart as it is.
    drop(store);
    let store = open(tmp.path());
    want.assert_read(&store);
    assert_metadata(&store);

    // The next maintenance merges both into a new generation.
    let blocks_before = store.stream_stats(&web(), D0, D0 + DAY).unwrap().chunks;
    let r = store.maintenance(NEXT_DAY).unwrap();
    assert_eq!(r.days_sealed, ["2026-11-23"]);
    assert_eq!(files(&dir), ["data-000004.kc", "index-000004.kix"]);
    assert!(store.stream_stats(&web(), D0, D0 + DAY).unwrap().chunks < blocks_before);
    want.assert_read(&store);
    assert_metadata(&store);
    // Nothing left to do afterwards.
    assert!(store.maintenance(NEXT_DAY).unwrap().days_sealed.is_empty());
    store.close().unwrap();
    drop(store);
    assert!(check(tmp.path()).unwrap().is_ok());
    let store = open(tmp.path());
    want.assert_read(&store);
    assert_eq!(store.metrics().recovery_errors.load(Relaxed), 0);
}

#[test]
fn a_day_still_taking_late_writes_is_resealed_once_they_are_cut() {
    // A day before any wall clock this runs at, and maintenance at the wall
    // clock: heads of fresh appends are neither old nor idle then.
    let wall = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64
    };
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig {
        retention: None,
        ..config(tmp.path())
    })
    .unwrap();
    let day = D0 - 3 * DAY + 10 * 3600 * SEC;
    let dir = tmp.path().join("days").join("2026-11-20");
    let first: Vec<(i64, String)> = (0..50)
        .map(|i| (day + i * 10 * SEC, format!("first {i}")))
        .collect();
    push(&store, "web", &first);
    assert_eq!(
        store.maintenance(wall()).unwrap().days_sealed,
        ["2026-11-20"]
    );
    let late: Vec<(i64, String)> = (0..50)
        .map(|i| (day + i * 10 * SEC + 5 * SEC, format!("late {i}")))
        .collect();
    push(&store, "web", &late);
    // Late entries still arriving (their heads are fresh): no rewrite.
    assert!(store.maintenance(wall()).unwrap().days_sealed.is_empty());
    store.flush().unwrap();
    assert_eq!(
        files(&dir),
        ["c-000003.kc", "data-000002.kc", "index-000002.kix"]
    );
    assert_eq!(
        store.maintenance(wall()).unwrap().days_sealed,
        ["2026-11-20"]
    );
    assert_eq!(files(&dir), ["data-000004.kc", "index-000004.kix"]);
    let mut want: Vec<(i64, String)> = first.into_iter().chain(late).collect();
    want.sort_by_key(|e| e.0);
    assert_eq!(read_all(&store, &web(), day - DAY, day + DAY), want);
}

#[test]
fn crashes_around_late_writes_keep_every_entry_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = day_dir(tmp.path());
    let store = open(tmp.path());
    let mut want = Want::default();
    fill(&store, &mut want);
    store.maintenance(NEXT_DAY).unwrap();
    // Late entries only in the WAL (and heads): crash.
    late_round(&store, &mut want, "a");
    drop(store);
    let store = open(tmp.path());
    want.assert_read(&store);
    // Some cut to a chunk file, more only in the WAL: crash.
    store.flush().unwrap();
    late_round(&store, &mut want, "b");
    drop(store);
    let store = open(tmp.path());
    want.assert_read(&store);
    assert_metadata(&store);
    // Re-seal with the WAL still holding every late record: crash.
    store.flush().unwrap();
    let r = store.maintenance(NEXT_DAY).unwrap();
    assert_eq!(r.days_sealed, ["2026-11-23"]);
    drop(store);
    let store = open(tmp.path());
    want.assert_read(&store);
    assert_eq!(store.metrics().recovery_errors.load(Relaxed), 0);
    store.close().unwrap();
    drop(store);
    assert!(check(tmp.path()).unwrap().is_ok());
    // Files of the day as they are now: a single generation.
    assert_eq!(files(&dir).len(), 2, "{:?}", files(&dir));
}

/// Copies of every file of `dir`.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files(dir)
        .into_iter()
        .map(|f| {
            let b = fs::read(dir.join(&f)).unwrap();
            (f, b)
        })
        .collect()
}

fn restore(dir: &Path, snap: &[(String, Vec<u8>)]) {
    for f in files(dir) {
        fs::remove_file(dir.join(f)).unwrap();
    }
    for (f, b) in snap {
        fs::write(dir.join(f), b).unwrap();
    }
}

#[test]
fn interrupted_reseals_are_undone_or_finished_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = day_dir(tmp.path());
    let store = open(tmp.path());
    let mut want = Want::default();
    fill(&store, &mut want);
    store.maintenance(NEXT_DAY).unwrap();
    late_round(&store, &mut want, "a");
    store.flush().unwrap();
    store.close().unwrap();
    drop(store);
    let before = snapshot(&dir);
    assert_eq!(
        before.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["c-000003.kc", "data-000002.kc", "index-000002.kix"]
    );
    let store = open(tmp.path());
    // Opening starts chunk file numbering after 3; the seal takes 4.
    store.maintenance(NEXT_DAY).unwrap();
    store.close().unwrap();
    drop(store);
    let after = snapshot(&dir);
    assert_eq!(
        after.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["data-000004.kc", "index-000004.kix"]
    );

    // Crash after the new data file was renamed, before its index: undone.
    restore(&dir, &before);
    fs::write(dir.join("data-000004.kc"), &after[0].1).unwrap();
    fs::write(dir.join("index-000004.kix.tmp"), b"half an index").unwrap();
    let store = open(tmp.path());
    assert_eq!(
        files(&dir),
        ["c-000003.kc", "data-000002.kc", "index-000002.kix"]
    );
    want.assert_read(&store);
    assert_metadata(&store);
    // ... and done again by the next maintenance.
    assert_eq!(
        store.maintenance(NEXT_DAY).unwrap().days_sealed,
        ["2026-11-23"]
    );
    assert_eq!(files(&dir), ["data-000005.kc", "index-000005.kix"]);
    want.assert_read(&store);
    store.close().unwrap();
    drop(store);

    // Crash after the new index was renamed, before the consumed chunk
    // file and the old generation were deleted: finished.
    restore(&dir, &before);
    for (f, b) in &after {
        fs::write(dir.join(f), b).unwrap();
    }
    let store = open(tmp.path());
    assert_eq!(files(&dir), ["data-000004.kc", "index-000004.kix"]);
    want.assert_read(&store);
    assert_metadata(&store);
    drop(store);
    assert!(check(tmp.path()).unwrap().is_ok());
}

#[test]
fn wal_records_of_a_day_sealed_after_them_replay_once() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let mut want = Want::default();
    // Written to the WAL only, then sealed (heads cut) while the WAL keeps
    // the records.
    fill(&store, &mut want);
    assert_eq!(
        store.maintenance(NEXT_DAY).unwrap().days_sealed,
        ["2026-11-23"]
    );
    drop(store);
    let store = open(tmp.path());
    want.assert_read(&store);
    // Late records after the seal replay; the sealed ones do not.
    late_round(&store, &mut want, "a");
    drop(store);
    let store = open(tmp.path());
    want.assert_read(&store);
    // The late ones sealed too, WAL still holding everything: once each.
    store.flush().unwrap();
    store.maintenance(NEXT_DAY).unwrap();
    late_round(&store, &mut want, "b");
    drop(store);
    let store = open(tmp.path());
    want.assert_read(&store);
    assert_metadata(&store);
}

#[test]
fn only_dropped_days_refuse_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let old = |days: i64, line: &str| stream(&[("app", "old")], &[(BASE + days * DAY, line)]);
    for d in [-10, -6] {
        let out = store.append("fake", &[old(d, "first")]).unwrap();
        assert_eq!(out.accepted, 1);
    }
    let r = store.maintenance(D0 + 12 * 3600 * SEC).unwrap();
    assert_eq!(r.days_dropped, ["2026-11-13"]);
    assert_eq!(r.days_sealed, ["2026-11-17"]);
    drop(store);
    let store = open(tmp.path());
    // A new stream, so only the day decides: the dropped day refuses, the
    // sealed one takes it.
    let gone = store
        .append(
            "fake",
            &[stream(&[("app", "new")], &[(BASE - 10 * DAY, "x")])],
        )
        .unwrap();
    assert_eq!(
        gone.rejected[0].reason,
        RejectReason::TooFarBehind {
            ts: BASE - 10 * DAY,
            oldest_acceptable: D0 - 9 * DAY,
        }
    );
    let kept = store
        .append(
            "fake",
            &[stream(&[("app", "new")], &[(BASE - 6 * DAY, "y")])],
        )
        .unwrap();
    assert_eq!((kept.accepted, kept.rejected.len()), (1, 0));
    let new = sref("fake", &[("app", "new")]);
    assert_eq!(
        read_all(&store, &new, D0 - 11 * DAY, D0 + DAY),
        [(BASE - 6 * DAY, "y".to_string())]
    );
}

#[test]
fn late_writes_during_maintenance_are_never_lost_or_doubled() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(open(tmp.path()));
    let mut want = Want::default();
    fill(&store, &mut want);
    store.maintenance(NEXT_DAY).unwrap();
    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            let mut pushed = Vec::new();
            for round in 0..40 {
                let batch: Vec<(i64, String)> = (0..25)
                    .map(|i| {
                        (
                            BASE + (round * 25 + i) as i64 * 3 * SEC + SEC,
                            format!("concurrent {round} {i}"),
                        )
                    })
                    .collect();
                push(&store, "web", &batch);
                pushed.extend(batch);
                if round % 5 == 0 {
                    store.flush().unwrap();
                }
            }
            pushed
        })
    };
    for _ in 0..20 {
        store.flush().unwrap();
        store.maintenance(NEXT_DAY).unwrap();
    }
    want.web.extend(writer.join().unwrap());
    want.assert_read(&store);
    store.flush().unwrap();
    store.maintenance(NEXT_DAY).unwrap();
    want.assert_read(&store);
    let store = Arc::into_inner(store).unwrap();
    drop(store);
    let store = open(tmp.path());
    want.assert_read(&store);
}

//! Writing and reading through the store's library API: ordering, bounds,
//! out-of-order merges, head and chunk merges, duplicates, window
//! rejection, tenants and the label index.

mod store_common;
use store_common::*;

use kindling::model::{Direction, MatchOp};
use kindling::store::{RejectReason, Rejected};

#[test]
fn forward_backward_and_half_open_bounds() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let entries: Vec<(i64, String)> = (0..2000).map(|i| (T0 + i as i64 * SEC, line(i))).collect();
    let refs: Vec<(i64, &str)> = entries.iter().map(|(t, l)| (*t, l.as_str())).collect();
    for chunk in refs.chunks(300) {
        store
            .append("fake", &[stream(&[("app", "web")], chunk)])
            .unwrap();
    }
    let s = sref("fake", &[("app", "web")]);
    // Some of it is in blocks (block_size 4 KiB), the rest in the head.
    assert!(
        store
            .metrics()
            .blocks_written
            .load(std::sync::atomic::Ordering::Relaxed)
            > 5
    );
    assert_eq!(read_all(&store, &s, T0, T0 + 3000 * SEC), entries);
    let got = read_all(&store, &s, T0 + 10 * SEC, T0 + 20 * SEC);
    assert_eq!(got, entries[10..20].to_vec(), "[start, end): end excluded");
    assert!(read_all(&store, &s, T0 + 5000 * SEC, T0 + 6000 * SEC).is_empty());
    let back = read(&store, &s, T0, T0 + 5 * SEC, Direction::Backward);
    assert_eq!(back.first().map(|e| e.0), Some(T0 + 4 * SEC));
    let stats = store.stream_stats(&s, T0, T0 + 3000 * SEC).unwrap();
    assert_eq!(stats.entries, 2000);
    assert!(stats.chunks > 5);
    assert_eq!(
        stats.bytes,
        entries.iter().map(|e| e.1.len() as u64).sum::<u64>()
    );
}

#[test]
fn out_of_order_blocks_and_heads_merge_with_stable_ties() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let s = sref("fake", &[("app", "web")]);
    // Three passes over the same minute, each flushed into its own blocks,
    // then a fourth left in the head: four overlapping sources.
    let mut want = Vec::new();
    for pass in 0..4 {
        let batch: Vec<(i64, String)> = (0..200)
            .map(|i| {
                (
                    T0 + (i * 3 + pass % 3) as i64 * SEC / 10,
                    format!("pass {pass} entry {i} {}", line(i)),
                )
            })
            .collect();
        let refs: Vec<(i64, &str)> = batch.iter().map(|(t, l)| (*t, l.as_str())).collect();
        let out = store
            .append("fake", &[stream(&[("app", "web")], &refs)])
            .unwrap();
        assert_eq!(out.accepted, 200);
        if pass < 3 {
            store.flush().unwrap();
        }
        want.extend(batch);
    }
    // Equal timestamps keep insertion order: sort is stable.
    want.sort_by_key(|e| e.0);
    assert_eq!(read_all(&store, &s, T0 - SEC, T0 + 100 * SEC), want);
    let mid = read_all(&store, &s, T0 + 5 * SEC, T0 + 10 * SEC);
    let want_mid: Vec<_> = want
        .iter()
        .filter(|e| e.0 >= T0 + 5 * SEC && e.0 < T0 + 10 * SEC)
        .cloned()
        .collect();
    assert_eq!(mid, want_mid);
}

#[test]
fn duplicates_dropped_and_old_entries_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let st = |e: &[(i64, &str)]| vec![stream(&[("app", "web")], e)];
    let out = store
        .append("fake", &st(&[(T0, "a"), (T0, "a"), (T0, "b")]))
        .unwrap();
    assert_eq!((out.accepted, out.duplicates), (2, 1));
    let out = store
        .append(
            "fake",
            &st(&[
                (T0, "a"),
                (T0 - 3600 * SEC, "edge"),
                (T0 - 3600 * SEC - 1, "old"),
            ]),
        )
        .unwrap();
    assert_eq!((out.accepted, out.duplicates), (1, 1));
    assert_eq!(
        out.rejected,
        vec![Rejected {
            stream: 0,
            entry: 2,
            reason: RejectReason::TooFarBehind {
                ts: T0 - 3600 * SEC - 1,
                oldest_acceptable: T0 - 3600 * SEC
            }
        }]
    );
    let got = read_all(&store, &sref("fake", &[("app", "web")]), T0 - DAY, T0 + DAY);
    let lines: Vec<&str> = got.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(lines, ["edge", "a", "b"]);
}

#[test]
fn stream_limit_per_tenant() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = kindling::store::StoreConfig {
        max_streams_per_tenant: 2,
        ..config(tmp.path())
    };
    let store = kindling::store::Store::open(cfg).unwrap();
    let push = |app: &str| vec![stream(&[("app", app)], &[(T0, "x")])];
    assert_eq!(store.append("fake", &push("a")).unwrap().accepted, 1);
    assert_eq!(store.append("fake", &push("b")).unwrap().accepted, 1);
    let out = store.append("fake", &push("c")).unwrap();
    assert_eq!(out.rejected[0].reason, RejectReason::StreamLimit);
    // Other tenants have their own limit; known streams still accept.
    assert_eq!(store.append("other", &push("c")).unwrap().accepted, 1);
    assert_eq!(store.append("fake", &push("a")).unwrap().duplicates, 1);
}

#[test]
fn tenants_never_mix_and_multi_tenant_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    store
        .append("a", &[stream(&[("app", "web")], &[(T0, "from a")])])
        .unwrap();
    store
        .append("b", &[stream(&[("app", "web")], &[(T0, "from b")])])
        .unwrap();
    let sel = [m("app", MatchOp::Eq, "web")];
    let one = store.streams(&["a"], &sel, T0, T0 + SEC).unwrap();
    assert_eq!(one, vec![sref("a", &[("app", "web")])]);
    let both = store.streams(&["a", "b"], &sel, T0, T0 + SEC).unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(
        read_all(&store, &both[1], T0, T0 + SEC),
        vec![(T0, "from b".to_string())]
    );
    assert!(store
        .streams(&["c"], &sel, T0, T0 + SEC)
        .unwrap()
        .is_empty());
}

#[test]
fn labels_values_and_series_come_from_the_index() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    store
        .append(
            "fake",
            &[
                stream(
                    &[("app", "web"), ("env", "prod"), ("service_name", "web")],
                    &[(T0, "1")],
                ),
                stream(
                    &[("app", "api"), ("env", "dev"), ("service_name", "api")],
                    &[(T0, "2")],
                ),
                stream(&[("app", "db"), ("service_name", "db")], &[(T0 + DAY, "3")]),
            ],
        )
        .unwrap();
    store.flush().unwrap();
    let day0 = (T0, T0 + SEC);
    assert_eq!(
        store.label_names(&["fake"], &[], day0.0, day0.1).unwrap(),
        ["app", "env", "service_name"]
    );
    assert_eq!(
        store
            .label_values(&["fake"], "app", &[], day0.0, day0.1)
            .unwrap(),
        ["api", "web"]
    );
    let sel = [m("env", MatchOp::Re, "p.*")];
    assert_eq!(
        store
            .label_values(&["fake"], "app", &sel, day0.0, day0.1)
            .unwrap(),
        ["web"]
    );
    // Two days: the third stream joins.
    let both = (T0, T0 + DAY + SEC);
    assert_eq!(
        store
            .label_values(&["fake"], "app", &[], both.0, both.1)
            .unwrap(),
        ["api", "db", "web"]
    );
    let no_env = [m("env", MatchOp::Eq, "")];
    let s = store.streams(&["fake"], &no_env, both.0, both.1).unwrap();
    assert_eq!(
        s,
        vec![sref("fake", &[("app", "db"), ("service_name", "db")])]
    );
    assert!(store
        .label_names(&["other"], &[], both.0, both.1)
        .unwrap()
        .is_empty());
}

#[test]
fn structured_metadata_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let mut ps = stream(&[("app", "web")], &[(T0, "with meta"), (T0 + 1, "without")]);
    ps.entries[0].metadata = vec![
        kindling::model::Label::new("trace_id", "abc"),
        kindling::model::Label::new("detected_level", "warn"),
    ];
    ps.entries[1].metadata.clear();
    store.append("fake", &[ps]).unwrap();
    let s = sref("fake", &[("app", "web")]);
    for flushed in [false, true] {
        if flushed {
            store.flush().unwrap();
        }
        let mut it = store.entries(&s, T0, T0 + SEC, Direction::Forward);
        let b = it.next_batch().unwrap().unwrap();
        assert_eq!(
            b.metadata(0).collect::<Vec<_>>(),
            [("trace_id", "abc"), ("detected_level", "warn")]
        );
        assert_eq!(b.metadata(1).count(), 0);
    }
}

#[test]
fn counts_can_use_block_summaries() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let lines: Vec<String> = (0..500).map(line).collect();
    let refs: Vec<(i64, &str)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (T0 + i as i64 * SEC, l.as_str()))
        .collect();
    store
        .append("fake", &[stream(&[("app", "web")], &refs)])
        .unwrap();
    store.flush().unwrap();
    let s = sref("fake", &[("app", "web")]);
    let mut it = store.entries(&s, T0, T0 + 1000 * SEC, Direction::Forward);
    let (mut entries, mut bytes, mut summaries) = (0u64, 0u64, 0);
    while let Some(c) = it.next_counts(&mut |_, _| true) {
        match c.unwrap() {
            kindling::store::Counts::Summary {
                entries: n,
                bytes: b,
                ..
            } => {
                summaries += 1;
                entries += u64::from(n);
                bytes += b;
            }
            kindling::store::Counts::Entries(b) => {
                entries += b.len() as u64;
                bytes += (0..b.len()).map(|i| u64::from(b.line_len(i))).sum::<u64>();
            }
        }
    }
    assert!(summaries > 1);
    assert_eq!(entries, 500);
    assert_eq!(bytes, lines.iter().map(|l| l.len() as u64).sum::<u64>());
}

#[test]
fn blocks_without_a_required_text_are_skipped_and_matches_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    // One line in 500 holds the needle; blocks are 4 KiB (~40 lines).
    let entries: Vec<(i64, String)> = (0..3000)
        .map(|i| {
            let mut l = line(i);
            if i % 500 == 7 {
                l.push_str(&format!(
                    " request_id=deadbeef at 2026-11-23 16:{:02}:00 client=10.1.2.3",
                    i % 60
                ));
            }
            (T0 + i as i64 * SEC, l)
        })
        .collect();
    let refs: Vec<(i64, &str)> = entries.iter().map(|(t, l)| (*t, l.as_str())).collect();
    store
        .append("fake", &[stream(&[("app", "web")], &refs)])
        .unwrap();
    store.flush().unwrap();
    let s = sref("fake", &[("app", "web")]);
    for (needle, dir) in [
        ("request_id=deadbeef at 2026-11-23 16:", Direction::Forward),
        ("request_id=deadbeef", Direction::Backward),
        ("status=200 duration=", Direction::Forward),
        // Digits only between its dots: found from placeholders and digits.
        ("10.1.2.3", Direction::Forward),
        ("=10.1.2.3", Direction::Backward),
    ] {
        let mut it = store.entries(&s, T0, T0 + 4000 * SEC, dir);
        it.require_lines_containing(&[needle]);
        let mut got = Vec::new();
        let mut yielded = 0;
        while let Some(b) = it.next_batch() {
            let b = b.unwrap();
            yielded += b.len();
            got.extend(
                (0..b.len())
                    .filter(|&i| b.line(i).contains(needle))
                    .map(|i| (b.ts(i), b.line(i).to_string())),
            );
        }
        if dir == Direction::Backward {
            got.reverse();
        }
        let want: Vec<_> = entries
            .iter()
            .filter(|(_, l)| l.contains(needle))
            .cloned()
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got, want, "{needle}");
        if want.len() < 10 {
            assert!(yielded < 1000, "{needle}: {yielded} entries decoded");
        }
    }
}

#[test]
fn entries_without_line_text_keep_times_lengths_metadata_and_order() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let s = sref("fake", &[("app", "web")]);
    // Overlapping flushed passes and a head: merged reading.
    for pass in 0..3 {
        let batch: Vec<(i64, String)> = (0..150)
            .map(|i| {
                (
                    T0 + (i * 3 + pass) as i64 * SEC / 10,
                    format!("{pass} {}", line(i)),
                )
            })
            .collect();
        let refs: Vec<(i64, &str)> = batch.iter().map(|(t, l)| (*t, l.as_str())).collect();
        store
            .append("fake", &[stream(&[("app", "web")], &refs)])
            .unwrap();
        if pass < 2 {
            store.flush().unwrap();
        }
    }
    for dir in [Direction::Forward, Direction::Backward] {
        let read = |text: bool| {
            let mut it = store.entries(&s, T0 + SEC, T0 + 40 * SEC, dir);
            if !text {
                it.without_line_text();
            }
            let mut out = Vec::new();
            while let Some(b) = it.next_batch() {
                let b = b.unwrap();
                for i in 0..b.len() {
                    assert!(text || b.line(i).is_empty());
                    let md: Vec<_> = b.metadata(i).map(|(k, v)| format!("{k}={v}")).collect();
                    out.push((b.ts(i), b.line_len(i), md));
                }
            }
            out
        };
        let with_text = read(true);
        assert!(with_text.len() > 300);
        assert_eq!(read(false), with_text, "{dir:?}");
    }
}

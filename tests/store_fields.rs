//! JSON field summaries through the store's life: kept per stream and day
//! while appending, saved on close and loaded on open while they still
//! describe the day's data, dropped when they no longer can (a line that
//! cannot be summarised, replayed WAL records, data cut after the save).

mod store_common;

use kindling::model::{Direction, PushStream};
use kindling::store::field_summary::{FieldSummary, FieldSummaryBuilder};
use kindling::store::{AppendStream, Store};
use store_common::*;

/// A pushed stream with the summary ingest makes of its lines.
struct Summarised {
    stream: PushStream,
    fields: Option<FieldSummary>,
}

impl Summarised {
    fn new(app: &str, entries: &[(i64, &str)]) -> Summarised {
        let mut b = FieldSummaryBuilder::new();
        for (_, line) in entries {
            b.add_line(line, &|_| false);
        }
        Summarised {
            stream: stream(&[("app", app)], entries),
            fields: b.finish(),
        }
    }
}

impl AppendStream for Summarised {
    fn labels(&self) -> &kindling::model::Labels {
        self.stream.labels()
    }
    fn entry_count(&self) -> usize {
        self.stream.entry_count()
    }
    fn entry(&self, i: usize) -> Option<(i64, &str)> {
        self.stream.entry(i)
    }
    fn metadata(&self, i: usize) -> impl Iterator<Item = (&str, &str)> {
        self.stream.metadata(i)
    }
    fn fields(&self) -> Option<&FieldSummary> {
        self.fields.as_ref()
    }
}

/// Lines summarised for `app` over the day of `T0`, if there is a summary.
fn summarised_lines(store: &Store, app: &str) -> Option<u32> {
    let (_, fields) = store.entries_with_fields(
        &sref("fake", &[("app", app)]),
        T0,
        T0 + DAY,
        Direction::Forward,
    );
    fields.map(|f| f.lines())
}

fn push(store: &Store, app: &str, entries: &[(i64, &str)]) {
    store
        .append("fake", &[Summarised::new(app, entries)])
        .expect("append");
}

#[test]
fn summaries_live_through_appends_and_clean_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    push(&store, "a", &[(T0, r#"{"s":1}"#), (T0 + SEC, r#"{"s":2}"#)]);
    push(&store, "b", &[(T0, r#"{"s":1}"#)]);
    push(&store, "a", &[(T0 + 2 * SEC, r#"{"s":3}"#)]);
    assert_eq!(summarised_lines(&store, "a"), Some(3));
    assert_eq!(summarised_lines(&store, "b"), Some(1));
    // A line that is not a flat JSON object ends b's summary for the day.
    push(&store, "b", &[(T0 + SEC, "plain text")]);
    assert_eq!(summarised_lines(&store, "b"), None);
    // A stream the store has no summary for (pushed without one).
    store
        .append("fake", &[stream(&[("app", "c")], &[(T0, r#"{"s":1}"#)])])
        .expect("append");
    assert_eq!(summarised_lines(&store, "c"), None);
    store.close().expect("close");
    drop(store);

    let store = open(dir.path());
    assert_eq!(summarised_lines(&store, "a"), Some(3), "loaded");
    assert_eq!(summarised_lines(&store, "b"), None);
    push(&store, "a", &[(T0 + 3 * SEC, r#"{"s":4}"#)]);
    assert_eq!(
        summarised_lines(&store, "a"),
        Some(4),
        "grows after loading"
    );
    // A stream new to the day after the restart starts its summary.
    push(&store, "d", &[(T0, r#"{"s":1}"#)]);
    assert_eq!(summarised_lines(&store, "d"), Some(1));
    store.close().expect("close");
}

#[test]
fn crashes_drop_summaries_that_may_miss_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    push(&store, "a", &[(T0, r#"{"s":1}"#)]);
    push(&store, "b", &[(T0, r#"{"s":1}"#)]);
    store.close().expect("close");
    drop(store);

    let store = open(dir.path());
    assert_eq!(summarised_lines(&store, "a"), Some(1));
    // Lines of a after the save, in the WAL only when the process dies.
    push(&store, "a", &[(T0 + SEC, r#"{"s":2}"#)]);
    drop(store);

    let store = open(dir.path());
    assert_eq!(
        summarised_lines(&store, "a"),
        None,
        "replayed lines were never summarised"
    );
    assert_eq!(
        summarised_lines(&store, "b"),
        Some(1),
        "b took no lines since the save"
    );
    let entries = read(
        &store,
        &sref("fake", &[("app", "a")]),
        T0,
        T0 + DAY,
        Direction::Forward,
    );
    assert_eq!(entries.len(), 2);
    store.flush().expect("flush");
    drop(store);

    // b's saved summary still matches its data; a has no summary.
    let store = open(dir.path());
    assert_eq!(summarised_lines(&store, "a"), None);
    assert_eq!(summarised_lines(&store, "b"), Some(1));
}

#[test]
fn sealing_keeps_summaries_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let d0 = T0 - T0 % DAY;
    push(
        &store,
        "a",
        &[(d0 + SEC, r#"{"s":1}"#), (d0 + 2 * SEC, r#"{"s":2}"#)],
    );
    let r = store
        .maintenance(d0 + DAY + 2 * 3600 * SEC)
        .expect("maintenance");
    assert_eq!(r.days_sealed.len(), 1, "{r:?}");
    let lines = |store: &Store| {
        let (_, f) = store.entries_with_fields(
            &sref("fake", &[("app", "a")]),
            d0,
            d0 + DAY,
            Direction::Forward,
        );
        f.map(|f| f.lines())
    };
    assert_eq!(lines(&store), Some(2));
    drop(store);
    let store = open(dir.path());
    assert_eq!(
        lines(&store),
        Some(2),
        "the saved file names the new generation"
    );
}

#[test]
fn a_seal_rebuilds_the_summaries_a_crash_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d0 = T0 - T0 % DAY;
    let store = open(dir.path());
    push(&store, "a", &[(d0 + SEC, r#"{"s":1}"#)]);
    push(&store, "b", &[(d0 + SEC, r#"{"s":1}"#)]);
    push(&store, "c", &[(d0 + SEC, r#"{"s":1}"#)]);
    store.flush().expect("flush");
    push(
        &store,
        "a",
        &[(d0 + 2 * SEC, r#"{"s":2}"#), (d0 + 3 * SEC, r#"{"s":9}"#)],
    );
    push(&store, "b", &[(d0 + 2 * SEC, r#"{"s":2}"#)]);
    push(&store, "c", &[(d0 + 2 * SEC, "not json")]);
    drop(store);

    let store = open(dir.path());
    let lines = |store: &Store, app: &str| {
        let (_, f) = store.entries_with_fields(
            &sref("fake", &[("app", app)]),
            d0,
            d0 + DAY,
            Direction::Forward,
        );
        f.map(|f| {
            (
                f.lines(),
                f.fields().map(|(_, s)| s.numbers()).collect::<Vec<_>>(),
            )
        })
    };
    assert_eq!(lines(&store, "a"), None, "replayed");
    let r = store
        .maintenance(d0 + DAY + 2 * 3600 * SEC)
        .expect("maintenance");
    assert_eq!(r.days_sealed.len(), 1, "{r:?}");
    assert_eq!(
        lines(&store, "a"),
        Some((3, vec![Some((1.0, 9.0))])),
        "rebuilt"
    );
    assert_eq!(lines(&store, "b"), Some((2, vec![Some((1.0, 2.0))])));
    assert_eq!(lines(&store, "c"), None, "a line that is not JSON");
    drop(store);
    let store = open(dir.path());
    assert_eq!(
        lines(&store, "a"),
        Some((3, vec![Some((1.0, 9.0))])),
        "saved"
    );
}

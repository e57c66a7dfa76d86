//! The global merge of a log query: entries of every selected stream, each
//! already in query direction, merged into one timeline the way Loki's heap
//! iterator does, cut at `limit`, thinned by `interval`, and regrouped into
//! result streams sorted by label string.
//!
//! Loki's rules reproduced here: equal timestamps are ordered by the result
//! label string ascending (in both directions); entries with the same label
//! string, timestamp and line are emitted once, whichever inputs they come
//! from;
//! `interval` keeps an entry only when it is at least `interval` after
//! (forward) or before (backward) the previously kept one. Loki's query
//! frontend runs a log query as one sub-query per UTC hour, so this spacing
//! starts afresh in every hour.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use crate::model::{Direction, Timestamp};

/// Labels of a result entry as the merge needs them.
pub trait ResultLabels {
    /// The full label string (`{a="b", c="d"}`), used for ordering and grouping.
    fn key(&self) -> &str;
}

/// One entry that passed the pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct MergedEntry<L> {
    /// Nanoseconds since the epoch.
    pub ts: Timestamp,
    /// The line after the pipeline.
    pub line: String,
    /// Its labels after the pipeline.
    pub labels: Arc<L>,
}

/// A source of entries in query direction (one stored stream after its pipeline).
pub trait EntrySource<L> {
    /// The error type of the source.
    type Error;
    /// The next entry, or None at the end.
    fn next_entry(&mut self) -> Result<Option<MergedEntry<L>>, Self::Error>;
}

/// Loki's `split_queries_by_interval`: the span of one frontend sub-query.
const SPLIT_INTERVAL: i64 = 3_600_000_000_000;

struct HeapItem<L> {
    entry: MergedEntry<L>,
    source: usize,
    backward: bool,
}

impl<L: ResultLabels> HeapItem<L> {
    /// Ordering for a max-heap: the item that must come out first is greatest.
    fn priority(&self, other: &Self) -> Ordering {
        let by_time = if self.backward {
            self.entry.ts.cmp(&other.entry.ts)
        } else {
            other.entry.ts.cmp(&self.entry.ts)
        };
        by_time
            .then_with(|| other.entry.labels.key().cmp(self.entry.labels.key()))
            .then_with(|| other.source.cmp(&self.source))
    }
}

impl<L: ResultLabels> PartialEq for HeapItem<L> {
    fn eq(&self, o: &Self) -> bool {
        self.priority(o) == Ordering::Equal
    }
}
impl<L: ResultLabels> Eq for HeapItem<L> {}
impl<L: ResultLabels> PartialOrd for HeapItem<L> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<L: ResultLabels> Ord for HeapItem<L> {
    fn cmp(&self, o: &Self) -> Ordering {
        self.priority(o)
    }
}

/// Merges `sources` in `direction`, returning at most `limit` entries in
/// global order. `interval` (ns, 0 = off) thins the output as Loki does.
/// Holds one pending entry per source plus the output.
pub fn merge<L, S>(
    mut sources: Vec<S>,
    direction: Direction,
    limit: usize,
    interval: i64,
) -> Result<Vec<MergedEntry<L>>, S::Error>
where
    L: ResultLabels,
    S: EntrySource<L>,
{
    let backward = direction == Direction::Backward;
    let mut heap = BinaryHeap::with_capacity(sources.len());
    for (i, s) in sources.iter_mut().enumerate() {
        if let Some(entry) = s.next_entry()? {
            heap.push(HeapItem {
                entry,
                source: i,
                backward,
            });
        }
    }
    let mut out = Vec::new();
    // The last kept entry's time and its hour (the frontend's split).
    let mut last_kept: Option<(Timestamp, i64)> = None;
    // Lines already seen with the current timestamp and label string.
    let mut group: Option<(Timestamp, Arc<L>)> = None;
    let mut group_lines: Vec<String> = Vec::new();
    while out.len() < limit {
        let Some(first) = heap.pop() else { break };
        refill(&mut sources, &mut heap, first.source, backward)?;
        let same_group = group.as_ref().is_some_and(|(ts, labels)| {
            *ts == first.entry.ts && labels.key() == first.entry.labels.key()
        });
        if !same_group {
            group = Some((first.entry.ts, first.entry.labels.clone()));
            group_lines.clear();
        }
        if group_lines.contains(&first.entry.line) {
            continue;
        }
        group_lines.push(first.entry.line.clone());
        let split = first.entry.ts.div_euclid(SPLIT_INTERVAL);
        let keep = match last_kept {
            _ if interval == 0 => true,
            None => true,
            Some((_, s)) if s != split => true,
            Some((prev, _)) if backward => first.entry.ts <= prev.saturating_sub(interval),
            Some((prev, _)) => first.entry.ts >= prev.saturating_add(interval),
        };
        if keep {
            last_kept = Some((first.entry.ts, split));
            out.push(first.entry);
        }
    }
    Ok(out)
}

fn refill<L: ResultLabels, S: EntrySource<L>>(
    sources: &mut [S],
    heap: &mut BinaryHeap<HeapItem<L>>,
    i: usize,
    backward: bool,
) -> Result<(), S::Error> {
    if let Some(s) = sources.get_mut(i) {
        if let Some(entry) = s.next_entry()? {
            heap.push(HeapItem {
                entry,
                source: i,
                backward,
            });
        }
    }
    Ok(())
}

/// A result stream: entries sharing one label key, in output order.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupedStream<L> {
    /// The key the entries were grouped by.
    pub key: String,
    /// Entries in direction order.
    pub entries: Vec<MergedEntry<L>>,
}

/// Groups merged entries by `key_of(labels)`, keeping direction order inside
/// each group, and sorts the groups by key ascending (Loki's stream order).
pub fn group_streams<L>(
    entries: Vec<MergedEntry<L>>,
    key_of: impl Fn(&L) -> String,
) -> Vec<GroupedStream<L>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<GroupedStream<L>> = Vec::new();
    // Entries with the same Arc share a key: remember the last computed one.
    let mut last: Option<(*const L, usize)> = None;
    for e in entries {
        let ptr = Arc::as_ptr(&e.labels);
        let gi = match last {
            Some((p, gi)) if p == ptr => gi,
            _ => {
                let key = key_of(&e.labels);
                let next = groups.len();
                let gi = *index.entry(key.clone()).or_insert(next);
                if gi == next {
                    groups.push(GroupedStream {
                        key,
                        entries: Vec::new(),
                    });
                }
                gi
            }
        };
        last = Some((ptr, gi));
        if let Some(g) = groups.get_mut(gi) {
            g.entries.push(e);
        }
    }
    groups.sort_by(|a, b| a.key.cmp(&b.key));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Key(String);
    impl ResultLabels for Key {
        fn key(&self) -> &str {
            &self.0
        }
    }

    struct VecSource(std::vec::IntoIter<MergedEntry<Key>>);
    impl EntrySource<Key> for VecSource {
        type Error = ();
        fn next_entry(&mut self) -> Result<Option<MergedEntry<Key>>, ()> {
            Ok(self.0.next())
        }
    }

    fn src(labels: &str, entries: &[(i64, &str)], dir: Direction) -> VecSource {
        let l = Arc::new(Key(labels.to_string()));
        let mut v: Vec<_> = entries
            .iter()
            .map(|(ts, line)| MergedEntry {
                ts: *ts,
                line: line.to_string(),
                labels: l.clone(),
            })
            .collect();
        if dir == Direction::Backward {
            v.reverse();
        }
        VecSource(v.into_iter())
    }

    fn flat(v: &[MergedEntry<Key>]) -> Vec<(i64, String, String)> {
        v.iter()
            .map(|e| (e.ts, e.labels.0.clone(), e.line.clone()))
            .collect()
    }

    #[test]
    fn limit_is_global_across_streams() {
        // logql.md §7 fixture A: limit 3 backward over [0, 60s).
        let dir = Direction::Backward;
        let a = src("{app=\"a\"}", &[(10, "a10"), (20, "a20"), (30, "a30")], dir);
        let b = src("{app=\"b\"}", &[(15, "b15")], dir);
        let out = merge(vec![a, b], dir, 3, 0).unwrap();
        assert_eq!(
            flat(&out),
            vec![
                (30, "{app=\"a\"}".into(), "a30".into()),
                (20, "{app=\"a\"}".into(), "a20".into()),
                (15, "{app=\"b\"}".into(), "b15".into()),
            ]
        );
        let groups = group_streams(out, |l| l.0.clone());
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].key, "{app=\"a\"}");
        assert_eq!(groups[0].entries.len(), 2);
    }

    #[test]
    fn ties_order_by_label_string_in_both_directions() {
        for dir in [Direction::Forward, Direction::Backward] {
            let z = src("{z=\"1\"}", &[(5, "z")], dir);
            let a = src("{a=\"1\"}", &[(5, "a")], dir);
            let out = merge(vec![z, a], dir, 10, 0).unwrap();
            assert_eq!(out[0].line, "a", "{dir:?}");
            assert_eq!(out[1].line, "z");
        }
    }

    #[test]
    fn identical_entries_from_two_inputs_are_emitted_once() {
        let dir = Direction::Forward;
        let a = src("{k=\"v\"}", &[(1, "x"), (2, "y")], dir);
        let b = src("{k=\"v\"}", &[(1, "x"), (2, "z")], dir);
        let out = merge(vec![a, b], dir, 10, 0).unwrap();
        let lines: Vec<_> = out.iter().map(|e| e.line.as_str()).collect();
        assert_eq!(lines, vec!["x", "y", "z"]);
    }

    #[test]
    fn identical_lines_at_one_time_are_emitted_once_even_from_one_input() {
        let dir = Direction::Forward;
        let a = src("{k=\"v\"}", &[(1, "x"), (1, "y"), (1, "x")], dir);
        let b = src("{k=\"v\"}", &[(1, "y"), (2, "x")], dir);
        let out = merge(vec![a, b], dir, 10, 0).unwrap();
        let got: Vec<_> = out.iter().map(|e| (e.ts, e.line.as_str())).collect();
        assert_eq!(got, vec![(1, "x"), (1, "y"), (2, "x")]);
    }

    #[test]
    fn interval_thins_output() {
        let dir = Direction::Forward;
        let a = src(
            "{a=\"1\"}",
            &[(0, "0"), (3, "3"), (5, "5"), (9, "9"), (10, "10")],
            dir,
        );
        let out = merge(vec![a], dir, 10, 5).unwrap();
        let ts: Vec<_> = out.iter().map(|e| e.ts).collect();
        assert_eq!(ts, vec![0, 5, 10]);
        let dir = Direction::Backward;
        let a = src(
            "{a=\"1\"}",
            &[(0, "0"), (3, "3"), (5, "5"), (9, "9"), (10, "10")],
            dir,
        );
        let out = merge(vec![a], dir, 10, 5).unwrap();
        let ts: Vec<_> = out.iter().map(|e| e.ts).collect();
        assert_eq!(ts, vec![10, 5, 0]);
    }

    #[test]
    fn interval_restarts_every_hour() {
        let h = SPLIT_INTERVAL;
        let dir = Direction::Forward;
        let a = src(
            "{a=\"1\"}",
            &[(h - 2, "x"), (h + 1, "y"), (h + 3, "z")],
            dir,
        );
        let out = merge(vec![a], dir, 10, 10).unwrap();
        let ts: Vec<_> = out.iter().map(|e| e.ts).collect();
        assert_eq!(ts, vec![h - 2, h + 1]);
    }

    #[test]
    fn errors_from_a_source_stop_the_merge() {
        struct Failing;
        impl EntrySource<Key> for Failing {
            type Error = &'static str;
            fn next_entry(&mut self) -> Result<Option<MergedEntry<Key>>, &'static str> {
                Err("boom")
            }
        }
        assert_eq!(
            merge(vec![Failing], Direction::Forward, 1, 0).unwrap_err(),
            "boom"
        );
    }
}

//! The first `limit` entries of a log query without `interval`, read one
//! stored stream at a time by a few worker threads.
//!
//! A lazy k-way merge over all streams must hold a decoded block of every
//! selected stream at once, and cannot run in parallel. Here each worker
//! takes the next stream, runs its entries through the pipeline in query
//! direction and offers those that pass to a shared, bounded candidate set
//! ordered exactly as the merge orders its output (time in direction, then
//! label string, then stream, then position in the stream). Once the set
//! holds `limit` entries, its last one is the cutoff: a stream is left as
//! soon as its entries lie beyond it, since nothing later in that stream can
//! make the output. Memory is `limit` entries plus one decoded block per
//! worker. The newest (backward) or oldest (forward) 64th of the range
//! is read first, so the cutoff is usually known before most of the data is
//! touched. The result equals the merge's (entries with equal time, label
//! string and line are kept once, as there).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{EntryRunner, KeyedLabels, LogQuery};
use crate::logql::pipeline::{FieldPlan, Pipeline, Verdict};
use crate::model::{Direction, Timestamp};
use crate::query::field_verdict;
use crate::query::log_merge::{MergedEntry, ResultLabels};
use crate::query::{Budget, QueryError};
use crate::store::{Store, StreamRef};

/// The first part read is this fraction of the query range.
const FIRST_PART_DIVISOR: i64 = 64;
/// Ranges whose first part would be shorter than this (ns) are read whole.
const MIN_FIRST_PART: i64 = 10_000_000_000;

/// A time that sorts ascending in output order: the time itself forward,
/// its bitwise complement backward (which reverses the order, without
/// overflow).
fn order_time(ts: Timestamp, backward: bool) -> i64 {
    if backward {
        !ts
    } else {
        ts
    }
}

/// An entry that may be part of the output.
struct Candidate {
    order: i64,
    labels: Arc<KeyedLabels>,
    stream: usize,
    position: u64,
    ts: Timestamp,
    line: String,
}

impl Candidate {
    fn rank(&self) -> (i64, &str, usize, u64) {
        (self.order, self.labels.key(), self.stream, self.position)
    }
}

impl PartialEq for Candidate {
    fn eq(&self, o: &Self) -> bool {
        self.rank() == o.rank()
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Candidate {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&o.rank())
    }
}

/// The best `limit` entries offered so far.
struct Candidates {
    limit: usize,
    set: BTreeSet<Candidate>,
}

impl Candidates {
    /// Adds `c` unless it ranks after a full set or repeats the line of an
    /// entry with the same time and label string; returns the new cutoff
    /// when the set is full.
    fn offer(&mut self, c: Candidate) -> Option<i64> {
        let full = self.set.len() >= self.limit;
        if full && self.set.last().is_some_and(|last| c > *last) {
            return None;
        }
        let low = Candidate {
            order: c.order,
            labels: c.labels.clone(),
            stream: 0,
            position: 0,
            ts: c.ts,
            line: String::new(),
        };
        // Of identical entries the merge keeps the one that ranks first.
        let duplicate = self
            .set
            .range(low..)
            .take_while(|o| o.order == c.order && o.labels.key() == c.labels.key())
            .find(|o| o.line == c.line)
            .map(|o| o.rank() < c.rank());
        match duplicate {
            Some(true) => return None,
            Some(false) => {
                self.set.retain(|o| {
                    !(o.order == c.order && o.labels.key() == c.labels.key() && o.line == c.line)
                });
            }
            None => {}
        }
        self.set.insert(c);
        if self.set.len() > self.limit {
            self.set.pop_last();
        }
        if self.set.len() >= self.limit {
            self.set.last().map(|l| l.order)
        } else {
            None
        }
    }
}

/// State shared by the workers of one query.
struct Shared<'a> {
    store: &'a Store,
    streams: &'a [StreamRef],
    pipeline: &'a Pipeline,
    /// Decides streams from their JSON field summaries, when it can.
    plan: Option<FieldPlan>,
    query: &'a LogQuery<'a>,
    budget: &'a Budget,
    next_stream: AtomicUsize,
    /// Order time of the last candidate once the set is full.
    cutoff: AtomicI64,
    candidates: Mutex<Candidates>,
    failed: AtomicBool,
    error: Mutex<Option<QueryError>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared<'_> {
    /// Takes streams until none is left or a worker failed, reading each
    /// over `[start, end)`.
    fn work(&self, start: Timestamp, end: Timestamp) {
        let backward = self.query.direction == Direction::Backward;
        // The entry of this part that ranks first: a stream whose entries
        // all rank after the cutoff need not be opened.
        let first = order_time(
            if backward {
                end.saturating_sub(1)
            } else {
                start
            },
            backward,
        );
        while !self.failed.load(Ordering::Relaxed) {
            let i = self.next_stream.fetch_add(1, Ordering::Relaxed);
            let Some(stream) = self.streams.get(i) else {
                return;
            };
            if first > self.cutoff.load(Ordering::Relaxed) {
                return;
            }
            if let Err(e) = self.scan(i, stream, start, end) {
                self.failed.store(true, Ordering::Relaxed);
                lock(&self.error).get_or_insert(e);
            }
        }
    }

    /// Runs every stream over `[start, end)` with `workers` threads.
    fn run_part(&self, start: Timestamp, end: Timestamp, workers: usize) {
        self.next_stream.store(0, Ordering::Relaxed);
        std::thread::scope(|scope| {
            for _ in 1..workers {
                scope.spawn(|| self.work(start, end));
            }
            self.work(start, end);
        });
    }

    /// Offers the entries of one stream in `[start, end)` until they pass
    /// the cutoff.
    fn scan(
        &self,
        index: usize,
        stream: &StreamRef,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<(), QueryError> {
        let q = self.query;
        let backward = q.direction == Direction::Backward;
        let opened = field_verdict::open(
            self.store,
            stream,
            start,
            end,
            q.direction,
            self.plan.as_ref(),
        )?;
        if opened.verdict == Verdict::NoLine {
            return Ok(());
        }
        let mut iter = opened.iter;
        iter.require_lines_containing(&self.pipeline.required_substrings());
        let mut runner = EntryRunner::new(self.pipeline.for_stream(&stream.labels));
        let mut position = 0u64;
        while let Some(batch) = iter.next_batch() {
            let batch = batch?;
            self.budget
                .charge(batch.len() as u64, batch.line_bytes() as u64)?;
            let mut passed = 0;
            for i in 0..batch.len() {
                let ts = batch.ts(i);
                let order = order_time(ts, backward);
                if order > self.cutoff.load(Ordering::Relaxed) {
                    self.budget.passed(passed);
                    return Ok(());
                }
                let Some((line, labels)) = runner.run(batch, i) else {
                    continue;
                };
                passed += 1;
                position += 1;
                let candidate = Candidate {
                    order,
                    labels,
                    stream: index,
                    position,
                    ts,
                    line,
                };
                if let Some(cutoff) = lock(&self.candidates).offer(candidate) {
                    self.cutoff.store(cutoff, Ordering::Relaxed);
                }
            }
            self.budget.passed(passed);
            if self.failed.load(Ordering::Relaxed) {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// The first `q.limit` entries of `streams` after the pipeline, in output
/// order. `q.interval` must be 0.
pub fn first_entries(
    store: &Store,
    streams: &[StreamRef],
    pipeline: &Pipeline,
    q: &LogQuery<'_>,
    budget: &Budget,
) -> Result<Vec<MergedEntry<KeyedLabels>>, QueryError> {
    if q.limit == 0 {
        return Ok(Vec::new());
    }
    let shared = Shared {
        store,
        streams,
        pipeline,
        plan: pipeline.field_plan(),
        query: q,
        budget,
        next_stream: AtomicUsize::new(0),
        cutoff: AtomicI64::new(i64::MAX),
        candidates: Mutex::new(Candidates {
            limit: q.limit,
            set: BTreeSet::new(),
        }),
        failed: AtomicBool::new(false),
        error: Mutex::new(None),
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(crate::query::MAX_QUERY_WORKERS)
        .min(streams.len())
        .max(1);
    // The newest (backward) or oldest (forward) 64th first: when it
    // fills the limit, the rest of each stream is left unread.
    let first_part = q.end.saturating_sub(q.start) / FIRST_PART_DIVISOR;
    if first_part >= MIN_FIRST_PART {
        let split = if q.direction == Direction::Backward {
            q.end - first_part
        } else {
            q.start + first_part
        };
        let (near, far) = if q.direction == Direction::Backward {
            ((split, q.end), (q.start, split))
        } else {
            ((q.start, split), (split, q.end))
        };
        shared.run_part(near.0, near.1, workers);
        shared.run_part(far.0, far.1, workers);
    } else {
        shared.run_part(q.start, q.end, workers);
    }
    if let Some(e) = lock(&shared.error).take() {
        return Err(e);
    }
    // A candidate's rank reads only its time, label string, stream and
    // position, none of which the labels' lazily filled caches can change.
    #[allow(clippy::mutable_key_type)]
    let set = std::mem::take(&mut lock(&shared.candidates).set);
    Ok(set
        .into_iter()
        .map(|c| MergedEntry {
            ts: c.ts,
            line: c.line,
            labels: c.labels,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ast::Expr;
    use crate::model::{Entry, Label, Labels, PushStream};
    use crate::query::log_merge::{self, EntrySource};
    use crate::query::QueryLimits;
    use crate::store::StoreConfig;
    use proptest::prelude::*;

    /// Adapts one stream's collected entries for the lazy merge.
    struct Listed(std::vec::IntoIter<MergedEntry<KeyedLabels>>);
    impl EntrySource<KeyedLabels> for Listed {
        type Error = QueryError;
        fn next_entry(&mut self) -> Result<Option<MergedEntry<KeyedLabels>>, QueryError> {
            Ok(self.0.next())
        }
    }

    fn log_expr(q: &str) -> crate::logql::ast::LogExpr {
        match crate::logql::parser::parse_expr(q) {
            Ok(Expr::Log(l)) => l,
            other => panic!("not a log query: {other:?}"),
        }
    }

    fn flat(v: &[MergedEntry<KeyedLabels>]) -> Vec<(i64, String, String)> {
        v.iter()
            .map(|e| (e.ts, e.labels.key().to_string(), e.line.clone()))
            .collect()
    }

    /// Streams `s0..sN` whose entries sit on a coarse time grid (30 s, so
    /// the range is read in two parts) (many equal
    /// timestamps across streams) with few distinct lines (duplicates).
    fn write(store: &Store, streams: &[Vec<(u8, u8)>]) {
        for (i, entries) in streams.iter().enumerate() {
            let mut entries: Vec<Entry> = entries
                .iter()
                .map(|&(t, l)| Entry {
                    ts: 1_795_449_600_000_000_000 + i64::from(t) * 30_000_000_000,
                    line: format!("line {}", l % 4),
                    metadata: vec![Label::new("m", (l % 2).to_string())],
                })
                .collect();
            entries.sort_by_key(|e| e.ts);
            entries.dedup_by(|a, b| a.ts == b.ts && a.line == b.line);
            let labels = Labels::from_pairs([("app", "a"), ("s", &format!("s{i}"))]);
            store
                .append("fake", &[PushStream { labels, entries }])
                .expect("append");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn equals_the_lazy_merge(
            streams in proptest::collection::vec(
                proptest::collection::vec((0u8..40, 0u8..8), 0..60), 1..6),
            limit in 1usize..50,
            backward in any::<bool>(),
        ) {
            let tmp = tempfile::tempdir().expect("tempdir");
            let store = Store::open(StoreConfig {
                dir: tmp.path().to_path_buf(),
                block_size: 256,
                ..Default::default()
            }).expect("open");
            write(&store, &streams);
            let direction = if backward { Direction::Backward } else { Direction::Forward };
            // `drop s` makes streams share label sets (cross-stream duplicates).
            for query in [r#"{app="a"}"#, r#"{app="a"} | drop s"#, r#"{app="a"} |= "line 1" or "line 2" | drop s, m"#] {
                let expr = log_expr(query);
                let q = LogQuery {
                    expr: &expr,
                    start: 1_795_449_600_000_000_000,
                    end: 1_795_449_600_000_000_000 + 35 * 30_000_000_000,
                    limit,
                    direction,
                    interval: 0,
                    categorize: false,
                };
                let budget = Budget::new(&QueryLimits::default());
                let refs = store.streams(&["fake"], &expr.selector, q.start, q.end).expect("streams");
                let pipeline = Pipeline::new(&expr.stages);
                let got = first_entries(&store, &refs, &pipeline, &q, &budget).expect("collect");
                // The reference: every stream read whole, then merged lazily.
                let all = LogQuery { limit: usize::MAX, ..q.clone() };
                let sources: Vec<Listed> = refs
                    .iter()
                    .map(|r| {
                        let one = first_entries(&store, std::slice::from_ref(r), &pipeline, &all, &budget)
                            .expect("collect one");
                        Listed(one.into_iter())
                    })
                    .collect();
                let want = log_merge::merge(sources, direction, limit, 0).expect("merge");
                prop_assert_eq!(flat(&got), flat(&want), "{}", query);
            }
        }
    }
}

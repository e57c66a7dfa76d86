//! Log queries: select streams from the index, run each stream's entries
//! through the pipeline lazily, merge them globally with Loki's ordering and
//! limit, and shape the result (plain or categorized labels).

use std::collections::HashMap;
use std::sync::Arc;

use crate::logql::ast::LogExpr;
use crate::logql::pipeline::{LabelsResult, Pipeline, StreamPipeline, Verdict};
use crate::model::{Direction, Labels, Timestamp};
use crate::query::field_verdict;
use crate::query::log_merge::{self, EntrySource, MergedEntry, ResultLabels};
use crate::query::result::{LogResult, QueryStats, ResultEntry, ResultStream};
use crate::query::{Budget, QueryError};
use crate::store::{EntryBatch, EntryIter, Store};

mod collect;

/// A log query over `[start, end)`.
#[derive(Clone, Debug)]
pub struct LogQuery<'a> {
    /// Selector and pipeline.
    pub expr: &'a LogExpr,
    /// Inclusive start, ns.
    pub start: Timestamp,
    /// Exclusive end, ns.
    pub end: Timestamp,
    /// Most entries returned.
    pub limit: usize,
    /// Result order.
    pub direction: Direction,
    /// Minimum spacing of returned entries, ns (0 = off).
    pub interval: i64,
    /// Split labels into stream / structured metadata / parsed.
    pub categorize: bool,
}

/// Pipeline output labels with their label string computed once.
pub struct KeyedLabels {
    result: Arc<LabelsResult>,
    key: String,
}

impl ResultLabels for KeyedLabels {
    fn key(&self) -> &str {
        &self.key
    }
}

impl KeyedLabels {
    /// Loki's categorized stream labels: every label minus the names that
    /// are structured metadata or parsed.
    fn stream_labels(&self) -> Labels {
        let mut l = self.result.all().clone();
        let sm = self.result.structured_metadata();
        let parsed = self.result.parsed();
        l.retain(|x| sm.get(&x.name).is_none() && parsed.get(&x.name).is_none());
        l
    }
}

/// One stored stream's entries after its pipeline, in query direction.
struct StreamSource<'a> {
    iter: EntryIter,
    /// Next entry of the iterator's current batch, and that batch's length.
    pos: usize,
    len: usize,
    runner: EntryRunner,
    budget: &'a Budget,
}

/// Runs one stored stream's entries through its pipeline and keys the
/// resulting labels (the step both the merge and the collector need).
struct EntryRunner {
    pipeline: StreamPipeline,
    keys: HashMap<*const LabelsResult, Arc<KeyedLabels>>,
    /// Kept alive so the addresses in `keys` stay unique.
    held: Vec<Arc<LabelsResult>>,
    /// The allocation of the per-entry metadata list, reused.
    metadata: Vec<(&'static str, &'static str)>,
}

/// Reuses a vector's allocation for references of another lifetime (an
/// empty `Vec` of same-layout items collects in place).
fn recycle<'b>(mut v: Vec<(&str, &str)>) -> Vec<(&'b str, &'b str)> {
    v.clear();
    v.into_iter().map(|_| ("", "")).collect()
}

impl EntryRunner {
    fn new(pipeline: StreamPipeline) -> Self {
        EntryRunner {
            pipeline,
            keys: HashMap::new(),
            held: Vec::new(),
            metadata: Vec::new(),
        }
    }

    /// Entry `i` of `batch` after the pipeline: its line and keyed labels,
    /// or `None` when filtered out.
    fn run(&mut self, batch: &EntryBatch, i: usize) -> Option<(String, Arc<KeyedLabels>)> {
        let mut md = recycle(std::mem::take(&mut self.metadata));
        md.extend(batch.metadata(i));
        let out = self
            .pipeline
            .process(batch.ts(i), batch.line(i), &md)
            .map(|(line, labels)| (line.to_string(), labels));
        self.metadata = recycle(md);
        let (line, labels) = out?;
        Some((line, self.keyed(labels)))
    }

    /// The keyed form of `labels`, computed once per distinct result.
    fn keyed(&mut self, labels: Arc<LabelsResult>) -> Arc<KeyedLabels> {
        let ptr = Arc::as_ptr(&labels);
        if let Some(k) = self.keys.get(&ptr) {
            return k.clone();
        }
        let k = Arc::new(KeyedLabels {
            key: labels.all().to_string(),
            result: labels.clone(),
        });
        self.keys.insert(ptr, k.clone());
        self.held.push(labels);
        k
    }
}

impl EntrySource<KeyedLabels> for StreamSource<'_> {
    type Error = QueryError;

    fn next_entry(&mut self) -> Result<Option<MergedEntry<KeyedLabels>>, QueryError> {
        loop {
            if self.pos >= self.len {
                match self.iter.next_batch() {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(e.into()),
                    Some(Ok(batch)) => {
                        self.pos = 0;
                        self.len = batch.len();
                        self.budget
                            .charge(batch.len() as u64, batch.line_bytes() as u64)?;
                        continue;
                    }
                }
            }
            let Some(batch) = self.iter.current_batch() else {
                self.len = 0;
                continue;
            };
            let i = self.pos;
            self.pos += 1;
            let ts = batch.ts(i);
            if let Some((line, labels)) = self.runner.run(batch, i) {
                self.budget.passed(1);
                return Ok(Some(MergedEntry { ts, line, labels }));
            }
        }
    }
}

/// Runs a log query against the store.
pub fn run(
    store: &Store,
    tenants: &[&str],
    q: &LogQuery<'_>,
    budget: &Budget,
) -> Result<LogResult, QueryError> {
    let streams = store.streams(tenants, &q.expr.selector, q.start, q.end)?;
    let pipeline = Pipeline::new(&q.expr.stages);
    let merged = if q.interval == 0 {
        collect::first_entries(store, &streams, &pipeline, q, budget)?
    } else {
        let plan = pipeline.field_plan();
        let mut sources: Vec<StreamSource<'_>> = Vec::with_capacity(streams.len());
        for s in &streams {
            let opened = field_verdict::open(store, s, q.start, q.end, q.direction, plan.as_ref())?;
            if opened.verdict == Verdict::NoLine {
                continue;
            }
            let mut iter = opened.iter;
            iter.require_lines_containing(&pipeline.required_substrings());
            sources.push(StreamSource {
                iter,
                pos: 0,
                len: 0,
                runner: EntryRunner::new(pipeline.for_stream(&s.labels)),
                budget,
            });
        }
        log_merge::merge(sources, q.direction, q.limit, q.interval)?
    };
    let entries_returned = merged.len() as u64;
    let groups = if q.categorize {
        log_merge::group_streams(merged, |l| l.stream_labels().to_string())
    } else {
        log_merge::group_streams(merged, |l| l.key.clone())
    };
    let result_streams = groups
        .into_iter()
        .map(|g| {
            let labels = match g.entries.first() {
                Some(e) if q.categorize => e.labels.stream_labels(),
                Some(e) => e.labels.result.all().clone(),
                None => Labels::new(),
            };
            let entries = g
                .entries
                .into_iter()
                .map(|e| ResultEntry {
                    ts: e.ts,
                    structured_metadata: if q.categorize {
                        e.labels.result.structured_metadata().clone()
                    } else {
                        Labels::new()
                    },
                    parsed: if q.categorize {
                        e.labels.result.parsed().clone()
                    } else {
                        Labels::new()
                    },
                    line: e.line,
                })
                .collect();
            ResultStream { labels, entries }
        })
        .collect();
    let mut stats: QueryStats = budget.stats();
    stats.entries_returned = entries_returned;
    stats.streams = streams.len() as u64;
    Ok(LogResult {
        streams: result_streams,
        stats,
    })
}

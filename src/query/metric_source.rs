//! The metric evaluator's [`SampleSource`] over the store: one stored stream
//! after the other, each through the range aggregation's sample extractor.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::Scope;

use crate::logql::ast::{Grouping, MetricExpr, RangeAggregation, VectorOp};
use crate::logql::eval::source::{SampleItem, SampleRequest, SampleSource, SeriesSamples};
use crate::logql::eval::steps::WindowGrid;
use crate::logql::eval::EvalError;
use crate::logql::pipeline::{
    FieldPlan, LabelsResult, SampleExtractor, StreamSampleExtractor, Verdict,
};
use crate::model::Direction;
use crate::query::{field_verdict, Budget, QueryError};
use crate::store::{Counts, EntryIter, Store, StreamRef};

/// Reads samples of a metric query's range aggregations from the store.
pub struct StoreSampleSource<'a, 'e> {
    store: &'a Store,
    tenants: &'a [&'a str],
    budget: &'a Budget,
    /// The vector aggregation directly around each range aggregation (by
    /// address in the query tree): Loki pushes a `sum`'s grouping down into
    /// the extractor.
    parents: HashMap<*const RangeAggregation, (VectorOp, Option<Grouping>)>,
    /// Where worker threads may run, and how many one request may use.
    scope: Option<&'a Scope<'a, 'e>>,
    workers: usize,
}

fn collect_parents(
    e: &MetricExpr,
    out: &mut HashMap<*const RangeAggregation, (VectorOp, Option<Grouping>)>,
) {
    match e {
        MetricExpr::VectorAgg(v) => {
            if let MetricExpr::RangeAgg(r) = v.inner.as_ref() {
                out.insert(r as *const _, (v.op, v.grouping.clone()));
            }
            collect_parents(&v.inner, out);
        }
        MetricExpr::Binary(b) => {
            collect_parents(&b.lhs, out);
            collect_parents(&b.rhs, out);
        }
        MetricExpr::LabelReplace(l) => collect_parents(&l.inner, out),
        MetricExpr::RangeAgg(_) | MetricExpr::Literal(_) | MetricExpr::Vector(_) => {}
    }
}

impl<'a, 'e> StoreSampleSource<'a, 'e> {
    /// A source for the range aggregations of `expr`.
    pub fn new(
        store: &'a Store,
        tenants: &'a [&'a str],
        expr: &MetricExpr,
        budget: &'a Budget,
    ) -> Self {
        let mut parents = HashMap::new();
        collect_parents(expr, &mut parents);
        StoreSampleSource {
            store,
            tenants,
            budget,
            parents,
            scope: None,
            workers: 1,
        }
    }

    /// Lets each request read its streams with up to `workers` threads
    /// spawned in `scope`.
    pub fn in_parallel(mut self, scope: &'a Scope<'a, 'e>, workers: usize) -> Self {
        self.scope = Some(scope);
        self.workers = workers.max(1);
        self
    }

    fn extractor(&self, range: &RangeAggregation) -> SampleExtractor {
        match self.parents.get(&(range as *const _)) {
            Some((op, grouping)) => {
                SampleExtractor::for_vector_aggregation(range, *op, grouping.as_ref())
            }
            None => SampleExtractor::new(range),
        }
    }
}

fn eval_err(e: QueryError) -> EvalError {
    match e {
        QueryError::Timeout => EvalError::Timeout,
        QueryError::Eval(e) => e,
        other => EvalError::Source(other.to_string()),
    }
}

impl SampleSource for StoreSampleSource<'_, '_> {
    fn samples<'s>(
        &'s self,
        req: &SampleRequest<'s>,
    ) -> Result<Box<dyn SeriesSamples + 's>, EvalError> {
        let log = &req.range.range.log;
        // The evaluator's window is (from, through]; the store reads [start, end).
        let start = req.from.saturating_add(1);
        let end = req.through.saturating_add(1);
        let streams = self
            .store
            .streams(self.tenants, &log.selector, start, end)
            .map_err(|e| EvalError::Source(e.to_string()))?;
        let extractor = self.extractor(req.range);
        let reading = Reading {
            store: self.store,
            budget: self.budget,
            plan: extractor.field_plan(),
            extractor,
            start,
            end,
            windows: req.accepts_blocks.then(|| req.windows.clone()),
        };
        let workers = self.workers.min(streams.len());
        let feed = match self.scope {
            Some(scope) if workers > 1 => Feed::parallel(scope, reading, streams, workers),
            _ => Feed::Local {
                reading: Box::new(reading),
                streams: streams.into_iter(),
                current: None,
            },
        };
        Ok(Box::new(StoreSamples {
            feed,
            pending: VecDeque::new(),
        }))
    }
}

/// What reading one request needs, shared by every stream.
#[derive(Clone)]
struct Reading<'a> {
    store: &'a Store,
    budget: &'a Budget,
    extractor: SampleExtractor,
    start: i64,
    end: i64,
    /// The request's windows when it takes block totals.
    windows: Option<WindowGrid>,
    /// How streams can be decided from JSON field summaries, when the
    /// range allows.
    plan: Option<FieldPlan>,
}

impl Reading<'_> {
    fn open(&self, stream: &StreamRef) -> Result<StreamReader, EvalError> {
        let source = |e: crate::store::StoreError| EvalError::Source(e.to_string());
        let opened = field_verdict::open(
            self.store,
            stream,
            self.start,
            self.end,
            Direction::Forward,
            self.plan.as_ref(),
        )
        .map_err(source)?;
        let mut iter = opened.iter;
        let metadata_names = opened.metadata_names;
        // A stream whose JSON field summary decides the filters is skipped,
        // or counted as if the range had no stages.
        let mut extractor = &self.extractor;
        match opened.verdict {
            Verdict::NoLine => return Ok(StreamReader::finished(iter, extractor, stream)),
            Verdict::EveryLine => {
                extractor = self
                    .plan
                    .as_ref()
                    .and_then(FieldPlan::stageless)
                    .unwrap_or(extractor)
            }
            Verdict::Read => {}
        }
        let line_free = extractor.line_free_value();
        iter.require_lines_containing(&extractor.required_substrings());
        let mut reader = StreamReader {
            iter,
            extractor: extractor.for_stream(&stream.labels),
            line_free,
            series: SeriesIds::default(),
            seen_metadata: MetadataSeries::new(extractor.metadata_names_that_matter()),
            totals: None,
            finished: false,
        };
        // A count or byte sum whose labels cannot depend on the entries is
        // answered from timestamps and line lengths, or block totals.
        let no_stages = !extractor.has_stages();
        if let (Some(value_of), Some(windows), true) = (line_free, &self.windows, no_stages) {
            let names = match metadata_names {
                Some(names) => names,
                None => self
                    .store
                    .metadata_names(stream, self.start, self.end)
                    .map_err(source)?,
            };
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            if extractor.labels_ignore_metadata(&names) {
                reader.totals = Some(Totals {
                    windows: windows.clone(),
                    value_of,
                    series: None,
                });
            }
        }
        // Samples from line lengths and labels from metadata: no line text.
        if line_free.is_some() && reader.totals.is_none() {
            reader.iter.without_line_text();
        }
        Ok(reader)
    }
}

/// How a stream whose samples need no line text is read.
struct Totals {
    windows: WindowGrid,
    value_of: fn(usize) -> f64,
    /// The stream's one series, once declared.
    series: Option<u32>,
}

/// Reads one stored stream's samples, a batch at a time.
struct StreamReader {
    iter: EntryIter,
    extractor: StreamSampleExtractor,
    /// The sample of an entry from its line length, when no stage of the
    /// range reads the line (see [`SampleExtractor::line_free_value`]).
    line_free: Option<fn(usize) -> f64>,
    series: SeriesIds,
    /// Series of the metadata combinations seen last (only when samples
    /// are line free).
    seen_metadata: MetadataSeries,
    /// Set when the stream is read without line text.
    totals: Option<Totals>,
    /// Set when no entry of the stream gives a sample.
    finished: bool,
}

impl StreamReader {
    /// A reader that gives nothing: no entry of the stream gives a sample.
    fn finished(iter: EntryIter, extractor: &SampleExtractor, stream: &StreamRef) -> Self {
        StreamReader {
            iter,
            extractor: extractor.for_stream(&stream.labels),
            line_free: None,
            series: SeriesIds::default(),
            seen_metadata: MetadataSeries::new(None),
            totals: None,
            finished: true,
        }
    }

    /// Appends the next batch's items to `out`; false at the stream's end
    /// (nothing appended).
    fn fill(&mut self, budget: &Budget, out: &mut VecDeque<SampleItem>) -> Result<bool, EvalError> {
        if self.finished {
            return Ok(false);
        }
        if self.totals.is_some() {
            return self.fill_totals(budget, out);
        }
        let Some(next) = self.iter.next_batch() else {
            return Ok(false);
        };
        let batch = next.map_err(|e| EvalError::Source(e.to_string()))?;
        budget
            .charge(batch.len() as u64, batch.line_bytes() as u64)
            .map_err(eval_err)?;
        let mut md: Vec<(&str, &str)> = Vec::new();
        let mut passed = 0u64;
        for i in 0..batch.len() {
            let ts = batch.ts(i);
            md.clear();
            md.extend(batch.metadata(i));
            let (value, id) = match self.line_free {
                // Line free: whether an entry gives a sample, and its
                // labels, follow from its metadata; the value from its
                // length (the batch may have no line text).
                Some(value_of) => {
                    let id = match self.seen_metadata.get(&md) {
                        Some(id) => id,
                        None => {
                            let labels = self.extractor.process(ts, "", &md).map(|(_, l)| l);
                            let id = labels.map(|l| self.series.declare(l, out));
                            self.seen_metadata.insert(&md, id);
                            id
                        }
                    };
                    let Some(id) = id else {
                        continue;
                    };
                    (value_of(batch.line_len(i)), id)
                }
                None => {
                    let Some((value, labels)) = self.extractor.process(ts, batch.line(i), &md)
                    else {
                        continue;
                    };
                    (value, self.series.declare(labels, out))
                }
            };
            passed += 1;
            out.push_back(SampleItem::Sample { id, ts, value });
        }
        budget.passed(passed);
        Ok(true)
    }
}

impl StreamReader {
    /// [`Self::fill`] from block totals where the windows allow, else from
    /// timestamps and line lengths.
    fn fill_totals(
        &mut self,
        budget: &Budget,
        out: &mut VecDeque<SampleItem>,
    ) -> Result<bool, EvalError> {
        let Some(totals) = self.totals.as_mut() else {
            return Ok(false);
        };
        let windows = &totals.windows;
        let Some(next) = self
            .iter
            .next_counts(&mut |min, max| windows.takes_whole(min, max))
        else {
            return Ok(false);
        };
        let counts = next.map_err(|e| EvalError::Source(e.to_string()))?;
        let id = match totals.series {
            Some(id) => id,
            None => {
                // No stages: every entry passes, with the stream's labels.
                let Some((_, labels)) = self.extractor.process(0, "", &[]) else {
                    return Ok(true);
                };
                let id = self.series.declare(labels, out);
                totals.series = Some(id);
                id
            }
        };
        match counts {
            Counts::Summary {
                min_ts,
                max_ts,
                entries,
                bytes,
            } => {
                let entries = u64::from(entries);
                budget.charge(entries, bytes).map_err(eval_err)?;
                budget.passed(entries);
                out.push_back(SampleItem::Block {
                    id,
                    ts_min: min_ts,
                    ts_max: max_ts,
                    count: entries,
                    bytes,
                });
            }
            Counts::Entries(batch) => {
                let bytes = (0..batch.len()).map(|i| u64::from(batch.line_len(i))).sum();
                budget.charge(batch.len() as u64, bytes).map_err(eval_err)?;
                budget.passed(batch.len() as u64);
                // Runs of entries in one elementary bucket of the windows
                // become blocks; entries no window holds are left out.
                let mut run: Option<Run> = None;
                for i in 0..batch.len() {
                    let (ts, len) = (batch.ts(i), batch.line_len(i));
                    if let Some(r) = run.as_mut().filter(|r| ts <= r.bucket_end) {
                        r.add(ts, len);
                        continue;
                    }
                    if let Some(r) = run.take() {
                        out.push_back(r.item(id, totals.value_of));
                    }
                    run = windows
                        .bucket_end(ts)
                        .map(|bucket_end| Run::new(ts, len, bucket_end));
                }
                if let Some(r) = run {
                    out.push_back(r.item(id, totals.value_of));
                }
            }
        }
        Ok(true)
    }
}

/// Consecutive entries of one series counted together.
struct Run {
    first: i64,
    last: i64,
    /// End of the elementary bucket of the windows holding the run.
    bucket_end: i64,
    count: u64,
    bytes: u64,
}

impl Run {
    fn new(ts: i64, len: u32, bucket_end: i64) -> Run {
        Run {
            first: ts,
            last: ts,
            bucket_end,
            count: 1,
            bytes: u64::from(len),
        }
    }

    fn add(&mut self, ts: i64, len: u32) {
        self.last = ts;
        self.count += 1;
        self.bytes += u64::from(len);
    }

    /// One sample for a single entry, else a block of the run's totals.
    fn item(&self, id: u32, value_of: fn(usize) -> f64) -> SampleItem {
        if self.count == 1 {
            SampleItem::Sample {
                id,
                ts: self.first,
                value: value_of(self.bytes as usize),
            }
        } else {
            SampleItem::Block {
                id,
                ts_min: self.first,
                ts_max: self.last,
                count: self.count,
                bytes: self.bytes,
            }
        }
    }
}

/// The outcome (series id, or none when the pipeline drops the entry) of
/// the last few combinations of the metadata that matters, for line-free
/// samples, whose outcome follows from that metadata alone.
struct MetadataSeries {
    /// Names that matter; `None`: all of them.
    names: Option<Vec<String>>,
    /// Combinations and their outcomes.
    seen: Vec<(MetadataPairs, Option<u32>)>,
    /// Slot the next new combination replaces once `seen` is full.
    next: usize,
}

/// The metadata pairs of an entry that matter, in stored order.
type MetadataPairs = Vec<(String, String)>;

/// Metadata combinations a stream reader remembers.
const METADATA_COMBINATIONS: usize = 16;

impl MetadataSeries {
    fn new(names: Option<Vec<String>>) -> Self {
        MetadataSeries {
            names,
            seen: Vec::new(),
            next: 0,
        }
    }

    fn matters(&self, name: &str) -> bool {
        self.names
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    }

    /// The remembered outcome of `md`'s combination.
    fn get(&self, md: &[(&str, &str)]) -> Option<Option<u32>> {
        self.seen.iter().find_map(|(pairs, outcome)| {
            let mut wanted = md.iter().filter(|(k, _)| self.matters(k));
            let same = pairs
                .iter()
                .all(|(k, v)| wanted.next().is_some_and(|(l, w)| k == l && v == w))
                && wanted.next().is_none();
            same.then_some(*outcome)
        })
    }

    fn insert(&mut self, md: &[(&str, &str)], outcome: Option<u32>) {
        let pairs = md
            .iter()
            .filter(|(k, _)| self.matters(k))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if self.seen.len() < METADATA_COMBINATIONS {
            self.seen.push((pairs, outcome));
        } else {
            self.seen[self.next] = (pairs, outcome);
            self.next = (self.next + 1) % METADATA_COMBINATIONS;
        }
    }
}

/// The series ids given to the label sets of one stream.
#[derive(Default)]
struct SeriesIds {
    ids: HashMap<*const LabelsResult, u32>,
    /// Kept alive so the pointers in `ids` stay unique.
    held: Vec<Arc<LabelsResult>>,
}

impl SeriesIds {
    /// The series id of `labels`, declared in `out` the first time.
    fn declare(&mut self, labels: Arc<LabelsResult>, out: &mut VecDeque<SampleItem>) -> u32 {
        let ptr = Arc::as_ptr(&labels);
        if let Some(id) = self.ids.get(&ptr) {
            return *id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(ptr, id);
        out.push_back(SampleItem::Series {
            id,
            labels: Arc::new(labels.all().clone()),
        });
        self.held.push(labels);
        id
    }
}

/// Items a worker hands over at once (a whole stream's end is sent at once
/// too).
const CHUNK_ITEMS: usize = 4096;
/// Chunks a worker may have waiting before it pauses.
const CHUNKS_AHEAD: usize = 16;

type Chunk = Result<VecDeque<SampleItem>, EvalError>;

/// Where the items of a request come from.
enum Feed<'a> {
    /// Streams read one after the other on the caller's thread.
    Local {
        reading: Box<Reading<'a>>,
        streams: std::vec::IntoIter<StreamRef>,
        current: Option<Box<StreamReader>>,
    },
    /// Workers read their share of the streams ahead of the caller, who
    /// takes the streams in the order they were dealt: the items of the
    /// `i`-th stream come from the worker `dealt[i]` names.
    Parallel {
        workers: Vec<Receiver<Chunk>>,
        dealt: Arc<Vec<(StreamRef, usize)>>,
        next: usize,
    },
}

impl<'a> Feed<'a> {
    fn parallel(
        scope: &'a Scope<'a, '_>,
        reading: Reading<'a>,
        streams: Vec<StreamRef>,
        n: usize,
    ) -> Feed<'a> {
        let dealt = Arc::new(deal_streams(&reading, streams, n));
        let workers = (0..n)
            .map(|k| {
                let (tx, rx) = sync_channel::<Chunk>(CHUNKS_AHEAD);
                let reading = reading.clone();
                let dealt = dealt.clone();
                scope.spawn(move || {
                    for (s, _) in dealt.iter().filter(|(_, w)| *w == k) {
                        if !read_stream(&reading, s, &tx) {
                            return;
                        }
                    }
                });
                rx
            })
            .collect();
        Feed::Parallel {
            workers,
            dealt,
            next: 0,
        }
    }
}

/// Deals `streams` to `n` workers so their shares of line bytes are even:
/// the largest stream first, each to the worker with the least so far.
/// Returns the streams in dealing order, each with its worker. Sizes come
/// from block headers; a stream whose size cannot be read counts as empty
/// (reading it reports the error).
fn deal_streams(
    reading: &Reading<'_>,
    streams: Vec<StreamRef>,
    n: usize,
) -> Vec<(StreamRef, usize)> {
    let mut sized: Vec<(u64, StreamRef)> = streams
        .into_iter()
        .map(|s| {
            let bytes = reading
                .store
                .stream_stats(&s, reading.start, reading.end)
                .map_or(0, |st| st.bytes);
            (bytes, s)
        })
        .collect();
    // Stable: equal sizes keep the streams' own order.
    sized.sort_by_key(|(bytes, _)| std::cmp::Reverse(*bytes));
    let mut load = vec![0u64; n.max(1)];
    sized
        .into_iter()
        .map(|(bytes, s)| {
            let (w, _) = load
                .iter()
                .enumerate()
                .min_by_key(|(_, l)| **l)
                .unwrap_or((0, &0));
            load[w] += bytes;
            (s, w)
        })
        .collect()
}

/// Sends one stream's items in chunks, ending with `StreamEnd`; false when
/// the caller is gone or the stream failed.
fn read_stream(reading: &Reading<'_>, stream: &StreamRef, tx: &SyncSender<Chunk>) -> bool {
    let mut reader = match reading.open(stream) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Err(e));
            return false;
        }
    };
    let mut chunk = VecDeque::new();
    loop {
        match reader.fill(reading.budget, &mut chunk) {
            Ok(true) if chunk.len() < CHUNK_ITEMS => {}
            Ok(true) => {
                if tx.send(Ok(std::mem::take(&mut chunk))).is_err() {
                    return false;
                }
            }
            Ok(false) => {
                chunk.push_back(SampleItem::StreamEnd);
                return tx.send(Ok(chunk)).is_ok();
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                return false;
            }
        }
    }
}

struct StoreSamples<'a> {
    feed: Feed<'a>,
    pending: VecDeque<SampleItem>,
}

impl SeriesSamples for StoreSamples<'_> {
    fn next_item(&mut self) -> Result<Option<SampleItem>, EvalError> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Ok(Some(item));
            }
            match &mut self.feed {
                Feed::Local {
                    reading,
                    streams,
                    current,
                } => {
                    if current.is_none() {
                        let Some(s) = streams.next() else {
                            return Ok(None);
                        };
                        *current = Some(Box::new(reading.open(&s)?));
                    }
                    if let Some(reader) = current.as_mut() {
                        if !reader.fill(reading.budget, &mut self.pending)? {
                            *current = None;
                            return Ok(Some(SampleItem::StreamEnd));
                        }
                    }
                }
                Feed::Parallel {
                    workers,
                    dealt,
                    next,
                } => {
                    let Some(rx) = dealt.get(*next).and_then(|(_, w)| workers.get(*w)) else {
                        return Ok(None);
                    };
                    // A closed channel without a stream: every stream is read.
                    let Ok(chunk) = rx.recv() else {
                        return Ok(None);
                    };
                    let chunk = chunk?;
                    if matches!(chunk.back(), Some(SampleItem::StreamEnd)) {
                        *next += 1;
                    }
                    self.pending = chunk;
                }
            }
        }
    }

    fn expand_block(&mut self) -> Result<(), EvalError> {
        // Blocks are offered only when the windows take them whole.
        Err(EvalError::Source(
            "a block the windows cannot take whole was offered".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ast::Expr;
    use crate::logql::eval::{self, EvalParams, QueryValue};
    use crate::model::{Entry, Label, Labels, PushStream};
    use crate::query::QueryLimits;
    use crate::store::StoreConfig;

    const T0: i64 = 1_795_449_600_000_000_000;
    const SEC: i64 = 1_000_000_000;

    /// Nine streams of a few hundred entries with changing metadata (a
    /// level in runs of 50 entries, a trace id changing every entry).
    fn store(dir: &std::path::Path) -> Store {
        let store = Store::open(StoreConfig {
            dir: dir.to_path_buf(),
            block_size: 2048,
            ..Default::default()
        })
        .expect("open");
        for s in 0..9 {
            let entries = (0..300 + s * 40)
                .map(|i| Entry {
                    ts: T0 + (i as i64) * SEC / 2 + s as i64,
                    line: format!(
                        "level={} n={i} {}",
                        ["info", "warn"][i % 2],
                        "x".repeat(i % 7)
                    ),
                    metadata: vec![
                        Label::new("detected_level", ["info", "warn"][(i / 50) % 2]),
                        Label::new("trace_id", format!("t{}", i % 23)),
                    ],
                })
                .collect();
            let labels =
                Labels::from_pairs([("app", ["a", "b", "c"][s % 3]), ("s", &s.to_string())]);
            store
                .append("fake", &[PushStream { labels, entries }])
                .expect("append");
        }
        store
    }

    fn run(store: &Store, query: &str, workers: usize) -> QueryValue {
        let Ok(Expr::Metric(expr)) = crate::logql::parse_expr(query) else {
            panic!("not a metric query: {query}");
        };
        let budget = Budget::new(&QueryLimits::default());
        let params = EvalParams::range(T0, T0 + 300 * SEC, 15 * SEC);
        std::thread::scope(|scope| {
            let source = StoreSampleSource::new(store, &["fake"], &expr, &budget)
                .in_parallel(scope, workers);
            eval::evaluate(&expr, &params, &source)
        })
        .expect("evaluate")
    }

    #[test]
    fn parallel_reading_gives_the_sequential_answer() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = store(tmp.path());
        for query in [
            r#"count_over_time({app=~".+"}[1m])"#,
            r#"sum by (app) (bytes_over_time({app=~".+"}[30s]))"#,
            r#"sum by (detected_level) (rate({app=~".+"}[1m]))"#,
            r#"sum by (level) (count_over_time({app=~".+"} | logfmt | n > 100 [1m]))"#,
            r#"max by (app) (max_over_time({app=~"a|b"} | logfmt | unwrap n [45s]))"#,
        ] {
            let one = run(&store, query, 1);
            for workers in [2, 3, 4] {
                assert_eq!(
                    run(&store, query, workers),
                    one,
                    "{query} with {workers} workers"
                );
            }
            match one {
                QueryValue::Matrix(m) => assert!(!m.is_empty(), "{query}"),
                other => panic!("{query}: {other:?}"),
            }
        }
    }

    #[test]
    fn samples_without_line_text_give_what_decoding_every_line_gives() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = store(tmp.path());
        // Late entries overlapping stream 0's blocks: merged reading.
        let entries = (0..120)
            .map(|i| Entry {
                ts: T0 + (i as i64) * SEC + 7,
                line: "late ".repeat(1 + i % 3),
                metadata: vec![Label::new("detected_level", "error")],
            })
            .collect();
        let labels = Labels::from_pairs([("app", "a"), ("s", "0")]);
        store
            .append("fake", &[PushStream { labels, entries }])
            .expect("append");
        // Labels follow the entries' metadata, so block totals cannot be
        // used; `|= ""` is a stage and forces decoding the lines.
        for (fast, slow) in [
            (
                r#"bytes_over_time({app=~".+"}[1m])"#,
                r#"bytes_over_time({app=~".+"} |= "" [1m])"#,
            ),
            (
                r#"sum by (detected_level) (count_over_time({app=~".+"}[20s]))"#,
                r#"sum by (detected_level) (count_over_time({app=~".+"} |= "" [20s]))"#,
            ),
            (r#"rate({app="a"}[30s])"#, r#"rate({app="a"} |= "" [30s])"#),
            // Stages reading labels only: still no line text.
            (
                r#"sum by (detected_level) (count_over_time({app=~".+"} | drop __error__ [20s]))"#,
                r#"sum by (detected_level) (count_over_time({app=~".+"} |= "" | drop __error__ [20s]))"#,
            ),
            (
                r#"sum by (app) (bytes_over_time({app=~".+"} | detected_level="warn" | keep app [30s]))"#,
                r#"sum by (app) (bytes_over_time({app=~".+"} |= "" | detected_level="warn" | keep app [30s]))"#,
            ),
            (
                r#"count_over_time({app=~".+"} | s != "3" [1m])"#,
                r#"count_over_time({app=~".+"} |= "" | s != "3" [1m])"#,
            ),
            (
                r#"sum by (s) (count_over_time({app=~".+"} | trace_id=~"t1.*" [1m]))"#,
                r#"sum by (s) (count_over_time({app=~".+"} |= "" | trace_id=~"t1.*" [1m]))"#,
            ),
            (
                r#"sum by (trace_id) (rate({app="b"} | drop detected_level [1m]))"#,
                r#"sum by (trace_id) (rate({app="b"} |= "" | drop detected_level [1m]))"#,
            ),
        ] {
            for workers in [1, 3] {
                let got = run(&store, fast, workers);
                assert_eq!(got, run(&store, slow, workers), "{fast}");
                assert!(
                    matches!(got, QueryValue::Matrix(ref m) if !m.is_empty()),
                    "{fast}"
                );
            }
        }
    }

    #[test]
    fn block_totals_give_what_decoding_every_line_gives() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = store(tmp.path());
        // `|= ""` is a pipeline stage: it forces reading every line.
        for (fast, slow) in [
            (
                r#"sum by (app) (count_over_time({app=~".+"}[1m]))"#,
                r#"sum by (app) (count_over_time({app=~".+"} |= "" [1m]))"#,
            ),
            (
                r#"sum by (s) (bytes_rate({app=~".+"}[20s]))"#,
                r#"sum by (s) (bytes_rate({app=~".+"} |= "" [20s]))"#,
            ),
            (
                r#"sum(count_over_time({app="a"}[7s] offset 3s))"#,
                r#"sum(count_over_time({app="a"} |= "" [7s] offset 3s))"#,
            ),
        ] {
            for workers in [1, 3] {
                assert_eq!(
                    run(&store, fast, workers),
                    run(&store, slow, workers),
                    "{fast}"
                );
            }
        }
    }
}

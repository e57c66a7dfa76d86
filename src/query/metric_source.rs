//! The metric evaluator's [`SampleSource`] over the store: one stored stream
//! after the other, each through the range aggregation's sample extractor.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::logql::ast::{Grouping, MetricExpr, RangeAggregation, VectorOp};
use crate::logql::eval::source::{SampleItem, SampleRequest, SampleSource, SeriesSamples};
use crate::logql::eval::EvalError;
use crate::logql::pipeline::{LabelsResult, SampleExtractor, StreamSampleExtractor};
use crate::model::Direction;
use crate::query::{Budget, QueryError};
use crate::store::{EntryIter, Store, StreamRef};

/// Reads samples of a metric query's range aggregations from the store.
pub struct StoreSampleSource<'a> {
    store: &'a Store,
    tenants: &'a [&'a str],
    budget: &'a Budget,
    /// The vector aggregation directly around each range aggregation (by
    /// address in the query tree): Loki pushes a `sum`'s grouping down into
    /// the extractor.
    parents: HashMap<*const RangeAggregation, (VectorOp, Option<Grouping>)>,
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

impl<'a> StoreSampleSource<'a> {
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
        }
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

impl SampleSource for StoreSampleSource<'_> {
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
        Ok(Box::new(StoreSamples {
            store: self.store,
            budget: self.budget,
            line_free: extractor.line_free_value(),
            extractor,
            streams: streams.into_iter(),
            start,
            end,
            current: None,
            pending: VecDeque::new(),
        }))
    }
}

/// The stream being read.
struct Current {
    iter: EntryIter,
    extractor: StreamSampleExtractor,
    series: SeriesIds,
    /// The structured metadata of the last entry run through the extractor
    /// and the series it gave (only when samples are line free).
    last_metadata: Option<(Vec<(String, String)>, u32)>,
}

struct StoreSamples<'a> {
    store: &'a Store,
    budget: &'a Budget,
    extractor: SampleExtractor,
    streams: std::vec::IntoIter<StreamRef>,
    start: i64,
    end: i64,
    current: Option<Current>,
    pending: VecDeque<SampleItem>,
    /// The sample of an entry from its line length, when the range has no
    /// pipeline stages (see [`SampleExtractor::line_free_value`]).
    line_free: Option<fn(usize) -> f64>,
}

impl StoreSamples<'_> {
    fn open_next(&mut self) -> bool {
        let Some(s) = self.streams.next() else {
            return false;
        };
        self.current = Some(Current {
            iter: self
                .store
                .entries(&s, self.start, self.end, Direction::Forward),
            extractor: self.extractor.for_stream(&s.labels),
            series: SeriesIds::default(),
            last_metadata: None,
        });
        true
    }

    /// Reads the next batch of the current stream into `pending`; false at
    /// the stream's end.
    fn fill(&mut self) -> Result<bool, EvalError> {
        let Some(cur) = self.current.as_mut() else {
            return Ok(false);
        };
        let Current {
            iter,
            extractor,
            series,
            last_metadata,
        } = cur;
        let Some(next) = iter.next_batch() else {
            return Ok(false);
        };
        let batch = next.map_err(|e| EvalError::Source(e.to_string()))?;
        self.budget
            .charge(batch.len() as u64, batch.line_bytes() as u64)
            .map_err(eval_err)?;
        let mut md: Vec<(&str, &str)> = Vec::new();
        let mut passed = 0u64;
        for i in 0..batch.len() {
            let ts = batch.ts(i);
            md.clear();
            md.extend(batch.metadata(i));
            // Without pipeline stages an entry's labels follow from its
            // metadata alone: reuse the previous entry's when it is the same.
            let (value, id) = match (self.line_free, &*last_metadata) {
                (Some(value_of), Some((last, id))) if same_metadata(last, &md) => {
                    (value_of(batch.line_len(i)), *id)
                }
                _ => {
                    let Some((value, labels)) = extractor.process(ts, batch.line(i), &md) else {
                        continue;
                    };
                    let id = series.declare(labels, &mut self.pending);
                    if self.line_free.is_some() {
                        let owned = md.iter().map(|(k, v)| (k.to_string(), v.to_string()));
                        *last_metadata = Some((owned.collect(), id));
                    }
                    (value, id)
                }
            };
            passed += 1;
            self.pending.push_back(SampleItem::Sample { id, ts, value });
        }
        self.budget.passed(passed);
        Ok(true)
    }
}

fn same_metadata(a: &[(String, String)], b: &[(&str, &str)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((k, v), (l, w))| k == l && v == w)
}

/// The series ids given to the label sets of one stream.
#[derive(Default)]
struct SeriesIds {
    ids: HashMap<*const LabelsResult, u32>,
    /// Kept alive so the pointers in `ids` stay unique.
    held: Vec<Arc<LabelsResult>>,
}

impl SeriesIds {
    /// The series id of `labels`, declared in `pending` the first time.
    fn declare(&mut self, labels: Arc<LabelsResult>, pending: &mut VecDeque<SampleItem>) -> u32 {
        let ptr = Arc::as_ptr(&labels);
        if let Some(id) = self.ids.get(&ptr) {
            return *id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(ptr, id);
        pending.push_back(SampleItem::Series {
            id,
            labels: Arc::new(labels.all().clone()),
        });
        self.held.push(labels);
        id
    }
}

impl SeriesSamples for StoreSamples<'_> {
    fn next_item(&mut self) -> Result<Option<SampleItem>, EvalError> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Ok(Some(item));
            }
            if self.current.is_none() && !self.open_next() {
                return Ok(None);
            }
            if !self.fill()? {
                self.current = None;
                return Ok(Some(SampleItem::StreamEnd));
            }
        }
    }

    fn expand_block(&mut self) -> Result<(), EvalError> {
        Err(EvalError::Source("this source never offers blocks".into()))
    }
}

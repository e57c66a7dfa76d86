//! An in-memory [`SampleSource`] for tests and examples.
//!
//! Streams hold entries whose post-pipeline labels and unwrapped values are
//! given up front, so a test can state what the pipeline would produce. The
//! source applies the selector's matchers to stream labels and the plain
//! substring line filters (`|=`, `!=`) of the pipeline; other stages are the
//! test's business. It can offer pre-aggregated blocks and counts how many
//! the evaluator asked it to expand.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::error::EvalError;
use super::source::{SampleItem, SampleRequest, SampleSource, SeriesSamples};
use crate::logql::ast::{LineFilterOp, LineFilterOperand, RangeAggregation, RangeOp, Stage};
use crate::model::{Labels, Timestamp};

/// One stored entry.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEntry {
    /// Timestamp, ns.
    pub ts: Timestamp,
    /// The log line (its length is the `bytes_*` value).
    pub line: String,
    /// Labels after the pipeline; `None` means the stream's labels.
    pub labels: Option<Labels>,
    /// The unwrapped value; entries without one yield no sample for
    /// unwrapped functions.
    pub value: Option<f64>,
}

impl MemoryEntry {
    /// A plain line at `ts` (ns).
    pub fn line(ts: Timestamp, line: &str) -> Self {
        MemoryEntry {
            ts,
            line: line.to_string(),
            labels: None,
            value: None,
        }
    }

    /// An entry whose pipeline yields `labels` and unwraps `value`.
    pub fn sample(ts: Timestamp, labels: Labels, value: f64) -> Self {
        MemoryEntry {
            ts,
            line: String::new(),
            labels: Some(labels),
            value: Some(value),
        }
    }
}

/// One stored stream.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryStream {
    /// Stream labels, matched against the selector.
    pub labels: Labels,
    /// Entries; any order (they are sorted by time when read).
    pub entries: Vec<MemoryEntry>,
}

/// A [`SampleSource`] over streams held in memory.
#[derive(Debug, Default)]
pub struct MemorySource {
    streams: Vec<MemoryStream>,
    exclusive: bool,
    block_size: usize,
    expanded: Cell<usize>,
    blocks: Cell<usize>,
    requests: Cell<usize>,
}

impl MemorySource {
    /// A source over `streams`.
    pub fn new(streams: Vec<MemoryStream>) -> Self {
        MemorySource {
            streams,
            ..MemorySource::default()
        }
    }

    /// Declares label sets exclusive to their stream (see
    /// [`SampleSource::exclusive_label_sets`]).
    pub fn exclusive(mut self, yes: bool) -> Self {
        self.exclusive = yes;
        self
    }

    /// Offers blocks of up to `n` entries when the request accepts them and
    /// the query has no pipeline (0 disables blocks).
    pub fn with_blocks(mut self, n: usize) -> Self {
        self.block_size = n;
        self
    }

    /// How many blocks the evaluator asked to expand so far.
    pub fn expanded_blocks(&self) -> usize {
        self.expanded.get()
    }

    /// How many blocks were offered so far.
    pub fn offered_blocks(&self) -> usize {
        self.blocks.get()
    }

    /// How many `samples` calls were made so far.
    pub fn requests(&self) -> usize {
        self.requests.get()
    }

    fn value_of(range: &RangeAggregation, e: &MemoryEntry) -> Option<f64> {
        match range.op {
            RangeOp::BytesOverTime | RangeOp::BytesRate => Some(e.line.len() as f64),
            _ if range.range.unwrap.is_some() => e.value,
            _ => Some(1.0),
        }
    }
}

/// Whether `line` passes the substring filters among `stages`.
fn passes_line_filters(stages: &[Stage], line: &str) -> bool {
    stages.iter().all(|s| match s {
        Stage::LineFilter(f) => {
            let hit = f.operands.iter().any(|o| match o {
                LineFilterOperand::Text(t) => line.contains(t.as_str()),
                _ => true,
            });
            match f.op {
                LineFilterOp::Contains => hit,
                LineFilterOp::NotContains => !hit,
                _ => true,
            }
        }
        _ => true,
    })
}

impl SampleSource for MemorySource {
    fn samples<'a>(
        &'a self,
        req: &SampleRequest<'a>,
    ) -> Result<Box<dyn SeriesSamples + 'a>, EvalError> {
        self.requests.set(self.requests.get() + 1);
        let range = req.range;
        let plain = range.range.log.stages.is_empty() && range.range.unwrap.is_none();
        let mut queue = VecDeque::new();
        for stream in &self.streams {
            if !range
                .range
                .log
                .selector
                .iter()
                .all(|m| m.matches_labels(&stream.labels))
            {
                continue;
            }
            let mut entries: Vec<&MemoryEntry> = stream
                .entries
                .iter()
                .filter(|e| e.ts > req.from && e.ts <= req.through)
                .filter(|e| passes_line_filters(&range.range.log.stages, &e.line))
                .collect();
            entries.sort_by_key(|e| e.ts);
            let mut ids: HashMap<Labels, u32> = HashMap::new();
            let blocks = req.accepts_blocks
                && plain
                && self.block_size > 0
                && entries.iter().all(|e| e.labels.is_none());
            let mut pending: Vec<(u32, Timestamp, f64, u64)> = Vec::new();
            for e in entries {
                let Some(value) = Self::value_of(range, e) else {
                    continue;
                };
                let labels = e.labels.clone().unwrap_or_else(|| stream.labels.clone());
                let next = ids.len() as u32;
                let id = *ids.entry(labels.clone()).or_insert_with(|| {
                    queue.push_back(Pending::Item(SampleItem::Series {
                        id: next,
                        labels: Arc::new(labels),
                    }));
                    next
                });
                if blocks {
                    pending.push((id, e.ts, value, e.line.len() as u64));
                    if pending.len() == self.block_size {
                        queue.push_back(Pending::block(std::mem::take(&mut pending)));
                    }
                } else {
                    queue.push_back(Pending::Item(SampleItem::Sample {
                        id,
                        ts: e.ts,
                        value,
                    }));
                }
            }
            if !pending.is_empty() {
                queue.push_back(Pending::block(pending));
            }
            queue.push_back(Pending::Item(SampleItem::StreamEnd));
        }
        Ok(Box::new(MemorySamples {
            source: self,
            queue,
            last_block: None,
        }))
    }

    fn exclusive_label_sets(&self, _range: &RangeAggregation) -> bool {
        self.exclusive
    }
}

/// A queued item, or a block with the samples it stands for.
enum Pending {
    Item(SampleItem),
    Block(SampleItem, Vec<SampleItem>),
}

impl Pending {
    fn block(rows: Vec<(u32, Timestamp, f64, u64)>) -> Self {
        let (id, ts_min, ts_max) = match (rows.first(), rows.last()) {
            (Some(f), Some(l)) => (f.0, f.1, l.1),
            _ => (0, 0, 0),
        };
        let head = SampleItem::Block {
            id,
            ts_min,
            ts_max,
            count: rows.len() as u64,
            bytes: rows.iter().map(|r| r.3).sum(),
        };
        let samples = rows
            .into_iter()
            .map(|(id, ts, value, _)| SampleItem::Sample { id, ts, value })
            .collect();
        Pending::Block(head, samples)
    }
}

struct MemorySamples<'a> {
    source: &'a MemorySource,
    queue: VecDeque<Pending>,
    last_block: Option<Vec<SampleItem>>,
}

impl SeriesSamples for MemorySamples<'_> {
    fn next_item(&mut self) -> Result<Option<SampleItem>, EvalError> {
        self.last_block = None;
        Ok(match self.queue.pop_front() {
            None => None,
            Some(Pending::Item(i)) => Some(i),
            Some(Pending::Block(head, samples)) => {
                self.source.blocks.set(self.source.blocks.get() + 1);
                self.last_block = Some(samples);
                Some(head)
            }
        })
    }

    fn expand_block(&mut self) -> Result<(), EvalError> {
        let samples = self
            .last_block
            .take()
            .ok_or_else(|| EvalError::Source("expand_block without a block".into()))?;
        self.source.expanded.set(self.source.expanded.get() + 1);
        for s in samples.into_iter().rev() {
            self.queue.push_front(Pending::Item(s));
        }
        Ok(())
    }
}

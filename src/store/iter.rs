//! Reading one stream: [`EntryIter`] merges the stream's blocks (from every
//! day partition in range) and its in-memory heads into one time-ordered
//! sequence of batches.
//!
//! Sources are grouped into clusters of transitively overlapping time
//! ranges. A cluster of one source (the normal, in-order case) is decoded
//! and handed out as is, windowed to `[start, end)`; a cluster of several
//! (out-of-order writes) is merged k-way by (timestamp, order key,
//! position), holding one decoded block per source. The order key is the
//! block's WAL sequence (its cut order), so equal timestamps keep insertion
//! order, and backward iteration is exactly forward reversed.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::batch::{DecodeScratch, EncodedBatch, EntryBatch};
use super::block::BlockDecoder;
use super::error::StoreError;
use super::metrics::StoreMetrics;
use super::partition::BlockRef;
use crate::model::Direction;

/// Most entries a merged batch holds.
const MERGE_BATCH: usize = 1024;

/// Where a source's entries are.
#[derive(Debug, Clone)]
enum SourceKind {
    Block(BlockRef),
    Mem(Arc<EncodedBatch>),
}

/// One block or head of the stream.
#[derive(Debug, Clone)]
struct Source {
    min: i64,
    max: i64,
    order: u64,
    kind: SourceKind,
}

/// Timestamps and line lengths of entries, without their lines.
#[derive(Debug, Default, Clone)]
pub struct CountBatch {
    ts: Vec<i64>,
    lens: Vec<u32>,
    lo: usize,
    hi: usize,
    reversed: bool,
}

impl CountBatch {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.hi - self.lo
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.hi == self.lo
    }

    fn raw(&self, i: usize) -> usize {
        if self.reversed {
            self.hi.wrapping_sub(1).wrapping_sub(i)
        } else {
            self.lo + i
        }
    }

    /// Timestamp of entry `i`.
    pub fn ts(&self, i: usize) -> i64 {
        self.ts.get(self.raw(i)).copied().unwrap_or(0)
    }

    /// Line length of entry `i`.
    pub fn line_len(&self, i: usize) -> u32 {
        self.lens.get(self.raw(i)).copied().unwrap_or(0)
    }
}

/// What [`EntryIter::next_counts`] yields.
#[derive(Debug)]
pub enum Counts<'a> {
    /// A whole block inside the range that the caller accepted by its
    /// bounds: only its header was read.
    Summary {
        /// Smallest timestamp.
        min_ts: i64,
        /// Largest timestamp.
        max_ts: i64,
        /// Entries.
        entries: u32,
        /// Sum of line lengths.
        bytes: u64,
    },
    /// Entries one by one.
    Entries(&'a CountBatch),
}

/// Chunk, byte and entry totals of a stream over a range, from block
/// headers and heads (no decompression).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Blocks (and heads) overlapping the range.
    pub chunks: u64,
    /// Line bytes of those blocks.
    pub bytes: u64,
    /// Entries of those blocks.
    pub entries: u64,
}

/// A lazy, batch-oriented iterator over one stream's entries in `[start,
/// end)`. Use either [`EntryIter::next_batch`] or
/// [`EntryIter::next_counts`] on one iterator, not both.
pub struct EntryIter {
    clusters: Vec<Vec<Source>>,
    next: usize,
    start: i64,
    end: i64,
    backward: bool,
    pending_error: Option<StoreError>,
    metrics: Arc<StoreMetrics>,
    decoder: BlockDecoder,
    scratch: DecodeScratch,
    order: Vec<u32>,
    read_buf: Vec<u8>,
    decoded: Vec<EntryBatch>,
    counts: Vec<CountBatch>,
    merge: Option<Merge>,
    out: EntryBatch,
    count_out: CountBatch,
    /// Which buffer the last `next_batch` handed out.
    current: Current,
    /// Set by [`EntryIter::without_line_text`].
    without_text: bool,
}

/// The buffer holding the batch last returned by [`EntryIter::next_batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Current {
    None,
    Merged,
    Decoded,
}

/// Cursor state of a cluster being merged.
struct Merge {
    orders: Vec<u64>,
    /// Next position per source: forward counts up to `hi`, backward
    /// counts down to `lo` (stored as one past the next entry).
    cursor: Vec<usize>,
    bounds: Vec<(usize, usize)>,
}

impl EntryIter {
    /// An iterator over heads and blocks of one stream.
    pub(crate) fn new(
        heads: Vec<super::head::HeadSnapshot>,
        blocks: Vec<BlockRef>,
        start: i64,
        end: i64,
        direction: Direction,
        metrics: Arc<StoreMetrics>,
    ) -> EntryIter {
        let mut sources: Vec<Source> = blocks
            .into_iter()
            .map(|b| Source {
                min: b.meta.min_ts,
                max: b.meta.max_ts,
                order: b.meta.order,
                kind: SourceKind::Block(b),
            })
            .chain(
                heads
                    .into_iter()
                    .filter(|h| !h.batch.is_empty())
                    .map(|h| Source {
                        min: h.batch.min_ts(),
                        max: h.batch.max_ts(),
                        order: h.order,
                        kind: SourceKind::Mem(h.batch),
                    }),
            )
            .filter(|s| s.max >= start && s.min < end)
            .collect();
        sources.sort_by_key(|s| (s.min, s.order));
        let mut clusters: Vec<Vec<Source>> = Vec::new();
        let mut reach = i64::MIN;
        for s in sources {
            match clusters.last_mut() {
                Some(c) if s.min <= reach => {
                    reach = reach.max(s.max);
                    c.push(s);
                }
                _ => {
                    reach = s.max;
                    clusters.push(vec![s]);
                }
            }
        }
        let backward = direction == Direction::Backward;
        if backward {
            clusters.reverse();
        }
        EntryIter {
            clusters,
            next: 0,
            start,
            end,
            backward,
            pending_error: None,
            metrics,
            decoder: BlockDecoder::new(),
            scratch: DecodeScratch::default(),
            order: Vec::new(),
            read_buf: Vec::new(),
            decoded: Vec::new(),
            counts: Vec::new(),
            merge: None,
            out: EntryBatch::new(),
            count_out: CountBatch::default(),
            current: Current::None,
            without_text: false,
        }
    }

    /// Lets the iterator skip stored blocks in which no line can contain all
    /// of `texts` (entries it yields still need filtering by the caller).
    pub fn require_lines_containing(&mut self, texts: &[&str]) {
        self.decoder.require_lines_containing(texts);
    }

    /// Makes [`EntryIter::next_batch`] yield entries without line text:
    /// timestamps, line lengths and metadata only, for callers that need
    /// no line (`line(i)` is empty, `line_len(i)` is the stored length).
    /// Blocks skip their costliest columns.
    pub fn without_line_text(&mut self) {
        self.without_text = true;
        self.decoder.without_line_text();
    }

    /// The batch the last [`EntryIter::next_batch`] returned, for callers
    /// that consume it across several calls of their own.
    pub fn current_batch(&self) -> Option<&EntryBatch> {
        match self.current {
            Current::None => None,
            Current::Merged => Some(&self.out),
            Current::Decoded => self.decoded.first(),
        }
    }

    /// An iterator that yields `err` and ends.
    pub(crate) fn failed(err: StoreError, metrics: Arc<StoreMetrics>) -> EntryIter {
        let mut it = EntryIter::new(Vec::new(), Vec::new(), 0, 0, Direction::Forward, metrics);
        it.pending_error = Some(err);
        it
    }

    /// Totals over the sources overlapping the range, from headers only.
    pub fn stats(&self) -> StreamStats {
        let mut st = StreamStats::default();
        for s in self.clusters.iter().flatten() {
            st.chunks += 1;
            match &s.kind {
                SourceKind::Block(b) => {
                    st.entries += u64::from(b.meta.entries);
                    st.bytes += u64::from(b.meta.line_bytes);
                }
                SourceKind::Mem(m) => {
                    for i in 0..m.len() {
                        if (self.start..self.end).contains(&m.ts(i)) {
                            st.entries += 1;
                            st.bytes += u64::from(m.line_len(i));
                        }
                    }
                }
            }
        }
        st
    }

    /// Names of the structured metadata carried by entries in the range,
    /// sorted: exact for heads; per block for blocks (a block overlapping
    /// the range counts whole, so the answer may hold names of entries just
    /// outside the range, never fewer). Decodes no line data: a block
    /// costs its header, plus its metadata column when it has one. A
    /// damaged block is reported and skipped, as reads skip it. Use before
    /// or instead of iterating.
    pub fn metadata_names(&mut self) -> Result<Vec<String>, StoreError> {
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        let mut out: BTreeSet<String> = BTreeSet::new();
        let mut names = Vec::new();
        let mut failed = Vec::new();
        for s in self.clusters.iter().skip(self.next).flatten() {
            match &s.kind {
                SourceKind::Mem(m) => {
                    for i in 0..m.len() {
                        if !(self.start..self.end).contains(&m.ts(i)) {
                            continue;
                        }
                        for (n, _) in m.meta().get(i) {
                            if !out.contains(n) {
                                out.insert(n.to_string());
                            }
                        }
                    }
                }
                SourceKind::Block(b) => {
                    match b.file.read_metadata_names(
                        b.meta.offset,
                        b.meta.len,
                        &mut self.read_buf,
                        &mut self.decoder,
                        &mut names,
                    ) {
                        Ok(()) => out.extend(names.drain(..)),
                        Err(e) => failed.push(e),
                    }
                }
            }
        }
        for e in &failed {
            self.damaged(e);
        }
        Ok(out.into_iter().collect())
    }

    fn damaged(&self, e: &StoreError) {
        tracing::warn!(error = %e, "skipping damaged block while reading");
        StoreMetrics::add(&self.metrics.recovery_errors, 1);
    }

    /// Decodes source `s` fully into `self.decoded[slot]`, sorted by time.
    /// A damaged block is reported and read as empty.
    fn load(&mut self, s: &Source, slot: usize) {
        if self.decoded.len() <= slot {
            self.decoded.resize_with(slot + 1, EntryBatch::new);
        }
        let res = match &s.kind {
            SourceKind::Block(b) => b
                .file
                .read_block(b.meta.offset, b.meta.len, &mut self.read_buf)
                .and_then(|_| {
                    self.decoder
                        .decode(&self.read_buf, &mut self.decoded[slot])
                        .map(|_| ())
                        .map_err(|e| StoreError::corrupt(&b.file.path, b.meta.offset, e))
                }),
            SourceKind::Mem(m) => {
                m.sorted_order(&mut self.order);
                let (start, end) = (self.start, self.end);
                self.order
                    .retain(|&i| (start..end).contains(&m.ts(i as usize)));
                let out = &mut self.decoded[slot];
                let res = m
                    .decode_into(&self.order, out, &mut self.scratch)
                    .map_err(|e| StoreError::corrupt("<head>", 0, e));
                // Merged with blocks, which then have no text either.
                if self.without_text {
                    out.drop_text();
                }
                res
            }
        };
        if let Err(e) = res {
            self.damaged(&e);
            self.decoded[slot].clear();
        }
    }

    /// Decodes timestamps and lengths of `s` into `self.counts[slot]`.
    fn load_counts(&mut self, s: &Source, slot: usize) {
        if self.counts.len() <= slot {
            self.counts.resize_with(slot + 1, CountBatch::default);
        }
        let c = &mut self.counts[slot];
        let res = match &s.kind {
            SourceKind::Block(b) => b
                .file
                .read_block_counts(
                    b.meta.offset,
                    b.meta.len,
                    b.meta.entries,
                    &mut self.read_buf,
                )
                .and_then(|_| {
                    self.decoder
                        .decode_counts(&self.read_buf, &mut c.ts, &mut c.lens)
                        .map(|_| ())
                        .map_err(|e| StoreError::corrupt(&b.file.path, b.meta.offset, e))
                }),
            SourceKind::Mem(m) => {
                m.sorted_order(&mut self.order);
                c.ts.clear();
                c.lens.clear();
                for &i in &self.order {
                    c.ts.push(m.ts(i as usize));
                    c.lens.push(m.line_len(i as usize));
                }
                Ok(())
            }
        };
        if let Err(e) = res {
            tracing::warn!(error = %e, "skipping damaged block while counting");
            StoreMetrics::add(&self.metrics.recovery_errors, 1);
            c.ts.clear();
            c.lens.clear();
        }
        let (lo, hi) = window(&c.ts, self.start, self.end);
        c.lo = lo;
        c.hi = hi;
        c.reversed = false;
    }

    /// The next batch of entries in the iterator's direction, or `None` at
    /// the end. The batch borrows the iterator's buffers.
    pub fn next_batch(&mut self) -> Option<Result<&EntryBatch, StoreError>> {
        self.current = Current::None;
        if let Some(e) = self.pending_error.take() {
            return Some(Err(e));
        }
        loop {
            if self.merge.is_some() {
                if self.merge_step() {
                    self.current = Current::Merged;
                    return Some(Ok(&self.out));
                }
                self.merge = None;
                continue;
            }
            let cluster = std::mem::take(self.clusters.get_mut(self.next)?);
            self.next += 1;
            if let [only] = cluster.as_slice() {
                self.load(only, 0);
                let b = &mut self.decoded[0];
                let (lo, hi) = window(b.raw_timestamps(), self.start, self.end);
                b.set_view(lo, hi, self.backward);
                if b.is_empty() {
                    continue;
                }
                self.current = Current::Decoded;
                return Some(Ok(&self.decoded[0]));
            }
            let mut orders = Vec::with_capacity(cluster.len());
            let mut bounds = Vec::with_capacity(cluster.len());
            for (slot, s) in cluster.iter().enumerate() {
                self.load(s, slot);
                orders.push(s.order);
                bounds.push(window(
                    self.decoded[slot].raw_timestamps(),
                    self.start,
                    self.end,
                ));
            }
            let cursor = bounds
                .iter()
                .map(|&(lo, hi)| if self.backward { hi } else { lo })
                .collect();
            self.merge = Some(Merge {
                orders,
                cursor,
                bounds,
            });
        }
    }

    /// Fills `self.out` with the next merged entries; false when the
    /// cluster is exhausted.
    fn merge_step(&mut self) -> bool {
        let Some(m) = self.merge.as_mut() else {
            return false;
        };
        self.out.clear();
        while self.out.raw_len() < MERGE_BATCH {
            let mut best: Option<(i64, u64, usize, usize)> = None;
            for k in 0..m.cursor.len() {
                let (lo, hi) = m.bounds[k];
                let c = m.cursor[k];
                let idx = if self.backward {
                    if c <= lo {
                        continue;
                    }
                    c - 1
                } else {
                    if c >= hi {
                        continue;
                    }
                    c
                };
                let key = (self.decoded[k].raw_ts(idx), m.orders[k], k, idx);
                let better = match best {
                    None => true,
                    Some(b) if self.backward => (key.0, key.1, key.2) > (b.0, b.1, b.2),
                    Some(b) => (key.0, key.1, key.2) < (b.0, b.1, b.2),
                };
                if better {
                    best = Some(key);
                }
            }
            let Some((_, _, k, idx)) = best else {
                break;
            };
            self.out.push_from(&self.decoded[k], idx);
            if self.backward {
                m.cursor[k] -= 1;
            } else {
                m.cursor[k] += 1;
            }
        }
        !self.out.is_empty()
    }

    /// The next timestamps and line lengths, decoding no line text. For a
    /// lone block wholly inside the range, `summary_ok(min_ts, max_ts)` is
    /// asked whether its header totals are enough; if so only the header
    /// is used. Entries come in the iterator's direction.
    pub fn next_counts(
        &mut self,
        summary_ok: &mut dyn FnMut(i64, i64) -> bool,
    ) -> Option<Result<Counts<'_>, StoreError>> {
        if let Some(e) = self.pending_error.take() {
            return Some(Err(e));
        }
        loop {
            let cluster = std::mem::take(self.clusters.get_mut(self.next)?);
            self.next += 1;
            if let [only] = cluster.as_slice() {
                if let SourceKind::Block(b) = &only.kind {
                    let inside = only.min >= self.start && only.max < self.end;
                    if inside && summary_ok(only.min, only.max) {
                        return Some(Ok(Counts::Summary {
                            min_ts: only.min,
                            max_ts: only.max,
                            entries: b.meta.entries,
                            bytes: u64::from(b.meta.line_bytes),
                        }));
                    }
                }
                self.load_counts(only, 0);
                self.counts[0].reversed = self.backward;
                if self.counts[0].is_empty() {
                    continue;
                }
                return Some(Ok(Counts::Entries(&self.counts[0])));
            }
            let mut heads: Vec<(usize, usize)> = Vec::with_capacity(cluster.len());
            for (slot, s) in cluster.iter().enumerate() {
                self.load_counts(s, slot);
                let c = &self.counts[slot];
                heads.push((c.lo, c.hi));
            }
            let out = &mut self.count_out;
            out.ts.clear();
            out.lens.clear();
            // Merge forward; the batch is reversed for backward reads.
            loop {
                let mut best: Option<(i64, u64, usize)> = None;
                for (k, &(lo, hi)) in heads.iter().enumerate() {
                    if lo >= hi {
                        continue;
                    }
                    let key = (self.counts[k].ts[lo], cluster[k].order, k);
                    if best.is_none_or(|b| key < b) {
                        best = Some(key);
                    }
                }
                let Some((ts, _, k)) = best else {
                    break;
                };
                out.ts.push(ts);
                out.lens.push(self.counts[k].lens[heads[k].0]);
                heads[k].0 += 1;
            }
            out.lo = 0;
            out.hi = out.ts.len();
            out.reversed = self.backward;
            if out.is_empty() {
                continue;
            }
            return Some(Ok(Counts::Entries(&self.count_out)));
        }
    }
}

/// The index range of sorted `ts` inside `[start, end)`.
fn window(ts: &[i64], start: i64, end: i64) -> (usize, usize) {
    let lo = ts.partition_point(|&t| t < start);
    let hi = ts.partition_point(|&t| t < end).max(lo);
    (lo, hi)
}

//! The in-memory side of ingestion: per active stream its newest timestamp
//! (for the out-of-order window) and, per stream and day, one open head of
//! split lines. Heads are frozen and handed to the cut pipeline by size,
//! age, idleness, memory budget or on demand; a frozen head stays readable
//! until its block is in the index, so readers never miss or double-see it.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::batch::EncodedBatch;
use super::error::StoreError;
use super::field_summary::FieldSummary;
use super::key::{day_of, day_start, StreamKey};
use super::linecodec::LineEncoder;
use crate::model::{Labels, PushStream};

/// One pushed stream as `append` reads it: its labels and its entries by
/// index. [`PushStream`] implements it, and so do ingest's validated
/// streams, whose lines borrow from the request body.
pub trait AppendStream {
    /// The stream's labels.
    fn labels(&self) -> &Labels;
    /// Number of entries.
    fn entry_count(&self) -> usize;
    /// Timestamp and line of entry `i` (`None` past the end).
    fn entry(&self, i: usize) -> Option<(i64, &str)>;
    /// Structured metadata of entry `i`, in stored order.
    fn metadata(&self, i: usize) -> impl Iterator<Item = (&str, &str)>;
    /// The summary of the entries' JSON fields, when every line has one
    /// (see [`FieldSummary`]).
    fn fields(&self) -> Option<&FieldSummary> {
        None
    }
}

impl AppendStream for PushStream {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn entry_count(&self) -> usize {
        self.entries.len()
    }

    fn entry(&self, i: usize) -> Option<(i64, &str)> {
        self.entries.get(i).map(|e| (e.ts, e.line.as_str()))
    }

    fn metadata(&self, i: usize) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .get(i)
            .map_or(&[][..], |e| &e.metadata[..])
            .iter()
            .map(|l| (l.name.as_str(), l.value.as_str()))
    }
}

/// A stream identity to look up without building a [`StreamKey`] (whose
/// owned tenant and labels would cost allocations per stream and push).
/// Hashes and compares exactly like [`StreamKey`]'s derived impls.
trait KeyView {
    fn parts(&self) -> (&str, &Labels);
}

impl KeyView for StreamKey {
    fn parts(&self) -> (&str, &Labels) {
        (&self.tenant, &self.labels)
    }
}

impl KeyView for (&str, &Labels) {
    fn parts(&self) -> (&str, &Labels) {
        (self.0, self.1)
    }
}

impl Hash for dyn KeyView + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (tenant, labels) = self.parts();
        tenant.hash(state);
        labels.hash(state);
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyView + '_ {}

impl<'a> Borrow<dyn KeyView + 'a> for Arc<StreamKey> {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        &**self
    }
}

/// Why an entry was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    /// Older than the stream's out-of-order window allows (or in a day that
    /// retention already dropped). Loki's message is built from these
    /// timestamps.
    TooFarBehind {
        /// The entry's timestamp.
        ts: i64,
        /// The oldest timestamp the stream would accept.
        oldest_acceptable: i64,
    },
    /// The stream is new and its tenant is at its active-stream limit.
    StreamLimit,
}

/// One rejected entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Index of the stream in the `append` input.
    pub stream: usize,
    /// Index of the entry within that stream.
    pub entry: usize,
    /// Why.
    pub reason: RejectReason,
}

/// What `append` did with its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Entries stored.
    pub accepted: usize,
    /// Entries dropped silently as exact duplicates.
    pub duplicates: usize,
    /// Entries rejected, in input order.
    pub rejected: Vec<Rejected>,
}

/// Limits and thresholds the ingest side applies.
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    /// Out-of-order window (nanoseconds).
    pub window_ns: i64,
    /// Active streams per tenant.
    pub max_streams: usize,
}

/// A head frozen for cutting.
#[derive(Debug)]
struct Frozen {
    batch: Arc<EncodedBatch>,
    first_seq: u64,
    last_seq: u64,
    cut_id: u64,
    in_flight: bool,
}

/// The open head of one stream for one day.
#[derive(Debug)]
struct DayHead {
    day: i32,
    id: u32,
    active: Arc<EncodedBatch>,
    first_seq: u64,
    last_seq: u64,
    created_ns: i64,
    frozen: Option<Frozen>,
}

#[derive(Debug)]
struct StreamState {
    newest: i64,
    last_append_ns: i64,
    heads: Vec<DayHead>,
}

/// A frozen head to encode and write as one block.
#[derive(Debug, Clone)]
pub struct CutJob {
    /// The stream.
    pub key: Arc<StreamKey>,
    /// Its day.
    pub day: i32,
    /// Its id in the day's index.
    pub id: u32,
    /// The entries.
    pub batch: Arc<EncodedBatch>,
    /// Highest WAL sequence among them: the block's order key.
    pub last_seq: u64,
    cut_id: u64,
}

/// Which heads to cut.
#[derive(Debug, Clone, Copy)]
pub enum CutPolicy {
    /// Heads whose lines reached `block_size`, and the largest heads while
    /// the total exceeds `budget`.
    Pressure {
        /// Block size target (line bytes).
        block_size: usize,
        /// Head memory budget (bytes).
        budget: usize,
    },
    /// Heads older than `max_age` or idle for `idle` at `now`.
    Age {
        /// The clock.
        now: i64,
        /// Maximum head age.
        max_age: i64,
        /// Idle period.
        idle: i64,
    },
    /// Every head of one day.
    Day(i32),
    /// Every head of one day holding an entry from a WAL record up to this
    /// sequence number (the heads that existed when a seal began).
    DayBefore(i32, u64),
    /// Every head holding an entry from a WAL record up to this sequence
    /// number (every head that existed when a flush began).
    Before(u64),
}

/// An in-memory source for readers: a head or frozen head and its order
/// key (frozen heads sort like the block they become; open heads last).
#[derive(Debug, Clone)]
pub struct HeadSnapshot {
    /// The entries (shared, copy-on-write for the writer).
    pub batch: Arc<EncodedBatch>,
    /// Order key for ties.
    pub order: u64,
}

/// Per stream of a staged append: how many consecutive record entries are
/// its own, its newest timestamp after them, and its ids per day.
#[derive(Debug)]
pub struct Staged {
    /// The stream.
    pub key: Arc<StreamKey>,
    /// Entries in the record.
    pub count: u32,
    /// Index of the pushed stream in the append (replay: 0).
    pub source: usize,
    newest: i64,
    days: Vec<(i32, u32)>,
}

impl Staged {
    /// The days the stream has heads in, this append's among them.
    pub fn days(&self) -> impl Iterator<Item = i32> + '_ {
        self.days.iter().map(|(d, _)| *d)
    }
}

/// Ingest state; lives behind the store's ingest lock.
#[derive(Debug)]
pub struct Ingest {
    streams: HashMap<Arc<StreamKey>, StreamState, foldhash::fast::RandomState>,
    per_tenant: HashMap<String, usize>,
    head_bytes: usize,
    /// Days up to this one are closed: dropped by retention (or being
    /// dropped), or sealed by an older build. No more writes.
    pub closed_through: Option<i32>,
    next_cut: u64,
    enc: LineEncoder,
    /// The entries of the append being staged, in WAL record order.
    pub record: EncodedBatch,
    /// Set by `close`.
    pub closed: bool,
    /// Emptied head buffers of cut heads, reused by busy streams so their
    /// next head neither regrows nor faults in fresh pages.
    spare: Vec<EncodedBatch>,
}

/// Most emptied head buffers kept for reuse.
const SPARE_BATCHES: usize = 4;

/// Registers a stream in a day's index and returns its id there.
pub type Register<'a> = dyn FnMut(i32, &Arc<StreamKey>) -> Result<u32, StoreError> + 'a;

fn has_duplicate(batch: &EncodedBatch, rec: &EncodedBatch, r: usize) -> bool {
    let ts = rec.ts(r);
    if batch.is_empty() || ts < batch.min_ts() || ts > batch.max_ts() {
        return false;
    }
    let all = batch.timestamps();
    if batch.in_order() {
        // Sorted: only the run of equal timestamps can hold the entry (a
        // scan of the whole head per entry showed in the ingest profile
        // once two connections interleaved their batches).
        let lo = all.partition_point(|&t| t < ts);
        let run = all.get(lo..).unwrap_or(&[]);
        return run
            .iter()
            .take_while(|&&t| t == ts)
            .enumerate()
            .any(|(k, _)| batch.same_entry(lo + k, rec, r));
    }
    // Unsorted: compare timestamps a chunk at a time (the comparison
    // vectorises) and look at lines only in a chunk holding `ts`.
    const CHUNK: usize = 64;
    all.chunks(CHUNK).enumerate().any(|(c, chunk)| {
        chunk.iter().fold(false, |hit, &t| hit | (t == ts))
            && chunk
                .iter()
                .enumerate()
                .any(|(k, &t)| t == ts && batch.same_entry(c * CHUNK + k, rec, r))
    })
}

impl Ingest {
    /// Empty state.
    pub fn new() -> Ingest {
        Ingest {
            streams: HashMap::default(),
            per_tenant: HashMap::new(),
            head_bytes: 0,
            closed_through: None,
            next_cut: 1,
            enc: LineEncoder::new(),
            record: EncodedBatch::new(),
            closed: false,
            spare: Vec::new(),
        }
    }

    /// Bytes held by heads (open and frozen).
    pub fn head_bytes(&self) -> usize {
        self.head_bytes
    }

    /// Streams in memory.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Decides what to store of `streams` (window, closed days, stream
    /// limit, duplicates) and stages the accepted entries in `self.record`.
    pub fn stage<S: AppendStream>(
        &mut self,
        tenant: &str,
        streams: &[S],
        limits: IngestLimits,
        now_ns: i64,
        register: &mut Register<'_>,
    ) -> Result<(Vec<Staged>, AppendOutcome), StoreError> {
        self.record.clear();
        let mut out = AppendOutcome::default();
        let mut staged: Vec<Staged> = Vec::new();
        let open_from = self.closed_through.map(|d| day_start(d + 1));
        for (si, ps) in streams.iter().enumerate() {
            let view = (tenant, ps.labels());
            let found = self
                .streams
                .get_key_value(&view as &dyn KeyView)
                .map(|(k, _)| Arc::clone(k));
            let key = match found {
                Some(k) => k,
                None => {
                    let n = self.per_tenant.get(tenant).copied().unwrap_or(0);
                    if n >= limits.max_streams {
                        out.rejected
                            .extend((0..ps.entry_count()).map(|entry| Rejected {
                                stream: si,
                                entry,
                                reason: RejectReason::StreamLimit,
                            }));
                        continue;
                    }
                    let key = Arc::new(StreamKey {
                        tenant: tenant.to_string(),
                        labels: ps.labels().clone(),
                    });
                    self.streams.insert(
                        Arc::clone(&key),
                        StreamState {
                            newest: i64::MIN,
                            last_append_ns: now_ns,
                            heads: Vec::new(),
                        },
                    );
                    *self.per_tenant.entry(tenant.to_string()).or_default() += 1;
                    key
                }
            };
            let Some(state) = self.streams.get(&key) else {
                continue;
            };
            let start = self.record.len();
            let mut newest = state.newest;
            let mut days: Vec<(i32, u32)> = state.heads.iter().map(|h| (h.day, h.id)).collect();
            for ei in 0..ps.entry_count() {
                let Some((ts, line)) = ps.entry(ei) else {
                    break;
                };
                let window_floor = newest.saturating_sub(limits.window_ns);
                let oldest = match open_from {
                    Some(u) if newest == i64::MIN => u,
                    Some(u) => window_floor.max(u),
                    None => window_floor,
                };
                if ts < oldest {
                    out.rejected.push(Rejected {
                        stream: si,
                        entry: ei,
                        reason: RejectReason::TooFarBehind {
                            ts,
                            oldest_acceptable: oldest,
                        },
                    });
                    continue;
                }
                let day = day_of(ts);
                if !days.iter().any(|(d, _)| *d == day) {
                    days.push((day, register(day, &key)?));
                }
                self.record.push(&mut self.enc, ts, line, ps.metadata(ei));
                let r = self.record.len() - 1;
                let dup_in_head = state.heads.iter().filter(|h| h.day == day).any(|h| {
                    has_duplicate(&h.active, &self.record, r)
                        || h.frozen
                            .as_ref()
                            .is_some_and(|f| has_duplicate(&f.batch, &self.record, r))
                });
                let dup_in_push = ts <= newest
                    && (start..r).any(|o| {
                        self.record.ts(o) == ts && self.record.same_entry(o, &self.record, r)
                    });
                if dup_in_head || dup_in_push {
                    self.record.pop();
                    out.duplicates += 1;
                    continue;
                }
                out.accepted += 1;
                newest = newest.max(ts);
            }
            let count = (self.record.len() - start) as u32;
            if count > 0 {
                staged.push(Staged {
                    key,
                    count,
                    source: si,
                    newest,
                    days,
                });
            }
        }
        Ok((staged, out))
    }

    /// Moves the staged record (written to the WAL as `seq`) into heads.
    pub fn apply(&mut self, staged: &[Staged], seq: u64, now_ns: i64) {
        let mut r = 0usize;
        for s in staged {
            let Some(state) = self.streams.get_mut(&s.key) else {
                r += s.count as usize;
                continue;
            };
            state.newest = state.newest.max(s.newest);
            state.last_append_ns = now_ns;
            let end = r + s.count as usize;
            while r < end {
                let day = day_of(self.record.ts(r));
                // The run of entries of the same day goes in with one copy.
                let mut run_end = r + 1;
                while run_end < end && day_of(self.record.ts(run_end)) == day {
                    run_end += 1;
                }
                let pos = match state.heads.iter().position(|h| h.day == day) {
                    Some(p) => p,
                    None => {
                        let id = s
                            .days
                            .iter()
                            .find(|(d, _)| *d == day)
                            .map_or(0, |(_, id)| *id);
                        state.heads.push(DayHead {
                            day,
                            id,
                            active: Arc::new(EncodedBatch::for_head()),
                            first_seq: 0,
                            last_seq: 0,
                            created_ns: now_ns,
                            frozen: None,
                        });
                        state.heads.len() - 1
                    }
                };
                let head = &mut state.heads[pos];
                let active = Arc::make_mut(&mut head.active);
                if active.is_empty() {
                    head.first_seq = seq;
                    head.created_ns = now_ns;
                }
                let before = active.memory_bytes();
                active.extend_from(&self.record, r..run_end);
                self.head_bytes = self.head_bytes + active.memory_bytes() - before;
                head.last_seq = seq;
                r = run_end;
            }
        }
    }

    /// Freezes the heads `policy` selects, plus frozen heads whose earlier
    /// cut failed, and returns the cut jobs.
    pub fn collect_cuts(&mut self, policy: CutPolicy) -> Vec<CutJob> {
        let mut jobs = Vec::new();
        let mut freeze: Vec<(Arc<StreamKey>, i32)> = Vec::new();
        for (key, state) in &mut self.streams {
            for h in &mut state.heads {
                if let Some(f) = h.frozen.as_mut() {
                    if !f.in_flight {
                        f.in_flight = true;
                        jobs.push(CutJob {
                            key: Arc::clone(key),
                            day: h.day,
                            id: h.id,
                            batch: Arc::clone(&f.batch),
                            last_seq: f.last_seq,
                            cut_id: f.cut_id,
                        });
                    }
                    continue;
                }
                if h.active.is_empty() {
                    continue;
                }
                let pick = match policy {
                    CutPolicy::Pressure { block_size, .. } => {
                        h.active.line_bytes() >= block_size as u64
                    }
                    CutPolicy::Age { now, max_age, idle } => {
                        now.saturating_sub(h.created_ns) >= max_age
                            || now.saturating_sub(state.last_append_ns) >= idle
                    }
                    CutPolicy::Day(d) => h.day == d,
                    CutPolicy::DayBefore(d, seq) => h.day == d && h.first_seq <= seq,
                    CutPolicy::Before(seq) => h.first_seq <= seq,
                };
                if pick {
                    freeze.push((Arc::clone(key), h.day));
                }
            }
        }
        if let CutPolicy::Pressure { budget, .. } = policy {
            let frozen_bytes: usize = freeze
                .iter()
                .filter_map(|(k, d)| self.head(k, *d))
                .map(|h| h.active.memory_bytes())
                .sum::<usize>()
                + self.in_flight_bytes();
            let mut projected = self.head_bytes.saturating_sub(frozen_bytes);
            if projected > budget {
                let mut candidates: Vec<(usize, Arc<StreamKey>, i32)> = Vec::new();
                for (key, state) in &self.streams {
                    for h in &state.heads {
                        if h.frozen.is_none()
                            && !h.active.is_empty()
                            && !freeze.iter().any(|(k, d)| k == key && *d == h.day)
                        {
                            candidates.push((h.active.memory_bytes(), Arc::clone(key), h.day));
                        }
                    }
                }
                candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
                for (bytes, key, day) in candidates {
                    if projected <= budget {
                        break;
                    }
                    projected = projected.saturating_sub(bytes);
                    freeze.push((key, day));
                }
            }
        }
        let full_at = match policy {
            CutPolicy::Pressure { block_size, .. } => block_size as u64,
            _ => u64::MAX,
        };
        for (key, day) in freeze {
            let cut_id = self.next_cut;
            self.next_cut += 1;
            let Some(state) = self.streams.get_mut(&key) else {
                continue;
            };
            let Some(h) = state.heads.iter_mut().find(|h| h.day == day) else {
                continue;
            };
            // A head that filled a block will fill again soon: give it a
            // spare. (Heads cut to relieve the budget get none: a spare's
            // whole capacity counts against the budget at once, and
            // handing them out made every block smaller.)
            let full = h.active.line_bytes() >= full_at;
            let next = match self.spare.pop() {
                Some(b) if full => {
                    self.head_bytes += b.memory_bytes();
                    b
                }
                Some(b) => {
                    self.spare.push(b);
                    EncodedBatch::for_head()
                }
                None => EncodedBatch::for_head(),
            };
            let batch = std::mem::replace(&mut h.active, Arc::new(next));
            jobs.push(CutJob {
                key: Arc::clone(&key),
                day,
                id: h.id,
                batch: Arc::clone(&batch),
                last_seq: h.last_seq,
                cut_id,
            });
            h.frozen = Some(Frozen {
                batch,
                first_seq: h.first_seq,
                last_seq: h.last_seq,
                cut_id,
                in_flight: true,
            });
            h.first_seq = 0;
        }
        jobs
    }

    fn head(&self, key: &StreamKey, day: i32) -> Option<&DayHead> {
        self.streams.get(key)?.heads.iter().find(|h| h.day == day)
    }

    fn in_flight_bytes(&self) -> usize {
        self.streams
            .values()
            .flat_map(|s| &s.heads)
            .filter_map(|h| h.frozen.as_ref())
            .map(|f| f.batch.memory_bytes())
            .sum()
    }

    /// Ends a cut: on success the frozen head is dropped (its block is in
    /// the index now) and its buffers kept for reuse when no reader holds
    /// them; on failure it stays readable and is retried later.
    pub fn complete_cut(&mut self, job: CutJob, ok: bool) {
        let CutJob {
            key,
            day,
            batch,
            cut_id,
            ..
        } = job;
        drop(batch);
        let Some(state) = self.streams.get_mut(&key) else {
            return;
        };
        let Some(pos) = state.heads.iter().position(|h| h.day == day) else {
            return;
        };
        let h = &mut state.heads[pos];
        if h.frozen.as_ref().is_some_and(|f| f.cut_id == cut_id) {
            if ok {
                if let Some(f) = h.frozen.take() {
                    self.head_bytes = self.head_bytes.saturating_sub(f.batch.memory_bytes());
                    if self.spare.len() < SPARE_BATCHES {
                        if let Ok(mut b) = Arc::try_unwrap(f.batch) {
                            b.clear();
                            self.spare.push(b);
                        }
                    }
                }
            } else if let Some(f) = h.frozen.as_mut() {
                f.in_flight = false;
            }
        }
        if h.frozen.is_none() && h.active.is_empty() {
            self.head_bytes = self.head_bytes.saturating_sub(h.active.memory_bytes());
            state.heads.swap_remove(pos);
        }
    }

    /// True when some head (open or frozen) of `day` exists, or any head at
    /// all when `day` is `None`.
    pub fn has_heads(&self, day: Option<i32>) -> bool {
        self.streams
            .values()
            .flat_map(|s| &s.heads)
            .any(|h| day.is_none_or(|d| h.day == d))
    }

    /// True when `key` has a head (open or frozen) in `day`.
    pub fn has_head(&self, key: &StreamKey, day: i32) -> bool {
        self.streams
            .get(key)
            .is_some_and(|s| s.heads.iter().any(|h| h.day == day))
    }

    /// True when some head (open or frozen) of `day` (of any day when
    /// `None`) still holds an entry from a WAL record up to `seq`.
    pub fn has_data_before(&self, day: Option<i32>, seq: u64) -> bool {
        self.streams
            .values()
            .flat_map(|s| &s.heads)
            .filter(|h| day.is_none_or(|d| h.day == d))
            .any(|h| {
                (!h.active.is_empty() && h.first_seq <= seq)
                    || h.frozen.as_ref().is_some_and(|f| f.first_seq <= seq)
            })
    }

    /// Forgets streams without heads that have been idle for `idle`.
    pub fn forget_idle(&mut self, now_ns: i64, idle: i64) -> usize {
        let before = self.streams.len();
        let per_tenant = &mut self.per_tenant;
        self.streams.retain(|k, s| {
            let keep = !s.heads.is_empty() || now_ns.saturating_sub(s.last_append_ns) < idle;
            if !keep {
                if let Some(n) = per_tenant.get_mut(&k.tenant) {
                    *n = n.saturating_sub(1);
                }
            }
            keep
        });
        per_tenant.retain(|_, n| *n > 0);
        before - self.streams.len()
    }

    /// Lowest WAL sequence whose entries are only in memory; `None` when
    /// every head is empty.
    pub fn low_water(&self) -> Option<u64> {
        self.streams
            .values()
            .flat_map(|s| &s.heads)
            .flat_map(|h| {
                let active = (!h.active.is_empty()).then_some(h.first_seq);
                let frozen = h.frozen.as_ref().map(|f| f.first_seq);
                active.into_iter().chain(frozen)
            })
            .min()
    }

    /// The in-memory sources of `key` for days in `days`.
    pub fn snapshot(
        &self,
        key: &StreamKey,
        days: std::ops::RangeInclusive<i32>,
    ) -> Vec<HeadSnapshot> {
        let Some(state) = self.streams.get(key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for h in state.heads.iter().filter(|h| days.contains(&h.day)) {
            if let Some(f) = &h.frozen {
                out.push(HeadSnapshot {
                    batch: Arc::clone(&f.batch),
                    order: f.last_seq,
                });
            }
            if !h.active.is_empty() {
                out.push(HeadSnapshot {
                    batch: Arc::clone(&h.active),
                    order: u64::MAX,
                });
            }
        }
        out
    }

    /// Stages a replayed WAL entry (already split) for `key`, creating the
    /// stream without limits: it was accepted before the restart.
    pub fn stage_replayed(&mut self, key: &Arc<StreamKey>, now_ns: i64) -> Arc<StreamKey> {
        if let Some((k, _)) = self.streams.get_key_value(&**key) {
            return Arc::clone(k);
        }
        self.streams.insert(
            Arc::clone(key),
            StreamState {
                newest: i64::MIN,
                last_append_ns: now_ns,
                heads: Vec::new(),
            },
        );
        *self.per_tenant.entry(key.tenant.clone()).or_default() += 1;
        Arc::clone(key)
    }

    /// Builds the staging entry for `count` replayed entries of `key` that
    /// were pushed into `self.record`, with their day ids.
    pub fn staged_for_replay(
        &self,
        key: Arc<StreamKey>,
        count: u32,
        days: Vec<(i32, u32)>,
    ) -> Staged {
        let start = self.record.len() - count as usize;
        let newest = (start..self.record.len())
            .map(|r| self.record.ts(r))
            .max()
            .unwrap_or(i64::MIN);
        Staged {
            key,
            count,
            source: 0,
            newest,
            days,
        }
    }

    /// The line encoder and the record, for replay staging.
    pub fn record_and_encoder(&mut self) -> (&mut EncodedBatch, &mut LineEncoder) {
        (&mut self.record, &mut self.enc)
    }

    /// Drops reusable buffers (spare heads, the staging record) so an idle
    /// store holds little memory.
    pub fn release_buffers(&mut self) {
        self.spare.clear();
        self.record = EncodedBatch::new();
    }

    /// The id a head of `key` already has for `day`.
    pub fn head_id(&self, key: &StreamKey, day: i32) -> Option<u32> {
        self.head(key, day).map(|h| h.id)
    }
}

impl Default for Ingest {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Entry, Label, Labels};

    fn push(labels: &[(&str, &str)], entries: &[(i64, &str)]) -> PushStream {
        PushStream {
            labels: Labels::from_pairs(labels.iter().copied()),
            entries: entries
                .iter()
                .map(|(t, l)| Entry {
                    ts: *t,
                    line: l.to_string(),
                    metadata: vec![],
                })
                .collect(),
        }
    }

    const LIMITS: IngestLimits = IngestLimits {
        window_ns: 100,
        max_streams: 2,
    };

    fn stage(ing: &mut Ingest, streams: Vec<PushStream>) -> (Vec<Staged>, AppendOutcome) {
        let mut next = 0u32;
        let mut reg = |_d: i32, _k: &Arc<StreamKey>| {
            next += 1;
            Ok(next)
        };
        ing.stage("fake", &streams, LIMITS, 0, &mut reg).unwrap()
    }

    #[test]
    fn duplicates_in_a_sorted_head_are_found_among_equal_timestamps() {
        let mut ing = Ingest::new();
        let first = push(
            &[("a", "1")],
            &[(910, "a"), (920, "b"), (920, "c"), (930, "d")],
        );
        let (st, _) = stage(&mut ing, vec![first]);
        ing.apply(&st, 1, 0);
        let again = push(
            &[("a", "1")],
            &[(920, "c"), (920, "e"), (920, "b"), (910, "a"), (930, "d")],
        );
        let (_, out) = stage(&mut ing, vec![again]);
        assert_eq!((out.accepted, out.duplicates), (1, 4));
    }

    #[test]
    fn duplicates_in_an_unsorted_head_are_found_in_any_chunk() {
        let mut ing = Ingest::new();
        // 150 entries out of order (scattered within the 100 ns window),
        // so the head is unsorted and spans three chunks of the scan.
        let ts = |i: i64| 10_000 + i * 37 % 90;
        let lines: Vec<String> = (0..150).map(|i| format!("line {i}")).collect();
        let entries: Vec<(i64, &str)> = (0..150)
            .map(|i| (ts(i as i64), lines[i].as_str()))
            .collect();
        let (st, out) = stage(&mut ing, vec![push(&[("a", "1")], &entries)]);
        assert_eq!(out.accepted, 150);
        ing.apply(&st, 1, 0);
        // One from each chunk again, the same timestamp with another line,
        // and a new timestamp.
        let again = push(
            &[("a", "1")],
            &[
                (ts(0), "line 0"),
                (ts(70), "line 70"),
                (ts(149), "line 149"),
                (ts(149), "line 148"),
                (10_095, "line 0"),
            ],
        );
        let (_, out) = stage(&mut ing, vec![again]);
        assert_eq!((out.accepted, out.duplicates), (2, 3));
    }

    #[test]
    fn window_duplicates_and_limits() {
        let mut ing = Ingest::new();
        let (st, out) = stage(
            &mut ing,
            vec![push(
                &[("a", "1")],
                &[
                    (1000, "x"),
                    (1000, "x"),
                    (950, "y"),
                    (899, "z"),
                    (1000, "x2"),
                ],
            )],
        );
        assert_eq!((out.accepted, out.duplicates), (3, 1));
        assert_eq!(
            out.rejected,
            vec![Rejected {
                stream: 0,
                entry: 3,
                reason: RejectReason::TooFarBehind {
                    ts: 899,
                    oldest_acceptable: 900
                }
            }]
        );
        ing.apply(&st, 1, 0);
        // Same entry again (in the head now): dropped; same ts, other
        // metadata: kept.
        let mut dup = push(&[("a", "1")], &[(950, "y"), (950, "y")]);
        dup.entries[1].metadata = vec![Label::new("k", "v")];
        let (st, out) = stage(
            &mut ing,
            vec![
                dup,
                push(&[("a", "2")], &[(5, "q")]),
                push(&[("a", "3")], &[(5, "r")]),
            ],
        );
        assert_eq!((out.accepted, out.duplicates), (2, 1));
        assert_eq!(
            out.rejected,
            vec![Rejected {
                stream: 2,
                entry: 0,
                reason: RejectReason::StreamLimit
            }]
        );
        ing.apply(&st, 2, 0);
        assert_eq!(ing.stream_count(), 2);
        assert_eq!(ing.low_water(), Some(1));
    }

    #[test]
    fn cuts_freeze_and_complete() {
        let mut ing = Ingest::new();
        let (st, _) = stage(
            &mut ing,
            vec![
                push(&[("a", "1")], &[(1, "aaaa"), (2, "bbbb")]),
                push(&[("a", "2")], &[(1, "c")]),
            ],
        );
        ing.apply(&st, 7, 0);
        let jobs = ing.collect_cuts(CutPolicy::Pressure {
            block_size: 8,
            budget: usize::MAX,
        });
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].batch.len(), 2);
        // A frozen head is still visible to readers, ordered by its seq.
        let key = Arc::clone(&jobs[0].key);
        let snap = ing.snapshot(&key, 0..=0);
        assert_eq!(snap.iter().map(|s| s.order).collect::<Vec<_>>(), [7]);
        ing.complete_cut(jobs[0].clone(), false);
        let retry = ing.collect_cuts(CutPolicy::Pressure {
            block_size: 1 << 20,
            budget: usize::MAX,
        });
        assert_eq!(retry.len(), 1);
        ing.complete_cut(retry[0].clone(), true);
        assert!(ing.snapshot(&key, 0..=0).is_empty());
        assert_eq!(ing.low_water(), Some(7));
        // Budget pressure cuts the rest.
        let jobs = ing.collect_cuts(CutPolicy::Pressure {
            block_size: 1 << 20,
            budget: 0,
        });
        assert_eq!(jobs.len(), 1);
        ing.complete_cut(jobs[0].clone(), true);
        assert_eq!((ing.low_water(), ing.head_bytes()), (None, 0));
        assert!(!ing.has_heads(None));
        assert_eq!(ing.forget_idle(10, 5), 2);
    }

    #[test]
    fn spares_go_only_to_heads_that_filled_a_block() {
        let mut ing = Ingest::new();
        let line = "x".repeat(100);
        let append = |ing: &mut Ingest, app: &str, t0: i64, n: i64, seq: u64| {
            let entries: Vec<(i64, &str)> = (0..n).map(|i| (t0 + i, line.as_str())).collect();
            let (st, _) = stage(ing, vec![push(&[("app", app)], &entries)]);
            ing.apply(&st, seq, 0);
        };
        let cut = |ing: &mut Ingest, budget: usize| {
            let jobs = ing.collect_cuts(CutPolicy::Pressure {
                block_size: 1000,
                budget,
            });
            let held = ing.head_bytes();
            for j in jobs {
                ing.complete_cut(j, true);
            }
            held
        };
        // A block's worth: cut, and its emptied buffer kept as a spare.
        append(&mut ing, "a", 0, 10, 1);
        cut(&mut ing, usize::MAX);
        assert_eq!(ing.head_bytes(), 0);
        // Cut only to relieve the budget: the new head takes no spare.
        append(&mut ing, "b", 0, 1, 2);
        let b_bytes = ing.head_bytes();
        assert_eq!(cut(&mut ing, 0), b_bytes);
        assert_eq!(ing.head_bytes(), 0);
        // A head that filled a block again starts on the spare.
        append(&mut ing, "a", 100, 10, 3);
        let a_bytes = ing.head_bytes();
        assert!(cut(&mut ing, usize::MAX) > a_bytes);
    }

    #[test]
    fn closed_days_reject() {
        let mut ing = Ingest::new();
        ing.closed_through = Some(0);
        let day = crate::store::key::DAY_NS;
        let (_, out) = stage(
            &mut ing,
            vec![push(&[("a", "1")], &[(day - 1, "old"), (day, "new")])],
        );
        assert_eq!(out.accepted, 1);
        assert_eq!(
            out.rejected[0].reason,
            RejectReason::TooFarBehind {
                ts: day - 1,
                oldest_acceptable: day
            }
        );
    }
}

//! The durable store: WAL, per-stream heads, chunks in day partitions,
//! label index, retention.
//!
//! Data flow (one file per stage):
//!
//! ```text
//! append -> head::Ingest::stage (window, limits, duplicates)
//!        -> wal (one compressed record per append, group commit)
//!        -> head (split lines per stream and day)
//!        -> cut: block (columnar codec) appended to the day's chunk_file,
//!                index (roaring postings) updated
//! maintenance -> compact (seal finished days, re-seal days that took late
//!                writes), retention (drop old days)
//! read   -> index selects streams -> iter merges blocks and heads
//! ```
//!
//! Byte layouts are specified in `storage-format.md`.

pub mod batch;
pub mod block;
pub mod check;
pub mod chunk_file;
pub mod compact;
pub mod day_fields;
pub mod error;
pub mod field_summary;
pub mod frame;
pub mod fsutil;
pub mod head;
pub mod index;
pub mod iter;
pub mod key;
pub mod linecodec;
pub mod metrics;
pub mod partition;
pub mod retention;
pub mod rice;
mod segments;
pub mod skeleton_needle;
pub mod varint;
pub mod wal;
pub mod wal_record;
mod window16;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

pub use batch::EntryBatch;
pub use check::{check, CheckIssue, CheckReport};
use day_fields::StreamFields;
pub use error::{CodecError, StoreError};
pub use field_summary::FieldSummary;
pub use head::{AppendOutcome, AppendStream, RejectReason, Rejected};
pub use iter::{CountBatch, Counts, EntryIter, StreamStats};
pub use metrics::StoreMetrics;

use block::BlockEncoder;
use fsutil::{create_dir_all, DirLock};
use head::{CutJob, CutPolicy, Ingest, IngestLimits, Staged};
use key::{day_name, day_of, day_start, days_in, parse_day_name, StreamKey};
use partition::Partition;
use wal::Wal;
use wal_record::{RecordDecoder, RecordEncoder, WalRecord};

use crate::model::{Direction, Labels, Matcher};

/// Longest tenant id accepted (Loki's limit).
pub const MAX_TENANT_LEN: usize = 150;

/// Store configuration; `Default` gives the Raspberry Pi profile.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Data directory.
    pub dir: PathBuf,
    /// Days older than this are dropped; `None` or zero keeps everything.
    pub retention: Option<Duration>,
    /// Longest time a written WAL record waits for fsync; zero fsyncs
    /// before `append` returns (concurrent appends share one fsync).
    pub wal_sync_interval: Duration,
    /// How far behind a stream's newest entry an entry may be.
    pub out_of_order_window: Duration,
    /// Memory all heads together may hold before the largest are cut.
    pub head_budget_bytes: usize,
    /// Uncompressed line bytes of a block written when a day is sealed.
    pub chunk_target_size: usize,
    /// Uncompressed line bytes at which a head is cut into a block.
    pub block_size: usize,
    /// A head older than this is cut.
    pub chunk_max_age: Duration,
    /// A head of a stream without appends for this long is cut.
    pub chunk_idle_period: Duration,
    /// Active streams a tenant may have.
    pub max_streams_per_tenant: usize,
    /// Size at which a WAL segment is closed and the next begun.
    pub wal_segment_size: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            dir: PathBuf::from("./data"),
            retention: Some(Duration::from_secs(7 * 86_400)),
            wal_sync_interval: Duration::from_secs(1),
            out_of_order_window: Duration::from_secs(3600),
            head_budget_bytes: 16 << 20,
            chunk_target_size: 1 << 20,
            block_size: 256 << 10,
            chunk_max_age: Duration::from_secs(3600),
            chunk_idle_period: Duration::from_secs(1800),
            max_streams_per_tenant: 5000,
            wal_segment_size: 32 << 20,
        }
    }
}

impl StoreConfig {
    fn validate(&self) -> Result<(), StoreError> {
        let bad = |m: &str| Err(StoreError::Config(m.to_string()));
        if self.block_size == 0 || self.block_size > 64 << 20 {
            return bad("block_size must be between 1 byte and 64 MiB");
        }
        if self.chunk_target_size == 0 || self.chunk_target_size > 256 << 20 {
            return bad("chunk_target_size must be between 1 byte and 256 MiB");
        }
        if self.head_budget_bytes == 0 {
            return bad("head_budget_bytes must be positive");
        }
        if self.max_streams_per_tenant == 0 {
            return bad("max_streams_per_tenant must be positive");
        }
        if self.wal_segment_size < 4096 {
            return bad("wal_segment_size must be at least 4 KiB");
        }
        Ok(())
    }
}

/// A stream found by [`Store::streams`]: its tenant and full labels. Its
/// data is located by these in every partition and head.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamRef {
    /// The tenant.
    pub tenant: String,
    /// The labels as stored (including `service_name`).
    pub labels: Labels,
}

impl StreamRef {
    /// The stream's key in the store.
    fn key(&self) -> StreamKey {
        StreamKey {
            tenant: self.tenant.clone(),
            labels: self.labels.clone(),
        }
    }
}

/// What one [`Store::maintenance`] run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Heads cut by age or idleness.
    pub heads_cut: usize,
    /// Idle streams forgotten (freeing their active-stream slots).
    pub streams_forgotten: usize,
    /// Days sealed (`YYYY-MM-DD`).
    pub days_sealed: Vec<String>,
    /// Days dropped by retention (`YYYY-MM-DD`).
    pub days_dropped: Vec<String>,
    /// WAL segments deleted.
    pub wal_segments_deleted: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn wall_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// A block encoder with its output and order buffers, reused across cuts.
type CutWorkspace = (BlockEncoder, Vec<u8>, Vec<u32>);

/// State behind the ingest lock: heads plus the WAL record encoder.
struct IngestSide {
    ingest: Ingest,
    encoder: RecordEncoder,
    body: Vec<u8>,
}

/// Everything but the WAL: what recovery needs before the WAL writer
/// exists.
struct Core {
    /// Days up to this one were closed (dropped, or sealed by an older
    /// build) before this process started: WAL records naming them are
    /// skipped.
    closed_at_open: Option<i32>,
    cfg: StoreConfig,
    metrics: Arc<StoreMetrics>,
    ingest: Mutex<IngestSide>,
    partitions: RwLock<BTreeMap<i32, Arc<Partition>>>,
    encoders: Mutex<Vec<CutWorkspace>>,
}

/// The log store. `Send + Sync`; share it as `Arc<Store>`.
pub struct Store {
    core: Arc<Core>,
    wal: Arc<Wal>,
    maint: Mutex<()>,
    syncer: Mutex<Option<Syncer>>,
    _lock: DirLock,
}

struct Syncer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: JoinHandle<()>,
}

impl Core {
    fn days_dir(&self) -> PathBuf {
        self.cfg.dir.join("days")
    }

    fn partition(&self, day: i32) -> Option<Arc<Partition>> {
        self.partitions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&day)
            .cloned()
    }

    /// The partition of `day`, created when missing.
    fn partition_for(&self, day: i32) -> Result<Arc<Partition>, StoreError> {
        if let Some(p) = self.partition(day) {
            return Ok(p);
        }
        let mut parts = self.partitions.write().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = parts.get(&day) {
            return Ok(Arc::clone(p));
        }
        let p = Arc::new(Partition::create(self.days_dir().join(day_name(day)), day)?);
        parts.insert(day, Arc::clone(&p));
        Ok(p)
    }

    /// Registers `key` in `day`'s index (sealed days too: late writes
    /// reopen them) and returns its id there.
    fn register(&self, day: i32, key: &Arc<StreamKey>) -> Result<u32, StoreError> {
        Ok(self.partition_for(day)?.stream_id(key))
    }

    fn publish_gauges(&self, ing: &Ingest) {
        use std::sync::atomic::Ordering::Relaxed;
        self.metrics
            .head_bytes
            .store(ing.head_bytes() as u64, Relaxed);
        self.metrics
            .active_streams
            .store(ing.stream_count() as u64, Relaxed);
    }

    /// Encodes and writes each frozen head as blocks of about `block_size`
    /// line bytes (one write per head), then (under the ingest lock, so
    /// readers see either the head or the blocks) adds the blocks to the
    /// index and drops the head. Returns the first error; failed heads stay
    /// readable and are retried by the next cut.
    fn run_cuts(&self, jobs: Vec<CutJob>) -> Result<(), StoreError> {
        let mut first_err = None;
        for job in jobs {
            let (mut enc, mut buf, mut order) = lock(&self.encoders)
                .pop()
                .unwrap_or_else(|| (BlockEncoder::new(), Vec::new(), Vec::new()));
            let res = self
                .partition(job.day)
                .ok_or(StoreError::Closed)
                .and_then(|p| {
                    job.batch.sorted_order(&mut order);
                    buf.clear();
                    let mut pieces = Vec::new();
                    let target = block::even_block_target(
                        job.batch.line_bytes(),
                        self.cfg.block_size as u64,
                    );
                    let mut start = 0;
                    while start < order.len() {
                        let mut end = start;
                        let mut bytes = 0u64;
                        while end < order.len() && (bytes < target || end == start) {
                            bytes += u64::from(job.batch.line_len(order[end] as usize));
                            end += 1;
                        }
                        let at = buf.len();
                        let summary = enc.encode(&job.batch, &order[start..end], true, &mut buf);
                        pieces.push((at, summary));
                        start = end;
                    }
                    let blocks: Vec<(&[u8], block::BlockSummary)> = pieces
                        .iter()
                        .enumerate()
                        .map(|(i, &(at, s))| {
                            let end = pieces.get(i + 1).map_or(buf.len(), |p| p.0);
                            (&buf[at..end], s)
                        })
                        .collect();
                    let (metas, bytes) = p.write_blocks(job.id, &job.key, job.last_seq, &blocks)?;
                    Ok((p, metas, bytes))
                });
            if buf.capacity() > 4 * self.cfg.block_size {
                buf = Vec::new();
            }
            lock(&self.encoders).push((enc, buf, order));
            let mut side = lock(&self.ingest);
            match res {
                Ok((p, metas, bytes)) => {
                    StoreMetrics::add(&self.metrics.blocks_written, metas.len() as u64);
                    StoreMetrics::add(&self.metrics.chunk_bytes_written, bytes);
                    for meta in metas {
                        p.add_block(job.id, meta);
                    }
                    side.ingest.complete_cut(job, true);
                }
                Err(e) => {
                    tracing::error!(error = %e, day = %day_name(job.day), "writing a block failed; the head stays in memory and the WAL");
                    side.ingest.complete_cut(job, false);
                    first_err.get_or_insert(e);
                }
            }
            self.publish_gauges(&side.ingest);
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Cuts the heads `policy` selects until `done` holds, retrying failed
    /// cuts and waiting for other threads' cuts in flight (a head being
    /// cut when the policy is applied is picked up once its cut ends).
    fn cut_until_done(
        &self,
        policy: CutPolicy,
        done: impl Fn(&Ingest) -> bool,
    ) -> Result<usize, StoreError> {
        let mut cut = 0;
        loop {
            let jobs = lock(&self.ingest).ingest.collect_cuts(policy);
            cut += jobs.len();
            let progressed = !jobs.is_empty();
            self.run_cuts(jobs)?;
            if done(&lock(&self.ingest).ingest) {
                return Ok(cut);
            }
            if !progressed {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Returns scratch memory to the allocator (and, with glibc, the
    /// allocator's free memory to the OS) once no head holds data: an idle
    /// store should be small.
    fn release_memory_if_idle(&self) {
        let mut side = lock(&self.ingest);
        if side.ingest.has_heads(None) {
            return;
        }
        side.ingest.release_buffers();
        side.body = Vec::new();
        side.encoder = RecordEncoder::new();
        drop(side);
        lock(&self.encoders).clear();
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim only returns free heap pages to the kernel.
        unsafe {
            libc::malloc_trim(0);
        }
    }

    /// Every day partition, oldest first.
    fn all_partitions(&self) -> Vec<Arc<Partition>> {
        self.partitions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    fn sync_partitions(&self) -> Result<(), StoreError> {
        for p in self.all_partitions() {
            p.sync()?;
        }
        Ok(())
    }

    /// Applies one replayed WAL record: entries already durable in a block
    /// or a sealed generation are skipped, the rest go back into heads.
    fn replay_record(&self, seq: u64, rec: &WalRecord, now: i64) -> Result<(), StoreError> {
        let mut side = lock(&self.ingest);
        let ing = &mut side.ingest;
        ing.record.clear();
        let mut staged: Vec<Staged> = Vec::new();
        let mut r = 0usize;
        for (labels, n) in &rec.streams {
            let key = Arc::new(StreamKey {
                tenant: rec.tenant.clone(),
                labels: labels.clone(),
            });
            let mut key_in_map: Option<Arc<StreamKey>> = None;
            let mut days: Vec<(i32, u32)> = Vec::new();
            let mut count = 0u32;
            for i in r..r + *n as usize {
                let ts = rec.entries.ts(i);
                let day = day_of(ts);
                if self.closed_at_open.is_some_and(|c| day <= c) {
                    continue;
                }
                let p = self.partition_for(day)?;
                if seq <= p.durable_seq(&key) {
                    continue;
                }
                let k = key_in_map.get_or_insert_with(|| ing.stage_replayed(&key, now));
                if !days.iter().any(|(d, _)| *d == day) {
                    let id = ing.head_id(k, day).unwrap_or_else(|| p.stream_id(k));
                    // Replayed lines were never summarised.
                    p.forget_fields(k);
                    days.push((day, id));
                }
                let (record, enc) = ing.record_and_encoder();
                record.push(enc, ts, rec.entries.line(i), rec.entries.metadata(i));
                count += 1;
            }
            r += *n as usize;
            if let Some(k) = key_in_map {
                if count > 0 {
                    staged.push(ing.staged_for_replay(k, count, days));
                }
            }
        }
        ing.apply(&staged, seq, now);
        let jobs = ing.collect_cuts(CutPolicy::Pressure {
            block_size: self.cfg.block_size,
            budget: self.cfg.head_budget_bytes,
        });
        drop(side);
        self.run_cuts(jobs)
    }
}

impl Store {
    /// Opens (or creates) the data directory: loads day partitions, replays
    /// the WAL into heads, and starts the WAL syncer.
    pub fn open(cfg: StoreConfig) -> Result<Store, StoreError> {
        cfg.validate()?;
        create_dir_all(&cfg.dir)?;
        let dir_lock = DirLock::acquire(&cfg.dir)?;
        let metrics = Arc::new(StoreMetrics::default());
        let days_dir = cfg.dir.join("days");
        create_dir_all(&days_dir)?;
        let mut parts = BTreeMap::new();
        for e in
            fs::read_dir(&days_dir).map_err(|e| StoreError::io("read directory", &days_dir, e))?
        {
            let e = e.map_err(|e| StoreError::io("read directory", &days_dir, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(day) = parse_day_name(&name) else {
                continue;
            };
            if e.path().is_dir() {
                parts.insert(day, Arc::new(Partition::load(e.path(), day, &metrics)?));
            }
        }
        // Days sealed by an older build hold no WAL sequences: they stay
        // closed, recorded before anything can rewrite them.
        let recorded = retention::read_closed(&days_dir);
        let closed = parts
            .values()
            .filter(|p| p.is_legacy())
            .map(|p| p.day)
            .chain(recorded)
            .max();
        if let Some(day) = closed.filter(|_| closed != recorded) {
            retention::write_closed(&days_dir, day)?;
        }
        let mut ingest = Ingest::new();
        ingest.closed_through = closed;
        let max_block_seq = parts.values().map(|p| p.max_seq()).max().unwrap_or(0);
        let core = Arc::new(Core {
            closed_at_open: closed,
            cfg,
            metrics: Arc::clone(&metrics),
            ingest: Mutex::new(IngestSide {
                ingest,
                encoder: RecordEncoder::new(),
                body: Vec::new(),
            }),
            partitions: RwLock::new(parts),
            encoders: Mutex::new(Vec::new()),
        });
        let wal_dir = core.cfg.dir.join("wal");
        let now = wall_ns();
        let mut dec = RecordDecoder::new();
        let mut rec = WalRecord::default();
        let outcome = wal::replay(&wal_dir, &metrics, |seq, body| {
            match dec.decode(body, &mut rec) {
                Ok(()) => core.replay_record(seq, &rec, now),
                Err(e) => {
                    tracing::warn!(dir = %wal_dir.display(), seq, error = %e, "skipping WAL record that does not decode");
                    StoreMetrics::add(&metrics.recovery_errors, 1);
                    Ok(())
                }
            }
        })?;
        for p in core
            .partitions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            p.release_replay_state();
        }
        let next_seq = outcome.last_seq.max(max_block_seq) + 1;
        let existing = wal::list_segments(&wal_dir)?;
        let wal = Arc::new(Wal::create(
            &wal_dir,
            core.cfg.wal_segment_size,
            next_seq,
            existing,
            Arc::clone(&metrics),
        )?);
        core.publish_gauges(&lock(&core.ingest).ingest);
        let syncer = (!core.cfg.wal_sync_interval.is_zero()).then(|| {
            let stop = Arc::new((Mutex::new(false), Condvar::new()));
            let (wal2, stop2, every) = (
                Arc::clone(&wal),
                Arc::clone(&stop),
                core.cfg.wal_sync_interval,
            );
            let thread = std::thread::spawn(move || {
                let (m, cv) = &*stop2;
                let mut stopped = lock(m);
                loop {
                    stopped = cv
                        .wait_timeout(stopped, every)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|p| p.into_inner().0);
                    if *stopped {
                        return;
                    }
                    if wal2.has_unsynced() {
                        if let Err(e) = wal2.sync_all() {
                            tracing::error!(error = %e, "WAL fsync failed");
                        }
                    }
                }
            });
            Syncer { stop, thread }
        });
        Ok(Store {
            core,
            wal,
            maint: Mutex::new(()),
            syncer: Mutex::new(syncer),
            _lock: dir_lock,
        })
    }

    /// The store's counters and gauges.
    pub fn metrics(&self) -> Arc<StoreMetrics> {
        Arc::clone(&self.core.metrics)
    }

    /// The configuration in use.
    pub fn config(&self) -> &StoreConfig {
        &self.core.cfg
    }

    /// Stores a push for `tenant`. Blocking; safe from many threads at once.
    /// Returns after the WAL record is written (and fsynced, sharing the
    /// fsync with concurrent appends, when `wal_sync_interval` is zero).
    pub fn append<S: AppendStream>(
        &self,
        tenant: &str,
        streams: &[S],
    ) -> Result<AppendOutcome, StoreError> {
        if tenant.is_empty() || tenant.len() > MAX_TENANT_LEN {
            return Err(StoreError::InvalidTenant(tenant.to_string()));
        }
        let core = &self.core;
        let now = wall_ns();
        let limits = IngestLimits {
            window_ns: nanos(core.cfg.out_of_order_window),
            max_streams: core.cfg.max_streams_per_tenant,
        };
        let mut side = lock(&core.ingest);
        if side.ingest.closed {
            return Err(StoreError::Closed);
        }
        let (staged, outcome) =
            side.ingest
                .stage(tenant, streams, limits, now, &mut |day, key| {
                    core.register(day, key)
                })?;
        // Under the ingest lock, so a reader sees a summary covering at
        // least the entries it reads.
        for st in &staged {
            let lines = streams.get(st.source).and_then(AppendStream::fields);
            for day in st.days() {
                if let Some(p) = core.partition(day) {
                    p.add_fields(&st.key, lines);
                }
            }
        }
        StoreMetrics::add(&core.metrics.entries_duplicate, outcome.duplicates as u64);
        StoreMetrics::add(
            &core.metrics.entries_rejected,
            outcome.rejected.len() as u64,
        );
        if staged.is_empty() {
            return Ok(outcome);
        }
        let IngestSide {
            ingest,
            encoder,
            body,
        } = &mut *side;
        body.clear();
        let table: Vec<(&Labels, u32)> = staged.iter().map(|s| (&s.key.labels, s.count)).collect();
        encoder.encode(tenant, &table, &ingest.record, body);
        let (seq, pos) = self.wal.append(body)?;
        if body.capacity() > 8 << 20 {
            *body = Vec::new();
        }
        ingest.apply(&staged, seq, now);
        StoreMetrics::add(&core.metrics.entries_appended, outcome.accepted as u64);
        let jobs = ingest.collect_cuts(CutPolicy::Pressure {
            block_size: core.cfg.block_size,
            budget: core.cfg.head_budget_bytes,
        });
        core.publish_gauges(ingest);
        drop(side);
        if let Err(e) = core.run_cuts(jobs) {
            // The entries are in the WAL and still in memory; the cut is
            // retried later. The append itself succeeded.
            tracing::warn!(error = %e, "cutting heads failed");
        }
        if core.cfg.wal_sync_interval.is_zero() {
            self.wal.sync_to(pos)?;
        }
        Ok(outcome)
    }

    /// Cuts every head now, writes and fsyncs the blocks, and deletes the
    /// WAL segments that are no longer needed (Loki's `/flush`).
    pub fn flush(&self) -> Result<(), StoreError> {
        let _m = lock(&self.maint);
        // Heads appends open meanwhile are not waited for, so a flush ends
        // under constant ingest.
        let upto = self.wal.next_seq().saturating_sub(1);
        self.core.cut_until_done(CutPolicy::Before(upto), |ing| {
            !ing.has_data_before(None, upto)
        })?;
        self.truncate_wal(true)?;
        self.save_fields()?;
        self.core.release_memory_if_idle();
        Ok(())
    }

    /// Saves the days' JSON field summaries that changed.
    fn save_fields(&self) -> Result<(), StoreError> {
        for p in self.core.all_partitions() {
            p.save_fields()?;
        }
        Ok(())
    }

    /// fsyncs chunk files, then deletes WAL segments whose entries are all
    /// in blocks.
    fn truncate_wal(&self, roll: bool) -> Result<usize, StoreError> {
        self.core.sync_partitions()?;
        let low = lock(&self.core.ingest)
            .ingest
            .low_water()
            .unwrap_or_else(|| self.wal.next_seq());
        self.wal.truncate_before(low, roll)
    }

    /// Background duties with an injected clock (`now_ns`): cut heads by age
    /// and idleness, forget idle streams, seal finished days (day end plus
    /// the out-of-order window passed), drop days past retention, delete
    /// unneeded WAL segments.
    pub fn maintenance(&self, now_ns: i64) -> Result<MaintenanceReport, StoreError> {
        let _m = lock(&self.maint);
        let core = &self.core;
        let mut report = MaintenanceReport::default();
        let jobs = lock(&core.ingest).ingest.collect_cuts(CutPolicy::Age {
            now: now_ns,
            max_age: nanos(core.cfg.chunk_max_age),
            idle: nanos(core.cfg.chunk_idle_period),
        });
        report.heads_cut = jobs.len();
        let cut_res = core.run_cuts(jobs);
        {
            let mut side = lock(&core.ingest);
            report.streams_forgotten = side
                .ingest
                .forget_idle(now_ns, nanos(core.cfg.chunk_idle_period));
            core.publish_gauges(&side.ingest);
        }
        cut_res?;
        let today = day_of(now_ns);
        let window = nanos(core.cfg.out_of_order_window);
        let parts: Vec<Arc<Partition>> = core
            .partitions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        let expired = retention::expired(parts.iter().map(|p| p.day), now_ns, core.cfg.retention);
        for p in &parts {
            if expired.contains(&p.day) {
                // From here on the day takes no writes; its heads are cut
                // (and dropped with it).
                {
                    let mut side = lock(&core.ingest);
                    let ct = &mut side.ingest.closed_through;
                    *ct = Some(ct.map_or(p.day, |d| d.max(p.day)));
                }
                core.cut_until_done(CutPolicy::Day(p.day), |ing| !ing.has_heads(Some(p.day)))?;
                continue;
            }
            let finished = p.day < today && now_ns >= day_start(p.day + 1).saturating_add(window);
            if !p.needs_seal(finished) {
                continue;
            }
            // A sealed day still taking late writes is sealed again once
            // they have been cut (by age or idleness), not on every run.
            if p.has_base() && lock(&core.ingest).ingest.has_heads(Some(p.day)) {
                continue;
            }
            let upto = self.wal.next_seq().saturating_sub(1);
            core.cut_until_done(CutPolicy::DayBefore(p.day, upto), |ing| {
                !ing.has_data_before(Some(p.day), upto)
            })?;
            let (_, rebuilt) = compact::seal(p, core.cfg.chunk_target_size, &core.metrics)?;
            if !rebuilt.is_empty() {
                // Under the ingest lock: no append can add a line meanwhile.
                let side = lock(&core.ingest);
                for (key, summary) in rebuilt {
                    if !side.ingest.has_head(&key, p.day) {
                        p.install_fields(key, summary);
                    }
                }
            }
            // The summaries still describe the day; their file names the
            // new generation.
            p.save_fields()?;
            report.days_sealed.push(day_name(p.day));
        }
        if !expired.is_empty() {
            if let Some(day) = lock(&core.ingest).ingest.closed_through {
                retention::write_closed(&core.days_dir(), day)?;
            }
        }
        for day in expired {
            let removed = core
                .partitions
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&day);
            if let Some(p) = removed {
                retention::drop_day(&p.dir)?;
                StoreMetrics::add(&core.metrics.days_dropped, 1);
                report.days_dropped.push(day_name(day));
            }
        }
        report.wal_segments_deleted = self.truncate_wal(false)?;
        core.release_memory_if_idle();
        Ok(report)
    }

    /// Graceful shutdown: cuts all heads, fsyncs, stops the syncer. Later
    /// appends fail with [`StoreError::Closed`].
    pub fn close(&self) -> Result<(), StoreError> {
        lock(&self.core.ingest).ingest.closed = true;
        self.flush()?;
        self.wal.sync_all()?;
        self.stop_syncer();
        Ok(())
    }

    fn stop_syncer(&self) {
        if let Some(s) = lock(&self.syncer).take() {
            *lock(&s.stop.0) = true;
            s.stop.1.notify_all();
            let _ = s.thread.join();
        }
    }

    fn partitions_in(&self, start: i64, end: i64) -> Vec<Arc<Partition>> {
        let days = days_in(start, end);
        if days.is_empty() {
            return Vec::new();
        }
        self.core
            .partitions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .range(days)
            .map(|(_, p)| Arc::clone(p))
            .collect()
    }

    /// Streams of `tenants` matching all `matchers` with data in days that
    /// overlap `[start, end)`, sorted by tenant and labels.
    pub fn streams(
        &self,
        tenants: &[&str],
        matchers: &[Matcher],
        start: i64,
        end: i64,
    ) -> Result<Vec<StreamRef>, StoreError> {
        let mut out = BTreeSet::new();
        for p in self.partitions_in(start, end) {
            for k in p.select(tenants, matchers)? {
                out.insert(StreamRef {
                    tenant: k.tenant,
                    labels: k.labels,
                });
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Label names of the selected streams (from the index), sorted.
    pub fn label_names(
        &self,
        tenants: &[&str],
        matchers: &[Matcher],
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut out = BTreeSet::new();
        for p in self.partitions_in(start, end) {
            out.extend(p.labels(tenants, matchers, None)?);
        }
        Ok(out.into_iter().collect())
    }

    /// Values of label `name` over the selected streams (from the index),
    /// sorted.
    pub fn label_values(
        &self,
        tenants: &[&str],
        name: &str,
        matchers: &[Matcher],
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut out = BTreeSet::new();
        for p in self.partitions_in(start, end) {
            out.extend(p.labels(tenants, matchers, Some(name))?);
        }
        Ok(out.into_iter().collect())
    }

    /// The entries of `stream` in `[start, end)` in `dir` order, merged over
    /// heads and every block of every day partition in range.
    pub fn entries(&self, stream: &StreamRef, start: i64, end: i64, dir: Direction) -> EntryIter {
        let key = stream.key();
        let side = lock(&self.core.ingest);
        self.entries_locked(&key, &side.ingest, start, end, dir)
    }

    /// [`Self::entries`] under the ingest lock.
    fn entries_locked(
        &self,
        key: &StreamKey,
        ingest: &Ingest,
        start: i64,
        end: i64,
        dir: Direction,
    ) -> EntryIter {
        let metrics = Arc::clone(&self.core.metrics);
        let heads = ingest.snapshot(key, days_in(start, end));
        let mut blocks = Vec::new();
        for p in self.partitions_in(start, end) {
            match p.blocks(key, start, end) {
                Ok(b) => blocks.extend(b),
                Err(e) => return EntryIter::failed(e, metrics),
            }
        }
        EntryIter::new(heads, blocks, start, end, dir, metrics)
    }

    /// [`Self::entries`] together with the JSON field summary of every line
    /// the iterator can return, when each day holding the stream has one
    /// (see [`field_summary`]); both are taken at one moment.
    pub fn entries_with_fields(
        &self,
        stream: &StreamRef,
        start: i64,
        end: i64,
        dir: Direction,
    ) -> (EntryIter, Option<FieldSummary>) {
        let key = stream.key();
        let side = lock(&self.core.ingest);
        let mut fields: Option<FieldSummary> = None;
        let mut known = true;
        for p in self.partitions_in(start, end) {
            match p.fields_of(&key) {
                StreamFields::Summary(f) => match fields.as_mut() {
                    None => fields = Some(f),
                    Some(all) => known &= all.merge(&f),
                },
                StreamFields::NoData => {}
                StreamFields::Unknown => known = false,
            }
        }
        let it = self.entries_locked(&key, &side.ingest, start, end, dir);
        drop(side);
        (it, fields.filter(|_| known))
    }

    /// Structured-metadata names carried by entries of `stream` in
    /// `[start, end)`, sorted, from heads and blocks without decoding line
    /// data (see [`EntryIter::metadata_names`]: per block, so possibly a
    /// superset near the range ends). Empty means no entry in range has
    /// structured metadata, so block summaries can answer counts for
    /// series whose labels must not depend on it.
    pub fn metadata_names(
        &self,
        stream: &StreamRef,
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, StoreError> {
        self.entries(stream, start, end, Direction::Forward)
            .metadata_names()
    }

    /// Chunk (block), byte and entry totals of `stream` over `[start, end)`
    /// from block headers and heads, without decompressing.
    pub fn stream_stats(
        &self,
        stream: &StreamRef,
        start: i64,
        end: i64,
    ) -> Result<StreamStats, StoreError> {
        let it = self.entries(stream, start, end, Direction::Forward);
        Ok(it.stats())
    }
}

impl Drop for Store {
    /// Stops the WAL syncer without cutting heads: dropping without
    /// [`Store::close`] is what a crash looks like to the next open.
    fn drop(&mut self) {
        self.stop_syncer();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_and_iterators_are_send_and_sync() {
        fn is<T: Send + Sync>() {}
        is::<Store>();
        is::<EntryIter>();
        is::<batch::EncodedBatch>();
    }

    /// A store in `dir` that fsyncs before every acknowledgement.
    fn synced_store(dir: &std::path::Path, block_size: usize) -> Store {
        Store::open(StoreConfig {
            dir: dir.to_path_buf(),
            wal_sync_interval: Duration::ZERO,
            block_size,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn a_head_is_cut_into_even_blocks() {
        use crate::model::{Entry, PushStream};
        let tmp = tempfile::tempdir().unwrap();
        let store = synced_store(tmp.path(), 1000);
        let t0 = 20_000 * key::DAY_NS;
        let blocks = || {
            store
                .metrics()
                .blocks_written
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        // Lines of 100 bytes: 1,200 bytes make one block (not 1,000 and a
        // 200-byte remainder); 2,600 make three of about 870.
        for (app, lines, want) in [("a", 12, 1), ("b", 26, 3)] {
            let before = blocks();
            let entries: Vec<Entry> = (0..lines)
                .map(|i| Entry {
                    ts: t0 + i,
                    line: format!("{app} {i:>97}"),
                    metadata: Vec::new(),
                })
                .collect();
            let stream = PushStream {
                labels: Labels::from_pairs([("app", app)]),
                entries: entries.clone(),
            };
            store.append("fake", &[stream]).unwrap();
            store.flush().unwrap();
            assert_eq!(blocks() - before, want, "{app}");
            let sref = StreamRef {
                tenant: "fake".to_string(),
                labels: Labels::from_pairs([("app", app)]),
            };
            let stats = store.stream_stats(&sref, t0, t0 + 100).unwrap();
            assert_eq!((stats.entries, stats.chunks), (lines as u64, want));
            let mut it = store.entries(&sref, t0, t0 + 100, Direction::Forward);
            let mut got = Vec::new();
            while let Some(b) = it.next_batch() {
                let b = b.unwrap();
                got.extend((0..b.len()).map(|i| (b.ts(i), b.line(i).to_string())));
            }
            let want_entries: Vec<(i64, String)> =
                entries.into_iter().map(|e| (e.ts, e.line)).collect();
            assert_eq!(got, want_entries);
        }
    }

    #[test]
    fn metadata_names_from_heads_blocks_and_sealed_days() {
        use crate::model::{Entry, Label, PushStream};
        let tmp = tempfile::tempdir().unwrap();
        let store = synced_store(tmp.path(), StoreConfig::default().block_size);
        const H: i64 = 3_600_000_000_000;
        let day0 = 20_000 * key::DAY_NS;
        let entry = |ts: i64, meta: &[(&str, &str)]| Entry {
            ts,
            line: format!("line at {ts}"),
            metadata: meta.iter().map(|(n, v)| Label::new(*n, *v)).collect(),
        };
        let push = |app: &str, entries: Vec<Entry>| PushStream {
            labels: Labels::from_pairs([("app", app)]),
            entries,
        };
        // `plain` has none; `lvl` carries detected_level on every entry;
        // `trace` carries trace_id only on entries from 12:00 on, written
        // after its 10:00 entries were cut into a block of their own.
        let plain = push("plain", (0..20).map(|i| entry(day0 + i, &[])).collect());
        let lvl = push(
            "lvl",
            (0..20)
                .map(|i| entry(day0 + i, &[("detected_level", "info")]))
                .collect(),
        );
        let early = push(
            "trace",
            (0..20)
                .map(|i| entry(day0 + 10 * H + i * H / 10, &[]))
                .collect(),
        );
        store.append("fake", &[plain, lvl, early]).unwrap();
        store.flush().unwrap();
        let late = push(
            "trace",
            (0..20)
                .map(|i| entry(day0 + 12 * H + i, &[("trace_id", "abc")]))
                .collect(),
        );
        store.append("fake", &[late]).unwrap();
        let sref = |app: &str| StreamRef {
            tenant: "fake".to_string(),
            labels: Labels::from_pairs([("app", app)]),
        };
        let check = |store: &Store, one_trace_block: bool| {
            let names = |app: &str, s: i64, e: i64| store.metadata_names(&sref(app), s, e).unwrap();
            let end = day0 + key::DAY_NS;
            assert!(names("plain", day0, end).is_empty());
            assert_eq!(names("lvl", day0, end), ["detected_level"]);
            assert!(names("lvl", day0 + H, end).is_empty());
            assert_eq!(names("trace", day0, end), ["trace_id"]);
            assert_eq!(names("trace", day0 + 12 * H, end), ["trace_id"]);
            // Blocks answer whole: once sealed into one block, the early
            // range reports the name too (a superset, never fewer).
            let early = names("trace", day0, day0 + 12 * H);
            if one_trace_block {
                assert_eq!(early, ["trace_id"]);
            } else {
                assert!(early.is_empty(), "{early:?}");
            }
        };
        // Heads and blocks; then blocks only; then a sealed day.
        check(&store, false);
        store.flush().unwrap();
        check(&store, false);
        let r = store.maintenance(day0 + 2 * key::DAY_NS).unwrap();
        assert_eq!(r.days_sealed.len(), 1);
        check(&store, true);
    }

    #[test]
    fn config_is_validated() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = StoreConfig {
            dir: tmp.path().to_path_buf(),
            block_size: 0,
            ..Default::default()
        };
        assert!(matches!(Store::open(cfg), Err(StoreError::Config(_))));
    }

    #[test]
    fn a_second_open_of_the_same_directory_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = StoreConfig {
            dir: tmp.path().to_path_buf(),
            ..Default::default()
        };
        let _a = Store::open(cfg.clone()).unwrap();
        assert!(matches!(Store::open(cfg), Err(StoreError::Locked(_))));
    }
}

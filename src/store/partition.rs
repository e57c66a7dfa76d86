//! One UTC day of data: a directory holding its chunk files and, once
//! sealed, one compacted data file and its index file (a *generation*).
//!
//! ```text
//! days/2026-11-23/c-000001.kc        chunk files, one more per process start
//! days/2026-11-23/data-000003.kc     sealed generation 3: compacted data
//! days/2026-11-23/index-000003.kix   its label index (the rename commits it)
//! days/2026-11-23/c-000004.kc        late writes after the seal
//! ```
//!
//! A day takes writes at any time: blocks always go to chunk files, and a
//! sealed day with chunk files next to its generation (a *reopened* day)
//! is read as the union of both. Sealing (see `compact`) merges the current
//! generation and the chunk files numbered below the new generation into
//! the next generation. Generation `N` consumed every chunk file numbered
//! below `N`; chunk files numbered `N` or more were written after it.
//! `data.kc` / `index.kix` without a number are generations written by
//! older builds (they consumed every chunk file of the directory); such
//! days stay closed to writes (see `retention`).

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use roaring::RoaringBitmap;

use super::chunk_file::{self, chunk_file_name, parse_chunk_file_name, ChunkWriter, DataFile};
use super::day_fields::{DayFields, Stamps, StreamFields, FIELDS_FILE};
use super::error::{CodecError, StoreError};
use super::field_summary::FieldSummary;
use super::fsutil::{create_dir_all, fsync_dir, write_atomic};
use super::index::{select, BlockMeta, MemIndex, MemStream, Postings, SealedIndex};
use super::key::StreamKey;
use super::metrics::StoreMetrics;
use crate::model::Matcher;

/// File name of a sealed day's data written by older builds.
pub const LEGACY_DATA_FILE: &str = "data.kc";
/// File name of a sealed day's index written by older builds.
pub const LEGACY_INDEX_FILE: &str = "index.kix";

/// A sealed generation of a day: which pair of files holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Generation {
    /// `data.kc` + `index.kix`, written by an older build.
    Legacy,
    /// `data-NNNNNN.kc` + `index-NNNNNN.kix`: consumed the chunk files
    /// numbered below `N`.
    Numbered(u32),
}

impl Generation {
    /// Its data file name.
    pub fn data_name(self) -> String {
        match self {
            Generation::Legacy => LEGACY_DATA_FILE.to_string(),
            Generation::Numbered(n) => format!("data-{n:06}.kc"),
        }
    }

    /// Its index file name.
    pub fn index_name(self) -> String {
        match self {
            Generation::Legacy => LEGACY_INDEX_FILE.to_string(),
            Generation::Numbered(n) => format!("index-{n:06}.kix"),
        }
    }

    /// True when chunk file `n` was consumed by this generation (every
    /// chunk file for a legacy one).
    fn consumed(self, n: u32) -> bool {
        match self {
            Generation::Legacy => true,
            Generation::Numbered(g) => n < g,
        }
    }
}

/// What a file name in a day directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayFile {
    /// `c-NNNNNN.kc`.
    Chunk(u32),
    /// A generation's data file.
    Data(Generation),
    /// A generation's index file.
    Index(Generation),
    /// `fields.kfs`: the streams' JSON field summaries.
    Fields,
    /// `*.tmp`: being written.
    Temporary,
    /// Anything else.
    Other,
}

/// Classifies a file name of a day directory.
pub fn day_file(name: &str) -> DayFile {
    let numbered = |prefix: &str, suffix: &str| -> Option<u32> {
        let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse().ok()
        } else {
            None
        }
    };
    if let Some(n) = parse_chunk_file_name(name) {
        DayFile::Chunk(n)
    } else if name == LEGACY_DATA_FILE {
        DayFile::Data(Generation::Legacy)
    } else if name == LEGACY_INDEX_FILE {
        DayFile::Index(Generation::Legacy)
    } else if let Some(n) = numbered("data-", ".kc") {
        DayFile::Data(Generation::Numbered(n))
    } else if let Some(n) = numbered("index-", ".kix") {
        DayFile::Index(Generation::Numbered(n))
    } else if name == FIELDS_FILE {
        DayFile::Fields
    } else if name.ends_with(".tmp") {
        DayFile::Temporary
    } else {
        DayFile::Other
    }
}

/// The files of a day directory sorted by role: the committed generation
/// (the newest index file), live chunk files, and leftovers of completed or
/// interrupted seals.
#[derive(Debug, Default)]
pub struct DayFiles {
    /// The committed generation, if any.
    pub committed: Option<Generation>,
    /// Chunk files written after the committed generation (all of them
    /// when there is none), by number.
    pub live_chunks: Vec<(u32, PathBuf)>,
    /// Files to delete, each with the reason.
    pub leftovers: Vec<(PathBuf, &'static str)>,
    /// Files that are no kindling file.
    pub unexpected: Vec<PathBuf>,
    /// One above the highest chunk or generation number seen.
    pub next_file: u32,
}

/// Reads and classifies a day directory (nothing is changed).
pub fn classify_day(dir: &Path) -> Result<DayFiles, StoreError> {
    let mut chunks = Vec::new();
    let mut data = Vec::new();
    let mut indexes = Vec::new();
    let mut out = DayFiles {
        next_file: 1,
        ..DayFiles::default()
    };
    for e in fs::read_dir(dir).map_err(|e| StoreError::io("read directory", dir, e))? {
        let e = e.map_err(|e| StoreError::io("read directory", dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        match day_file(&name) {
            DayFile::Chunk(n) => chunks.push((n, e.path())),
            DayFile::Data(g) => data.push((g, e.path())),
            DayFile::Index(g) => indexes.push((g, e.path())),
            DayFile::Temporary => out.leftovers.push((e.path(), "temporary file")),
            DayFile::Fields => {}
            DayFile::Other => out.unexpected.push(e.path()),
        }
    }
    chunks.sort();
    // A numbered generation always supersedes a legacy one (it can only
    // come from re-sealing it).
    out.committed = indexes.iter().map(|(g, _)| *g).max();
    for (g, _) in indexes.iter().chain(&data) {
        if let Generation::Numbered(n) = g {
            out.next_file = out.next_file.max(n.saturating_add(1));
        }
    }
    for (n, path) in chunks {
        out.next_file = out.next_file.max(n.saturating_add(1));
        if out.committed.is_some_and(|g| g.consumed(n)) {
            out.leftovers
                .push((path, "chunk file consumed by a completed seal"));
        } else {
            out.live_chunks.push((n, path));
        }
    }
    for (g, path) in indexes {
        if Some(g) != out.committed {
            out.leftovers
                .push((path, "index file of an older generation"));
        }
    }
    for (g, path) in data {
        match out.committed {
            Some(c) if c == g => {}
            Some(c) if g < c => out
                .leftovers
                .push((path, "data file of an older generation")),
            _ => out
                .leftovers
                .push((path, "data file of an interrupted seal")),
        }
    }
    Ok(out)
}

/// A block a reader can fetch: its file and what the index knows of it.
#[derive(Debug, Clone)]
pub struct BlockRef {
    /// The data file.
    pub file: Arc<DataFile>,
    /// Location and summary.
    pub meta: BlockMeta,
}

/// Chunk files of a day that are not part of its sealed generation, and
/// their in-memory index.
#[derive(Debug, Default)]
pub struct OpenPart {
    /// The label index over the chunk files.
    pub index: MemIndex,
    /// Read handles of the chunk files, by number (0: a generation's data
    /// file read as a chunk file because its index was damaged).
    pub files: HashMap<u32, Arc<DataFile>>,
}

/// A sealed generation: mapped index and compacted data file.
#[derive(Debug)]
pub struct SealedPart {
    /// The label index.
    pub index: SealedIndex,
    /// The data file.
    pub data: Arc<DataFile>,
    /// Which generation.
    pub generation: Generation,
    /// Per stream, the highest WAL sequence whose entries the data file
    /// holds (from its STREAM frames; read when WAL replay first asks).
    durable: OnceLock<Option<HashMap<StreamKey, u64>>>,
}

impl SealedPart {
    /// A generation whose durable sequences are read lazily.
    pub fn new(index: SealedIndex, data: Arc<DataFile>, generation: Generation) -> SealedPart {
        SealedPart {
            index,
            data,
            generation,
            durable: OnceLock::new(),
        }
    }

    /// A freshly written generation with its durable sequences known.
    pub fn with_durable(
        index: SealedIndex,
        data: Arc<DataFile>,
        generation: Generation,
        durable: HashMap<StreamKey, u64>,
    ) -> SealedPart {
        SealedPart {
            index,
            data,
            generation,
            durable: OnceLock::from(Some(durable)),
        }
    }

    /// Highest WAL sequence of `key` the data file holds: 0 when the
    /// stream is not in it, everything when the data file cannot be read
    /// (replaying into it could only duplicate).
    pub fn durable_seq(&self, key: &StreamKey) -> u64 {
        let map = self.durable.get_or_init(|| {
            match chunk_file::scan(&self.data.path, false) {
                Ok(s) => Some(s.streams.into_iter().map(|(_, k, seq)| (k, seq)).collect()),
                Err(e) => {
                    tracing::warn!(file = %self.data.path.display(), error = %e, "cannot read durable sequences; WAL records of this day are not replayed");
                    None
                }
            }
        });
        match map {
            Some(m) => m.get(key).copied().unwrap_or(0),
            None => u64::MAX,
        }
    }

    /// Forgets the durable sequences read for replay.
    fn release_durable(&mut self) {
        self.durable = OnceLock::new();
    }
}

/// The state of a day: an optional sealed generation plus chunk files.
#[derive(Debug, Default)]
pub struct PartState {
    /// The committed sealed generation, if any.
    pub base: Option<SealedPart>,
    /// Chunk files not in `base`.
    pub open: OpenPart,
    /// A generation whose index was damaged: its data file is chunk file
    /// 0 and the day is sealed again at the next maintenance.
    pub rebuild: Option<Generation>,
}

impl PartState {
    /// The chunk-file stream of `key`, if it has one.
    fn open_stream(&self, key: &StreamKey) -> Option<&MemStream> {
        self.open
            .index
            .find(key)
            .and_then(|id| self.open.index.stream(id))
    }

    /// Whether the sealed generation holds `key` (or its index cannot
    /// say).
    fn in_base(&self, key: &StreamKey) -> bool {
        self.base
            .as_ref()
            .is_some_and(|b| !matches!(b.index.find(key), Ok(None)))
    }
}

/// One day partition.
#[derive(Debug)]
pub struct Partition {
    /// Days since the epoch.
    pub day: i32,
    /// Its directory.
    pub dir: PathBuf,
    state: RwLock<PartState>,
    writer: Mutex<WriterSlot>,
    /// The streams' JSON field summaries (lock after `state`, never
    /// before).
    fields: Mutex<DayFields>,
}

#[derive(Debug)]
struct WriterSlot {
    writer: Option<(u32, ChunkWriter)>,
    next_file: u32,
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Deletes `path`; a missing file is fine.
pub fn remove_if_exists(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("remove", path, e)),
    }
}

fn recovery_error(
    metrics: &StoreMetrics,
    path: &Path,
    offset: u64,
    error: &dyn std::fmt::Display,
    what: &str,
) {
    tracing::warn!(file = %path.display(), offset, error = %error, "{what}");
    StoreMetrics::add(&metrics.recovery_errors, 1);
}

impl Partition {
    /// A new, empty day (creates its directory).
    pub fn create(dir: PathBuf, day: i32) -> Result<Partition, StoreError> {
        create_dir_all(&dir)?;
        if let Some(parent) = dir.parent() {
            fsync_dir(parent)?;
        }
        Ok(Partition {
            day,
            dir,
            state: RwLock::new(PartState::default()),
            writer: Mutex::new(WriterSlot {
                writer: None,
                next_file: 1,
            }),
            fields: Mutex::new(DayFields::default()),
        })
    }

    /// Loads a day directory: deletes leftovers of completed or interrupted
    /// seals, opens the committed generation (or, when its index is
    /// damaged, reads its data file as a chunk file to seal again), and
    /// indexes the chunk files written after it, truncating torn tails and
    /// reporting damaged frames.
    pub fn load(dir: PathBuf, day: i32, metrics: &StoreMetrics) -> Result<Partition, StoreError> {
        let files = classify_day(&dir)?;
        for (path, why) in &files.leftovers {
            tracing::info!(file = %path.display(), "removing {why}");
            remove_if_exists(path)?;
        }
        if !files.leftovers.is_empty() {
            fsync_dir(&dir)?;
        }
        let mut state = PartState::default();
        if let Some(g) = files.committed {
            let index_path = dir.join(g.index_name());
            let data_path = dir.join(g.data_name());
            match SealedIndex::open(&index_path) {
                Ok(index) => {
                    let data = Arc::new(DataFile::open(&data_path)?);
                    state.base = Some(SealedPart::new(index, data, g));
                }
                Err(e) => {
                    recovery_error(
                        metrics,
                        &index_path,
                        0,
                        &e,
                        "damaged index file; rebuilding it from the data file",
                    );
                    // The data file holds everything the index held: read
                    // it like a chunk file and seal again.
                    load_chunk_file(&mut state.open, 0, &data_path, metrics)?;
                    state.rebuild = Some(g);
                }
            }
        }
        for (n, path) in &files.live_chunks {
            load_chunk_file(&mut state.open, *n, path, metrics)?;
        }
        let fields = load_fields(&dir.join(FIELDS_FILE), &state, metrics);
        Ok(Partition {
            day,
            dir,
            state: RwLock::new(state),
            writer: Mutex::new(WriterSlot {
                writer: None,
                next_file: files.next_file,
            }),
            fields: Mutex::new(fields),
        })
    }

    /// Read access to the state.
    pub fn state(&self) -> RwLockReadGuard<'_, PartState> {
        read(&self.state)
    }

    fn state_mut(&self) -> RwLockWriteGuard<'_, PartState> {
        write(&self.state)
    }

    /// True when the day's newest generation was written by an older build
    /// (such days take no writes).
    pub fn is_legacy(&self) -> bool {
        let st = self.state();
        st.rebuild == Some(Generation::Legacy)
            || st
                .base
                .as_ref()
                .is_some_and(|b| b.generation == Generation::Legacy)
    }

    /// True when the day has a sealed generation.
    pub fn has_base(&self) -> bool {
        self.state().base.is_some()
    }

    /// True when the day must be sealed: its index is being rebuilt, or it
    /// is `finished` and either was never sealed or has blocks in chunk
    /// files next to its generation (late writes).
    pub fn needs_seal(&self, finished: bool) -> bool {
        let st = self.state();
        st.rebuild.is_some() || (finished && (st.base.is_none() || st.open.index.has_blocks()))
    }

    /// The id of `key` among the day's chunk-file streams, adding it when
    /// new.
    /// A stream new to the day starts a JSON field summary.
    pub fn stream_id(&self, key: &Arc<StreamKey>) -> u32 {
        let mut st = self.state_mut();
        if let Some(id) = st.open.index.find(key) {
            return id;
        }
        let in_base = st.in_base(key);
        let id = st.open.index.get_or_insert(key);
        if !in_base {
            lock(&self.fields).start(key);
        }
        id
    }

    /// Adds lines of `key` to its JSON field summary (see
    /// [`DayFields::add`]).
    pub fn add_fields(&self, key: &StreamKey, lines: Option<&FieldSummary>) {
        lock(&self.fields).add(key, lines);
    }

    /// Whether `key` has a JSON field summary in the day.
    pub fn has_fields(&self, key: &StreamKey) -> bool {
        lock(&self.fields).get(key).is_some()
    }

    /// Installs `summary`, made by a seal from every line of `key` in the
    /// new generation, when the stream still has none and no chunk file
    /// holds data of it beyond the generation. The caller holds the ingest
    /// lock and has checked that no head of `key` in this day exists, so
    /// no line can be missing from it.
    pub fn install_fields(&self, key: StreamKey, summary: FieldSummary) {
        let st = self.state();
        let newer = st.open_stream(&key).is_some_and(|s| !s.blocks.is_empty());
        if !newer {
            lock(&self.fields).install(Arc::new(key), summary);
        }
    }

    /// Drops the JSON field summary of `key` (see [`DayFields::forget`]).
    pub fn forget_fields(&self, key: &StreamKey) {
        lock(&self.fields).forget(key);
    }

    /// What the day holds of `key` for a reader of JSON field summaries.
    pub fn fields_of(&self, key: &StreamKey) -> StreamFields {
        let st = self.state();
        if let Some(s) = lock(&self.fields).get(key) {
            return StreamFields::Summary(s.clone());
        }
        if st.open.index.find(key).is_some() || st.in_base(key) {
            StreamFields::Unknown
        } else {
            StreamFields::NoData
        }
    }

    /// Saves the JSON field summaries when they changed.
    pub fn save_fields(&self) -> Result<(), StoreError> {
        let st = self.state();
        let mut fields = lock(&self.fields);
        if !fields.is_dirty() {
            return Ok(());
        }
        let path = self.dir.join(FIELDS_FILE);
        if fields.is_empty() {
            remove_if_exists(&path)?;
        } else {
            write_atomic(&path, &fields.encode(&*st))?;
        }
        fields.saved();
        Ok(())
    }

    /// Highest WAL sequence whose entries of `key` in this day are durable
    /// (in the sealed generation or a chunk file); WAL replay skips records
    /// at or below it.
    pub fn durable_seq(&self, key: &StreamKey) -> u64 {
        let st = self.state();
        let open = st.open_stream(key).map_or(0, |s| s.durable_seq);
        let sealed = st.base.as_ref().map_or(0, |b| b.durable_seq(key));
        open.max(sealed)
    }

    /// Drops what WAL replay read about the sealed generation.
    pub fn release_replay_state(&self) {
        if let Some(b) = self.state_mut().base.as_mut() {
            b.release_durable();
        }
    }

    /// Highest order key of any chunk-file block (a WAL sequence).
    pub fn max_seq(&self) -> u64 {
        self.state()
            .open
            .index
            .streams()
            .iter()
            .map(|s| s.durable_seq)
            .max()
            .unwrap_or(0)
    }

    /// Appends the encoded blocks of one cut of stream `id` to the active
    /// chunk file (starting one if needed) with one write. Returns their
    /// index entries (not yet added to the index) and the bytes written.
    pub fn write_blocks(
        &self,
        id: u32,
        key: &StreamKey,
        order: u64,
        blocks: &[(&[u8], super::block::BlockSummary)],
    ) -> Result<(Vec<BlockMeta>, u64), StoreError> {
        let mut guard = lock(&self.writer);
        let slot = &mut *guard;
        if slot.writer.is_none() {
            let n = slot.next_file;
            let path = self.dir.join(chunk_file_name(n));
            let w = ChunkWriter::create(&path, self.day)?;
            let reader = Arc::new(w.reader()?);
            self.state_mut().open.files.insert(n, reader);
            slot.next_file = n + 1;
            slot.writer = Some((n, w));
        }
        let Some((n, w)) = slot.writer.as_mut() else {
            return Err(StoreError::Closed);
        };
        let n = *n;
        let bodies: Vec<&[u8]> = blocks.iter().map(|(b, _)| *b).collect();
        let (locs, bytes) = w.append_blocks(id, key, order, &bodies)?;
        let metas = locs
            .iter()
            .zip(blocks)
            .map(|(loc, (_, s))| BlockMeta {
                file: n,
                offset: loc.offset,
                len: loc.len,
                min_ts: s.min_ts,
                max_ts: s.max_ts,
                entries: s.entries,
                line_bytes: s.line_bytes,
                order,
            })
            .collect();
        Ok((metas, bytes))
    }

    /// Adds a written block to the index, unless a seal has consumed its
    /// chunk file meanwhile (its entries are in the new generation then).
    pub fn add_block(&self, id: u32, meta: BlockMeta) {
        let mut st = self.state_mut();
        if st.open.files.contains_key(&meta.file) {
            st.open.index.add_block(id, meta);
        }
    }

    /// fsyncs the active chunk file.
    pub fn sync(&self) -> Result<(), StoreError> {
        match lock(&self.writer).writer.as_mut() {
            Some((_, w)) => w.sync(),
            None => Ok(()),
        }
    }

    /// Starts a seal: fsyncs and closes the active chunk file and reserves
    /// the number of the next generation. Every chunk file numbered below
    /// it is complete and belongs to the seal; later blocks go to chunk
    /// files numbered above it.
    pub fn begin_seal(&self) -> Result<u32, StoreError> {
        let mut slot = lock(&self.writer);
        if let Some((_, mut w)) = slot.writer.take() {
            w.sync()?;
        }
        let n = slot.next_file;
        slot.next_file = n + 1;
        Ok(n)
    }

    /// Switches readers to the committed generation `base` (numbered `n`)
    /// and drops the chunk files it consumed from the index. Returns the
    /// files that are no longer needed, for the caller to delete.
    pub fn install_seal(&self, n: u32, base: SealedPart) -> Vec<PathBuf> {
        let mut st = self.state_mut();
        let mut doomed = Vec::new();
        for g in st
            .base
            .as_ref()
            .map(|b| b.generation)
            .into_iter()
            .chain(st.rebuild)
        {
            doomed.push(self.dir.join(g.data_name()));
            doomed.push(self.dir.join(g.index_name()));
        }
        let gen = Generation::Numbered(n);
        st.open.files.retain(|&f, file| {
            let consumed = f == 0 || gen.consumed(f);
            if consumed && f != 0 {
                doomed.push(file.path.clone());
            }
            !consumed
        });
        let files: BTreeSet<u32> = st.open.files.keys().copied().collect();
        st.open.index.retain_files(|f| files.contains(&f));
        st.base = Some(base);
        st.rebuild = None;
        lock(&self.fields).touch();
        doomed
    }

    /// Streams of `tenants` matching every matcher, with their keys, sorted.
    pub fn select(
        &self,
        tenants: &[&str],
        matchers: &[Matcher],
    ) -> Result<Vec<StreamKey>, StoreError> {
        let st = self.state();
        let mut out = BTreeSet::new();
        if let Some(b) = &st.base {
            let corrupt = |e: CodecError| self.corrupt_index(b, e);
            let set = select(&b.index, tenants, matchers).map_err(corrupt)?;
            for id in &set {
                out.insert(b.index.key(id).map_err(corrupt)?);
            }
        }
        let o = &st.open.index;
        let set = select(o, tenants, matchers).map_err(|e| StoreError::corrupt(&self.dir, 0, e))?;
        out.extend(
            set.iter()
                .filter_map(|id| o.stream(id).map(|s| (*s.key).clone())),
        );
        Ok(out.into_iter().collect())
    }

    fn corrupt_index(&self, b: &SealedPart, e: CodecError) -> StoreError {
        StoreError::corrupt(self.dir.join(b.generation.index_name()), 0, e)
    }

    /// Label names, or the values of `name`, over the selected streams,
    /// sorted.
    pub fn labels(
        &self,
        tenants: &[&str],
        matchers: &[Matcher],
        name: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let run = |ix: &dyn Postings| -> Result<Vec<String>, CodecError> {
            let set: RoaringBitmap = select(ix, tenants, matchers)?;
            match name {
                Some(n) => ix.values_for(n, &set),
                None => ix.names_for(&set),
            }
        };
        let st = self.state();
        let mut out: BTreeSet<String> = run(&st.open.index)
            .map_err(|e| StoreError::corrupt(&self.dir, 0, e))?
            .into_iter()
            .collect();
        if let Some(b) = &st.base {
            out.extend(run(&b.index).map_err(|e| self.corrupt_index(b, e))?);
        }
        Ok(out.into_iter().collect())
    }

    /// The blocks of `key` that overlap `[start, end)`: the sealed
    /// generation's (order key 0, in position order, so at equal
    /// timestamps they come before every later write) then the chunk
    /// files'.
    pub fn blocks(
        &self,
        key: &StreamKey,
        start: i64,
        end: i64,
    ) -> Result<Vec<BlockRef>, StoreError> {
        let overlaps = |m: &BlockMeta| m.max_ts >= start && m.min_ts < end;
        let st = self.state();
        let mut out = Vec::new();
        if let Some(b) = &st.base {
            let corrupt = |e| self.corrupt_index(b, e);
            if let Some(id) = b.index.find(key).map_err(corrupt)? {
                out.extend(
                    b.index
                        .blocks(id)
                        .map_err(corrupt)?
                        .into_iter()
                        .filter(overlaps)
                        .map(|meta| BlockRef {
                            file: Arc::clone(&b.data),
                            meta: BlockMeta { order: 0, ..meta },
                        }),
                );
            }
        }
        let o = &st.open;
        if let Some(s) = o.index.find(key).and_then(|id| o.index.stream(id)) {
            out.extend(s.blocks.iter().filter(|m| overlaps(m)).filter_map(|m| {
                o.files.get(&m.file).map(|f| BlockRef {
                    file: Arc::clone(f),
                    meta: *m,
                })
            }));
        }
        Ok(out)
    }
}

/// Reads one chunk file (number `n`) into a day's index: its stream
/// declarations map file-local ids to keys, its blocks join those streams.
/// A torn tail is truncated; damaged frames are reported and skipped.
/// File 0 is a generation's data file: its blocks get order key 0 (they
/// precede every chunk-file block at equal timestamps, in file order) and
/// its STREAM frames give the streams' durable WAL sequences.
fn load_chunk_file(
    open: &mut OpenPart,
    n: u32,
    path: &Path,
    metrics: &StoreMetrics,
) -> Result<(), StoreError> {
    let scanned = chunk_file::scan(path, false)?;
    for (offset, e) in &scanned.damaged {
        recovery_error(metrics, path, *offset, e, "skipping damaged chunk frame");
    }
    if let Some(at) = scanned.torn_at {
        tracing::warn!(file = %path.display(), offset = at, "truncating torn chunk file tail");
        if at == 0 {
            remove_if_exists(path)?;
            return Ok(());
        }
        chunk_file::truncate(path, at)?;
    }
    let mut local: HashMap<u32, u32> = HashMap::new();
    for (lid, key, seq) in scanned.streams {
        let id = open.index.get_or_insert(&Arc::new(key));
        if n == 0 {
            open.index.note_durable(id, seq);
        }
        local.insert(lid, id);
    }
    for b in scanned.blocks {
        let Some(&id) = local.get(&b.stream) else {
            recovery_error(
                metrics,
                path,
                b.loc.offset,
                &CodecError::Invalid("block of an undeclared stream"),
                "skipping chunk block",
            );
            continue;
        };
        open.index.add_block(
            id,
            BlockMeta {
                file: n,
                offset: b.loc.offset,
                len: b.loc.len,
                min_ts: b.header.min_ts,
                max_ts: b.header.max_ts,
                entries: b.header.entries,
                line_bytes: b.header.line_bytes,
                order: if n == 0 { 0 } else { b.order },
            },
        );
    }
    open.files.insert(n, Arc::new(DataFile::open(path)?));
    Ok(())
}

impl Stamps for PartState {
    fn generation(&self) -> u64 {
        match (self.rebuild, self.base.as_ref().map(|b| b.generation)) {
            // A damaged index is rebuilt: nothing saved before counts.
            (Some(_), _) => u64::MAX,
            (None, Some(Generation::Numbered(n))) => u64::from(n) + 1,
            (None, Some(Generation::Legacy)) => 1 << 40,
            (None, None) => 0,
        }
    }

    /// The highest order key (WAL sequence of the cut) of the stream's
    /// chunk-file blocks: data cut later has a higher one.
    fn stream(&self, key: &StreamKey) -> u64 {
        self.open_stream(key)
            .and_then(|s| s.blocks.iter().map(|b| b.order).max())
            .unwrap_or(0)
    }
}

/// The day's saved JSON field summaries that still describe its data; none
/// when the file is missing or damaged (reported: only queries slow down).
fn load_fields(path: &Path, state: &PartState, metrics: &StoreMetrics) -> DayFields {
    let raw = match fs::read(path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return DayFields::default(),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot read field summaries; the day's streams are read instead");
            return DayFields::default();
        }
    };
    match DayFields::decode(&raw, state) {
        Ok(f) => f,
        Err(e) => {
            recovery_error(
                metrics,
                path,
                0,
                &e,
                "damaged field summaries; the day's streams are read instead",
            );
            DayFields::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_file_names() {
        let cases = [
            ("c-000003.kc", DayFile::Chunk(3)),
            ("data.kc", DayFile::Data(Generation::Legacy)),
            ("index.kix", DayFile::Index(Generation::Legacy)),
            ("data-000012.kc", DayFile::Data(Generation::Numbered(12))),
            ("index-000012.kix", DayFile::Index(Generation::Numbered(12))),
            ("index-12.kix", DayFile::Other),
            ("data-00001x.kc", DayFile::Other),
            ("data-000012.kc.tmp", DayFile::Temporary),
            ("LOCK", DayFile::Other),
        ];
        for (name, want) in cases {
            assert_eq!(day_file(name), want, "{name}");
        }
        for g in [Generation::Legacy, Generation::Numbered(7)] {
            assert_eq!(day_file(&g.data_name()), DayFile::Data(g));
            assert_eq!(day_file(&g.index_name()), DayFile::Index(g));
        }
    }

    #[test]
    fn classify_picks_the_newest_generation() {
        let tmp = tempfile::tempdir().unwrap();
        let names = [
            "c-000001.kc",
            "c-000004.kc",
            "c-000006.kc",
            "data.kc",
            "index.kix",
            "data-000005.kc",
            "index-000005.kix",
            "data-000007.kc",
            "x.tmp",
        ];
        for n in names {
            fs::write(tmp.path().join(n), b"").unwrap();
        }
        let f = classify_day(tmp.path()).unwrap();
        assert_eq!(f.committed, Some(Generation::Numbered(5)));
        let live: Vec<u32> = f.live_chunks.iter().map(|(n, _)| *n).collect();
        assert_eq!(live, [6]);
        let mut gone: Vec<String> = f
            .leftovers
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        gone.sort();
        assert_eq!(
            gone,
            [
                "c-000001.kc",
                "c-000004.kc",
                "data-000007.kc",
                "data.kc",
                "index.kix",
                "x.tmp"
            ]
        );
        assert_eq!(f.next_file, 8);
        // A legacy generation consumed every chunk file.
        let tmp = tempfile::tempdir().unwrap();
        for n in ["c-000002.kc", "data.kc", "index.kix"] {
            fs::write(tmp.path().join(n), b"").unwrap();
        }
        let f = classify_day(tmp.path()).unwrap();
        assert_eq!(f.committed, Some(Generation::Legacy));
        assert!(f.live_chunks.is_empty());
        assert_eq!(f.next_file, 3);
    }
}

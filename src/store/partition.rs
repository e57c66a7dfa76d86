//! One UTC day of data: a directory holding its chunk files and, once
//! sealed, one compacted data file and its index file.
//!
//! ```text
//! days/2026-11-23/c-000001.kc   open: chunk files, one more per process start
//! days/2026-11-23/data.kc       sealed: compacted data
//! days/2026-11-23/index.kix     sealed: label index (its rename commits the seal)
//! ```

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use roaring::RoaringBitmap;

use super::chunk_file::{self, chunk_file_name, parse_chunk_file_name, ChunkWriter, DataFile};
use super::error::{CodecError, StoreError};
use super::fsutil::{create_dir_all, fsync_dir};
use super::index::{select, BlockMeta, MemIndex, Postings, SealedIndex};
use super::key::StreamKey;
use super::metrics::StoreMetrics;
use crate::model::Matcher;

/// File name of a sealed day's data.
pub const DATA_FILE: &str = "data.kc";
/// File name of a sealed day's index.
pub const INDEX_FILE: &str = "index.kix";

/// A block a reader can fetch: its file and what the index knows of it.
#[derive(Debug, Clone)]
pub struct BlockRef {
    /// The data file.
    pub file: Arc<DataFile>,
    /// Location and summary.
    pub meta: BlockMeta,
}

/// An open day: in-memory index, chunk files by number.
#[derive(Debug)]
pub struct OpenPart {
    /// The label index.
    pub index: MemIndex,
    /// Read handles of the chunk files, by number.
    pub files: HashMap<u32, Arc<DataFile>>,
    /// The sealed data file this open day was rebuilt from, if its index
    /// was damaged (it counts as file 0).
    pub rebuilt_from_sealed: bool,
}

/// A sealed day: mapped index and the compacted data file.
#[derive(Debug)]
pub struct SealedPart {
    /// The label index.
    pub index: SealedIndex,
    /// `data.kc`.
    pub data: Arc<DataFile>,
}

/// The state of a day.
#[derive(Debug)]
pub enum PartState {
    /// Still written to.
    Open(OpenPart),
    /// Compacted, immutable.
    Sealed(SealedPart),
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

fn remove_if_exists(path: &Path) -> Result<(), StoreError> {
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
    /// A new, empty open day (creates its directory).
    pub fn create(dir: PathBuf, day: i32) -> Result<Partition, StoreError> {
        create_dir_all(&dir)?;
        if let Some(parent) = dir.parent() {
            fsync_dir(parent)?;
        }
        Ok(Partition {
            day,
            dir,
            state: RwLock::new(PartState::Open(OpenPart {
                index: MemIndex::new(),
                files: HashMap::new(),
                rebuilt_from_sealed: false,
            })),
            writer: Mutex::new(WriterSlot {
                writer: None,
                next_file: 1,
            }),
        })
    }

    /// Loads a day directory, finishing or undoing an interrupted seal,
    /// truncating torn chunk-file tails and reporting damaged frames.
    pub fn load(dir: PathBuf, day: i32, metrics: &StoreMetrics) -> Result<Partition, StoreError> {
        let index_path = dir.join(INDEX_FILE);
        let data_path = dir.join(DATA_FILE);
        let mut chunk_files: Vec<(u32, PathBuf)> = Vec::new();
        let mut tmp_files = Vec::new();
        for e in fs::read_dir(&dir).map_err(|e| StoreError::io("read directory", &dir, e))? {
            let e = e.map_err(|e| StoreError::io("read directory", &dir, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = parse_chunk_file_name(&name) {
                chunk_files.push((n, e.path()));
            } else if name.ends_with(".tmp") {
                tmp_files.push(e.path());
            }
        }
        chunk_files.sort();
        for t in &tmp_files {
            remove_if_exists(t)?;
        }
        let next_file = chunk_files.last().map_or(1, |(n, _)| n + 1);
        if index_path.exists() {
            match SealedIndex::open(&index_path) {
                Ok(index) => {
                    // The seal was committed; leftovers of the open day go.
                    for (_, p) in &chunk_files {
                        remove_if_exists(p)?;
                    }
                    if !chunk_files.is_empty() {
                        fsync_dir(&dir)?;
                    }
                    let data = Arc::new(DataFile::open(&data_path)?);
                    return Ok(Partition {
                        day,
                        dir,
                        state: RwLock::new(PartState::Sealed(SealedPart { index, data })),
                        writer: Mutex::new(WriterSlot {
                            writer: None,
                            next_file,
                        }),
                    });
                }
                Err(e) => {
                    recovery_error(
                        metrics,
                        &index_path,
                        0,
                        &e,
                        "damaged index file; rebuilding it from the data file",
                    );
                    // The data file holds everything: read it like a chunk
                    // file and seal again later.
                    let mut open = OpenPart {
                        index: MemIndex::new(),
                        files: HashMap::new(),
                        rebuilt_from_sealed: true,
                    };
                    load_chunk_file(&mut open, 0, &data_path, metrics)?;
                    return Ok(Partition {
                        day,
                        dir,
                        state: RwLock::new(PartState::Open(open)),
                        writer: Mutex::new(WriterSlot {
                            writer: None,
                            next_file,
                        }),
                    });
                }
            }
        }
        // No committed seal: an interrupted one leaves a data file to drop.
        remove_if_exists(&data_path)?;
        let mut open = OpenPart {
            index: MemIndex::new(),
            files: HashMap::new(),
            rebuilt_from_sealed: false,
        };
        for (n, path) in &chunk_files {
            load_chunk_file(&mut open, *n, path, metrics)?;
        }
        Ok(Partition {
            day,
            dir,
            state: RwLock::new(PartState::Open(open)),
            writer: Mutex::new(WriterSlot {
                writer: None,
                next_file,
            }),
        })
    }

    /// Read access to the state.
    pub fn state(&self) -> RwLockReadGuard<'_, PartState> {
        read(&self.state)
    }

    /// Write access to the state.
    pub fn state_mut(&self) -> RwLockWriteGuard<'_, PartState> {
        write(&self.state)
    }

    /// True once sealed.
    pub fn is_sealed(&self) -> bool {
        matches!(*self.state(), PartState::Sealed(_))
    }

    /// True when the day was sealed before, even if its index is being
    /// rebuilt: it takes no more writes.
    pub fn was_sealed(&self) -> bool {
        match &*self.state() {
            PartState::Sealed(_) => true,
            PartState::Open(o) => o.rebuilt_from_sealed,
        }
    }

    /// The id of `key` in this open day, adding it when new.
    pub fn stream_id(&self, key: &Arc<StreamKey>) -> Option<u32> {
        match &mut *self.state_mut() {
            PartState::Open(o) => Some(o.index.get_or_insert(key)),
            PartState::Sealed(_) => None,
        }
    }

    /// Highest WAL sequence durable in a block of `key`, or `None` when the
    /// day is sealed (everything of a sealed day is durable, also when its
    /// damaged index is being rebuilt).
    pub fn durable_seq(&self, key: &StreamKey) -> Option<u64> {
        match &*self.state() {
            PartState::Open(o) if o.rebuilt_from_sealed => None,
            PartState::Open(o) => Some(
                o.index
                    .find(key)
                    .and_then(|id| o.index.stream(id))
                    .map_or(0, |s| s.durable_seq),
            ),
            PartState::Sealed(_) => None,
        }
    }

    /// Highest order key of any block (WAL sequences of open days).
    pub fn max_seq(&self) -> u64 {
        match &*self.state() {
            PartState::Open(o) => o
                .index
                .streams()
                .iter()
                .map(|s| s.durable_seq)
                .max()
                .unwrap_or(0),
            PartState::Sealed(_) => 0,
        }
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
        let mut slot = lock(&self.writer);
        if self.was_sealed() {
            // Sealing cuts every head of the day first; a late block would
            // land in a file no index knows.
            return Err(StoreError::DayClosed(super::key::day_name(self.day)));
        }
        if slot.writer.is_none() {
            let n = slot.next_file;
            let path = self.dir.join(chunk_file_name(n));
            let w = ChunkWriter::create(&path, self.day)?;
            let reader = Arc::new(w.reader()?);
            if let PartState::Open(o) = &mut *self.state_mut() {
                o.files.insert(n, reader);
            }
            slot.next_file = n + 1;
            slot.writer = Some((n, w));
        }
        let Some((n, w)) = slot.writer.as_mut() else {
            return Err(StoreError::DayClosed(super::key::day_name(self.day)));
        };
        let bodies: Vec<&[u8]> = blocks.iter().map(|(b, _)| *b).collect();
        let (locs, bytes) = w.append_blocks(id, key, order, &bodies)?;
        let metas = locs
            .iter()
            .zip(blocks)
            .map(|(loc, (_, s))| BlockMeta {
                file: *n,
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

    /// Adds a written block to the open index.
    pub fn add_block(&self, id: u32, meta: BlockMeta) {
        if let PartState::Open(o) = &mut *self.state_mut() {
            o.index.add_block(id, meta);
        }
    }

    /// fsyncs the active chunk file.
    pub fn sync(&self) -> Result<(), StoreError> {
        match lock(&self.writer).writer.as_mut() {
            Some((_, w)) => w.sync(),
            None => Ok(()),
        }
    }

    /// fsyncs and closes the active chunk file (before sealing).
    pub fn close_writer(&self) -> Result<(), StoreError> {
        let mut slot = lock(&self.writer);
        if let Some((_, mut w)) = slot.writer.take() {
            w.sync()?;
        }
        Ok(())
    }

    /// Streams of `tenants` matching every matcher, with their keys.
    pub fn select(
        &self,
        tenants: &[&str],
        matchers: &[Matcher],
    ) -> Result<Vec<StreamKey>, StoreError> {
        let corrupt = |e: CodecError| StoreError::corrupt(self.dir.join(INDEX_FILE), 0, e);
        match &*self.state() {
            PartState::Open(o) => {
                let set = select(&o.index, tenants, matchers).map_err(corrupt)?;
                Ok(set
                    .iter()
                    .filter_map(|id| o.index.stream(id).map(|s| (*s.key).clone()))
                    .collect())
            }
            PartState::Sealed(s) => {
                let set = select(&s.index, tenants, matchers).map_err(corrupt)?;
                set.iter()
                    .map(|id| s.index.key(id).map_err(corrupt))
                    .collect()
            }
        }
    }

    /// Label names, or the values of `name`, over the selected streams.
    pub fn labels(
        &self,
        tenants: &[&str],
        matchers: &[Matcher],
        name: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let corrupt = |e: CodecError| StoreError::corrupt(self.dir.join(INDEX_FILE), 0, e);
        let run = |ix: &dyn Postings| -> Result<Vec<String>, CodecError> {
            let set: RoaringBitmap = select(ix, tenants, matchers)?;
            match name {
                Some(n) => ix.values_for(n, &set),
                None => ix.names_for(&set),
            }
        };
        match &*self.state() {
            PartState::Open(o) => run(&o.index),
            PartState::Sealed(s) => run(&s.index),
        }
        .map_err(corrupt)
    }

    /// The blocks of `key` that overlap `[start, end)`.
    pub fn blocks(
        &self,
        key: &StreamKey,
        start: i64,
        end: i64,
    ) -> Result<Vec<BlockRef>, StoreError> {
        let overlaps = |m: &BlockMeta| m.max_ts >= start && m.min_ts < end;
        match &*self.state() {
            PartState::Open(o) => {
                let Some(s) = o.index.find(key).and_then(|id| o.index.stream(id)) else {
                    return Ok(Vec::new());
                };
                Ok(s.blocks
                    .iter()
                    .filter(|m| overlaps(m))
                    .filter_map(|m| {
                        o.files.get(&m.file).map(|f| BlockRef {
                            file: Arc::clone(f),
                            meta: *m,
                        })
                    })
                    .collect())
            }
            PartState::Sealed(s) => {
                let corrupt = |e| StoreError::corrupt(self.dir.join(INDEX_FILE), 0, e);
                let Some(id) = s.index.find(key).map_err(corrupt)? else {
                    return Ok(Vec::new());
                };
                Ok(s.index
                    .blocks(id)
                    .map_err(corrupt)?
                    .into_iter()
                    .filter(overlaps)
                    .map(|meta| BlockRef {
                        file: Arc::clone(&s.data),
                        meta,
                    })
                    .collect())
            }
        }
    }
}

/// Reads one chunk file into an open day's index: its stream declarations
/// map file-local ids to keys, its blocks join those streams. A torn tail
/// is truncated; damaged frames are reported and skipped.
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
    for (lid, key) in scanned.streams {
        let id = open.index.get_or_insert(&Arc::new(key));
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
                order: b.order,
            },
        );
    }
    open.files.insert(n, Arc::new(DataFile::open(path)?));
    Ok(())
}

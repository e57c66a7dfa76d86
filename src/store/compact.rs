//! Sealing a finished day: every stream's blocks (small, and overlapping
//! where writes came out of order) are merged in time order and rewritten
//! as large blocks, stream after stream, into one data file; then the label
//! index is written once. Crash-safe by ordering: new files are written
//! under temporary names, fsynced and renamed; the rename of the index file
//! commits the seal; only then are the old chunk files deleted. A crash at
//! any point leaves either the old open day or the sealed one (see
//! `Partition::load`).

use std::path::PathBuf;
use std::sync::Arc;

use super::batch::EncodedBatch;
use super::block::BlockEncoder;
use super::chunk_file::{parse_chunk_file_name, ChunkWriter, DataFile};
use super::error::StoreError;
use super::fsutil::{fsync_dir, rename_durable, tmp_path, write_atomic};
use super::index::{write_index, BlockMeta, SealedIndex, SealedStream};
use super::iter::EntryIter;
use super::key::StreamKey;
use super::linecodec::LineEncoder;
use super::metrics::StoreMetrics;
use super::partition::{BlockRef, PartState, Partition, SealedPart, DATA_FILE, INDEX_FILE};
use crate::model::Direction;

/// What a seal wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SealStats {
    /// Streams in the sealed day.
    pub streams: usize,
    /// Blocks before.
    pub blocks_in: usize,
    /// Blocks after.
    pub blocks_out: usize,
}

/// Writes one output block of `acc` for stream `id`.
#[allow(clippy::too_many_arguments)]
fn flush_block(
    acc: &mut EncodedBatch,
    enc: &mut BlockEncoder,
    order: &mut Vec<u32>,
    buf: &mut Vec<u8>,
    w: &mut ChunkWriter,
    id: u32,
    key: &StreamKey,
    metas: &mut Vec<BlockMeta>,
    metrics: &StoreMetrics,
) -> Result<(), StoreError> {
    if acc.is_empty() {
        return Ok(());
    }
    acc.sorted_order(order);
    buf.clear();
    let s = enc.encode(acc, order, true, buf);
    let k = metas.len() as u64;
    let (locs, bytes) = w.append_blocks(id, key, k, &[buf.as_slice()])?;
    let loc = locs[0];
    StoreMetrics::add(&metrics.blocks_written, 1);
    StoreMetrics::add(&metrics.chunk_bytes_written, bytes);
    metas.push(BlockMeta {
        file: 0,
        offset: loc.offset,
        len: loc.len,
        min_ts: s.min_ts,
        max_ts: s.max_ts,
        entries: s.entries,
        line_bytes: s.line_bytes,
        order: k,
    });
    acc.clear();
    Ok(())
}

/// Seals an open day whose heads have all been cut. `target` is the
/// uncompressed line bytes of an output block.
pub fn seal(
    part: &Partition,
    target: usize,
    metrics: &Arc<StoreMetrics>,
) -> Result<SealStats, StoreError> {
    part.close_writer()?;
    let (mut streams, inputs) = {
        let st = part.state();
        let PartState::Open(o) = &*st else {
            return Ok(SealStats::default());
        };
        let streams: Vec<(StreamKey, Vec<BlockRef>)> = o
            .index
            .streams()
            .iter()
            .filter(|s| !s.blocks.is_empty())
            .map(|s| {
                let blocks = s
                    .blocks
                    .iter()
                    .filter_map(|m| {
                        o.files.get(&m.file).map(|f| BlockRef {
                            file: Arc::clone(f),
                            meta: *m,
                        })
                    })
                    .collect();
                ((*s.key).clone(), blocks)
            })
            .collect();
        let inputs: Vec<PathBuf> = o.files.values().map(|f| f.path.clone()).collect();
        (streams, inputs)
    };
    streams.sort_by(|a, b| a.0.cmp(&b.0));
    let data_path = part.dir.join(DATA_FILE);
    let tmp = tmp_path(&data_path);
    if tmp.exists() {
        std::fs::remove_file(&tmp).map_err(|e| StoreError::io("remove", &tmp, e))?;
    }
    let mut w = ChunkWriter::create(&tmp, part.day)?;
    let mut stats = SealStats::default();
    let mut sealed: Vec<SealedStream> = Vec::with_capacity(streams.len());
    let mut enc = BlockEncoder::new();
    let mut lines = LineEncoder::new();
    let mut acc = EncodedBatch::new();
    let mut order = Vec::new();
    let mut buf = Vec::new();
    for (key, blocks) in streams {
        stats.blocks_in += blocks.len();
        let id = sealed.len() as u32;
        let mut metas = Vec::new();
        let mut it = EntryIter::new(
            Vec::new(),
            blocks,
            i64::MIN,
            i64::MAX,
            Direction::Forward,
            Arc::clone(metrics),
        );
        while let Some(batch) = it.next_batch() {
            let batch = batch?;
            for i in 0..batch.len() {
                acc.push(&mut lines, batch.ts(i), batch.line(i), batch.metadata(i));
                if acc.line_bytes() >= target as u64 {
                    flush_block(
                        &mut acc, &mut enc, &mut order, &mut buf, &mut w, id, &key, &mut metas,
                        metrics,
                    )?;
                }
            }
        }
        flush_block(
            &mut acc, &mut enc, &mut order, &mut buf, &mut w, id, &key, &mut metas, metrics,
        )?;
        if !metas.is_empty() {
            stats.blocks_out += metas.len();
            sealed.push(SealedStream { key, blocks: metas });
        }
    }
    stats.streams = sealed.len();
    w.sync()?;
    drop(w);
    rename_durable(&tmp, &data_path)?;
    let index_path = part.dir.join(INDEX_FILE);
    write_atomic(&index_path, &write_index(part.day, &sealed))?;
    // Committed. Switch readers over, then drop the old files.
    let index = SealedIndex::open(&index_path)?;
    let data = Arc::new(DataFile::open(&data_path)?);
    *part.state_mut() = PartState::Sealed(SealedPart { index, data });
    let mut removed = false;
    for p in inputs {
        let is_chunk = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(parse_chunk_file_name)
            .is_some();
        if is_chunk {
            match std::fs::remove_file(&p) {
                Ok(()) => removed = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io("remove", &p, e)),
            }
        }
    }
    if removed {
        fsync_dir(&part.dir)?;
    }
    StoreMetrics::add(&metrics.days_sealed, 1);
    Ok(stats)
}

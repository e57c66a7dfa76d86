//! Sealing a finished day: every stream's blocks (small, and overlapping
//! where writes came out of order or late) are merged in time order with
//! the day's previous generation, if any, and rewritten as large blocks,
//! stream after stream, into the data file of a new generation; then its
//! label index is written once. Crash-safe by ordering: new files are
//! written under temporary names, fsynced and renamed; the rename of the
//! index file commits the generation; only then are the consumed chunk
//! files and the previous generation deleted. A crash at any point leaves
//! either the old state or the new one (see `partition::classify_day`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::batch::EncodedBatch;
use super::block::{even_block_target, BlockEncoder};
use super::chunk_file::{self, ChunkWriter, DataFile};
use super::error::StoreError;
use super::field_summary::{FieldSummary, FieldSummaryBuilder};
use super::fsutil::{fsync_dir, rename_durable, tmp_path, write_atomic};
use super::index::{write_index, BlockMeta, SealedIndex, SealedStream};
use super::iter::EntryIter;
use super::key::StreamKey;
use super::linecodec::LineEncoder;
use super::metrics::StoreMetrics;
use super::partition::{remove_if_exists, BlockRef, Generation, Partition, SealedPart};
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

/// One stream's input to a seal: its blocks from the previous generation
/// and the consumed chunk files, and its durable WAL sequence.
#[derive(Default)]
struct SealInput {
    blocks: Vec<BlockRef>,
    durable: u64,
}

/// Collects the seal's inputs: the current generation's blocks (order key
/// 0, position order) and every block of the chunk files numbered below
/// `n`, read from the files themselves (a cut may have written a block
/// that is not in the index yet).
fn gather(part: &Partition, n: u32) -> Result<BTreeMap<StreamKey, SealInput>, StoreError> {
    let mut streams: BTreeMap<StreamKey, SealInput> = BTreeMap::new();
    let consumed = {
        let st = part.state();
        let mut consumed: Vec<(u32, Arc<DataFile>)> = st
            .open
            .files
            .iter()
            .filter(|(&f, _)| f < n)
            .map(|(&f, d)| (f, Arc::clone(d)))
            .collect();
        consumed.sort_by_key(|c| c.0);
        if let Some(b) = &st.base {
            let corrupt = |e| StoreError::corrupt(part.dir.join(b.generation.index_name()), 0, e);
            for id in 0..b.index.stream_count() {
                let key = b.index.key(id).map_err(corrupt)?;
                let durable = b.durable_seq(&key);
                let blocks = b.index.blocks(id).map_err(corrupt)?;
                let input = streams.entry(key).or_default();
                input.durable = input.durable.max(durable);
                input.blocks.extend(blocks.into_iter().map(|meta| BlockRef {
                    file: Arc::clone(&b.data),
                    meta: BlockMeta { order: 0, ..meta },
                }));
            }
        }
        consumed
    };
    for (f, file) in consumed {
        let scanned = chunk_file::scan(&file.path, false)?;
        let mut local: HashMap<u32, StreamKey> = HashMap::new();
        for (lid, key, seq) in scanned.streams {
            if f == 0 {
                let input = streams.entry(key.clone()).or_default();
                input.durable = input.durable.max(seq);
            }
            local.insert(lid, key);
        }
        for b in scanned.blocks {
            // Damaged frames were reported when the file was loaded.
            let Some(key) = local.get(&b.stream) else {
                continue;
            };
            let input = streams.entry(key.clone()).or_default();
            let order = if f == 0 { 0 } else { b.order };
            input.durable = input.durable.max(order);
            input.blocks.push(BlockRef {
                file: Arc::clone(&file),
                meta: BlockMeta {
                    file: f,
                    offset: b.loc.offset,
                    len: b.loc.len,
                    min_ts: b.header.min_ts,
                    max_ts: b.header.max_ts,
                    entries: b.header.entries,
                    line_bytes: b.header.line_bytes,
                    order,
                },
            });
        }
    }
    Ok(streams)
}

/// Seals a day: merges its current generation (if any) and its chunk
/// files into the next generation. Heads and later writes are not waited
/// for: blocks cut from now on go to newer chunk files, which stay next to
/// the new generation until the next seal. `target` is the uncompressed
/// line bytes of an output block, shared evenly among a stream's blocks
/// (see [`even_block_target`]).
///
/// Streams without a JSON field summary (lost to a crash) get one made
/// from the lines the seal reads, returned for the caller to install
/// where nothing was written since (see [`Partition::install_fields`]);
/// the caller then saves the summaries, whose file must name the new
/// generation.
pub fn seal(
    part: &Partition,
    target: usize,
    metrics: &Arc<StoreMetrics>,
) -> Result<(SealStats, Vec<(StreamKey, FieldSummary)>), StoreError> {
    let n = part.begin_seal()?;
    let streams = gather(part, n)?;
    let generation = Generation::Numbered(n);
    let data_path = part.dir.join(generation.data_name());
    let tmp = tmp_path(&data_path);
    remove_if_exists(&tmp)?;
    let mut w = ChunkWriter::create(&tmp, part.day)?;
    let mut stats = SealStats::default();
    let mut sealed: Vec<SealedStream> = Vec::with_capacity(streams.len());
    let mut durable = HashMap::with_capacity(streams.len());
    let mut enc = BlockEncoder::new();
    let mut lines = LineEncoder::new();
    let mut acc = EncodedBatch::new();
    let mut order = Vec::new();
    let mut buf = Vec::new();
    let mut rebuilt = Vec::new();
    let mut fields = FieldSummaryBuilder::new();
    for (key, input) in streams {
        stats.blocks_in += input.blocks.len();
        let summarise = !part.has_fields(&key);
        let id = sealed.len() as u32;
        let mut metas = Vec::new();
        let lines_in = input.blocks.iter().map(|b| u64::from(b.meta.line_bytes));
        let block_target = even_block_target(lines_in.sum(), target as u64);
        let mut it = EntryIter::new(
            Vec::new(),
            input.blocks,
            i64::MIN,
            i64::MAX,
            Direction::Forward,
            Arc::clone(metrics),
        );
        let mut declared = false;
        while let Some(batch) = it.next_batch() {
            let batch = batch?;
            if !declared && !batch.is_empty() {
                w.declare_stream(id, &key, input.durable)?;
                declared = true;
            }
            for i in 0..batch.len() {
                if summarise {
                    fields.add_line(batch.line(i), &|_| false);
                }
                acc.push(&mut lines, batch.ts(i), batch.line(i), batch.metadata(i));
                if acc.line_bytes() >= block_target {
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
        if let Some(f) = fields.finish().filter(|_| summarise) {
            rebuilt.push((key.clone(), f));
        }
        if !metas.is_empty() {
            stats.blocks_out += metas.len();
            durable.insert(key.clone(), input.durable);
            sealed.push(SealedStream { key, blocks: metas });
        }
    }
    stats.streams = sealed.len();
    w.sync()?;
    drop(w);
    rename_durable(&tmp, &data_path)?;
    let index_path = part.dir.join(generation.index_name());
    write_atomic(&index_path, &write_index(part.day, &sealed))?;
    // Committed. Switch readers over, then drop the files it replaces.
    let index = SealedIndex::open(&index_path)?;
    let data = Arc::new(DataFile::open(&data_path)?);
    let doomed = part.install_seal(
        n,
        SealedPart::with_durable(index, data, generation, durable),
    );
    for p in &doomed {
        remove_if_exists(p)?;
    }
    if !doomed.is_empty() {
        fsync_dir(&part.dir)?;
    }
    StoreMetrics::add(&metrics.days_sealed, 1);
    Ok((stats, rebuilt))
}

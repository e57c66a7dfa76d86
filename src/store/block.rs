//! The columnar block codec: one block holds entries of one stream in a
//! handful of separately checksummed, separately compressed columns, so a
//! reader can get timestamps and line lengths without touching line bytes.
//! The byte layout is specified in `storage-format.md` ("Block").

use super::batch::{EncodedBatch, EntryBatch, MetaColumn};
use super::error::CodecError;
use super::linecodec;
use super::rice;
use super::skeleton_needle::SkeletonNeedle;
use super::varint::{put_planes, put_uvarint, read_planes, unzigzag, zigzag, Reader};

/// Version of the block layout written by this build.
pub const BLOCK_FORMAT: u8 = 1;
/// Flag: entries are in timestamp order (stable for equal timestamps).
pub const FLAG_SORTED: u8 = 1;
/// zstd level for the text columns: level 1 compresses them as well as
/// levels 2-3 at twice the speed.
const ZSTD_LEVEL: i32 = 1;
/// zstd level for digit streams (see [`Profile::Digits`]).
const DIGITS_ZSTD_LEVEL: i32 = -5;
/// Largest decoded column this build accepts.
const MAX_COLUMN_BYTES: u32 = 1 << 30;
/// Fixed part of the header: format, flags, column count, reserved byte,
/// min_ts, max_ts, entry count, line bytes.
const FIXED_HEADER: usize = 4 + 8 + 8 + 4 + 4;
/// One column directory entry: kind, codec, raw length, stored length, CRC.
const COLUMN_ENTRY: usize = 1 + 1 + 4 + 4 + 4;
/// Columns a block may have.
const MAX_COLUMNS: usize = 5;
/// Longest possible header: fixed part, full directory, header CRC.
pub const MAX_HEADER_LEN: usize = FIXED_HEADER + MAX_COLUMNS * COLUMN_ENTRY + 4;

/// Column kinds, by their id on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ColumnKind {
    /// Timestamp deltas (the first relative to `min_ts`), divided by their
    /// common divisor and Rice-coded; zigzagged unless the block is sorted.
    Timestamps = 1,
    /// Line lengths as byte planes.
    LineLengths = 2,
    /// Line text with digit placeholders (see `linecodec`).
    Skeleton = 3,
    /// Digit runs taken out of the lines.
    Digits = 4,
    /// Structured metadata: name table, per-entry pairs, values.
    Metadata = 5,
}

const KINDS: [ColumnKind; MAX_COLUMNS] = [
    ColumnKind::Timestamps,
    ColumnKind::LineLengths,
    ColumnKind::Skeleton,
    ColumnKind::Digits,
    ColumnKind::Metadata,
];

/// Column codec: stored as is.
const CODEC_RAW: u8 = 0;
/// Column codec: one zstd frame.
const CODEC_ZSTD: u8 = 1;
/// Column codec: ASCII digits packed two per byte (high nibble first; an
/// odd count leaves the last low nibble 0).
const CODEC_NIBBLES: u8 = 2;
/// Column codec: one LZ4 block (no frame, no size prefix).
const CODEC_LZ4: u8 = 3;

/// Where a column's bytes are inside the block and how to decode them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColumnInfo {
    codec: u8,
    raw_len: u32,
    stored_len: u32,
    crc: u32,
    offset: usize,
}

/// The decoded block header: enough to skip a block by time, count its
/// entries and bytes, and find each column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockHeader {
    /// Flags ([`FLAG_SORTED`]).
    pub flags: u8,
    /// Smallest timestamp in the block.
    pub min_ts: i64,
    /// Largest timestamp in the block.
    pub max_ts: i64,
    /// Number of entries.
    pub entries: u32,
    /// Sum of the line lengths (uncompressed).
    pub line_bytes: u32,
    /// Header length in bytes (columns start here).
    pub header_len: usize,
    /// Total block length: header plus every column.
    pub total_len: usize,
    columns: [Option<ColumnInfo>; MAX_COLUMNS],
}

impl BlockHeader {
    /// Parses and checks a header from the start of `buf` (which may hold
    /// only the header, or the whole block).
    pub fn parse(buf: &[u8]) -> Result<BlockHeader, CodecError> {
        let mut r = Reader::new(buf);
        let format = r.u8("block header")?;
        if format != BLOCK_FORMAT {
            return Err(CodecError::Version {
                what: "block",
                found: u32::from(format),
            });
        }
        let flags = r.u8("block header")?;
        let ncols = usize::from(r.u8("block header")?);
        let _reserved = r.u8("block header")?;
        if ncols > MAX_COLUMNS {
            return Err(CodecError::Invalid("block column count"));
        }
        let min_ts = r.i64("block header")?;
        let max_ts = r.i64("block header")?;
        let entries = r.u32("block header")?;
        let line_bytes = r.u32("block header")?;
        let mut columns = [None; MAX_COLUMNS];
        let mut offset = FIXED_HEADER + ncols * COLUMN_ENTRY + 4;
        for _ in 0..ncols {
            let kind = r.u8("block column directory")?;
            let codec = r.u8("block column directory")?;
            let raw_len = r.u32("block column directory")?;
            let stored_len = r.u32("block column directory")?;
            let crc = r.u32("block column directory")?;
            let slot = usize::from(kind)
                .checked_sub(1)
                .filter(|&s| s < MAX_COLUMNS)
                .ok_or(CodecError::Invalid("block column kind"))?;
            if columns[slot].is_some() || codec > CODEC_LZ4 || raw_len > MAX_COLUMN_BYTES {
                return Err(CodecError::Invalid("block column directory"));
            }
            let packed_len = raw_len.div_ceil(2);
            if (codec == CODEC_RAW && raw_len != stored_len)
                || (codec == CODEC_NIBBLES && packed_len != stored_len)
            {
                return Err(CodecError::Invalid("block column directory"));
            }
            columns[slot] = Some(ColumnInfo {
                codec,
                raw_len,
                stored_len,
                crc,
                offset,
            });
            offset += stored_len as usize;
        }
        let header_len = r.position();
        let crc = r.u32("block header")?;
        let want = crc32c::crc32c(buf.get(..header_len).unwrap_or(&[]));
        if crc != want {
            return Err(CodecError::Checksum("block header"));
        }
        if min_ts > max_ts && entries > 0 {
            return Err(CodecError::Invalid("block time bounds"));
        }
        Ok(BlockHeader {
            flags,
            min_ts,
            max_ts,
            entries,
            line_bytes,
            header_len: header_len + 4,
            total_len: offset,
            columns,
        })
    }

    /// True when entries are stored in timestamp order.
    pub fn is_sorted(&self) -> bool {
        self.flags & FLAG_SORTED != 0
    }

    fn column(&self, kind: ColumnKind) -> Option<ColumnInfo> {
        self.columns[kind as usize - 1]
    }

    /// For each present column: its kind id, decoded length and stored
    /// length (for statistics and `check`).
    pub fn column_sizes(&self) -> impl Iterator<Item = (u8, u32, u32)> + '_ {
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i as u8 + 1, c.raw_len, c.stored_len)))
    }

    /// Bytes of the block needed to decode timestamps and line lengths
    /// (header plus those two columns, which are stored first).
    pub fn counts_prefix_len(&self) -> usize {
        [ColumnKind::Timestamps, ColumnKind::LineLengths]
            .iter()
            .filter_map(|&k| self.column(k))
            .map(|c| c.offset + c.stored_len as usize)
            .max()
            .unwrap_or(self.header_len)
    }
}

/// What an encoded block covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSummary {
    /// Smallest timestamp.
    pub min_ts: i64,
    /// Largest timestamp.
    pub max_ts: i64,
    /// Entry count.
    pub entries: u32,
    /// Sum of line lengths.
    pub line_bytes: u32,
}

/// How a column's bytes are best compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Text and structure: zstd level 1 with 7-byte minimum matches
    /// (2% smaller skeletons than the default 6, at the same speed).
    Text,
    /// Digit streams: mostly literals with few real repeats. The fast
    /// strategy with a small hash table and 7-byte minimum matches skips
    /// the short coincidental matches that cost more than the literals
    /// they replace (about 7% smaller than level 1, and faster); level -5
    /// skips ahead faster still between the few real repeats, and its
    /// literals are Huffman-coded as at level 1 (negative levels store
    /// them raw unless told). 27% less time than level 1 for 1% more
    /// bytes on the benchmark's digits.
    Digits,
    /// Digit streams of the WAL, written once and rarely read: packed two
    /// per byte, no zstd. Half the size at a hundredth of the CPU.
    PackedDigits,
    /// Text of the WAL, written once and rarely read: LZ4, about 3.5x
    /// faster than zstd level 1 on skeletons for 1.6x the stored size.
    FastText,
}

/// Packs ASCII digits two per byte.
fn pack_nibbles(raw: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + raw.len().div_ceil(2), 0);
    let packed = &mut out[start..];
    // Into a sized slice rather than by `push`, so the loop vectorises.
    let mut pairs = raw.chunks_exact(2);
    for (dst, p) in packed.iter_mut().zip(&mut pairs) {
        *dst = ((p[0] & 0x0f) << 4) | (p[1] & 0x0f);
    }
    if let ([last], Some(dst)) = (pairs.remainder(), packed.last_mut()) {
        *dst = (last & 0x0f) << 4;
    }
}

/// Unpacks `n` digits packed by [`pack_nibbles`].
fn unpack_nibbles(stored: &[u8], n: usize, out: &mut Vec<u8>) -> Result<(), CodecError> {
    if stored.len() != n.div_ceil(2) {
        return Err(CodecError::Invalid("packed digits"));
    }
    out.reserve(n + 1);
    let mut bad = 0u8;
    for &b in stored {
        let (hi, lo) = (b >> 4, b & 0x0f);
        bad |= u8::from(hi > 9) | u8::from(lo > 9);
        out.push(b'0' + hi);
        out.push(b'0' + lo);
    }
    if n % 2 == 1 {
        bad |= u8::from(out.pop() != Some(b'0'));
    }
    if bad != 0 {
        return Err(CodecError::Invalid("packed digits"));
    }
    Ok(())
}

fn compressor(profile: Profile) -> Option<zstd::bulk::Compressor<'static>> {
    use zstd::zstd_safe::{CParameter, ParamSwitch, Strategy};
    let digits = profile == Profile::Digits;
    let level = if digits {
        DIGITS_ZSTD_LEVEL
    } else {
        ZSTD_LEVEL
    };
    let mut c = zstd::bulk::Compressor::new(level).ok()?;
    // Lengths are stored beside every frame; the frame need not repeat them.
    c.set_parameter(CParameter::ContentSizeFlag(false)).ok()?;
    c.set_parameter(CParameter::MinMatch(7)).ok()?;
    if digits {
        c.set_parameter(CParameter::Strategy(Strategy::ZSTD_fast))
            .ok()?;
        c.set_parameter(CParameter::HashLog(10)).ok()?;
        c.set_parameter(CParameter::LiteralCompressionMode(ParamSwitch::Enable))
            .ok()?;
    }
    Some(c)
}

/// Compresses byte columns with reused zstd contexts, falling back to
/// storing them raw when compression does not pay (or fails).
pub struct Packer {
    text: Option<zstd::bulk::Compressor<'static>>,
    digits: Option<zstd::bulk::Compressor<'static>>,
    lz4: lz4_flex::block::CompressTable,
    scratch: Vec<u8>,
    /// LZ4 output, zeroed only where it grows.
    lz4_out: Vec<u8>,
}

impl Default for Packer {
    fn default() -> Self {
        Packer {
            text: compressor(Profile::Text),
            digits: compressor(Profile::Digits),
            lz4: lz4_flex::block::CompressTable::default(),
            scratch: Vec::new(),
            lz4_out: Vec::new(),
        }
    }
}

impl Packer {
    /// Appends `raw` to `out`, compressed when that saves at least a
    /// sixteenth; returns the codec and the stored length.
    pub fn pack(&mut self, raw: &[u8], profile: Profile, out: &mut Vec<u8>) -> (u8, usize) {
        let z = match profile {
            Profile::Text => self.text.as_mut(),
            Profile::Digits => self.digits.as_mut(),
            Profile::PackedDigits => {
                pack_nibbles(raw, out);
                return (CODEC_NIBBLES, raw.len().div_ceil(2));
            }
            Profile::FastText => return self.pack_lz4(raw, out),
        };
        if raw.len() >= 32 {
            if let Some(z) = z {
                self.scratch.clear();
                self.scratch
                    .reserve(zstd::zstd_safe::compress_bound(raw.len()));
                if let Ok(n) = z.compress_to_buffer(raw, &mut self.scratch) {
                    if n < raw.len() - raw.len() / 16 {
                        out.extend_from_slice(&self.scratch[..n]);
                        return (CODEC_ZSTD, n);
                    }
                }
            }
        }
        out.extend_from_slice(raw);
        (CODEC_RAW, raw.len())
    }

    /// [`Packer::pack`] with LZ4 (compressing straight into `out`).
    fn pack_lz4(&mut self, raw: &[u8], out: &mut Vec<u8>) -> (u8, usize) {
        if raw.len() >= 32 {
            // Into a reused buffer rather than zeroing the bound's worth
            // of `out` every time.
            let bound = lz4_flex::block::get_maximum_output_size(raw.len());
            if self.lz4_out.len() < bound {
                self.lz4_out.resize(bound, 0);
            }
            let packed = lz4_flex::block::compress_into_with_table(
                raw,
                &mut self.lz4_out[..bound],
                &mut self.lz4,
            );
            if let Ok(n) = packed {
                if n < raw.len() - raw.len() / 16 {
                    out.extend_from_slice(&self.lz4_out[..n]);
                    return (CODEC_LZ4, n);
                }
            }
        }
        out.extend_from_slice(raw);
        (CODEC_RAW, raw.len())
    }
}

/// Reverses [`Packer::pack`] with a reused zstd context.
#[derive(Default)]
pub struct Unpacker {
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

impl Unpacker {
    /// Replaces `out` with the decoded bytes of `stored` (codec `codec`,
    /// decoded length `raw_len`).
    pub fn unpack(
        &mut self,
        codec: u8,
        stored: &[u8],
        raw_len: usize,
        out: &mut Vec<u8>,
        what: &'static str,
    ) -> Result<(), CodecError> {
        out.clear();
        match codec {
            CODEC_RAW if stored.len() == raw_len => {
                out.extend_from_slice(stored);
                Ok(())
            }
            CODEC_ZSTD => {
                if self.zstd.is_none() {
                    self.zstd = zstd::bulk::Decompressor::new().ok();
                }
                let z = self.zstd.as_mut().ok_or(CodecError::Decompress(what))?;
                out.reserve(raw_len);
                let n = z
                    .decompress_to_buffer(stored, out)
                    .map_err(|_| CodecError::Decompress(what))?;
                if n != raw_len {
                    return Err(CodecError::Invalid(what));
                }
                Ok(())
            }
            CODEC_NIBBLES => unpack_nibbles(stored, raw_len, out),
            CODEC_LZ4 => {
                out.resize(raw_len, 0);
                match lz4_flex::block::decompress_into(stored, out) {
                    Ok(n) if n == raw_len => Ok(()),
                    Ok(_) => Err(CodecError::Invalid(what)),
                    Err(_) => Err(CodecError::Decompress(what)),
                }
            }
            _ => Err(CodecError::Invalid(what)),
        }
    }
}

/// Encodes blocks, reusing its compression context and scratch buffers.
pub struct BlockEncoder {
    packer: Packer,
    text_profile: Profile,
    digits_profile: Profile,
    ts: Vec<u8>,
    lens: Vec<u8>,
    skel: Vec<u8>,
    digits: Vec<u8>,
    meta: Vec<u8>,
    meta_groups: Vec<Vec<u8>>,
    nums: Vec<u64>,
    lens_nums: Vec<u64>,
}

impl Default for BlockEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockEncoder {
    /// A new encoder (the zstd context is created once, here).
    pub fn new() -> Self {
        BlockEncoder {
            packer: Packer::default(),
            text_profile: Profile::Text,
            digits_profile: Profile::Digits,
            ts: Vec::new(),
            lens: Vec::new(),
            skel: Vec::new(),
            digits: Vec::new(),
            meta: Vec::new(),
            meta_groups: Vec::new(),
            nums: Vec::new(),
            lens_nums: Vec::new(),
        }
    }

    /// An encoder for WAL records: digit streams are packed, not
    /// compressed (see [`Profile::PackedDigits`]), the other columns are
    /// LZ4-compressed (see [`Profile::FastText`]).
    pub fn for_wal() -> Self {
        BlockEncoder {
            text_profile: Profile::FastText,
            digits_profile: Profile::PackedDigits,
            ..Self::new()
        }
    }

    /// Encodes the entries of `batch` listed in `order` (indices) and
    /// appends the block to `out`. `sorted` states that `order` visits
    /// timestamps in ascending order.
    pub fn encode(
        &mut self,
        batch: &EncodedBatch,
        order: &[u32],
        sorted: bool,
        out: &mut Vec<u8>,
    ) -> BlockSummary {
        self.ts.clear();
        self.lens.clear();
        self.skel.clear();
        self.digits.clear();
        self.meta.clear();
        let identity =
            order.len() == batch.len() && order.iter().enumerate().all(|(k, &i)| k == i as usize);
        self.nums.clear();
        self.lens_nums.clear();
        let (min_ts, max_ts, line_bytes) = if identity {
            self.columns_of_whole(batch)
        } else {
            self.columns_in_order(batch, order)
        };
        encode_deltas(&mut self.nums, sorted, &mut self.ts);
        put_planes(&mut self.lens, &self.lens_nums);
        let has_meta = batch.meta().any();
        if has_meta {
            encode_metadata(batch.meta(), order, &mut self.meta, &mut self.meta_groups);
        }
        let whole = if identity { batch.streams() } else { None };
        if identity && whole.is_none() && !batch.is_empty() {
            self.copy_run(batch, 0, batch.len() - 1);
        }
        let (skel, digits): (&[u8], &[u8]) = whole.unwrap_or((&self.skel, &self.digits));
        let columns: [(ColumnKind, &[u8]); MAX_COLUMNS] = [
            (ColumnKind::Timestamps, &self.ts),
            (ColumnKind::LineLengths, &self.lens),
            (ColumnKind::Skeleton, skel),
            (ColumnKind::Digits, digits),
            (ColumnKind::Metadata, &self.meta),
        ];
        let present = if has_meta { 5 } else { 4 };
        let start = out.len();
        out.push(BLOCK_FORMAT);
        out.push(if sorted { FLAG_SORTED } else { 0 });
        out.push(present as u8);
        out.push(0);
        out.extend_from_slice(&min_ts.to_le_bytes());
        out.extend_from_slice(&max_ts.to_le_bytes());
        out.extend_from_slice(&(order.len() as u32).to_le_bytes());
        let line_bytes = u32::try_from(line_bytes).unwrap_or(u32::MAX);
        out.extend_from_slice(&line_bytes.to_le_bytes());
        let dir_start = out.len();
        out.resize(dir_start + present * COLUMN_ENTRY + 4, 0);
        for (n, (kind, raw)) in columns.iter().take(present).enumerate() {
            let profile = if *kind == ColumnKind::Digits {
                self.digits_profile
            } else {
                self.text_profile
            };
            let (codec, stored_len) = self.packer.pack(raw, profile, out);
            let stored = &out[out.len() - stored_len..];
            let crc = crc32c::crc32c(stored);
            let e = dir_start + n * COLUMN_ENTRY;
            out[e] = *kind as u8;
            out[e + 1] = codec;
            out[e + 2..e + 6].copy_from_slice(&(raw.len() as u32).to_le_bytes());
            out[e + 6..e + 10].copy_from_slice(&(stored_len as u32).to_le_bytes());
            out[e + 10..e + 14].copy_from_slice(&crc.to_le_bytes());
        }
        let crc_at = dir_start + present * COLUMN_ENTRY;
        let crc = crc32c::crc32c(&out[start..crc_at]);
        out[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
        BlockSummary {
            min_ts,
            max_ts,
            entries: order.len() as u32,
            line_bytes,
        }
    }

    /// Timestamp deltas and line lengths of every entry of `batch` in
    /// insertion order, a whole column at a time (the skeleton and digits
    /// are used where they lie); returns the time bounds and line bytes.
    fn columns_of_whole(&mut self, batch: &EncodedBatch) -> (i64, i64, u64) {
        let ts = batch.timestamps();
        let (Some(&min_ts), Some(&max_ts)) = (ts.iter().min(), ts.iter().max()) else {
            return (0, 0, 0);
        };
        let mut prev = min_ts;
        self.nums.extend(ts.iter().map(|&t| {
            let delta = t.wrapping_sub(prev) as u64;
            prev = t;
            delta
        }));
        let lens = batch.line_lens();
        self.lens_nums.extend(lens.iter().map(|&l| u64::from(l)));
        let line_bytes = lens.iter().map(|&l| u64::from(l)).sum();
        (min_ts, max_ts, line_bytes)
    }

    /// [`Self::columns_of_whole`] for the entries `order` lists, which also
    /// gathers their skeleton and digits.
    fn columns_in_order(&mut self, batch: &EncodedBatch, order: &[u32]) -> (i64, i64, u64) {
        let mut min_ts = i64::MAX;
        let mut max_ts = i64::MIN;
        for &i in order {
            let t = batch.ts(i as usize);
            min_ts = min_ts.min(t);
            max_ts = max_ts.max(t);
        }
        if order.is_empty() {
            return (0, 0, 0);
        }
        let mut prev = min_ts;
        let mut line_bytes: u64 = 0;
        // Runs of consecutive entries (an unsorted head's sorted order is
        // a few runs, one per append) are copied in one piece, not line by
        // line.
        let mut run: Option<(usize, usize)> = None;
        for &i in order {
            let i = i as usize;
            let t = batch.ts(i);
            self.nums.push(t.wrapping_sub(prev) as u64);
            prev = t;
            let len = batch.line_len(i);
            self.lens_nums.push(u64::from(len));
            line_bytes += u64::from(len);
            run = match run {
                Some((first, last)) if i == last + 1 => Some((first, i)),
                Some((first, last)) => {
                    self.copy_run(batch, first, last);
                    Some((i, i))
                }
                None => Some((i, i)),
            };
        }
        if let Some((first, last)) = run {
            self.copy_run(batch, first, last);
        }
        (min_ts, max_ts, line_bytes)
    }

    /// Appends the skeleton and digits of entries `first..=last`.
    fn copy_run(&mut self, batch: &EncodedBatch, first: usize, last: usize) {
        batch.copy_run(first, last, &mut self.skel, &mut self.digits);
    }

    /// The encoder's column packer, for callers framing extra sections.
    pub fn packer(&mut self) -> &mut Packer {
        &mut self.packer
    }
}

/// Metadata column: name table; per entry the pair count and (name index,
/// value length) pairs; then the values, grouped by name (all values of
/// name 0 in entry order, then of name 1, ...) so that repeated values of
/// one name sit together and compress away.
fn encode_metadata(meta: &MetaColumn, order: &[u32], out: &mut Vec<u8>, groups: &mut Vec<Vec<u8>>) {
    // The block's name table, in order of first use, and for each name of
    // the batch's table its position there.
    let mut names: Vec<u32> = Vec::new();
    let mut position: Vec<u32> = Vec::new();
    for &i in order {
        for (n, _) in meta.get_indexed(i as usize) {
            let slot = n as usize;
            if position.len() <= slot {
                position.resize(slot + 1, u32::MAX);
            }
            if position[slot] == u32::MAX {
                position[slot] = names.len() as u32;
                names.push(n);
            }
        }
    }
    put_uvarint(out, names.len() as u64);
    for &n in &names {
        let name = meta.name(n);
        put_uvarint(out, name.len() as u64);
        out.extend_from_slice(name.as_bytes());
    }
    groups.iter_mut().for_each(Vec::clear);
    if groups.len() < names.len() {
        groups.resize_with(names.len(), Vec::new);
    }
    for &i in order {
        let i = i as usize;
        put_uvarint(out, meta.count(i) as u64);
        for (n, v) in meta.get_indexed(i) {
            let idx = position.get(n as usize).copied().unwrap_or(0);
            put_uvarint(out, u64::from(idx));
            put_uvarint(out, v.len() as u64);
            if let Some(g) = groups.get_mut(idx as usize) {
                g.extend_from_slice(v.as_bytes());
            }
        }
    }
    for g in groups.iter().take(names.len()) {
        out.extend_from_slice(g);
    }
}

/// Decodes blocks, reusing its decompression context and scratch buffers.
pub struct BlockDecoder {
    unpacker: Unpacker,
    nums: Vec<u64>,
    bufs: [Vec<u8>; MAX_COLUMNS],
    ts: Vec<i64>,
    line_ends: Vec<u32>,
    pair_ends: Vec<u32>,
    pairs: Vec<(u32, u32)>,
    name_ends: Vec<u32>,
    /// Texts some line of a block must contain for [`BlockDecoder::decode`]
    /// to decode its entries at all.
    required: Vec<SkeletonNeedle>,
    /// Set when [`BlockDecoder::decode`] leaves the line text out.
    without_text: bool,
}

impl Default for BlockDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        BlockDecoder {
            unpacker: Unpacker::default(),
            nums: Vec::new(),
            bufs: Default::default(),
            ts: Vec::new(),
            line_ends: Vec::new(),
            pair_ends: Vec::new(),
            pairs: Vec::new(),
            name_ends: Vec::new(),
            required: Vec::new(),
            without_text: false,
        }
    }

    /// Makes [`BlockDecoder::decode`] skip blocks where no line can hold
    /// one of `texts`, judged from the encoded lines (see
    /// [`SkeletonNeedle`]); such a block decodes as empty.
    pub fn require_lines_containing(&mut self, texts: &[&str]) {
        self.required = texts
            .iter()
            .filter_map(|t| SkeletonNeedle::new(t.as_bytes()))
            .collect();
    }

    /// Makes [`BlockDecoder::decode`] leave the line text out (the skeleton
    /// and digits columns are not even unpacked): the batch has timestamps,
    /// line lengths and metadata, and empty lines.
    pub fn without_line_text(&mut self) {
        self.without_text = true;
    }

    /// Verifies and unpacks column `kind` of `block` into its scratch buffer.
    fn unpack(
        &mut self,
        h: &BlockHeader,
        block: &[u8],
        kind: ColumnKind,
    ) -> Result<(), CodecError> {
        let slot = kind as usize - 1;
        let buf = &mut self.bufs[slot];
        buf.clear();
        let Some(c) = h.column(kind) else {
            return Ok(());
        };
        let stored = block
            .get(c.offset..c.offset + c.stored_len as usize)
            .ok_or(CodecError::Truncated("block column"))?;
        if crc32c::crc32c(stored) != c.crc {
            return Err(CodecError::Checksum("block column"));
        }
        self.unpacker
            .unpack(c.codec, stored, c.raw_len as usize, buf, "block column")
    }

    /// The decoder's column unpacker, for callers reading extra sections.
    pub fn unpacker(&mut self) -> &mut Unpacker {
        &mut self.unpacker
    }

    /// Decodes timestamps and line lengths into `ts` and `lens` (replacing
    /// their contents). `block` needs only [`BlockHeader::counts_prefix_len`]
    /// bytes.
    pub fn decode_counts(
        &mut self,
        block: &[u8],
        ts: &mut Vec<i64>,
        lens: &mut Vec<u32>,
    ) -> Result<BlockHeader, CodecError> {
        let h = BlockHeader::parse(block)?;
        self.unpack(&h, block, ColumnKind::Timestamps)?;
        self.unpack(&h, block, ColumnKind::LineLengths)?;
        decode_ts(&self.bufs[0], &h, &mut self.nums, ts)?;
        read_planes(&self.bufs[1], h.entries as usize, &mut self.nums)?;
        lens.clear();
        lens.reserve(h.entries as usize);
        for &n in &self.nums {
            lens.push(u32::try_from(n).map_err(|_| CodecError::Invalid("line length"))?);
        }
        Ok(h)
    }

    /// Reads the structured-metadata name table of `block` (the whole
    /// block) into `names` (replacing its contents; empty when the block
    /// has no metadata column). Decodes no other column.
    pub fn metadata_names(
        &mut self,
        block: &[u8],
        names: &mut Vec<String>,
    ) -> Result<BlockHeader, CodecError> {
        let h = BlockHeader::parse(block)?;
        names.clear();
        self.unpack(&h, block, ColumnKind::Metadata)?;
        if h.column(ColumnKind::Metadata).is_none() {
            return Ok(h);
        }
        let raw = &self.bufs[ColumnKind::Metadata as usize - 1];
        let mut r = Reader::new(raw);
        let n = r.len(raw.len(), "metadata names")?;
        for _ in 0..n {
            let name = std::str::from_utf8(r.len_bytes("metadata name")?)
                .map_err(|_| CodecError::Invalid("metadata name"))?;
            names.push(name.to_string());
        }
        Ok(h)
    }

    /// Decodes a whole block into `batch` (replacing its contents).
    pub fn decode(
        &mut self,
        block: &[u8],
        batch: &mut EntryBatch,
    ) -> Result<BlockHeader, CodecError> {
        let h = BlockHeader::parse(block)?;
        let mut unpacked = [false; MAX_COLUMNS];
        if !self.required.is_empty() {
            self.unpack(&h, block, ColumnKind::Skeleton)?;
            unpacked[ColumnKind::Skeleton as usize - 1] = true;
            if self.required.iter().any(SkeletonNeedle::reads_digits) {
                self.unpack(&h, block, ColumnKind::Digits)?;
                unpacked[ColumnKind::Digits as usize - 1] = true;
            }
            let skel = &self.bufs[ColumnKind::Skeleton as usize - 1];
            let digits = &self.bufs[ColumnKind::Digits as usize - 1];
            if !self.required.iter().all(|n| n.may_occur(skel, digits)) {
                batch.clear();
                return Ok(h);
            }
        }
        for kind in KINDS {
            let text = matches!(kind, ColumnKind::Skeleton | ColumnKind::Digits);
            let unneeded = text && self.without_text;
            if !unpacked[kind as usize - 1] && !unneeded {
                self.unpack(&h, block, kind)?;
            }
        }
        decode_ts(&self.bufs[0], &h, &mut self.nums, &mut self.ts)?;
        read_planes(&self.bufs[1], h.entries as usize, &mut self.nums)?;
        self.line_ends.clear();
        self.line_ends.reserve(h.entries as usize);
        let mut total: u64 = 0;
        for &n in &self.nums {
            total = total.saturating_add(n);
            if total > u64::from(u32::MAX) {
                return Err(CodecError::Invalid("line length column"));
            }
            self.line_ends.push(total as u32);
        }
        if total != u64::from(h.line_bytes) {
            return Err(CodecError::Invalid("line length column"));
        }
        let (names, values) = batch.meta_mut().take_strings();
        let mut line_bytes = batch.take_lines().into_bytes();
        let [_, _, skel, digits, _] = &mut self.bufs;
        line_bytes.clear();
        if !self.without_text {
            linecodec::decode_lines(skel, digits, &self.ts, &self.line_ends, &mut line_bytes)?;
        }
        let lines = String::from_utf8(line_bytes).map_err(|_| CodecError::Invalid("line text"))?;
        let (names, values) = self.decode_metadata(&h, names, values)?;
        batch
            .set_decoded(&mut self.ts, &mut self.line_ends, lines)
            .set_decoded(
                &mut self.pair_ends,
                &self.pairs,
                &mut self.name_ends,
                names,
                values,
            );
        Ok(h)
    }

    fn decode_metadata(
        &mut self,
        h: &BlockHeader,
        names: String,
        values: String,
    ) -> Result<(String, String), CodecError> {
        self.pair_ends.clear();
        self.pairs.clear();
        self.name_ends.clear();
        let mut names = names.into_bytes();
        let mut values = values.into_bytes();
        names.clear();
        values.clear();
        let raw = &self.bufs[4];
        if h.column(ColumnKind::Metadata).is_none() {
            self.pair_ends.resize(h.entries as usize, 0);
            return Ok((String::new(), String::new()));
        }
        let mut r = Reader::new(raw);
        let n_names = r.len(raw.len(), "metadata names")?;
        for _ in 0..n_names {
            names.extend_from_slice(r.len_bytes("metadata name")?);
            self.name_ends.push(names.len() as u32);
        }
        // Pass 1: the pair structure, with value lengths for now.
        let mut group_len = vec![0u64; n_names];
        for _ in 0..h.entries {
            let n = r.len(raw.len(), "metadata pairs")?;
            for _ in 0..n {
                let name = r.len(n_names.saturating_sub(1), "metadata name index")?;
                let len = r.len(raw.len(), "metadata value length")?;
                group_len[name] += len as u64;
                self.pairs.push((name as u32, len as u32));
            }
            self.pair_ends.push(self.pairs.len() as u32);
        }
        let rest = r.rest();
        if rest.len() as u64 != group_len.iter().sum::<u64>() {
            return Err(CodecError::Invalid("metadata values"));
        }
        // Pass 2: gather values from their name groups into pair order.
        let mut cursor: Vec<usize> = Vec::with_capacity(n_names);
        let mut at = 0usize;
        for len in &group_len {
            cursor.push(at);
            at += *len as usize;
        }
        values.reserve(rest.len());
        for (name, len) in self.pairs.iter_mut() {
            let c = &mut cursor[*name as usize];
            let v = rest
                .get(*c..*c + *len as usize)
                .ok_or(CodecError::Invalid("metadata values"))?;
            *c += v.len();
            values.extend_from_slice(v);
            *len = values.len() as u32;
        }
        let names = String::from_utf8(names).map_err(|_| CodecError::Invalid("metadata name"))?;
        let values =
            String::from_utf8(values).map_err(|_| CodecError::Invalid("metadata value"))?;
        Ok((names, values))
    }
}

/// The line bytes each block gets when `total` line bytes are cut into
/// blocks of about `block_size`: the block count rounded to the nearest
/// whole number (at least one) and the lines shared evenly among them. A
/// head just over the block size is one block (at most 1.5 times the
/// size), not a full block and a small remainder that compresses badly.
pub fn even_block_target(total: u64, block_size: u64) -> u64 {
    let block_size = block_size.max(1);
    let blocks = (total.saturating_add(block_size / 2) / block_size).max(1);
    total.div_ceil(blocks).max(1)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Timestamp column: `uvarint divisor`, then the Rice code of each delta
/// divided by it (zigzagged first when the block is not sorted). Deltas
/// arrive as wrapping differences; the divisor is the GCD of their
/// magnitudes, so millisecond timestamps cost bits for milliseconds only.
fn encode_deltas(deltas: &mut [u64], sorted: bool, out: &mut Vec<u8>) {
    let magnitude = |d: u64| if sorted { d } else { (d as i64).unsigned_abs() };
    // Nanosecond timestamps reach a divisor of 1 within a few deltas; the
    // rest need neither a GCD step nor a division (each a 64-bit divide).
    let mut g = 0;
    for &d in deltas.iter() {
        g = gcd(g, magnitude(d));
        if g == 1 {
            break;
        }
    }
    if g == 0 || g > i64::MAX as u64 {
        g = 1;
    }
    match (sorted, g) {
        (true, 1) => {}
        (false, 1) => deltas.iter_mut().for_each(|d| *d = zigzag(*d as i64)),
        (true, _) => deltas.iter_mut().for_each(|d| *d /= g),
        (false, _) => deltas
            .iter_mut()
            .for_each(|d| *d = zigzag((*d as i64) / g as i64)),
    }
    put_uvarint(out, g);
    rice::encode(deltas, out);
}

fn decode_ts(
    raw: &[u8],
    h: &BlockHeader,
    nums: &mut Vec<u64>,
    ts: &mut Vec<i64>,
) -> Result<(), CodecError> {
    let mut r = Reader::new(raw);
    let g = r.uvarint("timestamp divisor")?;
    if g == 0 || g > i64::MAX as u64 {
        return Err(CodecError::Invalid("timestamp divisor"));
    }
    rice::decode(r.rest(), h.entries as usize, nums)?;
    ts.clear();
    ts.reserve(nums.len());
    let mut prev = h.min_ts;
    let sorted = h.is_sorted();
    for &v in nums.iter() {
        let d = if sorted {
            v.wrapping_mul(g) as i64
        } else {
            unzigzag(v).wrapping_mul(g as i64)
        };
        prev = prev.wrapping_add(d);
        ts.push(prev);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::linecodec::LineEncoder;
    use proptest::prelude::*;

    type Row = (i64, String, Vec<(String, String)>);

    fn encoded(rows: &[Row]) -> EncodedBatch {
        let mut enc = LineEncoder::new();
        let mut b = EncodedBatch::new();
        for (t, l, m) in rows {
            b.push(
                &mut enc,
                *t,
                l,
                m.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            );
        }
        b
    }

    fn sample() -> Vec<Row> {
        let m = |p: &[(&str, &str)]| {
            p.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        vec![
            (
                1_795_449_600_012_140_406,
                "GET /a 200 12ms t=16:00:00.012140406".into(),
                m(&[("detected_level", "info")]),
            ),
            (1_795_449_600_000_000_000, "boot".into(), m(&[])),
            (
                1_795_449_601_000_000_000,
                "é 42".into(),
                m(&[("trace_id", "abc123"), ("detected_level", "warn")]),
            ),
        ]
    }

    fn assert_same(a: &[Row], order: &[u32], b: &EntryBatch) {
        assert_eq!(b.len(), order.len());
        for (k, &i) in order.iter().enumerate() {
            let (t, l, m) = &a[i as usize];
            assert_eq!(b.ts(k), *t);
            assert_eq!(b.line(k), l);
            let want: Vec<(&str, &str)> = m.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            assert_eq!(b.metadata(k).collect::<Vec<_>>(), want);
        }
    }

    fn order_of(b: &EncodedBatch) -> Vec<u32> {
        let mut o = Vec::new();
        b.sorted_order(&mut o);
        o
    }

    #[test]
    fn round_trip_sorted_and_counts() {
        let rows = sample();
        let a = encoded(&rows);
        let order = order_of(&a);
        let mut enc = BlockEncoder::new();
        let mut out = Vec::new();
        let s = enc.encode(&a, &order, true, &mut out);
        assert_eq!((s.entries, s.min_ts), (3, 1_795_449_600_000_000_000));
        let mut dec = BlockDecoder::new();
        let mut b = EntryBatch::new();
        let h = dec.decode(&out, &mut b).unwrap();
        assert!(h.is_sorted());
        assert_eq!(h.total_len, out.len());
        assert_same(&rows, &order, &b);
        let (mut ts, mut lens) = (Vec::new(), Vec::new());
        let prefix = &out[..h.counts_prefix_len()];
        dec.decode_counts(prefix, &mut ts, &mut lens).unwrap();
        assert_eq!(lens, vec![4, 36, 5]);
        assert!(ts.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn blocks_share_lines_evenly_without_small_remainders() {
        let k = 256 << 10;
        assert_eq!(even_block_target(100_000, k), 100_000);
        assert_eq!(even_block_target(k + 14_000, k), k + 14_000);
        assert_eq!(even_block_target(k * 3 / 2 - 2, k), k * 3 / 2 - 2);
        assert_eq!(even_block_target(k * 3 / 2, k), k * 3 / 4);
        assert_eq!(even_block_target(4 * k + 10, k), k + 3);
        assert_eq!(even_block_target(0, k), 1);
        assert_eq!(even_block_target(7, 0), 1);
    }

    #[test]
    fn heads_spread_over_pages_encode_like_one_buffer() {
        let rows: Vec<Row> = (0..3000i64)
            .map(|i| {
                let line = format!("GET /item/{i} 200 {}ms user={} ok", i % 97, i * 7919);
                let meta = vec![("k".to_string(), (i % 3).to_string())];
                (
                    1_795_449_600_000_000_000 + (i % 1000) * 1_000_000,
                    line,
                    meta,
                )
            })
            .collect();
        let record = encoded(&rows);
        let mut head = EncodedBatch::for_head();
        let mut at = 0;
        while at < rows.len() {
            let end = (at + 37).min(rows.len());
            head.extend_from(&record, at..end);
            at = end;
        }
        assert!(head.streams().is_none(), "the head should span pages");
        let mut enc = BlockEncoder::new();
        for order in [
            (0..rows.len() as u32).collect::<Vec<u32>>(),
            order_of(&head),
            (0..rows.len() as u32).rev().collect(),
        ] {
            let (mut from_head, mut from_record) = (Vec::new(), Vec::new());
            enc.encode(&head, &order, false, &mut from_head);
            enc.encode(&record, &order, false, &mut from_record);
            assert_eq!(from_head, from_record);
            let mut b = EntryBatch::new();
            BlockDecoder::new().decode(&from_head, &mut b).unwrap();
            assert_same(&rows, &order, &b);
        }
    }

    #[test]
    fn empty_block_and_no_metadata() {
        let mut a = EncodedBatch::new();
        let mut enc = BlockEncoder::new();
        let mut out = Vec::new();
        enc.encode(&a, &[], true, &mut out);
        let mut b = EntryBatch::new();
        assert_eq!(BlockDecoder::new().decode(&out, &mut b).unwrap().entries, 0);
        a.push(&mut LineEncoder::new(), 5, "x", []);
        out.clear();
        enc.encode(&a, &[0], true, &mut out);
        BlockDecoder::new().decode(&out, &mut b).unwrap();
        assert_eq!(b.metadata(0).count(), 0);
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let a = encoded(&sample());
        let mut out = Vec::new();
        BlockEncoder::new().encode(&a, &[0, 1, 2], false, &mut out);
        let mut dec = BlockDecoder::new();
        let mut b = EntryBatch::new();
        for i in 0..out.len() {
            let mut bad = out.clone();
            bad[i] ^= 0x10;
            assert!(dec.decode(&bad, &mut b).is_err(), "byte {i}");
        }
    }

    fn arb_rows() -> impl Strategy<Value = Vec<Row>> {
        let entry = (
            any::<i64>(),
            "[a-z0-9 :.é-]{0,40}",
            proptest::collection::vec(("[a-z_]{1,6}", "[a-z0-9]{0,6}"), 0..3),
        );
        proptest::collection::vec(entry, 0..30)
    }

    #[test]
    fn digit_streams_are_entropy_coded() {
        // Digits without repeats: only Huffman coding of the literals
        // (off by default at negative zstd levels) brings them under the
        // byte a digit takes as text.
        let mut x: u64 = 12345;
        let raw: Vec<u8> = (0..20_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                b'0' + ((x >> 33) % 10) as u8
            })
            .collect();
        let mut stored = Vec::new();
        let (codec, n) = Packer::default().pack(&raw, Profile::Digits, &mut stored);
        assert_eq!(codec, CODEC_ZSTD);
        assert!(n < raw.len() / 2, "{n} bytes for {} digits", raw.len());
        let mut out = Vec::new();
        Unpacker::default()
            .unpack(codec, &stored, raw.len(), &mut out, "digits")
            .unwrap();
        assert_eq!(out, raw);
    }

    #[test]
    fn nibble_packing_round_trips_and_rejects_non_digits() {
        for digits in ["", "7", "12", "0123456789", "99999"] {
            // Appended after what the output already holds.
            let mut packed = vec![0xee];
            pack_nibbles(digits.as_bytes(), &mut packed);
            assert_eq!(packed[0], 0xee);
            assert_eq!(packed.len(), 1 + digits.len().div_ceil(2));
            let mut back = Vec::new();
            unpack_nibbles(&packed[1..], digits.len(), &mut back).unwrap();
            assert_eq!(back, digits.as_bytes());
        }
        assert!(unpack_nibbles(&[0xa0], 1, &mut Vec::new()).is_err());
        assert!(unpack_nibbles(&[0x11], 1, &mut Vec::new()).is_err());
        assert!(unpack_nibbles(&[0x11], 3, &mut Vec::new()).is_err());
    }

    #[test]
    fn wal_blocks_pack_digits_and_lz4_text() {
        let rows: Vec<Row> = sample().into_iter().cycle().take(30).collect();
        let a = encoded(&rows);
        let order: Vec<u32> = (0..a.len() as u32).collect();
        let mut out = Vec::new();
        BlockEncoder::for_wal().encode(&a, &order, false, &mut out);
        let h = BlockHeader::parse(&out).unwrap();
        let digits = h.column(ColumnKind::Digits).unwrap();
        assert_eq!(digits.codec, CODEC_NIBBLES);
        let skel = h.column(ColumnKind::Skeleton).unwrap();
        assert_eq!(skel.codec, CODEC_LZ4);
        let mut b = EntryBatch::new();
        BlockDecoder::new().decode(&out, &mut b).unwrap();
        assert_same(&rows, &order, &b);
    }

    #[test]
    fn lz4_columns_reject_damage_without_panicking() {
        let raw = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc".repeat(4);
        let mut stored = Vec::new();
        let (codec, n) = Packer::default().pack(&raw, Profile::FastText, &mut stored);
        assert_eq!((codec, n), (CODEC_LZ4, stored.len()));
        let mut un = Unpacker::default();
        let mut out = Vec::new();
        un.unpack(codec, &stored, raw.len(), &mut out, "t").unwrap();
        assert_eq!(out, raw);
        assert!(un
            .unpack(codec, &stored, raw.len() + 1, &mut out, "t")
            .is_err());
        assert!(un
            .unpack(codec, &stored, raw.len() - 1, &mut out, "t")
            .is_err());
        for i in 0..stored.len() {
            let mut bad = stored.clone();
            bad[i] ^= 0xff;
            let _ = un.unpack(codec, &bad, raw.len(), &mut out, "t");
            let _ = un.unpack(codec, &stored[..i], raw.len(), &mut out, "t");
        }
    }

    #[test]
    fn runs_of_an_unsorted_head_are_copied_whole() {
        // Two appends that overlap in time: the sorted order visits runs
        // of consecutive entries, and blocks may end inside a run.
        let rows: Vec<Row> = [
            (13, "c13 1"),
            (14, "c14 22"),
            (15, "c15"),
            (10, "a10 333"),
            (11, "a11"),
            (12, "a12 4444"),
            (16, "d16 5"),
            (17, "d17"),
        ]
        .iter()
        .map(|(t, l)| (*t, l.to_string(), vec![("k".to_string(), format!("v{t}"))]))
        .collect();
        let a = encoded(&rows);
        let order = order_of(&a);
        assert_eq!(order, vec![3, 4, 5, 0, 1, 2, 6, 7]);
        for (lo, hi) in [(0, 8), (0, 4), (4, 8), (1, 7), (2, 3), (5, 6)] {
            let mut out = Vec::new();
            BlockEncoder::new().encode(&a, &order[lo..hi], true, &mut out);
            let mut b = EntryBatch::new();
            BlockDecoder::new().decode(&out, &mut b).unwrap();
            assert_same(&rows, &order[lo..hi], &b);
        }
    }

    proptest! {
        #[test]
        fn packed_columns_round_trip(raw in proptest::collection::vec(any::<u8>(), 0..400), rep in 1usize..8) {
            let raw = raw.repeat(rep);
            let mut packer = Packer::default();
            let mut un = Unpacker::default();
            for profile in [Profile::Text, Profile::Digits, Profile::FastText] {
                let mut stored = vec![7u8];
                let (codec, n) = packer.pack(&raw, profile, &mut stored);
                prop_assert_eq!(n + 1, stored.len());
                let mut out = Vec::new();
                un.unpack(codec, &stored[1..], raw.len(), &mut out, "t").unwrap();
                prop_assert_eq!(&out, &raw);
            }
        }

        #[test]
        fn blocks_round_trip(rows in arb_rows(), sort in any::<bool>(), reverse in any::<bool>(), cut in any::<proptest::sample::Index>()) {
            let a = encoded(&rows);
            let mut order: Vec<u32> = if sort { order_of(&a) } else { (0..a.len() as u32).collect() };
            if reverse && !sort {
                order.reverse();
            }
            // The whole order as one block, and as two blocks split anywhere.
            let at = cut.index(order.len() + 1);
            for part in [&order[..], &order[..at], &order[at..]] {
                let mut out = Vec::new();
                BlockEncoder::new().encode(&a, part, sort, &mut out);
                let mut b = EntryBatch::new();
                BlockDecoder::new().decode(&out, &mut b).unwrap();
                assert_same(&rows, part, &b);
            }
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut b = EntryBatch::new();
            let mut dec = BlockDecoder::new();
            let _ = dec.decode(&bytes, &mut b);
            let _ = dec.decode_counts(&bytes, &mut Vec::new(), &mut Vec::new());
        }
    }
}

//! Chunk files: the append-only data files of a day partition. A chunk
//! file is a file header followed by frames (see `frame.rs`) of two kinds:
//! STREAM frames declare a file-local stream id with its tenant and labels;
//! BLOCK frames hold one encoded block of a declared stream. Days append
//! blocks to `c-NNNNNN.kc` files as heads are cut; sealing rewrites a day
//! into one `data-NNNNNN.kc` of the same format. Layout in
//! `storage-format.md` ("Chunk file").

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::block::{BlockDecoder, BlockHeader, ColumnKind, MAX_HEADER_LEN};
use super::error::{CodecError, StoreError};
use super::frame::{
    parse_header, put_frame, FrameHeader, FrameLayout, FrameScanner, Scanned, CHUNK_FRAME_HEADER,
};
use super::fsutil::{fsync_dir, map_file};
use super::key::StreamKey;
use super::varint::{put_bytes, put_uvarint, Reader};
use crate::model::{Label, Labels};

/// Chunk file magic.
pub const CHUNK_MAGIC: [u8; 8] = *b"KNDLCHNK";
/// Chunk file format version written by this build.
pub const CHUNK_VERSION: u32 = 1;
/// File header: magic, version, day, CRC.
pub const FILE_HEADER_LEN: usize = 8 + 4 + 4 + 4;
/// Frame kind: stream declaration.
pub const KIND_STREAM: u8 = 1;
/// Frame kind: block.
pub const KIND_BLOCK: u8 = 2;
/// BLOCK frame flag: more blocks of the same cut follow. The blocks of one
/// cut are written with one write and share one order key, so recovery
/// keeps all of them or (torn at the tail) none.
pub const FLAG_CONTINUED: u8 = 1;

/// File name of the `n`th chunk file of an open day.
pub fn chunk_file_name(n: u32) -> String {
    format!("c-{n:06}.kc")
}

/// The number of a chunk file name, if it is one.
pub fn parse_chunk_file_name(name: &str) -> Option<u32> {
    name.strip_prefix("c-")?.strip_suffix(".kc")?.parse().ok()
}

fn file_header(day: i32) -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[..8].copy_from_slice(&CHUNK_MAGIC);
    h[8..12].copy_from_slice(&CHUNK_VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&day.to_le_bytes());
    let crc = crc32c::crc32c(&h[..16]);
    h[16..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Checks a chunk file header; returns the day it declares.
pub fn parse_file_header(buf: &[u8]) -> Result<i32, CodecError> {
    let mut r = Reader::new(buf);
    if r.array::<8>("chunk file header")? != CHUNK_MAGIC {
        return Err(CodecError::Invalid("chunk file magic"));
    }
    let version = r.u32("chunk file header")?;
    let day = r.u32("chunk file header")? as i32;
    let crc = r.u32("chunk file header")?;
    if crc != crc32c::crc32c(&buf[..16]) {
        return Err(CodecError::Checksum("chunk file header"));
    }
    if version != CHUNK_VERSION {
        return Err(CodecError::Version {
            what: "chunk file",
            found: version,
        });
    }
    Ok(day)
}

/// Body of a STREAM frame: tenant, then the labels.
pub fn encode_stream_body(key: &StreamKey, out: &mut Vec<u8>) {
    put_bytes(out, key.tenant.as_bytes());
    put_uvarint(out, key.labels.len() as u64);
    for l in key.labels.iter() {
        put_bytes(out, l.name.as_bytes());
        put_bytes(out, l.value.as_bytes());
    }
}

/// Parses a STREAM frame body.
pub fn decode_stream_body(body: &[u8]) -> Result<StreamKey, CodecError> {
    let mut r = Reader::new(body);
    let tenant = r.str("stream tenant")?.to_string();
    let n = r.len(body.len(), "stream labels")?;
    let mut v: Vec<Label> = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.str("label name")?;
        let value = r.str("label value")?;
        if v.last().is_some_and(|l| l.name.as_str() >= name) {
            return Err(CodecError::Invalid("stream labels order"));
        }
        v.push(Label::new(name, value));
    }
    if !r.is_empty() {
        return Err(CodecError::Invalid("stream frame"));
    }
    Ok(StreamKey {
        tenant,
        labels: Labels::from_sorted(v),
    })
}

/// A data file open for reading (and, for the active chunk file of an open
/// day, appending).
#[derive(Debug)]
pub struct DataFile {
    /// Its path, for error messages.
    pub path: PathBuf,
    file: File,
}

impl DataFile {
    /// Opens an existing file read-only.
    pub fn open(path: &Path) -> Result<DataFile, StoreError> {
        let file = File::open(path).map_err(|e| StoreError::io("open", path, e))?;
        Ok(DataFile {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Reads `len` bytes at `offset` into `buf` (replacing its contents).
    pub fn read_at(&self, offset: u64, len: usize, buf: &mut Vec<u8>) -> Result<(), StoreError> {
        buf.clear();
        buf.resize(len, 0);
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| StoreError::io("read", &self.path, e))
    }

    /// Reads the BLOCK frame at `offset` (whose total length is `len`) and
    /// leaves the block bytes in `buf`. The frame header is checked; block
    /// contents are checked by the block decoder.
    pub fn read_block(&self, offset: u64, len: u32, buf: &mut Vec<u8>) -> Result<(), StoreError> {
        self.read_at(offset, len as usize, buf)?;
        let h = parse_header(buf, FrameLayout::Chunk)
            .map_err(|e| StoreError::corrupt(&self.path, offset, e))?;
        if h.kind != KIND_BLOCK || CHUNK_FRAME_HEADER + h.len as usize != buf.len() {
            return Err(StoreError::corrupt(
                &self.path,
                offset,
                CodecError::Invalid("block frame"),
            ));
        }
        buf.drain(..CHUNK_FRAME_HEADER);
        Ok(())
    }

    /// Reads only what decoding timestamps and line lengths of the BLOCK
    /// frame at `offset` needs: the block header and those two columns.
    /// `entries` (from the index) sizes a first read that usually holds
    /// both, so a block costs one system call.
    pub fn read_block_counts(
        &self,
        offset: u64,
        len: u32,
        entries: u32,
        buf: &mut Vec<u8>,
    ) -> Result<(), StoreError> {
        let guess = CHUNK_FRAME_HEADER + MAX_HEADER_LEN + 64 + entries as usize * 6;
        let want = guess.min(len as usize);
        self.read_at(offset, want, buf)?;
        let corrupt = |e| StoreError::corrupt(&self.path, offset, e);
        let h = parse_header(buf, FrameLayout::Chunk).map_err(corrupt)?;
        if h.kind != KIND_BLOCK || CHUNK_FRAME_HEADER + h.len as usize != len as usize {
            return Err(corrupt(CodecError::Invalid("block frame")));
        }
        let bh = BlockHeader::parse(&buf[CHUNK_FRAME_HEADER..]).map_err(corrupt)?;
        let prefix = bh.counts_prefix_len().min(h.len as usize);
        if prefix + CHUNK_FRAME_HEADER > buf.len() {
            self.read_at(offset, CHUNK_FRAME_HEADER + prefix, buf)?;
        } else {
            buf.truncate(CHUNK_FRAME_HEADER + prefix);
        }
        buf.drain(..CHUNK_FRAME_HEADER);
        Ok(())
    }
}

impl DataFile {
    /// The structured-metadata names of the BLOCK frame at `offset` (whose
    /// total length is `len`) into `names`. Reads only the block header
    /// when the block has no metadata column, else the whole block, whose
    /// line columns stay undecoded.
    pub fn read_metadata_names(
        &self,
        offset: u64,
        len: u32,
        buf: &mut Vec<u8>,
        decoder: &mut BlockDecoder,
        names: &mut Vec<String>,
    ) -> Result<(), StoreError> {
        names.clear();
        let corrupt = |e| StoreError::corrupt(&self.path, offset, e);
        let want = (CHUNK_FRAME_HEADER + MAX_HEADER_LEN).min(len as usize);
        self.read_at(offset, want, buf)?;
        let h = parse_header(buf, FrameLayout::Chunk).map_err(corrupt)?;
        if h.kind != KIND_BLOCK || CHUNK_FRAME_HEADER + h.len as usize != len as usize {
            return Err(corrupt(CodecError::Invalid("block frame")));
        }
        let bh =
            BlockHeader::parse(buf.get(CHUNK_FRAME_HEADER..).unwrap_or(&[])).map_err(corrupt)?;
        if !bh
            .column_sizes()
            .any(|(kind, _, _)| kind == ColumnKind::Metadata as u8)
        {
            return Ok(());
        }
        self.read_block(offset, len, buf)?;
        decoder.metadata_names(buf, names).map_err(corrupt)?;
        Ok(())
    }
}

/// Appends a STREAM frame declaring `id` as `key`, with `seq` in its header.
fn put_stream_frame(buf: &mut Vec<u8>, id: u32, key: &StreamKey, seq: u64) {
    let mut body = Vec::new();
    encode_stream_body(key, &mut body);
    let h = FrameHeader {
        kind: KIND_STREAM,
        flags: 0,
        stream: id,
        seq,
        len: 0,
        body_crc: 0,
    };
    put_frame(buf, FrameLayout::Chunk, &h, &body);
}

/// Appends frames to one chunk file.
#[derive(Debug)]
pub struct ChunkWriter {
    file: File,
    path: PathBuf,
    len: u64,
    declared: HashSet<u32>,
    dirty: bool,
    buf: Vec<u8>,
}

/// Where a written block frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLoc {
    /// Offset of the frame header.
    pub offset: u64,
    /// Frame length (header and body).
    pub len: u32,
}

impl ChunkWriter {
    /// Creates a new chunk file (fails if it exists) with its header.
    pub fn create(path: &Path, day: i32) -> Result<ChunkWriter, StoreError> {
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .map_err(|e| StoreError::io("create", path, e))?;
        file.write_all(&file_header(day))
            .map_err(|e| StoreError::io("write", path, e))?;
        if let Some(dir) = path.parent() {
            fsync_dir(dir)?;
        }
        Ok(ChunkWriter {
            file,
            path: path.to_path_buf(),
            len: FILE_HEADER_LEN as u64,
            declared: HashSet::new(),
            dirty: true,
            buf: Vec::new(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the file.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when only the header was written.
    pub fn is_empty(&self) -> bool {
        self.len == FILE_HEADER_LEN as u64
    }

    /// Appends the blocks of one cut of stream `id` (declaring the stream
    /// first if this file has not yet) with one write; all but the last
    /// carry [`FLAG_CONTINUED`]. Returns where each BLOCK frame is and how
    /// many bytes were written.
    pub fn append_blocks(
        &mut self,
        id: u32,
        key: &StreamKey,
        order: u64,
        blocks: &[&[u8]],
    ) -> Result<(Vec<FrameLoc>, u64), StoreError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let declare = !self.declared.contains(&id);
        if declare {
            put_stream_frame(&mut buf, id, key, 0);
        }
        let mut locs = Vec::with_capacity(blocks.len());
        for (i, block) in blocks.iter().enumerate() {
            let at = buf.len();
            let h = FrameHeader {
                kind: KIND_BLOCK,
                flags: if i + 1 < blocks.len() {
                    FLAG_CONTINUED
                } else {
                    0
                },
                stream: id,
                seq: order,
                len: 0,
                body_crc: 0,
            };
            put_frame(&mut buf, FrameLayout::Chunk, &h, block);
            locs.push(FrameLoc {
                offset: self.len + at as u64,
                len: (buf.len() - at) as u32,
            });
        }
        let res = self.file.write_all(&buf);
        let n = buf.len() as u64;
        self.buf = buf;
        if let Err(e) = res {
            // Cut off whatever part was written, so the next append does not
            // follow garbage.
            let _ = self.file.set_len(self.len);
            return Err(StoreError::io("write", &self.path, e));
        }
        self.len += n;
        self.dirty = true;
        if declare {
            self.declared.insert(id);
        }
        Ok((locs, n))
    }

    /// Declares stream `id` with a STREAM frame whose `seq` is `durable`
    /// (data files: the highest WAL sequence whose entries of the stream
    /// the file holds). A no-op when `id` is declared already.
    pub fn declare_stream(
        &mut self,
        id: u32,
        key: &StreamKey,
        durable: u64,
    ) -> Result<(), StoreError> {
        if self.declared.contains(&id) {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        put_stream_frame(&mut buf, id, key, durable);
        let res = self.file.write_all(&buf);
        let n = buf.len() as u64;
        self.buf = buf;
        if let Err(e) = res {
            let _ = self.file.set_len(self.len);
            return Err(StoreError::io("write", &self.path, e));
        }
        self.len += n;
        self.dirty = true;
        self.declared.insert(id);
        Ok(())
    }

    /// fsyncs the file if anything was written since the last sync.
    pub fn sync(&mut self) -> Result<(), StoreError> {
        if self.dirty {
            self.file
                .sync_data()
                .map_err(|e| StoreError::io("fsync", &self.path, e))?;
            self.dirty = false;
        }
        Ok(())
    }

    /// A read handle on the same file.
    pub fn reader(&self) -> Result<DataFile, StoreError> {
        DataFile::open(&self.path)
    }
}

/// One block found by scanning a chunk file.
#[derive(Debug, Clone)]
pub struct ScannedBlock {
    /// File-local stream id.
    pub stream: u32,
    /// Order key (WAL sequence or compaction order).
    pub order: u64,
    /// Where the frame is.
    pub loc: FrameLoc,
    /// The block header.
    pub header: BlockHeader,
}

/// Everything a scan of a chunk file found.
#[derive(Debug, Default)]
pub struct ScannedFile {
    /// File-local stream ids, their keys and the `seq` of their STREAM
    /// frames (0 in chunk files; the durable WAL sequence in data files).
    pub streams: Vec<(u32, StreamKey, u64)>,
    /// Blocks in file order.
    pub blocks: Vec<ScannedBlock>,
    /// Damaged regions (offset, reason).
    pub damaged: Vec<(u64, CodecError)>,
    /// Where a torn tail starts, if the file has one.
    pub torn_at: Option<u64>,
    /// The day the header declares.
    pub day: i32,
}

/// Reads a chunk file's frames: stream declarations and block headers.
/// With `full`, every frame body and every block column is verified too
/// (for `check`); otherwise block bodies are left for readers to verify.
pub fn scan(path: &Path, full: bool) -> Result<ScannedFile, StoreError> {
    let map = map_file(path)?;
    let mut out = ScannedFile::default();
    match parse_file_header(&map) {
        Ok(day) => out.day = day,
        Err(_) if map.len() < FILE_HEADER_LEN => {
            out.torn_at = Some(0);
            return Ok(out);
        }
        Err(e) => {
            out.damaged.push((0, e));
            return Ok(out);
        }
    }
    let mut decoder = if full {
        Some(super::block::BlockDecoder::new())
    } else {
        None
    };
    let mut batch = super::batch::EntryBatch::new();
    // Blocks of a cut whose last frame has not been seen yet.
    let mut group: Vec<ScannedBlock> = Vec::new();
    for item in FrameScanner::new(&map, FILE_HEADER_LEN, FrameLayout::Chunk, full) {
        match item {
            Scanned::Frame {
                offset,
                header,
                body,
            } => {
                let offset64 = offset as u64;
                let loc = FrameLoc {
                    offset: offset64,
                    len: (CHUNK_FRAME_HEADER + body.len()) as u32,
                };
                match header.kind {
                    KIND_STREAM => {
                        let res = if crc32c::crc32c(body) == header.body_crc {
                            decode_stream_body(body)
                        } else {
                            Err(CodecError::Checksum("stream frame"))
                        };
                        match res {
                            Ok(key) => out.streams.push((header.stream, key, header.seq)),
                            Err(e) => out.damaged.push((offset64, e)),
                        }
                    }
                    KIND_BLOCK => {
                        let parsed = BlockHeader::parse(body).and_then(|h| {
                            if h.total_len != body.len() || !h.is_sorted() {
                                return Err(CodecError::Invalid("block frame"));
                            }
                            if let Some(d) = decoder.as_mut() {
                                d.decode(body, &mut batch)?;
                            }
                            Ok(h)
                        });
                        match parsed {
                            Ok(h) => group.push(ScannedBlock {
                                stream: header.stream,
                                order: header.seq,
                                loc,
                                header: h,
                            }),
                            Err(e) => out.damaged.push((offset64, e)),
                        }
                        if header.flags & FLAG_CONTINUED == 0 {
                            out.blocks.append(&mut group);
                        }
                    }
                    _ => out
                        .damaged
                        .push((offset64, CodecError::Invalid("frame kind"))),
                }
            }
            Scanned::Damaged { offset, error, .. } => {
                // Damage, not a torn write: the group's intact blocks stay.
                out.blocks.append(&mut group);
                out.damaged.push((offset as u64, error));
            }
            Scanned::TornTail { offset } => out.torn_at = Some(offset as u64),
        }
    }
    // A cut whose last block never made it to disk is dropped whole: its
    // entries are still in the WAL.
    if let Some(first) = group.first() {
        out.torn_at = Some(
            out.torn_at
                .map_or(first.loc.offset, |t| t.min(first.loc.offset)),
        );
    }
    Ok(out)
}

/// Truncates a chunk file at `at` (a torn tail) durably.
pub fn truncate(path: &Path, at: u64) -> Result<(), StoreError> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| StoreError::io("open", path, e))?;
    f.set_len(at)
        .and_then(|_| f.sync_all())
        .map_err(|e| StoreError::io("truncate", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::batch::EncodedBatch;
    use crate::store::block::BlockEncoder;
    use crate::store::linecodec::LineEncoder;

    fn key(app: &str) -> StreamKey {
        StreamKey {
            tenant: "fake".into(),
            labels: Labels::from_pairs([("app", app)]),
        }
    }

    fn block(lines: &[(i64, &str)]) -> Vec<u8> {
        let mut b = EncodedBatch::new();
        let mut enc = LineEncoder::new();
        for (t, l) in lines {
            b.push(&mut enc, *t, l, []);
        }
        let mut order = Vec::new();
        b.sorted_order(&mut order);
        let mut out = Vec::new();
        BlockEncoder::new().encode(&b, &order, true, &mut out);
        out
    }

    #[test]
    fn write_scan_read() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(chunk_file_name(1));
        let mut w = ChunkWriter::create(&path, 20_000).unwrap();
        let a = w
            .append_blocks(0, &key("a"), 7, &[&block(&[(1, "x"), (2, "y")])])
            .unwrap()
            .0[0];
        let b = w
            .append_blocks(1, &key("b"), 8, &[&block(&[(3, "z")])])
            .unwrap()
            .0[0];
        let c = w
            .append_blocks(0, &key("a"), 9, &[&block(&[(4, "w")])])
            .unwrap()
            .0[0];
        w.sync().unwrap();
        let s = scan(&path, true).unwrap();
        assert_eq!(s.day, 20_000);
        assert!(s.damaged.is_empty() && s.torn_at.is_none());
        assert_eq!(s.streams, vec![(0, key("a"), 0), (1, key("b"), 0)]);
        assert_eq!(
            s.blocks
                .iter()
                .map(|b| (b.stream, b.order, b.loc))
                .collect::<Vec<_>>(),
            [(0, 7, a), (1, 8, b), (0, 9, c)]
        );
        let f = DataFile::open(&path).unwrap();
        let mut buf = Vec::new();
        f.read_block(b.offset, b.len, &mut buf).unwrap();
        assert_eq!(BlockHeader::parse(&buf).unwrap().min_ts, 3);
        f.read_block_counts(a.offset, a.len, 2, &mut buf).unwrap();
        let mut buf2 = Vec::new();
        f.read_block_counts(a.offset, a.len, 0, &mut buf2).unwrap();
        assert_eq!(buf, buf2);
        let (mut ts, mut lens) = (Vec::new(), Vec::new());
        crate::store::block::BlockDecoder::new()
            .decode_counts(&buf, &mut ts, &mut lens)
            .unwrap();
        assert_eq!((ts, lens), (vec![1, 2], vec![1, 1]));
        assert!(f.read_block(a.offset + 1, a.len, &mut buf).is_err());
        // Torn tail: the last frame is cut short.
        let full = std::fs::metadata(&path).unwrap().len();
        truncate(&path, full - 3).unwrap();
        let s = scan(&path, false).unwrap();
        assert_eq!(s.torn_at, Some(c.offset));
        assert_eq!(s.blocks.len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn scanning_random_files_never_panics(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400), valid_header in proptest::prelude::any::<bool>()) {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().join("x.kc");
            let mut bytes = if valid_header { file_header(3).to_vec() } else { Vec::new() };
            bytes.extend_from_slice(&tail);
            std::fs::write(&path, &bytes).unwrap();
            let _ = scan(&path, true);
            let _ = scan(&path, false);
        }
    }

    #[test]
    fn a_torn_cut_is_dropped_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(chunk_file_name(3));
        let mut w = ChunkWriter::create(&path, 1).unwrap();
        w.append_blocks(0, &key("a"), 1, &[&block(&[(1, "x")])])
            .unwrap();
        let (group, _) = w
            .append_blocks(0, &key("a"), 2, &[&block(&[(2, "y")]), &block(&[(3, "z")])])
            .unwrap();
        let s = scan(&path, false).unwrap();
        assert_eq!(s.blocks.len(), 3);
        // The write stops between the two blocks of the second cut.
        truncate(&path, group[1].offset).unwrap();
        let s = scan(&path, false).unwrap();
        assert_eq!(s.blocks.iter().map(|b| b.order).collect::<Vec<_>>(), [1]);
        assert_eq!(s.torn_at, Some(group[0].offset));
    }

    #[test]
    fn damaged_frames_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(chunk_file_name(2));
        let mut w = ChunkWriter::create(&path, 1).unwrap();
        let a = w
            .append_blocks(0, &key("a"), 1, &[&block(&[(1, "x")])])
            .unwrap()
            .0[0];
        w.append_blocks(0, &key("a"), 2, &[&block(&[(2, "y")])])
            .unwrap();
        drop(w);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[a.offset as usize + CHUNK_FRAME_HEADER + 5] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let s = scan(&path, false).unwrap();
        assert_eq!(s.blocks.iter().map(|b| b.order).collect::<Vec<_>>(), [2]);
        assert_eq!(s.damaged.len(), 1);
    }
}

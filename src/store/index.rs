//! The label index of a day partition: dense stream ids, and for every
//! label name and value a roaring bitmap of the streams carrying it.
//! Open days keep a [`MemIndex`] in memory (rebuilt from chunk files on
//! start); sealing writes an index file once, which [`SealedIndex`] reads
//! through a read-only memory map. Both answer matcher selections through
//! [`Postings`]; a regex matcher runs over the values of one name, never
//! over streams. Layout in `storage-format.md` ("Index file").

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use roaring::RoaringBitmap;

use super::error::{CodecError, StoreError};
use super::fsutil::{map_file, Mapped};
use super::key::StreamKey;
use super::varint::Reader;
use crate::model::{Label, Labels, Matcher};

/// What an index keeps about one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockMeta {
    /// Which data file of the partition holds it.
    pub file: u32,
    /// Offset of its frame.
    pub offset: u64,
    /// Frame length.
    pub len: u32,
    /// Smallest timestamp.
    pub min_ts: i64,
    /// Largest timestamp.
    pub max_ts: i64,
    /// Entry count.
    pub entries: u32,
    /// Sum of line lengths.
    pub line_bytes: u32,
    /// Order key: WAL sequence (open days) or position (sealed days).
    pub order: u64,
}

/// Postings lookups shared by open and sealed indexes.
pub trait Postings {
    /// Streams of `tenant`.
    fn tenant_streams(&self, tenant: &str) -> Result<RoaringBitmap, CodecError>;
    /// Union of the postings of every value of `name` that `keep` accepts.
    fn union_where(
        &self,
        name: &str,
        keep: &mut dyn FnMut(&str) -> bool,
    ) -> Result<RoaringBitmap, CodecError>;
    /// Label names carried by any stream of `streams`, sorted.
    fn names_for(&self, streams: &RoaringBitmap) -> Result<Vec<String>, CodecError>;
    /// Values of `name` carried by any stream of `streams`, sorted.
    fn values_for(&self, name: &str, streams: &RoaringBitmap) -> Result<Vec<String>, CodecError>;
}

/// The streams of `tenants` that every matcher accepts. A matcher that
/// accepts the empty string also accepts streams without the label, so it
/// removes the streams whose value it rejects; any other matcher keeps the
/// union of the postings of the values it accepts.
pub fn select(
    ix: &dyn Postings,
    tenants: &[&str],
    matchers: &[Matcher],
) -> Result<RoaringBitmap, CodecError> {
    let mut set = RoaringBitmap::new();
    for t in tenants {
        set |= ix.tenant_streams(t)?;
    }
    // Narrowing matchers first keeps the later set operations small.
    let (narrow, wide): (Vec<&Matcher>, Vec<&Matcher>) =
        matchers.iter().partition(|m| !m.matches_empty());
    for m in narrow.into_iter().chain(wide) {
        if set.is_empty() {
            break;
        }
        if m.matches_empty() {
            set -= ix.union_where(&m.name, &mut |v| !m.matches(v))?;
        } else {
            set &= ix.union_where(&m.name, &mut |v| m.matches(v))?;
        }
    }
    Ok(set)
}

/// One stream of an open day.
#[derive(Debug, Clone)]
pub struct MemStream {
    /// Tenant and labels.
    pub key: Arc<StreamKey>,
    /// Blocks in the order they were written.
    pub blocks: Vec<BlockMeta>,
    /// Highest WAL sequence whose entries of this stream and day are in a
    /// block (0 when none): WAL replay skips what is already durable.
    pub durable_seq: u64,
}

/// The in-memory index of an open day.
#[derive(Debug, Default)]
pub struct MemIndex {
    streams: Vec<MemStream>,
    by_key: HashMap<Arc<StreamKey>, u32>,
    postings: BTreeMap<String, BTreeMap<String, RoaringBitmap>>,
    tenants: BTreeMap<String, RoaringBitmap>,
}

impl MemIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of streams.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// True when there is no stream.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// The id of `key`, if present.
    pub fn find(&self, key: &StreamKey) -> Option<u32> {
        self.by_key.get(key).copied()
    }

    /// The id of `key`, adding the stream when new.
    pub fn get_or_insert(&mut self, key: &Arc<StreamKey>) -> u32 {
        if let Some(&id) = self.by_key.get(&**key) {
            return id;
        }
        let id = self.streams.len() as u32;
        self.streams.push(MemStream {
            key: Arc::clone(key),
            blocks: Vec::new(),
            durable_seq: 0,
        });
        self.by_key.insert(Arc::clone(key), id);
        for l in key.labels.iter() {
            self.postings
                .entry(l.name.clone())
                .or_default()
                .entry(l.value.clone())
                .or_default()
                .insert(id);
        }
        self.tenants
            .entry(key.tenant.clone())
            .or_default()
            .insert(id);
        id
    }

    /// Records a block of stream `id`.
    pub fn add_block(&mut self, id: u32, meta: BlockMeta) {
        if let Some(s) = self.streams.get_mut(id as usize) {
            s.durable_seq = s.durable_seq.max(meta.order);
            s.blocks.push(meta);
        }
    }

    /// Raises the durable WAL sequence of stream `id` to at least `seq`
    /// (for blocks whose order key is not a WAL sequence).
    pub fn note_durable(&mut self, id: u32, seq: u64) {
        if let Some(s) = self.streams.get_mut(id as usize) {
            s.durable_seq = s.durable_seq.max(seq);
        }
    }

    /// Drops the blocks whose file `keep` rejects. Streams and their ids
    /// stay (heads and chunk writers refer to them by id).
    pub fn retain_files(&mut self, keep: impl Fn(u32) -> bool) {
        for s in &mut self.streams {
            s.blocks.retain(|m| keep(m.file));
        }
    }

    /// True when some stream has a block.
    pub fn has_blocks(&self) -> bool {
        self.streams.iter().any(|s| !s.blocks.is_empty())
    }

    /// Stream `id`.
    pub fn stream(&self, id: u32) -> Option<&MemStream> {
        self.streams.get(id as usize)
    }

    /// All streams by id.
    pub fn streams(&self) -> &[MemStream] {
        &self.streams
    }
}

impl Postings for MemIndex {
    fn tenant_streams(&self, tenant: &str) -> Result<RoaringBitmap, CodecError> {
        Ok(self.tenants.get(tenant).cloned().unwrap_or_default())
    }

    fn union_where(
        &self,
        name: &str,
        keep: &mut dyn FnMut(&str) -> bool,
    ) -> Result<RoaringBitmap, CodecError> {
        let mut out = RoaringBitmap::new();
        if let Some(values) = self.postings.get(name) {
            for (v, p) in values {
                if keep(v) {
                    out |= p;
                }
            }
        }
        Ok(out)
    }

    fn names_for(&self, streams: &RoaringBitmap) -> Result<Vec<String>, CodecError> {
        Ok(self
            .postings
            .iter()
            .filter(|(_, values)| values.values().any(|p| !p.is_disjoint(streams)))
            .map(|(n, _)| n.clone())
            .collect())
    }

    fn values_for(&self, name: &str, streams: &RoaringBitmap) -> Result<Vec<String>, CodecError> {
        Ok(self
            .postings
            .get(name)
            .map(|values| {
                values
                    .iter()
                    .filter(|(_, p)| !p.is_disjoint(streams))
                    .map(|(v, _)| v.clone())
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// Index file magic.
pub const INDEX_MAGIC: [u8; 8] = *b"KNDLINDX";
/// Index file format version written by this build.
pub const INDEX_VERSION: u32 = 1;
const HEADER_LEN: usize = 20;
const SECTIONS: usize = 8;
const TOC_ENTRY: usize = 20;
const FOOTER_LEN: usize = SECTIONS * TOC_ENTRY + 4 + 8;

/// Sections of an index file, in file order.
#[derive(Debug, Clone, Copy)]
#[repr(usize)]
enum Section {
    Strings = 0,
    Streams = 1,
    Labels = 2,
    Blocks = 3,
    Names = 4,
    Values = 5,
    Tenants = 6,
    Postings = 7,
}

const STREAM_REC: usize = 40;
const LABEL_REC: usize = 16;
const BLOCK_REC: usize = 40;
const NAME_REC: usize = 24;
const VALUE_REC: usize = 16;
const TENANT_REC: usize = 16;
const REC_SIZES: [usize; SECTIONS] = [
    1, STREAM_REC, LABEL_REC, BLOCK_REC, NAME_REC, VALUE_REC, TENANT_REC, 1,
];

/// One stream handed to [`write_index`]: its key and blocks (offsets in the
/// sealed data file, in time order).
#[derive(Debug, Clone)]
pub struct SealedStream {
    /// Tenant and labels.
    pub key: StreamKey,
    /// Its blocks.
    pub blocks: Vec<BlockMeta>,
}

#[derive(Default)]
struct Builder {
    sections: [Vec<u8>; SECTIONS],
    strings: HashMap<String, (u32, u32)>,
}

impl Builder {
    fn string(&mut self, s: &str) -> (u32, u32) {
        if let Some(&r) = self.strings.get(s) {
            return r;
        }
        let buf = &mut self.sections[Section::Strings as usize];
        let r = (buf.len() as u32, s.len() as u32);
        buf.extend_from_slice(s.as_bytes());
        self.strings.insert(s.to_string(), r);
        r
    }

    fn put(&mut self, sec: Section, words: &[u64], widths: &[usize]) {
        let buf = &mut self.sections[sec as usize];
        for (w, n) in words.iter().zip(widths) {
            buf.extend_from_slice(&w.to_le_bytes()[..*n]);
        }
    }

    fn posting(&mut self, p: &RoaringBitmap) -> (u32, u32) {
        let buf = &mut self.sections[Section::Postings as usize];
        let off = buf.len();
        // Serializing into a Vec cannot fail.
        let _ = p.serialize_into(&mut *buf);
        (off as u32, (buf.len() - off) as u32)
    }
}

/// Builds the bytes of an index file for `streams`, which must be sorted
/// by key (tenant, then labels); stream ids are their positions.
pub fn write_index(day: i32, streams: &[SealedStream]) -> Vec<u8> {
    let mut b = Builder::default();
    let mut postings: BTreeMap<&str, BTreeMap<&str, RoaringBitmap>> = BTreeMap::new();
    let mut tenants: BTreeMap<&str, RoaringBitmap> = BTreeMap::new();
    for (id, s) in streams.iter().enumerate() {
        let id = id as u32;
        let tenant = b.string(&s.key.tenant);
        let labels_start = b.sections[Section::Labels as usize].len() / LABEL_REC;
        for l in s.key.labels.iter() {
            let n = b.string(&l.name);
            let v = b.string(&l.value);
            b.put(
                Section::Labels,
                &[n.0.into(), n.1.into(), v.0.into(), v.1.into()],
                &[4; 4],
            );
            postings
                .entry(&l.name)
                .or_default()
                .entry(&l.value)
                .or_default()
                .insert(id);
        }
        tenants.entry(&s.key.tenant).or_default().insert(id);
        let blocks_start = b.sections[Section::Blocks as usize].len() / BLOCK_REC;
        for m in &s.blocks {
            b.put(
                Section::Blocks,
                &[
                    m.offset,
                    m.len.into(),
                    m.entries.into(),
                    m.line_bytes.into(),
                    0,
                    m.min_ts as u64,
                    m.max_ts as u64,
                ],
                &[8, 4, 4, 4, 4, 8, 8],
            );
        }
        let min = s.blocks.iter().map(|m| m.min_ts).min().unwrap_or(0);
        let max = s.blocks.iter().map(|m| m.max_ts).max().unwrap_or(0);
        b.put(
            Section::Streams,
            &[
                tenant.0.into(),
                tenant.1.into(),
                labels_start as u64,
                s.key.labels.len() as u64,
                blocks_start as u64,
                s.blocks.len() as u64,
                min as u64,
                max as u64,
            ],
            &[4, 4, 4, 4, 4, 4, 8, 8],
        );
    }
    for (name, values) in &postings {
        let n = b.string(name);
        let values_start = b.sections[Section::Values as usize].len() / VALUE_REC;
        let mut all = RoaringBitmap::new();
        for (value, p) in values {
            let v = b.string(value);
            let pr = b.posting(p);
            all |= p;
            b.put(
                Section::Values,
                &[v.0.into(), v.1.into(), pr.0.into(), pr.1.into()],
                &[4; 4],
            );
        }
        let pr = b.posting(&all);
        b.put(
            Section::Names,
            &[
                n.0.into(),
                n.1.into(),
                values_start as u64,
                values.len() as u64,
                pr.0.into(),
                pr.1.into(),
            ],
            &[4; 6],
        );
    }
    for (tenant, p) in &tenants {
        let t = b.string(tenant);
        let pr = b.posting(p);
        b.put(
            Section::Tenants,
            &[t.0.into(), t.1.into(), pr.0.into(), pr.1.into()],
            &[4; 4],
        );
    }
    let mut out = Vec::new();
    out.extend_from_slice(&INDEX_MAGIC);
    out.extend_from_slice(&INDEX_VERSION.to_le_bytes());
    out.extend_from_slice(&day.to_le_bytes());
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    let mut toc = Vec::new();
    for sec in &b.sections {
        toc.extend_from_slice(&(out.len() as u64).to_le_bytes());
        toc.extend_from_slice(&(sec.len() as u64).to_le_bytes());
        toc.extend_from_slice(&crc32c::crc32c(sec).to_le_bytes());
        out.extend_from_slice(sec);
    }
    let toc_crc = crc32c::crc32c(&toc);
    out.extend_from_slice(&toc);
    out.extend_from_slice(&toc_crc.to_le_bytes());
    out.extend_from_slice(&INDEX_MAGIC);
    out
}

/// A sealed day's index, read through a memory map.
#[derive(Debug)]
pub struct SealedIndex {
    map: Mapped,
    sections: [(usize, usize); SECTIONS],
    /// The day the index declares.
    pub day: i32,
}

/// Reads the little-endian integer of `n` bytes at `at`.
fn le(buf: &[u8], at: usize, n: usize) -> Result<u64, CodecError> {
    let s = buf
        .get(at..at + n)
        .ok_or(CodecError::Truncated("index record"))?;
    let mut a = [0u8; 8];
    a[..n].copy_from_slice(s);
    Ok(u64::from_le_bytes(a))
}

impl SealedIndex {
    /// Maps and verifies an index file: header, footer, and the CRC of
    /// every section.
    pub fn open(path: &Path) -> Result<SealedIndex, StoreError> {
        let map = map_file(path)?;
        Self::from_map(map).map_err(|e| StoreError::corrupt(path, 0, e))
    }

    fn from_map(map: Mapped) -> Result<SealedIndex, CodecError> {
        let buf: &[u8] = &map;
        if buf.len() < HEADER_LEN + FOOTER_LEN {
            return Err(CodecError::Truncated("index file"));
        }
        let mut r = Reader::new(buf);
        if r.array::<8>("index header")? != INDEX_MAGIC {
            return Err(CodecError::Invalid("index magic"));
        }
        let version = r.u32("index header")?;
        let day = r.u32("index header")? as i32;
        if r.u32("index header")? != crc32c::crc32c(&buf[..16]) {
            return Err(CodecError::Checksum("index header"));
        }
        if version != INDEX_VERSION {
            return Err(CodecError::Version {
                what: "index file",
                found: version,
            });
        }
        let foot = buf.len() - FOOTER_LEN;
        let toc = &buf[foot..foot + SECTIONS * TOC_ENTRY];
        if buf[buf.len() - 8..] != INDEX_MAGIC {
            return Err(CodecError::Invalid("index footer magic"));
        }
        if le(buf, foot + SECTIONS * TOC_ENTRY, 4)? as u32 != crc32c::crc32c(toc) {
            return Err(CodecError::Checksum("index table of contents"));
        }
        let mut sections = [(0usize, 0usize); SECTIONS];
        for (i, s) in sections.iter_mut().enumerate() {
            let off = le(toc, i * TOC_ENTRY, 8)? as usize;
            let len = le(toc, i * TOC_ENTRY + 8, 8)? as usize;
            let crc = le(toc, i * TOC_ENTRY + 16, 4)? as u32;
            let body = off
                .checked_add(len)
                .filter(|&e| off >= HEADER_LEN && e <= foot)
                .and_then(|e| buf.get(off..e))
                .ok_or(CodecError::Invalid("index section bounds"))?;
            if crc32c::crc32c(body) != crc {
                return Err(CodecError::Checksum("index section"));
            }
            if len % REC_SIZES[i] != 0 {
                return Err(CodecError::Invalid("index section length"));
            }
            *s = (off, len);
        }
        Ok(SealedIndex { map, sections, day })
    }

    fn section(&self, s: Section) -> &[u8] {
        let (off, len) = self.sections[s as usize];
        self.map.get(off..off + len).unwrap_or(&[])
    }

    fn record(&self, s: Section, size: usize, i: usize) -> Result<&[u8], CodecError> {
        self.section(s)
            .get(i * size..(i + 1) * size)
            .ok_or(CodecError::Invalid("index record number"))
    }

    fn string(&self, rec: &[u8], at: usize) -> Result<&str, CodecError> {
        let off = le(rec, at, 4)? as usize;
        let len = le(rec, at + 4, 4)? as usize;
        let b = self
            .section(Section::Strings)
            .get(off..off + len)
            .ok_or(CodecError::Invalid("index string"))?;
        std::str::from_utf8(b).map_err(|_| CodecError::Invalid("index string"))
    }

    fn posting(&self, rec: &[u8], at: usize) -> Result<RoaringBitmap, CodecError> {
        let off = le(rec, at, 4)? as usize;
        let len = le(rec, at + 4, 4)? as usize;
        let b = self
            .section(Section::Postings)
            .get(off..off + len)
            .ok_or(CodecError::Invalid("index postings"))?;
        RoaringBitmap::deserialize_from(b).map_err(|_| CodecError::Invalid("index postings"))
    }

    /// Number of streams.
    pub fn stream_count(&self) -> u32 {
        (self.section(Section::Streams).len() / STREAM_REC) as u32
    }

    /// Tenant and labels of stream `id`.
    pub fn key(&self, id: u32) -> Result<StreamKey, CodecError> {
        let rec = self.record(Section::Streams, STREAM_REC, id as usize)?;
        let tenant = self.string(rec, 0)?.to_string();
        let start = le(rec, 8, 4)? as usize;
        let n = le(rec, 12, 4)? as usize;
        let mut v: Vec<Label> = Vec::with_capacity(n.min(64));
        for i in start..start.saturating_add(n) {
            let l = self.record(Section::Labels, LABEL_REC, i)?;
            let name = self.string(l, 0)?;
            if v.last().is_some_and(|p| p.name.as_str() >= name) {
                return Err(CodecError::Invalid("index labels order"));
            }
            v.push(Label::new(name, self.string(l, 8)?));
        }
        Ok(StreamKey {
            tenant,
            labels: Labels::from_sorted(v),
        })
    }

    fn cmp_key(&self, id: u32, key: &StreamKey) -> Result<Ordering, CodecError> {
        let rec = self.record(Section::Streams, STREAM_REC, id as usize)?;
        let ord = self.string(rec, 0)?.cmp(key.tenant.as_str());
        if ord != Ordering::Equal {
            return Ok(ord);
        }
        let start = le(rec, 8, 4)? as usize;
        let n = le(rec, 12, 4)? as usize;
        let mut want = key.labels.iter();
        for i in start..start.saturating_add(n) {
            let l = self.record(Section::Labels, LABEL_REC, i)?;
            let Some(w) = want.next() else {
                return Ok(Ordering::Greater);
            };
            let ord = self
                .string(l, 0)?
                .cmp(w.name.as_str())
                .then(self.string(l, 8)?.cmp(w.value.as_str()));
            if ord != Ordering::Equal {
                return Ok(ord);
            }
        }
        Ok(if want.next().is_some() {
            Ordering::Less
        } else {
            Ordering::Equal
        })
    }

    /// The id of `key`, by binary search over the sorted stream table.
    pub fn find(&self, key: &StreamKey) -> Result<Option<u32>, CodecError> {
        let (mut lo, mut hi) = (0u32, self.stream_count());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.cmp_key(mid, key)? {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(Some(mid)),
            }
        }
        Ok(None)
    }

    /// The blocks of stream `id`, in time order (the order key is the
    /// position).
    pub fn blocks(&self, id: u32) -> Result<Vec<BlockMeta>, CodecError> {
        let rec = self.record(Section::Streams, STREAM_REC, id as usize)?;
        let start = le(rec, 16, 4)? as usize;
        let n = le(rec, 20, 4)? as usize;
        let mut out = Vec::with_capacity(n.min(4096));
        for (k, i) in (start..start.saturating_add(n)).enumerate() {
            let b = self.record(Section::Blocks, BLOCK_REC, i)?;
            out.push(BlockMeta {
                file: 0,
                offset: le(b, 0, 8)?,
                len: le(b, 8, 4)? as u32,
                entries: le(b, 12, 4)? as u32,
                line_bytes: le(b, 16, 4)? as u32,
                min_ts: le(b, 24, 8)? as i64,
                max_ts: le(b, 32, 8)? as i64,
                order: k as u64,
            });
        }
        Ok(out)
    }

    /// Time bounds of stream `id`.
    pub fn bounds(&self, id: u32) -> Result<(i64, i64), CodecError> {
        let rec = self.record(Section::Streams, STREAM_REC, id as usize)?;
        Ok((le(rec, 24, 8)? as i64, le(rec, 32, 8)? as i64))
    }

    fn find_name(&self, name: &str) -> Result<Option<&[u8]>, CodecError> {
        let n = self.section(Section::Names).len() / NAME_REC;
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let rec = self.record(Section::Names, NAME_REC, mid)?;
            match self.string(rec, 0)?.cmp(name) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(Some(rec)),
            }
        }
        Ok(None)
    }

    fn values_of<'a>(
        &'a self,
        rec: &[u8],
    ) -> Result<impl Iterator<Item = Result<&'a [u8], CodecError>>, CodecError> {
        let start = le(rec, 8, 4)? as usize;
        let n = le(rec, 12, 4)? as usize;
        Ok((start..start.saturating_add(n))
            .map(move |i| self.record(Section::Values, VALUE_REC, i)))
    }
}

impl Postings for SealedIndex {
    fn tenant_streams(&self, tenant: &str) -> Result<RoaringBitmap, CodecError> {
        let n = self.section(Section::Tenants).len() / TENANT_REC;
        for i in 0..n {
            let rec = self.record(Section::Tenants, TENANT_REC, i)?;
            if self.string(rec, 0)? == tenant {
                return self.posting(rec, 8);
            }
        }
        Ok(RoaringBitmap::new())
    }

    fn union_where(
        &self,
        name: &str,
        keep: &mut dyn FnMut(&str) -> bool,
    ) -> Result<RoaringBitmap, CodecError> {
        let mut out = RoaringBitmap::new();
        if let Some(rec) = self.find_name(name)? {
            for v in self.values_of(rec)? {
                let v = v?;
                if keep(self.string(v, 0)?) {
                    out |= self.posting(v, 8)?;
                }
            }
        }
        Ok(out)
    }

    fn names_for(&self, streams: &RoaringBitmap) -> Result<Vec<String>, CodecError> {
        let n = self.section(Section::Names).len() / NAME_REC;
        let mut out = Vec::new();
        for i in 0..n {
            let rec = self.record(Section::Names, NAME_REC, i)?;
            if !self.posting(rec, 16)?.is_disjoint(streams) {
                out.push(self.string(rec, 0)?.to_string());
            }
        }
        Ok(out)
    }

    fn values_for(&self, name: &str, streams: &RoaringBitmap) -> Result<Vec<String>, CodecError> {
        let mut out = Vec::new();
        if let Some(rec) = self.find_name(name)? {
            for v in self.values_of(rec)? {
                let v = v?;
                if !self.posting(v, 8)?.is_disjoint(streams) {
                    out.push(self.string(v, 0)?.to_string());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MatchOp;

    fn key(tenant: &str, pairs: &[(&str, &str)]) -> StreamKey {
        StreamKey {
            tenant: tenant.into(),
            labels: Labels::from_pairs(pairs.iter().copied()),
        }
    }

    fn keys() -> Vec<StreamKey> {
        let mut v = vec![
            key("fake", &[("app", "web"), ("env", "prod")]),
            key("fake", &[("app", "web"), ("env", "dev")]),
            key("fake", &[("app", "db")]),
            key("other", &[("app", "web"), ("env", "prod")]),
            key("fake", &[("app", "api"), ("env", "prod"), ("team", "x")]),
        ];
        v.sort();
        v
    }

    fn m(n: &str, op: MatchOp, v: &str) -> Matcher {
        Matcher::new(n, op, v).unwrap()
    }

    fn selected(
        ix: &dyn Postings,
        names: &dyn Fn(u32) -> StreamKey,
        tenants: &[&str],
        ms: &[Matcher],
    ) -> Vec<String> {
        let set = select(ix, tenants, ms).unwrap();
        let mut v: Vec<String> = set
            .iter()
            .map(|id| {
                let k = names(id);
                format!("{}{}", k.tenant, k.labels)
            })
            .collect();
        v.sort();
        v
    }

    /// The same table of selections against both index kinds.
    fn check_index(ix: &dyn Postings, names: &dyn Fn(u32) -> StreamKey) {
        use MatchOp::*;
        let cases: Vec<(Vec<&str>, Vec<Matcher>, Vec<&str>)> = vec![
            (
                vec!["fake"],
                vec![m("app", Eq, "web")],
                vec![
                    r#"fake{app="web", env="dev"}"#,
                    r#"fake{app="web", env="prod"}"#,
                ],
            ),
            (
                vec!["fake", "other"],
                vec![m("app", Eq, "web"), m("env", Eq, "prod")],
                vec![
                    r#"fake{app="web", env="prod"}"#,
                    r#"other{app="web", env="prod"}"#,
                ],
            ),
            (
                vec!["fake"],
                vec![m("env", Eq, "")],
                vec![r#"fake{app="db"}"#],
            ),
            (
                vec!["fake"],
                vec![m("app", Re, "w.*|d."), m("env", Neq, "prod")],
                vec![r#"fake{app="db"}"#, r#"fake{app="web", env="dev"}"#],
            ),
            (
                vec!["fake"],
                vec![m("env", Nre, "prod|dev")],
                vec![r#"fake{app="db"}"#],
            ),
            (
                vec!["fake"],
                vec![m("team", Re, ".+")],
                vec![r#"fake{app="api", env="prod", team="x"}"#],
            ),
            (
                vec!["fake"],
                vec![m("env", Neq, "")],
                vec![
                    r#"fake{app="api", env="prod", team="x"}"#,
                    r#"fake{app="web", env="dev"}"#,
                    r#"fake{app="web", env="prod"}"#,
                ],
            ),
            (vec!["nobody"], vec![m("app", Re, ".*")], vec![]),
            (
                vec!["other"],
                vec![],
                vec![r#"other{app="web", env="prod"}"#],
            ),
        ];
        for (tenants, ms, want) in cases {
            assert_eq!(
                selected(ix, names, &tenants, &ms),
                want,
                "{ms:?} {tenants:?}"
            );
        }
        let fake = select(ix, &["fake"], &[]).unwrap();
        assert_eq!(ix.names_for(&fake).unwrap(), ["app", "env", "team"]);
        assert_eq!(ix.values_for("env", &fake).unwrap(), ["dev", "prod"]);
        let db = select(ix, &["fake"], &[m("app", Eq, "db")]).unwrap();
        assert_eq!(ix.names_for(&db).unwrap(), ["app"]);
        assert!(ix.values_for("env", &db).unwrap().is_empty());
    }

    proptest::proptest! {
        #[test]
        fn opening_random_index_files_never_panics(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().join("index.kix");
            // A valid frame around random sections: CRCs fixed up so that the
            // structure checks, not the checksums, must hold the line.
            let mut bytes = Vec::new();
            bytes.extend_from_slice(&INDEX_MAGIC);
            bytes.extend_from_slice(&INDEX_VERSION.to_le_bytes());
            bytes.extend_from_slice(&0i32.to_le_bytes());
            let crc = crc32c::crc32c(&bytes);
            bytes.extend_from_slice(&crc.to_le_bytes());
            let start = bytes.len();
            bytes.extend_from_slice(&body);
            let mut toc = Vec::new();
            let cuts: Vec<usize> = (0..=SECTIONS).map(|i| start + body.len() * i / SECTIONS).collect();
            for w in cuts.windows(2) {
                toc.extend_from_slice(&(w[0] as u64).to_le_bytes());
                toc.extend_from_slice(&((w[1] - w[0]) as u64).to_le_bytes());
                toc.extend_from_slice(&crc32c::crc32c(&bytes[w[0]..w[1]]).to_le_bytes());
            }
            let toc_crc = crc32c::crc32c(&toc);
            bytes.extend_from_slice(&toc);
            bytes.extend_from_slice(&toc_crc.to_le_bytes());
            bytes.extend_from_slice(&INDEX_MAGIC);
            std::fs::write(&path, &bytes).unwrap();
            if let Ok(ix) = SealedIndex::open(&path) {
                let all = RoaringBitmap::from_iter(0..ix.stream_count().min(64));
                for id in 0..ix.stream_count().min(64) {
                    let _ = ix.key(id).map(|k| ix.find(&k));
                    let _ = ix.blocks(id);
                    let _ = ix.bounds(id);
                }
                let _ = ix.names_for(&all);
                let _ = ix.values_for("a", &all);
                let _ = ix.tenant_streams("fake");
                let _ = ix.union_where("a", &mut |_| true);
            }
        }
    }

    #[test]
    fn mem_index_selects() {
        let mut ix = MemIndex::new();
        let ks: Vec<Arc<StreamKey>> = keys().into_iter().map(Arc::new).collect();
        for k in &ks {
            ix.get_or_insert(k);
        }
        assert_eq!(ix.get_or_insert(&ks[0]), 0);
        assert_eq!(ix.find(&ks[2]), Some(2));
        check_index(&ix, &|id| (*ks[id as usize]).clone());
    }

    #[test]
    fn sealed_index_round_trips_and_selects() {
        let ks = keys();
        let streams: Vec<SealedStream> = ks
            .iter()
            .enumerate()
            .map(|(i, k)| SealedStream {
                key: k.clone(),
                blocks: vec![BlockMeta {
                    file: 0,
                    offset: 100 * i as u64,
                    len: 50,
                    min_ts: i as i64,
                    max_ts: 10 + i as i64,
                    entries: 3,
                    line_bytes: 30,
                    order: 0,
                }],
            })
            .collect();
        let bytes = write_index(7, &streams);
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("index.kix");
        std::fs::write(&path, &bytes).unwrap();
        let ix = SealedIndex::open(&path).unwrap();
        assert_eq!((ix.day, ix.stream_count()), (7, 5));
        for (i, k) in ks.iter().enumerate() {
            assert_eq!(ix.key(i as u32).unwrap(), *k);
            assert_eq!(ix.find(k).unwrap(), Some(i as u32));
            assert_eq!(ix.blocks(i as u32).unwrap()[0].offset, 100 * i as u64);
        }
        assert_eq!(ix.find(&key("fake", &[("app", "zzz")])).unwrap(), None);
        assert_eq!(ix.find(&key("fake", &[("app", "web")])).unwrap(), None);
        check_index(&ix, &|id| ix.key(id).unwrap());
        // Every flipped byte is caught when opening.
        for i in (0..bytes.len()).step_by(7) {
            let mut bad = bytes.clone();
            bad[i] ^= 0x04;
            std::fs::write(&path, &bad).unwrap();
            assert!(SealedIndex::open(&path).is_err(), "byte {i}");
        }
    }
}

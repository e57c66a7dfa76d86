//! The JSON field summaries of one day's streams (see [`FieldSummary`]),
//! kept in memory while the process runs and saved to the day's
//! `fields.kfs` file (layout in `storage-format.md`) on flush, shutdown
//! and seal.
//!
//! A summary must describe every line of its stream in the day, so one is
//! only started for a stream new to the day, grows with every append, and
//! is dropped when an append brings a line that cannot be summarised, when
//! WAL replay brings lines back (they were never summarised), or when the
//! day's budget is spent; a seal makes it again from the day's lines when
//! nothing can be missing from it. A stream without a summary is simply
//! read. The file records, per stream, the highest order key (a WAL
//! sequence) of its chunk-file blocks, and the day's sealed generation: a
//! summary is loaded only when both still match, that is when no data
//! reached the day's files after it was saved.

use std::collections::HashMap;
use std::sync::Arc;

use super::error::CodecError;
use super::field_summary::FieldSummary;
use super::key::StreamKey;
use super::varint::{put_bytes, put_uvarint, Reader};
use crate::model::Labels;

/// The day file holding the summaries.
pub const FIELDS_FILE: &str = "fields.kfs";
/// Magic bytes opening the file.
const MAGIC: &[u8; 8] = b"KNDLFLDS";
/// Format version.
const VERSION: u32 = 1;
/// Memory the summaries of one day may take; streams beyond it are read.
const DAY_BUDGET: usize = 1 << 20;
/// Largest decompressed file accepted.
const MAX_FILE_BODY: usize = 64 << 20;
/// Most labels a stream key in the file may have.
const MAX_LABELS: usize = 64;

/// The summaries of one day's streams.
#[derive(Debug, Default)]
pub struct DayFields {
    streams: HashMap<Arc<StreamKey>, FieldSummary, foldhash::fast::RandomState>,
    /// Memory held by the summaries.
    bytes: usize,
    /// Changed since the last save.
    dirty: bool,
}

/// What a day holds of one stream, for a reader of field summaries.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamFields {
    /// No data of the stream.
    NoData,
    /// Data, all of it described by this summary.
    Summary(FieldSummary),
    /// Data without a summary.
    Unknown,
}

/// What the file records about where the day's data stood when it was
/// saved: the sealed generation, and per stream a WAL sequence.
pub trait Stamps {
    /// The sealed generation's number (0: none).
    fn generation(&self) -> u64;
    /// The highest order key of `key`'s chunk-file blocks in the day.
    fn stream(&self, key: &StreamKey) -> u64;
}

impl DayFields {
    /// Starts the summary of a stream new to the day (no lines yet).
    pub fn start(&mut self, key: &Arc<StreamKey>) {
        let empty = FieldSummary::default();
        if self.bytes + empty.memory() > DAY_BUDGET || self.streams.contains_key(&**key) {
            return;
        }
        self.bytes += empty.memory();
        self.streams.insert(Arc::clone(key), empty);
        self.dirty = true;
    }

    /// Sets the summary of a stream that has none, made from all of its
    /// lines in the day (within the budget).
    pub fn install(&mut self, key: Arc<StreamKey>, summary: FieldSummary) {
        if self.streams.contains_key(&*key) || self.bytes + summary.memory() > DAY_BUDGET {
            return;
        }
        self.bytes += summary.memory();
        self.streams.insert(key, summary);
        self.dirty = true;
    }

    /// Adds lines of `key` to its summary; `None` (lines that cannot be
    /// summarised) drops the summary.
    pub fn add(&mut self, key: &StreamKey, lines: Option<&FieldSummary>) {
        let Some(s) = self.streams.get_mut(key) else {
            return;
        };
        self.dirty = true;
        let before = s.memory();
        let merged = lines.is_some_and(|l| s.merge(l));
        let after = s.memory();
        self.bytes = (self.bytes + after).saturating_sub(before);
        if !merged || self.bytes > DAY_BUDGET {
            self.forget(key);
        }
    }

    /// Drops the summary of `key`: its lines are read from now on.
    pub fn forget(&mut self, key: &StreamKey) {
        if let Some(s) = self.streams.remove(key) {
            self.bytes = self.bytes.saturating_sub(s.memory());
            self.dirty = true;
        }
    }

    /// The summary of every line `key` has in the day, if there is one.
    pub fn get(&self, key: &StreamKey) -> Option<&FieldSummary> {
        self.streams.get(key)
    }

    /// Whether no stream has a summary.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Whether the summaries changed since they were last saved (or
    /// loaded).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Marks the summaries saved.
    pub fn saved(&mut self) {
        self.dirty = false;
    }

    /// Marks the summaries as needing a save (the stamps changed).
    pub fn touch(&mut self) {
        self.dirty = true;
    }

    /// The file contents for the current summaries.
    pub fn encode(&self, stamps: &dyn Stamps) -> Vec<u8> {
        let mut body = Vec::new();
        put_uvarint(&mut body, stamps.generation());
        put_uvarint(&mut body, self.streams.len() as u64);
        let mut summary = Vec::new();
        for (key, s) in &self.streams {
            put_bytes(&mut body, key.tenant.as_bytes());
            put_uvarint(&mut body, key.labels.len() as u64);
            for l in key.labels.iter() {
                put_bytes(&mut body, l.name.as_bytes());
                put_bytes(&mut body, l.value.as_bytes());
            }
            put_uvarint(&mut body, stamps.stream(key));
            summary.clear();
            s.encode(&mut summary);
            put_bytes(&mut body, &summary);
        }
        // Keys repeat from stream to stream: zstd takes them to little.
        let packed = zstd::bulk::Compressor::new(3)
            .and_then(|mut c| {
                c.include_contentsize(false)?;
                c.compress(&body)
            })
            .unwrap_or_default();
        let mut out = Vec::with_capacity(packed.len() + 20);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&crc32c::crc32c(&packed).to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&packed);
        out
    }

    /// Checks a file written by [`Self::encode`] (checksum and layout).
    pub fn verify(raw: &[u8]) -> Result<(), CodecError> {
        /// Stamps no saved summary matches.
        struct Nothing;
        impl Stamps for Nothing {
            fn generation(&self) -> u64 {
                u64::MAX
            }
            fn stream(&self, _: &StreamKey) -> u64 {
                u64::MAX
            }
        }
        Self::decode(raw, &Nothing).map(|_| ())
    }

    /// Reads a file written by [`Self::encode`], keeping the summaries
    /// whose stamps still match `stamps`.
    pub fn decode(raw: &[u8], stamps: &dyn Stamps) -> Result<DayFields, CodecError> {
        const WHAT: &str = "field summaries file";
        let mut r = Reader::new(raw);
        if r.bytes(MAGIC.len(), WHAT)? != MAGIC {
            return Err(CodecError::Invalid(WHAT));
        }
        let version = r.u32(WHAT)?;
        if version != VERSION {
            return Err(CodecError::Version {
                what: WHAT,
                found: version,
            });
        }
        let crc = r.u32(WHAT)?;
        let len = r.u32(WHAT)? as usize;
        let packed = r.rest();
        if crc32c::crc32c(packed) != crc {
            return Err(CodecError::Checksum(WHAT));
        }
        if len > MAX_FILE_BODY {
            return Err(CodecError::Invalid(WHAT));
        }
        let body = zstd::bulk::decompress(packed, len).map_err(|_| CodecError::Decompress(WHAT))?;
        if body.len() != len {
            return Err(CodecError::Invalid(WHAT));
        }
        let mut r = Reader::new(&body);
        let mut out = DayFields::default();
        let current = r.uvarint(WHAT)? == stamps.generation();
        let n = r.len(body.len(), WHAT)?;
        for _ in 0..n {
            let tenant = r.str(WHAT)?.to_string();
            let count = r.len(MAX_LABELS, WHAT)?;
            let mut pairs = Vec::with_capacity(count);
            for _ in 0..count {
                pairs.push((r.str(WHAT)?.to_string(), r.str(WHAT)?.to_string()));
            }
            let labels = Labels::from_pairs(pairs);
            if labels.len() != count {
                return Err(CodecError::Invalid(WHAT));
            }
            let stamp = r.uvarint(WHAT)?;
            let summary = FieldSummary::decode(r.len_bytes(WHAT)?)?;
            let key = StreamKey { tenant, labels };
            if current && stamp == stamps.stream(&key) && out.bytes + summary.memory() <= DAY_BUDGET
            {
                out.bytes += summary.memory();
                out.streams.insert(Arc::new(key), summary);
            }
        }
        if !r.is_empty() {
            return Err(CodecError::Invalid(WHAT));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::field_summary::FieldSummaryBuilder;

    struct Fixed(u64, u64);

    impl Stamps for Fixed {
        fn generation(&self) -> u64 {
            self.0
        }
        fn stream(&self, key: &StreamKey) -> u64 {
            self.1 + key.labels.len() as u64
        }
    }

    fn key(app: &str) -> Arc<StreamKey> {
        Arc::new(StreamKey {
            tenant: "fake".into(),
            labels: Labels::from_pairs([("app", app), ("job", "x")]),
        })
    }

    fn summary(lines: &[&str]) -> Option<FieldSummary> {
        let mut b = FieldSummaryBuilder::new();
        for l in lines {
            b.add_line(l, &|_| false);
        }
        b.finish()
    }

    #[test]
    fn only_streams_started_in_the_day_are_summarised() {
        let mut d = DayFields::default();
        let (a, b) = (key("a"), key("b"));
        d.start(&a);
        d.add(&a, summary(&[r#"{"s":1}"#]).as_ref());
        d.add(&b, summary(&[r#"{"s":2}"#]).as_ref());
        d.add(&a, summary(&[r#"{"s":3}"#]).as_ref());
        assert_eq!(d.get(&a).map(FieldSummary::lines), Some(2));
        assert!(d.get(&b).is_none());
        d.start(&a);
        assert_eq!(
            d.get(&a).map(FieldSummary::lines),
            Some(2),
            "start keeps lines"
        );
        d.add(&a, None);
        assert!(d.get(&a).is_none(), "a line without summary drops it");
        d.add(&a, summary(&[r#"{"s":3}"#]).as_ref());
        assert!(d.get(&a).is_none(), "for good");
    }

    #[test]
    fn files_round_trip_and_stale_stamps_drop_summaries() {
        let mut d = DayFields::default();
        let (a, b) = (key("a"), key("b"));
        for k in [&a, &b] {
            d.start(k);
            d.add(k, summary(&[r#"{"s":1,"t":"x"}"#]).as_ref());
        }
        let raw = d.encode(&Fixed(3, 10));
        let back = DayFields::decode(&raw, &Fixed(3, 10)).expect("decode");
        assert_eq!(back.get(&a), d.get(&a));
        assert_eq!(back.get(&b), d.get(&b));
        assert!(!back.is_dirty());
        let stale = DayFields::decode(&raw, &Fixed(3, 11)).expect("decode");
        assert!(stale.get(&a).is_none());
        let resealed = DayFields::decode(&raw, &Fixed(4, 10)).expect("decode");
        assert!(resealed.get(&b).is_none());
    }

    #[test]
    fn damaged_files_are_refused() {
        let mut d = DayFields::default();
        let a = key("a");
        d.start(&a);
        d.add(&a, summary(&[r#"{"s":1}"#]).as_ref());
        let raw = d.encode(&Fixed(0, 1));
        assert_eq!(DayFields::verify(&raw), Ok(()));
        for cut in 0..raw.len() {
            assert!(
                DayFields::decode(&raw[..cut], &Fixed(0, 1)).is_err(),
                "cut {cut}"
            );
        }
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x40;
            assert!(DayFields::decode(&bad, &Fixed(0, 1)).is_err(), "flip {i}");
            assert!(DayFields::verify(&bad).is_err(), "flip {i}");
        }
    }

    #[test]
    fn the_budget_bounds_the_streams_summarised() {
        let mut d = DayFields::default();
        let n = 30_000;
        for i in 0..n {
            d.start(&key(&i.to_string()));
        }
        assert!(d.streams.len() < n, "some streams were left out");
        assert!(d.bytes <= DAY_BUDGET);
    }
}

//! The body of one WAL record: the entries one `append` call accepted for
//! one tenant, grouped by stream. A stream table (labels and entry counts)
//! is followed by a single block (see `block.rs`) holding every entry in
//! table order, so the record compresses as one unit and reuses the chunk
//! codec. Layout in `storage-format.md` ("WAL record").

use super::batch::{EncodedBatch, EntryBatch};
use super::block::{BlockDecoder, BlockEncoder, Profile};
use super::error::CodecError;
use super::varint::{put_bytes, put_uvarint, Reader};
use crate::model::{Label, Labels};

/// Largest stream table accepted when decoding (64 MiB).
const MAX_TABLE: usize = 64 << 20;

/// A decoded WAL record.
#[derive(Debug, Default)]
pub struct WalRecord {
    /// The tenant the entries belong to.
    pub tenant: String,
    /// Each stream's labels and how many consecutive entries of `entries`
    /// are its own.
    pub streams: Vec<(Labels, u32)>,
    /// All entries, stream by stream, in push order.
    pub entries: EntryBatch,
}

/// Encodes record bodies, reusing buffers and compression contexts.
pub struct RecordEncoder {
    block: BlockEncoder,
    table: Vec<u8>,
    stored: Vec<u8>,
    order: Vec<u32>,
}

impl Default for RecordEncoder {
    fn default() -> Self {
        RecordEncoder {
            block: BlockEncoder::for_wal(),
            table: Vec::new(),
            stored: Vec::new(),
            order: Vec::new(),
        }
    }
}

impl RecordEncoder {
    /// A new encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the record body for `tenant`, `streams` (labels, entry count)
    /// and `entries` to `out`.
    pub fn encode(
        &mut self,
        tenant: &str,
        streams: &[(&Labels, u32)],
        entries: &EncodedBatch,
        out: &mut Vec<u8>,
    ) {
        put_bytes(out, tenant.as_bytes());
        self.table.clear();
        put_uvarint(&mut self.table, streams.len() as u64);
        for (labels, n) in streams {
            put_uvarint(&mut self.table, labels.len() as u64);
            for l in labels.iter() {
                put_bytes(&mut self.table, l.name.as_bytes());
                put_bytes(&mut self.table, l.value.as_bytes());
            }
            put_uvarint(&mut self.table, u64::from(*n));
        }
        self.stored.clear();
        let (codec, _) = self
            .block
            .packer()
            .pack(&self.table, Profile::FastText, &mut self.stored);
        out.push(codec);
        put_uvarint(out, self.table.len() as u64);
        put_bytes(out, &self.stored);
        self.order.clear();
        self.order.extend(0..entries.len() as u32);
        self.block.encode(entries, &self.order, false, out);
    }
}

/// Decodes record bodies, reusing buffers and decompression contexts.
#[derive(Default)]
pub struct RecordDecoder {
    block: BlockDecoder,
    table: Vec<u8>,
}

impl RecordDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `body` into `rec` (replacing its contents).
    pub fn decode(&mut self, body: &[u8], rec: &mut WalRecord) -> Result<(), CodecError> {
        let mut r = Reader::new(body);
        rec.tenant.clear();
        rec.tenant.push_str(r.str("record tenant")?);
        let codec = r.u8("record stream table")?;
        let raw_len = r.len(MAX_TABLE, "record stream table")?;
        let stored = r.len_bytes("record stream table")?;
        self.block.unpacker().unpack(
            codec,
            stored,
            raw_len,
            &mut self.table,
            "record stream table",
        )?;
        let table: &[u8] = &self.table;
        rec.streams.clear();
        let mut t = Reader::new(table);
        let n = t.len(table.len(), "record stream count")?;
        let mut total: u64 = 0;
        for _ in 0..n {
            let nl = t.len(t.remaining(), "record labels")?;
            let mut v = Vec::with_capacity(nl);
            for _ in 0..nl {
                let name = t.str("label name")?;
                let value = t.str("label value")?;
                v.push(Label::new(name, value));
            }
            let sorted = v.windows(2).all(|w| w[0].name < w[1].name);
            if !sorted {
                return Err(CodecError::Invalid("record labels order"));
            }
            let count = t.len(u32::MAX as usize, "record entry count")? as u32;
            total += u64::from(count);
            rec.streams.push((Labels::from_sorted(v), count));
        }
        if !t.is_empty() {
            return Err(CodecError::Invalid("record stream table"));
        }
        let h = self.block.decode(r.rest(), &mut rec.entries)?;
        if u64::from(h.entries) != total || h.total_len != r.remaining() {
            return Err(CodecError::Invalid("record entry count"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::linecodec::LineEncoder;
    use proptest::prelude::*;

    #[test]
    fn record_round_trip() {
        let a = Labels::from_pairs([("app", "web"), ("env", "prod")]);
        let b = Labels::from_pairs([("app", "db")]);
        let mut enc = LineEncoder::new();
        let mut entries = EncodedBatch::new();
        entries.push(&mut enc, 3, "web 1", []);
        entries.push(&mut enc, 1, "web 0", [("trace_id", "x")]);
        entries.push(&mut enc, 2, "db", []);
        let mut out = Vec::new();
        RecordEncoder::new().encode("fake", &[(&a, 2), (&b, 1)], &entries, &mut out);
        let mut rec = WalRecord::default();
        RecordDecoder::new().decode(&out, &mut rec).unwrap();
        assert_eq!(rec.tenant, "fake");
        assert_eq!(rec.streams, vec![(a, 2), (b, 1)]);
        assert_eq!(rec.entries.len(), 3);
        assert_eq!((rec.entries.ts(0), rec.entries.line(1)), (3, "web 0"));
        assert_eq!(
            rec.entries.metadata(1).collect::<Vec<_>>(),
            [("trace_id", "x")]
        );
    }

    #[test]
    fn large_tables_are_compressed() {
        let streams: Vec<Labels> = (0..50)
            .map(|i| Labels::from_pairs([("job", "traefik-access"), ("n", &i.to_string()[..])]))
            .collect();
        let refs: Vec<(&Labels, u32)> = streams.iter().map(|l| (l, 0)).collect();
        let mut out = Vec::new();
        RecordEncoder::new().encode("t", &refs, &EncodedBatch::new(), &mut out);
        assert_eq!(out[2], 3, "LZ4 codec");
        let mut rec = WalRecord::default();
        RecordDecoder::new().decode(&out, &mut rec).unwrap();
        assert_eq!(rec.streams.len(), 50);
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = RecordDecoder::new().decode(&body, &mut WalRecord::default());
        }

        #[test]
        fn records_round_trip(streams in proptest::collection::vec(
            (proptest::collection::btree_map("[a-z]{1,5}", "[a-z0-9]{0,5}", 0..4),
             proptest::collection::vec((any::<i64>(), "[ -~]{0,30}"), 0..5)), 0..5)) {
            let labels: Vec<Labels> = streams.iter().map(|(m, _)| Labels::from_pairs(m.clone())).collect();
            let mut entries = EncodedBatch::new();
            let mut plain = EntryBatch::new();
            let mut enc = LineEncoder::new();
            let mut table = Vec::new();
            for (l, (_, es)) in labels.iter().zip(&streams) {
                for (t, line) in es {
                    entries.push(&mut enc, *t, line, []);
                    plain.push(*t, line, []);
                }
                table.push((l, es.len() as u32));
            }
            let mut out = Vec::new();
            RecordEncoder::new().encode("tenant", &table, &entries, &mut out);
            let mut rec = WalRecord::default();
            RecordDecoder::new().decode(&out, &mut rec).unwrap();
            let want: Vec<(Labels, u32)> = table.iter().map(|(l, n)| ((*l).clone(), *n)).collect();
            prop_assert_eq!(rec.streams, want);
            prop_assert_eq!(rec.entries.len(), plain.len());
            for i in 0..plain.len() {
                prop_assert_eq!(rec.entries.ts(i), plain.ts(i));
                prop_assert_eq!(rec.entries.line(i), plain.line(i));
            }
        }
    }
}

//! A direct decoder of `PushRequest` wire bytes into [`RawStream`]s.
//!
//! It reads the same schema as the prost messages in [`super::proto`] but
//! builds the internal batch in one pass, without the intermediate message
//! structs: lines and metadata borrow from the wire bytes (no allocation per
//! line), each stream's entry vector is sized exactly. Unknown fields are skipped; a known field with
//! the wrong wire type, a truncated field or a bad varint is an error, as in
//! Go's decoder. Text is repaired with U+FFFD where it is not UTF-8.

use std::borrow::Cow;

use super::decode::{RawEntry, RawLabel, RawMetadata, RawStream};

const VARINT: u64 = 0;
const FIXED64: u64 = 1;
const LEN: u64 = 2;
const START_GROUP: u64 = 3;
const END_GROUP: u64 = 4;
const FIXED32: u64 = 5;

/// Nesting limit for skipped groups.
const MAX_GROUP_DEPTH: usize = 64;

type Result<T> = std::result::Result<T, String>;

fn eof() -> String {
    "proto: unexpected EOF".to_string()
}

/// A cursor over one message's bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// A varint; inlined for the one-byte case (keys, short lengths).
    #[inline]
    fn varint(&mut self) -> Result<u64> {
        match self.buf.get(self.pos) {
            Some(&b) if b < 0x80 => {
                self.pos += 1;
                Ok(u64::from(b))
            }
            Some(_) => self.long_varint(),
            None => Err(eof()),
        }
    }

    /// A varint of two to ten bytes (timestamps, line lengths).
    fn long_varint(&mut self) -> Result<u64> {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        let mut value: u64 = 0;
        for (k, &b) in rest.iter().take(10).enumerate() {
            if k == 9 && b > 1 {
                return Err("proto: integer overflow".to_string());
            }
            value |= u64::from(b & 0x7f) << (7 * k);
            if b < 0x80 {
                self.pos += k + 1;
                return Ok(value);
            }
        }
        if rest.len() < 10 {
            return Err(eof());
        }
        Err("proto: integer overflow".to_string())
    }

    /// A field key: (field number, wire type).
    fn key(&mut self) -> Result<(u64, u64)> {
        let key = self.varint()?;
        // Keys are 32-bit: field numbers stop at 2^29 - 1 (Go and prost agree).
        if key > u64::from(u32::MAX) {
            return Err(format!("proto: invalid key value {key}"));
        }
        let field = key >> 3;
        if field == 0 {
            return Err(format!("proto: illegal tag 0 (wire type {})", key & 7));
        }
        Ok((field, key & 7))
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let len = usize::try_from(self.varint()?).map_err(|_| eof())?;
        let end = self.pos.checked_add(len).ok_or_else(eof)?;
        let out = self.buf.get(self.pos..end).ok_or_else(eof)?;
        self.pos = end;
        Ok(out)
    }

    fn advance(&mut self, n: usize) -> Result<()> {
        let end = self.pos.checked_add(n).ok_or_else(eof)?;
        if end > self.buf.len() {
            return Err(eof());
        }
        self.pos = end;
        Ok(())
    }

    /// Skips a field of wire type `wire` (its key already read).
    fn skip(&mut self, field: u64, wire: u64, depth: usize) -> Result<()> {
        match wire {
            VARINT => self.varint().map(drop),
            FIXED64 => self.advance(8),
            LEN => self.bytes().map(drop),
            FIXED32 => self.advance(4),
            START_GROUP => {
                if depth >= MAX_GROUP_DEPTH {
                    return Err("proto: groups nested too deeply".to_string());
                }
                loop {
                    let (f, w) = self.key()?;
                    if w == END_GROUP {
                        if f != field {
                            return Err("proto: mismatched end group".to_string());
                        }
                        return Ok(());
                    }
                    self.skip(f, w, depth + 1)?;
                }
            }
            END_GROUP => Err("proto: unexpected end group".to_string()),
            w => Err(format!("proto: illegal wireType {w}")),
        }
    }
}

fn expect(wire: u64, want: u64, name: &str) -> Result<()> {
    if wire == want {
        Ok(())
    } else {
        Err(format!("proto: wrong wireType = {wire} for field {name}"))
    }
}

/// Text from the wire, borrowed, or repaired when it is not UTF-8.
/// (Validation with SIMD goes first: it is several times faster than the
/// chunk walk of `from_utf8_lossy`, and runs less than half the
/// instructions of `std::str::from_utf8` on log lines.)
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Decodes a `PushRequest` (already snappy-decoded) into raw streams that
/// borrow from `buf`.
pub fn decode_push_request(buf: &[u8]) -> Result<Vec<RawStream<'_>>> {
    let mut r = Reader::new(buf);
    let mut streams = Vec::new();
    while !r.done() {
        match r.key()? {
            (1, w) => {
                expect(w, LEN, "Streams")?;
                streams.push(stream(r.bytes()?)?);
            }
            (2, w) => {
                expect(w, LEN, "Format")?;
                r.bytes()?;
            }
            (f, w) => r.skip(f, w, 0)?,
        }
    }
    Ok(streams)
}

fn stream(buf: &[u8]) -> Result<RawStream<'_>> {
    let mut labels = Cow::Borrowed("");
    // Grown as entries come: counting them first walked the message twice.
    let mut entries = Vec::new();
    let mut r = Reader::new(buf);
    while !r.done() {
        match r.key()? {
            (1, w) => {
                expect(w, LEN, "Labels")?;
                labels = text(r.bytes()?);
            }
            (2, w) => {
                expect(w, LEN, "Entries")?;
                let bytes = r.bytes()?;
                if entries.is_empty() {
                    entries.reserve_exact(entries_like(bytes.len(), buf.len()));
                }
                // Grown outside the allocator's lock (see `grow`) if the
                // first entry misled the estimate.
                crate::grow::reserve(&mut entries, 1);
                entries.push(entry(bytes)?);
            }
            (3, w) => {
                expect(w, VARINT, "Hash")?;
                r.varint()?;
            }
            (f, w) => r.skip(f, w, 0)?,
        }
    }
    Ok(RawStream { labels, entries })
}

/// How many entries a stream message of `stream_len` bytes probably holds
/// when its first entry takes `first_len` bytes: a stream's entries are
/// alike, and sizing the vector once saves the dozen allocations and
/// copies of growing it (per stream and push). Capped so that the vector
/// never takes more memory than the message itself.
fn entries_like(first_len: usize, stream_len: usize) -> usize {
    // The entry's key and length prefix take at least two bytes.
    let guess = stream_len / (first_len + 2) + 1;
    guess.min(stream_len / std::mem::size_of::<RawEntry>() + 1)
}

fn entry(buf: &[u8]) -> Result<RawEntry<'_>> {
    let mut seconds: i64 = 0;
    let mut nanos: i32 = 0;
    let mut line: &[u8] = &[];
    let mut metadata = RawMetadata::None;
    let mut r = Reader::new(buf);
    while !r.done() {
        match r.key()? {
            (1, w) => {
                expect(w, LEN, "Timestamp")?;
                let mut t = Reader::new(r.bytes()?);
                while !t.done() {
                    match t.key()? {
                        (1, w) => {
                            expect(w, VARINT, "Seconds")?;
                            seconds = t.varint()? as i64;
                        }
                        (2, w) => {
                            expect(w, VARINT, "Nanos")?;
                            nanos = t.varint()? as i64 as i32;
                        }
                        (f, w) => t.skip(f, w, 0)?,
                    }
                }
            }
            (2, w) => {
                expect(w, LEN, "Line")?;
                line = r.bytes()?;
            }
            (3, w) => {
                expect(w, LEN, "StructuredMetadata")?;
                metadata.push(label_pair(r.bytes()?)?);
            }
            (4, w) => {
                expect(w, LEN, "Parsed")?;
                r.bytes()?;
            }
            (f, w) => r.skip(f, w, 0)?,
        }
    }
    let ts = super::proto::Timestamp { seconds, nanos }.to_nanos()?;
    Ok(RawEntry::new(ts, text(line), metadata))
}

fn label_pair(buf: &[u8]) -> Result<RawLabel<'_>> {
    let mut name: &[u8] = &[];
    let mut value: &[u8] = &[];
    let mut r = Reader::new(buf);
    while !r.done() {
        match r.key()? {
            (1, w) => {
                expect(w, LEN, "Name")?;
                name = r.bytes()?;
            }
            (2, w) => {
                expect(w, LEN, "Value")?;
                value = r.bytes()?;
            }
            (f, w) => r.skip(f, w, 0)?,
        }
    }
    Ok(RawLabel::new(text(name), text(value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::proto::{
        EntryAdapter, LabelPairAdapter, PushRequest, StreamAdapter, Timestamp,
    };
    use proptest::prelude::*;
    use prost::Message;

    /// The reference path: prost's decoding, then conversion.
    fn via_prost(buf: &[u8]) -> std::result::Result<Vec<RawStream<'static>>, ()> {
        let owned = |b: &[u8]| Cow::Owned(text(b).into_owned());
        let req = PushRequest::decode(buf).map_err(drop)?;
        let mut out = Vec::new();
        for s in req.streams {
            let mut entries = Vec::new();
            for e in s.entries {
                let t = e.timestamp.unwrap_or(Timestamp {
                    seconds: 0,
                    nanos: 0,
                });
                entries.push(RawEntry::new(
                    t.to_nanos().map_err(drop)?,
                    owned(&e.line),
                    e.structured_metadata
                        .iter()
                        .map(|p| RawLabel::new(owned(&p.name), owned(&p.value)))
                        .collect(),
                ));
            }
            out.push(RawStream {
                labels: owned(&s.labels),
                entries,
            });
        }
        Ok(out)
    }

    /// A length-delimited field with a one-byte key and length.
    fn field(key: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![key, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn field_numbers_match_loki() {
        // Wire bytes assembled by hand from the field numbers of push.proto.
        let metadata = [field(0x0a, b"k"), field(0x12, b"v")].concat();
        let timestamp = [0x08, 0x05, 0x10, 0x07]; // seconds = 5, nanos = 7
        let entry = [
            field(0x0a, &timestamp),
            field(0x12, b"hi"),
            field(0x1a, &metadata),
            field(0x22, &metadata), // parsed: ignored
        ]
        .concat();
        let stream = [
            field(0x0a, br#"{a="b"}"#),
            field(0x12, &entry),
            vec![0x18, 0x2a],
        ]
        .concat();
        let wire = [field(0x0a, &stream), field(0x12, b"loki")].concat();
        let streams = decode_push_request(&wire).expect("decodes");
        assert_eq!(
            streams,
            vec![RawStream {
                labels: r#"{a="b"}"#.into(),
                entries: vec![RawEntry::new(
                    5_000_000_007,
                    "hi",
                    vec![RawLabel::new("k", "v")].into()
                )],
            }]
        );
    }

    #[test]
    fn malformed_wire_is_an_error() {
        let table: &[&[u8]] = &[
            &[0x0a, 0x05, 0x01], // truncated stream
            &[0x08, 0x01],       // streams as a varint
            &[0x00],             // tag 0
            &[0x0a],             // missing length
            &[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ], // overlong varint
            &[0x1c],             // unexpected end group
        ];
        for bytes in table {
            assert!(decode_push_request(bytes).is_err(), "{bytes:?}");
        }
        let bad_nanos = field(
            0x0a,
            &field(0x12, &field(0x0a, &[0x10, 0x7f, 0xff, 0xff, 0xff, 0x0f])),
        );
        assert!(decode_push_request(&bad_nanos).is_err());
        assert_eq!(decode_push_request(&[]), Ok(vec![]));
        // Unknown fields of every wire type are skipped.
        let unknown = [
            0x48, 0x01, 0x51, 0, 0, 0, 0, 0, 0, 0, 0, 0x5d, 0, 0, 0, 0, 0x63, 0x08, 0x01, 0x64,
        ];
        assert_eq!(decode_push_request(&unknown), Ok(vec![]));
    }

    #[test]
    fn invalid_utf8_is_repaired_not_refused() {
        let entry = [
            field(0x12, b"ok\xff!"),
            field(0x1a, &field(0x12, b"a\xffb")),
        ]
        .concat();
        let wire = field(0x0a, &field(0x12, &entry));
        let streams = decode_push_request(&wire).expect("decodes");
        let e = &streams[0].entries[0];
        assert_eq!(e.line, "ok\u{FFFD}!");
        assert_eq!(e.metadata, vec![RawLabel::new("", "a\u{FFFD}b")]);
    }

    fn pair() -> impl Strategy<Value = LabelPairAdapter> {
        (any::<Vec<u8>>(), any::<Vec<u8>>())
            .prop_map(|(name, value)| LabelPairAdapter { name, value })
    }

    fn request() -> impl Strategy<Value = PushRequest> {
        let entry = (
            proptest::option::of((any::<i64>(), 0..1_000_000_000i32)),
            any::<Vec<u8>>(),
            proptest::collection::vec(pair(), 0..3),
            proptest::collection::vec(pair(), 0..2),
        )
            .prop_map(|(ts, line, md, parsed)| EntryAdapter {
                timestamp: ts.map(|(s, n)| Timestamp {
                    seconds: s / 1_000_000_000,
                    nanos: n,
                }),
                line,
                structured_metadata: md,
                parsed,
            });
        let stream = (
            any::<Vec<u8>>(),
            proptest::collection::vec(entry, 0..4),
            any::<u64>(),
        )
            .prop_map(|(labels, entries, hash)| StreamAdapter {
                labels,
                entries,
                hash,
            });
        (proptest::collection::vec(stream, 0..4), any::<Vec<u8>>())
            .prop_map(|(streams, format)| PushRequest { streams, format })
    }

    #[test]
    fn varints_of_every_length_and_their_errors() {
        let read = |bytes: &[u8]| {
            let mut r = Reader::new(bytes);
            r.varint().map(|v| (v, r.pos))
        };
        assert_eq!(read(&[0x05, 0xff]), Ok((5, 1)));
        assert_eq!(read(&[0x96, 0x01]), Ok((150, 2)));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(read(&max), Ok((u64::MAX, 10)));
        let mut too_big = max;
        too_big[9] = 0x02;
        assert_eq!(read(&too_big), Err("proto: integer overflow".to_string()));
        assert_eq!(
            read(&[0xff; 11]),
            Err("proto: integer overflow".to_string())
        );
        assert_eq!(read(&[0x96]), Err(eof()));
        assert_eq!(read(&[]), Err(eof()));
    }

    #[test]
    fn entry_estimate_follows_the_first_entry_within_the_message_size() {
        // 1000 entries of 300 bytes (plus 2 of prefix each).
        assert_eq!(entries_like(300, 302_000), 1001);
        // A tiny first entry does not reserve more than the message's size.
        let size = std::mem::size_of::<RawEntry>();
        for (first, len) in [(0, 1_000_000), (1, 80), (5, 4096), (10, 0)] {
            assert!(
                entries_like(first, len) * size <= len + size,
                "{first} {len}"
            );
        }
    }

    proptest! {
        #[test]
        fn agrees_with_prost(req in request()) {
            let bytes = req.encode_to_vec();
            let ours = decode_push_request(&bytes).map_err(TestCaseError::fail)?;
            prop_assert_eq!(Ok(ours), via_prost(&bytes));
        }

        #[test]
        fn keys_beyond_32_bits_are_refused_like_prost(tail in any::<Vec<u8>>()) {
            // Key 2^32 (a varint of five bytes), then anything.
            let mut bytes = vec![0x80, 0x80, 0x80, 0x80, 0x10];
            bytes.extend(tail);
            prop_assert!(decode_push_request(&bytes).is_err());
            prop_assert!(via_prost(&bytes).is_err());
        }

        #[test]
        fn random_bytes_never_panic(bytes in any::<Vec<u8>>()) {
            let ours = decode_push_request(&bytes);
            if let Ok(streams) = &ours {
                // Whatever we accept, prost reads the same way.
                prop_assert_eq!(Ok(streams.clone()), via_prost(&bytes));
            }
        }
    }
}

//! From an HTTP push body to raw streams, as Loki's `ParseLokiRequest` does:
//! `Content-Encoding` (none, `snappy` as a no-op, `gzip`, `deflate` raw or
//! zlib-wrapped, `zstd`), the media type (`application/json` or else a raw
//! snappy block holding protobuf), and the size limits (413). Decompression
//! never produces more than the configured limit plus one byte.

use std::borrow::Cow;
use std::io::{self, Read};

use super::discovery::DETECTED_LEVEL;
use super::error::PushError;
use super::media_type::parse_media_type;
use super::{json, push_wire};
use crate::model::go_quote;

/// One structured metadata pair of a decoded entry. Protobuf text borrows
/// from the decompressed body; repaired or unescaped text is owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLabel<'a> {
    /// The name.
    pub name: Cow<'a, str>,
    /// The value.
    pub value: Cow<'a, str>,
}

impl<'a> RawLabel<'a> {
    /// A pair from anything that converts to text.
    pub fn new(name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        RawLabel {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// An entry's structured metadata pairs, in push order, as a slice. Most
/// entries that have any have one pair, which is held inline: a vector per
/// entry cost an allocation and a free for each such entry (17% of the
/// lines of the ingest benchmark).
#[derive(Clone, Debug, Default)]
pub enum RawMetadata<'a> {
    /// No pair.
    #[default]
    None,
    /// One pair.
    One(RawLabel<'a>),
    /// Two or more pairs.
    Many(Vec<RawLabel<'a>>),
}

impl<'a> RawMetadata<'a> {
    /// Appends a pair.
    pub fn push(&mut self, pair: RawLabel<'a>) {
        match std::mem::take(self) {
            RawMetadata::None => *self = RawMetadata::One(pair),
            RawMetadata::One(first) => *self = RawMetadata::Many(vec![first, pair]),
            RawMetadata::Many(mut v) => {
                v.push(pair);
                *self = RawMetadata::Many(v);
            }
        }
    }
}

impl<'a> std::ops::Deref for RawMetadata<'a> {
    type Target = [RawLabel<'a>];

    fn deref(&self) -> &[RawLabel<'a>] {
        match self {
            RawMetadata::None => &[],
            RawMetadata::One(pair) => std::slice::from_ref(pair),
            RawMetadata::Many(v) => v,
        }
    }
}

impl<'a> std::ops::DerefMut for RawMetadata<'a> {
    fn deref_mut(&mut self) -> &mut [RawLabel<'a>] {
        match self {
            RawMetadata::None => &mut [],
            RawMetadata::One(pair) => std::slice::from_mut(pair),
            RawMetadata::Many(v) => v,
        }
    }
}

impl<'a> From<Vec<RawLabel<'a>>> for RawMetadata<'a> {
    fn from(mut v: Vec<RawLabel<'a>>) -> Self {
        match v.len() {
            0 => RawMetadata::None,
            1 => v.pop().map_or(RawMetadata::None, RawMetadata::One),
            _ => RawMetadata::Many(v),
        }
    }
}

impl<'a> FromIterator<RawLabel<'a>> for RawMetadata<'a> {
    fn from_iter<I: IntoIterator<Item = RawLabel<'a>>>(iter: I) -> Self {
        let mut out = RawMetadata::None;
        for pair in iter {
            out.push(pair);
        }
        out
    }
}

impl<'a> IntoIterator for RawMetadata<'a> {
    type Item = RawLabel<'a>;
    type IntoIter = std::vec::IntoIter<RawLabel<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        match self {
            RawMetadata::None => Vec::new().into_iter(),
            RawMetadata::One(pair) => vec![pair].into_iter(),
            RawMetadata::Many(v) => v.into_iter(),
        }
    }
}

impl PartialEq for RawMetadata<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for RawMetadata<'_> {}

impl<'a> PartialEq<Vec<RawLabel<'a>>> for RawMetadata<'a> {
    fn eq(&self, other: &Vec<RawLabel<'a>>) -> bool {
        **self == **other
    }
}

/// One decoded entry. Its line borrows from the decompressed body unless
/// it had to be repaired or unescaped, so a push costs no allocation per
/// line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEntry<'a> {
    /// Nanoseconds since the epoch.
    pub ts: i64,
    /// The log line.
    pub line: Cow<'a, str>,
    /// Structured metadata in push order.
    pub metadata: RawMetadata<'a>,
    /// The `detected_level` value that discovery adds after `metadata`
    /// (`None` from the decoders, and when the entry already carries one).
    pub detected_level: Option<Cow<'a, str>>,
}

impl<'a> RawEntry<'a> {
    /// An entry without a discovered level.
    pub fn new(ts: i64, line: impl Into<Cow<'a, str>>, metadata: RawMetadata<'a>) -> Self {
        RawEntry {
            ts,
            line: line.into(),
            metadata,
            detected_level: None,
        }
    }

    /// Bytes as Loki counts them for limits and discard metrics: the line
    /// plus every structured metadata name and value, `detected_level`
    /// included.
    pub fn bytes(&self) -> u64 {
        let metadata: usize = self
            .metadata
            .iter()
            .map(|l| l.name.len() + l.value.len())
            .sum();
        let level = self
            .detected_level
            .as_ref()
            .map_or(0, |v| DETECTED_LEVEL.len() + v.len());
        (self.line.len() + metadata + level) as u64
    }

    /// Every structured metadata pair of the entry in stored order:
    /// the pushed ones, then the discovered `detected_level`.
    pub fn all_metadata(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.metadata
            .iter()
            .map(|l| (l.name.as_ref(), l.value.as_ref()))
            .chain(self.detected_level.as_deref().map(|v| (DETECTED_LEVEL, v)))
    }
}

/// One decoded stream before label parsing and validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawStream<'a> {
    /// The label set as text (`{a="b"}`), exactly as received or rendered.
    pub labels: Cow<'a, str>,
    /// The entries in push order.
    pub entries: Vec<RawEntry<'a>>,
}

/// Buffers a push body is decompressed into; the decoded streams borrow
/// from them, so they live as long as the push is being handled.
#[derive(Debug, Default)]
pub struct BodyBuffers {
    plain: Vec<u8>,
    protobuf: Vec<u8>,
}

impl BodyBuffers {
    /// Bytes allocated, the larger buffer's.
    pub fn capacity(&self) -> usize {
        self.plain.capacity().max(self.protobuf.capacity())
    }
}

/// Size limits of a push body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimits {
    /// Largest accepted body as received (compressed), in bytes.
    pub max_recv_msg_size: usize,
    /// Largest accepted body after decompression, in bytes.
    pub max_decompressed_size: usize,
}

/// Decodes a push body into raw streams, decompressing into `buffers`.
/// `legacy_json` selects the `/api/prom/push` JSON shape.
pub fn decode_body<'a>(
    limits: BodyLimits,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    body: &'a [u8],
    legacy_json: bool,
    buffers: &'a mut BodyBuffers,
) -> Result<Vec<RawStream<'a>>, PushError> {
    if body.len() > limits.max_recv_msg_size {
        return Err(PushError::TooLarge {
            size: body.len(),
            max: limits.max_recv_msg_size,
        });
    }
    let max = limits.max_decompressed_size;
    let BodyBuffers { plain, protobuf } = buffers;
    let plain: &'a [u8] = match content_encoding.unwrap_or("") {
        "" | "snappy" => body,
        "gzip" => {
            *plain = gunzip(body, max)?;
            plain
        }
        "deflate" => {
            *plain = inflate(body, max)?;
            plain
        }
        "zstd" => {
            *plain = unzstd(body, max)?;
            plain
        }
        other => {
            return Err(PushError::BadRequest(format!(
                "Content-Encoding {} not supported",
                go_quote(other)
            )))
        }
    };
    if plain.len() > max {
        return Err(PushError::TooLarge {
            size: plain.len(),
            max,
        });
    }
    let media = parse_media_type(content_type.unwrap_or("")).map_err(PushError::BadRequest)?;
    if media == "application/json" {
        let streams = if legacy_json {
            json::decode_legacy(plain)
        } else {
            json::decode_v1(plain)
        };
        return streams.map_err(PushError::BadRequest);
    }
    snappy_protobuf(plain, max, protobuf)
}

/// Decodes a raw (unframed) snappy block into `buf`, checking its
/// announced size first, then the protobuf inside. `buf` may come from an
/// earlier push: its bytes past what this one needs are left as they are,
/// and those it needs are overwritten, so it is only zero-filled when it
/// grows.
fn snappy_protobuf<'a>(
    body: &[u8],
    max: usize,
    buf: &'a mut Vec<u8>,
) -> Result<Vec<RawStream<'a>>, PushError> {
    let len = snap::raw::decompress_len(body)
        .map_err(|_| PushError::BadRequest("snappy: corrupt input".into()))?;
    if len > max {
        return Err(PushError::TooLarge { size: len, max });
    }
    if buf.len() < len {
        buf.resize(len, 0);
    }
    // The decoder fails unless it writes exactly `len` bytes, so no byte of
    // an earlier push is read.
    snap::raw::Decoder::new()
        .decompress(body, &mut buf[..len])
        .map_err(|e| match e {
            snap::Error::TooBig { .. } => {
                PushError::BadRequest("snappy: decoded block is too large".into())
            }
            _ => PushError::BadRequest("snappy: corrupt input".into()),
        })?;
    push_wire::decode_push_request(&buf[..len]).map_err(PushError::BadRequest)
}

/// Reads a decompressing reader into memory, refusing more than `max` bytes.
fn read_bounded(
    reader: impl Read,
    max: usize,
    hint: usize,
    describe: fn(&io::Error) -> String,
) -> Result<Vec<u8>, PushError> {
    let mut out = Vec::with_capacity(hint.saturating_mul(4).min(max).min(64 << 20));
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| PushError::BadRequest(describe(&e)))?;
    if out.len() > max {
        return Err(PushError::TooLarge {
            size: out.len(),
            max,
        });
    }
    Ok(out)
}

fn flate_error(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        "unexpected EOF".to_string()
    } else {
        "flate: corrupt input".to_string()
    }
}

/// gzip, several members allowed like Go's reader.
fn gunzip(body: &[u8], max: usize) -> Result<Vec<u8>, PushError> {
    if body.is_empty() {
        return Err(PushError::BadRequest("EOF".into()));
    }
    if body.len() < 10 || body[0] != 0x1f || body[1] != 0x8b {
        return Err(PushError::BadRequest("gzip: invalid header".into()));
    }
    read_bounded(
        flate2::read::MultiGzDecoder::new(body),
        max,
        body.len(),
        flate_error,
    )
}

/// `deflate`: raw DEFLATE as Loki expects, or a zlib stream as Vector's
/// `compression = "zlib"` sends it (recognised by its header checksum).
fn inflate(body: &[u8], max: usize) -> Result<Vec<u8>, PushError> {
    let zlib = body.len() >= 2
        && body[0] & 0x0f == 8
        && body[0] >> 4 <= 7
        && (u16::from(body[0]) << 8 | u16::from(body[1])) % 31 == 0;
    if zlib {
        read_bounded(
            flate2::read::ZlibDecoder::new(body),
            max,
            body.len(),
            flate_error,
        )
    } else {
        read_bounded(
            flate2::read::DeflateDecoder::new(body),
            max,
            body.len(),
            flate_error,
        )
    }
}

fn unzstd(body: &[u8], max: usize) -> Result<Vec<u8>, PushError> {
    let decoder = zstd::stream::read::Decoder::new(body)
        .map_err(|e| PushError::BadRequest(format!("zstd: {e}")))?;
    read_bounded(decoder, max, body.len(), |e| format!("zstd: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::proto::{EntryAdapter, PushRequest, StreamAdapter, Timestamp};
    use prost::Message;
    use std::io::Write;

    const LIMITS: BodyLimits = BodyLimits {
        max_recv_msg_size: 1 << 20,
        max_decompressed_size: 1 << 20,
    };
    const JSON: &str =
        r#"{"streams":[{"stream":{"app":"web"},"values":[["1","hello",{"k":"v"}]]}]}"#;

    fn want() -> Vec<RawStream<'static>> {
        vec![RawStream {
            labels: r#"{app="web"}"#.into(),
            entries: vec![RawEntry::new(
                1,
                "hello",
                vec![RawLabel::new("k", "v")].into(),
            )],
        }]
    }

    /// Decodes with fresh buffers; the result is compared by value.
    fn decode_owned(
        limits: BodyLimits,
        ct: Option<&str>,
        ce: Option<&str>,
        body: &[u8],
    ) -> Result<Vec<RawStream<'static>>, PushError> {
        let mut buffers = BodyBuffers::default();
        let streams = decode_body(limits, ct, ce, body, false, &mut buffers)?;
        Ok(streams
            .into_iter()
            .map(|s| RawStream {
                labels: Cow::Owned(s.labels.into_owned()),
                entries: s
                    .entries
                    .into_iter()
                    .map(|e| {
                        let metadata = e
                            .metadata
                            .into_iter()
                            .map(|l| RawLabel::new(l.name.into_owned(), l.value.into_owned()))
                            .collect();
                        RawEntry::new(e.ts, e.line.into_owned(), metadata)
                    })
                    .collect(),
            })
            .collect())
    }

    fn protobuf_body() -> Vec<u8> {
        let req = PushRequest {
            streams: vec![StreamAdapter {
                labels: br#"{app="web"}"#.to_vec(),
                entries: vec![EntryAdapter {
                    timestamp: Some(Timestamp::from_nanos(1)),
                    line: b"hello".to_vec(),
                    structured_metadata: vec![crate::ingest::proto::LabelPairAdapter {
                        name: b"k".to_vec(),
                        value: b"v".to_vec(),
                    }],
                    parsed: vec![],
                }],
                hash: 0,
            }],
            format: vec![],
        };
        snap::raw::Encoder::new()
            .compress_vec(&req.encode_to_vec())
            .unwrap()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode(
        ct: Option<&str>,
        ce: Option<&str>,
        body: &[u8],
    ) -> Result<Vec<RawStream<'static>>, PushError> {
        decode_owned(LIMITS, ct, ce, body)
    }

    #[test]
    fn metadata_holds_one_pair_inline_and_more_in_a_vector() {
        let mut m = RawMetadata::default();
        assert!(m.is_empty());
        m.push(RawLabel::new("a", "1"));
        assert!(matches!(m, RawMetadata::One(_)));
        m.push(RawLabel::new("b", "2"));
        m.push(RawLabel::new("c", "3"));
        let want = vec![
            RawLabel::new("a", "1"),
            RawLabel::new("b", "2"),
            RawLabel::new("c", "3"),
        ];
        assert_eq!(m, want);
        m[1].value = "x".into();
        assert_eq!(
            m.iter().map(|l| &*l.value).collect::<Vec<_>>(),
            ["1", "x", "3"]
        );
        assert_eq!(m.clone().into_iter().count(), 3);
        assert_eq!(
            RawMetadata::from(vec![RawLabel::new("a", "1")]),
            want[..1].to_vec()
        );
        assert_eq!(RawMetadata::from(Vec::new()).len(), 0);
        assert_eq!(want.iter().cloned().collect::<RawMetadata>(), want);
    }

    #[test]
    fn buffers_of_a_larger_push_decode_a_smaller_one() {
        let big_req = PushRequest {
            streams: vec![StreamAdapter {
                labels: br#"{app="big"}"#.to_vec(),
                entries: (0..50)
                    .map(|i| EntryAdapter {
                        timestamp: Some(Timestamp::from_nanos(i)),
                        line: format!("line {i} {}", "x".repeat(100)).into_bytes(),
                        structured_metadata: vec![],
                        parsed: vec![],
                    })
                    .collect(),
                hash: 0,
            }],
            format: vec![],
        };
        let big = snap::raw::Encoder::new()
            .compress_vec(&big_req.encode_to_vec())
            .unwrap();
        let ct = Some("application/x-protobuf");
        let mut buffers = BodyBuffers::default();
        let first = decode_body(LIMITS, ct, None, &big, false, &mut buffers).unwrap();
        assert_eq!(first[0].entries.len(), 50);
        drop(first);
        let small = protobuf_body();
        let again = decode_body(LIMITS, ct, None, &small, false, &mut buffers).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].labels, r#"{app="web"}"#);
        assert_eq!(again[0].entries.len(), 1);
        assert_eq!(again[0].entries[0].line, "hello");
        assert!(buffers.capacity() > small.len());
    }

    #[test]
    fn protobuf_snappy_with_and_without_header() {
        let body = protobuf_body();
        assert_eq!(
            decode(Some("application/x-protobuf"), None, &body),
            Ok(want())
        );
        assert_eq!(
            decode(Some("application/x-protobuf"), Some("snappy"), &body),
            Ok(want())
        );
    }

    #[test]
    fn json_plain_gzip_deflate_zlib_zstd() {
        let ct = Some("application/json; charset=utf-8");
        assert_eq!(decode(ct, None, JSON.as_bytes()), Ok(want()));
        assert_eq!(decode(ct, Some("gzip"), &gzip(JSON.as_bytes())), Ok(want()));
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(JSON.as_bytes()).unwrap();
        assert_eq!(
            decode(ct, Some("deflate"), &raw.finish().unwrap()),
            Ok(want())
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(JSON.as_bytes()).unwrap();
        assert_eq!(
            decode(ct, Some("deflate"), &z.finish().unwrap()),
            Ok(want())
        );
        let zs = zstd::encode_all(JSON.as_bytes(), 1).unwrap();
        assert_eq!(decode(ct, Some("zstd"), &zs), Ok(want()));
    }

    #[test]
    fn refusals() {
        let pb = Some("application/x-protobuf");
        let bad = |s: &str| Err(PushError::BadRequest(s.to_string()));
        assert_eq!(
            decode(pb, Some("br"), b"x"),
            bad(r#"Content-Encoding "br" not supported"#)
        );
        assert_eq!(decode(None, None, b"x"), bad("mime: no media type"));
        assert_eq!(decode(Some(""), None, b"x"), bad("mime: no media type"));
        assert_eq!(
            decode(pb, None, b"\xff\xff\xff\xff\xff"),
            bad("snappy: corrupt input")
        );
        assert_eq!(
            decode(Some("application/json"), Some("gzip"), b"not gzip at all"),
            bad("gzip: invalid header")
        );
        let garbage = snap::raw::Encoder::new()
            .compress_vec(b"\xff\xff\xff")
            .unwrap();
        match decode(pb, None, &garbage) {
            Err(PushError::BadRequest(m)) => assert!(m.starts_with("proto: "), "{m}"),
            other => panic!("{other:?}"),
        }
        // The JSON path never snappy-decodes.
        assert!(matches!(
            decode(Some("application/json"), Some("snappy"), &protobuf_body()),
            Err(PushError::BadRequest(_))
        ));
    }

    #[test]
    fn size_limits_are_413_and_bounded() {
        let small = BodyLimits {
            max_recv_msg_size: 100,
            max_decompressed_size: 1000,
        };
        let ct = Some("application/json");
        assert_eq!(
            decode_owned(small, ct, None, &[b' '; 101]),
            Err(PushError::TooLarge {
                size: 101,
                max: 100
            })
        );
        // A gzip bomb: 10 MB of zeros in a few KB; decoding stops at the limit.
        let bomb = gzip(&vec![0u8; 10 << 20]);
        let limits = BodyLimits {
            max_recv_msg_size: 1 << 20,
            max_decompressed_size: 1000,
        };
        assert_eq!(
            decode_owned(limits, ct, Some("gzip"), &bomb),
            Err(PushError::TooLarge {
                size: 1001,
                max: 1000
            })
        );
        let big = snap::raw::Encoder::new()
            .compress_vec(&vec![0u8; 5000])
            .unwrap();
        assert_eq!(
            decode_owned(limits, Some("application/x-protobuf"), None, &big),
            Err(PushError::TooLarge {
                size: 5000,
                max: 1000
            })
        );
    }

    proptest::proptest! {
        #[test]
        fn random_bodies_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                                     enc in proptest::sample::select(vec!["", "gzip", "deflate", "zstd", "snappy"]),
                                     json in proptest::prelude::any::<bool>()) {
            let ct = if json { "application/json" } else { "application/x-protobuf" };
            let _ = decode_owned(LIMITS, Some(ct), Some(enc), &body);
        }
    }
}

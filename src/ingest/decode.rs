//! From an HTTP push body to raw streams, as Loki's `ParseLokiRequest` does:
//! `Content-Encoding` (none, `snappy` as a no-op, `gzip`, `deflate` raw or
//! zlib-wrapped, `zstd`), the media type (`application/json` or else a raw
//! snappy block holding protobuf), and the size limits (413). Decompression
//! never produces more than the configured limit plus one byte.

use std::borrow::Cow;
use std::io::{self, Read};

use super::error::PushError;
use super::media_type::parse_media_type;
use super::{json, push_wire};
use crate::model::{go_quote, Entry};

/// One decoded stream before label parsing and validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawStream {
    /// The label set as text (`{a="b"}`), exactly as received or rendered.
    pub labels: String,
    /// The entries in push order.
    pub entries: Vec<Entry>,
}

/// Size limits of a push body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimits {
    /// Largest accepted body as received (compressed), in bytes.
    pub max_recv_msg_size: usize,
    /// Largest accepted body after decompression, in bytes.
    pub max_decompressed_size: usize,
}

/// Decodes a push body into raw streams. `legacy_json` selects the
/// `/api/prom/push` JSON shape.
pub fn decode_body(
    limits: BodyLimits,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    body: &[u8],
    legacy_json: bool,
) -> Result<Vec<RawStream>, PushError> {
    if body.len() > limits.max_recv_msg_size {
        return Err(PushError::TooLarge {
            size: body.len(),
            max: limits.max_recv_msg_size,
        });
    }
    let max = limits.max_decompressed_size;
    let plain: Cow<'_, [u8]> = match content_encoding.unwrap_or("") {
        "" | "snappy" => Cow::Borrowed(body),
        "gzip" => Cow::Owned(gunzip(body, max)?),
        "deflate" => Cow::Owned(inflate(body, max)?),
        "zstd" => Cow::Owned(unzstd(body, max)?),
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
            json::decode_legacy(&plain)
        } else {
            json::decode_v1(&plain)
        };
        return streams.map_err(PushError::BadRequest);
    }
    snappy_protobuf(&plain, max)
}

/// Decodes a raw (unframed) snappy block, checking its announced size
/// first, then the protobuf inside. The output buffer lives for one push
/// only: lines are copied out of it, and the allocator hands the same
/// memory to the next push (buffers kept per thread stayed resident in
/// every idle blocking thread).
fn snappy_protobuf(body: &[u8], max: usize) -> Result<Vec<RawStream>, PushError> {
    let len = snap::raw::decompress_len(body)
        .map_err(|_| PushError::BadRequest("snappy: corrupt input".into()))?;
    if len > max {
        return Err(PushError::TooLarge { size: len, max });
    }
    let mut buf = vec![0u8; len];
    snap::raw::Decoder::new()
        .decompress(body, &mut buf)
        .map_err(|e| match e {
            snap::Error::TooBig { .. } => {
                PushError::BadRequest("snappy: decoded block is too large".into())
            }
            _ => PushError::BadRequest("snappy: corrupt input".into()),
        })?;
    push_wire::decode_push_request(&buf).map_err(PushError::BadRequest)
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
    use crate::model::Label;
    use prost::Message;
    use std::io::Write;

    const LIMITS: BodyLimits = BodyLimits {
        max_recv_msg_size: 1 << 20,
        max_decompressed_size: 1 << 20,
    };
    const JSON: &str =
        r#"{"streams":[{"stream":{"app":"web"},"values":[["1","hello",{"k":"v"}]]}]}"#;

    fn want() -> Vec<RawStream> {
        vec![RawStream {
            labels: r#"{app="web"}"#.into(),
            entries: vec![Entry {
                ts: 1,
                line: "hello".into(),
                metadata: vec![Label::new("k", "v")],
            }],
        }]
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
    ) -> Result<Vec<RawStream>, PushError> {
        decode_body(LIMITS, ct, ce, body, false)
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
            decode_body(small, ct, None, &[b' '; 101], false),
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
            decode_body(limits, ct, Some("gzip"), &bomb, false),
            Err(PushError::TooLarge {
                size: 1001,
                max: 1000
            })
        );
        let big = snap::raw::Encoder::new()
            .compress_vec(&vec![0u8; 5000])
            .unwrap();
        assert_eq!(
            decode_body(limits, Some("application/x-protobuf"), None, &big, false),
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
            let _ = decode_body(LIMITS, Some(ct), Some(enc), &body, false);
        }
    }
}

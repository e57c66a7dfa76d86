//! Loki's push protobuf (`pkg/push/push.proto`, package `logproto`) as
//! hand-written prost messages. Text fields are declared as `bytes`: Go does
//! not check UTF-8 on decode, so a line with invalid UTF-8 must not fail the
//! whole request here either. [`into_raw_streams`] repairs such text with
//! U+FFFD, the way it would later show in Loki's JSON output.

use super::decode::RawStream;
use crate::model::{Entry, Label};

/// `logproto.PushRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PushRequest {
    /// The pushed streams.
    #[prost(message, repeated, tag = "1")]
    pub streams: Vec<StreamAdapter>,
    /// Internal format marker (`loki`, `otlp`); clients leave it empty.
    #[prost(bytes = "vec", tag = "2")]
    pub format: Vec<u8>,
}

/// `logproto.StreamAdapter`: one stream of a push.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StreamAdapter {
    /// The label set in text form, `{a="b", c="d"}`.
    #[prost(bytes = "vec", tag = "1")]
    pub labels: Vec<u8>,
    /// The stream's entries.
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<EntryAdapter>,
    /// Internal hash; clients send 0.
    #[prost(uint64, tag = "3")]
    pub hash: u64,
}

/// `logproto.EntryAdapter`: one log line.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EntryAdapter {
    /// `google.protobuf.Timestamp` of the entry.
    #[prost(message, optional, tag = "1")]
    pub timestamp: Option<Timestamp>,
    /// The log line.
    #[prost(bytes = "vec", tag = "2")]
    pub line: Vec<u8>,
    /// Structured metadata of the entry.
    #[prost(message, repeated, tag = "3")]
    pub structured_metadata: Vec<LabelPairAdapter>,
    /// Query-side parsed labels; ignored on push.
    #[prost(message, repeated, tag = "4")]
    pub parsed: Vec<LabelPairAdapter>,
}

/// `logproto.LabelPairAdapter`: a name/value pair of structured metadata.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelPairAdapter {
    /// The name.
    #[prost(bytes = "vec", tag = "1")]
    pub name: Vec<u8>,
    /// The value.
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second, `0..1e9`.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    /// Builds the protobuf timestamp of Unix nanoseconds.
    pub fn from_nanos(ns: i64) -> Self {
        Timestamp {
            seconds: ns.div_euclid(1_000_000_000),
            nanos: ns.rem_euclid(1_000_000_000) as i32,
        }
    }

    /// Unix nanoseconds, or an error text like Go's timestamp validation.
    pub fn to_nanos(self) -> Result<i64, String> {
        if !(0..1_000_000_000).contains(&self.nanos) {
            return Err(format!(
                "timestamp: seconds:{} nanos:{} : nanos not in range [0, 1e9)",
                self.seconds, self.nanos
            ));
        }
        self.seconds
            .checked_mul(1_000_000_000)
            .and_then(|s| s.checked_add(i64::from(self.nanos)))
            .ok_or_else(|| {
                format!(
                    "timestamp: seconds:{} nanos:{} : out of the nanosecond range",
                    self.seconds, self.nanos
                )
            })
    }
}

/// Text from the wire: kept as is when it is UTF-8, repaired otherwise.
pub fn text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Decodes a protobuf `PushRequest` body (already snappy-decoded).
pub fn decode_push(body: &[u8]) -> Result<PushRequest, String> {
    <PushRequest as prost::Message>::decode(body).map_err(|e| format!("proto: {e}"))
}

/// Moves a decoded request into the internal batch shape.
pub fn into_raw_streams(req: PushRequest) -> Result<Vec<RawStream>, String> {
    let mut out = Vec::with_capacity(req.streams.len());
    for s in req.streams {
        let mut entries = Vec::with_capacity(s.entries.len());
        for e in s.entries {
            let ts = match e.timestamp {
                Some(t) => t.to_nanos()?,
                None => 0,
            };
            let metadata = e
                .structured_metadata
                .into_iter()
                .map(|p| Label {
                    name: text(p.name),
                    value: text(p.value),
                })
                .collect();
            entries.push(Entry {
                ts,
                line: text(e.line),
                metadata,
            });
        }
        out.push(RawStream {
            labels: text(s.labels),
            entries,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use prost::Message;

    fn pair() -> impl Strategy<Value = LabelPairAdapter> {
        (any::<Vec<u8>>(), any::<Vec<u8>>())
            .prop_map(|(name, value)| LabelPairAdapter { name, value })
    }

    fn request() -> impl Strategy<Value = PushRequest> {
        let entry = (
            proptest::option::of((any::<i64>(), any::<i32>())),
            any::<Vec<u8>>(),
            proptest::collection::vec(pair(), 0..3),
        )
            .prop_map(|(ts, line, md)| EntryAdapter {
                timestamp: ts.map(|(seconds, nanos)| Timestamp { seconds, nanos }),
                line,
                structured_metadata: md,
                parsed: vec![],
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
        ]
        .concat();
        let stream = [field(0x0a, br#"{a="b"}"#), field(0x12, &entry)].concat();
        let wire = field(0x0a, &stream);
        let req = decode_push(&wire).expect("decodes");
        let streams = into_raw_streams(req).expect("valid");
        assert_eq!(streams.len(), 1);
        assert_eq!(streams[0].labels, r#"{a="b"}"#);
        let e = &streams[0].entries[0];
        assert_eq!(e.ts, 5_000_000_007);
        assert_eq!(e.line, "hi");
        assert_eq!(e.metadata, vec![Label::new("k", "v")]);
    }

    #[test]
    fn invalid_utf8_is_repaired_not_refused() {
        let req = PushRequest {
            streams: vec![StreamAdapter {
                labels: b"{a=\"b\"}".to_vec(),
                entries: vec![EntryAdapter {
                    timestamp: Some(Timestamp::from_nanos(1)),
                    line: vec![b'o', b'k', 0xff, b'!'],
                    structured_metadata: vec![],
                    parsed: vec![],
                }],
                hash: 0,
            }],
            format: vec![],
        };
        let streams = into_raw_streams(decode_push(&req.encode_to_vec()).unwrap()).unwrap();
        assert_eq!(streams[0].entries[0].line, "ok\u{FFFD}!");
    }

    #[test]
    fn bad_nanos_are_refused() {
        assert!(Timestamp {
            seconds: 1,
            nanos: -1
        }
        .to_nanos()
        .is_err());
        assert!(Timestamp {
            seconds: i64::MAX,
            nanos: 0
        }
        .to_nanos()
        .is_err());
        assert_eq!(Timestamp::from_nanos(-1).to_nanos(), Ok(-1));
    }

    proptest! {
        #[test]
        fn encode_decode_identity(req in request()) {
            let bytes = req.encode_to_vec();
            let back = decode_push(&bytes).map_err(TestCaseError::fail)?;
            prop_assert_eq!(back, req);
        }

        #[test]
        fn random_bytes_never_panic(bytes in any::<Vec<u8>>()) {
            if let Ok(req) = decode_push(&bytes) {
                let _ = into_raw_streams(req);
            }
        }
    }
}

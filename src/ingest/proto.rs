//! Loki's push protobuf (`pkg/push/push.proto`, package `logproto`) as
//! hand-written prost messages, for clients, tests and benchmarks that build
//! push bodies. Text fields are declared as `bytes`: Go does not check UTF-8
//! on decode, so a line with invalid UTF-8 must not fail a request. The
//! server side reads the same schema with [`super::push_wire`], which decodes
//! straight into the internal batch.

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
            let back = PushRequest::decode(bytes.as_slice())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, req);
        }
    }
}

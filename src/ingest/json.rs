//! JSON push bodies: the `/loki/api/v1/push` shape and the legacy
//! `/api/prom/push` shape, decoded with serde in one streaming pass.
//!
//! The v1 rules follow Loki's decoder (`pkg/loghttp/query.go`):
//! * `{"streams":[{"stream":{…},"values":[[ts, line, {metadata}], …]}]}`;
//! * `ts` must be a JSON string holding integer nanoseconds, `line` a JSON
//!   string; a third element must be an object of strings (`{}` is fine);
//!   further elements are ignored; missing elements leave a zero timestamp or
//!   an empty line; `null` entries and `"values": null` are skipped;
//! * stream label values are taken as strings, other JSON values by their
//!   text; the map becomes the `{k="v", …}` string that goes through the
//!   label parser like a protobuf stream's;
//! * structured metadata names are unescaped but values keep their JSON
//!   escapes verbatim, as Loki stores them;
//! * unknown keys are ignored, and so is anything after the top-level value.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::decode::{RawEntry, RawLabel, RawStream};
use crate::model::go_quote;

/// jsonparser's text for a value that should have been a string.
const NOT_A_STRING: &str = "Value is string, but can't find closing '\"' symbol";
/// jsonparser's text for a value that should have been an object.
const NOT_AN_OBJECT: &str = "Value looks like object, but can't find closing '}' symbol";
/// jsonparser's text for a value that should have been an array.
const NOT_AN_ARRAY: &str = "Value is array, but can't find closing ']' symbol";
/// jsonparser's text for a timestamp that is not an integer.
const NOT_AN_INTEGER: &str =
    "Value looks like Number/Boolean/None, but can't find its end: ',' or '}' symbol";
/// jsonparser's text for an integer outside the int64 range.
const INTEGER_OVERFLOW: &str = "Value is number, but overflowed while parsing";

/// Decodes a `/loki/api/v1/push` JSON body.
pub fn decode_v1(body: &[u8]) -> Result<Vec<RawStream<'static>>, String> {
    let text = String::from_utf8_lossy(body);
    let mut de = serde_json::Deserializer::from_str(&text);
    let req = V1Request::deserialize(&mut de).map_err(message)?;
    Ok(req.streams)
}

/// Decodes a legacy `/api/prom/push` JSON body (`labels` strings, `entries`
/// with RFC3339 `ts`).
pub fn decode_legacy(body: &[u8]) -> Result<Vec<RawStream<'static>>, String> {
    let text = String::from_utf8_lossy(body);
    let mut de = serde_json::Deserializer::from_str(&text);
    let req = LegacyRequest::deserialize(&mut de).map_err(message)?;
    let streams = req.streams.unwrap_or_default();
    let mut out = Vec::with_capacity(streams.len());
    for s in streams {
        let mut entries = Vec::new();
        for e in s.entries.unwrap_or_default() {
            let ts = match e.ts.as_deref() {
                Some(ts) => parse_rfc3339(ts)?,
                None => 0,
            };
            entries.push(RawEntry::new(
                ts,
                e.line.map(Cow::into_owned).unwrap_or_default(),
                e.structured_metadata
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| RawLabel::new(p.name, p.value))
                    .collect(),
            ));
        }
        out.push(RawStream {
            labels: Cow::Owned(s.labels.map(Cow::into_owned).unwrap_or_default()),
            entries,
        });
    }
    Ok(out)
}

/// serde_json appends ` at line L column C`; Loki's texts have no position
/// for semantic errors, so it is dropped for those and kept for syntax errors.
/// A type mismatch names what was expected, which here is jsonparser's text.
fn message(e: serde_json::Error) -> String {
    let full = e.to_string();
    if !e.is_data() {
        return full;
    }
    let text = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => &full,
    };
    if let Some(i) = text.find(", expected ") {
        let expected = &text[i + ", expected ".len()..];
        let known = [NOT_A_STRING, NOT_AN_OBJECT, NOT_AN_ARRAY];
        if text.starts_with("invalid type: ") && known.contains(&expected) {
            return expected.to_string();
        }
    }
    text.to_string()
}

fn parse_rfc3339(ts: &str) -> Result<i64, String> {
    let t = chrono::DateTime::parse_from_rfc3339(ts).map_err(|_| {
        format!(
            "parsing time {} as \"2006-01-02T15:04:05Z07:00\": cannot parse",
            go_quote(ts)
        )
    })?;
    t.timestamp_nanos_opt()
        .ok_or_else(|| format!("parsing time {}: out of range", go_quote(ts)))
}

/// jsonparser's `ParseInt` on the raw text of the timestamp string.
fn parse_go_int(s: &str) -> Result<i64, &'static str> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if s.is_empty() {
        return Err(NOT_AN_INTEGER);
    }
    let mut n: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return Err(NOT_AN_INTEGER);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(INTEGER_OVERFLOW)?;
    }
    if neg {
        if n == 1 << 63 {
            return Ok(i64::MIN);
        }
        i64::try_from(n).map(|v| -v).map_err(|_| INTEGER_OVERFLOW)
    } else {
        i64::try_from(n).map_err(|_| INTEGER_OVERFLOW)
    }
}

/// The top-level object; only `streams` matters (any letter case, like Go).
struct V1Request {
    streams: Vec<RawStream<'static>>,
}

impl<'de> Deserialize<'de> for V1Request {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = V1Request;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a push request object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(V1Request { streams: vec![] })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut streams = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key.eq_ignore_ascii_case("streams") {
                        streams = map
                            .next_value::<Option<Vec<V1Stream>>>()?
                            .unwrap_or_default()
                            .into_iter()
                            .map(|s| s.0)
                            .collect();
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(V1Request { streams })
            }
        }
        d.deserialize_any(V)
    }
}

/// One `{"stream": {...}, "values": [...]}` object.
struct V1Stream(RawStream<'static>);

impl<'de> Deserialize<'de> for V1Stream {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = V1Stream;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a stream object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut labels = String::from("{}");
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "stream" => labels = map.next_value::<LabelSet>()?.0,
                        "values" => {
                            entries = map
                                .next_value::<Option<Values>>()?
                                .map(|v| v.0)
                                .unwrap_or_default()
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(V1Stream(RawStream {
                    labels: Cow::Owned(labels),
                    entries,
                }))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(V1Stream(RawStream {
                    labels: Cow::Borrowed(""),
                    entries: Vec::new(),
                }))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `stream` object, rendered as Loki's `LabelSet.String()`.
struct LabelSet(String);

impl<'de> Deserialize<'de> for LabelSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LabelSet;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(NOT_AN_OBJECT)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut set: BTreeMap<String, String> = BTreeMap::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let raw = map.next_value::<&'de RawValue>()?;
                    let text = raw.get();
                    let value = if text.starts_with('"') {
                        serde_json::from_str::<String>(text).map_err(de::Error::custom)?
                    } else {
                        text.to_string()
                    };
                    set.insert(key.into_owned(), value);
                }
                let mut out = String::from("{");
                for (i, (k, v)) in set.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push('=');
                    out.push_str(&go_quote(v));
                }
                out.push('}');
                Ok(LabelSet(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Err(E::custom(NOT_AN_OBJECT))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `values` array.
struct Values(Vec<RawEntry<'static>>);

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(NOT_AN_ARRAY)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(e) = seq.next_element::<Option<JsonEntry>>()? {
                    if let Some(e) = e {
                        out.push(e.0);
                    }
                }
                Ok(Values(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One `[ts, line, {metadata}]` array.
struct JsonEntry(RawEntry<'static>);

impl<'de> Deserialize<'de> for JsonEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(NOT_AN_ARRAY)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let ts = seq.next_element_seed(TsSeed)?.unwrap_or(0);
                let line: String = seq.next_element_seed(LineSeed)?.unwrap_or_default();
                let metadata = seq.next_element_seed(MetadataSeed)?.unwrap_or_default();
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(JsonEntry(RawEntry::new(ts, line, metadata.into())))
            }
        }
        d.deserialize_any(V)
    }
}

/// Element 0: a string of integer nanoseconds.
struct TsSeed;

impl<'de> DeserializeSeed<'de> for TsSeed {
    type Value = i64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = i64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(NOT_A_STRING)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<i64, E> {
                parse_go_int(s).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Element 1: the line, a JSON string.
struct LineSeed;

impl<'de> DeserializeSeed<'de> for LineSeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(NOT_A_STRING)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
                Ok(s.to_string())
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<String, E> {
                Ok(s)
            }
        }
        d.deserialize_any(V)
    }
}

/// Element 2: an object of string values, kept with their JSON escapes.
struct MetadataSeed;

impl<'de> DeserializeSeed<'de> for MetadataSeed {
    type Value = Vec<RawLabel<'static>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<RawLabel<'static>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(NOT_AN_OBJECT)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let raw = map.next_value::<&'de RawValue>()?.get();
                    let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"'))
                    else {
                        return Err(de::Error::custom(NOT_A_STRING));
                    };
                    out.push(RawLabel::new(key.into_owned(), inner.to_string()));
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

/// The legacy request: the protobuf message in JSON form.
#[derive(Deserialize)]
struct LegacyRequest<'a> {
    #[serde(borrow)]
    streams: Option<Vec<LegacyStream<'a>>>,
}

#[derive(Deserialize)]
struct LegacyStream<'a> {
    #[serde(borrow)]
    labels: Option<Cow<'a, str>>,
    #[serde(borrow)]
    entries: Option<Vec<LegacyEntry<'a>>>,
}

#[derive(Deserialize)]
struct LegacyEntry<'a> {
    #[serde(borrow)]
    ts: Option<Cow<'a, str>>,
    #[serde(borrow)]
    line: Option<Cow<'a, str>>,
    #[serde(rename = "structuredMetadata")]
    structured_metadata: Option<Vec<LegacyPair>>,
}

#[derive(Deserialize)]
struct LegacyPair {
    name: String,
    value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(body: &str) -> Result<Vec<RawStream<'static>>, String> {
        decode_v1(body.as_bytes())
    }

    #[test]
    fn v1_shapes() {
        let s = one(r#"{"streams":[{"stream":{"env":"prod","app":"w\"eb"},
                "values":[["1700000000000000000","line \u00e9 one"],
                          ["1700000000000000001","two",{"trace_id":"abc","q":"a\"b"}],
                          null,
                          ["5","three",{},"extra",[1]]]}]}"#)
        .unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].labels, r#"{app="w\"eb", env="prod"}"#);
        let e = &s[0].entries;
        assert_eq!(e.len(), 3);
        assert_eq!(
            (e[0].ts, e[0].line.as_ref()),
            (1_700_000_000_000_000_000, "line é one")
        );
        assert_eq!(
            e[1].metadata,
            vec![
                RawLabel::new("trace_id", "abc"),
                RawLabel::new("q", "a\\\"b")
            ]
        );
        assert_eq!((e[2].ts, e[2].line.as_ref()), (5, "three"));
        assert!(e[2].metadata.is_empty());
    }

    #[test]
    fn v1_lenient_corners() {
        let s = one(r#"{"Streams":[{"stream":{"n":12,"b":true},"values":null}],"x":1} trailing"#)
            .unwrap();
        assert_eq!(s[0].labels, r#"{b="true", n="12"}"#);
        assert!(s[0].entries.is_empty());
        let s = one(r#"{"streams":[null,{"values":[["7"],[]]}]}"#).unwrap();
        assert_eq!((s[0].labels.as_ref(), s[0].entries.len()), ("", 0));
        let s = &s[1..];
        assert_eq!(s[0].labels, "{}");
        assert_eq!((s[0].entries[0].ts, s[0].entries[0].line.as_ref()), (7, ""));
        assert_eq!(s[0].entries[1].ts, 0);
        assert!(one("null").unwrap().is_empty());
        assert!(one(r#"{"streams":null}"#).unwrap().is_empty());
        assert_eq!(
            one(r#"{"streams":[{"stream":{},"values":[["-9223372036854775808","x"]]}]}"#).unwrap()
                [0]
            .entries[0]
                .ts,
            i64::MIN
        );
    }

    #[test]
    fn v1_strict_elements() {
        let table = [
            (
                r#"{"streams":[{"values":[[1700000000,"x"]]}]}"#,
                NOT_A_STRING,
            ),
            (r#"{"streams":[{"values":[["1.5","x"]]}]}"#, NOT_AN_INTEGER),
            (
                r#"{"streams":[{"values":[["2024-01-01T00:00:00Z","x"]]}]}"#,
                NOT_AN_INTEGER,
            ),
            (
                r#"{"streams":[{"values":[["99999999999999999999","x"]]}]}"#,
                INTEGER_OVERFLOW,
            ),
            (r#"{"streams":[{"values":[["1",2]]}]}"#, NOT_A_STRING),
            (
                r#"{"streams":[{"values":[["1","x","meta"]]}]}"#,
                NOT_AN_OBJECT,
            ),
            (
                r#"{"streams":[{"values":[["1","x",{"k":1}]]}]}"#,
                NOT_A_STRING,
            ),
            (r#"{"streams":[{"values":["1"]}]}"#, NOT_AN_ARRAY),
            (r#"{"streams":[{"values":{}}]}"#, NOT_AN_ARRAY),
            (r#"{"streams":[{"stream":null}]}"#, NOT_AN_OBJECT),
        ];
        for (body, want) in table {
            let err = one(body).expect_err(body);
            assert!(err.starts_with(want), "{body}: {err}");
        }
        assert!(one(r#"{"streams":[{"values":[["1","x"]]}"#).is_err());
        assert!(one("").is_err());
    }

    #[test]
    fn v1_invalid_utf8_is_repaired() {
        let mut body = br#"{"streams":[{"stream":{"a":"b"},"values":[["1","ok"#.to_vec();
        body.push(0xff);
        body.extend_from_slice(br#""]]}]}"#);
        let s = decode_v1(&body).unwrap();
        assert_eq!(s[0].entries[0].line, "ok\u{FFFD}");
    }

    #[test]
    fn legacy_shape() {
        let s = decode_legacy(
            br#"{"streams":[{"labels":"{foo=\"bar\"}","entries":[{"ts":"2018-12-18T08:28:06.801064-04:00","line":"baz","structuredMetadata":[{"name":"k","value":"v"}]}]}]}"#,
        )
        .unwrap();
        assert_eq!(s[0].labels, r#"{foo="bar"}"#);
        assert_eq!(s[0].entries[0].ts, 1_545_136_086_801_064_000);
        assert_eq!(s[0].entries[0].line, "baz");
        assert_eq!(s[0].entries[0].metadata, vec![RawLabel::new("k", "v")]);
        assert!(decode_legacy(br#"{"streams":[{"entries":[{"ts":"yesterday"}]}]}"#).is_err());
    }

    proptest::proptest! {
        #[test]
        fn random_bodies_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = decode_v1(&body);
            let _ = decode_legacy(&body);
        }

        #[test]
        fn push_like_bodies_never_panic(body in r#"[{}\[\]",:a-z0-9 \\nul]{0,80}"#) {
            let _ = decode_v1(body.as_bytes());
        }
    }
}

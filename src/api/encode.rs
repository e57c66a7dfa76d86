//! Loki's JSON response bodies, written directly into a byte buffer: the
//! `streams` result in both encodings (plain, and `categorize-labels`),
//! `matrix` / `vector` / `scalar` results, and the `stats` object.
//!
//! Key order matters to Grafana: `resultType`, `encodingFlags`, `result`,
//! `stats` (loki-http-api.md §2.3).

use std::io::Write;

use crate::logql::eval::result::{format_time, format_value, scalar_instant_time_json, QueryValue};
use crate::model::Labels;
use crate::query::result::{LogResult, QueryStats};

/// Appends `s` as a JSON string literal.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json's string escaper is fast and never fails on a Vec.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Appends `{"name":"value",...}` in label-name order.
pub fn write_labels(out: &mut Vec<u8>, labels: &Labels) {
    out.push(b'{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, &l.name);
        out.push(b':');
        write_str(out, &l.value);
    }
    out.push(b'}');
}

/// The flags of `X-Loki-Response-Encoding-Flags` (comma separated).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncodingFlags(pub Vec<String>);

impl EncodingFlags {
    /// Parses the header value.
    pub fn parse(header: Option<&str>) -> Self {
        EncodingFlags(
            header
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    /// Whether `categorize-labels` was requested.
    pub fn categorize_labels(&self) -> bool {
        self.0.iter().any(|f| f == "categorize-labels")
    }

    fn write(&self, out: &mut Vec<u8>) {
        if self.0.is_empty() {
            return;
        }
        out.extend_from_slice(b"\"encodingFlags\":[");
        for (i, f) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, f);
        }
        out.extend_from_slice(b"],");
    }
}

/// The body of a log query answer.
pub fn streams_body(result: &LogResult, flags: &EncodingFlags) -> Vec<u8> {
    let categorize = flags.categorize_labels();
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"status\":\"success\",\"data\":{\"resultType\":\"streams\",");
    flags.write(&mut out);
    out.extend_from_slice(b"\"result\":[");
    for (i, s) in result.streams.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"stream\":");
        write_labels(&mut out, &s.labels);
        out.extend_from_slice(b",\"values\":[");
        for (j, e) in s.entries.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            let _ = write!(out, "[\"{}\",", e.ts);
            write_str(&mut out, &e.line);
            if categorize {
                out.extend_from_slice(b",{");
                let mut first = true;
                if !e.structured_metadata.is_empty() {
                    out.extend_from_slice(b"\"structuredMetadata\":");
                    write_labels(&mut out, &e.structured_metadata);
                    first = false;
                }
                if !e.parsed.is_empty() {
                    if !first {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"\"parsed\":");
                    write_labels(&mut out, &e.parsed);
                }
                out.push(b'}');
            }
            out.push(b']');
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"],\"stats\":");
    write_stats(&mut out, &result.stats);
    out.extend_from_slice(b"}}\n");
    out
}

fn write_point(out: &mut Vec<u8>, t_ms: i64, v: f64) {
    let _ = write!(out, "[{},\"{}\"]", format_time(t_ms), format_value(v));
}

/// The body of a metric query answer (`matrix`, `vector` or `scalar`).
pub fn metric_body(value: &QueryValue, stats: &QueryStats) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    let _ = write!(
        out,
        "{{\"status\":\"success\",\"data\":{{\"resultType\":\"{}\",\"result\":",
        value.result_type()
    );
    match value {
        QueryValue::Matrix(series) => {
            out.push(b'[');
            for (i, s) in series.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"metric\":");
                write_labels(&mut out, &s.labels);
                out.extend_from_slice(b",\"values\":[");
                for (j, p) in s.points.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    write_point(&mut out, p.t_ms, p.v);
                }
                out.extend_from_slice(b"]}");
            }
            out.push(b']');
        }
        QueryValue::Vector(samples) => {
            out.push(b'[');
            for (i, s) in samples.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"metric\":");
                write_labels(&mut out, &s.labels);
                out.extend_from_slice(b",\"value\":");
                write_point(&mut out, s.t_ms, s.v);
                out.push(b'}');
            }
            out.push(b']');
        }
        QueryValue::Scalar { t_ms, v } => {
            // Loki's frontend mangles the scalar's time; clients ignore it.
            let _ = write!(
                out,
                "[{},\"{}\"]",
                scalar_instant_time_json(*t_ms),
                format_value(*v)
            );
        }
    }
    out.extend_from_slice(b",\"stats\":");
    write_stats(&mut out, stats);
    out.extend_from_slice(b"}}\n");
    out
}

fn store_stats(s: &QueryStats) -> serde_json::Value {
    serde_json::json!({
        "totalChunksRef": s.chunks_referenced,
        "totalChunksDownloaded": s.chunks_referenced,
        "chunksDownloadTime": 0,
        "queryReferencedStructuredMetadata": false,
        "queryUsedV2Engine": false,
        "chunk": {
            "headChunkBytes": s.head_chunk_bytes,
            "headChunkLines": s.head_chunk_lines,
            "decompressedBytes": s.decompressed_bytes,
            "decompressedLines": s.decompressed_lines,
            "compressedBytes": s.compressed_bytes,
            "totalDuplicates": 0,
            "postFilterLines": s.post_filter_lines,
            "headChunkStructuredMetadataBytes": 0,
            "decompressedStructuredMetadataBytes": 0,
        },
        "chunkRefsFetchTime": 0,
        "congestionControlLatency": 0,
        "pipelineWrapperFilteredLines": 0,
    })
}

/// Appends the `stats` object in the shape logcli's Go struct decodes
/// (integers where it wants integers, float seconds for times).
pub fn write_stats(out: &mut Vec<u8>, s: &QueryStats) {
    let secs = if s.exec_time.is_finite() && s.exec_time > 0.0 {
        s.exec_time
    } else {
        0.0
    };
    let per_sec = |n: u64| {
        if secs > 0.0 {
            (n as f64 / secs) as u64
        } else {
            0
        }
    };
    let cache = serde_json::json!({
        "entriesFound": 0, "entriesRequested": 0, "entriesStored": 0, "bytesReceived": 0,
        "bytesSent": 0, "requests": 0, "downloadTime": 0, "queryLengthServed": 0,
    });
    let caches: serde_json::Map<String, serde_json::Value> = [
        "chunk",
        "index",
        "result",
        "statsResult",
        "volumeResult",
        "seriesResult",
        "labelResult",
        "instantMetricResult",
        "logResult",
        "taskResult",
    ]
    .iter()
    .map(|n| (n.to_string(), cache.clone()))
    .collect();
    let stats = serde_json::json!({
        "summary": {
            "bytesProcessedPerSecond": per_sec(s.bytes_processed),
            "linesProcessedPerSecond": per_sec(s.lines_processed),
            "totalBytesProcessed": s.bytes_processed,
            "totalLinesProcessed": s.lines_processed,
            "execTime": secs,
            "queueTime": 0.0,
            "subqueries": 0,
            "totalEntriesReturned": s.entries_returned,
            "splits": 0,
            "shards": 0,
            "totalPostFilterLines": s.post_filter_lines,
            "totalStructuredMetadataBytesProcessed": 0,
        },
        "querier": { "store": store_stats(s), "querierExecTime": secs },
        "ingester": {
            "totalReached": 0, "totalChunksMatched": 0, "totalBatches": 0, "totalLinesSent": 0,
            "store": store_stats(&QueryStats::default()),
        },
        "cache": caches,
        "index": {
            "totalChunks": s.chunks_referenced,
            "postFilterChunks": s.chunks_referenced,
            "shardsDuration": 0,
            "usedBloomFilters": false,
            "totalStreams": s.streams,
            "chunkRefsLookupTime": 0.0,
            "bloomFilterTime": 0.0,
        },
    });
    let _ = serde_json::to_writer(out, &stats);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::result::{ResultEntry, ResultStream};
    use serde_json::Value;

    fn result() -> LogResult {
        LogResult {
            streams: vec![ResultStream {
                labels: Labels::from_pairs([("app", "web")]),
                entries: vec![
                    ResultEntry {
                        ts: 2,
                        line: "b \"<q>\"".into(),
                        structured_metadata: Labels::from_pairs([("trace_id", "x")]),
                        parsed: Labels::from_pairs([("status", "200")]),
                    },
                    ResultEntry {
                        ts: 1,
                        line: "a".into(),
                        ..Default::default()
                    },
                ],
            }],
            stats: QueryStats {
                bytes_processed: 10,
                exec_time: 0.5,
                ..Default::default()
            },
        }
    }

    #[test]
    fn plain_streams_have_two_element_values() {
        let body = streams_body(&result(), &EncodingFlags::default());
        assert!(body.ends_with(b"\n"));
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["data"]["resultType"], "streams");
        assert!(v["data"].get("encodingFlags").is_none());
        assert_eq!(v["data"]["result"][0]["stream"]["app"], "web");
        assert_eq!(
            v["data"]["result"][0]["values"][0],
            serde_json::json!(["2", "b \"<q>\""])
        );
        assert_eq!(v["data"]["stats"]["summary"]["totalBytesProcessed"], 10);
        assert_eq!(v["data"]["stats"]["summary"]["bytesProcessedPerSecond"], 20);
    }

    #[test]
    fn categorized_streams_carry_a_third_element_and_flags_before_result() {
        let flags = EncodingFlags::parse(Some("categorize-labels"));
        let body = streams_body(&result(), &flags);
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(text.find("encodingFlags").unwrap() < text.find("\"result\"").unwrap());
        let v: Value = serde_json::from_slice(&body).unwrap();
        let values = &v["data"]["result"][0]["values"];
        assert_eq!(
            values[0][2],
            serde_json::json!({"structuredMetadata": {"trace_id": "x"}, "parsed": {"status": "200"}})
        );
        assert_eq!(values[1][2], serde_json::json!({}));
    }

    #[test]
    fn metric_bodies_have_numeric_times_and_string_values() {
        use crate::logql::eval::result::{Point, Sample, Series};
        use std::sync::Arc;
        let m = QueryValue::Matrix(vec![Series {
            labels: Arc::new(Labels::from_pairs([("level", "error")])),
            points: vec![
                Point {
                    t_ms: 1_700_000_000_000,
                    v: 12.0,
                },
                Point {
                    t_ms: 1_700_000_060_500,
                    v: 0.25,
                },
            ],
        }]);
        let v: Value = serde_json::from_slice(&metric_body(&m, &QueryStats::default())).unwrap();
        assert_eq!(v["data"]["resultType"], "matrix");
        assert_eq!(
            v["data"]["result"][0]["values"],
            serde_json::json!([[1700000000, "12"], [1700000060.5, "0.25"]])
        );
        let vec = QueryValue::Vector(vec![Sample {
            labels: Arc::new(Labels::new()),
            t_ms: 4_000_000_000_000,
            v: 2.0,
        }]);
        let v: Value = serde_json::from_slice(&metric_body(&vec, &QueryStats::default())).unwrap();
        assert_eq!(
            v["data"]["result"],
            serde_json::json!([{"metric": {}, "value": [4000000000u64, "2"]}])
        );
        let s = QueryValue::Scalar {
            t_ms: 1_768_185_000_000,
            v: -1.0,
        };
        let v: Value = serde_json::from_slice(&metric_body(&s, &QueryStats::default())).unwrap();
        assert_eq!(
            v["data"]["result"],
            serde_json::json!([-2702431076116i64, "-1"])
        );
    }

    #[test]
    fn stats_have_the_shape_logcli_decodes() {
        let mut out = Vec::new();
        write_stats(&mut out, &QueryStats::default());
        let v: Value = serde_json::from_slice(&out).unwrap();
        for k in ["summary", "querier", "ingester", "cache", "index"] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert!(v["summary"]["execTime"].is_number());
        assert!(v["querier"]["store"]["chunk"]["decompressedBytes"].is_u64());
        assert!(v["cache"]["logResult"]["entriesFound"].is_u64());
    }
}

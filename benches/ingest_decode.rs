//! Push decoding + validation + discovery throughput on a realistic ~1 MiB
//! batch: protobuf+snappy as Promtail/Alloy/Vector send it, and JSON.
//!
//! Lines are generated with the mix of the kindling benchmark (Traefik JSON
//! access logs, Heroku router/app lines, systemd journal, k8s logfmt and JSON
//! lines). Set `INGEST_BENCH_JSONL` to a file of `{"stream":{..},"ts":"..",
//! "line":".."}` rows to use real data instead. Throughput is in line bytes.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kindling::ingest::proto::{EntryAdapter, PushRequest, StreamAdapter, Timestamp};
use kindling::ingest::{BodyBuffers, IngestConfig, Ingester};
use kindling::model::go_quote;
use prost::Message;

const BATCH_BYTES: usize = 1 << 20;
const T0: i64 = 1_795_449_600_000_000_000;

type Row = (BTreeMap<String, String>, i64, String);

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Deterministic lines shaped like the benchmark's.
fn generated() -> Vec<Row> {
    let mut rows = Vec::new();
    let mut bytes = 0;
    let mut i: u64 = 0;
    while bytes < BATCH_BYTES {
        i += 1;
        let ts = T0 + (i as i64) * 1_000_003;
        let (lbs, line) = match i % 20 {
            0..=6 => (
                labels(&[
                    ("job", "traefik-access"),
                    ("host", "fedora-htpc"),
                    ("service", "nextcloud@docker"),
                    ("status", "502"),
                ]),
                format!(
                    r#"{{"ClientAddr":"10.23.90.{}:25192","ClientHost":"94.67.47.93","ClientPort":"10094","DownstreamContentSize":{},"DownstreamStatus":502,"Duration":29602959,"OriginContentSize":2711,"OriginDuration":29552959,"OriginStatus":502,"Overhead":50000,"RequestAddr":"nextcloud.home.lan","RequestContentSize":0,"RequestCount":{},"RequestHost":"nextcloud.home.lan","RequestMethod":"POST","RequestPath":"/Videos/stream.mp4","RequestPort":"-","RequestProtocol":"HTTP/2.0","RequestScheme":"https","RetryAttempts":0,"RouterName":"nextcloud-secure@docker","ServiceName":"nextcloud@docker","StartLocal":"2026-11-23T16:00:00.000285315Z","StartUTC":"2026-11-23T16:00:00.000285315Z","entryPointName":"websecure","level":"info","msg":"","request_User-Agent":"Prometheus/2.53.0","request_X-Forwarded-For":"172.17.9.122","time":"2026-11-23T16:00:00Z"}}"#,
                    i % 250,
                    i % 9000,
                    i
                ),
            ),
            7..=15 => (
                labels(&[
                    ("source", "heroku"),
                    ("app", "shop"),
                    ("dyno", "router"),
                    ("level", "info"),
                ]),
                format!(
                    r#"at=info method=GET path="/api/orders" host=shop.herokuapp.com request_id=a3dd7581-{i} fwd="172.248.111.178" dyno=web.1 connect=0ms service=4ms status=200 bytes=69511 protocol=https"#
                ),
            ),
            16 | 17 => (
                labels(&[
                    ("job", "systemd-journal"),
                    ("host", "fedora-htpc"),
                    ("unit", "sshd.service"),
                    ("priority", "info"),
                ]),
                format!(
                    "sshd[{i}]: Accepted publickey for core from 10.0.0.{} port 5{i}",
                    i % 250
                ),
            ),
            18 => (
                labels(&[
                    ("namespace", "monitoring"),
                    ("container", "grafana"),
                    ("job", "monitoring/grafana"),
                ]),
                format!(
                    r#"ts=2026-01-12T00:00:00.005Z level=info caller=grafana.go:128 msg="papa oscar" duration=492.000ms size=1181KB user_id={i} component="compactor""#
                ),
            ),
            _ => (
                labels(&[
                    ("namespace", "log-aggregation"),
                    ("container", "vector"),
                    ("job", "log-aggregation/vector"),
                ]),
                format!(
                    r#"{{"level": "info", "ts": 1768176000.6610324, "msg": "charlie done", "latency_ms": {i}, "http": {{"method": "GET", "status": 200, "path": "/api/health"}}, "tags": ["golf", "kilo"]}}"#
                ),
            ),
        };
        bytes += line.len();
        rows.push((lbs, ts, line));
    }
    rows
}

/// The first ~1 MiB of a benchmark JSONL file.
fn from_file(path: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(path).expect("INGEST_BENCH_JSONL readable");
    let mut rows = Vec::new();
    let mut bytes = 0;
    for l in text.lines() {
        if bytes >= BATCH_BYTES {
            break;
        }
        let v: serde_json::Value = serde_json::from_str(l).expect("JSON row");
        let lbs = v["stream"]
            .as_object()
            .expect("stream object")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect();
        let ts = v["ts"].as_str().and_then(|t| t.parse().ok()).unwrap_or(T0);
        let line = v["line"].as_str().unwrap_or("").to_string();
        bytes += line.len();
        rows.push((lbs, ts, line));
    }
    rows
}

fn label_string(lbs: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = lbs
        .iter()
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

/// Groups rows per stream like the shipping clients do.
fn grouped(rows: &[Row]) -> BTreeMap<String, Vec<(i64, &str)>> {
    let mut streams: BTreeMap<String, Vec<(i64, &str)>> = BTreeMap::new();
    for (lbs, ts, line) in rows {
        streams
            .entry(label_string(lbs))
            .or_default()
            .push((*ts, line.as_str()));
    }
    streams
}

fn protobuf_batch(rows: &[Row]) -> Vec<u8> {
    let req = PushRequest {
        streams: grouped(rows)
            .into_iter()
            .map(|(labels, entries)| StreamAdapter {
                labels: labels.into_bytes(),
                entries: entries
                    .into_iter()
                    .map(|(ts, line)| EntryAdapter {
                        timestamp: Some(Timestamp::from_nanos(ts)),
                        line: line.as_bytes().to_vec(),
                        structured_metadata: vec![],
                        parsed: vec![],
                    })
                    .collect(),
                hash: 0,
            })
            .collect(),
        format: vec![],
    };
    snap::raw::Encoder::new()
        .compress_vec(&req.encode_to_vec())
        .expect("snappy")
}

fn json_batch(rows: &[Row]) -> Vec<u8> {
    let mut streams: BTreeMap<&BTreeMap<String, String>, Vec<serde_json::Value>> = BTreeMap::new();
    for (lbs, ts, line) in rows {
        streams
            .entry(lbs)
            .or_default()
            .push(serde_json::json!([ts.to_string(), line, {}]));
    }
    let streams: Vec<serde_json::Value> = streams
        .into_iter()
        .map(|(lbs, values)| serde_json::json!({"stream": lbs, "values": values}))
        .collect();
    serde_json::to_vec(&serde_json::json!({ "streams": streams })).expect("json")
}

fn bench(c: &mut Criterion) {
    let rows = match std::env::var("INGEST_BENCH_JSONL") {
        Ok(path) => from_file(&path),
        Err(_) => generated(),
    };
    let line_bytes: usize = rows.iter().map(|r| r.2.len()).sum();
    let now = rows.iter().map(|r| r.1).max().unwrap_or(T0);
    let cfg = IngestConfig {
        reject_old_samples_max_age: Duration::ZERO,
        ingestion_rate_bytes: f64::MAX,
        ingestion_burst_bytes: f64::MAX,
        per_stream_rate_bytes: f64::MAX,
        per_stream_burst_bytes: f64::MAX,
        ..IngestConfig::default()
    };
    let ingester = Ingester::new(cfg);
    let pb = protobuf_batch(&rows);
    let json = json_batch(&rows);

    let mut g = c.benchmark_group("ingest_prepare");
    g.throughput(Throughput::Bytes(line_bytes as u64));
    g.bench_function("protobuf_snappy_1MiB", |b| {
        b.iter(|| {
            let mut buffers = BodyBuffers::default();
            let p = ingester
                .prepare(
                    "fake",
                    Some("application/x-protobuf"),
                    None,
                    black_box(&pb),
                    false,
                    now,
                    &mut buffers,
                )
                .expect("accepted");
            black_box(p.streams.len())
        })
    });
    g.bench_function("json_1MiB", |b| {
        b.iter(|| {
            let mut buffers = BodyBuffers::default();
            let p = ingester
                .prepare(
                    "fake",
                    Some("application/json"),
                    None,
                    black_box(&json),
                    false,
                    now,
                    &mut buffers,
                )
                .expect("accepted");
            black_box(p.streams.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

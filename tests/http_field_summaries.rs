//! Metric queries over `| json` with numeric label filters, which the
//! server answers from per-stream JSON field summaries where it can: the
//! answers must be those of reading every line, before and after a clean
//! restart (summaries saved and loaded), after appends that change a
//! summary, and after a crash (summaries of replayed streams dropped).

mod common;

use std::collections::BTreeMap;

use common::{get, now_ns, push_json, query_range, Server};
use serde_json::{json, Value};

const MINUTE: i64 = 60_000_000_000;

/// `service` → value of an instant vector query at `at`.
fn by_service(s: &Server, query: &str, at: i64) -> BTreeMap<String, f64> {
    let (status, body) = get(
        &s.url("/loki/api/v1/query"),
        &[("query", query), ("time", &at.to_string())],
        &[],
    );
    assert_eq!(status, 200, "{query}: {body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    let mut out = BTreeMap::new();
    for r in v["data"]["result"].as_array().expect("vector") {
        let service = r["metric"]["service"].as_str().unwrap_or("").to_string();
        let value: f64 = r["value"][1]
            .as_str()
            .expect("value")
            .parse()
            .expect("number");
        out.insert(service, value);
    }
    out
}

fn stream(labels: Value, base: i64, lines: &[&str]) -> Value {
    let values: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| json!([(base + i as i64 * 1_000_000).to_string(), l]))
        .collect();
    json!({"stream": labels, "values": values})
}

/// The data: per stream, lines whose `status` field sits on one side of
/// 500 (decided by summaries) or both (read), a string value and nested
/// objects (no summary, read).
fn push_data(s: &Server, base: i64) {
    let body = json!({"streams": [
        stream(json!({"job": "t", "service": "a", "code": "503"}), base,
               &[r#"{"status":503,"path":"/x"}"#; 7]),
        stream(json!({"job": "t", "service": "a", "code": "200"}), base,
               &[r#"{"status":200,"path":"/y"}"#; 5]),
        stream(json!({"job": "t", "service": "b"}), base,
               &[r#"{"status":200}"#, r#"{"status":502}"#, r#"{"status":504,"x":1}"#, r#"{"path":"/"}"#]),
        stream(json!({"job": "t", "service": "c"}), base,
               &[r#"{"status":"502"}"#, r#"{"status":"501"}"#, r#"{"status":201}"#]),
        stream(json!({"job": "t", "service": "d"}), base,
               &[r#"{"a":{"b":1},"status":500}"#, r#"{"status":500}"#]),
        stream(json!({"job": "t", "service": "e", "code": "404"}), base,
               &[r#"{"status":404}"#; 3]),
    ]});
    push_json(s, &body);
}

const ERRORS: &str = r#"sum by (service) (count_over_time({job="t"} | json | status >= 500 [1h]))"#;
const OK: &str = r#"sum by (service) (count_over_time({job="t"} | json | status < 500 [1h]))"#;
const EITHER: &str =
    r#"sum by (service) (count_over_time({job="t"} | json | status == 404 or status > 502 [1h]))"#;

fn expect(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Lines per `service` of a log query over the data, with and without
/// an `interval` (two reading paths).
fn log_lines(s: &Server, query: &str, at: i64) -> Vec<BTreeMap<String, usize>> {
    let (start, end) = ((at - 3_600_000_000_000).to_string(), at.to_string());
    [None, Some("1ms")]
        .into_iter()
        .map(|interval| {
            let mut params = vec![
                ("query", query),
                ("start", start.as_str()),
                ("end", end.as_str()),
                ("limit", "1000"),
            ];
            if let Some(i) = interval {
                params.push(("interval", i));
            }
            let mut out = BTreeMap::new();
            for got in query_range(s, None, &params, false) {
                *out.entry(got.stream["service"].clone()).or_default() += 1;
            }
            out
        })
        .collect()
}

fn check(s: &Server, at: i64, extra_a: f64) {
    let lines = |pairs: &[(&str, usize)]| -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    let got = log_lines(s, r#"{job="t"} | json | status >= 500"#, at);
    let want = lines(&[("a", 7 + extra_a as usize), ("b", 2), ("c", 2), ("d", 2)]);
    assert_eq!(got[0], want);
    // The same lines without a plan (line_format keeps the line as it is).
    let read = r#"{job="t"} | json | status >= 500 | line_format "{{__line__}}""#;
    assert_eq!(got, log_lines(s, read, at));
    assert_eq!(
        by_service(s, ERRORS, at),
        expect(&[("a", 7.0 + extra_a), ("b", 2.0), ("c", 2.0), ("d", 2.0)])
    );
    assert_eq!(
        by_service(s, OK, at),
        expect(&[("a", 5.0), ("b", 1.0), ("c", 1.0), ("e", 3.0)])
    );
    assert_eq!(
        by_service(s, EITHER, at),
        expect(&[("a", 7.0 + extra_a), ("b", 1.0), ("e", 3.0)])
    );
}

#[test]
fn summarised_streams_answer_as_read_ones_across_restarts_and_crashes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let base = now_ns() - 20 * MINUTE;
    let at = base + 10 * MINUTE;
    let mut s = Server::start_in(&data, &[]);
    push_data(&s, base);
    check(&s, at, 0.0);
    // A clean stop saves the summaries; the restart loads them.
    s.stop();
    let day_files: Vec<_> = std::fs::read_dir(data.join("days"))
        .expect("days")
        .flatten()
        .filter(|d| d.path().join("fields.kfs").exists())
        .collect();
    assert!(!day_files.is_empty(), "field summaries saved");
    let mut s = Server::start_in(&data, &[]);
    check(&s, at, 0.0);
    // A 5xx line in the stream of 2xx lines: its summary now spans both.
    push_json(
        &s,
        &json!({"streams": [stream(json!({"job": "t", "service": "a", "code": "200"}),
                                    base + MINUTE, &[r#"{"status":599}"#])]}),
    );
    check(&s, at, 1.0);
    // After a crash the replayed streams are read.
    s.kill();
    let s = Server::start_in(&data, &[]);
    check(&s, at, 1.0);
}

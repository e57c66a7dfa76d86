//! Requests as logcli sends them: `series` with a single `match=`, upper
//! case directions, float-second steps and times, RFC3339 and nanosecond
//! times, paging by moving `end`/`start` to the last timestamp seen,
//! `since=`, and the metadata endpoints with `start`/`end`; plus a loose
//! latency bound on labels, label values and series.

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use common::*;
use serde_json::{json, Value};

const SEC: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;

/// The stream `{app="pager"}`: `n` entries, two of them sharing a timestamp.
fn pager_entries(base: i64, n: usize) -> Vec<(i64, String)> {
    (0..n)
        .map(|i| {
            // Entry 100 repeats the timestamp of entry 99.
            let k = if i == 100 { 99 } else { i } as i64;
            (base + k * 7 * MS + 3, format!("pager line {i:04}"))
        })
        .collect()
}

fn get_json(s: &Server, path: &str, params: &[(&str, &str)], tenant: Option<&str>) -> Value {
    let headers: Vec<(&str, &str)> = tenant.map(|t| ("X-Scope-OrgID", t)).into_iter().collect();
    let (status, body) = get(&s.url(path), params, &headers);
    assert_eq!(status, 200, "{path} {params:?}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

fn log_page(s: &Server, params: &[(&str, &str)]) -> Vec<(i64, String)> {
    query_range(s, None, params, false)
        .into_iter()
        .map(|g| (g.ts, g.line))
        .collect()
}

struct Setup {
    server: Server,
    base: i64,
    entries: Vec<(i64, String)>,
}

fn setup() -> Setup {
    let server = Server::start(&[]);
    let base = (now_ns() - 30 * 60 * SEC) / SEC * SEC; // whole second
    let entries = pager_entries(base, 250);
    let es: Vec<ProtoEntry> = entries
        .iter()
        .map(|(t, l)| (*t, l.as_str(), &[][..]))
        .collect();
    let other = proto_stream(r#"{app="other", env="dev"}"#, &[(base, "other line", &[])]);
    let (st, body) = push_proto(
        &server,
        "/loki/api/v1/push",
        None,
        vec![proto_stream(r#"{app="pager", env="prod"}"#, &es), other],
    );
    assert_eq!(st, 204, "{body}");
    Setup {
        server,
        base,
        entries,
    }
}

/// logcli's paging: repeat with `end` = oldest returned + 1ns (backward) or
/// `start` = newest returned (forward), dropping entries already seen at
/// the boundary timestamp.
fn page_through(
    s: &Server,
    forward: bool,
    start: i64,
    end: i64,
    batch: usize,
) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = Vec::new();
    let (mut start, mut end) = (start, end);
    let batch_s = batch.to_string();
    for _ in 0..1000 {
        let (a, b) = (start.to_string(), end.to_string());
        let page = log_page(
            s,
            &[
                ("query", r#"{app="pager"}"#),
                ("start", &a),
                ("end", &b),
                ("limit", &batch_s),
                ("direction", if forward { "FORWARD" } else { "BACKWARD" }),
            ],
        );
        assert!(page.len() <= batch, "limit respected");
        let boundary: BTreeSet<&(i64, String)> = match out.last() {
            Some((ts, _)) => out.iter().rev().take_while(|(t, _)| t == ts).collect(),
            None => BTreeSet::new(),
        };
        let fresh: Vec<(i64, String)> = page
            .iter()
            .filter(|e| !boundary.contains(e))
            .cloned()
            .collect();
        // Every repeated entry sits on the boundary timestamp.
        let repeated = page.len() - fresh.len();
        if let Some((ts, _)) = out.last() {
            assert!(
                page.iter().take(repeated).all(|(t, _)| t == ts),
                "overlap only at the boundary"
            );
        }
        out.extend(fresh.iter().cloned());
        if page.len() < batch || fresh.is_empty() {
            break;
        }
        let last = page.last().map(|(t, _)| *t).unwrap_or_default();
        if forward {
            start = last;
        } else {
            end = last + 1;
        }
    }
    out
}

#[test]
fn logcli_requests() {
    let Setup {
        server: s,
        base,
        entries,
    } = setup();
    let from = base - 60 * SEC;
    let to = now_ns() + 60 * SEC;
    let mut newest_first = entries.clone();
    newest_first.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut oldest_first = entries.clone();
    oldest_first.sort();

    // Paging: batches of 7 (uneven), 99 (ends on the shared timestamp), 1000.
    for batch in [7, 99, 1000] {
        let mut got = page_through(&s, false, from, to, batch);
        let mut want = newest_first.clone();
        // Entries sharing a timestamp may come in either order.
        got.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        want.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        assert_eq!(got, want, "backward paging, batch {batch}");
        let got = page_through(&s, true, from, to, batch);
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(sorted, oldest_first, "forward paging, batch {batch}");
        assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "forward order");
    }

    // Upper and lower case directions, limits.
    let (a, b) = (from.to_string(), to.to_string());
    for (dir, want) in [
        ("BACKWARD", &newest_first),
        ("backward", &newest_first),
        ("FORWARD", &oldest_first),
        ("forward", &oldest_first),
    ] {
        let page = log_page(
            &s,
            &[
                ("query", r#"{app="pager"}"#),
                ("start", &a),
                ("end", &b),
                ("limit", "10"),
                ("direction", dir),
            ],
        );
        let ts: Vec<i64> = page.iter().map(|e| e.0).collect();
        let want_ts: Vec<i64> = want[..10].iter().map(|e| e.0).collect();
        assert_eq!(ts, want_ts, "{dir}");
    }
    let (st, body) = get(
        &s.url("/loki/api/v1/query_range"),
        &[("query", r#"{app="pager"}"#), ("direction", "sideways")],
        &[],
    );
    assert_eq!((st, body.as_str()), (400, "invalid direction 'sideways'"));

    // The same window as nanoseconds, float seconds (ms precision) and RFC3339.
    let w0 = base + 350 * MS; // entries 50.. (ts = base + 7ms*k + 3ns)
    let w1 = base + 700 * MS;
    let ns = (w0.to_string(), w1.to_string());
    let float = (
        format!("{}.{:03}", w0 / SEC, (w0 % SEC) / MS),
        format!("{}.{:03}", w1 / SEC, (w1 % SEC) / MS),
    );
    let rfc = (
        chrono::DateTime::from_timestamp_nanos(w0)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        chrono::DateTime::from_timestamp_nanos(w1)
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
    );
    let want: Vec<(i64, String)> = oldest_first
        .iter()
        .filter(|(t, _)| *t >= w0 && *t < w1)
        .cloned()
        .collect();
    assert_eq!(want.len(), 51);
    for (a, b) in [&ns, &float, &rfc] {
        let page = log_page(
            &s,
            &[
                ("query", r#"{app="pager"}"#),
                ("start", a),
                ("end", b),
                ("limit", "1000"),
                ("direction", "FORWARD"),
                ("step", "0.5"),
            ],
        );
        let mut page = page;
        page.sort();
        assert_eq!(page, want, "start={a} end={b}");
    }

    // A metric query with a float step of half a second.
    let m0 = (base / SEC).to_string();
    let m1 = (base / SEC + 2).to_string();
    let v = get_json(
        &s,
        "/loki/api/v1/query_range",
        &[
            ("query", r#"count_over_time({app="pager"}[500ms])"#),
            ("start", &m0),
            ("end", &m1),
            ("step", "0.5"),
        ],
        None,
    );
    assert_eq!(v["data"]["resultType"], "matrix", "{v}");
    let values = v["data"]["result"][0]["values"]
        .as_array()
        .expect("values")
        .clone();
    let times: Vec<f64> = values
        .iter()
        .map(|p| p[0].as_f64().expect("time"))
        .collect();
    let b0 = (base / SEC) as f64;
    // No entry in (start-0.5s, start]: that step is absent.
    assert_eq!(times, [b0 + 0.5, b0 + 1.0, b0 + 1.5, b0 + 2.0], "{v}");
    // Entries at base+7ms*k+3ns in (t-0.5s, t]: k in 0..=71, 72..=142
    // (with the repeated 99), 143..=214, 215..=249.
    let counts: Vec<&str> = values
        .iter()
        .map(|p| p[1].as_str().expect("value"))
        .collect();
    assert_eq!(counts, ["72", "71", "72", "35"], "{v}");

    // since=: the data is 30 minutes old.
    let all = log_page(
        &s,
        &[
            ("query", r#"{app="pager"}"#),
            ("since", "1h"),
            ("limit", "1000"),
        ],
    );
    assert_eq!(all.len(), entries.len());
    let none = log_page(
        &s,
        &[
            ("query", r#"{app="pager"}"#),
            ("since", "10m"),
            ("limit", "1000"),
        ],
    );
    assert!(none.is_empty());

    // Metadata: single `match=` as logcli sends it, `match[]` as Grafana does.
    let pager = json!({"app": "pager", "env": "prod", "service_name": "pager"});
    let other = json!({"app": "other", "env": "dev", "service_name": "other"});
    for key in ["match", "match[]"] {
        let v = get_json(
            &s,
            "/loki/api/v1/series",
            &[(key, r#"{app="pager"}"#), ("start", &a), ("end", &b)],
            None,
        );
        assert_eq!(v, json!({"status": "success", "data": [pager]}), "{key}");
    }
    let v = get_json(
        &s,
        "/loki/api/v1/series",
        &[("match", "{env=~\".+\"}"), ("start", &a), ("end", &b)],
        None,
    );
    let mut got = v["data"].as_array().expect("data").clone();
    got.sort_by_key(|x| x.to_string());
    assert_eq!(got, vec![other.clone(), pager.clone()]);

    let v = get_json(
        &s,
        "/loki/api/v1/labels",
        &[("start", &a), ("end", &b)],
        None,
    );
    assert_eq!(v["data"], json!(["app", "env", "service_name"]), "{v}");
    let v = get_json(
        &s,
        "/loki/api/v1/label/app/values",
        &[("start", &a), ("end", &b)],
        None,
    );
    assert_eq!(v["data"], json!(["other", "pager"]), "{v}");
    let v = get_json(
        &s,
        "/loki/api/v1/label/env/values",
        &[("start", &a), ("end", &b), ("query", r#"{app="pager"}"#)],
        None,
    );
    assert_eq!(v["data"], json!(["prod"]), "{v}");

    // A window two days before the data finds nothing.
    let (e0, e1) = (
        (base - 2 * 86_400 * SEC).to_string(),
        (base - 86_400 * SEC).to_string(),
    );
    let v = get_json(
        &s,
        "/loki/api/v1/series",
        &[("match", r#"{app="pager"}"#), ("start", &e0), ("end", &e1)],
        None,
    );
    assert_eq!(v["data"], json!([]), "{v}");
    let v = get_json(
        &s,
        "/loki/api/v1/labels",
        &[("start", &e0), ("end", &e1)],
        None,
    );
    assert!(v.get("data").is_none_or(|d| d == &json!([])), "{v}");
    let v = get_json(
        &s,
        "/loki/api/v1/label/app/values",
        &[("start", &e0), ("end", &e1)],
        None,
    );
    assert!(v.get("data").is_none_or(|d| d == &json!([])), "{v}");
    // RFC3339 and float-second bounds work on metadata too.
    let f0 = format!("{}.000", (base - 60 * SEC) / SEC);
    let v = get_json(
        &s,
        "/loki/api/v1/series",
        &[
            ("match", r#"{app="pager"}"#),
            ("start", &f0),
            ("end", &rfc.1),
        ],
        None,
    );
    assert_eq!(v["data"], json!([pager]), "{v}");
}

#[test]
fn metadata_endpoints_are_fast() {
    let s = Server::start(&[]);
    let base = now_ns() - 20 * 60 * SEC;
    // 100 streams, 40 entries each, pushed in four requests.
    for part in 0..4 {
        let streams: Vec<_> = (part * 25..part * 25 + 25)
            .map(|i| {
                let labels = format!(
                    r#"{{app="app{:02}", env="{}", pod="pod-{i:03}", level="{}"}}"#,
                    i % 20,
                    ["prod", "dev", "staging"][i % 3],
                    ["info", "warn", "error", "debug"][i % 4]
                );
                let lines: Vec<String> = (0..40)
                    .map(|k| format!("stream {i} line {k} some text"))
                    .collect();
                let es: Vec<ProtoEntry> = lines
                    .iter()
                    .enumerate()
                    .map(|(k, l)| (base + k as i64 * SEC, l.as_str(), &[][..]))
                    .collect();
                proto_stream(&labels, &es)
            })
            .collect();
        let (st, body) = push_proto(&s, "/loki/api/v1/push", None, streams);
        assert_eq!(st, 204, "{body}");
    }
    let (a, b) = (
        (base - 60 * SEC).to_string(),
        (now_ns() + 60 * SEC).to_string(),
    );
    let range = [("start", a.as_str()), ("end", b.as_str())];
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, usize);
    let cases: Vec<Case> = vec![
        ("/loki/api/v1/labels", range.to_vec(), 5),
        ("/loki/api/v1/label/pod/values", range.to_vec(), 100),
        ("/loki/api/v1/label/app/values", range.to_vec(), 20),
        (
            "/loki/api/v1/series",
            [&range[..], &[("match[]", "{env=~\".+\"}")]].concat(),
            100,
        ),
        (
            "/loki/api/v1/series",
            [&range[..], &[("match", r#"{env="prod"}"#)]].concat(),
            34,
        ),
    ];
    for (path, params, n) in cases {
        // Warm up once, then take the best of five.
        let v = get_json(&s, path, &params, None);
        assert_eq!(v["data"].as_array().map(Vec::len), Some(n), "{path}: {v}");
        let best = (0..5)
            .map(|_| {
                let t0 = Instant::now();
                get_json(&s, path, &params, None);
                t0.elapsed()
            })
            .min()
            .unwrap_or_default();
        println!("{path} {params:?}: {:.2} ms", best.as_secs_f64() * 1000.0);
        assert!(best.as_millis() < 50, "{path} took {best:?}");
    }
}

//! Conformance with Grafana Loki 3.7.6: pushes the vendored data set the way
//! `lokicompat.py push` does, replays every recorded request and compares the
//! answers with the rules of `tests/conformance/UPSTREAM-README.md`.
//!
//! `tests/conformance/known-failures.txt` lists case ids not passing yet, one
//! per line with the reason. The test fails when an unlisted case fails or a
//! listed case passes (so the list only shrinks). Set `CONFORMANCE_ONLY=<substr>`
//! to run a subset and `CONFORMANCE_VERBOSE=1` to print every failure.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};

use serde_json::{json, Value};

use common::Server;

const DATA: &str = "tests/conformance/data.jsonl.zst";
const GOLDEN: &str = "tests/conformance/golden.jsonl.zst";
const KNOWN_FAILURES: &str = "tests/conformance/known-failures.txt";

/// The UTC day the answers were recorded on: what the template function
/// `now` printed (as `{{ date "2006-01-02" now }}`) in Loki's answers.
const RECORDED_DAY: &str = "2026-11-22";

/// Whether `query` calls the template function `now`, whose answer is the
/// wall clock's.
fn calls_now(query: &str) -> bool {
    query
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|word| word == "now")
}

/// `golden` with the recorded day replaced by `day`: the answer Loki would
/// have given on `day`.
fn golden_on(golden: &Value, day: &str) -> Value {
    let text = golden.to_string().replace(RECORDED_DAY, day);
    serde_json::from_str(&text).expect("golden with the day replaced")
}

/// The current UTC day as `YYYY-MM-DD`.
fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// The settings Loki ran with when the answers were recorded.
const SERVER_FLAGS: &[&str] = &[
    "--reject-old-samples-max-age",
    "0",
    "--retention",
    "0",
    "--ingestion-rate-mb",
    "0",
    "--per-stream-rate-limit",
    "0",
    "--max-query-series",
    "100000",
    "--max-entries-limit-per-query",
    "100000",
];

fn read_zst_lines(path: &str) -> Vec<String> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let dec = zstd::stream::read::Decoder::new(f).expect("zstd");
    BufReader::new(dec)
        .lines()
        .map(|l| l.expect("line"))
        .collect()
}

/// Pushes the data set as JSON, 2000 entries a request, grouped by stream.
fn push_data(server: &Server) {
    let lines = read_zst_lines(DATA);
    for batch in lines.chunks(2000) {
        let mut streams: BTreeMap<String, (Value, Vec<Value>)> = BTreeMap::new();
        for line in batch {
            let rec: Value = serde_json::from_str(line).expect("data line");
            let key = rec["stream"].to_string();
            let mut v = vec![rec["ts"].clone(), rec["line"].clone()];
            if let Some(meta) = rec
                .get("meta")
                .filter(|m| m.as_object().is_some_and(|o| !o.is_empty()))
            {
                v.push(meta.clone());
            }
            streams
                .entry(key)
                .or_insert_with(|| (rec["stream"].clone(), Vec::new()))
                .1
                .push(Value::Array(v));
        }
        let body = json!({"streams": streams.into_values()
            .map(|(s, v)| json!({"stream": s, "values": v})).collect::<Vec<_>>()});
        common::push_json(server, &body);
    }
}

fn run_case(server: &Server, case: &Value) -> (u16, Value) {
    let mut params: Vec<(String, String)> = Vec::new();
    if let Some(p) = case["params"].as_object() {
        for (k, v) in p {
            match v {
                Value::Array(items) => {
                    for i in items {
                        params.push((k.clone(), i.as_str().unwrap_or_default().to_string()));
                    }
                }
                Value::String(s) => params.push((k.clone(), s.clone())),
                other => params.push((k.clone(), other.to_string())),
            }
        }
    }
    let headers: Vec<(String, String)> = case["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let p: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = case["path"].as_str().unwrap_or("/");
    match common::try_get(&server.url(path), &p, &h) {
        Ok((status, text)) => {
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            (status, body)
        }
        Err(e) => (0, Value::String(format!("request failed: {e}"))),
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "+Inf" | "Inf" => Some(f64::INFINITY),
            "-Inf" => Some(f64::NEG_INFINITY),
            _ => s.parse().ok(),
        },
        _ => None,
    }
}

fn close(a: &Value, b: &Value) -> bool {
    match (as_f64(a), as_f64(b)) {
        (Some(a), Some(b)) => {
            if a.is_nan() || b.is_nan() {
                a.is_nan() && b.is_nan()
            } else if a.is_infinite() || b.is_infinite() {
                a == b
            } else {
                (a - b).abs() <= 1e-6 * 1f64.max(a.abs()).max(b.abs())
            }
        }
        _ => false,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(200).collect()
}

/// None when `got` is equivalent to `want` (lokicompat.py's `diff`).
fn diff(want: &Value, got: &Value) -> Option<String> {
    let (Some(w), Some(g)) = (want.as_object(), got.as_object()) else {
        return (want != got).then(|| format!("body {} != {}", short(got), short(want)));
    };
    if w.get("status") != g.get("status") {
        return Some(format!(
            "status field {:?} != {:?}",
            g.get("status"),
            w.get("status")
        ));
    }
    let (wd, gd) = (&w["data"], g.get("data").unwrap_or(&Value::Null));
    if let Some(wl) = wd.as_array() {
        let Some(gl) = gd.as_array() else {
            return Some(format!("data is {}, want a list", short(gd)));
        };
        let ws: BTreeSet<String> = wl.iter().map(|x| x.to_string()).collect();
        let gs: BTreeSet<String> = gl.iter().map(|x| x.to_string()).collect();
        if ws != gs || wl.len() != gl.len() {
            let missing: Vec<_> = ws.difference(&gs).take(3).collect();
            let extra: Vec<_> = gs.difference(&ws).take(3).collect();
            return Some(format!(
                "list differs: {} items vs {} wanted; missing {missing:?}; unexpected {extra:?}",
                gl.len(),
                wl.len()
            ));
        }
        return None;
    }
    let (Some(wd), Some(gd)) = (wd.as_object(), gd.as_object()) else {
        return (wd != gd).then(|| format!("data {} != {}", short(gd), short(wd)));
    };
    let Some(rt) = wd.get("resultType") else {
        for (k, v) in wd {
            if k != "stats" && Some(v) != gd.get(k) {
                return Some(format!(
                    "data.{k}: {} != {}",
                    short(gd.get(k).unwrap_or(&Value::Null)),
                    short(v)
                ));
            }
        }
        return None;
    };
    if Some(rt) != gd.get("resultType") {
        return Some(format!("resultType {:?} != {rt}", gd.get("resultType")));
    }
    let (wr, gr) = (&wd["result"], gd.get("result").unwrap_or(&Value::Null));
    if rt == "scalar" {
        let ok = (wr[0] == gr[0] || close(&wr[0], &gr[0])) && close(&wr[1], &gr[1]);
        return (!ok).then(|| format!("scalar {} != {}", short(gr), short(wr)));
    }
    let lab = if rt == "streams" { "stream" } else { "metric" };
    let index = |r: &Value| -> BTreeMap<String, Value> {
        r.as_array()
            .map(|a| a.iter().map(|x| (x[lab].to_string(), x.clone())).collect())
            .unwrap_or_default()
    };
    let (wm, gm) = (index(wr), index(gr));
    if wm.keys().ne(gm.keys()) {
        let wk: BTreeSet<_> = wm.keys().collect();
        let gk: BTreeSet<_> = gm.keys().collect();
        let missing: Vec<_> = wk.difference(&gk).take(3).collect();
        let extra: Vec<_> = gk.difference(&wk).take(3).collect();
        return Some(format!(
            "{} {lab}s vs {} wanted; missing {missing:?}; unexpected {extra:?}",
            gm.len(),
            wm.len()
        ));
    }
    for (k, w) in &wm {
        let g = &gm[k];
        match rt.as_str() {
            Some("streams") => {
                let (wv, gv) = (w["values"].as_array(), g["values"].as_array());
                let (wv, gv) = (
                    wv.cloned().unwrap_or_default(),
                    gv.cloned().unwrap_or_default(),
                );
                if wv.len() != gv.len() {
                    return Some(format!(
                        "stream {k}: {} entries vs {} wanted",
                        gv.len(),
                        wv.len()
                    ));
                }
                for (i, (a, b)) in wv.iter().zip(&gv).enumerate() {
                    if a != b {
                        return Some(format!(
                            "stream {k} entry {i}: {} != {}",
                            short(b),
                            short(a)
                        ));
                    }
                }
            }
            Some("matrix") => {
                let (wv, gv) = (w["values"].as_array(), g["values"].as_array());
                let (wv, gv) = (
                    wv.cloned().unwrap_or_default(),
                    gv.cloned().unwrap_or_default(),
                );
                if wv.len() != gv.len() {
                    return Some(format!(
                        "series {k}: {} points vs {} wanted",
                        gv.len(),
                        wv.len()
                    ));
                }
                for (a, b) in wv.iter().zip(&gv) {
                    if !close(&a[0], &b[0]) || !close(&a[1], &b[1]) {
                        return Some(format!("series {k}: point {} != {}", short(b), short(a)));
                    }
                }
            }
            _ => {
                let (a, b) = (&w["value"], &g["value"]);
                if !close(&a[0], &b[0]) || !close(&a[1], &b[1]) {
                    return Some(format!("sample {k}: {} != {}", short(b), short(a)));
                }
            }
        }
    }
    None
}

fn compare(golden: &Value, status: u16, body: &Value) -> Option<String> {
    let want = golden["status"].as_u64().unwrap_or(0) as u16;
    if want / 100 != 2 {
        let non_empty = match body {
            Value::String(s) => !s.is_empty(),
            Value::Null => false,
            _ => true,
        };
        return (status / 100 != want / 100 || !non_empty)
            .then(|| format!("HTTP {status}, want an error {want}"));
    }
    if status != want {
        return Some(format!("HTTP {status} ({}), want {want}", short(body)));
    }
    diff(&golden["body"], body)
}

fn known_failures() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(KNOWN_FAILURES).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (id.to_string(), reason.trim().to_string())
        })
        .collect()
}

#[test]
fn conformance_with_loki_3_7() {
    let server = Server::start(SERVER_FLAGS);
    push_data(&server);
    let (status, _) = common::post(&server.url("/flush"), b"", &[]);
    assert!(status / 100 == 2, "flush answered {status}");

    let only = std::env::var("CONFORMANCE_ONLY").unwrap_or_default();
    let verbose = std::env::var_os("CONFORMANCE_VERBOSE").is_some();
    let known = known_failures();
    let (mut passed, mut failed) = (0, 0);
    let mut unexpected_failures = Vec::new();
    let mut unexpected_passes = Vec::new();
    let mut seen = BTreeSet::new();
    for line in read_zst_lines(GOLDEN) {
        let case: Value = serde_json::from_str(&line).expect("golden line");
        let id = case["id"].as_str().unwrap_or_default().to_string();
        if !id.contains(&only) {
            continue;
        }
        seen.insert(id.clone());
        let query = case["params"]["query"].as_str().unwrap_or_default();
        let outcome = if calls_now(query) {
            // Compare with the answer Loki gives on the day kindling
            // answered (either day, should the request straddle midnight).
            let before = today();
            let (status, body) = run_case(&server, &case);
            let after = today();
            compare(&golden_on(&case, &before), status, &body)
                .and_then(|why| compare(&golden_on(&case, &after), status, &body).map(|_| why))
        } else {
            let (status, body) = run_case(&server, &case);
            compare(&case, status, &body)
        };
        match outcome {
            None => {
                passed += 1;
                if known.contains_key(&id) {
                    unexpected_passes.push(id);
                }
            }
            Some(why) => {
                failed += 1;
                if verbose || !known.contains_key(&id) {
                    eprintln!("FAIL {id}: {why}\n     query: {query}");
                }
                if !known.contains_key(&id) {
                    unexpected_failures.push(id);
                }
            }
        }
    }
    let stale: Vec<_> = known
        .keys()
        .filter(|k| only.is_empty() && !seen.contains(*k))
        .collect();
    println!("{passed} passed, {failed} failed");
    eprintln!("{passed} passed, {failed} failed");
    assert!(
        stale.is_empty(),
        "known-failures.txt lists unknown cases: {stale:?}"
    );
    assert!(
        unexpected_passes.is_empty(),
        "these cases pass now; remove them from known-failures.txt: {unexpected_passes:?}"
    );
    assert!(
        unexpected_failures.is_empty(),
        "{} cases fail that known-failures.txt does not list: {unexpected_failures:?}",
        unexpected_failures.len()
    );
}

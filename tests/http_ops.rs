//! Operations: `/ready` during WAL replay, `/metrics` in the Prometheus text
//! format with the documented names, `buildinfo`, and graceful shutdown
//! (exit 0, heads cut to chunks, WAL emptied, pushes refused, not lost).

mod common;

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const SEC: i64 = 1_000_000_000;

/// Pushes `pushes` requests of `per_push` entries into `{app="bulk"}` and
/// returns the count pushed.
fn push_bulk(s: &Server, base: i64, pushes: usize, per_push: usize) -> usize {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for p in 0..pushes {
        let lines: Vec<String> = (0..per_push)
            .map(|k| {
                format!(
                    "bulk {p} {k} {:016x}{:016x}{:016x}",
                    noise(),
                    noise(),
                    noise()
                )
            })
            .collect();
        let es: Vec<ProtoEntry> = lines
            .iter()
            .enumerate()
            .map(|(k, l)| (base + (p * per_push + k) as i64, l.as_str(), &[][..]))
            .collect();
        let streams = vec![proto_stream(
            &format!(r#"{{app="bulk", part="{}"}}"#, p % 8),
            &es,
        )];
        let (st, body) = push_proto(s, "/loki/api/v1/push", None, streams);
        assert_eq!(st, 204, "{body}");
    }
    pushes * per_push
}

fn count_bulk(s: &Server, from: i64, to: i64) -> usize {
    let v = get(
        &s.url("/loki/api/v1/query"),
        &[
            ("query", r#"sum(count_over_time({app="bulk"}[2h]))"#),
            ("time", &to.to_string()),
        ],
        &[],
    );
    assert_eq!(v.0, 200, "{}", v.1);
    let _ = from;
    let j: serde_json::Value = serde_json::from_str(&v.1).expect("json");
    j["data"]["result"][0]["value"][1]
        .as_str()
        .map(|n| n.parse().expect("count"))
        .unwrap_or(0)
}

fn wal_bytes(data: &std::path::Path) -> Vec<(String, u64)> {
    std::fs::read_dir(data.join("wal"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| {
                    let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                    (e.file_name().to_string_lossy().into_owned(), len)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// No rate limits: the replay test pushes fast.
const UNLIMITED: &[&str] = &["--ingestion-rate-mb", "0", "--per-stream-rate-limit", "0"];

#[test]
fn ready_is_503_during_replay_then_200() {
    let mut s = Server::start(UNLIMITED);
    let base = now_ns() - 30 * 60 * SEC;
    let n = push_bulk(&s, base, 60, 1000);
    s.kill(); // SIGKILL: the heads are only in the WAL now
    let wal: u64 = wal_bytes(&s.data).iter().map(|(_, n)| n).sum();
    println!("WAL to replay: {wal} bytes");
    assert!(wal > 1 << 20, "a WAL to replay");

    let data = s.data.clone();
    let s2 = Server::spawn_in(&data, UNLIMITED);
    let t0 = Instant::now();
    let mut seen = Vec::new();
    let mut push_statuses = BTreeSet::new();
    let mut last_push = 503;
    loop {
        let (status, body) = get(&s2.url("/ready"), &[], &[]);
        if seen.last() != Some(&status) {
            seen.push(status);
        }
        match status {
            200 => {
                assert_eq!(body, "ready");
                break;
            }
            503 => {
                assert!(body.starts_with("Ingester not ready"), "{body}");
                // Readiness never goes back: a push taken before this poll
                // means the replay was already done.
                assert_eq!(last_push, 503, "a push was accepted before /ready said 200");
                // Pushes wait for the replay too (or the replay just ended).
                let (st, _) = push_proto(
                    &s2,
                    "/loki/api/v1/push",
                    None,
                    vec![proto_stream(r#"{app="early"}"#, &[(now_ns(), "x", &[])])],
                );
                push_statuses.insert(st);
                last_push = st;
            }
            other => panic!("/ready answered {other}: {body}"),
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "replay never finished"
        );
    }
    println!(
        "/ready statuses {seen:?} over {:?}; pushes during replay: {push_statuses:?}",
        t0.elapsed()
    );
    assert_eq!(seen.last(), Some(&200));
    assert!(
        push_statuses.iter().all(|s| *s == 503 || *s == 204),
        "{push_statuses:?}"
    );
    let now = now_ns();
    assert_eq!(count_bulk(&s2, base, now), n, "everything replayed");
}

/// Metric names and types from the README's Metrics section.
const DOCUMENTED: &[(&str, &str)] = &[
    ("kindling_ingest_lines_total", "counter"),
    ("kindling_ingest_bytes_total", "counter"),
    ("kindling_ingest_rejected_lines_total", "counter"),
    ("kindling_wal_bytes_written_total", "counter"),
    ("kindling_wal_fsyncs_total", "counter"),
    ("kindling_wal_size_bytes", "gauge"),
    ("kindling_active_streams", "gauge"),
    ("kindling_head_bytes", "gauge"),
    ("kindling_chunks_written_total", "counter"),
    ("kindling_chunk_bytes_written_total", "counter"),
    ("kindling_days_sealed_total", "counter"),
    ("kindling_days_dropped_total", "counter"),
    ("kindling_disk_bytes", "gauge"),
    ("kindling_recovery_errors_total", "counter"),
    ("kindling_http_requests_total", "counter"),
    ("kindling_query_duration_seconds", "histogram"),
    ("kindling_process_resident_memory_bytes", "gauge"),
    ("kindling_build_info", "gauge"),
];

/// Parses one sample line `name{labels} value` of the text format.
fn parse_sample(line: &str) -> Option<(String, String, f64)> {
    let (series, value) = line.rsplit_once(' ')?;
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().ok()?,
    };
    let (name, labels) = match series.find('{') {
        Some(i) => {
            let labels = series[i..].strip_prefix('{')?.strip_suffix('}')?;
            (&series[..i], labels)
        }
        None => (series, ""),
    };
    let ok_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    if !ok_name {
        return None;
    }
    // label="value" pairs, values with \" and \\ escapes.
    let mut rest = labels;
    while !rest.is_empty() {
        let (lname, after) = rest.split_once("=\"")?;
        if !lname.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let mut chars = after.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        rest = &after[end? + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    Some((name.to_string(), labels.to_string(), value))
}

#[test]
fn metrics_and_buildinfo() {
    let s = Server::start(&[]);
    let now = now_ns();
    let (st, body) = push_proto(
        &s,
        "/loki/api/v1/push",
        None,
        vec![proto_stream(
            r#"{app="m"}"#,
            &[(now, "one", &[]), (now + 1, &"x".repeat(300_000), &[])],
        )],
    );
    assert_eq!(st, 400, "{body}");
    let got = read_all(&s, None, r#"{app="m"}"#, now - SEC, now + SEC, false);
    assert_eq!(got.len(), 1);
    let (st, _) = post(&s.url("/flush"), b"", &[]);
    assert_eq!(st, 204);

    let (status, text) = get(&s.url("/metrics"), &[], &[]);
    assert_eq!(status, 200);
    let mut types = std::collections::HashMap::new();
    let mut samples: Vec<(String, String, f64)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').expect("TYPE line");
            assert!(
                types.insert(name.to_string(), ty.to_string()).is_none(),
                "TYPE twice: {name}"
            );
        } else if line.starts_with("# HELP ") {
        } else {
            let sample = parse_sample(line).unwrap_or_else(|| panic!("bad sample line {line:?}"));
            samples.push(sample);
        }
    }
    for (name, ty) in DOCUMENTED {
        assert_eq!(
            types.get(*name).map(String::as_str),
            Some(*ty),
            "# TYPE of {name}"
        );
    }
    let has = |name: &str, labels: &str| -> f64 {
        samples
            .iter()
            .find(|(n, l, _)| n == name && l.contains(labels))
            .map(|(_, _, v)| *v)
            .unwrap_or_else(|| panic!("no sample {name}{{{labels}}} in\n{text}"))
    };
    assert_eq!(has("kindling_ingest_lines_total", r#"tenant="fake""#), 1.0);
    assert_eq!(has("kindling_ingest_bytes_total", r#"tenant="fake""#), 3.0);
    assert_eq!(
        has(
            "kindling_ingest_rejected_lines_total",
            r#"reason="line_too_long""#
        ),
        1.0
    );
    assert!(has("kindling_wal_bytes_written_total", "") > 0.0);
    assert!(has("kindling_chunks_written_total", "") >= 1.0);
    assert!(has("kindling_chunk_bytes_written_total", "") > 0.0);
    assert!(has("kindling_process_resident_memory_bytes", "") > 1e6);
    assert_eq!(has("kindling_build_info", "version="), 1.0);
    assert_eq!(has("kindling_recovery_errors_total", ""), 0.0);
    for gauge in [
        "kindling_wal_size_bytes",
        "kindling_active_streams",
        "kindling_head_bytes",
    ] {
        has(gauge, "");
    }
    assert!(has("kindling_disk_bytes", "day=\"") > 0.0);
    assert!(
        has(
            "kindling_http_requests_total",
            r#"route="/loki/api/v1/push""#
        ) >= 1.0
    );
    assert!(has("kindling_http_requests_total", r#"status="400""#) >= 1.0);
    assert!(has("kindling_query_duration_seconds_count", r#"kind="log""#) >= 1.0);
    assert!(has("kindling_query_duration_seconds_bucket", r#"le="+Inf""#) >= 1.0);
    has("kindling_query_duration_seconds_sum", r#"kind="log""#);

    let (status, body) = get(&s.url("/loki/api/v1/status/buildinfo"), &[], &[]);
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("bare JSON object");
    for key in [
        "version",
        "revision",
        "branch",
        "buildUser",
        "buildDate",
        "goVersion",
    ] {
        assert!(v[key].is_string(), "{key} in {body}");
    }
    assert!(v.get("status").is_none(), "no envelope: {body}");
}

#[test]
fn sigterm_cuts_heads_empties_the_wal_and_exits_zero() {
    let mut s = Server::start(&[]);
    let base = now_ns() - 20 * 60 * SEC;
    let n = push_bulk(&s, base, 10, 500);
    assert!(
        wal_bytes(&s.data).iter().any(|(_, n)| *n > 28),
        "WAL written"
    );
    // Idle for a moment, then SIGTERM.
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    let status = s
        .stop_within(Duration::from_secs(10))
        .expect("exited in time");
    println!("shutdown took {:?}", t0.elapsed());
    assert!(status.success(), "{status:?}");
    assert!(t0.elapsed() < Duration::from_secs(5));
    // Every segment left holds at most its 28-byte header.
    let wal = wal_bytes(&s.data);
    assert!(
        wal.iter().all(|(_, n)| *n <= 28),
        "WAL not truncated: {wal:?}"
    );

    let data = s.data.clone();
    let s2 = Server::start_in(&data, &[]);
    assert_eq!(count_bulk(&s2, base, now_ns()), n);
    let m = metrics_text(&s2);
    assert_eq!(
        metric(&m, "kindling_recovery_errors_total"),
        Some(0.0),
        "{m}"
    );
}

#[test]
fn pushes_during_shutdown_are_refused_or_kept() {
    let mut s = Server::start(&[]);
    let base = now_ns() - 10 * 60 * SEC;
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let statuses: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let url = s.url("/loki/api/v1/push");
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let (stop, acked, statuses, url) =
                (stop.clone(), acked.clone(), statuses.clone(), url.clone());
            std::thread::spawn(move || {
                for seq in 0i64.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let line = format!("t{t} s{seq}");
                    let req = kindling::ingest::proto::PushRequest {
                        streams: vec![proto_stream(
                            &format!(r#"{{app="shut", t="{t}"}}"#),
                            &[(base + seq, &line, &[])],
                        )],
                        format: vec![],
                    };
                    match try_post(
                        &url,
                        &snappy_proto(&req),
                        &[("Content-Type", "application/x-protobuf")],
                    ) {
                        Ok((204, _)) => acked.lock().unwrap().push(line),
                        Ok((503, _)) => {
                            statuses.lock().unwrap().insert("503".into());
                        }
                        Ok((st, body)) => panic!("push during shutdown answered {st}: {body}"),
                        Err(e) => {
                            statuses.lock().unwrap().insert(format!("error: {e}"));
                            std::thread::sleep(Duration::from_millis(5));
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let status = s
        .stop_within(Duration::from_secs(10))
        .expect("exited in time");
    std::thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("pusher");
    }
    assert!(status.success(), "{status:?}");
    let acked = acked.lock().unwrap().clone();
    println!(
        "{} acknowledged; other outcomes {:?}",
        acked.len(),
        statuses.lock().unwrap()
    );
    assert!(!acked.is_empty());

    let data = s.data.clone();
    let s2 = Server::start_in(&data, &[]);
    let got: Vec<String> = read_all(&s2, None, r#"{app="shut"}"#, base, base + 10 * SEC, false)
        .into_iter()
        .map(|g| g.line)
        .collect();
    let got_set: HashSet<&String> = got.iter().collect();
    assert_eq!(got_set.len(), got.len(), "no duplicates");
    let lost: Vec<&String> = acked.iter().filter(|l| !got_set.contains(l)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}

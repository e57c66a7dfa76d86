//! Test support: start the real `kindling` binary on an ephemeral port and
//! speak HTTP to it.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running server and its data directory.
pub struct Server {
    child: Option<Child>,
    /// `host:port` it listens on.
    pub addr: String,
    /// Its data directory.
    pub data: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

/// Flags every test server gets unless the test overrides them: no age
/// limits or rate limits that would make test data depend on the wall clock.
pub const TEST_FLAGS: &[&str] = &["--log-level", "info"];

impl Server {
    /// Starts a server with a fresh temporary data directory.
    pub fn start(args: &[&str]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let mut s = Server::start_in(&data, args);
        s._tmp = Some(tmp);
        s
    }

    /// Starts a server on an existing data directory (for restart tests)
    /// and waits until it is ready.
    pub fn start_in(data: &Path, args: &[&str]) -> Server {
        let s = Server::spawn_in(data, args);
        s.wait_ready(Duration::from_secs(120));
        s
    }

    /// Starts a server on an existing data directory and returns as soon as
    /// it listens, before the WAL replay is done.
    pub fn spawn_in(data: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kindling"))
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data")
            .arg(data)
            .args(TEST_FLAGS)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kindling");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if std::env::var_os("KINDLING_TEST_LOG").is_some() {
                    eprintln!("[kindling] {line}");
                }
                if !sent && line.contains("listening") {
                    if let Some(addr) = line.split("addr=").nth(1) {
                        let addr = addr.split_whitespace().next().unwrap_or("").to_string();
                        let _ = tx.send(addr);
                        sent = true;
                    }
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server did not report its address");
        Server {
            child: Some(child),
            addr,
            data: data.to_path_buf(),
            _tmp: None,
        }
    }

    /// `http://addr` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Polls `/ready` until it answers 200.
    pub fn wait_ready(&self, timeout: Duration) {
        let t0 = Instant::now();
        while t0.elapsed() < timeout {
            if let Ok((200, _)) = try_get(&self.url("/ready"), &[], &[]) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server not ready after {timeout:?}");
    }

    /// Kills the process with SIGKILL (a crash) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM and waits for a clean exit; returns the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut c = self.child.take()?;
        // SAFETY: kill(2) with a pid we own.
        unsafe {
            libc::kill(c.id() as i32, libc::SIGTERM);
        }
        c.wait().ok()
    }

    /// Sends SIGTERM and waits at most `timeout` for the exit; on timeout
    /// the process is killed and None returned.
    pub fn stop_within(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let mut c = self.child.take()?;
        // SAFETY: kill(2) with a pid we own.
        unsafe {
            libc::kill(c.id() as i32, libc::SIGTERM);
        }
        let t0 = Instant::now();
        while t0.elapsed() < timeout {
            if let Ok(Some(status)) = c.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = c.kill();
        let _ = c.wait();
        None
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// GET with query parameters and headers; `(status, body)` or a transport error.
pub fn try_get(
    url: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Result<(u16, String), ureq::Error> {
    let mut req = agent().get(url);
    for (k, v) in params {
        req = req.query(*k, *v);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.call()?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .with_config()
        .limit(256 << 20)
        .read_to_string()?;
    Ok((status, body))
}

/// GET that panics on transport errors.
pub fn get(url: &str, params: &[(&str, &str)], headers: &[(&str, &str)]) -> (u16, String) {
    try_get(url, params, headers).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// POST a body with headers; `(status, body)` or a transport error.
pub fn try_post(
    url: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> Result<(u16, String), ureq::Error> {
    let mut req = agent().post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send(body)?;
    let status = resp.status().as_u16();
    let body = resp.into_body().read_to_string()?;
    Ok((status, body))
}

/// POST that panics on transport errors.
pub fn post(url: &str, body: &[u8], headers: &[(&str, &str)]) -> (u16, String) {
    try_post(url, body, headers).unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

/// POST a JSON push body to `/loki/api/v1/push`; panics unless it answers 204.
pub fn push_json(server: &Server, body: &serde_json::Value) {
    let (status, text) = post(
        &server.url("/loki/api/v1/push"),
        body.to_string().as_bytes(),
        &[("Content-Type", "application/json")],
    );
    assert_eq!(status, 204, "push failed: {text}");
}

/// Nanoseconds since the Unix epoch, now.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// A protobuf `PushRequest`, snappy block-compressed as Promtail sends it.
pub fn snappy_proto(req: &kindling::ingest::proto::PushRequest) -> Vec<u8> {
    use prost::Message;
    snap::raw::Encoder::new()
        .compress_vec(&req.encode_to_vec())
        .expect("snappy")
}

/// One entry to push: timestamp, line and structured metadata pairs.
pub type ProtoEntry<'a> = (i64, &'a str, &'a [(&'a str, &'a str)]);

/// One protobuf stream: labels text and `(ts, line, metadata)` entries.
pub fn proto_stream(
    labels: &str,
    entries: &[ProtoEntry],
) -> kindling::ingest::proto::StreamAdapter {
    use kindling::ingest::proto::{EntryAdapter, LabelPairAdapter, StreamAdapter, Timestamp};
    StreamAdapter {
        labels: labels.as_bytes().to_vec(),
        entries: entries
            .iter()
            .map(|(ts, line, md)| EntryAdapter {
                timestamp: Some(Timestamp::from_nanos(*ts)),
                line: line.as_bytes().to_vec(),
                structured_metadata: md
                    .iter()
                    .map(|(k, v)| LabelPairAdapter {
                        name: k.as_bytes().to_vec(),
                        value: v.as_bytes().to_vec(),
                    })
                    .collect(),
                parsed: vec![],
            })
            .collect(),
        hash: 0,
    }
}

/// POSTs a protobuf+snappy push to `path` as `tenant` (None: no header).
pub fn push_proto(
    server: &Server,
    path: &str,
    tenant: Option<&str>,
    streams: Vec<kindling::ingest::proto::StreamAdapter>,
) -> (u16, String) {
    let req = kindling::ingest::proto::PushRequest {
        streams,
        format: vec![],
    };
    let mut headers = vec![("Content-Type", "application/x-protobuf")];
    if let Some(t) = tenant {
        headers.push(("X-Scope-OrgID", t));
    }
    post(&server.url(path), &snappy_proto(&req), &headers)
}

/// One entry as a query returned it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Got {
    /// The `stream` object (stream labels; in the plain form also metadata).
    pub stream: std::collections::BTreeMap<String, String>,
    /// Timestamp in ns.
    pub ts: i64,
    /// The line.
    pub line: String,
    /// `structuredMetadata` of the categorized form (empty in the plain form).
    pub metadata: std::collections::BTreeMap<String, String>,
}

fn string_map(v: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// GET `/loki/api/v1/query_range` with `params`; panics unless 200. With
/// `categorize` the categorize-labels encoding is requested and checked.
pub fn query_range(
    server: &Server,
    tenant: Option<&str>,
    params: &[(&str, &str)],
    categorize: bool,
) -> Vec<Got> {
    let mut headers = vec![];
    if let Some(t) = tenant {
        headers.push(("X-Scope-OrgID", t));
    }
    if categorize {
        headers.push(("X-Loki-Response-Encoding-Flags", "categorize-labels"));
    }
    let (status, body) = get(&server.url("/loki/api/v1/query_range"), params, &headers);
    assert_eq!(status, 200, "query_range {params:?}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("query_range JSON");
    assert_eq!(v["status"], "success", "{body}");
    assert_eq!(v["data"]["resultType"], "streams", "{body}");
    if categorize {
        assert_eq!(
            v["data"]["encodingFlags"],
            serde_json::json!(["categorize-labels"]),
            "{body}"
        );
    }
    let mut out = Vec::new();
    for s in v["data"]["result"].as_array().expect("result array") {
        let stream = string_map(&s["stream"]);
        for value in s["values"].as_array().expect("values") {
            let arr = value.as_array().expect("value array");
            assert_eq!(arr.len(), if categorize { 3 } else { 2 }, "{value}");
            let ts: i64 = arr[0].as_str().expect("ts string").parse().expect("ts");
            let line = arr[1].as_str().expect("line string").to_string();
            let metadata = if categorize {
                string_map(&arr[2]["structuredMetadata"])
            } else {
                Default::default()
            };
            out.push(Got {
                stream: stream.clone(),
                ts,
                line,
                metadata,
            });
        }
    }
    out
}

/// Every entry of `query` in `[start, end)`, oldest first, asking for `limit`.
pub fn read_all(
    server: &Server,
    tenant: Option<&str>,
    query: &str,
    start: i64,
    end: i64,
    categorize: bool,
) -> Vec<Got> {
    let (s, e) = (start.to_string(), end.to_string());
    query_range(
        server,
        tenant,
        &[
            ("query", query),
            ("start", &s),
            ("end", &e),
            ("limit", "5000"),
            ("direction", "forward"),
        ],
        categorize,
    )
}

/// The value of the sample `series` (name with its `{labels}` exactly as
/// exported) in a `/metrics` text, or None.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// The `/metrics` text.
pub fn metrics_text(server: &Server) -> String {
    let (status, body) = get(&server.url("/metrics"), &[], &[]);
    assert_eq!(status, 200, "{body}");
    body
}

/// Go's `time.Time.String()` of a UTC time: `2024-01-01 00:00:00.5 +0000 UTC`.
pub fn go_time_string(ts: i64) -> String {
    let t = chrono::DateTime::from_timestamp_nanos(ts);
    let mut s = t.format("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = ts.rem_euclid(1_000_000_000);
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push_str(" +0000 UTC");
    s
}

/// Go's `time.RFC3339` of a UTC time (whole seconds): `2024-01-01T00:00:00Z`.
pub fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ts)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// POSTs a JSON push body (any bytes) as `application/json`.
pub fn push_json_raw(server: &Server, body: &[u8]) -> (u16, String) {
    post(
        &server.url("/loki/api/v1/push"),
        body,
        &[("Content-Type", "application/json")],
    )
}

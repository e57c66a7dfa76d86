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

    /// Starts a server on an existing data directory (for restart tests).
    pub fn start_in(data: &Path, args: &[&str]) -> Server {
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
        let s = Server {
            child: Some(child),
            addr,
            data: data.to_path_buf(),
            _tmp: None,
        };
        s.wait_ready(Duration::from_secs(120));
        s
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

//! End-to-end ingest load generator: reads a `loggen.py` JSONL file,
//! pre-encodes it as protobuf + snappy push requests of about 1 MiB (as
//! Promtail and Alloy send them), then pushes them over several connections
//! and reports the wall time. Works against kindling and against Loki.
//!
//! ```text
//! cargo run --release --example loadgen -- --target http://127.0.0.1:3100 \
//!     --data bench.jsonl [--connections 2] [--batch-bytes 1048576] [--tenant fake]
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kindling::ingest::proto::{
    EntryAdapter, LabelPairAdapter, PushRequest, StreamAdapter, Timestamp,
};
use kindling::model::Labels;
use prost::Message;

struct Args {
    target: String,
    data: String,
    connections: usize,
    batch_bytes: usize,
    tenant: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        target: "http://127.0.0.1:3100".into(),
        data: String::new(),
        connections: 2,
        batch_bytes: 1 << 20,
        tenant: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--target" => args.target = value()?,
            "--data" => args.data = value()?,
            "--connections" => args.connections = value()?.parse().map_err(|e| format!("{e}"))?,
            "--batch-bytes" => args.batch_bytes = value()?.parse().map_err(|e| format!("{e}"))?,
            "--tenant" => args.tenant = Some(value()?),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.data.is_empty() {
        return Err("--data FILE is required".into());
    }
    Ok(args)
}

/// One batch being filled: entries grouped by stream, in file order.
#[derive(Default)]
struct Pending {
    streams: BTreeMap<String, Vec<EntryAdapter>>,
    bytes: usize,
    entries: usize,
}

impl Pending {
    fn encode(&mut self) -> Vec<u8> {
        let req = PushRequest {
            streams: std::mem::take(&mut self.streams)
                .into_iter()
                .map(|(labels, entries)| StreamAdapter {
                    labels: labels.into_bytes(),
                    entries,
                    hash: 0,
                })
                .collect(),
            format: Vec::new(),
        };
        self.bytes = 0;
        self.entries = 0;
        snap::raw::Encoder::new()
            .compress_vec(&req.encode_to_vec())
            .unwrap_or_default()
    }
}

fn read_batches(path: &str, batch_bytes: usize) -> Result<(Vec<Vec<u8>>, usize, usize), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut batches = Vec::new();
    let mut pending = Pending::default();
    let (mut lines, mut text) = (0usize, 0usize);
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let rec: serde_json::Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
        let labels = Labels::from_pairs(
            rec["stream"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())),
        )
        .to_string();
        let ts: i64 = rec["ts"]
            .as_str()
            .unwrap_or("0")
            .parse()
            .map_err(|e| format!("{e}"))?;
        let body = rec["line"].as_str().unwrap_or_default();
        let metadata = rec["meta"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| LabelPairAdapter {
                name: k.clone().into_bytes(),
                value: v.as_str().unwrap_or_default().as_bytes().to_vec(),
            })
            .collect();
        lines += 1;
        text += body.len();
        pending.bytes += body.len();
        pending.entries += 1;
        pending
            .streams
            .entry(labels)
            .or_default()
            .push(EntryAdapter {
                timestamp: Some(Timestamp::from_nanos(ts)),
                line: body.as_bytes().to_vec(),
                structured_metadata: metadata,
                parsed: Vec::new(),
            });
        if pending.bytes >= batch_bytes {
            batches.push(pending.encode());
        }
    }
    if pending.entries > 0 {
        batches.push(pending.encode());
    }
    Ok((batches, lines, text))
}

fn push_all(args: &Args, batches: Arc<Vec<Vec<u8>>>) -> Result<(), String> {
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("{}/loki/api/v1/push", args.target.trim_end_matches('/'));
    let workers: Vec<_> = (0..args.connections.max(1))
        .map(|_| {
            let (next, batches, url, tenant) = (
                next.clone(),
                batches.clone(),
                url.clone(),
                args.tenant.clone(),
            );
            std::thread::spawn(move || -> Result<(), String> {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(120)))
                    .build()
                    .into();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = batches.get(i) else {
                        return Ok(());
                    };
                    for attempt in 0.. {
                        let mut req = agent
                            .post(&url)
                            .header("Content-Type", "application/x-protobuf");
                        if let Some(t) = &tenant {
                            req = req.header("X-Scope-OrgID", t);
                        }
                        let resp = req.send(&body[..]).map_err(|e| e.to_string())?;
                        let status = resp.status().as_u16();
                        if status / 100 == 2 {
                            break;
                        }
                        let text = resp.into_body().read_to_string().unwrap_or_default();
                        if (status == 429 || status >= 500) && attempt < 20 {
                            std::thread::sleep(Duration::from_millis(200));
                            continue;
                        }
                        return Err(format!("batch {i}: HTTP {status}: {text}"));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| "worker panicked".to_string())??;
    }
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let t0 = Instant::now();
    let (batches, lines, text) = match read_batches(&args.data, args.batch_bytes) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(1);
        }
    };
    let wire: usize = batches.iter().map(Vec::len).sum();
    eprintln!(
        "encoded {lines} lines ({:.1} MB of text) into {} batches ({:.1} MB on the wire) in {:.1}s",
        text as f64 / 1e6,
        batches.len(),
        wire as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
    let t1 = Instant::now();
    if let Err(e) = push_all(&args, Arc::new(batches)) {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
    let secs = t1.elapsed().as_secs_f64();
    println!(
        "pushed {lines} lines, {:.1} MB of text, over {} connections in {secs:.2}s ({:.0} lines/s, {:.1} MB/s)",
        text as f64 / 1e6,
        args.connections,
        lines as f64 / secs,
        text as f64 / 1e6 / secs
    );
}

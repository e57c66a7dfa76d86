//! The crash test: clients push continuously, the server is SIGKILLed at a
//! random moment, restarted on the same data directory, and every
//! acknowledged entry must be there exactly once, with nothing that was
//! never sent. With the default 1s WAL sync interval a process kill (not a
//! machine crash) must lose nothing either: an entry is written to the WAL
//! file before its push is acknowledged, and the page cache survives.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const SEC: i64 = 1_000_000_000;
const THREADS: usize = 4;
const PER_PUSH: i64 = 5;

/// A small xorshift generator: the kill delays need no quality, only spread.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// What one client thread sent in a round.
#[derive(Default)]
struct Sent {
    /// Lines of pushes answered 2xx.
    acked: Vec<String>,
    /// Lines of every push attempted (acknowledged or not).
    attempted: HashSet<String>,
}

fn line(round: usize, thread: usize, seq: i64) -> String {
    format!(
        "r{round} t{thread} s{seq} payload-{:x}",
        (seq as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    )
}

/// Pushes `{app="crash", round, thread}` until the server goes away.
fn pusher(
    url: String,
    round: usize,
    thread: usize,
    base: i64,
    stop: Arc<AtomicBool>,
    out: Arc<Mutex<Sent>>,
) {
    let labels = format!(r#"{{app="crash", round="{round}", thread="{thread}"}}"#);
    let mut seq = 0i64;
    while !stop.load(Ordering::Relaxed) {
        let lines: Vec<String> = (seq..seq + PER_PUSH)
            .map(|k| line(round, thread, k))
            .collect();
        let es: Vec<ProtoEntry> = lines
            .iter()
            .zip(seq..)
            .map(|(l, k)| (base + k * 1000, l.as_str(), &[][..]))
            .collect();
        let req = kindling::ingest::proto::PushRequest {
            streams: vec![proto_stream(&labels, &es)],
            format: vec![],
        };
        {
            let mut o = out.lock().unwrap();
            o.attempted.extend(lines.iter().cloned());
        }
        match try_post(
            &url,
            &snappy_proto(&req),
            &[("Content-Type", "application/x-protobuf")],
        ) {
            Ok((204, _)) => out.lock().unwrap().acked.extend(lines),
            Ok((st, body)) => panic!("push answered {st}: {body}"),
            Err(_) => break, // killed
        }
        seq += PER_PUSH;
    }
}

/// Every line of `{app="crash", round, thread}`, paging forward.
fn read_stream(s: &Server, round: usize, thread: usize, base: i64) -> Vec<String> {
    let q = format!(r#"{{app="crash", round="{round}", thread="{thread}"}}"#);
    let mut out = Vec::new();
    let mut start = base;
    let end = base + 600 * SEC;
    loop {
        let page = read_all(s, None, &q, start, end, false);
        let n = page.len();
        if let Some(last) = page.last() {
            start = last.ts + 1;
        }
        out.extend(page.into_iter().map(|g| g.line));
        if n < 5000 {
            return out;
        }
    }
}

fn verify(s: &Server, round: usize, base: i64, sent: &[Arc<Mutex<Sent>>]) -> usize {
    let mut acked_total = 0;
    for (thread, sent) in sent.iter().enumerate() {
        let sent = sent.lock().unwrap();
        let got = read_stream(s, round, thread, base);
        let mut seen = HashMap::new();
        for l in &got {
            *seen.entry(l.as_str()).or_insert(0) += 1;
            assert!(
                sent.attempted.contains(l),
                "round {round}: line never sent: {l:?}"
            );
        }
        let dups: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(dups.is_empty(), "round {round}: duplicates {dups:?}");
        let lost: Vec<&String> = sent
            .acked
            .iter()
            .filter(|l| !seen.contains_key(l.as_str()))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round} thread {thread}: {} acknowledged entries lost, first {:?}",
            lost.len(),
            lost.first()
        );
        acked_total += sent.acked.len();
    }
    acked_total
}

fn crash_rounds(args: &[&str], rounds: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let mut server = Server::start_in(&data, args);
    // (round, base timestamp, what each thread sent)
    type Round = (usize, i64, Vec<Arc<Mutex<Sent>>>);
    let mut history: Vec<Round> = Vec::new();
    let t0 = Instant::now();
    for round in 0..rounds {
        let base = now_ns() - 30 * 60 * SEC;
        let stop = Arc::new(AtomicBool::new(false));
        let sent: Vec<Arc<Mutex<Sent>>> = (0..THREADS).map(|_| Arc::default()).collect();
        let threads: Vec<_> = sent
            .iter()
            .enumerate()
            .map(|(t, out)| {
                let (url, stop, out) = (server.url("/loki/api/v1/push"), stop.clone(), out.clone());
                std::thread::spawn(move || pusher(url, round, t, base, stop, out))
            })
            .collect();
        let delay = 100 + rng.next() % 500;
        std::thread::sleep(Duration::from_millis(delay));
        server.kill(); // Child::kill: SIGKILL
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().expect("pusher thread");
        }
        server = Server::start_in(&data, args);
        let acked = verify(&server, round, base, &sent);
        println!("round {round}: killed after {delay} ms, {acked} entries acknowledged and found");
        history.push((round, base, sent));
    }
    // Earlier rounds survived every later crash and replay.
    for (round, base, sent) in &history {
        verify(&server, *round, *base, sent);
    }
    let m = metrics_text(&server);
    println!(
        "{rounds} rounds in {:?}; recovery errors of the last replay: {:?}",
        t0.elapsed(),
        metric(&m, "kindling_recovery_errors_total")
    );
}

/// The dedicated loop: 20 crashes with the default WAL sync interval (1s).
#[test]
fn crash_loop_default_sync_interval() {
    crash_rounds(&[], 20, now_ns() as u64);
}

/// fsync before every acknowledgement.
#[test]
fn crash_with_fsync_before_ack() {
    crash_rounds(&["--wal-sync-interval", "0"], 5, now_ns() as u64 ^ 0x5555);
}

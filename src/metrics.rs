//! Process-wide counters, gauges and histograms, rendered on `/metrics` in
//! the Prometheus text format. Labelled families have a fixed cardinality cap
//! so that, say, arbitrary tenant headers cannot grow memory without bound.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Most distinct label sets one family keeps; later ones are counted under `other`.
const MAX_SERIES_PER_FAMILY: usize = 256;

/// A monotonically increasing count.
#[derive(Default, Debug)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }
    /// The current count.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A counter family keyed by label values, with a cardinality cap.
#[derive(Debug)]
pub struct CounterVec {
    labels: &'static [&'static str],
    series: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl CounterVec {
    /// A family with these label names.
    pub const fn new(labels: &'static [&'static str]) -> Self {
        CounterVec {
            labels,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds `n` to the series with these label values (in label-name order).
    pub fn add(&self, values: &[&str], n: u64) {
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let key: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        if let Some(c) = map.get_mut(&key) {
            *c += n;
            return;
        }
        let key = if map.len() >= MAX_SERIES_PER_FAMILY {
            vec!["other".to_string(); self.labels.len()]
        } else {
            key
        };
        *map.entry(key).or_insert(0) += n;
    }

    /// The value of one series (0 when absent).
    pub fn get(&self, values: &[&str]) -> u64 {
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let key: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        map.get(&key).copied().unwrap_or(0)
    }

    fn render(&self, out: &mut String, name: &str) {
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        for (values, v) in map.iter() {
            let _ = writeln!(out, "{name}{} {v}", label_text(self.labels, values, None));
        }
    }
}

/// Upper bounds (seconds) of the query-duration histogram buckets.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A histogram family of durations keyed by one label value.
#[derive(Debug)]
pub struct HistogramVec {
    label: &'static str,
    series: Mutex<BTreeMap<String, HistogramData>>,
}

#[derive(Debug, Default, Clone)]
struct HistogramData {
    buckets: [u64; DURATION_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl HistogramVec {
    /// A family with one label name.
    pub const fn new(label: &'static str) -> Self {
        HistogramVec {
            label,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records one observation of `seconds` under label value `value`.
    pub fn observe(&self, value: &str, seconds: f64) {
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let key = if map.contains_key(value) || map.len() < MAX_SERIES_PER_FAMILY {
            value.to_string()
        } else {
            "other".to_string()
        };
        let h = map.entry(key).or_default();
        for (i, le) in DURATION_BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str) {
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        for (value, h) in map.iter() {
            let labels = [self.label];
            let values = [value.clone()];
            for (i, le) in DURATION_BUCKETS.iter().enumerate() {
                let l = label_text(&labels, &values, Some(&le.to_string()));
                let _ = writeln!(out, "{name}_bucket{l} {}", h.buckets[i]);
            }
            let l = label_text(&labels, &values, Some("+Inf"));
            let _ = writeln!(out, "{name}_bucket{l} {}", h.count);
            let l = label_text(&labels, &values, None);
            let _ = writeln!(out, "{name}_sum{l} {}", h.sum);
            let _ = writeln!(out, "{name}_count{l} {}", h.count);
        }
    }
}

fn label_text(names: &[&str], values: &[String], le: Option<&str>) -> String {
    let mut s = String::from("{");
    for (i, (n, v)) in names.iter().zip(values).enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{n}=\"{}\"", escape_label_value(v));
    }
    if let Some(le) = le {
        if !names.is_empty() {
            s.push(',');
        }
        let _ = write!(s, "le=\"{le}\"");
    }
    s.push('}');
    s
}

fn escape_label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Metrics owned by the API and ingest layers. The store keeps its own
/// counters; `/metrics` renders both.
#[derive(Debug)]
pub struct Metrics {
    /// Lines accepted by push, by tenant.
    pub ingest_lines: CounterVec,
    /// Bytes of log lines accepted by push, by tenant.
    pub ingest_bytes: CounterVec,
    /// Lines rejected at push, by reason.
    pub rejected_lines: CounterVec,
    /// HTTP requests by route and status code.
    pub http_requests: CounterVec,
    /// Query latency by kind (log, metric, metadata).
    pub query_duration: HistogramVec,
}

/// The process-wide metrics.
pub fn global() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(|| Metrics {
        ingest_lines: CounterVec::new(&["tenant"]),
        ingest_bytes: CounterVec::new(&["tenant"]),
        rejected_lines: CounterVec::new(&["reason"]),
        http_requests: CounterVec::new(&["route", "status"]),
        query_duration: HistogramVec::new("kind"),
    })
}

/// Writes `# HELP` and `# TYPE` lines.
pub fn write_header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes one unlabelled sample with its header.
pub fn write_single(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    write_header(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

impl Metrics {
    /// Renders this layer's families in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let families: [(&str, &str, &CounterVec); 4] = [
            (
                "kindling_ingest_lines_total",
                "Log lines accepted by push.",
                &self.ingest_lines,
            ),
            (
                "kindling_ingest_bytes_total",
                "Bytes of log lines accepted by push.",
                &self.ingest_bytes,
            ),
            (
                "kindling_ingest_rejected_lines_total",
                "Log lines rejected at push, by reason.",
                &self.rejected_lines,
            ),
            (
                "kindling_http_requests_total",
                "HTTP requests by route and status code.",
                &self.http_requests,
            ),
        ];
        for (name, help, fam) in families {
            write_header(out, name, "counter", help);
            fam.render(out, name);
        }
        let name = "kindling_query_duration_seconds";
        write_header(
            out,
            name,
            "histogram",
            "Query latency by kind (log, metric, metadata).",
        );
        self.query_duration.render(out, name);
        write_single(
            out,
            "kindling_process_resident_memory_bytes",
            "gauge",
            "Resident set size of the process.",
            resident_memory_bytes().unwrap_or(0),
        );
        write_header(out, "kindling_build_info", "gauge", "Build information.");
        let _ = writeln!(
            out,
            "kindling_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
    }
}

/// The process's resident set size from `/proc/self/statm`.
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_vec_caps_cardinality() {
        let c = CounterVec::new(&["tenant"]);
        for i in 0..(MAX_SERIES_PER_FAMILY + 10) {
            c.add(&[&format!("t{i}")], 1);
        }
        assert_eq!(c.get(&["other"]), 10);
        assert_eq!(c.get(&["t0"]), 1);
    }

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics {
            ingest_lines: CounterVec::new(&["tenant"]),
            ingest_bytes: CounterVec::new(&["tenant"]),
            rejected_lines: CounterVec::new(&["reason"]),
            http_requests: CounterVec::new(&["route", "status"]),
            query_duration: HistogramVec::new("kind"),
        };
        m.ingest_lines.add(&["fa\"ke"], 3);
        m.query_duration.observe("log", 0.003);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains("kindling_ingest_lines_total{tenant=\"fa\\\"ke\"} 3"));
        assert!(out.contains("kindling_query_duration_seconds_bucket{kind=\"log\",le=\"0.005\"} 1"));
        assert!(
            out.contains("kindling_query_duration_seconds_bucket{kind=\"log\",le=\"0.0025\"} 0")
        );
        assert!(out.contains("kindling_query_duration_seconds_count{kind=\"log\"} 1"));
        assert!(resident_memory_bytes().unwrap_or(0) > 0);
    }
}

//! Throughput of the log pipeline on realistic lines: Traefik JSON access
//! logs (most of the benchmark data set) and Heroku router logfmt lines.
//! The lines are generated deterministically so the bench needs no files.
//!
//! Run: `cargo bench --bench pipeline` (add `-- --quick` for a smoke run).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kindling::logql::ast::Grouping;
use kindling::logql::ast::{
    CmpOp, JsonParser, LabelFilterExpr, LineFilter, LineFilterOp, LineFilterOperand, LogExpr,
    LogRange, LogfmtParser, RangeAggregation, RangeOp, Stage,
};
use kindling::logql::pipeline::{Pipeline, SampleExtractor};
use kindling::model::Labels;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

const SERVICES: &[&str] = &[
    "nextcloud",
    "jellyfin",
    "immich",
    "authelia",
    "sonarr",
    "grafana",
];
const METHODS: &[&str] = &["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const PATHS: &[&str] = &[
    "/",
    "/login",
    "/api/health",
    "/api/v1/status",
    "/web/index.html",
    "/Videos/stream.mp4",
    "/socket",
];
const AGENTS: &[&str] = &[
    "Prometheus/2.53.0",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
];
const STATUSES: &[u64] = &[200, 200, 200, 200, 304, 401, 404, 500, 502, 503];

fn ip(r: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        r.range(1, 255),
        r.range(0, 255),
        r.range(0, 255),
        r.range(1, 255)
    )
}

fn traefik_lines(n: usize) -> Vec<String> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|i| {
            let svc = r.pick(SERVICES);
            let status = STATUSES[(r.next() % STATUSES.len() as u64) as usize];
            let dur = r.range(1_000_000, 500_000_000);
            let client = if i % 1000 == 7 { "10.1.2.3".to_string() } else { ip(&mut r) };
            let method = r.pick(METHODS);
            let path = r.pick(PATHS);
            let (a, b) = (ip(&mut r), ip(&mut r));
            let (port, size, osize, count) = (r.range(1024, 65535), r.range(0, 10_000), r.range(0, 10_000), r.range(1, 999_999));
            let agent = r.pick(AGENTS);
            format!(
                concat!(
                    r#"{{"ClientAddr":"{a}:{port}","ClientHost":"{client}","ClientPort":"{port}","DownstreamContentSize":{size},"#,
                    r#""DownstreamStatus":{status},"Duration":{dur},"OriginContentSize":{osize},"OriginDuration":{odur},"#,
                    r#""OriginStatus":{status},"Overhead":50000,"RequestAddr":"{svc}.home.lan","RequestContentSize":0,"#,
                    r#""RequestCount":{count},"RequestHost":"{svc}.home.lan","RequestMethod":"{method}","RequestPath":"{path}","#,
                    r#""RequestPort":"-","RequestProtocol":"HTTP/2.0","RequestScheme":"https","RetryAttempts":0,"#,
                    r#""RouterName":"{svc}-secure@docker","ServiceName":"{svc}@docker","StartLocal":"2026-11-23T16:00:{s:02}.000285315Z","#,
                    r#""StartUTC":"2026-11-23T16:00:{s:02}.000285315Z","entryPointName":"websecure","level":"info","msg":"","#,
                    r#""request_User-Agent":"{agent}","request_X-Forwarded-For":"{b}","time":"2026-11-23T16:00:{s:02}Z"}}"#
                ),
                a = a,
                port = port,
                client = client,
                size = size,
                status = status,
                dur = dur,
                osize = osize,
                odur = dur - 50_000,
                svc = svc,
                count = count,
                method = method,
                path = path,
                s = i % 60,
                agent = agent,
                b = b,
            )
        })
        .collect()
}

fn router_lines(n: usize) -> Vec<String> {
    let mut r = Rng(0x1234_5678_9abc_def1);
    (0..n)
        .map(|_| {
            let status = STATUSES[(r.next() % STATUSES.len() as u64) as usize];
            format!(
                r#"at=info method={} path="{}" host=shop.herokuapp.com request_id={:08x}-{:04x} fwd="{}" dyno=web.{} connect={}ms service={}ms status={} bytes={} protocol=https"#,
                r.pick(METHODS),
                r.pick(PATHS),
                r.next() as u32,
                r.next() as u16,
                ip(&mut r),
                r.range(1, 4),
                r.range(0, 5),
                r.range(1, 3000),
                status,
                r.range(0, 100_000)
            )
        })
        .collect()
}

fn contains(s: &str) -> Stage {
    Stage::LineFilter(LineFilter {
        op: LineFilterOp::Contains,
        operands: vec![LineFilterOperand::Text(s.into())],
    })
}

fn json() -> Stage {
    Stage::Json(JsonParser {
        extractions: vec![],
    })
}

fn logfmt() -> Stage {
    Stage::Logfmt(LogfmtParser {
        strict: false,
        keep_empty: false,
        extractions: vec![],
    })
}

fn gte(name: &str, v: f64) -> Stage {
    Stage::LabelFilter(LabelFilterExpr::Number {
        name: name.into(),
        op: CmpOp::Gte,
        value: v,
    })
}

fn rate(stages: Vec<Stage>) -> RangeAggregation {
    RangeAggregation {
        op: RangeOp::Rate,
        param: None,
        range: LogRange {
            log: LogExpr {
                selector: vec![],
                stages,
            },
            unwrap: None,
            range: 300_000_000_000,
            offset: 0,
        },
        grouping: None,
    }
}

fn bench(c: &mut Criterion) {
    let traefik = traefik_lines(20_000);
    let router = router_lines(20_000);
    let stream = Labels::from_pairs([
        ("job", "traefik-access"),
        ("service", "jellyfin@docker"),
        ("host", "fedora-htpc"),
    ]);
    let md = [("detected_level", "info")];
    let bytes = |v: &[String]| v.iter().map(|l| l.len() as u64).sum::<u64>();

    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(bytes(&traefik)));
    g.bench_function("line_filter_contains", |b| {
        let p = Pipeline::new(&[contains("10.1.2.3")]);
        let mut sp = p.for_stream(&stream);
        b.iter(|| {
            let mut n = 0;
            for l in &traefik {
                if sp.process(0, l, &md).is_some() {
                    n += 1;
                }
            }
            black_box(n)
        })
    });
    g.bench_function("json_status_filter", |b| {
        let p = Pipeline::new(&[json(), gte("DownstreamStatus", 500.0)]);
        let mut sp = p.for_stream(&stream);
        b.iter(|| {
            let mut n = 0;
            for l in &traefik {
                if let Some((_, labels)) = sp.process(0, l, &md) {
                    n += labels.len();
                }
            }
            black_box(n)
        })
    });
    g.bench_function("json_sum_by_service", |b| {
        let agg = rate(vec![json(), gte("DownstreamStatus", 500.0)]);
        let ex = SampleExtractor::with_grouping(
            &agg,
            Some(Grouping {
                without: false,
                labels: vec!["service".into()],
            }),
        );
        let mut s = ex.for_stream(&stream);
        b.iter(|| {
            let mut n = 0.0;
            for l in &traefik {
                if let Some((v, _)) = s.process(0, l, &md) {
                    n += v;
                }
            }
            black_box(n)
        })
    });
    g.throughput(Throughput::Bytes(bytes(&router)));
    g.bench_function("logfmt_status_filter", |b| {
        let p = Pipeline::new(&[logfmt(), gte("status", 500.0)]);
        let mut sp = p.for_stream(&stream);
        b.iter(|| {
            let mut n = 0;
            for l in &router {
                if sp.process(0, l, &md).is_some() {
                    n += 1;
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Pipeline-level tests: stage order (hoisting), stage interplay, sample
//! extraction, and cases taken from Loki 3.7's recorded answers (the
//! conformance goldens): input stream labels, metadata (Loki's ingest adds
//! `detected_level`) and line, and the labels and line Loki returned.

use super::*;
use crate::logql::ast::{
    CmpOp, CompiledRegex, IpMatcher, JsonExtraction, JsonParser, JsonPathPart, LabelFilterExpr, LineFilter,
    LineFilterOp, LineFilterOperand, LogExpr, LogRange, LogfmtExtraction, LogfmtParser, NamedLabel, PatternParser,
    RegexpParser, Stage, Unwrap, UnwrapConversion,
};
use crate::model::{MatchOp, Matcher};

/// (stream labels, structured metadata, line, line Loki returned when it
/// differs, labels Loki returned)
type Case = (
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
    &'static str,
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
);

fn run_one(p: &Pipeline, stream: &[(&str, &str)], md: &[(&str, &str)], line: &str) -> Option<(String, String)> {
    let mut sp = p.for_stream(&Labels::from_pairs(stream.iter().copied()));
    let (l, labels) = sp.process(1_768_176_000_000_000_000, line, md)?;
    Some((l.to_string(), labels.all().to_string()))
}

fn check(stages: &[Stage], cases: &[Case]) {
    let p = Pipeline::new(stages);
    for (stream, md, line, out_line, want) in cases {
        let got = run_one(&p, stream, md, line);
        let want_labels = Labels::from_pairs(want.iter().copied()).to_string();
        let want_line = out_line.unwrap_or(line).to_string();
        assert_eq!(got, Some((want_line, want_labels)), "line {line:?}");
    }
}

fn json() -> Stage {
    Stage::Json(JsonParser { extractions: vec![] })
}

/// Parses the simple JSON paths the tests use: `a.b`, `[0]`, `["k"]`.
fn path(expr: &str) -> Vec<JsonPathPart> {
    let mut out = Vec::new();
    let mut rest = expr;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[\"") {
            let end = r.find("\"]").unwrap();
            out.push(JsonPathPart::Key(r[..end].to_string()));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap();
            out.push(JsonPathPart::Index(r[..end].parse().unwrap()));
            rest = &r[end + 1..];
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            out.push(JsonPathPart::Key(r[..end].to_string()));
            rest = &r[end..];
        }
    }
    out
}

fn json_paths(v: &[(&str, &str)]) -> Stage {
    Stage::Json(JsonParser {
        extractions: v
            .iter()
            .map(|(l, e)| JsonExtraction {
                label: l.to_string(),
                expr: e.to_string(),
                path: path(e),
            })
            .collect(),
    })
}

fn logfmt(strict: bool, keep_empty: bool, v: &[(&str, &str)]) -> Stage {
    Stage::Logfmt(LogfmtParser {
        strict,
        keep_empty,
        extractions: v
            .iter()
            .map(|(l, k)| LogfmtExtraction {
                label: l.to_string(),
                key: k.to_string(),
            })
            .collect(),
    })
}

fn compiled(re: &str) -> CompiledRegex {
    CompiledRegex {
        source: re.to_string(),
        re: regex::Regex::new(re).unwrap(),
    }
}

fn regexp(re: &str) -> Stage {
    Stage::Regexp(RegexpParser { regex: compiled(re) })
}

fn pattern(p: &str) -> Stage {
    Stage::Pattern(PatternParser {
        pattern: super::pattern::tests::pattern_expr(p),
    })
}

fn contains(s: &str) -> Stage {
    line_filter(LineFilterOp::Contains, &[s])
}

fn line_filter(op: LineFilterOp, operands: &[&str]) -> Stage {
    Stage::LineFilter(LineFilter {
        op,
        operands: operands
            .iter()
            .map(|s| match op {
                LineFilterOp::Regex | LineFilterOp::NotRegex => LineFilterOperand::Regex(compiled(s)),
                LineFilterOp::Pattern | LineFilterOp::NotPattern => {
                    LineFilterOperand::Pattern(super::pattern::tests::pattern_expr(s))
                }
                _ => LineFilterOperand::Text(s.to_string()),
            })
            .collect(),
    })
}

fn str_m(name: &str, op: MatchOp, v: &str) -> LabelFilterExpr {
    LabelFilterExpr::Matcher(Matcher::new(name, op, v).unwrap())
}

fn str_filter(name: &str, op: MatchOp, v: &str) -> Stage {
    Stage::LabelFilter(str_m(name, op, v))
}

fn num_e(name: &str, op: CmpOp, v: f64) -> LabelFilterExpr {
    LabelFilterExpr::Number {
        name: name.into(),
        op,
        value: v,
    }
}

fn num(name: &str, op: CmpOp, v: f64) -> Stage {
    Stage::LabelFilter(num_e(name, op, v))
}

fn expr(s: Stage) -> LabelFilterExpr {
    match s {
        Stage::LabelFilter(e) => e,
        _ => panic!("not a label filter"),
    }
}

fn and(a: Stage, b: Stage) -> Stage {
    Stage::LabelFilter(LabelFilterExpr::And(Box::new(expr(a)), Box::new(expr(b))))
}

fn or(a: Stage, b: Stage) -> Stage {
    Stage::LabelFilter(LabelFilterExpr::Or(Box::new(expr(a)), Box::new(expr(b))))
}

fn ip_filter(name: &str, negate: bool, cidr: &str) -> Stage {
    let (net, len) = cidr.split_once('/').unwrap();
    Stage::LabelFilter(LabelFilterExpr::Ip {
        name: name.into(),
        negate,
        ip: IpMatcher {
            source: cidr.into(),
            pattern: crate::logql::ast::IpPattern::Cidr(net.parse().unwrap(), len.parse().unwrap()),
        },
    })
}

fn drop(names: &[&str]) -> Stage {
    Stage::Drop(names.iter().map(|n| NamedLabel::Name(n.to_string())).collect())
}

fn drop_matchers(m: &[(&str, MatchOp, &str)]) -> Stage {
    Stage::Drop(
        m.iter()
            .map(|(n, op, v)| NamedLabel::Matcher(Matcher::new(*n, *op, *v).unwrap()))
            .collect(),
    )
}

fn keep(names: &[&str]) -> Stage {
    Stage::Keep(names.iter().map(|n| NamedLabel::Name(n.to_string())).collect())
}

fn keep_matchers(m: &[(&str, MatchOp, &str)], names: &[&str]) -> Stage {
    let mut v: Vec<NamedLabel> = m
        .iter()
        .map(|(n, op, v)| NamedLabel::Matcher(Matcher::new(*n, *op, *v).unwrap()))
        .collect();
    v.extend(names.iter().map(|n| NamedLabel::Name(n.to_string())));
    Stage::Keep(v)
}

// ---------------------------------------------------------------------------
// hand-written cases

#[test]
fn hoisting_moves_line_filters_within_segments() {
    let stages = [
        json(),
        drop(&["a"]),
        contains("x"),
        Stage::Decolorize,
        contains("y"),
        num("status", CmpOp::Gt, 1.0),
        logfmt(false, false, &[]),
        contains("z"),
        Stage::Unpack,
        contains("w"),
    ];
    let kinds: Vec<String> = hoist(&stages)
        .iter()
        .map(|s| match s {
            Stage::LineFilter(f) => match &f.operands[0] {
                LineFilterOperand::Text(t) => format!("|={t}"),
                _ => "|=?".into(),
            },
            Stage::Json(_) => "json".into(),
            Stage::Drop(_) => "drop".into(),
            Stage::Decolorize => "decolorize".into(),
            Stage::LabelFilter(_) => "filter".into(),
            Stage::Logfmt(_) => "logfmt".into(),
            Stage::Unpack => "unpack".into(),
            _ => "other".into(),
        })
        .collect();
    assert_eq!(
        kinds,
        ["|=x", "|=y", "json", "drop", "decolorize", "filter", "|=z", "logfmt", "unpack", "|=w"]
    );
}

#[test]
fn decolorize_does_not_cut_a_segment() {
    // `| decolorize |= "level=ERROR"` tests the colored line
    let p = Pipeline::new(&[Stage::Decolorize, contains("level=ERROR")]);
    let colored = "\u{1b}[31mlevel=\u{1b}[0mERROR";
    assert_eq!(run_one(&p, &[("app", "a")], &[], colored), None);
    let plain_match = "x \u{1b}[1mlevel=ERROR";
    assert_eq!(
        run_one(&p, &[("app", "a")], &[], plain_match).map(|r| r.0),
        Some("x level=ERROR".to_string())
    );
}

#[test]
fn line_filter_after_unpack_sees_the_new_line() {
    let p = Pipeline::new(&[Stage::Unpack, contains("error")]);
    let packed = r#"{"_entry":"an error happened","pod":"p1"}"#;
    assert_eq!(
        run_one(&p, &[("app", "a")], &[], packed),
        Some(("an error happened".into(), r#"{app="a", pod="p1"}"#.into()))
    );
    assert_eq!(run_one(&p, &[("app", "a")], &[], r#"{"_entry":"fine","msg":"error"}"#), None);
}

#[test]
fn first_extraction_wins_across_parsers() {
    let p = Pipeline::new(&[json(), logfmt(false, false, &[])]);
    // the JSON parser sets `a`; logfmt over the same line finds nothing to add
    let got = run_one(&p, &[("app", "x")], &[], r#"{"a":"json"}"#).unwrap();
    assert_eq!(got.1, r#"{a="json", app="x"}"#);
    let p = Pipeline::new(&[logfmt(false, false, &[]), regexp(r"a=(?P<a>\w+) b=(?P<b>\w+)")]);
    let got = run_one(&p, &[("app", "x")], &[], "a=1 b=2").unwrap();
    assert_eq!(got.1, r#"{a="1", app="x", b="2"}"#);
    let p = Pipeline::new(&[json()]);
    let got = run_one(&p, &[("app", "x")], &[], r#"{"dup":"first","dup":"second"}"#).unwrap();
    assert_eq!(got.1, r#"{app="x", dup="first"}"#);
}

#[test]
fn parser_errors_overwrite_and_filter_errors_do_not() {
    // a later parser error replaces an earlier one
    let p = Pipeline::new(&[json(), logfmt(true, false, &[])]);
    let got = run_one(&p, &[("app", "x")], &[], "=x").unwrap();
    assert_eq!(
        got.1,
        r#"{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 1 : unexpected '='", app="x"}"#
    );
    // a label filter conversion error does not
    let p = Pipeline::new(&[json(), logfmt(false, false, &[]), num("status", CmpOp::Gt, 5.0)]);
    let got = run_one(&p, &[("app", "x")], &[], "status=abc").unwrap();
    assert_eq!(
        got.1,
        r#"{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="x", status="abc"}"#
    );
}

#[test]
fn json_fixture_d_from_the_reference() {
    let p = Pipeline::new(&[json()]);
    let line = r#"{"a.b":{"c":"d"},"e":"f","level":"error","arr":[1,2],"n":null,"t":true,"num":1.50,"1st":"x","dup":"first","dup":"second","user-agent":"curl","héllo":"w","sp ace":"s"}"#;
    let got = run_one(&p, &[("job", "x"), ("level", "info")], &[], line).unwrap();
    assert_eq!(
        got.1,
        r#"{_1st="x", a_b_c="d", dup="first", e="f", h_llo="w", job="x", level="info", level_extracted="error", num="1.50", sp_ace="s", t="true", user_agent="curl"}"#
    );
    let got = run_one(&p, &[("job", "x")], &[], "not json at all").unwrap();
    assert_eq!(
        got.1,
        r#"{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", job="x"}"#
    );
}

#[test]
fn metadata_collisions() {
    let p = Pipeline::new(&[json()]);
    // metadata named like a stream label is renamed; a parsed label named
    // like metadata gets the suffix too
    let got = run_one(&p, &[("job", "x")], &[("job", "m"), ("trace_id", "t1")], r#"{"trace_id":"p","job":"q"}"#).unwrap();
    // (the parsed `job_extracted` replaces the renamed metadata, as in Loki)
    assert_eq!(got.1, r#"{job="x", job_extracted="q", trace_id="t1", trace_id_extracted="p"}"#);
}

#[test]
fn labels_are_interned_per_stream() {
    let p = Pipeline::new(&[logfmt(false, false, &[])]);
    let mut sp = p.for_stream(&Labels::from_pairs([("app", "a")]));
    let a = sp.process(1, "status=200", &[]).unwrap().1;
    let b = sp.process(2, "status=200", &[]).unwrap().1;
    let c = sp.process(3, "status=500", &[]).unwrap().1;
    assert!(Arc::ptr_eq(&a, &b));
    assert!(!Arc::ptr_eq(&a, &c));
    let d = sp.process(4, "nothing here", &[]).unwrap().1;
    assert!(Arc::ptr_eq(&d, sp.base_labels()));
}

#[test]
fn noop_pipeline_passes_everything() {
    let p = Pipeline::new(&[]);
    assert!(p.is_noop());
    let mut sp = p.for_stream(&Labels::from_pairs([("app", "a")]));
    let (line, labels) = sp.process(1, "hello", &[("trace_id", "t")]).unwrap();
    assert_eq!(line, "hello");
    assert_eq!(labels.all().to_string(), r#"{app="a", trace_id="t"}"#);
    assert_eq!(labels.structured_metadata().to_string(), r#"{trace_id="t"}"#);
}

fn range_agg(op: RangeOp, stages: Vec<Stage>, unwrap: Option<Unwrap>) -> RangeAggregation {
    RangeAggregation {
        op,
        param: None,
        range: LogRange {
            log: LogExpr {
                selector: vec![],
                stages,
            },
            unwrap,
            range: 60_000_000_000,
            offset: 0,
        },
        grouping: None,
    }
}

#[test]
fn sample_values_by_function() {
    let stream = Labels::from_pairs([("app", "a")]);
    let count = SampleExtractor::new(&range_agg(RangeOp::CountOverTime, vec![contains("x")], None));
    let mut s = count.for_stream(&stream);
    assert_eq!(s.process(1, "x1", &[]).map(|r| r.0), Some(1.0));
    assert!(s.process(1, "y", &[]).is_none());
    let bytes = SampleExtractor::new(&range_agg(RangeOp::BytesOverTime, vec![Stage::Unpack], None));
    let mut s = bytes.for_stream(&stream);
    assert_eq!(s.process(1, r#"{"_entry":"abc"}"#, &[]).map(|r| r.0), Some(3.0));
    assert_eq!(s.process(1, "héllo", &[]).map(|r| r.0), Some(6.0));
}

#[test]
fn unwrap_removes_the_label_and_reports_errors() {
    let stream = Labels::from_pairs([("service", "jellyfin")]);
    let u = Unwrap {
        label: "Duration".into(),
        conversion: UnwrapConversion::Duration,
        post_filters: vec![],
    };
    let ex = SampleExtractor::new(&range_agg(RangeOp::SumOverTime, vec![json()], Some(u.clone())));
    let mut s = ex.for_stream(&stream);
    let (v, l) = s.process(1, r#"{"Duration":"1.5s","status":502}"#, &[]).unwrap();
    assert_eq!(v, 1.5);
    assert_eq!(l.all().to_string(), r#"{service="jellyfin", status="502"}"#);
    let (v, l) = s.process(1, r#"{"Duration":"oops"}"#, &[]).unwrap();
    assert_eq!(v, 0.0);
    assert_eq!(l.error(), Some("SampleExtractionErr"));
    assert_eq!(l.all().get("Duration"), Some("oops"));
    assert!(s.process(1, r#"{"other":1}"#, &[]).is_none());
    // a post filter drops the failed conversion
    let mut u2 = u;
    u2.post_filters = vec![str_m("__error__", MatchOp::Eq, "")];
    let ex = SampleExtractor::new(&range_agg(RangeOp::SumOverTime, vec![json()], Some(u2)));
    let mut s = ex.for_stream(&stream);
    assert!(s.process(1, r#"{"Duration":"oops"}"#, &[]).is_none());
    assert_eq!(s.process(1, r#"{"Duration":"100ms"}"#, &[]).map(|r| r.0), Some(0.1));
}

#[test]
fn grouping_reduces_sample_labels() {
    let stream = Labels::from_pairs([("job", "traefik"), ("service", "jellyfin")]);
    let agg = range_agg(RangeOp::Rate, vec![json(), num("DownstreamStatus", CmpOp::Gte, 500.0)], None);
    let ex = SampleExtractor::with_grouping(
        &agg,
        Some(Grouping {
            without: false,
            names: vec!["service".into()],
        }),
    );
    let mut s = ex.for_stream(&stream);
    let a = s.process(1, r#"{"DownstreamStatus":502,"StartUTC":"t1"}"#, &[]).unwrap().1;
    let b = s.process(2, r#"{"DownstreamStatus":503,"StartUTC":"t2"}"#, &[]).unwrap().1;
    assert_eq!(a.all().to_string(), r#"{service="jellyfin"}"#);
    assert!(Arc::ptr_eq(&a, &b));
    assert!(s.process(3, r#"{"DownstreamStatus":200}"#, &[]).is_none());
    // an error keeps every label so the caller can report it
    let e = s.process(4, "not json", &[]);
    assert!(e.is_none(), "missing label after a JSON error drops the entry");
    let ex = SampleExtractor::with_grouping(
        &range_agg(RangeOp::CountOverTime, vec![json()], None),
        Some(Grouping {
            without: false,
            names: vec!["service".into()],
        }),
    );
    let mut s = ex.for_stream(&stream);
    let e = s.process(4, "not json", &[]).unwrap().1;
    assert_eq!(e.error(), Some("JSONParserErr"));
    assert_eq!(e.all().get("job"), Some("traefik"));
}

// ---------------------------------------------------------------------------
// cases from Loki's answers

// parser-json-no-params/163/range {job="traefik-access"} | json
const JSON_TRAEFIK: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "traefik-access"), ("method", "GET"), ("service", "nextcloud@docker"), ("service_name", "nextcloud@docker"), ("status", "502")],
  &[("detected_level", "info")],
  "{\"ClientAddr\":\"10.103.128.204:52539\",\"ClientHost\":\"81.49.220.228\",\"ClientPort\":\"6496\",\"DownstreamContentSize\":2909,\"DownstreamStatus\":502,\"Duration\":14695639,\"OriginContentSize\":2126,\"OriginDuration\":14645639,\"OriginStatus\":502,\"Overhead\":50000,\"RequestAddr\":\"nextcloud.home.lan\",\"RequestContentSize\":0,\"RequestCount\":130225,\"RequestHost\":\"nextcloud.home.lan\",\"RequestMethod\":\"GET\",\"RequestPath\":\"/web/index.html\",\"RequestPort\":\"-\",\"RequestProtocol\":\"HTTP/2.0\",\"RequestScheme\":\"https\",\"RetryAttempts\":0,\"RouterName\":\"nextcloud-secure@docker\",\"ServiceName\":\"nextcloud@docker\",\"StartLocal\":\"2026-01-12T03:59:25.863973747Z\",\"StartUTC\":\"2026-01-12T03:59:25.863973747Z\",\"entryPointName\":\"websecure\",\"level\":\"info\",\"msg\":\"\",\"request_User-Agent\":\"Jellyfin-Android/2.6.1\",\"request_X-Forwarded-For\":\"10.216.151.27\",\"time\":\"2026-01-12T03:59:25Z\"}",
  None,
  &[("ClientAddr", "10.103.128.204:52539"), ("ClientHost", "81.49.220.228"), ("ClientPort", "6496"), ("DownstreamContentSize", "2909"), ("DownstreamStatus", "502"), ("Duration", "14695639"), ("OriginContentSize", "2126"), ("OriginDuration", "14645639"), ("OriginStatus", "502"), ("Overhead", "50000"), ("RequestAddr", "nextcloud.home.lan"), ("RequestContentSize", "0"), ("RequestCount", "130225"), ("RequestHost", "nextcloud.home.lan"), ("RequestMethod", "GET"), ("RequestPath", "/web/index.html"), ("RequestPort", "-"), ("RequestProtocol", "HTTP/2.0"), ("RequestScheme", "https"), ("RetryAttempts", "0"), ("RouterName", "nextcloud-secure@docker"), ("ServiceName", "nextcloud@docker"), ("StartLocal", "2026-01-12T03:59:25.863973747Z"), ("StartUTC", "2026-01-12T03:59:25.863973747Z"), ("detected_level", "info"), ("entryPointName", "websecure"), ("host", "fedora-htpc"), ("job", "traefik-access"), ("level", "info"), ("method", "GET"), ("msg", ""), ("request_User_Agent", "Jellyfin-Android/2.6.1"), ("request_X_Forwarded_For", "10.216.151.27"), ("service", "nextcloud@docker"), ("service_name", "nextcloud@docker"), ("status", "502"), ("time", "2026-01-12T03:59:25Z")],
),
];

#[test]
fn json_traefik() {
    check(&[json()], JSON_TRAEFIK);
}

// parser-json-no-params/173/range {job="remediation-decisions"} | json
const JSON_COLLISIONS_GET_SUFFIX: &[Case] = &[
(
  &[("alert", "CertificateExpiringSoon"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("playbook", "cert-renew"), ("service_name", "remediation-decisions"), ("success", "false")],
  &[("detected_level", "unknown")],
  "{\"timestamp\": 1768188258.559, \"alert\": \"CertificateExpiringSoon\", \"playbook\": \"cert-renew\", \"success\": false, \"confidence\": 50, \"parameters\": {\"threshold\": 95, \"target\": \"/\", \"dry_run\": false}, \"stdout\": \"\", \"stderr\": \"podman: container is not running\", \"duration_ms\": 4383}",
  None,
  &[("alert", "CertificateExpiringSoon"), ("alert_extracted", "CertificateExpiringSoon"), ("confidence", "50"), ("detected_level", "unknown"), ("duration_ms", "4383"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("parameters_dry_run", "false"), ("parameters_target", "/"), ("parameters_threshold", "95"), ("playbook", "cert-renew"), ("playbook_extracted", "cert-renew"), ("service_name", "remediation-decisions"), ("stderr", "podman: container is not running"), ("stdout", ""), ("success", "false"), ("success_extracted", "false"), ("timestamp", "1768188258.559")],
),
];

#[test]
fn json_collisions_get_suffix() {
    check(&[json()], JSON_COLLISIONS_GET_SUFFIX);
}

// drop-and-keep/361/range {namespace="monitoring"} | json | drop __error__
const JSON_ERRORS_AND_DROP_ERROR: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  None,
  &[("__error_details__", "Value looks like object, but can't find closing '}' symbol"), ("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768189872.119424, \"msg\": \"sierra done\", \"latency_ms\": 1162, \"http\": {\"method\": \"POST\", \"status\": 404, \"path\": \"/api/health\"}, \"tags\": [\"yankee\", \"mike\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("container", "grafana"), ("detected_level", "info"), ("http_method", "POST"), ("http_path", "/api/health"), ("http_status", "404"), ("job", "monitoring/grafana"), ("latency_ms", "1162"), ("level", "info"), ("msg", "sierra done"), ("namespace", "monitoring"), ("note", "unicode ✓ — naïve café 日本"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("ts", "1768189872.119424")],
),
];

#[test]
fn json_errors_and_drop_error() {
    check(&[json(), drop(&["__error__"])], JSON_ERRORS_AND_DROP_ERROR);
}

// parser-unpack/218/range {namespace="monitoring"} | unpack | json
const UNPACK_THEN_JSON: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  None,
  &[("__error__", "JSONParserErr"), ("__error_details__", "Value looks like object, but can't find closing '}' symbol"), ("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768189872.119424, \"msg\": \"sierra done\", \"latency_ms\": 1162, \"http\": {\"method\": \"POST\", \"status\": 404, \"path\": \"/api/health\"}, \"tags\": [\"yankee\", \"mike\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("container", "grafana"), ("detected_level", "info"), ("http_method", "POST"), ("http_path", "/api/health"), ("http_status", "404"), ("job", "monitoring/grafana"), ("latency_ms", "1162"), ("level", "info"), ("msg", "sierra done"), ("namespace", "monitoring"), ("note", "unicode ✓ — naïve café 日本"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("ts", "1768189872.119424")],
),
];

#[test]
fn unpack_then_json() {
    check(&[Stage::Unpack, json()], UNPACK_THEN_JSON);
}

// parser-json-with-parameters/189/range {job="remediation-decisions"} | json a="b.c[0]"
const JSON_PATH_INTO_MISSING_ARRAY: &[Case] = &[
(
  &[("alert", "CertificateExpiringSoon"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("playbook", "cert-renew"), ("service_name", "remediation-decisions"), ("success", "false")],
  &[("detected_level", "unknown")],
  "{\"timestamp\": 1768188611.126, \"alert\": \"CertificateExpiringSoon\", \"playbook\": \"cert-renew\", \"success\": false, \"confidence\": 71, \"parameters\": {\"threshold\": 95, \"target\": \"/\", \"dry_run\": false}, \"stdout\": \"\", \"stderr\": \"timeout after 30s\", \"duration_ms\": 11738}",
  None,
  &[("a", ""), ("alert", "CertificateExpiringSoon"), ("detected_level", "unknown"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("playbook", "cert-renew"), ("service_name", "remediation-decisions"), ("success", "false")],
),
];

#[test]
fn json_path_into_missing_array() {
    check(&[json_paths(&[("a", "b.c[0]")])], JSON_PATH_INTO_MISSING_ARRAY);
}

// parser-json-with-parameters/180/range {job="traefik-access"} | json ua=`["request_User-Agent"]`
const JSON_PATH_BRACKET_KEY: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "traefik-access"), ("method", "GET"), ("service", "authelia@docker"), ("service_name", "authelia@docker"), ("status", "401")],
  &[("detected_level", "info")],
  "{\"ClientAddr\":\"192.102.110.85:62545\",\"ClientHost\":\"94.122.248.81\",\"ClientPort\":\"55907\",\"DownstreamContentSize\":4554,\"DownstreamStatus\":401,\"Duration\":16355962,\"OriginContentSize\":2512,\"OriginDuration\":16305962,\"OriginStatus\":401,\"Overhead\":50000,\"RequestAddr\":\"authelia.home.lan\",\"RequestContentSize\":0,\"RequestCount\":117424,\"RequestHost\":\"authelia.home.lan\",\"RequestMethod\":\"GET\",\"RequestPath\":\"/Users/Me\",\"RequestPort\":\"-\",\"RequestProtocol\":\"HTTP/2.0\",\"RequestScheme\":\"https\",\"RetryAttempts\":0,\"RouterName\":\"authelia-secure@docker\",\"ServiceName\":\"authelia@docker\",\"StartLocal\":\"2026-01-12T03:59:30.728472766Z\",\"StartUTC\":\"2026-01-12T03:59:30.728472766Z\",\"entryPointName\":\"websecure\",\"level\":\"info\",\"msg\":\"\",\"request_User-Agent\":\"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0\",\"request_X-Forwarded-For\":\"94.242.45.212\",\"time\":\"2026-01-12T03:59:30Z\"}",
  None,
  &[("detected_level", "info"), ("host", "fedora-htpc"), ("job", "traefik-access"), ("method", "GET"), ("service", "authelia@docker"), ("service_name", "authelia@docker"), ("status", "401"), ("ua", "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")],
),
];

#[test]
fn json_path_bracket_key() {
    check(&[json_paths(&[("ua", "[\"request_User-Agent\"]")])], JSON_PATH_BRACKET_KEY);
}

// parser-json-with-parameters/186/range {job="traefik-access"} | json root_elem="[0]"
const JSON_PATH_ROOT_INDEX: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "traefik-access"), ("method", "GET"), ("service", "authelia@docker"), ("service_name", "authelia@docker"), ("status", "401")],
  &[("detected_level", "info")],
  "{\"ClientAddr\":\"192.102.110.85:62545\",\"ClientHost\":\"94.122.248.81\",\"ClientPort\":\"55907\",\"DownstreamContentSize\":4554,\"DownstreamStatus\":401,\"Duration\":16355962,\"OriginContentSize\":2512,\"OriginDuration\":16305962,\"OriginStatus\":401,\"Overhead\":50000,\"RequestAddr\":\"authelia.home.lan\",\"RequestContentSize\":0,\"RequestCount\":117424,\"RequestHost\":\"authelia.home.lan\",\"RequestMethod\":\"GET\",\"RequestPath\":\"/Users/Me\",\"RequestPort\":\"-\",\"RequestProtocol\":\"HTTP/2.0\",\"RequestScheme\":\"https\",\"RetryAttempts\":0,\"RouterName\":\"authelia-secure@docker\",\"ServiceName\":\"authelia@docker\",\"StartLocal\":\"2026-01-12T03:59:30.728472766Z\",\"StartUTC\":\"2026-01-12T03:59:30.728472766Z\",\"entryPointName\":\"websecure\",\"level\":\"info\",\"msg\":\"\",\"request_User-Agent\":\"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0\",\"request_X-Forwarded-For\":\"94.242.45.212\",\"time\":\"2026-01-12T03:59:30Z\"}",
  None,
  &[("detected_level", "info"), ("host", "fedora-htpc"), ("job", "traefik-access"), ("method", "GET"), ("root_elem", ""), ("service", "authelia@docker"), ("service_name", "authelia@docker"), ("status", "401")],
),
];

#[test]
fn json_path_root_index() {
    check(&[json_paths(&[("root_elem", "[0]")])], JSON_PATH_ROOT_INDEX);
}

// parser-json-with-parameters/176/range {job="traefik-access"} | json status="DownstreamStatus", method="RequestMethod", path="RequestPath"
const JSON_PATHS_SEVERAL: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "traefik-access"), ("method", "GET"), ("service", "authelia@docker"), ("service_name", "authelia@docker"), ("status", "404")],
  &[("detected_level", "info")],
  "{\"ClientAddr\":\"94.104.5.118:65081\",\"ClientHost\":\"10.227.254.45\",\"ClientPort\":\"13315\",\"DownstreamContentSize\":1153,\"DownstreamStatus\":404,\"Duration\":370229009,\"OriginContentSize\":1207,\"OriginDuration\":370179009,\"OriginStatus\":404,\"Overhead\":50000,\"RequestAddr\":\"authelia.home.lan\",\"RequestContentSize\":0,\"RequestCount\":876628,\"RequestHost\":\"authelia.home.lan\",\"RequestMethod\":\"GET\",\"RequestPath\":\"/\",\"RequestPort\":\"-\",\"RequestProtocol\":\"HTTP/2.0\",\"RequestScheme\":\"https\",\"RetryAttempts\":0,\"RouterName\":\"authelia-secure@docker\",\"ServiceName\":\"authelia@docker\",\"StartLocal\":\"2026-01-12T03:59:16.143127415Z\",\"StartUTC\":\"2026-01-12T03:59:16.143127415Z\",\"entryPointName\":\"websecure\",\"level\":\"info\",\"msg\":\"\",\"request_User-Agent\":\"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1)\",\"request_X-Forwarded-For\":\"192.72.97.182\",\"time\":\"2026-01-12T03:59:16Z\"}",
  None,
  &[("detected_level", "info"), ("host", "fedora-htpc"), ("job", "traefik-access"), ("method", "GET"), ("method_extracted", "GET"), ("path", "/"), ("service", "authelia@docker"), ("service_name", "authelia@docker"), ("status", "404"), ("status_extracted", "404")],
),
];

#[test]
fn json_paths_several() {
    check(&[json_paths(&[("status", "DownstreamStatus"), ("method", "RequestMethod"), ("path", "RequestPath")])], JSON_PATHS_SEVERAL);
}

// parser-logfmt/190/range {namespace="monitoring"} | logfmt
const LOGFMT_PLAIN: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:53:02.927Z level=debug caller=grafana.go:131 msg=\"xray yankee\" duration=986.000ms size=1017KB user_id=300 component=\"querier\"",
  None,
  &[("caller", "grafana.go:131"), ("component", "querier"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "986.000ms"), ("job", "monitoring/grafana"), ("level", "debug"), ("msg", "xray yankee"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "1017KB"), ("ts", "2026-01-12T03:53:02.927Z"), ("user_id", "300")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768190301.3312345, \"msg\": \"hotel done\", \"latency_ms\": 1485, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/socket\"}, \"tags\": [\"yankee\", \"sierra\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("container", "grafana"), ("detected_level", "info"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
),
];

#[test]
fn logfmt_plain() {
    check(&[logfmt(false, false, &[])], LOGFMT_PLAIN);
}

// parser-logfmt/191/range {namespace="monitoring"} | logfmt --strict
const LOGFMT_STRICT: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768190301.3312345, \"msg\": \"hotel done\", \"latency_ms\": 1485, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/socket\"}, \"tags\": [\"yankee\", \"sierra\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("__error__", "LogfmtParserErr"), ("__error_details__", "logfmt syntax error at pos 2 : unexpected '\"'"), ("container", "grafana"), ("detected_level", "info"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:53:02.927Z level=debug caller=grafana.go:131 msg=\"xray yankee\" duration=986.000ms size=1017KB user_id=300 component=\"querier\"",
  None,
  &[("caller", "grafana.go:131"), ("component", "querier"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "986.000ms"), ("job", "monitoring/grafana"), ("level", "debug"), ("msg", "xray yankee"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "1017KB"), ("ts", "2026-01-12T03:53:02.927Z"), ("user_id", "300")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "unknown")],
  "\u{1b}[32mINFO \u{1b}[0m[2026-01-12T03:59:42.Z] grafana: foxtrot uniform zulu victor victor charlie",
  None,
  &[("container", "grafana"), ("detected_level", "unknown"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn logfmt_strict() {
    check(&[logfmt(true, false, &[])], LOGFMT_STRICT);
}

// parser-logfmt/192/range {namespace="monitoring"} | logfmt --keep-empty
const LOGFMT_KEEP_EMPTY: &[Case] = &[
(
  &[("container", "prometheus"), ("job", "monitoring/prometheus"), ("namespace", "monitoring"), ("pod", "prometheus-5c4b3a291-q8w7e"), ("service_name", "prometheus")],
  &[("detected_level", "unknown")],
  "\u{1b}[32mINFO \u{1b}[0m[2026-01-12T03:49:29.Z] prometheus: quebec kilo",
  None,
  &[("_0m_2026_01_12T03_49_29_Z_", ""), ("_32mINFO", ""), ("container", "prometheus"), ("detected_level", "unknown"), ("job", "monitoring/prometheus"), ("kilo", ""), ("namespace", "monitoring"), ("pod", "prometheus-5c4b3a291-q8w7e"), ("prometheus_", ""), ("quebec", ""), ("service_name", "prometheus")],
),
(
  &[("container", "prometheus"), ("job", "monitoring/prometheus"), ("namespace", "monitoring"), ("pod", "prometheus-5c4b3a291-q8w7e"), ("service_name", "prometheus")],
  &[("detected_level", "unknown")],
  "\u{1b}[33mINFO \u{1b}[0m[2026-01-12T03:49:39.Z] prometheus: sierra india oscar",
  None,
  &[("_0m_2026_01_12T03_49_39_Z_", ""), ("_33mINFO", ""), ("container", "prometheus"), ("detected_level", "unknown"), ("india", ""), ("job", "monitoring/prometheus"), ("namespace", "monitoring"), ("oscar", ""), ("pod", "prometheus-5c4b3a291-q8w7e"), ("prometheus_", ""), ("service_name", "prometheus"), ("sierra", "")],
),
(
  &[("container", "prometheus"), ("job", "monitoring/prometheus"), ("namespace", "monitoring"), ("pod", "prometheus-5c4b3a291-q8w7e"), ("service_name", "prometheus")],
  &[("detected_level", "unknown")],
  "\u{1b}[36mINFO \u{1b}[0m[2026-01-12T03:50:11.Z] prometheus: charlie bravo whiskey hotel",
  None,
  &[("_0m_2026_01_12T03_50_11_Z_", ""), ("_36mINFO", ""), ("bravo", ""), ("charlie", ""), ("container", "prometheus"), ("detected_level", "unknown"), ("hotel", ""), ("job", "monitoring/prometheus"), ("namespace", "monitoring"), ("pod", "prometheus-5c4b3a291-q8w7e"), ("prometheus_", ""), ("service_name", "prometheus"), ("whiskey", "")],
),
];

#[test]
fn logfmt_keep_empty() {
    check(&[logfmt(false, true, &[])], LOGFMT_KEEP_EMPTY);
}

// parser-logfmt/196/range {namespace="monitoring"} | logfmt host, fwd_ip="fwd"
const LOGFMT_PARAMS: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("fwd_ip", ""), ("host", ""), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn logfmt_params() {
    check(&[logfmt(false, false, &[("host", "host"), ("fwd_ip", "fwd")])], LOGFMT_PARAMS);
}

// parser-logfmt/197/range {namespace="monitoring"} | logfmt --strict host, fwd_ip="fwd"
const LOGFMT_STRICT_PARAMS: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768190301.3312345, \"msg\": \"hotel done\", \"latency_ms\": 1485, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/socket\"}, \"tags\": [\"yankee\", \"sierra\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("__error__", "LogfmtParserErr"), ("__error_details__", "logfmt syntax error at pos 2 : unexpected '\"'"), ("container", "grafana"), ("detected_level", "info"), ("fwd_ip", ""), ("host", ""), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("fwd_ip", ""), ("host", ""), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn logfmt_strict_params() {
    check(&[logfmt(true, false, &[("host", "host"), ("fwd_ip", "fwd")])], LOGFMT_STRICT_PARAMS);
}

// parser-logfmt/198/fwd {namespace="monitoring"} | logfmt --keep-empty --strict host
const LOGFMT_KEEP_EMPTY_STRICT_PARAM: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "{\"level\": \"debug\", \"ts\": 1768182211.8478773, \"msg\": \"sierra done\", \"latency_ms\": 760, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/Videos/stream.mp4\"}, \"tags\": [\"bravo\", \"echo\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("__error__", "LogfmtParserErr"), ("__error_details__", "logfmt syntax error at pos 2 : unexpected '\"'"), ("container", "grafana"), ("detected_level", "debug"), ("host", ""), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T01:38:44.934Z level=debug caller=grafana.go:758 msg=\"quebec golf\" duration=322.000ms size=1306KB user_id=362 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("host", ""), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn logfmt_keep_empty_strict_param() {
    check(&[logfmt(true, true, &[("host", "host")])], LOGFMT_KEEP_EMPTY_STRICT_PARAM);
}

// parser-regexp/203/range {namespace="monitoring"} | regexp `(?P<method>\w+) (?P<path>[\w|/]+) \((?P<status>\d+?)\) (?P<duration>.*)`
const REGEXP_GROUPS: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn regexp_groups() {
    check(&[regexp(r"(?P<method>\w+) (?P<path>[\w|/]+) \((?P<status>\d+?)\) (?P<duration>.*)")], REGEXP_GROUPS);
}

// parser-regexp/205/range {namespace="monitoring"} | regexp `^(?P<ts>\S+) (?P<source>\w+)\[(?P<proc>[\w.]+)\]: (?P<msg>.*)$`
const REGEXP_ANCHORED: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn regexp_anchored() {
    check(&[regexp(r"^(?P<ts>\S+) (?P<source>\w+)\[(?P<proc>[\w.]+)\]: (?P<msg>.*)$")], REGEXP_ANCHORED);
}

// parser-regexp/208/range {job="systemd-journal"} | regexp `Failed password for (invalid user )?(?P<user>\S+) from (?P<src_ip>\S+) port (?P<port>\d+)`
const REGEXP_OPTIONAL_GROUP: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "systemd-journal"), ("priority", "err"), ("service_name", "systemd-journal"), ("unit", "cron.service")],
  &[("detected_level", "error")],
  "cron[6559]: ERR quebec juliet oscar bravo golf kilo tango",
  None,
  &[("detected_level", "error"), ("host", "fedora-htpc"), ("job", "systemd-journal"), ("priority", "err"), ("service_name", "systemd-journal"), ("unit", "cron.service")],
),
];

#[test]
fn regexp_optional_group() {
    check(&[regexp(r"Failed password for (invalid user )?(?P<user>\S+) from (?P<src_ip>\S+) port (?P<port>\d+)")], REGEXP_OPTIONAL_GROUP);
}

// parser-regexp/209/range {job="systemd-journal"} | regexp `(?P<_1st>\d+)`
const REGEXP_DIGIT_NAME: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "systemd-journal"), ("priority", "info"), ("service_name", "systemd-journal"), ("unit", "sshd.service")],
  &[("detected_level", "unknown")],
  "Accepted publickey for patriark from 10.73.147.9 port 9380 ssh2: ED25519 SHA256:d1dd3700adbb7fb1aa2d",
  None,
  &[("_1st", "10"), ("detected_level", "unknown"), ("host", "fedora-htpc"), ("job", "systemd-journal"), ("priority", "info"), ("service_name", "systemd-journal"), ("unit", "sshd.service")],
),
];

#[test]
fn regexp_digit_name() {
    check(&[regexp(r"(?P<_1st>\d+)")], REGEXP_DIGIT_NAME);
}

// parser-pattern/210/range {namespace="monitoring"} | pattern "<ip> - - <_> \"<method> <uri> <_>\" <status> <size> <_> \"<agent>\" <_>"
const PATTERN_ACCESS_LOG: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:49:51.446Z level=debug caller=grafana.go:238 msg=\"zulu charlie\" duration=782.000ms size=3845KB user_id=307 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("ip", "ts=2026-01-12T03:49:51.446Z level=debug caller=grafana.go:238 msg=\"zulu charlie\" duration=782.000ms size=3845KB user_id=307 component=\"ingester\""), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn pattern_access_log() {
    check(&[pattern("<ip> - - <_> \"<method> <uri> <_>\" <status> <size> <_> \"<agent>\" <_>")], PATTERN_ACCESS_LOG);
}

// parser-pattern/211/range {namespace="monitoring"} | pattern `<_> msg="<method> <path> (<status>) <latency>"`
const PATTERN_PARTIAL: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("method", "mike"), ("namespace", "monitoring"), ("path", "juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\""), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768190301.3312345, \"msg\": \"hotel done\", \"latency_ms\": 1485, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/socket\"}, \"tags\": [\"yankee\", \"sierra\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("container", "grafana"), ("detected_level", "info"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
),
];

#[test]
fn pattern_partial() {
    check(&[pattern("<_> msg=\"<method> <path> (<status>) <latency>\"")], PATTERN_PARTIAL);
}

// parser-pattern/212/range {namespace="monitoring"} | pattern `at=<level> <_> method=<method> path=<path> <_> status=<status> <_>`
const PATTERN_LEADING_LITERAL: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn pattern_leading_literal() {
    check(&[pattern("at=<level> <_> method=<method> path=<path> <_> status=<status> <_>")], PATTERN_LEADING_LITERAL);
}

// parser-pattern/214/range {namespace="monitoring"} | pattern "<method> <path>"
const PATTERN_TWO_CAPTURES: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:49:51.446Z level=debug caller=grafana.go:238 msg=\"zulu charlie\" duration=782.000ms size=3845KB user_id=307 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("method", "ts=2026-01-12T03:49:51.446Z"), ("namespace", "monitoring"), ("path", "level=debug caller=grafana.go:238 msg=\"zulu charlie\" duration=782.000ms size=3845KB user_id=307 component=\"ingester\""), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn pattern_two_captures() {
    check(&[pattern("<method> <path>")], PATTERN_TWO_CAPTURES);
}

// parser-pattern/216/range {job="systemd-journal"} | pattern `<_> sshd[<pid>]: <msg>`
const PATTERN_SSHD: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "systemd-journal"), ("priority", "err"), ("service_name", "systemd-journal"), ("unit", "cron.service")],
  &[("detected_level", "error")],
  "cron[6559]: ERR quebec juliet oscar bravo golf kilo tango",
  None,
  &[("detected_level", "error"), ("host", "fedora-htpc"), ("job", "systemd-journal"), ("priority", "err"), ("service_name", "systemd-journal"), ("unit", "cron.service")],
),
];

#[test]
fn pattern_sshd() {
    check(&[pattern("<_> sshd[<pid>]: <msg>")], PATTERN_SSHD);
}

// parser-unpack/219/range {namespace="monitoring"} | unpack | logfmt | level="error"
const UNPACK_LOGFMT_FILTER: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "error")],
  "ts=2026-01-12T03:30:30.526Z level=error caller=grafana.go:122 msg=\"juliet alpha\" duration=274.000ms size=3684KB user_id=335 component=\"compactor\"",
  None,
  &[("__error__", "JSONParserErr"), ("__error_details__", "expecting json object(6), but it is not"), ("caller", "grafana.go:122"), ("component", "compactor"), ("container", "grafana"), ("detected_level", "error"), ("duration", "274.000ms"), ("job", "monitoring/grafana"), ("level", "error"), ("msg", "juliet alpha"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana"), ("size", "3684KB"), ("ts", "2026-01-12T03:30:30.526Z"), ("user_id", "335")],
),
];

#[test]
fn unpack_logfmt_filter() {
    check(&[Stage::Unpack, logfmt(false, false, &[]), str_filter("level", MatchOp::Eq, "error")], UNPACK_LOGFMT_FILTER);
}

// decolorize/159/range {namespace="monitoring"} | decolorize
const DECOLORIZE_LINES: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn decolorize_lines() {
    check(&[Stage::Decolorize], DECOLORIZE_LINES);
}

// decolorize/160/range {namespace="monitoring"} | decolorize |= "ERROR"
const DECOLORIZE_THEN_FILTER_SEES_COLORS: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "unknown")],
  "\u{1b}[31mERROR\u{1b}[0m[2026-01-12T03:57:13.Z] grafana: whiskey zulu whiskey oscar xray zulu xray foxtrot",
  Some("ERROR[2026-01-12T03:57:13.Z] grafana: whiskey zulu whiskey oscar xray zulu xray foxtrot"),
  &[("container", "grafana"), ("detected_level", "unknown"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn decolorize_then_filter_sees_colors() {
    check(&[Stage::Decolorize, contains("ERROR")], DECOLORIZE_THEN_FILTER_SEES_COLORS);
}

// decolorize/161/range {namespace="monitoring"} | decolorize | logfmt
const DECOLORIZE_THEN_LOGFMT: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:53:02.927Z level=debug caller=grafana.go:131 msg=\"xray yankee\" duration=986.000ms size=1017KB user_id=300 component=\"querier\"",
  None,
  &[("caller", "grafana.go:131"), ("component", "querier"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "986.000ms"), ("job", "monitoring/grafana"), ("level", "debug"), ("msg", "xray yankee"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "1017KB"), ("ts", "2026-01-12T03:53:02.927Z"), ("user_id", "300")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768190301.3312345, \"msg\": \"hotel done\", \"latency_ms\": 1485, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/socket\"}, \"tags\": [\"yankee\", \"sierra\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("container", "grafana"), ("detected_level", "info"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
),
];

#[test]
fn decolorize_then_logfmt() {
    check(&[Stage::Decolorize, logfmt(false, false, &[])], DECOLORIZE_THEN_LOGFMT);
}

// drop-and-keep/357/fwd {namespace="monitoring"} | logfmt | drop fwd, request_id, connect
const DROP_NAMES: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T01:45:58.894Z level=debug caller=grafana.go:10 msg=\"delta bravo\" duration=127.000ms size=377KB user_id=14 component=\"ingester\"",
  None,
  &[("caller", "grafana.go:10"), ("component", "ingester"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "127.000ms"), ("job", "monitoring/grafana"), ("level", "debug"), ("msg", "delta bravo"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "377KB"), ("ts", "2026-01-12T01:45:58.894Z"), ("user_id", "14")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "{\"level\": \"debug\", \"ts\": 1768182211.8478773, \"msg\": \"sierra done\", \"latency_ms\": 760, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/Videos/stream.mp4\"}, \"tags\": [\"bravo\", \"echo\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn drop_names() {
    check(&[logfmt(false, false, &[]), drop(&["fwd", "request_id", "connect"])], DROP_NAMES);
}

// drop-and-keep/360/range {namespace="monitoring"} | logfmt | drop level!="error"
const DROP_MATCHER: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:53:02.927Z level=debug caller=grafana.go:131 msg=\"xray yankee\" duration=986.000ms size=1017KB user_id=300 component=\"querier\"",
  None,
  &[("caller", "grafana.go:131"), ("component", "querier"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "986.000ms"), ("job", "monitoring/grafana"), ("msg", "xray yankee"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "1017KB"), ("ts", "2026-01-12T03:53:02.927Z"), ("user_id", "300")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "error")],
  "ts=2026-01-12T03:50:56.595Z level=error caller=grafana.go:193 msg=\"xray whiskey\" duration=150.000ms size=1174KB user_id=265 component=\"querier\"",
  None,
  &[("caller", "grafana.go:193"), ("component", "querier"), ("container", "grafana"), ("detected_level", "error"), ("duration", "150.000ms"), ("job", "monitoring/grafana"), ("level", "error"), ("msg", "xray whiskey"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana"), ("size", "1174KB"), ("ts", "2026-01-12T03:50:56.595Z"), ("user_id", "265")],
),
];

#[test]
fn drop_matcher() {
    check(&[logfmt(false, false, &[]), drop_matchers(&[("level", MatchOp::Neq, "error")])], DROP_MATCHER);
}

// drop-and-keep/362/range {namespace="monitoring"} | logfmt | keep method, path, status
const KEEP_NOTHING_PRESENT: &[Case] = &[
(
  &[("container", "prometheus"), ("job", "monitoring/prometheus"), ("namespace", "monitoring"), ("pod", "prometheus-5c4b3a291-q8w7e"), ("service_name", "prometheus")],
  &[],
  "\u{1b}[36mWARN \u{1b}[0m[2026-01-12T03:59:43.Z] prometheus: november delta papa victor",
  None,
  &[],
),
];

#[test]
fn keep_nothing_present() {
    check(&[logfmt(false, false, &[]), keep(&["method", "path", "status"])], KEEP_NOTHING_PRESENT);
}

// drop-and-keep/365/range {namespace="monitoring"} | logfmt | keep level=~"error|warn", app
const KEEP_MATCHER: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[],
  "ts=2026-01-12T03:58:51.649Z level=error caller=grafana.go:733 msg=\"november tango\" duration=68.761ms size=1225KB user_id=474 component=\"querier\"",
  None,
  &[("level", "error")],
),
(
  &[("container", "prometheus"), ("job", "monitoring/prometheus"), ("namespace", "monitoring"), ("pod", "prometheus-5c4b3a291-q8w7e"), ("service_name", "prometheus")],
  &[],
  "\u{1b}[36mWARN \u{1b}[0m[2026-01-12T03:59:43.Z] prometheus: november delta papa victor",
  None,
  &[],
),
];

#[test]
fn keep_matcher() {
    check(&[logfmt(false, false, &[]), keep_matchers(&[("level", MatchOp::Re, "error|warn")], &["app"])], KEEP_MATCHER);
}

// lexical-whitespace-comments-keyword-case/035/range {namespace="monitoring"} | logfmt | level="error" OR status >= 500
const LABEL_FILTER_OR: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "error")],
  "ts=2026-01-12T03:30:30.526Z level=error caller=grafana.go:122 msg=\"juliet alpha\" duration=274.000ms size=3684KB user_id=335 component=\"compactor\"",
  None,
  &[("caller", "grafana.go:122"), ("component", "compactor"), ("container", "grafana"), ("detected_level", "error"), ("duration", "274.000ms"), ("job", "monitoring/grafana"), ("level", "error"), ("msg", "juliet alpha"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana"), ("size", "3684KB"), ("ts", "2026-01-12T03:30:30.526Z"), ("user_id", "335")],
),
];

#[test]
fn label_filter_or() {
    check(&[logfmt(false, false, &[]), or(str_filter("level", MatchOp::Eq, "error"), num("status", CmpOp::Gte, 500.0))], LABEL_FILTER_OR);
}

// label-filters-string-matchers/235/range {namespace="monitoring"} | logfmt | level=""
const LABEL_FILTER_EMPTY_STRING: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "{\"level\": \"debug\", \"ts\": 1768189154.4593523, \"msg\": \"zulu done\", \"latency_ms\": 133, \"http\": {\"method\": \"POST\", \"status\": 404, \"path\": \"/socket\"}, \"tags\": [\"kilo\", \"tango\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn label_filter_empty_string() {
    check(&[logfmt(false, false, &[]), str_filter("level", MatchOp::Eq, "")], LABEL_FILTER_EMPTY_STRING);
}

// use-case-systemd-journal/586/range {job="systemd-journal", unit="sshd.service"} | pattern `<_> from <src_ip> port <port> <_>` | src_ip != ip("10.0.0.0/8")
const PATTERN_THEN_IP_FILTER: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "systemd-journal"), ("priority", "warning"), ("service_name", "systemd-journal"), ("unit", "sshd.service")],
  &[("detected_level", "unknown")],
  "Invalid user pi from 192.16.176.41 port 12854",
  None,
  &[("detected_level", "unknown"), ("host", "fedora-htpc"), ("job", "systemd-journal"), ("port", "12854"), ("priority", "warning"), ("service_name", "systemd-journal"), ("src_ip", "192.16.176.41"), ("unit", "sshd.service")],
),
];

#[test]
fn pattern_then_ip_filter() {
    check(&[pattern("<_> from <src_ip> port <port> <_>"), ip_filter("src_ip", true, "10.0.0.0/8")], PATTERN_THEN_IP_FILTER);
}

// ip-filters/158/range {job="traefik-access"} | json | ClientHost != ip("192.168.1.0/24") | __error__=""
const JSON_IP_NOT_IN: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "traefik-access"), ("method", "GET"), ("service", "nextcloud@docker"), ("service_name", "nextcloud@docker"), ("status", "502")],
  &[("detected_level", "info")],
  "{\"ClientAddr\":\"10.103.128.204:52539\",\"ClientHost\":\"81.49.220.228\",\"ClientPort\":\"6496\",\"DownstreamContentSize\":2909,\"DownstreamStatus\":502,\"Duration\":14695639,\"OriginContentSize\":2126,\"OriginDuration\":14645639,\"OriginStatus\":502,\"Overhead\":50000,\"RequestAddr\":\"nextcloud.home.lan\",\"RequestContentSize\":0,\"RequestCount\":130225,\"RequestHost\":\"nextcloud.home.lan\",\"RequestMethod\":\"GET\",\"RequestPath\":\"/web/index.html\",\"RequestPort\":\"-\",\"RequestProtocol\":\"HTTP/2.0\",\"RequestScheme\":\"https\",\"RetryAttempts\":0,\"RouterName\":\"nextcloud-secure@docker\",\"ServiceName\":\"nextcloud@docker\",\"StartLocal\":\"2026-01-12T03:59:25.863973747Z\",\"StartUTC\":\"2026-01-12T03:59:25.863973747Z\",\"entryPointName\":\"websecure\",\"level\":\"info\",\"msg\":\"\",\"request_User-Agent\":\"Jellyfin-Android/2.6.1\",\"request_X-Forwarded-For\":\"10.216.151.27\",\"time\":\"2026-01-12T03:59:25Z\"}",
  None,
  &[("ClientAddr", "10.103.128.204:52539"), ("ClientHost", "81.49.220.228"), ("ClientPort", "6496"), ("DownstreamContentSize", "2909"), ("DownstreamStatus", "502"), ("Duration", "14695639"), ("OriginContentSize", "2126"), ("OriginDuration", "14645639"), ("OriginStatus", "502"), ("Overhead", "50000"), ("RequestAddr", "nextcloud.home.lan"), ("RequestContentSize", "0"), ("RequestCount", "130225"), ("RequestHost", "nextcloud.home.lan"), ("RequestMethod", "GET"), ("RequestPath", "/web/index.html"), ("RequestPort", "-"), ("RequestProtocol", "HTTP/2.0"), ("RequestScheme", "https"), ("RetryAttempts", "0"), ("RouterName", "nextcloud-secure@docker"), ("ServiceName", "nextcloud@docker"), ("StartLocal", "2026-01-12T03:59:25.863973747Z"), ("StartUTC", "2026-01-12T03:59:25.863973747Z"), ("detected_level", "info"), ("entryPointName", "websecure"), ("host", "fedora-htpc"), ("job", "traefik-access"), ("level", "info"), ("method", "GET"), ("msg", ""), ("request_User_Agent", "Jellyfin-Android/2.6.1"), ("request_X_Forwarded_For", "10.216.151.27"), ("service", "nextcloud@docker"), ("service_name", "nextcloud@docker"), ("status", "502"), ("time", "2026-01-12T03:59:25Z")],
),
];

#[test]
fn json_ip_not_in() {
    check(&[json(), ip_filter("ClientHost", true, "192.168.1.0/24"), str_filter("__error__", MatchOp::Eq, "")], JSON_IP_NOT_IN);
}

// use-case-systemd-journal/587/range {job="systemd-journal", unit="cron.service"} | logfmt --strict | __error__=""
const STRICT_LOGFMT_CLEAN_ONLY: &[Case] = &[
(
  &[("host", "fedora-htpc"), ("job", "systemd-journal"), ("priority", "err"), ("service_name", "systemd-journal"), ("unit", "cron.service")],
  &[("detected_level", "error")],
  "cron[6559]: ERR quebec juliet oscar bravo golf kilo tango",
  None,
  &[("detected_level", "error"), ("host", "fedora-htpc"), ("job", "systemd-journal"), ("priority", "err"), ("service_name", "systemd-journal"), ("unit", "cron.service")],
),
];

#[test]
fn strict_logfmt_clean_only() {
    check(&[logfmt(true, false, &[]), str_filter("__error__", MatchOp::Eq, "")], STRICT_LOGFMT_CLEAN_ONLY);
}

// grafana/structured-metadata-filter {source="heroku", app="shop"} | trace_id=~"a.*"
const METADATA_LABEL_FILTER: &[Case] = &[
(
  &[("app", "shop"), ("dyno", "web.1"), ("level", "debug"), ("service_name", "shop"), ("source", "heroku")],
  &[("detected_level", "debug"), ("trace_id", "07c8dd9e64e07c4a")],
  "2026-01-12T03:52:17.035838Z app[web.1]: DEBUG -- : cache hit key=user:5725 ttl=472s",
  None,
  &[("app", "shop"), ("detected_level", "debug"), ("dyno", "web.1"), ("level", "debug"), ("service_name", "shop"), ("source", "heroku"), ("trace_id", "07c8dd9e64e07c4a")],
),
];

#[test]
fn metadata_label_filter() {
    check(&[str_filter("trace_id", MatchOp::Re, "a.*")], METADATA_LABEL_FILTER);
}

// use-case-remediation-decision-jsonl/563/range {job="remediation-decisions"} | json | confidence >= 95 and success="true"
const JSON_NUMBER_AND_STRING_FILTERS: &[Case] = &[
(
  &[("alert", "CertificateExpiringSoon"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("playbook", "cert-renew"), ("service_name", "remediation-decisions"), ("success", "true")],
  &[("detected_level", "unknown")],
  "{\"timestamp\": 1768186330.404, \"alert\": \"CertificateExpiringSoon\", \"playbook\": \"cert-renew\", \"success\": true, \"confidence\": 95, \"parameters\": {\"threshold\": 80, \"target\": \"/\", \"dry_run\": false}, \"stdout\": \"cert-renew: freed 611MB\", \"stderr\": \"\", \"duration_ms\": 26981}",
  None,
  &[("alert", "CertificateExpiringSoon"), ("alert_extracted", "CertificateExpiringSoon"), ("confidence", "95"), ("detected_level", "unknown"), ("duration_ms", "26981"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("parameters_dry_run", "false"), ("parameters_target", "/"), ("parameters_threshold", "80"), ("playbook", "cert-renew"), ("playbook_extracted", "cert-renew"), ("service_name", "remediation-decisions"), ("stderr", ""), ("stdout", "cert-renew: freed 611MB"), ("success", "true"), ("success_extracted", "true"), ("timestamp", "1768186330.404")],
),
];

#[test]
fn json_number_and_string_filters() {
    check(&[json(), and(num("confidence", CmpOp::Gte, 95.0), str_filter("success", MatchOp::Eq, "true"))], JSON_NUMBER_AND_STRING_FILTERS);
}

// parser-json-no-params/174/fwd {job="remediation-decisions"} | json | success_extracted="false"
const JSON_EXTRACTED_LABEL_FILTER: &[Case] = &[
(
  &[("alert", "CertificateExpiringSoon"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("playbook", "cert-renew"), ("service_name", "remediation-decisions"), ("success", "false")],
  &[("detected_level", "unknown")],
  "{\"timestamp\": 1768181829.48, \"alert\": \"CertificateExpiringSoon\", \"playbook\": \"cert-renew\", \"success\": false, \"confidence\": 52, \"parameters\": {\"threshold\": 95, \"target\": \"/home\", \"dry_run\": false}, \"stdout\": \"\", \"stderr\": \"timeout after 30s\", \"duration_ms\": 25357}",
  None,
  &[("alert", "CertificateExpiringSoon"), ("alert_extracted", "CertificateExpiringSoon"), ("confidence", "52"), ("detected_level", "unknown"), ("duration_ms", "25357"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("parameters_dry_run", "false"), ("parameters_target", "/home"), ("parameters_threshold", "95"), ("playbook", "cert-renew"), ("playbook_extracted", "cert-renew"), ("service_name", "remediation-decisions"), ("stderr", "timeout after 30s"), ("stdout", ""), ("success", "false"), ("success_extracted", "false"), ("timestamp", "1768181829.48")],
),
];

#[test]
fn json_extracted_label_filter() {
    check(&[json(), str_filter("success_extracted", MatchOp::Eq, "false")], JSON_EXTRACTED_LABEL_FILTER);
}


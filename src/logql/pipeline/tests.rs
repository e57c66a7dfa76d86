//! Pipeline-level tests: stage order (hoisting), stage interplay, sample
//! extraction, and cases taken from Loki 3.7's recorded answers (the
//! conformance goldens): the query, each entry's stream labels, metadata
//! (Loki's ingest adds `detected_level`) and line, and the labels and line
//! Loki returned.

use super::*;
use crate::logql::ast::{Expr, MetricExpr};
use crate::logql::parse_expr;

/// (stream labels, structured metadata, line, line Loki returned when it
/// differs, labels Loki returned)
type Case = (
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
    &'static str,
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
);

/// "now" for templates in these tests.
const NOW: i64 = 1_795_400_000_000_000_000;

fn log_stages(query: &str) -> Vec<ast::Stage> {
    match parse_expr(query) {
        Ok(Expr::Log(l)) => l.stages,
        other => panic!("not a log query: {query}: {other:?}"),
    }
}

fn pipeline(query: &str) -> Pipeline {
    Pipeline::new(&log_stages(query)).with_now(NOW)
}

fn range_agg(query: &str) -> RangeAggregation {
    match parse_expr(query) {
        Ok(Expr::Metric(MetricExpr::RangeAgg(r))) => r,
        other => panic!("not a range aggregation: {query}: {other:?}"),
    }
}

fn run_one(
    p: &Pipeline,
    stream: &[(&str, &str)],
    md: &[(&str, &str)],
    line: &str,
) -> Option<(String, String)> {
    let mut sp = p.for_stream(&Labels::from_pairs(stream.iter().copied()));
    let (l, labels) = sp.process(1_768_176_000_000_000_000, line, md)?;
    Some((l.to_string(), labels.all().to_string()))
}

fn labels_of(p: &Pipeline, stream: &[(&str, &str)], line: &str) -> Option<String> {
    run_one(p, stream, &[], line).map(|r| r.1)
}

fn check(query: &str, cases: &[Case]) {
    let p = pipeline(query);
    for (stream, md, line, out_line, want) in cases {
        let got = run_one(&p, stream, md, line);
        let want_labels = Labels::from_pairs(want.iter().copied()).to_string();
        let want_line = out_line.unwrap_or(line).to_string();
        assert_eq!(got, Some((want_line, want_labels)), "{query} on {line:?}");
    }
}

// ---------------------------------------------------------------------------
// hand-written cases

#[test]
fn hoisting_moves_line_filters_within_segments() {
    let stages = log_stages(
        r#"{a="b"} | json | drop a |= "x" | decolorize |= "y" | status > 1 | logfmt |= "z" | unpack |= "w" | line_format "{{.a}}" |= "v""#,
    );
    let order: Vec<String> = hoist(&stages).iter().map(|s| s.to_string()).collect();
    assert_eq!(
        order.join(" "),
        r#"|= "x" |= "y" | json | drop a | decolorize | status > 1.0 |= "z" | logfmt | unpack |= "w" | line_format "{{.a}}" |= "v""#
    );
}

#[test]
fn decolorize_does_not_cut_a_segment() {
    // `| decolorize |= "level=ERROR"` tests the colored line
    let p = pipeline(r#"{app="a"} | decolorize |= "level=ERROR""#);
    let colored = "\u{1b}[31mlevel=\u{1b}[0mERROR";
    assert_eq!(run_one(&p, &[("app", "a")], &[], colored), None);
    let plain_match = "x \u{1b}[1mlevel=ERROR";
    assert_eq!(
        run_one(&p, &[("app", "a")], &[], plain_match).map(|r| r.0),
        Some("x level=ERROR".to_string())
    );
}

#[test]
fn line_filters_after_rewrites_see_the_new_line() {
    let p = pipeline(r#"{app="a"} | unpack |= "error""#);
    let packed = r#"{"_entry":"an error happened","pod":"p1"}"#;
    assert_eq!(
        run_one(&p, &[("app", "a")], &[], packed),
        Some(("an error happened".into(), r#"{app="a", pod="p1"}"#.into()))
    );
    assert_eq!(
        run_one(
            &p,
            &[("app", "a")],
            &[],
            r#"{"_entry":"fine","msg":"error"}"#
        ),
        None
    );
    let p = pipeline(r#"{app="a"} | logfmt | line_format "{{.msg}}" |= "boom""#);
    assert_eq!(
        run_one(&p, &[("app", "a")], &[], r#"msg=boom other=x"#).map(|r| r.0),
        Some("boom".to_string())
    );
    assert_eq!(
        run_one(&p, &[("app", "a")], &[], r#"msg=fine other=boom"#),
        None
    );
}

#[test]
fn first_extraction_wins_across_parsers() {
    let stream = &[("app", "x")];
    let p = pipeline(r#"{app="x"} | json | logfmt"#);
    assert_eq!(
        labels_of(&p, stream, r#"{"a":"json"}"#).unwrap(),
        r#"{a="json", app="x"}"#
    );
    let p = pipeline(r#"{app="x"} | logfmt | regexp "a=(?P<a>\\w+) b=(?P<b>\\w+)""#);
    assert_eq!(
        labels_of(&p, stream, "a=1 b=2").unwrap(),
        r#"{a="1", app="x", b="2"}"#
    );
    let p = pipeline(r#"{app="x"} | json"#);
    assert_eq!(
        labels_of(&p, stream, r#"{"dup":"first","dup":"second"}"#).unwrap(),
        r#"{app="x", dup="first"}"#
    );
    let p = pipeline(r#"{app="x"} | logfmt"#);
    assert_eq!(
        labels_of(&p, stream, "dup=1 dup=2").unwrap(),
        r#"{app="x", dup="1"}"#
    );
    // a label_format target counts as extracted too
    let p = pipeline(r#"{app="x"} | label_format a="t" | logfmt"#);
    assert_eq!(labels_of(&p, stream, "a=1").unwrap(), r#"{a="t", app="x"}"#);
}

#[test]
fn parser_errors_overwrite_and_filter_errors_do_not() {
    let p = pipeline(r#"{app="x"} | json | logfmt --strict"#);
    assert_eq!(
        labels_of(&p, &[("app", "x")], "=x").unwrap(),
        r#"{__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 1 : unexpected '='", app="x"}"#
    );
    let p = pipeline(r#"{app="x"} | json | logfmt | status > 5"#);
    assert_eq!(
        labels_of(&p, &[("app", "x")], "status=abc").unwrap(),
        r#"{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="x", status="abc"}"#
    );
    let p = pipeline(r#"{app="x"} | logfmt | status >= 500"#);
    assert_eq!(
        labels_of(&p, &[("app", "x")], "status=abc").unwrap(),
        r#"{__error__="LabelFilterErr", __error_details__="strconv.ParseFloat: parsing \"abc\": invalid syntax", app="x", status="abc"}"#
    );
    // only string filters see the error; numeric filters on it drop
    let p = pipeline(r#"{app="x"} | json | __error__ > 0"#);
    assert_eq!(labels_of(&p, &[("app", "x")], "plain"), None);
}

#[test]
fn json_fixture_d_from_the_reference() {
    let p = pipeline(r#"{job="x"} | json"#);
    let line = r#"{"a.b":{"c":"d"},"e":"f","level":"error","arr":[1,2],"n":null,"t":true,"num":1.50,"1st":"x","dup":"first","dup":"second","user-agent":"curl","héllo":"w","sp ace":"s"}"#;
    assert_eq!(
        labels_of(&p, &[("job", "x"), ("level", "info")], line).unwrap(),
        r#"{_1st="x", a_b_c="d", dup="first", e="f", h_llo="w", job="x", level="info", level_extracted="error", num="1.50", sp_ace="s", t="true", user_agent="curl"}"#
    );
    assert_eq!(
        labels_of(&p, &[("job", "x")], "not json at all").unwrap(),
        r#"{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", job="x"}"#
    );
}

#[test]
fn pattern_fixture_d_from_the_reference() {
    let p = pipeline(r#"{job="x"} | pattern "<method> <path> <status>""#);
    assert_eq!(
        labels_of(&p, &[("job", "x")], "GET /api 200 12ms extra").unwrap(),
        r#"{job="x", method="GET", path="/api", status="200 12ms extra"}"#
    );
    assert_eq!(
        labels_of(&p, &[("job", "x")], "foo bar").unwrap(),
        r#"{job="x", method="foo", path="bar"}"#
    );
}

#[test]
fn metadata_collisions() {
    let p = pipeline(r#"{job="x"} | json"#);
    // metadata named like a stream label is renamed; a parsed label named like
    // metadata gets the suffix; the parsed `job_extracted` replaces the renamed
    // metadata (Loki does the same)
    let got = run_one(
        &p,
        &[("job", "x")],
        &[("job", "m"), ("trace_id", "t1")],
        r#"{"trace_id":"p","job":"q"}"#,
    );
    assert_eq!(
        got.unwrap().1,
        r#"{job="x", job_extracted="q", trace_id="t1", trace_id_extracted="p"}"#
    );
}

#[test]
fn labels_are_interned_per_stream() {
    let p = pipeline(r#"{app="a"} | logfmt"#);
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
    let p = pipeline(r#"{app="a"}"#);
    assert!(p.is_noop());
    let mut sp = p.for_stream(&Labels::from_pairs([("app", "a")]));
    let (line, labels) = sp.process(1, "hello", &[("trace_id", "t")]).unwrap();
    assert_eq!(line, "hello");
    assert_eq!(labels.all().to_string(), r#"{app="a", trace_id="t"}"#);
    assert_eq!(
        labels.structured_metadata().to_string(),
        r#"{trace_id="t"}"#
    );
    assert_eq!(labels.stream().to_string(), r#"{app="a"}"#);
}

#[test]
fn sample_values_by_function() {
    let stream = Labels::from_pairs([("app", "a")]);
    let mut s = SampleExtractor::new(&range_agg(r#"count_over_time({app="a"} |= "x" [1m])"#))
        .for_stream(&stream);
    assert_eq!(s.process(1, "x1", &[]).map(|r| r.0), Some(1.0));
    assert!(s.process(1, "y", &[]).is_none());
    let mut s = SampleExtractor::new(&range_agg(r#"bytes_over_time({app="a"} | unpack [1m])"#))
        .for_stream(&stream);
    assert_eq!(
        s.process(1, r#"{"_entry":"abc"}"#, &[]).map(|r| r.0),
        Some(3.0)
    );
    assert_eq!(s.process(1, "héllo", &[]).map(|r| r.0), Some(6.0));
}

#[test]
fn unwrap_removes_the_label_and_reports_errors() {
    let stream = Labels::from_pairs([("service", "jellyfin")]);
    let ex = SampleExtractor::new(&range_agg(
        r#"sum_over_time({app="a"} | json | unwrap duration(Duration) [1m])"#,
    ));
    let mut s = ex.for_stream(&stream);
    let (v, l) = s
        .process(1, r#"{"Duration":"1.5s","status":502}"#, &[])
        .unwrap();
    assert_eq!(v, 1.5);
    assert_eq!(l.all().to_string(), r#"{service="jellyfin", status="502"}"#);
    let (v, l) = s.process(1, r#"{"Duration":"oops"}"#, &[]).unwrap();
    assert_eq!(v, 0.0);
    assert_eq!(l.error(), Some("SampleExtractionErr"));
    assert_eq!(
        l.all().get("__error_details__"),
        Some(r#"time: invalid duration "oops""#)
    );
    assert_eq!(l.all().get("Duration"), Some("oops"));
    assert!(s.process(1, r#"{"other":1}"#, &[]).is_none());
    // a post filter drops the failed conversion
    let ex = SampleExtractor::new(&range_agg(
        r#"sum_over_time({app="a"} | json | unwrap duration(Duration) | __error__="" [1m])"#,
    ));
    let mut s = ex.for_stream(&stream);
    assert!(s.process(1, r#"{"Duration":"oops"}"#, &[]).is_none());
    assert_eq!(
        s.process(1, r#"{"Duration":"100ms"}"#, &[]).map(|r| r.0),
        Some(0.1)
    );
    // a range aggregation's own grouping
    let ex = SampleExtractor::new(&range_agg(
        r#"avg_over_time({app="a"} | json | unwrap bytes(size) [1m]) by (status)"#,
    ));
    let mut s = ex.for_stream(&stream);
    let (v, l) = s
        .process(1, r#"{"size":"1KiB","status":"200","x":"y"}"#, &[])
        .unwrap();
    assert_eq!(
        (v, l.all().to_string()),
        (1024.0, r#"{status="200"}"#.to_string())
    );
}

#[test]
fn grouping_reduces_sample_labels() {
    let stream = Labels::from_pairs([("job", "traefik"), ("service", "jellyfin")]);
    let by_service = Some(Grouping {
        without: false,
        labels: vec!["service".into()],
    });
    let agg = range_agg(r#"rate({job="traefik"} | json | DownstreamStatus >= 500 [5m])"#);
    let mut s = SampleExtractor::with_grouping(&agg, by_service.clone()).for_stream(&stream);
    let a = s
        .process(1, r#"{"DownstreamStatus":502,"StartUTC":"t1"}"#, &[])
        .unwrap()
        .1;
    let b = s
        .process(2, r#"{"DownstreamStatus":503,"StartUTC":"t2"}"#, &[])
        .unwrap()
        .1;
    assert_eq!(a.all().to_string(), r#"{service="jellyfin"}"#);
    assert!(Arc::ptr_eq(&a, &b));
    assert!(s.process(3, r#"{"DownstreamStatus":200}"#, &[]).is_none());
    // the numeric filter drops a non-JSON line (its label is missing)
    assert!(s.process(4, "not json", &[]).is_none());
    // an error keeps every label so the caller can report it
    let agg = range_agg(r#"count_over_time({job="traefik"} | json [5m])"#);
    let mut s = SampleExtractor::with_grouping(&agg, by_service.clone()).for_stream(&stream);
    let e = s.process(4, "not json", &[]).unwrap().1;
    assert_eq!(e.error(), Some("JSONParserErr"));
    assert_eq!(e.all().get("job"), Some("traefik"));
    let without = Some(Grouping {
        without: true,
        labels: vec!["job".into()],
    });
    let mut s = SampleExtractor::with_grouping(&agg, without).for_stream(&stream);
    let l = s.process(5, r#"{"a":"b"}"#, &[]).unwrap().1;
    assert_eq!(l.all().to_string(), r#"{a="b", service="jellyfin"}"#);
}

fn vector_agg(query: &str) -> SampleExtractor {
    match parse_expr(query) {
        Ok(Expr::Metric(MetricExpr::VectorAgg(v))) => match v.inner.as_ref() {
            MetricExpr::RangeAgg(r) => {
                SampleExtractor::for_vector_aggregation(r, v.op, v.grouping.as_ref())
            }
            other => panic!("not over a range aggregation: {other:?}"),
        },
        other => panic!("not a vector aggregation: {query}: {other:?}"),
    }
}

#[test]
fn parser_hints_follow_loki() {
    let stream = Labels::from_pairs([("job", "traefik"), ("service", "jellyfin")]);
    // `sum(...)` needs no labels: the json stage does nothing, so a line that
    // is not JSON raises no error
    let mut s =
        vector_agg(r#"sum(count_over_time({job="traefik"} | json [1m]))"#).for_stream(&stream);
    let (v, l) = s.process(1, "not json", &[]).unwrap();
    assert_eq!((v, l.all().len()), (1.0, 0));
    // a grouping label the line cannot provide: the whole line is parsed
    let mut s = vector_agg(r#"sum by (service) (count_over_time({job="traefik"} | json [1m]))"#)
        .for_stream(&stream);
    let l = s.process(1, "not json", &[]).unwrap().1;
    assert_eq!(l.error(), Some("JSONParserErr"));
    // once every required label is extracted the parser stops: the broken
    // tail goes unnoticed, as in Loki
    let mut s = vector_agg(r#"sum by (status) (count_over_time({job="traefik"} | json [1m]))"#)
        .for_stream(&stream);
    let l = s.process(1, r#"{"status":"500","x":tru"#, &[]).unwrap().1;
    assert_eq!(l.all().to_string(), r#"{status="500"}"#);
    // nested objects that cannot hold a required label are not entered
    let l = s
        .process(2, r#"{"a":{"b":tru},"status":"200"}"#, &[])
        .unwrap()
        .1;
    assert_eq!(l.all().to_string(), r#"{status="200"}"#);
    // other vector aggregations do not push their grouping down
    let mut s = vector_agg(r#"max by (service) (count_over_time({job="traefik"} | json [1m]))"#)
        .for_stream(&stream);
    let l = s.process(1, r#"{"a":"b"}"#, &[]).unwrap().1;
    assert_eq!(
        l.all().to_string(),
        r#"{a="b", job="traefik", service="jellyfin"}"#
    );
    // a label filter's label is required too; others are skipped
    let mut s =
        vector_agg(r#"sum by (service) (rate({job="traefik"} | logfmt | status >= 500 [1m]))"#)
            .for_stream(&stream);
    assert_eq!(
        s.process(1, "status=503 a=1", &[])
            .unwrap()
            .1
            .all()
            .to_string(),
        r#"{service="jellyfin"}"#
    );
    assert!(s.process(2, "status=200 a=1", &[]).is_none());
    // a key named like an entry's metadata is extracted with the suffix only
    // when the hints ask for the suffixed name
    let md = [("level", "info")];
    let mut s =
        vector_agg(r#"sum by (level_extracted) (count_over_time({job="traefik"} | json [1m]))"#)
            .for_stream(&stream);
    let l = s.process(1, r#"{"level":"warn","x":1}"#, &md).unwrap().1;
    assert_eq!(l.all().to_string(), r#"{level_extracted="warn"}"#);
    let mut s = vector_agg(r#"sum by (level) (count_over_time({job="traefik"} | json [1m]))"#)
        .for_stream(&stream);
    let l = s.process(1, r#"{"level":"warn","x":1}"#, &md).unwrap().1;
    assert_eq!(l.all().to_string(), r#"{level="info"}"#);
    // log queries never use hints
    let p = pipeline(r#"{job="traefik"} | json"#);
    assert!(labels_of(&p, &[("job", "traefik")], "not json")
        .unwrap()
        .contains("JSONParserErr"));
}

#[test]
fn label_filter_regexes_follow_loki() {
    // `=~ "a.*"` is a substring test in Loki (see label_regex.rs)
    let p = pipeline(r#"{app="a"} | logfmt | path=~"/api/.*""#);
    assert!(labels_of(&p, &[("app", "a")], "path=/x/api/y").is_some());
    assert!(labels_of(&p, &[("app", "a")], "path=/x/y").is_none());
    let p = pipeline(r#"{app="a"} | logfmt | code=~"H1[0-9]""#);
    assert!(labels_of(&p, &[("app", "a")], "code=H12").is_some());
    assert!(labels_of(&p, &[("app", "a")], "code=xH12").is_none());
}

// ---------------------------------------------------------------------------
// cases from Loki's answers

/// `parser-json-no-params/163/range`
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
    check(r##"{job="traefik-access"} | json"##, JSON_TRAEFIK);
}

/// `parser-json-no-params/173/range`
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
    check(
        r##"{job="remediation-decisions"} | json"##,
        JSON_COLLISIONS_GET_SUFFIX,
    );
}

/// `drop-and-keep/361/range`
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
    check(
        r##"{namespace="monitoring"} | json | drop __error__"##,
        JSON_ERRORS_AND_DROP_ERROR,
    );
}

/// `parser-unpack/218/range`
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
    check(
        r##"{namespace="monitoring"} | unpack | json"##,
        UNPACK_THEN_JSON,
    );
}

/// `parser-json-with-parameters/189/range`
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
    check(
        r##"{job="remediation-decisions"} | json a="b.c[0]""##,
        JSON_PATH_INTO_MISSING_ARRAY,
    );
}

/// `parser-json-with-parameters/180/range`
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
    check(
        r##"{job="traefik-access"} | json ua=`["request_User-Agent"]`"##,
        JSON_PATH_BRACKET_KEY,
    );
}

/// `parser-json-with-parameters/186/range`
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
    check(
        r##"{job="traefik-access"} | json root_elem="[0]""##,
        JSON_PATH_ROOT_INDEX,
    );
}

/// `parser-json-with-parameters/176/range`
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
    check(
        r##"{job="traefik-access"} | json status="DownstreamStatus", method="RequestMethod", path="RequestPath""##,
        JSON_PATHS_SEVERAL,
    );
}

/// `parser-logfmt/190/range`
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
    check(r##"{namespace="monitoring"} | logfmt"##, LOGFMT_PLAIN);
}

/// `parser-logfmt/191/range`
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
    check(
        r##"{namespace="monitoring"} | logfmt --strict"##,
        LOGFMT_STRICT,
    );
}

/// `parser-logfmt/192/range`
const LOGFMT_KEEP_EMPTY: &[Case] = &[
    (
        &[
            ("container", "prometheus"),
            ("job", "monitoring/prometheus"),
            ("namespace", "monitoring"),
            ("pod", "prometheus-5c4b3a291-q8w7e"),
            ("service_name", "prometheus"),
        ],
        &[("detected_level", "unknown")],
        "\u{1b}[32mINFO \u{1b}[0m[2026-01-12T03:49:29.Z] prometheus: quebec kilo",
        None,
        &[
            ("_0m_2026_01_12T03_49_29_Z_", ""),
            ("_32mINFO", ""),
            ("container", "prometheus"),
            ("detected_level", "unknown"),
            ("job", "monitoring/prometheus"),
            ("kilo", ""),
            ("namespace", "monitoring"),
            ("pod", "prometheus-5c4b3a291-q8w7e"),
            ("prometheus_", ""),
            ("quebec", ""),
            ("service_name", "prometheus"),
        ],
    ),
    (
        &[
            ("container", "prometheus"),
            ("job", "monitoring/prometheus"),
            ("namespace", "monitoring"),
            ("pod", "prometheus-5c4b3a291-q8w7e"),
            ("service_name", "prometheus"),
        ],
        &[("detected_level", "unknown")],
        "\u{1b}[33mINFO \u{1b}[0m[2026-01-12T03:49:39.Z] prometheus: sierra india oscar",
        None,
        &[
            ("_0m_2026_01_12T03_49_39_Z_", ""),
            ("_33mINFO", ""),
            ("container", "prometheus"),
            ("detected_level", "unknown"),
            ("india", ""),
            ("job", "monitoring/prometheus"),
            ("namespace", "monitoring"),
            ("oscar", ""),
            ("pod", "prometheus-5c4b3a291-q8w7e"),
            ("prometheus_", ""),
            ("service_name", "prometheus"),
            ("sierra", ""),
        ],
    ),
    (
        &[
            ("container", "prometheus"),
            ("job", "monitoring/prometheus"),
            ("namespace", "monitoring"),
            ("pod", "prometheus-5c4b3a291-q8w7e"),
            ("service_name", "prometheus"),
        ],
        &[("detected_level", "unknown")],
        "\u{1b}[36mINFO \u{1b}[0m[2026-01-12T03:50:11.Z] prometheus: charlie bravo whiskey hotel",
        None,
        &[
            ("_0m_2026_01_12T03_50_11_Z_", ""),
            ("_36mINFO", ""),
            ("bravo", ""),
            ("charlie", ""),
            ("container", "prometheus"),
            ("detected_level", "unknown"),
            ("hotel", ""),
            ("job", "monitoring/prometheus"),
            ("namespace", "monitoring"),
            ("pod", "prometheus-5c4b3a291-q8w7e"),
            ("prometheus_", ""),
            ("service_name", "prometheus"),
            ("whiskey", ""),
        ],
    ),
];

#[test]
fn logfmt_keep_empty() {
    check(
        r##"{namespace="monitoring"} | logfmt --keep-empty"##,
        LOGFMT_KEEP_EMPTY,
    );
}

/// `parser-logfmt/196/range`
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
    check(
        r##"{namespace="monitoring"} | logfmt host, fwd_ip="fwd""##,
        LOGFMT_PARAMS,
    );
}

/// `parser-logfmt/197/range`
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
    check(
        r##"{namespace="monitoring"} | logfmt --strict host, fwd_ip="fwd""##,
        LOGFMT_STRICT_PARAMS,
    );
}

/// `parser-logfmt/198/fwd`
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
    check(
        r##"{namespace="monitoring"} | logfmt --keep-empty --strict host"##,
        LOGFMT_KEEP_EMPTY_STRICT_PARAM,
    );
}

/// `parser-regexp/203/range`
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
    check(
        r##"{namespace="monitoring"} | regexp `(?P<method>\w+) (?P<path>[\w|/]+) \((?P<status>\d+?)\) (?P<duration>.*)`"##,
        REGEXP_GROUPS,
    );
}

/// `parser-regexp/205/range`
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
    check(
        r##"{namespace="monitoring"} | regexp `^(?P<ts>\S+) (?P<source>\w+)\[(?P<proc>[\w.]+)\]: (?P<msg>.*)$`"##,
        REGEXP_ANCHORED,
    );
}

/// `parser-regexp/208/range`
const REGEXP_OPTIONAL_GROUP: &[Case] = &[(
    &[
        ("host", "fedora-htpc"),
        ("job", "systemd-journal"),
        ("priority", "err"),
        ("service_name", "systemd-journal"),
        ("unit", "cron.service"),
    ],
    &[("detected_level", "error")],
    "cron[6559]: ERR quebec juliet oscar bravo golf kilo tango",
    None,
    &[
        ("detected_level", "error"),
        ("host", "fedora-htpc"),
        ("job", "systemd-journal"),
        ("priority", "err"),
        ("service_name", "systemd-journal"),
        ("unit", "cron.service"),
    ],
)];

#[test]
fn regexp_optional_group() {
    check(
        r##"{job="systemd-journal"} | regexp `Failed password for (invalid user )?(?P<user>\S+) from (?P<src_ip>\S+) port (?P<port>\d+)`"##,
        REGEXP_OPTIONAL_GROUP,
    );
}

/// `parser-regexp/209/range`
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
    check(
        r##"{job="systemd-journal"} | regexp `(?P<_1st>\d+)`"##,
        REGEXP_DIGIT_NAME,
    );
}

/// `parser-pattern/210/range`
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
    check(
        r##"{namespace="monitoring"} | pattern "<ip> - - <_> \"<method> <uri> <_>\" <status> <size> <_> \"<agent>\" <_>""##,
        PATTERN_ACCESS_LOG,
    );
}

/// `parser-pattern/211/range`
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
    check(
        r##"{namespace="monitoring"} | pattern `<_> msg="<method> <path> (<status>) <latency>"`"##,
        PATTERN_PARTIAL,
    );
}

/// `parser-pattern/212/range`
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
    check(
        r##"{namespace="monitoring"} | pattern `at=<level> <_> method=<method> path=<path> <_> status=<status> <_>`"##,
        PATTERN_LEADING_LITERAL,
    );
}

/// `parser-pattern/214/range`
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
    check(
        r##"{namespace="monitoring"} | pattern "<method> <path>""##,
        PATTERN_TWO_CAPTURES,
    );
}

/// `parser-pattern/216/range`
const PATTERN_SSHD: &[Case] = &[(
    &[
        ("host", "fedora-htpc"),
        ("job", "systemd-journal"),
        ("priority", "err"),
        ("service_name", "systemd-journal"),
        ("unit", "cron.service"),
    ],
    &[("detected_level", "error")],
    "cron[6559]: ERR quebec juliet oscar bravo golf kilo tango",
    None,
    &[
        ("detected_level", "error"),
        ("host", "fedora-htpc"),
        ("job", "systemd-journal"),
        ("priority", "err"),
        ("service_name", "systemd-journal"),
        ("unit", "cron.service"),
    ],
)];

#[test]
fn pattern_sshd() {
    check(
        r##"{job="systemd-journal"} | pattern `<_> sshd[<pid>]: <msg>`"##,
        PATTERN_SSHD,
    );
}

/// `parser-unpack/219/range`
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
    check(
        r##"{namespace="monitoring"} | unpack | logfmt | level="error""##,
        UNPACK_LOGFMT_FILTER,
    );
}

/// `decolorize/159/range`
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
    check(
        r##"{namespace="monitoring"} | decolorize"##,
        DECOLORIZE_LINES,
    );
}

/// `decolorize/160/range`
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
    check(
        r##"{namespace="monitoring"} | decolorize |= "ERROR""##,
        DECOLORIZE_THEN_FILTER_SEES_COLORS,
    );
}

/// `decolorize/161/range`
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
    check(
        r##"{namespace="monitoring"} | decolorize | logfmt"##,
        DECOLORIZE_THEN_LOGFMT,
    );
}

/// `drop-and-keep/357/fwd`
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
    check(
        r##"{namespace="monitoring"} | logfmt | drop fwd, request_id, connect"##,
        DROP_NAMES,
    );
}

/// `drop-and-keep/360/range`
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
    check(
        r##"{namespace="monitoring"} | logfmt | drop level!="error""##,
        DROP_MATCHER,
    );
}

/// `drop-and-keep/362/range`
const KEEP_NOTHING_PRESENT: &[Case] = &[(
    &[
        ("container", "prometheus"),
        ("job", "monitoring/prometheus"),
        ("namespace", "monitoring"),
        ("pod", "prometheus-5c4b3a291-q8w7e"),
        ("service_name", "prometheus"),
    ],
    &[],
    "\u{1b}[36mWARN \u{1b}[0m[2026-01-12T03:59:43.Z] prometheus: november delta papa victor",
    None,
    &[],
)];

#[test]
fn keep_nothing_present() {
    check(
        r##"{namespace="monitoring"} | logfmt | keep method, path, status"##,
        KEEP_NOTHING_PRESENT,
    );
}

/// `drop-and-keep/365/range`
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
    check(
        r##"{namespace="monitoring"} | logfmt | keep level=~"error|warn", app"##,
        KEEP_MATCHER,
    );
}

/// `lexical-whitespace-comments-keyword-case/035/range`
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
    check(
        r##"{namespace="monitoring"} | logfmt | level="error" OR status >= 500"##,
        LABEL_FILTER_OR,
    );
}

/// `label-filters-string-matchers/235/range`
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
    check(
        r##"{namespace="monitoring"} | logfmt | level="""##,
        LABEL_FILTER_EMPTY_STRING,
    );
}

/// `use-case-systemd-journal/586/range`
const PATTERN_THEN_IP_FILTER: &[Case] = &[(
    &[
        ("host", "fedora-htpc"),
        ("job", "systemd-journal"),
        ("priority", "warning"),
        ("service_name", "systemd-journal"),
        ("unit", "sshd.service"),
    ],
    &[("detected_level", "unknown")],
    "Invalid user pi from 192.16.176.41 port 12854",
    None,
    &[
        ("detected_level", "unknown"),
        ("host", "fedora-htpc"),
        ("job", "systemd-journal"),
        ("port", "12854"),
        ("priority", "warning"),
        ("service_name", "systemd-journal"),
        ("src_ip", "192.16.176.41"),
        ("unit", "sshd.service"),
    ],
)];

#[test]
fn pattern_then_ip_filter() {
    check(
        r##"{job="systemd-journal", unit="sshd.service"} | pattern `<_> from <src_ip> port <port> <_>` | src_ip != ip("10.0.0.0/8")"##,
        PATTERN_THEN_IP_FILTER,
    );
}

/// `ip-filters/158/range`
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
    check(
        r##"{job="traefik-access"} | json | ClientHost != ip("192.168.1.0/24") | __error__="""##,
        JSON_IP_NOT_IN,
    );
}

/// `use-case-systemd-journal/587/range`
const STRICT_LOGFMT_CLEAN_ONLY: &[Case] = &[(
    &[
        ("host", "fedora-htpc"),
        ("job", "systemd-journal"),
        ("priority", "err"),
        ("service_name", "systemd-journal"),
        ("unit", "cron.service"),
    ],
    &[("detected_level", "error")],
    "cron[6559]: ERR quebec juliet oscar bravo golf kilo tango",
    None,
    &[
        ("detected_level", "error"),
        ("host", "fedora-htpc"),
        ("job", "systemd-journal"),
        ("priority", "err"),
        ("service_name", "systemd-journal"),
        ("unit", "cron.service"),
    ],
)];

#[test]
fn strict_logfmt_clean_only() {
    check(
        r##"{job="systemd-journal", unit="cron.service"} | logfmt --strict | __error__="""##,
        STRICT_LOGFMT_CLEAN_ONLY,
    );
}

/// `grafana/structured-metadata-filter`
const METADATA_LABEL_FILTER: &[Case] = &[(
    &[
        ("app", "shop"),
        ("dyno", "web.1"),
        ("level", "debug"),
        ("service_name", "shop"),
        ("source", "heroku"),
    ],
    &[
        ("detected_level", "debug"),
        ("trace_id", "07c8dd9e64e07c4a"),
    ],
    "2026-01-12T03:52:17.035838Z app[web.1]: DEBUG -- : cache hit key=user:5725 ttl=472s",
    None,
    &[
        ("app", "shop"),
        ("detected_level", "debug"),
        ("dyno", "web.1"),
        ("level", "debug"),
        ("service_name", "shop"),
        ("source", "heroku"),
        ("trace_id", "07c8dd9e64e07c4a"),
    ],
)];

#[test]
fn metadata_label_filter() {
    check(
        r##"{source="heroku", app="shop"} | trace_id=~"a.*""##,
        METADATA_LABEL_FILTER,
    );
}

/// `use-case-remediation-decision-jsonl/563/range`
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
    check(
        r##"{job="remediation-decisions"} | json | confidence >= 95 and success="true""##,
        JSON_NUMBER_AND_STRING_FILTERS,
    );
}

/// `parser-json-no-params/174/fwd`
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
    check(
        r##"{job="remediation-decisions"} | json | success_extracted="false""##,
        JSON_EXTRACTED_LABEL_FILTER,
    );
}

/// `line-format/268/range`
const JSON_LINE_FORMAT_THEN_LOGFMT: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  Some(": "),
  &[("__error__", "JSONParserErr"), ("__error_details__", "Value looks like object, but can't find closing '}' symbol"), ("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768189872.119424, \"msg\": \"sierra done\", \"latency_ms\": 1162, \"http\": {\"method\": \"POST\", \"status\": 404, \"path\": \"/api/health\"}, \"tags\": [\"yankee\", \"mike\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  Some("info: sierra done"),
  &[("container", "grafana"), ("detected_level", "info"), ("http_method", "POST"), ("http_path", "/api/health"), ("http_status", "404"), ("job", "monitoring/grafana"), ("latency_ms", "1162"), ("level", "info"), ("msg", "sierra done"), ("namespace", "monitoring"), ("note", "unicode ✓ — naïve café 日本"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("ts", "1768189872.119424")],
),
];

#[test]
fn json_line_format_then_logfmt() {
    check(
        r##"{namespace="monitoring"} | json | line_format "{{.msg}}" | logfmt | line_format "{{.level}}: {{.msg}}""##,
        JSON_LINE_FORMAT_THEN_LOGFMT,
    );
}

/// `label-format/277/range`
const LABEL_FORMAT_RENAME_EXTRACTED: &[Case] = &[
(
  &[("alert", "CertificateExpiringSoon"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("playbook", "cert-renew"), ("service_name", "remediation-decisions"), ("success", "false")],
  &[("detected_level", "unknown")],
  "{\"timestamp\": 1768188258.559, \"alert\": \"CertificateExpiringSoon\", \"playbook\": \"cert-renew\", \"success\": false, \"confidence\": 50, \"parameters\": {\"threshold\": 95, \"target\": \"/\", \"dry_run\": false}, \"stdout\": \"\", \"stderr\": \"podman: container is not running\", \"duration_ms\": 4383}",
  None,
  &[("alert", "CertificateExpiringSoon"), ("alert_extracted", "CertificateExpiringSoon"), ("confidence", "50"), ("detected_level", "unknown"), ("duration_ms", "4383"), ("host", "fedora-htpc"), ("job", "remediation-decisions"), ("parameters_dry_run", "false"), ("parameters_target", "/"), ("parameters_threshold", "95"), ("playbook", "cert-renew"), ("playbook_extracted", "cert-renew"), ("service_name", "remediation-decisions"), ("stderr", "podman: container is not running"), ("stdout", ""), ("success", "false"), ("timestamp", "1768188258.559")],
),
];

#[test]
fn label_format_rename_extracted() {
    check(
        r##"{job="remediation-decisions"} | json | label_format success=success_extracted | success="false""##,
        LABEL_FORMAT_RENAME_EXTRACTED,
    );
}

/// `label-format/270/range`
const LABEL_FORMAT_RENAME_MISSING_SOURCE: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:53:02.927Z level=debug caller=grafana.go:131 msg=\"xray yankee\" duration=986.000ms size=1017KB user_id=300 component=\"querier\"",
  None,
  &[("caller", "grafana.go:131"), ("component", "querier"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "986.000ms"), ("job", "monitoring/grafana"), ("level", "debug"), ("msg", "xray yankee"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "1017KB"), ("ts", "2026-01-12T03:53:02.927Z"), ("user_id", "300")],
),
];

#[test]
fn label_format_rename_missing_source() {
    check(
        r##"{namespace="monitoring"} | logfmt | label_format http_status=status, router_code=code"##,
        LABEL_FORMAT_RENAME_MISSING_SOURCE,
    );
}

/// `label-format/273/fwd`
const LABEL_FORMAT_TEMPLATE_OVERRIDES_PARSED: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T01:45:58.894Z level=debug caller=grafana.go:10 msg=\"delta bravo\" duration=127.000ms size=377KB user_id=14 component=\"ingester\"",
  None,
  &[("caller", "grafana.go:10"), ("component", "ingester"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "127.000ms"), ("job", "monitoring/grafana"), ("level", ""), ("msg", "delta bravo"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "377KB"), ("ts", "2026-01-12T01:45:58.894Z"), ("user_id", "14")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "{\"level\": \"debug\", \"ts\": 1768182211.8478773, \"msg\": \"sierra done\", \"latency_ms\": 760, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/Videos/stream.mp4\"}, \"tags\": [\"bravo\", \"echo\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("level", ""), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
];

#[test]
fn label_format_template_overrides_parsed() {
    check(
        r##"{namespace="monitoring"} | logfmt | label_format level="{{ upper .at }}""##,
        LABEL_FORMAT_TEMPLATE_OVERRIDES_PARSED,
    );
}

/// `label-format/276/range`
const LABEL_FORMAT_LINE_LENGTH: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:53:02.927Z level=debug caller=grafana.go:131 msg=\"xray yankee\" duration=986.000ms size=1017KB user_id=300 component=\"querier\"",
  None,
  &[("caller", "grafana.go:131"), ("component", "querier"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "986.000ms"), ("job", "monitoring/grafana"), ("level", "debug"), ("line_len", "142"), ("msg", "xray yankee"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "1017KB"), ("ts", "2026-01-12T03:53:02.927Z"), ("user_id", "300")],
),
];

#[test]
fn label_format_line_length() {
    check(
        r##"{namespace="monitoring"} | logfmt | label_format line_len="{{ __line__ | len }}""##,
        LABEL_FORMAT_LINE_LENGTH,
    );
}

/// `template-functions-date-and-time/353/range`
const LINE_FORMAT_ERROR_KEEPS_LINE: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:53:02.927Z level=debug caller=grafana.go:131 msg=\"xray yankee\" duration=986.000ms size=1017KB user_id=300 component=\"querier\"",
  None,
  &[("__error__", "TemplateFormatErr"), ("__error_details__", "template: line:1:14: executing \"line\" at <duration>: error calling duration: time: invalid duration \"\""), ("caller", "grafana.go:131"), ("component", "querier"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "986.000ms"), ("job", "monitoring/grafana"), ("level", "debug"), ("msg", "xray yankee"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "1017KB"), ("ts", "2026-01-12T03:53:02.927Z"), ("user_id", "300")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768190301.3312345, \"msg\": \"hotel done\", \"latency_ms\": 1485, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/socket\"}, \"tags\": [\"yankee\", \"sierra\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  None,
  &[("__error__", "TemplateFormatErr"), ("__error_details__", "template: line:1:14: executing \"line\" at <duration>: error calling duration: time: invalid duration \"\""), ("container", "grafana"), ("detected_level", "info"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
),
];

#[test]
fn line_format_error_keeps_line() {
    check(
        r##"{namespace="monitoring"} | logfmt | line_format `{{ .elapsed | duration }}`"##,
        LINE_FORMAT_ERROR_KEEPS_LINE,
    );
}

/// `pipeline-stage-ordering/367/range`
const LINE_FORMAT_OF_MISSING_LABEL: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "error")],
  "ts=2026-01-12T03:55:55.086Z level=error caller=grafana.go:95 msg=\"tango kilo\" duration=80.148ms size=1200KB user_id=201 component=\"querier\"",
  Some(""),
  &[("__error__", "JSONParserErr"), ("__error_details__", "Value looks like object, but can't find closing '}' symbol"), ("container", "grafana"), ("detected_level", "error"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "error")],
  "{\"level\": \"error\", \"ts\": 1768187625.3454516, \"msg\": \"delta done\", \"latency_ms\": 855, \"http\": {\"method\": \"GET\", \"status\": 500, \"path\": \"/Videos/stream.mp4\"}, \"tags\": [\"foxtrot\", \"november\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  Some(""),
  &[("container", "grafana"), ("detected_level", "error"), ("http_method", "GET"), ("http_path", "/Videos/stream.mp4"), ("http_status", "500"), ("job", "monitoring/grafana"), ("latency_ms", "855"), ("level", "error"), ("msg", "delta done"), ("namespace", "monitoring"), ("note", "unicode ✓ — naïve café 日本"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana"), ("ts", "1768187625.3454516")],
),
];

#[test]
fn line_format_of_missing_label() {
    check(
        r##"{namespace="monitoring"} |= "error" | json | line_format "{{.err}}""##,
        LINE_FORMAT_OF_MISSING_LABEL,
    );
}

/// `pipeline-stage-ordering/372/range`
const KEEP_THEN_LINE_FORMAT: &[Case] = &[(
    &[
        ("container", "prometheus"),
        ("job", "monitoring/prometheus"),
        ("namespace", "monitoring"),
        ("pod", "prometheus-5c4b3a291-q8w7e"),
        ("service_name", "prometheus"),
    ],
    &[],
    "\u{1b}[36mWARN \u{1b}[0m[2026-01-12T03:59:43.Z] prometheus: november delta papa victor",
    Some(" "),
    &[],
)];

#[test]
fn keep_then_line_format() {
    check(
        r##"{namespace="monitoring"} | logfmt | keep code, status | line_format "{{.code}} {{.status}}""##,
        KEEP_THEN_LINE_FORMAT,
    );
}

/// `multiple-parsers/222/range`
const JSON_LINE_FORMAT_LOGFMT_FIRST_WINS: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:51:14.980Z level=debug caller=grafana.go:813 msg=\"mike juliet\" duration=884.000ms size=743KB user_id=180 component=\"ingester\"",
  Some(""),
  &[("__error__", "JSONParserErr"), ("__error_details__", "Value looks like object, but can't find closing '}' symbol"), ("container", "grafana"), ("detected_level", "debug"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-5c4b3a291-q8w7e"), ("service_name", "grafana")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768189872.119424, \"msg\": \"sierra done\", \"latency_ms\": 1162, \"http\": {\"method\": \"POST\", \"status\": 404, \"path\": \"/api/health\"}, \"tags\": [\"yankee\", \"mike\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  Some(""),
  &[("container", "grafana"), ("detected_level", "info"), ("http_method", "POST"), ("http_path", "/api/health"), ("http_status", "404"), ("job", "monitoring/grafana"), ("latency_ms", "1162"), ("level", "info"), ("msg", "sierra done"), ("namespace", "monitoring"), ("note", "unicode ✓ — naïve café 日本"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("ts", "1768189872.119424")],
),
];

#[test]
fn json_line_format_logfmt_first_wins() {
    check(
        r##"{namespace="monitoring"} | json | line_format "{{.log}}" | logfmt"##,
        JSON_LINE_FORMAT_LOGFMT_FIRST_WINS,
    );
}

/// `multiple-parsers/223/range`
const LOGFMT_LINE_FORMAT_JSON: &[Case] = &[
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "debug")],
  "ts=2026-01-12T03:53:02.927Z level=debug caller=grafana.go:131 msg=\"xray yankee\" duration=986.000ms size=1017KB user_id=300 component=\"querier\"",
  Some("xray yankee"),
  &[("__error__", "JSONParserErr"), ("__error_details__", "Value looks like object, but can't find closing '}' symbol"), ("caller", "grafana.go:131"), ("component", "querier"), ("container", "grafana"), ("detected_level", "debug"), ("duration", "986.000ms"), ("job", "monitoring/grafana"), ("level", "debug"), ("msg", "xray yankee"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana"), ("size", "1017KB"), ("ts", "2026-01-12T03:53:02.927Z"), ("user_id", "300")],
),
(
  &[("container", "grafana"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
  &[("detected_level", "info")],
  "{\"level\": \"info\", \"ts\": 1768190301.3312345, \"msg\": \"hotel done\", \"latency_ms\": 1485, \"http\": {\"method\": \"POST\", \"status\": 200, \"path\": \"/socket\"}, \"tags\": [\"yankee\", \"sierra\"], \"note\": \"unicode ✓ — naïve café 日本\"}",
  Some(""),
  &[("__error__", "JSONParserErr"), ("__error_details__", "Value looks like object, but can't find closing '}' symbol"), ("container", "grafana"), ("detected_level", "info"), ("job", "monitoring/grafana"), ("namespace", "monitoring"), ("pod", "grafana-7d9f8b6c5-x2k9p"), ("service_name", "grafana")],
),
];

#[test]
fn logfmt_line_format_json() {
    check(
        r##"{namespace="monitoring"} | logfmt | line_format "{{.msg}}" | json"##,
        LOGFMT_LINE_FORMAT_JSON,
    );
}

/// `template-functions-regex/321/fwd`
const LABEL_FORMAT_COUNT_THEN_NUMERIC_FILTER: &[Case] = &[
(
  &[("app", "shop"), ("dyno", "web.1"), ("level", "error"), ("service_name", "shop"), ("source", "heroku")],
  &[("detected_level", "error"), ("trace_id", "2722441468f0ce13")],
  "2026-01-12T01:46:39.291263Z app[web.1]: ERROR -- : NoMethodError (undefined method `total' for nil:NilClass)",
  None,
  &[("app", "shop"), ("detected_level", "error"), ("dyno", "web.1"), ("errs", "2"), ("level", "error"), ("service_name", "shop"), ("source", "heroku"), ("trace_id", "2722441468f0ce13")],
),
(
  &[("app", "shop"), ("dyno", "web.1"), ("level", "error"), ("service_name", "shop"), ("source", "heroku")],
  &[("detected_level", "error")],
  "2026-01-12T01:36:10.927473Z app[web.1]: ERROR -- : NoMethodError (undefined method `total' for nil:NilClass)",
  None,
  &[("app", "shop"), ("detected_level", "error"), ("dyno", "web.1"), ("errs", "2"), ("level", "error"), ("service_name", "shop"), ("source", "heroku")],
),
];

#[test]
fn label_format_count_then_numeric_filter() {
    check(
        r##"{app="shop"} | label_format errs=`{{ __line__ | count "(?i)error" }}` | errs > 1"##,
        LABEL_FORMAT_COUNT_THEN_NUMERIC_FILTER,
    );
}

/// `use-case-heroku-router-and-app-logs/538/range`
const IP_FILTER_THEN_LINE_FORMAT: &[Case] = &[
(
  &[("app", "shop"), ("dyno", "router"), ("level", "error"), ("service_name", "shop"), ("source", "heroku")],
  &[("detected_level", "error")],
  "at=error code=H10 desc=\"App crashed\" method=GET path=\"/api/orders/42\" host=shop.herokuapp.com request_id=f0d5b8a6-cf99 fwd=\"10.151.60.82\" dyno=web.1 connect=2ms service=24487ms status=500 bytes=0 protocol=https",
  Some("10.151.60.82 /api/orders/42"),
  &[("app", "shop"), ("at", "error"), ("bytes", "0"), ("code", "H10"), ("connect", "2ms"), ("desc", "App crashed"), ("detected_level", "error"), ("dyno", "router"), ("dyno_extracted", "web.1"), ("fwd", "10.151.60.82"), ("host", "shop.herokuapp.com"), ("level", "error"), ("method", "GET"), ("path", "/api/orders/42"), ("protocol", "https"), ("request_id", "f0d5b8a6-cf99"), ("service", "24487ms"), ("service_name", "shop"), ("source", "heroku"), ("status", "500")],
),
(
  &[("app", "shop"), ("dyno", "router"), ("level", "info"), ("service_name", "shop"), ("source", "heroku")],
  &[("detected_level", "info")],
  "at=info method=GET path=\"/api/users\" host=shop.herokuapp.com request_id=0875756a-ff02 fwd=\"10.141.22.190\" dyno=web.1 connect=3ms service=24ms status=304 bytes=11811 protocol=https",
  Some("10.141.22.190 /api/users"),
  &[("app", "shop"), ("at", "info"), ("bytes", "11811"), ("connect", "3ms"), ("detected_level", "info"), ("dyno", "router"), ("dyno_extracted", "web.1"), ("fwd", "10.141.22.190"), ("host", "shop.herokuapp.com"), ("level", "info"), ("method", "GET"), ("path", "/api/users"), ("protocol", "https"), ("request_id", "0875756a-ff02"), ("service", "24ms"), ("service_name", "shop"), ("source", "heroku"), ("status", "304")],
),
];

#[test]
fn ip_filter_then_line_format() {
    check(
        r##"{source="heroku", app="shop"} | logfmt | fwd = ip("10.0.0.0/8") | line_format "{{.fwd}} {{.path}}""##,
        IP_FILTER_THEN_LINE_FORMAT,
    );
}

/// `use-case-systemd-journal/585/range`
const JSON_PARAMS_LINE_FORMAT: &[Case] = &[
    (
        &[
            ("host", "fedora-htpc"),
            ("job", "systemd-journal"),
            ("priority", "info"),
            ("service_name", "systemd-journal"),
            ("unit", "kernel"),
        ],
        &[("detected_level", "unknown")],
        "[43310.965569] usb 1-1: new high-speed USB device number 13 using xhci_hcd",
        Some("kernel[]: "),
        &[
            ("MESSAGE", ""),
            ("detected_level", "unknown"),
            ("host", "fedora-htpc"),
            ("job", "systemd-journal"),
            ("pid", ""),
            ("priority", "info"),
            ("service_name", "systemd-journal"),
            ("unit", "kernel"),
        ],
    ),
    (
        &[
            ("host", "fedora-htpc"),
            ("job", "systemd-journal"),
            ("priority", "err"),
            ("service_name", "systemd-journal"),
            ("unit", "cron.service"),
        ],
        &[("detected_level", "error")],
        "cron[6559]: ERR quebec juliet oscar bravo golf kilo tango",
        Some("cron.service[]: "),
        &[
            ("__error__", "JSONParserErr"),
            ("detected_level", "error"),
            ("host", "fedora-htpc"),
            ("job", "systemd-journal"),
            ("priority", "err"),
            ("service_name", "systemd-journal"),
            ("unit", "cron.service"),
        ],
    ),
];

#[test]
fn json_params_line_format() {
    check(
        r##"{job="systemd-journal"} | json MESSAGE, unit="_SYSTEMD_UNIT", pid="_PID" | line_format "{{.unit}}[{{.pid}}]: {{.MESSAGE}}""##,
        JSON_PARAMS_LINE_FORMAT,
    );
}

// ---------------------------------------------------------------------------
// robustness

mod robustness {
    use super::*;
    use proptest::prelude::*;

    /// Lines made of the bytes that matter to the parsers.
    fn line() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            "\"",
            "\\",
            ":",
            ",",
            " ",
            "=",
            "a",
            "b",
            "1",
            "-",
            "true",
            "null",
            "\\u",
            "D83D",
            "\\uD83D\\uDE00",
            "é",
            "\u{FFFD}",
            "\u{1b}[31m",
            "10.0.0.1",
            "::1",
            "<",
            ">",
            "\n",
            "_entry",
        ]);
        prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
    }

    const QUERIES: &[&str] = &[
        r#"{a="b"} | json"#,
        r#"{a="b"} | json x="a.b[0]", y="[1]", z=`["a"].b`"#,
        r#"{a="b"} | logfmt"#,
        r#"{a="b"} | logfmt --strict --keep-empty"#,
        r#"{a="b"} | logfmt a, c="b""#,
        r#"{a="b"} | unpack | json"#,
        r#"{a="b"} | pattern "<x>{<y>}<_>""#,
        r#"{a="b"} | regexp "(?P<x>a+)(?P<y>b)?""#,
        r#"{a="b"} | decolorize |> "<_>a<_>" |= ip("10.0.0.0/8") or ip("::1")"#,
        r#"{a="b"} | json | a =~ "a.*|b" or x > 1 | keep a, b | line_format "{{.a}}" | label_format q=a"#,
    ];

    proptest! {
        #[test]
        fn stages_never_panic(l in line()) {
            for q in QUERIES {
                let p = pipeline(q);
                let mut sp = p.for_stream(&Labels::from_pairs([("a", "b")]));
                if let Some((out, labels)) = sp.process(0, &l, &[("m", "v")]) {
                    prop_assert!(out.len() <= l.len() * 4 + 64);
                    prop_assert!(labels.all().len() == labels.len());
                }
            }
        }
    }
}

#[test]
fn shared_types_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Pipeline>();
    send_sync::<SampleExtractor>();
    send_sync::<LabelsResult>();
    send::<StreamPipeline>();
    send::<StreamSampleExtractor>();
}

#[test]
fn line_free_samples_and_metadata_independent_labels() {
    let value = |q: &str| vector_agg(q).line_free_value().map(|f| f(42));
    assert_eq!(value(r#"sum(count_over_time({a="b"}[1m]))"#), Some(1.0));
    assert_eq!(value(r#"sum(rate({a="b"}[1m]))"#), Some(1.0));
    assert_eq!(value(r#"sum(bytes_over_time({a="b"}[1m]))"#), Some(42.0));
    assert_eq!(value(r#"sum(count_over_time({a="b"} |= "x" [1m]))"#), None);
    assert_eq!(
        value(r#"sum(count_over_time({a="b"} | decolorize [1m]))"#),
        None
    );
    assert_eq!(
        value(r#"sum(sum_over_time({a="b"} | unwrap x [1m]))"#),
        None
    );
    // Stages that only look at labels keep samples line free.
    for q in [
        r#"sum by (detected_level) (count_over_time({a="b"} | drop __error__ [1m]))"#,
        r#"sum(count_over_time({a="b"} | detected_level="warn" | keep a [1m]))"#,
    ] {
        assert_eq!(value(q), Some(1.0), "{q}");
        assert!(vector_agg(q).has_stages(), "{q}");
    }
    for q in [
        r#"sum(count_over_time({a="b"} | logfmt | drop __error__ [1m]))"#,
        r#"sum(bytes_over_time({a="b"} | line_format "x" [1m]))"#,
        r#"sum(count_over_time({a="b"} | label_format l="{{ __line__ }}" [1m]))"#,
    ] {
        assert_eq!(value(q), None, "{q}");
    }
    assert!(!vector_agg(r#"sum(rate({a="b"}[1m]))"#).has_stages());

    let ignores = |q: &str, names: &[&str]| vector_agg(q).labels_ignore_metadata(names);
    let by_level = r#"sum by (level) (count_over_time({a="b"}[1m]))"#;
    assert!(ignores(by_level, &["detected_level"]));
    assert!(!ignores(by_level, &["detected_level", "level"]));
    assert!(ignores(r#"sum(count_over_time({a="b"}[1m]))"#, &["level"]));
    assert!(!ignores(
        r#"sum without (a) (count_over_time({a="b"}[1m]))"#,
        &["level"]
    ));
    assert!(ignores(
        r#"sum without (a) (count_over_time({a="b"}[1m]))"#,
        &[]
    ));
    let plain = SampleExtractor::new(&range_agg(r#"count_over_time({a="b"}[1m])"#));
    assert!(!plain.labels_ignore_metadata(&["detected_level"]));
    assert!(plain.labels_ignore_metadata(&[]));
}

#[test]
fn required_substrings_are_the_plain_filters_on_the_stored_line() {
    let cases: &[(&str, &[&str])] = &[
        (r#"{a="b"} |= "x""#, &["x"]),
        (r#"{a="b"} |= "x" |= "y" != "z""#, &["x", "y"]),
        // hoisted ahead of the parser: still the stored line
        (r#"{a="b"} | json | line_format "{{.a}}" |= "x""#, &[]),
        (r#"{a="b"} | logfmt |= "x""#, &["x"]),
        (r#"{a="b"} | decolorize | level="x" |= "x""#, &[]),
        (r#"{a="b"} |= "x" or "y""#, &[]),
        (r#"{a="b"} |~ "x" |= """#, &[]),
        (r#"{a="b"} |= ip("1.2.3.4")"#, &[]),
        (r#"{a="b"} |= "x" | line_format "y" |= "y""#, &["x"]),
    ];
    for (query, want) in cases {
        assert_eq!(pipeline(query).required_substrings(), *want, "{query}");
    }
}

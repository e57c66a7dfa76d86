//! Every push refusal over HTTP: status code and the full message text as
//! Loki 3.7 words it (`pkg/validation/validate.go`,
//! `pkg/distributor/validator.go`, `pkg/loghttp/push`), and the rejection
//! counter on `/metrics` by reason. Each test runs its own server so the
//! counters are exact.

mod common;

use common::*;
use serde_json::json;

const SEC: i64 = 1_000_000_000;

fn proto(s: &Server, labels: &[u8], entries: &[(i64, &str)]) -> (u16, String) {
    let mut stream = proto_stream("", &[]);
    stream.labels = labels.to_vec();
    stream.entries = entries
        .iter()
        .map(|(ts, line)| proto_stream("", &[(*ts, line, &[])]).entries.remove(0))
        .collect();
    push_proto(s, "/loki/api/v1/push", None, vec![stream])
}

fn rejected(s: &Server, reason: &str) -> Option<f64> {
    metric(
        &metrics_text(s),
        &format!("kindling_ingest_rejected_lines_total{{reason=\"{reason}\"}}"),
    )
}

fn count(s: &Server, query: &str) -> usize {
    let from = (now_ns() - 3 * 3600 * SEC).to_string();
    let to = (now_ns() + 3600 * SEC).to_string();
    query_range(
        s,
        None,
        &[
            ("query", query),
            ("start", &from),
            ("end", &to),
            ("limit", "5000"),
        ],
        false,
    )
    .len()
}

#[test]
fn invalid_label_name() {
    let s = Server::start(&[]);
    let now = now_ns();
    assert_eq!(
        proto(&s, br#"{app="x", a.b="c"}"#, &[(now, "l")]),
        (
            400,
            "couldn't parse labels: 1:12: parse error: unexpected character inside braces: '.'\n"
                .into()
        )
    );
    // JSON stream maps go through the same parser.
    let body = json!({"streams":[{"stream":{"a-b":"c"},"values":[[now.to_string(),"l"]]}]});
    assert_eq!(
        push_json_raw(&s, body.to_string().as_bytes()),
        (
            400,
            "couldn't parse labels: 1:3: parse error: unexpected character inside braces: '-'\n"
                .into()
        )
    );
    assert_eq!(count(&s, r#"{app="x"}"#), 0);
}

#[test]
fn invalid_label_value_utf8() {
    let s = Server::start(&[]);
    assert_eq!(
        proto(&s, b"{app=\"caf\xe9\"}", &[(now_ns(), "l")]),
        (
            400,
            "couldn't parse labels: 1:6: parse error: invalid UTF-8 rune\n".into()
        )
    );
}

#[test]
fn unparsable_label_string() {
    let s = Server::start(&[]);
    let now = now_ns();
    assert_eq!(
        proto(&s, br#"{app="x""#, &[(now, "l")]),
        (
            400,
            "couldn't parse labels: 1:9: parse error: unexpected end of input inside braces\n"
                .into()
        )
    );
    // One bad stream refuses the whole request, the good one included.
    let good = proto_stream(r#"{app="good"}"#, &[(now, "kept?", &[])]);
    let bad = proto_stream(r#"{app=x}"#, &[(now, "l", &[])]);
    let (st, body) = push_proto(&s, "/loki/api/v1/push", None, vec![good, bad]);
    assert_eq!(st, 400, "{body}");
    assert!(
        body.starts_with("couldn't parse labels: 1:6: parse error: "),
        "{body}"
    );
    assert_eq!(count(&s, r#"{app="good"}"#), 0);
}

#[test]
fn too_many_labels() {
    let s = Server::start(&[]);
    let labels: Vec<String> = (0..16).map(|i| format!("l{i:02}=\"v\"")).collect();
    let text = format!("{{{}}}", labels.join(", "));
    let stored = format!(
        "{{{}, service_name=\"unknown_service\"}}",
        labels.join(", ")
    );
    assert_eq!(
        proto(&s, text.as_bytes(), &[(now_ns(), "l")]),
        (
            400,
            format!("entry for stream '{stored}' has 16 label names; limit 15\n")
        )
    );
    assert_eq!(rejected(&s, "max_label_names_per_series"), Some(1.0));
    // 15 labels plus the discovered service_name are fine.
    let text = format!("{{{}}}", labels[..15].join(", "));
    assert_eq!(
        proto(&s, text.as_bytes(), &[(now_ns(), "l")]),
        (204, String::new())
    );
}

#[test]
fn duplicate_label_names() {
    let s = Server::start(&[]);
    assert_eq!(
        proto(
            &s,
            br#"{app="x", app="y"}"#,
            &[(now_ns(), "l"), (now_ns(), "m")]
        ),
        (
            400,
            "stream '{app=\"x\", app=\"y\", service_name=\"x\"}' has duplicate label name: 'app'\n"
                .into()
        )
    );
    assert_eq!(rejected(&s, "duplicate_label_names"), Some(2.0));
}

#[test]
fn missing_labels() {
    // With service_name discovery (the default) `{}` becomes unknown_service.
    let s = Server::start(&[]);
    assert_eq!(proto(&s, b"{}", &[(now_ns(), "l")]), (204, String::new()));
    assert_eq!(count(&s, r#"{service_name="unknown_service"}"#), 1);
    drop(s);

    let s = Server::start(&["--discover-service-name", "false"]);
    assert_eq!(
        proto(&s, b"{}", &[(now_ns(), "l")]),
        (
            400,
            "error at least one label pair is required per stream\n".into()
        )
    );
    let body = json!({"streams":[{"stream":{},"values":[[now_ns().to_string(),"l"]]}]});
    assert_eq!(
        push_json_raw(&s, body.to_string().as_bytes()),
        (
            400,
            "error at least one label pair is required per stream\n".into()
        )
    );
    assert_eq!(rejected(&s, "missing_labels"), Some(2.0));
}

#[test]
fn line_too_long() {
    let s = Server::start(&[]);
    let now = now_ns();
    let line = "x".repeat(262_145);
    assert_eq!(
        proto(&s, br#"{app="long"}"#, &[(now, &line)]),
        (
            400,
            "Max entry size '262144' bytes exceeded for stream '{app=\"long\", service_name=\"long\"}' while adding an entry with length '262145' bytes\n"
                .into()
        )
    );
    assert_eq!(rejected(&s, "line_too_long"), Some(1.0));
    // Exactly at the limit is fine.
    assert_eq!(
        proto(&s, br#"{app="long"}"#, &[(now, &line[1..])]),
        (204, String::new())
    );
}

#[test]
fn line_too_long_truncated() {
    let s = Server::start(&["--max-line-size", "100", "--max-line-size-truncate", "true"]);
    let now = now_ns();
    let line: String = "é".repeat(60) + "tail"; // 124 bytes; 100 is a char boundary
    assert_eq!(
        proto(&s, br#"{app="trunc"}"#, &[(now, &line)]),
        (204, String::new())
    );
    let got = read_all(&s, None, r#"{app="trunc"}"#, now - SEC, now + SEC, false);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].line, "é".repeat(50));
}

#[test]
fn sample_too_old() {
    let s = Server::start(&["--reject-old-samples-max-age", "1h"]);
    let ts = now_ns() - 2 * 3600 * SEC;
    let before = now_ns();
    let (st, body) = proto(&s, br#"{app="old"}"#, &[(ts, "l")]);
    let after = now_ns();
    let candidates: Vec<String> = (0..=(after - before) / SEC + 1)
        .map(|k| {
            format!(
                "entry for stream '{{app=\"old\", service_name=\"old\"}}' has timestamp too old: {}, oldest acceptable timestamp is: {}\n",
                rfc3339(ts),
                rfc3339(before - 3600 * SEC + k * SEC)
            )
        })
        .collect();
    assert_eq!(st, 400);
    assert!(candidates.contains(&body), "{body:?} not in {candidates:?}");
    assert_eq!(rejected(&s, "greater_than_max_sample_age"), Some(1.0));
    // Within the age: accepted.
    assert_eq!(
        proto(&s, br#"{app="old"}"#, &[(now_ns() - 1800 * SEC, "l")]),
        (204, String::new())
    );
}

#[test]
fn sample_too_new() {
    let s = Server::start(&[]);
    let ts = now_ns() + 3600 * SEC;
    assert_eq!(
        proto(&s, br#"{app="new"}"#, &[(ts, "l")]),
        (
            400,
            format!(
                "entry for stream '{{app=\"new\", service_name=\"new\"}}' has timestamp too new: {}\n",
                rfc3339(ts)
            )
        )
    );
    assert_eq!(rejected(&s, "too_far_in_future"), Some(1.0));
    // Within the 10m creation grace period: accepted.
    assert_eq!(
        proto(&s, br#"{app="new"}"#, &[(now_ns() + 5 * 60 * SEC, "l")]),
        (204, String::new())
    );
}

#[test]
fn empty_streams_and_bodies() {
    let s = Server::start(&[]);
    let none = (
        422,
        "error at least one valid stream is required for ingestion\n".to_string(),
    );
    assert_eq!(push_json_raw(&s, br#"{"streams":[]}"#), none);
    assert_eq!(push_json_raw(&s, b"{}"), none);
    assert_eq!(push_proto(&s, "/loki/api/v1/push", None, vec![]), none);
    // An empty body is not a snappy block.
    assert_eq!(
        post(
            &s.url("/loki/api/v1/push"),
            b"",
            &[("Content-Type", "application/x-protobuf")]
        ),
        (400, "snappy: corrupt input\n".into())
    );
    // A stream without entries is no error.
    assert_eq!(
        push_json_raw(&s, br#"{"streams":[{"stream":{"app":"x"},"values":[]}]}"#),
        (204, String::new())
    );
}

#[test]
fn body_too_large() {
    let s = Server::start(&["--max-recv-msg-size", "1000"]);
    let line = "y".repeat(3000);
    let body =
        json!({"streams":[{"stream":{"app":"big"},"values":[[now_ns().to_string(), line]]}]});
    let (st, text) = push_json_raw(&s, body.to_string().as_bytes());
    assert_eq!(st, 413, "{text}");
    let size: usize = text
        .strip_prefix("request body too large: message size too large than max (")
        .and_then(|r| r.strip_suffix(" vs 1000)\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected text {text:?}"));
    assert!(size > 1000, "{text}");
    assert_eq!(count(&s, r#"{app="big"}"#), 0);
    // A small body still passes.
    let small =
        json!({"streams":[{"stream":{"app":"big"},"values":[[now_ns().to_string(), "ok"]]}]});
    assert_eq!(
        push_json_raw(&s, small.to_string().as_bytes()),
        (204, String::new())
    );
}

#[test]
fn tenant_rate_limit() {
    // 0.001 MiB/s, burst 0.002 MiB: 2097 bytes of burst. Sizes count the
    // discovered `detected_level=unknown` metadata (21 bytes), as Loki does.
    let s = Server::start(&[
        "--ingestion-rate-mb",
        "0.001",
        "--ingestion-burst-size-mb",
        "0.002",
    ]);
    let now = now_ns();
    let line = "z".repeat(1500);
    assert_eq!(
        proto(&s, br#"{app="rl"}"#, &[(now, &line)]),
        (204, String::new())
    );
    assert_eq!(
        // More than the whole burst: refused however much time passed.
        proto(&s, br#"{app="rl"}"#, &[(now + 1, &line), (now + 2, &line[..600])]),
        (
            429,
            "Ingestion rate limit exceeded for user fake (limit: 1048 bytes/sec) while attempting to ingest '2' lines totaling '2142' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased\n"
                .into()
        )
    );
    assert_eq!(rejected(&s, "rate_limited"), Some(2.0));
    assert_eq!(count(&s, r#"{app="rl"}"#), 1);
}

/// One line of the per-stream rate limit answer for a 1500-byte entry.
fn per_stream_entry(ts: i64) -> String {
    format!(
        "entry with timestamp {} ignored, reason: 'Per stream rate limit exceeded (limit: 1KB/sec) while attempting to ingest for stream '{{app=\"ps\", service_name=\"ps\"}}' totaling 1521B, consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased',\n",
        go_time_string(ts)
    )
}

#[test]
fn per_stream_rate_limit() {
    let s = Server::start(&[
        "--per-stream-rate-limit",
        "1KB",
        "--per-stream-rate-limit-burst",
        "2KB",
    ]);
    let now = now_ns();
    let line = "p".repeat(1500);
    assert_eq!(
        proto(&s, br#"{app="ps"}"#, &[(now, &line)]),
        (204, String::new())
    );
    assert_eq!(
        // Each entry alone exceeds what is left; together they exceed the
        // whole burst, so the answer does not depend on timing.
        proto(&s, br#"{app="ps"}"#, &[(now + 1, &line), (now + 2, &line)]),
        (
            429,
            format!(
                "{}{}user 'fake', total ignored: 2 out of 2 for stream: {{app=\"ps\", service_name=\"ps\"}}\n",
                per_stream_entry(now + 1),
                per_stream_entry(now + 2),
            )
        )
    );
    assert_eq!(rejected(&s, "per_stream_rate_limit"), Some(2.0));
    // Another stream has its own budget.
    assert_eq!(
        proto(&s, br#"{app="other"}"#, &[(now, &line)]),
        (204, String::new())
    );
}

#[test]
fn stream_limit() {
    let s = Server::start(&["--max-streams-per-tenant", "2"]);
    let now = now_ns();
    assert_eq!(
        proto(&s, br#"{app="s1"}"#, &[(now, "l")]),
        (204, String::new())
    );
    assert_eq!(
        proto(&s, br#"{app="s2"}"#, &[(now, "l")]),
        (204, String::new())
    );
    assert_eq!(
        proto(&s, br#"{app="s3"}"#, &[(now, "l")]),
        (
            429,
            "Maximum active stream limit exceeded when trying to create stream {app=\"s3\", service_name=\"s3\"}, reduce the number of active streams (reduce labels or reduce label values), or contact your Loki administrator to see if the limit can be increased, user: 'fake'\n"
                .into()
        )
    );
    assert_eq!(rejected(&s, "stream_limit"), Some(1.0));
    assert_eq!(
        proto(&s, br#"{app="s1"}"#, &[(now + 1, "l")]),
        (204, String::new())
    );
}

#[test]
fn too_far_behind() {
    let s = Server::start(&[]);
    let newest = now_ns() - 60 * SEC;
    assert_eq!(
        proto(&s, br#"{app="behind"}"#, &[(newest, "l")]),
        (204, String::new())
    );
    let old = newest - 2 * 3600 * SEC;
    assert_eq!(
        proto(&s, br#"{app="behind"}"#, &[(old, "a"), (newest + 1, "b")]),
        (
            400,
            format!(
                "entry with timestamp {} ignored, reason: 'entry too far behind, entry timestamp is: {}, oldest acceptable timestamp is: {}',\nuser 'fake', total ignored: 1 out of 2 for stream: {{app=\"behind\", service_name=\"behind\"}}\n",
                go_time_string(old),
                rfc3339(old),
                rfc3339(newest - 3600 * SEC)
            )
        )
    );
    assert_eq!(rejected(&s, "too_far_behind"), Some(1.0));
    assert_eq!(count(&s, r#"{app="behind"}"#), 2);
}

#[test]
fn bad_content_type_snappy_and_json() {
    let s = Server::start(&[]);
    let url = s.url("/loki/api/v1/push");
    let json_body =
        json!({"streams":[{"stream":{"app":"x"},"values":[[now_ns().to_string(),"l"]]}]})
            .to_string();
    // No Content-Type at all.
    assert_eq!(
        post(&url, json_body.as_bytes(), &[]),
        (400, "mime: no media type\n".into())
    );
    // An unknown media type means protobuf, and JSON is no snappy block.
    assert_eq!(
        post(
            &url,
            json_body.as_bytes(),
            &[("Content-Type", "text/plain")]
        ),
        (400, "snappy: corrupt input\n".into())
    );
    assert_eq!(
        post(
            &url,
            b"\xff\xff\xff\xff\xff",
            &[("Content-Type", "application/x-protobuf")]
        ),
        (400, "snappy: corrupt input\n".into())
    );
    // Valid snappy around bytes that are no protobuf.
    let junk = snap::raw::Encoder::new()
        .compress_vec(b"\xff\xff\xff")
        .unwrap();
    let (st, text) = post(&url, &junk, &[("Content-Type", "application/x-protobuf")]);
    assert_eq!(st, 400, "{text}");
    assert!(text.starts_with("proto: "), "{text}");
    assert_eq!(
        post(
            &url,
            json_body.as_bytes(),
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "br")
            ]
        ),
        (400, "Content-Encoding \"br\" not supported\n".into())
    );
    assert_eq!(
        post(
            &url,
            json_body.as_bytes(),
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip")
            ]
        ),
        (400, "gzip: invalid header\n".into())
    );
    // JSON whose timestamp is a number, not a string.
    assert_eq!(
        push_json_raw(
            &s,
            br#"{"streams":[{"stream":{"app":"x"},"values":[[1700000000,"l"]]}]}"#
        ),
        (
            400,
            "Value is string, but can't find closing '\"' symbol\n".into()
        )
    );
    let (st, text) = push_json_raw(&s, br#"{"streams":[{"stream":{"app":"x"},"values":[["1","#);
    assert_eq!(st, 400, "{text}");
    assert_eq!(count(&s, r#"{app="x"}"#), 0);
}

#[test]
fn partial_failure_stores_the_valid_entries() {
    let s = Server::start(&[]);
    let now = now_ns();
    let long = "q".repeat(262_145);
    let future = now + 3600 * SEC;
    let good = proto_stream(
        r#"{app="part"}"#,
        &[
            (now, "ok 1", &[]),
            (now + 1, &long, &[]),
            (now + 2, "ok 2", &[]),
            (future, "too new", &[]),
        ],
    );
    let other = proto_stream(r#"{app="part2"}"#, &[(now, "ok 3", &[])]);
    let (st, body) = push_proto(&s, "/loki/api/v1/push", None, vec![good, other]);
    assert_eq!(st, 400);
    let lbs = r#"{app="part", service_name="part"}"#;
    assert_eq!(
        body,
        format!(
            "1 errors like: Max entry size '262144' bytes exceeded for stream '{lbs}' while adding an entry with length '262145' bytes; 1 errors like: entry for stream '{lbs}' has timestamp too new: {}\n",
            rfc3339(future)
        )
    );
    let mut got: Vec<String> =
        read_all(&s, None, r#"{app=~"part.*"}"#, now - SEC, now + SEC, false)
            .into_iter()
            .map(|g| g.line)
            .collect();
    got.sort();
    assert_eq!(got, ["ok 1", "ok 2", "ok 3"]);
    let m = metrics_text(&s);
    assert_eq!(
        metric(
            &m,
            r#"kindling_ingest_rejected_lines_total{reason="line_too_long"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &m,
            r#"kindling_ingest_rejected_lines_total{reason="too_far_in_future"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&m, r#"kindling_ingest_lines_total{tenant="fake"}"#),
        Some(3.0)
    );
}

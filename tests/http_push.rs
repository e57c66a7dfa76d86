//! End-to-end push: every body format a shipper sends, read back byte for
//! byte with `query_range` (plain and categorize-labels), across tenants,
//! after `POST /flush` and after a restart; out-of-order writes and
//! duplicate removal as Loki does them.

mod common;

use std::collections::BTreeMap;
use std::io::Write;

use common::*;
use serde_json::json;

const SEC: i64 = 1_000_000_000;

/// Lines that break naive encoders: non-ASCII, tabs, quotes, escapes, HTML,
/// whitespace-only and empty lines, control characters and long lines up to
/// Loki's limit of 256KB (262144 bytes).
fn tricky_lines() -> Vec<String> {
    let long: String = (0..262_144u32)
        .map(|i| char::from(b' ' + (i.wrapping_mul(7919) % 95) as u8))
        .collect();
    vec![
        "plain ascii line".to_string(),
        "héllo wörld — 日本語 🎉 ünïcödé".to_string(),
        "tab\tseparated\tvalues\t".to_string(),
        r#"quotes "double" and 'single' and \backslash\ and \n literally"#.to_string(),
        "html <b>&amp;</b> \u{2028} \u{2029}".to_string(),
        String::new(),
        " ".to_string(),
        "\t".to_string(),
        "trailing newline\n".to_string(),
        "crlf\r\n".to_string(),
        "control \u{1}\u{7f} chars".to_string(),
        "{\"json\":\"line\",\"n\":1}".to_string(),
        "x".repeat(200_000),
        long,
    ]
}

/// One expected entry.
#[derive(Clone, Debug)]
struct Want {
    labels: BTreeMap<String, String>,
    ts: i64,
    line: String,
    metadata: BTreeMap<String, String>,
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Stream labels as stored: the pushed ones plus `service_name` from `app`.
fn stored_labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut m = map(pairs);
    let app = m.get("app").cloned().expect("test streams have app");
    m.insert("service_name".into(), app);
    m
}

fn sort_key(g: &Got) -> (String, i64, String) {
    (
        g.stream.get("app").cloned().unwrap_or_default(),
        g.ts,
        g.line.clone(),
    )
}

/// Checks a read-back against the expectation in both encodings.
fn check(server: &Server, tenant: Option<&str>, query: &str, want: &[Want], from: i64, to: i64) {
    let mut want = want.to_vec();
    want.sort_by(|a, b| (&a.labels["app"], a.ts, &a.line).cmp(&(&b.labels["app"], b.ts, &b.line)));

    // categorize-labels: stream labels only, metadata in the third element.
    let mut got = read_all(server, tenant, query, from, to, true);
    got.sort_by_key(sort_key);
    assert_eq!(got.len(), want.len(), "entry count for {query}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.stream, w.labels, "labels at ts {}", w.ts);
        assert_eq!(g.ts, w.ts);
        assert!(
            g.line == w.line,
            "line differs at ts {} ({} vs {} bytes)",
            w.ts,
            g.line.len(),
            w.line.len()
        );
        let mut md = g.metadata.clone();
        assert!(
            md.remove("detected_level").is_some(),
            "detected_level discovered at ts {}",
            w.ts
        );
        assert_eq!(md, w.metadata, "structured metadata at ts {}", w.ts);
    }

    // Plain: the stream object holds labels and metadata together.
    let mut got = read_all(server, tenant, query, from, to, false);
    got.sort_by_key(sort_key);
    assert_eq!(got.len(), want.len(), "entry count (plain) for {query}");
    for (g, w) in got.iter().zip(&want) {
        let mut stream = g.stream.clone();
        assert!(stream.remove("detected_level").is_some());
        let mut union = w.labels.clone();
        union.extend(w.metadata.clone());
        assert_eq!(stream, union, "plain stream at ts {}", w.ts);
        assert_eq!(g.ts, w.ts);
        assert!(g.line == w.line, "plain line differs at ts {}", w.ts);
        assert!(g.metadata.is_empty());
    }
}

/// A JSON entry: timestamp, line, structured metadata (omitted when empty).
type JsonEntry<'a> = (i64, String, Vec<(&'a str, &'a str)>);

fn json_body(labels: &[(&str, &str)], entries: &[JsonEntry]) -> Vec<u8> {
    let values: Vec<serde_json::Value> = entries
        .iter()
        .map(|(ts, line, md)| {
            if md.is_empty() {
                json!([ts.to_string(), line])
            } else {
                json!([ts.to_string(), line, map(md)])
            }
        })
        .collect();
    json!({"streams": [{"stream": map(labels), "values": values}]})
        .to_string()
        .into_bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn rfc3339_nano(ts: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ts).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// Pushes every format into its own stream and returns what must come back
/// for the default tenant.
fn push_all_formats(s: &Server, base: i64) -> Vec<Want> {
    let lines = tricky_lines();
    let mut want = Vec::new();
    let entries = |offset: i64| -> Vec<(i64, String)> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| (base + offset + i as i64 * 1_000_003, l.clone()))
            .collect()
    };
    let mut expect = |labels: &[(&str, &str)], es: &[(i64, String)], md: &[(&str, &str)]| {
        for (ts, line) in es {
            want.push(Want {
                labels: stored_labels(labels),
                ts: *ts,
                line: line.clone(),
                metadata: map(md),
            });
        }
    };

    // protobuf + snappy
    let es = entries(0);
    let refs: Vec<ProtoEntry> = es.iter().map(|(t, l)| (*t, l.as_str(), &[][..])).collect();
    let (st, body) = push_proto(
        s,
        "/loki/api/v1/push",
        None,
        vec![proto_stream(r#"{app="proto", env="prod"}"#, &refs)],
    );
    assert_eq!(st, 204, "{body}");
    assert_eq!(body, "");
    expect(&[("app", "proto"), ("env", "prod")], &es, &[]);

    // JSON, gzip'ed JSON, deflate'd JSON (with and without Content-Encoding
    // parameters on the media type)
    for (app, enc, offset) in [
        ("json", "", 1),
        ("gzip", "gzip", 2),
        ("deflate", "deflate", 3),
    ] {
        let es = entries(offset);
        let labels = [("app", app), ("env", "prod")];
        let plain = json_body(
            &labels,
            &es.iter()
                .map(|(t, l)| (*t, l.clone(), vec![]))
                .collect::<Vec<_>>(),
        );
        let (body, ct) = match enc {
            "gzip" => (gzip(&plain), "application/json"),
            "deflate" => (deflate(&plain), "application/json"),
            _ => (plain, "application/json; charset=utf-8"),
        };
        let mut headers = vec![("Content-Type", ct)];
        if !enc.is_empty() {
            headers.push(("Content-Encoding", enc));
        }
        let (st, text) = post(&s.url("/loki/api/v1/push"), &body, &headers);
        assert_eq!(st, 204, "{app}: {text}");
        expect(&labels, &es, &[]);
    }

    // JSON with structured metadata; names are sanitised as Loki does.
    let es = entries(4);
    let labels = [("app", "jsonmd"), ("env", "prod")];
    let sent_md = [
        ("trace_id", "abc123"),
        ("user", "jöhn"),
        ("http.method", "GET"),
    ];
    let stored_md = [
        ("trace_id", "abc123"),
        ("user", "jöhn"),
        ("http_method", "GET"),
    ];
    let body = json_body(
        &labels,
        &es.iter()
            .map(|(t, l)| (*t, l.clone(), sent_md.to_vec()))
            .collect::<Vec<_>>(),
    );
    let (st, text) = post(
        &s.url("/loki/api/v1/push"),
        &body,
        &[("Content-Type", "application/json")],
    );
    assert_eq!(st, 204, "{text}");
    expect(&labels, &es, &stored_md);

    // protobuf with structured metadata
    let es = entries(5);
    let refs: Vec<ProtoEntry> = es
        .iter()
        .map(|(t, l)| (*t, l.as_str(), &sent_md[..]))
        .collect();
    let (st, text) = push_proto(
        s,
        "/loki/api/v1/push",
        None,
        vec![proto_stream(r#"{app="protomd", env="prod"}"#, &refs)],
    );
    assert_eq!(st, 204, "{text}");
    expect(&[("app", "protomd"), ("env", "prod")], &es, &stored_md);

    // The legacy path: protobuf is the same, JSON has the legacy shape.
    let es = entries(6);
    let refs: Vec<ProtoEntry> = es.iter().map(|(t, l)| (*t, l.as_str(), &[][..])).collect();
    let (st, text) = push_proto(
        s,
        "/api/prom/push",
        None,
        vec![proto_stream(r#"{app="legacy", env="prod"}"#, &refs)],
    );
    assert_eq!(st, 204, "{text}");
    expect(&[("app", "legacy"), ("env", "prod")], &es, &[]);

    let es = entries(7);
    let legacy = json!({"streams": [{
        "labels": r#"{app="legacyjson", env="prod"}"#,
        "entries": es.iter().map(|(t, l)| json!({"ts": rfc3339_nano(*t), "line": l})).collect::<Vec<_>>(),
    }]});
    let (st, text) = post(
        &s.url("/api/prom/push"),
        legacy.to_string().as_bytes(),
        &[("Content-Type", "application/json")],
    );
    assert_eq!(st, 204, "{text}");
    expect(&[("app", "legacyjson"), ("env", "prod")], &es, &[]);
    want
}

/// Pushes `{app="tenant"}` to three tenants; returns the expectation per tenant.
fn push_tenants(s: &Server, base: i64) -> Vec<(Option<&'static str>, Vec<Want>)> {
    let mut out = Vec::new();
    for (i, tenant) in [Some("team-a"), Some("team-b"), None]
        .into_iter()
        .enumerate()
    {
        let line = format!("line of {}", tenant.unwrap_or("fake"));
        let ts = base + i as i64;
        let (st, text) = push_proto(
            s,
            "/loki/api/v1/push",
            tenant,
            vec![proto_stream(
                r#"{app="tenant", env="t"}"#,
                &[(ts, &line, &[])],
            )],
        );
        assert_eq!(st, 204, "{text}");
        out.push((
            tenant,
            vec![Want {
                labels: stored_labels(&[("app", "tenant"), ("env", "t")]),
                ts,
                line,
                metadata: BTreeMap::new(),
            }],
        ));
    }
    out
}

fn check_everything(
    s: &Server,
    all: &[Want],
    tenants: &[(Option<&str>, Vec<Want>)],
    from: i64,
    to: i64,
) {
    check(s, None, r#"{env="prod"}"#, all, from, to);
    // The header `fake` is the same tenant as no header.
    check(s, Some("fake"), r#"{env="prod"}"#, all, from, to);
    for (tenant, want) in tenants {
        check(s, *tenant, r#"{app="tenant"}"#, want, from, to);
        if tenant.is_some() {
            // Other tenants' data is invisible.
            check(s, *tenant, r#"{env="prod"}"#, &[], from, to);
        }
    }
}

#[test]
fn every_format_round_trips_through_flush_and_restart() {
    let mut s = Server::start(&[]);
    let base = now_ns() - 20 * 60 * SEC;
    let (from, to) = (base - 60 * SEC, now_ns() + 60 * SEC);
    let all = push_all_formats(&s, base);
    let tenants = push_tenants(&s, base);
    check_everything(&s, &all, &tenants, from, to);

    let (st, text) = post(&s.url("/flush"), b"", &[]);
    assert!((200..300).contains(&st), "flush: {st} {text}");
    check_everything(&s, &all, &tenants, from, to);

    let status = s.stop().expect("exit status");
    assert!(status.success(), "clean exit: {status:?}");
    let data = s.data.clone();
    let s2 = Server::start_in(&data, &[]);
    check_everything(&s2, &all, &tenants, from, to);
    drop(s2);
    drop(s);
}

fn lines_of(s: &Server, query: &str, from: i64, to: i64) -> Vec<(i64, String)> {
    read_all(s, None, query, from, to, false)
        .into_iter()
        .map(|g| (g.ts, g.line))
        .collect()
}

#[test]
fn out_of_order_accepted_and_duplicates_dropped() {
    let s = Server::start(&[]);
    let t0 = now_ns() - 30 * 60 * SEC;
    let (from, to) = (t0 - 3600 * SEC, now_ns() + 60 * SEC);
    let q = r#"{app="ooo"}"#;
    let push = |entries: &[(i64, &str)]| {
        let es: Vec<ProtoEntry> = entries.iter().map(|(t, l)| (*t, *l, &[][..])).collect();
        push_proto(
            &s,
            "/loki/api/v1/push",
            None,
            vec![proto_stream(r#"{app="ooo"}"#, &es)],
        )
    };
    // Newest first, then older entries within the window.
    for e in [(t0 + 10 * SEC, "c"), (t0 + 5 * SEC, "b"), (t0, "a")] {
        assert_eq!(push(&[e]), (204, String::new()));
    }
    // A second push of (ts, line) already stored, older than the newest:
    // silently dropped, as Loki's ingester does.
    assert_eq!(push(&[(t0 + 5 * SEC, "b")]), (204, String::new()));
    // The same duplicate twice inside one push, with a new entry.
    assert_eq!(
        push(&[
            (t0 + 20 * SEC, "d"),
            (t0 + 20 * SEC, "d"),
            (t0 + 10 * SEC, "c")
        ]),
        (204, String::new())
    );
    // Same timestamp, different line: both kept.
    assert_eq!(push(&[(t0 + 5 * SEC, "b2")]), (204, String::new()));
    let want: Vec<(i64, String)> = [
        (t0, "a"),
        (t0 + 5 * SEC, "b"),
        (t0 + 5 * SEC, "b2"),
        (t0 + 10 * SEC, "c"),
        (t0 + 20 * SEC, "d"),
    ]
    .iter()
    .map(|(t, l)| (*t, l.to_string()))
    .collect();
    let mut got = lines_of(&s, q, from, to);
    got.sort();
    assert_eq!(got, want);

    // The duplicates show in the rejection metric, not as errors.
    let m = metrics_text(&s);
    assert_eq!(
        metric(
            &m,
            r#"kindling_ingest_rejected_lines_total{reason="duplicate"}"#
        ),
        Some(3.0),
        "{m}"
    );

    // Outside the window (1h behind the newest): refused with 400.
    let (st, body) = push(&[(t0 + 20 * SEC - 3601 * SEC, "too old")]);
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("entry too far behind"), "{body}");
    let mut got = lines_of(&s, q, from, to);
    got.sort();
    assert_eq!(got, want, "the refused entry is not stored");
}

#[test]
fn pushes_on_either_side_of_the_inline_limit_are_stored() {
    // Bodies up to 1 MiB are handled on the runtime's own thread, larger
    // ones in the blocking pool: both must store every entry.
    let s = Server::start(&[]);
    let t0 = now_ns() - 10 * 60 * SEC;
    for (app, n) in [("small", 20usize), ("large", 3000)] {
        let es: Vec<JsonEntry> = (0..n)
            .map(|i| {
                (
                    t0 + i as i64 * 1000,
                    format!("{app} {i} {}", "y".repeat(400)),
                    vec![],
                )
            })
            .collect();
        let body = json_body(&[("app", app)], &es);
        assert_eq!(body.len() > 1 << 20, app == "large", "{} bytes", body.len());
        assert_eq!(push_json_raw(&s, &body), (204, String::new()));
        let mut got = lines_of(&s, &format!(r#"{{app="{app}"}}"#), t0 - SEC, now_ns() + SEC);
        got.sort();
        let want: Vec<(i64, String)> = es.into_iter().map(|(t, l, _)| (t, l)).collect();
        assert_eq!(got.len(), want.len(), "{app}");
        assert!(got == want, "{app}: lines differ");
    }
}

//! The single entry point: decode, validate, discover and rate-limit a push.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use super::config::IngestConfig;
use super::decode::{decode_body, BodyBuffers, RawEntry};
use super::discovery::LevelDetector;
use super::error::PushError;
use super::rate::Buckets;
use super::rejections::Rejections;
use super::stream_labels::{LabelCache, StreamLabels};
use super::validate::{check_entry, sanitize_metadata, truncate_line};
use crate::model::Labels;
use crate::store::field_summary::{FieldSummary, FieldSummaryBuilder};
use crate::store::AppendStream;

/// A validated stream for the store. Its entries borrow their text from
/// the request body where they can.
#[derive(Debug)]
pub struct ValidStream<'a> {
    stream: Arc<StreamLabels>,
    /// The accepted entries in push order, with their `detected_level`.
    pub entries: Vec<RawEntry<'a>>,
    /// The summary of the entries' JSON fields, when every line has one.
    fields: Option<FieldSummary>,
}

impl ValidStream<'_> {
    /// The labels, with `service_name` once discovered.
    pub fn labels(&self) -> &Labels {
        &self.stream.labels
    }
}

impl AppendStream for ValidStream<'_> {
    fn labels(&self) -> &Labels {
        ValidStream::labels(self)
    }

    fn entry_count(&self) -> usize {
        self.entries.len()
    }

    fn entry(&self, i: usize) -> Option<(i64, &str)> {
        self.entries.get(i).map(|e| (e.ts, e.line.as_ref()))
    }

    fn metadata(&self, i: usize) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .get(i)
            .into_iter()
            .flat_map(RawEntry::all_metadata)
    }

    fn fields(&self) -> Option<&FieldSummary> {
        self.fields.as_ref()
    }
}

/// A push ready for the store; it borrows from the body and the buffers
/// given to [`Ingester::prepare`].
#[derive(Debug)]
pub struct PreparedPush<'a> {
    /// The accepted streams, labels with `service_name`, entries with
    /// `detected_level`, in request order.
    pub streams: Vec<ValidStream<'a>>,
    /// What was refused; the store adds its own refusals, then
    /// [`Rejections::respond`] gives the HTTP answer.
    pub rejections: Rejections,
    /// Entries received in the request (Loki's `distributor_lines_received_total`).
    pub lines: u64,
    /// Bytes received: lines plus structured metadata
    /// (`distributor_bytes_received_total`).
    pub bytes: u64,
}

struct Limiters {
    tenants: Buckets<String>,
    streams: Buckets<u64>,
}

/// Turns push bodies into validated batches; holds the rate limiter state.
pub struct Ingester {
    cfg: IngestConfig,
    levels: LevelDetector,
    label_cache: LabelCache,
    limiters: Mutex<Limiters>,
}

fn stream_key(tenant: &str, labels: &str) -> u64 {
    let mut h = DefaultHasher::new();
    tenant.hash(&mut h);
    labels.hash(&mut h);
    h.finish()
}

/// A stream after label parsing: what its label text resolves to, and its
/// entries.
struct ParsedStream<'a> {
    stream: Arc<StreamLabels>,
    entries: Vec<RawEntry<'a>>,
}

impl Ingester {
    /// An ingester with the given configuration.
    pub fn new(cfg: IngestConfig) -> Self {
        let levels = LevelDetector::new(&cfg.log_level_fields, cfg.log_level_from_json_max_depth);
        let limiters = Limiters {
            tenants: Buckets::new(
                cfg.ingestion_rate_bytes,
                cfg.ingestion_burst_bytes,
                cfg.max_tracked_tenants,
            ),
            streams: Buckets::new(
                cfg.per_stream_rate_bytes,
                cfg.per_stream_burst_bytes,
                cfg.max_tracked_streams,
            ),
        };
        Ingester {
            cfg,
            levels,
            label_cache: LabelCache::default(),
            limiters: Mutex::new(limiters),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &IngestConfig {
        &self.cfg
    }

    /// Decodes, validates and discovers one push body for `tenant` at
    /// `now_ns`, decompressing into `buffers`. `legacy_json` selects the
    /// `/api/prom/push` JSON shape. An `Err` refuses the whole request;
    /// otherwise the valid entries go on and the refused ones are in
    /// [`PreparedPush::rejections`].
    #[allow(clippy::too_many_arguments)]
    pub fn prepare<'a>(
        &self,
        tenant: &str,
        content_type: Option<&str>,
        content_encoding: Option<&str>,
        body: &'a [u8],
        legacy_json: bool,
        now_ns: i64,
        buffers: &'a mut BodyBuffers,
    ) -> Result<PreparedPush<'a>, PushError> {
        let cfg = &self.cfg;
        let raw = decode_body(
            cfg.body_limits(),
            content_type,
            content_encoding,
            body,
            legacy_json,
            buffers,
        )?;
        let lines = raw.iter().map(|s| s.entries.len() as u64).sum();
        let bytes = raw
            .iter()
            .flat_map(|s| &s.entries)
            .map(RawEntry::bytes)
            .sum();

        // Every label string is parsed first, so a bad one refuses the request.
        let resolved =
            self.label_cache
                .resolve(cfg, &self.levels, raw.iter().map(|s| s.labels.as_ref()))?;
        let parsed: Vec<ParsedStream<'a>> = raw
            .into_iter()
            .zip(resolved)
            .map(|(s, stream)| ParsedStream {
                stream,
                entries: s.entries,
            })
            .collect();
        if parsed.is_empty() {
            return Err(PushError::NoStreams);
        }

        let mut rejections = Rejections::new(tenant, cfg.max_returned_stream_errors);
        let accepted = self.validate(parsed, now_ns, &mut rejections);
        if accepted.is_empty() {
            return Ok(PreparedPush {
                streams: Vec::new(),
                rejections,
                lines,
                bytes,
            });
        }

        let mut limiters = self.limiters.lock().unwrap_or_else(PoisonError::into_inner);
        let total_lines: u64 = accepted.iter().map(|s| s.entries.len() as u64).sum();
        let total_bytes: u64 = accepted
            .iter()
            .flat_map(|s| &s.entries)
            .map(RawEntry::bytes)
            .sum();
        if !limiters
            .tenants
            .allow(&tenant.to_string(), total_bytes, now_ns)
        {
            return Err(PushError::RateLimited {
                tenant: tenant.to_string(),
                limit: limiters.tenants.rate() as u64,
                lines: total_lines,
                bytes: total_bytes,
            });
        }

        let stream_limit = limiters.streams.rate() as u64;
        let mut streams = Vec::with_capacity(accepted.len());
        for stream in accepted {
            let size = stream.entries.iter().map(RawEntry::bytes).sum();
            let canonical = &stream.stream.canonical;
            let key = stream_key(tenant, canonical);
            let i = rejections.register_stream(canonical.clone(), stream.entries.len());
            if limiters.streams.allow(&key, size, now_ns) {
                streams.push(stream);
            } else {
                rejections.rate_limited_stream(i, &stream.entries, stream_limit);
            }
        }
        Ok(PreparedPush {
            streams,
            rejections,
            lines,
            bytes,
        })
    }

    /// Loki's distributor loop: label checks, line truncation, entry checks,
    /// metadata sanitising and level discovery. Returns the accepted streams
    /// with their canonical label strings.
    fn validate<'a>(
        &self,
        parsed: Vec<ParsedStream<'a>>,
        now_ns: i64,
        rejections: &mut Rejections,
    ) -> Vec<ValidStream<'a>> {
        let cfg = &self.cfg;
        let detect = cfg.discover_log_levels && cfg.allow_structured_metadata;
        let mut scratch = Vec::new();
        let mut fields = FieldSummaryBuilder::new();
        let is_level_key = |k: &[u8]| self.levels.is_level_field(k);
        let mut accepted = Vec::with_capacity(parsed.len());
        for ParsedStream {
            stream,
            mut entries,
        } in parsed
        {
            if entries.is_empty() {
                continue;
            }
            if cfg.max_line_size_truncate {
                for e in &mut entries {
                    truncate_line(&mut e.line, cfg.max_line_size);
                }
            }
            if let Err(v) = &stream.check {
                let bytes = entries.iter().map(RawEntry::bytes).sum();
                rejections.add_violation(v.clone(), entries.len() as u64, bytes);
                continue;
            }
            entries.retain_mut(|e| {
                if let Err(v) = check_entry(cfg, now_ns, &stream.canonical, e) {
                    rejections.add_violation(v, 1, e.bytes());
                    return false;
                }
                sanitize_metadata(&mut e.metadata);
                // One walk of a JSON line serves the field summary and the
                // level detection.
                let walked = fields.add_line(&e.line, &is_level_key);
                if detect {
                    e.detected_level = self.levels.apply(
                        stream.level.as_ref(),
                        &mut e.metadata,
                        &e.line,
                        &mut scratch,
                        walked,
                    );
                }
                true
            });
            let fields = fields.finish();
            if entries.is_empty() {
                continue;
            }
            accepted.push(ValidStream {
                stream,
                entries,
                fields,
            });
        }
        accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::proto::{
        EntryAdapter, LabelPairAdapter, PushRequest, StreamAdapter, Timestamp,
    };
    use crate::ingest::DiscardReason;
    use crate::model::Label;
    use prost::Message;
    use std::time::Duration;

    const NOW: i64 = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z
    const JSON: Option<&str> = Some("application/json");

    /// A v1 JSON body with one stream.
    fn body(stream: &str, values: &[(i64, &str)]) -> String {
        let values: Vec<String> = values
            .iter()
            .map(|(ts, line)| format!("[\"{ts}\",{}]", serde_json::to_string(line).unwrap()))
            .collect();
        format!(
            r#"{{"streams":[{{"stream":{stream},"values":[{}]}}]}}"#,
            values.join(",")
        )
    }

    /// Decompression buffers that outlive a test's prepared push.
    fn bufs() -> &'static mut BodyBuffers {
        Box::leak(Box::default())
    }

    /// Prepares a JSON body; the body is kept for the rest of the test.
    fn push(ing: &Ingester, body: &str) -> Result<PreparedPush<'static>, PushError> {
        let body: &'static str = Box::leak(body.into());
        ing.prepare("fake", JSON, None, body.as_bytes(), false, NOW, bufs())
    }

    fn answer(ing: &Ingester, body: &str) -> Option<(u16, String)> {
        push(ing, body)
            .map(|p| p.rejections.respond())
            .unwrap_or_else(|e| Some(e.response()))
    }

    fn default_ingester() -> Ingester {
        Ingester::new(IngestConfig::default())
    }

    #[test]
    fn accepted_push_has_discovery_and_no_answer_body() {
        let p = push(
            &default_ingester(),
            &body(
                r#"{"app":"web","env":""}"#,
                &[(NOW, "level=warn msg=x"), (NOW, "plain")],
            ),
        )
        .unwrap();
        assert_eq!(p.rejections.respond(), None);
        assert_eq!((p.lines, p.bytes), (2, 21));
        assert_eq!(p.streams.len(), 1);
        let s = &p.streams[0];
        assert_eq!(s.labels().to_string(), r#"{app="web", service_name="web"}"#);
        let levels: Vec<&str> = s
            .entries
            .iter()
            .map(|e| e.detected_level.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(levels, ["warn", "unknown"]);
    }

    #[test]
    fn protobuf_push_with_metadata_and_bad_utf8() {
        let req = PushRequest {
            streams: vec![StreamAdapter {
                labels: br#"{job="x", level="ERR"}"#.to_vec(),
                entries: vec![EntryAdapter {
                    timestamp: Some(Timestamp::from_nanos(NOW)),
                    line: b"caf\xe9".to_vec(),
                    structured_metadata: vec![LabelPairAdapter {
                        name: b"trace.id".to_vec(),
                        value: b"a\xffb".to_vec(),
                    }],
                    parsed: vec![],
                }],
                hash: 0,
            }],
            format: vec![],
        };
        let body = snap::raw::Encoder::new()
            .compress_vec(&req.encode_to_vec())
            .unwrap();
        let p = default_ingester()
            .prepare(
                "fake",
                Some("application/x-protobuf"),
                None,
                &body,
                false,
                NOW,
                bufs(),
            )
            .unwrap();
        let e = &p.streams[0].entries[0];
        assert_eq!(e.line, "caf\u{FFFD}");
        assert_eq!(
            e.all_metadata()
                .map(|(n, v)| Label::new(n, v))
                .collect::<Vec<_>>(),
            vec![
                Label::new("trace_id", "ab"),
                Label::new("detected_level", "error")
            ]
        );
        assert_eq!(
            p.streams[0].labels().to_string(),
            r#"{job="x", level="ERR", service_name="x"}"#
        );
    }

    #[test]
    fn whole_request_refusals() {
        let ing = default_ingester();
        assert_eq!(
            answer(&ing, r#"{"streams":[]}"#),
            Some((
                422,
                "error at least one valid stream is required for ingestion\n".into()
            ))
        );
        assert_eq!(
            answer(&ing, &body(r#"{"a.b":"c"}"#, &[(NOW, "x")])),
            Some((
                400,
                "couldn't parse labels: 1:3: parse error: unexpected character inside braces: '.'\n"
                    .into()
            ))
        );
        // Streams without entries are skipped: 204.
        assert_eq!(
            answer(&ing, r#"{"streams":[{"stream":{"a":"b"},"values":[]}]}"#),
            None
        );
    }

    #[test]
    fn one_refusal_per_kind() {
        let ing = default_ingester();
        let web = r#"{app="web", service_name="web"}"#;
        let many: String = format!(
            "{{{}}}",
            (0..16)
                .map(|i| format!("\"l{i:02}\":\"v\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        let many_text = {
            let mut pairs: Vec<String> = (0..16).map(|i| format!("l{i:02}=\"v\"")).collect();
            pairs.push("service_name=\"unknown_service\"".into());
            pairs.sort();
            format!("{{{}}}", pairs.join(", "))
        };
        let long_name = "n".repeat(1025);
        let long_value = "v".repeat(2049);
        let table: Vec<(String, String)> = vec![
            (
                body(&many, &[(NOW, "x")]),
                format!("entry for stream '{many_text}' has 16 label names; limit 15"),
            ),
            (
                body(&format!(r#"{{"app":"web","{long_name}":"v"}}"#), &[(NOW, "x")]),
                format!("stream '{{app=\"web\", {long_name}=\"v\", service_name=\"web\"}}' has label name too long: '{long_name}'"),
            ),
            (
                body(&format!(r#"{{"app":"{long_value}"}}"#), &[(NOW, "x")]),
                format!("stream '{{app=\"{long_value}\", service_name=\"{long_value}\"}}' has label value too long: '{long_value}'"),
            ),
            (
                body(r#"{"app":"web"}"#, &[(NOW - 8 * 86_400_000_000_000, "x")]),
                format!("entry for stream '{web}' has timestamp too old: 2023-12-24T00:00:00Z, oldest acceptable timestamp is: 2023-12-25T00:00:00Z"),
            ),
            (
                body(r#"{"app":"web"}"#, &[(NOW + 3_600_000_000_000, "x")]),
                format!("entry for stream '{web}' has timestamp too new: 2024-01-01T01:00:00Z"),
            ),
            (
                body(r#"{"app":"web"}"#, &[(NOW, &"x".repeat(300_000))]),
                format!("Max entry size '262144' bytes exceeded for stream '{web}' while adding an entry with length '300000' bytes"),
            ),
        ];
        for (b, want) in table {
            assert_eq!(answer(&ing, &b), Some((400, format!("{want}\n"))));
        }
        let sm = |md: String| {
            format!(r#"{{"streams":[{{"stream":{{"app":"web"}},"values":[["{NOW}","x",{md}]]}}]}}"#)
        };
        let too_large = sm(format!(r#"{{"k":"{}"}}"#, "v".repeat(65_536)));
        assert_eq!(
            answer(&ing, &too_large),
            Some((400, format!("stream '{web}' has structured metadata too large: '65537' bytes, limit: '65536' bytes. Please see `limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it.\n")))
        );
        let too_many = sm(format!(
            "{{{}}}",
            (0..129)
                .map(|i| format!("\"k{i}\":\"v\""))
                .collect::<Vec<_>>()
                .join(",")
        ));
        assert_eq!(
            answer(&ing, &too_many),
            Some((400, format!("stream '{web}' has too many structured metadata labels: '129', limit: '128'. Please see `limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to increase it.\n")))
        );
        // Duplicate names can only come from a label string.
        let dup = PushRequest {
            streams: vec![StreamAdapter {
                labels: br#"{a="1", a="2"}"#.to_vec(),
                entries: vec![EntryAdapter {
                    timestamp: Some(Timestamp::from_nanos(NOW)),
                    line: b"x".to_vec(),
                    structured_metadata: vec![],
                    parsed: vec![],
                }],
                hash: 0,
            }],
            format: vec![],
        };
        let dup = snap::raw::Encoder::new()
            .compress_vec(&dup.encode_to_vec())
            .unwrap();
        let p = ing
            .prepare(
                "fake",
                Some("application/x-protobuf"),
                None,
                &dup,
                false,
                NOW,
                bufs(),
            )
            .unwrap();
        assert_eq!(
            p.rejections.respond(),
            Some((400, "stream '{a=\"1\", a=\"2\", service_name=\"unknown_service\"}' has duplicate label name: 'a'\n".into()))
        );
        assert_eq!(
            p.rejections.discarded(),
            vec![(DiscardReason::DuplicateLabelNames, 1, 1)]
        );
    }

    #[test]
    fn switches_off() {
        let cfg = IngestConfig {
            discover_service_name: vec![],
            discover_log_levels: false,
            allow_structured_metadata: false,
            max_line_size_truncate: true,
            max_line_size: 4,
            ..IngestConfig::default()
        };
        let ing = Ingester::new(cfg);
        assert_eq!(
            answer(&ing, &body("{}", &[(NOW, "x")])),
            Some((
                400,
                "error at least one label pair is required per stream\n".into()
            ))
        );
        let p = push(&ing, &body(r#"{"a":"b"}"#, &[(NOW, "level=error")])).unwrap();
        assert_eq!(p.streams[0].labels().to_string(), r#"{a="b"}"#);
        assert_eq!(p.streams[0].entries[0].line, "leve");
        assert!(p.streams[0].entries[0].metadata.is_empty());
        let with_md = format!(
            r#"{{"streams":[{{"stream":{{"a":"b"}},"values":[["{NOW}","x",{{"k":"v"}}]]}}]}}"#
        );
        assert_eq!(
            answer(&ing, &with_md),
            Some((400, "stream '{a=\"b\"}' includes structured metadata, but this feature is disallowed. Please see `limits_config.allow_structured_metadata` or contact your Loki administrator to enable it.\n".into()))
        );
    }

    #[test]
    fn partial_failure_keeps_valid_entries_and_groups_errors() {
        let ing = default_ingester();
        let old = NOW - 8 * 86_400_000_000_000;
        let p = push(
            &ing,
            &body(
                r#"{"app":"web"}"#,
                &[
                    (NOW, "ok"),
                    (old, "a"),
                    (old, "b"),
                    (NOW + 3_600_000_000_000, "c"),
                ],
            ),
        )
        .unwrap();
        assert_eq!(p.streams[0].entries.len(), 1);
        let web = r#"{app="web", service_name="web"}"#;
        assert_eq!(
            p.rejections.respond(),
            Some((400, format!("2 errors like: entry for stream '{web}' has timestamp too old: 2023-12-24T00:00:00Z, oldest acceptable timestamp is: 2023-12-25T00:00:00Z; 1 errors like: entry for stream '{web}' has timestamp too new: 2024-01-01T01:00:00Z\n")))
        );
        // The store's refusals take precedence.
        let mut r = p.rejections.clone();
        let s = &p.streams[0];
        r.too_far_behind(s.labels(), &s.entries[0], NOW + 1);
        assert_eq!(
            r.respond(),
            Some((400, format!("entry with timestamp 2024-01-01 00:00:00 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: 2024-01-01T00:00:00Z, oldest acceptable timestamp is: 2024-01-01T00:00:00Z',\nuser 'fake', total ignored: 1 out of 1 for stream: {web}\n")))
        );
        let mut r = p.rejections.clone();
        r.stream_limit(s.labels(), &s.entries);
        assert_eq!(r.respond().map(|(s, _)| s), Some(429));
    }

    #[test]
    fn tenant_rate_limit_is_429_and_stores_nothing() {
        let cfg = IngestConfig {
            ingestion_rate_bytes: 10.0,
            ingestion_burst_bytes: 40.0,
            ..IngestConfig::default()
        };
        let ing = Ingester::new(cfg);
        let b = body(r#"{"app":"web"}"#, &[(NOW, "0123456789")]);
        // 10 line bytes + 21 bytes of `detected_level=unknown` = 31 of the 40.
        assert!(push(&ing, &b).is_ok());
        let err = push(&ing, &b).unwrap_err();
        assert_eq!(err.response().0, 429);
        assert_eq!(
            err.response().1,
            "Ingestion rate limit exceeded for user fake (limit: 10 bytes/sec) while attempting to ingest '1' lines totaling '31' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased\n"
        );
        // Tokens come back with time.
        assert!(ing
            .prepare(
                "fake",
                JSON,
                None,
                b.as_bytes(),
                false,
                NOW + 10 * 1_000_000_000,
                bufs(),
            )
            .is_ok());
        assert!(ing
            .prepare("other", JSON, None, b.as_bytes(), false, NOW, bufs())
            .is_ok());
    }

    #[test]
    fn per_stream_rate_limit_is_429_for_that_stream_only() {
        let cfg = IngestConfig {
            per_stream_rate_bytes: 3.0 * 1024.0 * 1024.0,
            per_stream_burst_bytes: 30.0,
            ..IngestConfig::default()
        };
        let ing = Ingester::new(cfg);
        let two = format!(
            r#"{{"streams":[{{"stream":{{"app":"big"}},"values":[["{NOW}","{}"]]}},{{"stream":{{"app":"small"}},"values":[["{NOW}","s"]]}}]}}"#,
            "x".repeat(40)
        );
        let p = push(&ing, &two).unwrap();
        assert_eq!(p.streams.len(), 1);
        assert_eq!(p.streams[0].labels().get("app"), Some("small"));
        let big = r#"{app="big", service_name="big"}"#;
        assert_eq!(
            p.rejections.respond(),
            Some((429, format!("entry with timestamp 2024-01-01 00:00:00 +0000 UTC ignored, reason: 'Per stream rate limit exceeded (limit: 3MB/sec) while attempting to ingest for stream '{big}' totaling 61B, consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased',\nuser 'fake', total ignored: 1 out of 1 for stream: {big}\n")))
        );
    }

    #[test]
    fn old_samples_accepted_when_max_age_is_zero() {
        let cfg = IngestConfig {
            reject_old_samples_max_age: Duration::ZERO,
            ..IngestConfig::default()
        };
        let p = push(&Ingester::new(cfg), &body(r#"{"app":"web"}"#, &[(1, "x")])).unwrap();
        assert_eq!(p.streams[0].entries.len(), 1);
        assert!(p.rejections.is_empty());
    }

    /// Loki 3.7's discovery, checked against what its answers to the
    /// conformance suite show (`service_name` stream labels and
    /// `detected_level` metadata of pushed entries).
    #[test]
    fn discovery_matches_loki_conformance_answers() {
        let fixture = include_str!("../../tests/fixtures/ingest_discovery.jsonl");
        let cfg = IngestConfig {
            reject_old_samples_max_age: Duration::ZERO,
            ..IngestConfig::default()
        };
        let ing = Ingester::new(cfg);
        let mut checked = 0;
        for row in fixture.lines() {
            let v: serde_json::Value = serde_json::from_str(row).unwrap();
            let ts: i64 = v["ts"].as_str().unwrap().parse().unwrap();
            let meta = v.get("meta").cloned().unwrap_or(serde_json::json!({}));
            let body = serde_json::json!({"streams": [{
                "stream": v["stream"],
                "values": [[v["ts"], v["line"], meta]],
            }]});
            let text = body.to_string();
            let p = ing
                .prepare("fake", JSON, None, text.as_bytes(), false, ts, bufs())
                .unwrap();
            let s = &p.streams[0];
            assert_eq!(
                s.labels().get("service_name"),
                v["service_name"].as_str(),
                "{row}"
            );
            let level = s.entries[0]
                .all_metadata()
                .find(|(n, _)| *n == "detected_level")
                .map(|(_, v)| v);
            assert_eq!(level, v["detected_level"].as_str(), "{row}");
            checked += 1;
        }
        assert!(checked >= 100);
    }
}

//! Loki 3.7's distributor validation: label set checks per stream, entry
//! checks per line, line truncation and structured metadata sanitising, with
//! Loki's message texts.

use std::borrow::Cow;

use super::config::IngestConfig;
use super::decode::{RawEntry, RawLabel};
use super::error::DiscardReason;
use super::gofmt::rfc3339;
use crate::model::Label;

/// Label names Loki adds or uses internally.
pub const SERVICE_NAME: &str = "service_name";
/// Marks Loki's internal aggregated-metric streams (no label validation).
pub const AGGREGATED_METRIC: &str = "__aggregated_metric__";

/// A refused stream or entry: why, and Loki's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The discard reason.
    pub reason: DiscardReason,
    /// The message as Loki writes it.
    pub message: String,
}

fn violation(reason: DiscardReason, message: String) -> Violation {
    Violation { reason, message }
}

fn nanos(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Checks a stream's label set (sorted, duplicates kept). `text` is the
/// stream's label string as Loki shows it in these messages.
pub fn check_labels(cfg: &IngestConfig, labels: &[Label], text: &str) -> Result<(), Violation> {
    if labels.is_empty() {
        return Err(violation(
            DiscardReason::MissingLabels,
            "error at least one label pair is required per stream".into(),
        ));
    }
    if labels.iter().any(|l| l.name == AGGREGATED_METRIC) {
        return Ok(());
    }
    let mut count = labels.len();
    if labels.iter().any(|l| l.name == SERVICE_NAME) {
        count -= 1;
    }
    if count > cfg.max_label_names_per_series {
        return Err(violation(
            DiscardReason::MaxLabelNamesPerSeries,
            format!(
                "entry for stream '{text}' has {count} label names; limit {}",
                cfg.max_label_names_per_series
            ),
        ));
    }
    let mut last = "";
    for l in labels {
        if l.name.len() > cfg.max_label_name_length {
            return Err(violation(
                DiscardReason::LabelNameTooLong,
                format!("stream '{text}' has label name too long: '{}'", l.name),
            ));
        }
        if l.value.len() > cfg.max_label_value_length {
            return Err(violation(
                DiscardReason::LabelValueTooLong,
                format!("stream '{text}' has label value too long: '{}'", l.value),
            ));
        }
        if l.name == last {
            return Err(violation(
                DiscardReason::DuplicateLabelNames,
                format!("stream '{text}' has duplicate label name: '{}'", l.name),
            ));
        }
        last = &l.name;
    }
    Ok(())
}

/// Bytes of structured metadata, names and values, as Loki counts them.
pub fn metadata_size(metadata: &[RawLabel<'_>]) -> usize {
    metadata.iter().map(|l| l.name.len() + l.value.len()).sum()
}

/// Checks one entry at `now_ns`. `labels` is the stream's canonical label string.
pub fn check_entry(
    cfg: &IngestConfig,
    now_ns: i64,
    labels: &str,
    entry: &RawEntry<'_>,
) -> Result<(), Violation> {
    let max_age = nanos(cfg.reject_old_samples_max_age);
    if max_age > 0 {
        let oldest = now_ns.saturating_sub(max_age);
        if entry.ts < oldest {
            return Err(violation(
                DiscardReason::GreaterThanMaxSampleAge,
                format!(
                    "entry for stream '{labels}' has timestamp too old: {}, oldest acceptable timestamp is: {}",
                    rfc3339(entry.ts),
                    rfc3339(oldest)
                ),
            ));
        }
    }
    if entry.ts > now_ns.saturating_add(nanos(cfg.creation_grace_period)) {
        return Err(violation(
            DiscardReason::TooFarInFuture,
            format!(
                "entry for stream '{labels}' has timestamp too new: {}",
                rfc3339(entry.ts)
            ),
        ));
    }
    if cfg.max_line_size != 0 && entry.line.len() > cfg.max_line_size {
        return Err(violation(
            DiscardReason::LineTooLong,
            format!(
                "Max entry size '{}' bytes exceeded for stream '{labels}' while adding an entry with length '{}' bytes",
                cfg.max_line_size,
                entry.line.len()
            ),
        ));
    }
    if !entry.metadata.is_empty() {
        if !cfg.allow_structured_metadata {
            return Err(violation(
                DiscardReason::DisallowedStructuredMetadata,
                format!("stream '{labels}' includes structured metadata, but this feature is disallowed. Please see `limits_config.allow_structured_metadata` or contact your Loki administrator to enable it."),
            ));
        }
        let size = metadata_size(&entry.metadata);
        if cfg.max_structured_metadata_size != 0 && size > cfg.max_structured_metadata_size {
            return Err(violation(
                DiscardReason::StructuredMetadataTooLarge,
                format!(
                    "stream '{labels}' has structured metadata too large: '{size}' bytes, limit: '{}' bytes. Please see `limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it.",
                    cfg.max_structured_metadata_size
                ),
            ));
        }
        let count = entry.metadata.len();
        if cfg.max_structured_metadata_entries_count != 0
            && count > cfg.max_structured_metadata_entries_count
        {
            return Err(violation(
                DiscardReason::StructuredMetadataTooMany,
                format!(
                    "stream '{labels}' has too many structured metadata labels: '{count}', limit: '{}'. Please see `limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to increase it.",
                    cfg.max_structured_metadata_entries_count
                ),
            ));
        }
    }
    Ok(())
}

/// Cuts a line to at most `max` bytes (on a character boundary), as
/// `max_line_size_truncate` does. Returns whether it was cut.
pub fn truncate_line(line: &mut Cow<'_, str>, max: usize) -> bool {
    if max == 0 || line.len() <= max {
        return false;
    }
    let mut cut = max;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    match line {
        Cow::Borrowed(s) => *s = s.get(..cut).unwrap_or(""),
        Cow::Owned(s) => s.truncate(cut),
    }
    true
}

/// A structured metadata name made a valid Prometheus label name: every
/// character outside `[a-zA-Z0-9_]` becomes `_`, a leading digit gets a
/// `key_` prefix and a single leading underscore a `key` prefix.
pub fn normalize_metadata_name(name: &str) -> Cow<'_, str> {
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let first = name.as_bytes().first().copied();
    let prefix_needed = match first {
        Some(b) if b.is_ascii_digit() => true,
        Some(b'_') => !name.starts_with("__"),
        _ => false,
    };
    if name.chars().all(valid) && !prefix_needed {
        return Cow::Borrowed(name);
    }
    let sanitized: String = name
        .chars()
        .map(|c| if valid(c) { c } else { '_' })
        .collect();
    match sanitized.as_bytes().first() {
        Some(b) if b.is_ascii_digit() => Cow::Owned(format!("key_{sanitized}")),
        Some(b'_') if !sanitized.starts_with("__") => Cow::Owned(format!("key{sanitized}")),
        _ => Cow::Owned(sanitized),
    }
}

/// Sanitises structured metadata in place: names normalised, U+FFFD (Go:
/// invalid UTF-8) removed from values.
pub fn sanitize_metadata(metadata: &mut [RawLabel<'_>]) {
    for l in metadata {
        if let Cow::Owned(n) = normalize_metadata_name(&l.name) {
            l.name = Cow::Owned(n);
        }
        // U+FFFD is EF BF BD in UTF-8: most values hold no 0xEF byte, and
        // that test is far cheaper than setting up a substring search.
        if l.value.as_bytes().contains(&0xEF) && l.value.contains('\u{FFFD}') {
            l.value.to_mut().retain(|c| c != '\u{FFFD}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const NOW: i64 = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z
    const LBS: &str = r#"{app="web", service_name="web"}"#;

    fn entry(ts: i64, line: &str, metadata: Vec<Label>) -> RawEntry<'static> {
        let metadata = metadata
            .into_iter()
            .map(|l| RawLabel::new(l.name, l.value))
            .collect();
        RawEntry::new(ts, line.to_string(), metadata)
    }

    fn reason(r: Result<(), Violation>) -> Option<(DiscardReason, String)> {
        r.err().map(|v| (v.reason, v.message))
    }

    #[test]
    fn label_checks() {
        let cfg = IngestConfig::default();
        let set = |pairs: &[(&str, &str)]| -> Vec<Label> {
            pairs.iter().map(|(n, v)| Label::new(*n, *v)).collect()
        };
        assert_eq!(
            reason(check_labels(&cfg, &[], "{}")),
            Some((
                DiscardReason::MissingLabels,
                "error at least one label pair is required per stream".into()
            ))
        );
        let mut many: Vec<Label> = (0..16)
            .map(|i| Label::new(format!("l{i:02}"), "v"))
            .collect();
        assert_eq!(
            reason(check_labels(&cfg, &many, "{…}")),
            Some((
                DiscardReason::MaxLabelNamesPerSeries,
                "entry for stream '{…}' has 16 label names; limit 15".into()
            ))
        );
        many.pop();
        many.push(Label::new("service_name", "x"));
        assert_eq!(check_labels(&cfg, &many, "{…}"), Ok(()));
        let long_name = "n".repeat(1025);
        assert_eq!(
            reason(check_labels(&cfg, &set(&[(&long_name, "v")]), "{s}")),
            Some((
                DiscardReason::LabelNameTooLong,
                format!("stream '{{s}}' has label name too long: '{long_name}'")
            ))
        );
        let long_value = "v".repeat(2049);
        assert_eq!(
            reason(check_labels(&cfg, &set(&[("a", &long_value)]), "{s}")),
            Some((
                DiscardReason::LabelValueTooLong,
                format!("stream '{{s}}' has label value too long: '{long_value}'")
            ))
        );
        assert_eq!(
            reason(check_labels(
                &cfg,
                &set(&[("a", "1"), ("a", "2")]),
                r#"{a="1", a="2"}"#
            )),
            Some((
                DiscardReason::DuplicateLabelNames,
                r#"stream '{a="1", a="2"}' has duplicate label name: 'a'"#.into()
            ))
        );
        let internal: Vec<Label> = (0..20)
            .map(|i| Label::new(format!("l{i:02}"), "v"))
            .chain([Label::new(AGGREGATED_METRIC, "x")])
            .collect();
        assert_eq!(check_labels(&cfg, &internal, "{…}"), Ok(()));
    }

    #[test]
    fn entry_checks() {
        let cfg = IngestConfig::default();
        let day = 86_400_000_000_000i64;
        let table = [
            (
                entry(NOW - 8 * day, "x", vec![]),
                Some((
                    DiscardReason::GreaterThanMaxSampleAge,
                    format!("entry for stream '{LBS}' has timestamp too old: 2023-12-24T00:00:00Z, oldest acceptable timestamp is: 2023-12-25T00:00:00Z"),
                )),
            ),
            (
                entry(NOW + 11 * 60_000_000_000, "x", vec![]),
                Some((
                    DiscardReason::TooFarInFuture,
                    format!("entry for stream '{LBS}' has timestamp too new: 2024-01-01T00:11:00Z"),
                )),
            ),
            (entry(NOW + 9 * 60_000_000_000, "x", vec![]), None),
            (
                entry(NOW, &"x".repeat(262_145), vec![]),
                Some((
                    DiscardReason::LineTooLong,
                    format!("Max entry size '262144' bytes exceeded for stream '{LBS}' while adding an entry with length '262145' bytes"),
                )),
            ),
            (entry(NOW, &"x".repeat(262_144), vec![]), None),
            (
                entry(NOW, "x", vec![Label::new("k", "v".repeat(65_536))]),
                Some((
                    DiscardReason::StructuredMetadataTooLarge,
                    format!("stream '{LBS}' has structured metadata too large: '65537' bytes, limit: '65536' bytes. Please see `limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it."),
                )),
            ),
            (
                entry(NOW, "x", (0..129).map(|i| Label::new(format!("k{i}"), "v")).collect()),
                Some((
                    DiscardReason::StructuredMetadataTooMany,
                    format!("stream '{LBS}' has too many structured metadata labels: '129', limit: '128'. Please see `limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to increase it."),
                )),
            ),
        ];
        for (e, want) in table {
            assert_eq!(reason(check_entry(&cfg, NOW, LBS, &e)), want);
        }
        let off = IngestConfig {
            reject_old_samples_max_age: Duration::ZERO,
            allow_structured_metadata: false,
            ..IngestConfig::default()
        };
        assert_eq!(check_entry(&off, NOW, LBS, &entry(0, "x", vec![])), Ok(()));
        assert_eq!(
            reason(check_entry(&off, NOW, LBS, &entry(NOW, "x", vec![Label::new("k", "v")]))),
            Some((
                DiscardReason::DisallowedStructuredMetadata,
                format!("stream '{LBS}' includes structured metadata, but this feature is disallowed. Please see `limits_config.allow_structured_metadata` or contact your Loki administrator to enable it.")
            ))
        );
    }

    #[test]
    fn truncation_keeps_utf8() {
        let mut s = Cow::Owned("aé".to_string());
        assert!(truncate_line(&mut s, 2));
        assert_eq!(s, "a");
        let mut s = Cow::Borrowed("aé");
        assert!(truncate_line(&mut s, 2));
        assert_eq!(s, "a");
        let mut s = Cow::Borrowed("abc");
        assert!(!truncate_line(&mut s, 3));
        assert!(!truncate_line(&mut s, 0));
    }

    #[test]
    fn metadata_names_and_values_are_sanitised() {
        let table = [
            ("trace_id", "trace_id"),
            ("http.method", "http_method"),
            ("1abc", "key_1abc"),
            ("_x", "key_x"),
            ("__x__", "__x__"),
            ("café", "caf_"),
            ("", ""),
            ("-", "key_"),
        ];
        for (input, want) in table {
            assert_eq!(normalize_metadata_name(input), want, "{input}");
        }
        let mut md = vec![RawLabel::new("a.b", "x\u{FFFD}y")];
        sanitize_metadata(&mut md);
        assert_eq!(md, vec![RawLabel::new("a_b", "xy")]);
    }
}

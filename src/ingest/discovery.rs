//! Ingest-time discovery, on by default in Loki 3.7:
//!
//! * `service_name`: a stream without it gets one, copied from the first
//!   label of the priority list that the stream has, else `unknown_service`
//!   (internal `__aggregated_metric__` / `__pattern__` streams are left alone);
//! * `detected_level`: every entry gets this structured metadata. An entry
//!   that already carries it only has its value normalised. Otherwise the
//!   level comes from the first level field among the stream labels, then
//!   among the entry's structured metadata (both normalised, unknown values
//!   kept as they are), then from an OTLP `severity_number`, then from the
//!   line itself ([`LineLevelScanner`]).

use std::borrow::Cow;

use super::decode::RawLabel;
use super::level_scan::{self, known_level, LineLevelScanner};
use super::validate::{AGGREGATED_METRIC, SERVICE_NAME};
use crate::model::Label;

/// The structured metadata name of the discovered level.
pub const DETECTED_LEVEL: &str = "detected_level";
/// The `service_name` given to streams without any of the priority labels.
pub const UNKNOWN_SERVICE: &str = "unknown_service";
/// The OTLP severity number structured metadata.
const SEVERITY_NUMBER: &str = "severity_number";
/// Loki's internal pattern streams.
const PATTERN: &str = "__pattern__";

/// Adds `service_name` to a sorted label set that lacks it. Returns whether
/// it was added. An empty priority list disables the discovery.
pub fn discover_service_name(labels: &mut Vec<Label>, priority: &[String]) -> bool {
    if priority.is_empty()
        || labels
            .iter()
            .any(|l| l.name == SERVICE_NAME || l.name == AGGREGATED_METRIC || l.name == PATTERN)
    {
        return false;
    }
    let value = priority
        .iter()
        .find_map(|name| {
            labels
                .iter()
                .find(|l| &l.name == name && !l.value.is_empty())
                .map(|l| l.value.clone())
        })
        .unwrap_or_else(|| UNKNOWN_SERVICE.to_string());
    let at = labels.partition_point(|l| l.name.as_str() < SERVICE_NAME);
    labels.insert(at, Label::new(SERVICE_NAME, value));
    true
}

/// OTLP severity numbers to levels, as Loki maps them.
fn otlp_level(number: &str) -> &'static str {
    match number.parse::<i64>() {
        Err(_) => level_scan::INFO,
        Ok(0) => level_scan::UNKNOWN,
        Ok(n) if n <= 4 => level_scan::TRACE,
        Ok(n) if n <= 8 => level_scan::DEBUG,
        Ok(n) if n <= 12 => level_scan::INFO,
        Ok(n) if n <= 16 => level_scan::WARN,
        Ok(n) if n <= 20 => level_scan::ERROR,
        Ok(n) if n <= 24 => level_scan::FATAL,
        Ok(_) => level_scan::UNKNOWN,
    }
}

/// Adds `detected_level` to entries.
pub struct LevelDetector {
    fields: Vec<String>,
    scanner: LineLevelScanner,
}

impl LevelDetector {
    /// A detector for the given level fields (priority order) and JSON depth.
    pub fn new(fields: &[String], json_max_depth: usize) -> Self {
        LevelDetector {
            fields: fields.to_vec(),
            scanner: LineLevelScanner::new(fields, json_max_depth),
        }
    }

    /// Whether `key` is a level field of JSON lines.
    pub fn is_level_field(&self, key: &[u8]) -> bool {
        self.scanner.is_field(key)
    }

    /// The level a stream's labels impose on all its entries, if any: a
    /// known level by its static name, any other value as it is.
    pub fn stream_level(&self, stream_labels: &[Label]) -> Option<Cow<'static, str>> {
        let value = self.fields.iter().find_map(|f| {
            stream_labels
                .iter()
                .find(|l| &l.name == f)
                .map(|l| l.value.as_str())
        })?;
        Some(match known_level(value.as_bytes()) {
            Some(level) => Cow::Borrowed(level),
            None => Cow::Owned(value.to_string()),
        })
    }

    /// Normalises an existing `detected_level` in one entry's metadata, or
    /// returns the `detected_level` value to add after it (`None`: nothing
    /// to add). `stream_level` is [`Self::stream_level`] of the entry's
    /// stream. Known levels are static strings, so a typical entry costs no
    /// allocation.
    ///
    /// `walked` is what a walk of the line as a flat JSON object found, when
    /// there was one (see [`LineLevelScanner::level`]).
    pub fn apply<'a>(
        &self,
        stream_level: Option<&Cow<'static, str>>,
        metadata: &mut [RawLabel<'a>],
        line: &str,
        scratch: &mut Vec<u8>,
        walked: Option<Option<&str>>,
    ) -> Option<Cow<'a, str>> {
        if let Some(existing) = metadata.iter_mut().find(|l| l.name == DETECTED_LEVEL) {
            if let Some(level) = known_level(existing.value.as_bytes()) {
                if existing.value != level {
                    existing.value = Cow::Borrowed(level);
                }
            }
            return None;
        }
        let field = self
            .fields
            .iter()
            .find_map(|f| metadata.iter().find(|l| l.name == f.as_str()));
        let level: Cow<'a, str> = if let Some(level) = stream_level {
            level.clone()
        } else if let Some(l) = field {
            match known_level(l.value.as_bytes()) {
                Some(level) => Cow::Borrowed(level),
                None => l.value.clone(),
            }
        } else {
            let severity = metadata
                .iter()
                .find(|l| l.name == SEVERITY_NUMBER)
                .map(|l| l.value.as_ref())
                .filter(|v| !v.is_empty());
            Cow::Borrowed(match severity {
                Some(n) => otlp_level(n),
                None => self.scanner.level(line, scratch, walked),
            })
        };
        (!level.is_empty()).then_some(level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::config::{DEFAULT_LOG_LEVEL_FIELDS, DEFAULT_SERVICE_NAME_LABELS};

    fn priority() -> Vec<String> {
        DEFAULT_SERVICE_NAME_LABELS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn detector() -> LevelDetector {
        let fields: Vec<String> = DEFAULT_LOG_LEVEL_FIELDS
            .iter()
            .map(|s| s.to_string())
            .collect();
        LevelDetector::new(&fields, 2)
    }

    fn set(pairs: &[(&str, &str)]) -> Vec<Label> {
        let mut v: Vec<Label> = pairs.iter().map(|(n, v)| Label::new(*n, *v)).collect();
        v.sort();
        v
    }

    /// A label set and the `service_name` it should end up with.
    type ServiceCase<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);

    #[test]
    fn service_name_from_priority_list() {
        let table: &[ServiceCase] = &[
            (&[("job", "j"), ("app", "a"), ("service", "s")], Some("s")),
            (&[("job", "j"), ("app", "a")], Some("a")),
            (&[("container", "c"), ("job", "j")], Some("c")),
            (&[("host", "h")], Some("unknown_service")),
            (&[], Some("unknown_service")),
            (&[("service_name", "mine"), ("app", "a")], Some("mine")),
            (&[("__aggregated_metric__", "x")], None),
        ];
        for (pairs, want) in table {
            let mut labels = set(pairs);
            discover_service_name(&mut labels, &priority());
            let got = labels
                .iter()
                .find(|l| l.name == "service_name")
                .map(|l| l.value.as_str());
            assert_eq!(got, *want, "{pairs:?}");
            assert!(labels.windows(2).all(|w| w[0].name <= w[1].name));
        }
        let mut labels = set(&[("app", "a")]);
        assert!(!discover_service_name(&mut labels, &[]));
        assert_eq!(labels.len(), 1);
    }

    fn detect(stream: &[(&str, &str)], metadata: &[(&str, &str)], line: &str) -> Vec<Label> {
        let d = detector();
        let stream = set(stream);
        let level = d.stream_level(&stream);
        let mut md: Vec<RawLabel> = metadata
            .iter()
            .map(|(n, v)| RawLabel::new(*n, *v))
            .collect();
        let added = d.apply(level.as_ref(), &mut md, line, &mut Vec::new(), None);
        md.iter()
            .map(|l| Label::new(l.name.as_ref(), l.value.as_ref()))
            .chain(added.map(|v| Label::new(DETECTED_LEVEL, v.as_ref())))
            .collect()
    }

    #[test]
    fn detected_level_sources_in_priority() {
        let dl = |v: &str| Label::new(DETECTED_LEVEL, v);
        assert_eq!(
            detect(&[("level", "WARNING")], &[], "error"),
            vec![dl("warn")]
        );
        assert_eq!(
            detect(&[("level", "notice")], &[], "error"),
            vec![dl("notice")]
        );
        assert_eq!(
            detect(&[("severity", "err")], &[("level", "info")], "x"),
            vec![Label::new("level", "info"), dl("error")]
        );
        assert_eq!(
            detect(&[], &[("lvl", "DBG")], "error"),
            vec![Label::new("lvl", "DBG"), dl("debug")]
        );
        assert_eq!(
            detect(&[], &[("severity_number", "17")], "info"),
            vec![Label::new("severity_number", "17"), dl("error")]
        );
        assert_eq!(
            detect(&[], &[("severity_number", "x")], "error"),
            vec![Label::new("severity_number", "x"), dl("info")]
        );
        assert_eq!(detect(&[], &[], "level=fatal msg=x"), vec![dl("fatal")]);
        assert_eq!(detect(&[], &[], "plain text"), vec![dl("unknown")]);
        assert_eq!(
            detect(&[("level", "error")], &[("detected_level", "WARNING")], "x"),
            vec![dl("warn")]
        );
        assert_eq!(
            detect(&[], &[("detected_level", "custom")], "error"),
            vec![dl("custom")]
        );
        assert_eq!(
            detect(&[], &[("level", "")], "error"),
            vec![Label::new("level", "")]
        );
    }

    #[test]
    fn otlp_numbers() {
        let table = [
            ("0", "unknown"),
            ("1", "trace"),
            ("4", "trace"),
            ("5", "debug"),
            ("9", "info"),
            ("13", "warn"),
            ("17", "error"),
            ("21", "fatal"),
            ("25", "unknown"),
            ("-3", "trace"),
            ("1.5", "info"),
        ];
        for (n, want) in table {
            assert_eq!(otlp_level(n), want, "{n}");
        }
    }
}

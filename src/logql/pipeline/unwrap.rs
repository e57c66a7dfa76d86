//! `| unwrap [conv(]label[)]` and the label filters after it (logql.md §4.1):
//! turns an entry into a sample value.
//!
//! A missing or empty label gives no sample. A value that does not convert
//! gives 0 with `SampleExtractionErr` (overwriting an earlier error) unless
//! a post-unwrap filter drops the entry. Conversions: plain =
//! `strconv.ParseFloat`; `duration` / `duration_seconds` = Go durations in
//! seconds; `bytes` = humanize bytes.

use crate::logql::ast::{Unwrap, UnwrapConversion};
use crate::logql::duration::{parse_bytes, parse_go_duration};
use crate::logql::number::parse_go_float;

use super::label_filter::LabelFilterStage;
use super::labels::LabelsBuilder;

/// Error label value of a failed conversion.
pub const SAMPLE_EXTRACTION_ERR: &str = "SampleExtractionErr";

/// A compiled `unwrap` with its post filters.
#[derive(Clone, Debug)]
pub struct UnwrapStage {
    label: String,
    conversion: UnwrapConversion,
    post: Vec<LabelFilterStage>,
}

/// Go's `Duration.Seconds()`.
fn seconds(ns: i64) -> f64 {
    let sec = ns / 1_000_000_000;
    let nsec = ns % 1_000_000_000;
    sec as f64 + nsec as f64 / 1e9
}

impl UnwrapStage {
    /// Compiles the stage.
    pub fn new(u: &Unwrap) -> UnwrapStage {
        UnwrapStage {
            label: u.label.clone(),
            conversion: u.conversion,
            post: u.post_filters.iter().map(LabelFilterStage::new).collect(),
        }
    }

    /// The label whose value becomes the sample (removed from the series).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The label names the post filters read.
    pub fn label_names(&self, out: &mut Vec<String>) {
        out.push(self.label.clone());
        for f in &self.post {
            f.label_names(out);
        }
    }

    /// The sample value of the entry, or None when it gives no sample.
    pub fn extract(&self, lbs: &mut LabelsBuilder) -> Option<f64> {
        let raw = lbs.get(&self.label).unwrap_or("");
        if raw.is_empty() {
            return None;
        }
        let converted = match self.conversion {
            UnwrapConversion::Plain => parse_go_float(raw),
            UnwrapConversion::Duration | UnwrapConversion::DurationSeconds => {
                parse_go_duration(raw).map(seconds)
            }
            UnwrapConversion::Bytes => parse_bytes(raw).map(|b| b as f64),
        };
        let value = match converted {
            Ok(v) => v,
            Err(details) => {
                lbs.set_error_with_details(SAMPLE_EXTRACTION_ERR, &details);
                0.0
            }
        };
        for f in &self.post {
            if !f.process(lbs) {
                return None;
            }
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ast::LabelFilterExpr;
    use crate::model::{Labels, MatchOp, Matcher};
    use std::sync::Arc;

    fn unwrap(
        label: &str,
        conversion: UnwrapConversion,
        post: Vec<LabelFilterExpr>,
    ) -> UnwrapStage {
        UnwrapStage::new(&Unwrap {
            label: label.into(),
            conversion,
            post_filters: post,
        })
    }

    fn run(u: &UnwrapStage, parsed: &[(&str, &str)]) -> (Option<f64>, String, String) {
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs([("app", "web")])));
        b.reset(&[]);
        for (n, v) in parsed {
            b.set_parsed(n, v);
        }
        let v = u.extract(&mut b);
        (v, b.error().to_string(), b.error_details().to_string())
    }

    #[test]
    fn conversions() {
        let plain = unwrap("v", UnwrapConversion::Plain, vec![]);
        let dur = unwrap("v", UnwrapConversion::Duration, vec![]);
        let bytes = unwrap("v", UnwrapConversion::Bytes, vec![]);
        let ok = |v| (Some(v), String::new(), String::new());
        assert_eq!(run(&plain, &[("v", "14695639")]), ok(14695639.0));
        assert_eq!(run(&plain, &[("v", "1.5")]), ok(1.5));
        assert_eq!(run(&dur, &[("v", "1.5s")]), ok(1.5));
        assert_eq!(run(&dur, &[("v", "100ms")]), ok(0.1));
        assert_eq!(run(&bytes, &[("v", "5 MiB")]), ok(5.0 * 1024.0 * 1024.0));
        assert_eq!(run(&bytes, &[("v", "45205")]), ok(45205.0));
        assert_eq!(run(&plain, &[]), (None, String::new(), String::new()));
        assert_eq!(
            run(&plain, &[("v", "")]),
            (None, String::new(), String::new())
        );
        assert_eq!(
            run(&dur, &[("v", "oops")]),
            (
                Some(0.0),
                "SampleExtractionErr".into(),
                r#"time: invalid duration "oops""#.into()
            )
        );
        assert_eq!(
            run(&plain, &[("v", "12ms")]),
            (
                Some(0.0),
                "SampleExtractionErr".into(),
                r#"strconv.ParseFloat: parsing "12ms": invalid syntax"#.into()
            )
        );
    }

    #[test]
    fn post_filters_see_the_conversion_error() {
        let clean = LabelFilterExpr::Matcher(Matcher::new("__error__", MatchOp::Eq, "").unwrap());
        let u = unwrap("v", UnwrapConversion::Duration, vec![clean]);
        assert_eq!(run(&u, &[("v", "oops")]).0, None);
        assert_eq!(run(&u, &[("v", "2s")]).0, Some(2.0));
        let other = LabelFilterExpr::Matcher(
            Matcher::new("__error__", MatchOp::Neq, "SampleExtractionErr").unwrap(),
        );
        let u = unwrap("v", UnwrapConversion::Plain, vec![other]);
        assert_eq!(run(&u, &[("v", "x")]).0, None);
    }
}

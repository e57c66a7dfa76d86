//! Deciding a whole stream of a metric query from what is known about the
//! top-level fields of its lines, without reading them.
//!
//! It applies to a range whose pipeline is `| json` followed by numeric
//! label filters (and `__error__=""`), whose sample is a count or the line
//! length, and whose labels are reduced to a `by` grouping (or none), and
//! to log queries with such a pipeline (which skip streams). When
//! every line of a stream is a flat JSON object the parser reads without
//! error, the facts per field (lines holding it, range of its numeric
//! values, whether some value is not a number) can show that no line
//! passes the filters, or that every line passes with the labels the
//! stream alone gives: the stream is then skipped, or counted from block
//! totals like a range without stages.

use super::labels::sanitize_into;
use super::{Pipeline, SampleExtractor, SampleKind};
use crate::logql::ast::{self, CmpOp, LabelFilterExpr};
use crate::model::{Labels, MatchOp};

/// What is known about one top-level field of a stream's lines.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldFacts {
    /// Lines holding the field.
    pub lines: u32,
    /// Smallest and largest numeric value (as `strconv.ParseFloat` reads
    /// them), when there is one.
    pub numbers: Option<(f64, f64)>,
    /// Some value is not a number (a string, `true`, `false`, `null`, or
    /// out of range).
    pub other: bool,
}

/// The outcome for a whole stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No line gives a sample.
    NoLine,
    /// Every line gives a sample, with the labels of [`FieldPlan::stageless`].
    EveryLine,
    /// The lines must be read.
    Read,
}

/// A filter condition over parsed labels.
#[derive(Clone, Debug)]
enum Cond {
    /// Always true (`__error__=""` when no line has an error).
    True,
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    /// `name op value`, numeric.
    Cmp(String, CmpOp, f64),
}

/// Three-valued truth of a condition over every line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Truth {
    Always,
    Never,
    Sometimes,
}

/// How a pipeline's streams can be decided from their field facts.
#[derive(Clone, Debug)]
pub struct FieldPlan {
    cond: Cond,
    /// Labels the filters read.
    filtered: Vec<String>,
    /// Labels the samples keep.
    kept: Vec<String>,
    /// For a range: the extractor of lines that all pass.
    stageless: Option<SampleExtractor>,
}

/// The condition of a pipeline that is `| json` followed by label filters
/// the plan understands.
fn json_filters(stages: &[ast::Stage]) -> Option<Cond> {
    let (first, rest) = stages.split_first()?;
    if !matches!(first, ast::Stage::Json(j) if j.extractions.is_empty()) {
        return None;
    }
    let mut cond = Cond::True;
    for s in rest {
        let ast::Stage::LabelFilter(e) = s else {
            return None;
        };
        cond = Cond::And(Box::new(cond), Box::new(Cond::new(e)?));
    }
    Some(cond)
}

impl FieldPlan {
    fn new(cond: Cond, kept: Vec<String>, stageless: Option<SampleExtractor>) -> FieldPlan {
        let mut filtered = Vec::new();
        cond.names(&mut filtered);
        FieldPlan {
            cond,
            filtered,
            kept,
            stageless,
        }
    }
}

impl Pipeline {
    /// The plan telling which streams no line of which passes (for a log
    /// query, which reads the lines of every other stream).
    pub fn field_plan(&self) -> Option<FieldPlan> {
        if self.decolorize.is_some() {
            return None;
        }
        Some(FieldPlan::new(
            json_filters(&self.stages)?,
            Vec::new(),
            None,
        ))
    }
}

impl Cond {
    fn new(e: &LabelFilterExpr) -> Option<Cond> {
        Some(match e {
            LabelFilterExpr::And(a, b) => {
                Cond::And(Box::new(Cond::new(a)?), Box::new(Cond::new(b)?))
            }
            LabelFilterExpr::Or(a, b) => Cond::Or(Box::new(Cond::new(a)?), Box::new(Cond::new(b)?)),
            LabelFilterExpr::Number { name, op, value } if !value.is_nan() => {
                Cond::Cmp(name.clone(), *op, *value)
            }
            LabelFilterExpr::Matcher(m)
                if m.name == super::ERROR_LABEL && m.op == MatchOp::Eq && m.value.is_empty() =>
            {
                Cond::True
            }
            _ => return None,
        })
    }

    fn names(&self, out: &mut Vec<String>) {
        match self {
            Cond::True => {}
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.names(out);
                b.names(out);
            }
            Cond::Cmp(n, ..) => out.push(n.clone()),
        }
    }

    fn truth(&self, lines: u32, field: &dyn Fn(&str) -> Option<Option<FieldFacts>>) -> Truth {
        match self {
            Cond::True => Truth::Always,
            // Both sides run; a side that never passes drops the line
            // whatever the other one recorded.
            Cond::And(a, b) => match (a.truth(lines, field), b.truth(lines, field)) {
                (Truth::Never, _) | (_, Truth::Never) => Truth::Never,
                (Truth::Always, Truth::Always) => Truth::Always,
                _ => Truth::Sometimes,
            },
            Cond::Or(a, b) => match (a.truth(lines, field), b.truth(lines, field)) {
                (Truth::Always, _) | (_, Truth::Always) => Truth::Always,
                (Truth::Never, Truth::Never) => Truth::Never,
                _ => Truth::Sometimes,
            },
            Cond::Cmp(name, op, v) => match field(name) {
                // No line has the label: numeric filters drop it.
                Some(None) => Truth::Never,
                Some(Some(f)) if !f.other => {
                    let Some((lo, hi)) = f.numbers else {
                        return Truth::Never;
                    };
                    let (all, none) = bounds_truth(*op, *v, lo, hi);
                    if none {
                        Truth::Never
                    } else if all && f.lines == lines {
                        Truth::Always
                    } else {
                        Truth::Sometimes
                    }
                }
                // A value that does not convert records an error.
                _ => Truth::Sometimes,
            },
        }
    }
}

/// For values in `[lo, hi]` compared with `v`: (all pass, none pass).
fn bounds_truth(op: CmpOp, v: f64, lo: f64, hi: f64) -> (bool, bool) {
    match op {
        CmpOp::Gt => (lo > v, hi <= v),
        CmpOp::Gte => (lo >= v, hi < v),
        CmpOp::Lt => (hi < v, lo >= v),
        CmpOp::Lte => (hi <= v, lo > v),
        CmpOp::Eq => (lo == v && hi == v, v < lo || v > hi),
        CmpOp::Neq => (v < lo || v > hi, lo == v && hi == v),
    }
}

impl SampleExtractor {
    /// The plan deciding streams of this range from field facts, when its
    /// shape allows one (see the module documentation).
    pub fn field_plan(&self) -> Option<FieldPlan> {
        if self.kind == SampleKind::Unwrap || self.pipeline.decolorize.is_some() {
            return None;
        }
        let kept = match &self.grouping {
            _ if self.no_labels => Vec::new(),
            Some(g) if !g.without => g.labels.clone(),
            _ => return None,
        };
        let cond = json_filters(&self.pipeline.stages)?;
        let stageless = SampleExtractor {
            pipeline: Pipeline::new(&[]),
            kind: self.kind,
            unwrap: None,
            grouping: self.grouping.clone(),
            no_labels: self.no_labels,
        };
        Some(FieldPlan::new(cond, kept, Some(stageless)))
    }
}

impl FieldPlan {
    /// For a range, the extractor of lines that all pass: the range
    /// without stages.
    pub fn stageless(&self) -> Option<&SampleExtractor> {
        self.stageless.as_ref()
    }

    /// The verdict for a stream with labels `stream`, whose lines carry
    /// the structured metadata names `metadata` (a superset will do), and
    /// all `lines` of which are flat JSON objects the parser reads without
    /// error, with `fields` (raw keys and their facts).
    pub fn verdict(
        &self,
        stream: &Labels,
        metadata: &[String],
        lines: u32,
        fields: &[(&str, FieldFacts)],
    ) -> Verdict {
        let mut sanitized = String::new();
        // The label name each key is extracted as.
        let names: Vec<String> = fields
            .iter()
            .map(|(k, _)| {
                sanitize_into(&mut sanitized, k);
                sanitized.clone()
            })
            .collect();
        let taken = |n: &str| names.iter().any(|m| m == n);
        // A filtered label must come from the line alone; a kept label
        // from the stream alone (a key named like a stream label is
        // extracted with the `_extracted` suffix, so it cannot change it).
        let filtered_ok = self.filtered.iter().all(|n| {
            stream.get(n).is_none()
                && !metadata.iter().any(|m| m == n)
                && !n.ends_with(super::labels::EXTRACTED_SUFFIX)
        });
        let kept_ok = self
            .kept
            .iter()
            .all(|n| stream.get(n).is_some() || !taken(n));
        // A key named like an error label is not something to reason about.
        let error_named = taken(super::ERROR_LABEL) || taken(super::ERROR_DETAILS_LABEL);
        if !filtered_ok || !kept_ok || error_named {
            return Verdict::Read;
        }
        let field = |name: &str| -> Option<Option<FieldFacts>> {
            let mut found = names.iter().zip(fields).filter(|(n, _)| *n == name);
            match (found.next(), found.next()) {
                (None, _) => Some(None),
                (Some((_, (_, f))), None) => Some(Some(*f)),
                // Two keys give the label: the first in each line wins.
                (Some(_), Some(_)) => None,
            }
        };
        match self.cond.truth(lines, &field) {
            Truth::Always => Verdict::EveryLine,
            Truth::Never => Verdict::NoLine,
            Truth::Sometimes => Verdict::Read,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ast::{Expr, MetricExpr};
    use crate::logql::parse_expr;

    fn plan(query: &str) -> Option<FieldPlan> {
        let Ok(Expr::Metric(m)) = parse_expr(query) else {
            panic!("not a metric query: {query}");
        };
        let (agg, op, grouping) = match &m {
            MetricExpr::VectorAgg(v) => match v.inner.as_ref() {
                MetricExpr::RangeAgg(r) => (r.clone(), Some(v.op), v.grouping.clone()),
                _ => panic!("{query}"),
            },
            MetricExpr::RangeAgg(r) => (r.clone(), None, None),
            _ => panic!("{query}"),
        };
        let ex = match op {
            Some(op) => SampleExtractor::for_vector_aggregation(&agg, op, grouping.as_ref()),
            None => SampleExtractor::new(&agg),
        };
        ex.field_plan()
    }

    fn facts(lines: u32, lo: f64, hi: f64, other: bool) -> FieldFacts {
        FieldFacts {
            lines,
            numbers: Some((lo, hi)),
            other,
        }
    }

    const RATE: &str =
        r#"sum by (service) (rate({job="t"} | json | DownstreamStatus >= 500 [5m]))"#;

    fn stream() -> Labels {
        Labels::from_pairs([("job", "t"), ("service", "a")])
    }

    #[test]
    fn only_json_with_numeric_filters_and_by_grouping_has_a_plan() {
        assert!(plan(RATE).is_some());
        for q in [
            r#"sum(count_over_time({job="t"} | json | a > 1 and b < 2 or c == 3 [1m]))"#,
            r#"sum by (x) (bytes_over_time({job="t"} | json | __error__="" | a > 1 [1m]))"#,
        ] {
            assert!(plan(q).is_some(), "{q}");
        }
        for q in [
            r#"rate({job="t"} | json | a > 1 [1m])"#,
            r#"sum without (x) (rate({job="t"} | json | a > 1 [1m]))"#,
            r#"sum by (x) (rate({job="t"} | logfmt | a > 1 [1m]))"#,
            r#"sum by (x) (rate({job="t"} | json a="b" | a > 1 [1m]))"#,
            r#"sum by (x) (rate({job="t"} |= "x" | json | a > 1 [1m]))"#,
            r#"sum by (x) (rate({job="t"} | json | a = "1" [1m]))"#,
            r#"sum by (x) (rate({job="t"} | json | a > 1s [1m]))"#,
            r#"sum by (x) (sum_over_time({job="t"} | json | unwrap a [1m]))"#,
            r#"max by (x) (rate({job="t"} | json | a > 1 [1m]))"#,
        ] {
            assert!(plan(q).is_none(), "{q}");
        }
    }

    #[test]
    fn log_pipelines_only_skip_streams() {
        let stages = |q: &str| match parse_expr(q) {
            Ok(Expr::Log(l)) => l.stages,
            other => panic!("{q}: {other:?}"),
        };
        let p = Pipeline::new(&stages(r#"{job="t"} | json | status >= 500"#))
            .field_plan()
            .expect("plan");
        assert!(p.stageless().is_none());
        let s = stream();
        let f = |lo, hi| [("status", facts(4, lo, hi, false))];
        assert_eq!(p.verdict(&s, &[], 4, &f(200.0, 404.0)), Verdict::NoLine);
        assert_eq!(p.verdict(&s, &[], 4, &f(500.0, 504.0)), Verdict::EveryLine);
        for q in [
            r#"{job="t"} | json | status >= 500 | line_format "x""#,
            r#"{job="t"} | logfmt | status >= 500"#,
            r#"{job="t"} | json | decolorize"#,
        ] {
            assert!(Pipeline::new(&stages(q)).field_plan().is_none(), "{q}");
        }
    }

    #[test]
    fn numeric_ranges_decide_streams() {
        let p = plan(RATE).expect("plan");
        let s = stream();
        let v = |lo, hi, lines, other| {
            p.verdict(
                &s,
                &[],
                10,
                &[("DownstreamStatus", facts(lines, lo, hi, other))],
            )
        };
        assert_eq!(v(500.0, 599.0, 10, false), Verdict::EveryLine);
        assert_eq!(
            v(500.0, 599.0, 9, false),
            Verdict::Read,
            "a line without it is dropped"
        );
        assert_eq!(v(200.0, 499.0, 9, false), Verdict::NoLine);
        assert_eq!(v(200.0, 500.0, 10, false), Verdict::Read);
        assert_eq!(v(200.0, 499.0, 10, true), Verdict::Read, "a string errors");
        assert_eq!(
            p.verdict(&s, &[], 10, &[("other", facts(10, 1.0, 1.0, false))]),
            Verdict::NoLine
        );
    }

    #[test]
    fn labels_from_elsewhere_force_a_read() {
        let p = plan(RATE).expect("plan");
        let all = [("DownstreamStatus", facts(10, 503.0, 503.0, false))];
        let with = |name: &str| Labels::from_pairs([("job", "t"), ("service", "a"), (name, "1")]);
        assert_eq!(
            p.verdict(&with("DownstreamStatus"), &[], 10, &all),
            Verdict::Read
        );
        assert_eq!(
            p.verdict(&stream(), &["DownstreamStatus".to_string()], 10, &all),
            Verdict::Read
        );
        let odd = [all[0], ("__error__", facts(10, 1.0, 1.0, false))];
        assert_eq!(p.verdict(&stream(), &[], 10, &odd), Verdict::Read);
        let no_service = Labels::from_pairs([("job", "t")]);
        assert_eq!(p.verdict(&no_service, &[], 10, &all), Verdict::EveryLine);
        let keyed = [all[0], ("service", facts(10, 1.0, 1.0, false))];
        assert_eq!(p.verdict(&no_service, &[], 10, &keyed), Verdict::Read);
        assert_eq!(p.verdict(&stream(), &[], 10, &keyed), Verdict::EveryLine);
        let twice = [
            ("Downstream_Status", facts(10, 2.0, 2.0, false)),
            ("Downstream.Status", facts(10, 2.0, 2.0, false)),
        ];
        let p2 = plan(r#"sum(rate({job="t"} | json | Downstream_Status > 1 [1m]))"#).expect("p");
        assert_eq!(p2.verdict(&stream(), &[], 10, &twice), Verdict::Read);
        assert_eq!(
            p2.verdict(&stream(), &[], 10, &twice[1..]),
            Verdict::EveryLine
        );
    }

    #[test]
    fn and_or_follow_the_filters() {
        let p =
            plan(r#"sum(rate({job="t"} | json | a > 1 and b < 5 or c == 7 [1m]))"#).expect("plan");
        let s = stream();
        let f = |a: f64, b: f64, c: f64| {
            [
                ("a", facts(4, a, a, false)),
                ("b", facts(4, b, b, false)),
                ("c", facts(4, c, c, false)),
            ]
        };
        assert_eq!(p.verdict(&s, &[], 4, &f(2.0, 1.0, 0.0)), Verdict::EveryLine);
        assert_eq!(p.verdict(&s, &[], 4, &f(0.0, 1.0, 0.0)), Verdict::NoLine);
        assert_eq!(p.verdict(&s, &[], 4, &f(0.0, 1.0, 7.0)), Verdict::EveryLine);
        assert_eq!(p.verdict(&s, &[], 4, &f(2.0, 9.0, 0.0)), Verdict::NoLine);
    }
}

//! Errors of metric evaluation, worded like Loki's so clients and the
//! conformance suite see the same text.

use std::fmt;

use crate::model::Labels;

/// Loki's `max_query_series` default: the most series a result may hold.
pub const DEFAULT_MAX_SERIES: usize = 500;

/// The most points per series a range query may ask for (Loki's fixed limit).
pub const MAX_POINTS_PER_SERIES: i64 = 11_000;

/// Why a metric query failed.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// A sample inside an evaluated window still carries `__error__`
    /// (the pipeline failed and the query did not filter the error out).
    Pipeline {
        /// The `__error__` value, e.g. `JSONParserErr`.
        error: String,
        /// The full label set of the failing series.
        labels: Labels,
    },
    /// The result would hold more series than allowed.
    SeriesLimit(usize),
    /// `step` is zero or negative on a range query.
    NonPositiveStep,
    /// `(end - start) / step` exceeds [`MAX_POINTS_PER_SERIES`].
    TooManyPoints,
    /// Vector matching: the "one" side of a binary operation has two series
    /// with the same matching labels.
    ManyToMany {
        /// `"right"`, or `"left"` for `group_right`.
        side: &'static str,
    },
    /// Vector matching: several left series matched one right series without
    /// `group_left` / `group_right`.
    ManyToOneNotExplicit,
    /// Vector matching with a group modifier produced two identical series.
    GroupingNotUnique,
    /// The query deadline passed.
    Timeout,
    /// The sample source failed (I/O, corrupt data, broken contract).
    Source(String),
    /// An expression the evaluator cannot run (the parser should have
    /// rejected it), e.g. a bare literal inside an aggregation.
    Unsupported(String),
}

impl EvalError {
    /// The HTTP status Loki answers with for this error: 400 for query and
    /// limit errors, 504 for a timeout, 500 for everything Loki treats as an
    /// internal failure (vector-matching conflicts included).
    pub fn http_status(&self) -> u16 {
        match self {
            EvalError::Pipeline { .. }
            | EvalError::SeriesLimit(_)
            | EvalError::NonPositiveStep
            | EvalError::TooManyPoints
            | EvalError::Unsupported(_) => 400,
            EvalError::Timeout => 504,
            EvalError::ManyToMany { .. }
            | EvalError::ManyToOneNotExplicit
            | EvalError::GroupingNotUnique
            | EvalError::Source(_) => 500,
        }
    }

    /// Builds the pipeline error for a series whose labels carry `__error__`.
    pub(crate) fn pipeline(labels: &Labels) -> Self {
        EvalError::Pipeline {
            error: labels.get(ERROR_LABEL).unwrap_or_default().to_string(),
            labels: labels.clone(),
        }
    }
}

/// The label the pipeline sets when a stage fails.
pub(crate) const ERROR_LABEL: &str = "__error__";

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Pipeline { error, labels } => write!(
                f,
                "pipeline error: '{error}' for series: '{labels}'.\n\
                 Use a label filter to intentionally skip this error. (e.g | __error__!=\"{error}\").\n\
                 To skip all potential errors you can match empty errors.(e.g __error__=\"\")\n\
                 The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )\n"
            ),
            EvalError::SeriesLimit(n) => write!(
                f,
                "maximum number of series ({n}) reached for a single query; consider reducing query \
                 cardinality by adding more specific stream selectors, reducing the time range, or \
                 aggregating results with functions like sum(), count() or topk()"
            ),
            EvalError::NonPositiveStep => f.write_str(
                "zero or negative query resolution step widths are not accepted. Try a positive integer",
            ),
            EvalError::TooManyPoints => f.write_str(
                "exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter",
            ),
            EvalError::ManyToMany { side } => write!(
                f,
                "found duplicate series on the {side} hand-side;many-to-many matching not allowed: \
                 matching labels must be unique on one side"
            ),
            EvalError::ManyToOneNotExplicit => f.write_str(
                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
            ),
            EvalError::GroupingNotUnique => {
                f.write_str("multiple matches for labels: grouping labels must ensure unique matches")
            }
            EvalError::Timeout => f.write_str(
                "request timed out, decrease the duration of the request or add more label matchers \
                 (prefer exact match over regex match) to reduce the amount of data processed",
            ),
            EvalError::Source(msg) => write!(f, "reading samples: {msg}"),
            EvalError::Unsupported(msg) => write!(f, "unsupported expression: {msg}"),
        }
    }
}

impl std::error::Error for EvalError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_error_text_is_lokis() {
        let l = Labels::from_pairs([("__error__", "JSONParserErr"), ("app", "a")]);
        let e = EvalError::pipeline(&l);
        assert_eq!(
            e.to_string(),
            "pipeline error: 'JSONParserErr' for series: '{__error__=\"JSONParserErr\", app=\"a\"}'.\n\
             Use a label filter to intentionally skip this error. (e.g | __error__!=\"JSONParserErr\").\n\
             To skip all potential errors you can match empty errors.(e.g __error__=\"\")\n\
             The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )\n"
        );
        assert_eq!(e.http_status(), 400);
    }

    #[test]
    fn limit_and_matching_texts() {
        assert_eq!(
            EvalError::SeriesLimit(500).to_string(),
            "maximum number of series (500) reached for a single query; consider reducing query cardinality \
             by adding more specific stream selectors, reducing the time range, or aggregating results with \
             functions like sum(), count() or topk()"
        );
        assert_eq!(
            EvalError::ManyToMany { side: "right" }.to_string(),
            "found duplicate series on the right hand-side;many-to-many matching not allowed: matching labels \
             must be unique on one side"
        );
        assert_eq!(EvalError::Timeout.http_status(), 504);
        assert_eq!(EvalError::ManyToOneNotExplicit.http_status(), 500);
    }
}

//! The value of a metric query and the number formatting Loki's JSON uses.

use std::str::FromStr;
use std::sync::Arc;

use crate::model::Labels;

/// One point of a series: a timestamp in milliseconds and a value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Milliseconds since the epoch.
    pub t_ms: i64,
    /// The value.
    pub v: f64,
}

/// A series of a matrix result: its labels and its points, ascending by time.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The label set (`{}` for series without labels).
    pub labels: Arc<Labels>,
    /// Points in ascending time; only steps that had a value.
    pub points: Vec<Point>,
}

/// One element of a vector result.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The label set.
    pub labels: Arc<Labels>,
    /// Milliseconds since the epoch (the query time).
    pub t_ms: i64,
    /// The value.
    pub v: f64,
}

/// The result of a metric query.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryValue {
    /// Range query: series sorted by labels.
    Matrix(Vec<Series>),
    /// Instant query: samples sorted by labels, or in the order `sort` /
    /// `sort_desc` produced when the query contains one of them.
    Vector(Vec<Sample>),
    /// Instant query of a literal-only expression (`1 + 1`).
    Scalar {
        /// Milliseconds since the epoch (the query time).
        t_ms: i64,
        /// The value.
        v: f64,
    },
}

impl QueryValue {
    /// Loki's `resultType` for this value.
    pub fn result_type(&self) -> &'static str {
        match self {
            QueryValue::Matrix(_) => "matrix",
            QueryValue::Vector(_) => "vector",
            QueryValue::Scalar { .. } => "scalar",
        }
    }
}

/// Formats a sample value like Go's `strconv.FormatFloat(v, 'f', -1, 64)`
/// (shortest digits that round-trip, never an exponent), with Prometheus'
/// spellings `NaN`, `+Inf` and `-Inf`.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v == f64::INFINITY {
        "+Inf".to_string()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_string()
    } else {
        // Rust's Display for f64 prints the shortest round-trip digits in
        // positional notation, which is exactly Go's 'f' with precision -1.
        format!("{v}")
    }
}

/// Formats a millisecond timestamp as Prometheus' `model.Time` does: seconds
/// with up to three decimals and no trailing zeros (`1700000000`,
/// `1700000000.5`, `1700000000.123`). The text is a valid JSON number.
pub fn format_time(t_ms: i64) -> String {
    format!("{}", t_ms as f64 / 1000.0)
}

/// [`format_time`] as a JSON number, for building responses with `serde_json`.
pub fn time_json(t_ms: i64) -> serde_json::Number {
    serde_json::Number::from_str(&format_time(t_ms)).unwrap_or_else(|_| (t_ms / 1000).into())
}

/// The timestamp Loki 3.7's query frontend prints for the `scalar` result of
/// an instant query (`/loki/api/v1/query?query=1+1`): it reads the scalar's
/// millisecond time as seconds, converts it to nanoseconds with int64
/// overflow, divides by 10^6 and prints that integer as the "seconds". For
/// the time 1768185000 s this yields `-2702431076116` (observed in the
/// conformance answers). Matrix and vector results do not have this quirk.
pub fn scalar_instant_time_json(t_ms: i64) -> serde_json::Number {
    serde_json::Number::from(t_ms.wrapping_mul(1_000_000_000) / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_format_like_go() {
        let cases: &[(f64, &str)] = &[
            (2.0, "2"),
            (0.25, "0.25"),
            (1.0 / 300.0, "0.0033333333333333335"),
            (1e21, "1000000000000000000000"),
            (1e-7, "0.0000001"),
            (-1.5, "-1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (-0.0, "-0"),
            (56970981.677777775, "56970981.677777775"),
        ];
        for (v, want) in cases {
            assert_eq!(format_value(*v), *want, "{v}");
        }
    }

    #[test]
    fn times_format_like_prometheus() {
        assert_eq!(format_time(1_700_000_000_000), "1700000000");
        assert_eq!(format_time(1_700_000_000_500), "1700000000.5");
        assert_eq!(format_time(1_700_000_000_123), "1700000000.123");
        assert_eq!(format_time(-1_500), "-1.5");
        assert_eq!(
            serde_json::to_string(&time_json(1_700_000_000_000)).unwrap(),
            "1700000000"
        );
        assert_eq!(
            serde_json::to_string(&time_json(1_700_000_060_500)).unwrap(),
            "1700000060.5"
        );
        assert_eq!(
            serde_json::to_string(&time_json(1_700_000_000_123)).unwrap(),
            "1700000000.123"
        );
    }

    #[test]
    fn scalar_time_reproduces_the_frontend_overflow() {
        assert_eq!(
            serde_json::to_string(&scalar_instant_time_json(1_768_185_000_000)).unwrap(),
            "-2702431076116"
        );
    }
}

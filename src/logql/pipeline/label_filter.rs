//! Label filter expressions (logql.md §3.6).
//!
//! * String matchers compare the label value ("" when missing); only they see
//!   `__error__`. (`__error_details__` is not a label to them: it reads "".)
//!   Their regexes get Loki's literal simplification (see `label_regex`).
//! * Number, duration and bytes comparisons drop an entry whose label is
//!   missing, and keep an entry whose value does not convert, recording
//!   `LabelFilterErr` only when the entry has no error yet.
//! * `ip()` filters keep entries that already carry an error.
//! * `and` evaluates both sides; `or` stops when the left side keeps the entry.

use crate::logql::ast::{CmpOp, IpPattern, LabelFilterExpr};
use crate::logql::duration::{parse_bytes, parse_go_duration};
use crate::logql::number::parse_go_float;
use crate::model::MatchOp;

use super::label_regex::LabelRegex;
use super::labels::{LabelsBuilder, ERROR_LABEL};
use super::line_filter::contains_ip_in;

/// Error label value of a failed label filter conversion.
pub const LABEL_FILTER_ERR: &str = "LabelFilterErr";

/// A compiled label filter expression.
#[derive(Clone, Debug)]
pub enum LabelFilterStage {
    /// Both sides.
    And(Box<LabelFilterStage>, Box<LabelFilterStage>),
    /// Either side, left first.
    Or(Box<LabelFilterStage>, Box<LabelFilterStage>),
    /// String comparison: name, and the test of the value.
    Matcher(String, StringTest),
    /// Numeric comparison.
    Number(String, CmpOp, f64),
    /// Duration comparison (ns).
    Duration(String, CmpOp, i64),
    /// Bytes comparison.
    Bytes(String, CmpOp, u64),
    /// `name = ip(...)` / `name != ip(...)`.
    Ip(String, bool, IpPattern),
}

/// The value test of a string label filter.
#[derive(Clone, Debug)]
pub enum StringTest {
    /// `=`
    Equal(String),
    /// `!=`
    NotEqual(String),
    /// `=~`
    Regex(LabelRegex),
    /// `!~`
    NotRegex(LabelRegex),
}

impl StringTest {
    fn matches(&self, v: &str) -> bool {
        match self {
            StringTest::Equal(s) => v == s,
            StringTest::NotEqual(s) => v != s,
            StringTest::Regex(r) => r.matches(v),
            StringTest::NotRegex(r) => !r.matches(v),
        }
    }
}

fn cmp<T: PartialOrd>(op: CmpOp, a: T, b: T) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Neq => a != b,
        CmpOp::Gt => a > b,
        CmpOp::Gte => a >= b,
        CmpOp::Lt => a < b,
        CmpOp::Lte => a <= b,
    }
}

impl LabelFilterStage {
    /// Compiles an expression of the AST.
    pub fn new(e: &LabelFilterExpr) -> LabelFilterStage {
        match e {
            LabelFilterExpr::And(a, b) => {
                LabelFilterStage::And(Box::new(Self::new(a)), Box::new(Self::new(b)))
            }
            LabelFilterExpr::Or(a, b) => {
                LabelFilterStage::Or(Box::new(Self::new(a)), Box::new(Self::new(b)))
            }
            LabelFilterExpr::Matcher(m) => {
                let test = match m.op {
                    MatchOp::Eq => StringTest::Equal(m.value.clone()),
                    MatchOp::Neq => StringTest::NotEqual(m.value.clone()),
                    MatchOp::Re => StringTest::Regex(LabelRegex::new(&m.value)),
                    MatchOp::Nre => StringTest::NotRegex(LabelRegex::new(&m.value)),
                };
                LabelFilterStage::Matcher(m.name.clone(), test)
            }
            LabelFilterExpr::Number { name, op, value } => {
                LabelFilterStage::Number(name.clone(), *op, *value)
            }
            LabelFilterExpr::Duration { name, op, value } => {
                LabelFilterStage::Duration(name.clone(), *op, *value)
            }
            LabelFilterExpr::Bytes { name, op, value } => {
                LabelFilterStage::Bytes(name.clone(), *op, *value)
            }
            LabelFilterExpr::Ip { name, negate, ip } => {
                LabelFilterStage::Ip(name.clone(), *negate, ip.pattern)
            }
        }
    }

    /// The label names the expression reads.
    pub fn label_names(&self, out: &mut Vec<String>) {
        match self {
            LabelFilterStage::And(a, b) | LabelFilterStage::Or(a, b) => {
                a.label_names(out);
                b.label_names(out);
            }
            LabelFilterStage::Matcher(n, _) => out.push(n.clone()),
            LabelFilterStage::Number(n, ..)
            | LabelFilterStage::Duration(n, ..)
            | LabelFilterStage::Bytes(n, ..)
            | LabelFilterStage::Ip(n, ..) => out.push(n.clone()),
        }
    }

    /// Whether the entry is kept; may record `LabelFilterErr`.
    pub fn process(&self, lbs: &mut LabelsBuilder) -> bool {
        match self {
            LabelFilterStage::And(a, b) => {
                let l = a.process(lbs);
                let r = b.process(lbs);
                l && r
            }
            LabelFilterStage::Or(a, b) => a.process(lbs) || b.process(lbs),
            LabelFilterStage::Matcher(name, test) => {
                if name == ERROR_LABEL {
                    test.matches(lbs.error())
                } else {
                    test.matches(lbs.get(name).unwrap_or(""))
                }
            }
            LabelFilterStage::Number(name, op, want) => convert(lbs, name, parse_go_float)
                .map_or(true, |v| v.is_some_and(|v| cmp(*op, v, *want))),
            LabelFilterStage::Duration(name, op, want) => convert(lbs, name, parse_go_duration)
                .map_or(true, |v| v.is_some_and(|v| cmp(*op, v, *want))),
            LabelFilterStage::Bytes(name, op, want) => convert(lbs, name, parse_bytes)
                .map_or(true, |v| v.is_some_and(|v| cmp(*op, v, *want))),
            LabelFilterStage::Ip(name, negate, pattern) => {
                if lbs.has_error() {
                    return true;
                }
                match lbs.get(name) {
                    None => false,
                    Some(v) => contains_ip_in(v.as_bytes(), pattern) != *negate,
                }
            }
        }
    }
}

/// Reads and converts a label: Ok(None) when missing (drop), Err(()) when
/// the conversion failed (keep; the error is recorded unless one exists).
fn convert<T>(
    lbs: &mut LabelsBuilder,
    name: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ()> {
    let parsed = match lbs.get(name) {
        None => return Ok(None),
        Some(v) => parse(v),
    };
    match parsed {
        Ok(v) => Ok(Some(v)),
        Err(details) => {
            if !lbs.has_error() {
                lbs.set_error_with_details(LABEL_FILTER_ERR, &details);
            }
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs = &'static [(&'static str, &'static str)];
    /// (filter, parsed labels, (kept, __error__, __error_details__))
    type FilterCase = (LabelFilterExpr, Pairs, (bool, &'static str, &'static str));
    use crate::logql::ast::IpMatcher;
    use crate::model::{Labels, Matcher};
    use std::sync::Arc;

    fn builder(parsed: &[(&str, &str)]) -> LabelsBuilder {
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs([
            ("app", "web"),
            ("empty", ""),
        ])));
        b.reset(&[]);
        for (n, v) in parsed {
            b.set_parsed(n, v);
        }
        b
    }

    fn m(name: &str, op: MatchOp, v: &str) -> LabelFilterExpr {
        LabelFilterExpr::Matcher(Matcher::new(name, op, v).unwrap())
    }

    fn num(name: &str, op: CmpOp, v: f64) -> LabelFilterExpr {
        LabelFilterExpr::Number {
            name: name.into(),
            op,
            value: v,
        }
    }

    fn and(a: LabelFilterExpr, b: LabelFilterExpr) -> LabelFilterExpr {
        LabelFilterExpr::And(Box::new(a), Box::new(b))
    }

    fn or(a: LabelFilterExpr, b: LabelFilterExpr) -> LabelFilterExpr {
        LabelFilterExpr::Or(Box::new(a), Box::new(b))
    }

    /// (kept, __error__, __error_details__)
    fn run(e: &LabelFilterExpr, b: &mut LabelsBuilder) -> (bool, String, String) {
        let kept = LabelFilterStage::new(e).process(b);
        (kept, b.error().to_string(), b.error_details().to_string())
    }

    #[test]
    fn string_matchers_treat_missing_as_empty() {
        let cases: &[(LabelFilterExpr, Pairs, bool)] = &[
            (
                m("level", MatchOp::Eq, "error"),
                &[("level", "error")],
                true,
            ),
            (m("level", MatchOp::Neq, "info"), &[], true),
            (m("level", MatchOp::Eq, ""), &[], true),
            (m("empty", MatchOp::Eq, ""), &[], true),
            (m("app", MatchOp::Re, "w.b"), &[], true),
            (m("app", MatchOp::Re, "w"), &[], false),
            (m("app", MatchOp::Re, "e.*"), &[], true),
            (m("app", MatchOp::Nre, "api|db"), &[], true),
            (m("msg", MatchOp::Eq, ""), &[("msg", "")], true),
        ];
        for (e, parsed, want) in cases {
            assert_eq!(run(e, &mut builder(parsed)).0, *want, "{e:?}");
        }
    }

    #[test]
    fn error_labels_for_string_filters() {
        let mut b = builder(&[]);
        assert!(run(&m("__error__", MatchOp::Eq, ""), &mut b).0);
        b.set_error_with_details("JSONParserErr", "details");
        assert!(!run(&m("__error__", MatchOp::Eq, ""), &mut b).0);
        assert!(run(&m("__error__", MatchOp::Eq, "JSONParserErr"), &mut b).0);
        assert!(run(&m("__error__", MatchOp::Neq, ""), &mut b).0);
        // details are not visible to label filters
        assert!(run(&m("__error_details__", MatchOp::Eq, ""), &mut b).0);
        assert!(!run(&num("__error__", CmpOp::Gt, 0.0), &mut b).0);
    }

    #[test]
    fn numeric_filters_drop_missing_and_keep_bad_values() {
        let cases: &[FilterCase] = &[
            (
                num("status", CmpOp::Gte, 500.0),
                &[("status", "503")],
                (true, "", ""),
            ),
            (
                num("status", CmpOp::Gte, 500.0),
                &[("status", "200")],
                (false, "", ""),
            ),
            (num("status", CmpOp::Gte, 500.0), &[], (false, "", "")),
            (
                num("status", CmpOp::Eq, 200.0),
                &[("status", "200.0")],
                (true, "", ""),
            ),
            (
                num("status", CmpOp::Neq, 200.0),
                &[("status", "1e2")],
                (true, "", ""),
            ),
            (
                num("status", CmpOp::Gte, 500.0),
                &[("status", "abc")],
                (
                    true,
                    "LabelFilterErr",
                    r#"strconv.ParseFloat: parsing "abc": invalid syntax"#,
                ),
            ),
            (
                num("status", CmpOp::Gte, 500.0),
                &[("status", "")],
                (
                    true,
                    "LabelFilterErr",
                    r#"strconv.ParseFloat: parsing "": invalid syntax"#,
                ),
            ),
            (num("empty", CmpOp::Gte, 500.0), &[], (false, "", "")),
            (
                or(
                    num("status", CmpOp::Gte, 500.0),
                    m("level", MatchOp::Eq, "error"),
                ),
                &[("status", "abc")],
                (
                    true,
                    "LabelFilterErr",
                    r#"strconv.ParseFloat: parsing "abc": invalid syntax"#,
                ),
            ),
            (
                and(num("a", CmpOp::Gt, 1.0), num("b", CmpOp::Gt, 1.0)),
                &[("a", "0"), ("b", "x")],
                (
                    false,
                    "LabelFilterErr",
                    r#"strconv.ParseFloat: parsing "x": invalid syntax"#,
                ),
            ),
            (
                or(m("level", MatchOp::Eq, "error"), num("b", CmpOp::Gt, 1.0)),
                &[("level", "error"), ("b", "x")],
                (true, "", ""),
            ),
        ];
        for (e, parsed, (kept, err, details)) in cases {
            let got = run(e, &mut builder(parsed));
            assert_eq!(
                got,
                (*kept, err.to_string(), details.to_string()),
                "{e:?} {parsed:?}"
            );
        }
    }

    #[test]
    fn existing_errors_are_not_overwritten() {
        let mut b = builder(&[("status", "abc")]);
        b.set_error_with_details("JSONParserErr", "first");
        let got = run(&num("status", CmpOp::Gt, 5.0), &mut b);
        assert_eq!(got, (true, "JSONParserErr".into(), "first".into()));
    }

    #[test]
    fn duration_and_bytes_filters() {
        let dur = |op, v| LabelFilterExpr::Duration {
            name: "d".into(),
            op,
            value: v,
        };
        let bytes = |op, v| LabelFilterExpr::Bytes {
            name: "s".into(),
            op,
            value: v,
        };
        let cases: &[FilterCase] = &[
            (
                dur(CmpOp::Gt, 1_000_000_000),
                &[("d", "1.5s")],
                (true, "", ""),
            ),
            (
                dur(CmpOp::Gt, 1_000_000_000),
                &[("d", "100ms")],
                (false, "", ""),
            ),
            (
                dur(CmpOp::Gt, 1),
                &[("d", "oops")],
                (true, "LabelFilterErr", r#"time: invalid duration "oops""#),
            ),
            (
                bytes(CmpOp::Gte, 1_000_000),
                &[("s", "1181KB")],
                (true, "", ""),
            ),
            (bytes(CmpOp::Lt, 1000), &[("s", "20B")], (true, "", "")),
            (bytes(CmpOp::Lt, 1000), &[], (false, "", "")),
        ];
        for (e, parsed, (kept, err, details)) in cases {
            let got = run(e, &mut builder(parsed));
            assert_eq!(
                got,
                (*kept, err.to_string(), details.to_string()),
                "{e:?} {parsed:?}"
            );
        }
    }

    #[test]
    fn ip_filters() {
        let ip = |negate, p: &str| LabelFilterExpr::Ip {
            name: "fwd".into(),
            negate,
            ip: IpMatcher {
                source: p.into(),
                pattern: IpPattern::Cidr(p.parse().unwrap(), 8),
            },
        };
        assert!(run(&ip(false, "10.0.0.0"), &mut builder(&[("fwd", "10.1.2.3")])).0);
        assert!(!run(&ip(true, "10.0.0.0"), &mut builder(&[("fwd", "10.1.2.3")])).0);
        assert!(run(&ip(true, "10.0.0.0"), &mut builder(&[("fwd", "11.1.2.3")])).0);
        assert!(!run(&ip(false, "10.0.0.0"), &mut builder(&[])).0);
        assert!(!run(&ip(true, "10.0.0.0"), &mut builder(&[])).0);
        let mut b = builder(&[]);
        b.set_error("JSONParserErr");
        assert!(run(&ip(false, "10.0.0.0"), &mut b).0);
    }
}

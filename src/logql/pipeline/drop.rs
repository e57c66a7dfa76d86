//! `| drop a, b="v", c=~"re"` (logql.md §3.9): removes labels, the named
//! ones unconditionally, the matcher ones when their value matches. It can
//! remove `__error__` and `__error_details__`.

use super::labels::{LabelsBuilder, ERROR_DETAILS_LABEL, ERROR_LABEL};
use crate::logql::ast::NamedLabel;

/// The `drop` stage.
#[derive(Clone, Debug)]
pub struct DropStage {
    labels: Vec<NamedLabel>,
}

impl DropStage {
    /// Compiles the stage.
    pub fn new(labels: &[NamedLabel]) -> DropStage {
        DropStage {
            labels: labels.to_vec(),
        }
    }

    /// Removes the labels.
    pub fn process(&self, lbs: &mut LabelsBuilder) {
        for l in &self.labels {
            match l {
                NamedLabel::Name(n) if n == ERROR_LABEL => lbs.clear_error(),
                NamedLabel::Name(n) if n == ERROR_DETAILS_LABEL => lbs.clear_error_details(),
                NamedLabel::Name(n) => {
                    if lbs.get(n).is_some() {
                        lbs.delete(n);
                    }
                }
                NamedLabel::Matcher(m) if m.name == ERROR_LABEL => {
                    if m.matches(lbs.error()) {
                        lbs.clear_error();
                    }
                }
                NamedLabel::Matcher(m) if m.name == ERROR_DETAILS_LABEL => {
                    if m.matches(lbs.error_details()) {
                        lbs.clear_error_details();
                    }
                }
                NamedLabel::Matcher(m) => {
                    if m.matches(lbs.get(&m.name).unwrap_or("")) {
                        lbs.delete(&m.name);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Labels, MatchOp, Matcher};
    use std::sync::Arc;

    fn run(drop: &[NamedLabel]) -> String {
        let mut b =
            LabelsBuilder::new(Arc::new(Labels::from_pairs([("app", "web"), ("job", "j")])));
        b.reset(&[("trace", "t")]);
        b.set_parsed("level", "error");
        b.set_parsed("path", "/health/x");
        b.set_error_with_details("JSONParserErr", "d");
        DropStage::new(drop).process(&mut b);
        let mut out = Vec::new();
        b.for_each_sorted(&mut |n, v| out.push(format!("{n}={v}")));
        out.join(" ")
    }

    fn m(n: &str, op: MatchOp, v: &str) -> NamedLabel {
        NamedLabel::Matcher(Matcher::new(n, op, v).unwrap())
    }

    #[test]
    fn drops_by_name_and_value() {
        let name = |n: &str| NamedLabel::Name(n.into());
        let cases: Vec<(Vec<NamedLabel>, &str)> = vec![
            (vec![name("app"), name("trace")], "__error__=JSONParserErr __error_details__=d job=j level=error path=/health/x"),
            (vec![name("__error__")], "__error_details__=d app=web job=j level=error path=/health/x trace=t"),
            (vec![name("__error__"), name("__error_details__")], "app=web job=j level=error path=/health/x trace=t"),
            (vec![m("level", MatchOp::Eq, "info")], "__error__=JSONParserErr __error_details__=d app=web job=j level=error path=/health/x trace=t"),
            (vec![m("level", MatchOp::Neq, "info"), m("path", MatchOp::Re, "/health.*")], "__error__=JSONParserErr __error_details__=d app=web job=j trace=t"),
            (vec![m("__error__", MatchOp::Eq, "JSONParserErr")], "__error_details__=d app=web job=j level=error path=/health/x trace=t"),
            (vec![name("missing")], "__error__=JSONParserErr __error_details__=d app=web job=j level=error path=/health/x trace=t"),
        ];
        for (drop, want) in cases {
            assert_eq!(run(&drop), want, "{drop:?}");
        }
    }
}

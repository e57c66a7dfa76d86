//! `| keep a, b="v"` (logql.md §3.9): removes every label (stream labels
//! and metadata included) except the named ones and the matcher ones whose
//! value matches. `__error__` and `__error_details__` are never removed.

use super::labels::LabelsBuilder;
use crate::logql::ast::NamedLabel;

/// The `keep` stage.
#[derive(Clone, Debug)]
pub struct KeepStage {
    labels: Vec<NamedLabel>,
}

impl KeepStage {
    /// Compiles the stage.
    pub fn new(labels: &[NamedLabel]) -> KeepStage {
        KeepStage {
            labels: labels.to_vec(),
        }
    }

    /// Removes every label not kept.
    pub fn process(&self, lbs: &mut LabelsBuilder) {
        if self.labels.is_empty() {
            return;
        }
        lbs.retain(|name, value| {
            self.labels.iter().any(|k| match k {
                NamedLabel::Name(n) => n == name,
                NamedLabel::Matcher(m) => m.name == name && m.matches(value),
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Labels, MatchOp, Matcher};
    use std::sync::Arc;

    fn run(keep: &[NamedLabel], error: bool) -> String {
        let mut b =
            LabelsBuilder::new(Arc::new(Labels::from_pairs([("app", "web"), ("job", "j")])));
        b.reset(&[("trace", "t")]);
        b.set_parsed("level", "error");
        b.set_parsed("status", "500");
        if error {
            b.set_error_with_details("JSONParserErr", "d");
        }
        KeepStage::new(keep).process(&mut b);
        let mut out = Vec::new();
        b.for_each_sorted(&mut |n, v| out.push(format!("{n}={v}")));
        out.join(" ")
    }

    #[test]
    fn keeps_only_listed_labels() {
        let name = |n: &str| NamedLabel::Name(n.into());
        let m = |n: &str, op, v: &str| NamedLabel::Matcher(Matcher::new(n, op, v).unwrap());
        assert_eq!(
            run(&[name("app"), name("status")], false),
            "app=web status=500"
        );
        assert_eq!(run(&[name("method"), name("path")], false), "");
        assert_eq!(
            run(&[m("level", MatchOp::Re, "error|warn"), name("x")], false),
            "level=error"
        );
        assert_eq!(run(&[m("level", MatchOp::Eq, "info")], false), "");
        assert_eq!(
            run(&[name("trace")], true),
            "__error__=JSONParserErr __error_details__=d trace=t"
        );
    }
}

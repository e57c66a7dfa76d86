//! `label_replace(v, "dst", "replacement", "src", "regex")`.
//!
//! Per series: the regex (anchored `^(?:regex)$` by the parser) is matched
//! against the value of `src` (missing = `""`). On a match `dst` is set to
//! the expansion of `replacement` (`$1`, `${1}`, `$name`, `$$`), and removed
//! when the expansion is empty; without a match the series is unchanged.

use std::sync::Arc;

use super::error::EvalError;
use super::series::{SeriesSink, StepPoint};
use crate::logql::ast::LabelReplace;
use crate::model::Labels;

/// The relabelled labels, or `None` when the regex does not match.
pub(crate) fn relabel(expr: &LabelReplace, labels: &Labels) -> Option<Labels> {
    let src = labels.get(&expr.src).unwrap_or("");
    let caps = expr.regex.re.captures(src)?;
    let mut value = String::new();
    caps.expand(&expr.replacement, &mut value);
    let mut out = labels.clone();
    out.remove(&expr.dst);
    if !value.is_empty() {
        out.insert(expr.dst.clone(), value);
    }
    Some(out)
}

/// Relabels series as they pass.
pub(crate) struct LabelReplaceSink<'a> {
    expr: &'a LabelReplace,
    next: &'a mut dyn SeriesSink,
}

impl<'a> LabelReplaceSink<'a> {
    /// A sink applying `expr` before `next`.
    pub fn new(expr: &'a LabelReplace, next: &'a mut dyn SeriesSink) -> Self {
        LabelReplaceSink { expr, next }
    }
}

impl SeriesSink for LabelReplaceSink<'_> {
    fn series(&mut self, labels: &Arc<Labels>, points: &[StepPoint]) -> Result<(), EvalError> {
        match relabel(self.expr, labels) {
            Some(out) => self.next.series(&Arc::new(out), points),
            None => self.next.series(labels, points),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ast::{CompiledRegex, MetricExpr};
    use regex::Regex;

    fn lr(dst: &str, repl: &str, src: &str, re: &str) -> LabelReplace {
        LabelReplace {
            inner: Box::new(MetricExpr::Vector(1.0)),
            dst: dst.into(),
            replacement: repl.into(),
            src: src.into(),
            regex: CompiledRegex {
                source: re.into(),
                re: Regex::new(&format!("^(?:{re})$")).unwrap(),
            },
        }
    }

    #[test]
    fn replacement_table() {
        let svc = Labels::from_pairs([("service", "authelia@docker"), ("job", "t")]);
        let dyno = Labels::from_pairs([("dyno", "web.1")]);
        let none = Labels::new();
        let cases: Vec<(LabelReplace, &Labels, Option<Labels>)> = vec![
            (
                lr("container", "$1", "service", "(.*)@docker"),
                &svc,
                Some(Labels::from_pairs([
                    ("container", "authelia"),
                    ("service", "authelia@docker"),
                    ("job", "t"),
                ])),
            ),
            (
                lr("process", "${1}-proc", "dyno", r"(\w+)\.\d+"),
                &dyno,
                Some(Labels::from_pairs([
                    ("dyno", "web.1"),
                    ("process", "web-proc"),
                ])),
            ),
            (
                lr("p", "$kind", "dyno", r"(?P<kind>\w+)\.\d+"),
                &dyno,
                Some(Labels::from_pairs([("dyno", "web.1"), ("p", "web")])),
            ),
            // Anchored: a partial match is no match.
            (lr("p", "$1", "dyno", r"(\w+)"), &dyno, None),
            // Empty expansion deletes dst.
            (lr("dyno", "", "dyno", ".*"), &dyno, Some(Labels::new())),
            // Missing src matches as "".
            (
                lr("source", "static", "", ""),
                &none,
                Some(Labels::from_pairs([("source", "static")])),
            ),
            // `$1x` names group "1x", which does not exist: empty.
            (
                lr("p", "$1x", "dyno", r"(\w+)\.\d+"),
                &dyno,
                Some(dyno.clone()),
            ),
            (
                lr("p", "$$1", "dyno", r"(\w+)\.\d+"),
                &dyno,
                Some(Labels::from_pairs([("dyno", "web.1"), ("p", "$1")])),
            ),
        ];
        for (expr, input, want) in cases {
            assert_eq!(
                relabel(&expr, input),
                want,
                "{} {}",
                expr.replacement,
                expr.regex.source
            );
        }
    }
}

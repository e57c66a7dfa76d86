//! `| label_format dst=src, dst2="tmpl", ...` (logql.md §3.8).
//!
//! `dst=src` renames: the value of `src` goes to the parsed label `dst` and
//! `src` is removed; nothing happens when `src` is missing. `dst="tmpl"`
//! sets `dst` to the rendered template. Every template of one stage sees the
//! labels as they were when the first template ran (renames before it
//! included, later changes not); a render error sets `TemplateFormatErr`
//! and leaves that label alone.

use super::labels::{LabelsBuilder, TemplateView};
use super::line_format::TEMPLATE_FORMAT_ERR;
use crate::logql::ast::LabelFormatOp;

/// A `label_format` stage.
pub struct LabelFormatStage {
    ops: Vec<LabelFormatOp>,
    /// Rendered values (or error texts) of the templates, by op index.
    rendered: Vec<Result<String, String>>,
    value: String,
}

impl LabelFormatStage {
    /// Compiles the stage.
    pub fn new(ops: &[LabelFormatOp]) -> LabelFormatStage {
        let ops = ops.to_vec();
        LabelFormatStage {
            rendered: ops.iter().map(|_| Ok(String::new())).collect(),
            ops,
            value: String::new(),
        }
    }

    fn rename(&mut self, lbs: &mut LabelsBuilder, dst: &str, src: &str) {
        let Some((v, _)) = lbs.get_with_category(src) else {
            return;
        };
        self.value.clear();
        self.value.push_str(v);
        lbs.set_parsed(dst, &self.value);
        lbs.delete(src);
    }

    /// Applies the stage.
    pub fn process(&mut self, ts: i64, now: i64, line: &str, lbs: &mut LabelsBuilder) {
        let first_template = self
            .ops
            .iter()
            .position(|o| matches!(o, LabelFormatOp::Template { .. }))
            .unwrap_or(self.ops.len());
        let ops = std::mem::take(&mut self.ops);
        for op in &ops[..first_template] {
            if let LabelFormatOp::Rename { dst, src } = op {
                self.rename(lbs, dst, src);
            }
        }
        // Render every template against the same snapshot, then apply the
        // remaining operations in order.
        {
            let view = TemplateView {
                labels: lbs,
                line,
                ts,
                now,
            };
            for (i, op) in ops.iter().enumerate().skip(first_template) {
                if let LabelFormatOp::Template { template, .. } = op {
                    let slot = &mut self.rendered[i];
                    let mut buf = match std::mem::replace(slot, Ok(String::new())) {
                        Ok(b) | Err(b) => b,
                    };
                    *slot = match template.render(&view, &mut buf) {
                        Ok(()) => Ok(buf),
                        Err(e) => Err(e.0),
                    };
                }
            }
        }
        for (i, op) in ops.iter().enumerate().skip(first_template) {
            match op {
                LabelFormatOp::Rename { dst, src } => self.rename(lbs, dst, src),
                LabelFormatOp::Template { dst, .. } => match &self.rendered[i] {
                    Ok(v) => lbs.set_parsed(dst, v),
                    Err(e) => lbs.set_error_with_details(TEMPLATE_FORMAT_ERR, e),
                },
            }
        }
        self.ops = ops;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::template::Template;
    use crate::model::Labels;
    use std::sync::Arc;

    fn rename(dst: &str, src: &str) -> LabelFormatOp {
        LabelFormatOp::Rename {
            dst: dst.into(),
            src: src.into(),
        }
    }

    fn tmpl(dst: &str, t: &str) -> LabelFormatOp {
        LabelFormatOp::Template {
            dst: dst.into(),
            template: Template::parse_named("label", t).unwrap(),
        }
    }

    fn run(ops: &[LabelFormatOp]) -> String {
        let mut b =
            LabelsBuilder::new(Arc::new(Labels::from_pairs([("job", "j"), ("app", "web")])));
        b.reset(&[]);
        b.set_parsed("level", "error");
        b.set_parsed("status", "500");
        LabelFormatStage::new(ops).process(0, 0, "the line", &mut b);
        let mut out = Vec::new();
        b.for_each_sorted(&mut |n, v| out.push(format!("{n}={v}")));
        out.join(" ")
    }

    #[test]
    fn renames() {
        assert_eq!(
            run(&[rename("http_status", "status")]),
            "app=web http_status=500 job=j level=error"
        );
        assert_eq!(
            run(&[rename("x", "missing")]),
            "app=web job=j level=error status=500"
        );
        // a renamed stream label becomes a parsed label and stays visible
        assert_eq!(
            run(&[rename("service", "job")]),
            "app=web level=error service=j status=500"
        );
    }

    #[test]
    fn templates_share_a_snapshot() {
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs([("app", "web")])));
        b.reset(&[]);
        LabelFormatStage::new(&[tmpl("x", "{{ div 1 0 }}")]).process(0, 0, "l", &mut b);
        assert!(
            b.error_details().starts_with("template: label:"),
            "{}",
            b.error_details()
        );
        assert_eq!(
            run(&[tmpl("a", "{{.level}}"), tmpl("b", "{{.a}}")]),
            "a=error app=web b= job=j level=error status=500"
        );
        assert_eq!(
            run(&[
                rename("lvl", "level"),
                tmpl("b", "{{.lvl}}"),
                rename("s", "status"),
                tmpl("c", "{{.status}}")
            ]),
            "app=web b=error c=500 job=j lvl=error s=500"
        );
        assert_eq!(
            run(&[tmpl("line_len", "{{ __line__ | len }}")]),
            "app=web job=j level=error line_len=8 status=500"
        );
    }
}

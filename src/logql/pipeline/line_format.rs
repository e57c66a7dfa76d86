//! `| line_format "tmpl"` (logql.md §3.7): the line becomes the rendered
//! template. The template sees every label (error labels included), the
//! line as it enters this stage (`__line__`) and the entry's timestamp. A
//! render error keeps the line and sets `TemplateFormatErr`.

use super::labels::{LabelsBuilder, TemplateView};
use crate::logql::template::Template;

/// Error label value of a template failure.
pub const TEMPLATE_FORMAT_ERR: &str = "TemplateFormatErr";

/// A `line_format` stage.
#[derive(Clone, Debug)]
pub struct LineFormatStage {
    template: Template,
}

impl LineFormatStage {
    /// Wraps the parser's template.
    pub fn new(template: &Template) -> LineFormatStage {
        LineFormatStage {
            template: template.clone(),
        }
    }

    /// Renders into `out`; true when `out` holds the new line.
    pub fn process(
        &self,
        ts: i64,
        now: i64,
        line: &str,
        lbs: &mut LabelsBuilder,
        out: &mut String,
    ) -> bool {
        let res = {
            let view = TemplateView {
                labels: lbs,
                line,
                ts,
                now,
            };
            self.template.render(&view, out)
        };
        match res {
            Ok(()) => true,
            Err(e) => {
                lbs.set_error_with_details(TEMPLATE_FORMAT_ERR, &e.0);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Labels;
    use std::sync::Arc;

    fn run(tmpl: &str, line: &str, parsed: &[(&str, &str)]) -> (String, String) {
        let mut b = LabelsBuilder::new(Arc::new(Labels::from_pairs([
            ("unit", "docker.service"),
            ("alert", "Disk"),
        ])));
        b.reset(&[]);
        for (n, v) in parsed {
            b.set_parsed(n, v);
        }
        let st = LineFormatStage::new(&Template::parse(tmpl).unwrap());
        let mut out = String::new();
        let new_line = if st.process(1_768_176_000_000_000_000, 0, line, &mut b, &mut out) {
            out
        } else {
            line.to_string()
        };
        (new_line, b.error().to_string())
    }

    #[test]
    fn renders_labels_and_line() {
        assert_eq!(
            run("{{.unit}}: {{__line__}}", "hello", &[]).0,
            "docker.service: hello"
        );
        assert_eq!(
            run("{{.alert}}", "x", &[("alert_extracted", "json")]).0,
            "Disk"
        );
        assert_eq!(
            run("{{.missing}}|{{.status}}", "x", &[("status", "500")]).0,
            "|500"
        );
        assert_eq!(run("{{.__error__}}", "x", &[]).0, "");
    }

    #[test]
    fn render_errors_keep_the_line() {
        let (line, err) = run("{{ div 1 0 }}", "orig", &[]);
        assert_eq!(line, "orig");
        assert_eq!(err, TEMPLATE_FORMAT_ERR);
    }
}

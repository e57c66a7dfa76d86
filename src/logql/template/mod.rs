//! Go `text/template` as Loki's `line_format` and `label_format` use it
//! (logql.md §3.7, §3.8, §3.11): Go's parser and executor semantics, Loki's
//! function map and the sprig functions it exposes.
//!
//! The template data is the entry's labels as a `map[string]string` with
//! `missingkey=zero`: `{{.name}}` is the value or "" and `{{.}}` prints as
//! `map[a:b c:d]`. `__line__` and `__timestamp__` are functions. Execution
//! errors (`div 1 0`, a bad `substr`, `divf x 0`) are returned as
//! [`TemplateError`] with Go's text; the caller keeps the old line and sets
//! `__error__=TemplateFormatErr`.
//!
//! Deviations, all deliberate:
//! * The server's "Local" time zone is UTC. `toDateInZone` knows UTC, the
//!   UTC/GMT aliases and `Etc/GMT±N`; other zone names count as unknown,
//!   which Loki maps to UTC (named zones would need a tz database).
//! * `now` prints without Go's monotonic-clock suffix (`m=+1.23`).
//! * Limits keep memory and stack bounded (Go has higher or no limits):
//!   output above 16 MiB, `repeat`/`indent`/`align*` results above 16 MiB,
//!   `range` over an integer above 10^6, more than 100 nested parentheses
//!   or 100 nested control structures, more than 100 nested `{{template}}`
//!   calls or 300 nested structures being executed, and JSON nested deeper
//!   than 500 are errors.
//! * Strings are UTF-8: operations that would cut a character in Go
//!   (`trunc`, `substr`, `slice`, `b64dec`, `urldecode`) replace each
//!   broken byte with U+FFFD at once instead of at output.
//! * Complex number literals are rejected; `time.Time` offers its common
//!   methods only (`Format`, `Unix*`, `Year`...`Nanosecond`, `Weekday`,
//!   `YearDay`, `UTC`, `Local`, `IsZero`, `String`).
//! * Regexes use Rust's engine after translating Go syntax; error texts for
//!   invalid patterns only approximate Go's.

mod exec;
mod funcs;
mod gonum;
mod gotime;
mod lex;
mod node;
mod parse;
mod printf;
mod value;

use std::fmt;
use std::sync::Arc;

use node::{Arg, List, Node, Pipe};

/// What a template can see while it renders one entry.
pub trait TemplateContext {
    /// The value of a label (`{{.name}}`); None when missing (renders as "").
    fn label(&self, name: &str) -> Option<&str>;
    /// Calls `f` for every label in name order (`{{range $k, $v := .}}`).
    fn for_each_label(&self, f: &mut dyn FnMut(&str, &str));
    /// The line as it enters the stage (`__line__`).
    fn line(&self) -> &str;
    /// The entry timestamp in ns (`__timestamp__`).
    fn timestamp(&self) -> i64;
    /// "Now" in ns, for `now` and `date` on non-time values (injectable in tests).
    fn now(&self) -> i64;
}

/// A parse or execution error; its text is what Loki shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

/// A parsed template, compared by its source text. Cheap to clone; safe to
/// share between threads.
#[derive(Clone)]
pub struct Template {
    program: Arc<exec::Program>,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.program.name)
            .field("source", &self.program.source)
            .finish()
    }
}

impl PartialEq for Template {
    fn eq(&self, o: &Self) -> bool {
        self.program.source == o.program.source
    }
}

impl Template {
    /// Parses a `line_format` template (Go template name `line`, which
    /// appears in errors as `template: line:1: ...`).
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        Template::parse_named("line", source)
    }

    /// Parses a template under a Go template name: `line` for
    /// `line_format`, `label` for `label_format`.
    pub fn parse_named(name: &str, source: &str) -> Result<Template, TemplateError> {
        let parsed = parse::parse(name, source)?;
        let mut regexes = funcs::RegexCache::default();
        collect_regexes(&parsed.root, &mut regexes);
        for (_, list) in &parsed.defs {
            collect_regexes(list, &mut regexes);
        }
        Ok(Template {
            program: Arc::new(exec::Program {
                name: name.to_string(),
                source: source.to_string(),
                parsed,
                regexes,
            }),
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.program.source
    }

    /// Renders into `out` (cleared first). On error `out` is unspecified.
    pub fn render(&self, ctx: &dyn TemplateContext, out: &mut String) -> Result<(), TemplateError> {
        out.clear();
        exec::execute(&self.program, ctx, out)
    }
}

/// Compiles the literal patterns of `regexReplaceAll`, `count`, ... once.
fn collect_regexes(list: &List, cache: &mut funcs::RegexCache) {
    for node in &list.nodes {
        match node {
            Node::Action(a) => collect_pipe(&a.pipe, cache),
            Node::If(b) | Node::With(b) | Node::Range(b) => {
                collect_pipe(&b.pipe, cache);
                collect_regexes(&b.list, cache);
                if let Some(e) = &b.else_list {
                    collect_regexes(e, cache);
                }
            }
            Node::Template(t) => {
                if let Some(p) = &t.pipe {
                    collect_pipe(p, cache);
                }
            }
            Node::Text { .. } | Node::Break { .. } | Node::Continue { .. } => {}
        }
    }
}

fn collect_pipe(pipe: &Pipe, cache: &mut funcs::RegexCache) {
    for cmd in &pipe.cmds {
        if let [Arg::Identifier { func, .. }, Arg::Str { text, .. }, ..] = cmd.args.as_slice() {
            if funcs::takes_regex(func.name) {
                cache.add(text);
            }
        }
        for arg in &cmd.args {
            collect_arg(arg, cache);
        }
    }
}

fn collect_arg(arg: &Arg, cache: &mut funcs::RegexCache) {
    match arg {
        Arg::Pipe(p) => collect_pipe(p, cache),
        Arg::Chain { node, .. } => collect_arg(node, cache),
        _ => {}
    }
}

#[cfg(test)]
mod tests;

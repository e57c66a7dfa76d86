//! LogQL: lexer and parser to an AST, the pipeline stages, the template
//! engine of `line_format` / `label_format`, and the evaluators.

pub mod ast;
pub mod eval;
pub mod pipeline;
pub mod template;

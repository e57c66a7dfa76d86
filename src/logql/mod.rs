//! LogQL: lexer and parser to an AST, the pipeline stages, the template
//! engine of `line_format` / `label_format`, and the evaluators.

pub mod ast;
pub mod display;
pub mod duration;
pub mod error;
pub mod eval;
mod go_regex;
pub mod ip;
pub mod json_path;
pub mod lexer;
pub mod number;
pub mod parser;
pub mod pattern_syntax;
pub mod pipeline;
pub mod template;
pub mod validate;

pub use error::ParseError;
pub use parser::{parse_expr, parse_log_selector, parse_matchers};

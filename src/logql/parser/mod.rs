//! The LogQL parser: tokens to a checked tree (logql.md §2).
//!
//! A recursive-descent parser over the lexer's tokens, with precedence
//! climbing for binary operators and label filters. It follows the shape of
//! Loki's yacc grammar (`syntax.y`) closely enough to accept and reject the
//! same queries and to report errors at the same tokens, with the same
//! `syntax error: unexpected X, expecting Y` wording where it matters.
//!
//! Errors come in Loki's order of precedence:
//! 1. lexical and syntax errors, and the checks Loki runs while parsing
//!    (label-matcher regexes, `regexp` and `pattern` parsers) stop at once;
//! 2. semantic errors Loki records in the tree (aggregation rules, binary
//!    operator legs, literals) are reported after a complete parse, then the
//!    selector rules;
//! 3. errors of building pipeline stages come last.
//!
//! Depth is bounded (parentheses, nested calls and operator chains) so no
//! input can exhaust the stack, here or in code that walks the tree.

mod log;
mod metric;

use std::collections::VecDeque;

use crate::logql::ast::{Expr, LogExpr};
use crate::logql::error::ParseError;
use crate::logql::lexer::{LexResult, Lexer, Punct, Tok, Token};
use crate::logql::validate;
use crate::model::Matcher;

/// Loki's limit: queries of this many bytes or more are refused.
pub const MAX_QUERY_BYTES: usize = 131_072;

/// Deepest nesting of parentheses, calls and operator chains accepted.
pub const MAX_DEPTH: u32 = 256;

/// Parses and validates a query, like Loki's `syntax.ParseExpr` followed by
/// the pipeline construction it performs before reading data.
pub fn parse_expr(query: &str) -> Result<Expr, ParseError> {
    let node = parse_unvalidated(query)?;
    let expr = node.0;
    match &expr {
        Expr::Log(l) => validate::selector(&l.selector)?,
        Expr::Metric(m) => validate::metric_selectors(m)?,
    }
    if let Some(e) = node.1 {
        return Err(e);
    }
    Ok(expr)
}

/// Parses a log query (`{app="foo"} |= "x"`), as Loki's `ParseLogSelector`
/// with validation; a metric query is refused.
pub fn parse_log_selector(query: &str) -> Result<LogExpr, ParseError> {
    let (expr, build_error) = parse_unvalidated(query)?;
    let Expr::Log(log) = expr else {
        return Err(ParseError::plain("only log selector is supported"));
    };
    validate::selector(&log.selector)?;
    match build_error {
        Some(e) => Err(e),
        None => Ok(log),
    }
}

/// Parses a bare stream selector (`{app="foo", env=~"prod|dev"}`), as the
/// metadata endpoints do with `match[]` and `query` (Loki's
/// `ParseMatchers` with validation).
pub fn parse_matchers(query: &str) -> Result<Vec<Matcher>, ParseError> {
    match parse_expr(query)? {
        Expr::Log(LogExpr { selector, stages }) if stages.is_empty() => Ok(selector),
        _ => Err(ParseError::plain("only label matchers are supported")),
    }
}

/// Parses without the final selector checks; returns the tree and the
/// first pipeline-build error, if any (those come after selector errors).
fn parse_unvalidated(query: &str) -> Result<(Expr, Option<ParseError>), ParseError> {
    if query.len() >= MAX_QUERY_BYTES {
        return Err(ParseError::semantic(format!(
            "input size too long ({} > {MAX_QUERY_BYTES})",
            query.len()
        )));
    }
    let mut p = Parser::new(query);
    let (node, _) = p.expr(0)?;
    let t = p.peek()?;
    if t.tok != Tok::Eof {
        return Err(p.unexpected(&[]));
    }
    if let Some(e) = p.deferred.take() {
        return Err(e);
    }
    let expr = match node {
        Node::Log { expr, .. } => Expr::Log(expr),
        Node::Metric(m) => Expr::Metric(m),
    };
    Ok((expr, p.build_error.take()))
}

/// What a parsed (sub)expression is: Loki's grammar lets log expressions
/// appear where metric ones are expected and refuses them afterwards.
pub(crate) enum Node {
    Log { expr: LogExpr, piped: bool },
    Metric(crate::logql::ast::MetricExpr),
}

type PResult<T> = Result<T, ParseError>;

/// Parser state: the token stream with two tokens of look-ahead, the
/// nesting depth, and the errors Loki reports after a complete parse.
pub(crate) struct Parser<'a> {
    lexer: Lexer<'a>,
    lookahead: VecDeque<LexResult<'a>>,
    nesting: u32,
    /// First semantic error Loki would record in the tree.
    deferred: Option<ParseError>,
    /// First error building a pipeline stage.
    build_error: Option<ParseError>,
}

impl<'a> Parser<'a> {
    fn new(query: &'a str) -> Self {
        Parser {
            lexer: Lexer::new(query),
            lookahead: VecDeque::with_capacity(2),
            nesting: 0,
            deferred: None,
            build_error: None,
        }
    }

    fn fill(&mut self, n: usize) {
        while self.lookahead.len() < n {
            let t = self.lexer.next_token();
            self.lookahead.push_back(t);
        }
    }

    /// The next token (a lexical error there is the error to report).
    fn peek(&mut self) -> PResult<&Token<'a>> {
        self.fill(1);
        match &self.lookahead[0] {
            Ok(t) => Ok(t),
            Err(e) => Err(e.clone()),
        }
    }

    /// The token after the next one.
    fn peek2(&mut self) -> PResult<&Token<'a>> {
        self.fill(2);
        match &self.lookahead[1] {
            Ok(t) => Ok(t),
            Err(e) => Err(e.clone()),
        }
    }

    fn peek_tok(&mut self) -> PResult<&Tok<'a>> {
        Ok(&self.peek()?.tok)
    }

    fn next(&mut self) -> PResult<Token<'a>> {
        self.fill(1);
        match self.lookahead.pop_front() {
            Some(t) => t,
            None => Err(ParseError::semantic("unexpected end of tokens")),
        }
    }

    /// Consumes the next token if it is `p`.
    fn eat(&mut self, p: Punct) -> PResult<bool> {
        if *self.peek_tok()? == Tok::P(p) {
            self.next()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect(&mut self, p: Punct, expecting: &[&str]) -> PResult<()> {
        if self.eat(p)? {
            Ok(())
        } else {
            Err(self.unexpected(expecting))
        }
    }

    /// Loki's yacc error at the next token: `syntax error: unexpected X`,
    /// with `, expecting A or B` when a short list is known.
    fn unexpected(&mut self, expecting: &[&str]) -> ParseError {
        let t = match self.peek() {
            Ok(t) => t,
            Err(e) => return e,
        };
        let mut msg = format!("syntax error: unexpected {}", t.tok.yacc_name());
        if !expecting.is_empty() && expecting.len() <= 4 {
            msg.push_str(", expecting ");
            msg.push_str(&expecting.join(" or "));
        }
        ParseError::at(msg, t.line, t.col)
    }

    /// Enters one level of nesting.
    fn enter(&mut self) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return Err(self.too_deep());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
    }

    /// Checks the depth of a tree just built.
    fn check_depth(&mut self, depth: u32) -> PResult<()> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep());
        }
        Ok(())
    }

    fn too_deep(&mut self) -> ParseError {
        let (line, col) = self.peek().map_or((0, 0), |t| (t.line, t.col));
        ParseError::at(
            format!("syntax error: expression nests too deeply (more than {MAX_DEPTH} levels)"),
            line,
            col,
        )
    }

    /// Records a semantic error reported after parsing (the first wins).
    fn defer(&mut self, msg: String) {
        if self.deferred.is_none() {
            self.deferred = Some(ParseError::semantic(msg));
        }
    }

    /// Records a pipeline-build error (the first wins).
    fn build_failed(&mut self, e: ParseError) {
        if self.build_error.is_none() {
            self.build_error = Some(e);
        }
    }
}

#[cfg(test)]
mod tests;

//! The error of parsing and validating a LogQL query.

use std::fmt;

/// A query that Loki would refuse before reading any data: a syntax error,
/// a semantic error found while building the tree, or a pipeline stage that
/// cannot be built. The API answers all of them with HTTP 400 and the
/// `Display` text, which is Loki's:
/// - `parse error at line 1, col 5: syntax error: unexpected IDENTIFIER`
///   (line 0 when Loki's lexer had looked ahead past the token, as Loki does);
/// - `parse error : queries require at least one regexp or equality matcher ...`
///   for errors without a position;
/// - a few plain messages (`only label matchers are supported`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    msg: String,
    pos: Position,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Position {
    /// `parse error at line L, col C: msg`
    At { line: u32, col: u32 },
    /// `parse error : msg`
    Unpositioned,
    /// `msg`, without the `parse error` prefix.
    Plain,
}

impl ParseError {
    /// An error at a position (1-based column; line 0 mimics Loki's lexer).
    pub fn at(msg: impl Into<String>, line: u32, col: u32) -> Self {
        let pos = if line == 0 && col == 0 {
            Position::Unpositioned
        } else {
            Position::At { line, col }
        };
        ParseError {
            msg: msg.into(),
            pos,
        }
    }

    /// An error without a position: `parse error : msg`.
    pub fn semantic(msg: impl Into<String>) -> Self {
        ParseError {
            msg: msg.into(),
            pos: Position::Unpositioned,
        }
    }

    /// A pipeline stage that cannot be built: `parse error : stage '...' : msg`.
    pub fn stage(stage: &str, msg: impl fmt::Display) -> Self {
        Self::semantic(format!("stage '{stage}' : {msg}"))
    }

    /// A message shown as is (Loki's plain errors of the metadata endpoints).
    pub fn plain(msg: impl Into<String>) -> Self {
        ParseError {
            msg: msg.into(),
            pos: Position::Plain,
        }
    }

    /// The message without the `parse error ...:` prefix.
    pub fn message(&self) -> &str {
        &self.msg
    }

    /// Line and column, when the error has a position.
    pub fn position(&self) -> Option<(u32, u32)> {
        match self.pos {
            Position::At { line, col } => Some((line, col)),
            _ => None,
        }
    }

    /// The HTTP status the query API answers with: always 400 Bad Request.
    pub fn http_status(&self) -> u16 {
        400
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Position::At { line, col } => {
                write!(f, "parse error at line {line}, col {col}: {}", self.msg)
            }
            Position::Unpositioned => write!(f, "parse error : {}", self.msg),
            Position::Plain => f.write_str(&self.msg),
        }
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_loki() {
        assert_eq!(
            ParseError::at("syntax error: unexpected IDENTIFIER", 1, 1).to_string(),
            "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"
        );
        assert_eq!(
            ParseError::at("syntax error: unexpected RANGE", 0, 20).to_string(),
            "parse error at line 0, col 20: syntax error: unexpected RANGE"
        );
        assert_eq!(ParseError::at("x", 0, 0).to_string(), "parse error : x");
        assert_eq!(
            ParseError::stage("| json a=\"b..c\"", "boom").to_string(),
            "parse error : stage '| json a=\"b..c\"' : boom"
        );
        assert_eq!(
            ParseError::plain("only label matchers are supported").to_string(),
            "only label matchers are supported"
        );
        assert_eq!(ParseError::semantic("x").http_status(), 400);
        assert_eq!(ParseError::at("x", 2, 3).position(), Some((2, 3)));
    }
}

//! The LogQL lexer: Go's `text/scanner` in Go-token mode with Loki's token
//! layer on top (logql.md §1).
//!
//! What it reproduces, because Loki's answers depend on it:
//! - whitespace is ` \t\n\r`; `#`, `//` and `/* */` comments are skipped;
//! - Go strings (`"..."` with Go escapes, `` `raw` ``), Go numbers (with the
//!   scanner's errors: `0B` has no digits, `1EB` has no exponent digits);
//! - a number directly followed by duration runes is a duration (Prometheus
//!   syntax, then Go syntax), or else by byte-size runes a byte size; `-`
//!   directly followed by a duration is a negative duration;
//! - `[...]` is a range, parsed as a Prometheus duration;
//! - keywords are case-insensitive; function names (`rate`, `sum`, `bytes`,
//!   `ip`, ...) are keywords only before `(` or `by (` / `without (`;
//! - an unknown character is an identifier token of its own (as in Loki);
//! - positions: 1-based line and column (in characters) of the token start;
//!   when Loki's lexer read past the token to extend it (two-character
//!   operators, durations, ranges, flags) it reports line 0, and so do we.

use std::borrow::Cow;

use nom::bytes::complete::take_while;
use nom::IResult;

use crate::logql::ast::{RangeOp, UnwrapConversion, VectorOp};
use crate::logql::duration::{parse_bytes, parse_literal_duration, parse_prometheus_duration};
use crate::logql::error::ParseError;

/// A token of a LogQL query.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok<'a> {
    /// End of input.
    Eof,
    /// A label or other name (also unknown single characters, as in Loki).
    Ident(&'a str),
    /// A string literal, unescaped.
    Str(Cow<'a, str>),
    /// A number as written (converted by the parser, which reports errors).
    Number(&'a str),
    /// A duration literal in nanoseconds.
    Duration(i64),
    /// A byte-size literal.
    Bytes(u64),
    /// A `[range]` in nanoseconds.
    Range(i64),
    /// `--strict` or `--keep-empty`.
    Flag(&'static str),
    /// A range aggregation function name before `(`.
    RangeOp(RangeOp),
    /// A vector aggregation operator before `(` or a grouping.
    VectorOp(VectorOp),
    /// `vector` before `(`.
    Vector,
    /// `label_replace` before `(`.
    LabelReplace,
    /// `bytes` / `duration` / `duration_seconds` before `(`.
    Conv(UnwrapConversion),
    /// `ip` before `(`.
    Ip,
    /// A reserved word.
    Kw(Kw),
    /// An operator or punctuation.
    P(Punct),
}

/// Reserved words (always keywords, whatever follows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Kw {
    By,
    Without,
    Bool,
    On,
    Ignoring,
    GroupLeft,
    GroupRight,
    Offset,
    Unwrap,
    Json,
    Logfmt,
    Regexp,
    Unpack,
    Pattern,
    LineFormat,
    LabelFormat,
    Decolorize,
    Drop,
    Keep,
    Variants,
    Of,
    Or,
    And,
    Unless,
}

/// Operators and punctuation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Punct {
    Comma,
    Dot,
    LBrace,
    RBrace,
    LParen,
    RParen,
    RBracket,
    Eq,
    Neq,
    Re,
    Nre,
    Npa,
    Pipe,
    PipeExact,
    PipeMatch,
    PipePattern,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    CmpEq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Tok<'_> {
    /// The token's name in Loki's yacc messages (`unexpected IDENTIFIER`).
    pub fn yacc_name(&self) -> &'static str {
        match self {
            Tok::Eof => "$end",
            Tok::Ident(_) => "IDENTIFIER",
            Tok::Str(_) => "STRING",
            Tok::Number(_) => "NUMBER",
            Tok::Duration(_) => "DURATION",
            Tok::Bytes(_) => "BYTES",
            Tok::Range(_) => "RANGE",
            Tok::Flag(_) => "PARSER_FLAG",
            Tok::RangeOp(op) => range_op_token(*op),
            Tok::VectorOp(op) => vector_op_token(*op),
            Tok::Vector => "VECTOR",
            Tok::LabelReplace => "label_replace",
            Tok::Conv(UnwrapConversion::Bytes) => "BYTES_CONV",
            Tok::Conv(UnwrapConversion::Duration) => "DURATION_CONV",
            Tok::Conv(_) => "DURATION_SECONDS_CONV",
            Tok::Ip => "ip",
            Tok::Kw(k) => k.text(),
            Tok::P(p) => p.text(),
        }
    }
}

impl Kw {
    /// The keyword as written.
    pub fn text(self) -> &'static str {
        match self {
            Kw::By => "by",
            Kw::Without => "without",
            Kw::Bool => "bool",
            Kw::On => "on",
            Kw::Ignoring => "ignoring",
            Kw::GroupLeft => "group_left",
            Kw::GroupRight => "group_right",
            Kw::Offset => "offset",
            Kw::Unwrap => "unwrap",
            Kw::Json => "json",
            Kw::Logfmt => "logfmt",
            Kw::Regexp => "regexp",
            Kw::Unpack => "unpack",
            Kw::Pattern => "pattern",
            Kw::LineFormat => "line_format",
            Kw::LabelFormat => "label_format",
            Kw::Decolorize => "decolorize",
            Kw::Drop => "drop",
            Kw::Keep => "keep",
            Kw::Variants => "variants",
            Kw::Of => "of",
            Kw::Or => "or",
            Kw::And => "and",
            Kw::Unless => "unless",
        }
    }
}

impl Punct {
    /// The operator as written.
    pub fn text(self) -> &'static str {
        match self {
            Punct::Comma => ",",
            Punct::Dot => ".",
            Punct::LBrace => "{",
            Punct::RBrace => "}",
            Punct::LParen => "(",
            Punct::RParen => ")",
            Punct::RBracket => "]",
            Punct::Eq => "=",
            Punct::Neq => "!=",
            Punct::Re => "=~",
            Punct::Nre => "!~",
            Punct::Npa => "!>",
            Punct::Pipe => "|",
            Punct::PipeExact => "|=",
            Punct::PipeMatch => "|~",
            Punct::PipePattern => "|>",
            Punct::Add => "+",
            Punct::Sub => "-",
            Punct::Mul => "*",
            Punct::Div => "/",
            Punct::Mod => "%",
            Punct::Pow => "^",
            Punct::CmpEq => "==",
            Punct::Gt => ">",
            Punct::Gte => ">=",
            Punct::Lt => "<",
            Punct::Lte => "<=",
        }
    }
}

fn range_op_token(op: RangeOp) -> &'static str {
    match op {
        RangeOp::CountOverTime => "COUNT_OVER_TIME",
        RangeOp::Rate => "RATE",
        RangeOp::RateCounter => "RATE_COUNTER",
        RangeOp::BytesOverTime => "BYTES_OVER_TIME",
        RangeOp::BytesRate => "BYTES_RATE",
        RangeOp::AvgOverTime => "AVG_OVER_TIME",
        RangeOp::SumOverTime => "SUM_OVER_TIME",
        RangeOp::MinOverTime => "MIN_OVER_TIME",
        RangeOp::MaxOverTime => "MAX_OVER_TIME",
        RangeOp::StdvarOverTime => "STDVAR_OVER_TIME",
        RangeOp::StddevOverTime => "STDDEV_OVER_TIME",
        RangeOp::QuantileOverTime => "QUANTILE_OVER_TIME",
        RangeOp::FirstOverTime => "FIRST_OVER_TIME",
        RangeOp::LastOverTime => "LAST_OVER_TIME",
        RangeOp::AbsentOverTime => "ABSENT_OVER_TIME",
    }
}

fn vector_op_token(op: VectorOp) -> &'static str {
    match op {
        VectorOp::Sum => "SUM",
        VectorOp::Avg => "AVG",
        VectorOp::Min => "MIN",
        VectorOp::Max => "MAX",
        VectorOp::Count => "COUNT",
        VectorOp::Stddev => "STDDEV",
        VectorOp::Stdvar => "STDVAR",
        VectorOp::Topk => "TOPK",
        VectorOp::Bottomk => "BOTTOMK",
        VectorOp::Sort => "SORT",
        VectorOp::SortDesc => "SORT_DESC",
        VectorOp::ApproxTopk => "APPROX_TOPK",
    }
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Token<'a> {
    /// What it is.
    pub tok: Tok<'a>,
    /// 1-based line, or 0 when Loki's lexer had read past the token.
    pub line: u32,
    /// 1-based column in characters.
    pub col: u32,
}

/// Splits a query into tokens on demand.
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
    /// Characters consumed on the current line.
    col: u32,
    /// Byte position right after the previous token (Go's `s.ch`).
    after_prev: usize,
}

/// `Lexer::next_token`'s result.
pub type LexResult<'a> = Result<Token<'a>, ParseError>;

impl<'a> Lexer<'a> {
    /// A lexer over `src`. A leading byte-order mark is skipped (and, as in
    /// Go's scanner, counted as a column).
    pub fn new(src: &'a str) -> Self {
        let mut lx = Lexer {
            src,
            pos: 0,
            line: 1,
            col: 0,
            after_prev: 0,
        };
        if src.starts_with('\u{feff}') {
            lx.bump();
            lx.after_prev = lx.pos;
        }
        lx
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.src
            .get(self.pos + offset..)
            .and_then(|s| s.chars().next())
    }

    /// Consumes one character, keeping line and column.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 0;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn bump_while(&mut self, f: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&f) {
            self.bump();
        }
    }

    /// The next token, or the lexical error Loki reports for it.
    pub fn next_token(&mut self) -> LexResult<'a> {
        loop {
            self.bump_while(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
            let (line, col) = (self.line, self.col + 1);
            let err = |msg: &str| Err(ParseError::at(msg, line, col));
            let Some(c) = self.peek() else {
                return Ok(Token {
                    tok: Tok::Eof,
                    line,
                    col,
                });
            };
            let start = self.pos;
            if c == '\0' {
                return err("invalid character NUL");
            }
            if c == '/' && matches!(self.peek_at(1), Some('/' | '*')) {
                self.bump();
                let body_start = self.pos + 1;
                if self.bump() == Some('/') {
                    self.bump_while(|c| c != '\n');
                } else {
                    let Some(end) = self.src[self.pos..].find("*/") else {
                        return err("comment not terminated");
                    };
                    let stop = self.pos + end + 2;
                    while self.pos < stop {
                        self.bump();
                    }
                }
                if self.src[body_start..self.pos].contains('\0') {
                    return err("invalid character NUL");
                }
                continue;
            }
            if c == '#' {
                self.bump_while(|c| c != '\n');
                if self.src[start..self.pos].contains('\0') {
                    return Err(ParseError::at("invalid character NUL", 0, col));
                }
                self.after_prev = self.pos;
                continue;
            }
            let mut extended = false;
            let tok = if c == '_' || c.is_alphabetic() {
                let text = self.scan_ident();
                self.word(text)
            } else if c.is_ascii_digit()
                || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
            {
                if let Some(msg) = self.scan_number() {
                    return err(&msg);
                }
                self.number_token(start, &mut extended)
            } else {
                match c {
                    '"' => match self.scan_string() {
                        Ok(s) => Tok::Str(s),
                        Err(msg) => return err(msg),
                    },
                    '`' => {
                        self.bump();
                        let body_start = self.pos;
                        let Some(end) = self.src[self.pos..].find('`') else {
                            return err("literal not terminated");
                        };
                        let stop = self.pos + end;
                        while self.pos < stop {
                            self.bump();
                        }
                        self.bump();
                        let body = &self.src[body_start..stop];
                        if body.contains('\0') {
                            return err("invalid character NUL");
                        }
                        Tok::Str(Cow::Borrowed(body))
                    }
                    '\'' => {
                        if let Err(msg) = self.scan_char_literal() {
                            return err(msg);
                        }
                        Tok::Ident(&self.src[start..self.pos])
                    }
                    '[' => {
                        self.bump();
                        let Some(end) = self.src[self.pos..].find(']') else {
                            return Err(ParseError::at("missing closing ']' in duration", 0, col));
                        };
                        let inner = &self.src[self.pos..self.pos + end];
                        let stop = self.pos + end + 1;
                        while self.pos < stop {
                            self.bump();
                        }
                        match parse_prometheus_duration(inner) {
                            Ok(ns) => {
                                extended = true;
                                Tok::Range(ns)
                            }
                            Err(msg) => return Err(ParseError::at(msg, 0, col)),
                        }
                    }
                    '-' => {
                        self.bump();
                        self.minus(&mut extended)
                    }
                    _ => {
                        self.bump();
                        self.punct(c, &mut extended)
                    }
                }
            };
            self.after_prev = self.pos;
            return Ok(Token {
                tok,
                line: if extended { 0 } else { line },
                col,
            });
        }
    }

    fn scan_ident(&mut self) -> &'a str {
        let start = self.pos;
        self.bump();
        let rest: IResult<&str, &str> =
            take_while(|c: char| c == '_' || c.is_alphanumeric())(&self.src[self.pos..]);
        if let Ok((_, tail)) = rest {
            for _ in tail.chars() {
                self.bump();
            }
        }
        &self.src[start..self.pos]
    }

    /// Keywords, function names (only before `(`) and identifiers.
    fn word(&self, text: &'a str) -> Tok<'a> {
        let lower = |s: &str| text.eq_ignore_ascii_case(s);
        let function = || self.followed_by_call();
        const RANGE_OPS: [RangeOp; 15] = [
            RangeOp::CountOverTime,
            RangeOp::Rate,
            RangeOp::RateCounter,
            RangeOp::BytesOverTime,
            RangeOp::BytesRate,
            RangeOp::AvgOverTime,
            RangeOp::SumOverTime,
            RangeOp::MinOverTime,
            RangeOp::MaxOverTime,
            RangeOp::StdvarOverTime,
            RangeOp::StddevOverTime,
            RangeOp::QuantileOverTime,
            RangeOp::FirstOverTime,
            RangeOp::LastOverTime,
            RangeOp::AbsentOverTime,
        ];
        const VECTOR_OPS: [VectorOp; 12] = [
            VectorOp::Sum,
            VectorOp::Avg,
            VectorOp::Min,
            VectorOp::Max,
            VectorOp::Count,
            VectorOp::Stddev,
            VectorOp::Stdvar,
            VectorOp::Topk,
            VectorOp::Bottomk,
            VectorOp::Sort,
            VectorOp::SortDesc,
            VectorOp::ApproxTopk,
        ];
        let func = if let Some(op) = RANGE_OPS.iter().find(|op| lower(op.as_str())) {
            Some(Tok::RangeOp(*op))
        } else if let Some(op) = VECTOR_OPS.iter().find(|op| lower(op.as_str())) {
            Some(Tok::VectorOp(*op))
        } else if lower("vector") {
            Some(Tok::Vector)
        } else if lower("label_replace") {
            Some(Tok::LabelReplace)
        } else if lower("bytes") {
            Some(Tok::Conv(UnwrapConversion::Bytes))
        } else if lower("duration") {
            Some(Tok::Conv(UnwrapConversion::Duration))
        } else if lower("duration_seconds") {
            Some(Tok::Conv(UnwrapConversion::DurationSeconds))
        } else if lower("ip") {
            Some(Tok::Ip)
        } else {
            None
        };
        if let Some(tok) = func {
            return if function() { tok } else { Tok::Ident(text) };
        }
        const KEYWORDS: [Kw; 24] = [
            Kw::By,
            Kw::Without,
            Kw::Bool,
            Kw::On,
            Kw::Ignoring,
            Kw::GroupLeft,
            Kw::GroupRight,
            Kw::Offset,
            Kw::Unwrap,
            Kw::Json,
            Kw::Logfmt,
            Kw::Regexp,
            Kw::Unpack,
            Kw::Pattern,
            Kw::LineFormat,
            Kw::LabelFormat,
            Kw::Decolorize,
            Kw::Drop,
            Kw::Keep,
            Kw::Variants,
            Kw::Of,
            Kw::Or,
            Kw::And,
            Kw::Unless,
        ];
        match KEYWORDS.iter().find(|k| lower(k.text())) {
            Some(k) => Tok::Kw(*k),
            None => Tok::Ident(text),
        }
    }

    /// Loki's `isFunction`: the next non-space text is `(`, or `by` /
    /// `without` (any case) then spaces then `(`.
    fn followed_by_call(&self) -> bool {
        let rest = self.src[self.pos..].trim_start();
        if rest.starts_with('(') {
            return true;
        }
        let keyword = if rest.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("by")) {
            2
        } else if rest
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("without"))
        {
            7
        } else {
            return false;
        };
        rest[keyword..].trim_start().starts_with('(')
    }

    /// Go's `scanNumber`; returns the scanner's error, if any.
    fn scan_number(&mut self) -> Option<String> {
        let start = self.pos;
        let b = self.src.as_bytes();
        let mut i = self.pos;
        let mut base = 10;
        let mut prefix = 0u8;
        let mut digsep = 0;
        let mut invalid: Option<u8> = None;
        let mut error: Option<String> = None;
        let set_err = |e: &mut Option<String>, msg: String| {
            if e.is_none() {
                *e = Some(msg);
            }
        };
        let mut is_float = false;
        let digits = |i: &mut usize, base: u32, invalid: &mut Option<u8>, digsep: &mut i32| {
            while let Some(&c) = b.get(*i) {
                let ok = if base <= 10 {
                    c.is_ascii_digit() || c == b'_'
                } else {
                    c.is_ascii_hexdigit() || c == b'_'
                };
                if !ok {
                    break;
                }
                if c == b'_' {
                    *digsep |= 2;
                } else {
                    *digsep |= 1;
                    if base <= 10 && u32::from(c - b'0') >= base && invalid.is_none() {
                        *invalid = Some(c);
                    }
                }
                *i += 1;
            }
        };
        if b[i] != b'.' {
            if b[i] == b'0' {
                i += 1;
                match b.get(i).map(|c| c | 0x20) {
                    Some(b'x') => {
                        i += 1;
                        base = 16;
                        prefix = b'x';
                    }
                    Some(b'o') => {
                        i += 1;
                        base = 8;
                        prefix = b'o';
                    }
                    Some(b'b') => {
                        // Loki's scanner copy only takes `0b` as a prefix when
                        // the token was not preceded by white space.
                        let prev_ws = self.src[self.after_prev..].starts_with(char::is_whitespace);
                        if !prev_ws {
                            i += 1;
                            base = 2;
                            prefix = b'b';
                        }
                    }
                    _ => {
                        base = 8;
                        prefix = b'0';
                        digsep = 1;
                    }
                }
            }
            digits(&mut i, base, &mut invalid, &mut digsep);
            if b.get(i) == Some(&b'.') {
                i += 1;
                is_float = true;
            }
        } else {
            i += 1;
            is_float = true;
        }
        let litname = match prefix {
            b'x' => "hexadecimal literal",
            b'o' | b'0' => "octal literal",
            b'b' => "binary literal",
            _ => "decimal literal",
        };
        if is_float {
            if prefix == b'o' || prefix == b'b' {
                set_err(&mut error, format!("invalid radix point in {litname}"));
            }
            digits(&mut i, base, &mut invalid, &mut digsep);
        }
        if digsep & 1 == 0 {
            set_err(&mut error, format!("{litname} has no digits"));
        }
        // An `e` exponent needs a decimal mantissa and a `p` exponent a
        // hexadecimal one; either is read as an exponent regardless, so
        // `1PB` fails as in Loki 3.7 ("'P' exponent requires hexadecimal
        // mantissa") instead of becoming a byte size.
        let exponent = b.get(i).filter(|c| matches!(**c | 0x20, b'e' | b'p'));
        if let Some(&e) = exponent {
            if e | 0x20 == b'e' && prefix != 0 && prefix != b'0' {
                set_err(
                    &mut error,
                    format!("'{}' exponent requires decimal mantissa", e as char),
                );
            }
            if e | 0x20 == b'p' && prefix != b'x' {
                set_err(
                    &mut error,
                    format!("'{}' exponent requires hexadecimal mantissa", e as char),
                );
            }
            i += 1;
            is_float = true;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let mut ds = 0;
            let mut none = None;
            digits(&mut i, 10, &mut none, &mut ds);
            digsep |= ds;
            if ds & 1 == 0 {
                set_err(&mut error, "exponent has no digits".to_string());
            }
        } else if prefix == b'x' && is_float {
            set_err(
                &mut error,
                "hexadecimal mantissa requires a 'p' exponent".to_string(),
            );
        }
        if !is_float {
            if let Some(d) = invalid {
                set_err(
                    &mut error,
                    format!("invalid digit '{}' in {litname}", d as char),
                );
            }
        }
        if digsep & 2 != 0 && !separators_ok(&self.src[start..i]) {
            set_err(
                &mut error,
                "'_' must separate successive digits".to_string(),
            );
        }
        while self.pos < i {
            self.bump();
        }
        error
    }

    /// Loki's number handling: duration, byte size, or plain number.
    fn number_token(&mut self, start: usize, extended: &mut bool) -> Tok<'a> {
        let text = &self.src[start..self.pos];
        if let Some(ns) = self.try_suffix(text, is_duration_rune, parse_literal_duration) {
            *extended = true;
            return Tok::Duration(ns);
        }
        if let Some(n) = self.try_suffix(text, is_bytes_rune, |s| parse_bytes(s).ok()) {
            *extended = true;
            return Tok::Bytes(n);
        }
        Tok::Number(text)
    }

    /// Loki's `tryScanDuration` / `tryScanBytes`: the run of unit runes,
    /// digits and dots right after `head` is taken only if `parse` accepts
    /// `head` + run.
    fn try_suffix<T>(
        &mut self,
        head: &str,
        unit_rune: fn(char) -> bool,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let rest = &self.src[self.pos..];
        let run_len: usize = rest
            .chars()
            .take_while(|&c| !c.is_whitespace() && (c.is_numeric() || unit_rune(c) || c == '.'))
            .map(char::len_utf8)
            .sum();
        if run_len == 0 {
            return None;
        }
        let mut text = String::with_capacity(head.len() + run_len);
        text.push_str(head);
        text.push_str(&rest[..run_len]);
        let value = parse(&text)?;
        let stop = self.pos + run_len;
        while self.pos < stop {
            self.bump();
        }
        Some(value)
    }

    /// After `-`: a parser flag, a negative duration, or minus.
    fn minus(&mut self, extended: &mut bool) -> Tok<'a> {
        if self.peek() == Some('-') {
            let run: usize = self.src[self.pos..]
                .chars()
                .take_while(|&c| c.is_alphabetic() || c == '-')
                .map(char::len_utf8)
                .sum();
            let flag = match &self.src[self.pos..self.pos + run] {
                "-strict" => Some("--strict"),
                "-keep-empty" => Some("--keep-empty"),
                _ => None,
            };
            if let Some(flag) = flag {
                let stop = self.pos + run;
                while self.pos < stop {
                    self.bump();
                }
                *extended = true;
                return Tok::Flag(flag);
            }
        }
        if let Some(ns) = self.try_suffix("-", is_duration_rune, parse_literal_duration) {
            *extended = true;
            return Tok::Duration(ns);
        }
        Tok::P(Punct::Sub)
    }

    /// Single-character tokens and the two-character operators.
    fn punct(&mut self, c: char, extended: &mut bool) -> Tok<'a> {
        let two = match (c, self.peek()) {
            ('!', Some('=')) => Some(Punct::Neq),
            ('=', Some('~')) => Some(Punct::Re),
            ('!', Some('~')) => Some(Punct::Nre),
            ('!', Some('>')) => Some(Punct::Npa),
            ('|', Some('=')) => Some(Punct::PipeExact),
            ('|', Some('~')) => Some(Punct::PipeMatch),
            ('|', Some('>')) => Some(Punct::PipePattern),
            ('=', Some('=')) => Some(Punct::CmpEq),
            ('>', Some('=')) => Some(Punct::Gte),
            ('<', Some('=')) => Some(Punct::Lte),
            _ => None,
        };
        if let Some(p) = two {
            self.bump();
            *extended = true;
            return Tok::P(p);
        }
        let one = match c {
            ',' => Punct::Comma,
            '.' => Punct::Dot,
            '{' => Punct::LBrace,
            '}' => Punct::RBrace,
            '(' => Punct::LParen,
            ')' => Punct::RParen,
            ']' => Punct::RBracket,
            '=' => Punct::Eq,
            '|' => Punct::Pipe,
            '+' => Punct::Add,
            '*' => Punct::Mul,
            '/' => Punct::Div,
            '%' => Punct::Mod,
            '^' => Punct::Pow,
            '>' => Punct::Gt,
            '<' => Punct::Lt,
            _ => {
                let start = self.pos - c.len_utf8();
                return Tok::Ident(&self.src[start..self.pos]);
            }
        };
        Tok::P(one)
    }

    /// A double-quoted Go string; returns its value.
    fn scan_string(&mut self) -> Result<Cow<'a, str>, &'static str> {
        self.bump();
        let body_start = self.pos;
        let mut escaped = false;
        loop {
            match self.peek() {
                None | Some('\n') => return Err("literal not terminated"),
                Some('\0') => return Err("invalid character NUL"),
                Some('"') => break,
                Some('\\') => {
                    escaped = true;
                    self.scan_escape('"')?;
                }
                Some(_) => {
                    self.bump();
                }
            }
        }
        let body = &self.src[body_start..self.pos];
        self.bump();
        if !escaped {
            return Ok(Cow::Borrowed(body));
        }
        unescape(body).map(Cow::Owned)
    }

    /// A Go character literal (`'a'`): valid only with exactly one character.
    fn scan_char_literal(&mut self) -> Result<(), &'static str> {
        self.bump();
        let mut n = 0;
        loop {
            match self.peek() {
                None | Some('\n') => return Err("literal not terminated"),
                Some('\0') => return Err("invalid character NUL"),
                Some('\'') => break,
                Some('\\') => self.scan_escape('\'')?,
                Some(_) => {
                    self.bump();
                }
            }
            n += 1;
        }
        self.bump();
        if n != 1 {
            return Err("invalid char literal");
        }
        Ok(())
    }

    /// Go's `scanEscape`: validates one escape sequence after `\`.
    fn scan_escape(&mut self, quote: char) -> Result<(), &'static str> {
        self.bump();
        let c = self.peek();
        let (base, count) = match c {
            Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\') => (0, 0),
            Some(q) if q == quote => (0, 0),
            Some('0'..='7') => (8, 3),
            Some('x') => (16, 2),
            Some('u') => (16, 4),
            Some('U') => (16, 8),
            _ => return Err("invalid char escape"),
        };
        if base == 0 {
            self.bump();
            return Ok(());
        }
        if base == 16 {
            self.bump();
        }
        for _ in 0..count {
            match self.peek() {
                Some(d) if d.is_digit(base) => {
                    self.bump();
                }
                _ => return Err("invalid char escape"),
            }
        }
        Ok(())
    }
}

fn is_duration_rune(c: char) -> bool {
    matches!(c, 'n' | 'u' | 'µ' | 'm' | 's' | 'h' | 'd' | 'w' | 'y')
}

fn is_bytes_rune(c: char) -> bool {
    matches!(c, 'B' | 'i' | 'k' | 'K' | 'M' | 'G' | 'T' | 'P')
}

/// Go's `invalidSep`: every `_` must sit between two digits (a base prefix
/// counts as a digit).
fn separators_ok(x: &str) -> bool {
    let b = x.as_bytes();
    let mut i = 0;
    let mut hex = false;
    // Previous class: b'0' digit, b'_' underscore, b'.' anything else.
    let mut prev = b'.';
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'x' | b'o' | b'b') {
        hex = b[1] | 0x20 == b'x';
        prev = b'0';
        i = 2;
    }
    while i < b.len() {
        let c = b[i];
        if c == b'_' {
            if prev != b'0' {
                return false;
            }
            prev = b'_';
        } else if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            prev = b'0';
        } else {
            if prev == b'_' {
                return false;
            }
            prev = b'.';
        }
        i += 1;
    }
    prev != b'_'
}

/// Go's `strconv.Unquote` for the body of a double-quoted string whose
/// escapes the scanner already validated.
fn unescape(body: &str) -> Result<String, &'static str> {
    let b = body.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b.get(i + 1).copied().ok_or("invalid syntax")?;
        i += 2;
        let simple = match c {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            continue;
        }
        match c {
            b'0'..=b'7' => {
                let digits = body.get(i - 1..i + 2).ok_or("invalid syntax")?;
                let v = u32::from_str_radix(digits, 8).map_err(|_| "invalid syntax")?;
                if v > 255 {
                    return Err("invalid syntax");
                }
                out.push(v as u8);
                i += 2;
            }
            b'x' => {
                let digits = body.get(i..i + 2).ok_or("invalid syntax")?;
                out.push(u8::from_str_radix(digits, 16).map_err(|_| "invalid syntax")?);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let digits = body.get(i..i + n).ok_or("invalid syntax")?;
                let v = u32::from_str_radix(digits, 16).map_err(|_| "invalid syntax")?;
                let ch = char::from_u32(v).ok_or("invalid syntax")?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += n;
            }
            _ => return Err("invalid syntax"),
        }
    }
    // Go strings may hold any bytes; a Rust string must be UTF-8.
    String::from_utf8(out).map_err(|_| "invalid UTF-8 rune")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> Vec<Tok<'_>> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            if t.tok == Tok::Eof {
                return out;
            }
            out.push(t.tok);
        }
    }

    fn lex_err(src: &str) -> String {
        let mut lx = Lexer::new(src);
        loop {
            match lx.next_token() {
                Ok(t) if t.tok == Tok::Eof => panic!("no error in {src}"),
                Ok(_) => {}
                Err(e) => return e.to_string(),
            }
        }
    }

    const S: i64 = 1_000_000_000;

    #[test]
    fn strings_and_escapes() {
        let cases: &[(&str, &str)] = &[
            (r#""say \"hello\"""#, "say \"hello\""),
            (r#""tab\there""#, "tab\there"),
            (r#""caf\u00e9""#, "café"),
            (r#""\x41BC""#, "ABC"),
            (r#""\101BC""#, "ABC"),
            (r#""back\\slash""#, "back\\slash"),
            (r#""\xc3\xa9""#, "é"),
            (r#""\U0001F600""#, "😀"),
            ("`C:\\Windows\\System32`", "C:\\Windows\\System32"),
            ("`multi\nline`", "multi\nline"),
            (r#""日本語""#, "日本語"),
            (r#""""#, ""),
            (r##""#not-a-comment""##, "#not-a-comment"),
        ];
        for (src, want) in cases {
            assert_eq!(lex(src), vec![Tok::Str(Cow::Borrowed(*want))], "{src}");
        }
    }

    #[test]
    fn string_errors() {
        let cases: &[(&str, &str)] = &[
            (
                r#"x "bad \q escape""#,
                "parse error at line 1, col 3: invalid char escape",
            ),
            (
                r#""unterminated"#,
                "parse error at line 1, col 1: literal not terminated",
            ),
            (
                "`unterminated",
                "parse error at line 1, col 1: literal not terminated",
            ),
            (
                "\"new\nline\"",
                "parse error at line 1, col 1: literal not terminated",
            ),
            (
                "'single quotes'",
                "parse error at line 1, col 1: invalid char literal",
            ),
            (r#""\777""#, "parse error at line 1, col 1: invalid syntax"),
            (
                r#""\ud800""#,
                "parse error at line 1, col 1: invalid syntax",
            ),
            (
                r#""\xff""#,
                "parse error at line 1, col 1: invalid UTF-8 rune",
            ),
            (
                r#""\'""#,
                "parse error at line 1, col 1: invalid char escape",
            ),
            ("a\0", "parse error at line 1, col 2: invalid character NUL"),
            (
                "/* open",
                "parse error at line 1, col 1: comment not terminated",
            ),
        ];
        for (src, want) in cases {
            assert_eq!(lex_err(src), *want, "{src}");
        }
        assert_eq!(lex("'a'"), vec![Tok::Ident("'a'")]);
    }

    #[test]
    fn numbers_durations_bytes() {
        let cases: &[(&str, Tok<'_>)] = &[
            ("1", Tok::Number("1")),
            ("1.5", Tok::Number("1.5")),
            (".5", Tok::Number(".5")),
            ("1e3", Tok::Number("1e3")),
            ("1_000", Tok::Number("1_000")),
            ("0x1F", Tok::Number("0x1F")),
            ("5m", Tok::Duration(300 * S)),
            ("1h30m", Tok::Duration(5400 * S)),
            ("1.5h", Tok::Duration(5400 * S)),
            ("1d", Tok::Duration(86400 * S)),
            ("250µs", Tok::Duration(250_000)),
            ("-5m", Tok::Duration(-300 * S)),
            ("-0", Tok::Duration(0)),
            ("1KB", Tok::Bytes(1000)),
            ("1TiB", Tok::Bytes(1 << 40)),
            ("0x1p4", Tok::Number("0x1p4")),
            ("1.5KiB", Tok::Bytes(1536)),
            ("10k", Tok::Bytes(10_000)),
            ("1M", Tok::Bytes(1_000_000)),
            ("[5m]", Tok::Range(300 * S)),
            ("[1h30m]", Tok::Range(5400 * S)),
            ("--strict", Tok::Flag("--strict")),
            ("--keep-empty", Tok::Flag("--keep-empty")),
        ];
        for (src, want) in cases {
            assert_eq!(lex(src), vec![want.clone()], "{src}");
        }
        assert_eq!(lex("1m30"), vec![Tok::Number("1"), Tok::Ident("m30")]);
        assert_eq!(lex("10kb"), vec![Tok::Bytes(10_000), Tok::Ident("b")]);
        assert_eq!(
            lex("- 5m"),
            vec![Tok::P(Punct::Sub), Tok::Duration(300 * S)]
        );
        assert_eq!(lex("-5"), vec![Tok::P(Punct::Sub), Tok::Number("5")]);
        assert_eq!(
            lex("--foo"),
            vec![Tok::P(Punct::Sub), Tok::P(Punct::Sub), Tok::Ident("foo")]
        );
    }

    #[test]
    fn number_errors() {
        let cases: &[(&str, &str)] = &[
            (
                "x == 0B",
                "parse error at line 1, col 6: decimal literal has no digits",
            ),
            (
                "x==0B",
                "parse error at line 1, col 4: binary literal has no digits",
            ),
            (
                "1EB",
                "parse error at line 1, col 1: exponent has no digits",
            ),
            (
                "08",
                "parse error at line 1, col 1: invalid digit '8' in octal literal",
            ),
            (
                "1__0",
                "parse error at line 1, col 1: '_' must separate successive digits",
            ),
            (
                "0x1.5",
                "parse error at line 1, col 1: hexadecimal mantissa requires a 'p' exponent",
            ),
            (
                "[5M]",
                r#"parse error at line 0, col 1: unknown unit "M" in duration "5M""#,
            ),
            (
                "[ 5m ]",
                r#"parse error at line 0, col 1: not a valid duration string: " 5m ""#,
            ),
            (
                "x [5m",
                "parse error at line 0, col 3: missing closing ']' in duration",
            ),
        ];
        for (src, want) in cases {
            assert_eq!(lex_err(src), *want, "{src}");
        }
    }

    #[test]
    fn keywords_and_functions() {
        assert_eq!(lex("SUM BY (x)")[0], Tok::VectorOp(VectorOp::Sum));
        assert_eq!(lex("sum(")[0], Tok::VectorOp(VectorOp::Sum));
        assert_eq!(lex("sum without(x)")[0], Tok::VectorOp(VectorOp::Sum));
        assert_eq!(lex("sum > 5")[0], Tok::Ident("sum"));
        assert_eq!(lex("rate)")[0], Tok::Ident("rate"));
        assert_eq!(lex("bytes [5m]")[0], Tok::Ident("bytes"));
        assert_eq!(lex("bytes(x)")[0], Tok::Conv(UnwrapConversion::Bytes));
        assert_eq!(lex("ip(")[0], Tok::Ip);
        assert_eq!(lex("ip=")[0], Tok::Ident("ip"));
        assert_eq!(lex("JSON")[0], Tok::Kw(Kw::Json));
        assert_eq!(lex("And")[0], Tok::Kw(Kw::And));
        assert_eq!(lex("café")[0], Tok::Ident("café"));
        assert_eq!(lex("@")[0], Tok::Ident("@"));
        assert_eq!(lex("!")[0], Tok::Ident("!"));
    }

    #[test]
    fn operators_and_comments() {
        assert_eq!(
            lex("|= |~ |> != !~ !> =~ == >= <= | = > <"),
            [
                Punct::PipeExact,
                Punct::PipeMatch,
                Punct::PipePattern,
                Punct::Neq,
                Punct::Nre,
                Punct::Npa,
                Punct::Re,
                Punct::CmpEq,
                Punct::Gte,
                Punct::Lte,
                Punct::Pipe,
                Punct::Eq,
                Punct::Gt,
                Punct::Lt
            ]
            .map(Tok::P)
            .to_vec()
        );
        assert_eq!(lex("a # c\nb // d\n/* e */ c / d").len(), 5);
        assert_eq!(lex("a /* x */ b"), vec![Tok::Ident("a"), Tok::Ident("b")]);
    }

    #[test]
    fn positions() {
        let mut lx = Lexer::new("{a=\"b\"}\n  |= \"x\" [5m]");
        let toks: Vec<(u32, u32)> = std::iter::from_fn(|| {
            let t = lx.next_token().ok()?;
            (t.tok != Tok::Eof).then_some((t.line, t.col))
        })
        .collect();
        assert_eq!(
            toks,
            vec![
                (1, 1),
                (1, 2),
                (1, 3),
                (1, 4),
                (1, 7),
                (0, 3),
                (2, 6),
                (0, 10)
            ]
        );
        let mut lx = Lexer::new("ab");
        lx.next_token().unwrap();
        let eof = lx.next_token().unwrap();
        assert_eq!((eof.line, eof.col), (1, 3));
    }
}

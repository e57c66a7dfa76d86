//! Log expressions: selectors, pipeline stages, line and label filters,
//! `unwrap`.

use super::{PResult, Parser};
use crate::logql::ast::{
    CmpOp, LabelFilterExpr, LineFilterOp, LogExpr, NamedLabel, Stage, Unwrap, UnwrapConversion,
};
use crate::logql::error::ParseError;
use crate::logql::lexer::{Kw, Punct, Tok};
use crate::logql::validate::{self, RawLabelFormat, RawOperand};
use crate::model::{go_quote, MatchOp, Matcher};

/// Placeholder for a label filter whose build error was recorded.
fn placeholder_filter(name: String) -> LabelFilterExpr {
    LabelFilterExpr::Number {
        name,
        op: CmpOp::Eq,
        value: 0.0,
    }
}

impl<'a> Parser<'a> {
    /// A selector and its pipeline (no `unwrap`): a log query.
    pub(super) fn log_expr(&mut self) -> PResult<LogExpr> {
        let selector = self.selector()?;
        let (stages, _) = self.pipeline(false)?;
        Ok(LogExpr { selector, stages })
    }

    /// `{name op "value", ...}`; `{}` parses (and fails validation later).
    pub(super) fn selector(&mut self) -> PResult<Vec<Matcher>> {
        self.expect(Punct::LBrace, &["{"])?;
        let mut matchers = Vec::new();
        if self.eat(Punct::RBrace)? {
            return Ok(matchers);
        }
        loop {
            if !matches!(self.peek_tok()?, Tok::Ident(_)) {
                let expecting: &[&str] = if matchers.is_empty() {
                    &["IDENTIFIER", "}"]
                } else {
                    &["IDENTIFIER"]
                };
                return Err(self.unexpected(expecting));
            }
            matchers.push(self.matcher()?);
            if self.eat(Punct::Comma)? {
                continue;
            }
            self.expect(Punct::RBrace, &["}", ","])?;
            return Ok(matchers);
        }
    }

    /// `name op "value"` with `= != =~ !~`, the regex compiled (an invalid
    /// one stops the parse, as in Loki).
    fn matcher(&mut self) -> PResult<Matcher> {
        let name = self.ident()?;
        let op = self.match_op()?;
        let value = self.string()?;
        validate::matcher(&name, op, value).map_err(ParseError::semantic)
    }

    fn match_op(&mut self) -> PResult<MatchOp> {
        let op = match self.peek_tok()? {
            Tok::P(Punct::Eq) => MatchOp::Eq,
            Tok::P(Punct::Neq) => MatchOp::Neq,
            Tok::P(Punct::Re) => MatchOp::Re,
            Tok::P(Punct::Nre) => MatchOp::Nre,
            _ => return Err(self.unexpected(&["=", "!=", "=~", "!~"])),
        };
        self.next()?;
        Ok(op)
    }

    fn ident(&mut self) -> PResult<String> {
        match self.peek_tok()? {
            Tok::Ident(s) => {
                let s = s.to_string();
                self.next()?;
                Ok(s)
            }
            _ => Err(self.unexpected(&["IDENTIFIER"])),
        }
    }

    fn string(&mut self) -> PResult<String> {
        match self.peek_tok()? {
            Tok::Str(s) => {
                let s = s.to_string();
                self.next()?;
                Ok(s)
            }
            _ => Err(self.unexpected(&["STRING"])),
        }
    }

    /// Stages up to the first token that cannot continue the pipeline. With
    /// `allow_unwrap`, a final `| unwrap ...` and its label filters are
    /// returned apart.
    pub(super) fn pipeline(&mut self, allow_unwrap: bool) -> PResult<(Vec<Stage>, Option<Unwrap>)> {
        let mut stages = Vec::new();
        loop {
            let op = match self.peek_tok()? {
                Tok::P(Punct::PipeExact) => LineFilterOp::Contains,
                Tok::P(Punct::Neq) => LineFilterOp::NotContains,
                Tok::P(Punct::PipeMatch) => LineFilterOp::Regex,
                Tok::P(Punct::Nre) => LineFilterOp::NotRegex,
                Tok::P(Punct::PipePattern) => LineFilterOp::Pattern,
                Tok::P(Punct::Npa) => LineFilterOp::NotPattern,
                Tok::P(Punct::Pipe) => {
                    if self.peek2()?.tok == Tok::Kw(Kw::Unwrap) {
                        self.next()?;
                        if !allow_unwrap {
                            return Err(self.unexpected(&[]));
                        }
                        let unwrap = self.unwrap()?;
                        return Ok((stages, Some(unwrap)));
                    }
                    self.next()?;
                    self.stage(&mut stages)?;
                    continue;
                }
                _ => return Ok((stages, None)),
            };
            self.next()?;
            self.line_filter(op, &mut stages)?;
        }
    }

    /// One line filter with its `or` chain (the operator is consumed).
    fn line_filter(&mut self, op: LineFilterOp, stages: &mut Vec<Stage>) -> PResult<()> {
        let mut operands = vec![self.filter_operand()?];
        while *self.peek_tok()? == Tok::Kw(Kw::Or) {
            self.next()?;
            operands.push(self.filter_operand()?);
        }
        match validate::line_filters(op, operands) {
            Ok(filters) => stages.extend(filters.into_iter().map(Stage::LineFilter)),
            Err(e) => self.build_failed(e),
        }
        Ok(())
    }

    /// `"text"` or `ip("pattern")`.
    fn filter_operand(&mut self) -> PResult<RawOperand> {
        match self.peek_tok()? {
            Tok::Str(_) => Ok(RawOperand::Str(self.string()?)),
            Tok::Ip => {
                self.next()?;
                self.expect(Punct::LParen, &["("])?;
                let s = self.string()?;
                self.expect(Punct::RParen, &[")"])?;
                Ok(RawOperand::Ip(s))
            }
            _ => Err(self.unexpected(&["STRING", "ip"])),
        }
    }

    /// The stage after a `|`.
    fn stage(&mut self, stages: &mut Vec<Stage>) -> PResult<()> {
        let tok = self.peek_tok()?.clone();
        let stage = match tok {
            Tok::Kw(Kw::Json) => {
                self.next()?;
                let extractions = self.extractions()?;
                if extractions.is_empty() {
                    Some(Stage::Json(crate::logql::ast::JsonParser {
                        extractions: Vec::new(),
                    }))
                } else {
                    self.built(validate::json_parser(extractions).map(Stage::Json))
                }
            }
            Tok::Kw(Kw::Logfmt) => {
                self.next()?;
                let (mut strict, mut keep_empty) = (false, false);
                while let Tok::Flag(flag) = *self.peek_tok()? {
                    strict |= flag == "--strict";
                    keep_empty |= flag == "--keep-empty";
                    self.next()?;
                }
                let extractions = self.extractions()?;
                self.built(
                    validate::logfmt_parser(strict, keep_empty, extractions).map(Stage::Logfmt),
                )
            }
            Tok::Kw(Kw::Regexp) => {
                self.next()?;
                let src = self.string()?;
                let p = validate::regexp_parser(src).map_err(ParseError::semantic)?;
                Some(Stage::Regexp(p))
            }
            Tok::Kw(Kw::Pattern) => {
                self.next()?;
                let src = self.string()?;
                let p = validate::pattern_parser(&src).map_err(ParseError::semantic)?;
                Some(Stage::Pattern(p))
            }
            Tok::Kw(Kw::Unpack) => {
                self.next()?;
                Some(Stage::Unpack)
            }
            Tok::Kw(Kw::LineFormat) => {
                self.next()?;
                let src = self.string()?;
                self.built(validate::line_format(&src).map(Stage::LineFormat))
            }
            Tok::Kw(Kw::LabelFormat) => {
                self.next()?;
                let items = self.label_format_items()?;
                self.built(validate::label_format(items).map(Stage::LabelFormat))
            }
            Tok::Kw(Kw::Decolorize) => {
                self.next()?;
                Some(Stage::Decolorize)
            }
            Tok::Kw(Kw::Drop) => {
                self.next()?;
                Some(Stage::Drop(self.named_labels()?))
            }
            Tok::Kw(Kw::Keep) => {
                self.next()?;
                Some(Stage::Keep(self.named_labels()?))
            }
            Tok::Ident(_) | Tok::P(Punct::LParen) => {
                let (f, _) = self.label_filter(0)?;
                Some(Stage::LabelFilter(f))
            }
            _ => return Err(self.unexpected(&[])),
        };
        stages.extend(stage);
        Ok(())
    }

    /// Keeps a built stage, or records its build error.
    fn built(&mut self, r: Result<Stage, ParseError>) -> Option<Stage> {
        r.map_err(|e| self.build_failed(e)).ok()
    }

    /// `label="expr", other, ...` after `json` / `logfmt` (maybe none).
    fn extractions(&mut self) -> PResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        if !matches!(self.peek_tok()?, Tok::Ident(_)) {
            return Ok(out);
        }
        loop {
            let label = self.ident()?;
            let expr = if self.eat(Punct::Eq)? {
                self.string()?
            } else {
                label.clone()
            };
            out.push((label, expr));
            if !self.eat(Punct::Comma)? {
                return Ok(out);
            }
        }
    }

    /// `dst=src, dst="template", ...` after `label_format`.
    fn label_format_items(&mut self) -> PResult<Vec<RawLabelFormat>> {
        let mut items = Vec::new();
        loop {
            let dst = self.ident()?;
            self.expect(Punct::Eq, &["="])?;
            let item = match self.peek_tok()? {
                Tok::Ident(src) => {
                    let src = src.to_string();
                    self.next()?;
                    RawLabelFormat::Rename(dst, src)
                }
                Tok::Str(_) => RawLabelFormat::Template(dst, self.string()?),
                _ => return Err(self.unexpected(&["IDENTIFIER", "STRING"])),
            };
            items.push(item);
            if !self.eat(Punct::Comma)? {
                return Ok(items);
            }
        }
    }

    /// `a, b="v", c=~"re"` after `drop` / `keep`.
    fn named_labels(&mut self) -> PResult<Vec<NamedLabel>> {
        let mut out = Vec::new();
        loop {
            let name = self.ident()?;
            let op = match self.peek_tok()? {
                Tok::P(Punct::Eq) => Some(MatchOp::Eq),
                Tok::P(Punct::Neq) => Some(MatchOp::Neq),
                Tok::P(Punct::Re) => Some(MatchOp::Re),
                Tok::P(Punct::Nre) => Some(MatchOp::Nre),
                _ => None,
            };
            out.push(match op {
                Some(op) => {
                    self.next()?;
                    let value = self.string()?;
                    let m = validate::matcher(&name, op, value).map_err(ParseError::semantic)?;
                    NamedLabel::Matcher(m)
                }
                None => NamedLabel::Name(name),
            });
            if !self.eat(Punct::Comma)? {
                return Ok(out);
            }
        }
    }

    /// `unwrap label` or `unwrap conv(label)`, then `| label filter`s.
    pub(super) fn unwrap(&mut self) -> PResult<Unwrap> {
        self.next()?;
        let (label, conversion) = match *self.peek_tok()? {
            Tok::Ident(_) => (self.ident()?, UnwrapConversion::Plain),
            Tok::Conv(conv) => {
                self.next()?;
                self.expect(Punct::LParen, &["("])?;
                let label = self.ident()?;
                self.expect(Punct::RParen, &[")"])?;
                (label, conv)
            }
            _ => {
                return Err(self.unexpected(&[
                    "IDENTIFIER",
                    "BYTES_CONV",
                    "DURATION_CONV",
                    "DURATION_SECONDS_CONV",
                ]))
            }
        };
        let mut post_filters = Vec::new();
        while self.eat(Punct::Pipe)? {
            if !matches!(self.peek_tok()?, Tok::Ident(_) | Tok::P(Punct::LParen)) {
                return Err(self.unexpected(&["IDENTIFIER", "("]));
            }
            post_filters.push(self.label_filter(0)?.0);
        }
        Ok(Unwrap {
            label,
            conversion,
            post_filters,
        })
    }

    /// A label filter expression. `or` binds loosest and is left
    /// associative, `and` next; `,` and juxtaposition join the filter on
    /// their left with everything that follows (Loki's yacc shifts on them),
    /// so `a, b or c` is `a and (b or c)` while `a or b, c` is
    /// `a or (b and c)`.
    pub(super) fn label_filter(&mut self, min: u8) -> PResult<(LabelFilterExpr, u32)> {
        let (mut lhs, mut depth) = self.label_predicate()?;
        loop {
            let (rhs, rhs_depth, is_or) = match self.peek_tok()? {
                Tok::Kw(Kw::Or) if min <= 1 => {
                    self.next()?;
                    let (r, d) = self.nested_label_filter(2)?;
                    (r, d, true)
                }
                Tok::Kw(Kw::And) if min <= 2 => {
                    self.next()?;
                    let (r, d) = self.nested_label_filter(3)?;
                    (r, d, false)
                }
                Tok::P(Punct::Comma) => {
                    self.next()?;
                    let (r, d) = self.nested_label_filter(0)?;
                    (r, d, false)
                }
                Tok::Ident(_) | Tok::P(Punct::LParen) => {
                    let (r, d) = self.nested_label_filter(0)?;
                    (r, d, false)
                }
                _ => break,
            };
            depth = depth.max(rhs_depth) + 1;
            self.check_depth(depth)?;
            lhs = if is_or {
                LabelFilterExpr::Or(Box::new(lhs), Box::new(rhs))
            } else {
                LabelFilterExpr::And(Box::new(lhs), Box::new(rhs))
            };
        }
        Ok((lhs, depth))
    }

    fn nested_label_filter(&mut self, min: u8) -> PResult<(LabelFilterExpr, u32)> {
        self.enter()?;
        let r = self.label_filter(min);
        self.leave();
        r
    }

    /// One comparison, or a parenthesized filter.
    fn label_predicate(&mut self) -> PResult<(LabelFilterExpr, u32)> {
        if self.eat(Punct::LParen)? {
            let inner = self.nested_label_filter(0)?;
            self.expect(Punct::RParen, &[])?;
            return Ok(inner);
        }
        let name = self.ident()?;
        let op_tok = self.peek_tok()?.clone();
        let cmp = match op_tok {
            Tok::P(Punct::Eq) => CmpOp::Eq,
            Tok::P(Punct::Neq) => CmpOp::Neq,
            Tok::P(Punct::CmpEq) => CmpOp::Eq,
            Tok::P(Punct::Gt) => CmpOp::Gt,
            Tok::P(Punct::Gte) => CmpOp::Gte,
            Tok::P(Punct::Lt) => CmpOp::Lt,
            Tok::P(Punct::Lte) => CmpOp::Lte,
            Tok::P(Punct::Re | Punct::Nre) => {
                let op = if op_tok == Tok::P(Punct::Re) {
                    MatchOp::Re
                } else {
                    MatchOp::Nre
                };
                self.next()?;
                let value = self.string()?;
                let m = validate::matcher(&name, op, value).map_err(ParseError::semantic)?;
                return Ok((LabelFilterExpr::Matcher(m), 1));
            }
            _ => return Err(self.unexpected(&[])),
        };
        self.next()?;
        let string_ok = matches!(op_tok, Tok::P(Punct::Eq | Punct::Neq));
        let value = self.peek_tok()?.clone();
        let filter = match value {
            Tok::Str(_) if string_ok => {
                let op = if cmp == CmpOp::Eq {
                    MatchOp::Eq
                } else {
                    MatchOp::Neq
                };
                let value = self.string()?;
                let m = validate::matcher(&name, op, value).map_err(ParseError::semantic)?;
                LabelFilterExpr::Matcher(m)
            }
            Tok::Ip if string_ok => {
                self.next()?;
                self.expect(Punct::LParen, &["("])?;
                let pattern = self.string()?;
                self.expect(Punct::RParen, &[")"])?;
                let negate = cmp == CmpOp::Neq;
                let text = format!(
                    "| {name}{}ip({})",
                    if negate { "!=" } else { "=" },
                    go_quote(&pattern)
                );
                match validate::ip_matcher(pattern) {
                    Ok(ip) => LabelFilterExpr::Ip { name, negate, ip },
                    Err(e) => {
                        self.build_failed(ParseError::stage(&text, e));
                        placeholder_filter(name)
                    }
                }
            }
            Tok::Duration(value) => {
                self.next()?;
                LabelFilterExpr::Duration {
                    name,
                    op: cmp,
                    value,
                }
            }
            Tok::Bytes(value) => {
                self.next()?;
                LabelFilterExpr::Bytes {
                    name,
                    op: cmp,
                    value,
                }
            }
            Tok::Number(_) | Tok::P(Punct::Add | Punct::Sub) => {
                let value = self.literal_value(false)?;
                LabelFilterExpr::Number {
                    name,
                    op: cmp,
                    value,
                }
            }
            _ => return Err(self.unexpected(&[])),
        };
        Ok((filter, 1))
    }
}

//! Expressions: binary operators, literals, aggregations, `vector()`,
//! `label_replace()` and log ranges.

use super::{Node, PResult, Parser};
use crate::logql::ast::{
    BinaryModifier, BinaryOp, GroupModifier, GroupSide, Grouping, LabelReplace, LogExpr, LogRange,
    MetricExpr, RangeOp, Unwrap, VectorMatching, VectorOp,
};
use crate::logql::lexer::{Kw, Punct, Tok};
use crate::logql::number::{go_float_value, parse_go_float};
use crate::logql::validate::{self, Operand};

/// Stand-in for an expression whose error was deferred; never returned.
const PLACEHOLDER: MetricExpr = MetricExpr::Vector(0.0);

fn binary_op(tok: &Tok<'_>) -> Option<BinaryOp> {
    Some(match tok {
        Tok::Kw(Kw::Or) => BinaryOp::Or,
        Tok::Kw(Kw::And) => BinaryOp::And,
        Tok::Kw(Kw::Unless) => BinaryOp::Unless,
        Tok::P(Punct::CmpEq) => BinaryOp::Eq,
        Tok::P(Punct::Neq) => BinaryOp::Neq,
        Tok::P(Punct::Gt) => BinaryOp::Gt,
        Tok::P(Punct::Gte) => BinaryOp::Gte,
        Tok::P(Punct::Lt) => BinaryOp::Lt,
        Tok::P(Punct::Lte) => BinaryOp::Lte,
        Tok::P(Punct::Add) => BinaryOp::Add,
        Tok::P(Punct::Sub) => BinaryOp::Sub,
        Tok::P(Punct::Mul) => BinaryOp::Mul,
        Tok::P(Punct::Div) => BinaryOp::Div,
        Tok::P(Punct::Mod) => BinaryOp::Mod,
        Tok::P(Punct::Pow) => BinaryOp::Pow,
        _ => return None,
    })
}

/// Loki's precedence, low to high; `^` is right-associative.
fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And | BinaryOp::Unless => 2,
        BinaryOp::Eq
        | BinaryOp::Neq
        | BinaryOp::Gt
        | BinaryOp::Gte
        | BinaryOp::Lt
        | BinaryOp::Lte => 3,
        BinaryOp::Add | BinaryOp::Sub => 4,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 5,
        BinaryOp::Pow => 6,
    }
}

impl<'a> Parser<'a> {
    /// An expression whose binary operators bind at least as tight as
    /// `min_prec`; returns it with its tree depth.
    pub(super) fn expr(&mut self, min_prec: u8) -> PResult<(Node, u32)> {
        let (mut lhs, mut depth) = self.operand()?;
        while let Some(op) = binary_op(self.peek_tok()?) {
            let prec = precedence(op);
            if prec < min_prec {
                break;
            }
            self.next()?;
            let modifier = self.binary_modifier()?;
            let next_min = if op == BinaryOp::Pow { prec } else { prec + 1 };
            self.enter()?;
            let (rhs, rhs_depth) = self.expr(next_min)?;
            self.leave();
            depth = depth.max(rhs_depth) + 1;
            self.check_depth(depth)?;
            let result = validate::binary(op, modifier, operand(lhs), operand(rhs));
            lhs = Node::Metric(result.unwrap_or_else(|e| {
                self.defer(e);
                PLACEHOLDER
            }));
        }
        Ok((lhs, depth))
    }

    /// `bool`, then `on(...)` / `ignoring(...)`, then `group_left` /
    /// `group_right` with optional labels.
    fn binary_modifier(&mut self) -> PResult<BinaryModifier> {
        let mut m = BinaryModifier::default();
        if *self.peek_tok()? == Tok::Kw(Kw::Bool) {
            self.next()?;
            m.return_bool = true;
        }
        let on = match self.peek_tok()? {
            Tok::Kw(Kw::On) => true,
            Tok::Kw(Kw::Ignoring) => false,
            _ => return Ok(m),
        };
        self.next()?;
        self.expect(Punct::LParen, &["("])?;
        let labels = self.label_list()?;
        let side = match self.peek_tok()? {
            Tok::Kw(Kw::GroupLeft) => Some(GroupSide::Left),
            Tok::Kw(Kw::GroupRight) => Some(GroupSide::Right),
            _ => None,
        };
        let group = match side {
            Some(side) => {
                self.next()?;
                let include = if self.eat(Punct::LParen)? {
                    self.label_list()?
                } else {
                    Vec::new()
                };
                Some(GroupModifier { side, include })
            }
            None => None,
        };
        m.matching = Some(VectorMatching { on, labels, group });
        Ok(m)
    }

    /// Labels after `(`, up to and including `)`: `a, b)` or `)`.
    pub(super) fn label_list(&mut self) -> PResult<Vec<String>> {
        let mut labels = Vec::new();
        if self.eat(Punct::RParen)? {
            return Ok(labels);
        }
        loop {
            match self.peek_tok()? {
                Tok::Ident(name) => {
                    labels.push(name.to_string());
                    self.next()?;
                }
                _ => return Err(self.unexpected(&["IDENTIFIER"])),
            }
            if self.eat(Punct::Comma)? {
                continue;
            }
            self.expect(Punct::RParen, &[")", ","])?;
            return Ok(labels);
        }
    }

    /// `by (...)` / `without (...)`.
    fn grouping(&mut self) -> PResult<Option<Grouping>> {
        let without = match self.peek_tok()? {
            Tok::Kw(Kw::By) => false,
            Tok::Kw(Kw::Without) => true,
            _ => return Ok(None),
        };
        self.next()?;
        self.expect(Punct::LParen, &["("])?;
        let labels = self.label_list()?;
        Ok(Some(Grouping { without, labels }))
    }

    fn operand(&mut self) -> PResult<(Node, u32)> {
        let tok = self.peek_tok()?.clone();
        match tok {
            Tok::P(Punct::LParen) => {
                self.next()?;
                self.enter()?;
                let inner = self.expr(0)?;
                self.leave();
                self.expect(Punct::RParen, &[])?;
                Ok(inner)
            }
            Tok::P(Punct::LBrace) => {
                let expr = self.log_expr()?;
                let piped = !expr.stages.is_empty();
                Ok((Node::Log { expr, piped }, 1))
            }
            Tok::Number(_) | Tok::P(Punct::Add | Punct::Sub) => {
                let v = self.literal()?;
                Ok((Node::Metric(MetricExpr::Literal(v)), 1))
            }
            Tok::RangeOp(op) => self.range_aggregation(op),
            Tok::VectorOp(op) => self.vector_aggregation(op),
            Tok::Vector => self.vector(),
            Tok::LabelReplace => self.label_replace(),
            _ => Err(self.unexpected(&[])),
        }
    }

    /// `N`, `+N`, `-N`: a literal (only numbers take a sign). A number
    /// `strconv.ParseFloat` rejects (`0x1F`) fails the query.
    pub(super) fn literal(&mut self) -> PResult<f64> {
        self.literal_value(true)
    }

    /// The literal's value; when `strict` is false an unparsable number is
    /// 0, as in Loki's numeric label filters, which keep the literal's value
    /// and drop its error (`x > 0x1F` compares with 0).
    pub(super) fn literal_value(&mut self, strict: bool) -> PResult<f64> {
        let negate = match self.peek_tok()? {
            Tok::P(Punct::Add) => {
                self.next()?;
                false
            }
            Tok::P(Punct::Sub) => {
                self.next()?;
                true
            }
            _ => false,
        };
        let Tok::Number(text) = *self.peek_tok()? else {
            return Err(self.unexpected(&["NUMBER"]));
        };
        self.next()?;
        let v = match parse_go_float(text) {
            Ok(v) => v,
            Err(e) if strict => {
                self.defer(format!("unable to parse literal as a float: {e}"));
                0.0
            }
            Err(_) => go_float_value(text),
        };
        Ok(if negate { -v } else { v })
    }

    /// `NUMBER ,` at the start of a call: the parameter of `topk` or
    /// `quantile_over_time`.
    fn call_parameter(&mut self) -> PResult<Option<&'a str>> {
        let Tok::Number(text) = *self.peek_tok()? else {
            return Ok(None);
        };
        if self.peek2()?.tok != Tok::P(Punct::Comma) {
            return Ok(None);
        }
        self.next()?;
        self.next()?;
        Ok(Some(text))
    }

    fn range_aggregation(&mut self, op: RangeOp) -> PResult<(Node, u32)> {
        self.next()?;
        self.expect(Punct::LParen, &["("])?;
        let param = self.call_parameter()?;
        let range = self.log_range()?;
        self.expect(Punct::RParen, &[")"])?;
        let grouping = self.grouping()?;
        let agg = validate::range_aggregation(op, param, range, grouping)
            .map(MetricExpr::RangeAgg)
            .unwrap_or_else(|e| {
                self.defer(e);
                PLACEHOLDER
            });
        Ok((Node::Metric(agg), 1))
    }

    /// The argument of a range aggregation, in every form Loki accepts:
    /// `{..} [pipeline] [unwrap] [range] [offset]`, `{..} [range] [offset]
    /// [pipeline] [unwrap]`, `({..} [pipeline] [unwrap]) [range] [offset]`,
    /// `({..}) [range] [offset] [unwrap]` and `(log range)`.
    fn log_range(&mut self) -> PResult<LogRange> {
        match self.peek_tok()? {
            Tok::P(Punct::LBrace) => {
                let r = self.log_range_body()?;
                match r {
                    Some(r) => Ok(r),
                    None => Err(self.unexpected(&[])),
                }
            }
            Tok::P(Punct::LParen) => {
                self.next()?;
                self.enter()?;
                let result = self.parenthesized_log_range();
                self.leave();
                result
            }
            _ => Err(self.unexpected(&[])),
        }
    }

    fn parenthesized_log_range(&mut self) -> PResult<LogRange> {
        if *self.peek_tok()? == Tok::P(Punct::LParen) {
            let r = self.log_range()?;
            self.expect(Punct::RParen, &[")"])?;
            return Ok(r);
        }
        if *self.peek_tok()? != Tok::P(Punct::LBrace) {
            return Err(self.unexpected(&[]));
        }
        let selector = self.selector()?;
        let (stages, unwrap) = self.pipeline(true)?;
        if let Tok::Range(_) = self.peek_tok()? {
            // `( selector ... [range] ... )`: a whole log range inside.
            let r = self.finish_log_range(selector, stages, unwrap)?;
            self.expect(Punct::RParen, &[")"])?;
            return Ok(r);
        }
        self.expect(Punct::RParen, &[])?;
        let (range, offset) = self.range_and_offset()?;
        let mut unwrap = unwrap;
        if stages.is_empty() && unwrap.is_none() && *self.peek_tok()? == Tok::P(Punct::Pipe) {
            self.next()?;
            if *self.peek_tok()? != Tok::Kw(Kw::Unwrap) {
                return Err(self.unexpected(&["unwrap"]));
            }
            unwrap = Some(self.unwrap()?);
        }
        Ok(LogRange {
            log: LogExpr { selector, stages },
            unwrap,
            range,
            offset,
        })
    }

    /// A log range starting at a selector; `None` when no range follows
    /// the selector and its pipeline.
    fn log_range_body(&mut self) -> PResult<Option<LogRange>> {
        let selector = self.selector()?;
        if let Tok::Range(_) = self.peek_tok()? {
            let (range, offset) = self.range_and_offset()?;
            let (stages, unwrap) = self.pipeline(true)?;
            return Ok(Some(LogRange {
                log: LogExpr { selector, stages },
                unwrap,
                range,
                offset,
            }));
        }
        let (stages, unwrap) = self.pipeline(true)?;
        if let Tok::Range(_) = self.peek_tok()? {
            return self.finish_log_range(selector, stages, unwrap).map(Some);
        }
        Ok(None)
    }

    /// After `selector [pipeline] [unwrap]` with a range next.
    fn finish_log_range(
        &mut self,
        selector: Vec<crate::model::Matcher>,
        stages: Vec<crate::logql::ast::Stage>,
        unwrap: Option<Unwrap>,
    ) -> PResult<LogRange> {
        let (range, offset) = self.range_and_offset()?;
        let (stages, unwrap) = if stages.is_empty() && unwrap.is_none() {
            self.pipeline(true)?
        } else {
            (stages, unwrap)
        };
        Ok(LogRange {
            log: LogExpr { selector, stages },
            unwrap,
            range,
            offset,
        })
    }

    /// `[range]` and an optional `offset DURATION`.
    fn range_and_offset(&mut self) -> PResult<(i64, i64)> {
        let Tok::Range(range) = *self.peek_tok()? else {
            return Err(self.unexpected(&["RANGE"]));
        };
        self.next()?;
        if *self.peek_tok()? != Tok::Kw(Kw::Offset) {
            return Ok((range, 0));
        }
        self.next()?;
        let Tok::Duration(offset) = *self.peek_tok()? else {
            return Err(self.unexpected(&["DURATION"]));
        };
        self.next()?;
        Ok((range, offset))
    }

    fn vector_aggregation(&mut self, op: VectorOp) -> PResult<(Node, u32)> {
        self.next()?;
        let before = self.grouping()?;
        self.expect(Punct::LParen, &["("])?;
        let param = self.call_parameter()?;
        self.enter()?;
        let (inner, depth) = self.expr(0)?;
        self.leave();
        let inner = match inner {
            Node::Metric(m) => m,
            Node::Log { .. } => return Err(self.unexpected(&[])),
        };
        self.expect(Punct::RParen, &[])?;
        let grouping = match before {
            Some(g) => Some(g),
            None => self.grouping()?,
        };
        let depth = depth + 1;
        self.check_depth(depth)?;
        let agg = validate::vector_aggregation(op, param, inner, grouping)
            .map(MetricExpr::VectorAgg)
            .unwrap_or_else(|e| {
                self.defer(e);
                PLACEHOLDER
            });
        Ok((Node::Metric(agg), depth))
    }

    /// `vector(N)`: only a bare number.
    fn vector(&mut self) -> PResult<(Node, u32)> {
        self.next()?;
        self.expect(Punct::LParen, &["("])?;
        let Tok::Number(text) = *self.peek_tok()? else {
            return Err(self.unexpected(&["NUMBER"]));
        };
        self.next()?;
        self.expect(Punct::RParen, &[")"])?;
        let v = parse_go_float(text).unwrap_or_else(|e| {
            self.defer(format!("unable to parse vectorExpr as a float: {e}"));
            0.0
        });
        Ok((Node::Metric(MetricExpr::Vector(v)), 1))
    }

    /// `label_replace(expr, "dst", "replacement", "src", "regex")`.
    fn label_replace(&mut self) -> PResult<(Node, u32)> {
        self.next()?;
        self.expect(Punct::LParen, &["("])?;
        self.enter()?;
        let (inner, depth) = self.expr(0)?;
        self.leave();
        let inner = match inner {
            Node::Metric(m) => m,
            Node::Log { .. } => return Err(self.unexpected(&[])),
        };
        let mut args = Vec::with_capacity(4);
        for _ in 0..4 {
            self.expect(Punct::Comma, &[","])?;
            let Tok::Str(s) = self.peek_tok()? else {
                return Err(self.unexpected(&["STRING"]));
            };
            args.push(s.to_string());
            self.next()?;
        }
        self.expect(Punct::RParen, &[")"])?;
        let depth = depth + 1;
        self.check_depth(depth)?;
        let (Some(regex), Some(src), Some(replacement), Some(dst)) =
            (args.pop(), args.pop(), args.pop(), args.pop())
        else {
            return Err(self.unexpected(&[]));
        };
        let expr = match validate::label_replace_regex(regex) {
            Ok(regex) => MetricExpr::LabelReplace(LabelReplace {
                inner: Box::new(inner),
                dst,
                replacement,
                src,
                regex,
            }),
            Err(e) => {
                self.defer(e);
                PLACEHOLDER
            }
        };
        Ok((Node::Metric(expr), depth))
    }
}

fn operand(n: Node) -> Operand {
    match n {
        Node::Metric(m) => Operand::Metric(m),
        Node::Log { piped: false, .. } => Operand::Selector,
        Node::Log { piped: true, .. } => Operand::Pipeline,
    }
}

//! Canonical query text for the tree: `parse_expr(&e.to_string())` gives
//! back a tree equal to `e` (for every tree the parser can produce).
//!
//! Strings are Go-quoted, numbers use the shortest exact form, ranges are
//! Prometheus durations and offsets / duration literals Go durations.
//! Binary operators and label filters get parentheses only where
//! precedence and associativity need them; `and` / `or` are always written
//! out in label filters (never `,` or juxtaposition, whose grouping rules
//! are surprising).

use std::fmt::{self, Display, Formatter, Write};

use crate::logql::ast::{
    BinaryExpr, BinaryOp, CmpOp, Expr, Grouping, LabelFilterExpr, LabelFormatOp, LabelReplace,
    LineFilter, LineFilterOp, LineFilterOperand, LogExpr, LogRange, LogfmtParser, MetricExpr,
    NamedLabel, RangeAggregation, Stage, Unwrap, UnwrapConversion, VectorAggregation,
};
use crate::logql::duration::{format_go_duration, format_prometheus_duration};
use crate::model::{go_quote, Matcher};

/// The text of a line filter operator.
pub fn line_filter_op(op: LineFilterOp) -> &'static str {
    match op {
        LineFilterOp::Contains => "|=",
        LineFilterOp::NotContains => "!=",
        LineFilterOp::Regex => "|~",
        LineFilterOp::NotRegex => "!~",
        LineFilterOp::Pattern => "|>",
        LineFilterOp::NotPattern => "!>",
    }
}

/// The text of a comparison operator (`=` prints as `==`).
pub fn cmp_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "==",
        CmpOp::Neq => "!=",
        CmpOp::Gt => ">",
        CmpOp::Gte => ">=",
        CmpOp::Lt => "<",
        CmpOp::Lte => "<=",
    }
}

/// A number as a LogQL literal: the shortest text that reads back exactly.
/// NaN and infinities, which only folding produces, print as expressions
/// that fold back to them.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        "(0 / 0)".to_string()
    } else if v == f64::INFINITY {
        "(2 ^ 1024)".to_string()
    } else if v == f64::NEG_INFINITY {
        "(-1 * 2 ^ 1024)".to_string()
    } else {
        format!("{v:?}")
    }
}

/// A numeric label filter's operand: an out-of-range literal there reads
/// as an infinity, so infinities print as one.
fn filter_number(v: f64) -> String {
    if v == f64::INFINITY {
        "1e400".to_string()
    } else if v == f64::NEG_INFINITY {
        "-1e400".to_string()
    } else {
        number(v)
    }
}

/// A label name, followed by an operator: a name `!` needs a space or it
/// would merge with `=` / `~` / `>`.
fn name(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    f.write_str(name)?;
    if name == "!" {
        f.write_char(' ')?;
    }
    Ok(())
}

fn matcher(f: &mut Formatter<'_>, m: &Matcher) -> fmt::Result {
    name(f, &m.name)?;
    f.write_str(m.op.as_str())?;
    f.write_str(&go_quote(&m.value))
}

fn selector(f: &mut Formatter<'_>, matchers: &[Matcher]) -> fmt::Result {
    f.write_char('{')?;
    for (i, m) in matchers.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        matcher(f, m)?;
    }
    f.write_char('}')
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Log(l) => l.fmt(f),
            Expr::Metric(m) => m.fmt(f),
        }
    }
}

impl Display for LogExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        selector(f, &self.selector)?;
        for s in &self.stages {
            f.write_char(' ')?;
            s.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Stage::LineFilter(l) => l.fmt(f),
            Stage::Json(j) => {
                f.write_str("| json")?;
                for (i, e) in j.extractions.iter().enumerate() {
                    f.write_str(if i == 0 { " " } else { ", " })?;
                    name(f, &e.label)?;
                    f.write_char('=')?;
                    f.write_str(&go_quote(&e.expr))?;
                }
                Ok(())
            }
            Stage::Logfmt(l) => logfmt(f, l),
            Stage::Regexp(r) => write!(f, "| regexp {}", go_quote(&r.regex.source)),
            Stage::Pattern(p) => write!(f, "| pattern {}", go_quote(&p.pattern.source)),
            Stage::Unpack => f.write_str("| unpack"),
            Stage::LabelFilter(l) => write!(f, "| {l}"),
            Stage::LineFormat(t) => write!(f, "| line_format {}", go_quote(t.source())),
            Stage::LabelFormat(ops) => {
                f.write_str("| label_format")?;
                for (i, op) in ops.iter().enumerate() {
                    f.write_str(if i == 0 { " " } else { ", " })?;
                    match op {
                        LabelFormatOp::Rename { dst, src } => {
                            name(f, dst)?;
                            write!(f, "={src}")?
                        }
                        LabelFormatOp::Template { dst, template } => {
                            name(f, dst)?;
                            write!(f, "={}", go_quote(template.source()))?
                        }
                    }
                }
                Ok(())
            }
            Stage::Decolorize => f.write_str("| decolorize"),
            Stage::Drop(l) => named_labels(f, "drop", l),
            Stage::Keep(l) => named_labels(f, "keep", l),
        }
    }
}

fn logfmt(f: &mut Formatter<'_>, l: &LogfmtParser) -> fmt::Result {
    f.write_str("| logfmt")?;
    if l.strict {
        f.write_str(" --strict")?;
    }
    if l.keep_empty {
        f.write_str(" --keep-empty")?;
    }
    for (i, e) in l.extractions.iter().enumerate() {
        f.write_str(if i == 0 { " " } else { ", " })?;
        name(f, &e.label)?;
        f.write_char('=')?;
        // The key as a logfmt expression: a bare field when it is one,
        // else a quoted logfmt string.
        let is_field = e
            .key
            .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && e.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if is_field {
            f.write_str(&go_quote(&e.key))?;
        } else {
            f.write_str(&go_quote(&format!("\"{}\"", e.key)))?;
        }
    }
    Ok(())
}

fn named_labels(f: &mut Formatter<'_>, kw: &str, labels: &[NamedLabel]) -> fmt::Result {
    f.write_str("| ")?;
    f.write_str(kw)?;
    for (i, l) in labels.iter().enumerate() {
        f.write_str(if i == 0 { " " } else { ", " })?;
        match l {
            NamedLabel::Name(n) => f.write_str(n)?,
            NamedLabel::Matcher(m) => matcher(f, m)?,
        }
    }
    Ok(())
}

impl Display for LineFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(line_filter_op(self.op))?;
        for (i, o) in self.operands.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { " or " })?;
            match o {
                LineFilterOperand::Text(s) => f.write_str(&go_quote(s))?,
                LineFilterOperand::Regex(r) => f.write_str(&go_quote(&r.source))?,
                LineFilterOperand::Pattern(p) => f.write_str(&go_quote(&p.source))?,
                LineFilterOperand::Ip(ip) => write!(f, "ip({})", go_quote(&ip.source))?,
            }
        }
        Ok(())
    }
}

impl Display for LabelFilterExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LabelFilterExpr::Or(l, r) => {
                // `or` is left-associative: only a right-hand `or` needs
                // parentheses (`and` binds tighter anyway).
                l.fmt(f)?;
                f.write_str(" or ")?;
                paren_if(f, r, matches!(**r, LabelFilterExpr::Or(..)))
            }
            LabelFilterExpr::And(l, r) => {
                paren_if(f, l, matches!(**l, LabelFilterExpr::Or(..)))?;
                f.write_str(" and ")?;
                paren_if(
                    f,
                    r,
                    matches!(**r, LabelFilterExpr::Or(..) | LabelFilterExpr::And(..)),
                )
            }
            LabelFilterExpr::Matcher(m) => matcher(f, m),
            LabelFilterExpr::Number { name: n, op, value } => {
                name(f, n)?;
                write!(f, " {} {}", cmp_op(*op), filter_number(*value))
            }
            LabelFilterExpr::Duration { name: n, op, value } => {
                name(f, n)?;
                write!(f, " {} {}", cmp_op(*op), format_go_duration(*value))
            }
            LabelFilterExpr::Bytes { name: n, op, value } => {
                name(f, n)?;
                // `0B` reads as a binary literal without digits.
                if *value == 0 {
                    write!(f, " {} 0.0B", cmp_op(*op))
                } else {
                    write!(f, " {} {value}B", cmp_op(*op))
                }
            }
            LabelFilterExpr::Ip {
                name: n,
                negate,
                ip,
            } => {
                name(f, n)?;
                let op = if *negate { "!=" } else { "=" };
                write!(f, " {op} ip({})", go_quote(&ip.source))
            }
        }
    }
}

fn paren_if(f: &mut Formatter<'_>, e: &impl Display, paren: bool) -> fmt::Result {
    if paren {
        write!(f, "({e})")
    } else {
        e.fmt(f)
    }
}

impl Display for MetricExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MetricExpr::RangeAgg(r) => r.fmt(f),
            MetricExpr::VectorAgg(v) => v.fmt(f),
            MetricExpr::Binary(b) => b.fmt(f),
            MetricExpr::Literal(v) => f.write_str(&number(*v)),
            MetricExpr::Vector(v) => write!(f, "vector({})", number(*v)),
            MetricExpr::LabelReplace(l) => l.fmt(f),
        }
    }
}

impl Display for Grouping {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(if self.without { "without (" } else { "by (" })?;
        f.write_str(&self.labels.join(", "))?;
        f.write_char(')')
    }
}

impl Display for RangeAggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.op.as_str())?;
        if let Some(p) = self.param {
            write!(f, "{}, ", number(p))?;
        }
        write!(f, "{})", self.range)?;
        if let Some(g) = &self.grouping {
            write!(f, " {g}")?;
        }
        Ok(())
    }
}

impl Display for LogRange {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.log.fmt(f)?;
        if let Some(u) = &self.unwrap {
            write!(f, " {u}")?;
        }
        if !self.log.stages.is_empty() || self.unwrap.is_some() {
            f.write_char(' ')?;
        }
        write!(f, "[{}]", format_prometheus_duration(self.range))?;
        if self.offset != 0 {
            write!(f, " offset {}", format_go_duration(self.offset))?;
        }
        Ok(())
    }
}

impl Display for Unwrap {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let conv = match self.conversion {
            UnwrapConversion::Plain => None,
            UnwrapConversion::Bytes => Some("bytes"),
            UnwrapConversion::Duration => Some("duration"),
            UnwrapConversion::DurationSeconds => Some("duration_seconds"),
        };
        match conv {
            Some(c) => write!(f, "| unwrap {c}({})", self.label)?,
            None => write!(f, "| unwrap {}", self.label)?,
        }
        for p in &self.post_filters {
            write!(f, " | {p}")?;
        }
        Ok(())
    }
}

impl Display for VectorAggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.op.as_str())?;
        match &self.grouping {
            Some(g) => write!(f, " {g} (")?,
            None => f.write_char('(')?,
        }
        if let Some(k) = self.param {
            write!(f, "{k}, ")?;
        }
        write!(f, "{})", self.inner)
    }
}

/// Binding strength of a binary operator (higher binds tighter).
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

impl Display for BinaryExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let p = precedence(self.op);
        let right_assoc = self.op == BinaryOp::Pow;
        let child_prec = |e: &MetricExpr| match e {
            MetricExpr::Binary(b) => Some(precedence(b.op)),
            _ => None,
        };
        let lhs_paren = child_prec(&self.lhs).is_some_and(|c| c < p || (c == p && right_assoc));
        let rhs_paren = child_prec(&self.rhs).is_some_and(|c| c < p || (c == p && !right_assoc));
        paren_if(f, &*self.lhs, lhs_paren)?;
        write!(f, " {}", self.op.as_str())?;
        if self.modifier.return_bool {
            f.write_str(" bool")?;
        }
        if let Some(m) = &self.modifier.matching {
            let kw = if m.on { "on" } else { "ignoring" };
            write!(f, " {kw} ({})", m.labels.join(", "))?;
            if let Some(g) = &m.group {
                let kw = match g.side {
                    crate::logql::ast::GroupSide::Left => "group_left",
                    crate::logql::ast::GroupSide::Right => "group_right",
                };
                // Always with parentheses: a right operand starting with
                // `(` would otherwise be read as the label list.
                write!(f, " {kw} ({})", g.include.join(", "))?;
            }
        }
        f.write_char(' ')?;
        paren_if(f, &*self.rhs, rhs_paren)
    }
}

impl Display for LabelReplace {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "label_replace({}, {}, {}, {}, {})",
            self.inner,
            go_quote(&self.dst),
            go_quote(&self.replacement),
            go_quote(&self.src),
            go_quote(&self.regex.source)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back() {
        for v in [0.0, 1.0, -1.5, 0.1, 1e300, 1e-7, 123456789.125, -0.0] {
            let text = number(v);
            let back = crate::logql::number::parse_go_float(text.trim_start_matches('-')).unwrap();
            let back = if text.starts_with('-') { -back } else { back };
            assert_eq!(back.to_bits(), v.to_bits(), "{text}");
        }
        assert_eq!(number(f64::NAN), "(0 / 0)");
    }
}

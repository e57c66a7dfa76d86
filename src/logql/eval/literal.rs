//! Literals and `vector(N)`.
//!
//! Literal-only expressions are folded by the parser (`1 + 2` becomes `3`);
//! [`constant`] folds any that reach the evaluator. A literal query is a
//! scalar for instant queries and a `{}` series for range queries; `vector(N)`
//! is a vector with one `{}` sample at every step.

use std::sync::Arc;

use super::binary::fold_literals;
use super::error::EvalError;
use super::series::{Ctx, SeriesSink, StepPoint};
use crate::logql::ast::MetricExpr;
use crate::model::Labels;

/// The value of a literal-only expression, `None` for anything else.
pub(crate) fn constant(expr: &MetricExpr) -> Result<Option<f64>, EvalError> {
    match expr {
        MetricExpr::Literal(v) => Ok(Some(*v)),
        MetricExpr::Binary(b) => match (constant(&b.lhs)?, constant(&b.rhs)?) {
            (Some(l), Some(r)) => fold_literals(b.op, l, r).map(Some),
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

/// `v` at every step of the query.
pub(crate) fn every_step(ctx: &Ctx<'_>, v: f64) -> Vec<StepPoint> {
    (0..ctx.steps.n).map(|k| (k, v)).collect()
}

/// Emits `vector(v)`: one series `{}` with `v` at every step.
pub(crate) fn emit_vector(
    ctx: &Ctx<'_>,
    v: f64,
    sink: &mut dyn SeriesSink,
) -> Result<(), EvalError> {
    sink.series(&Arc::new(Labels::new()), &every_step(ctx, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ast::{BinaryExpr, BinaryModifier, BinaryOp};

    fn b(op: BinaryOp, l: MetricExpr, r: MetricExpr) -> MetricExpr {
        MetricExpr::Binary(BinaryExpr {
            op,
            lhs: Box::new(l),
            rhs: Box::new(r),
            modifier: BinaryModifier::default(),
        })
    }

    #[test]
    fn constants_fold() {
        use MetricExpr::Literal as L;
        assert_eq!(constant(&L(3.125)).unwrap(), Some(3.125));
        let e = b(BinaryOp::Add, L(1.0), b(BinaryOp::Mul, L(2.0), L(3.0)));
        assert_eq!(constant(&e).unwrap(), Some(7.0));
        let e = b(BinaryOp::Pow, L(2.0), b(BinaryOp::Pow, L(3.0), L(2.0)));
        assert_eq!(constant(&e).unwrap(), Some(512.0));
        assert_eq!(
            constant(&b(BinaryOp::Gt, L(1.0), L(2.0))).unwrap(),
            Some(0.0)
        );
        assert_eq!(constant(&MetricExpr::Vector(1.0)).unwrap(), None);
        assert_eq!(
            constant(&b(BinaryOp::Add, MetricExpr::Vector(1.0), L(1.0))).unwrap(),
            None
        );
    }
}

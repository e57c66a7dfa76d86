//! Evaluation of LogQL metric queries with Loki 3.7's semantics.
//!
//! [`evaluate`] runs a [`MetricExpr`] over a [`SampleSource`] and returns a
//! [`QueryValue`]: a matrix for range queries, a vector (or a scalar for
//! literal-only queries) for instant queries.
//!
//! The evaluation is series-at-a-time: each range aggregation pulls its
//! samples once (stream by stream, see [`source`]), folds them into the
//! elementary buckets of its window grid ([`WindowGrid`]) and hands finished
//! series up the tree. Vector aggregations fold them per group and step;
//! operations with a literal and `label_replace` transform them on the fly;
//! only vector-to-vector operations and `sort` hold their input. The result
//! is limited to `max_series` series, Loki's `max_query_series`.
//!
//! Files: [`steps`] (evaluation times, windows), [`source`] (the sample
//! contract), `window_fns` (range functions), `range_agg` (range
//! aggregation driver), `vector_agg`, `binary`, `label_replace`, `literal`,
//! [`result`] (result types and JSON number formatting), [`error`].

pub mod error;
pub mod memory_source;
pub mod result;
pub mod source;
pub mod steps;

mod binary;
mod label_replace;
mod literal;
mod range_agg;
mod series;
mod vector_agg;
mod window_fns;

use std::sync::Arc;
use std::time::Instant;

pub use error::{EvalError, DEFAULT_MAX_SERIES, MAX_POINTS_PER_SERIES};
pub use memory_source::{MemoryEntry, MemorySource, MemoryStream};
pub use result::{
    format_time, format_value, scalar_instant_time_json, time_json, Point, QueryValue, Sample,
    Series,
};
pub use source::{SampleItem, SampleRequest, SampleSource, SeriesSamples};
pub use steps::{check_range_resolution, WindowGrid};

use self::binary::LiteralSink;
use self::label_replace::LabelReplaceSink;
use self::series::{Ctx, SeriesSet, SeriesSink};
use self::steps::Steps;
use crate::logql::ast::{Grouping, MetricExpr, VectorOp};
use crate::model::Labels;

/// When and how a metric query is evaluated. Times are nanoseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalParams {
    /// First step (range) or the query time (instant).
    pub start: i64,
    /// Last possible step, inclusive (range); ignored for instant queries.
    pub end: i64,
    /// Step width (range, must be positive); ignored for instant queries.
    pub step: i64,
    /// Instant query: evaluated once at `start`.
    pub instant: bool,
    /// Most series the result may hold (0: unlimited).
    pub max_series: usize,
    /// Give up with [`EvalError::Timeout`] after this instant.
    pub deadline: Option<Instant>,
}

impl EvalParams {
    /// An instant query at `time` with the default series limit.
    pub fn instant(time: i64) -> Self {
        EvalParams {
            start: time,
            end: time,
            step: 0,
            instant: true,
            max_series: DEFAULT_MAX_SERIES,
            deadline: None,
        }
    }

    /// A range query with the default series limit.
    pub fn range(start: i64, end: i64, step: i64) -> Self {
        EvalParams {
            start,
            end,
            step,
            instant: false,
            max_series: DEFAULT_MAX_SERIES,
            deadline: None,
        }
    }
}

/// Evaluates a metric query.
pub fn evaluate(
    expr: &MetricExpr,
    params: &EvalParams,
    source: &dyn SampleSource,
) -> Result<QueryValue, EvalError> {
    let steps = if params.instant {
        Steps::instant(params.start)
    } else {
        Steps::range(params.start, params.end, params.step)?
    };
    let mut ctx = Ctx::new(source, steps, params.deadline);
    if let Some(v) = literal::constant(expr)? {
        if params.instant {
            return Ok(QueryValue::Scalar {
                t_ms: steps.time_ms(0),
                v,
            });
        }
        let points = literal::every_step(&ctx, v);
        return Ok(QueryValue::Matrix(vec![to_series(
            &steps,
            Arc::new(Labels::new()),
            &points,
        )]));
    }
    let mut out = SeriesSet::with_limit(params.max_series);
    eval_into(expr, &mut ctx, &mut out)?;
    ctx.check_deadline()?;
    let gathered = out.finish();
    if params.instant {
        let t_ms = steps.time_ms(0);
        // Series made equal by label_replace stay separate samples, as in Loki.
        let mut samples: Vec<Sample> = gathered
            .into_iter()
            .flat_map(|g| {
                g.points.into_iter().map(move |(_, v)| Sample {
                    labels: g.labels.clone(),
                    t_ms,
                    v,
                })
            })
            .collect();
        if !keeps_value_order(expr) {
            samples.sort_by(|a, b| a.labels.cmp(&b.labels));
        }
        return Ok(QueryValue::Vector(samples));
    }
    let mut series: Vec<Series> = gathered
        .into_iter()
        .map(|g| to_series(&steps, g.labels, &g.points))
        .collect();
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok(QueryValue::Matrix(series))
}

fn to_series(steps: &Steps, labels: Arc<Labels>, points: &[(u32, f64)]) -> Series {
    Series {
        labels,
        points: points
            .iter()
            .map(|&(k, v)| Point {
                t_ms: steps.time_ms(k),
                v,
            })
            .collect(),
    }
}

/// Whether an instant result keeps the evaluator's order: Loki does so when
/// the query contains `sort` or `sort_desc` anywhere.
pub fn keeps_value_order(expr: &MetricExpr) -> bool {
    match expr {
        MetricExpr::VectorAgg(v) => {
            matches!(v.op, VectorOp::Sort | VectorOp::SortDesc) || keeps_value_order(&v.inner)
        }
        MetricExpr::Binary(b) => keeps_value_order(&b.lhs) || keeps_value_order(&b.rhs),
        MetricExpr::LabelReplace(l) => keeps_value_order(&l.inner),
        MetricExpr::RangeAgg(_) | MetricExpr::Literal(_) | MetricExpr::Vector(_) => false,
    }
}

/// Evaluates `expr` and hands its series to `sink`.
fn eval_into(
    expr: &MetricExpr,
    ctx: &mut Ctx<'_>,
    sink: &mut dyn SeriesSink,
) -> Result<(), EvalError> {
    match expr {
        MetricExpr::RangeAgg(r) => range_agg::eval(ctx, r, r.grouping.as_ref(), sink),
        MetricExpr::VectorAgg(v) => {
            let mut agg = vector_agg::aggregator(v, ctx.steps.n);
            match v.inner.as_ref() {
                // `sum` of an additive range function: group the samples
                // themselves, so label sets that only differ in dropped
                // labels never take memory of their own (Loki does the same).
                MetricExpr::RangeAgg(r)
                    if v.op == VectorOp::Sum
                        && r.grouping.is_none()
                        && range_agg::is_additive(r.op) =>
                {
                    let all = Grouping {
                        without: false,
                        labels: Vec::new(),
                    };
                    let grouping = v.grouping.as_ref().unwrap_or(&all);
                    range_agg::eval(ctx, r, Some(grouping), agg.as_mut())?;
                }
                inner => eval_into(inner, ctx, agg.as_mut())?,
            }
            agg.finish(ctx, sink)
        }
        MetricExpr::Binary(b) => match (literal::constant(&b.lhs)?, literal::constant(&b.rhs)?) {
            (Some(_), Some(_)) => Err(EvalError::Unsupported(
                "literal-only operation inside a vector expression".into(),
            )),
            (Some(l), None) => {
                let mut s = LiteralSink::new(b, l, true, sink)?;
                eval_into(&b.rhs, ctx, &mut s)
            }
            (None, Some(r)) => {
                let mut s = LiteralSink::new(b, r, false, sink)?;
                eval_into(&b.lhs, ctx, &mut s)
            }
            (None, None) => {
                let mut lhs = SeriesSet::new();
                eval_into(&b.lhs, ctx, &mut lhs)?;
                let mut rhs = SeriesSet::new();
                eval_into(&b.rhs, ctx, &mut rhs)?;
                binary::vector_op(ctx, b, lhs, rhs, sink)
            }
        },
        MetricExpr::Literal(_) => Err(EvalError::Unsupported(
            "literal outside a binary operation".into(),
        )),
        MetricExpr::Vector(v) => literal::emit_vector(ctx, *v, sink),
        MetricExpr::LabelReplace(l) => {
            let mut s = LabelReplaceSink::new(l, sink);
            eval_into(&l.inner, ctx, &mut s)
        }
    }
}

#[cfg(test)]
mod tests;

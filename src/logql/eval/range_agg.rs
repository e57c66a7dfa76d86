//! Range aggregations: pull samples from the source, fold them per label set
//! into the elementary buckets of the window grid, and emit one value per
//! step whose window holds at least one sample.
//!
//! Memory: every label set keeps only its non-empty buckets. When the source
//! promises exclusive label sets and there is no grouping, samples of a
//! label set arrive in time order; its windows are then finished as soon as
//! the stream moves past them and idle label sets are released, so memory
//! follows the window length, not the query length. Otherwise label sets are
//! finished at the end of the pass; for the functions that keep every value
//! (`quantile_over_time`, `rate_counter`) the query is then cut into time
//! slices so that a pass holds a bounded stretch of samples.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::error::{EvalError, ERROR_LABEL};
use super::series::{Ctx, SeriesSink, StepPoint};
use super::source::{SampleItem, SampleRequest, SeriesSamples};
use super::steps::{Located, Span, Steps, WindowGrid};
use super::vector_agg::group_labels;
use super::window_fns::{
    Avg, Extreme, FirstLast, Presence, Quantile, RateCounter, SumLike, Variance, WindowFn,
};
use crate::logql::ast::{Grouping, RangeAggregation, RangeOp};
use crate::model::{Labels, MatchOp};

/// Whether `sum by (…)` over this function may be computed by grouping the
/// samples themselves (the function is additive over series).
pub(crate) fn is_additive(op: RangeOp) -> bool {
    matches!(
        op,
        RangeOp::CountOverTime
            | RangeOp::Rate
            | RangeOp::BytesOverTime
            | RangeOp::BytesRate
            | RangeOp::SumOverTime
    )
}

/// Evaluates a range aggregation, grouping samples by `grouping` (the
/// aggregation's own `by`/`without`, or one injected by an enclosing `sum`).
pub(crate) fn eval(
    ctx: &mut Ctx<'_>,
    expr: &RangeAggregation,
    grouping: Option<&Grouping>,
    sink: &mut dyn SeriesSink,
) -> Result<(), EvalError> {
    if let Some(f) = SumLike::for_op(expr.op, expr) {
        return run(ctx, expr, grouping, f, sink);
    }
    match expr.op {
        RangeOp::AvgOverTime => run(ctx, expr, grouping, Avg, sink),
        RangeOp::MinOverTime => run(ctx, expr, grouping, Extreme { max: false }, sink),
        RangeOp::MaxOverTime => run(ctx, expr, grouping, Extreme { max: true }, sink),
        RangeOp::FirstOverTime => run(ctx, expr, grouping, FirstLast { last: false }, sink),
        RangeOp::LastOverTime => run(ctx, expr, grouping, FirstLast { last: true }, sink),
        RangeOp::StdvarOverTime => run(ctx, expr, grouping, Variance { sqrt: false }, sink),
        RangeOp::StddevOverTime => run(ctx, expr, grouping, Variance { sqrt: true }, sink),
        RangeOp::QuantileOverTime => {
            let q = expr.param.unwrap_or(f64::NAN);
            run(ctx, expr, grouping, Quantile::new(q), sink)
        }
        RangeOp::RateCounter => run(
            ctx,
            expr,
            grouping,
            RateCounter::new(expr.range.range),
            sink,
        ),
        RangeOp::AbsentOverTime => absent(ctx, expr, sink),
        RangeOp::CountOverTime
        | RangeOp::Rate
        | RangeOp::BytesOverTime
        | RangeOp::BytesRate
        | RangeOp::SumOverTime => Err(EvalError::Unsupported(expr.op.as_str().to_string())),
    }
}

/// `absent_over_time`: 1 with the selector's equality labels at every step
/// where no label set has a sample in the window.
fn absent(
    ctx: &mut Ctx<'_>,
    expr: &RangeAggregation,
    sink: &mut dyn SeriesSink,
) -> Result<(), EvalError> {
    let all = Grouping {
        without: false,
        labels: Vec::new(),
    };
    let mut present = PresentSteps(vec![false; ctx.steps.n as usize]);
    run(ctx, expr, Some(&all), Presence, &mut present)?;
    let points: Vec<StepPoint> = present
        .0
        .iter()
        .enumerate()
        .filter(|(_, p)| !**p)
        .map(|(k, _)| (k as u32, 1.0))
        .collect();
    sink.series(&Arc::new(absent_labels(expr)), &points)
}

/// Records which steps had a value.
struct PresentSteps(Vec<bool>);

impl SeriesSink for PresentSteps {
    fn series(&mut self, _labels: &Arc<Labels>, points: &[StepPoint]) -> Result<(), EvalError> {
        for (k, _) in points {
            if let Some(p) = self.0.get_mut(*k as usize) {
                *p = true;
            }
        }
        Ok(())
    }
}

/// Labels of `absent_over_time`'s sample: the selector's `=` matchers,
/// minus every name that any other matcher (or a second `=`) constrains.
pub(crate) fn absent_labels(expr: &RangeAggregation) -> Labels {
    let mut out = Labels::new();
    let mut drop = Vec::new();
    for m in &expr.range.log.selector {
        if m.op == MatchOp::Eq && out.get(&m.name).is_none() {
            out.insert(m.name.clone(), m.value.clone());
        } else {
            drop.push(m.name.as_str());
        }
    }
    for name in drop {
        out.remove(name);
    }
    out
}

/// Steps per pass for functions that keep every value: about eight
/// windows (or steps) per pass, and at most 256 passes.
fn slice_steps(steps: &Steps, range: i64) -> u32 {
    let step = i128::from(steps.step.max(1));
    let total = step * i128::from(steps.n);
    let span = (8 * i128::from(range.max(steps.step))).max(total / 256);
    u32::try_from((span / step).max(1)).unwrap_or(u32::MAX)
}

/// Runs the passes of one range aggregation with function `f`.
fn run<F: WindowFn>(
    ctx: &mut Ctx<'_>,
    expr: &RangeAggregation,
    grouping: Option<&Grouping>,
    mut f: F,
    sink: &mut dyn SeriesSink,
) -> Result<(), EvalError> {
    let n = ctx.steps.n;
    let in_order = grouping.is_none() && ctx.source.exclusive_label_sets(expr);
    let per_pass = if F::COMPACT || in_order {
        n
    } else {
        slice_steps(&ctx.steps, expr.range.range)
    };
    let mut k0 = 0;
    while k0 < n {
        let k1 = n.min(k0.saturating_add(per_pass));
        let grid = WindowGrid::new(&ctx.steps, k0, k1, expr.range.range, expr.range.offset);
        let request = SampleRequest {
            range: expr,
            from: grid.from(),
            through: grid.through(),
            windows: &grid,
            accepts_blocks: f.accepts_blocks(),
        };
        let mut items = ctx.source.samples(&request)?;
        let mut pass = Pass::new(&grid, grouping, in_order, &mut f);
        pass.consume(ctx, items.as_mut(), sink)?;
        k0 = k1;
    }
    Ok(())
}

/// No slot.
const NONE: u32 = u32::MAX;

/// A source series id as the pass knows it.
struct IdEntry {
    /// Labels of the slot it feeds (grouped, or full when it carries an error).
    key: Arc<Labels>,
    /// Its slot, or [`NONE`] before its first in-window sample.
    slot: u32,
    /// Its labels carry `__error__`.
    error: bool,
}

/// Buckets of one elementary time span.
struct Bucket<P> {
    lo: u32,
    hi: u32,
    part: P,
}

/// State of one output series.
struct Slot<P> {
    labels: Arc<Labels>,
    buckets: VecDeque<Bucket<P>>,
    /// In-order slots: steps below are already emitted.
    next_step: u32,
    points: Vec<StepPoint>,
    /// Allocation counter, to recognise stale expiry entries.
    gen: u32,
    /// In-order slots: the source id feeding it.
    owner: u32,
}

/// An in-order slot whose windows are all complete once the stream passes
/// `end` (the end of the window of its newest bucket's last step).
struct Expiry {
    end: i128,
    slot: u32,
    gen: u32,
    hi: u32,
}

/// One pull over the source for a run of steps.
struct Pass<'g, F: WindowFn> {
    grid: &'g WindowGrid,
    grouping: Option<&'g Grouping>,
    in_order: bool,
    f: &'g mut F,
    slots: Vec<Option<Slot<F::Part>>>,
    free: Vec<u32>,
    shared: HashMap<Arc<Labels>, u32>,
    ids: Vec<IdEntry>,
    expiry: VecDeque<Expiry>,
    clock: i64,
    gens: u32,
    /// The bucket of the previous sample: consecutive samples mostly share
    /// one, which spares the divisions of [`WindowGrid::locate`].
    last: Option<Located>,
}

impl<'g, F: WindowFn> Pass<'g, F> {
    fn new(
        grid: &'g WindowGrid,
        grouping: Option<&'g Grouping>,
        in_order: bool,
        f: &'g mut F,
    ) -> Self {
        Pass {
            grid,
            grouping,
            in_order,
            f,
            slots: Vec::new(),
            free: Vec::new(),
            shared: HashMap::new(),
            ids: Vec::new(),
            expiry: VecDeque::new(),
            clock: i64::MIN,
            gens: 0,
            last: None,
        }
    }

    /// Reads every item, then emits what is left.
    fn consume(
        &mut self,
        ctx: &mut Ctx<'_>,
        items: &mut dyn SeriesSamples,
        sink: &mut dyn SeriesSink,
    ) -> Result<(), EvalError> {
        while let Some(item) = items.next_item()? {
            ctx.tick()?;
            match item {
                SampleItem::Series { id, labels } => self.declare(id, labels)?,
                SampleItem::Sample { id, ts, value } => {
                    self.advance_clock(ts, sink)?;
                    let bucket = match self.last {
                        Some(b) if b.holds(ts) => Some(b),
                        _ => self.grid.locate(ts),
                    };
                    if let Some(b) = bucket {
                        self.last = bucket;
                        let slot = self.slot_for(id)?;
                        self.add(slot, b.lo, b.hi, |f, p| f.add(p, ts, value))?;
                    }
                }
                SampleItem::Block {
                    id,
                    ts_min,
                    ts_max,
                    count,
                    bytes,
                } => {
                    self.advance_clock(ts_min, sink)?;
                    match self.grid.span(ts_min, ts_max) {
                        Span::Outside => {}
                        Span::Bucket(lo, hi) if self.f.accepts_blocks() => {
                            let slot = self.slot_for(id)?;
                            self.add(slot, lo, hi, |f, p| f.add_block(p, count, bytes))?;
                        }
                        _ => {
                            items.expand_block()?;
                            continue;
                        }
                    }
                    if self.in_order {
                        self.clock = self.clock.max(ts_max);
                    }
                }
                SampleItem::StreamEnd => self.end_stream(sink)?,
            }
        }
        self.end_stream(sink)?;
        for i in 0..self.slots.len() {
            self.release(i as u32, sink)?;
        }
        Ok(())
    }

    /// Registers a source series id for the current stream.
    fn declare(&mut self, id: u32, labels: Arc<Labels>) -> Result<(), EvalError> {
        let error = labels.get(ERROR_LABEL).is_some();
        let key = match self.grouping {
            Some(g) if !error => Arc::new(group_labels(&labels, g)),
            _ => labels,
        };
        let idx = id as usize;
        if idx >= self.ids.len() {
            if idx > 1 << 24 {
                return Err(EvalError::Source(format!("series id {id} is too large")));
            }
            self.ids.resize_with(idx + 1, || IdEntry {
                key: Arc::new(Labels::new()),
                slot: NONE,
                error: false,
            });
        }
        self.ids[idx] = IdEntry {
            key,
            slot: NONE,
            error,
        };
        Ok(())
    }

    /// The slot fed by source id `id`, created on first use; fails for
    /// series that carry a pipeline error.
    fn slot_for(&mut self, id: u32) -> Result<u32, EvalError> {
        let entry = self
            .ids
            .get(id as usize)
            .ok_or_else(|| EvalError::Source(format!("sample for undeclared series {id}")))?;
        if entry.error {
            return Err(EvalError::pipeline(&entry.key));
        }
        if entry.slot != NONE {
            return Ok(entry.slot);
        }
        let key = entry.key.clone();
        let slot = if self.in_order {
            self.new_slot(key, id)
        } else if let Some(&s) = self.shared.get(&key) {
            s
        } else {
            let s = self.new_slot(key.clone(), id);
            self.shared.insert(key, s);
            s
        };
        if let Some(e) = self.ids.get_mut(id as usize) {
            e.slot = slot;
        }
        Ok(slot)
    }

    fn new_slot(&mut self, labels: Arc<Labels>, owner: u32) -> u32 {
        self.gens = self.gens.wrapping_add(1);
        let slot = Slot {
            labels,
            buckets: VecDeque::new(),
            next_step: 0,
            points: Vec::new(),
            gen: self.gens,
            owner,
        };
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// Adds to the bucket `(lo, hi)` of `slot` through `op`.
    fn add(
        &mut self,
        slot: u32,
        lo: u32,
        hi: u32,
        op: impl FnOnce(&F, &mut F::Part),
    ) -> Result<(), EvalError> {
        if self.in_order {
            // Windows ending before this sample are complete.
            self.finish_steps(slot, lo);
        }
        let Some(s) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else {
            return Err(EvalError::Source("internal: missing slot".into()));
        };
        let newest_hi = s.buckets.back().map(|b| b.hi);
        let key = (lo, hi);
        let pos = match s.buckets.back() {
            Some(b) if (b.lo, b.hi) == key => Ok(s.buckets.len() - 1),
            Some(b) if (b.lo, b.hi) < key => Err(s.buckets.len()),
            None => Err(0),
            Some(_) => s.buckets.binary_search_by(|b| (b.lo, b.hi).cmp(&key)),
        };
        let idx = match pos {
            Ok(i) => i,
            Err(i) => {
                s.buckets.insert(
                    i,
                    Bucket {
                        lo,
                        hi,
                        part: self.f.new_part(),
                    },
                );
                i
            }
        };
        if let Some(b) = s.buckets.get_mut(idx) {
            op(self.f, &mut b.part);
        }
        if self.in_order && newest_hi != Some(hi) {
            self.expiry.push_back(Expiry {
                end: self.grid.end_of(hi),
                slot,
                gen: s.gen,
                hi,
            });
        }
        Ok(())
    }

    /// In-order streams: checks time order and releases slots whose windows
    /// the stream has left behind.
    fn advance_clock(&mut self, ts: i64, sink: &mut dyn SeriesSink) -> Result<(), EvalError> {
        if !self.in_order {
            return Ok(());
        }
        if ts < self.clock {
            return Err(EvalError::Source(
                "samples of a stored stream are out of time order".into(),
            ));
        }
        self.clock = ts;
        while let Some(e) = self.expiry.front() {
            if e.end >= i128::from(ts) {
                break;
            }
            let (slot, gen, hi) = (e.slot, e.gen, e.hi);
            self.expiry.pop_front();
            let current = self
                .slots
                .get(slot as usize)
                .and_then(Option::as_ref)
                .is_some_and(|s| s.gen == gen && s.buckets.back().map(|b| b.hi) == Some(hi));
            if current {
                self.release(slot, sink)?;
            }
        }
        Ok(())
    }

    /// End of a stored stream: in-order slots are complete.
    fn end_stream(&mut self, sink: &mut dyn SeriesSink) -> Result<(), EvalError> {
        if self.in_order {
            for i in 0..self.slots.len() {
                self.release(i as u32, sink)?;
            }
            self.expiry.clear();
            self.clock = i64::MIN;
        }
        self.ids.clear();
        Ok(())
    }

    /// Emits every remaining step of `slot` and frees it.
    fn release(&mut self, slot: u32, sink: &mut dyn SeriesSink) -> Result<(), EvalError> {
        if self.slots.get(slot as usize).is_none_or(Option::is_none) {
            return Ok(());
        }
        self.finish_steps(slot, self.grid.len());
        let Some(s) = self.slots.get_mut(slot as usize).and_then(Option::take) else {
            return Ok(());
        };
        self.free.push(slot);
        if self.in_order {
            if let Some(e) = self.ids.get_mut(s.owner as usize) {
                if e.slot == slot {
                    e.slot = NONE;
                }
            }
        } else {
            self.shared.remove(&s.labels);
        }
        sink.series(&s.labels, &s.points)
    }

    /// Computes the windows of `slot` for steps below `k_end` (local) that
    /// are not computed yet, and drops buckets no later window needs.
    fn finish_steps(&mut self, slot: u32, k_end: u32) {
        let grid = self.grid;
        let f = &mut *self.f;
        let Some(s) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else {
            return;
        };
        if k_end <= s.next_step {
            return;
        }
        let mut k = s.next_step;
        loop {
            while s.buckets.front().is_some_and(|b| b.hi < k) {
                s.buckets.pop_front();
            }
            let Some(front) = s.buckets.front() else {
                break;
            };
            k = k.max(front.lo);
            if k >= k_end {
                break;
            }
            let parts = s.buckets.iter().take_while(|b| b.lo <= k).map(|b| &b.part);
            let v = f.value(parts, grid.bounds(k));
            s.points.push((grid.global(k), v));
            k += 1;
        }
        s.next_step = s.next_step.max(k_end);
        while s.buckets.front().is_some_and(|b| b.hi < k_end) {
            s.buckets.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ast::{LogExpr, LogRange, Unwrap, UnwrapConversion};
    use crate::logql::eval::memory_source::{MemoryEntry, MemorySource, MemoryStream};
    use crate::logql::eval::series::SeriesSet;
    use crate::model::Matcher;

    const S: i64 = 1_000_000_000;

    fn lbl(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied())
    }

    /// Output series: labels and points.
    type Output = Vec<(Labels, Vec<(u32, f64)>)>;

    fn range_expr(
        op: RangeOp,
        sel: &[(&str, MatchOp, &str)],
        range_s: i64,
        unwrap: bool,
    ) -> RangeAggregation {
        RangeAggregation {
            op,
            param: None,
            range: LogRange {
                log: LogExpr {
                    selector: sel
                        .iter()
                        .map(|(n, o, v)| Matcher::new(*n, *o, *v).unwrap())
                        .collect(),
                    stages: vec![],
                },
                unwrap: unwrap.then(|| Unwrap {
                    label: "v".into(),
                    conversion: UnwrapConversion::Plain,
                    post_filters: vec![],
                }),
                range: range_s * S,
                offset: 0,
            },
            grouping: None,
        }
    }

    fn run_expr(
        src: &dyn super::super::source::SampleSource,
        steps: Steps,
        expr: &RangeAggregation,
        grouping: Option<&Grouping>,
    ) -> Result<Output, EvalError> {
        let mut ctx = Ctx::new(src, steps, None);
        let mut out = SeriesSet::new();
        eval(&mut ctx, expr, grouping, &mut out)?;
        let mut v: Vec<_> = out
            .finish()
            .into_iter()
            .map(|g| ((*g.labels).clone(), g.points))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(v)
    }

    /// Fixture A: {app="a"} at 10,20,30,60 s and {app="b"} at 15,60 s.
    fn fixture_a() -> Vec<MemoryStream> {
        let mk = |app: &str, ts: &[i64]| MemoryStream {
            labels: lbl(&[("app", app)]),
            entries: ts
                .iter()
                .map(|t| MemoryEntry::line(t * S, "line"))
                .collect(),
        };
        vec![mk("a", &[10, 20, 30, 60]), mk("b", &[15, 60])]
    }

    #[test]
    fn fixture_a_count_over_time_range_and_instant() {
        let expr = range_expr(
            RangeOp::CountOverTime,
            &[("app", MatchOp::Re, ".+")],
            30,
            false,
        );
        for exclusive in [false, true] {
            let src = MemorySource::new(fixture_a()).exclusive(exclusive);
            let got = run_expr(
                &src,
                Steps::range(30 * S, 60 * S, 10 * S).unwrap(),
                &expr,
                None,
            )
            .unwrap();
            assert_eq!(
                got,
                vec![
                    (
                        lbl(&[("app", "a")]),
                        vec![(0, 3.0), (1, 2.0), (2, 1.0), (3, 1.0)]
                    ),
                    (lbl(&[("app", "b")]), vec![(0, 1.0), (1, 1.0), (3, 1.0)]),
                ],
                "exclusive={exclusive}"
            );
            let got = run_expr(&src, Steps::instant(60 * S), &expr, None).unwrap();
            assert_eq!(
                got,
                vec![
                    (lbl(&[("app", "a")]), vec![(0, 1.0)]),
                    (lbl(&[("app", "b")]), vec![(0, 1.0)]),
                ]
            );
        }
    }

    /// Fixture B: {app="a"} lines v=N at (5,1) (10,2) (20,3) (30,4) (40,10) (50,1) (60,5).
    fn fixture_b() -> Vec<MemoryStream> {
        let pts = [
            (5, 1.0),
            (10, 2.0),
            (20, 3.0),
            (30, 4.0),
            (40, 10.0),
            (50, 1.0),
            (60, 5.0),
        ];
        vec![MemoryStream {
            labels: lbl(&[("app", "a")]),
            entries: pts
                .iter()
                .map(|(t, v)| MemoryEntry {
                    ts: t * S,
                    line: format!("v={v}"),
                    labels: None,
                    value: Some(*v),
                })
                .collect(),
        }]
    }

    #[test]
    fn fixture_b_windows_offsets_and_unaligned_steps() {
        let src = MemorySource::new(fixture_b()).exclusive(true);
        let sel = [("app", MatchOp::Eq, "a")];
        let expr = range_expr(RangeOp::CountOverTime, &sel, 20, false);
        let got = run_expr(
            &src,
            Steps::range(20 * S, 60 * S, 20 * S).unwrap(),
            &expr,
            None,
        )
        .unwrap();
        assert_eq!(got[0].1, vec![(0, 3.0), (1, 2.0), (2, 2.0)]);
        let mut off = expr.clone();
        off.range.offset = 10 * S;
        let got = run_expr(
            &src,
            Steps::range(20 * S, 60 * S, 20 * S).unwrap(),
            &off,
            None,
        )
        .unwrap();
        assert_eq!(got[0].1, vec![(0, 2.0), (1, 2.0), (2, 2.0)]);
        let short = range_expr(RangeOp::CountOverTime, &sel, 10, false);
        let got = run_expr(
            &src,
            Steps::range(21 * S, 60 * S, 20 * S).unwrap(),
            &short,
            None,
        )
        .unwrap();
        assert_eq!(got[0].1, vec![(0, 1.0), (1, 1.0)]);
    }

    #[test]
    fn fixture_b_unwrapped_instant_values() {
        let src = MemorySource::new(fixture_b());
        let sel = [("app", MatchOp::Eq, "a")];
        let cases = [
            (RangeOp::FirstOverTime, None, 1.0),
            (RangeOp::LastOverTime, None, 5.0),
            (RangeOp::MinOverTime, None, 1.0),
            (RangeOp::MaxOverTime, None, 10.0),
            (RangeOp::AvgOverTime, None, 26.0 / 7.0),
            (RangeOp::QuantileOverTime, Some(0.5), 3.0),
            (RangeOp::QuantileOverTime, Some(0.99), 9.7),
            (RangeOp::StdvarOverTime, None, 8.489795918367347),
            (RangeOp::RateCounter, None, 0.25),
            (RangeOp::SumOverTime, None, 26.0),
        ];
        for (op, param, want) in cases {
            let mut expr = range_expr(op, &sel, 60, true);
            expr.param = param;
            let got = run_expr(&src, Steps::instant(60 * S), &expr, None).unwrap();
            let v = got[0].1[0].1;
            assert!((v - want).abs() < 1e-9, "{op:?}: {v} != {want}");
        }
    }

    #[test]
    fn no_sample_no_point_and_rate_counter_single_sample_is_zero() {
        let src = MemorySource::new(vec![MemoryStream {
            labels: lbl(&[("app", "a")]),
            entries: vec![
                MemoryEntry::line(10 * S, "no value"),
                MemoryEntry {
                    value: Some(7.0),
                    ..MemoryEntry::line(50 * S, "x")
                },
            ],
        }]);
        let sel = [("app", MatchOp::Eq, "a")];
        let expr = range_expr(RangeOp::SumOverTime, &sel, 20, true);
        let got = run_expr(
            &src,
            Steps::range(20 * S, 60 * S, 20 * S).unwrap(),
            &expr,
            None,
        )
        .unwrap();
        assert_eq!(got[0].1, vec![(2, 7.0)]);
        let expr = range_expr(RangeOp::RateCounter, &sel, 20, true);
        let got = run_expr(
            &src,
            Steps::range(20 * S, 60 * S, 20 * S).unwrap(),
            &expr,
            None,
        )
        .unwrap();
        assert_eq!(got[0].1, vec![(2, 0.0)]);
    }

    #[test]
    fn grouping_puts_all_samples_of_a_group_in_one_window() {
        // Two streams of one service: avg over all samples, not of averages.
        let mk = |pod: &str, vals: &[(i64, f64)]| MemoryStream {
            labels: lbl(&[("pod", pod), ("svc", "x")]),
            entries: vals
                .iter()
                .map(|(t, v)| MemoryEntry::sample(t * S, lbl(&[("pod", pod), ("svc", "x")]), *v))
                .collect(),
        };
        let src = MemorySource::new(vec![
            mk("1", &[(10, 1.0), (20, 2.0), (30, 3.0)]),
            mk("2", &[(25, 10.0)]),
        ]);
        let expr = range_expr(RangeOp::AvgOverTime, &[("svc", MatchOp::Eq, "x")], 60, true);
        let by = Grouping {
            without: false,
            labels: vec!["svc".into()],
        };
        let got = run_expr(&src, Steps::instant(60 * S), &expr, Some(&by)).unwrap();
        assert_eq!(got, vec![(lbl(&[("svc", "x")]), vec![(0, 4.0)])]);
        let first = range_expr(
            RangeOp::FirstOverTime,
            &[("svc", MatchOp::Eq, "x")],
            60,
            true,
        );
        let without = Grouping {
            without: true,
            labels: vec!["pod".into()],
        };
        let got = run_expr(
            &src,
            Steps::range(30 * S, 60 * S, 30 * S).unwrap(),
            &first,
            Some(&without),
        )
        .unwrap();
        assert_eq!(got, vec![(lbl(&[("svc", "x")]), vec![(0, 1.0), (1, 1.0)])]);
        let last = range_expr(
            RangeOp::LastOverTime,
            &[("svc", MatchOp::Eq, "x")],
            60,
            true,
        );
        let got = run_expr(
            &src,
            Steps::range(30 * S, 60 * S, 30 * S).unwrap(),
            &last,
            Some(&by),
        )
        .unwrap();
        assert_eq!(got, vec![(lbl(&[("svc", "x")]), vec![(0, 3.0), (1, 3.0)])]);
    }

    #[test]
    fn pipeline_error_fails_only_inside_windows() {
        let bad = lbl(&[("__error__", "JSONParserErr"), ("app", "a")]);
        let src = MemorySource::new(vec![MemoryStream {
            labels: lbl(&[("app", "a")]),
            entries: vec![
                MemoryEntry::sample(5 * S, bad.clone(), 1.0),
                MemoryEntry::sample(50 * S, lbl(&[("app", "a")]), 1.0),
            ],
        }]);
        let expr = range_expr(
            RangeOp::CountOverTime,
            &[("app", MatchOp::Eq, "a")],
            10,
            false,
        );
        // Step 60 s, range 10 s: the bad sample at 5 s is between windows.
        let ok = run_expr(
            &src,
            Steps::range(20 * S, 60 * S, 20 * S).unwrap(),
            &expr,
            None,
        );
        assert!(ok.is_ok());
        let by = Grouping {
            without: false,
            labels: vec![],
        };
        let err = run_expr(&src, Steps::instant(10 * S), &expr, Some(&by)).unwrap_err();
        assert_eq!(
            err,
            EvalError::Pipeline {
                error: "JSONParserErr".into(),
                labels: bad
            }
        );
    }

    #[test]
    fn absent_over_time_uses_equality_matchers_only() {
        let src = MemorySource::new(fixture_a());
        let expr = range_expr(
            RangeOp::AbsentOverTime,
            &[
                ("app", MatchOp::Eq, "a"),
                ("env", MatchOp::Re, "p.*"),
                ("job", MatchOp::Eq, "j"),
            ],
            10,
            false,
        );
        assert_eq!(absent_labels(&expr), lbl(&[("app", "a"), ("job", "j")]));
        let expr = range_expr(
            RangeOp::AbsentOverTime,
            &[
                ("app", MatchOp::Eq, "a"),
                ("x", MatchOp::Eq, "1"),
                ("x", MatchOp::Eq, "2"),
            ],
            10,
            false,
        );
        assert_eq!(absent_labels(&expr), lbl(&[("app", "a")]));
        // {app="a"} has lines at 10,20,30,60: windows (t-10, t] for t = 10..60.
        let expr = range_expr(
            RangeOp::AbsentOverTime,
            &[("app", MatchOp::Eq, "a")],
            10,
            false,
        );
        let got = run_expr(
            &src,
            Steps::range(10 * S, 60 * S, 10 * S).unwrap(),
            &expr,
            None,
        )
        .unwrap();
        assert_eq!(got, vec![(lbl(&[("app", "a")]), vec![(3, 1.0), (4, 1.0)])]);
    }

    /// A stream of one line per second over 0..600 s.
    fn dense() -> Vec<MemoryStream> {
        vec![MemoryStream {
            labels: lbl(&[("app", "d")]),
            entries: (1..=600)
                .map(|t| MemoryEntry::line(t * S, "0123456789"))
                .collect(),
        }]
    }

    #[test]
    fn blocks_are_taken_whole_inside_one_bucket_and_expanded_otherwise() {
        let sel = [("app", MatchOp::Eq, "d")];
        for op in [
            RangeOp::CountOverTime,
            RangeOp::BytesOverTime,
            RangeOp::Rate,
            RangeOp::BytesRate,
        ] {
            let expr = range_expr(op, &sel, 60, false);
            let steps = Steps::range(60 * S, 600 * S, 60 * S).unwrap();
            let plain = run_expr(&MemorySource::new(dense()), steps, &expr, None).unwrap();
            let blocks = MemorySource::new(dense()).with_blocks(10);
            let got = run_expr(&blocks, steps, &expr, None).unwrap();
            assert_eq!(got, plain, "{op:?}");
            // Blocks of 10 s: (1..10], ... the block (51..60] fits; only those
            // straddling a minute boundary would need expanding: none here.
            assert_eq!(blocks.offered_blocks(), 60);
            assert_eq!(blocks.expanded_blocks(), 0, "{op:?}");
            let odd = MemorySource::new(dense()).with_blocks(7);
            assert_eq!(run_expr(&odd, steps, &expr, None).unwrap(), plain);
            assert!(odd.expanded_blocks() > 0 && odd.expanded_blocks() < odd.offered_blocks());
        }
        // Unwrapped functions never take blocks.
        let expr = range_expr(RangeOp::SumOverTime, &sel, 60, true);
        let src = MemorySource::new(dense()).with_blocks(10);
        run_expr(&src, Steps::instant(600 * S), &expr, None).unwrap();
        assert_eq!(src.offered_blocks(), 0);
    }

    #[test]
    fn exclusive_and_shared_modes_agree_on_overlapping_windows() {
        // Many label sets per stream, overlapping windows, all functions.
        let mut entries = Vec::new();
        for t in 1..=300i64 {
            let lv = ["info", "warn", "error"][(t % 3) as usize];
            let user = format!("u{}", t % 7);
            entries.push(MemoryEntry::sample(
                t * S + 3,
                lbl(&[("app", "m"), ("level", lv), ("user", &user)]),
                ((t * 37) % 11) as f64,
            ));
        }
        let streams = vec![MemoryStream {
            labels: lbl(&[("app", "m")]),
            entries,
        }];
        let sel = [("app", MatchOp::Eq, "m")];
        let steps = Steps::range(40 * S, 300 * S, 15 * S).unwrap();
        for op in [
            RangeOp::CountOverTime,
            RangeOp::SumOverTime,
            RangeOp::AvgOverTime,
            RangeOp::MaxOverTime,
            RangeOp::FirstOverTime,
            RangeOp::LastOverTime,
            RangeOp::StddevOverTime,
            RangeOp::QuantileOverTime,
            RangeOp::RateCounter,
        ] {
            let mut expr = range_expr(op, &sel, 50, true);
            expr.param = Some(0.9);
            let a = run_expr(&MemorySource::new(streams.clone()), steps, &expr, None).unwrap();
            let b = run_expr(
                &MemorySource::new(streams.clone()).exclusive(true),
                steps,
                &expr,
                None,
            )
            .unwrap();
            assert_eq!(a.len(), 21, "{op:?}");
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.0, y.0);
                assert_eq!(x.1.len(), y.1.len(), "{op:?} {}", x.0);
                for (p, q) in x.1.iter().zip(&y.1) {
                    assert_eq!(p.0, q.0);
                    assert!(
                        (p.1 - q.1).abs() <= 1e-9 * p.1.abs().max(1.0),
                        "{op:?}: {p:?} {q:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn shared_keep_all_functions_are_sliced() {
        let mk = |pod: &str| MemoryStream {
            labels: lbl(&[("pod", pod)]),
            entries: (1..=1000)
                .map(|t| MemoryEntry::sample(t * S, lbl(&[("pod", pod)]), (t % 13) as f64))
                .collect(),
        };
        let src = MemorySource::new(vec![mk("1"), mk("2")]);
        let mut expr = range_expr(
            RangeOp::QuantileOverTime,
            &[("pod", MatchOp::Re, ".+")],
            10,
            true,
        );
        expr.param = Some(0.5);
        let by = Grouping {
            without: true,
            labels: vec!["pod".into()],
        };
        let steps = Steps::range(10 * S, 1000 * S, 10 * S).unwrap();
        let got = run_expr(&src, steps, &expr, Some(&by)).unwrap();
        assert!(src.requests() > 1);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1.len(), 100);
        // Window (0,10] holds 1..=10 twice: median of 1..10 = 5.5.
        assert_eq!(got[0].1[0], (0, 5.5));
    }

    #[test]
    fn requests_cover_first_window_start_to_last_window_end() {
        use std::cell::RefCell;
        struct Recorder(RefCell<Vec<(i64, i64, bool)>>);
        impl super::super::source::SampleSource for Recorder {
            fn samples<'a>(
                &'a self,
                r: &SampleRequest<'a>,
            ) -> Result<Box<dyn SeriesSamples + 'a>, EvalError> {
                self.0
                    .borrow_mut()
                    .push((r.from, r.through, r.accepts_blocks));
                struct Empty;
                impl SeriesSamples for Empty {
                    fn next_item(&mut self) -> Result<Option<SampleItem>, EvalError> {
                        Ok(None)
                    }
                    fn expand_block(&mut self) -> Result<(), EvalError> {
                        Ok(())
                    }
                }
                Ok(Box::new(Empty))
            }
        }
        let rec = Recorder(RefCell::new(Vec::new()));
        let mut expr = range_expr(
            RangeOp::CountOverTime,
            &[("a", MatchOp::Eq, "b")],
            300,
            false,
        );
        expr.range.offset = 60 * S;
        run_expr(
            &rec,
            Steps::range(1000 * S, 2000 * S, 100 * S).unwrap(),
            &expr,
            None,
        )
        .unwrap();
        assert_eq!(*rec.0.borrow(), vec![(640 * S, 1940 * S, true)]);
    }

    #[test]
    fn out_of_order_exclusive_stream_is_an_error() {
        struct Bad;
        struct It(u32);
        impl SeriesSamples for It {
            fn next_item(&mut self) -> Result<Option<SampleItem>, EvalError> {
                self.0 += 1;
                Ok(match self.0 {
                    1 => Some(SampleItem::Series {
                        id: 0,
                        labels: Arc::new(Labels::new()),
                    }),
                    2 => Some(SampleItem::Sample {
                        id: 0,
                        ts: 50 * S,
                        value: 1.0,
                    }),
                    3 => Some(SampleItem::Sample {
                        id: 0,
                        ts: 40 * S,
                        value: 1.0,
                    }),
                    _ => None,
                })
            }
            fn expand_block(&mut self) -> Result<(), EvalError> {
                Ok(())
            }
        }
        impl super::super::source::SampleSource for Bad {
            fn samples<'a>(
                &'a self,
                _r: &SampleRequest<'a>,
            ) -> Result<Box<dyn SeriesSamples + 'a>, EvalError> {
                Ok(Box::new(It(0)))
            }
            fn exclusive_label_sets(&self, _r: &RangeAggregation) -> bool {
                true
            }
        }
        let expr = range_expr(
            RangeOp::CountOverTime,
            &[("a", MatchOp::Eq, "b")],
            60,
            false,
        );
        let mut ctx = Ctx::new(&Bad, Steps::instant(60 * S), None);
        let mut out = SeriesSet::new();
        assert!(matches!(
            eval(&mut ctx, &expr, None, &mut out),
            Err(EvalError::Source(_))
        ));
    }

    #[test]
    fn idle_label_sets_are_released_early_in_exclusive_streams() {
        use std::cell::Cell;
        // One stream whose every line is its own label set: series must be
        // emitted while the stream is still being read, not all at its end.
        struct CountingIter<'a> {
            inner: Box<dyn SeriesSamples + 'a>,
            read: &'a Cell<usize>,
        }
        impl SeriesSamples for CountingIter<'_> {
            fn next_item(&mut self) -> Result<Option<SampleItem>, EvalError> {
                self.read.set(self.read.get() + 1);
                self.inner.next_item()
            }
            fn expand_block(&mut self) -> Result<(), EvalError> {
                self.inner.expand_block()
            }
        }
        struct Counting<'a> {
            inner: MemorySource,
            read: &'a Cell<usize>,
        }
        impl super::super::source::SampleSource for Counting<'_> {
            fn samples<'b>(
                &'b self,
                r: &SampleRequest<'b>,
            ) -> Result<Box<dyn SeriesSamples + 'b>, EvalError> {
                Ok(Box::new(CountingIter {
                    inner: self.inner.samples(r)?,
                    read: self.read,
                }))
            }
            fn exclusive_label_sets(&self, r: &RangeAggregation) -> bool {
                self.inner.exclusive_label_sets(r)
            }
        }
        struct Sink<'a> {
            read: &'a Cell<usize>,
            early: usize,
            total: usize,
        }
        impl SeriesSink for Sink<'_> {
            fn series(&mut self, _l: &Arc<Labels>, _p: &[StepPoint]) -> Result<(), EvalError> {
                self.total += 1;
                if self.read.get() < 2000 {
                    self.early += 1;
                }
                Ok(())
            }
        }
        let entries = (1..=1000)
            .map(|t| MemoryEntry::sample(t * S, lbl(&[("id", &t.to_string())]), 1.0))
            .collect();
        let read = Cell::new(0);
        let src = Counting {
            inner: MemorySource::new(vec![MemoryStream {
                labels: lbl(&[("app", "u")]),
                entries,
            }])
            .exclusive(true),
            read: &read,
        };
        let expr = range_expr(
            RangeOp::CountOverTime,
            &[("app", MatchOp::Eq, "u")],
            10,
            false,
        );
        let mut ctx = Ctx::new(&src, Steps::range(10 * S, 1000 * S, 10 * S).unwrap(), None);
        let mut sink = Sink {
            read: &read,
            early: 0,
            total: 0,
        };
        eval(&mut ctx, &expr, None, &mut sink).unwrap();
        assert_eq!(sink.total, 1000);
        assert!(sink.early >= 980, "{}", sink.early);
    }
}

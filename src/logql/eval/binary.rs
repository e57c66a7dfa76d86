//! Binary operators.
//!
//! Loki's rules (`evaluator.go`, `syntax.MergeBinOp`):
//! * Arithmetic: division and modulo by zero give NaN.
//! * A comparison filters: a kept element keeps the value of the vector
//!   operand (of the left operand between two vectors); with `bool` every
//!   matched element is kept with 1 or 0.
//! * Vector ⨯ literal applies to each element and keeps its labels.
//! * Vector ⨯ vector matches per step on the signature (all labels, or
//!   `on(…)` / `ignoring(…)`). One-to-one results keep the left labels (only
//!   the `on` labels, or without the `ignoring` labels); with
//!   `group_left`/`group_right` the "many" side's labels plus the `include`
//!   labels taken from the "one" side (removed when empty there).
//! * `and`, `or`, `unless` compare signatures only and keep the original
//!   samples; `or`/`unless` with an empty side return the other side
//!   unchanged.

use std::collections::HashMap;
use std::sync::Arc;

use super::error::EvalError;
use super::series::{Ctx, Gathered, SeriesSet, SeriesSink, StepCursor, StepPoint};
use crate::logql::ast::{BinaryExpr, BinaryOp, GroupSide, VectorMatching};
use crate::model::Labels;

/// `l op r` for arithmetic operators.
fn arith(op: BinaryOp, l: f64, r: f64) -> f64 {
    match op {
        BinaryOp::Add => l + r,
        BinaryOp::Sub => l - r,
        BinaryOp::Mul => l * r,
        BinaryOp::Div if r == 0.0 => f64::NAN,
        BinaryOp::Div => l / r,
        BinaryOp::Mod if r == 0.0 => f64::NAN,
        BinaryOp::Mod => l % r,
        BinaryOp::Pow => l.powf(r),
        _ => f64::NAN,
    }
}

/// `l op r` for comparison operators.
fn compare(op: BinaryOp, l: f64, r: f64) -> bool {
    match op {
        BinaryOp::Eq => l == r,
        BinaryOp::Neq => l != r,
        BinaryOp::Gt => l > r,
        BinaryOp::Gte => l >= r,
        BinaryOp::Lt => l < r,
        BinaryOp::Lte => l <= r,
        _ => false,
    }
}

/// Folds an operation between two literals (comparisons give 1 or 0).
pub(crate) fn fold_literals(op: BinaryOp, l: f64, r: f64) -> Result<f64, EvalError> {
    if op.is_set_op() {
        return Err(EvalError::Unsupported(format!(
            "literal operand of logical/set binary operation ({})",
            op.as_str()
        )));
    }
    Ok(if op.is_comparison() {
        f64::from(u8::from(compare(op, l, r)))
    } else {
        arith(op, l, r)
    })
}

/// The result of one matched pair, or `None` when a comparison filters it
/// out. `keep` is the value a passing filter keeps.
fn merge(op: BinaryOp, l: f64, r: f64, return_bool: bool, keep: f64) -> Option<f64> {
    if op.is_comparison() {
        let ok = compare(op, l, r);
        if return_bool {
            Some(f64::from(u8::from(ok)))
        } else {
            ok.then_some(keep)
        }
    } else {
        Some(arith(op, l, r))
    }
}

/// Applies `vector op literal` (or `literal op vector` when `literal_left`)
/// to each series as it passes.
pub(crate) struct LiteralSink<'a> {
    op: BinaryOp,
    literal: f64,
    literal_left: bool,
    return_bool: bool,
    next: &'a mut dyn SeriesSink,
    buf: Vec<StepPoint>,
}

impl<'a> LiteralSink<'a> {
    /// A sink applying `expr`'s operator with `literal` on the given side.
    pub fn new(
        expr: &BinaryExpr,
        literal: f64,
        literal_left: bool,
        next: &'a mut dyn SeriesSink,
    ) -> Result<Self, EvalError> {
        if expr.op.is_set_op() {
            return Err(EvalError::Unsupported(format!(
                "literal operand of logical/set binary operation ({})",
                expr.op.as_str()
            )));
        }
        Ok(LiteralSink {
            op: expr.op,
            literal,
            literal_left,
            return_bool: expr.modifier.return_bool,
            next,
            buf: Vec::new(),
        })
    }
}

impl SeriesSink for LiteralSink<'_> {
    fn series(&mut self, labels: &Arc<Labels>, points: &[StepPoint]) -> Result<(), EvalError> {
        self.buf.clear();
        for &(k, v) in points {
            let (l, r) = if self.literal_left {
                (self.literal, v)
            } else {
                (v, self.literal)
            };
            if let Some(out) = merge(self.op, l, r, self.return_bool, v) {
                self.buf.push((k, out));
            }
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        self.next.series(labels, &self.buf)
    }
}

/// The matching signature of `labels`.
fn signature(labels: &Labels, m: Option<&VectorMatching>) -> Labels {
    match m {
        None => labels.clone(),
        Some(m) => {
            let mut s = labels.clone();
            s.retain(|l| m.labels.contains(&l.name) == m.on);
            s
        }
    }
}

/// Labels of a matched pair: `many` is the left side (the "many" side with a
/// group modifier), `one` the other.
fn result_labels(many: &Labels, one: &Labels, m: Option<&VectorMatching>) -> Labels {
    let mut out = many.clone();
    let Some(m) = m else {
        return out;
    };
    match &m.group {
        None => out.retain(|l| m.labels.contains(&l.name) == m.on),
        Some(g) => {
            for name in &g.include {
                match one.get(name) {
                    Some(v) if !v.is_empty() => out.insert(name.clone(), v.to_string()),
                    _ => {
                        out.remove(name);
                    }
                }
            }
        }
    }
    out
}

/// Interns signatures to small ids.
struct Signatures {
    ids: HashMap<Labels, u32>,
}

impl Signatures {
    fn of(&mut self, series: &[Gathered], m: Option<&VectorMatching>) -> Vec<u32> {
        series
            .iter()
            .map(|s| {
                let next = self.ids.len() as u32;
                *self.ids.entry(signature(&s.labels, m)).or_insert(next)
            })
            .collect()
    }
}

/// Output series of a vector-to-vector operation, by labels.
#[derive(Default)]
struct Outputs {
    index: HashMap<Arc<Labels>, usize>,
    series: Vec<(Arc<Labels>, Vec<StepPoint>, u32)>,
}

impl Outputs {
    fn slot(&mut self, labels: Arc<Labels>) -> usize {
        let len = self.series.len();
        *self.index.entry(labels.clone()).or_insert_with(|| {
            self.series.push((labels, Vec::new(), 0));
            len
        })
    }

    /// Adds a point; false when the slot already has one at this step.
    fn push(&mut self, slot: usize, k: u32, v: f64) -> bool {
        let Some((_, points, stamp)) = self.series.get_mut(slot) else {
            return false;
        };
        if *stamp == k + 1 {
            return false;
        }
        *stamp = k + 1;
        points.push((k, v));
        true
    }

    fn emit(self, out: &mut dyn SeriesSink) -> Result<(), EvalError> {
        for (labels, points, _) in self.series {
            out.series(&labels, &points)?;
        }
        Ok(())
    }
}

/// Evaluates a vector-to-vector operation over gathered operands.
pub(crate) fn vector_op(
    ctx: &mut Ctx<'_>,
    expr: &BinaryExpr,
    lhs: SeriesSet,
    rhs: SeriesSet,
    out: &mut dyn SeriesSink,
) -> Result<(), EvalError> {
    let lhs = lhs.finish();
    let rhs = rhs.finish();
    let m = expr.modifier.matching.as_ref();
    let mut sigs = Signatures {
        ids: HashMap::new(),
    };
    let lsig = sigs.of(&lhs, m);
    let rsig = sigs.of(&rhs, m);
    let nsig = sigs.ids.len();
    let mut outputs = Outputs::default();
    if expr.op.is_set_op() {
        set_op(
            ctx,
            expr.op,
            (&lhs, &lsig),
            (&rhs, &rsig),
            nsig,
            &mut outputs,
        )?;
    } else {
        matched_op(ctx, expr, (&lhs, &lsig), (&rhs, &rsig), nsig, &mut outputs)?;
    }
    outputs.emit(out)
}

/// Samples kept at one step: `(series index, value)`.
type Kept = Vec<(usize, f64)>;

/// `and`, `or`, `unless`, step by step.
fn set_op(
    ctx: &mut Ctx<'_>,
    op: BinaryOp,
    (lhs, lsig): (&[Gathered], &[u32]),
    (rhs, rsig): (&[Gathered], &[u32]),
    nsig: usize,
    outputs: &mut Outputs,
) -> Result<(), EvalError> {
    let lslots: Vec<usize> = lhs.iter().map(|s| outputs.slot(s.labels.clone())).collect();
    let rslots: Vec<usize> = rhs.iter().map(|s| outputs.slot(s.labels.clone())).collect();
    let mut lc = StepCursor::new(lhs);
    let mut rc = StepCursor::new(rhs);
    let (mut la, mut ra) = (Vec::new(), Vec::new());
    // seen[sig] == k + 1: the signature occurs on the marked side at step k.
    let mut seen = vec![0u32; nsig];
    for k in 0..ctx.steps.n {
        ctx.tick()?;
        lc.at(k, &mut la);
        rc.at(k, &mut ra);
        let stamp = k + 1;
        let (keep_left, keep_right): (Kept, Kept) = match op {
            BinaryOp::And if la.is_empty() || ra.is_empty() => (vec![], vec![]),
            BinaryOp::And | BinaryOp::Unless if !ra.is_empty() => {
                for &(i, _) in &ra {
                    mark(&mut seen, rsig, i, stamp);
                }
                let want = op == BinaryOp::And;
                let kept = la
                    .iter()
                    .copied()
                    .filter(|&(i, _)| is_marked(&seen, lsig, i, stamp) == want);
                (kept.collect(), vec![])
            }
            BinaryOp::Unless => (la.clone(), vec![]),
            _ => {
                // or: all left, plus right samples whose signature is not on the left.
                for &(i, _) in &la {
                    mark(&mut seen, lsig, i, stamp);
                }
                let right = ra
                    .iter()
                    .copied()
                    .filter(|&(i, _)| !is_marked(&seen, rsig, i, stamp));
                (la.clone(), right.collect())
            }
        };
        for (i, v) in keep_left {
            if let Some(&slot) = lslots.get(i) {
                outputs.push(slot, k, v);
            }
        }
        for (i, v) in keep_right {
            if let Some(&slot) = rslots.get(i) {
                outputs.push(slot, k, v);
            }
        }
    }
    Ok(())
}

fn mark(seen: &mut [u32], sigs: &[u32], i: usize, stamp: u32) {
    if let Some(s) = sigs.get(i).and_then(|&s| seen.get_mut(s as usize)) {
        *s = stamp;
    }
}

fn is_marked(seen: &[u32], sigs: &[u32], i: usize, stamp: u32) -> bool {
    sigs.get(i)
        .and_then(|&s| seen.get(s as usize))
        .is_some_and(|&v| v == stamp)
}

/// Arithmetic and comparisons between two vectors, step by step.
fn matched_op(
    ctx: &mut Ctx<'_>,
    expr: &BinaryExpr,
    (lhs, lsig): (&[Gathered], &[u32]),
    (rhs, rsig): (&[Gathered], &[u32]),
    nsig: usize,
    outputs: &mut Outputs,
) -> Result<(), EvalError> {
    let m = expr.modifier.matching.as_ref();
    let group = m.and_then(|m| m.group.as_ref());
    let swapped = group.is_some_and(|g| g.side == GroupSide::Right);
    // `many` iterates, `one` is looked up.
    let ((many, many_sig), (one, one_sig)) = if swapped {
        ((rhs, rsig), (lhs, lsig))
    } else {
        ((lhs, lsig), (rhs, rsig))
    };
    let mut mc = StepCursor::new(many);
    let mut oc = StepCursor::new(one);
    let (mut ma, mut oa) = (Vec::new(), Vec::new());
    // Per signature: (step stamp, index into `one`, value) of the one side,
    // and the step stamp of the last one-to-one match.
    let mut one_at: Vec<(u32, usize, f64)> = vec![(0, 0, 0.0); nsig];
    let mut matched = vec![0u32; nsig];
    let mut pairs: HashMap<(usize, usize), usize> = HashMap::new();
    for k in 0..ctx.steps.n {
        ctx.tick()?;
        let stamp = k + 1;
        oc.at(k, &mut oa);
        for &(j, v) in &oa {
            let Some(cell) = one_sig.get(j).and_then(|&s| one_at.get_mut(s as usize)) else {
                continue;
            };
            if cell.0 == stamp {
                return Err(EvalError::ManyToMany {
                    side: if swapped { "left" } else { "right" },
                });
            }
            *cell = (stamp, j, v);
        }
        mc.at(k, &mut ma);
        for &(i, mv) in &ma {
            let Some(&sig) = many_sig.get(i) else {
                continue;
            };
            let Some(&(s, j, ov)) = one_at.get(sig as usize) else {
                continue;
            };
            if s != stamp {
                continue;
            }
            if group.is_none() {
                let Some(seen) = matched.get_mut(sig as usize) else {
                    continue;
                };
                if *seen == stamp {
                    return Err(EvalError::ManyToOneNotExplicit);
                }
                *seen = stamp;
            }
            let slot = match pairs.get(&(i, j)) {
                Some(&slot) => slot,
                None => {
                    let (Some(ms), Some(os)) = (many.get(i), one.get(j)) else {
                        continue;
                    };
                    let labels = Arc::new(result_labels(&ms.labels, &os.labels, m));
                    let slot = outputs.slot(labels);
                    pairs.insert((i, j), slot);
                    slot
                }
            };
            let (l, r) = if swapped { (ov, mv) } else { (mv, ov) };
            if let Some(v) = merge(expr.op, l, r, expr.modifier.return_bool, l) {
                if !outputs.push(slot, k, v) && group.is_some() {
                    return Err(EvalError::GroupingNotUnique);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ast::{BinaryModifier, GroupModifier, MetricExpr};
    use crate::logql::eval::memory_source::MemorySource;
    use crate::logql::eval::steps::Steps;

    fn l(pairs: &[(&str, &str)]) -> Arc<Labels> {
        Arc::new(Labels::from_pairs(pairs.iter().copied()))
    }

    fn bin(op: BinaryOp, return_bool: bool, matching: Option<VectorMatching>) -> BinaryExpr {
        BinaryExpr {
            op,
            lhs: Box::new(MetricExpr::Vector(0.0)),
            rhs: Box::new(MetricExpr::Vector(0.0)),
            modifier: BinaryModifier {
                return_bool,
                matching,
            },
        }
    }

    fn on(labels: &[&str]) -> Option<VectorMatching> {
        Some(VectorMatching {
            on: true,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            group: None,
        })
    }

    fn ignoring(labels: &[&str]) -> Option<VectorMatching> {
        Some(VectorMatching {
            on: false,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            group: None,
        })
    }

    fn grouped(
        on_: bool,
        labels: &[&str],
        side: GroupSide,
        include: &[&str],
    ) -> Option<VectorMatching> {
        Some(VectorMatching {
            on: on_,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            group: Some(GroupModifier {
                side,
                include: include.iter().map(|s| s.to_string()).collect(),
            }),
        })
    }

    type Input = Vec<(Arc<Labels>, Vec<StepPoint>)>;

    fn set(input: &Input) -> SeriesSet {
        let mut s = SeriesSet::new();
        for (labels, pts) in input {
            s.series(labels, pts).unwrap();
        }
        s
    }

    fn run(
        expr: &BinaryExpr,
        n: u32,
        lhs: &Input,
        rhs: &Input,
    ) -> Result<Vec<(Labels, Vec<StepPoint>)>, EvalError> {
        let src = MemorySource::new(vec![]);
        let steps = if n == 1 {
            Steps::instant(0)
        } else {
            Steps::range(0, i64::from(n - 1), 1).unwrap()
        };
        let mut ctx = Ctx::new(&src, steps, None);
        let mut out = SeriesSet::new();
        vector_op(&mut ctx, expr, set(lhs), set(rhs), &mut out)?;
        let mut v: Vec<_> = out
            .finish()
            .into_iter()
            .map(|g| ((*g.labels).clone(), g.points))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(v)
    }

    fn lit(
        op: BinaryOp,
        return_bool: bool,
        literal: f64,
        literal_left: bool,
        input: &Input,
    ) -> Vec<(Labels, Vec<StepPoint>)> {
        let expr = bin(op, return_bool, None);
        let mut out = SeriesSet::new();
        {
            let mut sink = LiteralSink::new(&expr, literal, literal_left, &mut out).unwrap();
            for (labels, pts) in input {
                sink.series(labels, pts).unwrap();
            }
        }
        out.finish()
            .into_iter()
            .map(|g| ((*g.labels).clone(), g.points))
            .collect()
    }

    #[test]
    fn literal_folding_and_division_by_zero() {
        let cases = [
            (BinaryOp::Add, 1.0, 2.0, 3.0),
            (BinaryOp::Div, 1.0, 0.0, f64::NAN),
            (BinaryOp::Mod, 10.0, 3.0, 1.0),
            (BinaryOp::Mod, 1.0, 0.0, f64::NAN),
            (BinaryOp::Pow, 2.0, 9.0, 512.0),
            (BinaryOp::Gt, 1.0, 2.0, 0.0),
            (BinaryOp::Lte, 2.0, 2.0, 1.0),
            (BinaryOp::Sub, 0.0, 0.0, 0.0),
        ];
        for (op, a, b, want) in cases {
            let got = fold_literals(op, a, b).unwrap();
            assert!(got == want || (got.is_nan() && want.is_nan()), "{op:?}");
        }
        assert!(fold_literals(BinaryOp::Or, 1.0, 2.0).is_err());
    }

    #[test]
    fn vector_literal_comparisons_keep_the_vector_value() {
        let input: Input = vec![
            (l(&[("s", "jellyfin")]), vec![(0, 4.0)]),
            (l(&[("s", "sonarr")]), vec![(0, 2.0)]),
        ];
        // count > 2
        let got = lit(BinaryOp::Gt, false, 2.0, false, &input);
        assert_eq!(
            got,
            vec![(Labels::from_pairs([("s", "jellyfin")]), vec![(0, 4.0)])]
        );
        // 2 < count returns the count, not 2.
        let got = lit(BinaryOp::Lt, false, 2.0, true, &input);
        assert_eq!(
            got,
            vec![(Labels::from_pairs([("s", "jellyfin")]), vec![(0, 4.0)])]
        );
        // > bool 2
        let got = lit(BinaryOp::Gt, true, 2.0, false, &input);
        assert_eq!(got[0].1, vec![(0, 1.0)]);
        assert_eq!(got[1].1, vec![(0, 0.0)]);
        // 1 - x and x / 0
        let got = lit(BinaryOp::Sub, false, 1.0, true, &input);
        assert_eq!(got[0].1, vec![(0, -3.0)]);
        let got = lit(BinaryOp::Div, false, 0.0, false, &input);
        assert!(got[0].1[0].1.is_nan());
        let got = lit(BinaryOp::Div, false, 8.0, true, &input);
        assert_eq!(got[1].1, vec![(0, 4.0)]);
    }

    fn dyno(app: &str, d: &str) -> Arc<Labels> {
        l(&[("app", app), ("dyno", d)])
    }

    #[test]
    fn one_to_one_matching_table() {
        let lhs: Input = vec![
            (dyno("a", "web.1"), vec![(0, 6.0), (1, 8.0)]),
            (dyno("a", "web.2"), vec![(0, 3.0)]),
        ];
        let rhs: Input = vec![
            (dyno("a", "web.1"), vec![(0, 2.0)]),
            (dyno("a", "web.2"), vec![(0, 0.0), (1, 1.0)]),
        ];
        // Same labels: match per step; no partner, no point.
        let got = run(&bin(BinaryOp::Div, false, None), 2, &lhs, &rhs).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, vec![(0, 3.0)]);
        assert!(got[1].1[0].1.is_nan());
        // Comparison filter keeps the left value; bool gives 1/0.
        let got = run(&bin(BinaryOp::Gt, false, None), 2, &lhs, &rhs).unwrap();
        assert_eq!(
            got,
            vec![
                ((*dyno("a", "web.1")).clone(), vec![(0, 6.0)]),
                ((*dyno("a", "web.2")).clone(), vec![(0, 3.0)])
            ]
        );
        let got = run(&bin(BinaryOp::Lt, true, None), 2, &lhs, &rhs).unwrap();
        assert_eq!(got[0].1, vec![(0, 0.0)]);
        // on(dyno): result keeps only dyno.
        let rhs2: Input = vec![(l(&[("dyno", "web.1"), ("x", "y")]), vec![(0, 2.0)])];
        let got = run(&bin(BinaryOp::Mul, false, on(&["dyno"])), 2, &lhs, &rhs2).unwrap();
        assert_eq!(
            got,
            vec![(Labels::from_pairs([("dyno", "web.1")]), vec![(0, 12.0)])]
        );
        // ignoring(app): result drops app.
        let rhs3: Input = vec![(dyno("b", "web.2"), vec![(0, 1.0)])];
        let got = run(
            &bin(BinaryOp::Add, false, ignoring(&["app"])),
            2,
            &lhs,
            &rhs3,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![(Labels::from_pairs([("dyno", "web.2")]), vec![(0, 4.0)])]
        );
        // vector(1) + vector(1)
        let one: Input = vec![(l(&[]), vec![(0, 1.0)])];
        let got = run(&bin(BinaryOp::Add, false, None), 1, &one, &one).unwrap();
        assert_eq!(got, vec![(Labels::new(), vec![(0, 2.0)])]);
    }

    #[test]
    fn matching_errors() {
        let lhs: Input = vec![
            (dyno("a", "web.1"), vec![(0, 1.0)]),
            (dyno("a", "web.2"), vec![(0, 1.0)]),
        ];
        let rhs: Input = vec![(l(&[("app", "a")]), vec![(0, 2.0)])];
        assert_eq!(
            run(&bin(BinaryOp::Div, false, on(&["app"])), 1, &lhs, &rhs),
            Err(EvalError::ManyToOneNotExplicit)
        );
        assert_eq!(
            run(&bin(BinaryOp::Div, false, on(&["app"])), 1, &rhs, &lhs),
            Err(EvalError::ManyToMany { side: "right" })
        );
        assert_eq!(
            run(
                &bin(
                    BinaryOp::Div,
                    false,
                    grouped(true, &["app"], GroupSide::Right, &[])
                ),
                1,
                &lhs,
                &rhs
            ),
            Err(EvalError::ManyToMany { side: "left" })
        );
        // group_left that maps two left series onto one output.
        let dup: Input = vec![
            (dyno("a", "web.1"), vec![(0, 1.0)]),
            (dyno("a", "web.2"), vec![(0, 1.0)]),
        ];
        let one: Input = vec![(l(&[("app", "a"), ("dyno", "x")]), vec![(0, 2.0)])];
        assert_eq!(
            run(
                &bin(
                    BinaryOp::Mul,
                    false,
                    grouped(true, &["app"], GroupSide::Left, &["dyno"])
                ),
                1,
                &dup,
                &one
            ),
            Err(EvalError::GroupingNotUnique)
        );
    }

    #[test]
    fn group_left_and_right_with_include() {
        let many: Input = vec![
            (l(&[("namespace", "n1"), ("user", "u1")]), vec![(0, 2.0)]),
            (l(&[("namespace", "n2"), ("user", "u1")]), vec![(0, 3.0)]),
            (l(&[("namespace", "n3"), ("user", "u2")]), vec![(0, 5.0)]),
        ];
        let one: Input = vec![
            (
                l(&[("organization", "o1"), ("user", "u1")]),
                vec![(0, 10.0)],
            ),
            (l(&[("organization", ""), ("user", "u2")]), vec![(0, 100.0)]),
        ];
        let got = run(
            &bin(
                BinaryOp::Mul,
                false,
                grouped(true, &["user"], GroupSide::Left, &["organization"]),
            ),
            1,
            &many,
            &one,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                (
                    Labels::from_pairs([
                        ("namespace", "n1"),
                        ("organization", "o1"),
                        ("user", "u1")
                    ]),
                    vec![(0, 20.0)]
                ),
                (
                    Labels::from_pairs([
                        ("namespace", "n2"),
                        ("organization", "o1"),
                        ("user", "u1")
                    ]),
                    vec![(0, 30.0)]
                ),
                (
                    Labels::from_pairs([("namespace", "n3"), ("user", "u2")]),
                    vec![(0, 500.0)]
                ),
            ]
        );
        // group_right: the right side is "many"; the operator keeps its
        // operand order (one / many), labels come from the many side.
        let got = run(
            &bin(
                BinaryOp::Div,
                false,
                grouped(true, &["user"], GroupSide::Right, &[]),
            ),
            1,
            &one,
            &many,
        )
        .unwrap();
        assert_eq!(
            got[0],
            (
                Labels::from_pairs([("namespace", "n1"), ("user", "u1")]),
                vec![(0, 5.0)]
            )
        );
        // Comparison with group_right keeps the left ("one") value.
        let got = run(
            &bin(
                BinaryOp::Gt,
                false,
                grouped(true, &["user"], GroupSide::Right, &[]),
            ),
            1,
            &one,
            &many,
        )
        .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].1, vec![(0, 100.0)]);
        // group_left() with on(app): the left labels are kept whole.
        let lhs: Input = vec![
            (dyno("shop", "router"), vec![(0, 1.0)]),
            (dyno("shop", "web.1"), vec![(0, 3.0)]),
        ];
        let rhs: Input = vec![(l(&[("app", "shop")]), vec![(0, 4.0)])];
        let got = run(
            &bin(
                BinaryOp::Div,
                false,
                grouped(true, &["app"], GroupSide::Left, &[]),
            ),
            1,
            &lhs,
            &rhs,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ((*dyno("shop", "router")).clone(), vec![(0, 0.25)]),
                ((*dyno("shop", "web.1")).clone(), vec![(0, 0.75)])
            ]
        );
    }

    #[test]
    fn set_operations_table() {
        let a: Input = vec![
            (dyno("a", "router"), vec![(0, 1.0), (1, 1.0)]),
            (dyno("a", "web.1"), vec![(0, 2.0)]),
        ];
        let b: Input = vec![
            (dyno("a", "router"), vec![(0, 9.0)]),
            (dyno("a", "web.2"), vec![(1, 7.0)]),
        ];
        let empty: Input = vec![];
        let and = run(&bin(BinaryOp::And, false, None), 2, &a, &b).unwrap();
        assert_eq!(and, vec![((*dyno("a", "router")).clone(), vec![(0, 1.0)])]);
        let or = run(&bin(BinaryOp::Or, false, None), 2, &a, &b).unwrap();
        assert_eq!(
            or,
            vec![
                ((*dyno("a", "router")).clone(), vec![(0, 1.0), (1, 1.0)]),
                ((*dyno("a", "web.1")).clone(), vec![(0, 2.0)]),
                ((*dyno("a", "web.2")).clone(), vec![(1, 7.0)]),
            ]
        );
        let unless = run(&bin(BinaryOp::Unless, false, None), 2, &a, &b).unwrap();
        assert_eq!(
            unless,
            vec![
                ((*dyno("a", "router")).clone(), vec![(1, 1.0)]),
                ((*dyno("a", "web.1")).clone(), vec![(0, 2.0)])
            ]
        );
        // Empty sides.
        assert_eq!(
            run(&bin(BinaryOp::Or, false, None), 2, &empty, &b)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            run(&bin(BinaryOp::Or, false, None), 2, &a, &empty)
                .unwrap()
                .len(),
            2
        );
        assert!(run(&bin(BinaryOp::And, false, None), 2, &a, &empty)
            .unwrap()
            .is_empty());
        assert_eq!(
            run(&bin(BinaryOp::Unless, false, None), 2, &a, &empty)
                .unwrap()
                .len(),
            2
        );
        // on(dyno) signature.
        let c: Input = vec![(l(&[("dyno", "web.1"), ("x", "1")]), vec![(0, 5.0)])];
        let and_on = run(&bin(BinaryOp::And, false, on(&["dyno"])), 2, &a, &c).unwrap();
        assert_eq!(
            and_on,
            vec![((*dyno("a", "web.1")).clone(), vec![(0, 2.0)])]
        );
        // unless ignoring(app)
        let d: Input = vec![(l(&[("dyno", "router")]), vec![(0, 1.0), (1, 1.0)])];
        let got = run(&bin(BinaryOp::Unless, false, ignoring(&["app"])), 2, &a, &d).unwrap();
        assert_eq!(got, vec![((*dyno("a", "web.1")).clone(), vec![(0, 2.0)])]);
    }

    #[test]
    fn or_vector_zero_fills_empty_steps() {
        // sum(...) has a value at step 1 only; `or vector(0)` fills step 0.
        let sum: Input = vec![(l(&[]), vec![(1, 388.0)])];
        let zero: Input = vec![(l(&[]), vec![(0, 0.0), (1, 0.0)])];
        let got = run(&bin(BinaryOp::Or, false, None), 2, &sum, &zero).unwrap();
        assert_eq!(got, vec![(Labels::new(), vec![(0, 0.0), (1, 388.0)])]);
    }
}

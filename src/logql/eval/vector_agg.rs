//! Vector aggregations: `sum avg min max count stddev stdvar` fold the
//! series of a group step by step; `topk`/`bottomk` keep the k best series
//! per group and step; `sort`/`sort_desc` order an instant vector by value.
//!
//! The arithmetic is Loki's `VectorAggEvaluator`: the first sample of a
//! group sets the value, `avg` is the incremental mean, `stdvar` Welford's
//! population variance, min/max let NaN lose to numbers. `topk` keeps a
//! min-heap where NaN is the smallest value (so it is replaced first) and
//! returns each group's series by descending value, NaN last (ties, which
//! Loki resolves arbitrarily, by label set); `bottomk` is
//! the mirror image. `approx_topk` is evaluated as an exact `topk`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use super::error::EvalError;
use super::series::{Ctx, SeriesSet, SeriesSink, StepPoint};
use crate::logql::ast::{Grouping, VectorAggregation, VectorOp};
use crate::model::{Label, Labels};

/// The group labels of `labels`: with `by`, only the listed labels (empty
/// values skipped); with `without`, all labels but the listed ones.
pub(crate) fn group_labels(labels: &Labels, g: &Grouping) -> Labels {
    let keep: Vec<Label> = labels
        .iter()
        .filter(|l| {
            let listed = g.labels.contains(&l.name);
            if g.without {
                !listed
            } else {
                listed && !l.value.is_empty()
            }
        })
        .cloned()
        .collect();
    Labels::from_sorted(keep)
}

/// A vector aggregation being fed its input series.
pub(crate) trait Aggregator: SeriesSink {
    /// Emits the aggregated series.
    fn finish(
        self: Box<Self>,
        ctx: &mut Ctx<'_>,
        out: &mut dyn SeriesSink,
    ) -> Result<(), EvalError>;
}

/// The aggregator for `agg` over `n` steps.
pub(crate) fn aggregator(agg: &VectorAggregation, n: u32) -> Box<dyn Aggregator + '_> {
    let grouping = agg.grouping.as_ref();
    match agg.op {
        VectorOp::Topk | VectorOp::ApproxTopk | VectorOp::Bottomk => Box::new(TopK {
            bottom: agg.op == VectorOp::Bottomk,
            k: usize::try_from(agg.param.unwrap_or(0)).unwrap_or(0),
            grouping,
            n,
            groups: HashMap::new(),
            heaps: Vec::new(),
        }),
        VectorOp::Sort | VectorOp::SortDesc => Box::new(Sort {
            desc: agg.op == VectorOp::SortDesc,
            n,
            input: SeriesSet::new(),
        }),
        op => Box::new(Fold {
            op,
            grouping,
            n,
            groups: HashMap::new(),
            states: Vec::new(),
        }),
    }
}

/// Running state of one group at one step (`n == 0`: no sample yet).
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    n: u32,
    value: f64,
    mean: f64,
}

/// `sum avg min max count stddev stdvar`.
struct Fold<'a> {
    op: VectorOp,
    grouping: Option<&'a Grouping>,
    n: u32,
    groups: HashMap<Labels, usize>,
    states: Vec<(Arc<Labels>, Vec<Acc>)>,
}

fn group_of<'m, T>(
    groups: &mut HashMap<Labels, usize>,
    states: &'m mut Vec<(Arc<Labels>, T)>,
    key: Labels,
    init: impl FnOnce() -> T,
) -> &'m mut T {
    let idx = *groups.entry(key.clone()).or_insert_with(|| {
        states.push((Arc::new(key), init()));
        states.len() - 1
    });
    &mut states[idx].1
}

impl SeriesSink for Fold<'_> {
    fn series(&mut self, labels: &Arc<Labels>, points: &[StepPoint]) -> Result<(), EvalError> {
        let key = match self.grouping {
            Some(g) => group_labels(labels, g),
            None => Labels::new(),
        };
        let n = self.n as usize;
        let accs = group_of(&mut self.groups, &mut self.states, key, || {
            vec![Acc::default(); n]
        });
        for &(k, v) in points {
            let Some(a) = accs.get_mut(k as usize) else {
                continue;
            };
            if a.n == 0 {
                let stdvar = matches!(self.op, VectorOp::Stddev | VectorOp::Stdvar);
                *a = Acc {
                    n: 1,
                    value: if stdvar { 0.0 } else { v },
                    mean: v,
                };
                continue;
            }
            match self.op {
                VectorOp::Sum => a.value += v,
                VectorOp::Avg => {
                    a.n += 1;
                    a.mean += (v - a.mean) / f64::from(a.n);
                }
                VectorOp::Max if a.value < v || a.value.is_nan() => a.value = v,
                VectorOp::Min if a.value > v || a.value.is_nan() => a.value = v,
                VectorOp::Count => a.n += 1,
                VectorOp::Stddev | VectorOp::Stdvar => {
                    a.n += 1;
                    let delta = v - a.mean;
                    a.mean += delta / f64::from(a.n);
                    a.value += delta * (v - a.mean);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Aggregator for Fold<'_> {
    fn finish(
        self: Box<Self>,
        ctx: &mut Ctx<'_>,
        out: &mut dyn SeriesSink,
    ) -> Result<(), EvalError> {
        let mut points = Vec::new();
        for (labels, accs) in &self.states {
            ctx.tick()?;
            points.clear();
            for (k, a) in accs.iter().enumerate() {
                if a.n == 0 {
                    continue;
                }
                let n = f64::from(a.n);
                let v = match self.op {
                    VectorOp::Avg => a.mean,
                    VectorOp::Count => n,
                    VectorOp::Stddev => (a.value / n).sqrt(),
                    VectorOp::Stdvar => a.value / n,
                    _ => a.value,
                };
                points.push((k as u32, v));
            }
            out.series(labels, &points)?;
        }
        Ok(())
    }
}

/// A series competing for a place in a `topk`/`bottomk` heap.
#[derive(Clone, Debug)]
struct Ranked {
    /// The value.
    v: f64,
    /// Larger is evicted first: the negated value for `topk`, the value for
    /// `bottomk`.
    key: f64,
    labels: Arc<Labels>,
}

impl Ranked {
    fn new(v: f64, bottom: bool, labels: Arc<Labels>) -> Self {
        Ranked {
            v,
            key: if bottom { v } else { -v },
            labels,
        }
    }
}

/// Eviction order: NaN first, then by `key`.
fn evict_order(a: &Ranked, b: &Ranked) -> Ordering {
    match (a.v.is_nan(), b.v.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.key.partial_cmp(&b.key).unwrap_or(Ordering::Equal),
    }
}

impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    /// Eviction order; among equal values the larger label set goes first,
    /// so ties resolve the same whatever order the series arrive in.
    fn cmp(&self, o: &Self) -> Ordering {
        evict_order(self, o).then_with(|| self.labels.cmp(&o.labels))
    }
}

/// `topk`, `bottomk`, `approx_topk`.
struct TopK<'a> {
    bottom: bool,
    k: usize,
    grouping: Option<&'a Grouping>,
    n: u32,
    groups: HashMap<Labels, usize>,
    heaps: Vec<(Arc<Labels>, Vec<BinaryHeap<Ranked>>)>,
}

impl SeriesSink for TopK<'_> {
    fn series(&mut self, labels: &Arc<Labels>, points: &[StepPoint]) -> Result<(), EvalError> {
        if self.k == 0 {
            return Ok(());
        }
        let key = match self.grouping {
            Some(g) => group_labels(labels, g),
            None => Labels::new(),
        };
        let n = self.n as usize;
        let heaps = group_of(&mut self.groups, &mut self.heaps, key, || {
            (0..n).map(|_| BinaryHeap::new()).collect()
        });
        for &(k, v) in points {
            let Some(heap) = heaps.get_mut(k as usize) else {
                continue;
            };
            let cand = Ranked::new(v, self.bottom, labels.clone());
            if heap.len() < self.k {
                heap.push(cand);
                continue;
            }
            // Replace the worst kept series when it is NaN or worse than v.
            let replace = heap.peek().is_some_and(|top| cand < *top);
            if replace {
                heap.pop();
                heap.push(cand);
            }
        }
        Ok(())
    }
}

impl Aggregator for TopK<'_> {
    fn finish(
        self: Box<Self>,
        ctx: &mut Ctx<'_>,
        out: &mut dyn SeriesSink,
    ) -> Result<(), EvalError> {
        let mut result = SeriesSet::new();
        for (_, heaps) in self.heaps {
            for (k, heap) in heaps.into_iter().enumerate() {
                ctx.tick()?;
                let mut kept = heap.into_vec();
                kept.sort();
                for r in kept {
                    result.series(&r.labels, &[(k as u32, r.v)])?;
                }
            }
        }
        for g in result.finish() {
            out.series(&g.labels, &g.points)?;
        }
        Ok(())
    }
}

/// `sort` / `sort_desc`: order only matters for instant queries.
struct Sort {
    desc: bool,
    n: u32,
    input: SeriesSet,
}

impl SeriesSink for Sort {
    fn series(&mut self, labels: &Arc<Labels>, points: &[StepPoint]) -> Result<(), EvalError> {
        self.input.series(labels, points)
    }
}

impl Aggregator for Sort {
    fn finish(
        self: Box<Self>,
        _ctx: &mut Ctx<'_>,
        out: &mut dyn SeriesSink,
    ) -> Result<(), EvalError> {
        let mut all = self.input.finish();
        if self.n == 1 {
            let first = |s: &super::series::Gathered| s.points.first().map_or(f64::NAN, |p| p.1);
            let desc = self.desc;
            all.sort_by(|a, b| {
                let (x, y) = (first(a), first(b));
                let by_value = match (x.is_nan(), y.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) if desc => y.partial_cmp(&x).unwrap_or(Ordering::Equal),
                    (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                };
                by_value.then_with(|| a.labels.cmp(&b.labels))
            });
        }
        for g in all {
            out.series(&g.labels, &g.points)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::eval::memory_source::MemorySource;
    use crate::logql::eval::steps::Steps;

    fn l(pairs: &[(&str, &str)]) -> Arc<Labels> {
        Arc::new(Labels::from_pairs(pairs.iter().copied()))
    }

    fn agg(op: VectorOp, param: Option<i64>, grouping: Option<Grouping>) -> VectorAggregation {
        VectorAggregation {
            op,
            param,
            inner: Box::new(crate::logql::ast::MetricExpr::Vector(0.0)),
            grouping,
        }
    }

    fn by(names: &[&str]) -> Option<Grouping> {
        Some(Grouping {
            without: false,
            labels: names.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// Output series: labels and points.
    type Output = Vec<(Labels, Vec<StepPoint>)>;

    /// Feeds `(labels, points)` to `a` and returns its output in order.
    fn run(a: &VectorAggregation, n: u32, input: &[(Arc<Labels>, Vec<StepPoint>)]) -> Output {
        let src = MemorySource::new(vec![]);
        let mut ctx = Ctx::new(&src, Steps::instant(0), None);
        let mut aggr = aggregator(a, n);
        for (labels, pts) in input {
            aggr.series(labels, pts).unwrap();
        }
        let mut out = SeriesSet::new();
        aggr.finish(&mut ctx, &mut out).unwrap();
        out.finish()
            .into_iter()
            .map(|g| ((*g.labels).clone(), g.points))
            .collect()
    }

    fn sorted(mut v: Output) -> Output {
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    fn input() -> Vec<(Arc<Labels>, Vec<StepPoint>)> {
        vec![
            (
                l(&[("app", "a"), ("dyno", "web.1")]),
                vec![(0, 1.0), (1, 4.0)],
            ),
            (l(&[("app", "a"), ("dyno", "web.2")]), vec![(0, 3.0)]),
            (
                l(&[("app", "b"), ("dyno", "web.1")]),
                vec![(0, 5.0), (1, 2.0)],
            ),
        ]
    }

    #[test]
    fn grouping_keeps_or_removes_labels() {
        let ls = Labels::from_pairs([("a", "1"), ("b", ""), ("c", "3")]);
        let g = |without, names: &[&str]| Grouping {
            without,
            labels: names.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            group_labels(&ls, &g(false, &["a", "b", "z"])),
            Labels::from_pairs([("a", "1")])
        );
        assert_eq!(
            group_labels(&ls, &g(true, &["a"])),
            Labels::from_pairs([("b", ""), ("c", "3")])
        );
        assert_eq!(group_labels(&ls, &g(false, &[])), Labels::new());
    }

    #[test]
    fn folding_ops_table() {
        let cases: Vec<(VectorOp, Output)> = vec![
            (
                VectorOp::Sum,
                vec![
                    (Labels::from_pairs([("app", "a")]), vec![(0, 4.0), (1, 4.0)]),
                    (Labels::from_pairs([("app", "b")]), vec![(0, 5.0), (1, 2.0)]),
                ],
            ),
            (
                VectorOp::Avg,
                vec![
                    (Labels::from_pairs([("app", "a")]), vec![(0, 2.0), (1, 4.0)]),
                    (Labels::from_pairs([("app", "b")]), vec![(0, 5.0), (1, 2.0)]),
                ],
            ),
            (
                VectorOp::Count,
                vec![
                    (Labels::from_pairs([("app", "a")]), vec![(0, 2.0), (1, 1.0)]),
                    (Labels::from_pairs([("app", "b")]), vec![(0, 1.0), (1, 1.0)]),
                ],
            ),
            (
                VectorOp::Min,
                vec![
                    (Labels::from_pairs([("app", "a")]), vec![(0, 1.0), (1, 4.0)]),
                    (Labels::from_pairs([("app", "b")]), vec![(0, 5.0), (1, 2.0)]),
                ],
            ),
            (
                VectorOp::Stdvar,
                vec![
                    (Labels::from_pairs([("app", "a")]), vec![(0, 1.0), (1, 0.0)]),
                    (Labels::from_pairs([("app", "b")]), vec![(0, 0.0), (1, 0.0)]),
                ],
            ),
        ];
        for (op, want) in cases {
            assert_eq!(
                sorted(run(&agg(op, None, by(&["app"])), 2, &input())),
                want,
                "{op:?}"
            );
        }
        // No grouping: one group {}.
        let got = run(&agg(VectorOp::Max, None, None), 2, &input());
        assert_eq!(got, vec![(Labels::new(), vec![(0, 5.0), (1, 4.0)])]);
        let got = run(&agg(VectorOp::Stddev, None, None), 2, &input());
        assert!((got[0].1[0].1 - (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
        // Empty input: nothing.
        assert!(run(&agg(VectorOp::Sum, None, None), 2, &[]).is_empty());
    }

    #[test]
    fn min_max_nan_loses() {
        let input = vec![
            (l(&[("a", "1")]), vec![(0, f64::NAN)]),
            (l(&[("a", "2")]), vec![(0, 3.0)]),
        ];
        assert_eq!(
            run(&agg(VectorOp::Max, None, None), 1, &input)[0].1,
            vec![(0, 3.0)]
        );
        assert_eq!(
            run(&agg(VectorOp::Min, None, None), 1, &input)[0].1,
            vec![(0, 3.0)]
        );
    }

    #[test]
    fn topk_and_bottomk_per_step_and_group() {
        let got = sorted(run(&agg(VectorOp::Topk, Some(1), None), 2, &input()));
        assert_eq!(
            got,
            vec![
                (
                    (*l(&[("app", "a"), ("dyno", "web.1")])).clone(),
                    vec![(1, 4.0)]
                ),
                (
                    (*l(&[("app", "b"), ("dyno", "web.1")])).clone(),
                    vec![(0, 5.0)]
                ),
            ]
        );
        let got = sorted(run(
            &agg(VectorOp::Bottomk, Some(1), by(&["app"])),
            2,
            &input(),
        ));
        assert_eq!(
            got,
            vec![
                (
                    (*l(&[("app", "a"), ("dyno", "web.1")])).clone(),
                    vec![(0, 1.0), (1, 4.0)]
                ),
                (
                    (*l(&[("app", "b"), ("dyno", "web.1")])).clone(),
                    vec![(0, 5.0), (1, 2.0)]
                ),
            ]
        );
        // k larger than the input keeps everything; order is by value.
        let got = run(&agg(VectorOp::Topk, Some(5), None), 1, &input());
        let vals: Vec<f64> = got.iter().map(|s| s.1[0].1).collect();
        assert_eq!(vals, vec![5.0, 3.0, 1.0]);
        let got = run(&agg(VectorOp::Bottomk, Some(2), None), 1, &input());
        let vals: Vec<f64> = got.iter().map(|s| s.1[0].1).collect();
        assert_eq!(vals, vec![1.0, 3.0]);
    }

    #[test]
    fn topk_replaces_nan_first_and_puts_it_last() {
        let input = vec![
            (l(&[("s", "nan")]), vec![(0, f64::NAN)]),
            (l(&[("s", "one")]), vec![(0, 1.0)]),
            (l(&[("s", "two")]), vec![(0, 2.0)]),
        ];
        let got = run(&agg(VectorOp::Topk, Some(2), None), 1, &input);
        let names: Vec<&str> = got.iter().map(|s| s.0.get("s").unwrap()).collect();
        assert_eq!(names, vec!["two", "one"]);
        let got = run(&agg(VectorOp::Bottomk, Some(2), None), 1, &input);
        let names: Vec<&str> = got.iter().map(|s| s.0.get("s").unwrap()).collect();
        assert_eq!(names, vec!["one", "two"]);
        let got = run(&agg(VectorOp::Topk, Some(3), None), 1, &input);
        let names: Vec<&str> = got.iter().map(|s| s.0.get("s").unwrap()).collect();
        assert_eq!(names, vec!["two", "one", "nan"]);
    }

    #[test]
    fn sort_orders_instant_vectors_nan_last() {
        let input = vec![
            (l(&[("s", "b")]), vec![(0, 2.0)]),
            (l(&[("s", "n")]), vec![(0, f64::NAN)]),
            (l(&[("s", "a")]), vec![(0, 3.0)]),
            (l(&[("s", "c")]), vec![(0, 1.0)]),
        ];
        let names = |op| {
            run(&agg(op, None, None), 1, &input)
                .iter()
                .map(|s| s.0.get("s").unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(VectorOp::Sort), vec!["c", "b", "a", "n"]);
        assert_eq!(names(VectorOp::SortDesc), vec!["a", "b", "c", "n"]);
    }
}

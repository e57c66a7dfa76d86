//! The range aggregation functions (`count_over_time`, `rate`, …), each as a
//! per-bucket partial state and a fold of the buckets of one window.
//!
//! The arithmetic follows Loki's `range_vector.go`: Loki's incremental,
//! Inf-safe mean; Welford's population variance; min/max where NaN loses to
//! numbers; quantile by linear interpolation between closest ranks; and
//! `rate_counter` as Prometheus' extrapolated counter rate over the window
//! (Loki fixed its unit handling in July 2026; 3.7 returned a near-zero
//! value). When a window is a single bucket (instant queries, step >= range)
//! the fold is exactly Loki's sequential computation; otherwise bucket
//! partials are merged, which may differ in the last bits.

use crate::logql::ast::{RangeAggregation, RangeOp};

/// A window's bounds `(start, end]`, ns.
pub(crate) type Bounds = (i64, i64);

/// One range aggregation function.
pub(crate) trait WindowFn {
    /// Partial state of one elementary bucket.
    type Part;

    /// Whether partials are small (constant size). Functions that keep every
    /// value (`quantile_over_time`, `rate_counter`) are not.
    const COMPACT: bool;

    /// An empty partial.
    fn new_part(&self) -> Self::Part;

    /// Adds one sample.
    fn add(&self, part: &mut Self::Part, ts: i64, v: f64);

    /// Adds a block of `count` lines totalling `bytes` bytes. Only called
    /// when [`WindowFn::accepts_blocks`] is true.
    fn add_block(&self, part: &mut Self::Part, count: u64, bytes: u64);

    /// Whether the function only counts lines or sums line bytes.
    fn accepts_blocks(&self) -> bool;

    /// The value of a window made of the given non-empty partials (in time
    /// order of their buckets).
    fn value<'a, I>(&mut self, parts: I, window: Bounds) -> f64
    where
        I: Iterator<Item = &'a Self::Part>,
        Self::Part: 'a;
}

/// Go's `time.Duration.Seconds()`.
pub(crate) fn duration_seconds(ns: i64) -> f64 {
    let sec = ns / 1_000_000_000;
    let nsec = ns % 1_000_000_000;
    sec as f64 + nsec as f64 / 1e9
}

/// Functions that count lines or sum values, optionally per second.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SumLike {
    /// Use the line count (else the sum of values).
    count: bool,
    /// Divide by the range in seconds.
    per_second: Option<f64>,
    /// Blocks may be taken whole.
    blocks: bool,
}

/// Partial state of [`SumLike`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SumPart {
    n: u64,
    sum: f64,
}

impl SumLike {
    /// The [`SumLike`] form of `op`, if it is one.
    pub fn for_op(op: RangeOp, range: &RangeAggregation) -> Option<Self> {
        let secs = duration_seconds(range.range.range);
        let unwrapped = range.range.unwrap.is_some();
        let (count, per_second, blocks) = match op {
            RangeOp::CountOverTime => (true, None, true),
            RangeOp::Rate if unwrapped => (false, Some(secs), false),
            RangeOp::Rate => (true, Some(secs), true),
            RangeOp::BytesOverTime => (false, None, true),
            RangeOp::BytesRate => (false, Some(secs), true),
            RangeOp::SumOverTime => (false, None, false),
            _ => return None,
        };
        Some(SumLike {
            count,
            per_second,
            blocks,
        })
    }
}

impl WindowFn for SumLike {
    type Part = SumPart;
    const COMPACT: bool = true;

    fn new_part(&self) -> SumPart {
        SumPart::default()
    }

    fn add(&self, p: &mut SumPart, _ts: i64, v: f64) {
        p.n += 1;
        p.sum += v;
    }

    fn add_block(&self, p: &mut SumPart, count: u64, bytes: u64) {
        p.n += count;
        p.sum += bytes as f64;
    }

    fn accepts_blocks(&self) -> bool {
        self.blocks
    }

    fn value<'a, I>(&mut self, parts: I, _w: Bounds) -> f64
    where
        I: Iterator<Item = &'a SumPart>,
    {
        let mut n = 0u64;
        let mut sum = 0.0;
        for p in parts {
            n += p.n;
            sum += p.sum;
        }
        let v = if self.count { n as f64 } else { sum };
        match self.per_second {
            Some(secs) => v / secs,
            None => v,
        }
    }
}

/// `avg_over_time`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avg;

/// Partial state of [`Avg`]: count and running mean.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AvgPart {
    n: f64,
    mean: f64,
}

impl WindowFn for Avg {
    type Part = AvgPart;
    const COMPACT: bool = true;

    fn new_part(&self) -> AvgPart {
        AvgPart::default()
    }

    fn add(&self, p: &mut AvgPart, _ts: i64, v: f64) {
        p.n += 1.0;
        if p.mean.is_infinite() {
            // An infinite mean stays as it is unless the new value can change
            // it (an Inf of the other sign, or NaN).
            if v.is_infinite() && (p.mean > 0.0) == (v > 0.0) {
                return;
            }
            if !v.is_infinite() && !v.is_nan() {
                return;
            }
        }
        p.mean += v / p.n - p.mean / p.n;
    }

    fn add_block(&self, _p: &mut AvgPart, _count: u64, _bytes: u64) {}

    fn accepts_blocks(&self) -> bool {
        false
    }

    fn value<'a, I>(&mut self, parts: I, _w: Bounds) -> f64
    where
        I: Iterator<Item = &'a AvgPart>,
    {
        let mut acc = AvgPart::default();
        for p in parts {
            acc = merge_means(acc, *p);
        }
        acc.mean
    }
}

/// Combines two (count, mean) partials, keeping the Inf/NaN behaviour of
/// the sequential mean.
fn merge_means(a: AvgPart, b: AvgPart) -> AvgPart {
    if a.n == 0.0 {
        return b;
    }
    if b.n == 0.0 {
        return a;
    }
    let n = a.n + b.n;
    let mean = if a.mean.is_nan() || b.mean.is_nan() {
        f64::NAN
    } else if a.mean.is_infinite() || b.mean.is_infinite() {
        if a.mean.is_infinite() && b.mean.is_infinite() && a.mean != b.mean {
            f64::NAN
        } else if a.mean.is_infinite() {
            a.mean
        } else {
            b.mean
        }
    } else {
        a.mean + (b.mean - a.mean) * (b.n / n)
    };
    AvgPart { n, mean }
}

/// `min_over_time` / `max_over_time`: NaN loses to any number.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extreme {
    /// Maximum (else minimum).
    pub max: bool,
}

impl Extreme {
    fn pick(&self, cur: f64, v: f64) -> f64 {
        let better = if self.max { v > cur } else { v < cur };
        if better || cur.is_nan() {
            v
        } else {
            cur
        }
    }
}

impl WindowFn for Extreme {
    type Part = f64;
    const COMPACT: bool = true;

    fn new_part(&self) -> f64 {
        f64::NAN
    }

    fn add(&self, p: &mut f64, _ts: i64, v: f64) {
        *p = self.pick(*p, v);
    }

    fn add_block(&self, _p: &mut f64, _count: u64, _bytes: u64) {}

    fn accepts_blocks(&self) -> bool {
        false
    }

    fn value<'a, I>(&mut self, parts: I, _w: Bounds) -> f64
    where
        I: Iterator<Item = &'a f64>,
    {
        parts.fold(f64::NAN, |acc, p| self.pick(acc, *p))
    }
}

/// `first_over_time` / `last_over_time`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FirstLast {
    /// Latest sample (else earliest).
    pub last: bool,
}

/// Partial state of [`FirstLast`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timed {
    ts: i64,
    v: f64,
    set: bool,
}

impl FirstLast {
    fn take(&self, cur: &mut Timed, ts: i64, v: f64) {
        // Ties keep the earlier arrival for `first` and the later for `last`,
        // as a time-ordered scan would.
        let newer = if self.last { ts >= cur.ts } else { ts < cur.ts };
        if !cur.set || newer {
            *cur = Timed { ts, v, set: true };
        }
    }
}

impl WindowFn for FirstLast {
    type Part = Timed;
    const COMPACT: bool = true;

    fn new_part(&self) -> Timed {
        Timed {
            ts: 0,
            v: f64::NAN,
            set: false,
        }
    }

    fn add(&self, p: &mut Timed, ts: i64, v: f64) {
        self.take(p, ts, v);
    }

    fn add_block(&self, _p: &mut Timed, _count: u64, _bytes: u64) {}

    fn accepts_blocks(&self) -> bool {
        false
    }

    fn value<'a, I>(&mut self, parts: I, _w: Bounds) -> f64
    where
        I: Iterator<Item = &'a Timed>,
    {
        let mut acc = self.new_part();
        for p in parts.filter(|p| p.set) {
            self.take(&mut acc, p.ts, p.v);
        }
        acc.v
    }
}

/// `stdvar_over_time` / `stddev_over_time` (population).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Variance {
    /// Standard deviation (else variance).
    pub sqrt: bool,
}

/// Welford state: count, mean, sum of squared deviations.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct VarPart {
    n: f64,
    mean: f64,
    m2: f64,
}

impl WindowFn for Variance {
    type Part = VarPart;
    const COMPACT: bool = true;

    fn new_part(&self) -> VarPart {
        VarPart::default()
    }

    fn add(&self, p: &mut VarPart, _ts: i64, v: f64) {
        p.n += 1.0;
        let delta = v - p.mean;
        p.mean += delta / p.n;
        p.m2 += delta * (v - p.mean);
    }

    fn add_block(&self, _p: &mut VarPart, _count: u64, _bytes: u64) {}

    fn accepts_blocks(&self) -> bool {
        false
    }

    fn value<'a, I>(&mut self, parts: I, _w: Bounds) -> f64
    where
        I: Iterator<Item = &'a VarPart>,
    {
        let mut acc = VarPart::default();
        for p in parts {
            acc = if acc.n == 0.0 {
                *p
            } else {
                // Chan et al.'s pairwise combination.
                let n = acc.n + p.n;
                let delta = p.mean - acc.mean;
                VarPart {
                    n,
                    mean: acc.mean + delta * (p.n / n),
                    m2: acc.m2 + p.m2 + delta * delta * (acc.n * p.n / n),
                }
            };
        }
        let var = acc.m2 / acc.n;
        if self.sqrt {
            var.sqrt()
        } else {
            var
        }
    }
}

/// `quantile_over_time(φ, …)`.
#[derive(Clone, Debug)]
pub(crate) struct Quantile {
    /// φ.
    pub q: f64,
    /// Scratch buffer for the window's values.
    scratch: Vec<f64>,
}

impl Quantile {
    /// Quantile `q`.
    pub fn new(q: f64) -> Self {
        Quantile {
            q,
            scratch: Vec::new(),
        }
    }
}

/// Loki's `Quantile`: NaN sorts first; φ < 0 gives -Inf, φ > 1 gives +Inf;
/// otherwise linear interpolation at rank `φ·(n-1)`. Sorts `values`.
pub(crate) fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    if q.is_nan() {
        return f64::NAN;
    }
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    let at = |i: f64| values.get(i as usize).copied().unwrap_or(f64::NAN);
    at(lower) * (1.0 - weight) + at(upper) * weight
}

impl WindowFn for Quantile {
    type Part = Vec<f64>;
    const COMPACT: bool = false;

    fn new_part(&self) -> Vec<f64> {
        Vec::new()
    }

    fn add(&self, p: &mut Vec<f64>, _ts: i64, v: f64) {
        p.push(v);
    }

    fn add_block(&self, _p: &mut Vec<f64>, _count: u64, _bytes: u64) {}

    fn accepts_blocks(&self) -> bool {
        false
    }

    fn value<'a, I>(&mut self, parts: I, _w: Bounds) -> f64
    where
        I: Iterator<Item = &'a Vec<f64>>,
    {
        self.scratch.clear();
        for p in parts {
            self.scratch.extend_from_slice(p);
        }
        quantile(self.q, &mut self.scratch)
    }
}

/// `rate_counter`: per-second increase of a counter, reset-aware and
/// extrapolated to the window edges like Prometheus' `rate()`.
#[derive(Clone, Debug)]
pub(crate) struct RateCounter {
    /// Range in seconds.
    secs: f64,
    /// Scratch buffer for the window's samples.
    scratch: Vec<(i64, f64)>,
}

impl RateCounter {
    /// For a range of `range_ns`.
    pub fn new(range_ns: i64) -> Self {
        RateCounter {
            secs: duration_seconds(range_ns),
            scratch: Vec::new(),
        }
    }
}

/// Prometheus' `extrapolatedRate` for a counter, per second, over the window
/// `(start, end]` (ns). `samples` are in time order. Fewer than two samples
/// give 0 (Loki keeps the point).
pub(crate) fn extrapolated_counter_rate(samples: &[(i64, f64)], window: Bounds, secs: f64) -> f64 {
    let (Some(&(first_ts, first_v)), Some(&(last_ts, last_v))) = (samples.first(), samples.last())
    else {
        return 0.0;
    };
    if samples.len() < 2 {
        return 0.0;
    }
    let mut result = last_v - first_v;
    let mut prev = first_v;
    for &(_, v) in &samples[1..] {
        if v < prev {
            result += prev;
        }
        prev = v;
    }
    let sampled = (last_ts - first_ts) as f64 / 1e9;
    if sampled == 0.0 {
        // All samples at one instant: nothing to extrapolate from.
        return result / secs;
    }
    let mut to_start = (first_ts as f64 - window.0 as f64) / 1e9;
    let mut to_end = (window.1 as f64 - last_ts as f64) / 1e9;
    let avg_gap = sampled / (samples.len() - 1) as f64;
    let threshold = avg_gap * 1.1;
    if to_start >= threshold {
        to_start = avg_gap / 2.0;
    }
    if result > 0.0 && first_v >= 0.0 {
        // A counter cannot go below zero: do not extrapolate past the point
        // where it would have been zero.
        let to_zero = sampled * (first_v / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    if to_end >= threshold {
        to_end = avg_gap / 2.0;
    }
    result * ((sampled + to_start + to_end) / sampled) / secs
}

impl WindowFn for RateCounter {
    type Part = Vec<(i64, f64)>;
    const COMPACT: bool = false;

    fn new_part(&self) -> Vec<(i64, f64)> {
        Vec::new()
    }

    fn add(&self, p: &mut Vec<(i64, f64)>, ts: i64, v: f64) {
        p.push((ts, v));
    }

    fn add_block(&self, _p: &mut Vec<(i64, f64)>, _count: u64, _bytes: u64) {}

    fn accepts_blocks(&self) -> bool {
        false
    }

    fn value<'a, I>(&mut self, parts: I, window: Bounds) -> f64
    where
        I: Iterator<Item = &'a Vec<(i64, f64)>>,
    {
        self.scratch.clear();
        for p in parts {
            self.scratch.extend_from_slice(p);
        }
        // Buckets are in time order, but one bucket may hold samples of
        // several streams: restore time order (stable for equal times).
        self.scratch.sort_by_key(|s| s.0);
        extrapolated_counter_rate(&self.scratch, window, self.secs)
    }
}

/// Presence only (`absent_over_time`): 1 for any non-empty window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Presence;

impl WindowFn for Presence {
    type Part = ();
    const COMPACT: bool = true;

    fn new_part(&self) {}

    fn add(&self, _p: &mut (), _ts: i64, _v: f64) {}

    fn add_block(&self, _p: &mut (), _count: u64, _bytes: u64) {}

    fn accepts_blocks(&self) -> bool {
        true
    }

    fn value<'a, I>(&mut self, _parts: I, _w: Bounds) -> f64
    where
        I: Iterator<Item = &'a ()>,
    {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` over `vals` (at ts 1, 2, …) as one bucket.
    fn one_bucket<F: WindowFn>(mut f: F, vals: &[f64]) -> f64 {
        let mut p = f.new_part();
        for (i, v) in vals.iter().enumerate() {
            f.add(&mut p, i as i64 + 1, *v);
        }
        f.value(std::iter::once(&p), (0, 100))
    }

    /// Runs `f` with every value in its own bucket.
    fn many_buckets<F: WindowFn>(mut f: F, vals: &[f64]) -> f64 {
        let parts: Vec<F::Part> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut p = f.new_part();
                f.add(&mut p, i as i64 + 1, *v);
                p
            })
            .collect();
        f.value(parts.iter(), (0, 100))
    }

    fn same(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    // Fixture B of logql.md §7: values at 5,10,20,30,40,50,60 s.
    const B: [f64; 7] = [1.0, 2.0, 3.0, 4.0, 10.0, 1.0, 5.0];

    #[test]
    fn fixture_b_unwrapped_functions() {
        let cases: Vec<(&str, f64, f64)> = vec![
            ("avg", one_bucket(Avg, &B), 26.0 / 7.0),
            ("min", one_bucket(Extreme { max: false }, &B), 1.0),
            ("max", one_bucket(Extreme { max: true }, &B), 10.0),
            ("first", one_bucket(FirstLast { last: false }, &B), 1.0),
            ("last", one_bucket(FirstLast { last: true }, &B), 5.0),
            ("q50", one_bucket(Quantile::new(0.5), &B), 3.0),
            ("q99", one_bucket(Quantile::new(0.99), &B), 9.7),
            (
                "stdvar",
                one_bucket(Variance { sqrt: false }, &B),
                8.489795918367347,
            ),
            (
                "stddev",
                one_bucket(Variance { sqrt: true }, &B),
                2.913725437362806,
            ),
        ];
        for (name, got, want) in cases {
            assert!(same(got, want), "{name}: {got} != {want}");
        }
    }

    #[test]
    fn merged_buckets_agree_with_one_bucket() {
        let vals = [3.5, -1.0, 8.25, 0.0, 2.0, 1e6, -7.5];
        assert!(same(one_bucket(Avg, &vals), many_buckets(Avg, &vals)));
        for sqrt in [false, true] {
            assert!(same(
                one_bucket(Variance { sqrt }, &vals),
                many_buckets(Variance { sqrt }, &vals)
            ));
        }
        for last in [false, true] {
            assert_eq!(
                one_bucket(FirstLast { last }, &vals),
                many_buckets(FirstLast { last }, &vals)
            );
        }
        for max in [false, true] {
            assert_eq!(
                one_bucket(Extreme { max }, &vals),
                many_buckets(Extreme { max }, &vals)
            );
        }
        assert_eq!(
            one_bucket(Quantile::new(0.3), &vals),
            many_buckets(Quantile::new(0.3), &vals)
        );
    }

    #[test]
    fn nan_and_inf_edges() {
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        // NaN loses to numbers in min/max, whatever the position.
        assert_eq!(one_bucket(Extreme { max: true }, &[nan, 1.0]), 1.0);
        assert_eq!(one_bucket(Extreme { max: true }, &[1.0, nan]), 1.0);
        assert!(one_bucket(Extreme { max: false }, &[nan, nan]).is_nan());
        assert_eq!(many_buckets(Extreme { max: false }, &[nan, 2.0, nan]), 2.0);
        // Loki's mean keeps an Inf mean when finite values follow.
        assert_eq!(one_bucket(Avg, &[inf, 1.0, 2.0]), inf);
        assert_eq!(many_buckets(Avg, &[inf, 1.0, 2.0]), inf);
        assert!(one_bucket(Avg, &[inf, -inf]).is_nan());
        assert!(many_buckets(Avg, &[inf, -inf]).is_nan());
        assert!(one_bucket(Avg, &[1.0, nan, 2.0]).is_nan());
        assert!(many_buckets(Avg, &[1.0, nan, 2.0]).is_nan());
        // Quantile: NaN sorts first; φ outside [0, 1].
        assert!(one_bucket(Quantile::new(0.0), &[2.0, nan, 1.0]).is_nan());
        assert_eq!(one_bucket(Quantile::new(1.0), &[2.0, nan, 1.0]), 2.0);
        assert_eq!(one_bucket(Quantile::new(-0.5), &[1.0]), f64::NEG_INFINITY);
        assert_eq!(one_bucket(Quantile::new(1.5), &[1.0]), f64::INFINITY);
        // Single value: variance 0.
        assert_eq!(one_bucket(Variance { sqrt: false }, &[4.0]), 0.0);
    }

    #[test]
    fn sum_like_forms() {
        let range = |op, unwrap: bool| {
            let text = RangeAggregation {
                op,
                param: None,
                range: crate::logql::ast::LogRange {
                    log: crate::logql::ast::LogExpr {
                        selector: vec![],
                        stages: vec![],
                    },
                    unwrap: unwrap.then(|| crate::logql::ast::Unwrap {
                        label: "v".into(),
                        conversion: crate::logql::ast::UnwrapConversion::Plain,
                        post_filters: vec![],
                    }),
                    range: 300_000_000_000,
                    offset: 0,
                },
                grouping: None,
            };
            SumLike::for_op(op, &text).unwrap()
        };
        let vals = [1.0, 1.0];
        assert_eq!(one_bucket(range(RangeOp::CountOverTime, false), &vals), 2.0);
        assert_eq!(one_bucket(range(RangeOp::Rate, false), &[1.0]), 1.0 / 300.0);
        assert_eq!(format!("{}", 1.0f64 / 300.0), "0.0033333333333333335");
        assert_eq!(
            one_bucket(range(RangeOp::Rate, true), &[3.0, 3.0]),
            6.0 / 300.0
        );
        assert_eq!(
            one_bucket(range(RangeOp::BytesOverTime, false), &[10.0, 5.0]),
            15.0
        );
        assert_eq!(one_bucket(range(RangeOp::BytesRate, false), &[600.0]), 2.0);
        assert_eq!(
            one_bucket(range(RangeOp::SumOverTime, true), &[1.5, 2.5]),
            4.0
        );
        let mut f = range(RangeOp::BytesOverTime, false);
        let mut p = f.new_part();
        f.add_block(&mut p, 3, 42);
        assert_eq!(f.value(std::iter::once(&p), (0, 1)), 42.0);
        let mut f = range(RangeOp::CountOverTime, false);
        let mut p = f.new_part();
        f.add_block(&mut p, 3, 42);
        assert_eq!(f.value(std::iter::once(&p), (0, 1)), 3.0);
        assert!(!range(RangeOp::SumOverTime, true).accepts_blocks());
    }

    #[test]
    fn rate_counter_matches_the_worked_example_and_prometheus() {
        const S: i64 = 1_000_000_000;
        let ts = [5, 10, 20, 30, 40, 50, 60];
        let samples: Vec<(i64, f64)> = ts.iter().zip(B).map(|(t, v)| (t * S, v)).collect();
        let r = extrapolated_counter_rate(&samples, (0, 60 * S), 60.0);
        assert!(same(r, 0.25), "{r}");
        // Fewer than two samples: 0.
        assert_eq!(
            extrapolated_counter_rate(&samples[..1], (0, 60 * S), 60.0),
            0.0
        );
        // Prometheus: samples 0..=10 every 10 s in (0, 100] -> rate of 1/s
        // extrapolated to the window: first sample at 10 s, counter starts
        // at 10 -> to_zero = 10 s equals to_start; end at 100 s.
        let lin: Vec<(i64, f64)> = (1..=10).map(|i| (i * 10 * S, i as f64 * 10.0)).collect();
        let r = extrapolated_counter_rate(&lin, (0, 100 * S), 100.0);
        assert!(same(r, 1.0), "{r}");
        // Far from the edges: extrapolate half an interval each side.
        let mid: Vec<(i64, f64)> = (0..5)
            .map(|i| ((40 + i * 5) * S, i as f64 * 5.0 + 100.0))
            .collect();
        let r = extrapolated_counter_rate(&mid, (0, 100 * S), 100.0);
        // increase 20 over 20 s sampled, extended by 2.5 s each side -> 25/100.
        assert!(same(r, 0.25), "{r}");
        // A reset adds the pre-reset value.
        let reset = [(S, 5.0), (2 * S, 8.0), (3 * S, 2.0), (4 * S, 4.0)];
        let r = extrapolated_counter_rate(&reset, (S - 1, 4 * S), 3.0);
        // increase = 4 - 5 + 8 = 7 over 3 s sampled; edges ~0 -> 7/3 per range s.
        assert!(same(r, 7.0 * ((3.0 + 1e-9) / 3.0) / 3.0), "{r}");
    }
}

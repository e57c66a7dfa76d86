//! Evaluation timestamps and the range windows over them.
//!
//! A query is evaluated at `t_k = start + k·step` for every `t_k <= end`
//! (no alignment; an instant query has the single step `t_0 = time`). A
//! range aggregation with range `R` and offset `o` looks at the samples of
//! the left-open window `(t_k - o - R, t_k - o]` and stamps its value at `t_k`.
//!
//! [`WindowGrid`] cuts the time axis at every window start and end. Between
//! two consecutive cuts lies an *elementary bucket*: all its timestamps
//! belong to exactly the same windows, the contiguous step range
//! `lo..=hi`. Samples are folded per bucket and each window is the fold of
//! its buckets, so a sample is touched once however much the windows overlap,
//! and a pre-aggregated block that fits in one bucket can be taken whole.

use super::error::{EvalError, MAX_POINTS_PER_SERIES};

/// Checks a range query's resolution the way Loki's HTTP layer does:
/// `step` must be positive and `(end - start) / step` at most 11,000.
/// All arguments are nanoseconds.
pub fn check_range_resolution(start: i64, end: i64, step: i64) -> Result<(), EvalError> {
    if step <= 0 {
        return Err(EvalError::NonPositiveStep);
    }
    if (i128::from(end) - i128::from(start)) / i128::from(step) > i128::from(MAX_POINTS_PER_SERIES)
    {
        return Err(EvalError::TooManyPoints);
    }
    Ok(())
}

/// The evaluation steps of one query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Steps {
    /// First evaluation time, ns.
    pub start: i64,
    /// Distance between steps, ns (1 for instant queries).
    pub step: i64,
    /// Number of steps (1 for instant queries, 0 when `end < start`).
    pub n: u32,
}

impl Steps {
    /// Steps of an instant query at `time`.
    pub fn instant(time: i64) -> Self {
        Steps {
            start: time,
            step: 1,
            n: 1,
        }
    }

    /// Steps of a range query; validates the resolution.
    pub fn range(start: i64, end: i64, step: i64) -> Result<Self, EvalError> {
        check_range_resolution(start, end, step)?;
        let n = if end < start {
            0
        } else {
            (i128::from(end) - i128::from(start)) / i128::from(step) + 1
        };
        Ok(Steps {
            start,
            step,
            n: u32::try_from(n).map_err(|_| EvalError::TooManyPoints)?,
        })
    }

    /// Evaluation time of step `k`, ns.
    pub fn time_ns(&self, k: u32) -> i64 {
        let t = i128::from(self.start) + i128::from(k) * i128::from(self.step);
        clamp_i64(t)
    }

    /// Evaluation time of step `k` in milliseconds (truncated like Go's
    /// integer division), the timestamp of result points.
    pub fn time_ms(&self, k: u32) -> i64 {
        self.time_ns(k) / 1_000_000
    }
}

/// An elementary bucket: the windows `lo..=hi` share exactly the instants
/// `(start, end]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Located {
    /// First local step whose window holds the bucket.
    pub lo: u32,
    /// Last local step whose window holds the bucket.
    pub hi: u32,
    /// Exclusive start, ns.
    pub start: i64,
    /// Inclusive end, ns.
    pub end: i64,
}

impl Located {
    /// Whether `ts` falls in this bucket.
    pub fn holds(&self, ts: i64) -> bool {
        self.start < ts && ts <= self.end
    }
}

/// Where a time span falls relative to the windows of a [`WindowGrid`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// No window contains any instant of the span.
    Outside,
    /// The whole span lies in one elementary bucket: it belongs to exactly
    /// the windows of steps `lo..=hi` (local step indices).
    Bucket(u32, u32),
    /// The span crosses a window boundary.
    Mixed,
}

/// The windows of one range aggregation over a run of consecutive steps.
///
/// A sample source may consult it to skip data that no window needs
/// ([`WindowGrid::overlaps`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowGrid {
    /// End (inclusive) of the first window, ns.
    first_end: i128,
    /// Distance between windows, ns.
    step: i128,
    /// Window length, ns.
    range: i128,
    /// Number of windows.
    n: u32,
    /// Global index of the first window's step.
    k0: u32,
}

impl WindowGrid {
    /// Windows of steps `k0..k1` of `steps`, for a range and offset in ns.
    pub(crate) fn new(steps: &Steps, k0: u32, k1: u32, range: i64, offset: i64) -> Self {
        WindowGrid {
            first_end: i128::from(steps.time_ns(k0)) - i128::from(offset),
            step: i128::from(steps.step.max(1)),
            range: i128::from(range.max(0)),
            n: k1.saturating_sub(k0),
            k0,
        }
    }

    /// Number of windows.
    pub fn len(&self) -> u32 {
        self.n
    }

    /// True when there is no window.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Global step index of local window `k`.
    pub(crate) fn global(&self, k: u32) -> u32 {
        self.k0 + k
    }

    /// Exclusive lower bound of the first window, ns: samples at or before
    /// it are never needed.
    pub fn from(&self) -> i64 {
        clamp_i64(self.first_end - self.range)
    }

    /// Inclusive upper bound of the last window, ns.
    pub fn through(&self) -> i64 {
        clamp_i64(self.end_of(self.n.saturating_sub(1)))
    }

    /// Whether any window contains an instant of `[ts_min, ts_max]`.
    pub fn overlaps(&self, ts_min: i64, ts_max: i64) -> bool {
        self.span(ts_min, ts_max) != Span::Outside
    }

    /// Whether entries spanning `[ts_min, ts_max]` can be counted by their
    /// totals alone: the span lies in one elementary bucket of the grid
    /// (every window holds all of it or none of it).
    pub fn takes_whole(&self, ts_min: i64, ts_max: i64) -> bool {
        self.span(ts_min, ts_max) != Span::Mixed
    }

    /// The inclusive end of the elementary bucket holding `ts` (later
    /// entries up to it fall in exactly the same windows), or `None` when no
    /// window contains `ts`.
    pub fn bucket_end(&self, ts: i64) -> Option<i64> {
        self.locate(ts).map(|b| b.end)
    }

    /// Whether any window contains `ts`.
    pub fn contains(&self, ts: i64) -> bool {
        self.windows_of(ts).is_some()
    }

    /// End (inclusive) of local window `k`, ns.
    pub(crate) fn end_of(&self, k: u32) -> i128 {
        self.first_end + i128::from(k) * self.step
    }

    /// Bounds `(start, end]` of local window `k`, ns.
    pub(crate) fn bounds(&self, k: u32) -> (i64, i64) {
        let end = self.end_of(k);
        (clamp_i64(end - self.range), clamp_i64(end))
    }

    /// The local steps `lo..=hi` whose windows contain `ts`, if any.
    pub(crate) fn windows_of(&self, ts: i64) -> Option<(u32, u32)> {
        let (lo, hi) = match self.fast_windows(ts) {
            Some(w) => w,
            None => {
                let ts = i128::from(ts);
                (
                    ceil_div(ts - self.first_end, self.step),
                    ceil_div(ts - self.first_end + self.range, self.step) - 1,
                )
            }
        };
        let lo = lo.max(0);
        let hi = hi.min(i128::from(self.n) - 1);
        if lo > hi {
            return None;
        }
        Some((u32::try_from(lo).ok()?, u32::try_from(hi).ok()?))
    }

    /// Unclamped `(lo, hi)` in 64-bit arithmetic (128-bit division is
    /// several times slower), or `None` on overflow.
    fn fast_windows(&self, ts: i64) -> Option<(i128, i128)> {
        let first_end = i64::try_from(self.first_end).ok()?;
        let step = i64::try_from(self.step).ok()?;
        let range = i64::try_from(self.range).ok()?;
        let a = ts.checked_sub(first_end)?;
        let b = a.checked_add(range)?;
        let ceil = |x: i64| {
            let q = x.div_euclid(step);
            if x.rem_euclid(step) == 0 {
                q
            } else {
                q + 1
            }
        };
        Some((i128::from(ceil(a)), i128::from(ceil(b)) - 1))
    }

    /// The elementary bucket holding `ts`: its steps `lo..=hi` and its
    /// time span `(start, end]`, or `None` when no window contains `ts`.
    pub(crate) fn locate(&self, ts: i64) -> Option<Located> {
        let (lo, hi) = self.windows_of(ts)?;
        // ts lies after the end of window lo-1 and the start of window hi,
        // and at or before the end of window lo and the start of hi+1.
        let mut start = self.end_of(hi) - self.range;
        if lo > 0 {
            start = start.max(self.end_of(lo - 1));
        }
        let mut end = self.end_of(lo);
        if hi + 1 < self.n {
            end = end.min(self.end_of(hi + 1) - self.range);
        }
        Some(Located {
            lo,
            hi,
            start: clamp_i64(start),
            end: clamp_i64(end),
        })
    }

    /// Classifies the span `[ts_min, ts_max]`.
    pub(crate) fn span(&self, ts_min: i64, ts_max: i64) -> Span {
        if ts_min > ts_max {
            return Span::Mixed;
        }
        let first = self.windows_of(ts_min);
        if first.is_some() && first == self.windows_of(ts_max) {
            if let Some((lo, hi)) = first {
                return Span::Bucket(lo, hi);
            }
        }
        // First window ending at or after ts_min, last window starting
        // before ts_max: if that range is empty no window touches the span.
        let lo = ceil_div(i128::from(ts_min) - self.first_end, self.step).max(0);
        let hi = (ceil_div(i128::from(ts_max) - self.first_end + self.range, self.step) - 1)
            .min(i128::from(self.n) - 1);
        if lo > hi {
            Span::Outside
        } else {
            Span::Mixed
        }
    }
}

/// `ceil(a / d)` for a positive divisor.
fn ceil_div(a: i128, d: i128) -> i128 {
    let q = a.div_euclid(d);
    if a.rem_euclid(d) == 0 {
        q
    } else {
        q + 1
    }
}

/// Saturating conversion to i64.
pub(crate) fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn range_steps_are_not_aligned_and_end_is_inclusive() {
        let st = Steps::range(21 * S, 60 * S, 20 * S).unwrap();
        assert_eq!(st.n, 2);
        assert_eq!(st.time_ms(0), 21_000);
        assert_eq!(st.time_ms(1), 41_000);
        let st = Steps::range(20 * S, 60 * S, 20 * S).unwrap();
        assert_eq!(st.n, 3);
        assert_eq!(Steps::range(60 * S, 0, S).unwrap().n, 0);
    }

    #[test]
    fn resolution_checks() {
        assert_eq!(
            check_range_resolution(0, 10, 0),
            Err(EvalError::NonPositiveStep)
        );
        assert_eq!(check_range_resolution(0, 11_000, 1), Ok(()));
        assert_eq!(
            check_range_resolution(0, 11_001, 1),
            Err(EvalError::TooManyPoints)
        );
    }

    #[test]
    fn windows_are_left_open_right_closed() {
        // steps 30,40,50,60 s; range 30 s.
        let st = Steps::range(30 * S, 60 * S, 10 * S).unwrap();
        let g = WindowGrid::new(&st, 0, st.n, 30 * S, 0);
        assert_eq!(g.windows_of(0), None);
        assert_eq!(g.windows_of(S / 1000), Some((0, 0)));
        assert_eq!(g.windows_of(10 * S), Some((0, 0)));
        assert_eq!(g.windows_of(10 * S + 1), Some((0, 1)));
        assert_eq!(g.windows_of(30 * S), Some((0, 2)));
        assert_eq!(g.windows_of(30 * S + 1), Some((1, 3)));
        assert_eq!(g.windows_of(60 * S), Some((3, 3)));
        assert_eq!(g.windows_of(60 * S + 1), None);
        assert_eq!(g.from(), 0);
        assert_eq!(g.through(), 60 * S);
        assert_eq!(g.bounds(1), (10 * S, 40 * S));
    }

    #[test]
    fn offset_shifts_windows_and_gaps_are_outside() {
        // steps 20,40,60 s; range 10 s; offset 5 s: windows (5,15] (25,35] (45,55].
        let st = Steps::range(20 * S, 60 * S, 20 * S).unwrap();
        let g = WindowGrid::new(&st, 0, st.n, 10 * S, 5 * S);
        assert_eq!(g.windows_of(5 * S), None);
        assert_eq!(g.windows_of(15 * S), Some((0, 0)));
        assert_eq!(g.windows_of(20 * S), None);
        assert_eq!(g.windows_of(55 * S), Some((2, 2)));
        assert_eq!(g.span(16 * S, 24 * S), Span::Outside);
        assert_eq!(g.span(6 * S, 14 * S), Span::Bucket(0, 0));
        assert_eq!(g.span(14 * S, 26 * S), Span::Mixed);
        assert!(!g.overlaps(16 * S, 25 * S));
        assert!(g.overlaps(16 * S, 25 * S + 1));
    }

    #[test]
    fn located_buckets_agree_with_windows_of() {
        // Overlapping, gapped and offset grids; every bucket's bounds must
        // hold exactly the instants with the same window set.
        let grids = [
            (Steps::range(30 * S, 60 * S, 10 * S).unwrap(), 30 * S, 0),
            (Steps::range(20 * S, 60 * S, 20 * S).unwrap(), 10 * S, 5 * S),
            (Steps::range(0, 100 * S, 7 * S).unwrap(), 25 * S, -3 * S),
            (Steps::instant(60 * S), 60 * S, 0),
        ];
        for (st, range, offset) in grids {
            let g = WindowGrid::new(&st, 0, st.n, range, offset);
            for ts in (-40..=110).map(|t| t * S / 2) {
                match g.locate(ts) {
                    None => assert_eq!(g.windows_of(ts), None),
                    Some(b) => {
                        assert_eq!(Some((b.lo, b.hi)), g.windows_of(ts), "{ts}");
                        assert!(b.holds(ts));
                        assert_eq!(g.windows_of(b.end), Some((b.lo, b.hi)));
                        assert_ne!(g.windows_of(b.start), Some((b.lo, b.hi)));
                        assert_ne!(g.windows_of(b.end + 1), Some((b.lo, b.hi)));
                        assert_eq!(g.windows_of(b.start + 1), Some((b.lo, b.hi)));
                    }
                }
            }
        }
        // Far-away timestamps take the 128-bit path.
        let st = Steps::instant(i64::MAX - 10);
        let g = WindowGrid::new(&st, 0, 1, 100, -20);
        assert_eq!(g.windows_of(i64::MAX), Some((0, 0)));
        assert_eq!(g.windows_of(i64::MIN), None);
        assert_eq!(g.windows_of(i64::MAX - 90), None);
        assert_eq!(g.windows_of(i64::MAX - 89), Some((0, 0)));
    }

    #[test]
    fn instant_grid_has_one_window() {
        let st = Steps::instant(60 * S);
        let g = WindowGrid::new(&st, 0, 1, 60 * S, 0);
        assert_eq!(g.windows_of(0), None);
        assert_eq!(g.windows_of(1), Some((0, 0)));
        assert_eq!(g.windows_of(60 * S), Some((0, 0)));
        assert_eq!(g.windows_of(60 * S + 1), None);
        assert_eq!(g.windows_of(i64::MIN), None);
        assert_eq!(g.windows_of(i64::MAX), None);
    }

    #[test]
    fn sub_grid_keeps_global_indices() {
        let st = Steps::range(0, 100 * S, 10 * S).unwrap();
        let g = WindowGrid::new(&st, 4, 7, 10 * S, 0);
        assert_eq!(g.len(), 3);
        assert_eq!(g.windows_of(35 * S), Some((0, 0)));
        assert_eq!(g.global(0), 4);
        assert_eq!(g.from(), 30 * S);
        assert_eq!(g.through(), 60 * S);
    }
}

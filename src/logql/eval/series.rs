//! How evaluated series travel between the nodes of a metric query.
//!
//! Every node hands its output to a [`SeriesSink`] series by series, each
//! with its points as `(step index, value)` in ascending step order. A label
//! set may arrive in several pieces (a range aggregation finishes a series
//! early and meets it again later). Each `(labels, step)` arrives once,
//! except when `label_replace` makes two series equal: like Loki, both
//! samples are kept. Nodes that only transform values or labels forward on the fly;
//! aggregations fold; only vector-to-vector binary operations and `sort`
//! gather their input in a [`SeriesSet`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use super::error::EvalError;
use super::source::SampleSource;
use super::steps::Steps;
use crate::model::Labels;

/// A value at a step: `(step index, value)`.
pub(crate) type StepPoint = (u32, f64);

/// Receives evaluated series.
pub(crate) trait SeriesSink {
    /// One series (or a piece of it); `points` ascend by step.
    fn series(&mut self, labels: &Arc<Labels>, points: &[StepPoint]) -> Result<(), EvalError>;
}

/// Everything an evaluation needs besides the expression.
pub(crate) struct Ctx<'a> {
    /// Where range aggregations read samples.
    pub source: &'a dyn SampleSource,
    /// The query's steps.
    pub steps: Steps,
    deadline: Option<Instant>,
    ticks: u32,
}

impl<'a> Ctx<'a> {
    /// A context for one query.
    pub fn new(source: &'a dyn SampleSource, steps: Steps, deadline: Option<Instant>) -> Self {
        Ctx {
            source,
            steps,
            deadline,
            ticks: 0,
        }
    }

    /// Counts one unit of work and checks the deadline every few thousand.
    pub fn tick(&mut self) -> Result<(), EvalError> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % 4096 == 0 {
            self.check_deadline()?;
        }
        Ok(())
    }

    /// Fails with [`EvalError::Timeout`] once the deadline has passed.
    pub fn check_deadline(&self) -> Result<(), EvalError> {
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(EvalError::Timeout),
            _ => Ok(()),
        }
    }
}

/// One gathered series.
#[derive(Debug)]
pub(crate) struct Gathered {
    /// Its labels.
    pub labels: Arc<Labels>,
    /// Its points, ascending by step once the set is finished.
    pub points: Vec<StepPoint>,
    /// Pieces arrived out of step order; sort on finish.
    unsorted: bool,
}

/// Series gathered by label set, in order of first arrival.
#[derive(Debug, Default)]
pub(crate) struct SeriesSet {
    index: HashMap<Arc<Labels>, usize>,
    series: Vec<Gathered>,
    limit: Option<usize>,
}

impl SeriesSet {
    /// An empty set without a size limit.
    pub fn new() -> Self {
        SeriesSet::default()
    }

    /// An empty set that fails with [`EvalError::SeriesLimit`] once it
    /// would hold more than `limit` series (0: no limit).
    pub fn with_limit(limit: usize) -> Self {
        SeriesSet {
            limit: (limit > 0).then_some(limit),
            ..SeriesSet::default()
        }
    }

    /// The gathered series, each sorted by step (points of one step keep
    /// their arrival order).
    pub fn finish(self) -> Vec<Gathered> {
        let mut out = self.series;
        for g in &mut out {
            if g.unsorted {
                g.points.sort_by_key(|p| p.0);
                g.unsorted = false;
            }
        }
        out
    }
}

impl SeriesSink for SeriesSet {
    fn series(&mut self, labels: &Arc<Labels>, points: &[StepPoint]) -> Result<(), EvalError> {
        if points.is_empty() {
            return Ok(());
        }
        let idx = match self.index.get(labels) {
            Some(&i) => i,
            None => {
                if let Some(limit) = self.limit {
                    if self.series.len() >= limit {
                        return Err(EvalError::SeriesLimit(limit));
                    }
                }
                self.series.push(Gathered {
                    labels: labels.clone(),
                    points: Vec::with_capacity(points.len()),
                    unsorted: false,
                });
                self.index.insert(labels.clone(), self.series.len() - 1);
                self.series.len() - 1
            }
        };
        let g = &mut self.series[idx];
        if let (Some(last), Some(first)) = (g.points.last(), points.first()) {
            if first.0 <= last.0 {
                g.unsorted = true;
            }
        }
        g.points.extend_from_slice(points);
        Ok(())
    }
}

/// Walks the gathered series step by step: for each step, the series that
/// have a point there.
pub(crate) struct StepCursor<'a> {
    series: &'a [Gathered],
    pos: Vec<usize>,
}

impl<'a> StepCursor<'a> {
    /// A cursor at the first step.
    pub fn new(series: &'a [Gathered]) -> Self {
        StepCursor {
            series,
            pos: vec![0; series.len()],
        }
    }

    /// Appends `(series index, value)` for every series with a point at
    /// step `k` to `out` (cleared first). Steps must be visited in
    /// ascending order.
    pub fn at(&mut self, k: u32, out: &mut Vec<(usize, f64)>) {
        out.clear();
        for (i, s) in self.series.iter().enumerate() {
            let Some(p) = self.pos.get_mut(i) else {
                continue;
            };
            while s.points.get(*p).is_some_and(|pt| pt.0 < k) {
                *p += 1;
            }
            while let Some(pt) = s.points.get(*p).filter(|pt| pt.0 == k) {
                out.push((i, pt.1));
                *p += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(v: &str) -> Arc<Labels> {
        Arc::new(Labels::from_pairs([("a", v)]))
    }

    #[test]
    fn pieces_are_merged_and_sorted_keeping_duplicates() {
        let mut s = SeriesSet::new();
        s.series(&l("x"), &[(3, 3.0), (4, 4.0)]).unwrap();
        s.series(&l("y"), &[(0, 9.0)]).unwrap();
        s.series(&l("x"), &[(1, 1.0), (3, 30.0)]).unwrap();
        s.series(&l("z"), &[]).unwrap();
        let out = s.finish();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].points, vec![(1, 1.0), (3, 3.0), (3, 30.0), (4, 4.0)]);
        assert_eq!(out[1].labels, l("y"));
    }

    #[test]
    fn limit_counts_distinct_series() {
        let mut s = SeriesSet::with_limit(2);
        s.series(&l("x"), &[(0, 1.0)]).unwrap();
        s.series(&l("x"), &[(1, 1.0)]).unwrap();
        s.series(&l("y"), &[(0, 1.0)]).unwrap();
        assert_eq!(
            s.series(&l("z"), &[(0, 1.0)]),
            Err(EvalError::SeriesLimit(2))
        );
    }

    #[test]
    fn cursor_yields_series_per_step() {
        let mut s = SeriesSet::new();
        s.series(&l("x"), &[(0, 1.0), (2, 3.0)]).unwrap();
        s.series(&l("y"), &[(1, 2.0), (2, 4.0)]).unwrap();
        let out = s.finish();
        let mut c = StepCursor::new(&out);
        let mut at = Vec::new();
        let mut seen = Vec::new();
        for k in 0..3 {
            c.at(k, &mut at);
            seen.push(at.clone());
        }
        assert_eq!(
            seen,
            vec![vec![(0, 1.0)], vec![(1, 2.0)], vec![(0, 3.0), (1, 4.0)]]
        );
    }
}

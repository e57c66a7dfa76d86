//! The query engine: binds the store's read API, the LogQL pipeline and the
//! metric evaluator, with Loki's limits, ordering and result shapes.

pub mod field_verdict;
pub mod log;
pub mod log_merge;
pub mod metadata;
pub mod metric_source;
pub mod result;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::error::ApiError;
use crate::api::params::{
    go_duration_string, prometheus_duration_string, InstantQuery, RangeQuery,
};
use crate::logql::ast::{Expr, MetricExpr};
use crate::logql::eval::{self, EvalError, EvalParams, QueryValue};
use crate::logql::{parse_expr, ParseError};
use crate::store::{Store, StoreError};
use result::{LogResult, QueryStats};

/// Most threads reading the store for one query.
pub(crate) const MAX_QUERY_WORKERS: usize = 4;

/// Limits a query runs under (Loki's names and defaults).
#[derive(Clone, Debug)]
pub struct QueryLimits {
    /// Largest `limit` of a log query (`max_entries_limit_per_query`, 5000).
    pub max_entries: usize,
    /// Most series in a metric result (`max_query_series`, 500).
    pub max_series: usize,
    /// Longest a query may run (`query_timeout`, 1m).
    pub timeout: Duration,
    /// Longest `end - start` (`max_query_length`, 721h); None = no limit.
    pub max_query_length: Option<Duration>,
    /// Most log bytes one query may read; 0 = no limit.
    pub max_bytes_read: u64,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_entries: 5000,
            max_series: 500,
            timeout: Duration::from_secs(60),
            max_query_length: Some(Duration::from_secs(721 * 3600)),
            max_bytes_read: 0,
        }
    }
}

/// Why a query failed; maps to Loki's status codes and texts.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A LogQL parse or build error (400).
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// A bad request or a limit (400).
    #[error("{0}")]
    BadRequest(String),
    /// The query ran out of time (504).
    #[error("query timed out")]
    Timeout,
    /// An evaluation error (its own status).
    #[error("{0}")]
    Eval(#[from] EvalError),
    /// The store failed (500).
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> ApiError {
        match e {
            QueryError::Parse(p) => ApiError::new(p.http_status(), p.to_string()),
            QueryError::BadRequest(m) => ApiError::bad_request(m),
            QueryError::Timeout | QueryError::Eval(EvalError::Timeout) => ApiError::timeout(),
            QueryError::Eval(e) => ApiError::new(e.http_status(), e.to_string()),
            QueryError::Store(e) => ApiError::internal(e.to_string()),
        }
    }
}

/// What kind of query ran (the `kind` label of the latency metric).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    /// A log query.
    Log,
    /// A metric query.
    Metric,
    /// Labels, series, stats, volume.
    Metadata,
}

impl QueryKind {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryKind::Log => "log",
            QueryKind::Metric => "metric",
            QueryKind::Metadata => "metadata",
        }
    }
}

/// The answer to `query_range` / `query`.
#[derive(Debug)]
pub enum QueryOutput {
    /// A log query's streams.
    Streams(LogResult),
    /// A metric query's value.
    Metric {
        /// Matrix, vector or scalar.
        value: QueryValue,
        /// Work done.
        stats: QueryStats,
    },
}

impl QueryOutput {
    /// Log or metric.
    pub fn kind(&self) -> QueryKind {
        match self {
            QueryOutput::Streams(_) => QueryKind::Log,
            QueryOutput::Metric { .. } => QueryKind::Metric,
        }
    }
}

/// Per-query accounting: the deadline, the bytes-read limit and the stats.
/// Shared by the query's readers (atomics: cheap, and safe across threads).
#[derive(Debug)]
pub struct Budget {
    started: Instant,
    deadline: Instant,
    max_bytes: u64,
    lines: AtomicU64,
    bytes: AtomicU64,
    chunks: AtomicU64,
    post_filter: AtomicU64,
}

impl Budget {
    /// A budget starting now.
    pub fn new(limits: &QueryLimits) -> Self {
        let started = Instant::now();
        Budget {
            started,
            deadline: started + limits.timeout,
            max_bytes: limits.max_bytes_read,
            lines: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            chunks: AtomicU64::new(0),
            post_filter: AtomicU64::new(0),
        }
    }

    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Accounts for a batch read from the store; fails past the deadline
    /// or the bytes limit.
    pub fn charge(&self, lines: u64, bytes: u64) -> Result<(), QueryError> {
        self.lines.fetch_add(lines, Ordering::Relaxed);
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.chunks.fetch_add(1, Ordering::Relaxed);
        if self.max_bytes > 0 && total > self.max_bytes {
            return Err(QueryError::BadRequest(format!(
                "the query would read too many bytes (query: {}, limit: {}); consider adding more \
                 specific stream selectors or reduce the time range of the query",
                human_bytes(total),
                human_bytes(self.max_bytes)
            )));
        }
        if Instant::now() > self.deadline {
            return Err(QueryError::Timeout);
        }
        Ok(())
    }

    /// Counts entries that passed the pipeline.
    pub fn passed(&self, n: u64) {
        self.post_filter.fetch_add(n, Ordering::Relaxed);
    }

    /// The stats so far.
    pub fn stats(&self) -> QueryStats {
        let lines = self.lines.load(Ordering::Relaxed);
        let bytes = self.bytes.load(Ordering::Relaxed);
        QueryStats {
            exec_time: self.started.elapsed().as_secs_f64(),
            bytes_processed: bytes,
            lines_processed: lines,
            post_filter_lines: self.post_filter.load(Ordering::Relaxed),
            chunks_referenced: self.chunks.load(Ordering::Relaxed),
            decompressed_bytes: bytes,
            decompressed_lines: lines,
            ..QueryStats::default()
        }
    }
}

/// The evaluation range of a metric range query as Loki's query frontend
/// runs it: `start` rounded down and `end` rounded up to multiples of the
/// step (milliseconds since the epoch), so points sit on multiples of the
/// step and the last one may lie past `end`.
pub fn step_aligned_range(start: i64, end: i64, step: i64) -> (i64, i64) {
    const MS: i64 = 1_000_000;
    let step_ms = (step / MS).max(1);
    let start_ms = start.div_euclid(MS);
    let end_ms = end.div_euclid(MS);
    let first = start_ms - start_ms.rem_euclid(step_ms);
    let rem = end_ms.rem_euclid(step_ms);
    let last = if rem == 0 {
        end_ms
    } else {
        end_ms.saturating_add(step_ms - rem)
    };
    (first.saturating_mul(MS), last.saturating_mul(MS))
}

/// Bytes as humanize's `Bytes` prints them (`1.2 MB`).
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    if n < 10 {
        return format!("{n} B");
    }
    let e = ((n as f64).ln() / 1000f64.ln()).floor() as usize;
    let e = e.min(UNITS.len() - 1);
    let v = n as f64 / 1000f64.powi(e as i32);
    if v < 10.0 {
        format!("{v:.1} {}", UNITS[e])
    } else {
        format!("{v:.0} {}", UNITS[e])
    }
}

/// The query engine.
pub struct Engine {
    store: Arc<Store>,
    limits: QueryLimits,
}

impl Engine {
    /// An engine over `store` with `limits`.
    pub fn new(store: Arc<Store>, limits: QueryLimits) -> Self {
        Engine { store, limits }
    }

    /// The limits in force.
    pub fn limits(&self) -> &QueryLimits {
        &self.limits
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    fn check_length(&self, start: i64, end: i64) -> Result<(), QueryError> {
        if let Some(max) = self.limits.max_query_length {
            let max_ns = i64::try_from(max.as_nanos()).unwrap_or(i64::MAX);
            let len = end.saturating_sub(start);
            if len > max_ns {
                return Err(QueryError::BadRequest(format!(
                    "the query time range exceeds the limit (query length: {}, limit: {})",
                    go_duration_string(len),
                    prometheus_duration_string(max_ns)
                )));
            }
        }
        Ok(())
    }

    /// `query_range`: a log query over `[start, end)` or a metric query at
    /// `start, start+step, ... <= end`.
    pub fn range_query(
        &self,
        tenants: &[String],
        q: &RangeQuery,
        categorize: bool,
    ) -> Result<QueryOutput, QueryError> {
        let expr = parse_expr(&q.query)?;
        self.check_length(q.start, q.end)?;
        let budget = Budget::new(&self.limits);
        let tenants: Vec<&str> = tenants.iter().map(String::as_str).collect();
        match expr {
            Expr::Log(log_expr) => {
                let limit = q.limit as usize;
                if limit > self.limits.max_entries {
                    return Err(QueryError::BadRequest(format!(
                        "max entries limit per query exceeded, limit > max_entries_limit_per_query ({} > {})",
                        limit, self.limits.max_entries
                    )));
                }
                let lq = log::LogQuery {
                    expr: &log_expr,
                    start: q.start,
                    end: q.end,
                    limit,
                    direction: q.direction,
                    interval: q.interval,
                    categorize,
                };
                Ok(QueryOutput::Streams(log::run(
                    &self.store,
                    &tenants,
                    &lq,
                    &budget,
                )?))
            }
            Expr::Metric(m) => {
                let (start, end) = step_aligned_range(q.start, q.end, q.step);
                let mut params = EvalParams::range(start, end, q.step);
                self.metric(&m, &mut params, &tenants, &budget)
            }
        }
    }

    /// `query`: a metric query at one instant; log queries are refused.
    pub fn instant_query(
        &self,
        tenants: &[String],
        q: &InstantQuery,
    ) -> Result<QueryOutput, QueryError> {
        let expr = parse_expr(&q.query)?;
        let budget = Budget::new(&self.limits);
        let tenants: Vec<&str> = tenants.iter().map(String::as_str).collect();
        match expr {
            Expr::Log(_) => Err(QueryError::BadRequest(
                "log queries are not supported as an instant query type, please change your query to a range query type"
                    .into(),
            )),
            Expr::Metric(m) => {
                let mut params = EvalParams::instant(q.time);
                self.metric(&m, &mut params, &tenants, &budget)
            }
        }
    }

    fn metric(
        &self,
        expr: &MetricExpr,
        params: &mut EvalParams,
        tenants: &[&str],
        budget: &Budget,
    ) -> Result<QueryOutput, QueryError> {
        params.max_series = self.limits.max_series;
        params.deadline = Some(budget.deadline());
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let value = std::thread::scope(|scope| {
            let source = metric_source::StoreSampleSource::new(&self.store, tenants, expr, budget)
                .in_parallel(scope, workers.min(MAX_QUERY_WORKERS));
            eval::evaluate(expr, params, &source)
        })?;
        let mut stats = budget.stats();
        stats.entries_returned = match &value {
            QueryValue::Matrix(s) => s.iter().map(|s| s.points.len() as u64).sum(),
            QueryValue::Vector(v) => v.len() as u64,
            QueryValue::Scalar { .. } => 1,
        };
        Ok(QueryOutput::Metric { value, stats })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_steps_align_to_multiples_of_the_step() {
        const S: i64 = 1_000_000_000;
        // Observed in Loki 3.7.6: start 1768176017.000000123 s, end
        // 1768190369 s, step 90 s evaluate 1768176000 ..= 1768190400.
        assert_eq!(
            step_aligned_range(1_768_176_017 * S + 123, 1_768_190_369 * S, 90 * S),
            (1_768_176_000 * S, 1_768_190_400 * S)
        );
        // step 120.5 s: the grid is the multiples of 120.5 s.
        assert_eq!(
            step_aligned_range(1_768_176_000 * S, 1_768_190_400 * S, 120_500_000_000),
            (1_768_175_909_500_000_000, 1_768_190_490 * S)
        );
        assert_eq!(
            step_aligned_range(60 * S, 120 * S, 60 * S),
            (60 * S, 120 * S)
        );
    }

    #[test]
    fn bytes_print_like_humanize() {
        assert_eq!(human_bytes(5), "5 B");
        assert_eq!(human_bytes(1_200_000), "1.2 MB");
        assert_eq!(human_bytes(35_000_000), "35 MB");
    }

    #[test]
    fn budget_enforces_bytes_and_deadline() {
        let limits = QueryLimits {
            max_bytes_read: 100,
            ..QueryLimits::default()
        };
        let b = Budget::new(&limits);
        assert!(b.charge(1, 60).is_ok());
        assert!(
            matches!(b.charge(1, 60), Err(QueryError::BadRequest(m)) if m.starts_with("the query would read too many bytes"))
        );
        let limits = QueryLimits {
            timeout: Duration::ZERO,
            ..QueryLimits::default()
        };
        let b = Budget::new(&limits);
        std::thread::sleep(Duration::from_millis(2));
        assert!(matches!(b.charge(1, 1), Err(QueryError::Timeout)));
        assert_eq!(b.stats().lines_processed, 1);
    }
}

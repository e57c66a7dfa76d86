//! Metadata endpoints: labels, label values, series, index stats, volume.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::api::encode::{write_labels, write_str};
use crate::api::error::ApiError;
use crate::api::params::{self, Params};
use crate::api::query::{blocking, json_response, request_params};
use crate::api::{now_ns, observe_query, query_tenants, AppState};
use crate::logql::eval::result::{Point, QueryValue, Sample, Series};
use crate::query::metadata::{VolumeAggregation, VolumeRequest};
use crate::query::result::QueryStats;
use crate::query::QueryKind;

/// `{"status":"success","data":[...]}`; Loki omits `data` when the list is empty.
fn string_list_body(items: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + items.len() * 16);
    out.extend_from_slice(b"{\"status\":\"success\"");
    if !items.is_empty() {
        out.extend_from_slice(b",\"data\":[");
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(&mut out, s);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}\n");
    out
}

struct Request {
    params: Params,
    tenants: Vec<String>,
}

fn request(raw: Option<String>, headers: &HeaderMap, body: &Bytes) -> Request {
    Request {
        params: request_params(raw, headers, body),
        tenants: query_tenants(headers),
    }
}

async fn run(
    state: Arc<AppState>,
    req: Request,
    f: impl FnOnce(&AppState, &[&str], &Params) -> Result<Vec<u8>, ApiError> + Send + 'static,
) -> Response {
    let started = Instant::now();
    let result = blocking(move || {
        let tenants: Vec<&str> = req.tenants.iter().map(String::as_str).collect();
        f(&state, &tenants, &req.params)
    })
    .await;
    observe_query(QueryKind::Metadata.as_str(), started);
    match result {
        Ok(body) => json_response(body),
        Err(e) => e.into_response(),
    }
}

/// `GET|POST /loki/api/v1/labels` (and `/label`, `/api/prom/label`).
pub async fn labels(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, request(raw, &headers, &body), |st, tenants, p| {
        let (start, end) = params::bounds(p, now_ns())?;
        let names = st.engine.labels(tenants, start, end, p.get("query"))?;
        Ok(string_list_body(&names))
    })
    .await
}

/// `GET|POST /loki/api/v1/label/<name>/values`.
pub async fn label_values(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(
        state,
        request(raw, &headers, &body),
        move |st, tenants, p| {
            let (start, end) = params::bounds(p, now_ns())?;
            let values = st
                .engine
                .label_values(tenants, &name, start, end, p.get("query"))?;
            Ok(string_list_body(&values))
        },
    )
    .await
}

/// `GET|POST /loki/api/v1/series` with `match[]` and/or `match`.
pub async fn series(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, request(raw, &headers, &body), |st, tenants, p| {
        let (start, end) = params::bounds(p, now_ns())?;
        let selectors: Vec<&str> = p.all("match[]").chain(p.all("match")).collect();
        let series = st.engine.series(tenants, &selectors, start, end)?;
        let mut out = Vec::with_capacity(64 + series.len() * 64);
        out.extend_from_slice(b"{\"status\":\"success\",\"data\":[");
        for (i, s) in series.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_labels(&mut out, s);
        }
        out.extend_from_slice(b"]}\n");
        Ok(out)
    })
    .await
}

/// `GET|POST /loki/api/v1/index/stats`: a bare `{streams,chunks,bytes,entries}`.
pub async fn index_stats(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, request(raw, &headers, &body), |st, tenants, p| {
        let q = params::range_query(p, now_ns())?;
        let s = st.engine.index_stats(tenants, &q.query, q.start, q.end)?;
        Ok(format!(
            "{{\"streams\":{},\"chunks\":{},\"bytes\":{},\"entries\":{}}}\n",
            s.streams, s.chunks, s.bytes, s.entries
        )
        .into_bytes())
    })
    .await
}

fn volume_params(p: &Params) -> Result<VolumeRequest, ApiError> {
    let (start, end) = params::bounds(p, now_ns())?;
    let query = p
        .get("query")
        .ok_or_else(|| ApiError::bad_request("query parameter is required"))?
        .to_string();
    let limit = match p.get("limit") {
        None => 100,
        Some(l) => match l.parse::<i64>() {
            Ok(0) => 100,
            Ok(n) if n > 0 => n as usize,
            _ => return Err(ApiError::bad_request("limit must be a positive value")),
        },
    };
    let targets = p
        .get("targetLabels")
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let aggregate = match p.get("aggregateBy") {
        None | Some("series") => VolumeAggregation::Series,
        Some("labels") => VolumeAggregation::Labels,
        Some(_) => return Err(ApiError::bad_request("invalid aggregation option")),
    };
    Ok(VolumeRequest {
        query,
        start,
        end,
        limit,
        target_labels: targets,
        aggregate,
    })
}

fn metric_envelope(value: &QueryValue) -> Vec<u8> {
    crate::api::encode::metric_body(value, &QueryStats::default())
}

/// `GET|POST /loki/api/v1/index/volume`: a vector of bytes per group.
pub async fn volume(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, request(raw, &headers, &body), |st, tenants, p| {
        let v = volume_params(p)?;
        let groups = st.engine.volume(tenants, &v)?;
        let t_ms = v.end / 1_000_000;
        let samples = groups
            .into_iter()
            .map(|g| Sample {
                labels: Arc::new(g.labels),
                t_ms,
                v: g.bytes as f64,
            })
            .collect();
        Ok(metric_envelope(&QueryValue::Vector(samples)))
    })
    .await
}

/// `GET|POST /loki/api/v1/index/volume_range`: a matrix of bytes per group
/// and step bucket.
pub async fn volume_range(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, request(raw, &headers, &body), |st, tenants, p| {
        let v = volume_params(p)?;
        let step = match p.get("step") {
            Some(s) => params::parse_seconds_or_duration(s).map_err(ApiError::bad_request)?,
            None => params::default_step(v.start, v.end),
        };
        if step <= 0 {
            return Err(ApiError::bad_request(
                "zero or negative query resolution step widths are not accepted. Try a positive integer",
            ));
        }
        let mut series: std::collections::BTreeMap<crate::model::Labels, Vec<Point>> = Default::default();
        let mut t = v.start;
        while t < v.end {
            let bucket_end = t.saturating_add(step).min(v.end);
            let bucket = VolumeRequest {
                start: t,
                end: bucket_end,
                ..v.clone()
            };
            let groups = st.engine.volume(tenants, &bucket)?;
            for g in groups {
                series.entry(g.labels).or_default().push(Point {
                    t_ms: t / 1_000_000,
                    v: g.bytes as f64,
                });
            }
            t = bucket_end;
        }
        let matrix = series
            .into_iter()
            .map(|(labels, points)| Series {
                labels: Arc::new(labels),
                points,
            })
            .collect();
        Ok(metric_envelope(&QueryValue::Matrix(matrix)))
    })
    .await
}

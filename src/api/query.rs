//! `/loki/api/v1/query_range` and `/loki/api/v1/query` (GET and POST form).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use crate::api::encode::{self, EncodingFlags};
use crate::api::error::ApiError;
use crate::api::params::{self, Params};
use crate::api::{now_ns, observe_query, query_tenants, AppState};
use crate::query::{QueryKind, QueryOutput};

/// Merges the URL query and a form-encoded POST body, as Go's `r.Form`.
pub fn request_params(raw: Option<String>, headers: &HeaderMap, body: &Bytes) -> Params {
    let mut p = Params::parse(raw.as_deref().unwrap_or_default());
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        p.extend_from(&String::from_utf8_lossy(body));
    }
    p
}

/// A JSON success response.
pub fn json_response(body: Vec<u8>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body,
    )
        .into_response()
}

/// Runs blocking query work off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
}

fn encode_output(out: &QueryOutput, flags: &EncodingFlags) -> Vec<u8> {
    match out {
        QueryOutput::Streams(r) => encode::streams_body(r, flags),
        QueryOutput::Metric { value, stats } => encode::metric_body(value, stats),
    }
}

/// The response form Grafana asks for (`X-Loki-Response-Encoding-Flags`).
fn encoding_flags(headers: &HeaderMap) -> EncodingFlags {
    EncodingFlags::parse(
        headers
            .get("x-loki-response-encoding-flags")
            .and_then(|v| v.to_str().ok()),
    )
}

/// `GET|POST /loki/api/v1/query_range`.
pub async fn query_range(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let p = request_params(raw, &headers, &body);
    let flags = encoding_flags(&headers);
    let tenants = query_tenants(&headers);
    let st = state.clone();
    let categorize = flags.categorize_labels();
    let result = blocking(move || {
        let q = params::range_query(&p, now_ns())?;
        st.engine
            .range_query(&tenants, &q, categorize)
            .map_err(ApiError::from)
    })
    .await;
    match result {
        Ok(out) => {
            observe_query(out.kind().as_str(), started);
            json_response(encode_output(&out, &flags))
        }
        Err(e) => {
            observe_query(QueryKind::Log.as_str(), started);
            e.into_response()
        }
    }
}

/// `GET|POST /loki/api/v1/query` (instant; log queries are refused as in Loki).
pub async fn query_instant(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let p = request_params(raw, &headers, &body);
    let flags = encoding_flags(&headers);
    let tenants = query_tenants(&headers);
    let st = state.clone();
    let result = blocking(move || {
        let q = params::instant_query(&p, now_ns())?;
        st.engine
            .instant_query(&tenants, &q)
            .map_err(ApiError::from)
    })
    .await;
    observe_query(QueryKind::Metric.as_str(), started);
    match result {
        Ok(out) => json_response(encode_output(&out, &flags)),
        Err(e) => e.into_response(),
    }
}

//! HTTP API: axum handlers that decode requests and encode Loki JSON. No
//! business logic lives here: ingest validates, the store keeps, the query
//! engine answers.

pub mod encode;
pub mod error;
pub mod metadata;
pub mod params;
pub mod push;
pub mod push_buffers;
pub mod query;
pub mod status;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::ingest::Ingester;
use crate::query::Engine;
use crate::store::Store;

/// Everything the handlers share.
pub struct AppState {
    /// The configuration in force (shown on `/config`).
    pub config: crate::config::Config,
    /// The durable store.
    pub store: Arc<Store>,
    /// Push decoding and validation.
    pub ingester: Ingester,
    /// Body buffers kept between pushes.
    pub push_buffers: push_buffers::PushBufferPool,
    /// The query engine.
    pub engine: Engine,
    /// False while the WAL is replayed and after shutdown began.
    pub ready: AtomicBool,
    /// Set once shutdown began: pushes are refused from then on.
    pub stopping: Arc<AtomicBool>,
}

impl AppState {
    /// Whether the server accepts traffic.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire) && !self.stopping.load(Ordering::Acquire)
    }
}

/// The tenant of a request: `X-Scope-OrgID`, or `fake` as Loki without auth.
pub fn tenant(headers: &HeaderMap) -> String {
    headers
        .get("x-scope-orgid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("fake")
        .to_string()
}

/// Tenants a query reads: `a|b|c` joins several.
pub fn query_tenants(headers: &HeaderMap) -> Vec<String> {
    let t = tenant(headers);
    let mut v: Vec<String> = t
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Current time in ns since the epoch.
pub fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// The routes of the Loki API (and the legacy `/api/prom` aliases).
pub fn router(state: Arc<AppState>, max_body: usize) -> Router {
    Router::new()
        .route("/", get(status::root))
        .route("/ready", get(status::ready))
        .route("/metrics", get(status::metrics))
        .route("/flush", post(status::flush).get(status::flush))
        .route("/config", get(status::config))
        .route("/loki/api/v1/status/buildinfo", get(status::buildinfo))
        .route("/loki/api/v1/push", post(push::push_v1))
        .route("/api/prom/push", post(push::push_legacy))
        .route(
            "/loki/api/v1/query_range",
            get(query::query_range).post(query::query_range),
        )
        .route(
            "/loki/api/v1/query",
            get(query::query_instant).post(query::query_instant),
        )
        .route(
            "/loki/api/v1/labels",
            get(metadata::labels).post(metadata::labels),
        )
        .route(
            "/loki/api/v1/label",
            get(metadata::labels).post(metadata::labels),
        )
        .route(
            "/api/prom/label",
            get(metadata::labels).post(metadata::labels),
        )
        .route(
            "/loki/api/v1/label/{name}/values",
            get(metadata::label_values).post(metadata::label_values),
        )
        .route(
            "/api/prom/label/{name}/values",
            get(metadata::label_values).post(metadata::label_values),
        )
        .route(
            "/loki/api/v1/series",
            get(metadata::series).post(metadata::series),
        )
        .route(
            "/api/prom/series",
            get(metadata::series).post(metadata::series),
        )
        .route(
            "/loki/api/v1/index/stats",
            get(metadata::index_stats).post(metadata::index_stats),
        )
        .route(
            "/loki/api/v1/index/volume",
            get(metadata::volume).post(metadata::volume),
        )
        .route(
            "/loki/api/v1/index/volume_range",
            get(metadata::volume_range).post(metadata::volume_range),
        )
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(count_requests))
        .with_state(state)
}

/// Counts requests by route and status for `/metrics`.
async fn count_requests(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".to_string());
    let resp = next.run(req).await;
    crate::metrics::global()
        .http_requests
        .add(&[&route, resp.status().as_str()], 1);
    resp
}

/// Records a query's latency under `kind`.
pub fn observe_query(kind: &str, started: Instant) {
    crate::metrics::global()
        .query_duration
        .observe(kind, started.elapsed().as_secs_f64());
}

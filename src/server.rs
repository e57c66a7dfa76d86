//! The server's life: bind, answer `/ready` with 503 while the WAL is
//! replayed, serve the API, run maintenance (sealing, retention) in the
//! background, and on SIGTERM/SIGINT stop taking pushes, finish requests,
//! cut every head to chunks and sync before exiting.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;

use crate::api::{self, AppState};
use crate::config::Config;
use crate::ingest::{IngestConfig, Ingester};
use crate::query::{Engine, QueryLimits};
use crate::store::{Store, StoreConfig};

/// How often sealing, retention and age-based head cuts run.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(15);

/// The store options of a configuration.
pub fn store_config(c: &Config) -> StoreConfig {
    StoreConfig {
        dir: c.data.clone(),
        retention: c.retention,
        wal_sync_interval: c.wal_sync_interval,
        out_of_order_window: c.out_of_order_window,
        head_budget_bytes: usize::try_from(c.head_budget_bytes()).unwrap_or(usize::MAX),
        chunk_target_size: usize::try_from(c.chunk_target_size).unwrap_or(usize::MAX),
        block_size: usize::try_from(c.chunk_block_size).unwrap_or(usize::MAX),
        chunk_max_age: c.chunk_max_age,
        chunk_idle_period: c.chunk_idle_period,
        max_streams_per_tenant: c.max_streams_per_tenant,
        ..StoreConfig::default()
    }
}

/// The ingest options of a configuration (Loki's units: `ingestion_rate_mb`
/// is MiB/s; 0 disables a rate limit).
pub fn ingest_config(c: &Config) -> IngestConfig {
    const MIB: f64 = 1024.0 * 1024.0;
    let unlimited = |v: f64| if v > 0.0 { v } else { f64::INFINITY };
    let size = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let defaults = IngestConfig::default();
    IngestConfig {
        max_recv_msg_size: size(c.max_recv_msg_size),
        max_label_names_per_series: c.max_label_names_per_series,
        max_label_name_length: c.max_label_name_length,
        max_label_value_length: c.max_label_value_length,
        max_line_size: size(c.max_line_size),
        max_line_size_truncate: c.max_line_size_truncate,
        reject_old_samples_max_age: c.reject_old_samples_max_age.unwrap_or(Duration::ZERO),
        creation_grace_period: c.creation_grace_period,
        max_structured_metadata_size: size(c.max_structured_metadata_size),
        max_structured_metadata_entries_count: c.max_structured_metadata_entries,
        ingestion_rate_bytes: unlimited(c.ingestion_rate_mb * MIB),
        ingestion_burst_bytes: unlimited(c.ingestion_burst_size_mb * MIB),
        per_stream_rate_bytes: unlimited(c.per_stream_rate_limit as f64),
        per_stream_burst_bytes: unlimited(c.per_stream_rate_limit_burst as f64),
        discover_service_name: if c.discover_service_name {
            defaults.discover_service_name.clone()
        } else {
            Vec::new()
        },
        discover_log_levels: c.discover_log_levels,
        ..defaults
    }
}

/// The query limits of a configuration.
pub fn query_limits(c: &Config) -> QueryLimits {
    QueryLimits {
        max_entries: c.max_entries_limit_per_query,
        max_series: c.max_query_series,
        timeout: c.query_timeout,
        max_query_length: c.max_query_length,
        max_bytes_read: c.max_query_bytes_read,
    }
}

/// Answers while the WAL is replayed: `/ready` 503, `/` and `/metrics`
/// work, everything else 503.
fn starting_router() -> Router {
    let unavailable = || async {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "Ingester not ready: waiting for the WAL replay to finish",
        )
    };
    Router::new()
        .route("/", get(api::status::root))
        .route("/ready", get(unavailable))
        .route(
            "/metrics",
            get(|| async {
                let mut out = String::new();
                crate::metrics::global().render(&mut out);
                out
            }),
        )
        .fallback(unavailable)
}

/// Runs the server until SIGTERM/SIGINT. Errors are start-up errors.
pub async fn run(config: Config) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("listen on {}: {e}", config.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("local address: {e}"))?;
    tracing::info!(addr = %addr, data = %config.data.display(), "listening");

    let app: Arc<OnceLock<Router>> = Arc::new(OnceLock::new());
    let starting = starting_router();
    let dispatch = {
        let app = app.clone();
        move |req: Request| {
            let router = app.get().cloned().unwrap_or_else(|| starting.clone());
            async move {
                match router.oneshot(req).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                }
            }
        }
    };
    let stopping = Arc::new(AtomicBool::new(false));
    let shutdown = shutdown_signal(stopping.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, Router::new().fallback(dispatch))
            .with_graceful_shutdown(shutdown)
            .await
    });

    let store_cfg = store_config(&config);
    let store = tokio::task::spawn_blocking(move || Store::open(store_cfg))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("open the store: {e}"))?;
    let store = Arc::new(store);
    let state = Arc::new(AppState {
        store: store.clone(),
        ingester: Ingester::new(ingest_config(&config)),
        push_buffers: Default::default(),
        engine: Engine::new(store.clone(), query_limits(&config)),
        config: config.clone(),
        ready: AtomicBool::new(true),
        stopping: stopping.clone(),
    });
    let max_body = usize::try_from(config.max_recv_msg_size).unwrap_or(usize::MAX);
    let _ = app.set(api::router(state.clone(), max_body));
    tracing::info!("ready");

    let maintenance = tokio::spawn(maintain(state.clone(), stopping.clone()));
    let served = server.await;
    maintenance.abort();
    tracing::info!("shutting down: cutting heads and syncing");
    let closing = store.clone();
    tokio::task::spawn_blocking(move || closing.close())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("close the store: {e}"))?;
    match served {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("serve: {e}")),
        Err(e) => Err(format!("serve: {e}")),
    }
}

/// Seals finished days, applies retention and cuts old heads, periodically;
/// drops the kept push buffers once pushes stopped.
async fn maintain(state: Arc<AppState>, stopping: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(MAINTENANCE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if stopping.load(Ordering::Acquire) {
            return;
        }
        state.push_buffers.release_if_unused();
        let s = state.store.clone();
        let r = tokio::task::spawn_blocking(move || s.maintenance(api::now_ns())).await;
        match r {
            Ok(Ok(report)) => {
                if !report.days_sealed.is_empty() || !report.days_dropped.is_empty() {
                    tracing::info!(sealed = ?report.days_sealed, dropped = ?report.days_dropped, "maintenance");
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "maintenance failed"),
            Err(e) => tracing::warn!(error = %e, "maintenance task failed"),
        }
    }
}

/// Resolves on SIGTERM or SIGINT, after marking the server as stopping so
/// pushes are refused while in-flight requests finish.
async fn shutdown_signal(stopping: Arc<AtomicBool>) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("signal received: refusing pushes, finishing requests");
    stopping.store(true, Ordering::Release);
}

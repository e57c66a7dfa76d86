//! Operational endpoints: `/`, `/ready`, `/metrics`, `/flush`, `/config`,
//! `/loki/api/v1/status/buildinfo`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::error::ApiError;
use crate::api::AppState;

/// `GET /`: 200, so Vector's healthcheck fallback succeeds.
pub async fn root() -> &'static str {
    "kindling: a Loki-compatible log store\n"
}

/// `GET /ready`: 200 `ready` once recovery is done, 503 before and while stopping.
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    if state.is_ready() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "Ingester not ready: waiting for the WAL replay to finish",
        )
            .into_response()
    }
}

/// `GET /metrics` in the Prometheus text format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut out = String::with_capacity(8192);
    crate::metrics::global().render(&mut out);
    render_store_metrics(&state, &mut out);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// `POST /flush`: cut every head to chunks now (Loki's `/flush`).
pub async fn flush(State(state): State<Arc<AppState>>) -> Response {
    // Before the store's flush, which returns freed memory to the system.
    state.push_buffers.release();
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.flush()).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(e)) => ApiError::internal(e.to_string()).into_response(),
        Err(e) => ApiError::internal(e.to_string()).into_response(),
    }
}

/// `GET /config`: the effective configuration, one `key: value` per line.
pub async fn config(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        state.config.render(),
    )
        .into_response()
}

/// `GET /loki/api/v1/status/buildinfo`: a bare JSON object like Loki's, with
/// a Loki-like version for tools that probe it.
pub async fn buildinfo() -> Response {
    let body = serde_json::json!({
        "version": "3.7.6",
        "revision": env!("CARGO_PKG_VERSION"),
        "branch": "kindling",
        "buildUser": "kindling",
        "buildDate": "",
        "goVersion": "",
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Renders the store's counters and the on-disk sizes (WAL, each day).
fn render_store_metrics(state: &AppState, out: &mut String) {
    use crate::metrics::{write_header, write_single};
    use crate::store::StoreMetrics;
    use std::fmt::Write;
    let m = state.store.metrics();
    let get = StoreMetrics::get;
    let counters: [(&str, &str, u64); 7] = [
        (
            "kindling_wal_bytes_written_total",
            "Bytes appended to the write-ahead log.",
            get(&m.wal_bytes_written),
        ),
        (
            "kindling_wal_fsyncs_total",
            "fsync calls on the WAL.",
            get(&m.wal_fsyncs),
        ),
        (
            "kindling_chunks_written_total",
            "Compressed blocks written to chunk files.",
            get(&m.blocks_written),
        ),
        (
            "kindling_chunk_bytes_written_total",
            "Compressed bytes written to chunk files.",
            get(&m.chunk_bytes_written),
        ),
        (
            "kindling_days_sealed_total",
            "Day partitions sealed.",
            get(&m.days_sealed),
        ),
        (
            "kindling_days_dropped_total",
            "Day partitions dropped by retention.",
            get(&m.days_dropped),
        ),
        (
            "kindling_recovery_errors_total",
            "Damaged records, blocks or files found and skipped.",
            get(&m.recovery_errors),
        ),
    ];
    for (name, help, v) in counters {
        write_single(out, name, "counter", help, v);
    }
    write_single(
        out,
        "kindling_head_bytes",
        "gauge",
        "Memory held by open head blocks.",
        get(&m.head_bytes),
    );
    write_single(
        out,
        "kindling_active_streams",
        "gauge",
        "Streams with state in memory.",
        get(&m.active_streams),
    );
    let data = &state.config.data;
    write_single(
        out,
        "kindling_wal_size_bytes",
        "gauge",
        "Size of the WAL on disk.",
        dir_size(&data.join("wal")),
    );
    write_header(
        out,
        "kindling_disk_bytes",
        "gauge",
        "Bytes on disk per UTC day partition.",
    );
    if let Ok(days) = std::fs::read_dir(data.join("days")) {
        let mut days: Vec<_> = days.flatten().filter(|d| d.path().is_dir()).collect();
        days.sort_by_key(|d| d.file_name());
        for d in days {
            let name = d.file_name().to_string_lossy().into_owned();
            let _ = writeln!(
                out,
                "kindling_disk_bytes{{day=\"{name}\"}} {}",
                dir_size(&d.path())
            );
        }
    }
}

/// Total size of the files directly inside `dir` (0 when it is missing).
fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

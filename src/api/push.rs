//! `POST /loki/api/v1/push` and `POST /api/prom/push`: read the body within
//! the size limit, let ingest decode and validate it, let the store append
//! it durably, and answer as Loki does (204, or the merged rejections).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use crate::api::error::ApiError;
use crate::api::push_buffers::PushBuffers;
use crate::api::{now_ns, tenant, AppState};
use crate::ingest::{Rejections, ValidStream};
use crate::metrics;
use crate::store::{AppendOutcome, RejectReason};

/// `POST /loki/api/v1/push`.
pub async fn push_v1(state: State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    push(state, headers, body, false).await
}

/// `POST /api/prom/push` (legacy JSON shape; protobuf is the same).
pub async fn push_legacy(state: State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    push(state, headers, body, true).await
}

/// Largest received body handled on the runtime's own thread. Handing a
/// push to the blocking pool wakes a pool thread and, when it is done, the
/// runtime thread again, and moves the body between cores: for a shipper's
/// usual batch (1 MiB or less on the wire, a few milliseconds of work) that
/// cost more CPU than the work it moved. Larger bodies, and every push
/// when each append waits for an fsync (`wal_sync_interval = 0`), go to
/// the blocking pool so a runtime thread is never held long.
const INLINE_MAX_BODY: usize = 1 << 20;

async fn push(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
    legacy: bool,
) -> Response {
    if !state.is_ready() {
        return ApiError::new(
            503,
            "Ingester not ready: shutting down or replaying the WAL",
        )
        .for_push()
        .into_response();
    }
    let tenant = tenant(&headers);
    if tenant.contains('|') {
        return ApiError::new(401, "multiple org IDs present")
            .for_push()
            .into_response();
    }
    let max = state.ingester.config().max_recv_msg_size;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let length_hint = header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(0, |n| n.min(max));
    let mut buffers = state.push_buffers.take();
    if let Err(e) = read_limited(body, max, length_hint, &mut buffers.received).await {
        state.push_buffers.put(buffers);
        return e.for_push().into_response();
    }
    let content_type = header("content-type");
    let content_encoding = header("content-encoding");
    let inline =
        buffers.received.len() <= INLINE_MAX_BODY && !state.config.wal_sync_interval.is_zero();
    let st = state.clone();
    let job = move || {
        let handled = ingest_and_store(
            &st,
            &tenant,
            content_type.as_deref(),
            content_encoding.as_deref(),
            legacy,
            &mut buffers,
        );
        st.push_buffers.put(buffers);
        handled.map(|(rejections, outcome, bytes)| (tenant, rejections, outcome, bytes))
    };
    let result = if inline {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
            .map_err(|_| "the push handler panicked".to_string())
    } else {
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|e| e.to_string())
    };
    let (tenant, rejections, outcome, accepted_bytes) = match result {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return e.for_push().into_response(),
        Err(e) => return ApiError::internal(e).for_push().into_response(),
    };
    let m = metrics::global();
    m.ingest_lines.add(&[&tenant], outcome.accepted as u64);
    m.ingest_bytes.add(&[&tenant], accepted_bytes);
    if outcome.duplicates > 0 {
        m.rejected_lines
            .add(&["duplicate"], outcome.duplicates as u64);
    }
    for (reason, lines, _bytes) in rejections.discarded() {
        m.rejected_lines.add(&[reason.as_str()], lines);
    }
    match rejections.respond() {
        None => StatusCode::NO_CONTENT.into_response(),
        Some((status, text)) => ingest_error(status, text).for_push().into_response(),
    }
}

/// Decodes and validates the body in `buffers.received` and appends what
/// passes: the rejections, the store's outcome and the accepted bytes. The
/// entries borrow their lines from `buffers`, so they live only while this
/// push is handled.
fn ingest_and_store(
    state: &AppState,
    tenant: &str,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    legacy: bool,
    buffers: &mut PushBuffers,
) -> Result<(Rejections, AppendOutcome, u64), ApiError> {
    let PushBuffers { received, decoded } = buffers;
    let prepared = state.ingester.prepare(
        tenant,
        content_type,
        content_encoding,
        received,
        legacy,
        now_ns(),
        decoded,
    );
    let mut prepared = match prepared {
        Ok(p) => p,
        Err(e) => {
            if let Some((reason, lines, _)) = e.discarded() {
                metrics::global()
                    .rejected_lines
                    .add(&[reason.as_str()], lines);
            }
            let (status, text) = e.response();
            return Err(ingest_error(status, text));
        }
    };
    let streams = std::mem::take(&mut prepared.streams);
    let accepted_bytes: u64 = streams
        .iter()
        .flat_map(|s| &s.entries)
        .map(|e| e.line.len() as u64)
        .sum();
    let outcome = state
        .store
        .append(tenant, &streams)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    record_store_rejections(&mut prepared.rejections, &streams, &outcome);
    Ok((prepared.rejections, outcome, accepted_bytes))
}

/// An answer worded by ingest, which already ends it with Go's `http.Error`
/// newline; [`ApiError::for_push`] adds that newline, so it is dropped here.
fn ingest_error(status: u16, mut text: String) -> ApiError {
    if text.ends_with('\n') {
        text.pop();
    }
    ApiError::new(status, text)
}

/// Hands the store's refusals to ingest, which words Loki's answer.
fn record_store_rejections(
    rejections: &mut Rejections,
    streams: &[ValidStream<'_>],
    outcome: &AppendOutcome,
) {
    let mut limited: Vec<usize> = Vec::new();
    for r in &outcome.rejected {
        let Some(stream) = streams.get(r.stream) else {
            continue;
        };
        match &r.reason {
            RejectReason::TooFarBehind {
                oldest_acceptable, ..
            } => {
                if let Some(entry) = stream.entries.get(r.entry) {
                    rejections.too_far_behind(stream.labels(), entry, *oldest_acceptable);
                }
            }
            RejectReason::StreamLimit => {
                if !limited.contains(&r.stream) {
                    limited.push(r.stream);
                    rejections.stream_limit(stream.labels(), &stream.entries);
                }
            }
        }
    }
}

/// Reads the body into `buf` (emptied first; `length_hint` bytes reserved),
/// refusing it with Loki's 413 text once it exceeds `max`.
async fn read_limited(
    body: Body,
    max: usize,
    length_hint: usize,
    buf: &mut Vec<u8>,
) -> Result<(), ApiError> {
    let mut body = body;
    buf.clear();
    buf.reserve(length_hint);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > max {
                return Err(ApiError::new(
                    413,
                    format!(
                        "request body too large: message size too large than max ({} vs {max})",
                        buf.len() + data.len()
                    ),
                ));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(())
}

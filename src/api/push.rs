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
use crate::api::{now_ns, tenant, AppState};
use crate::ingest::{BodyBuffers, Rejections, ValidStream};
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
    let bytes = match read_limited(body, max).await {
        Ok(b) => b,
        Err(e) => return e.for_push().into_response(),
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type");
    let content_encoding = header("content-encoding");
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        // The decompressed body lives only while this push is handled: the
        // prepared entries borrow their lines from it.
        let mut buffers = BodyBuffers::default();
        let prepared = st.ingester.prepare(
            &tenant,
            content_type.as_deref(),
            content_encoding.as_deref(),
            &bytes,
            legacy,
            now_ns(),
            &mut buffers,
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
        let outcome = st
            .store
            .append(&tenant, &streams)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        record_store_rejections(&mut prepared.rejections, &streams, &outcome);
        Ok((tenant, prepared.rejections, outcome, accepted_bytes))
    })
    .await;
    let (tenant, rejections, outcome, accepted_bytes) = match result {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return e.for_push().into_response(),
        Err(e) => return ApiError::internal(e.to_string()).for_push().into_response(),
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

/// Reads the body, refusing it with Loki's 413 text once it exceeds `max`.
async fn read_limited(body: Body, max: usize) -> Result<bytes::Bytes, ApiError> {
    let mut body = body;
    let mut buf = bytes::BytesMut::new();
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
    Ok(buf.freeze())
}

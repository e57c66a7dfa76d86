//! Errors that refuse a whole push request, and the discard reasons Loki
//! reports in `loki_discarded_samples_total{reason=…}`.

/// Why entries were discarded: the `reason` label of Loki's discarded-samples metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiscardReason {
    /// The stream's label string could not be parsed.
    InvalidLabels,
    /// The stream has no labels at all.
    MissingLabels,
    /// More label names than `max_label_names_per_series`.
    MaxLabelNamesPerSeries,
    /// A label name longer than `max_label_name_length`.
    LabelNameTooLong,
    /// A label value longer than `max_label_value_length`.
    LabelValueTooLong,
    /// The same label name twice.
    DuplicateLabelNames,
    /// Older than `reject_old_samples_max_age`.
    GreaterThanMaxSampleAge,
    /// Newer than now plus `creation_grace_period`.
    TooFarInFuture,
    /// Longer than `max_line_size`.
    LineTooLong,
    /// Structured metadata while `allow_structured_metadata` is off.
    DisallowedStructuredMetadata,
    /// Structured metadata bytes above `max_structured_metadata_size`.
    StructuredMetadataTooLarge,
    /// More structured metadata pairs than `max_structured_metadata_entries_count`.
    StructuredMetadataTooMany,
    /// The tenant's ingestion rate limit.
    RateLimited,
    /// The per-stream rate limit.
    PerStreamRateLimit,
    /// The active-stream limit (reported by the store).
    StreamLimit,
    /// Older than the stream's out-of-order window (reported by the store).
    TooFarBehind,
    /// Out of order with unordered writes disabled (reported by the store).
    OutOfOrder,
    /// The request body exceeded a size limit.
    RequestBodyTooLarge,
}

impl DiscardReason {
    /// Loki's label value for the reason.
    pub fn as_str(self) -> &'static str {
        match self {
            DiscardReason::InvalidLabels => "invalid_labels",
            DiscardReason::MissingLabels => "missing_labels",
            DiscardReason::MaxLabelNamesPerSeries => "max_label_names_per_series",
            DiscardReason::LabelNameTooLong => "label_name_too_long",
            DiscardReason::LabelValueTooLong => "label_value_too_long",
            DiscardReason::DuplicateLabelNames => "duplicate_label_names",
            DiscardReason::GreaterThanMaxSampleAge => "greater_than_max_sample_age",
            DiscardReason::TooFarInFuture => "too_far_in_future",
            DiscardReason::LineTooLong => "line_too_long",
            DiscardReason::DisallowedStructuredMetadata => "disallowed_structured_metadata",
            DiscardReason::StructuredMetadataTooLarge => "structured_metadata_too_large",
            DiscardReason::StructuredMetadataTooMany => "structured_metadata_too_many",
            DiscardReason::RateLimited => "rate_limited",
            DiscardReason::PerStreamRateLimit => "per_stream_rate_limit",
            DiscardReason::StreamLimit => "stream_limit",
            DiscardReason::TooFarBehind => "too_far_behind",
            DiscardReason::OutOfOrder => "out_of_order",
            DiscardReason::RequestBodyTooLarge => "request_body_too_large",
        }
    }
}

/// A push refused as a whole: nothing of it may be stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The body could not be decoded (encoding, media type, JSON, snappy,
    /// protobuf, label syntax); the text is the decoder's message.
    #[error("{0}")]
    BadRequest(String),
    /// The compressed or the decompressed body exceeded its limit.
    #[error("request body too large: message size too large than max ({size} vs {max})")]
    TooLarge {
        /// The size seen (for streamed decompression: the limit plus one).
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// The request held no stream at all.
    #[error("error at least one valid stream is required for ingestion")]
    NoStreams,
    /// The tenant's ingestion rate limit refused the push.
    #[error("Ingestion rate limit exceeded for user {tenant} (limit: {limit} bytes/sec) while attempting to ingest '{lines}' lines totaling '{bytes}' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased")]
    RateLimited {
        /// The tenant.
        tenant: String,
        /// The limit in bytes per second.
        limit: u64,
        /// Entries refused.
        lines: u64,
        /// Bytes refused (lines and structured metadata).
        bytes: u64,
    },
}

impl PushError {
    /// The HTTP status Loki answers with.
    pub fn status(&self) -> u16 {
        match self {
            PushError::BadRequest(_) => 400,
            PushError::TooLarge { .. } => 413,
            PushError::NoStreams => 422,
            PushError::RateLimited { .. } => 429,
        }
    }

    /// Status and plain-text body, with the trailing newline Go's
    /// `http.Error` adds.
    pub fn response(&self) -> (u16, String) {
        (self.status(), format!("{self}\n"))
    }

    /// The discard reason for metrics, when entries are counted as discarded.
    pub fn reason(&self) -> Option<DiscardReason> {
        match self {
            PushError::TooLarge { .. } => Some(DiscardReason::RequestBodyTooLarge),
            PushError::RateLimited { .. } => Some(DiscardReason::RateLimited),
            PushError::BadRequest(_) | PushError::NoStreams => None,
        }
    }

    /// Entries and bytes discarded by this refusal, when Loki counts them.
    pub fn discarded(&self) -> Option<(DiscardReason, u64, u64)> {
        match self {
            PushError::RateLimited { lines, bytes, .. } => {
                Some((DiscardReason::RateLimited, *lines, *bytes))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_texts() {
        let table = [
            (PushError::BadRequest("snappy: corrupt input".into()), 400, "snappy: corrupt input\n"),
            (
                PushError::TooLarge { size: 11, max: 10 },
                413,
                "request body too large: message size too large than max (11 vs 10)\n",
            ),
            (
                PushError::NoStreams,
                422,
                "error at least one valid stream is required for ingestion\n",
            ),
            (
                PushError::RateLimited { tenant: "fake".into(), limit: 4_194_304, lines: 2, bytes: 9 },
                429,
                "Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec) while attempting to ingest '2' lines totaling '9' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased\n",
            ),
        ];
        for (err, status, body) in table {
            assert_eq!(err.response(), (status, body.to_string()));
        }
        assert_eq!(DiscardReason::LineTooLong.as_str(), "line_too_long");
    }
}

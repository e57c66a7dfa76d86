//! Ingest limits and switches, each defaulting to Loki 3.7's value.

use std::time::Duration;

use super::decode::BodyLimits;

const MIB: usize = 1 << 20;

/// Loki's default `discover_service_name` label priority list.
pub const DEFAULT_SERVICE_NAME_LABELS: &[&str] = &[
    "service",
    "app",
    "application",
    "app_name",
    "name",
    "app_kubernetes_io_name",
    "container",
    "container_name",
    "k8s_container_name",
    "component",
    "workload",
    "job",
    "k8s_job_name",
];

/// Loki's default `log_level_fields`: where a level is looked for, in priority order.
pub const DEFAULT_LOG_LEVEL_FIELDS: &[&str] = &[
    "level",
    "LEVEL",
    "Level",
    "log.level",
    "severity",
    "SEVERITY",
    "Severity",
    "SeverityText",
    "lvl",
    "LVL",
    "Lvl",
    "severity_text",
    "Severity_Text",
    "SEVERITY_TEXT",
];

/// Everything the ingest path enforces or discovers.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestConfig {
    /// Largest push body as received (`distributor.max_recv_msg_size`): 100 MiB.
    pub max_recv_msg_size: usize,
    /// Largest push body after decompression (`max_decompressed_size`): 5000 MiB.
    pub max_decompressed_size: usize,
    /// Most label names per stream, `service_name` not counted: 15.
    pub max_label_names_per_series: usize,
    /// Longest label name in bytes: 1024.
    pub max_label_name_length: usize,
    /// Longest label value in bytes: 2048.
    pub max_label_value_length: usize,
    /// Longest line in bytes (`max_line_size`): 256 KiB; 0 = unlimited.
    pub max_line_size: usize,
    /// Truncate long lines instead of refusing them (`max_line_size_truncate`).
    pub max_line_size_truncate: bool,
    /// Oldest accepted entry relative to now (`reject_old_samples_max_age`):
    /// 7 days; zero accepts any age (`reject_old_samples: false`).
    pub reject_old_samples_max_age: Duration,
    /// How far ahead of now an entry may be (`creation_grace_period`): 10 minutes.
    pub creation_grace_period: Duration,
    /// Accept structured metadata (`allow_structured_metadata`): true.
    pub allow_structured_metadata: bool,
    /// Most structured metadata bytes per entry (names and values): 64 KiB; 0 = unlimited.
    pub max_structured_metadata_size: usize,
    /// Most structured metadata pairs per entry: 128; 0 = unlimited.
    pub max_structured_metadata_entries_count: usize,
    /// Tenant ingestion rate in bytes per second (`ingestion_rate_mb` 4).
    pub ingestion_rate_bytes: f64,
    /// Tenant ingestion burst in bytes (`ingestion_burst_size_mb` 6).
    pub ingestion_burst_bytes: f64,
    /// Per-stream rate in bytes per second (`per_stream_rate_limit` 3MB).
    pub per_stream_rate_bytes: f64,
    /// Per-stream burst in bytes (`per_stream_rate_limit_burst` 15MB).
    pub per_stream_burst_bytes: f64,
    /// Most per-stream rate buckets kept in memory (idle ones are evicted first).
    pub max_tracked_streams: usize,
    /// Most tenant rate buckets kept in memory.
    pub max_tracked_tenants: usize,
    /// Labels that give `service_name`, in priority order; empty disables the
    /// discovery (`discover_service_name`).
    pub discover_service_name: Vec<String>,
    /// Add `detected_level` structured metadata (`discover_log_levels`).
    pub discover_log_levels: bool,
    /// Label, metadata and line fields that carry a level, in priority order.
    pub log_level_fields: Vec<String>,
    /// How deep the JSON level search goes (`log_level_from_json_max_depth`):
    /// 2 = top level and one nested object; 0 = no limit.
    pub log_level_from_json_max_depth: usize,
    /// Per-entry lines in a stream error body (`max_returned_stream_errors`): 10.
    pub max_returned_stream_errors: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_recv_msg_size: 100 * MIB,
            max_decompressed_size: 5000 * MIB,
            max_label_names_per_series: 15,
            max_label_name_length: 1024,
            max_label_value_length: 2048,
            max_line_size: 256 * 1024,
            max_line_size_truncate: false,
            reject_old_samples_max_age: Duration::from_secs(7 * 24 * 3600),
            creation_grace_period: Duration::from_secs(600),
            allow_structured_metadata: true,
            max_structured_metadata_size: 64 * 1024,
            max_structured_metadata_entries_count: 128,
            ingestion_rate_bytes: 4.0 * MIB as f64,
            ingestion_burst_bytes: 6.0 * MIB as f64,
            per_stream_rate_bytes: 3.0 * MIB as f64,
            per_stream_burst_bytes: 15.0 * MIB as f64,
            max_tracked_streams: 16_384,
            max_tracked_tenants: 1024,
            discover_service_name: DEFAULT_SERVICE_NAME_LABELS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            discover_log_levels: true,
            log_level_fields: DEFAULT_LOG_LEVEL_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            log_level_from_json_max_depth: 2,
            max_returned_stream_errors: 10,
        }
    }
}

impl IngestConfig {
    /// The body size limits.
    pub fn body_limits(&self) -> BodyLimits {
        BodyLimits {
            max_recv_msg_size: self.max_recv_msg_size,
            max_decompressed_size: self.max_decompressed_size,
        }
    }
}

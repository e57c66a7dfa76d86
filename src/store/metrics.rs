//! Counters and gauges of the store, as plain atomics the server exports on
//! `/metrics`. All counters only grow; gauges are noted as such.

use std::sync::atomic::{AtomicU64, Ordering};

/// The store's counters and gauges.
#[derive(Debug, Default)]
pub struct StoreMetrics {
    /// Bytes written to WAL segments (frames and segment headers).
    pub wal_bytes_written: AtomicU64,
    /// WAL records written.
    pub wal_records_written: AtomicU64,
    /// fsync calls on WAL segments.
    pub wal_fsyncs: AtomicU64,
    /// Gauge: bytes held by open and cutting heads.
    pub head_bytes: AtomicU64,
    /// Gauge: streams with state in memory (all tenants).
    pub active_streams: AtomicU64,
    /// Entries accepted by `append`.
    pub entries_appended: AtomicU64,
    /// Entries dropped as exact duplicates.
    pub entries_duplicate: AtomicU64,
    /// Entries rejected (too far behind, or over the stream limit).
    pub entries_rejected: AtomicU64,
    /// Blocks written to chunk files (including compaction output).
    pub blocks_written: AtomicU64,
    /// Bytes written to chunk files (including compaction output).
    pub chunk_bytes_written: AtomicU64,
    /// Day partitions sealed.
    pub days_sealed: AtomicU64,
    /// Day partitions dropped by retention.
    pub days_dropped: AtomicU64,
    /// Damaged records, blocks or files found (and skipped) while
    /// recovering or reading.
    pub recovery_errors: AtomicU64,
}

impl StoreMetrics {
    /// Adds `n` to a counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads a counter or gauge.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

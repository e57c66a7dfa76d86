//! What a query answers, before it is encoded as Loki JSON.

use crate::model::{Labels, Timestamp};

/// The answer to a log query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogResult {
    /// Result streams sorted by label string.
    pub streams: Vec<ResultStream>,
    /// Work done.
    pub stats: QueryStats,
}

/// One result stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultStream {
    /// Its labels: all labels (stream, structured metadata, parsed), or only
    /// the stream labels when labels are categorized.
    pub labels: Labels,
    /// Entries in query direction.
    pub entries: Vec<ResultEntry>,
}

/// One result entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultEntry {
    /// Nanoseconds since the epoch.
    pub ts: Timestamp,
    /// The line after the pipeline.
    pub line: String,
    /// Structured metadata (only filled when labels are categorized).
    pub structured_metadata: Labels,
    /// Parsed labels incl. `__error__` (only filled when labels are categorized).
    pub parsed: Labels,
}

/// Counters of the work a query did, reported in `data.stats`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryStats {
    /// Wall time of the query in seconds.
    pub exec_time: f64,
    /// Bytes of log lines (and structured metadata) read.
    pub bytes_processed: u64,
    /// Log lines read.
    pub lines_processed: u64,
    /// Lines that passed the pipeline.
    pub post_filter_lines: u64,
    /// Entries (or samples) returned.
    pub entries_returned: u64,
    /// Chunks (blocks) referenced by the query.
    pub chunks_referenced: u64,
    /// Compressed bytes read from chunk files.
    pub compressed_bytes: u64,
    /// Bytes decompressed from chunk blocks.
    pub decompressed_bytes: u64,
    /// Lines decompressed from chunk blocks.
    pub decompressed_lines: u64,
    /// Bytes read from in-memory heads.
    pub head_chunk_bytes: u64,
    /// Lines read from in-memory heads.
    pub head_chunk_lines: u64,
    /// Streams selected by the index.
    pub streams: u64,
}

impl QueryStats {
    /// Adds another set of counters (not the time).
    pub fn merge(&mut self, o: &QueryStats) {
        self.bytes_processed += o.bytes_processed;
        self.lines_processed += o.lines_processed;
        self.post_filter_lines += o.post_filter_lines;
        self.entries_returned += o.entries_returned;
        self.chunks_referenced += o.chunks_referenced;
        self.compressed_bytes += o.compressed_bytes;
        self.decompressed_bytes += o.decompressed_bytes;
        self.decompressed_lines += o.decompressed_lines;
        self.head_chunk_bytes += o.head_chunk_bytes;
        self.head_chunk_lines += o.head_chunk_lines;
        self.streams += o.streams;
    }
}

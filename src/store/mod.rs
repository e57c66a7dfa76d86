//! The durable store: WAL, per-stream heads, chunks in day partitions, label index, retention.

pub mod batch;
pub mod block;
pub mod error;
pub mod linecodec;
pub mod varint;
pub mod frame;
pub mod wal_record;
pub mod fsutil;
pub mod metrics;
pub mod rice;
pub mod wal;
pub mod chunk_file;
pub mod index;
pub mod key;

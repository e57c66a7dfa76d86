//! The durable store: WAL, per-stream heads, chunks in day partitions, label index, retention.

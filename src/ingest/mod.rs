//! Push decoding (protobuf+snappy, JSON, gzip/deflate), validation and ingest-time discovery.

//! kindling: a Loki-compatible log store for small self-hosted clusters.
//!
//! Layering (see `../shared/docs/design-brief.md`): `api` decodes HTTP and
//! encodes Loki's JSON; `ingest` turns push bodies into validated batches;
//! `store` keeps them durably (WAL, heads, day partitions, label index);
//! `logql` parses and evaluates queries over the store's read API.

pub mod api;
pub mod config;
pub mod grow;
pub mod ingest;
pub mod logql;
pub mod metrics;
pub mod model;
pub mod query;
pub mod server;
pub mod store;

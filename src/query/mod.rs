//! The query engine: binds the store's read API, the LogQL pipeline and the
//! metric evaluator, with Loki's limits, ordering and result shapes.

pub mod log_merge;
pub mod result;

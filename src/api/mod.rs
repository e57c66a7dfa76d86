//! HTTP API: axum handlers that decode requests and encode Loki JSON.

pub mod encode;
pub mod error;
pub mod params;

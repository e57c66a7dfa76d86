//! HTTP API: axum handlers that decode requests and encode Loki JSON.

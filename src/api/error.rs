//! Errors of the HTTP API: a status code and Loki's plain-text message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answer: Loki sends these as `text/plain` with the bare message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The message, exactly as Loki words it.
    pub message: String,
    /// Push errors end with a newline (Go's `http.Error`), query errors do not.
    pub trailing_newline: bool,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            trailing_newline: false,
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, message)
    }

    /// 500 Internal Server Error.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, message)
    }

    /// 504 with Loki's query-timeout text (Grafana retries on it).
    pub fn timeout() -> Self {
        ApiError::new(
            504,
            "request timed out, decrease the duration of the request or add more label matchers \
             (prefer exact match over regex match) to reduce the amount of data processed",
        )
    }

    /// Marks the error as a push error (body ends with a newline).
    pub fn for_push(mut self) -> Self {
        self.trailing_newline = true;
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = self.message;
        if self.trailing_newline {
            body.push('\n');
        }
        let mut resp = (status, body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        resp
    }
}

//! Push decoding (protobuf+snappy, JSON, gzip/deflate/zstd), validation and
//! ingest-time discovery: everything between an HTTP push body and a
//! validated batch for the store.
//!
//! ```text
//! body ─ decode (encoding, media type, size limits) ─ json | proto ─ RawStream
//!      ─ labels (ParseMetric) + service_name discovery
//!      ─ validate (labels, entries) + metadata sanitising + detected_level
//!      ─ tenant and per-stream rate limits ─ PreparedPush ─ store
//!                                   Rejections + store refusals ─ respond()
//! ```
//!
//! [`Ingester::prepare`] is the entry point; [`PushError`] refuses a whole
//! request, [`Rejections::respond`] gives the answer for a partly accepted one.

pub mod config;
pub mod decode;
pub mod discovery;
pub mod error;
mod gofmt;
mod ingester;
pub mod json;
pub mod labels;
pub mod level_scan;
mod media_type;
pub mod proto;
pub mod push_wire;
mod rate;
pub mod rejections;
mod stream_labels;
pub mod validate;

pub use config::IngestConfig;
pub use decode::BodyBuffers;
pub use error::{DiscardReason, PushError};
pub use ingester::{Ingester, PreparedPush, ValidStream};
pub use rejections::Rejections;

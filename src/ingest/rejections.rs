//! What was refused in a push that was otherwise accepted, and Loki's final
//! answer for it.
//!
//! Loki answers in this order of precedence:
//! 1. a stream refused by the ingester (the store here): the *last* such
//!    stream of the request decides. A stream over the active-stream limit
//!    gives 429 with the stream-limit text. Otherwise the body lists the
//!    refused entries (`entry with timestamp <Go time> ignored, reason:
//!    '<msg>',` per line, at most `max_returned_stream_errors` of them) and
//!    ends with `user '<tenant>', total ignored: N out of M for stream:
//!    <labels>`; the status is 429 when the last refused entry hit the
//!    per-stream rate limit, 400 otherwise;
//! 2. validation errors found while preparing the push: 400, the messages
//!    grouped as Loki's `GroupedErrors` does (`N errors like: …; …`);
//! 3. nothing refused: `None`, i.e. 204.

use std::collections::{BTreeMap, HashMap};

use super::decode::RawEntry;
use super::error::DiscardReason;
use super::gofmt::{byte_size, rfc3339, time_string};
use super::validate::Violation;
use crate::model::Labels;

/// Why the store or the per-stream limiter refused one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryFailure {
    /// Older than the stream's out-of-order window; `cutoff` is the oldest accepted time.
    TooFarBehind { cutoff: i64 },
    /// Older than the newest entry with unordered writes disabled.
    OutOfOrder,
    /// The per-stream rate limit (`limit` bytes/s; `bytes` of this entry).
    RateLimited { limit: u64, bytes: u64 },
}

/// How a stream sent to the store ended, when it did not end well.
#[derive(Clone, Debug, PartialEq, Eq)]
enum StreamFailure {
    /// Individual entries refused, in push order.
    Entries(Vec<(i64, EntryFailure)>),
    /// The whole stream refused by the active-stream limit.
    StreamLimit,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct SentStream {
    labels: String,
    total: usize,
    failure: Option<StreamFailure>,
}

/// The refusals of one push: validation errors found while preparing it, and
/// per-stream refusals that the store adds after writing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejections {
    tenant: String,
    max_returned: usize,
    validation: Vec<String>,
    discarded: BTreeMap<DiscardReason, (u64, u64)>,
    streams: Vec<SentStream>,
}

impl Rejections {
    /// No refusals yet, for `tenant`; `max_returned` caps the per-entry lines
    /// of a stream error body.
    pub fn new(tenant: &str, max_returned: usize) -> Self {
        Rejections {
            tenant: tenant.to_string(),
            max_returned,
            validation: Vec::new(),
            discarded: BTreeMap::new(),
            streams: Vec::new(),
        }
    }

    /// True when nothing was refused.
    pub fn is_empty(&self) -> bool {
        self.validation.is_empty() && self.streams.iter().all(|s| s.failure.is_none())
    }

    /// Entries and bytes discarded per reason, for `loki_discarded_*` metrics.
    pub fn discarded(&self) -> Vec<(DiscardReason, u64, u64)> {
        self.discarded
            .iter()
            .map(|(r, (lines, bytes))| (*r, *lines, *bytes))
            .collect()
    }

    fn count(&mut self, reason: DiscardReason, lines: u64, bytes: u64) {
        let c = self.discarded.entry(reason).or_insert((0, 0));
        c.0 += lines;
        c.1 += bytes;
    }

    /// Records a validation refusal covering `lines` entries of `bytes` bytes.
    pub(crate) fn add_violation(&mut self, v: Violation, lines: u64, bytes: u64) {
        self.count(v.reason, lines, bytes);
        self.validation.push(v.message);
    }

    /// Records a stream that passed validation and goes on (to the store or
    /// to the per-stream limiter), with `total` entries.
    pub(crate) fn register_stream(&mut self, labels: String, total: usize) -> usize {
        let i = self.streams.len();
        self.streams.push(SentStream {
            labels,
            total,
            failure: None,
        });
        i
    }

    /// The stream at `i` was refused as a whole by the per-stream rate limit
    /// of `limit` bytes/s.
    pub(crate) fn rate_limited_stream(&mut self, i: usize, entries: &[RawEntry<'_>], limit: u64) {
        let failures = entries
            .iter()
            .map(|e| {
                let bytes = e.bytes();
                (e.ts, EntryFailure::RateLimited { limit, bytes })
            })
            .collect();
        let bytes = entries.iter().map(RawEntry::bytes).sum();
        self.count(
            DiscardReason::PerStreamRateLimit,
            entries.len() as u64,
            bytes,
        );
        if let Some(s) = self.streams.get_mut(i) {
            s.failure = Some(StreamFailure::Entries(failures));
        }
    }

    /// The last sent stream with these labels (the store reports rarely, so
    /// a scan is cheaper than keeping an index for every push).
    fn stream_at(&mut self, labels: &Labels) -> usize {
        let text = labels.to_string();
        match self.streams.iter().rposition(|s| s.labels == text) {
            Some(i) => i,
            None => self.register_stream(text, 0),
        }
    }

    fn entry_failed(&mut self, labels: &Labels, entry: &RawEntry<'_>, failure: EntryFailure) {
        let i = self.stream_at(labels);
        if let Some(s) = self.streams.get_mut(i) {
            match &mut s.failure {
                Some(StreamFailure::Entries(list)) => list.push((entry.ts, failure)),
                _ => s.failure = Some(StreamFailure::Entries(vec![(entry.ts, failure)])),
            }
        }
    }

    /// The store refused `entry` of the stream `labels` as older than
    /// `cutoff_ns`, the oldest time its out-of-order window accepts.
    pub fn too_far_behind(&mut self, labels: &Labels, entry: &RawEntry<'_>, cutoff_ns: i64) {
        self.count(DiscardReason::TooFarBehind, 1, entry.bytes());
        self.entry_failed(
            labels,
            entry,
            EntryFailure::TooFarBehind { cutoff: cutoff_ns },
        );
    }

    /// The store refused `entry` as out of order (unordered writes disabled).
    pub fn out_of_order(&mut self, labels: &Labels, entry: &RawEntry<'_>) {
        self.count(DiscardReason::OutOfOrder, 1, entry.bytes());
        self.entry_failed(labels, entry, EntryFailure::OutOfOrder);
    }

    /// The store refused to create the stream `labels` (active-stream limit);
    /// `entries` are its entries of this push.
    pub fn stream_limit(&mut self, labels: &Labels, entries: &[RawEntry<'_>]) {
        let bytes = entries.iter().map(RawEntry::bytes).sum();
        self.count(DiscardReason::StreamLimit, entries.len() as u64, bytes);
        let i = self.stream_at(labels);
        if let Some(s) = self.streams.get_mut(i) {
            s.failure = Some(StreamFailure::StreamLimit);
        }
    }

    fn failure_reason(stream: &str, ts: i64, failure: EntryFailure) -> String {
        match failure {
            EntryFailure::TooFarBehind { cutoff } => format!(
                "entry too far behind, entry timestamp is: {}, oldest acceptable timestamp is: {}",
                rfc3339(ts),
                rfc3339(cutoff)
            ),
            EntryFailure::OutOfOrder => "entry out of order".to_string(),
            EntryFailure::RateLimited { limit, bytes } => format!(
                "Per stream rate limit exceeded (limit: {}/sec) while attempting to ingest for stream '{stream}' totaling {}, consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased",
                byte_size(limit),
                byte_size(bytes)
            ),
        }
    }

    fn stream_body(&self, s: &SentStream, failures: &[(i64, EntryFailure)]) -> (u16, String) {
        let mut body = String::new();
        let shown = if self.max_returned > 0 {
            &failures[..failures.len().min(self.max_returned)]
        } else {
            failures
        };
        for (ts, failure) in shown {
            let reason = Self::failure_reason(&s.labels, *ts, *failure);
            body.push_str(&format!(
                "entry with timestamp {} ignored, reason: '{reason}',\n",
                time_string(*ts)
            ));
        }
        body.push_str(&format!(
            "user '{}', total ignored: {} out of {} for stream: {}\n",
            self.tenant,
            failures.len(),
            s.total.max(failures.len()),
            s.labels
        ));
        let status = match failures.last() {
            Some((_, EntryFailure::RateLimited { .. })) => 429,
            _ => 400,
        };
        (status, body)
    }

    /// Loki's answer: `None` for 204, else status and plain-text body (with
    /// the trailing newline of Go's `http.Error`).
    pub fn respond(&self) -> Option<(u16, String)> {
        let failed = self.streams.iter().rev().find(|s| s.failure.is_some());
        if let Some(s) = failed {
            return match &s.failure {
                Some(StreamFailure::StreamLimit) => Some((
                    429,
                    format!(
                        "Maximum active stream limit exceeded when trying to create stream {}, reduce the number of active streams (reduce labels or reduce label values), or contact your Loki administrator to see if the limit can be increased, user: '{}'\n",
                        s.labels, self.tenant
                    ),
                )),
                Some(StreamFailure::Entries(failures)) => Some(self.stream_body(s, failures)),
                None => None,
            };
        }
        if self.validation.is_empty() {
            return None;
        }
        Some((400, format!("{}\n", group_errors(&self.validation))))
    }
}

/// Loki's `GroupedErrors`: identical messages counted, first-seen order,
/// `N errors like: ` when a message repeats or several distinct ones exist.
fn group_errors(messages: &[String]) -> String {
    let mut order: Vec<(&str, usize)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for m in messages {
        match at.get(m.as_str()) {
            Some(&i) => order[i].1 += 1,
            None => {
                at.insert(m, order.len());
                order.push((m, 1));
            }
        }
    }
    let several = order.len() > 1;
    order
        .iter()
        .map(|(m, n)| {
            if several || *n > 1 {
                format!("{n} errors like: {m}")
            } else {
                m.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z
    const HOUR: i64 = 3_600_000_000_000;

    fn web() -> Labels {
        Labels::from_pairs([("app", "web")])
    }

    fn entry(ts: i64, line: &str) -> RawEntry<'_> {
        RawEntry::new(ts, line, Default::default())
    }

    fn violation(msg: &str) -> Violation {
        Violation {
            reason: DiscardReason::LineTooLong,
            message: msg.into(),
        }
    }

    #[test]
    fn nothing_refused_is_204() {
        let r = Rejections::new("fake", 10);
        assert_eq!(r.respond(), None);
        assert!(r.is_empty());
    }

    #[test]
    fn validation_errors_are_grouped() {
        let mut r = Rejections::new("fake", 10);
        r.add_violation(violation("a"), 1, 3);
        assert_eq!(r.respond(), Some((400, "a\n".into())));
        r.add_violation(violation("a"), 1, 3);
        assert_eq!(r.respond(), Some((400, "2 errors like: a\n".into())));
        r.add_violation(violation("b"), 1, 3);
        assert_eq!(
            r.respond(),
            Some((400, "2 errors like: a; 1 errors like: b\n".into()))
        );
        assert_eq!(r.discarded(), vec![(DiscardReason::LineTooLong, 3, 9)]);
    }

    #[test]
    fn too_far_behind_body_like_the_ingester() {
        let mut r = Rejections::new("fake", 10);
        r.add_violation(violation("ignored when the store refuses"), 1, 1);
        let i = r.register_stream(web().to_string(), 10);
        assert_eq!(i, 0);
        for k in 0..3 {
            r.too_far_behind(&web(), &entry(T0 + k, "x"), T0 + HOUR);
        }
        let want = "entry with timestamp 2024-01-01 00:00:00 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: 2024-01-01T00:00:00Z, oldest acceptable timestamp is: 2024-01-01T01:00:00Z',\n\
                    entry with timestamp 2024-01-01 00:00:00.000000001 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: 2024-01-01T00:00:00Z, oldest acceptable timestamp is: 2024-01-01T01:00:00Z',\n\
                    entry with timestamp 2024-01-01 00:00:00.000000002 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: 2024-01-01T00:00:00Z, oldest acceptable timestamp is: 2024-01-01T01:00:00Z',\n\
                    user 'fake', total ignored: 3 out of 10 for stream: {app=\"web\"}\n";
        assert_eq!(r.respond(), Some((400, want.to_string())));
    }

    #[test]
    fn stream_errors_are_capped_and_last_stream_decides() {
        let mut r = Rejections::new("t", 2);
        r.register_stream(web().to_string(), 5);
        let db = Labels::from_pairs([("app", "db")]);
        r.register_stream(db.to_string(), 1);
        for k in 0..5 {
            r.out_of_order(&web(), &entry(T0 + k, "x"));
        }
        let (status, body) = r.respond().unwrap();
        assert_eq!(status, 400);
        assert_eq!(body.lines().count(), 3);
        assert!(body.ends_with("user 't', total ignored: 5 out of 5 for stream: {app=\"web\"}\n"));
        r.stream_limit(&db, &[entry(T0, "y")]);
        assert_eq!(
            r.respond(),
            Some((429, "Maximum active stream limit exceeded when trying to create stream {app=\"db\"}, reduce the number of active streams (reduce labels or reduce label values), or contact your Loki administrator to see if the limit can be increased, user: 't'\n".into()))
        );
    }

    #[test]
    fn per_stream_rate_limit_is_429() {
        let mut r = Rejections::new("fake", 10);
        let i = r.register_stream(web().to_string(), 1);
        r.rate_limited_stream(i, &[entry(T0, &"x".repeat(830))], 3 << 20);
        assert_eq!(
            r.respond(),
            Some((429, "entry with timestamp 2024-01-01 00:00:00 +0000 UTC ignored, reason: 'Per stream rate limit exceeded (limit: 3MB/sec) while attempting to ingest for stream '{app=\"web\"}' totaling 830B, consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased',\nuser 'fake', total ignored: 1 out of 1 for stream: {app=\"web\"}\n".into()))
        );
        assert_eq!(
            r.discarded(),
            vec![(DiscardReason::PerStreamRateLimit, 1, 830)]
        );
    }
}

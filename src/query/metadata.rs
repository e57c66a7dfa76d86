//! Label names, label values, series, index stats and volumes: all answered
//! from the index and block headers, never by reading log lines.

use std::collections::{BTreeMap, BTreeSet};

use crate::logql::ast::Expr;
use crate::logql::{parse_expr, parse_matchers};
use crate::model::{Labels, Matcher};
use crate::query::{Engine, QueryError};
use crate::store::StreamRef;

/// Index totals of `/loki/api/v1/index/stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Streams matched.
    pub streams: u64,
    /// Chunks (blocks and heads) overlapping the range.
    pub chunks: u64,
    /// Uncompressed line bytes.
    pub bytes: u64,
    /// Entries.
    pub entries: u64,
}

/// How `/index/volume` groups streams (`aggregateBy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeAggregation {
    /// By label sets (the default).
    Series,
    /// By label name: one entry per name.
    Labels,
}

/// What `/index/volume` asks for.
#[derive(Clone, Debug)]
pub struct VolumeRequest {
    /// The selector (or a query whose selectors are used).
    pub query: String,
    /// Inclusive start, ns.
    pub start: i64,
    /// Exclusive end, ns.
    pub end: i64,
    /// `targetLabels`: group by these instead of the selector's names.
    pub target_labels: Vec<String>,
    /// `aggregateBy`.
    pub aggregate: VolumeAggregation,
    /// Most groups returned.
    pub limit: usize,
}

/// One volume: a label set (or `{name=""}` by label) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    /// The group's labels.
    pub labels: Labels,
    /// Bytes in the range.
    pub bytes: u64,
}

/// The matchers of a selector given to a metadata endpoint: a bare
/// selector, or the selector(s) of a whole LogQL query.
pub fn selector_matchers(query: &str) -> Result<Vec<Vec<Matcher>>, QueryError> {
    match parse_matchers(query) {
        Ok(m) => Ok(vec![m]),
        Err(first) => match parse_expr(query) {
            Ok(Expr::Log(l)) => Ok(vec![l.selector]),
            Ok(Expr::Metric(m)) => {
                let mut out = Vec::new();
                crate::logql::ast::for_each_log_expr(&m, &mut |l| out.push(l.selector.clone()));
                Ok(out)
            }
            Err(_) => Err(first.into()),
        },
    }
}

/// True for a `match[]` that selects every stream: `{}` (spaces ignored).
fn matches_all(selector: &str) -> bool {
    let s: String = selector.chars().filter(|c| !c.is_whitespace()).collect();
    s.is_empty() || s == "{}"
}

impl Engine {
    fn streams_for(
        &self,
        tenants: &[&str],
        selectors: &[Vec<Matcher>],
        start: i64,
        end: i64,
    ) -> Result<Vec<StreamRef>, QueryError> {
        let mut all = BTreeSet::new();
        for m in selectors {
            all.extend(self.store.streams(tenants, m, start, end)?);
        }
        Ok(all.into_iter().collect())
    }

    /// Label names of the streams in range (optionally matching `query`).
    pub fn labels(
        &self,
        tenants: &[&str],
        start: i64,
        end: i64,
        query: Option<&str>,
    ) -> Result<Vec<String>, QueryError> {
        match query {
            None => Ok(self.store.label_names(tenants, &[], start, end)?),
            Some(q) => {
                let mut names = BTreeSet::new();
                for m in selector_matchers(q)? {
                    names.extend(self.store.label_names(tenants, &m, start, end)?);
                }
                Ok(names.into_iter().collect())
            }
        }
    }

    /// Values of label `name` in range (optionally matching `query`).
    pub fn label_values(
        &self,
        tenants: &[&str],
        name: &str,
        start: i64,
        end: i64,
        query: Option<&str>,
    ) -> Result<Vec<String>, QueryError> {
        match query {
            None => Ok(self.store.label_values(tenants, name, &[], start, end)?),
            Some(q) => {
                let mut values = BTreeSet::new();
                for m in selector_matchers(q)? {
                    values.extend(self.store.label_values(tenants, name, &m, start, end)?);
                }
                Ok(values.into_iter().collect())
            }
        }
    }

    /// Label sets of the streams matching any of `selectors` (all streams
    /// for none, or for `{}`).
    pub fn series(
        &self,
        tenants: &[&str],
        selectors: &[&str],
        start: i64,
        end: i64,
    ) -> Result<Vec<Labels>, QueryError> {
        let mut matchers = Vec::new();
        if selectors.iter().all(|s| matches_all(s)) {
            matchers.push(Vec::new());
        } else {
            for s in selectors.iter().filter(|s| !matches_all(s)) {
                matchers.extend(selector_matchers(s)?);
            }
        }
        let streams = self.streams_for(tenants, &matchers, start, end)?;
        let set: BTreeSet<Labels> = streams.into_iter().map(|s| s.labels).collect();
        Ok(set.into_iter().collect())
    }

    /// Totals of the streams matching `query` in range, from block headers.
    pub fn index_stats(
        &self,
        tenants: &[&str],
        query: &str,
        start: i64,
        end: i64,
    ) -> Result<IndexStats, QueryError> {
        let streams = self.streams_for(tenants, &selector_matchers(query)?, start, end)?;
        let mut out = IndexStats::default();
        for s in &streams {
            let st = self.store.stream_stats(s, start, end)?;
            if st.entries > 0 {
                out.streams += 1;
            }
            out.chunks += st.chunks;
            out.bytes += st.bytes;
            out.entries += st.entries;
        }
        Ok(out)
    }

    /// Volumes of the streams matching `query` over `[start, end)`, grouped
    /// as Loki's index does: by `target_labels` when given, else by the
    /// label names the selector mentions (every label for `{}`-like
    /// selectors), or by label name; largest first, at most `limit`.
    pub fn volume(&self, tenants: &[&str], req: &VolumeRequest) -> Result<Vec<Volume>, QueryError> {
        let (start, end, target_labels) = (req.start, req.end, &req.target_labels);
        let selectors = selector_matchers(&req.query)?;
        let streams = self.streams_for(tenants, &selectors, start, end)?;
        let wanted: BTreeSet<String> = if target_labels.is_empty() {
            selectors.iter().flatten().map(|m| m.name.clone()).collect()
        } else {
            target_labels.iter().cloned().collect()
        };
        let include_all = wanted.is_empty();
        let mut groups: BTreeMap<Labels, u64> = BTreeMap::new();
        for s in &streams {
            let st = self.store.stream_stats(s, start, end)?;
            if st.entries == 0 {
                continue;
            }
            match req.aggregate {
                VolumeAggregation::Series => {
                    let mut l = s.labels.clone();
                    if !include_all {
                        l.retain(|x| wanted.contains(&x.name));
                    }
                    *groups.entry(l).or_insert(0) += st.bytes;
                }
                VolumeAggregation::Labels => {
                    for x in s.labels.iter() {
                        if target_labels.is_empty() || wanted.contains(&x.name) {
                            *groups
                                .entry(Labels::from_pairs([(x.name.as_str(), "")]))
                                .or_insert(0) += st.bytes;
                        }
                    }
                }
            }
        }
        let mut out: Vec<Volume> = groups
            .into_iter()
            .map(|(labels, bytes)| Volume { labels, bytes })
            .collect();
        out.sort_by(|a, b| {
            b.bytes
                .cmp(&a.bytes)
                .then_with(|| a.labels.to_string().cmp(&b.labels.to_string()))
        });
        out.truncate(req.limit);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_selectors_mean_every_stream() {
        assert!(matches_all("{}"));
        assert!(matches_all(" { } "));
        assert!(matches_all(""));
        assert!(!matches_all("{a=\"b\"}"));
    }

    #[test]
    fn metadata_selectors_accept_whole_queries() {
        let m = selector_matchers("{app=\"a\"}").unwrap();
        assert_eq!(m.len(), 1);
        let m =
            selector_matchers("sum(rate({app=\"a\"} |= \"x\" [5m])) / sum(rate({app=\"b\"}[5m]))")
                .unwrap();
        assert_eq!(m.len(), 2);
        assert!(selector_matchers("{app=").is_err());
    }
}

//! What a pushed stream's label text stands for, resolved once per distinct
//! text: the parsed labels with `service_name`, the renderings Loki shows
//! in messages, the label checks' verdict, the stream's level and the label
//! set the store keys the stream by. Clients send the same few hundred label
//! texts in every push, so a small cache saves the parsing and a few dozen
//! allocations per stream and push.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::config::IngestConfig;
use super::discovery::{discover_service_name, LevelDetector};
use super::error::PushError;
use super::labels::{parse_labels, render_labels};
use super::validate::{check_labels, Violation};
use crate::model::{Label, Labels};

/// Distinct label texts remembered, and their approximate bytes; the cache
/// starts over when either is reached, so its memory stays bounded
/// whatever the clients send.
const MAX_CACHED: usize = 4096;
/// See [`MAX_CACHED`].
const MAX_CACHED_BYTES: usize = 1 << 20;

/// A stream's labels as one label text resolves them.
#[derive(Debug)]
pub struct StreamLabels {
    /// The canonical rendering, shown in entry errors and refusals.
    pub canonical: String,
    /// The label set the store keys the stream by.
    pub labels: Labels,
    /// The verdict of the label checks.
    pub check: Result<(), Violation>,
    /// The `detected_level` the labels impose on every entry, if any
    /// (only when level discovery is on).
    pub level: Option<Cow<'static, str>>,
}

impl StreamLabels {
    /// Resolves one label text; a parse error refuses the whole push.
    fn resolve(
        cfg: &IngestConfig,
        levels: &LevelDetector,
        raw: &str,
    ) -> Result<StreamLabels, PushError> {
        let mut labels: Vec<Label> = parse_labels(raw)
            .map_err(|e| PushError::BadRequest(format!("couldn't parse labels: {e}")))?;
        let rendered = discover_service_name(&mut labels, &cfg.discover_service_name);
        let canonical = render_labels(&labels);
        // Label errors show the received text, or the rendering when
        // `service_name` was added.
        let text = if rendered { canonical.as_str() } else { raw };
        let check = check_labels(cfg, &labels, text);
        let detect = cfg.discover_log_levels && cfg.allow_structured_metadata;
        let level = if detect {
            levels.stream_level(&labels)
        } else {
            None
        };
        let labels = Labels::from_pairs(labels.into_iter().map(|l| (l.name, l.value)));
        Ok(StreamLabels {
            canonical,
            labels,
            check,
            level,
        })
    }
}

/// Resolved label texts, shared by all pushes.
#[derive(Debug, Default)]
pub struct LabelCache {
    inner: Mutex<Cached>,
}

#[derive(Debug, Default)]
struct Cached {
    map: HashMap<String, Arc<StreamLabels>, foldhash::fast::RandomState>,
    bytes: usize,
}

impl LabelCache {
    /// Resolves the label texts of one push, in order, with one lock.
    pub fn resolve<'a>(
        &self,
        cfg: &IngestConfig,
        levels: &LevelDetector,
        texts: impl Iterator<Item = &'a str>,
    ) -> Result<Vec<Arc<StreamLabels>>, PushError> {
        let mut cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = Vec::with_capacity(texts.size_hint().0);
        for text in texts {
            if let Some(found) = cached.map.get(text) {
                out.push(Arc::clone(found));
                continue;
            }
            let resolved = Arc::new(StreamLabels::resolve(cfg, levels, text)?);
            // The key, the canonical text, and the labels' names and values.
            let cost = text.len() + 3 * resolved.canonical.len() + 64;
            if cached.map.len() >= MAX_CACHED || cached.bytes + cost > MAX_CACHED_BYTES {
                cached.map.clear();
                cached.bytes = 0;
            }
            cached.bytes += cost;
            cached.map.insert(text.to_string(), Arc::clone(&resolved));
            out.push(resolved);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> IngestConfig {
        IngestConfig::default()
    }

    fn levels(cfg: &IngestConfig) -> LevelDetector {
        LevelDetector::new(&cfg.log_level_fields, cfg.log_level_from_json_max_depth)
    }

    #[test]
    fn resolves_like_the_uncached_path_and_reuses() {
        let cfg = cfg();
        let lv = levels(&cfg);
        let cache = LabelCache::default();
        let texts = [r#"{job="x", level="ERR"}"#, r#"{job="x", level="ERR"}"#];
        let got = cache.resolve(&cfg, &lv, texts.into_iter()).unwrap();
        assert!(Arc::ptr_eq(&got[0], &got[1]));
        let s = &got[0];
        assert_eq!(s.canonical, r#"{job="x", level="ERR", service_name="x"}"#);
        assert_eq!(s.labels.to_string(), s.canonical);
        assert_eq!(s.level.as_deref(), Some("error"));
        assert_eq!(s.check, Ok(()));
    }

    #[test]
    fn parse_errors_refuse_and_are_not_cached() {
        let cfg = cfg();
        let lv = levels(&cfg);
        let cache = LabelCache::default();
        for _ in 0..2 {
            let err = cache
                .resolve(&cfg, &lv, [r#"{a.b="c"}"#].into_iter())
                .unwrap_err();
            assert!(
                matches!(err, PushError::BadRequest(m) if m.starts_with("couldn't parse labels"))
            );
        }
        assert!(cache.inner.lock().unwrap().map.is_empty());
    }

    #[test]
    fn stays_bounded() {
        let cfg = cfg();
        let lv = levels(&cfg);
        let cache = LabelCache::default();
        let texts: Vec<String> = (0..MAX_CACHED + 10)
            .map(|i| format!(r#"{{app="a{i}"}}"#))
            .collect();
        cache
            .resolve(&cfg, &lv, texts.iter().map(String::as_str))
            .unwrap();
        assert!(cache.inner.lock().unwrap().map.len() <= MAX_CACHED);
        let long: Vec<String> = (0..100)
            .map(|i| format!(r#"{{app="{i}{}"}}"#, "v".repeat(2000)))
            .collect();
        cache
            .resolve(&cfg, &lv, long.iter().map(String::as_str))
            .unwrap();
        assert!(cache.inner.lock().unwrap().bytes <= MAX_CACHED_BYTES);
    }
}

//! Log pipeline stages (one file per stage kind) and the pipeline builder.
//!
//! A [`Pipeline`] is built once per query from the AST stages. Like Loki it
//! moves every line filter to the front of its segment; segments end at label
//! filters, `line_format` and `unpack` (logql.md §3.2). Per stream,
//! [`Pipeline::for_stream`] gives a [`StreamPipeline`] that owns the scratch
//! buffers and the per-entry label builder; [`StreamPipeline::process`] runs
//! one entry and hands out its final labels as an interned
//! `Arc<LabelsResult>`.
//!
//! [`SampleExtractor`] does the same for range aggregations: the pipeline,
//! then the sample value (1, the line length, or the unwrapped label).

mod decolorize;
mod drop;
mod field_plan;
mod json;
mod keep;
mod label_filter;
mod label_format;
mod label_regex;
mod labels;
mod line_filter;
mod line_format;
mod logfmt;
mod pattern;
mod regexp;
mod unpack;
mod unwrap;

use std::sync::Arc;

use crate::logql::ast::{self, Grouping, RangeAggregation, RangeOp, VectorOp};
use crate::model::Labels;

pub use field_plan::{FieldFacts, FieldPlan, Verdict};
pub use json::JSON_PARSER_ERR;
pub use label_filter::LABEL_FILTER_ERR;
pub use labels::{Category, Hints, LabelsResult, ERROR_DETAILS_LABEL, ERROR_LABEL};
pub use line_format::TEMPLATE_FORMAT_ERR;
pub use logfmt::LOGFMT_PARSER_ERR;
pub use unwrap::SAMPLE_EXTRACTION_ERR;

use decolorize::DecolorizeStage;
use drop::DropStage;
use json::{JsonPathsStage, JsonStage};
use keep::KeepStage;
use label_filter::LabelFilterStage;
use label_format::LabelFormatStage;
use labels::{LabelsBuilder, ResultCache};
use line_filter::LineFilterStage;
use line_format::LineFormatStage;
use logfmt::LogfmtStage;
use pattern::PatternStage;
use regexp::RegexpStage;
use unpack::UnpackStage;
use unwrap::UnwrapStage;

/// A query's pipeline: compiled stages in execution order. Send + Sync;
/// per-stream state lives in [`StreamPipeline`].
#[derive(Clone, Debug)]
pub struct Pipeline {
    stages: Arc<[ast::Stage]>,
    decolorize: Option<DecolorizeStage>,
    now: Option<i64>,
    hints: Option<Arc<Hints>>,
}

/// Loki's stage order: line filters move to the front of their segment;
/// label filters, `line_format` and `unpack` end a segment.
fn hoist(stages: &[ast::Stage]) -> Vec<ast::Stage> {
    let mut out = Vec::with_capacity(stages.len());
    let mut filters: Vec<ast::Stage> = Vec::new();
    let mut rest: Vec<ast::Stage> = Vec::new();
    let flush =
        |out: &mut Vec<ast::Stage>, filters: &mut Vec<ast::Stage>, rest: &mut Vec<ast::Stage>| {
            out.append(filters);
            out.append(rest);
        };
    for s in stages {
        match s {
            ast::Stage::LineFilter(_) => filters.push(s.clone()),
            ast::Stage::LabelFilter(_) => {
                flush(&mut out, &mut filters, &mut rest);
                out.push(s.clone());
            }
            ast::Stage::LineFormat(_) | ast::Stage::Unpack => {
                rest.push(s.clone());
                flush(&mut out, &mut filters, &mut rest);
            }
            _ => rest.push(s.clone()),
        }
    }
    flush(&mut out, &mut filters, &mut rest);
    out
}

impl Pipeline {
    /// Builds the pipeline of these stages (written order; hoisting applied).
    pub fn new(stages: &[ast::Stage]) -> Pipeline {
        let ordered = hoist(stages);
        let decolorize = ordered
            .iter()
            .any(|s| matches!(s, ast::Stage::Decolorize))
            .then(DecolorizeStage::new);
        Pipeline {
            stages: ordered.into(),
            decolorize,
            now: None,
            hints: None,
        }
    }

    /// Restricts what parsers extract (metric queries; see [`Hints`]).
    pub fn with_hints(mut self, hints: Option<Hints>) -> Pipeline {
        self.hints = hints.map(Arc::new);
        self
    }

    /// Fixes "now" (ns) for templates (`now`, `date` of non-time values);
    /// by default the wall clock at render time.
    pub fn with_now(mut self, now_ns: i64) -> Pipeline {
        self.now = Some(now_ns);
        self
    }

    /// Texts every stored line must contain to pass: the operands of plain
    /// `|= "text"` filters that see the line as stored (before any
    /// `line_format` or `decolorize`). Lets a reader skip data holding none.
    pub fn required_substrings(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for stage in self.stages.iter() {
            match stage {
                ast::Stage::LineFormat(_) | ast::Stage::Decolorize => break,
                ast::Stage::LineFilter(f) if f.op == ast::LineFilterOp::Contains => {
                    if let [ast::LineFilterOperand::Text(t)] = f.operands.as_slice() {
                        if !t.is_empty() {
                            out.push(t.as_str());
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// True when there are no stages: callers can skip per-entry work.
    pub fn is_noop(&self) -> bool {
        self.stages.is_empty()
    }

    /// The state for running entries of one stream.
    pub fn for_stream(&self, stream_labels: &Labels) -> StreamPipeline {
        let stream = Arc::new(stream_labels.clone());
        let base = Arc::new(LabelsResult::from_stream(stream_labels));
        let stages = self
            .stages
            .iter()
            .map(|s| match s {
                ast::Stage::LineFilter(f) => Stage::LineFilter(LineFilterStage::new(f)),
                ast::Stage::Json(j) if j.extractions.is_empty() => Stage::Json(JsonStage::new()),
                ast::Stage::Json(j) => Stage::JsonPaths(JsonPathsStage::new(&j.extractions)),
                ast::Stage::Logfmt(l) => Stage::Logfmt(LogfmtStage::new(l)),
                ast::Stage::Regexp(r) => Stage::Regexp(RegexpStage::new(r)),
                ast::Stage::Pattern(p) => Stage::Pattern(PatternStage::new(&p.pattern)),
                ast::Stage::Unpack => Stage::Unpack(UnpackStage::new()),
                ast::Stage::LabelFilter(e) => Stage::LabelFilter(LabelFilterStage::new(e)),
                ast::Stage::LineFormat(t) => Stage::LineFormat(LineFormatStage::new(t)),
                ast::Stage::LabelFormat(ops) => Stage::LabelFormat(LabelFormatStage::new(ops)),
                ast::Stage::Decolorize => {
                    Stage::Decolorize(self.decolorize.clone().unwrap_or_default())
                }
                ast::Stage::Drop(l) => Stage::Drop(DropStage::new(l)),
                ast::Stage::Keep(l) => Stage::Keep(KeepStage::new(l)),
            })
            .collect();
        let mut builder = LabelsBuilder::new(stream);
        builder.set_hints(self.hints.clone());
        StreamPipeline {
            stages,
            builder,
            cache: ResultCache::new(base),
            line: String::new(),
            spare: String::new(),
            owned: false,
            now: self.now,
        }
    }
}

/// Runtime form of one stage (with its scratch buffers).
enum Stage {
    LineFilter(LineFilterStage),
    Json(JsonStage),
    JsonPaths(JsonPathsStage),
    Logfmt(LogfmtStage),
    Regexp(RegexpStage),
    Pattern(PatternStage),
    Unpack(UnpackStage),
    LabelFilter(LabelFilterStage),
    LineFormat(LineFormatStage),
    LabelFormat(LabelFormatStage),
    Decolorize(DecolorizeStage),
    Drop(DropStage),
    Keep(KeepStage),
}

fn wall_clock_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Per-stream pipeline state: the label builder, reused line buffers and the
/// interned label sets of this stream.
pub struct StreamPipeline {
    stages: Vec<Stage>,
    builder: LabelsBuilder,
    cache: ResultCache,
    /// The current line when a stage rewrote it.
    line: String,
    spare: String,
    owned: bool,
    now: Option<i64>,
}

impl StreamPipeline {
    /// Runs the stages; false when the entry is filtered out. Afterwards the
    /// builder holds the entry's labels and `self.line` the rewritten line
    /// (when `self.owned`).
    fn run(&mut self, ts: i64, input: &str, structured_metadata: &[(&str, &str)]) -> bool {
        let StreamPipeline {
            stages,
            builder,
            line,
            spare,
            owned,
            now,
            ..
        } = self;
        builder.reset(structured_metadata);
        labels::trim_buffer(line);
        labels::trim_buffer(spare);
        *owned = false;
        let mut now_ns = *now;
        for stage in stages.iter_mut() {
            let current: &str = if *owned { line.as_str() } else { input };
            let rewritten = match stage {
                Stage::LineFilter(f) => {
                    if !f.matches(current) {
                        return false;
                    }
                    false
                }
                Stage::Json(j) => {
                    j.process(current, builder);
                    false
                }
                Stage::JsonPaths(j) => {
                    j.process(current, builder);
                    false
                }
                Stage::Logfmt(l) => {
                    l.process(current, builder);
                    false
                }
                Stage::Regexp(r) => {
                    r.process(current, builder);
                    false
                }
                Stage::Pattern(p) => {
                    p.process(current, builder);
                    false
                }
                Stage::Unpack(u) => u.process(current, builder, spare),
                Stage::LabelFilter(f) => {
                    if !f.process(builder) {
                        return false;
                    }
                    false
                }
                Stage::LineFormat(f) => {
                    let n = *now_ns.get_or_insert_with(wall_clock_ns);
                    f.process(ts, n, current, builder, spare)
                }
                Stage::LabelFormat(f) => {
                    let n = *now_ns.get_or_insert_with(wall_clock_ns);
                    f.process(ts, n, current, builder);
                    false
                }
                Stage::Decolorize(d) => d.process(current, spare),
                Stage::Drop(d) => {
                    d.process(builder);
                    false
                }
                Stage::Keep(k) => {
                    k.process(builder);
                    false
                }
            };
            if rewritten {
                std::mem::swap(line, spare);
                *owned = true;
            }
        }
        true
    }

    /// Runs one entry. None: filtered out. Otherwise the final line and the
    /// final labels; entries with the same labels share one `Arc`.
    pub fn process<'a>(
        &'a mut self,
        ts: i64,
        line: &'a str,
        structured_metadata: &[(&str, &str)],
    ) -> Option<(&'a str, Arc<LabelsResult>)> {
        if !self.run(ts, line, structured_metadata) {
            return None;
        }
        let labels = self.builder.result(&mut self.cache);
        let out = if self.owned { self.line.as_str() } else { line };
        Some((out, labels))
    }

    /// The labels of an entry that no stage changed.
    pub fn base_labels(&self) -> &Arc<LabelsResult> {
        self.cache.base()
    }
}

/// What a range aggregation takes from each entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SampleKind {
    /// 1 per entry (`count_over_time`, `rate`, `absent_over_time`).
    Count,
    /// The line length after the pipeline (`bytes_over_time`, `bytes_rate`).
    Bytes,
    /// The unwrapped label.
    Unwrap,
}

/// Turns entries into samples for a range aggregation: the pipeline, then
/// 1 / line bytes / the unwrapped value, with the series labels Loki gives
/// the sample (see [`SampleExtractor::with_grouping`]).
#[derive(Clone, Debug)]
pub struct SampleExtractor {
    pipeline: Pipeline,
    kind: SampleKind,
    unwrap: Option<UnwrapStage>,
    /// Labels reduced to this grouping (after Loki's unwrap adjustment).
    grouping: Option<Grouping>,
    /// Samples carry no labels at all (`by ()`, `absent_over_time`).
    no_labels: bool,
}

/// Appends `name`, and `name` without `_extracted` when it has the suffix
/// (a parser extracts the bare key before renaming it).
fn push_hint(out: &mut Vec<String>, name: &str) {
    if !out.iter().any(|h| h == name) {
        out.push(name.to_string());
    }
    if let Some(bare) = name.strip_suffix(labels::EXTRACTED_SUFFIX) {
        if !out.iter().any(|h| h == bare) {
            out.push(bare.to_string());
        }
    }
}

/// The labels the stages read (Loki's `RequiredLabelNames`); None when a
/// template is involved (its fields are not known here).
fn required_labels(stages: &[ast::Stage]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for s in stages {
        match s {
            ast::Stage::LabelFilter(e) => LabelFilterStage::new(e).label_names(&mut names),
            ast::Stage::LineFormat(_) => return None,
            ast::Stage::LabelFormat(ops) => {
                for op in ops {
                    match op {
                        ast::LabelFormatOp::Rename { src, .. } => names.push(src.clone()),
                        ast::LabelFormatOp::Template { .. } => return None,
                    }
                }
            }
            _ => {}
        }
    }
    Some(names)
}

impl SampleExtractor {
    /// The extractor of a range aggregation standing alone; its own `by` /
    /// `without` (only allowed with unwrap) shapes the labels.
    pub fn new(agg: &RangeAggregation) -> SampleExtractor {
        SampleExtractor::with_grouping(agg, agg.grouping.clone())
    }

    /// The extractor of `agg` as the direct argument of a vector
    /// aggregation: like Loki, a `sum` over `count_over_time`, `rate`,
    /// `bytes_over_time`, `bytes_rate` or `sum_over_time` without its own
    /// grouping takes the `sum`'s grouping (`sum(...)` means "no labels").
    pub fn for_vector_aggregation(
        agg: &RangeAggregation,
        op: VectorOp,
        grouping: Option<&Grouping>,
    ) -> SampleExtractor {
        let pushable = matches!(
            agg.op,
            RangeOp::BytesOverTime
                | RangeOp::BytesRate
                | RangeOp::SumOverTime
                | RangeOp::Rate
                | RangeOp::CountOverTime
        );
        if op == VectorOp::Sum && pushable && agg.grouping.is_none() {
            let g = grouping.cloned().unwrap_or(Grouping {
                without: false,
                labels: Vec::new(),
            });
            return SampleExtractor::with_grouping(agg, Some(g));
        }
        SampleExtractor::new(agg)
    }

    /// Like [`Self::new`] with the labels reduced to `grouping`, which the
    /// caller applies anyway. As in Loki's extractors:
    /// * `by (a, b)` keeps only those labels, `without (a)` removes them,
    ///   `by ()` keeps none;
    /// * the unwrapped label is removed unless a `by` keeps it;
    /// * an entry with `__error__` keeps every label (so the error can be
    ///   reported with its series);
    /// * parsers extract only the labels the query reads when the grouping
    ///   is a `by` (Loki's parser hints), which also decides whether a
    ///   malformed line is noticed.
    pub fn with_grouping(agg: &RangeAggregation, grouping: Option<Grouping>) -> SampleExtractor {
        let kind = match agg.op {
            RangeOp::CountOverTime | RangeOp::Rate | RangeOp::AbsentOverTime => SampleKind::Count,
            RangeOp::BytesOverTime | RangeOp::BytesRate => SampleKind::Bytes,
            _ if agg.range.unwrap.is_some() => SampleKind::Unwrap,
            _ => SampleKind::Count,
        };
        let unwrap = match kind {
            SampleKind::Unwrap => agg.range.unwrap.as_ref().map(UnwrapStage::new),
            _ => None,
        };
        let no_labels = grouping.as_ref().is_some_and(labels::is_singleton)
            || agg.op == RangeOp::AbsentOverTime;
        let (mut without, mut groups) = match grouping {
            Some(g) => (g.without, g.labels),
            None => (false, Vec::new()),
        };
        if let Some(u) = &unwrap {
            if groups.is_empty() || without {
                without = true;
                groups.push(u.label().to_string());
            }
        }
        let stages = &agg.range.log.stages;
        let hints = required_labels(stages).and_then(|mut names| {
            if let Some(u) = &unwrap {
                u.label_names(&mut names);
            }
            let mut required = Vec::new();
            for n in names.iter().chain(groups.iter()) {
                push_hint(&mut required, n);
            }
            if no_labels {
                return Some(Hints {
                    no_labels: required.is_empty(),
                    required,
                });
            }
            (!without && !groups.is_empty()).then_some(Hints {
                required,
                no_labels: false,
            })
        });
        let grouping = (!groups.is_empty()).then_some(Grouping {
            without,
            labels: groups,
        });
        SampleExtractor {
            pipeline: Pipeline::new(stages).with_hints(hints),
            kind,
            unwrap,
            grouping,
            no_labels,
        }
    }

    /// For a range whose stages never read the line (none, or only label
    /// filters, `drop` and `keep`, as Grafana's `| drop __error__`) and
    /// whose sample is 1 per entry or the line length, the value an entry
    /// gives from its line length alone (whether it gives one, and its
    /// labels, then depend only on the stream labels and structured
    /// metadata); `None` otherwise.
    pub fn line_free_value(&self) -> Option<fn(usize) -> f64> {
        let reads_line = |s: &ast::Stage| {
            !matches!(
                s,
                ast::Stage::LabelFilter(_) | ast::Stage::Drop(_) | ast::Stage::Keep(_)
            )
        };
        if self.pipeline.stages.iter().any(reads_line) || self.pipeline.decolorize.is_some() {
            return None;
        }
        match self.kind {
            SampleKind::Count => Some(|_| 1.0),
            SampleKind::Bytes => Some(|len| len as f64),
            SampleKind::Unwrap => None,
        }
    }

    /// For line-free samples (see [`SampleExtractor::line_free_value`]):
    /// the structured metadata names that can change whether an entry gives
    /// a sample and with which labels, when they are known (a `by`
    /// grouping, or no labels, plus the names the stages read); `None`
    /// when every name may matter.
    pub fn metadata_names_that_matter(&self) -> Option<Vec<String>> {
        let mut names = match &self.grouping {
            _ if self.no_labels => Vec::new(),
            Some(g) if !g.without => g.labels.clone(),
            _ => return None,
        };
        for stage in self.pipeline.stages.iter() {
            match stage {
                ast::Stage::LabelFilter(e) => LabelFilterStage::new(e).label_names(&mut names),
                ast::Stage::Drop(list) | ast::Stage::Keep(list) => {
                    names.extend(list.iter().map(|l| match l {
                        ast::NamedLabel::Name(n) => n.clone(),
                        ast::NamedLabel::Matcher(m) => m.name.clone(),
                    }));
                }
                _ => return None,
            }
        }
        Some(names)
    }

    /// Whether the range has pipeline stages (every entry of a stream then
    /// gives a sample only when it has none).
    pub fn has_stages(&self) -> bool {
        !self.pipeline.stages.is_empty() || self.pipeline.decolorize.is_some()
    }

    /// Whether the series labels stay the same whatever values the
    /// structured metadata names `names` carry (grouping `by` other labels,
    /// or no labels at all).
    pub fn labels_ignore_metadata(&self, names: &[&str]) -> bool {
        if self.no_labels || names.is_empty() {
            return true;
        }
        match &self.grouping {
            Some(g) if !g.without => names.iter().all(|n| !g.labels.iter().any(|l| l == n)),
            _ => false,
        }
    }

    /// Texts every line must contain to give a sample (see
    /// [`Pipeline::required_substrings`]).
    pub fn required_substrings(&self) -> Vec<&str> {
        self.pipeline.required_substrings()
    }

    /// Fixes "now" for templates (see [`Pipeline::with_now`]).
    pub fn with_now(mut self, now_ns: i64) -> SampleExtractor {
        self.pipeline = self.pipeline.with_now(now_ns);
        self
    }

    /// The state for extracting samples of one stream.
    pub fn for_stream(&self, labels: &Labels) -> StreamSampleExtractor {
        StreamSampleExtractor {
            pipeline: self.pipeline.for_stream(labels),
            kind: self.kind,
            unwrap: self.unwrap.clone(),
            grouping: self.grouping.clone(),
            no_labels: self.no_labels,
        }
    }
}

/// Per-stream sample extraction state.
pub struct StreamSampleExtractor {
    pipeline: StreamPipeline,
    kind: SampleKind,
    unwrap: Option<UnwrapStage>,
    grouping: Option<Grouping>,
    no_labels: bool,
}

impl StreamSampleExtractor {
    /// The sample of one entry and its series labels; None when the entry is
    /// filtered out or gives no sample. Labels carrying `__error__` mean the
    /// query must fail (the caller reports it).
    pub fn process(
        &mut self,
        ts: i64,
        line: &str,
        structured_metadata: &[(&str, &str)],
    ) -> Option<(f64, Arc<LabelsResult>)> {
        if !self.pipeline.run(ts, line, structured_metadata) {
            return None;
        }
        let p = &mut self.pipeline;
        let value = match self.kind {
            SampleKind::Count => 1.0,
            SampleKind::Bytes => {
                if p.owned {
                    p.line.len() as f64
                } else {
                    line.len() as f64
                }
            }
            SampleKind::Unwrap => self.unwrap.as_ref()?.extract(&mut p.builder)?,
        };
        let labels = if p.builder.has_error() {
            p.builder.result(&mut p.cache)
        } else if self.no_labels {
            p.cache.empty().clone()
        } else {
            match &self.grouping {
                Some(g) => p.builder.grouped_result(g, &mut p.cache),
                None => p.builder.result(&mut p.cache),
            }
        };
        Some((value, labels))
    }
}

#[cfg(test)]
mod tests;

//! The contract between the evaluator and whoever reads samples (the store
//! plus the pipeline, or [`super::MemorySource`] in tests).
//!
//! # How samples flow
//!
//! For each range aggregation (and each time slice of it, see below) the
//! evaluator calls [`SampleSource::samples`] once and pulls
//! [`SampleItem`]s until `None`. The source reads **one stored stream after
//! the other**: it declares every label set the stream's entries produce
//! (after the pipeline) with [`SampleItem::Series`], sends their samples,
//! and closes the stream with [`SampleItem::StreamEnd`].
//!
//! * Series ids are chosen by the source and are scoped to one stored stream:
//!   after `StreamEnd` they may be reused. Small dense numbers (0, 1, 2, …)
//!   make the evaluator's lookups cheapest. Two ids of one stream must not
//!   carry the same labels. Different streams may declare equal label sets:
//!   the evaluator merges them (unless the source promised otherwise with
//!   [`SampleSource::exclusive_label_sets`]).
//! * Inside one stored stream, items come in non-decreasing time order,
//!   across all its label sets (the order of the stream's entries). A
//!   `Block` counts as spanning `[ts_min, ts_max]`: the items before it are
//!   at or before `ts_min`, the items after it at or after `ts_max`.
//! * Samples outside `(request.windows.from(), request.windows.through()]`
//!   or between windows are ignored; a source may skip data that
//!   [`WindowGrid::overlaps`] says no window needs.
//! * A label set that carries `__error__` makes the query fail (Loki's
//!   pipeline error) as soon as one of its samples falls in a window.
//!   Declare it with its full labels.
//!
//! # Pre-aggregated blocks
//!
//! When [`SampleRequest::accepts_blocks`] is true (the function only counts
//! lines or sums their bytes: `count_over_time`, `rate` without unwrap,
//! `bytes_over_time`, `bytes_rate`) and the source has no pipeline to run,
//! it may describe a run of consecutive entries of one label set by their
//! time bounds, count and total line bytes ([`SampleItem::Block`]) instead of
//! decompressing them. The evaluator takes the block whole when
//! `[ts_min, ts_max]` lies in a single elementary bucket of the window grid
//! (in particular inside one window, or wholly between windows); otherwise
//! it calls [`SeriesSamples::expand_block`], and the source must then
//! deliver that block's entries as ordinary samples before anything else.
//!
//! # Time slices
//!
//! For `quantile_over_time` and `rate_counter` whose label sets may be
//! shared between streams, the evaluator bounds its memory by asking for
//! consecutive step ranges one after the other: `samples` is then called
//! several times with adjacent windows grids (overlapping by one range).

use std::sync::Arc;

use super::error::EvalError;
use super::steps::WindowGrid;
use crate::logql::ast::RangeAggregation;
use crate::model::{Labels, Timestamp};

/// What the evaluator asks a [`SampleSource`] for.
#[derive(Clone, Copy, Debug)]
pub struct SampleRequest<'a> {
    /// The range aggregation: selector, pipeline, unwrap, range, offset.
    pub range: &'a RangeAggregation,
    /// Exclusive lower time bound, ns (`first step - range - offset`).
    pub from: Timestamp,
    /// Inclusive upper time bound, ns (`last step - offset`).
    pub through: Timestamp,
    /// The windows the samples feed; lets the source skip unneeded data.
    pub windows: &'a WindowGrid,
    /// Whether [`SampleItem::Block`] items are welcome.
    pub accepts_blocks: bool,
}

/// One item of a [`SeriesSamples`] answer.
#[derive(Clone, Debug, PartialEq)]
pub enum SampleItem {
    /// Declares label set `id` of the current stored stream. Comes before
    /// the first sample of `id`.
    Series {
        /// Source-chosen id, scoped to the current stored stream.
        id: u32,
        /// The sample's labels after the pipeline (and without the unwrapped
        /// label).
        labels: Arc<Labels>,
    },
    /// One sample: `1` per line for `count_over_time`, `rate`,
    /// `absent_over_time`; the line's byte length for `bytes_*`; the
    /// converted label for unwrapped functions.
    Sample {
        /// Declared series id.
        id: u32,
        /// Entry timestamp, ns.
        ts: Timestamp,
        /// Sample value.
        value: f64,
    },
    /// `count` consecutive entries of series `id` within `[ts_min, ts_max]`
    /// whose lines total `bytes` bytes (see the module docs).
    Block {
        /// Declared series id.
        id: u32,
        /// Timestamp of the block's first entry, ns.
        ts_min: Timestamp,
        /// Timestamp of the block's last entry, ns.
        ts_max: Timestamp,
        /// Number of entries.
        count: u64,
        /// Sum of the entries' line lengths in bytes.
        bytes: u64,
    },
    /// The current stored stream is done; its series ids are released.
    StreamEnd,
}

/// A pull iterator over the samples of one request.
pub trait SeriesSamples {
    /// The next item, or `None` when every stream has been read.
    fn next_item(&mut self) -> Result<Option<SampleItem>, EvalError>;

    /// Called right after `next_item` returned a [`SampleItem::Block`] the
    /// evaluator cannot take whole: the following items must be that block's
    /// entries as [`SampleItem::Sample`]s.
    fn expand_block(&mut self) -> Result<(), EvalError>;
}

/// Reads the samples of range aggregations.
pub trait SampleSource {
    /// Samples for one range aggregation over `(request.from, request.through]`.
    fn samples<'a>(
        &'a self,
        request: &SampleRequest<'a>,
    ) -> Result<Box<dyn SeriesSamples + 'a>, EvalError>;

    /// Whether no two stored streams can yield the same label set for this
    /// range aggregation: true when the pipeline keeps every stream label as
    /// it is (no `drop`, `keep`, `label_format`, no `unwrap` of a stream
    /// label) and each stored stream is read once. It lets the evaluator
    /// finish a label set as soon as its stream moves past its windows, so
    /// memory follows the window length instead of the query length.
    /// `false` is always correct.
    fn exclusive_label_sets(&self, _range: &RangeAggregation) -> bool {
        false
    }
}

//! Opening a stream for a query whose pipeline a JSON field summary can
//! decide (see [`FieldPlan`]): the summary is read at the same moment as
//! the entries, so it covers every line the iterator returns.

use crate::logql::pipeline::{FieldFacts, FieldPlan, Verdict};
use crate::model::Direction;
use crate::store::{EntryIter, Store, StoreError, StreamRef};

/// A stream's entries and what its field summary decides.
pub struct Opened {
    /// The entries in range.
    pub iter: EntryIter,
    /// The decision ([`Verdict::Read`] without a plan or a summary).
    pub verdict: Verdict,
    /// The structured metadata names of the entries, when they were read
    /// to decide.
    pub metadata_names: Option<Vec<String>>,
}

/// Opens `stream` over `[start, end)` and decides it by `plan`.
pub fn open(
    store: &Store,
    stream: &StreamRef,
    start: i64,
    end: i64,
    dir: Direction,
    plan: Option<&FieldPlan>,
) -> Result<Opened, StoreError> {
    let (mut iter, summary) = match plan {
        Some(_) => store.entries_with_fields(stream, start, end, dir),
        None => (store.entries(stream, start, end, dir), None),
    };
    let (Some(plan), Some(summary)) = (plan, summary) else {
        return Ok(Opened {
            iter,
            verdict: Verdict::Read,
            metadata_names: None,
        });
    };
    let names = iter.metadata_names()?;
    let facts: Vec<(&str, FieldFacts)> = summary
        .fields()
        .map(|(key, f)| {
            let facts = FieldFacts {
                lines: f.lines,
                numbers: f.numbers(),
                other: f.other,
            };
            (key, facts)
        })
        .collect();
    let verdict = plan.verdict(&stream.labels, &names, summary.lines(), &facts);
    Ok(Opened {
        iter,
        verdict,
        metadata_names: Some(names),
    })
}

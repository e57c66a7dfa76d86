//! Entries held column-wise in a few owned buffers, never one allocation
//! per entry: [`EntryBatch`] holds readable lines (what readers get from
//! [`super::EntryIter`]); [`EncodedBatch`] holds lines already split by the
//! line codec (what heads keep and blocks are encoded from), so each line
//! is split once on its way into both the WAL and a chunk.

use super::error::CodecError;
use super::linecodec::{self, LineEncoder};
use super::segments::Segments;
use crate::grow;
use crate::model::Label;

/// One structured-metadata pair: an index into the name table and the end
/// offset of its value in the value buffer (a value starts where the
/// previous pair's value ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MetaPair {
    name: u32,
    value_end: u32,
}

/// Structured metadata of a sequence of entries, column-wise.
#[derive(Debug, Clone, Default)]
pub(crate) struct MetaColumn {
    pair_ends: Vec<u32>,
    pairs: Vec<MetaPair>,
    name_ends: Vec<u32>,
    names: String,
    values: String,
}

impl MetaColumn {
    fn clear(&mut self) {
        self.pair_ends.clear();
        self.pairs.clear();
        self.name_ends.clear();
        self.names.clear();
        self.values.clear();
    }

    fn memory_bytes(&self) -> usize {
        self.pair_ends.capacity() * 4
            + self.pairs.capacity() * 8
            + self.name_ends.capacity() * 4
            + self.names.capacity()
            + self.values.capacity()
    }

    fn pair_span(&self, r: usize) -> (usize, usize) {
        let start = if r == 0 {
            0
        } else {
            self.pair_ends.get(r - 1).map_or(0, |&e| e as usize)
        };
        let end = self.pair_ends.get(r).map_or(start, |&e| e as usize);
        (start, end.max(start))
    }

    /// The name at index `n` of the name table ("" past its end).
    pub(crate) fn name(&self, n: u32) -> &str {
        let n = n as usize;
        let start = if n == 0 {
            0
        } else {
            self.name_ends.get(n - 1).map_or(0, |&e| e as usize)
        };
        let end = self.name_ends.get(n).map_or(start, |&e| e as usize);
        self.names.get(start..end).unwrap_or("")
    }

    fn value(&self, p: usize) -> &str {
        let start = if p == 0 {
            0
        } else {
            self.pairs.get(p - 1).map_or(0, |x| x.value_end as usize)
        };
        let end = self.pairs.get(p).map_or(start, |x| x.value_end as usize);
        self.values.get(start..end).unwrap_or("")
    }

    /// Pairs of entry `r`.
    pub(crate) fn get(&self, r: usize) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.get_indexed(r).map(|(n, v)| (self.name(n), v))
    }

    /// Pairs of entry `r` as (index in this column's name table, value).
    pub(crate) fn get_indexed(&self, r: usize) -> impl Iterator<Item = (u32, &str)> + '_ {
        let (s, e) = self.pair_span(r);
        (s..e).map(move |p| {
            (
                self.pairs.get(p).map_or(u32::MAX, |x| x.name),
                self.value(p),
            )
        })
    }

    /// Number of pairs of entry `r`.
    pub(crate) fn count(&self, r: usize) -> usize {
        let (s, e) = self.pair_span(r);
        e - s
    }

    /// True when any entry has a pair.
    pub(crate) fn any(&self) -> bool {
        !self.pairs.is_empty()
    }

    fn name_index(&mut self, name: &str) -> u32 {
        // Entries mostly repeat the previous entry's names in order.
        if let Some(&MetaPair { name: last, .. }) = self.pairs.last() {
            if self.name(last) == name {
                return last;
            }
            let next = last + 1;
            if (next as usize) < self.name_ends.len() && self.name(next) == name {
                return next;
            }
        }
        let mut start = 0usize;
        for (i, &end) in self.name_ends.iter().enumerate() {
            if self.names.get(start..end as usize) == Some(name) {
                return i as u32;
            }
            start = end as usize;
        }
        self.names.push_str(name);
        self.name_ends.push(self.names.len() as u32);
        (self.name_ends.len() - 1) as u32
    }

    /// Appends one entry's pairs.
    fn push<'a>(&mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (n, v) in pairs {
            let name = self.name_index(n);
            self.values.push_str(v);
            self.pairs.push(MetaPair {
                name,
                value_end: self.values.len() as u32,
            });
        }
        self.pair_ends.push(self.pairs.len() as u32);
    }

    /// Appends the pairs of entry `r` of `src`.
    fn push_from(&mut self, src: &MetaColumn, r: usize) {
        let (s, e) = src.pair_span(r);
        for p in s..e {
            let name = src.pairs.get(p).map_or(u32::MAX, |x| x.name);
            let idx = self.name_index(src.name(name));
            self.values.push_str(src.value(p));
            self.pairs.push(MetaPair {
                name: idx,
                value_end: self.values.len() as u32,
            });
        }
        self.pair_ends.push(self.pairs.len() as u32);
    }

    /// Appends the pairs of entries `start..end` of `src` with one copy of
    /// their values.
    fn extend_from(&mut self, src: &MetaColumn, start: usize, end: usize) {
        if start >= end {
            return;
        }
        let (p0, _) = src.pair_span(start);
        let (_, p1) = src.pair_span(end - 1);
        let remap: Vec<u32> = (0..src.name_ends.len() as u32)
            .map(|n| self.name_index(src.name(n)))
            .collect();
        let v0 = if p0 == 0 {
            0
        } else {
            src.pairs.get(p0 - 1).map_or(0, |x| x.value_end as usize)
        };
        let v1 = src
            .pairs
            .get(p1.wrapping_sub(1))
            .filter(|_| p1 > p0)
            .map_or(v0, |x| x.value_end as usize);
        let value_base = self.values.len() as i64 - v0 as i64;
        let values = src.values.get(v0..v1).unwrap_or("");
        grow::reserve_text(&mut self.values, values.len());
        self.values.push_str(values);
        let pair_base = self.pairs.len() as i64 - p0 as i64;
        grow::reserve(&mut self.pairs, p1.saturating_sub(p0));
        grow::reserve(&mut self.pair_ends, end - start);
        for p in src.pairs.get(p0..p1).unwrap_or(&[]) {
            self.pairs.push(MetaPair {
                name: remap.get(p.name as usize).copied().unwrap_or(u32::MAX),
                value_end: (i64::from(p.value_end) + value_base) as u32,
            });
        }
        self.pair_ends.extend(
            src.pair_ends
                .get(start..end)
                .unwrap_or(&[])
                .iter()
                .map(|&e| (i64::from(e) + pair_base) as u32),
        );
    }

    /// Drops entries from `n` on.
    fn truncate(&mut self, n: usize) {
        if n >= self.pair_ends.len() {
            return;
        }
        let pairs = match n.checked_sub(1) {
            Some(i) => self.pair_ends.get(i).map_or(0, |&e| e as usize),
            None => 0,
        };
        let values = match pairs.checked_sub(1) {
            Some(i) => self.pairs.get(i).map_or(0, |x| x.value_end as usize),
            None => 0,
        };
        self.pair_ends.truncate(n);
        self.pairs.truncate(pairs);
        self.values.truncate(values);
    }

    fn equals(&self, r: usize, meta: &[Label]) -> bool {
        self.count(r) == meta.len()
            && self
                .get(r)
                .zip(meta)
                .all(|((n, v), l)| n == l.name && v == l.value)
    }

    /// Replaces the column with decoded parts; `pairs` holds (name index,
    /// value end). Damaged tables cannot panic: accessors bounds-check.
    pub(crate) fn set_decoded(
        &mut self,
        pair_ends: &mut Vec<u32>,
        pairs: &[(u32, u32)],
        name_ends: &mut Vec<u32>,
        names: String,
        values: String,
    ) {
        std::mem::swap(&mut self.pair_ends, pair_ends);
        self.pairs.clear();
        self.pairs.extend(
            pairs
                .iter()
                .map(|&(name, value_end)| MetaPair { name, value_end }),
        );
        std::mem::swap(&mut self.name_ends, name_ends);
        self.names = names;
        self.values = values;
    }

    /// Takes the string buffers out for reuse.
    pub(crate) fn take_strings(&mut self) -> (String, String) {
        (
            std::mem::take(&mut self.names),
            std::mem::take(&mut self.values),
        )
    }
}

/// Entries of one stream with readable lines, plus a view window and
/// direction: `len()`, `ts(i)`, `line(i)` and `metadata(i)` index the
/// window in the batch's direction.
#[derive(Debug, Clone, Default)]
pub struct EntryBatch {
    ts: Vec<i64>,
    line_ends: Vec<u32>,
    lines: String,
    meta: MetaColumn,
    lo: usize,
    hi: usize,
    reversed: bool,
}

impl EntryBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries in the view.
    pub fn len(&self) -> usize {
        self.hi - self.lo
    }

    /// True when the view holds no entry.
    pub fn is_empty(&self) -> bool {
        self.hi == self.lo
    }

    #[inline]
    fn raw_index(&self, i: usize) -> usize {
        if self.reversed {
            self.hi.wrapping_sub(1).wrapping_sub(i)
        } else {
            self.lo + i
        }
    }

    /// Timestamp of entry `i` of the view (nanoseconds).
    #[inline]
    pub fn ts(&self, i: usize) -> i64 {
        self.raw_ts(self.raw_index(i))
    }

    /// The log line of entry `i` of the view.
    #[inline]
    pub fn line(&self, i: usize) -> &str {
        self.raw_line(self.raw_index(i))
    }

    /// Length in bytes of the line of entry `i` of the view.
    #[inline]
    pub fn line_len(&self, i: usize) -> usize {
        let (s, e) = self.line_span(self.raw_index(i));
        e - s
    }

    /// Structured metadata of entry `i` of the view, in stored order.
    pub fn metadata(&self, i: usize) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.meta.get(self.raw_index(i))
    }

    /// Sum of the line lengths of the view.
    pub fn line_bytes(&self) -> usize {
        if self.lo == self.hi {
            return 0;
        }
        self.line_span(self.hi - 1).1 - self.line_span(self.lo).0
    }

    /// Number of entries stored (ignoring the view).
    pub(crate) fn raw_len(&self) -> usize {
        self.ts.len()
    }

    #[inline]
    pub(crate) fn raw_ts(&self, r: usize) -> i64 {
        self.ts.get(r).copied().unwrap_or(0)
    }

    #[inline]
    fn line_span(&self, r: usize) -> (usize, usize) {
        let start = if r == 0 {
            0
        } else {
            self.line_ends.get(r - 1).map_or(0, |&e| e as usize)
        };
        let end = self.line_ends.get(r).map_or(start, |&e| e as usize);
        (start, end.max(start))
    }

    #[inline]
    pub(crate) fn raw_line(&self, r: usize) -> &str {
        let (s, e) = self.line_span(r);
        self.lines.get(s..e).unwrap_or("")
    }

    /// Bytes of memory held (capacity of every buffer).
    pub fn memory_bytes(&self) -> usize {
        self.ts.capacity() * 8
            + self.line_ends.capacity() * 4
            + self.lines.capacity()
            + self.meta.memory_bytes()
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.ts.clear();
        self.line_ends.clear();
        self.lines.clear();
        self.meta.clear();
        self.lo = 0;
        self.hi = 0;
        self.reversed = false;
    }

    /// Appends an entry at the end and widens the view to cover everything.
    pub fn push<'a>(
        &mut self,
        ts: i64,
        line: &str,
        metadata: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) {
        self.ts.push(ts);
        self.lines.push_str(line);
        self.line_ends.push(self.lines.len() as u32);
        self.meta.push(metadata);
        self.lo = 0;
        self.hi = self.ts.len();
        self.reversed = false;
    }

    /// Appends stored entry `r` of `src` and widens the view. Both batches
    /// hold line text, or neither does (see [`EntryBatch::drop_text`]).
    pub(crate) fn push_from(&mut self, src: &EntryBatch, r: usize) {
        self.ts.push(src.raw_ts(r));
        let (s, e) = src.line_span(r);
        self.lines.push_str(src.raw_line(r));
        let end = self.line_ends.last().map_or(0, |&x| x as usize) + (e - s);
        self.line_ends.push(end as u32);
        self.meta.push_from(&src.meta, r);
        self.lo = 0;
        self.hi = self.ts.len();
        self.reversed = false;
    }

    /// Forgets the line text, keeping the line lengths: `line(i)` is empty
    /// from now on, `line_len(i)` unchanged.
    pub(crate) fn drop_text(&mut self) {
        self.lines.clear();
    }

    /// Restricts the view to stored entries `lo..hi` in the given direction.
    pub(crate) fn set_view(&mut self, lo: usize, hi: usize, reversed: bool) {
        let n = self.ts.len();
        self.hi = hi.min(n);
        self.lo = lo.min(self.hi);
        self.reversed = reversed;
    }

    /// Stored timestamps (ignoring the view).
    pub(crate) fn raw_timestamps(&self) -> &[i64] {
        &self.ts
    }

    /// Replaces the contents with decoded columns (`lines` validated UTF-8).
    pub(crate) fn set_decoded(
        &mut self,
        ts: &mut Vec<i64>,
        line_ends: &mut Vec<u32>,
        lines: String,
    ) -> &mut MetaColumn {
        std::mem::swap(&mut self.ts, ts);
        std::mem::swap(&mut self.line_ends, line_ends);
        self.lines = lines;
        self.lo = 0;
        self.hi = self.ts.len();
        self.reversed = false;
        &mut self.meta
    }

    /// Takes the line buffer out for reuse by a decoder.
    pub(crate) fn take_lines(&mut self) -> String {
        std::mem::take(&mut self.lines)
    }

    /// The metadata column.
    pub(crate) fn meta_mut(&mut self) -> &mut MetaColumn {
        &mut self.meta
    }
}

/// Entries whose lines are split into skeleton and digit segments by the
/// line codec, in insertion order. Heads hold their entries this way and
/// blocks (chunk blocks and WAL records) are encoded from it.
#[derive(Debug, Clone, Default)]
pub struct EncodedBatch {
    ts: Vec<i64>,
    line_lens: Vec<u32>,
    skel: Segments,
    digits: Segments,
    meta: MetaColumn,
    line_bytes: u64,
    min_ts: i64,
    max_ts: i64,
    in_order: bool,
}

impl EncodedBatch {
    /// An empty batch whose line columns are single buffers (a push's
    /// staging record, or a batch encoded as one block).
    pub fn new() -> Self {
        EncodedBatch {
            in_order: true,
            ..Default::default()
        }
    }

    /// An empty batch for a head: its line columns fill pages that are
    /// never copied as the head grows (see [`super::segments`]).
    pub fn for_head() -> Self {
        EncodedBatch {
            in_order: true,
            skel: Segments::paged(),
            digits: Segments::paged(),
            ..Default::default()
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Smallest timestamp (0 when empty).
    pub fn min_ts(&self) -> i64 {
        self.min_ts
    }

    /// Largest timestamp (0 when empty).
    pub fn max_ts(&self) -> i64 {
        self.max_ts
    }

    /// Sum of the line lengths.
    pub fn line_bytes(&self) -> u64 {
        self.line_bytes
    }

    /// True when timestamps never decrease in insertion order.
    pub fn in_order(&self) -> bool {
        self.in_order
    }

    /// Timestamp of entry `r`.
    #[inline]
    pub fn ts(&self, r: usize) -> i64 {
        self.ts.get(r).copied().unwrap_or(0)
    }

    /// All timestamps in insertion order.
    pub fn timestamps(&self) -> &[i64] {
        &self.ts
    }

    /// Every entry's line length, in insertion order.
    pub(crate) fn line_lens(&self) -> &[u32] {
        &self.line_lens
    }

    /// Line length of entry `r`.
    #[inline]
    pub fn line_len(&self, r: usize) -> u32 {
        self.line_lens.get(r).copied().unwrap_or(0)
    }

    /// Skeleton segment of entry `r`.
    #[inline]
    pub(crate) fn skel(&self, r: usize) -> &[u8] {
        self.skel.get(r)
    }

    /// Digit segment of entry `r`.
    #[inline]
    pub(crate) fn digits(&self, r: usize) -> &[u8] {
        self.digits.get(r)
    }

    /// Appends the skeleton and digit segments of entries `first..=last`,
    /// which lie one after the other, to `skel` and `digits`.
    pub(crate) fn copy_run(
        &self,
        first: usize,
        last: usize,
        skel: &mut Vec<u8>,
        digits: &mut Vec<u8>,
    ) {
        self.skel.copy_run(first, last, skel);
        self.digits.copy_run(first, last, digits);
    }

    /// The whole skeleton and digit streams, in insertion order, when each
    /// lies in one buffer.
    pub(crate) fn streams(&self) -> Option<(&[u8], &[u8])> {
        Some((self.skel.contiguous()?, self.digits.contiguous()?))
    }

    /// The metadata column.
    pub(crate) fn meta(&self) -> &MetaColumn {
        &self.meta
    }

    /// Bytes of memory held (capacity of every buffer), for head budgets.
    pub fn memory_bytes(&self) -> usize {
        self.ts.capacity() * 8
            + self.line_lens.capacity() * 4
            + self.skel.memory_bytes()
            + self.digits.memory_bytes()
            + self.meta.memory_bytes()
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.ts.clear();
        self.line_lens.clear();
        self.skel.clear();
        self.digits.clear();
        self.meta.clear();
        self.line_bytes = 0;
        self.min_ts = 0;
        self.max_ts = 0;
        self.in_order = true;
    }

    fn note_ts(&mut self, ts: i64) {
        if self.ts.is_empty() {
            self.min_ts = ts;
            self.max_ts = ts;
        } else {
            self.in_order &= ts >= self.max_ts;
            self.min_ts = self.min_ts.min(ts);
            self.max_ts = self.max_ts.max(ts);
        }
        self.ts.push(ts);
    }

    /// Splits and appends one entry.
    pub fn push<'a>(
        &mut self,
        enc: &mut LineEncoder,
        ts: i64,
        line: &str,
        metadata: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) {
        self.note_ts(ts);
        self.line_lens.push(line.len() as u32);
        self.line_bytes += line.len() as u64;
        let most = line.len() + linecodec::SLACK;
        enc.encode_line(
            line.as_bytes(),
            ts,
            self.skel.open_segment(most),
            self.digits.open_segment(most),
        );
        self.skel.close_segment();
        self.digits.close_segment();
        self.meta.push(metadata);
    }

    /// Appends entry `r` of `src` (no re-splitting): the entry-at-a-time
    /// reference the tests hold [`EncodedBatch::extend_from`] to.
    #[cfg(test)]
    pub fn push_from(&mut self, src: &EncodedBatch, r: usize) {
        self.note_ts(src.ts(r));
        let len = src.line_len(r);
        self.line_lens.push(len);
        self.line_bytes += u64::from(len);
        self.skel.extend_from(&src.skel, r..r + 1);
        self.digits.extend_from(&src.digits, r..r + 1);
        self.meta.push_from(&src.meta, r);
    }

    /// Appends entries `range` of `src` (no re-splitting), copying each
    /// column in one piece.
    pub fn extend_from(&mut self, src: &EncodedBatch, range: std::ops::Range<usize>) {
        let (start, end) = (range.start, range.end.min(src.len()));
        if start >= end {
            return;
        }
        let n = end - start;
        grow::reserve(&mut self.ts, n);
        for &t in src.ts.get(start..end).unwrap_or(&[]) {
            self.note_ts(t);
        }
        let lens = src.line_lens.get(start..end).unwrap_or(&[]);
        self.line_bytes += lens.iter().map(|&l| u64::from(l)).sum::<u64>();
        grow::reserve(&mut self.line_lens, n);
        self.line_lens.extend_from_slice(lens);
        self.skel.extend_from(&src.skel, start..end);
        self.digits.extend_from(&src.digits, start..end);
        self.meta.extend_from(&src.meta, start, end);
    }

    /// Drops the last entry (bounds are not narrowed; they stay a cover).
    pub fn pop(&mut self) {
        let n = self.ts.len();
        if n == 0 {
            return;
        }
        self.ts.pop();
        if let Some(len) = self.line_lens.pop() {
            self.line_bytes -= u64::from(len);
        }
        self.skel.pop();
        self.digits.pop();
        self.meta.truncate(n - 1);
    }

    /// True when entry `r` equals entry `o` of `other` (timestamp, line and
    /// metadata; split forms are equal exactly when lines are).
    pub fn same_entry(&self, r: usize, other: &EncodedBatch, o: usize) -> bool {
        self.ts(r) == other.ts(o)
            && self.line_len(r) == other.line_len(o)
            && self.skel(r) == other.skel(o)
            && self.digits(r) == other.digits(o)
            && self.meta.count(r) == other.meta.count(o)
            && self.meta.get(r).eq(other.meta.get(o))
    }

    /// True when entry `r` has exactly these metadata pairs.
    pub fn same_metadata(&self, r: usize, meta: &[Label]) -> bool {
        self.meta.equals(r, meta)
    }

    /// The stable permutation that orders entries by timestamp.
    pub fn sorted_order(&self, order: &mut Vec<u32>) {
        order.clear();
        order.extend(0..self.ts.len() as u32);
        if !self.in_order {
            order.sort_by_key(|&i| self.ts(i as usize));
        }
    }

    /// Decodes entries `order` (indices) into `out` with readable lines,
    /// replacing its contents.
    pub fn decode_into(
        &self,
        order: &[u32],
        out: &mut EntryBatch,
        scratch: &mut DecodeScratch,
    ) -> Result<(), CodecError> {
        scratch.ts.clear();
        scratch.ends.clear();
        scratch.skel.clear();
        scratch.digits.clear();
        let mut total: u32 = 0;
        for &r in order {
            let r = r as usize;
            scratch.ts.push(self.ts(r));
            total = total.saturating_add(self.line_len(r));
            scratch.ends.push(total);
            scratch.skel.extend_from_slice(self.skel(r));
            scratch.digits.extend_from_slice(self.digits(r));
        }
        let mut bytes = out.take_lines().into_bytes();
        linecodec::decode_lines(
            &mut scratch.skel,
            &mut scratch.digits,
            &scratch.ts,
            &scratch.ends,
            &mut bytes,
        )?;
        let lines = String::from_utf8(bytes).map_err(|_| CodecError::Invalid("line text"))?;
        let meta = out.set_decoded(&mut scratch.ts, &mut scratch.ends, lines);
        meta.clear();
        for &r in order {
            meta.push_from(&self.meta, r as usize);
        }
        Ok(())
    }
}

/// Reusable buffers for [`EncodedBatch::decode_into`].
#[derive(Debug, Default)]
pub struct DecodeScratch {
    ts: Vec<i64>,
    ends: Vec<u32>,
    skel: Vec<u8>,
    digits: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_batch_push_and_views() {
        let mut b = EntryBatch::new();
        b.push(3, "c", [("k", "v1")]);
        b.push(1, "a", []);
        b.push(2, "bb", [("k", "v2"), ("x", "")]);
        assert_eq!(b.len(), 3);
        assert_eq!((b.ts(0), b.line(0)), (3, "c"));
        assert_eq!(b.metadata(2).collect::<Vec<_>>(), [("k", "v2"), ("x", "")]);
        assert_eq!(b.metadata(1).count(), 0);
        assert_eq!(b.line_bytes(), 4);
        b.set_view(1, 3, true);
        assert_eq!(b.len(), 2);
        assert_eq!((b.ts(0), b.line(0), b.line_len(0)), (2, "bb", 2));
        assert_eq!(b.line(1), "a");
        b.set_view(0, 0, true);
        assert!(b.is_empty());
    }

    #[test]
    fn encoded_batch_round_trip_pop_and_dedupe() {
        let mut enc = LineEncoder::new();
        let mut a = EncodedBatch::new();
        a.push(&mut enc, 30, "took 12ms at 000000030", [("k", "v")]);
        a.push(&mut enc, 10, "boot 1", []);
        a.push(&mut enc, 20, "x", [("k", "w"), ("t", "1")]);
        assert!(!a.in_order());
        assert_eq!((a.min_ts(), a.max_ts(), a.line_bytes()), (10, 30, 29));
        let mut order = Vec::new();
        a.sorted_order(&mut order);
        assert_eq!(order, [1, 2, 0]);
        let mut out = EntryBatch::new();
        a.decode_into(&order, &mut out, &mut DecodeScratch::default())
            .unwrap();
        assert_eq!(out.line(0), "boot 1");
        assert_eq!(out.line(2), "took 12ms at 000000030");
        assert_eq!(
            out.metadata(1).collect::<Vec<_>>(),
            [("k", "w"), ("t", "1")]
        );
        let mut c = EncodedBatch::new();
        c.push(&mut enc, 1, "first", []);
        c.extend_from(&a, 1..3);
        let mut all = Vec::new();
        c.sorted_order(&mut all);
        let mut out2 = EntryBatch::new();
        c.decode_into(&all, &mut out2, &mut DecodeScratch::default())
            .unwrap();
        assert_eq!(
            (0..3).map(|i| out2.line(i).to_string()).collect::<Vec<_>>(),
            ["first", "boot 1", "x"]
        );
        assert!(c.same_entry(2, &a, 2));
        let mut b = EncodedBatch::new();
        b.push_from(&a, 0);
        assert!(b.same_entry(0, &a, 0) && !b.same_entry(0, &a, 1));
        b.push(&mut enc, 5, "y", [("z", "1")]);
        b.pop();
        assert_eq!(b.len(), 1);
        assert_eq!(b.line_bytes(), 22);
        assert!(b.same_metadata(0, &[Label::new("k", "v")]));
        b.push(&mut enc, 6, "y", []);
        assert_eq!(b.meta().count(1), 0);
    }

    proptest::proptest! {
        #[test]
        fn copies_keep_every_entry(
            rows in proptest::collection::vec((0i64..50, "[a-z0-9 :.]{0,20}", proptest::collection::vec(("[a-c]", "[0-9]{0,3}"), 0..3)), 1..20),
            cut in 0usize..20,
        ) {
            let mut enc = LineEncoder::new();
            let mut src = EncodedBatch::new();
            for (t, l, m) in &rows {
                src.push(&mut enc, *t, l, m.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            }
            let cut = cut.min(rows.len());
            let mut bulk = EncodedBatch::new();
            bulk.push(&mut enc, 0, "x", [("b", "first")]);
            bulk.extend_from(&src, 0..cut);
            bulk.extend_from(&src, cut..rows.len());
            let mut one = EncodedBatch::new();
            one.push(&mut enc, 0, "x", [("b", "first")]);
            for r in 0..rows.len() {
                one.push_from(&src, r);
            }
            proptest::prop_assert_eq!(bulk.len(), one.len());
            for r in 0..one.len() {
                proptest::prop_assert!(bulk.same_entry(r, &one, r));
            }
            let order: Vec<u32> = (0..bulk.len() as u32).collect();
            let mut out = EntryBatch::new();
            bulk.decode_into(&order, &mut out, &mut DecodeScratch::default()).unwrap();
            for (r, (t, l, m)) in rows.iter().enumerate() {
                proptest::prop_assert_eq!(out.ts(r + 1), *t);
                proptest::prop_assert_eq!(out.line(r + 1), l.as_str());
                let got: Vec<(&str, &str)> = out.metadata(r + 1).collect();
                let want: Vec<(&str, &str)> = m.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                proptest::prop_assert_eq!(got, want);
            }
        }
    }
}

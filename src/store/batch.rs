//! [`EntryBatch`]: entries of one stream held column-wise in a few owned
//! buffers. Heads append to it, block decoding fills it, and readers get it
//! from [`super::EntryIter`]; no entry owns an allocation.

/// One structured-metadata pair: an index into the batch's name table and
/// the end offset of its value in the batch's value buffer (the value starts
/// where the previous pair's value ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MetaPair {
    name: u32,
    value_end: u32,
}

/// Entries of one stream, column-wise, with an optional view window and
/// direction: `len()`, `ts(i)`, `line(i)` and `metadata(i)` index the
/// window in the batch's direction.
#[derive(Debug, Clone, Default)]
pub struct EntryBatch {
    ts: Vec<i64>,
    line_ends: Vec<u32>,
    lines: String,
    pair_ends: Vec<u32>,
    pairs: Vec<MetaPair>,
    name_ends: Vec<u32>,
    names: String,
    values: String,
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
            self.hi - 1 - i
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
        self.raw_metadata(self.raw_index(i))
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

    fn pair_span(&self, r: usize) -> (usize, usize) {
        let start = if r == 0 {
            0
        } else {
            self.pair_ends.get(r - 1).map_or(0, |&e| e as usize)
        };
        let end = self.pair_ends.get(r).map_or(start, |&e| e as usize);
        (start, end.max(start))
    }

    fn name(&self, n: u32) -> &str {
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

    pub(crate) fn raw_metadata(&self, r: usize) -> impl Iterator<Item = (&str, &str)> + '_ {
        let (s, e) = self.pair_span(r);
        (s..e).map(move |p| {
            let name = self.pairs.get(p).map_or(u32::MAX, |x| x.name);
            (self.name(name), self.value(p))
        })
    }

    /// Number of metadata pairs of stored entry `r`.
    pub(crate) fn raw_meta_count(&self, r: usize) -> usize {
        let (s, e) = self.pair_span(r);
        e - s
    }

    /// True when any stored entry carries structured metadata.
    pub(crate) fn has_metadata(&self) -> bool {
        !self.pairs.is_empty()
    }

    /// Bytes of memory held (capacity of every buffer), for budgets.
    pub fn memory_bytes(&self) -> usize {
        self.ts.capacity() * 8
            + self.line_ends.capacity() * 4
            + self.lines.capacity()
            + self.pair_ends.capacity() * 4
            + self.pairs.capacity() * 8
            + self.name_ends.capacity() * 4
            + self.names.capacity()
            + self.values.capacity()
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.ts.clear();
        self.line_ends.clear();
        self.lines.clear();
        self.pair_ends.clear();
        self.pairs.clear();
        self.name_ends.clear();
        self.names.clear();
        self.values.clear();
        self.lo = 0;
        self.hi = 0;
        self.reversed = false;
    }

    fn name_index(&mut self, name: &str) -> u32 {
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
        for (n, v) in metadata {
            let name = self.name_index(n);
            self.values.push_str(v);
            self.pairs.push(MetaPair {
                name,
                value_end: self.values.len() as u32,
            });
        }
        self.pair_ends.push(self.pairs.len() as u32);
        self.lo = 0;
        self.hi = self.ts.len();
        self.reversed = false;
    }

    /// Appends stored entry `r` of `src`.
    pub(crate) fn push_from(&mut self, src: &EntryBatch, r: usize) {
        let ts = src.raw_ts(r);
        let line = src.raw_line(r);
        self.ts.push(ts);
        self.lines.push_str(line);
        self.line_ends.push(self.lines.len() as u32);
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
        self.lo = 0;
        self.hi = self.ts.len();
        self.reversed = false;
    }

    /// True when stored entry `r` equals (ts, line, metadata).
    pub(crate) fn raw_equals(&self, r: usize, ts: i64, line: &str, meta: &[crate::model::Label]) -> bool {
        self.raw_ts(r) == ts
            && self.raw_line(r) == line
            && self.raw_meta_count(r) == meta.len()
            && self
                .raw_metadata(r)
                .zip(meta)
                .all(|((n, v), l)| n == l.name && v == l.value)
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

    /// Cumulative line end offsets (ignoring the view).
    pub(crate) fn raw_line_ends(&self) -> &[u32] {
        &self.line_ends
    }

    /// All line bytes concatenated (ignoring the view).
    pub(crate) fn raw_lines(&self) -> &str {
        &self.lines
    }

    /// Replaces the stored columns with decoded ones. `lines` and `values`
    /// must already be validated UTF-8; pair and name tables are
    /// bounds-checked by the accessors, so damaged tables cannot panic.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn set_columns(
        &mut self,
        ts: &mut Vec<i64>,
        line_ends: &mut Vec<u32>,
        lines: String,
        pair_ends: &mut Vec<u32>,
        pairs: &mut Vec<(u32, u32)>,
        name_ends: &mut Vec<u32>,
        names: String,
        values: String,
    ) {
        std::mem::swap(&mut self.ts, ts);
        std::mem::swap(&mut self.line_ends, line_ends);
        self.lines = lines;
        std::mem::swap(&mut self.pair_ends, pair_ends);
        self.pairs.clear();
        self.pairs.extend(pairs.iter().map(|&(name, value_end)| MetaPair { name, value_end }));
        std::mem::swap(&mut self.name_ends, name_ends);
        self.names = names;
        self.values = values;
        self.lo = 0;
        self.hi = self.ts.len();
        self.reversed = false;
    }

    /// Takes the string buffers out for reuse by a decoder.
    pub(crate) fn take_strings(&mut self) -> (String, String, String) {
        (
            std::mem::take(&mut self.lines),
            std::mem::take(&mut self.names),
            std::mem::take(&mut self.values),
        )
    }

    /// The permutation that sorts stored entries by timestamp, stable (equal
    /// timestamps keep insertion order).
    pub fn sorted_order(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.ts.len() as u32).collect();
        if !self.ts.windows(2).all(|w| w[0] <= w[1]) {
            order.sort_by_key(|&i| self.raw_ts(i as usize));
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_and_read_with_views() {
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
        assert_eq!(b.sorted_order(), vec![1, 2, 0]);
        assert!(b.raw_equals(0, 3, "c", &[crate::model::Label::new("k", "v1")]));
        assert!(!b.raw_equals(0, 3, "c", &[]));
    }
}

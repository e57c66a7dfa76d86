//! One column of per-entry byte segments: the skeleton or the digits of
//! the lines of an [`super::batch::EncodedBatch`].
//!
//! A head's columns grow a few lines at a time to a block's worth. Kept in
//! one buffer, they grew by doubling, and every doubling copied the whole
//! column: on the ingest benchmark 1.8 bytes were moved per byte appended.
//! A *paged* column instead fills pages that never move. When the page
//! being filled has no room for the next segment, a new page is started,
//! twice the size of the last one, up to [`MAX_PAGE`]. Only the first page
//! grows in place, and only up to [`FIRST_PAGE`]. A segment never
//! straddles two pages, so every entry's segment is one slice. The memory
//! held is the pages' capacity, which is what head budgets count.
//!
//! A column that is not paged keeps one buffer that grows as needed. A
//! push's staging record is one: it is encoded as one WAL block straight
//! from that buffer.

use crate::grow;
use std::ops::Range;

/// The first page of a paged column grows in place up to this size.
const FIRST_PAGE: usize = 4 << 10;
/// Largest page a paged column starts. A longer segment gets a page of
/// its own size.
const MAX_PAGE: usize = 64 << 10;

/// A column of per-entry byte segments (see the module documentation).
#[derive(Debug, Clone, Default)]
pub(crate) struct Segments {
    /// Filled pages, oldest first.
    full: Vec<Vec<u8>>,
    /// Column offset of each filled page's first byte.
    full_starts: Vec<u32>,
    /// The page being filled.
    tail: Vec<u8>,
    /// Column offset of the tail's first byte.
    tail_start: u32,
    /// Per entry, the column offset where its segment ends.
    ends: Vec<u32>,
    /// Emptied pages, kept by [`Segments::clear`] for reuse.
    free: Vec<Vec<u8>>,
    /// Whether new segments go to new pages instead of a growing buffer.
    paged: bool,
}

impl Segments {
    /// An empty paged column.
    pub(crate) fn paged() -> Self {
        Segments {
            paged: true,
            ..Default::default()
        }
    }

    /// Number of segments.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Column offsets of segment `r` (empty past the end).
    fn span(&self, r: usize) -> (usize, usize) {
        let start = match r.checked_sub(1) {
            Some(p) => self.ends.get(p).map_or(0, |&e| e as usize),
            None => 0,
        };
        let end = self.ends.get(r).map_or(start, |&e| e as usize);
        (start, end.max(start))
    }

    /// The page holding column offset `at` and that page's column offset.
    fn page_of(&self, at: usize) -> (&[u8], usize) {
        if at >= self.tail_start as usize {
            return (&self.tail, self.tail_start as usize);
        }
        let k = self
            .full_starts
            .partition_point(|&s| s as usize <= at)
            .saturating_sub(1);
        match (self.full.get(k), self.full_starts.get(k)) {
            (Some(page), Some(&start)) => (page, start as usize),
            _ => (&[], at),
        }
    }

    /// Segment `r` (empty past the end).
    #[inline]
    pub(crate) fn get(&self, r: usize) -> &[u8] {
        let (s, e) = self.span(r);
        let (page, base) = self.page_of(s);
        page.get(s - base..e - base).unwrap_or(&[])
    }

    /// The whole column when it lies in one page.
    pub(crate) fn contiguous(&self) -> Option<&[u8]> {
        self.full.is_empty().then_some(self.tail.as_slice())
    }

    /// Appends segments `first..=last`, which lie one after the other, to
    /// `out`.
    pub(crate) fn copy_run(&self, first: usize, last: usize, out: &mut Vec<u8>) {
        let (mut at, _) = self.span(first);
        let (_, end) = self.span(last);
        while at < end {
            let (page, base) = self.page_of(at);
            let stop = end.min(base + page.len());
            let Some(bytes) = page.get(at - base..stop - base).filter(|b| !b.is_empty()) else {
                return;
            };
            out.extend_from_slice(bytes);
            at = stop;
        }
    }

    /// Bytes in the column.
    fn byte_len(&self) -> usize {
        self.tail_start as usize + self.tail.len()
    }

    /// Ends the page being filled and starts one with room for `need`
    /// bytes.
    fn start_page(&mut self, need: usize) {
        let want = (self.tail.capacity() * 2)
            .clamp(FIRST_PAGE, MAX_PAGE)
            .max(need);
        let page = match self.free.iter().position(|p| p.capacity() >= need) {
            Some(i) => self.free.swap_remove(i),
            None => Vec::with_capacity(want),
        };
        let old = std::mem::replace(&mut self.tail, page);
        if old.is_empty() {
            if old.capacity() > 0 {
                self.free.push(old);
            }
        } else {
            self.full_starts.push(self.tail_start);
            self.tail_start += old.len() as u32;
            self.full.push(old);
        }
    }

    /// Makes room in the page being filled for a segment of `need` bytes:
    /// the buffer of an unpaged column, or a first page still under
    /// [`FIRST_PAGE`], grows in place (for up to `hoped` bytes, the rest of
    /// a run that may follow); otherwise a new page is started.
    fn make_room(&mut self, need: usize, hoped: usize) {
        if !self.paged {
            grow::reserve(&mut self.tail, hoped.max(need));
        } else if self.full.is_empty() && self.tail.len() + need <= FIRST_PAGE {
            let extra = hoped.min(FIRST_PAGE - self.tail.len()).max(need);
            grow::reserve(&mut self.tail, extra);
        } else {
            self.start_page(need);
        }
    }

    /// The buffer to write the next segment into, with room for `most`
    /// bytes. Finish the segment with [`Segments::close_segment`].
    pub(crate) fn open_segment(&mut self, most: usize) -> &mut Vec<u8> {
        if self.tail.capacity() - self.tail.len() < most {
            self.make_room(most, most);
        }
        &mut self.tail
    }

    /// Ends the segment written into the buffer [`Segments::open_segment`]
    /// returned.
    pub(crate) fn close_segment(&mut self) {
        self.ends.push(self.byte_len() as u32);
    }

    /// Appends segments `entries` of `src`.
    pub(crate) fn extend_from(&mut self, src: &Segments, entries: Range<usize>) {
        let end = entries.end.min(src.len());
        let mut r = entries.start;
        let (_, run_end) = src.span(end.saturating_sub(1));
        while r < end {
            let (start, first_end) = src.span(r);
            let room = self.tail.capacity() - self.tail.len();
            let fit = src.ends.get(r..end).map_or(0, |ends| {
                ends.partition_point(|&e| (e as usize).saturating_sub(start) <= room)
            });
            if fit == 0 {
                self.make_room(first_end - start, run_end - start);
                continue;
            }
            let base = self.byte_len() as i64 - start as i64;
            src.copy_run(r, r + fit - 1, &mut self.tail);
            let ends = src.ends.get(r..r + fit).unwrap_or(&[]);
            grow::reserve(&mut self.ends, ends.len());
            self.ends
                .extend(ends.iter().map(|&e| (i64::from(e) + base) as u32));
            r += fit;
        }
    }

    /// Drops the last segment.
    pub(crate) fn pop(&mut self) {
        if self.ends.pop().is_none() {
            return;
        }
        let end = self.ends.last().map_or(0, |&e| e as usize);
        while end < self.tail_start as usize {
            let (Some(page), Some(start)) = (self.full.pop(), self.full_starts.pop()) else {
                break;
            };
            let emptied = std::mem::replace(&mut self.tail, page);
            self.tail_start = start;
            if emptied.capacity() > 0 {
                self.free.push(emptied);
            }
        }
        self.tail.truncate(end - self.tail_start as usize);
    }

    /// Empties the column, keeping its pages for reuse.
    pub(crate) fn clear(&mut self) {
        for mut page in self.full.drain(..) {
            page.clear();
            self.free.push(page);
        }
        self.full_starts.clear();
        self.tail.clear();
        self.tail_start = 0;
        self.ends.clear();
    }

    /// Bytes of memory held, for head budgets.
    pub(crate) fn memory_bytes(&self) -> usize {
        let pages: usize = self.full.iter().chain(&self.free).map(Vec::capacity).sum();
        pages
            + self.tail.capacity()
            + (self.full.capacity() + self.free.capacity()) * std::mem::size_of::<Vec<u8>>()
            + (self.full_starts.capacity() + self.ends.capacity()) * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn push(col: &mut Segments, seg: &[u8]) {
        col.open_segment(seg.len()).extend_from_slice(seg);
        col.close_segment();
    }

    fn segments_of(col: &Segments) -> Vec<Vec<u8>> {
        (0..col.len()).map(|r| col.get(r).to_vec()).collect()
    }

    #[test]
    fn paged_columns_never_move_a_written_page() {
        let mut col = Segments::paged();
        let line = vec![b'x'; 1000];
        push(&mut col, &line);
        let mut first: Option<*const u8> = None;
        for _ in 0..300 {
            let mut src = Segments::default();
            push(&mut src, &line);
            col.extend_from(&src, 0..1);
            if col.full.len() == 1 {
                first.get_or_insert(col.full[0].as_ptr());
            }
        }
        assert!(col.full.len() > 3, "{} pages", col.full.len());
        assert_eq!(first, Some(col.full[0].as_ptr()));
        assert!(col.full.iter().all(|p| p.capacity() <= MAX_PAGE));
        assert_eq!(col.len(), 301);
        assert!(segments_of(&col).iter().all(|s| *s == line));
        // Slack: at most one segment short of each page, plus the tail.
        let held: usize = col.full.iter().map(Vec::capacity).sum::<usize>() + col.tail.capacity();
        assert!(held < 301_000 + 1000 * col.full.len() + MAX_PAGE, "{held}");
    }

    #[test]
    fn a_segment_longer_than_a_page_gets_its_own() {
        let mut col = Segments::paged();
        push(&mut col, b"ab");
        let big = vec![b'y'; MAX_PAGE * 2 + 3];
        push(&mut col, &big);
        push(&mut col, b"c");
        assert_eq!(
            segments_of(&col),
            [b"ab".to_vec(), big.clone(), b"c".to_vec()]
        );
        let mut out = Vec::new();
        col.copy_run(0, 2, &mut out);
        assert_eq!(out.len(), 2 + big.len() + 1);
        assert_eq!(col.contiguous(), None);
    }

    #[test]
    fn unpaged_columns_stay_one_buffer() {
        let mut col = Segments::default();
        for i in 0..2000u32 {
            push(&mut col, i.to_string().as_bytes());
        }
        let whole = col.contiguous().expect("one buffer");
        assert!(whole.starts_with(b"0123456789101112"));
        assert_eq!(col.get(1999), b"1999");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(Vec<u8>),
        Extend(Vec<Vec<u8>>, usize, usize),
        Pop,
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        let seg = || {
            prop_oneof![
                4 => proptest::collection::vec(any::<u8>(), 0..40),
                1 => proptest::collection::vec(any::<u8>(), 0..(MAX_PAGE + 100)),
            ]
        };
        prop_oneof![
            4 => seg().prop_map(Op::Push),
            4 => (proptest::collection::vec(seg(), 0..8), 0usize..8, 0usize..8)
                .prop_map(|(s, a, b)| Op::Extend(s, a.min(b), a.max(b))),
            2 => Just(Op::Pop),
            1 => Just(Op::Clear),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn columns_hold_what_a_list_of_segments_holds(
            ops in proptest::collection::vec(op(), 0..60),
            paged in any::<bool>(),
        ) {
            let mut col = if paged { Segments::paged() } else { Segments::default() };
            let mut model: Vec<Vec<u8>> = Vec::new();
            for op in ops {
                match op {
                    Op::Push(seg) => {
                        push(&mut col, &seg);
                        model.push(seg);
                    }
                    Op::Extend(segs, a, b) => {
                        let mut src = Segments::paged();
                        for s in &segs {
                            push(&mut src, s);
                        }
                        let (a, b) = (a.min(segs.len()), b.min(segs.len()));
                        col.extend_from(&src, a..b);
                        model.extend(segs[a..b].iter().cloned());
                    }
                    Op::Pop => {
                        col.pop();
                        model.pop();
                    }
                    Op::Clear => {
                        col.clear();
                        model.clear();
                    }
                }
                prop_assert_eq!(segments_of(&col), model.clone());
            }
            if !model.is_empty() {
                let mut out = Vec::new();
                col.copy_run(0, model.len() - 1, &mut out);
                prop_assert_eq!(out, model.concat());
            }
            if !paged {
                prop_assert_eq!(col.contiguous().map(<[u8]>::to_vec), Some(model.concat()));
            }
            prop_assert!(col.full.iter().all(|p| !p.is_empty()));
        }
    }
}

//! Searching encoded blocks for a line filter's text without rebuilding
//! their lines.
//!
//! The line codec (see `linecodec`) stores a block's lines as a *skeleton*
//! (the text with every digit run replaced by placeholder bytes, or by a
//! timestamp placeholder when the run renders the entry's own timestamp)
//! and a *digits* stream (the digits of the plain runs, in order). A text
//! such as `10.1.2.3` is compiled here into the skeleton bytes every line
//! holding it must contain (`.`, a one-digit placeholder, `.`, a one-digit
//! placeholder, `.`) plus the digits those placeholders and the runs at its
//! two ends must carry. A block whose streams hold no such occurrence has no
//! line containing the text and need not be decoded.
//!
//! The test is conservative: it may keep a block without a match (when a
//! digit run at an end of the text is part of a timestamp placeholder), but
//! never drops a block with one. Texts whose interior digits a timestamp
//! placeholder could swallow fall back to their longest digit-free part.

use memchr::memmem::Finder;

/// First placeholder byte: `0xF5 + k - 1` stands for a run of `k` digits.
const RUN_FIRST: u8 = 0xF5;
/// Last placeholder byte: a run of ten digits (longer runs use several).
const RUN_LAST: u8 = 0xFE;
/// Longest run one placeholder covers.
const MAX_RUN: usize = 10;
/// Starts a two-byte timestamp placeholder (the second byte is its kind).
const TS_ESCAPE: u8 = 0xFF;

/// Run lengths a timestamp placeholder takes whole (fractions, Unix
/// seconds and milliseconds): a run of such a length may store no digits.
const TIMESTAMP_RUN_LENGTHS: [usize; 5] = [3, 6, 9, 10, 13];

/// What the streams of a block must hold for one of its lines to contain
/// a text.
#[derive(Debug)]
pub struct SkeletonNeedle {
    /// The skeleton bytes from the text's first to its last non-digit byte.
    core: Finder<'static>,
    /// How the digits at the text's ends and inside `core` are checked.
    digits: Option<DigitCheck>,
}

/// The digits a match of `core` implies, when they are all known.
#[derive(Debug)]
struct DigitCheck {
    /// Digits before the core: the end of the run ending where it starts.
    lead: Vec<u8>,
    /// Digits of the runs inside the core, concatenated.
    inner: Vec<u8>,
    /// Digits after the core: the start of the run starting where it ends.
    trail: Vec<u8>,
}

impl SkeletonNeedle {
    /// Compiles `text`; `None` when no part of it is worth searching for
    /// (it is all digits, or its digit-free parts are single bytes that a
    /// timestamp placeholder may take).
    pub fn new(text: &[u8]) -> Option<SkeletonNeedle> {
        let first = text.iter().position(|b| !b.is_ascii_digit())?;
        let last = text.iter().rposition(|b| !b.is_ascii_digit())?;
        let inner = &text[first..=last];
        if digits_are_plain(inner) {
            let mut core = Vec::with_capacity(inner.len());
            let mut inner_digits = Vec::new();
            let mut i = 0;
            while i < inner.len() {
                let run = inner[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                if run == 0 {
                    core.push(inner[i]);
                    i += 1;
                    continue;
                }
                inner_digits.extend_from_slice(&inner[i..i + run]);
                push_placeholders(&mut core, run);
                i += run;
            }
            return Some(SkeletonNeedle {
                core: Finder::new(&core).into_owned(),
                digits: Some(DigitCheck {
                    lead: text[..first].to_vec(),
                    inner: inner_digits,
                    trail: text[last + 1..].to_vec(),
                }),
            });
        }
        let part = longest_verbatim_part(text)?;
        Some(SkeletonNeedle {
            core: Finder::new(part).into_owned(),
            digits: None,
        })
    }

    /// Whether [`SkeletonNeedle::may_occur`] reads the digits stream.
    pub fn reads_digits(&self) -> bool {
        self.digits.is_some()
    }

    /// Whether a line of the block with these streams may contain the
    /// text; false only when none does. `digits` is only read when
    /// [`SkeletonNeedle::reads_digits`].
    pub fn may_occur(&self, skel: &[u8], digits: &[u8]) -> bool {
        let Some(check) = &self.digits else {
            return self.core.find(skel).is_some();
        };
        let core_len = self.core.needle().len();
        // Digits stored for the skeleton before `counted`.
        let (mut counted, mut digits_before) = (0, 0);
        let mut from = 0;
        while let Some(found) = self.core.find(&skel[from..]) {
            let at = from + found;
            digits_before += run_digits(&skel[counted..at]);
            counted = at;
            if check.matches(skel, digits, at, at + core_len, digits_before) {
                return true;
            }
            // Matches may overlap: resume one byte on.
            from = at + 1;
        }
        false
    }
}

impl DigitCheck {
    /// Whether the core found at `skel[start..end]`, with `digits_before`
    /// digits stored ahead of it, is an occurrence of the text (or may be,
    /// when an end run is a timestamp placeholder).
    fn matches(
        &self,
        skel: &[u8],
        digits: &[u8],
        start: usize,
        end: usize,
        digits_before: usize,
    ) -> bool {
        let inner_end = digits_before + self.inner.len();
        if digits.get(digits_before..inner_end) != Some(&self.inner[..]) {
            return false;
        }
        if !self.lead.is_empty() {
            match skel.get(..start) {
                Some([.., TS_ESCAPE, _]) => {}
                Some(before) => {
                    let run = run_length(before.iter().rev());
                    let lead_start = digits_before.checked_sub(self.lead.len());
                    let stored = lead_start.and_then(|s| digits.get(s..digits_before));
                    if run < self.lead.len() || stored != Some(&self.lead[..]) {
                        return false;
                    }
                }
                None => return false,
            }
        }
        if !self.trail.is_empty() {
            match skel.get(end..) {
                Some([TS_ESCAPE, ..]) => {}
                Some(after) => {
                    let run = run_length(after.iter());
                    let stored = digits.get(inner_end..inner_end + self.trail.len());
                    if run < self.trail.len() || stored != Some(&self.trail[..]) {
                        return false;
                    }
                }
                None => return false,
            }
        }
        true
    }
}

/// Whether `b` is a digit-run placeholder.
fn is_run(b: u8) -> bool {
    (RUN_FIRST..=RUN_LAST).contains(&b)
}

/// Digits of the run whose placeholders `skel` starts with (read in
/// either direction).
fn run_length<'a>(skel: impl Iterator<Item = &'a u8>) -> usize {
    skel.take_while(|b| is_run(**b))
        .map(|b| usize::from(b - RUN_FIRST) + 1)
        .sum()
}

/// Digits stored for the placeholders in `skel`. It runs over most of
/// every skeleton that holds a match of the core, so it sums 16 byte lanes
/// at a time (which the compiler vectorizes), 25 rows per lane sum so a
/// lane (at most 10 per row) cannot overflow.
fn run_digits(skel: &[u8]) -> usize {
    let digits_of = |b: u8| {
        let k = b.wrapping_sub(RUN_FIRST);
        if k <= RUN_LAST - RUN_FIRST {
            k + 1
        } else {
            0
        }
    };
    let mut rows = skel.chunks_exact(16);
    let mut total = 0;
    loop {
        let mut lanes = [0u8; 16];
        let mut taken = 0;
        for row in rows.by_ref().take(25) {
            for (lane, &b) in lanes.iter_mut().zip(row) {
                *lane += digits_of(b);
            }
            taken += 1;
        }
        total += lanes.iter().map(|&l| usize::from(l)).sum::<usize>();
        if taken < 25 {
            break;
        }
    }
    total
        + rows
            .remainder()
            .iter()
            .map(|&b| usize::from(digits_of(b)))
            .sum::<usize>()
}

/// Appends the placeholders the encoder writes for a run of `len` digits.
fn push_placeholders(skel: &mut Vec<u8>, mut len: usize) {
    while len > 0 {
        let part = len.min(MAX_RUN);
        skel.push(RUN_FIRST + (part as u8 - 1));
        len -= part;
    }
}

/// Whether every digit run inside `inner` (which starts and ends with a
/// non-digit) is always stored as plain placeholders: no run has a length
/// a timestamp placeholder takes whole, and no part between runs is a
/// single `-`, `/` or `:`, which a date or time placeholder may take (the
/// line may hold digits on both sides of one at either end of `inner`).
fn digits_are_plain(inner: &[u8]) -> bool {
    let is_sep = |b: u8| matches!(b, b'-' | b'/' | b':');
    let mut i = 0;
    while i < inner.len() {
        let start = i;
        let digit = inner[i].is_ascii_digit();
        while i < inner.len() && inner[i].is_ascii_digit() == digit {
            i += 1;
        }
        let len = i - start;
        if digit && TIMESTAMP_RUN_LENGTHS.contains(&len) {
            return false;
        }
        if !digit && len == 1 && is_sep(inner[start]) {
            return false;
        }
    }
    true
}

/// The longest digit-free part of `text` that every skeleton of a line
/// holding it contains verbatim, if it has two bytes or more: a timestamp
/// placeholder takes only single separators between digit runs.
fn longest_verbatim_part(text: &[u8]) -> Option<&[u8]> {
    text.split(u8::is_ascii_digit)
        .filter(|part| part.len() >= 2)
        .max_by_key(|part| part.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::linecodec::LineEncoder;
    use proptest::prelude::*;

    /// 2026-11-23T16:00:05.123456789Z
    const TS: i64 = 1_795_449_605_123_456_789;

    fn encode(lines: &[&str]) -> (Vec<u8>, Vec<u8>) {
        let (mut skel, mut digits) = (Vec::new(), Vec::new());
        let mut enc = LineEncoder::new();
        for l in lines {
            enc.encode_line(l.as_bytes(), TS, &mut skel, &mut digits);
        }
        (skel, digits)
    }

    fn may_occur(text: &str, lines: &[&str]) -> bool {
        let (skel, digits) = encode(lines);
        SkeletonNeedle::new(text.as_bytes())
            .expect("searchable text")
            .may_occur(&skel, &digits)
    }

    #[test]
    fn digits_around_and_inside_the_text_are_checked() {
        let text = "10.1.2.3";
        assert!(may_occur(text, &["ip=10.1.2.3 x"]));
        assert!(may_occur(text, &["a 1.1.1.1", "ip=110.1.2.34"]));
        for miss in [
            "ip=10.1.2.4",
            "ip=10.1.3.3",
            "ip=11.1.2.3",
            "ip=0.1.2.3",
            "ip=10.1.2.",
            "10.1.22.3",
        ] {
            assert!(!may_occur(text, &[miss]), "{miss}");
        }
        // Earlier lines shift the digit offsets.
        assert!(may_occur(text, &["9.9.9.9 77", "x", "10.1.2.3"]));
        assert!(!may_occur(
            text,
            &["9.9.9.9 77", "x", "10.1.2.9", "10.4.2.3"]
        ));
        // Overlapping matches of the core.
        assert!(may_occur("1.2.3", &["0.1.2.3"]));
        assert!(may_occur(".5.6.", &["1.4.5.6.7"]));
    }

    #[test]
    fn timestamp_placeholders_at_the_ends_are_kept() {
        // `16:00:05` and `123` render the entry's timestamp.
        assert!(may_occur("05.9", &["at 16:00:05.9"]));
        assert!(may_occur("x 123", &["x 123"]));
        assert!(may_occur("x 1", &["x 123"]));
        assert!(!may_occur("x 2", &["x 124 y"]));
        // Date and time placeholders on both sides of the core `T`.
        assert!(may_occur("23T16", &["2026-11-23T16:00:05Z"]));
    }

    #[test]
    fn texts_a_timestamp_may_swallow_fall_back_to_a_verbatim_part() {
        for (text, line) in [
            ("at 16:00:05 by", "at 16:00:05 by x"),
            ("done 123 ms", "done 123 ms"),
            ("x 12:30 y", "x 12:30 y"),
        ] {
            let needle = SkeletonNeedle::new(text.as_bytes()).unwrap();
            assert!(!needle.reads_digits(), "{text}");
            let (skel, digits) = encode(&[line]);
            assert!(needle.may_occur(&skel, &digits), "{text}");
        }
        assert!(SkeletonNeedle::new(b"12345").is_none());
        assert!(SkeletonNeedle::new(b"1-2").is_none());
        assert!(SkeletonNeedle::new(b"request_id=deadbeef").is_some());
    }

    #[test]
    fn run_digits_counts_every_placeholder() {
        for len in [0, 1, 15, 16, 17, 399, 400, 401, 5000] {
            let skel: Vec<u8> = (0..len)
                .map(|i| [0xF5, 0xFE, b'a', 0xFF, 3][i % 5])
                .collect();
            let want: usize = skel
                .iter()
                .map(|&b| if is_run(b) { usize::from(b - 0xF4) } else { 0 })
                .sum();
            assert_eq!(run_digits(&skel), want, "{len}");
        }
    }

    #[test]
    fn corrupt_streams_do_not_panic() {
        let needle = SkeletonNeedle::new(b"10.1.2.3").unwrap();
        let skel = [0xFE, b'.', 0xF5, b'.', 0xF5, b'.', 0xFE];
        assert!(!needle.may_occur(&skel, b""));
        assert!(!needle.may_occur(&skel, b"12"));
        assert!(!needle.may_occur(&[b'.', 0xF5, b'.', 0xF5, b'.'], b"12"));
    }

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,14}",
            "[a-c .:/T\t-]{1,3}",
            Just("2026-11-23".to_string()),
            Just("2026/11/23".to_string()),
            Just("16:00:05".to_string()),
            Just("16:00".to_string()),
            Just("123".to_string()),
            Just("123456".to_string()),
            Just("123456789".to_string()),
            Just("1795449605".to_string()),
            Just("1795449605123".to_string()),
        ]
    }

    proptest! {
        // Cheap cases; enough of them to meet every placeholder kind at
        // both ends of the text and inside it.
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn every_substring_of_a_line_is_found(
            before in proptest::collection::vec("[0-9a .]{0,12}", 0..3),
            pieces in proptest::collection::vec(piece(), 1..8),
            cut in (0usize..200, 0usize..200),
        ) {
            let line: String = pieces.concat();
            let (a, b) = (cut.0 % (line.len() + 1), cut.1 % (line.len() + 1));
            let text = &line[a.min(b)..a.max(b)];
            if let Some(needle) = SkeletonNeedle::new(text.as_bytes()) {
                let mut lines: Vec<&str> = before.iter().map(String::as_str).collect();
                lines.push(&line);
                let (skel, digits) = encode(&lines);
                prop_assert!(needle.may_occur(&skel, &digits), "{text:?} in {line:?}");
            }
        }
    }
}

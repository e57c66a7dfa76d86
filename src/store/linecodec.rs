//! The line transform that makes log blocks compress well and fast: every run
//! of ASCII digits is moved out of the line text into a separate *digits*
//! stream, leaving a placeholder in the *skeleton* stream.
//!
//! Log lines of one stream share their text and differ mostly in numbers
//! (ids, durations, addresses, timestamps). Without the numbers the skeletons
//! repeat almost verbatim and zstd shrinks them 25-90x at several GB/s; the
//! digits compress on their own, near their entropy, instead of breaking
//! every match of the text. Digit runs equal to a rendering of the entry's
//! own timestamp (its date and time fields, fractions, Unix seconds or
//! milliseconds) become a placeholder naming the rendering and store no
//! digits at all: most log lines carry their own timestamp.
//!
//! Placeholders start with bytes that never occur in UTF-8 (`0xF5..=0xFF`),
//! so no escaping is needed: lines are Rust strings.

use super::error::CodecError;
use super::window16::{digit_bits, digits_value, window};

/// `0xF5..=0xFE`: a run of 1..=10 digits taken from the digits stream.
const RUN_BASE: u8 = 0xF5;
/// Longest run one placeholder covers; longer runs use several.
const MAX_RUN: usize = 10;
/// `0xFF, kind`: a rendering of the entry's timestamp (see [`TsField`]).
const TS_ESCAPE: u8 = 0xFF;

const NS: i64 = 1_000_000_000;

/// Renderings of an entry timestamp (UTC) that a placeholder can name; the
/// discriminant is the kind byte after [`TS_ESCAPE`]. Dates and times are
/// matched only as whole groups (`2026-11-23`, `16:00:05`), so a stray
/// two-digit number never turns into a placeholder by coincidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum TsField {
    /// Nanosecond fraction, 9 digits.
    Nanos = 1,
    /// Microsecond fraction, 6 digits.
    Micros = 2,
    /// Millisecond fraction, 3 digits.
    Millis = 3,
    /// Unix seconds, 10 digits.
    UnixSeconds = 4,
    /// Unix milliseconds, 13 digits.
    UnixMillis = 5,
    /// `YYYY-MM-DD`.
    DateDash = 6,
    /// `YYYY/MM/DD`.
    DateSlash = 7,
    /// `HH:MM:SS`.
    TimeHms = 8,
    /// `HH:MM`.
    TimeHm = 9,
}

impl TsField {
    fn from_byte(b: u8) -> Option<TsField> {
        use TsField::*;
        [
            Nanos,
            Micros,
            Millis,
            UnixSeconds,
            UnixMillis,
            DateDash,
            DateSlash,
            TimeHms,
            TimeHm,
        ]
        .get(usize::from(b).wrapping_sub(1))
        .copied()
    }
}

/// The UTC calendar fields of a timestamp: year, month, day, hour, minute,
/// second (days-to-civil conversion after H. Hinnant).
fn civil(ts: i64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = ts.div_euclid(NS);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, sod / 3600, sod / 60 % 60, sod % 60)
}

/// Writes `v` as exactly `n` decimal digits at `buf[at..]`; false when `v`
/// is negative or needs more digits.
#[inline]
fn put_digits(mut v: i64, n: usize, buf: &mut [u8], at: usize) -> bool {
    let Some(dst) = buf.get_mut(at..at + n) else {
        return false;
    };
    if v < 0 {
        return false;
    }
    for d in dst.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    v == 0
}

/// The calendar fields of the last second asked for: consecutive entries
/// mostly share their second.
#[derive(Debug, Default, Clone)]
struct CivilCache {
    secs: Option<i64>,
    fields: (i64, u32, u32, u32, u32, u32),
}

impl CivilCache {
    #[inline]
    fn get(&mut self, ts: i64) -> (i64, u32, u32, u32, u32, u32) {
        let secs = ts.div_euclid(NS);
        if self.secs != Some(secs) {
            self.fields = civil(ts);
            self.secs = Some(secs);
        }
        self.fields
    }
}

/// Writes the text `field` of `ts` renders to at the start of `buf`;
/// returns its length.
#[inline]
fn render(field: TsField, ts: i64, cal: &mut CivilCache, buf: &mut [u8; 16]) -> Option<usize> {
    let frac = ts.rem_euclid(NS);
    let (v, n) = match field {
        TsField::Nanos => (frac, 9),
        TsField::Micros => (frac / 1_000, 6),
        TsField::Millis => (frac / 1_000_000, 3),
        TsField::UnixSeconds => (ts.div_euclid(NS), 10),
        TsField::UnixMillis => (ts.div_euclid(1_000_000), 13),
        TsField::DateDash | TsField::DateSlash => {
            let (y, mo, d, ..) = cal.get(ts);
            let sep = if field == TsField::DateDash {
                b'-'
            } else {
                b'/'
            };
            buf[4] = sep;
            buf[7] = sep;
            let ok = put_digits(y, 4, buf, 0)
                && put_digits(i64::from(mo), 2, buf, 5)
                && put_digits(i64::from(d), 2, buf, 8);
            return ok.then_some(10);
        }
        TsField::TimeHms | TsField::TimeHm => {
            let (.., h, mi, sec) = cal.get(ts);
            buf[2] = b':';
            buf[5] = b':';
            put_digits(i64::from(h), 2, buf, 0);
            put_digits(i64::from(mi), 2, buf, 3);
            put_digits(i64::from(sec), 2, buf, 6);
            return Some(if field == TsField::TimeHms { 8 } else { 5 });
        }
    };
    put_digits(v, n, buf, 0).then_some(n)
}

/// Value of the two digits at `line[at..at + 2]`, when both are digits.
#[inline]
fn two_digits(line: &[u8], at: usize) -> Option<u32> {
    match line.get(at..at + 2) {
        Some(&[a, b]) if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        }
        _ => None,
    }
}

/// Longest digit run checked against the timestamp's renderings (the
/// longest rendering, Unix milliseconds, has 13 digits).
const TS_RUN_MAX: usize = 16;

/// In [`RunValues`], a length no rendering has: larger than any value of
/// [`TS_RUN_MAX`] digits.
const NO_RENDERING: u64 = u64::MAX;

/// Per digit-run length up to [`TS_RUN_MAX`], the value a run of that
/// length has when it starts a rendering of one entry's timestamp, or
/// [`NO_RENDERING`]. A lookup and at most one comparison set almost every
/// run aside: run lengths vary from run to run, and a jump to a check per
/// length is a guess the CPU mostly gets wrong.
type RunValues = [u64; TS_RUN_MAX + 1];

/// Splits lines into skeleton and digits. Keeps the calendar fields of the
/// last second it saw, since consecutive entries mostly share it.
#[derive(Debug, Default)]
pub struct LineEncoder {
    cal: CivilCache,
}

impl LineEncoder {
    /// A new encoder.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn civil(&mut self, ts: i64) -> (i64, u32, u32, u32, u32, u32) {
        self.cal.get(ts)
    }

    /// The run values of the renderings of `ts`: its fractions, Unix
    /// seconds and milliseconds, the year a date begins with and the hour
    /// a time begins with.
    #[inline]
    fn run_values(&mut self, ts: i64) -> RunValues {
        let mut v = [NO_RENDERING; TS_RUN_MAX + 1];
        let nanos = ts.rem_euclid(NS) as u64;
        v[9] = nanos;
        v[6] = nanos / 1_000;
        v[3] = nanos / 1_000_000;
        if let Ok(s) = u64::try_from(ts.div_euclid(NS)) {
            v[10] = s;
        }
        if let Ok(ms) = u64::try_from(ts.div_euclid(1_000_000)) {
            v[13] = ms;
        }
        let (y, _, _, h, _, _) = self.civil(ts);
        if let Ok(y) = u64::try_from(y) {
            v[4] = y;
        }
        v[2] = u64::from(h);
        v
    }

    /// The timestamp rendering that begins with the maximal run of `len`
    /// digits ending at `line[end]`, given that the run's value is the one
    /// [`Self::run_values`] has for its length, with the end of the text
    /// the rendering covers. Dates and times also need their other fields.
    #[inline]
    fn ts_field(
        &mut self,
        line: &[u8],
        end: usize,
        len: usize,
        ts: i64,
    ) -> Option<(TsField, usize)> {
        let field = match len {
            9 => TsField::Nanos,
            6 => TsField::Micros,
            3 => TsField::Millis,
            10 => TsField::UnixSeconds,
            13 => TsField::UnixMillis,
            4 => {
                let sep = *line.get(end)?;
                let field = match sep {
                    b'-' => TsField::DateDash,
                    b'/' => TsField::DateSlash,
                    _ => return None,
                };
                let (_, mo, d, ..) = self.civil(ts);
                let whole = two_digits(line, end + 1) == Some(mo)
                    && line.get(end + 3) == Some(&sep)
                    && two_digits(line, end + 4) == Some(d)
                    && !line.get(end + 6).is_some_and(u8::is_ascii_digit);
                return whole.then_some((field, end + 6));
            }
            2 => {
                if line.get(end) != Some(&b':') {
                    return None;
                }
                let (.., mi, sec) = self.civil(ts);
                if two_digits(line, end + 1) != Some(mi) {
                    return None;
                }
                let after_hm = end + 3;
                return match line.get(after_hm) {
                    Some(b':')
                        if two_digits(line, after_hm + 1) == Some(sec)
                            && !line.get(after_hm + 3).is_some_and(u8::is_ascii_digit) =>
                    {
                        Some((TsField::TimeHms, after_hm + 3))
                    }
                    Some(c) if c.is_ascii_digit() => None,
                    _ => Some((TsField::TimeHm, after_hm)),
                };
            }
            _ => return None,
        };
        Some((field, end))
    }

    /// Splits one line (with its entry timestamp) into skeleton and digits,
    /// appending to both.
    pub fn encode_line(&mut self, line: &[u8], ts: i64, skel: &mut Vec<u8>, digits: &mut Vec<u8>) {
        let n = line.len();
        // Room in both outputs lets every copy store a whole 16-byte
        // window. The skeleton never outgrows the line: literals are copied
        // 1:1, a run of k digits leaves at most k placeholder bytes, and a
        // 2-byte timestamp placeholder covers at least 3 characters.
        let (sb, db) = (skel.len(), digits.len());
        skel.resize(sb + n + SLACK, 0);
        digits.resize(db + n + SLACK, 0);
        let (mut w, mut dw) = (sb, db);
        let values = self.run_values(ts);
        let mut i = 0;
        while i < n {
            // Store 16 bytes on the chance they hold no digit; keep the
            // part before the first digit.
            let win = window(line, i);
            let mask = digit_bits(&win);
            store16(skel, w, &win);
            if mask == 0 {
                let k = (n - i).min(16);
                w += k;
                i += k;
                continue;
            }
            let k = mask.trailing_zeros() as usize;
            w += k;
            let start = i + k;
            // The run ends at the first non-digit, most often in the same
            // window (a window is zero-padded past the line's end, and a
            // zero ends any run).
            let ones = (!(mask >> k)).trailing_zeros() as usize;
            let mut end = start + ones;
            if k + ones == 16 {
                loop {
                    let r = (!digit_bits(&window(line, end))).trailing_zeros() as usize;
                    end += r;
                    if r < 16 {
                        break;
                    }
                }
            }
            let len = end - start;
            // Most lengths have no rendering: the branch on that is
            // cheaper than reading the run.
            let expect = values.get(len).copied().unwrap_or(NO_RENDERING);
            if expect != NO_RENDERING && expect == digits_value(&window(line, start), len) {
                if let Some((f, covered)) = self.ts_field(line, end, len, ts) {
                    put_byte(skel, w, TS_ESCAPE);
                    put_byte(skel, w + 1, f as u8);
                    w += 2;
                    i = covered;
                    continue;
                }
            }
            let mut from = start;
            while from < end {
                store16(digits, dw, &window(line, from));
                let m = (end - from).min(16);
                dw += m;
                from += m;
            }
            let mut left = end - start;
            while left > 0 {
                let part = left.min(MAX_RUN);
                put_byte(skel, w, RUN_BASE + (part as u8 - 1));
                w += 1;
                left -= part;
            }
            i = end;
        }
        skel.truncate(w);
        digits.truncate(dw);
    }
}

/// Stores a whole window at `dst[at..]`; the caller keeps [`SLACK`] bytes
/// of room past what it means to keep.
#[inline(always)]
fn store16(dst: &mut [u8], at: usize, win: &[u8; 16]) {
    if let Some(d) = dst.get_mut(at..at + 16) {
        d.copy_from_slice(win);
    }
}

/// Padding that [`wild_copy`] and [`store16`] need past the end of the
/// ranges they mean to write (and [`wild_copy`] to read). Each output of
/// [`LineEncoder::encode_line`] needs room for the line's length plus this.
pub(crate) const SLACK: usize = 16;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The 16 bytes at `buf[at..]` as two little-endian words (both zero when
/// fewer than 16 bytes remain; callers pad their buffers).
#[inline(always)]
fn words16(buf: &[u8], at: usize) -> (u64, u64) {
    let mut a = [0u8; 16];
    if let Some(s) = buf.get(at..at + 16) {
        a.copy_from_slice(s);
    }
    let (lo, hi) = a.split_at(8);
    let mut l = [0u8; 8];
    let mut h = [0u8; 8];
    l.copy_from_slice(lo);
    h.copy_from_slice(hi);
    (u64::from_le_bytes(l), u64::from_le_bytes(h))
}

/// Index of the first flagged byte of a 16-byte chunk (16 if none), given
/// per-word masks whose lowest set high bit marks it.
#[inline(always)]
fn first_flag(lo: u64, hi: u64) -> usize {
    if lo != 0 {
        lo.trailing_zeros() as usize / 8
    } else if hi != 0 {
        8 + hi.trailing_zeros() as usize / 8
    } else {
        16
    }
}

/// Flags bytes `>= 0xF5` (placeholders); exact for every byte.
#[inline(always)]
fn placeholder_mask(w: u64) -> u64 {
    ((w & !HIGH).wrapping_add(0x0b * ONES)) & w & HIGH
}

/// Copies `len` bytes from `src[s..]` to `dst[d..]` in 16-byte chunks,
/// which beats a `memcpy` call for the short spans between digit runs.
/// Both slices must extend [`SLACK`] bytes past the range (up to 15 bytes
/// past `d + len` are overwritten); returns false, copying less, if not.
#[inline(always)]
fn wild_copy(dst: &mut [u8], d: usize, src: &[u8], s: usize, len: usize) -> bool {
    let mut k = 0;
    while k < len {
        match (dst.get_mut(d + k..d + k + 16), src.get(s + k..s + k + 16)) {
            (Some(a), Some(b)) => a.copy_from_slice(b),
            _ => return false,
        }
        k += 16;
    }
    true
}

#[inline(always)]
fn put_byte(dst: &mut [u8], at: usize, b: u8) {
    if let Some(x) = dst.get_mut(at) {
        *x = b;
    }
}

/// Rebuilds the concatenation of all lines from skeleton and digits.
/// `ts[i]` and `ends[i]` (cumulative end offset of line `i`) describe the
/// entries; the output must come out exactly `ends.last()` bytes long.
/// `skel` and `digits` are padded during the call and restored after.
pub fn decode_lines(
    skel: &mut Vec<u8>,
    digits: &mut Vec<u8>,
    ts: &[i64],
    ends: &[u32],
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    let (skel_len, digits_len) = (skel.len(), digits.len());
    skel.resize(skel_len + SLACK, 0);
    digits.resize(digits_len + SLACK, 0);
    let res = decode_padded(skel, skel_len, digits, digits_len, ts, ends, out);
    skel.truncate(skel_len);
    digits.truncate(digits_len);
    res
}

fn decode_padded(
    skel: &[u8],
    skel_len: usize,
    digits: &[u8],
    digits_len: usize,
    ts: &[i64],
    ends: &[u32],
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    let total = ends.last().map_or(0, |&e| e as usize);
    out.clear();
    out.resize(total + SLACK, 0);
    let too_long = CodecError::Invalid("line skeleton length");
    let mut w = 0;
    let mut p = 0;
    let mut d = 0;
    let mut line = 0;
    let mut buf = [0u8; 16];
    let mut cal = CivilCache::default();
    while p < skel_len {
        // Copy 16 skeleton bytes on the chance they hold no placeholder;
        // keep the part before the first one.
        let (lo, hi) = words16(skel, p);
        wild_copy(out, w, skel, p, 16);
        let q = first_flag(placeholder_mask(lo), placeholder_mask(hi)).min(skel_len - p);
        if w + q > total {
            return Err(too_long);
        }
        w += q;
        p += q;
        if q == 16 {
            continue;
        }
        let Some(&b) = skel.get(p).filter(|_| p < skel_len) else {
            break;
        };
        p += 1;
        if b != TS_ESCAPE {
            let n = usize::from(b - RUN_BASE) + 1;
            if d + n > digits_len {
                return Err(CodecError::Truncated("digits stream"));
            }
            if w + n > total {
                return Err(too_long);
            }
            wild_copy(out, w, digits, d, n);
            w += n;
            d += n;
        } else {
            while ends.get(line).is_some_and(|&e| e as usize <= w) {
                line += 1;
            }
            let field = skel
                .get(p)
                .filter(|_| p < skel_len)
                .and_then(|&k| TsField::from_byte(k))
                .ok_or(CodecError::Invalid("timestamp placeholder"))?;
            p += 1;
            let t = *ts
                .get(line)
                .ok_or(CodecError::Invalid("timestamp placeholder"))?;
            let n = render(field, t, &mut cal, &mut buf)
                .ok_or(CodecError::Invalid("timestamp placeholder"))?;
            if w + n > total {
                return Err(too_long);
            }
            wild_copy(out, w, &buf, 0, n);
            w += n;
        }
    }
    out.truncate(total);
    if w != total {
        return Err(too_long);
    }
    if d != digits_len {
        return Err(CodecError::Invalid("digits stream length"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(lines: &[(&str, i64)]) -> (Vec<u8>, Vec<u8>) {
        let (mut skel, mut digits) = (Vec::new(), Vec::new());
        let mut ts = Vec::new();
        let mut ends = Vec::new();
        let mut total = 0u32;
        let mut enc = LineEncoder::new();
        for (l, t) in lines {
            enc.encode_line(l.as_bytes(), *t, &mut skel, &mut digits);
            ts.push(*t);
            total += l.len() as u32;
            ends.push(total);
        }
        let mut out = Vec::new();
        decode_lines(&mut skel, &mut digits, &ts, &ends, &mut out).unwrap();
        let want: String = lines.iter().map(|(l, _)| *l).collect();
        assert_eq!(String::from_utf8(out).unwrap(), want);
        (skel, digits)
    }

    /// The split computed byte by byte: what the windowed loop of
    /// [`LineEncoder::encode_line`] must produce.
    fn encode_slowly(line: &[u8], ts: i64) -> (Vec<u8>, Vec<u8>) {
        let (mut skel, mut digits) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < line.len() {
            if !line[i].is_ascii_digit() {
                skel.push(line[i]);
                i += 1;
                continue;
            }
            let start = i;
            let mut end = i;
            while end < line.len() && line[end].is_ascii_digit() {
                end += 1;
            }
            if let Some((f, covered)) = rendering_at(line, start, end, ts) {
                skel.extend([TS_ESCAPE, f as u8]);
                i = covered;
                continue;
            }
            digits.extend_from_slice(&line[start..end]);
            for part in line[start..end].chunks(MAX_RUN) {
                skel.push(RUN_BASE + part.len() as u8 - 1);
            }
            i = end;
        }
        (skel, digits)
    }

    /// The rendering of `ts` that the maximal digit run `line[start..end]`
    /// begins, found by rendering every kind and comparing text: the
    /// first kind (in placeholder order) whose text starts there, has its
    /// first digit group exactly the run and is not followed by a digit.
    fn rendering_at(line: &[u8], start: usize, end: usize, ts: i64) -> Option<(TsField, usize)> {
        let mut cal = CivilCache::default();
        (1..=9).filter_map(TsField::from_byte).find_map(|f| {
            let mut text = [0u8; 16];
            let n = render(f, ts, &mut cal, &mut text)?;
            let first_group = text[..n].iter().take_while(|c| c.is_ascii_digit()).count();
            let fits = end - start == first_group
                && line.get(start..start + n) == Some(&text[..n])
                && !line.get(start + n).is_some_and(u8::is_ascii_digit);
            fits.then_some((f, start + n))
        })
    }

    fn assert_splits_like_the_reference(lines: &[(String, i64)]) {
        let mut enc = LineEncoder::new();
        // Appending to outputs that already hold data must not disturb it.
        let (mut skel, mut digits) = (b"prefix".to_vec(), b"12".to_vec());
        for (line, ts) in lines {
            let (s0, d0) = (skel.len(), digits.len());
            enc.encode_line(line.as_bytes(), *ts, &mut skel, &mut digits);
            let (want_skel, want_digits) = encode_slowly(line.as_bytes(), *ts);
            assert_eq!(&skel[s0..], &want_skel[..], "{line:?}");
            assert_eq!(&digits[d0..], &want_digits[..], "{line:?}");
        }
        assert!(skel.starts_with(b"prefix") && digits.starts_with(b"12"));
    }

    #[test]
    fn windows_split_like_the_byte_by_byte_reference() {
        // 2026-11-23T16:00:00.012140406Z
        let ts = 1_795_449_600_012_140_406;
        let mut lines: Vec<(String, i64)> = [
            "",
            "7",
            "no digits at all, but longer than one window",
            "123456789012345678901234567890123456789",
            "a1234567890123456",
            "x 2026-11-23T16:00:00.012140406Z 1795449600012 16:00 16:00:00",
            "{\"Duration\":29602959,\"StartUTC\":\"2026-11-23T16:00:00.012140406Z\"}",
            "é1日2\u{1F600}3",
        ]
        .iter()
        .map(|l| (l.to_string(), ts))
        .collect();
        // Runs ending at, across and just after every window boundary.
        for len in 0..40 {
            for at in 0..20 {
                lines.push((format!("{}{}x", "a".repeat(at), "9".repeat(len)), ts));
            }
        }
        assert_splits_like_the_reference(&lines);
    }

    #[test]
    fn digits_move_to_their_own_stream() {
        let (skel, digits) = round_trip(&[("id=123456789012 took 7ms", 5)]);
        assert_eq!(digits, b"1234567890127");
        assert_eq!(
            skel,
            [&b"id="[..], &[0xFE, 0xF6], b" took ", &[0xF5], b"ms"].concat()
        );
    }

    #[test]
    fn own_timestamp_renderings_store_no_digits() {
        // 2026-11-23T16:00:00.012140406Z
        let ts = 1_795_449_600_012_140_406;
        let cases = [
            ("t=2026-11-23T16:00:00.012140406Z", Vec::new()),
            ("t=16:00:00.012140Z", Vec::new()),
            ("t=Nov 23 17:00:00.012+01:00", b"231700000100".to_vec()),
            ("d=2026/11/23 16:00 16:00:01", b"01".to_vec()),
            ("n=23 16 00 2026-11-230", b"231600202611230".to_vec()),
            ("ts=1795449600.012140", Vec::new()),
            ("ms=1795449600012", Vec::new()),
            ("other=012140407 2025", b"0121404072025".to_vec()),
        ];
        for (line, want_digits) in cases {
            let (_, digits) = round_trip(&[(line, ts)]);
            assert_eq!(digits, want_digits, "{line}");
        }
    }

    #[test]
    fn timestamp_placeholders_follow_their_line() {
        round_trip(&[
            ("", 1),
            ("a 000000001", 1),
            ("", 2),
            ("000000002 b", 2),
            ("000000003", 3),
            ("x", 4),
        ]);
    }

    #[test]
    fn negative_timestamps_and_unicode() {
        round_trip(&[("é 999999999 日本 12", -1), ("\u{7f}0", i64::MIN)]);
    }

    #[test]
    fn damaged_streams_are_errors() {
        type Case<'a> = (&'a [u8], &'a [u8], &'a [i64], &'a [u32]);
        let cases: &[Case] = &[
            (&[b'a', 0xF7], b"12", &[0], &[3]),
            (&[b'a', 0xF5], b"12", &[0], &[2]),
            (&[0xFF, 1], b"", &[], &[]),
            (&[0xFF], b"", &[0], &[9]),
            (&[0xFF, 0xF5], b"", &[0], &[9]),
            (b"abc", b"", &[0], &[2]),
            (b"abc", b"", &[0], &[4]),
        ];
        for (skel, digits, ts, ends) in cases {
            let (mut s, mut d) = (skel.to_vec(), digits.to_vec());
            let mut out = Vec::new();
            assert!(
                decode_lines(&mut s, &mut d, ts, ends, &mut out).is_err(),
                "{skel:?}"
            );
            assert_eq!((&s[..], &d[..]), (*skel, *digits));
        }
    }

    #[test]
    fn word_masks_find_the_first_placeholder() {
        let all: Vec<u8> = (0..=255).chain(0..=255).collect();
        for i in 0..=256 {
            let (lo, hi) = words16(&all, i);
            let chunk = &all[i..i + 16];
            let want = |f: &dyn Fn(u8) -> bool| chunk.iter().position(|&b| f(b)).unwrap_or(16);
            assert_eq!(
                first_flag(placeholder_mask(lo), placeholder_mask(hi)),
                want(&|b| b >= RUN_BASE),
                "{i}"
            );
        }
        assert_eq!(words16(b"short", 0), (0, 0));
    }

    #[test]
    fn date_and_time_groups_render_whole() {
        let mut buf = [0u8; 16];
        let mut cal = CivilCache::default();
        let ts = 1_795_449_605_000_000_000;
        let mut r = |f| render(f, ts, &mut cal, &mut buf).map(|n| buf[..n].to_vec());
        assert_eq!(r(TsField::DateDash), Some(b"2026-11-23".to_vec()));
        assert_eq!(r(TsField::TimeHms), Some(b"16:00:05".to_vec()));
        assert_eq!(r(TsField::TimeHm), Some(b"16:00".to_vec()));
        assert_eq!(render(TsField::UnixSeconds, -5, &mut cal, &mut buf), None);
    }

    #[test]
    fn civil_fields_match_chrono() {
        for ts in [
            0i64,
            1_795_449_600_012_140_406,
            -1,
            -86_400_000_000_001,
            951_782_400 * NS,
            i64::MAX,
            i64::MIN,
        ] {
            let dt = chrono::DateTime::from_timestamp_nanos(ts);
            use chrono::{Datelike, Timelike};
            let want = (
                i64::from(dt.year()),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
            );
            assert_eq!(civil(ts), want, "{ts}");
        }
    }

    proptest! {
        #[test]
        fn lines_round_trip(lines in proptest::collection::vec(("[0-9a-z.:é \u{1F600}]{0,60}", any::<i64>()), 0..20)) {
            let v: Vec<(&str, i64)> = lines.iter().map(|(l, t)| (l.as_str(), *t)).collect();
            round_trip(&v);
        }

        #[test]
        fn digit_heavy_lines_split_like_the_reference(
            lines in proptest::collection::vec(
                ("([0-9]{0,24}[-:/. a-zé]{0,3}){0,12}", 1_795_449_600_000_000_000i64..1_795_536_000_000_000_000),
                0..10,
            )
        ) {
            assert_splits_like_the_reference(&lines);
        }

        #[test]
        fn lines_with_timestamp_renderings_split_like_the_reference(
            ts in -2_000_000_000_000_000_000i64..4_000_000_000_000_000_000,
            parts in proptest::collection::vec((1u8..=9, 0u8..6, "[-:/. xT]{0,2}"), 0..12),
        ) {
            // Renderings of the entry's own timestamp, whole or spoiled: a
            // digit changed, a digit before or after, cut short.
            let mut cal = CivilCache::default();
            let mut line = String::new();
            for (kind, spoil, filler) in &parts {
                let Some(f) = TsField::from_byte(*kind) else { continue };
                let mut text = [0u8; 16];
                let Some(n) = render(f, ts, &mut cal, &mut text) else { continue };
                let mut r = String::from_utf8(text[..n].to_vec()).unwrap();
                match spoil {
                    1 => r = r.replacen('0', "1", 1).replacen('9', "0", 1),
                    2 => r.insert(0, '7'),
                    3 => r.push('7'),
                    4 => r.truncate(n - 1),
                    _ => {}
                }
                line.push_str(&r);
                line.push_str(filler);
            }
            assert_splits_like_the_reference(&[(line, ts)]);
        }

        #[test]
        fn random_bytes_never_panic(skel in proptest::collection::vec(any::<u8>(), 0..200),
                                    digits in proptest::collection::vec(any::<u8>(), 0..50),
                                    n in 0usize..10) {
            let ts: Vec<i64> = (0..n as i64).collect();
            let ends: Vec<u32> = (0..n as u32).map(|i| i * 7).collect();
            let (mut skel, mut digits) = (skel, digits);
            let mut out = Vec::new();
            let _ = decode_lines(&mut skel, &mut digits, &ts, &ends, &mut out);
        }
    }
}

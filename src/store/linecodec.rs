//! The line transform that makes log blocks compress well and fast: every run
//! of ASCII digits is moved out of the line text into a separate *digits*
//! stream, leaving a one-byte placeholder in the *skeleton* stream.
//!
//! Log lines of one stream share their text and differ mostly in numbers
//! (ids, durations, addresses, timestamps). Without the numbers the skeletons
//! repeat almost verbatim and zstd shrinks them 25-90x at several GB/s; the
//! digits compress on their own (near their entropy) instead of breaking
//! every match of the text. Digit runs equal to a rendering of the entry's
//! own timestamp (nanosecond, microsecond or millisecond fraction, Unix
//! seconds or milliseconds) are replaced by a placeholder that names the
//! rendering and store no digits at all.
//!
//! Placeholders use bytes that never occur in UTF-8 (`0xC0`, `0xC1`,
//! `0xF5..=0xFF`), so no escaping is needed: lines are Rust strings.

use super::error::CodecError;

/// `0xF5..=0xFC`: a run of 1..=8 digits taken from the digits stream.
const RUN_BASE: u8 = 0xF5;
/// Longest run one placeholder covers; longer runs use several.
const MAX_RUN: usize = 8;
/// The entry timestamp's nanosecond fraction, 9 digits.
const TS_NANOS: u8 = 0xFD;
/// The entry timestamp's microsecond fraction, 6 digits.
const TS_MICROS: u8 = 0xFE;
/// The entry timestamp's millisecond fraction, 3 digits.
const TS_MILLIS: u8 = 0xFF;
/// The entry timestamp in Unix seconds, 10 digits.
const TS_UNIX_SECONDS: u8 = 0xC0;
/// The entry timestamp in Unix milliseconds, 13 digits.
const TS_UNIX_MILLIS: u8 = 0xC1;

const NS: i64 = 1_000_000_000;

#[inline]
fn is_placeholder(b: u8) -> bool {
    b >= RUN_BASE || b == TS_UNIX_SECONDS || b == TS_UNIX_MILLIS
}

/// Writes `v` as exactly `N` decimal digits (zero-padded; `v < 10^N`).
#[inline]
fn fixed_digits<const N: usize>(mut v: u64) -> [u8; N] {
    let mut a = [b'0'; N];
    for d in a.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    a
}

/// The rendering of `ts` a timestamp placeholder stands for, if any.
#[inline]
fn render(kind: u8, ts: i64) -> Option<Rendered> {
    let frac = ts.rem_euclid(NS) as u64;
    let secs = ts.div_euclid(NS);
    match kind {
        TS_NANOS => Some(Rendered::new(&fixed_digits::<9>(frac))),
        TS_MICROS => Some(Rendered::new(&fixed_digits::<6>(frac / 1_000))),
        TS_MILLIS => Some(Rendered::new(&fixed_digits::<3>(frac / 1_000_000))),
        TS_UNIX_SECONDS if (1_000_000_000..10_000_000_000).contains(&secs) => {
            Some(Rendered::new(&fixed_digits::<10>(secs as u64)))
        }
        TS_UNIX_MILLIS => {
            let ms = ts.div_euclid(1_000_000);
            (1_000_000_000_000..10_000_000_000_000)
                .contains(&ms)
                .then(|| Rendered::new(&fixed_digits::<13>(ms as u64)))
        }
        _ => None,
    }
}

/// A small inline digit string.
struct Rendered {
    buf: [u8; 13],
    len: usize,
}

impl Rendered {
    fn new(d: &[u8]) -> Self {
        let mut buf = [0u8; 13];
        let len = d.len().min(13);
        buf[..len].copy_from_slice(&d[..len]);
        Rendered { buf, len }
    }
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The timestamp placeholder for a digit run of this length, if one exists.
#[inline]
fn ts_kind_for_len(n: usize) -> Option<u8> {
    match n {
        9 => Some(TS_NANOS),
        6 => Some(TS_MICROS),
        3 => Some(TS_MILLIS),
        10 => Some(TS_UNIX_SECONDS),
        13 => Some(TS_UNIX_MILLIS),
        _ => None,
    }
}

/// Splits one line (with its entry timestamp) into skeleton and digits,
/// appending to both.
pub fn encode_line(line: &[u8], ts: i64, skel: &mut Vec<u8>, digits: &mut Vec<u8>) {
    let n = line.len();
    let mut lit = 0;
    let mut i = 0;
    while i < n {
        if !line[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        skel.extend_from_slice(&line[lit..i]);
        let start = i;
        while i < n && line[i].is_ascii_digit() {
            i += 1;
        }
        let run = &line[start..i];
        lit = i;
        if let Some(kind) = ts_kind_for_len(run.len()) {
            if render(kind, ts).is_some_and(|r| r.as_slice() == run) {
                skel.push(kind);
                continue;
            }
        }
        digits.extend_from_slice(run);
        for part in run.chunks(MAX_RUN) {
            skel.push(RUN_BASE + (part.len() as u8 - 1));
        }
    }
    skel.extend_from_slice(&line[lit..]);
}

/// Position of the first placeholder byte in `s`, scanning eight bytes at a
/// time while they are all ASCII.
#[inline]
fn find_placeholder(s: &[u8]) -> Option<usize> {
    let mut base = 0;
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        if u64::from_le_bytes(a) & 0x8080_8080_8080_8080 != 0 {
            if let Some(p) = w.iter().position(|&b| is_placeholder(b)) {
                return Some(base + p);
            }
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| is_placeholder(b))
        .map(|p| base + p)
}

/// Rebuilds the concatenation of all lines from skeleton and digits.
/// `ts[i]` and `ends[i]` (cumulative end offset of line `i`) describe the
/// entries; the output must come out exactly `ends.last()` bytes long.
pub fn decode_lines(
    skel: &[u8],
    digits: &[u8],
    ts: &[i64],
    ends: &[u32],
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    let total = ends.last().map_or(0, |&e| e as usize);
    out.clear();
    out.reserve(total);
    let mut p = 0;
    let mut d = 0;
    let mut line = 0;
    while p < skel.len() {
        let rest = &skel[p..];
        let Some(q) = find_placeholder(rest) else {
            out.extend_from_slice(rest);
            break;
        };
        out.extend_from_slice(&rest[..q]);
        let b = rest[q];
        p += q + 1;
        if (RUN_BASE..RUN_BASE + MAX_RUN as u8).contains(&b) {
            let n = usize::from(b - RUN_BASE) + 1;
            let run = digits
                .get(d..d + n)
                .ok_or(CodecError::Truncated("digits stream"))?;
            out.extend_from_slice(run);
            d += n;
        } else {
            while ends.get(line).is_some_and(|&e| e as usize <= out.len()) {
                line += 1;
            }
            let t = *ts
                .get(line)
                .ok_or(CodecError::Invalid("timestamp placeholder"))?;
            let r = render(b, t).ok_or(CodecError::Invalid("timestamp placeholder"))?;
            out.extend_from_slice(r.as_slice());
        }
        if out.len() > total {
            return Err(CodecError::Invalid("line skeleton length"));
        }
    }
    if out.len() != total {
        return Err(CodecError::Invalid("line skeleton length"));
    }
    if d != digits.len() {
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
        for (l, t) in lines {
            encode_line(l.as_bytes(), *t, &mut skel, &mut digits);
            ts.push(*t);
            total += l.len() as u32;
            ends.push(total);
        }
        let mut out = Vec::new();
        decode_lines(&skel, &digits, &ts, &ends, &mut out).unwrap();
        let want: String = lines.iter().map(|(l, _)| *l).collect();
        assert_eq!(String::from_utf8(out).unwrap(), want);
        (skel, digits)
    }

    #[test]
    fn digits_move_to_their_own_stream() {
        let (skel, digits) = round_trip(&[("id=123456789012 took 7ms", 5)]);
        assert_eq!(digits, b"1234567890127");
        assert_eq!(
            skel,
            [&b"id="[..], &[0xFC, 0xF8], b" took ", &[0xF5], b"ms"].concat()
        );
    }

    #[test]
    fn own_timestamp_renderings_store_no_digits() {
        // 2026-11-23T16:00:00.012140406Z
        let ts = 1_795_449_600_012_140_406;
        let cases = [
            ("t=2026-11-23T16:00:00.012140406Z", b"20261123160000".to_vec()),
            ("t=16:00:00.012140Z", b"160000".to_vec()),
            ("t=16:00:00.012Z", b"160000".to_vec()),
            ("ts=1795449600.012140", Vec::new()),
            ("ms=1795449600012", Vec::new()),
            ("other=012140407", b"012140407".to_vec()),
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
        let (skel, digits) = (vec![b'a', 0xF7], b"12".to_vec());
        let mut out = Vec::new();
        assert!(decode_lines(&skel, &digits, &[0], &[3], &mut out).is_err());
        assert!(decode_lines(&[b'a', 0xF5], b"12", &[0], &[2], &mut out).is_err());
        assert!(decode_lines(&[0xFD], b"", &[], &[], &mut out).is_err());
        assert!(decode_lines(b"abc", b"", &[0], &[2], &mut out).is_err());
    }

    proptest! {
        #[test]
        fn lines_round_trip(lines in proptest::collection::vec(("[0-9a-z.:é \u{1F600}]{0,60}", any::<i64>()), 0..20)) {
            let v: Vec<(&str, i64)> = lines.iter().map(|(l, t)| (l.as_str(), *t)).collect();
            round_trip(&v);
        }

        #[test]
        fn random_bytes_never_panic(skel in proptest::collection::vec(any::<u8>(), 0..200),
                                    digits in proptest::collection::vec(any::<u8>(), 0..50),
                                    n in 0usize..10) {
            let ts: Vec<i64> = (0..n as i64).collect();
            let ends: Vec<u32> = (0..n as u32).map(|i| i * 7).collect();
            let mut out = Vec::new();
            let _ = decode_lines(&skel, &digits, &ts, &ends, &mut out);
        }
    }
}

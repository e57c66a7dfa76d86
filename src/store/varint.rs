//! Little-endian and LEB128 varint primitives plus a bounds-checked reader:
//! every decoder in the store parses bytes through [`Reader`], so a short or
//! malformed buffer becomes a [`CodecError`], never a panic.

use super::error::CodecError;

/// Appends `v` as an unsigned LEB128 varint (7 bits per byte, low first).
#[inline]
pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Maps a signed value to unsigned so small magnitudes stay small.
#[inline]
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`zigzag`].
#[inline]
pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends a length-prefixed byte string (uvarint length, then the bytes).
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_uvarint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Appends `values` as byte planes: one byte giving the width `w` (bytes
/// needed by the largest value, 0..=8), then for each byte position
/// `b < w`, byte `b` (little-endian significance) of every value. Numbers
/// of similar size then give zstd planes of uniform statistics: the high
/// planes are nearly constant, the low ones nearly random, instead of
/// varint bytes of every kind mixed in one Huffman table.
pub fn put_planes(out: &mut Vec<u8>, values: &[u64]) {
    let max = values.iter().fold(0u64, |m, &v| m | v);
    let width = (8 - max.leading_zeros() as usize / 8).min(8);
    out.push(width as u8);
    out.reserve(width * values.len());
    for b in 0..width {
        let shift = 8 * b;
        out.extend(values.iter().map(|&v| (v >> shift) as u8));
    }
}

/// Reads `n` values written by [`put_planes`] (the whole of `raw`).
pub fn read_planes(raw: &[u8], n: usize, out: &mut Vec<u64>) -> Result<(), CodecError> {
    out.clear();
    let (&width, planes) = raw
        .split_first()
        .ok_or(CodecError::Truncated("byte planes"))?;
    let width = usize::from(width);
    if width > 8 || Some(planes.len()) != width.checked_mul(n) {
        return Err(CodecError::Invalid("byte planes"));
    }
    out.resize(n, 0);
    for (b, plane) in planes.chunks_exact(n.max(1)).enumerate().take(width) {
        let shift = 8 * b;
        for (v, &byte) in out.iter_mut().zip(plane) {
            *v |= u64::from(byte) << shift;
        }
    }
    Ok(())
}

/// A cursor over a byte slice whose every read is bounds-checked.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The unread rest of the buffer.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Takes the next `n` bytes.
    #[inline]
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(CodecError::Truncated(what))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Takes a fixed-size array.
    #[inline]
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], CodecError> {
        let s = self.bytes(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self, what: &'static str) -> Result<u8, CodecError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A little-endian u32.
    #[inline]
    pub fn u32(&mut self, what: &'static str) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// A little-endian u64.
    #[inline]
    pub fn u64(&mut self, what: &'static str) -> Result<u64, CodecError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A little-endian i64.
    #[inline]
    pub fn i64(&mut self, what: &'static str) -> Result<i64, CodecError> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }

    /// An unsigned LEB128 varint of at most 10 bytes.
    #[inline]
    pub fn uvarint(&mut self, what: &'static str) -> Result<u64, CodecError> {
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = *self.buf.get(self.pos).ok_or(CodecError::Truncated(what))?;
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(CodecError::Invalid(what));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return Err(CodecError::Invalid(what));
            }
        }
    }

    /// A varint that must fit `usize` and be at most `max`.
    #[inline]
    pub fn len(&mut self, max: usize, what: &'static str) -> Result<usize, CodecError> {
        let v = self.uvarint(what)?;
        usize::try_from(v)
            .ok()
            .filter(|&n| n <= max)
            .ok_or(CodecError::Invalid(what))
    }

    /// A length-prefixed byte string.
    pub fn len_bytes(&mut self, what: &'static str) -> Result<&'a [u8], CodecError> {
        let n = self.len(self.remaining(), what)?;
        self.bytes(n, what)
    }

    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self, what: &'static str) -> Result<&'a str, CodecError> {
        std::str::from_utf8(self.len_bytes(what)?).map_err(|_| CodecError::Invalid(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varint_table() {
        let cases: &[(u64, &[u8])] = &[
            (0, &[0]),
            (1, &[1]),
            (127, &[0x7f]),
            (128, &[0x80, 1]),
            (300, &[0xac, 0x02]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ];
        for (v, enc) in cases {
            let mut out = Vec::new();
            put_uvarint(&mut out, *v);
            assert_eq!(&out[..], *enc, "{v}");
            assert_eq!(Reader::new(enc).uvarint("v"), Ok(*v));
        }
    }

    #[test]
    fn overlong_and_truncated_varints_are_errors() {
        let too_long = [0xffu8; 11];
        assert!(Reader::new(&too_long).uvarint("v").is_err());
        let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(Reader::new(&overflow).uvarint("v").is_err());
        assert_eq!(
            Reader::new(&[0x80]).uvarint("v"),
            Err(CodecError::Truncated("v"))
        );
        assert!(Reader::new(&[5, b'a']).len_bytes("s").is_err());
    }

    proptest! {
        #[test]
        fn zigzag_round_trips(v in any::<i64>()) {
            prop_assert_eq!(unzigzag(zigzag(v)), v);
        }

        #[test]
        fn planes_round_trip(values in proptest::collection::vec(any::<u64>().prop_map(|v| v >> (v % 64)), 0..50)) {
            let mut out = Vec::new();
            put_planes(&mut out, &values);
            let mut back = Vec::new();
            read_planes(&out, values.len(), &mut back).unwrap();
            prop_assert_eq!(&back, &values);
            if values.iter().any(|&v| v != 0) {
                prop_assert!(read_planes(&out, values.len() + 1, &mut Vec::new()).is_err());
            }
        }

        #[test]
        fn uvarint_round_trips(v in any::<u64>()) {
            let mut out = Vec::new();
            put_uvarint(&mut out, v);
            let mut r = Reader::new(&out);
            prop_assert_eq!(r.uvarint("v"), Ok(v));
            prop_assert!(r.is_empty());
        }
    }
}

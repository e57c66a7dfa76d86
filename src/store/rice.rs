//! Rice coding of unsigned integers: each value `v` is its quotient
//! `v >> k` in unary (ones ended by a zero) followed by its `k` low bits.
//! For the gaps between log timestamps, which are roughly exponentially
//! distributed, this costs about `log2(mean) + 2` bits per value: close to
//! their entropy and 15-20% below varint bytes even after zstd. Quotients of
//! [`ESCAPE`] or more are written as `ESCAPE` ones and the raw 64-bit value,
//! so an outlier costs 88 bits instead of a huge unary run.

use super::error::CodecError;

/// Quotients at or above this are escaped.
const ESCAPE: u32 = 24;

/// Appends bits least-significant first.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter<'_> {
    /// Writes the low `bits` (at most 32) bits of `v`.
    #[inline]
    fn put(&mut self, v: u64, bits: u32) {
        debug_assert!(bits <= 32);
        let v = if bits == 0 {
            0
        } else {
            v & (u64::MAX >> (64 - bits))
        };
        self.acc |= v << self.n;
        self.n += bits;
        // Fewer than 32 bits wait between calls, so at most 63 are held;
        // whole words leave at once, not a byte at a time.
        if self.n >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.n -= 32;
        }
    }

    /// Writes the low `bits` (at most 64) bits of `v`.
    #[inline]
    fn put_wide(&mut self, v: u64, bits: u32) {
        if bits > 32 {
            self.put(v, 32);
            self.put(v >> 32, bits - 32);
        } else {
            self.put(v, bits);
        }
    }

    fn finish(self) {
        let bytes = self.n.div_ceil(8) as usize;
        self.out
            .extend_from_slice(&self.acc.to_le_bytes()[..bytes.min(8)]);
    }
}

/// Reads bits least-significant first.
struct BitReader<'a> {
    buf: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
}

impl BitReader<'_> {
    /// Tops the accumulator up to at least 57 bits while input remains:
    /// eight bytes at once when possible. Bits above `n` stay zero.
    #[inline]
    fn refill(&mut self) {
        if self.n > 56 {
            return;
        }
        if let Some(s) = self.buf.get(self.pos..self.pos + 8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            let whole = (64 - self.n) / 8;
            let bits = whole * 8;
            let fresh = u64::from_le_bytes(a) & (u64::MAX >> (64 - bits));
            self.acc |= fresh << self.n;
            self.n += bits;
            self.pos += whole as usize;
            return;
        }
        while self.n <= 56 {
            let Some(&b) = self.buf.get(self.pos) else {
                return;
            };
            self.acc |= u64::from(b) << self.n;
            self.n += 8;
            self.pos += 1;
        }
    }

    /// Reads `bits` (at most 32) bits.
    #[inline]
    fn get(&mut self, bits: u32) -> Result<u64, CodecError> {
        if bits == 0 {
            return Ok(0);
        }
        self.refill();
        if self.n < bits {
            return Err(CodecError::Truncated("rice stream"));
        }
        let v = self.acc & (u64::MAX >> (64 - bits));
        self.acc >>= bits;
        self.n -= bits;
        Ok(v)
    }

    #[inline]
    fn get_wide(&mut self, bits: u32) -> Result<u64, CodecError> {
        if bits > 32 {
            let lo = self.get(32)?;
            Ok(lo | self.get(bits - 32)? << 32)
        } else {
            self.get(bits)
        }
    }

    /// Reads a unary quotient: ones up to a zero, or [`ESCAPE`] ones.
    #[inline]
    fn unary(&mut self) -> Result<u32, CodecError> {
        self.refill();
        let ones = (!self.acc).trailing_zeros().min(ESCAPE);
        let used = if ones == ESCAPE { ones } else { ones + 1 };
        if used > self.n {
            return Err(CodecError::Truncated("rice stream"));
        }
        self.acc = self.acc.checked_shr(used).unwrap_or(0);
        self.n -= used;
        Ok(ones)
    }

    /// One Rice-coded value with parameter `k`; the common case (a short
    /// quotient and `k` below 32) costs one refill and no branches beyond
    /// the check.
    #[inline]
    fn value(&mut self, k: u32) -> Result<u64, CodecError> {
        self.refill();
        let ones = (!self.acc).trailing_zeros();
        if ones < ESCAPE && k < 32 && ones + 1 + k <= self.n {
            let used = ones + 1 + k;
            let low = (self.acc >> (ones + 1)) & ((1u64 << k) - 1);
            self.acc = self.acc.checked_shr(used).unwrap_or(0);
            self.n -= used;
            return Ok(u64::from(ones) << k | low);
        }
        let q = self.unary()?;
        if q == ESCAPE {
            self.get_wide(64)
        } else {
            Ok(u64::from(q) << k | self.get_wide(k)?)
        }
    }
}

/// Bits [`encode`] would spend on `values` with parameter `k`.
fn cost(values: &[u64], k: u32) -> u64 {
    values
        .iter()
        .map(|&v| {
            let q = v >> k;
            if q >= u64::from(ESCAPE) {
                u64::from(ESCAPE) + 64
            } else {
                q + 1 + u64::from(k)
            }
        })
        .sum()
}

/// Appends the parameter byte and the Rice code of every value, choosing
/// the parameter that gives the fewest bits.
pub fn encode(values: &[u64], out: &mut Vec<u8>) {
    let mean = if values.is_empty() {
        0
    } else {
        (values.iter().map(|&v| u128::from(v)).sum::<u128>() / values.len() as u128) as u64
    };
    let guess = 63 - (mean | 1).leading_zeros();
    let k = (guess.saturating_sub(2)..=(guess + 1).min(63))
        .min_by_key(|&k| cost(values, k))
        .unwrap_or(0);
    out.push(k as u8);
    let mut w = BitWriter { out, acc: 0, n: 0 };
    for &v in values {
        let q = v >> k;
        if q >= u64::from(ESCAPE) {
            w.put((1 << ESCAPE) - 1, ESCAPE);
            w.put_wide(v, 64);
        } else {
            w.put((1 << q) - 1, q as u32 + 1);
            w.put_wide(v, k);
        }
    }
    w.finish();
}

/// Decodes `n` values from `raw` (which must be consumed exactly).
pub fn decode(raw: &[u8], n: usize, out: &mut Vec<u64>) -> Result<(), CodecError> {
    out.clear();
    let (&k, bits) = raw
        .split_first()
        .ok_or(CodecError::Truncated("rice stream"))?;
    let k = u32::from(k);
    if k > 63 || n > bits.len().saturating_mul(8) {
        return Err(CodecError::Invalid("rice stream"));
    }
    out.reserve(n);
    let mut r = BitReader {
        buf: bits,
        pos: 0,
        acc: 0,
        n: 0,
    };
    for _ in 0..n {
        out.push(r.value(k)?);
    }
    if r.pos != bits.len() || r.n >= 8 || r.acc != 0 {
        return Err(CodecError::Invalid("rice stream padding"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(values: &[u64]) -> usize {
        let mut out = Vec::new();
        encode(values, &mut out);
        let mut back = Vec::new();
        decode(&out, values.len(), &mut back).unwrap();
        assert_eq!(back, values);
        out.len()
    }

    #[test]
    fn table() {
        assert_eq!(round_trip(&[]), 1);
        assert_eq!(round_trip(&[0, 0, 0, 0, 0, 0, 0, 0]), 2);
        round_trip(&[u64::MAX, 0, 1, u64::MAX >> 1]);
        // Exponential-looking gaps near 2^25 cost about 27 bits each.
        let gaps: Vec<u64> = (0..1000u64)
            .map(|i| (i * 7919 % 1000 + 1) * 67_108)
            .collect();
        assert!(round_trip(&gaps) < 1000 * 28 / 8);
    }

    #[test]
    fn bits_are_laid_out_as_before() {
        // Bytes the first encoder wrote, which stored blocks hold: the
        // parameter, then codes least-significant bit first.
        let hex = |values: &[u64]| {
            let mut out = Vec::new();
            encode(values, &mut out);
            out.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        assert_eq!(
            hex(&[3, 0, 17, 1 << 40, 5, 9, 2, 0, 6]),
            "240600000000000000008800000080ff7f00000000a00000000024000000000100000000000000000c00000000"
        );
        assert_eq!(
            hex(&[3, 0, 17, 2, 5, 9, 2, 0, 6, 1, 4, 12, 7, 0, 3, 3]),
            "02c68bb588541c0d1b"
        );
    }

    #[test]
    fn damaged_streams_are_errors() {
        let mut out = Vec::new();
        encode(&[5, 6, 7], &mut out);
        assert!(decode(&out, 40, &mut Vec::new()).is_err());
        assert!(decode(&out[..out.len() - 1], 3, &mut Vec::new()).is_err());
        assert!(decode(&[64], 0, &mut Vec::new()).is_err());
        let mut longer = out.clone();
        longer.push(0);
        assert!(decode(&longer, 3, &mut Vec::new()).is_err());
    }

    proptest! {
        #[test]
        fn values_round_trip(values in proptest::collection::vec(any::<u64>().prop_map(|v| v >> (v % 64)), 0..100)) {
            round_trip(&values);
        }

        #[test]
        fn random_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..100), n in 0usize..200) {
            let _ = decode(&raw, n, &mut Vec::new());
        }
    }
}

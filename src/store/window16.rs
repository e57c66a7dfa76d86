//! Byte classes of 16-byte windows as bit masks, and the value of the
//! digits a window starts with, for the scanners that run over every
//! pushed line (the line splitter, the JSON field walker). On x86_64 the
//! masks come from SSE2, which every x86_64 CPU has; elsewhere from two
//! 64-bit words whose per-byte flags a multiply gathers into bits.

/// The 16 bytes of `b` from `at`, zero-padded past its end.
#[inline(always)]
pub fn window(b: &[u8], at: usize) -> [u8; 16] {
    if let Some(w) = b
        .get(at..at + 16)
        .and_then(|s| <[u8; 16]>::try_from(s).ok())
    {
        return w;
    }
    let mut a = [0u8; 16];
    let n = b.len();
    if n >= 16 && at < n {
        // The line's last 16 bytes, shifted down: no call to copy the
        // few bytes left.
        a.copy_from_slice(&b[n - 16..]);
        let shift = 8 * (at + 16 - n) as u32;
        return (u128::from_le_bytes(a) >> shift).to_le_bytes();
    }
    let rest = b.get(at..).unwrap_or(&[]);
    a[..rest.len()].copy_from_slice(rest);
    a
}

/// Bit `k` set when byte `k` of the window is an ASCII digit.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn digit_bits(win: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_set1_epi8,
        _mm_sub_epi8,
    };
    // SAFETY: SSE2 is part of the x86_64 baseline, and the load reads the
    // window's own 16 bytes.
    unsafe {
        let v = _mm_loadu_si128(win.as_ptr().cast());
        // Digits become 0..=9, every other byte something larger (unsigned).
        let x = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let is_digit = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x);
        _mm_movemask_epi8(is_digit) as u32
    }
}

/// Bit `k` set when byte `k` of the window is an ASCII digit.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn digit_bits(win: &[u8; 16]) -> u32 {
    swar::digit_bits(win)
}

/// Value of the ASCII digits that start a window, `len` (1..=16) of
/// them, read without a loop: shifting them to the top of the 16-byte word
/// drops the bytes after them and brings in zero bytes, which count as
/// leading zeros.
#[inline(always)]
pub fn digits_value(win: &[u8; 16], len: usize) -> u64 {
    let w = u128::from_le_bytes(*win) << (8 * (16 - len.clamp(1, 16)));
    eight_digits(w as u64) * 100_000_000 + eight_digits((w >> 64) as u64)
}

/// Value of eight ASCII digits (or zero bytes, read as 0) in a
/// little-endian word, the first digit in the lowest byte: pairs, then
/// quads, then the whole are combined by three multiplications.
#[inline(always)]
fn eight_digits(w: u64) -> u64 {
    let w = ((w & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(10 * 256 + 1)) >> 8;
    let w = ((w & 0x00ff_00ff_00ff_00ff).wrapping_mul(100 * 65_536 + 1)) >> 16;
    ((w & 0x0000_ffff_0000_ffff).wrapping_mul(10_000 * (1 << 32) + 1)) >> 32
}

/// Bit `k` set when byte `k` of the window is `a` or `b`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn either_bits(win: &[u8; 16], a: u8, b: u8) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86_64 baseline, and the load reads the
    // window's own 16 bytes.
    unsafe {
        let v = _mm_loadu_si128(win.as_ptr().cast());
        let hits = _mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8(a as i8)),
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)),
        );
        _mm_movemask_epi8(hits) as u32
    }
}

/// Bit `k` set when byte `k` of the window is `a` or `b`.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn either_bits(win: &[u8; 16], a: u8, b: u8) -> u32 {
    swar::either_bits(win, a, b)
}

/// The portable forms, also checked against the SSE2 ones on x86_64.
#[cfg(any(test, not(target_arch = "x86_64")))]
mod swar {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

    fn words(win: &[u8; 16]) -> (u64, u64) {
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&win[..8]);
        hi.copy_from_slice(&win[8..]);
        (u64::from_le_bytes(lo), u64::from_le_bytes(hi))
    }

    /// One bit per byte from per-byte high-bit flags: the shifted products
    /// never overlap, so nothing carries into the gathered byte.
    fn gather(flags: u64) -> u32 {
        ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32
    }

    /// High bit set in each zero byte of `x`; exact for every byte.
    fn zero_bytes(x: u64) -> u64 {
        !(((x & LOW7).wrapping_add(LOW7)) | x) & HIGH
    }

    /// High bit set in each ASCII digit byte; exact for every byte.
    fn digit_flags(w: u64) -> u64 {
        let x = w ^ (0x30 * ONES);
        // Per byte, (x | 0x80) - 10 cannot borrow from its neighbour; its
        // high bit stays set exactly when x >= 10, and bytes with x >= 0x80
        // are caught by `| x`.
        let not_digit = (((x | HIGH).wrapping_sub(10 * ONES)) | x) & HIGH;
        !not_digit & HIGH
    }

    pub fn digit_bits(win: &[u8; 16]) -> u32 {
        let (lo, hi) = words(win);
        gather(digit_flags(lo)) | (gather(digit_flags(hi)) << 8)
    }

    pub fn either_bits(win: &[u8; 16], a: u8, b: u8) -> u32 {
        let (lo, hi) = words(win);
        let flags =
            |w: u64| zero_bytes(w ^ (ONES * u64::from(a))) | zero_bytes(w ^ (ONES * u64::from(b)));
        gather(flags(lo)) | (gather(flags(hi)) << 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits_where(win: &[u8; 16], f: impl Fn(u8) -> bool) -> u32 {
        win.iter()
            .enumerate()
            .filter(|(_, &b)| f(b))
            .fold(0, |m, (k, _)| m | 1 << k)
    }

    #[test]
    fn masks_flag_exactly_their_bytes() {
        let all: Vec<u8> = (0..=255).chain(0..=255).collect();
        for i in 0..=256 {
            let win = window(&all, i);
            let digits = bits_where(&win, |b| b.is_ascii_digit());
            assert_eq!(digit_bits(&win), digits, "{i}");
            assert_eq!(swar::digit_bits(&win), digits, "{i}");
            for (a, b) in [(b'"', b'\\'), (0, 0xff), (0x80, 0x7f)] {
                let want = bits_where(&win, |x| x == a || x == b);
                assert_eq!(either_bits(&win, a, b), want, "{i} {a} {b}");
                assert_eq!(swar::either_bits(&win, a, b), want, "{i} {a} {b}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn digit_values_read_like_a_digit_loop(digits in "[0-9]{1,16}", after in "[0-9a-z]{0,20}") {
            let text = format!("{digits}{after}");
            let want = digits.bytes().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
            proptest::prop_assert_eq!(digits_value(&window(text.as_bytes(), 0), digits.len()), want);
        }
    }

    #[test]
    fn windows_are_zero_padded() {
        assert_eq!(window(b"abc", 1), *b"bc\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(window(b"abc", 3), [0; 16]);
        assert_eq!(window(b"abc", 9), [0; 16]);
        let long: Vec<u8> = (1..=40).collect();
        for at in 0..=41 {
            let mut want = [0u8; 16];
            for (k, w) in want.iter_mut().enumerate() {
                *w = long.get(at + k).copied().unwrap_or(0);
            }
            assert_eq!(window(&long, at), want, "{at}");
        }
    }
}

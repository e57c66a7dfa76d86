//! Exact decimal arithmetic for sprig's `addf`, `subf`, `mulf` and `divf`,
//! which go through shopspring/decimal: each float becomes its shortest
//! decimal form, the operation is exact (division rounds half away from
//! zero at 16 decimal places), and the result is the nearest float64.

use std::cmp::Ordering;

use crate::logql::template::gonum::Digits;

/// sign × digits × 10^exp; `digits` is big-endian base 10 without leading
/// zeros (empty for zero).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    exp: i64,
}

/// Decimal places kept by division.
const DIVISION_PRECISION: i64 = 16;

impl Decimal {
    /// `decimal.NewFromFloat`: fails (Go panics) on NaN and infinities.
    pub(crate) fn from_f64(v: f64) -> Result<Decimal, String> {
        if !v.is_finite() {
            let mut s = String::new();
            crate::logql::template::gonum::format_float_v(&mut s, v);
            return Err(format!("Cannot create a Decimal from {s}"));
        }
        let d = Digits::shortest(v);
        let digits: Vec<u8> = d.digits().iter().map(|c| c - b'0').collect();
        let exp = i64::from(d.dp) - digits.len() as i64;
        Ok(Decimal {
            neg: v < 0.0 && !digits.is_empty(),
            digits,
            exp,
        }
        .normalized())
    }

    fn normalized(mut self) -> Decimal {
        let lead = self.digits.iter().take_while(|&&d| d == 0).count();
        self.digits.drain(..lead);
        if self.digits.is_empty() {
            self.neg = false;
        }
        self
    }

    fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Digits scaled so that the exponent becomes `exp` (≤ self.exp).
    fn scaled(&self, exp: i64) -> Vec<u8> {
        let mut d = self.digits.clone();
        if !d.is_empty() {
            d.resize(d.len() + (self.exp - exp) as usize, 0);
        }
        d
    }

    /// Exact sum.
    pub(crate) fn add(&self, other: &Decimal) -> Decimal {
        if self.is_zero() {
            return other.clone();
        }
        if other.is_zero() {
            return self.clone();
        }
        let exp = self.exp.min(other.exp);
        let (a, b) = (self.scaled(exp), other.scaled(exp));
        let r = if self.neg == other.neg {
            Decimal {
                neg: self.neg,
                digits: add_mag(&a, &b),
                exp,
            }
        } else {
            match cmp_mag(&a, &b) {
                Ordering::Equal => Decimal {
                    neg: false,
                    digits: Vec::new(),
                    exp: 0,
                },
                Ordering::Greater => Decimal {
                    neg: self.neg,
                    digits: sub_mag(&a, &b),
                    exp,
                },
                Ordering::Less => Decimal {
                    neg: other.neg,
                    digits: sub_mag(&b, &a),
                    exp,
                },
            }
        };
        r.normalized()
    }

    /// Exact difference.
    pub(crate) fn sub(&self, other: &Decimal) -> Decimal {
        let neg = Decimal {
            neg: !other.neg && !other.is_zero(),
            ..other.clone()
        };
        self.add(&neg)
    }

    /// Exact product.
    pub(crate) fn mul(&self, other: &Decimal) -> Decimal {
        if self.is_zero() || other.is_zero() {
            return Decimal {
                neg: false,
                digits: Vec::new(),
                exp: 0,
            };
        }
        let mut acc = vec![0u32; self.digits.len() + other.digits.len()];
        for (i, &x) in self.digits.iter().rev().enumerate() {
            for (j, &y) in other.digits.iter().rev().enumerate() {
                acc[i + j] += u32::from(x) * u32::from(y);
            }
            // Keep the accumulators small.
            let mut carry = 0;
            for v in acc.iter_mut() {
                *v += carry;
                carry = *v / 10;
                *v %= 10;
            }
        }
        let digits: Vec<u8> = acc.iter().rev().map(|&v| v as u8).collect();
        Decimal {
            neg: self.neg != other.neg,
            digits,
            exp: self.exp + other.exp,
        }
        .normalized()
    }

    /// shopspring's `Div`: rounded half away from zero to 16 places.
    pub(crate) fn div(&self, other: &Decimal) -> Result<Decimal, String> {
        if other.is_zero() {
            return Err("decimal division by 0".into());
        }
        // The divisor comes from a float: at most 17 digits.
        let divisor: u64 = other.digits.iter().fold(0u64, |acc, &d| {
            acc.saturating_mul(10).saturating_add(u64::from(d))
        });
        let k = self.exp - other.exp + DIVISION_PRECISION;
        let (quotient, round_up) = if k >= 0 {
            let mut num = self.digits.clone();
            if !num.is_empty() {
                num.resize(num.len() + k as usize, 0);
            }
            let (q, r) = div_small(&num, divisor);
            (q, u128::from(r) * 2 >= u128::from(divisor))
        } else {
            let j = (-k) as usize;
            let split = self.digits.len().saturating_sub(j);
            let (high, low) = self.digits.split_at(split);
            let (q, r2) = div_small(high, divisor);
            let t = i128::from(r2) * 2 - i128::from(divisor);
            // The dropped digits `low` are a remainder below 10^j; it tips a
            // just-below-half remainder over when it is at least half of 10^j.
            let low_half = low.len() == j && low.first().is_some_and(|&d| d >= 5);
            (q, t >= 0 || (t == -1 && low_half))
        };
        let mut digits = quotient;
        if round_up {
            digits = add_mag(&digits, &[1]);
        }
        Ok(Decimal {
            neg: self.neg != other.neg,
            digits,
            exp: -DIVISION_PRECISION,
        }
        .normalized())
    }

    /// The nearest float64 (shopspring `Float64()`).
    pub(crate) fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let mut s = String::with_capacity(self.digits.len() + 24);
        if self.neg {
            s.push('-');
        }
        s.extend(self.digits.iter().map(|&d| char::from(b'0' + d)));
        s.push('e');
        s.push_str(&self.exp.clamp(-100_000, 100_000).to_string());
        s.parse().unwrap_or(0.0)
    }
}

fn cmp_mag(a: &[u8], b: &[u8]) -> Ordering {
    let a = &a[a.iter().take_while(|&&d| d == 0).count()..];
    let b = &b[b.iter().take_while(|&&d| d == 0).count()..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let n = a.len().max(b.len()) + 1;
    let mut out = vec![0u8; n];
    let mut carry = 0u8;
    for i in 0..n {
        let x = if i < a.len() { a[a.len() - 1 - i] } else { 0 };
        let y = if i < b.len() { b[b.len() - 1 - i] } else { 0 };
        let s = x + y + carry;
        out[n - 1 - i] = s % 10;
        carry = s / 10;
    }
    out
}

/// a - b for |a| ≥ |b|.
fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    let mut borrow = 0i8;
    for i in 0..a.len() {
        let y = if i < b.len() {
            b[b.len() - 1 - i] as i8
        } else {
            0
        };
        let idx = a.len() - 1 - i;
        let mut v = out[idx] as i8 - y - borrow;
        if v < 0 {
            v += 10;
            borrow = 1;
        } else {
            borrow = 0;
        }
        out[idx] = v as u8;
    }
    out
}

/// Long division of a digit string by a small divisor: (quotient, remainder).
fn div_small(num: &[u8], divisor: u64) -> (Vec<u8>, u64) {
    let mut q = Vec::with_capacity(num.len());
    let mut rem: u128 = 0;
    for &d in num {
        rem = rem * 10 + u128::from(d);
        q.push((rem / u128::from(divisor)) as u8);
        rem %= u128::from(divisor);
    }
    (q, rem as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: f64) -> Decimal {
        Decimal::from_f64(v).expect("finite")
    }

    #[test]
    fn exact_arithmetic() {
        assert_eq!(d(0.1).add(&d(0.2)).to_f64(), 0.3);
        assert_eq!(d(0.3).sub(&d(0.1)).to_f64(), 0.2);
        assert_eq!(d(1.1).mul(&d(1.1)).to_f64(), 1.21);
        assert_eq!(d(-2.5).mul(&d(4.0)).to_f64(), -10.0);
        assert_eq!(d(1e300).add(&d(1e-300)).to_f64(), 1e300);
        assert_eq!(d(5.0).sub(&d(5.0)).to_f64(), 0.0);
    }

    #[test]
    fn division_rounds_at_16_places() {
        assert_eq!(
            d(1.0).div(&d(3.0)).map(|x| x.to_f64()),
            Ok(0.3333333333333333)
        );
        assert_eq!(
            d(2.0).div(&d(3.0)).map(|x| x.to_f64()),
            Ok(0.6666666666666667)
        );
        assert_eq!(
            d(-2.0).div(&d(3.0)).map(|x| x.to_f64()),
            Ok(-0.6666666666666667)
        );
        assert_eq!(
            d(18092790.0).div(&d(1e9)).map(|x| x.to_f64()),
            Ok(0.01809279)
        );
        assert_eq!(d(1e-20).div(&d(3.0)).map(|x| x.to_f64()), Ok(0.0));
        assert_eq!(d(1.0).div(&d(1e20)).map(|x| x.to_f64()), Ok(0.0));
        assert_eq!(d(5.0).div(&d(1e17)).map(|x| x.to_f64()), Ok(1e-16));
        assert_eq!(d(1.0).div(&d(0.0)), Err("decimal division by 0".into()));
    }

    #[test]
    fn nan_is_refused() {
        assert_eq!(
            Decimal::from_f64(f64::NAN),
            Err("Cannot create a Decimal from NaN".to_string())
        );
        assert_eq!(
            Decimal::from_f64(f64::INFINITY),
            Err("Cannot create a Decimal from +Inf".to_string())
        );
    }
}

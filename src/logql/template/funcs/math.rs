//! sprig's arithmetic: int64 operations after spf13/cast conversion
//! (`add`, `sub`, `mul`, `div`, `mod`, `max`, `min`, `int`), float64 ones
//! (`maxf`, `minf`, `ceil`, `floor`, `round`, `float64`) and the exact
//! decimal ones (`addf`, `subf`, `mulf`, `divf`).

use super::cast::{to_float64, to_int64};
use super::decimal::Decimal;
use super::Env;
use crate::logql::template::value::Value;

type R<'a> = Result<Value<'a>, String>;

pub(super) fn int<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int(to_int64(&a[0])))
}

pub(super) fn float64<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Float(to_float64(&a[0])))
}

pub(super) fn add<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int64(
        a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
    ))
}

pub(super) fn sub<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
}

pub(super) fn mul<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int64(
        a[1..]
            .iter()
            .fold(to_int64(&a[0]), |acc, v| acc.wrapping_mul(to_int64(v))),
    ))
}

const DIV_ZERO: &str = "runtime error: integer divide by zero";

pub(super) fn div<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let (x, y) = (to_int64(&a[0]), to_int64(&a[1]));
    if y == 0 {
        return Err(DIV_ZERO.into());
    }
    Ok(Value::Int64(x.wrapping_div(y)))
}

pub(super) fn modulo<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let (x, y) = (to_int64(&a[0]), to_int64(&a[1]));
    if y == 0 {
        return Err(DIV_ZERO.into());
    }
    Ok(Value::Int64(x.wrapping_rem(y)))
}

pub(super) fn max<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int64(
        a[1..]
            .iter()
            .fold(to_int64(&a[0]), |m, v| m.max(to_int64(v))),
    ))
}

pub(super) fn min<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Int64(
        a[1..]
            .iter()
            .fold(to_int64(&a[0]), |m, v| m.min(to_int64(v))),
    ))
}

/// Go's `math.Max` (NaN wins, +0 beats -0).
fn go_max(x: f64, y: f64) -> f64 {
    if x == f64::INFINITY || y == f64::INFINITY {
        return f64::INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { y } else { x };
    }
    if x > y {
        x
    } else {
        y
    }
}

/// Go's `math.Min` (NaN wins, -0 beats +0).
fn go_min(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY || y == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { x } else { y };
    }
    if x < y {
        x
    } else {
        y
    }
}

pub(super) fn maxf<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Float(
        a[1..]
            .iter()
            .fold(to_float64(&a[0]), |m, v| go_max(m, to_float64(v))),
    ))
}

pub(super) fn minf<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Float(
        a[1..]
            .iter()
            .fold(to_float64(&a[0]), |m, v| go_min(m, to_float64(v))),
    ))
}

pub(super) fn ceil<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Float(to_float64(&a[0]).ceil()))
}

pub(super) fn floor<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Float(to_float64(&a[0]).floor()))
}

/// sprig `round v places [roundOn]`: float arithmetic, rounding up when the
/// fraction of `v × 10^places` reaches `roundOn` (0.5 by default).
pub(super) fn round<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let round_on = match a.get(2) {
        Some(Value::Float(f)) => *f,
        _ => 0.5,
    };
    let val = to_float64(&a[0]);
    let places = match &a[1] {
        Value::Int(p) => *p as f64,
        _ => 0.0,
    };
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let r = if digit.fract() >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(r / pow))
}

/// Folds the arguments with an exact decimal operation, starting from `first`.
fn decimal_op(
    first: &Value,
    rest: &[Value],
    op: fn(&Decimal, &Decimal) -> Result<Decimal, String>,
) -> Result<f64, String> {
    let mut acc = Decimal::from_f64(to_float64(first))?;
    for v in rest {
        let d = Decimal::from_f64(to_float64(v))?;
        acc = op(&acc, &d)?;
    }
    Ok(acc.to_f64())
}

pub(super) fn addf<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    let v = decimal_op(&Value::Float(0.0), a, |x, y| Ok(x.add(y)))?;
    Ok(Value::Float(v))
}

pub(super) fn subf<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Float(decimal_op(&a[0], &a[1..], |x, y| {
        Ok(x.sub(y))
    })?))
}

pub(super) fn mulf<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Float(decimal_op(&a[0], &a[1..], |x, y| {
        Ok(x.mul(y))
    })?))
}

pub(super) fn divf<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Float(decimal_op(&a[0], &a[1..], Decimal::div)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_min_max() {
        assert!(go_max(1.0, f64::NAN).is_nan());
        assert_eq!(go_max(-0.0, 0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(go_min(-0.0, 0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(go_max(1.0, 2.5), 2.5);
    }
}

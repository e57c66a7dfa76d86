//! Go's template builtins (`not`, comparisons, `len`, `index`, `slice`,
//! `print*`, `html`, `js`, `urlquery`) and sprig's `default`.

use std::borrow::Cow;
use std::rc::Rc;

use super::Env;
use crate::logql::template::printf;
use crate::logql::template::value::{byte_slice, label_count, Basic, Value};
use crate::logql::template::TemplateContext;

type R<'a> = Result<Value<'a>, String>;

fn take<'a>(args: &mut [Value<'a>], i: usize) -> Value<'a> {
    args.get_mut(i).map(std::mem::take).unwrap_or(Value::Nil)
}

pub(super) fn not<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Bool(!args[0].is_true(env.ctx)))
}

/// `eq a b`: Go's rules for basic kinds; nil only equals nil.
pub(crate) fn compare_eq(a: &Value, b: &Value, ctx: &dyn TemplateContext) -> Result<bool, String> {
    let (k1, k2) = (a.basic(), b.basic());
    let truth = match (k1, k2) {
        (Basic::Bool(x), Basic::Bool(y)) => x == y,
        (Basic::Int(x), Basic::Int(y)) => x == y,
        (Basic::Uint(x), Basic::Uint(y)) => x == y,
        (Basic::Float(x), Basic::Float(y)) => x == y,
        (Basic::Str, Basic::Str) => a.as_str() == b.as_str(),
        (Basic::Int(x), Basic::Uint(y)) | (Basic::Uint(y), Basic::Int(x)) => {
            x >= 0 && x as u64 == y
        }
        (Basic::Invalid, Basic::Invalid) => return eq_non_basic(a, b, ctx),
        _ => {
            if !matches!(a, Value::Nil) && !matches!(b, Value::Nil) {
                return Err(format!(
                    "incompatible types for comparison: {} and {}",
                    a.type_name(),
                    b.type_name()
                ));
            }
            false
        }
    };
    Ok(truth)
}

/// `==` on values that are not of a basic kind (maps, slices, times, nil).
fn eq_non_basic(a: &Value, b: &Value, ctx: &dyn TemplateContext) -> Result<bool, String> {
    // Go's reflect kinds: invalid, struct, map, slice.
    let kind = |v: &Value| match v {
        Value::Nil => 0,
        Value::Time(_) => 1,
        Value::Labels | Value::Map(_) => 2,
        _ => 3,
    };
    let (ka, kb) = (kind(a), kind(b));
    if ka != kb && ka != 0 && kb != 0 {
        return Err(format!(
            "non-comparable types {}: {}, {}: {}",
            a.to_v_string(ctx),
            a.type_name(),
            b.type_name(),
            b.to_v_string(ctx)
        ));
    }
    match (a, b) {
        (Value::Nil, _) | (_, Value::Nil) => Ok(matches!(a, Value::Nil) == matches!(b, Value::Nil)),
        (Value::Time(x), Value::Time(y)) => Ok(x == y),
        _ => Err(format!(
            "non-comparable type {}: {}",
            b.to_v_string(ctx),
            b.type_name()
        )),
    }
}

pub(super) fn eq<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let Some((first, rest)) = args.split_first() else {
        return Err("missing argument for comparison".into());
    };
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    for b in rest {
        if compare_eq(first, b, env.ctx)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

pub(super) fn ne<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Bool(!compare_eq(&args[0], &args[1], env.ctx)?))
}

/// `a < b` with Go's kind rules.
fn less(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (a.basic(), b.basic());
    if matches!(k1, Basic::Invalid) || matches!(k2, Basic::Invalid) {
        return Err("invalid type for comparison".into());
    }
    Ok(match (k1, k2) {
        (Basic::Int(x), Basic::Int(y)) => x < y,
        (Basic::Uint(x), Basic::Uint(y)) => x < y,
        (Basic::Float(x), Basic::Float(y)) => x < y,
        (Basic::Str, Basic::Str) => a.as_str() < b.as_str(),
        (Basic::Int(x), Basic::Uint(y)) => x < 0 || (x as u64) < y,
        (Basic::Uint(x), Basic::Int(y)) => y >= 0 && x < y as u64,
        (Basic::Bool(_), Basic::Bool(_)) => return Err("invalid type for comparison".into()),
        _ => {
            return Err(format!(
                "incompatible types for comparison: {} and {}",
                a.type_name(),
                b.type_name()
            ))
        }
    })
}

pub(super) fn lt<'a>(_: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Bool(less(&args[0], &args[1])?))
}

pub(super) fn le<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let lt = less(&args[0], &args[1])?;
    if lt {
        return Ok(Value::Bool(true));
    }
    Ok(Value::Bool(compare_eq(&args[0], &args[1], env.ctx)?))
}

pub(super) fn gt<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let lt = less(&args[0], &args[1])?;
    let le = lt || compare_eq(&args[0], &args[1], env.ctx)?;
    Ok(Value::Bool(!le))
}

pub(super) fn ge<'a>(_: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    Ok(Value::Bool(!less(&args[0], &args[1])?))
}

pub(super) fn len<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let n = match &args[0] {
        Value::Str(s) => s.len(),
        Value::Labels => label_count(env.ctx),
        Value::Map(m) => m.len(),
        Value::List(l) => l.len(),
        Value::Nil => return Err("reflect: call of reflect.Value.Type on zero Value".into()),
        v => return Err(format!("len of type {}", v.type_name())),
    };
    Ok(Value::Int(n as i64))
}

/// An index argument for slices and strings, checked against `cap`.
fn index_arg(v: &Value, cap: usize) -> Result<usize, String> {
    let x: i64 = match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint8(u) => i64::from(*u),
        Value::Month(m) => i64::from(*m),
        Value::Weekday(d) => i64::from(*d),
        Value::Nil => return Err("cannot index slice/array with nil".into()),
        v => {
            return Err(format!(
                "cannot index slice/array with type {}",
                v.type_name()
            ))
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

/// A map key: must be a string.
fn key_arg<'v>(v: &'v Value) -> Result<Cow<'v, str>, String> {
    match v {
        Value::Str(s) => Ok(Cow::Borrowed(s.as_ref())),
        Value::Nil => Err("value is nil; should be of type string".into()),
        v => Err(format!(
            "value has type {}; should be string",
            v.type_name()
        )),
    }
}

pub(super) fn index<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let mut item = take(args, 0);
    if matches!(item, Value::Nil) {
        return Err("index of untyped nil".into());
    }
    for idx in args[1..].iter() {
        item = match item {
            Value::Str(s) => {
                let i = index_arg(idx, s.len())?;
                match s.as_bytes().get(i) {
                    Some(b) => Value::Uint8(*b),
                    None => return Err("reflect: string index out of range".into()),
                }
            }
            Value::List(l) => {
                let i = index_arg(idx, l.len())?;
                match l.get(i) {
                    Some(v) => v.clone(),
                    None => return Err("reflect: slice index out of range".into()),
                }
            }
            Value::Labels => {
                let k = key_arg(idx)?;
                Value::str(env.ctx.label(&k).unwrap_or(""))
            }
            Value::Map(m) => {
                let k = key_arg(idx)?;
                m.get(k.as_ref()).cloned().unwrap_or(Value::Nil)
            }
            Value::Nil => return Err("index of untyped nil".into()),
            v => return Err(format!("can't index item of type {}", v.type_name())),
        };
    }
    Ok(item)
}

pub(super) fn slice<'a>(_: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let item = take(args, 0);
    let idx = &args[1..];
    if matches!(item, Value::Nil) {
        return Err("slice of untyped nil".into());
    }
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let len = match &item {
        Value::Str(s) => {
            if idx.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l) => l.len(),
        v => return Err(format!("can't slice item of type {}", v.type_name())),
    };
    let mut bounds = [0, len, len];
    for (i, v) in idx.iter().enumerate() {
        bounds[i] = index_arg(v, len)?;
    }
    if bounds[0] > bounds[1] {
        return Err(format!(
            "invalid slice index: {} > {}",
            bounds[0], bounds[1]
        ));
    }
    if idx.len() == 3 && bounds[1] > bounds[2] {
        return Err(format!(
            "invalid slice index: {} > {}",
            bounds[1], bounds[2]
        ));
    }
    Ok(match item {
        Value::Str(Cow::Borrowed(s)) => Value::Str(byte_slice(s, bounds[0], bounds[1])),
        Value::Str(Cow::Owned(s)) => {
            Value::string(byte_slice(&s, bounds[0], bounds[1]).into_owned())
        }
        Value::List(l) => Value::List(Rc::new(l[bounds[0]..bounds[1]].to_vec())),
        _ => Value::Nil,
    })
}

pub(super) fn print<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let mut s = String::new();
    printf::sprint(&mut s, args, env.ctx);
    Ok(Value::string(s))
}

pub(super) fn println<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let mut s = String::new();
    printf::sprintln(&mut s, args, env.ctx);
    Ok(Value::string(s))
}

pub(super) fn printf<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let mut s = String::new();
    if let Some((format, rest)) = args.split_first() {
        printf::sprintf(&mut s, format.as_str().unwrap_or(""), rest, env.ctx);
    }
    Ok(Value::string(s))
}

/// `fmt.Sprint` of the arguments, as the escaping builtins see them.
fn eval_args(env: &Env, args: &[Value]) -> String {
    if let [Value::Str(s)] = args {
        return s.to_string();
    }
    let mut s = String::new();
    printf::sprint(&mut s, args, env.ctx);
    s
}

pub(super) fn html<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let s = eval_args(env, args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Ok(Value::string(out))
}

pub(super) fn js<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let s = eval_args(env, args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u00{:02X}", c as u32));
            }
            c if c.is_ascii() || printf::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    Ok(Value::string(out))
}

pub(super) fn urlquery<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    let s = eval_args(env, args);
    Ok(Value::string(super::text::query_escape(&s)))
}

/// sprig's `default`: the given value unless it is empty.
pub(super) fn default<'a>(env: &Env<'a>, args: &mut [Value<'a>]) -> R<'a> {
    if args.len() < 2 || is_empty(&args[1], env.ctx) {
        return Ok(take(args, 0));
    }
    Ok(take(args, 1))
}

/// sprig's `empty`: zero numbers, false, "", empty collections and nil.
fn is_empty(v: &Value, ctx: &dyn TemplateContext) -> bool {
    match v {
        Value::Time(_) => false,
        v => !v.is_true(ctx),
    }
}

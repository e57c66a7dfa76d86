//! sprig's `fromJson`: Go's `json.Unmarshal` into `interface{}` — objects
//! become `map[string]interface {}` (last duplicate key wins), arrays
//! `[]interface {}`, numbers `float64`; invalid JSON gives nil.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::Env;
use crate::logql::template::gonum;
use crate::logql::template::value::{lossy_utf8, Value};

/// Nesting deeper than this is treated as invalid (Go allows 10000).
const MAX_NESTING: usize = 500;

pub(super) fn from_json<'a>(_: &Env<'a>, a: &mut [Value<'a>]) -> Result<Value<'a>, String> {
    let src = a.first().and_then(Value::as_str).unwrap_or("");
    Ok(parse(src).unwrap_or(Value::Nil))
}

/// Decodes a whole JSON document; None when it is not valid JSON.
pub(crate) fn parse(src: &str) -> Option<Value<'static>> {
    let mut p = Parser {
        b: src.as_bytes(),
        i: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct Parser<'s> {
    b: &'s [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self
            .b
            .get(self.i)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + lit.len()) == Some(lit) {
            self.i += lit.len();
            Some(())
        } else {
            None
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value<'static>> {
        if depth > MAX_NESTING {
            return None;
        }
        match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut map = BTreeMap::new();
                self.ws();
                if self.eat(b"}").is_some() {
                    return Some(Value::Map(Rc::new(map)));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.ws();
                    self.eat(b":")?;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    map.insert(k, v);
                    self.ws();
                    if self.eat(b",").is_some() {
                        continue;
                    }
                    self.eat(b"}")?;
                    return Some(Value::Map(Rc::new(map)));
                }
            }
            b'[' => {
                self.i += 1;
                let mut list = Vec::new();
                self.ws();
                if self.eat(b"]").is_some() {
                    return Some(Value::List(Rc::new(list)));
                }
                loop {
                    self.ws();
                    list.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b",").is_some() {
                        continue;
                    }
                    self.eat(b"]")?;
                    return Some(Value::List(Rc::new(list)));
                }
            }
            b'"' => Some(Value::string(self.string()?)),
            b't' => self.eat(b"true").map(|_| Value::Bool(true)),
            b'f' => self.eat(b"false").map(|_| Value::Bool(false)),
            b'n' => self.eat(b"null").map(|_| Value::Nil),
            _ => self.number(),
        }
    }

    fn number(&mut self) -> Option<Value<'static>> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.b.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i - s
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).ok()?;
        // Go cannot store a number out of float64 range: it leaves nil there
        // and decodes the rest.
        Some(gonum::parse_float(text).map_or(Value::Nil, Value::Float))
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b"\"")?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return Some(lossy_utf8(&out)),
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut r = self.hex4()?;
                            if (0xD800..0xDC00).contains(&r) {
                                // A surrogate pair, or U+FFFD when unpaired.
                                let save = self.i;
                                let low =
                                    (self.eat(b"\\u").is_some()).then(|| self.hex4()).flatten();
                                match low {
                                    Some(l) if (0xDC00..0xE000).contains(&l) => {
                                        r = 0x10000 + ((r - 0xD800) << 10) + (l - 0xDC00);
                                    }
                                    _ => {
                                        self.i = save;
                                        r = 0xFFFD;
                                    }
                                }
                            }
                            let ch = char::from_u32(r).unwrap_or('\u{FFFD}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return None,
                    }
                }
                c if c < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.i..self.i + 4)?;
        let s = std::str::from_utf8(h).ok()?;
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(s, 16).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ctx;
    impl crate::logql::template::TemplateContext for Ctx {
        fn label(&self, _: &str) -> Option<&str> {
            None
        }
        fn for_each_label(&self, _: &mut dyn FnMut(&str, &str)) {}
        fn line(&self) -> &str {
            ""
        }
        fn timestamp(&self) -> i64 {
            0
        }
        fn now(&self) -> i64 {
            0
        }
    }

    fn show(src: &str) -> String {
        match parse(src) {
            Some(v) => v.to_v_string(&Ctx),
            None => "invalid".into(),
        }
    }

    #[test]
    fn decodes_like_go() {
        assert_eq!(
            show(r#"{"b":1,"a":[true,null,"x"],"c":{"d":1.5e6}}"#),
            "map[a:[true <nil> x] b:1 c:map[d:1.5e+06]]"
        );
        assert_eq!(show(r#"{"a":1,"a":2}"#), "map[a:2]");
        assert_eq!(show(r#""\u00e9\ud83d\ude00\ud800""#), "é😀\u{FFFD}");
        assert_eq!(show("12345678"), "1.2345678e+07");
        assert_eq!(show(" [] "), "[]");
        assert_eq!(show("[1e999,2]"), "[<nil> 2]");
        for bad in [
            "", "{", "[1,]", "01", "1.", "{'a':1}", "tru", "\"a\nb\"", "[1] x",
        ] {
            assert_eq!(show(bad), "invalid", "{bad}");
        }
    }
}

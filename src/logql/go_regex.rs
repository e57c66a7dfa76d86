//! Go RE2 regexes (what Loki accepts) compiled with Rust's `regex` crate.
//!
//! The two syntaxes are close but not equal, so every LogQL regex is first
//! validated and rewritten by a small Go-syntax translator:
//! - Go's errors are reported with Go's texts (`error parsing regexp:
//!   missing closing ): `foo(``), including Go-only rules (repeat counts
//!   up to 1000, `\1` is not an escape, named-group characters);
//! - Go's meaning is kept where Rust differs: `\d \s \w \b` are ASCII,
//!   octal escapes and `\Q...\E` work, `{` that is not a repeat is a literal,
//!   class characters that Rust treats as set operators (`&&`, `--`, `~~`,
//!   nested `[`) are escaped;
//! - the ASCII classes also make compilation several times cheaper than
//!   Rust's Unicode `\w` / `\d`.
//!
//! Label matchers get Prometheus' treatment: anchored, `.` matches newlines,
//! and literal / `.*` / `.+` / literal-alternation regexes need no engine.

use regex::{Regex, RegexBuilder};

use crate::model::{Glob, GlobToken, RegexMatch};

/// A translated regex: Rust syntax plus the capture group names in order
/// (`None` for unnamed groups).
pub(crate) struct Translated {
    /// Equivalent Rust regex syntax.
    pub rust: String,
    /// Capture group names, in order of their opening parenthesis.
    pub names: Vec<Option<String>>,
}

/// Compiles a line filter regex (`|~`, `!~`): unanchored, Go Perl flags.
pub(crate) fn compile_unanchored(src: &str) -> Result<Regex, String> {
    let t = translate(src, false)?;
    build(&t.rust, src)
}

/// Prepares a label matcher regex (`=~`, `!~`) the way Prometheus does:
/// validated alone, then anchored with `.` matching newlines.
pub(crate) fn compile_matcher(src: &str) -> Result<RegexMatch, String> {
    if is_plain_literal(src) {
        return Ok(RegexMatch::Literal);
    }
    if src.contains('|') && src.split('|').all(is_plain_literal) {
        let set: Vec<String> = src.split('|').map(str::to_string).collect();
        return Ok(RegexMatch::OneOf(set.into()));
    }
    match src {
        ".*" => return Ok(RegexMatch::Any),
        ".+" => return Ok(RegexMatch::NonEmpty),
        _ => {}
    }
    if let Some(g) = glob(src) {
        return Ok(RegexMatch::Glob(g));
    }
    let t = translate(src, false)?;
    let anchored = format!("^(?s:{})$", t.rust);
    build(&anchored, src).map(RegexMatch::Compiled)
}

/// Compiles the regex of `label_replace`: Loki compiles `^(?:re)$` as one
/// Go regex, so the wrapped text is what is validated.
pub(crate) fn compile_label_replace(src: &str) -> Result<Regex, String> {
    let wrapped = format!("^(?:{src})$");
    let t = translate(&wrapped, false)?;
    build(&t.rust, &wrapped)
}

/// Compiles the regex of a `| regexp` parser (unanchored, names kept) and
/// returns the capture names too. Duplicate names must be checked by the
/// caller before (`Translated::names`); Rust refuses them.
pub(crate) fn translate_with_names(src: &str) -> Result<Translated, String> {
    translate(src, true)
}

/// Compiles already translated Rust syntax; `go_src` is quoted in errors.
pub(crate) fn build(rust: &str, go_src: &str) -> Result<Regex, String> {
    RegexBuilder::new(rust).build().map_err(|e| match e {
        regex::Error::CompiledTooBig(_) => go_error("expression too large", go_src),
        regex::Error::Syntax(msg) if msg.contains("Unicode") => {
            go_error("invalid character class range", first_unicode_class(go_src))
        }
        regex::Error::Syntax(msg) if msg.contains("nest") => {
            go_error("expression nests too deeply", go_src)
        }
        _ => go_error("invalid or unsupported Perl syntax", go_src),
    })
}

/// Recognises matcher regexes made of literal text and `.`, `.*`, `.+`
/// (with an optional leading `(?i)` over ASCII text): the shapes users and
/// Grafana write most, which then need no regex engine.
fn glob(src: &str) -> Option<Glob> {
    let (fold, body) = match src.strip_prefix("(?i)") {
        Some(rest) => (true, rest),
        None => (false, src),
    };
    let mut tokens = Vec::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => match chars.peek() {
                Some('*') => {
                    chars.next();
                    tokens.push(GlobToken::Star);
                }
                Some('+') => {
                    chars.next();
                    tokens.push(GlobToken::Any);
                    tokens.push(GlobToken::Star);
                }
                _ => tokens.push(GlobToken::Any),
            },
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() => tokens.push(GlobToken::Char(e)),
                _ => return None,
            },
            c if "+*?()|[]{}^$".contains(c) => return None,
            c if fold && !c.is_ascii() => return None,
            c => tokens.push(GlobToken::Char(c)),
        }
        // A lazy or repeated wildcard (`.*?`, `.**`) is left to the engine.
        if matches!(chars.peek(), Some('?' | '*' | '+' | '{')) {
            return None;
        }
    }
    Some(Glob::new(tokens, fold))
}

/// True when the regex has no metacharacter at all (Go's `QuoteMeta(s) == s`).
fn is_plain_literal(s: &str) -> bool {
    !s.bytes().any(|b| b"\\.+*?()|[]{}^$".contains(&b))
}

fn go_error(code: &str, expr: &str) -> String {
    format!("error parsing regexp: {code}: `{expr}`")
}

/// The first `\p...` sequence of a regex, for Unicode class errors.
fn first_unicode_class(src: &str) -> &str {
    let Some(i) = src.find("\\p").or_else(|| src.find("\\P")) else {
        return src;
    };
    let rest = &src[i..];
    match rest.get(2..3) {
        Some("{") => rest.find('}').map_or(rest, |e| &rest[..=e]),
        _ => rest.char_indices().nth(3).map_or(rest, |(e, _)| &rest[..e]),
    }
}

/// What precedes the current position, for repetition rules.
#[derive(Clone, Copy)]
enum Last {
    /// Nothing repeatable: start, `(`, `|`, or a flag group.
    Nothing,
    /// An operand whose nested repeat counts multiply to `product`.
    Atom { product: u32 },
    /// A repetition operator that started at byte `start`.
    Repeat { start: usize },
}

/// Translates Go RE2 syntax (Perl flags) into Rust regex syntax.
pub(crate) fn translate(src: &str, keep_names: bool) -> Result<Translated, String> {
    let mut t = Translator {
        src,
        pos: 0,
        out: String::with_capacity(src.len() + 8),
        keep_names,
        names: Vec::new(),
        frames: vec![1],
        last: Last::Nothing,
    };
    t.run()?;
    Ok(Translated {
        rust: t.out,
        names: t.names,
    })
}

struct Translator<'a> {
    src: &'a str,
    pos: usize,
    out: String,
    keep_names: bool,
    names: Vec<Option<String>>,
    /// Open groups (the first is the whole expression), each with the largest
    /// repeat product seen inside it.
    frames: Vec<u32>,
    last: Last,
}

const MAX_REPEAT: u32 = 1000;

impl<'a> Translator<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn atom(&mut self, product: u32) {
        self.last = Last::Atom { product };
        if let Some(top) = self.frames.last_mut() {
            *top = (*top).max(product);
        }
    }

    fn run(&mut self) -> Result<(), String> {
        while let Some(c) = self.rest().chars().next() {
            match c {
                '(' => self.open_group()?,
                '|' => {
                    self.pos += 1;
                    self.out.push('|');
                    self.last = Last::Nothing;
                }
                ')' => {
                    if self.frames.len() == 1 {
                        return Err(go_error("unexpected )", self.src));
                    }
                    self.pos += 1;
                    self.out.push(')');
                    let product = self.frames.pop().unwrap_or(1);
                    self.atom(product);
                }
                '^' | '$' => {
                    self.pos += 1;
                    self.out.push_str(if c == '^' { "(?:^)" } else { "(?:$)" });
                    self.atom(1);
                }
                '.' => {
                    self.pos += 1;
                    self.out.push('.');
                    self.atom(1);
                }
                '[' => {
                    self.class()?;
                    self.atom(1);
                }
                '*' | '+' | '?' => {
                    let start = self.pos;
                    self.pos += 1;
                    self.repeat(start, None)?;
                }
                '{' => match parse_repeat(self.rest()) {
                    Some((min, max, len)) => {
                        let start = self.pos;
                        self.pos += len;
                        let too_big = min < 0 || min > MAX_REPEAT as i64 || max > MAX_REPEAT as i64;
                        if too_big || (max >= 0 && min > max) {
                            return Err(go_error(
                                "invalid repeat count",
                                &self.src[start..self.pos],
                            ));
                        }
                        self.repeat(start, Some((min, max)))?;
                    }
                    None => {
                        self.pos += 1;
                        self.out.push_str("\\{");
                        self.atom(1);
                    }
                },
                '\\' => self.escape()?,
                _ => {
                    self.pos += c.len_utf8();
                    push_literal(&mut self.out, c);
                    self.atom(1);
                }
            }
        }
        if self.frames.len() > 1 {
            return Err(go_error("missing closing )", self.src));
        }
        Ok(())
    }

    /// A repetition operator starting at `start`, with `{min,max}` counts
    /// for a counted repeat (`max` -1 when unbounded); a trailing `?` makes it
    /// non-greedy.
    fn repeat(&mut self, start: usize, counts: Option<(i64, i64)>) -> Result<(), String> {
        if self.rest().starts_with('?') {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        match self.last {
            Last::Repeat { start: prev } => Err(go_error(
                "invalid nested repetition operator",
                &self.src[prev..self.pos],
            )),
            Last::Nothing => Err(go_error("missing argument to repetition operator", text)),
            Last::Atom { product } => {
                let mut new_product = product;
                if let Some((min, max)) = counts {
                    let m = if max < 0 { min } else { max };
                    new_product = if m == 0 {
                        0
                    } else {
                        product.saturating_mul(m as u32)
                    };
                    if (min >= 2 || max >= 2) && new_product > MAX_REPEAT {
                        return Err(go_error("invalid repeat count", text));
                    }
                }
                self.out.push_str(text);
                if let Some(top) = self.frames.last_mut() {
                    *top = (*top).max(new_product);
                }
                self.last = Last::Repeat { start };
                Ok(())
            }
        }
    }

    fn open_group(&mut self) -> Result<(), String> {
        let rest = self.rest();
        if !rest.starts_with("(?") {
            self.pos += 1;
            self.out.push('(');
            self.names.push(None);
            self.frames.push(1);
            self.last = Last::Nothing;
            return Ok(());
        }
        let b = rest.as_bytes();
        let named_p = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
        let named = b.len() > 3 && b[2] == b'<';
        if named_p || named {
            let name_start = if named_p { 4 } else { 3 };
            let Some(end) = rest.find('>') else {
                return Err(go_error("invalid named capture", rest));
            };
            let name = rest.get(name_start..end).unwrap_or("");
            if name.is_empty() || !name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric()) {
                return Err(go_error("invalid named capture", &rest[..=end]));
            }
            if self.keep_names {
                self.out.push_str("(?P<");
                self.out.push_str(name);
                self.out.push('>');
            } else {
                self.out.push('(');
            }
            self.names.push(Some(name.to_string()));
            self.pos += end + 1;
            self.frames.push(1);
            self.last = Last::Nothing;
            return Ok(());
        }
        // Flag group: `(?flags)` or `(?flags:re)`.
        let mut flags = String::new();
        let mut negated = false;
        let mut saw_flag = false;
        for (i, c) in rest.char_indices().skip(2) {
            match c {
                'i' | 'm' | 's' | 'U' => {
                    flags.push(c);
                    saw_flag = true;
                }
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                    flags.push('-');
                }
                ':' | ')' if !negated || saw_flag => {
                    self.pos += i + 1;
                    if c == ':' {
                        self.out.push_str("(?");
                        self.out.push_str(&flags);
                        self.out.push(':');
                        self.frames.push(1);
                    } else if !flags.is_empty() {
                        self.out.push_str("(?");
                        self.out.push_str(&flags);
                        self.out.push(')');
                    }
                    self.last = Last::Nothing;
                    return Ok(());
                }
                _ => {
                    return Err(go_error(
                        "invalid or unsupported Perl syntax",
                        &rest[..i + c.len_utf8()],
                    ))
                }
            }
        }
        Err(go_error("invalid or unsupported Perl syntax", rest))
    }

    fn escape(&mut self) -> Result<(), String> {
        let rest = self.rest();
        let Some(c) = rest[1..].chars().next() else {
            return Err(go_error("trailing backslash at end of expression", ""));
        };
        let assertion = match c {
            'A' => Some("(?:\\A)"),
            'z' => Some("(?:\\z)"),
            'b' => Some("(?:(?-u:\\b))"),
            'B' => Some("(?:(?-u:\\B))"),
            _ => None,
        };
        if let Some(a) = assertion {
            self.pos += 2;
            self.out.push_str(a);
            self.atom(1);
            return Ok(());
        }
        match c {
            'C' => return Err(go_error("invalid escape sequence", "\\C")),
            'Q' => {
                let body = &rest[2..];
                let (lit, consumed) = match body.find("\\E") {
                    Some(e) => (&body[..e], 2 + e + 2),
                    None => (body, rest.len()),
                };
                self.pos += consumed;
                for ch in lit.chars() {
                    push_literal(&mut self.out, ch);
                    self.atom(1);
                }
                return Ok(());
            }
            'p' | 'P' => {
                let (text, len) = unicode_class(rest)?;
                self.pos += len;
                self.out.push_str(&text);
                self.atom(1);
                return Ok(());
            }
            _ => {}
        }
        if let Some(class) = perl_class(c) {
            self.pos += 2;
            if class.starts_with('[') {
                self.out.push_str(class);
            } else {
                self.out.push('[');
                self.out.push_str(class);
                self.out.push(']');
            }
            self.atom(1);
            return Ok(());
        }
        let (ch, len) = parse_escape(rest)?;
        self.pos += len;
        push_literal(&mut self.out, ch);
        self.atom(1);
        Ok(())
    }

    /// A bracketed class, re-emitted with every literal escaped.
    fn class(&mut self) -> Result<(), String> {
        let start = self.pos;
        let whole = &self.src[start..];
        let mut i = 1;
        let mut out = String::from("[");
        if whole[i..].starts_with('^') {
            out.push('^');
            i += 1;
        }
        let mut first = true;
        loop {
            let rest = &whole[i..];
            let Some(c) = rest.chars().next() else {
                return Err(go_error("missing closing ]", whole));
            };
            if c == ']' && !first {
                i += 1;
                break;
            }
            first = false;
            if let Some(after) = rest.strip_prefix("[:") {
                if let Some(e) = after.find(":]") {
                    let name = &rest[..e + 4];
                    if !is_posix_class(name) {
                        return Err(go_error("invalid character class range", name));
                    }
                    out.push_str(name);
                    i += name.len();
                    continue;
                }
            }
            if rest.starts_with("\\p") || rest.starts_with("\\P") {
                let (text, len) = unicode_class(rest)?;
                out.push_str(&text);
                i += len;
                continue;
            }
            if let Some(class) = rest
                .strip_prefix('\\')
                .and_then(|r| r.chars().next())
                .and_then(perl_class)
            {
                out.push_str(class);
                i += 2;
                continue;
            }
            let (lo, lo_len) = class_char(rest, whole)?;
            let mut len = lo_len;
            let after = &rest[lo_len..];
            if after.len() >= 2 && after.starts_with('-') && !after[1..].starts_with(']') {
                let (hi, hi_len) = class_char(&after[1..], whole)?;
                len += 1 + hi_len;
                if hi < lo {
                    return Err(go_error("invalid character class range", &rest[..len]));
                }
                push_class_char(&mut out, lo);
                out.push('-');
                push_class_char(&mut out, hi);
            } else {
                push_class_char(&mut out, lo);
            }
            i += len;
        }
        out.push(']');
        self.out.push_str(&out);
        self.pos = start + i;
        Ok(())
    }
}

/// One class member character (escaped or not) and its length.
fn class_char(rest: &str, whole: &str) -> Result<(char, usize), String> {
    match rest.chars().next() {
        None => Err(go_error("missing closing ]", whole)),
        Some('\\') => parse_escape(rest),
        Some(c) => Ok((c, c.len_utf8())),
    }
}

/// A single-character escape (`rest` starts with `\`): Go's `parseEscape`.
fn parse_escape(rest: &str) -> Result<(char, usize), String> {
    let mut chars = rest[1..].char_indices();
    let Some((_, c)) = chars.next() else {
        return Err(go_error("trailing backslash at end of expression", ""));
    };
    let invalid = |len: usize| go_error("invalid escape sequence", &rest[..len.min(rest.len())]);
    let after = 1 + c.len_utf8();
    let simple = match c {
        'a' => Some('\u{7}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Some(c),
        _ => None,
    };
    if let Some(ch) = simple {
        return Ok((ch, after));
    }
    let b = rest.as_bytes();
    let is_octal = |i: usize| b.get(i).is_some_and(|d| (b'0'..=b'7').contains(d));
    match c {
        '1'..='7' if !is_octal(2) => Err(invalid(after)),
        '0'..='7' => {
            let mut v = u32::from(b[1] - b'0');
            let mut len = 2;
            while len < 4 && is_octal(len) {
                v = v * 8 + u32::from(b[len] - b'0');
                len += 1;
            }
            Ok((char::from_u32(v).unwrap_or('\0'), len))
        }
        'x' => {
            if b.get(2) == Some(&b'{') {
                let Some(close) = rest[3..].find('}') else {
                    return Err(invalid(rest.len()));
                };
                let hex = &rest[3..3 + close];
                let value = (!hex.is_empty() && hex.bytes().all(|h| h.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32);
                match value {
                    Some(ch) if hex.len() <= 8 => Ok((ch, 3 + close + 1)),
                    _ => Err(invalid(3 + close + 1)),
                }
            } else {
                let hex = rest
                    .get(2..4)
                    .filter(|h| h.bytes().all(|d| d.is_ascii_hexdigit()));
                match hex.and_then(|h| u32::from_str_radix(h, 16).ok()) {
                    Some(v) => Ok((char::from_u32(v).unwrap_or('\0'), 4)),
                    None => Err(invalid(
                        rest.char_indices().nth(4).map_or(rest.len(), |(i, _)| i),
                    )),
                }
            }
        }
        _ => Err(invalid(after)),
    }
}

/// `\pN`, `\p{Name}`, `\PN`, `\p{^Name}` → Rust syntax, and the length read.
fn unicode_class(rest: &str) -> Result<(String, usize), String> {
    let mut negated = rest.as_bytes()[1] == b'P';
    let body = &rest[2..];
    let (mut name, len) = match body.chars().next() {
        Some('{') => match body.find('}') {
            Some(e) => (&body[1..e], 2 + e + 1),
            None => return Err(go_error("invalid character class range", rest)),
        },
        Some(c) => (&body[..c.len_utf8()], 2 + c.len_utf8()),
        None => return Err(go_error("invalid character class range", rest)),
    };
    if let Some(n) = name.strip_prefix('^') {
        negated = !negated;
        name = n;
    }
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(go_error("invalid character class range", &rest[..len]));
    }
    let p = if negated { 'P' } else { 'p' };
    Ok((format!("\\{p}{{{name}}}"), len))
}

/// Go's Perl classes are ASCII-only; the Rust class body for `\d` and co.
fn perl_class(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "0-9",
        'D' => "[^0-9]",
        's' => "\\t\\n\\x0C\\r\\x20",
        'S' => "[^\\t\\n\\x0C\\r\\x20]",
        'w' => "0-9A-Za-z_",
        'W' => "[^0-9A-Za-z_]",
        _ => return None,
    })
}

fn is_posix_class(name: &str) -> bool {
    let inner = name
        .strip_prefix("[:")
        .and_then(|n| n.strip_suffix(":]"))
        .map(|n| n.strip_prefix('^').unwrap_or(n));
    matches!(
        inner,
        Some(
            "alnum"
                | "alpha"
                | "ascii"
                | "blank"
                | "cntrl"
                | "digit"
                | "graph"
                | "lower"
                | "print"
                | "punct"
                | "space"
                | "upper"
                | "word"
                | "xdigit"
        )
    )
}

/// A literal outside classes, escaped when Rust gives it a meaning.
fn push_literal(out: &mut String, c: char) {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
    }
    out.push(c);
}

/// A literal inside a class, escaped when Rust classes give it a meaning.
fn push_class_char(out: &mut String, c: char) {
    if "\\[]^-&~".contains(c) {
        out.push('\\');
    }
    out.push(c);
}

/// Go's `parseRepeat`: `{n}`, `{n,}`, `{n,m}` without leading zeros; the
/// counts (max -1 when open, -1 when too big) and the length, or `None` when
/// the brace is a literal.
fn parse_repeat(s: &str) -> Option<(i64, i64, usize)> {
    let b = s.as_bytes();
    let mut i = 1;
    let (min, n) = parse_int(&b[i..])?;
    i += n;
    let max = match b.get(i)? {
        b',' => {
            i += 1;
            match b.get(i)? {
                b'}' => -1,
                _ => {
                    let (max, n) = parse_int(&b[i..])?;
                    i += n;
                    max
                }
            }
        }
        _ => min,
    };
    if b.get(i) != Some(&b'}') {
        return None;
    }
    let min = if max < -1 { -1 } else { min };
    Some((min, max, i + 1))
}

/// Digits without leading zeros; very long numbers read as -2 (too big).
fn parse_int(b: &[u8]) -> Option<(i64, usize)> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || (n >= 2 && b[0] == b'0') {
        return None;
    }
    let mut v: i64 = 0;
    for &d in &b[..n] {
        if v >= 100_000_000 {
            return Some((-2, n));
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Some((v, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_go_syntax() {
        let cases: &[(&str, &str)] = &[
            ("abc", "abc"),
            (r"\d{3}", "[0-9]{3}"),
            (r"[\w|/]+", r"[0-9A-Za-z_|/]+"),
            (r"\S+ \S+", r"[^\t\n\x0C\r\x20]+ [^\t\n\x0C\r\x20]+"),
            ("a{x", r"a\{x"),
            ("a{,5}", r"a\{,5\}"),
            ("a{01}", r"a\{01\}"),
            (r"[[]", r"[\[]"),
            ("[a&&b]", r"[a\&\&b]"),
            ("[]a]", r"[\]a]"),
            ("[a-]", r"[a\-]"),
            (r"\Q.*\E+", r"\.\*+"),
            (r"\101\0", "A\0"),
            (r"\x41\x{42}", "AB"),
            (r"\<\>\_", "<>_"),
            ("^a$", "(?:^)a(?:$)"),
            (r"\bx\B", r"(?:(?-u:\b))x(?:(?-u:\B))"),
            ("(?i)a(?s:b)", "(?i)a(?s:b)"),
            ("(?P<a>x)(?<b>y)", "(x)(y)"),
            (r"\p{^Greek}\pL[\p{Han}]", r"\P{Greek}\p{L}[\p{Han}]"),
            ("[[:alpha:][:^digit:]]", "[[:alpha:][:^digit:]]"),
            ("a*?b+?c??", "a*?b+?c??"),
            ("(?)", ""),
        ];
        for (go, rust) in cases {
            assert_eq!(
                translate(go, false).map(|t| t.rust).as_deref(),
                Ok(*rust),
                "{go}"
            );
            assert!(Regex::new(rust).is_ok(), "{rust}");
        }
        assert_eq!(translate("(?P<a>x)", true).unwrap().rust, "(?P<a>x)");
    }

    #[test]
    fn reports_go_errors() {
        let cases: &[(&str, &str)] = &[
            ("((", "missing closing ): `((`"),
            ("a)", "unexpected ): `a)`"),
            ("[a-", "missing closing ]: `[a-`"),
            ("x[z-a]", "invalid character class range: `z-a`"),
            (r"\q", r"invalid escape sequence: `\q`"),
            (r"\1", r"invalid escape sequence: `\1`"),
            (r"\8", r"invalid escape sequence: `\8`"),
            (r"\C", r"invalid escape sequence: `\C`"),
            (r"a\", "trailing backslash at end of expression: ``"),
            ("*a", "missing argument to repetition operator: `*`"),
            ("a|+", "missing argument to repetition operator: `+`"),
            ("a**", "invalid nested repetition operator: `**`"),
            ("a*??", "invalid nested repetition operator: `*??`"),
            ("a{2}{3}", "invalid nested repetition operator: `{2}{3}`"),
            ("a{1001}", "invalid repeat count: `{1001}`"),
            ("a{3,2}", "invalid repeat count: `{3,2}`"),
            ("(a{10}b{101}){10}", "invalid repeat count: `{10}`"),
            ("(?x)", "invalid or unsupported Perl syntax: `(?x`"),
            ("(?=a)", "invalid or unsupported Perl syntax: `(?=`"),
            ("(?i-)", "invalid or unsupported Perl syntax: `(?i-)`"),
            ("(?P<a-b>x)", "invalid named capture: `(?P<a-b>`"),
            ("(?P<a", "invalid named capture: `(?P<a`"),
            ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
            (r"\p{", r"invalid character class range: `\p{`"),
        ];
        for (go, want) in cases {
            assert_eq!(
                translate(go, false).map(|t| t.rust).unwrap_err(),
                format!("error parsing regexp: {want}"),
                "{go}"
            );
        }
    }

    #[test]
    fn semantics_follow_go() {
        let re = compile_unanchored(r"^\d+$").unwrap();
        assert!(re.is_match("123") && !re.is_match("١٢٣"));
        let re = compile_unanchored(r"\bfoo\b").unwrap();
        assert!(re.is_match("a foo b") && re.is_match("éfooé") && !re.is_match("afoob"));
        let re = compile_unanchored("a.b").unwrap();
        assert!(!re.is_match("a\nb"));
        assert!(compile_unanchored(r"\p{Foo}")
            .unwrap_err()
            .contains(r"`\p{Foo}`"));
    }

    #[test]
    fn matchers_take_fast_paths() {
        assert!(matches!(compile_matcher("web"), Ok(RegexMatch::Literal)));
        assert!(matches!(compile_matcher(""), Ok(RegexMatch::Literal)));
        assert!(matches!(compile_matcher("a|b|"), Ok(RegexMatch::OneOf(s)) if s.len() == 3));
        assert!(matches!(compile_matcher(".*"), Ok(RegexMatch::Any)));
        assert!(matches!(compile_matcher(".+"), Ok(RegexMatch::NonEmpty)));
        for glob in [
            "web.*",
            ".*curl.*",
            ".+@docker",
            "5..",
            r"ssh.*\.service",
            "(?i).*bot.*",
        ] {
            assert!(
                matches!(compile_matcher(glob), Ok(RegexMatch::Glob(_))),
                "{glob}"
            );
        }
        for not_glob in ["a*", ".*?", "(?i)é.*", "a.?", r"\d.*", "(a).*"] {
            assert!(
                matches!(compile_matcher(not_glob), Ok(RegexMatch::Compiled(_))),
                "{not_glob}"
            );
        }
        let Ok(RegexMatch::Compiled(re)) = compile_matcher("w.(b)") else {
            panic!("expected a compiled regex");
        };
        assert!(re.is_match("w\nb") && !re.is_match("xweb"));
        assert!(compile_matcher("a)|(b").is_err());
        let re = compile_label_replace("a)|(b").unwrap();
        assert!(re.is_match("a") && re.is_match("b"));
    }
}

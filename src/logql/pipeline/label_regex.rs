//! How Loki evaluates `=~` / `!~` in label filter stages.
//!
//! Loki does not run these regexes as written: it parses them with Go's
//! `regexp/syntax` and, when the tree is simple enough, replaces it with
//! literal tests. A bare literal becomes an equality test, but a literal
//! next to `.*` becomes a *substring* test, so `trace_id=~"a.*"` keeps any
//! value containing an `a` and `path=~"/api/.*"` keeps `/x/api/y` (both
//! visible in Loki 3.7's answers). Anything else runs as the regex anchored
//! `^(?:re)$`.
//!
//! This module rebuilds the part of Go's parse tree that decides this:
//! literals (merged), `.`, `.*`, `.+`, groups, `(?i)` and alternations with
//! Go's prefix factoring (`error|errors` becomes `error(?:|s)`, hence a
//! substring test) and its folding of single-character alternatives into a
//! class. Every other construct makes the regex "complex", which is exactly
//! when Loki falls back to the anchored regex.

use regex::Regex;

use crate::logql::go_regex;

/// A label value test equivalent to Loki's for one regex.
#[derive(Clone, Debug)]
pub enum LabelRegex {
    /// Always true (`.*`, empty regex).
    True,
    /// True for a non-empty value (`.+`).
    Exists,
    /// Equality (ASCII-lowercased comparison when case-insensitive).
    Equal(String, bool),
    /// Substring.
    Contains(String, bool),
    /// Either.
    Or(Box<LabelRegex>, Box<LabelRegex>),
    /// The regex anchored at both ends.
    Regex(Regex),
    /// A regex that does not compile: matches nothing.
    Never,
}

impl LabelRegex {
    /// Compiles `re` the way Loki's label filters do.
    pub fn new(re: &str) -> LabelRegex {
        if let Some(node) = Parser::new(re).parse() {
            if let Some(f) = simplify(&node) {
                return f;
            }
        }
        let compiled = go_regex::translate(re, false)
            .and_then(|t| go_regex::build(&format!("^(?:{})$", t.rust), re));
        match compiled {
            Ok(r) => LabelRegex::Regex(r),
            Err(_) => LabelRegex::Never,
        }
    }

    /// Whether the value passes.
    pub fn matches(&self, v: &str) -> bool {
        match self {
            LabelRegex::True => true,
            LabelRegex::Exists => !v.is_empty(),
            LabelRegex::Equal(s, false) => v == s,
            LabelRegex::Equal(s, true) => v.len() == s.len() && contains_fold(v, s),
            LabelRegex::Contains(s, false) => v.contains(s.as_str()),
            LabelRegex::Contains(s, true) => contains_fold(v, s),
            LabelRegex::Or(a, b) => a.matches(v) || b.matches(v),
            LabelRegex::Regex(r) => r.is_match(v),
            LabelRegex::Never => false,
        }
    }
}

/// Case-insensitive substring test; `needle` is already lowercase.
fn contains_fold(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle.is_ascii() {
        let h = hay.as_bytes();
        let n = needle.as_bytes();
        return h
            .windows(n.len())
            .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b));
    }
    hay.to_lowercase().contains(needle)
}

/// The parts of Go's regex tree that matter here.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    /// Runes and whether `(?i)` applied.
    Literal(String, bool),
    AnyCharNotNl,
    /// `.*` (possibly lazy).
    StarAny,
    /// `.+`.
    PlusAny,
    Empty,
    Capture(Box<Node>),
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
    /// A character class made from single-character alternatives.
    Class,
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    fold: bool,
    depth: u32,
}

/// Deeper group nesting is left to the regex engine (Go refuses past 1000).
const MAX_DEPTH: u32 = 200;

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        Parser {
            chars: s.chars().peekable(),
            fold: false,
            depth: 0,
        }
    }

    /// The whole regex; None when it uses anything outside the subset.
    fn parse(mut self) -> Option<Node> {
        let n = self.alternation()?;
        if self.chars.next().is_some() {
            return None;
        }
        Some(n)
    }

    fn alternation(&mut self) -> Option<Node> {
        let mut legs = vec![self.concat()?];
        while self.chars.peek() == Some(&'|') {
            self.chars.next();
            legs.push(self.concat()?);
        }
        if legs.len() == 1 {
            return legs.pop();
        }
        Some(alternate(legs))
    }

    fn concat(&mut self) -> Option<Node> {
        let saved_fold = self.fold;
        let mut items: Vec<Node> = Vec::new();
        while let Some(&c) = self.chars.peek() {
            if c == '|' || c == ')' {
                break;
            }
            self.chars.next();
            let atom = match c {
                '(' => match self.group()? {
                    Some(n) => n,
                    None => continue, // a flag-only group like (?i)
                },
                '.' => Node::AnyCharNotNl,
                '\\' => {
                    let e = self.chars.next()?;
                    let lit = match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'f' => '\u{c}',
                        'v' => '\u{b}',
                        'a' => '\u{7}',
                        c if c.is_ascii_punctuation() => c,
                        _ => return None,
                    };
                    Node::Literal(lit.to_string(), self.fold)
                }
                '[' | '^' | '$' | '{' | '?' => return None,
                '*' | '+' => return None,
                c => Node::Literal(c.to_string(), self.fold),
            };
            let atom = match self.chars.peek() {
                Some('*') | Some('+') => {
                    let star = self.chars.next() == Some('*');
                    if self.chars.peek() == Some(&'?') {
                        self.chars.next();
                    }
                    if atom != Node::AnyCharNotNl {
                        return None;
                    }
                    if star {
                        Node::StarAny
                    } else {
                        Node::PlusAny
                    }
                }
                Some('?') | Some('{') => return None,
                _ => atom,
            };
            match (items.last_mut(), &atom) {
                (Some(Node::Literal(s, f1)), Node::Literal(t, f2)) if f1 == f2 => s.push_str(t),
                _ => items.push(atom),
            }
        }
        self.fold = saved_fold;
        Some(match items.len() {
            0 => Node::Empty,
            1 => items.pop()?,
            _ => Node::Concat(items),
        })
    }

    /// After `(`: a group, or None for a flag group that only sets flags.
    fn group(&mut self) -> Option<Option<Node>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let g = self.group_inner();
        self.depth -= 1;
        g
    }

    fn group_inner(&mut self) -> Option<Option<Node>> {
        if self.chars.peek() == Some(&'?') {
            self.chars.next();
            match self.chars.peek() {
                Some('P') | Some('<') => {
                    if self.chars.next() == Some('P') && self.chars.next() != Some('<') {
                        return None;
                    }
                    for c in self.chars.by_ref() {
                        if c == '>' {
                            break;
                        }
                    }
                }
                _ => {
                    // flags: (?i) (?i:...) (?:...)
                    let mut fold = self.fold;
                    let mut negate = false;
                    loop {
                        match self.chars.next()? {
                            'i' => fold = !negate,
                            '-' => negate = true,
                            'U' => {}
                            ':' => break,
                            ')' => {
                                self.fold = fold;
                                return Some(None);
                            }
                            _ => return None,
                        }
                    }
                    let outer = self.fold;
                    self.fold = fold;
                    let inner = self.alternation()?;
                    self.fold = outer;
                    if self.chars.next() != Some(')') {
                        return None;
                    }
                    return Some(Some(inner));
                }
            }
        }
        let inner = self.alternation()?;
        if self.chars.next() != Some(')') {
            return None;
        }
        Some(Some(Node::Capture(Box::new(inner))))
    }
}

fn leading(n: &Node) -> Option<(&str, bool)> {
    match n {
        Node::Literal(s, f) => Some((s, *f)),
        Node::Concat(v) => match v.first() {
            Some(Node::Literal(s, f)) => Some((s, *f)),
            _ => None,
        },
        _ => None,
    }
}

fn remove_leading(n: Node, len: usize) -> Node {
    match n {
        Node::Literal(s, f) => {
            let rest: String = s.chars().skip(len).collect();
            if rest.is_empty() {
                Node::Empty
            } else {
                Node::Literal(rest, f)
            }
        }
        Node::Concat(mut v) => {
            if let Some(Node::Literal(s, f)) = v.first().cloned() {
                let rest: String = s.chars().skip(len).collect();
                if rest.is_empty() {
                    v.remove(0);
                } else {
                    v[0] = Node::Literal(rest, f);
                }
            }
            match v.len() {
                0 => Node::Empty,
                1 => v.pop().unwrap_or(Node::Empty),
                _ => Node::Concat(v),
            }
        }
        other => other,
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// An alternation with Go's factoring applied.
fn alternate(legs: Vec<Node>) -> Node {
    let legs = factor(legs);
    if legs.len() == 1 {
        return legs.into_iter().next().unwrap_or(Node::Empty);
    }
    Node::Alternate(legs)
}

fn factor(legs: Vec<Node>) -> Vec<Node> {
    // Round 1: common literal prefixes of adjacent alternatives.
    let mut out: Vec<Node> = Vec::new();
    let mut i = 0;
    while i < legs.len() {
        let start = i;
        let Some((first, flags)) = leading(&legs[i]) else {
            out.push(legs[i].clone());
            i += 1;
            continue;
        };
        let mut prefix: String = first.to_string();
        i += 1;
        while i < legs.len() {
            match leading(&legs[i]) {
                Some((s, f)) if f == flags => {
                    let same = common_prefix(&prefix, s);
                    if same == 0 {
                        break;
                    }
                    prefix = prefix.chars().take(same).collect();
                    i += 1;
                }
                _ => break,
            }
        }
        if i - start == 1 {
            out.push(legs[start].clone());
            continue;
        }
        let n = prefix.chars().count();
        let rests: Vec<Node> = legs[start..i]
            .iter()
            .cloned()
            .map(|l| remove_leading(l, n))
            .collect();
        let suffix = alternate(rests);
        out.push(Node::Concat(vec![Node::Literal(prefix, flags), suffix]).flattened());
    }
    // Round 3: runs of single characters become a class.
    let mut merged: Vec<Node> = Vec::new();
    let mut run = 0;
    for l in out {
        let single = matches!(&l, Node::Literal(s, _) if s.chars().count() == 1)
            || matches!(l, Node::AnyCharNotNl | Node::Class);
        if single {
            run += 1;
            if run >= 2 {
                merged.pop();
                merged.push(Node::Class);
                continue;
            }
        } else {
            run = 0;
        }
        merged.push(l);
    }
    // Round 4: runs of empty matches become one.
    merged.dedup_by(|a, b| *a == Node::Empty && *b == Node::Empty);
    merged
}

impl Node {
    /// Merges a concat's literal pieces the way Go's parser builds them.
    fn flattened(self) -> Node {
        match self {
            Node::Concat(v) => {
                let mut items: Vec<Node> = Vec::new();
                for n in v {
                    if n == Node::Empty {
                        continue;
                    }
                    items.push(n);
                }
                match items.len() {
                    0 => Node::Empty,
                    1 => items.pop().unwrap_or(Node::Empty),
                    _ => Node::Concat(items),
                }
            }
            other => other,
        }
    }
}

fn lit(s: &str, fold: bool) -> String {
    if fold {
        s.to_lowercase()
    } else {
        s.to_string()
    }
}

fn or(a: Option<LabelRegex>, b: LabelRegex) -> LabelRegex {
    match a {
        None => b,
        Some(LabelRegex::True) => b,
        Some(a) if matches!(b, LabelRegex::True) => a,
        Some(a) => LabelRegex::Or(Box::new(a), Box::new(b)),
    }
}

/// Loki's `Simplify` for label filters.
fn simplify(n: &Node) -> Option<LabelRegex> {
    match n {
        Node::Alternate(legs) => {
            let mut f: Option<LabelRegex> = None;
            for l in legs {
                let g = simplify(uncapture(l))?;
                f = Some(or(f, g));
            }
            f
        }
        Node::Concat(subs) => simplify_concat(subs, None),
        Node::Capture(inner) => simplify(inner),
        Node::Literal(s, fold) => Some(LabelRegex::Equal(lit(s, *fold), *fold)),
        Node::StarAny => Some(LabelRegex::True),
        Node::PlusAny => Some(LabelRegex::Exists),
        Node::Empty => Some(LabelRegex::True),
        Node::AnyCharNotNl | Node::Class => None,
    }
}

fn uncapture(n: &Node) -> &Node {
    match n {
        Node::Capture(inner) => uncapture(inner),
        other => other,
    }
}

fn simplify_concat(subs: &[Node], base: Option<(String, bool)>) -> Option<LabelRegex> {
    let subs: Vec<&Node> = subs
        .iter()
        .map(uncapture)
        .filter(|n| **n != Node::Empty)
        .collect();
    if subs.len() > 3 {
        return None;
    }
    let mut base = base;
    let mut literals = 0;
    let mut curr: Option<LabelRegex> = None;
    for sub in subs {
        match sub {
            Node::Literal(s, fold) => {
                if literals != 0 {
                    return None;
                }
                literals += 1;
                let mut b = base.take().map(|(b, _)| b).unwrap_or_default();
                b.push_str(s);
                base = Some((b, *fold));
            }
            Node::Alternate(legs) if base.is_some() => {
                let (b, fold) = base.clone()?;
                curr = Some(simplify_concat_alternate(legs, &b, fold, curr)?);
            }
            Node::StarAny => {}
            _ => return None,
        }
    }
    if curr.is_some() {
        return curr;
    }
    base.map(|(b, fold)| contains(&b, fold))
}

fn contains(s: &str, fold: bool) -> LabelRegex {
    if s.is_empty() {
        LabelRegex::True
    } else {
        LabelRegex::Contains(lit(s, fold), fold)
    }
}

fn simplify_concat_alternate(
    legs: &[Node],
    base: &str,
    fold: bool,
    mut curr: Option<LabelRegex>,
) -> Option<LabelRegex> {
    for alt in legs.iter().map(uncapture) {
        let alt_fold = match alt {
            Node::Literal(_, f) => *f,
            _ => false,
        };
        if !fold && alt_fold {
            return None;
        }
        let f = match alt {
            Node::Empty | Node::StarAny => contains(base, fold),
            Node::Literal(s, _) => {
                let mut b = base.to_string();
                b.push_str(s);
                contains(&b, fold)
            }
            Node::Concat(subs) => simplify_concat(subs, Some((base.to_string(), fold)))?,
            _ => return None,
        };
        curr = Some(or(curr, f));
    }
    curr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_loki() {
        // (regex, value, Loki's verdict)
        let cases: &[(&str, &str, bool)] = &[
            // literal: equality
            ("error", "error", true),
            ("error", "xerrorx", false),
            ("(error)", "error", true),
            // literal and .*: substring (observed: trace_id=~"a.*" keeps "07c8dd9e64e07c4a")
            ("a.*", "07c8dd9e64e07c4a", true),
            ("a.*", "0123", false),
            ("/api/.*", "/x/api/y", true),
            (".*curl.*", "curl/8.5.0", true),
            ("(?i)err.*", "ERROR", true),
            ("(?i)err.*", "an Err", true),
            // alternations of literals: equality per leg
            ("error|warn", "warn", true),
            ("error|warn", "warning", false),
            // common prefixes are factored out, which turns legs into substrings
            ("error|errors", "xerrorx", true),
            ("GET|POST|PUT", "xPOSTx", true),
            ("GET|POST|PUT", "xGETx", false),
            // single characters fold into a class: anchored regex
            ("H1[0-9]", "H12", true),
            ("H1[0-9]", "xH12", false),
            ("x(a|b)", "xa", true),
            ("x(a|b)", "zxaz", false),
            // .* and .+
            (".*", "", true),
            (".+", "", false),
            (".+", "a", true),
            ("", "", true),
            ("", "x", true),
            // anything else is the anchored regex
            ("5..", "503", true),
            ("5..", "1503", false),
            ("^a$", "a", true),
            ("a+", "aa", true),
            ("a+", "baa", false),
            ("w.b", "web", true),
            ("w.b", "xweb", false),
            ("(((", "x", false),
        ];
        for (re, v, want) in cases {
            assert_eq!(LabelRegex::new(re).matches(v), *want, "{re:?} on {v:?}");
        }
    }
}

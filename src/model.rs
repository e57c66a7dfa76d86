//! Types shared by every layer: labels, label matchers, log entries and the
//! push batch that ingest hands to the store.

use std::fmt;

use regex::Regex;

/// Nanoseconds since the Unix epoch.
pub type Timestamp = i64;

/// One label: a name and its value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// The label name.
    pub name: String,
    /// The label value.
    pub value: String,
}

impl Label {
    /// Builds a label from anything string-like.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Label {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A label set: sorted by name, names unique.
///
/// `Ord` compares pair by pair (name, then value), the shorter set first on a
/// common prefix: the order Prometheus' `labels.Compare` gives, which Loki uses
/// to sort metric results.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(Vec<Label>);

impl Labels {
    /// The empty label set.
    pub fn new() -> Self {
        Labels(Vec::new())
    }

    /// Builds a set from pairs in any order. When a name repeats, the last
    /// value wins (callers that must reject duplicates check before).
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: Into<String>,
        V: Into<String>,
    {
        let mut v: Vec<Label> = pairs
            .into_iter()
            .map(|(n, val)| Label::new(n, val))
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out: Vec<Label> = Vec::with_capacity(v.len());
        for l in v {
            match out.last_mut() {
                Some(last) if last.name == l.name => *last = l,
                _ => out.push(l),
            }
        }
        Labels(out)
    }

    /// Wraps a vector that is already sorted by name with unique names.
    pub fn from_sorted(v: Vec<Label>) -> Self {
        debug_assert!(v.windows(2).all(|w| w[0].name < w[1].name));
        Labels(v)
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|l| l.name.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].value.as_str())
    }

    /// Sets `name` to `value`, keeping the order.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        match self.0.binary_search_by(|l| l.name.cmp(&name)) {
            Ok(i) => self.0[i].value = value.into(),
            Err(i) => self.0.insert(i, Label::new(name, value)),
        }
    }

    /// Removes `name`; returns its value if it was present.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        match self.0.binary_search_by(|l| l.name.as_str().cmp(name)) {
            Ok(i) => Some(self.0.remove(i).value),
            Err(_) => None,
        }
    }

    /// Keeps only the labels for which `f` returns true.
    pub fn retain(&mut self, f: impl FnMut(&Label) -> bool) {
        self.0.retain(f);
    }

    /// The labels in name order.
    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    /// The labels as a slice, in name order.
    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Consumes the set, giving the sorted vector.
    pub fn into_vec(self) -> Vec<Label> {
        self.0
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Renders `{a="b", c="d"}` with Go-quoted values: Loki's label string, used
/// in error messages and to sort result streams.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&l.name)?;
            f.write_str("=")?;
            f.write_str(&go_quote(&l.value))?;
        }
        f.write_str("}")
    }
}

/// Quotes `s` the way Go's `strconv.Quote` does: `"` and `\` escaped,
/// control characters as `\n`, `\t`, `\xNN`, `\uNNNN`; printable runes kept.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if !is_go_printable(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `strconv.IsPrint` for runes above ASCII:
/// control, format, surrogate, private-use and unassigned-ish code points
/// (and every space but U+0020) are not printable.
fn is_go_printable(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    !(c.is_control()
        || c.is_whitespace()
        || (0xE000..=0xF8FF).contains(&u)
        || (0xF0000..=0x10FFFF).contains(&u)
        || matches!(u, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x200B..=0x200F
            | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
            | 0xFFFE | 0xFFFF))
}

/// Label matcher operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `=~` (fully anchored regex)
    Re,
    /// `!~` (fully anchored regex)
    Nre,
}

impl MatchOp {
    /// The operator as written in LogQL.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Neq => "!=",
            MatchOp::Re => "=~",
            MatchOp::Nre => "!~",
        }
    }
}

/// A label matcher `name op "value"`. Regex matchers are compiled once,
/// anchored as `^(?:value)$` like Prometheus/Loki; a missing label matches as
/// the empty string.
#[derive(Clone, Debug)]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// Operator.
    pub op: MatchOp,
    /// The value or regex source as written (unescaped).
    pub value: String,
    re: Option<Regex>,
}

impl Matcher {
    /// Builds a matcher, compiling the regex for `=~` / `!~`.
    pub fn new(
        name: impl Into<String>,
        op: MatchOp,
        value: impl Into<String>,
    ) -> Result<Self, regex::Error> {
        let value = value.into();
        let re = match op {
            MatchOp::Re | MatchOp::Nre => Some(Regex::new(&format!("^(?:{value})$"))?),
            _ => None,
        };
        Ok(Matcher {
            name: name.into(),
            op,
            value,
            re,
        })
    }

    /// Whether a label value (`""` when the label is missing) matches.
    pub fn matches(&self, v: &str) -> bool {
        match self.op {
            MatchOp::Eq => v == self.value,
            MatchOp::Neq => v != self.value,
            MatchOp::Re => self.re.as_ref().is_some_and(|r| r.is_match(v)),
            MatchOp::Nre => !self.re.as_ref().is_some_and(|r| r.is_match(v)),
        }
    }

    /// Whether the matcher accepts a missing label (the empty string).
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }

    /// Whether a label set matches (missing label = `""`).
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matches(labels.get(&self.name).unwrap_or(""))
    }
}

impl PartialEq for Matcher {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.op == o.op && self.value == o.value
    }
}

impl Eq for Matcher {}

/// Renders `name="value"` with a Go-quoted value.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.name, self.op.as_str(), go_quote(&self.value))
    }
}

/// Time order of a log query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Oldest first.
    Forward,
    /// Newest first (Loki's default).
    Backward,
}

/// One log entry as pushed and as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Nanoseconds since the epoch.
    pub ts: Timestamp,
    /// The log line.
    pub line: String,
    /// Structured metadata, in the order it was pushed (plus `detected_level`).
    pub metadata: Vec<Label>,
}

/// One stream of a push request after decoding: its label set and entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushStream {
    /// The stream's labels (sorted, with `service_name` once discovered).
    pub labels: Labels,
    /// Entries in the order they were pushed.
    pub entries: Vec<Entry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_sort_dedupe_and_render() {
        let l = Labels::from_pairs([("b", "2"), ("a", "x\"y"), ("b", "3")]);
        assert_eq!(l.to_string(), r#"{a="x\"y", b="3"}"#);
        assert_eq!(l.get("b"), Some("3"));
        assert_eq!(l.get("c"), None);
    }

    #[test]
    fn labels_insert_remove_keep_order() {
        let mut l = Labels::from_pairs([("m", "1")]);
        l.insert("a", "0");
        l.insert("z", "9");
        l.insert("m", "2");
        assert_eq!(l.to_string(), r#"{a="0", m="2", z="9"}"#);
        assert_eq!(l.remove("m").as_deref(), Some("2"));
        assert_eq!(l.remove("m"), None);
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn labels_order_is_prometheus_compare() {
        let a = Labels::from_pairs([("a", "1")]);
        let b = Labels::from_pairs([("a", "1"), ("b", "1")]);
        let c = Labels::from_pairs([("a", "2")]);
        assert!(a < b && b < c);
    }

    #[test]
    fn go_quote_escapes_like_go() {
        assert_eq!(go_quote("a\nb\t\u{1}é日"), "\"a\\nb\\t\\x01é日\"");
        assert_eq!(go_quote("\\"), "\"\\\\\"");
        assert_eq!(go_quote("\u{200b}"), "\"\\u200b\"");
    }

    #[test]
    fn matchers_are_anchored_and_missing_is_empty() {
        let m = Matcher::new("app", MatchOp::Re, "web").unwrap();
        assert!(m.matches("web"));
        assert!(!m.matches("web.1"));
        let n = Matcher::new("app", MatchOp::Nre, "a|b").unwrap();
        assert!(n.matches("c") && !n.matches("a"));
        let e = Matcher::new("x", MatchOp::Eq, "").unwrap();
        assert!(e.matches_labels(&Labels::new()));
        assert!(Matcher::new("x", MatchOp::Re, "(").is_err());
        assert_eq!(
            Matcher::new("a", MatchOp::Neq, "q\"").unwrap().to_string(),
            r#"a!="q\"""#
        );
    }
}

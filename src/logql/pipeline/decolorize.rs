//! `| decolorize` (logql.md §3.3): removes ANSI escape sequences (the
//! expression of `acarl005/stripansi`, as Loki uses it). Line filters after
//! it are hoisted before it, as in Loki, so they see the colored line.

use regex::Regex;

/// The `stripansi` expression, with `\d` spelled `[0-9]` (Go's `\d` is ASCII).
const ANSI: &str = "[\u{1b}\u{9b}][\\[\\]()#;?]*(?:(?:(?:[a-zA-Z0-9]*(?:;[a-zA-Z0-9]*)*)?\u{7})|(?:(?:[0-9]{1,4}(?:;[0-9]{0,4})*)?[0-9A-PRZcf-ntqry=><~]))";

/// The `decolorize` stage.
#[derive(Clone, Debug)]
pub struct DecolorizeStage {
    re: Regex,
}

impl Default for DecolorizeStage {
    fn default() -> Self {
        DecolorizeStage::new()
    }
}

impl DecolorizeStage {
    /// Compiles the expression.
    pub fn new() -> DecolorizeStage {
        // The expression is a constant known to compile.
        let re = Regex::new(ANSI).unwrap_or_else(|_| Regex::new("$^").expect("trivial regex"));
        DecolorizeStage { re }
    }

    /// Writes the line without escapes into `out`; false when there was
    /// nothing to remove (the line stays as it is).
    pub fn process(&self, line: &str, out: &mut String) -> bool {
        if memchr::memchr(0x1b, line.as_bytes()).is_none() && !line.contains('\u{9b}') {
            return false;
        }
        out.clear();
        let mut last = 0;
        for m in self.re.find_iter(line) {
            out.push_str(&line[last..m.start()]);
            last = m.end();
        }
        if last == 0 {
            return false;
        }
        out.push_str(&line[last..]);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_ansi_sequences() {
        let d = DecolorizeStage::new();
        let cases = [
            (
                "\u{1b}[36mWARN \u{1b}[0m[2026-01-12T03:59:43.Z] prometheus: x",
                "WARN [2026-01-12T03:59:43.Z] prometheus: x",
            ),
            ("\u{1b}[1;31mERROR\u{1b}[0m boom", "ERROR boom"),
            ("plain", "plain"),
            ("\u{1b}]0;title\u{7}rest", "rest"),
            ("\u{9b}32mgreen", "green"),
        ];
        for (input, want) in cases {
            let mut out = String::new();
            let got = if d.process(input, &mut out) {
                out
            } else {
                input.to_string()
            };
            assert_eq!(got, want, "{input:?}");
        }
    }
}

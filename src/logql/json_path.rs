//! JSON extraction expressions of `| json label="expr"` (logql.md §3.5).
//!
//! The language is Loki's `jsonexpr`: a field (`a`), then any sequence of
//! `.field`, `["key"]` and `[index]`; a leading `[0]` or `["key"]` is allowed.
//! Whitespace between tokens is ignored. Quoted keys have no escapes and end
//! at the first `"` or `]`; a NUL character ends the input. Errors carry the
//! texts of Loki's lexer and grammar (`syntax error: unexpected DOT,
//! expecting FIELD`).

use crate::logql::ast::JsonPathPart;

/// Parses a JSON extraction expression into path steps.
pub fn parse_json_path(expr: &str) -> Result<Vec<JsonPathPart>, String> {
    let mut lexer = Lexer {
        chars: expr.char_indices().peekable(),
        src: expr,
        error: None,
    };
    let mut parts = Vec::new();
    // Grammar states, named after what they expect next.
    enum State {
        Start,
        Values,
        AfterDot,
        AfterBracket,
        Close(JsonPathPart),
    }
    let mut state = State::Start;
    loop {
        let tok = lexer.next_token();
        state = match (state, tok) {
            (State::Start | State::AfterDot, Tok::Field(f)) => {
                parts.push(JsonPathPart::Key(f));
                State::Values
            }
            (State::Start | State::Values, Tok::Lsb) => State::AfterBracket,
            (State::Values, Tok::Dot) => State::AfterDot,
            (State::Values, Tok::Eof) => {
                return match lexer.error {
                    Some(e) => Err(e),
                    None => Ok(parts),
                }
            }
            (State::AfterBracket, Tok::Str(s)) => State::Close(JsonPathPart::Key(s)),
            (State::AfterBracket, Tok::Index(i)) => State::Close(JsonPathPart::Index(i)),
            (State::Close(part), Tok::Rsb) => {
                parts.push(part);
                State::Values
            }
            (state, tok) => {
                let expecting = match state {
                    State::Start => "LSB or FIELD",
                    State::Values => "DOT or LSB",
                    State::AfterDot => "FIELD",
                    State::AfterBracket => "STRING or INDEX",
                    State::Close(_) => "RSB",
                };
                return Err(format!(
                    "syntax error: unexpected {}, expecting {expecting}",
                    tok.name()
                ));
            }
        };
    }
}

enum Tok {
    Eof,
    Dot,
    Lsb,
    Rsb,
    Str(String),
    Field(String),
    Index(usize),
}

impl Tok {
    fn name(&self) -> &'static str {
        match self {
            Tok::Eof => "$end",
            Tok::Dot => "DOT",
            Tok::Lsb => "LSB",
            Tok::Rsb => "RSB",
            Tok::Str(_) => "STRING",
            Tok::Field(_) => "FIELD",
            Tok::Index(_) => "INDEX",
        }
    }
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    src: &'a str,
    error: Option<String>,
}

impl Lexer<'_> {
    /// The next token; a lexical error is recorded and reads as the end.
    fn next_token(&mut self) -> Tok {
        loop {
            let Some((start, c)) = self.chars.next() else {
                return Tok::Eof;
            };
            match c {
                '\0' => return Tok::Eof,
                ' ' | '\t' | '\n' => continue,
                '0'..='9' => return self.index(start),
                '[' => return Tok::Lsb,
                ']' => return Tok::Rsb,
                '.' => return Tok::Dot,
                'a'..='z' | 'A'..='Z' | '_' => {
                    let mut end = start + 1;
                    while let Some(&(i, c)) = self.chars.peek() {
                        if !(c.is_ascii_alphanumeric() || c == '_') {
                            break;
                        }
                        self.chars.next();
                        end = i + 1;
                    }
                    return Tok::Field(self.src[start..end].to_string());
                }
                '"' => {
                    let mut s = String::new();
                    for (_, c) in self.chars.by_ref() {
                        if c == '"' || c == ']' || c == '\0' {
                            break;
                        }
                        s.push(c);
                    }
                    return Tok::Str(s);
                }
                other => {
                    self.error = Some(format!("unexpected char {other}"));
                    return Tok::Eof;
                }
            }
        }
    }

    fn index(&mut self, start: usize) -> Tok {
        let mut end = start + 1;
        loop {
            match self.chars.peek().copied() {
                Some((_, '.')) => {
                    self.error = Some("cannot use float as array index".to_string());
                    return Tok::Eof;
                }
                Some((_, ' ' | '\t' | '\n' | ']')) => break,
                Some((i, c)) if c.is_ascii_digit() => {
                    self.chars.next();
                    end = i + 1;
                }
                Some((_, c)) => {
                    self.error = Some(format!("non-integer value: {c}"));
                    return Tok::Eof;
                }
                None => {
                    self.error = Some("non-integer value: \0".to_string());
                    return Tok::Eof;
                }
            }
        }
        let digits = &self.src[start..end];
        match digits.parse::<i64>() {
            Ok(v) => Tok::Index(v as usize),
            Err(_) => {
                self.error = Some(format!(
                    "strconv.Atoi: parsing {}: value out of range",
                    crate::model::go_quote(digits)
                ));
                Tok::Eof
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JsonPathPart::{Index, Key};

    fn key(s: &str) -> JsonPathPart {
        Key(s.to_string())
    }

    #[test]
    fn parses_paths() {
        let cases: &[(&str, Vec<JsonPathPart>)] = &[
            ("a", vec![key("a")]),
            ("a.b.c", vec![key("a"), key("b"), key("c")]),
            ("servers[0]", vec![key("servers"), Index(0)]),
            ("a[0].b", vec![key("a"), Index(0), key("b")]),
            (
                r#"a.list[0]["field"]"#,
                vec![key("a"), key("list"), Index(0), key("field")],
            ),
            ("[0]", vec![Index(0)]),
            (r#"["request_User-Agent"]"#, vec![key("request_User-Agent")]),
            (r#"["a b"]"#, vec![key("a b")]),
            (" a . b [ 1 ] ", vec![key("a"), key("b"), Index(1)]),
            ("a\0garbage", vec![key("a")]),
        ];
        for (expr, want) in cases {
            assert_eq!(&parse_json_path(expr).unwrap(), want, "{expr}");
        }
    }

    #[test]
    fn rejects_like_loki() {
        let cases: &[(&str, &str)] = &[
            ("", "syntax error: unexpected $end, expecting LSB or FIELD"),
            ("b..c", "syntax error: unexpected DOT, expecting FIELD"),
            (
                "b[x]",
                "syntax error: unexpected FIELD, expecting STRING or INDEX",
            ),
            (".a", "syntax error: unexpected DOT, expecting LSB or FIELD"),
            (
                "a b",
                "syntax error: unexpected FIELD, expecting DOT or LSB",
            ),
            (
                "a[0.5]",
                "syntax error: unexpected $end, expecting STRING or INDEX",
            ),
            ("a-b", "unexpected char -"),
            ("a.@", "syntax error: unexpected $end, expecting FIELD"),
            (
                "[1a]",
                "syntax error: unexpected $end, expecting STRING or INDEX",
            ),
            (r#"["a]"#, "syntax error: unexpected $end, expecting RSB"),
        ];
        for (expr, want) in cases {
            assert_eq!(parse_json_path(expr).unwrap_err(), *want, "{expr}");
        }
    }
}

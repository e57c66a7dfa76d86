//! Tokens of Go's `text/template`: text, `{{` / `}}` with trim markers
//! (`{{- ` and ` -}}`), comments, and the words inside actions. Error
//! messages are Go's.

use std::borrow::Cow;

/// Token kinds, as in Go's lexer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemType {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl ItemType {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            ItemType::Block
                | ItemType::Break
                | ItemType::Continue
                | ItemType::Dot
                | ItemType::Define
                | ItemType::Else
                | ItemType::End
                | ItemType::If
                | ItemType::Nil
                | ItemType::Range
                | ItemType::Template
                | ItemType::With
        )
    }
}

/// One token.
#[derive(Clone, Debug)]
pub(crate) struct Item<'s> {
    pub(crate) typ: ItemType,
    /// Byte offset in the template.
    pub(crate) pos: usize,
    /// The token text, or the message of an error token.
    pub(crate) val: Cow<'s, str>,
    /// Line where the token starts.
    pub(crate) line: usize,
}

impl std::fmt::Display for Item<'_> {
    /// Go's `item.String()`, used in "unexpected X in Y".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.typ {
            ItemType::Eof => f.write_str("EOF"),
            ItemType::Error => f.write_str(&self.val),
            t if t.is_keyword() => write!(f, "<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let head: String = self.val.chars().take(10).collect();
                    write!(f, "{}...", crate::logql::template::printf::go_quote(&head))
                } else {
                    f.write_str(&crate::logql::template::printf::go_quote(&self.val))
                }
            }
        }
    }
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";
const TRIM_MARKER_LEN: usize = 2;

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Go's `isAlphaNumeric`: `_`, letters and decimal digits.
fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_ascii_digit() || nd_like(c)
}

/// Non-ASCII decimal digits: the 0-9 runs of the common scripts.
fn nd_like(c: char) -> bool {
    let u = c as u32;
    const ZEROS: [u32; 24] = [
        0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6,
        0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0xFF10, 0x1946, 0x19D0, 0x1A80,
    ];
    ZEROS.iter().any(|&z| (z..z + 10).contains(&u))
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

/// The lexer: a pull tokenizer over the template source.
pub(crate) struct Lexer<'s> {
    input: &'s str,
    pos: usize,
    start: usize,
    at_eof: bool,
    paren_depth: i32,
    line: usize,
    start_line: usize,
    inside_action: bool,
    done: bool,
}

/// What a state step produced.
enum Step<'s> {
    Emit(Item<'s>),
    Continue(State),
}

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
}

impl<'s> Lexer<'s> {
    pub(crate) fn new(input: &'s str) -> Lexer<'s> {
        Lexer {
            input,
            pos: 0,
            start: 0,
            at_eof: false,
            paren_depth: 0,
            line: 1,
            start_line: 1,
            inside_action: false,
            done: false,
        }
    }

    /// The next token; after an error or EOF, EOF forever.
    pub(crate) fn next_item(&mut self) -> Item<'s> {
        if self.done {
            return Item {
                typ: ItemType::Eof,
                pos: self.pos,
                val: Cow::Borrowed(""),
                line: self.start_line,
            };
        }
        let mut state = if self.inside_action {
            State::InsideAction
        } else {
            State::Text
        };
        loop {
            match self.step(state) {
                Step::Emit(item) => {
                    if matches!(item.typ, ItemType::Eof | ItemType::Error) {
                        self.done = true;
                    }
                    return item;
                }
                Step::Continue(s) => state = s,
            }
        }
    }

    fn rest(&self) -> &'s str {
        &self.input[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        match self.rest().chars().next() {
            None => {
                self.at_eof = true;
                None
            }
            Some(c) => {
                self.pos += c.len_utf8();
                if c == '\n' {
                    self.line += 1;
                }
                Some(c)
            }
        }
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn backup(&mut self) {
        if !self.at_eof && self.pos > 0 {
            if let Some(c) = self.input[..self.pos].chars().next_back() {
                self.pos -= c.len_utf8();
                if c == '\n' {
                    self.line -= 1;
                }
            }
        }
    }

    fn this_item(&mut self, typ: ItemType) -> Item<'s> {
        let item = Item {
            typ,
            pos: self.start,
            val: Cow::Borrowed(&self.input[self.start..self.pos]),
            line: self.start_line,
        };
        self.start = self.pos;
        self.start_line = self.line;
        item
    }

    fn emit(&mut self, typ: ItemType) -> Step<'s> {
        Step::Emit(self.this_item(typ))
    }

    fn ignore(&mut self) {
        self.line += self.input[self.start..self.pos].matches('\n').count();
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while let Some(c) = self.next() {
            if !valid.contains(c) {
                self.backup();
                return;
            }
        }
        self.backup();
    }

    fn errorf(&mut self, msg: String) -> Step<'s> {
        let item = Item {
            typ: ItemType::Error,
            pos: self.start,
            val: Cow::Owned(msg),
            line: self.start_line,
        };
        Step::Emit(item)
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM) {
            return (true, true);
        }
        (rest.starts_with(RIGHT_DELIM), false)
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(_) => self.rest().starts_with(RIGHT_DELIM),
        }
    }

    fn step(&mut self, state: State) -> Step<'s> {
        match state {
            State::Text => self.lex_text(),
            State::LeftDelim => self.lex_left_delim(),
            State::Comment => self.lex_comment(),
            State::RightDelim => self.lex_right_delim(),
            State::InsideAction => self.lex_inside_action(),
            State::Space => self.lex_space(),
            State::Identifier => self.lex_identifier(),
            State::Field => self.lex_field_or_variable(ItemType::Field),
            State::Variable => {
                if self.at_terminator() {
                    return self.emit(ItemType::Variable);
                }
                self.lex_field_or_variable(ItemType::Variable)
            }
            State::Char => self.lex_char(),
            State::Number => self.lex_number(),
            State::Quote => self.lex_quote(),
            State::RawQuote => self.lex_raw_quote(),
        }
    }

    fn lex_text(&mut self) -> Step<'s> {
        if let Some(x) = self.rest().find(LEFT_DELIM) {
            if x > 0 {
                self.pos += x;
                let delim_end = self.pos + LEFT_DELIM.len();
                let mut trim = 0;
                if has_left_trim_marker(&self.input[delim_end..]) {
                    let text = &self.input[self.start..self.pos];
                    trim = text.len() - text.trim_end_matches(is_space).len();
                }
                self.pos -= trim;
                self.line += self.input[self.start..self.pos].matches('\n').count();
                let item = self.this_item(ItemType::Text);
                self.pos += trim;
                self.ignore();
                if !item.val.is_empty() {
                    return Step::Emit(item);
                }
            }
            return Step::Continue(State::LeftDelim);
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += self.input[self.start..self.pos].matches('\n').count();
            return self.emit(ItemType::Text);
        }
        self.emit(ItemType::Eof)
    }

    fn lex_left_delim(&mut self) -> Step<'s> {
        self.pos += LEFT_DELIM.len();
        let trim = has_left_trim_marker(self.rest());
        let after = if trim { TRIM_MARKER_LEN } else { 0 };
        if self.input[self.pos + after..].starts_with(LEFT_COMMENT) {
            self.pos += after;
            self.ignore();
            return Step::Continue(State::Comment);
        }
        let item = self.this_item(ItemType::LeftDelim);
        self.inside_action = true;
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        Step::Emit(item)
    }

    fn lex_comment(&mut self) -> Step<'s> {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.errorf("unclosed comment".into());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.errorf("comment ends before closing delimiter".into());
        }
        self.line += self.input[self.start..self.pos].matches('\n').count();
        self.start = self.pos;
        self.start_line = self.line;
        if trim {
            self.pos += TRIM_MARKER_LEN;
        }
        self.pos += RIGHT_DELIM.len();
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
        }
        self.ignore();
        Step::Continue(State::Text)
    }

    fn lex_right_delim(&mut self) -> Step<'s> {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += TRIM_MARKER_LEN;
            self.ignore();
        }
        self.pos += RIGHT_DELIM.len();
        let item = self.this_item(ItemType::RightDelim);
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
            self.ignore();
        }
        self.inside_action = false;
        Step::Emit(item)
    }

    fn lex_inside_action(&mut self) -> Step<'s> {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return Step::Continue(State::RightDelim);
            }
            return self.errorf("unclosed left paren".into());
        }
        let Some(r) = self.next() else {
            return self.errorf("unclosed action".into());
        };
        match r {
            c if is_space(c) => {
                self.backup();
                Step::Continue(State::Space)
            }
            '=' => self.emit(ItemType::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.errorf("expected :=".into());
                }
                self.emit(ItemType::Declare)
            }
            '|' => self.emit(ItemType::Pipe),
            '"' => Step::Continue(State::Quote),
            '`' => Step::Continue(State::RawQuote),
            '$' => Step::Continue(State::Variable),
            '\'' => Step::Continue(State::Char),
            '.' if self.peek().is_some_and(|c| !c.is_ascii_digit()) => Step::Continue(State::Field),
            '.' | '+' | '-' | '0'..='9' => {
                self.backup();
                Step::Continue(State::Number)
            }
            c if is_alnum(c) => {
                self.backup();
                Step::Continue(State::Identifier)
            }
            '(' => {
                self.paren_depth += 1;
                self.emit(ItemType::LeftParen)
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.errorf("unexpected right paren".into());
                }
                self.emit(ItemType::RightParen)
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.emit(ItemType::Char),
            c => self.errorf(format!(
                "unrecognized character in action: {}",
                unicode_repr(c)
            )),
        }
    }

    fn lex_space(&mut self) -> Step<'s> {
        let mut num_spaces = 0;
        while self.peek().is_some_and(is_space) {
            self.next();
            num_spaces += 1;
        }
        // A space may start a trim-marked right delimiter " -}}".
        let before = &self.input[self.pos - 1..];
        if has_right_trim_marker(before) && before[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM) {
            self.backup();
            if num_spaces == 1 {
                return Step::Continue(State::RightDelim);
            }
        }
        self.emit(ItemType::Space)
    }

    fn lex_identifier(&mut self) -> Step<'s> {
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                other => {
                    if other.is_some() {
                        self.backup();
                    }
                    let word = &self.input[self.start..self.pos];
                    if !self.at_terminator() {
                        let c = self.peek().unwrap_or('\u{0}');
                        return self.errorf(format!("bad character {}", unicode_repr(c)));
                    }
                    let typ = match word {
                        "block" => ItemType::Block,
                        "break" => ItemType::Break,
                        "continue" => ItemType::Continue,
                        "define" => ItemType::Define,
                        "else" => ItemType::Else,
                        "end" => ItemType::End,
                        "if" => ItemType::If,
                        "range" => ItemType::Range,
                        "nil" => ItemType::Nil,
                        "template" => ItemType::Template,
                        "with" => ItemType::With,
                        "true" | "false" => ItemType::Bool,
                        _ => ItemType::Identifier,
                    };
                    return self.emit(typ);
                }
            }
        }
    }

    fn lex_field_or_variable(&mut self, typ: ItemType) -> Step<'s> {
        if self.at_terminator() {
            return self.emit(if typ == ItemType::Variable {
                ItemType::Variable
            } else {
                ItemType::Dot
            });
        }
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                other => {
                    if other.is_some() {
                        self.backup();
                    }
                    break;
                }
            }
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\u{0}');
            return self.errorf(format!("bad character {}", unicode_repr(c)));
        }
        self.emit(typ)
    }

    fn lex_char(&mut self) -> Step<'s> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.errorf("unterminated character constant".into()),
                },
                None | Some('\n') => return self.errorf("unterminated character constant".into()),
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(ItemType::CharConstant)
    }

    fn lex_number(&mut self) -> Step<'s> {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            return self.errorf(format!(
                "bad number syntax: {}",
                crate::logql::template::printf::go_quote(&text)
            ));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_string();
                return self.errorf(format!(
                    "bad number syntax: {}",
                    crate::logql::template::printf::go_quote(&text)
                ));
            }
            return self.emit(ItemType::Complex);
        }
        self.emit(ItemType::Number)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> Step<'s> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.errorf("unterminated quoted string".into()),
                },
                None | Some('\n') => return self.errorf("unterminated quoted string".into()),
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.emit(ItemType::String)
    }

    fn lex_raw_quote(&mut self) -> Step<'s> {
        loop {
            match self.next() {
                None => return self.errorf("unterminated raw quoted string".into()),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(ItemType::RawString)
    }
}

/// Go's `%#U`: `U+0023 '#'`.
pub(crate) fn unicode_repr(c: char) -> String {
    let mut s = format!("U+{:04X}", c as u32);
    if !c.is_control() {
        s.push_str(&format!(" '{c}'"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> Vec<(ItemType, String)> {
        let mut l = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let it = l.next_item();
            let done = matches!(it.typ, ItemType::Eof | ItemType::Error);
            out.push((it.typ, it.val.into_owned()));
            if done {
                return out;
            }
        }
    }

    #[test]
    fn tokens() {
        use ItemType::*;
        let got = lex(r#"a {{- .x | f "s" 1.5 $v := `r` -}} b{{/* c */}}"#);
        let want: Vec<(ItemType, std::string::String)> = vec![
            (Text, "a".into()),
            (LeftDelim, "{{".into()),
            (Field, ".x".into()),
            (Space, " ".into()),
            (Pipe, "|".into()),
            (Space, " ".into()),
            (Identifier, "f".into()),
            (Space, " ".into()),
            (String, "\"s\"".into()),
            (Space, " ".into()),
            (Number, "1.5".into()),
            (Space, " ".into()),
            (Variable, "$v".into()),
            (Space, " ".into()),
            (Declare, ":=".into()),
            (Space, " ".into()),
            (RawString, "`r`".into()),
            (RightDelim, "}}".into()),
            (Text, "b".into()),
            (Eof, "".into()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn errors() {
        let cases = [
            ("{{.a", "unclosed action"),
            ("{{ (1 }}", "unclosed left paren"),
            ("{{ ) }}", "unexpected right paren"),
            ("{{ € }}", "unrecognized character in action: U+20AC '€'"),
            ("{{ \"abc }}", "unterminated quoted string"),
            ("{{ `abc }}", "unterminated raw quoted string"),
            ("{{ 1a }}", "bad number syntax: \"1a\""),
            ("{{ a: }}", "expected :="),
            ("{{/* x }}", "unclosed comment"),
            ("{{/* x */ }}", "comment ends before closing delimiter"),
            ("{{ .a-b }}", "bad character U+002D '-'"),
        ];
        for (src, want) in cases {
            let toks = lex(src);
            let last = toks
                .last()
                .cloned()
                .unwrap_or((ItemType::Eof, String::new()));
            assert_eq!(last, (ItemType::Error, want.to_string()), "{src}");
        }
    }

    #[test]
    fn trim_markers_keep_minus_numbers() {
        let got = lex("{{-3}}");
        assert_eq!(got[1], (ItemType::Number, "-3".into()));
    }
}

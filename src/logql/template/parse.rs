//! Go's `text/template` parser: the same grammar, the same checks (unknown
//! functions, undefined variables, misplaced `{{end}}`/`{{else}}`/`{{break}}`,
//! non-executable pipeline stages) and the same error texts,
//! `template: NAME:LINE: message`.

use super::funcs;
use super::lex::{Item, ItemType, Lexer};
use super::node::{Action, Arg, Branch, Command, List, Node, Number, Pipe, TemplateCall, Variable};
use super::value::lossy_utf8;
use super::{gonum, TemplateError};

/// Nesting limit for parentheses, and separately for control structures.
/// Go allows 10000 parenthesised levels and unlimited control nesting;
/// kindling stops earlier to keep recursion bounded.
const MAX_DEPTH: usize = 100;

/// The parsed template: the main tree and the `{{define}}`d ones.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) root: List,
    pub(crate) defs: Vec<(String, List)>,
}

/// What `textOrAction` returns: a node, or the `{{end}}` / `{{else}}` that
/// closes the current list.
enum Parsed1 {
    Node(Node),
    End,
    Else,
}

type PResult<T> = Result<T, TemplateError>;

/// Parses `text` as template `name`.
pub(crate) fn parse(name: &str, text: &str) -> PResult<Parsed> {
    let mut p = Parser {
        name,
        lex: Lexer::new(text),
        token: [eof_item(), eof_item(), eof_item()],
        peek_count: 0,
        vars: vec!["$".to_string()],
        action_line: 0,
        range_depth: 0,
        depth: 0,
        control_depth: 0,
        defs: Vec::new(),
    };
    let root = p.parse_top()?;
    let mut defs = p.defs;
    // A `{{define}}` of the template's own name replaces an empty main tree.
    let root = match defs.iter().position(|(n, _)| n == name) {
        Some(i) if is_empty_tree(&root) => defs.remove(i).1,
        Some(_) if !defs.iter().any(|(n, l)| n == name && is_empty_tree(l)) => {
            return Err(TemplateError(format!(
                "template: {name}:1: template: multiple definition of template {}",
                super::printf::go_quote(name)
            )));
        }
        _ => root,
    };
    Ok(Parsed { root, defs })
}

/// Go's `IsEmptyTree`: only whitespace text.
fn is_empty_tree(l: &List) -> bool {
    l.nodes.iter().all(|n| match n {
        Node::Text { text } => text.trim().is_empty(),
        _ => false,
    })
}

fn eof_item<'s>() -> Item<'s> {
    Item {
        typ: ItemType::Eof,
        pos: 0,
        val: "".into(),
        line: 1,
    }
}

struct Parser<'s> {
    name: &'s str,
    lex: Lexer<'s>,
    token: [Item<'s>; 3],
    peek_count: usize,
    vars: Vec<String>,
    action_line: usize,
    range_depth: usize,
    depth: usize,
    control_depth: usize,
    defs: Vec<(String, List)>,
}

impl<'s> Parser<'s> {
    fn next(&mut self) -> Item<'s> {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.lex.next_item();
        }
        self.token[self.peek_count].clone()
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'s>) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'s>, t1: Item<'s>) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'s> {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.lex.next_item();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item<'s> {
        loop {
            let t = self.next();
            if t.typ != ItemType::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'s> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn errorf<T>(&self, msg: impl std::fmt::Display) -> PResult<T> {
        Err(TemplateError(format!(
            "template: {}:{}: {}",
            self.name, self.token[0].line, msg
        )))
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> PResult<Item<'s>> {
        let t = self.next_non_space();
        if t.typ != expected {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn unexpected<T>(&self, token: &Item<'s>, context: &str) -> PResult<T> {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(" in action started at {}:{}", self.name, self.action_line);
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{token}{extra}"));
        }
        self.errorf(format!("unexpected {token} in {context}"))
    }

    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            return self.errorf("max expression depth exceeded");
        }
        self.depth += 1;
        Ok(())
    }

    fn enter_control(&mut self) -> PResult<()> {
        if self.control_depth >= MAX_DEPTH {
            return self.errorf("control structures nested too deeply");
        }
        self.control_depth += 1;
        Ok(())
    }

    fn parse_top(&mut self) -> PResult<List> {
        let mut root = List { nodes: Vec::new() };
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == ItemType::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Parsed1::Node(n) => root.nodes.push(n),
                Parsed1::End => return self.errorf("unexpected {{end}}"),
                Parsed1::Else => return self.errorf("unexpected {{else}}"),
            }
        }
        Ok(root)
    }

    /// `{{define "name"}} ... {{end}}`, the keyword already read.
    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let t = self.next_non_space();
        if !matches!(t.typ, ItemType::String | ItemType::RawString) {
            return self.unexpected(&t, CONTEXT);
        }
        let name = match unquote(&t.val) {
            Ok(n) => n,
            Err(e) => return self.errorf(e),
        };
        self.expect(ItemType::RightDelim, CONTEXT)?;
        let saved = self.fresh_scope();
        let (list, end) = self.item_list()?;
        self.restore_scope(saved);
        if !matches!(end, Parsed1::End) {
            return self.errorf(format!("unexpected {} in {CONTEXT}", end_name(&end)));
        }
        self.add_def(name, list)
    }

    fn add_def(&mut self, name: String, list: List) -> PResult<()> {
        match self.defs.iter().position(|(n, _)| *n == name) {
            Some(i) if is_empty_tree(&self.defs[i].1) => self.defs[i].1 = list,
            Some(_) if is_empty_tree(&list) => {}
            Some(_) => {
                return self.errorf(format!(
                    "template: multiple definition of template {}",
                    super::printf::go_quote(&name)
                ))
            }
            None => self.defs.push((name, list)),
        }
        Ok(())
    }

    fn fresh_scope(&mut self) -> (Vec<String>, usize, usize) {
        let vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved = (vars, self.range_depth, self.action_line);
        self.range_depth = 0;
        self.action_line = 0;
        saved
    }

    fn restore_scope(&mut self, saved: (Vec<String>, usize, usize)) {
        (self.vars, self.range_depth, self.action_line) = saved;
    }

    /// Nodes up to the `{{end}}` or `{{else}}` that closes them.
    fn item_list(&mut self) -> PResult<(List, Parsed1)> {
        self.peek_non_space();
        let mut list = List { nodes: Vec::new() };
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Parsed1::Node(n) => list.nodes.push(n),
                end => return Ok((list, end)),
            }
        }
        self.errorf("unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Parsed1> {
        let t = self.next_non_space();
        match t.typ {
            ItemType::Text => Ok(Parsed1::Node(Node::Text {
                text: t.val.into_owned().into_boxed_str(),
            })),
            ItemType::LeftDelim => {
                self.action_line = t.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Parsed1> {
        let t = self.next_non_space();
        match t.typ {
            ItemType::Block => return self.block_control().map(Parsed1::Node),
            ItemType::Break | ItemType::Continue => {
                let is_break = t.typ == ItemType::Break;
                let word = if is_break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let next = self.next_non_space();
                if next.typ != ItemType::RightDelim {
                    return self.unexpected(&next, word);
                }
                if self.range_depth == 0 {
                    return self.errorf(format!("{word} outside {{{{range}}}}"));
                }
                let pos = t.pos;
                return Ok(Parsed1::Node(if is_break {
                    Node::Break { pos }
                } else {
                    Node::Continue { pos }
                }));
            }
            ItemType::Else => {
                let peek = self.peek_non_space();
                if matches!(peek.typ, ItemType::If | ItemType::With) {
                    return Ok(Parsed1::Else);
                }
                self.expect(ItemType::RightDelim, "else")?;
                return Ok(Parsed1::Else);
            }
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Parsed1::End);
            }
            ItemType::If => return self.control("if").map(|b| Parsed1::Node(Node::If(b))),
            ItemType::Range => return self.control("range").map(|b| Parsed1::Node(Node::Range(b))),
            ItemType::With => return self.control("with").map(|b| Parsed1::Node(Node::With(b))),
            ItemType::Template => return self.template_control().map(Parsed1::Node),
            _ => {}
        }
        self.backup();
        let t = self.peek();
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed1::Node(Node::Action(Action { pos: t.pos, pipe })))
    }

    fn control(&mut self, context: &str) -> PResult<Branch> {
        self.enter_control()?;
        let saved_vars = self.vars.len();
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        match next {
            Parsed1::End => {}
            Parsed1::Else => {
                let peek = self.peek().typ;
                if context == "if" && peek == ItemType::If {
                    self.next();
                    let inner = self.control("if")?;
                    else_list = Some(List {
                        nodes: vec![Node::If(inner)],
                    });
                } else if context == "with" && peek == ItemType::With {
                    self.next();
                    let inner = self.control("with")?;
                    else_list = Some(List {
                        nodes: vec![Node::With(inner)],
                    });
                } else {
                    let (l, end) = self.item_list()?;
                    if !matches!(end, Parsed1::End) {
                        return self.errorf(format!("expected end; found {}", end_name(&end)));
                    }
                    else_list = Some(l);
                }
            }
            Parsed1::Node(_) => {}
        }
        self.vars.truncate(saved_vars);
        self.control_depth -= 1;
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemType::RightDelim)?;
        let saved = self.fresh_scope();
        self.enter_control()?;
        let (list, end) = self.item_list()?;
        self.control_depth -= 1;
        self.restore_scope(saved);
        if !matches!(end, Parsed1::End) {
            return self.errorf(format!("unexpected {} in {CONTEXT}", end_name(&end)));
        }
        self.add_def(name.clone(), list)?;
        Ok(Node::Template(TemplateCall {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        }))
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            Some(self.pipeline(CONTEXT, ItemType::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template(TemplateCall {
            pos: t.pos,
            name,
            pipe,
        }))
    }

    fn template_name(&self, t: &Item<'s>, context: &str) -> PResult<String> {
        match t.typ {
            ItemType::String | ItemType::RawString => match unquote(&t.val) {
                Ok(s) => Ok(s),
                Err(e) => self.errorf(e),
            },
            _ => self.unexpected(t, context),
        }
    }

    fn pipeline(&mut self, context: &str, end: ItemType) -> PResult<Pipe> {
        let t = self.peek_non_space();
        let mut pipe = Pipe {
            pos: t.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            self.next();
            let after = self.peek();
            let next = self.peek_non_space();
            if matches!(next.typ, ItemType::Assign | ItemType::Declare) {
                pipe.is_assign = next.typ == ItemType::Assign;
                self.next_non_space();
                pipe.decl.push(new_variable(v.pos, &v.val));
                self.vars.push(v.val.to_string());
            } else if next.typ == ItemType::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(new_variable(v.pos, &v.val));
                self.vars.push(v.val.to_string());
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                            continue
                        }
                        _ => return self.errorf("range can only initialize variables"),
                    }
                }
                return self.errorf(format!("too many declarations in {context}"));
            } else if after.typ == ItemType::Space {
                self.backup3(v, after);
            } else {
                self.backup2(v);
            }
            break;
        }
        loop {
            let t = self.next_non_space();
            if t.typ == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match t.typ {
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.errorf(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number(_)
                        | Arg::Str { .. }
                )
            ) {
                return self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let mut cmd = Command {
            pos: self.peek_non_space().pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.errorf("empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().typ == ItemType::Field {
            let f = self.next();
            fields.push(f.val[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut ident, .. } => {
                ident.extend(fields);
                Arg::Field {
                    pos: chain_pos,
                    ident,
                }
            }
            Arg::Variable(mut v) => {
                v.ident.extend(fields);
                v.pos = chain_pos;
                Arg::Variable(v)
            }
            n @ (Arg::Bool { .. }
            | Arg::Str { .. }
            | Arg::Number(_)
            | Arg::Nil { .. }
            | Arg::Dot { .. }) => {
                return self.errorf(format!(
                    "unexpected . after term {}",
                    super::printf::go_quote(&n.to_string())
                ));
            }
            n => Arg::Chain {
                pos: chain_pos,
                node: Box::new(n),
                field: fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let pos = t.pos;
        Ok(Some(match t.typ {
            ItemType::Identifier => {
                let Some(func) = funcs::lookup(&t.val) else {
                    return self.errorf(format!(
                        "function {} not defined",
                        super::printf::go_quote(&t.val)
                    ));
                };
                Arg::Identifier { pos, func }
            }
            ItemType::Dot => Arg::Dot { pos },
            ItemType::Nil => Arg::Nil { pos },
            ItemType::Variable => {
                let v = new_variable(pos, &t.val);
                if !self.vars.iter().any(|n| *n == v.ident[0]) {
                    return self.errorf(format!(
                        "undefined variable {}",
                        super::printf::go_quote(&v.ident[0])
                    ));
                }
                Arg::Variable(v)
            }
            ItemType::Field => Arg::Field {
                pos,
                ident: t.val[1..].split('.').map(str::to_string).collect(),
            },
            ItemType::Bool => Arg::Bool {
                pos,
                val: t.val == "true",
            },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                match new_number(pos, &t.val, t.typ) {
                    Ok(n) => Arg::Number(n),
                    Err(e) => return self.errorf(e),
                }
            }
            ItemType::LeftParen => {
                self.enter()?;
                let p = self.pipeline("parenthesized pipeline", ItemType::RightParen)?;
                self.depth -= 1;
                Arg::Pipe(Box::new(p))
            }
            ItemType::String | ItemType::RawString => match unquote(&t.val) {
                Ok(text) => Arg::Str {
                    pos,
                    quoted: t.val.to_string(),
                    text,
                },
                Err(e) => return self.errorf(e),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

fn end_name(p: &Parsed1) -> String {
    match p {
        Parsed1::End => "{{end}}".into(),
        Parsed1::Else => "{{else}}".into(),
        Parsed1::Node(n) => n.to_string(),
    }
}

fn new_variable(pos: usize, text: &str) -> Variable {
    Variable {
        pos,
        ident: text.split('.').map(str::to_string).collect(),
    }
}

/// Go's `newNumber`: every reading of a number literal the grammar allows.
fn new_number(pos: usize, text: &str, typ: ItemType) -> Result<Number, String> {
    let mut n = Number {
        pos,
        text: text.to_string(),
        is_int: false,
        int: 0,
        is_uint: false,
        is_float: false,
        float: 0.0,
    };
    if typ == ItemType::CharConstant {
        let inner = &text[1..];
        let (c, tail) = unquote_char(inner, '\'').map_err(|_| "invalid syntax".to_string())?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        n.is_int = true;
        n.int = i64::from(c);
        n.is_uint = true;
        n.is_float = true;
        n.float = f64::from(c);
        return Ok(n);
    }
    if typ == ItemType::Complex || text.ends_with('i') {
        return Err(format!("complex numbers are not supported: {text}"));
    }
    let u = gonum::parse_uint_base0(text);
    if let Ok(_u) = u {
        n.is_uint = true;
    }
    if let Ok(i) = gonum::parse_int_base0(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if let Ok(u) = u {
        n.is_float = true;
        n.float = u as f64;
    } else if let Ok(f) = gonum::parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {text}"));
        }
        n.is_float = true;
        n.float = f;
        if f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
            n.is_int = true;
            n.int = f as i64;
        }
        if f.fract() == 0.0 && (0.0..1.844_674_407_370_955_2e19).contains(&f) {
            n.is_uint = true;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            super::printf::go_quote(text)
        ));
    }
    Ok(n)
}

/// Go's `strconv.UnquoteChar`: one (possibly escaped) character of a quoted
/// literal; returns its value (a byte value for `\x` and octal escapes) and
/// the rest.
fn unquote_char(s: &str, quote: char) -> Result<(u32, &str), ()> {
    let mut chars = s.chars();
    let c = chars.next().ok_or(())?;
    if c == quote && (quote == '\'' || quote == '"') {
        return Err(());
    }
    if c != '\\' {
        return Ok((c as u32, chars.as_str()));
    }
    let e = chars.next().ok_or(())?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some(7),
        'b' => Some(8),
        'f' => Some(12),
        'n' => Some(10),
        'r' => Some(13),
        't' => Some(9),
        'v' => Some(11),
        '\\' => Some(u32::from(b'\\')),
        '\'' | '"' if e == quote => Some(e as u32),
        _ => None,
    };
    if let Some(v) = simple {
        return Ok((v, rest));
    }
    let hex = |n: usize| -> Result<(u32, &str), ()> {
        let digits = rest.get(..n).ok_or(())?;
        let v = u32::from_str_radix(digits, 16).map_err(|_| ())?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(());
        }
        Ok((v, &rest[n..]))
    };
    match e {
        'x' => hex(2),
        'u' | 'U' => {
            let (v, r) = hex(if e == 'u' { 4 } else { 8 })?;
            if char::from_u32(v).is_none() {
                return Err(());
            }
            Ok((v, r))
        }
        '0'..='7' => {
            let digits = rest.get(..2).ok_or(())?;
            let mut v = e as u32 - '0' as u32;
            for d in digits.chars() {
                let d = d.to_digit(8).ok_or(())?;
                v = v * 8 + d;
            }
            if v > 255 {
                return Err(());
            }
            Ok((v, &rest[2..]))
        }
        _ => Err(()),
    }
}

/// Go's `strconv.Unquote` for `"..."` and `` `...` `` literals.
pub(crate) fn unquote(s: &str) -> Result<String, &'static str> {
    if let Some(inner) = s.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        if s.len() < 2 || inner.contains('`') {
            return Err("invalid syntax");
        }
        return Ok(inner.replace('\r', ""));
    }
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| s.len() >= 2)
        .ok_or("invalid syntax")?;
    if inner.contains('\n') {
        return Err("invalid syntax");
    }
    if !inner.contains(['\\', '"']) {
        return Ok(inner.to_string());
    }
    let mut bytes: Vec<u8> = Vec::with_capacity(inner.len());
    let mut rest = inner;
    while !rest.is_empty() {
        let escaped = rest.starts_with('\\');
        let (v, r) = unquote_char(rest, '"').map_err(|_| "invalid syntax")?;
        let is_byte_escape = escaped && matches!(rest.as_bytes().get(1), Some(b'x' | b'0'..=b'7'));
        if is_byte_escape {
            bytes.push(v as u8);
        } else {
            let c = char::from_u32(v).ok_or("invalid syntax")?;
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        rest = r;
    }
    Ok(lossy_utf8(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        match parse("line", src) {
            Ok(_) => "ok".into(),
            Err(e) => e.0,
        }
    }

    #[test]
    fn go_parse_errors() {
        let cases = [
            ("{{.a", "template: line:1: unclosed action"),
            (
                "{{ unknownFunc .a }}",
                "template: line:1: function \"unknownFunc\" not defined",
            ),
            (
                "{{ toJson . }}",
                "template: line:1: function \"toJson\" not defined",
            ),
            (
                "{{ .a | sha256sum }}",
                "template: line:1: function \"sha256sum\" not defined",
            ),
            ("{{ end }}", "template: line:1: unexpected {{end}}"),
            ("{{ else }}", "template: line:1: unexpected {{else}}"),
            ("{{ if .a }}x", "template: line:1: unexpected EOF"),
            ("{{ }}", "template: line:1: missing value for command"),
            (
                "{{ if }}{{ end }}",
                "template: line:1: missing value for if",
            ),
            ("{{ | }}", "template: line:1: unexpected \"|\" in command"),
            ("{{ $x }}", "template: line:1: undefined variable \"$x\""),
            (
                "{{ .a | \"b\" }}",
                "template: line:1: non executable command in pipeline stage 2",
            ),
            (
                "{{ break }}",
                "template: line:1: {{break}} outside {{range}}",
            ),
            (
                "{{ \"a\".b }}",
                "template: line:1: unexpected . after term \"\\\"a\\\"\"",
            ),
            ("{{ \"\\q\" }}", "template: line:1: invalid syntax"),
            (
                "{{ 99999999999999999999 }}",
                "template: line:1: integer overflow: 99999999999999999999",
            ),
            (
                "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
                "template: line:1: expected end; found {{else}}",
            ),
            (
                "{{ $a, $b := 1 }}",
                "template: line:1: too many declarations in command",
            ),
            (
                "a\n{{ .x\n",
                "template: line:3: unclosed action started at line:2",
            ),
            ("{{ 1 2 ) }}", "template: line:1: unexpected right paren"),
            ("{{ .a }} {{ end }}", "template: line:1: unexpected {{end}}"),
            (
                "{{ with $x := 1 }}{{ end }}{{ $x }}",
                "template: line:1: undefined variable \"$x\"",
            ),
            (
                "{{template}}",
                "template: line:1: unexpected \"}}\" in template clause",
            ),
        ];
        for (src, want) in cases {
            assert_eq!(err(src), want, "{src}");
        }
    }

    #[test]
    fn accepted() {
        for src in [
            "",
            "plain",
            "{{.a}} - {{.b}}",
            "{{ if eq .a \"x\" }}1{{ else if .b }}2{{ else }}3{{ end }}",
            "{{ range $k, $v := . }}{{ $k }}={{ $v }}{{ end }}",
            "{{ range . }}{{ break }}{{ continue }}{{ end }}",
            "{{ with .a }}{{ . }}{{ else with .b }}{{ . }}{{ end }}",
            "{{/* comment */}}{{- .a -}}",
            "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
            "{{ (fromJson .a).b.c }}",
            "{{ define \"t\" }}x{{ end }}{{ template \"t\" . }}",
            "{{ block \"b\" . }}y{{ end }}",
            "{{ 'a' }} {{ 0x1F }} {{ 1e3 }} {{ -2 }} {{ 1_000 }}",
            "{{ .a |  }}",
        ] {
            assert!(
                parse("line", src).is_ok(),
                "{src}: {:?}",
                parse("line", src).err()
            );
        }
    }

    #[test]
    fn unquote_matches_go() {
        assert_eq!(
            unquote(r#""a\tb\u00e9\x41\101""#),
            Ok("a\tbéAA".to_string())
        );
        assert_eq!(unquote("`a\\n\r`"), Ok("a\\n".to_string()));
        assert_eq!(unquote(r#""\xff""#), Ok("\u{FFFD}".to_string()));
        assert!(unquote(r#""\'""#).is_err());
        assert!(unquote(r#""\400""#).is_err());
    }

    #[test]
    fn numbers() {
        let n = new_number(0, "1.0", ItemType::Number).expect("number");
        assert!(n.is_int && n.is_float && n.int == 1);
        let n = new_number(0, "0x10", ItemType::Number).expect("number");
        assert!(n.is_int && n.int == 16);
        let n = new_number(0, "'a'", ItemType::CharConstant).expect("char");
        assert_eq!(n.int, 97);
        assert!(new_number(0, "1.5", ItemType::Number).is_ok_and(|n| !n.is_int));
    }
}

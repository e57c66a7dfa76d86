//! The parse tree of a template, shaped like Go's `text/template/parse`
//! nodes. `Display` reproduces Go's `String()` of each node, which appears
//! in execution errors (`executing "line" at <div 1 0>: ...`).

use std::fmt::{self, Display, Formatter};

use super::funcs::FuncDef;

/// A byte offset in the template source.
pub(crate) type Pos = usize;

/// A sequence of nodes.
#[derive(Debug)]
pub(crate) struct List {
    pub(crate) nodes: Vec<Node>,
}

/// A top-level element of a list.
#[derive(Debug)]
pub(crate) enum Node {
    /// Plain text.
    Text { text: Box<str> },
    /// `{{pipeline}}`.
    Action(Action),
    /// `{{if}}`.
    If(Branch),
    /// `{{with}}`.
    With(Branch),
    /// `{{range}}`.
    Range(Branch),
    /// `{{break}}`.
    Break { pos: Pos },
    /// `{{continue}}`.
    Continue { pos: Pos },
    /// `{{template "name" pipeline}}` (also what `{{block}}` leaves behind).
    Template(TemplateCall),
}

/// `{{pipeline}}`.
#[derive(Debug)]
pub(crate) struct Action {
    pub(crate) pos: Pos,
    pub(crate) pipe: Pipe,
}

/// The shared shape of `if`, `with` and `range`.
#[derive(Debug)]
pub(crate) struct Branch {
    pub(crate) pos: Pos,
    pub(crate) pipe: Pipe,
    pub(crate) list: List,
    pub(crate) else_list: Option<List>,
}

/// `{{template "name" pipeline}}`.
#[derive(Debug)]
pub(crate) struct TemplateCall {
    pub(crate) pos: Pos,
    pub(crate) name: String,
    pub(crate) pipe: Option<Pipe>,
}

/// `$x, $y := cmd | cmd`.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) pos: Pos,
    pub(crate) is_assign: bool,
    pub(crate) decl: Vec<Variable>,
    pub(crate) cmds: Vec<Command>,
}

/// One command: an operand followed by arguments.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) pos: Pos,
    pub(crate) args: Vec<Arg>,
}

/// `$x` or `$x.f.g`: the name first, then fields.
#[derive(Debug)]
pub(crate) struct Variable {
    pub(crate) pos: Pos,
    pub(crate) ident: Vec<String>,
}

/// A parsed number literal with every interpretation Go allows.
#[derive(Debug)]
pub(crate) struct Number {
    pub(crate) pos: Pos,
    pub(crate) text: String,
    pub(crate) is_int: bool,
    pub(crate) int: i64,
    pub(crate) is_uint: bool,
    pub(crate) is_float: bool,
    pub(crate) float: f64,
}

/// An operand.
#[derive(Debug)]
pub(crate) enum Arg {
    /// `.a.b`.
    Field { pos: Pos, ident: Vec<String> },
    /// `$x.a`.
    Variable(Variable),
    /// `(pipe).a` or `fn.a`.
    Chain {
        pos: Pos,
        node: Box<Arg>,
        field: Vec<String>,
    },
    /// A function name.
    Identifier { pos: Pos, func: &'static FuncDef },
    /// `.`.
    Dot { pos: Pos },
    /// `nil`.
    Nil { pos: Pos },
    /// `true` / `false`.
    Bool { pos: Pos, val: bool },
    /// A number.
    Number(Number),
    /// A string literal: as written and unquoted.
    Str {
        pos: Pos,
        quoted: String,
        text: String,
    },
    /// `(pipeline)`.
    Pipe(Box<Pipe>),
}

impl Arg {
    /// Where the operand starts.
    pub(crate) fn pos(&self) -> Pos {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::Str { pos, .. } => *pos,
            Arg::Variable(v) => v.pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl Display for List {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl Display for Node {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text } => f.write_str(text),
            Node::Action(a) => write!(f, "{{{{{}}}}}", a.pipe),
            Node::If(b) => write_branch(f, "if", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::Break { .. } => f.write_str("{{break}}"),
            Node::Continue { .. } => f.write_str("{{continue}}"),
            Node::Template(t) => {
                let name = super::printf::go_quote(&t.name);
                match &t.pipe {
                    None => write!(f, "{{{{template {name}}}}}"),
                    Some(p) => write!(f, "{{{{template {name} {p}}}}}"),
                }
            }
        }
    }
}

fn write_branch(f: &mut Formatter<'_>, name: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{name} {}}}}}{}", b.pipe, b.list)?;
    if let Some(e) = &b.else_list {
        write!(f, "{{{{else}}}}{e}")?;
    }
    f.write_str("{{end}}")
}

impl Display for Pipe {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Display for Command {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match a {
                Arg::Pipe(p) => write!(f, "({p})")?,
                a => write!(f, "{a}")?,
            }
        }
        Ok(())
    }
}

impl Display for Variable {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ident.join("."))
    }
}

impl Display for Arg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { ident, .. } => {
                for id in ident {
                    write!(f, ".{id}")?;
                }
                Ok(())
            }
            Arg::Variable(v) => write!(f, "{v}"),
            Arg::Chain { node, field, .. } => {
                match node.as_ref() {
                    Arg::Pipe(p) => write!(f, "({p})")?,
                    n => write!(f, "{n}")?,
                }
                for id in field {
                    write!(f, ".{id}")?;
                }
                Ok(())
            }
            Arg::Identifier { func, .. } => f.write_str(func.name),
            Arg::Dot { .. } => f.write_str("."),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { val, .. } => f.write_str(if *val { "true" } else { "false" }),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::Str { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

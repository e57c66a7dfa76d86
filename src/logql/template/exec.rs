//! Go's `text/template` executor over a parsed template: pipelines (the
//! piped value is the last argument), variables, `if`/`with`/`range`,
//! `break`/`continue`, `template` calls, Go's argument type checks, and
//! error texts of the form
//! `template: line:1:3: executing "line" at <div 1 0>: error calling div: ...`.

use std::fmt::Display;

use super::funcs::{self, Env, FuncDef, Imp, Param, RegexCache};
use super::node::{Arg, Branch, Command, List, Node, Number, Pipe, TemplateCall, Variable};
use super::parse::Parsed;
use super::printf::go_quote;
use super::value::Value;
use super::{TemplateContext, TemplateError};

/// Rendered output above this size is an error (protects the memory bound).
pub(crate) const MAX_OUTPUT: usize = 16 << 20;
/// `{{range N}}` over an integer larger than this is an error.
const MAX_RANGE_INT: i64 = 1_000_000;
/// Nested `{{template}}` calls (Go allows 100000).
const MAX_TEMPLATE_DEPTH: usize = 100;
/// Nested `if`/`with`/`range`/`template` being executed at once, across
/// template calls; keeps recursion within the thread's stack.
const MAX_NESTING: usize = 300;

/// A parsed template ready to execute.
#[derive(Debug)]
pub(crate) struct Program {
    pub(crate) name: String,
    pub(crate) source: String,
    pub(crate) parsed: Parsed,
    pub(crate) regexes: RegexCache,
}

impl Program {
    fn lookup(&self, name: &str) -> Option<(&str, &List)> {
        if let Some((n, l)) = self.parsed.defs.iter().find(|(n, _)| n == name) {
            return Some((n.as_str(), l));
        }
        (name == self.name).then_some((self.name.as_str(), &self.parsed.root))
    }
}

/// Why execution stopped early.
enum Stop {
    Err(TemplateError),
    Break,
    Continue,
}

type X<T> = Result<T, Stop>;

/// The node execution is at, for error messages.
#[derive(Clone, Copy)]
enum At<'a> {
    None,
    Node(&'a Node),
    Pipe(&'a Pipe),
    Cmd(&'a Command),
    Arg(&'a Arg),
    Var(&'a Variable),
}

impl At<'_> {
    fn pos(&self) -> Option<usize> {
        Some(match self {
            At::None => return None,
            At::Node(n) => match n {
                Node::Text { .. } => 0,
                Node::Action(a) => a.pos,
                Node::If(b) | Node::With(b) | Node::Range(b) => b.pos,
                Node::Break { pos } | Node::Continue { pos } => *pos,
                Node::Template(t) => t.pos,
            },
            At::Pipe(p) => p.pos,
            At::Cmd(c) => c.pos,
            At::Arg(a) => a.pos(),
            At::Var(v) => v.pos,
        })
    }

    fn text(&self) -> String {
        match self {
            At::None => String::new(),
            At::Node(n) => n.to_string(),
            At::Pipe(p) => p.to_string(),
            At::Cmd(c) => c.to_string(),
            At::Arg(a) => a.to_string(),
            At::Var(v) => v.to_string(),
        }
    }
}

/// Up to six call arguments without allocating.
struct ArgBuf<'a> {
    inline: [Value<'a>; 6],
    len: usize,
    heap: Vec<Value<'a>>,
}

impl<'a> ArgBuf<'a> {
    fn new() -> ArgBuf<'a> {
        ArgBuf {
            inline: Default::default(),
            len: 0,
            heap: Vec::new(),
        }
    }

    fn push(&mut self, v: Value<'a>) {
        if self.heap.is_empty() && self.len < self.inline.len() {
            self.inline[self.len] = v;
            self.len += 1;
            return;
        }
        if self.heap.is_empty() {
            self.heap
                .extend(self.inline[..self.len].iter_mut().map(std::mem::take));
        }
        self.heap.push(v);
    }

    fn as_mut_slice(&mut self) -> &mut [Value<'a>] {
        if self.heap.is_empty() {
            &mut self.inline[..self.len]
        } else {
            &mut self.heap
        }
    }
}

struct State<'a> {
    prog: &'a Program,
    ctx: &'a dyn TemplateContext,
    env: Env<'a>,
    vars: Vec<(&'a str, Value<'a>)>,
    root: Value<'a>,
    cur: At<'a>,
    exec_name: &'a str,
    depth: usize,
    nesting: usize,
}

/// Executes `prog` for one entry, appending to `out`.
pub(crate) fn execute<'a>(
    prog: &'a Program,
    ctx: &'a dyn TemplateContext,
    out: &mut String,
) -> Result<(), TemplateError> {
    let mut st = State {
        prog,
        ctx,
        env: Env {
            ctx,
            regexes: &prog.regexes,
        },
        vars: Vec::new(),
        root: Value::Labels,
        cur: At::None,
        exec_name: &prog.name,
        depth: 0,
        nesting: 0,
    };
    match st.walk_list(&Value::Labels, &prog.parsed.root, out) {
        Ok(()) | Err(Stop::Break | Stop::Continue) => Ok(()),
        Err(Stop::Err(e)) => Err(e),
    }
}

impl<'a> State<'a> {
    fn errorf<T>(&self, msg: impl Display) -> X<T> {
        let name = self.exec_name;
        let text = match self.cur.pos() {
            None => format!("template: {name}: {msg}"),
            Some(pos) => {
                let src = &self.prog.source;
                let before = src.get(..pos).unwrap_or(src);
                let line = 1 + before.matches('\n').count();
                let col = match before.rfind('\n') {
                    Some(i) => pos - (i + 1),
                    None => pos,
                };
                format!(
                    "template: {}:{line}:{col}: executing {} at <{}>: {msg}",
                    self.prog.name,
                    go_quote(name),
                    self.cur.text()
                )
            }
        };
        Err(Stop::Err(TemplateError(text)))
    }

    fn walk_list(&mut self, dot: &Value<'a>, list: &'a List, out: &mut String) -> X<()> {
        for node in &list.nodes {
            self.walk(dot, node, out)?;
            if out.len() > MAX_OUTPUT {
                return self.errorf(format!("template output exceeds {MAX_OUTPUT} bytes"));
            }
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Value<'a>, node: &'a Node, out: &mut String) -> X<()> {
        self.cur = At::Node(node);
        if !matches!(
            node,
            Node::If(_) | Node::With(_) | Node::Range(_) | Node::Template(_)
        ) {
            return self.walk_leaf(dot, node, out);
        }
        if self.nesting >= MAX_NESTING {
            return self.errorf(format!("exceeded maximum template depth ({MAX_NESTING})"));
        }
        self.nesting += 1;
        let r = match node {
            Node::If(b) => self.walk_if_with(false, dot, b, out),
            Node::With(b) => self.walk_if_with(true, dot, b, out),
            Node::Range(b) => {
                let mark = self.vars.len();
                let r = self.walk_range(dot, b, out);
                self.vars.truncate(mark);
                r
            }
            Node::Template(t) => self.walk_template(dot, t, out),
            _ => Ok(()),
        };
        self.nesting -= 1;
        r
    }

    /// Text, actions, `break` and `continue`.
    fn walk_leaf(&mut self, dot: &Value<'a>, node: &'a Node, out: &mut String) -> X<()> {
        match node {
            Node::Text { text } => {
                out.push_str(text);
                Ok(())
            }
            Node::Action(a) => {
                // Fast path for `{{.label}}` on the label map.
                if let (true, [cmd]) = (a.pipe.decl.is_empty(), a.pipe.cmds.as_slice()) {
                    if let ([Arg::Field { ident, .. }], Value::Labels) = (cmd.args.as_slice(), dot)
                    {
                        if let [name] = ident.as_slice() {
                            out.push_str(self.ctx.label(name).unwrap_or(""));
                            return Ok(());
                        }
                    }
                }
                let v = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.cur = At::Node(node);
                    match v {
                        Value::Nil => out.push_str("<no value>"),
                        v => v.write_v(out, self.ctx),
                    }
                }
                Ok(())
            }
            Node::Break { .. } => Err(Stop::Break),
            Node::Continue { .. } => Err(Stop::Continue),
            _ => Ok(()),
        }
    }

    fn walk_if_with(
        &mut self,
        with: bool,
        dot: &Value<'a>,
        b: &'a Branch,
        out: &mut String,
    ) -> X<()> {
        let mark = self.vars.len();
        let r = self.if_with_body(with, dot, b, out);
        self.vars.truncate(mark);
        r
    }

    fn if_with_body(
        &mut self,
        with: bool,
        dot: &Value<'a>,
        b: &'a Branch,
        out: &mut String,
    ) -> X<()> {
        let val = self.eval_pipeline(dot, &b.pipe)?;
        if val.is_true(self.ctx) {
            if with {
                self.walk_list(&val, &b.list, out)
            } else {
                self.walk_list(dot, &b.list, out)
            }
        } else if let Some(e) = &b.else_list {
            self.walk_list(dot, e, out)
        } else {
            Ok(())
        }
    }

    /// One range iteration; Ok(true) when `{{break}}` ended the loop.
    fn range_step(
        &mut self,
        b: &'a Branch,
        mark: usize,
        index: Value<'a>,
        elem: Value<'a>,
        out: &mut String,
    ) -> X<bool> {
        let decl = &b.pipe.decl;
        if let Some(first) = decl.first() {
            if b.pipe.is_assign {
                let v = if decl.len() > 1 {
                    index.clone()
                } else {
                    elem.clone()
                };
                self.set_var(&first.ident[0], v)?;
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if let Some(second) = decl.get(1) {
            if b.pipe.is_assign {
                self.set_var(&second.ident[0], elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let r = self.walk_list(&elem, &b.list, out);
        self.vars.truncate(mark);
        match r {
            Ok(()) | Err(Stop::Continue) => Ok(false),
            Err(Stop::Break) => Ok(true),
            Err(e) => Err(e),
        }
    }

    fn walk_range(&mut self, dot: &Value<'a>, b: &'a Branch, out: &mut String) -> X<()> {
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let mark = self.vars.len();
        let mut ran = false;
        match &val {
            Value::Int(_)
            | Value::Int64(_)
            | Value::Uint8(_)
            | Value::Month(_)
            | Value::Weekday(_) => {
                if b.pipe.decl.len() > 1 {
                    let v = val.to_v_string(self.ctx);
                    return self.errorf(format!(
                        "can't use {v} to iterate over more than one variable"
                    ));
                }
                let n = funcs_int(&val);
                if n > MAX_RANGE_INT {
                    return self.errorf(format!("range over {n} exceeds {MAX_RANGE_INT}"));
                }
                for i in 0..n.max(0) {
                    ran = true;
                    let elem = same_int_type(&val, i);
                    if self.range_step(b, mark, Value::Nil, elem, out)? {
                        break;
                    }
                }
            }
            Value::List(l) => {
                for (i, e) in l.iter().enumerate() {
                    ran = true;
                    if self.range_step(b, mark, Value::Int(i as i64), e.clone(), out)? {
                        break;
                    }
                }
            }
            Value::Map(m) => {
                for (k, v) in m.iter() {
                    ran = true;
                    if self.range_step(b, mark, Value::string(k.clone()), v.clone(), out)? {
                        break;
                    }
                }
            }
            Value::Labels => {
                let mut pairs: Vec<(String, String)> = Vec::new();
                self.ctx
                    .for_each_label(&mut |k, v| pairs.push((k.to_string(), v.to_string())));
                for (k, v) in pairs {
                    ran = true;
                    if self.range_step(b, mark, Value::string(k), Value::string(v), out)? {
                        break;
                    }
                }
            }
            Value::Nil => {}
            other => {
                let v = other.to_v_string(self.ctx);
                return self.errorf(format!("range can't iterate over {v}"));
            }
        }
        if ran {
            return Ok(());
        }
        match &b.else_list {
            Some(e) => self.walk_list(dot, e, out),
            None => Ok(()),
        }
    }

    fn walk_template(&mut self, dot: &Value<'a>, t: &'a TemplateCall, out: &mut String) -> X<()> {
        let Some((name, tree)) = self.prog.lookup(&t.name) else {
            return self.errorf(format!("template {} not defined", go_quote(&t.name)));
        };
        if self.depth >= MAX_TEMPLATE_DEPTH {
            return self.errorf(format!(
                "exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})"
            ));
        }
        let new_dot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Value::Nil,
        };
        let saved_vars = std::mem::take(&mut self.vars);
        let saved_root = std::mem::replace(&mut self.root, new_dot.clone());
        let saved_name = std::mem::replace(&mut self.exec_name, name);
        self.depth += 1;
        let r = self.walk_list(&new_dot, tree, out);
        self.depth -= 1;
        self.vars = saved_vars;
        self.root = saved_root;
        self.exec_name = saved_name;
        r
    }

    fn var_value(&self, name: &str) -> X<Value<'a>> {
        if let Some((_, v)) = self.vars.iter().rev().find(|(n, _)| *n == name) {
            return Ok(v.clone());
        }
        if name == "$" {
            return Ok(self.root.clone());
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn set_var(&mut self, name: &str, value: Value<'a>) -> X<()> {
        if let Some((_, v)) = self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            *v = value;
            return Ok(());
        }
        if name == "$" {
            self.root = value;
            return Ok(());
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn set_top_var(&mut self, n: usize, value: Value<'a>) {
        let len = self.vars.len();
        if let Some(slot) = len.checked_sub(n).and_then(|i| self.vars.get_mut(i)) {
            slot.1 = value;
        }
    }

    fn eval_pipeline(&mut self, dot: &Value<'a>, pipe: &'a Pipe) -> X<Value<'a>> {
        self.cur = At::Pipe(pipe);
        let mut value: Option<Value<'a>> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or_default();
        for v in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&v.ident[0], value.clone())?;
            } else {
                self.vars.push((v.ident[0].as_str(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &'a [Arg], fin: &Option<Value<'a>>) -> X<()> {
        if args.len() > 1 || fin.is_some() {
            return self.errorf(format!(
                "can't give argument to non-function {}",
                args.first().map(|a| a.to_string()).unwrap_or_default()
            ));
        }
        Ok(())
    }

    fn eval_command(
        &mut self,
        dot: &Value<'a>,
        cmd: &'a Command,
        fin: Option<Value<'a>>,
    ) -> X<Value<'a>> {
        let Some(first) = cmd.args.first() else {
            return Ok(Value::Nil);
        };
        match first {
            Arg::Field { ident, .. } => {
                self.cur = At::Arg(first);
                return self.eval_field_chain(dot, dot, ident, &cmd.args, fin);
            }
            Arg::Chain { .. } => return self.eval_chain(dot, first, &cmd.args, fin),
            Arg::Identifier { func, .. } => {
                self.cur = At::Arg(first);
                return self.eval_call(dot, func, At::Cmd(cmd), &cmd.args[1..], fin, None);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable(v) => return self.eval_variable(dot, v, &cmd.args, fin),
            _ => {}
        }
        self.cur = At::Arg(first);
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => self.errorf("nil is not a command"),
            Arg::Number(n) => self.ideal_constant(n, first),
            Arg::Str { text, .. } => Ok(Value::str(text)),
            _ => self.errorf(format!(
                "can't evaluate command {}",
                go_quote(&first.to_string())
            )),
        }
    }

    /// A number with no type context: float if written like one, else int.
    fn ideal_constant(&mut self, n: &'a Number, at: &'a Arg) -> X<Value<'a>> {
        self.cur = At::Arg(at);
        let t = &n.text;
        let hex_int = t.len() > 2
            && t.starts_with('0')
            && matches!(t.as_bytes()[1], b'x' | b'X')
            && !t.contains(['p', 'P']);
        let rune = t.starts_with('\'');
        if n.is_float && !hex_int && !rune && t.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(n.float));
        }
        if n.is_int {
            return Ok(Value::Int(n.int));
        }
        if n.is_uint {
            return self.errorf(format!("{t} overflows int"));
        }
        Ok(Value::Nil)
    }

    fn eval_chain(
        &mut self,
        dot: &Value<'a>,
        chain: &'a Arg,
        args: &'a [Arg],
        fin: Option<Value<'a>>,
    ) -> X<Value<'a>> {
        self.cur = At::Arg(chain);
        let Arg::Chain { node, field, .. } = chain else {
            return Ok(Value::Nil);
        };
        if matches!(node.as_ref(), Arg::Nil { .. }) {
            return self.errorf(format!("indirection through explicit nil in {chain}"));
        }
        let recv = self.eval_arg(dot, Param::Any, node)?;
        self.eval_field_chain(dot, &recv, field, args, fin)
    }

    fn eval_variable(
        &mut self,
        dot: &Value<'a>,
        v: &'a Variable,
        args: &'a [Arg],
        fin: Option<Value<'a>>,
    ) -> X<Value<'a>> {
        self.cur = At::Var(v);
        let value = self.var_value(&v.ident[0])?;
        if v.ident.len() == 1 {
            self.not_a_function(args, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, &value, &v.ident[1..], args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Value<'a>,
        receiver: &Value<'a>,
        ident: &'a [String],
        args: &'a [Arg],
        fin: Option<Value<'a>>,
    ) -> X<Value<'a>> {
        let Some((last, init)) = ident.split_last() else {
            return Ok(receiver.clone());
        };
        if init.is_empty() {
            return self.eval_field(dot, last, args, fin, receiver);
        }
        let mut r = self.eval_field(dot, &init[0], &[], None, receiver)?;
        for id in &init[1..] {
            r = self.eval_field(dot, id, &[], None, &r)?;
        }
        self.eval_field(dot, last, args, fin, &r)
    }

    fn eval_field(
        &mut self,
        dot: &Value<'a>,
        name: &'a str,
        args: &'a [Arg],
        fin: Option<Value<'a>>,
        receiver: &Value<'a>,
    ) -> X<Value<'a>> {
        match receiver {
            Value::Nil => return Ok(Value::Nil),
            Value::Time(_) => {
                if let Some(m) = funcs::time_method(name) {
                    let call_args = args.get(1..).unwrap_or(&[]);
                    let at = self.cur;
                    return self.eval_call(dot, m, at, call_args, fin, Some(receiver.clone()));
                }
            }
            _ => {}
        }
        let has_args = args.len() > 1 || fin.is_some();
        match receiver {
            Value::Labels => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                Ok(Value::str(self.ctx.label(name).unwrap_or("")))
            }
            Value::Map(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                Ok(m.get(name).cloned().unwrap_or(Value::Nil))
            }
            other => self.errorf(format!(
                "can't evaluate field {name} in type {}",
                other.type_name()
            )),
        }
    }

    fn eval_call(
        &mut self,
        dot: &Value<'a>,
        f: &'static FuncDef,
        err_node: At<'a>,
        args: &'a [Arg],
        fin: Option<Value<'a>>,
        receiver: Option<Value<'a>>,
    ) -> X<Value<'a>> {
        let name = f.name;
        let num_in = args.len() + usize::from(fin.is_some());
        match f.variadic {
            Some(_) if num_in < f.params.len() => {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    f.params.len(),
                    args.len()
                ));
            }
            None if num_in != f.params.len() => {
                return self.errorf(format!(
                    "wrong number of args for {name}: want {} got {num_in}",
                    f.params.len()
                ));
            }
            _ => {}
        }
        if let Imp::And | Imp::Or = f.imp {
            let is_or = matches!(f.imp, Imp::Or);
            let mut v = Value::Nil;
            for arg in args {
                v = self.eval_arg(dot, Param::Any, arg)?;
                if v.is_true(self.ctx) == is_or {
                    return Ok(v);
                }
            }
            if let Some(fv) = fin {
                v = fv;
            }
            return Ok(v);
        }
        let mut argv = ArgBuf::new();
        if let Some(r) = receiver {
            argv.push(r);
        }
        for (i, arg) in args.iter().enumerate() {
            let p = f
                .params
                .get(i)
                .copied()
                .or(f.variadic)
                .unwrap_or(Param::Any);
            let v = self.eval_arg(dot, p, arg)?;
            argv.push(v);
        }
        if let Some(fv) = fin {
            let p = match f.variadic {
                Some(vp) => f.params.get(num_in - 1).copied().unwrap_or(vp),
                None => f.params.last().copied().unwrap_or(Param::Any),
            };
            let v = self.validate_type(fv, p)?;
            argv.push(v);
        }
        match f.imp {
            Imp::Plain(func) => match func(&self.env, argv.as_mut_slice()) {
                Ok(v) => Ok(v),
                Err(msg) => {
                    self.cur = err_node;
                    self.errorf(format!("error calling {name}: {msg}"))
                }
            },
            _ => {
                // `call`: templates have no function values to call.
                let callee = match args.first() {
                    Some(a) => a.to_string(),
                    None => match argv.as_mut_slice().first() {
                        Some(Value::Str(s)) => s.to_string(),
                        Some(v) => format!("<{} Value>", v.type_name()),
                        None => String::new(),
                    },
                };
                let msg = match argv.as_mut_slice().first() {
                    Some(Value::Nil) | None => "call of nil".to_string(),
                    Some(v) => format!("non-function {callee} of type {}", v.type_name()),
                };
                self.cur = err_node;
                self.errorf(format!("error calling call: {msg}"))
            }
        }
    }

    fn eval_arg(&mut self, dot: &Value<'a>, p: Param, arg: &'a Arg) -> X<Value<'a>> {
        self.cur = At::Arg(arg);
        let v = match arg {
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => {
                if p == Param::Any {
                    return Ok(Value::Nil);
                }
                return self.errorf(format!("cannot assign nil to {}", p.go_name()));
            }
            Arg::Field { ident, .. } => {
                self.eval_field_chain(dot, dot, ident, std::slice::from_ref(arg), None)?
            }
            Arg::Variable(v) => self.eval_variable(dot, v, &[], None)?,
            Arg::Pipe(pp) => self.eval_pipeline(dot, pp)?,
            Arg::Identifier { func, .. } => {
                self.eval_call(dot, func, At::Arg(arg), &[], None, None)?
            }
            Arg::Chain { .. } => self.eval_chain(dot, arg, &[], None)?,
            Arg::Bool { val, .. } => {
                return match p {
                    Param::Any => Ok(Value::Bool(*val)),
                    _ => self.literal_mismatch(p, arg),
                }
            }
            Arg::Number(n) => {
                return match p {
                    Param::Int if n.is_int => Ok(Value::Int(n.int)),
                    Param::Float if n.is_float => Ok(Value::Float(n.float)),
                    Param::Any => self.ideal_constant(n, arg),
                    _ => self.literal_mismatch(p, arg),
                }
            }
            Arg::Str { text, .. } => {
                return match p {
                    Param::Str | Param::Any => Ok(Value::str(text)),
                    _ => self.literal_mismatch(p, arg),
                }
            }
        };
        self.validate_type(v, p)
    }

    fn literal_mismatch<T>(&self, p: Param, arg: &Arg) -> X<T> {
        match p {
            Param::Str => self.errorf(format!("expected string; found {arg}")),
            Param::Int => self.errorf(format!("expected integer; found {arg}")),
            Param::Float => self.errorf(format!("expected float; found {arg}")),
            Param::Time | Param::Any => self.errorf(format!(
                "can't handle {arg} for arg of type {}",
                p.go_name()
            )),
        }
    }

    fn validate_type(&self, v: Value<'a>, p: Param) -> X<Value<'a>> {
        match (p, &v) {
            (Param::Any, _)
            | (Param::Str, Value::Str(_))
            | (Param::Int, Value::Int(_))
            | (Param::Float, Value::Float(_))
            | (Param::Time, Value::Time(_)) => Ok(v),
            (_, Value::Nil) => self.errorf(format!("invalid value; expected {}", p.go_name())),
            _ => self.errorf(format!(
                "wrong type for value; expected {}; got {}",
                p.go_name(),
                v.type_name()
            )),
        }
    }
}

/// The integer inside an integer-kinded value.
fn funcs_int(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint8(u) => i64::from(*u),
        Value::Month(m) => i64::from(*m),
        Value::Weekday(d) => i64::from(*d),
        _ => 0,
    }
}

/// `i` with the same Go type as `like` (ranging over an int yields its type).
fn same_int_type<'a>(like: &Value, i: i64) -> Value<'a> {
    match like {
        Value::Int64(_) => Value::Int64(i),
        Value::Uint8(_) => Value::Uint8(i as u8),
        Value::Month(_) => Value::Month(i as u8),
        Value::Weekday(_) => Value::Weekday(i as u8),
        _ => Value::Int(i),
    }
}

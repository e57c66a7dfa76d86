//! The LogQL abstract syntax tree, shaped for evaluation.
//!
//! The parser builds it and validates it before any data is read: regexes are
//! compiled, templates, patterns, JSON paths and IP patterns parsed, numbers,
//! durations and bytes converted. `Display` (in `display.rs`) prints a
//! canonical query that parses back to an equal tree.
//!
//! Stages are kept in the order they were written. Loki moves line filters
//! ahead of parsers when it builds a pipeline (logql.md §3.2); the pipeline
//! builder applies that order, the tree does not.

use std::net::IpAddr;

use regex::Regex;

use crate::logql::template::Template;
use crate::model::Matcher;

/// A whole query: a log query or a metric query.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// Selector plus pipeline; answers with streams.
    Log(LogExpr),
    /// Anything that yields samples.
    Metric(MetricExpr),
}

/// A stream selector and the pipeline its entries go through.
#[derive(Clone, Debug, PartialEq)]
pub struct LogExpr {
    /// The `{...}` matchers, in written order.
    pub selector: Vec<Matcher>,
    /// Pipeline stages, in written order.
    pub stages: Vec<Stage>,
}

/// One pipeline stage.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// `|= "a" or "b"`, `!~ "re"`, `|> "<_> x"`, `|= ip("...")`.
    LineFilter(LineFilter),
    /// `| json` (no extractions = every field) or `| json a="expr", b`.
    Json(JsonParser),
    /// `| logfmt [--strict] [--keep-empty] [a="key", b]`.
    Logfmt(LogfmtParser),
    /// `| regexp "re"` with named groups.
    Regexp(RegexpParser),
    /// `| pattern "<a> <_> <b>"`.
    Pattern(PatternParser),
    /// `| unpack`.
    Unpack,
    /// `| a="x" and b > 5 or ...`.
    LabelFilter(LabelFilterExpr),
    /// `| line_format "tmpl"`.
    LineFormat(Template),
    /// `| label_format a=b, c="tmpl"`.
    LabelFormat(Vec<LabelFormatOp>),
    /// `| decolorize`.
    Decolorize,
    /// `| drop a, b="v"`.
    Drop(Vec<NamedLabel>),
    /// `| keep a, b="v"`.
    Keep(Vec<NamedLabel>),
}

/// A line filter with its `or` chain.
///
/// For negative operators Loki rewrites `!= "a" or "b"` into two filters
/// (`!= "a" != "b"`); the parser does the same, so a negative filter always
/// has exactly one operand.
#[derive(Clone, Debug, PartialEq)]
pub struct LineFilter {
    /// The operator of the head; every `or` operand inherits it.
    pub op: LineFilterOp,
    /// One or more operands; the line passes a positive filter when any matches.
    pub operands: Vec<LineFilterOperand>,
}

/// Line filter operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFilterOp {
    /// `|=`
    Contains,
    /// `!=`
    NotContains,
    /// `|~`
    Regex,
    /// `!~`
    NotRegex,
    /// `|>`
    Pattern,
    /// `!>`
    NotPattern,
}

/// One operand of a line filter.
#[derive(Clone, Debug, PartialEq)]
pub enum LineFilterOperand {
    /// Substring for `|=` / `!=`.
    Text(String),
    /// Unanchored regex for `|~` / `!~`.
    Regex(CompiledRegex),
    /// Wildcard-only pattern (`<_>`) for `|>` / `!>`.
    Pattern(PatternExpr),
    /// `ip("...")`, only with `|=` / `!=`.
    Ip(IpMatcher),
}

/// A regex compiled once, compared by its source.
#[derive(Clone, Debug)]
pub struct CompiledRegex {
    /// The regex as written (unescaped).
    pub source: String,
    /// Compiled form. Anchoring depends on the use and is part of compilation.
    pub re: Regex,
}

impl PartialEq for CompiledRegex {
    fn eq(&self, o: &Self) -> bool {
        self.source == o.source
    }
}

/// A parsed `pattern` expression (parser or `|>` filter).
#[derive(Clone, Debug, PartialEq)]
pub struct PatternExpr {
    /// The pattern as written.
    pub source: String,
    /// Literals and captures in order.
    pub nodes: Vec<PatternNode>,
}

/// Part of a pattern expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternNode {
    /// Text that must appear.
    Literal(String),
    /// `<name>`, or `<_>` (None).
    Capture(Option<String>),
}

/// An `ip("...")` pattern: one address, a range `a-b`, or a CIDR `net/len`.
#[derive(Clone, Debug, PartialEq)]
pub struct IpMatcher {
    /// The pattern as written.
    pub source: String,
    /// Parsed form.
    pub pattern: IpPattern,
}

/// Parsed `ip()` pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpPattern {
    /// A single address.
    Addr(IpAddr),
    /// An inclusive range of addresses of the same family.
    Range(IpAddr, IpAddr),
    /// A network and prefix length.
    Cidr(IpAddr, u8),
}

/// `| json` with optional extractions.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonParser {
    /// Empty: extract every field. Otherwise only these.
    pub extractions: Vec<JsonExtraction>,
}

/// `label="expr"` (or `label`, meaning `label="label"`) in `| json`.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonExtraction {
    /// Target label name (used verbatim).
    pub label: String,
    /// The expression as written.
    pub expr: String,
    /// Parsed path: `a.b[0]["c d"]` is `[Key(a), Key(b), Index(0), Key("c d")]`.
    pub path: Vec<JsonPathPart>,
}

/// One step of a JSON path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonPathPart {
    /// Object member.
    Key(String),
    /// Array element.
    Index(usize),
}

/// `| logfmt` with flags and optional extractions.
#[derive(Clone, Debug, PartialEq)]
pub struct LogfmtParser {
    /// `--strict`: stop with `LogfmtParserErr` at the first malformed pair.
    pub strict: bool,
    /// `--keep-empty`: keep `k=` and standalone keys as `k=""`.
    pub keep_empty: bool,
    /// Empty: every key. Otherwise only these.
    pub extractions: Vec<LogfmtExtraction>,
}

/// `label="key"` (or `key`) in `| logfmt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogfmtExtraction {
    /// Target label name.
    pub label: String,
    /// The logfmt key to read.
    pub key: String,
}

/// `| regexp "re"`: unanchored, at least one named group.
#[derive(Clone, Debug, PartialEq)]
pub struct RegexpParser {
    /// The compiled, unanchored regex.
    pub regex: CompiledRegex,
}

/// `| pattern "..."`: at least one named capture.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternParser {
    /// The parsed pattern.
    pub pattern: PatternExpr,
}

/// A label filter expression. `and` (also `,` and juxtaposition) binds
/// tighter than `or`.
#[derive(Clone, Debug, PartialEq)]
pub enum LabelFilterExpr {
    /// Both sides keep the entry.
    And(Box<LabelFilterExpr>, Box<LabelFilterExpr>),
    /// Either side keeps the entry (short-circuits on the left).
    Or(Box<LabelFilterExpr>, Box<LabelFilterExpr>),
    /// String comparison: `= != =~ !~` (regex fully anchored).
    Matcher(Matcher),
    /// Numeric comparison against `strconv.ParseFloat(label)`.
    Number {
        /// Label name.
        name: String,
        /// Comparison.
        op: CmpOp,
        /// The literal.
        value: f64,
    },
    /// Duration comparison against Go `time.ParseDuration(label)`.
    Duration {
        /// Label name.
        name: String,
        /// Comparison.
        op: CmpOp,
        /// The literal in nanoseconds.
        value: i64,
    },
    /// Bytes comparison against `humanize.ParseBytes(label)`.
    Bytes {
        /// Label name.
        name: String,
        /// Comparison.
        op: CmpOp,
        /// The literal in bytes.
        value: u64,
    },
    /// `name = ip("...")` or `name != ip("...")`.
    Ip {
        /// Label name.
        name: String,
        /// True for `!=`.
        negate: bool,
        /// The pattern.
        ip: IpMatcher,
    },
}

/// Comparison operators of numeric, duration and bytes label filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `=` or `==`
    Eq,
    /// `!=`
    Neq,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

/// One item of `| label_format`.
#[derive(Clone, Debug, PartialEq)]
pub enum LabelFormatOp {
    /// `dst=src`: copy `src` to `dst` and remove `src` (no-op when `src` is missing).
    Rename {
        /// Target label.
        dst: String,
        /// Source label.
        src: String,
    },
    /// `dst="template"`.
    Template {
        /// Target label.
        dst: String,
        /// The parsed template.
        template: Template,
    },
}

/// A label named in `drop` / `keep`, optionally with a value condition.
#[derive(Clone, Debug, PartialEq)]
pub enum NamedLabel {
    /// Just the name: applies whatever the value.
    Name(String),
    /// `name="v"` / `name=~"re"` ...: applies when the value matches.
    Matcher(Matcher),
}

/// Expressions that yield samples.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricExpr {
    /// `rate({...}[5m])` and friends.
    RangeAgg(RangeAggregation),
    /// `sum by (x) (...)` and friends.
    VectorAgg(VectorAggregation),
    /// `a + b`, `a > bool 2`, `a and on(x) b`, ...
    Binary(BinaryExpr),
    /// A number (`1`, `-2.5`, or a folded `1 + 2`).
    Literal(f64),
    /// `vector(N)`: one sample with no labels at every step.
    Vector(f64),
    /// `label_replace(expr, "dst", "repl", "src", "regex")`.
    LabelReplace(LabelReplace),
}

/// A range aggregation over a log range.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeAggregation {
    /// The function.
    pub op: RangeOp,
    /// The φ of `quantile_over_time(φ, ...)`; None for every other function.
    pub param: Option<f64>,
    /// What is aggregated.
    pub range: LogRange,
    /// `by (...)` / `without (...)` after the call (only some functions allow it).
    pub grouping: Option<Grouping>,
}

/// Range aggregation functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum RangeOp {
    CountOverTime,
    Rate,
    RateCounter,
    BytesOverTime,
    BytesRate,
    AvgOverTime,
    SumOverTime,
    MinOverTime,
    MaxOverTime,
    StdvarOverTime,
    StddevOverTime,
    QuantileOverTime,
    FirstOverTime,
    LastOverTime,
    AbsentOverTime,
}

impl RangeOp {
    /// The function name as written in LogQL.
    pub fn as_str(self) -> &'static str {
        match self {
            RangeOp::CountOverTime => "count_over_time",
            RangeOp::Rate => "rate",
            RangeOp::RateCounter => "rate_counter",
            RangeOp::BytesOverTime => "bytes_over_time",
            RangeOp::BytesRate => "bytes_rate",
            RangeOp::AvgOverTime => "avg_over_time",
            RangeOp::SumOverTime => "sum_over_time",
            RangeOp::MinOverTime => "min_over_time",
            RangeOp::MaxOverTime => "max_over_time",
            RangeOp::StdvarOverTime => "stdvar_over_time",
            RangeOp::StddevOverTime => "stddev_over_time",
            RangeOp::QuantileOverTime => "quantile_over_time",
            RangeOp::FirstOverTime => "first_over_time",
            RangeOp::LastOverTime => "last_over_time",
            RangeOp::AbsentOverTime => "absent_over_time",
        }
    }
}

/// The log part of a range aggregation: `{...} | pipeline | unwrap x [5m] offset 1m`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRange {
    /// Selector and pipeline (before `unwrap`).
    pub log: LogExpr,
    /// `| unwrap ...` and the label filters after it.
    pub unwrap: Option<Unwrap>,
    /// The `[range]` in nanoseconds.
    pub range: i64,
    /// The `offset` in nanoseconds (0 when absent; may be negative).
    pub offset: i64,
}

/// `| unwrap [conv(]label[)]` plus post-unwrap label filters.
#[derive(Clone, Debug, PartialEq)]
pub struct Unwrap {
    /// The label whose value becomes the sample.
    pub label: String,
    /// How the value is converted.
    pub conversion: UnwrapConversion,
    /// `| label_filter` stages after the unwrap, in order.
    pub post_filters: Vec<LabelFilterExpr>,
}

/// Conversion applied by `unwrap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnwrapConversion {
    /// `strconv.ParseFloat`.
    Plain,
    /// `bytes(x)`: humanize.ParseBytes.
    Bytes,
    /// `duration(x)`: Go duration in seconds.
    Duration,
    /// `duration_seconds(x)`: same as `duration`.
    DurationSeconds,
}

/// `by (a, b)` or `without (a, b)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grouping {
    /// True for `without`.
    pub without: bool,
    /// The labels, as written (may be empty: `by ()`).
    pub labels: Vec<String>,
}

/// A vector aggregation.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorAggregation {
    /// The operator.
    pub op: VectorOp,
    /// k of `topk` / `bottomk` / `approx_topk`; None otherwise.
    pub param: Option<i64>,
    /// The aggregated expression.
    pub inner: Box<MetricExpr>,
    /// `by` / `without`, written before or after the call.
    pub grouping: Option<Grouping>,
}

/// Vector aggregation operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum VectorOp {
    Sum,
    Avg,
    Min,
    Max,
    Count,
    Stddev,
    Stdvar,
    Topk,
    Bottomk,
    Sort,
    SortDesc,
    ApproxTopk,
}

impl VectorOp {
    /// The operator name as written in LogQL.
    pub fn as_str(self) -> &'static str {
        match self {
            VectorOp::Sum => "sum",
            VectorOp::Avg => "avg",
            VectorOp::Min => "min",
            VectorOp::Max => "max",
            VectorOp::Count => "count",
            VectorOp::Stddev => "stddev",
            VectorOp::Stdvar => "stdvar",
            VectorOp::Topk => "topk",
            VectorOp::Bottomk => "bottomk",
            VectorOp::Sort => "sort",
            VectorOp::SortDesc => "sort_desc",
            VectorOp::ApproxTopk => "approx_topk",
        }
    }
}

/// A binary operation between two metric expressions.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: BinaryOp,
    /// Left operand.
    pub lhs: Box<MetricExpr>,
    /// Right operand.
    pub rhs: Box<MetricExpr>,
    /// `bool`, `on`/`ignoring`, `group_left`/`group_right`.
    pub modifier: BinaryModifier,
}

/// Binary operators, by precedence group (low to high):
/// `or` < `and unless` < comparisons < `+ -` < `* / %` < `^` (right-assoc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BinaryOp {
    Or,
    And,
    Unless,
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl BinaryOp {
    /// The operator as written in LogQL.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Unless => "unless",
            BinaryOp::Eq => "==",
            BinaryOp::Neq => "!=",
            BinaryOp::Gt => ">",
            BinaryOp::Gte => ">=",
            BinaryOp::Lt => "<",
            BinaryOp::Lte => "<=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
        }
    }

    /// True for `and`, `or`, `unless`.
    pub fn is_set_op(self) -> bool {
        matches!(self, BinaryOp::Or | BinaryOp::And | BinaryOp::Unless)
    }

    /// True for `== != > >= < <=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::Neq
                | BinaryOp::Gt
                | BinaryOp::Gte
                | BinaryOp::Lt
                | BinaryOp::Lte
        )
    }
}

/// Modifiers of a binary operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BinaryModifier {
    /// `bool`: comparisons return 0/1 instead of filtering.
    pub return_bool: bool,
    /// `on(...)` / `ignoring(...)` with an optional group modifier.
    pub matching: Option<VectorMatching>,
}

/// `on(labels)` or `ignoring(labels)`, optionally `group_left/right(labels)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VectorMatching {
    /// True for `on`, false for `ignoring`.
    pub on: bool,
    /// The matching labels (may be empty).
    pub labels: Vec<String>,
    /// `group_left` / `group_right`.
    pub group: Option<GroupModifier>,
}

/// `group_left(extra...)` or `group_right(extra...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupModifier {
    /// Which side is the "many" side.
    pub side: GroupSide,
    /// Labels copied from the "one" side.
    pub include: Vec<String>,
}

/// Side of a group modifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupSide {
    /// `group_left`: the left side is "many".
    Left,
    /// `group_right`: the right side is "many".
    Right,
}

/// `label_replace(inner, dst, replacement, src, regex)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelReplace {
    /// The expression whose samples are relabelled.
    pub inner: Box<MetricExpr>,
    /// Destination label.
    pub dst: String,
    /// Replacement with `$1`, `${1}`, `$name`.
    pub replacement: String,
    /// Source label.
    pub src: String,
    /// Regex anchored as `^(?:re)$`.
    pub regex: CompiledRegex,
}

/// Calls `f` for every log expression (selector and pipeline) inside a
/// metric expression, left to right.
pub fn for_each_log_expr(e: &MetricExpr, f: &mut dyn FnMut(&LogExpr)) {
    match e {
        MetricExpr::RangeAgg(r) => f(&r.range.log),
        MetricExpr::VectorAgg(v) => for_each_log_expr(&v.inner, f),
        MetricExpr::Binary(b) => {
            for_each_log_expr(&b.lhs, f);
            for_each_log_expr(&b.rhs, f);
        }
        MetricExpr::LabelReplace(l) => for_each_log_expr(&l.inner, f),
        MetricExpr::Literal(_) | MetricExpr::Vector(_) => {}
    }
}

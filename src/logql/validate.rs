//! The checks Loki performs before reading data, with its error texts
//! (logql.md §2.1, §2.2): selector, aggregation and binary-operator rules,
//! and the construction of every pipeline stage (regexes, patterns, JSON
//! and logfmt expressions, `ip()` patterns, templates, `label_format`).
//!
//! The parser calls these builders while it builds the tree, so the tree
//! only ever holds compiled, checked parts.

use crate::logql::ast::{
    BinaryExpr, BinaryModifier, BinaryOp, CompiledRegex, Grouping, IpMatcher, JsonExtraction,
    JsonParser, LabelFormatOp, LineFilter, LineFilterOp, LineFilterOperand, LogRange,
    LogfmtExtraction, LogfmtParser, MetricExpr, PatternParser, RangeAggregation, RangeOp,
    RegexpParser, VectorAggregation, VectorOp,
};
use crate::logql::error::ParseError;
use crate::logql::go_regex;
use crate::logql::ip::parse_ip_pattern;
use crate::logql::json_path::parse_json_path;
use crate::logql::number::parse_go_float;
use crate::logql::pattern_syntax::{parse_line_filter_pattern, parse_pattern_parser};
use crate::logql::template::Template;
use crate::model::{go_quote, MatchOp, Matcher};

/// Loki's message for a selector that would select every stream.
pub const EMPTY_SELECTOR: &str = "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will";

/// Builds a label matcher; a regex that does not compile is an error
/// (`error parsing regexp: ...`).
pub fn matcher(name: &str, op: MatchOp, value: String) -> Result<Matcher, String> {
    match op {
        MatchOp::Eq | MatchOp::Neq => Ok(Matcher::with_regex_match(
            name,
            op,
            value,
            crate::model::RegexMatch::Literal,
        )),
        MatchOp::Re | MatchOp::Nre => {
            let re = go_regex::compile_matcher(&value)?;
            Ok(Matcher::with_regex_match(name, op, value, re))
        }
    }
}

/// A selector must have a matcher that does not accept the empty string.
pub fn selector(matchers: &[Matcher]) -> Result<(), ParseError> {
    if matchers.iter().any(|m| !m.matches_empty()) {
        Ok(())
    } else {
        Err(ParseError::semantic(EMPTY_SELECTOR))
    }
}

/// Loki's `validateSampleExpr`: selectors of every range aggregation, and
/// `sort` / `sort_desc` grouping. `label_replace` only checks the selector
/// of its first leaf, as Loki does.
pub fn metric_selectors(e: &MetricExpr) -> Result<(), ParseError> {
    match e {
        MetricExpr::Binary(b) => {
            metric_selectors(&b.lhs)?;
            metric_selectors(&b.rhs)
        }
        MetricExpr::Literal(_) | MetricExpr::Vector(_) => Ok(()),
        MetricExpr::VectorAgg(v) => {
            if matches!(v.op, VectorOp::Sort | VectorOp::SortDesc)
                && v.grouping.as_ref().is_some_and(|g| !g.labels.is_empty())
            {
                return Err(ParseError::semantic(
                    "sort and sort_desc doesn't allow grouping by ",
                ));
            }
            metric_selectors(&v.inner)
        }
        MetricExpr::RangeAgg(r) => selector(&r.range.log.selector),
        MetricExpr::LabelReplace(l) => match first_selector(&l.inner) {
            Some(m) => selector(m),
            None => Ok(()),
        },
    }
}

/// Loki's `Selector()` chain: the selector a metric expression reads,
/// following left legs; a literal has an empty one, `vector()` none.
fn first_selector(e: &MetricExpr) -> Option<&[Matcher]> {
    match e {
        MetricExpr::RangeAgg(r) => Some(&r.range.log.selector),
        MetricExpr::VectorAgg(v) => first_selector(&v.inner),
        MetricExpr::Binary(b) => first_selector(&b.lhs),
        MetricExpr::LabelReplace(l) => first_selector(&l.inner),
        MetricExpr::Literal(_) => Some(&[]),
        MetricExpr::Vector(_) => None,
    }
}

/// One operand of a line filter as written.
#[derive(Clone, Debug)]
pub enum RawOperand {
    /// `"text"`
    Str(String),
    /// `ip("pattern")`
    Ip(String),
}

/// Builds the stages of one line filter and its `or` chain.
///
/// A negative chain becomes one filter per operand (`!= "a" or "b"` is
/// `!= "a" != "b"`). In a positive chain of two or more operands Loki builds
/// every operand with the chain's operator and ignores `ip()`: the pattern is
/// used as plain text (or a regex / pattern), and so it is here.
pub fn line_filters(
    op: LineFilterOp,
    operands: Vec<RawOperand>,
) -> Result<Vec<LineFilter>, ParseError> {
    let negative = matches!(
        op,
        LineFilterOp::NotContains | LineFilterOp::NotRegex | LineFilterOp::NotPattern
    );
    if negative || operands.len() == 1 {
        return operands
            .into_iter()
            .map(|o| {
                let text = filter_text(op, std::slice::from_ref(&o));
                let operand = match o {
                    RawOperand::Ip(p) => ip_operand(op, p),
                    RawOperand::Str(s) => text_operand(op, s),
                };
                operand
                    .map(|operand| LineFilter {
                        op,
                        operands: vec![operand],
                    })
                    .map_err(|e| ParseError::stage(&text, e))
            })
            .collect();
    }
    let text = filter_text(op, &operands);
    let operands = operands
        .into_iter()
        .map(|o| match o {
            RawOperand::Str(s) | RawOperand::Ip(s) => text_operand(op, s),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ParseError::stage(&text, e))?;
    Ok(vec![LineFilter { op, operands }])
}

fn text_operand(op: LineFilterOp, s: String) -> Result<LineFilterOperand, String> {
    Ok(match op {
        LineFilterOp::Contains | LineFilterOp::NotContains => LineFilterOperand::Text(s),
        LineFilterOp::Regex | LineFilterOp::NotRegex => {
            let re = go_regex::compile_unanchored(&s)?;
            LineFilterOperand::Regex(CompiledRegex { source: s, re })
        }
        LineFilterOp::Pattern | LineFilterOp::NotPattern => {
            LineFilterOperand::Pattern(parse_line_filter_pattern(&s)?)
        }
    })
}

fn ip_operand(op: LineFilterOp, pattern: String) -> Result<LineFilterOperand, String> {
    if !matches!(op, LineFilterOp::Contains | LineFilterOp::NotContains) {
        return Err("ip: invalid operation".to_string());
    }
    Ok(LineFilterOperand::Ip(ip_matcher(pattern)?))
}

/// An `ip()` pattern with its parsed form.
pub fn ip_matcher(source: String) -> Result<IpMatcher, String> {
    let pattern = parse_ip_pattern(&source)?;
    Ok(IpMatcher { source, pattern })
}

fn filter_text(op: LineFilterOp, operands: &[RawOperand]) -> String {
    let mut s = String::from(crate::logql::display::line_filter_op(op));
    for (i, o) in operands.iter().enumerate() {
        s.push_str(if i == 0 { " " } else { " or " });
        match o {
            RawOperand::Str(v) => s.push_str(&go_quote(v)),
            RawOperand::Ip(v) => {
                s.push_str("ip(");
                s.push_str(&go_quote(v));
                s.push(')');
            }
        }
    }
    s
}

/// `| regexp "re"`: compiles, at least one named group, names unique.
pub fn regexp_parser(source: String) -> Result<RegexpParser, String> {
    let wrap = |e: String| format!("invalid regexp parser: {e}");
    let t = go_regex::translate_with_names(&source).map_err(wrap)?;
    const MISSING: &str = "at least one named capture must be supplied";
    if t.names.is_empty() {
        return Err(wrap(MISSING.to_string()));
    }
    let mut seen: Vec<&str> = Vec::new();
    for name in t.names.iter().flatten() {
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(wrap(format!("invalid extracted label name '{name}'")));
        }
        if seen.contains(&name.as_str()) {
            return Err(wrap(format!("duplicate extracted label name '{name}'")));
        }
        seen.push(name);
    }
    if seen.is_empty() {
        return Err(wrap(MISSING.to_string()));
    }
    let re = go_regex::build(&t.rust, &source).map_err(wrap)?;
    Ok(RegexpParser {
        regex: CompiledRegex { source, re },
    })
}

/// `| pattern "..."`.
pub fn pattern_parser(source: &str) -> Result<PatternParser, String> {
    parse_pattern_parser(source)
        .map(|pattern| PatternParser { pattern })
        .map_err(|e| format!("invalid pattern parser: {e}"))
}

/// `| json label="expr", ...`: every expression must parse.
pub fn json_parser(extractions: Vec<(String, String)>) -> Result<JsonParser, ParseError> {
    let mut out = Vec::with_capacity(extractions.len());
    for (label, expr) in &extractions {
        match parse_json_path(expr) {
            Ok(path) => out.push(JsonExtraction {
                label: label.clone(),
                expr: expr.clone(),
                path,
            }),
            Err(e) => {
                let stage = format!("| json {}", extraction_list(&extractions));
                return Err(ParseError::stage(
                    &stage,
                    format!("cannot parse expression [{expr}]: {e}"),
                ));
            }
        }
    }
    Ok(JsonParser { extractions: out })
}

/// `| logfmt [flags] label="key", ...`: every key expression must parse.
pub fn logfmt_parser(
    strict: bool,
    keep_empty: bool,
    extractions: Vec<(String, String)>,
) -> Result<LogfmtParser, ParseError> {
    let mut out = Vec::with_capacity(extractions.len());
    for (label, expr) in &extractions {
        match logfmt_key(expr) {
            Ok(key) => out.push(LogfmtExtraction {
                label: label.clone(),
                key,
            }),
            Err(e) => {
                let mut stage = String::from("| logfmt ");
                if strict {
                    stage.push_str("--strict ");
                }
                if keep_empty {
                    stage.push_str("--keep-empty ");
                }
                stage.push_str(&extraction_list(&extractions));
                return Err(ParseError::stage(
                    &stage,
                    format!("cannot parse expression [{expr}]: {e}"),
                ));
            }
        }
    }
    Ok(LogfmtParser {
        strict,
        keep_empty,
        extractions: out,
    })
}

fn extraction_list(extractions: &[(String, String)]) -> String {
    extractions
        .iter()
        .map(|(l, e)| format!("{l}={}", go_quote(e)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The key of a logfmt extraction expression, as Loki's `logfmt.Parse`
/// reads it: an ASCII identifier, or `"quoted"` text (no escapes, ends at
/// `"` or `]`). Several quoted parts are joined the odd way Loki's
/// `fmt.Sprintf("%v", parts...)` does.
pub fn logfmt_key(expr: &str) -> Result<String, String> {
    let mut parts: Vec<String> = Vec::new();
    let mut chars = expr.chars().peekable();
    let mut lex_error: Option<String> = None;
    loop {
        // Next token: None is the end of input.
        let tok: Option<(bool, String)> = loop {
            match chars.next() {
                None | Some('\0') => break None,
                Some(' ' | '\t' | '\n') => continue,
                Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                    let mut s = String::from(c);
                    while let Some(&n) = chars.peek() {
                        if !(n.is_ascii_alphanumeric() || n == '_') {
                            break;
                        }
                        s.push(n);
                        chars.next();
                    }
                    break Some((true, s));
                }
                Some('"') => {
                    let mut s = String::new();
                    for c in chars.by_ref() {
                        if c == '"' || c == ']' || c == '\0' {
                            break;
                        }
                        s.push(c);
                    }
                    break Some((false, s));
                }
                Some(c) => {
                    lex_error = Some(format!("unexpected char {c}"));
                    break None;
                }
            }
        };
        match tok {
            None if parts.is_empty() => {
                return Err("syntax error: unexpected $end, expecting STRING or FIELD".to_string())
            }
            None => break,
            Some((true, _)) if !parts.is_empty() => {
                return Err("syntax error: unexpected FIELD, expecting STRING".to_string())
            }
            Some((_, s)) => parts.push(s),
        }
    }
    if let Some(e) = lex_error {
        return Err(e);
    }
    let mut key = parts.remove(0);
    if !parts.is_empty() {
        let extra: Vec<String> = parts.iter().map(|p| format!("string={p}")).collect();
        key.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    Ok(key)
}

/// `| line_format "tmpl"`.
pub fn line_format(source: &str) -> Result<Template, ParseError> {
    Template::parse(source).map_err(|e| {
        ParseError::stage(
            &format!("| line_format {}", go_quote(source)),
            format!("invalid line template: {e}"),
        )
    })
}

/// One item of `| label_format` as written.
#[derive(Clone, Debug)]
pub enum RawLabelFormat {
    /// `dst=src`
    Rename(String, String),
    /// `dst="template"`
    Template(String, String),
}

/// `| label_format ...`: targets unique, `__error__` not a target,
/// templates valid.
pub fn label_format(items: Vec<RawLabelFormat>) -> Result<Vec<LabelFormatOp>, ParseError> {
    let stage = || {
        let list: Vec<String> = items
            .iter()
            .map(|i| match i {
                RawLabelFormat::Rename(d, s) => format!("{d}={s}"),
                RawLabelFormat::Template(d, t) => format!("{d}={}", go_quote(t)),
            })
            .collect();
        format!("| label_format {}", list.join(","))
    };
    let mut seen: Vec<&str> = Vec::new();
    for item in &items {
        let (RawLabelFormat::Rename(dst, _) | RawLabelFormat::Template(dst, _)) = item;
        if dst == "__error__" {
            return Err(ParseError::stage(&stage(), "__error__ cannot be formatted"));
        }
        if seen.contains(&dst.as_str()) {
            return Err(ParseError::stage(
                &stage(),
                format!("multiple label name '{dst}' not allowed in a single format operation"),
            ));
        }
        seen.push(dst);
    }
    let mut out = Vec::with_capacity(items.len());
    for item in &items {
        out.push(match item {
            RawLabelFormat::Rename(dst, src) => LabelFormatOp::Rename {
                dst: dst.clone(),
                src: src.clone(),
            },
            RawLabelFormat::Template(dst, source) => match Template::parse_named("label", source) {
                Ok(template) => LabelFormatOp::Template {
                    dst: dst.clone(),
                    template,
                },
                Err(e) => {
                    return Err(ParseError::stage(
                        &stage(),
                        format!("invalid template for label '{dst}': {e}"),
                    ))
                }
            },
        });
    }
    Ok(out)
}

/// Loki's range aggregation rules: parameter only (and always) for
/// `quantile_over_time`, grouping only for some functions, `unwrap`
/// required or forbidden.
pub fn range_aggregation(
    op: RangeOp,
    param: Option<&str>,
    range: LogRange,
    grouping: Option<Grouping>,
) -> Result<RangeAggregation, String> {
    let name = op.as_str();
    let param = match param {
        Some(p) if op != RangeOp::QuantileOverTime => {
            return Err(format!("parameter {p} not supported for operation {name}"))
        }
        Some(p) => Some(
            parse_go_float(p)
                .map_err(|e| format!("invalid parameter for operation {name}: {e}"))?,
        ),
        None if op == RangeOp::QuantileOverTime => {
            return Err(format!("parameter required for operation {name}"))
        }
        None => None,
    };
    use RangeOp::*;
    if grouping.is_some()
        && !matches!(
            op,
            AvgOverTime
                | StddevOverTime
                | StdvarOverTime
                | QuantileOverTime
                | MaxOverTime
                | MinOverTime
                | FirstOverTime
                | LastOverTime
        )
    {
        return Err(format!("grouping not allowed for {name} aggregation"));
    }
    let unwrap_ok = matches!(
        op,
        AvgOverTime
            | SumOverTime
            | MaxOverTime
            | MinOverTime
            | StddevOverTime
            | StdvarOverTime
            | QuantileOverTime
            | Rate
            | RateCounter
            | AbsentOverTime
            | FirstOverTime
            | LastOverTime
    );
    let plain_ok = matches!(
        op,
        BytesOverTime | BytesRate | CountOverTime | Rate | AbsentOverTime
    );
    if range.unwrap.is_some() && !unwrap_ok {
        return Err(format!("invalid aggregation {name} with unwrap"));
    }
    if range.unwrap.is_none() && !plain_ok {
        return Err(format!("invalid aggregation {name} without unwrap"));
    }
    Ok(RangeAggregation {
        op,
        param,
        range,
        grouping,
    })
}

/// Loki's vector aggregation rules: `topk` / `bottomk` / `approx_topk`
/// need an integer parameter > 0, the others refuse one; `approx_topk`
/// refuses any grouping.
pub fn vector_aggregation(
    op: VectorOp,
    param: Option<&str>,
    inner: MetricExpr,
    grouping: Option<Grouping>,
) -> Result<VectorAggregation, String> {
    let name = op.as_str();
    let param = match op {
        VectorOp::Topk | VectorOp::Bottomk | VectorOp::ApproxTopk => {
            let Some(p) = param else {
                return Err(format!("parameter required for operation {name}"));
            };
            let k: i64 = p
                .parse()
                .map_err(|_| format!("invalid parameter {name}({p},"))?;
            if k <= 0 {
                return Err(format!(
                    "invalid parameter (must be greater than 0) {name}({p}"
                ));
            }
            if op == VectorOp::ApproxTopk && grouping.is_some() {
                return Err(format!("grouping not allowed for {name} aggregation"));
            }
            Some(k)
        }
        _ => {
            if let Some(p) = param {
                return Err(format!("unsupported parameter for operation {name}({p},"));
            }
            None
        }
    };
    Ok(VectorAggregation {
        op,
        param,
        inner: Box::new(inner),
        grouping,
    })
}

/// An operand of a binary operator before checks: log expressions parse as
/// operands too, and are refused here, as in Loki.
pub enum Operand {
    /// A stream selector (`*syntax.MatchersExpr` in Loki's message).
    Selector,
    /// A selector with a pipeline (`*syntax.PipelineExpr`).
    Pipeline,
    /// A metric expression.
    Metric(MetricExpr),
}

/// Builds a binary operation: both legs must be metric expressions, set
/// operators refuse literals, and two literals fold into one.
pub fn binary(
    op: BinaryOp,
    modifier: BinaryModifier,
    lhs: Operand,
    rhs: Operand,
) -> Result<MetricExpr, String> {
    let sym = op.as_str();
    let leg = |o: Operand, side: &str| match o {
        Operand::Metric(m) => Ok(m),
        Operand::Selector => Err(format!(
            "unexpected type for {side} leg of binary operation ({sym}): *syntax.MatchersExpr"
        )),
        Operand::Pipeline => Err(format!(
            "unexpected type for {side} leg of binary operation ({sym}): *syntax.PipelineExpr"
        )),
    };
    let lhs = leg(lhs, "left")?;
    let rhs = leg(rhs, "right")?;
    if op.is_set_op() {
        if let MetricExpr::Literal(v) = lhs {
            return Err(format!(
                "unexpected literal for left leg of logical/set binary operation ({sym}): {v:.6}"
            ));
        }
        if let MetricExpr::Literal(v) = rhs {
            return Err(format!(
                "unexpected literal for right leg of logical/set binary operation ({sym}): {v:.6}"
            ));
        }
    }
    if let (MetricExpr::Literal(l), MetricExpr::Literal(r)) = (&lhs, &rhs) {
        return Ok(MetricExpr::Literal(fold(op, *l, *r)));
    }
    Ok(MetricExpr::Binary(BinaryExpr {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
        modifier,
    }))
}

/// Loki's `MergeBinOp` on two literals: division and modulo by zero give
/// NaN, comparisons give 1 or 0 (with or without `bool`).
pub fn fold(op: BinaryOp, l: f64, r: f64) -> f64 {
    let truth = |b: bool| if b { 1.0 } else { 0.0 };
    match op {
        BinaryOp::Add => l + r,
        BinaryOp::Sub => l - r,
        BinaryOp::Mul => l * r,
        BinaryOp::Div if r == 0.0 => f64::NAN,
        BinaryOp::Div => l / r,
        BinaryOp::Mod if r == 0.0 => f64::NAN,
        BinaryOp::Mod => l % r,
        BinaryOp::Pow => l.powf(r),
        BinaryOp::Eq => truth(l == r),
        BinaryOp::Neq => truth(l != r),
        BinaryOp::Gt => truth(l > r),
        BinaryOp::Gte => truth(l >= r),
        BinaryOp::Lt => truth(l < r),
        BinaryOp::Lte => truth(l <= r),
        // Set operators never reach here: literals are refused first.
        BinaryOp::Or | BinaryOp::And | BinaryOp::Unless => f64::NAN,
    }
}

/// `label_replace`'s regex, anchored as `^(?:re)$`.
pub fn label_replace_regex(source: String) -> Result<CompiledRegex, String> {
    go_regex::compile_label_replace(&source)
        .map(|re| CompiledRegex { source, re })
        .map_err(|e| format!("invalid regex in label_replace: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logfmt_keys() {
        assert_eq!(logfmt_key("fwd").as_deref(), Ok("fwd"));
        assert_eq!(logfmt_key("\"a b\"").as_deref(), Ok("a b"));
        assert_eq!(logfmt_key(" x ").as_deref(), Ok("x"));
        assert_eq!(logfmt_key("\"\"").as_deref(), Ok(""));
        assert_eq!(
            logfmt_key("a \"b\" \"c\"").as_deref(),
            Ok("a%!(EXTRA string=b, string=c)")
        );
        assert_eq!(logfmt_key("my-key").unwrap_err(), "unexpected char -");
        assert_eq!(logfmt_key("a.b").unwrap_err(), "unexpected char .");
        assert_eq!(
            logfmt_key("").unwrap_err(),
            "syntax error: unexpected $end, expecting STRING or FIELD"
        );
        assert_eq!(
            logfmt_key("a b").unwrap_err(),
            "syntax error: unexpected FIELD, expecting STRING"
        );
    }

    #[test]
    fn folding_follows_loki() {
        assert_eq!(fold(BinaryOp::Add, 1.0, 6.0), 7.0);
        assert!(fold(BinaryOp::Div, 1.0, 0.0).is_nan());
        assert!(fold(BinaryOp::Mod, 1.0, 0.0).is_nan());
        assert_eq!(fold(BinaryOp::Pow, 2.0, 9.0), 512.0);
        assert_eq!(fold(BinaryOp::Gt, 1.0, 2.0), 0.0);
        assert_eq!(fold(BinaryOp::Lte, 2.0, 2.0), 1.0);
        assert_eq!(fold(BinaryOp::Mod, -7.0, 3.0), -1.0);
    }

    #[test]
    fn regexp_parser_rules() {
        let err = |s: &str| regexp_parser(s.to_string()).unwrap_err();
        assert_eq!(
            err(r"(\w+)"),
            "invalid regexp parser: at least one named capture must be supplied"
        );
        assert_eq!(
            err("no groups at all"),
            "invalid regexp parser: at least one named capture must be supplied"
        );
        assert_eq!(
            err("(?P<a>x)(?P<a>y)"),
            "invalid regexp parser: duplicate extracted label name 'a'"
        );
        assert_eq!(
            err("(?P<a"),
            "invalid regexp parser: error parsing regexp: invalid named capture: `(?P<a`"
        );
        let p = regexp_parser(r"(?P<method>\w+) (?P<path>\S+)".to_string()).unwrap();
        let names: Vec<_> = p.regex.re.capture_names().flatten().collect();
        assert_eq!(names, ["method", "path"]);
    }
}

//! Property test of the LogQL printer: for generated trees (of the shapes
//! the parser produces), `parse_expr(tree.to_string())` gives the tree back.
//!
//! Trees are built with the same validating builders the parser uses, so a
//! generated tree is also one Loki would accept.

use kindling::logql::ast::{
    BinaryExpr, BinaryModifier, BinaryOp, CmpOp, Expr, GroupModifier, GroupSide, Grouping,
    LabelFilterExpr, LabelReplace, LineFilterOp, LogExpr, LogRange, MetricExpr, NamedLabel,
    RangeAggregation, RangeOp, Stage, Unwrap, UnwrapConversion, VectorAggregation, VectorMatching,
    VectorOp,
};
use kindling::logql::parse_expr;
use kindling::logql::validate::{self, RawLabelFormat, RawOperand};
use kindling::model::{MatchOp, Matcher};
use proptest::prelude::*;

const RESERVED: &[&str] = &[
    "by",
    "without",
    "bool",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "unwrap",
    "json",
    "logfmt",
    "regexp",
    "unpack",
    "pattern",
    "line_format",
    "label_format",
    "decolorize",
    "drop",
    "keep",
    "variants",
    "of",
    "or",
    "and",
    "unless",
];

const REGEXES: &[&str] = &[
    ".*",
    ".+",
    "web",
    "a|b|c",
    "(?i)err.*",
    r"\d+",
    "[a-z]+@docker",
    "^x$",
    "(foo)?",
    r"\w+\.\d{3}",
    r"[^\]\[-]",
    r"\Qa.b\E",
    "x{2,5}",
];
const PATTERNS: &[&str] = &["<_> at=error <_>", "", "GET <_>", "<_>", "a<_>b"];
const PARSER_PATTERNS: &[&str] = &["<a> <b>", "<_> status=<s> <_>", "x <y>", "<é> <a>"];
const REGEXP_PARSERS: &[&str] = &[r"(?P<a>\w+) (?P<b>.*)", "x=(?P<x>[0-9]+)", "(?P<_1st>.)"];
const JSON_EXPRS: &[&str] = &["a", "a.b", "a[0]", r#"["x y"]"#, r#"a.b[1]["c"]"#, "[0]"];
const LOGFMT_EXPRS: &[&str] = &["a", r#""a b""#, r#""""#, "x_1"];
const IPS: &[&str] = &[
    "10.0.0.0/8",
    "192.168.0.1",
    "::1",
    "1.2.3.4-1.2.3.9",
    "2001:db8::/32",
];
const TEMPLATES: &[&str] = &["{{.a}}", "plain", "{{ .x | upper }} {{ __line__ }}", ""];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool).prop_map(str::to_string)
}

fn label_name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z_][a-zA-Z0-9_]{0,8}"
            .prop_filter("reserved word", |s| !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))),
        1 => pick(&["rate", "sum", "bytes", "ip", "vector", "label_replace", "count_over_time",
                    "café", "@", "!", "__error__"]),
    ]
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[ -~]{0,12}", 1 => any::<String>()]
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        (-1000i32..1000).prop_map(f64::from),
        (0u32..1000).prop_map(|v| f64::from(v) / 100.0),
    ]
}

fn non_negative() -> impl Strategy<Value = f64> {
    finite().prop_map(f64::abs)
}

fn matcher() -> impl Strategy<Value = Matcher> {
    prop_oneof![
        (label_name(), prop::bool::ANY, any_text()).prop_map(|(n, eq, v)| {
            let op = if eq { MatchOp::Eq } else { MatchOp::Neq };
            validate::matcher(&n, op, v).unwrap()
        }),
        (label_name(), prop::bool::ANY, pick(REGEXES)).prop_map(|(n, re, v)| {
            let op = if re { MatchOp::Re } else { MatchOp::Nre };
            validate::matcher(&n, op, v).unwrap()
        }),
    ]
}

/// A selector with at least one matcher that does not accept "".
fn selector() -> impl Strategy<Value = Vec<Matcher>> {
    (
        label_name(),
        "[a-z]{1,6}",
        prop::collection::vec(matcher(), 0..3),
    )
        .prop_map(|(n, v, rest)| {
            let mut m = vec![validate::matcher(&n, MatchOp::Eq, v).unwrap()];
            m.extend(rest);
            m
        })
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Neq,
        CmpOp::Gt,
        CmpOp::Gte,
        CmpOp::Lt,
        CmpOp::Lte,
    ])
}

fn bytes_value() -> impl Strategy<Value = u64> {
    // Values a byte literal can produce: exactly representable as floats.
    prop_oneof![0u64..(1 << 53), any::<u64>().prop_map(|n| n >> 11 << 11)]
}

fn label_filter() -> impl Strategy<Value = LabelFilterExpr> {
    let leaf =
        prop_oneof![
            matcher().prop_map(LabelFilterExpr::Matcher),
            (label_name(), cmp_op(), finite())
                .prop_map(|(name, op, value)| LabelFilterExpr::Number { name, op, value }),
            (label_name(), cmp_op(), any::<i64>())
                .prop_map(|(name, op, value)| LabelFilterExpr::Duration { name, op, value }),
            (label_name(), cmp_op(), bytes_value())
                .prop_map(|(name, op, value)| LabelFilterExpr::Bytes { name, op, value }),
            (label_name(), prop::bool::ANY, pick(IPS)).prop_map(|(name, negate, p)| {
                LabelFilterExpr::Ip {
                    name,
                    negate,
                    ip: validate::ip_matcher(p).unwrap(),
                }
            }),
        ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        (inner.clone(), inner, prop::bool::ANY).prop_map(|(l, r, or)| {
            if or {
                LabelFilterExpr::Or(Box::new(l), Box::new(r))
            } else {
                LabelFilterExpr::And(Box::new(l), Box::new(r))
            }
        })
    })
}

fn line_filter_stages() -> impl Strategy<Value = Vec<Stage>> {
    let op = prop::sample::select(vec![
        LineFilterOp::Contains,
        LineFilterOp::NotContains,
        LineFilterOp::Regex,
        LineFilterOp::NotRegex,
        LineFilterOp::Pattern,
        LineFilterOp::NotPattern,
    ]);
    (
        op,
        1usize..4,
        prop::bool::ANY,
        prop::collection::vec(any_text(), 3),
    )
        .prop_flat_map(|(op, n, ip, texts)| {
            let operand = move |i: usize| -> BoxedStrategy<RawOperand> {
                match op {
                    LineFilterOp::Contains | LineFilterOp::NotContains if ip => {
                        pick(IPS).prop_map(RawOperand::Ip).boxed()
                    }
                    LineFilterOp::Contains | LineFilterOp::NotContains => {
                        Just(RawOperand::Str(texts[i % 3].clone())).boxed()
                    }
                    LineFilterOp::Regex | LineFilterOp::NotRegex => {
                        pick(REGEXES).prop_map(RawOperand::Str).boxed()
                    }
                    _ => pick(PATTERNS).prop_map(RawOperand::Str).boxed(),
                }
            };
            (0..n)
                .map(operand)
                .collect::<Vec<_>>()
                .prop_map(move |operands| {
                    validate::line_filters(op, operands)
                        .unwrap()
                        .into_iter()
                        .map(Stage::LineFilter)
                        .collect()
                })
        })
}

fn named_labels() -> impl Strategy<Value = Vec<NamedLabel>> {
    let one = prop_oneof![
        label_name().prop_map(NamedLabel::Name),
        matcher().prop_map(NamedLabel::Matcher),
    ];
    prop::collection::vec(one, 1..4)
}

fn stage() -> impl Strategy<Value = Vec<Stage>> {
    let extraction =
        |pool: &'static [&'static str]| prop::collection::vec((label_name(), pick(pool)), 0..3);
    prop_oneof![
        3 => line_filter_stages(),
        1 => extraction(JSON_EXPRS).prop_map(|e| vec![Stage::Json(validate::json_parser(e).unwrap())]),
        1 => (prop::bool::ANY, prop::bool::ANY, extraction(LOGFMT_EXPRS)).prop_map(|(s, k, e)| {
            vec![Stage::Logfmt(validate::logfmt_parser(s, k, e).unwrap())]
        }),
        1 => pick(REGEXP_PARSERS).prop_map(|r| vec![Stage::Regexp(validate::regexp_parser(r).unwrap())]),
        1 => pick(PARSER_PATTERNS).prop_map(|p| vec![Stage::Pattern(validate::pattern_parser(&p).unwrap())]),
        1 => Just(vec![Stage::Unpack]),
        1 => Just(vec![Stage::Decolorize]),
        3 => label_filter().prop_map(|f| vec![Stage::LabelFilter(f)]),
        1 => pick(TEMPLATES).prop_map(|t| vec![Stage::LineFormat(validate::line_format(&t).unwrap())]),
        1 => prop::collection::vec((label_name(), prop::option::of(label_name()), pick(TEMPLATES)), 1..4)
            .prop_filter_map("unique targets", |items| {
                let mut dsts: Vec<&String> = items.iter().map(|i| &i.0).collect();
                dsts.sort();
                dsts.dedup();
                if dsts.len() != items.len() || items.iter().any(|i| i.0 == "__error__") {
                    return None;
                }
                let raw = items
                    .into_iter()
                    .map(|(dst, src, t)| match src {
                        Some(src) => RawLabelFormat::Rename(dst, src),
                        None => RawLabelFormat::Template(dst, t),
                    })
                    .collect();
                Some(vec![Stage::LabelFormat(validate::label_format(raw).unwrap())])
            }),
        1 => named_labels().prop_map(|l| vec![Stage::Drop(l)]),
        1 => named_labels().prop_map(|l| vec![Stage::Keep(l)]),
    ]
}

/// `| drop a != "x"` reads as a matcher on `a`: a `drop` / `keep` ending
/// with a bare name is never followed by a `!=` / `!~` line filter.
fn producible(stages: &[Stage]) -> bool {
    stages.windows(2).all(|w| {
        let bare_name_last = match &w[0] {
            Stage::Drop(l) | Stage::Keep(l) => matches!(l.last(), Some(NamedLabel::Name(_))),
            _ => false,
        };
        let negative_filter = matches!(
            &w[1],
            Stage::LineFilter(f) if matches!(f.op, LineFilterOp::NotContains | LineFilterOp::NotRegex)
        );
        !(bare_name_last && negative_filter)
    })
}

fn log_expr() -> impl Strategy<Value = LogExpr> {
    (selector(), prop::collection::vec(stage(), 0..4)).prop_filter_map(
        "unproducible stage sequence",
        |(selector, stages)| {
            let stages: Vec<Stage> = stages.into_iter().flatten().collect();
            producible(&stages).then_some(LogExpr { selector, stages })
        },
    )
}

fn grouping() -> impl Strategy<Value = Grouping> {
    (prop::bool::ANY, prop::collection::vec(label_name(), 0..3))
        .prop_map(|(without, labels)| Grouping { without, labels })
}

fn range_aggregation() -> impl Strategy<Value = MetricExpr> {
    use RangeOp::*;
    let op = prop::sample::select(vec![
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
    ]);
    let conversion = prop::sample::select(vec![
        UnwrapConversion::Plain,
        UnwrapConversion::Bytes,
        UnwrapConversion::Duration,
        UnwrapConversion::DurationSeconds,
    ]);
    let unwrap = (
        label_name(),
        conversion,
        prop::collection::vec(label_filter(), 0..2),
    )
        .prop_map(|(label, conversion, post_filters)| Unwrap {
            label,
            conversion,
            post_filters,
        });
    (
        op,
        log_expr(),
        prop::option::of(unwrap),
        0i64..1_000_000_000_000,
        prop_oneof![Just(0i64), any::<i64>()],
        prop::option::of(grouping()),
        non_negative(),
    )
        .prop_map(|(op, log, unwrap, range_ms, offset, grouping, phi)| {
            let needs_unwrap = !matches!(
                op,
                CountOverTime | BytesOverTime | BytesRate | Rate | AbsentOverTime
            );
            let forbids_unwrap = matches!(op, CountOverTime | BytesOverTime | BytesRate);
            let unwrap = match unwrap {
                None if needs_unwrap => Some(Unwrap {
                    label: "x".into(),
                    conversion: UnwrapConversion::Plain,
                    post_filters: Vec::new(),
                }),
                Some(_) if forbids_unwrap => None,
                u => u,
            };
            let grouping_ok = matches!(
                op,
                AvgOverTime
                    | StddevOverTime
                    | StdvarOverTime
                    | QuantileOverTime
                    | MaxOverTime
                    | MinOverTime
                    | FirstOverTime
                    | LastOverTime
            );
            MetricExpr::RangeAgg(RangeAggregation {
                op,
                param: (op == QuantileOverTime).then_some(phi),
                range: LogRange {
                    log,
                    unwrap,
                    range: range_ms * 1_000_000,
                    offset,
                },
                grouping: if grouping_ok { grouping } else { None },
            })
        })
}

fn binary_modifier() -> impl Strategy<Value = BinaryModifier> {
    let group =
        (prop::bool::ANY, prop::collection::vec(label_name(), 0..2)).prop_map(|(l, include)| {
            GroupModifier {
                side: if l { GroupSide::Left } else { GroupSide::Right },
                include,
            }
        });
    let matching = (
        prop::bool::ANY,
        prop::collection::vec(label_name(), 0..3),
        prop::option::of(group),
    )
        .prop_map(|(on, labels, group)| VectorMatching { on, labels, group });
    (prop::bool::ANY, prop::option::of(matching)).prop_map(|(return_bool, matching)| {
        BinaryModifier {
            return_bool,
            matching,
        }
    })
}

/// Loki checks the selector of the first leaf under `label_replace`; a
/// literal there has none.
fn first_leaf_is_literal(e: &MetricExpr) -> bool {
    match e {
        MetricExpr::Literal(_) => true,
        MetricExpr::Binary(b) => first_leaf_is_literal(&b.lhs),
        MetricExpr::VectorAgg(v) => first_leaf_is_literal(&v.inner),
        MetricExpr::LabelReplace(l) => first_leaf_is_literal(&l.inner),
        _ => false,
    }
}

fn metric_expr() -> impl Strategy<Value = MetricExpr> {
    let leaf = prop_oneof![
        4 => range_aggregation(),
        1 => prop_oneof![finite(), Just(f64::INFINITY), Just(f64::NEG_INFINITY)].prop_map(MetricExpr::Literal),
        1 => non_negative().prop_map(MetricExpr::Vector),
    ];
    leaf.prop_recursive(3, 10, 2, |inner| {
        use VectorOp::*;
        let vector_op = prop::sample::select(vec![
            Sum, Avg, Min, Max, Count, Stddev, Stdvar, Topk, Bottomk, Sort, SortDesc, ApproxTopk,
        ]);
        let binary_op = prop::sample::select(vec![
            BinaryOp::Or,
            BinaryOp::And,
            BinaryOp::Unless,
            BinaryOp::Eq,
            BinaryOp::Neq,
            BinaryOp::Gt,
            BinaryOp::Gte,
            BinaryOp::Lt,
            BinaryOp::Lte,
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Div,
            BinaryOp::Mod,
            BinaryOp::Pow,
        ]);
        prop_oneof![
            (
                vector_op,
                1i64..i64::MAX,
                prop::option::of(grouping()),
                inner.clone()
            )
                .prop_map(|(op, k, grouping, inner)| {
                    let grouping = match op {
                        ApproxTopk => None,
                        Sort | SortDesc => grouping.map(|g| Grouping {
                            labels: Vec::new(),
                            ..g
                        }),
                        _ => grouping,
                    };
                    MetricExpr::VectorAgg(VectorAggregation {
                        op,
                        param: matches!(op, Topk | Bottomk | ApproxTopk).then_some(k),
                        inner: Box::new(inner),
                        grouping,
                    })
                }),
            (binary_op, binary_modifier(), inner.clone(), inner.clone()).prop_filter_map(
                "literal legs",
                |(op, modifier, lhs, rhs)| {
                    let lit = |e: &MetricExpr| matches!(e, MetricExpr::Literal(_));
                    if (lit(&lhs) && lit(&rhs)) || (op.is_set_op() && (lit(&lhs) || lit(&rhs))) {
                        return None;
                    }
                    Some(MetricExpr::Binary(BinaryExpr {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        modifier,
                    }))
                }
            ),
            (inner, any_text(), any_text(), label_name(), pick(REGEXES)).prop_filter_map(
                "literal first leaf",
                |(inner, dst, replacement, src, re)| {
                    (!first_leaf_is_literal(&inner)).then(|| {
                        MetricExpr::LabelReplace(LabelReplace {
                            inner: Box::new(inner),
                            dst,
                            replacement,
                            src,
                            regex: validate::label_replace_regex(re).unwrap(),
                        })
                    })
                }
            ),
        ]
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    prop_oneof![
        log_expr().prop_map(Expr::Log),
        metric_expr().prop_map(Expr::Metric)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back(e in expr()) {
        let text = e.to_string();
        let back = parse_expr(&text).map_err(|err| TestCaseError::fail(format!("{text}\n{err}")))?;
        prop_assert_eq!(back, e, "{}", text);
    }
}

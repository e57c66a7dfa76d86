//! End-to-end tests of [`evaluate`]: the worked examples of logql.md §7 and
//! the data-free conformance cases (answers of Loki 3.7.6).

use std::time::{Duration, Instant};

use super::*;
use crate::logql::ast::{
    BinaryExpr, BinaryModifier, BinaryOp, CompiledRegex, LabelReplace, LineFilter, LineFilterOp,
    LineFilterOperand, LogExpr, LogRange, RangeAggregation, RangeOp, Stage, Unwrap,
    UnwrapConversion, VectorAggregation,
};
use crate::model::{MatchOp, Matcher};

const S: i64 = 1_000_000_000;

fn lbl(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

fn range_agg(op: RangeOp, sel: &[(&str, MatchOp, &str)], range_s: i64) -> RangeAggregation {
    RangeAggregation {
        op,
        param: None,
        range: LogRange {
            log: LogExpr {
                selector: sel
                    .iter()
                    .map(|(n, o, v)| Matcher::new(*n, *o, *v).unwrap())
                    .collect(),
                stages: vec![],
            },
            unwrap: None,
            range: range_s * S,
            offset: 0,
        },
        grouping: None,
    }
}

fn ra(op: RangeOp, sel: &[(&str, MatchOp, &str)], range_s: i64) -> MetricExpr {
    MetricExpr::RangeAgg(range_agg(op, sel, range_s))
}

fn unwrapped(mut r: RangeAggregation) -> MetricExpr {
    r.range.unwrap = Some(Unwrap {
        label: "v".into(),
        conversion: UnwrapConversion::Plain,
        post_filters: vec![],
    });
    MetricExpr::RangeAgg(r)
}

fn contains(mut e: MetricExpr, text: &str) -> MetricExpr {
    if let MetricExpr::RangeAgg(r) = &mut e {
        r.range.log.stages.push(Stage::LineFilter(LineFilter {
            op: LineFilterOp::Contains,
            operands: vec![LineFilterOperand::Text(text.into())],
        }));
    }
    e
}

fn vagg(op: VectorOp, by: Option<&[&str]>, inner: MetricExpr) -> MetricExpr {
    MetricExpr::VectorAgg(VectorAggregation {
        op,
        param: None,
        inner: Box::new(inner),
        grouping: by.map(|b| Grouping {
            without: false,
            labels: b.iter().map(|s| s.to_string()).collect(),
        }),
    })
}

fn topk(k: i64, inner: MetricExpr) -> MetricExpr {
    MetricExpr::VectorAgg(VectorAggregation {
        op: VectorOp::Topk,
        param: Some(k),
        inner: Box::new(inner),
        grouping: None,
    })
}

fn bin(op: BinaryOp, l: MetricExpr, r: MetricExpr) -> MetricExpr {
    MetricExpr::Binary(BinaryExpr {
        op,
        lhs: Box::new(l),
        rhs: Box::new(r),
        modifier: BinaryModifier::default(),
    })
}

fn bin_bool(op: BinaryOp, l: MetricExpr, r: MetricExpr) -> MetricExpr {
    MetricExpr::Binary(BinaryExpr {
        op,
        lhs: Box::new(l),
        rhs: Box::new(r),
        modifier: BinaryModifier {
            return_bool: true,
            matching: None,
        },
    })
}

fn lit(v: f64) -> MetricExpr {
    MetricExpr::Literal(v)
}

fn vector(v: f64) -> MetricExpr {
    MetricExpr::Vector(v)
}

fn empty() -> MemorySource {
    MemorySource::new(vec![])
}

/// The conformance range: 2026-01-12T00:00Z .. 04:00Z, step 300 s.
fn conf_range() -> EvalParams {
    EvalParams::range(1_768_176_000 * S, 1_768_190_400 * S, 300 * S)
}

/// The conformance instant time.
fn conf_instant() -> EvalParams {
    EvalParams::instant(1_768_185_000 * S)
}

/// `(labels, [(t_s, v)])` of a matrix.
fn matrix(v: QueryValue) -> Vec<(Labels, Vec<(f64, f64)>)> {
    match v {
        QueryValue::Matrix(m) => m
            .into_iter()
            .map(|s| {
                (
                    (*s.labels).clone(),
                    s.points
                        .iter()
                        .map(|p| (p.t_ms as f64 / 1000.0, p.v))
                        .collect(),
                )
            })
            .collect(),
        other => panic!("not a matrix: {other:?}"),
    }
}

/// `(labels, v)` of a vector, in result order.
fn vector_of(v: QueryValue) -> Vec<(Labels, f64)> {
    match v {
        QueryValue::Vector(s) => s.into_iter().map(|s| ((*s.labels).clone(), s.v)).collect(),
        other => panic!("not a vector: {other:?}"),
    }
}

#[test]
fn literal_queries_match_loki() {
    let src = empty();
    // Range: one {} series with the value at every step.
    for (expr, want) in [
        (lit(1.0), 1.0),
        (lit(3.125), 3.125),
        (lit(1e3), 1000.0),
        (
            bin(
                BinaryOp::Add,
                lit(1.0),
                bin(BinaryOp::Mul, lit(2.0), lit(3.0)),
            ),
            7.0,
        ),
        (
            bin(
                BinaryOp::Pow,
                lit(2.0),
                bin(BinaryOp::Pow, lit(3.0), lit(2.0)),
            ),
            512.0,
        ),
        (bin(BinaryOp::Mod, lit(10.0), lit(3.0)), 1.0),
        (bin(BinaryOp::Gt, lit(1.0), lit(2.0)), 0.0),
        (bin_bool(BinaryOp::Gt, lit(1.0), lit(2.0)), 0.0),
    ] {
        let m = matrix(evaluate(&expr, &conf_range(), &src).unwrap());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0, Labels::new());
        assert_eq!(m[0].1.len(), 49);
        assert_eq!(m[0].1[0], (1_768_176_000.0, want));
        assert_eq!(m[0].1[48], (1_768_190_400.0, want));
    }
    // Instant: a scalar at the query time.
    for (expr, want) in [
        (lit(-1.0), -1.0),
        (lit(1e3), 1000.0),
        (
            bin(
                BinaryOp::Mul,
                bin(BinaryOp::Add, lit(1.0), lit(2.0)),
                lit(3.0),
            ),
            9.0,
        ),
        (bin(BinaryOp::Mod, lit(10.0), lit(3.0)), 1.0),
        (bin_bool(BinaryOp::Gt, lit(1.0), lit(2.0)), 0.0),
    ] {
        assert_eq!(
            evaluate(&expr, &conf_instant(), &src).unwrap(),
            QueryValue::Scalar {
                t_ms: 1_768_185_000_000,
                v: want
            }
        );
    }
}

#[test]
fn vector_queries_match_loki() {
    let src = empty();
    assert_eq!(
        vector_of(evaluate(&vector(0.0), &conf_instant(), &src).unwrap()),
        vec![(Labels::new(), 0.0)]
    );
    for (expr, want) in [
        (vector(1.5), 1.5),
        (bin(BinaryOp::Add, vector(1.0), vector(2.0)), 3.0),
        (vagg(VectorOp::Sum, None, vector(1.0)), 1.0),
        (
            bin(
                BinaryOp::Or,
                vector(0.0),
                vagg(
                    VectorOp::Sum,
                    None,
                    ra(RangeOp::Rate, &[("app", MatchOp::Eq, "shop")], 300),
                ),
            ),
            0.0,
        ),
    ] {
        let m = matrix(evaluate(&expr, &conf_range(), &src).unwrap());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].1.len(), 49);
        assert!(m[0].1.iter().all(|p| p.1 == want));
    }
    // vector(3) > 2 keeps 3; vector(1) > 2 is empty; > bool gives 0.
    let gt = |v: f64| bin(BinaryOp::Gt, vector(v), lit(2.0));
    assert_eq!(
        vector_of(evaluate(&gt(3.0), &conf_instant(), &src).unwrap()),
        vec![(Labels::new(), 3.0)]
    );
    assert!(vector_of(evaluate(&gt(1.0), &conf_instant(), &src).unwrap()).is_empty());
    let gt_bool = bin_bool(BinaryOp::Gt, vector(1.0), lit(2.0));
    assert_eq!(
        vector_of(evaluate(&gt_bool, &conf_instant(), &src).unwrap()),
        vec![(Labels::new(), 0.0)]
    );
    assert_eq!(
        vector_of(
            evaluate(
                &bin(BinaryOp::Add, vector(1.0), vector(1.0)),
                &conf_instant(),
                &src
            )
            .unwrap()
        ),
        vec![(Labels::new(), 2.0)]
    );
    // label_replace(vector(1), "source", "static", "", "")
    let lr = MetricExpr::LabelReplace(LabelReplace {
        inner: Box::new(vector(1.0)),
        dst: "source".into(),
        replacement: "static".into(),
        src: "".into(),
        regex: CompiledRegex {
            source: "".into(),
            re: regex::Regex::new("^(?:)$").unwrap(),
        },
    });
    let m = matrix(evaluate(&lr, &conf_range(), &src).unwrap());
    assert_eq!(m[0].0, lbl(&[("source", "static")]));
    assert_eq!(m[0].1.len(), 49);
    // Aggregating nothing gives nothing; `or vector(0)` fills in.
    let nothing = vagg(
        VectorOp::Sum,
        None,
        ra(
            RangeOp::CountOverTime,
            &[("job", MatchOp::Eq, "nothing")],
            60,
        ),
    );
    assert!(vector_of(evaluate(&nothing, &conf_instant(), &src).unwrap()).is_empty());
    let filled = bin(BinaryOp::Or, nothing, vector(0.0));
    assert_eq!(
        vector_of(evaluate(&filled, &conf_instant(), &src).unwrap()),
        vec![(Labels::new(), 0.0)]
    );
}

fn fixture_a() -> MemorySource {
    let mk = |app: &str, ts: &[i64]| MemoryStream {
        labels: lbl(&[("app", app)]),
        entries: ts.iter().map(|t| MemoryEntry::line(t * S, "x")).collect(),
    };
    MemorySource::new(vec![mk("a", &[10, 20, 30, 60]), mk("b", &[15, 60])])
}

#[test]
fn fixture_a_through_evaluate() {
    let expr = ra(RangeOp::CountOverTime, &[("app", MatchOp::Re, ".+")], 30);
    let m = matrix(
        evaluate(
            &expr,
            &EvalParams::range(30 * S, 60 * S, 10 * S),
            &fixture_a(),
        )
        .unwrap(),
    );
    assert_eq!(
        m,
        vec![
            (
                lbl(&[("app", "a")]),
                vec![(30.0, 3.0), (40.0, 2.0), (50.0, 1.0), (60.0, 1.0)]
            ),
            (
                lbl(&[("app", "b")]),
                vec![(30.0, 1.0), (40.0, 1.0), (60.0, 1.0)]
            ),
        ]
    );
    let v = vector_of(evaluate(&expr, &EvalParams::instant(60 * S), &fixture_a()).unwrap());
    assert_eq!(
        v,
        vec![(lbl(&[("app", "a")]), 1.0), (lbl(&[("app", "b")]), 1.0)]
    );
}

/// Fixture C after `| json` (and any label filter): jellyfin 502/200/503/200
/// with Durations 1.5s/100ms/2s/oops at 10..40 s; sonarr 500 at 15 s and a
/// non-JSON line at 25 s.
fn traefik(filter_5xx: bool, duration: bool) -> MemorySource {
    fn base(svc: &str) -> Vec<(&'static str, &str)> {
        vec![("job", "traefik-access"), ("service", svc)]
    }
    let parsed = |svc: &str, status: &str, dur: &str| {
        let mut l = base(svc);
        l.push(("DownstreamStatus", status));
        if !duration {
            l.push(("Duration", dur));
        }
        lbl(&l)
    };
    let jelly = [
        (10, "502", "1.5s", 1.5),
        (20, "200", "100ms", 0.1),
        (30, "503", "2s", 2.0),
        (40, "200", "oops", f64::NAN),
    ];
    let mut j = Vec::new();
    for (t, status, dur, secs) in jelly {
        if filter_5xx && !status.starts_with('5') {
            continue;
        }
        let mut labels = parsed("jellyfin@docker", status, dur);
        let mut value = secs;
        if duration && secs.is_nan() {
            labels.insert("__error__", "SampleExtractionErr");
            value = 0.0;
        }
        j.push(MemoryEntry::sample(t * S, labels, value));
    }
    let mut s = vec![MemoryEntry::sample(
        15 * S,
        parsed("sonarr@docker", "500", "1s"),
        1.0,
    )];
    if !filter_5xx {
        // Not JSON: the parser error stays unless filtered (a numeric label
        // filter drops it: the label is missing).
        let mut l = lbl(&base("sonarr@docker"));
        l.insert("__error__", "JSONParserErr");
        l.insert(
            "__error_details__",
            "Value looks like object, but can't find closing '}' symbol",
        );
        s.push(MemoryEntry::sample(25 * S, l, 1.0));
    }
    MemorySource::new(vec![
        MemoryStream {
            labels: lbl(&base("jellyfin@docker")),
            entries: j,
        },
        MemoryStream {
            labels: lbl(&base("sonarr@docker")),
            entries: s,
        },
    ])
}

/// Fixture C with raw lines only (no pipeline).
fn traefik_raw() -> MemorySource {
    let base = |svc: &str| lbl(&[("job", "traefik-access"), ("service", svc)]);
    MemorySource::new(vec![
        MemoryStream {
            labels: base("jellyfin@docker"),
            entries: [10, 20, 30, 40]
                .iter()
                .map(|t| MemoryEntry::line(t * S, "{}"))
                .collect(),
        },
        MemoryStream {
            labels: base("sonarr@docker"),
            entries: [15, 25]
                .iter()
                .map(|t| MemoryEntry::line(t * S, "{}"))
                .collect(),
        },
    ])
}

#[test]
fn fixture_c_worked_examples() {
    let at60 = EvalParams::instant(60 * S);
    let job = [("job", MatchOp::Eq, "traefik-access")];
    let jelly = [
        ("job", MatchOp::Eq, "traefik-access"),
        ("service", MatchOp::Eq, "jellyfin@docker"),
    ];

    // rate(... | json | DownstreamStatus >= 500 [5m]): one series per label set.
    let v = vector_of(
        evaluate(
            &ra(RangeOp::Rate, &jelly, 300),
            &at60,
            &traefik(true, false),
        )
        .unwrap(),
    );
    assert_eq!(v.len(), 2);
    assert!(v.iter().all(|(_, x)| *x == 1.0 / 300.0));

    // sum by (service) (rate(... [1m])).
    let e = vagg(
        VectorOp::Sum,
        Some(&["service"]),
        ra(RangeOp::Rate, &job, 60),
    );
    let v = vector_of(evaluate(&e, &at60, &traefik(true, false)).unwrap());
    assert_eq!(
        v,
        vec![
            (lbl(&[("service", "jellyfin@docker")]), 2.0 / 60.0),
            (lbl(&[("service", "sonarr@docker")]), 1.0 / 60.0),
        ]
    );

    // sum by (service) (count_over_time(... | json [1m])): pipeline error.
    let e = vagg(
        VectorOp::Sum,
        Some(&["service"]),
        ra(RangeOp::CountOverTime, &job, 60),
    );
    let err = evaluate(&e, &at60, &traefik(false, false)).unwrap_err();
    assert!(
        matches!(&err, EvalError::Pipeline { error, .. } if error == "JSONParserErr"),
        "{err}"
    );
    assert!(err.to_string().starts_with(
        "pipeline error: 'JSONParserErr' for series: '{__error__=\"JSONParserErr\", "
    ));

    // sum_over_time(... | unwrap duration(Duration) [1m]): extraction error.
    let e = unwrapped(range_agg(RangeOp::SumOverTime, &jelly, 60));
    let err = evaluate(&e, &at60, &traefik(false, true)).unwrap_err();
    assert!(matches!(&err, EvalError::Pipeline { error, .. } if error == "SampleExtractionErr"));
    // Filtering to 5xx first drops the bad line: no error.
    assert!(evaluate(&e, &at60, &traefik(true, true)).is_ok());

    // sum(count_over_time({job="traefik-access"}[1m])) / 0 -> {} NaN.
    let e = bin(
        BinaryOp::Div,
        vagg(VectorOp::Sum, None, ra(RangeOp::CountOverTime, &job, 60)),
        lit(0.0),
    );
    let v = vector_of(evaluate(&e, &at60, &traefik_raw()).unwrap());
    assert_eq!(v.len(), 1);
    assert!(v[0].1.is_nan());

    // count_over_time(...) > 2 / > bool 2.
    let count = ra(RangeOp::CountOverTime, &job, 60);
    let v = vector_of(
        evaluate(
            &bin(BinaryOp::Gt, count.clone(), lit(2.0)),
            &at60,
            &traefik_raw(),
        )
        .unwrap(),
    );
    assert_eq!(
        v,
        vec![(
            lbl(&[("job", "traefik-access"), ("service", "jellyfin@docker")]),
            4.0
        )]
    );
    let v = vector_of(
        evaluate(
            &bin_bool(BinaryOp::Gt, count, lit(2.0)),
            &at60,
            &traefik_raw(),
        )
        .unwrap(),
    );
    assert_eq!(v.iter().map(|x| x.1).collect::<Vec<_>>(), vec![1.0, 0.0]);

    // absent_over_time with a regex matcher.
    let e = ra(
        RangeOp::AbsentOverTime,
        &[
            ("job", MatchOp::Eq, "traefik-access"),
            ("service", MatchOp::Eq, "nope"),
            ("env", MatchOp::Re, "p.*"),
        ],
        60,
    );
    let v = vector_of(evaluate(&e, &at60, &traefik_raw()).unwrap());
    assert_eq!(
        v,
        vec![(lbl(&[("job", "traefik-access"), ("service", "nope")]), 1.0)]
    );
    let present = ra(RangeOp::AbsentOverTime, &job, 60);
    assert!(vector_of(evaluate(&present, &at60, &traefik_raw()).unwrap()).is_empty());
}

#[test]
fn fixture_c_unwrap_with_error_filter() {
    // `| unwrap duration(Duration) | __error__=""`: the bad line is gone;
    // each remaining label set (Duration removed) keeps its own series.
    let src = MemorySource::new(
        [
            (
                "jellyfin@docker",
                vec![(10, "502", 1.5), (20, "200", 0.1), (30, "503", 2.0)],
            ),
            ("sonarr@docker", vec![(15, "500", 1.0)]),
        ]
        .into_iter()
        .map(|(svc, rows)| MemoryStream {
            labels: lbl(&[("job", "traefik-access"), ("service", svc)]),
            entries: rows
                .into_iter()
                .map(|(t, status, v)| {
                    MemoryEntry::sample(
                        t * S,
                        lbl(&[
                            ("DownstreamStatus", status),
                            ("job", "traefik-access"),
                            ("service", svc),
                        ]),
                        v,
                    )
                })
                .collect(),
        })
        .collect(),
    );
    let e = unwrapped(range_agg(
        RangeOp::SumOverTime,
        &[("job", MatchOp::Eq, "traefik-access")],
        60,
    ));
    let v = vector_of(evaluate(&e, &EvalParams::instant(60 * S), &src).unwrap());
    let mut vals: Vec<f64> = v.iter().map(|x| x.1).collect();
    vals.sort_by(f64::total_cmp);
    assert_eq!(vals, vec![0.1, 1.0, 1.5, 2.0]);
}

/// Three dynos of app shop plus an "at=error" router line every 20 s.
fn shop() -> MemorySource {
    let mut streams = Vec::new();
    for (i, dyno) in ["router", "web.1", "web.2"].iter().enumerate() {
        let entries = (0..600)
            .filter(|t| t % (i as i64 + 2) == 0)
            .map(|t| {
                let line = if *dyno == "router" && t % 20 == 0 {
                    "at=error code=H12"
                } else {
                    "at=info"
                };
                MemoryEntry::line(t * S, line)
            })
            .collect();
        streams.push(MemoryStream {
            labels: lbl(&[("app", "shop"), ("dyno", dyno)]),
            entries,
        });
    }
    MemorySource::new(streams)
}

#[test]
fn sum_injection_matches_plain_aggregation() {
    let shop_sel = [("app", MatchOp::Eq, "shop")];
    let params = EvalParams::range(100 * S, 600 * S, 30 * S);
    for op in [
        RangeOp::CountOverTime,
        RangeOp::Rate,
        RangeOp::BytesOverTime,
        RangeOp::BytesRate,
    ] {
        let injected = vagg(VectorOp::Sum, Some(&["app"]), ra(op, &shop_sel, 90));
        // `sum(x) + 0` hides the range aggregation from the injection.
        let plain = vagg(
            VectorOp::Sum,
            Some(&["app"]),
            bin(BinaryOp::Add, ra(op, &shop_sel, 90), lit(0.0)),
        );
        let a = matrix(evaluate(&injected, &params, &shop()).unwrap());
        let b = matrix(evaluate(&plain, &params, &shop()).unwrap());
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].1.len(), b[0].1.len());
        for (x, y) in a[0].1.iter().zip(&b[0].1) {
            assert_eq!(x.0, y.0);
            assert!((x.1 - y.1).abs() < 1e-9, "{op:?}");
        }
    }
}

#[test]
fn ratio_of_sums_and_matching() {
    let shop_sel = [("app", MatchOp::Eq, "shop")];
    let errors = vagg(
        VectorOp::Sum,
        Some(&["dyno"]),
        contains(ra(RangeOp::Rate, &shop_sel, 60), "at=error"),
    );
    let all = vagg(
        VectorOp::Sum,
        Some(&["dyno"]),
        ra(RangeOp::Rate, &shop_sel, 60),
    );
    let v = vector_of(
        evaluate(
            &bin(BinaryOp::Div, errors.clone(), all.clone()),
            &EvalParams::instant(300 * S),
            &shop(),
        )
        .unwrap(),
    );
    // router: lines every 2 s in (240, 300] = 30, errors every 20 s = 3.
    assert_eq!(v, vec![(lbl(&[("dyno", "router")]), 0.1)]);
    // `and`: dynos with errors; `unless`: the others.
    let v = vector_of(
        evaluate(
            &bin(BinaryOp::And, all.clone(), errors.clone()),
            &EvalParams::instant(300 * S),
            &shop(),
        )
        .unwrap(),
    );
    assert_eq!(v.len(), 1);
    let v = vector_of(
        evaluate(
            &bin(BinaryOp::Unless, all, errors),
            &EvalParams::instant(300 * S),
            &shop(),
        )
        .unwrap(),
    );
    assert_eq!(
        v.iter()
            .map(|x| x.0.get("dyno").unwrap())
            .collect::<Vec<_>>(),
        vec!["web.1", "web.2"]
    );
}

#[test]
fn series_limit_applies_to_the_result_only() {
    let shop_sel = [("app", MatchOp::Eq, "shop")];
    let mut p = EvalParams::instant(300 * S);
    p.max_series = 2;
    let bare = ra(RangeOp::CountOverTime, &shop_sel, 60);
    assert_eq!(evaluate(&bare, &p, &shop()), Err(EvalError::SeriesLimit(2)));
    let summed = vagg(VectorOp::Sum, None, bare.clone());
    assert_eq!(vector_of(evaluate(&summed, &p, &shop()).unwrap()).len(), 1);
    let top = topk(2, bare);
    assert_eq!(vector_of(evaluate(&top, &p, &shop()).unwrap()).len(), 2);
    let mut r = EvalParams::range(60 * S, 600 * S, 60 * S);
    r.max_series = 2;
    assert_eq!(
        evaluate(&ra(RangeOp::CountOverTime, &shop_sel, 60), &r, &shop()),
        Err(EvalError::SeriesLimit(2))
    );
}

#[test]
fn instant_order_is_by_labels_unless_sorted() {
    let shop_sel = [("app", MatchOp::Eq, "shop")];
    let by_dyno = vagg(
        VectorOp::Sum,
        Some(&["dyno"]),
        ra(RangeOp::CountOverTime, &shop_sel, 60),
    );
    let names = |e: &MetricExpr| {
        vector_of(evaluate(e, &EvalParams::instant(300 * S), &shop()).unwrap())
            .into_iter()
            .map(|x| x.0.get("dyno").unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // Counts: router 30, web.1 20, web.2 15.
    assert_eq!(names(&by_dyno), vec!["router", "web.1", "web.2"]);
    let asc = vagg(VectorOp::Sort, None, by_dyno.clone());
    assert_eq!(names(&asc), vec!["web.2", "web.1", "router"]);
    let desc_plus = bin(
        BinaryOp::Mul,
        vagg(VectorOp::SortDesc, None, by_dyno.clone()),
        lit(2.0),
    );
    assert_eq!(names(&desc_plus), vec!["router", "web.1", "web.2"]);
    assert!(keeps_value_order(&desc_plus));
    // Range results are sorted by labels anyway.
    let m = matrix(evaluate(&asc, &EvalParams::range(120 * S, 300 * S, 60 * S), &shop()).unwrap());
    assert_eq!(m[0].0, lbl(&[("dyno", "router")]));
}

#[test]
fn deadline_in_the_past_times_out() {
    let mut p = EvalParams::range(60 * S, 600 * S, 60 * S);
    p.deadline = Some(Instant::now() - Duration::from_secs(1));
    let e = ra(RangeOp::CountOverTime, &[("app", MatchOp::Eq, "shop")], 60);
    assert_eq!(evaluate(&e, &p, &shop()), Err(EvalError::Timeout));
}

#[test]
fn range_parameters_are_validated() {
    let e = vector(1.0);
    assert_eq!(
        evaluate(&e, &EvalParams::range(0, 10 * S, 0), &empty()),
        Err(EvalError::NonPositiveStep)
    );
    assert_eq!(
        evaluate(&e, &EvalParams::range(0, 11_001, 1), &empty()),
        Err(EvalError::TooManyPoints)
    );
}

//! Fuzzes the LogQL parser: no input may panic, hang or exhaust memory, and
//! every accepted query must print to text that parses to the same text
//! again (the printer's canonical form is a fixed point).

#![no_main]

use kindling::logql::parse_expr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expr) = parse_expr(query) else {
        return;
    };
    let printed = expr.to_string();
    let reparsed = match parse_expr(&printed) {
        Ok(e) => e,
        Err(e) => panic!("printed query does not parse: {query:?} -> {printed:?}: {e}"),
    };
    assert_eq!(reparsed.to_string(), printed, "printing is not stable for {query:?}");
    // NaN literals are not equal to themselves; elsewhere the trees must be.
    if !printed.contains("(0 / 0)") {
        assert!(reparsed == expr, "tree changed through printing: {query:?} -> {printed:?}");
    }
});

//! End-to-end template tests (parse + render), expected outputs from Go /
//! sprig / Loki semantics.

use super::*;

#[test]
fn smoke() {
    let t = Template::parse("x").expect("parse");
    assert_eq!(t.source(), "x");
}

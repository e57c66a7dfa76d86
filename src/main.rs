//! The `kindling` binary.

fn main() {}

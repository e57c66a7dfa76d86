fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    for l in text.lines() {
        if l.trim().is_empty() || l.starts_with("# ") { continue; }
        match kindling::logql::parse_expr(l) {
            Ok(e) => println!("OK   {l}\n     => {e}"),
            Err(e) => println!("ERR  {l}\n     => {e}"),
        }
    }
}

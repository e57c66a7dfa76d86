//! `Content-Type` parsing with Go's `mime.ParseMediaType` rules: the type is
//! lower-cased, parameters are checked but ignored, and the same error texts
//! come back (`mime: no media type`, ...).

/// Go's `tspecials` plus control characters and space end a token.
fn is_token_char(c: char) -> bool {
    c.is_ascii()
        && !c.is_ascii_control()
        && c != ' '
        && !matches!(
            c,
            '(' | ')'
                | '<'
                | '>'
                | '@'
                | ','
                | ';'
                | ':'
                | '\\'
                | '"'
                | '/'
                | '['
                | ']'
                | '?'
                | '='
        )
}

fn consume_token(v: &str) -> (&str, &str) {
    let end = v.find(|c: char| !is_token_char(c)).unwrap_or(v.len());
    (&v[..end], &v[end..])
}

/// A parameter value: a token or a quoted string. Returns the value (empty
/// when there is none) and the rest.
fn consume_value(v: &str) -> (String, &str) {
    let Some(body) = v.strip_prefix('"') else {
        let (tok, rest) = consume_token(v);
        return (tok.to_string(), rest);
    };
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &body[i + 1..]),
            '\\' => match chars.next() {
                Some((_, e)) => out.push(e),
                None => return (String::new(), v),
            },
            '\r' | '\n' => return (String::new(), v),
            c => out.push(c),
        }
    }
    (String::new(), v)
}

/// The media type in lower case, or Go's error text.
pub fn parse_media_type(v: &str) -> Result<String, String> {
    let base = v.split(';').next().unwrap_or("");
    let media = base.trim().to_lowercase();
    let (typ, rest) = consume_token(&media);
    if typ.is_empty() {
        return Err("mime: no media type".into());
    }
    if !rest.is_empty() {
        let Some(after) = rest.strip_prefix('/') else {
            return Err("mime: expected slash after first token".into());
        };
        let (sub, rest) = consume_token(after);
        if sub.is_empty() {
            return Err("mime: expected token after slash".into());
        }
        if !rest.is_empty() {
            return Err("mime: unexpected content after media subtype".into());
        }
    }
    let mut params = &v[base.len()..];
    let mut seen: Vec<String> = Vec::new();
    loop {
        params = params.trim_start();
        if params.is_empty() {
            break;
        }
        let invalid = || "mime: invalid media parameter".to_string();
        let Some(p) = params.strip_prefix(';') else {
            return Err(invalid());
        };
        let p = p.trim_start();
        let (key, rest) = consume_token(p);
        if key.is_empty() {
            if params.trim() == ";" {
                break;
            }
            return Err(invalid());
        }
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            return Err(invalid());
        };
        let rest = rest.trim_start();
        let (value, after) = consume_value(rest);
        if value.is_empty() && after.len() == rest.len() {
            return Err(invalid());
        }
        let key = key.to_lowercase();
        if seen.contains(&key) {
            return Err("mime: duplicate parameter name".into());
        }
        seen.push(key);
        params = after;
    }
    Ok(media)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_like_go() {
        let table: &[(&str, Result<&str, &str>)] = &[
            ("application/json", Ok("application/json")),
            ("Application/JSON; charset=utf-8", Ok("application/json")),
            ("application/json;charset=\"utf-8\"", Ok("application/json")),
            ("application/json;", Ok("application/json")),
            ("application/x-protobuf", Ok("application/x-protobuf")),
            ("protobuf", Ok("protobuf")),
            ("", Err("mime: no media type")),
            ("   ", Err("mime: no media type")),
            ("application/", Err("mime: expected token after slash")),
            (
                "application json",
                Err("mime: expected slash after first token"),
            ),
            ("a/b/c", Err("mime: unexpected content after media subtype")),
            (
                "application/json; charset",
                Err("mime: invalid media parameter"),
            ),
            (
                "application/json; a=1; a=2",
                Err("mime: duplicate parameter name"),
            ),
        ];
        for (input, want) in table {
            let got = parse_media_type(input);
            assert_eq!(
                got.as_deref(),
                want.map_err(|e| e.to_string()).as_deref(),
                "{input}"
            );
        }
    }
}

//! Free-form JSON objects (`data`, `agent_config`) kept exactly as the client wrote them.

/// Largest compact size of a free-form object, in bytes.
pub const MAX_OBJECT_BYTES: usize = 16_384;
/// Deepest nesting of a free-form object (the object itself is level 1).
pub const MAX_OBJECT_DEPTH: usize = 32;

/// Removes the white space between the tokens of a valid JSON text, keeping key order and the
/// text of numbers and strings as sent. Returns the compact text and its nesting depth.
pub fn compact(valid_json: &str) -> (String, usize) {
    let mut out = String::with_capacity(valid_json.len());
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for c in valid_json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            ' ' | '\t' | '\n' | '\r' => continue,
            '"' => in_string = true,
            '{' | '[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push(c);
    }
    (out, deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_number_text() {
        let (text, depth) =
            compact("{ \"b\" : 1.50 ,\n \"a\": [ {\"x y\": \"p \\\" q\"} ], \"n\": 1e3 }");
        assert_eq!(text, r#"{"b":1.50,"a":[{"x y":"p \" q"}],"n":1e3}"#);
        assert_eq!(depth, 3);
        assert_eq!(compact("{}"), ("{}".to_string(), 1));
    }
}

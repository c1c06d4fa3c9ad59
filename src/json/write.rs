//! Writing JSON: pretty (what refine prints) and compact (a document inside
//! a string, an account report record).
//!
//! The layout is serde_json's, byte for byte — two-space indent, `": "`
//! between key and value, `[]` and `{}` for empty containers, the same
//! string escapes — so that output is what every JSON tool expects; but a
//! number is written as it was read, so `1E+2` in a Condition stays
//! `1E+2`. Containers are written with an explicit stack: no depth can
//! exhaust the call stack.

use super::value::{Kind, Member, Value};

/// Pretty JSON with a 2-space indent and a final newline: the canonical
/// form `refine` prints and diffs.
pub fn pretty(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out, true);
    out.push('\n');
    out
}

/// Compact JSON, without any whitespace between tokens.
pub fn compact(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out, false);
    out
}

/// What is left to write of an open container.
enum Frame<'a> {
    Array(std::slice::Iter<'a, Value>, bool),
    Object(std::slice::Iter<'a, Member>, bool),
}

/// Writes `value` to `out`, pretty or compact.
fn write(value: &Value, out: &mut String, pretty: bool) {
    let mut stack: Vec<Frame> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(value) = next.take() {
            match &value.kind {
                Kind::Array(items) if !items.is_empty() => {
                    out.push('[');
                    stack.push(Frame::Array(items.iter(), true));
                }
                Kind::Object(members) if !members.is_empty() => {
                    out.push('{');
                    stack.push(Frame::Object(members.iter(), true));
                }
                kind => scalar(kind, out),
            }
        }
        let depth = stack.len();
        let Some(frame) = stack.last_mut() else {
            return;
        };
        let (child, first) = match frame {
            Frame::Array(items, first) => (items.next().map(|v| (None, v)), first),
            Frame::Object(members, first) => (
                members.next().map(|m| (Some(m.key.as_str()), &m.value)),
                first,
            ),
        };
        match child {
            Some((key, value)) => {
                if !*first {
                    out.push(',');
                }
                *first = false;
                if pretty {
                    newline(out, depth);
                }
                if let Some(key) = key {
                    string(key, out);
                    out.push_str(if pretty { ": " } else { ":" });
                }
                next = Some(value);
            }
            None => {
                let close = match frame {
                    Frame::Array(..) => ']',
                    Frame::Object(..) => '}',
                };
                stack.pop();
                if pretty {
                    newline(out, depth - 1);
                }
                out.push(close);
            }
        }
    }
}

/// A line break and `depth` levels of indentation.
fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A scalar, or an empty container.
fn scalar(kind: &Kind, out: &mut String) {
    match kind {
        Kind::Null => out.push_str("null"),
        Kind::Bool(true) => out.push_str("true"),
        Kind::Bool(false) => out.push_str("false"),
        Kind::Number(text) => out.push_str(text),
        Kind::String(text) => string(text, out),
        Kind::Array(_) => out.push_str("[]"),
        Kind::Object(_) => out.push_str("{}"),
    }
}

/// `text` as a JSON string, escaped as serde_json escapes it: `"`, `\`,
/// and the control characters below U+0020 (the usual ones by their short
/// escapes).
pub fn string(text: &str, out: &mut String) {
    out.push('"');
    let mut run = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[run..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escape);
        }
        run = i + 1;
    }
    out.push_str(&text[run..]);
    out.push('"');
}

/// `text` as a JSON string.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    string(text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::read::parse;

    /// The layout is serde_json's, for every shape of value.
    #[test]
    fn the_layout_is_serde_jsons() {
        let texts = [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":{},"Condition":{"a":{"b":[1,true,null,"x"]}}}]}"#,
            r#"[[],[[]],{"a":[]},"\u0001\"\\\/\b\f\n\r\t é 🎉 \u007f"]"#,
            r#""lone""#,
            "[1.5e3,-0,2E+2]",
        ];
        for text in texts {
            let ours = parse(text).unwrap();
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            let spelled = serde_json::to_string_pretty(&theirs).unwrap() + "\n";
            if text.contains("E+2") {
                assert_eq!(pretty(&ours), "[\n  1.5e3,\n  -0,\n  2E+2\n]\n");
                continue;
            }
            assert_eq!(pretty(&ours), spelled, "{text}");
            assert_eq!(compact(&ours), serde_json::to_string(&theirs).unwrap());
        }
    }

    /// Numbers keep the spelling they were read with.
    #[test]
    fn numbers_are_written_as_read() {
        let value =
            parse("{\"n\": [1e2, 1E+2, 1.50, -0, 1e02, 100000000000000000000000000001]}").unwrap();
        assert_eq!(
            compact(&value),
            "{\"n\":[1e2,1E+2,1.50,-0,1e02,100000000000000000000000000001]}"
        );
    }

    #[test]
    fn deep_nesting_is_written_without_recursion() {
        let depth = crate::json::read::MAX_DEPTH;
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(compact(&parse(&text).unwrap()), text);
    }
}

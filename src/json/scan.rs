//! A duplicate-key scan for the inputs too large for a tree.
//!
//! [`super::read()`] refuses a repeated key while it builds the tree. The
//! account reader streams `get-account-authorization-details` output into
//! typed records instead, which keep the last of two equal keys; this scan
//! gives it the same refusal, without a tree.

use super::line_column;
use crate::error::{quote, InputError, Location};
use std::collections::HashSet;

/// Refuses a repeated key in any one object of `text`, which must be valid
/// JSON, at the place of the second one. For inputs read into typed
/// structures rather than by [`super::read()`].
pub fn check_duplicate_keys(text: &str) -> Result<(), InputError> {
    match duplicate_key(text) {
        None => Ok(()),
        Some((at, key)) => {
            let (line, column) = line_column(text, at);
            Err(InputError {
                location: Location::LineColumn(line, column),
                message: format!("duplicate key {} in one object: IAM rejects this, and which value counts would be a guess", quote(&key)),
                hint: Some("remove one of the two".to_string()),
            })
        }
    }
}

/// One open object or array while scanning.
struct Frame {
    /// The keys seen so far (`None` for an array).
    keys: Option<HashSet<String>>,
    /// In an object: the next string is a key.
    expect_key: bool,
}

/// The byte offset and text of the first key that repeats within one
/// object. `text` must be valid JSON (it is scanned, not checked); the scan
/// keeps its own stack, so deep nesting cannot overflow the call stack.
fn duplicate_key(text: &str) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        match bytes[pos] {
            b'"' => {
                let end = string_end(bytes, pos);
                if let Some(frame) = stack.last_mut() {
                    if let (Some(keys), true) = (frame.keys.as_mut(), frame.expect_key) {
                        let raw = &text[pos..end];
                        let key = if raw.contains('\\') {
                            serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_string())
                        } else {
                            raw[1..raw.len() - 1].to_string()
                        };
                        if !keys.insert(key.clone()) {
                            return Some((pos, key));
                        }
                        frame.expect_key = false;
                    }
                }
                pos = end;
                continue;
            }
            b'{' => stack.push(Frame {
                keys: Some(HashSet::new()),
                expect_key: true,
            }),
            b'[' => stack.push(Frame {
                keys: None,
                expect_key: false,
            }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(frame) = stack.last_mut() {
                    frame.expect_key = frame.keys.is_some();
                }
            }
            _ => {}
        }
        pos += 1;
    }
    None
}

/// The offset just past the string that starts (with `"`) at `pos`.
fn string_end(bytes: &[u8], mut pos: usize) -> usize {
    pos += 1;
    while pos < bytes.len() {
        match bytes[pos] {
            b'"' => return pos + 1,
            b'\\' => pos += 2,
            _ => pos += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_refused_where_the_second_one_is() {
        let text = "{\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\",\n    \"Action\": \"s3:*\"}]\n}";
        let err = check_duplicate_keys(text).unwrap_err();
        assert_eq!(err.location, Location::LineColumn(3, 5));
        assert!(err
            .message
            .starts_with("duplicate key \"Action\" in one object"));
    }

    #[test]
    fn the_same_key_in_different_objects_is_fine() {
        let text = r#"{"a": {"k": 1}, "b": {"k": [{"k": 2}, {"k": "\"k\""}]}, "k": "a,b"}"#;
        assert!(check_duplicate_keys(text).is_ok());
        assert_eq!(
            duplicate_key(r#"{"a\u0062": 1, "ab": 2}"#),
            Some((15, "ab".to_string()))
        );
    }
}

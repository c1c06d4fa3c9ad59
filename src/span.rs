//! Finding where a value is in JSON text.
//!
//! Errors and reports name values by [`JsonPath`]; people fix files by line
//! and column. [`locate`] walks the text along a path without building a
//! tree: it skips the values it does not descend into by counting brackets,
//! so it needs no recursion however deeply the input nests, and it runs only
//! when there is something to report.
//!
//! Lines and columns are 1-based; columns count characters (not bytes), and
//! a `\r\n` line end counts as one line end.

use crate::error::{JsonPath, Segment};

/// The 1-based line and column where the value at `path` starts (its first
/// character, e.g. the opening quote of a string), or where the deepest
/// existing part of the path starts when the rest does not exist. `None`
/// when the text is not JSON enough to walk.
pub fn locate(text: &str, path: &JsonPath) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, skip_bom(bytes));
    for segment in &path.0 {
        match (segment, bytes.get(pos)) {
            (Segment::Key(key), Some(b'{')) => match find_member(text, pos, key) {
                Some(value) => pos = value,
                None => break,
            },
            (Segment::Index(index), Some(b'[')) => match find_element(bytes, pos, *index) {
                Some(value) => pos = value,
                None => break,
            },
            _ => break,
        }
    }
    (pos < bytes.len()).then(|| line_column(text, pos))
}

/// The line and column of byte offset `pos`.
pub fn line_column(text: &str, pos: usize) -> (usize, usize) {
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn skip_bom(bytes: &[u8]) -> usize {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes
        .get(pos)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        pos += 1;
    }
    pos
}

/// The offset just past the string that starts (with `"`) at `pos`.
fn skip_string(bytes: &[u8], mut pos: usize) -> Option<usize> {
    pos += 1;
    loop {
        match bytes.get(pos)? {
            b'"' => return Some(pos + 1),
            b'\\' => pos += 2,
            _ => pos += 1,
        }
    }
}

/// The offset just past the value that starts at `pos`.
fn skip_value(bytes: &[u8], mut pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'"' => skip_string(bytes, pos),
        b'{' | b'[' => {
            let mut depth = 0usize;
            loop {
                match bytes.get(pos)? {
                    b'"' => {
                        pos = skip_string(bytes, pos)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(pos + 1);
                        }
                    }
                    _ => {}
                }
                pos += 1;
            }
        }
        _ => {
            // A number, true, false or null: up to the next delimiter.
            while !matches!(
                bytes.get(pos),
                None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            ) {
                pos += 1;
            }
            Some(pos)
        }
    }
}

/// The offset of the value of member `key` in the object at `pos`.
fn find_member(text: &str, pos: usize, key: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, pos + 1);
    while bytes.get(pos) == Some(&b'"') {
        let end = skip_string(bytes, pos)?;
        let name: String = serde_json::from_str(&text[pos..end]).ok()?;
        pos = skip_ws(bytes, end);
        if bytes.get(pos) != Some(&b':') {
            return None;
        }
        pos = skip_ws(bytes, pos + 1);
        if name == key {
            return Some(pos);
        }
        pos = skip_ws(bytes, skip_value(bytes, pos)?);
        if bytes.get(pos) != Some(&b',') {
            return None;
        }
        pos = skip_ws(bytes, pos + 1);
    }
    None
}

/// The offset of element `index` of the array at `pos`.
fn find_element(bytes: &[u8], pos: usize, index: usize) -> Option<usize> {
    let mut pos = skip_ws(bytes, pos + 1);
    for _ in 0..index {
        if bytes.get(pos) == Some(&b']') {
            return None;
        }
        pos = skip_ws(bytes, skip_value(bytes, pos)?);
        if bytes.get(pos) != Some(&b',') {
            return None;
        }
        pos = skip_ws(bytes, pos + 1);
    }
    (bytes.get(pos) != Some(&b']')).then_some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(segments: &[Segment]) -> JsonPath {
        JsonPath(segments.to_vec())
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_string())
    }

    #[test]
    fn locates_values_in_pretty_minified_and_crlf_text() {
        let pretty = "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\"},\n    {\"Effect\": \"allow\"}\n  ]\n}";
        let target = path(&[key("Statement"), Segment::Index(1), key("Effect")]);
        assert_eq!(locate(pretty, &target), Some((4, 16)));
        let minified = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["a:b",{"x":[1,2]}]},{"Effect":"allow"}]}"#;
        assert_eq!(locate(minified, &target), Some((1, 96)));
        let crlf = pretty.replace('\n', "\r\n");
        assert_eq!(locate(&crlf, &target), Some((4, 16)));
    }

    #[test]
    fn a_missing_path_points_at_its_deepest_existing_part() {
        let text = "{\"Statement\": [1, 2]}";
        let target = path(&[key("Statement"), Segment::Index(5)]);
        assert_eq!(locate(text, &target), Some((1, 15)));
        assert_eq!(locate("\u{feff}{}", &path(&[key("a")])), Some((1, 2)));
    }

    #[test]
    fn skips_strings_with_escapes_and_nested_values() {
        let text = r#"{"a": "x\"]}", "b": {"c": [true, null, -1.5e3]}, "d": 7}"#;
        assert_eq!(locate(text, &path(&[key("d")])), Some((1, 55)));
        assert_eq!(
            locate(text, &path(&[key("b"), key("c"), Segment::Index(2)])),
            Some((1, 40))
        );
    }
}

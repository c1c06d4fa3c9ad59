//! JSON: the one reader every input goes through, the tree it builds, the
//! printers, and lines and columns.
//!
//! * [`read()`] parses text strictly into a [`Value`] tree that knows where
//!   every value is ([`value`]); nothing else in refine parses JSON input
//!   (the account and CloudTrail readers, which stream files too large for
//!   a tree, are the exception, and they refuse what this one refuses);
//! * [`mod@write`] prints a tree pretty or compact, numbers as they were read;
//! * [`line_column`] and [`LineIndex`] turn byte offsets into the line and
//!   column people fix files by.
//!
//! # Lines and columns
//!
//! Lines and columns are 1-based. A line ends at `\n`, so a `\r\n` line end
//! counts as one. Columns count characters (Unicode scalar values), not
//! bytes: a tab is one column, and so is `é`. A leading byte-order mark is
//! not a column: the first `{` after it is at column 1.

pub mod canon;
pub mod read;
pub mod scan;
pub mod value;
pub mod write;

pub use read::{read, MAX_DEPTH};
pub use value::{Kind, Member, Span, Value};

use crate::error::JsonPath;

/// The 1-based line and column where the value at `path` starts (its first
/// character, e.g. the opening quote of a string), or where the deepest
/// existing part of the path starts when the rest does not exist, so that a
/// report about a missing member points at the object that lacks it.
/// `None` when the text is not JSON.
pub fn locate(text: &str, path: &JsonPath) -> Option<(usize, usize)> {
    let root = read::parse(text).ok()?;
    Some(line_column(text, root.deepest(path).span.start))
}

/// The line and column of byte offset `pos` in `text` (see the module
/// documentation for the convention). An offset past the end counts as the
/// end, and one inside a character as that character.
pub fn line_column(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    // A byte-order mark is not a column: editors do not show it, and the
    // parser's own positions (serde_json's) are counted after it.
    let line_start = match before.rfind('\n') {
        Some(i) => i + 1,
        None if before.starts_with('\u{feff}') => '\u{feff}'.len_utf8(),
        None => 0,
    };
    (line, before[line_start..].chars().count() + 1)
}

/// Line starts of a text, for many [`line_column`] questions about it:
/// each is then a binary search and, on a line of ASCII text, a
/// subtraction, instead of a scan from the start of the text (which, asked
/// for every entry of a large file, would be quadratic).
pub struct Lines<'t> {
    text: &'t str,
    index: LineIndex,
}

impl<'t> Lines<'t> {
    /// Indexes `text`.
    pub fn new(text: &'t str) -> Lines<'t> {
        Lines {
            text,
            index: LineIndex::new(text),
        }
    }

    /// The same as [`line_column`] for this text.
    pub fn line_column(&self, pos: usize) -> (usize, usize) {
        self.index.line_column(self.text, pos)
    }
}

/// [`Lines`] without the text, for a holder that owns the text itself
/// (the CLI's inputs, which locate every warning in them).
pub struct LineIndex {
    /// The byte offset where each line starts.
    starts: Vec<usize>,
    /// Whether each line is all ASCII (so columns are byte distances).
    ascii: Vec<bool>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        let mut ascii = vec![true];
        for (i, byte) in text.bytes().enumerate() {
            if byte == b'\n' {
                starts.push(i + 1);
                ascii.push(true);
            } else if !byte.is_ascii() {
                if let Some(last) = ascii.last_mut() {
                    *last = false;
                }
            }
        }
        LineIndex { starts, ascii }
    }

    /// The same as [`line_column`] for `text`, which must be the text this
    /// index was made from.
    pub fn line_column(&self, text: &str, pos: usize) -> (usize, usize) {
        let mut pos = pos.min(text.len());
        while !text.is_char_boundary(pos) {
            pos -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= pos) - 1;
        let mut start = self.starts[line];
        if line == 0 && text.starts_with('\u{feff}') && pos >= 3 {
            start = 3;
        }
        let column = if self.ascii[line] {
            pos - start
        } else {
            text[start..pos].chars().count()
        };
        (line + 1, column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Segment;

    fn path(segments: &[Segment]) -> JsonPath {
        JsonPath(segments.to_vec())
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_string())
    }

    /// The text of the value at `p`.
    fn at<'a>(text: &'a str, p: &JsonPath) -> &'a str {
        let root = read::parse(text).expect("valid JSON");
        let value = root.at(p).expect("path exists");
        &text[value.span.start..value.span.end]
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
        assert_eq!(at(&crlf, &target), "\"allow\"");
    }

    #[test]
    fn tabs_and_wide_characters_are_one_column_each() {
        let text = "{\n\t\"Sid\": \"été\",\n\t\"Action\":\t[\"s3:GetObject\"]\n}\n";
        assert_eq!(
            locate(text, &path(&[key("Action"), Segment::Index(0)])),
            Some((3, 13))
        );
        assert_eq!(locate(text, &path(&[key("Sid")])), Some((2, 9)));
        let root = read::parse(text).unwrap();
        let action = root.member("Action").unwrap();
        assert_eq!(line_column(text, action.key_span.start), (3, 2));
    }

    #[test]
    fn a_missing_path_points_at_its_deepest_existing_part() {
        let text = "{\"Statement\": [1, 2]}";
        let target = path(&[key("Statement"), Segment::Index(5)]);
        assert_eq!(locate(text, &target), Some((1, 15)));
        assert_eq!(
            locate(text, &path(&[key("Statement"), key("x")])),
            Some((1, 15))
        );
        assert_eq!(locate("\u{feff}{}", &path(&[key("a")])), Some((1, 1)));
        assert_eq!(locate("{", &path(&[key("a")])), None);
    }

    #[test]
    fn strings_with_escapes_and_nested_values_have_exact_spans() {
        let text = r#"{"a": "x\"]}", "b": {"c": [true, null, -1.5e3]}, "d": 7}"#;
        assert_eq!(locate(text, &path(&[key("d")])), Some((1, 55)));
        assert_eq!(
            locate(text, &path(&[key("b"), key("c"), Segment::Index(2)])),
            Some((1, 40))
        );
        assert_eq!(at(text, &path(&[key("a")])), r#""x\"]}""#);
        assert_eq!(
            at(text, &path(&[key("b"), key("c")])),
            "[true, null, -1.5e3]"
        );
        assert_eq!(
            at(text, &path(&[key("b"), key("c"), Segment::Index(2)])),
            "-1.5e3"
        );
    }

    #[test]
    fn line_column_tolerates_offsets_it_cannot_slice_at() {
        assert_eq!(line_column("é\nab", 1), (1, 1));
        assert_eq!(line_column("a\r\nb", 99), (2, 2));
    }

    #[test]
    fn the_line_index_agrees_with_line_column() {
        for text in [
            "{\n  \"a\": 1,\r\n\t\"b\": \"für\"\n}",
            "\u{feff}{\"x\": [1, 2]}",
            "",
            "\n\n",
        ] {
            let lines = Lines::new(text);
            for pos in 0..=text.len() + 2 {
                assert_eq!(
                    lines.line_column(pos),
                    line_column(text, pos),
                    "{text:?} at {pos}"
                );
            }
        }
    }
}

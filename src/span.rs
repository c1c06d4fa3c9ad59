//! Where values are in JSON text: a tree of byte spans.
//!
//! Errors and reports name values by [`JsonPath`]; people fix files by line
//! and column, and a rewrite that keeps a file's layout must know exactly
//! which bytes hold which value. serde_json's [`Value`](serde_json::Value)
//! forgets all of that, so [`parse`] reads the text a second time into a
//! [`Node`] tree that records, for every value, the byte range of its text.
//! [`locate`] turns a path into a line and column on top of that tree, and
//! the format-preserving rewriter ([`crate::rewrite`]) replaces byte ranges
//! found through it.
//!
//! The reader keeps its own stack instead of recursing, and refuses the same
//! nesting depth serde_json refuses ([`MAX_DEPTH`]), so every text the rest
//! of the crate accepts has a tree, and no input can exhaust the call stack
//! (not even when the tree is dropped, which recurses once per level).
//!
//! # Lines and columns
//!
//! Lines and columns are 1-based. A line ends at `\n`, so a `\r\n` line end
//! counts as one. Columns count characters (Unicode scalar values), not
//! bytes: a tab is one column, and so is `é`. A leading byte-order mark is a
//! character of line 1 like any other, so the first `{` after it is at
//! column 2.

use crate::error::{JsonPath, Segment};

/// The deepest nesting of arrays and objects [`parse`] accepts: the same as
/// serde_json's default limit, so that a text serde_json accepted always
/// has a tree, and the tree's depth has a fixed bound.
pub const MAX_DEPTH: usize = 127;

/// One JSON value and where its text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Byte offset of the value's first character (for a string: the
    /// opening quote) in the text given to [`parse`].
    pub start: usize,
    /// Byte offset just past the value's last character (for a container:
    /// its closing bracket), so that `&text[start..end]` is the value.
    pub end: usize,
    /// What the value is, with the children of containers.
    pub kind: NodeKind,
}

/// The type of a [`Node`], with the children of arrays and objects.
///
/// Scalars carry no decoded value: the document itself is read with
/// serde_json, and the tree only says where things are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// An object's members, in the order written (a repeated key appears
    /// twice; `crate::json` refuses such input before it gets this far).
    Object(Vec<Member>),
    /// An array's elements, in order.
    Array(Vec<Node>),
    /// A string, escapes and all.
    String,
    /// A number, spelled as written.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

/// One member of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The key, decoded (`"a\u0062"` is `ab`), so it compares with the keys
    /// of a serde_json value.
    pub key: String,
    /// Byte offset of the key's opening quote: reports about a member
    /// (rather than its value) point here.
    pub key_start: usize,
    /// The member's value.
    pub value: Node,
}

impl Node {
    /// The node at `path` below this one, or `None` if some step of the
    /// path does not exist.
    pub fn get(&self, path: &JsonPath) -> Option<&Node> {
        path.0
            .iter()
            .try_fold(self, |node, segment| node.step(segment))
    }

    /// The member with key `key` (the first, should the key repeat), if
    /// this is an object that has one.
    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.kind {
            NodeKind::Object(members) => members.iter().find(|m| m.key == key),
            _ => None,
        }
    }

    /// Element `index` (0-based), if this is an array that long.
    pub fn element(&self, index: usize) -> Option<&Node> {
        match &self.kind {
            NodeKind::Array(items) => items.get(index),
            _ => None,
        }
    }

    /// The node at `path`, or the deepest node on the way to it when the
    /// rest of the path does not exist (a report about a missing member
    /// points at the object that lacks it; one inside a document written
    /// as a string, at that string).
    pub fn deepest(&self, path: &JsonPath) -> &Node {
        let mut node = self;
        for segment in &path.0 {
            match node.step(segment) {
                Some(child) => node = child,
                None => break,
            }
        }
        node
    }

    /// The child one path segment down.
    fn step(&self, segment: &Segment) -> Option<&Node> {
        match segment {
            Segment::Key(key) => self.member(key).map(|m| &m.value),
            Segment::Index(index) => self.element(*index),
        }
    }
}

/// Reads `text` into a tree of spans; `None` if it is not one valid JSON
/// value (surrounded by whitespace only) or nests deeper than
/// [`MAX_DEPTH`]. A leading UTF-8 byte-order mark is skipped, but offsets
/// still index `text` itself.
pub fn parse(text: &str) -> Option<Node> {
    Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    }
    .document()
}

/// The 1-based line and column where the value at `path` starts (its first
/// character, e.g. the opening quote of a string), or where the deepest
/// existing part of the path starts when the rest does not exist, so that a
/// report about a missing member points at the object that lacks it.
/// `None` when the text is not valid JSON.
pub fn locate(text: &str, path: &JsonPath) -> Option<(usize, usize)> {
    let node = parse(text)?;
    Some(line_column(text, node.deepest(path).start))
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
                *ascii.last_mut().expect("one line at least") = false;
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

/// A container being read: its start and the children so far.
enum Open {
    /// An object, with the key (and its offset) whose value comes next.
    Object {
        start: usize,
        members: Vec<Member>,
        key: String,
        key_start: usize,
    },
    /// An array.
    Array { start: usize, items: Vec<Node> },
}

/// The reader's state: the text and the offset of the next byte to read.
struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    /// The whole text: one value between optional whitespace.
    ///
    /// Values are read in a loop with an explicit stack of open
    /// containers: a scalar or a finished container is handed to the
    /// container on top, which then either expects another child (after
    /// `,`) or closes (at `]` or `}`) and is handed on in turn.
    fn document(mut self) -> Option<Node> {
        if self.text.starts_with('\u{feff}') {
            self.pos = '\u{feff}'.len_utf8();
        }
        let mut stack: Vec<Open> = Vec::new();
        loop {
            self.skip_ws();
            let start = self.pos;
            let mut node = match *self.bytes.get(start)? {
                open @ (b'{' | b'[') => {
                    if stack.len() >= MAX_DEPTH {
                        return None;
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.bytes.get(self.pos) == Some(&close) {
                        self.pos += 1;
                        let kind = if open == b'{' {
                            NodeKind::Object(Vec::new())
                        } else {
                            NodeKind::Array(Vec::new())
                        };
                        Node {
                            start,
                            end: self.pos,
                            kind,
                        }
                    } else {
                        stack.push(if open == b'{' {
                            let (key, key_start) = self.key()?;
                            Open::Object {
                                start,
                                members: Vec::new(),
                                key,
                                key_start,
                            }
                        } else {
                            Open::Array {
                                start,
                                items: Vec::new(),
                            }
                        });
                        continue;
                    }
                }
                b'"' => {
                    self.string()?;
                    self.scalar(start, NodeKind::String)
                }
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                    self.scalar(start, NodeKind::Number)
                }
                b't' => self.literal(start, "true", NodeKind::Bool)?,
                b'f' => self.literal(start, "false", NodeKind::Bool)?,
                b'n' => self.literal(start, "null", NodeKind::Null)?,
                _ => return None,
            };
            // Hand the finished value up until a container wants more.
            loop {
                self.skip_ws();
                let Some(top) = stack.last_mut() else {
                    return (self.pos == self.bytes.len()).then_some(node);
                };
                let next = self.bytes.get(self.pos).copied();
                self.pos += 1;
                match top {
                    Open::Array { items, .. } => {
                        items.push(node);
                        match next? {
                            b',' => break,
                            b']' => {}
                            _ => return None,
                        }
                    }
                    Open::Object {
                        members,
                        key,
                        key_start,
                        ..
                    } => {
                        members.push(Member {
                            key: std::mem::take(key),
                            key_start: *key_start,
                            value: node,
                        });
                        match next? {
                            b',' => {
                                (*key, *key_start) = self.key()?;
                                break;
                            }
                            b'}' => {}
                            _ => return None,
                        }
                    }
                }
                let (start, kind) = match stack.pop()? {
                    Open::Object { start, members, .. } => (start, NodeKind::Object(members)),
                    Open::Array { start, items } => (start, NodeKind::Array(items)),
                };
                node = Node {
                    start,
                    end: self.pos,
                    kind,
                };
            }
        }
    }

    /// A scalar that started at `start` and ends here.
    fn scalar(&self, start: usize, kind: NodeKind) -> Node {
        Node {
            start,
            end: self.pos,
            kind,
        }
    }

    /// `true`, `false` or `null`.
    fn literal(&mut self, start: usize, word: &str, kind: NodeKind) -> Option<Node> {
        if !self.text[start..].starts_with(word) {
            return None;
        }
        self.pos = start + word.len();
        Some(self.scalar(start, kind))
    }

    /// An object key and the `:` after it; returns the decoded key and the
    /// offset of its opening quote.
    fn key(&mut self) -> Option<(String, usize)> {
        self.skip_ws();
        let start = self.pos;
        if self.bytes.get(start) != Some(&b'"') {
            return None;
        }
        let escaped = self.string()?;
        let raw = &self.text[start..self.pos];
        let key = if escaped {
            serde_json::from_str(raw).ok()?
        } else {
            raw[1..raw.len() - 1].to_string()
        };
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b':') {
            return None;
        }
        self.pos += 1;
        Some((key, start))
    }

    /// Reads the string whose opening quote is at the current offset;
    /// returns whether it has escapes. A string with escapes is checked by
    /// decoding it with serde_json, which knows every rule (surrogate
    /// pairs included); one without only needs to be free of control
    /// characters.
    fn string(&mut self) -> Option<bool> {
        let start = self.pos;
        let mut pos = start + 1;
        let mut escaped = false;
        loop {
            match *self.bytes.get(pos)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    pos += 2;
                }
                0..=0x1f => return None,
                _ => pos += 1,
            }
        }
        self.pos = pos + 1;
        if escaped {
            serde_json::from_str::<String>(self.text.get(start..self.pos)?).ok()?;
        }
        Some(escaped)
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        match self.bytes.get(self.pos)? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// Skips ASCII digits; returns how many.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Skips `byte` if it is next; returns whether it was.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.bytes.get(self.pos) == Some(&byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Skips JSON whitespace.
    fn skip_ws(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
    }
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

    /// The text of the value at `p`.
    fn at<'a>(text: &'a str, p: &JsonPath) -> &'a str {
        let node = parse(text).expect("valid JSON");
        let node = node.get(p).expect("path exists");
        &text[node.start..node.end]
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
        let node = parse(text).unwrap();
        let action = node.member("Action").unwrap();
        assert_eq!(line_column(text, action.key_start), (3, 2));
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
    fn skips_strings_with_escapes_and_nested_values() {
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
    fn keys_are_decoded_and_spans_are_exact() {
        let text = "\u{feff} {\"a\\\"]}\": [[], {}, [0, {\"\\u0062\": false}]], \"n\": -0.5E+2 } ";
        let root = parse(text).unwrap();
        assert_eq!(root.start, 4);
        assert_eq!(root.end, text.len() - 1);
        let member = &root.member("a\"]}").unwrap();
        assert_eq!(
            &text[member.key_start..member.key_start + 8],
            "\"a\\\"]}\":"
        );
        let inner = path(&[key("a\"]}"), Segment::Index(2), Segment::Index(1), key("b")]);
        assert_eq!(root.get(&inner).unwrap().kind, NodeKind::Bool);
        assert_eq!(at(text, &inner), "false");
        assert_eq!(at(text, &path(&[key("n")])), "-0.5E+2");
        let empty = root.get(&path(&[key("a\"]}"), Segment::Index(1)])).unwrap();
        assert_eq!(empty.kind, NodeKind::Object(Vec::new()));
        assert!(root.get(&path(&[key("n"), Segment::Index(0)])).is_none());
    }

    #[test]
    fn scalars_at_the_root() {
        for text in ["\"x\"", " 0 ", "-1.5e3", "true", "null", "[]", "{}"] {
            let node = parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(&text[node.start..node.end], text.trim());
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for text in [
            "",
            " ",
            "{",
            "}",
            "[1,]",
            "[,1]",
            "{\"a\" 1}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{1:2}",
            "01",
            "1.",
            "-",
            "1e",
            ".5",
            "+1",
            "tru",
            "nul",
            "truex",
            "[1 2]",
            "\"a\tb\"",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"unterminated",
            "1 2",
            "[\"a\"]]",
            "\u{feff}",
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "serde_json accepts {text:?}"
            );
            assert_eq!(parse(text), None, "{text:?}");
        }
        for text in ["\"\\ud83d\\ude00 \\/\"", "1E-7", "[0.0, -0]", "{\"\":\"\"}"] {
            assert!(serde_json::from_str::<serde_json::Value>(text).is_ok());
            assert!(parse(text).is_some(), "{text:?}");
        }
    }

    #[test]
    fn nesting_is_bounded_like_serde_json() {
        let nested = |depth: usize| "[".repeat(depth) + &"]".repeat(depth);
        let deepest = nested(MAX_DEPTH);
        assert!(serde_json::from_str::<serde_json::Value>(&deepest).is_ok());
        assert!(parse(&deepest).is_some());
        let deeper = nested(MAX_DEPTH + 1);
        assert!(serde_json::from_str::<serde_json::Value>(&deeper).is_err());
        assert_eq!(parse(&deeper), None);
        assert_eq!(parse(&nested(100_000)), None);
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

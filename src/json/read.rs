//! The one JSON reader: strict, positioned, and bounded.
//!
//! Every JSON input refine reads — policies, findings, used lists,
//! last-accessed data — goes through [`read`] once. It builds the
//! [`Value`] tree with the span of every value, and refuses in the same
//! pass what must be refused:
//!
//! * anything RFC 8259 does not allow (trailing commas, comments, control
//!   characters in strings, lone surrogates, `01`), with the place and the
//!   words serde_json would use;
//! * an object with the same key twice, at the second one: IAM rejects such
//!   documents, and which value counts would be a guess;
//! * nesting deeper than [`MAX_DEPTH`], the limit serde_json has, with an
//!   explicit stack, so no input can exhaust the call stack.
//!
//! A UTF-8 byte-order mark is skipped (spans still index the text as
//! given); an empty input gets its own message.

use super::value::{Kind, Member, Span, Value};
use crate::error::{quote, InputError, Location};
use std::collections::HashSet;

/// The deepest nesting of arrays and objects [`read`] accepts: serde_json's
/// default limit.
pub const MAX_DEPTH: usize = 127;

/// Reads `text` as one JSON value. `what` names the expected content for
/// the empty-input message, e.g. "an IAM policy document".
pub fn read(text: &str, what: &str) -> Result<Value, InputError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.trim().is_empty() {
        return Err(InputError::whole(format!("empty file: expected {what}")));
    }
    parse(text).map_err(|err| {
        let (line, column) = super::line_column(text, err.at);
        InputError {
            location: Location::LineColumn(line, column),
            message: err.message,
            hint: err.hint,
        }
    })
}

/// Why a text is not JSON refine accepts, and the byte offset where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The offset of the offending byte (the end of the text for "EOF").
    pub at: usize,
    /// What is wrong, as one line.
    pub message: String,
    /// What to do, when that is not obvious.
    pub hint: Option<String>,
}

/// Reads `text` (after an optional byte-order mark) as one JSON value.
pub fn parse(text: &str) -> Result<Value, SyntaxError> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    Reader {
        text,
        bytes: text.as_bytes(),
        pos: start,
    }
    .document()
}

/// A container being read: its start and the children so far.
enum Open {
    /// An object, with the key (and its span) whose value comes next, and
    /// the keys so far when there are many (few are compared directly).
    Object {
        start: usize,
        members: Vec<Member>,
        key: String,
        key_span: Span,
        seen: Option<HashSet<String>>,
    },
    /// An array.
    Array { start: usize, items: Vec<Value> },
}

/// Objects with more members than this keep a set of their keys for the
/// duplicate check; smaller ones compare keys directly.
const SMALL_OBJECT: usize = 16;

/// The reader's state: the text and the offset of the next byte to read.
struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    /// An error at `at`.
    fn error<T>(&self, at: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            at,
            message: format!("invalid JSON: {}", message.into()),
            hint: None,
        })
    }

    /// The whole text: one value between optional whitespace.
    ///
    /// Values are read in a loop with an explicit stack of open
    /// containers: a scalar or a finished container is handed to the
    /// container on top, which then either expects another child (after
    /// `,`) or closes (at `]` or `}`) and is handed on in turn.
    fn document(mut self) -> Result<Value, SyntaxError> {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            let Some(mut value) = self.value_or_open(stack.len())? else {
                let open = self.open()?;
                stack.push(open);
                continue;
            };
            // Hand the finished value up until a container wants more.
            loop {
                self.skip_ws();
                let Some(top) = stack.last_mut() else {
                    if self.pos < self.bytes.len() {
                        return self.error(self.pos, "trailing characters");
                    }
                    return Ok(value);
                };
                let at = self.pos;
                let next = self.bytes.get(at).copied();
                match top {
                    Open::Array { items, .. } => {
                        items.push(value);
                        match next {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                if self.bytes.get(self.pos) == Some(&b']') {
                                    return self.error(self.pos, "trailing comma");
                                }
                                break;
                            }
                            Some(b']') => self.pos += 1,
                            None => return self.error(at, "EOF while parsing a list"),
                            Some(_) => return self.error(at, "expected `,` or `]`"),
                        }
                    }
                    Open::Object {
                        members,
                        key,
                        key_span,
                        seen,
                        ..
                    } => {
                        members.push(Member {
                            key: std::mem::take(key),
                            key_span: *key_span,
                            value,
                        });
                        match next {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                if self.bytes.get(self.pos) == Some(&b'}') {
                                    return self.error(self.pos, "trailing comma");
                                }
                                let (next_key, next_span) = self.key()?;
                                check_duplicate(members, seen, &next_key, next_span)?;
                                (*key, *key_span) = (next_key, next_span);
                                break;
                            }
                            Some(b'}') => self.pos += 1,
                            None => return self.error(at, "EOF while parsing an object"),
                            Some(_) => return self.error(at, "expected `,` or `}`"),
                        }
                    }
                }
                let (start, kind) = match stack.pop() {
                    Some(Open::Object { start, members, .. }) => (start, Kind::Object(members)),
                    Some(Open::Array { start, items }) => (start, Kind::Array(items)),
                    None => return self.error(self.pos, "unbalanced brackets"),
                };
                value = Value {
                    span: Span {
                        start,
                        end: self.pos,
                    },
                    kind,
                };
            }
        }
    }

    /// The next value when it is a scalar or an empty container; `None`
    /// when it opens a container with content (left for [`Reader::open`]).
    fn value_or_open(&mut self, depth: usize) -> Result<Option<Value>, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        let Some(&byte) = self.bytes.get(start) else {
            return self.error(start, "EOF while parsing a value");
        };
        let kind = match byte {
            b'{' | b'[' => {
                if depth >= MAX_DEPTH {
                    return self.error(start, "recursion limit exceeded");
                }
                let close = if byte == b'{' { b'}' } else { b']' };
                let mut after = start + 1;
                while matches!(self.bytes.get(after), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    after += 1;
                }
                if self.bytes.get(after) != Some(&close) {
                    return Ok(None);
                }
                self.pos = after + 1;
                if byte == b'{' {
                    Kind::Object(Vec::new())
                } else {
                    Kind::Array(Vec::new())
                }
            }
            b'"' => Kind::String(self.string()?),
            b'-' | b'0'..=b'9' => Kind::Number(self.number()?),
            b't' => self.literal("true", Kind::Bool(true))?,
            b'f' => self.literal("false", Kind::Bool(false))?,
            b'n' => self.literal("null", Kind::Null)?,
            _ => return self.error(start, "expected value"),
        };
        Ok(Some(Value {
            span: Span {
                start,
                end: self.pos,
            },
            kind,
        }))
    }

    /// Opens the container at the current offset, which has content, and
    /// reads an object's first key.
    fn open(&mut self) -> Result<Open, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        Ok(if self.bytes.get(start) == Some(&b'{') {
            let (key, key_span) = self.key()?;
            Open::Object {
                start,
                members: Vec::new(),
                key,
                key_span,
                seen: None,
            }
        } else {
            Open::Array {
                start,
                items: Vec::new(),
            }
        })
    }

    /// `true`, `false` or `null` at the current offset.
    fn literal(&mut self, word: &str, kind: Kind) -> Result<Kind, SyntaxError> {
        let start = self.pos;
        for (i, expected) in word.bytes().enumerate() {
            match self.bytes.get(start + i) {
                Some(&b) if b == expected => {}
                Some(_) => return self.error(start + i, "expected ident"),
                None => return self.error(start + i, "EOF while parsing a value"),
            }
        }
        self.pos = start + word.len();
        Ok(kind)
    }

    /// An object key and the `:` after it: the decoded key and its span.
    fn key(&mut self) -> Result<(String, Span), SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        match self.bytes.get(start) {
            Some(b'"') => {}
            None => return self.error(start, "EOF while parsing an object"),
            Some(_) => return self.error(start, "key must be a string"),
        }
        let key = self.string()?;
        let span = Span {
            start,
            end: self.pos,
        };
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b':') => self.pos += 1,
            None => return self.error(self.pos, "EOF while parsing an object"),
            Some(_) => return self.error(self.pos, "expected `:`"),
        }
        Ok((key, span))
    }

    /// The string whose opening quote is at the current offset, decoded.
    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos + 1;
        let mut pos = start;
        // The common case: no escape, copied as it is.
        loop {
            match self.bytes.get(pos) {
                None => return self.error(pos, "EOF while parsing a string"),
                Some(b'"') => {
                    self.pos = pos + 1;
                    return Ok(self.text[start..pos].to_string());
                }
                Some(b'\\') => break,
                Some(0..=0x1f) => {
                    return self.error(
                        pos,
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    )
                }
                Some(_) => pos += 1,
            }
        }
        let mut out = String::with_capacity(pos - start + 16);
        out.push_str(&self.text[start..pos]);
        let mut run = pos;
        loop {
            match self.bytes.get(pos) {
                None => return self.error(pos, "EOF while parsing a string"),
                Some(b'"') => {
                    out.push_str(&self.text[run..pos]);
                    self.pos = pos + 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.text[run..pos]);
                    pos = self.escape(pos, &mut out)?;
                    run = pos;
                }
                Some(0..=0x1f) => {
                    return self.error(
                        pos,
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    )
                }
                Some(_) => pos += 1,
            }
        }
    }

    /// Decodes the escape whose `\` is at `pos` into `out`; returns the
    /// offset after it.
    fn escape(&self, pos: usize, out: &mut String) -> Result<usize, SyntaxError> {
        let Some(&kind) = self.bytes.get(pos + 1) else {
            return self.error(pos + 1, "EOF while parsing a string");
        };
        let simple = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(pos, out),
            _ => return self.error(pos + 1, "invalid escape"),
        };
        out.push(simple);
        Ok(pos + 2)
    }

    /// A `\uXXXX` escape at `pos`, with its low surrogate when it is a
    /// high one.
    fn unicode_escape(&self, pos: usize, out: &mut String) -> Result<usize, SyntaxError> {
        let first = self.hex4(pos + 2)?;
        let (code, end) = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(pos + 6) != Some(&b'\\') || self.bytes.get(pos + 7) != Some(&b'u')
                {
                    return self.error(pos + 6, "lone leading surrogate in hex escape");
                }
                let second = self.hex4(pos + 8)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return self.error(pos + 8, "lone leading surrogate in hex escape");
                }
                (
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00),
                    pos + 12,
                )
            }
            0xDC00..=0xDFFF => return self.error(pos + 2, "lone trailing surrogate in hex escape"),
            code => (code, pos + 6),
        };
        match char::from_u32(code) {
            Some(c) => out.push(c),
            None => return self.error(pos, "invalid unicode code point"),
        }
        Ok(end)
    }

    /// The four hex digits at `pos`.
    fn hex4(&self, pos: usize) -> Result<u32, SyntaxError> {
        let mut value = 0;
        for i in 0..4 {
            let digit = match self.bytes.get(pos + i) {
                None => return self.error(pos + i, "EOF while parsing a string"),
                Some(&b) => (b as char).to_digit(16),
            };
            match digit {
                Some(d) => value = value * 16 + d,
                None => return self.error(pos + i, "invalid escape"),
            }
        }
        Ok(value)
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`,
    /// as written.
    fn number(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        self.eat(b'-');
        match self.bytes.get(self.pos) {
            Some(b'0') => {
                self.pos += 1;
                if self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    return self.error(self.pos, "invalid number");
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            None => return self.error(self.pos, "EOF while parsing a value"),
            Some(_) => return self.error(self.pos, "invalid number"),
        }
        if self.eat(b'.') && self.digits() == 0 {
            return self.number_end_error();
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return self.number_end_error();
            }
        }
        Ok(self.text[start..self.pos].to_string())
    }

    /// The error for a number cut short here.
    fn number_end_error<T>(&self) -> Result<T, SyntaxError> {
        match self.bytes.get(self.pos) {
            None => self.error(self.pos, "EOF while parsing a value"),
            Some(_) => self.error(self.pos, "invalid number"),
        }
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
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }
}

/// Refuses `key` when the object being read already has it.
fn check_duplicate(
    members: &[Member],
    seen: &mut Option<HashSet<String>>,
    key: &str,
    span: Span,
) -> Result<(), SyntaxError> {
    let repeated = match seen {
        Some(keys) => !keys.insert(key.to_string()),
        None if members.len() < SMALL_OBJECT => members.iter().any(|m| m.key == key),
        None => {
            let mut keys: HashSet<String> = members.iter().map(|m| m.key.clone()).collect();
            let repeated = !keys.insert(key.to_string());
            *seen = Some(keys);
            repeated
        }
    };
    if repeated {
        return Err(SyntaxError {
            at: span.start,
            message: format!(
                "duplicate key {} in one object: IAM rejects this, and which value counts would be a guess",
                quote(key)
            ),
            hint: Some("remove one of the two".to_string()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{JsonPath, Segment};

    #[test]
    fn keys_and_strings_are_decoded_and_spans_are_exact() {
        let text = "\u{feff} {\"a\\\"]}\": [[], {}, [0, {\"\\u0062\": false}]], \"n\": -0.5E+2, \"s\": \"\\ud83d\\ude00\\/\\n\" } ";
        let root = parse(text).unwrap();
        assert_eq!(
            root.span,
            Span {
                start: 4,
                end: text.len() - 1
            }
        );
        let member = root.member("a\"]}").unwrap();
        assert_eq!(
            &text[member.key_span.start..member.key_span.end],
            "\"a\\\"]}\""
        );
        let inner = JsonPath(vec![
            Segment::Key("a\"]}".into()),
            Segment::Index(2),
            Segment::Index(1),
            Segment::Key("b".into()),
        ]);
        assert_eq!(root.at(&inner).unwrap().kind, Kind::Bool(false));
        assert_eq!(root["n"].kind, Kind::Number("-0.5E+2".into()));
        assert_eq!(root["s"].as_str(), Some("😀/\n"));
        assert!(root["missing"].is_null());
    }

    #[test]
    fn scalars_at_the_root() {
        for text in ["\"x\"", " 0 ", "-1.5e3", "true", "null", "[]", "{}"] {
            let value = parse(text).unwrap_or_else(|err| panic!("{text}: {err:?}"));
            assert_eq!(&text[value.span.start..value.span.end], text.trim());
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
            "\"\\udc00\"",
            "\"unterminated",
            "1 2",
            "[\"a\"]]",
            "\u{feff}",
            "[1]x",
            "{\"a\":1 \"b\":2}",
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "serde_json accepts {text:?}"
            );
            assert!(parse(text).is_err(), "{text:?}");
        }
        for text in ["\"\\ud83d\\ude00 \\/\"", "1E-7", "[0.0, -0]", "{\"\":\"\"}"] {
            assert!(serde_json::from_str::<serde_json::Value>(text).is_ok());
            assert!(parse(text).is_ok(), "{text:?}");
        }
    }

    /// The messages and places are serde_json's, which the README's error
    /// table and users' scripts have seen.
    #[test]
    fn errors_say_what_and_where_as_serde_json_does() {
        let error = |text: &str| {
            let err = read(text, "a policy").unwrap_err();
            (err.location, err.message)
        };
        assert_eq!(
            error("{\n  \"a\": ]"),
            (
                Location::LineColumn(2, 8),
                "invalid JSON: expected value".to_string()
            )
        );
        assert_eq!(
            error("{\"a\": 1,, \"b\": 2}"),
            (
                Location::LineColumn(1, 9),
                "invalid JSON: key must be a string".to_string()
            )
        );
        assert_eq!(
            error("[1] x"),
            (
                Location::LineColumn(1, 5),
                "invalid JSON: trailing characters".to_string()
            )
        );
        assert_eq!(error("[1, 2").1, "invalid JSON: EOF while parsing a list");
        assert_eq!(
            read(" \n", "a policy").unwrap_err().message,
            "empty file: expected a policy"
        );
        assert_eq!(
            read("\u{feff}{\"a\": 1}", "x").unwrap()["a"].kind,
            Kind::Number("1".into())
        );
    }

    #[test]
    fn repeated_keys_are_refused_where_the_second_one_is() {
        let text = "{\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\",\n    \"Action\": \"s3:*\"}]\n}";
        let err = read(text, "a policy").unwrap_err();
        assert_eq!(err.location, Location::LineColumn(3, 5));
        assert!(err
            .message
            .starts_with("duplicate key \"Action\" in one object"));
        assert!(parse(r#"{"a\u0062": 1, "ab": 2}"#).is_err());
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        assert!(parse(&format!("{{{}}}", many.join(","))).is_ok());
        assert!(parse(&format!("{{{}, \"k3\": 0}}", many.join(","))).is_err());
        let text = r#"{"a": {"k": 1}, "b": {"k": [{"k": 2}, {"k": "\"k\""}]}, "k": "a,b"}"#;
        assert!(parse(text).is_ok());
    }

    #[test]
    fn nesting_is_bounded_like_serde_json() {
        let nested = |depth: usize| "[".repeat(depth) + &"]".repeat(depth);
        let deepest = nested(MAX_DEPTH);
        assert!(serde_json::from_str::<serde_json::Value>(&deepest).is_ok());
        assert!(parse(&deepest).is_ok());
        let deeper = nested(MAX_DEPTH + 1);
        assert!(serde_json::from_str::<serde_json::Value>(&deeper).is_err());
        assert_eq!(
            parse(&deeper).unwrap_err().message,
            "invalid JSON: recursion limit exceeded"
        );
        assert!(parse(&nested(100_000)).is_err());
    }
}

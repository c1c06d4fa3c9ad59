//! Errors about input, precise enough to fix the input by.
//!
//! The library never knows a file's name or holds on to its text, so an
//! [`InputError`] says *where* in a document something is wrong as a
//! [`Location`]: a JSON path such as `Statement[1].Effect`, or a line and
//! column when the parser already knows them. The command line turns a JSON
//! path into `line:column` with [`crate::json::locate`], and prints the one
//! line `refine: FILE:LINE:COL: message`, followed by the hint, if any, on a
//! second line.

use std::fmt;

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A member of an object, by key.
    Key(String),
    /// An element of an array, by index (0-based).
    Index(usize),
}

/// The path from a document's root to one value in it.
///
/// Displayed the way people write it in jq and in AWS's own messages:
/// `Statement[1].Action[0]`; the root is displayed as `(document)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath(pub(crate) Vec<Segment>);

impl JsonPath {
    /// The empty path, which names the whole document.
    pub fn root() -> JsonPath {
        JsonPath(Vec::new())
    }

    /// This path extended by an object key.
    pub fn key(&self, key: &str) -> JsonPath {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_string()));
        path
    }

    /// The steps from the root.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> JsonPath {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Where in an input an [`InputError`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Somewhere in the input as a whole (it is empty, or of the wrong kind).
    Whole,
    /// A 1-based line and column, as reported by a parser.
    LineColumn(usize, usize),
    /// A 1-based line of a line-oriented file (the catalog format).
    Line(usize),
    /// A value inside a JSON document.
    Path(JsonPath),
}

/// Something wrong with an input file, with where and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Where the problem is.
    pub location: Location,
    /// What is wrong, as one line without a trailing period.
    pub message: String,
    /// What the user can do about it, when that is not obvious.
    pub hint: Option<String>,
}

impl InputError {
    /// An error about the value at `path`.
    pub fn at(path: &JsonPath, message: impl Into<String>) -> InputError {
        InputError {
            location: Location::Path(path.clone()),
            message: message.into(),
            hint: None,
        }
    }

    /// An error about the input as a whole.
    pub fn whole(message: impl Into<String>) -> InputError {
        InputError {
            location: Location::Whole,
            message: message.into(),
            hint: None,
        }
    }

    /// An error from serde_json, which knows line and column.
    pub fn from_json(err: &serde_json::Error) -> InputError {
        let message = strip_position(&err.to_string());
        let location = if err.line() == 0 {
            Location::Whole
        } else {
            Location::LineColumn(err.line(), err.column())
        };
        InputError {
            location,
            message: format!("invalid JSON: {message}"),
            hint: None,
        }
    }

    /// The same error with a hint on what to do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> InputError {
        self.hint = Some(hint.into());
        self
    }
}

/// `text` for a message: every character that could break the message's
/// one line or reach a terminal as a control sequence — C0 and C1 control
/// characters, DEL, the Unicode line and paragraph separators — written as
/// a JSON escape (`\n`, `\u001b`), and `\` doubled so that an escape in the
/// input is not mistaken for one made here. Everything quoted from input
/// goes through here (or [`quote`]): a policy must not be able to forge a
/// line that looks like refine's own.
pub fn escape(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// `text` as a quoted JSON string for a message: `"s3:Get*"`, with `"`
/// and everything [`escape`] escapes written as JSON escapes.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            c => push_escaped(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// JSON text (already escaped as JSON escapes it) for a message: the
/// characters JSON leaves raw that must not reach a terminal (DEL, C1
/// controls, the Unicode line separators) escaped too, backslashes left
/// alone.
pub fn printable_json(json: &str) -> String {
    if !json.chars().any(|c| c != '\\' && needs_escape(c)) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        match c {
            '\\' => out.push(c),
            c => push_escaped(&mut out, c),
        }
    }
    out
}

/// Whether a character must not appear raw in a message.
fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\\' || c == '\u{2028}' || c == '\u{2029}'
}

/// Appends `c`, escaped as JSON escapes it when [`needs_escape`].
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

/// serde_json appends " at line L column C" to its messages; the location is
/// printed separately, in the `FILE:LINE:COL:` prefix.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Whole => {}
            Location::LineColumn(line, column) => write!(f, "{line}:{column}: ")?,
            Location::Line(line) => write!(f, "{line}: ")?,
            Location::Path(path) => write!(f, "{path}: ")?,
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_like_jq() {
        let path = JsonPath::root()
            .key("Statement")
            .index(1)
            .key("Action")
            .index(0);
        assert_eq!(path.to_string(), "Statement[1].Action[0]");
        assert_eq!(JsonPath::root().to_string(), "(document)");
    }

    #[test]
    fn json_errors_keep_line_and_column_out_of_the_message() {
        let err = serde_json::from_str::<serde_json::Value>("{\n  \"a\": ]").unwrap_err();
        let input = InputError::from_json(&err);
        assert_eq!(input.location, Location::LineColumn(2, 8));
        assert_eq!(input.message, "invalid JSON: expected value");
    }
}

//! YAML: CloudFormation templates read into the tree every input shares.
//!
//! [`read`] parses YAML with `saphyr-parser`, which reports where every
//! node is, into the same [`Value`] tree JSON input becomes: spans index
//! the text (a scalar's span covers its tag and quotes, a block
//! collection's runs from its first entry to the end of its last), so that
//! positions, the policy model and the template host's splices work on
//! YAML exactly as on JSON. Nothing is ever reserialised: a rewrite
//! splices new text into the old.
//!
//! What YAML has and JSON has not is mapped as CloudFormation reads it:
//!
//! * the short-form intrinsic tags become their long forms (`!Sub x` is
//!   `{"Fn::Sub": x}`, `!Ref x` is `{"Ref": x}`, `!Condition x` is
//!   `{"Condition": x}`); an unknown tag is an error. Tags with `::` in
//!   their name (`!Rain::Embed`) belong to template pre-processors and are
//!   kept as opaque values of that name;
//! * plain scalars are read by the core schema: `null`, `~` and nothing
//!   are null, `true`/`false` booleans, JSON-shaped numbers numbers, and
//!   everything else (`2012-10-17`, `s3:Get*`) a string;
//! * anchors and aliases are not expanded: an alias reads as null, and the
//!   place of every anchor and alias is kept ([`Yaml::anchors`]) so that a
//!   host refuses to rewrite a policy that has one (changing an anchored
//!   node would change every alias of it, far from the policy).
//!
//! Duplicate keys, complex keys and a second document are errors, with the
//! line and column.

use crate::error::{InputError, Location};
use crate::json::{self, Kind, Member, Span, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

/// A YAML document read.
#[derive(Debug, Clone)]
pub struct Yaml {
    /// The document as a tree.
    pub tree: Value,
    /// Where each anchored node (`&x` and all of the node it names) and
    /// each alias (`*x`) is.
    pub anchors: Vec<Span>,
}

/// The short-form tags CloudFormation defines, and the key each stands
/// for.
const TAGS: [(&str, &str); 21] = [
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("Sub", "Fn::Sub"),
    ("GetAtt", "Fn::GetAtt"),
    ("Join", "Fn::Join"),
    ("If", "Fn::If"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("ImportValue", "Fn::ImportValue"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("GetAZs", "Fn::GetAZs"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Transform", "Fn::Transform"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("Length", "Fn::Length"),
    ("ForEach", "Fn::ForEach"),
];

/// A collection being read.
struct Open {
    /// Whether the collection has an anchor: its whole span is recorded
    /// when it closes.
    anchored: bool,
    start: usize,
    end: usize,
    flow: bool,
    wrap: Option<String>,
    items: Items,
}

enum Items {
    Seq(Vec<Value>),
    Map {
        members: Vec<Member>,
        key: Option<(String, Span)>,
    },
}

/// Reads `text` as one YAML document.
pub fn read(text: &str) -> Result<Yaml, InputError> {
    // YAML also ends a line at a lone CR; refine's places and splices
    // count lines by LF (CRLF included), so such a text is refused.
    if let Some(at) = text
        .match_indices('\r')
        .map(|(i, _)| i)
        .find(|&i| text.as_bytes().get(i + 1) != Some(&b'\n'))
    {
        let (line, column) = json::line_column(text, at);
        return Err(at_place(line, column));
    }
    let mut reader = Reader {
        text,
        offsets: Offsets::new(text),
        stack: Vec::new(),
        anchors: Vec::new(),
        documents: 0,
    };
    let mut parser = Parser::new_from_str(text);
    let mut root: Option<Value> = None;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|err| {
            let mark = err.marker();
            at(
                mark.line(),
                mark.col() + 1,
                format!("invalid YAML: {}", err.info()),
            )
        })?;
        if event == Event::StreamEnd {
            break;
        }
        let Some(node) = reader.event(event, span)? else {
            continue;
        };
        match reader.stack.last_mut() {
            Some(open) => add(open, node, text)?,
            None => root = Some(node),
        }
    }
    let tree = root.unwrap_or(Value {
        span: Span::default(),
        kind: Kind::Null,
    });
    Ok(Yaml {
        tree,
        anchors: reader.anchors,
    })
}

/// The state of a reading: the collections open, the anchors met.
struct Reader<'t> {
    text: &'t str,
    offsets: Offsets,
    stack: Vec<Open>,
    anchors: Vec<Span>,
    documents: usize,
}

impl Reader<'_> {
    /// Takes one event: the node it completes, if it completes one.
    fn event(
        &mut self,
        event: Event,
        span: saphyr_parser::Span,
    ) -> Result<Option<Value>, InputError> {
        let text = self.text;
        let (start, end) = (
            self.offsets.byte(span.start.index()),
            self.offsets.byte(span.end.index()),
        );
        let place = (span.start.line(), span.start.col() + 1);
        Ok(Some(match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(at(
                        place.0,
                        place.1,
                        "more than one YAML document: a template is one",
                    ));
                }
                return Ok(None);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                return Ok(None)
            }
            Event::Alias(_) => {
                self.anchors.push(Span { start, end });
                Value {
                    span: Span { start, end },
                    kind: Kind::Null,
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let (start, end) = match style {
                    ScalarStyle::Literal | ScalarStyle::Folded => block_scalar(text, start, end),
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        (start, quoted_end(text, start, end))
                    }
                    // An empty value (`Resource:`) is placed at its key's
                    // colon; it is after it, or a mapping would end
                    // before its last colon.
                    ScalarStyle::Plain if value.is_empty() && text[start..].starts_with(':') => {
                        (start + 1, start + 1)
                    }
                    _ => (start, end),
                };
                if anchor != 0 {
                    self.anchors.push(Span { start, end });
                }
                let wrap = wrapper(tag.as_deref(), place)?;
                let kind = scalar(&value, style, tag.as_deref());
                wrapped(
                    Value {
                        span: Span { start, end },
                        kind,
                    },
                    wrap,
                )
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let sequence = matches!(event, Event::SequenceStart(..));
                self.open(sequence, anchor != 0, tag.as_deref(), (start, end), place)?;
                return Ok(None);
            }
            Event::SequenceEnd | Event::MappingEnd => match self.close_open(start, end) {
                Some(node) => node,
                None => return Ok(None),
            },
        }))
    }

    /// Opens a collection: a sequence or a mapping, anchored or not,
    /// tagged or not, starting at `span`.
    fn open(
        &mut self,
        sequence: bool,
        anchored: bool,
        tag: Option<&Tag>,
        (start, end): (usize, usize),
        place: (usize, usize),
    ) -> Result<(), InputError> {
        if self.stack.len() >= json::MAX_DEPTH {
            return Err(at(
                place.0,
                place.1,
                format!("nested more than {} levels deep", json::MAX_DEPTH),
            ));
        }
        let items = match sequence {
            true => Items::Seq(Vec::new()),
            false => Items::Map {
                members: Vec::new(),
                key: None,
            },
        };
        self.stack.push(Open {
            anchored,
            start,
            end,
            flow: self.text[start..end].trim_end().ends_with(['[', '{']),
            wrap: wrapper(tag, place)?,
            items,
        });
        Ok(())
    }

    /// Closes the innermost collection at an end event spanning
    /// `start..end`: the node it makes.
    fn close_open(&mut self, start: usize, end: usize) -> Option<Value> {
        let open = self.stack.pop()?;
        let anchored = open.anchored;
        // The parser's span of a closing bracket runs on over a comment
        // after it; the node ends with the bracket.
        let end = match self.text[start..].starts_with([']', '}']) {
            true => start + 1,
            false => end,
        };
        let node = close(open, end);
        if anchored {
            // The whole anchored node: every alias repeats all of it.
            self.anchors.push(node.span);
        }
        Some(node)
    }
}

/// The collection `open`, closed by an event ending at `end` (a flow
/// collection's bracket; a block collection ends with its last entry).
fn close(open: Open, end: usize) -> Value {
    let end = if open.flow {
        end.max(open.end)
    } else {
        open.end
    };
    let kind = match open.items {
        Items::Seq(items) => Kind::Array(items),
        Items::Map { members, .. } => Kind::Object(members),
    };
    wrapped(
        Value {
            span: Span {
                start: open.start,
                end,
            },
            kind,
        },
        open.wrap,
    )
}

/// Adds `node` to the collection being read: an element, a key, or the
/// value of the key before it.
fn add(open: &mut Open, node: Value, text: &str) -> Result<(), InputError> {
    open.end = open.end.max(node.span.end);
    let (members, key) = match &mut open.items {
        Items::Seq(items) => {
            items.push(node);
            return Ok(());
        }
        Items::Map { members, key } => (members, key),
    };
    if let Some((key, key_span)) = key.take() {
        members.push(Member {
            key,
            key_span,
            value: node,
        });
        return Ok(());
    }
    // The place is only worked out for an error: counting lines from the
    // start for every key would be quadratic.
    let error = |message: String| {
        let (line, column) = json::line_column(text, node.span.start);
        Err(at(line, column, message))
    };
    let name = match &node.kind {
        Kind::String(name) => name.clone(),
        Kind::Null | Kind::Bool(_) | Kind::Number(_) => json::write::compact(&node),
        _ => return error("a key must be a scalar".into()),
    };
    if members.iter().any(|m| m.key == name) {
        return error(format!("duplicate key {}", crate::error::quote(&name)));
    }
    *key = Some((name, node.span));
    Ok(())
}

/// The long-form key a tag stands for (`None`: no tag, or a standard
/// `!!` tag); an error for a tag CloudFormation does not know.
fn wrapper(tag: Option<&Tag>, place: (usize, usize)) -> Result<Option<String>, InputError> {
    let Some(tag) = tag else { return Ok(None) };
    if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
        return Ok(None);
    }
    if tag.handle == "!" {
        if let Some((_, long)) = TAGS.iter().find(|(short, _)| *short == tag.suffix) {
            return Ok(Some(long.to_string()));
        }
        if tag.suffix.contains("::") {
            return Ok(Some(tag.suffix.clone()));
        }
    }
    Err(at(
        place.0,
        place.1,
        format!(
            "unknown tag {}{}: CloudFormation's are !Ref, !Sub, !GetAtt, !Join, !If and the other intrinsic functions",
            crate::error::escape(&tag.handle),
            crate::error::escape(&tag.suffix)
        ),
    ))
}

/// The span of a block scalar (`|`, `>`): the parser's starts at its
/// content and ends past its line break; a span starts at the indicator,
/// as for every other scalar, and ends with the content.
fn block_scalar(text: &str, start: usize, end: usize) -> (usize, usize) {
    let end = start.max(start + text[start..end].trim_end().len());
    let head = text[..start].trim_end();
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let line = &head[line_start..];
    // The header: the indicator, then chomping and indentation digits,
    // then maybe a comment.
    let header = line.char_indices().rev().find(|&(i, c)| {
        (c == '|' || c == '>') && {
            let rest = line[i + 1..]
                .trim_start_matches(['-', '+', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
            let rest = rest.trim_start();
            rest.is_empty() || rest.starts_with('#')
        }
    });
    match header {
        Some((i, _)) => (line_start + i, end),
        None => (start, end),
    }
}

/// Where a quoted scalar ends: just past its closing quote (the parser's
/// span runs on over blanks and a comment after it).
fn quoted_end(text: &str, start: usize, end: usize) -> usize {
    let span = &text[start..end];
    let Some(open) = span.find(['\'', '"']) else {
        return end;
    };
    let quote = span.as_bytes()[open];
    let bytes = span.as_bytes();
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return start + i + 1,
            _ => i += 1,
        }
    }
    end
}

/// `value` under the long-form key `wrap`, when it had a tag.
fn wrapped(value: Value, wrap: Option<String>) -> Value {
    match wrap {
        None => value,
        Some(key) => {
            let span = value.span;
            Value {
                span,
                kind: Kind::Object(vec![Member {
                    key,
                    key_span: span,
                    value,
                }]),
            }
        }
    }
}

/// A scalar by the core schema (see the module documentation); quoted
/// scalars, block scalars and `!!str` are strings.
fn scalar(value: &str, style: ScalarStyle, tag: Option<&Tag>) -> Kind {
    let plain = style == ScalarStyle::Plain && tag.is_none_or(|t| t.suffix != "str");
    if !plain {
        return Kind::String(value.to_string());
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => Kind::Null,
        "true" | "True" | "TRUE" => Kind::Bool(true),
        "false" | "False" | "FALSE" => Kind::Bool(false),
        _ if is_json_number(value) => Kind::Number(value.to_string()),
        _ => Kind::String(value.to_string()),
    }
}

/// Whether `text` is a number as JSON writes one (other YAML numbers,
/// `0x1F` or `.inf`, are read as strings: no policy value is one).
fn is_json_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, rest) = digits.split_at(digits.find(['.', 'e', 'E']).unwrap_or(digits.len()));
    let int_ok = int == "0"
        || (!int.is_empty() && !int.starts_with('0') && int.bytes().all(|b| b.is_ascii_digit()));
    let (fraction, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let fraction_ok = fraction.is_empty()
        || (fraction.len() > 1
            && fraction.starts_with('.')
            && fraction[1..].bytes().all(|b| b.is_ascii_digit()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    int_ok && fraction_ok && exponent_ok
}

/// The error about a lone carriage return at `line`, `column`.
fn at_place(line: usize, column: usize) -> InputError {
    at(
        line,
        column,
        "a line ends with a lone carriage return (CR): refine reads YAML with LF or CRLF line ends",
    )
}

/// An error at a 1-based line and column.
fn at(line: usize, column: usize, message: impl Into<String>) -> InputError {
    InputError {
        location: Location::LineColumn(line, column),
        message: message.into(),
        hint: None,
    }
}

/// The parser counts characters; spans count bytes.
struct Offsets {
    /// The byte offset of each character, when the text is not ASCII.
    bytes: Option<Vec<usize>>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Offsets {
        let bytes = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        Offsets {
            bytes,
            len: text.len(),
        }
    }

    /// The byte offset of character `index` (the end for one past it).
    fn byte(&self, index: usize) -> usize {
        match &self.bytes {
            None => index.min(self.len),
            Some(bytes) => bytes.get(index).copied().unwrap_or(self.len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> serde_json::Value {
        serde_json::Value::from(&read(text).unwrap().tree)
    }

    #[test]
    fn tags_become_long_forms_and_plain_scalars_follow_the_core_schema() {
        let text = "A: !Sub \"${X}:Get*\"\nB: !GetAtt [R, Arn]\nC: [1, 2.5, true, ~, 2012-10-17, 'x']\nD: !Ref P\n";
        assert_eq!(
            tree(text),
            serde_json::json!({
                "A": {"Fn::Sub": "${X}:Get*"},
                "B": {"Fn::GetAtt": ["R", "Arn"]},
                "C": [1, 2.5, true, null, "2012-10-17", "x"],
                "D": {"Ref": "P"}
            })
        );
    }

    #[test]
    fn spans_cover_quotes_tags_and_whole_block_lists() {
        let text = "Action:\n  - s3:GetObject  # c\n  - 's3:Put*'\nFlow: [ \"a\", b ]\nT: !Sub x\n";
        let yaml = read(text).unwrap();
        let slice = |v: &Value| &text[v.span.start..v.span.end];
        let action = &yaml.tree["Action"];
        assert_eq!(slice(action), "- s3:GetObject  # c\n  - 's3:Put*'");
        assert_eq!(slice(&action.as_array().unwrap()[1]), "'s3:Put*'");
        assert_eq!(slice(&yaml.tree["Flow"]), "[ \"a\", b ]");
        assert_eq!(slice(&yaml.tree["T"]), "!Sub x");
        let key = yaml.tree.member("Flow").unwrap().key_span;
        assert_eq!(&text[key.start..key.end], "Flow");
    }

    #[test]
    fn an_empty_value_is_after_its_colon() {
        let text = "a:\n  b: \n";
        let yaml = read(text).unwrap();
        let b = &yaml.tree["a"]["b"];
        assert_eq!((b.span.start, b.span.end), (7, 7));
        assert_eq!(yaml.tree["a"].span.end, 7);
    }

    #[test]
    fn spans_end_before_the_comments_after_them() {
        let text = "a: 'it''s'  # it's\nb: \"x\\\"y\"  # \"\nc: [x, y] # c\n";
        let yaml = read(text).unwrap();
        let slice = |v: &Value| &text[v.span.start..v.span.end];
        assert_eq!(slice(&yaml.tree["a"]), "'it''s'");
        assert_eq!(slice(&yaml.tree["b"]), "\"x\\\"y\"");
        assert_eq!(slice(&yaml.tree["c"]), "[x, y]");
    }

    #[test]
    fn positions_count_characters_as_json_does() {
        let text = "é: 1\nA: \"s3:Get*\"\n";
        let yaml = read(text).unwrap();
        let a = &yaml.tree["A"];
        assert_eq!(&text[a.span.start..a.span.end], "\"s3:Get*\"");
    }

    #[test]
    fn bad_input_names_its_line_and_column() {
        let cases = [
            ("a: 1\na: 2\n", "2:1: duplicate key \"a\""),
            ("a: !Bogus x\n", "1:4: unknown tag !Bogus"),
            ("a: [1, 2\n", "invalid YAML"),
            ("a: 1\n---\nb: 2\n", "2:1: more than one YAML document"),
            ("? [a]\n: 1\n", "a key must be a scalar"),
            (
                "a: 1\rb: 2\n",
                "1:5: a line ends with a lone carriage return",
            ),
        ];
        for (text, expected) in cases {
            let err = read(text).unwrap_err();
            let place = match err.location {
                Location::LineColumn(line, column) => format!("{line}:{column}: "),
                _ => String::new(),
            };
            let got = format!("{place}{}", err.message);
            assert!(got.contains(expected), "{text:?}: {got}");
        }
    }

    #[test]
    fn anchors_and_aliases_are_kept_apart_not_expanded() {
        let yaml = read("a: &x [s3:GetObject]\nb: *x\n").unwrap();
        assert_eq!(yaml.anchors.len(), 2);
        assert!(yaml.tree["b"].is_null());
    }

    #[test]
    fn numbers_are_only_json_numbers() {
        for yes in ["0", "-1", "2.5", "1e5", "1E+2", "-0.5e-3"] {
            assert!(is_json_number(yes), "{yes}");
        }
        for no in [
            "01",
            "0x1F",
            ".inf",
            "1.",
            ".5",
            "1e",
            "+1",
            "",
            "-",
            "2012-10-17",
        ] {
            assert!(!is_json_number(no), "{no}");
        }
    }
}

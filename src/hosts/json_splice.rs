//! Splices into JSON text: the refined statements written into the text of
//! a JSON host in its own layout.
//!
//! `refine` prints the refined policy in one canonical form, which is right
//! for a pipe but wrong for a file under version control: reformatting a
//! hand-written policy buries the two changed lines in a diff of every line.
//! A JSON host instead edits its text, keeping every byte except the
//! Action/NotAction values that change and the statements that are removed,
//! so that a review shows only what refinement did.
//!
//! Where values are comes from the host's tree ([`crate::json::Value`]
//! spans, from the one reading of the file); what they become comes from
//! the refinement's edits. Every change is a replacement of one byte range of
//! the original text, computed up front and applied in one pass, and the
//! host reads the result again and compares it with [`Policy::apply`]: a
//! rewrite that would say anything other than the refined policy is refused
//! rather than written.
//!
//! The layout rules, for an action element that changes:
//!
//! * an array is re-rendered in its own style: one entry per line at the
//!   indentation of its first element, closed at the indentation of its
//!   `]`, with its line ends (`\r\n` or `\n`), when it spanned lines;
//!   otherwise inline, with its own padding inside the brackets and its own
//!   separator between elements (`, ` when it had only one);
//! * a string that stays one entry is replaced by the new string; one that
//!   becomes several entries becomes an array, one entry per line one level
//!   deeper than its key when the statement spans lines, inline otherwise;
//! * a key that changes (`Action` becoming `NotAction`) is replaced in place;
//! * a removed statement goes with one adjacent separator, so that the
//!   statements around it keep their bytes; an array left empty, or a lone
//!   statement object removed, becomes `[]`.

use crate::error::JsonPath;
use crate::input::policy::{Edit, Policy, Statement};
use crate::json::{self, Kind, Member, Value};
use std::fmt;

/// Why a rewrite could not be made: the text and the policy do not agree, or
/// the rewritten text failed the self-check. Either is a bug (in `refine`, or
/// in the caller pairing a policy with another text), not an input error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewriteError {
    /// What went wrong, as one line without a trailing period.
    pub message: String,
}

impl RewriteError {
    /// An error with this message.
    pub(crate) fn new(message: impl Into<String>) -> RewriteError {
        RewriteError {
            message: message.into(),
        }
    }
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot rewrite the policy file: {}", self.message)
    }
}

impl std::error::Error for RewriteError {}

/// A replacement of the bytes `start..end` of the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Splice {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) text: String,
}

impl Splice {
    /// Replaces the whole of `node` by `text`.
    pub(crate) fn node(node: &Value, text: impl Into<String>) -> Splice {
        Splice {
            start: node.span.start,
            end: node.span.end,
            text: text.into(),
        }
    }

    /// Deletes `start..end`.
    fn delete(start: usize, end: usize) -> Splice {
        Splice {
            start,
            end,
            text: String::new(),
        }
    }
}

/// The splices for a document written as JSON: removed statements, and
/// changed action elements of the statements that stay.
pub(crate) fn statement_splices(
    text: &str,
    document: &Value,
    policy: &Policy,
    edits: &[Option<Edit>],
) -> Result<Vec<Splice>, RewriteError> {
    let list = &document
        .member("Statement")
        .ok_or_else(|| RewriteError::new("the document in the text has no Statement"))?
        .value;
    let mut splices = Vec::new();
    if policy.lone_statement {
        let statement = policy.statements.first();
        match (statement, edits.first()) {
            (_, Some(Some(Edit::Remove))) => splices.push(Splice::node(list, "[]")),
            (Some(statement), Some(Some(edit))) => {
                splices.extend(element_splices(text, list, statement, edit)?);
            }
            _ => {}
        }
        return Ok(splices);
    }
    let Kind::Array(elements) = &list.kind else {
        return Err(RewriteError::new(
            "Statement is an array in the policy but not in the text",
        ));
    };
    if elements.len() != policy.statements.len() {
        return Err(RewriteError::new(format!(
            "{} statements in the text, {} in the policy",
            elements.len(),
            policy.statements.len()
        )));
    }
    let kept: Vec<bool> = edits.iter().map(|e| *e != Some(Edit::Remove)).collect();
    match kept.iter().position(|&k| k) {
        None => splices.push(Splice::node(list, "[]")),
        Some(first_kept) => {
            for (r, element) in elements.iter().enumerate().filter(|&(r, _)| !kept[r]) {
                // With a kept element before it, the separator before goes;
                // before the first kept one, the separator after.
                let splice = if r > first_kept {
                    elements
                        .get(r - 1)
                        .map(|before| Splice::delete(before.span.end, element.span.end))
                } else {
                    elements
                        .get(r + 1)
                        .map(|after| Splice::delete(element.span.start, after.span.start))
                };
                splices.extend(splice);
            }
        }
    }
    for ((statement, edit), element) in policy.statements.iter().zip(edits).zip(elements) {
        if let Some(edit) = edit {
            splices.extend(element_splices(text, element, statement, edit)?);
        }
    }
    Ok(splices)
}

/// The splices that give `statement` (at `node` in the text) the action
/// element `edit` makes: its value, and its key when that changes (`Action`
/// becoming `NotAction`); none for a removal, or when nothing changes.
fn element_splices(
    text: &str,
    node: &Value,
    statement: &Statement,
    edit: &Edit,
) -> Result<Vec<Splice>, RewriteError> {
    let Some((key_after, entries)) = edit.element(statement.key) else {
        return Ok(Vec::new());
    };
    let key = statement.key.as_str();
    let member = node
        .member(key)
        .ok_or_else(|| RewriteError::new(format!("no {key} at {} in the text", statement.path)))?;
    let mut splices = Vec::new();
    if key_after != statement.key {
        let end = string_token_end(text, member.key_span.start).ok_or_else(|| {
            RewriteError::new(format!(
                "the key {key} at {} is not a string",
                statement.path
            ))
        })?;
        splices.push(Splice {
            start: member.key_span.start,
            end,
            text: quote(key_after.as_str()),
        });
    }
    let unchanged = key_after == statement.key
        && entries
            .iter()
            .map(String::as_str)
            .eq(statement.entries.iter().map(|glob| glob.as_str()));
    if unchanged && (!statement.was_string || entries.len() == 1) {
        return Ok(splices);
    }
    let value = &member.value;
    let rendered = match &value.kind {
        Kind::Array(items) => render_like(text, value, items, entries),
        Kind::String(_) => match entries {
            [entry] => quote(entry),
            _ => render_new(text, node, member, entries),
        },
        _ => {
            return Err(RewriteError::new(format!(
                "{key} at {} in the text is neither a string nor an array",
                statement.path
            )))
        }
    };
    splices.push(Splice::node(value, rendered));
    Ok(splices)
}

/// The offset just past the JSON string token that starts (with `"`) at
/// `start`, if one does.
fn string_token_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut pos = start + 1;
    while pos < bytes.len() {
        match bytes[pos] {
            b'"' => return Some(pos + 1),
            b'\\' => pos += 2,
            _ => pos += 1,
        }
    }
    None
}

/// `entries` as an array in the style of the array `node` (with elements
/// `items`) it replaces.
fn render_like(text: &str, node: &Value, items: &[Value], entries: &[String]) -> String {
    if entries.is_empty() {
        return "[]".to_string();
    }
    let quoted: Vec<String> = entries.iter().map(|e| quote(e)).collect();
    let inside = node.span.start + 1..node.span.end.saturating_sub(1);
    let own = &text[node.span.start..node.span.end];
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        // An empty array has no style to follow beyond its line ends.
        return match own.contains('\n') {
            true => render_lines(
                &quoted,
                line_end(own),
                &indent_of(text, node.span.end - 1),
                "  ",
            ),
            false => format!("[{}]", quoted.join(", ")),
        };
    };
    let open_gap = &text[inside.start..first.span.start];
    let close_gap = &text[last.span.end..inside.end];
    if !own.contains('\n') {
        let separator = items
            .get(1)
            .map_or(", ", |second| &text[first.span.end..second.span.start]);
        return format!("[{open_gap}{}{close_gap}]", quoted.join(separator));
    }
    let newline = line_end(own);
    // The indentation of the line of `]` (which may hold elements too, and
    // separators first: `    , "b"]`).
    let close_indent = indent_of(text, inside.end);
    // The first element that begins its own line sets the indentation (the
    // first element itself, unless it shares the line of `[`).
    let indent = items
        .iter()
        .find_map(|item| blank_prefix(text, item.span.start))
        .map_or_else(|| format!("{close_indent}  "), str::to_string);
    let open = match open_gap.contains('\n') {
        true => format!("{newline}{indent}"),
        false => open_gap.to_string(),
    };
    let close = match close_gap.contains('\n') {
        true => format!("{newline}{close_indent}"),
        false => close_gap.to_string(),
    };
    let separator = format!(",{newline}{indent}");
    format!("[{open}{}{close}]", quoted.join(&separator))
}

/// `entries` as a new array replacing the string value of `member` in the
/// statement at `statement`: one entry per line, one level deeper than the
/// key's line, when the statement spans lines; else inline.
pub(crate) fn render_new(
    text: &str,
    statement: &Value,
    member: &Member,
    entries: &[String],
) -> String {
    let quoted: Vec<String> = entries.iter().map(|e| quote(e)).collect();
    let own = &text[statement.span.start..statement.span.end];
    if !own.contains('\n') {
        return format!("[{}]", quoted.join(", "));
    }
    let key_indent = indent_of(text, member.key_span.start);
    let statement_indent = indent_of(text, statement.span.start);
    // One level: what the key's line adds to the statement's, if that is
    // a positive amount of the same whitespace.
    let unit = key_indent
        .strip_prefix(statement_indent.as_str())
        .filter(|unit| !unit.is_empty())
        .unwrap_or("  ");
    render_lines(&quoted, line_end(own), &key_indent, unit)
}

/// An array of `quoted` entries, one per line at `indent` + `unit`, closed
/// at `indent`.
fn render_lines(quoted: &[String], newline: &str, indent: &str, unit: &str) -> String {
    let lines: Vec<String> = quoted
        .iter()
        .map(|q| format!("{newline}{indent}{unit}{q}"))
        .collect();
    format!("[{}{newline}{indent}]", lines.join(","))
}

/// Applies `splices` (on `text`, non-overlapping).
pub(crate) fn apply_splices(text: &str, mut splices: Vec<Splice>) -> Result<String, RewriteError> {
    splices.sort_by_key(|s| (s.start, s.end));
    let mut previous_end = 0;
    for splice in &splices {
        let fits = previous_end <= splice.start
            && splice.start <= splice.end
            && text.is_char_boundary(splice.start)
            && text.is_char_boundary(splice.end);
        if !fits {
            return Err(RewriteError::new(format!(
                "overlapping or misplaced edit at bytes {}..{}",
                splice.start, splice.end
            )));
        }
        previous_end = splice.end;
    }
    // One pass front to back: replacing in place from the back would move
    // the tail once per edit, quadratic for a large file with many edits.
    let mut result = String::with_capacity(text.len());
    let mut copied = 0;
    for splice in &splices {
        result.push_str(&text[copied..splice.start]);
        result.push_str(&splice.text);
        copied = splice.end;
    }
    result.push_str(&text[copied..]);
    Ok(result)
}

/// Checks that a rewrite read back (`found`) says exactly `expected`.
pub(crate) fn same_document(expected: &Value, found: &Value) -> Result<(), RewriteError> {
    match first_difference(expected, found) {
        None => Ok(()),
        Some((path, expected, found)) => Err(RewriteError::new(format!(
            "the rewritten text differs from the refined policy at {path}: expected {}, found {}",
            brief(expected),
            brief(found)
        ))),
    }
}

/// The first place where `found` differs from `expected`: its path and the
/// two values there. Walks with its own stack, however deep the values.
fn first_difference<'a>(
    expected: &'a Value,
    found: &'a Value,
) -> Option<(JsonPath, &'a Value, &'a Value)> {
    let mut stack = vec![(JsonPath::root(), expected, found)];
    while let Some((path, expected, found)) = stack.pop() {
        if expected == found {
            continue;
        }
        match (&expected.kind, &found.kind) {
            (Kind::Object(a), Kind::Object(b))
                if a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.key == y.key) =>
            {
                for (x, y) in a.iter().zip(b).rev() {
                    stack.push((path.key(&x.key), &x.value, &y.value));
                }
            }
            (Kind::Array(a), Kind::Array(b)) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate().rev() {
                    stack.push((path.index(i), x, y));
                }
            }
            _ => return Some((path, expected, found)),
        }
    }
    None
}

/// A value for a one-line message: compact JSON, cut at 120 characters.
fn brief(value: &Value) -> String {
    let text = json::write::compact(value);
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// `text` as a JSON string.
pub(crate) fn quote(text: &str) -> String {
    json::write::quoted(text)
}

/// Whether every span of `tree` lies in `text` on character boundaries,
/// with only a byte-order mark and whitespace around the root: the check
/// that `tree` was read from `text`, before any span is sliced.
pub(crate) fn spans_fit(text: &str, tree: &Value) -> bool {
    let fits = |span: json::Span| {
        span.start <= span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end)
    };
    let root = tree.span;
    let around = fits(root)
        && text[..root.start]
            .trim_start_matches('\u{feff}')
            .trim()
            .is_empty()
        && text[root.end..].trim().is_empty();
    let mut stack = vec![tree];
    while let Some(value) = stack.pop() {
        if !fits(value.span) {
            return false;
        }
        match &value.kind {
            Kind::Array(items) => stack.extend(items),
            Kind::Object(members) => {
                for member in members {
                    if !fits(member.key_span) {
                        return false;
                    }
                    stack.push(&member.value);
                }
            }
            _ => {}
        }
    }
    around
}

/// The line end `text` uses: `\r\n` if it has one, else `\n`.
fn line_end(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// The text from the start of the line holding offset `pos` to `pos`.
fn line_prefix(text: &str, pos: usize) -> &str {
    let before = &text[..pos];
    &before[before.rfind('\n').map_or(0, |i| i + 1)..]
}

/// The text before `pos` on its line, if it is only spaces and tabs, i.e.
/// `pos` begins its line after indentation.
fn blank_prefix(text: &str, pos: usize) -> Option<&str> {
    let prefix = line_prefix(text, pos);
    prefix
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
        .then_some(prefix)
}

/// The indentation (leading spaces and tabs) of the line holding `pos`.
fn indent_of(text: &str, pos: usize) -> String {
    line_prefix(text, pos)
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::json_file::JsonFile;

    /// Rewrites `text` with `edits` given as `None`, `Remove`, or entries.
    fn run(text: &str, edits: &[Option<&[&str]>]) -> String {
        let file = JsonFile::read(text).expect("a policy");
        let edits: Vec<Option<Edit>> = edits
            .iter()
            .map(|edit| match edit {
                None => None,
                Some([]) => Some(Edit::Remove),
                Some(entries) => Some(Edit::Entries(
                    entries.iter().map(|e| e.to_string()).collect(),
                )),
            })
            .collect();
        file.rewrite_edits(&edits).expect("a rewrite")
    }

    const KEEP: Option<&[&str]> = None;
    const REMOVE: Option<&[&str]> = Some(&[]);

    fn statement(action: &str) -> String {
        format!(r#"{{"Effect": "Allow", "Action": {action}, "Resource": "*"}}"#)
    }

    fn document(action: &str) -> String {
        format!(r#"{{"Statement": [{}]}}"#, statement(action))
    }

    #[test]
    fn no_edits_return_the_text_as_it_was() {
        let text = "\u{feff}{ \"Statement\" :[ {\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"} ] }  \n\n";
        assert_eq!(run(text, &[KEEP]), text);
    }

    #[test]
    fn inline_arrays_keep_their_padding_and_separator() {
        let x = Some(&["x:A", "x:B", "x:C"][..]);
        assert_eq!(
            run(&document(r#"[ "s3:A", "s3:B" ]"#), &[x]),
            document(r#"[ "x:A", "x:B", "x:C" ]"#)
        );
        assert_eq!(
            run(&document(r#"["s3:A","s3:B"]"#), &[x]),
            document(r#"["x:A","x:B","x:C"]"#)
        );
        assert_eq!(
            run(&document(r#"[ "s3:A" ]"#), &[x]),
            document(r#"[ "x:A", "x:B", "x:C" ]"#)
        );
        assert_eq!(
            run(&document(r#"["s3:A" ,	"s3:B"]"#), &[Some(&["a:\"q\""][..])]),
            document(r#"["a:\"q\""]"#)
        );
    }

    #[test]
    fn arrays_on_several_lines_keep_their_indentation_and_line_ends() {
        let text = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\n\t\t\"s3:A\",\n\t\t\"s3:B\"\n\t]}]}";
        assert_eq!(
            run(text, &[Some(&["x:A", "x:B", "x:C"])]),
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\n\t\t\"x:A\",\n\t\t\"x:B\",\n\t\t\"x:C\"\n\t]}]}"
        );
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(
            run(&crlf, &[Some(&["x:A", "x:B"])]),
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\r\n\t\t\"x:A\",\r\n\t\t\"x:B\"\r\n\t]}]}"
        );
        // The first element on the line of `[`, the last on that of `]`.
        let hugging = "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:A\",\n                                            \"s3:B\"]}]}";
        assert_eq!(
            run(hugging, &[Some(&["x:A", "x:B", "x:C"])]),
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"x:A\",\n                                            \"x:B\",\n                                            \"x:C\"]}]}"
        );
    }

    #[test]
    fn comma_first_arrays_take_only_the_indentation_of_their_last_line() {
        // No element begins its own line: the closing line's indentation
        // (not its separator and elements) sets the new lines'.
        let comma_first =
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:A\"\n    ,    \"s3:B\"]}]}";
        assert_eq!(
            run(comma_first, &[Some(&["x:B", "x:A"])]),
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"x:B\",\n      \"x:A\"]}]}"
        );
    }

    #[test]
    fn a_string_stays_a_string_or_becomes_an_array_in_the_statement_style() {
        assert_eq!(
            run(&document(r#""s3:*""#), &[Some(&["s3:Get*"])]),
            document(r#""s3:Get*""#)
        );
        assert_eq!(
            run(&document(r#""s3:*""#), &[Some(&["s3:Get*", "s3:List*"])]),
            document(r#"["s3:Get*", "s3:List*"]"#)
        );
        let tabs =
            "{\n\t\"Statement\": {\n\t\t\"Effect\": \"Allow\",\n\t\t\"Action\": \"s3:*\"\n\t}\n}\n";
        assert_eq!(
            run(tabs, &[Some(&["s3:Get*", "s3:List*"])]),
            "{\n\t\"Statement\": {\n\t\t\"Effect\": \"Allow\",\n\t\t\"Action\": [\n\t\t\t\"s3:Get*\",\n\t\t\t\"s3:List*\"\n\t\t]\n\t}\n}\n"
        );
        // The key on the line of `{`: no positive level, so two spaces.
        let flat = "{\"Statement\": [{\"Effect\": \"Allow\", \"NotAction\": \"s3:*\",\n\"Resource\": \"*\"}]}";
        assert_eq!(
            run(flat, &[Some(&["s3:*", "sqs:*"])]),
            "{\"Statement\": [{\"Effect\": \"Allow\", \"NotAction\": [\n  \"s3:*\",\n  \"sqs:*\"\n],\n\"Resource\": \"*\"}]}"
        );
    }

    #[test]
    fn removed_statements_take_one_separator_with_them() {
        let s = |action: &str| statement(&format!("\"{action}\""));
        let text = format!(
            "{{\"Statement\": [{}, {},\n{}]}}",
            s("a:A"),
            s("b:B"),
            s("c:C")
        );
        let only = |action: &str| format!("{{\"Statement\": [{}]}}", s(action));
        assert_eq!(run(&text, &[KEEP, REMOVE, REMOVE]), only("a:A"));
        assert_eq!(run(&text, &[REMOVE, KEEP, REMOVE]), only("b:B"));
        assert_eq!(run(&text, &[REMOVE, REMOVE, KEEP]), only("c:C"));
    }

    #[test]
    fn the_self_check_refuses_a_text_that_says_something_else() {
        let text = document(r#"["s3:A", "s3:B"]"#);
        let other_text = text.replace("\"*\"", "\"arn:x\"");
        let other = JsonFile::read(&other_text).unwrap();
        let edits = [Some(Edit::Entries(vec!["s3:A".to_string()]))];
        let refined = other.policy().apply(&edits);
        let written = document(r#"["s3:A"]"#);
        let reread = JsonFile::read(&written).unwrap();
        let err = same_document(&refined, reread.policy().document()).unwrap_err();
        assert_eq!(
            err.message,
            r#"the rewritten text differs from the refined policy at Statement[0].Resource: expected "arn:x", found "*""#
        );
        let two = [None, Some(Edit::Remove)];
        assert!(JsonFile::read(&text).unwrap().rewrite_edits(&two).is_err());
    }

    #[test]
    fn overlapping_splices_are_refused() {
        let splices = vec![Splice::delete(0, 3), Splice::delete(2, 4)];
        assert!(apply_splices("abcdef", splices).is_err());
        let splices = vec![Splice::delete(3, 4), Splice::delete(0, 3)];
        assert_eq!(apply_splices("abcdef", splices).unwrap(), "ef");
        assert!(apply_splices("é", vec![Splice::delete(0, 1)]).is_err());
    }

    #[test]
    fn differences_are_named_by_path() {
        let value = |v: serde_json::Value| Value::from(&v);
        let a = value(serde_json::json!({"S": [{"A": ["x"], "B": 1}], "V": "2"}));
        let b = value(serde_json::json!({"S": [{"A": ["y"], "B": 1}], "V": "2"}));
        let (path, x, y) = first_difference(&a, &b).unwrap();
        assert_eq!(
            (path.to_string(), x.clone(), y.clone()),
            (
                "S[0].A[0]".to_string(),
                Value::string("x"),
                Value::string("y")
            )
        );
        assert!(first_difference(&a, &a.clone()).is_none());
        let c = value(serde_json::json!({"S": [], "V": "2"}));
        assert_eq!(first_difference(&a, &c).unwrap().0.to_string(), "S");
        let reordered = value(serde_json::json!({"V": "2", "S": [{"A": ["x"], "B": 1}]}));
        assert_eq!(
            first_difference(&a, &reordered).unwrap().0.to_string(),
            "(document)"
        );
        assert_eq!(brief(&Value::string("x".repeat(200))).len(), 123);
    }
}

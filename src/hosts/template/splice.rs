//! Splices into a template: refined action elements and removed
//! statements written in the template's own style.
//!
//! * A JSON template's policy with nothing unevaluated in it is written by
//!   the JSON host's own rules (`json_splice.rs`).
//! * A YAML block list keeps every line it can: entries that stay keep
//!   their lines (and comments), entries that go take their line with
//!   them, new entries are new lines at the list's indentation with its
//!   dash spacing, placed where the entry they replace was. Comment lines
//!   between entries stay.
//! * A flow list (`[a, "b"]`, and JSON arrays beside unevaluated entries)
//!   is rewritten with its own brackets, padding and separator.
//! * A scalar that stays one entry keeps its quoting; one that becomes
//!   several becomes a block list two spaces deeper than its key, or a
//!   flow list inside a flow mapping.
//! * New entries are quoted like their neighbours: plain when the
//!   neighbours are and the entry can be (an entry starting with `*` is
//!   quoted), else single or double quotes.
//! * A removed statement takes its lines (block) or its separator (flow);
//!   a list left empty becomes `[]`.
//!
//! Unevaluated entries stay where they are. A statement that refinement
//! removes but that has unevaluated entries keeps them, alone; one whose
//! element would become a NotAction beside them is refused.

use super::view::{Layout, StatementPlace};
use super::{Syntax, Template};
use crate::engine::checked::Checked;
use crate::hosts::json_splice::{self, apply_splices, same_document, RewriteError, Splice};
use crate::input::policy::Edit;
use crate::json::{Kind, Member, Value};

/// The template's text with the refinements written in, read back and
/// checked.
pub(super) fn rewrite(
    template: &Template,
    refined: &[Option<&Checked>],
) -> Result<String, RewriteError> {
    let text = template.text;
    let mut splices = Vec::new();
    for ((placed, embedded), checked) in template.placed.iter().zip(&template.embedded).zip(refined)
    {
        let Some(checked) = checked.filter(|c| c.changed()) else {
            continue;
        };
        let document = template
            .tree
            .at(&placed.document)
            .ok_or_else(|| RewriteError::new("a policy is not in the template"))?;
        let whole = placed.layout.statements.len() == placed.layout.written
            && placed.layout.statements.iter().all(|s| s.opaque.is_empty());
        splices.extend(match (template.syntax, whole) {
            (Syntax::Json, true) => {
                json_splice::statement_splices(text, document, &embedded.policy, checked.edits())?
            }
            _ => document_splices(
                text,
                template.syntax,
                document,
                &placed.layout,
                checked.edits(),
            )?,
        });
    }
    if splices.is_empty() {
        return Ok(text.to_string());
    }
    let result = apply_splices(text, splices)?;
    check(template, refined, &result)?;
    Ok(result)
}

/// Reads `result` back: the same policies at the same places, each saying
/// its refinement (or what it said), with the same unevaluated parts, and
/// nothing else of the template changed.
fn check(
    template: &Template,
    refined: &[Option<&Checked>],
    result: &str,
) -> Result<(), RewriteError> {
    let reread = super::Template::read(result, &template.context).map_err(|err| {
        RewriteError::new(format!("the rewritten template does not read back: {err}"))
    })?;
    if reread.placed.len() != template.placed.len() {
        return Err(RewriteError::new(
            "the rewritten template holds other policies",
        ));
    }
    let mut changed = Vec::new();
    for (i, (before, after)) in template.placed.iter().zip(&reread.placed).enumerate() {
        if before.document != after.document {
            return Err(RewriteError::new(format!(
                "a policy moved from {}",
                before.document
            )));
        }
        let expected = match refined[i] {
            Some(checked) => checked.document(),
            None => template.embedded[i].policy.document(),
        };
        same_document(expected, reread.embedded[i].policy.document())?;
        let (old, new) = (&template.tree, &reread.tree);
        let unevaluated = |tree: &Value, layout: &Layout| -> Vec<Value> {
            tree.at(&before.document)
                .map(|d| unevaluated_parts(d, layout))
                .unwrap_or_default()
        };
        if unevaluated(old, &before.layout) != unevaluated(new, &after.layout) {
            return Err(RewriteError::new(format!(
                "an unevaluated part of {} changed",
                before.document
            )));
        }
        changed.push(before.document.clone());
    }
    if !equal_outside(
        &template.tree,
        &reread.tree,
        &changed,
        &mut crate::error::JsonPath::root(),
    ) {
        return Err(RewriteError::new(
            "the rewrite changed the template outside its policies",
        ));
    }
    Ok(())
}

/// The statements and entries of `document` that refine does not evaluate,
/// in order.
fn unevaluated_parts(document: &Value, layout: &Layout) -> Vec<Value> {
    let statements: Vec<&Value> = match &document["Statement"].kind {
        Kind::Array(items) => items.iter().collect(),
        _ => vec![&document["Statement"]],
    };
    let mut parts = Vec::new();
    for (i, statement) in statements.into_iter().enumerate() {
        match layout.statements.iter().find(|s| s.written == i) {
            None => parts.push(statement.clone()),
            Some(place) => {
                let element = statement
                    .get("Action")
                    .or_else(|| statement.get("NotAction"));
                if let Some(items) = element.and_then(Value::as_array) {
                    parts.extend(place.opaque.iter().filter_map(|&o| items.get(o).cloned()));
                }
            }
        }
    }
    parts
}

/// Whether `a` and `b` are equal everywhere but under the paths `skip`.
fn equal_outside(
    a: &Value,
    b: &Value,
    skip: &[crate::error::JsonPath],
    at: &mut crate::error::JsonPath,
) -> bool {
    if skip.contains(at) {
        return true;
    }
    match (&a.kind, &b.kind) {
        (Kind::Object(x), Kind::Object(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|(m, n)| {
                    at.0.push(crate::error::Segment::Key(m.key.clone()));
                    let same = m.key == n.key && equal_outside(&m.value, &n.value, skip, at);
                    at.0.pop();
                    same
                })
        }
        (Kind::Array(x), Kind::Array(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).enumerate().all(|(i, (m, n))| {
                    at.0.push(crate::error::Segment::Index(i));
                    let same = equal_outside(m, n, skip, at);
                    at.0.pop();
                    same
                })
        }
        _ => a == b,
    }
}

/// The splices for one document with unevaluated parts, or in YAML.
fn document_splices(
    text: &str,
    syntax: Syntax,
    document: &Value,
    layout: &Layout,
    edits: &[Option<Edit>],
) -> Result<Vec<Splice>, RewriteError> {
    let member = document
        .member("Statement")
        .ok_or_else(|| RewriteError::new("the document in the template has no Statement"))?;
    let list = &member.value;
    let mut splices = Vec::new();
    let mut removed = Vec::new();
    for (place, edit) in layout.statements.iter().zip(edits) {
        let Some(edit) = edit else { continue };
        let statement = match layout.lone {
            true => list,
            false => list
                .element(place.written)
                .ok_or_else(|| RewriteError::new("a statement is not in the template"))?,
        };
        match edit {
            Edit::Remove if place.opaque.is_empty() => removed.push(place.written),
            Edit::Remove => splices.extend(element_splices(text, syntax, statement, place, &[])?),
            Edit::Entries(entries) => {
                splices.extend(element_splices(text, syntax, statement, place, entries)?)
            }
            Edit::NotAction(entries) => {
                if !place.opaque.is_empty() {
                    return Err(RewriteError::new(
                        "a statement with unevaluated entries cannot become a NotAction",
                    ));
                }
                let key = statement
                    .member("Action")
                    .ok_or_else(|| RewriteError::new("no Action to turn into NotAction"))?;
                let quoted = match syntax {
                    Syntax::Json => "\"NotAction\"",
                    Syntax::Yaml => "NotAction",
                };
                splices.push(Splice {
                    start: key.key_span.start,
                    end: key.key_span.end,
                    text: quoted.into(),
                });
                splices.extend(element_splices(text, syntax, statement, place, entries)?);
            }
        }
    }
    if !removed.is_empty() {
        splices.extend(removal_splices(text, member, layout, &removed)?);
    }
    Ok(splices)
}

/// The splices that remove the written statements `removed`.
fn removal_splices(
    text: &str,
    member: &Member,
    layout: &Layout,
    removed: &[usize],
) -> Result<Vec<Splice>, RewriteError> {
    let list = &member.value;
    if layout.lone || removed.len() == layout.written {
        return Ok(vec![empty_list(text, member)?]);
    }
    let items = list.as_array().unwrap_or_default();
    if is_flow(text, list) {
        // With a kept item before it, the separator before goes; before
        // the first kept one, the separator after (as in JSON files).
        let first_kept = (0..items.len()).find(|i| !removed.contains(i)).unwrap_or(0);
        return Ok(removed
            .iter()
            .filter_map(|&r| match r > first_kept {
                true => items
                    .get(r.wrapping_sub(1))
                    .map(|before| (before.span.end, items[r].span.end)),
                false => items
                    .get(r + 1)
                    .map(|after| (items[r].span.start, after.span.start)),
            })
            .map(|(start, end)| Splice {
                start,
                end,
                text: String::new(),
            })
            .collect());
    }
    removed
        .iter()
        .map(|&i| {
            let (start, end) = block_unit(text, &items[i])?;
            Ok(Splice {
                start,
                end,
                text: String::new(),
            })
        })
        .collect()
}

/// The splice that makes `member`'s value `[]`, on the key's line.
fn empty_list(text: &str, member: &Member) -> Result<Splice, RewriteError> {
    let between = &text[member.key_span.end..member.value.span.start];
    let colon = between
        .find(':')
        .ok_or_else(|| RewriteError::new("no ':' after a key"))?;
    Ok(Splice {
        start: member.key_span.end + colon + 1,
        end: member.value.span.end,
        text: " []".into(),
    })
}

/// Whether `list` is written in flow style (`[...]`).
fn is_flow(text: &str, list: &Value) -> bool {
    text[list.span.start..].starts_with('[')
}

/// The splices that give one statement's action element the literal
/// `entries`, its unevaluated entries kept.
fn element_splices(
    text: &str,
    syntax: Syntax,
    statement: &Value,
    place: &StatementPlace,
    entries: &[String],
) -> Result<Vec<Splice>, RewriteError> {
    let member = statement
        .as_object()
        .and_then(|members| {
            members
                .iter()
                .find(|m| m.key == "Action" || m.key == "NotAction")
        })
        .ok_or_else(|| RewriteError::new("a statement has no action element"))?;
    let value = &member.value;
    let style = Style::of(text, syntax, value);
    let Kind::Array(items) = &value.kind else {
        return scalar_splices(text, syntax, statement, member, style, entries);
    };
    let pieces = merge(text, items, place, entries, style);
    if is_flow(text, value) {
        return Ok(vec![Splice::node(
            value,
            flow_list(
                text,
                value,
                &pieces.iter().map(|p| p.text.clone()).collect::<Vec<_>>(),
            ),
        )]);
    }
    block_splices(text, items, &pieces)
}

/// One entry of a rewritten list: an entry kept (by its index in the
/// written list) or a new one, as text.
struct Piece {
    kept: Option<usize>,
    text: String,
}

/// The rewritten list: unevaluated entries where they are, literal
/// entries that stay where they are, new ones before the kept entry that
/// follows them in `entries` (or after the last literal entry).
fn merge(
    text: &str,
    items: &[Value],
    place: &StatementPlace,
    entries: &[String],
    style: Style,
) -> Vec<Piece> {
    let literal: Vec<usize> = (0..items.len())
        .filter(|i| !place.opaque.contains(i))
        .collect();
    let mut keeps = vec![None; entries.len()];
    let mut next = 0;
    for (n, entry) in entries.iter().enumerate() {
        if let Some(found) = literal[next..]
            .iter()
            .position(|&i| items[i].as_str() == Some(entry))
        {
            keeps[n] = Some(literal[next + found]);
            next += found + 1;
        }
    }
    let mut before: Vec<Vec<String>> = vec![Vec::new(); items.len()];
    let mut pending = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        match keeps[n] {
            Some(i) => before[i].append(&mut pending),
            None => pending.push(style.quote(entry)),
        }
    }
    let last_literal = literal.last().copied();
    let mut pieces = Vec::new();
    for (i, item) in items.iter().enumerate() {
        pieces.extend(before[i].drain(..).map(|text| Piece { kept: None, text }));
        if place.opaque.contains(&i) || keeps.contains(&Some(i)) {
            pieces.push(Piece {
                kept: Some(i),
                text: text[item.span.start..item.span.end].to_string(),
            });
        }
        if Some(i) == last_literal {
            pieces.extend(pending.drain(..).map(|text| Piece { kept: None, text }));
        }
    }
    pieces
}

/// A flow list of `pieces` in the style of `list`: its opening and
/// padding, its separator, its closing.
fn flow_list(text: &str, list: &Value, pieces: &[String]) -> String {
    let items = list.as_array().unwrap_or_default();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return format!("[{}]", pieces.join(", "));
    };
    if pieces.is_empty() {
        return "[]".to_string();
    }
    let open = &text[list.span.start..first.span.start];
    let close = &text[last.span.end..list.span.end];
    let separator = match items.get(1) {
        Some(second) => text[first.span.end..second.span.start].to_string(),
        None if open.contains('\n') => format!(",{}", &open[1..]),
        None => ", ".to_string(),
    };
    format!("{open}{}{close}", pieces.join(&separator))
}

/// The lines of a block list rewritten to `pieces`: one splice over the
/// list's lines, keeping kept entries' lines and the lines between.
fn block_splices(
    text: &str,
    items: &[Value],
    pieces: &[Piece],
) -> Result<Vec<Splice>, RewriteError> {
    let units = items
        .iter()
        .map(|item| block_unit(text, item))
        .collect::<Result<Vec<_>, _>>()?;
    let (Some(first), Some(last)) = (units.first(), units.last()) else {
        return Err(RewriteError::new("an empty block list"));
    };
    if pieces.is_empty() {
        return Err(RewriteError::new("a block list left empty"));
    }
    let dash = dash_of(text, &items[0])?;
    let indent = &text[first.0..dash];
    let spacing = &text[dash..items[0].span.start];
    let newline = if text[first.0..first.1].ends_with("\r\n")
        || (!text[first.0..first.1].ends_with('\n') && text.contains("\r\n"))
    {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = String::new();
    let mut cursor = first.0;
    let mut p = 0;
    for (i, unit) in units.iter().enumerate() {
        out.push_str(&text[cursor..unit.0]);
        while p < pieces.len() && pieces[p].kept.is_none_or(|k| k <= i) {
            match pieces[p].kept {
                Some(k) if k == i => out.push_str(&text[unit.0..unit.1]),
                Some(_) => {}
                None => {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push_str(newline);
                    }
                    out.push_str(&format!("{indent}{spacing}{}{newline}", pieces[p].text));
                }
            }
            p += 1;
        }
        cursor = unit.1;
    }
    if !text[first.0..last.1].ends_with('\n')
        && out.ends_with(newline)
        && !text[last.0..last.1].ends_with('\n')
    {
        let keep = out.len() - newline.len();
        out.truncate(keep);
    }
    Ok(vec![Splice {
        start: first.0,
        end: last.1,
        text: out,
    }])
}

/// Where the dash of a block list item is.
fn dash_of(text: &str, item: &Value) -> Result<usize, RewriteError> {
    let before = &text[..item.span.start];
    let trimmed = before.trim_end();
    if !trimmed.ends_with('-') {
        return Err(RewriteError::new("a block list item without its dash"));
    }
    let dash = trimmed.len() - 1;
    let line_start = before[..dash].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..dash]
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
    {
        return Err(RewriteError::new(
            "a block list item that does not start its line",
        ));
    }
    Ok(dash)
}

/// The lines of a block list item: from its line's start to past the end
/// of the line it ends on.
fn block_unit(text: &str, item: &Value) -> Result<(usize, usize), RewriteError> {
    let dash = dash_of(text, item)?;
    let start = text[..dash].rfind('\n').map_or(0, |i| i + 1);
    let end = text[item.span.end..]
        .find('\n')
        .map_or(text.len(), |i| item.span.end + i + 1);
    Ok((start, end))
}

/// The splices for a scalar element becoming `entries`.
fn scalar_splices(
    text: &str,
    syntax: Syntax,
    statement: &Value,
    member: &Member,
    style: Style,
    entries: &[String],
) -> Result<Vec<Splice>, RewriteError> {
    let value = &member.value;
    let quoted: Vec<String> = entries.iter().map(|e| style.quote(e)).collect();
    if let [one] = &quoted[..] {
        return Ok(vec![Splice::node(value, one.clone())]);
    }
    if quoted.is_empty() {
        return Err(RewriteError::new("an action element left empty"));
    }
    let flow_mapping = text[statement.span.start..].starts_with('{');
    if syntax == Syntax::Json || flow_mapping {
        let list = match syntax {
            Syntax::Json => json_splice::render_new(text, statement, member, entries),
            Syntax::Yaml => format!("[{}]", quoted.join(", ")),
        };
        return Ok(vec![Splice::node(value, list)]);
    }
    let line_start = text[..member.key_span.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let column: String = text[line_start..member.key_span.start]
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: String = quoted
        .iter()
        .map(|q| format!("{newline}{column}  - {q}"))
        .collect();
    let colon = text[member.key_span.end..value.span.start]
        .find(':')
        .ok_or_else(|| RewriteError::new("no ':' after a key"))?;
    Ok(vec![Splice {
        start: member.key_span.end + colon + 1,
        end: value.span.end,
        text: lines,
    }])
}

/// How new entries are quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

impl Style {
    /// The style of the literal entries of `element` (the first one's);
    /// JSON's always.
    fn of(text: &str, syntax: Syntax, element: &Value) -> Style {
        if syntax == Syntax::Json {
            return Style::Double;
        }
        let first = match &element.kind {
            Kind::Array(items) => items.iter().find(|i| i.as_str().is_some()),
            _ => Some(element),
        };
        match first.map(|v| text[v.span.start..].chars().next()) {
            Some(Some('"')) => Style::Double,
            Some(Some('\'')) => Style::Single,
            _ => Style::Plain,
        }
    }

    /// `entry` in this style (plain only when YAML reads it back as the
    /// same string).
    fn quote(self, entry: &str) -> String {
        let plain_safe = entry
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && entry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ":*?_-.".contains(c))
            && entry.contains(':');
        match self {
            Style::Plain if plain_safe => entry.to_string(),
            Style::Double => json_splice::quote(entry),
            Style::Plain | Style::Single => format!("'{}'", entry.replace('\'', "''")),
        }
    }
}

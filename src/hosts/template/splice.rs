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

use super::lists::{
    block_splices, block_unit, flow_lines, flow_list, merge, scalar_splices, Style,
};
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
        let unevaluated = |tree: &Value| -> Vec<Value> {
            tree.at(&before.document)
                .map(unevaluated_parts)
                .unwrap_or_default()
        };
        if unevaluated(&template.tree) != unevaluated(&reread.tree) {
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

/// What of `document` refine does not evaluate, in order: each statement
/// with an unevaluated part (a function for its Effect or element, an
/// entry that is one), without its literal entries. Refinement keeps
/// these statements (a removed statement keeps its functions), so the
/// list is the same before and after a rewrite.
fn unevaluated_parts(document: &Value) -> Vec<Value> {
    let statements: Vec<&Value> = match &document["Statement"].kind {
        Kind::Array(items) => items.iter().collect(),
        _ => vec![&document["Statement"]],
    };
    let mut parts = Vec::new();
    for statement in statements {
        let whole = super::view::statement_view(statement)
            .is_some_and(|(_, place)| place.opaque.is_empty());
        if whole {
            continue;
        }
        let mut part = statement.clone();
        if let Kind::Object(members) = &mut part.kind {
            for member in members
                .iter_mut()
                .filter(|m| m.key == "Action" || m.key == "NotAction")
            {
                if let Kind::Array(items) = &mut member.value.kind {
                    items.retain(|item| item.as_str().is_none());
                }
            }
        }
        parts.push(part);
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
    if is_flow(text, list) && one_per_line(text, items) {
        return Ok(flow_line_removals(text, items, removed));
    }
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
            let (mut start, end) = block_unit(text, &items[i])?;
            // The text's last line, without a line end: the line end before
            // it goes instead, so the text still ends without one.
            if end == text.len() && !text.ends_with('\n') {
                start = text[..start]
                    .trim_end_matches('\n')
                    .trim_end_matches('\r')
                    .len();
            }
            Ok(Splice {
                start,
                end,
                text: String::new(),
            })
        })
        .collect()
}

/// Whether every item of a flow list starts its own line.
fn one_per_line(text: &str, items: &[Value]) -> bool {
    items.iter().all(|item| {
        let line_start = text[..item.span.start].rfind('\n').map_or(0, |i| i + 1);
        text[line_start..item.span.start]
            .bytes()
            .all(|b| b == b' ' || b == b'\t')
    })
}

/// Removals from a flow list of one item per line: each removed item's
/// lines go (with its separator and comment), and when the items after
/// the last kept one go, so does that one's separator (JSON has no
/// trailing comma), its comment staying.
fn flow_line_removals(text: &str, items: &[Value], removed: &[usize]) -> Vec<Splice> {
    let mut splices = Vec::new();
    for &r in removed {
        let item = &items[r];
        let start = text[..item.span.start].rfind('\n').map_or(0, |i| i + 1);
        let next = items.get(r + 1).map_or(text.len(), |n| n.span.start);
        // To the end of its line, or of the separator's when the
        // separator starts the next line.
        let mut end = item.span.end;
        loop {
            let line_end = text[end..next].find('\n').map_or(next, |i| end + i + 1);
            end = line_end;
            if end >= next
                || !text[end..next]
                    .trim_start_matches([' ', '\t'])
                    .starts_with(',')
            {
                break;
            }
        }
        let end = end.min(next).max(item.span.end);
        let end = match items.get(r + 1) {
            Some(_) => end,
            // The last item: its line goes, not the closing bracket's.
            None => text[item.span.end..]
                .find('\n')
                .map_or(item.span.end, |i| item.span.end + i + 1)
                .min(end.max(item.span.end)),
        };
        splices.push(Splice {
            start,
            end,
            text: String::new(),
        });
    }
    let last_kept = (0..items.len()).rev().find(|i| !removed.contains(i));
    if let Some(kept) = last_kept.filter(|&k| k + 1 < items.len()) {
        let gap_end = items[kept + 1].span.start;
        let gap = &text[items[kept].span.end..gap_end];
        let before_comment = gap.find('#').unwrap_or(gap.len());
        if let Some(comma) = gap[..before_comment].find(',') {
            let at = items[kept].span.end + comma;
            splices.push(Splice {
                start: at,
                end: at + 1,
                text: String::new(),
            });
        }
    }
    splices
}

/// The splice that makes `member`'s value `[]`, on the key's line.
fn empty_list(text: &str, member: &Member) -> Result<Splice, RewriteError> {
    let between = &text[member.key_span.end..member.value.span.start];
    let colon = between
        .find(':')
        .ok_or_else(|| RewriteError::new("no ':' after a key"))?;
    // A comment on the key's line stays there.
    let comment = match between.find('#') {
        Some(hash) => {
            let eol = between[hash..]
                .find('\n')
                .map_or(between.len(), |e| hash + e);
            let blanks = between[..hash].trim_end_matches([' ', '\t']).len();
            between[blanks.max(colon + 1)..eol]
                .trim_end_matches('\r')
                .to_string()
        }
        None => String::new(),
    };
    Ok(Splice {
        start: member.key_span.end + colon + 1,
        end: member.value.span.end,
        text: format!(" []{comment}"),
    })
}

/// Whether `list` is written in flow style (`[...]`).
pub(super) fn is_flow(text: &str, list: &Value) -> bool {
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
        let list = flow_lines(text, value, items, &pieces)
            .unwrap_or_else(|| flow_list(text, value, &pieces));
        return Ok(vec![Splice::node(value, list)]);
    }
    block_splices(text, items, &pieces)
}

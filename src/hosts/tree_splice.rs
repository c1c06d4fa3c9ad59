//! Splices into a document written as a tree (a template's YAML or JSON,
//! Terraform's HCL): refined action elements and removed statements
//! written in the host's own style.
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

//!
//! In HCL (`jsonencode({...})` and `statement` blocks) entries are always
//! double-quoted, a scalar that becomes several entries becomes a tuple
//! `[...]`, `Action` becomes `NotAction` (and a block's `actions` becomes
//! `not_actions`), and a removed `statement` block takes its lines.

use crate::hosts::json_splice::{RewriteError, Splice};
use crate::hosts::lists::{
    block_splices, block_unit, flow_lines, flow_list, merge, scalar_splices, Style,
};
use crate::hosts::view::{Layout, StatementPlace};
use crate::hosts::Syntax;
use crate::input::policy::Edit;
use crate::json::{Kind, Member, Value};

/// What of `document` refine does not evaluate, in order: each statement
/// with an unevaluated part (a function for its Effect or element, an
/// entry that is one), without its literal entries. Refinement keeps
/// these statements (a removed statement keeps its functions), so the
/// list is the same before and after a rewrite.
pub(crate) fn unevaluated_parts(document: &Value) -> Vec<Value> {
    let statements: Vec<&Value> = match &document["Statement"].kind {
        Kind::Array(items) => items.iter().collect(),
        _ => vec![&document["Statement"]],
    };
    let mut parts = Vec::new();
    for statement in statements {
        let whole = crate::hosts::view::statement_view(statement)
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

/// The splices for one document with unevaluated parts, or in YAML.
pub(crate) fn document_splices(
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
            Edit::NotAction(entries) | Edit::Action(entries) => {
                let to_not = matches!(edit, Edit::NotAction(_));
                if !place.opaque.is_empty() {
                    return Err(RewriteError::new(
                        "a statement with unevaluated entries cannot change its action key",
                    ));
                }
                let key = statement
                    .member(if to_not { "Action" } else { "NotAction" })
                    .ok_or_else(|| RewriteError::new("no action element to rename"))?;
                splices.push(renamed_key(text, syntax, key, to_not));
                splices.extend(element_splices(text, syntax, statement, place, entries)?);
            }
        }
    }
    if !removed.is_empty() {
        splices.extend(removal_splices(text, syntax, member, layout, &removed)?);
    }
    Ok(splices)
}

/// The splice that renames an action element's key: `Action` to
/// `NotAction` (`to_not`) or back, in the host's spelling (Terraform's
/// `actions` and `not_actions`, quoted as they were). An HCL key aligned
/// with its neighbours' (`actions   =`) keeps the `=` where it was, as far
/// as the new length allows.
fn renamed_key(text: &str, syntax: Syntax, key: &Member, to_not: bool) -> Splice {
    let written = &text[key.key_span.start..key.key_span.end];
    // (Terraform's name before, after; IAM's name after.)
    let (tf_from, tf_to, iam) = match to_not {
        true => ("actions", "not_actions", "NotAction"),
        false => ("not_actions", "actions", "Action"),
    };
    let iam_from = if to_not { "Action" } else { "NotAction" };
    let renamed = if written == tf_from {
        tf_to.to_string()
    } else if written.trim_matches('"') == tf_from {
        format!("\"{tf_to}\"")
    } else if syntax == Syntax::Yaml || (syntax == Syntax::Hcl && written == iam_from) {
        iam.to_string()
    } else {
        format!("\"{iam}\"")
    };
    let padding = text[key.key_span.end..]
        .bytes()
        .take_while(|&b| b == b' ')
        .count();
    let keep = match syntax {
        Syntax::Hcl if padding > 0 => (padding + written.len())
            .saturating_sub(renamed.len())
            .max(1),
        _ => padding,
    };
    Splice {
        start: key.key_span.start,
        end: key.key_span.end + padding,
        text: format!("{renamed}{}", " ".repeat(keep)),
    }
}

/// The splices that remove the written statements `removed`.
fn removal_splices(
    text: &str,
    syntax: Syntax,
    member: &Member,
    layout: &Layout,
    removed: &[usize],
) -> Result<Vec<Splice>, RewriteError> {
    let list = &member.value;
    let items = list.as_array().unwrap_or_default();
    if member.key_span.start == member.key_span.end {
        // Terraform's `statement` blocks, which no key names: each removed
        // block takes its lines.
        return Ok(removed
            .iter()
            .filter_map(|&r| items.get(r))
            .map(|block| block_lines(text, block))
            .collect());
    }
    if layout.lone || removed.len() == layout.written {
        return Ok(vec![empty_list(text, member)?]);
    }
    if is_flow(text, list) && one_per_line(text, items) {
        return Ok(flow_line_removals(text, items, removed, syntax));
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

/// The splice that removes a Terraform `statement` block's lines; when
/// the block is the last of its body (a `}` line follows), the blank line
/// before it goes too, so that no blank line is left before the `}`.
fn block_lines(text: &str, block: &Value) -> Splice {
    let mut start = text[..block.span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[block.span.end..]
        .find('\n')
        .map_or(text.len(), |i| block.span.end + i + 1);
    let next_line = text[end..].lines().next().unwrap_or_default();
    if next_line.trim() == "}" && start > 0 {
        let before = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        if text[before..start].trim().is_empty() {
            start = before;
        }
    }
    Splice {
        start,
        end,
        text: String::new(),
    }
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
fn flow_line_removals(
    text: &str,
    items: &[Value],
    removed: &[usize],
    syntax: Syntax,
) -> Vec<Splice> {
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
    // HCL allows a comma after the last item: a list written with one
    // keeps it.
    let trailing = items.last().is_some_and(|last| {
        text[last.span.end..]
            .trim_start_matches([' ', '\t'])
            .starts_with(',')
    });
    if syntax == Syntax::Hcl && trailing {
        return splices;
    }
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
    // `:` in YAML and JSON, `=` (or `:`) in HCL.
    let colon = between
        .find([':', '='])
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
pub(crate) fn is_flow(text: &str, list: &Value) -> bool {
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

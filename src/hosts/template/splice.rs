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

use super::{Syntax, Template};
use crate::engine::checked::Checked;
use crate::hosts::json_splice::{self, apply_splices, same_document, RewriteError};
use crate::hosts::tree_splice::{document_splices, unevaluated_parts};
use crate::json::{Kind, Value};

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

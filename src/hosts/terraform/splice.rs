//! Splices into a `.tf` file: the refined lists written in the file's own
//! style (the rules of [`crate::hosts::tree_splice`]: a one-line list
//! stays one line, a list of one entry per line keeps its lines,
//! indentation, comments and trailing comma), JSON in a heredoc by the
//! JSON host's rules; then the result read again and checked.

use super::TerraformFile;
use crate::engine::checked::Checked;
use crate::hosts::json_splice::{self, apply_splices, same_document, RewriteError};
use crate::hosts::tree_splice::{document_splices, unevaluated_parts};
use crate::hosts::Syntax;
use crate::json::Span;

/// The file's text with the refinements written in, read back and
/// checked.
pub(super) fn rewrite(
    file: &TerraformFile,
    refined: &[Option<&Checked>],
) -> Result<String, RewriteError> {
    let text = file.text.as_str();
    let mut splices = Vec::new();
    for ((placed, embedded), checked) in file.placed.iter().zip(&file.embedded).zip(refined) {
        let Some(checked) = checked.filter(|c| c.changed()) else {
            continue;
        };
        let document = file
            .tree
            .at(&placed.document)
            .ok_or_else(|| RewriteError::new("a policy is not in the file"))?;
        let whole = placed.layout.statements.len() == placed.layout.written
            && placed.layout.statements.iter().all(|s| s.opaque.is_empty());
        // JSON in a heredoc or a policy file is a policy document, written
        // by the JSON host's rules; a `.tf.json` document is Terraform's
        // (`actions`, `statement`), written by the tree's.
        let document_json = file.written != super::Written::Json;
        splices.extend(match (placed.syntax, whole && document_json) {
            (Syntax::Json, true) => {
                json_splice::statement_splices(text, document, &embedded.policy, checked.edits())?
            }
            (syntax, _) => {
                document_splices(text, syntax, document, &placed.layout, checked.edits())?
            }
        });
    }
    if splices.is_empty() {
        return Ok(text.to_string());
    }
    let result = apply_splices(text, splices)?;
    check(file, refined, &result)?;
    Ok(result)
}

/// Reads `result` back: the same policies at the same addresses, each
/// saying its refinement (or what it said), with the same unevaluated
/// parts, and every byte outside the changed documents the same.
fn check(
    file: &TerraformFile,
    refined: &[Option<&Checked>],
    result: &str,
) -> Result<(), RewriteError> {
    let reread = TerraformFile::read_as(result, &file.written, &file.set_aside).map_err(|err| {
        RewriteError::new(format!("the rewritten file does not read back: {err}"))
    })?;
    if reread.placed.len() != file.placed.len() {
        return Err(RewriteError::new("the rewritten file holds other policies"));
    }
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (i, (was, now)) in file.placed.iter().zip(&reread.placed).enumerate() {
        if was.document != now.document {
            return Err(RewriteError::new(format!(
                "a policy moved from {}",
                was.document
            )));
        }
        let expected = match refined[i] {
            Some(checked) => checked.document(),
            None => file.embedded[i].policy.document(),
        };
        same_document(expected, reread.embedded[i].policy.document())?;
        let document = |host: &TerraformFile| host.tree.at(&was.document).cloned();
        let (Some(old), Some(new)) = (document(file), document(&reread)) else {
            return Err(RewriteError::new("a policy is not in the rewritten file"));
        };
        if unevaluated_parts(&old) != unevaluated_parts(&new) {
            return Err(RewriteError::new(format!(
                "an unevaluated part of {} changed",
                was.document
            )));
        }
        if refined[i].is_some_and(Checked::changed) {
            before.push(old.span);
            after.push(new.span);
        }
    }
    if !same_outside(&file.text, &before, result, &after) {
        return Err(RewriteError::new(
            "the rewrite changed the file outside its policies",
        ));
    }
    Ok(())
}

/// Whether `a` outside the spans `in_a` is `b` outside `in_b`, gap by gap.
fn same_outside(a: &str, in_a: &[Span], b: &str, in_b: &[Span]) -> bool {
    let gaps = |text: &str, spans: &[Span]| -> Option<Vec<String>> {
        let mut sorted = spans.to_vec();
        sorted.sort_by_key(|s| s.start);
        let mut out = Vec::new();
        let mut cursor = 0;
        for span in sorted {
            out.push(text.get(cursor..span.start)?.to_string());
            cursor = cursor.max(span.end);
        }
        out.push(text.get(cursor..)?.to_string());
        Some(out)
    };
    matches!((gaps(a, in_a), gaps(b, in_b)), (Some(x), Some(y)) if x == y)
}

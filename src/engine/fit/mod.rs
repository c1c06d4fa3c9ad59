//! `--fit`: a refined policy over its size limit, brought under it by the
//! least loss of precision, never beyond the original.
//!
//! IAM counts a policy's characters without whitespace, so writing the
//! document compactly saves nothing IAM counts: refine keeps the layout
//! (see the README's "Size limits"). What can make it shorter, in order:
//!
//! 1. **Merging** `Allow` statements written with `Action` that share their
//!    context (Effect, Resource, NotResource, Condition): one statement
//!    with the entries of both allows exactly what the two did. The first
//!    statement of each group keeps its Sid and place; the others go.
//!    Groups are merged in the order they are written until the policy
//!    fits. A host that keeps parts of the policy unevaluated (a
//!    template's functions) is not merged: those parts cannot move.
//! 2. **Re-admitting** unused actions, by one of three steps on a
//!    statement:
//!    * *widen*: replace every entry that the word prefix `svc:W*` covers
//!      by `svc:W*`, where `W` is a word prefix of one of them (or by one
//!      of the original's own entries). The prefix must be within the
//!      original statement's language (for an `Action` original, inside
//!      one of its entries; for a `NotAction` original written as `Action`,
//!      overlapping none of its exclusions), so nothing new is granted;
//!    * *drop* one exclusion refinement added to a `NotAction` list;
//!    * *revert* the statement to the original as written.
//!
//!    Each step saves characters and re-admits the unused actions it newly
//!    allows, each weighted by its access level ([`weight`]). Steps are
//!    taken greedily, best ratio of characters saved to weight re-admitted
//!    first (a step that re-admits nothing first of all), until the policy
//!    fits. Ratios go stale as steps change a statement, so each is
//!    re-evaluated when it comes to the top ("lazy greedy").
//!
//! Greedy is not always optimal: the README's "Size limits" says by how
//! much on exhaustively searched cases, and a test pins one case where it
//! is not. Every re-admitted action is listed ([`Readmission`]); the proof
//! ([`crate::engine::checked`]) tolerates exactly those as still allowed
//! unused actions, and checks everything else as for an exact refinement.

mod place;
mod state;

use crate::engine::refine::Refined;
use crate::input::findings::Usage;
use crate::input::policy::Policy;
use crate::model::catalog::AccessLevel;
use crate::model::size;
use state::State;
use std::fmt;

/// What `--fit` must reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// The most characters the refined policy may have, counted as IAM
    /// counts them ([`size::of`]).
    pub cap: usize,
    /// Whether statements may be merged: not when the host keeps parts of
    /// the policy unevaluated.
    pub merge: bool,
    /// `--exact`: no new wildcards, so widening only to the original's own
    /// entries.
    pub exact: bool,
}

/// The policy cannot be brought under its cap without granting more than
/// the original: even re-admitting every unused action leaves it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge {
    /// The smallest size `--fit` reached.
    pub reached: usize,
    /// The original's size.
    pub original: usize,
    /// The cap.
    pub cap: usize,
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--fit cannot bring the policy under {} characters: with the unused actions re-admitted it still has {} (the original has {})",
            self.cap, self.reached, self.original
        )
    }
}

impl std::error::Error for TooLarge {}

impl TooLarge {
    /// What to tell the user.
    pub const HINT: &'static str =
        "split the policy's statements into several policies; if --max-size or --limit set the cap, raise it";
}

/// How much re-admitting one unused action of `level` costs: granting a
/// principal more power costs more than letting it read. Permissions
/// management (who may do what) is the costliest, then Write; Tagging can
/// change what tag-based conditions allow, so it costs more than reading;
/// an action whose level the catalog does not know costs as Write.
pub fn weight(level: AccessLevel) -> u64 {
    match level {
        AccessLevel::List => 1,
        AccessLevel::Read => 2,
        AccessLevel::Tagging => 4,
        AccessLevel::Write | AccessLevel::Unknown => 8,
        AccessLevel::PermissionsManagement => 16,
    }
}

/// Brings `refined` (the exact refinement of `policy`) under `fit.cap`;
/// unchanged when it is already there.
pub fn fit(
    policy: &Policy,
    mut refined: Refined,
    usage: &Usage,
    fit: Fit,
) -> Result<Refined, TooLarge> {
    if size::of(&refined.document) <= fit.cap {
        return Ok(refined);
    }
    let mut state = State::new(policy, &refined, usage, fit);
    if fit.merge {
        state.merge();
    }
    state.readmit();
    let edits = state.edits();
    let document = policy.apply(&edits);
    let reached = size::of(&document);
    if reached > fit.cap {
        return Err(TooLarge {
            reached,
            original: size::of(policy.document()),
            cap: fit.cap,
        });
    }
    state.update_changes(&mut refined.changes);
    refined.readmitted = state.readmissions();
    refined.merged = std::mem::take(&mut state.merged);
    refined.document = document;
    refined.edits = edits;
    Ok(refined)
}

#[cfg(test)]
mod tests;

//! Proof that a refined policy grants nothing new, and, given the unused
//! set, that it keeps everything used and nothing unused.
//!
//! **No new access** is decided on glob *languages*, not on today's catalog:
//! `s3:GetObject*` is not inside `{s3:GetObject, s3:GetObjectAcl}` even if
//! the catalog holds nothing else under `GetObject`, because AWS adds
//! actions every week. Every refined Allow statement must be matched to an
//! original Allow statement with the same [context](Statement::context)
//! (Effect, Resource, NotResource, Condition, Principal, NotPrincipal), and
//! its actions must be contained in that statement's, exactly:
//!
//! | refined \ original | `Action` O | `NotAction` N |
//! |---|---|---|
//! | `Action` R | each r ⊆ ∪O | no r overlaps any n |
//! | `NotAction` M | everything outside M is in ∪O | each n ⊆ ∪M |
//!
//! When several original statements share the context and all use
//! `Action`, the union of their entries is the bound. Every original Deny
//! statement must still be there, unchanged (a refined Deny that is new
//! only takes access away, so it is not an error). Each failure comes with a
//! witness: a concrete action string the refined policy allows and the
//! original does not, found by [`crate::model::pattern::witness`].
//!
//! **With the unused set**, over the catalog: every action an original
//! Allow statement allows and the input does not call unused must be
//! allowed by a refined statement of the same context (nothing used
//! dropped), and no refined Allow statement without a principal may allow an
//! unused action (refinement complete). Statements with a Principal or
//! NotPrincipal are resource-policy grants that refinement never changes, so
//! completeness does not apply to them.

pub use crate::input::findings::Usage;
use crate::input::policy::{ActionKey, Effect, Policy, Statement};
use crate::json::Value;
use crate::model::catalog::ActionSet;
use crate::model::fasthash::FastMap;
use crate::model::pattern::{self, Glob, TooComplex};

mod index;
mod reason;
mod usage;

use index::{Bound, ContextKey, Contexts};
pub use reason::{Kind, Reason, Side};
use usage::{check_new_denies, check_usage};

/// Checks `refined` against `original`; with `usage`, also that nothing
/// used was dropped and nothing unused is left. An empty result is a pass.
pub fn verify(original: &Policy, refined: &Policy, usage: Option<&Usage>) -> Vec<Reason> {
    verify_tolerating(original, refined, usage, None)
}

/// [`verify`], except that a refined statement may still allow the unused
/// actions of `tolerated`: those `--fit` re-admitted and reports list.
/// Everything else is checked as for an exact refinement.
pub fn verify_tolerating(
    original: &Policy,
    refined: &Policy,
    usage: Option<&Usage>,
    tolerated: Option<&ActionSet>,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let version = |policy: &Policy| {
        // No Version means 2008-10-17, where `${...}` is literal text.
        let version = policy.document().get("Version").and_then(Value::as_str);
        version.unwrap_or("2008-10-17").to_string()
    };
    if version(original) != version(refined) {
        if let Some(first) = refined.statements.first() {
            reasons.push(Reason::new(
                Kind::VersionChanged,
                Side::Refined,
                first,
                "Version",
                version(refined),
            ));
        }
    }
    let original = Contexts::new(original);
    let refined = Contexts::new(refined);
    let mut bounds: FastMap<&ContextKey, Candidates> = FastMap::default();
    for (statement, key) in refined.allows() {
        check_no_new_access(&original, statement, key, &mut bounds, &mut reasons);
    }
    for (deny, key) in original.iter().filter(|(s, _)| s.effect == Effect::Deny) {
        if !refined.has_same(deny, key) {
            let entry = deny.entries.first().map_or("", Glob::as_str);
            let witness = some_member(deny).unwrap_or_default();
            reasons.push(Reason::new(
                Kind::DenyChanged,
                Side::Original,
                deny,
                entry,
                witness,
            ));
        }
    }
    if let Some(usage) = usage {
        check_usage(&original, &refined, usage, tolerated, &mut reasons);
        check_new_denies(&original, &refined, usage, &mut reasons);
    }
    reasons
}

/// Witnesses for people: each new-access reason gets, where the catalog
/// has one, a real action that shows it (`s3:GetObjectAcl`: the refined
/// entry allows it, and no original Allow statement of the same context
/// does) instead of the shortest string; otherwise it says its witness is
/// no action yet. A changed Deny names an action of the catalog it denied.
/// The verdict is unchanged: only the example is chosen.
pub fn with_catalog_witnesses(
    mut reasons: Vec<Reason>,
    original: &Policy,
    refined: &Policy,
    catalog: &crate::model::catalog::Catalog,
) -> Vec<Reason> {
    // A Deny that changed: an action of the catalog it denied.
    for reason in reasons.iter_mut().filter(|r| r.kind == Kind::DenyChanged) {
        let denied = original
            .statements
            .get(reason.index)
            .filter(|s| s.key == ActionKey::Action)
            .and_then(|_| catalog.matching(&Glob::new(&reason.entry)).iter().next());
        if let Some(id) = denied {
            reason.witness = catalog.full_name(id);
        }
    }
    for reason in reasons.iter_mut().filter(|r| r.kind == Kind::NewAccess) {
        let Some(statement) = refined.statements.get(reason.index) else {
            continue;
        };
        if statement.key != ActionKey::Action {
            continue;
        }
        let context = statement.context();
        let mut allowed = catalog.empty_set();
        for same in original
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && s.context() == context)
        {
            allowed.union_with(&same.allowed_actions(catalog));
        }
        let mut shown = catalog.matching(&Glob::new(&reason.entry));
        shown.difference_with(&allowed);
        let real = shown.iter().next();
        reason.witness_in_catalog = Some(real.is_some());
        if let Some(id) = real {
            reason.witness = catalog.full_name(id);
        }
    }
    reasons
}

/// The shape of every IAM action, `service:Name`. Witnesses are searched
/// only among strings of this shape: a string without a colon is not an
/// action, so it cannot be access, and `s3:Delete` reads better than ``.
fn action_shape() -> Glob {
    Glob::new("?*:?*")
}

/// A shortest action-shaped string that every glob of `all` matches and no
/// glob of `none` does.
pub(super) fn action_witness(all: &[&Glob], none: &[Glob]) -> Result<Option<String>, TooComplex> {
    let shape = action_shape();
    let mut all = all.to_vec();
    all.push(&shape);
    pattern::witness(&all, none)
}

/// The shortest action a statement allows, for messages: an entry's
/// shortest match, or for NotAction the shortest action outside it.
fn some_member(statement: &Statement) -> Option<String> {
    let found = match statement.key {
        ActionKey::Action => return some_member_of(statement.entries.first()?),
        ActionKey::NotAction => action_witness(&[], &statement.entries),
    };
    found.ok().flatten()
}

/// Checks one refined Allow statement against the original statements of
/// its context.
fn check_no_new_access<'a>(
    original: &'a Contexts,
    refined: &Statement,
    key: &'a ContextKey,
    bounds: &mut FastMap<&'a ContextKey, Candidates<'a>>,
    reasons: &mut Vec<Reason>,
) {
    let Candidates {
        statements: candidates,
        all_action,
        bound,
    } = bounds
        .entry(key)
        .or_insert_with(|| Candidates::new(original, key));
    if candidates.is_empty() {
        let entry = match refined.key {
            ActionKey::Action => refined.entries.first().map_or("", Glob::as_str),
            ActionKey::NotAction => "NotAction",
        };
        let witness = some_member(refined).unwrap_or_default();
        reasons.push(Reason::new(
            Kind::UnmatchedStatement,
            Side::Refined,
            refined,
            entry,
            witness,
        ));
        return;
    }
    let failure = if refined.key == ActionKey::Action && *all_action {
        action_in_bound(refined, bound).err()
    } else {
        // Mixed kinds: the refined statement must fit inside one of them.
        // Report against the candidate with the same Sid, else the first.
        let mut first_failure = None;
        let preferred = candidates
            .iter()
            .position(|c| c.sid.is_some() && c.sid == refined.sid)
            .unwrap_or(0);
        let mut passed = false;
        for (i, candidate) in candidates.iter().enumerate() {
            match contained(refined, candidate) {
                Ok(()) => {
                    passed = true;
                    break;
                }
                Err(failure) if i == preferred || first_failure.is_none() => {
                    first_failure = Some(failure)
                }
                Err(_) => {}
            }
        }
        if passed {
            None
        } else {
            first_failure
        }
    };
    if let Some((kind, entry, witness)) = failure {
        reasons.push(Reason::new(kind, Side::Refined, refined, &entry, witness));
    }
}

/// The original Allow statements of one context, and their Action entries
/// indexed: computed once per context, however many refined statements
/// share it.
struct Candidates<'a> {
    statements: Vec<&'a Statement>,
    /// Whether every one of them uses Action (not NotAction).
    all_action: bool,
    bound: Bound<'a>,
}

impl<'a> Candidates<'a> {
    fn new(original: &'a Contexts, key: &ContextKey) -> Candidates<'a> {
        let statements: Vec<&Statement> = original
            .with_key(key)
            .filter(|s| s.effect == Effect::Allow)
            .collect();
        let all_action = statements.iter().all(|c| c.key == ActionKey::Action);
        let bound = Bound::new(if all_action {
            statements.iter().flat_map(|c| &c.entries).collect()
        } else {
            Vec::new()
        });
        Candidates {
            statements,
            all_action,
            bound,
        }
    }
}

/// A failed containment: the kind, the offending entry and the witness.
type Failure = (Kind, String, String);

/// Whether `refined`'s language is inside `original`'s (see the module table).
fn contained(refined: &Statement, original: &Statement) -> Result<(), Failure> {
    let undecided =
        |entry: &str, err: TooComplex| (Kind::Undecided, entry.to_string(), err.to_string());
    match (refined.key, original.key) {
        (ActionKey::Action, ActionKey::Action) => {
            action_in_bound(refined, &Bound::new(original.entries.iter().collect()))
        }
        (ActionKey::Action, ActionKey::NotAction) => {
            for r in &refined.entries {
                for n in &original.entries {
                    match action_witness(&[r, n], &[]) {
                        Ok(None) => {}
                        Ok(Some(w)) => return Err((Kind::NewAccess, r.as_str().to_string(), w)),
                        Err(err) => return Err(undecided(r.as_str(), err)),
                    }
                }
            }
            Ok(())
        }
        (ActionKey::NotAction, ActionKey::NotAction) => {
            // Refined NotAction must exclude all the original excluded. The
            // usual refinement only appends entries, so each original entry
            // is inside one refined entry (itself, as a rule): checked
            // pairwise first, because the union search over many `?` and
            // `*` globs can need more automaton states than it may use.
            for n in &original.entries {
                if refined.entries.iter().any(|r| pattern::contains(r, n)) {
                    continue;
                }
                match action_witness(&[n], &refined.entries) {
                    Ok(None) => {}
                    Ok(Some(w)) => return Err((Kind::NewAccess, "NotAction".to_string(), w)),
                    Err(err) => return Err(undecided("NotAction", err)),
                }
            }
            Ok(())
        }
        (ActionKey::NotAction, ActionKey::Action) => {
            let outside: Vec<Glob> = refined
                .entries
                .iter()
                .chain(&original.entries)
                .cloned()
                .collect();
            match action_witness(&[], &outside) {
                Ok(None) => Ok(()),
                Ok(Some(w)) => Err((Kind::NewAccess, "NotAction".to_string(), w)),
                Err(err) => Err(undecided("NotAction", err)),
            }
        }
    }
}

/// Each Action entry of `refined` inside the union of `bound`: a pairwise
/// fast path first (nearly every refined entry sits inside one original
/// entry), the exact union search only when that fails.
fn action_in_bound(refined: &Statement, bound: &Bound) -> Result<(), Failure> {
    for entry in &refined.entries {
        if bound.covers(entry) {
            continue;
        }
        let owned: Vec<Glob> = bound.entries.iter().map(|g| (*g).clone()).collect();
        match action_witness(&[entry], &owned) {
            Ok(None) => {}
            Ok(Some(w)) => return Err((Kind::NewAccess, entry.as_str().to_string(), w)),
            Err(err) => return Err((Kind::Undecided, entry.as_str().to_string(), err.to_string())),
        }
    }
    Ok(())
}

/// The shortest action an entry matches.
pub(super) fn some_member_of(entry: &Glob) -> Option<String> {
    action_witness(&[entry], &[]).ok().flatten()
}

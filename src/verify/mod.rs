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
//! original does not, found by [`crate::pattern::witness`].
//!
//! **With the unused set**, over the catalog: every action an original
//! Allow statement allows and the input does not call unused must be
//! allowed by a refined statement of the same context (nothing used
//! dropped), and no refined Allow statement without a principal may allow an
//! unused action (refinement complete). Statements with a Principal or
//! NotPrincipal are resource-policy grants that refinement never changes, so
//! completeness does not apply to them.

use crate::catalog::{ActionSet, Catalog};
use crate::pattern::{self, Glob, TooComplex};
use crate::policy::{ActionKey, Effect, Policy, Statement};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

mod index;
mod reason;

use index::{signature, Bound, Contexts};
pub use reason::{Kind, Reason, Side};

/// The catalog and unused set, for the checks that need findings.
pub struct Usage<'a> {
    /// The catalog (extended by unknown unused actions, as for refinement).
    pub catalog: &'a Catalog,
    /// The unused actions.
    pub unused: &'a ActionSet,
}

/// Checks `refined` against `original`; with `usage`, also that nothing
/// used was dropped and nothing unused is left. An empty result is a pass.
pub fn verify(original: &Policy, refined: &Policy, usage: Option<&Usage>) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let version = |policy: &Policy| {
        // No Version means 2008-10-17, where `${...}` is literal text.
        let version = policy.document.get("Version").and_then(Value::as_str);
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
    let mut bounds: HashMap<&str, Candidates> = HashMap::new();
    for (statement, key) in refined.allows() {
        check_no_new_access(&original, statement, key, &mut bounds, &mut reasons);
    }
    for (deny, key) in original.iter().filter(|(s, _)| s.effect == Effect::Deny) {
        if !refined.has(&signature(deny, key)) {
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
        check_usage(&original, &refined, usage, &mut reasons);
        check_new_denies(&original, &refined, usage, &mut reasons);
    }
    reasons
}

/// Verifies refine's own output (the self-check every run makes before it
/// prints or writes anything): `Err` with the first reason, which is a bug
/// in refine, when the refined document does not read back or does not
/// pass [`verify`] with the unused set.
pub fn self_check(
    original: &Policy,
    refined: &crate::refine::Refined,
    catalog: &Catalog,
    unused: &ActionSet,
) -> Result<(), String> {
    let refined_policy = crate::policy::from_value(refined.document.clone())
        .map_err(|err| format!("the refined document does not read back: {err}"))?;
    let usage = Usage { catalog, unused };
    match verify(original, &refined_policy, Some(&usage)).first() {
        Some(reason) => Err(reason.describe()),
        None => Ok(()),
    }
}

/// What to tell the user when the self-check fails.
pub const SELF_CHECK_HINT: &str =
    "this is a bug in refine: nothing was written; please report it with the policy and findings";

/// The shape of every IAM action, `service:Name`. Witnesses are searched
/// only among strings of this shape: a string without a colon is not an
/// action, so it cannot be access, and `s3:Delete` reads better than ``.
fn action_shape() -> Glob {
    Glob::new("?*:?*")
}

/// A shortest action-shaped string that every glob of `all` matches and no
/// glob of `none` does.
fn action_witness(all: &[&Glob], none: &[Glob]) -> Result<Option<String>, TooComplex> {
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
    key: &'a str,
    bounds: &mut HashMap<&'a str, Candidates<'a>>,
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
    fn new(original: &'a Contexts, key: &str) -> Candidates<'a> {
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

/// The catalog actions a statement allows, and those of them it allows
/// through entries refinement can act on: an `Action` entry that matches
/// only actions the catalog does not know (added for the run from the
/// findings) is kept as written by refinement, since what else it grants is
/// unknown, so completeness does not count it — but only when the original
/// wrote that entry (`written`); one the refinement added counts like any
/// other. One pass of matching.
fn allowed_and_refinable(
    catalog: &Catalog,
    statement: &Statement,
    written: &[&str],
) -> (ActionSet, ActionSet) {
    if statement.key == ActionKey::NotAction || catalog.added().is_empty() {
        let all = statement.allowed_actions(catalog);
        return (all.clone(), all);
    }
    let (mut all, mut refinable) = (catalog.empty_set(), catalog.empty_set());
    for glob in &statement.entries {
        let matched = catalog.matching(glob);
        let kept_as_written =
            matched.is_subset(catalog.added()) && written.contains(&glob.as_str());
        if !kept_as_written {
            refinable.union_with(&matched);
        }
        all.union_with(&matched);
    }
    (all, refinable)
}

/// The checks over the catalog: nothing used dropped, nothing unused left.
fn check_usage(original: &Contexts, refined: &Contexts, usage: &Usage, reasons: &mut Vec<Reason>) {
    let catalog = usage.catalog;
    // Entries the original wrote in each context: only those may stay
    // unrefined for matching nothing but actions the catalog lacks. Only
    // needed, and computed once per context, when the catalog was extended.
    let mut written: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut refined_allowed: Vec<(&Statement, &str, ActionSet, ActionSet)> = Vec::new();
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (statement, key) in refined.allows() {
        let written = if catalog.added().is_empty() {
            &[][..]
        } else {
            written.entry(key).or_insert_with(|| {
                original
                    .with_key(key)
                    .flat_map(|s| s.entries.iter().map(Glob::as_str))
                    .collect()
            })
        };
        let (all, refinable) = allowed_and_refinable(catalog, statement, written);
        by_key.entry(key).or_default().push(refined_allowed.len());
        refined_allowed.push((statement, key, all, refinable));
    }
    // What each context's refined statements allow together, computed once.
    let mut union_by_key: HashMap<&str, ActionSet> = HashMap::new();
    for (_, key, all, _) in &refined_allowed {
        union_by_key
            .entry(key)
            .or_insert_with(|| catalog.empty_set())
            .union_with(all);
    }
    for (statement, key) in original.allows() {
        // A statement that is still there, unchanged, keeps what it allowed.
        if refined.has(&signature(statement, key)) {
            continue;
        }
        if !everything_unused(catalog, usage.unused) {
            let same_context = || -> Vec<&Statement> {
                let same = by_key.get(key).map(Vec::as_slice).unwrap_or_default();
                same.iter().map(|&i| refined_allowed[i].0).collect()
            };
            reasons.extend(unknown_dropped(catalog, statement, same_context));
        }
        let mut used = statement.allowed_actions(catalog);
        used.difference_with(usage.unused);
        if let Some(union) = union_by_key.get(key) {
            used.difference_with(union);
        }
        reasons.extend(first_action(
            catalog,
            &used,
            Kind::UsedDropped,
            Side::Original,
            statement,
        ));
    }
    for (statement, _, _, refinable) in refined_allowed.iter().filter(|r| !r.0.has_principal) {
        let mut left = refinable.clone();
        left.intersect_with(usage.unused);
        reasons.extend(first_action(
            catalog,
            &left,
            Kind::UnusedAllowed,
            Side::Refined,
            statement,
        ));
    }
}

/// A Deny the original did not have takes access away, so it is no new
/// access; but when it denies a used action, that action is dropped as
/// surely as if its Allow had gone. What it denies is taken over the
/// catalog with Resource and Condition aside: a Deny narrower than that may
/// still block the use, so it is reported (a false alarm at worst, never a
/// false pass).
fn check_new_denies(
    original: &Contexts,
    refined: &Contexts,
    usage: &Usage,
    reasons: &mut Vec<Reason>,
) {
    let catalog = usage.catalog;
    let mut used: Option<ActionSet> = None;
    for (deny, key) in refined.iter().filter(|(s, _)| s.effect == Effect::Deny) {
        if original.has(&signature(deny, key)) {
            continue;
        }
        let used = used.get_or_insert_with(|| {
            let mut used = catalog.empty_set();
            for (statement, _) in original.allows() {
                used.union_with(&statement.allowed_actions(catalog));
            }
            used.difference_with(usage.unused);
            used
        });
        let mut blocked = deny.allowed_actions(catalog);
        blocked.intersect_with(used);
        reasons.extend(first_action(
            catalog,
            &blocked,
            Kind::UsedDenied,
            Side::Refined,
            deny,
        ));
    }
}

/// Whether every catalog action is unused (an unused role): then even
/// entries the catalog does not know may go.
fn everything_unused(catalog: &Catalog, unused: &ActionSet) -> bool {
    unused.len() == catalog.len()
}

/// The first entry of `statement` that names nothing the catalog knows and
/// that the refined statements of its context no longer allow, as a
/// language: refinement must keep such entries, since what they grant may
/// be used.
fn unknown_dropped<'s>(
    catalog: &Catalog,
    statement: &Statement,
    refined: impl FnOnce() -> Vec<&'s Statement>,
) -> Option<Reason> {
    if statement.key != ActionKey::Action {
        return None;
    }
    // Only statements with such entries need the refined ones looked at.
    let unknown: Vec<&Glob> = statement
        .entries
        .iter()
        .filter(|entry| {
            let mut matched = catalog.matching(entry);
            matched.difference_with(catalog.added());
            matched.is_empty()
        })
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let refined = refined();
    // Entries kept as written (the rule for unknown ones) are found by
    // their text, ignoring case as matching does; only the others need
    // comparing as languages, which for thousands of entries against
    // thousands would be quadratic.
    let written: HashSet<String> = refined
        .iter()
        .filter(|r| r.key == ActionKey::Action)
        .flat_map(|r| r.entries.iter().map(|g| g.as_str().to_ascii_lowercase()))
        .collect();
    let still_allowed = |entry: &Glob| {
        written.contains(&entry.as_str().to_ascii_lowercase())
            || refined.iter().any(|r| match r.key {
                ActionKey::Action => r
                    .entries
                    .iter()
                    .any(|outer| pattern::contains(outer, entry)),
                ActionKey::NotAction => r
                    .entries
                    .iter()
                    .all(|n| matches!(action_witness(&[entry, n], &[]), Ok(None))),
            })
    };
    unknown
        .into_iter()
        .find(|entry| !still_allowed(entry))
        .map(|entry| {
            let witness = some_member_of(entry).unwrap_or_default();
            Reason::new(
                Kind::UnknownDropped,
                Side::Original,
                statement,
                entry.as_str(),
                witness,
            )
        })
}

/// The shortest action an entry matches.
fn some_member_of(entry: &Glob) -> Option<String> {
    action_witness(&[entry], &[]).ok().flatten()
}

/// A reason about the first action of `set`, if it has one, naming the
/// statement's entry that allows it.
fn first_action(
    catalog: &Catalog,
    set: &ActionSet,
    kind: Kind,
    side: Side,
    statement: &Statement,
) -> Option<Reason> {
    let id = set.iter().next()?;
    let name = catalog.full_name(id);
    let entry = entry_allowing(statement, &name);
    Some(Reason::new(kind, side, statement, &entry, name))
}

/// The statement's entry that allows `action` (for NotAction, `NotAction`).
fn entry_allowing(statement: &Statement, action: &str) -> String {
    match statement.key {
        ActionKey::Action => statement
            .entries
            .iter()
            .find(|g| g.matches(action))
            .map_or_else(String::new, |g| g.as_str().to_string()),
        ActionKey::NotAction => "NotAction".to_string(),
    }
}

//! The checks that need the unused set: nothing used dropped (in the
//! catalog, among entries it does not know, and among services newer than
//! it), nothing unused left, no new Deny of something used.

use super::index::{ContextKey, Contexts};
use super::{action_witness, some_member_of, Kind, Reason, Side};
use crate::input::findings::Usage;
use crate::input::policy::{ActionKey, Effect, Statement};
use crate::model::catalog::{ActionSet, Catalog};
use crate::model::fasthash::{FastMap, FastSet};
use crate::model::pattern::{self, Glob};

/// The catalog actions a statement allows, and those of them it allows
/// through entries refinement can act on: an `Action` entry that matches
/// only actions the catalog does not know (added for the run from the
/// findings) is kept as written by refinement, since what else it grants is
/// unknown, so completeness does not count it — but only when the original
/// wrote that entry (`written`) and not everything it matches is known to
/// be unused; one the refinement added counts like any other. One pass of
/// matching; the second set is `None` when it is the first.
fn allowed_and_refinable(
    usage: &Usage,
    statement: &Statement,
    written: &FastSet<&str>,
) -> (ActionSet, Option<ActionSet>) {
    let catalog = usage.catalog;
    let may_keep = !catalog.added().is_empty() || usage.beyond.keeps_new_services();
    if statement.key == ActionKey::NotAction || !may_keep {
        return (statement.allowed_actions(catalog), None);
    }
    // Only an entry the original wrote can be kept as written, so only
    // those are matched alone; when none is, both sets are one union. Each
    // entry is matched once for the union, which also says whether it
    // matches anything.
    let kept_as_written = |glob: &Glob, matches_any: bool| {
        if !written.contains(glob.as_str()) {
            return false;
        }
        let reaches = reaches_new_services(usage, glob);
        // Without added actions, only an entry matching nothing is a subset.
        if !reaches && catalog.added().is_empty() && matches_any {
            return false;
        }
        let matched = catalog.matching(glob);
        !usage.wholly_unused(glob, &matched) && (reaches || matched.is_subset(catalog.added()))
    };
    let mut all = catalog.empty_set();
    let kept: Vec<bool> = statement
        .entries
        .iter()
        .map(|glob| {
            let matches_any = catalog.add_matching(glob, &mut all);
            kept_as_written(glob, matches_any)
        })
        .collect();
    if !kept.contains(&true) {
        return (all, None);
    }
    let mut refinable = catalog.empty_set();
    for (glob, _) in statement.entries.iter().zip(&kept).filter(|(_, &k)| !k) {
        catalog.add_matching(glob, &mut refinable);
    }
    (all, Some(refinable))
}

/// Whether refinement keeps `glob` as written because its service part is
/// a wildcard that reaches services newer than the catalog (see
/// [`crate::engine::refine`]).
pub(super) fn reaches_new_services(usage: &Usage, glob: &Glob) -> bool {
    usage.beyond.keeps_new_services()
        && glob.literal_service().is_none()
        && !crate::engine::refine::grants_every_action(glob)
}

/// A refined Allow statement with what it allows over the catalog.
struct RefinedAllow<'a> {
    statement: &'a Statement,
    key: &'a ContextKey,
    all: ActionSet,
    /// What it allows through entries refinement can act on, when that is
    /// not `all`.
    refinable: Option<ActionSet>,
}

/// The checks over the catalog: nothing used dropped, nothing unused left.
pub(super) fn check_usage(
    original: &Contexts,
    refined: &Contexts,
    usage: &Usage,
    tolerated: Option<&ActionSet>,
    reasons: &mut Vec<Reason>,
) {
    let catalog = usage.catalog;
    // Entries the original wrote in each context: only those may stay
    // unrefined for matching nothing but actions the catalog lacks. Only
    // needed, and computed once per context, when the catalog was extended.
    let mut written: FastMap<&ContextKey, FastSet<&str>> = FastMap::default();
    let mut refined_allowed: Vec<RefinedAllow> = Vec::new();
    let mut by_key: FastMap<&ContextKey, Vec<usize>> = FastMap::default();
    let nothing = FastSet::default();
    for (statement, key) in refined.allows() {
        let written = if catalog.added().is_empty() && !usage.beyond.keeps_new_services() {
            &nothing
        } else {
            written.entry(key).or_insert_with(|| {
                original
                    .with_key(key)
                    .flat_map(|s| s.entries.iter().map(Glob::as_str))
                    .collect()
            })
        };
        let (all, refinable) = allowed_and_refinable(usage, statement, written);
        by_key.entry(key).or_default().push(refined_allowed.len());
        refined_allowed.push(RefinedAllow {
            statement,
            key,
            all,
            refinable,
        });
    }
    // What each context's refined statements allow together, computed once.
    let mut union_by_key: FastMap<&ContextKey, ActionSet> = FastMap::default();
    for allowed in &refined_allowed {
        union_by_key
            .entry(allowed.key)
            .or_insert_with(|| catalog.empty_set())
            .union_with(&allowed.all);
    }
    let all: Vec<&Statement> = original
        .iter()
        .chain(refined.iter())
        .map(|(s, _)| s)
        .collect();
    let new_services = NewServices::new(catalog, &all);
    for (statement, key) in original.allows() {
        // A statement that is still there, unchanged, keeps what it allowed.
        if refined.has_same(statement, key) {
            continue;
        }
        let same_context = || -> Vec<&Statement> {
            let same = by_key.get(key).map(Vec::as_slice).unwrap_or_default();
            same.iter().map(|&i| refined_allowed[i].statement).collect()
        };
        reasons.extend(unknown_dropped(usage, statement, same_context));
        if usage.beyond.keeps_new_services() {
            reasons.extend(new_services.dropped(statement, &same_context()));
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
    for allowed in refined_allowed
        .iter()
        .filter(|r| !r.statement.has_principal)
    {
        let mut left = allowed.refinable.as_ref().unwrap_or(&allowed.all).clone();
        left.intersect_with(usage.unused);
        if let Some(tolerated) = tolerated {
            left.difference_with(tolerated);
        }
        reasons.extend(first_action(
            catalog,
            &left,
            Kind::UnusedAllowed,
            Side::Refined,
            allowed.statement,
        ));
    }
}

/// Services the catalog does not know, which statements that reach them
/// must keep granting unless nothing is used or the catalog is current
/// (see [`crate::input::findings::Beyond::keeps_new_services`]).
///
/// A statement that grants every service stands for all of them, so it is
/// tested with one probe action that no entry can single out: a service and
/// an action name made of one character that no entry of either policy
/// mentions, each longer than any entry. A glob can match such a string
/// only through `*` and `?`, so one that matches it matches nearly every
/// action name of every service; adding `newservice:*` to a per-service
/// rewrite of `*` does not pass for keeping them. An entry whose service
/// part is a wildcard (`*:List*`, `s3*:Get*`) reaches services the catalog
/// does not know too, and cannot be narrowed to them: it must stay granted
/// as a language.
pub(super) struct NewServices {
    probe: String,
}

impl NewServices {
    /// The probe for these two policies' statements.
    pub(super) fn new(catalog: &Catalog, statements: &[&Statement]) -> NewServices {
        let entries = || statements.iter().flat_map(|s| s.entries.iter());
        let longest = entries()
            .map(|g| g.as_str().chars().count())
            .max()
            .unwrap_or(0);
        // The ASCII characters the entries mention, folded: one pass, not
        // one per candidate letter.
        let mut mentioned = [false; 128];
        for byte in entries().flat_map(|g| g.as_str().bytes()) {
            if byte.is_ascii() {
                mentioned[usize::from(byte.to_ascii_lowercase())] = true;
            }
        }
        let letter = ('a'..='z')
            .chain('0'..='9')
            .find(|c| !mentioned[*c as usize])
            .unwrap_or('\u{1c2}');
        let mut part: String = std::iter::repeat_n(letter, longest + 1).collect();
        while catalog.service(&part).is_some() {
            part.push(letter);
        }
        NewServices {
            probe: format!("{part}:{part}"),
        }
    }

    /// Whether the entries of a statement with key `key` allow the probe.
    fn allows(&self, key: ActionKey, entries: &[Glob]) -> bool {
        let matched = entries.iter().any(|g| g.matches(&self.probe));
        matched == (key == ActionKey::Action)
    }

    /// A reason when the original `statement` reached services the catalog
    /// does not know and `refined` (its context's refined Allow
    /// statements) no longer does.
    pub(super) fn dropped(&self, statement: &Statement, refined: &[&Statement]) -> Option<Reason> {
        let reason = |entry: &str, witness: String| {
            Some(Reason::new(
                Kind::NewServicesDropped,
                Side::Original,
                statement,
                entry,
                witness,
            ))
        };
        if self.allows(statement.key, &statement.entries) {
            if refined.iter().any(|r| self.allows(r.key, &r.entries)) {
                return None;
            }
            let entry = match statement.key {
                ActionKey::Action => statement
                    .entries
                    .iter()
                    .find(|g| g.matches(&self.probe))
                    .map_or("*", |g| g.as_str()),
                ActionKey::NotAction => "NotAction",
            };
            return reason(entry, self.probe.clone());
        }
        if statement.key != ActionKey::Action {
            return None;
        }
        let kept = |entry: &Glob| {
            refined.iter().any(|r| {
                r.key == ActionKey::Action
                    && r.entries
                        .iter()
                        .any(|outer| pattern::contains(outer, entry))
            })
        };
        let lost = statement
            .entries
            .iter()
            .filter(|g| g.literal_service().is_none())
            .find(|g| !kept(g))?;
        let witness = lost
            .as_str()
            .split_once(':')
            .map(|(_, name)| format!("newservice:{}", name.replace(['*', '?'], "")))
            .unwrap_or_default();
        reason(lost.as_str(), witness)
    }
}

/// A Deny the original did not have takes access away, so it is no new
/// access; but when it denies a used action, that action is dropped as
/// surely as if its Allow had gone. What it denies is taken over the
/// catalog with Resource and Condition aside: a Deny narrower than that may
/// still block the use, so it is reported (a false alarm at worst, never a
/// false pass).
pub(super) fn check_new_denies(
    original: &Contexts,
    refined: &Contexts,
    usage: &Usage,
    reasons: &mut Vec<Reason>,
) {
    let catalog = usage.catalog;
    let mut used: Option<ActionSet> = None;
    for (deny, key) in refined.iter().filter(|(s, _)| s.effect == Effect::Deny) {
        if original.has_same(deny, key) {
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

/// The first entry of `statement` that names nothing the catalog knows,
/// is not known to grant only unused actions, and that the refined
/// statements of its context no longer allow, as a language: refinement
/// must keep such entries, since what they grant may be used.
fn unknown_dropped<'s>(
    usage: &Usage,
    statement: &Statement,
    refined: impl FnOnce() -> Vec<&'s Statement>,
) -> Option<Reason> {
    if statement.key != ActionKey::Action {
        return None;
    }
    let catalog = usage.catalog;
    // Only statements with such entries need the refined ones looked at.
    let unknown: Vec<&Glob> = statement
        .entries
        .iter()
        .filter(|entry| {
            if catalog.added().is_empty() && catalog.matches_any(entry) {
                return false;
            }
            let matched = catalog.matching(entry);
            matched.is_subset(catalog.added()) && !usage.wholly_unused(entry, &matched)
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
    let written: FastSet<String> = refined
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
                // Excluded only where an exclusion is an exact name known
                // to be unused.
                ActionKey::NotAction => r.entries.iter().all(|n| {
                    (n.is_literal() && usage.wholly_unused(n, &catalog.matching(n)))
                        || matches!(action_witness(&[entry, n], &[]), Ok(None))
                }),
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

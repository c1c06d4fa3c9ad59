//! Statement refinement: the unused actions out, every used one kept.
//!
//! For each `Allow` statement with `Action` and no principal, each entry `p`
//! is looked at on its own. With `M(p)` the catalog actions it matches and
//! `U` the unused set:
//!
//! * everything `p` can match, in the catalog and beyond it, is unused (see
//!   [`Usage::wholly_unused`]: an exact name in `U`, an entry confined to a
//!   service the findings call wholly unused, anything of an unused role):
//!   dropped;
//! * `M(p)` holds nothing the catalog knows (retired, misspelled, newer than
//!   the catalog): kept as written and named in a warning, since what it
//!   grants may be used;
//! * `M(p) ∩ U` empty: kept exactly as written;
//! * `M(p) ⊆ U`: dropped;
//! * otherwise: replaced, at its position, by the sorted
//!   [`cover`] of `M(p) − U` bounded by `p`.
//!
//! A statement that changed then loses any entry another of its entries
//! covers (as glob languages), keeping the first of equals; a statement left
//! with no entries is removed.
//!
//! A statement whose `Action` grants every action (`*`) also grants every
//! service the catalog does not know. Unless nothing is used or the catalog
//! is current ([`crate::input::findings::Beyond::keeps_new_services`]), it becomes
//! `NotAction` of the cover of `U`, which keeps granting them.
//!
//! `Allow` with `NotAction` allows everything outside its entries, so the
//! cover of the unused actions it allows is *added* to `NotAction`, with
//! prefixes safe when everything they match is unused or already excluded.
//! When everything such a statement allows over the catalog is unused, it
//! is removed — it grants nothing used, and removing it only narrows — but
//! only when the services newer than the catalog, which it also grants,
//! need not be kept. `Deny` statements and statements with a `Principal` or
//! `NotPrincipal` are never changed.

use crate::engine::cover::cover;
use crate::error::{quote, InputError, JsonPath};
use crate::input::findings::Usage;
use crate::input::policy::{ActionKey, Edit, Effect, Policy, Statement};
use crate::json::Value;
use crate::model::catalog::{ActionId, ActionSet, Catalog};
use crate::model::fasthash::{FastMap, FastSet};
use crate::model::pattern::{self, Glob};

/// What happened to one entry of the original policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryChange {
    /// Index of the statement in the original policy.
    pub statement: usize,
    /// How messages name the statement (Sid or index).
    pub label: String,
    /// Path of the entry in the input.
    pub path: JsonPath,
    /// The entry as written (for NotAction: the element, e.g. `NotAction`).
    pub entry: String,
    /// The unused actions the entry granted.
    pub unused: Vec<ActionId>,
    /// The entry also granted actions the catalog does not know, all of
    /// them unused (an exact name the findings list, or a wildcard confined
    /// to a service they call wholly unused): it goes although `unused`
    /// may be empty.
    pub beyond_catalog: bool,
    /// What replaces the entry (empty when it is dropped).
    pub replacement: Vec<String>,
}

/// The result of refining a policy.
#[derive(Debug, Clone)]
pub struct Refined {
    /// The refined document.
    pub document: Value,
    /// Every entry that grants unused actions, and what became of it.
    pub changes: Vec<EntryChange>,
    /// Per statement: `None` if unchanged, else the edit made.
    pub edits: Vec<Option<Edit>>,
    /// Warnings for stderr (entries the catalog does not know), each with
    /// the entry's place in the input.
    pub warnings: Vec<InputError>,
    /// True when the original allowed something and the refined policy
    /// allows nothing: the policy should be detached, not rewritten.
    pub grants_nothing: bool,
    /// A wildcard was narrowed or dropped over the catalog: an action AWS
    /// added after the catalog was made, under that wildcard, went with it.
    pub narrowed_wildcards: bool,
    /// The unused actions `--fit` re-admitted to bring the policy under its
    /// size limit, per statement (empty without `--fit`, or when the exact
    /// refinement fits).
    pub readmitted: Vec<Readmission>,
    /// `(into, from)`: statement `from` of the original was merged into
    /// statement `into` by `--fit` (same context).
    pub merged: Vec<(usize, usize)>,
}

/// Unused actions a refined statement still allows because `--fit`
/// re-admitted them to bring the policy under its size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readmission {
    /// Index of the statement in the original policy.
    pub statement: usize,
    /// How messages name the statement (Sid or index).
    pub label: String,
    /// Path of the statement's action element in the input.
    pub path: JsonPath,
    /// The unused actions it allows.
    pub actions: Vec<ActionId>,
}

impl Refined {
    /// Whether refinement changed anything.
    pub fn changed(&self) -> bool {
        self.edits.iter().any(Option::is_some)
    }
}

/// How to refine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Write exact action names only, never a new wildcard, in Action
    /// statements: the refined policy then grants nothing AWS adds later,
    /// not even under a prefix the original covered. (Entries added to
    /// NotAction may still be prefixes: they exclude, so they only narrow.)
    pub exact: bool,
}

/// Refines `policy` against what `usage` says is unused.
pub fn refine(policy: &Policy, usage: &Usage) -> Refined {
    refine_with(policy, usage, Options::default())
}

/// [`refine`] with options.
pub fn refine_with(policy: &Policy, usage: &Usage, options: Options) -> Refined {
    let mut run = Run {
        catalog: usage.catalog,
        unused: usage.unused,
        usage,
        options,
        changes: Vec::new(),
        warnings: Vec::new(),
        narrowed_wildcards: false,
    };
    let edits: Vec<Option<Edit>> = policy
        .statements
        .iter()
        .map(|statement| match statement.key {
            _ if statement.effect == Effect::Deny || statement.has_principal => None,
            ActionKey::Action => run.action(statement),
            ActionKey::NotAction => run.not_action(statement),
        })
        .collect();
    let allow = |s: &&Statement| s.effect == Effect::Allow;
    let had_allow = policy.statements.iter().any(|s| allow(&s));
    let kept_allow = policy
        .statements
        .iter()
        .filter(allow)
        .any(|s| edits[s.index] != Some(Edit::Remove));
    Refined {
        document: policy.apply(&edits),
        changes: run.changes,
        edits,
        warnings: run.warnings,
        grants_nothing: had_allow && !kept_allow,
        narrowed_wildcards: run.narrowed_wildcards,
        readmitted: Vec::new(),
        merged: Vec::new(),
    }
}

/// About how many characters IAM counts for `entries` as a list: each
/// quoted, with a comma.
fn entries_chars(entries: &[String]) -> usize {
    entries.iter().map(|e| e.chars().count() + 3).sum()
}

/// [`entries_chars`] of an edit's entries (none for a removed statement).
fn edit_chars(edit: Option<&Edit>) -> usize {
    match edit {
        Some(Edit::Entries(entries) | Edit::NotAction(entries) | Edit::Action(entries)) => {
            entries_chars(entries)
        }
        Some(Edit::Remove) | None => 0,
    }
}

/// Whether `glob` matches every action of every service, the catalog's and
/// any added later: `*`, `*:*` and the like.
pub fn grants_every_action(glob: &Glob) -> bool {
    glob.prefix_star() == Some("") || pattern::contains(glob, &Glob::new("?*:?*"))
}

/// What becomes of an exact action name ([`Run::literal`]).
enum Literal {
    /// Everything it can match is unused: it goes (the unused actions of
    /// the catalog it names, none when only its service is known unused).
    Unused(Vec<ActionId>),
    /// It grants nothing unused: kept as written.
    Kept,
}

/// One refinement: its inputs, and what it has found so far.
struct Run<'a> {
    catalog: &'a Catalog,
    unused: &'a ActionSet,
    usage: &'a Usage<'a>,
    options: Options,
    changes: Vec<EntryChange>,
    warnings: Vec<InputError>,
    narrowed_wildcards: bool,
}

impl Run<'_> {
    /// The catalog actions `glob` matches, and whether any of them is one
    /// the catalog actually knows (not only [added](Catalog::added) for
    /// this run from the findings).
    fn matching(&self, glob: &Glob) -> (ActionSet, bool) {
        let matched = self.catalog.matching(glob);
        let knows_any = !matched.is_subset(self.catalog.added());
        (matched, knows_any)
    }

    /// Warns that an entry names nothing the catalog knows.
    fn warn_unknown(&mut self, statement: &Statement, i: usize, glob: &Glob, matched: &ActionSet) {
        let message = if matched.is_empty() {
            format!("{} matches no action in the catalog (retired, misspelled, or newer than the catalog): kept as written", quote(glob.as_str()))
        } else {
            let names: Vec<String> = matched
                .iter()
                .map(|id| self.catalog.full_name(id))
                .collect();
            let what = if matched.intersects(self.unused) {
                "grants unused actions"
            } else {
                "matches only actions"
            };
            format!(
                "{} {what} the catalog does not know ({}), and what else it grants is unknown: kept as written",
                quote(glob.as_str()),
                crate::input::findings::abbreviate(&names)
            )
        };
        self.warnings
            .push(InputError::at(&statement.entry_path(i), message));
    }

    /// Records what became of entry `i` of `statement`.
    fn record(
        &mut self,
        statement: &Statement,
        i: usize,
        glob: &Glob,
        unused: &ActionSet,
        replacement: Vec<String>,
    ) {
        self.record_ids(statement, i, glob, unused.iter().collect(), replacement);
    }

    /// [`Run::record`], the unused actions as a list.
    fn record_ids(
        &mut self,
        statement: &Statement,
        i: usize,
        glob: &Glob,
        unused: Vec<ActionId>,
        replacement: Vec<String>,
    ) {
        self.narrowed_wildcards |= !glob.is_literal();
        self.changes.push(EntryChange {
            statement: statement.index,
            label: statement.label(),
            path: statement.entry_path(i),
            entry: glob.as_str().to_string(),
            beyond_catalog: unused.is_empty(),
            unused,
            replacement,
        });
    }

    /// An exact action name the catalog knows (not one added for the run),
    /// decided without building a set: most entries are such names. `None`
    /// for anything else, which takes the general way. The rules are those
    /// of [`Run::action_entries`] for a set of one action: everything it
    /// can match unused (it is unused, or its service wholly is, or
    /// nothing is used) drops it; otherwise it grants nothing unused and
    /// stays as written.
    fn literal(&self, glob: &Glob) -> Option<Literal> {
        if !glob.is_literal() {
            return None;
        }
        let (service, name) = (glob.literal_service()?, glob.name_part()?);
        let id = self.catalog.find(service, name)?;
        if self.catalog.added().contains(id) {
            return None;
        }
        let unused = self.unused.contains(id);
        let whole_service = || {
            let service = service.to_ascii_lowercase();
            self.usage.beyond.services.binary_search(&service).is_ok()
        };
        Some(
            match self.usage.beyond.everything || unused || whole_service() {
                true => Literal::Unused(if unused { vec![id] } else { Vec::new() }),
                false => Literal::Kept,
            },
        )
    }

    /// Refines an Allow statement with Action. A statement that grants
    /// every action has two exact refinements over a current catalog: the
    /// cover of what stays used, and `NotAction` of the cover of the unused
    /// set; the smaller is written (not with `--exact`, whose promise the
    /// `NotAction` form, granting what AWS adds later, would break). With
    /// a catalog that may be older than the findings only the `NotAction`
    /// form keeps the newer services; a warning says when the other would
    /// be smaller.
    fn action(&mut self, statement: &Statement) -> Option<Edit> {
        let universal = statement.entries.iter().any(grants_every_action);
        if self.usage.beyond.keeps_new_services() && universal {
            let edit = self.every_service(statement);
            self.say_smaller_action_form(statement, edit.as_ref());
            return edit;
        }
        let mark = (
            self.changes.len(),
            self.warnings.len(),
            self.narrowed_wildcards,
        );
        let as_action = self.action_entries(statement);
        if !universal || self.options.exact || as_action.is_none() {
            return as_action;
        }
        let changes = self.changes.split_off(mark.0);
        let warnings = self.warnings.split_off(mark.1);
        let narrowed = std::mem::replace(&mut self.narrowed_wildcards, mark.2);
        let as_not = self.every_service(statement);
        if edit_chars(as_not.as_ref()) < edit_chars(as_action.as_ref()) {
            return as_not;
        }
        self.changes.truncate(mark.0);
        self.changes.extend(changes);
        self.warnings.extend(warnings);
        self.narrowed_wildcards = narrowed;
        as_action
    }

    /// A warning, for a statement that grants every action and became
    /// `NotAction` (`edit`), when the `Action` cover of what stays used
    /// would be smaller, which a current catalog allows.
    fn say_smaller_action_form(&mut self, statement: &Statement, edit: Option<&Edit>) {
        let mut keep = ActionSet::full(self.catalog.len());
        keep.difference_with(self.unused);
        let as_action = cover(self.catalog, &keep, &keep, None);
        let (action, not) = (entries_chars(&as_action), edit_chars(edit));
        if action < not {
            let at = statement
                .entries
                .iter()
                .position(grants_every_action)
                .unwrap_or(0);
            self.warnings.push(InputError::at(
                &statement.entry_path(at),
                format!(
                    "written as NotAction of the unused actions ({not} characters) to keep granting services newer than the catalog; as Action it would take about {action}: if the catalog is current for this account, say so (--catalog-current) and refine writes that"
                ),
            ));
        }
    }

    /// Refines an Allow statement with Action, entry by entry.
    fn action_entries(&mut self, statement: &Statement) -> Option<Edit> {
        let mut entries: Vec<String> = Vec::with_capacity(statement.entries.len());
        let mut changed = false;
        for (i, glob) in statement.entries.iter().enumerate() {
            match self.literal(glob) {
                Some(Literal::Unused(unused)) => {
                    changed = true;
                    self.record_ids(statement, i, glob, unused, Vec::new());
                    continue;
                }
                Some(Literal::Kept) => {
                    entries.push(glob.as_str().to_string());
                    continue;
                }
                None => {}
            }
            let (matched, knows_any) = self.matching(glob);
            let mut granted_unused = matched.clone();
            granted_unused.intersect_with(self.unused);
            // Everything it can match, in the catalog and beyond, is unused.
            if self.usage.wholly_unused(glob, &matched) {
                changed = true;
                self.record(statement, i, glob, &granted_unused, Vec::new());
                continue;
            }
            // An entry that names nothing the catalog knows may grant used
            // actions nobody has heard of: kept.
            if !knows_any {
                self.warn_unknown(statement, i, glob, &matched);
                entries.push(glob.as_str().to_string());
                continue;
            }
            // A wildcard in the service part reaches services the catalog
            // does not know, which no narrowing over the catalog can keep:
            // kept, unless the catalog is current.
            if glob.literal_service().is_none()
                && self.usage.beyond.keeps_new_services()
                && !granted_unused.is_empty()
            {
                self.warnings.push(InputError::at(
                    &statement.entry_path(i),
                    format!(
                        "{} also grants services newer than the catalog, which may be in use: kept as written (with a current catalog, --catalog-current, it is refined)",
                        quote(glob.as_str())
                    ),
                ));
                entries.push(glob.as_str().to_string());
                continue;
            }
            if granted_unused.is_empty() {
                entries.push(glob.as_str().to_string());
                continue;
            }
            changed = true;
            let mut keep = matched;
            keep.difference_with(self.unused);
            let replacement = if keep.is_empty() {
                Vec::new()
            } else if self.options.exact {
                keep.iter().map(|id| self.catalog.full_name(id)).collect()
            } else {
                cover(self.catalog, &keep, &keep, Some(glob))
            };
            entries.extend(replacement.iter().cloned());
            self.record(statement, i, glob, &granted_unused, replacement);
        }
        if !changed {
            return None;
        }
        let entries = drop_covered(entries);
        Some(if entries.is_empty() {
            Edit::Remove
        } else {
            Edit::Entries(entries)
        })
    }

    /// Refines an Allow statement whose Action grants every action, when
    /// the services the catalog does not know must stay granted: it becomes
    /// `NotAction` of the cover of the unused actions, which keeps granting
    /// every other action, of the catalog's services and of any other.
    ///
    /// An entry beside `*` that names nothing the catalog knows
    /// (`s3:GetNew*`) may grant something used, as it would on its own: an
    /// exclusion that would reach into it is written as the exact names it
    /// stands for instead, so that the entry stays granted but for actions
    /// known to be unused.
    fn every_service(&mut self, statement: &Statement) -> Option<Edit> {
        if self.unused.is_empty() {
            return None;
        }
        let protected: Vec<&Glob> = statement
            .entries
            .iter()
            .filter(|glob| {
                let (matched, knows_any) = self.matching(glob);
                !knows_any && !self.usage.wholly_unused(glob, &matched)
            })
            .collect();
        let mut excluded = Vec::new();
        for entry in self.exclusions(self.unused, self.unused) {
            let glob = Glob::new(&entry);
            if protected.iter().any(|p| overlaps(p, &glob)) && !glob.is_literal() {
                let mut names = self.catalog.matching(&glob);
                names.intersect_with(self.unused);
                excluded.extend(names.iter().map(|id| self.catalog.full_name(id)));
            } else {
                excluded.push(entry);
            }
        }
        self.narrowed_wildcards = true;
        let universal = statement
            .entries
            .iter()
            .position(grants_every_action)
            .unwrap_or(0);
        self.changes.push(EntryChange {
            statement: statement.index,
            label: statement.label(),
            path: statement.entry_path(universal),
            entry: statement.entries[universal].as_str().to_string(),
            unused: self.unused.iter().collect(),
            beyond_catalog: false,
            replacement: excluded.clone(),
        });
        Some(Edit::NotAction(excluded))
    }

    /// Refines an Allow statement with NotAction.
    fn not_action(&mut self, statement: &Statement) -> Option<Edit> {
        let catalog = self.catalog;
        let mut excluded = catalog.empty_set();
        for (i, glob) in statement.entries.iter().enumerate() {
            let (matched, knows_any) = self.matching(glob);
            if !knows_any {
                self.warn_unknown(statement, i, glob, &matched);
            }
            excluded.union_with(&matched);
        }
        let mut allowed = ActionSet::full(catalog.len());
        allowed.difference_with(&excluded);
        let mut targets = allowed.clone();
        targets.intersect_with(self.unused);
        if targets.is_empty() {
            return None;
        }
        // Removing the statement also stops granting the services and
        // actions the catalog does not know, which it grants: only when
        // nothing is used, or the catalog is known to be current.
        let grants_no_known_use = allowed.is_subset(self.unused);
        let remove = grants_no_known_use && !self.usage.beyond.keeps_new_services();
        if grants_no_known_use && !remove {
            self.warnings.push(InputError::at(
                &statement.path.key("NotAction"),
                "every action of the catalog this statement allows is unused: it is kept for the services newer than the catalog, which it also grants and which may be in use; if the catalog is current for this account, say so (--catalog-current) to remove it",
            ));
        }
        let added = if remove {
            Vec::new()
        } else {
            let mut safe = self.unused.clone();
            safe.union_with(&excluded);
            let already = &statement.entries;
            self.exclusions(&targets, &safe)
                .into_iter()
                .filter(|e| !already.iter().any(|a| pattern::contains_text(a, e)))
                .collect()
        };
        self.narrowed_wildcards = true;
        let mut entries: Vec<String> = statement
            .entries
            .iter()
            .map(|g| g.as_str().to_string())
            .collect();
        entries.extend(added.iter().cloned());
        // Over a current catalog the statement may as well be written as
        // the Action cover of what it still allows: when that is smaller.
        let mut keep = allowed;
        keep.difference_with(self.unused);
        let smaller = match remove || keep.is_empty() {
            true => None,
            false => Some(self.action_form(&keep, &statement.entries))
                .filter(|action| entries_chars(action) < entries_chars(&entries)),
        };
        let as_action = match (smaller, self.usage.beyond.keeps_new_services()) {
            (Some(action), true) => {
                // Only NotAction keeps the newer services granted: say
                // what a current catalog would allow.
                self.warnings.push(InputError::at(
                    &statement.path.key("NotAction"),
                    format!(
                        "written as NotAction ({} characters) to keep granting services newer than the catalog; as Action it would take about {}: if the catalog is current for this account, say so (--catalog-current) and refine writes that",
                        entries_chars(&entries),
                        entries_chars(&action)
                    ),
                ));
                None
            }
            (action, _) => action,
        };
        self.changes.push(EntryChange {
            statement: statement.index,
            label: statement.label(),
            path: statement.path.key("NotAction"),
            entry: "NotAction".to_string(),
            unused: targets.iter().collect(),
            beyond_catalog: false,
            replacement: as_action.clone().unwrap_or_else(|| added.clone()),
        });
        if let Some(action) = as_action {
            return Some(Edit::Action(action));
        }
        Some(if remove {
            Edit::Remove
        } else {
            Edit::Entries(entries)
        })
    }

    /// The Action entries that allow exactly `keep` over the catalog, none
    /// of which reaches into what the NotAction entries `excluded` exclude,
    /// even beyond the catalog (an entry that would is written as the exact
    /// names it stands for); exact names only with `--exact`.
    fn action_form(&self, keep: &ActionSet, excluded: &[Glob]) -> Vec<String> {
        if self.options.exact {
            return keep.iter().map(|id| self.catalog.full_name(id)).collect();
        }
        let mut entries = Vec::new();
        for entry in cover(self.catalog, keep, keep, None) {
            let glob = Glob::new(&entry);
            if glob.is_literal() || !excluded.iter().any(|n| overlaps(n, &glob)) {
                entries.push(entry);
                continue;
            }
            let mut names = self.catalog.matching(&glob);
            names.intersect_with(keep);
            entries.extend(names.iter().map(|id| self.catalog.full_name(id)));
        }
        entries
    }
}

impl Run<'_> {
    /// The NotAction entries that exclude `targets` (entries safe within
    /// `safe`), and `svc:*` for each service the input calls wholly unused
    /// and the catalog does not know: the catalog's cover cannot name it,
    /// but every action of it is unused.
    fn exclusions(&self, targets: &ActionSet, safe: &ActionSet) -> Vec<String> {
        let mut excluded = cover(self.catalog, targets, safe, None);
        let unknown = self
            .usage
            .beyond
            .services
            .iter()
            .filter(|service| self.catalog.service(service).is_none());
        excluded.extend(unknown.map(|service| format!("{service}:*")));
        excluded
            .sort_by(|a, b| crate::model::catalog::cmp_ignore_case(a, b).then_with(|| a.cmp(b)));
        excluded
    }
}

/// Whether two globs match a common action string.
pub(crate) fn overlaps(a: &Glob, b: &Glob) -> bool {
    let services = (a.literal_service(), b.literal_service());
    if let (Some(x), Some(y)) = services {
        if !x.eq_ignore_ascii_case(y) {
            return false;
        }
    }
    // Undecided counts as overlapping: the caller then writes exact names.
    !matches!(pattern::witness(&[a, b], &[]), Ok(None))
}

/// Drops every entry that another entry covers, as glob languages; of
/// entries with equal languages the first stays.
///
/// Cheap cases first, since a refined statement can hold hundreds of
/// entries: a literal is covered by an equal literal (ignoring case) or by a
/// pattern that matches it, never the other way round; only patterns are
/// compared with each other as languages, and only when their literal
/// service prefixes allow an overlap.
fn drop_covered(entries: Vec<String>) -> Vec<String> {
    let covered = covered_mask(&entries);
    entries
        .into_iter()
        .zip(covered)
        .filter_map(|(entry, covered)| (!covered).then_some(entry))
        .collect()
}

/// Per entry, whether [`drop_covered`] drops it.
pub(crate) fn covered_mask(entries: &[String]) -> Vec<bool> {
    let globs: Vec<Glob> = entries.iter().map(|e| Glob::new(e)).collect();
    let services: Vec<Option<String>> = globs
        .iter()
        .map(|g| g.literal_service().map(str::to_ascii_lowercase))
        .collect();
    // The patterns an entry is compared with: those of its own service and
    // those without a literal service (`*Get*`); an entry without a literal
    // service, with every pattern. Grouping keeps a statement refined from
    // `"*"` (thousands of entries over hundreds of services) linear-ish.
    let mut by_service: FastMap<&str, Vec<usize>> = FastMap::default();
    let mut unscoped: Vec<usize> = Vec::new();
    let mut patterns: Vec<usize> = Vec::new();
    for (i, glob) in globs.iter().enumerate() {
        if glob.is_literal() {
            continue;
        }
        patterns.push(i);
        match &services[i] {
            Some(service) => by_service.entry(service).or_default().push(i),
            None => unscoped.push(i),
        }
    }
    let candidates = |i: usize| {
        let (own, more): (&[usize], &[usize]) = match &services[i] {
            Some(service) => (
                by_service.get(service.as_str()).map_or(&[], Vec::as_slice),
                &unscoped,
            ),
            None => (&patterns, &[]),
        };
        own.iter().chain(more).copied()
    };
    let mut literals = FastSet::default();
    let mut mask = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let covered = if globs[i].is_literal() {
            candidates(i).any(|j| globs[j].matches(entry))
                || !literals.insert(entry.to_ascii_lowercase())
        } else {
            candidates(i).any(|j| {
                j != i
                    && pattern::contains(&globs[j], &globs[i])
                    && (j < i || !pattern::contains(&globs[i], &globs[j]))
            })
        };
        mask.push(covered);
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::drop_covered;

    #[test]
    fn drop_covered_keeps_the_first_of_equals_and_the_widest() {
        let entries = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            drop_covered(entries(&[
                "s3:GetObject",
                "s3:GetObject*",
                "S3:getobject*",
                "sqs:Send*"
            ])),
            ["s3:GetObject*", "sqs:Send*"]
        );
        assert_eq!(
            drop_covered(entries(&["s3:Get?bject", "s3:Get*bject"])),
            ["s3:Get*bject"]
        );
        assert_eq!(
            drop_covered(entries(&["s3:Get?bject", "s3:*Object"])),
            ["s3:Get?bject", "s3:*Object"]
        );
        assert_eq!(drop_covered(entries(&["*", "s3:GetObject"])), ["*"]);
    }

    /// Entries are compared within their service, found ignoring case, and
    /// with every pattern whose service is not literal.
    #[test]
    fn drop_covered_groups_by_service_without_missing_a_cover() {
        let entries = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            drop_covered(entries(&["S3:GetObject", "s3:Get*", "sqs:GetQueueUrl"])),
            ["s3:Get*", "sqs:GetQueueUrl"]
        );
        assert_eq!(
            drop_covered(entries(&[
                "s3:GetObject*",
                "s3*:Get*",
                "s3-object-lambda:GetObject"
            ])),
            ["s3*:Get*"]
        );
        assert_eq!(
            drop_covered(entries(&["s3:*", "s3-object-lambda:GetObject"])),
            ["s3:*", "s3-object-lambda:GetObject"]
        );
    }
}

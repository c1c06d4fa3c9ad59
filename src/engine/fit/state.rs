//! The greedy search of `--fit`: merging, then the steps that re-admit
//! unused actions, weighed against each other (see the parent module).

use super::place::{
    allowed_by, covers, literal_start, original_pieces, place, place_edit, within, Bound, Piece,
    Place,
};
use super::{weight, Fit};
use crate::engine::refine::{covered_mask, EntryChange, Readmission, Refined};
use crate::input::findings::Usage;
use crate::input::policy::{ActionKey, Edit, Effect, Policy, Statement};
use crate::model::catalog::{ActionId, ActionSet, Catalog};
use crate::model::pattern::Glob;
use crate::model::size;
use crate::model::words;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

/// The fitting of one policy: its statements as they are being written.
pub(super) struct State<'a> {
    policy: &'a Policy,
    usage: &'a Usage<'a>,
    fit: Fit,
    /// The refinement's edits; a place's edit replaces its statement's.
    base: Vec<Option<Edit>>,
    places: Vec<Place>,
    /// (into, from): statement `from` merged into `into`.
    pub(super) merged: Vec<(usize, usize)>,
    /// The refinement's changes, which pieces stand for.
    changes: Vec<EntryChange>,
}

/// A step on one place.
#[derive(Debug, Clone)]
enum Step {
    /// Replace the entries the glob covers by it.
    Widen(Glob),
    /// Drop an added exclusion.
    Drop(String),
    /// Write the original statement.
    Revert,
}

/// A step's worth as last evaluated: the characters it saves and the
/// weight of the unused actions it re-admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Worth {
    saves: usize,
    costs: u64,
}

impl Worth {
    /// Better first: a higher ratio of characters saved to weight, then
    /// more characters saved.
    fn cmp_ratio(&self, other: &Worth) -> Ordering {
        let (a, b) = (
            self.saves as u128 * u128::from(other.costs),
            other.saves as u128 * u128::from(self.costs),
        );
        a.cmp(&b).then(self.saves.cmp(&other.saves))
    }
}

/// A candidate step in the greedy queue.
struct Queued {
    worth: Worth,
    place: usize,
    step: usize,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// The heap pops the best worth; of equals, the earliest step, so the
    /// result does not depend on the heap's order.
    fn cmp(&self, other: &Self) -> Ordering {
        self.worth
            .cmp_ratio(&other.worth)
            .then_with(|| other.place.cmp(&self.place))
            .then_with(|| other.step.cmp(&self.step))
    }
}

/// About how many characters IAM counts for one entry of a list.
fn chars(entry: &str) -> usize {
    entry.chars().count() + 3
}

impl<'a> State<'a> {
    pub(super) fn new(
        policy: &'a Policy,
        refined: &Refined,
        usage: &'a Usage<'a>,
        fit: Fit,
    ) -> State<'a> {
        let len = usage.catalog.len();
        let places = policy
            .statements
            .iter()
            .filter_map(|s| place(s, refined.edits[s.index].as_ref(), &refined.changes, len))
            .collect();
        State {
            policy,
            usage,
            fit,
            base: refined.edits.clone(),
            places,
            merged: Vec::new(),
            changes: refined.changes.clone(),
        }
    }

    fn catalog(&self) -> &'a Catalog {
        self.usage.catalog
    }

    /// The size of the policy as the places now write it.
    fn size(&self) -> usize {
        size::of(&self.policy.apply(&self.edits()))
    }

    /// The edits that write the places.
    pub(super) fn edits(&self) -> Vec<Option<Edit>> {
        let mut edits = self.base.clone();
        for place in &self.places {
            let statement = &self.policy.statements[place.index];
            edits[place.index] = if place.gone {
                Some(Edit::Remove)
            } else {
                place_edit(statement, place)
            };
        }
        edits
    }

    /// Merges statements of one context, group by group, until the policy
    /// fits.
    ///
    /// Only where every original statement of the context is written with
    /// `Action`: the union of their entries then bounds the merged one (as
    /// the proof decides it). Beside a `NotAction` statement of the same
    /// context, each refined statement must stay inside one original.
    pub(super) fn merge(&mut self) {
        // Each statement's context, once: the groups compare them often.
        let contexts: Vec<_> = self
            .policy
            .statements
            .iter()
            .map(Statement::context)
            .collect();
        let mergeable = |p: &Place, s: &Statement| {
            !p.excludes && !p.gone && s.key == ActionKey::Action && s.effect == Effect::Allow
        };
        for first in 0..self.places.len() {
            let head = &self.policy.statements[self.places[first].index];
            if !mergeable(&self.places[first], head) {
                continue;
            }
            let context = &contexts[self.places[first].index];
            let mixed = self
                .policy
                .statements
                .iter()
                .any(|s| s.key == ActionKey::NotAction && &contexts[s.index] == context);
            if mixed {
                continue;
            }
            let mut any = false;
            for other in first + 1..self.places.len() {
                let statement = &self.policy.statements[self.places[other].index];
                if !mergeable(&self.places[other], statement)
                    || &contexts[statement.index] != context
                {
                    continue;
                }
                let Bound::Within(more) = self.places[other].bound.clone() else {
                    continue;
                };
                let moved = std::mem::take(&mut self.places[other].pieces);
                self.places[other].gone = true;
                self.places[other].merged = true;
                let into = &mut self.places[first];
                into.pieces.extend(moved);
                into.merged = true;
                if let Bound::Within(bound) = &mut into.bound {
                    bound.extend(more);
                }
                self.merged.push((into.index, statement.index));
                any = true;
            }
            if any {
                let place = &mut self.places[first];
                let texts: Vec<String> = place.pieces.iter().map(|p| p.text.clone()).collect();
                let covered = covered_mask(&texts);
                let (kept, dropped): (Vec<_>, Vec<_>) = std::mem::take(&mut place.pieces)
                    .into_iter()
                    .zip(covered)
                    .partition(|(_, covered)| !covered);
                place.pieces = kept.into_iter().map(|(piece, _)| piece).collect();
                // A dropped entry's changes now stand in the entry that
                // covers it, as a widened entry's do.
                for (piece, _) in dropped {
                    let cover = place
                        .pieces
                        .iter_mut()
                        .find(|p| covers(&Glob::new(&p.text), &piece.text));
                    if let Some(cover) = cover {
                        cover.origins.extend(piece.origins);
                        cover.origins.sort_unstable();
                        cover.origins.dedup();
                    }
                }
                if self.size() <= self.fit.cap {
                    return;
                }
            }
        }
    }

    /// Re-admits unused actions, greedily, until the policy fits.
    pub(super) fn readmit(&mut self) {
        let steps: Vec<Vec<(Step, Vec<ActionId>)>> =
            (0..self.places.len()).map(|p| self.steps(p)).collect();
        let mut queue = BinaryHeap::new();
        for (place, candidates) in steps.iter().enumerate() {
            for (step, (candidate, unused)) in candidates.iter().enumerate() {
                if let Some(worth) = self.worth(place, candidate, unused) {
                    queue.push(Queued { worth, place, step });
                }
            }
        }
        let mut estimate = self.size();
        while estimate > self.fit.cap {
            let Some(top) = queue.pop() else { return };
            let (step, unused) = &steps[top.place][top.step];
            let Some(worth) = self.worth(top.place, step, unused) else {
                continue;
            };
            if worth != top.worth {
                queue.push(Queued { worth, ..top });
                continue;
            }
            // The best ratio would reach the cap: a step, or a step and
            // then another, that reaches it for less weight is better.
            let need = estimate - self.fit.cap;
            let (place, index) = match worth.saves >= need {
                true => self.finisher(&steps, need, (top.place, top.step, worth)),
                false => (top.place, top.step),
            };
            if (place, index) != (top.place, top.step) {
                queue.push(Queued { worth, ..top });
            }
            let (step, unused) = &steps[place][index];
            let Some(worth) = self.worth(place, step, unused) else {
                continue;
            };
            self.apply(place, step, unused);
            estimate = estimate.saturating_sub(worth.saves);
            if estimate <= self.fit.cap {
                estimate = self.size();
            }
        }
    }

    /// When `top` (the best ratio: place, step, worth) would reach the cap
    /// with `need` characters still to save, the step to take: the one
    /// that reaches the cap for the least weight; or, when a step that
    /// does not reach it and a second that then would weigh less together,
    /// the first of those (one of the few best ratios; the second is found
    /// again once the first is taken). Steps are weighed as they are worth
    /// now, apart from each other.
    fn finisher(
        &self,
        steps: &[Vec<(Step, Vec<ActionId>)>],
        need: usize,
        top: (usize, usize, Worth),
    ) -> (usize, usize) {
        let mut worths: Vec<(usize, usize, Worth)> = Vec::new();
        for (place, candidates) in steps.iter().enumerate() {
            for (index, (step, unused)) in candidates.iter().enumerate() {
                if let Some(worth) = self.worth(place, step, unused) {
                    worths.push((place, index, worth));
                }
            }
        }
        let cheapest_reaching = |need: usize, not: (usize, usize)| {
            worths
                .iter()
                .filter(|(p, i, w)| w.saves >= need && (*p, *i) != not)
                .min_by_key(|(p, i, w)| (w.costs, *p, *i))
                .copied()
        };
        let single = cheapest_reaching(need, (usize::MAX, 0)).unwrap_or(top);
        let mut firsts: Vec<&(usize, usize, Worth)> =
            worths.iter().filter(|(_, _, w)| w.saves < need).collect();
        firsts.sort_by(|a, b| b.2.cmp_ratio(&a.2));
        let pair = firsts
            .iter()
            .take(16)
            .filter_map(|&&(p, i, w)| {
                let (_, _, second) = cheapest_reaching(need - w.saves, (p, i))?;
                Some((p, i, w.costs + second.costs))
            })
            .min_by_key(|(p, i, costs)| (*costs, *p, *i));
        match pair {
            Some((p, i, costs)) if costs < single.2.costs => (p, i),
            _ => (single.0, single.1),
        }
    }

    /// Every step that may be taken on place `p`, with the unused actions
    /// each would allow.
    fn steps(&self, p: usize) -> Vec<(Step, Vec<ActionId>)> {
        let place = &self.places[p];
        let statement = &self.policy.statements[place.index];
        let mut steps = Vec::new();
        if !place.merged {
            let allowed = statement.allowed_actions(self.catalog());
            steps.push((Step::Revert, self.unused_in(&allowed)));
        }
        if place.excludes {
            for piece in place.pieces.iter().filter(|p| !p.fixed) {
                let matched = self.catalog().matching(&Glob::new(&piece.text));
                let unused = self.unused_in(&matched);
                // An exclusion of a service the catalog does not know:
                // what dropping it re-admits cannot be counted.
                if !unused.is_empty() {
                    steps.push((Step::Drop(piece.text.clone()), unused));
                }
            }
            return steps;
        }
        for glob in self.widenings(place) {
            let unused = self.unused_in(&self.catalog().matching(&glob));
            steps.push((Step::Widen(glob), unused));
        }
        steps
    }

    /// The globs a place's entries may be widened to: word prefixes of
    /// their literal starts and the original's entries, each within the
    /// bound.
    fn widenings(&self, place: &Place) -> Vec<Glob> {
        let mut seen = HashSet::new();
        let mut globs = Vec::new();
        if let Bound::Within(bound) = &place.bound {
            for glob in bound {
                if seen.insert(glob.as_str().to_ascii_lowercase()) {
                    globs.push(glob.clone());
                }
            }
        }
        if self.fit.exact {
            return globs;
        }
        for piece in &place.pieces {
            let Some((service, name)) = literal_start(&piece.text).split_once(':') else {
                continue;
            };
            let ends = std::iter::once(0).chain(words::word_ends(name));
            for end in ends.filter(|&end| end < name.len()) {
                let text = format!("{service}:{}*", &name[..end]);
                if !seen.insert(text.to_ascii_lowercase()) {
                    continue;
                }
                let glob = Glob::new(&text);
                if within(&place.bound, &glob) {
                    globs.push(glob);
                }
            }
        }
        globs
    }

    /// The unused actions of `set`, as a list.
    fn unused_in(&self, set: &ActionSet) -> Vec<ActionId> {
        let mut unused = set.clone();
        unused.intersect_with(self.usage.unused);
        unused.iter().collect()
    }

    /// What `step` on place `p` is worth now; `None` when it saves nothing.
    fn worth(&self, p: usize, step: &Step, unused: &[ActionId]) -> Option<Worth> {
        let place = &self.places[p];
        if place.gone {
            return None;
        }
        let now: usize = place.pieces.iter().map(|p| chars(&p.text)).sum();
        let after = match step {
            Step::Revert => {
                let statement = &self.policy.statements[place.index];
                statement.entries.iter().map(|g| chars(g.as_str())).sum()
            }
            Step::Drop(text) => {
                place.pieces.iter().find(|p| &p.text == text)?;
                now - chars(text)
            }
            Step::Widen(glob) => {
                let kept = place.pieces.iter().filter(|p| !covers(glob, &p.text));
                let covered = place.pieces.len() - kept.clone().count();
                if covered == 0 {
                    return None;
                }
                kept.map(|p| chars(&p.text)).sum::<usize>() + chars(glob.as_str())
            }
        };
        let saves = now.checked_sub(after).filter(|&s| s > 0)?;
        let costs = unused
            .iter()
            .filter(|&&id| !place.readmitted.contains(id))
            .map(|&id| weight(self.catalog().level(id)))
            .sum();
        Some(Worth { saves, costs })
    }

    /// Takes `step` on place `p`.
    fn apply(&mut self, p: usize, step: &Step, unused: &[ActionId]) {
        let policy = self.policy;
        let place = &mut self.places[p];
        for &id in unused {
            place.readmitted.insert(id);
        }
        match step {
            Step::Revert => {
                let statement = &policy.statements[place.index];
                place.pieces = original_pieces(statement, &self.changes);
                place.excludes = statement.key == ActionKey::NotAction;
            }
            Step::Drop(text) => place.pieces.retain(|p| &p.text != text),
            Step::Widen(glob) => {
                let first = place.pieces.iter().position(|p| covers(glob, &p.text));
                let Some(first) = first else { return };
                let mut origins: Vec<usize> = place
                    .pieces
                    .iter()
                    .filter(|p| covers(glob, &p.text))
                    .flat_map(|p| p.origins.iter().copied())
                    .collect();
                origins.sort_unstable();
                origins.dedup();
                let widened = Piece {
                    text: glob.as_str().to_string(),
                    origins,
                    fixed: false,
                };
                let mut i = 0;
                place.pieces.retain(|p| {
                    i += 1;
                    i - 1 == first || !covers(glob, &p.text)
                });
                place.pieces[first] = widened;
            }
        }
    }

    /// What the written statements allow of the unused set, per place
    /// that allows any: the re-admitted actions.
    pub(super) fn readmissions(&self) -> Vec<Readmission> {
        let catalog = self.catalog();
        let mut readmitted = Vec::new();
        for place in self.places.iter().filter(|p| !p.gone) {
            let statement = &self.policy.statements[place.index];
            let mut allowed = allowed_by(catalog, place);
            allowed.intersect_with(self.usage.unused);
            if allowed.is_empty() {
                continue;
            }
            let key = if place.excludes {
                ActionKey::NotAction
            } else {
                ActionKey::Action
            };
            readmitted.push(Readmission {
                statement: statement.index,
                label: statement.label(),
                path: statement.path.key(key.as_str()),
                actions: allowed.iter().collect(),
            });
        }
        readmitted
    }

    /// Each change's replacement, as the places now write it.
    pub(super) fn update_changes(&self, changes: &mut [EntryChange]) {
        for (at, change) in changes.iter_mut().enumerate() {
            let Some(place) = self
                .places
                .iter()
                .find(|p| p.index == change.statement && !p.gone)
                .or_else(|| {
                    let into = self.merged.iter().find(|m| m.1 == change.statement)?.0;
                    self.places.iter().find(|p| p.index == into)
                })
            else {
                continue;
            };
            // Written as it was: an Action entry stays itself; a NotAction
            // gets nothing added.
            let statement = &self.policy.statements[place.index];
            if place_edit(statement, place).is_none() {
                change.replacement = match statement.key {
                    ActionKey::Action => vec![change.entry.clone()],
                    ActionKey::NotAction => Vec::new(),
                };
                continue;
            }
            change.replacement = place
                .pieces
                .iter()
                .filter(|p| p.origins.contains(&at))
                .map(|p| p.text.clone())
                .collect();
        }
    }
}

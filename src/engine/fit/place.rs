//! The statements `--fit` works on: each kept `Allow` statement as the
//! entries being written ([`Piece`]s), what they may become ([`Bound`]),
//! and the edit that writes them back.

use crate::engine::refine::{overlaps, EntryChange};
use crate::input::policy::{ActionKey, Edit, Effect, Statement};
use crate::model::catalog::{ActionSet, Catalog};
use crate::model::pattern::{self, Glob};

/// One entry being written, and the changes of the original it stands for
/// (indices into [`Refined::changes`]): the entries it replaces.
#[derive(Debug, Clone)]
pub(super) struct Piece {
    pub(super) text: String,
    pub(super) origins: Vec<usize>,
    /// An exclusion the original wrote, which no step may drop.
    pub(super) fixed: bool,
}

/// What a statement's entries may become without granting more than the
/// original.
#[derive(Debug, Clone)]
pub(super) enum Bound {
    /// An `Action` original: each entry inside one of these.
    Within(Vec<Glob>),
    /// A `NotAction` original: no entry overlapping any of these.
    Outside(Vec<Glob>),
}

/// One kept `Allow` statement being fitted.
#[derive(Debug, Clone)]
pub(super) struct Place {
    /// The original statement (the first, when others merged into it).
    pub(super) index: usize,
    /// Whether the entries are written as NotAction.
    pub(super) excludes: bool,
    pub(super) pieces: Vec<Piece>,
    pub(super) bound: Bound,
    /// The unused actions a step re-admitted here.
    pub(super) readmitted: ActionSet,
    /// Another statement merged into this one, or this one into another.
    pub(super) merged: bool,
    /// Gone: merged into another.
    pub(super) gone: bool,
}

/// The place a kept statement is fitted as, with its refinement `edit`;
/// `None` for statements that cannot shrink (Deny, principals, removed,
/// or a NotAction left as written).
pub(super) fn place(
    statement: &Statement,
    edit: Option<&Edit>,
    changes: &[EntryChange],
    actions: usize,
) -> Option<Place> {
    if statement.effect == Effect::Deny || statement.has_principal {
        return None;
    }
    let origins_of = |text: &str| -> Vec<usize> {
        let of_statement = changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.statement == statement.index);
        of_statement
            .filter(|(_, c)| c.replacement.iter().any(|r| r == text))
            .map(|(i, _)| i)
            .collect()
    };
    let originals: Vec<Glob> = statement.entries.clone();
    let (excludes, entries, bound) = match (statement.key, edit) {
        (_, Some(Edit::Remove)) | (ActionKey::NotAction, None) => return None,
        (ActionKey::Action, None) => (false, Vec::new(), Bound::Within(originals)),
        (ActionKey::Action, Some(Edit::Entries(e))) => (false, e.clone(), Bound::Within(originals)),
        (ActionKey::Action, Some(Edit::NotAction(e))) => {
            (true, e.clone(), Bound::Within(originals))
        }
        (ActionKey::NotAction, Some(Edit::Action(e))) => {
            (false, e.clone(), Bound::Outside(originals))
        }
        (ActionKey::NotAction, Some(Edit::Entries(e))) => {
            (true, e.clone(), Bound::Outside(originals))
        }
        (_, Some(Edit::Action(_) | Edit::NotAction(_))) => return None,
    };
    let pieces = match edit {
        None => original_pieces(statement, changes),
        Some(_) => {
            let fixed = match statement.key {
                ActionKey::NotAction => statement.entries.len(),
                ActionKey::Action => 0,
            };
            entries
                .into_iter()
                .enumerate()
                .map(|(i, text)| Piece {
                    origins: origins_of(&text),
                    fixed: i < fixed && excludes,
                    text,
                })
                .collect()
        }
    };
    Some(Place {
        index: statement.index,
        excludes,
        pieces,
        bound,
        readmitted: ActionSet::new(actions),
        merged: false,
        gone: false,
    })
}

/// A statement's entries as written, as pieces, each standing for the
/// change of itself (a NotAction's for the change of the element).
pub(super) fn original_pieces(statement: &Statement, changes: &[EntryChange]) -> Vec<Piece> {
    let fixed = statement.key == ActionKey::NotAction;
    let origins = |path: &crate::error::JsonPath| -> Vec<usize> {
        changes
            .iter()
            .position(|c| &c.path == path)
            .into_iter()
            .collect()
    };
    statement
        .entries
        .iter()
        .enumerate()
        .map(|(i, g)| Piece {
            text: g.as_str().to_string(),
            origins: match fixed {
                true => Vec::new(),
                false => origins(&statement.entry_path(i)),
            },
            fixed,
        })
        .collect()
}

/// The edit that writes `place` in `statement`'s stead: `None` when it
/// writes the statement as it was.
pub(super) fn place_edit(statement: &Statement, place: &Place) -> Option<Edit> {
    let texts: Vec<String> = place.pieces.iter().map(|p| p.text.clone()).collect();
    let original = statement.key == ActionKey::NotAction;
    let same = !place.merged
        && place.excludes == original
        && texts.len() == statement.entries.len()
        && texts
            .iter()
            .zip(&statement.entries)
            .all(|(t, g)| t == g.as_str());
    if same || (place.excludes && place.pieces.iter().all(|p| p.fixed)) {
        return None;
    }
    Some(match (statement.key, place.excludes) {
        (ActionKey::Action, true) => Edit::NotAction(texts),
        (ActionKey::NotAction, false) => Edit::Action(texts),
        _ => Edit::Entries(texts),
    })
}

/// The catalog actions `place` allows as written now.
pub(super) fn allowed_by(catalog: &Catalog, place: &Place) -> ActionSet {
    let mut listed = catalog.empty_set();
    for piece in &place.pieces {
        catalog.add_matching(&Glob::new(&piece.text), &mut listed);
    }
    if place.excludes {
        let mut all = ActionSet::full(catalog.len());
        all.difference_with(&listed);
        return all;
    }
    listed
}

/// Whether `glob` may be written in a statement with `bound`.
pub(super) fn within(bound: &Bound, glob: &Glob) -> bool {
    match bound {
        Bound::Within(entries) => entries.iter().any(|o| pattern::contains(o, glob)),
        Bound::Outside(excluded) => !excluded.iter().any(|n| overlaps(n, glob)),
    }
}

/// Whether `glob` covers the entry `text` as languages.
pub(super) fn covers(glob: &Glob, text: &str) -> bool {
    pattern::contains(glob, &Glob::new(text))
}

/// The start of an entry before its first wildcard.
pub(super) fn literal_start(text: &str) -> &str {
    let end = text.find(['*', '?']).unwrap_or(text.len());
    &text[..end]
}

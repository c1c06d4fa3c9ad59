//! Drift: what a policy's wildcards grant today that they did not grant
//! when the policy was reviewed; `refine drift`.
//!
//! AWS adds actions every week, and `s3:Get*` grants each new `s3:Get`
//! action the day it appears. Against a review *date*, an action counts as
//! gained when the first-seen index ([`first_seen`]) cannot place it
//! before that date: it first appeared in a snapshot after the date
//! (`surely`), or in an interval that straddles it (the snapshots are
//! weeks apart; such an action is reported too, with its interval, since
//! nobody can say it was reviewed). Against a *baseline catalog* (the one
//! the review used), an action counts as gained when the baseline lacks
//! it, and one the baseline had and today's catalog lacks is reported as
//! retired.
//!
//! Only what grants is looked at: the entries of `Allow` statements. An
//! `Action` entry gains what it matches and is new; an `Allow` +
//! `NotAction` statement gains every new action none of its entries
//! excludes, and is reported as one entry (`*` minus its list). A literal
//! entry gains nothing, but one naming an action newer than the date (or
//! unknown to the baseline) "matched nothing then", and is reported so.
//! What an entry matched then that is gone now (retired, renamed) is
//! reported too: from the baseline, or from the index's list of actions
//! its snapshots had and the bundled catalog lacks.

use crate::input::policy::{ActionKey, Effect, Policy, Statement};
use crate::model::catalog::first_seen::{Dates, FirstSeen};
use crate::model::catalog::{AccessLevel, ActionId, ActionSet, Catalog};
use crate::model::pattern::Glob;

/// What drift is measured against.
#[derive(Debug, Clone, Copy)]
pub enum Since<'a> {
    /// A review date (seconds since the epoch) and the first-seen index's
    /// dates for today's catalog.
    Date(i64, &'a Dates<'a>),
    /// The catalog the review used.
    Baseline(&'a Catalog),
}

/// One action an entry gained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gained {
    /// `service:Name`, as today's catalog spells it.
    pub action: String,
    /// Its access level today.
    pub level: AccessLevel,
    /// When it first appeared (against a date; `None` against a baseline).
    pub first_seen: Option<FirstSeen>,
    /// Whether it certainly appeared after the date (a snapshot on or after
    /// the date lacks it); always true against a baseline.
    pub surely: bool,
}

/// The drift of one entry (or of one NotAction statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDrift {
    /// The statement's index in its policy.
    pub statement: usize,
    /// How messages name the statement.
    pub label: String,
    /// `Action`, or `NotAction` for a whole NotAction statement.
    pub key: ActionKey,
    /// The entry as written; for NotAction, the statement's entries.
    pub entries: Vec<String>,
    /// The entry's index in its action element (`None` for a NotAction
    /// statement, which is reported at the element).
    pub index: Option<usize>,
    /// The actions gained, sorted by name.
    pub gained: Vec<Gained>,
    /// Actions it matched then that today's catalog lacks (retired or
    /// renamed): against a baseline, those of the baseline, as
    /// `service:Name`; against a date, those of the first-seen index that
    /// were there at the date, lowercase (for an Action entry).
    pub retired: Vec<String>,
    /// Whether it matches something today but matched nothing then.
    pub nothing_then: bool,
}

impl EntryDrift {
    /// Whether there is anything to report.
    pub fn is_empty(&self) -> bool {
        self.gained.is_empty() && self.retired.is_empty() && !self.nothing_then
    }
}

/// The drift of every granting entry of `policy`, over `catalog` (today's
/// actions), in statement and entry order; entries without drift are left
/// out.
pub fn drift(policy: &Policy, catalog: &Catalog, since: Since) -> Vec<EntryDrift> {
    let mut out = Vec::new();
    for statement in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        match statement.key {
            ActionKey::Action => {
                for (index, glob) in statement.entries.iter().enumerate() {
                    let matched = catalog.matching(glob);
                    let drift = EntryDrift {
                        index: Some(index),
                        entries: vec![glob.as_str().to_string()],
                        ..measure(statement, catalog, &matched, since, Some(glob), |b| {
                            b.matching(glob)
                        })
                    };
                    if !drift.is_empty() {
                        out.push(drift);
                    }
                }
            }
            ActionKey::NotAction => {
                let granted = statement.allowed_actions(catalog);
                let drift = EntryDrift {
                    index: None,
                    entries: statement
                        .entries
                        .iter()
                        .map(|g| g.as_str().to_string())
                        .collect(),
                    ..measure(statement, catalog, &granted, since, None, |b| {
                        statement.allowed_actions(b)
                    })
                };
                if !drift.is_empty() {
                    out.push(drift);
                }
            }
        }
    }
    out
}

/// The drift of what a statement's entry (or the statement) grants today,
/// `granted`; `entry` is the entry (`None` for a NotAction statement), and
/// `then` is what it granted over the baseline catalog.
fn measure(
    statement: &Statement,
    catalog: &Catalog,
    granted: &ActionSet,
    since: Since,
    entry: Option<&Glob>,
    then: impl Fn(&Catalog) -> ActionSet,
) -> EntryDrift {
    let literal = entry.is_some_and(Glob::is_literal);
    let mut gained = Vec::new();
    let mut retired = Vec::new();
    match since {
        Since::Date(date, dates) => {
            for id in granted.iter() {
                if let Some(surely) = dates.after(id, date) {
                    gained.push(gained_action(
                        catalog,
                        id,
                        Some(dates.first_seen(id)),
                        surely,
                    ));
                }
            }
            // Actions the entry matched at the date that are gone since (a
            // NotAction statement's would be every service's: not listed).
            if let Some(glob) = entry {
                let gone = dates.index().gone_since(glob, date, catalog);
                retired.extend(gone.iter().map(|g| g.action.clone()));
            }
        }
        Since::Baseline(baseline) => {
            for id in granted.iter() {
                if baseline
                    .find(catalog.service_of(id), catalog.name(id))
                    .is_none()
                {
                    gained.push(gained_action(catalog, id, None, true));
                }
            }
            for old in then(baseline).iter() {
                if catalog
                    .find(baseline.service_of(old), baseline.name(old))
                    .is_none()
                {
                    retired.push(baseline.full_name(old));
                }
            }
        }
    }
    // Every action it matches surely appeared after the date (or is not in
    // the baseline): it matched nothing then. (One whose interval
    // straddles the date may have been there.)
    let nothing_then = !granted.is_empty()
        && gained.len() == granted.len()
        && gained.iter().all(|g| g.surely)
        && retired.is_empty();
    // A wildcard that matched nothing then still reports its gains; a
    // literal gains nothing, it only matched nothing then.
    if literal {
        gained.clear();
    }
    EntryDrift {
        statement: statement.index,
        label: statement.label(),
        key: statement.key,
        entries: Vec::new(),
        index: None,
        gained,
        retired,
        nothing_then,
    }
}

/// One gained action, described.
fn gained_action(
    catalog: &Catalog,
    id: ActionId,
    first_seen: Option<FirstSeen>,
    surely: bool,
) -> Gained {
    Gained {
        action: catalog.full_name(id),
        level: catalog.level(id),
        first_seen,
        surely,
    }
}

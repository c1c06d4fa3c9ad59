//! Unused-access findings: what they say is unused, and the unused set
//! over a catalog.
//!
//! The reader (`read.rs`) turns the accepted shapes into [`Findings`]: a list of
//! [`Unused`] things, notes about what was skipped, the principal they are
//! about, and when they were made. [`Findings::resolve`] then meets them
//! with a catalog: the unused catalog actions as a set, and, in [`Beyond`],
//! what the findings say about actions the catalog does not know — which a
//! refinement must respect as much as the set itself (promise 2: never drop
//! what is used, including actions newer than the catalog).
//!
//! Decisions a careful user would want, and which the README repeats:
//! findings whose `status` is not `ACTIVE` (archived or resolved) are
//! skipped with a note, because a resolved finding no longer says the access
//! is unused; detail kinds that say nothing about permissions (unused
//! passwords, access keys) are skipped with a note; findings about more than
//! one principal (`resource`) are refused by [`parse`], since what one
//! principal does not use another may.

mod compact;
mod many;
mod read;
mod typed;

pub use many::{ByPrincipal, Conflict};
pub(crate) use read::timestamp_member;
pub use read::{no_resource, parse, parse_groups, parse_groups_positioned, Group};

use crate::error::InputError;
use crate::input::time;
use crate::model::catalog::{ActionId, ActionSet, Catalog};
use crate::model::pattern::Glob;
use crate::model::principal::Principal;

/// One thing the findings say is unused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unused {
    /// Every action of every service (an unused role).
    Everything {
        /// When the role was last used, if the finding says (seconds since
        /// the epoch): `--unused-for` counts a role used within its window
        /// as used.
        last_accessed: Option<i64>,
    },
    /// Every action of one service.
    Service {
        /// The service prefix, lowercase.
        service: String,
        /// When the service was last used, if the finding says (seconds
        /// since the epoch).
        last_accessed: Option<i64>,
    },
    /// One action.
    Action {
        /// The service prefix, lowercase.
        service: String,
        /// The action name, as the findings spell it.
        name: String,
        /// When the action was last used, if the finding says.
        last_accessed: Option<i64>,
    },
    /// Every catalog action a glob matches.
    Pattern(Glob),
}

/// When the findings were made, as far as they say: AWS dates each
/// finding (`analyzedAt`); the seed form, action lists and the sources
/// that are not findings carry no date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analyzed {
    /// The latest `analyzedAt`, as seconds since the epoch and as written.
    pub latest: Option<(i64, String)>,
    /// Whether some part of the input carries no date.
    pub undated: bool,
}

impl Analyzed {
    /// Counts one dated finding (`Some`) or one undated part (`None`).
    pub fn add(&mut self, at: Option<(i64, String)>) {
        match at {
            None => self.undated = true,
            Some(at) => {
                if self.latest.as_ref().is_none_or(|latest| at.0 > latest.0) {
                    self.latest = Some(at);
                }
            }
        }
    }

    /// Both inputs' dates together.
    pub fn merge(&mut self, other: Analyzed) {
        self.undated |= other.undated;
        if other.latest.is_some() {
            self.add(other.latest);
        }
    }

    /// Whether `catalog` is at least as new as these findings: every part
    /// is dated, and the latest date is not after the catalog's date.
    /// Undated input counts as newer than any catalog, and so does any
    /// input against a catalog without a date.
    pub fn within(&self, catalog: &Catalog) -> bool {
        let end = catalog
            .info()
            .date
            .as_deref()
            .and_then(time::parse_date)
            .map(|start| start + time::DAY);
        match (&self.latest, end) {
            (Some((latest, _)), Some(end)) => !self.undated && *latest < end,
            _ => false,
        }
    }

    /// The latest date, as written, when it is after `catalog`'s date.
    pub fn after(&self, catalog: &Catalog) -> Option<&str> {
        let (latest, text) = self.latest.as_ref()?;
        let start = catalog.info().date.as_deref().and_then(time::parse_date);
        match start {
            Some(start) if *latest < start + time::DAY => None,
            _ => Some(text),
        }
    }
}

/// What a findings file says, before it meets a catalog.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// The unused actions, services and patterns.
    pub unused: Vec<Unused>,
    /// Things skipped, for stderr.
    pub notes: Vec<String>,
    /// The principal the findings are about (their `resource`), when they
    /// name one.
    pub resource: Option<String>,
    /// When they were made.
    pub analyzed: Analyzed,
    /// The findings read, active or not: pages of one finding share an id,
    /// a date and a status; see `ByPrincipal` for what contradicts.
    pub seen: Vec<Seen>,
    /// Unused actions [compacted](Findings::compact) to ids of `known_in`
    /// (those without a last-accessed date): an account's findings name
    /// millions of actions, and an id is a fraction of a name's size.
    pub known: Vec<ActionId>,
    /// The catalog the ids of `known` are of.
    pub known_in: Option<Catalog>,
}

/// One finding read (active or not), for telling pages from
/// contradictions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Its `findingType`: `UnusedPermission` or `UnusedIAMRole`.
    pub kind: &'static str,
    /// Its `id`, when it has one.
    pub id: Option<String>,
    /// Its `analyzedAt`, as seconds since the epoch and as written, when it
    /// has one: pages of one finding share it; copies made at different
    /// times do not.
    pub analyzed: Option<(i64, String)>,
    /// Whether its `status` is `ACTIVE` (or absent): only active findings
    /// are read, but an archived or resolved copy of a finding beside an
    /// active one says that one is stale.
    pub active: bool,
}

/// What the input says about actions the catalog does not know, and
/// whether the catalog can be trusted to know them all.
///
/// The unused set is over the catalog; these facts reach past it. They
/// decide what refinement may do with an entry that matches actions the
/// catalog lacks, and with a statement that grants services the catalog
/// lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Beyond {
    /// Nothing at all was used (an `UnusedIAMRole` finding): every action,
    /// known to the catalog or not, is unused.
    pub everything: bool,
    /// Services the input calls wholly unused, lowercase and sorted: their
    /// actions the catalog does not know are unused too.
    pub services: Vec<String>,
    /// The catalog is at least as new as the input (or the user said it is
    /// current): no action the principal could have used is missing from
    /// it. Refinement may then treat "not in the catalog" as "does not
    /// exist" for services as a whole.
    pub catalog_current: bool,
}

impl Beyond {
    /// Whether a statement that grants every service must keep granting
    /// the services the catalog does not know: one of them may be in use,
    /// unless nothing is used or the catalog is current.
    pub fn keeps_new_services(&self) -> bool {
        !self.everything && !self.catalog_current
    }

    /// What is known beyond the catalog for a policy that reaches all of
    /// `each`: what every one of them leaves unused.
    pub fn intersection<'a>(each: impl IntoIterator<Item = &'a Beyond>) -> Beyond {
        let mut iter = each.into_iter();
        let Some(first) = iter.next() else {
            return Beyond::default();
        };
        let mut all = first.clone();
        for other in iter {
            if other.everything {
                continue;
            }
            if all.everything {
                all = other.clone();
                continue;
            }
            all.services.retain(|s| other.services.contains(s));
            all.catalog_current &= other.catalog_current;
        }
        all
    }
}

/// The unused set over a catalog, and what resolving it found.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The catalog, extended by unused actions it did not know.
    pub catalog: Catalog,
    /// The unused actions.
    pub unused: ActionSet,
    /// What the input says beyond the catalog.
    pub beyond: Beyond,
    /// Warnings for stderr: unknown actions and services, empty patterns.
    pub warnings: Vec<String>,
    /// The principal the input is about, when it names one.
    pub resource: Option<String>,
    /// The latest date of the findings, as written, when it is after the
    /// catalog's date: actions AWS added in between are unknown to it.
    pub newer_than_catalog: Option<String>,
}

impl Resolved {
    /// Refuses these findings for a policy whose host names another
    /// principal as its owner (`get-role-policy` output of another role):
    /// refining a role's policy against a user's findings would remove
    /// what the role uses.
    pub fn refuse_other_owner(&self, owner: Option<&Principal>) -> Result<(), InputError> {
        let (Some(resource), Some(owner)) = (self.resource.as_deref(), owner) else {
            return Ok(());
        };
        if owner.is(resource) {
            return Ok(());
        }
        Err(InputError::whole(format!(
            "the findings are about {}, but this is {} {}'s inline policy",
            crate::error::escape(resource),
            owner.kind.as_str(),
            crate::error::escape(&owner.name)
        ))
        .with_hint("refine each policy against the findings of the principal it belongs to"))
    }

    /// The view of this resolution that refinement and verification use.
    pub fn usage(&self) -> Usage<'_> {
        Usage {
            catalog: &self.catalog,
            unused: &self.unused,
            beyond: &self.beyond,
        }
    }
}

/// What refinement and verification need to know about use: the catalog,
/// the unused actions in it, and what is known beyond it.
#[derive(Debug, Clone, Copy)]
pub struct Usage<'a> {
    /// The catalog (extended by unknown unused actions).
    pub catalog: &'a Catalog,
    /// The unused actions.
    pub unused: &'a ActionSet,
    /// What is known beyond the catalog.
    pub beyond: &'a Beyond,
}

impl Usage<'_> {
    /// Whether everything `glob` can match, in the catalog and beyond it,
    /// is unused, given `matched`, the catalog actions it matches: nothing
    /// is used at all; or it is an exact name, which grants exactly itself,
    /// and that action is unused; or it is confined to a service the input
    /// calls wholly unused.
    pub fn wholly_unused(&self, glob: &Glob, matched: &ActionSet) -> bool {
        if self.beyond.everything {
            return true;
        }
        if glob.is_literal() && !matched.is_empty() && matched.is_subset(self.unused) {
            return true;
        }
        glob.literal_service()
            .is_some_and(|service| self.service_wholly_unused(service))
    }

    /// Whether the input calls `service` (any case) wholly unused, its
    /// actions the catalog does not know included.
    pub fn service_wholly_unused(&self, service: &str) -> bool {
        let service = service.to_ascii_lowercase();
        self.beyond.services.binary_search(&service).is_ok()
    }
}

impl Findings {
    /// Adds `other`'s findings to these (pages of one finding, or findings
    /// of one principal from several files).
    pub fn merge(&mut self, mut other: Findings) {
        self.take_known(&mut other);
        self.resource = self.resource.take().or(other.resource);
        self.unused.extend(other.unused);
        self.notes.extend(other.notes);
        self.analyzed.merge(other.analyzed);
        for seen in other.seen {
            if !self.seen.contains(&seen) {
                self.seen.push(seen);
            }
        }
    }

    /// Treats as used every action, service and role last used at or after
    /// `since` (seconds since the epoch): `--unused-for`, for a team whose
    /// bar for "unused" is longer than its analyzer's tracking period.
    /// Returns how many entries that took out of the unused list.
    pub fn used_since(&mut self, since: i64) -> usize {
        // Compacted actions have no date: none was used since.
        let before = self.unused.len();
        self.unused.retain(|unused| match unused {
            Unused::Everything { last_accessed }
            | Unused::Service { last_accessed, .. }
            | Unused::Action { last_accessed, .. } => last_accessed.is_none_or(|at| at < since),
            Unused::Pattern(_) => true,
        });
        before - self.unused.len()
    }

    /// The unused set over `catalog`.
    ///
    /// Unused actions the catalog lacks are real (AWS reported them), so they
    /// join a copy of the catalog for this run, with a warning that the
    /// catalog is older than the findings; refinement then keeps them out of
    /// every prefix it writes.
    pub fn resolve(&self, catalog: &Catalog) -> Resolved {
        // One lookup per name when the catalog knows them all (nearly
        // always); a catalog extended by the missing ones is resolved anew.
        let (unused, more, any_missing) = self.unused_and_missing(catalog);
        let mut warnings = Vec::new();
        let (catalog, unused, more) = if any_missing {
            let missing = self.missing_actions(catalog);
            warnings.push(missing_warning(&missing));
            let catalog = catalog.with_actions(&missing);
            let (unused, more) = self.unused_in(&catalog);
            (catalog, unused, more)
        } else {
            (catalog.clone(), unused, more)
        };
        warnings.extend(more);
        Resolved {
            beyond: self.beyond(&catalog),
            newer_than_catalog: self.analyzed.after(&catalog).map(str::to_string),
            catalog,
            unused,
            warnings,
            resource: self.resource.clone(),
        }
    }

    /// What the findings say beyond `catalog`.
    pub fn beyond(&self, catalog: &Catalog) -> Beyond {
        let mut services: Vec<String> = self
            .unused
            .iter()
            .filter_map(|unused| match unused {
                Unused::Service { service, .. } => Some(service.clone()),
                _ => None,
            })
            .collect();
        services.sort_unstable();
        services.dedup();
        Beyond {
            everything: self
                .unused
                .iter()
                .any(|u| matches!(u, Unused::Everything { .. })),
            services,
            catalog_current: self.analyzed.within(catalog),
        }
    }

    /// The unused actions the findings name that `catalog` does not know.
    pub fn missing_actions(&self, catalog: &Catalog) -> Vec<(String, String)> {
        let mut missing: Vec<(String, String)> = Vec::new();
        // Each once, the first spelling kept: a set of the names seen, not
        // a scan of the list per name (findings may name thousands).
        let mut listed: std::collections::HashSet<(String, String)> = Default::default();
        for unused in self.unused.iter().chain(&self.known_names(catalog)) {
            if let Unused::Action { service, name, .. } = unused {
                if catalog.find(service, name).is_some() {
                    continue;
                }
                if listed.insert((service.clone(), name.to_ascii_lowercase())) {
                    missing.push((service.clone(), name.clone()));
                }
            }
        }
        missing
    }

    /// The unused set over a catalog that already holds every action the
    /// findings name (see [`Findings::missing_actions`]; one not there is
    /// left out), with warnings about services and patterns it does not
    /// know. Unlike [`Findings::resolve`] this never copies the catalog, so
    /// an account's worth of principals can share one.
    pub fn unused_in(&self, catalog: &Catalog) -> (ActionSet, Vec<String>) {
        let (set, warnings, _) = self.unused_and_missing(catalog);
        (set, warnings)
    }

    /// [`Findings::unused_in`], and whether some unused action the findings
    /// name is missing from `catalog`.
    fn unused_and_missing(&self, catalog: &Catalog) -> (ActionSet, Vec<String>, bool) {
        let mut any_missing = false;
        let mut warnings = Vec::new();
        let mut set = catalog.empty_set();
        match self.known_in.as_ref().filter(|c| c.same_ids(catalog)) {
            Some(_) => self.known.iter().for_each(|&id| set.insert(id)),
            None => {
                for unused in self.known_names(catalog) {
                    if let Unused::Action { service, name, .. } = unused {
                        match catalog.find(&service, &name) {
                            Some(id) => set.insert(id),
                            None => any_missing = true,
                        }
                    }
                }
            }
        }
        for unused in &self.unused {
            match unused {
                Unused::Everything { .. } => set = ActionSet::full(catalog.len()),
                Unused::Service { service, .. } => match catalog.service(service) {
                    Some(range) => set.insert_range(range.start, range.end),
                    None => warnings.push(format!(
                        "the findings name service {}, which the catalog does not know",
                        crate::error::escape(service)
                    )),
                },
                Unused::Action { service, name, .. } => match catalog.find(service, name) {
                    Some(id) => set.insert(id),
                    None => any_missing = true,
                },
                Unused::Pattern(glob) => {
                    let matched = catalog.matching(glob);
                    if matched.is_empty() {
                        warnings.push(format!(
                            "the findings entry {} matches no action in the catalog",
                            crate::error::quote(glob.as_str())
                        ));
                    }
                    set.union_with(&matched);
                }
            }
        }
        (set, warnings, any_missing)
    }
}

/// The warning for unused actions the catalog does not know.
pub fn missing_warning(missing: &[(String, String)]) -> String {
    let names: Vec<String> = missing.iter().map(|(s, n)| format!("{s}:{n}")).collect();
    format!(
        "{} unused action{} not in the catalog ({}): the catalog is older than the findings; treated as real actions",
        names.len(),
        if names.len() == 1 { " is" } else { "s are" },
        abbreviate(&names)
    )
}

/// The note for findings made after the catalog's date: a wildcard
/// refinement narrows or drops is computed over the catalog, so an action
/// AWS added since, which the principal may use, can go with it.
pub fn newer_note(findings_date: &str, catalog: &Catalog) -> String {
    // The UTC day, as the catalog's date is: an offset can move it.
    let day = time::parse_timestamp(findings_date)
        .map_or_else(|| findings_date.to_string(), time::format_date);
    format!(
        "the findings ({}) are newer than the catalog ({}): an action AWS added in between, if this principal uses it, is dropped where a wildcard was narrowed\nhint: refresh the catalog: `refine catalog import` of AWS's service reference, then `--catalog FILE`",
        crate::error::escape(&day),
        catalog.info().date.as_deref().unwrap_or("undated")
    )
}

/// At most five names, then "and N more".
pub fn abbreviate(names: &[String]) -> String {
    if names.len() <= 5 {
        names.join(", ")
    } else {
        format!("{}, and {} more", names[..5].join(", "), names.len() - 5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An action the catalog lacks is added once, in its first spelling,
    /// however often and in whatever case the findings name it.
    #[test]
    fn missing_actions_are_listed_once_in_their_first_spelling() {
        let findings = parse(
            r#"["s3:GetBrandNew", "s3:getbrandnew", "s3:GetObject", "S3X:Foo", "s3:GETBRANDNEW"]"#,
        )
        .unwrap();
        assert_eq!(
            findings.missing_actions(&Catalog::bundled()),
            [
                ("s3".to_string(), "GetBrandNew".to_string()),
                ("s3x".to_string(), "Foo".to_string())
            ]
        );
    }

    fn beyond(everything: bool, services: &[&str], current: bool) -> Beyond {
        Beyond {
            everything,
            services: services.iter().map(|s| s.to_string()).collect(),
            catalog_current: current,
        }
    }

    /// A shared policy knows beyond the catalog only what all its owners
    /// leave unused; an owner that used nothing constrains nothing.
    #[test]
    fn beyond_intersects_like_the_unused_sets() {
        let all = Beyond::intersection([
            &beyond(false, &["s3", "sqs"], true),
            &beyond(false, &["sqs"], false),
        ]);
        assert_eq!(all, beyond(false, &["sqs"], false));
        let with_idle =
            Beyond::intersection([&beyond(true, &[], false), &beyond(false, &["sqs"], true)]);
        assert_eq!(with_idle, beyond(false, &["sqs"], true));
        assert_eq!(
            Beyond::intersection([&beyond(true, &[], false), &beyond(true, &[], false)]),
            beyond(true, &[], false)
        );
    }

    #[test]
    fn catalog_currency_needs_every_finding_dated_no_later_than_the_catalog() {
        let catalog = Catalog::bundled();
        let date = catalog.info().date.clone().unwrap();
        let at = |text: &str| Some((time::parse_timestamp(text).unwrap(), text.to_string()));
        let mut analyzed = Analyzed::default();
        assert!(!analyzed.within(&catalog), "nothing dated is not current");
        analyzed.add(at(&format!("{date}T23:59:59Z")));
        assert!(analyzed.within(&catalog));
        assert_eq!(analyzed.after(&catalog), None);
        let mut later = analyzed.clone();
        later.add(at("2099-01-01T00:00:00Z"));
        assert!(!later.within(&catalog));
        assert_eq!(later.after(&catalog), Some("2099-01-01T00:00:00Z"));
        analyzed.add(None);
        assert!(
            !analyzed.within(&catalog),
            "an undated part counts as newer"
        );
    }
}

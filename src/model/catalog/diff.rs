//! What changed between two catalogs: per service, the actions added,
//! removed (retired) and re-levelled; `refine catalog diff`.
//!
//! Services and actions are matched as IAM matches them, ignoring case,
//! so an action whose spelling changed only in case is the same action
//! (its new spelling is the one reported). Both catalogs keep services and
//! each service's actions sorted ignoring case, so the diff is one merge
//! pass over each.

use super::{cmp_ignore_case, AccessLevel, ActionId, Catalog};
use std::cmp::Ordering;
use std::ops::Range;

/// How one service changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDiff {
    /// The service prefix (the new catalog's spelling when it has it).
    pub service: String,
    /// Whether the service is new, retired, or in both catalogs.
    pub change: ServiceChange,
    /// Actions only the new catalog has, with their levels.
    pub added: Vec<(String, AccessLevel)>,
    /// Actions only the old catalog has, with their levels there.
    pub removed: Vec<(String, AccessLevel)>,
    /// Actions in both whose access level changed: name, old, new (a
    /// level either catalog does not know is no change).
    pub relevelled: Vec<(String, AccessLevel, AccessLevel)>,
}

/// Whether a service is in one catalog or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceChange {
    /// Only the new catalog has it.
    Added,
    /// Only the old catalog has it.
    Removed,
    /// Both have it, with different actions or levels.
    Changed,
}

impl ServiceChange {
    /// The word reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceChange::Added => "added",
            ServiceChange::Removed => "removed",
            ServiceChange::Changed => "changed",
        }
    }
}

/// The services that differ between `old` and `new`, sorted by prefix
/// (ignoring case); services `keep` refuses are left out.
pub fn diff(old: &Catalog, new: &Catalog, keep: impl Fn(&str) -> bool) -> Vec<ServiceDiff> {
    let old_services: Vec<(&str, Range<u32>)> = services(old).collect();
    let new_services: Vec<(&str, Range<u32>)> = services(new).collect();
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old_services.len() || j < new_services.len() {
        let order = match (old_services.get(i), new_services.get(j)) {
            (Some((a, _)), Some((b, _))) => cmp_ignore_case(a, b),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let service = match order {
            Ordering::Less => {
                let (name, range) = &old_services[i];
                i += 1;
                ServiceDiff {
                    service: name.to_string(),
                    change: ServiceChange::Removed,
                    added: Vec::new(),
                    removed: listed(old, range.clone()),
                    relevelled: Vec::new(),
                }
            }
            Ordering::Greater => {
                let (name, range) = &new_services[j];
                j += 1;
                ServiceDiff {
                    service: name.to_string(),
                    change: ServiceChange::Added,
                    added: listed(new, range.clone()),
                    removed: Vec::new(),
                    relevelled: Vec::new(),
                }
            }
            Ordering::Equal => {
                let (name, new_range) = &new_services[j];
                let old_range = old_services[i].1.clone();
                (i, j) = (i + 1, j + 1);
                let service = actions(old, old_range, new, new_range.clone(), name);
                let unchanged = service.added.is_empty()
                    && service.removed.is_empty()
                    && service.relevelled.is_empty();
                if unchanged {
                    continue;
                }
                service
            }
        };
        if keep(&service.service) {
            out.push(service);
        }
    }
    out
}

/// A catalog's services with their ranges of ids.
fn services(catalog: &Catalog) -> impl Iterator<Item = (&str, Range<u32>)> {
    catalog.service_names().filter_map(|name| {
        let range = catalog.service(name)?;
        Some((name, range))
    })
}

/// The actions of a range, with their levels.
fn listed(catalog: &Catalog, range: Range<u32>) -> Vec<(String, AccessLevel)> {
    range
        .map(ActionId)
        .map(|id| (catalog.name(id).to_string(), catalog.level(id)))
        .collect()
}

/// How the actions of one service present in both catalogs changed.
fn actions(
    old: &Catalog,
    old_range: Range<u32>,
    new: &Catalog,
    new_range: Range<u32>,
    service: &str,
) -> ServiceDiff {
    let mut out = ServiceDiff {
        service: service.to_string(),
        change: ServiceChange::Changed,
        added: Vec::new(),
        removed: Vec::new(),
        relevelled: Vec::new(),
    };
    let (mut a, mut b) = (old_range.start, new_range.start);
    while a < old_range.end || b < new_range.end {
        let order = if a == old_range.end {
            Ordering::Greater
        } else if b == new_range.end {
            Ordering::Less
        } else {
            cmp_ignore_case(old.name(ActionId(a)), new.name(ActionId(b)))
        };
        match order {
            Ordering::Less => {
                let id = ActionId(a);
                out.removed.push((old.name(id).to_string(), old.level(id)));
                a += 1;
            }
            Ordering::Greater => {
                let id = ActionId(b);
                out.added.push((new.name(id).to_string(), new.level(id)));
                b += 1;
            }
            Ordering::Equal => {
                let (before, after) = (old.level(ActionId(a)), new.level(ActionId(b)));
                // A catalog without levels (service-reference files without
                // annotations) says nothing about them: not a re-levelling.
                let known = before != AccessLevel::Unknown && after != AccessLevel::Unknown;
                if known && before != after {
                    let name = new.name(ActionId(b)).to_string();
                    out.relevelled.push((name, before, after));
                }
                (a, b) = (a + 1, b + 1);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::format;

    fn catalog(body: &str) -> Catalog {
        format::parse(&format!("{}\n{body}", format::MAGIC)).unwrap()
    }

    #[test]
    fn added_removed_and_relevelled_actions_and_services() {
        let old = catalog(
            "[s3]\nGetObject R\nPutObjectAcl W\nOldThing W\n[gone]\nA R\n[sqs]\nSendMessage W\n",
        );
        let new = catalog(
            "[S3]\ngetobject R\nGetBucketAbac R\nPutObjectAcl P\n[sqs]\nSendMessage W\n[newsvc]\nB L\n",
        );
        let changes = diff(&old, &new, |_| true);
        let summary: Vec<String> = changes
            .iter()
            .map(|s| {
                format!(
                    "{} {} +{:?} -{:?} ~{:?}",
                    s.service,
                    s.change.as_str(),
                    s.added.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                    s.removed.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                    s.relevelled
                        .iter()
                        .map(|(n, a, b)| format!("{n} {}>{}", a.code(), b.code()))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "gone removed +[] -[\"A\"] ~[]",
                "newsvc added +[\"B\"] -[] ~[]",
                "s3 changed +[\"GetBucketAbac\"] -[\"OldThing\"] ~[\"PutObjectAcl W>P\"]",
            ]
        );
        assert!(diff(&new, &new, |_| true).is_empty());
        let only_s3 = diff(&old, &new, |s| s.eq_ignore_ascii_case("s3"));
        assert_eq!(only_s3.len(), 1);
    }

    /// Against brute force over the bundled catalog and a perturbed copy:
    /// every action of one and not the other is reported, once.
    #[test]
    fn agrees_with_set_difference_on_the_bundled_catalog() {
        let new = Catalog::bundled();
        let text = format::write(&new);
        // Drop every 7th action line and re-level every 11th (to one
        // that is not Unknown, which counts as no level).
        let mut body = String::new();
        for (i, line) in text.lines().enumerate() {
            if line.starts_with(['#', '[', '>']) || line.is_empty() {
                body.push_str(line);
            } else if i % 7 == 0 {
                continue;
            } else if i % 11 == 0 {
                let (name, level) = line.rsplit_once(' ').unwrap();
                let other = if level == "T" { "L" } else { "T" };
                body.push_str(&format!("{name} {other}"));
            } else {
                body.push_str(line);
            }
            body.push('\n');
        }
        let old = format::parse(&body).unwrap();
        let changes = diff(&old, &new, |_| true);
        let added: usize = changes.iter().map(|s| s.added.len()).sum();
        let relevelled: usize = changes.iter().map(|s| s.relevelled.len()).sum();
        let removed: usize = changes.iter().map(|s| s.removed.len()).sum();
        let missing = new
            .ids()
            .filter(|&id| old.find(new.service_of(id), new.name(id)).is_none())
            .count();
        assert_eq!(added, missing);
        assert_eq!(removed, 0);
        let changed = new
            .ids()
            .filter(|&id| {
                old.find(new.service_of(id), new.name(id)).is_some_and(|o| {
                    let (a, b) = (old.level(o), new.level(id));
                    a != b && a != AccessLevel::Unknown && b != AccessLevel::Unknown
                })
            })
            .count();
        assert_eq!(relevelled, changed);
        assert!(added > 1000 && relevelled > 1000);
    }
}

//! Findings of many principals, from many files: an analyzer's findings
//! fetched one file per finding, or arrays of them.
//!
//! Findings are matched to principals by their `resource` ARN. Pages of
//! one finding (the same `id`, `analyzedAt` and status, or, without ids,
//! in one file) are merged. Copies of one finding analyzed at two times,
//! or active in one file and archived or resolved in another, contradict
//! each other (one is stale); so do two active findings of one principal
//! with different ids of one type, and an active `UnusedIAMRole` finding
//! beside an active `UnusedPermission` one (Access Analyzer reports a role
//! as unused or its permissions, not both). Merging would take
//! the union and call used actions unused, so they are refused, naming
//! both files: which one is current? Findings
//! that name no principal (the seed form, action lists) are for "the"
//! principal: they go with the one principal the other findings name, and
//! are refused beside findings for several.

use super::{Findings, Group, Seen};
use crate::error::escape;
use std::collections::BTreeMap;
use std::fmt;

/// Two findings that cannot both be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// What is wrong, naming both places.
    pub message: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Conflict {}

/// One principal's findings and where each finding came from.
#[derive(Debug, Default)]
struct Entry {
    findings: Findings,
    /// Each active finding read, and its file.
    from: Vec<(Seen, String)>,
}

/// Findings by principal (see the module documentation).
#[derive(Debug, Default)]
pub struct ByPrincipal {
    principals: BTreeMap<String, Entry>,
    /// Findings that name no principal, and the first file they are in.
    anonymous: Option<(Findings, String)>,
}

impl ByPrincipal {
    /// Adds the findings of `file`, read into `groups`.
    pub fn add(&mut self, file: &str, groups: Vec<Group>) -> Result<(), Conflict> {
        for group in groups {
            match group.resource {
                None => match &mut self.anonymous {
                    Some((findings, _)) => findings.merge(group.findings),
                    None => self.anonymous = Some((group.findings, file.to_string())),
                },
                Some(arn) => {
                    let entry = self.principals.entry(arn.clone()).or_default();
                    for seen in &group.findings.seen {
                        check(&arn, entry, seen, file)?;
                        entry.from.push((seen.clone(), file.to_string()));
                    }
                    entry.findings.merge(group.findings);
                }
            }
        }
        self.anonymous_beside_many()
    }

    /// Checks the findings of `file` against those checked before, by the
    /// same rules as [`ByPrincipal::add`], keeping only what the checks
    /// need (which finding came from which file), not the findings: for a
    /// caller that keeps the groups itself (`refine account`).
    pub fn check_only(&mut self, file: &str, groups: &[Group]) -> Result<(), Conflict> {
        for group in groups {
            let Some(arn) = &group.resource else {
                continue;
            };
            let entry = self.principals.entry(arn.clone()).or_default();
            for seen in &group.findings.seen {
                check(arn, entry, seen, file)?;
                entry.from.push((seen.clone(), file.to_string()));
            }
        }
        Ok(())
    }

    /// Refuses findings without a principal beside findings for several.
    fn anonymous_beside_many(&self) -> Result<(), Conflict> {
        match (&self.anonymous, self.principals.len()) {
            (Some((_, file)), 2..) => Err(Conflict {
                message: format!(
                    "{}: findings without a `resource`, beside findings for several principals: which principal are they about?",
                    escape(file)
                ),
            }),
            _ => Ok(()),
        }
    }

    /// How many principals the findings name.
    pub fn len(&self) -> usize {
        self.principals.len()
    }

    /// Whether no findings were read at all.
    pub fn is_empty(&self) -> bool {
        self.principals.is_empty() && self.anonymous.is_none()
    }

    /// The first file holding findings that name no principal, if any.
    pub fn anonymous_file(&self) -> Option<&str> {
        self.anonymous.as_ref().map(|(_, file)| file.as_str())
    }

    /// The principals' ARNs and their findings, by ARN.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Findings)> {
        self.principals
            .iter()
            .map(|(arn, entry)| (arn.as_str(), &entry.findings))
    }

    /// Each principal's findings, to change (`--unused-for`).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Findings> {
        self.principals
            .values_mut()
            .map(|entry| &mut entry.findings)
            .chain(self.anonymous.iter_mut().map(|(findings, _)| findings))
    }

    /// All the findings as one principal's, when they are about at most one
    /// (the seed form and action lists name none): what refining policies
    /// of one principal needs. `None` when they name several.
    pub fn single(self) -> Option<Findings> {
        if self.principals.len() > 1 {
            return None;
        }
        let mut all = Findings::default();
        for (_, entry) in self.principals {
            all.merge(entry.findings);
        }
        if let Some((anonymous, _)) = self.anonymous {
            all.merge(anonymous);
        }
        Some(all)
    }
}

/// Refuses a finding `seen` in `file` for `arn` that a finding already in
/// `entry` contradicts (see the module documentation).
fn check(arn: &str, entry: &Entry, seen: &Seen, file: &str) -> Result<(), Conflict> {
    let clash = entry.from.iter().find_map(|(other, other_file)| {
        Some((
            contradiction(other, other_file, seen, file)?,
            other,
            other_file,
        ))
    });
    let Some((why, other, other_file)) = clash else {
        return Ok(());
    };
    let named = |seen: &Seen, file: &str| {
        let at = seen.analyzed.as_ref().map_or(String::new(), |(_, at)| {
            format!(" (analyzedAt {})", escape(at))
        });
        let inactive = if seen.active { "" } else { ", not active," };
        match &seen.id {
            Some(id) => format!(
                "{} {}{at}{inactive} in {}",
                seen.kind,
                escape(id),
                escape(file)
            ),
            None => format!("{}{at}{inactive} in {}", seen.kind, escape(file)),
        }
    };
    Err(Conflict {
        message: format!(
            "{why} for {}: {} and {}: which one is current?",
            escape(arn),
            named(other, other_file),
            named(seen, file)
        ),
    })
}

/// What makes findings `a` (in `a_file`) and `b` (in `b_file`) of one
/// principal contradict each other, if anything: copies of one finding
/// (same id) made at different times or with different statuses; or, both
/// active, two findings of one type, or a role unused beside its unused
/// permissions. An inactive finding with another id is history, not news.
fn contradiction(a: &Seen, a_file: &str, b: &Seen, b_file: &str) -> Option<&'static str> {
    let at = |s: &Seen| s.analyzed.as_ref().map(|(at, _)| *at);
    match (&a.id, &b.id) {
        (Some(x), Some(y)) if x == y => {
            if at(a) != at(b) {
                Some("two copies of one finding, analyzed at different times,")
            } else if a.active != b.active {
                Some("two copies of one finding, one active and one not,")
            } else {
                None
            }
        }
        _ if !(a.active && b.active) => None,
        (None, None) if a_file == b_file => None,
        _ if a.kind != b.kind => Some("an UnusedIAMRole and an UnusedPermission finding"),
        _ => Some("two active findings of one type"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::findings::parse_groups;

    fn finding(id: &str, arn: &str, service: &str) -> String {
        format!(
            r#"{{"id": "{id}", "resource": "{arn}", "status": "ACTIVE", "findingType": "UnusedPermission",
                "findingDetails": [{{"unusedPermissionDetails": {{"serviceNamespace": "{service}"}}}}]}}"#
        )
    }

    const A: &str = "arn:aws:iam::123456789012:role/a";
    const B: &str = "arn:aws:iam::123456789012:role/b";

    #[test]
    fn pages_merge_and_contradictions_are_refused() {
        let mut all = ByPrincipal::default();
        all.add("a1.json", parse_groups(&finding("f1", A, "s3")).unwrap())
            .unwrap();
        all.add("a2.json", parse_groups(&finding("f1", A, "sqs")).unwrap())
            .unwrap();
        all.add("b.json", parse_groups(&finding("f2", B, "s3")).unwrap())
            .unwrap();
        assert_eq!(all.len(), 2);
        let (_, a) = all.iter().next().unwrap();
        assert_eq!(a.unused.len(), 2, "two pages of f1");
        let err = all
            .add("a3.json", parse_groups(&finding("f3", A, "kms")).unwrap())
            .unwrap_err();
        assert_eq!(
            err.message,
            "two active findings of one type for arn:aws:iam::123456789012:role/a: UnusedPermission f1 in a1.json and UnusedPermission f3 in a3.json: which one is current?"
        );
        let err = all
            .add("seed.json", parse_groups(r#"["s3:GetObject"]"#).unwrap())
            .unwrap_err();
        assert!(err
            .message
            .starts_with("seed.json: findings without a `resource`"));
    }

    #[test]
    fn stale_copies_and_a_role_unused_beside_its_permissions_are_refused() {
        let mut all = ByPrincipal::default();
        let dated = |at: &str| {
            finding("f1", A, "s3").replace("\"id\"", &format!("\"analyzedAt\": \"{at}\", \"id\""))
        };
        all.add(
            "new.json",
            parse_groups(&dated("2026-09-01T00:00:00Z")).unwrap(),
        )
        .unwrap();
        let err = all
            .add(
                "old.json",
                parse_groups(&dated("2026-06-01T00:00:00Z")).unwrap(),
            )
            .unwrap_err();
        assert_eq!(
            err.message,
            "two copies of one finding, analyzed at different times, for arn:aws:iam::123456789012:role/a: UnusedPermission f1 (analyzedAt 2026-09-01T00:00:00Z) in new.json and UnusedPermission f1 (analyzedAt 2026-06-01T00:00:00Z) in old.json: which one is current?"
        );
        let role = format!(
            r#"{{"id": "f2", "resource": "{A}", "status": "ACTIVE", "findingType": "UnusedIAMRole"}}"#
        );
        let err = all
            .add("role.json", parse_groups(&role).unwrap())
            .unwrap_err();
        assert!(
            err.message
                .starts_with("an UnusedIAMRole and an UnusedPermission finding for"),
            "{}",
            err.message
        );
    }

    #[test]
    fn one_principal_and_anonymous_findings_are_one() {
        let mut all = ByPrincipal::default();
        all.add("a.json", parse_groups(&finding("f1", A, "s3")).unwrap())
            .unwrap();
        all.add("seed.json", parse_groups(r#"["sqs:SendMessage"]"#).unwrap())
            .unwrap();
        let single = all.single().unwrap();
        assert_eq!(single.unused.len(), 2);
        assert_eq!(single.resource.as_deref(), Some(A));
    }
}

//! Findings of many principals, from many files: an analyzer's findings
//! fetched one file per finding, or arrays of them.
//!
//! Findings are matched to principals by their `resource` ARN. Pages of
//! one finding (the same `id`, or, without ids, in one file) are merged;
//! two active findings of one type for one principal contradict each other
//! (which one is current?) and are refused, naming both files. Findings
//! that name no principal (the seed form, action lists) are for "the"
//! principal: they go with the one principal the other findings name, and
//! are refused beside findings for several.

use super::{Findings, Group};
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
    /// `(findingType, id, file)` of each active finding read.
    from: Vec<(&'static str, Option<String>, String)>,
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
                    for (kind, id) in &group.findings.seen {
                        check(&arn, entry, kind, id.as_ref(), file)?;
                        entry.from.push((kind, id.clone(), file.to_string()));
                    }
                    entry.findings.merge(group.findings);
                }
            }
        }
        self.anonymous_beside_many()
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

/// Refuses a finding of `kind` for `arn` that another finding of that kind
/// in `entry` contradicts: a different id, or no id in another file.
fn check(
    arn: &str,
    entry: &Entry,
    kind: &str,
    id: Option<&String>,
    file: &str,
) -> Result<(), Conflict> {
    let clash = entry.from.iter().find(|(k, i, f)| {
        *k == kind
            && match (i.as_ref(), id) {
                (Some(a), Some(b)) => a != b,
                (None, None) => f != file,
                _ => true,
            }
    });
    match clash {
        None => Ok(()),
        Some((_, other_id, other_file)) => {
            let named = |id: Option<&String>, file: &str| match id {
                Some(id) => format!("finding {} in {}", escape(id), escape(file)),
                None => format!("a finding in {}", escape(file)),
            };
            Err(Conflict {
                message: format!(
                    "two active {kind} findings for {}: {} and {}: which one is current?",
                    escape(arn),
                    named(other_id.as_ref(), other_file),
                    named(id, file)
                ),
            })
        }
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
            "two active UnusedPermission findings for arn:aws:iam::123456789012:role/a: finding f1 in a1.json and finding f3 in a3.json: which one is current?"
        );
        let err = all
            .add("seed.json", parse_groups(r#"["s3:GetObject"]"#).unwrap())
            .unwrap_err();
        assert!(err
            .message
            .starts_with("seed.json: findings without a `resource`"));
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

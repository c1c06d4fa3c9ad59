//! Owners: which principals a policy belongs to, and what they leave
//! unused together.
//!
//! A policy attached to several principals may lose an action only when
//! *every* one of them has that action unused: the intersection of their
//! unused sets (and of what they say beyond the catalog). A principal
//! without findings is not "uses everything" but "unknown": a policy it
//! owns is left as written and reported as not checked. Account mode and
//! repository runs share these rules ([`intersect`]).
//!
//! [`OwnerIndex`] holds every principal's unused set over one catalog,
//! extended once by the unused actions any of them names and the catalog
//! lacks; [`resolve`](super::resolve) says whom each policy belongs to.

use crate::input::findings::{missing_warning, Analyzed, Beyond, ByPrincipal};
use crate::model::catalog::{ActionSet, Catalog};
use crate::model::principal::Principal;
use std::collections::HashMap;

/// Where a policy's owners were learnt from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The file itself (`RoleName` of `get-role-policy` output).
    Host,
    /// `--owners`.
    Manifest,
    /// `--details`: the deployed policy the file is equal to.
    Details,
}

impl Source {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Host => "file",
            Source::Manifest => "manifest",
            Source::Details => "details",
        }
    }
}

/// What all of `members` leave unused: the intersection of their sets and
/// of what they say beyond the catalog. Everything when there are none;
/// callers leave such policies alone.
pub fn intersect<'a>(
    catalog: &Catalog,
    members: impl IntoIterator<Item = (&'a ActionSet, &'a Beyond)>,
) -> (ActionSet, Beyond) {
    let mut set = ActionSet::full(catalog.len());
    let mut beyonds = Vec::new();
    for (unused, beyond) in members {
        set.intersect_with(unused);
        beyonds.push(beyond);
    }
    let beyond = match beyonds.is_empty() {
        true => Beyond::default(),
        false => Beyond::intersection(beyonds),
    };
    (set, beyond)
}

/// Every principal's unused set over one catalog.
#[derive(Debug)]
pub struct OwnerIndex {
    catalog: Catalog,
    by_arn: HashMap<String, (ActionSet, Beyond)>,
    /// Warnings: unused actions the catalog lacks, services and patterns it
    /// does not know, each with its principal.
    pub warnings: Vec<String>,
    /// The latest date of the findings, as written, when after the
    /// catalog's date.
    pub newer_than_catalog: Option<String>,
}

/// The owners of a policy that have no findings: it is not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoFindings {
    /// Their ARNs.
    pub owners: Vec<String>,
}

impl OwnerIndex {
    /// Resolves every principal's findings over `catalog`, extended by the
    /// unused actions any of them names and it lacks; `catalog_current` is
    /// the user's word that the catalog is current.
    pub fn new(findings: &ByPrincipal, catalog: &Catalog, catalog_current: bool) -> OwnerIndex {
        let mut missing: Vec<(String, String)> = Vec::new();
        for (_, f) in findings.iter() {
            for action in f.missing_actions(catalog) {
                let listed = missing
                    .iter()
                    .any(|(s, n)| *s == action.0 && n.eq_ignore_ascii_case(&action.1));
                if !listed {
                    missing.push(action);
                }
            }
        }
        missing.sort();
        let mut warnings = Vec::new();
        let catalog = match missing.is_empty() {
            true => catalog.clone(),
            false => {
                warnings.push(missing_warning(&missing));
                catalog.with_actions(&missing)
            }
        };
        let mut analyzed = Analyzed::default();
        let mut by_arn = HashMap::new();
        for (arn, f) in findings.iter() {
            let (set, more) = f.unused_in(&catalog);
            warnings.extend(
                more.into_iter()
                    .map(|w| format!("{}: {w}", crate::error::escape(arn))),
            );
            let mut beyond = f.beyond(&catalog);
            beyond.catalog_current |= catalog_current;
            analyzed.merge(f.analyzed.clone());
            by_arn.insert(arn.to_string(), (set, beyond));
        }
        OwnerIndex {
            newer_than_catalog: analyzed.after(&catalog).map(str::to_string),
            catalog,
            by_arn,
            warnings,
        }
    }

    /// The catalog every set is over.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The principals with findings.
    pub fn principals(&self) -> impl Iterator<Item = &str> {
        self.by_arn.keys().map(String::as_str)
    }

    /// The accounts the principals with findings are in.
    pub fn accounts(&self) -> std::collections::BTreeSet<&str> {
        self.principals()
            .filter_map(super::resolve::account_of)
            .collect()
    }

    /// The principals with findings, sorted.
    pub fn principals_sorted(&self) -> Vec<&str> {
        let mut arns: Vec<&str> = self.principals().collect();
        arns.sort_unstable();
        arns
    }

    /// The ARNs with findings that name `principal` (a host names a
    /// principal by kind and name only; one file deployed to several
    /// accounts is owned by each).
    pub fn arns_of(&self, principal: &Principal) -> Vec<String> {
        let mut arns: Vec<String> = self
            .by_arn
            .keys()
            .filter(|arn| principal.is(arn))
            .cloned()
            .collect();
        arns.sort();
        arns
    }

    /// What `owners` leave unused together; an error naming the owners
    /// without findings, when any.
    pub fn usage_for(&self, owners: &[String]) -> Result<(ActionSet, Beyond), NoFindings> {
        let without: Vec<String> = owners
            .iter()
            .filter(|arn| !self.by_arn.contains_key(arn.as_str()))
            .cloned()
            .collect();
        if !without.is_empty() || owners.is_empty() {
            return Err(NoFindings { owners: without });
        }
        let members = owners
            .iter()
            .filter_map(|arn| self.by_arn.get(arn))
            .map(|(set, beyond)| (set, beyond));
        Ok(intersect(&self.catalog, members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::findings::parse_groups;

    #[test]
    fn a_shared_policy_loses_only_what_every_owner_leaves_unused() {
        let text = r#"[
            {"id": "a", "resource": "arn:aws:iam::1:role/a", "status": "ACTIVE", "findingType": "UnusedPermission",
             "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [{"action": "s3:GetObject"}, {"action": "s3:PutObject"}]}}]},
            {"id": "b", "resource": "arn:aws:iam::1:role/b", "status": "ACTIVE", "findingType": "UnusedPermission",
             "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [{"action": "s3:PutObject"}]}}]}
        ]"#;
        let mut all = ByPrincipal::default();
        all.add("f.json", parse_groups(text).unwrap()).unwrap();
        let catalog = Catalog::bundled();
        let index = OwnerIndex::new(&all, &catalog, false);
        let owners = [
            "arn:aws:iam::1:role/a".to_string(),
            "arn:aws:iam::1:role/b".to_string(),
        ];
        let (set, _) = index.usage_for(&owners).unwrap();
        let names: Vec<String> = set.iter().map(|id| catalog.full_name(id)).collect();
        assert_eq!(names, ["s3:PutObject"]);
        let err = index
            .usage_for(&[
                "arn:aws:iam::1:role/a".to_string(),
                "arn:aws:iam::1:role/c".to_string(),
            ])
            .unwrap_err();
        assert_eq!(err.owners, ["arn:aws:iam::1:role/c"]);
        let role_a = Principal::from_arn("arn:aws:iam::9:role/a").unwrap();
        assert_eq!(index.arns_of(&role_a), ["arn:aws:iam::1:role/a"]);
    }
}

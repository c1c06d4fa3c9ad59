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
//! lacks.

use crate::input::findings::{missing_warning, Analyzed, Beyond, ByPrincipal};
use crate::model::catalog::{ActionSet, Catalog};
use crate::model::principal::{Owner, Principal};
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

/// Why a policy is not checked: left as written, and counted apart from
/// those that pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotChecked {
    /// Nothing says whom the policy belongs to.
    OwnerUnknown,
    /// `--details` holds no policy equal to it (edited since deployment,
    /// or never deployed); the nearest deployed policy by name, if any.
    NotDeployed {
        /// The nearest deployed policy's label.
        nearest: Option<String>,
    },
    /// Some owners have no findings: what they use is not known.
    NoFindings {
        /// Those owners.
        owners: Vec<String>,
    },
    /// A group owns it, and nothing says who its members are.
    MembersUnknown {
        /// The group's ARN.
        group: String,
    },
}

impl NotChecked {
    /// The reason, for messages and reports.
    pub fn describe(&self) -> String {
        match self {
            NotChecked::OwnerUnknown => "owner unknown".to_string(),
            NotChecked::NotDeployed { nearest: Some(label) } => format!(
                "not deployed as is (the nearest deployed policy by name is {})",
                crate::error::escape(label)
            ),
            NotChecked::NotDeployed { nearest: None } => "not deployed as is".to_string(),
            NotChecked::NoFindings { owners } => format!(
                "no findings for {}",
                crate::input::findings::abbreviate(
                    &owners.iter().map(|o| crate::error::escape(o)).collect::<Vec<_>>()
                )
            ),
            NotChecked::MembersUnknown { group } => format!(
                "owned by group {}, whose members are unknown (list them in the manifest, or give --details)",
                crate::error::escape(group)
            ),
        }
    }

    /// The kind, for counts: `owner unknown`, `not deployed as is`, `no
    /// findings`.
    pub fn kind(&self) -> &'static str {
        match self {
            NotChecked::OwnerUnknown | NotChecked::MembersUnknown { .. } => "owner unknown",
            NotChecked::NotDeployed { .. } => "not deployed as is",
            NotChecked::NoFindings { .. } => "no findings",
        }
    }
}

/// What refining a repository policy rests on.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Its owners, and what they leave unused together.
    Checked {
        /// Who owns it, and who said.
        owners: Owners,
        /// The unused actions of every owner.
        unused: ActionSet,
        /// What every owner says beyond the catalog.
        beyond: Beyond,
    },
    /// Why it is left as written, and its owners when they are known.
    NotChecked {
        /// Why.
        why: NotChecked,
        /// Who owns it, when that is known.
        owners: Option<Owners>,
    },
}

/// What a policy's owners are, once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owners {
    /// The roles' and users' ARNs.
    pub arns: Vec<String>,
    /// Where they were learnt from.
    pub source: Source,
}

/// Resolves each repository policy's owners: from its host, else the
/// manifest, else the deployed policies; and what they leave unused.
#[derive(Debug)]
pub struct Resolver {
    /// Every principal's unused set.
    pub index: OwnerIndex,
    manifest: Option<crate::input::owners::Manifest>,
    deployed: Option<crate::engine::deployed::Deployed>,
    /// Which manifest keys matched a file.
    matched: Vec<bool>,
    /// The principals that own a policy of the run.
    owning: std::collections::BTreeSet<String>,
}

/// A manifest that gives one file two owner lists.
pub use crate::input::owners::Ambiguous;

impl Resolver {
    /// A resolver over `index`, with the owner sources the run has.
    pub fn new(
        index: OwnerIndex,
        manifest: Option<crate::input::owners::Manifest>,
        deployed: Option<crate::engine::deployed::Deployed>,
    ) -> Resolver {
        let keys = manifest.as_ref().map_or(0, |m| m.len());
        Resolver {
            index,
            manifest,
            deployed,
            matched: vec![false; keys],
            owning: Default::default(),
        }
    }

    /// The owners of `embedded`, the policy of the file at `relative` (to
    /// the manifest's directory) named `stem`, and what they leave unused
    /// together; or why it is not checked.
    pub fn resolve(
        &mut self,
        embedded: &crate::hosts::Embedded,
        relative: Option<&str>,
        stem: &str,
    ) -> Result<Resolution, Ambiguous> {
        let owners = match self.owners(embedded, relative, stem)? {
            Ok(owners) => owners,
            Err(why) => return Ok(Resolution::NotChecked { why, owners: None }),
        };
        self.owning.extend(owners.arns.iter().cloned());
        Ok(match self.index.usage_for(&owners.arns) {
            Ok((unused, beyond)) => Resolution::Checked {
                owners,
                unused,
                beyond,
            },
            Err(missing) => Resolution::NotChecked {
                why: NotChecked::NoFindings {
                    owners: missing.owners,
                },
                owners: Some(owners),
            },
        })
    }

    /// Who owns `embedded`, by the first source that says.
    fn owners(
        &mut self,
        embedded: &crate::hosts::Embedded,
        relative: Option<&str>,
        stem: &str,
    ) -> Result<Result<Owners, NotChecked>, Ambiguous> {
        if let Some(principal) = &embedded.owner {
            return Ok(self.host_owners(principal));
        }
        if let (Some(manifest), Some(relative)) = (&self.manifest, relative) {
            let listed = manifest.owners_of(relative, &mut self.matched)?;
            if let Some(listed) = listed {
                return Ok(self.expand(listed));
            }
        }
        let Some(deployed) = &self.deployed else {
            return Ok(Err(NotChecked::OwnerUnknown));
        };
        let found = deployed.find(&embedded.policy);
        if found.is_empty() {
            let nearest = deployed.nearest(stem).map(|d| d.label.clone());
            return Ok(Err(NotChecked::NotDeployed { nearest }));
        }
        let mut arns: Vec<String> = found
            .iter()
            .flat_map(|d| d.owners.iter().cloned())
            .collect();
        arns.sort();
        arns.dedup();
        if arns.is_empty() {
            return Ok(Err(NotChecked::OwnerUnknown));
        }
        Ok(Ok(Owners {
            arns,
            source: Source::Details,
        }))
    }

    /// The owners a file names itself (`RoleName` of `get-role-policy`
    /// output): the role or user with findings of that name (in any
    /// account: one file deployed to several is owned by each), or a
    /// group's members, by `--details`.
    fn host_owners(&self, principal: &Principal) -> Result<Owners, NotChecked> {
        let named = || format!("{} {}", principal.kind.as_str(), principal.name);
        let arns = match principal.kind {
            Owner::Group => {
                let Some(deployed) = &self.deployed else {
                    return Err(NotChecked::MembersUnknown { group: named() });
                };
                let members = deployed.members_of_named(principal);
                if members.is_empty() {
                    return Err(NotChecked::MembersUnknown { group: named() });
                }
                members
            }
            Owner::Role | Owner::User => {
                let arns = self.index.arns_of(principal);
                if arns.is_empty() {
                    return Err(NotChecked::NoFindings {
                        owners: vec![named()],
                    });
                }
                arns
            }
        };
        Ok(Owners {
            arns,
            source: Source::Host,
        })
    }

    /// The manifest's owners as roles and users: a group by its members.
    fn expand(
        &self,
        listed: Vec<crate::input::owners::ManifestOwner>,
    ) -> Result<Owners, NotChecked> {
        use crate::input::owners::ManifestOwner;
        let mut arns = Vec::new();
        for owner in listed {
            match owner {
                ManifestOwner::Principal(arn) => arns.push(arn),
                ManifestOwner::Group {
                    members: Some(members),
                    ..
                } => arns.extend(members),
                ManifestOwner::Group { arn, members: None } => {
                    let members = self
                        .deployed
                        .as_ref()
                        .map(|d| d.members_of(&arn))
                        .unwrap_or_default();
                    if members.is_empty() {
                        return Err(NotChecked::MembersUnknown { group: arn });
                    }
                    arns.extend(members);
                }
            }
        }
        arns.sort();
        arns.dedup();
        if arns.is_empty() {
            return Err(NotChecked::OwnerUnknown);
        }
        Ok(Owners {
            arns,
            source: Source::Manifest,
        })
    }

    /// The manifest's keys that matched no file of the run, nor any of
    /// `elsewhere` (other files' paths relative to the manifest's
    /// directory: a run over part of a repository leaves keys for the rest
    /// unmatched, which is no mistake).
    pub fn unmatched_keys(&self, elsewhere: &[String]) -> Vec<String> {
        let Some(manifest) = &self.manifest else {
            return Vec::new();
        };
        let mut matched = self.matched.clone();
        for path in elsewhere {
            manifest.mark(path, &mut matched);
        }
        (0..manifest.len())
            .filter(|&i| !matched.get(i).copied().unwrap_or(true))
            .map(|i| manifest.key(i).to_string())
            .collect()
    }

    /// The principals with findings that own no policy of the run: a typo
    /// in a manifest shows here.
    pub fn idle_principals(&self) -> Vec<String> {
        let owning = &self.owning;
        let mut idle: Vec<String> = self
            .index
            .principals()
            .filter(|arn| !owning.contains(*arn))
            .map(str::to_string)
            .collect();
        idle.sort();
        idle
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

//! Whom a repository policy belongs to, and so what it may lose.
//!
//! Three sources name owners: the policy file itself (`get-role-policy`
//! output names its role), the manifest (`--owners`), and the deployed
//! policies (`--details`: the deployed policy the file is equal to). Every
//! source that speaks adds its owners: a policy the manifest gives to one
//! role and the file names another belongs to both, and loses only what
//! both leave unused. Taking the union is the safe side: an owner too many
//! keeps an action, an owner too few could drop one in use.
//!
//! A policy is not checked, and stays as written, when nothing names its
//! owners, when an owner has no findings, when a group owns it and its
//! members are unknown, when a deployed copy reaches principals the details
//! cannot all show, or (with `--details` only) when no deployed policy is
//! equal to it: refine never guesses.

use super::deployed::Deployed;
use super::owners::{OwnerIndex, Source};
use crate::error::escape;
use crate::hosts::Embedded;
use crate::input::findings::{abbreviate, Beyond};
use crate::input::owners::{Ambiguous, Manifest, ManifestOwner};
use crate::model::catalog::ActionSet;
use crate::model::principal::{NamePattern, Owner, OwnerName, Principal};
use std::collections::BTreeSet;

/// Why a policy is not checked: left as written, and counted apart from
/// those that pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotChecked {
    /// Nothing says whom the policy belongs to.
    OwnerUnknown,
    /// The host holds the policy in a form refine does not read (a
    /// template's document that is a function, or has a YAML anchor).
    NotEvaluated {
        /// Why, as a clause.
        why: String,
    },
    /// The host names an owner refine cannot tell (a template's role
    /// whose name is a parameter): why.
    NotNamed {
        /// Why, as a clause.
        why: String,
    },
    /// `--details` holds no policy equal to it (edited since deployment,
    /// or never deployed), and nothing else names its owners; the nearest
    /// deployed policy by name, if any.
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
        /// The group: its ARN, or `group NAME` as a file names it.
        group: String,
    },
    /// A deployed copy of it reaches principals the details do not all
    /// show (a permissions boundary, an incomplete file).
    Unknowable {
        /// The deployed policy, and why.
        why: String,
    },
}

impl NotChecked {
    /// The reason, for messages and reports.
    pub fn describe(&self) -> String {
        match self {
            NotChecked::OwnerUnknown => "owner unknown".to_string(),
            NotChecked::NotNamed { why } => format!("owner unknown: {}", escape(why)),
            NotChecked::NotEvaluated { why } => format!("not evaluated: {}", escape(why)),
            NotChecked::NotDeployed {
                nearest: Some(label),
            } => format!(
                "not deployed as is (the nearest deployed policy by name is {})",
                escape(label)
            ),
            NotChecked::NotDeployed { nearest: None } => "not deployed as is".to_string(),
            NotChecked::NoFindings { owners } => format!(
                "no findings for {}",
                abbreviate(&owners.iter().map(|o| escape(o)).collect::<Vec<_>>())
            ),
            NotChecked::MembersUnknown { group } => format!(
                "owned by {}, whose members are unknown (list them in the manifest, or give --details)",
                escape(group)
            ),
            NotChecked::Unknowable { why } => {
                format!("owners not all known: {}", escape(why))
            }
        }
    }

    /// The kind, for counts: `owner unknown`, `not deployed as is`, `no
    /// findings`.
    pub fn kind(&self) -> &'static str {
        match self {
            NotChecked::OwnerUnknown
            | NotChecked::NotNamed { .. }
            | NotChecked::MembersUnknown { .. }
            | NotChecked::Unknowable { .. } => "owner unknown",
            NotChecked::NotDeployed { .. } => "not deployed as is",
            NotChecked::NoFindings { .. } => "no findings",
            NotChecked::NotEvaluated { .. } => "not evaluated",
        }
    }
}

/// One owner of a policy, and the first source that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    /// The role's or user's ARN.
    pub arn: String,
    /// Who named it first (the file, the manifest, the details).
    pub source: Source,
}

/// A policy's owners, once resolved, sorted by ARN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owners(pub Vec<Owned>);

impl Owners {
    /// The owners' ARNs.
    pub fn arns(&self) -> Vec<String> {
        self.0.iter().map(|o| o.arn.clone()).collect()
    }

    /// Adds `arns`, named by `source`; an owner already named keeps the
    /// source that named it first.
    fn add(&mut self, arns: impl IntoIterator<Item = String>, source: Source) {
        for arn in arns {
            if !self.0.iter().any(|o| o.arn == arn) {
                self.0.push(Owned { arn, source });
            }
        }
        self.0.sort_by(|a, b| a.arn.cmp(&b.arn));
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

/// The account of an IAM ARN (`arn:aws:iam::ACCOUNT:...`).
pub(crate) fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Resolves each repository policy's owners from every source the run
/// has, and what they leave unused together.
#[derive(Debug)]
pub struct Resolver {
    /// Every principal's unused set.
    pub index: OwnerIndex,
    manifest: Option<Manifest>,
    deployed: Option<Deployed>,
    /// The principals that own a policy of the run.
    owning: BTreeSet<String>,
    /// Per principal found by a name pattern, which file's logical IDs it
    /// was taken for (two claimants: a conflict, see
    /// [`Resolver::conflicts`]).
    claims: std::collections::BTreeMap<String, BTreeSet<(String, bool)>>,
    /// The file being resolved, as messages name it.
    file: String,
}

impl Resolver {
    /// A resolver over `index`, with the owner sources the run has.
    pub fn new(
        index: OwnerIndex,
        manifest: Option<Manifest>,
        deployed: Option<Deployed>,
    ) -> Resolver {
        Resolver {
            index,
            manifest,
            deployed,
            owning: BTreeSet::new(),
            claims: std::collections::BTreeMap::new(),
            file: String::new(),
        }
    }

    /// The owners of `embedded`, the policy of a file reached by `paths`
    /// (relative to the manifest's directory: its own, and those of links
    /// to it) and named `stem`, and what they leave unused together; or
    /// why it is not checked.
    pub fn resolve(
        &mut self,
        embedded: &Embedded,
        paths: &[String],
        stem: &str,
    ) -> Result<Resolution, Ambiguous> {
        let file = self.file.clone();
        for name in &embedded.owners {
            // Who claims which principal: a literal name may be claimed by
            // several files (the same role's policies in several files,
            // or one name in several accounts); a name from a stack or a
            // pattern is one template's logical ID.
            let (arns, label, literal) = match name {
                OwnerName::Exact(principal) => {
                    let label = format!("{} {}", principal.kind.as_str(), principal.name);
                    (self.index.arns_of(principal), label, true)
                }
                OwnerName::Deployed { principal, label } => {
                    (self.index.arns_of(principal), label.clone(), false)
                }
                OwnerName::Fits(pattern) => (
                    self.fitting(pattern).unwrap_or_default(),
                    pattern.label.clone(),
                    false,
                ),
                OwnerName::Unknown(_) | OwnerName::Unnamed(_) => continue,
            };
            for arn in arns {
                let claimant = (format!("{label} in {file}"), literal);
                self.owning.insert(arn.clone());
                self.claims.entry(arn).or_default().insert(claimant);
            }
        }
        let owners = match self.owners(embedded, paths, stem)? {
            Ok(owners) => owners,
            Err(why) => return Ok(Resolution::NotChecked { why, owners: None }),
        };
        let arns = owners.arns();
        self.owning.extend(arns.iter().cloned());
        Ok(match self.index.usage_for(&arns) {
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

    /// Who owns `embedded`, by every source that says.
    fn owners(
        &self,
        embedded: &Embedded,
        paths: &[String],
        stem: &str,
    ) -> Result<Result<Owners, NotChecked>, Ambiguous> {
        let mut owners = Owners::default();
        let mut named = !embedded.owners.is_empty();
        let mut by_manifest = false;
        // Groups the manifest names with their members: a host naming one
        // of them is answered.
        let mut groups: Vec<String> = Vec::new();
        if let Some(manifest) = &self.manifest {
            for path in paths {
                if let Some(listed) = manifest.owners_of(path)? {
                    named = true;
                    by_manifest = true;
                    groups.extend(listed.iter().filter_map(|owner| match owner {
                        ManifestOwner::Group { arn, .. } => Some(arn.clone()),
                        ManifestOwner::Principal(_) => None,
                    }));
                    match self.expand(listed) {
                        Ok(arns) => owners.add(arns, Source::Manifest),
                        Err(why) => return Ok(Err(why)),
                    }
                }
            }
        }
        if let Some(deployed) = &self.deployed {
            let found = deployed.find(&embedded.policy);
            if found.is_empty() && !named {
                let nearest = deployed.nearest(stem).map(|d| d.label.clone());
                return Ok(Err(NotChecked::NotDeployed { nearest }));
            }
            for deployment in found {
                if let Some(why) = &deployment.unknown {
                    let why = format!("{}: {why}", deployment.label);
                    return Ok(Err(NotChecked::Unknowable { why }));
                }
                owners.add(deployment.owners.iter().cloned(), Source::Details);
            }
        }
        // The host names its principals: by kind and name, the ARNs the
        // other sources give them, else those the findings have; by a
        // pattern, every principal with findings that fits it.
        for name in &embedded.owners {
            let found = match name {
                // Named by another source too, which pins it: those ARNs,
                // and any the findings have of that name in other accounts
                // (the same file deployed there too; a source can only add
                // owners).
                // A group the manifest pins with its members: those, and
                // the members the details give groups of that name in any
                // account (as for a role, a source only adds owners).
                OwnerName::Exact(principal) if groups.iter().any(|arn| principal.is(arn)) => {
                    Ok(self
                        .deployed
                        .as_ref()
                        .map(|d| d.members_of_named(principal))
                        .unwrap_or_default())
                }
                OwnerName::Exact(principal) | OwnerName::Deployed { principal, .. }
                    if owners.0.iter().any(|o| principal.is(&o.arn)) =>
                {
                    Ok(self.index.arns_of(principal))
                }
                OwnerName::Exact(principal) | OwnerName::Deployed { principal, .. } => {
                    self.host_owners(principal)
                }
                OwnerName::Fits(pattern) => self.fitting(pattern),
                // An owner the host sees but cannot name, in a file the
                // manifest names the owners of: the user's word answers it.
                OwnerName::Unnamed(_) if by_manifest => Ok(Vec::new()),
                OwnerName::Unknown(why) | OwnerName::Unnamed(why) => {
                    Err(NotChecked::NotNamed { why: why.clone() })
                }
            };
            match found {
                Ok(arns) => owners.add(arns, Source::Host),
                Err(why) => return Ok(Err(why)),
            }
        }
        Ok(match owners.0.is_empty() {
            true => Err(NotChecked::OwnerUnknown),
            false => Ok(owners),
        })
    }

    /// The owners a file names itself (`RoleName` of `get-role-policy`
    /// output) when no other source gives their ARNs: the role or user
    /// with findings of that name (in any account: one file deployed to
    /// several is owned by each), or a group's members, by `--details`.
    /// With findings from several accounts, a name some of them have no
    /// finding for is not enough: the principal of that name there may use
    /// everything (Access Analyzer reports nothing then).
    fn host_owners(&self, principal: &Principal) -> Result<Vec<String>, NotChecked> {
        let named = || format!("{} {}", principal.kind.as_str(), principal.name);
        if principal.kind != Owner::Group {
            self.covered(&named(), self.index.arns_of(principal))?;
        }
        let arns = match principal.kind {
            Owner::Group => self
                .deployed
                .as_ref()
                .map(|d| d.members_of_named(principal))
                .unwrap_or_default(),
            Owner::Role | Owner::User => self.index.arns_of(principal),
        };
        match (arns.is_empty(), principal.kind) {
            // A group's members, by the details of some accounts: the
            // findings must not reach accounts the details do not show.
            (false, Owner::Group) => self.covered(&named(), arns),
            (false, _) => Ok(arns),
            (true, Owner::Group) => Err(NotChecked::MembersUnknown { group: named() }),
            (true, _) => Err(NotChecked::NoFindings {
                owners: vec![named()],
            }),
        }
    }

    /// The principals with findings whose names fit `pattern` (a template's
    /// generated or `!Sub` name): one per account or stack it is deployed
    /// as. None is "no findings": the principal may exist and use
    /// everything, or be named otherwise.
    fn fitting(&self, pattern: &NamePattern) -> Result<Vec<String>, NotChecked> {
        let arns: Vec<String> = self
            .index
            .principals()
            .filter(|arn| pattern.fits(arn))
            .map(str::to_string)
            .collect();
        if arns.is_empty() {
            return Err(NotChecked::NoFindings {
                owners: vec![pattern.label.clone()],
            });
        }
        self.covered(&pattern.label, arns)
    }

    /// `arns`, the principals a host's name reaches, unless the findings
    /// cover accounts where none of them is: the principal of that name
    /// there may use everything (Access Analyzer reports nothing then).
    fn covered(&self, what: &str, arns: Vec<String>) -> Result<Vec<String>, NotChecked> {
        let accounts = self.index.accounts();
        let found: BTreeSet<&str> = arns.iter().filter_map(|arn| account_of(arn)).collect();
        if accounts.len() > 1 && found.len() < accounts.len() {
            return Err(NotChecked::Unknowable {
                why: format!(
                    "the file names {what} by name only, and the findings cover {} accounts, {} of which have findings for it (name its ARNs in the manifest, or give --details)",
                    accounts.len(),
                    found.len()
                ),
            });
        }
        Ok(arns)
    }

    /// The manifest's owners as roles and users: a group by its members,
    /// those the manifest lists and those the details do (both, when both
    /// say: a member one of them misses still uses the policy).
    fn expand(&self, listed: Vec<ManifestOwner>) -> Result<Vec<String>, NotChecked> {
        let mut arns = Vec::new();
        for owner in listed {
            match owner {
                ManifestOwner::Principal(arn) => arns.push(arn),
                ManifestOwner::Group { arn, members } => {
                    let deployed = self
                        .deployed
                        .as_ref()
                        .map(|d| d.members_of(&arn))
                        .unwrap_or_default();
                    let listed = members.unwrap_or_default();
                    if listed.is_empty() && deployed.is_empty() {
                        return Err(NotChecked::MembersUnknown { group: arn });
                    }
                    arns.extend(listed);
                    arns.extend(deployed);
                }
            }
        }
        Ok(arns)
    }

    /// Names the file whose policies are resolved next, for
    /// [`Resolver::conflicts`].
    pub fn at_file(&mut self, name: &str) {
        self.file = name.to_string();
    }

    /// The principals that name patterns of several files' templates took
    /// for theirs (two templates with a role `App`, one stack name): each
    /// with those claimants. Such a run must not write anything: which
    /// template's role it is, is not known.
    pub fn conflicts(&self) -> Vec<(String, Vec<String>)> {
        self.claims
            .iter()
            .filter(|(_, claimants)| {
                claimants.len() > 1 && claimants.iter().any(|(_, literal)| !literal)
            })
            .map(|(arn, claimants)| {
                let names = claimants.iter().map(|(name, _)| name.clone()).collect();
                (arn.clone(), names)
            })
            .collect()
    }

    /// The principals with findings that own no policy of the run and that
    /// no owner source names at all (a run over part of a repository leaves
    /// the others' principals out, which is no mistake): a typo in a
    /// manifest, or findings of another account, show here.
    pub fn idle_principals(&self) -> Vec<String> {
        let named = |arn: &str| {
            self.owning.contains(arn)
                || self.manifest.as_ref().is_some_and(|m| m.names(arn))
                || self.deployed.as_ref().is_some_and(|d| d.names(arn))
        };
        let mut idle: Vec<String> = self
            .index
            .principals()
            .filter(|arn| !named(arn))
            .map(str::to_string)
            .collect();
        idle.sort();
        idle
    }
}

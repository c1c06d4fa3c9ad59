//! Which deployed policy a repository file is (`--details`): the policies
//! of `aws iam get-account-authorization-details` output, indexed by their
//! documents.
//!
//! A file is a deployed policy when its document is equal to the deployed
//! one as a policy: the same statements, whitespace, key order and the
//! order of lists aside ([`Canonical`]). Then its owners are that policy's:
//! the roles and users a managed policy is attached to (a group's members
//! for a group), or the holder of an inline policy. A document deployed
//! several times is owned by all their owners together. A file equal to no
//! deployed policy is "not deployed as is" and is left alone: refine never
//! guesses which deployed policy an edited file stands for, and names the
//! nearest one by name instead.
//!
//! A deployed policy whose owners the details cannot all show is never
//! refined: a permissions boundary (refining it for the policy's holders
//! would narrow what the principals it bounds may do, which their findings
//! do not show), a managed policy attached to more principals and groups
//! than the details list (an incomplete file), and a policy held by a group
//! whose members the details do not list.

use crate::error::InputError;
use crate::hosts::auth_details::Record;
use crate::input::account::{Attached, Details, Inline};
use crate::input::policy::Policy;
use crate::json::canon::Canonical;
use crate::model::size::Limit;
use std::collections::HashMap;

/// One deployed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// How to name it: a managed policy's ARN, or `ARN inline policy NAME`.
    pub label: String,
    /// Its name (a managed policy's, or the inline policy's).
    pub name: String,
    /// The roles and users it reaches.
    pub owners: Vec<String>,
    /// Why not every principal it reaches is known, when that is so: then
    /// it is not refined.
    pub unknown: Option<String>,
}

/// Why the details cannot show every principal `policy` reaches, if they
/// cannot: a permissions boundary (by IAM's count, or a role or user the
/// details show it bounding), more attachments than the `holders` listed,
/// or counts the file does not give (a trimmed or hand-made export: what
/// is not said is not taken as zero).
fn unknown_holders(
    policy: &crate::input::account::ManagedPolicy,
    holders: u64,
    bounds: bool,
) -> Option<String> {
    let (Some(attachments), Some(boundary)) = (
        policy.attachment_count,
        policy.permissions_boundary_usage_count,
    ) else {
        return Some(
            "the details give no AttachmentCount or PermissionsBoundaryUsageCount".to_string(),
        );
    };
    if boundary > 0 || bounds {
        return Some(format!(
            "the permissions boundary of {} principal{}, whose use findings do not show",
            boundary.max(1),
            if boundary > 1 { "s" } else { "" }
        ));
    }
    (attachments > holders).then(|| {
        format!(
            "attached to {attachments} principals and groups, of which the details list {holders}"
        )
    })
}

/// Each group's members, by the group's ARN, from the users' `GroupList`.
fn memberships(details: &Details) -> HashMap<String, Vec<String>> {
    let group_arns: HashMap<&str, &str> = details
        .group_detail_list
        .iter()
        .map(|g| (g.group_name.as_str(), g.arn.as_str()))
        .collect();
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    for user in &details.user_detail_list {
        for name in &user.group_list {
            if let Some(arn) = group_arns.get(name.as_str()) {
                members
                    .entry(arn.to_string())
                    .or_default()
                    .push(user.arn.clone());
            }
        }
    }
    members
}

/// Every role, user and group: its ARN, inline policies, attached managed
/// policies, and whether it is a group.
fn holders<'d>(
    details: &'d Details,
) -> impl Iterator<Item = (&'d str, &'d [Inline<'d>], &'d [Attached], bool)> {
    let roles = details.role_detail_list.iter().map(|r| {
        (
            r.arn.as_str(),
            &r.role_policy_list[..],
            &r.attached_managed_policies[..],
            false,
        )
    });
    let users = details.user_detail_list.iter().map(|u| {
        (
            u.arn.as_str(),
            &u.user_policy_list[..],
            &u.attached_managed_policies[..],
            false,
        )
    });
    let groups = details.group_detail_list.iter().map(|g| {
        (
            g.arn.as_str(),
            &g.group_policy_list[..],
            &g.attached_managed_policies[..],
            true,
        )
    });
    roles.chain(users).chain(groups)
}

/// The managed policies some role or user has as its permissions boundary.
pub(crate) fn boundaries<'d>(details: &'d Details) -> std::collections::HashSet<&'d str> {
    let roles = details
        .role_detail_list
        .iter()
        .filter_map(|r| r.permissions_boundary.as_ref());
    let users = details
        .user_detail_list
        .iter()
        .filter_map(|u| u.permissions_boundary.as_ref());
    roles
        .chain(users)
        .map(|b| b.permissions_boundary_arn.as_str())
        .collect()
}

/// What the details say about who holds one managed policy.
#[derive(Default)]
struct Holders {
    /// The roles and users it reaches.
    owners: Vec<String>,
    /// How many roles, users and groups attach it.
    holders: u64,
    /// Why not every principal it reaches is known.
    unknown: Option<String>,
}

/// An account's deployed policies by document.
#[derive(Debug, Default)]
pub struct Deployed {
    by_document: HashMap<Canonical, Vec<Deployment>>,
    /// Every deployment, for "nearest by name".
    all: Vec<Deployment>,
    /// Each group's members, by the group's ARN.
    members: HashMap<String, Vec<String>>,
}

impl Deployed {
    /// Indexes the policies of `details`; fails on a document that does not
    /// read.
    pub fn new(details: &Details) -> Result<Deployed, InputError> {
        let mut deployed = Deployed {
            members: memberships(details),
            ..Deployed::default()
        };
        let mut attached: HashMap<&str, Holders> = HashMap::new();
        for (arn, inline, managed, group) in holders(details) {
            let owners = match group {
                true => deployed.members_of(arn),
                false => vec![arn.to_string()],
            };
            let unknown = (group && owners.is_empty())
                .then(|| format!("held by group {arn}, whose members the details do not list"));
            for policy in inline {
                let label = format!("{arn} inline policy {}", policy.policy_name);
                let held = Holders {
                    owners: owners.clone(),
                    holders: 1,
                    unknown: unknown.clone(),
                };
                deployed.add(
                    policy.policy_document.get(),
                    label,
                    &policy.policy_name,
                    held,
                )?;
            }
            for policy in managed {
                let held = attached.entry(policy.policy_arn.as_str()).or_default();
                held.owners.extend(owners.iter().cloned());
                held.holders += 1;
                held.unknown = held.unknown.take().or_else(|| unknown.clone());
            }
        }
        let bounding = boundaries(details);
        for policy in &details.policies {
            let Some(document) = policy.default_document() else {
                continue;
            };
            let mut held = attached.remove(policy.arn.as_str()).unwrap_or_default();
            held.owners.sort();
            held.owners.dedup();
            let bounds = bounding.contains(policy.arn.as_str());
            held.unknown = held
                .unknown
                .take()
                .or_else(|| unknown_holders(policy, held.holders, bounds));
            deployed.add(
                document.get(),
                policy.arn.clone(),
                &policy.policy_name,
                held,
            )?;
        }
        Ok(deployed)
    }

    /// Adds one deployed document.
    fn add(
        &mut self,
        raw: &str,
        label: String,
        name: &str,
        held: Holders,
    ) -> Result<(), InputError> {
        let record = Record::read(raw, Limit::Managed)
            .map_err(|err| InputError::whole(format!("{label}: {err}")))?;
        let deployment = Deployment {
            label,
            name: name.to_string(),
            owners: held.owners,
            unknown: held.unknown,
        };
        self.by_document
            .entry(Canonical::of(record.policy().document()))
            .or_default()
            .push(deployment.clone());
        self.all.push(deployment);
        Ok(())
    }

    /// Whether `arn` holds any deployed policy.
    pub fn names(&self, arn: &str) -> bool {
        self.all
            .iter()
            .any(|d| d.owners.iter().any(|owner| owner == arn))
    }

    /// A group's members, by its ARN (none when the details list none).
    pub fn members_of(&self, group: &str) -> Vec<String> {
        self.members.get(group).cloned().unwrap_or_default()
    }

    /// The members of every group named like `group` (in any account),
    /// sorted.
    pub fn members_of_named(&self, group: &crate::model::principal::Principal) -> Vec<String> {
        let mut members: Vec<String> = self
            .members
            .iter()
            .filter(|(arn, _)| group.is(arn))
            .flat_map(|(_, members)| members.iter().cloned())
            .collect();
        members.sort();
        members.dedup();
        members
    }

    /// The deployments whose document equals `policy`'s.
    pub fn find(&self, policy: &Policy) -> &[Deployment] {
        self.by_document
            .get(&Canonical::of(policy.document()))
            .map_or(&[], Vec::as_slice)
    }

    /// The deployment whose name is nearest to `stem` (a file's name
    /// without its extension): the same name ignoring case, else the one
    /// sharing the longest prefix with it; `None` when none shares any.
    pub fn nearest(&self, stem: &str) -> Option<&Deployment> {
        let stem = stem.to_ascii_lowercase();
        let shared = |d: &Deployment| {
            d.name
                .to_ascii_lowercase()
                .bytes()
                .zip(stem.bytes())
                .take_while(|(a, b)| a == b)
                .count()
        };
        self.all
            .iter()
            .map(|d| {
                (
                    shared(d) + usize::from(d.name.eq_ignore_ascii_case(&stem)) * 1000,
                    d,
                )
            })
            .filter(|(score, _)| *score > 0)
            .max_by_key(|(score, _)| *score)
            .map(|(_, d)| d)
    }
}

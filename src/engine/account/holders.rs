//! The principals and groups of an account, and what each leaves unused.
//!
//! A *holder* is what a policy can belong to or be attached to: a role, a
//! user, or a group. Roles and users are principals with findings of their
//! own; a group stands for its members, and leaves unused only what every
//! member leaves unused.

use super::Summary;
use crate::error::{escape, InputError};
use crate::input::account::{Attached, Details, Inline};
use crate::input::findings::{self, Beyond, Findings};
use crate::input::policy::Owner;
use crate::model::catalog::{ActionId, ActionSet, Catalog};
use std::borrow::Cow;
use std::collections::HashMap;

/// A principal's unused actions, kept small: an account has thousands of
/// principals, and most leave a few actions unused, so a list of ids is far
/// smaller than a bitset of the whole catalog.
pub(super) enum Unused {
    /// Every action.
    All,
    /// These actions.
    Ids(Vec<ActionId>),
}

impl Unused {
    pub(super) fn from_set(catalog: &Catalog, set: &ActionSet) -> Unused {
        if set.len() == catalog.len() {
            Unused::All
        } else {
            Unused::Ids(set.iter().collect())
        }
    }

    pub(super) fn to_set(&self, catalog: &Catalog) -> ActionSet {
        match self {
            Unused::All => ActionSet::full(catalog.len()),
            Unused::Ids(ids) => {
                let mut set = catalog.empty_set();
                ids.iter().for_each(|&id| set.insert(id));
                set
            }
        }
    }
}

/// A principal or group, its policies, and the actions it does not use.
pub(super) struct Holder<'a> {
    pub(super) arn: &'a str,
    pub(super) owner: Owner,
    /// For groups, the members' ARNs; for roles and users, themselves.
    pub(super) principals: Vec<&'a str>,
    pub(super) unused: Unused,
    /// What its findings say beyond the catalog.
    pub(super) beyond: Beyond,
    pub(super) inline: &'a [Inline<'a>],
    pub(super) attached: &'a [Attached],
}

/// Every role, user and group of the account, in that order.
pub(super) fn build<'a>(
    details: &'a Details<'a>,
    by_principal: &HashMap<String, Findings>,
    catalog: &Catalog,
    catalog_current: bool,
    outcome: &mut Summary,
) -> Vec<Holder<'a>> {
    let unused_of = |arn: &str, outcome: &mut Summary| match by_principal.get(arn) {
        Some(findings) => {
            let (set, warnings) = findings.unused_in(catalog);
            outcome.warnings.extend(
                warnings
                    .into_iter()
                    .map(|w| format!("{}: {w}", escape(arn))),
            );
            let mut beyond = findings.beyond(catalog);
            beyond.catalog_current |= catalog_current;
            (Unused::from_set(catalog, &set), beyond)
        }
        None => (Unused::Ids(Vec::new()), Beyond::default()),
    };
    let mut holders: Vec<Holder> = Vec::new();
    for role in &details.role_detail_list {
        let (unused, beyond) = unused_of(&role.arn, outcome);
        holders.push(Holder {
            arn: &role.arn,
            owner: Owner::Role,
            principals: vec![&role.arn],
            unused,
            beyond,
            inline: &role.role_policy_list,
            attached: &role.attached_managed_policies,
        });
    }
    let first_user = holders.len();
    for user in &details.user_detail_list {
        let (unused, beyond) = unused_of(&user.arn, outcome);
        holders.push(Holder {
            arn: &user.arn,
            owner: Owner::User,
            principals: vec![&user.arn],
            unused,
            beyond,
            inline: &user.user_policy_list,
            attached: &user.attached_managed_policies,
        });
    }
    for group in &details.group_detail_list {
        let members: Vec<&Holder> = details
            .user_detail_list
            .iter()
            .zip(&holders[first_user..])
            .filter(|(user, _)| user.group_list.contains(&group.group_name))
            .map(|(_, holder)| holder)
            .collect();
        let (set, beyond) = intersection(catalog, &members);
        let unused = Unused::from_set(catalog, &set);
        let principals = members.iter().map(|h| h.arn).collect();
        holders.push(Holder {
            arn: &group.arn,
            owner: Owner::Group,
            principals,
            unused,
            beyond,
            inline: &group.group_policy_list,
            attached: &group.attached_managed_policies,
        });
    }
    holders
}

/// The actions unused by every holder in `holders`, and what all of them
/// leave unused beyond the catalog (everything when the list is empty;
/// callers leave such policies alone).
pub(super) fn intersection(catalog: &Catalog, holders: &[&Holder]) -> (ActionSet, Beyond) {
    let sets: Vec<ActionSet> = holders.iter().map(|h| h.unused.to_set(catalog)).collect();
    crate::engine::owners::intersect(catalog, sets.iter().zip(holders.iter().map(|h| &h.beyond)))
}

/// The findings of each principal the details list, merged by ARN.
pub(super) fn findings_by_principal(
    groups: Vec<findings::Group>,
    details: &Details,
    outcome: &mut Summary,
) -> Result<HashMap<String, Findings>, InputError> {
    let known: std::collections::HashSet<&str> = details
        .role_detail_list
        .iter()
        .map(|r| r.arn.as_str())
        .chain(details.user_detail_list.iter().map(|u| u.arn.as_str()))
        .collect();
    let mut by_principal: HashMap<String, Findings> = HashMap::new();
    for group in groups {
        let Some(arn) = group.resource else {
            return Err(findings::no_resource(&group.path));
        };
        outcome.notes.extend(
            group
                .findings
                .notes
                .iter()
                .map(|n| format!("{}: {n}", escape(&arn))),
        );
        if !known.contains(arn.as_str()) {
            outcome.notes.push(format!(
                "findings for {}, which the authorization details do not list: ignored",
                escape(&arn)
            ));
            continue;
        }
        let mut findings = group.findings;
        findings.notes.clear();
        by_principal.entry(arn).or_default().merge(findings);
    }
    Ok(by_principal)
}

/// The catalog, extended once by every unused action any principal's
/// findings name and it does not know.
pub(super) fn extended<'c>(
    catalog: &'c Catalog,
    by_principal: &HashMap<String, Findings>,
    outcome: &mut Summary,
) -> Cow<'c, Catalog> {
    let mut missing: Vec<(String, String)> = Vec::new();
    // Each once, ignoring case: a set of what is listed, not a scan of the
    // list per name (an account's findings may name thousands).
    let mut listed: std::collections::HashSet<(String, String)> = Default::default();
    for findings in by_principal.values() {
        for action in findings.missing_actions(catalog) {
            if listed.insert((action.0.clone(), action.1.to_ascii_lowercase())) {
                missing.push(action);
            }
        }
    }
    if missing.is_empty() {
        return Cow::Borrowed(catalog);
    }
    missing.sort();
    outcome.warnings.push(findings::missing_warning(&missing));
    Cow::Owned(catalog.with_actions(&missing))
}

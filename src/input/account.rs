//! The output of `aws iam get-account-authorization-details`.
//!
//! Only what refinement needs is read: principals, their inline policies,
//! what managed policies they attach, group membership, and the default
//! version of each managed policy. Policy documents are kept as borrowed
//! raw JSON and parsed one at a time when their turn comes, so an account
//! file is never held in memory as a `serde_json::Value` tree, which would
//! cost several times its size.

use crate::error::InputError;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Details<'a> {
    /// IAM users.
    #[serde(default, borrow)]
    pub user_detail_list: Vec<User<'a>>,
    /// IAM groups.
    #[serde(default, borrow)]
    pub group_detail_list: Vec<Group<'a>>,
    /// IAM roles.
    #[serde(default, borrow)]
    pub role_detail_list: Vec<Role<'a>>,
    /// Managed policies, customer-managed and AWS-managed.
    #[serde(default, borrow)]
    pub policies: Vec<ManagedPolicy<'a>>,
}

/// A principal's permissions boundary.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Boundary {
    /// The managed policy that bounds the principal.
    pub permissions_boundary_arn: String,
}

/// A role.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role<'a> {
    /// The role's name.
    pub role_name: String,
    /// The role's ARN, which findings name as their `resource`.
    pub arn: String,
    /// Its permissions boundary, if it has one.
    #[serde(default)]
    pub permissions_boundary: Option<Boundary>,
    /// Inline policies.
    #[serde(default, borrow)]
    pub role_policy_list: Vec<Inline<'a>>,
    /// Attached managed policies.
    #[serde(default)]
    pub attached_managed_policies: Vec<Attached>,
}

/// A user.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User<'a> {
    /// The user's name.
    pub user_name: String,
    /// The user's ARN.
    pub arn: String,
    /// Its permissions boundary, if it has one.
    #[serde(default)]
    pub permissions_boundary: Option<Boundary>,
    /// Inline policies.
    #[serde(default, borrow)]
    pub user_policy_list: Vec<Inline<'a>>,
    /// The names of the groups the user is in.
    #[serde(default)]
    pub group_list: Vec<String>,
    /// Attached managed policies.
    #[serde(default)]
    pub attached_managed_policies: Vec<Attached>,
}

/// A group.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Group<'a> {
    /// The group's name, as users' `GroupList` gives it.
    pub group_name: String,
    /// The group's ARN.
    pub arn: String,
    /// Inline policies.
    #[serde(default, borrow)]
    pub group_policy_list: Vec<Inline<'a>>,
    /// Attached managed policies.
    #[serde(default)]
    pub attached_managed_policies: Vec<Attached>,
}

/// An inline policy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Inline<'a> {
    /// Its name, unique within its principal.
    pub policy_name: String,
    /// The document: JSON, or a string of URL-encoded JSON.
    #[serde(borrow)]
    pub policy_document: &'a RawValue,
}

/// A managed policy attached to a principal.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attached {
    /// The policy's name.
    pub policy_name: String,
    /// The policy's ARN.
    pub policy_arn: String,
}

/// A managed policy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicy<'a> {
    /// Its name.
    pub policy_name: String,
    /// Its ARN.
    pub arn: String,
    /// When its default version was last changed.
    #[serde(default)]
    pub update_date: Option<String>,
    /// How many principals and groups it is attached to, by IAM's count:
    /// more than the file shows means the file is incomplete.
    #[serde(default)]
    pub attachment_count: Option<u64>,
    /// How many principals use it as their permissions boundary.
    #[serde(default)]
    pub permissions_boundary_usage_count: Option<u64>,
    /// Its versions; the one with `IsDefaultVersion` is in force.
    #[serde(default, borrow)]
    pub policy_version_list: Vec<Version<'a>>,
}

/// One version of a managed policy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Version<'a> {
    /// The document: JSON, or a string of URL-encoded JSON.
    #[serde(borrow)]
    pub document: &'a RawValue,
    /// Whether this version is in force.
    #[serde(default)]
    pub is_default_version: bool,
}

/// One principal's inline policies, as the details list them.
#[derive(Debug, Clone, Copy)]
pub struct InlineList<'d, 'a> {
    /// A role, a user or a group.
    pub owner: crate::model::principal::Owner,
    /// Its name.
    pub name: &'d str,
    /// Its ARN.
    pub arn: &'d str,
    /// Its inline policies.
    pub policies: &'d [Inline<'a>],
}

impl<'a> Details<'a> {
    /// Every principal's inline policies: roles, then users, then groups,
    /// each in the order listed.
    pub fn inline_lists(&self) -> impl Iterator<Item = InlineList<'_, 'a>> {
        use crate::model::principal::Owner;
        let roles = self.role_detail_list.iter().map(|r| InlineList {
            owner: Owner::Role,
            name: &r.role_name,
            arn: &r.arn,
            policies: &r.role_policy_list,
        });
        let users = self.user_detail_list.iter().map(|u| InlineList {
            owner: Owner::User,
            name: &u.user_name,
            arn: &u.arn,
            policies: &u.user_policy_list,
        });
        let groups = self.group_detail_list.iter().map(|g| InlineList {
            owner: Owner::Group,
            name: &g.group_name,
            arn: &g.arn,
            policies: &g.group_policy_list,
        });
        roles.chain(users).chain(groups)
    }
}

impl InlineList<'_, '_> {
    /// How reports name one of the list's policies: `role app inline
    /// policy p`.
    pub fn place(&self, policy: &Inline<'_>) -> String {
        format!(
            "{} {} inline policy {}",
            self.owner.as_str(),
            self.name,
            policy.policy_name
        )
    }
}

impl<'a> ManagedPolicy<'a> {
    /// The document of the default version, if the file has it.
    pub fn default_document(&self) -> Option<&'a RawValue> {
        self.policy_version_list
            .iter()
            .find(|v| v.is_default_version)
            .map(|v| v.document)
    }

    /// Whether AWS owns the policy (it cannot be edited).
    pub fn is_aws_managed(&self) -> bool {
        is_aws_managed(&self.arn)
    }
}

/// Whether a managed policy ARN is an AWS-managed policy's.
pub fn is_aws_managed(arn: &str) -> bool {
    arn.starts_with("arn:aws:iam::aws:policy/")
        || arn.starts_with("arn:aws-cn:iam::aws:policy/")
        || arn.starts_with("arn:aws-us-gov:iam::aws:policy/")
}

/// Reads the file; duplicate keys are refused as everywhere else.
pub fn parse(text: &str) -> Result<Details<'_>, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(InputError::whole(
            "empty file: expected `aws iam get-account-authorization-details` output",
        ));
    }
    let details: Details = serde_json::from_str(text).map_err(|err| {
        InputError::from_json(&err)
            .with_hint("expected `aws iam get-account-authorization-details` output")
    })?;
    crate::json::scan::check_duplicate_keys(text)?;
    if details.user_detail_list.is_empty()
        && details.group_detail_list.is_empty()
        && details.role_detail_list.is_empty()
        && details.policies.is_empty()
    {
        return Err(InputError::whole(
            "no UserDetailList, GroupDetailList, RoleDetailList or Policies: expected `aws iam get-account-authorization-details` output",
        ));
    }
    Ok(details)
}

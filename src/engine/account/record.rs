//! What an account run yields per policy: a [`Record`] of what became of
//! it, its [`Size`] against IAM's limit, and the messages made from them.

use crate::input::policy::{Edit, Policy};
use serde_json::value::RawValue;

/// What kind of policy a [`Record`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A role's inline policy.
    InlineRole,
    /// A user's inline policy.
    InlineUser,
    /// A group's inline policy.
    InlineGroup,
    /// A customer-managed policy.
    CustomerManaged,
    /// An AWS-managed policy, for one principal or group it is attached to.
    AwsManaged,
}

impl Kind {
    /// The name used in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::InlineRole => "inline-role",
            Kind::InlineUser => "inline-user",
            Kind::InlineGroup => "inline-group",
            Kind::CustomerManaged => "customer-managed",
            Kind::AwsManaged => "aws-managed",
        }
    }
}

/// A policy's size as IAM counts it, against the limit that applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Size {
    /// The policy before refinement.
    pub before: usize,
    /// The policy after refinement.
    pub after: usize,
    /// IAM's limit: per managed policy, or for all inline policies of the
    /// owner together.
    pub limit: usize,
    /// What the limit is compared with after refinement: `after` for a
    /// managed policy, the owner's inline total for an inline one.
    pub counted: usize,
}

impl Size {
    /// Whether the refined policy is over its limit.
    pub fn over(&self) -> bool {
        self.counted > self.limit
    }
}

/// One policy of the account, refined.
#[derive(Debug, Clone)]
pub struct Record {
    /// What kind of policy.
    pub kind: Kind,
    /// The policy's name.
    pub name: String,
    /// The policy's ARN (managed policies).
    pub arn: Option<String>,
    /// The principal or group that holds an inline policy, or that an
    /// AWS-managed policy (or, for one principal, any managed policy) is
    /// attached to.
    pub owner: Option<String>,
    /// The principals and groups a customer-managed policy is attached to.
    pub attached_to: Vec<String>,
    /// The principals whose findings bound the refinement.
    pub principals: Vec<String>,
    /// When a managed policy's default version was last changed.
    pub updated_at: Option<String>,
    /// Whether refinement changed the policy.
    pub changed: bool,
    /// Whether the refined policy allows nothing: detach or delete it.
    pub grants_nothing: bool,
    /// Entries the refinement took out.
    pub removed: Vec<String>,
    /// Entries the refinement wrote.
    pub added: Vec<String>,
    /// The refined document (compact JSON), when it changed.
    pub refined: Option<Box<RawValue>>,
    /// Its size against its limit.
    pub size: Size,
    /// How many of the unused actions the original allowed were removed,
    /// by access level (each counted once per policy).
    pub removed_by_level: Vec<(crate::model::catalog::AccessLevel, usize)>,
    /// The unused actions `--fit` re-admitted to fit the limit.
    pub readmitted: Vec<String>,
    /// Why `--fit` could not bring the policy under its cap (the exact
    /// refinement is recorded instead).
    pub unfit: Option<String>,
}

/// The entries a refinement took out and wrote, statement by statement.
pub(super) fn entry_changes(policy: &Policy, edits: &[Option<Edit>]) -> (Vec<String>, Vec<String>) {
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for (statement, edit) in policy.statements.iter().zip(edits) {
        let before: Vec<&str> = statement.entries.iter().map(|g| g.as_str()).collect();
        match edit {
            None => {}
            Some(Edit::Remove) => removed.extend(before.iter().map(|e| e.to_string())),
            Some(Edit::Entries(after) | Edit::NotAction(after) | Edit::Action(after)) => {
                removed.extend(
                    before
                        .iter()
                        .filter(|e| !after.iter().any(|a| a == *e))
                        .map(|e| e.to_string()),
                );
                added.extend(
                    after
                        .iter()
                        .filter(|a| !before.contains(&a.as_str()))
                        .cloned(),
                );
            }
        }
    }
    (removed, added)
}

/// How messages name a record's policy.
fn described(record: &Record) -> String {
    use crate::error::escape;
    match (&record.arn, &record.owner) {
        (Some(arn), Some(owner)) => {
            format!("{} (replacement for {})", escape(arn), escape(owner))
        }
        (Some(arn), None) => escape(arn),
        (None, owner) => format!(
            "{} inline policy {}",
            escape(owner.as_deref().unwrap_or_default()),
            escape(&record.name)
        ),
    }
}

/// The warning for a record whose refinement `--fit` re-admitted unused
/// actions into, if it did: every such action is listed somewhere a user
/// reads, whatever the report's format.
pub(super) fn readmitted_warning(record: &Record) -> Option<String> {
    let n = record.readmitted.len();
    (n > 0).then(|| {
        format!(
            "{}: --fit re-admits {n} unused action{} to fit the size limit: {}",
            described(record),
            if n == 1 { "" } else { "s" },
            crate::input::findings::abbreviate(&record.readmitted)
        )
    })
}

/// The warning for a record `--fit` could not bring under its cap, `why`.
pub(super) fn unfit_warning(record: &Record, why: &str) -> String {
    format!(
        "{}: {why}; the exact refinement ({} characters) is recorded",
        described(record),
        record.size.after
    )
}

/// The warning for a record over its size limit.
pub(super) fn over_limit_warning(record: &Record) -> String {
    let what = described(record);
    let scope = if record.arn.is_some() {
        "the policy"
    } else {
        "all inline policies of its owner"
    };
    format!(
        "{what}: {scope} would have {} characters after refinement, over IAM's limit of {}",
        record.size.counted, record.size.limit
    )
}

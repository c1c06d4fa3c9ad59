//! Refining a whole account: every inline and managed policy, each against
//! the findings of every principal it reaches.
//!
//! The input is `aws iam get-account-authorization-details` output and the
//! unused-access findings of many principals, matched by `resource` ARN.
//! The rules, in the order a careful administrator would want them:
//!
//! * A role's or user's inline policy is refined against that principal's
//!   findings.
//! * A policy that reaches several principals — a group's inline policy
//!   (every member), a customer-managed policy (every role, user and group
//!   member it is attached to) — may lose an action only when *every*
//!   principal it reaches has that action unused: the intersection of their
//!   unused sets.
//! * A principal without findings counts as using everything (nothing of
//!   what reaches it is removed); an `UnusedIAMRole` finding means it uses
//!   nothing.
//! * A group without members, or a managed policy attached to nothing, is
//!   left as it is, with a note: nobody's use can be measured.
//! * AWS-managed policies cannot be edited: for each principal or group they
//!   are attached to, the refined document is recommended as a new
//!   customer-managed policy, and the AWS one is to be detached.
//!
//! Every refinement is verified like a single run's (see [`crate::engine::verify`]).

mod holders;

use holders::{extended, findings_by_principal, intersection, Holder};

use crate::engine::checked::{checked, SelfCheckFailed};
use crate::engine::refine::Options;
use crate::error::escape;
use crate::error::InputError;
use crate::hosts::auth_details;
use crate::input::account::{self as details, Details, Inline, ManagedPolicy};
use crate::input::findings::{self, Beyond, Usage};
use crate::input::policy::{Edit, Owner, Policy};
use crate::model::catalog::{ActionSet, Catalog};
use crate::output::size;
use crate::output::size::Limit;
use serde_json::value::RawValue;
use std::collections::HashMap;

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
#[derive(Debug)]
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
}

/// What refining an account says besides its records.
#[derive(Debug, Default)]
pub struct Summary {
    /// Things left alone, and why.
    pub notes: Vec<String>,
    /// Things to look at: unknown actions, policies over their size limit.
    pub warnings: Vec<String>,
}

/// Why an account run stopped.
#[derive(Debug)]
pub enum AccountError {
    /// The details or the findings cannot be trusted: an input error.
    Input(InputError),
    /// A refinement failed its self-check: a bug in refine, never the
    /// input's fault. Nothing may be written.
    SelfCheck {
        /// Which policy (its ARN, or its owner and name).
        policy: String,
        /// Why.
        failed: SelfCheckFailed,
    },
    /// A record could not be written.
    Output(std::io::Error),
}

impl From<InputError> for AccountError {
    fn from(err: InputError) -> AccountError {
        AccountError::Input(err)
    }
}

impl std::fmt::Display for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountError::Input(err) => err.fmt(f),
            AccountError::SelfCheck { policy, failed } => write!(f, "{policy}: {failed}"),
            AccountError::Output(err) => write!(f, "cannot write the report: {err}"),
        }
    }
}

impl std::error::Error for AccountError {}

/// Where finished records go: to the caller's sink, one at a time, so that
/// an account's records never all sit in memory at once.
struct Out<'s> {
    sink: &'s mut dyn FnMut(Record) -> std::io::Result<()>,
    summary: Summary,
}

impl Out<'_> {
    fn record(&mut self, record: Record) -> Result<(), AccountError> {
        if record.size.over() {
            self.summary.warnings.push(over_limit_warning(&record));
        }
        (self.sink)(record).map_err(AccountError::Output)
    }
}

/// Refines every policy in `details_text` against `groups` of findings.
///
/// With `only`, the ARN of a role or user, refines just what that principal
/// holds: its inline policies, and each managed policy attached to it
/// directly, against its own findings alone, the way AWS's per-principal
/// recommendation replaces a shared policy with one of its own.
///
/// With `catalog_current`, the user says the catalog is current for this
/// account (see [`findings::Beyond::catalog_current`]).
///
/// Fails on input that cannot be trusted: unreadable details, findings
/// about no named principal, or a policy document that does not read.
pub fn refine_account(
    details_text: &str,
    groups: Vec<findings::Group>,
    catalog: &Catalog,
    only: Option<&str>,
    catalog_current: bool,
    sink: &mut dyn FnMut(Record) -> std::io::Result<()>,
) -> Result<Summary, AccountError> {
    let details = details::parse(details_text)?;
    let mut outcome = Summary::default();
    let by_principal = findings_by_principal(groups, &details, &mut outcome)?;
    let catalog = extended(catalog, &by_principal, &mut outcome);
    let holders = holders::build(
        &details,
        &by_principal,
        &catalog,
        catalog_current,
        &mut outcome,
    );
    let context = Context {
        catalog: &catalog,
        warnings: Default::default(),
    };
    let mut out = Out {
        sink,
        summary: outcome,
    };
    match only {
        None => {
            context.inline_policies(&holders, &mut out)?;
            context.managed_policies(&details, &holders, &mut out)?;
        }
        Some(arn) => {
            let holder = holders
                .iter()
                .find(|h| h.arn == arn && h.owner != Owner::Group)
                .ok_or_else(|| {
                    InputError::whole(format!(
                        "{arn}: no such role or user in the authorization details"
                    ))
                })?;
            context.inline_policies(std::slice::from_ref(holder), &mut out)?;
            context.attached_to_one(&details, holder, &mut out)?;
        }
    }
    out.summary.warnings.extend(context.warnings.take());
    Ok(out.summary)
}

/// What every refinement of one account shares.
struct Context<'c> {
    catalog: &'c Catalog,
    /// Warnings from refining the documents (entries the catalog does not
    /// know), collected while records stream out.
    warnings: std::cell::RefCell<Vec<String>>,
}

/// One policy to refine.
struct Job<'a> {
    kind: Kind,
    name: &'a str,
    arn: Option<&'a str>,
    owner: Option<&'a str>,
    attached_to: Vec<&'a str>,
    principals: Vec<&'a str>,
    updated_at: Option<&'a str>,
    document: &'a RawValue,
}

impl Context<'_> {
    /// Refines every inline policy, principal by principal, so that each
    /// principal's inline total can be held against its limit.
    fn inline_policies(&self, holders: &[Holder], out: &mut Out) -> Result<(), AccountError> {
        for holder in holders {
            let mut records = self.inline_list(holder, holder.inline, &mut out.summary)?;
            let total: usize = records.iter().map(|r| r.size.after).sum();
            for mut record in records.drain(..) {
                record.size.counted = total;
                out.record(record)?;
            }
        }
        Ok(())
    }

    /// One holder's inline policies, refined; its records are sent together
    /// once their total size is known.
    fn inline_list(
        &self,
        holder: &Holder,
        list: &[Inline],
        summary: &mut Summary,
    ) -> Result<Vec<Record>, AccountError> {
        let mut records = Vec::with_capacity(list.len());
        let unused = holder.unused.to_set(self.catalog);
        let kind = match holder.owner {
            Owner::Role => Kind::InlineRole,
            Owner::User => Kind::InlineUser,
            Owner::Group => Kind::InlineGroup,
        };
        for inline in list {
            let job = Job {
                kind,
                name: &inline.policy_name,
                arn: None,
                owner: Some(holder.arn),
                attached_to: Vec::new(),
                principals: holder.principals.clone(),
                updated_at: None,
                document: inline.policy_document,
            };
            let (unused, beyond) = if holder.principals.is_empty() {
                summary.notes.push(format!(
                    "{}: group without members: its inline policy {} is left as it is",
                    escape(holder.arn),
                    escape(&inline.policy_name)
                ));
                (self.catalog.empty_set(), Beyond::default())
            } else {
                (unused.clone(), holder.beyond.clone())
            };
            let limit = Limit::Inline(holder.owner);
            records.push(self.refine_job(&job, &unused, &beyond, limit)?);
        }
        Ok(records)
    }

    /// Refines customer-managed policies against everyone they reach, and
    /// AWS-managed ones per attachment.
    fn managed_policies(
        &self,
        details: &Details,
        holders: &[Holder],
        out: &mut Out,
    ) -> Result<(), AccountError> {
        let mut attachments: HashMap<&str, Vec<&Holder>> = HashMap::new();
        for holder in holders {
            for attached in holder.attached {
                attachments
                    .entry(attached.policy_arn.as_str())
                    .or_default()
                    .push(holder);
            }
        }
        let by_arn: HashMap<&str, &Holder> = holders
            .iter()
            .filter(|h| h.owner != Owner::Group)
            .map(|h| (h.arn, h))
            .collect();
        // A policy some role or user has as its permissions boundary bounds
        // principals whose use the findings do not show, whatever IAM's
        // count says (the repository run's rule: one implementation).
        let bounding = crate::engine::deployed::boundaries(details);
        for policy in &details.policies {
            let Some(document) = policy.default_document() else {
                out.summary.notes.push(format!(
                    "{}: no default version in the input: left as it is",
                    policy.arn
                ));
                continue;
            };
            let targets: &[&Holder] = attachments
                .get(policy.arn.as_str())
                .map_or(&[], Vec::as_slice);
            if policy.is_aws_managed() {
                self.aws_managed(policy, document, targets, out)?;
            } else {
                let bounds = bounding.contains(policy.arn.as_str());
                self.customer_managed(policy, document, targets, &by_arn, bounds, out)?;
            }
        }
        Ok(())
    }

    /// An AWS-managed policy, refined for each principal or group it is
    /// attached to (it cannot be edited; each gets a replacement).
    fn aws_managed(
        &self,
        policy: &ManagedPolicy,
        document: &RawValue,
        targets: &[&Holder],
        out: &mut Out,
    ) -> Result<(), AccountError> {
        for target in targets {
            if target.principals.is_empty() {
                out.summary.notes.push(format!(
                    "{}: attached to {}, a group without members: left as it is",
                    policy.arn, target.arn
                ));
                continue;
            }
            let job = Job {
                kind: Kind::AwsManaged,
                name: &policy.policy_name,
                arn: Some(&policy.arn),
                owner: Some(target.arn),
                attached_to: Vec::new(),
                principals: target.principals.clone(),
                updated_at: policy.update_date.as_deref(),
                document,
            };
            let unused = target.unused.to_set(self.catalog);
            out.record(self.refine_job(&job, &unused, &target.beyond, Limit::Managed)?)?;
        }
        Ok(())
    }

    /// A customer-managed policy, refined against everyone it reaches
    /// (`by_arn`: the roles and users by ARN), unless what bounds it is not
    /// known.
    fn customer_managed(
        &self,
        policy: &ManagedPolicy,
        document: &RawValue,
        targets: &[&Holder],
        by_arn: &HashMap<&str, &Holder>,
        bounds: bool,
        out: &mut Out,
    ) -> Result<(), AccountError> {
        let mut principals: Vec<&str> = targets
            .iter()
            .flat_map(|t| t.principals.iter().copied())
            .collect();
        principals.sort_unstable();
        principals.dedup();
        let boundary = policy
            .permissions_boundary_usage_count
            .unwrap_or(0)
            .max(u64::from(bounds));
        let attachments = policy.attachment_count.unwrap_or(0);
        let (unused, beyond) = if boundary > 0 {
            out.summary.notes.push(format!(
                "{}: the permissions boundary of {boundary} principal{}, whose use findings do not show: left as it is",
                policy.arn,
                if boundary == 1 { "" } else { "s" }
            ));
            (self.catalog.empty_set(), Beyond::default())
        } else if attachments > targets.len() as u64 {
            out.summary.notes.push(format!(
                "{}: attached to {attachments} principals and groups, of which the input lists {}: left as it is",
                policy.arn,
                targets.len()
            ));
            (self.catalog.empty_set(), Beyond::default())
        } else if principals.is_empty() {
            out.summary.notes.push(format!(
                "{}: attached to no principal: left as it is",
                escape(&policy.arn)
            ));
            (self.catalog.empty_set(), Beyond::default())
        } else {
            let reached: Vec<&Holder> = principals
                .iter()
                .filter_map(|arn| by_arn.get(arn).copied())
                .collect();
            intersection(self.catalog, &reached)
        };
        let job = Job {
            kind: Kind::CustomerManaged,
            name: &policy.policy_name,
            arn: Some(&policy.arn),
            owner: None,
            attached_to: targets.iter().map(|t| t.arn).collect(),
            principals,
            updated_at: policy.update_date.as_deref(),
            document,
        };
        out.record(self.refine_job(&job, &unused, &beyond, Limit::Managed)?)
    }

    /// Refines each managed policy attached directly to `holder` against
    /// its findings alone.
    fn attached_to_one(
        &self,
        details: &Details,
        holder: &Holder,
        out: &mut Out,
    ) -> Result<(), AccountError> {
        let unused = holder.unused.to_set(self.catalog);
        for attached in holder.attached {
            let policy = details
                .policies
                .iter()
                .find(|p| p.arn == attached.policy_arn);
            let Some((policy, document)) = policy.and_then(|p| Some((p, p.default_document()?)))
            else {
                out.summary.notes.push(format!(
                    "{}: its document is not in the input: left as it is",
                    attached.policy_arn
                ));
                continue;
            };
            let kind = if policy.is_aws_managed() {
                Kind::AwsManaged
            } else {
                Kind::CustomerManaged
            };
            let job = Job {
                kind,
                name: &policy.policy_name,
                arn: Some(&policy.arn),
                owner: Some(holder.arn),
                attached_to: Vec::new(),
                principals: holder.principals.clone(),
                updated_at: policy.update_date.as_deref(),
                document,
            };
            out.record(self.refine_job(&job, &unused, &holder.beyond, Limit::Managed)?)?;
        }
        Ok(())
    }

    /// Refines one policy, verifies the result, and makes its record.
    fn refine_job(
        &self,
        job: &Job,
        unused: &ActionSet,
        beyond: &Beyond,
        limit: Limit,
    ) -> Result<Record, AccountError> {
        let label = job.arn.map_or_else(
            || {
                format!(
                    "{} inline policy {}",
                    job.owner.unwrap_or_default(),
                    job.name
                )
            },
            str::to_string,
        );
        let record = auth_details::Record::read(job.document.get(), limit)
            .map_err(|err| InputError::whole(format!("{label}: {err}")))?;
        let policy = record.policy();
        let usage = Usage {
            catalog: self.catalog,
            unused,
            beyond,
        };
        let refined = checked(policy, &usage, Options::default()).map_err(|failed| {
            AccountError::SelfCheck {
                policy: label.clone(),
                failed,
            }
        })?;
        for warning in &refined.refined().warnings {
            self.warnings
                .borrow_mut()
                .push(format!("{label}: {warning}"));
        }
        let (removed, added) = entry_changes(policy, refined.edits());
        let changed = refined.changed();
        let before = size::of(policy.document());
        let after = size::of(refined.document());
        let refined_text = match changed {
            true => Some(
                RawValue::from_string(refined.compact())
                    .map_err(|err| AccountError::Output(err.into()))?,
            ),
            false => None,
        };
        Ok(Record {
            kind: job.kind,
            name: job.name.to_string(),
            arn: job.arn.map(str::to_string),
            owner: job.owner.map(str::to_string),
            attached_to: job.attached_to.iter().map(|a| a.to_string()).collect(),
            principals: job.principals.iter().map(|p| p.to_string()).collect(),
            updated_at: job.updated_at.map(str::to_string),
            changed,
            grants_nothing: refined.grants_nothing(),
            removed,
            added,
            refined: refined_text,
            size: Size {
                before,
                after,
                limit: limit.chars(),
                counted: after,
            },
        })
    }
}

/// The entries a refinement took out and wrote, statement by statement.
fn entry_changes(policy: &Policy, edits: &[Option<Edit>]) -> (Vec<String>, Vec<String>) {
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

/// The warning for a record over its size limit.
fn over_limit_warning(record: &Record) -> String {
    let what = match (&record.arn, &record.owner) {
        (Some(arn), Some(owner)) => format!("{arn} (replacement for {owner})"),
        (Some(arn), None) => arn.clone(),
        (None, owner) => format!(
            "{} inline policy {}",
            owner.as_deref().unwrap_or_default(),
            record.name
        ),
    };
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

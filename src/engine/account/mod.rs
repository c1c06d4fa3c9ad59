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

mod fitting;
mod holders;
mod inline;
mod record;

pub use fitting::Settings;

use record::{entry_changes, over_limit_warning, readmitted_warning, unfit_warning};
pub use record::{Kind, Record, Size};

use holders::{extended, findings_by_principal, intersection, Holder};

use crate::engine::checked::{checked, checked_fit, FitFailed, SelfCheckFailed};
use crate::engine::fit::Fit;
use crate::engine::refine::Options;
use crate::error::escape;
use crate::error::InputError;
use crate::hosts::auth_details;
use crate::input::account::{self as details, Details, ManagedPolicy};
use crate::input::findings::{self, Beyond, Usage};
use crate::input::policy::Owner;
use crate::model::catalog::{ActionSet, Catalog};
use crate::model::size;
use crate::model::size::Limit;
use serde_json::value::RawValue;
use std::collections::HashMap;

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
    /// Sends a managed policy's record, with its warnings. (A principal's
    /// inline policies are sent by [`Context::inline_policies`], which
    /// warns once about their total.)
    fn record(&mut self, record: Record) -> Result<(), AccountError> {
        if record.size.over() {
            self.summary.warnings.push(over_limit_warning(&record));
        }
        if let Some(why) = &record.unfit {
            self.summary.warnings.push(unfit_warning(&record, why));
        }
        self.summary.warnings.extend(readmitted_warning(&record));
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
/// `planned` hears, once the details are read, about how many records
/// will come (for a progress bar).
///
/// `settings` say whether the catalog is current for this account (see
/// [`findings::Beyond::catalog_current`]) and whether to fit each refined
/// policy to its size limit (`--fit`, `--max-size`).
///
/// Fails on input that cannot be trusted: unreadable details, findings
/// about no named principal, or a policy document that does not read.
pub fn refine_account(
    details_text: &str,
    groups: Vec<findings::Group>,
    catalog: &Catalog,
    only: Option<&str>,
    settings: Settings,
    sink: &mut dyn FnMut(Record) -> std::io::Result<()>,
    planned: &mut dyn FnMut(usize),
) -> Result<Summary, AccountError> {
    let details = details::parse(details_text)?;
    let mut outcome = Summary::default();
    let by_principal = findings_by_principal(groups, &details, &mut outcome)?;
    let catalog = extended(catalog, &by_principal, &mut outcome);
    let holders = holders::build(
        &details,
        &by_principal,
        &catalog,
        settings.catalog_current,
        &mut outcome,
    );
    // The holders keep what they need of the findings, as compact id
    // lists: the parsed findings go before the refining starts.
    drop(by_principal);
    // About how many records will come, for a progress bar: every inline
    // policy, and each managed one once (an AWS-managed one comes once per
    // principal it is attached to, so there may be more).
    planned(holders.iter().map(|h| h.inline.len()).sum::<usize>() + details.policies.len());
    let context = Context {
        catalog: &catalog,
        warnings: Default::default(),
        settings,
        pool: crate::engine::threads::pool(settings.jobs),
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
    // In the order one thread would have said them (a stable sort: each
    // holder's are said by one thread, in order).
    let mut warnings = context
        .warnings
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    warnings.sort_by_key(|(order, _)| *order);
    out.summary
        .warnings
        .extend(warnings.into_iter().map(|(_, w)| w));
    Ok(out.summary)
}

/// What every refinement of one account shares.
struct Context<'c> {
    catalog: &'c Catalog,
    settings: Settings,
    /// Warnings from refining the documents (entries the catalog does not
    /// know), collected while records stream out.
    warnings: std::sync::Mutex<Vec<(usize, String)>>,
    /// The threads inline policies are refined on (`None`: this one).
    pool: Option<rayon::ThreadPool>,
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
    /// Refined before, now fitted to a share of its owner's limit.
    again: bool,
    /// Where its warnings go among the others: the holder's index for an
    /// inline policy, after every holder for a managed one.
    order: usize,
}

impl Context<'_> {
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
                again: false,
                order: usize::MAX,
            };
            let unused = target.unused.to_set(self.catalog);
            let cap = self.settings.fit_cap(Limit::Managed);
            out.record(self.refine_job(&job, &unused, &target.beyond, Limit::Managed, cap)?)?;
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
            again: false,
            order: usize::MAX,
        };
        let cap = self.settings.fit_cap(Limit::Managed);
        out.record(self.refine_job(&job, &unused, &beyond, Limit::Managed, cap)?)
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
                again: false,
                order: usize::MAX,
            };
            let cap = self.settings.fit_cap(Limit::Managed);
            out.record(self.refine_job(&job, &unused, &holder.beyond, Limit::Managed, cap)?)?;
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
        cap: Option<usize>,
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
        let self_check = |failed| AccountError::SelfCheck {
            policy: label.clone(),
            failed,
        };
        let fitted = cap.map(|cap| {
            let fit = Fit {
                cap,
                merge: true,
                exact: false,
            };
            checked_fit(policy, &usage, Options::default(), fit)
        });
        let (refined, unfit) = match fitted {
            Some(Ok(refined)) => (refined, None),
            Some(Err(FitFailed::SelfCheck(failed))) => return Err(self_check(failed)),
            Some(Err(FitFailed::TooLarge(too_large))) => (
                checked(policy, &usage, Options::default()).map_err(self_check)?,
                Some(too_large.to_string()),
            ),
            None => (
                checked(policy, &usage, Options::default()).map_err(self_check)?,
                None,
            ),
        };
        // A policy fitted again (a principal's inline policies sharing its
        // limit) said its warnings the first time.
        if !job.again {
            let mut warnings = self.warnings.lock().unwrap_or_else(|p| p.into_inner());
            for warning in &refined.refined().warnings {
                warnings.push((job.order, format!("{label}: {warning}")));
            }
        }
        // An action re-admitted in several statements is one action.
        let mut readmitted_set = self.catalog.empty_set();
        for id in refined.readmitted().iter().flat_map(|r| &r.actions) {
            readmitted_set.insert(*id);
        }
        let readmitted: Vec<String> = readmitted_set
            .iter()
            .map(|id| self.catalog.full_name(id))
            .collect();
        let removed_by_level = removed_by_level(self.catalog, &refined);
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
            removed_by_level,
            readmitted,
            unfit,
            size: Size {
                before,
                after,
                limit: limit.chars(),
                counted: after,
            },
        })
    }
}

/// How many unused actions a checked refinement took away, by access
/// level: those its entries granted, less those `--fit` re-admitted.
fn removed_by_level(
    catalog: &Catalog,
    refined: &crate::engine::checked::Checked,
) -> Vec<(crate::model::catalog::AccessLevel, usize)> {
    let mut removed = catalog.empty_set();
    for change in refined.changes() {
        for &id in &change.unused {
            removed.insert(id);
        }
    }
    for readmission in refined.readmitted() {
        for &id in &readmission.actions {
            removed.remove(id);
        }
    }
    let mut counts: std::collections::BTreeMap<crate::model::catalog::AccessLevel, usize> =
        Default::default();
    for id in removed.iter() {
        *counts.entry(catalog.level(id)).or_default() += 1;
    }
    counts.into_iter().collect()
}

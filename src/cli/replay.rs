//! `refine replay`: would these policies have allowed what the principal
//! did? See [`iam_refine::engine::replay`] for how calls are decided.
//!
//! The policies are files (policy files, templates, Terraform files: every
//! policy in them), or, with `--details`, everything the principal holds
//! in `get-account-authorization-details` output: its inline policies,
//! the managed policies attached to it, and for a user its groups'. Their
//! union decides.

use super::args::{ReplayArgs, ReplayFormat};
use super::drift::{read_held, Held};
use super::io::{self, describe, emit, read_input};
use super::{diag, load_catalog};
use anyhow::{anyhow, bail, Result};
use iam_refine::engine::replay::{Policies, StatementName, Verdict};
use iam_refine::hosts::auth_details::Record;
use iam_refine::hosts::Host;
use iam_refine::input::account;
use iam_refine::input::cloudtrail::{self, Call};
use iam_refine::input::policy::Policy;
use iam_refine::model::catalog::Catalog;
use iam_refine::model::principal::Owner;
use iam_refine::model::size::Limit;
use iam_refine::output::report::pretty;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

/// What replay says of one action.
struct Decided {
    verdict: Verdict,
    calls: u64,
    first: Option<(i64, String)>,
    last: Option<(i64, String)>,
}

/// Runs `refine replay`.
pub(super) fn run(args: ReplayArgs, catalog_path: Option<&Path>) -> Result<ExitCode> {
    let catalog = load_catalog(catalog_path)?;
    let mut policies = Vec::new();
    for path in &args.policies {
        policies.extend(policies_in(path)?);
    }
    if let Some(details) = &args.details {
        let Some(principal) = &args.principal else {
            bail!("--details needs --principal ARN: whose policies to replay against");
        };
        policies.extend(held_by(details, principal)?);
    }
    if policies.is_empty() {
        bail!("no policy to replay against\nhint: give policy files, or --details FILE with --principal ARN");
    }
    if args.principal.is_none() {
        diag::warning(
            "no --principal: every successful call in the logs is replayed, whoever made it",
        );
    }
    let trail = cloudtrail::read(&args.cloudtrail, args.principal.as_deref(), &catalog)
        .map_err(|err| anyhow!("{err}"))?;
    let decided = decide(&Policies::new(&policies), &catalog, &trail.calls);
    let names: Vec<&str> = policies.iter().map(|(name, _)| name.as_str()).collect();
    let unmapped: Vec<&Call> = trail
        .calls
        .iter()
        .filter(|c| c.mapping.is_unmapped())
        .collect();
    let text = match args.format {
        ReplayFormat::Text => text(
            &decided,
            &unmapped,
            trail.counted,
            args.principal.as_deref(),
        ),
        ReplayFormat::Json => pretty(&report(
            &decided,
            &unmapped,
            &names,
            trail.counted,
            args.principal.as_deref(),
        )),
    };
    emit(None, &text)?;
    let denied = decided.values().any(|d| d.verdict.denies());
    Ok(if args.check && denied {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Each action the calls are use of, decided once, with its calls
/// counted and dated; by `service:Name`.
fn decide(policies: &Policies, catalog: &Catalog, calls: &[Call]) -> BTreeMap<String, Decided> {
    let mut decided: BTreeMap<String, Decided> = BTreeMap::new();
    for call in calls {
        let known = call.mapping.actions.iter().map(|&id| {
            (
                catalog.service_of(id).to_string(),
                catalog.name(id).to_string(),
            )
        });
        for (service, name) in known.chain(call.mapping.unknown.iter().cloned()) {
            let entry = decided
                .entry(format!("{service}:{name}"))
                .or_insert_with(|| Decided {
                    verdict: policies.decide(&service, &name),
                    calls: 0,
                    first: None,
                    last: None,
                });
            entry.calls += call.count;
            if let Some(first) = &call.first {
                if entry.first.as_ref().is_none_or(|f| first.0 < f.0) {
                    entry.first = Some(first.clone());
                }
            }
            if let Some(last) = &call.last {
                if entry.last.as_ref().is_none_or(|l| last.0 > l.0) {
                    entry.last = Some(last.clone());
                }
            }
        }
    }
    decided
}

/// "p.json statement 1 (Sid S3)", for each.
fn named(statements: &[StatementName]) -> String {
    let names: Vec<String> = statements
        .iter()
        .map(|s| format!("{} {}", s.policy, s.label))
        .collect();
    names.join(", ")
}

/// "3 calls, 2026-01-02T03:04:05Z to 2026-01-05T10:00:00Z".
fn when(decided: &Decided) -> String {
    let plural = if decided.calls == 1 { "" } else { "s" };
    match (&decided.first, &decided.last) {
        (Some((_, first)), Some((_, last))) if first == last => {
            format!("{} call{plural}, {first}", decided.calls)
        }
        (Some((_, first)), Some((_, last))) => {
            format!("{} call{plural}, {first} to {last}", decided.calls)
        }
        _ => format!("{} call{plural}", decided.calls),
    }
}

/// What replay does not evaluate, said in every report.
const NOT_EVALUATED: &str =
    "replay decides actions only: Resource, NotResource and Condition are not evaluated";

/// The text report: the denied actions, then what is unproven.
fn text(
    decided: &BTreeMap<String, Decided>,
    unmapped: &[&Call],
    counted: u64,
    principal: Option<&str>,
) -> String {
    let denied: Vec<(&String, &Decided)> =
        decided.iter().filter(|(_, d)| d.verdict.denies()).collect();
    let denied_calls: u64 = denied.iter().map(|(_, d)| d.calls).sum();
    let by = principal.map(|p| format!(" by {p}")).unwrap_or_default();
    let mut out = format!(
        "replay: {counted} call{}{by}, {} action{}; {denied_calls} call{} to {} action{} would be denied\n",
        if counted == 1 { "" } else { "s" },
        decided.len(),
        if decided.len() == 1 { "" } else { "s" },
        if denied_calls == 1 { "" } else { "s" },
        denied.len(),
        if denied.len() == 1 { "" } else { "s" },
    );
    for (action, d) in &denied {
        let why = match &d.verdict {
            Verdict::Denied { by } => format!("denied by {}", named(by)),
            _ => "no statement allows it".to_string(),
        };
        out.push_str(&format!("denied: {action} ({}): {why}\n", when(d)));
    }
    for (action, d) in decided {
        if let Verdict::Allowed {
            depends_on,
            may_deny,
        } = &d.verdict
        {
            if !depends_on.is_empty() {
                out.push_str(&format!(
                    "unproven: {action} ({}) is allowed only by {}, whose Resource or Condition replay does not evaluate\n",
                    when(d),
                    named(depends_on)
                ));
            }
            if !may_deny.is_empty() {
                out.push_str(&format!(
                    "unproven: {action} ({}) may be denied by {}, whose Resource or Condition replay does not evaluate\n",
                    when(d),
                    named(may_deny)
                ));
            }
        }
    }
    for call in unmapped {
        out.push_str(&format!(
            "undecided: {} {} ({} call{}) maps to no action\n",
            call.source,
            call.name,
            call.count,
            if call.count == 1 { "" } else { "s" }
        ));
    }
    out.push_str(&format!("note: {NOT_EVALUATED}\n"));
    out
}

/// The JSON report.
fn report(
    decided: &BTreeMap<String, Decided>,
    unmapped: &[&Call],
    policies: &[&str],
    counted: u64,
    principal: Option<&str>,
) -> serde_json::Value {
    let names = |list: &[StatementName]| -> Vec<serde_json::Value> {
        list.iter()
            .map(|s| json!({"policy": s.policy, "statement": s.label}))
            .collect()
    };
    let actions: Vec<serde_json::Value> = decided
        .iter()
        .map(|(action, d)| {
            let (verdict, denied_by, depends_on, may_deny) = match &d.verdict {
                Verdict::Allowed {
                    depends_on,
                    may_deny,
                } => ("allowed", vec![], names(depends_on), names(may_deny)),
                Verdict::NotAllowed => ("not-allowed", vec![], vec![], vec![]),
                Verdict::Denied { by } => ("denied", names(by), vec![], vec![]),
            };
            json!({
                "action": action,
                "verdict": verdict,
                "calls": d.calls,
                "first": d.first.as_ref().map(|f| &f.1),
                "last": d.last.as_ref().map(|l| &l.1),
                "denied_by": denied_by,
                "depends_on": depends_on,
                "may_deny": may_deny,
            })
        })
        .collect();
    let denied_calls: u64 = decided
        .values()
        .filter(|d| d.verdict.denies())
        .map(|d| d.calls)
        .sum();
    json!({
        "principal": principal,
        "policies": policies,
        "calls": counted,
        "denied_calls": denied_calls,
        "actions": actions,
        "unmapped": unmapped.iter().map(|c| json!({"source": c.source, "name": c.name, "calls": c.count})).collect::<Vec<_>>(),
        "not_evaluated": NOT_EVALUATED,
    })
}

/// Every policy in a file, named by the file (and its place in it).
fn policies_in(path: &Path) -> Result<Vec<(String, Policy)>> {
    let of = |name: &str, host: &dyn Host| -> Vec<(String, Policy)> {
        host.policies()
            .iter()
            .map(|e| {
                let label = match &e.place {
                    Some(place) => format!("{name}: {place}"),
                    None => name.to_string(),
                };
                (label, e.policy.clone())
            })
            .collect()
    };
    match read_held(path, of)? {
        Held::Policies(found) => Ok(found),
        Held::Account(input) | Held::Other(input) => bail!(
            "{}: not a policy, template or Terraform file\nhint: for a principal's policies in account details, use --details FILE --principal ARN",
            input.name
        ),
    }
}

/// The policies `principal` holds in account details: its inline
/// policies, the managed policies attached to it, and for a user those of
/// its groups. A managed policy attached but missing from the details is
/// an error: its calls would look denied.
fn held_by(path: &Path, principal: &str) -> Result<Vec<(String, Policy)>> {
    let input = read_input(path, io::ACCOUNT)?;
    let details = account::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
    // Each inline list with its owner's kind and name.
    let mut lists: Vec<(Owner, &str, &[account::Inline<'_>])> = Vec::new();
    let mut attached: Vec<&account::Attached> = Vec::new();
    if let Some(role) = details.role_detail_list.iter().find(|r| r.arn == principal) {
        lists.push((Owner::Role, &role.role_name, &role.role_policy_list));
        attached.extend(&role.attached_managed_policies);
    } else if let Some(user) = details.user_detail_list.iter().find(|u| u.arn == principal) {
        lists.push((Owner::User, &user.user_name, &user.user_policy_list));
        attached.extend(&user.attached_managed_policies);
        let groups = details.group_detail_list.iter();
        for group in groups.filter(|g| user.group_list.contains(&g.group_name)) {
            lists.push((Owner::Group, &group.group_name, &group.group_policy_list));
            attached.extend(&group.attached_managed_policies);
        }
    } else {
        bail!("{}: no role or user {principal}", input.name);
    }
    let mut documents: Vec<(String, &str, Limit)> = Vec::new();
    for (owner, name, list) in lists {
        let kind = match owner {
            Owner::Role => "role",
            Owner::User => "user",
            Owner::Group => "group",
        };
        for inline in list {
            let place = format!("{kind} {name} inline policy {}", inline.policy_name);
            documents.push((place, inline.policy_document.get(), Limit::Inline(owner)));
        }
    }
    for policy in attached {
        let held = details.policies.iter().find(|p| p.arn == policy.policy_arn);
        let Some(document) = held.and_then(|p| p.default_document()) else {
            bail!(
                "{}: {principal} has {} attached, which the details do not hold: replay would count its calls as denied\nhint: run `aws iam get-account-authorization-details` without --filter, or with AWSManagedPolicy too",
                input.name,
                policy.policy_arn
            );
        };
        let place = format!("managed policy {}", policy.policy_name);
        documents.push((place, document.get(), Limit::Managed));
    }
    documents
        .into_iter()
        .map(|(place, text, limit)| {
            let record = Record::read(text, limit)
                .map_err(|err| anyhow!("{}: {place}: {err}", input.name))?;
            Ok((place, record.policy().clone()))
        })
        .collect()
}

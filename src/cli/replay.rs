//! `refine replay`: would these policies have allowed what the principal
//! did? See [`iam_refine::engine::replay`] for how calls are decided.
//!
//! The policies are files (policy files, templates, Terraform files: every
//! policy in them), or, with `--details`, everything the principal holds
//! in `get-account-authorization-details` output: its inline policies,
//! the managed policies attached to it, and for a user its groups'. Their
//! union decides.

use super::args::{ReplayArgs, ReplayFormat};
use super::drift::{not_a_policy, read_held, Held};
use super::io::{self, describe, emit, read_input};
use super::{diag, load_catalog};
use anyhow::{anyhow, bail, Result};
use iam_refine::engine::replay::{Policies, StatementName, Verdict};
use iam_refine::error::escape;
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
    /// The calls that map to it.
    calls: u64,
    /// Of those, the calls every action of which is refused: denied.
    denied_calls: u64,
    /// The calls it is refused for while another action they map to is
    /// allowed (AWS lists alternatives): not decided.
    maybe_calls: u64,
    first: Option<(i64, String)>,
    last: Option<(i64, String)>,
}

/// Runs `refine replay`.
pub(super) fn run(args: ReplayArgs, catalog_path: Option<&Path>) -> Result<ExitCode> {
    let catalog = load_catalog(catalog_path)?;
    let mut policies = Vec::new();
    let mut caveats = Vec::new();
    for path in &args.policies {
        let (found, unevaluated) = policies_in(path)?;
        policies.extend(found);
        caveats.extend(unevaluated);
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
    if trail.counted == 0 {
        let by = args
            .principal
            .as_deref()
            .map(|p| format!(" by {}", escape(p)))
            .unwrap_or_default();
        bail!(
            "cloudtrail: no successful call{by} in {} event{}: nothing to replay\nhint: fix --principal (the role's or user's ARN), or pass the logs that cover its activity",
            trail.events,
            if trail.events == 1 { "" } else { "s" }
        );
    }
    let (decided, denied_calls) = decide(&Policies::new(&policies), &catalog, &trail.calls);
    let names: Vec<&str> = policies.iter().map(|(name, _)| name.as_str()).collect();
    let unmapped: Vec<&Call> = trail
        .calls
        .iter()
        .filter(|c| c.mapping.is_unmapped())
        .collect();
    let text = match args.format {
        ReplayFormat::Text => text(
            &decided,
            denied_calls,
            &unmapped,
            &caveats,
            trail.counted,
            args.principal.as_deref(),
        ),
        ReplayFormat::Json => pretty(&report(
            &decided,
            denied_calls,
            &unmapped,
            &caveats,
            &names,
            trail.counted,
            args.principal.as_deref(),
        )),
    };
    emit(None, &text)?;
    if args.check && denied_calls > 0 {
        diag::error(&format!(
            "{denied_calls} call{} would be denied",
            if denied_calls == 1 { "" } else { "s" }
        ));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Each action the calls are use of, decided once, with its calls
/// counted and dated; by `service:Name`. A call is denied when every
/// action it maps to is refused (an event may map to alternatives, of
/// which AWS needs one); the second number is how many calls that is.
fn decide(
    policies: &Policies,
    catalog: &Catalog,
    calls: &[Call],
) -> (BTreeMap<String, Decided>, u64) {
    let mut decided: BTreeMap<String, Decided> = BTreeMap::new();
    let mut denied_calls = 0;
    for call in calls {
        let known = call.mapping.actions.iter().map(|&id| {
            (
                catalog.service_of(id).to_string(),
                catalog.name(id).to_string(),
            )
        });
        let actions: Vec<String> = known
            .chain(call.mapping.unknown.iter().cloned())
            .map(|(service, name)| {
                let action = format!("{service}:{name}");
                decided.entry(action.clone()).or_insert_with(|| Decided {
                    verdict: policies.decide(&service, &name),
                    calls: 0,
                    denied_calls: 0,
                    maybe_calls: 0,
                    first: None,
                    last: None,
                });
                action
            })
            .collect();
        let refused = |a: &String| decided.get(a).is_some_and(|d| d.verdict.denies());
        let all_refused = !actions.is_empty() && actions.iter().all(refused);
        denied_calls += if all_refused { call.count } else { 0 };
        for action in &actions {
            let Some(entry) = decided.get_mut(action) else {
                continue;
            };
            entry.calls += call.count;
            if entry.verdict.denies() {
                match all_refused {
                    true => entry.denied_calls += call.count,
                    false => entry.maybe_calls += call.count,
                }
            }
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
    (decided, denied_calls)
}

/// "p.json statement 1 (Sid S3)", for each.
fn named(statements: &[StatementName]) -> String {
    let names: Vec<String> = statements
        .iter()
        .map(|s| format!("{} {}", escape(&s.policy), s.label))
        .collect();
    names.join(", ")
}

/// "3 calls, 2026-01-02T03:04:05Z to 2026-01-05T10:00:00Z" (`calls` of
/// the action's calls; the times are of all of them).
fn when(decided: &Decided, calls: u64) -> String {
    let plural = if calls == 1 { "" } else { "s" };
    match (&decided.first, &decided.last) {
        (Some((_, first)), Some((_, last))) if first == last => {
            format!("{calls} call{plural}, {}", escape(first))
        }
        (Some((_, first)), Some((_, last))) => {
            format!(
                "{calls} call{plural}, {} to {}",
                escape(first),
                escape(last)
            )
        }
        _ => format!("{calls} call{plural}"),
    }
}

/// What replay does not evaluate, said in every report.
const NOT_EVALUATED: &str =
    "replay decides actions only: Resource, NotResource and Condition are not evaluated";

/// The text report: the denied actions, then what is unproven.
fn text(
    decided: &BTreeMap<String, Decided>,
    denied_calls: u64,
    unmapped: &[&Call],
    caveats: &[String],
    counted: u64,
    principal: Option<&str>,
) -> String {
    let denied: Vec<(&String, &Decided)> =
        decided.iter().filter(|(_, d)| d.denied_calls > 0).collect();
    let by = principal
        .map(|p| format!(" by {}", escape(p)))
        .unwrap_or_default();
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut out = format!(
        "replay: {counted} call{}{by}, {} action{}; {denied_calls} call{} would be denied\n",
        plural(counted),
        decided.len(),
        plural(decided.len() as u64),
        plural(denied_calls),
    );
    for (action, d) in &denied {
        let why = match &d.verdict {
            Verdict::Denied { by } => format!("denied by {}", named(by)),
            _ => "no statement allows it".to_string(),
        };
        let action = escape(action);
        out.push_str(&format!(
            "denied: {action} ({}): {why}\n",
            when(d, d.denied_calls)
        ));
    }
    for (action, d) in decided {
        let action = escape(action);
        if d.maybe_calls > 0 {
            out.push_str(&format!(
                "unproven: {action} ({}) is refused, but those calls map to other actions too, which are allowed: AWS may have needed either\n",
                when(d, d.maybe_calls)
            ));
        }
        if let Verdict::Allowed {
            depends_on,
            may_deny,
        } = &d.verdict
        {
            if !depends_on.is_empty() {
                out.push_str(&format!(
                    "unproven: {action} ({}) is allowed only by {}, whose Resource or Condition replay does not evaluate\n",
                    when(d, d.calls),
                    named(depends_on)
                ));
            }
            if !may_deny.is_empty() {
                out.push_str(&format!(
                    "unproven: {action} ({}) may be denied by {}, whose Resource or Condition replay does not evaluate\n",
                    when(d, d.calls),
                    named(may_deny)
                ));
            }
        }
    }
    for caveat in caveats {
        out.push_str(&format!("unproven: {caveat}\n"));
    }
    for call in unmapped {
        out.push_str(&format!(
            "undecided: {} {} ({} call{}) maps to no action\n",
            escape(&call.source),
            escape(&call.name),
            call.count,
            plural(call.count)
        ));
    }
    out.push_str(&format!("note: {NOT_EVALUATED}\n"));
    out
}

/// The JSON report.
fn report(
    decided: &BTreeMap<String, Decided>,
    denied_calls: u64,
    unmapped: &[&Call],
    caveats: &[String],
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
                "denied_calls": d.denied_calls,
                "undecided_calls": d.maybe_calls,
                "first": d.first.as_ref().map(|f| &f.1),
                "last": d.last.as_ref().map(|l| &l.1),
                "denied_by": denied_by,
                "depends_on": depends_on,
                "may_deny": may_deny,
            })
        })
        .collect();
    json!({
        "principal": principal,
        "policies": policies,
        "calls": counted,
        "denied_calls": denied_calls,
        "actions": actions,
        "unevaluated": caveats,
        "unmapped": unmapped.iter().map(|c| json!({"source": c.source, "name": c.name, "calls": c.count})).collect::<Vec<_>>(),
        "not_evaluated": NOT_EVALUATED,
    })
}

/// A policy and the name reports give it.
type Named = (String, Policy);

/// Every policy in a file, named by the file (and its place in it), and
/// what the file holds that replay cannot read (a template's intrinsic
/// functions, Terraform expressions): a Deny among them may refuse calls
/// reported allowed, an Allow may serve calls reported denied.
fn policies_in(path: &Path) -> Result<(Vec<Named>, Vec<String>)> {
    let of = |name: &str, host: &dyn Host| {
        let mut caveats = Vec::new();
        let policies = host
            .policies()
            .iter()
            .map(|e| {
                let label = match &e.place {
                    Some(place) => format!("{name}: {place}"),
                    None => name.to_string(),
                };
                if e.not_evaluated > 0 {
                    caveats.push(format!(
                        "{}: {} entr{} or statement{} written as expressions, not evaluated: a Deny among them may refuse calls reported allowed",
                        escape(&label),
                        e.not_evaluated,
                        if e.not_evaluated == 1 { "y" } else { "ies" },
                        if e.not_evaluated == 1 { "" } else { "s" },
                    ));
                }
                (label, e.policy.clone())
            })
            .collect::<Vec<_>>();
        for left in host.left() {
            caveats.push(format!(
                "{}:{}:{}: {}",
                escape(name),
                left.line,
                left.column,
                left.why
            ));
        }
        (policies, caveats)
    };
    match read_held(path, of)? {
        Held::Policies(found) => Ok(found),
        Held::Account(input) | Held::Other(input) => Err(not_a_policy(&input, "not a policy, template or Terraform file\nhint: for a principal's policies in account details, use --details FILE --principal ARN")),
    }
}

/// The policies `principal` holds in account details: its inline
/// policies, the managed policies attached to it, and for a user those of
/// its groups. A managed policy attached but missing from the details is
/// an error: its calls would look denied.
fn held_by(path: &Path, principal: &str) -> Result<Vec<(String, Policy)>> {
    let input = read_input(path, io::ACCOUNT)?;
    let details = account::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
    // Its own inline policies and attachments, and for a user its
    // groups'.
    let groups: &[String] = match details.user_detail_list.iter().find(|u| u.arn == principal) {
        Some(user) => &user.group_list,
        None => &[],
    };
    let holds = |list: &account::InlineList| {
        list.arn == principal
            || (list.owner == Owner::Group && groups.iter().any(|g| g == list.name))
    };
    let lists: Vec<account::InlineList> = details.inline_lists().filter(holds).collect();
    if !lists
        .iter()
        .any(|l| l.arn == principal && l.owner != Owner::Group)
    {
        bail!("{}: no role or user {principal}", input.name);
    }
    let mut attached: Vec<&account::Attached> = Vec::new();
    for role in details
        .role_detail_list
        .iter()
        .filter(|r| r.arn == principal)
    {
        attached.extend(&role.attached_managed_policies);
    }
    for user in details
        .user_detail_list
        .iter()
        .filter(|u| u.arn == principal)
    {
        attached.extend(&user.attached_managed_policies);
    }
    for group in details
        .group_detail_list
        .iter()
        .filter(|g| groups.contains(&g.group_name))
    {
        attached.extend(&group.attached_managed_policies);
    }
    let mut documents: Vec<(String, &str, Limit)> = Vec::new();
    for list in &lists {
        for inline in list.policies {
            let limit = Limit::Inline(list.owner);
            documents.push((list.place(inline), inline.policy_document.get(), limit));
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

//! Use observed without Access Analyzer: lists of used actions, and IAM's
//! service-last-accessed data.
//!
//! Refinement needs the unused set. Findings give it directly; these sources
//! give it the other way round:
//!
//! * a **used list** (`--used`: action strings or a policy a tracing tool
//!   wrote; `--cloudtrail`, see [`crate::input::cloudtrail`]) says what *was* used,
//!   so the unused set is every catalog action not in it ([`from_used`]).
//!   Used actions the catalog does not know join it for the run, so that no
//!   prefix refinement writes can leave them out.
//! * **service-last-accessed data** (`aws iam get-service-last-accessed-details`)
//!   says per service whether it was used, and for services with action
//!   tracking, per action ([`parse_last_accessed`]); it becomes a findings
//!   list and goes the same way as findings.

use crate::error::{printable_json, InputError, JsonPath};
use crate::input::findings::{self, timestamp_member, Findings, Resolved, Unused};
use crate::input::policy::{check_action, ActionKey, Effect, Policy};
use crate::json;
use crate::json::{Kind, Value};
use crate::model::catalog::{ActionSet, Catalog};
use crate::model::pattern::Glob;

/// What a `--used` file says.
#[derive(Debug, Clone)]
pub enum UsedList {
    /// `["s3:GetObject", "sqs:Send*", ...]`: actions, or patterns expanded
    /// over the catalog.
    Entries(Vec<Glob>),
    /// A policy document: everything its Allow statements allow counts as
    /// used.
    Policy(Box<Policy>),
}

/// Reads a `--used` file.
pub fn parse_used(text: &str) -> Result<UsedList, InputError> {
    let value = json::read(text, "a list of used actions or a policy document")?;
    match &value.kind {
        Kind::Array(items) => {
            let mut entries = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let path = JsonPath::root().index(i);
                let Some(entry) = item.as_str() else {
                    return Err(InputError::at(
                        &path,
                        format!("expected an action string, found {}", item.kind_name()),
                    ));
                };
                check_action(entry).map_err(|bad| bad.at(&path))?;
                entries.push(Glob::new(entry));
            }
            Ok(UsedList::Entries(entries))
        }
        Kind::Object(_) => Ok(UsedList::Policy(Box::new(
            crate::hosts::json_file::JsonFile::from_tree(text, value)?.into_policy(),
        ))),
        _ => Err(InputError::whole(format!(
            "found {}: expected a JSON array of \"service:Action\" strings, or a policy document",
            value.kind_name()
        ))),
    }
}

impl UsedList {
    /// The literal actions the list names (from a policy: its literal
    /// Allow entries), as `(service, name)`.
    pub fn literals(&self) -> Vec<(String, String)> {
        let globs: Vec<&Glob> = match self {
            UsedList::Entries(entries) => entries.iter().collect(),
            UsedList::Policy(policy) => policy
                .statements
                .iter()
                .filter(|s| s.effect == Effect::Allow && s.key == ActionKey::Action)
                .flat_map(|s| &s.entries)
                .collect(),
        };
        globs
            .into_iter()
            .filter(|g| g.is_literal())
            .filter_map(|g| g.as_str().split_once(':'))
            .map(|(s, n)| (s.to_ascii_lowercase(), n.to_string()))
            .collect()
    }

    /// The catalog actions the list says were used.
    pub fn used_in(&self, catalog: &Catalog) -> ActionSet {
        let mut used = catalog.empty_set();
        match self {
            UsedList::Entries(entries) => {
                for glob in entries {
                    catalog.add_matching(glob, &mut used);
                }
            }
            UsedList::Policy(policy) => {
                for statement in policy
                    .statements
                    .iter()
                    .filter(|s| s.effect == Effect::Allow)
                {
                    used.union_with(&statement.allowed_actions(catalog));
                }
            }
        }
        used
    }
}

/// The unused set when `used` (actions, as `(service, name)`, with
/// `used_set` the catalog actions already known to be used) was used: every
/// catalog action not in it. Used actions the catalog lacks join a copy of
/// it, as used, with a warning; refinement then keeps them.
pub fn from_used(
    catalog: &Catalog,
    unknown: &[(String, String)],
    used_in: impl Fn(&Catalog) -> ActionSet,
) -> Resolved {
    let mut missing: Vec<(String, String)> = Vec::new();
    for (service, name) in unknown {
        let listed = missing
            .iter()
            .any(|(s, n)| s == service && n.eq_ignore_ascii_case(name));
        if catalog.find(service, name).is_none() && !listed {
            missing.push((service.clone(), name.clone()));
        }
    }
    let mut warnings = Vec::new();
    let catalog = if missing.is_empty() {
        catalog.clone()
    } else {
        let names: Vec<String> = missing.iter().map(|(s, n)| format!("{s}:{n}")).collect();
        warnings.push(format!(
            "{} used action{} not in the catalog ({}): the catalog is older than the input; kept as used",
            names.len(),
            if names.len() == 1 { " is" } else { "s are" },
            findings::abbreviate(&names)
        ));
        catalog.with_actions(&missing)
    };
    let mut used = used_in(&catalog);
    used.union_with(catalog.added());
    let mut unused = ActionSet::full(catalog.len());
    unused.difference_with(&used);
    // A used list is undated and says nothing of whole services: it
    // counts as newer than the catalog, and only what it names is known.
    Resolved {
        catalog,
        unused,
        beyond: findings::Beyond::default(),
        warnings,
        resource: None,
        newer_than_catalog: None,
    }
}

/// Reads `aws iam get-service-last-accessed-details` output as findings:
/// a service never authenticated is wholly unused; in a service with action
/// tracking, each tracked action without a `LastAccessedTime` is unused;
/// everything else counts as used (a service without action tracking was
/// used, and which of its actions is not known).
///
/// A job that is not `COMPLETED`, or output that `IsTruncated`, is refused:
/// a service missing from it would count as used, which is safe, but a
/// refinement from half the data is not what anyone asked for.
pub fn parse_last_accessed(text: &str) -> Result<Findings, InputError> {
    let value = json::read(text, "`aws iam get-service-last-accessed-details` output")?;
    let root = JsonPath::root();
    let expected = "expected `aws iam get-service-last-accessed-details` output";
    let Some(services) = value.get("ServicesLastAccessed").and_then(Value::as_array) else {
        return Err(InputError::whole(format!(
            "no ServicesLastAccessed: {expected}"
        )));
    };
    if let Some(status) = value.get("JobStatus").and_then(Value::as_str) {
        if status != "COMPLETED" {
            return Err(InputError::at(
                &root.key("JobStatus"),
                format!("the job is {status}, not COMPLETED"),
            )
            .with_hint("wait for the job, then fetch its details again"));
        }
    }
    if value
        .get("IsTruncated")
        .is_some_and(|v| v.kind == Kind::Bool(true))
    {
        return Err(InputError::at(
            &root.key("IsTruncated"),
            "the output is truncated: some services are missing",
        )
        .with_hint("fetch every page (the AWS CLI does by default) and pass the whole output"));
    }
    let mut findings = Findings::default();
    for (i, service) in services.iter().enumerate() {
        let path = root.key("ServicesLastAccessed").index(i);
        let namespace = match service.get("ServiceNamespace").and_then(Value::as_str) {
            Some(s)
                if !s.is_empty()
                    && !s.contains([':', '*', '?'])
                    && !s.chars().any(char::is_control) =>
            {
                s.to_ascii_lowercase()
            }
            _ => {
                let found = service
                    .get("ServiceNamespace")
                    .map_or("nothing".to_string(), |v| {
                        printable_json(&json::write::compact(v))
                    });
                return Err(InputError::at(
                    &path.key("ServiceNamespace"),
                    format!("expected a service prefix, found {found}"),
                ));
            }
        };
        let authenticated = timestamp_member(service, "LastAuthenticated", &path)?;
        if authenticated.is_none() {
            findings.unused.push(Unused::Service {
                service: namespace,
                last_accessed: None,
            });
            continue;
        }
        let Some(tracked) = service
            .get("TrackedActionsLastAccessed")
            .and_then(Value::as_array)
        else {
            continue;
        };
        for (j, action) in tracked.iter().enumerate() {
            let action_path = path.key("TrackedActionsLastAccessed").index(j);
            let Some(name) = action.get("ActionName").and_then(Value::as_str) else {
                return Err(InputError::at(&action_path, "no ActionName"));
            };
            check_action(&format!("{namespace}:{name}"))
                .map_err(|bad| bad.at(&action_path.key("ActionName")))?;
            if timestamp_member(action, "LastAccessedTime", &action_path)?.is_none() {
                findings.unused.push(Unused::Action {
                    service: namespace.clone(),
                    name: name.to_string(),
                    last_accessed: None,
                });
            }
        }
    }
    Ok(findings)
}

/// Refuses a used list or a log in which nothing maps to an action:
/// every action unused is the signal of an unused role, under which
/// refinement also removes entries the catalog does not know, and a used
/// action the catalog cannot name (a typo, a newer service) would go with
/// them. Knowing nothing of the use is not knowing that nothing was used.
pub fn require_some_use(resolved: Resolved) -> Result<Resolved, InputError> {
    if resolved.unused.len() == resolved.catalog.len() {
        return Err(InputError::whole(
            "no used action maps to an action in the catalog: refusing to call every action unused",
        )
        .with_hint(
            "check the input; for a principal that used nothing, use its UnusedIAMRole finding",
        ));
    }
    Ok(resolved)
}

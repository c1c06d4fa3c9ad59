//! The account report, and AWS's recommendation format.
//!
//! The report is one JSON document (schema in the README, `version` 1):
//!
//! ```text
//! {"version": 1,
//!  "catalog": {"source": ..., "date": ...},
//!  "policies": [
//!   {"name", "arn", "kind", "owner", "attached_to", "principals", "changed",
//!    "grants_nothing", "removed", "added", "refined",
//!    "size": {"before", "after", "limit", "counted", "over_limit"},
//!    "steps": [{"step", ...}]},
//!   ...],
//!  "notes": [...], "warnings": [...]}
//! ```
//!
//! Each policy record is written on one line as soon as it is made, so an
//! account's report never exists twice in memory (as values and as text),
//! and `jq` reads it as well as a pretty document.

use super::{Kind, Outcome, Record};
use crate::catalog::CatalogInfo;
use serde_json::{json, Value};

/// The report format's version; field names never change without a bump.
pub const VERSION: u32 = 1;

/// The report as JSON text, ending in a newline.
pub fn report(outcome: &Outcome, catalog: &CatalogInfo) -> String {
    let mut out = String::with_capacity(outcome.records.len() * 512);
    let head = json!({"source": catalog.source, "date": catalog.date});
    out.push_str(&format!(
        "{{\"version\": {VERSION},\n\"catalog\": {head},\n\"policies\": ["
    ));
    for (i, record) in outcome.records.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&record_json(record).to_string());
    }
    out.push_str("\n],\n");
    out.push_str(&format!("\"notes\": {},\n", json!(outcome.notes)));
    out.push_str(&format!("\"warnings\": {}\n}}\n", json!(outcome.warnings)));
    out
}

/// One record as a JSON value.
fn record_json(record: &Record) -> Value {
    let refined: Value = match &record.refined {
        Some(raw) => serde_json::from_str(raw.get()).expect("written by serde_json"),
        None => Value::Null,
    };
    json!({
        "name": record.name,
        "arn": record.arn,
        "kind": record.kind.as_str(),
        "owner": record.owner,
        "attached_to": record.attached_to,
        "principals": record.principals,
        "changed": record.changed,
        "grants_nothing": record.grants_nothing,
        "removed": record.removed,
        "added": record.added,
        "refined": refined,
        "size": {
            "before": record.size.before,
            "after": record.size.after,
            "limit": record.size.limit,
            "counted": record.size.counted,
            "over_limit": record.size.over(),
        },
        "steps": steps(record),
    })
}

/// What to do about a record, in order.
fn steps(record: &Record) -> Vec<Value> {
    if !record.changed {
        return Vec::new();
    }
    let owner = record.owner.as_deref();
    match (record.kind, record.grants_nothing) {
        (Kind::InlineRole | Kind::InlineUser | Kind::InlineGroup, false) => {
            vec![json!({"step": "put-inline-policy", "owner": owner, "policy": record.name})]
        }
        (Kind::InlineRole | Kind::InlineUser | Kind::InlineGroup, true) => {
            vec![json!({"step": "delete-inline-policy", "owner": owner, "policy": record.name})]
        }
        (Kind::CustomerManaged, false) if owner.is_none() => {
            vec![
                json!({"step": "create-policy-version", "policy": record.arn, "set_as_default": true}),
            ]
        }
        (Kind::CustomerManaged, true) if owner.is_none() => record
            .attached_to
            .iter()
            .map(|target| json!({"step": "detach-policy", "policy": record.arn, "from": target}))
            .collect(),
        // An AWS-managed policy, or any managed policy refined for one
        // principal: a policy of its own replaces the shared one.
        (_, false) => vec![
            json!({"step": "create-policy", "name": format!("{}-refined", record.name), "document": "refined"}),
            json!({"step": "attach-policy", "policy": format!("{}-refined", record.name), "to": owner}),
            json!({"step": "detach-policy", "policy": record.arn, "from": owner}),
        ],
        (_, true) => vec![json!({"step": "detach-policy", "policy": record.arn, "from": owner})],
    }
}

/// The records for one principal in the shape of `aws accessanalyzer
/// get-finding-recommendation` output, so scripts written for AWS's answer
/// read this one: a CREATE_POLICY step with the refined document for each
/// policy that changes, a DETACH_POLICY step for each that grants nothing
/// used. `existingPolicyId` is the ARN of a managed policy and the name of
/// an inline one.
pub fn aws_recommendation(outcome: &Outcome, principal: &str) -> Value {
    let steps: Vec<Value> = outcome
        .records
        .iter()
        .filter(|r| r.changed && r.owner.as_deref() == Some(principal))
        .map(|record| {
            let id = record.arn.clone().unwrap_or_else(|| record.name.clone());
            let mut step = json!({"existingPolicyId": id});
            if record.grants_nothing {
                step["recommendedAction"] = json!("DETACH_POLICY");
            } else {
                step["recommendedAction"] = json!("CREATE_POLICY");
                let document = record.refined.as_ref().map(|raw| raw.get().to_string());
                step["recommendedPolicy"] = json!(document);
            }
            if let Some(at) = &record.updated_at {
                step["policyUpdatedAt"] = json!(at);
            }
            json!({"unusedPermissionsRecommendedStep": step})
        })
        .collect();
    json!({
        "recommendationType": "UnusedPermissionRecommendation",
        "status": "SUCCEEDED",
        "resourceArn": principal,
        "recommendedSteps": steps,
    })
}

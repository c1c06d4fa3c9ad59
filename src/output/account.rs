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
//!    "readmitted"?: [...], "steps": [{"step", ...}]},
//!   ...],
//!  "notes": [...], "warnings": [...]}
//! ```
//!
//! `readmitted` (only with `--fit`, when it re-admitted any) names the
//! unused actions the refined policy still allows so that it fits its
//! size limit.
//!
//! Each policy record is written on one line as soon as it is made, so an
//! account's report never exists twice in memory (as values and as text),
//! and `jq` reads it as well as a pretty document.

use crate::engine::account::{Kind, Record, Summary};
use crate::model::catalog::CatalogInfo;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::io::{self, Write};

use crate::output::report::schema::CatalogOut;
pub use crate::output::report::schema::VERSION;

/// Writes the report as records arrive: [`Writer::record`] for each, then
/// [`Writer::finish`] with the notes and warnings.
pub struct Writer<W: Write> {
    out: W,
    records: usize,
}

impl<W: Write> Writer<W> {
    /// Starts a report on `out`.
    pub fn new(mut out: W, catalog: &CatalogInfo) -> io::Result<Writer<W>> {
        let head = serde_json::to_string(&CatalogOut::from(catalog))?;
        write!(
            out,
            "{{\"version\": {VERSION},\n\"catalog\": {head},\n\"policies\": ["
        )?;
        Ok(Writer { out, records: 0 })
    }

    /// Writes one record, on a line of its own.
    pub fn record(&mut self, record: &Record) -> io::Result<()> {
        self.out
            .write_all(if self.records == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, &RecordOut::from(record))?;
        self.records += 1;
        Ok(())
    }

    /// Ends the report with the notes and warnings, and returns the output.
    pub fn finish(mut self, summary: &Summary) -> io::Result<W> {
        writeln!(self.out, "\n],\n\"notes\": {},", json!(summary.notes))?;
        writeln!(self.out, "\"warnings\": {}\n}}", json!(summary.warnings))?;
        Ok(self.out)
    }
}

/// A record as the report spells it; the refined document is copied as
/// the raw JSON text it already is.
#[derive(Serialize)]
struct RecordOut<'a> {
    name: &'a str,
    arn: Option<&'a str>,
    kind: &'static str,
    owner: Option<&'a str>,
    attached_to: &'a [String],
    principals: &'a [String],
    changed: bool,
    grants_nothing: bool,
    removed: &'a [String],
    added: &'a [String],
    refined: Option<&'a RawValue>,
    size: SizeOut,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    readmitted: &'a [String],
    steps: Vec<Value>,
}

/// The `size` field of a record.
#[derive(Serialize)]
struct SizeOut {
    before: usize,
    after: usize,
    limit: usize,
    counted: usize,
    over_limit: bool,
}

impl<'a> From<&'a Record> for RecordOut<'a> {
    fn from(record: &'a Record) -> RecordOut<'a> {
        RecordOut {
            name: &record.name,
            arn: record.arn.as_deref(),
            kind: record.kind.as_str(),
            owner: record.owner.as_deref(),
            attached_to: &record.attached_to,
            principals: &record.principals,
            changed: record.changed,
            grants_nothing: record.grants_nothing,
            removed: &record.removed,
            added: &record.added,
            refined: record.refined.as_deref(),
            size: SizeOut {
                before: record.size.before,
                after: record.size.after,
                limit: record.size.limit,
                counted: record.size.counted,
                over_limit: record.size.over(),
            },
            readmitted: &record.readmitted,
            steps: steps(record),
        }
    }
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
pub fn aws_recommendation(records: &[Record], principal: &str) -> Value {
    let steps: Vec<Value> = records
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

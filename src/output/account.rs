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
//!  "totals": {"policies", "changed", "grants_nothing", "principals",
//!             "unused_actions_removed", "by_level", "over_limit",
//!             "aws_managed_to_replace", "readmitted"},
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
use crate::model::catalog::{AccessLevel, CatalogInfo};
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
    totals: Totals,
}

/// What an account run did, summed over its records: the report's
/// `totals`, and `--format text`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Records (an AWS-managed policy counts once per principal it is
    /// refined for).
    pub policies: usize,
    /// Records whose policy changed.
    pub changed: usize,
    /// Changed policies that grant nothing used: to delete or detach.
    pub grants_nothing: usize,
    /// The principals whose findings bound some refinement.
    pub principals: std::collections::BTreeSet<String>,
    /// Unused actions removed, by access level (per policy).
    pub removed_by_level: std::collections::BTreeMap<AccessLevel, usize>,
    /// Records over their size limit after refinement.
    pub over_limit: usize,
    /// AWS-managed policies to replace by a customer-managed one.
    pub aws_managed_to_replace: usize,
    /// Unused actions `--fit` re-admitted.
    pub readmitted: usize,
}

impl Totals {
    /// Adds one record.
    pub fn add(&mut self, record: &Record) {
        self.policies += 1;
        self.changed += usize::from(record.changed);
        self.grants_nothing += usize::from(record.changed && record.grants_nothing);
        self.principals.extend(record.principals.iter().cloned());
        for (level, n) in &record.removed_by_level {
            *self.removed_by_level.entry(*level).or_default() += n;
        }
        self.over_limit += usize::from(record.size.over());
        self.aws_managed_to_replace +=
            usize::from(record.kind == Kind::AwsManaged && record.changed);
        self.readmitted += record.readmitted.len();
    }

    /// The unused actions removed, in all.
    pub fn removed(&self) -> usize {
        self.removed_by_level.values().sum()
    }

    /// The report's `totals`.
    pub fn to_json(&self) -> Value {
        let by_level: serde_json::Map<String, Value> = self
            .removed_by_level
            .iter()
            .map(|(level, n)| (level.name().to_string(), json!(n)))
            .collect();
        json!({
            "policies": self.policies,
            "changed": self.changed,
            "grants_nothing": self.grants_nothing,
            "principals": self.principals.len(),
            "unused_actions_removed": self.removed(),
            "by_level": by_level,
            "over_limit": self.over_limit,
            "aws_managed_to_replace": self.aws_managed_to_replace,
            "readmitted": self.readmitted,
        })
    }

    /// `--format text`: a summary for people.
    pub fn to_text(&self) -> String {
        // Most severe first, as `--fail-on` names them.
        let levels: Vec<String> = crate::output::report::LEVELS
            .iter()
            .map(|(key, level)| (*key, *level))
            .chain([("unknown", AccessLevel::Unknown)])
            .filter_map(|(key, level)| {
                let n = self.removed_by_level.get(&level)?;
                Some(format!("{key} {n}"))
            })
            .collect();
        let mut text = format!(
            "{} principal{}, {} polic{}\n  changed:                         {}{}\n  unused actions removed:          {}{}\n  over their size limit:           {}\n  AWS-managed policies to replace: {}\n",
            self.principals.len(),
            if self.principals.len() == 1 { "" } else { "s" },
            self.policies,
            if self.policies == 1 { "y" } else { "ies" },
            self.changed,
            match self.grants_nothing {
                0 => String::new(),
                n => format!(" ({n} grant nothing used: delete or detach)"),
            },
            self.removed(),
            match levels.is_empty() {
                true => String::new(),
                false => format!(" ({})", levels.join(", ")),
            },
            self.over_limit,
            self.aws_managed_to_replace,
        );
        if self.readmitted > 0 {
            text.push_str(&format!(
                "  re-admitted by --fit:            {}\n",
                self.readmitted
            ));
        }
        text
    }
}

impl<W: Write> Writer<W> {
    /// Starts a report on `out`.
    pub fn new(mut out: W, catalog: &CatalogInfo) -> io::Result<Writer<W>> {
        let head = serde_json::to_string(&CatalogOut::from(catalog))?;
        write!(
            out,
            "{{\"version\": {VERSION},\n\"catalog\": {head},\n\"policies\": ["
        )?;
        Ok(Writer {
            out,
            records: 0,
            totals: Totals::default(),
        })
    }

    /// Writes one record, on a line of its own.
    pub fn record(&mut self, record: &Record) -> io::Result<()> {
        self.out
            .write_all(if self.records == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, &RecordOut::from(record))?;
        self.records += 1;
        self.totals.add(record);
        Ok(())
    }

    /// Ends the report with the notes and warnings, and returns the output.
    pub fn finish(mut self, summary: &Summary) -> io::Result<(W, Totals)> {
        writeln!(self.out, "\n],\n\"totals\": {},", self.totals.to_json())?;
        writeln!(self.out, "\"notes\": {},", json!(summary.notes))?;
        writeln!(self.out, "\"warnings\": {}\n}}", json!(summary.warnings))?;
        Ok((self.out, self.totals))
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

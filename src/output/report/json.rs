//! `--format json`: one document for scripts and `jq`.
//!
//! ```text
//! {"version": 1,
//!  "catalog": {"source", "date"},
//!  "files": [{"file", "policy"?, "not_evaluated"?, "generated"?, "changed", "grants_nothing",
//!             "owners": [{"arn", "source"}], "not_checked": null | {"reason", "message"}}],
//!  "results": [{"file", "policy"?, "statement", "sid", "entry", "line", "column",
//!               "unused": [{"action", "level"}], "beyond_catalog", "removed",
//!               "replacement", "replaced_by", "wildcards", "unused_by"}],
//!  "totals": {"entries", "unused_actions", "not_checked",
//!             "by_service": {"s3": {"Read": 20, ...}}, "by_level": {"Read": 20, ...},
//!             "readmitted_actions"?},
//!  "readmitted"?: [{"file", "policy"?, "statement", "sid", "line", "column",
//!                   "actions": [{"action", "level"}]}]}
//! ```
//!
//! `readmitted` (present only with `--fit`, when it re-admitted any) lists
//! each statement that still allows unused actions because `--fit`
//! re-admitted them to fit the size limit; `totals.readmitted_actions`
//! counts them.
//!
//! A file that holds several policies (a template) has an entry per
//! policy, each with `policy` naming it (`AppRole policy s3`), and
//! `not_evaluated` counting its entries and statements that are intrinsic
//! functions, kept as written (absent when none); `generated` is true for
//! a template the CDK generated (the change belongs in the CDK source).
//! `owners` are the roles and users the file's policy was refined for
//! (empty when one source of use stood for every policy), each with the
//! `source` that named it: `file` (the file itself, get-role-policy
//! output), `manifest` (`--owners`) or `details` (`--details`).
//! `not_checked` says why a file was left as written: `reason` is `owner
//! unknown`, `not deployed as is` or `no findings`, `message` the whole
//! sentence. `unused_by` lists the owners whose findings made the entry's
//! actions unused: all of the file's owners, since a shared policy loses
//! only what every owner leaves unused.
//!
//! One result per entry that grants unused actions. `beyond_catalog` says
//! the entry grants only unused actions the catalog does not know (`unused`
//! is then empty). `removed` is the entry itself when refinement takes it
//! out (empty for NotAction, which only grows); `replacement` what takes
//! its place, in the element `replaced_by` names: `Action` entries, which
//! grant, or `NotAction` entries, which exclude (a NotAction statement's
//! additions, or the exclusions that replace an `Action` granting every
//! action); `wildcards` the replacement entries that are new wildcards, which
//! also allow actions AWS adds later under their prefix (`--exact` writes
//! none). Field names never change without a `version` bump.

use super::schema::{CatalogOut, VERSION};
use super::{totals, EntryReport, FileReport};
use crate::model::catalog::CatalogInfo;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The whole document.
#[derive(Serialize)]
struct ReportOut<'a> {
    version: u32,
    catalog: CatalogOut<'a>,
    files: Vec<FileOut<'a>>,
    results: Vec<ResultOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    readmitted: Vec<ReadmittedOut<'a>>,
    totals: TotalsOut,
}

/// A statement that still allows unused actions `--fit` re-admitted.
#[derive(Serialize)]
struct ReadmittedOut<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    statement: usize,
    sid: Option<&'a str>,
    line: usize,
    column: usize,
    actions: Vec<UnusedOut<'a>>,
}

/// One file.
#[derive(Serialize)]
struct FileOut<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    #[serde(skip_serializing_if = "is_zero")]
    not_evaluated: usize,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    generated: bool,
    changed: bool,
    grants_nothing: bool,
    owners: Vec<OwnerOut<'a>>,
    not_checked: Option<NotCheckedOut>,
}

/// One owner of a file, and who named it.
#[derive(Serialize)]
struct OwnerOut<'a> {
    arn: &'a str,
    source: &'static str,
}

/// Why a file was left as written.
#[derive(Serialize)]
struct NotCheckedOut {
    reason: &'static str,
    message: String,
}

/// One entry that grants unused actions.
#[derive(Serialize)]
struct ResultOut<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    statement: usize,
    sid: Option<&'a str>,
    entry: &'a str,
    line: usize,
    column: usize,
    unused: Vec<UnusedOut<'a>>,
    beyond_catalog: bool,
    removed: Vec<&'a str>,
    replacement: &'a [String],
    replaced_by: &'static str,
    wildcards: &'a [String],
    unused_by: &'a [String],
}

/// An unused action and its access level.
#[derive(Serialize)]
struct UnusedOut<'a> {
    action: &'a str,
    level: &'static str,
}

/// The counts.
#[derive(Serialize)]
struct TotalsOut {
    entries: usize,
    unused_actions: usize,
    not_checked: usize,
    by_service: Map<String, Value>,
    by_level: Map<String, Value>,
    #[serde(skip_serializing_if = "is_zero")]
    readmitted_actions: usize,
}

impl<'a> ResultOut<'a> {
    fn new(file: &'a str, policy: Option<&'a str>, entry: &'a EntryReport) -> ResultOut<'a> {
        let removed = match entry.entry.as_str() {
            "NotAction" => vec![],
            written => vec![written],
        };
        ResultOut {
            file,
            policy,
            statement: entry.statement,
            sid: entry.sid.as_deref(),
            entry: &entry.entry,
            line: entry.region.start_line,
            column: entry.region.start_column,
            unused: entry
                .unused
                .iter()
                .map(|(action, level)| UnusedOut {
                    action,
                    level: level.name(),
                })
                .collect(),
            beyond_catalog: entry.beyond_catalog,
            removed,
            replacement: &entry.replacement,
            replaced_by: entry.replaced_by().as_str(),
            wildcards: &entry.wildcards,
            unused_by: &entry.unused_by,
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The whole document.
pub fn render(reports: &[FileReport], catalog: &CatalogInfo) -> Value {
    let files = reports
        .iter()
        .map(|r| FileOut {
            file: &r.path,
            policy: r.policy.as_deref(),
            not_evaluated: r.not_evaluated,
            generated: r.generated,
            changed: !r.entries.is_empty(),
            grants_nothing: r.grants_nothing,
            owners: r.owners.as_ref().map_or_else(Vec::new, |owners| {
                owners
                    .0
                    .iter()
                    .map(|owned| OwnerOut {
                        arn: &owned.arn,
                        source: owned.source.as_str(),
                    })
                    .collect()
            }),
            not_checked: r.not_checked.as_ref().map(|why| NotCheckedOut {
                reason: why.kind(),
                message: why.describe(),
            }),
        })
        .collect();
    let results: Vec<ResultOut> = reports
        .iter()
        .flat_map(|r| {
            r.entries
                .iter()
                .map(|e| ResultOut::new(&r.path, r.policy.as_deref(), e))
        })
        .collect();
    let mut by_service = Map::new();
    let mut by_level: Map<String, Value> = Map::new();
    let mut unused_actions = 0;
    for (service, levels) in totals(reports) {
        let mut counts = Map::new();
        for (level, count) in levels {
            counts.insert(level.name().to_string(), json!(count));
            let total = by_level
                .get(level.name())
                .and_then(Value::as_u64)
                .unwrap_or(0);
            by_level.insert(level.name().to_string(), json!(total + count as u64));
            unused_actions += count;
        }
        by_service.insert(service, Value::Object(counts));
    }
    let readmitted: Vec<ReadmittedOut> = reports
        .iter()
        .flat_map(|r| {
            r.readmitted.iter().map(|readmitted| ReadmittedOut {
                file: &r.path,
                policy: r.policy.as_deref(),
                statement: readmitted.statement,
                sid: readmitted.sid.as_deref(),
                line: readmitted.region.start_line,
                column: readmitted.region.start_column,
                actions: readmitted
                    .actions
                    .iter()
                    .map(|(action, level)| UnusedOut {
                        action,
                        level: level.name(),
                    })
                    .collect(),
            })
        })
        .collect();
    let readmitted_actions = readmitted.iter().map(|r| r.actions.len()).sum();
    let report = ReportOut {
        version: VERSION,
        catalog: catalog.into(),
        files,
        readmitted,
        totals: TotalsOut {
            entries: results.len(),
            unused_actions,
            not_checked: reports.iter().filter(|r| r.not_checked.is_some()).count(),
            by_service,
            by_level,
            readmitted_actions,
        },
        results,
    };
    serde_json::to_value(report).unwrap_or(Value::Null)
}

//! `--format sarif`: SARIF 2.1.0 for code scanning.
//!
//! One result per entry that grants unused actions. Its rule is named after
//! the most severe access level among them (`unused-permissions-management`,
//! `unused-write`, `unused-tagging`, `unused-read`, `unused-list`); its level
//! is `error` for write and permissions management and `warning` otherwise;
//! its region is the entry (columns count characters: `columnKind` is
//! `unicodeCodePoints`); and its `fixes` replace the statement's action
//! element with the refined entry list, so a reviewer sees the change
//! (none when the statement goes whole, or the document is a string in the
//! file: see below). A policy left as written because its owners or their
//! use are unknown has one result of rule `not-checked`, level `note`, at
//! the file's first line.

use super::{level_key, worst, FileReport, Region, LEVELS, NOT_CHECKED, READMITTED};
use crate::input::policy::ActionKey;
use crate::model::catalog::AccessLevel;
use serde_json::{json, Value};

/// The tool's version, as SARIF reports it.
const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The SARIF log for `reports`.
pub fn render(reports: &[FileReport]) -> Value {
    let mut rules: Vec<Value> = LEVELS
        .iter()
        .map(|(key, level)| rule(key, *level))
        .collect();
    rules.push(not_checked_rule());
    rules.push(readmitted_rule());
    let mut results = Vec::new();
    for report in reports {
        if let Some(text) = report.not_checked_text() {
            results.push(json!({
                "ruleId": NOT_CHECKED,
                "ruleIndex": LEVELS.len(),
                "level": "note",
                "message": {"text": text},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": report.path},
                    "region": {"startLine": report.line.unwrap_or(1)},
                }}],
            }));
        }
        for readmitted in &report.readmitted {
            let message = match &report.policy {
                Some(place) => format!("{place}: {}", readmitted.summary()),
                None => readmitted.summary(),
            };
            results.push(json!({
                "ruleId": READMITTED,
                "ruleIndex": LEVELS.len() + 1,
                "level": "note",
                "message": {"text": message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": report.path},
                    "region": region(&readmitted.region),
                }}],
            }));
        }
        for entry in &report.entries {
            let level = worst(entry);
            let rule_index = LEVELS.iter().position(|(_, l)| *l == level).unwrap_or(1);
            let message = match &report.policy {
                Some(place) => format!("{place}: {}", entry.summary()),
                None => entry.summary(),
            };
            // The suggested fix replaces the statement's action element
            // with the entries still needed. There is none when the whole
            // statement goes (an empty list is not valid IAM; `--in-place`
            // and `--diff` remove the statement), nor when the document is
            // a string in the file (an edit there would corrupt it).
            let fixes: Vec<Value> = match (&entry.statement_after, &entry.element) {
                (Some(list), Some(element)) => vec![json!({
                    "description": {"text": "Replace the action list with the entries still needed"},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": report.path},
                        "replacements": [{
                            "deletedRegion": region(element),
                            "insertedContent": {"text": fix_text(entry.renamed_to, list)},
                        }],
                    }],
                })],
                _ => Vec::new(),
            };
            let mut result = json!({
                "ruleId": format!("unused-{}", level_key(level)),
                "ruleIndex": rule_index,
                "level": severity(level),
                "message": {"text": message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": report.path},
                    "region": region(&entry.region),
                }}],
            });
            if !fixes.is_empty() {
                result["fixes"] = Value::Array(fixes);
            }
            results.push(result);
        }
    }
    log(rules, results)
}

/// A SARIF 2.1.0 log of one run of refine: its rules and results (columns
/// count characters).
pub fn log(rules: Vec<Value>, results: Vec<Value>) -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "refine",
                "version": TOOL_VERSION,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// The text of a fix: the new action list, after its new key when the key
/// changes (the fix's region then starts at the key).
fn fix_text(renamed_to: Option<ActionKey>, list: &[String]) -> String {
    let list = Value::from(list.to_vec()).to_string();
    match renamed_to {
        Some(key) => format!("{}: {list}", Value::from(key.as_str())),
        None => list,
    }
}

/// `error` for write and permissions management, `warning` otherwise.
pub fn severity(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::Write | AccessLevel::PermissionsManagement | AccessLevel::Unknown => "error",
        _ => "warning",
    }
}

fn rule(key: &str, level: AccessLevel) -> Value {
    let name = level.name();
    json!({
        "id": format!("unused-{key}"),
        "name": format!("Unused{}", name.split_whitespace().map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        }).collect::<String>()),
        "shortDescription": {"text": format!("The policy grants unused {} actions", name.to_lowercase())},
        "fullDescription": {"text": format!(
            "An Action entry allows actions of access level {name} that the principal did not use in the \
             findings' period. Remove them: refine writes the shortest word prefixes that keep every used action."
        )},
        "defaultConfiguration": {"level": severity(level)},
        "properties": {"tags": ["security", "least-privilege", "iam"]},
    })
}

/// The rule of policies left as written, unchecked.
fn not_checked_rule() -> Value {
    json!({
        "id": NOT_CHECKED,
        "name": "NotChecked",
        "shortDescription": {"text": "The policy was not checked: its owners or their use are unknown"},
        "fullDescription": {"text":
            "Nothing said which roles or users the policy is attached to (give --owners or --details), \
             it differs from every deployed policy, or an owner has no findings: refine left it as written."
        },
        "defaultConfiguration": {"level": "note"},
        "properties": {"tags": ["iam"]},
    })
}

/// The rule of statements that still allow unused actions because
/// `--fit` re-admitted them.
fn readmitted_rule() -> Value {
    json!({
        "id": READMITTED,
        "name": "Readmitted",
        "shortDescription": {"text": "--fit re-admitted unused actions to bring the policy under its size limit"},
        "fullDescription": {"text":
            "The exact refinement was over IAM's size limit (or --max-size): --fit wrote shorter prefixes \
             that also allow these unused actions, all of which the original allowed."
        },
        "defaultConfiguration": {"level": "note"},
        "properties": {"tags": ["iam"]},
    })
}

fn region(region: &Region) -> Value {
    json!({
        "startLine": region.start_line.max(1),
        "startColumn": region.start_column.max(1),
        "endLine": region.end_line.max(1),
        "endColumn": region.end_column.max(1),
    })
}

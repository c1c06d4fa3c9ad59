//! `--format json`: one document for scripts and `jq`.
//!
//! ```text
//! {"version": 1,
//!  "catalog": {"source", "date"},
//!  "files": [{"file", "changed", "grants_nothing"}],
//!  "results": [{"file", "statement", "sid", "entry", "line", "column",
//!               "unused": [{"action", "level"}], "beyond_catalog", "removed",
//!               "replacement", "replaced_by", "wildcards"}],
//!  "totals": {"entries", "unused_actions",
//!             "by_service": {"s3": {"Read": 20, ...}}, "by_level": {"Read": 20, ...}}}
//! ```
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

use super::{totals, FileReport};
use crate::model::catalog::CatalogInfo;
use serde_json::{json, Map, Value};

/// The report format's version.
pub const VERSION: u32 = 1;

/// The whole document.
pub fn render(reports: &[FileReport], catalog: &CatalogInfo) -> Value {
    let files: Vec<Value> = reports
        .iter()
        .map(|r| json!({"file": r.path, "changed": !r.entries.is_empty(), "grants_nothing": r.grants_nothing}))
        .collect();
    let mut results = Vec::new();
    for report in reports {
        for entry in &report.entries {
            let unused: Vec<Value> = entry
                .unused
                .iter()
                .map(|(action, level)| json!({"action": action, "level": level.name()}))
                .collect();
            let removed: Vec<&str> = if entry.entry == "NotAction" {
                vec![]
            } else {
                vec![entry.entry.as_str()]
            };
            results.push(json!({
                "file": report.path,
                "statement": entry.statement,
                "sid": entry.sid,
                "entry": entry.entry,
                "line": entry.region.start_line,
                "column": entry.region.start_column,
                "unused": unused,
                "beyond_catalog": entry.beyond_catalog,
                "removed": removed,
                "replacement": entry.replacement,
                "replaced_by": entry.replaced_by().as_str(),
                "wildcards": entry.wildcards,
            }));
        }
    }
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
    json!({
        "version": VERSION,
        "catalog": {"source": catalog.source, "date": catalog.date},
        "files": files,
        "results": results,
        "totals": {
            "entries": results.len(),
            "unused_actions": unused_actions,
            "by_service": by_service,
            "by_level": by_level,
        },
    })
}

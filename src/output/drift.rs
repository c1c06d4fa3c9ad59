//! `refine drift`'s reports: text, JSON, GitHub workflow commands and
//! SARIF, from the drift of each policy ([`crate::engine::drift`]) and
//! where each entry is written.

use super::report::formats::{data, level_counts, property};
use super::report::sarif::severity;
use super::report::{level_key, most_severe, region, Gate, Region, LEVELS};
use crate::engine::drift::{EntryDrift, Gained};
use crate::error::{escape, quote};
use crate::hosts::Host;
use crate::input::findings::abbreviate;
use crate::input::policy::{ActionKey, Policy};
use crate::json::Lines;
use crate::model::catalog::AccessLevel;
use serde_json::{json, Value};

/// What drift is measured against, as reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Against {
    /// `--since DATE`.
    Date(String),
    /// `--baseline CATALOG`: its source and date.
    Baseline(String, Option<String>),
}

impl Against {
    /// "since 2024-03-01", or "since the baseline SOURCE (DATE)".
    pub fn phrase(&self) -> String {
        match self {
            Against::Date(date) => format!("since {date}"),
            Against::Baseline(source, date) => format!(
                "since the baseline {source} ({})",
                date.as_deref().unwrap_or("undated")
            ),
        }
    }

    /// "at 2024-03-01", or "in the baseline": when an entry matched
    /// nothing.
    fn then(&self) -> String {
        match self {
            Against::Date(date) => format!("at {date}"),
            Against::Baseline(..) => "in the baseline".to_string(),
        }
    }
}

/// One entry's drift and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The drift.
    pub drift: EntryDrift,
    /// Where the entry (for NotAction, the element) is written.
    pub region: Region,
}

/// One policy's drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDrift {
    /// The file, as named on the command line or walked to.
    pub path: String,
    /// Which of the file's policies, when it holds several.
    pub policy: Option<String>,
    /// Its entries that drifted.
    pub entries: Vec<Located>,
}

impl PolicyDrift {
    /// The drift of `policy`, held by `host` in the file `path`, located.
    pub fn new(
        path: &str,
        host: &dyn Host,
        policy: &Policy,
        place: Option<String>,
        drift: Vec<EntryDrift>,
    ) -> PolicyDrift {
        let lines = Lines::new(host.text());
        PolicyDrift::within(path, host, policy, place, drift, &lines, Some(0))
    }

    /// [`PolicyDrift::new`] for a host whose text is a part of a larger
    /// file (an account's record): `lines` index the file, and the host's
    /// text starts at `offset` in it; `None` when the host's positions are
    /// not the file's (a document written as a string), and each entry is
    /// then placed at the start of the host's text, `start`.
    pub fn within(
        path: &str,
        host: &dyn Host,
        policy: &Policy,
        place: Option<String>,
        drift: Vec<EntryDrift>,
        lines: &Lines,
        offset: Option<usize>,
    ) -> PolicyDrift {
        let entries = drift
            .into_iter()
            .map(|drift| {
                let statement = &policy.statements[drift.statement];
                let at = match drift.index {
                    Some(i) => statement.entry_path(i),
                    None => statement.path.key(statement.key.as_str()),
                };
                let region = match offset {
                    Some(offset) => {
                        let span = host.locate(&at);
                        region(lines, offset + span.start, offset + span.end)
                    }
                    None => region(lines, 0, 0),
                };
                Located { region, drift }
            })
            .collect();
        PolicyDrift {
            path: path.to_string(),
            policy: place,
            entries,
        }
    }
}

/// The most severe access level among gained actions.
fn worst(gained: &[Gained]) -> Option<AccessLevel> {
    most_severe(gained.iter().map(|g| g.level))
}

/// Whether any entry of `drifts` gained an action at a level `gate` fails on.
pub fn fails(gate: &Gate, drifts: &[PolicyDrift]) -> bool {
    drifts
        .iter()
        .flat_map(|d| &d.entries)
        .flat_map(|e| &e.drift.gained)
        .any(|g| gate.fails_level(g.level))
}

/// One line per entry that gained an action at a level `gate` fails on,
/// `FILE:LINE:COL: ...`: what `--check` fails on.
pub fn failing(gate: &Gate, drifts: &[PolicyDrift], against: &Against) -> Vec<String> {
    let mut out = Vec::new();
    for policy in drifts {
        for entry in &policy.entries {
            let failing: Vec<(String, AccessLevel)> = entry
                .drift
                .gained
                .iter()
                .filter(|g| gate.fails_level(g.level))
                .map(|g| (g.action.clone(), g.level))
                .collect();
            if failing.is_empty() {
                continue;
            }
            let place = policy
                .policy
                .as_deref()
                .map(|p| format!("{}: ", escape(p)))
                .unwrap_or_default();
            out.push(format!(
                "{}:{}:{}: {place}{} ({}) gained {} action{} {} at a --fail-on level ({})",
                escape(&policy.path),
                entry.region.start_line,
                entry.region.start_column,
                subject(&entry.drift),
                entry.drift.label,
                failing.len(),
                if failing.len() == 1 { "" } else { "s" },
                against.phrase(),
                level_counts(&failing)
            ));
        }
    }
    out
}

/// What the entry is, as messages name it.
fn subject(drift: &EntryDrift) -> String {
    match drift.key {
        ActionKey::Action => quote(&drift.entries.join(", ")),
        ActionKey::NotAction => format!("NotAction {}", quote(&drift.entries.join(", "))),
    }
}

/// One line saying what the entry gained (or that it matched nothing then).
fn summary(drift: &EntryDrift, against: &Against) -> String {
    let mut parts = Vec::new();
    if !drift.gained.is_empty() {
        let levels: Vec<(String, AccessLevel)> = drift
            .gained
            .iter()
            .map(|g| (g.action.clone(), g.level))
            .collect();
        let names: Vec<String> = drift.gained.iter().map(|g| g.action.clone()).collect();
        parts.push(format!(
            "gained {} action{} {} ({}): {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            against.phrase(),
            level_counts(&levels),
            abbreviate(&names)
        ));
    }
    if drift.nothing_then {
        parts.push(format!("matched nothing {}", against.then()));
    }
    if !drift.retired.is_empty() {
        parts.push(format!(
            "matched {} action{} today's catalog lacks: {}",
            drift.retired.len(),
            if drift.retired.len() == 1 { "" } else { "s" },
            abbreviate(&drift.retired)
        ));
    }
    format!("{} ({}) {}", subject(drift), drift.label, parts.join("; "))
}

/// `--format text`: one line per entry, `FILE:LINE:COL: ...`, then one
/// line per gained action with its level and when it first appeared:
/// `+` when it surely appeared after the date (or the baseline lacks it),
/// `?` when its interval straddles the date; `-` for one gone.
pub fn text(drifts: &[PolicyDrift], against: &Against) -> String {
    let mut out = String::new();
    for policy in drifts {
        let place = policy
            .policy
            .as_deref()
            .map(|p| format!("{p}: "))
            .unwrap_or_default();
        for entry in &policy.entries {
            let r = &entry.region;
            out.push_str(&format!(
                "{}:{}:{}: {place}{}\n",
                escape(&policy.path),
                r.start_line,
                r.start_column,
                summary(&entry.drift, against)
            ));
            // `+` added after the date (or missing from the baseline); `?`
            // added in an interval that straddles the date.
            for gained in &entry.drift.gained {
                let mark = if gained.surely { '+' } else { '?' };
                let when = match &gained.first_seen {
                    Some(seen) => format!(", first seen {}", seen.interval()),
                    None => String::new(),
                };
                out.push_str(&format!(
                    "  {mark} {} ({}{when})\n",
                    gained.action,
                    gained.level.name()
                ));
            }
            for retired in &entry.drift.retired {
                out.push_str(&format!("  - {retired} (no longer in the catalog)\n"));
            }
        }
    }
    out
}

/// `--format json`.
pub fn json(drifts: &[PolicyDrift], against: &Against, about: Value) -> Value {
    let files: Vec<Value> = drifts
        .iter()
        .map(|policy| {
            let entries: Vec<Value> = policy
                .entries
                .iter()
                .map(|e| {
                    let d = &e.drift;
                    json!({
                        "statement": d.statement,
                        "label": d.label,
                        "key": d.key.as_str(),
                        "entries": d.entries,
                        "line": e.region.start_line,
                        "column": e.region.start_column,
                        "gained": d.gained.iter().map(|g| json!({
                            "action": g.action,
                            "level": g.level.name(),
                            "first_seen": g.first_seen.as_ref().map(|s| s.interval()),
                            "surely": g.surely,
                        })).collect::<Vec<_>>(),
                        "retired": d.retired,
                        "matched_nothing_then": d.nothing_then,
                    })
                })
                .collect();
            json!({"path": policy.path, "policy": policy.policy, "entries": entries})
        })
        .collect();
    let entries: Vec<&Located> = drifts.iter().flat_map(|d| &d.entries).collect();
    json!({
        "against": match against {
            Against::Date(date) => json!({"since": date}),
            Against::Baseline(source, date) => json!({"baseline": {"source": source, "date": date}}),
        },
        "about": about,
        "files": files,
        "totals": {
            "entries": entries.len(),
            "gained": entries.iter().map(|e| e.drift.gained.len()).sum::<usize>(),
            "retired": entries.iter().map(|e| e.drift.retired.len()).sum::<usize>(),
            "matched_nothing_then": entries.iter().filter(|e| e.drift.nothing_then).count(),
        },
    })
}

/// The rule id of an entry: `drift-LEVEL` for the most severe level it
/// gained, else `drift-nothing-then` or `drift-retired`.
fn rule_id(drift: &EntryDrift) -> String {
    match worst(&drift.gained) {
        Some(level) => format!("drift-{}", level_key(level)),
        None if drift.nothing_then => "drift-nothing-then".to_string(),
        None => "drift-retired".to_string(),
    }
}

/// `--format github`: one workflow command per entry, `::error` for what
/// gained write or permissions-management actions, `::warning` for other
/// gains, `::notice` for the rest.
pub fn github(drifts: &[PolicyDrift], against: &Against) -> String {
    let mut out = String::new();
    for policy in drifts {
        for entry in &policy.entries {
            let command = match worst(&entry.drift.gained) {
                Some(level) => severity(level),
                None => "notice",
            };
            let message = match &policy.policy {
                Some(place) => format!("{}: {}", escape(place), summary(&entry.drift, against)),
                None => summary(&entry.drift, against),
            };
            out.push_str(&format!(
                "::{command} file={},line={},col={},title={}::{}\n",
                property(&escape(&policy.path)),
                entry.region.start_line,
                entry.region.start_column,
                property(&format!("refine: {}", rule_id(&entry.drift))),
                data(&message)
            ));
        }
    }
    out
}

/// `--format sarif`: SARIF 2.1.0, one result per entry.
pub fn sarif(drifts: &[PolicyDrift], against: &Against) -> Value {
    let mut rules: Vec<Value> = LEVELS
        .iter()
        .map(|(key, level)| {
            json!({
                "id": format!("drift-{key}"),
                "shortDescription": {"text": format!(
                    "A wildcard grants {} actions added after the policy was reviewed", level.name().to_lowercase())},
                "fullDescription": {"text": "AWS added actions that this entry matches after the review date (or that the review's catalog lacks): nobody reviewed them. Name the actions the principal needs, or review the new ones."},
                "defaultConfiguration": {"level": severity(*level)},
                "properties": {"tags": ["security", "least-privilege", "iam"]},
            })
        })
        .collect();
    rules.push(json!({
        "id": "drift-nothing-then",
        "shortDescription": {"text": "The entry matched no action at the review date"},
        "fullDescription": {"text": "Every action the entry matches today was added after the review date (or is missing from the review's catalog)."},
        "defaultConfiguration": {"level": "note"},
    }));
    rules.push(json!({
        "id": "drift-retired",
        "shortDescription": {"text": "The entry matched actions that are gone"},
        "fullDescription": {"text": "Actions the entry matched in the review's catalog are not in today's: retired or renamed."},
        "defaultConfiguration": {"level": "note"},
    }));
    let results: Vec<Value> = drifts
        .iter()
        .flat_map(|policy| {
            policy.entries.iter().map(move |entry| {
                let id = rule_id(&entry.drift);
                let index = rules_index(&id);
                let level = worst(&entry.drift.gained).map_or("note", severity);
                let message = match &policy.policy {
                    Some(place) => format!("{place}: {}", summary(&entry.drift, against)),
                    None => summary(&entry.drift, against),
                };
                let r = &entry.region;
                json!({
                    "ruleId": id,
                    "ruleIndex": index,
                    "level": level,
                    "message": {"text": message},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": policy.path},
                        "region": {
                            "startLine": r.start_line.max(1),
                            "startColumn": r.start_column.max(1),
                            "endLine": r.end_line.max(1),
                            "endColumn": r.end_column.max(1),
                        },
                    }}],
                })
            })
        })
        .collect();
    super::report::sarif::log(rules, results)
}

/// The index of rule `id` in [`sarif`]'s rule list.
fn rules_index(id: &str) -> usize {
    match id {
        "drift-nothing-then" => LEVELS.len(),
        "drift-retired" => LEVELS.len() + 1,
        _ => LEVELS
            .iter()
            .position(|(key, _)| id == format!("drift-{key}"))
            .unwrap_or(0),
    }
}

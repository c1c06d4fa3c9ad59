//! What a run found, per file and entry, for the CI formats.
//!
//! A [`FileReport`] lists every entry that grants unused actions: where it
//! is (line and column of its opening quote, as editors and code scanning
//! count them), the unused actions with their access levels, and what
//! replaces it. The formats — [`json`], [`sarif`], and the GitHub and text
//! renderings in [`formats`] — are all views of the same reports, so they
//! never disagree, and [`Gate`] decides the `--check` exit code the same way
//! for every format.

pub mod formats;
pub mod json;
pub mod sarif;
pub mod schema;

use crate::engine::checked::Checked;
use crate::engine::resolve::{NotChecked, Owners};
use crate::error::quote;
use crate::hosts::Host;
use crate::input::policy::{ActionKey, Policy};
use crate::json::Lines;
use crate::model::catalog::{AccessLevel, Catalog};
use crate::model::fasthash::FastMap;
use std::sync::Arc;

/// One entry that grants unused actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryReport {
    /// The statement's index in the policy.
    pub statement: usize,
    /// The statement's Sid, if it has one.
    pub sid: Option<String>,
    /// The entry as written; `NotAction` for a NotAction statement, which
    /// refinement extends rather than rewrites.
    pub entry: String,
    /// Where the entry is: its first character (1-based line and column,
    /// in characters) and just past its last.
    pub region: Region,
    /// The unused actions the entry grants, with their access levels.
    pub unused: Vec<(String, AccessLevel)>,
    /// The entry grants only unused actions the catalog does not know (an
    /// exact name, or a wildcard confined to a service the findings call
    /// wholly unused): `unused` is empty, and the entry still goes.
    pub beyond_catalog: bool,
    /// The entries that take its place (for NotAction: the entries added).
    pub replacement: Vec<String>,
    /// The replacement entries that are new wildcards (`s3:GetObject*`):
    /// they also allow actions AWS adds later under that prefix, which
    /// `--exact` avoids. Empty for NotAction, whose new entries only narrow.
    pub wildcards: Vec<String>,
    /// The statement's whole action element after refinement, where it is
    /// now, for a suggested fix: `None` when the statement is removed.
    /// Shared by the entries of one statement: a statement refined entry
    /// by entry has thousands of changes, each pointing at the same list.
    pub statement_after: Option<std::sync::Arc<[String]>>,
    /// The element's new key, when refinement changes it (`Action` that
    /// granted every action becoming `NotAction`): the fix then replaces
    /// the key too, and `element` starts at the key.
    pub renamed_to: Option<ActionKey>,
    /// Where the statement's action element is; `None` when it is not in
    /// the text as JSON (a document written as a string), where no edit of
    /// the text can be suggested.
    pub element: Option<Region>,
    /// The owners whose findings made the entry's actions unused: every
    /// owner of the file, since a shared policy loses only what all of them
    /// leave unused. Empty when the file's owners are not known by ARN (one
    /// findings file for a policy).
    pub unused_by: Vec<String>,
}

/// Unused actions a refined statement still allows because `--fit`
/// re-admitted them to bring the policy under its size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadmittedReport {
    /// The statement's index in the policy.
    pub statement: usize,
    /// The statement's Sid, if it has one.
    pub sid: Option<String>,
    /// Where the statement's action element is.
    pub region: Region,
    /// The re-admitted actions, with their access levels.
    pub actions: Vec<(String, AccessLevel)>,
}

impl ReadmittedReport {
    /// `--fit re-admits N unused actions (Write 2, Read 3): A, B, ...`.
    pub fn summary(&self) -> String {
        let names: Vec<String> = self.actions.iter().map(|(a, _)| a.clone()).collect();
        format!(
            "--fit re-admits {} unused action{} to fit the size limit ({}): {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            formats::level_counts(&self.actions),
            crate::input::findings::abbreviate(&names)
        )
    }
}

/// A span of a file as lines and columns (1-based; the end is exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Region {
    /// The line of the first character.
    pub start_line: usize,
    /// The column of the first character.
    pub start_column: usize,
    /// The line of the end.
    pub end_line: usize,
    /// The column just past the last character.
    pub end_column: usize,
}

/// One policy file's findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file as named on the command line (or walked to).
    pub path: String,
    /// Entries that grant unused actions, in file order.
    pub entries: Vec<EntryReport>,
    /// The refined policy allows nothing: detach it.
    pub grants_nothing: bool,
    /// The principals that own the policy, and who said so, when known.
    pub owners: Option<Owners>,
    /// Why the policy was left as written without being checked: its
    /// owners or their use are unknown. Such a file has no entries, and
    /// does not pass: it is counted apart.
    pub not_checked: Option<NotChecked>,
    /// Which policy of the file it is, when the file holds several (a
    /// template): `AppRole policy s3`.
    pub policy: Option<String>,
    /// The line where that policy is, in a file of several.
    pub line: Option<usize>,
    /// How many entries and statements of the policy were kept as written
    /// without being evaluated (a template's intrinsic functions).
    pub not_evaluated: usize,
    /// The file was generated (a CDK template): a change belongs in its
    /// source.
    pub generated: bool,
    /// The unused actions `--fit` re-admitted, per statement.
    pub readmitted: Vec<ReadmittedReport>,
}

impl EntryReport {
    /// The element `replacement` belongs to: `Action` entries grant,
    /// `NotAction` entries exclude.
    pub fn replaced_by(&self) -> ActionKey {
        match (self.renamed_to, self.entry.as_str()) {
            (Some(key), _) => key,
            (None, "NotAction") => ActionKey::NotAction,
            (None, _) => ActionKey::Action,
        }
    }

    /// `"ENTRY" grants N unused actions: A, B, ...`: the message of the
    /// gate's stderr lines and of SARIF results.
    pub fn summary(&self) -> String {
        let names: Vec<String> = self.unused.iter().map(|(a, _)| a.clone()).collect();
        if self.beyond_catalog {
            return format!(
                "{} grants only unused actions the catalog does not know",
                quote(&self.entry)
            );
        }
        format!(
            "{} grants {} unused action{}: {}",
            quote(&self.entry),
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            crate::input::findings::abbreviate(&names)
        )
    }
}

/// A statement's action element after refinement: its key and entries.
type Element = (ActionKey, Arc<[String]>);

impl FileReport {
    /// Builds the report for the policy `policy` of `host` (a file named
    /// `path`), refined to `refined`.
    pub fn new(
        path: &str,
        host: &dyn Host,
        policy: &Policy,
        refined: &Checked,
        catalog: &Catalog,
    ) -> FileReport {
        let lines = Lines::new(host.text());
        let region_of = |path: &crate::error::JsonPath| -> Region {
            let span = host.locate(path);
            region(&lines, span.start, span.end)
        };
        let refined = refined.refined();
        // Each statement's element after refinement, made once.
        let mut afters: FastMap<usize, Option<Element>> = FastMap::default();
        let entries = refined
            .changes
            .iter()
            .map(|change| {
                let statement = &policy.statements[change.statement];
                let element_path = statement.path.key(statement.key.as_str());
                let after = afters
                    .entry(change.statement)
                    .or_insert_with(|| match refined.edits[change.statement].as_ref() {
                        None => Some((
                            statement.key,
                            statement
                                .entries
                                .iter()
                                .map(|g| g.as_str().to_string())
                                .collect(),
                        )),
                        Some(edit) => edit
                            .element(statement.key)
                            .map(|(key, entries)| (key, Arc::from(entries))),
                    })
                    .clone();
                let renamed_to = after
                    .as_ref()
                    .map(|(key, _)| *key)
                    .filter(|key| *key != statement.key);
                let statement_after = after.map(|(_, entries)| entries);
                let entry_path = if statement.key == ActionKey::NotAction {
                    element_path.clone()
                } else {
                    change.path.clone()
                };
                EntryReport {
                    statement: host.written_statement(&policy.path, change.statement),
                    sid: statement.sid.clone().filter(|s| !s.is_empty()),
                    entry: change.entry.clone(),
                    region: region_of(&entry_path),
                    unused: change
                        .unused
                        .iter()
                        .map(|&id| (catalog.full_name(id), catalog.level(id)))
                        .collect(),
                    beyond_catalog: change.beyond_catalog,
                    replacement: change.replacement.clone(),
                    wildcards: if statement.key == ActionKey::Action && renamed_to.is_none() {
                        // New: not an entry the statement already wrote
                        // (which `--fit` may write back).
                        change
                            .replacement
                            .iter()
                            .filter(|e| e.contains(['*', '?']))
                            .filter(|e| {
                                !statement
                                    .entries
                                    .iter()
                                    .any(|g| g.as_str().eq_ignore_ascii_case(e))
                            })
                            .cloned()
                            .collect()
                    } else {
                        Vec::new()
                    },
                    statement_after,
                    renamed_to,
                    element: host
                        .element(&statement.path, statement.key)
                        .map(|(key, value)| match renamed_to {
                            Some(_) => region(&lines, key.start, value.end),
                            None => region(&lines, value.start, value.end),
                        }),
                    unused_by: Vec::new(),
                }
            })
            .collect();
        let readmitted = refined
            .readmitted
            .iter()
            .map(|r| ReadmittedReport {
                statement: host.written_statement(&policy.path, r.statement),
                sid: policy.statements[r.statement]
                    .sid
                    .clone()
                    .filter(|s| !s.is_empty()),
                region: region_of(&r.path),
                actions: r
                    .actions
                    .iter()
                    .map(|&id| (catalog.full_name(id), catalog.level(id)))
                    .collect(),
            })
            .collect();
        FileReport {
            path: path.to_string(),
            entries,
            grants_nothing: refined.grants_nothing,
            owners: None,
            not_checked: None,
            policy: None,
            line: None,
            not_evaluated: 0,
            generated: false,
            readmitted,
        }
    }

    /// The report, with the owners the policy was refined for.
    pub fn owned_by(mut self, owners: Owners) -> FileReport {
        let arns = owners.arns();
        for entry in &mut self.entries {
            entry.unused_by = arns.clone();
        }
        self.owners = Some(owners);
        self
    }

    /// The report of a policy left as written, and why.
    pub fn not_checked(path: &str, why: NotChecked, owners: Option<Owners>) -> FileReport {
        FileReport {
            path: path.to_string(),
            entries: Vec::new(),
            grants_nothing: false,
            owners,
            not_checked: Some(why),
            policy: None,
            line: None,
            not_evaluated: 0,
            generated: false,
            readmitted: Vec::new(),
        }
    }

    /// The same report, about the policy `place` at `line` of its file,
    /// `not_evaluated` of whose entries and statements were kept unread.
    pub fn of_policy(
        mut self,
        place: Option<String>,
        line: usize,
        not_evaluated: usize,
    ) -> FileReport {
        self.policy = place;
        self.line = Some(line);
        self.not_evaluated = not_evaluated;
        self
    }

    /// `not checked: WHY` (with the policy, in a file of several), when
    /// the policy was left as written.
    pub fn not_checked_text(&self) -> Option<String> {
        let why = self.not_checked.as_ref()?.describe();
        Some(match &self.policy {
            Some(place) => format!("not checked: {}: {why}", crate::error::escape(place)),
            None => format!("not checked: {why}"),
        })
    }
}

/// The region of the byte range `start..end`.
pub(crate) fn region(lines: &Lines, start: usize, end: usize) -> Region {
    let (start_line, start_column) = lines.line_column(start);
    let (end_line, end_column) = lines.line_column(end);
    Region {
        start_line,
        start_column,
        end_line,
        end_column,
    }
}

/// A report as pretty JSON with a final newline, as refine prints
/// documents.
pub fn pretty(report: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

/// The access levels `--fail-on` names, in the order of their severity.
pub const LEVELS: [(&str, AccessLevel); 5] = [
    ("permissions-management", AccessLevel::PermissionsManagement),
    ("write", AccessLevel::Write),
    ("tagging", AccessLevel::Tagging),
    ("read", AccessLevel::Read),
    ("list", AccessLevel::List),
];

/// How an access level counts for rules and gates. An unknown level (a
/// catalog without access levels, or an action the catalog lacks) counts
/// as Write: a gate must not let through what it cannot classify.
pub fn effective(level: AccessLevel) -> AccessLevel {
    match level {
        AccessLevel::Unknown => AccessLevel::Write,
        other => other,
    }
}

/// The most severe level among an entry's unused actions.
pub fn worst(entry: &EntryReport) -> AccessLevel {
    most_severe(entry.unused.iter().map(|(_, level)| *level)).unwrap_or(AccessLevel::Write)
}

/// The most severe of `levels`, in [`LEVELS`]' order, as each
/// [`effective`]ly counts; `None` when there is none.
pub fn most_severe(levels: impl Iterator<Item = AccessLevel> + Clone) -> Option<AccessLevel> {
    LEVELS
        .iter()
        .map(|(_, level)| *level)
        .find(|level| levels.clone().any(|l| effective(l) == *level))
}

/// The kebab-case name of a level, as `--fail-on` and rule ids spell it.
pub fn level_key(level: AccessLevel) -> &'static str {
    LEVELS
        .iter()
        .find(|(_, l)| *l == effective(level))
        .map_or("write", |(key, _)| key)
}

/// A `--fail-on` word that names no access level, as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLevel(pub String);

impl std::fmt::Display for UnknownLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnknownLevel {}

/// The `--fail-on` word for policies left unchecked (owners or their use
/// unknown).
pub const NOT_CHECKED: &str = "not-checked";

/// The rule of statements that still allow unused actions `--fit`
/// re-admitted (SARIF, GitHub).
pub const READMITTED: &str = "readmitted";

/// Which access levels make `--check` fail, and whether a policy that was
/// not checked does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    levels: Vec<AccessLevel>,
    not_checked: bool,
}

impl Default for Gate {
    /// Every level fails; a policy not checked is reported and counted, and
    /// does not fail (`--fail-on ...,not-checked` makes it).
    fn default() -> Gate {
        Gate {
            levels: LEVELS.iter().map(|(_, level)| *level).collect(),
            not_checked: false,
        }
    }
}

impl Gate {
    /// Parses `--fail-on`: a comma list of `list`, `read`, `write`,
    /// `permissions-management`, `tagging`, and `not-checked`.
    pub fn parse(text: &str) -> Result<Gate, UnknownLevel> {
        let mut levels = Vec::new();
        let mut not_checked = false;
        for word in text.split(',').map(str::trim) {
            // Any case, and the names refine prints (`Write`,
            // `Permissions management`) as well as the keys.
            let key = word.to_ascii_lowercase().replace([' ', '_'], "-");
            match LEVELS.iter().find(|(known, _)| *known == key) {
                Some((_, level)) => levels.push(*level),
                None if key == NOT_CHECKED => not_checked = true,
                None => {
                    let known: Vec<&str> = LEVELS
                        .iter()
                        .map(|(key, _)| *key)
                        .chain([NOT_CHECKED])
                        .collect();
                    return Err(UnknownLevel(format!(
                        "unknown access level `{}`: expected a comma list of {}",
                        crate::error::escape(word),
                        known.join(", ")
                    )));
                }
            }
        }
        Ok(Gate {
            levels,
            not_checked,
        })
    }

    /// Whether an action of `level` fails (an unknown level counts as
    /// write).
    pub fn fails_level(&self, level: AccessLevel) -> bool {
        self.levels.contains(&effective(level))
    }

    /// Whether any of `reports` fails.
    pub fn fails_file_any(&self, reports: &[FileReport]) -> bool {
        reports.iter().any(|r| self.fails_file(r))
    }

    /// Whether a policy left unchecked fails (`--fail-on not-checked`).
    pub fn fails_not_checked(&self) -> bool {
        self.not_checked
    }

    /// Whether a file fails: one of its entries does, or it was not checked
    /// and the gate names `not-checked`.
    pub fn fails_file(&self, report: &FileReport) -> bool {
        (self.not_checked && report.not_checked.is_some())
            || report.entries.iter().any(|entry| self.fails(entry))
    }

    /// Whether an entry's unused grants include a level that fails (an
    /// action the catalog does not know counts as write).
    pub fn fails(&self, entry: &EntryReport) -> bool {
        let unknown = entry.beyond_catalog && self.levels.contains(&AccessLevel::Write);
        unknown
            || entry
                .unused
                .iter()
                .any(|(_, level)| self.levels.contains(&effective(*level)))
    }
}

/// The unused actions of `reports` counted per service and access level,
/// sorted by service.
pub fn totals(reports: &[FileReport]) -> Vec<(String, Vec<(AccessLevel, usize)>)> {
    let mut by_service: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<AccessLevel, usize>,
    > = Default::default();
    for entry in reports.iter().flat_map(|r| &r.entries) {
        for (action, level) in &entry.unused {
            let service = action.split(':').next().unwrap_or_default().to_string();
            *by_service
                .entry(service)
                .or_default()
                .entry(*level)
                .or_default() += 1;
        }
    }
    by_service
        .into_iter()
        .map(|(service, levels)| (service, levels.into_iter().collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(levels: &[AccessLevel]) -> EntryReport {
        EntryReport {
            statement: 0,
            sid: None,
            entry: "s3:*".into(),
            region: Region::default(),
            unused: levels.iter().map(|l| ("s3:X".to_string(), *l)).collect(),
            beyond_catalog: false,
            replacement: Vec::new(),
            wildcards: Vec::new(),
            statement_after: None,
            renamed_to: None,
            element: None,
            unused_by: Vec::new(),
        }
    }

    #[test]
    fn gates_fail_only_on_their_levels() {
        let gate = Gate::parse("write,permissions-management").unwrap();
        assert!(gate.fails(&entry(&[AccessLevel::Read, AccessLevel::Write])));
        assert!(!gate.fails(&entry(&[
            AccessLevel::Read,
            AccessLevel::List,
            AccessLevel::Tagging
        ])));
        assert!(
            gate.fails(&entry(&[AccessLevel::Unknown])),
            "unknown counts as write"
        );
        assert!(Gate::default().fails(&entry(&[AccessLevel::List])));
        assert_eq!(
            Gate::parse("read,admin").unwrap_err().0,
            "unknown access level `admin`: expected a comma list of permissions-management, write, tagging, read, list, not-checked"
        );
    }

    #[test]
    fn the_worst_level_names_the_rule() {
        assert_eq!(
            worst(&entry(&[AccessLevel::List, AccessLevel::Tagging])),
            AccessLevel::Tagging
        );
        assert_eq!(
            worst(&entry(&[
                AccessLevel::Read,
                AccessLevel::PermissionsManagement
            ])),
            AccessLevel::PermissionsManagement
        );
        assert_eq!(level_key(AccessLevel::Unknown), "write");
    }
}

//! Unused-access findings: the accepted shapes, and the unused set.
//!
//! Four shapes are accepted, told apart by their structure:
//!
//! * (a) the seed form: `[{"serviceNamespace": "s3", "actions": ["GetBucketAcl", ...]}]`;
//! * (b) the output of `aws accessanalyzer get-finding-v2`: `findingDetails[]`
//!   with `unusedPermissionDetails` (`serviceNamespace`, optional
//!   `actions: [{"action", "lastAccessed"}]`; no `actions` means the whole
//!   service is unused), or `findingType: "UnusedIAMRole"`, meaning nothing
//!   was used at all;
//! * (c) a JSON array of (b), e.g. several pages of one finding;
//! * (d) a JSON array of `"prefix:Action"` strings, wildcards allowed.
//!
//! Decisions a careful user would want, and which the README repeats:
//! findings whose `status` is not `ACTIVE` (archived or resolved) are
//! skipped with a note, because a resolved finding no longer says the access
//! is unused; other finding types and detail kinds are skipped with a note;
//! findings about more than one principal (`resource`) are refused, since
//! what one principal does not use another may.

use crate::catalog::{ActionSet, Catalog};
use crate::error::{InputError, JsonPath, Location};
use crate::json;
use crate::pattern::Glob;
use crate::policy::{check_action, kind};
use crate::time;
use serde_json::Value;
use std::collections::HashMap;

/// One thing the findings say is unused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unused {
    /// Every action of every service (an unused role).
    Everything,
    /// Every action of one service.
    Service {
        /// The service prefix, lowercase.
        service: String,
        /// When the service was last used, if the finding says (seconds
        /// since the epoch).
        last_accessed: Option<i64>,
    },
    /// One action.
    Action {
        /// The service prefix, lowercase.
        service: String,
        /// The action name, as the findings spell it.
        name: String,
        /// When the action was last used, if the finding says.
        last_accessed: Option<i64>,
    },
    /// Every catalog action a glob matches.
    Pattern(Glob),
}

/// What a findings file says, before it meets a catalog.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// The unused actions, services and patterns.
    pub unused: Vec<Unused>,
    /// Things skipped, for stderr.
    pub notes: Vec<String>,
    /// The principal the findings are about (their `resource`), when they
    /// name one.
    pub resource: Option<String>,
}

/// The unused set over a catalog, and what resolving it found.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The catalog, extended by unused actions it did not know.
    pub catalog: Catalog,
    /// The unused actions.
    pub unused: ActionSet,
    /// Warnings for stderr: unknown actions and services, empty patterns.
    pub warnings: Vec<String>,
    /// The principal the input is about, when it names one.
    pub resource: Option<String>,
}

/// The shapes, as named in the error for anything else.
const SHAPES: &str = "expected unused-access findings: `aws accessanalyzer get-finding-v2` output (or an array of them), \
                      an array of {\"serviceNamespace\", \"actions\"} objects, or an array of \"service:Action\" strings";

/// Findings about one principal (`resource`), or about no named principal
/// (the shapes without a `resource`), and where they first appear.
#[derive(Debug, Clone)]
pub struct Group {
    /// The principal's ARN, from the findings' `resource`.
    pub resource: Option<String>,
    /// Where the first finding of the group is, for messages.
    pub path: JsonPath,
    /// What the findings of the group say.
    pub findings: Findings,
}

/// Reads findings in any accepted shape, about exactly one principal (or
/// none named), as refining one policy needs.
pub fn parse(text: &str) -> Result<Findings, InputError> {
    let groups = parse_groups(text)?;
    let named: Vec<&Group> = groups.iter().filter(|g| g.resource.is_some()).collect();
    if let [first, second, ..] = named[..] {
        return Err(InputError::at(
            &second.path.key("resource"),
            format!(
                "findings for more than one principal ({} and {}): what one principal does not use, another may",
                first.resource.as_deref().unwrap_or_default(),
                second.resource.as_deref().unwrap_or_default()
            ),
        )
        .with_hint("refine each policy against its own principal's findings, or use `refine account`"));
    }
    let mut merged = Findings::default();
    for group in groups {
        merged.resource = merged.resource.or(group.resource);
        merged.unused.extend(group.findings.unused);
        merged.notes.extend(group.findings.notes);
    }
    Ok(merged)
}

/// Reads findings in any accepted shape, grouped by the principal each is
/// about, in order of first appearance.
pub fn parse_groups(text: &str) -> Result<Vec<Group>, InputError> {
    let value = json::read(text, "unused-access findings").map_err(|err| match err.location {
        Location::Whole => err.with_hint(SHAPES),
        _ => err,
    })?;
    let root = JsonPath::root();
    let mut groups = Groups::default();
    match &value {
        Value::Object(map) if is_finding(map) => finding(&value, &root, &mut groups)?,
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = root.index(i);
                match item {
                    Value::String(entry) => {
                        check_action(entry).map_err(|m| InputError::at(&path, m))?;
                        groups.of(None, &path).unused.push(action_or_pattern(entry));
                    }
                    Value::Object(map) if map.contains_key("serviceNamespace") => {
                        service_details(item, &path, groups.of(None, &path))?;
                    }
                    Value::Object(map) if is_finding(map) => finding(item, &path, &mut groups)?,
                    other => {
                        return Err(InputError::at(
                            &path,
                            format!("found {} in a findings array", kind(other)),
                        )
                        .with_hint(SHAPES))
                    }
                }
            }
        }
        other => {
            return Err(
                InputError::whole(format!("found {}, not findings", kind(other))).with_hint(SHAPES),
            )
        }
    }
    Ok(groups.list)
}

/// Groups in the order their principals first appear, with an index by
/// principal: a file of findings for many principals (an account's) is
/// grouped in linear time.
#[derive(Default)]
struct Groups {
    list: Vec<Group>,
    index: HashMap<Option<String>, usize>,
}

impl Groups {
    /// The group for `resource`, created at `path` if it is new.
    fn of(&mut self, resource: Option<&str>, path: &JsonPath) -> &mut Findings {
        let key = resource.map(str::to_string);
        let at = match self.index.get(&key) {
            Some(&at) => at,
            None => {
                self.list.push(Group {
                    resource: key.clone(),
                    path: path.clone(),
                    findings: Findings::default(),
                });
                self.index.insert(key, self.list.len() - 1);
                self.list.len() - 1
            }
        };
        &mut self.list[at].findings
    }
}

/// Whether an object looks like get-finding-v2 output.
fn is_finding(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("findingDetails") || map.contains_key("findingType")
}

/// Reads one get-finding-v2 output.
fn finding(value: &Value, path: &JsonPath, groups: &mut Groups) -> Result<(), InputError> {
    let label = match value["id"].as_str() {
        Some(id) => format!("finding {id}"),
        None if path.0.is_empty() => "the finding".to_string(),
        None => format!("the finding at {path}"),
    };
    let findings = groups.of(value["resource"].as_str(), path);
    match value["status"].as_str() {
        None | Some("ACTIVE") => {}
        Some(status) => {
            findings
                .notes
                .push(format!("{label}: status {status}, not ACTIVE: skipped"));
            return Ok(());
        }
    }
    match value["findingType"].as_str() {
        None | Some("UnusedPermission") => {}
        Some("UnusedIAMRole") => {
            findings.unused.push(Unused::Everything);
            return Ok(());
        }
        Some(other) => {
            findings.notes.push(format!(
                "{label}: finding type {other} says nothing about unused permissions: skipped"
            ));
            return Ok(());
        }
    }
    let details_path = path.key("findingDetails");
    let details = match &value["findingDetails"] {
        Value::Array(details) => details,
        Value::Null => return Ok(()),
        other => {
            return Err(InputError::at(
                &details_path,
                format!("findingDetails must be an array, found {}", kind(other)),
            ))
        }
    };
    for (i, detail) in details.iter().enumerate() {
        let detail_path = details_path.index(i);
        match detail.get("unusedPermissionDetails") {
            Some(inner) => {
                service_details(inner, &detail_path.key("unusedPermissionDetails"), findings)?
            }
            None => {
                let kinds: Vec<&str> = detail
                    .as_object()
                    .map(|m| m.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                findings.notes.push(format!(
                    "{label}: {detail_path}: {} is not an unused-permission detail: skipped",
                    kinds.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Reads `{"serviceNamespace": ..., "actions": [...]}`; actions are names
/// (`"GetObject"`, or `"s3:GetObject"`) or `{"action": ...}` objects.
fn service_details(
    value: &Value,
    path: &JsonPath,
    findings: &mut Findings,
) -> Result<(), InputError> {
    let key = "actions";
    let service = match &value["serviceNamespace"] {
        Value::String(s) if !s.is_empty() && !s.contains([':', '*', '?']) => s.to_ascii_lowercase(),
        other => {
            return Err(InputError::at(
                &path.key("serviceNamespace"),
                format!("serviceNamespace must be a service prefix, found {other}"),
            ))
        }
    };
    let last_accessed = |value: &Value, path: &JsonPath| -> Result<Option<i64>, InputError> {
        match value.get("lastAccessed") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => time::parse_timestamp(text).map(Some).ok_or_else(|| {
                InputError::at(
                    &path.key("lastAccessed"),
                    format!("\"{text}\" is not an ISO 8601 timestamp"),
                )
            }),
            Some(other) => Err(InputError::at(
                &path.key("lastAccessed"),
                format!(
                    "lastAccessed must be a timestamp string, found {}",
                    kind(other)
                ),
            )),
        }
    };
    let actions = match &value[key] {
        Value::Null => {
            let last_accessed = last_accessed(value, path)?;
            findings.unused.push(Unused::Service {
                service,
                last_accessed,
            });
            return Ok(());
        }
        Value::Array(actions) => actions,
        other => {
            return Err(InputError::at(
                &path.key(key),
                format!("actions must be an array, found {}", kind(other)),
            ))
        }
    };
    for (i, action) in actions.iter().enumerate() {
        let action_path = path.key(key).index(i);
        let name = match action {
            Value::String(name) => name,
            Value::Object(map) => match map.get("action") {
                Some(Value::String(name)) => name,
                _ => {
                    return Err(InputError::at(
                        &action_path,
                        "expected {\"action\": \"Name\", ...}",
                    ))
                }
            },
            other => {
                return Err(InputError::at(
                    &action_path,
                    format!("an action must be a string, found {}", kind(other)),
                ))
            }
        };
        let bare = match name.split_once(':') {
            Some((prefix, bare)) if prefix.eq_ignore_ascii_case(&service) => bare,
            Some(_) => {
                return Err(InputError::at(
                    &action_path,
                    format!("\"{name}\" is not an action of service {service}"),
                ))
            }
            None => name.as_str(),
        };
        if bare.is_empty() || bare.contains(':') {
            return Err(InputError::at(
                &action_path,
                format!("\"{name}\" is not an action name"),
            ));
        }
        let mut unused = action_or_pattern(&format!("{service}:{bare}"));
        let at = last_accessed(action, &action_path)?;
        match &mut unused {
            Unused::Action { last_accessed, .. } => *last_accessed = at,
            // A pattern stays unused whatever `--unused-for` says, so a
            // date on it would be silently ignored: refused instead.
            _ if at.is_some() => {
                return Err(InputError::at(
                    &action_path.key("lastAccessed"),
                    format!("\"{bare}\" is a pattern: lastAccessed belongs to single actions"),
                ))
            }
            _ => {}
        }
        findings.unused.push(unused);
    }
    Ok(())
}

/// `service:Name` as an action, or as a pattern when it has wildcards.
fn action_or_pattern(entry: &str) -> Unused {
    let glob = Glob::new(entry);
    match entry.split_once(':') {
        Some((service, name)) if glob.is_literal() => Unused::Action {
            service: service.to_ascii_lowercase(),
            name: name.to_string(),
            last_accessed: None,
        },
        _ => Unused::Pattern(glob),
    }
}

impl Findings {
    /// Treats as used every action and service last used at or after
    /// `since` (seconds since the epoch): `--unused-for`, for a team whose
    /// bar for "unused" is longer than its analyzer's tracking period.
    /// Returns how many entries that took out of the unused list.
    pub fn used_since(&mut self, since: i64) -> usize {
        let before = self.unused.len();
        self.unused.retain(|unused| match unused {
            Unused::Service { last_accessed, .. } | Unused::Action { last_accessed, .. } => {
                last_accessed.is_none_or(|at| at < since)
            }
            _ => true,
        });
        before - self.unused.len()
    }

    /// The unused set over `catalog`.
    ///
    /// Unused actions the catalog lacks are real (AWS reported them), so they
    /// join a copy of the catalog for this run, with a warning that the
    /// catalog is older than the findings; refinement then keeps them out of
    /// every prefix it writes.
    pub fn resolve(&self, catalog: &Catalog) -> Resolved {
        let missing = self.missing_actions(catalog);
        let mut warnings = Vec::new();
        let catalog = if missing.is_empty() {
            catalog.clone()
        } else {
            warnings.push(missing_warning(&missing));
            catalog.with_actions(&missing)
        };
        let (unused, more) = self.unused_in(&catalog);
        warnings.extend(more);
        Resolved {
            catalog,
            unused,
            warnings,
            resource: self.resource.clone(),
        }
    }

    /// The unused actions the findings name that `catalog` does not know.
    pub fn missing_actions(&self, catalog: &Catalog) -> Vec<(String, String)> {
        let mut missing: Vec<(String, String)> = Vec::new();
        for unused in &self.unused {
            if let Unused::Action { service, name, .. } = unused {
                let known = catalog.find(service, name).is_some();
                let listed = missing
                    .iter()
                    .any(|(s, n)| s == service && n.eq_ignore_ascii_case(name));
                if !known && !listed {
                    missing.push((service.clone(), name.clone()));
                }
            }
        }
        missing
    }

    /// The unused set over a catalog that already holds every action the
    /// findings name (see [`Findings::missing_actions`]; one not there is
    /// left out), with warnings about services and patterns it does not
    /// know. Unlike [`Findings::resolve`] this never copies the catalog, so
    /// an account's worth of principals can share one.
    pub fn unused_in(&self, catalog: &Catalog) -> (ActionSet, Vec<String>) {
        let mut warnings = Vec::new();
        let mut set = catalog.empty_set();
        for unused in &self.unused {
            match unused {
                Unused::Everything => set = ActionSet::full(catalog.len()),
                Unused::Service { service, .. } => match catalog.service(service) {
                    Some(range) => set.insert_range(range.start, range.end),
                    None => warnings.push(format!(
                        "the findings name service {service}, which the catalog does not know"
                    )),
                },
                Unused::Action { service, name, .. } => {
                    if let Some(id) = catalog.find(service, name) {
                        set.insert(id);
                    }
                }
                Unused::Pattern(glob) => {
                    let matched = catalog.matching(glob);
                    if matched.is_empty() {
                        warnings.push(format!(
                            "the findings entry \"{glob}\" matches no action in the catalog"
                        ));
                    }
                    set.union_with(&matched);
                }
            }
        }
        (set, warnings)
    }
}

/// The warning for unused actions the catalog does not know.
pub fn missing_warning(missing: &[(String, String)]) -> String {
    let names: Vec<String> = missing.iter().map(|(s, n)| format!("{s}:{n}")).collect();
    format!(
        "{} unused action{} not in the catalog ({}): the catalog is older than the findings; treated as real actions",
        names.len(),
        if names.len() == 1 { " is" } else { "s are" },
        abbreviate(&names)
    )
}

/// The error for findings without a `resource` where each must name its
/// principal (an account run).
pub fn no_resource(path: &JsonPath) -> InputError {
    InputError::at(
        path,
        "findings without a `resource`: in an account, each finding must name its principal",
    )
    .with_hint("use `aws accessanalyzer get-finding-v2` output, which has `resource`")
}

/// At most five names, then "and N more".
pub fn abbreviate(names: &[String]) -> String {
    if names.len() <= 5 {
        names.join(", ")
    } else {
        format!("{}, and {} more", names[..5].join(", "), names.len() - 5)
    }
}

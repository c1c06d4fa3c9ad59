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
use serde_json::Value;

/// One thing the findings say is unused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unused {
    /// Every action of every service (an unused role).
    Everything,
    /// Every action of one service.
    Service(String),
    /// One action.
    Action {
        /// The service prefix, lowercase.
        service: String,
        /// The action name, as the findings spell it.
        name: String,
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
}

/// The shapes, as named in the error for anything else.
const SHAPES: &str = "expected unused-access findings: `aws accessanalyzer get-finding-v2` output (or an array of them), \
                      an array of {\"serviceNamespace\", \"actions\"} objects, or an array of \"service:Action\" strings";

/// Reads findings in any accepted shape.
pub fn parse(text: &str) -> Result<Findings, InputError> {
    let value = json::read(text, "unused-access findings").map_err(|err| match err.location {
        Location::Whole => err.with_hint(SHAPES),
        _ => err,
    })?;
    let root = JsonPath::root();
    let mut findings = Findings::default();
    match &value {
        Value::Object(map) if is_finding(map) => {
            let mut principals = Vec::new();
            finding(&value, &root, &mut findings, &mut principals)?;
        }
        Value::Array(items) => {
            let mut principals: Vec<String> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let path = root.index(i);
                match item {
                    Value::String(entry) => {
                        check_action(entry).map_err(|m| InputError::at(&path, m))?;
                        findings.unused.push(action_or_pattern(entry));
                    }
                    Value::Object(map) if map.contains_key("serviceNamespace") => {
                        service_details(item, &path, &mut findings)?;
                    }
                    Value::Object(map) if is_finding(map) => {
                        finding(item, &path, &mut findings, &mut principals)?
                    }
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
    Ok(findings)
}

/// Whether an object looks like get-finding-v2 output.
fn is_finding(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("findingDetails") || map.contains_key("findingType")
}

/// Reads one get-finding-v2 output.
fn finding(
    value: &Value,
    path: &JsonPath,
    findings: &mut Findings,
    principals: &mut Vec<String>,
) -> Result<(), InputError> {
    let label = match value["id"].as_str() {
        Some(id) => format!("finding {id}"),
        None if path.0.is_empty() => "the finding".to_string(),
        None => format!("the finding at {path}"),
    };
    if let Some(resource) = value["resource"].as_str() {
        if !principals.iter().any(|p| p == resource) {
            principals.push(resource.to_string());
        }
        if principals.len() > 1 {
            return Err(InputError::at(&path.key("resource"), format!(
                "findings for more than one principal ({} and {resource}): what one principal does not use, another may",
                principals[0]
            ))
            .with_hint("refine each policy against its own principal's findings"));
        }
    }
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
    let actions = match &value[key] {
        Value::Null => {
            findings.unused.push(Unused::Service(service));
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
        findings
            .unused
            .push(action_or_pattern(&format!("{service}:{bare}")));
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
        },
        _ => Unused::Pattern(glob),
    }
}

impl Findings {
    /// The unused set over `catalog`.
    ///
    /// Unused actions the catalog lacks are real (AWS reported them), so they
    /// join a copy of the catalog for this run, with a warning that the
    /// catalog is older than the findings; refinement then keeps them out of
    /// every prefix it writes.
    pub fn resolve(&self, catalog: &Catalog) -> Resolved {
        let mut warnings = Vec::new();
        let mut missing: Vec<(String, String)> = Vec::new();
        for unused in &self.unused {
            if let Unused::Action { service, name } = unused {
                if catalog.find(service, name).is_none()
                    && !missing
                        .iter()
                        .any(|(s, n)| s == service && n.eq_ignore_ascii_case(name))
                {
                    missing.push((service.clone(), name.clone()));
                }
            }
        }
        let catalog = if missing.is_empty() {
            catalog.clone()
        } else {
            let names: Vec<String> = missing.iter().map(|(s, n)| format!("{s}:{n}")).collect();
            warnings.push(format!(
                "{} unused action{} not in the catalog ({}): the catalog is older than the findings; treated as real actions",
                names.len(),
                if names.len() == 1 { " is" } else { "s are" },
                abbreviate(&names)
            ));
            catalog.with_actions(&missing)
        };
        let mut set = catalog.empty_set();
        for unused in &self.unused {
            match unused {
                Unused::Everything => set = ActionSet::full(catalog.len()),
                Unused::Service(service) => match catalog.service(service) {
                    Some(range) => set.insert_range(range.start, range.end),
                    None => warnings.push(format!(
                        "the findings name service {service}, which the catalog does not know"
                    )),
                },
                Unused::Action { service, name } => {
                    set.insert(
                        catalog
                            .find(service, name)
                            .expect("added to the catalog above"),
                    );
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
        Resolved {
            catalog,
            unused: set,
            warnings,
        }
    }
}

/// At most five names, then "and N more".
pub fn abbreviate(names: &[String]) -> String {
    if names.len() <= 5 {
        names.join(", ")
    } else {
        format!("{}, and {} more", names[..5].join(", "), names.len() - 5)
    }
}

//! Reading findings in the accepted shapes, told apart by their structure:
//!
//! * (a) the seed form: `[{"serviceNamespace": "s3", "actions": ["GetBucketAcl", ...]}]`;
//! * (b) the output of `aws accessanalyzer get-finding-v2`: `findingDetails[]`
//!   with `unusedPermissionDetails` (`serviceNamespace`, optional
//!   `actions: [{"action", "lastAccessed"}]`; no `actions` means the whole
//!   service is unused), or `findingType: "UnusedIAMRole"` with
//!   `unusedIamRoleDetails` (`lastAccessed`), meaning nothing was used at
//!   all;
//! * (c) a JSON array of (b), e.g. several pages of one finding;
//! * (d) a JSON array of `"prefix:Action"` strings, wildcards allowed.
//!
//! Every date a detail carries is read (`--unused-for` looks at it) or the
//! detail is refused: a date silently ignored would count something used
//! as unused.

use super::{Findings, Seen, Unused};
use crate::error::{escape, quote, InputError, JsonPath, Location};
use crate::input::policy::check_action;
use crate::input::time;
use crate::json;
use crate::json::{Kind, Member, Value};
use crate::model::pattern::Glob;
use std::collections::HashMap;

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
                escape(first.resource.as_deref().unwrap_or_default()),
                escape(second.resource.as_deref().unwrap_or_default())
            ),
        )
        .with_hint("refine each policy against its own principal's findings, or use `refine account`"));
    }
    let mut merged = Findings::default();
    for group in groups {
        merged.merge(group.findings);
    }
    Ok(merged)
}

/// Reads findings in any accepted shape, grouped by the principal each is
/// about, in order of first appearance: by the typed reader when the
/// findings are in the shapes AWS writes, else (to say what is wrong, or
/// for the notes) by the positioned one.
pub fn parse_groups(text: &str) -> Result<Vec<Group>, InputError> {
    match super::typed::groups(text) {
        Some(groups) => Ok(groups),
        None => parse_groups_positioned(text),
    }
}

/// [`parse_groups`] by the positioned reader alone: the reference the typed
/// reader is held to (by the differential test and the findings fuzz
/// target), and what reads everything the typed reader leaves.
pub fn parse_groups_positioned(text: &str) -> Result<Vec<Group>, InputError> {
    let value = json::read(text, "unused-access findings").map_err(|err| match err.location {
        Location::Whole => err.with_hint(SHAPES),
        _ => err,
    })?;
    let root = JsonPath::root();
    let mut groups = Groups::default();
    match &value.kind {
        Kind::Object(members) if is_finding(members) => finding(&value, &root, &mut groups)?,
        Kind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = root.index(i);
                match &item.kind {
                    Kind::String(entry) => {
                        check_action(entry).map_err(|bad| bad.at(&path))?;
                        let findings = groups.of(None, &path);
                        findings.unused.push(action_or_pattern(entry));
                        findings.analyzed.add(None);
                    }
                    Kind::Object(_) if item.get("serviceNamespace").is_some() => {
                        let findings = groups.of(None, &path);
                        service_details(item, &path, findings)?;
                        findings.analyzed.add(None);
                    }
                    Kind::Object(members) if is_finding(members) => {
                        finding(item, &path, &mut groups)?
                    }
                    _ => {
                        return Err(InputError::at(
                            &path,
                            format!("found {} in a findings array", item.kind_name()),
                        )
                        .with_hint(SHAPES))
                    }
                }
            }
        }
        _ => return Err(mistaken(&value)),
    }
    Ok(groups.list)
}

/// What a JSON value that is not findings is, when users pass it by
/// mistake, with what to do instead.
fn mistaken(value: &Value) -> InputError {
    let has = |key: &str| value.get(key).is_some();
    if has("Statement") || has("PolicyDocument") || has("PolicyVersion") {
        return InputError::whole("this is a policy, not findings").with_hint(
            "a policy is the first argument, the findings the second: `refine POLICY FINDINGS`",
        );
    }
    if has("RoleDetailList") || has("UserDetailList") {
        return InputError::whole(
            "this is `aws iam get-account-authorization-details` output, not findings",
        )
        .with_hint("to refine a whole account: `refine account DETAILS FINDINGS`");
    }
    let summaries = value.get("findings").and_then(Value::as_array);
    if let Some(summaries) =
        summaries.filter(|s| s.iter().all(|f| f.get("findingDetails").is_none()))
    {
        let id = summaries
            .first()
            .and_then(|f| f.get("id"))
            .and_then(Value::as_str)
            .unwrap_or("ID");
        return InputError::whole(
            "this is `aws accessanalyzer list-findings-v2` output: finding summaries, without the unused actions (findingDetails)",
        )
        .with_hint(format!(
            "fetch each finding: `aws accessanalyzer get-finding-v2 --analyzer-arn ANALYZER_ARN --id {}`",
            crate::error::escape(id)
        ));
    }
    InputError::whole(format!("found {}, not findings", value.kind_name())).with_hint(SHAPES)
}

/// Groups in the order their principals first appear, with an index by
/// principal: a file of findings for many principals (an account's) is
/// grouped in linear time.
#[derive(Default)]
pub(super) struct Groups {
    pub(super) list: Vec<Group>,
    index: HashMap<Option<String>, usize>,
}

impl Groups {
    /// The group for `resource`, created at `path` if it is new.
    pub(super) fn of(&mut self, resource: Option<&str>, path: &JsonPath) -> &mut Findings {
        let key = resource.map(str::to_string);
        let at = match self.index.get(&key) {
            Some(&at) => at,
            None => {
                self.list.push(Group {
                    resource: key.clone(),
                    path: path.clone(),
                    findings: Findings {
                        resource: key.clone(),
                        ..Findings::default()
                    },
                });
                self.index.insert(key, self.list.len() - 1);
                self.list.len() - 1
            }
        };
        &mut self.list[at].findings
    }
}

/// Whether an object's members look like get-finding-v2 output.
fn is_finding(members: &[Member]) -> bool {
    members
        .iter()
        .any(|m| m.key == "findingDetails" || m.key == "findingType")
}

/// The detail kind that carries unused permissions.
const PERMISSION_DETAILS: &str = "unusedPermissionDetails";
/// The detail kind of an unused role.
const ROLE_DETAILS: &str = "unusedIamRoleDetails";

/// Reads one get-finding-v2 output.
fn finding(value: &Value, path: &JsonPath, groups: &mut Groups) -> Result<(), InputError> {
    let label = match value["id"].as_str() {
        Some(id) => format!("finding {}", escape(id)),
        None if path.0.is_empty() => "the finding".to_string(),
        None => format!("the finding at {path}"),
    };
    let findings = groups.of(value["resource"].as_str(), path);
    let wanted = match value["findingType"].as_str() {
        None | Some("UnusedPermission") => PERMISSION_DETAILS,
        Some("UnusedIAMRole") => ROLE_DETAILS,
        Some(other) => {
            findings.notes.push(format!(
                "{label}: finding type {} says nothing about unused permissions: skipped",
                escape(other)
            ));
            return Ok(());
        }
    };
    let analyzed = timestamp_member(value, "analyzedAt", path)?.map(|at| {
        (
            at,
            value["analyzedAt"].as_str().unwrap_or_default().to_string(),
        )
    });
    let status = value["status"].as_str();
    let seen = Seen {
        kind: finding_type(wanted),
        id: value["id"].as_str().map(str::to_string),
        analyzed: analyzed.clone(),
        active: matches!(status, None | Some("ACTIVE")),
    };
    if !findings.seen.contains(&seen) {
        findings.seen.push(seen);
    }
    if let Some(status) = status.filter(|s| *s != "ACTIVE") {
        findings.notes.push(format!(
            "{label}: status {}, not ACTIVE: skipped",
            escape(status)
        ));
        return Ok(());
    }
    findings.analyzed.add(analyzed);
    let role_last_accessed = details(value, path, wanted, &label, findings)?;
    if wanted == ROLE_DETAILS {
        findings.unused.push(Unused::Everything {
            last_accessed: role_last_accessed,
        });
    }
    Ok(())
}

/// Reads a finding's `findingDetails`, each of the kind `wanted` (skipped
/// with a note when of a kind that says nothing about permissions, refused
/// when of the other finding type's kind); returns the latest
/// `lastAccessed` of the role details.
fn details(
    value: &Value,
    path: &JsonPath,
    wanted: &str,
    label: &str,
    findings: &mut Findings,
) -> Result<Option<i64>, InputError> {
    let details_path = path.key("findingDetails");
    let details = match &value["findingDetails"].kind {
        Kind::Array(details) => details.as_slice(),
        Kind::Null => &[],
        _ => {
            return Err(InputError::at(
                &details_path,
                format!(
                    "findingDetails must be an array, found {}",
                    value["findingDetails"].kind_name()
                ),
            ))
        }
    };
    let other = if wanted == PERMISSION_DETAILS {
        ROLE_DETAILS
    } else {
        PERMISSION_DETAILS
    };
    let mut role_last_accessed = None;
    for (i, detail) in details.iter().enumerate() {
        let detail_path = details_path.index(i);
        if detail.get(other).is_some() {
            return Err(InputError::at(
                &detail_path.key(other),
                format!(
                    "{other} in a finding of type {}: the finding contradicts itself",
                    finding_type(wanted)
                ),
            ));
        }
        match detail.get(wanted) {
            Some(inner) if wanted == PERMISSION_DETAILS => {
                service_details(inner, &detail_path.key(wanted), findings)?
            }
            Some(inner) => {
                let at = timestamp_member(inner, "lastAccessed", &detail_path.key(wanted))?;
                role_last_accessed = role_last_accessed.max(at);
            }
            None => {
                let kinds: Vec<String> = detail
                    .as_object()
                    .map(|m| m.iter().map(|m| escape(&m.key)).collect())
                    .unwrap_or_default();
                findings.notes.push(format!(
                    "{label}: {detail_path}: {} is not an unused-permission detail: skipped",
                    kinds.join(", ")
                ));
            }
        }
    }
    Ok(role_last_accessed)
}

/// The finding type whose details are of kind `details`.
fn finding_type(details: &str) -> &'static str {
    if details == ROLE_DETAILS {
        "UnusedIAMRole"
    } else {
        "UnusedPermission"
    }
}

/// An optional timestamp member `key` of `value`, as seconds since the
/// epoch; an error when it is there but not an ISO 8601 timestamp.
pub(crate) fn timestamp_member(
    value: &Value,
    key: &str,
    path: &JsonPath,
) -> Result<Option<i64>, InputError> {
    let Some(found) = value.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    match found.as_str() {
        Some(text) => time::parse_timestamp(text).map(Some).ok_or_else(|| {
            InputError::at(
                &path.key(key),
                format!("{} is not an ISO 8601 timestamp", quote(text)),
            )
        }),
        None => Err(InputError::at(
            &path.key(key),
            format!(
                "{key} must be a timestamp string, found {}",
                found.kind_name()
            ),
        )),
    }
}

/// Reads `{"serviceNamespace": ..., "actions": [...]}`; actions are names
/// (`"GetObject"`, or `"s3:GetObject"`) or `{"action": ...}` objects.
fn service_details(
    value: &Value,
    path: &JsonPath,
    findings: &mut Findings,
) -> Result<(), InputError> {
    let key = "actions";
    let service = namespace(value, path)?;
    let actions = match &value[key].kind {
        Kind::Null => {
            let last_accessed = timestamp_member(value, "lastAccessed", path)?;
            findings.unused.push(Unused::Service {
                service,
                last_accessed,
            });
            return Ok(());
        }
        Kind::Array(actions) => actions,
        _ => {
            return Err(InputError::at(
                &path.key(key),
                format!("actions must be an array, found {}", value[key].kind_name()),
            ))
        }
    };
    // Beside `actions`, the service's `lastAccessed` says when some action
    // of it was last used; the listed actions carry their own dates, which
    // decide. It is checked all the same: a date is never taken unread.
    timestamp_member(value, "lastAccessed", path)?;
    findings.unused.reserve(actions.len());
    for (i, action) in actions.iter().enumerate() {
        // The path is made only for a message: most lists are thousands of
        // names, and each path is a copy of the whole path.
        let unused = unused_action(action, || path.key(key).index(i), &service)?;
        findings.unused.push(unused);
    }
    Ok(())
}

/// A detail's `serviceNamespace`, lowercase.
fn namespace(value: &Value, path: &JsonPath) -> Result<String, InputError> {
    let namespace = &value["serviceNamespace"];
    match namespace.as_str().and_then(service_prefix) {
        Some(prefix) => Ok(prefix),
        None => Err(InputError::at(
            &path.key("serviceNamespace"),
            format!(
                "serviceNamespace must be a service prefix, found {}",
                crate::error::printable_json(&crate::json::write::compact(namespace))
            ),
        )),
    }
}

/// `text` as a service prefix, lowercase, when it can be one: shared by
/// both readers.
pub(super) fn service_prefix(text: &str) -> Option<String> {
    let valid =
        !text.is_empty() && !text.contains([':', '*', '?']) && !text.chars().any(char::is_control);
    valid.then(|| text.to_ascii_lowercase())
}

/// One entry of a detail's `actions` (a name, or `{"action": ...}` with
/// an optional `lastAccessed`), of `service`.
fn unused_action(
    action: &Value,
    path: impl Fn() -> JsonPath,
    service: &str,
) -> Result<Unused, InputError> {
    let name = match &action.kind {
        Kind::String(name) => name,
        Kind::Object(_) => match action.get("action").and_then(Value::as_str) {
            Some(name) => name,
            None => {
                return Err(InputError::at(
                    &path(),
                    "expected {\"action\": \"Name\", ...}",
                ))
            }
        },
        _ => {
            return Err(InputError::at(
                &path(),
                format!("an action must be a string, found {}", action.kind_name()),
            ))
        }
    };
    let (unused, bare) = unused_named(name, service, &path)?;
    let at = match action.get("lastAccessed").filter(|v| !v.is_null()) {
        Some(_) => timestamp_member(action, "lastAccessed", &path())?,
        None => None,
    };
    last_accessed(unused, at, bare, &path)
}

/// What the action name `name` of a detail of `service` is unused, and
/// its name without the service prefix: shared by both readers.
pub(super) fn unused_named<'n>(
    name: &'n str,
    service: &str,
    path: &dyn Fn() -> JsonPath,
) -> Result<(Unused, &'n str), InputError> {
    let bare = match name.split_once(':') {
        Some((prefix, bare)) if prefix.eq_ignore_ascii_case(service) => bare,
        Some(_) => {
            return Err(InputError::at(
                &path(),
                format!("{} is not an action of service {service}", quote(name)),
            ))
        }
        None => name,
    };
    if bare.is_empty() || bare.contains(':') {
        return Err(InputError::at(
            &path(),
            format!("{} is not an action name", quote(name)),
        ));
    }
    let unused = if bare.contains(['*', '?']) || bare.contains(char::is_control) {
        let full = format!("{service}:{bare}");
        check_action(&full).map_err(|bad| bad.at(&path()))?;
        action_or_pattern(&full)
    } else {
        // What the two calls above make of a plain name (the service is a
        // checked, lowercase prefix), without building `service:Name` and a
        // glob for each of the thousands of names findings list.
        Unused::Action {
            service: service.to_string(),
            name: bare.to_string(),
            last_accessed: None,
        }
    };
    Ok((unused, bare))
}

/// `unused` with its `lastAccessed` date `at`, which only a single action
/// may carry: a pattern stays unused whatever `--unused-for` says, so a
/// date on it would be silently ignored, and is refused instead.
pub(super) fn last_accessed(
    mut unused: Unused,
    at: Option<i64>,
    bare: &str,
    path: &dyn Fn() -> JsonPath,
) -> Result<Unused, InputError> {
    match &mut unused {
        Unused::Action { last_accessed, .. } => *last_accessed = at,
        _ if at.is_some() => {
            return Err(InputError::at(
                &path().key("lastAccessed"),
                format!(
                    "{} is a pattern: lastAccessed belongs to single actions",
                    quote(bare)
                ),
            ))
        }
        _ => {}
    }
    Ok(unused)
}

/// `service:Name` as an action, or as a pattern when it has wildcards.
pub(super) fn action_or_pattern(entry: &str) -> Unused {
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

/// The error for findings without a `resource` where each must name its
/// principal (an account run).
pub fn no_resource(path: &JsonPath) -> InputError {
    InputError::at(
        path,
        "findings without a `resource`: in an account, each finding must name its principal",
    )
    .with_hint("use `aws accessanalyzer get-finding-v2` output, which has `resource`")
}

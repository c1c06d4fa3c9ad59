//! IAM policy documents: checking, and the statement model.
//!
//! A [`Policy`] keeps the document exactly as read (a [`json::Value`] tree
//! with its key order, number spellings and spans), so that everything
//! refinement does not touch — Sid, Resource, Condition, key order, a
//! string `Action` — is printed back as it was. Next to it, [`Statement`]s
//! hold the parts refinement reasons about: effect, whether a principal is
//! named, and the action entries as [`Glob`]s. Refinement then produces
//! edits that [`Policy::apply`] writes into a copy of the document.
//!
//! Where the document came from — a bare file, the API's wrappers, a string
//! inside another document, a template — is a [host](crate::hosts)'s
//! business: a policy knows only its document and the path of that document
//! in its host, which every message about it starts from.

use crate::error::{escape, printable_json, quote, InputError, JsonPath};
use crate::json::canon::Canonical;
use crate::json::{self, Kind, Value};
use crate::model::catalog::{ActionSet, Catalog};
use crate::model::pattern::Glob;

/// The policy language versions IAM accepts.
pub const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// Which action element a statement uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKey {
    /// `Action`: the statement applies to the listed actions.
    Action,
    /// `NotAction`: the statement applies to every action except those listed.
    NotAction,
}

impl ActionKey {
    /// The element's name in a policy.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKey::Action => "Action",
            ActionKey::NotAction => "NotAction",
        }
    }
}

/// One statement, as refinement sees it.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Position in the `Statement` list (0 for a lone statement object).
    pub index: usize,
    /// The statement's Sid, if it has one.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// Whether the statement names a Principal or NotPrincipal, i.e. belongs
    /// to a resource policy: those are never changed.
    pub has_principal: bool,
    /// Action or NotAction.
    pub key: ActionKey,
    /// The entries as written.
    pub entries: Vec<Glob>,
    /// Whether the action element was a single string rather than an array.
    pub was_string: bool,
    /// Path of the statement in the input file.
    pub path: JsonPath,
    /// The members of the statement's [context](Statement::context), as
    /// written, in the order of [`CONTEXT_KEYS`]: not the whole statement,
    /// whose action list is most of it and is in `entries`.
    pub context_members: Vec<Option<Value>>,
}

/// The members that say what a statement applies to besides its actions.
pub const CONTEXT_KEYS: [&str; 6] = [
    "Effect",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
    "NotPrincipal",
];

impl Statement {
    /// The catalog actions its Action or NotAction allows (Effect,
    /// Resource and Condition aside): what its entries match, or for
    /// NotAction every other catalog action.
    pub fn allowed_actions(&self, catalog: &Catalog) -> ActionSet {
        let mut listed = catalog.empty_set();
        for glob in &self.entries {
            catalog.add_matching(glob, &mut listed);
        }
        match self.key {
            ActionKey::Action => listed,
            ActionKey::NotAction => {
                let mut all = ActionSet::full(catalog.len());
                all.difference_with(&listed);
                all
            }
        }
    }

    /// How messages name the statement: its Sid if it has one, else its index.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => {
                format!("statement {} (Sid {})", self.index, escape(sid))
            }
            _ => format!("statement {}", self.index),
        }
    }

    /// What the statement applies to besides its actions, in a form that
    /// compares equal exactly when two statements apply to the same
    /// principals and resources under the same conditions: Effect,
    /// Resource, NotResource, Condition, Principal and NotPrincipal, each
    /// in [canonical form](Canonical) (keys unordered, numbers by value,
    /// lists as sets, a lone value as a list of one).
    pub fn context(&self) -> Vec<Canonical> {
        self.context_members
            .iter()
            .map(|member| member.as_ref().map_or(Canonical::Null, Canonical::of))
            .collect()
    }

    /// Path of the entry at `i` in the input file.
    pub fn entry_path(&self, i: usize) -> JsonPath {
        element_path_for(&self.path.key(self.key.as_str()), self.was_string, i)
    }
}

/// Why a JSON object without `Statement` is not a policy, with what to do
/// instead when it is something users pass by mistake.
fn not_a_policy(document: &Value, path: &JsonPath) -> InputError {
    let has = |key: &str| document.get(key).is_some();
    if document
        .get("Role")
        .is_some_and(|role| role.get("AssumeRolePolicyDocument").is_some())
    {
        return InputError::at(path, "this is `aws iam get-role` output: its AssumeRolePolicyDocument is the role's trust policy, which says who may assume it")
            .with_hint("pass the role's permissions policy: `aws iam get-role-policy` output, or the policy document");
    }
    if has("RoleDetailList") || has("UserDetailList") {
        return InputError::at(
            path,
            "this is `aws iam get-account-authorization-details` output, not one policy",
        )
        .with_hint("to refine a whole account: `refine account DETAILS FINDINGS`");
    }
    if has("findingDetails") || has("findingType") || has("findings") {
        return InputError::at(path, "this is findings, not a policy")
            .with_hint("the policy comes first: `refine POLICY FINDINGS`");
    }
    InputError::at(path, "no Statement: expected an IAM policy document")
        .with_hint("accepted: a policy document, `aws iam get-policy-version` output, or `get-role-policy` output")
}

/// A policy: its document, and its statements.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The document as read; its spans index the text of its host (or of
    /// the string it was decoded from).
    document: Value,
    /// Where the document is in its host, e.g. `PolicyDocument`; the root
    /// for a bare document. Every statement's path starts with it.
    pub path: JsonPath,
    /// The statements, in order.
    pub statements: Vec<Statement>,
    /// Whether `Statement` was a lone object rather than an array.
    pub lone_statement: bool,
}

pub use crate::model::principal::Owner;

/// What happens to one statement's action element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Replace the entries with these (a string stays a string while one).
    Entries(Vec<String>),
    /// Replace the `Action` element with a `NotAction` element of these
    /// entries, in its place: the statement then grants everything but
    /// them, services the catalog does not know included (a string stays a
    /// string while one).
    NotAction(Vec<String>),
    /// Replace the `NotAction` element with an `Action` element of these
    /// entries, in its place: over a current catalog, what an `Allow` +
    /// `NotAction` statement still allows, when that is smaller to write.
    Action(Vec<String>),
    /// Remove the statement.
    Remove,
}

impl Edit {
    /// The action element a statement whose element is `key` has after
    /// this edit, as its key and entries; `None` when the statement is
    /// removed.
    pub fn element(&self, key: ActionKey) -> Option<(ActionKey, &[String])> {
        match self {
            Edit::Entries(entries) => Some((key, entries.as_slice())),
            Edit::NotAction(entries) => Some((ActionKey::NotAction, entries.as_slice())),
            Edit::Action(entries) => Some((ActionKey::Action, entries.as_slice())),
            Edit::Remove => None,
        }
    }
}

/// The path of entry `i` of an action element at `element`: the element
/// itself when it is a lone string.
fn element_path_for(element: &JsonPath, was_string: bool, i: usize) -> JsonPath {
    if was_string {
        element.clone()
    } else {
        element.index(i)
    }
}

/// Reads a bare policy document that is already a JSON value, such as a
/// refined document about to be checked.
pub fn from_value(document: Value) -> Result<Policy, InputError> {
    from_document(document, JsonPath::root())
}

/// Reads a policy from JSON text in any form the JSON file host accepts
/// (a bare document, or the AWS API's wrappers around one).
pub fn parse(text: &str) -> Result<Policy, InputError> {
    Ok(crate::hosts::json_file::JsonFile::read(text)?.into_policy())
}

/// Checks `document`, which is at `path` in its host, and builds its
/// statements.
pub fn from_document(document: Value, path: JsonPath) -> Result<Policy, InputError> {
    let path = &path;
    if !document.is_object() {
        return Err(InputError::at(
            path,
            format!(
                "expected a policy document (a JSON object), found {}",
                document.kind_name()
            ),
        ));
    }
    if let Some(version) = document.get("Version") {
        if !version.as_str().is_some_and(|v| VERSIONS.contains(&v)) {
            return Err(InputError::at(
                &path.key("Version"),
                format!(
                    "unknown policy Version {}: expected \"2012-10-17\" or \"2008-10-17\"",
                    printable_json(&json::write::compact(version))
                ),
            ));
        }
    }
    let statement_path = path.key("Statement");
    let (list, lone_statement): (Vec<&Value>, bool) = match document.get("Statement") {
        Some(Value {
            kind: Kind::Array(items),
            ..
        }) => (items.iter().collect(), false),
        Some(item) if item.is_object() => (vec![item], true),
        Some(other) => {
            return Err(InputError::at(
                &statement_path,
                format!(
                    "Statement must be an object or an array of objects, found {}",
                    other.kind_name()
                ),
            ))
        }
        None => return Err(not_a_policy(&document, path)),
    };
    let statements = list
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let path = if lone_statement {
                statement_path.clone()
            } else {
                statement_path.index(index)
            };
            statement(index, value, path)
        })
        .collect::<Result<_, _>>()?;
    Ok(Policy {
        path: path.clone(),
        document,
        statements,
        lone_statement,
    })
}

/// Checks one statement.
fn statement(index: usize, value: &Value, path: JsonPath) -> Result<Statement, InputError> {
    if !value.is_object() {
        return Err(InputError::at(
            &path,
            format!("a statement must be an object, found {}", value.kind_name()),
        ));
    }
    let effect = match value.get("Effect") {
        Some(effect) if effect.as_str() == Some("Allow") => Effect::Allow,
        Some(effect) if effect.as_str() == Some("Deny") => Effect::Deny,
        Some(other) => {
            return Err(InputError::at(
                &path.key("Effect"),
                format!(
                    "Effect must be \"Allow\" or \"Deny\" (case-sensitive), found {}",
                    printable_json(&json::write::compact(other))
                ),
            ))
        }
        None => {
            return Err(InputError::at(
                &path,
                "no Effect: every statement needs \"Effect\": \"Allow\" or \"Deny\"",
            ))
        }
    };
    let key = match (value.get("Action"), value.get("NotAction")) {
        (Some(_), Some(_)) => {
            return Err(InputError::at(
                &path,
                "a statement cannot have both Action and NotAction",
            ))
        }
        (None, None) => {
            return Err(InputError::at(
                &path,
                "no Action or NotAction: a statement needs one of them",
            ))
        }
        (Some(_), None) => ActionKey::Action,
        (None, Some(_)) => ActionKey::NotAction,
    };
    let element = &value[key.as_str()];
    let element_path = path.key(key.as_str());
    let (values, was_string): (Vec<&Value>, bool) = match &element.kind {
        Kind::String(_) => (vec![element], true),
        Kind::Array(items) => (items.iter().collect(), false),
        _ => {
            return Err(InputError::at(
                &element_path,
                format!(
                    "{} must be a string or an array of strings, found {}",
                    key.as_str(),
                    element.kind_name()
                ),
            ))
        }
    };
    let mut entries = Vec::with_capacity(values.len());
    for (i, value) in values.into_iter().enumerate() {
        let entry_path = element_path_for(&element_path, was_string, i);
        let Some(text) = value.as_str() else {
            return Err(InputError::at(
                &entry_path,
                format!("an action must be a string, found {}", value.kind_name()),
            ));
        };
        check_action(text).map_err(|bad| bad.at(&entry_path))?;
        entries.push(Glob::new(text));
    }
    Ok(Statement {
        index,
        sid: value.get("Sid").and_then(Value::as_str).map(str::to_string),
        effect,
        has_principal: value.get("Principal").is_some() || value.get("NotPrincipal").is_some(),
        key,
        entries,
        was_string,
        path,
        context_members: CONTEXT_KEYS
            .iter()
            .map(|key| value.get(key).cloned())
            .collect(),
    })
}

/// Why a string is not an action entry, as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadAction(pub String);

impl std::fmt::Display for BadAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadAction {}

impl BadAction {
    /// The error about the entry at `path`.
    pub fn at(self, path: &JsonPath) -> InputError {
        InputError::at(path, self.0)
    }
}

/// Checks the form of an action entry: `*`, or `prefix:name` with exactly
/// one colon and both sides non-empty (wildcards allowed on either side),
/// and no control character (U+0000–U+001F, U+007F–U+009F), which IAM
/// refuses too and which no action name has.
pub fn check_action(text: &str) -> Result<(), BadAction> {
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(BadAction(format!(
            "{} contains the control character U+{:04X}: not an action",
            quote(text),
            c as u32
        )));
    }
    if text == "*" {
        return Ok(());
    }
    match text.split_once(':') {
        _ if text.is_empty() => Err(BadAction(
            "an empty action: expected \"service:Action\"".to_string(),
        )),
        None => Err(BadAction(format!(
            "{} has no service prefix: expected \"service:Action\" or \"*\"",
            quote(text)
        ))),
        Some((service, name)) if service.is_empty() || name.is_empty() => Err(BadAction(format!(
            "{} is not of the form \"service:Action\"",
            quote(text)
        ))),
        Some((_, name)) if name.contains(':') => {
            Err(BadAction(format!("{} has more than one ':'", quote(text))))
        }
        Some(_) => Ok(()),
    }
}

impl Policy {
    /// What is valid IAM but probably not meant, as warnings: a policy
    /// without `Version` is read as 2008-10-17, where policy variables
    /// such as `${aws:username}` are plain text.
    pub fn lints(&self) -> Vec<InputError> {
        let mut lints = Vec::new();
        if self.document.get("Version").is_none() {
            lints.push(InputError::whole(
                "no Version: IAM reads the policy as 2008-10-17, where policy variables such as ${aws:username} are plain text",
            ));
        }
        lints
    }

    /// The bare policy document (unwrapped and decoded).
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// A copy of the document with `edits` applied, one per statement
    /// (`None` = unchanged). Removed statements leave no trace; an action
    /// element that was a string stays a string while it holds one entry;
    /// an element whose key changes keeps its place among the keys.
    pub fn apply(&self, edits: &[Option<Edit>]) -> Value {
        let mut document = self.document().clone();
        let Kind::Object(members) = &mut document.kind else {
            return document;
        };
        let Some(at) = members.iter().position(|m| m.key == "Statement") else {
            return document;
        };
        let statements = std::mem::replace(&mut members[at].value, Value::new(Kind::Null));
        let statements: Vec<Value> = match statements.kind {
            Kind::Array(items) => items,
            _ => vec![statements],
        };
        let mut kept = Vec::with_capacity(statements.len());
        for (statement, (mut value, edit)) in self
            .statements
            .iter()
            .zip(statements.into_iter().zip(edits))
        {
            let (key, entries) = match edit {
                None => {
                    kept.push(value);
                    continue;
                }
                Some(Edit::Remove) => continue,
                Some(Edit::Entries(entries)) => (statement.key, entries),
                Some(Edit::NotAction(entries)) => (ActionKey::NotAction, entries),
                Some(Edit::Action(entries)) => (ActionKey::Action, entries),
            };
            let element = if statement.was_string && entries.len() == 1 {
                Value::string(entries[0].clone())
            } else {
                Value::new(Kind::Array(
                    entries.iter().cloned().map(Value::string).collect(),
                ))
            };
            if let Kind::Object(members) = &mut value.kind {
                // The element keeps its place among the statement's keys,
                // under its new name when the key changes.
                if let Some(member) = members.iter_mut().find(|m| m.key == statement.key.as_str()) {
                    member.key = key.as_str().to_string();
                    member.value = element;
                }
            }
            kept.push(value);
        }
        members[at].value = if self.lone_statement && kept.len() == 1 {
            kept.remove(0)
        } else {
            Value::new(Kind::Array(kept))
        };
        document
    }
}

/// Pretty JSON with a 2-space indent and a final newline: the canonical
/// form `refine` prints and diffs, numbers spelled as they were read.
pub fn to_pretty(value: &Value) -> String {
    json::write::pretty(value)
}

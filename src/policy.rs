//! IAM policy documents: reading, checking, and the statement model.
//!
//! A [`Policy`] keeps the document exactly as parsed (a `serde_json` value
//! with its key order), so that everything refinement does not touch —
//! Sid, Resource, Condition, key order, a string `Action` — is printed back
//! as it was. Next to it, [`Statement`]s hold the parts refinement reasons
//! about: effect, whether a principal is named, and the action entries as
//! [`Glob`]s. Refinement then produces edits that [`Policy::apply`] writes
//! into a copy of the document.
//!
//! Besides a bare policy document, the wrapped forms the AWS API returns are
//! accepted: `aws iam get-policy-version` (`PolicyVersion.Document`) and
//! `get-role-policy` / `get-user-policy` / `get-group-policy`
//! (`PolicyDocument`), where the document may be a URL-encoded JSON string
//! (RFC 3986 percent-encoding, as the raw API returns it). The refined output
//! is always the bare document, ready for `put-role-policy` or
//! `create-policy-version`.

use crate::canon::Canonical;
use crate::catalog::{ActionSet, Catalog};
use crate::error::{escape, quote, InputError, JsonPath};
use crate::json;
use crate::pattern::Glob;
use serde_json::Value;

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
    /// The statement as written.
    pub value: Value,
}

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
        [
            "Effect",
            "Resource",
            "NotResource",
            "Condition",
            "Principal",
            "NotPrincipal",
        ]
        .iter()
        .map(|key| self.value.get(key).map_or(Canonical::Null, Canonical::of))
        .collect()
    }

    /// Path of the entry at `i` in the input file.
    pub fn entry_path(&self, i: usize) -> JsonPath {
        element_path_for(&self.path.key(self.key.as_str()), self.was_string, i)
    }
}

/// A policy: the document as parsed, and its statements.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The bare policy document (unwrapped and decoded).
    pub document: Value,
    /// The statements, in order.
    pub statements: Vec<Statement>,
    /// Whether `Statement` was a lone object rather than an array.
    pub lone_statement: bool,
    /// Where the document is in the input, and how it is written there.
    pub source: Source,
}

/// Where a policy document is in its input file: rewriting the file in
/// place needs to know whether the document is JSON there or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Which form the input has.
    pub form: Form,
    /// The path of the document in the input (the root for a bare document).
    pub path: JsonPath,
    /// How the document is written at that path.
    pub encoding: Encoding,
    /// The principal an inline policy belongs to, as its wrapper names it
    /// (`RoleName`, `UserName`, `GroupName`).
    pub owner_name: Option<String>,
}

/// The accepted input forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A policy document.
    Bare,
    /// `aws iam get-policy-version` output: a managed policy.
    PolicyVersion,
    /// `get-role-policy`, `get-user-policy` or `get-group-policy` output:
    /// an inline policy of that kind of principal, when the output names it
    /// (`RoleName`, `UserName`, `GroupName`).
    PolicyDocument(Option<Owner>),
}

/// The kind of principal an inline policy belongs to; IAM limits the size
/// of all inline policies of one principal by its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A role.
    Role,
    /// A user.
    User,
    /// A group.
    Group,
}

/// How a document is written in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// As JSON.
    Json,
    /// As a string holding URL-encoded JSON, as the raw API returns it.
    UrlEncoded,
    /// As a string holding JSON.
    JsonString,
}

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
    let source = Source {
        form: Form::Bare,
        path: JsonPath::root(),
        encoding: Encoding::Json,
        owner_name: None,
    };
    from_document(document, source)
}

/// Reads a policy from JSON text in any accepted form.
pub fn parse(text: &str) -> Result<Policy, InputError> {
    let value = json::read(text, "an IAM policy document")?;
    let (document, source) = unwrap(value)?;
    from_document(document, source)
}

/// Finds the policy document inside the accepted wrappers, decoding it
/// when it is a string; returns it and where it was.
fn unwrap(value: Value) -> Result<(Value, Source), InputError> {
    let root = JsonPath::root();
    let Value::Object(mut map) = value else {
        return Err(InputError::whole(format!(
            "expected an IAM policy document (a JSON object), found {}",
            kind(&value)
        )));
    };
    let mut owner_name = None;
    let (inner, path, form) = if let Some(version) = map.get_mut("PolicyVersion") {
        let path = root.key("PolicyVersion").key("Document");
        match version.get_mut("Document") {
            Some(document) => (document.take(), path, Form::PolicyVersion),
            None => {
                return Err(InputError::at(
                    &root.key("PolicyVersion"),
                    "no Document: expected `aws iam get-policy-version` output",
                ))
            }
        }
    } else if map.contains_key("PolicyDocument") {
        let named = [
            ("RoleName", Owner::Role),
            ("UserName", Owner::User),
            ("GroupName", Owner::Group),
        ]
        .into_iter()
        .find_map(|(key, owner)| Some((owner, map.get(key)?.as_str()?.to_string())));
        let owner = named.as_ref().map(|(owner, _)| *owner);
        owner_name = named.map(|(_, name)| name);
        let document = map
            .get_mut("PolicyDocument")
            .map(Value::take)
            .unwrap_or_default();
        (
            document,
            root.key("PolicyDocument"),
            Form::PolicyDocument(owner),
        )
    } else {
        let source = Source {
            form: Form::Bare,
            path: root,
            encoding: Encoding::Json,
            owner_name: None,
        };
        return Ok((Value::Object(map), source));
    };
    match inner {
        Value::String(encoded) => {
            let (document, encoding) = decode_document(&encoded, &path)?;
            Ok((
                document,
                Source {
                    form,
                    path,
                    encoding,
                    owner_name,
                },
            ))
        }
        other => Ok((
            other,
            Source {
                form,
                path,
                encoding: Encoding::Json,
                owner_name,
            },
        )),
    }
}

/// Decodes a document given as a string: URL-encoded JSON, or plain JSON.
pub fn decode_document(encoded: &str, path: &JsonPath) -> Result<(Value, Encoding), InputError> {
    let plain = encoded.trim_start().starts_with('{');
    let decoded = if plain {
        encoded.to_string()
    } else {
        percent_decode(encoded).ok_or_else(|| {
            InputError::at(
                path,
                "the URL-encoded document has a bad %-escape or is not UTF-8",
            )
        })?
    };
    let document = json::read(&decoded, "an IAM policy document")
        .map_err(|err| InputError::at(path, format!("the embedded document: {err}")))?;
    let encoding = if plain {
        Encoding::JsonString
    } else {
        Encoding::UrlEncoded
    };
    Ok((document, encoding))
}

/// RFC 3986 percent-encoding of everything but the unreserved characters,
/// the inverse of the decoding applied to URL-encoded documents.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// RFC 3986 percent-decoding (`+` stays `+`); `None` on a bad escape or
/// when the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A short description of a JSON value's type, for messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks a bare policy document and builds its statements.
fn from_document(document: Value, source: Source) -> Result<Policy, InputError> {
    let path = &source.path;
    let Value::Object(map) = &document else {
        return Err(InputError::at(
            path,
            format!(
                "expected a policy document (a JSON object), found {}",
                kind(&document)
            ),
        ));
    };
    if let Some(version) = map.get("Version") {
        if !version.as_str().is_some_and(|v| VERSIONS.contains(&v)) {
            return Err(InputError::at(
                &path.key("Version"),
                format!(
                    "unknown policy Version {version}: expected \"2012-10-17\" or \"2008-10-17\""
                ),
            ));
        }
    }
    let statement_path = path.key("Statement");
    let (list, lone_statement): (Vec<&Value>, bool) = match map.get("Statement") {
        Some(Value::Array(items)) => (items.iter().collect(), false),
        Some(item @ Value::Object(_)) => (vec![item], true),
        Some(other) => {
            return Err(InputError::at(&statement_path, format!("Statement must be an object or an array of objects, found {}", kind(other))))
        }
        None => {
            return Err(InputError::at(path, "no Statement: expected an IAM policy document")
                .with_hint("accepted: a policy document, `aws iam get-policy-version` output, or `get-role-policy` output"))
        }
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
        document,
        statements,
        lone_statement,
        source,
    })
}

/// Checks one statement.
fn statement(index: usize, value: &Value, path: JsonPath) -> Result<Statement, InputError> {
    let Value::Object(map) = value else {
        return Err(InputError::at(
            &path,
            format!("a statement must be an object, found {}", kind(value)),
        ));
    };
    let effect = match map.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(InputError::at(
                &path.key("Effect"),
                format!("Effect must be \"Allow\" or \"Deny\" (case-sensitive), found {other}"),
            ))
        }
        None => {
            return Err(InputError::at(
                &path,
                "no Effect: every statement needs \"Effect\": \"Allow\" or \"Deny\"",
            ))
        }
    };
    let key = match (map.get("Action"), map.get("NotAction")) {
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
    let element = &map[key.as_str()];
    let element_path = path.key(key.as_str());
    let (values, was_string): (Vec<&Value>, bool) = match element {
        Value::String(_) => (vec![element], true),
        Value::Array(items) => (items.iter().collect(), false),
        other => {
            return Err(InputError::at(
                &element_path,
                format!(
                    "{} must be a string or an array of strings, found {}",
                    key.as_str(),
                    kind(other)
                ),
            ))
        }
    };
    let mut entries = Vec::with_capacity(values.len());
    for (i, value) in values.into_iter().enumerate() {
        let entry_path = element_path_for(&element_path, was_string, i);
        let Value::String(text) = value else {
            return Err(InputError::at(
                &entry_path,
                format!("an action must be a string, found {}", kind(value)),
            ));
        };
        check_action(text).map_err(|message| InputError::at(&entry_path, message))?;
        entries.push(Glob::new(text));
    }
    Ok(Statement {
        index,
        sid: map.get("Sid").and_then(Value::as_str).map(str::to_string),
        effect,
        has_principal: map.contains_key("Principal") || map.contains_key("NotPrincipal"),
        key,
        entries,
        was_string,
        path,
        value: value.clone(),
    })
}

/// Checks the form of an action entry: `*`, or `prefix:name` with exactly
/// one colon and both sides non-empty (wildcards allowed on either side),
/// and no control character (U+0000–U+001F, U+007F–U+009F), which IAM
/// refuses too and which no action name has.
pub fn check_action(text: &str) -> Result<(), String> {
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "{} contains the control character U+{:04X}: not an action",
            quote(text),
            c as u32
        ));
    }
    if text == "*" {
        return Ok(());
    }
    match text.split_once(':') {
        _ if text.is_empty() => Err("an empty action: expected \"service:Action\"".to_string()),
        None => Err(format!(
            "{} has no service prefix: expected \"service:Action\" or \"*\"",
            quote(text)
        )),
        Some((service, name)) if service.is_empty() || name.is_empty() => Err(format!(
            "{} is not of the form \"service:Action\"",
            quote(text)
        )),
        Some((_, name)) if name.contains(':') => {
            Err(format!("{} has more than one ':'", quote(text)))
        }
        Some(_) => Ok(()),
    }
}

impl Policy {
    /// A copy of the document with `edits` applied, one per statement
    /// (`None` = unchanged). Removed statements leave no trace; an action
    /// element that was a string stays a string while it holds one entry.
    pub fn apply(&self, edits: &[Option<Edit>]) -> Value {
        let mut document = self.document.clone();
        if !document.is_object() {
            return document;
        }
        let statements: Vec<Value> = match document.get_mut("Statement").map(Value::take) {
            Some(Value::Array(items)) => items,
            Some(item) => vec![item],
            None => Vec::new(),
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
            };
            let element = if statement.was_string && entries.len() == 1 {
                Value::String(entries[0].clone())
            } else {
                Value::Array(entries.iter().cloned().map(Value::String).collect())
            };
            if let Value::Object(map) = value {
                // The element keeps its place among the statement's keys,
                // under its new name when the key changes.
                let old = statement.key.as_str();
                let mut element = Some(element);
                let renamed = map
                    .into_iter()
                    .map(|(k, v)| match k == old {
                        true => (key.as_str().to_string(), element.take().unwrap_or(v)),
                        false => (k, v),
                    })
                    .collect();
                value = Value::Object(renamed);
            }
            kept.push(value);
        }
        let statement = if self.lone_statement && kept.len() == 1 {
            kept.pop().expect("one statement")
        } else {
            Value::Array(kept)
        };
        if let Some(map) = document.as_object_mut() {
            map.insert("Statement".to_string(), statement);
        }
        document
    }
}

/// Pretty JSON with a 2-space indent and a final newline: the canonical
/// form `refine` prints and diffs.
pub fn to_pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value always serializes");
    text.push('\n');
    text
}

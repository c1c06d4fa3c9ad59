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

use crate::error::{escape, quote, InputError, JsonPath};
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

/// A policy: the input as read, the document in it, and its statements.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The input as read: the document itself, or the wrapper that holds
    /// it; its spans index the input text.
    pub tree: Value,
    /// The document, when the input holds it as a string (URL-encoded or
    /// plain JSON): read from the decoded text, whose offsets its spans
    /// are.
    decoded: Option<Value>,
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
    from_tree(document, None, source)
}

/// Reads a policy from JSON text in any accepted form.
pub fn parse(text: &str) -> Result<Policy, InputError> {
    read_tree(json::read(text, "an IAM policy document")?)
}

/// Reads a policy in any accepted form from the tree of its input.
pub fn read_tree(tree: Value) -> Result<Policy, InputError> {
    let (decoded, source) = unwrap(&tree)?;
    from_tree(tree, decoded, source)
}

/// Finds the policy document inside the accepted wrappers: where it is,
/// and the document decoded when it is written as a string.
fn unwrap(tree: &Value) -> Result<(Option<Value>, Source), InputError> {
    let root = JsonPath::root();
    if !tree.is_object() {
        return Err(InputError::whole(format!(
            "expected an IAM policy document (a JSON object), found {}",
            tree.kind_name()
        )));
    }
    let mut owner_name = None;
    let (path, form) = if let Some(version) = tree.get("PolicyVersion") {
        if version.get("Document").is_none() {
            return Err(InputError::at(
                &root.key("PolicyVersion"),
                "no Document: expected `aws iam get-policy-version` output",
            ));
        }
        (
            root.key("PolicyVersion").key("Document"),
            Form::PolicyVersion,
        )
    } else if tree.get("PolicyDocument").is_some() {
        let named = [
            ("RoleName", Owner::Role),
            ("UserName", Owner::User),
            ("GroupName", Owner::Group),
        ]
        .into_iter()
        .find_map(|(key, owner)| Some((owner, tree.get(key)?.as_str()?.to_string())));
        let owner = named.as_ref().map(|(owner, _)| *owner);
        owner_name = named.map(|(_, name)| name);
        (root.key("PolicyDocument"), Form::PolicyDocument(owner))
    } else {
        (root, Form::Bare)
    };
    let (decoded, encoding) = match tree.at(&path).and_then(Value::as_str) {
        Some(encoded) => {
            let (document, encoding) = decode_document(encoded, &path)?;
            (Some(document), encoding)
        }
        None => (None, Encoding::Json),
    };
    let source = Source {
        form,
        path,
        encoding,
        owner_name,
    };
    Ok((decoded, source))
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

/// Checks the document `tree` holds (or `decoded`, when given) and builds
/// its statements.
fn from_tree(tree: Value, decoded: Option<Value>, source: Source) -> Result<Policy, InputError> {
    let path = &source.path;
    let document = match &decoded {
        Some(document) => document,
        None => tree.at(path).unwrap_or(&tree),
    };
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
                    escape(&json::write::compact(version))
                ),
            ));
        }
    }
    let statement_path = path.key("Statement");
    let (list, lone_statement): (Vec<&Value>, bool) = match document.get("Statement") {
        Some(Value { kind: Kind::Array(items), .. }) => (items.iter().collect(), false),
        Some(item) if item.is_object() => (vec![item], true),
        Some(other) => {
            return Err(InputError::at(&statement_path, format!("Statement must be an object or an array of objects, found {}", other.kind_name())))
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
        tree,
        decoded,
        statements,
        lone_statement,
        source,
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
                    escape(&json::write::compact(other))
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
        check_action(text).map_err(|message| InputError::at(&entry_path, message))?;
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
    /// The bare policy document (unwrapped and decoded).
    pub fn document(&self) -> &Value {
        match &self.decoded {
            Some(document) => document,
            None => self.tree.at(&self.source.path).unwrap_or(&self.tree),
        }
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

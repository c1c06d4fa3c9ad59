//! The JSON file host: a policy document in a `.json` file, bare or in the
//! wrappers the AWS API returns.
//!
//! Accepted forms:
//!
//! * a policy document;
//! * `aws iam get-policy-version` output (`PolicyVersion.Document`): a
//!   managed policy;
//! * `get-role-policy` / `get-user-policy` / `get-group-policy` output
//!   (`PolicyDocument`, with `RoleName` / `UserName` / `GroupName`): an
//!   inline policy of that principal.
//!
//! In a wrapper the document may be a string: URL-encoded JSON (RFC 3986
//! percent-encoding, as the raw API returns it), or plain JSON. Such a
//! document has no layout to keep, so a rewrite replaces the string by the
//! refined document, compact and encoded the same way; a document written
//! as JSON is rewritten in its own layout (`json_splice.rs`).

use super::json_splice::{self, apply_splices, same_document, spans_fit, RewriteError, Splice};
use super::{Embedded, Host, OwnerName, Principal, Rewritten};
use crate::engine::checked::Checked;
use crate::error::{InputError, JsonPath};
use crate::input::policy::{self, ActionKey, Edit, Owner, Policy};
use crate::json::{self, Kind, Span, Value};
use crate::model::size::Limit;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Which form a JSON file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A policy document.
    Bare,
    /// `aws iam get-policy-version` output: a managed policy.
    PolicyVersion,
    /// `get-role-policy`, `get-user-policy` or `get-group-policy` output:
    /// an inline policy, of the kind of principal the output names.
    PolicyDocument(Option<Owner>),
}

/// How the document is written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// As JSON.
    Json,
    /// As a string holding URL-encoded JSON, as the raw API returns it.
    UrlEncoded,
    /// As a string holding JSON.
    JsonString,
}

/// RFC 3986's unreserved characters stay as they are; everything else is
/// `%XX`.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A JSON file holding one policy document.
#[derive(Debug, Clone)]
pub struct JsonFile<'t> {
    text: &'t str,
    tree: Value,
    form: Form,
    encoding: Encoding,
    embedded: [Embedded; 1],
}

impl<'t> JsonFile<'t> {
    /// Reads `text` in any accepted form.
    pub fn read(text: &'t str) -> Result<JsonFile<'t>, InputError> {
        JsonFile::from_tree(text, json::read(text, "an IAM policy document")?)
    }

    /// Reads a file whose tree is already read from `text`.
    pub fn from_tree(text: &'t str, tree: Value) -> Result<JsonFile<'t>, InputError> {
        let (form, path, principal) = unwrap(&tree)?;
        let at = tree.at(&path).unwrap_or(&tree);
        let (document, encoding) = match at.as_str() {
            Some(encoded) => decode_document(encoded, &path)?,
            None => (at.clone(), Encoding::Json),
        };
        let policy = policy::from_document(document, path)?;
        let limit = match form {
            Form::Bare => None,
            Form::PolicyVersion => Some(Limit::Managed),
            Form::PolicyDocument(owner) => owner.map(Limit::Inline),
        };
        Ok(JsonFile {
            text,
            tree,
            form,
            encoding,
            embedded: [Embedded {
                policy,
                owners: principal.into_iter().map(OwnerName::Exact).collect(),
                limit,
                place: None,
                not_evaluated: 0,
            }],
        })
    }

    /// The form the file has.
    pub fn form(&self) -> Form {
        self.form
    }

    /// How the document is written in the file.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The policy the file holds.
    pub fn policy(&self) -> &Policy {
        &self.embedded[0].policy
    }

    /// The policy the file holds, taken out.
    pub fn into_policy(self) -> Policy {
        let [embedded] = self.embedded;
        embedded.policy
    }

    /// The file's text with `edits` (one per statement) written in, every
    /// other byte kept, and checked to read back as the document the edits
    /// make. Unlike [`Host::rewrite`] nothing says the edits are a
    /// verified refinement: this is for tests and fuzzing of the layout
    /// rules, not for writing files.
    pub fn rewrite_edits(&self, edits: &[Option<Edit>]) -> Result<String, RewriteError> {
        let policy = self.policy();
        if edits.iter().all(Option::is_none) {
            return Ok(self.text.to_string());
        }
        if edits.len() != policy.statements.len() {
            return Err(RewriteError::new(format!(
                "{} edits for {} statements",
                edits.len(),
                policy.statements.len()
            )));
        }
        if !spans_fit(self.text, &self.tree) {
            return Err(RewriteError::new("the policy was not read from this text"));
        }
        let refined = policy.apply(edits);
        let node = self.tree.at(&policy.path).ok_or_else(|| {
            RewriteError::new(format!("no policy document at {} in the text", policy.path))
        })?;
        let splices = match self.encoding {
            Encoding::Json => json_splice::statement_splices(self.text, node, policy, edits)?,
            Encoding::UrlEncoded | Encoding::JsonString => {
                vec![document_splice(node, &refined, self.encoding)?]
            }
        };
        let result = apply_splices(self.text, splices)?;
        let reread = JsonFile::read(&result).map_err(|err| {
            RewriteError::new(format!("the rewritten text is not a policy: {err}"))
        })?;
        same_document(&refined, reread.policy().document())?;
        Ok(result)
    }
}

impl Host for JsonFile<'_> {
    fn text(&self) -> &str {
        self.text
    }

    fn policies(&self) -> &[Embedded] {
        &self.embedded
    }

    fn locate(&self, path: &JsonPath) -> Span {
        self.tree.deepest(path).span
    }

    fn element(&self, statement: &JsonPath, key: ActionKey) -> Option<(Span, Span)> {
        if self.encoding != Encoding::Json {
            return None;
        }
        let member = self.tree.at(statement)?.member(key.as_str())?;
        Some((member.key_span, member.value.span))
    }

    fn rewrite(&self, refined: &[Option<&Checked>]) -> Result<Rewritten, RewriteError> {
        match refined {
            [None] => Ok(Rewritten::new(self.text.to_string())),
            [Some(checked)] => Ok(Rewritten::new(self.rewrite_edits(checked.edits())?)),
            _ => Err(RewriteError::new(format!(
                "{} refinements for a file of one policy",
                refined.len()
            ))),
        }
    }
}

/// Where the document is in an accepted form: the form, the document's
/// path, and the principal the wrapper names.
fn unwrap(tree: &Value) -> Result<(Form, JsonPath, Option<Principal>), InputError> {
    let root = JsonPath::root();
    if !tree.is_object() {
        return Err(InputError::whole(format!(
            "expected an IAM policy document (a JSON object), found {}",
            tree.kind_name()
        )));
    }
    if let Some(version) = tree.get("PolicyVersion") {
        if version.get("Document").is_none() {
            return Err(InputError::at(
                &root.key("PolicyVersion"),
                "no Document: expected `aws iam get-policy-version` output",
            ));
        }
        return Ok((
            Form::PolicyVersion,
            root.key("PolicyVersion").key("Document"),
            None,
        ));
    }
    if tree.get("PolicyDocument").is_none() {
        return Ok((Form::Bare, root, None));
    }
    let named: Vec<(&str, Principal)> = [
        ("RoleName", Owner::Role),
        ("UserName", Owner::User),
        ("GroupName", Owner::Group),
    ]
    .into_iter()
    .filter_map(|(key, kind)| {
        let name = tree.get(key)?.as_str()?.to_string();
        Some((key, Principal { kind, name }))
    })
    .collect();
    // Output of one API call names one principal; a file naming two is
    // not something to pick from (refining for one could drop what the
    // other uses).
    if let [(first, _), (second, _), ..] = named[..] {
        return Err(InputError::at(
            &root.key(second),
            format!("names both {first} and {second}: which principal's policy is it?"),
        ));
    }
    let principal = named.into_iter().next().map(|(_, principal)| principal);
    let form = Form::PolicyDocument(principal.as_ref().map(|p| p.kind));
    Ok((form, root.key("PolicyDocument"), principal))
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

/// RFC 3986 percent-decoding (`+` stays `+`); `None` on an escape that is
/// not `%` and two hex digits, or when the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let escapes_are_hex = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !escapes_are_hex {
        return None;
    }
    percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// RFC 3986 percent-encoding of everything but the unreserved characters,
/// the inverse of the decoding applied to URL-encoded documents.
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, ENCODED).to_string()
}

/// The splice that replaces a document written as a string with the refined
/// document, compact and encoded as before.
fn document_splice(
    node: &Value,
    refined: &Value,
    encoding: Encoding,
) -> Result<Splice, RewriteError> {
    if !matches!(node.kind, Kind::String(_)) {
        return Err(RewriteError::new(
            "the policy document is a string in the policy but not in the text",
        ));
    }
    let compact = json::write::compact(refined);
    let payload = match encoding {
        Encoding::UrlEncoded => percent_encode(&compact),
        Encoding::Json | Encoding::JsonString => compact,
    };
    Ok(Splice::node(node, json_splice::quote(&payload)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_must_be_two_hex_digits() {
        assert_eq!(percent_decode("%7B%22a%22%7D").as_deref(), Some("{\"a\"}"));
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
        assert_eq!(percent_decode("%+A"), None, "a sign is not a hex digit");
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%FF"), None, "not UTF-8");
        assert_eq!(
            percent_encode("{\"a\": \"é~\"}"),
            "%7B%22a%22%3A%20%22%C3%A9~%22%7D"
        );
    }

    #[test]
    fn each_form_says_its_limit_and_owner() {
        let bare = JsonFile::read(r#"{"Statement": []}"#).unwrap();
        assert_eq!((bare.form(), bare.policies()[0].limit), (Form::Bare, None));
        let role = JsonFile::read(
            r#"{"RoleName": "app", "PolicyName": "p", "PolicyDocument": "%7B%22Statement%22%3A%5B%5D%7D"}"#,
        )
        .unwrap();
        assert_eq!(role.encoding(), Encoding::UrlEncoded);
        assert_eq!(role.policies()[0].limit, Some(Limit::Inline(Owner::Role)));
        assert_eq!(
            role.policies()[0].named(),
            Some(&Principal {
                kind: Owner::Role,
                name: "app".into()
            })
        );
        assert_eq!(
            role.element(
                &JsonPath::root().key("PolicyDocument").key("Statement"),
                ActionKey::Action
            ),
            None
        );
        let version =
            JsonFile::read(r#"{"PolicyVersion": {"Document": {"Statement": []}}}"#).unwrap();
        assert_eq!(version.policies()[0].limit, Some(Limit::Managed));
    }
}

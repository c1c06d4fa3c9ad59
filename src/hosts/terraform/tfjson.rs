//! Terraform's JSON syntax (`*.tf.json`): read twice over.
//!
//! * For owners, the file is written out as the HCL it stands for
//!   ([`to_hcl`]) and read with the `.tf` files: blocks, attributes, and
//!   strings that are one interpolation (`"${aws_iam_role.app.name}"`) as
//!   the expression inside. JSON has no schema to tell a nested block from
//!   an object attribute: the names of the nested blocks refine reads
//!   (`statement`, `inline_policy`, `principals`, `condition`, `dynamic`,
//!   ...) are blocks, every other object an attribute.
//! * For policies, `data "aws_iam_policy_document"` blocks are read from
//!   the JSON itself ([`documents`]), so that rewrites are JSON splices into
//!   the file: its `statement` list (or lone object), each statement's
//!   `actions`/`not_actions` list. A string holding `${...}` is not
//!   evaluated. A `policy` written as a string (`"${jsonencode({...})}"`,
//!   escaped JSON) is HCL or JSON inside a JSON string: reported, not
//!   changed.

use super::find::{Found, Holder, Left, INCLUDES};
use super::hcl::{self, opaque};
use crate::hosts::Syntax;
use crate::json::{Kind, Member, Span, Value};
use std::fmt::Write as _;

/// The nested block types refine reads, which JSON writes as objects (or
/// lists of objects).
const BLOCKS: [&str; 8] = [
    "statement",
    "inline_policy",
    "principals",
    "not_principals",
    "condition",
    "dynamic",
    "lifecycle",
    "content",
];

/// The top-level block types that have two labels (`resource "t" "n"`).
const TWO_LABELS: [&str; 2] = ["resource", "data"];

/// The top-level block types that have one label (`module "n"`).
const ONE_LABEL: [&str; 5] = ["module", "variable", "output", "provider", "check"];

/// The HCL a Terraform JSON file stands for, for following references.
pub fn to_hcl(tree: &Value) -> String {
    let mut out = String::new();
    for member in members(tree) {
        let kind = member.key.as_str();
        if TWO_LABELS.contains(&kind) {
            for by_type in members(&member.value) {
                for by_name in members(&by_type.value) {
                    for body in bodies(&by_name.value) {
                        let labels = [by_type.key.as_str(), by_name.key.as_str()];
                        block(&mut out, kind, &labels, body, 0);
                    }
                }
            }
        } else if ONE_LABEL.contains(&kind) {
            for by_name in members(&member.value) {
                for body in bodies(&by_name.value) {
                    block(&mut out, kind, &[by_name.key.as_str()], body, 0);
                }
            }
        } else if kind == "locals" {
            for body in bodies(&member.value) {
                block(&mut out, kind, &[], body, 0);
            }
        }
    }
    out
}

/// The members of an object, or of every object of a list: the JSON
/// syntax allows a list of objects wherever it allows an object of labels
/// or blocks.
fn members(value: &Value) -> Vec<&Member> {
    bodies(value)
        .into_iter()
        .flat_map(|body| body.as_object().unwrap_or_default())
        .collect()
}

/// A block's bodies: an object, or each object of a list.
fn bodies(value: &Value) -> Vec<&Value> {
    match &value.kind {
        Kind::Array(items) => items.iter().filter(|i| i.is_object()).collect(),
        Kind::Object(_) => vec![value],
        _ => Vec::new(),
    }
}

fn block(out: &mut String, kind: &str, labels: &[&str], body: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = write!(out, "{indent}{kind}");
    for label in labels {
        let _ = write!(out, " {}", quoted(label));
    }
    out.push_str(" {\n");
    for member in body.as_object().unwrap_or_default() {
        let key = member.key.as_str();
        if key == "//" || !is_identifier(key) {
            continue;
        }
        if BLOCKS.contains(&key) && depth < 8 {
            for inner in bodies(&member.value) {
                match key {
                    // `dynamic "statement" { ... }`: one label each.
                    "dynamic" => {
                        for by_label in inner.as_object().unwrap_or_default() {
                            for content in bodies(&by_label.value) {
                                let label = [by_label.key.as_str()];
                                block(out, key, &label, content, depth + 1);
                            }
                        }
                    }
                    _ => block(out, key, &[], inner, depth + 1),
                }
            }
            continue;
        }
        let _ = writeln!(out, "{indent}  {key} = {}", expression(&member.value));
    }
    let _ = writeln!(out, "{indent}}}");
}

/// A JSON value as the HCL expression it stands for.
fn expression(value: &Value) -> String {
    match &value.kind {
        Kind::Null => "null".into(),
        Kind::Bool(b) => b.to_string(),
        Kind::Number(n) => n.clone(),
        Kind::String(s) => match sole_interpolation(s) {
            Some(inner) => format!("({inner})"),
            None => quoted(s),
        },
        Kind::Array(items) => {
            let items: Vec<String> = items.iter().map(expression).collect();
            format!("[{}]", items.join(", "))
        }
        Kind::Object(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|m| format!("{} = {}", quoted(&m.key), expression(&m.value)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
    }
}

/// The expression of a string that is one interpolation and nothing else.
fn sole_interpolation(s: &str) -> Option<&str> {
    match &parts(s)[..] {
        // `${~ x ~}` strips the whitespace around it: `x` all the same.
        [(true, inner)] => Some(inner.trim_start_matches('~').trim_end_matches('~').trim()),
        _ => None,
    }
}

/// A JSON string of Terraform's as template parts: literal text, and the
/// expressions of `${...}` interpolations (quotes and braces inside them
/// balanced).
fn parts(s: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let (mut i, mut literal) = (0, 0);
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'$' {
            i += 2;
            continue;
        }
        if bytes[i] != b'$' || bytes[i + 1] != b'{' {
            i += 1;
            continue;
        }
        let Some(end) = closing(bytes, i + 2) else {
            break;
        };
        if literal < i {
            out.push((false, &s[literal..i]));
        }
        out.push((true, &s[i + 2..end]));
        i = end + 1;
        literal = i;
    }
    if literal < s.len() {
        out.push((false, &s[literal..]));
    }
    out
}

/// The index of the `}` closing an interpolation whose expression starts
/// at `from`.
fn closing(bytes: &[u8], from: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut i) = (0usize, false, from);
    while i < bytes.len() {
        match (bytes[i], in_string) {
            (b'\\', true) => i += 1,
            (b'"', _) => in_string = !in_string,
            (b'{', false) => depth += 1,
            (b'}', false) if depth == 0 => return Some(i),
            (b'}', false) => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// `text` as an HCL string: literal parts escaped, interpolations as
/// written.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for (interpolation, part) in parts(text) {
        if interpolation {
            let _ = write!(out, "${{{part}}}");
            continue;
        }
        for c in part.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
    out
}

fn is_identifier(key: &str) -> bool {
    key.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The policy documents of a Terraform JSON file, spans in it, and what
/// is left as written.
pub fn documents(text: &str, tree: &Value) -> (Vec<Found>, Vec<Left>) {
    let mut found = Vec::new();
    let mut left = Vec::new();
    let section = |key: &str| -> Vec<&Member> {
        members(tree)
            .into_iter()
            .filter(|m| m.key == key)
            .flat_map(|m| members(&m.value))
            .collect()
    };
    for by_type in section("data") {
        if by_type.key != "aws_iam_policy_document" {
            continue;
        }
        for by_name in members(&by_type.value) {
            let address = format!("data.aws_iam_policy_document.{}", by_name.key);
            match document(text, &by_name.value) {
                Some((document, included)) => found.push(Found {
                    address,
                    at: by_name.key_span,
                    document,
                    syntax: Syntax::Json,
                    holder: Holder::Document {
                        name: by_name.key.clone(),
                    },
                    limit: None,
                    included,
                    trust: false,
                }),
                None => left.push(Left {
                    at: by_name.key_span,
                    why: format!("{address} is not one block of the form refine reads"),
                    address: Some(address),
                }),
            }
        }
    }
    for by_type in section("resource") {
        for by_name in members(&by_type.value) {
            for body in bodies(&by_name.value) {
                let address = format!("{}.{}", by_type.key, by_name.key);
                let inline = body.get("inline_policy").map(bodies).unwrap_or_default();
                for holder in std::iter::once(body).chain(inline) {
                    if let Some(why) = written_policy(holder, &address) {
                        left.push(why);
                    }
                }
            }
        }
    }
    (found, left)
}

/// A note for a `policy` written in a string (`"${jsonencode(...)}"`,
/// escaped JSON), which refine does not read; `None` for a reference.
fn written_policy(holder: &Value, address: &str) -> Option<Left> {
    let policy = holder.member("policy")?;
    if policy
        .value
        .as_str()
        .is_some_and(|s| sole_interpolation(s).is_some_and(|e| !e.contains('(')))
    {
        // A reference: the document is refined where it is written.
        return None;
    }
    Some(Left {
        at: policy.value.span,
        why: format!(
            "the policy of {address} is written inside a JSON string (an aws_iam_policy_document data source would be refined)"
        ),
        address: Some(address.to_string()),
    })
}

/// One `aws_iam_policy_document` body as the JSON Terraform makes of it,
/// and how many documents it includes; `None` for a list of bodies.
fn document(text: &str, body: &Value) -> Option<(Value, usize)> {
    let members = body.as_object()?;
    // The documents it includes, and its `dynamic "statement"` blocks:
    // parts of it not evaluated here.
    let dynamic = body
        .get("dynamic")
        .map(|d| {
            self::members(d)
                .iter()
                .filter(|m| m.key == "statement")
                .map(|m| bodies(&m.value).len())
                .sum::<usize>()
        })
        .unwrap_or_default();
    let included = INCLUDES.iter().filter(|k| body.get(k).is_some()).count() + dynamic;
    let mut out = Vec::new();
    if let Some(version) = body.member("version") {
        out.push(renamed(version, "Version", text));
    }
    let statement = members.iter().find(|m| m.key == "statement");
    let (value, key_span) = match statement {
        Some(member) => {
            let value = match &member.value.kind {
                Kind::Array(items) => Value {
                    span: member.value.span,
                    kind: Kind::Array(
                        items
                            .iter()
                            .map(|s| statement_of(text, s, included > 0))
                            .collect(),
                    ),
                },
                Kind::Object(_) => statement_of(text, &member.value, included > 0),
                _ => opaque(text, member.value.span),
            };
            (value, member.key_span)
        }
        None => (
            Value {
                span: body.span,
                kind: Kind::Array(Vec::new()),
            },
            Span {
                start: body.span.start,
                end: body.span.start,
            },
        ),
    };
    out.push(Member {
        key: "Statement".into(),
        key_span,
        value,
    });
    Some((
        Value {
            span: body.span,
            kind: Kind::Object(out),
        },
        included,
    ))
}

/// One statement object as a JSON statement (see `find::statement`).
fn statement_of(text: &str, statement: &Value, includes: bool) -> Value {
    let Some(members) = statement.as_object() else {
        return opaque(text, statement.span);
    };
    let has = |key: &str| statement.get(key).is_some();
    let principals = has("principals") || has("not_principals") || has("dynamic");
    if principals || (includes && has("sid")) || !(has("actions") || has("not_actions")) {
        return opaque(text, statement.span);
    }
    let mut out = Vec::new();
    for (key, name) in [
        ("sid", "Sid"),
        ("effect", "Effect"),
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
        ("condition", "Condition"),
    ] {
        if let Some(member) = members.iter().find(|m| m.key == key) {
            out.push(renamed(member, name, text));
        } else if key == "effect" {
            out.push(Member {
                key: "Effect".into(),
                key_span: statement.span,
                value: Value {
                    span: statement.span,
                    kind: Kind::String("Allow".into()),
                },
            });
        }
    }
    Value {
        span: statement.span,
        kind: Kind::Object(out),
    }
}

/// `member` under the IAM name `name`, its strings with template syntax
/// opaque.
fn renamed(member: &Member, name: &str, text: &str) -> Member {
    let mut value = member.value.clone();
    hcl::mark_templates(text, &mut value);
    Member {
        key: name.into(),
        key_span: member.key_span,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_syntax_stands_for_blocks_attributes_and_references() {
        let tree = crate::json::read(
            r#"{"resource": {"aws_iam_role_policy": {"p": {"role": "${aws_iam_role.app.id}", "name": "x-${var.env}", "policy": "${data.aws_iam_policy_document.d.json}"}}},
                "data": {"aws_iam_policy_document": {"d": {"statement": [{"actions": ["s3:GetObject"]}]}}},
                "module": {"m": {"source": "./m", "//": "a comment"}},
                "locals": {"n": 1}}"#,
            "x",
        )
        .unwrap();
        let hcl = to_hcl(&tree);
        assert_eq!(
            hcl,
            "resource \"aws_iam_role_policy\" \"p\" {\n  role = (aws_iam_role.app.id)\n  name = \"x-${var.env}\"\n  policy = (data.aws_iam_policy_document.d.json)\n}\ndata \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions = [\"s3:GetObject\"]\n  }\n}\nmodule \"m\" {\n  source = \"./m\"\n}\nlocals {\n  n = 1\n}\n"
        );
        assert!(hcl_edit::parser::parse_body(&hcl).is_ok());
        assert_eq!(
            quoted(r#"${file("${path.module}/p.json")} "x"\$${y}"#),
            r#""${file("${path.module}/p.json")} \"x\"\\$${y}""#
        );
        assert_eq!(
            sole_interpolation(r#"${file("${path.module}/p.json")}"#),
            Some(r#"file("${path.module}/p.json")"#)
        );
        assert_eq!(sole_interpolation("${a} ${b}"), None);
        assert_eq!(
            sole_interpolation("${~ aws_iam_role.a.id ~}"),
            Some("aws_iam_role.a.id")
        );
    }
}

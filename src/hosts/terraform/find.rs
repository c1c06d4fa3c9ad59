//! The identity policies written in one `.tf` file, and what each is
//! attached by.
//!
//! Where policies are written:
//! * `data "aws_iam_policy_document"`: its `statement` blocks, read as the
//!   JSON Terraform makes of them (`effect` defaults to Allow; `actions`
//!   and `not_actions` are Action and NotAction). A statement with
//!   `principals` or `not_principals` belongs to a resource or trust
//!   policy, and a `dynamic "statement"` is not evaluated: both stay as
//!   written.
//! * The `policy` of `aws_iam_policy`, `aws_iam_role_policy`,
//!   `aws_iam_user_policy` and `aws_iam_group_policy`, and of the
//!   `inline_policy` blocks of `aws_iam_role`, written as
//!   `jsonencode({...})` or as JSON in a heredoc.
//!
//! Everything else in a `policy` (a reference to a policy document, which
//! is refined where it is written; `file(...)`; an expression) is not a
//! document of this file: a note says so when it is not a reference.

use super::hcl::{self, attribute, labels, opaque, span_of};
use crate::hosts::Syntax;
use crate::json::{Kind, Member, Span, Value};
use crate::model::principal::Owner;
use crate::model::size::Limit;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};

/// What attaches a policy found in a file, as the owner rules read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// `aws_iam_role_policy` (user, group) `name`: owned by the principal
    /// its `role` (`user`, `group`) names.
    Inline {
        /// The resource type.
        kind: String,
        /// The resource name.
        name: String,
    },
    /// An `inline_policy` block of `aws_iam_role` `name`.
    RoleInline {
        /// The role's resource name.
        name: String,
    },
    /// `aws_iam_policy` `name`: owned by what attaches it.
    Managed {
        /// The resource name.
        name: String,
    },
    /// `data "aws_iam_policy_document"` `name`: owned by the owners of
    /// every policy that uses its JSON.
    Document {
        /// The data source's name.
        name: String,
    },
}

/// A policy document found in a file.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its address in its module (`aws_iam_policy.logs`,
    /// `aws_iam_role.app.inline_policy[0]`).
    pub address: String,
    /// Where the resource or data block starts, for messages.
    pub at: Span,
    /// The document as Terraform's JSON, spans in the file.
    pub document: Value,
    /// How its lists are written: HCL, or JSON in a heredoc.
    pub syntax: Syntax,
    /// What attaches it.
    pub holder: Holder,
    /// The IAM size limit that applies, when the resource type says.
    pub limit: Option<Limit>,
    /// How many other documents it includes (`source_policy_documents`,
    /// `override_policy_documents`, ...): parts of it not evaluated here.
    pub included: usize,
    /// Whether every statement has principals: a trust or resource
    /// policy's document, set aside by the configuration (a rewrite that
    /// removes its last other statement must still read back as it).
    pub trust: bool,
}

/// The attributes of a policy document that include other documents.
pub const INCLUDES: [&str; 4] = [
    "source_policy_documents",
    "override_policy_documents",
    "source_json",
    "override_json",
];

/// A policy read from a file by `file(...)` or `templatefile(...)`: that
/// file is refined as a policy, owned as the resource that reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUse {
    /// The address of the resource (or block) whose `policy` reads it.
    pub address: String,
    /// Where the call is.
    pub at: Span,
    /// The path, as written after `${path.module}/` (relative to the
    /// module's directory) or as a literal (relative to where Terraform
    /// runs: the root module's directory).
    pub path: String,
    /// Whether the path follows `${path.module}/`.
    pub in_module: bool,
    /// What attaches it.
    pub holder: Holder,
    /// The IAM size limit that applies.
    pub limit: Option<Limit>,
}

/// Something refine reports but does not change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    /// Where it is.
    pub at: Span,
    /// What it is and why it stays.
    pub why: String,
    /// The address, when it is a whole policy.
    pub address: Option<String>,
}

/// The principal kind of an inline policy resource type.
pub fn inline_kind(kind: &str) -> Option<(Owner, &'static str)> {
    match kind {
        "aws_iam_role_policy" => Some((Owner::Role, "role")),
        "aws_iam_user_policy" => Some((Owner::User, "user")),
        "aws_iam_group_policy" => Some((Owner::Group, "group")),
        _ => None,
    }
}

/// What one file holds: its policies, the policy files it reads, and
/// what it leaves as written.
#[derive(Debug, Default)]
pub struct Finds {
    /// The policies written in it.
    pub found: Vec<Found>,
    /// The policy files its `file(...)` and `templatefile(...)` read.
    pub files: Vec<FileUse>,
    /// What is left as written.
    pub left: Vec<Left>,
}

/// Every policy of the file `text` read as `body`, and what is left.
pub fn find(text: &str, body: &Body) -> Finds {
    let mut finds = Finds::default();
    for block in body.blocks() {
        let (kind, name) = match labels(block)[..] {
            [kind, name] => (kind, name),
            _ => continue,
        };
        let at = span_of(block);
        match (block.ident.as_str(), kind) {
            ("data", "aws_iam_policy_document") => {
                let address = format!("data.{kind}.{name}");
                let (document, trust) = policy_document(text, block);
                finds.found.push(Found {
                    address,
                    at,
                    document,
                    syntax: Syntax::Hcl,
                    holder: Holder::Document { name: name.into() },
                    limit: None,
                    included: INCLUDES
                        .iter()
                        .filter(|key| block.body.has_attribute(key))
                        .count(),
                    trust,
                });
            }
            ("resource", "aws_iam_policy") => {
                let holder = Holder::Managed { name: name.into() };
                let address = format!("{kind}.{name}");
                let limit = Some(Limit::Managed);
                written(text, &block.body, (address, at, holder, limit), &mut finds);
            }
            ("resource", _) if inline_kind(kind).is_some() => {
                let (owner, _) = inline_kind(kind).unwrap_or((Owner::Role, ""));
                let holder = Holder::Inline {
                    kind: kind.into(),
                    name: name.into(),
                };
                let address = format!("{kind}.{name}");
                let limit = Some(Limit::Inline(owner));
                written(text, &block.body, (address, at, holder, limit), &mut finds);
            }
            ("resource", "aws_iam_role") => {
                for (i, inline) in block.body.get_blocks("inline_policy").enumerate() {
                    let holder = Holder::RoleInline { name: name.into() };
                    let address = format!("{kind}.{name}.inline_policy[{i}]");
                    let limit = Some(Limit::Inline(Owner::Role));
                    let place = (address, span_of(inline), holder, limit);
                    written(text, &inline.body, place, &mut finds);
                }
            }
            _ => {}
        }
    }
    finds
}

/// The document in the `policy` attribute of `body`, when it is written
/// there (`jsonencode`, a heredoc); a note when it is neither that nor a
/// reference.
fn written(
    text: &str,
    body: &Body,
    (address, at, holder, limit): (String, Span, Holder, Option<Limit>),
    finds: &mut Finds,
) {
    let Some(policy) = attribute(body, "policy") else {
        return;
    };
    // The document written here (jsonencode, a heredoc), or why it is not
    // read; `None` for a policy that is not written here.
    let written = match policy {
        Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => Some(
            match call.args.iter().next().map(|arg| hcl::value(text, arg)) {
                Some(document) if !hcl::is_opaque(&document) => Ok((document, Syntax::Hcl)),
                _ => Err("jsonencode of an expression".to_string()),
            },
        ),
        Expression::HeredocTemplate(heredoc) => {
            Some(hcl::heredoc_document(text, span_of(&heredoc.template)).map(|d| (d, Syntax::Json)))
        }
        _ => None,
    };
    if let Some(Ok((document, syntax))) = written {
        return finds.found.push(Found {
            address,
            at,
            document,
            syntax,
            holder,
            limit,
            included: 0,
            trust: false,
        });
    }
    let why = match (written, policy) {
        (Some(Err(why)), _) => why,
        (_, Expression::FuncCall(call))
            if matches!(call.name.name.as_str(), "file" | "templatefile") =>
        {
            match call.args.iter().next().and_then(file_path) {
                Some((path, in_module)) => {
                    let at = span_of(policy);
                    let used = FileUse {
                        address,
                        at,
                        path,
                        in_module,
                        holder,
                        limit,
                    };
                    return finds.files.push(used);
                }
                None => format!(
                    "{}(...) of a path refine cannot tell",
                    call.name.name.as_str()
                ),
            }
        }
        (_, Expression::FuncCall(call)) => format!("{}(...)", call.name.name.as_str()),
        // A reference to a policy document: refined where it is written.
        (_, Expression::Traversal(_)) => return,
        (_, Expression::String(_)) => "a JSON string".into(),
        _ => "an expression".into(),
    };
    finds.left.push(Left {
        at: span_of(policy),
        why: format!("the policy of {address} is {why}"),
        address: Some(address.clone()),
    });
}

/// The path `file(...)` or `templatefile(...)` reads: a literal, or
/// `"${path.module}/..."`; and whether it is the latter.
pub fn file_path(arg: &Expression) -> Option<(String, bool)> {
    use hcl_edit::template::Element;
    match arg {
        Expression::String(path) => Some((path.value().clone(), false)),
        Expression::StringTemplate(template) => {
            let elements: Vec<&Element> = template.iter().collect();
            let [Element::Interpolation(first), Element::Literal(rest)] = elements[..] else {
                return None;
            };
            let names: Vec<String> = hcl::references(&first.expr)
                .into_iter()
                .map(|r| r.names.join("."))
                .collect();
            let is_module =
                names == ["path.module"] && matches!(&first.expr, Expression::Traversal(_));
            let rest = rest.value().strip_prefix('/')?;
            is_module.then(|| (rest.to_string(), true))
        }
        _ => None,
    }
}

/// A `data "aws_iam_policy_document"` as the JSON Terraform makes of it
/// (its own statements: those of the documents it includes are read where
/// they are written), and whether every statement of it has principals (a
/// trust or resource policy, which the configuration sets aside).
fn policy_document(text: &str, block: &Block) -> (Value, bool) {
    let mut statements = Vec::new();
    let mut trust = 0;
    let includes = INCLUDES.iter().any(|key| block.body.has_attribute(key));
    for structure in block.body.iter() {
        let Structure::Block(inner) = structure else {
            continue;
        };
        match (inner.ident.as_str(), labels(inner).first()) {
            ("statement", _) => {
                trust += usize::from(has_principals(&inner.body));
                statements.push(statement(text, inner, includes));
            }
            ("dynamic", Some(&"statement")) => statements.push(opaque(text, span_of(inner))),
            _ => {}
        }
    }
    let trust = trust > 0 && trust == statements.len();
    let mut members = Vec::new();
    if let Some(version) = block.body.get_attribute("version") {
        members.push(member(text, "Version", version));
    }
    let span = span_of(block);
    members.push(Member {
        key: "Statement".into(),
        // No key names `statement` blocks: an empty key span says so to
        // the splices, which then remove a statement by its lines.
        key_span: Span {
            start: span.start,
            end: span.start,
        },
        value: Value {
            span,
            kind: Kind::Array(statements),
        },
    });
    (
        Value {
            span,
            kind: Kind::Object(members),
        },
        trust,
    )
}

/// Whether a statement block names principals: a resource or trust
/// policy's statement.
fn has_principals(body: &Body) -> bool {
    body.has_blocks("principals")
        || body.has_blocks("not_principals")
        || body.get_blocks("dynamic").any(|d| {
            matches!(
                labels(d).first(),
                Some(&"principals") | Some(&"not_principals")
            )
        })
}

/// A member named `key` for the attribute `attr`.
fn member(text: &str, key: &str, attr: &hcl_edit::structure::Attribute) -> Member {
    Member {
        key: key.to_string(),
        key_span: span_of(&attr.key),
        value: hcl::value(text, &attr.value),
    }
}

/// One `statement` block as a JSON statement; opaque when it is a
/// resource or trust policy's (`principals`), has no action element, or
/// has a `sid` in a document that includes others (its `sid` replaces
/// theirs: removed, it would let theirs back).
fn statement(text: &str, block: &Block, includes: bool) -> Value {
    let span = span_of(block);
    let body = &block.body;
    if has_principals(body) || (includes && body.has_attribute("sid")) {
        return opaque(text, span);
    }
    let mut members = Vec::new();
    let mut element = false;
    for (attr_key, key) in [
        ("sid", "Sid"),
        ("effect", "Effect"),
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        if let Some(attr) = body.get_attribute(attr_key) {
            element |= key == "Action" || key == "NotAction";
            members.push(member(text, key, attr));
        } else if key == "Effect" {
            // Terraform's default.
            members.push(Member {
                key: "Effect".into(),
                key_span: span_of(&block.ident),
                value: Value {
                    span: span_of(&block.ident),
                    kind: Kind::String("Allow".into()),
                },
            });
        }
    }
    if !element {
        return opaque(text, span);
    }
    let conditions: Vec<&str> = body
        .iter()
        .filter_map(|s| match s {
            Structure::Block(b) if b.ident.as_str() != "statement" => Some(b),
            _ => None,
        })
        .map(|b| {
            let s = span_of(b);
            &text[s.start..s.end]
        })
        .collect();
    if !conditions.is_empty() {
        members.push(Member {
            key: "Condition".into(),
            key_span: span,
            value: Value {
                span,
                kind: Kind::String(conditions.join("\n")),
            },
        });
    }
    Value {
        span,
        kind: Kind::Object(members),
    }
}

//! Hosts: where a policy document lives, and how it is written back.
//!
//! A policy is rarely a file of its own: it is the `PolicyDocument` of
//! `get-role-policy` output, a URL-encoded string in
//! `get-account-authorization-details`, a property of a CloudFormation
//! resource, an argument in a Terraform file. A [`Host`] is one such text.
//! It yields the policies embedded in it ([`Embedded`]: the document as a
//! [`Policy`] whose spans point into the host's text, the principal that
//! owns it and the size limit that applies, when the host knows), answers
//! where a value is for messages and reports, and takes back checked
//! refinements as splices that keep every other byte, read back and
//! compared before the text is handed out ([`Rewritten`]).
//!
//! New formats are new hosts; the engine never knows which host a policy
//! came from. Today's hosts: [`json_file`] (a policy file, bare or in the
//! API's wrappers, the document as JSON or as a string), [`auth_details`]
//! (a record of an account's authorization details, read only) and
//! [`template`] (the policies of a CloudFormation or SAM template, YAML or
//! JSON, with intrinsic functions kept as written) and [`terraform`] (the
//! policies of a Terraform configuration's `.tf` files, expressions kept as
//! written).

pub mod auth_details;
pub mod json_file;
pub(crate) mod json_splice;
pub(crate) mod lists;
pub mod template;
pub mod terraform;
pub(crate) mod tree_splice;
pub mod view;

pub use json_splice::RewriteError;

use crate::engine::checked::Checked;
use crate::error::JsonPath;
use crate::input::policy::{ActionKey, Policy};
use crate::json::Span;
pub use crate::model::principal::{OwnerName, Principal};
use crate::model::size::Limit;

/// How a host's text is written, for splices in its own style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// JSON.
    Json,
    /// YAML (of which JSON is a part, but a JSON template keeps JSON's
    /// quoting and layout).
    Yaml,
    /// HCL: Terraform's `jsonencode({...})` objects (`Action = [...]`,
    /// `#` comments, trailing commas) and `statement` blocks.
    Hcl,
}

/// A policy as a host holds it.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// The policy; its spans index the host's text (or, for a document
    /// written as a string, that string decoded).
    pub policy: Policy,
    /// The principals that own the policy, as the host names them; empty
    /// when the host does not say.
    pub owners: Vec<OwnerName>,
    /// The IAM size limit that applies, when the host says.
    pub limit: Option<Limit>,
    /// Which of the host's policies it is, for messages and reports, when
    /// the host holds several (`AppRole policy s3`).
    pub place: Option<String>,
    /// How many of its entries and statements the host keeps as written
    /// without evaluating them (a template's intrinsic functions).
    pub not_evaluated: usize,
}

impl Embedded {
    /// The one principal the host names exactly, if that is all it says.
    pub fn named(&self) -> Option<&Principal> {
        match &self.owners[..] {
            [OwnerName::Exact(principal)] => Some(principal),
            _ => None,
        }
    }
}

/// A host's text with checked refinements written in, read back and found
/// to say exactly the refined policies. Only a host makes one, and only
/// from [`Checked`] refinements: what `--in-place` and `--diff` write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    text: String,
}

impl Rewritten {
    /// Wraps a text a host has checked.
    pub(crate) fn new(text: String) -> Rewritten {
        Rewritten { text }
    }

    /// The rewritten text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Where policies live: see the module documentation.
pub trait Host {
    /// The host's text.
    fn text(&self) -> &str;

    /// The policies it holds, in the order they are written.
    fn policies(&self) -> &[Embedded];

    /// Where the value at `path` is in the text, or the deepest part of
    /// the path that exists (a document written as a string: the string).
    fn locate(&self, path: &JsonPath) -> Span;

    /// Where the action element `key` of the statement at `statement` is
    /// written: its key and its value. `None` when the host cannot edit
    /// it in place (a document written as a string).
    fn element(&self, statement: &JsonPath, key: ActionKey) -> Option<(Span, Span)>;

    /// The text with each policy's checked refinement written in (`None`:
    /// left as it is), every other byte kept; an error when the host cannot
    /// write them, or when the result does not read back as the refined
    /// policies.
    fn rewrite(&self, refined: &[Option<&Checked>]) -> Result<Rewritten, RewriteError>;

    /// Which statement of its policy at `policy` (as written, counting the
    /// statements the host does not evaluate) the view's statement `index`
    /// is: for reports.
    fn written_statement(&self, _policy: &JsonPath, index: usize) -> usize {
        index
    }

    /// What the host leaves as written, with why (a template's SAM policy
    /// template, a Terraform policy that is an expression): reported.
    fn left(&self) -> &[LeftAsWritten] {
        &[]
    }

    /// Whether a tool generated the text (a CDK template): a change
    /// belongs in its source too.
    fn generated(&self) -> bool {
        false
    }
}

/// Something of a host left as written, with why: reported as a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftAsWritten {
    /// Where it is, as a 1-based line and column.
    pub line: usize,
    /// See `line`.
    pub column: usize,
    /// What it is and why it stays; for a whole policy, why only.
    pub why: String,
    /// When it is a whole policy refine does not read (a YAML anchor in
    /// it, a document that is a function): which, for the reports, which
    /// count it as not checked.
    pub policy: Option<String>,
}

/// What a file met in a directory walk is, by its content.
#[derive(Debug)]
pub enum Detected<'t> {
    /// A policy file, read.
    Policy(json_file::JsonFile<'t>),
    /// A CloudFormation or SAM template, read.
    Template(Box<template::Template<'t>>),
    /// A policy file or template with an error: a JSON policy that does
    /// not check, text that mentions `"Statement"` but is not JSON, a
    /// template with a bad IAM resource. A CI run must fail on it rather
    /// than pass it over as "not a policy".
    Broken(crate::error::InputError),
    /// Not JSON (JSON with comments, say).
    NotJson,
    /// JSON of another kind (`package.json`, findings, ...).
    NotAPolicy,
    /// YAML that is not a template (a workflow, a Helm chart).
    NotATemplate,
}

/// Reads `text` as whatever host it is, reading it once. `yaml` says the
/// file's name is a YAML template's (`.yaml`, `.yml`, `.template`): then a
/// text that is not JSON is read as YAML; a template's owners are named
/// with `context`.
pub fn detect<'t>(text: &'t str, yaml: bool, context: &template::StackContext) -> Detected<'t> {
    let json_like = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{');
    if yaml && !json_like {
        return match crate::yaml::read(text) {
            Ok(read) if template::is_template(&read.tree) => {
                let tree = (read.tree, template::Syntax::Yaml, read.anchors);
                match template::Template::from_tree(text, tree, context) {
                    Ok(template) => Detected::Template(Box::new(template)),
                    Err(err) => Detected::Broken(err),
                }
            }
            Err(err) if text.contains("AWS::") && text.contains("Resources") => {
                Detected::Broken(err)
            }
            _ => Detected::NotATemplate,
        };
    }
    let tree = match crate::json::read(text, "an IAM policy document") {
        Ok(tree) => tree,
        Err(err) if text.contains("\"Statement\"") => return Detected::Broken(err),
        Err(_) => return Detected::NotJson,
    };
    if template::is_template(&tree) {
        return match template::Template::from_tree(
            text,
            (tree, template::Syntax::Json, Vec::new()),
            context,
        ) {
            Ok(template) => Detected::Template(Box::new(template)),
            Err(err) => Detected::Broken(err),
        };
    }
    let policy_keys = ["Statement", "PolicyVersion", "PolicyDocument"];
    if !policy_keys.iter().any(|key| tree.get(key).is_some()) {
        return Detected::NotAPolicy;
    }
    match json_file::JsonFile::from_tree(text, tree) {
        Ok(file) => Detected::Policy(file),
        Err(err) => Detected::Broken(err),
    }
}

/// Whether a file's name is one a YAML template has: `.yaml`, `.yml` or
/// `.template`, in any case.
pub fn yaml_name(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| {
        let e = e.to_string_lossy().to_ascii_lowercase();
        e == "yaml" || e == "yml" || e == "template"
    })
}

//! The CloudFormation host: the identity policies of a CloudFormation or
//! SAM template, in YAML or JSON, refined where they are written.
//!
//! A template is recognised by its content: a mapping with `Resources`
//! whose values have a `Type` of the form `AWS::...`. Its policies
//! ([`find`]) are read through their views ([`view`]): what refine can
//! evaluate of them, intrinsic functions kept aside as written. Each
//! policy knows its owners as far as the template and the run's
//! [`StackContext`] tell ([`crate::model::principal::OwnerName`]); the
//! engine resolves them against the findings like any other host's.
//!
//! Rewrites (`splice.rs`, `lists.rs`) change only the values of Action and NotAction
//! and the statements refinement removes; comments, quoting, key order,
//! indentation, line ends and every other byte stay. The result is read
//! again and must say exactly the refined policies, with every part refine
//! did not evaluate and everything outside the policies unchanged, before
//! it is handed out. A policy with a YAML anchor or alias in it is left as
//! written (changing an anchored node changes its aliases elsewhere).

mod attach;
pub mod find;
mod names;
mod splice;

pub use crate::hosts::view;
pub use crate::hosts::Syntax;

pub use find::StackContext;

use super::{Embedded, Host, RewriteError, Rewritten};
use crate::engine::checked::Checked;
use crate::error::{InputError, JsonPath};
use crate::input::policy::{self, ActionKey};
use crate::json::{self, Span, Value};
use view::Layout;

/// A template's policy, where it is written.
#[derive(Debug, Clone)]
struct Placed {
    /// The document's path in the template.
    document: JsonPath,
    /// Where the view's parts are written.
    layout: Layout,
}

pub use crate::hosts::LeftAsWritten;

/// A CloudFormation or SAM template and the policies in it.
#[derive(Debug, Clone)]
pub struct Template<'t> {
    text: &'t str,
    syntax: Syntax,
    tree: Value,
    embedded: Vec<Embedded>,
    placed: Vec<Placed>,
    left: Vec<LeftAsWritten>,
    context: StackContext,
}

/// Whether `tree` is a template: a mapping with `Resources` some value of
/// which has a `Type` of the form `AWS::...`.
pub fn is_template(tree: &Value) -> bool {
    tree.get("Resources")
        .and_then(Value::as_object)
        .is_some_and(|resources| {
            resources.iter().any(|r| {
                r.value
                    .get("Type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("AWS::"))
            })
        })
}

/// `err` about a value of the template at a path, placed at its line and
/// column (a YAML template cannot be located by a JSON reader later).
fn placed(err: InputError, text: &str, tree: &Value) -> InputError {
    let crate::error::Location::Path(path) = &err.location else {
        return err;
    };
    let (line, column) = json::line_column(text, tree.deepest(path).span.start);
    let message = match path.segments().is_empty() {
        true => err.message.clone(),
        false => format!("{path}: {}", err.message),
    };
    InputError {
        location: crate::error::Location::LineColumn(line, column),
        message,
        hint: err.hint,
    }
}

/// Reads `text` as YAML, or as JSON when it starts with `{`: the tree.
pub fn read_tree(text: &str) -> Result<(Value, Syntax, Vec<Span>), InputError> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') {
        let tree = json::read(text, "a CloudFormation template")?;
        return Ok((tree, Syntax::Json, Vec::new()));
    }
    let yaml = crate::yaml::read(text)?;
    Ok((yaml.tree, Syntax::Yaml, yaml.anchors))
}

impl<'t> Template<'t> {
    /// Reads a template whose tree is already read from `text`.
    pub fn from_tree(
        text: &'t str,
        (tree, syntax, anchors): (Value, Syntax, Vec<Span>),
        context: &StackContext,
    ) -> Result<Template<'t>, InputError> {
        let placed_error = |err: InputError| placed(err, text, &tree);
        let (found, left) = find::Finder::find(&tree, context).map_err(placed_error)?;
        let lines = json::Lines::new(text);
        let note = |path: &JsonPath, why: String| {
            let (line, column) = lines.line_column(tree.deepest(path).span.start);
            LeftAsWritten {
                line,
                column,
                why,
                policy: None,
            }
        };
        let mut template = Template {
            text,
            syntax,
            embedded: Vec::new(),
            placed: Vec::new(),
            left: left.iter().map(|l| note(&l.path, l.what.clone())).collect(),
            context: context.clone(),
            tree: Value::new(json::Kind::Null),
        };
        for found in found {
            let Some(document) = tree.at(&found.document) else {
                continue;
            };
            let span = document.span;
            if anchors
                .iter()
                .any(|a| a.start < span.end && span.start < a.end.max(a.start + 1))
            {
                let mut left = note(&found.document, "a YAML anchor or alias in it".into());
                left.policy = Some(found.place);
                template.left.push(left);
                continue;
            }
            let (view, layout) = match view::view(document) {
                Ok(view) => view,
                Err(why) => {
                    let mut left = note(&found.document, why);
                    left.policy = Some(found.place);
                    template.left.push(left);
                    continue;
                }
            };
            let policy =
                policy::from_document(view, found.document.clone()).map_err(placed_error)?;
            let not_evaluated = layout.written - layout.statements.len()
                + layout
                    .statements
                    .iter()
                    .map(|s| s.opaque.len())
                    .sum::<usize>();
            template.embedded.push(Embedded {
                policy,
                owners: found.owners,
                limit: found.limit,
                place: Some(found.place),
                not_evaluated,
            });
            template.placed.push(Placed {
                document: found.document,
                layout,
            });
        }
        template.left.sort_by_key(|l| (l.line, l.column));
        template.tree = tree;
        Ok(template)
    }

    /// Reads `text` as a template.
    pub fn read(text: &'t str, context: &StackContext) -> Result<Template<'t>, InputError> {
        let read = read_tree(text)?;
        if !is_template(&read.0) {
            return Err(InputError::whole(
                "not a CloudFormation template: no Resources with a Type of the form AWS::...",
            ));
        }
        Template::from_tree(text, read, context)
    }

    /// How the template is written.
    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// The template as read.
    pub fn tree(&self) -> &Value {
        &self.tree
    }

    /// `path` (into a view) as the path where that part is written.
    fn written_path(&self, path: &JsonPath) -> JsonPath {
        view::written_in(self.placements(), path)
    }

    /// Each policy's path and layout.
    fn placements(&self) -> impl Iterator<Item = (&JsonPath, &view::Layout)> {
        self.placed.iter().map(|p| (&p.document, &p.layout))
    }
}

impl Host for Template<'_> {
    fn text(&self) -> &str {
        self.text
    }

    fn policies(&self) -> &[Embedded] {
        &self.embedded
    }

    fn locate(&self, path: &JsonPath) -> Span {
        self.tree.deepest(&self.written_path(path)).span
    }

    fn element(&self, _statement: &JsonPath, _key: ActionKey) -> Option<(Span, Span)> {
        // A suggested fix replaces the element with JSON: not for a
        // template, whose YAML and intrinsic functions it would not keep.
        None
    }

    fn rewrite(&self, refined: &[Option<&Checked>]) -> Result<Rewritten, RewriteError> {
        if refined.len() != self.embedded.len() {
            return Err(RewriteError::new(format!(
                "{} refinements for a template of {} policies",
                refined.len(),
                self.embedded.len()
            )));
        }
        let text = splice::rewrite(self, refined)?;
        Ok(Rewritten::new(text))
    }

    fn left(&self) -> &[LeftAsWritten] {
        &self.left
    }

    fn written_statement(&self, policy: &JsonPath, index: usize) -> usize {
        view::written_statement(self.placements(), policy, index)
    }

    /// Whether the CDK generated the template (a resource's Metadata has
    /// `aws:cdk:path`): a change belongs in the CDK source.
    fn generated(&self) -> bool {
        self.tree
            .get("Resources")
            .and_then(Value::as_object)
            .is_some_and(|resources| {
                resources
                    .iter()
                    .any(|r| r.value["Metadata"].get("aws:cdk:path").is_some())
            })
    }
}

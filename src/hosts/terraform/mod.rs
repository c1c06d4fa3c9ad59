//! The Terraform host: the identity policies written in a configuration's
//! `.tf` files, refined where they are written.
//!
//! A configuration is read whole ([`Configuration::read`]): every `.tf`
//! file, grouped into modules by directory, local module calls followed,
//! so that each policy's owners can be found by the references that
//! attach it ([`owners`]). Each file is then a host of its own
//! ([`TerraformFile`]): its policies ([`find`]) read through the same
//! views as a template's (expressions kept aside as written), and its
//! rewrites spliced into its text with every other byte kept, read again
//! and checked before they are handed out.
//!
//! Each policy is named by its address (`data.aws_iam_policy_document.s3`,
//! `module.app.aws_iam_policy.logs`; the module prefix when exactly one
//! call reaches its module), which is also its key in the file's tree.

mod config;
mod files;
pub mod find;
pub mod graph;
pub mod hcl;
pub mod owners;
mod splice;
mod tfjson;

pub use config::{
    is_terraform_json, normal, ConfigFile, Configuration, FileError, ReadFile, Source,
};

use super::view::{self, Layout};
use super::{Embedded, Host, LeftAsWritten, RewriteError, Rewritten, Syntax};
use crate::engine::checked::Checked;
use crate::error::{InputError, JsonPath, Location};
use crate::input::policy::{self, ActionKey};
use crate::json::{self, Kind, Member, Span, Value};
use crate::model::principal::OwnerName;
use find::{Found, Left};
use hcl_edit::structure::Body;
use std::path::Path;

/// Where a policy of a file is written.
#[derive(Debug, Clone)]
struct Placed {
    /// The document's path in the file's tree.
    document: JsonPath,
    /// Where the view's parts are written.
    layout: Layout,
    /// HCL, or JSON in a heredoc.
    syntax: Syntax,
}

/// What a Terraform host's text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A `.tf` file.
    Hcl,
    /// A `.tf.json` file: Terraform's JSON syntax.
    Json,
    /// A policy file a `file(...)` or `templatefile(...)` reads: JSON,
    /// its strings holding template syntax not evaluated.
    PolicyFile {
        /// The address of what reads it.
        address: String,
    },
}

/// One `.tf` file and the policies in it, or a policy file one reads.
#[derive(Debug, Clone)]
pub struct TerraformFile {
    written: Written,
    /// Documents the configuration found not to be identity policies (used
    /// only as trust policies): not read again when a rewrite is checked.
    set_aside: Vec<String>,
    text: String,
    tree: Value,
    embedded: Vec<Embedded>,
    placed: Vec<Placed>,
    left: Vec<LeftAsWritten>,
}

/// Whether a file is one Terraform reads: named `*.tf` or `*.tf.json`
/// (case matters), not hidden (`.x.tf`) and not an editor's backup
/// (`x.tf~`, `#x.tf#`).
pub fn is_terraform(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let read = !name.starts_with(['.', '#']) && !name.ends_with(['~', '#']);
    read && (name.ends_with(".tf") || name.ends_with(".tf.json"))
}

/// How long parsing one file may take. hcl-edit's parser backtracks, and
/// some malformed inputs of a few kilobytes (found by fuzzing: nested
/// objects with operators and long names) take it exponentially long; real
/// files parse in milliseconds.
const PARSE_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// Parses `text` as HCL; a syntax error at its line and column.
///
/// The parse runs on a thread of its own, waited for at most
/// [`PARSE_BUDGET`]: past it the file is refused (exit 2, as for any bad
/// input), and the thread is left to end with the process.
pub fn parse(text: &str) -> Result<Body, InputError> {
    let owned = text.to_string();
    let (send, receive) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("hcl-parse".into())
        .spawn(move || {
            // The receiver may be gone (the budget passed): nothing to do.
            let _ = send.send(parse_now(&owned));
        });
    let Ok(thread) = spawned else {
        return parse_now(text);
    };
    match receive.recv_timeout(PARSE_BUDGET) {
        Ok(parsed) => {
            // Done: its thread is ending; wait, so that nothing of it
            // outlives the call.
            let _ = thread.join();
            parsed
        }
        Err(_) => Err(InputError::whole(format!(
            "not read: parsing it took more than {} s (deeply nested or malformed HCL)",
            PARSE_BUDGET.as_secs()
        ))),
    }
}

/// [`parse`], on this thread.
fn parse_now(text: &str) -> Result<Body, InputError> {
    hcl_edit::parser::parse_body(text).map_err(|err| {
        let location = err.location();
        let message = err
            .message()
            .lines()
            .next()
            .unwrap_or("invalid HCL")
            .to_string();
        InputError {
            location: Location::LineColumn(location.line(), location.column()),
            message: format!("not valid HCL: {message}"),
            hint: None,
        }
    })
}

/// An error at `span` of `text`.
fn at_span(text: &str, span: Span, message: String) -> InputError {
    let (line, column) = json::line_column(text, span.start);
    InputError {
        location: Location::LineColumn(line, column),
        message,
        hint: None,
    }
}

impl TerraformFile {
    /// Reads one `.tf` file alone, its policies' owners not followed
    /// (each owner unknown).
    pub fn read(text: &str) -> Result<TerraformFile, InputError> {
        TerraformFile::read_as(text, &Written::Hcl, &[])
    }

    /// Reads one `.tf.json` file alone, its policies' owners not followed.
    pub fn read_json(text: &str) -> Result<TerraformFile, InputError> {
        TerraformFile::read_as(text, &Written::Json, &[])
    }

    /// Reads a text written as `written`, owners not followed: for
    /// checking a rewrite.
    fn read_as(
        text: &str,
        written: &Written,
        set_aside: &[String],
    ) -> Result<TerraformFile, InputError> {
        let unknown = || vec![OwnerName::Unknown("read alone".into())];
        let (owned, left) = match written {
            Written::Hcl => {
                let body = parse(text)?;
                let finds = find::find(text, &body);
                let owned = finds.found.into_iter().map(|f| (f, unknown())).collect();
                (owned, finds.left)
            }
            Written::Json => {
                let tree = json::read(text, "a Terraform JSON file")?;
                let (found, left) = tfjson::documents(text, &tree);
                (found.into_iter().map(|f| (f, unknown())).collect(), left)
            }
            Written::PolicyFile { address } => {
                let span = Span {
                    start: 0,
                    end: text.len(),
                };
                let document = hcl::heredoc_document(text, span).map_err(InputError::whole)?;
                let found = Found {
                    address: address.clone(),
                    at: span,
                    document,
                    syntax: Syntax::Json,
                    holder: find::Holder::Document {
                        name: String::new(),
                    },
                    limit: None,
                    included: 0,
                    trust: false,
                };
                (vec![(found, unknown())], Vec::new())
            }
        };
        let owned = owned
            .into_iter()
            .filter(|(found, _)| !set_aside.contains(&found.address))
            .collect();
        let mut file = TerraformFile::build(text, owned, left, "", written.clone())?;
        file.set_aside = set_aside.to_vec();
        Ok(file)
    }

    /// The host of `text` with its policies found and owned.
    fn build(
        text: &str,
        found: Vec<(Found, Vec<OwnerName>)>,
        left: Vec<Left>,
        prefix: &str,
        written: Written,
    ) -> Result<TerraformFile, InputError> {
        let lines = json::Lines::new(text);
        let note = |at: Span, why: String, policy: Option<String>| {
            let (line, column) = lines.line_column(at.start);
            LeftAsWritten {
                line,
                column,
                why,
                policy,
            }
        };
        let mut notes: Vec<LeftAsWritten> = left
            .into_iter()
            .map(|l| note(l.at, l.why, l.address.map(|a| format!("{prefix}{a}"))))
            .collect();
        let mut members = Vec::new();
        let mut embedded = Vec::new();
        let mut placed = Vec::new();
        for (found, owners) in found {
            if members.iter().any(|m: &Member| m.key == found.address) {
                let message = format!("{} is declared twice", found.address);
                return Err(at_span(text, found.at, message));
            }
            let place = format!("{prefix}{}", found.address);
            let path = JsonPath::root().key(&found.address);
            let (document_view, layout) = match view::view(&found.document) {
                Ok(view) => view,
                Err(why) => {
                    notes.push(note(found.at, why, Some(place)));
                    continue;
                }
            };
            let policy = policy::from_document(document_view, path.clone()).map_err(|err| {
                match &err.location {
                    Location::Path(at) => {
                        let tree = Value {
                            span: Span::default(),
                            kind: Kind::Object(vec![Member {
                                key: found.address.clone(),
                                key_span: found.at,
                                value: found.document.clone(),
                            }]),
                        };
                        let written = view::written_path(&path, &layout, at);
                        at_span(text, tree.deepest(&written).span, err.message.clone())
                    }
                    _ => err.clone(),
                }
            })?;
            let not_evaluated = layout.written - layout.statements.len()
                + layout
                    .statements
                    .iter()
                    .map(|s| s.opaque.len())
                    .sum::<usize>()
                + found.included;
            embedded.push(Embedded {
                policy,
                owners,
                limit: found.limit,
                place: Some(place),
                not_evaluated,
            });
            placed.push(Placed {
                document: path,
                layout,
                syntax: found.syntax,
            });
            members.push(Member {
                key: found.address,
                key_span: found.at,
                value: found.document,
            });
        }
        notes.sort_by_key(|l| (l.line, l.column));
        Ok(TerraformFile {
            written,
            set_aside: Vec::new(),
            text: text.to_string(),
            tree: Value {
                span: Span::default(),
                kind: Kind::Object(members),
            },
            embedded,
            placed,
            left: notes,
        })
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

impl Host for TerraformFile {
    fn text(&self) -> &str {
        &self.text
    }

    fn policies(&self) -> &[Embedded] {
        &self.embedded
    }

    fn locate(&self, path: &JsonPath) -> Span {
        self.tree.deepest(&self.written_path(path)).span
    }

    fn element(&self, _statement: &JsonPath, _key: ActionKey) -> Option<(Span, Span)> {
        // A suggested fix replaces the element with JSON: not for HCL.
        None
    }

    fn rewrite(&self, refined: &[Option<&Checked>]) -> Result<Rewritten, RewriteError> {
        if refined.len() != self.embedded.len() {
            return Err(RewriteError::new(format!(
                "{} refinements for a file of {} policies",
                refined.len(),
                self.embedded.len()
            )));
        }
        Ok(Rewritten::new(splice::rewrite(self, refined)?))
    }

    fn left(&self) -> &[LeftAsWritten] {
        &self.left
    }

    fn written_statement(&self, policy: &JsonPath, index: usize) -> usize {
        view::written_statement(self.placements(), policy, index)
    }
}

#[cfg(test)]
mod tests;

//! The policy files a configuration reads with `file(...)` and
//! `templatefile(...)`: where each is, who else may read it, and each made
//! a host of its own (JSON, its strings holding template syntax not
//! evaluated).

use super::config::{normal, ConfigFile, ReadFile, Source};
use super::find::{self, FileUse, Found, Left};
use super::graph::Graph;
use super::{hcl, TerraformFile, Written};
use crate::json::Span;
use crate::model::principal::OwnerName;
use hcl_edit::structure::Body;
use std::path::{Path, PathBuf};

/// The file a `file(...)` of module `m` reads: `path` in the module's
/// directory after `${path.module}/`, or in the root module's directory
/// (where Terraform runs) for a root module; `None` when it cannot be told.
pub(super) fn file_of(
    dirs: &[PathBuf],
    graph: &Graph,
    m: usize,
    path: &str,
    in_module: bool,
) -> Option<PathBuf> {
    let root = graph.modules.get(m)?.callers.is_empty();
    (in_module || root).then(|| normal(&dirs[m].join(path)))
}

/// The calls of `file(...)` and `templatefile(...)` that are not the
/// `policy` of a resource refine follows (a local, a module argument, a
/// policy relative to where Terraform runs): where each is, and the file
/// it reads when that can be told. Whatever reads a policy file that way
/// may give it to a principal refine does not see.
pub(super) fn hidden_reads(
    sources: &[Source],
    bodies: &[Body],
    of_file: &[usize],
    dirs: &[PathBuf],
    graph: &Graph,
    uses: &[(PathBuf, usize, usize, FileUse)],
) -> Vec<(String, Option<PathBuf>)> {
    let mut hidden = Vec::new();
    for (file, body) in bodies.iter().enumerate() {
        let m = of_file[file];
        for (span, arg) in hcl::calls(body, &["file", "templatefile"]) {
            let followed = uses
                .iter()
                .any(|(_, _, f, used)| *f == file && used.at == span);
            if followed {
                continue;
            }
            let (line, _) = crate::json::line_column(&sources[file].text, span.start);
            let read = arg
                .and_then(find::file_path)
                .and_then(|(path, in_module)| file_of(dirs, graph, m, &path, in_module));
            hidden.push((format!("{}:{line}", sources[file].name), read));
        }
    }
    hidden
}

/// The uses of each policy file, by its path, in the order first met.
#[allow(clippy::type_complexity)]
pub(super) fn group_by_path(
    uses: Vec<(PathBuf, usize, usize, FileUse)>,
) -> Vec<(PathBuf, Vec<(usize, usize, FileUse)>)> {
    let mut groups: Vec<(PathBuf, Vec<(usize, usize, FileUse)>)> = Vec::new();
    for (path, m, file, used) in uses {
        match groups.iter_mut().find(|(p, _)| *p == path) {
            Some((_, group)) => group.push((file, m, used)),
            None => groups.push((path, vec![(file, m, used)])),
        }
    }
    groups
}

/// Why the policy file at `path` may be read by something refine does
/// not follow: its name written in a string (a `local_file` data source's
/// `filename`, a `filebase64(...)`) outside the calls `uses` that read it.
pub(super) fn named_elsewhere(
    sources: &[Source],
    bodies: &[Body],
    path: &Path,
    uses: &[(usize, Span)],
) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    for (file, body) in bodies.iter().enumerate() {
        for (span, text) in hcl::strings(body) {
            let in_use = uses
                .iter()
                .any(|(f, at)| *f == file && at.start <= span.start && span.end <= at.end);
            if !in_use && text.contains(name) {
                let (line, _) = crate::json::line_column(&sources[file].text, span.start);
                return Some(format!(
                    "{}:{line} names {name} outside a policy refine follows: it may read it",
                    sources[file].name
                ));
            }
        }
    }
    None
}

/// The host of the policy file at `path`, which `address` reads, owned by
/// `owners`; or a note saying why it is not read.
pub(super) fn policy_file(
    path: &Path,
    address: &str,
    used: FileUse,
    owners: Vec<OwnerName>,
    read_file: ReadFile,
) -> Result<ConfigFile, String> {
    let (name, text) =
        read_file(path).map_err(|why| format!("{}: read by {address}: {why}", path.display()))?;
    let span = Span {
        start: 0,
        end: text.len(),
    };
    let (found, left) = match hcl::heredoc_document(&text, span) {
        Ok(document) => (
            vec![(
                Found {
                    address: address.to_string(),
                    at: span,
                    document,
                    syntax: crate::hosts::Syntax::Json,
                    holder: used.holder,
                    limit: used.limit,
                    included: 0,
 trust: false,
                },
                owners,
            )],
            Vec::new(),
        ),
        Err(_) => (
            Vec::new(),
            vec![Left {
                at: span,
                why: format!("the policy of {address} is not JSON outside its strings (template directives?)"),
                address: Some(address.to_string()),
            }],
        ),
    };
    let written = Written::PolicyFile {
        address: address.to_string(),
    };
    let host = TerraformFile::build(&text, found, left, "", written)
        .map_err(|err| format!("{name}: {err}"))?;
    Ok(ConfigFile {
        path: path.to_path_buf(),
        name,
        host,
    })
}

//! A configuration read whole: every `.tf` file parsed, grouped into
//! modules by directory, local module calls followed, the state matched to
//! its root module; then every policy found with its owners, and each
//! file (and each policy file a `file(...)` or `templatefile(...)` reads)
//! made a host of its own.

use super::find::{self, FileUse, Found, Holder, Left};
use super::owners::{self, Graph, GraphError};
use super::{at_span, hcl, parse, tfjson, TerraformFile, Written};
use crate::error::InputError;
use crate::input::tf_state::TfState;
use crate::model::principal::OwnerName;
use hcl_edit::structure::{Block, Body};
use std::path::{Component, Path, PathBuf};

/// A file of a configuration, as read.
#[derive(Debug, Clone)]
pub struct Source {
    /// Where it is.
    pub path: PathBuf,
    /// How messages name it.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// An error in one file of a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file's name.
    pub name: String,
    /// What is wrong, and where in the file.
    pub error: InputError,
}

/// One host of a configuration: a `.tf` file, or a policy file one reads.
#[derive(Debug)]
pub struct ConfigFile {
    /// Where it is (as given, or as the module's directory and the path
    /// written in `file(...)` make it).
    pub path: PathBuf,
    /// How messages name it.
    pub name: String,
    /// The host.
    pub host: TerraformFile,
}

/// Every `.tf` file of a tree, each a host, and the policy files they
/// read.
#[derive(Debug)]
pub struct Configuration {
    /// The `.tf` files in the order given, then the policy files.
    pub files: Vec<ConfigFile>,
    /// Notes about the configuration as a whole (modules outside the
    /// tree, policy files that cannot be read).
    pub notes: Vec<String>,
}

/// Reads a policy file a `file(...)` names: its name for messages and its
/// text, or why it cannot be read.
pub type ReadFile<'r> = &'r dyn Fn(&Path) -> Result<(String, String), String>;

/// `path` with `.` and `..` taken out, as written (no link followed).
pub fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The directory a `module` block's `source` names, when it is a local
/// path (`./x`, `../x`).
fn local_source(call: &Block) -> Option<&str> {
    let source = hcl::attribute(&call.body, "source").and_then(hcl::literal)?;
    (source.starts_with("./") || source.starts_with("../")).then_some(source)
}

/// Whether `path` is a file of Terraform's JSON syntax (`*.tf.json`).
pub fn is_terraform_json(path: &Path) -> bool {
    super::is_terraform(path)
        && path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.ends_with(".tf.json"))
}

/// Whether `path` is an override file (`override.tf`, `x_override.tf`).
fn is_override(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".tf.json")
        .or_else(|| name.strip_suffix(".tf"))
        .unwrap_or(name);
    stem == "override" || stem.ends_with("_override")
}

/// Whether a module call whose `source` is not a directory of the tree
/// may still be the module at `dir`: a git (or other remote) source with a
/// `//subdirectory` that `dir` ends with, one without (a repository's root:
/// the topmost module of the tree), or an absolute path (any). A registry
/// address (`namespace/name/provider`) is never one of the tree's.
fn may_be(source: &str, dir: &Path, dirs: &[PathBuf]) -> bool {
    if source.starts_with('/') {
        return true;
    }
    let registry = !source.contains("::")
        && !source.contains("//")
        && source.split('/').count() >= 3
        && !source.starts_with("github.com")
        && !source.starts_with("bitbucket.org");
    if registry || source.is_empty() {
        return false;
    }
    let without_scheme = source.split_once("://").map_or(source, |(_, rest)| rest);
    match without_scheme.split_once("//") {
        Some((_, sub)) => {
            // The subdirectory is relative to the repository's root, which
            // may be above the tree refine walks (or below, for a tree
            // walked from above the repository).
            let sub = Path::new(sub.split('?').next().unwrap_or_default().trim_matches('/'));
            let dir_named = dir.components().count() > 0;
            !sub.as_os_str().is_empty() && dir_named && (sub.ends_with(dir) || dir.ends_with(sub))
        }
        None => dirs.iter().map(|d| d.components().count()).min() == Some(dir.components().count()),
    }
}

/// The modules of the parsed files: directories, their blocks, and the
/// calls of each.
struct Modules<'c> {
    dirs: Vec<PathBuf>,
    of_file: Vec<usize>,
    graph: Graph<'c>,
    notes: Vec<String>,
}

fn modules<'c>(sources: &[Source], bodies: &'c [Body]) -> Result<Modules<'c>, FileError> {
    let file_dirs: Vec<PathBuf> = sources
        .iter()
        .map(|s| normal(s.path.parent().unwrap_or(Path::new(""))))
        .collect();
    let mut dirs = file_dirs.clone();
    dirs.sort();
    dirs.dedup();
    let module_of = |dir: &Path| dirs.iter().position(|d| d == dir).unwrap_or_default();
    let of_file: Vec<usize> = file_dirs.iter().map(|d| module_of(d)).collect();
    let mut graph = Graph {
        modules: dirs
            .iter()
            .map(|_| owners::Module {
                blocks: Vec::new(),
                callers: Vec::new(),
            })
            .collect(),
        state: None,
        tainted: vec![None; dirs.len()],
    };
    let mut notes = Vec::new();
    let mut hidden_calls = Vec::new();
    let mut declared = std::collections::HashSet::new();
    for (file, body) in bodies.iter().enumerate() {
        let m = of_file[file];
        if is_override(&sources[file].path) {
            // Terraform merges it into the blocks it names: refine does
            // not, so nothing of its module is known for sure.
            graph.tainted[m] = Some(format!(
                "{} is an override file, which refine does not merge",
                sources[file].name
            ));
            continue;
        }
        for block in body.blocks() {
            let named = matches!(block.ident.as_str(), "resource" | "data" | "module");
            if named && !declared.insert((m, owners::address(block))) {
                let span = hcl::span_of(block);
                return Err(FileError {
                    name: sources[file].name.clone(),
                    error: at_span(
                        &sources[file].text,
                        span,
                        format!("{} is declared twice in its module", owners::address(block)),
                    ),
                });
            }
            graph.modules[m].blocks.push((file, block));
        }
        for call in body.blocks().filter(|b| b.ident.as_str() == "module") {
            let Some(source) = local_source(call) else {
                let written = hcl::attribute(&call.body, "source").and_then(hcl::literal);
                notes.push(format!(
                    "{}: {}: its source is outside the tree (a registry or git module): its policies are not read",
                    sources[file].name,
                    owners::address(call)
                ));
                hidden_calls.push((file, call, written.unwrap_or_default().to_string()));
                continue;
            };
            let target = normal(&file_dirs[file].join(source));
            match dirs.iter().position(|d| *d == target) {
                Some(callee) if callee != m => graph.modules[callee].callers.push((m, file, call)),
                Some(_) => {}
                None => notes.push(format!(
                    "{}: {}: {source} has no .tf file in the tree refine reads: its policies are not read",
                    sources[file].name,
                    owners::address(call)
                )),
            }
        }
    }
    for (file, call, source) in hidden_calls {
        for (m, dir) in dirs.iter().enumerate() {
            if may_be(&source, dir, &dirs) && graph.tainted[m].is_none() {
                graph.tainted[m] = Some(format!(
                    "{} of {} may call its module from outside the tree",
                    owners::address(call),
                    sources[file].name
                ));
            }
        }
    }
    Ok(Modules {
        dirs,
        of_file,
        graph,
        notes,
    })
}

impl Configuration {
    /// Reads the files of a configuration: every policy in them, with its
    /// owners by the configuration's references and `state`; the policy
    /// files their `file(...)` and `templatefile(...)` name are read with
    /// `read_file`.
    pub fn read(
        sources: &[Source],
        state: Option<&TfState>,
        read_file: ReadFile,
    ) -> Result<Configuration, FileError> {
        // A Terraform JSON file is read as the HCL it stands for, for
        // owners; its policy documents from the JSON itself.
        let mut hcl_sources = Vec::new();
        let mut trees = Vec::new();
        for source in sources {
            let mut hcl_source = source.clone();
            if is_terraform_json(&source.path) {
                let tree =
                    crate::json::read(&source.text, "a Terraform JSON file").map_err(|error| {
                        FileError {
                            name: source.name.clone(),
                            error: duplicate_key(error),
                        }
                    })?;
                hcl_source.text = tfjson::to_hcl(&tree);
                trees.push(Some(tree));
            } else {
                trees.push(None);
            }
            hcl_sources.push(hcl_source);
        }
        let mut bodies = Vec::new();
        for (source, tree) in hcl_sources.iter().zip(&trees) {
            let body = parse(&source.text).map_err(|error| FileError {
                name: source.name.clone(),
                error: match tree {
                    Some(_) => InputError::whole(format!(
                        "not Terraform's JSON syntax as refine reads it: {}",
                        error.message
                    )),
                    None => error,
                },
            })?;
            bodies.push(body);
        }
        let hcl = &hcl_sources[..];
        let Modules {
            dirs,
            of_file,
            mut graph,
            mut notes,
        } = modules(hcl, &bodies)?;
        if let Some(state) = state {
            let root = graph.state_root(state).map_err(|message| FileError {
                name: "--tf-state".into(),
                error: InputError::whole(message).with_hint(
                    "give the state of the configuration refined (a directory of one root module and its local modules)",
                ),
            })?;
            graph.state = root.map(|root| (state, root));
        }
        let graph_error = |err: GraphError| FileError {
            name: sources[err.file].name.clone(),
            error: match trees[err.file] {
                // Its place is in the HCL refine made of it: the file's is
                // where the same text is written.
                Some(_) => {
                    let text = &sources[err.file].text;
                    let written = hcl[err.file].text.get(err.span.start..err.span.end);
                    match written.and_then(|w| text.find(w)) {
                        Some(at) => {
                            at_span(text, crate::json::Span { start: at, end: at }, err.message)
                        }
                        None => InputError::whole(err.message),
                    }
                }
                None => at_span(&sources[err.file].text, err.span, err.message),
            },
        };
        let mut files = Vec::new();
        let mut uses: Vec<(PathBuf, usize, usize, FileUse)> = Vec::new();
        for (file, body) in bodies.iter().enumerate() {
            let m = of_file[file];
            let prefix = graph.prefix(m);
            let source = &sources[file];
            let finds = find::find(&hcl[file].text, body);
            let (found, left, written) = match &trees[file] {
                Some(tree) => {
                    let (found, left) = tfjson::documents(&source.text, tree);
                    (found, left, Written::Json)
                }
                None => (finds.found, finds.left, Written::Hcl),
            };
            let mut owned = Vec::new();
            let mut left = left;
            let mut set_aside = Vec::new();
            for found in found {
                if let Holder::Document { name } = &found.holder {
                    if graph.trust_only(m, name) {
                        set_aside.push(found.address.clone());
                        left.push(Left {
                            at: found.at,
                            why: format!(
                                "{prefix}{}: used only as a trust policy: not changed",
                                found.address
                            ),
                            address: None,
                        });
                        continue;
                    }
                }
                let names = graph.owners(m, &found.holder).map_err(graph_error)?;
                owned.push((found, names));
            }
            for used in finds.files {
                match file_of(&dirs, &graph, m, &used.path, used.in_module) {
                    Some(path) => uses.push((path, m, file, used)),
                    None => notes.push(format!(
                        "{}: the policy of {}{} reads {}, relative to where Terraform runs, not to its module: not read",
                        source.name, prefix, used.address, used.path
                    )),
                }
            }
            let mut host = TerraformFile::build(&source.text, owned, left, &prefix, written)
                .map_err(|error| FileError {
                    name: source.name.clone(),
                    error,
                })?;
            host.set_aside = set_aside;
            files.push(ConfigFile {
                path: source.path.clone(),
                name: source.name.clone(),
                host,
            });
        }
        let hidden = hidden_reads(hcl, &bodies, &of_file, &dirs, &graph, &uses);
        for (path, mut group) in group_by_path(uses) {
            let first_at = group
                .iter()
                .map(|(file, _, used)| (*file, used.at))
                .collect::<Vec<_>>();
            let (m, first) = {
                let (_, m, used) = group.remove(0);
                (m, used)
            };
            let group: Vec<(usize, FileUse)> = group.into_iter().map(|(_, m, u)| (m, u)).collect();
            let mut names = graph.owners(m, &first.holder).map_err(graph_error)?;
            if let Some(why) = named_elsewhere(hcl, &bodies, &path, &first_at) {
                names.push(OwnerName::Unknown(why));
            }
            for (read_at, read) in &hidden {
                if read.as_ref().is_none_or(|p| *p == path) {
                    names.push(OwnerName::Unknown(format!(
                        "{read_at} reads a file with file(...) or templatefile(...) outside a policy refine follows: it may be this one"
                    )));
                }
            }
            for (m, used) in &group {
                names.extend(graph.owners(*m, &used.holder).map_err(graph_error)?);
            }
            let address = format!("{}{}", graph.prefix(m), first.address);
            match policy_file(&path, &address, first, names, read_file) {
                Ok(file) => files.push(file),
                Err(why) => notes.push(why),
            }
        }
        Ok(Configuration { files, notes })
    }
}

/// The file a `file(...)` of module `m` reads: `path` in the module's
/// directory after `${path.module}/`, or in the root module's directory
/// (where Terraform runs) for a root module; `None` when it cannot be told.
fn file_of(
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
fn hidden_reads(
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

/// `error` from reading a `.tf.json` file, said for Terraform when it is a
/// repeated key (which Terraform merges, and refine's JSON reader refuses).
fn duplicate_key(mut error: InputError) -> InputError {
    if let Some(rest) = error.message.strip_prefix("duplicate key ") {
        let key = rest
            .split(" in one object")
            .next()
            .unwrap_or(rest)
            .to_string();
        error.message = format!(
            "duplicate key {key}: Terraform merges repeated keys, which refine does not read yet"
        );
        error.hint = Some("write the key once, its blocks in one object".into());
    }
    error
}

/// The uses of each policy file, by its path, in the order first met.
#[allow(clippy::type_complexity)]
fn group_by_path(
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
fn named_elsewhere(
    sources: &[Source],
    bodies: &[Body],
    path: &Path,
    uses: &[(usize, crate::json::Span)],
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
fn policy_file(
    path: &Path,
    address: &str,
    used: FileUse,
    owners: Vec<OwnerName>,
    read_file: ReadFile,
) -> Result<ConfigFile, String> {
    let (name, text) =
        read_file(path).map_err(|why| format!("{}: read by {address}: {why}", path.display()))?;
    let span = crate::json::Span {
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

//! A configuration read whole: every `.tf` file parsed, grouped into
//! modules by directory, local module calls followed, the state matched to
//! its root module; then every policy found with its owners, and each
//! file (and each policy file a `file(...)` or `templatefile(...)` reads)
//! made a host of its own.

use super::files::{file_of, group_by_path, hidden_reads, named_elsewhere, policy_file};
use super::find::{self, FileUse, Holder, Left};
use super::graph::{self, Graph, GraphError};
use super::{at_span, hcl, parse, tfjson, TerraformFile, Written};
use crate::error::InputError;
use crate::input::tf_state::TfState;
use crate::json::{Span, Value};
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
            .map(|_| graph::Module {
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
            if named && !declared.insert((m, graph::address(block))) {
                return Err(declared_twice(&sources[file], block));
            }
            graph.modules[m].blocks.push((file, block));
        }
        for call in body.blocks().filter(|b| b.ident.as_str() == "module") {
            let Some(source) = local_source(call) else {
                let written = hcl::attribute(&call.body, "source").and_then(hcl::literal);
                notes.push(format!(
                    "{}: {}: its source is outside the tree (a registry or git module): its policies are not read",
                    sources[file].name,
                    graph::address(call)
                ));
                hidden_calls.push((file, call, written.unwrap_or_default().to_string()));
                continue;
            };
            let target = normal(&file_dirs[file].join(source));
            match dirs.iter().position(|d| *d == target) {
                Some(callee) if callee != m => graph.modules[callee].callers.push((m, file, call)),
                Some(_) => {}
                None => notes.push(format!(
                    "{}: {}: {source} is not among the files read (give a directory that holds it): its policies are not read",
                    sources[file].name,
                    graph::address(call)
                )),
            }
        }
    }
    for (file, call, source) in hidden_calls {
        taint_reachable(&mut graph, &dirs, (&sources[file], call, &source));
    }
    Ok(Modules {
        dirs,
        of_file,
        graph,
        notes,
    })
}

/// The error for a block whose address its module already declares.
fn declared_twice(source: &Source, block: &Block) -> FileError {
    FileError {
        name: source.name.clone(),
        error: at_span(
            &source.text,
            hcl::span_of(block),
            format!("{} is declared twice in its module", graph::address(block)),
        ),
    }
}

/// Marks every module the call `call` (in `source`, its `source` written
/// as `written`), which is not to a directory of the tree, may still reach.
fn taint_reachable(
    graph: &mut Graph,
    dirs: &[PathBuf],
    (source, call, written): (&Source, &Block, &str),
) {
    for (m, dir) in dirs.iter().enumerate() {
        if may_be(written, dir, dirs) && graph.tainted[m].is_none() {
            graph.tainted[m] = Some(format!(
                "{} of {} may call its module from outside the tree",
                graph::address(call),
                source.name
            ));
        }
    }
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
        let (hcl, trees) = as_hcl(sources)?;
        let bodies = parse_all(&hcl, &trees)?;
        let Modules {
            dirs,
            of_file,
            mut graph,
            notes,
        } = modules(&hcl, &bodies)?;
        if let Some(state) = state {
            let root = graph.state_root(state).map_err(|message| FileError {
                name: "--tf-state".into(),
                error: InputError::whole(message).with_hint(
                    "give the state of the configuration refined (a directory of one root module and its local modules)",
                ),
            })?;
            graph.state = root.map(|root| (state, root));
        }
        let mut reading = Reading {
            sources,
            hcl: &hcl,
            trees: &trees,
            bodies: &bodies,
            dirs,
            of_file,
            graph,
            notes,
            uses: Vec::new(),
        };
        let mut files = Vec::new();
        for file in 0..bodies.len() {
            files.push(reading.file_host(file)?);
        }
        files.extend(reading.policy_files(read_file)?);
        Ok(Configuration {
            files,
            notes: reading.notes,
        })
    }
}

/// Each source as HCL (a `.tf.json` file as the HCL it stands for), and
/// each `.tf.json` file's JSON tree.
fn as_hcl(sources: &[Source]) -> Result<(Vec<Source>, Vec<Option<Value>>), FileError> {
    let mut hcl = Vec::new();
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
        hcl.push(hcl_source);
    }
    Ok((hcl, trees))
}

/// Every source parsed; a syntax error with its file and place.
fn parse_all(hcl: &[Source], trees: &[Option<Value>]) -> Result<Vec<Body>, FileError> {
    hcl.iter()
        .zip(trees)
        .map(|(source, tree)| {
            parse(&source.text).map_err(|error| FileError {
                name: source.name.clone(),
                error: match tree {
                    Some(_) => InputError::whole(format!(
                        "not Terraform's JSON syntax as refine reads it: {}",
                        error.message
                    )),
                    None => error,
                },
            })
        })
        .collect()
}

/// A configuration being read: its files, as written and as HCL, and
/// its modules.
struct Reading<'c> {
    sources: &'c [Source],
    hcl: &'c [Source],
    trees: &'c [Option<Value>],
    bodies: &'c [Body],
    dirs: Vec<PathBuf>,
    of_file: Vec<usize>,
    graph: Graph<'c>,
    notes: Vec<String>,
    /// The policy files read so far: path, module, file, the call.
    uses: Vec<(PathBuf, usize, usize, FileUse)>,
}

impl Reading<'_> {
    /// `err` as an error about its file: in a `.tf.json` file, where the
    /// same text is written (its place is in the HCL refine made of it).
    fn graph_error(&self, err: GraphError) -> FileError {
        let text = &self.sources[err.file].text;
        let error = match self.trees[err.file] {
            Some(_) => {
                let written = self.hcl[err.file].text.get(err.span.start..err.span.end);
                match written.and_then(|w| text.find(w)) {
                    Some(at) => at_span(text, Span { start: at, end: at }, err.message),
                    None => InputError::whole(err.message),
                }
            }
            None => at_span(text, err.span, err.message),
        };
        FileError {
            name: self.sources[err.file].name.clone(),
            error,
        }
    }

    /// The host of source `file`, its policies owned; the policy files it
    /// reads are kept for [`Reading::policy_files`].
    fn file_host(&mut self, file: usize) -> Result<ConfigFile, FileError> {
        let m = self.of_file[file];
        let prefix = self.graph.prefix(m);
        let source = &self.sources[file];
        let finds = find::find(&self.hcl[file].text, &self.bodies[file]);
        let (found, mut left, written) = match &self.trees[file] {
            Some(tree) => {
                let (found, left) = tfjson::documents(&source.text, tree);
                (found, left, Written::Json)
            }
            None => (finds.found, finds.left, Written::Hcl),
        };
        let mut owned = Vec::new();
        let mut set_aside = Vec::new();
        for found in found {
            if let Holder::Document { name } = &found.holder {
                let why = match (found.trust, self.graph.trust_only(m, name)) {
                    (true, _) => {
                        Some("every statement has principals (a trust or resource policy)")
                    }
                    (false, true) => Some("used only as a trust policy"),
                    (false, false) => None,
                };
                if let Some(why) = why {
                    // Not an identity policy: said, not counted as not
                    // checked.
                    set_aside.push(found.address.clone());
                    left.push(Left {
                        at: found.at,
                        why: format!("{prefix}{}: {why}: not changed", found.address),
                        address: None,
                    });
                    continue;
                }
            }
            let names = self
                .graph
                .owners(m, &found.holder)
                .map_err(|e| self.graph_error(e))?;
            owned.push((found, names));
        }
        for used in finds.files {
            match file_of(&self.dirs, &self.graph, m, &used.path, used.in_module) {
                Some(path) => self.uses.push((path, m, file, used)),
                None => self.notes.push(format!(
                    "{}: the policy of {}{} reads {}, relative to where Terraform runs, not to its module: not read",
                    source.name, prefix, used.address, used.path
                )),
            }
        }
        let mut host =
            TerraformFile::build(&source.text, owned, left, &prefix, written).map_err(|error| {
                FileError {
                    name: source.name.clone(),
                    error,
                }
            })?;
        host.set_aside = set_aside;
        Ok(ConfigFile {
            path: source.path.clone(),
            name: source.name.clone(),
            host,
        })
    }

    /// The hosts of the policy files the configuration reads, each owned
    /// by the owners of every resource that reads it, and by an unknown
    /// owner when something else may read it too; a file that cannot be
    /// read is a note.
    fn policy_files(&mut self, read_file: ReadFile) -> Result<Vec<ConfigFile>, FileError> {
        let uses = std::mem::take(&mut self.uses);
        let hidden = hidden_reads(
            self.hcl,
            self.bodies,
            &self.of_file,
            &self.dirs,
            &self.graph,
            &uses,
        );
        let mut files = Vec::new();
        for (path, mut group) in group_by_path(uses) {
            let calls: Vec<(usize, Span)> = group
                .iter()
                .map(|(file, _, used)| (*file, used.at))
                .collect();
            let (_, m, first) = group.remove(0);
            let mut names = self
                .graph
                .owners(m, &first.holder)
                .map_err(|e| self.graph_error(e))?;
            for (_, m, used) in &group {
                names.extend(
                    self.graph
                        .owners(*m, &used.holder)
                        .map_err(|e| self.graph_error(e))?,
                );
            }
            if let Some(why) = named_elsewhere(self.hcl, self.bodies, &path, &calls) {
                names.push(OwnerName::Unknown(why));
            }
            for (read_at, read) in &hidden {
                if read.as_ref().is_none_or(|p| *p == path) {
                    names.push(OwnerName::Unknown(format!(
                        "{read_at} reads a file with file(...) or templatefile(...) outside a policy refine follows: it may be this one"
                    )));
                }
            }
            let address = format!("{}{}", self.graph.prefix(m), first.address);
            match policy_file(&path, &address, first, names, read_file) {
                Ok(file) => files.push(file),
                Err(why) => self.notes.push(why),
            }
        }
        Ok(files)
    }
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

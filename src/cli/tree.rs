//! The main job over a directory: every policy file under it.
//!
//! Files are visited in sorted order. A file is read once and recognised
//! by its content ([`hosts::detect`]): a policy is refined, other JSON and
//! files that are not JSON are skipped with a note, and a policy with an
//! error is reported. A file that fails is reported and the rest are still
//! processed and reported (a diff or report of the others, for code
//! scanning), and the run exits 2 at the end. With `--in-place` every
//! rewrite is decided before the first is written, and none is when a file
//! failed. Symbolic links are followed only with `--follow`, and a file
//! reached by several links is refined once.

use super::basis::Basis;
use super::diag;
use super::io::{self, describe, emit, print_error, read_input, write_all_atomic, Input, Rewrite};
use super::plan::{Plan, Stdout};
use super::refine::{diff_of, exit_code, newer_note, not_checked_note, patch_path, render};
use anyhow::Result;
use iam_refine::error::escape;
use iam_refine::hosts::json_file::JsonFile;
use iam_refine::hosts::{self, Detected};
use iam_refine::output::report::FileReport;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What a walk has found so far.
#[derive(Default)]
struct Walk {
    diffs: String,
    reports: Vec<FileReport>,
    /// With `--in-place`: each file to rewrite and its new text, written
    /// only when the whole run succeeds.
    writes: Vec<Rewrite>,
    failed: usize,
    narrowed: bool,
    /// Whether the walk keeps its notes and errors to itself (a first
    /// pass that only collects names).
    quiet: bool,
}

pub(super) fn run(dir: &Path, plan: &Plan, basis: &mut Basis) -> Result<ExitCode> {
    let mut walk = Walk::default();
    // A Terraform configuration is read whole first: a file's policies
    // may be attached in another file or module. (A quiet walk: the one
    // below says what it skips, in order.)
    let mut terraform = Vec::new();
    let mut first = Walk {
        quiet: true,
        ..Walk::default()
    };
    let mut total = 0;
    each_policy_file(dir, plan, &mut first, |file, _| {
        total += 1;
        if hosts::terraform::is_terraform(file) {
            terraform.push(file.to_path_buf());
        }
    });
    let progress = super::progress::Progress::new("refining policy files", || total);
    let loaded = match terraform.is_empty() {
        true => None,
        false => match super::terraform::load(&terraform, basis) {
            Ok(loaded) => Some(loaded),
            Err(err) => {
                print_error(&err);
                walk.failed += 1;
                None
            }
        },
    };
    // The walk's own messages, in order among its files: said as each
    // file's turn comes, with the file's.
    let mut found: Vec<(Vec<diag::Said>, PathBuf)> = Vec::new();
    let ((), last) = diag::capture(|| {
        each_policy_file(dir, plan, &mut walk, |file, _| {
            found.push((diag::take_captured(), file.to_path_buf()));
        })
    });
    let mut visited = Vec::new();
    let pool = iam_refine::engine::threads::pool(plan.jobs);
    for chunk in found.chunks(CHUNK) {
        let steps = Steps {
            plan,
            loaded: loaded.as_ref(),
            pool: pool.as_ref(),
        };
        for (said, outcome) in steps.run(chunk, basis, &mut visited) {
            diag::replay(said);
            match outcome {
                Outcome::Nothing => {}
                Outcome::Failed => walk.failed += 1,
                Outcome::Keep(file, done) => keep(&file, done, plan, &mut walk),
            }
            progress.inc();
        }
    }
    diag::replay(last);
    drop(progress);
    // Policy files a `templatefile(...)` reads under other names
    // (`policy.json.tpl`): refined as the configuration's.
    if let Some(loaded) = &loaded {
        let root = std::fs::canonicalize(dir).ok();
        for file in loaded.policy_files() {
            if visited.contains(&hosts::terraform::normal(file)) {
                continue;
            }
            let inside = root.as_ref().is_some_and(|root| {
                std::fs::canonicalize(file).is_ok_and(|file| file.starts_with(root))
            });
            match inside {
                true => keep(file, loaded.refine(file, basis, plan), plan, &mut walk),
                false => diag::note(&format!(
                    "{}: a policy file the configuration reads, outside {}: not refined",
                    file.display(),
                    dir.display()
                )),
            }
        }
    }
    let conflicts = basis.conflicts();
    for (arn, claimants) in &conflicts {
        diag::error(&format!(
            "{}: taken for {}: which template's is it?\nhint: give --stack-resources for each stack (and no two templates the same stack), or run on one template at a time",
            escape(arn),
            claimants.iter().map(|c| escape(c)).collect::<Vec<_>>().join(" and ")
        ));
        walk.failed += 1;
    }
    newer_note(basis, walk.narrowed);
    let output = match plan.stdout {
        // A principal two templates took for theirs: every answer about
        // them may be wrong, and a diff of the others would be applied
        // as if whole.
        _ if !conflicts.is_empty() => String::new(),
        Stdout::Report(format) => render(format, plan, &walk.reports, basis.catalog()),
        Stdout::Diff => walk.diffs,
        Stdout::Policy | Stdout::Nothing => String::new(),
    };
    if walk.failed == 0 {
        write_all_atomic(&walk.writes)?;
    }
    // Nothing to say after a conflict: -o is not written (not even
    // emptied).
    if (plan.output.is_some() && conflicts.is_empty()) || !output.is_empty() {
        emit(plan.output.as_deref(), &output)?;
    }
    if walk.failed > 0 {
        let nothing = match plan.in_place {
            true => ": no file rewritten",
            false => "",
        };
        diag::error(&format!(
            "{} file{} failed{nothing}",
            walk.failed,
            if walk.failed == 1 { "" } else { "s" }
        ));
        return Ok(ExitCode::from(2));
    }
    if walk.reports.is_empty() {
        diag::warning(&format!(
            "{}: no policy file here\nhint: -v lists the files skipped as not policies; --no-ignore and --hidden walk ignored and hidden files",
            dir.display()
        ));
    }
    basis.summary(&walk.reports, plan.in_place);
    super::refine::check_summary(plan, &walk.reports);
    Ok(exit_code(plan.gate.as_ref(), &walk.reports))
}

impl Walk {
    /// Says `message` as a note, unless the walk is quiet.
    fn note(&self, message: &str) {
        if !self.quiet {
            diag::note(message);
        }
    }
}

/// Files refined at a time: enough to keep every thread busy, few enough
/// that their texts and results do not pile up.
const CHUNK: usize = 64;

/// A directory's files, refined a chunk at a time on every core
/// (`--jobs`), with the same output as on one thread: what needs the
/// basis (which owners, which findings, in file order) is decided on this
/// thread; reading, parsing and refining-and-proving, on any; and what
/// each step says is held back and said in file order ([`diag::capture`]).
struct Steps<'a> {
    plan: &'a Plan,
    loaded: Option<&'a super::terraform::Loaded>,
    pool: Option<&'a rayon::ThreadPool>,
}

/// One file read and recognised, on any thread.
enum Read {
    /// Said and counted: nothing more to do (`true`: a failure).
    Over(bool),
    /// A policy file. Its host borrows the text, so it is parsed again
    /// where it is needed (parsing is a small part of refining a file).
    Policy(Input),
    /// A template, parsed again on this thread.
    Template(Input),
    /// A Terraform file: refined with its configuration, or not at all.
    Terraform,
}

/// What one file yields, after what was said about it.
type Yield = (Vec<diag::Said>, Outcome);

/// What one file comes to.
enum Outcome {
    /// Nothing to keep (skipped, or refined elsewhere).
    Nothing,
    /// A failure, said already.
    Failed,
    /// A result to keep (or a failure to say).
    Keep(PathBuf, Result<super::refine::Done>),
}

/// Runs `f` over `items` on the pool (results in the items' order), or here.
fn each<T: Send, U: Send>(
    pool: Option<&rayon::ThreadPool>,
    items: Vec<T>,
    f: impl Fn(T) -> U + Sync + Send,
) -> Vec<U> {
    match pool {
        Some(pool) => {
            use rayon::prelude::*;
            pool.install(|| items.into_par_iter().map(f).collect())
        }
        None => items.into_iter().map(f).collect(),
    }
}

impl Steps<'_> {
    /// The files of one chunk (each after the walk's messages before it),
    /// refined; their results and messages in order.
    fn run(
        &self,
        chunk: &[(Vec<diag::Said>, PathBuf)],
        basis: &mut Basis,
        visited: &mut Vec<PathBuf>,
    ) -> Vec<Yield> {
        let stack = basis.stack().clone();
        let files: Vec<(&PathBuf, bool)> = chunk
            .iter()
            .map(|(_, file)| {
                let claimed = self.loaded.is_some_and(|l| l.host(file).is_some());
                (file, claimed)
            })
            .collect();
        let read = each(self.pool, files, |(file, claimed)| {
            diag::capture(|| read_file(file, claimed, &stack))
        });
        // In file order, on this thread: what needs the basis.
        let mut decided = Vec::with_capacity(chunk.len());
        for ((walked, file), (read, said)) in chunk.iter().zip(read) {
            let (next, more) = diag::capture(|| self.decide(file, read, basis, visited));
            decided.push(([walked.clone(), said, more].concat(), file, next));
        }
        let (catalog, plan) = (basis.catalog(), self.plan);
        each(self.pool, decided, |(mut said, file, next)| {
            let outcome = match next {
                Next::Nothing => Outcome::Nothing,
                Next::Failed => Outcome::Failed,
                Next::Done(done) => Outcome::Keep(file.clone(), done),
                Next::Refine(input, job) => {
                    let (done, more) = diag::capture(|| {
                        let host = policy_host(file, &input, &stack)?;
                        job.run(&input, &host, catalog, plan)
                    });
                    said.extend(more);
                    Outcome::Keep(file.clone(), done)
                }
            };
            (said, outcome)
        })
    }

    /// The part of a file's refinement that needs the basis.
    fn decide(
        &self,
        file: &Path,
        read: Read,
        basis: &mut Basis,
        visited: &mut Vec<PathBuf>,
    ) -> Next {
        let plan = self.plan;
        match read {
            Read::Over(false) => Next::Nothing,
            Read::Over(true) => Next::Failed,
            Read::Terraform => match self.loaded.filter(|l| l.host(file).is_some()) {
                Some(loaded) => {
                    visited.push(hosts::terraform::normal(file));
                    Next::Done(loaded.refine(file, basis, plan))
                }
                None => Next::Nothing,
            },
            Read::Template(input) => {
                let yaml = hosts::yaml_name(file);
                Next::Done(match hosts::detect(&input.text, yaml, basis.stack()) {
                    Detected::Template(host) => {
                        super::template::refine_template(file, &input, &*host, basis, plan)
                    }
                    _ => Err(anyhow::anyhow!(
                        "{}: internal error: read as a template once, not twice",
                        input.name
                    )),
                })
            }
            Read::Policy(input) => {
                let decided = policy_host(file, &input, basis.stack())
                    .and_then(|host| super::refine::decide_file(file, &input, &host, basis, plan));
                match decided {
                    Ok(super::refine::Next::Done(done)) => Next::Done(Ok(done)),
                    Ok(super::refine::Next::Refine(job)) => Next::Refine(input, job),
                    Err(err) => Next::Done(Err(err)),
                }
            }
        }
    }
}

/// The policy host of a file already recognised as a policy file.
fn policy_host<'t>(
    file: &Path,
    input: &'t Input,
    stack: &iam_refine::hosts::template::StackContext,
) -> Result<JsonFile<'t>> {
    match hosts::detect(&input.text, hosts::yaml_name(file), stack) {
        Detected::Policy(host) => Ok(host),
        _ => Err(anyhow::anyhow!(
            "{}: internal error: read as a policy once, not twice",
            input.name
        )),
    }
}

/// What is left of a file once the basis has decided.
enum Next {
    Nothing,
    Failed,
    Done(Result<super::refine::Done>),
    Refine(Input, super::refine::Job),
}

/// Reads and recognises one file of the walk; a failure or a skip is said
/// here.
fn read_file(
    file: &Path,
    claimed: bool,
    stack: &iam_refine::hosts::template::StackContext,
) -> Read {
    if hosts::terraform::is_terraform(file) || claimed {
        return Read::Terraform;
    }
    let input = match read_input(file, io::POLICY) {
        Ok(input) => input,
        Err(err) => {
            print_error(&err);
            return Read::Over(true);
        }
    };
    let yaml = hosts::yaml_name(file);
    match hosts::detect(&input.text, yaml, stack) {
        Detected::Policy(_) => Read::Policy(input),
        Detected::Template(_) => Read::Template(input),
        Detected::Broken(err) => {
            diag::error(&describe(&input, &err));
            Read::Over(true)
        }
        // An empty `.json` is what a shell redirect onto it leaves.
        Detected::NotJson if input.text.trim().is_empty() && !yaml => {
            diag::warning(&format!(
                "{}: empty file: skipped\nhint: if a shell redirect emptied it (`refine p.json f.json > p.json`), restore it (e.g. `git checkout p.json`); --in-place rewrites policy files",
                input.name
            ));
            Read::Over(false)
        }
        Detected::NotJson => {
            diag::info(&format!("{}: not JSON: skipped", input.name));
            Read::Over(false)
        }
        Detected::NotAPolicy => {
            diag::info(&format!("{}: not a policy document: skipped", input.name));
            Read::Over(false)
        }
        Detected::NotATemplate => {
            diag::info(&format!(
                "{}: not a CloudFormation template: skipped",
                input.name
            ));
            Read::Over(false)
        }
    }
}

/// Keeps what refining one file yielded; a failure is printed and counted.
fn keep(file: &Path, done: Result<super::refine::Done>, plan: &Plan, walk: &mut Walk) {
    let done = match done {
        Ok(done) => done,
        Err(err) => {
            print_error(&err);
            walk.failed += 1;
            return;
        }
    };
    not_checked_note(&done, plan);
    walk.narrowed |= done.narrowed;
    if plan.stdout == Stdout::Diff {
        walk.diffs.push_str(&diff_of(&done));
    }
    if let (true, Some(rewritten)) = (plan.in_place && done.rewrites(), &done.rewritten) {
        walk.writes.push(Rewrite {
            path: file.to_path_buf(),
            new: rewritten.text().as_bytes().to_vec(),
            old: done.text.as_bytes().to_vec(),
        });
    }
    walk.reports.extend(done.reports);
}

/// Calls `each` on the `*.json`, YAML and `*.tf` files under `dir`, in sorted order, each
/// once; walk errors are printed and counted as they come. A file reached
/// through a link is named by where it is, so that a patch applies to it.
fn each_policy_file(
    dir: &Path,
    plan: &Plan,
    walk: &mut Walk,
    mut each: impl FnMut(&Path, &mut Walk),
) {
    let follow = plan.follow;
    let mut seen = std::collections::HashSet::new();
    // As ripgrep walks (see `walker`), unless --no-ignore or --hidden.
    let entries = walker(dir, follow, !plan.no_ignore, plan.hidden);
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let (place, message) = walk_error(&err);
                let place = place.as_deref().unwrap_or(dir).display().to_string();
                if !walk.quiet {
                    diag::error(&format!("{place}: {message}"));
                }
                walk.failed += 1;
                continue;
            }
        };
        let path = entry.path();
        if entry.path_is_symlink() && !follow {
            walk.note(&format!(
                "{}: a symbolic link: skipped (use --follow)",
                path.display()
            ));
            continue;
        }
        let is_file = entry.file_type().is_some_and(|t| t.is_file());
        let terraform = hosts::terraform::is_terraform(path);
        if !is_policy_name(path) || !is_file {
            continue;
        }
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if !seen.insert(canonical.clone()) {
            continue;
        }
        let file = if entry.path_is_symlink() {
            PathBuf::from(patch_path(&canonical.to_string_lossy()))
        } else {
            path.to_path_buf()
        };
        // A Terraform file is read whatever its size: leaving one out of
        // its configuration could leave an owner out.
        let large = std::fs::metadata(&file).is_ok_and(|m| m.len() > io::POLICY_BYTES);
        if large && !terraform {
            walk.note(&format!(
                "{}: too large to be a policy: skipped",
                file.display()
            ));
            continue;
        }
        each(&file, walk);
    }
}

/// A walk error in one line, and the path it is about when it says.
/// A walk of `dir` as ripgrep walks: what .gitignore (in a git
/// repository), .ignore and git's exclude files leave out is left out, and
/// so are hidden files, unless `filters` is off or `hidden` on; symbolic
/// links followed only with `follow`; sorted by name, so runs and patches
/// are the same every time. Terraform's working directory (downloaded
/// modules, providers) is not the configuration. Shared by every walk of
/// policy files (the main job, `refine drift`).
pub(super) fn walker(dir: &Path, follow: bool, filters: bool, hidden: bool) -> ignore::Walk {
    ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .git_ignore(filters)
        .git_exclude(filters)
        .git_global(filters)
        .ignore(filters)
        .parents(filters)
        .hidden(!hidden)
        .follow_links(follow)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| entry.file_name() != ".terraform")
        .build()
}

/// Whether a walked file's name is one a policy, template or Terraform
/// file has.
pub(super) fn is_policy_name(path: &Path) -> bool {
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    json || hosts::terraform::is_terraform(path) || hosts::yaml_name(path)
}

pub(super) fn walk_error(err: &ignore::Error) -> (Option<PathBuf>, String) {
    match err {
        ignore::Error::WithPath { path, err } => {
            let (inner, message) = walk_error(err);
            (inner.or_else(|| Some(path.clone())), message)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err)
        }
        ignore::Error::Loop { ancestor, child } => (
            Some(child.clone()),
            format!("a symbolic link loop back to {}", ancestor.display()),
        ),
        ignore::Error::Io(io) => {
            // The walker's own error names the path again; the OS's says
            // only what went wrong.
            let os = io.raw_os_error().or_else(|| {
                let inner = io.get_ref()?.downcast_ref::<walkdir::Error>()?;
                inner.io_error()?.raw_os_error()
            });
            let cause = match os {
                Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
                None => io.kind().to_string(),
            };
            (None, format!("cannot read: {cause}"))
        }
        other => (None, other.to_string()),
    }
}

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
use super::io::{self, describe, emit, print_error, read_input, write_all_atomic, Rewrite};
use super::plan::{Plan, Stdout};
use super::refine::{
    diff_of, exit_code, newer_note, not_checked_note, patch_path, refine_decided, render,
};
use anyhow::Result;
use iam_refine::error::escape;
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
    let mut visited = Vec::new();
    each_policy_file(dir, plan, &mut walk, |file, walk| {
        let claimed = loaded.as_ref().filter(|l| l.host(file).is_some());
        match (claimed, hosts::terraform::is_terraform(file)) {
            (Some(loaded), _) => {
                visited.push(hosts::terraform::normal(file));
                keep(file, loaded.refine(file, basis, plan), plan, walk)
            }
            (None, true) => {}
            (None, false) => refine_one(file, plan, basis, walk),
        }
        progress.inc();
    });
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

/// Reads and refines one file of the walk, keeping what it yields; a
/// failure is printed and counted.
fn refine_one(file: &Path, plan: &Plan, basis: &mut Basis, walk: &mut Walk) {
    let input = match read_input(file, io::POLICY) {
        Ok(input) => input,
        Err(err) => {
            print_error(&err);
            walk.failed += 1;
            return;
        }
    };
    let yaml = hosts::yaml_name(file);
    let done = match hosts::detect(&input.text, yaml, basis.stack()) {
        Detected::Policy(host) => refine_decided(file, &input, &host, basis, plan),
        Detected::Template(host) => {
            super::template::refine_template(file, &input, &*host, basis, plan)
        }
        Detected::Broken(err) => {
            diag::error(&describe(&input, &err));
            walk.failed += 1;
            return;
        }
        // An empty `.json` is what a shell redirect onto it leaves.
        Detected::NotJson if input.text.trim().is_empty() && !yaml => {
            diag::warning(&format!(
                "{}: empty file: skipped\nhint: if a shell redirect emptied it (`refine p.json f.json > p.json`), restore it (e.g. `git checkout p.json`); --in-place rewrites policy files",
                input.name
            ));
            return;
        }
        Detected::NotJson => {
            diag::info(&format!("{}: not JSON: skipped", input.name));
            return;
        }
        Detected::NotAPolicy => {
            diag::info(&format!("{}: not a policy document: skipped", input.name));
            return;
        }
        Detected::NotATemplate => {
            diag::info(&format!(
                "{}: not a CloudFormation template: skipped",
                input.name
            ));
            return;
        }
    };
    keep(file, done, plan, walk);
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
    // As ripgrep walks: what .gitignore (in a git repository), .ignore and
    // git's exclude files leave out is left out, and so are hidden files,
    // unless --no-ignore or --hidden; sorted by name, so runs and patches
    // are the same every time.
    let filters = !plan.no_ignore;
    let entries = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .git_ignore(filters)
        .git_exclude(filters)
        .git_global(filters)
        .ignore(filters)
        .parents(filters)
        .hidden(!plan.hidden)
        .follow_links(follow)
        .sort_by_file_name(|a, b| a.cmp(b))
        // Terraform's working directory (downloaded modules, providers) is
        // not the configuration.
        .filter_entry(|entry| entry.file_name() != ".terraform")
        .build();
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
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let terraform = hosts::terraform::is_terraform(path);
        if !(json || terraform || hosts::yaml_name(path)) || !is_file {
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
fn walk_error(err: &ignore::Error) -> (Option<PathBuf>, String) {
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

//! The main job: one policy file, or every policy file under a directory.
//!
//! Each file goes through the same steps — read, refine against the
//! findings, verify (the self-check), rewrite its text keeping every byte
//! that does not change — and then is printed, diffed, checked or written
//! back. A tree is walked in sorted order; a file that is not a policy is
//! skipped with a note; a file that fails is reported and the rest still
//! processed, and the run exits 2 at the end.

use super::io::{self, describe, emit, print_error, read_input, write_atomic, Input};
use super::load_catalog;
use super::{diag, sources};
use super::{Color, Format, RunArgs};
use anyhow::{anyhow, bail, Result};
use iam_refine::engine::refine::{refine_with, Options, Refined};
use iam_refine::engine::verify;
use iam_refine::error::escape;
use iam_refine::input::findings;
use iam_refine::input::findings::Resolved;
use iam_refine::input::policy::{self, Form, Policy};
use iam_refine::output::report::{self, FileReport, Gate};
use iam_refine::{hosts::rewrite, output::diff, output::size};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

/// One policy file, refined and rewritten.
struct Done {
    input: Input,
    policy: Policy,
    refined: Refined,
    /// The file's text with the refinement applied, every other byte kept
    /// (empty unless asked for: only diffs and in-place writes need it).
    rewritten: String,
    /// The refined policy as printed (empty unless asked for).
    printed: String,
}

/// What a run makes of each policy file besides its report.
#[derive(Clone, Copy)]
struct Makes {
    /// The rewritten file text (for `--diff` and `--in-place`).
    rewrite: bool,
    /// The refined policy, printed.
    print: bool,
}

pub(super) fn run(args: RunArgs, catalog_path: Option<&Path>) -> Result<ExitCode> {
    let policy_arg = args.policy.clone().unwrap_or_default();
    let stdin_inputs = [
        Some(policy_arg.as_str()),
        args.findings.as_deref(),
        args.used.as_deref(),
        args.last_accessed.as_deref(),
    ];
    if stdin_inputs.iter().filter(|a| **a == Some("-")).count() > 1 {
        bail!("only one input can be `-` (stdin)");
    }
    if args.check && !args.diff && args.format == Format::Policy && args.output.is_some() {
        bail!("--check prints nothing, so -o would only empty the file\nadd --diff to write the diff, or leave out -o");
    }
    if args.diff && args.format != Format::Policy {
        bail!("--diff and --format both print to stdout: choose one");
    }
    let gate = match &args.fail_on {
        Some(_) if !args.check => bail!("--fail-on sets what makes --check fail: add --check"),
        Some(levels) => Gate::parse(levels).map_err(|err| anyhow!("--fail-on: {err}"))?,
        None => Gate::default(),
    };
    if args.in_place && (args.output.is_some() || policy_arg == "-") {
        bail!("--in-place rewrites the policy file itself: it takes neither -o nor stdin");
    }
    let catalog = load_catalog(catalog_path)?;
    let resolved = sources::resolve(&args, &catalog)?;
    let options = Options { exact: args.exact };
    if Path::new(&policy_arg).is_dir() {
        return run_tree(Path::new(&policy_arg), &args, &resolved, &gate);
    }
    let makes = Makes {
        rewrite: args.diff || args.in_place,
        print: args.format == Format::Policy && !(args.diff || args.check || args.in_place),
    };
    let done = refine_file(
        read_input(&policy_arg, io::POLICY)?,
        &resolved,
        options,
        makes,
    )?;
    let reports = [file_report(&done, &resolved)];
    let check_lines = (args.check && args.format == Format::Policy).then_some(&gate);
    report(&done, &reports[0], check_lines);
    newer_note(&resolved, done.refined.narrowed_wildcards);
    let output = if args.format != Format::Policy {
        render(&args, &reports, &resolved)
    } else if args.diff {
        diff::unified(
            &patch_path(&done.input.name),
            &done.input.text,
            &done.rewritten,
        )
    } else {
        done.printed
    };
    if args.in_place && done.rewritten != done.input.text {
        write_atomic(Path::new(&policy_arg), done.rewritten.as_bytes())?;
    }
    if args.output.is_some() || !output.is_empty() {
        emit(args.output.as_deref(), &output)?;
    }
    Ok(if args.check && fails(&gate, &reports) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every policy file under `dir`.
fn run_tree(dir: &Path, args: &RunArgs, resolved: &Resolved, gate: &Gate) -> Result<ExitCode> {
    if !(args.diff || args.in_place || args.check || args.format != Format::Policy) {
        bail!(
            "{}: a directory is refined with --diff, --in-place, --check or a --format",
            dir.display()
        );
    }
    let (mut diffs, mut failed, mut narrowed) = (String::new(), 0, false);
    let mut reports = Vec::new();
    // With --follow, a file reached by several links is refined once.
    let mut seen = std::collections::HashSet::new();
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(args.follow)
        .sort_by_file_name();
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let place = err.path().unwrap_or(dir).display().to_string();
                diag::error(&format!("{place}: {}", walk_error(&err)));
                failed += 1;
                continue;
            }
        };
        let path = entry.path();
        if entry.path_is_symlink() && !args.follow {
            diag::note(&format!(
                "{}: a symbolic link: skipped (use --follow)",
                path.display()
            ));
            continue;
        }
        if path.extension().is_none_or(|e| e != "json") || !entry.file_type().is_file() {
            continue;
        }
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if !seen.insert(canonical.clone()) {
            continue;
        }
        // A linked file is named by where it is, so a patch applies to it.
        let name = if entry.path_is_symlink() {
            patch_path(&canonical.to_string_lossy())
        } else {
            path.to_string_lossy().into_owned()
        };
        if std::fs::metadata(&name).is_ok_and(|m| m.len() > io::POLICY_BYTES) {
            diag::note(&format!("{name}: too large to be a policy: skipped"));
            continue;
        }
        let input = match read_input(&name, io::POLICY) {
            Ok(input) => input,
            Err(err) => {
                print_error(&err);
                failed += 1;
                continue;
            }
        };
        match not_a_policy(&input.text) {
            Some(Skip::NotJson) if input.text.contains("\"Statement\"") => {
                // A policy with a syntax error must fail a CI check, not
                // pass it as "not JSON".
                if let Err(err) = policy::parse(&input.text) {
                    diag::error(&describe(&input, &err));
                    failed += 1;
                    continue;
                }
            }
            Some(skip) => {
                diag::note(&format!("{}: {}: skipped", input.name, skip.as_str()));
                continue;
            }
            None => {}
        }
        let makes = Makes {
            rewrite: true,
            print: false,
        };
        let done = match refine_file(input, resolved, Options { exact: args.exact }, makes) {
            Ok(done) => done,
            Err(err) => {
                print_error(&err);
                failed += 1;
                continue;
            }
        };
        let file = file_report(&done, resolved);
        report(
            &done,
            &file,
            (args.check && args.format == Format::Policy).then_some(gate),
        );
        reports.push(file);
        narrowed |= done.refined.narrowed_wildcards;
        if done.rewritten == done.input.text {
            continue;
        }
        if args.diff {
            diffs.push_str(&diff::unified(
                &patch_path(&done.input.name),
                &done.input.text,
                &done.rewritten,
            ));
        }
        if args.in_place {
            if let Err(err) = write_atomic(Path::new(&name), done.rewritten.as_bytes()) {
                print_error(&err);
                failed += 1;
            }
        }
    }
    newer_note(resolved, narrowed);
    let output = if args.format == Format::Policy {
        diffs
    } else {
        render(args, &reports, resolved)
    };
    if args.output.is_some() || !output.is_empty() {
        emit(args.output.as_deref(), &output)?;
    }
    Ok(if failed > 0 {
        diag::error(&format!(
            "{failed} file{} failed",
            if failed == 1 { "" } else { "s" }
        ));
        ExitCode::from(2)
    } else if args.check && fails(gate, &reports) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The CI report of one refined file.
fn file_report(done: &Done, resolved: &Resolved) -> FileReport {
    let name = patch_path(&done.input.name);
    FileReport::new(
        &name,
        &done.input.text,
        &done.policy,
        &done.refined,
        &resolved.catalog,
    )
}

/// Whether `--check` fails: an entry grants an unused action of a level the
/// gate names.
fn fails(gate: &Gate, reports: &[FileReport]) -> bool {
    reports
        .iter()
        .flat_map(|r| &r.entries)
        .any(|entry| gate.fails(entry))
}

/// The output of a `--format` other than `policy`.
fn render(args: &RunArgs, reports: &[FileReport], resolved: &Resolved) -> String {
    match args.format {
        Format::Policy => String::new(),
        Format::Json => report::pretty(&report::json::render(reports, resolved.catalog.info())),
        Format::Sarif => report::pretty(&report::sarif::render(reports)),
        Format::Github => report::formats::github(reports),
        Format::Text => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            // NO_COLOR wins over everything, --color always included.
            let color = !no_color
                && match args.color {
                    Color::Always => true,
                    Color::Never => false,
                    Color::Auto => std::io::stdout().is_terminal() && args.output.is_none(),
                };
            report::formats::text(reports, color)
        }
    }
}

/// Why a `*.json` file in a tree is skipped.
enum Skip {
    /// It does not parse as JSON (JSON with comments, say).
    NotJson,
    /// It is JSON of another kind (package.json, a findings file, ...).
    NotAPolicy,
}

impl Skip {
    fn as_str(&self) -> &'static str {
        match self {
            Skip::NotJson => "not JSON",
            Skip::NotAPolicy => "not a policy document",
        }
    }
}

/// Why a JSON file in a tree is not refined, if it is not a policy.
fn not_a_policy(text: &str) -> Option<Skip> {
    match iam_refine::json::read::parse(text) {
        Err(_) => Some(Skip::NotJson),
        Ok(value)
            if ["Statement", "PolicyVersion", "PolicyDocument"]
                .iter()
                .any(|k| value.get(k).is_some()) =>
        {
            None
        }
        Ok(_) => Some(Skip::NotAPolicy),
    }
}

/// The path a patch names a file by: relative to the current directory
/// when it is under it, and without `.` components, which `git apply`
/// refuses. Run refine from the repository's root for a patch that applies.
fn patch_path(name: &str) -> String {
    let path = Path::new(name);
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    if relative.is_absolute() {
        return name.to_string();
    }
    let parts: Vec<String> = relative
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// A walk error in one line.
fn walk_error(err: &walkdir::Error) -> String {
    if let Some(ancestor) = err.loop_ancestor() {
        return format!("a symbolic link loop back to {}", ancestor.display());
    }
    match err.io_error() {
        Some(io) => format!("cannot read: {io}"),
        None => err.to_string(),
    }
}

/// Reads, refines and verifies one policy file, and makes what `makes`
/// asks for: the rewritten text and the printed policy, each refused when
/// it is larger than refine reads back.
fn refine_file(input: Input, resolved: &Resolved, options: Options, makes: Makes) -> Result<Done> {
    let policy = policy::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
    same_principal(&input, &policy, resolved.resource.as_deref())?;
    let refined = refine_with(&policy, &resolved.usage(), options);
    self_check(&policy, &refined, resolved).map_err(|err| anyhow!("{}: {err:#}", input.name))?;
    let rewritten = if makes.rewrite {
        rewrite::rewrite(&input.text, &policy, &refined.edits).map_err(|err| {
            anyhow!(
                "{}: internal check failed: {err}\n{}",
                input.name,
                verify::SELF_CHECK_HINT
            )
        })?
    } else {
        String::new()
    };
    let printed = if makes.print {
        policy::to_pretty(&refined.document)
    } else {
        String::new()
    };
    readable(&input.name, rewritten.len().max(printed.len()))?;
    Ok(Done {
        input,
        policy,
        refined,
        rewritten,
        printed,
    })
}

/// Refuses output that refine itself would refuse to read: what refine
/// writes, `refine` and `refine verify` must read back.
fn readable(name: &str, bytes: usize) -> Result<()> {
    if bytes as u64 <= io::POLICY_BYTES {
        return Ok(());
    }
    bail!(
        "{name}: the refined policy would have {bytes} bytes, more than the {} MiB refine reads back: nothing written\nIAM's largest policy has 10,240 characters; without --exact, refinement writes prefixes instead of every action name",
        io::POLICY_BYTES >> 20
    )
}

/// Once per run: the note that findings made after the catalog may use
/// actions a narrowed wildcard no longer grants, when a wildcard was.
fn newer_note(resolved: &Resolved, narrowed: bool) {
    if let (true, Some(date)) = (narrowed, &resolved.newer_than_catalog) {
        diag::note(&findings::newer_note(date, &resolved.catalog));
    }
}

/// Refuses findings about one principal for another principal's inline
/// policy, when both say whose they are: refining a role's policy against a
/// user's findings would remove what the role uses.
fn same_principal(input: &Input, policy: &Policy, resource: Option<&str>) -> Result<()> {
    use iam_refine::input::policy::Owner;
    let (Some(resource), Form::PolicyDocument(Some(owner)), Some(name)) = (
        resource,
        policy.source.form,
        policy.source.owner_name.as_deref(),
    ) else {
        return Ok(());
    };
    let kind = match owner {
        Owner::Role => "role",
        Owner::User => "user",
        Owner::Group => "group",
    };
    let (resource_kind, resource_name) = resource
        .rsplit(':')
        .next()
        .and_then(|tail| Some((tail.split('/').next()?, tail.rsplit('/').next()?)))
        .unwrap_or_default();
    if resource_kind != kind || resource_name != name {
        bail!(
            "{}: the findings are about {resource}, but this is {kind} {name}'s inline policy\nrefine each policy against the findings of the principal it belongs to",
            input.name
        );
    }
    Ok(())
}

/// Verifies refine's own output before anything is printed: a failure is a
/// bug in refine, and its output must not be used.
pub(super) fn self_check(policy: &Policy, refined: &Refined, resolved: &Resolved) -> Result<()> {
    verify::self_check(policy, refined, &resolved.usage()).map_err(|reason| {
        anyhow!(
            "internal check failed: {reason}\n{}",
            verify::SELF_CHECK_HINT
        )
    })
}

/// Warnings about one file, and with `--check` (in the default format) a
/// line for each entry that grants unused actions the gate fails on.
fn report(done: &Done, file: &FileReport, check: Option<&Gate>) {
    let Done {
        input,
        policy,
        refined,
        ..
    } = done;
    if policy.document().get("Version").is_none() {
        diag::warning(&format!(
            "{}: no Version: IAM reads the policy as 2008-10-17, where policy variables such as ${{aws:username}} are plain text",
            input.name
        ));
    }
    for warning in &refined.warnings {
        diag::warning(&describe(input, warning));
    }
    if refined.grants_nothing {
        diag::error(&format!("{}: grants nothing used: detach it", input.name));
    }
    if let Some((limit, what)) = known_limit(policy) {
        let after = size::of(&refined.document);
        if after > limit && refined.changed() {
            diag::warning(&format!(
                "{}: the refined policy has {after} characters, over IAM's limit of {limit} for {what}",
                input.name
            ));
        }
    }
    let Some(gate) = check else {
        return;
    };
    for entry in file.entries.iter().filter(|e| gate.fails(e)) {
        let label = match &entry.sid {
            Some(sid) => format!("statement {} (Sid {})", entry.statement, escape(sid)),
            None => format!("statement {}", entry.statement),
        };
        diag::error(&format!(
            "{}:{}:{}: {label}: {}",
            input.name,
            entry.region.start_line,
            entry.region.start_column,
            entry.summary()
        ));
    }
}

/// IAM's size limit for a policy, when its input form says which applies.
fn known_limit(policy: &Policy) -> Option<(usize, &'static str)> {
    use iam_refine::input::policy::Owner;
    match policy.source.form {
        Form::PolicyVersion => Some((size::MANAGED, "a managed policy")),
        Form::PolicyDocument(Some(owner)) => Some((
            size::inline_limit(owner),
            match owner {
                Owner::Role => "a role's inline policies",
                Owner::User => "a user's inline policies",
                Owner::Group => "a group's inline policies",
            },
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iam_refine::input::policy;
    use iam_refine::model::catalog::Catalog;
    use iam_refine::{engine::refine::refine, input::findings};

    /// The self-check refuses a refinement that grants something new: the
    /// run then fails with "internal check failed" before printing.
    #[test]
    fn self_check_catches_a_broadened_result() {
        let catalog = Catalog::bundled();
        let original = policy::parse(r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}"#).unwrap();
        let resolved = findings::parse(r#"["s3:PutObject"]"#)
            .unwrap()
            .resolve(&catalog);
        let mut refined = refine(&original, &resolved.usage());
        assert!(self_check(&original, &refined, &resolved).is_ok());
        let with_actions = |actions: serde_json::Value| {
            let mut document = serde_json::Value::from(&original.document().clone());
            document["Statement"][0]["Action"] = actions;
            iam_refine::json::Value::from(&document)
        };
        refined.document = with_actions(serde_json::json!(["s3:Get*"]));
        let err = self_check(&original, &refined, &resolved)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("internal check failed: refined statement 0: \"s3:Get*\" allows s3:Get, which the original does not [new-access]\n"),
            "{err}"
        );
        refined.document = with_actions(serde_json::json!(["s3:GetObject", "s3:PutObject"]));
        let err = self_check(&original, &refined, &resolved)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("still allows s3:PutObject, which is unused [unused-allowed]"),
            "{err}"
        );
    }
}

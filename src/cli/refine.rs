//! The main job: one policy file, or every policy file under a directory.
//!
//! Each file goes through the same steps — read, refine against the
//! findings, verify (the self-check), rewrite its text keeping every byte
//! that does not change — and then is printed, diffed, checked or written
//! back. A tree is walked in sorted order; a file that is not a policy is
//! skipped with a note; a file that fails is reported and the rest still
//! processed, and the run exits 2 at the end.

use super::io::{describe, emit, read_input, write_atomic, Input};
use super::load_catalog;
use super::RunArgs;
use anyhow::{anyhow, bail, Result};
use iam_refine::catalog::Catalog;
use iam_refine::findings::{self, abbreviate, Resolved};
use iam_refine::policy::{self, Form, Policy};
use iam_refine::refine::{refine, Refined};
use iam_refine::verify::{verify, Usage};
use iam_refine::{diff, rewrite, size, span};
use std::path::Path;
use std::process::ExitCode;

/// One policy file, refined and rewritten.
struct Done {
    input: Input,
    policy: Policy,
    refined: Refined,
    /// The file's text with the refinement applied, every other byte kept.
    rewritten: String,
}

pub(super) fn run(args: RunArgs, catalog_path: Option<&Path>) -> Result<ExitCode> {
    let (policy_arg, findings_arg) = (
        args.policy.clone().unwrap_or_default(),
        args.findings.clone().unwrap_or_default(),
    );
    if policy_arg == "-" && findings_arg == "-" {
        bail!("only one of POLICY and FINDINGS can be `-` (stdin)");
    }
    if args.check && !args.diff && args.output.is_some() {
        bail!("--check prints nothing, so -o would only empty the file\nadd --diff to write the diff, or leave out -o");
    }
    if args.in_place && (args.output.is_some() || policy_arg == "-") {
        bail!("--in-place rewrites the policy file itself: it takes neither -o nor stdin");
    }
    let catalog = load_catalog(catalog_path)?;
    let findings_input = read_input(&findings_arg)?;
    let findings = findings::parse(&findings_input.text)
        .map_err(|err| anyhow!(describe(&findings_input, &err)))?;
    let resolved = findings.resolve(&catalog);
    for note in &findings.notes {
        eprintln!("refine: note: {}: {note}", findings_input.name);
    }
    for warning in &resolved.warnings {
        eprintln!("refine: warning: {}: {warning}", findings_input.name);
    }
    if Path::new(&policy_arg).is_dir() {
        return run_tree(Path::new(&policy_arg), &args, &resolved);
    }
    let done = refine_file(read_input(&policy_arg)?, &resolved)?;
    report(&done, &resolved.catalog, args.check);
    let output = if args.diff {
        diff::unified(&done.input.name, &done.input.text, &done.rewritten)
    } else if args.check || args.in_place {
        String::new()
    } else {
        policy::to_pretty(&done.refined.document)
    };
    if args.in_place && done.rewritten != done.input.text {
        write_atomic(Path::new(&policy_arg), done.rewritten.as_bytes())?;
    }
    if args.output.is_some() || !output.is_empty() {
        emit(args.output.as_deref(), &output)?;
    }
    Ok(if args.check && done.refined.changed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every policy file under `dir`.
fn run_tree(dir: &Path, args: &RunArgs, resolved: &Resolved) -> Result<ExitCode> {
    if !(args.diff || args.in_place || args.check) {
        bail!(
            "{}: a directory is refined with --diff, --in-place or --check",
            dir.display()
        );
    }
    let (mut diffs, mut failed, mut changed) = (String::new(), 0, false);
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(args.follow)
        .sort_by_file_name();
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let place = err.path().unwrap_or(dir).display().to_string();
                eprintln!("refine: {place}: {}", walk_error(&err));
                failed += 1;
                continue;
            }
        };
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        if entry.path_is_symlink() && !args.follow {
            eprintln!(
                "refine: note: {}: a symbolic link: skipped (use --follow)",
                path.display()
            );
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let input = match read_input(&path.to_string_lossy()) {
            Ok(input) => input,
            Err(err) => {
                eprintln!("refine: {err:#}");
                failed += 1;
                continue;
            }
        };
        if let Some(why) = not_a_policy(&input.text) {
            eprintln!("refine: note: {}: {why}: skipped", input.name);
            continue;
        }
        let done = match refine_file(input, resolved) {
            Ok(done) => done,
            Err(err) => {
                let text = format!("{err:#}");
                let mut lines = text.lines();
                eprintln!("refine: {}", lines.next().unwrap_or_default());
                lines.for_each(|line| eprintln!("  {line}"));
                failed += 1;
                continue;
            }
        };
        report(&done, &resolved.catalog, args.check);
        if done.rewritten == done.input.text {
            continue;
        }
        changed = true;
        if args.diff {
            diffs.push_str(&diff::unified(
                &done.input.name,
                &done.input.text,
                &done.rewritten,
            ));
        }
        if args.in_place {
            if let Err(err) = write_atomic(path, done.rewritten.as_bytes()) {
                eprintln!("refine: {err:#}");
                failed += 1;
            }
        }
    }
    if args.output.is_some() || !diffs.is_empty() {
        emit(args.output.as_deref(), &diffs)?;
    }
    Ok(if failed > 0 {
        eprintln!(
            "refine: {failed} file{} failed",
            if failed == 1 { "" } else { "s" }
        );
        ExitCode::from(2)
    } else if args.check && changed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Why a JSON file in a tree is not refined, if it is not a policy: it is
/// not JSON, or JSON of another kind (package.json, a findings file, ...).
fn not_a_policy(text: &str) -> Option<&'static str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match serde_json::from_str::<serde_json::Value>(text) {
        Err(_) => Some("not JSON"),
        Ok(serde_json::Value::Object(map))
            if ["Statement", "PolicyVersion", "PolicyDocument"]
                .iter()
                .any(|k| map.contains_key(*k)) =>
        {
            None
        }
        Ok(_) => Some("not a policy document"),
    }
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

/// Reads, refines, verifies and rewrites one policy file.
fn refine_file(input: Input, resolved: &Resolved) -> Result<Done> {
    let policy = policy::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
    let refined = refine(&policy, &resolved.catalog, &resolved.unused);
    self_check(&policy, &refined, resolved).map_err(|err| anyhow!("{}: {err:#}", input.name))?;
    let rewritten = rewrite::rewrite(&input.text, &policy, &refined.edits)
        .map_err(|err| anyhow!("{}: internal check failed: {err}\nthis is a bug in refine: nothing was written; please report it with the policy and findings", input.name))?;
    Ok(Done {
        input,
        policy,
        refined,
        rewritten,
    })
}

/// Verifies refine's own output before anything is printed: a failure is a
/// bug in refine, and its output must not be used.
pub(super) fn self_check(policy: &Policy, refined: &Refined, resolved: &Resolved) -> Result<()> {
    let refined_policy = policy::from_value(refined.document.clone()).map_err(|err| {
        anyhow!("internal check failed: the refined document does not read back: {err}")
    })?;
    let usage = Usage {
        catalog: &resolved.catalog,
        unused: &resolved.unused,
    };
    if let Some(reason) = verify(policy, &refined_policy, Some(&usage)).first() {
        bail!(
            "internal check failed: {}\nthis is a bug in refine: nothing was written; please report it with the policy and findings",
            reason.describe()
        );
    }
    Ok(())
}

/// Warnings about one file, and with `--check` its lines for each entry
/// that grants unused actions.
fn report(done: &Done, catalog: &Catalog, check: bool) {
    let Done {
        input,
        policy,
        refined,
        ..
    } = done;
    for warning in &refined.warnings {
        eprintln!("refine: warning: {}", describe(input, warning));
    }
    if refined.grants_nothing {
        eprintln!("refine: {}: grants nothing used: detach it", input.name);
    }
    if let Some((limit, what)) = known_limit(policy) {
        let after = size::of(&refined.document);
        if after > limit && refined.changed() {
            eprintln!(
                "refine: warning: {}: the refined policy has {after} characters, over IAM's limit of {limit} for {what}",
                input.name
            );
        }
    }
    if !check {
        return;
    }
    for change in &refined.changes {
        let place = span::locate(&input.text, &change.path)
            .map(|(line, column)| format!(":{line}:{column}"))
            .unwrap_or_default();
        let names: Vec<String> = change
            .unused
            .iter()
            .map(|&id| catalog.full_name(id))
            .collect();
        let count = names.len();
        eprintln!(
            "refine: {}{place}: {}: \"{}\" grants {count} unused action{}: {}",
            input.name,
            change.label,
            change.entry,
            if count == 1 { "" } else { "s" },
            abbreviate(&names)
        );
    }
}

/// IAM's size limit for a policy, when its input form says which applies.
fn known_limit(policy: &Policy) -> Option<(usize, &'static str)> {
    use iam_refine::policy::Owner;
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
    use iam_refine::catalog::Catalog;
    use iam_refine::policy;

    /// The self-check refuses a refinement that grants something new: the
    /// run then fails with "internal check failed" before printing.
    #[test]
    fn self_check_catches_a_broadened_result() {
        let catalog = Catalog::bundled();
        let original = policy::parse(r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}"#).unwrap();
        let resolved = findings::parse(r#"["s3:PutObject"]"#)
            .unwrap()
            .resolve(&catalog);
        let mut refined = refine(&original, &resolved.catalog, &resolved.unused);
        assert!(self_check(&original, &refined, &resolved).is_ok());
        refined.document["Statement"][0]["Action"] = serde_json::json!(["s3:Get*"]);
        let err = self_check(&original, &refined, &resolved)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("internal check failed: refined statement 0: \"s3:Get*\" allows s3:Get, which the original does not [new-access]\n"),
            "{err}"
        );
        refined.document["Statement"][0]["Action"] =
            serde_json::json!(["s3:GetObject", "s3:PutObject"]);
        let err = self_check(&original, &refined, &resolved)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("still allows s3:PutObject, which is unused [unused-allowed]"),
            "{err}"
        );
    }
}

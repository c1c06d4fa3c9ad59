//! `refine drift`: what the wildcards of policies grant today that they did
//! not at a review date (`--since`) or in the catalog of the review
//! (`--baseline`). See [`iam_refine::engine::drift`] for what counts.
//!
//! Inputs are what the main job reads: policy files (bare or in the API's
//! wrappers), CloudFormation and SAM templates, Terraform `.tf` and
//! `.tf.json` files, directories of them (walked as the main job walks:
//! sorted, ignore files honoured, hidden files and symbolic links
//! skipped), and `get-account-authorization-details` output (every inline
//! policy and customer managed policy; AWS managed policies are AWS's to
//! review). Files in a directory that are none of these are skipped; a
//! file named on the command line that is none of them is an error.

use super::args::{DriftArgs, DriftFormat};
use super::io::{self, describe, emit, print_error, read_input, Input};
use super::{diag, load_catalog};
use anyhow::{anyhow, bail, Result};
use iam_refine::engine::drift::{drift, Since};
use iam_refine::error::escape;
use iam_refine::hosts::auth_details::Record;
use iam_refine::hosts::template::StackContext;
use iam_refine::hosts::terraform::TerraformFile;
use iam_refine::hosts::{self, Detected, Host};
use iam_refine::input::{account, time};
use iam_refine::model::catalog::first_seen::Index;
use iam_refine::model::catalog::Catalog;
use iam_refine::model::size::Limit;
use iam_refine::output::drift::{self as report, Against, PolicyDrift};
use iam_refine::output::report::{pretty, Gate};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs `refine drift`.
pub(super) fn run(args: DriftArgs, catalog_path: Option<&Path>) -> Result<ExitCode> {
    let gate = match &args.fail_on {
        Some(_) if !args.check => bail!("--fail-on sets what makes --check fail: add --check"),
        Some(levels) => Gate::parse(levels).map_err(|err| anyhow!("--fail-on: {err}"))?,
        None => Gate::default(),
    };
    if gate.fails_not_checked() {
        bail!("--fail-on: not-checked is for refining; drift checks every policy it reads");
    }
    let catalog = load_catalog(catalog_path)?;
    let baseline = match &args.baseline {
        Some(path) => Some(load_catalog(Some(path))?),
        None => None,
    };
    let index = Index::bundled();
    // Each action's date looked up once, only when dates are asked for.
    let dates;
    let (since, against) = match (&args.since, &baseline) {
        (Some(date), None) => {
            let Some(day) = time::parse_date(date) else {
                bail!(
                    "--since: expected a calendar date YYYY-MM-DD, found `{}`",
                    iam_refine::error::escape(date)
                );
            };
            let (oldest, _) = index.span();
            if date.as_str() < oldest {
                diag::warning(&format!(
                    "--since {date} is before the oldest snapshot of the first-seen index ({oldest}): \
                     actions older than that are dated `<={oldest}` and not counted as gained"
                ));
            }
            dates = index.dates_for(&catalog);
            (Since::Date(day, &dates), Against::Date(date.clone()))
        }
        (None, Some(baseline)) => {
            let info = baseline.info();
            (
                Since::Baseline(baseline),
                Against::Baseline(info.source.clone(), info.date.clone()),
            )
        }
        _ => bail!("give one of --since DATE and --baseline CATALOG"),
    };
    let mut drifts = Vec::new();
    let mut failed = 0;
    for path in &args.paths {
        let found = files(path, &mut failed);
        if found.is_empty() && path.is_dir() {
            diag::warning(&format!(
                "{}: no policy, template or Terraform file here",
                escape(&path.display().to_string())
            ));
        }
        for file in found {
            let named = &file == path;
            match drift_of_file(&file, named, &catalog, since) {
                Ok(found) => drifts.extend(found),
                Err(err) => {
                    print_error(&err);
                    failed += 1;
                }
            }
        }
    }
    let about = about(&catalog, &since);
    let text = match args.format {
        DriftFormat::Text => report::text(&drifts, &against),
        DriftFormat::Json => pretty(&report::json(&drifts, &against, about)),
        DriftFormat::Sarif => pretty(&report::sarif(&drifts, &against)),
        DriftFormat::Github => report::github(&drifts, &against),
    };
    emit(None, &text)?;
    if drifts.is_empty() && failed == 0 {
        diag::note(&format!("no entry gained actions {}", against.phrase()));
    }
    if failed > 0 {
        return Ok(ExitCode::from(2));
    }
    if !args.check {
        return Ok(ExitCode::SUCCESS);
    }
    // What --check fails on, on stderr, as the main job says it.
    let failing = report::failing(&gate, &drifts, &against);
    for line in &failing {
        diag::error(line);
    }
    Ok(match failing.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    })
}

/// The report's `about`: today's catalog and the index.
fn about(catalog: &Catalog, since: &Since) -> serde_json::Value {
    let info = catalog.info();
    let index = match since {
        Since::Date(..) => {
            let index = Index::bundled();
            let (oldest, newest) = index.span();
            json!({"snapshots": index.snapshots(), "oldest": oldest, "newest": newest})
        }
        Since::Baseline(_) => serde_json::Value::Null,
    };
    json!({"catalog": {"source": info.source, "date": info.date}, "first_seen_index": index})
}

/// The files `path` stands for: itself, or the policy files under it,
/// walked as the main job walks (ignore files honoured, hidden files and
/// symbolic links skipped).
fn files(path: &Path, failed: &mut usize) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in super::tree::walker(path, false, true, false) {
        match entry {
            Ok(entry) if entry.path_is_symlink() => diag::note(&format!(
                "{}: a symbolic link: skipped",
                escape(&entry.path().display().to_string())
            )),
            Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                if super::tree::is_policy_name(entry.path()) {
                    out.push(entry.path().to_path_buf());
                }
            }
            Ok(_) => {}
            Err(err) => {
                let (place, message) = super::tree::walk_error(&err);
                let place = place.as_deref().unwrap_or(path).display().to_string();
                diag::error(&format!("{}: {message}", escape(&place)));
                *failed += 1;
            }
        }
    }
    out
}

/// What a file holds, read once: its policies, handed to the caller as a
/// host while its text lives; or account authorization details; or
/// nothing refine reads (JSON of another kind, YAML that is no template).
pub(super) enum Held<T> {
    /// What the caller made of the file's host.
    Policies(T),
    /// `get-account-authorization-details` output.
    Account(Input),
    /// Neither.
    Other(Input),
}

/// Reads the file at `path` as the host it is (a policy file, a template,
/// a Terraform file) and hands it to `on`: shared by `drift` and `replay`.
/// A file that looks like a policy or template but does not read is an
/// error.
pub(super) fn read_held<T>(path: &Path, on: impl FnOnce(&str, &dyn Host) -> T) -> Result<Held<T>> {
    if hosts::terraform::is_terraform(path) {
        let input = read_input(path, io::TERRAFORM)?;
        let json = path
            .to_string_lossy()
            .to_ascii_lowercase()
            .ends_with(".json");
        let read = match json {
            true => TerraformFile::read_json(&input.text),
            false => TerraformFile::read(&input.text),
        };
        let file = read.map_err(|err| anyhow!(describe(&input, &err)))?;
        return Ok(Held::Policies(on(&input.name, &file)));
    }
    let input = read_input(path, io::ACCOUNT)?;
    let context = StackContext::default();
    match hosts::detect(&input.text, hosts::yaml_name(path), &context) {
        Detected::Policy(file) => Ok(Held::Policies(on(&input.name, &file))),
        Detected::Template(template) => Ok(Held::Policies(on(&input.name, template.as_ref()))),
        Detected::Broken(err) => Err(anyhow!(describe(&input, &err))),
        Detected::NotAPolicy if is_account(&input) => Ok(Held::Account(input)),
        _ => Ok(Held::Other(input)),
    }
}

/// The error for a file named on the command line that holds no policy:
/// what is wrong with it when it is empty or not JSON, with its place;
/// else `what`.
pub(super) fn not_a_policy(input: &Input, what: &str) -> anyhow::Error {
    let json_like = input
        .text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(['{', '[']);
    let empty = input.text.trim_start_matches('\u{feff}').trim().is_empty();
    if empty || json_like {
        if let Err(err) = iam_refine::json::read(&input.text, "an IAM policy document") {
            return anyhow!(describe(input, &err));
        }
    }
    anyhow!("{}: {what}", escape(&input.name))
}

/// The drift of every policy in one file. `named` says the file was named
/// on the command line: one that holds no policy is then an error.
fn drift_of_file(
    path: &Path,
    named: bool,
    catalog: &Catalog,
    since: Since,
) -> Result<Vec<PolicyDrift>> {
    match read_held(path, |name, host| of_host(name, host, catalog, since))? {
        Held::Policies(found) => Ok(found),
        Held::Account(input) => of_account(&input, catalog, since),
        Held::Other(input) if named => Err(not_a_policy(
            &input,
            "not a policy, template, Terraform file or account authorization details",
        )),
        Held::Other(input) => {
            diag::info(&format!("{}: not a policy: skipped", escape(&input.name)));
            Ok(Vec::new())
        }
    }
}

/// The drift of each policy a host holds; what it holds as expressions is
/// said, as not evaluated.
fn of_host(path: &str, host: &dyn Host, catalog: &Catalog, since: Since) -> Vec<PolicyDrift> {
    for left in host.left() {
        diag::note(&format!(
            "{}:{}:{}: not evaluated: {}",
            escape(path),
            left.line,
            left.column,
            left.why
        ));
    }
    for embedded in host.policies().iter().filter(|e| e.not_evaluated > 0) {
        let place = embedded
            .place
            .as_deref()
            .map(|p| format!(" {}", escape(p)))
            .unwrap_or_default();
        diag::note(&format!(
            "{}:{place} {} entries or statements written as expressions: not evaluated",
            escape(path),
            embedded.not_evaluated
        ));
    }
    host.policies()
        .iter()
        .filter_map(|embedded| {
            let found = drift(&embedded.policy, catalog, since);
            (!found.is_empty()).then(|| {
                PolicyDrift::new(path, host, &embedded.policy, embedded.place.clone(), found)
            })
        })
        .collect()
}

/// Whether a JSON file is `get-account-authorization-details` output.
fn is_account(input: &Input) -> bool {
    ["RoleDetailList", "UserDetailList", "GroupDetailList"]
        .iter()
        .any(|key| input.text.contains(&format!("\"{key}\"")))
}

/// The drift of an account's inline and customer managed policies, each
/// located at its document in the file.
fn of_account(input: &Input, catalog: &Catalog, since: Since) -> Result<Vec<PolicyDrift>> {
    let details = account::parse(&input.text).map_err(|err| anyhow!(describe(input, &err)))?;
    let mut documents: Vec<(String, &str, Limit)> = Vec::new();
    for list in details.inline_lists() {
        for inline in list.policies {
            let limit = Limit::Inline(list.owner);
            documents.push((list.place(inline), inline.policy_document.get(), limit));
        }
    }
    for managed in details.policies.iter().filter(|p| !p.is_aws_managed()) {
        if let Some(document) = managed.default_document() {
            let place = format!("managed policy {}", managed.policy_name);
            documents.push((place, document.get(), Limit::Managed));
        }
    }
    let mut out = Vec::new();
    // One line index for the file: an account is large, and each policy
    // is located in it.
    let lines = iam_refine::json::Lines::new(&input.text);
    for (place, text, limit) in documents {
        let record =
            Record::read(text, limit).map_err(|err| anyhow!("{}: {place}: {err}", input.name))?;
        let found = drift(record.policy(), catalog, since);
        if found.is_empty() {
            continue;
        }
        // The record's positions are in its document, which starts at
        // `offset` in the file; a document written as a (URL-encoded)
        // string is placed at the string.
        let offset = (text.as_ptr() as usize).saturating_sub(input.text.as_ptr() as usize);
        let object = text.trim_start().starts_with('{');
        let mut policy = PolicyDrift::within(
            &input.name,
            &record,
            record.policy(),
            Some(place),
            found,
            &lines,
            object.then_some(offset),
        );
        if !object {
            let (line, column) = lines.line_column(offset);
            for entry in &mut policy.entries {
                entry.region.start_line = line;
                entry.region.start_column = column;
                entry.region.end_line = line;
                entry.region.end_column = column;
            }
        }
        out.push(policy);
    }
    Ok(out)
}

//! `refine account`: an account's worth of policies in one report.

use super::io::{describe, emit, read_input};
use super::load_catalog;
use anyhow::{anyhow, bail, Context, Result};
use iam_refine::account::{self, report};
use iam_refine::findings;
use iam_refine::policy::to_pretty;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `refine account`.
#[derive(clap::Args, Debug)]
pub(super) struct AccountArgs {
    /// `aws iam get-account-authorization-details` output; `-` reads stdin.
    details: String,
    /// Findings: get-finding-v2 outputs, one per file or as arrays; files,
    /// or directories whose *.json files are all read.
    #[arg(required = true)]
    findings: Vec<PathBuf>,
    /// `json`: the report (schema in the README); `aws`: for the one
    /// principal named by --principal, output shaped like `aws
    /// accessanalyzer get-finding-recommendation`.
    #[arg(long, value_enum, default_value_t = AccountFormat::Json)]
    format: AccountFormat,
    /// Refine only what this role or user holds, against its own findings
    /// (needed by --format aws).
    #[arg(long, value_name = "ARN")]
    principal: Option<String>,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Output formats of `refine account`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum AccountFormat {
    /// The account report.
    Json,
    /// AWS's recommendation shape, for one principal.
    Aws,
}

pub(super) fn run(args: AccountArgs, catalog_path: Option<&Path>) -> Result<ExitCode> {
    if args.format == AccountFormat::Aws && args.principal.is_none() {
        bail!("--format aws describes one principal: add --principal ARN");
    }
    let catalog = load_catalog(catalog_path)?;
    let details = read_input(&args.details)?;
    let mut groups = Vec::new();
    for path in &args.findings {
        for file in findings_files(path)? {
            let input = read_input(&file.to_string_lossy())?;
            let more = findings::parse_groups(&input.text)
                .map_err(|err| anyhow!(describe(&input, &err)))?;
            if let Some(anonymous) = more.iter().find(|g| g.resource.is_none()) {
                let err = iam_refine::error::InputError::at(
                    &anonymous.path,
                    "findings without a `resource`: in an account, each finding must name its principal",
                )
                .with_hint("use `aws accessanalyzer get-finding-v2` output, which has `resource`");
                bail!(describe(&input, &err));
            }
            groups.extend(more);
        }
    }
    let outcome =
        account::refine_account(&details.text, &groups, &catalog, args.principal.as_deref())
            .map_err(|err| anyhow!(describe(&details, &err)))?;
    for note in &outcome.notes {
        eprintln!("refine: note: {note}");
    }
    for warning in &outcome.warnings {
        eprintln!("refine: warning: {warning}");
    }
    let text = match (args.format, args.principal.as_deref()) {
        (AccountFormat::Aws, Some(principal)) => {
            to_pretty(&report::aws_recommendation(&outcome, principal))
        }
        _ => report::report(&outcome, catalog.info()),
    };
    emit(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// The findings files at `path`: the file itself, or every *.json under a
/// directory, in sorted order.
fn findings_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
        let entry =
            entry.with_context(|| format!("{}: cannot read the directory", path.display()))?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "json") {
            files.push(entry.into_path());
        }
    }
    if files.is_empty() {
        bail!("{}: no *.json findings files", path.display());
    }
    Ok(files)
}

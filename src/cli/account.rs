//! `refine account`: an account's worth of policies in one report.

use super::io::{self, describe, read_input, read_maybe_gzip, Staged};
use super::{diag, load_catalog, sources};
use anyhow::{anyhow, bail, Result};
use iam_refine::engine::account::{self, AccountError};
use iam_refine::engine::checked::SelfCheckFailed;
use iam_refine::input::findings;
use iam_refine::model::catalog::Catalog;
use iam_refine::output::account as report;
use iam_refine::output::report::pretty as report_pretty;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `refine account`.
#[derive(clap::Args, Debug)]
pub(super) struct AccountArgs {
    /// `aws iam get-account-authorization-details` output; `-` reads stdin.
    details: PathBuf,
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
    /// The catalog is current for this account (as for the main job's
    /// --catalog-current).
    #[arg(long)]
    catalog_current: bool,
    /// Bring each refined policy over its IAM size limit under it (as for
    /// the main job's --fit); a principal's inline policies share its
    /// limit.
    #[arg(long)]
    fit: bool,
    /// With --fit: a tighter cap than IAM's limits, in characters (for a
    /// principal's inline policies, on their total).
    #[arg(long = "max-size", value_name = "N", requires = "fit")]
    max_size: Option<usize>,
    #[command(flatten)]
    jobs: super::args::Jobs,
}

/// Output formats of `refine account`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum AccountFormat {
    /// The account report.
    Json,
    /// AWS's recommendation shape, for one principal.
    Aws,
    /// A summary for people: principals, policies changed, unused actions
    /// removed by access level, policies over their size limit,
    /// AWS-managed policies to replace.
    Text,
}

pub(super) fn run(args: AccountArgs, catalog_path: Option<&Path>) -> Result<ExitCode> {
    if args.format == AccountFormat::Aws && args.principal.is_none() {
        bail!("--format aws describes one principal: add --principal ARN");
    }
    let catalog = load_catalog(catalog_path)?;
    // Findings first: what parsing them allocates is freed before the
    // account is read. (Reading the details on a thread of their own
    // meanwhile was tried: no faster on two cores, and the 100x account's
    // peak grew by a tenth.)
    let groups = read_findings(&args.findings, &catalog, args.jobs.jobs)?;
    let details = read_input(&args.details, io::ACCOUNT)?;
    let mut staged = Staged::new(args.output.as_deref())?;
    let output_name = args
        .output
        .as_ref()
        .map_or("<stdout>".to_string(), |p| p.display().to_string());
    let failed = |err: AccountError| match err {
        AccountError::Input(err) => anyhow!(describe(&details, &err)),
        AccountError::SelfCheck { policy, failed } => anyhow!(
            "{}: {policy}: {failed}\nhint: {}",
            details.name,
            SelfCheckFailed::HINT
        ),
        AccountError::Output(err) => anyhow!("{output_name}: cannot write the report: {err}"),
    };
    let settings = account::Settings {
        catalog_current: args.catalog_current,
        fit: args.fit,
        max_size: args.max_size,
        jobs: args.jobs.jobs,
    };
    let progress = super::progress::Progress::new("refining the account's policies", || 0);
    let mut planned = |total: usize| progress.set_total(total as u64);
    let summary = match (args.format, args.principal.as_deref()) {
        (AccountFormat::Aws, Some(principal)) => {
            let mut records = Vec::new();
            let summary = account::refine_account(
                &details.text,
                groups,
                &catalog,
                Some(principal),
                settings,
                &mut |r| {
                    progress.inc();
                    records.push(r);
                    Ok(())
                },
                &mut planned,
            )
            .map_err(failed)?;
            let answer = report_pretty(&report::aws_recommendation(&records, principal));
            staged.writer().write_all(answer.as_bytes())?;
            summary
        }
        (format, principal) => {
            // Text: the report, summed and not written.
            let text = format == AccountFormat::Text;
            let out: Box<dyn Write + '_> = match text {
                true => Box::new(std::io::sink()),
                false => Box::new(staged.writer()),
            };
            let mut writer = report::Writer::new(out, catalog.info())?;
            let summary = account::refine_account(
                &details.text,
                groups,
                &catalog,
                principal,
                settings,
                &mut |r| {
                    progress.inc();
                    writer.record(&r)
                },
                &mut planned,
            )
            .map_err(failed)?;
            let (_, totals) = writer.finish(&summary)?;
            if text {
                staged.writer().write_all(totals.to_text().as_bytes())?;
            }
            summary
        }
    };
    drop(progress);
    for note in &summary.notes {
        diag::note(note);
    }
    for (warning, times) in counted(&summary.warnings) {
        match times {
            1 => diag::warning(warning),
            n => diag::warning(&format!("{warning} ({n} times)")),
        }
    }
    staged.commit()?;
    Ok(ExitCode::SUCCESS)
}

/// The findings files' groups, each naming its principal, checked by the
/// same rules as a repository run's (`ByPrincipal`): the account engine
/// takes the groups as read.
fn read_findings(
    paths: &[PathBuf],
    catalog: &Catalog,
    jobs: usize,
) -> Result<Vec<findings::Group>> {
    let mut files = Vec::new();
    for path in paths {
        files.extend(sources::findings_files(path)?);
    }
    // Files are read and parsed on every core, then checked and taken in
    // order: the first error in file order is the one reported, as on one
    // thread.
    let read = |file: &PathBuf| -> Result<(String, Vec<findings::Group>)> {
        let input = read_maybe_gzip(file, io::DATA)?;
        let mut groups =
            findings::parse_groups(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
        // Ids, not names, from here on: what the account holds while it
        // is read stays near the size of its input.
        for group in &mut groups {
            group.findings.compact(catalog);
        }
        if let Some(anonymous) = groups.iter().find(|g| g.resource.is_none()) {
            bail!(describe(&input, &findings::no_resource(&anonymous.path)));
        }
        Ok((input.name, groups))
    };
    let read: Vec<Result<(String, Vec<findings::Group>)>> =
        match iam_refine::engine::threads::pool(jobs) {
            Some(pool) => {
                use rayon::prelude::*;
                pool.install(|| files.par_iter().map(read).collect())
            }
            None => files.iter().map(read).collect(),
        };
    let mut groups = Vec::new();
    let mut checked = findings::ByPrincipal::default();
    for done in read {
        let (name, more) = done?;
        checked
            .check_only(&name, &more)
            .map_err(|conflict| anyhow!(conflict.message))?;
        groups.extend(more);
    }
    Ok(groups)
}

/// Each distinct message once, in the order first said, with how many
/// times it was: an AWS-managed policy refined for many principals says
/// the same thing for each.
fn counted(messages: &[String]) -> Vec<(&str, usize)> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut order: Vec<(&str, usize)> = Vec::new();
    for message in messages {
        match seen.get(message.as_str()) {
            Some(&at) => order[at].1 += 1,
            None => {
                seen.insert(message, order.len());
                order.push((message, 1));
            }
        }
    }
    order
}

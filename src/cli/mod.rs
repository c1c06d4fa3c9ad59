//! The command line: arguments, files, printing and exit codes.
//!
//! Nothing here decides anything about a policy; it reads inputs, calls the
//! library, and prints. Output is assembled completely before anything is
//! written, so an error never leaves half a result on stdout or in a file.
//!
//! Exit codes: 0 success; 1 only with `--check`, when the policy grants
//! unused actions, or from `verify`, on FAIL; 2 any error (bad input,
//! unreadable file, bad usage, a failed self-check).

use anyhow::Result;
use args::{Cli, Command};
pub(crate) use catalog::load_catalog;
use io::{emit, ClosedStdout};
use plan::Plan;
use std::path::Path;
use std::process::ExitCode;

mod account;
mod args;
mod basis;
mod catalog;
mod diag;
mod drift;
mod fit;
mod io;
mod manifest;
mod plan;
mod progress;
mod refine;
mod replay;
mod sources;
mod template;
mod terraform;
mod tree;
mod verify;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    if let Some(message) = mistyped_subcommand(std::env::args_os().nth(1)) {
        diag::error(&message);
        return ExitCode::from(2);
    }
    let cli = match parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    diag::set_verbosity(cli.quiet, cli.verbose);
    diag::set_color(match cli.run.color {
        args::Color::Always => true,
        args::Color::Never => false,
        args::Color::Auto => {
            anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
        }
    });
    let result = run(cli);
    diag::repeated();
    match result {
        Ok(code) => code,
        Err(err) if err.downcast_ref::<ClosedStdout>().is_some() => ExitCode::SUCCESS,
        Err(err) => {
            io::print_error(&err);
            ExitCode::from(2)
        }
    }
}

/// `refine --version`: the crate's version and the bundled catalog's
/// source and date, which decide what refine knows of AWS's actions.
fn version() -> &'static str {
    let info = iam_refine::model::catalog::Catalog::bundled_info();
    let text = format!(
        "{} (catalog: {}, {})",
        env!("CARGO_PKG_VERSION"),
        info.source,
        info.date.as_deref().unwrap_or("undated"),
    );
    // Once per run, for clap, which keeps it for the process's life.
    Box::leak(text.into_boxed_str())
}

/// `refine verfy a b`: a first argument that is no file but is a letter
/// or two from a subcommand's name is a mistyped subcommand, not a policy
/// file that does not exist.
fn mistyped_subcommand(first: Option<std::ffi::OsString>) -> Option<String> {
    use clap::CommandFactory;
    let first = first?.into_string().ok()?;
    if first.starts_with('-') || Path::new(&first).exists() {
        return None;
    }
    let command = Cli::command();
    let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
    if names.contains(&first.as_str()) {
        return None;
    }
    if first == "version" {
        return Some("version: no such file; did you mean `refine --version`?".to_string());
    }
    let close = names
        .iter()
        .map(|name| (edit_distance(&first, name), *name))
        .filter(|(distance, name)| *distance <= 2 && *distance < name.len())
        .min()?;
    Some(format!(
        "{}: no such file; did you mean the subcommand '{}'?\nhint: see `refine --help`",
        iam_refine::error::escape(&first),
        close.1
    ))
}

/// The Levenshtein distance between two short words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let next = (diagonal + usize::from(x != *y))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The arguments, with the main job's refused beside a subcommand: clap
/// reads `refine verify a b --diff` as `--diff` for the main job, which
/// would be ignored; which ones were given is read from clap's matches, so
/// no list of them is kept by hand.
fn parse() -> std::result::Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().version(version()).try_get_matches()?;
    if let Some((name, _)) = matches.subcommand() {
        let main_job = <args::RunArgs as clap::Args>::augment_args(clap::Command::new("refine"));
        let given: Vec<String> = main_job
            .get_arguments()
            .filter(|arg| {
                matches.value_source(arg.get_id().as_str())
                    == Some(clap::parser::ValueSource::CommandLine)
            })
            .map(|arg| match arg.get_long() {
                Some(long) => format!("--{long}"),
                None => arg.get_id().as_str().to_ascii_uppercase(),
            })
            .collect();
        if !given.is_empty() {
            return Err(Cli::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "{} belong{} to the main job, not to `refine {name}` (a policy file named like a subcommand can be given as ./{name})",
                    given.join(", "),
                    if given.len() == 1 { "s" } else { "" }
                ),
            ));
        }
    }
    Cli::from_arg_matches(&matches)
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
    let lines: Vec<&str> = text
        .lines()
        .take_while(|line| !line.starts_with("Usage:"))
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect();
    // clap's suggestions ("a similar argument exists: '--diff'") become
    // the hint.
    let (tips, message): (Vec<&str>, Vec<&str>) =
        lines.iter().partition(|line| line.starts_with("tip:"));
    let message = message.join(" ");
    let mut hint: Vec<&str> = tips
        .iter()
        .map(|tip| tip.trim_start_matches("tip:").trim())
        .collect();
    hint.push("see `refine --help`");
    diag::error(&format!(
        "{}\nhint: {}",
        message.strip_prefix("error: ").unwrap_or(&message),
        hint.join("; ")
    ));
    ExitCode::from(2)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Catalog(command)) => catalog::run(command, cli.catalog.as_deref()),
        Some(Command::Verify(args)) => verify::run(args, cli.catalog.as_deref()),
        Some(Command::Account(args)) => account::run(args, cli.catalog.as_deref()),
        Some(Command::Drift(args)) => drift::run(args, cli.catalog.as_deref()),
        Some(Command::Replay(args)) => replay::run(args, cli.catalog.as_deref()),
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, "refine", &mut out);
            emit(None, &String::from_utf8_lossy(&out))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            let command = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(command).render(&mut out)?;
            emit(None, &String::from_utf8_lossy(&out))?;
            Ok(ExitCode::SUCCESS)
        }
        None => refine::run(Plan::new(cli.run)?, cli.catalog.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("verfy", "verify"), 1);
        assert_eq!(edit_distance("acount", "account"), 1);
        assert_eq!(edit_distance("catlog", "catalog"), 1);
        assert_eq!(edit_distance("policy.json", "verify"), 9);
        assert_eq!(edit_distance("", "man"), 3);
    }
}

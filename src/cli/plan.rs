//! The main job's arguments, validated into one plan.
//!
//! clap reads the arguments; [`Plan::new`] turns them into what the run
//! does, in types where illegal combinations cannot be written: exactly
//! one source of use ([`Source`]), one thing on stdout ([`Stdout`]), a gate
//! only with `--check`. Every "this needs that" and "these two conflict"
//! message is made here, in one place, before anything is read.

use super::args::{Color, Format, RunArgs};
use anyhow::{anyhow, bail, Result};
use iam_refine::engine::refine::Options;
use iam_refine::output::report::Gate;
use std::path::{Path, PathBuf};

/// What to refine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// A policy on stdin.
    Stdin,
    /// A policy file.
    File(PathBuf),
    /// Every policy file under a directory.
    Directory(PathBuf),
}

/// Where "unused" comes from: exactly one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Source {
    /// Findings (`FINDINGS`), maybe with an `--unused-for` window, and
    /// what says who owns each policy.
    Findings {
        /// The findings file or directory, or `-`.
        path: PathBuf,
        /// `--unused-for` and `--as-of`.
        window: Option<Window>,
        /// `--owners` and `--details`.
        owners: OwnerFiles,
    },
    /// `--used FILE`.
    Used(PathBuf),
    /// `--cloudtrail PATH...`, maybe for one `--principal`.
    CloudTrail {
        /// The logs.
        paths: Vec<PathBuf>,
        /// Whose events count.
        principal: Option<String>,
    },
    /// `--last-accessed FILE`.
    LastAccessed(PathBuf),
}

/// What says who owns each policy, besides the policy files themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct OwnerFiles {
    /// `--owners FILE`: the manifest.
    pub(super) manifest: Option<PathBuf>,
    /// `--details FILE`: the deployed policies.
    pub(super) details: Option<PathBuf>,
    /// `--stack-resources FILE...`: the deployed stacks' resources.
    pub(super) stacks: Vec<PathBuf>,
    /// `--stack-name NAME`.
    pub(super) stack_name: Option<String>,
    /// `--region REGION`.
    pub(super) region: Option<String>,
    /// `--tf-state FILE`: a Terraform state or plan.
    pub(super) tf_state: Option<PathBuf>,
}

impl OwnerFiles {
    /// Whether either is given: then every policy is refined against its
    /// own owners' findings.
    pub(super) fn any(&self) -> bool {
        self.manifest.is_some() || self.details.is_some()
    }

    /// Whether anything about CloudFormation stacks is given: then every
    /// policy is refined against its owners' findings too.
    pub(super) fn stack_given(&self) -> bool {
        !self.stacks.is_empty()
            || self.stack_name.is_some()
            || self.region.is_some()
            || self.tf_state.is_some()
    }
}

/// `--unused-for DURATION [--as-of DATE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Window {
    /// The duration, as given.
    pub(super) length: String,
    /// The end of the window, as given (default: now).
    pub(super) as_of: Option<String>,
}

/// What goes to stdout (or `-o FILE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stdout {
    /// The refined policy.
    Policy,
    /// A unified diff of the file(s).
    Diff,
    /// A report in a CI format.
    Report(Format),
    /// Nothing (`--check` or `--in-place` alone).
    Nothing,
}

/// The validated main job.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) target: Target,
    pub(super) source: Source,
    pub(super) stdout: Stdout,
    /// `-o FILE`: stdout's content goes there instead, atomically.
    pub(super) output: Option<PathBuf>,
    /// `--in-place`.
    pub(super) in_place: bool,
    /// `--check`, with the levels that fail it.
    pub(super) gate: Option<Gate>,
    pub(super) options: Options,
    pub(super) catalog_current: bool,
    pub(super) follow: bool,
    /// `--no-ignore`.
    pub(super) no_ignore: bool,
    /// `--hidden`.
    pub(super) hidden: bool,
    /// `--jobs`: threads for a directory (0: one per core).
    pub(super) jobs: usize,
    pub(super) color: Color,
    /// `--limit` and `--max-size`: the size a refined policy must fit.
    pub(super) budget: iam_refine::output::size::Budget,
}

impl Plan {
    /// Validates the main job's arguments.
    pub(super) fn new(args: RunArgs) -> Result<Plan> {
        let policy = args.policy.clone().unwrap_or_default();
        let stdin = [
            Some(policy.as_path()),
            args.findings.as_deref(),
            args.used.as_deref(),
            args.last_accessed.as_deref(),
            args.owners.as_deref(),
            args.details.as_deref(),
        ];
        if stdin.iter().filter(|a| **a == Some(Path::new("-"))).count() > 1 {
            bail!("only one input can be `-` (stdin)");
        }
        let source = source(&args)?;
        let stdout = stdout(&args)?;
        let gate = match &args.fail_on {
            Some(_) if !args.check => bail!("--fail-on sets what makes --check fail: add --check"),
            Some(levels) => Some(Gate::parse(levels).map_err(|err| anyhow!("--fail-on: {err}"))?),
            None => args.check.then(Gate::default),
        };
        if args.in_place && (args.output.is_some() || policy == Path::new("-")) {
            bail!("--in-place rewrites the policy file itself: it takes neither -o nor stdin");
        }
        let target = if policy == Path::new("-") {
            Target::Stdin
        } else if policy.is_dir() {
            Target::Directory(policy)
        } else {
            Target::File(policy)
        };
        if let Target::Directory(dir) = &target {
            if stdout == Stdout::Policy {
                bail!(
                    "{}: a directory is refined with --diff, --in-place, --check or a --format",
                    dir.display()
                );
            }
        }
        Ok(Plan {
            target,
            source,
            stdout,
            output: args.output,
            in_place: args.in_place,
            gate,
            options: Options { exact: args.exact },
            catalog_current: args.catalog_current,
            follow: args.follow,
            no_ignore: args.no_ignore,
            hidden: args.hidden,
            jobs: args.jobs.jobs,
            color: args.color,
            budget: budget(args.limit.as_deref(), args.max_size, args.fit)?,
        })
    }
}

/// `--limit` and `--max-size` as a size budget.
fn budget(
    limit: Option<&str>,
    max: Option<usize>,
    fit: bool,
) -> Result<iam_refine::output::size::Budget> {
    use iam_refine::input::policy::Owner;
    use iam_refine::output::size::{Budget, Limit};
    let mut budget = Budget {
        max,
        fit,
        ..Budget::default()
    };
    if max == Some(0) {
        bail!("--max-size 0: a policy has at least a few characters\nhint: give the most characters a refined policy may have, e.g. --max-size 5000");
    }
    match limit.map(str::to_ascii_lowercase).as_deref() {
        None => {}
        Some("managed") => budget.limit = Some(Limit::Managed),
        Some("role-inline") => budget.limit = Some(Limit::Inline(Owner::Role)),
        Some("user-inline") => budget.limit = Some(Limit::Inline(Owner::User)),
        Some("group-inline") => budget.limit = Some(Limit::Inline(Owner::Group)),
        Some(other) => match other.parse::<usize>() {
            Ok(n) if n > 0 => budget.chars = Some(n),
            _ => bail!("--limit {other}: expected managed, role-inline, user-inline, group-inline or a positive number of characters"),
        },
    }
    Ok(budget)
}

/// The one source of use the arguments name.
fn source(args: &RunArgs) -> Result<Source> {
    let named: Vec<&str> = [
        (args.findings.is_some(), "FINDINGS"),
        (args.used.is_some(), "--used"),
        (!args.cloudtrail.is_empty(), "--cloudtrail"),
        (args.last_accessed.is_some(), "--last-accessed"),
    ]
    .into_iter()
    .filter_map(|(given, name)| given.then_some(name))
    .collect();
    match named.len() {
        0 => bail!(
            "no source of unused actions: give FINDINGS, --used, --cloudtrail or --last-accessed"
        ),
        1 => {}
        _ => bail!(
            "{} are two sources of unused actions: give exactly one",
            named.join(" and ")
        ),
    }
    if args.principal.is_some() && args.cloudtrail.is_empty() {
        bail!("--principal selects CloudTrail events: it needs --cloudtrail");
    }
    if args.unused_for.is_some() && args.findings.is_none() {
        bail!("--unused-for reads the findings' lastAccessed times: it needs FINDINGS");
    }
    if args.as_of.is_some() && args.unused_for.is_none() {
        bail!("--as-of ends the --unused-for window: it needs --unused-for");
    }
    for (given, flag) in [(&args.owners, "--owners"), (&args.details, "--details")] {
        if given.is_some() && args.findings.is_none() {
            bail!("{flag} says whose findings refine each policy: it needs FINDINGS");
        }
    }
    let stack =
        !args.stack_resources.is_empty() || args.stack_name.is_some() || args.region.is_some();
    if stack && args.findings.is_none() {
        bail!("--stack-resources, --stack-name and --region say whose findings refine a template's policies: they need FINDINGS");
    }
    if args.tf_state.is_some() && args.findings.is_none() {
        bail!("--tf-state says whose findings refine a Terraform policy: it needs FINDINGS");
    }
    if args.owners.is_some() && args.policy.as_deref() == Some(Path::new("-")) {
        bail!("--owners names policies by their paths: it cannot name stdin");
    }
    Ok(if let Some(path) = &args.findings {
        Source::Findings {
            path: path.clone(),
            window: args.unused_for.clone().map(|length| Window {
                length,
                as_of: args.as_of.clone(),
            }),
            owners: OwnerFiles {
                manifest: args.owners.clone(),
                details: args.details.clone(),
                stacks: args.stack_resources.clone(),
                stack_name: args.stack_name.clone(),
                region: args.region.clone(),
                tf_state: args.tf_state.clone(),
            },
        }
    } else if let Some(path) = &args.used {
        Source::Used(path.clone())
    } else if let Some(path) = &args.last_accessed {
        Source::LastAccessed(path.clone())
    } else {
        Source::CloudTrail {
            paths: args.cloudtrail.clone(),
            principal: args.principal.clone(),
        }
    })
}

/// What goes to stdout.
fn stdout(args: &RunArgs) -> Result<Stdout> {
    if args.diff && args.format != Format::Policy {
        bail!("--diff and --format both print to stdout: choose one");
    }
    let stdout = if args.format != Format::Policy {
        Stdout::Report(args.format)
    } else if args.diff {
        Stdout::Diff
    } else if args.check || args.in_place {
        Stdout::Nothing
    } else {
        Stdout::Policy
    };
    if stdout == Stdout::Nothing && args.check && args.output.is_some() {
        bail!("--check prints nothing, so -o would only empty the file\nhint: add --diff to write the diff, or leave out -o");
    }
    Ok(stdout)
}

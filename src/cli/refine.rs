//! The main job: one policy file, or every policy file under a directory
//! (`tree.rs`), run as the plan says.
//!
//! Each file goes through the same steps — read as its host, refine and
//! prove ([`checked`]), rewrite the host's text keeping every byte that
//! does not change — and then is printed, diffed, checked or written back.
//! Everything a file yields is made before anything is written.

use super::args::{Color, Format};
use super::basis::{Basis, Decision};
use super::io::{self, describe, emit, read_input, write_atomic, Input};
use super::plan::{Plan, Stdout, Target};
use super::{diag, load_catalog, sources, tree};
use anyhow::{anyhow, bail, Result};
use iam_refine::engine::checked::{Checked, SelfCheckFailed};
use iam_refine::error::escape;
use iam_refine::hosts::json_file::JsonFile;
use iam_refine::hosts::{self, template, Detected, Host, Rewritten};
use iam_refine::input::findings::{self, Usage};
use iam_refine::json;
use iam_refine::model::catalog::Catalog;
use iam_refine::output::report::{self, FileReport, Gate};
use iam_refine::output::{diff, size};
use std::path::Path;
use std::process::ExitCode;

/// What one policy file yields.
pub(super) struct Done {
    /// The file as named in messages and patches.
    pub(super) name: String,
    /// Its text as read.
    pub(super) text: String,
    /// Its CI reports: one per policy it holds.
    pub(super) reports: Vec<FileReport>,
    /// Its text with the refinement written in, when asked for.
    pub(super) rewritten: Option<Rewritten>,
    /// The refined policy as printed, when asked for.
    pub(super) printed: Option<String>,
    /// Whether a wildcard was narrowed or dropped (for the note on
    /// findings newer than the catalog).
    pub(super) narrowed: bool,
    /// Whether the file is a template (printed whole, rewritten).
    pub(super) template: bool,
}

impl Done {
    /// Whether the rewrite changes the file.
    pub(super) fn rewrites(&self) -> bool {
        self.rewritten
            .as_ref()
            .is_some_and(|r| r.text() != self.text)
    }
}

pub(super) fn run(plan: Plan, catalog_path: Option<&Path>) -> Result<ExitCode> {
    let catalog = load_catalog(catalog_path)?;
    let given = match &plan.target {
        Target::Directory(dir) => {
            let mut basis = sources::basis(&plan.source, &catalog, plan.catalog_current, false)?;
            return tree::run(dir, &plan, &mut basis);
        }
        Target::Stdin => Path::new("-"),
        Target::File(path) => path.as_path(),
    };
    // Through a symbolic link, the file it points to is the one refined,
    // and named (`git apply` refuses to patch through a link), as a
    // directory run names it.
    let linked = std::fs::symlink_metadata(given)
        .is_ok_and(|m| m.file_type().is_symlink())
        .then(|| std::fs::canonicalize(given).ok())
        .flatten()
        .map(|target| std::path::PathBuf::from(patch_path(&target.to_string_lossy())));
    let path = linked.as_deref().unwrap_or(given);
    if iam_refine::hosts::terraform::is_terraform(path) {
        let mut basis = sources::basis(&plan.source, &catalog, plan.catalog_current, true)?;
        let files = super::terraform::module_files(path.parent().unwrap_or(Path::new("")))?;
        let loaded = super::terraform::load(&files, &basis)?;
        let done = loaded.refine(path, &mut basis, &plan)?;
        for file in loaded.policy_files() {
            diag::note(&format!(
                "{}: a policy file {} reads: refined when a directory that holds both is given",
                file.display(),
                path.display()
            ));
        }
        return finish(path, done, basis, &plan);
    }
    let input = read_input(path, io::POLICY)?;
    mistaken_policy_input(&input, hosts::yaml_name(path))?;
    // The text is read once: as JSON, or as YAML for a file named so (and
    // stdin that is a YAML template); an error waits for the findings'.
    let yaml_named = hosts::yaml_name(path);
    let json = (!yaml_named).then(|| json::read(&input.text, "an IAM policy document"));
    let yaml = yaml_named
        || (path == Path::new("-")
            && json.as_ref().is_some_and(Result::is_err)
            && template_yaml(&input.text));
    let is_template = yaml
        || json
            .as_ref()
            .is_some_and(|read| read.as_ref().is_ok_and(template::is_template));
    let mut basis = sources::basis(&plan.source, &catalog, plan.catalog_current, is_template)?;
    let done = match (yaml, json) {
        (true, _) | (false, None) => match hosts::detect(&input.text, true, basis.stack()) {
            Detected::Template(host) => {
                super::template::refine_template(path, &input, &*host, &mut basis, &plan)?
            }
            Detected::Broken(err) => bail!(describe(&input, &err)),
            _ => bail!(
                "{}: not a CloudFormation template: no Resources with a Type of the form AWS::...",
                input.name
            ),
        },
        (false, Some(Ok(tree))) if is_template => {
            let read = (tree, template::Syntax::Json, Vec::new());
            let host = template::Template::from_tree(&input.text, read, basis.stack())
                .map_err(|err| anyhow!(describe(&input, &err)))?;
            super::template::refine_template(path, &input, &host, &mut basis, &plan)?
        }
        (false, Some(Ok(tree))) => {
            let host = JsonFile::from_tree(&input.text, tree)
                .map_err(|err| anyhow!(describe(&input, &err)))?;
            refine_decided(path, &input, &host, &mut basis, &plan)?
        }
        (false, Some(Err(err))) => bail!(describe(&input, &err)),
    };
    finish(path, done, basis, &plan)
}

/// Reports, prints and writes what refining one file yielded; the exit
/// code.
fn finish(path: &Path, done: Done, basis: Basis, plan: &Plan) -> Result<ExitCode> {
    let only = done.reports.first().and_then(|r| r.not_checked.as_ref());
    if let (Basis::Owners(_), Some(why), false) = (&basis, only, done.template) {
        if !plan.in_place && plan.stdout == Stdout::Policy {
            // One policy, printed: leaving it as written is an answer the
            // user did not ask for; say why instead.
            bail!(
                "{}: not checked: {}{}\nhint: give --owners or --details to say who owns it, or only its owner's findings",
                done.name,
                why.describe(),
                basis.context()
            );
        }
    }
    not_checked_note(&done, plan);
    newer_note(&basis, done.narrowed);
    let reports = &done.reports[..];
    let output = match plan.stdout {
        Stdout::Report(format) => render(format, plan, reports, basis.catalog()),
        Stdout::Diff => diff_of(&done),
        Stdout::Policy => done.printed.clone().unwrap_or_default(),
        Stdout::Nothing => String::new(),
    };
    if let (true, Some(rewritten)) = (plan.in_place && done.rewrites(), &done.rewritten) {
        write_atomic(path, rewritten.text().as_bytes())?;
    }
    if plan.output.is_some() || !output.is_empty() {
        emit(plan.output.as_deref(), &output)?;
    }
    basis.summary(reports, plan.in_place);
    check_summary(plan, reports);
    Ok(exit_code(plan.gate.as_ref(), reports))
}

/// Refuses, with what to do instead, a POLICY that users give by mistake:
/// an empty file (a shell redirect onto the policy empties it before
/// refine reads it), and a YAML file that is no CloudFormation template.
fn mistaken_policy_input(input: &Input, yaml_named: bool) -> Result<()> {
    if input.text.trim().is_empty() && input.name != "<stdin>" {
        bail!(
            "{}: empty file: expected an IAM policy document\nhint: if a shell redirect emptied it (`refine p.json f.json > p.json`), restore it (e.g. `git checkout p.json`); --in-place rewrites a policy file",
            input.name
        );
    }
    let yaml = yaml_named
        .then(|| iam_refine::yaml::read(&input.text).ok())
        .flatten();
    if yaml.is_some_and(|yaml| !iam_refine::hosts::template::is_template(&yaml.tree)) {
        bail!(
            "{}: not a CloudFormation template: refine reads IAM policies as JSON, and YAML only as templates\nhint: convert the policy to JSON (e.g. `yq -o json`)",
            input.name
        );
    }
    Ok(())
}

/// Whether `text` is a YAML CloudFormation template (not JSON).
fn template_yaml(text: &str) -> bool {
    !text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
        && iam_refine::yaml::read(text)
            .is_ok_and(|yaml| iam_refine::hosts::template::is_template(&yaml.tree))
}

/// With `--check` in the default format, the closing line after the
/// lines of the entries that fail: `4 policies checked: 5 entries in 3
/// files grant 41 unused actions (write 12, read 20, list 9)` (an action
/// counted once per entry that grants it), or that none does; and how
/// many were not checked.
pub(super) fn check_summary(plan: &Plan, reports: &[FileReport]) {
    let (Some(gate), Stdout::Policy | Stdout::Diff | Stdout::Nothing) = (&plan.gate, plan.stdout)
    else {
        return;
    };
    let failing = |r: &FileReport| r.entries.iter().filter(|e| gate.fails(e)).count();
    let checked = reports.iter().filter(|r| r.not_checked.is_none()).count();
    let unchecked = reports.len() - checked;
    let mut files: Vec<&str> = reports
        .iter()
        .filter(|r| failing(r) > 0)
        .map(|r| r.path.as_str())
        .collect();
    files.dedup();
    let entries: usize = reports.iter().map(failing).sum();
    let mut counts = [0usize; report::LEVELS.len()];
    for entry in reports
        .iter()
        .flat_map(|r| &r.entries)
        .filter(|e| gate.fails(e))
    {
        for (_, level) in &entry.unused {
            let effective = report::effective(*level);
            if let Some(i) = report::LEVELS.iter().position(|(_, l)| *l == effective) {
                counts[i] += 1;
            }
        }
    }
    let total: usize = counts.iter().sum();
    let levels: Vec<String> = report::LEVELS
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|((key, _), n)| format!("{key} {n}"))
        .collect();
    let plural = |n: usize, one: &str, many: &str| if n == 1 { one } else { many }.to_string();
    let found = match entries {
        0 => "none grants unused actions at the --fail-on levels".to_string(),
        _ => format!(
            "{entries} {} in {} {} {} {total} unused {} ({})",
            plural(entries, "entry", "entries"),
            files.len(),
            plural(files.len(), "file", "files"),
            plural(entries, "grants", "grant"),
            plural(total, "action", "actions"),
            levels.join(", ")
        ),
    };
    let unchecked = match (unchecked, gate.fails_not_checked()) {
        (0, _) => String::new(),
        (n, true) => format!("; {n} not checked, which fails"),
        (n, false) => format!("; {n} not checked"),
    };
    let line = format!(
        "{checked} {} checked: {found}{unchecked}",
        plural(checked, "policy", "policies"),
    );
    // Quiet on success (said with -v); said even with -q when it fails.
    match gate.fails_file_any(reports) {
        true => diag::verdict(&line),
        false => diag::info(&line),
    }
}

/// 1 when `--check` finds an entry of a level its gate names, else 0.
pub(super) fn exit_code(gate: Option<&Gate>, reports: &[FileReport]) -> ExitCode {
    let fails = gate.is_some_and(|gate| reports.iter().any(|r| gate.fails_file(r)));
    ExitCode::from(u8::from(fails))
}

/// The diff of one file, when its rewrite changes it.
pub(super) fn diff_of(done: &Done) -> String {
    match &done.rewritten {
        Some(rewritten) if done.rewrites() => {
            diff::unified(&patch_path(&done.name), &done.text, rewritten.text())
        }
        _ => String::new(),
    }
}

/// Decides what one policy file (read as its host) is refined against,
/// and refines it ([`refine_host`]), or leaves it as written, its report
/// saying why ([`not_checked_note`] prints it).
pub(super) fn refine_decided(
    path: &Path,
    input: &Input,
    host: &JsonFile,
    basis: &mut Basis,
    plan: &Plan,
) -> Result<Done> {
    match decide_file(path, input, host, basis, plan)? {
        Next::Done(done) => Ok(done),
        Next::Refine(job) => job.run(input, host, basis.catalog(), plan),
    }
}

/// What is left to do with a policy file once its basis has decided.
pub(super) enum Next {
    /// Nothing: this is what the file yields.
    Done(Done),
    /// Refine it against this (on any thread: it needs nothing more of
    /// the basis than its catalog).
    Refine(Job),
}

/// A policy's refinement as decided: what is unused, and whose it is.
pub(super) struct Job {
    unused: iam_refine::model::catalog::ActionSet,
    beyond: iam_refine::input::findings::Beyond,
    owners: Option<iam_refine::engine::resolve::Owners>,
}

impl Job {
    /// Refines the policy of `host` as decided.
    pub(super) fn run(
        self,
        input: &Input,
        host: &JsonFile,
        catalog: &iam_refine::model::catalog::Catalog,
        plan: &Plan,
    ) -> Result<Done> {
        let usage = Usage {
            catalog,
            unused: &self.unused,
            beyond: &self.beyond,
        };
        let mut done = refine_host(input, host, usage, plan)?;
        if let Some(owners) = self.owners {
            done.reports = done
                .reports
                .into_iter()
                .map(|r| r.owned_by(owners.clone()))
                .collect();
        }
        Ok(done)
    }
}

/// The part of [`refine_decided`] that needs the basis: a trust policy
/// skipped, the basis's decision for the policy, and a policy left as
/// written.
pub(super) fn decide_file(
    path: &Path,
    input: &Input,
    host: &JsonFile,
    basis: &mut Basis,
    plan: &Plan,
) -> Result<Next> {
    let embedded = &host.policies()[0];
    let name = patch_path(&input.name);
    let statements = &embedded.policy.statements;
    if !statements.is_empty() && statements.iter().all(|s| s.has_principal) {
        // A trust or resource policy: refine changes no statement with a
        // Principal, so a run on one would pass and say nothing.
        let what = "a trust or resource policy (every statement has a Principal), which refine leaves as written";
        if let Target::Directory(_) = plan.target {
            diag::info(&format!("{}: {what}: skipped", input.name));
            return Ok(Next::Done(Done {
                name: input.name.clone(),
                text: input.text.clone(),
                reports: Vec::new(),
                rewritten: None,
                printed: None,
                narrowed: false,
                template: false,
            }));
        }
        bail!(
            "{}: {what}\nhint: pass the role's or user's permissions policy (`aws iam get-role-policy` output, or the policy document)",
            input.name
        );
    }
    match basis.decide(path, input, embedded)? {
        Decision::Refine {
            unused,
            beyond,
            owners,
        } => Ok(Next::Refine(Job {
            unused,
            beyond,
            owners,
        })),
        Decision::Leave { why, owners } => {
            // A policy left as written is never printed reformatted (the
            // single-file run refuses to print it; a walk prints none).
            let printed = None;
            Ok(Next::Done(Done {
                name: input.name.clone(),
                text: input.text.clone(),
                reports: vec![FileReport::not_checked(&name, why, owners)],
                rewritten: None,
                printed,
                narrowed: false,
                template: false,
            }))
        }
    }
}

/// The note for a file left as written, if it was.
pub(super) fn not_checked_note(done: &Done, plan: &Plan) {
    // What `--check --fail-on ...,not-checked` fails on is said as the
    // gate's other findings are, even with --quiet.
    let fails = plan.gate.as_ref().is_some_and(Gate::fails_not_checked);
    for report in &done.reports {
        if let Some(text) = report.not_checked_text() {
            // Named as the patch and the reports name it.
            let line = report
                .line
                .map_or_else(String::new, |line| format!(":{line}"));
            match fails {
                true => diag::located(&format!("{}{line}", report.path), &text),
                false => diag::note(&format!("{}{line}: {text}", report.path)),
            }
        }
    }
}

/// Refines and proves the policy of `host` (the file `input`) against
/// `usage`, prints its warnings (and with `--check`, its failing entries),
/// and makes what the plan writes: the rewritten text and the printed
/// policy, each refused when larger than refine reads back.
pub(super) fn refine_host(
    input: &Input,
    host: &JsonFile,
    usage: Usage<'_>,
    plan: &Plan,
) -> Result<Done> {
    let embedded = &host.policies()[0];
    let policy = &embedded.policy;
    let refined = super::fit::prove_policy(&input.name, embedded, &usage, plan)?;
    let rewritten = match plan.in_place || plan.stdout == Stdout::Diff {
        true => Some(
            host.rewrite(&[Some(&refined)])
                .map_err(|err| internal(&input.name, &format!("internal check failed: {err}")))?,
        ),
        false => None,
    };
    let printed = (plan.stdout == Stdout::Policy).then(|| refined.pretty());
    let written = rewritten.as_ref().map_or(0, |r| r.text().len());
    readable(
        &input.name,
        written.max(printed.as_ref().map_or(0, String::len)),
        plan.options.exact,
    )?;
    let name = patch_path(&input.name);
    let report = FileReport::new(&name, host, policy, &refined, usage.catalog);
    warn(input, embedded, &refined, &plan.budget);
    super::fit::say_fitted(&input.name, &report, policy, &refined, &|err| {
        describe(input, err)
    });
    if let (Some(gate), Stdout::Policy | Stdout::Diff | Stdout::Nothing) = (&plan.gate, plan.stdout)
    {
        check_lines(&input.name, &report, gate);
    }
    Ok(Done {
        name: input.name.clone(),
        text: input.text.clone(),
        reports: vec![report],
        rewritten,
        printed,
        narrowed: refined.refined().narrowed_wildcards,
        template: false,
    })
}

/// An internal failure about `name`: a bug in refine, not in the input.
fn internal(name: &str, message: &str) -> anyhow::Error {
    anyhow!("{name}: {message}\nhint: {}", SelfCheckFailed::HINT)
}

/// Refuses output that refine itself would refuse to read: what refine
/// writes, `refine` and `refine verify` must read back.
fn readable(name: &str, bytes: usize, exact: bool) -> Result<()> {
    if bytes as u64 <= io::POLICY_BYTES {
        return Ok(());
    }
    let hint = match exact {
        true => "IAM's largest policy has 10,240 characters; without --exact, refinement writes prefixes instead of every action name",
        false => "IAM's largest policy has 10,240 characters; refine the policy's statements in smaller policies",
    };
    bail!(
        "{name}: the refined policy would have {bytes} bytes, more than the {} MiB refine reads back: nothing written\nhint: {hint}",
        io::POLICY_BYTES >> 20
    )
}

/// Once per run: the note that findings made after the catalog may use
/// actions a narrowed wildcard no longer grants, when a wildcard was.
pub(super) fn newer_note(basis: &Basis, narrowed: bool) {
    if let (true, Some(date)) = (narrowed, basis.newer_than_catalog()) {
        diag::note(&findings::newer_note(date, basis.catalog()));
    }
}

/// The warnings about one file: lints of the policy, entries the catalog
/// does not know, a policy that grants nothing used, a size over IAM's
/// limit.
fn warn(
    input: &Input,
    embedded: &iam_refine::hosts::Embedded,
    refined: &Checked,
    budget: &size::Budget,
) {
    for lint in embedded.policy.lints() {
        diag::warning(&describe(input, &lint));
    }
    for warning in &refined.refined().warnings {
        diag::warning(&describe(input, warning));
    }
    if refined.grants_nothing() {
        diag::warning(&format!("{}: grants nothing used: detach it", input.name));
    }
    if refined.changed() {
        if let Some(over) = budget.over(embedded.limit, refined.document()) {
            diag::warning(&format!("{}: {over}", input.name));
        }
    }
}

/// With `--check` in the default format: a line for each entry that grants
/// unused actions the gate fails on.
pub(super) fn check_lines(name: &str, report: &FileReport, gate: &Gate) {
    for entry in report.entries.iter().filter(|e| gate.fails(e)) {
        let mut label = match &entry.sid {
            Some(sid) => format!("statement {} (Sid {})", entry.statement, escape(sid)),
            None => format!("statement {}", entry.statement),
        };
        if let Some(place) = &report.policy {
            label = format!("{}: {label}", escape(place));
        }
        diag::located(
            &format!(
                "{name}:{}:{}",
                entry.region.start_line, entry.region.start_column
            ),
            &format!("{label}: {}", entry.summary()),
        );
    }
}

/// The output of a `--format` other than `policy`.
pub(super) fn render(
    format: Format,
    plan: &Plan,
    reports: &[FileReport],
    catalog: &Catalog,
) -> String {
    match format {
        Format::Policy => String::new(),
        Format::Json => report::pretty(&report::json::render(reports, catalog.info())),
        Format::Sarif => report::pretty(&report::sarif::render(reports)),
        Format::Github => report::formats::github(reports),
        Format::Text => {
            // A flag overrides the environment (no-color.org): `always` and
            // `never` are followed; `auto` is colour on a terminal unless
            // NO_COLOR (or CLICOLOR=0) says otherwise, and never into a file.
            let color = match plan.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    plan.output.is_none()
                        && anstream::AutoStream::choice(&std::io::stdout())
                            != anstream::ColorChoice::Never
                }
            };
            report::formats::text(reports, color)
        }
    }
}

/// The path a patch names a file by: relative to the current directory
/// when it is under it, and without `.` components, which `git apply`
/// refuses. Run refine from the repository's root for a patch that applies.
pub(super) fn patch_path(name: &str) -> String {
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

//! Where "unused" comes from: the one source the plan names, read and
//! resolved over the catalog, with its notes and warnings printed.

use super::basis::{self, Basis};
use super::diag;
use super::io::{self, describe, read_input, read_maybe_gzip};
use super::plan::{Source, Window};
use anyhow::{anyhow, bail, Context, Result};
use iam_refine::error::escape;
use iam_refine::input::findings::{self, abbreviate, ByPrincipal, Resolved};
use iam_refine::input::{cloudtrail, time, usage};
use iam_refine::model::catalog::Catalog;
use std::path::{Path, PathBuf};

/// What each policy is refined against: a directory of findings, findings
/// of several principals, or any findings with `--owners` or `--details`,
/// refine each policy against its own owners' ([`basis::OwnerRun`]); every
/// other source (one findings file about one principal, `--used`, ...) is
/// one use for every policy.
///
/// A directory always means "each policy against its owners": one that
/// happens to hold a single principal's findings must not refine the
/// other principals' policies against them.
pub(super) fn basis(
    source: &Source,
    catalog: &Catalog,
    catalog_current: bool,
    template: bool,
) -> Result<Basis> {
    let Source::Findings {
        path,
        window,
        owners,
    } = source
    else {
        return Ok(Basis::One(resolve(source, catalog, catalog_current)?));
    };
    let all = read_findings(path, window.as_ref())?;
    // A template's policies belong to its principals: refined against
    // their findings, whatever the number of principals.
    if path.is_dir() || all.len() > 1 || owners.any() || owners.stack_given() || template {
        return basis::OwnerRun::new(all, owners, catalog, catalog_current).map(Basis::Owners);
    }
    let mut resolved = single(path, all, catalog)?;
    resolved.beyond.catalog_current |= catalog_current;
    Ok(Basis::One(resolved))
}

/// Reads the findings at `path` (a file, `-`, or a directory of them),
/// by principal, with `--unused-for`'s window applied; prints their notes.
fn read_findings(path: &Path, window: Option<&Window>) -> Result<ByPrincipal> {
    let mut all = ByPrincipal::default();
    for file in findings_files(path)? {
        let input = read_maybe_gzip(&file, io::DATA)?;
        let groups =
            findings::parse_groups(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
        let notes: Vec<String> = groups
            .iter()
            .flat_map(|g| &g.findings.notes)
            .map(|note| format!("{}: {note}", input.name))
            .collect();
        all.add(&input.name, groups)
            .map_err(|conflict| anyhow!(conflict.message))?;
        for note in &notes {
            diag::note(note);
        }
    }
    if let Some(window) = window {
        let since = window_start(window)?;
        let kept: usize = all.iter_mut().map(|f| f.used_since(since)).sum();
        if kept > 0 {
            diag::note(&format!(
                "{}: {kept} unused entr{} last used within {}: counted as used",
                path.display(),
                if kept == 1 { "y" } else { "ies" },
                window.length
            ));
        }
    }
    Ok(all)
}

/// Whether a file met in a findings directory is read: `*.json` and
/// `*.json.gz`, ignoring ASCII case.
fn is_findings_name(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_lowercase();
    name.ends_with(".json") || name.ends_with(".json.gz")
}

/// The findings files at `path`: the file itself (or `-`), or every
/// `*.json` and `*.json.gz` under a directory, hidden ones too, in sorted
/// order, without following symbolic links.
pub(super) fn findings_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
        let entry = entry.with_context(|| format!("{}: cannot read", path.display()))?;
        if !is_findings_name(entry.file_name()) || entry.depth() == 0 {
            continue;
        }
        if entry.path_is_symlink() {
            diag::note(&format!(
                "{}: a symbolic link: skipped",
                entry.path().display()
            ));
        } else if entry.file_type().is_file() {
            files.push(entry.into_path());
        }
    }
    if files.is_empty() {
        bail!(
            "{}: no findings files here (*.json, *.json.gz)",
            path.display()
        );
    }
    Ok(files)
}

/// The unused set over `catalog` from `source`, with notes and warnings
/// already printed to stderr; `catalog_current` is the user's word that
/// the catalog is current (`--catalog-current`).
pub(super) fn resolve(
    source: &Source,
    catalog: &Catalog,
    catalog_current: bool,
) -> Result<Resolved> {
    let mut resolved = match source {
        Source::Findings { path, window, .. } => from_findings(path, window.as_ref(), catalog)?,
        Source::LastAccessed(path) => {
            let input = read_input(path, io::DATA)?;
            let findings = usage::parse_last_accessed(&input.text)
                .map_err(|err| anyhow!(describe(&input, &err)))?;
            report(&input.name, &findings.notes, findings.resolve(catalog))
        }
        Source::Used(path) => {
            let input = read_input(path, io::DATA)?;
            let list =
                usage::parse_used(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
            let resolved = usage::from_used(catalog, &list.literals(), |c| list.used_in(c));
            let resolved =
                usage::require_some_use(resolved).map_err(|err| anyhow!(describe(&input, &err)))?;
            report(&input.name, &[], resolved)
        }
        Source::CloudTrail { paths, principal } => {
            from_cloudtrail(paths, principal.as_deref(), catalog)?
        }
    };
    resolved.beyond.catalog_current |= catalog_current;
    Ok(resolved)
}

/// One principal's findings, with `--unused-for`'s window applied.
fn from_findings(path: &Path, window: Option<&Window>, catalog: &Catalog) -> Result<Resolved> {
    let all = read_findings(path, window)?;
    single(path, all, catalog)
}

/// The findings of at most one principal, resolved over `catalog`.
fn single(path: &Path, all: ByPrincipal, catalog: &Catalog) -> Result<Resolved> {
    let name = path.display().to_string();
    let named: Vec<String> = all.iter().map(|(arn, _)| escape(arn)).collect();
    let Some(findings) = all.single() else {
        bail!(
            "{name}: findings for {} principals ({}): what one principal does not use, another may\nhint: refine each policy against its own principal's findings: give --owners or --details, or use `refine account`",
            named.len(),
            abbreviate(&named)
        );
    };
    Ok(report(&name, &[], findings.resolve(catalog)))
}

/// CloudTrail logs: what succeeded was used.
fn from_cloudtrail(
    paths: &[std::path::PathBuf],
    principal: Option<&str>,
    catalog: &Catalog,
) -> Result<Resolved> {
    let progress = super::progress::Progress::new("reading CloudTrail logs", || {
        cloudtrail::count_files(paths) as u64
    });
    let trail = cloudtrail::read_with(paths, principal, catalog, &mut |_| progress.inc())?;
    drop(progress);
    let who = principal.map_or(String::new(), |p| format!(" by {}", escape(p)));
    diag::note(&format!(
        "cloudtrail: {} events in {} file{}, {} counted as use{who}, {} denied, {} by other principals, {} not API calls",
        trail.events,
        trail.files,
        if trail.files == 1 { "" } else { "s" },
        trail.counted,
        trail.denied,
        trail.other_principal,
        trail.not_calls
    ));
    if !trail.unmapped.is_empty() {
        let total: u64 = trail.unmapped.iter().map(|(_, _, n)| n).sum();
        let names: Vec<String> = trail
            .unmapped
            .iter()
            .map(|(source, name, n)| format!("{} {} ({n})", escape(source), escape(name)))
            .collect();
        diag::warning(&format!(
            "cloudtrail: {total} event{} map to no action in the catalog: {}",
            if total == 1 { "" } else { "s" },
            abbreviate(&names)
        ));
    }
    if trail.counted == 0 {
        bail!(
            "cloudtrail: no event counted as use{who}: refusing to call every action unused\nhint: fix --principal, or pass the logs that cover the principal's activity"
        );
    }
    let resolved = usage::require_some_use(trail.resolve(catalog, principal)).map_err(|err| {
        anyhow!(
            "cloudtrail: {}\nhint: {}",
            err.message,
            err.hint.unwrap_or_default()
        )
    })?;
    Ok(report("cloudtrail", &[], resolved))
}

/// Prints a source's notes and warnings, and passes the resolution on.
fn report(name: &str, notes: &[String], resolved: Resolved) -> Resolved {
    for note in notes {
        diag::note(&format!("{name}: {note}"));
    }
    for warning in &resolved.warnings {
        diag::warning(&format!("{name}: {warning}"));
    }
    resolved
}

/// The start of the `--unused-for` window: `--as-of` (default: now) minus
/// the duration.
pub(super) fn window_start(window: &Window) -> Result<i64> {
    let length = time::parse_duration(&window.length).ok_or_else(|| {
        anyhow!(
            "--unused-for: expected a duration like 90d, 26w or 36h, found `{}`",
            escape(&window.length)
        )
    })?;
    let end = match &window.as_of {
        Some(text) => time::parse_timestamp(text).ok_or_else(|| {
            anyhow!(
                "--as-of: expected a date (YYYY-MM-DD) or an ISO 8601 timestamp, found `{}`",
                escape(text)
            )
        })?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    };
    // Saturating: a window reaching before any date counts everything
    // dated as used, the safe side.
    Ok(end.saturating_sub(length))
}

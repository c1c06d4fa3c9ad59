//! Where "unused" comes from: the one source the plan names, read and
//! resolved over the catalog, with its notes and warnings printed.

use super::diag;
use super::io::{self, describe, read_input};
use super::plan::{Source, Window};
use anyhow::{anyhow, bail, Result};
use iam_refine::error::escape;
use iam_refine::input::findings::{self, abbreviate, Resolved};
use iam_refine::input::{cloudtrail, time, usage};
use iam_refine::model::catalog::Catalog;

/// The unused set over `catalog` from `source`, with notes and warnings
/// already printed to stderr; `catalog_current` is the user's word that
/// the catalog is current (`--catalog-current`).
pub(super) fn resolve(
    source: &Source,
    catalog: &Catalog,
    catalog_current: bool,
) -> Result<Resolved> {
    let mut resolved = match source {
        Source::Findings { path, window } => from_findings(path, window.as_ref(), catalog)?,
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

/// Findings, with `--unused-for`'s window applied.
fn from_findings(
    path: &std::path::Path,
    window: Option<&Window>,
    catalog: &Catalog,
) -> Result<Resolved> {
    let input = read_input(path, io::DATA)?;
    let mut findings =
        findings::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
    if let Some(window) = window {
        let since = window_start(window)?;
        let kept = findings.used_since(since);
        if kept > 0 {
            diag::note(&format!(
                "{}: {kept} unused entr{} last used within {}: counted as used",
                input.name,
                if kept == 1 { "y" } else { "ies" },
                window.length
            ));
        }
    }
    Ok(report(
        &input.name,
        &findings.notes,
        findings.resolve(catalog),
    ))
}

/// CloudTrail logs: what succeeded was used.
fn from_cloudtrail(
    paths: &[std::path::PathBuf],
    principal: Option<&str>,
    catalog: &Catalog,
) -> Result<Resolved> {
    let trail = cloudtrail::read(paths, principal, catalog)?;
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

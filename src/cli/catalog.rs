//! `refine catalog`: show, search, build and compare action catalogs.

use super::args::{CatalogCommand, DiffFormat};
use super::diag;
use super::io::{self, describe, emit, read_input};
use anyhow::{anyhow, bail, Result};
use iam_refine::input::policy::check_action;
use iam_refine::model::catalog::diff::{self, ServiceDiff};
use iam_refine::model::catalog::{format, import, Catalog};
use iam_refine::model::pattern::Glob;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// Loads the catalog named by `--catalog`, or the bundled one.
pub(crate) fn load_catalog(path: Option<&Path>) -> Result<Catalog> {
    let Some(path) = path else {
        return Ok(Catalog::bundled());
    };
    if path.is_dir() {
        return Ok(import::import_dir(path)?);
    }
    let input = read_input(path, io::DATA)?;
    format::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))
}

/// Runs a `refine catalog` subcommand.
pub(super) fn run(command: CatalogCommand, catalog_path: Option<&Path>) -> Result<ExitCode> {
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
            check_action(&pattern).map_err(|message| {
                // `catalog list s3`: a service alone.
                match pattern.contains(':') {
                    true => anyhow!("catalog list: {message}"),
                    false => anyhow!(
                        "catalog list: {message}\nhint: a pattern is service:action: '{0}:*' for a service's actions, '*:{0}' for an action in every service",
                        iam_refine::error::escape(&pattern)
                    ),
                }
            })?;
            let catalog = load_catalog(catalog_path)?;
            let matched = catalog.matching(&Glob::new(&pattern));
            let mut text = String::new();
            for id in matched.iter() {
                text.push_str(&catalog.full_name(id));
                text.push('\n');
            }
            if text.is_empty() {
                diag::warning(&format!(
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
            if !dir.exists() {
                bail!("{}: no such directory\nhint: give the directory of AWS service-reference or iam-data action files", dir.display());
            }
            if !dir.is_dir() {
                bail!("{}: not a directory", dir.display());
            }
            if let Some(source) = &source {
                if source.chars().any(char::is_control) {
                    bail!("--source: must be one line of text");
                }
            }
            if let Some(date) = &date {
                if iam_refine::input::time::parse_date(date).is_none() {
                    bail!(
                        "--date: expected a calendar date YYYY-MM-DD, found `{}`",
                        iam_refine::error::escape(date)
                    );
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
        CatalogCommand::Diff {
            old,
            new,
            service,
            format,
        } => {
            let old = load_catalog(Some(&old))?;
            let new = load_catalog(new.as_deref().or(catalog_path))?;
            let services: Vec<String> = service.iter().map(|s| s.to_ascii_lowercase()).collect();
            for wanted in &services {
                let known = |c: &Catalog| c.service(wanted).is_some();
                if !known(&old) && !known(&new) {
                    diag::warning(&format!(
                        "--service {}: neither catalog has this service",
                        iam_refine::error::quote(wanted)
                    ));
                }
            }
            let keep = |name: &str| {
                services.is_empty() || services.iter().any(|s| s.eq_ignore_ascii_case(name))
            };
            let changes = diff::diff(&old, &new, keep);
            let text = match format {
                DiffFormat::Text => diff_text(&old, &new, &changes),
                DiffFormat::Json => diff_json(&old, &new, &changes),
            };
            emit(None, &text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A catalog as the diff's header names it: its source and date.
fn label(catalog: &Catalog) -> String {
    let info = catalog.info();
    format!(
        "{} ({})",
        info.source,
        info.date.as_deref().unwrap_or("undated")
    )
}

/// Counts of a diff: services added and removed, actions added, removed
/// and re-levelled.
fn totals(changes: &[ServiceDiff]) -> [usize; 5] {
    let services = |change| changes.iter().filter(|s| s.change == change).count();
    let actions = |f: fn(&ServiceDiff) -> usize| changes.iter().map(f).sum();
    [
        services(diff::ServiceChange::Added),
        services(diff::ServiceChange::Removed),
        actions(|s| s.added.len()),
        actions(|s| s.removed.len()),
        actions(|s| s.relevelled.len()),
    ]
}

/// The text report: a header, one line per service that changed and one
/// per action under it, then the totals.
fn diff_text(old: &Catalog, new: &Catalog, changes: &[ServiceDiff]) -> String {
    use std::fmt::Write as _;
    let mut out = format!("old: {}\nnew: {}\n", label(old), label(new));
    for service in changes {
        let name = &service.service;
        let _ = match service.change {
            diff::ServiceChange::Added => {
                let n = service.added.len();
                writeln!(
                    out,
                    "{name}: new service, {n} action{}",
                    if n == 1 { "" } else { "s" }
                )
            }
            diff::ServiceChange::Removed => {
                let n = service.removed.len();
                writeln!(
                    out,
                    "{name}: removed, {n} action{}",
                    if n == 1 { "" } else { "s" }
                )
            }
            diff::ServiceChange::Changed => writeln!(
                out,
                "{name}: {} added, {} removed, {} re-levelled",
                service.added.len(),
                service.removed.len(),
                service.relevelled.len()
            ),
        };
        for (action, level) in &service.added {
            let _ = writeln!(out, "  + {name}:{action} ({})", level.name());
        }
        for (action, level) in &service.removed {
            let _ = writeln!(out, "  - {name}:{action} ({})", level.name());
        }
        for (action, from, to) in &service.relevelled {
            let _ = writeln!(
                out,
                "  ~ {name}:{action} ({} -> {})",
                from.name(),
                to.name()
            );
        }
    }
    let [services_added, services_removed, added, removed, relevelled] = totals(changes);
    let plural = |n: usize, word: &str| match n {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    };
    let _ = writeln!(
        out,
        "{} added, {services_removed} removed; {} added, {removed} removed, {relevelled} re-levelled",
        plural(services_added, "service"),
        plural(added, "action"),
    );
    out
}

/// The JSON report (schema in `--help` and the README).
fn diff_json(old: &Catalog, new: &Catalog, changes: &[ServiceDiff]) -> String {
    let about = |catalog: &Catalog| {
        let info = catalog.info();
        json!({"source": info.source, "date": info.date, "services": catalog.service_count(), "actions": catalog.len()})
    };
    let services: Vec<serde_json::Value> = changes
        .iter()
        .map(|s| {
            let listed = |list: &[(String, iam_refine::model::catalog::AccessLevel)]| {
                list.iter()
                    .map(|(name, level)| json!({"action": format!("{}:{name}", s.service), "level": level.name()}))
                    .collect::<Vec<_>>()
            };
            json!({
                "service": s.service,
                "change": s.change.as_str(),
                "added": listed(&s.added),
                "removed": listed(&s.removed),
                "relevelled": s.relevelled.iter().map(|(name, from, to)| json!({
                    "action": format!("{}:{name}", s.service), "from": from.name(), "to": to.name(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let [services_added, services_removed, added, removed, relevelled] = totals(changes);
    let report = json!({
        "old": about(old),
        "new": about(new),
        "services": services,
        "totals": {
            "services_added": services_added,
            "services_removed": services_removed,
            "actions_added": added,
            "actions_removed": removed,
            "actions_relevelled": relevelled,
        },
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

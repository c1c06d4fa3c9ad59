//! Where "unused" comes from: exactly one of findings, a used list,
//! CloudTrail logs, or service-last-accessed data.

use super::io::{self, describe, read_input};
use super::{diag, RunArgs};
use anyhow::{anyhow, bail, Result};
use iam_refine::error::escape;
use iam_refine::input::findings::{self, abbreviate, Resolved};
use iam_refine::model::catalog::Catalog;
use iam_refine::{input::cloudtrail, input::time, input::usage};

/// The unused set over `catalog` from the one source the arguments name,
/// with notes and warnings already printed to stderr.
pub(super) fn resolve(args: &RunArgs, catalog: &Catalog) -> Result<Resolved> {
    let mut resolved = from_source(args, catalog)?;
    resolved.beyond.catalog_current |= args.catalog_current;
    Ok(resolved)
}

/// [`resolve`] before the user's word on the catalog.
fn from_source(args: &RunArgs, catalog: &Catalog) -> Result<Resolved> {
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
    if let Some(arg) = &args.findings {
        let input = read_input(arg, io::DATA)?;
        let mut findings =
            findings::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
        if let Some(window) = &args.unused_for {
            let since = window_start(window, args.as_of.as_deref())?;
            let kept = findings.used_since(since);
            if kept > 0 {
                diag::note(&format!(
                    "{}: {kept} unused entr{} last used within {window}: counted as used",
                    input.name,
                    if kept == 1 { "y" } else { "ies" }
                ));
            }
        }
        return Ok(report(
            &input.name,
            &findings.notes,
            findings.resolve(catalog),
        ));
    }
    if let Some(arg) = &args.last_accessed {
        let input = read_input(arg, io::DATA)?;
        let findings = usage::parse_last_accessed(&input.text)
            .map_err(|err| anyhow!(describe(&input, &err)))?;
        return Ok(report(
            &input.name,
            &findings.notes,
            findings.resolve(catalog),
        ));
    }
    if let Some(arg) = &args.used {
        let input = read_input(arg, io::DATA)?;
        let list = usage::parse_used(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
        let resolved = usage::from_used(catalog, &list.literals(), |c| list.used_in(c));
        return Ok(report(&input.name, &[], some_use(&input.name, resolved)?));
    }
    let trail = cloudtrail::read(&args.cloudtrail, args.principal.as_deref(), catalog)?;
    let who = args
        .principal
        .as_deref()
        .map_or(String::new(), |p| format!(" by {p}"));
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
            "cloudtrail: no event counted as use{who}: refusing to call every action unused\nfix --principal, or pass the logs that cover the principal's activity"
        );
    }
    let mut known = trail.used.clone();
    known.extend(trail.used_unknown.iter().cloned());
    let resolved = usage::from_used(catalog, &known, |c| {
        let mut set = c.empty_set();
        for (service, name) in &known {
            if let Some(id) = c.find(service, name) {
                set.insert(id);
            }
        }
        set
    });
    // The principal read for is the one the policy must belong to, as a
    // finding's `resource` is: a role's inline policy refined from another
    // principal's calls is refused.
    let mut resolved = some_use("cloudtrail", resolved)?;
    resolved.resource = args.principal.clone();
    Ok(report("cloudtrail", &[], resolved))
}

/// Refuses a used list or a log in which nothing maps to an action:
/// every action unused is the signal of an unused role, under which
/// refinement also removes entries the catalog does not know, and a used
/// action the catalog cannot name (a typo, a newer service) would go with
/// them. Knowing nothing of the use is not knowing that nothing was used.
fn some_use(name: &str, resolved: Resolved) -> Result<Resolved> {
    if resolved.unused.len() == resolved.catalog.len() {
        bail!(
            "{name}: no used action maps to an action in the catalog: refusing to call every action unused\ncheck the input; for a principal that used nothing, use its UnusedIAMRole finding"
        );
    }
    Ok(resolved)
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
fn window_start(window: &str, as_of: Option<&str>) -> Result<i64> {
    let length = time::parse_duration(window).ok_or_else(|| {
        anyhow!("--unused-for: expected a duration like 90d, 26w or 36h, found `{window}`")
    })?;
    let end = match as_of {
        Some(text) => time::parse_timestamp(text).ok_or_else(|| {
            anyhow!(
                "--as-of: expected a date (YYYY-MM-DD) or an ISO 8601 timestamp, found `{text}`"
            )
        })?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    };
    Ok(end - length)
}

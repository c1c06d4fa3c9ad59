//! `refine verify`: is a refined policy inside the original, and with
//! findings, does it keep what is used and nothing unused?

use super::args::{VerifyArgs, VerifyFormat};
use super::io::{self, describe, emit, read_input};
use super::plan::{Source, Window};
use super::{load_catalog, sources};
use anyhow::{anyhow, bail, Result};
use iam_refine::engine::verify::{verify, with_catalog_witnesses};
use iam_refine::input::policy;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run(args: VerifyArgs, catalog_path: Option<&Path>) -> Result<ExitCode> {
    if args.findings.is_none() {
        if args.catalog_current {
            bail!("--catalog-current is about what the findings may use: it needs FINDINGS");
        }
        if args.unused_for.is_some() {
            bail!("--unused-for reads the findings' lastAccessed times: it needs FINDINGS");
        }
    }
    if args.as_of.is_some() && args.unused_for.is_none() {
        bail!("--as-of ends the --unused-for window: it needs --unused-for");
    }
    let stdin = [
        Some(args.original.as_path()),
        Some(args.refined.as_path()),
        args.findings.as_deref(),
    ];
    if stdin.iter().filter(|a| **a == Some(Path::new("-"))).count() > 1 {
        bail!("only one input can be `-` (stdin)");
    }
    let original_input = read_input(&args.original, io::POLICY)?;
    let refined_input = read_input(&args.refined, io::POLICY)?;
    let original = policy::parse(&original_input.text)
        .map_err(|err| anyhow!(describe(&original_input, &err)))?;
    let refined = policy::parse(&refined_input.text)
        .map_err(|err| anyhow!(describe(&refined_input, &err)))?;
    let catalog = load_catalog(catalog_path)?;
    let resolved = match args.findings {
        Some(path) => {
            let source = Source::Findings {
                path,
                window: args.unused_for.map(|length| Window {
                    length,
                    as_of: args.as_of,
                }),
                owners: Default::default(),
            };
            Some(sources::resolve(&source, &catalog, args.catalog_current)?)
        }
        None => None,
    };
    let usage = resolved.as_ref().map(|r| r.usage());
    let reasons = verify(&original, &refined, usage.as_ref());
    let catalog = resolved.as_ref().map_or(&catalog, |r| &r.catalog);
    let reasons = with_catalog_witnesses(reasons, &original, &refined, catalog);
    let result = if reasons.is_empty() { "PASS" } else { "FAIL" };
    let text = match args.format {
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

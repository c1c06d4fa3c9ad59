//! The whole refinement on fuzzed policy/findings pairs: read both, resolve
//! the findings over the bundled catalog, refine (as is, `--exact`, and
//! with the catalog taken as current, `--catalog-current`), and
//! require what every run of `refine` requires before it prints or writes
//! anything:
//! * `verify::self_check` passes: the refined policy reads back, grants
//!   nothing the original did not, keeps every used action, and leaves no
//!   unused one; a failure, "undecided" included, is a bug in refine;
//! * `rewrite::rewrite` of the original text with the edits succeeds (it
//!   checks that the rewritten file reads as the refined document);
//! * the CI reports (JSON, SARIF, GitHub, text) and the diff render.
//!
//! Input: `POLICY 0xFF SOURCE`. 0xFF never occurs in UTF-8, so it splits
//! any input into two texts (no 0xFF: the policy alone, with empty
//! findings). Invalid UTF-8 in either part is converted lossily. SOURCE is
//! read like the CLI's third argument: starting with `u`, the rest is a
//! `--used` list; with `l`, `--last-accessed` output; else findings.
#![no_main]

use iam_refine::model::catalog::Catalog;
use iam_refine::input::findings::{self, Resolved};
use iam_refine::input::policy::{self, Policy};
use iam_refine::engine::refine::{refine, refine_with, Options, Refined};
use iam_refine::output::report::{self, FileReport};
use iam_refine::{output::diff, hosts::rewrite, input::usage, engine::verify};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::bundled)
}

fuzz_target!(|data: &[u8]| {
    let (policy_bytes, source_bytes) = match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(policy_bytes);
    let Ok(policy) = policy::parse(&text) else {
        return;
    };
    let Some(resolved) = resolve(&String::from_utf8_lossy(source_bytes)) else {
        return;
    };
    let refined = refine(&policy, &resolved.usage());
    check(&text, &policy, &refined, &resolved, "refine");
    let exact = refine_with(&policy, &resolved.usage(), Options { exact: true });
    check(&text, &policy, &exact, &resolved, "refine --exact");
    let mut current = resolved;
    current.beyond.catalog_current = true;
    let refined = refine(&policy, &current.usage());
    check(&text, &policy, &refined, &current, "refine --catalog-current");
});

/// The unused set, from whichever source the text is.
fn resolve(source: &str) -> Option<Resolved> {
    let catalog = catalog();
    if let Some(used) = source.strip_prefix('u') {
        let list = usage::parse_used(used).ok()?;
        Some(usage::from_used(catalog, &list.literals(), |c| {
            list.used_in(c)
        }))
    } else if let Some(last) = source.strip_prefix('l') {
        Some(usage::parse_last_accessed(last).ok()?.resolve(catalog))
    } else {
        Some(findings::parse(source).ok()?.resolve(catalog))
    }
}

fn check(text: &str, policy: &Policy, refined: &Refined, resolved: &Resolved, what: &str) {
    if let Err(reason) = verify::self_check(policy, refined, &resolved.usage()) {
        panic!("{what}: the self-check fails: {reason}");
    }
    assert_eq!(
        refined.edits.len(),
        policy.statements.len(),
        "{what}: one edit per statement"
    );
    let rewritten = rewrite::rewrite(text, policy, &refined.edits)
        .unwrap_or_else(|err| panic!("{what}: {err}"));
    if !refined.changed() {
        assert_eq!(rewritten, text, "{what}: nothing changed but the text did");
    }
    let patch = diff::unified("policy.json", text, &rewritten);
    assert_eq!(
        patch.is_empty(),
        rewritten == text,
        "{what}: diff of equal texts"
    );
    let file = FileReport::new("policy.json", text, policy, refined, &resolved.catalog);
    let reports = [file];
    let _ = report::json::render(&reports, resolved.catalog.info());
    let _ = report::sarif::render(&reports);
    let _ = report::formats::github(&reports);
    let _ = report::formats::text(&reports, true);
    let _ = report::totals(&reports);
}

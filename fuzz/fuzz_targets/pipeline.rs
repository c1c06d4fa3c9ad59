//! The whole refinement on fuzzed policy/findings pairs: read both, resolve
//! the findings over the bundled catalog, refine (as is, `--exact`, and
//! with the catalog taken as current, `--catalog-current`), and
//! require what every run of `refine` requires before it prints or writes
//! anything:
//! * `checked` (refine and its self-check) passes: the refined policy reads back, grants
//!   nothing the original did not, keeps every used action, and leaves no
//!   unused one; a failure, "undecided" included, is a bug in refine;
//! * the JSON host's rewrite of the original text succeeds (it
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
use iam_refine::engine::checked::checked;
use iam_refine::engine::refine::Options;
use iam_refine::hosts::json_file::JsonFile;
use iam_refine::hosts::Host;
use iam_refine::input::findings::{self, Resolved};
use iam_refine::output::report::{self, FileReport};
use iam_refine::{input::usage, output::diff};
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
    let Ok(file) = JsonFile::read(&text) else {
        return;
    };
    let Some(resolved) = resolve(&String::from_utf8_lossy(source_bytes)) else {
        return;
    };
    check(&file, &resolved, Options::default(), "refine");
    check(&file, &resolved, Options { exact: true }, "refine --exact");
    let mut current = resolved;
    current.beyond.catalog_current = true;
    check(&file, &current, Options::default(), "refine --catalog-current");
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

fn check(file: &JsonFile, resolved: &Resolved, options: Options, what: &str) {
    let policy = file.policy();
    let text = file.text();
    let refined = checked(policy, &resolved.usage(), options)
        .unwrap_or_else(|failed| panic!("{what}: the self-check fails: {failed}"));
    assert_eq!(
        refined.edits().len(),
        policy.statements.len(),
        "{what}: one edit per statement"
    );
    let rewritten = file
        .rewrite(&[Some(&refined)])
        .unwrap_or_else(|err| panic!("{what}: {err}"));
    let rewritten = rewritten.text();
    if !refined.changed() {
        assert_eq!(rewritten, text, "{what}: nothing changed but the text did");
    }
    let patch = diff::unified("policy.json", text, rewritten);
    assert_eq!(
        patch.is_empty(),
        rewritten == text,
        "{what}: diff of equal texts"
    );
    let report = FileReport::new("policy.json", file, policy, &refined, &resolved.catalog);
    let reports = [report];
    let _ = report::json::render(&reports, resolved.catalog.info());
    let _ = report::sarif::render(&reports);
    let _ = report::formats::github(&reports);
    let _ = report::formats::text(&reports, true);
    let _ = report::totals(&reports);
}

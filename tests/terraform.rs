//! Terraform configurations (fixtures/terraform): policy documents,
//! `jsonencode` and heredoc policies refined where they are written, every
//! other byte kept; owners by references, modules and `--tf-state`.
//!
//! The findings: role app (s3:PutObject, s3:PutBucketPolicy, s3:ListBucket,
//! sqs:DeleteQueue, all of dynamodb, ec2:DescribeInstances unused), role
//! worker-0 (sqs:SendMessage, sqs:DeleteMessage) and role worker-1
//! (sqs:SendMessage).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::Value;
use std::path::PathBuf;

/// Runs refine in the fixture directory; returns (exit code, stdout, stderr).
fn refine(args: &[&str]) -> (i32, String, String) {
    common::outcome(
        common::refine()
            .args(args)
            .current_dir(common::fixture("terraform")),
    )
}

/// A copy of one fixture configuration to rewrite.
fn copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(name);
    common::copy_tree(&common::fixture("terraform").join(name), &root);
    (dir, root)
}

#[test]
fn each_form_is_refined_in_its_own_style_and_nothing_else_changes() {
    let (code, diff, err) = refine(&["basic", "findings", "--diff"]);
    assert_eq!(code, 0, "{err}");
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        removed,
        vec![
            // A statement block's multi-line list: entries take their lines.
            "      \"s3:PutObject\", # uploads",
            "      \"s3:ListBucket\",",
            // A one-line list beside an expression stays one line.
            "    actions   = [\"sqs:*\", var.extra_action]",
            // jsonencode: the dynamodb statement goes with its lines, the
            // trailing comma of the list stays.
            "        Action   = [\"ec2:DescribeInstances\", \"ec2:DescribeVpcs\"]",
            "        Resource = \"*\"",
            "      },",
            "      {",
            "        Effect   = \"Allow\"",
            "        Action   = \"dynamodb:*\"",
            // JSON in a heredoc, its interpolated Resource kept.
            "          \"Action\": [\"s3:PutBucketPolicy\", \"s3:GetBucketPolicy\"],",
        ]
    );
    assert_eq!(added.len(), 3, "{diff}");
    assert!(added[0].starts_with("    actions   = [\"sqs:AddPermission\", "));
    assert!(added[0].ends_with("\"sqs:UntagQueue\", var.extra_action]"));
    assert!(!added[0].contains("sqs:DeleteQueue"));
    assert_eq!(added[1], "        Action   = [\"ec2:DescribeVpcs\"]");
    assert_eq!(added[2], "          \"Action\": [\"s3:GetBucketPolicy\"],");
    // A trust policy is not an identity policy: said, not counted.
    assert!(
        err.contains("note: basic/main.tf:8:1: data.aws_iam_policy_document.trust: every statement has principals (a trust or resource policy): not changed"),
        "{err}"
    );
    assert!(
        err.contains("3 policies: 3 to refine, 0 unchanged, 0 not checked"),
        "{err}"
    );
}

#[test]
fn the_report_names_each_policy_by_its_address_and_owner() {
    let (code, out, err) = refine(&["basic", "findings", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let owners = common::policy_owners(&report);
    let app = "arn:aws:iam::123456789012:role/app".to_string();
    assert_eq!(
        owners,
        vec![
            (
                "data.aws_iam_policy_document.s3".into(),
                vec![app.clone()],
                None
            ),
            ("aws_iam_role_policy.inline".into(), vec![app.clone()], None),
            ("aws_iam_policy.managed".into(), vec![app], None),
        ]
    );
    assert_eq!(report["files"][0]["not_evaluated"], 1);
}

#[test]
fn check_lines_point_into_the_tf_file_with_the_address() {
    let (code, _, err) = refine(&["basic", "findings", "--check"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "basic/main.tf:23:7: error: data.aws_iam_policy_document.s3: statement 0 (Sid Read): \"s3:PutObject\" grants 1 unused action"
        ),
        "{err}"
    );
}

#[test]
fn in_place_rewrites_and_a_second_run_finds_nothing_more() {
    let (_dir, root) = copy("basic");
    let findings = common::fixture("terraform/findings");
    let root_arg = root.to_str().unwrap();
    let (code, _, err) = common::outcome(common::refine().args([
        root_arg,
        findings.to_str().unwrap(),
        "--in-place",
    ]));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(root.join("main.tf")).unwrap();
    assert!(text.contains("\"ec2:DescribeVpcs\""));
    assert!(!text.contains("dynamodb"));
    let (code, _, err) =
        common::outcome(common::refine().args([root_arg, findings.to_str().unwrap(), "--check"]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn count_instances_named_by_the_state_are_all_owners_and_keep_what_either_uses() {
    let (code, diff, err) = refine(&[
        "counted",
        "findings",
        "--tf-state",
        "states/workers.json",
        "--diff",
    ]);
    assert_eq!(code, 0, "{err}");
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        removed,
        vec![
            "      Action   = [\"sqs:ReceiveMessage\", \"sqs:DeleteMessage\", \"sqs:SendMessage\"]"
        ]
    );
    // worker-1 uses DeleteMessage: only SendMessage, unused by both, goes.
    assert_eq!(
        added,
        vec!["      Action   = [\"sqs:ReceiveMessage\", \"sqs:DeleteMessage\"]"]
    );
}

#[test]
fn a_computed_name_without_a_state_is_an_owner_refine_cannot_name() {
    let (code, diff, err) = refine(&["counted", "findings", "--diff"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(diff, "");
    assert!(
        err.contains("aws_iam_role.worker: its name is an expression (give --tf-state)"),
        "{err}"
    );
}

#[test]
fn a_module_policy_is_owned_by_what_its_call_passes() {
    let (code, diff, err) = refine(&["modules", "findings", "--diff"]);
    assert_eq!(code, 0, "{err}");
    assert!(diff.contains("+++ b/modules/modules/svc/main.tf"), "{diff}");
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        removed,
        vec!["      Action   = [\"s3:GetObject\", \"s3:PutObject\"]"]
    );
    assert_eq!(added, vec!["      Action   = [\"s3:GetObject\"]"]);
    assert!(
        err.contains("module.remote: its source is outside the tree"),
        "{err}"
    );
    let (_, out, _) = refine(&["modules", "findings", "--format", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["files"][0]["policy"],
        "module.svc.aws_iam_role_policy.this"
    );
}

#[test]
fn a_tf_file_given_alone_is_read_with_its_directory_and_printed_rewritten() {
    let (code, out, err) = refine(&["basic/main.tf", "findings"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Action   = [\"ec2:DescribeVpcs\"]"), "{out}");
    assert!(out.starts_with("# A role with an inline policy"));
}

#[test]
fn bad_input_exits_2_naming_the_file_and_place_and_writes_nothing() {
    let (code, out, err) = refine(&["errors-syntax", "findings", "--diff"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("errors-syntax/syntax.tf:3:16: not valid HCL"),
        "{err}"
    );
    let (code, _, err) = refine(&["errors-ref", "findings", "--check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "errors-ref/main.tf:3:10: a reference to aws_iam_role.missing, which is not declared"
        ),
        "{err}"
    );
    let (code, _, err) = refine(&[
        "modules",
        "findings",
        "--tf-state",
        "states/workers.json",
        "--check",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the state is not of any root module here"),
        "{err}"
    );
    let (code, _, err) = refine(&[
        "basic",
        "findings",
        "--tf-state",
        "findings/app.json",
        "--check",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("findings/app.json"), "{err}");
}

#[test]
fn policy_files_read_by_file_and_templatefile_are_refined_where_they_are() {
    let (code, diff, err) = refine(&["files", "findings", "--diff"]);
    assert_eq!(code, 0, "{err}");
    assert!(diff.contains("+++ b/files/policies/s3.json"), "{diff}");
    assert!(
        diff.contains("+++ b/files/policies/queue.json.tpl"),
        "{diff}"
    );
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        removed,
        vec![
            "        \"s3:GetObject\",",
            "        \"s3:PutObject\"",
            "      \"Action\": [\"sqs:SendMessage\", \"sqs:DeleteQueue\", \"${extra_action}\"],",
        ]
    );
    // The template's `${...}` entry is kept, not evaluated.
    assert_eq!(
        added,
        vec![
            "        \"s3:GetObject\"",
            "      \"Action\": [\"sqs:SendMessage\", \"${extra_action}\"],",
        ]
    );
    let (_, out, _) = refine(&["files", "findings", "--format", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<(&str, &str)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["policy"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("files/policies/s3.json", "aws_iam_role_policy.s3"),
            ("files/policies/queue.json.tpl", "aws_iam_role_policy.logs"),
        ]
    );
}

#[test]
fn included_and_attached_policies_keep_what_any_of_their_owners_uses() {
    let (code, diff, err) = refine(&["shared", "findings", "--diff"]);
    assert_eq!(code, 0, "{err}");
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        removed,
        vec![
            "    actions   = [\"s3:GetObject\", \"s3:PutObject\", \"sqs:SendMessage\"]",
            "  statement {",
            "    actions   = [\"ec2:DescribeInstances\"]",
            "    resources = [\"*\"]",
            "  }",
            "      Action   = [\"s3:ListBucket\", \"s3:PutObject\", \"dynamodb:GetItem\"]",
        ]
    );
    // common reaches app (through app) and batch (through batch): only
    // s3:PutObject is unused by both; the managed policy likewise.
    assert_eq!(
        added,
        vec![
            "    actions   = [\"s3:GetObject\", \"sqs:SendMessage\"]",
            "      Action   = [\"dynamodb:GetItem\"]",
        ]
    );
}

#[test]
fn terraform_json_syntax_is_read_and_its_documents_rewritten_as_json() {
    let (code, diff, err) = refine(&["json", "findings", "--diff"]);
    assert_eq!(code, 0, "{err}");
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        removed,
        vec![
            "            \"actions\": [\"s3:GetObject\", \"s3:PutObject\", \"${var.extra}\"],",
            "            \"resources\": [\"*\"]",
            "          },",
            "          {",
            "            \"actions\": [\"dynamodb:*\"],",
        ]
    );
    assert_eq!(
        added,
        vec!["            \"actions\": [\"s3:GetObject\", \"${var.extra}\"],"]
    );
    // A jsonencode written inside a JSON string is HCL in a string: kept.
    assert!(
        err.contains("not checked: aws_iam_role_policy.inline: not evaluated: the policy of aws_iam_role_policy.inline is written inside a JSON string"),
        "{err}"
    );
}

#[test]
fn for_each_module_instances_named_by_a_plan_are_all_owners() {
    let (code, diff, err) = refine(&[
        "teams",
        "findings",
        "--tf-state",
        "states/teams-plan.json",
        "--diff",
    ]);
    assert_eq!(code, 0, "{err}");
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        removed,
        vec!["      Action   = [\"s3:GetObject\", \"s3:PutObject\", \"s3:ListBucket\"]"]
    );
    // team-b uses s3:ListBucket: only s3:PutObject, unused by both, goes.
    assert_eq!(
        added,
        vec!["      Action   = [\"s3:GetObject\", \"s3:ListBucket\"]"]
    );
    let (_, diff, err) = refine(&["teams", "findings", "--diff"]);
    assert_eq!(diff, "");
    assert!(
        err.contains("module.team.aws_iam_role_policy.this: owner unknown: aws_iam_role.this: its name has a name_prefix (give --tf-state)"),
        "{err}"
    );
}

#[test]
fn results_count_statements_as_written_unevaluated_ones_included() {
    // The second statement of data.aws_iam_policy_document.s3 holds an
    // expression beside its literals; basic/'s jsonencode policy has two
    // plain statements. Here the first statement of `doc` is one refine
    // does not evaluate (its actions are an expression).
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tf");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("main.tf"),
        "variable \"list\" {}\ndata \"aws_iam_policy_document\" \"doc\" {\n  statement {\n    actions = var.list\n  }\n  statement {\n    actions = [\"s3:GetObject\", \"s3:PutObject\"]\n  }\n}\nresource \"aws_iam_role_policy\" \"p\" {\n  role   = \"app\"\n  policy = data.aws_iam_policy_document.doc.json\n}\n",
    )
    .unwrap();
    let findings = common::fixture("terraform/findings");
    let (code, out, err) = common::outcome(common::refine().args([
        root.to_str().unwrap(),
        findings.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["results"][0]["statement"], 1, "{out}");
    assert_eq!(report["results"][0]["entry"], "s3:PutObject", "{out}");
}

#[test]
fn a_refined_policy_over_its_hosts_limit_is_said() {
    // A user's inline policies may hold 2,048 characters; narrowing two
    // service wildcards around three unused actions takes more.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tf");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("main.tf"),
        "resource \"aws_iam_user_policy\" \"u\" {\n  name = \"u\"\n  user = \"app\"\n  policy = jsonencode({\n    Statement = [{ Effect = \"Allow\", Action = [\"s3:*\", \"ec2:*\"], Resource = \"*\" }]\n  })\n}\n",
    )
    .unwrap();
    let findings = dir.path().join("findings");
    std::fs::create_dir_all(&findings).unwrap();
    std::fs::write(
        findings.join("u.json"),
        r#"{"findingType":"UnusedPermission","status":"ACTIVE","id":"u","resource":"arn:aws:iam::123456789012:user/app","resourceType":"AWS::IAM::User","findingDetails":[{"unusedPermissionDetails":{"serviceNamespace":"s3","actions":[{"action":"PutObject"}]}},{"unusedPermissionDetails":{"serviceNamespace":"ec2","actions":[{"action":"RunInstances"},{"action":"CreateTags"}]}}]}"#,
    )
    .unwrap();
    let (code, _, err) = common::outcome(common::refine().args([
        root.to_str().unwrap(),
        findings.to_str().unwrap(),
        "--check",
    ]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("main.tf:4:23: aws_iam_user_policy.u: the refined policy has ")
            && err.contains("over IAM's limit of 2048 for a user's inline policies"),
        "{err}"
    );
}

/// `--fit` in a Terraform file: the sqs statement's exact refinement is
/// long, so under 250 characters `sqs:*` is written back, re-admitting
/// sqs:DeleteQueue, beside the expression it was written with.
#[test]
fn fit_in_a_terraform_file_writes_a_wildcard_back_beside_an_expression() {
    let (_dir, root) = copy("basic");
    let findings = common::fixture("terraform/findings");
    let findings = findings.to_str().unwrap();
    let args = [
        "main.tf",
        findings,
        "--in-place",
        "--fit",
        "--max-size",
        "250",
    ];
    let (code, _, stderr) = common::outcome(common::refine().args(args).current_dir(&root));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("main.tf:31:17: --fit re-admits 1 unused action to fit the size limit (Write 1): sqs:DeleteQueue"),
        "{stderr}"
    );
    let fitted = std::fs::read_to_string(root.join("main.tf")).unwrap();
    assert!(
        fitted.contains(r#"actions   = ["sqs:*", var.extra_action]"#),
        "{fitted}"
    );
    assert!(!fitted.contains("s3:ListBucket"), "{fitted}");
}

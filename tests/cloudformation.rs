//! CloudFormation and SAM templates (fixtures/cloudformation): policies
//! refined where they are written, every other byte kept, owners from the
//! template, `--stack-name` and `--stack-resources`.
//!
//! The findings: role app (s3:PutObject, s3:PutBucketPolicy, s3:ListBucket,
//! sqs:DeleteQueue, all of dynamodb, ec2:DescribeInstances unused), role
//! prod-Worker-1ABC2DEF3GHI (s3:PutObject, s3:PutBucketPolicy), the SAM
//! function's role prod-HandlerRole-9ZYX8WVU7TSR (dynamodb:DeleteTable),
//! role prod-api and role anchored (logs:DeleteLogGroup).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Runs refine in the fixture directory; returns (exit code, stdout, stderr).
fn refine(args: &[&str]) -> (i32, String, String) {
    common::outcome(
        common::refine()
            .args(args)
            .current_dir(common::fixture("cloudformation")),
    )
}

/// Runs refine in `dir`.
fn refine_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::outcome(common::refine().args(args).current_dir(dir))
}

/// A copy of the fixture directory to rewrite.
fn copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cfn");
    common::copy_tree(&common::fixture("cloudformation"), &root);
    (dir, root)
}

#[test]
fn a_block_list_keeps_its_comments_and_unevaluated_entries_and_new_entries_take_its_style() {
    let (code, diff, stderr) = refine(&["role-inline.yaml", "findings", "--diff"]);
    assert_eq!(code, 0, "{stderr}");
    let (removed, added) = common::changes(&diff);
    // The used entry, the comments and the !Sub entry stay; ListBucket and
    // the dynamodb statement (a flow mapping) go with their lines; s3:Put*
    // becomes the Put actions still used, plain like its neighbours.
    assert!(
        removed.contains(&"                  - s3:ListBucket"),
        "{diff}"
    );
    assert!(removed.contains(&"                  - 's3:Put*'"), "{diff}");
    assert!(
        removed.contains(
            &"              - {Effect: Allow, Action: \"dynamodb:DeleteTable\", Resource: \"*\"}"
        ),
        "{diff}"
    );
    assert!(
        added.contains(&"                  - s3:PutObjectAcl"),
        "{diff}"
    );
    assert!(
        !added
            .iter()
            .any(|l| l.contains("s3:PutObject\"") || *l == "                  - s3:PutObject"),
        "{diff}"
    );
    for kept in [
        "- s3:GetObject   # used",
        "# the bucket listing",
        "- !Sub \"${Service}:Get*\"",
    ] {
        assert!(
            !removed.iter().any(|l| l.contains(kept)),
            "{kept} removed: {diff}"
        );
    }
    // A flow list keeps its brackets, padding and quoting.
    assert!(
        added.contains(&"                Action: [ \"sqs:SendMessage\" ]"),
        "{diff}"
    );
    // A scalar that becomes several entries becomes a block list two
    // spaces deeper than its key.
    assert!(
        removed.contains(&"                Action: ec2:Describe*"),
        "{diff}"
    );
    assert!(added.contains(&"                Action:"), "{diff}");
    assert!(
        added.contains(&"                  - ec2:DescribeRegions"),
        "{diff}"
    );
    // The trust policy is never touched.
    assert!(!diff.contains("sts:AssumeRole"), "{diff}");
}

#[test]
fn in_place_matches_the_diff_and_git_apply_accepts_it() {
    let (_dir, root) = copy();
    let (code, diff, stderr) = refine_in(&root, &["role-inline.yaml", "findings", "--diff"]);
    assert_eq!(code, 0, "{stderr}");
    let patch = root.join("p.diff");
    std::fs::write(&patch, &diff).unwrap();
    let git = std::process::Command::new("git")
        .args(["apply", "--check", "--unsafe-paths", "p.diff"])
        .current_dir(&root)
        .output();
    if let Ok(out) = git {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (code, _, stderr) = refine_in(&root, &["role-inline.yaml", "findings", "--in-place"]);
    assert_eq!(code, 0, "{stderr}");
    let rewritten = std::fs::read_to_string(root.join("role-inline.yaml")).unwrap();
    let (code, printed, _) = refine(&["role-inline.yaml", "findings"]);
    assert_eq!(code, 0);
    assert_eq!(
        printed, rewritten,
        "printing a template prints it rewritten"
    );
    // Run again: nothing left to refine.
    let (code, diff, _) = refine_in(&root, &["role-inline.yaml", "findings", "--diff"]);
    assert_eq!((code, diff.as_str()), (0, ""));
}

#[test]
fn crlf_line_ends_stay_crlf() {
    let (_dir, root) = copy();
    let text = std::fs::read_to_string(root.join("role-inline.yaml")).unwrap();
    std::fs::write(root.join("crlf.yaml"), text.replace('\n', "\r\n")).unwrap();
    let (code, _, stderr) = refine_in(&root, &["crlf.yaml", "findings", "--in-place"]);
    assert_eq!(code, 0, "{stderr}");
    let rewritten = std::fs::read_to_string(root.join("crlf.yaml")).unwrap();
    assert_ne!(rewritten, text.replace('\n', "\r\n"));
    assert_eq!(
        rewritten.matches('\n').count(),
        rewritten.matches("\r\n").count()
    );
    assert!(rewritten.contains("- s3:PutObjectAcl\r\n"));
}

#[test]
fn a_managed_policy_shared_by_two_roles_loses_only_what_both_leave_unused() {
    let (code, report, stderr) = refine(&[
        "managed-shared.yaml",
        "findings",
        "--stack-name",
        "prod",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&report).unwrap();
    let files = report["files"].as_array().unwrap();
    let writer = files.iter().find(|f| f["policy"] == "Writer").unwrap();
    let owners: Vec<&str> = writer["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["arn"].as_str().unwrap())
        .collect();
    assert_eq!(
        owners,
        [
            "arn:aws:iam::123456789012:role/app",
            "arn:aws:iam::123456789012:role/prod-Worker-1ABC2DEF3GHI"
        ]
    );
    let result = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["entry"] == "s3:Put*")
        .unwrap();
    let unused: Vec<&str> = result["unused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        unused,
        ["s3:PutBucketPolicy", "s3:PutObject"],
        "app's ListBucket is not the worker's"
    );
    // The RolePolicy names its role with !Ref; line and column point into
    // the template.
    let queue = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["entry"] == "sqs:DeleteQueue")
        .unwrap();
    assert_eq!(
        (queue["line"].as_u64(), queue["column"].as_u64()),
        (Some(33), Some(19))
    );
}

#[test]
fn a_generated_name_needs_the_stack_name_or_its_resources() {
    let (code, diff, stderr) = refine(&["managed-shared.yaml", "findings", "--diff"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !diff.contains("s3:Put"),
        "the shared policy is left as written: {diff}"
    );
    assert!(stderr.contains("managed-shared.yaml:8: not checked: Writer: owner unknown: Worker's name is generated by CloudFormation: give --stack-resources (or --stack-name)"), "{stderr}");
    let (code, _, stderr) = refine(&[
        "managed-shared.yaml",
        "findings",
        "--check",
        "--fail-on",
        "not-checked",
    ]);
    assert_eq!(code, 1, "{stderr}");
}

#[test]
fn sam_inline_statements_are_refined_beside_policy_templates_that_are_reported() {
    let (code, diff, stderr) = refine(&[
        "sam-function.yaml",
        "findings",
        "--stack-resources",
        "stack-resources.json",
        "--diff",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        (removed, added),
        (vec!["                - dynamodb:DeleteTable"], vec![])
    );
    assert!(
        stderr.contains(
            "sam-function.yaml:11:11: the SAM policy template S3ReadPolicy of Handler: not changed"
        ),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("the managed policy \"AWSLambdaBasicExecutionRole\" of Handler: not changed"),
        "{stderr}"
    );
    // Without the stack's resources the function's role is unknown.
    let (code, diff, stderr) = refine(&["sam-function.yaml", "findings", "--diff"]);
    assert_eq!((code, diff.as_str()), (0, ""), "{stderr}");
    assert!(
        stderr.contains("HandlerRole's name is generated"),
        "{stderr}"
    );
}

#[test]
fn names_from_sub_of_the_stack_name_groups_without_members_and_anchors() {
    let (code, diff, stderr) = refine(&[
        "named-by-sub.yaml",
        "findings",
        "--stack-name",
        "prod",
        "--diff",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        (removed, added),
        (
            vec!["                Action: ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutLogEvents']"],
            vec!["                Action: ['logs:CreateLogGroup', 'logs:PutLogEvents']"]
        )
    );
    assert!(
        stderr.contains(
            "not checked: Admins policy admin: owned by group admins, whose members are unknown"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "named-by-sub.yaml:33: not checked: Anchored policy a: not evaluated: a YAML anchor or alias in it"
        ),
        "{stderr}"
    );
    // Without --stack-name, ${AWS::StackName} is unknown.
    let (_, _, stderr) = refine(&["named-by-sub.yaml", "findings", "--diff"]);
    assert!(
        stderr.contains(
            "the name of Api uses ${AWS::StackName}: give --stack-name or --stack-resources"
        ),
        "{stderr}"
    );
}

#[test]
fn json_templates_keep_long_form_functions_and_their_layout() {
    let (code, diff, stderr) = refine(&["long-forms.json", "findings", "--diff"]);
    assert_eq!(code, 0, "{stderr}");
    let (removed, added) = common::changes(&diff);
    assert_eq!(
        removed,
        [
            "                  \"sqs:DeleteQueue\",",
            "              },",
            "              {\"Effect\": \"Allow\", \"Action\": \"dynamodb:DeleteTable\", \"Resource\": \"*\"}"
        ],
        "{diff}"
    );
    assert_eq!(added, ["              }"], "{diff}");
    assert!(
        !diff.contains("Fn::If"),
        "the statement under Fn::If is kept as written"
    );
}

#[test]
fn a_directory_of_templates_reports_each_policy_with_its_place() {
    let (code, report, stderr) = refine(&[
        ".",
        "findings",
        "--stack-name",
        "prod",
        "--stack-resources",
        "stack-resources.json",
        "--check",
        "--format",
        "sarif",
        "--verbose",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let log: Value = serde_json::from_str(&report).unwrap();
    common::assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let files: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        [
            "every-type.yaml",
            "long-forms.json",
            "managed-shared.yaml",
            "named-by-sub.yaml",
            "role-inline.yaml",
            "sam-function.yaml"
        ]
    );
    assert!(
        stderr.contains("stack-resources.json: not a policy document: skipped"),
        "{stderr}"
    );
}

#[test]
fn bad_templates_fail_with_a_place_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let findings = common::fixture("cloudformation/findings");
    let cases = [
        ("syntax.yaml", "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: [a, b\n", "syntax.yaml:5:1: invalid YAML"),
        ("tag.yaml", "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: !Bogus x\n", "tag.yaml:4:17: unknown tag !Bogus"),
        ("dup.yaml", "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Type: AWS::IAM::User\n", "dup.yaml:4:5: duplicate key \"Type\""),
        (
            "shape.yaml",
            "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n      Policies: {PolicyName: p}\n",
            "shape.yaml:6:17: Resources.R.Properties.Policies: Policies must be a list, found an object",
        ),
        (
            "effect.yaml",
            "Resources:\n  R:\n    Type: AWS::IAM::Policy\n    Properties:\n      Roles: [app]\n      PolicyDocument:\n        Statement:\n          - Effect: allow\n            Action: s3:GetObject\n            Resource: '*'\n",
            "effect.yaml:8:21: Resources.R.Properties.PolicyDocument.Statement[0].Effect: Effect must be \"Allow\" or \"Deny\"",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (code, out, stderr) = refine_in(
            dir.path(),
            &[name, findings.to_str().unwrap(), "--in-place"],
        );
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(out.is_empty());
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "{name} was written"
        );
    }
    std::fs::write(dir.path().join("stack.json"), r#"{"StackResources": {}}"#).unwrap();
    let template = common::fixture("cloudformation/sam-function.yaml");
    let (code, _, stderr) = refine_in(
        dir.path(),
        &[
            template.to_str().unwrap(),
            findings.to_str().unwrap(),
            "--stack-resources",
            "stack.json",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "stack.json:1:20: StackResources: StackResources must be an array, found an object"
        ),
        "{stderr}"
    );
}

#[test]
fn yaml_that_is_not_a_template_is_skipped_in_a_walk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("workflow.yml"), "on: push\njobs: {}\n").unwrap();
    std::fs::write(dir.path().join("bad.yml"), "a: [1\n").unwrap();
    let findings = common::fixture("cloudformation/findings");
    let (code, _, stderr) = refine_in(dir.path(), &[".", findings.to_str().unwrap(), "--check"]);
    assert_eq!(code, 0, "{stderr}");
    // A routine run does not list what it skipped; -v does.
    assert!(!stderr.contains(": skipped"), "{stderr}");
    assert!(
        stderr.contains("warning: .: no policy file here"),
        "{stderr}"
    );
    let (code, _, stderr) = refine_in(
        dir.path(),
        &[".", findings.to_str().unwrap(), "--check", "-v"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("workflow.yml: not a CloudFormation template: skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.yml: not a CloudFormation template: skipped"),
        "{stderr}"
    );
}

#[test]
fn cdk_templates_say_the_change_belongs_in_the_cdk_source() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::fixture("cloudformation/long-forms.json"))
        .unwrap()
        .replace("\"Type\": \"AWS::IAM::Role\",", "\"Type\": \"AWS::IAM::Role\", \"Metadata\": {\"aws:cdk:path\": \"App/AppRole/Resource\"},");
    std::fs::write(dir.path().join("App.template.json"), text).unwrap();
    let findings = common::fixture("cloudformation/findings");
    let (code, diff, stderr) = refine_in(
        dir.path(),
        &["App.template.json", findings.to_str().unwrap(), "--diff"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        diff.contains("-                  \"sqs:DeleteQueue\","),
        "{diff}"
    );
    assert!(
        stderr.contains(
            "App.template.json: generated by the CDK: make the change in the CDK source too"
        ),
        "{stderr}"
    );
    let (_, report, _) = refine_in(
        dir.path(),
        &[
            "App.template.json",
            findings.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["files"][0]["generated"], true);
}

#[test]
fn every_resource_type_is_read_with_its_owners() {
    let (code, report, stderr) = refine(&[
        "every-type.yaml",
        "findings",
        "--stack-name",
        "prod",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&report).unwrap();
    let owners = common::policy_owners(&report);
    let user = "arn:aws:iam::123456789012:user/alice".to_string();
    let runner = "arn:aws:iam::123456789012:role/runner".to_string();
    let flow = "arn:aws:iam::123456789012:role/prod-FlowRole-5QW4ER3TY2UI".to_string();
    assert_eq!(
        owners,
        vec![
            ("Alice policy own".into(), vec![user.clone()], None),
            ("AliceExtra".into(), vec![user.clone()], None),
            ("Shared".into(), vec![runner, user], None),
            ("Ops".into(), vec![], Some("owned by group ops, whose members are unknown (list them in the manifest, or give --details)".into())),
            ("Flow inline policy".into(), vec![flow], None),
        ]
    );
    // The shared policy keeps what the user uses although the role uses
    // nothing of it; the function with a Role has its Policies ignored.
    let results = report["results"].as_array().unwrap();
    let shared: Vec<&Value> = results.iter().filter(|r| r["line"] == 29).collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["unused"][0]["action"], "s3:DeleteObject");
    assert!(
        stderr.contains("every-type.yaml:58:9: Fixed has a Role, so SAM ignores its Policies"),
        "{stderr}"
    );
}

#[test]
fn a_yaml_template_on_stdin_is_read_as_one() {
    let text = std::fs::read_to_string(common::fixture("cloudformation/role-inline.yaml")).unwrap();
    let mut command = common::refine();
    command
        .args(["-", "findings", "--diff"])
        .current_dir(common::fixture("cloudformation"))
        .write_stdin(text);
    let (code, diff, stderr) = common::outcome(&mut command);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        diff.contains("-                  - s3:ListBucket"),
        "{diff}"
    );
}

#[test]
fn a_group_s_members_from_the_manifest_answer_a_template_s_group() {
    let (_dir, root) = copy();
    std::fs::write(
        root.join("owners.json"),
        r#"{"every-type.yaml": [{"group": "arn:aws:iam::123456789012:group/ops", "members": ["arn:aws:iam::123456789012:user/alice"]}]}"#,
    )
    .unwrap();
    let (code, report, stderr) = refine_in(
        &root,
        &[
            "every-type.yaml",
            "findings",
            "--stack-name",
            "prod",
            "--owners",
            "owners.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&report).unwrap();
    let ops = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy"] == "Ops")
        .unwrap();
    assert_eq!(ops["not_checked"], Value::Null, "{ops}");
    // Results name their policy, as files do.
    let results = report["results"].as_array().unwrap();
    assert!(
        results.iter().all(|r| r["policy"].is_string()),
        "{results:?}"
    );
}

#[test]
fn an_output_file_is_created_as_the_user_creates_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let reference = dir.path().join("reference");
    std::fs::write(&reference, "").unwrap();
    let (code, _, stderr) = refine(&[
        "role-inline.yaml",
        "findings",
        "--format",
        "sarif",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&out), mode(&reference), "not tempfile's private 0600");
    }
}

#[test]
fn text_and_github_reports_name_the_policy_of_each_entry() {
    let args = [
        "every-type.yaml",
        "findings",
        "--stack-name",
        "prod",
        "--format",
    ];
    let (code, text, stderr) = refine(&[&args[..], &["text", "--color", "never"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains("every-type.yaml (Alice policy own): 1 unused action"),
        "{text}"
    );
    let (_, github, _) = refine(&[&args[..], &["github"]].concat());
    assert!(
        github.contains("::error file=every-type.yaml,line=20,col=57,")
            && github.contains("::AliceExtra: \"sqs:DeleteQueue\" grants 1 unused action"),
        "{github}"
    );
    assert!(github.contains("::notice file=every-type.yaml,line=41,title=refine%3A not-checked::not checked: Ops: owned by group ops"), "{github}");
}

/// `--fit` in a template: the policy holds a function, so its statements
/// are not merged; unused actions are re-admitted (here by writing `s3:Put*`
/// back) and the fitted policy is written in place. A cap even the
/// original's entries cannot reach fails with the policy's place, and
/// nothing is written.
#[test]
fn fit_in_a_template_readmits_without_merging_around_functions() {
    let (_dir, root) = copy();
    let file = root.join("role-inline.yaml");
    let args = |cap: &'static str| {
        [
            "role-inline.yaml",
            "findings",
            "--in-place",
            "--fit",
            "--max-size",
            cap,
        ]
    };
    let (code, _, stderr) = refine_in(&root, &args("300"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("role-inline.yaml:22:19: --fit re-admits 2 unused actions to fit the size limit (Permissions management 1, Write 1): s3:PutBucketPolicy, s3:PutObject"),
        "{stderr}"
    );
    assert!(!stderr.contains("merged"), "{stderr}");
    let fitted = std::fs::read_to_string(&file).unwrap();
    assert!(
        fitted.contains("                  - 's3:Put*'\n"),
        "{fitted}"
    );
    assert!(!fitted.contains("s3:ListBucket"), "{fitted}");
    let (code, _, stderr) = refine_in(&root, &args("200"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("role-inline.yaml:17:13: AppRole policy s3: --fit cannot bring the policy under 200 characters"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), fitted);
}

/// IAM counts a user's inline policies together: two policies of alice
/// that each fit 2,048 characters but not together are warned about once,
/// by their total.
#[test]
fn a_principals_inline_policies_are_warned_about_by_their_total() {
    let listed = common::refine()
        .args(["catalog", "list", "s3:Get*"])
        .output()
        .unwrap();
    let names: Vec<String> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .take(45)
        .map(|name| format!("                  - {name}\n"))
        .collect();
    let policy = |name: &str| {
        format!(
            "        - PolicyName: {name}\n          PolicyDocument:\n            Statement:\n              - Effect: Allow\n                Resource: '*'\n                Action:\n{}                  - s3:DeleteObject\n",
            names.concat()
        )
    };
    let template = format!(
        "Resources:\n  Alice:\n    Type: AWS::IAM::User\n    Properties:\n      UserName: alice\n      Policies:\n{}{}",
        policy("one"),
        policy("two")
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("user.yaml"), template).unwrap();
    std::fs::create_dir(dir.path().join("findings")).unwrap();
    std::fs::copy(
        common::fixture("cloudformation/findings/alice.json"),
        dir.path().join("findings/alice.json"),
    )
    .unwrap();
    let (code, _, stderr) = refine_in(dir.path(), &["user.yaml", "findings", "--diff"]);
    assert_eq!(code, 0, "{stderr}");
    let warned: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("inline policies of"))
        .collect();
    assert_eq!(warned.len(), 1, "{stderr}");
    // Each fits alone.
    assert!(!stderr.contains("the refined policy has"), "{stderr}");
    assert!(
        warned[0].starts_with("warning: user.yaml: the 2 inline policies of user alice have "),
        "{stderr}"
    );
    assert!(
        warned[0].contains("over IAM's limit of 2048 for a user's inline policies"),
        "{stderr}"
    );
}

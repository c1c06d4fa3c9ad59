//! Whose a template's policy is, case by case: each case once made refine
//! refine a policy against the wrong principal or too few (an adversarial
//! review), which drops what the missing one uses. Each now leaves the
//! policy as written (not checked) or finds every owner.
//!
//! Every policy grants s3:GetObject and s3:DeleteObject.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::{json, Value};
use std::path::Path;

const POLICY: &str = "{Statement: [{Effect: Allow, Action: [\"s3:GetObject\", \"s3:DeleteObject\"], Resource: \"*\"}]}";
const TRUST: &str = "{Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: \"sts:AssumeRole\"}]}";

/// A finding for `arn` leaving `unused` (s3 action names) unused.
fn finding(dir: &Path, file: &str, arn: &str, unused: &[&str]) {
    let actions: Vec<Value> = unused.iter().map(|a| json!({"action": a})).collect();
    let body = json!({"findingType": "UnusedPermission", "status": "ACTIVE", "id": file, "resource": arn,
        "resourceType": "AWS::IAM::Role",
        "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": actions}}]});
    std::fs::create_dir_all(dir.join("f")).unwrap();
    std::fs::write(dir.join("f").join(format!("{file}.json")), body.to_string()).unwrap();
}

/// A role with an inline policy, its name as given (None: generated).
fn role(logical: &str, name: Option<&str>) -> String {
    let name = name.map_or_else(String::new, |n| format!("      RoleName: {n}\n"));
    format!("  {logical}:\n    Type: AWS::IAM::Role\n    Properties:\n{name}      AssumeRolePolicyDocument: {TRUST}\n      Policies:\n        - PolicyName: p\n          PolicyDocument: {POLICY}\n")
}

/// Runs refine in `dir`; the JSON report's files as (policy, owner
/// names, not-checked message), and the exit code.
fn owners(dir: &Path, args: &[&str]) -> (i32, Vec<common::PolicyOwners>, String) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = common::outcome(common::refine().args(&all).current_dir(dir));
    let files = serde_json::from_str::<Value>(&stdout)
        .map(|report| common::policy_owners(&report))
        .unwrap_or_default();
    (code, files, stderr)
}

const A: &str = "arn:aws:iam::123456789012:role/";

#[test]
fn one_generated_name_fitting_two_templates_of_a_run_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    for file in ["a.yaml", "b.yaml"] {
        std::fs::write(
            dir.path().join("infra").join(file),
            format!("Resources:\n{}", role("App", None)),
        )
        .unwrap();
    }
    finding(
        dir.path(),
        "app",
        &format!("{A}prod-App-1ABC2DEF3GHI"),
        &["DeleteObject"],
    );
    let (code, stdout, stderr) = common::outcome(
        common::refine()
            .args(["infra", "f", "--stack-name", "prod", "--diff"])
            .current_dir(dir.path()),
    );
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert!(stderr.contains("prod-App-1ABC2DEF3GHI: taken for role App of stack prod in infra/a.yaml and role App of stack prod in infra/b.yaml"), "{stderr}");
    // An existing -o file is left as it was: not even emptied.
    std::fs::write(dir.path().join("out.patch"), "before").unwrap();
    let (code, _, _) = common::outcome(
        common::refine()
            .args([
                "infra",
                "f",
                "--stack-name",
                "prod",
                "--diff",
                "-o",
                "out.patch",
            ])
            .current_dir(dir.path()),
    );
    assert_eq!(code, 2);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.patch")).unwrap(),
        "before"
    );
}

#[test]
fn a_stack_resource_that_disagrees_with_the_template_is_not_its_stack() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.yaml"),
        format!("Resources:\n{}", role("App", Some("billing-app"))),
    )
    .unwrap();
    std::fs::write(dir.path().join("stack.json"), json!({"StackResources": [{"StackName": "prod", "LogicalResourceId": "App", "PhysicalResourceId": "prod-App-1ABC2DEF3GHI", "ResourceType": "AWS::IAM::Role"}]}).to_string()).unwrap();
    finding(
        dir.path(),
        "app",
        &format!("{A}prod-App-1ABC2DEF3GHI"),
        &["DeleteObject"],
    );
    let (code, files, stderr) = owners(
        dir.path(),
        &["t.yaml", "f", "--stack-resources", "stack.json"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(files[0].2.as_deref(), Some("owner unknown: stack prod's App is named prod-App-1ABC2DEF3GHI, the template names it billing-app"));
}

#[test]
fn a_generated_name_is_nobody_s_when_another_role_of_the_template_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "Resources:\n{}{}",
        role("App", None),
        role("Legacy", Some("prod-App-1ABC2DEF3GHI"))
    );
    std::fs::write(dir.path().join("t.yaml"), text).unwrap();
    finding(
        dir.path(),
        "legacy",
        &format!("{A}prod-App-1ABC2DEF3GHI"),
        &["DeleteObject"],
    );
    let (_, files, stderr) = owners(dir.path(), &["t.yaml", "f", "--stack-name", "prod"]);
    assert_eq!(
        files[0].2.as_deref(),
        Some("no findings for role App of stack prod"),
        "{stderr}"
    );
    assert_eq!(files[1].1, [format!("{A}prod-App-1ABC2DEF3GHI")]);
    // A role whose name is a parameter could have any name: a generated
    // name is then nobody's either.
    let text = format!(
        "Resources:\n{}{}",
        role("App", None),
        role("Other", Some("!Ref Name"))
    );
    std::fs::write(dir.path().join("t.yaml"), text).unwrap();
    finding(
        dir.path(),
        "legacy",
        &format!("{A}prod-App-1ABC2DEF3GHI"),
        &["DeleteObject"],
    );
    let (_, files, _) = owners(dir.path(), &["t.yaml", "f", "--stack-name", "prod"]);
    assert!(
        files[0]
            .2
            .as_deref()
            .unwrap()
            .contains("Other's is not known"),
        "{files:?}"
    );
}

#[test]
fn a_name_pattern_must_fit_a_principal_in_every_account_of_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "Resources:\n{}{}",
        role("App", Some("!Sub \"${AWS::AccountId}-app\"")),
        role("Gen", None)
    );
    std::fs::write(dir.path().join("t.yaml"), text).unwrap();
    finding(
        dir.path(),
        "app",
        "arn:aws:iam::111111111111:role/111111111111-app",
        &["DeleteObject"],
    );
    finding(
        dir.path(),
        "gen",
        "arn:aws:iam::111111111111:role/prod-Gen-1ABC2DEF3GHI",
        &["DeleteObject"],
    );
    finding(
        dir.path(),
        "other",
        "arn:aws:iam::222222222222:role/other",
        &["DeleteObject"],
    );
    let (_, files, _) = owners(dir.path(), &["t.yaml", "f", "--stack-name", "prod"]);
    for (policy, _, why) in &files {
        assert!(
            why.as_deref()
                .unwrap_or_default()
                .contains("the findings cover 2 accounts, 1 of which"),
            "{policy}: {why:?}"
        );
    }
}

#[test]
fn a_managed_policy_is_owned_by_every_attachment_and_unknown_beyond_them() {
    let dir = tempfile::tempdir().unwrap();
    let attach = |logical: &str, name: &str, arns: &str| {
        format!("  {logical}:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: {name}\n      AssumeRolePolicyDocument: {TRUST}\n      ManagedPolicyArns: {arns}\n")
    };
    let text = format!(
        "Conditions:\n  C: !Equals [a, a]\nResources:\n  Shared:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      ManagedPolicyName: shared\n      PolicyDocument: {POLICY}\n{}{}{}{}",
        attach("B", "b", "[!GetAtt Shared.PolicyArn]"),
        attach("C", "c", "[!Sub \"arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/shared\"]"),
        attach("D", "d", "[arn:aws:iam::123456789012:policy/shared]"),
        attach("E", "e", "[!If [C, !Ref Shared, !Ref AWS::NoValue]]"),
    );
    std::fs::write(dir.path().join("t.yaml"), &text).unwrap();
    for name in ["b", "c", "d", "e"] {
        finding(dir.path(), name, &format!("{A}{name}"), &["DeleteObject"]);
    }
    let (_, files, stderr) = owners(dir.path(), &["t.yaml", "f"]);
    let expected: Vec<String> = ["b", "c", "d", "e"]
        .iter()
        .map(|n| format!("{A}{n}"))
        .collect();
    assert_eq!(files[0].1, expected, "{stderr}");
    // Used as a boundary, or exported: who it reaches is unknown.
    for (place, extra) in [
        ("Resources.F.Properties.PermissionsBoundary", "  F:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: f\n      AssumeRolePolicyDocument: {Statement: []}\n      PermissionsBoundary: !Ref Shared\n"),
        ("Outputs.Arn", "Outputs:\n  Arn:\n    Value: !Ref Shared\n    Export: {Name: shared}\n"),
    ] {
        std::fs::write(dir.path().join("t.yaml"), format!("{text}{extra}")).unwrap();
        let (_, files, _) = owners(dir.path(), &["t.yaml", "f"]);
        let why = files[0].2.as_deref().unwrap_or_default();
        assert!(why.contains(&format!("Shared is also used at {place}")), "{why}");
    }
}

#[test]
fn another_source_only_adds_owners_in_other_accounts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.yaml"),
        format!("Resources:\n{}", role("App", Some("app"))),
    )
    .unwrap();
    finding(
        dir.path(),
        "a1",
        "arn:aws:iam::111111111111:role/app",
        &["DeleteObject"],
    );
    finding(
        dir.path(),
        "a2",
        "arn:aws:iam::222222222222:role/app",
        &["GetObject"],
    );
    let details = json!({"RoleDetailList": [{"RoleName": "app", "Arn": "arn:aws:iam::111111111111:role/app", "Path": "/",
        "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": "*"}]}}],
        "AttachedManagedPolicies": [], "InstanceProfileList": []}], "UserDetailList": [], "GroupDetailList": [], "Policies": []});
    std::fs::write(dir.path().join("details.json"), details.to_string()).unwrap();
    let (code, files, stderr) = owners(dir.path(), &["t.yaml", "f", "--details", "details.json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        files[0].1,
        [
            "arn:aws:iam::111111111111:role/app",
            "arn:aws:iam::222222222222:role/app"
        ]
    );
}

#[test]
fn an_attachment_refine_cannot_evaluate_may_be_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let shared = |name: &str| {
        format!("  Shared:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      ManagedPolicyName: {name}\n      PolicyDocument: {POLICY}\n")
    };
    let attach = |logical: &str, name: &str, arns: &str| {
        format!("  {logical}:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: {name}\n      AssumeRolePolicyDocument: {TRUST}\n      ManagedPolicyArns: {arns}\n")
    };
    finding(
        dir.path(),
        "a",
        &format!("{A}a"),
        &["GetObject", "DeleteObject"],
    );
    finding(dir.path(), "b", &format!("{A}b"), &["DeleteObject"]);
    let a = attach("A", "a", "[!Ref Shared]");
    for (name, b, expected) in [
        (
            "shared",
            "[!Join ['', ['arn:aws:iam::', !Ref 'AWS::AccountId', ':policy/shared']]]",
            "B attaches Fn::Join, which may be Shared",
        ),
        (
            "shared",
            "[!Sub ['arn:aws:iam::${AWS::AccountId}:policy/${N}', {N: shared}]]",
            "B attaches Fn::Sub, which may be Shared",
        ),
        (
            "shared",
            "[!Ref PolicyArn]",
            "B attaches !Ref PolicyArn, which may be Shared",
        ),
        (
            "!Sub '${AWS::StackName}-shared'",
            "[!Sub 'arn:aws:iam::${AWS::AccountId}:policy/${AWS::StackName}-shared']",
            "which may be Shared",
        ),
    ] {
        let text = format!("Resources:\n{}{a}{}", shared(name), attach("B", "b", b));
        std::fs::write(dir.path().join("t.yaml"), text).unwrap();
        let (_, files, stderr) = owners(dir.path(), &["t.yaml", "f"]);
        assert!(
            files[0].2.as_deref().unwrap_or_default().contains(expected),
            "{b}: {files:?} {stderr}"
        );
    }
    // ${Shared} in a !Sub is the policy; with the stack's name, a !Sub
    // name is known.
    for (name, b, args) in [
        ("shared", "[!Sub '${Shared}']", vec!["t.yaml", "f"]),
        (
            "!Sub '${AWS::StackName}-shared'",
            "[!Sub 'arn:aws:iam::${AWS::AccountId}:policy/${AWS::StackName}-shared']",
            vec!["t.yaml", "f", "--stack-name", "prod"],
        ),
    ] {
        let text = format!("Resources:\n{}{a}{}", shared(name), attach("B", "b", b));
        std::fs::write(dir.path().join("t.yaml"), text).unwrap();
        let (_, files, stderr) = owners(dir.path(), &args);
        assert_eq!(
            files[0].1,
            [format!("{A}a"), format!("{A}b")],
            "{b}: {stderr}"
        );
    }
}

#[test]
fn two_templates_taking_one_stack_role_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    for file in ["a.yaml", "b.yaml"] {
        std::fs::write(
            dir.path().join("infra").join(file),
            format!("Resources:\n{}", role("App", None)),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("stack.json"), json!({"StackResources": [{"StackName": "prod", "LogicalResourceId": "App", "PhysicalResourceId": "prod-App-1ABC2DEF3GHI", "ResourceType": "AWS::IAM::Role"}]}).to_string()).unwrap();
    finding(
        dir.path(),
        "app",
        &format!("{A}prod-App-1ABC2DEF3GHI"),
        &["DeleteObject"],
    );
    let (code, stdout, stderr) = common::outcome(
        common::refine()
            .args(["infra", "f", "--stack-resources", "stack.json", "--diff"])
            .current_dir(dir.path()),
    );
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    // Every stack given counts, --stack-name or not.
    std::fs::remove_file(dir.path().join("infra/b.yaml")).unwrap();
    std::fs::write(dir.path().join("dev.json"), json!({"StackResources": [{"StackName": "dev", "LogicalResourceId": "App", "PhysicalResourceId": "dev-App-9ZZZ2DEF3GHI", "ResourceType": "AWS::IAM::Role"}]}).to_string()).unwrap();
    finding(
        dir.path(),
        "dev",
        &format!("{A}dev-App-9ZZZ2DEF3GHI"),
        &["GetObject"],
    );
    let (code, files, stderr) = owners(
        dir.path(),
        &[
            "infra/a.yaml",
            "f",
            "--stack-resources",
            "stack.json",
            "--stack-resources",
            "dev.json",
            "--stack-name",
            "prod",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        files[0].1,
        [
            format!("{A}dev-App-9ZZZ2DEF3GHI"),
            format!("{A}prod-App-1ABC2DEF3GHI")
        ]
    );
}

#[test]
fn attachments_under_if_includes_and_loops_are_not_missed() {
    let dir = tempfile::tempdir().unwrap();
    let shared = format!("  Shared:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      ManagedPolicyName: shared\n      PolicyDocument: {POLICY}\n");
    let app = format!("  App:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n      AssumeRolePolicyDocument: {TRUST}\n      ManagedPolicyArns: [!Ref Shared]\n");
    finding(dir.path(), "app", &format!("{A}app"), &["DeleteObject"]);
    let cases = [
        (
            format!("Conditions:\n  C: !Equals [a, a]\nResources:\n{shared}{app}  Worker:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: worker\n      AssumeRolePolicyDocument: {TRUST}\n      ManagedPolicyArns: !If [C, [!Ref Shared], !Ref AWS::NoValue]\n"),
            "no findings for role worker",
        ),
        (
            format!("Resources:\n{shared}{app}  Worker:\n    Type: AWS::IAM::Role\n    Properties:\n      Fn::Transform: {{Name: AWS::Include, Parameters: {{Location: s3://b/w.yaml}}}}\n"),
            "the template includes parts (Fn::Transform) refine does not read",
        ),
        (
            format!("Transform: AWS::LanguageExtensions\nResources:\n{shared}{app}  Fn::ForEach::Workers:\n    - N\n    - [a, b]\n    - Worker${{N}}:\n        Type: AWS::IAM::Role\n        Properties:\n          RoleName: !Sub worker-${{N}}\n          AssumeRolePolicyDocument: {TRUST}\n          ManagedPolicyArns: [!Join ['', ['arn:aws:iam::', !Ref AWS::AccountId, ':policy/shared']]]\n"),
            "Fn::ForEach::Workers makes resources refine does not read",
        ),
        (
            format!("Transform: MyMacro\nResources:\n{shared}{app}"),
            "the template's Transform MyMacro may change it",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(dir.path().join("t.yaml"), &text).unwrap();
        let (code, files, stderr) = owners(dir.path(), &["t.yaml", "f"]);
        assert_eq!(code, 0, "{stderr}");
        let shared = files.iter().find(|f| f.0 == "Shared").unwrap();
        assert!(
            shared.2.as_deref().unwrap_or_default().contains(expected),
            "{text}\n{shared:?}"
        );
    }
}

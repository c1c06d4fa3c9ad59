//! Template rewrites, layout by layout: each case is a policy's statements
//! written one way in YAML (or JSON), and the exact text refine writes
//! back. Every one of these once failed (an adversarial review): a
//! refused rewrite, a comment lost or moved, a line end added.
//!
//! Role `app` leaves s3:PutObject, s3:ListBucket, s3:DeleteObject,
//! sqs:DeleteQueue and all of dynamodb unused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

const HEADER: &str = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n";

const FINDING: &str = r#"{"findingType":"UnusedPermission","status":"ACTIVE","id":"f","resource":"arn:aws:iam::123456789012:role/app","resourceType":"AWS::IAM::Role","findingDetails":[
{"unusedPermissionDetails":{"serviceNamespace":"s3","actions":[{"action":"PutObject"},{"action":"ListBucket"},{"action":"DeleteObject"}]}},
{"unusedPermissionDetails":{"serviceNamespace":"sqs","actions":[{"action":"DeleteQueue"}]}},
{"unusedPermissionDetails":{"serviceNamespace":"dynamodb"}}]}"#;

/// Writes `text` as template.yaml beside the finding, refines it in
/// place; returns (exit code, the file after, stderr).
fn rewrite(dir: &Path, text: &str) -> (i32, String, String) {
    std::fs::create_dir_all(dir.join("f")).unwrap();
    std::fs::write(dir.join("f/app.json"), FINDING).unwrap();
    std::fs::write(dir.join("template.yaml"), text).unwrap();
    let (code, _, stderr) = common::outcome(
        common::refine()
            .args(["template.yaml", "f", "--in-place"])
            .current_dir(dir),
    );
    (
        code,
        std::fs::read_to_string(dir.join("template.yaml")).unwrap(),
        stderr,
    )
}

/// The statements' text after the rewrite of `statements` under HEADER.
fn statements_after(statements: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (code, after, stderr) = rewrite(dir.path(), &format!("{HEADER}{statements}"));
    assert_eq!(code, 0, "{statements}\n{stderr}");
    after.strip_prefix(HEADER).unwrap().to_string()
}

#[test]
fn a_function_entry_stays_alone_when_every_literal_beside_it_goes() {
    let before = "              - Effect: Allow\n                Action:\n                  - !Ref P          # a parameter\n                  - s3:PutObject\n                Resource: '*'\n              - Effect: Allow\n                Action: [!Ref P, s3:PutObject]\n                Resource: '*'\n";
    let after = "              - Effect: Allow\n                Action:\n                  - !Ref P          # a parameter\n                Resource: '*'\n              - Effect: Allow\n                Action: [!Ref P]\n                Resource: '*'\n";
    assert_eq!(statements_after(before), after);
}

#[test]
fn every_action_beside_a_function_is_left_whole_and_the_rest_refined() {
    let before = "              - Effect: Allow\n                Action: [\"*\", !Sub \"${AWS::Partition}:x\"]\n                Resource: '*'\n              - Effect: Allow\n                Action: [s3:GetObject, s3:PutObject]\n                Resource: '*'\n";
    let after = "              - Effect: Allow\n                Action: [\"*\", !Sub \"${AWS::Partition}:x\"]\n                Resource: '*'\n              - Effect: Allow\n                Action: [s3:GetObject]\n                Resource: '*'\n";
    assert_eq!(statements_after(before), after);
}

#[test]
fn block_scalar_entries_are_entries_like_any_other() {
    let before = "              - Effect: Allow\n                Action:\n                  - >-\n                    s3:PutObject\n                  - s3:GetObject\n                  - |-\n                    s3:ListBucket\n                  - s3:GetBucketAcl\n                Resource: '*'\n";
    let after = "              - Effect: Allow\n                Action:\n                  - s3:GetObject\n                  - s3:GetBucketAcl\n                Resource: '*'\n";
    assert_eq!(statements_after(before), after);
    let before = "              - Effect: Allow\n                Action: >-\n                  sqs:DeleteQueue\n                Resource: '*'\n              - Effect: Allow\n                Action: s3:GetObject\n                Resource: '*'\n";
    let after = "              - Effect: Allow\n                Action: s3:GetObject\n                Resource: '*'\n";
    assert_eq!(statements_after(before), after);
}

#[test]
fn a_comment_between_the_dash_and_the_entry_goes_with_the_entry() {
    let before = "              - Effect: Allow\n                Action:\n                  - s3:GetObject\n                  - # odd\n                    s3:ListBucket\n                  - s3:GetBucketAcl\n                Resource: '*'\n";
    let after = "              - Effect: Allow\n                Action:\n                  - s3:GetObject\n                  - s3:GetBucketAcl\n                Resource: '*'\n";
    assert_eq!(statements_after(before), after);
}

#[test]
fn comments_in_a_multi_line_flow_list_stay_with_their_entries() {
    let before = "              - Effect: Allow\n                Action: [\n                  s3:PutObject,    # unused\n                  s3:GetObject,    # reads\n                  sqs:SendMessage, # sends\n                  sqs:ReceiveMessage  # receives\n                ]\n                Resource: '*'\n";
    let after = "              - Effect: Allow\n                Action: [\n                  s3:GetObject,    # reads\n                  sqs:SendMessage, # sends\n                  sqs:ReceiveMessage  # receives\n                ]\n                Resource: '*'\n";
    assert_eq!(statements_after(before), after);
}

#[test]
fn comments_on_the_key_line_stay_there() {
    let before = "              - Effect: Allow\n                Action: s3:Put*   # writes\n                Resource: '*'\n";
    let after = statements_after(before);
    assert!(after.starts_with("              - Effect: Allow\n                Action:   # writes\n                  - s3:PutAccelerateConfiguration\n"), "{after}");
    let dir = tempfile::tempdir().unwrap();
    let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:   # keep me\n              - Effect: Allow\n                Action: s3:PutObject\n                Resource: '*'\n";
    let (code, after, stderr) = rewrite(dir.path(), text);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        after.ends_with("            Statement: []   # keep me\n"),
        "{after}"
    );
}

#[test]
fn a_last_statement_without_a_line_end_leaves_none() {
    for newline in ["\n", "\r\n"] {
        let statements = "              - Effect: Allow\n                Action: s3:GetObject\n                Resource: '*'\n              - Effect: Allow\n                Action: s3:PutObject\n                Resource: '*'";
        let text = format!("{HEADER}{statements}").replace('\n', newline);
        let dir = tempfile::tempdir().unwrap();
        let (code, after, stderr) = rewrite(dir.path(), &text);
        assert_eq!(code, 0, "{stderr}");
        let expected = format!("{HEADER}              - Effect: Allow\n                Action: s3:GetObject\n                Resource: '*'").replace('\n', newline);
        assert_eq!(after, expected);
    }
}

#[test]
fn an_anchor_around_a_policy_keeps_it_as_written() {
    let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: &props\n      RoleName: app\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n              - {Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: '*'}\n  R2:\n    Type: AWS::IAM::Role\n    Properties: *props\n";
    let dir = tempfile::tempdir().unwrap();
    let (code, after, stderr) = rewrite(dir.path(), text);
    assert_eq!((code, after.as_str()), (0, text), "{stderr}");
    assert!(
        stderr.contains(
            "template.yaml:9: not checked: R policy p: not evaluated: a YAML anchor or alias in it"
        ),
        "{stderr}"
    );
}

#[test]
fn check_prints_a_line_per_entry_with_its_place_in_the_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("f")).unwrap();
    std::fs::write(dir.path().join("f/app.json"), FINDING).unwrap();
    let text = format!("{HEADER}              - Effect: Allow\n                Action: [s3:GetObject, s3:PutObject]\n                Resource: '*'\n");
    std::fs::write(dir.path().join("template.yaml"), text).unwrap();
    let (code, stdout, stderr) = common::outcome(
        common::refine()
            .args(["template.yaml", "f", "--check"])
            .current_dir(dir.path()),
    );
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(
        stderr.contains("template.yaml:11:40: error: R policy p: statement 0: \"s3:PutObject\" grants 1 unused action: s3:PutObject"),
        "{stderr}"
    );
}

#[test]
fn a_document_written_as_a_string_is_left_as_written() {
    let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n      Policies:\n        - PolicyName: p\n          PolicyDocument: |\n            {\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:PutObject\", \"Resource\": \"*\"}]}\n";
    let dir = tempfile::tempdir().unwrap();
    let (code, after, stderr) = rewrite(dir.path(), text);
    assert_eq!((code, after.as_str()), (0, text), "{stderr}");
    assert!(
        stderr.contains("not checked: R policy p: not evaluated: the document is a string"),
        "{stderr}"
    );
}

#[test]
fn comments_after_a_flow_list_and_after_kept_statements_stay() {
    let before = "              - Effect: Allow\n                Action: [s3:GetObject, s3:PutObject] # trailing\n                Resource: '*'\n";
    let after = "              - Effect: Allow\n                Action: [s3:GetObject] # trailing\n                Resource: '*'\n";
    assert_eq!(statements_after(before), after);
    let dir = tempfile::tempdir().unwrap();
    let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement: [\n              {Effect: Allow, Action: s3:PutObject, Resource: '*'},  # first goes\n              {Effect: Allow, Action: s3:GetObject, Resource: '*'},  # stays\n              {Effect: Allow, Action: s3:ListBucket, Resource: '*'}  # last goes\n            ]\n";
    let (code, after, stderr) = rewrite(dir.path(), text);
    assert_eq!(code, 0, "{stderr}");
    assert!(after.ends_with("            Statement: [\n              {Effect: Allow, Action: s3:GetObject, Resource: '*'}  # stays\n            ]\n"), "{after}");
}

#[test]
fn a_lone_statement_keeps_its_function_entry_when_its_literals_go() {
    for statement in [
        "            Statement:\n              Effect: Allow\n              Action: [s3:PutObject, !Ref X]\n              Resource: '*'\n",
        "            Statement: {Effect: Allow, Action: [s3:PutObject, !Ref X], Resource: '*'}\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let header = HEADER.strip_suffix("            Statement:\n").unwrap();
        let (code, after, stderr) = rewrite(dir.path(), &format!("{header}{statement}"));
        assert_eq!(code, 0, "{stderr}");
        assert!(after.contains("Action: [!Ref X]"), "{after}");
    }
}

#[test]
fn a_version_that_is_a_function_leaves_the_policy_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Version: !If [C, '2012-10-17', !Ref AWS::NoValue]\n            Statement:\n              - {Effect: Allow, Action: s3:PutObject, Resource: '*'}\n";
    let (code, after, stderr) = rewrite(dir.path(), text);
    assert_eq!((code, after.as_str()), (0, text), "{stderr}");
    assert!(
        stderr.contains("not evaluated: Version is Fn::If"),
        "{stderr}"
    );
}

#[test]
fn comment_lines_in_a_multi_line_flow_list_keep_their_place() {
    let before = "              - Effect: Allow\n                Action: [\n                  # reads\n                  s3:GetObject,\n                  # writes\n                  s3:PutObject,\n                  # lists\n                  s3:GetBucketAcl\n                ]\n                Resource: '*'\n";
    let after = "              - Effect: Allow\n                Action: [\n                  # reads\n                  s3:GetObject,\n                  # writes\n                  # lists\n                  s3:GetBucketAcl\n                ]\n                Resource: '*'\n";
    assert_eq!(statements_after(before), after);
    // The last entry going takes the comma before it; a new entry gets
    // one; no blank lines.
    let before = "              - Effect: Allow\n                Action: [\n                  s3:GetObject, # a\n                  s3:PutObject # b\n                ]\n                Resource: '*'\n              - Effect: Allow\n                Action: [s3:GetObject,\n                  # c\n                  sqs:Delete*]\n                Resource: '*'\n";
    let after = statements_after(before);
    assert!(after.starts_with("              - Effect: Allow\n                Action: [\n                  s3:GetObject # a\n                ]\n"), "{after}");
    assert!(
        after.contains(
            "Action: [s3:GetObject,\n                  # c\n                  sqs:DeleteMessage]\n"
        ),
        "{after}"
    );
}

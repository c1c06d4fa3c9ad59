//! A CloudFormation template of 2,000 YAML lines with 40 policies, refined
//! and rewritten by one process, measured (not asserted):
//!
//!     cargo bench --bench template
//!
//! Target (issue 14): under 50 ms per process on this machine. The
//! template is generated here, deterministically: 40 roles, each with a
//! literal `RoleName` and one inline policy of six statements (block lists
//! with comments, a flow list, a scalar wildcard, a `!Sub` entry); each
//! role's finding (in a findings directory) says a few of its actions are
//! unused, so every policy is rewritten. Timed: `refine template.yaml
//! findings --diff`, the median of 21 runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

const ROLES: usize = 40;

fn template() -> String {
    let mut text = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nDescription: refine's template benchmark\nResources:\n");
    for r in 0..ROLES {
        write!(
            text,
            r#"  Role{r}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: bench-{r}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: Objects
                Effect: Allow
                Action:
                  - s3:GetObject    # reads
                  - s3:PutObject
                  # deletes
                  - s3:DeleteObject
                  - !Sub "${{Service}}:Get*"
                Resource: !Sub "arn:${{AWS::Partition}}:s3:::bucket-{r}/*"
              - Sid: Queue
                Effect: Allow
                Action: [ "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteQueue" ]
                Resource: '*'
              - Sid: Table
                Effect: Allow
                Action: dynamodb:*Item
                Resource: '*'
              - Sid: Logs
                Effect: Allow
                Action:
                  - logs:CreateLogGroup
                  - logs:CreateLogStream
                  - logs:PutLogEvents
                  - logs:DeleteLogGroup
                Resource: '*'
              - Sid: Keys
                Effect: Allow
                Action:
                  - kms:Decrypt
                  - kms:Encrypt
                  - kms:GenerateDataKey
                Resource: '*'
              - Sid: Describe
                Effect: Allow
                Action: ec2:DescribeInstances
                Resource: '*'
"#
        )
        .unwrap();
    }
    text
}

fn finding(r: usize) -> serde_json::Value {
    json!({"findingType": "UnusedPermission", "status": "ACTIVE", "id": format!("f{r}"),
    "resource": format!("arn:aws:iam::111122223333:role/bench-{r}"), "resourceType": "AWS::IAM::Role",
    "findingDetails": [
        {"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [{"action": "DeleteObject"}]}},
        {"unusedPermissionDetails": {"serviceNamespace": "sqs", "actions": [{"action": "DeleteQueue"}]}},
        {"unusedPermissionDetails": {"serviceNamespace": "dynamodb", "actions": [{"action": "DeleteItem"}]}},
        {"unusedPermissionDetails": {"serviceNamespace": "logs", "actions": [{"action": "DeleteLogGroup"}]}}
    ]})
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = template();
    std::fs::write(dir.path().join("template.yaml"), &text).unwrap();
    let findings = dir.path().join("findings");
    std::fs::create_dir(&findings).unwrap();
    for r in 0..ROLES {
        std::fs::write(findings.join(format!("{r}.json")), finding(r).to_string()).unwrap();
    }
    let binary = env!("CARGO_BIN_EXE_refine");
    let run = || {
        let started = Instant::now();
        let out = Command::new(binary)
            .args(["template.yaml", "findings", "--diff"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty());
        started.elapsed().as_secs_f64() * 1000.0
    };
    run();
    let mut times: Vec<f64> = (0..21).map(|_| run()).collect();
    times.sort_by(f64::total_cmp);
    println!(
        "template: {} lines, {ROLES} policies: median {:.1} ms per process (min {:.1}, max {:.1}); target under 50 ms",
        text.lines().count(),
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}

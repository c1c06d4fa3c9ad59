//! `refine account` at scale, measured (not asserted): `cargo bench --bench account`.
//!
//! Target (issue #4): an authorization-details file with 1,000 roles and
//! 5,000 policies refines in under 1 s on one core, with peak memory under
//! 3x the input size. The input is generated here, deterministically: each
//! role has two inline policies and three of 3,000 customer-managed policies
//! (each shared by one to three roles), and an unused-access finding.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Rng;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Action sets the generated policies draw from: wildcards, lists, both.
const ENTRIES: &[&str] = &[
    "s3:Get*",
    "s3:List*",
    "s3:PutObject",
    "s3:DeleteObject",
    "ec2:Describe*",
    "ec2:StartInstances",
    "ec2:StopInstances",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sns:Publish",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "lambda:InvokeFunction",
    "lambda:Get*",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "cloudwatch:PutMetricData",
    "iam:PassRole",
    "sts:AssumeRole",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter*",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
];

/// Unused actions the findings draw from.
const UNUSED: &[(&str, &str)] = &[
    ("s3", "GetBucketAcl"),
    ("s3", "GetBucketPolicy"),
    ("s3", "DeleteObject"),
    ("s3", "GetObjectTagging"),
    ("ec2", "DescribeVolumes"),
    ("ec2", "StopInstances"),
    ("ec2", "DescribeSnapshots"),
    ("sqs", "DeleteMessage"),
    ("dynamodb", "Scan"),
    ("lambda", "GetPolicy"),
    ("kms", "Encrypt"),
    ("ssm", "GetParametersByPath"),
];

/// A policy document as an URL-encoded string, as the raw API returns it.
fn document(rng: &mut Rng) -> String {
    let mut statements = Vec::new();
    for _ in 0..1 + rng.next() % 3 {
        let actions: Vec<String> = (0..2 + rng.next() % 6)
            .map(|_| format!("\"{}\"", ENTRIES[rng.next() % ENTRIES.len()]))
            .collect();
        statements.push(format!(
            r#"{{"Effect":"Allow","Action":[{}],"Resource":"*"}}"#,
            actions.join(",")
        ));
    }
    let json = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    let mut encoded = String::new();
    for byte in json.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    format!("\"{encoded}\"")
}

fn generate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
    let (roles, managed) = (1_000, 3_000);
    let arn = |kind: &str, name: &str| format!("arn:aws:iam::123456789012:{kind}/{name}");
    let mut text =
        String::from("{\"UserDetailList\": [], \"GroupDetailList\": [], \"RoleDetailList\": [\n");
    for r in 0..roles {
        let inline: Vec<String> = (0..2)
            .map(|i| {
                format!(
                    r#"{{"PolicyName":"inline-{i}","PolicyDocument":{}}}"#,
                    document(&mut rng)
                )
            })
            .collect();
        let attached: Vec<String> = (0..3)
            .map(|i| {
                let p = (r * 3 + i) % managed;
                format!(
                    r#"{{"PolicyName":"managed-{p}","PolicyArn":"{}"}}"#,
                    arn("policy", &format!("managed-{p}"))
                )
            })
            .collect();
        let _ = write!(
            text,
            r#"{}{{"Path":"/","RoleName":"role-{r}","RoleId":"AROA{r}","Arn":"{}","CreateDate":"2024-01-01T00:00:00Z","RolePolicyList":[{}],"AttachedManagedPolicies":[{}]}}"#,
            if r == 0 { "" } else { ",\n" },
            arn("role", &format!("role-{r}")),
            inline.join(","),
            attached.join(",")
        );
    }
    text.push_str("\n], \"Policies\": [\n");
    for p in 0..managed {
        let _ = write!(
            text,
            r#"{}{{"PolicyName":"managed-{p}","Arn":"{}","UpdateDate":"2025-01-01T00:00:00Z","PolicyVersionList":[{{"Document":{},"VersionId":"v1","IsDefaultVersion":true}}]}}"#,
            if p == 0 { "" } else { ",\n" },
            arn("policy", &format!("managed-{p}")),
            document(&mut rng)
        );
    }
    text.push_str("\n]}\n");
    let details = dir.join("auth-details.json");
    std::fs::write(&details, &text).unwrap();
    let mut findings = String::from("[\n");
    for r in 0..roles {
        let details: Vec<String> = (0..3)
            .map(|_| {
                let (service, action) = UNUSED[rng.next() % UNUSED.len()];
                format!(r#"{{"unusedPermissionDetails":{{"serviceNamespace":"{service}","actions":[{{"action":"{service}:{action}"}}]}}}}"#)
            })
            .collect();
        let _ = write!(
            findings,
            r#"{}{{"id":"f-{r}","resource":"{}","status":"ACTIVE","findingType":"UnusedPermission","findingDetails":[{}]}}"#,
            if r == 0 { "" } else { ",\n" },
            arn("role", &format!("role-{r}")),
            details.join(",")
        );
    }
    findings.push_str("\n]\n");
    let findings_file = dir.join("findings.json");
    std::fs::write(&findings_file, findings).unwrap();
    (details, findings_file)
}

fn main() {
    // REFINE_BENCH_DIR=DIR keeps the generated input there, for profiling.
    let temp = tempfile::tempdir().unwrap();
    let dir =
        std::env::var_os("REFINE_BENCH_DIR").map_or_else(|| temp.path().to_path_buf(), Into::into);
    let (details, findings) = generate(&dir);
    let input =
        std::fs::metadata(&details).unwrap().len() + std::fs::metadata(&findings).unwrap().len();
    let binary = env!("CARGO_BIN_EXE_refine");
    // One core: taskset where it exists; refine is single-threaded anyway.
    let mut runs = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let output = Command::new(binary)
            .arg("account")
            .arg(&details)
            .arg(&findings)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        runs.push(start.elapsed());
    }
    runs.sort();
    let took = runs[runs.len() / 2];
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "account of 1,000 roles and 5,000 policies ({:.1} MB in)   {:>7.3} s   target 1 s   {}",
        input as f64 / 1e6,
        took.as_secs_f64(),
        verdict(took.as_secs_f64() < 1.0)
    );
    // Peak memory from GNU time, when the machine has it.
    let timed = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(binary)
        .arg("account")
        .arg(&details)
        .arg(&findings)
        .output();
    match timed {
        Ok(out) if out.status.success() => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let kb: u64 = stderr
                .lines()
                .last()
                .and_then(|l| l.trim().parse().ok())
                .unwrap_or(0);
            let ratio = (kb * 1024) as f64 / input as f64;
            println!(
                "peak memory                                              {:>7.1} MB   {ratio:.2}x input   target 3x   {}",
                kb as f64 / 1024.0,
                verdict(ratio < 3.0)
            );
        }
        _ => println!("peak memory: /usr/bin/time is not available here; not measured"),
    }
}

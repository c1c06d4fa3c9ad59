//! A repository of many roles' policies, each refined against its owners'
//! findings, measured (not asserted):
//!
//!     cargo bench --bench repository                     # synthetic policies
//!     cargo bench --bench repository -- CORPUS [OUT]     # benches/compare's corpus
//!
//! Target (issue 13): 1,000 policies for 300 principals with 300 findings
//! files refine in under 2 s on this machine. The input is generated here,
//! deterministically: policy j belongs to role `app-(j mod 300)`, in that
//! role's directory (one manifest glob per role); a hundred policies are
//! also attached to a second role and live in `policies/shared/` (a
//! manifest key with two owners, refined against the intersection). Each
//! role has one findings file, `get-finding-v2` output about its first
//! policy (from the corpus: one of the five densities, in turn). The same
//! ownership is written as `get-account-authorization-details` output
//! (inline policies, and the shared ones as managed policies attached to
//! both roles), and both owner sources are timed:
//!
//! * `refine policies findings --owners owners.json --diff`;
//! * `refine policies findings --details auth-details.json --check --format sarif`.
//!
//! With OUT, the numbers are also written there as JSON (for
//! benches/compare's table).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Rng;
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const POLICIES: usize = 1_000;
const ROLES: usize = 300;
const ACCOUNT: &str = "111122223333";
/// Densities in benches/corpus.rs's cases, five per policy.
const DENSITIES: usize = 5;

/// One generated policy: a name, its document, the finding of a principal
/// whose policy it is (its `findingDetails`).
struct Source {
    name: String,
    document: Value,
    details: Value,
}

fn arn(role: usize) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/app-{role}")
}

/// The owners of policy `j`: its role, and for a hundred (every third of
/// the second three hundred: every role keeps policies of its own) a
/// second one.
fn owners(j: usize) -> Vec<usize> {
    let first = j % ROLES;
    if j / ROLES != 1 || j % 3 != 0 {
        return vec![first];
    }
    let second = (first + 1 + (j / 10) * 7) % ROLES;
    if second == first {
        vec![first]
    } else {
        vec![first, second]
    }
}

/// 1,000 policies from the corpus (distinct managed policies, densities in
/// turn), or synthetic ones when there is no corpus.
fn sources(corpus: Option<&Path>) -> Vec<Source> {
    let Some(dir) = corpus else {
        return synthetic();
    };
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    let policies = cases.len() / DENSITIES;
    assert!(policies >= POLICIES, "the corpus has {policies} policies");
    (0..POLICIES)
        .map(|j| {
            let case = &cases[j * DENSITIES + j % DENSITIES];
            let read = |key: &str| {
                let text = std::fs::read_to_string(dir.join(case[key].as_str().unwrap())).unwrap();
                serde_json::from_str::<Value>(&text).unwrap()
            };
            let name = case["policy"].as_str().unwrap();
            let name = name
                .trim_start_matches("policies/")
                .trim_end_matches(".json");
            Source {
                name: name.to_string(),
                document: read("policy"),
                details: read("findings")["findingDetails"].clone(),
            }
        })
        .collect()
}

/// Policies like account.rs's, with findings of a few of their actions.
fn synthetic() -> Vec<Source> {
    const ENTRIES: &[&str] = &[
        "s3:Get*",
        "s3:List*",
        "s3:PutObject",
        "s3:DeleteObject",
        "ec2:Describe*",
        "ec2:StopInstances",
        "sqs:SendMessage",
        "sqs:DeleteMessage",
        "dynamodb:GetItem",
        "dynamodb:Scan",
        "lambda:Get*",
        "kms:Decrypt",
        "kms:Encrypt",
        "ssm:GetParameter*",
    ];
    const UNUSED: &[(&str, &str)] = &[
        ("s3", "GetBucketAcl"),
        ("s3", "DeleteObject"),
        ("ec2", "DescribeVolumes"),
        ("sqs", "DeleteMessage"),
        ("dynamodb", "Scan"),
        ("lambda", "GetPolicy"),
        ("kms", "Encrypt"),
        ("ssm", "GetParametersByPath"),
    ];
    let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
    (0..POLICIES)
        .map(|j| {
            let actions: Vec<&str> = (0..3 + rng.next() % 6).map(|_| rng.pick(ENTRIES)).collect();
            let details: Vec<Value> = (0..3)
                .map(|_| {
                    let (service, action) = UNUSED[rng.next() % UNUSED.len()];
                    json!({"unusedPermissionDetails": {"serviceNamespace": service,
                           "actions": [{"action": format!("{service}:{action}")}]}})
                })
                .collect();
            Source {
                name: format!("policy-{j}"),
                document: json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": actions, "Resource": "*"}]}),
                details: Value::Array(details),
            }
        })
        .collect()
}

/// Writes the repository under `out`; returns (policy bytes, findings
/// bytes).
fn generate(out: &Path, sources: &[Source]) -> (u64, u64) {
    let _ = std::fs::remove_dir_all(out);
    let mut manifest = Map::new();
    let mut policy_bytes = 0;
    let mut inline: Vec<Vec<(String, String)>> = vec![Vec::new(); ROLES];
    let mut managed: Vec<Vec<String>> = vec![Vec::new(); ROLES];
    let mut policies_json = Vec::new();
    for role in 0..ROLES {
        manifest.insert(format!("policies/app-{role}/*.json"), json!([arn(role)]));
    }
    for (j, source) in sources.iter().enumerate() {
        let owned = owners(j);
        let text = serde_json::to_string_pretty(&source.document).unwrap() + "\n";
        let compact = serde_json::to_string(&source.document).unwrap();
        let path = match owned.len() {
            1 => {
                inline[owned[0]].push((source.name.clone(), compact));
                format!("policies/app-{}/{}.json", owned[0], source.name)
            }
            _ => {
                let key = format!("policies/shared/{}.json", source.name);
                let arns: Vec<String> = owned.iter().map(|&r| arn(r)).collect();
                manifest.insert(key.clone(), json!(arns));
                let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/{}", source.name);
                for &r in &owned {
                    managed[r].push(source.name.clone());
                }
                policies_json.push(json!({"PolicyName": source.name, "Arn": policy_arn,
                    "DefaultVersionId": "v1", "AttachmentCount": owned.len(), "PermissionsBoundaryUsageCount": 0,
                    "PolicyVersionList": [{"Document": source.document, "VersionId": "v1", "IsDefaultVersion": true}]}));
                key
            }
        };
        let file = out.join(&path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &text).unwrap();
        policy_bytes += text.len() as u64;
    }
    std::fs::write(
        out.join("owners.json"),
        serde_json::to_string_pretty(&Value::Object(manifest)).unwrap(),
    )
    .unwrap();
    std::fs::create_dir_all(out.join("findings")).unwrap();
    let mut findings_bytes = 0;
    for (role, source) in sources.iter().enumerate().take(ROLES) {
        let finding = json!({"analyzedAt": "2026-09-01T00:00:00Z", "id": format!("f-{role}"),
            "resource": arn(role), "resourceType": "AWS::IAM::Role", "resourceOwnerAccount": ACCOUNT,
            "status": "ACTIVE", "findingType": "UnusedPermission",
            "findingDetails": source.details});
        let text = serde_json::to_string_pretty(&finding).unwrap();
        findings_bytes += text.len() as u64;
        std::fs::write(out.join(format!("findings/app-{role}.json")), text).unwrap();
    }
    write_details(out, &inline, &managed, policies_json);
    (policy_bytes, findings_bytes)
}

/// The same ownership as `get-account-authorization-details` output.
fn write_details(
    out: &Path,
    inline: &[Vec<(String, String)>],
    managed: &[Vec<String>],
    policies: Vec<Value>,
) {
    let mut roles = String::new();
    for role in 0..ROLES {
        let inline: Vec<Value> = inline[role]
            .iter()
            .map(|(name, doc)| json!({"PolicyName": name, "PolicyDocument": serde_json::from_str::<Value>(doc).unwrap()}))
            .collect();
        let attached: Vec<Value> = managed[role]
            .iter()
            .map(|name| json!({"PolicyName": name, "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/{name}")}))
            .collect();
        let record = json!({"Path": "/", "RoleName": format!("app-{role}"), "RoleId": format!("AROA{role:08}"),
            "Arn": arn(role), "RolePolicyList": inline, "AttachedManagedPolicies": attached});
        let _ = write!(
            roles,
            "{}{}",
            if role == 0 { "" } else { ",\n" },
            serde_json::to_string(&record).unwrap()
        );
    }
    let text = format!(
        "{{\"UserDetailList\": [], \"GroupDetailList\": [], \"RoleDetailList\": [\n{roles}\n], \"Policies\": {}}}\n",
        serde_json::to_string(&policies).unwrap()
    );
    std::fs::write(out.join("auth-details.json"), text).unwrap();
}

/// The median of five runs of refine with `args` in `dir`, on every core,
/// and on one thread (`-j 1`); the output (stdout and stderr) must be the
/// same byte for byte.
fn time(dir: &Path, args: &[&str], expect: i32) -> (f64, f64) {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_refine"))
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
    };
    let one: Vec<&str> = args.iter().copied().chain(["-j", "1"]).collect();
    let (every, single) = (run(args), run(&one));
    assert!(
        every.stdout == single.stdout && every.stderr == single.stderr,
        "-j 1 changed the output of {args:?}"
    );
    (time_args(dir, args, expect), time_args(dir, &one, expect))
}

/// The median of five runs of refine with `args` in `dir`.
fn time_args(dir: &Path, args: &[&str], expect: i32) -> f64 {
    let binary = env!("CARGO_BIN_EXE_refine");
    let mut runs = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let output = Command::new(binary)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        runs.push(start.elapsed().as_secs_f64());
        assert_eq!(
            output.status.code(),
            Some(expect),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let corpus = args.first().map(PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    // REFINE_REPOSITORY_DIR keeps the repository, to profile a run on it.
    let out = std::env::var_os("REFINE_REPOSITORY_DIR")
        .map_or_else(|| temp.path().join("repo"), PathBuf::from);
    let sources = sources(corpus.as_deref());
    let (policy_bytes, findings_bytes) = generate(&out, &sources);
    let owners = time(
        &out,
        &["policies", "findings", "--owners", "owners.json", "--diff"],
        0,
    );
    let details = time(
        &out,
        &[
            "policies",
            "findings",
            "--details",
            "auth-details.json",
            "--check",
            "--format",
            "sarif",
        ],
        1,
    );
    let verdict = |s: f64| if s < 2.0 { "ok" } else { "MISSED" };
    let what = match corpus {
        Some(_) => "AWS managed policies",
        None => "synthetic policies",
    };
    println!(
        "repository: {POLICIES} {what} ({:.1} MB), {ROLES} roles, {ROLES} findings files ({:.1} MB)",
        policy_bytes as f64 / 1e6,
        findings_bytes as f64 / 1e6
    );
    let ((owners, owners_one), (details, details_one)) = (owners, details);
    println!(
        "  --owners --diff                    {owners:>7.3} s   target 2 s   {}   (-j 1: {owners_one:.3} s, {:.2}x)",
        verdict(owners),
        owners_one / owners
    );
    println!(
        "  --details --check --format sarif   {details:>7.3} s   target 2 s   {}   (-j 1: {details_one:.3} s, {:.2}x)",
        verdict(details),
        details_one / details
    );
    if let Some(path) = args.get(1) {
        let result = json!({"policies": POLICIES, "roles": ROLES, "findings_files": ROLES,
            "policy_bytes": policy_bytes, "findings_bytes": findings_bytes,
            "owners_seconds": owners, "details_seconds": details,
            "owners_one_thread_seconds": owners_one, "details_one_thread_seconds": details_one});
        std::fs::write(path, serde_json::to_string_pretty(&result).unwrap() + "\n").unwrap();
    }
}

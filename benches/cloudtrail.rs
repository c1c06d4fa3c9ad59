//! Reading CloudTrail at scale, measured (not asserted):
//! `cargo bench --bench cloudtrail`.
//!
//! Target (issue #6): 1 GB of CloudTrail records is read at 200 MB/s or
//! better on one core, with memory flat (not growing with the input).
//!
//! The input is generated here, deterministically, into a temporary
//! directory (`REFINE_BENCH_DIR=DIR` keeps it there, and reuses it on the
//! next run, for profiling): 100 files of about 10 MB of realistic events
//! (userIdentity of several kinds, requestParameters and responseElements of
//! the usual shapes, escaped policy documents, tlsDetails, resources): 80 in
//! the delivered form, 10 of those gzipped, 10 with one event per line.
//!
//! What is measured: `iam_refine::input::cloudtrail::read` over the whole tree with
//! `--principal` set and the bundled catalog, in a child process (this
//! binary run again with `REFINE_BENCH_CHILD` set) so that its peak memory
//! (`VmHWM`) is its own and not the generator's. Throughput is the
//! uncompressed JSON bytes over the wall time of the read (the files are
//! in the page cache, just written: this is the parser's speed, not the
//! disk's), the median of 3 runs. Memory is reported twice, for a read of
//! the first 10 files and of all 100: flat means the two peaks agree,
//! whatever the input size.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Rng;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const FILES: usize = 100;
const GZIPPED: usize = 10;
const LINES: usize = 10;
const FILE_BYTES: usize = 10 << 20;
const ACCOUNT: &str = "111122223333";
/// The principal read for; one of the roles the generator uses.
const PRINCIPAL: &str = "arn:aws:iam::111122223333:role/service/app-3";

/// Appends one event, compact, as CloudTrail writes them.
fn event(rng: &mut Rng, seq: usize, out: &mut String) {
    let role = rng.next() % 8;
    let session = format!("i-{:017x}", rng.next() % 0xffff_ffff_ffff);
    let who = rng.next() % 20;
    let identity = if who < 14 {
        format!(
            r#"{{"type":"AssumedRole","principalId":"AROA3EXAMPLE{role:04}:{session}","arn":"arn:aws:sts::{ACCOUNT}:assumed-role/app-{role}/{session}","accountId":"{ACCOUNT}","accessKeyId":"ASIA{:016X}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA3EXAMPLE{role:04}","arn":"arn:aws:iam::{ACCOUNT}:role/service/app-{role}","accountId":"{ACCOUNT}","userName":"app-{role}"}},"attributes":{{"creationDate":"2026-11-01T08:00:00Z","mfaAuthenticated":"false"}},"ec2RoleDelivery":"2.0"}}}}"#,
            rng.next()
        )
    } else if who < 17 {
        format!(
            r#"{{"type":"IAMUser","principalId":"AIDA3EXAMPLE{role:04}","arn":"arn:aws:iam::{ACCOUNT}:user/deploy-{role}","accountId":"{ACCOUNT}","accessKeyId":"AKIA{:016X}","userName":"deploy-{role}"}}"#,
            rng.next()
        )
    } else {
        r#"{"type":"AWSService","invokedBy":"lambda.amazonaws.com"}"#.to_string()
    };
    let bucket = format!("app-{}-data", rng.next() % 50);
    let key = format!(
        "tenants/{}/reports/2026/11/{:02}/{:08x}.parquet",
        rng.next() % 1000,
        rng.next() % 30,
        rng.next()
    );
    let table = format!("orders-{}", rng.next() % 10);
    let (source, name, request, response) = match rng.next() % 16 {
        0..=3 => {
            let name = rng.pick(&[
                "GetObject",
                "GetObject",
                "PutObject",
                "HeadObject",
                "ListObjectsV2",
                "DeleteObject",
            ]);
            (
                "s3.amazonaws.com",
                name,
                format!(
                    r#"{{"bucketName":"{bucket}","Host":"{bucket}.s3.us-east-1.amazonaws.com","key":"{key}","x-id":"{name}"}}"#
                ),
                "null".to_string(),
            )
        }
        4 | 5 => (
            "kms.amazonaws.com",
            rng.pick(&["Decrypt", "GenerateDataKey", "Encrypt"]),
            format!(
                r#"{{"encryptionContext":{{"aws:s3:arn":"arn:aws:s3:::{bucket}/{key}"}},"encryptionAlgorithm":"SYMMETRIC_DEFAULT","keyId":"arn:aws:kms:us-east-1:{ACCOUNT}:key/{:08x}-1111-2222-3333-444455556666"}}"#,
                rng.next() as u32
            ),
            "null".to_string(),
        ),
        6 => (
            "sts.amazonaws.com",
            "AssumeRole",
            format!(
                r#"{{"roleArn":"arn:aws:iam::{ACCOUNT}:role/service/app-{role}","roleSessionName":"{session}","durationSeconds":3600}}"#
            ),
            format!(
                r#"{{"credentials":{{"accessKeyId":"ASIA{:016X}","sessionToken":"{}","expiration":"Nov 1, 2026, 10:00:00 AM"}},"assumedRoleUser":{{"assumedRoleId":"AROA3EXAMPLE{role:04}:{session}","arn":"arn:aws:sts::{ACCOUNT}:assumed-role/app-{role}/{session}"}}}}"#,
                rng.next(),
                "IQoJb3JpZ2luX2VjEXAMPLE/TOKEN+".repeat(12)
            ),
        ),
        7 | 8 => (
            "dynamodb.amazonaws.com",
            rng.pick(&[
                "GetItem",
                "PutItem",
                "Query",
                "UpdateItem",
                "BatchWriteItem",
            ]),
            format!(
                r#"{{"tableName":"{table}","key":{{"pk":"ORDER#{}","sk":"ITEM#{}"}},"consistentRead":false,"returnConsumedCapacity":"TOTAL"}}"#,
                rng.next() % 100_000,
                rng.next() % 20
            ),
            r#"{"consumedCapacity":{"tableName":"orders","capacityUnits":0.5}}"#.to_string(),
        ),
        9 => (
            "ec2.amazonaws.com",
            rng.pick(&[
                "DescribeInstances",
                "DescribeVolumes",
                "DescribeSecurityGroups",
            ]),
            format!(
                r#"{{"instancesSet":{{"items":[{{"instanceId":"i-{:017x}"}},{{"instanceId":"i-{:017x}"}}]}},"filterSet":{{"items":[{{"name":"tag:team","valueSet":{{"items":[{{"value":"payments"}}]}}}}]}}}}"#,
                rng.next() % 0xffff_ffff,
                rng.next() % 0xffff_ffff
            ),
            "null".to_string(),
        ),
        10 => (
            "lambda.amazonaws.com",
            rng.pick(&[
                "Invoke",
                "GetFunction20150331v2",
                "UpdateFunctionConfiguration20150331v2",
            ]),
            format!(
                r#"{{"functionName":"arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker-{role}","invocationType":"RequestResponse","logType":"None"}}"#
            ),
            "null".to_string(),
        ),
        11 => (
            "iam.amazonaws.com",
            rng.pick(&["PutRolePolicy", "GetRolePolicy"]),
            format!(
                r#"{{"roleName":"app-{role}","policyName":"inline-{}","policyDocument":"{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], \"Resource\": \"arn:aws:s3:::{bucket}/*\"}}]\n}}"}}"#,
                rng.next() % 5
            ),
            "null".to_string(),
        ),
        12 => (
            "monitoring.amazonaws.com",
            "PutMetricData",
            format!(
                r#"{{"namespace":"App/{role}","metricData":[{{"metricName":"Latency","value":{}.25,"unit":"Milliseconds","dimensions":[{{"name":"Service","value":"api"}}]}},{{"metricName":"Errors","value":0,"unit":"Count"}}]}}"#,
                rng.next() % 900
            ),
            "null".to_string(),
        ),
        13 => (
            "sqs.amazonaws.com",
            rng.pick(&["SendMessage", "ReceiveMessage", "DeleteMessage"]),
            format!(
                r#"{{"queueUrl":"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs-{role}","messageBody":"HIDDEN_DUE_TO_SECURITY_REASONS","delaySeconds":0}}"#
            ),
            format!(
                r#"{{"mD5OfMessageBody":"{:032x}","messageId":"{:08x}-aaaa-bbbb-cccc-dddddddddddd"}}"#,
                rng.next() as u128 * 31,
                rng.next() as u32
            ),
        ),
        14 => (
            "ssm.amazonaws.com",
            rng.pick(&["GetParameter", "GetParametersByPath"]),
            format!(r#"{{"name":"/app/{role}/config","withDecryption":true}}"#),
            "null".to_string(),
        ),
        _ => (
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            format!(
                r#"{{"secretId":"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/{role}/db-AbCdEf"}}"#
            ),
            "null".to_string(),
        ),
    };
    let error = match rng.next() % 100 {
        0..=2 => {
            r#","errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation because no identity-based policy allows the action""#
        }
        3 => r#","errorCode":"NoSuchKey","errorMessage":"The specified key does not exist.""#,
        4 => r#","errorCode":"ThrottlingException","errorMessage":"Rate exceeded""#,
        _ => "",
    };
    let _ = write!(
        out,
        r#"{{"eventVersion":"1.09","userIdentity":{identity},"eventTime":"2026-11-01T{:02}:{:02}:{:02}Z","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"10.0.{}.{}","userAgent":"aws-sdk-java/2.25.{} Linux/6.1 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc. md/io#sync md/http#Apache ua/2.0 app/payments"{error},"requestParameters":{request},"responseElements":{response},"additionalEventData":{{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{:016x}{:016x}","bytesTransferredOut":{}}},"requestID":"{:016X}","eventID":"{:08x}-{:04x}-4000-8000-{:012x}","readOnly":true,"resources":[{{"accountId":"{ACCOUNT}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"{ACCOUNT}","eventCategory":"Data","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{bucket}.s3.us-east-1.amazonaws.com"}}}}"#,
        seq / 3600 % 24,
        seq / 60 % 60,
        seq % 60,
        rng.next() % 256,
        rng.next() % 256,
        rng.next() % 100,
        rng.next(),
        rng.next(),
        rng.next() % 5_000_000,
        rng.next(),
        rng.next() as u32,
        rng.next() as u16,
        seq,
    );
}

/// Writes the input under `dir` unless a previous run left it there; the
/// uncompressed JSON bytes and the bytes on disk.
fn generate(dir: &Path) -> (u64, u64) {
    let manifest = dir.join("generated-v1");
    if let Ok(text) = std::fs::read_to_string(&manifest) {
        let mut numbers = text.split_whitespace().filter_map(|n| n.parse().ok());
        if let (Some(json), Some(disk)) = (numbers.next(), numbers.next()) {
            return (json, disk);
        }
    }
    let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
    let (mut json, mut disk) = (0u64, 0u64);
    let mut seq = 0;
    let mut text = String::with_capacity(FILE_BYTES + (64 << 10));
    for file in 0..FILES {
        let day = dir.join(format!(
            "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/{:02}",
            1 + file / 10
        ));
        std::fs::create_dir_all(&day).unwrap();
        text.clear();
        let lines = file >= FILES - LINES;
        if !lines {
            text.push_str(r#"{"Records":["#);
        }
        let mut first = true;
        while text.len() < FILE_BYTES {
            if !first {
                text.push_str(if lines { "\n" } else { "," });
            }
            first = false;
            event(&mut rng, seq, &mut text);
            seq += 1;
        }
        text.push_str(if lines { "\n" } else { "]}" });
        json += text.len() as u64;
        let stem = format!(
            "{ACCOUNT}_CloudTrail_us-east-1_20261101T{:04}Z_{file:03}",
            file * 5
        );
        let path = if lines {
            day.join(format!("{stem}.jsonl"))
        } else if file < GZIPPED {
            day.join(format!("{stem}.json.gz"))
        } else {
            day.join(format!("{stem}.json"))
        };
        if file < GZIPPED {
            let out = std::fs::File::create(&path).unwrap();
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
            gz.write_all(text.as_bytes()).unwrap();
            gz.finish().unwrap();
        } else {
            std::fs::write(&path, &text).unwrap();
        }
        disk += std::fs::metadata(&path).unwrap().len();
    }
    std::fs::write(&manifest, format!("{json} {disk}\n")).unwrap();
    (json, disk)
}

/// The process's peak resident memory so far, in kB (`VmHWM`).
fn peak_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

/// The child: reads every `step`th log file under `dir` and prints
/// `seconds events counted peak_before_kb peak_after_kb`.
fn child(dir: &Path, step: usize) {
    let catalog = iam_refine::model::catalog::Catalog::bundled();
    let files: Vec<PathBuf> = walk(dir).into_iter().step_by(step.max(1)).collect();
    let before = peak_kb();
    let start = Instant::now();
    let trail = iam_refine::input::cloudtrail::read(&files, Some(PRINCIPAL), &catalog)
        .unwrap_or_else(|err| panic!("{err}"));
    let took = start.elapsed().as_secs_f64();
    println!(
        "{took} {} {} {before} {}",
        trail.events,
        trail.counted,
        peak_kb()
    );
}

/// The log files under `dir`, in the order `read` walks them.
fn walk(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file() && e.file_name().to_string_lossy().contains("_CloudTrail_")
        })
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// Runs the child over every `step`th file: (seconds, events, counted,
/// peak kB before the read, peak kB after).
fn run_child(dir: &Path, step: usize) -> (f64, u64, u64, u64, u64) {
    let output = Command::new(std::env::current_exe().unwrap())
        .env("REFINE_BENCH_CHILD", dir)
        .env("REFINE_BENCH_STEP", step.to_string())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(f.len(), 5, "child said {text:?}");
    (f[0], f[1] as u64, f[2] as u64, f[3] as u64, f[4] as u64)
}

fn main() {
    if let Some(dir) = std::env::var_os("REFINE_BENCH_CHILD") {
        let step = std::env::var("REFINE_BENCH_STEP")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        child(Path::new(&dir), step);
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let dir =
        std::env::var_os("REFINE_BENCH_DIR").map_or_else(|| temp.path().to_path_buf(), Into::into);
    let start = Instant::now();
    let (json, disk) = generate(&dir);
    println!(
        "input: {FILES} files, {:.0} MB of JSON ({:.0} MB on disk; {GZIPPED} gzipped, {LINES} one event per line), ready in {:.1} s",
        json as f64 / 1e6,
        disk as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    let mut runs: Vec<(f64, u64, u64, u64, u64)> = (0..3).map(|_| run_child(&dir, 1)).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (took, events, counted, _, after) = runs[1];
    let rate = json as f64 / 1e6 / took;
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "read {events} events ({counted} counted for app-3)   {took:>6.2} s   {rate:>5.0} MB/s   target 200 MB/s   {}",
        verdict(rate >= 200.0)
    );
    // Every 10th file: 10 files, of all three kinds (gzipped, delivered,
    // one per line), so the largest buffer each needs is met in both runs.
    let small = run_child(&dir, 10);
    let growth = |run: (f64, u64, u64, u64, u64)| run.4.saturating_sub(run.3) as f64 / 1024.0;
    println!(
        "peak memory (VmHWM) of the reading process: {:.1} MB for 10 files, {:.1} MB for all {FILES}; \
         of which the read: {:.1} MB and {:.1} MB (files ~{} MB of JSON each)   flat: {}",
        small.4 as f64 / 1024.0,
        after as f64 / 1024.0,
        growth(small),
        growth(runs[1]),
        FILE_BYTES >> 20,
        verdict(after <= small.4 + 2 * 1024)
    );
}

//! Reading CloudTrail logs (`iam_refine::input::cloudtrail::read`) on the files in
//! fixtures/cloudtrail, with exact outcomes.
//!
//! The fixtures are realistic events (userIdentity, requestParameters,
//! tlsDetails, ...) for the account 111122223333: the role
//! `role/service/app` (assumed as `assumed-role/app/...`), the user `alice`
//! and the role `other`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iam_refine::error::Location;
use iam_refine::input::cloudtrail::{read, Error, Trail};
use iam_refine::model::catalog::{import::import_dir, Catalog};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const APP: &str = "arn:aws:iam::111122223333:role/service/app";
const APP_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app/session-1";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const OTHER: &str = "arn:aws:iam::111122223333:role/other";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn trail_file(name: &str) -> PathBuf {
    fixture("cloudtrail").join(name)
}

/// fixtures/catalog-small: s3, sqs, sns, kms, sts, with AWS's operation
/// mapping for S3 (GetObject → s3:GetObject + s3:GetObjectTagging).
fn small() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| import_dir(&fixture("catalog-small")).expect("catalog-small imports"))
}

fn bundled() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::bundled)
}

fn read_small(names: &[&str], principal: Option<&str>) -> Trail {
    let paths: Vec<PathBuf> = names.iter().map(|name| trail_file(name)).collect();
    read(&paths, principal, small()).unwrap_or_else(|err| panic!("{err}"))
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(s, a)| (s.to_string(), a.to_string()))
        .collect()
}

fn error(name: &str) -> Error {
    read(&[trail_file(name)], None, small()).expect_err("an error")
}

#[test]
fn plain_delivered_file_with_the_operation_mapping_first() {
    let trail = read_small(&["plain.json"], None);
    assert_eq!(
        trail.used,
        pairs(&[
            ("kms", "Decrypt"),
            ("s3", "GetObject"),
            // catalog-small's Operations say GetObject needs both.
            ("s3", "GetObjectTagging"),
            ("sqs", "SendMessage"),
        ])
    );
    assert_eq!((trail.files, trail.events, trail.counted), (1, 4, 4));
    assert_eq!(
        (trail.denied, trail.other_principal, trail.not_calls),
        (0, 0, 0)
    );
    assert!(trail.used_unknown.is_empty() && trail.unmapped.is_empty());
}

#[test]
fn gzipped_file() {
    let trail = read_small(&["plain.json.gz"], Some(APP));
    assert_eq!(
        trail.used,
        pairs(&[("sns", "Publish"), ("sqs", "ReceiveMessage")])
    );
    assert_eq!((trail.events, trail.counted), (2, 2));
}

#[test]
fn gzip_is_told_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("looks-plain.json");
    std::fs::copy(trail_file("plain.json.gz"), &renamed).unwrap();
    let trail = read(&[renamed], None, small()).unwrap();
    assert_eq!(
        trail.used,
        pairs(&[("sns", "Publish"), ("sqs", "ReceiveMessage")])
    );
}

#[test]
fn one_event_per_line_with_blank_lines() {
    let trail = read_small(&["lines.jsonl"], None);
    assert_eq!(
        trail.used,
        pairs(&[("kms", "GenerateDataKey"), ("sqs", "DeleteMessage")])
    );
    assert_eq!((trail.events, trail.counted), (2, 2));
}

#[test]
fn principal_matches_the_issuer_of_assumed_role_sessions() {
    let trail = read_small(&["principals.json"], Some(APP));
    assert_eq!(
        trail.used,
        pairs(&[("sqs", "GetQueueUrl"), ("sqs", "SendMessage")])
    );
    assert_eq!(
        (trail.events, trail.counted, trail.other_principal),
        (6, 2, 4)
    );
}

#[test]
fn principal_matches_a_user_arn_directly() {
    let trail = read_small(&["principals.json"], Some(ALICE));
    assert_eq!(trail.used, pairs(&[("sns", "Subscribe")]));
    assert_eq!((trail.counted, trail.other_principal), (1, 5));
}

#[test]
fn other_principals_are_skipped_and_the_session_arn_matches_itself() {
    let trail = read_small(&["principals.json"], Some(OTHER));
    assert_eq!(
        trail.used,
        pairs(&[("kms", "Encrypt"), ("sqs", "DeleteQueue")])
    );
    let trail = read_small(&["principals.json"], Some(APP_SESSION));
    assert_eq!(trail.used, pairs(&[("sqs", "SendMessage")]));
    // The issuer's ARN without its path is another principal.
    let trail = read_small(
        &["principals.json"],
        Some("arn:aws:iam::111122223333:role/app"),
    );
    assert_eq!((trail.counted, trail.other_principal), (0, 6));
    // Without --principal, every event counts, AWS services' included.
    let trail = read_small(&["principals.json"], None);
    assert_eq!((trail.counted, trail.other_principal), (6, 0));
    assert_eq!(trail.used.len(), 6);
}

#[test]
fn denials_are_not_use_but_other_failures_are() {
    let trail = read_small(&["errors.json"], None);
    // PutObject (AccessDenied), kms:Encrypt (UnauthorizedOperation) and
    // sqs:DeleteQueue (Client.UnauthorizedOperation) are not there;
    // NoSuchBucket and ThrottlingException calls were authorized.
    assert_eq!(
        trail.used,
        pairs(&[
            ("s3", "GetBucketAcl"),
            ("s3", "ListBucket"),
            ("sqs", "ReceiveMessage")
        ])
    );
    assert_eq!((trail.events, trail.counted, trail.denied), (6, 3, 3));
}

#[test]
fn unknown_events_are_listed_and_newer_actions_kept() {
    let trail = read_small(&["unmapped.json"], Some(APP));
    assert_eq!(trail.used, pairs(&[("sqs", "SendMessage")]));
    assert_eq!(
        trail.used_unknown,
        pairs(&[("sqs", "StartMessageMoveTask")])
    );
    assert_eq!(
        trail.unmapped,
        [
            (
                "newservice.amazonaws.com".to_string(),
                "DoThing".to_string(),
                2
            ),
            ("custom.example.com".to_string(), "Ping".to_string(), 1),
        ]
    );
    // The Insights event is not a call, and has no userIdentity to filter.
    assert_eq!(
        (
            trail.events,
            trail.counted,
            trail.not_calls,
            trail.other_principal
        ),
        (6, 5, 1, 0)
    );
}

#[test]
fn event_sources_and_renames_over_the_bundled_catalog() {
    let trail = read(&[trail_file("mapping.json")], None, bundled()).unwrap();
    assert_eq!(
        trail.used,
        pairs(&[
            ("cloudwatch", "PutMetricData"), // monitoring.amazonaws.com
            ("dynamodb", "GetRecords"),      // streams.dynamodb.amazonaws.com
            ("kms", "ReEncryptFrom"),        // ReEncrypt
            ("kms", "ReEncryptTo"),
            ("lambda", "GetFunction"),    // GetFunction20150331v2
            ("lambda", "InvokeFunction"), // Invoke
            ("s3", "GetObject"),          // GetObject and HeadObject
            ("s3", "ListBucket"),         // ListObjectsV2
            ("ses", "SendRawEmail"),      // email.amazonaws.com
            ("tag", "GetResources"),      // tagging.amazonaws.com
        ])
    );
    assert!(trail.unmapped.is_empty() && trail.used_unknown.is_empty());
}

#[test]
fn renames_apply_where_the_catalog_has_no_operation_mapping() {
    let trail = read_small(&["mapping.json"], None);
    // S3 has AWS's mapping in catalog-small: ListObjectsV2 → ListBucket from
    // it, GetObject → GetObject + GetObjectTagging; HeadObject is not in
    // it, so the rename table says GetObject. KMS has no mapping there:
    // ReEncrypt's actions are newer than that catalog.
    assert_eq!(
        trail.used,
        pairs(&[
            ("s3", "GetObject"),
            ("s3", "GetObjectTagging"),
            ("s3", "ListBucket")
        ])
    );
    assert_eq!(
        trail.used_unknown,
        pairs(&[("kms", "ReEncryptFrom"), ("kms", "ReEncryptTo")])
    );
    let unmapped: Vec<&str> = trail
        .unmapped
        .iter()
        .map(|(source, _, _)| source.as_str())
        .collect();
    assert_eq!(
        unmapped,
        [
            "email.amazonaws.com",
            "lambda.amazonaws.com",
            "lambda.amazonaws.com",
            "monitoring.amazonaws.com",
            "streams.dynamodb.amazonaws.com",
            "tagging.amazonaws.com",
        ]
    );
}

#[test]
fn directory_walk_reads_logs_in_order_and_skips_digests_and_other_files() {
    let trail = read_small(&["tree"], Some(APP));
    assert_eq!(
        trail.used,
        pairs(&[
            ("kms", "Decrypt"),
            ("sns", "Publish"),
            ("sqs", "SendMessage")
        ])
    );
    assert_eq!((trail.files, trail.digests, trail.events), (4, 1, 3));
}

#[test]
fn several_paths_add_up() {
    let trail = read_small(&["plain.json", "plain.json.gz", "lines.jsonl"], None);
    assert_eq!((trail.files, trail.events, trail.counted), (3, 8, 8));
    assert_eq!(trail.used.len(), 8);
}

#[test]
fn broken_json_names_the_file_line_and_column() {
    let err = error("broken/truncated.json");
    assert_eq!(err.path, trail_file("broken/truncated.json"));
    assert_eq!(err.input.location, Location::LineColumn(1, 300));
    assert_eq!(err.input.message, "invalid JSON: EOF while parsing a value");
    assert!(err
        .to_string()
        .ends_with("broken/truncated.json:1:300: invalid JSON: EOF while parsing a value"));
}

#[test]
fn json_that_is_not_cloudtrail_is_an_error() {
    let err = error("broken/policy.json");
    assert_eq!(err.input.location, Location::Whole);
    assert_eq!(err.input.message, "not CloudTrail logs");
    let text = err.to_string();
    assert!(
        text.contains("broken/policy.json: not CloudTrail logs\nhint: expected CloudTrail logs"),
        "{text}"
    );
}

#[test]
fn a_line_that_is_not_an_event_names_its_line() {
    let err = error("broken/not-an-event.jsonl");
    assert_eq!(err.input.location, Location::Line(3));
    assert!(err.to_string().ends_with(
        "not-an-event.jsonl:3: not a CloudTrail event: no eventSource, eventName or eventType"
    ));
}

#[test]
fn corrupt_gzip_is_an_error_naming_the_file() {
    let err = error("broken/corrupt.json.gz");
    assert_eq!(err.path, trail_file("broken/corrupt.json.gz"));
    assert!(
        err.input.message.starts_with("cannot decompress (gzip): "),
        "{}",
        err.input.message
    );
}

#[test]
fn one_bad_file_in_a_walk_fails_the_whole_read() {
    let paths = [trail_file("plain.json"), trail_file("broken")];
    let err = read(&paths, None, small()).expect_err("an error");
    // The walk is in file-name order: corrupt.json.gz comes first.
    assert_eq!(err.path, trail_file("broken/corrupt.json.gz"));
}

#[test]
fn missing_files_and_directories_without_logs_are_errors() {
    let err = error("no-such-file.json");
    assert_eq!(err.path, trail_file("no-such-file.json"));
    assert_eq!(
        err.input.message,
        "cannot read: No such file or directory (os error 2)"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a log").unwrap();
    let err = read(&[dir.path().to_path_buf()], None, small()).expect_err("an error");
    assert_eq!(err.path, dir.path());
    assert!(
        err.input
            .message
            .starts_with("no CloudTrail log files here"),
        "{}",
        err.input.message
    );
}

#[test]
fn empty_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "\n").unwrap();
    let err = read(&[empty], None, small()).expect_err("an error");
    assert_eq!(err.input.message, "empty file: no CloudTrail events");
}

#[cfg(unix)]
#[test]
fn walks_follow_no_symbolic_links() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(trail_file("plain.json"), dir.path().join("a.json")).unwrap();
    std::os::unix::fs::symlink(trail_file("plain.json.gz"), dir.path().join("b.json.gz")).unwrap();
    std::os::unix::fs::symlink(fixture("cloudtrail/tree"), dir.path().join("tree")).unwrap();
    let trail = read(&[dir.path().to_path_buf()], None, small()).unwrap();
    assert_eq!((trail.files, trail.events), (1, 4));
}

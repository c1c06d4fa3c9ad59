//! The acceptance example: AWS's own published recommendation, reproduced.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn seed(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seed-example")
        .join(file)
}

fn refine(args: &[&Path]) -> String {
    let output = Command::cargo_bin("refine")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// With the catalog of February 2024, the output is AWS's 2024
/// recommendation byte for byte: same statements, entries and order.
#[test]
fn the_2024_catalog_reproduces_aws_recommendation_exactly() {
    let catalog = seed("catalog-2024");
    let stdout = refine(&[
        Path::new("--catalog"),
        &catalog,
        &seed("policy.json"),
        &seed("findings.json"),
    ]);
    let expected = std::fs::read_to_string(seed("aws-recommendation-2024.json")).unwrap();
    assert_eq!(stdout, expected);
}

/// With the bundled 2026 catalog, the s3 statement also keeps the two Get
/// actions AWS added since 2024, which the findings do not call unused.
#[test]
fn the_bundled_catalog_keeps_actions_added_since_2024() {
    let stdout = refine(&[&seed("policy.json"), &seed("findings.json")]);
    let refined: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let actions: Vec<&str> = refined["Statement"][1]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "s3:GetAccess*",
            "s3:GetAccountPublicAccessBlock",
            "s3:GetBucketAbac",
            "s3:GetBucketMetadataTableConfiguration",
            "s3:GetDataAccess",
            "s3:GetJobTagging",
            "s3:GetMulti*",
            "s3:GetObject*",
            "s3:GetStorage*",
            "s3:List*"
        ]
    );
    assert_eq!(
        refined["Statement"][0]["Action"],
        serde_json::json!(["lambda:Invoke*"])
    );
}

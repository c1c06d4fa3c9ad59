//! The Terraform host taking back refine's own refinements: each case a
//! layout a rewrite must keep valid (several found by the `terraform` fuzz
//! target).

use super::TerraformFile;
use crate::engine::checked::{checked, Checked};
use crate::engine::refine::Options;
use crate::hosts::Host;
use crate::input::findings;
use crate::model::catalog::Catalog;

/// `text` with every policy refined against a fixed unused set and written
/// back by the host (its rewrite read back and checked).
fn refined(text: &str) -> String {
    let file = TerraformFile::read(text).unwrap();
    let resolved = findings::parse(
        r#"["s3:PutObject", "s3:ListBucket", "sqs:DeleteQueue", "ec2:DescribeInstances", "dynamodb:DeleteTable"]"#,
    )
    .unwrap()
    .resolve(&Catalog::bundled());
    let usage = resolved.usage();
    let proved: Vec<Checked> = file
        .policies()
        .iter()
        .map(|e| checked(&e.policy, &usage, Options::default()).unwrap())
        .collect();
    let refs: Vec<Option<&Checked>> = proved.iter().map(Some).collect();
    file.rewrite(&refs).unwrap().text().to_string()
}

#[test]
fn a_document_left_without_statements_reads_back_as_the_same_policy() {
    let text = "data \"aws_iam_policy_document\" \"x\" {\nstatement{\n actions= [ \"s3:PutObject\"]\n}\n}\n";
    assert_eq!(
        refined(text),
        "data \"aws_iam_policy_document\" \"x\" {\n}\n"
    );
}

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
    refined_with(
        text,
        r#"["s3:PutObject", "s3:ListBucket", "sqs:DeleteQueue", "ec2:DescribeInstances", "dynamodb:DeleteTable"]"#,
    )
}

/// [`refined`] against the unused actions `unused` (a JSON list).
fn refined_with(text: &str, unused: &str) -> String {
    refined_as(text, unused, false)
}

/// [`refined_with`], the catalog said current (`--catalog-current`) when
/// `current`.
fn refined_as(text: &str, unused: &str, current: bool) -> String {
    let file = TerraformFile::read(text).unwrap();
    let mut resolved = findings::parse(unused)
        .unwrap()
        .resolve(&Catalog::bundled());
    resolved.beyond.catalog_current |= current;
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

#[test]
fn a_last_statement_removed_takes_the_blank_line_before_it() {
    let text = "data \"aws_iam_policy_document\" \"x\" {\n  version = \"2012-10-17\"\n\n  statement {\n    actions = [\"s3:GetObject\"]\n  }\n\n  statement {\n    actions = [\"s3:PutObject\"]\n  }\n}\n";
    assert_eq!(
        refined(text),
        "data \"aws_iam_policy_document\" \"x\" {\n  version = \"2012-10-17\"\n\n  statement {\n    actions = [\"s3:GetObject\"]\n  }\n}\n"
    );
}

#[test]
fn a_declared_twice_address_is_an_error_not_a_wrong_splice() {
    let text = "data \"aws_iam_policy_document\" \"x\" {\n  statement {\n    actions = [\"s3:PutObject\"]\n  }\n}\ndata \"aws_iam_policy_document\" \"x\" {\n  statement {\n    actions = [\"s3:GetObject\"]\n  }\n}\n";
    let err = TerraformFile::read(text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "6:1: data.aws_iam_policy_document.x is declared twice"
    );
}

#[test]
fn an_aligned_actions_key_becomes_not_actions_with_its_equals_sign_in_place() {
    let text = "data \"aws_iam_policy_document\" \"x\" {\n  statement {\n    effect    = \"Allow\"\n    actions   = [\"*\"]\n    resources = [\"*\"]\n  }\n}\n";
    let out = refined(text);
    assert!(
        out.contains("\n    not_actions = [\"dynamodb:DeleteTable\", "),
        "{out}"
    );
    assert!(out.contains("\n    effect    = \"Allow\"\n"), "{out}");
}

#[test]
fn a_json_syntax_actions_list_becomes_not_actions() {
    let text = "{\"data\": {\"aws_iam_policy_document\": {\"d\": {\"statement\": {\"actions\": [\"*\"], \"resources\": [\"*\"]}}}}}";
    let file = TerraformFile::read_json(text).unwrap();
    let resolved = findings::parse(r#"["s3:PutObject"]"#)
        .unwrap()
        .resolve(&Catalog::bundled());
    let usage = resolved.usage();
    let proved = checked(&file.policies()[0].policy, &usage, Options::default()).unwrap();
    let out = file.rewrite(&[Some(&proved)]).unwrap();
    assert_eq!(
        out.text(),
        "{\"data\": {\"aws_iam_policy_document\": {\"d\": {\"statement\": {\"not_actions\": [\"s3:PutObject\"], \"resources\": [\"*\"]}}}}}"
    );
}

#[test]
fn a_document_left_with_only_principals_statements_reads_back_as_the_same_policy() {
    let text = "data \"aws_iam_policy_document\" \"x\" {\n  statement {\n    actions = [\"s3:PutObject\"]\n  }\n  statement {\n    actions = [\"s3:GetObject\"]\n    principals {\n      type        = \"AWS\"\n      identifiers = [\"*\"]\n    }\n  }\n}\n";
    let out = refined(text);
    assert!(!out.contains("s3:PutObject"), "{out}");
    assert!(out.contains("principals {"), "{out}");
}

#[test]
fn a_crlf_list_gets_crlf_lines() {
    let text = "data \"aws_iam_policy_document\" \"x\" {\r\n  statement {\r\n    actions = [\r\n      \"sqs:*\",\r\n    ]\r\n  }\r\n}\r\n";
    let out = refined(text);
    assert!(out.contains("\"sqs:AddPermission\",\r\n"), "{out:?}");
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "a bare line feed: {out:?}"
    );
}

#[test]
fn an_entry_that_stays_keeps_its_line_and_comment_wherever_refinement_puts_it() {
    let text = "data \"aws_iam_policy_document\" \"x\" {\n  statement {\n    actions = [\n      \"s3:GetObject*\",\n      \"logs:*\", # keep this comment\n      \"s3:GetObject\",\n    ]\n  }\n}\n";
    let out = refined_with(text, r#"["s3:GetObjectAcl"]"#);
    assert!(
        out.contains("\n      \"logs:*\", # keep this comment\n"),
        "{out}"
    );
    assert!(!out.contains("s3:GetObject*"), "{out}");
}

#[test]
fn not_actions_becomes_actions_when_that_is_smaller_over_a_current_catalog() {
    let text = "data \"aws_iam_policy_document\" \"x\" {\n  statement {\n    effect      = \"Allow\"\n    not_actions = [\"iam:*\"]\n    resources   = [\"*\"]\n  }\n}\n";
    let services: Vec<String> = Catalog::bundled()
        .service_names()
        .filter(|s| *s != "s3" && *s != "iam")
        .map(|s| format!("{{\"serviceNamespace\": \"{s}\"}}"))
        .collect();
    let unused = format!("[{}]", services.join(", "));
    let out = refined_as(text, &unused, true);
    assert!(out.contains("\n    actions     = [\"s3:*\"]\n"), "{out}");
    assert!(out.contains("\n    effect      = \"Allow\"\n"), "{out}");
}

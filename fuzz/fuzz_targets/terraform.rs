//! The Terraform host on arbitrary input: `TerraformFile::read` (hcl-edit,
//! the policies found in the file, their views) and `read_json` (Terraform's
//! JSON syntax) must return Ok or
//! an `InputError`, never panic, hang or blow up; and every file it
//! reads must take back refine's own checked refinements.
//!
//! Input: raw bytes, read as UTF-8 (lossily when they are not).
//!
//! Checks:
//! * with no refinement the rewrite is the text, byte for byte;
//! * each policy, refined against a fixed unused set and proved, is
//!   written back by the host: its splices applied, the result read back
//!   and found to say exactly the refined policies, every unevaluated part
//!   and every byte outside the changed documents unchanged. A failure there is a
//!   bug (refine would report it and write nothing); the one refusal the
//!   host documents, an element with unevaluated entries that would become
//!   a NotAction, is allowed.
#![no_main]

use iam_refine::engine::checked::{checked, Checked};
use iam_refine::engine::refine::Options;
use iam_refine::hosts::terraform::TerraformFile;
use iam_refine::hosts::Host;
use iam_refine::input::findings::{self, Resolved};
use iam_refine::model::catalog::Catalog;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn unused() -> &'static Resolved {
    static RESOLVED: OnceLock<Resolved> = OnceLock::new();
    RESOLVED.get_or_init(|| {
        findings::parse(r#"["s3:PutObject", "s3:ListBucket", "s3:PutBucketPolicy", "sqs:DeleteQueue", "ec2:DescribeInstances", "dynamodb:DeleteTable", "logs:DeleteLogGroup", "iam:CreateUser"]"#)
            .expect("a fixed findings list")
            .resolve(&Catalog::bundled())
    })
}

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(text) => check(text),
        Err(_) => check(&String::from_utf8_lossy(data)),
    }
});

fn check(text: &str) {
    for template in [TerraformFile::read(text), TerraformFile::read_json(text)]
        .into_iter()
        .flatten()
    {
        takes_back(text, &template);
    }
}

fn takes_back(text: &str, template: &TerraformFile) {
    let none: Vec<Option<&Checked>> = vec![None; template.policies().len()];
    let same = template.rewrite(&none).expect("no refinement always rewrites");
    assert_eq!(same.text(), text);
    let resolved = unused();
    let usage = resolved.usage();
    let proved: Vec<Checked> = template
        .policies()
        .iter()
        .map(|embedded| checked(&embedded.policy, &usage, Options::default()).expect("refine proves its own refinement"))
        .collect();
    let refs: Vec<Option<&Checked>> = proved.iter().map(Some).collect();
    if let Err(err) = template.rewrite(&refs) {
        assert!(
            err.message.contains("cannot become a NotAction"),
            "the host refused refine's refinement: {err}"
        );
    }
}

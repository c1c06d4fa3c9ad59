//! Each way `--fit` shortens a policy, on the bundled catalog, proved by
//! the same check every run makes.

use super::*;
use crate::engine::checked::{checked_fit, FitFailed};
use crate::engine::refine::{refine, Options};
use crate::input::findings;
use crate::input::policy;
use crate::model::catalog::Catalog;

/// A fitted policy: its document (compact), the re-admitted actions, and
/// the merges.
type Fitted = (String, Vec<String>, Vec<(usize, usize)>);

/// Refines `policy` against the unused `actions`, fitted under `cap`.
fn fitted(policy: &str, actions: &[&str], cap: usize) -> Result<Fitted, FitFailed> {
    let catalog = Catalog::bundled();
    let original = policy::parse(policy).unwrap();
    let unused = serde_json::to_string(actions).unwrap();
    let resolved = findings::parse(&unused).unwrap().resolve(&catalog);
    let fit = Fit {
        cap,
        merge: true,
        exact: false,
    };
    let checked = checked_fit(&original, &resolved.usage(), Options::default(), fit)?;
    let readmitted = checked
        .readmitted()
        .iter()
        .flat_map(|r| &r.actions)
        .map(|&id| resolved.catalog.full_name(id))
        .collect();
    Ok((
        checked.compact(),
        readmitted,
        checked.refined().merged.clone(),
    ))
}

/// The exact refinement's size.
fn exact_size(policy: &str, actions: &[&str]) -> usize {
    let catalog = Catalog::bundled();
    let original = policy::parse(policy).unwrap();
    let unused = serde_json::to_string(actions).unwrap();
    let resolved = findings::parse(&unused).unwrap().resolve(&catalog);
    size::of(&refine(&original, &resolved.usage()).document)
}

const TWO_OF_ONE_CONTEXT: &str = r#"{"Version": "2012-10-17", "Statement": [
    {"Sid": "Get", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectAcl"], "Resource": "*"},
    {"Sid": "Put", "Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "*"}]}"#;

#[test]
fn statements_of_one_context_merge_before_anything_is_readmitted() {
    let unused = ["s3:GetObjectAcl", "s3:PutObjectAcl"];
    let exact = exact_size(TWO_OF_ONE_CONTEXT, &unused);
    let (document, readmitted, merged) = fitted(TWO_OF_ONE_CONTEXT, &unused, exact - 1).unwrap();
    assert_eq!(
        document,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Get","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#
    );
    assert!(readmitted.is_empty());
    assert_eq!(merged, [(0, 1)]);
}

#[test]
fn a_policy_that_fits_is_the_exact_refinement() {
    let unused = ["s3:GetObjectAcl", "s3:PutObjectAcl"];
    let exact = exact_size(TWO_OF_ONE_CONTEXT, &unused);
    let (document, readmitted, merged) = fitted(TWO_OF_ONE_CONTEXT, &unused, exact).unwrap();
    assert!(document.contains(r#""Sid":"Put""#), "{document}");
    assert!(readmitted.is_empty() && merged.is_empty());
}

#[test]
fn an_added_exclusion_is_dropped_and_what_it_excluded_is_listed() {
    let policy = r#"{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}"#;
    let unused = ["s3:DeleteBucket", "sqs:DeleteQueue"];
    // Exact: NotAction [iam:*, s3:DeleteBucket, sqs:DeleteQueue]; one
    // added exclusion must go, never the original's own.
    let exact = exact_size(policy, &unused);
    let (document, readmitted, _) = fitted(policy, &unused, exact - 1).unwrap();
    assert_eq!(readmitted.len(), 1, "{document}");
    assert!(
        !document.contains(&format!("\"{}\"", readmitted[0])),
        "{document}"
    );
    assert!(document.contains("\"iam:*\""), "{document}");
}

#[test]
fn a_widened_prefix_stays_inside_the_original_entry() {
    let policy = r#"{"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}"#;
    let unused = ["s3:GetObjectAcl", "s3:GetBucketAcl", "s3:GetBucketPolicy"];
    let exact = exact_size(policy, &unused);
    let (document, readmitted, _) = fitted(policy, &unused, exact / 2).unwrap();
    assert!(
        size::of(&crate::json::Value::from(
            &serde_json::from_str::<serde_json::Value>(&document).unwrap()
        )) <= exact / 2
    );
    assert!(!readmitted.is_empty());
    // Every entry is inside s3:Get* (the proof checks this too).
    let value: serde_json::Value = serde_json::from_str(&document).unwrap();
    let actions = &value["Statement"][0]["Action"];
    let entries: Vec<&str> = match actions {
        serde_json::Value::String(one) => vec![one.as_str()],
        list => list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect(),
    };
    assert!(
        entries.iter().all(|e| e.starts_with("s3:Get")),
        "{document}"
    );
}

#[test]
fn below_the_originals_own_entries_it_cannot_fit() {
    let policy = r#"{"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}"#;
    let original = size::of(&policy::parse(policy).unwrap().document().clone());
    let err = fitted(policy, &["s3:GetObjectAcl"], original - 5).unwrap_err();
    let FitFailed::TooLarge(too_large) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (too_large.original, too_large.cap),
        (original, original - 5)
    );
    assert!(too_large.reached > original - 5);
}

/// Beside a NotAction statement of the same context, Action statements are
/// not merged: the proof bounds each by one original, and so must `--fit`.
#[test]
fn statements_beside_a_not_action_of_their_context_are_not_merged() {
    let policy = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
        {"Effect": "Allow", "NotAction": ["s3:*", "sqs:*"], "Resource": "*"}]}"#;
    let unused = ["ec2:DeleteVpc"];
    let exact = exact_size(policy, &unused);
    let (_, readmitted, merged) = fitted(policy, &unused, exact - 1).unwrap();
    assert!(merged.is_empty());
    assert_eq!(readmitted, ["ec2:DeleteVpc"]);
}

/// A `"*"` whose every added exclusion goes is written as it was, and its
/// change says so: replaced by itself, not by nothing.
#[test]
fn a_statement_written_back_as_it_was_is_replaced_by_itself() {
    let catalog = Catalog::bundled();
    let original =
        policy::parse(r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#)
            .unwrap();
    let resolved = findings::parse(r#"["iam:CreateUser", "s3:DeleteBucket"]"#)
        .unwrap()
        .resolve(&catalog);
    // The original's own size: nothing else fits.
    let fit = Fit {
        cap: 62,
        merge: true,
        exact: false,
    };
    assert_eq!(size::of(original.document()), 62);
    let checked = checked_fit(&original, &resolved.usage(), Options::default(), fit).unwrap();
    assert!(!checked.changed());
    assert_eq!(checked.changes()[0].replacement, ["*"]);
    assert_eq!(checked.readmitted()[0].actions.len(), 2);
}

/// An entry a merge drops because another statement's entry covers it is
/// reported replaced by that entry, not dropped: here `s3:*`'s cover holds
/// `s3:Get*`, which the first statement writes already.
#[test]
fn an_entry_covered_after_a_merge_is_replaced_by_what_covers_it() {
    let policy = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#;
    let catalog = Catalog::bundled();
    let original = policy::parse(policy).unwrap();
    let resolved = findings::parse(r#"["s3:PutObjectAcl"]"#)
        .unwrap()
        .resolve(&catalog);
    let exact = size::of(&refine(&original, &resolved.usage()).document);
    let fit = Fit {
        cap: exact - 1,
        merge: true,
        exact: false,
    };
    let checked = checked_fit(&original, &resolved.usage(), Options::default(), fit).unwrap();
    assert_eq!(checked.refined().merged, [(0, 1)]);
    let star = checked
        .changes()
        .iter()
        .find(|c| c.entry == "s3:*")
        .unwrap();
    assert!(
        star.replacement.iter().any(|r| r == "s3:Get*"),
        "{:?}",
        star.replacement
    );
}

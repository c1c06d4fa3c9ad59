//! Property tests of the refinement promises, over the real bundled catalog.
//!
//! Each case is a random policy (1–4 statements: Allow or Deny, `Action` as
//! an array or a string, or `NotAction`, with Sid, Resource, Condition and
//! the odd Principal) whose entries are derived from random catalog actions:
//! exact names in any case, truncated and word-truncated prefixes, `svc:*`,
//! infixes, `?` substitutions (also inside a prefix), cross-service globs,
//! the odd `*` or unknown name. The unused set is drawn from what those
//! entries match at several densities, whole services, a few random actions;
//! sometimes it is everything, or everything but what was drawn. Sometimes
//! it goes through the findings reader, then and again with actions the
//! catalog is too old to know (which extend the catalog for that case).
//!
//! The promises checked, one `#[test]` each:
//!
//! 1. never broaden over the catalog, and leave Deny / Principal statements
//!    (and everything outside the action element) byte-identical;
//! 2. no unused action stays allowed by a refined Allow statement;
//! 3. never drop what is used;
//! 4. never broaden beyond the catalog: refined `Action` entries lie inside
//!    the original entries as glob languages; `NotAction` only grows;
//! 5. idempotence;
//! 6. least (sanity): generated entries match something, and no entry of a
//!    changed statement is covered by another (an added `NotAction` entry
//!    not even by an original one);
//! 7. `grants_nothing` is set exactly when no Allow statement is left;
//! 8. `verify` (the self-check) passes on refine's output.
//!
//! `input.rs` adds the input shapes adversarial testing found: control
//! characters in action strings (refused by every reader) and Condition /
//! Principal in another key order or number spelling (verify must pass);
//! `fit.rs` `--fit` under random caps (it fits, or says it cannot only when
//! even the original's entries do not; its proof always holds);
//! `beyond.rs` what the catalog does not know: an unused role's date under
//! `--unused-for`, entries the catalog lacks in a wholly unused service,
//! and `"*"` with findings dated before and after the catalog; `owners.rs`
//! a policy shared by two principals, refined against the intersection of
//! their findings as a repository run does.
//!
//! The checks are plain functions returning `Result<(), String>`, so the
//! example tests at the end can feed them deliberately bad refinements and
//! show that they are not vacuous; another test shows that the generators
//! really produce changes.
//!
//! Failure persistence is off so that a failing run writes no
//! `proptest-regressions` file; the failure message prints the shrunk policy
//! and unused set, ready to paste into a regression test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod beyond;
mod checks;
mod fit;
mod generators;
mod input;
mod owners;

use checks::*;
use generators::*;
use iam_refine::engine::refine::{refine, Refined};
use iam_refine::engine::verify::verify;
use iam_refine::input::findings::{Beyond, Usage};
use iam_refine::input::policy::{self, ActionKey, Edit, Policy};
use iam_refine::model::catalog::{ActionId, ActionSet, Catalog};
use iam_refine::model::pattern::Glob;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{json, Value};

fn verdict(result: Result<(), String>, case: &Case) -> Result<(), TestCaseError> {
    result.map_err(|why| TestCaseError::fail(format!("{why}\n{}", case.describe())))
}

/// `cases` cases, unless `PROPTEST_CASES` asks for another number (for a
/// longer soak: `PROPTEST_CASES=5000 cargo test --release --test properties`).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn p1_never_broadens_over_the_catalog(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_never_broadens(&case.catalog, &case.policy, &refined), &case)?;
    }

    #[test]
    fn p2_no_unused_action_stays_allowed(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_no_unused_allowed(&case.usage(), &case.policy, &refined), &case)?;
    }

    #[test]
    fn p3_never_drops_what_is_used(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_keeps_used(&case.catalog, &case.policy, &refined, &case.unused), &case)?;
    }

    #[test]
    fn p4_never_broadens_beyond_the_catalog(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_languages(&case.policy, &refined), &case)?;
    }

    #[test]
    fn p5_refinement_is_idempotent(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_idempotent(&case.usage(), &refined), &case)?;
    }

    #[test]
    fn p6_refined_entries_are_least(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_least(&case.catalog, &case.policy, &refined), &case)?;
    }

    #[test]
    fn p7_grants_nothing_means_no_allow_is_left(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_grants_nothing(&case.policy, &refined), &case)?;
    }

    /// `refine verify` (the self-check every run makes) passes on refine's
    /// own output, with the unused set.
    #[test]
    fn p8_verify_passes_on_refined_output(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        let refined_policy = policy::from_value(refined.document.clone()).expect("refined reads back");
        let usage = case.usage();
        let reasons: Vec<String> = verify(&case.policy, &refined_policy, Some(&usage)).iter().map(|r| r.describe()).collect();
        verdict(if reasons.is_empty() { Ok(()) } else { Err(reasons.join("\n")) }, &case)?;
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// The set helpers rest on `Catalog::matching`: pin it against a brute
    /// force match of every catalog name, for the entry forms generated.
    #[test]
    fn matching_agrees_with_brute_force(
        base in any::<u32>(),
        entry in entry_spec(form_for_action().boxed()),
    ) {
        let catalog = bundled();
        let glob = Glob::new(&render_entry(catalog, base, &entry));
        let fast = catalog.matching(&glob);
        let mut slow = catalog.empty_set();
        for id in catalog.ids() {
            if glob.matches(&catalog.full_name(id)) {
                slow.insert(id);
            }
        }
        prop_assert!(fast == slow, "\"{}\": matching gives {}, brute force {}", glob, fast.len(), slow.len());
        if entry.form != Form::Unknown {
            prop_assert!(!fast.is_empty(), "\"{}\" derived from a catalog action matches nothing", glob);
        }
    }
}

// ---------------------------------------------------------------------------
// Examples that pin the machinery
// ---------------------------------------------------------------------------

fn id(catalog: &Catalog, full: &str) -> ActionId {
    let (service, name) = full.split_once(':').expect("svc:Name");
    catalog.find(service, name).expect("a catalog action")
}

fn parse_value(document: &Value) -> Policy {
    policy::parse(&text(document)).expect("a valid policy")
}

/// A hand-made refinement result, to show the checks reject bad ones.
fn fake(document: Value, edits: Vec<Option<Edit>>) -> Refined {
    Refined {
        document: (&document).into(),
        changes: Vec::new(),
        edits,
        warnings: Vec::new(),
        grants_nothing: false,
        narrowed_wildcards: false,
        readmitted: Vec::new(),
        merged: Vec::new(),
    }
}

#[test]
fn allowed_is_the_union_for_action_and_the_complement_for_not_action() {
    let catalog = bundled();
    let policy = parse_value(&json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "s3:Get*"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["iam:*", "s3:Get*"], "Resource": "*"}
        ]
    }));
    let not_action = policy.statements[0].allowed_actions(catalog);
    let action = policy.statements[1].allowed_actions(catalog);
    let iam = catalog.service("iam").expect("iam").len();
    let s3_get = catalog.prefix_range("s3", "Get").expect("s3").len();
    assert!(iam > 100 && s3_get > 50);
    assert_eq!(action.len(), iam + s3_get);
    assert_eq!(not_action.len(), catalog.len() - iam - s3_get);
    assert!(!not_action.intersects(&action));
    let mut both = not_action.clone();
    both.union_with(&action);
    assert_eq!(both, ActionSet::full(catalog.len()));
    assert!(not_action.contains(id(catalog, "ec2:RunInstances")));
    assert!(not_action.contains(id(catalog, "s3:PutObject")));
    assert!(!not_action.contains(id(catalog, "iam:CreateUser")));
    assert!(!not_action.contains(id(catalog, "s3:GetObject")));
    assert!(action.contains(id(catalog, "s3:GetObject")));
}

#[test]
fn the_checks_accept_a_real_refinement_and_reject_bad_ones() {
    let catalog = bundled();
    let statement = |key: &str, entries: Value| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", key: entries, "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
        ]})
    };
    let original = parse_value(&statement("Action", json!(["s3:GetObject*"])));
    let mut unused = catalog.empty_set();
    unused.insert(id(catalog, "s3:GetObjectAcl"));
    let entries = |list: &[&str]| Some(Edit::Entries(list.iter().map(|s| s.to_string()).collect()));
    let edited = |list: &[&str]| vec![entries(list), None];
    let nothing_beyond = Beyond::default();
    let usage = Usage {
        catalog,
        unused: &unused,
        beyond: &nothing_beyond,
    };

    // The real refinement passes every check.
    let real = refine(&original, &usage);
    assert!(real.changed());
    check_never_broadens(catalog, &original, &real).unwrap();
    check_no_unused_allowed(&usage, &original, &real).unwrap();
    check_keeps_used(catalog, &original, &real, &unused).unwrap();
    check_languages(&original, &real).unwrap();
    check_idempotent(&usage, &real).unwrap();
    check_least(catalog, &original, &real).unwrap();
    check_grants_nothing(&original, &real).unwrap();

    // Broader than the original, over the catalog and as a language.
    let broad = fake(
        statement("Action", json!(["s3:Get*"])),
        edited(&["s3:Get*"]),
    );
    assert!(check_never_broadens(catalog, &original, &broad).is_err());
    assert!(check_languages(&original, &broad).is_err());
    // Broader only as a language (the `?` reaches names no action has).
    let beyond = fake(
        statement("Action", json!(["s3:GetObjec?"])),
        edited(&["s3:GetObjec?"]),
    );
    assert!(check_never_broadens(catalog, &original, &beyond).is_ok());
    assert!(check_languages(&original, &beyond).is_err());
    // Still allows the unused action; and is not a fixed point.
    let lazy = fake(serde(original.document()), vec![None, None]);
    assert!(check_no_unused_allowed(&usage, &original, &lazy).is_err());
    assert!(check_idempotent(&usage, &lazy).is_err());
    // Drops used actions; removing the statement drops them all.
    let stingy = fake(
        statement("Action", json!(["s3:GetObjectTagging"])),
        edited(&["s3:GetObjectTagging"]),
    );
    assert!(check_keeps_used(catalog, &original, &stingy, &unused).is_err());
    let removed = fake(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
        ]}),
        vec![Some(Edit::Remove), None],
    );
    assert!(check_keeps_used(catalog, &original, &removed, &unused).is_err());
    // Nothing is allowed any more, yet grants_nothing is false.
    assert!(check_grants_nothing(&original, &removed).is_err());
    // One entry covered by another; an entry matching nothing.
    let redundant = fake(
        statement("Action", json!(["s3:GetObjectTagging", "s3:GetObjectT*"])),
        edited(&["s3:GetObjectTagging", "s3:GetObjectT*"]),
    );
    assert!(check_least(catalog, &original, &redundant).is_err());
    let empty = fake(
        statement("Action", json!(["s3:GetObjectNoSuchThing"])),
        edited(&["s3:GetObjectNoSuchThing"]),
    );
    assert!(check_least(catalog, &original, &empty).is_err());
    // A Deny statement touched; a Sid lost.
    let mut denied = serde(&real.document);
    denied["Statement"][1]["Action"] = json!("s3:Delete*");
    let denied = fake(denied, real.edits.clone());
    assert!(check_never_broadens(catalog, &original, &denied).is_err());
    let mut sidless = serde(&real.document);
    sidless["Statement"][0]
        .as_object_mut()
        .unwrap()
        .shift_remove("Sid");
    let sidless = fake(sidless, real.edits.clone());
    assert!(check_never_broadens(catalog, &original, &sidless).is_err());

    // NotAction: an original entry dropped, and an unused action still
    // allowed.
    let original = parse_value(&statement("NotAction", json!(["iam:*", "s3:Get*"])));
    let mut unused = catalog.empty_set();
    unused.insert(id(catalog, "ec2:RunInstances"));
    let usage = Usage {
        catalog,
        unused: &unused,
        beyond: &nothing_beyond,
    };
    let real = refine(&original, &usage);
    check_no_unused_allowed(&usage, &original, &real).unwrap();
    check_languages(&original, &real).unwrap();
    check_least(catalog, &original, &real).unwrap();
    let dropped = fake(
        statement("NotAction", json!(["iam:*", "ec2:RunInstances"])),
        edited(&["iam:*", "ec2:RunInstances"]),
    );
    assert!(check_languages(&original, &dropped).is_err());
    let lazy = fake(serde(original.document()), vec![None, None]);
    assert!(check_no_unused_allowed(&usage, &original, &lazy).is_err());
    // An added exclusion the statement already had (as a language).
    let already = fake(
        statement(
            "NotAction",
            json!(["iam:*", "s3:Get*", "ec2:RunInstances", "s3:GetObject"]),
        ),
        edited(&["iam:*", "s3:Get*", "ec2:RunInstances", "s3:GetObject"]),
    );
    let why = check_least(catalog, &original, &already).unwrap_err();
    assert!(why.contains("covered by original"), "{why}");
}

#[test]
fn generators_produce_changes_in_most_cases() {
    let strategy = case_spec();
    let mut runner = TestRunner::deterministic();
    let total = 200;
    let (mut changed, mut rewritten, mut removed, mut not_action, mut via_findings) =
        (0, 0, 0, 0, 0);
    let mut forms = std::collections::HashSet::new();
    for _ in 0..total {
        let spec = strategy.new_tree(&mut runner).expect("a case").current();
        for s in &spec.statements {
            forms.extend(s.entries.iter().map(|e| format!("{:?}", e.form)));
        }
        let case = build(&spec);
        if let Some(direct) = &case.direct {
            assert_eq!(
                direct, &case.unused,
                "the findings reader must give back the set it was written from"
            );
        }
        via_findings += usize::from(case.findings.is_some());
        let refined = case.refine();
        changed += usize::from(refined.changed());
        rewritten += usize::from(
            refined
                .edits
                .iter()
                .any(|e| matches!(e, Some(Edit::Entries(_)))),
        );
        removed += usize::from(refined.edits.contains(&Some(Edit::Remove)));
        not_action += usize::from(
            case.policy
                .statements
                .iter()
                .zip(&refined.edits)
                .any(|(s, e)| s.key == ActionKey::NotAction && e.is_some()),
        );
    }
    eprintln!(
        "of {total} cases: {changed} changed, {rewritten} with rewritten entries, {removed} with removals, \
         {not_action} with a NotAction edit, {via_findings} via findings"
    );
    assert!(
        changed * 100 >= total * 30,
        "only {changed} of {total} changed"
    );
    assert!(
        rewritten * 100 >= total * 20,
        "only {rewritten} of {total} rewrote entries"
    );
    assert!(removed >= 5 && not_action >= 5 && via_findings >= 5);
    assert_eq!(forms.len(), 11, "every entry form is generated: {forms:?}");
}

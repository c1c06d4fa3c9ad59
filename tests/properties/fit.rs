//! `--fit` under random caps: the result fits, or `--fit` says it cannot,
//! and only when even the original's own entries are over the cap; over
//! the catalog, each context of the result allows a subset of what the
//! original's statements of that context allowed, keeps every used action
//! they allowed, and allows no unused action it does not list as
//! re-admitted. Checked here on allowed sets, apart from the proof's glob
//! languages.

use crate::checks::{meet, minus, names};
use crate::generators::{build, case_spec, Case};
use crate::{config, verdict};
use iam_refine::engine::checked::{checked_fit, FitFailed};
use iam_refine::engine::fit::Fit;
use iam_refine::engine::refine::{refine, Options};
use iam_refine::input::policy::{self, Effect, Policy};
use iam_refine::model::catalog::ActionSet;
use iam_refine::model::size;
use proptest::prelude::*;
use std::collections::HashMap;

/// Per context (of Allow statements without a principal), what the
/// policy's statements allow together over the catalog.
fn allowed_by_context(case: &Case, policy: &Policy) -> HashMap<String, ActionSet> {
    let mut by_context: HashMap<String, ActionSet> = HashMap::new();
    let allows = policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && !s.has_principal);
    for statement in allows {
        by_context
            .entry(format!("{:?}", statement.context()))
            .or_insert_with(|| case.catalog.empty_set())
            .union_with(&statement.allowed_actions(&case.catalog));
    }
    by_context
}

/// The checks on a fitted result, on allowed sets per context.
fn check_fitted(case: &Case, fitted: &Policy, readmitted: &ActionSet) -> Result<(), String> {
    let before = allowed_by_context(case, &case.policy);
    let after = allowed_by_context(case, fitted);
    let empty = case.catalog.empty_set();
    for (context, now) in &after {
        let was = before.get(context).unwrap_or(&empty);
        let new = minus(now, was);
        if !new.is_empty() {
            return Err(format!(
                "{context}: newly allows {}",
                names(&case.catalog, &new)
            ));
        }
        let unused = minus(&meet(now, &case.unused), readmitted);
        if !unused.is_empty() {
            return Err(format!(
                "{context}: allows unused {} it does not list",
                names(&case.catalog, &unused)
            ));
        }
    }
    for (context, was) in &before {
        let used = minus(was, &case.unused);
        let lost = minus(&used, after.get(context).unwrap_or(&empty));
        if !lost.is_empty() {
            return Err(format!(
                "{context}: lost used {}",
                names(&case.catalog, &lost)
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn fit_fits_or_says_it_cannot_and_never_broadens(spec in case_spec(), share in 0.0f64..1.0) {
        let case = build(&spec);
        let usage = case.usage();
        let exact = size::of(&refine(&case.policy, &usage).document);
        let original = size::of(case.policy.document());
        // From well under the original to the exact size.
        let low = original.min(exact) / 2;
        let cap = low + ((exact.saturating_sub(low)) as f64 * share) as usize;
        let fit = Fit { cap, merge: spec_merges(&spec), exact: false };
        match checked_fit(&case.policy, &usage, Options::default(), fit) {
            Ok(fitted) => {
                let size = size::of(fitted.document());
                prop_assert!(size <= cap, "{size} > {cap}\n{}", case.describe());
                let mut readmitted = case.catalog.empty_set();
                for r in fitted.readmitted() {
                    for &id in &r.actions {
                        readmitted.insert(id);
                    }
                }
                let reread = policy::from_value(fitted.document().clone())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                verdict(check_fitted(&case, &reread, &readmitted), &case)?;
                if exact <= cap {
                    prop_assert!(readmitted.is_empty() && fitted.refined().merged.is_empty());
                }
            }
            Err(FitFailed::TooLarge(too_large)) => {
                prop_assert!(too_large.reached > cap);
                prop_assert!(original > cap, "the original fits ({original} <= {cap}), but --fit gave up at {}\n{}", too_large.reached, case.describe());
            }
            Err(FitFailed::SelfCheck(failed)) => {
                return Err(TestCaseError::fail(format!("{failed}\n{}", case.describe())));
            }
        }
    }
}

/// Half the cases may merge statements, as a policy file does; the others
/// may not, as a template with functions.
fn spec_merges(spec: &crate::generators::CaseSpec) -> bool {
    format!("{spec:?}").len() % 2 == 0
}

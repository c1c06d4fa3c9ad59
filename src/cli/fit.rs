//! `--fit` in the main job: which refinement a policy gets (exact, or
//! brought under its size cap), and what a fitted one says on stderr.

use super::diag;
use super::plan::Plan;
use anyhow::{anyhow, Result};
use iam_refine::engine::checked::{checked, checked_fit, Checked, FitFailed, SelfCheckFailed};
use iam_refine::engine::fit::{Fit, TooLarge};
use iam_refine::error::InputError;
use iam_refine::hosts::Embedded;
use iam_refine::input::findings::Usage;
use iam_refine::input::policy::Policy;
use iam_refine::output::report::{FileReport, Region};

/// Refines and proves `embedded`'s policy as the plan asks: exactly, or
/// with `--fit` under its cap (the host's limit, `--limit`, `--max-size`).
/// `name` names the policy in errors (`FILE`, or `FILE:LINE:COL: PLACE`).
pub(super) fn prove_policy(
    name: &str,
    embedded: &Embedded,
    usage: &Usage,
    plan: &Plan,
) -> Result<Checked> {
    let internal =
        |failed: SelfCheckFailed| anyhow!("{name}: {failed}\nhint: {}", SelfCheckFailed::HINT);
    let Some(cap) = plan.budget.fit_cap(embedded.limit) else {
        return checked(&embedded.policy, usage, plan.options).map_err(internal);
    };
    let fit = Fit {
        cap,
        // Unevaluated parts (a template's functions) cannot move.
        merge: embedded.not_evaluated == 0,
        exact: plan.options.exact,
    };
    checked_fit(&embedded.policy, usage, plan.options, fit).map_err(|failed| match failed {
        FitFailed::TooLarge(too_large) => anyhow!("{name}: {too_large}\nhint: {}", TooLarge::HINT),
        FitFailed::SelfCheck(failed) => internal(failed),
    })
}

/// The warnings of a fitted policy: each statement that re-admits unused
/// actions (`NAME:LINE:COL`, from its report), and a note for each merge,
/// as `describe` renders a place of the policy.
pub(super) fn say_fitted(
    name: &str,
    report: &FileReport,
    policy: &Policy,
    refined: &Checked,
    describe: &dyn Fn(&InputError) -> String,
) {
    for readmitted in &report.readmitted {
        let Region {
            start_line,
            start_column,
            ..
        } = readmitted.region;
        diag::warning(&format!(
            "{name}:{start_line}:{start_column}: {}",
            readmitted.summary()
        ));
    }
    for &(into, from) in &refined.refined().merged {
        let message = format!(
            "--fit merged statement {from} into statement {into} (same Effect, Resource, NotResource and Condition)"
        );
        let at = &policy.statements[from].path;
        diag::note(&describe(&InputError::at(at, message)));
    }
}

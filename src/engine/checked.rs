//! The one checked pipeline: refine, then prove, and only then hand out.
//!
//! [`checked`] refines a policy and verifies the result against the
//! original with the unused set ([`crate::engine::verify`]): no new access,
//! nothing used dropped, nothing unused left. Only when that passes does it
//! make a [`Checked`], and a [`Checked`] is the only thing the writers take:
//! the printed policy ([`Checked::pretty`]), a host's rewrite
//! ([`crate::hosts::Host::rewrite`]), the CI reports
//! ([`crate::output::report::FileReport::new`]) and the account report.
//! Its fields are private and it has no other constructor, so "nothing
//! unverified is ever written" is a fact of the types:
//!
//! ```compile_fail
//! use iam_refine::engine::checked::Checked;
//! use iam_refine::engine::refine::{refine, Refined};
//! // A refinement made (or broadened) by hand cannot pass for a checked one.
//! fn forge(refined: Refined) -> Checked {
//!     Checked { refined }
//! }
//! ```

use crate::engine::fit::{self, Fit, TooLarge};
use crate::engine::refine::{refine_with, EntryChange, Options, Readmission, Refined};
use crate::engine::verify;
use crate::error::InputError;
use crate::input::findings::Usage;
use crate::input::policy::{self, Edit, Policy};
use crate::json::Value;
use crate::model::catalog::ActionSet;
use std::fmt;

/// A refinement that passed the self-check. See the module documentation.
#[derive(Debug, Clone)]
pub struct Checked {
    refined: Refined,
}

/// The self-check failed: refine made a result it cannot prove. This is a
/// bug in refine, never in the input; nothing may be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfCheckFailed {
    /// The first reason, as `verify` describes it.
    pub reason: String,
}

impl fmt::Display for SelfCheckFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "internal check failed: {}", self.reason)
    }
}

impl std::error::Error for SelfCheckFailed {}

impl SelfCheckFailed {
    /// What to tell the user.
    pub const HINT: &'static str =
        "this is a bug in refine: nothing was written; please report it with the policy and findings";
}

/// Refines `policy` against `usage` and proves the result; the only way to
/// a [`Checked`].
pub fn checked(
    policy: &Policy,
    usage: &Usage,
    options: Options,
) -> Result<Checked, SelfCheckFailed> {
    let refined = refine_with(policy, usage, options);
    prove(policy, &refined, usage)?;
    Ok(Checked { refined })
}

/// Why [`checked_fit`] made no [`Checked`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FitFailed {
    /// The policy cannot be brought under its cap: an input problem.
    TooLarge(TooLarge),
    /// The result could not be proved: a bug in refine.
    SelfCheck(SelfCheckFailed),
}

/// [`checked`], brought under `fit`'s cap when the exact refinement is over
/// it ([`crate::engine::fit`]). The proof then tolerates exactly the unused
/// actions the result lists as re-admitted, and checks the rest as for an
/// exact refinement: nothing new granted, nothing used dropped.
pub fn checked_fit(
    policy: &Policy,
    usage: &Usage,
    options: Options,
    fit: Fit,
) -> Result<Checked, FitFailed> {
    let exact = refine_with(policy, usage, options);
    let refined = fit::fit(policy, exact, usage, fit).map_err(FitFailed::TooLarge)?;
    let mut tolerated = usage.catalog.empty_set();
    for readmission in &refined.readmitted {
        for &id in &readmission.actions {
            tolerated.insert(id);
        }
    }
    prove_tolerating(policy, &refined, usage, Some(&tolerated)).map_err(FitFailed::SelfCheck)?;
    Ok(Checked { refined })
}

/// Verifies `refined` against `policy` with `usage`: it must read back as a
/// policy and pass [`verify::verify`] with the unused set.
pub fn prove(policy: &Policy, refined: &Refined, usage: &Usage) -> Result<(), SelfCheckFailed> {
    prove_tolerating(policy, refined, usage, None)
}

/// [`prove`], a refined statement allowed to keep the unused actions of
/// `tolerated`.
fn prove_tolerating(
    policy: &Policy,
    refined: &Refined,
    usage: &Usage,
    tolerated: Option<&ActionSet>,
) -> Result<(), SelfCheckFailed> {
    let reread = policy::from_value(refined.document.clone()).map_err(|err: InputError| {
        SelfCheckFailed {
            reason: format!("the refined document does not read back: {err}"),
        }
    })?;
    match verify::verify_tolerating(policy, &reread, Some(usage), tolerated).first() {
        Some(reason) => Err(SelfCheckFailed {
            reason: reason.describe(),
        }),
        None => Ok(()),
    }
}

impl Checked {
    /// The refinement, to read.
    pub fn refined(&self) -> &Refined {
        &self.refined
    }

    /// The refined document.
    pub fn document(&self) -> &Value {
        &self.refined.document
    }

    /// Per statement of the original: `None` if unchanged, else the edit.
    pub fn edits(&self) -> &[Option<Edit>] {
        &self.refined.edits
    }

    /// Every entry that grants unused actions, and what became of it.
    pub fn changes(&self) -> &[EntryChange] {
        &self.refined.changes
    }

    /// Whether refinement changed anything.
    pub fn changed(&self) -> bool {
        self.refined.changed()
    }

    /// The unused actions `--fit` re-admitted, per statement.
    pub fn readmitted(&self) -> &[Readmission] {
        &self.refined.readmitted
    }

    /// Whether the refined policy allows nothing the original allowed.
    pub fn grants_nothing(&self) -> bool {
        self.refined.grants_nothing
    }

    /// The refined policy as refine prints it: pretty JSON, numbers as
    /// the input spelled them.
    pub fn pretty(&self) -> String {
        policy::to_pretty(&self.refined.document)
    }

    /// The refined policy, compact (for a document inside a report).
    pub fn compact(&self) -> String {
        crate::json::write::compact(&self.refined.document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::findings;
    use crate::model::catalog::Catalog;

    /// The proof refuses a refinement that grants something new, and one
    /// that keeps something unused; `checked` passes refine's own.
    #[test]
    fn a_broadened_or_lazy_result_is_refused() {
        let catalog = Catalog::bundled();
        let original = policy::parse(r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}"#).unwrap();
        let resolved = findings::parse(r#"["s3:PutObject"]"#)
            .unwrap()
            .resolve(&catalog);
        let usage = resolved.usage();
        let good = checked(&original, &usage, Options::default()).unwrap();
        assert!(good.pretty().contains("\"s3:GetObject\""));
        let mut refined = refine_with(&original, &usage, Options::default());
        let with_actions = |actions: serde_json::Value| {
            let mut document = serde_json::Value::from(original.document());
            document["Statement"][0]["Action"] = actions;
            Value::from(&document)
        };
        refined.document = with_actions(serde_json::json!(["s3:Get*"]));
        let err = prove(&original, &refined, &usage).unwrap_err();
        assert_eq!(
            err.to_string(),
            "internal check failed: refined statement 0: \"s3:Get*\" allows s3:Get, which the original does not [new-access]"
        );
        refined.document = with_actions(serde_json::json!(["s3:GetObject", "s3:PutObject"]));
        let err = prove(&original, &refined, &usage).unwrap_err();
        assert!(
            err.reason
                .contains("still allows s3:PutObject, which is unused [unused-allowed]"),
            "{err}"
        );
    }
}

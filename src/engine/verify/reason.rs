//! Why a check failed: the kinds of failure, and their text and JSON.

use crate::error::{escape, quote};
use crate::input::policy::Statement;
use serde_json::{json, Value};

/// What kind of failure a [`Reason`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The refined statement allows an action string the original does not.
    NewAccess,
    /// No original Allow statement has the refined statement's context.
    UnmatchedStatement,
    /// An original Deny statement is missing or changed.
    DenyChanged,
    /// A used action the original allowed is no longer allowed.
    UsedDropped,
    /// A Deny the original did not have denies a used action.
    UsedDenied,
    /// A refined statement still allows an unused action.
    UnusedAllowed,
    /// The policy language Version changed, which changes what `${...}`
    /// in Resource and Condition means.
    VersionChanged,
    /// An entry the catalog does not know was dropped: it may grant
    /// something used that nobody has heard of.
    UnknownDropped,
    /// A statement that granted services newer than the catalog (`*`,
    /// NotAction, a wildcard service part) no longer grants them, although
    /// the input may be newer than the catalog: one of them may be in use.
    NewServicesDropped,
    /// The globs are too complex to decide; treated as a failure.
    Undecided,
}

impl Kind {
    /// The name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NewAccess => "new-access",
            Kind::UnmatchedStatement => "unmatched-statement",
            Kind::DenyChanged => "deny-changed",
            Kind::UsedDropped => "used-dropped",
            Kind::UsedDenied => "used-denied",
            Kind::UnusedAllowed => "unused-allowed",
            Kind::VersionChanged => "version-changed",
            Kind::UnknownDropped => "unknown-dropped",
            Kind::NewServicesDropped => "new-services-dropped",
            Kind::Undecided => "undecided",
        }
    }
}

/// Which of the two policies a [`Reason`]'s statement is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The policy before refinement.
    Original,
    /// The policy after refinement.
    Refined,
}

impl Side {
    /// The name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Original => "original",
            Side::Refined => "refined",
        }
    }
}

/// One reason a check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// What failed.
    pub kind: Kind,
    /// Which policy `statement` refers to.
    pub side: Side,
    /// The statement's index in that policy.
    pub index: usize,
    /// The statement's Sid, if it has one.
    pub sid: Option<String>,
    /// The offending entry (or element name, e.g. `NotAction`).
    pub entry: String,
    /// A concrete action string that shows the failure.
    pub witness: String,
    /// For new access, when a catalog was at hand: whether the witness is
    /// an action the catalog has (`Some(false)`: a name AWS does not have,
    /// or not yet, which the entry would allow if AWS added it).
    pub witness_in_catalog: Option<bool>,
}

impl Reason {
    pub(super) fn new(
        kind: Kind,
        side: Side,
        statement: &Statement,
        entry: &str,
        witness: String,
    ) -> Reason {
        Reason {
            kind,
            side,
            index: statement.index,
            sid: statement.sid.clone().filter(|sid| !sid.is_empty()),
            entry: entry.to_string(),
            witness,
            witness_in_catalog: None,
        }
    }

    /// One line for people, e.g. `refined statement 1 (Sid S3): "s3:Get*"
    /// allows s3:GetZ, which the original does not [new-access]`.
    pub fn describe(&self) -> String {
        let side = self.side.as_str();
        let sid = self
            .sid
            .as_ref()
            .map(|sid| format!(" (Sid {})", escape(sid)))
            .unwrap_or_default();
        let what = match self.kind {
            Kind::NewAccess => format!(
                "allows {}, which the original does not{}",
                self.witness,
                match self.witness_in_catalog {
                    Some(false) => " (no action has this name yet; AWS could add one)",
                    _ => "",
                }
            ),
            Kind::UnmatchedStatement => format!(
                "allows {}, and no original Allow statement has the same Effect, Resource, NotResource, Condition, Principal and NotPrincipal",
                self.witness
            ),
            Kind::DenyChanged => format!("is missing or changed in the refined policy (it denied {})", self.witness),
            Kind::UsedDropped => format!("allowed {}, which is used, and the refined policy does not", self.witness),
            Kind::UsedDenied => format!(
                "denies {}, which is used, and the original has no such Deny",
                self.witness
            ),
            Kind::UnusedAllowed => format!("still allows {}, which is unused", self.witness),
            Kind::VersionChanged => format!(
                "has Version {} in the refined policy, and policy variables would change meaning",
                self.witness
            ),
            Kind::UnknownDropped => format!(
                "is not in the catalog, so what it grants may be used, and the refined policy drops it ({})",
                self.witness
            ),
            Kind::NewServicesDropped => format!(
                "grants services newer than the catalog ({}, say), which may be used, and the refined policy does not",
                self.witness
            ),
            Kind::Undecided => format!("is too complex to compare exactly ({})", self.witness),
        };
        format!(
            "{side} statement {}{sid}: {} {what} [{}]",
            self.index,
            quote(&self.entry),
            self.kind.as_str()
        )
    }

    /// The reason as JSON: `{statement, entry, witness, kind}`, plus `side`
    /// and a human `message`. `statement` is the Sid if there is one, else
    /// the index.
    pub fn to_json(&self) -> Value {
        let statement = match &self.sid {
            Some(sid) => json!(sid),
            None => json!(self.index),
        };
        let side = self.side.as_str();
        json!({
            "statement": statement,
            "entry": self.entry,
            "witness": self.witness,
            "witness_in_catalog": self.witness_in_catalog,
            "kind": self.kind.as_str(),
            "side": side,
            "message": self.describe(),
        })
    }
}

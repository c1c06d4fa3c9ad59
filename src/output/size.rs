//! IAM's size limits on policies.
//!
//! Splitting a wildcard into the prefixes that are still needed can make a
//! policy longer, and a policy over its limit cannot be saved. IAM counts
//! the characters of a document without whitespace: a managed policy may
//! have 6,144; all inline policies of one role together 10,240, of a user
//! 2,048, of a group 5,120.

use crate::input::policy::Owner;
use crate::json::{self, Value};

/// The most characters a managed policy may have.
pub const MANAGED: usize = 6_144;

/// The most characters all inline policies of one principal may have.
pub fn inline_limit(owner: Owner) -> usize {
    match owner {
        Owner::Role => 10_240,
        Owner::User => 2_048,
        Owner::Group => 5_120,
    }
}

/// Which of IAM's size limits applies to a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A managed policy's own size.
    Managed,
    /// The total of all inline policies of one principal of this kind.
    Inline(Owner),
}

impl Limit {
    /// The most characters the limit allows.
    pub fn chars(self) -> usize {
        match self {
            Limit::Managed => MANAGED,
            Limit::Inline(owner) => inline_limit(owner),
        }
    }

    /// What the limit is for, for messages: "a managed policy", "a role's
    /// inline policies".
    pub fn describe(self) -> &'static str {
        match self {
            Limit::Managed => "a managed policy",
            Limit::Inline(Owner::Role) => "a role's inline policies",
            Limit::Inline(Owner::User) => "a user's inline policies",
            Limit::Inline(Owner::Group) => "a group's inline policies",
        }
    }
}

/// The warning for a changed policy over `limit`, if it is (for an inline
/// policy, this one alone: its owner's other inline policies add to it).
pub fn over_limit(limit: Limit, document: &Value) -> Option<String> {
    let size = of(document);
    (size > limit.chars()).then(|| {
        format!(
            "the refined policy has {size} characters, over IAM's limit of {} for {}",
            limit.chars(),
            limit.describe()
        )
    })
}

/// A document's size as IAM counts it: its characters, whitespace left out.
pub fn of(document: &Value) -> usize {
    let text = json::write::compact(document);
    text.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_does_not_count() {
        let document = Value::from(
            &serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "s3:Get Object"}]}),
        );
        // {"Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]} is 58 characters.
        assert_eq!(of(&document), 58);
        assert_eq!(inline_limit(Owner::User), 2_048);
    }
}

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

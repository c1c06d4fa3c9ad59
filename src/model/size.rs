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

/// The size a refined policy must fit: IAM's limit that applies (the
/// host's, or `--limit`'s), lowered by `--max-size` to leave room for later
/// edits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    /// `--limit`: the limit that applies, overriding the host's.
    pub limit: Option<Limit>,
    /// `--limit N`: a number of characters instead.
    pub chars: Option<usize>,
    /// `--max-size N`.
    pub max: Option<usize>,
    /// `--fit`: bring a refined policy over the budget under it.
    pub fit: bool,
}

impl Budget {
    /// The most characters a policy whose host names `host`'s limit may
    /// have, and what sets it, for messages; `None` when nothing does.
    pub fn cap(&self, host: Option<Limit>) -> Option<(usize, String)> {
        let limit = self.limit.or(host);
        let limit = match (self.chars, limit) {
            (Some(n), _) => Some((n, format!("--limit {n}"))),
            (None, Some(limit)) => Some((
                limit.chars(),
                format!("IAM's limit of {} for {}", limit.chars(), limit.describe()),
            )),
            (None, None) => None,
        };
        match (limit, self.max) {
            (Some((cap, _)), Some(max)) | (None, Some(max @ cap)) if max <= cap => {
                Some((max, format!("--max-size {max}")))
            }
            (limit, _) => limit,
        }
    }

    /// The cap `--fit` brings a policy under, when it is asked: the
    /// [`cap`](Budget::cap), or a managed policy's limit when neither the
    /// host nor the arguments name one (a policy file alone does not say
    /// how it is attached; a managed policy is the common case and the
    /// README says so).
    pub fn fit_cap(&self, host: Option<Limit>) -> Option<usize> {
        self.fit
            .then(|| self.cap(host).map_or(MANAGED, |(cap, _)| cap))
    }

    /// The warning for a changed policy over its budget (the host naming
    /// `host`'s limit), if it is: none when no limit is known.
    pub fn over(&self, host: Option<Limit>, document: &Value) -> Option<String> {
        let (cap, what) = self.cap(host)?;
        let size = of(document);
        (size > cap).then(|| format!("the refined policy has {size} characters, over {what}"))
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

    #[test]
    fn a_budget_is_the_smaller_of_the_limit_and_max_size() {
        let document = Value::from(
            &serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}),
        );
        let none = Budget::default();
        assert_eq!(none.over(None, &document), None);
        assert_eq!(none.over(Some(Limit::Managed), &document), None);
        let tight = Budget {
            max: Some(50),
            ..Budget::default()
        };
        assert_eq!(
            tight.over(Some(Limit::Managed), &document).as_deref(),
            Some("the refined policy has 58 characters, over --max-size 50")
        );
        let chars = Budget {
            chars: Some(57),
            ..Budget::default()
        };
        assert_eq!(
            chars.over(None, &document).as_deref(),
            Some("the refined policy has 58 characters, over --limit 57")
        );
        let user = Budget {
            limit: Some(Limit::Inline(Owner::User)),
            max: Some(1_000),
            ..Budget::default()
        };
        assert_eq!(user.over(Some(Limit::Managed), &document), None);
    }
}

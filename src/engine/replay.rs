//! Replay: would these policies have allowed what the principal actually
//! did? `refine replay`.
//!
//! Every call a principal made (CloudTrail, read as `--cloudtrail` reads
//! it) is decided against a set of policies at the level of actions: the
//! union of their `Allow` statements minus the union of their `Deny`
//! statements. Resource, NotResource and Condition are not evaluated, so
//! the answer is in three parts:
//!
//! * **denied**: no `Allow` statement matches the action (an implicit
//!   deny), or a `Deny` statement that applies to every resource without
//!   a condition matches it (an explicit deny). Either is certain at the
//!   action level: a call to such an action fails whatever its resource.
//! * **allowed**: some `Allow` statement matches and no such `Deny` does.
//! * **unproven**: the calls allowed only through statements with a
//!   `Resource` other than `*`, a `NotResource` or a `Condition`, and the
//!   conditional `Deny` statements that match allowed calls. Replay did
//!   not decide those parts; the report names the statements.
//!
//! Actions are matched by name (glob against `service:Name`, ignoring
//! case), so an action newer than the catalog is decided like any other.

use crate::input::policy::{ActionKey, Effect, Policy, Statement, CONTEXT_KEYS};
use crate::json::{Kind, Value};

/// Actions AWS serves without a permission, whatever the policies say
/// (even an explicit Deny): `sts:GetCallerIdentity` ("No permissions are
/// required to perform this operation", and a Deny does not apply).
pub const NO_PERMISSION: &[&str] = &["sts:GetCallerIdentity"];

/// One statement, named for reports: its policy's name and its label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatementName {
    /// The policy, as the caller named it (a file, a role's policy).
    pub policy: String,
    /// The statement's label (`statement 1 (Sid S3Read)`).
    pub label: String,
}

/// How the policies decide one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed. `depends_on` lists the allowing statements when none of
    /// them applies to every resource without a condition (empty when one
    /// does); `may_deny`, the conditional Deny statements that match.
    Allowed {
        /// The statements whose Resource or Condition the calls depend on.
        depends_on: Vec<StatementName>,
        /// Deny statements that match, whose Resource or Condition replay
        /// did not evaluate.
        may_deny: Vec<StatementName>,
    },
    /// No Allow statement matches.
    NotAllowed,
    /// An unconditional Deny statement matches.
    Denied {
        /// The Deny statements.
        by: Vec<StatementName>,
    },
}

impl Verdict {
    /// Whether the calls would be refused.
    pub fn denies(&self) -> bool {
        !matches!(self, Verdict::Allowed { .. })
    }
}

/// The policies a principal holds, named.
pub struct Policies<'p> {
    policies: &'p [(String, Policy)],
}

impl<'p> Policies<'p> {
    /// The union of `policies`' statements.
    pub fn new(policies: &'p [(String, Policy)]) -> Policies<'p> {
        Policies { policies }
    }

    /// How the policies decide `service:name`.
    pub fn decide(&self, service: &str, name: &str) -> Verdict {
        let action = format!("{service}:{name}");
        if NO_PERMISSION
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&action))
        {
            return Verdict::Allowed {
                depends_on: Vec::new(),
                may_deny: Vec::new(),
            };
        }
        let mut allows = Vec::new();
        let mut unconditional_allow = false;
        let mut denies = Vec::new();
        let mut may_deny = Vec::new();
        for (policy, document) in self.policies {
            for statement in document.statements.iter().filter(|s| applies(s, &action)) {
                let named = StatementName {
                    policy: policy.clone(),
                    label: statement.label(),
                };
                let everywhere = unconditional(statement);
                match (statement.effect, everywhere) {
                    (Effect::Allow, _) => {
                        unconditional_allow |= everywhere;
                        allows.push(named);
                    }
                    (Effect::Deny, true) => denies.push(named),
                    (Effect::Deny, false) => may_deny.push(named),
                }
            }
        }
        if !denies.is_empty() {
            return Verdict::Denied { by: denies };
        }
        if allows.is_empty() {
            return Verdict::NotAllowed;
        }
        Verdict::Allowed {
            depends_on: if unconditional_allow {
                Vec::new()
            } else {
                allows
            },
            may_deny,
        }
    }
}

/// Whether the statement's Action or NotAction covers `action`
/// (`service:Name`).
fn applies(statement: &Statement, action: &str) -> bool {
    let listed = statement.entries.iter().any(|glob| glob.matches(action));
    match statement.key {
        ActionKey::Action => listed,
        ActionKey::NotAction => !listed,
    }
}

/// Whether a statement applies to every resource without a condition:
/// `Resource` is `*` (or a list holding it), and there is no `NotResource`
/// and no `Condition`.
fn unconditional(statement: &Statement) -> bool {
    let member = |key: &str| {
        CONTEXT_KEYS
            .iter()
            .position(|k| *k == key)
            .and_then(|i| statement.context_members.get(i))
            .and_then(Option::as_ref)
    };
    let star = |value: &Value| match &value.kind {
        Kind::String(s) => s == "*",
        Kind::Array(items) => items.iter().any(|v| v.as_str() == Some("*")),
        _ => false,
    };
    member("Resource").is_some_and(star)
        && member("NotResource").is_none()
        && member("Condition").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::policy;

    fn policies(text: &str) -> Vec<(String, Policy)> {
        vec![("p.json".to_string(), policy::parse(text).unwrap())]
    }

    #[test]
    fn allow_minus_deny_at_the_action_level() {
        let held = policies(
            r#"{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
                {"Sid": "Bucket", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
                {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObjectAcl", "Resource": "*"},
                {"Sid": "Tagged", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:ResourceTag/x": "y"}}},
                {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
            ]}"#,
        );
        let decide = |action: &str| {
            let (service, name) = action.split_once(':').unwrap();
            Policies::new(&held).decide(service, name)
        };
        let label = |l: &str| StatementName {
            policy: "p.json".into(),
            label: l.into(),
        };
        assert_eq!(
            decide("s3:GetBucketAcl"),
            Verdict::Allowed {
                depends_on: vec![],
                may_deny: vec![]
            }
        );
        assert_eq!(
            decide("S3:GETOBJECTACL"),
            Verdict::Denied {
                by: vec![label("statement 2 (Sid NoSecrets)")]
            }
        );
        assert_eq!(decide("iam:PassRole"), Verdict::NotAllowed);
        // Allowed only where its Resource says: depends on the statement,
        // and on the NotAction statement's Condition.
        assert_eq!(
            decide("s3:PutObject"),
            Verdict::Allowed {
                depends_on: vec![label("statement 1 (Sid Bucket)"), label("statement 4")],
                may_deny: vec![]
            }
        );
        assert_eq!(
            decide("s3:GetObject"),
            Verdict::Allowed {
                depends_on: vec![],
                may_deny: vec![label("statement 3 (Sid Tagged)")]
            }
        );
        // What needs no permission is served whatever the policies say.
        assert!(!decide("sts:GetCallerIdentity").denies());
        // An action newer than any catalog is decided by name.
        assert!(matches!(
            decide("s3:GetSomethingNew2031"),
            Verdict::Allowed { .. }
        ));
        assert!(decide("iam:CreateUser").denies());
    }
}

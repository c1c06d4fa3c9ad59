//! The auth-details host: a policy document in a record of
//! `aws iam get-account-authorization-details` output.
//!
//! An account's records are read streaming ([`crate::input::account`]),
//! each document as the raw JSON text the file holds: a JSON object, or a
//! string of (URL-encoded) JSON, as the raw API returns it. Refined
//! documents go into the account report; the record itself is never
//! rewritten, so this host reads and locates but does not write.

use super::json_file::decode_document;
use super::{Embedded, Host, RewriteError, Rewritten};
use crate::engine::checked::Checked;
use crate::error::{InputError, JsonPath};
use crate::input::policy::{self, ActionKey};
use crate::json::{self, Span, Value};
use crate::model::size::Limit;

/// One record's document.
#[derive(Debug, Clone)]
pub struct Record<'t> {
    text: &'t str,
    tree: Value,
    embedded: [Embedded; 1],
}

impl<'t> Record<'t> {
    /// Reads the document `text` holds (the record's raw JSON), which the
    /// `limit` applies to.
    pub fn read(text: &'t str, limit: Limit) -> Result<Record<'t>, InputError> {
        let tree = json::read(text, "an IAM policy document")?;
        let document = match tree.as_str() {
            Some(encoded) => decode_document(encoded, &JsonPath::root())?.0,
            None => tree.clone(),
        };
        let policy = policy::from_document(document, JsonPath::root())?;
        Ok(Record {
            text,
            tree,
            embedded: [Embedded {
                policy,
                owners: Vec::new(),
                limit: Some(limit),
                place: None,
                not_evaluated: 0,
            }],
        })
    }

    /// The policy the record holds.
    pub fn policy(&self) -> &policy::Policy {
        &self.embedded[0].policy
    }
}

impl Host for Record<'_> {
    fn text(&self) -> &str {
        self.text
    }

    fn policies(&self) -> &[Embedded] {
        &self.embedded
    }

    fn locate(&self, path: &JsonPath) -> Span {
        self.tree.deepest(path).span
    }

    fn element(&self, _statement: &JsonPath, _key: ActionKey) -> Option<(Span, Span)> {
        None
    }

    fn rewrite(&self, _refined: &[Option<&Checked>]) -> Result<Rewritten, RewriteError> {
        Err(RewriteError::new(
            "an account's records are reported, not rewritten",
        ))
    }
}

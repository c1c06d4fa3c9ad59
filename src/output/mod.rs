//! Outputs: unified diffs ([`diff`]), the CI reports ([`report`]) and the
//! account report ([`account`]). IAM's size rules live in the model
//! ([`size`], re-exported here), since fitting a policy to them is the
//! engine's work.

pub mod account;
pub mod diff;
pub mod drift;
pub mod report;
pub use crate::model::size;

//! Inputs: what refine reads besides the catalog, each into the model the
//! engine works on.
//!
//! * [`policy`]: the policy document model — statements, effects, action
//!   entries as globs — built from a JSON tree wherever the document lives
//!   (see [`crate::hosts`]);
//! * [`findings`]: unused-access findings, and the unused set over a
//!   catalog with what is known beyond it;
//! * [`usage`]: the other sources of use: used-action lists and IAM's
//!   service-last-accessed data;
//! * [`cloudtrail`]: CloudTrail logs, streamed;
//! * [`account`]: `get-account-authorization-details` output, streamed;
//! * [`stack`]: `describe-stack-resources` output, for template owners;
//! * [`tf_state`]: `terraform show -json` output of a state or a saved
//!   plan, for Terraform owners;
//! * [`time`]: the timestamps and durations those carry.

pub mod account;
pub mod cloudtrail;
pub mod findings;
pub mod owners;
pub mod policy;
pub mod stack;
pub mod tf_state;
pub mod time;
pub mod usage;

//! Outputs: unified diffs ([`diff`]), IAM's size rules ([`size`]), the CI
//! reports ([`report`]) and the account report ([`account`]).

pub mod account;
pub mod diff;
pub mod report;
pub mod size;

//! The model refinement reasons over: every IAM action ([`catalog`]), the
//! globs policies write ([`pattern`], decided exactly as languages), and
//! how action names split into words ([`words`]), and IAM's size limits
//! ([`size`]).

pub mod catalog;
pub mod fasthash;
pub mod pattern;
pub mod principal;
pub mod size;
pub mod words;

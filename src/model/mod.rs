//! The model refinement reasons over: every IAM action ([`catalog`]), the
//! globs policies write ([`pattern`], decided exactly as languages), and
//! how action names split into words ([`words`]).

pub mod catalog;
pub mod pattern;
pub mod principal;
pub mod words;

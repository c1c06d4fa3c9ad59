//! `iam-refine`: remove unused permissions from AWS IAM policies, offline.
//!
//! Data flows one way, and the folders are the layers:
//!
//! * [`json`] reads every JSON input once, into a tree that keeps where
//!   each value is and how its numbers are spelled, and writes trees back;
//! * [`yaml`] reads CloudFormation's YAML into the same tree;
//! * [`hosts`] are where a policy lives (a JSON file, the API's wrappers, a
//!   string inside another document, an account's authorization details, a
//!   CloudFormation or SAM template):
//!   each yields its embedded policies and takes back checked refinements
//!   as splices that keep every other byte;
//! * [`input`] reads the rest: the policy model ([`input::policy`]),
//!   findings and what they say beyond the catalog ([`input::findings`],
//!   one principal's or many), used lists, last-accessed data, CloudTrail
//!   logs, account details, the owners manifest ([`input::owners`]);
//! * [`model`] is what refinement reasons over: the catalog of every IAM
//!   action, action globs decided exactly as languages, principals;
//! * [`engine`] refines and proves: [`engine::checked::checked`] is the
//!   only way to the [`engine::checked::Checked`] value every writer takes,
//!   so nothing unverified is printed or written; [`engine::resolve`] says
//!   whom a repository policy belongs to, and [`engine::owners`] what its
//!   owners leave unused together;
//! * [`output`] renders: diffs, IAM's size rules, the CI reports and the
//!   account report.
//!
//! Errors are typed ([`error::InputError`] says what is wrong with an input
//! and where; internal failures have their own types). The binary `refine`
//! (`src/main.rs` and its `cli` module) turns arguments into a validated
//! plan, reads files, calls these, and prints; it decides nothing about
//! policies.

pub mod engine;
pub mod error;
pub mod hosts;
pub mod input;
pub mod json;
pub mod model;
pub mod output;
pub mod yaml;

//! `iam-refine`: remove unused permissions from AWS IAM policies, offline.
//!
//! Data flows one way through the modules:
//!
//! * inputs: [`policy`] reads policy documents, [`findings`] reads
//!   unused-access findings, [`catalog`] knows every IAM action;
//! * model: [`pattern`] (action globs, exact containment) and [`words`];
//! * refinement: [`refine`] decides each statement, using [`cover`] to write
//!   the shortest safe word prefixes;
//! * output: [`diff`] for unified diffs, [`json`] and [`error`] to say
//!   exactly where in a file something is wrong.
//!
//! The binary `refine` (src/main.rs and its `cli` module) only reads arguments and
//! files, calls these, and prints.

pub mod account;
pub mod canon;
pub mod catalog;
pub mod cloudtrail;
pub mod cover;
pub mod diff;
pub mod error;
pub mod findings;
pub mod json;
pub mod pattern;
pub mod policy;
pub mod refine;
pub mod report;
pub mod rewrite;
pub mod size;

pub mod time;
pub mod usage;
pub mod verify;
pub mod words;

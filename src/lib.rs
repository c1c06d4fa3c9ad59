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

pub mod engine;
pub mod error;
pub mod hosts;
pub mod input;
pub mod json;
pub mod model;
pub mod output;

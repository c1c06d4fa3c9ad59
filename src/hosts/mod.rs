//! Hosts: where a policy document lives, and how it is written back.

pub mod rewrite;

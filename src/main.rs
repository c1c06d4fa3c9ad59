//! `refine`: remove unused permissions from AWS IAM policies, offline.
//!
//! All the work is in the `iam_refine` library; the `cli` module reads
//! arguments and files and prints.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

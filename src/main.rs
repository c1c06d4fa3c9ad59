//! `refine`: remove unused permissions from AWS IAM policies, offline.
//!
//! All the work is in the `iam_refine` library; the `cli` module reads
//! arguments and files and prints.

mod cli;

/// mimalloc instead of the system allocator: refinement makes many small,
/// short-lived allocations (entry texts, globs, action sets), and with
/// glibc's allocator a corpus run spent a quarter of its time in malloc
/// and free; with mimalloc, under a tenth.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}

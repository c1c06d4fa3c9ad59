//! What the integration tests share: where the fixtures are, and running
//! the real binary. (A directory module, so Cargo does not take it for a
//! test of its own.)

#![allow(dead_code)] // each test file uses the part it needs

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// `fixtures/PATH` in the source tree.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// Runs a prepared `refine` command; returns (exit code, stdout, stderr).
pub fn outcome(command: &mut Command) -> (i32, String, String) {
    let output = command.output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        output.status.code().unwrap(),
        text(output.stdout),
        text(output.stderr),
    )
}

/// The `refine` binary of this build.
pub fn refine() -> Command {
    Command::cargo_bin("refine").unwrap()
}

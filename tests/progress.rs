//! The progress bar, seen in a real terminal: `refine account` on a
//! large account run in tmux shows a bar with counts and an ETA on stderr,
//! and leaves nothing of it behind. (Without a terminal, every other test
//! compares stderr exactly: no bar there.) Skipped, with a note, where
//! tmux is not installed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> Option<String> {
    let out = Command::new("tmux").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn account_mode_shows_a_progress_bar_on_a_terminal() {
    if tmux(&["-V"]).is_none() {
        eprintln!("note: tmux is not installed: the progress bar is not checked");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let roles = (0..8_000)
        .map(|i| common::role_with_inline(i, json!(["s3:*", "sqs:*"])))
        .collect();
    let findings = (0..8_000)
        .map(|i| {
            common::unused_finding(
                i,
                json!([{"unusedPermissionDetails": {"serviceNamespace": "s3",
                "actions": [{"action": "DeleteBucket"}, {"action": "GetObjectAcl"}]}}]),
            )
        })
        .collect();
    let (details, findings_path) = common::write_account(dir.path(), roles, findings);
    let refine = assert_cmd::cargo::cargo_bin("refine");
    let out = dir.path().join("report.json");
    let session = format!("refine-progress-{}", std::process::id());
    let command = format!(
        "{} account {} {} -o {}; echo done; sleep 30",
        refine.display(),
        details.display(),
        findings_path.display(),
        out.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "150",
        "-y",
        "10",
        &command,
    ])
    .unwrap();
    let started = Instant::now();
    let (mut bar, mut done) = (None, String::new());
    while started.elapsed() < Duration::from_secs(120) {
        let screen = tmux(&["capture-pane", "-p", "-t", &session]).unwrap_or_default();
        // The bar once it counts (before, while the details are read, a
        // spinner says what is being done).
        if let Some(line) = screen
            .lines()
            .find(|l| l.starts_with("refining the account's policies [") && l.contains("/8,000 ("))
        {
            bar = Some(line.to_string());
        }
        if screen.lines().any(|l| l == "done") {
            done = screen;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux(&["kill-session", "-t", &session]);
    let bar = bar.expect("a progress bar while refining");
    assert!(bar.contains("/8,000 (") && bar.ends_with(" left)"), "{bar}");
    assert!(!done.contains("refining the account's policies"), "{done}");
    assert!(out.is_file());
}

//! Refining a repository: a directory of policy files, as one diff or in
//! place, every unchanged byte kept.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

/// A copy of fixtures/tree in a temporary directory (symbolic links kept),
/// so tests can rewrite it.
fn tree_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let source = common::fixture("tree");
    let status = Process::new("cp")
        .arg("-a")
        .arg(&source)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let root = dir.path().join("tree");
    (dir, root)
}

/// Runs refine in `cwd`; returns (exit code, stdout, stderr).
fn refine(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    common::outcome(common::refine().args(args).current_dir(cwd))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// What a walk of the tree says it skipped: symbolic links always; files
/// that are not policies only with `-v`.
const SKIPPED: &str = "note: policies/nested/link.json: a symbolic link: skipped (use --follow)
note: policies/nested/loop: a symbolic link: skipped (use --follow)
";
const SKIPPED_VERBOSE: &str =
    "note: policies/nested/link.json: a symbolic link: skipped (use --follow)
note: policies/nested/loop: a symbolic link: skipped (use --follow)
note: policies/nested/notes.json: not JSON: skipped
note: policies/package.json: not a policy document: skipped
";

#[test]
fn the_tree_diff_applies_with_git_and_equals_the_in_place_rewrite() {
    let (_dir, root) = tree_copy();
    let (code, diff, stderr) = refine(&root, &["policies", "findings.json", "--diff"]);
    assert_eq!(code, 2, "bad.json fails, the rest is processed");
    assert_eq!(
        stderr,
        format!(
            "error: policies/nested/bad.json:3:28: Statement[0].Effect: Effect must be \"Allow\" or \"Deny\" (case-sensitive), found \"allow\"\n{SKIPPED}error: 1 file failed\n"
        )
    );
    let headers: Vec<&str> = diff.lines().filter(|l| l.starts_with("+++ ")).collect();
    assert_eq!(
        headers,
        [
            "+++ b/policies/nested/minified.json",
            "+++ b/policies/nested/tabs.json",
            "+++ b/policies/seed.json"
        ]
    );
    // git apply accepts it, and applying it gives what --in-place writes.
    let patch = root.join("../tree.patch");
    std::fs::write(&patch, &diff).unwrap();
    let git = |args: &[&str]| {
        Process::new("git")
            .args(args)
            .current_dir(&root)
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q", "."]).status.success());
    let check = git(&["apply", "--check", patch.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let (_copy, other) = tree_copy();
    assert!(git(&["apply", patch.to_str().unwrap()]).status.success());
    // With bad.json there, --in-place rewrites nothing; without, the rest.
    std::fs::remove_file(other.join("policies/nested/bad.json")).unwrap();
    let (code, stdout, _) = refine(&other, &["policies", "findings.json", "--in-place"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    for file in [
        "seed.json",
        "nested/minified.json",
        "nested/tabs.json",
        "nested/untouched.json",
    ] {
        let name = format!("policies/{file}");
        assert_eq!(read(&root.join(&name)), read(&other.join(&name)), "{name}");
    }
}

#[test]
fn the_seed_diff_shows_only_action_lines() {
    let (_dir, root) = tree_copy();
    let (_, diff, _) = refine(&root, &["policies/seed.json", "findings.json", "--diff"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect();
    assert_eq!(changed.len(), 18);
    for line in changed {
        let entry = line[1..].trim().trim_end_matches(',');
        assert!(
            entry.starts_with("\"lambda:") || entry.starts_with("\"s3:"),
            "{line}"
        );
    }
}

#[test]
fn in_place_keeps_style_and_leaves_unchanged_files_alone() {
    let (_dir, root) = tree_copy();
    let untouched = root.join("policies/nested/untouched.json");
    let before = std::fs::metadata(&untouched).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    // nested/bad.json fails (exit 2): every rewrite is decided before the
    // first is written, so none is.
    let seed_before = read(&root.join("policies/seed.json"));
    let (code, _, stderr) = refine(&root, &["policies", "findings.json", "--in-place"]);
    assert_eq!(code, 2);
    assert!(
        stderr.ends_with("error: 1 file failed: no file rewritten\n"),
        "{stderr}"
    );
    assert_eq!(read(&root.join("policies/seed.json")), seed_before);
    // Without it, the others are rewritten and the unchanged one is not.
    std::fs::remove_file(root.join("policies/nested/bad.json")).unwrap();
    let (code, _, _) = refine(&root, &["policies", "findings.json", "--in-place"]);
    assert_eq!(code, 0);
    assert_ne!(read(&root.join("policies/seed.json")), seed_before);
    assert_eq!(
        std::fs::metadata(&untouched).unwrap().modified().unwrap(),
        before
    );
    assert_eq!(
        read(&root.join("policies/nested/minified.json")),
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Logs","Effect":"Allow","Action":["lambda:InvokeFunction"],"Resource":"*"}]}"#
    );
    assert_eq!(
        read(&root.join("policies/nested/tabs.json")),
        "{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": [\n\t\t{\n\t\t\t\"Effect\": \"Allow\",\n\t\t\t\"Action\": [\"s3:ListBucket\"],\n\t\t\t\"Resource\": \"*\"\n\t\t}\n\t]\n}\n"
    );
    // No temporary files are left next to the rewritten ones.
    let names: Vec<String> = std::fs::read_dir(root.join("policies/nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("refine"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn in_place_keeps_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = tree_copy();
    let seed = root.join("policies/seed.json");
    std::fs::set_permissions(&seed, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, _) = refine(
        &root,
        &["policies/seed.json", "findings.json", "--in-place"],
    );
    assert_eq!(code, 0);
    assert!(read(&seed).contains("s3:GetObject*"));
    assert_eq!(
        std::fs::metadata(&seed).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn following_links_reports_the_loop_and_refines_each_file_once() {
    let (_dir, root) = tree_copy();
    let (code, _, stderr) = refine(&root, &["policies", "findings.json", "--check", "--follow"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: policies/nested/loop: a symbolic link loop back to policies\n"),
        "{stderr}"
    );
    // link.json points at seed.json: one file, named where it is, once.
    assert_eq!(
        stderr
            .matches("policies/seed.json:22:9: error: statement 1:")
            .count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("link.json"), "{stderr}");
}

#[test]
fn an_unreadable_file_is_reported_and_the_rest_processed() {
    let (_dir, root) = tree_copy();
    std::fs::remove_file(root.join("policies/nested/bad.json")).unwrap();
    std::os::unix::fs::symlink("missing.json", root.join("policies/nested/gone.json")).unwrap();
    let (code, diff, stderr) = refine(&root, &["policies", "findings.json", "--diff", "--follow"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: policies/nested/gone.json: cannot read: No such file or directory"),
        "{stderr}"
    );
    assert!(diff.contains("+++ b/policies/seed.json"));
}

#[test]
fn a_directory_needs_diff_in_place_or_check() {
    let (_dir, root) = tree_copy();
    let (code, stdout, stderr) = refine(&root, &["policies", "findings.json"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "error: policies: a directory is refined with --diff, --in-place, --check or a --format\n"
    );
}

#[test]
fn check_over_a_clean_tree_passes_quietly() {
    let (_dir, root) = tree_copy();
    std::fs::remove_file(root.join("policies/nested/bad.json")).unwrap();
    refine(&root, &["policies", "findings.json", "--in-place"]);
    let (code, stdout, stderr) = refine(&root, &["policies", "findings.json", "--check"]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", SKIPPED));
    let (code, _, stderr) = refine(&root, &["policies", "findings.json", "--check", "-v"]);
    let verbose = format!(
        "{SKIPPED_VERBOSE}note: 4 policies checked: none grants unused actions at the --fail-on levels\n"
    );
    assert_eq!((code, stderr.as_str()), (0, verbose.as_str()));
    let (code, _, stderr) = refine(&root, &["policies", "findings.json", "--check", "-q"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[test]
fn patches_apply_whatever_form_the_directory_is_given_in() {
    let (_dir, root) = tree_copy();
    std::fs::remove_file(root.join("policies/nested/bad.json")).unwrap();
    let git = |args: &[&str], cwd: &Path| {
        Process::new("git")
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q", "."], &root).status.success());
    let absolute = root.join("policies");
    for (cwd, arg) in [
        (root.clone(), "."),
        (root.clone(), "./policies"),
        (root.clone(), absolute.to_str().unwrap()),
    ] {
        let (_, diff, _) = refine(&cwd, &[arg, "findings.json", "--diff"]);
        assert!(diff.contains("+++ b/policies/seed.json\n"), "{arg}: {diff}");
        let patch = root.join("../p.patch");
        std::fs::write(&patch, &diff).unwrap();
        let check = git(&["apply", "--check", patch.to_str().unwrap()], &root);
        assert!(
            check.status.success(),
            "{arg}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

#[test]
fn a_policy_with_a_syntax_error_fails_instead_of_being_skipped() {
    let (_dir, root) = tree_copy();
    std::fs::write(
        root.join("policies/nested/broken.json"),
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\",}]}\n",
    )
    .unwrap();
    let (code, _, stderr) = refine(&root, &["policies", "findings.json", "--check"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: policies/nested/broken.json:1:"),
        "{stderr}"
    );
}

#[test]
fn in_place_through_a_link_rewrites_the_target_and_keeps_the_link() {
    let (_dir, root) = tree_copy();
    let link = root.join("policies/nested/link.json");
    let (code, _, _) = refine(
        &root,
        &["policies/nested/link.json", "findings.json", "--in-place"],
    );
    assert_eq!(code, 0);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(read(&root.join("policies/seed.json")).contains("\"s3:GetObject*\""));
}

#[test]
fn a_file_without_read_permission_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = tree_copy();
    std::fs::remove_file(root.join("policies/nested/bad.json")).unwrap();
    let locked = root.join("policies/locked.json");
    std::fs::copy(root.join("policies/seed.json"), &locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any file (CI containers run as root): there the file
    // fails by its bytes instead, so the test still checks that a failing
    // file is reported and the others are processed.
    let as_root = std::fs::read(&locked).is_ok();
    let expected = if as_root {
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(&locked, b"\xff\xfe not text").unwrap();
        "error: policies/locked.json:1:1: not UTF-8 text"
    } else {
        "error: policies/locked.json: cannot read: Permission denied"
    };
    let (code, diff, stderr) = refine(&root, &["policies", "findings.json", "--diff"]);
    assert_eq!(code, 2);
    assert!(stderr.contains(expected), "{stderr}");
    assert!(diff.contains("+++ b/policies/seed.json"));
}

/// A file name with a newline (or a quote, or a backslash) can neither
/// break the patch nor forge a line of stderr: the patch quotes it as git
/// does, `git apply` takes it, and messages escape it.
#[test]
fn file_names_with_control_characters_are_quoted_in_patches() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let policies = root.join("policies");
    std::fs::create_dir(&policies).unwrap();
    let name = "odd\nname \"q\".json";
    std::fs::write(
        policies.join(name),
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], \"Resource\": \"*\"}\n  ]\n}\n",
    )
    .unwrap();
    std::fs::write(policies.join("not\nJSON.json"), "# not JSON").unwrap();
    std::fs::write(root.join("findings.json"), r#"["s3:PutObject"]"#).unwrap();
    let (code, diff, stderr) = refine(root, &["policies", "findings.json", "--diff", "-v"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        diff.starts_with("--- \"a/policies/odd\\nname \\\"q\\\".json\"\n+++ \"b/policies/odd\\nname \\\"q\\\".json\"\n"),
        "{diff}"
    );
    assert_eq!(
        stderr,
        "note: policies/not\\nJSON.json: not JSON: skipped\n"
    );
    let git = |args: &[&str]| {
        Process::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .unwrap()
    };
    if !git(&["init", "-q"]).status.success() {
        return; // no git here: the quoting is pinned above
    }
    std::fs::write(root.join("refine.patch"), &diff).unwrap();
    let applied = git(&["apply", "refine.patch"]);
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert!(!read(&policies.join(name)).contains("s3:PutObject"));
}

/// A directory is walked as ripgrep walks it: what .gitignore (in a git
/// repository) and .ignore leave out, and hidden files, are not refined
/// unless --no-ignore and --hidden say so.
#[test]
fn walks_honour_ignore_files_and_hidden_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}"#;
    for file in [
        "policies/app.json",
        "policies/node_modules/pkg/policy.json",
        "policies/vendor/policy.json",
        "policies/.hidden/policy.json",
    ] {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, policy).unwrap();
    }
    std::fs::write(root.join(".gitignore"), "node_modules/\n").unwrap();
    std::fs::write(root.join("policies/.ignore"), "vendor/\n").unwrap();
    std::fs::write(root.join("findings.json"), r#"["s3:PutObject"]"#).unwrap();
    assert!(Process::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status()
        .unwrap()
        .success());
    let files = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["policies", "findings.json", "--format", "json"];
        args.extend(extra);
        let (code, stdout, stderr) = refine(root, &args);
        assert_eq!(code, 0, "{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["file"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(files(&[]), ["policies/app.json"]);
    assert_eq!(
        files(&["--no-ignore"]),
        [
            "policies/app.json",
            "policies/node_modules/pkg/policy.json",
            "policies/vendor/policy.json"
        ]
    );
    assert_eq!(
        files(&["--hidden"]),
        ["policies/.hidden/policy.json", "policies/app.json"]
    );
}

/// A walk that finds no policy says so, and an empty `.json` (what a shell
/// redirect onto a policy leaves) is warned about, not skipped in silence.
#[test]
fn an_empty_walk_and_an_emptied_policy_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("policies")).unwrap();
    std::fs::write(root.join("findings.json"), r#"["s3:PutObject"]"#).unwrap();
    let (code, _, stderr) = refine(root, &["policies", "findings.json", "--check"]);
    assert_eq!(code, 0);
    assert!(
        stderr.starts_with("warning: policies: no policy file here\n"),
        "{stderr}"
    );
    std::fs::write(root.join("policies/p.json"), "").unwrap();
    let (_, _, stderr) = refine(root, &["policies", "findings.json", "--check"]);
    assert!(
        stderr.starts_with(
            "warning: policies/p.json: empty file: skipped\n  hint: if a shell redirect emptied it"
        ),
        "{stderr}"
    );
}

/// A walk's output is the same byte for byte whatever the number of
/// threads (`--jobs`): files are refined a chunk at a time on every core,
/// and what each says is said in file order. The tree is the fixture's
/// (links, a file that is not JSON, one that is not a policy, a syntax
/// error) with more than a chunk of policies beside it, some of which
/// draw warnings, a trust policy and an emptied file among them.
#[test]
fn a_walk_says_the_same_on_one_thread_and_on_several() {
    let (_dir, root) = tree_copy();
    let many = root.join("policies/many");
    std::fs::create_dir_all(&many).unwrap();
    for i in 0..150 {
        let action = match i % 3 {
            0 => "\"s3:Get*\"",
            1 => "[\"s3:GetObject\", \"s3:PutObject\", \"s3:NoSuchAction\"]",
            _ => "[\"sqs:*\", \"ec2:Describe*\"]",
        };
        let text = format!(
            "{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": {action}, \"Resource\": \"*\"}}]}}\n"
        );
        std::fs::write(many.join(format!("p{i:03}.json")), text).unwrap();
    }
    std::fs::write(
        many.join("p050-trust.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
    )
    .unwrap();
    std::fs::write(many.join("p100-emptied.json"), "").unwrap();
    for args in [
        &["policies", "findings.json", "--diff"][..],
        &["policies", "findings.json", "--check", "--format", "json"],
        &["policies", "findings.json", "--check", "-v"],
        &["policies", "findings.json", "--format", "sarif"],
    ] {
        let one = refine(&root, &[args, &["-j", "1"]].concat());
        let two = refine(&root, &[args, &["-j", "2"]].concat());
        let every = refine(&root, args);
        assert!(one.1.len() + one.2.len() > 1_000, "{args:?}: {one:?}");
        assert!(
            one.2.contains("NoSuchAction") && one.2.contains("empty file"),
            "{}",
            one.2
        );
        assert_eq!(one, two, "{args:?}");
        assert_eq!(one, every, "{args:?}");
    }
}

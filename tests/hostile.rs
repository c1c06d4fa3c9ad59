//! Hostile input and faults: every bad input gets exit 2, one line on stderr
//! of the form `error: FILE[:LINE:COL]: what is wrong` (plus, where
//! useful, an indented second line saying what to do), nothing on stdout,
//! and no file created or changed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use std::path::PathBuf;
use std::process::Stdio;

const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}"#;
const FINDINGS: &str = r#"["s3:GetBucketAcl"]"#;

/// A scratch directory with a good policy and findings in it.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let scratch = Scratch {
            dir: tempfile::tempdir().unwrap(),
        };
        scratch.write("policy.json", POLICY.as_bytes());
        scratch.write("findings.json", FINDINGS.as_bytes());
        scratch
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Every file in the directory with its bytes, to show nothing changed.
    fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    }

    /// Runs refine in the directory and checks the bad-input contract;
    /// returns stderr.
    fn refuses(&self, args: &[&str]) -> String {
        let before = self.snapshot();
        let output = Command::cargo_bin("refine")
            .unwrap()
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            output.stdout.is_empty(),
            "{args:?}: stdout {:?}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert_shape(&stderr);
        assert_eq!(self.snapshot(), before, "{args:?} changed a file");
        stderr
    }
}

/// One line `error: ...: message`, and at most one indented hint line.
fn assert_shape(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty() && lines.len() <= 2, "{stderr:?}");
    assert!(lines[0].starts_with("error: "), "{stderr:?}");
    if let Some(hint) = lines.get(1) {
        assert!(hint.starts_with("  "), "{stderr:?}");
    }
}

/// A policy file with `text`, refined against good findings: refused with
/// stderr starting `error: bad.json` and containing `expected`.
fn bad_policy(text: &[u8], expected: &str) {
    let scratch = Scratch::new();
    scratch.write("bad.json", text);
    let stderr = scratch.refuses(&["bad.json", "findings.json"]);
    assert!(stderr.starts_with("error: bad.json"), "{stderr}");
    assert!(stderr.contains(expected), "{expected:?} not in {stderr:?}");
}

#[test]
fn empty_and_whitespace_files() {
    bad_policy(
        b"",
        "error: bad.json: empty file: expected an IAM policy document",
    );
    bad_policy(b" \n\t \r\n", "empty file");
}

#[test]
fn not_json_and_trailing_garbage() {
    bad_policy(
        b"hello",
        "error: bad.json:1:1: invalid JSON: expected value",
    );
    bad_policy(
        format!("{POLICY} garbage").as_bytes(),
        "invalid JSON: trailing characters",
    );
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let scratch = Scratch::new();
    scratch.write("bom.json", format!("\u{feff}{POLICY}").as_bytes());
    let output = Command::cargo_bin("refine")
        .unwrap()
        .args(["bom.json", "findings.json"])
        .current_dir(scratch.dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("s3:GetObject*"));
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    bad_policy(
        b"{\"a\": \"\xff\xfe\"}",
        "error: bad.json:1:8: not UTF-8 text",
    );
    bad_policy(b"{\"Statement\": [\x00]}", "invalid JSON");
}

#[test]
fn deep_nesting_is_refused_without_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    bad_policy(deep.as_bytes(), "recursion limit exceeded");
    let deep_object = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    bad_policy(deep_object.as_bytes(), "recursion limit exceeded");
}

#[test]
fn a_200_mb_file_is_refused_without_reading_it() {
    let scratch = Scratch::new();
    let path = scratch.path("huge.json");
    {
        // Sparse: the size is what matters, and refine must not read it.
        use std::io::Write;
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(b"{\"Version\": \"2012-10-17\", \"Statement\": [")
            .unwrap();
        file.set_len(200 << 20).unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() >= 200 << 20);
    let stderr = scratch.refuses(&["huge.json", "findings.json"]);
    assert!(
        stderr.starts_with("error: huge.json: larger than 1 MiB, too large for a policy"),
        "{stderr}"
    );
}

#[test]
fn duplicate_keys_are_refused() {
    bad_policy(
        br#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Action": "s3:*", "Resource": "*"}]}"#,
        "duplicate key \"Action\"",
    );
    bad_policy(
        br#"{"Statement": [], "Statement": []}"#,
        "duplicate key \"Statement\"",
    );
}

#[test]
fn wrong_types() {
    bad_policy(
        br#"{"Statement": 5}"#,
        "Statement must be an object or an array of objects, found a number",
    );
    bad_policy(
        br#"{"Statement": [{"Effect": "Allow", "Action": {"a": 1}, "Resource": "*"}]}"#,
        "Action must be a string or an array of strings, found an object",
    );
    bad_policy(
        br#"{"Statement": [{"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
        "Effect must be \"Allow\" or \"Deny\" (case-sensitive)",
    );
    bad_policy(
        br#"[1, 2]"#,
        "expected an IAM policy document (a JSON object), found an array",
    );
}

#[test]
fn statements_need_exactly_one_action_element_and_an_effect() {
    bad_policy(
        br#"{"Statement": [{"Effect": "Allow", "Action": "s3:A", "NotAction": "s3:B", "Resource": "*"}]}"#,
        "a statement cannot have both Action and NotAction",
    );
    bad_policy(
        br#"{"Statement": [{"Effect": "Allow", "Resource": "*"}]}"#,
        "no Action or NotAction",
    );
    bad_policy(
        br#"{"Statement": [{"Action": "s3:A", "Resource": "*"}]}"#,
        "no Effect",
    );
}

#[test]
fn versions() {
    bad_policy(
        br#"{"Version": "2012-10-18", "Statement": []}"#,
        "unknown policy Version \"2012-10-18\"",
    );
    // A missing Version is valid IAM (2008-10-17): a warning, not an error.
    let scratch = Scratch::new();
    scratch.write(
        "old.json",
        br#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
    );
    let output = Command::cargo_bin("refine")
        .unwrap()
        .args(["old.json", "findings.json"])
        .current_dir(scratch.dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("warning: old.json: no Version"));
}

#[test]
fn malformed_actions() {
    let with = |action: &str| {
        format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Action": "{action}", "Resource": "*"}}]}}"#
        )
    };
    bad_policy(with("s3GetObject").as_bytes(), "has no service prefix");
    bad_policy(with("s3:Get:Object").as_bytes(), "has more than one ':'");
    bad_policy(with("").as_bytes(), "an empty action");
    bad_policy(
        with("s3:").as_bytes(),
        r#"is not of the form "service:Action""#,
    );
}

#[test]
fn findings_of_the_wrong_shape_or_principal() {
    let scratch = Scratch::new();
    scratch.write("shape.json", br#"{"Findings": []}"#);
    let stderr = scratch.refuses(&["policy.json", "shape.json"]);
    assert!(stderr.starts_with("error: shape.json: found an object, not findings\n  hint: expected unused-access findings"), "{stderr}");
    scratch.write(
        "role-policy.json",
        format!(r#"{{"RoleName": "app", "PolicyName": "p", "PolicyDocument": {POLICY}}}"#)
            .as_bytes(),
    );
    scratch.write(
        "user-finding.json",
        br#"{"id": "f", "resource": "arn:aws:iam::123456789012:user/bob", "status": "ACTIVE", "findingType": "UnusedPermission", "findingDetails": []}"#,
    );
    let stderr = scratch.refuses(&["role-policy.json", "user-finding.json"]);
    assert!(stderr.starts_with("error: role-policy.json: the findings are about arn:aws:iam::123456789012:user/bob, but this is role app's inline policy"), "{stderr}");
}

#[test]
fn unknown_services_in_findings_are_a_warning() {
    let scratch = Scratch::new();
    scratch.write(
        "unknown.json",
        br#"[{"serviceNamespace": "nosuchservice"}]"#,
    );
    let output = Command::cargo_bin("refine")
        .unwrap()
        .args(["policy.json", "unknown.json"])
        .current_dir(scratch.dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "warning: unknown.json: the findings name service nosuchservice, which the catalog does not know\n"
    );
}

#[test]
fn stdin_closed_or_empty() {
    let scratch = Scratch::new();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_refine"))
        .args(["-", "findings.json"])
        .current_dir(scratch.dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: <stdin>: empty file: expected an IAM policy document\n"
    );
}

#[test]
fn unwritable_outputs_write_nothing() {
    let scratch = Scratch::new();
    let stderr = scratch.refuses(&["policy.json", "findings.json", "-o", "no/such/dir/out.json"]);
    assert!(
        stderr.starts_with("error: no/such/dir/out.json: cannot write"),
        "{stderr}"
    );
    use std::os::unix::fs::PermissionsExt;
    let locked = scratch.write("locked.json", POLICY.as_bytes());
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).unwrap();
    let stderr = scratch.refuses(&["locked.json", "findings.json", "--in-place"]);
    assert!(
        stderr.ends_with("locked.json: read-only: not rewritten\n"),
        "{stderr}"
    );
}

#[test]
fn directories_and_files_in_each_others_places() {
    let scratch = Scratch::new();
    std::fs::create_dir(scratch.path("dir")).unwrap();
    let stderr = scratch.refuses(&["policy.json", "--used", "dir"]);
    assert_eq!(stderr, "error: dir: is a directory: expected a JSON file\n");
    // FINDINGS may be a directory, of findings files.
    let stderr = scratch.refuses(&["policy.json", "dir"]);
    assert_eq!(
        stderr,
        "error: dir: no findings files here (*.json, *.json.gz)\n"
    );
    let stderr = scratch.refuses(&["catalog", "import", "policy.json"]);
    assert_eq!(stderr, "error: policy.json: not a directory\n");
}

#[test]
fn a_fifo_is_refused_instead_of_blocking() {
    let scratch = Scratch::new();
    let fifo = scratch.path("fifo.json");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let stderr = scratch.refuses(&["fifo.json", "findings.json"]);
    assert!(
        stderr.starts_with("error: fifo.json: not a regular file"),
        "{stderr}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let scratch = Scratch::new();
    // About 600 KB of output: far more than a pipe holds, less than the
    // 1 MiB refine reads back (and so writes).
    let statements: Vec<String> = (0..500)
        .map(|i| format!(r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#))
        .collect();
    scratch.write(
        "big.json",
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        )
        .as_bytes(),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_refine"))
        .args(["big.json", "findings.json"])
        .current_dir(scratch.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn paths_that_do_not_exist() {
    let scratch = Scratch::new();
    let stderr = scratch.refuses(&["nosuch.json", "findings.json"]);
    assert!(
        stderr.starts_with("error: nosuch.json: cannot read: No such file or directory"),
        "{stderr}"
    );
}

/// Issue 11, item 6: refine once wrote 1.87 MB that `refine verify` then
/// refused as larger than a policy. What refine would write past what it
/// reads back is refused instead: exit 2, nothing written.
#[test]
fn refuses_to_write_a_policy_it_could_not_read_back() {
    let scratch = Scratch::new();
    scratch.write(
        "two-stars.json",
        br#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"a"},{"Effect":"Allow","Action":"*","Resource":"b"}]}"#,
    );
    scratch.write("used.json", br#"["s3:GetObject"]"#);
    let output = Command::cargo_bin("refine")
        .unwrap()
        .args([
            "two-stars.json",
            "used.json",
            "--exact",
            "--catalog-current",
            "-o",
            "out.json",
        ])
        .current_dir(scratch.dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: two-stars.json: the refined policy would have ")
            && stderr.contains("more than the 1 MiB refine reads back: nothing written"),
        "{stderr}"
    );
    assert!(!scratch.dir.path().join("out.json").exists());
}

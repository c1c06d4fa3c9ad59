//! `refine verify`: passes on refine's output, and fails with the right
//! witness on each kind of broken result.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn seed(file: &str) -> PathBuf {
    fixtures().join("seed-example").join(file)
}

/// Runs `refine` and returns (exit code, stdout, stderr).
fn run(args: &[&Path]) -> (i32, String, String) {
    let output = Command::cargo_bin("refine")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (
        output.status.code().unwrap(),
        text(output.stdout),
        text(output.stderr),
    )
}

/// The seed example refined with the bundled catalog, as a JSON value.
fn refined_seed() -> Value {
    let (code, stdout, _) = run(&[&seed("policy.json"), &seed("findings.json")]);
    assert_eq!(code, 0);
    serde_json::from_str(&stdout).unwrap()
}

/// Verifies `refined` (written to a temporary file) against `original`,
/// with `findings` if given; returns (exit code, stdout).
fn verify(original: &Path, refined: &Value, findings: Option<&Path>) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("refined.json");
    std::fs::write(&file, serde_json::to_string_pretty(refined).unwrap()).unwrap();
    let mut args: Vec<&Path> = vec![Path::new("verify"), original, &file];
    args.extend(findings);
    let (code, stdout, _) = run(&args);
    (code, stdout)
}

fn write_policy(dir: &Path, name: &str, policy: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, policy.to_string()).unwrap();
    path
}

#[test]
fn passes_on_refines_output_with_and_without_findings() {
    let refined = refined_seed();
    assert_eq!(
        verify(&seed("policy.json"), &refined, None),
        (0, "PASS\n".to_string())
    );
    assert_eq!(
        verify(&seed("policy.json"), &refined, Some(&seed("findings.json"))),
        (0, "PASS\n".to_string())
    );
}

#[test]
fn passes_on_every_fixture_case_that_refines() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures().join("cases")).unwrap() {
        let dir = entry.unwrap().path();
        let cmd = std::fs::read_to_string(dir.join("cmd")).unwrap();
        let plain = cmd.trim() == "policy.json findings.json";
        if !plain || dir.join("code").exists() || dir.join("stdin").exists() {
            continue;
        }
        let refined: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("stdout")).unwrap()).unwrap();
        let findings = dir.join("findings.json");
        let (code, stdout) = verify(&dir.join("policy.json"), &refined, Some(&findings));
        assert_eq!((code, stdout.as_str()), (0, "PASS\n"), "{}", dir.display());
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} cases checked");
}

#[test]
fn an_added_action_is_new_access() {
    let mut refined = refined_seed();
    refined["Statement"][0]["Action"]
        .as_array_mut()
        .unwrap()
        .push(json!("lambda:DeleteFunction"));
    let (code, stdout) = verify(&seed("policy.json"), &refined, None);
    // The original listed lambda:DeleteFunction, so without findings this is
    // no new access; with findings it is an unused action left in.
    assert_eq!((code, stdout.as_str()), (0, "PASS\n"));
    let (code, stdout) = verify(&seed("policy.json"), &refined, Some(&seed("findings.json")));
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\nrefined statement 0: \"lambda:DeleteFunction\" still allows lambda:DeleteFunction, which is unused [unused-allowed]\n"
    );
    refined["Statement"][0]["Action"]
        .as_array_mut()
        .unwrap()
        .push(json!("lambda:PublishVersion"));
    let (code, stdout) = verify(&seed("policy.json"), &refined, None);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\nrefined statement 0: \"lambda:PublishVersion\" allows lambda:PublishVersion, which the original does not [new-access]\n"
    );
}

#[test]
fn a_widened_wildcard_is_new_access_with_a_witness() {
    let dir = tempfile::tempdir().unwrap();
    let statement = |actions: Value| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let original = write_policy(
        dir.path(),
        "original.json",
        &statement(json!(["s3:GetObject*", "s3:PutObject"])),
    );
    let (code, stdout) = verify(&original, &statement(json!(["s3:Get*"])), None);
    assert_eq!(code, 1);
    assert_eq!(stdout, "FAIL\nrefined statement 0: \"s3:Get*\" allows s3:GetAccelerateConfiguration, which the original does not [new-access]\n");
    // In the seed, the original itself has s3:Get*: widening is no new
    // access, but with findings it leaves unused actions in.
    let mut refined = refined_seed();
    let actions = refined["Statement"][1]["Action"].as_array_mut().unwrap();
    let at = actions.iter().position(|a| a == "s3:GetObject*").unwrap();
    actions[at] = json!("s3:Get*");
    assert_eq!(verify(&seed("policy.json"), &refined, None).0, 0);
    let (code, stdout) = verify(&seed("policy.json"), &refined, Some(&seed("findings.json")));
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\nrefined statement 1: \"s3:Get*\" still allows s3:GetAccelerateConfiguration, which is unused [unused-allowed]\n"
    );
}

#[test]
fn a_new_wildcard_over_a_catalog_exact_set_is_new_access() {
    let dir = tempfile::tempdir().unwrap();
    let (_, listed, _) = run(&[
        Path::new("catalog"),
        Path::new("list"),
        Path::new("s3:GetObject*"),
    ]);
    let every: Vec<&str> = listed.lines().collect();
    assert!(every.len() > 10 && every.contains(&"s3:GetObject"));
    let policy = |actions: Value| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let original = write_policy(dir.path(), "original.json", &policy(json!(every)));
    // Over today's catalog the two are equal; as languages they are not.
    let (code, stdout) = verify(&original, &policy(json!(["s3:GetObject*"])), None);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\nrefined statement 0: \"s3:GetObject*\" allows s3:GetObjectZ, which the original does not (no action has this name yet; AWS could add one) [new-access]\n"
    );
}

#[test]
fn a_changed_resource_or_condition_is_an_unmatched_statement() {
    let mut refined = refined_seed();
    refined["Statement"][1]["Resource"] = json!("arn:aws:s3:::other/*");
    let (code, stdout) = verify(&seed("policy.json"), &refined, None);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("FAIL\nrefined statement 1: \"s3:GetAccess*\" allows s3:GetAccess, and no original Allow statement has the same Effect, Resource,"),
        "{stdout}"
    );
    assert!(stdout.ends_with("[unmatched-statement]\n"), "{stdout}");
    let mut refined = refined_seed();
    refined["Statement"][0]["Condition"] = json!({"Bool": {"aws:SecureTransport": "true"}});
    let (code, stdout) = verify(&seed("policy.json"), &refined, None);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("refined statement 0: \"lambda:Invoke*\" allows lambda:Invoke,"),
        "{stdout}"
    );
}

#[test]
fn a_resource_list_in_another_order_is_the_same_statement() {
    let dir = tempfile::tempdir().unwrap();
    let statement = |resources: Value| json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}]});
    let original = write_policy(
        dir.path(),
        "original.json",
        &statement(json!(["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"])),
    );
    let reordered = statement(json!([
        "arn:aws:s3:::b/*",
        "arn:aws:s3:::a/*",
        "arn:aws:s3:::a/*"
    ]));
    assert_eq!(
        verify(&original, &reordered, None),
        (0, "PASS\n".to_string())
    );
}

#[test]
fn a_dropped_deny_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let deny =
        json!({"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"});
    let allow =
        json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"});
    let original = write_policy(
        dir.path(),
        "original.json",
        &json!({"Statement": [allow.clone(), deny]}),
    );
    let (code, stdout) = verify(&original, &json!({"Statement": [allow]}), None);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\noriginal statement 1 (Sid NoDelete): \"s3:Delete*\" is missing or changed in the refined policy (it denied s3:DeleteAccessGrant) [deny-changed]\n"
    );
}

#[test]
fn an_added_statement_is_reported() {
    let mut refined = refined_seed();
    let added = json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"});
    refined["Statement"].as_array_mut().unwrap().push(added);
    let (code, stdout) = verify(&seed("policy.json"), &refined, None);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\nrefined statement 2: \"iam:PassRole\" allows iam:PassRole, which the original does not [new-access]\n"
    );
    let mut refined = refined_seed();
    let added = json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/x"});
    refined["Statement"].as_array_mut().unwrap().push(added);
    let (code, stdout) = verify(&seed("policy.json"), &refined, None);
    assert_eq!(code, 1);
    assert!(
        stdout
            .contains("refined statement 2: \"iam:PassRole\" allows iam:PassRole, and no original"),
        "{stdout}"
    );
}

/// A new Deny is no new access, but with findings it must not deny what is
/// used: that drops the action as surely as removing its Allow.
#[test]
fn a_new_deny_of_a_used_action_is_reported_with_findings() {
    let mut refined = refined_seed();
    let deny = json!({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"});
    refined["Statement"].as_array_mut().unwrap().push(deny);
    assert_eq!(
        verify(&seed("policy.json"), &refined, None).0,
        0,
        "a new Deny is no new access"
    );
    let (code, stdout) = verify(&seed("policy.json"), &refined, Some(&seed("findings.json")));
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\nrefined statement 2: \"s3:GetObject\" denies s3:GetObject, which is used, and the original has no such Deny [used-denied]\n"
    );
    // Denying only unused actions drops nothing used.
    let mut refined = refined_seed();
    let deny = json!({"Effect": "Deny", "Action": "lambda:DeleteFunction", "Resource": "*"});
    refined["Statement"].as_array_mut().unwrap().push(deny);
    let (code, stdout) = verify(&seed("policy.json"), &refined, Some(&seed("findings.json")));
    assert_eq!((code, stdout.as_str()), (0, "PASS\n"));
}

#[test]
fn a_dropped_used_action_is_reported_with_findings() {
    let mut refined = refined_seed();
    let actions = refined["Statement"][1]["Action"].as_array_mut().unwrap();
    actions.retain(|a| a != "s3:GetJobTagging");
    assert_eq!(
        verify(&seed("policy.json"), &refined, None).0,
        0,
        "narrower is no new access"
    );
    let (code, stdout) = verify(&seed("policy.json"), &refined, Some(&seed("findings.json")));
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\noriginal statement 1: \"s3:Get*\" allowed s3:GetJobTagging, which is used, and the refined policy does not [used-dropped]\n"
    );
}

#[test]
fn not_action_languages_are_compared_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let not_action = |entries: Value| json!({"Statement": [{"Effect": "Allow", "NotAction": entries, "Resource": "*"}]});
    let action = |entries: Value| json!({"Statement": [{"Effect": "Allow", "Action": entries, "Resource": "*"}]});
    let original = write_policy(
        dir.path(),
        "original.json",
        &not_action(json!(["iam:*", "s3:Delete*"])),
    );
    // More exclusions: narrower, passes.
    assert_eq!(
        verify(
            &original,
            &not_action(json!(["iam:*", "s3:Delete*", "sqs:*"])),
            None
        )
        .0,
        0
    );
    // Dropping an exclusion allows it again.
    let (code, stdout) = verify(&original, &not_action(json!(["iam:*"])), None);
    assert_eq!(code, 1);
    assert_eq!(stdout, "FAIL\nrefined statement 0: \"NotAction\" allows s3:Delete, which the original does not [new-access]\n");
    // An Action entry inside the NotAction's complement passes; one that
    // overlaps an exclusion does not.
    assert_eq!(
        verify(&original, &action(json!(["s3:Get*", "sqs:*"])), None).0,
        0
    );
    let (code, stdout) = verify(&original, &action(json!(["s3:*"])), None);
    assert_eq!(code, 1);
    assert_eq!(stdout, "FAIL\nrefined statement 0: \"s3:*\" allows s3:DeleteAccessGrant, which the original does not [new-access]\n");
    // A NotAction refinement of an Action statement must exclude all else.
    let original = write_policy(dir.path(), "action.json", &action(json!(["s3:*"])));
    let (code, stdout) = verify(&original, &not_action(json!(["iam:*"])), None);
    assert_eq!(code, 1);
    assert_eq!(stdout, "FAIL\nrefined statement 0: \"NotAction\" allows Z:Z, which the original does not [new-access]\n");
}

#[test]
fn json_format_lists_reasons_with_their_fields() {
    let mut refined = refined_seed();
    refined["Statement"][0]["Action"]
        .as_array_mut()
        .unwrap()
        .push(json!("lambda:PublishVersion"));
    let dir = tempfile::tempdir().unwrap();
    let file = write_policy(dir.path(), "refined.json", &refined);
    let (code, stdout, _) = run(&[
        Path::new("verify"),
        Path::new("--format"),
        Path::new("json"),
        &seed("policy.json"),
        &file,
    ]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["result"], "FAIL");
    let reason = &report["reasons"][0];
    assert_eq!(reason["statement"], 0);
    assert_eq!(reason["entry"], "lambda:PublishVersion");
    assert_eq!(reason["witness"], "lambda:PublishVersion");
    assert_eq!(reason["kind"], "new-access");
    assert_eq!(reason["side"], "refined");
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[]").unwrap();
    let (code, stdout, stderr) = run(&[Path::new("verify"), &seed("policy.json"), &bad]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        format!(
            "error: {}: expected an IAM policy document (a JSON object), found an array\n",
            bad.display()
        )
    );
}

#[test]
fn a_changed_version_fails() {
    let dir = tempfile::tempdir().unwrap();
    let statement = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}]);
    let original = write_policy(
        dir.path(),
        "original.json",
        &json!({"Statement": statement}),
    );
    let (code, stdout) = verify(
        &original,
        &json!({"Version": "2012-10-17", "Statement": statement}),
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\nrefined statement 0: \"Version\" has Version 2012-10-17 in the refined policy, and policy variables would change meaning [version-changed]\n"
    );
}

#[test]
fn entries_the_catalog_does_not_know_must_be_kept_and_not_added() {
    let dir = tempfile::tempdir().unwrap();
    let policy = |actions: Value| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let findings = dir.path().join("findings.json");
    std::fs::write(&findings, r#"["s3:PutObject"]"#).unwrap();
    let original = write_policy(
        dir.path(),
        "original.json",
        &policy(json!(["s3:GetObject", "s3:PutObject", "s3:BrandNewAction"])),
    );
    // Dropping the unknown entry may drop something used.
    let (code, stdout) = verify(&original, &policy(json!(["s3:GetObject"])), Some(&findings));
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAIL\noriginal statement 0: \"s3:BrandNewAction\" is not in the catalog, so what it grants may be used, and the refined policy drops it (s3:BrandNewAction) [unknown-dropped]\n"
    );
    assert_eq!(
        verify(
            &original,
            &policy(json!(["s3:GetObject", "s3:BrandNewAction"])),
            Some(&findings)
        )
        .0,
        0
    );
    // An unused action the catalog lacks may stay only as the original wrote it.
    std::fs::write(&findings, r#"["s3:GetNewB"]"#).unwrap();
    let original = write_policy(dir.path(), "star.json", &policy(json!(["s3:*"])));
    let (code, refined, _) = run(&[&original, &findings]);
    assert_eq!(code, 0);
    let mut refined: Value = serde_json::from_str(&refined).unwrap();
    assert_eq!(verify(&original, &refined, Some(&findings)).0, 0);
    refined["Statement"][0]["Action"]
        .as_array_mut()
        .unwrap()
        .push(json!("s3:GetNewB"));
    let (code, stdout) = verify(&original, &refined, Some(&findings));
    assert_eq!(code, 1);
    assert!(
        stdout.ends_with("still allows s3:GetNewB, which is unused [unused-allowed]\n"),
        "{stdout}"
    );
}

/// Issue 11, item 2: an entry holding the old signature's separator
/// (`"*\u0001s3:DeleteBucket"`) once compared equal to the two entries
/// `["*", "s3:DeleteBucket"]`, so verify passed a Deny replaced by one that
/// denies nothing. Control characters are now refused in every action
/// string, and statements are compared as structures.
#[test]
fn a_separator_inside_an_entry_cannot_pass_for_two_entries() {
    let dir = tempfile::tempdir().unwrap();
    let deny = |action: Value| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*"}, {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    let original = write_policy(
        dir.path(),
        "original.json",
        &deny(json!(["*", "s3:DeleteBucket"])),
    );
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, deny(json!("*\u{1}s3:DeleteBucket")).to_string()).unwrap();
    let (code, stdout, stderr) = run(&[Path::new("verify"), &original, &forged]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.contains("\"*\\u0001s3:DeleteBucket\" contains the control character U+0001"),
        "{stderr}"
    );
    let (code, stdout) = verify(&original, &deny(json!(["s3:DeleteBucket", "*"])), None);
    assert_eq!((code, stdout.as_str()), (0, "PASS\n"));
    let (code, stdout) = verify(&original, &deny(json!(["s3:DeleteBucket"])), None);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("[deny-changed]"), "{stdout}");
}

/// Issue 11, item 4: Condition and Principal are compared as values: key
/// order means nothing, and numbers compare by value.
#[test]
fn key_order_and_number_spelling_do_not_change_a_statement() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let original = write(
        "original.json",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*","Condition":{"StringEquals":{"a":"1","b":"2"},"NumericLessThan":{"n":100}}},
            {"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*","Principal":{"AWS":"x","Service":"y"},"Condition":{"Bool":{"x":"true","y":"false"}}}]}"#,
    );
    let reordered = write(
        "reordered.json",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*","Condition":{"NumericLessThan":{"n":1e2},"StringEquals":{"b":"2","a":"1"}}},
            {"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*","Principal":{"Service":"y","AWS":"x"},"Condition":{"Bool":{"y":"false","x":"true"}}}]}"#,
    );
    let findings = write("findings.json", r#"["s3:PutObject"]"#);
    let (code, stdout, _) = run(&[Path::new("verify"), &original, &reordered, &findings]);
    assert_eq!((code, stdout.as_str()), (0, "PASS\n"));
    let other_number = write(
        "other.json",
        &std::fs::read_to_string(&reordered)
            .unwrap()
            .replace("1e2", "1e3"),
    );
    let (code, stdout, _) = run(&[Path::new("verify"), &original, &other_number]);
    assert_eq!(code, 1);
    assert!(stdout.contains("[unmatched-statement]"), "{stdout}");
}

/// Issue 11, item 5: `"Action": "*"` refined over the catalog's services
/// stops granting services newer than the catalog; with undated findings
/// (which may be newer than it) verify refuses that, and accepts refine's
/// NotAction form; with `--catalog-current` it accepts the Action form.
#[test]
fn services_newer_than_the_catalog_stay_granted_unless_the_catalog_is_current() {
    let dir = tempfile::tempdir().unwrap();
    let original = write_policy(
        dir.path(),
        "original.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    let findings = dir.path().join("findings.json");
    std::fs::write(&findings, r#"["s3:GetObject"]"#).unwrap();
    let current = Path::new("--catalog-current");
    // With a current catalog refine writes the smaller form, here
    // NotAction; --exact makes it write the Action form (every name).
    let exact = Path::new("--exact");
    let (code, per_service, _) = run(&[&original, &findings, current, exact]);
    assert_eq!(code, 0);
    let per_service: Value = serde_json::from_str(&per_service).unwrap();
    assert!(
        per_service["Statement"][0]["Action"]
            .as_array()
            .unwrap()
            .len()
            > 400
    );
    let (code, stdout) = verify(&original, &per_service, Some(&findings));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("\"*\" grants services newer than the catalog (")
            && stdout.contains(
                ", say), which may be used, and the refined policy does not [new-services-dropped]"
            ),
        "{stdout}"
    );
    let refined_file = dir.path().join("per-service.json");
    std::fs::write(&refined_file, per_service.to_string()).unwrap();
    let (code, stdout, _) = run(&[
        Path::new("verify"),
        &original,
        &refined_file,
        &findings,
        current,
    ]);
    assert_eq!((code, stdout.as_str()), (0, "PASS\n"));
    let (code, not_action, _) = run(&[&original, &findings]);
    assert_eq!(code, 0);
    let not_action: Value = serde_json::from_str(&not_action).unwrap();
    assert_eq!(
        not_action["Statement"][0]["NotAction"],
        json!("s3:GetObject")
    );
    assert_eq!(
        verify(&original, &not_action, Some(&findings)),
        (0, "PASS\n".to_string())
    );
}

/// The check that services newer than the catalog stay granted cannot be
/// fooled by naming one service: a per-service rewrite of `"*"` with
/// `newservice:*` or `*:NewAction` added still drops every other new one.
#[test]
fn naming_one_new_service_does_not_pass_for_keeping_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let original = write_policy(
        dir.path(),
        "original.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    let findings = dir.path().join("findings.json");
    std::fs::write(&findings, r#"["s3:PutBucketAcl"]"#).unwrap();
    let (_, per_service, _) = run(&[
        &original,
        &findings,
        Path::new("--catalog-current"),
        Path::new("--exact"),
    ]);
    let mut forged: Value = serde_json::from_str(&per_service).unwrap();
    let actions = forged["Statement"][0]["Action"].as_array_mut().unwrap();
    actions.push(json!("newservice:*"));
    actions.push(json!("*:NewAction"));
    let (code, stdout) = verify(&original, &forged, Some(&findings));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("[new-services-dropped]"), "{stdout}");
}

/// An entry with a wildcard service part (`*:List*`) is kept while newer
/// services must stay granted, and verify holds refine to that.
#[test]
fn a_wildcard_service_part_is_kept_unless_the_catalog_is_current() {
    let dir = tempfile::tempdir().unwrap();
    let original = write_policy(
        dir.path(),
        "original.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["*:List*"], "Resource": "*"}]}),
    );
    let findings = dir.path().join("findings.json");
    std::fs::write(&findings, r#"["s3:ListBucket"]"#).unwrap();
    let (_, kept, _) = run(&[&original, &findings]);
    let kept: Value = serde_json::from_str(&kept).unwrap();
    assert_eq!(kept["Statement"][0]["Action"], json!(["*:List*"]));
    assert_eq!(
        verify(&original, &kept, Some(&findings)),
        (0, "PASS\n".to_string())
    );
    let (_, narrowed, _) = run(&[&original, &findings, Path::new("--catalog-current")]);
    let narrowed: Value = serde_json::from_str(&narrowed).unwrap();
    let (code, stdout) = verify(&original, &narrowed, Some(&findings));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout
            .contains("\"*:List*\" grants services newer than the catalog (newservice:List, say)"),
        "{stdout}"
    );
}

/// verify takes the same `--unused-for` window as the refinement, and then
/// passes refine's output, which keeps what was used within it.
#[test]
fn verify_reads_the_same_window_as_the_refinement() {
    let dir = tempfile::tempdir().unwrap();
    let original = write_policy(
        dir.path(),
        "original.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}),
    );
    let findings = dir.path().join("findings.json");
    std::fs::write(
        &findings,
        r#"{"findingType": "UnusedPermission", "status": "ACTIVE", "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "s3", "actions": [{"action": "s3:PutObject", "lastAccessed": "2026-09-01T00:00:00Z"}]}}]}"#,
    )
    .unwrap();
    let window = ["--unused-for", "90d", "--as-of", "2026-10-02"].map(Path::new);
    let (code, refined, _) = run(&[&[original.as_path(), &findings], &window[..]].concat());
    assert_eq!(code, 0);
    let refined: Value = serde_json::from_str(&refined).unwrap();
    assert_eq!(
        refined["Statement"][0]["Action"],
        json!(["s3:GetObject", "s3:PutObject"])
    );
    let file = dir.path().join("refined.json");
    std::fs::write(&file, refined.to_string()).unwrap();
    let (code, stdout, _) = run(&[
        &[Path::new("verify"), &original, &file, &findings],
        &window[..],
    ]
    .concat());
    assert_eq!((code, stdout.as_str()), (0, "PASS\n"));
    let (code, stdout, _) = run(&[Path::new("verify"), &original, &file, &findings]);
    assert_eq!(
        code, 1,
        "without the window, s3:PutObject is unused: {stdout}"
    );
}

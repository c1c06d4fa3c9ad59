//! `refine replay`: CloudTrail calls decided against policies, at the level
//! of actions. The fixtures are in `fixtures/replay/`: the seed policy as
//! refine refines it against the seed findings, logs of the role `app`,
//! and a policy of Deny statements.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, outcome, refine};
use serde_json::Value;

const APP: &str = "arn:aws:iam::123456789012:role/app";

/// Runs `refine replay ARGS --principal APP` from the fixtures directory.
fn replay(args: &[&str]) -> (i32, String, String) {
    outcome(
        refine()
            .current_dir(fixture(""))
            .arg("replay")
            .args(args)
            .args(["--principal", APP]),
    )
}

#[test]
fn the_refined_seed_policy_serves_every_call() {
    let (code, stdout, stderr) = replay(&[
        "replay/refined-seed.json",
        "--cloudtrail",
        "replay/trail-served.json",
        "--check",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // Six calls by the role (not the other principal's, not the one refused
    // for lack of permission), four actions, none denied.
    assert!(
        stdout.starts_with(&format!(
            "replay: 6 calls by {APP}, 4 actions; 0 calls would be denied\n"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("denied:"), "{stdout}");
    // What replay did not prove is said.
    assert!(stdout.ends_with(
        "note: replay decides actions only: Resource, NotResource and Condition are not evaluated\n"
    ));
}

#[test]
fn a_call_to_an_action_refinement_removed_is_reported() {
    let (code, stdout, _) = replay(&[
        "replay/refined-seed.json",
        "--cloudtrail",
        "replay/trail-removed-action.json",
        "--check",
    ]);
    assert_eq!(code, 1, "{stdout}");
    // DeleteFunction20150331 is lambda:DeleteFunction: the findings called
    // it unused, and it was called twice since. Grouped, counted, dated.
    assert!(
        stdout.contains(
            "\ndenied: lambda:DeleteFunction (2 calls, 2026-11-05T10:00:00Z to 2026-11-06T10:00:00Z): no statement allows it\n"
        ),
        "{stdout}"
    );
    // Without --check, the same report and exit 0.
    let (code, again, _) = replay(&[
        "replay/refined-seed.json",
        "--cloudtrail",
        "replay/trail-removed-action.json",
    ]);
    assert_eq!((code, again.as_str()), (0, stdout.as_str()));
}

#[test]
fn a_deny_blocks_a_call_and_a_conditional_one_is_named() {
    let (code, stdout, _) = replay(&[
        "replay/refined-seed.json",
        "replay/deny-object-reads.json",
        "--cloudtrail",
        "replay/trail-served.json",
        "--check",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let action = |name: &str| {
        report["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["action"] == name)
            .unwrap_or_else(|| panic!("{name} in {stdout}"))
            .clone()
    };
    // The unconditional Deny on every resource blocks s3:GetObject: three
    // calls, first and last dated.
    let get = action("s3:GetObject");
    assert_eq!(get["verdict"], "denied");
    assert_eq!(get["calls"], 3);
    assert_eq!(get["first"], "2026-11-01T09:00:00Z");
    assert_eq!(get["last"], "2026-11-03T11:30:00Z");
    assert_eq!(
        get["denied_by"][0]["statement"],
        "statement 0 (Sid NoObjectReads)"
    );
    assert_eq!(report["denied_calls"], 3);
    // The Deny with a Condition is not decided: named, the call allowed.
    let list = action("s3:ListBucket");
    assert_eq!(list["verdict"], "allowed");
    assert_eq!(
        list["may_deny"][0]["statement"],
        "statement 1 (Sid OnlyTagged)"
    );
}

#[test]
fn a_statement_whose_resource_the_calls_depend_on_is_named_unproven() {
    let (code, stdout, _) = replay(&[
        "replay/refined-seed.json",
        "--cloudtrail",
        "replay/trail-served.json",
    ]);
    assert_eq!(code, 0);
    // lambda:Invoke* is allowed only on one function's ARN: the call is
    // allowed at the action level, and its statement named.
    assert!(
        stdout.contains(
            "\nunproven: lambda:InvokeFunction (1 call, 2026-11-04T08:00:00Z) is allowed only by replay/refined-seed.json statement 0, whose Resource or Condition replay does not evaluate\n"
        ),
        "{stdout}"
    );
    // s3's statement applies to every resource: nothing unproven there.
    assert!(!stdout.contains("unproven: s3:"), "{stdout}");
}

#[test]
fn a_principal_s_policies_from_account_details() {
    let (code, stdout, stderr) = replay(&[
        "--details",
        "account/auth-details.json",
        "--cloudtrail",
        "replay/trail-served.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    // Its inline policy and both managed policies attached to it.
    assert_eq!(
        report["policies"],
        serde_json::json!([
            "role app inline policy app-inline",
            "managed policy shared",
            "managed policy AmazonS3ReadOnlyAccess"
        ])
    );
    assert_eq!(report["denied_calls"], 0);
    // A user holds its groups' policies too.
    let (code, stdout, _) = outcome(refine().current_dir(fixture("")).args([
        "replay",
        "--details",
        "account/auth-details.json",
        "--principal",
        "arn:aws:iam::123456789012:user/alice",
        "--cloudtrail",
        "replay/trail-served.json",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["policies"],
        serde_json::json!(["group devs inline policy devs-inline"])
    );
    // A managed policy attached but missing from the details would make
    // its calls look denied: refused.
    let dir = tempfile::tempdir().unwrap();
    let mut details: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("account/auth-details.json")).unwrap(),
    )
    .unwrap();
    details["RoleDetailList"][0]["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"PolicyName": "Missing", "PolicyArn": "arn:aws:iam::123456789012:policy/missing"}));
    let missing = dir.path().join("details.json");
    std::fs::write(&missing, details.to_string()).unwrap();
    let (code, _, stderr) = replay(&[
        "--details",
        missing.to_str().unwrap(),
        "--cloudtrail",
        "replay/trail-served.json",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("policy/missing attached, which the details do not hold"),
        "{stderr}"
    );
    // --details without --principal fails.
    let (code, _, stderr) = outcome(refine().current_dir(fixture("")).args([
        "replay",
        "--details",
        "account/auth-details.json",
        "--cloudtrail",
        "replay/trail-served.json",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--details needs --principal"), "{stderr}");
}

#[test]
fn bad_input_fails_clearly() {
    let (code, _, stderr) = replay(&[
        "seed-example/findings.json",
        "--cloudtrail",
        "replay/trail-served.json",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("seed-example/findings.json: not a policy"),
        "{stderr}"
    );
    let (code, _, stderr) = replay(&["replay/refined-seed.json", "--cloudtrail", "replay/nowhere"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("replay/nowhere"), "{stderr}");
    let (code, _, stderr) = replay(&["--cloudtrail", "replay/trail-served.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no policy to replay against"), "{stderr}");
}

#[test]
fn alternatives_permission_free_calls_and_escaping() {
    let (code, stdout, stderr) = replay(&[
        "replay/bucket-block-only.json",
        "--cloudtrail",
        "replay/trail-alternatives.json",
        "--check",
    ]);
    // GetPublicAccessBlock maps to a bucket's and an account's action: the
    // bucket's is allowed, so the call is not denied, and the other is
    // named unproven. sts:GetCallerIdentity needs no permission, even
    // against a Deny. Nothing is denied: --check passes.
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "replay: 3 calls by {APP}, 3 actions; 0 calls would be denied\n"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("\nunproven: s3:GetAccountPublicAccessBlock (1 call, 2026-11-07T10:00:00Z) is refused, but those calls map to other actions too"), "{stdout}");
    // A control character in an event name is escaped, never printed.
    assert!(!stdout.contains('\u{1b}'));
    assert!(stdout.contains("Get\\u001b[31mX"), "{stdout}");
}

#[test]
fn expressions_are_named_and_an_empty_replay_is_an_error() {
    let (code, stdout, _) = replay(&[
        "replay/template-with-expressions.yaml",
        "--cloudtrail",
        "replay/trail-served.json",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("\nunproven: replay/template-with-expressions.yaml: AppRole policy app: 1 entry or statement written as expressions, not evaluated: a Deny among them may refuse calls reported allowed\n"), "{stdout}");
    // No call by the principal: nothing to replay is an error, as for
    // --cloudtrail.
    let (code, stdout, stderr) = outcome(refine().current_dir(fixture("")).args([
        "replay",
        "replay/refined-seed.json",
        "--cloudtrail",
        "replay/trail-served.json",
        "--principal",
        "arn:aws:iam::123456789012:role/nobody",
        "--check",
    ]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.contains("no successful call by arn:aws:iam::123456789012:role/nobody"),
        "{stderr}"
    );
    // --check says on stderr how many calls fail it.
    let (code, _, stderr) = replay(&[
        "replay/refined-seed.json",
        "--cloudtrail",
        "replay/trail-removed-action.json",
        "--check",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("error: 2 calls would be denied"),
        "{stderr}"
    );
}

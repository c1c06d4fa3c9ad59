//! The real module tree `../shared/data/iac-samples/terraform/terraform-aws-lambda`
//! (terraform-aws-modules/terraform-aws-lambda, Apache-2.0; read where
//! present, never copied here), refined in a temporary copy:
//!
//! * with findings for no principal of its own, every policy refine finds
//!   is listed by its Terraform address and says why it is not checked
//!   (and a module called once is addressed through its call);
//! * with an owners manifest naming a role for each file that holds
//!   policies, and findings made for those roles from the literal actions
//!   refine reads (every second one of each file), every identity policy
//!   is owned by its file's role and every file is rewritten, and python-hcl2 (an HCL reader independent of
//!   refine's) parses every rewritten file, reads the same literal entries
//!   refine evaluates, and reads back exactly the action lists refine's
//!   JSON report says it wrote (statements matched by their lines);
//! * a document whose every statement goes loses them all, and refine says
//!   the policy grants nothing.
//!
//! The python-hcl2 checks need `scripts/validators` (a virtual
//! environment under target/ with python-hcl2 8.1.4, read through
//! `scripts/hcl2_actions.py`); without it they are skipped with a note,
//! and the rewrite itself is still checked. Without `../shared` every test
//! is skipped with a note.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const ACCOUNT: &str = "123456789012";

/// The module tree, when `../shared` is present.
fn sample() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/iac-samples/terraform/terraform-aws-lambda");
    if !dir.is_dir() {
        eprintln!(
            "note: ../shared/data/iac-samples/terraform/terraform-aws-lambda not present: the real Terraform tree is not tested"
        );
    }
    dir.is_dir().then_some(dir)
}

/// A writable copy of the files of `from` under `dir`/`name` (the sample is
/// read-only, and refine leaves read-only files alone); `only` limits it to
/// those subdirectories.
fn copy(from: &Path, dir: &Path, name: &str, only: &[&str]) -> PathBuf {
    let root = dir.join(name);
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let relative = entry.path().strip_prefix(from).unwrap();
        let wanted = only.is_empty() || only.iter().any(|o| relative.starts_with(o));
        if !entry.file_type().is_file() || !wanted {
            continue;
        }
        let target = root.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        // Written anew rather than copied: the copy must not keep the
        // sample's read-only mode.
        std::fs::write(&target, std::fs::read(entry.path()).unwrap()).unwrap();
    }
    root
}

/// Runs refine in `dir`; returns (exit code, the JSON report, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let (code, stdout, stderr) = common::outcome(common::refine().args(args).current_dir(dir));
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("exit {code}: not a JSON report ({e}): {stdout}\n{stderr}"));
    (code, report, stderr)
}

/// A findings directory `dir`/`name` holding `findings`, one file each.
fn findings_dir(dir: &Path, name: &str, findings: &[Value]) {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    for (i, finding) in findings.iter().enumerate() {
        std::fs::write(path.join(format!("{i}.json")), finding.to_string()).unwrap();
    }
}

/// A get-finding-v2 output saying `unused` for role `arn`: whole services
/// (`s3`) or actions (`s3:GetObject`).
fn finding(arn: &str, id: &str, unused: &[String]) -> Value {
    let mut by_service: BTreeMap<&str, Option<Vec<Value>>> = BTreeMap::new();
    for item in unused {
        match item.split_once(':') {
            Some((service, name)) => by_service
                .entry(service)
                .or_insert_with(|| Some(Vec::new()))
                .as_mut()
                .unwrap()
                .push(json!({"action": name})),
            None => {
                by_service.insert(item, None);
            }
        }
    }
    let details: Vec<Value> = by_service
        .into_iter()
        .map(|(service, actions)| match actions {
            Some(actions) => json!({"unusedPermissionDetails": {"serviceNamespace": service, "actions": actions}}),
            None => json!({"unusedPermissionDetails": {"serviceNamespace": service}}),
        })
        .collect();
    json!({"findingType": "UnusedPermission", "status": "ACTIVE", "id": id,
           "resource": arn, "resourceType": "AWS::IAM::Role", "findingDetails": details})
}

/// A findings directory `dir`/`name` with one finding, for a role of no
/// file of the tree (`role/app`): its ARN.
fn unrelated(dir: &Path, name: &str) -> String {
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/app");
    findings_dir(dir, name, &[finding(&arn, "f0", &["s3:GetObject".into()])]);
    arn
}

/// The role the manifest names for `file` (`tree/modules/deploy/main.tf`
/// owned by `role/tf-modules-deploy-main.tf`).
fn role_of(file: &str) -> String {
    let name = file.strip_prefix("tree/").unwrap().replace('/', "-");
    format!("arn:aws:iam::{ACCOUNT}:role/tf-{name}")
}

/// Whether `address` is a Terraform address of a policy:
/// `[module.NAME.]*(data.aws_iam_policy_document|aws_iam_*).NAME[.inline_policy[I]]`.
fn is_address(address: &str) -> bool {
    let mut parts: Vec<&str> = address.split('.').collect();
    while parts.len() > 2 && parts[0] == "module" {
        parts.drain(..2);
    }
    if parts.first() == Some(&"data") {
        parts.remove(0);
        if parts.first() != Some(&"aws_iam_policy_document") {
            return false;
        }
    }
    if parts
        .last()
        .is_some_and(|p| p.starts_with("inline_policy["))
    {
        parts.pop();
    }
    let name = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    parts.len() == 2 && parts[0].starts_with("aws_iam_") && parts.iter().all(|p| name(p))
}

/// The report's policies: (file, address) to the file's entry.
fn listed(report: &Value) -> BTreeMap<(String, String), Value> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let key = (
                f["file"].as_str().unwrap().to_string(),
                f["policy"].as_str().unwrap_or_default().to_string(),
            );
            (key, f.clone())
        })
        .collect()
}

/// The python of the validators' environment, when it has python-hcl2.
fn validators() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/validators-venv/bin/python");
    let has = python.is_file()
        && Command::new(&python)
            .args(["-c", "import hcl2"])
            .status()
            .is_ok_and(|s| s.success());
    if !has {
        eprintln!("note: no python-hcl2 in target/validators-venv: the independent HCL reader's checks are skipped (run scripts/validators)");
    }
    has.then_some(python)
}

/// What `scripts/hcl2_actions.py` reads in `files`: by file (as given),
/// by address, the statements.
fn hcl2_actions(
    python: &Path,
    files: &[PathBuf],
) -> BTreeMap<String, BTreeMap<String, Vec<Value>>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/hcl2_actions.py");
    let output = Command::new(python)
        .arg(script)
        .args(files)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python-hcl2 cannot read {files:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every service the bundled catalog knows (`s3`).
fn services() -> Vec<String> {
    let catalog = iam_refine::model::catalog::Catalog::bundled();
    let names: BTreeSet<String> = catalog
        .ids()
        .map(|id| catalog.full_name(id).split(':').next().unwrap().to_string())
        .collect();
    names.into_iter().collect()
}

/// The entries a report's results name, by (file, address), each with its
/// line, column, what replaces it and in which element.
fn results(report: &Value) -> BTreeMap<(String, String), Vec<Value>> {
    let mut by_policy: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    for result in report["results"].as_array().unwrap() {
        let key = (
            result["file"].as_str().unwrap().to_string(),
            result["policy"].as_str().unwrap().to_string(),
        );
        by_policy.entry(key).or_default().push(result.clone());
    }
    for list in by_policy.values_mut() {
        list.sort_by_key(|r| (r["line"].as_u64(), r["column"].as_u64()));
    }
    by_policy
}

/// Whether a report result (at its line) is an entry of the statement
/// python-hcl2 read between `line` and `end_line`.
fn within(result: &Value, statement: &Value) -> bool {
    let line = result["line"].as_u64().unwrap();
    statement["line"]
        .as_u64()
        .is_some_and(|start| start <= line)
        && statement["end_line"]
            .as_u64()
            .is_some_and(|end| line <= end)
}

/// The literal list `key` (`actions`, `not_actions`) of a statement, when
/// it has one.
fn literal(statement: &Value, key: &str) -> Option<Vec<String>> {
    statement[key].as_array().map(|list| {
        list.iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    })
}

/// The statements python-hcl2 reads of the policy `address` (as the
/// report names it, `module.x.` prefix and all) in `policies`.
fn statements_of<'a>(policies: &'a BTreeMap<String, Vec<Value>>, address: &str) -> &'a [Value] {
    policies
        .iter()
        .find(|(written, _)| address == *written || address.ends_with(&format!(".{written}")))
        .map(|(_, statements)| statements.as_slice())
        .unwrap_or_else(|| panic!("python-hcl2 reads no policy {address}"))
}

/// Counts of the statements compared with python-hcl2's reading.
#[derive(Debug, Default)]
struct Tally {
    /// Statements with a literal action list, compared.
    compared: usize,
    /// Of those, the ones the report changes.
    refined: usize,
    /// Of those, the ones that go (nothing left to grant).
    removed: usize,
}

/// The statements python-hcl2 read before the rewrite (`old`) as the
/// report says they are after it: each literal entry a result names (by
/// its line, within the statement's block) replaced in place by its
/// `replacement`, a statement left with nothing to grant gone; trust
/// statements and lists that are expressions as written. `probed`, for a
/// policy refine checks, are the results of a report that name every
/// entry refine evaluates: they must be exactly the literal entries
/// python-hcl2 reads.
fn as_reported(
    old: &[Value],
    probed: Option<&[Value]>,
    changes: &[Value],
    place: &str,
    tally: &mut Tally,
) -> Vec<Value> {
    let mut expected = Vec::new();
    for statement in old {
        let mut new = statement.clone();
        if let (Some(mut actions), false) = (
            literal(statement, "actions"),
            statement["principals"] == true,
        ) {
            if let Some(probed) = probed {
                let line = &statement["line"];
                let seen: Vec<String> = probed
                    .iter()
                    .filter(|r| within(r, statement))
                    .map(|r| r["entry"].as_str().unwrap().to_string())
                    .collect();
                assert_eq!(seen, actions, "{place}: what refine reads at line {line}");
            }
            for change in changes.iter().filter(|r| within(r, statement)) {
                let entry = change["entry"].as_str().unwrap();
                let at = actions.iter().position(|a| a == entry).unwrap();
                let replacement: Vec<String> =
                    serde_json::from_value(change["replacement"].clone()).unwrap();
                actions.splice(at..=at, replacement);
            }
            tally.compared += 1;
            tally.refined += usize::from(json!(actions) != statement["actions"]);
            if actions.is_empty() && statement["expressions"] == 0 {
                tally.removed += 1;
                continue;
            }
            new["actions"] = json!(actions);
        }
        expected.push(new);
    }
    expected
}

#[test]
fn every_policy_of_the_tree_is_listed_by_address_with_why_it_is_not_checked() {
    let Some(sample) = sample() else { return };
    let work = tempfile::tempdir().unwrap();
    copy(&sample, work.path(), "tree", &[]);
    // One principal's finding, of no role of the tree.
    let unrelated = unrelated(work.path(), "findings");
    let (code, report, stderr) = run(work.path(), &["tree", "findings", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let policies = listed(&report);
    assert!(!policies.is_empty(), "{stderr}");
    for ((file, address), entry) in &policies {
        assert!(
            is_address(address),
            "{file}: {address:?} is no Terraform address"
        );
        // Every owner is a role of the tree (no finding names one), and
        // each is an expression: nothing is refined, and the report says
        // why, policy by policy.
        assert_eq!(entry["owners"], json!([]), "{file}: {address}");
        assert_eq!(
            entry["not_checked"]["reason"], "owner unknown",
            "{file}: {address}"
        );
        assert_eq!(entry["changed"], false, "{file}: {address}");
    }
    let why = |file: &str, address: &str| {
        policies[&(file.to_string(), address.to_string())]["not_checked"]["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // iam.tf of the root module: the documents attached to
    // aws_iam_role.lambda, whose name is local.role_name. The root module
    // is called by every example and the wrapper, modules/deploy by
    // examples/deploy and wrappers/deploy: no `module.` prefix.
    let root = [
        "data.aws_iam_policy_document.logs",
        "data.aws_iam_policy_document.dead_letter",
        "data.aws_iam_policy_document.async",
        "data.aws_iam_policy_document.additional_inline",
    ];
    for address in root {
        let why = why("tree/iam.tf", address);
        assert!(
            why.starts_with("owner unknown: aws_iam_role.lambda: its name is an expression"),
            "{address}: {why}"
        );
    }
    // modules/deploy: attached to `try(aws_iam_role.codedeploy[0].id, "")`.
    let deploy = [
        "data.aws_iam_policy_document.hooks",
        "data.aws_iam_policy_document.triggers",
    ];
    for address in deploy {
        assert_eq!(
            why("tree/modules/deploy/main.tf", address),
            "owner unknown: the role is an expression: not followed"
        );
    }
    let mut expected: BTreeSet<(String, String)> = root
        .iter()
        .map(|a| ("tree/iam.tf".to_string(), a.to_string()))
        .chain(
            deploy
                .iter()
                .map(|a| ("tree/modules/deploy/main.tf".to_string(), a.to_string())),
        )
        .collect();
    // The role's trust policy, whose dynamic statement keeps refine from
    // seeing that every statement has principals: listed, not checked.
    let trust = (
        "tree/iam.tf".to_string(),
        "data.aws_iam_policy_document.assume_role".to_string(),
    );
    if policies.contains_key(&trust) {
        expected.insert(trust);
    }
    // Not listed: the trust and resource policies whose every statement
    // has principals (modules/deploy's assume_role, the endpoint and
    // bucket policies of examples/with-vpc-s3-endpoint), and the policies
    // passed to registry modules or as module arguments.
    let found: BTreeSet<(String, String)> = policies.keys().cloned().collect();
    assert_eq!(found, expected);
    for (file, address) in [
        ("tree/modules/deploy/main.tf", "assume_role"),
        ("tree/examples/with-vpc-s3-endpoint/main.tf", "endpoint"),
        ("tree/examples/with-vpc-s3-endpoint/main.tf", "bucket"),
    ] {
        let note =
            format!("data.aws_iam_policy_document.{address}: every statement has principals");
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(file) && l.contains(&note)),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains(&format!(
            "findings for 1 principal that no policy here belongs to: {unrelated}"
        )),
        "{stderr}"
    );
    assert_eq!(report["totals"]["not_checked"], json!(policies.len()));
}

#[test]
fn a_module_called_once_is_addressed_through_its_call() {
    let Some(sample) = sample() else { return };
    let work = tempfile::tempdir().unwrap();
    // examples/deploy calls modules/deploy once, as `module "deploy"`.
    copy(
        &sample,
        work.path(),
        "tree",
        &["examples/deploy", "modules/deploy"],
    );
    unrelated(work.path(), "findings");
    let (code, report, stderr) = run(work.path(), &["tree", "findings", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let found: Vec<(String, String)> = listed(&report).into_keys().collect();
    assert_eq!(
        found,
        [
            "module.deploy.data.aws_iam_policy_document.hooks",
            "module.deploy.data.aws_iam_policy_document.triggers",
        ]
        .map(|a| ("tree/modules/deploy/main.tf".to_string(), a.to_string()))
    );
}

/// A copy of the tree under `work`/tree, with `work`/owners.json naming a
/// role of its own for each file refine lists policies in: the files.
fn with_manifest(sample: &Path, work: &Path) -> BTreeSet<String> {
    copy(sample, work, "tree", &[]);
    unrelated(work, "none");
    let (code, first, stderr) = run(work, &["tree", "none", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let files: BTreeSet<String> = listed(&first).into_keys().map(|(file, _)| file).collect();
    assert!(!files.is_empty());
    let manifest: BTreeMap<&String, Vec<String>> =
        files.iter().map(|f| (f, vec![role_of(f)])).collect();
    std::fs::write(
        work.join("owners.json"),
        serde_json::to_string(&manifest).unwrap(),
    )
    .unwrap();
    files
}

/// The report of a run with the manifest and findings that leave every
/// service unused for each of its roles: its results name every literal
/// entry refine evaluates, in every policy it checks.
fn probe(work: &Path, files: &BTreeSet<String>) -> Value {
    let every: Vec<Value> = files
        .iter()
        .enumerate()
        .map(|(i, f)| finding(&role_of(f), &format!("p{i}"), &services()))
        .collect();
    findings_dir(work, "probe", &every);
    let (code, report, stderr) = run(
        work,
        &[
            "tree",
            "probe",
            "--owners",
            "owners.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    report
}

#[test]
fn with_a_manifest_every_file_of_checked_policies_rewrites_as_python_hcl2_reads_it_back() {
    let Some(sample) = sample() else { return };
    let python = validators();
    let work = tempfile::tempdir().unwrap();
    let files = with_manifest(&sample, work.path());
    let tree = work.path().join("tree");
    let probe = probe(work.path(), &files);
    let mut checked = BTreeSet::new();
    for (key, entry) in listed(&probe) {
        // The manifest's word answers the owners refine cannot name.
        assert!(entry["not_checked"].is_null(), "{key:?}: {entry}");
        let owner = json!([{"arn": role_of(&key.0), "source": "manifest"}]);
        assert_eq!(entry["owners"], owner, "{key:?}");
        checked.insert(key);
    }
    let read = results(&probe);
    assert!(!read.is_empty());

    // Each role leaves unused every second literal action of its file, in
    // the order written: in modules/deploy, whose statements grant one
    // action each, the hooks document loses its only statement.
    let mut written: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for ((file, address), entries) in &read {
        for result in entries {
            assert_eq!(
                result["replaced_by"], "Action",
                "{file}: {address}: {result}"
            );
            written.entry(file).or_default().push(result);
        }
    }
    let mut findings = Vec::new();
    for (i, (file, mut entries)) in written.into_iter().enumerate() {
        entries.sort_by_key(|r| (r["line"].as_u64(), r["column"].as_u64()));
        let mut distinct: Vec<String> = Vec::new();
        for entry in entries {
            let action = entry["entry"].as_str().unwrap().to_string();
            if !distinct.contains(&action) {
                distinct.push(action);
            }
        }
        let unused: Vec<String> = distinct.into_iter().step_by(2).collect();
        findings.push(finding(&role_of(file), &format!("u{i}"), &unused));
    }
    assert!(!findings.is_empty());
    findings_dir(work.path(), "findings", &findings);

    let (code, report, stderr) = run(
        work.path(),
        &[
            "tree",
            "findings",
            "--owners",
            "owners.json",
            "--in-place",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let refined = results(&report);
    let given: BTreeSet<String> = findings
        .iter()
        .map(|f| f["resource"].as_str().unwrap().to_string())
        .collect();
    let mut rewritten = Vec::new();
    for file in &files {
        let relative = file.strip_prefix("tree/").unwrap();
        let before = std::fs::read_to_string(sample.join(relative)).unwrap();
        let after = std::fs::read_to_string(tree.join(relative)).unwrap();
        let changed = refined.keys().any(|(f, _)| f == file);
        // Every file whose role was given unused actions is rewritten;
        // every other is not touched.
        assert_eq!(changed, given.contains(&role_of(file)), "{file}: {stderr}");
        assert_eq!(before != after, changed, "{file}: {stderr}");
        if changed {
            rewritten.push(file.clone());
        }
    }
    assert!(!rewritten.is_empty(), "{stderr}");

    let Some(python) = python else { return };
    // Independent readings of every file that holds policies, as it was
    // and as it is now (every rewritten file must parse).
    let paths = |base: &Path| -> Vec<PathBuf> {
        files
            .iter()
            .map(|f| base.join(f.strip_prefix("tree/").unwrap()))
            .collect()
    };
    let (originals, copies) = (paths(&sample), paths(&tree));
    let was = hcl2_actions(&python, &originals);
    let now = hcl2_actions(&python, &copies);
    let mut tally = Tally::default();
    for (i, file) in files.iter().enumerate() {
        let was = &was[&originals[i].display().to_string()];
        let now = &now[&copies[i].display().to_string()];
        assert_eq!(
            was.keys().collect::<Vec<_>>(),
            now.keys().collect::<Vec<_>>(),
            "{file}: the policies python-hcl2 reads"
        );
        for (f, address) in listed(&report).into_keys().filter(|(f, _)| f == file) {
            let empty = Vec::new();
            let key = (f.clone(), address.clone());
            let expected = as_reported(
                statements_of(was, &address),
                checked
                    .contains(&key)
                    .then(|| read.get(&key).unwrap_or(&empty).as_slice()),
                refined.get(&key).unwrap_or(&empty),
                &format!("{f}: {address}"),
                &mut tally,
            );
            let unplaced = |statements: &[Value]| -> Vec<Value> {
                statements
                    .iter()
                    .map(|s| {
                        let mut s = s.clone();
                        let object = s.as_object_mut().unwrap();
                        object.remove("line");
                        object.remove("end_line");
                        s
                    })
                    .collect()
            };
            assert_eq!(
                unplaced(statements_of(now, &address)),
                unplaced(&expected),
                "{f}: {address}: python-hcl2 reads back other statements than the report says"
            );
        }
    }
    // iam.tf: dead_letter, async and logs (whose other entries are
    // expressions); additional_inline is dynamic;
    // modules/deploy: hooks, removed, and triggers, kept.
    assert!(tally.compared >= 4, "{tally:?}");
    assert!(tally.refined >= 3, "{tally:?}");
    assert!(tally.removed >= 1, "{tally:?}");
}

#[test]
fn with_a_manifest_every_identity_policy_is_owned_by_its_files_role() {
    let Some(sample) = sample() else { return };
    let work = tempfile::tempdir().unwrap();
    let files = with_manifest(&sample, work.path());
    let probe = probe(work.path(), &files);
    // iam.tf's assume_role is the role's trust policy: no role owns it.
    let trust = "data.aws_iam_policy_document.assume_role";
    let mut files_checked = BTreeSet::new();
    for ((file, address), entry) in listed(&probe).into_iter().filter(|((_, a), _)| a != trust) {
        assert_eq!(entry["not_checked"], Value::Null, "{file}: {address}");
        let owner = json!([{"arn": role_of(&file), "source": "manifest"}]);
        assert_eq!(entry["owners"], owner, "{file}: {address}");
        files_checked.insert(file);
    }
    assert_eq!(files_checked, files);
}

/// A document whose every statement grants only unused actions loses them
/// all, and refine says the policy it makes grants nothing.
#[test]
fn a_codedeploy_role_that_uses_neither_hook_nor_topic_loses_both_statements_and_is_told_to_remove_them(
) {
    let Some(sample) = sample() else { return };
    let work = tempfile::tempdir().unwrap();
    let tree = copy(&sample, work.path(), "tree", &[]);
    let file = "tree/modules/deploy/main.tf";
    let manifest = json!({ file: [role_of(file)] });
    std::fs::write(work.path().join("owners.json"), manifest.to_string()).unwrap();
    let unused = [
        "lambda:InvokeFunction".to_string(),
        "sns:Publish".to_string(),
    ];
    findings_dir(
        work.path(),
        "findings",
        &[finding(&role_of(file), "u0", &unused)],
    );
    let (code, report, stderr) = run(
        work.path(),
        &[
            "tree",
            "findings",
            "--owners",
            "owners.json",
            "--in-place",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    for address in ["hooks", "triggers"] {
        let key = (
            file.to_string(),
            format!("data.aws_iam_policy_document.{address}"),
        );
        assert_eq!(listed(&report)[&key]["grants_nothing"], true, "{address}");
        assert!(
            stderr.contains(&format!(
                "data.aws_iam_policy_document.{address}: grants nothing used: remove it"
            )),
            "{stderr}"
        );
    }
    let after = std::fs::read_to_string(tree.join("modules/deploy/main.tf")).unwrap();
    for action in &unused {
        assert!(!after.contains(&format!("\"{action}\"")), "{action} kept");
    }
    if let Some(python) = validators() {
        // The documents stay, without a statement; the trust policy is
        // untouched.
        let path = tree.join("modules/deploy/main.tf");
        let read = hcl2_actions(&python, std::slice::from_ref(&path));
        let policies = &read[&path.display().to_string()];
        assert_eq!(
            policies["data.aws_iam_policy_document.hooks"],
            Vec::<Value>::new()
        );
        assert_eq!(
            policies["data.aws_iam_policy_document.triggers"],
            Vec::<Value>::new()
        );
        let trust = &policies["data.aws_iam_policy_document.assume_role"];
        assert_eq!(
            literal(&trust[0], "actions"),
            Some(vec!["sts:AssumeRole".to_string()])
        );
    }
}

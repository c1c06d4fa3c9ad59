//! Whose a Terraform policy is, where a principal it reaches could be
//! missed: each case one a review found refined against too few owners
//! (or broadened), now left as written and reported, or refined safely.
//!
//! Every case has role A (s3:GetObject, s3:PutObject, s3:ListBucket, sqs
//! and dynamodb unused) and role B, which uses s3 (only dynamodb unused):
//! a policy that reaches B and loses an s3 action has lost one in use.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

/// A finding for role `name` with `unused` ("service" or "service:Action").
fn finding(name: &str, unused: &[&str]) -> String {
    let mut by_service: Vec<(String, Vec<String>)> = Vec::new();
    for entry in unused {
        let (service, action) = entry.split_once(':').unwrap_or((entry, ""));
        match by_service.iter_mut().find(|(s, _)| s == service) {
            Some((_, actions)) => actions.push(action.to_string()),
            None => by_service.push((service.to_string(), vec![action.to_string()])),
        }
    }
    let details: Vec<serde_json::Value> = by_service
        .into_iter()
        .map(|(service, actions)| {
            let mut detail = serde_json::json!({"serviceNamespace": service});
            if !actions.iter().all(String::is_empty) {
                detail["actions"] = actions
                    .iter()
                    .map(|a| serde_json::json!({"action": a}))
                    .collect();
            }
            serde_json::json!({"unusedPermissionDetails": detail})
        })
        .collect();
    serde_json::json!({
        "findingType": "UnusedPermission", "status": "ACTIVE", "id": name,
        "resource": format!("arn:aws:iam::123456789012:role/{name}"),
        "resourceType": "AWS::IAM::Role", "findingDetails": details,
    })
    .to_string()
}

/// Runs `refine DIR findings --diff ARGS` on a configuration of `files`;
/// returns (exit code, diff, stderr).
fn run(files: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tf");
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let findings = dir.path().join("findings");
    std::fs::create_dir_all(&findings).unwrap();
    let a = [
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "sqs",
        "dynamodb",
    ];
    std::fs::write(findings.join("A.json"), finding("A", &a)).unwrap();
    std::fs::write(findings.join("B.json"), finding("B", &["dynamodb"])).unwrap();
    let mut command = common::refine();
    command
        .current_dir(&root)
        .args([".", findings.to_str().unwrap(), "--diff"])
        .args(args);
    common::outcome(&mut command)
}

/// Asserts the configuration is left as written, with `why` said.
fn left(files: &[(&str, &str)], why: &str) {
    let (code, diff, err) = run(files, &[]);
    assert_eq!((code, diff.as_str()), (0, ""), "{err}");
    assert!(err.contains(why), "expected {why:?} in:\n{err}");
}

const ROLES: &str = r#"
resource "aws_iam_role" "a" {
  name               = "A"
  assume_role_policy = "{}"
}
resource "aws_iam_role" "b" {
  name               = "B"
  assume_role_policy = "{}"
}
"#;

const DOC: &str = r#"
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
    resources = ["*"]
  }
}
"#;

#[test]
fn a_document_also_used_through_a_local_an_output_or_a_module_is_left() {
    let uses = [
        (
            "locals { doc = data.aws_iam_policy_document.d.json }",
            "used by locals (doc)",
        ),
        (
            "output \"doc\" { value = data.aws_iam_policy_document.d.json }",
            "used by output.doc (value)",
        ),
        (
            "module \"b\" {\n  source = \"./b\"\n  policy = data.aws_iam_policy_document.d.json\n}",
            "used by module.b (policy)",
        ),
    ];
    for (other, why) in uses {
        let main = format!(
            "{ROLES}{DOC}resource \"aws_iam_role_policy\" \"a\" {{\n  role   = aws_iam_role.a.name\n  policy = data.aws_iam_policy_document.d.json\n}}\n{other}\n"
        );
        left(
            &[
                ("main.tf", &main),
                ("b/main.tf", "variable \"policy\" {}\n"),
            ],
            why,
        );
    }
}

#[test]
fn an_override_document_and_a_statement_that_overrides_by_sid_stay() {
    let main = r#"
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "S3"
    actions   = ["s3:*"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "narrow" {
  statement {
    sid       = "S3"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "combined" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [data.aws_iam_policy_document.narrow.json]
  statement {
    sid       = "S3"
    actions   = ["s3:GetObject", "sqs:SendMessage"]
    resources = ["*"]
  }
}
resource "aws_iam_role_policy" "a" {
  role   = "A"
  policy = data.aws_iam_policy_document.combined.json
}
"#;
    let (code, diff, err) = run(&[("main.tf", main)], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("data.aws_iam_policy_document.narrow overrides statements of data.aws_iam_policy_document.combined by Sid"),
        "{err}"
    );
    // combined's own S3 statement replaces base's: removed, it would let
    // s3:* back. Only base (narrowed, still overridden) changes.
    assert!(
        !diff.contains("\"s3:GetObject\", \"sqs:SendMessage\""),
        "{diff}"
    );
    assert!(diff.contains("-    actions   = [\"s3:*\"]"), "{diff}");
}

#[test]
fn a_policy_named_by_its_arn_or_a_data_source_elsewhere_is_left() {
    let policy = r#"
resource "aws_iam_policy" "p" {
  name   = "shared"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "s3:ListBucket"], Resource = "*" }] })
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = "A"
  policy_arn = aws_iam_policy.p.arn
}
"#;
    let by_arn = format!("{policy}resource \"aws_iam_role_policy_attachment\" \"b\" {{\n  role       = \"B\"\n  policy_arn = \"arn:aws:iam::123456789012:policy/shared\"\n}}\n");
    left(
        &[("main.tf", &by_arn)],
        "aws_iam_policy.p (shared) is also named by aws_iam_role_policy_attachment.b",
    );
    let by_data =
        format!("{policy}data \"aws_iam_policy\" \"shared\" {{\n  name = \"shared\"\n}}\n");
    left(
        &[("main.tf", &by_data)],
        "is also named by data.aws_iam_policy.shared",
    );
}

#[test]
fn a_policy_file_read_anywhere_refine_does_not_follow_is_left() {
    let json = r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}"#;
    let root = "module \"m\" {\n  source = \"./m\"\n}\nresource \"aws_iam_role_policy\" \"a\" {\n  role   = \"A\"\n  policy = file(\"${path.module}/p.json\")\n}\n";
    // The module reads it relative to where Terraform runs.
    let module = "resource \"aws_iam_role_policy\" \"b\" {\n  role   = \"B\"\n  policy = file(\"p.json\")\n}\n";
    left(
        &[("main.tf", root), ("m/main.tf", module), ("p.json", json)],
        "./m/main.tf:3 names p.json outside a policy refine follows",
    );
    let local = "locals {\n  p = file(\"${path.module}/p.json\")\n}\nresource \"aws_iam_role_policy\" \"a\" {\n  role   = \"A\"\n  policy = file(\"${path.module}/p.json\")\n}\nresource \"aws_iam_role_policy\" \"b\" {\n  role   = \"B\"\n  policy = local.p\n}\n";
    left(
        &[("main.tf", local), ("p.json", json)],
        "./main.tf:2 names p.json outside a policy refine follows",
    );
    // Read by a data source, by its name.
    let data = "data \"local_file\" \"p\" {\n  filename = \"${path.module}/p.json\"\n}\nresource \"aws_iam_role_policy\" \"a\" {\n  role   = \"A\"\n  policy = file(\"${path.module}/p.json\")\n}\nresource \"aws_iam_role_policy\" \"b\" {\n  role   = \"B\"\n  policy = data.local_file.p.content\n}\n";
    left(
        &[("main.tf", data), ("p.json", json)],
        "./main.tf:2 names p.json outside a policy refine follows",
    );
    // Read by a call whose path refine cannot tell.
    let unknown = "variable \"f\" {}\nresource \"aws_iam_role_policy\" \"a\" {\n  role   = \"A\"\n  policy = file(\"${path.module}/p.json\")\n}\nresource \"aws_iam_role_policy\" \"b\" {\n  role   = \"B\"\n  policy = file(var.f)\n}\n";
    left(&[("main.tf", unknown), ("p.json", json)], "./main.tf:8 reads a file with file(...) or templatefile(...) outside a policy refine follows");
}

#[test]
fn an_override_file_leaves_its_module_as_written() {
    let main = format!("{ROLES}resource \"aws_iam_role_policy\" \"x\" {{\n  role   = aws_iam_role.a.name\n  policy = jsonencode({{ Statement = [{{ Effect = \"Allow\", Action = [\"s3:GetObject\", \"s3:ListBucket\"], Resource = \"*\" }}] }})\n}}\n");
    let rename = "resource \"aws_iam_role\" \"a\" {\n  name = \"B\"\n}\n";
    left(
        &[("main.tf", &main), ("override.tf", rename)],
        "override.tf is an override file",
    );
    let rename = r#"{"resource": {"aws_iam_role": {"a": {"name": "B"}}}}"#;
    left(
        &[("main.tf", &main), ("x_override.tf.json", rename)],
        "x_override.tf.json is an override file",
    );
}

#[test]
fn a_module_a_remote_or_absolute_call_may_reach_is_left() {
    let module = "variable \"role\" {}\nresource \"aws_iam_role_policy\" \"x\" {\n  role   = var.role\n  policy = jsonencode({ Statement = [{ Effect = \"Allow\", Action = [\"s3:GetObject\", \"s3:ListBucket\"], Resource = \"*\" }] })\n}\n";
    for source in [
        "git::https://example.com/org/repo.git//tf/mod?ref=v1",
        "/srv/tf/mod",
    ] {
        let main = format!("module \"a\" {{\n  source = \"./mod\"\n  role   = \"A\"\n}}\nmodule \"b\" {{\n  source = \"{source}\"\n  role   = \"B\"\n}}\n");
        left(
            &[("main.tf", &main), ("mod/main.tf", module)],
            "may call its module from outside the tree",
        );
    }
    // A registry module is never one of the tree's.
    let main = "module \"a\" {\n  source = \"./mod\"\n  role   = \"A\"\n}\nmodule \"b\" {\n  source = \"terraform-aws-modules/iam/aws\"\n}\n";
    let (code, diff, err) = run(&[("main.tf", main), ("mod/main.tf", module)], &[]);
    assert_eq!(code, 0, "{err}");
    // Both entries unused by A: the statement goes.
    assert!(
        diff.contains("+  policy = jsonencode({ Statement = [] })"),
        "{diff}"
    );
}

#[test]
fn an_indexed_tuple_and_a_call_diamond_leave_owners_unknown() {
    let indexed = format!("{ROLES}variable \"i\" {{}}\nresource \"aws_iam_role_policy\" \"x\" {{\n  role   = [aws_iam_role.a.name, \"B\"][var.i]\n  policy = jsonencode({{ Statement = [{{ Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = \"*\" }}] }})\n}}\n");
    left(
        &[("main.tf", &indexed)],
        "the role is an expression refine does not follow",
    );
    let module = "resource \"aws_iam_role_policy\" \"x\" {\n  role   = \"A\"\n  policy = jsonencode({ Statement = [{ Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = \"*\" }] })\n}\n";
    // Each level calls the next three times: 3^8 chains.
    let mut files = vec![("main.tf".to_string(), "module \"a\" { source = \"./m1\" }\nmodule \"b\" { source = \"./m1\" }\nmodule \"c\" { source = \"./m1\" }\n".to_string())];
    let mut dir = "m1".to_string();
    for level in 2..=8 {
        let next = format!("./m{level}");
        files.push((format!("{dir}/main.tf"), format!("module \"a\" {{ source = \"{next}\" }}\nmodule \"b\" {{ source = \"{next}\" }}\nmodule \"c\" {{ source = \"{next}\" }}\n")));
        dir = format!("{dir}/m{level}");
    }
    files.push((format!("{dir}/main.tf"), module.to_string()));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    left(&files, "reached by more than 256 chains of module calls");
}

#[test]
fn a_manifest_names_an_unnamed_role_but_not_an_exported_policy() {
    let main = "variable \"r\" {}\nresource \"aws_iam_role_policy\" \"c\" {\n  role   = var.r\n  policy = jsonencode({ Statement = [{ Effect = \"Allow\", Action = [\"s3:GetObject\", \"s3:ListBucket\"], Resource = \"*\" }] })\n}\nresource \"aws_iam_policy\" \"shared\" {\n  name   = \"shared\"\n  policy = jsonencode({ Statement = [{ Effect = \"Allow\", Action = [\"s3:PutObject\"], Resource = \"*\" }] })\n}\noutput \"shared_arn\" {\n  value = aws_iam_policy.shared.arn\n}\n";
    let manifest = r#"{"main.tf": ["arn:aws:iam::123456789012:role/A"]}"#;
    let files = [("main.tf", main), ("owners.json", manifest)];
    let (code, diff, err) = run(&files, &["--owners", "owners.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        diff.contains("+  policy = jsonencode({ Statement = [] })"),
        "{diff}"
    );
    assert!(
        !diff.contains("s3:PutObject"),
        "the exported policy stays: {diff}"
    );
    assert!(
        err.contains("aws_iam_policy.shared is also used by output.shared_arn"),
        "{err}"
    );
    // Without the manifest, the unnamed role leaves its policy as written.
    let (_, diff, err) = run(&files[..1], &[]);
    assert_eq!(diff, "");
    assert!(
        err.contains("the role is var.r, an input of the root module"),
        "{err}"
    );
}

#[test]
fn an_attachment_in_terraform_json_syntax_is_an_owner_too() {
    let main = "resource \"aws_iam_policy\" \"p\" {\n  name   = \"p\"\n  policy = jsonencode({ Statement = [{ Effect = \"Allow\", Action = [\"s3:GetObject\", \"sqs:SendMessage\"], Resource = \"*\" }] })\n}\nresource \"aws_iam_role_policy_attachment\" \"a\" {\n  role       = \"A\"\n  policy_arn = aws_iam_policy.p.arn\n}\n";
    // The JSON syntax allows a list of objects wherever it allows an object.
    let attachment = r#"{"role": "B", "policy_arn": "${aws_iam_policy.p.arn}"}"#;
    let forms = [
        format!(r#"{{"resource": {{"aws_iam_role_policy_attachment": {{"b": {attachment}}}}}}}"#),
        format!(r#"{{"resource": [{{"aws_iam_role_policy_attachment": {{"b": {attachment}}}}}]}}"#),
        format!(
            r#"{{"resource": {{"aws_iam_role_policy_attachment": [{{"b": [{attachment}]}}]}}}}"#
        ),
        format!(r#"[{{"resource": {{"aws_iam_role_policy_attachment": {{"b": {attachment}}}}}}}]"#),
        r#"{"resource": {"aws_iam_role_policy_attachment": {"b": {"role": "${~ \"B\" ~}", "policy_arn": "${~ aws_iam_policy.p.arn ~}"}}}}"#.to_string(),
    ];
    for json in &forms {
        let (code, diff, err) = run(&[("main.tf", main), ("extra.tf.json", json)], &[]);
        assert_eq!(code, 0, "{json}: {err}");
        // B uses S3 and SQS: nothing that A and B both leave unused is granted.
        assert_eq!(diff, "", "{json}: {err}");
        assert!(
            err.contains("1 policy: 0 to refine, 1 unchanged"),
            "{json}: {err}"
        );
    }
    // A large file is read too: leaving it out would leave B out.
    let padding = format!("# {}\n", "x".repeat(100)).repeat(11_000);
    let large = format!("{padding}resource \"aws_iam_role_policy_attachment\" \"b\" {{\n  role       = \"B\"\n  policy_arn = aws_iam_policy.p.arn\n}}\n");
    let (code, diff, err) = run(&[("main.tf", main), ("b.tf", &large)], &[]);
    assert_eq!((code, diff.as_str()), (0, ""), "{err}");
    let (_, diff, _) = run(&[("main.tf", main)], &[]);
    assert!(
        diff.contains("Action = []") || diff.contains("Statement = []"),
        "{diff}"
    );
}

#[test]
fn files_terraform_does_not_read_are_not_read() {
    let policy = "resource \"aws_iam_role_policy\" \"x\" {\n  role   = \"A\"\n  policy = jsonencode({ Statement = [{ Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = \"*\" }] })\n}\n";
    // Terraform's working directory, a hidden file, another case, a backup.
    let files = [
        (".terraform/modules/m/main.tf", policy),
        (".hidden.tf", policy),
        ("upper.TF", policy),
        ("main.tf~", policy),
    ];
    let (code, diff, err) = run(&files, &[]);
    assert_eq!((code, diff.as_str()), (0, ""), "{err}");
    assert!(err.contains("0 policies"), "{err}");
}

#[test]
fn a_policy_file_outside_the_tree_is_said_and_left() {
    let json = r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}"#;
    let x = "resource \"aws_iam_role_policy\" \"a\" {\n  role   = \"A\"\n  policy = file(\"${path.module}/../shared/p.json\")\n}\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("x")).unwrap();
    std::fs::create_dir_all(dir.path().join("shared")).unwrap();
    std::fs::write(dir.path().join("x/main.tf"), x).unwrap();
    std::fs::write(dir.path().join("shared/p.json"), json).unwrap();
    let findings = dir.path().join("findings");
    std::fs::create_dir_all(&findings).unwrap();
    std::fs::write(findings.join("A.json"), finding("A", &["s3:GetObject"])).unwrap();
    let (code, _, err) =
        common::outcome(common::refine().current_dir(dir.path().join("x")).args([
            ".",
            findings.to_str().unwrap(),
            "--in-place",
        ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "../shared/p.json: a policy file the configuration reads, outside .: not refined"
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("shared/p.json")).unwrap(),
        json
    );
}

#[test]
fn a_name_a_module_call_passes_as_a_string_names_its_role() {
    let module = "variable \"name\" {}\nresource \"aws_iam_role\" \"this\" {\n  name               = \"${var.name}\"\n  assume_role_policy = \"{}\"\n}\nresource \"aws_iam_role_policy\" \"this\" {\n  role   = aws_iam_role.this.id\n  policy = jsonencode({ Statement = [{ Effect = \"Allow\", Action = [\"s3:GetObject\", \"dynamodb:GetItem\"], Resource = \"*\" }] })\n}\n";
    // Called as A: A leaves both unused.
    let main = "module \"a\" {\n  source = \"./m\"\n  name   = \"A\"\n}\n";
    let (code, diff, err) = run(&[("main.tf", main), ("m/main.tf", module)], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        diff.contains("+  policy = jsonencode({ Statement = [] })"),
        "{diff}\n{err}"
    );
    // Called as A and as B (through a local): B uses s3, so s3 stays.
    let both = "locals {\n  b = \"B\"\n}\nmodule \"a\" {\n  source = \"./m\"\n  name   = \"A\"\n}\nmodule \"b\" {\n  source = \"./m\"\n  name   = \"${local.b}\"\n}\n";
    let (code, diff, err) = run(&[("main.tf", both), ("m/main.tf", module)], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(diff.contains("+  policy = jsonencode({ Statement = [{ Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = \"*\" }] })"), "{diff}\n{err}");
}

#[test]
fn a_state_of_another_configuration_with_the_same_addresses_is_refused() {
    // fixtures' workers state has aws_iam_role.worker[0] and [1]; this
    // role has no count.
    let main = "resource \"aws_iam_role\" \"worker\" {\n  name_prefix        = \"w\"\n  assume_role_policy = \"{}\"\n}\n";
    let state = std::fs::read_to_string(common::fixture("terraform/states/workers.json")).unwrap();
    let (code, _, err) = run(
        &[("main.tf", main), ("state/s.json", &state)],
        &["--tf-state", "state/s.json"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the state is not of any root module here"),
        "{err}"
    );
}

#[test]
fn a_state_whose_names_differ_from_the_written_ones_is_refused() {
    let main = "resource \"aws_iam_role\" \"app\" {\n  name               = \"A\"\n  assume_role_policy = \"{}\"\n}\n";
    let state = r#"{"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_iam_role.app", "mode": "managed", "type": "aws_iam_role", "name": "app",
         "values": {"name": "B", "arn": "arn:aws:iam::123456789012:role/B"}}]}}}"#;
    let (code, _, err) = run(
        &[("main.tf", main), ("state/s.json", state)],
        &["--tf-state", "state/s.json"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the state is not of any root module here"),
        "{err}"
    );
}

#[test]
fn names_refine_cannot_trust_leave_the_policy_as_written() {
    let module = |name: &str, extra: &str| {
        format!("variable \"name\" {{}}\nresource \"aws_iam_role\" \"r\" {{\n  name               = {name}\n  assume_role_policy = \"{{}}\"\n{extra}}}\nresource \"aws_iam_role_policy\" \"p\" {{\n  role   = aws_iam_role.r.id\n  policy = jsonencode({{ Statement = [{{ Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = \"*\" }}] }})\n}}\n")
    };
    let call = "module \"m\" {\n  source = \"./m\"\n  name   = \"A\"\n}\n";
    // An override file in the caller may pass another name.
    let over = "module \"m\" {\n  name = \"B\"\n}\n";
    let plain = module("var.name", "");
    left(
        &[
            ("main.tf", call),
            ("override.tf", over),
            ("m/main.tf", &plain),
        ],
        "./override.tf is an override file",
    );
    // One role per workspace; a deployed name a lifecycle ignores.
    let workspace = module("\"app-${terraform.workspace}\"", "");
    left(
        &[("main.tf", call), ("m/main.tf", &workspace)],
        "its name holds terraform.workspace",
    );
    let ignored = module(
        "var.name",
        "  lifecycle {\n    ignore_changes = [name]\n  }\n",
    );
    left(
        &[("main.tf", call), ("m/main.tf", &ignored)],
        "its lifecycle ignores changes to its name",
    );
    // A strip marker changes the text around it: not read.
    let stripped = module("\"${var.name} ${~ var.name}\"", "");
    left(
        &[("main.tf", call), ("m/main.tf", &stripped)],
        "its name is an expression",
    );
}

#[test]
fn a_state_of_another_configuration_in_a_module_is_refused() {
    let module = "resource \"aws_iam_role\" \"r\" {\n  name               = \"B\"\n  assume_role_policy = \"{}\"\n}\n";
    let main = "module \"m\" {\n  source = \"./m\"\n}\n";
    let state = r#"{"format_version": "1.0", "values": {"root_module": {"child_modules": [
        {"address": "module.m", "resources": [
          {"address": "module.m.aws_iam_role.r[0]", "mode": "managed", "type": "aws_iam_role", "name": "r", "index": 0,
           "values": {"name": "A", "arn": "arn:aws:iam::123456789012:role/A"}}]}]}}}"#;
    let (code, _, err) = run(
        &[
            ("main.tf", main),
            ("m/main.tf", module),
            ("state/s.json", state),
        ],
        &["--tf-state", "state/s.json"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the state is not of any root module here"),
        "{err}"
    );
}

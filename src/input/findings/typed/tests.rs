//! The typed reader against the positioned one: where it answers, it
//! answers what the positioned reader does; and it does answer for the
//! shapes AWS writes (else it would be a slower path, not a faster one).

use super::groups;
use crate::input::findings::parse_groups_positioned;
use proptest::prelude::*;

/// Both readers' groups, as text, for comparing.
fn positioned(text: &str) -> String {
    format!("{:?}", parse_groups_positioned(text))
}

fn typed(text: &str) -> Option<String> {
    groups(text).map(|g| format!("{:?}", Ok::<_, ()>(g)))
}

/// Asserts the typed reader answers `text`, and as the positioned one.
#[track_caller]
fn answers_alike(text: &str) {
    let Some(typed) = groups(text) else {
        panic!("the typed reader left this to the positioned one:\n{text}");
    };
    let positioned = parse_groups_positioned(text).expect("the positioned reader reads it");
    assert_eq!(format!("{typed:?}"), format!("{positioned:?}"), "{text}");
}

/// Asserts the typed reader leaves `text` to the positioned one.
#[track_caller]
fn leaves(text: &str) {
    assert!(groups(text).is_none(), "the typed reader answered:\n{text}");
}

const FINDING: &str = r#"{
  "analyzedAt": "2026-11-20T08:00:00Z",
  "id": "f-1",
  "resource": "arn:aws:iam::123456789012:role/app",
  "status": "ACTIVE",
  "findingType": "UnusedPermission",
  "findingDetails": [
    {"unusedPermissionDetails": {"serviceNamespace": "S3", "lastAccessed": "2026-01-02T00:00:00Z",
      "actions": [{"action": "s3:GetObject", "lastAccessed": "2026-01-01T00:00:00Z"},
                  {"action": "PutObject"}, "s3:List*", "DeleteObject\u0041"]}},
    {"unusedPermissionDetails": {"serviceNamespace": "sqs"}},
    {"unusedPermissionDetails": {"serviceNamespace": "kms", "actions": null, "lastAccessed": null}}
  ]
}"#;

#[test]
fn the_shapes_aws_writes_are_read_alike() {
    answers_alike(FINDING);
    answers_alike(&format!("[{FINDING}, {FINDING}]"));
    answers_alike(&format!("\u{feff}{FINDING}"));
    answers_alike(&FINDING.replace("app", "other").replace("\"f-1\"", "null"));
    answers_alike(r#"[{"serviceNamespace": "s3", "actions": ["GetBucketAcl", "s3:Put*"]}]"#);
    answers_alike(r#"["s3:GetObject", "iam:*", "*", "s3:Get?bject"]"#);
    answers_alike(r#"{"findingDetails": null, "unknown": {"deep": [1, 2.5e400, true, null]}}"#);
    answers_alike("[]");
}

#[test]
fn what_the_positioned_reader_must_say_is_left_to_it() {
    // Errors, with their place.
    leaves("");
    leaves("[\"s3:GetObject\",]");
    leaves(r#"{"findingDetails": [], "id": "a", "id": "b"}"#);
    leaves(r#"{"findingDetails": [], "x": {"k": 1, "k": 2}}"#);
    leaves(r#"["GetObject"]"#);
    leaves(r#"[{"serviceNamespace": "s3:x"}]"#);
    leaves(r#"[{"serviceNamespace": 5}]"#);
    leaves(r#"[{"serviceNamespace": "s3", "actions": ["iam:GetRole"]}]"#);
    leaves(
        r#"[{"serviceNamespace": "s3", "actions": [{"action": "Get*", "lastAccessed": "2026-01-01"}]}]"#,
    );
    leaves(r#"[{"serviceNamespace": "s3", "lastAccessed": "yesterday"}]"#);
    leaves(r#"{"findingDetails": [{"unusedIamRoleDetails": {}}]}"#);
    leaves(r#"{"Statement": []}"#);
    leaves("5");
    // Notes, and the findings that are not unused permissions.
    leaves(r#"{"status": "ARCHIVED", "findingDetails": []}"#);
    leaves(r#"{"findingType": "UnusedIAMRole", "findingDetails": []}"#);
    leaves(r#"{"findingType": "UnusedIAMUserPassword", "findingDetails": []}"#);
    leaves(r#"{"findingDetails": [{"unusedIamUserAccessKeyDetails": {}}]}"#);
    leaves(r#"{"findingDetails": ["not an object"]}"#);
}

/// A JSON value for a findings member: the right type mostly, other
/// types sometimes.
fn member_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "\"ACTIVE\"", "\"ARCHIVED\"", "\"UnusedPermission\"", "\"UnusedIAMRole\"",
            "\"2026-01-01T00:00:00Z\"", "\"2026-13-01\"", "\"s3\"", "\"S3\"", "\"s3:x\"", "\"\"",
            "\"arn:aws:iam::1:role/a\"", "\"arn:aws:iam::1:role/b\"", "\"GetObject\"",
            "\"s3:Get*\"", "\"iam:GetRole\"", "\"Get\\u004fbject\"", "\"a\\u0000b\"",
        ]).prop_map(str::to_string),
        1 => prop::sample::select(vec!["null", "5", "true", "[]", "{}", "1e400", "[1,", "-0"])
            .prop_map(str::to_string),
    ]
}

/// An object whose keys come from the findings' vocabulary (and one
/// other), nested to `depth`, keys sometimes repeated.
fn object(depth: u32) -> BoxedStrategy<String> {
    let leaf = member_value().boxed();
    let value = if depth == 0 {
        leaf
    } else {
        prop_oneof![
            3 => leaf,
            1 => object(depth - 1),
            1 => prop::collection::vec(prop_oneof![member_value(), object(depth - 1)], 0..4)
                .prop_map(|items| format!("[{}]", items.join(","))),
        ]
        .boxed()
    };
    let key = prop::sample::select(vec![
        "id",
        "resource",
        "status",
        "findingType",
        "findingDetails",
        "analyzedAt",
        "lastAccessed",
        "serviceNamespace",
        "actions",
        "action",
        "unusedPermissionDetails",
        "unusedIamRoleDetails",
        "other",
    ]);
    prop::collection::vec((key, value), 0..6)
        .prop_map(|members| {
            let members: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("\"{k}\": {v}"))
                .collect();
            format!("{{{}}}", members.join(", "))
        })
        .boxed()
}

/// `{members}` from optional members: each `(key, value)` kept or not,
/// and sometimes the first kept one written twice.
fn object_of(members: Vec<Option<(&'static str, String)>>, repeat: bool) -> String {
    let mut kept: Vec<String> = members
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    if repeat && !kept.is_empty() {
        kept.push(kept[0].clone());
    }
    format!("{{{}}}", kept.join(", "))
}

/// A value that is usually what AWS writes at that place, and sometimes
/// something else.
fn usually(right: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    prop_oneof![12 => right, 1 => member_value()]
}

/// An entry of `actions`.
fn action() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        8 => prop::sample::select(vec![
            "GetObject", "s3:PutObject", "List*", "s3:Get?bject", "NewAction2031", "Describe\\u0041ll",
        ]),
        1 => prop::sample::select(vec!["S3:DeleteObject", "iam:GetRole", "", "a:b:c", "Get\\u0000"]),
    ];
    let date = prop::option::of(prop::sample::select(vec![
        "\"2026-01-01T00:00:00Z\"",
        "null",
        "\"2025-05-05T10:00:00.5Z\"",
        "\"soon\"",
        "7",
    ]));
    prop_oneof![
        6 => name.clone().prop_map(|n| format!("\"{n}\"")),
        6 => (name, date, prop::bool::weighted(0.1)).prop_map(|(n, d, repeat)| object_of(
            vec![Some(("action", format!("\"{n}\""))), d.map(|d| ("lastAccessed", d.to_string()))],
            repeat && n.is_empty()
        )),
        1 => member_value(),
    ]
}

/// `unusedPermissionDetails` (or the seed form's element).
fn service() -> impl Strategy<Value = String> {
    let namespace = usually(
        prop::sample::select(vec!["\"s3\"", "\"SQS\"", "\"newsvc\""]).prop_map(str::to_string),
    );
    let actions = prop_oneof![
        prop::collection::vec(action(), 0..5).prop_map(|a| format!("[{}]", a.join(","))),
        Just("null".to_string()),
        member_value(),
    ];
    let date = usually(Just("\"2026-02-02T00:00:00Z\"".to_string()));
    (
        prop::option::of(namespace),
        prop::option::of(actions),
        prop::option::of(date),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(n, a, d, repeat)| {
            object_of(
                vec![
                    n.map(|n| ("serviceNamespace", n)),
                    a.map(|a| ("actions", a)),
                    d.map(|d| ("lastAccessed", d)),
                ],
                repeat,
            )
        })
}

/// A get-finding-v2 output.
fn finding() -> impl Strategy<Value = String> {
    let detail = prop_oneof![
        8 => service().prop_map(|s| format!("{{\"unusedPermissionDetails\": {s}}}")),
        1 => prop::sample::select(vec![
            "{\"unusedIamRoleDetails\": {\"lastAccessed\": null}}",
            "{\"unusedIamUserPasswordDetails\": {}}",
        ]).prop_map(str::to_string),
        1 => member_value(),
    ];
    let details =
        usually(prop::collection::vec(detail, 0..6).prop_map(|d| format!("[{}]", d.join(","))));
    let text = |values: Vec<&'static str>| {
        prop::option::of(usually(
            prop::sample::select(values).prop_map(|v| format!("\"{v}\"")),
        ))
    };
    (
        (
            text(vec!["f1", "f2"]),
            text(vec!["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]),
        ),
        (
            text(vec!["ACTIVE", "ACTIVE", "ACTIVE", "ARCHIVED"]),
            text(vec![
                "UnusedPermission",
                "UnusedPermission",
                "UnusedPermission",
                "UnusedIAMRole",
            ]),
        ),
        text(vec!["2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"]),
        prop::option::weighted(0.9, details),
        prop::bool::weighted(0.1),
    )
        .prop_map(|((id, resource), (status, kind), at, details, repeat)| {
            object_of(
                vec![
                    id.map(|v| ("id", v)),
                    resource.map(|v| ("resource", v)),
                    status.map(|v| ("status", v)),
                    kind.map(|v| ("findingType", v)),
                    at.map(|v| ("analyzedAt", v)),
                    details.map(|v| ("findingDetails", v)),
                    Some(("other", "{\"a\": [1, {\"b\": null}]}".to_string())),
                ],
                repeat,
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Findings shaped as AWS writes them, perturbed: the typed reader
    /// answers as the positioned one wherever it answers.
    #[test]
    fn perturbed_findings_agree(
        root in prop_oneof![
            finding(),
            prop::collection::vec(prop_oneof![3 => finding(), 1 => service(), 1 => action()], 0..4)
                .prop_map(|items| format!("[{}]", items.join(","))),
        ]
    ) {
        if let Some(typed) = typed(&root) {
            prop_assert_eq!(typed, positioned(&root), "{}", root);
        }
    }

    /// Wherever the typed reader answers, it answers as the positioned one.
    #[test]
    fn the_typed_reader_agrees_where_it_answers(
        root in prop_oneof![
            object(4),
            prop::collection::vec(prop_oneof![object(4), member_value()], 0..4)
                .prop_map(|items| format!("[{}]", items.join(","))),
        ]
    ) {
        if let Some(typed) = typed(&root) {
            prop_assert_eq!(typed, positioned(&root), "{}", root);
        }
    }

    /// The same over mutations of real findings: a byte dropped, doubled
    /// or changed.
    #[test]
    fn mutated_findings_agree(at in 0..FINDING.len(), how in 0..3u8, byte in 32u8..127) {
        let mut bytes = FINDING.as_bytes().to_vec();
        match how {
            0 => { bytes.remove(at); }
            1 => bytes.insert(at, bytes[at]),
            _ => bytes[at] = byte,
        }
        let Ok(text) = String::from_utf8(bytes) else { return Ok(()) };
        if let Some(typed) = typed(&text) {
            prop_assert_eq!(typed, positioned(&text), "{}", text);
        }
    }
}

//! Properties of what refine reads, for the shapes adversarial testing
//! found (issue 11): control characters and separator-like characters in
//! action strings, and Condition/Principal written in another order or
//! with numbers spelled another way.

use crate::checks::{bundled, serde};
use crate::generators::{build, case_spec, entry_spec, form_for_action, render_entry};
use crate::{config, verdict};
use iam_refine::engine::verify::verify;
use iam_refine::input::policy;
use iam_refine::json;
use iam_refine::{input::findings, input::usage};
use proptest::prelude::*;
use serde_json::{json, Value};

/// A control character: C0, DEL or C1 (U+0001 among them, the separator
/// verify once joined entries with).
fn control() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap_or('\0')),
        1 => Just('\u{7f}'),
        1 => (0x80u32..0xa0).prop_map(|c| char::from_u32(c).unwrap_or('\0')),
    ]
}

/// `text` with `c` inserted at the character boundary `at` (modulo).
fn inserted(text: &str, c: char, at: usize) -> String {
    let cut = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .nth(at % (text.chars().count() + 1))
        .unwrap_or(0);
    format!("{}{c}{}", &text[..cut], &text[cut..])
}

/// The refined document with every object under Condition and Principal
/// written in reverse key order and `s3:max-keys` spelled `1.00E+2`: the
/// same policy to IAM.
fn respelled(document: &Value) -> String {
    fn reverse(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), reverse(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut document = document.clone();
    if let Some(statements) = document["Statement"].as_array_mut() {
        for statement in statements {
            for key in ["Condition", "Principal"] {
                if let Some(value) = statement.get_mut(key) {
                    *value = reverse(value);
                }
            }
        }
    }
    serde_json::to_string(&document)
        .unwrap_or_default()
        .replace("\"s3:max-keys\":100", "\"s3:max-keys\":1.00E+2")
}

proptest! {
    #![proptest_config(config(256))]

    /// No reader accepts an action string with a control character: not a
    /// policy entry, not a findings entry (either shape), not a used list.
    #[test]
    fn control_characters_in_entries_are_refused_everywhere(
        base in any::<u32>(),
        entry in entry_spec(form_for_action().boxed()),
        c in control(),
        at in any::<usize>(),
    ) {
        let clean = render_entry(bundled(), base, &entry);
        let entry = inserted(&clean, c, at);
        let escaped = |text: &str| serde_json::to_string(text).unwrap_or_default();
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
            escaped(&entry)
        );
        let list = format!("[{}]", escaped(&entry));
        let name = inserted(clean.split_once(':').map_or(clean.as_str(), |(_, name)| name), c, at);
        let seed_form = format!(r#"[{{"serviceNamespace":"s3","actions":[{}]}}]"#, escaped(&name));
        let refused = |result: Result<(), String>, what: &str| match result {
            Err(message) if message.contains("control character") => Ok(()),
            Err(message) => Err(TestCaseError::fail(format!("{what}: refused for another reason: {message}"))),
            Ok(()) => Err(TestCaseError::fail(format!("{what} accepts {entry:?}"))),
        };
        let as_unit = |r: Result<(), iam_refine::error::InputError>| r.map_err(|e| e.message);
        refused(as_unit(policy::parse(&policy).map(drop)), "the policy reader")?;
        refused(as_unit(findings::parse(&list).map(drop)), "the findings reader")?;
        refused(as_unit(usage::parse_used(&list).map(drop)), "the used-list reader")?;
        refused(as_unit(findings::parse(&seed_form).map(drop)), "the seed-form reader")?;
    }

    /// verify passes a refinement whose Condition and Principal objects
    /// are written in another key order, with numbers spelled another way.
    #[test]
    fn verify_ignores_key_order_and_number_spelling(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        let text = respelled(&serde(&refined.document));
        let respelled = policy::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let reasons: Vec<String> = verify(&case.policy, &respelled, Some(&case.usage()))
            .iter()
            .map(|r| r.describe())
            .collect();
        verdict(if reasons.is_empty() { Ok(()) } else { Err(format!("{}\nrespelled: {text}", reasons.join("\n"))) }, &case)?;
        // And the respelled text really differs where it should.
        if case.text.contains("s3:max-keys") && text.contains("s3:max-keys") {
            prop_assert!(text.contains("1.00E+2"));
        }
    }
}

/// The respelling helper changes what it says it changes.
#[test]
fn respelling_reorders_condition_keys_and_numbers() {
    let document = json!({"Statement": [{"Effect": "Allow", "Condition": {"A": {"s3:max-keys": 100}, "B": {"x": "y"}}, "Principal": {"AWS": "a", "Service": "b"}}]});
    let text = respelled(&document);
    assert_eq!(
        text,
        r#"{"Statement":[{"Effect":"Allow","Condition":{"B":{"x":"y"},"A":{"s3:max-keys":1.00E+2}},"Principal":{"Service":"b","AWS":"a"}}]}"#
    );
    assert!(json::read(&text, "x").is_ok());
}

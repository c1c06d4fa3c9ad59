//! The JSON reader on arbitrary input, against serde_json.
//!
//! `json::read::parse` is the one reader every JSON input goes through, so
//! it is held to a reference: on any text it must accept exactly what
//! serde_json accepts (an object with a repeated key aside, which it
//! refuses and serde_json keeps), read the same value, and keep what
//! serde_json does not: each number's spelling and each value's span.
//!
//! Besides "no panic":
//! * accepted iff serde_json accepts, but for repeated keys (and for
//!   serde_json's private keys, which it reads as a number or raw value);
//! * the same value (through `serde_json::Value::from`), numbers by value;
//! * every span slices the text at the value's own text (a string's
//!   quotes, a number as written), and the writer's compact output reads
//!   back to an equal tree;
//! * an error's offset is inside the text (or at its end).
#![no_main]

use iam_refine::json::{self, Kind, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = json::read::parse(text);
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    // serde_json (with arbitrary_precision and raw_value) reads an object
    // with one of its private keys (`$serde_json::private::Number`,
    // `...::RawValue`) as a number token or a raw value and refuses any
    // other content: its quirk, not JSON.
    if body.contains("$serde_json::private::") {
        return;
    }
    let theirs = serde_json::from_str::<serde_json::Value>(body);
    match (&ours, &theirs) {
        (Ok(value), Ok(reference)) => {
            assert_eq!(&serde_json::Value::from(value), reference, "a different value");
            spans_hold(text, value);
            let again = json::read::parse(&json::write::compact(value)).expect("the writer writes JSON");
            assert_eq!(&again, value, "the compact text reads back differently");
            let pretty = json::read::parse(&json::write::pretty(value)).expect("the writer writes JSON");
            assert_eq!(&pretty, value, "the pretty text reads back differently");
        }
        (Err(err), Ok(_)) => assert!(
            err.message.starts_with("duplicate key"),
            "refused what serde_json accepts: {}",
            err.message
        ),
        (Ok(_), Err(err)) => panic!("accepted what serde_json refuses: {err}"),
        (Err(err), Err(_)) => assert!(err.at <= text.len()),
    }
});

/// Every value's span is its own text.
fn spans_hold(text: &str, root: &Value) {
    let mut stack = vec![root];
    while let Some(value) = stack.pop() {
        let own = &text[value.span.start..value.span.end];
        match &value.kind {
            Kind::Number(spelled) => assert_eq!(own, spelled),
            Kind::String(_) => assert!(own.starts_with('"') && own.ends_with('"')),
            Kind::Array(items) => {
                assert!(own.starts_with('[') && own.ends_with(']'));
                stack.extend(items);
            }
            Kind::Object(members) => {
                assert!(own.starts_with('{') && own.ends_with('}'));
                for member in members {
                    let key = &text[member.key_span.start..member.key_span.end];
                    assert_eq!(serde_json::from_str::<String>(key).ok().as_deref(), Some(member.key.as_str()));
                    stack.push(&member.value);
                }
            }
            Kind::Null => assert_eq!(own, "null"),
            Kind::Bool(b) => assert_eq!(own, if *b { "true" } else { "false" }),
        }
    }
}

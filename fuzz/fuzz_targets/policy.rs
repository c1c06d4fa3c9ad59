//! The policy reader on arbitrary input: `policy::parse` must return Ok or
//! an `InputError`, never panic, hang or blow up, whatever the bytes.
//!
//! Input: raw bytes. Valid UTF-8 is read as is; anything else is converted
//! lossily (U+FFFD for each bad sequence), the way a caller that wanted
//! to be lenient would, so both paths see the same text-level grammar.
//!
//! Besides "no panic", it checks what the rest of the crate relies on:
//! * an error's path can be located in the text (`json::locate`), so the
//!   CLI can always turn it into a line and column;
//! * a parsed policy prints back (`to_pretty`) and reads back
//!   (`from_value`, as the self-check reads refined output) to the same
//!   document;
//! * the JSON host's `rewrite_edits` accepts any per-statement edits (here: remove every
//!   other statement, reverse the entries of the rest), and with no edits
//!   gives the text back byte for byte.
#![no_main]

use iam_refine::error::Location;
use iam_refine::input::policy::{self, Edit};
use iam_refine::hosts::json_file::JsonFile;
use iam_refine::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(text) => check(text),
        Err(_) => check(&String::from_utf8_lossy(data)),
    }
});

fn check(text: &str) {
    let policy = match policy::parse(text) {
        Ok(policy) => policy,
        Err(err) => {
            let _ = err.to_string();
            if let Location::Path(path) = &err.location {
                // The CLI's `FILE:LINE:COL`: the text is JSON here (a path
                // error comes after parsing), so it must locate.
                assert!(
                    json::locate(text, path).is_some(),
                    "cannot locate {path} in text that parsed: {err}"
                );
            }
            return;
        }
    };
    for statement in &policy.statements {
        let _ = statement.label();
        let _ = statement.context();
        for i in 0..statement.entries.len() {
            let path = statement.entry_path(i);
            assert!(json::locate(text, &path).is_some(), "cannot locate {path}");
        }
    }
    // The document prints and reads back as a bare policy.
    let none: Vec<Option<Edit>> = vec![None; policy.statements.len()];
    let same = policy.apply(&none);
    assert_eq!(
        &same,
        policy.document(),
        "apply with no edits changed the document"
    );
    let printed = policy::to_pretty(&same);
    let value = json::read(&printed, "a policy").expect("to_pretty prints JSON");
    let again = policy::from_value(value).expect("the printed document reads back");
    assert_eq!(
        again.document(),
        policy.document(),
        "the printed document reads back differently"
    );
    assert_eq!(again.statements.len(), policy.statements.len());

    // Rewriting: no edits give the text back; any edits apply.
    let file = JsonFile::read(text).expect("the policy reads as its host");
    let unchanged = file.rewrite_edits(&none).expect("rewrite with no edits");
    assert_eq!(unchanged, text);
    let edits: Vec<Option<Edit>> = policy
        .statements
        .iter()
        .map(|s| {
            if s.index % 2 == 1 {
                Some(Edit::Remove)
            } else {
                let entries = s.entries.iter().rev().map(|g| g.as_str().to_string());
                Some(Edit::Entries(entries.collect()))
            }
        })
        .collect();
    if let Err(err) = file.rewrite_edits(&edits) {
        panic!("rewrite failed on a parsed policy with valid edits: {err}");
    }
}

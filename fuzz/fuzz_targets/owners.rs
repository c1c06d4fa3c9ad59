//! The owners manifest reader (`--owners`) on arbitrary input:
//! `Manifest::parse` must return Ok or an `InputError`, never panic, hang
//! or blow up, whatever the bytes.
//!
//! Input: raw bytes, read as UTF-8 (lossily when they are not).
//!
//! Besides "no panic":
//! * an error's JSON path locates in the text (the CLI's `FILE:LINE:COL`);
//! * a manifest that parses answers `owners_of` for a few paths (its keys
//!   themselves, and fixed ones) without panicking; a key always matches
//!   at least itself when it has no glob characters, and marks its flag;
//! * the owners it returns are role or user ARNs, or groups.
#![no_main]

use iam_refine::error::Location;
use iam_refine::input::owners::{Manifest, ManifestOwner};
use iam_refine::json;
use iam_refine::model::principal::{Owner, Principal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(text) => check(text),
        Err(_) => check(&String::from_utf8_lossy(data)),
    }
});

fn check(text: &str) {
    let manifest = match Manifest::parse(text) {
        Ok(manifest) => manifest,
        Err(err) => {
            let _ = err.to_string();
            if let Location::Path(path) = &err.location {
                assert!(json::locate(text, path).is_some(), "cannot locate {path}");
            }
            return;
        }
    };
    let keys: Vec<String> = (0..manifest.len()).map(|i| manifest.key(i).to_string()).collect();
    let fixed = ["policies/a.json", "a.json", "", "policies/app/x/y.json"];
    for (i, path) in keys.iter().map(String::as_str).chain(fixed).enumerate() {
        let mut matched = vec![false; manifest.len()];
        manifest.mark(path, &mut matched);
        let Ok(found) = manifest.owners_of(path) else {
            continue;
        };
        // A key is normalized (`./`, `//` dropped): only a plain one is
        // sure to match its own text.
        let literal = !path.contains(['*', '?', '[', ']', '{', '}', '\\'])
            && !path.starts_with("./")
            && !path.contains("//")
            && !path.contains("/./")
            && !path.ends_with("/.");
        if i < keys.len() && literal {
            assert!(matched[i], "key {path:?} does not match itself");
            assert!(found.is_some());
        }
        for owner in found.into_iter().flatten() {
            match owner {
                ManifestOwner::Principal(arn) => {
                    let principal = Principal::from_arn(&arn).expect("an IAM principal ARN");
                    assert_ne!(principal.kind, Owner::Group, "a group is a Group");
                }
                ManifestOwner::Group { arn, members } => {
                    let group = Principal::from_arn(&arn).expect("a group ARN");
                    assert_eq!(group.kind, Owner::Group);
                    for member in members.into_iter().flatten() {
                        assert!(Principal::from_arn(&member).is_some());
                    }
                }
            }
        }
    }
}

//! Inputs the fuzz targets (fuzz/, see fuzz/README.md) found trouble with,
//! kept as regression tests. Each input is a file in
//! fixtures/fuzz-regressions/, in the format of the fuzz target that found
//! it, so that `cargo +nightly fuzz run TARGET FILE` replays it too.
//!
//! Pipeline inputs are `POLICY 0xFF SOURCE` (0xFF never occurs in UTF-8);
//! SOURCE starting with `u` is a `--used` list, with `l` last-accessed
//! output, else findings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iam_refine::engine::checked::checked;
use iam_refine::engine::refine::Options;
use iam_refine::hosts::json_file::JsonFile;
use iam_refine::hosts::Host;
use iam_refine::input::findings::{self, Resolved};
use iam_refine::input::policy::Edit;
use iam_refine::input::usage;
use iam_refine::model::catalog::Catalog;
use iam_refine::output::diff;
use std::path::Path;

fn input(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/fuzz-regressions")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A pipeline input: the policy text and the resolved source.
fn pipeline_input(name: &str) -> (String, Resolved) {
    let data = input(name);
    let at = data
        .iter()
        .position(|&b| b == 0xFF)
        .expect("POLICY 0xFF SOURCE");
    let text = String::from_utf8_lossy(&data[..at]).into_owned();
    let source = String::from_utf8_lossy(&data[at + 1..]).into_owned();
    let catalog = Catalog::bundled();
    let resolved = if let Some(used) = source.strip_prefix('u') {
        let list = usage::parse_used(used).expect("the used list parses");
        usage::from_used(&catalog, &list.literals(), |c| list.used_in(c))
    } else if let Some(last) = source.strip_prefix('l') {
        usage::parse_last_accessed(last)
            .expect("the last-accessed output parses")
            .resolve(&catalog)
    } else {
        findings::parse(&source)
            .expect("the findings parse")
            .resolve(&catalog)
    };
    (text, resolved)
}

/// What the pipeline fuzz target requires of every refinement.
fn refine_checked(text: &str, resolved: &Resolved, exact: bool) -> String {
    let file = JsonFile::read(text).expect("the policy parses");
    let refined = checked(file.policy(), &resolved.usage(), Options { exact })
        .unwrap_or_else(|failed| panic!("{failed}"));
    let rewritten = file
        .rewrite(&[Some(&refined)])
        .unwrap_or_else(|err| panic!("{err}"));
    rewritten.text().to_string()
}

/// Three `"Allow" "*"` statements refined with `--exact`, the catalog taken
/// as current (else each becomes a short NotAction): each becomes every
/// catalog action but five, about 22,000 lines, 66,000 in all, from a
/// 450-byte input. Refining and rewriting take a fraction of a second.
#[test]
fn star_exact_refines_and_rewrites() {
    let (text, mut resolved) = pipeline_input("diff-quadratic-star-exact");
    resolved.beyond.catalog_current = true;
    let rewritten = refine_checked(&text, &resolved, true);
    assert!(rewritten.lines().count() > 3 * 20_000);
    refine_checked(&text, &resolved, false);
}

/// The diff of that refinement (`refine --exact --diff`). With a plain
/// Myers diff this took time (lines) × (lines changed): 18 s for five such
/// statements, minutes for more. `diff::unified` now matches lines at
/// unique anchors and runs Myers only on small gaps (see its module docs);
/// the test pins the result: each `"Action": "*"` line removed, the new
/// entry lines added, every other line kept, and the patch rebuilds the
/// rewritten file.
#[test]
fn diff_of_a_large_change_shows_only_the_change() {
    let (text, mut resolved) = pipeline_input("diff-quadratic-star-exact");
    resolved.beyond.catalog_current = true;
    let rewritten = refine_checked(&text, &resolved, true);
    let patch = diff::unified("policy.json", &text, &rewritten);
    let removed: Vec<&str> = patch
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    assert_eq!(removed, vec!["-      \"Action\": \"*\","; 3]);
    let added = patch
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .count();
    assert_eq!(added, rewritten.lines().count() - text.lines().count() + 3);
    assert_eq!(apply(&text, &patch), rewritten);
}

/// Applies a unified diff made by `diff::unified` (hunks in order, exact
/// context) to `text`.
fn apply(text: &str, patch: &str) -> String {
    let old: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut at = 0;
    for line in patch.split_inclusive('\n').skip(2) {
        if let Some(header) = line.strip_prefix("@@ -") {
            let start: usize = header.split([',', ' ']).next().unwrap().parse().unwrap();
            let start = start.saturating_sub(1);
            while at < start {
                out.push_str(old[at]);
                at += 1;
            }
        } else if let Some(kept) = line.strip_prefix(' ') {
            assert_eq!(old[at], kept, "context differs at line {}", at + 1);
            out.push_str(kept);
            at += 1;
        } else if let Some(gone) = line.strip_prefix('-') {
            assert_eq!(old[at], gone, "removed line differs at line {}", at + 1);
            at += 1;
        } else if let Some(added) = line.strip_prefix('+') {
            out.push_str(added);
        }
    }
    out.extend(old[at..].iter().copied());
    out
}

/// An Allow statement with five 40-character NotAction globs full of `?`
/// (a valid policy), and one unused action it allows, so refinement appends
/// a cover to its NotAction. The self-check used to compare the refined
/// NotAction with the original as automata, passed `pattern::STATE_LIMIT`
/// after seconds, and refused the policy as "undecided" ("a bug in
/// refine"). The refined NotAction holds every original entry as written,
/// so each original entry is inside a refined one: the pairwise check
/// decides it at once.
#[test]
fn self_check_decides_a_not_action_that_only_grew() {
    let (text, resolved) = pipeline_input("self-check-undecided-not-action");
    for exact in [false, true] {
        let rewritten = refine_checked(&text, &resolved, exact);
        assert_ne!(rewritten, text, "the unused s3:GetObject is excluded");
        assert!(rewritten.contains("\"s3:GetObject\""), "{rewritten}");
        for line in text.lines().filter(|l| l.contains("\"s:*")) {
            assert!(
                rewritten.contains(line.trim_end_matches(',')),
                "{line} kept"
            );
        }
    }
}

/// A policy (read lossily, as the policy target does) whose Action array
/// puts each separator first on its line (`"a"\n    ,    "b"`), so no
/// element begins a line. Rewriting its entries took the whole last line
/// (separator and element included) for indentation and wrote text that
/// was not JSON; the host's re-read refused it, as "a bug in refine".
/// Now the new lines take that line's indentation only.
#[test]
fn comma_first_array_rewrites_to_json() {
    let data = input("policy-comma-first-array");
    let text = String::from_utf8_lossy(&data);
    let file = JsonFile::read(&text).expect("the policy parses");
    let edits: Vec<Option<Edit>> = file
        .policy()
        .statements
        .iter()
        .map(|s| {
            let reversed = s.entries.iter().rev().map(|g| g.as_str().to_string());
            Some(Edit::Entries(reversed.collect()))
        })
        .collect();
    let rewritten = file
        .rewrite_edits(&edits)
        .unwrap_or_else(|err| panic!("{err}"));
    let again = JsonFile::read(&rewritten).expect("the rewrite is a policy");
    let entries: Vec<&str> = again.policy().statements[0]
        .entries
        .iter()
        .map(|g| g.as_str())
        .collect();
    assert_eq!(entries.len(), 3, "{rewritten}");
    assert!(entries[2].starts_with("s3:G"), "{rewritten}");
}

/// A manifest key ending in `/` (the `owners` target; read lossily). Keys
/// are normalized as paths, and the trailing slash went with the empty
/// segment after it: `dir.json/` matched the file `dir.json`, not what it
/// says. A key naming a directory is now refused, with its place.
#[test]
fn a_manifest_key_naming_a_directory_is_refused() {
    let data = input("owners-key-with-a-trailing-slash");
    let text = String::from_utf8_lossy(&data);
    let err = iam_refine::input::owners::Manifest::parse(&text).unwrap_err();
    assert!(
        err.message
            .ends_with("a key names files, not a directory (`dir/*.json`, `dir/**`)"),
        "{}",
        err.message
    );
    assert!(matches!(err.location, iam_refine::error::Location::Path(_)));
}

/// A `template` input: read as the template fuzz target reads it; every
/// template it reads must take back refine's own refinements.
fn template_survives(name: &str) -> Result<(), String> {
    use iam_refine::engine::checked::Checked;
    use iam_refine::hosts::template::{StackContext, Template};
    let data = input(name);
    let text = String::from_utf8_lossy(&data).into_owned();
    let context = StackContext {
        stack_name: Some("prod".into()),
        ..StackContext::default()
    };
    let template = Template::read(&text, &context).map_err(|err| err.message)?;
    let resolved = findings::parse(r#"["s3:PutObject", "s3:ListBucket", "sqs:DeleteQueue", "ec2:DescribeInstances", "dynamodb:DeleteTable"]"#)
        .unwrap()
        .resolve(&Catalog::bundled());
    let usage = resolved.usage();
    let proved: Vec<Checked> = template
        .policies()
        .iter()
        .map(|embedded| checked(&embedded.policy, &usage, Options::default()).unwrap())
        .collect();
    let refs: Vec<Option<&Checked>> = proved.iter().map(Some).collect();
    template
        .rewrite(&refs)
        .map(|_| ())
        .map_err(|err| err.to_string())
}

/// A YAML template with a line ended by a lone CR (which YAML reads as a
/// line break, and refine's line-based splices did not): its rewrite was
/// refused as a bug. Such a text is now refused on reading, with its place.
#[test]
fn template_lone_carriage_return() {
    let err = template_survives("template-lone-carriage-return").unwrap_err();
    assert!(
        err.contains("a line ends with a lone carriage return"),
        "{err}"
    );
}

/// A template whose only statement ends with an empty value
/// (`Resource:`): the parser placed that value at its key's colon, so the
/// statement seemed to end before it, and emptying the statement list
/// left `: ` behind (the re-read refused it as a bug). An empty value is
/// now placed after its colon.
#[test]
fn template_empty_last_value() {
    template_survives("template-empty-last-value").unwrap();
}

/// A malformed `.tf` file of 1.2 KB (nested objects with operators and a
/// long name) on which hcl-edit's parser backtracks exponentially: refused
/// as bad input (a syntax error, or the parse budget passed), never a hang.
#[test]
fn terraform_backtracking_parse() {
    let text = String::from_utf8_lossy(&input("terraform-backtracking-parse.tf")).into_owned();
    let err = iam_refine::hosts::terraform::TerraformFile::read(&text).unwrap_err();
    assert!(
        err.message.starts_with("not valid HCL")
            || err.message.contains("parsing it took more than"),
        "{err}"
    );
}

//! Sizes over the corpus (issue 16), measured, not asserted:
//! `cargo bench --bench sizes -- DIR OUT`, over the corpus
//! `benches/compare` generates (`target/bench-corpus`: every AWS managed
//! policy at five densities of unused actions); `benches/compare` runs it
//! and renders the table in `benches/RESULTS.md`.
//!
//! Per case, as IAM counts characters: the original, the exact refinement,
//! and the exact *Action cover* (each kept Allow statement written as the
//! cover of the catalog actions it still allows, the smallest exact
//! `Action` form). An *explosion* is an exact refinement larger than both
//! the original and its Action cover. Then `--fit` at the managed-policy
//! limit (6,144) for every case whose exact refinement is over it: whether
//! it fits, and the unused actions it re-admitted, by access level.
//!
//! Twice: with the findings as they are dated (after the catalog, so a
//! statement granting every service must keep granting the services newer
//! than the catalog, and only the `NotAction` form does), and as with
//! `--catalog-current`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iam_refine::engine::checked::{checked_fit, FitFailed};
use iam_refine::engine::cover::cover;
use iam_refine::engine::fit::Fit;
use iam_refine::engine::refine::{grants_every_action, refine, Options, Refined};
use iam_refine::input::findings::{self, Resolved};
use iam_refine::input::policy::{self, ActionKey, Edit, Effect, Policy};
use iam_refine::model::catalog::{AccessLevel, Catalog};
use iam_refine::model::size::{self, MANAGED};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--bench"))
        .collect();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-corpus");
    let dir = args.first().map_or(corpus.as_path(), |a| Path::new(a));
    if !dir.join("cases.json").is_file() {
        eprintln!(
            "sizes: no corpus at {}: run benches/compare first",
            dir.display()
        );
        return;
    }
    let catalog = Catalog::bundled();
    let result = json!({
        "as_dated": measure(dir, &catalog, false),
        "catalog_current": measure(dir, &catalog, true),
    });
    let text = serde_json::to_string_pretty(&result).unwrap() + "\n";
    match args.get(1) {
        Some(out) => std::fs::write(out, text).unwrap(),
        None => print!("{text}"),
    }
}

/// The size of `policy` refined as `exact` is, except that each kept
/// Allow statement (no principal) that grants every action, or is written
/// with `NotAction`, is written as the `Action` cover of what it still
/// allows: the smallest exact `Action` form. (A statement with `Action`
/// entries of its own keeps refine's per-entry covers: a cover across its
/// entries could grant what none of them does, beyond the catalog.)
fn action_cover(policy: &Policy, resolved: &Resolved, exact: &Refined) -> usize {
    let catalog = &resolved.catalog;
    let edits: Vec<Option<Edit>> = policy
        .statements
        .iter()
        .zip(&exact.edits)
        .map(|(statement, edit)| {
            let every = statement.key == ActionKey::NotAction
                || statement.entries.iter().any(grants_every_action);
            if statement.effect == Effect::Deny || statement.has_principal || !every {
                return edit.clone();
            }
            let mut keep = statement.allowed_actions(catalog);
            keep.difference_with(&resolved.unused);
            if keep.is_empty() {
                return Some(Edit::Remove);
            }
            let entries = cover(catalog, &keep, &keep, None);
            Some(match statement.key {
                ActionKey::Action => Edit::Entries(entries),
                ActionKey::NotAction => Edit::Action(entries),
            })
        })
        .collect();
    size::of(&policy.apply(&edits))
}

/// What the corpus measures, with the findings as dated or the catalog
/// current.
fn measure(dir: &Path, catalog: &Catalog, catalog_current: bool) -> Value {
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let mut tally = Tally::default();
    for case in cases["cases"].as_array().unwrap() {
        let read = |key: &str| std::fs::read_to_string(dir.join(case[key].as_str().unwrap()));
        let policy = policy::parse(&read("policy").unwrap()).unwrap();
        let mut resolved = findings::parse(&read("findings").unwrap())
            .unwrap()
            .resolve(catalog);
        resolved.beyond.catalog_current |= catalog_current;
        let exact = refine(&policy, &resolved.usage());
        tally.case(case["id"].as_str().unwrap(), &policy, &resolved, &exact);
    }
    tally.into_json()
}

/// The counts over the corpus.
#[derive(Default)]
struct Tally {
    cases: usize,
    original_over: usize,
    exact_over: usize,
    grew_past: usize,
    explosions: Vec<(String, usize, usize, usize)>,
    fit_needed: usize,
    fitted: usize,
    too_large: usize,
    too_large_original_fits: usize,
    merged: usize,
    readmitted: Vec<usize>,
    by_level: BTreeMap<&'static str, usize>,
}

impl Tally {
    fn case(&mut self, id: &str, policy: &Policy, resolved: &Resolved, exact: &Refined) {
        self.cases += 1;
        let original = size::of(policy.document());
        let exact_size = size::of(&exact.document);
        let cover = action_cover(policy, resolved, exact);
        self.original_over += usize::from(original > MANAGED);
        self.exact_over += usize::from(exact_size > MANAGED);
        self.grew_past += usize::from(original <= MANAGED && exact_size > MANAGED);
        if exact_size > original.max(cover) {
            self.explosions
                .push((id.to_string(), original, exact_size, cover));
        }
        if exact_size <= MANAGED {
            return;
        }
        self.fit_needed += 1;
        let fit = Fit {
            cap: MANAGED,
            merge: true,
            exact: false,
        };
        match checked_fit(policy, &resolved.usage(), Options::default(), fit) {
            Ok(fitted) => {
                self.fitted += 1;
                self.merged += fitted.refined().merged.len();
                let mut count = 0;
                for id in fitted.readmitted().iter().flat_map(|r| &r.actions) {
                    count += 1;
                    *self
                        .by_level
                        .entry(level_name(resolved.catalog.level(*id)))
                        .or_default() += 1;
                }
                self.readmitted.push(count);
            }
            Err(FitFailed::TooLarge(_)) => {
                self.too_large += 1;
                self.too_large_original_fits += usize::from(original <= MANAGED);
            }
            Err(FitFailed::SelfCheck(failed)) => panic!("{id}: {failed}"),
        }
    }

    fn into_json(mut self) -> Value {
        self.explosions.sort_by_key(|e| std::cmp::Reverse(e.2));
        self.readmitted.sort_unstable();
        let quantile = |q: f64| -> usize {
            let n = self.readmitted.len();
            match n {
                0 => 0,
                _ => self.readmitted[((n - 1) as f64 * q).round() as usize],
            }
        };
        json!({
            "cases": self.cases,
            "original_over": self.original_over,
            "exact_over": self.exact_over,
            "grew_past_limit": self.grew_past,
            "explosions": self.explosions.len(),
            "largest_explosions": self.explosions.iter().take(5).map(|(id, original, exact, cover)| json!({
                "id": id, "original": original, "exact": exact, "action_cover": cover,
            })).collect::<Vec<_>>(),
            "fit": {
                "needed": self.fit_needed,
                "fitted": self.fitted,
                "too_large": self.too_large,
                "too_large_original_fits": self.too_large_original_fits,
                "merged_statements": self.merged,
                "readmitted_total": self.readmitted.iter().sum::<usize>(),
                "readmitted_by_level": self.by_level,
                "readmitted_per_case": {
                    "median": quantile(0.5), "p90": quantile(0.9), "max": quantile(1.0),
                },
            },
        })
    }
}

fn level_name(level: AccessLevel) -> &'static str {
    level.name()
}

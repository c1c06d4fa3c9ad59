//! `--fit` against an exhaustive search: on small generated catalogs, every
//! way of writing a statement `svc:*` as a list of word prefixes and action
//! names that keeps every used action is tried, and the fewest (weighted)
//! re-admitted unused actions under the cap is compared with what `--fit`
//! re-admits. Greedy is not always optimal; the README's "Size limits"
//! gives the gap measured here, which the test pins. And the choice
//! between a statement's two exact forms, on a 562-character `NotAction`
//! policy with a fragmented unused set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iam_refine::engine::checked::{checked_fit, FitFailed};
use iam_refine::engine::fit::{weight, Fit};
use iam_refine::engine::refine::{refine, Options};
use iam_refine::input::findings::{Beyond, Usage};
use iam_refine::input::policy;
use iam_refine::json::Value;
use iam_refine::model::catalog::{AccessLevel, ActionSet, Catalog, CatalogInfo};
use iam_refine::model::size;
use iam_refine::model::words;

const VERBS: [&str; 4] = ["Get", "Put", "List", "Delete"];
const NOUNS: [&str; 3] = ["Object", "Bucket", "Job"];
const TAILS: [&str; 3] = ["", "Acl", "Tagging"];
const LEVELS: [AccessLevel; 5] = [
    AccessLevel::List,
    AccessLevel::Read,
    AccessLevel::Write,
    AccessLevel::PermissionsManagement,
    AccessLevel::Tagging,
];

/// A small deterministic generator (64-bit LCG), so every run tries the
/// same cases.
struct Random(u64);

impl Random {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % below
    }
}

/// One generated case: a catalog of one service and what is unused.
struct Case {
    catalog: Catalog,
    unused: ActionSet,
}

impl Case {
    fn usage<'a>(&'a self, beyond: &'a Beyond) -> Usage<'a> {
        Usage {
            catalog: &self.catalog,
            unused: &self.unused,
            beyond,
        }
    }
}

/// The policy every generated case refines: `svc:*`, in a list.
fn svc_star() -> iam_refine::input::policy::Policy {
    policy::parse(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["svc:*"], "Resource": "*"}]}"#,
    )
    .unwrap()
}

fn case(random: &mut Random) -> Case {
    let mut names: Vec<String> = Vec::new();
    let count = 5 + random.next(5);
    while names.len() < count {
        let name = format!(
            "{}{}{}",
            VERBS[random.next(VERBS.len())],
            NOUNS[random.next(NOUNS.len())],
            TAILS[random.next(TAILS.len())]
        );
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let actions: Vec<(&str, AccessLevel)> = names
        .iter()
        .map(|name| (name.as_str(), LEVELS[random.next(LEVELS.len())]))
        .collect();
    let catalog = catalog_of(&actions);
    let mut unused = catalog.empty_set();
    for id in catalog.ids() {
        if random.next(2) == 0 {
            unused.insert(id);
        }
    }
    Case { catalog, unused }
}

/// A catalog of the one service `svc` with `actions`.
fn catalog_of(actions: &[(&str, AccessLevel)]) -> Catalog {
    let info = CatalogInfo {
        source: "generated".into(),
        date: None,
    };
    Catalog::from_actions(
        info,
        actions.iter().map(|(name, level)| ("svc", *name, *level)),
    )
}

/// Every entry a fitted statement could hold: `svc:W*` for each word
/// prefix `W` of a catalog name, and each name; as (text, actions it
/// matches as a bit mask).
fn candidates(catalog: &Catalog) -> Vec<(String, u32)> {
    let mut texts: Vec<String> = vec!["svc:*".into()];
    for id in catalog.ids() {
        let name = catalog.name(id);
        for end in words::word_ends(name) {
            let text = match end == name.len() {
                true => format!("svc:{name}"),
                false => format!("svc:{}*", &name[..end]),
            };
            if !texts.contains(&text) {
                texts.push(text);
            }
        }
    }
    texts
        .into_iter()
        .map(|text| {
            let matched = catalog.matching(&iam_refine::model::pattern::Glob::new(&text));
            let mask = matched.iter().fold(0u32, |m, id| m | 1 << id.index());
            (text, mask)
        })
        .collect()
}

/// The least weight of re-admitted unused actions of any list of
/// candidates that keeps every used action and fits `cap`, where `base`
/// is the policy's size with an empty list: `None` if none fits.
fn optimum(case: &Case, cap: usize, base: usize) -> Option<u64> {
    let mask = |set: &ActionSet| set.iter().fold(0u32, |m, id| m | 1 << id.index());
    let all = (1u32 << case.catalog.len()) - 1;
    let unused = mask(&case.unused);
    let used = all & !unused;
    let costs: Vec<u64> = case
        .catalog
        .ids()
        .map(|id| weight(case.catalog.level(id)))
        .collect();
    // An entry that matches no used action never helps.
    let useful: Vec<(String, u32)> = candidates(&case.catalog)
        .into_iter()
        .filter(|(_, m)| m & used != 0)
        .collect();
    let mut best: Option<u64> = None;
    for choice in 0u32..(1 << useful.len()) {
        let (mut matched, mut chars, mut count) = (0u32, 0usize, 0usize);
        for (i, (text, m)) in useful.iter().enumerate() {
            if choice & (1 << i) != 0 {
                matched |= m;
                chars += text.len() + 2;
                count += 1;
            }
        }
        if matched & used != used || count == 0 || base + chars + count - 1 > cap {
            continue;
        }
        let cost: u64 = (0..case.catalog.len())
            .filter(|&i| matched & unused & (1 << i) != 0)
            .map(|i| costs[i])
            .sum();
        best = Some(best.map_or(cost, |b| b.min(cost)));
    }
    best
}

/// What `--fit` re-admits under `cap`, weighted: `None` if it cannot fit.
fn greedy(case: &Case, cap: usize) -> Option<u64> {
    let (original, beyond) = (svc_star(), Beyond::default());
    let usage = case.usage(&beyond);
    let fit = Fit {
        cap,
        merge: true,
        exact: false,
    };
    match checked_fit(&original, &usage, Options::default(), fit) {
        Ok(fitted) => {
            assert!(size::of(fitted.document()) <= cap);
            let weights = fitted.readmitted().iter().flat_map(|r| &r.actions);
            Some(weights.map(|&id| weight(case.catalog.level(id))).sum())
        }
        Err(FitFailed::TooLarge(_)) => None,
        Err(FitFailed::SelfCheck(failed)) => panic!("{failed}"),
    }
}

/// The policy's size with an empty action list, and with its exact
/// refinement.
fn sizes(case: &Case) -> (usize, usize) {
    let empty = Value::from(&serde_json::json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}));
    let (original, beyond) = (svc_star(), Beyond::default());
    let usage = case.usage(&beyond);
    (
        size::of(&empty),
        size::of(&refine(&original, &usage).document),
    )
}

/// How greedy compares with the optimum over the generated cases.
#[derive(Debug, Default)]
struct Tally {
    compared: usize,
    optimal: usize,
    worst_extra: u64,
    worst_ratio: f64,
    greedy_total: u64,
    optimal_total: u64,
}

#[test]
fn greedy_fit_is_within_the_measured_gap_of_the_optimum() {
    let mut random = Random(0x5eed);
    let mut tally = Tally::default();
    // FIT_CASES=5000 for a longer run.
    let cases = std::env::var("FIT_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    for _ in 0..cases {
        let case = case(&mut random);
        let (base, exact) = sizes(&case);
        let floor = base + "svc:*".len() + 2;
        if exact <= floor {
            continue;
        }
        let cap = floor + random.next(exact - floor);
        let best = optimum(&case, cap, base);
        let got = greedy(&case, cap);
        match (best, got) {
            (Some(best), Some(got)) => {
                tally.compared += 1;
                tally.greedy_total += got;
                tally.optimal_total += best;
                if got == best {
                    tally.optimal += 1;
                }
                tally.worst_extra = tally.worst_extra.max(got - best);
                if best > 0 {
                    tally.worst_ratio = tally.worst_ratio.max(got as f64 / best as f64);
                }
            }
            (Some(best), None) => panic!("a choice of weight {best} fits {cap}, greedy found none"),
            (None, got) => assert_eq!(got, None, "greedy fit what nothing can"),
        }
    }
    println!("{tally:?}");
    assert!(tally.compared >= 200, "{tally:?}");
    // The gap measured on these cases (see the README's "Size limits").
    assert!(tally.optimal * 100 >= tally.compared * 95, "{tally:?}");
    assert!(
        tally.greedy_total * 100 <= tally.optimal_total * 102,
        "{tally:?}"
    );
    assert!(tally.worst_ratio <= 2.0, "{tally:?}");
}

/// A case where greedy is not optimal, pinned. The exact refinement keeps
/// `svc:DeleteBucketTagging` and `svc:GetBucket`; 12 characters must go.
/// Greedy first takes `svc:Get*` for its ratio (5 characters for weight 1,
/// re-admitting GetBucketTagging), then still needs `svc:Delete*` (12
/// characters for weight 12): 13 in all, where `svc:Delete*` alone reaches
/// the cap for 12. A step taken for its ratio is never taken back.
#[test]
fn greedy_is_not_optimal_here_and_says_by_how_much() {
    use AccessLevel::*;
    let catalog = catalog_of(&[
        ("DeleteBucket", Read),
        ("DeleteBucketTagging", PermissionsManagement),
        ("DeleteObject", Write),
        ("DeleteObjectAcl", Read),
        ("GetBucket", Read),
        ("GetBucketTagging", List),
        ("ListJobTagging", Tagging),
    ]);
    let mut unused = catalog.empty_set();
    let names = [
        "DeleteBucket",
        "DeleteObject",
        "DeleteObjectAcl",
        "GetBucketTagging",
        "ListJobTagging",
    ];
    for name in names {
        unused.insert(catalog.find("svc", name).unwrap());
    }
    let case = Case { catalog, unused };
    let (base, _) = sizes(&case);
    assert_eq!(optimum(&case, 113, base), Some(12));
    assert_eq!(greedy(&case, 113), Some(13));
}

/// Item 1 of the size issue on a measured shape: an `Allow` + `NotAction`
/// policy of 562 characters whose unused set is fragmented (every other
/// action of every service it allows). Over a current catalog, refine
/// writes the smaller of its two exact forms, the `NotAction` list and the
/// `Action` cover; with findings newer than the catalog, only the
/// `NotAction` form keeps the services the catalog lacks, and a warning
/// gives both sizes.
#[test]
fn a_562_character_not_action_policy_takes_the_smaller_exact_form() {
    use iam_refine::engine::cover::cover;
    let excluded = [
        "iam:*",
        "organizations:*",
        "account:*",
        "sso:*",
        "sso-directory:*",
        "identitystore:*",
        "ram:*",
        "sts:*",
        "kms:*",
        "secretsmanager:*",
        "cloudtrail:*",
        "config:*",
        "guardduty:*",
        "securityhub:*",
        "access-analyzer:*",
        "billing:*",
        "budgets:*",
        "ce:*",
        "cur:*",
        "aws-portal:*",
        "payments:*",
        "tax:*",
        "support:*",
        "trustedadvisor:*",
        "health:*",
        "servicequotas:*",
        "ds:*",
        "macie2:*",
        "inspector2:*",
        "detective:*",
        "fms:*",
        "shield:*",
        "waf:*",
        "wafv2:*",
        "network-firewall:*",
        "glacier:Delete*",
        "lambda:Delete*",
    ];
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": excluded.to_vec(), "Resource": "*"}]});
    let original = policy::parse(&document.to_string()).unwrap();
    assert_eq!(size::of(original.document()), 562);
    let catalog = Catalog::bundled();
    let allowed = original.statements[0].allowed_actions(&catalog);
    let mut unused = catalog.empty_set();
    for (i, id) in allowed.iter().enumerate() {
        if i % 2 == 0 {
            unused.insert(id);
        }
    }
    let mut keep = allowed.clone();
    keep.difference_with(&unused);
    let action_form = {
        let entries = cover(&catalog, &keep, &keep, None);
        let written = serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": entries, "Resource": "*"}]});
        size::of(&Value::from(&written))
    };
    let refined = |catalog_current: bool| {
        let beyond = Beyond {
            catalog_current,
            ..Beyond::default()
        };
        let usage = Usage {
            catalog: &catalog,
            unused: &unused,
            beyond: &beyond,
        };
        refine(&original, &usage)
    };
    let dated = refined(false);
    let not_action_form = size::of(&dated.document);
    assert!(
        dated.document.get("Statement").unwrap().as_array().unwrap()[0]
            .get("NotAction")
            .is_some()
    );
    let said = dated
        .warnings
        .iter()
        .any(|w| w.message.contains("as Action it would take about"));
    assert_eq!(said, action_form < not_action_form);
    let current = size::of(&refined(true).document);
    assert_eq!(current, not_action_form.min(action_form));
}

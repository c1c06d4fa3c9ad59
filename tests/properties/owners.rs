//! Properties of policies shared by several principals (issue 13): a
//! policy refined against its owners' findings, through the findings
//! reader, `ByPrincipal` and `OwnerIndex` as a repository run does, loses
//! exactly what every owner leaves unused: nothing another owner uses, and
//! nothing beyond the catalog it would not lose for each owner alone.

use crate::checks::{
    bundled, check_keeps_used, check_never_broadens, check_no_unused_allowed, meet,
};
use crate::generators::{build, case_spec};
use crate::{config, verdict};
use iam_refine::engine::owners::OwnerIndex;
use iam_refine::engine::refine::refine;
use iam_refine::input::findings::{parse_groups, ByPrincipal, Usage};
use iam_refine::model::catalog::{ActionSet, Catalog};
use proptest::prelude::*;

const A: &str = "arn:aws:iam::111122223333:role/a";
const B: &str = "arn:aws:iam::111122223333:role/b";

/// `get-finding-v2` output for `arn`, listing `unused` action by action.
fn finding(catalog: &Catalog, id: &str, arn: &str, unused: &ActionSet) -> String {
    let mut details: Vec<serde_json::Value> = Vec::new();
    for service in catalog.service_names() {
        let range = catalog.service(service).expect("a listed service");
        let mut all = catalog.empty_set();
        all.insert_range(range.start, range.end);
        let actions: Vec<serde_json::Value> = meet(&all, unused)
            .iter()
            .map(|a| serde_json::json!({"action": catalog.full_name(a)}))
            .collect();
        if !actions.is_empty() {
            details.push(serde_json::json!({"unusedPermissionDetails":
                {"serviceNamespace": service, "actions": actions}}));
        }
    }
    serde_json::json!({"id": id, "resource": arn, "status": "ACTIVE",
        "findingType": "UnusedPermission", "findingDetails": details})
    .to_string()
}

/// About half of `set`, chosen by `seed`, and `extra` catalog actions.
fn sample(catalog: &Catalog, set: &ActionSet, seed: u64, extra: &[u32]) -> ActionSet {
    let mut out = catalog.empty_set();
    for id in set.iter() {
        let mixed = (id.index() as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        if mixed >> 63 == 1 {
            out.insert(id);
        }
    }
    for &e in extra {
        if let Some(id) = catalog.ids().nth(e as usize % catalog.len()) {
            out.insert(id);
        }
    }
    out
}

proptest! {
    #![proptest_config(config(96))]

    /// Two owners, one with the case's unused set and one with about half
    /// of it and a few others: the shared refinement keeps whatever either
    /// uses, removes what both leave unused, and never broadens.
    #[test]
    fn a_shared_policy_loses_only_what_every_owner_leaves_unused(
        spec in case_spec(),
        seed in any::<u64>(),
        extra in prop::collection::vec(any::<u32>(), 0..4),
    ) {
        let case = build(&spec);
        let catalog = bundled();
        // The case's set over the bundled catalog (a case that extended
        // its catalog with unknown actions is left to the other tests).
        prop_assume!(case.catalog.len() == catalog.len());
        let first = case.unused.clone();
        let second = sample(catalog, &first, seed, &extra);
        let mut all = ByPrincipal::default();
        for (file, id, arn, set) in [("a.json", "fa", A, &first), ("b.json", "fb", B, &second)] {
            let groups = parse_groups(&finding(catalog, id, arn, set)).expect("generated findings read");
            all.add(file, groups).expect("one finding per principal");
        }
        let index = OwnerIndex::new(&all, catalog, false);
        let owners = [A.to_string(), B.to_string()];
        let (unused, beyond) = index.usage_for(&owners).expect("both have findings");
        let both = meet(&first, &second);
        prop_assert!(unused == both, "the shared set is {} actions, the intersection {}", unused.len(), both.len());
        let usage = Usage { catalog, unused: &unused, beyond: &beyond };
        let refined = refine(&case.policy, &usage);
        verdict(check_keeps_used(catalog, &case.policy, &refined, &both), &case)?;
        verdict(check_no_unused_allowed(&usage, &case.policy, &refined), &case)?;
        verdict(check_never_broadens(catalog, &case.policy, &refined), &case)?;
        // An owner without findings: the policy is not refined at all.
        let missing = index.usage_for(&[A.to_string(), "arn:aws:iam::111122223333:role/c".to_string()]);
        prop_assert!(missing.is_err());
    }
}

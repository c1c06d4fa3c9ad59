//! Properties of what the catalog does not know (issue 11): an unused
//! role's date under `--unused-for`, entries the catalog lacks in a service
//! the findings call wholly unused, and `"*"` with findings dated before
//! and after the catalog.

use crate::checks::bundled;
use crate::generators::{build, case_spec};
use crate::{config, verdict};
use iam_refine::engine::refine::refine;
use iam_refine::engine::verify::verify;
use iam_refine::input::findings::{self, Usage};
use iam_refine::input::policy::{self, ActionKey, Effect};
use iam_refine::input::time::{self, DAY};
use iam_refine::json;
use iam_refine::model::pattern::{self, Glob};
use proptest::prelude::*;

/// The end of every `--unused-for` window here.
const AS_OF: &str = "2026-11-26";

/// Passes when `verify` with `usage` finds nothing wrong.
fn verified(
    original: &policy::Policy,
    refined: &json::Value,
    usage: &Usage,
) -> Result<(), TestCaseError> {
    let refined = policy::from_value(refined.clone())
        .map_err(|e| TestCaseError::fail(format!("the refined document does not read: {e}")))?;
    let reasons: Vec<String> = verify(original, &refined, Some(usage))
        .iter()
        .map(|r| r.describe())
        .collect();
    prop_assert!(reasons.is_empty(), "verify: {}", reasons.join("\n"));
    Ok(())
}

/// A service of the bundled catalog, by index.
fn service(index: usize) -> String {
    let names: Vec<&str> = bundled().service_names().collect();
    names[index % names.len()].to_string()
}

proptest! {
    #![proptest_config(config(128))]

    /// An UnusedIAMRole finding last used within the `--unused-for`
    /// window leaves the policy as it was; one last used before it (or
    /// never) removes every Allow statement refinement may touch.
    #[test]
    fn an_unused_roles_date_is_read_by_the_window(
        spec in case_spec(),
        days_ago in prop::option::of(0i64..400),
        window in 1i64..400,
    ) {
        let case = build(&spec);
        let as_of = time::parse_date(AS_OF).unwrap_or_default();
        let details = match days_ago {
            Some(days) => {
                let at = as_of - days * DAY;
                let (y, m, d) = civil(at);
                format!(r#"[{{"unusedIamRoleDetails": {{"lastAccessed": "{y:04}-{m:02}-{d:02}T00:00:00Z"}}}}]"#)
            }
            None => "[]".to_string(),
        };
        let text = format!(
            r#"{{"findingType": "UnusedIAMRole", "status": "ACTIVE", "resource": "arn:aws:iam::123456789012:role/r", "findingDetails": {details}}}"#
        );
        let mut found = findings::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        found.used_since(as_of - window * DAY);
        let resolved = found.resolve(bundled());
        let refined = refine(&case.policy, &resolved.usage());
        let used_within = days_ago.is_some_and(|days| days <= window);
        if used_within {
            verdict(
                if refined.changed() { Err(format!("a role used {days_ago:?} days ago, window {window}: changed")) } else { Ok(()) },
                &case,
            )?;
        } else {
            let left = policy::from_value(refined.document.clone())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let refinable_left = left
                .statements
                .iter()
                .any(|s| s.effect == Effect::Allow && !s.has_principal);
            verdict(
                if refinable_left { Err("an unused role keeps an Allow statement".into()) } else { Ok(()) },
                &case,
            )?;
        }
        verified(&case.policy, &refined.document, &resolved.usage())?;
    }

    /// Entries the catalog lacks, in a service the findings call wholly
    /// unused, go; the same entries in another service stay as written.
    #[test]
    fn entries_beyond_the_catalog_in_a_wholly_unused_service_go(
        unused_service in any::<usize>(),
        other_service in any::<usize>(),
        shapes in prop::collection::vec(0usize..4, 1..4),
    ) {
        let (gone, kept) = (service(unused_service), service(other_service));
        prop_assume!(gone != kept);
        let unknown = |svc: &str, shape: usize| match shape {
            0 => format!("{svc}:BrandNewThingZz"),
            1 => format!("{svc}:BrandNew*"),
            2 => format!("{svc}:*NewZz"),
            _ => format!("{svc}:Get?NewZz*"),
        };
        let mut entries: Vec<String> = shapes.iter().map(|&s| unknown(&gone, s)).collect();
        entries.extend(shapes.iter().map(|&s| unknown(&kept, s)));
        entries.sort();
        entries.dedup();
        let document = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": entries, "Resource": "*"}]});
        let original = policy::parse(&document.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let findings_text = format!(r#"[{{"serviceNamespace": "{gone}"}}]"#);
        let resolved = findings::parse(&findings_text).map_err(|e| TestCaseError::fail(e.to_string()))?.resolve(bundled());
        let refined = refine(&original, &resolved.usage());
        let after = policy::from_value(refined.document.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let left: Vec<String> = after
            .statements
            .iter()
            .flat_map(|s| s.entries.iter().map(|g| g.as_str().to_string()))
            .collect();
        let expected: Vec<String> = entries
            .iter()
            .filter(|e| !e.starts_with(&format!("{gone}:")))
            .cloned()
            .collect();
        // What stays is the other service's entries, up to one covering
        // another (a changed statement drops redundant entries).
        prop_assert!(left.iter().all(|e| expected.contains(e)), "{:?} not within {:?}", left, expected);
        for entry in &expected {
            let glob = Glob::new(entry);
            prop_assert!(
                left.iter().any(|l| pattern::contains(&Glob::new(l), &glob)),
                "{} is no longer granted: {:?}", entry, left
            );
        }
        verified(&original, &refined.document, &resolved.usage())?;
    }

    /// `"*"` keeps granting services newer than the catalog when the
    /// findings are dated after it (or undated); when they are dated no
    /// later than it, it is written in the smaller of its two exact forms
    /// (the Action cover of what stays used, or NotAction of the unused).
    #[test]
    fn star_keeps_newer_services_unless_the_catalog_is_as_new_as_the_findings_and_writes_the_smaller_form(
        unused in prop::collection::vec(any::<u32>(), 1..20),
        offset_days in prop::option::of(-400i64..400),
    ) {
        let catalog = bundled();
        let actions: Vec<String> = unused
            .iter()
            .map(|&i| catalog.full_name(catalog.ids().nth(i as usize % catalog.len()).expect("in the catalog")))
            .collect();
        let catalog_date = catalog.info().date.as_deref().and_then(time::parse_date).unwrap_or_default();
        let details: Vec<String> = actions
            .iter()
            .map(|a| {
                let (svc, name) = a.split_once(':').unwrap_or_default();
                format!(r#"{{"unusedPermissionDetails": {{"serviceNamespace": "{svc}", "actions": [{{"action": "{name}"}}]}}}}"#)
            })
            .collect();
        let analyzed = match offset_days {
            Some(days) => {
                let (y, m, d) = civil(catalog_date + days * DAY);
                format!(r#""analyzedAt": "{y:04}-{m:02}-{d:02}T12:00:00Z","#)
            }
            None => String::new(),
        };
        let text = format!(
            r#"{{{analyzed} "findingType": "UnusedPermission", "status": "ACTIVE", "resource": "arn:aws:iam::123456789012:role/r", "findingDetails": [{}]}}"#,
            details.join(",")
        );
        let resolved = findings::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?.resolve(catalog);
        let original = policy::parse(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let refined = refine(&original, &resolved.usage());
        let after = policy::from_value(refined.document.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let statement = &after.statements[0];
        let probe = "newservice:NewAction";
        let grants_probe = match statement.key {
            ActionKey::Action => statement.entries.iter().any(|g| g.matches(probe)),
            ActionKey::NotAction => !statement.entries.iter().any(|g| g.matches(probe)),
        };
        let dated_no_later = offset_days.is_some_and(|days| days <= 0);
        prop_assert_eq!(resolved.beyond.catalog_current, dated_no_later);
        // Not current: the newer services stay granted (NotAction). Current:
        // the smaller of the two exact forms, NotAction only when smaller.
        let chars = |entries: &[Glob]| entries.iter().map(|g| g.as_str().chars().count() + 3).sum::<usize>();
        match (dated_no_later, statement.key) {
            (false, _) => prop_assert!(grants_probe, "key {:?}", statement.key),
            (true, ActionKey::Action) => prop_assert!(!grants_probe),
            (true, ActionKey::NotAction) => {
                let mut keep = iam_refine::model::catalog::ActionSet::full(catalog.len());
                keep.difference_with(&resolved.unused);
                let as_action = iam_refine::engine::cover::cover(catalog, &keep, &keep, None);
                let action: usize = as_action.iter().map(|e| e.chars().count() + 3).sum();
                prop_assert!(chars(&statement.entries) < action, "NotAction chosen though not smaller");
            }
        }
        let mut still = statement.allowed_actions(catalog);
        still.intersect_with(&resolved.unused);
        prop_assert!(still.is_empty(), "still allows {} unused actions", still.len());
        verified(&original, &refined.document, &resolved.usage())?;
    }
    /// An `Allow` + `NotAction` statement over a current catalog: written
    /// as an `Action` statement only when that is smaller, and then still
    /// proved (contained in the original as languages, nothing used
    /// dropped, nothing unused left), whatever the exclusions (whole
    /// services, prefixes, names) and the unused services.
    #[test]
    fn not_action_becomes_the_smaller_action_form_over_a_current_catalog(
        excluded in prop::collection::vec((any::<usize>(), 0usize..3), 1..4),
        unused in prop::collection::vec(any::<usize>(), 1..60),
        current in any::<bool>(),
        mostly in any::<bool>(),
    ) {
        let catalog = bundled();
        // Mostly: every service unused but the few picked, so that the
        // Action form is the small one.
        let picked: Vec<String> = unused.iter().map(|&i| service(i)).collect();
        let unused_services: Vec<String> = match mostly {
            true => catalog
                .service_names()
                .filter(|s| !picked.iter().take(3).any(|p| p == s))
                .map(str::to_string)
                .collect(),
            false => picked,
        };
        let entries: Vec<String> = excluded
            .iter()
            .map(|&(i, shape)| {
                let name = catalog.full_name(catalog.ids().nth(i % catalog.len()).expect("in the catalog"));
                let (svc, action) = name.split_once(':').unwrap_or_default();
                match shape {
                    0 => format!("{svc}:*"),
                    1 => format!("{svc}:{}*", &action[..action.len().min(3)]),
                    _ => name.clone(),
                }
            })
            .collect();
        let services: Vec<String> = unused_services
            .iter()
            .map(|s| format!(r#"{{"serviceNamespace": "{s}"}}"#))
            .collect();
        let mut resolved = findings::parse(&format!("[{}]", services.join(",")))
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .resolve(catalog);
        resolved.beyond.catalog_current = current;
        let text = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": entries, "Resource": "*"}]}).to_string();
        let original = policy::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let refined = refine(&original, &resolved.usage());
        let after = policy::from_value(refined.document.clone())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Some(statement) = after.statements.first() {
            if statement.key == ActionKey::Action {
                prop_assert!(current, "an Action form without a current catalog");
            } else if current && mostly {
                // A few services kept of hundreds: the Action form is smaller
                // unless the exclusions make it write names.
                let names = statement.entries.len();
                prop_assert!(names <= 3 + entries.len() || after.statements.is_empty(), "NotAction of {names} entries kept");
            }
        }
        verified(&original, &refined.document, &resolved.usage())?;
    }
}

/// The civil date of `secs` since the epoch (UTC), for writing timestamps.
fn civil(secs: i64) -> (i64, i64, i64) {
    let days = secs.div_euclid(DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The date helper agrees with the parser.
#[test]
fn civil_dates_round_trip() {
    for text in [
        "1970-01-01",
        "2024-02-29",
        "2026-09-26",
        "2000-03-01",
        "2026-12-31",
    ] {
        let secs = time::parse_date(text).unwrap();
        let (y, m, d) = civil(secs);
        assert_eq!(format!("{y:04}-{m:02}-{d:02}"), text);
    }
}

//! The promises as checks: plain functions over an original policy and its
//! refinement, returning `Err` with a message on a violation, plus the
//! catalog and set helpers they rest on.

use iam_refine::engine::refine::{grants_every_action, refine, Refined};
use iam_refine::input::findings::Usage;
use iam_refine::input::policy::{self, ActionKey, Edit, Effect, Policy, Statement};
use iam_refine::json;
use iam_refine::model::catalog::{ActionSet, Catalog};
use iam_refine::model::pattern::{self, Glob};
use serde_json::Value;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------
// The catalog and set helpers
// ---------------------------------------------------------------------------

/// The bundled catalog, loaded once for the whole test binary.
pub(crate) fn bundled() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::bundled)
}

pub(crate) fn minus(a: &ActionSet, b: &ActionSet) -> ActionSet {
    let mut out = a.clone();
    out.difference_with(b);
    out
}

pub(crate) fn meet(a: &ActionSet, b: &ActionSet) -> ActionSet {
    let mut out = a.clone();
    out.intersect_with(b);
    out
}

/// Up to ten names of a set, for messages.
pub(crate) fn names(catalog: &Catalog, set: &ActionSet) -> String {
    let shown: Vec<String> = set
        .iter()
        .take(10)
        .map(|id| catalog.full_name(id))
        .collect();
    let total = set.len();
    if total > shown.len() {
        format!("{} (and {} more)", shown.join(", "), total - shown.len())
    } else {
        shown.join(", ")
    }
}

/// The statement objects of a document, whether `Statement` is an array or
/// a lone object.
fn statement_values(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(items) => items.clone(),
        item @ Value::Object(_) => vec![item.clone()],
        _ => Vec::new(),
    }
}

/// Compact JSON text: byte-identical means equal text (key order included).
pub(crate) fn text(value: &Value) -> String {
    serde_json::to_string(value).expect("JSON serializes")
}

/// A document as a serde_json value, to take apart in checks.
pub(crate) fn serde(value: &json::Value) -> Value {
    Value::from(value)
}

/// Whether refinement may touch this statement at all.
fn refinable(statement: &Statement) -> bool {
    statement.effect == Effect::Allow && !statement.has_principal
}

// ---------------------------------------------------------------------------
// Pairing original and refined statements
// ---------------------------------------------------------------------------

/// One original statement and what became of it.
struct Pair<'a> {
    index: usize,
    original: &'a Statement,
    original_value: Value,
    edit: Option<Edit>,
    /// The refined statement and its JSON, `None` when removed.
    refined: Option<(Statement, Value)>,
}

/// Maps each original statement to its refined one, in order, skipping
/// removed ones; checks that the refined document parses and has exactly
/// the kept statements.
fn pairs<'a>(original: &'a Policy, refined: &Refined) -> Result<Vec<Pair<'a>>, String> {
    let reparsed = policy::parse(&json::write::compact(&refined.document))
        .map_err(|err| format!("the refined document does not parse: {err}"))?;
    if refined.edits.len() != original.statements.len() {
        return Err(format!(
            "{} edits for {} statements",
            refined.edits.len(),
            original.statements.len()
        ));
    }
    let original_values = statement_values(&serde(original.document()));
    let refined_values = statement_values(&serde(&refined.document));
    let kept = refined
        .edits
        .iter()
        .filter(|edit| **edit != Some(Edit::Remove))
        .count();
    if kept != reparsed.statements.len() || kept != refined_values.len() {
        return Err(format!(
            "{kept} statements kept by the edits, but the refined document has {}",
            reparsed.statements.len()
        ));
    }
    let mut next = 0;
    let mut out = Vec::with_capacity(original.statements.len());
    for (index, statement) in original.statements.iter().enumerate() {
        let edit = refined.edits[index].clone();
        let refined_statement = if edit == Some(Edit::Remove) {
            None
        } else {
            next += 1;
            Some((
                reparsed.statements[next - 1].clone(),
                refined_values[next - 1].clone(),
            ))
        };
        out.push(Pair {
            index,
            original: statement,
            original_value: original_values[index].clone(),
            edit,
            refined: refined_statement,
        });
    }
    Ok(out)
}

/// The statement object without its action element.
fn without_actions(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(map) = value.as_object_mut() {
        map.shift_remove("Action");
        map.shift_remove("NotAction");
    }
    value
}

// ---------------------------------------------------------------------------
// The properties, as checks
// ---------------------------------------------------------------------------

/// Property 1: every kept statement allows (over the catalog) a subset of
/// what it allowed; Deny, Principal and unedited statements are
/// byte-identical; edited ones differ only in their action element.
pub(crate) fn check_never_broadens(
    catalog: &Catalog,
    original: &Policy,
    refined: &Refined,
) -> Result<(), String> {
    for pair in pairs(original, refined)? {
        let i = pair.index;
        if !refinable(pair.original) && pair.edit.is_some() {
            return Err(format!(
                "statement {i} (Deny or Principal) was edited: {:?}",
                pair.edit
            ));
        }
        let Some((statement, value)) = &pair.refined else {
            continue;
        };
        if pair.edit.is_none() && text(value) != text(&pair.original_value) {
            return Err(format!(
                "statement {i} is unedited but not byte-identical:\n  was {}\n  now {}",
                text(&pair.original_value),
                text(value)
            ));
        }
        if text(&without_actions(value)) != text(&without_actions(&pair.original_value)) {
            return Err(format!(
                "statement {i} changed outside its action element:\n  was {}\n  now {}",
                text(&pair.original_value),
                text(value)
            ));
        }
        // The one change of key: an Action that grants every action
        // becomes a NotAction of what is unused, which keeps granting the
        // services the catalog does not know.
        let negated = pair.original.key == ActionKey::Action
            && statement.key == ActionKey::NotAction
            && pair.original.entries.iter().any(grants_every_action);
        if (statement.key != pair.original.key && !negated)
            || statement.effect != pair.original.effect
        {
            return Err(format!("statement {i} changed its effect or action key"));
        }
        let now = statement.allowed_actions(catalog);
        let before = pair.original.allowed_actions(catalog);
        if !now.is_subset(&before) {
            return Err(format!(
                "statement {i} broadened over the catalog: it now also allows {}",
                names(catalog, &minus(&now, &before))
            ));
        }
    }
    Ok(())
}

/// Property 2: no refined Allow statement (Action or NotAction) allows an
/// unused action.
pub(crate) fn check_no_unused_allowed(
    usage: &Usage,
    original: &Policy,
    refined: &Refined,
) -> Result<(), String> {
    let (catalog, unused) = (usage.catalog, usage.unused);
    for pair in pairs(original, refined)? {
        let Some((statement, _)) = &pair.refined else {
            continue;
        };
        if !refinable(pair.original) {
            continue;
        }
        // An Action entry that matches only actions the catalog does not
        // know (added for the run from the findings) is kept as written on
        // purpose: what else it grants is unknown. Unless everything it can
        // match is known to be unused, such entries are exempt here.
        let granted = if statement.key == ActionKey::Action {
            let mut granted = catalog.empty_set();
            for glob in &statement.entries {
                let matched = catalog.matching(glob);
                // So is an entry whose service part is a wildcard while
                // services newer than the catalog must stay granted.
                let reaches_new_services = glob.literal_service().is_none()
                    && usage.beyond.keeps_new_services()
                    && !grants_every_action(glob);
                let kept = (matched.is_subset(catalog.added()) || reaches_new_services)
                    && !usage.wholly_unused(glob, &matched);
                if !kept {
                    granted.union_with(&matched);
                }
            }
            granted
        } else {
            statement.allowed_actions(catalog)
        };
        let still = meet(&granted, unused);
        if !still.is_empty() {
            return Err(format!(
                "refined statement {} ({}) still allows unused {}",
                pair.index,
                statement.key.as_str(),
                names(catalog, &still)
            ));
        }
    }
    Ok(())
}

/// Property 3: whatever an original Allow statement allowed and is not
/// unused, its refined statement still allows.
pub(crate) fn check_keeps_used(
    catalog: &Catalog,
    original: &Policy,
    refined: &Refined,
    unused: &ActionSet,
) -> Result<(), String> {
    for pair in pairs(original, refined)? {
        if pair.original.effect != Effect::Allow {
            continue;
        }
        let used = minus(&pair.original.allowed_actions(catalog), unused);
        let lost = match &pair.refined {
            None => used,
            Some((statement, _)) => minus(&used, &statement.allowed_actions(catalog)),
        };
        if !lost.is_empty() {
            return Err(format!(
                "statement {} ({}) no longer allows used {}",
                pair.index,
                if pair.refined.is_none() {
                    "removed"
                } else {
                    "refined"
                },
                names(catalog, &lost)
            ));
        }
    }
    Ok(())
}

/// Property 4: every refined `Action` entry is inside the union of the
/// original entries as a glob language; every original `NotAction` entry is
/// still listed.
pub(crate) fn check_languages(original: &Policy, refined: &Refined) -> Result<(), String> {
    for pair in pairs(original, refined)? {
        let Some((statement, _)) = &pair.refined else {
            continue;
        };
        if !refinable(pair.original) {
            continue;
        }
        match statement.key {
            ActionKey::Action => {
                for entry in &statement.entries {
                    if pair
                        .original
                        .entries
                        .iter()
                        .any(|o| o.as_str() == entry.as_str())
                    {
                        continue;
                    }
                    match pattern::uncovered(entry, &pair.original.entries) {
                        Ok(None) => {}
                        Ok(Some(witness)) => {
                            return Err(format!(
                                "statement {}: refined entry \"{entry}\" allows \"{witness}\", which no original entry ({}) does",
                                pair.index,
                                joined(&pair.original.entries)
                            ))
                        }
                        Err(err) => {
                            return Err(format!(
                                "statement {}: cannot decide \"{entry}\" against the original entries: {err}",
                                pair.index
                            ))
                        }
                    }
                }
            }
            // Refined from an Action that granted every action: any
            // NotAction is inside that.
            ActionKey::NotAction if pair.original.key == ActionKey::Action => {
                if !pair.original.entries.iter().any(grants_every_action) {
                    return Err(format!(
                        "statement {}: an Action statement that did not grant every action became NotAction",
                        pair.index
                    ));
                }
            }
            ActionKey::NotAction => {
                for entry in &pair.original.entries {
                    if !statement
                        .entries
                        .iter()
                        .any(|r| r.as_str() == entry.as_str())
                    {
                        return Err(format!(
                            "statement {}: original NotAction entry \"{entry}\" is gone from the refined list ({})",
                            pair.index,
                            joined(&statement.entries)
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn joined(entries: &[Glob]) -> String {
    entries
        .iter()
        .map(|g| format!("\"{g}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Property 5: refining the refined document again changes nothing.
pub(crate) fn check_idempotent(usage: &Usage, refined: &Refined) -> Result<(), String> {
    let again_policy = policy::parse(&json::write::compact(&refined.document))
        .map_err(|err| format!("the refined document does not parse: {err}"))?;
    let again = refine(&again_policy, usage);
    if let Some((i, edit)) = again
        .edits
        .iter()
        .enumerate()
        .find_map(|(i, edit)| edit.as_ref().map(|edit| (i, edit)))
    {
        return Err(format!(
            "refining again edits refined statement {i}: {edit:?}"
        ));
    }
    let (first, second) = (
        json::write::compact(&refined.document),
        json::write::compact(&again.document),
    );
    if first != second {
        return Err(format!(
            "refining again changes the document:\n  first  {first}\n  second {second}"
        ));
    }
    Ok(())
}

/// Property 6: in an edited statement, every entry refinement wrote matches
/// some catalog action, and no entry is covered by another (for NotAction:
/// among the added entries, none of which may be covered, as a language, by
/// an original entry, and each of which excludes something the original
/// allowed).
pub(crate) fn check_least(
    catalog: &Catalog,
    original: &Policy,
    refined: &Refined,
) -> Result<(), String> {
    for pair in pairs(original, refined)? {
        let (Some((statement, _)), Some(Edit::Entries(_) | Edit::NotAction(_))) =
            (&pair.refined, &pair.edit)
        else {
            continue;
        };
        let i = pair.index;
        let negated = matches!(pair.edit, Some(Edit::NotAction(_)));
        let is_original = |g: &Glob| {
            !negated
                && pair
                    .original
                    .entries
                    .iter()
                    .any(|o| o.as_str() == g.as_str())
        };
        let generated: Vec<&Glob> = statement
            .entries
            .iter()
            .filter(|g| !is_original(g))
            .collect();
        for entry in &generated {
            if catalog.matching(entry).is_empty() {
                return Err(format!(
                    "statement {i}: generated entry \"{entry}\" matches no catalog action"
                ));
            }
        }
        let compared: Vec<&Glob> = match statement.key {
            ActionKey::Action => statement.entries.iter().collect(),
            // Every entry is new, and excludes only unused actions.
            ActionKey::NotAction if negated => generated,
            ActionKey::NotAction => {
                let before = pair.original.allowed_actions(catalog);
                for entry in &generated {
                    if let Some(outer) = pair
                        .original
                        .entries
                        .iter()
                        .find(|o| pattern::contains(o, entry))
                    {
                        return Err(format!(
                            "statement {i}: added NotAction entry \"{entry}\" is covered by original NotAction entry \"{outer}\" (already excluded)"
                        ));
                    }
                    // `svc:*` of a service the catalog does not know, which
                    // the findings call wholly unused, excludes nothing the
                    // catalog knows and is right all the same.
                    let unknown_service = entry
                        .literal_service()
                        .is_some_and(|s| catalog.service(&s.to_ascii_lowercase()).is_none());
                    if !unknown_service && !catalog.matching(entry).intersects(&before) {
                        return Err(format!(
                            "statement {i}: added NotAction entry \"{entry}\" excludes nothing the statement allowed"
                        ));
                    }
                }
                generated
            }
        };
        if let Some((inner, outer)) = covered_pair(&compared) {
            return Err(format!(
                "statement {i}: entry \"{inner}\" is covered by entry \"{outer}\" ({})",
                statement.key.as_str()
            ));
        }
    }
    Ok(())
}

/// Property 7: `grants_nothing` says exactly that the original had an
/// Allow statement and the refined document has none.
pub(crate) fn check_grants_nothing(original: &Policy, refined: &Refined) -> Result<(), String> {
    let had = original
        .statements
        .iter()
        .any(|s| s.effect == Effect::Allow);
    let left = pairs(original, refined)?
        .iter()
        .any(|p| matches!(&p.refined, Some((s, _)) if s.effect == Effect::Allow));
    if refined.grants_nothing != (had && !left) {
        return Err(format!(
            "grants_nothing is {} but the original {} an Allow statement and the refined document {} one",
            refined.grants_nothing,
            if had { "had" } else { "had no" },
            if left { "has" } else { "has no" }
        ));
    }
    Ok(())
}

/// Some entry covered (as a language) by another entry of the list.
///
/// Entries with different literal service prefixes cannot overlap, so
/// entries are bucketed by service (ignoring case) and compared within their
/// bucket; entries without a literal service are compared with all.
fn covered_pair<'a>(entries: &[&'a Glob]) -> Option<(&'a Glob, &'a Glob)> {
    let mut buckets: std::collections::HashMap<String, Vec<&'a Glob>> = Default::default();
    let mut wild: Vec<&'a Glob> = Vec::new();
    for &entry in entries {
        match entry.literal_service() {
            Some(service) => buckets
                .entry(service.to_ascii_lowercase())
                .or_default()
                .push(entry),
            None => wild.push(entry),
        }
    }
    let within = |list: &[&'a Glob]| {
        for (i, inner) in list.iter().enumerate() {
            for (j, outer) in list.iter().enumerate() {
                if i != j && pattern::contains(outer, inner) {
                    return Some((*inner, *outer));
                }
            }
        }
        None
    };
    if let Some(found) = buckets.values().find_map(|bucket| within(bucket)) {
        return Some(found);
    }
    if let Some(found) = within(&wild) {
        return Some(found);
    }
    for &w in &wild {
        for &entry in entries.iter().filter(|e| e.literal_service().is_some()) {
            if pattern::contains(w, entry) {
                return Some((entry, w));
            }
            if pattern::contains(entry, w) {
                return Some((w, entry));
            }
        }
    }
    None
}

//! Property tests of the refinement promises, over the real bundled catalog.
//!
//! Each case is a random policy (1–4 statements: Allow or Deny, `Action` as
//! an array or a string, or `NotAction`, with Sid, Resource, Condition and
//! the odd Principal) whose entries are derived from random catalog actions:
//! exact names in any case, truncated and word-truncated prefixes, `svc:*`,
//! infixes, `?` substitutions (also inside a prefix), cross-service globs,
//! the odd `*` or unknown name. The unused set is drawn from what those
//! entries match at several densities, whole services, a few random actions;
//! sometimes it is everything, or everything but what was drawn. Sometimes
//! it goes through the findings reader, then and again with actions the
//! catalog is too old to know (which extend the catalog for that case).
//!
//! The promises checked, one `#[test]` each:
//!
//! 1. never broaden over the catalog, and leave Deny / Principal statements
//!    (and everything outside the action element) byte-identical;
//! 2. no unused action stays allowed by a refined Allow statement;
//! 3. never drop what is used;
//! 4. never broaden beyond the catalog: refined `Action` entries lie inside
//!    the original entries as glob languages; `NotAction` only grows;
//! 5. idempotence;
//! 6. least (sanity): generated entries match something, and no entry of a
//!    changed statement is covered by another;
//! 7. `grants_nothing` is set exactly when no Allow statement is left;
//! 8. `verify` (the self-check) passes on refine's output.
//!
//! The checks are plain functions returning `Result<(), String>`, so the
//! example tests at the end can feed them deliberately bad refinements and
//! show that they are not vacuous; another test shows that the generators
//! really produce changes.
//!
//! Failure persistence is off so that a failing run writes no
//! `proptest-regressions` file; the failure message prints the shrunk policy
//! and unused set, ready to paste into a regression test.

use iam_refine::catalog::{ActionId, ActionSet, Catalog};
use iam_refine::findings;
use iam_refine::pattern::{self, Glob};
use iam_refine::policy::{self, ActionKey, Edit, Effect, Policy, Statement};
use iam_refine::refine::{refine, Refined};
use iam_refine::verify::{verify, Usage};
use iam_refine::words::word_ends;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------
// The catalog and set helpers
// ---------------------------------------------------------------------------

/// The bundled catalog, loaded once for the whole test binary.
fn bundled() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::bundled)
}

/// The catalog actions any of `entries` matches.
fn matched(catalog: &Catalog, entries: &[Glob]) -> ActionSet {
    let mut set = catalog.empty_set();
    for glob in entries {
        set.union_with(&catalog.matching(glob));
    }
    set
}

/// The catalog actions a statement applies to: the union of its entries for
/// `Action`, the complement of that union for `NotAction`.
fn allowed(catalog: &Catalog, statement: &Statement) -> ActionSet {
    let listed = matched(catalog, &statement.entries);
    match statement.key {
        ActionKey::Action => listed,
        ActionKey::NotAction => minus(&ActionSet::full(catalog.len()), &listed),
    }
}

fn minus(a: &ActionSet, b: &ActionSet) -> ActionSet {
    let mut out = a.clone();
    out.difference_with(b);
    out
}

fn meet(a: &ActionSet, b: &ActionSet) -> ActionSet {
    let mut out = a.clone();
    out.intersect_with(b);
    out
}

/// Up to ten names of a set, for messages.
fn names(catalog: &Catalog, set: &ActionSet) -> String {
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
fn text(value: &Value) -> String {
    serde_json::to_string(value).expect("JSON serializes")
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
    let reparsed = policy::parse(&text(&refined.document))
        .map_err(|err| format!("the refined document does not parse: {err}"))?;
    if refined.edits.len() != original.statements.len() {
        return Err(format!(
            "{} edits for {} statements",
            refined.edits.len(),
            original.statements.len()
        ));
    }
    let original_values = statement_values(&original.document);
    let refined_values = statement_values(&refined.document);
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
fn check_never_broadens(
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
        if statement.key != pair.original.key || statement.effect != pair.original.effect {
            return Err(format!("statement {i} changed its effect or action key"));
        }
        let now = allowed(catalog, statement);
        let before = allowed(catalog, pair.original);
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
fn check_no_unused_allowed(
    catalog: &Catalog,
    original: &Policy,
    refined: &Refined,
    unused: &ActionSet,
) -> Result<(), String> {
    for pair in pairs(original, refined)? {
        let Some((statement, _)) = &pair.refined else {
            continue;
        };
        if !refinable(pair.original) {
            continue;
        }
        let still = meet(&allowed(catalog, statement), unused);
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
fn check_keeps_used(
    catalog: &Catalog,
    original: &Policy,
    refined: &Refined,
    unused: &ActionSet,
) -> Result<(), String> {
    for pair in pairs(original, refined)? {
        if pair.original.effect != Effect::Allow {
            continue;
        }
        let used = minus(&allowed(catalog, pair.original), unused);
        let lost = match &pair.refined {
            None => used,
            Some((statement, _)) => minus(&used, &allowed(catalog, statement)),
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
fn check_languages(original: &Policy, refined: &Refined) -> Result<(), String> {
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
fn check_idempotent(
    catalog: &Catalog,
    refined: &Refined,
    unused: &ActionSet,
) -> Result<(), String> {
    let again_policy = policy::parse(&text(&refined.document))
        .map_err(|err| format!("the refined document does not parse: {err}"))?;
    let again = refine(&again_policy, catalog, unused);
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
    if text(&again.document) != text(&refined.document) {
        return Err(format!(
            "refining again changes the document:\n  first  {}\n  second {}",
            text(&refined.document),
            text(&again.document)
        ));
    }
    Ok(())
}

/// Property 6: in an edited statement, every entry refinement wrote matches
/// some catalog action, and no entry is covered by another (for NotAction:
/// among the added entries, each of which excludes something the original
/// allowed).
fn check_least(catalog: &Catalog, original: &Policy, refined: &Refined) -> Result<(), String> {
    for pair in pairs(original, refined)? {
        let (Some((statement, _)), Some(Edit::Entries(_))) = (&pair.refined, &pair.edit) else {
            continue;
        };
        let i = pair.index;
        let is_original = |g: &Glob| {
            pair.original
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
            ActionKey::NotAction => {
                let before = allowed(catalog, pair.original);
                for entry in &generated {
                    if !catalog.matching(entry).intersects(&before) {
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
fn check_grants_nothing(original: &Policy, refined: &Refined) -> Result<(), String> {
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

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/// The shape of one generated entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `svc:Name`.
    Exact,
    /// `svc:Na*`, cut anywhere (including `svc:*` and `svc:Name*`).
    Truncated,
    /// `svc:WordPrefix*`.
    WordTruncated,
    /// `svc:*`.
    Service,
    /// `svc:*Suffix`.
    Infix,
    /// `svc:*Middle*`.
    InfixMid,
    /// `svc:Na?e` (the `?` may fall in the service prefix too).
    Question,
    /// `svc:Get?bj*`: a `?` in a word-truncated prefix.
    QuestionStar,
    /// Across services: `sv*:Name` or `*:WordPrefix*`.
    CrossService,
    /// `*`.
    Star,
    /// A name no catalog action has.
    Unknown,
}

/// Which catalog action an entry is derived from.
#[derive(Debug, Clone, Copy)]
enum Pick {
    /// Any action (index modulo the catalog size).
    Random(u32),
    /// An action near the statement's base action, usually in its service.
    Near(i16),
}

#[derive(Debug, Clone)]
struct EntrySpec {
    form: Form,
    pick: Pick,
    cut: u16,
    /// Case flips, one bit per character (cycling), when present.
    flip: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Action,
    ActionString,
    NotAction,
}

/// How a statement contributes to the unused set.
#[derive(Debug, Clone)]
struct UnusedSpec {
    /// Percent of the matched actions that are unused.
    density: u8,
    seed: u64,
    /// Also the whole service of the base action.
    whole_service: bool,
}

#[derive(Debug, Clone)]
struct StatementSpec {
    deny: bool,
    principal: bool,
    key: Key,
    base: u32,
    entries: Vec<EntrySpec>,
    sid: Option<u8>,
    resource: u8,
    condition: bool,
    unused: UnusedSpec,
}

/// How the unused set reaches refinement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Built directly as an ActionSet.
    Direct,
    /// Written as a findings array of names and read back.
    Findings,
    /// The same, plus an unused action the catalog does not know yet.
    FindingsWithFuture,
}

#[derive(Debug, Clone)]
struct CaseSpec {
    statements: Vec<StatementSpec>,
    lone: bool,
    extras: Vec<u32>,
    all_unused: bool,
    /// Everything except what the statements drew is unused.
    invert: bool,
    route: Route,
}

fn form_for_action() -> impl Strategy<Value = Form> {
    prop_oneof![
        60 => Just(Form::Exact),
        40 => Just(Form::Truncated),
        50 => Just(Form::WordTruncated),
        20 => Just(Form::Service),
        20 => Just(Form::Infix),
        10 => Just(Form::InfixMid),
        20 => Just(Form::Question),
        8 => Just(Form::QuestionStar),
        4 => Just(Form::CrossService),
        5 => Just(Form::Unknown),
        1 => Just(Form::Star),
    ]
}

fn form_for_not_action() -> impl Strategy<Value = Form> {
    prop_oneof![
        3 => Just(Form::Service),
        3 => Just(Form::WordTruncated),
        2 => Just(Form::Exact),
        1 => Just(Form::Truncated),
    ]
}

fn entry_spec(form: BoxedStrategy<Form>) -> impl Strategy<Value = EntrySpec> {
    let pick = prop_oneof![
        2 => any::<u32>().prop_map(Pick::Random),
        3 => (-40i16..40).prop_map(Pick::Near),
    ];
    let flip = prop_oneof![3 => Just(None), 1 => any::<u64>().prop_map(Some)];
    (form, pick, any::<u16>(), flip).prop_map(|(form, pick, cut, flip)| EntrySpec {
        form,
        pick,
        cut,
        flip,
    })
}

fn unused_spec() -> impl Strategy<Value = UnusedSpec> {
    (
        prop::sample::select(vec![100u8, 5, 30, 70, 95]),
        any::<u64>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(density, seed, whole_service)| UnusedSpec {
            density,
            seed,
            whole_service,
        })
}

fn statement_spec() -> impl Strategy<Value = StatementSpec> {
    let key = prop_oneof![7 => Just(Key::Action), 2 => Just(Key::ActionString), 2 => Just(Key::NotAction)];
    (
        (prop::bool::weighted(0.15), prop::bool::weighted(0.05), key),
        any::<u32>(),
        any::<Option<u8>>(),
        0u8..3,
        prop::bool::weighted(0.3),
        unused_spec(),
    )
        .prop_flat_map(
            |((deny, principal, key), base, sid, resource, condition, unused)| {
                let entries = match key {
                    Key::Action => {
                        prop::collection::vec(entry_spec(form_for_action().boxed()), 1..=5).boxed()
                    }
                    Key::ActionString => {
                        prop::collection::vec(entry_spec(form_for_action().boxed()), 1..=1).boxed()
                    }
                    Key::NotAction => {
                        prop::collection::vec(entry_spec(form_for_not_action().boxed()), 1..=3)
                            .boxed()
                    }
                };
                entries.prop_map(move |entries| StatementSpec {
                    deny,
                    principal,
                    key,
                    base,
                    entries,
                    sid,
                    resource,
                    condition,
                    unused: unused.clone(),
                })
            },
        )
}

fn case_spec() -> impl Strategy<Value = CaseSpec> {
    let route = prop_oneof![
        8 => Just(Route::Direct),
        1 => Just(Route::Findings),
        1 => Just(Route::FindingsWithFuture),
    ];
    (
        prop::collection::vec(statement_spec(), 1..=4),
        any::<bool>(),
        prop::collection::vec(any::<u32>(), 0..4),
        prop::bool::weighted(0.04),
        prop::bool::weighted(0.06),
        route,
    )
        .prop_map(
            |(statements, lone, extras, all_unused, invert, route)| CaseSpec {
                statements,
                lone,
                extras,
                all_unused,
                invert,
                route,
            },
        )
}

/// The catalog action an entry is derived from.
fn picked(catalog: &Catalog, base: u32, pick: Pick) -> ActionId {
    let n = catalog.len() as i64;
    let index = match pick {
        Pick::Random(i) => i64::from(i) % n,
        Pick::Near(delta) => (i64::from(base) + i64::from(delta)).rem_euclid(n),
    };
    ActionId(index as u32)
}

/// Flips the case of the letters whose bit (cycling over 64) is set.
fn flip_case(text: &str, bits: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if bits >> (i % 64) & 1 == 1 {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

/// The entry text for a spec (catalog names are ASCII, so byte cuts are
/// character cuts).
fn render_entry(catalog: &Catalog, base: u32, spec: &EntrySpec) -> String {
    let id = picked(catalog, base, spec.pick);
    let service = catalog.service_of(id);
    let name = catalog.name(id);
    let cut = usize::from(spec.cut);
    let entry = match spec.form {
        Form::Exact => format!("{service}:{name}"),
        Form::Truncated => format!("{service}:{}*", &name[..cut % (name.len() + 1)]),
        Form::WordTruncated => {
            let ends = word_ends(name);
            format!("{service}:{}*", &name[..ends[cut % ends.len()]])
        }
        Form::Service => format!("{service}:*"),
        Form::Infix => {
            let k = 1 + cut % name.len().min(6);
            format!("{service}:*{}", &name[name.len() - k..])
        }
        Form::InfixMid => {
            let start = cut % name.len();
            let end = (start + 1 + (cut / 7) % 4).min(name.len());
            format!("{service}:*{}*", &name[start..end])
        }
        Form::Question => {
            let full = format!("{service}:{name}");
            let positions: Vec<usize> = full
                .char_indices()
                .filter(|(_, c)| c.is_ascii_alphanumeric())
                .map(|(i, _)| i)
                .collect();
            // Mostly in the name; one time in eight anywhere (service too).
            let in_name: Vec<usize> = positions
                .iter()
                .copied()
                .filter(|&i| i > service.len())
                .collect();
            let from = if cut % 8 == 0 || in_name.is_empty() {
                &positions
            } else {
                &in_name
            };
            let at = from[cut % from.len()];
            format!("{}?{}", &full[..at], &full[at + 1..])
        }
        Form::QuestionStar => {
            let ends = word_ends(name);
            let end = ends[cut % ends.len()];
            let at = (cut / 3) % end;
            format!("{service}:{}?{}*", &name[..at], &name[at + 1..end])
        }
        Form::CrossService => {
            if cut % 2 == 0 {
                let k = 1 + (cut / 2) % service.len();
                format!("{}*:{name}", &service[..k])
            } else {
                let ends = word_ends(name);
                let end = ends[(cut / 2) % ends.len().min(2)];
                format!("*:{}*", &name[..end])
            }
        }
        Form::Star => "*".to_string(),
        Form::Unknown => format!("{service}:{name}RetiredZz"),
    };
    match spec.flip {
        Some(bits) => flip_case(&entry, bits),
        None => entry,
    }
}

/// A well-mixed 64-bit hash (splitmix64), for density subsets.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A generated case, ready to refine.
struct Case {
    /// The policy as written.
    text: String,
    policy: Policy,
    /// The catalog (extended when the findings named an unknown action).
    catalog: Cow<'static, Catalog>,
    unused: ActionSet,
    /// The findings text, when the unused set went through the reader.
    findings: Option<String>,
    /// For the Findings route without unknown actions: the set built
    /// directly, which the reader must reproduce.
    direct: Option<ActionSet>,
}

fn statement_json(catalog: &Catalog, spec: &StatementSpec) -> Value {
    let entries: Vec<String> = spec
        .entries
        .iter()
        .map(|e| render_entry(catalog, spec.base, e))
        .collect();
    let mut map = serde_json::Map::new();
    if let Some(sid) = spec.sid {
        map.insert("Sid".into(), json!(format!("S{sid}")));
    }
    map.insert(
        "Effect".into(),
        json!(if spec.deny { "Deny" } else { "Allow" }),
    );
    if spec.principal {
        map.insert(
            "Principal".into(),
            json!({"AWS": "arn:aws:iam::123456789012:root"}),
        );
    }
    let element = match spec.key {
        Key::Action => ("Action", json!(entries)),
        Key::ActionString => ("Action", json!(entries[0])),
        Key::NotAction => ("NotAction", json!(entries)),
    };
    map.insert(element.0.into(), element.1);
    let resource = match spec.resource {
        0 => json!("*"),
        1 => json!("arn:aws:s3:::bucket/*"),
        _ => json!(["arn:aws:s3:::a", "arn:aws:s3:::b/*"]),
    };
    map.insert("Resource".into(), resource);
    if spec.condition {
        map.insert(
            "Condition".into(),
            json!({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
        );
    }
    Value::Object(map)
}

fn build(spec: &CaseSpec) -> Case {
    let catalog = bundled();
    let statements: Vec<Value> = spec
        .statements
        .iter()
        .map(|s| statement_json(catalog, s))
        .collect();
    let statement = if spec.lone && statements.len() == 1 {
        statements[0].clone()
    } else {
        Value::Array(statements)
    };
    let document = json!({"Version": "2012-10-17", "Statement": statement});
    let text = serde_json::to_string_pretty(&document).expect("JSON serializes");
    let policy = policy::parse(&text).expect("generated policies are valid");

    let mut unused = catalog.empty_set();
    for (s, parsed) in spec.statements.iter().zip(&policy.statements) {
        let base = ActionId(s.base % catalog.len() as u32);
        let pool = match parsed.key {
            ActionKey::Action => matched(catalog, &parsed.entries),
            // A NotAction statement allows nearly everything: draw from the
            // service of its base action instead.
            ActionKey::NotAction => {
                catalog.matching(&Glob::new(&format!("{}:*", catalog.service_of(base))))
            }
        };
        let u = &s.unused;
        for id in pool.iter() {
            if u.density >= 100 || mix(u.seed ^ u64::from(id.0)) % 100 < u64::from(u.density) {
                unused.insert(id);
            }
        }
        if u.whole_service {
            let range = catalog
                .service(catalog.service_of(base))
                .expect("the action's service");
            unused.insert_range(range.start, range.end);
        }
    }
    for &extra in &spec.extras {
        unused.insert(ActionId(extra % catalog.len() as u32));
    }
    if spec.invert {
        unused = minus(&ActionSet::full(catalog.len()), &unused);
    }
    if spec.all_unused {
        unused = ActionSet::full(catalog.len());
    }

    if spec.route == Route::Direct {
        return Case {
            text,
            policy,
            catalog: Cow::Borrowed(catalog),
            unused,
            findings: None,
            direct: None,
        };
    }
    let findings_text = if spec.all_unused {
        r#"{"findingType": "UnusedIAMRole", "status": "ACTIVE"}"#.to_string()
    } else {
        let mut list: Vec<String> = unused.iter().map(|id| catalog.full_name(id)).collect();
        if spec.route == Route::FindingsWithFuture {
            // An action a prefix entry may match, and the unknown entries
            // themselves: the catalog learns them from the findings.
            let base = ActionId(spec.statements[0].base % catalog.len() as u32);
            list.push(format!("{}FromTheFuture", catalog.full_name(base)));
            for s in &spec.statements {
                for e in s.entries.iter().filter(|e| e.form == Form::Unknown) {
                    list.push(render_entry(catalog, s.base, e));
                }
            }
        }
        text_of_list(&list)
    };
    let resolved = findings::parse(&findings_text)
        .expect("generated findings are valid")
        .resolve(catalog);
    let direct = (spec.route == Route::Findings).then_some(unused);
    Case {
        text,
        policy,
        catalog: Cow::Owned(resolved.catalog),
        unused: resolved.unused,
        findings: Some(findings_text),
        direct,
    }
}

fn text_of_list(list: &[String]) -> String {
    serde_json::to_string(list).expect("JSON serializes")
}

impl Case {
    fn refine(&self) -> Refined {
        refine(&self.policy, &self.catalog, &self.unused)
    }

    /// The case, for failure messages: the policy, and the unused set listed
    /// when short, summarized per service when long.
    fn describe(&self) -> String {
        let catalog: &Catalog = &self.catalog;
        let total = self.unused.len();
        let unused = if total <= 60 {
            let list: Vec<String> = self.unused.iter().map(|id| catalog.full_name(id)).collect();
            text_of_list(&list)
        } else {
            let mut per_service: Vec<String> = Vec::new();
            for service in catalog.service_names() {
                let range = catalog.service(service).expect("listed service");
                let mut all = catalog.empty_set();
                all.insert_range(range.start, range.end);
                let count = meet(&all, &self.unused).len();
                if count > 0 {
                    per_service.push(format!("{service}: {count}/{}", range.len()));
                }
            }
            let shown = per_service.len().min(40);
            format!(
                "{total} actions; per service: {}{}",
                per_service[..shown].join(", "),
                if per_service.len() > shown {
                    ", ..."
                } else {
                    ""
                }
            )
        };
        let route = match &self.findings {
            Some(f) if f.len() <= 2000 => format!("\nvia findings: {f}"),
            Some(f) => format!("\nvia findings ({} bytes)", f.len()),
            None => String::new(),
        };
        format!(
            "policy:\n{}\nunused: {unused}{route}\ncatalog: {} actions",
            self.text,
            catalog.len()
        )
    }
}

fn verdict(result: Result<(), String>, case: &Case) -> Result<(), TestCaseError> {
    result.map_err(|why| TestCaseError::fail(format!("{why}\n{}", case.describe())))
}

/// `cases` cases, unless `PROPTEST_CASES` asks for another number (for a
/// longer soak: `PROPTEST_CASES=5000 cargo test --release --test properties`).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn p1_never_broadens_over_the_catalog(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_never_broadens(&case.catalog, &case.policy, &refined), &case)?;
    }

    #[test]
    fn p2_no_unused_action_stays_allowed(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_no_unused_allowed(&case.catalog, &case.policy, &refined, &case.unused), &case)?;
    }

    #[test]
    fn p3_never_drops_what_is_used(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_keeps_used(&case.catalog, &case.policy, &refined, &case.unused), &case)?;
    }

    #[test]
    fn p4_never_broadens_beyond_the_catalog(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_languages(&case.policy, &refined), &case)?;
    }

    #[test]
    fn p5_refinement_is_idempotent(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_idempotent(&case.catalog, &refined, &case.unused), &case)?;
    }

    #[test]
    fn p6_refined_entries_are_least(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_least(&case.catalog, &case.policy, &refined), &case)?;
    }

    #[test]
    fn p7_grants_nothing_means_no_allow_is_left(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        verdict(check_grants_nothing(&case.policy, &refined), &case)?;
    }

    /// `refine verify` (the self-check every run makes) passes on refine's
    /// own output, with the unused set.
    #[test]
    fn p8_verify_passes_on_refined_output(spec in case_spec()) {
        let case = build(&spec);
        let refined = case.refine();
        let refined_policy = policy::from_value(refined.document.clone()).expect("refined reads back");
        let usage = Usage { catalog: &case.catalog, unused: &case.unused };
        let reasons: Vec<String> = verify(&case.policy, &refined_policy, Some(&usage)).iter().map(|r| r.describe()).collect();
        verdict(if reasons.is_empty() { Ok(()) } else { Err(reasons.join("\n")) }, &case)?;
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// The set helpers rest on `Catalog::matching`: pin it against a brute
    /// force match of every catalog name, for the entry forms generated.
    #[test]
    fn matching_agrees_with_brute_force(
        base in any::<u32>(),
        entry in entry_spec(form_for_action().boxed()),
    ) {
        let catalog = bundled();
        let glob = Glob::new(&render_entry(catalog, base, &entry));
        let fast = catalog.matching(&glob);
        let mut slow = catalog.empty_set();
        for id in catalog.ids() {
            if glob.matches(&catalog.full_name(id)) {
                slow.insert(id);
            }
        }
        prop_assert!(fast == slow, "\"{}\": matching gives {}, brute force {}", glob, fast.len(), slow.len());
        if entry.form != Form::Unknown {
            prop_assert!(!fast.is_empty(), "\"{}\" derived from a catalog action matches nothing", glob);
        }
    }
}

// ---------------------------------------------------------------------------
// Examples that pin the machinery
// ---------------------------------------------------------------------------

fn id(catalog: &Catalog, full: &str) -> ActionId {
    let (service, name) = full.split_once(':').expect("svc:Name");
    catalog.find(service, name).expect("a catalog action")
}

fn parse_value(document: &Value) -> Policy {
    policy::parse(&text(document)).expect("a valid policy")
}

/// A hand-made refinement result, to show the checks reject bad ones.
fn fake(document: Value, edits: Vec<Option<Edit>>) -> Refined {
    Refined {
        document,
        changes: Vec::new(),
        edits,
        warnings: Vec::new(),
        grants_nothing: false,
    }
}

#[test]
fn allowed_is_the_union_for_action_and_the_complement_for_not_action() {
    let catalog = bundled();
    let policy = parse_value(&json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "s3:Get*"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["iam:*", "s3:Get*"], "Resource": "*"}
        ]
    }));
    let not_action = allowed(catalog, &policy.statements[0]);
    let action = allowed(catalog, &policy.statements[1]);
    let iam = catalog.service("iam").expect("iam").len();
    let s3_get = catalog.prefix_range("s3", "Get").expect("s3").len();
    assert!(iam > 100 && s3_get > 50);
    assert_eq!(action.len(), iam + s3_get);
    assert_eq!(not_action.len(), catalog.len() - iam - s3_get);
    assert!(!not_action.intersects(&action));
    let mut both = not_action.clone();
    both.union_with(&action);
    assert_eq!(both, ActionSet::full(catalog.len()));
    assert!(not_action.contains(id(catalog, "ec2:RunInstances")));
    assert!(not_action.contains(id(catalog, "s3:PutObject")));
    assert!(!not_action.contains(id(catalog, "iam:CreateUser")));
    assert!(!not_action.contains(id(catalog, "s3:GetObject")));
    assert!(action.contains(id(catalog, "s3:GetObject")));
}

#[test]
fn the_checks_accept_a_real_refinement_and_reject_bad_ones() {
    let catalog = bundled();
    let statement = |key: &str, entries: Value| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", key: entries, "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
        ]})
    };
    let original = parse_value(&statement("Action", json!(["s3:GetObject*"])));
    let mut unused = catalog.empty_set();
    unused.insert(id(catalog, "s3:GetObjectAcl"));
    let entries = |list: &[&str]| Some(Edit::Entries(list.iter().map(|s| s.to_string()).collect()));
    let edited = |list: &[&str]| vec![entries(list), None];

    // The real refinement passes every check.
    let real = refine(&original, catalog, &unused);
    assert!(real.changed());
    check_never_broadens(catalog, &original, &real).unwrap();
    check_no_unused_allowed(catalog, &original, &real, &unused).unwrap();
    check_keeps_used(catalog, &original, &real, &unused).unwrap();
    check_languages(&original, &real).unwrap();
    check_idempotent(catalog, &real, &unused).unwrap();
    check_least(catalog, &original, &real).unwrap();
    check_grants_nothing(&original, &real).unwrap();

    // Broader than the original, over the catalog and as a language.
    let broad = fake(
        statement("Action", json!(["s3:Get*"])),
        edited(&["s3:Get*"]),
    );
    assert!(check_never_broadens(catalog, &original, &broad).is_err());
    assert!(check_languages(&original, &broad).is_err());
    // Broader only as a language (the `?` reaches names no action has).
    let beyond = fake(
        statement("Action", json!(["s3:GetObjec?"])),
        edited(&["s3:GetObjec?"]),
    );
    assert!(check_never_broadens(catalog, &original, &beyond).is_ok());
    assert!(check_languages(&original, &beyond).is_err());
    // Still allows the unused action; and is not a fixed point.
    let lazy = fake(original.document.clone(), vec![None, None]);
    assert!(check_no_unused_allowed(catalog, &original, &lazy, &unused).is_err());
    assert!(check_idempotent(catalog, &lazy, &unused).is_err());
    // Drops used actions; removing the statement drops them all.
    let stingy = fake(
        statement("Action", json!(["s3:GetObjectTagging"])),
        edited(&["s3:GetObjectTagging"]),
    );
    assert!(check_keeps_used(catalog, &original, &stingy, &unused).is_err());
    let removed = fake(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
        ]}),
        vec![Some(Edit::Remove), None],
    );
    assert!(check_keeps_used(catalog, &original, &removed, &unused).is_err());
    // Nothing is allowed any more, yet grants_nothing is false.
    assert!(check_grants_nothing(&original, &removed).is_err());
    // One entry covered by another; an entry matching nothing.
    let redundant = fake(
        statement("Action", json!(["s3:GetObjectTagging", "s3:GetObjectT*"])),
        edited(&["s3:GetObjectTagging", "s3:GetObjectT*"]),
    );
    assert!(check_least(catalog, &original, &redundant).is_err());
    let empty = fake(
        statement("Action", json!(["s3:GetObjectNoSuchThing"])),
        edited(&["s3:GetObjectNoSuchThing"]),
    );
    assert!(check_least(catalog, &original, &empty).is_err());
    // A Deny statement touched; a Sid lost.
    let mut denied = real.document.clone();
    denied["Statement"][1]["Action"] = json!("s3:Delete*");
    let denied = fake(denied, real.edits.clone());
    assert!(check_never_broadens(catalog, &original, &denied).is_err());
    let mut sidless = real.document.clone();
    sidless["Statement"][0]
        .as_object_mut()
        .unwrap()
        .shift_remove("Sid");
    let sidless = fake(sidless, real.edits.clone());
    assert!(check_never_broadens(catalog, &original, &sidless).is_err());

    // NotAction: an original entry dropped, and an unused action still
    // allowed.
    let original = parse_value(&statement("NotAction", json!(["iam:*", "s3:Get*"])));
    let mut unused = catalog.empty_set();
    unused.insert(id(catalog, "ec2:RunInstances"));
    let real = refine(&original, catalog, &unused);
    check_no_unused_allowed(catalog, &original, &real, &unused).unwrap();
    check_languages(&original, &real).unwrap();
    check_least(catalog, &original, &real).unwrap();
    let dropped = fake(
        statement("NotAction", json!(["iam:*", "ec2:RunInstances"])),
        edited(&["iam:*", "ec2:RunInstances"]),
    );
    assert!(check_languages(&original, &dropped).is_err());
    let lazy = fake(original.document.clone(), vec![None, None]);
    assert!(check_no_unused_allowed(catalog, &original, &lazy, &unused).is_err());
}

#[test]
fn generators_produce_changes_in_most_cases() {
    let strategy = case_spec();
    let mut runner = TestRunner::deterministic();
    let total = 200;
    let (mut changed, mut rewritten, mut removed, mut not_action, mut via_findings) =
        (0, 0, 0, 0, 0);
    let mut forms = std::collections::HashSet::new();
    for _ in 0..total {
        let spec = strategy.new_tree(&mut runner).expect("a case").current();
        for s in &spec.statements {
            forms.extend(s.entries.iter().map(|e| format!("{:?}", e.form)));
        }
        let case = build(&spec);
        if let Some(direct) = &case.direct {
            assert_eq!(
                direct, &case.unused,
                "the findings reader must give back the set it was written from"
            );
        }
        via_findings += usize::from(case.findings.is_some());
        let refined = case.refine();
        changed += usize::from(refined.changed());
        rewritten += usize::from(
            refined
                .edits
                .iter()
                .any(|e| matches!(e, Some(Edit::Entries(_)))),
        );
        removed += usize::from(refined.edits.contains(&Some(Edit::Remove)));
        not_action += usize::from(
            case.policy
                .statements
                .iter()
                .zip(&refined.edits)
                .any(|(s, e)| s.key == ActionKey::NotAction && e.is_some()),
        );
    }
    eprintln!(
        "of {total} cases: {changed} changed, {rewritten} with rewritten entries, {removed} with removals, \
         {not_action} with a NotAction edit, {via_findings} via findings"
    );
    assert!(
        changed * 100 >= total * 30,
        "only {changed} of {total} changed"
    );
    assert!(
        rewritten * 100 >= total * 20,
        "only {rewritten} of {total} rewrote entries"
    );
    assert!(removed >= 5 && not_action >= 5 && via_findings >= 5);
    assert_eq!(forms.len(), 11, "every entry form is generated: {forms:?}");
}

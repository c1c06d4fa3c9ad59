//! The generators: random policy and unused-set specs, and how a spec is
//! rendered and built into a case ready to refine.

use crate::checks::{bundled, meet, minus};
use iam_refine::engine::refine::{refine, Refined};
use iam_refine::input::findings::{self, Beyond, Usage};
use iam_refine::input::policy::{self, ActionKey, Policy};
use iam_refine::model::catalog::{ActionId, ActionSet, Catalog};
use iam_refine::model::pattern::Glob;
use iam_refine::model::words::word_ends;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::borrow::Cow;

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/// The shape of one generated entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
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
pub(crate) struct EntrySpec {
    pub(crate) form: Form,
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
pub(crate) struct StatementSpec {
    deny: bool,
    principal: bool,
    key: Key,
    base: u32,
    pub(crate) entries: Vec<EntrySpec>,
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
pub(crate) struct CaseSpec {
    pub(crate) statements: Vec<StatementSpec>,
    lone: bool,
    extras: Vec<u32>,
    all_unused: bool,
    /// Everything except what the statements drew is unused.
    invert: bool,
    route: Route,
}

pub(crate) fn form_for_action() -> impl Strategy<Value = Form> {
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

pub(crate) fn entry_spec(form: BoxedStrategy<Form>) -> impl Strategy<Value = EntrySpec> {
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

pub(crate) fn case_spec() -> impl Strategy<Value = CaseSpec> {
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
    catalog
        .ids()
        .nth(index as usize)
        .expect("an index below the catalog's size")
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
pub(crate) fn render_entry(catalog: &Catalog, base: u32, spec: &EntrySpec) -> String {
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
pub(crate) struct Case {
    /// The policy as written.
    pub(crate) text: String,
    pub(crate) policy: Policy,
    /// The catalog (extended when the findings named an unknown action).
    pub(crate) catalog: Cow<'static, Catalog>,
    pub(crate) unused: ActionSet,
    /// What is known beyond the catalog.
    pub(crate) beyond: Beyond,
    /// The findings text, when the unused set went through the reader.
    pub(crate) findings: Option<String>,
    /// For the Findings route without unknown actions: the set built
    /// directly, which the reader must reproduce.
    pub(crate) direct: Option<ActionSet>,
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
            json!({"AWS": ["arn:aws:iam::123456789012:root", "arn:aws:iam::210987654321:root"], "Service": "lambda.amazonaws.com"}),
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
            json!({
                "StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalTag/team": ["a", "b"]},
                "NumericLessThan": {"s3:max-keys": 100}
            }),
        );
    }
    Value::Object(map)
}

pub(crate) fn build(spec: &CaseSpec) -> Case {
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
        let base = catalog
            .ids()
            .nth(s.base as usize % catalog.len())
            .expect("in the catalog");
        let pool = match parsed.key {
            ActionKey::Action => parsed.allowed_actions(catalog),
            // A NotAction statement allows nearly everything: draw from the
            // service of its base action instead.
            ActionKey::NotAction => {
                catalog.matching(&Glob::new(&format!("{}:*", catalog.service_of(base))))
            }
        };
        let u = &s.unused;
        for id in pool.iter() {
            if u.density >= 100 || mix(u.seed ^ id.index() as u64) % 100 < u64::from(u.density) {
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
        unused.insert(
            catalog
                .ids()
                .nth(extra as usize % catalog.len())
                .expect("in the catalog"),
        );
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
            beyond: Beyond {
                everything: spec.all_unused,
                ..Beyond::default()
            },
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
            let base = catalog
                .ids()
                .nth(spec.statements[0].base as usize % catalog.len())
                .expect("in the catalog");
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
        beyond: resolved.beyond,
        findings: Some(findings_text),
        direct,
    }
}

fn text_of_list(list: &[String]) -> String {
    serde_json::to_string(list).expect("JSON serializes")
}

impl Case {
    pub(crate) fn refine(&self) -> Refined {
        refine(&self.policy, &self.usage())
    }

    /// What refinement and verification know about use, for this case.
    pub(crate) fn usage(&self) -> Usage<'_> {
        Usage {
            catalog: &self.catalog,
            unused: &self.unused,
            beyond: &self.beyond,
        }
    }

    /// The case, for failure messages: the policy, and the unused set listed
    /// when short, summarized per service when long.
    pub(crate) fn describe(&self) -> String {
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

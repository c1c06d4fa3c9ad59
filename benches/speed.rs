//! Speed of the core job, measured (not asserted): `cargo bench`.
//!
//! Targets from the README: loading the bundled catalog under 1 ms; the
//! seed example under 5 ms wall for the whole `refine` process, release
//! build; the self-check (`verify` of refine's own output) under 20 % of a
//! whole run, for the seed and for a policy of `"*"`. A plain harness (no extra dependency): each measurement is the
//! median of many runs, printed with its target.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iam_refine::engine::verify::verify;
use iam_refine::model::catalog::Catalog;
use iam_refine::{engine::refine, input::findings, input::policy};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The median duration of `runs` calls of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn report(what: &str, took: Duration, target: Duration) {
    let verdict = if took <= target { "ok" } else { "MISSED" };
    println!(
        "{what:<40} {:>9.3} ms   target {:>6.3} ms   {verdict}",
        took.as_secs_f64() * 1e3,
        target.as_secs_f64() * 1e3
    );
}

fn main() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed-example");
    let policy_text = std::fs::read_to_string(seed.join("policy.json")).unwrap();
    let findings_text = std::fs::read_to_string(seed.join("findings.json")).unwrap();

    let load = median(200, || {
        std::hint::black_box(Catalog::bundled());
    });
    report("catalog load (in process)", load, Duration::from_millis(1));

    let catalog = Catalog::bundled();
    let job = median(500, || {
        let policy = policy::parse(&policy_text).unwrap();
        let resolved = findings::parse(&findings_text).unwrap().resolve(&catalog);
        let refined = refine::refine(&policy, &resolved.usage());
        std::hint::black_box(policy::to_pretty(&refined.document));
    });
    report(
        "seed refinement, catalog loaded",
        job,
        Duration::from_millis(1),
    );

    let binary = env!("CARGO_BIN_EXE_refine");
    let star = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    let mut runs = Vec::new();
    for (what, policy_text) in [("seed", policy_text.as_str()), ("\"*\"", star)] {
        let policy = policy::parse(policy_text).unwrap();
        let resolved = findings::parse(&findings_text).unwrap().resolve(&catalog);
        let refined = refine::refine(&policy, &resolved.usage());
        let refined_policy = policy::from_value(refined.document.clone()).unwrap();
        let usage = resolved.usage();
        let check = median(200, || {
            assert!(verify(&policy, &refined_policy, Some(&usage)).is_empty());
        });
        runs.push((what, check));
    }
    let process = median(100, || {
        let status = Command::new(binary)
            .arg(seed.join("policy.json"))
            .arg(seed.join("findings.json"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    });
    report(
        "seed example, whole process",
        process,
        Duration::from_millis(5),
    );
    for (what, check) in runs {
        let what = format!("self-check of {what} (target: 20 % of a run)");
        report(&what, check, process / 5);
    }
}

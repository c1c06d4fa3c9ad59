//! What each policy of a run is refined against: one source of use for
//! every policy (a findings file, `--used`, `--cloudtrail`,
//! `--last-accessed`), or, for a repository of many principals' policies,
//! each policy's owners' findings.
//!
//! Owners come from the policy file itself (get-role-policy output),
//! `--owners` and `--details`, every one that speaks ([`Resolver`]); a
//! policy whose owners or their use are unknown is left as written and
//! reported as not checked. The manifest is checked against the files it
//! names before the run ([`ManifestFiles`]).

use super::diag;
use super::io::{self, describe, read_input, Input};
use super::manifest::ManifestFiles;
use super::plan::OwnerFiles;
use anyhow::{anyhow, bail, Result};
use iam_refine::engine::deployed::Deployed;
use iam_refine::engine::owners::OwnerIndex;
use iam_refine::engine::resolve::{NotChecked, Owners, Resolution, Resolver};
use iam_refine::error::{escape, quote};
use iam_refine::hosts::template::StackContext;
use iam_refine::hosts::Embedded;
use iam_refine::input::findings::{abbreviate, Beyond, ByPrincipal, Resolved};
use iam_refine::input::tf_state::TfState;
use iam_refine::model::catalog::{ActionSet, Catalog};
use iam_refine::output::report::FileReport;
use std::path::Path;

/// What the policies of a run are refined against.
// One per run, never moved in a loop: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub(super) enum Basis {
    /// One source of use for every policy.
    One(Resolved),
    /// Each policy against its owners' findings.
    Owners(OwnerRun),
}

/// What to do with one policy.
pub(super) enum Decision {
    /// Refine it: these actions are unused by all its owners.
    Refine {
        unused: ActionSet,
        beyond: Beyond,
        /// Its owners, when known by ARN.
        owners: Option<Owners>,
    },
    /// Leave it as written, for this reason.
    Leave {
        why: NotChecked,
        owners: Option<Owners>,
    },
}

impl Basis {
    /// The catalog the unused sets are over.
    pub(super) fn catalog(&self) -> &Catalog {
        match self {
            Basis::One(resolved) => &resolved.catalog,
            Basis::Owners(run) => run.resolver.index.catalog(),
        }
    }

    /// The findings' date, when after the catalog's.
    pub(super) fn newer_than_catalog(&self) -> Option<&str> {
        match self {
            Basis::One(resolved) => resolved.newer_than_catalog.as_deref(),
            Basis::Owners(run) => run.resolver.index.newer_than_catalog.as_deref(),
        }
    }

    /// What to do with `embedded`, the policy of `input`, read from `path`
    /// (as given or walked to: its name may not be UTF-8).
    pub(super) fn decide(
        &mut self,
        path: &Path,
        input: &Input,
        embedded: &Embedded,
    ) -> Result<Decision> {
        match self {
            Basis::One(resolved) => {
                resolved
                    .refuse_other_owner(embedded.named())
                    .map_err(|err| anyhow!(describe(input, &err)))?;
                Ok(Decision::Refine {
                    unused: resolved.unused.clone(),
                    beyond: resolved.beyond.clone(),
                    owners: None,
                })
            }
            Basis::Owners(run) => run.decide(path, input, embedded),
        }
    }

    /// For a policy left as written: what the findings are about, when no
    /// owner source was given (a few principals' findings, one policy).
    pub(super) fn context(&self) -> String {
        match self {
            Basis::Owners(run) if !run.sources => {
                let names: Vec<String> = run
                    .resolver
                    .index
                    .principals_sorted()
                    .iter()
                    .map(|arn| escape(arn))
                    .collect();
                format!(
                    " (the findings are about {} principals: {}; nothing says which owns it)",
                    names.len(),
                    abbreviate(&names)
                )
            }
            _ => String::new(),
        }
    }

    /// The principals that several templates' name patterns took for
    /// theirs, with those claimants (see `Resolver::conflicts`).
    pub(super) fn conflicts(&self) -> Vec<(String, Vec<String>)> {
        match self {
            Basis::Owners(run) => run.resolver.conflicts(),
            Basis::One(_) => Vec::new(),
        }
    }

    /// The Terraform state the run was given.
    pub(super) fn tf_state(&self) -> Option<&TfState> {
        match self {
            Basis::Owners(run) => run.tf_state.as_ref(),
            Basis::One(_) => None,
        }
    }

    /// What the run says about CloudFormation stacks (nothing, with one
    /// source of use for every policy).
    pub(super) fn stack(&self) -> &StackContext {
        static NOTHING: StackContext = StackContext {
            resources: Vec::new(),
            stack_name: None,
            region: None,
        };
        match self {
            Basis::Owners(run) => &run.stack,
            Basis::One(_) => &NOTHING,
        }
    }

    /// The closing summary, for a run of many principals.
    pub(super) fn summary(&self, reports: &[FileReport], in_place: bool) {
        if let Basis::Owners(run) = self {
            run.summary(reports, in_place);
        }
    }
}

/// A run where each policy is refined against its owners' findings.
pub(super) struct OwnerRun {
    resolver: Resolver,
    /// What the run says about CloudFormation stacks.
    stack: StackContext,
    /// `--tf-state`, read.
    tf_state: Option<TfState>,
    /// The manifest and the files it reaches, when there is one.
    manifest: Option<ManifestFiles>,
    /// Whether `--owners` or `--details` was given: without them only
    /// files that name their own owner can be refined.
    sources: bool,
}

impl OwnerRun {
    /// Reads the owner sources (checking the manifest against the files it
    /// names) and resolves every principal's findings.
    pub(super) fn new(
        all: ByPrincipal,
        files: &OwnerFiles,
        catalog: &Catalog,
        catalog_current: bool,
    ) -> Result<OwnerRun> {
        if let Some(file) = all.anonymous_file() {
            bail!(
                "{}: findings without a `resource`: refining each policy against its owners' findings needs findings that name their principal\nhint: use `aws accessanalyzer get-finding-v2` output",
                escape(file)
            );
        }
        let manifest = files
            .manifest
            .as_deref()
            .map(ManifestFiles::load)
            .transpose()?;
        let deployed = files.details.as_deref().map(read_details).transpose()?;
        let index = OwnerIndex::new(&all, catalog, catalog_current);
        for warning in &index.warnings {
            diag::warning(&format!("findings: {warning}"));
        }
        let keys = manifest.as_ref().map(|files| files.manifest.clone());
        let mut stack = StackContext {
            resources: Vec::new(),
            stack_name: files.stack_name.clone(),
            region: files.region.clone(),
        };
        for file in &files.stacks {
            let input = read_input(file, io::DATA)?;
            let resources = iam_refine::input::stack::parse(&input.text)
                .map_err(|err| anyhow!(describe(&input, &err)))?;
            stack.resources.extend(resources);
        }
        if let Some(name) = &stack.stack_name {
            if !stack.resources.is_empty() && !stack.resources.iter().any(|r| &r.stack == name) {
                diag::warning(&format!(
                    "--stack-name {}: no --stack-resources file is that stack's; its generated names are matched by pattern",
                    escape(name)
                ));
            }
        }
        let tf_state = match &files.tf_state {
            Some(file) => {
                let input = read_input(file, io::DATA)?;
                let state = iam_refine::input::tf_state::read(&input.text)
                    .map_err(|err| anyhow!(describe(&input, &err)))?;
                Some(state)
            }
            None => None,
        };
        Ok(OwnerRun {
            stack,
            tf_state,
            resolver: Resolver::new(index, keys, deployed),
            manifest,
            sources: files.any(),
        })
    }

    fn decide(&mut self, path: &Path, input: &Input, embedded: &Embedded) -> Result<Decision> {
        let paths = match &self.manifest {
            Some(files) => files.paths_of(path),
            None => Vec::new(),
        };
        let stem = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        self.resolver.at_file(&input.name);
        let resolution = self
            .resolver
            .resolve(embedded, &paths, &stem)
            .map_err(|ambiguous| {
                let manifest = self.manifest.as_ref().map_or("", |m| m.name.as_str());
                anyhow!(
                    "{manifest}: keys {} and {} both match {}, with different owners\nhint: make the keys name each file once, or give them the same owners",
                    quote(&ambiguous.keys.0),
                    quote(&ambiguous.keys.1),
                    input.name
                )
            })?;
        Ok(match resolution {
            Resolution::Checked {
                owners,
                unused,
                beyond,
            } => Decision::Refine {
                unused,
                beyond,
                owners: Some(owners),
            },
            Resolution::NotChecked { why, owners } => Decision::Leave { why, owners },
        })
    }

    fn summary(&self, reports: &[FileReport], in_place: bool) {
        let mut not_checked: Vec<(&str, usize)> = Vec::new();
        let (mut refined, mut unchanged) = (0, 0);
        for report in reports {
            match &report.not_checked {
                Some(why) => match not_checked.iter_mut().find(|(k, _)| *k == why.kind()) {
                    Some((_, n)) => *n += 1,
                    None => not_checked.push((why.kind(), 1)),
                },
                None if !report.entries.is_empty() || report.grants_nothing => refined += 1,
                None => unchanged += 1,
            }
        }
        let skipped: usize = not_checked.iter().map(|(_, n)| n).sum();
        let kinds: Vec<String> = not_checked
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        let kinds = match kinds.is_empty() {
            true => String::new(),
            false => format!(" ({})", kinds.join(", ")),
        };
        diag::note(&format!(
            "{} polic{}: {refined} {}, {unchanged} unchanged, {skipped} not checked{kinds}",
            reports.len(),
            if reports.len() == 1 { "y" } else { "ies" },
            if in_place { "refined" } else { "to refine" },
        ));
        let nameless = reports
            .iter()
            .any(|r| r.not_checked == Some(NotChecked::OwnerUnknown));
        if nameless && !self.sources {
            diag::note("without --owners or --details, only policy files that name their role or user (get-role-policy output) have known owners\nhint: give --owners FILE or --details FILE");
        }
        let idle = self.resolver.idle_principals();
        if !idle.is_empty() {
            let names: Vec<String> = idle.iter().map(|arn| escape(arn)).collect();
            diag::warning(&format!(
                "findings for {} principal{} that no policy here belongs to: {}",
                idle.len(),
                if idle.len() == 1 { "" } else { "s" },
                abbreviate(&names)
            ));
        }
    }
}

/// Reads `--details`: the deployed policies and who holds them.
fn read_details(path: &Path) -> Result<Deployed> {
    let input = read_input(path, io::ACCOUNT)?;
    let details = iam_refine::input::account::parse(&input.text)
        .map_err(|err| anyhow!(describe(&input, &err)))?;
    Deployed::new(&details).map_err(|err| anyhow!(describe(&input, &err)))
}

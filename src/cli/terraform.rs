//! Terraform configurations: read whole (so that references between files
//! and modules can be followed), then each `.tf` file refined as a host of
//! its own by the template job ([`super::template::refine_template`]).

use super::basis::Basis;
use super::diag;
use super::io::{self, read_input, Input};
use super::plan::Plan;
use super::refine::Done;
use anyhow::{anyhow, Result};
use iam_refine::hosts::terraform::{is_terraform, normal, ConfigFile, Configuration, Source};
use iam_refine::hosts::Host;
use std::path::{Path, PathBuf};

/// A configuration read, with each file's input for messages.
pub(super) struct Loaded {
    inputs: Vec<(PathBuf, Input)>,
    configuration: Configuration,
}

/// Reads the `.tf` files `paths` as one configuration; notes about it are
/// printed. An error names the file and place.
pub(super) fn load(paths: &[PathBuf], basis: &Basis) -> Result<Loaded> {
    let mut inputs = Vec::new();
    for path in paths {
        inputs.push((path.clone(), read_input(path, io::TERRAFORM)?));
    }
    let sources: Vec<Source> = inputs
        .iter()
        .map(|(path, input)| Source {
            path: path.clone(),
            name: input.name.clone(),
            text: input.text.clone(),
        })
        .collect();
    let read_file = |path: &Path| -> Result<(String, String), String> {
        let input = read_input(path, io::POLICY).map_err(|err| err.to_string())?;
        Ok((input.name, input.text))
    };
    let configuration =
        Configuration::read(&sources, basis.tf_state(), &read_file).map_err(|err| {
            let input = Input::new(err.name.clone(), String::new());
            anyhow!(io::describe(&input, &err.error))
        })?;
    for note in &configuration.notes {
        diag::note(note);
    }
    Ok(Loaded {
        inputs,
        configuration,
    })
}

/// The `.tf` files of `dir` (not its subdirectories), sorted: the module a
/// `.tf` file given alone belongs to.
pub(super) fn module_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let dir = match dir.as_os_str().is_empty() {
        true => Path::new("."),
        false => dir,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|err| anyhow!("{}: cannot read: {err}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| is_terraform(path) && path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

impl Loaded {
    /// The host of the file at `path` (a `.tf` file or a policy file one
    /// reads), if the configuration has it.
    pub(super) fn host(&self, path: &Path) -> Option<&ConfigFile> {
        let path = normal(path);
        self.configuration
            .files
            .iter()
            .find(|file| normal(&file.path) == path)
    }

    /// The policy files the configuration reads (not `.tf` files).
    pub(super) fn policy_files(&self) -> impl Iterator<Item = &Path> {
        self.configuration
            .files
            .iter()
            .filter(|file| !is_terraform(&file.path))
            .map(|file| file.path.as_path())
    }

    /// Refines the policies of the file at `path`.
    pub(super) fn refine(&self, path: &Path, basis: &mut Basis, plan: &Plan) -> Result<Done> {
        let file = self
            .host(path)
            .ok_or_else(|| anyhow!("{}: not read as part of the configuration", path.display()))?;
        let made;
        let input = match self.inputs.iter().find(|(p, _)| normal(p) == normal(path)) {
            Some((_, input)) => input,
            None => {
                made = Input::new(file.name.clone(), file.host.text().to_string());
                &made
            }
        };
        super::template::refine_template(path, input, &file.host, basis, plan)
    }
}

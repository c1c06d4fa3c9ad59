//! `--owners FILE`: the manifest, read and held against the files it names
//! before any policy is refined.
//!
//! Its keys are paths relative to its directory. Before the run, the
//! directories its keys can reach (each key's literal leading directories)
//! are walked once, hidden files too but not `.git`: a key that matches no
//! file there, and a file that two keys give different owners, are errors
//! then, so a manifest that does not say what it seems to stops the run
//! before anything is printed or written. The walk also records every path
//! that reaches each file: a symbolic link in the tree is another name of
//! the file it points to, and the owners the manifest gives any of those
//! names own the file.

use super::io::{self, describe, read_input, Input};
use anyhow::{anyhow, Result};
use iam_refine::error::{quote, InputError, JsonPath};
use iam_refine::input::owners::Manifest;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The manifest, and the files its keys reach.
pub(super) struct ManifestFiles {
    pub(super) manifest: Manifest,
    /// The manifest's name, for messages.
    pub(super) name: String,
    /// Its directory, canonical.
    dir: PathBuf,
    /// Each file the walk met (canonical) and the paths that reach it,
    /// relative to `dir`.
    reached_by: HashMap<PathBuf, Vec<String>>,
}

impl ManifestFiles {
    /// Reads the manifest at `path` and checks it against the files.
    pub(super) fn load(path: &Path) -> Result<ManifestFiles> {
        let input = read_input(path, io::DATA)?;
        let manifest =
            Manifest::parse(&input.text).map_err(|err| anyhow!(describe(&input, &err)))?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let dir = std::fs::canonicalize(dir)
            .map_err(|err| anyhow!("{}: cannot read its directory: {err}", input.name))?;
        let mut files = ManifestFiles {
            manifest,
            name: input.name.clone(),
            dir,
            reached_by: HashMap::new(),
        };
        files.walk();
        // The manifest is no file its keys are about.
        if let Ok(own) = std::fs::canonicalize(path) {
            files.reached_by.remove(&own);
        }
        files.check(&input)?;
        Ok(files)
    }

    /// Walks the directories the keys reach, recording each file's paths.
    fn walk(&mut self) {
        let mut roots: Vec<PathBuf> = (0..self.manifest.len())
            .map(|i| lexical_join(&self.dir, literal_dirs(self.manifest.key(i))))
            .collect();
        roots.sort();
        roots.dedup();
        let mut walked: Vec<PathBuf> = Vec::new();
        for root in roots {
            if walked.iter().any(|w| root.starts_with(w)) {
                continue;
            }
            // Links to directories are followed: a file reached through one
            // has that path too (a loop is an error entry, passed over).
            let entries = walkdir::WalkDir::new(&root)
                .follow_links(true)
                .into_iter()
                .filter_entry(|e| e.file_name() != ".git")
                .filter_map(Result::ok);
            for entry in entries {
                if !entry.file_type().is_file() {
                    continue;
                }
                let (Ok(target), Some(relative)) = (
                    std::fs::canonicalize(entry.path()),
                    relative_to(&self.dir, entry.path()),
                ) else {
                    continue;
                };
                self.reached_by.entry(target).or_default().push(relative);
            }
            walked.push(root);
        }
        for paths in self.reached_by.values_mut() {
            paths.sort();
            paths.dedup();
        }
    }

    /// Refuses a file two keys give different owners, and a key that
    /// matches no file.
    fn check(&self, input: &Input) -> Result<()> {
        let at_key = |index: usize, message: String, hint: &str| {
            let key = JsonPath::root().key(self.manifest.key(index));
            anyhow!(describe(
                input,
                &InputError::at(&key, message).with_hint(hint)
            ))
        };
        let mut matched = vec![false; self.manifest.len()];
        let mut all: Vec<&String> = self.reached_by.values().flatten().collect();
        all.sort();
        for path in all {
            if let Err(ambiguous) = self.manifest.owners_of(path) {
                let second = (0..self.manifest.len())
                    .rfind(|&i| self.manifest.key(i) == ambiguous.keys.1)
                    .unwrap_or(0);
                return Err(at_key(
                    second,
                    format!(
                        "this key and {} both match {}, with different owners",
                        quote(&ambiguous.keys.0),
                        quote(path)
                    ),
                    "make the keys name each file once, or give them the same owners",
                ));
            }
            self.manifest.mark(path, &mut matched);
        }
        let unmatched: Vec<usize> = (0..matched.len()).filter(|&i| !matched[i]).collect();
        let Some(&first) = unmatched.first() else {
            return Ok(());
        };
        let more = match unmatched.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        Err(at_key(
            first,
            format!("matches no file{more}"),
            &format!(
                "keys are paths relative to the manifest's directory ({}); fix or remove the key",
                self.dir.display()
            ),
        ))
    }

    /// Every path, relative to the manifest's directory, that reaches the
    /// file at `file`: the one it was reached by (through any links on
    /// the way), its own, and those of symbolic links to it.
    pub(super) fn paths_of(&self, file: &Path) -> Vec<String> {
        let Ok(canonical) = std::fs::canonicalize(file) else {
            return Vec::new();
        };
        let mut paths = self.reached_by.get(&canonical).cloned().unwrap_or_default();
        let reached = as_reached(file);
        for path in [Some(canonical.as_path()), reached.as_deref()]
            .into_iter()
            .flatten()
        {
            if let Some(own) = relative_to(&self.dir, path) {
                if !paths.contains(&own) {
                    paths.push(own);
                }
            }
        }
        paths
    }
}

/// `file` as an absolute path without resolving its links: relative to
/// the current directory (canonical, as the manifest's directory is) when
/// it is relative, `.` and `..` taken lexically.
fn as_reached(file: &Path) -> Option<PathBuf> {
    let base = match file.is_absolute() {
        true => PathBuf::new(),
        false => std::env::current_dir()
            .and_then(std::fs::canonicalize)
            .ok()?,
    };
    let mut path = base;
    for component in file.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                path.pop();
            }
            other => path.push(other.as_os_str()),
        }
    }
    Some(path)
}

/// The directories a key names literally before its first pattern
/// segment (and before its file name): where its files can be.
fn literal_dirs(key: &str) -> &str {
    let (mut start, mut end) = (0, 0);
    for (at, _) in key.match_indices('/') {
        if key[start..at].contains(['*', '?', '[', '{', '\\']) {
            break;
        }
        end = at;
        start = at + 1;
    }
    &key[..end]
}

/// `base` joined with the `/`-separated `relative` (which may start with
/// `..`), without touching the file system.
fn lexical_join(base: &Path, relative: &str) -> PathBuf {
    let mut path = base.to_path_buf();
    for segment in relative.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if segment == ".." {
            path.pop();
        } else {
            path.push(segment);
        }
    }
    path
}

/// `path` relative to `dir` (both absolute), `/`-separated, with `..` where
/// it lies outside; `None` when they share no root.
fn relative_to(dir: &Path, path: &Path) -> Option<String> {
    let dir: Vec<Component> = dir.components().collect();
    let path: Vec<Component> = path.components().collect();
    let common = dir.iter().zip(&path).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return None;
    }
    let up = std::iter::repeat_n("..".to_string(), dir.len() - common);
    let down = path[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    Some(up.chain(down).collect::<Vec<_>>().join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_reach_their_literal_directories() {
        assert_eq!(literal_dirs("policies/app/*.json"), "policies/app");
        assert_eq!(literal_dirs("policies/app/x.json"), "policies/app");
        assert_eq!(literal_dirs("policies/**/x.json"), "policies");
        assert_eq!(literal_dirs("../elsewhere/{a,b}/x.json"), "../elsewhere");
        assert_eq!(literal_dirs("x.json"), "");
        assert_eq!(
            lexical_join(Path::new("/r/cfg"), "../policies/app"),
            PathBuf::from("/r/policies/app")
        );
    }

    #[test]
    fn paths_are_relative_with_dot_dot_outside() {
        let rel = |d: &str, p: &str| relative_to(Path::new(d), Path::new(p));
        assert_eq!(
            rel("/r", "/r/policies/a.json").as_deref(),
            Some("policies/a.json")
        );
        assert_eq!(
            rel("/r/cfg", "/r/policies/a.json").as_deref(),
            Some("../policies/a.json")
        );
    }
}

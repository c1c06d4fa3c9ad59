//! Findings kept small: the unused actions a catalog knows, as its ids.
//!
//! An account's findings name millions of actions; as [`Unused::Action`]
//! each is two strings and a date, several times its JSON text, and all
//! of them are held until the account's principals are built. Compacted
//! right after each file is read, each is an id and a date. What the
//! catalog does not know stays a name, so that resolving over a catalog
//! extended by it (which renumbers) still finds it; ids are read back as
//! names when met with a catalog that numbers actions otherwise.

use super::{Findings, Unused};
use crate::model::catalog::Catalog;

impl Findings {
    /// Replaces every unused action `catalog` knows, and that carries no
    /// last-accessed date, by its id (a dated one stays a name, for
    /// `--unused-for`). Findings compacted over another catalog are left
    /// as they are.
    pub fn compact(&mut self, catalog: &Catalog) {
        if self.known_in.as_ref().is_some_and(|c| !c.same_ids(catalog)) {
            return;
        }
        let mut names = Vec::new();
        for unused in std::mem::take(&mut self.unused) {
            match &unused {
                Unused::Action {
                    service,
                    name,
                    last_accessed: None,
                } => match catalog.find(service, name) {
                    Some(id) => self.known.push(id),
                    None => names.push(unused),
                },
                _ => names.push(unused),
            }
        }
        names.shrink_to_fit();
        self.unused = names;
        if !self.known.is_empty() && self.known_in.is_none() {
            self.known_in = Some(catalog.clone());
        }
    }

    /// The compacted actions as names, for a catalog that does not number
    /// actions as the one they were compacted over (none when it does).
    pub(super) fn known_names(&self, catalog: &Catalog) -> Vec<Unused> {
        match &self.known_in {
            Some(known_in) if !known_in.same_ids(catalog) => self.known_as_names(),
            _ => Vec::new(),
        }
    }

    /// Every compacted action as a name.
    fn known_as_names(&self) -> Vec<Unused> {
        let Some(known_in) = &self.known_in else {
            return Vec::new();
        };
        self.known
            .iter()
            .map(|&id| Unused::Action {
                service: known_in.service_of(id).to_string(),
                name: known_in.name(id).to_string(),
                last_accessed: None,
            })
            .collect()
    }

    /// Moves `other`'s compacted actions into these findings: as ids when
    /// both are of one catalog, else as names.
    pub(super) fn take_known(&mut self, other: &mut Findings) {
        if other.known.is_empty() {
            return;
        }
        let Some(theirs) = other.known_in.take() else {
            return;
        };
        let shared = match &self.known_in {
            None => self.known.is_empty(),
            Some(mine) => mine.same_ids(&theirs),
        };
        if shared {
            self.known_in.get_or_insert(theirs);
            self.known.append(&mut other.known);
        } else {
            other.known_in = Some(theirs);
            self.unused.extend(other.known_as_names());
            other.known.clear();
            other.known_in = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    const FINDINGS: &str = r#"[
        {"serviceNamespace": "s3", "actions": ["GetObject", "s3:PutObject", "GetBrandNew",
            {"action": "ListBucket", "lastAccessed": "2024-01-01T00:00:00Z"}]},
        {"serviceNamespace": "sqs"},
        "ec2:Describe*"
    ]"#;

    /// Compacted findings resolve as they did before, over their catalog
    /// and over one extended by what they name that it lacks (which
    /// numbers actions otherwise); a dated action keeps its name.
    #[test]
    fn compacted_findings_resolve_as_before() {
        let catalog = Catalog::bundled();
        let plain = parse(FINDINGS).unwrap();
        let mut compacted = plain.clone();
        compacted.compact(&catalog);
        assert_eq!(compacted.known.len(), 2, "GetObject and PutObject");
        assert_eq!(compacted.unused.len(), plain.unused.len() - 2);
        let (a, b) = (plain.resolve(&catalog), compacted.resolve(&catalog));
        assert_eq!((&a.unused, &a.warnings), (&b.unused, &b.warnings));
        assert!(!a.catalog.same_ids(&catalog), "GetBrandNew extends it");
        assert_eq!(
            plain.missing_actions(&catalog),
            compacted.missing_actions(&catalog)
        );
        let mut since = compacted.clone();
        assert_eq!(since.used_since(0), 1, "the dated ListBucket");
    }

    /// Merging keeps ids of one catalog as ids, and turns ids of another
    /// back into names.
    #[test]
    fn merging_across_catalogs_falls_back_to_names() {
        let catalog = Catalog::bundled();
        let other = catalog.with_actions(&[("s3".into(), "GetBrandNew".into())]);
        let mut mine = parse(r#"["s3:GetObject"]"#).unwrap();
        mine.compact(&catalog);
        let mut same = parse(r#"["s3:PutObject"]"#).unwrap();
        same.compact(&catalog);
        let mut theirs = parse(r#"["s3:DeleteObject"]"#).unwrap();
        theirs.compact(&other);
        mine.merge(same);
        assert_eq!(mine.known.len(), 2);
        mine.merge(theirs);
        assert_eq!(mine.known.len(), 2);
        assert!(
            matches!(&mine.unused[..], [Unused::Action { name, .. }] if name == "DeleteObject")
        );
        let (set, _) = mine.unused_in(&catalog);
        let names: Vec<String> = set.iter().map(|id| catalog.full_name(id)).collect();
        assert_eq!(names, ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]);
        let (over_other, _) = mine.unused_in(&other);
        assert_eq!(over_other.len(), 3);
    }
}

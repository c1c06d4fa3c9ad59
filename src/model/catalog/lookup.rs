//! Finding actions in a catalog: by name (the hash index once it pays),
//! by service, by name prefix (two binary searches: the sorted order is
//! the prefix trie), and by glob.

use super::{
    cmp_ignore_case, starts_with_ignore_case, ActionId, ActionRecord, ActionSet, AtomicOrdering,
    Catalog, NameIndex, INDEX_AFTER,
};
use crate::model::pattern::Glob;
use std::cmp::Ordering;
use std::ops::Range;

impl Catalog {
    /// The range of ids of the named service (case-insensitive), if known.
    pub fn service(&self, name: &str) -> Option<Range<u32>> {
        let at = match self.index() {
            Some(index) => index.service(self, name)?,
            None => self
                .services
                .binary_search_by(|service| cmp_ignore_case(&service.name, name))
                .ok()?,
        };
        Some(self.services[at].actions.clone())
    }

    /// The id of `service:name`, compared ignoring case.
    pub fn find(&self, service: &str, name: &str) -> Option<ActionId> {
        match self.index() {
            Some(index) => index.action(self, service, name).map(ActionId),
            None => self.search(service, name),
        }
    }

    /// [`Catalog::find`] by binary search, without the index.
    pub(super) fn search(&self, service: &str, name: &str) -> Option<ActionId> {
        let range = self.service(service)?;
        let records = &self.actions[range.start as usize..range.end as usize];
        let at = records
            .binary_search_by(|r| {
                cmp_ignore_case(
                    &self.names[r.start as usize..(r.start + r.len) as usize],
                    name,
                )
            })
            .ok()?;
        Some(ActionId(range.start + at as u32))
    }

    /// The name index, once this catalog has answered enough lookups to
    /// pay for building it (a small policy refined in its own process
    /// makes a few dozen; building costs about as much as a thousand).
    fn index(&self) -> Option<&NameIndex> {
        if let Some(index) = self.index.get() {
            return Some(index);
        }
        if self.lookups.fetch_add(1, AtomicOrdering::Relaxed) < INDEX_AFTER {
            return None;
        }
        Some(self.index.get_or_init(|| NameIndex::build(self)))
    }

    /// Whether action `id` is `service:name`, ignoring case.
    pub(super) fn is_named(&self, id: u32, service: &str, name: &str) -> bool {
        let id = ActionId(id);
        self.name(id).eq_ignore_ascii_case(name)
            && self.service_of(id).eq_ignore_ascii_case(service)
    }

    /// The ids of the actions of `service` whose names start with `prefix`,
    /// ignoring case; `None` when the service is unknown.
    pub fn prefix_range(&self, service: &str, prefix: &str) -> Option<Range<u32>> {
        let range = self.service(service)?;
        Some(self.prefix_range_within(range, prefix))
    }

    /// The ids in `range` (a range of one service's ids, or of one
    /// prefix's within it) whose names start with `prefix`, ignoring case:
    /// [`Catalog::prefix_range`] when the caller knows a range that holds
    /// them all.
    pub fn prefix_range_within(&self, range: Range<u32>, prefix: &str) -> Range<u32> {
        let records = &self.actions[range.start as usize..range.end as usize];
        let name = |record: &ActionRecord| {
            &self.names[record.start as usize..(record.start + record.len) as usize]
        };
        let lo = records.partition_point(|r| cmp_ignore_case(name(r), prefix) == Ordering::Less);
        let hi = lo + records[lo..].partition_point(|r| starts_with_ignore_case(name(r), prefix));
        range.start + lo as u32..range.start + hi as u32
    }

    /// Every action `glob` matches.
    ///
    /// Globs with a literal service prefix (nearly all) look only at that
    /// service, and a trailing-`*` glob is one binary search; anything else
    /// (`*Get*`, `s3*:List*`) is matched against every `service:Name`.
    pub fn matching(&self, glob: &Glob) -> ActionSet {
        let mut set = self.empty_set();
        self.add_matching(glob, &mut set);
        set
    }

    /// Adds every action `glob` matches to `set`: [`Catalog::matching`]
    /// without a set of its own, for unions over many entries. Returns
    /// whether `glob` matched some action ([`Catalog::matches_any`]), which
    /// the self-check needs of each entry it matches anyway.
    pub fn add_matching(&self, glob: &Glob, set: &mut ActionSet) -> bool {
        if glob.prefix_star() == Some("") {
            set.insert_range(0, self.len() as u32);
            return !self.is_empty();
        }
        match (glob.literal_service(), glob.name_part()) {
            (Some(service), Some(name)) => {
                if glob.is_literal() {
                    let id = self.find(service, name);
                    if let Some(id) = id {
                        set.insert(id);
                    }
                    id.is_some()
                } else if let Some(prefix) = glob.prefix_star() {
                    let name_prefix = &prefix[service.len() + 1..];
                    match self.prefix_range(service, name_prefix) {
                        Some(range) if !range.is_empty() => {
                            set.insert_range(range.start, range.end);
                            true
                        }
                        _ => false,
                    }
                } else if let Some(range) = self.service(service) {
                    self.insert_matches(glob, range, set)
                } else {
                    false
                }
            }
            _ => self.insert_matches(glob, 0..self.len() as u32, set),
        }
    }

    /// Whether `glob` matches some action: [`Catalog::matching`] not empty,
    /// decided without a set for the common shapes (an exact name is one
    /// lookup, `svc:Prefix*` one range).
    pub fn matches_any(&self, glob: &Glob) -> bool {
        match (glob.literal_service(), glob.name_part()) {
            (Some(service), Some(name)) if glob.is_literal() => self.find(service, name).is_some(),
            (Some(service), Some(_)) => match glob.prefix_star() {
                Some(prefix) => self
                    .prefix_range(service, &prefix[service.len() + 1..])
                    .is_some_and(|range| !range.is_empty()),
                None => !self.matching(glob).is_empty(),
            },
            _ => !self.matching(glob).is_empty(),
        }
    }

    /// Adds to `set` the actions in `range` that `glob` matches as
    /// `svc:Name`; whether there was one.
    fn insert_matches(&self, glob: &Glob, range: Range<u32>, set: &mut ActionSet) -> bool {
        let mut any = false;
        for id in (range.start..range.end).map(ActionId) {
            if glob.matches_parts(&[self.service_of(id), ":", self.name(id)]) {
                set.insert(id);
                any = true;
            }
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `matches_any`, and what `add_matching` returns, say what `matching`
    /// would, for every shape.
    #[test]
    fn matches_any_agrees_with_matching() {
        let catalog = Catalog::bundled();
        for text in [
            "s3:GetObject",
            "S3:getobject",
            "s3:GetNothing",
            "nosuch:Get",
            "s3:Get*",
            "s3:Zzz*",
            "s3:*",
            "s3:*Object",
            "s3:*Zzzq",
            "*",
            "*:Get*",
            "s3?:Get*",
            "s3:Get?bject",
        ] {
            let glob = Glob::new(text);
            let matched = catalog.matching(&glob);
            assert_eq!(catalog.matches_any(&glob), !matched.is_empty(), "{text}");
            let mut set = catalog.empty_set();
            assert_eq!(catalog.add_matching(&glob, &mut set), !matched.is_empty());
            assert_eq!(set, matched, "{text}");
        }
    }
}

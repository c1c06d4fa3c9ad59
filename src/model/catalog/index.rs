//! A hash index of the catalog's names, ignoring ASCII case.
//!
//! Exact lookups (`s3:GetObject`, the service `s3`) are most of what
//! findings and policies ask of the catalog: a corpus run makes millions.
//! Two binary searches with case-folding comparisons cost about 17 probes
//! scattered over the names text; this index costs one hash of the folded
//! name and, nearly always, one probe. The sorted order stays the ground
//! truth — prefix ranges and matching still walk it — and the index is
//! built from it once a catalog has answered a few hundred lookups by
//! binary search, once per catalog (clones share it), in well under a
//! millisecond: a small policy refined in its own process never needs it.
//!
//! The table is open addressing with linear probing over `u32` slots
//! (`0` empty, else id + 1), at most half full. The hash takes the name
//! eight bytes at a time with the case bit set: no input chooses what is
//! in the table, only what is looked up, so a keyed hash buys nothing.

use super::Catalog;

/// Slots for the actions and the services of one catalog.
#[derive(Debug)]
pub(super) struct NameIndex {
    actions: Table,
    services: Table,
}

/// One open-addressing table of ids + 1.
#[derive(Debug)]
struct Table {
    slots: Vec<u32>,
    mask: usize,
}

const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// Every byte with its 0x20 bit set: ASCII letters lowercased, so that
/// names equal ignoring ASCII case hash alike (other bytes may collide,
/// which the full comparison after the hash sorts out).
const FOLD: u64 = 0x2020_2020_2020_2020;

/// A hash of `bytes` folded, eight at a time, continuing from `hash`.
fn fold_hash(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut add = |word: u64| hash = (hash.rotate_left(5) ^ (word | FOLD)).wrapping_mul(SEED);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        add(u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    let mut word = [0; 8];
    word[..rest.len()].copy_from_slice(rest);
    add(u64::from_le_bytes(word) ^ rest.len() as u64);
    hash
}

/// The hash of `service:name`, folded.
fn action_hash(service: &str, name: &str) -> u64 {
    fold_hash(fold_hash(SEED, service.as_bytes()), name.as_bytes())
}

impl Table {
    /// An empty table for `len` keys, at most half full.
    fn with_capacity(len: usize) -> Table {
        let size = (len * 2).max(16).next_power_of_two();
        Table {
            slots: vec![0; size],
            mask: size - 1,
        }
    }

    /// The first id in `hash`'s probe sequence that `is` accepts.
    fn find(&self, hash: u64, is: impl Fn(u32) -> bool) -> Option<u32> {
        let mut at = hash as usize & self.mask;
        loop {
            match self.slots[at] {
                0 => return None,
                slot if is(slot - 1) => return Some(slot - 1),
                _ => at = (at + 1) & self.mask,
            }
        }
    }

    /// Adds `id` under `hash` unless `is` accepts an id already there: the
    /// first of names equal ignoring case is the one found.
    fn insert(&mut self, hash: u64, id: u32, is: impl Fn(u32) -> bool) {
        let mut at = hash as usize & self.mask;
        loop {
            match self.slots[at] {
                0 => {
                    self.slots[at] = id + 1;
                    return;
                }
                slot if is(slot - 1) => return,
                _ => at = (at + 1) & self.mask,
            }
        }
    }
}

impl NameIndex {
    /// The index of `catalog`'s names.
    pub(super) fn build(catalog: &Catalog) -> NameIndex {
        let mut services = Table::with_capacity(catalog.services.len());
        for (i, service) in catalog.services.iter().enumerate() {
            let hash = fold_hash(SEED, service.name.as_bytes());
            services.insert(hash, i as u32, |other| {
                catalog.services[other as usize]
                    .name
                    .eq_ignore_ascii_case(&service.name)
            });
        }
        let mut actions = Table::with_capacity(catalog.len());
        for id in catalog.ids() {
            let (service, name) = (catalog.service_of(id), catalog.name(id));
            actions.insert(action_hash(service, name), id.0, |other| {
                catalog.is_named(other, service, name)
            });
        }
        NameIndex { actions, services }
    }

    /// The position of the service named `name` (ignoring case) in the
    /// catalog's service list.
    pub(super) fn service(&self, catalog: &Catalog, name: &str) -> Option<usize> {
        let hash = fold_hash(SEED, name.as_bytes());
        self.services
            .find(hash, |i| {
                catalog.services[i as usize].name.eq_ignore_ascii_case(name)
            })
            .map(|i| i as usize)
    }

    /// The id of `service:name` (ignoring case).
    pub(super) fn action(&self, catalog: &Catalog, service: &str, name: &str) -> Option<u32> {
        self.actions.find(action_hash(service, name), |id| {
            catalog.is_named(id, service, name)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{cmp_ignore_case, ActionId, Catalog};

    /// A binary search over the sorted catalog: the lookup before the index.
    fn searched(catalog: &Catalog, service: &str, name: &str) -> Option<ActionId> {
        let range = catalog.service(service)?;
        catalog.actions[range.start as usize..range.end as usize]
            .binary_search_by(|r| {
                cmp_ignore_case(
                    &catalog.names[r.start as usize..(r.start + r.len) as usize],
                    name,
                )
            })
            .ok()
            .map(|at| ActionId(range.start + at as u32))
    }

    /// The index answers what a binary search over the sorted catalog
    /// answers, for every action in any case, and nothing for near misses.
    #[test]
    fn finds_what_the_sorted_order_finds() {
        let catalog = Catalog::bundled();
        // Past the lookups answered by binary search alone.
        for _ in 0..=super::super::INDEX_AFTER {
            assert!(catalog.find("s3", "GetObject").is_some());
        }
        assert!(catalog.index.get().is_some(), "the index is built");
        for id in catalog.ids() {
            let (service, name) = (catalog.service_of(id), catalog.name(id));
            assert_eq!(catalog.find(service, name), Some(id));
            assert_eq!(
                catalog.find(&service.to_ascii_uppercase(), &name.to_ascii_lowercase()),
                Some(id)
            );
            for probe in [
                name.to_string(),
                format!("{name}X"),
                name[..name.len() - 1].into(),
            ] {
                assert_eq!(
                    catalog.find(service, &probe),
                    searched(&catalog, service, &probe)
                );
            }
        }
        for service in catalog.service_names() {
            assert!(catalog.service(&service.to_ascii_uppercase()).is_some());
            assert_eq!(catalog.service(&format!("{service}-")), None);
        }
        assert_eq!(catalog.find("s3:Get", "Object"), None);
        assert_eq!(catalog.find("", ""), None);
    }

    /// A catalog extended for a run has its own index.
    #[test]
    fn an_extended_catalog_finds_its_added_actions() {
        let catalog = Catalog::bundled();
        assert_eq!(catalog.find("s3", "GetBrandNew"), None);
        let extended = catalog.with_actions(&[("s3".into(), "GetBrandNew".into())]);
        let id = extended.find("S3", "getbrandnew").unwrap();
        assert_eq!(extended.name(id), "GetBrandNew");
        assert_eq!(
            extended.find("s3", "GetObject").map(|id| extended.name(id)),
            Some("GetObject")
        );
    }
}

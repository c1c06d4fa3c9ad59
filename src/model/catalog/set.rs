//! Sets of catalog actions.
//!
//! Refinement is set algebra over catalog actions: what an entry matches,
//! minus what is unused, checked against what a prefix would match. A set
//! is a bitset over a window of the catalog's ids: most sets are what one
//! entry matches, a few actions of one service, and a window of a few words
//! makes them cost that (a bitset of the whole catalog, about 22,000
//! actions, is 2.8 KB to allocate, zero, scan and free). Sets that span the
//! catalog are whole bitsets, and union, difference and subset tests are a
//! few hundred word operations that never allocate per action.

use super::ActionId;

/// A set of [`ActionId`]s of one [`super::Catalog`], as a bitset over a
/// window of words: word `base + i` of the whole bitset is `words[i]`, and
/// every word outside the window is zero.
///
/// Sets from different catalogs must not be mixed: ids are indices.
#[derive(Debug, Clone, Default)]
pub struct ActionSet {
    base: usize,
    words: Vec<u64>,
}

impl PartialEq for ActionSet {
    /// Equal as sets, whatever the windows.
    fn eq(&self, other: &ActionSet) -> bool {
        self.is_subset(other) && other.is_subset(self)
    }
}

impl Eq for ActionSet {}

impl ActionSet {
    /// An empty set for a catalog of `len` actions (it grows as needed, so
    /// nothing is allocated yet).
    pub fn new(len: usize) -> ActionSet {
        let _ = len;
        ActionSet::default()
    }

    /// The set of all ids below `len`.
    pub fn full(len: usize) -> ActionSet {
        let mut set = ActionSet::new(len);
        set.insert_range(0, len as u32);
        set
    }

    /// Word `w` of the whole bitset.
    fn word(&self, w: usize) -> u64 {
        w.checked_sub(self.base)
            .and_then(|i| self.words.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Widens the window to hold words `lo..hi` (`lo < hi`).
    fn reach(&mut self, lo: usize, hi: usize) {
        if self.words.is_empty() {
            self.base = lo;
            self.words.resize(hi - lo, 0);
            return;
        }
        if lo < self.base {
            let more = self.base - lo;
            self.words.splice(0..0, std::iter::repeat_n(0, more));
            self.base = lo;
        }
        if hi > self.base + self.words.len() {
            self.words.resize(hi - self.base, 0);
        }
    }

    /// Adds one id.
    pub fn insert(&mut self, id: ActionId) {
        let i = id.0 as usize;
        self.reach(i / 64, i / 64 + 1);
        self.words[i / 64 - self.base] |= 1 << (i % 64);
    }

    /// Removes one id.
    pub fn remove(&mut self, id: ActionId) {
        let i = id.0 as usize;
        let at = (i / 64).checked_sub(self.base);
        if let Some(word) = at.and_then(|at| self.words.get_mut(at)) {
            *word &= !(1 << (i % 64));
        }
    }

    /// Adds every id in `start..end`, a word at a time.
    pub fn insert_range(&mut self, start: u32, end: u32) {
        if start >= end {
            return;
        }
        let (start, end) = (start as usize, end as usize);
        self.reach(start / 64, end.div_ceil(64));
        for w in start / 64..end.div_ceil(64) {
            self.words[w - self.base] |= range_mask(w, start, end);
        }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: ActionId) -> bool {
        let i = id.0 as usize;
        self.word(i / 64) & (1 << (i % 64)) != 0
    }

    /// Whether every id in `start..end` is in the set, a word at a time.
    pub fn contains_range(&self, start: u32, end: u32) -> bool {
        if start >= end {
            return true;
        }
        let (start, end) = (start as usize, end as usize);
        (start / 64..end.div_ceil(64)).all(|w| {
            let mask = range_mask(w, start, end);
            self.word(w) & mask == mask
        })
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&word| word == 0)
    }

    /// The number of ids in the set.
    pub fn len(&self) -> usize {
        self.words
            .iter()
            .map(|word| word.count_ones() as usize)
            .sum()
    }

    /// The window of this set without its zero words at either end.
    fn trimmed(&self) -> (usize, &[u64]) {
        let Some(first) = self.words.iter().position(|&w| w != 0) else {
            return (self.base, &[]);
        };
        let last = self.words.iter().rposition(|&w| w != 0).unwrap_or(first);
        (self.base + first, &self.words[first..=last])
    }

    /// Adds every id of `other`.
    pub fn union_with(&mut self, other: &ActionSet) {
        let (base, words) = other.trimmed();
        if words.is_empty() {
            return;
        }
        self.reach(base, base + words.len());
        let at = base - self.base;
        for (mine, theirs) in self.words[at..].iter_mut().zip(words) {
            *mine |= theirs;
        }
    }

    /// The overlap of the two windows, as (this set's index, the other's
    /// index, length).
    fn overlap(&self, other: &ActionSet) -> (usize, usize, usize) {
        let lo = self.base.max(other.base);
        let hi = (self.base + self.words.len()).min(other.base + other.words.len());
        if hi <= lo {
            return (0, 0, 0);
        }
        (lo - self.base, lo - other.base, hi - lo)
    }

    /// Removes every id of `other`.
    pub fn difference_with(&mut self, other: &ActionSet) {
        let (mine, theirs, len) = self.overlap(other);
        for (a, b) in self.words[mine..mine + len]
            .iter_mut()
            .zip(&other.words[theirs..theirs + len])
        {
            *a &= !b;
        }
    }

    /// Keeps only the ids also in `other`.
    pub fn intersect_with(&mut self, other: &ActionSet) {
        let base = self.base;
        for (i, mine) in self.words.iter_mut().enumerate() {
            *mine &= other.word(base + i);
        }
    }

    /// Whether some id is in both sets.
    pub fn intersects(&self, other: &ActionSet) -> bool {
        let (mine, theirs, len) = self.overlap(other);
        self.words[mine..mine + len]
            .iter()
            .zip(&other.words[theirs..theirs + len])
            .any(|(a, b)| a & b != 0)
    }

    /// Whether every id of this set is in `other`.
    pub fn is_subset(&self, other: &ActionSet) -> bool {
        self.words
            .iter()
            .enumerate()
            .all(|(i, &word)| word & !other.word(self.base + i) == 0)
    }

    /// The ids in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = ActionId> + '_ {
        let base = self.base;
        self.words.iter().enumerate().flat_map(move |(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some(ActionId((base + i) as u32 * 64 + bit))
            })
        })
    }
}

/// The bits of word `w` that fall in `start..end`.
fn range_mask(w: usize, start: usize, end: usize) -> u64 {
    let low = start.saturating_sub(w * 64).min(64);
    let high = (end - w * 64).min(64);
    let below_high = if high == 64 { !0 } else { (1u64 << high) - 1 };
    let below_low = if low == 64 { !0 } else { (1u64 << low) - 1 };
    below_high & !below_low
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// A set built from ranges and single ids, as matching builds them.
    fn build(parts: &[(u32, u32)]) -> (ActionSet, BTreeSet<u32>) {
        let (mut set, mut model) = (ActionSet::new(1000), BTreeSet::new());
        for &(start, len) in parts {
            if len == 0 {
                set.insert(ActionId(start));
                model.insert(start);
            } else {
                set.insert_range(start, start + len);
                model.extend(start..start + len);
            }
        }
        (set, model)
    }

    proptest! {
        /// Windowed sets behave as sets of ids, whatever their windows.
        #[test]
        fn windows_do_not_change_the_algebra(
            a in prop::collection::vec((0u32..900, 0u32..100), 0..5),
            b in prop::collection::vec((0u32..900, 0u32..100), 0..5),
        ) {
            let ((x, mx), (y, my)) = (build(&a), build(&b));
            let ids = |s: &ActionSet| s.iter().map(|id| id.0).collect::<BTreeSet<u32>>();
            prop_assert_eq!(ids(&x), mx.clone());
            prop_assert_eq!(x.len(), mx.len());
            prop_assert_eq!(x.is_empty(), mx.is_empty());
            prop_assert_eq!(x.is_subset(&y), mx.is_subset(&my));
            prop_assert_eq!(x.intersects(&y), !mx.is_disjoint(&my));
            prop_assert_eq!(x == y, mx == my);
            let mut union = x.clone();
            union.union_with(&y);
            prop_assert_eq!(ids(&union), &mx | &my);
            let mut difference = x.clone();
            difference.difference_with(&y);
            prop_assert_eq!(ids(&difference), &mx - &my);
            let mut intersection = x.clone();
            intersection.intersect_with(&y);
            prop_assert_eq!(ids(&intersection), &mx & &my);
            for id in 0..1000 {
                prop_assert_eq!(x.contains(ActionId(id)), mx.contains(&id));
            }
            let mut removed = x.clone();
            for id in my.iter() {
                removed.remove(ActionId(*id));
            }
            prop_assert_eq!(ids(&removed), &mx - &my);
            for &(start, len) in &b {
                let want = (start..start + len).all(|id| mx.contains(&id));
                prop_assert_eq!(x.contains_range(start, start + len), want);
            }
        }
    }

    #[test]
    fn set_algebra() {
        let mut a = ActionSet::new(200);
        a.insert_range(10, 70);
        let mut b = ActionSet::new(200);
        b.insert(ActionId(5));
        b.insert(ActionId(69));
        assert_eq!(a.len(), 60);
        assert!(a.contains(ActionId(69)) && !a.contains(ActionId(70)));
        assert!(a.intersects(&b) && !b.is_subset(&a));
        let mut c = a.clone();
        c.difference_with(&b);
        assert_eq!(c.len(), 59);
        c.union_with(&b);
        assert_eq!(c.len(), 61);
        c.intersect_with(&b);
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            vec![ActionId(5), ActionId(69)]
        );
        assert!(a.contains_range(10, 70) && !a.contains_range(9, 70));
        assert!(a.contains_range(5, 5) && !a.contains_range(69, 71));
        assert_eq!(ActionSet::full(130).len(), 130);
        assert_eq!(ActionSet::full(128).len(), 128);
        for (start, end) in [(0, 1), (63, 65), (0, 64), (64, 128), (3, 200), (127, 129)] {
            let mut set = ActionSet::new(200);
            set.insert_range(start, end);
            let want: Vec<ActionId> = (start..end).map(ActionId).collect();
            assert_eq!(set.iter().collect::<Vec<_>>(), want, "{start}..{end}");
            assert!(set.contains_range(start, end));
        }
    }
}

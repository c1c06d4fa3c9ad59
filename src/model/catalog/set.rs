//! Sets of catalog actions.
//!
//! Refinement is set algebra over catalog actions: what an entry matches,
//! minus what is unused, checked against what a prefix would match. With
//! about 22,000 actions a bitset is 2.8 KB, so union, difference and subset
//! tests are a few hundred word operations and never allocate per action.

use super::ActionId;

/// A set of [`ActionId`]s of one [`super::Catalog`], as a bitset.
///
/// Sets from different catalogs must not be mixed: ids are indices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionSet {
    words: Vec<u64>,
}

impl ActionSet {
    /// An empty set able to hold the ids of a catalog with `len` actions.
    pub fn new(len: usize) -> ActionSet {
        ActionSet {
            words: vec![0; len.div_ceil(64)],
        }
    }

    /// The set of all ids below `len`.
    pub fn full(len: usize) -> ActionSet {
        let mut set = ActionSet::new(len);
        set.insert_range(0, len as u32);
        set
    }

    /// Adds one id.
    pub fn insert(&mut self, id: ActionId) {
        let i = id.0 as usize;
        if i / 64 >= self.words.len() {
            self.words.resize(i / 64 + 1, 0);
        }
        self.words[i / 64] |= 1 << (i % 64);
    }

    /// Removes one id.
    pub fn remove(&mut self, id: ActionId) {
        let i = id.0 as usize;
        if let Some(word) = self.words.get_mut(i / 64) {
            *word &= !(1 << (i % 64));
        }
    }

    /// Adds every id in `start..end`, a word at a time.
    pub fn insert_range(&mut self, start: u32, end: u32) {
        if start >= end {
            return;
        }
        let (start, end) = (start as usize, end as usize);
        if end.div_ceil(64) > self.words.len() {
            self.words.resize(end.div_ceil(64), 0);
        }
        for (w, word) in self
            .words
            .iter_mut()
            .enumerate()
            .take(end.div_ceil(64))
            .skip(start / 64)
        {
            *word |= range_mask(w, start, end);
        }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: ActionId) -> bool {
        let i = id.0 as usize;
        self.words
            .get(i / 64)
            .is_some_and(|word| word & (1 << (i % 64)) != 0)
    }

    /// Whether every id in `start..end` is in the set, a word at a time.
    pub fn contains_range(&self, start: u32, end: u32) -> bool {
        if start >= end {
            return true;
        }
        let (start, end) = (start as usize, end as usize);
        (start / 64..end.div_ceil(64)).all(|w| {
            let mask = range_mask(w, start, end);
            self.words.get(w).copied().unwrap_or(0) & mask == mask
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

    /// Adds every id of `other`.
    pub fn union_with(&mut self, other: &ActionSet) {
        if other.words.len() > self.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (mine, theirs) in self.words.iter_mut().zip(&other.words) {
            *mine |= theirs;
        }
    }

    /// Removes every id of `other`.
    pub fn difference_with(&mut self, other: &ActionSet) {
        for (mine, theirs) in self.words.iter_mut().zip(&other.words) {
            *mine &= !theirs;
        }
    }

    /// Keeps only the ids also in `other`.
    pub fn intersect_with(&mut self, other: &ActionSet) {
        for (i, mine) in self.words.iter_mut().enumerate() {
            *mine &= other.words.get(i).copied().unwrap_or(0);
        }
    }

    /// Whether some id is in both sets.
    pub fn intersects(&self, other: &ActionSet) -> bool {
        self.words.iter().zip(&other.words).any(|(a, b)| a & b != 0)
    }

    /// Whether every id of this set is in `other`.
    pub fn is_subset(&self, other: &ActionSet) -> bool {
        self.words
            .iter()
            .enumerate()
            .all(|(i, &word)| word & !other.words.get(i).copied().unwrap_or(0) == 0)
    }

    /// The ids in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = ActionId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some(ActionId(i as u32 * 64 + bit))
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

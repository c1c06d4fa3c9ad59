//! A fast hasher for the maps and sets of one refinement.
//!
//! The standard `HashMap` hashes with SipHash, keyed per process, to resist
//! inputs crafted to collide. Refinement's maps are keyed by entry texts
//! and prefixes of one policy, bounded by IAM's size limits, and a corpus
//! run spent a tenth of its time in SipHash. FNV-1a over the bytes costs a
//! multiply per byte; the worst a crafted policy can do is make a lookup
//! walk its collisions, over a policy of at most a few thousand entries.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a, 64 bits.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` hashed with [`Fnv`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// A `HashSet` hashed with [`Fnv`].
pub type FastSet<T> = HashSet<T, BuildHasherDefault<Fnv>>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The published FNV-1a test vectors: the empty string and "a".
    #[test]
    fn hashes_as_fnv_1a() {
        let hash = |bytes: &[u8]| {
            let mut hasher = Fnv::default();
            hasher.write(bytes);
            hasher.finish()
        };
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        let mut set: FastSet<&str> = FastSet::default();
        assert!(set.insert("s3:Get") && !set.insert("s3:Get"));
    }
}

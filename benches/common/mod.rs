//! What the benchmarks share. Not a benchmark itself: Cargo only picks up
//! `benches/*.rs` and `benches/*/main.rs`.

/// A small deterministic generator (xorshift): the same seed gives the same
/// generated input on every machine, so runs compare.
pub struct Rng(u64);

// Each benchmark uses the part it needs.
#[allow(dead_code)]
impl Rng {
    /// A generator from `seed` (made odd: zero would stay zero).
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.next() % (i + 1));
        }
    }
}

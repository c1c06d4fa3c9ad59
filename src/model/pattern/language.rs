//! Exact containment of one glob's language in a union of others.
//!
//! Each glob becomes a Thompson-style automaton: state `i` means "the first
//! `i` tokens are matched", the last state `tokens.len()` accepts, a `*` at
//! token `i` adds a free move from `i` to `i + 1`, and on a character `c`
//! state `i` moves to `i` for `*`, to `i + 1` for `?`, and to `i + 1` for a
//! literal equal to `c` (folded). A set of states is a bitset.
//!
//! The alphabet is infinite, but the globs can only tell apart the literal
//! characters they mention, so it splits into finitely many *classes*: one
//! per folded literal, plus one for "any other character". Running all the
//! automata in lockstep over the classes (the subset construction, on the
//! product) and searching breadth first gives an exact answer and, when the
//! answer is "not contained", a shortest string that proves it.
//!
//! The subset construction can blow up (`*a??????????????` needs a state per
//! subset of the last fifteen characters), so the search stops at
//! [`STATE_LIMIT`] states and says so, rather than hang on a hostile policy.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::{fold, Glob, Token};

/// How many product states [`uncovered`] may explore before giving up.
///
/// Globs like the ones people write (a few `*`, the odd `?`) need few
/// states; the limit exists so that a pathological glob, whose subset
/// construction is exponential, costs a fraction of a second and a few
/// megabytes instead of hanging the tool.
pub const STATE_LIMIT: usize = 200_000;

/// Why containment could not be decided: the subset construction exceeded
/// `limit` states.
///
/// Callers must treat this as "unknown", which usually means "keep the
/// pattern as it is"; it never means contained or not contained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooComplex {
    /// The number of states that was not enough.
    pub limit: usize,
}

impl fmt::Display for TooComplex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the patterns are too complex to compare: more than {} automaton states",
            self.limit
        )
    }
}

impl std::error::Error for TooComplex {}

/// Decides whether every string `inner` matches is matched by some glob in
/// `outer`.
///
/// Returns `Ok(None)` when it is, and `Ok(Some(w))` when it is not, with `w`
/// a *shortest* string that `inner` matches and no outer glob does. A
/// witness makes the answer checkable and makes a good message ("would also
/// allow `s3:GetObjectZ`"); shortest keeps it readable. Characters the globs
/// do not mention are shown as a readable stand-in such as `Z`, and literal
/// characters in the case `inner` (failing that, an outer glob) wrote them.
///
/// Returns `Err(TooComplex)` if the search would explore more than
/// [`STATE_LIMIT`] product states.
pub fn uncovered(inner: &Glob, outer: &[Glob]) -> Result<Option<String>, TooComplex> {
    uncovered_within(inner, outer, STATE_LIMIT)
}

/// A shortest string that every glob of `all` matches and no glob of `none`
/// does, or `Ok(None)` when there is none.
///
/// This is the general question behind [`uncovered`] (`all` = one glob) and
/// behind overlap (`all` = two globs, `none` empty: do they share a string?),
/// which deciding `Action` against `NotAction` needs. `all` must not be
/// empty. Same witness spelling and [`STATE_LIMIT`] as [`uncovered`].
pub fn witness(all: &[&Glob], none: &[Glob]) -> Result<Option<String>, TooComplex> {
    search(all, none, STATE_LIMIT)
}

/// [`uncovered`] with an explicit state limit: for tests, and for
/// [`super::contains`], which answers many pairwise questions and keeps a
/// tighter budget for each.
pub(super) fn uncovered_within(
    inner: &Glob,
    outer: &[Glob],
    limit: usize,
) -> Result<Option<String>, TooComplex> {
    search(&[inner], outer, limit)
}

/// The breadth-first search behind [`witness`] and [`uncovered`].
fn search(all: &[&Glob], none: &[Glob], limit: usize) -> Result<Option<String>, TooComplex> {
    let product = Product::new(all, none);
    let symbols = alphabet(all, none);
    let start = product.start();
    match product.verdict(&start) {
        Verdict::Witness => return Ok(Some(String::new())),
        Verdict::Dead => return Ok(None),
        Verdict::Open => {}
    }
    // States are numbered in discovery order, so walking the numbers in
    // order *is* the breadth-first queue.
    let mut graph = Graph::new(&start);
    let (mut from, mut to) = (start.clone(), start);
    let mut next = 0;
    while next < graph.len() {
        from.copy_from_slice(graph.state(next));
        for (symbol, class) in symbols.iter().enumerate() {
            product.step(&from, class.class, &mut to);
            match product.verdict(&to) {
                Verdict::Dead => {}
                Verdict::Witness => {
                    let witness = graph.witness(next, symbol, &symbols);
                    return Ok(Some(respell(witness, all[0])));
                }
                Verdict::Open => graph.insert(&to, next, symbol, limit)?,
            }
        }
        next += 1;
    }
    Ok(None)
}

/// The witness with the literal start and end of `glob` spelled as the glob
/// writes them: classes show one spelling per letter, which can give
/// `s3:Brandnewaction` for `s3:BrandNewAction`; the glob's own text reads
/// better. Only case changes, so the witness matches exactly what it did.
fn respell(witness: String, glob: &Glob) -> String {
    let text: Vec<char> = glob.as_str().chars().collect();
    let is_wild = |c: &char| matches!(c, '*' | '?');
    let head = text.iter().take_while(|c| !is_wild(c)).count();
    let tail = if head == text.len() {
        0
    } else {
        text.iter().rev().take_while(|c| !is_wild(c)).count()
    };
    let mut chars: Vec<char> = witness.chars().collect();
    let n = chars.len();
    let mut copy = |from: &[char], at: usize| {
        for (i, &c) in from.iter().enumerate() {
            if chars.get(at + i).is_some_and(|w| fold(*w) == fold(c)) {
                chars[at + i] = c;
            }
        }
    };
    if head <= n {
        copy(&text[..head], 0);
    }
    if tail <= n && tail > 0 {
        copy(&text[text.len() - tail..], n - tail);
    }
    chars.into_iter().collect()
}

/// A class of characters that every glob in the question treats alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Every character whose fold is none of the literals.
    Other,
    /// The characters that fold to this literal.
    Literal(char),
}

/// A class, and the character that stands for it in a witness.
#[derive(Debug, Clone, Copy)]
struct Symbol {
    class: Class,
    shown: char,
}

/// Stand-ins for [`Class::Other`], tried in order: unusual in action names,
/// so a witness like `s3:GetObjectZ` reads as "something else here".
const READABLE_OTHERS: &str = "ZXQJKWVY0123456789_-.";

/// The classes of characters for the globs `all` and `none`, "other" first.
///
/// "Other" goes first so that, among witnesses of equal length, the search
/// prefers one that uses a character no glob mentions: that is the clearest
/// way to show what a pattern lets through. Literals follow in a fixed order,
/// so the witness is deterministic; each is shown as first written, looking
/// at `all` first.
fn alphabet(all: &[&Glob], none: &[Glob]) -> Vec<Symbol> {
    let mut spelled: BTreeMap<char, char> = BTreeMap::new();
    for glob in all.iter().copied().chain(none) {
        for c in glob.as_str().chars().filter(|c| !matches!(c, '*' | '?')) {
            spelled.entry(fold(c)).or_insert(c);
        }
    }
    let unused = |c: &char| !spelled.contains_key(&fold(*c));
    // The globs could in principle mention every character there is; then
    // the "other" class is empty and must not be used.
    let other = READABLE_OTHERS.chars().find(unused).or_else(|| {
        (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .find(unused)
    });
    let others = other.map(|shown| Symbol {
        class: Class::Other,
        shown,
    });
    let literals = spelled.iter().map(|(&folded, &shown)| Symbol {
        class: Class::Literal(folded),
        shown,
    });
    others.into_iter().chain(literals).collect()
}

/// One glob as an automaton over character classes.
struct Nfa<'a> {
    tokens: &'a [Token],
    /// The positions of `*`, ascending: the only states with free moves.
    stars: Vec<usize>,
    /// Where the trailing run of `*` starts (`tokens.len()` if none): from a
    /// state at or after it, but before the end, every continuation matches.
    universal_from: usize,
}

impl<'a> Nfa<'a> {
    fn new(glob: &'a Glob) -> Nfa<'a> {
        let tokens = glob.tokens();
        let is_star = |t: &Token| *t == Token::AnyRun;
        let stars = (0..tokens.len()).filter(|&i| is_star(&tokens[i])).collect();
        let trailing = tokens.iter().rev().take_while(|t| is_star(t)).count();
        Nfa {
            tokens,
            stars,
            universal_from: tokens.len() - trailing,
        }
    }

    /// Bitset words needed for states `0..=tokens.len()`.
    fn words(&self) -> usize {
        self.tokens.len() / 64 + 1
    }

    fn accepting(&self, set: &[u64]) -> bool {
        has(set, self.tokens.len())
    }

    /// Does every string lead from `set` to acceptance?
    fn universal(&self, set: &[u64]) -> bool {
        (self.universal_from..self.tokens.len()).any(|i| has(set, i))
    }

    /// Writes the states reachable from `from` on one character of `class`.
    fn step(&self, from: &[u64], class: Class, to: &mut [u64]) {
        for (w, &word) in from.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                match (self.tokens.get(i), class) {
                    (Some(Token::AnyRun), _) => insert(to, i),
                    (Some(Token::AnyOne), _) => insert(to, i + 1),
                    (Some(Token::Char(want)), Class::Literal(got)) if *want == got => {
                        insert(to, i + 1)
                    }
                    (Some(Token::Char(_)) | None, _) => {}
                }
            }
        }
        self.close(to);
    }

    /// Adds the free moves past `*`. They only go forward, one token at a
    /// time, so one ascending pass reaches the fixed point.
    fn close(&self, set: &mut [u64]) {
        for &i in &self.stars {
            if has(set, i) {
                insert(set, i + 1);
            }
        }
    }
}

fn has(set: &[u64], i: usize) -> bool {
    set.get(i / 64)
        .is_some_and(|word| word & (1 << (i % 64)) != 0)
}

fn insert(set: &mut [u64], i: usize) {
    if let Some(word) = set.get_mut(i / 64) {
        *word |= 1 << (i % 64);
    }
}

/// What a product state says about the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Every `all` glob accepts and no `none` glob does: the path here is a
    /// witness.
    Witness,
    /// No witness can be reached from here: an `all` glob is stuck, or a
    /// `none` glob accepts every continuation. Pruning these keeps the
    /// search small.
    Dead,
    /// Keep searching.
    Open,
}

/// The automata of the `all` globs (first) and the `none` globs, run in
/// lockstep. A product state is all their state sets, laid end to end in one
/// slice.
struct Product<'a> {
    machines: Vec<Nfa<'a>>,
    /// How many of the machines are `all` globs.
    required: usize,
    /// Where each machine's words start in a product state, plus the total.
    offsets: Vec<usize>,
}

impl<'a> Product<'a> {
    fn new(all: &[&'a Glob], none: &'a [Glob]) -> Product<'a> {
        let machines: Vec<Nfa<'a>> = all.iter().copied().chain(none).map(Nfa::new).collect();
        let mut offsets = vec![0];
        for machine in &machines {
            offsets.push(offsets[offsets.len() - 1] + machine.words());
        }
        Product {
            machines,
            required: all.len(),
            offsets,
        }
    }

    /// Each machine's part of a product state.
    fn parts<'s>(&'s self, state: &'s [u64]) -> impl Iterator<Item = (&'s Nfa<'a>, &'s [u64])> {
        let ranges = self.offsets.windows(2).map(|w| w[0]..w[1]);
        self.machines.iter().zip(ranges.map(|r| &state[r]))
    }

    fn start(&self) -> Box<[u64]> {
        let mut state = self.empty();
        for (machine, range) in self.machines.iter().zip(self.offsets.windows(2)) {
            let set = &mut state[range[0]..range[1]];
            insert(set, 0);
            machine.close(set);
        }
        state
    }

    fn empty(&self) -> Box<[u64]> {
        vec![0; self.offsets[self.offsets.len() - 1]].into_boxed_slice()
    }

    /// Overwrites `to` with the successor of `from` on one character of `class`.
    fn step(&self, from: &[u64], class: Class, to: &mut [u64]) {
        to.fill(0);
        for (machine, range) in self.machines.iter().zip(self.offsets.windows(2)) {
            let (from, to) = (&from[range[0]..range[1]], &mut to[range[0]..range[1]]);
            machine.step(from, class, to);
        }
    }

    fn verdict(&self, state: &[u64]) -> Verdict {
        if self.required == 0 {
            return Verdict::Dead;
        }
        let mut all_accept = true;
        let mut none_accepts = true;
        for (i, (machine, set)) in self.parts(state).enumerate() {
            if i < self.required {
                if set.iter().all(|word| *word == 0) {
                    return Verdict::Dead;
                }
                all_accept &= machine.accepting(set);
            } else {
                if machine.universal(set) {
                    return Verdict::Dead;
                }
                none_accepts &= !machine.accepting(set);
            }
        }
        if all_accept && none_accepts {
            Verdict::Witness
        } else {
            Verdict::Open
        }
    }
}

/// The product states found so far, and how each was first reached.
///
/// States live end to end in one arena (they all have the same width), and
/// the search copies each one out before expanding it; that way a step
/// allocates only when it finds a new state.
struct Graph {
    arena: Vec<u64>,
    width: usize,
    /// For every state but the start: its parent and the symbol taken.
    parents: Vec<(usize, usize)>,
    index: HashMap<Box<[u64]>, usize>,
}

impl Graph {
    fn new(start: &[u64]) -> Graph {
        Graph {
            arena: start.to_vec(),
            width: start.len(),
            parents: vec![(0, 0)],
            index: HashMap::from([(start.into(), 0)]),
        }
    }

    fn len(&self) -> usize {
        self.parents.len()
    }

    fn state(&self, i: usize) -> &[u64] {
        &self.arena[i * self.width..(i + 1) * self.width]
    }

    /// Records `state`, reached from `parent` by `symbol`, unless already known.
    fn insert(
        &mut self,
        state: &[u64],
        parent: usize,
        symbol: usize,
        limit: usize,
    ) -> Result<(), TooComplex> {
        if self.index.contains_key(state) {
            return Ok(());
        }
        if self.len() >= limit {
            return Err(TooComplex { limit });
        }
        self.index.insert(state.into(), self.len());
        self.arena.extend_from_slice(state);
        self.parents.push((parent, symbol));
        Ok(())
    }

    /// Spells the path to `from`, followed by `last`.
    fn witness(&self, from: usize, last: usize, symbols: &[Symbol]) -> String {
        let mut taken = vec![last];
        let mut at = from;
        while at != 0 {
            let (parent, symbol) = self.parents[at];
            taken.push(symbol);
            at = parent;
        }
        taken.iter().rev().map(|&s| symbols[s].shown).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::contains;
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn globs(texts: &[&str]) -> Vec<Glob> {
        texts.iter().map(|t| Glob::new(t)).collect()
    }

    /// Checks that the witness is `expected`, and that it really is in
    /// `inner` and in no outer glob.
    fn assert_witness(inner: &str, outer: &[&str], expected: &str) {
        let got = uncovered(&Glob::new(inner), &globs(outer));
        assert_eq!(got, Ok(Some(expected.to_owned())), "{inner} vs {outer:?}");
        assert!(Glob::new(inner).matches(expected));
        assert!(globs(outer).iter().all(|g| !g.matches(expected)));
    }

    fn assert_covered(inner: &str, outer: &[&str]) {
        let got = uncovered(&Glob::new(inner), &globs(outer));
        assert_eq!(got, Ok(None), "{inner} vs {outer:?}");
    }

    #[test]
    fn witnesses_are_shortest_and_readable() {
        assert_witness(
            "s3:GetObject*",
            &["s3:GetObject", "s3:GetObjectAcl"],
            "s3:GetObjectZ",
        );
        assert_witness("s3:Get*", &["s3:GetObject*"], "s3:Get");
        assert_witness("*", &["?*"], "");
        assert_witness(
            "autoscaling:*Tags",
            &["autoscaling:Describe*"],
            "autoscaling:Tags",
        );
        assert_witness("a*?", &["ab*"], "aZ");
        assert_witness("?", &["z", "x"], "Q");
        assert_witness("S3:?", &["s3:Z"], "S3:X");
    }

    #[test]
    fn contained_languages() {
        assert_covered("s3:GetObject*", &["s3:Get*"]);
        assert_covered("s3:GetObject*", &["*"]);
        assert_covered("ab*", &["a*?"]);
        assert_covered("s3:Get*Tagging", &["s3:Get*"]);
        assert_covered("ab*", &["ab", "ab?*"]);
        assert_covered("S3:GETOBJECT", &["s3:getobject"]);
        assert_covered("a*b*c", &["a*c"]);
        assert_covered("??*", &["a*", "?*?"]);
    }

    #[test]
    fn union_needs_every_member() {
        assert_witness("ab*", &["ab?*"], "ab");
        assert_witness("ab*", &["ab"], "abZ");
    }

    #[test]
    fn hostile_globs_finish() {
        let inner = Glob::new("*a??????????????");
        // Decided within the limit: a shortest string without `b`.
        let got = uncovered(&inner, &globs(&["*b*"]));
        let Ok(Some(w)) = got else {
            panic!("*b* cannot cover strings without b, and this is decidable: {got:?}");
        };
        assert!(inner.matches(&w) && !Glob::new("*b*").matches(&w));
        assert_eq!(w.chars().count(), 15);
        // Needs a state per subset of the last 21 characters: over the limit.
        let inner = Glob::new("*a????????????????????");
        let outer = globs(&["*a????????????????????*"]);
        let limit = STATE_LIMIT;
        assert_eq!(uncovered(&inner, &outer), Err(TooComplex { limit }));
        assert!(!contains(&outer[0], &inner));
    }

    #[test]
    fn the_limit_is_reported() {
        let inner = Glob::new("*a??????????????");
        let outer = globs(&["*a??????????????*"]);
        assert_eq!(
            uncovered_within(&inner, &outer, 1000),
            Err(TooComplex { limit: 1000 })
        );
        assert_eq!(
            TooComplex { limit: 7 }.to_string(),
            "the patterns are too complex to compare: more than 7 automaton states"
        );
    }

    /// Every string over {a, b, c} of length at most 6, shortest first.
    /// `c` appears in no generated glob, so it stands for "any other character".
    fn all_strings() -> &'static [String] {
        static ALL: OnceLock<Vec<String>> = OnceLock::new();
        ALL.get_or_init(|| {
            let mut all = vec![String::new()];
            let mut start = 0;
            for _ in 0..6 {
                let end = all.len();
                for i in start..end {
                    for c in ['a', 'b', 'c'] {
                        let s = format!("{}{c}", all[i]);
                        all.push(s);
                    }
                }
                start = end;
            }
            all
        })
    }

    fn small_glob() -> impl Strategy<Value = Glob> {
        proptest::collection::vec(
            proptest::sample::select(&['a', 'b', 'A', '*', '?'][..]),
            0..=5,
        )
        .prop_map(|cs| Glob::new(&cs.into_iter().collect::<String>()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn uncovered_agrees_with_brute_force(
            inner in small_glob(),
            outer in proptest::collection::vec(small_glob(), 1..=3),
        ) {
            let answer = uncovered(&inner, &outer);
            prop_assert!(answer.is_ok(), "tiny globs must not be too complex");
            let brute = all_strings()
                .iter()
                .find(|s| inner.matches(s) && outer.iter().all(|o| !o.matches(s)));
            match (answer, brute) {
                (Ok(Some(w)), brute) => {
                    prop_assert!(inner.matches(&w), "witness {:?} not in inner", w);
                    prop_assert!(outer.iter().all(|o| !o.matches(&w)), "witness {:?} covered", w);
                    if let Some(b) = brute {
                        prop_assert!(w.chars().count() <= b.chars().count(), "{:?} longer than {:?}", w, b);
                    }
                }
                (Ok(None), None) => {}
                (Ok(None), Some(b)) => prop_assert!(false, "missed counterexample {:?}", b),
                (Err(e), _) => prop_assert!(false, "{}", e),
            }
        }

        #[test]
        fn witness_agrees_with_brute_force(
            all in proptest::collection::vec(small_glob(), 1..=3),
            none in proptest::collection::vec(small_glob(), 0..=2),
        ) {
            let refs: Vec<&Glob> = all.iter().collect();
            let answer = witness(&refs, &none);
            let fits = |s: &str| all.iter().all(|g| g.matches(s)) && none.iter().all(|g| !g.matches(s));
            let brute = all_strings().iter().find(|s| fits(s));
            match (answer, brute) {
                (Ok(Some(w)), brute) => {
                    prop_assert!(fits(&w), "witness {:?} does not fit", w);
                    if let Some(b) = brute {
                        prop_assert!(w.chars().count() <= b.chars().count(), "{:?} longer than {:?}", w, b);
                    }
                }
                (Ok(None), None) => {}
                (Ok(None), Some(b)) => prop_assert!(false, "missed {:?}", b),
                (Err(e), _) => prop_assert!(false, "{}", e),
            }
        }
    }

    #[test]
    fn overlap_of_two_globs() {
        let (a, b) = (Glob::new("s3:Get*"), Glob::new("s3:*Acl"));
        assert_eq!(witness(&[&a, &b], &[]), Ok(Some("s3:GetAcl".to_string())));
        let (a, b) = (Glob::new("s3:Get*"), Glob::new("s3:Put*"));
        assert_eq!(witness(&[&a, &b], &[]), Ok(None));
        assert_eq!(
            witness(&[&a], &[Glob::new("s3:Get")]),
            Ok(Some("s3:GetZ".to_string()))
        );
    }
}

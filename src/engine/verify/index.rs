//! Statements grouped by context, and original entries indexed for quick
//! containment checks, so that verifying a policy of many statements stays
//! linear: comparing every refined statement with every original one, or
//! every refined entry with the union of a context's entries one by one,
//! would be quadratic in the policy's size.

use crate::input::policy::{ActionKey, Effect, Policy, Statement};
use crate::json::canon::Canonical;
use crate::model::fasthash::FastHasher;
use crate::model::fasthash::FastMap;
use crate::model::fasthash::FastSet;
use crate::model::pattern::{self, Glob};
use std::hash::{Hash, Hasher};

/// A statement's context in canonical form (see [`Statement::context`]):
/// equal keys, equal contexts.
pub(super) type ContextKey = Vec<Canonical>;

/// What makes two statements the same: context (Effect included), action
/// element, and entries up to order and repetition. Entries are compared
/// as a sorted list, not a joined string, so no entry text can make two
/// different statements look alike; the hash only finds the candidates,
/// which are then compared in full.
fn sorted_entries(statement: &Statement) -> Vec<&str> {
    let mut entries: Vec<&str> = statement.entries.iter().map(Glob::as_str).collect();
    entries.sort_unstable();
    entries.dedup();
    entries
}

/// The hash of a statement's identity (see [`sorted_entries`]): of its
/// context, action element, number of entries and the first and last few,
/// since it only finds the candidates to compare (a statement refined from
/// `"*"` has thousands of entries).
fn identity_hash(context: &ContextKey, key: ActionKey, entries: &[&str]) -> u64 {
    let mut hasher = FastHasher::default();
    (context, key, entries.len()).hash(&mut hasher);
    let ends = entries.len().min(4);
    entries[..ends].hash(&mut hasher);
    entries[entries.len() - ends..].hash(&mut hasher);
    hasher.finish()
}

/// The hash of a context key.
fn context_hash(context: &ContextKey) -> u64 {
    let mut hasher = FastHasher::default();
    context.hash(&mut hasher);
    hasher.finish()
}

/// A policy's statements with their contexts, computed once, and grouped.
pub(super) struct Contexts<'a> {
    statements: &'a [Statement],
    /// Each statement's context.
    keys: Vec<ContextKey>,
    /// Each statement's entries, sorted and deduplicated.
    entries: Vec<Vec<&'a str>>,
    /// The statements of each context, in order, by the context's hash.
    groups: FastMap<u64, Vec<usize>>,
    /// The statements by the hash of their identity, to find an unchanged
    /// statement in constant time.
    identities: FastMap<u64, Vec<usize>>,
}

impl<'a> Contexts<'a> {
    pub(super) fn new(policy: &'a Policy) -> Contexts<'a> {
        let statements = &policy.statements[..];
        let keys: Vec<ContextKey> = statements.iter().map(Statement::context).collect();
        let entries: Vec<Vec<&str>> = statements.iter().map(sorted_entries).collect();
        let mut groups: FastMap<u64, Vec<usize>> = FastMap::default();
        let mut identities: FastMap<u64, Vec<usize>> = FastMap::default();
        for (i, statement) in statements.iter().enumerate() {
            groups.entry(context_hash(&keys[i])).or_default().push(i);
            let identity = identity_hash(&keys[i], statement.key, &entries[i]);
            identities.entry(identity).or_default().push(i);
        }
        Contexts {
            statements,
            keys,
            entries,
            groups,
            identities,
        }
    }

    /// Whether a statement the same as `statement`, whose context is
    /// `context`, is here.
    pub(super) fn has_same(&self, statement: &Statement, context: &ContextKey) -> bool {
        let entries = sorted_entries(statement);
        let hash = identity_hash(context, statement.key, &entries);
        self.identities.get(&hash).is_some_and(|candidates| {
            candidates.iter().any(|&i| {
                self.statements[i].key == statement.key
                    && self.entries[i] == entries
                    && self.keys[i] == *context
            })
        })
    }

    /// Every statement with its context key.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&'a Statement, &ContextKey)> + '_ {
        self.statements.iter().zip(self.keys.iter())
    }

    /// The Allow statements with their context keys.
    pub(super) fn allows(&self) -> impl Iterator<Item = (&'a Statement, &ContextKey)> + '_ {
        self.iter().filter(|(s, _)| s.effect == Effect::Allow)
    }

    /// The statements whose context has this key.
    pub(super) fn with_key<'k>(
        &'k self,
        key: &'k ContextKey,
    ) -> impl Iterator<Item = &'a Statement> + 'k {
        let statements = self.statements;
        self.groups
            .get(&context_hash(key))
            .into_iter()
            .flatten()
            .filter(move |&&i| self.keys[i] == *key)
            .map(move |&i| &statements[i])
    }
}

/// The Action entries of some original statements, indexed so that most
/// refined entries are shown to lie inside their union without an
/// automaton: an exact name in the union, or a `prefix*` entry whose prefix
/// starts the refined entry. What the index cannot show goes to the exact
/// check.
pub(super) struct Bound<'a> {
    /// Every entry, for the exact check.
    pub(super) entries: Vec<&'a Glob>,
    universal: bool,
    /// Literal entries, lowercased.
    literals: FastSet<String>,
    /// The literal parts of `prefix*` entries, lowercased.
    prefixes: FastSet<String>,
    /// Entries of any other shape.
    others: Vec<&'a Glob>,
}

impl<'a> Bound<'a> {
    pub(super) fn new(entries: Vec<&'a Glob>) -> Bound<'a> {
        let mut bound = Bound {
            entries: Vec::new(),
            universal: false,
            literals: FastSet::default(),
            prefixes: FastSet::default(),
            others: Vec::new(),
        };
        for &glob in &entries {
            if glob.is_literal() {
                bound.literals.insert(glob.as_str().to_ascii_lowercase());
            } else if let Some(prefix) = glob.prefix_star() {
                bound.universal |= prefix.is_empty();
                bound.prefixes.insert(prefix.to_ascii_lowercase());
            } else {
                bound.others.push(glob);
            }
        }
        bound.entries = entries;
        bound
    }

    /// Whether the index shows `entry` to be inside the union. `false` means
    /// "not shown", not "outside": the caller then decides exactly.
    pub(super) fn covers(&self, entry: &Glob) -> bool {
        if self.universal {
            return true;
        }
        let prefixed = |text: &str| {
            let lower = text.to_ascii_lowercase();
            (0..=lower.len())
                .any(|i| lower.is_char_boundary(i) && self.prefixes.contains(&lower[..i]))
        };
        if entry.is_literal() {
            let text = entry.as_str();
            self.literals.contains(&text.to_ascii_lowercase())
                || prefixed(text)
                || self.others.iter().any(|g| g.matches(text))
        } else if let Some(prefix) = entry.prefix_star() {
            prefixed(prefix) || self.others.iter().any(|g| pattern::contains(g, entry))
        } else {
            self.entries.iter().any(|g| pattern::contains(g, entry))
        }
    }
}

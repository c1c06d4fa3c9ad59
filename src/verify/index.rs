//! Statements grouped by context, and original entries indexed for quick
//! containment checks, so that verifying a policy of many statements stays
//! linear: comparing every refined statement with every original one, or
//! every refined entry with the union of a context's entries one by one,
//! would be quadratic in the policy's size.

use crate::pattern::{self, Glob};
use crate::policy::{Effect, Policy, Statement};
use std::collections::{HashMap, HashSet};

/// A policy's statements with their contexts, computed once, and grouped.
pub(super) struct Contexts<'a> {
    statements: &'a [Statement],
    /// Each statement's context, serialized: equal keys, equal contexts.
    keys: Vec<String>,
    /// The statements of each context key, in order.
    groups: HashMap<String, Vec<usize>>,
    /// Each statement's [`signature`], to find an unchanged statement in
    /// constant time.
    signatures: HashSet<String>,
}

/// What makes two statements the same: context (Effect included), action
/// element, and entries up to order and repetition.
pub(super) fn signature(statement: &Statement, key: &str) -> String {
    let mut entries: Vec<&str> = statement.entries.iter().map(Glob::as_str).collect();
    entries.sort_unstable();
    entries.dedup();
    format!(
        "{key}\u{1}{}\u{1}{}",
        statement.key.as_str(),
        entries.join("\u{1}")
    )
}

impl<'a> Contexts<'a> {
    pub(super) fn new(policy: &'a Policy) -> Contexts<'a> {
        let keys: Vec<String> = policy
            .statements
            .iter()
            .map(|s| s.context().to_string())
            .collect();
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, key) in keys.iter().enumerate() {
            groups.entry(key.clone()).or_default().push(i);
        }
        let signatures = policy
            .statements
            .iter()
            .zip(&keys)
            .map(|(s, k)| signature(s, k))
            .collect();
        Contexts {
            statements: &policy.statements,
            keys,
            groups,
            signatures,
        }
    }

    /// Whether a statement with this [`signature`] is here.
    pub(super) fn has(&self, signature: &str) -> bool {
        self.signatures.contains(signature)
    }

    /// Every statement with its context key.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&'a Statement, &str)> + '_ {
        self.statements
            .iter()
            .zip(self.keys.iter().map(String::as_str))
    }

    /// The Allow statements with their context keys.
    pub(super) fn allows(&self) -> impl Iterator<Item = (&'a Statement, &str)> + '_ {
        self.iter().filter(|(s, _)| s.effect == Effect::Allow)
    }

    /// The statements whose context has this key.
    pub(super) fn with_key(&self, key: &str) -> impl Iterator<Item = &'a Statement> + '_ {
        let statements = self.statements;
        self.groups
            .get(key)
            .into_iter()
            .flatten()
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
    literals: HashSet<String>,
    /// The literal parts of `prefix*` entries, lowercased.
    prefixes: HashSet<String>,
    /// Entries of any other shape.
    others: Vec<&'a Glob>,
}

impl<'a> Bound<'a> {
    pub(super) fn new(entries: Vec<&'a Glob>) -> Bound<'a> {
        let mut bound = Bound {
            entries: Vec::new(),
            universal: false,
            literals: HashSet::new(),
            prefixes: HashSet::new(),
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

//! Statements grouped by context, and original entries indexed for quick
//! containment checks, so that verifying a policy of many statements stays
//! linear: comparing every refined statement with every original one, or
//! every refined entry with the union of a context's entries one by one,
//! would be quadratic in the policy's size.

use crate::input::policy::{ActionKey, Effect, Policy, Statement};
use crate::json::canon::Canonical;
use crate::model::pattern::{self, Glob};
use std::collections::{HashMap, HashSet};

/// A statement's context in canonical form (see [`Statement::context`]):
/// equal keys, equal contexts.
pub(super) type ContextKey = Vec<Canonical>;

/// What makes two statements the same: context (Effect included), action
/// element, and entries up to order and repetition. A structure, not a
/// joined string, so no entry text can make two different statements
/// look alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Signature {
    context: ContextKey,
    key: ActionKey,
    entries: Vec<String>,
}

/// The [`Signature`] of `statement`, whose context is `context`.
pub(super) fn signature(statement: &Statement, context: &ContextKey) -> Signature {
    let mut entries: Vec<String> = statement
        .entries
        .iter()
        .map(|g| g.as_str().to_string())
        .collect();
    entries.sort_unstable();
    entries.dedup();
    Signature {
        context: context.clone(),
        key: statement.key,
        entries,
    }
}

/// A policy's statements with their contexts, computed once, and grouped.
pub(super) struct Contexts<'a> {
    statements: &'a [Statement],
    /// Each statement's context.
    keys: Vec<ContextKey>,
    /// The statements of each context, in order.
    groups: HashMap<ContextKey, Vec<usize>>,
    /// Each statement's [`signature`], to find an unchanged statement in
    /// constant time.
    signatures: HashSet<Signature>,
}

impl<'a> Contexts<'a> {
    pub(super) fn new(policy: &'a Policy) -> Contexts<'a> {
        let keys: Vec<ContextKey> = policy.statements.iter().map(Statement::context).collect();
        let mut groups: HashMap<ContextKey, Vec<usize>> = HashMap::new();
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
    pub(super) fn has(&self, signature: &Signature) -> bool {
        self.signatures.contains(signature)
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
    pub(super) fn with_key(&self, key: &ContextKey) -> impl Iterator<Item = &'a Statement> + '_ {
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

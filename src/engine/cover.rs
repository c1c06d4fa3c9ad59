//! The shortest-safe-word-prefix cover.
//!
//! Given a set of actions to keep, [`cover`] writes the fewest, most readable
//! entries that allow them and nothing outside a given safe set: for each
//! action, the shortest prefix of its words (see [`crate::model::words`]) that is
//! *safe*, written `svc:Prefix*`, or the action's own name.
//!
//! A prefix `W` (of `k` words, `k = 0` meaning the whole service) is safe when
//!
//! 1. every catalog action of the service whose name starts with `W`,
//!    compared as strings ignoring case, is in the safe set: a string
//!    prefix, not a word subtree, because `acm:ListCertificate*` also
//!    matches `ListCertificates`; and
//! 2. `svc:W*` allows no string that the original entry does not (when
//!    refining an `Action` entry; a `NotAction` entry only ever narrows),
//!    decided exactly on the glob languages by [`crate::model::pattern::contains`],
//!    so the result never grants an action AWS adds later that the original
//!    did not.
//!
//! A prefix that matches only actions the catalog was extended with for the
//! run (unused actions the findings name and the catalog lacks) is not safe:
//! the catalog does not know their neighbours.
//!
//! When the safe prefix matches exactly one action, the action's own name is
//! written instead of `W*`: it allows the same today and nothing added
//! later. An action with no safe prefix is written as its exact name, which
//! the caller guarantees is allowed. Rule 1 makes the cover exact over the
//! catalog; rule 2 makes it safe beyond it.

use crate::model::catalog::{cmp_ignore_case, ActionId, ActionSet, Catalog};
use crate::model::fasthash::{FastMap, FastSet};
use crate::model::pattern::{self, Glob};
use crate::model::words;
use std::ops::Range;

/// Covers `targets` with entries that match only actions in `safe` (over the
/// catalog) and, when `bound` is given, only strings `bound` matches.
///
/// `targets` must be a subset of `safe`, and each target must match `bound`.
/// The result is sorted ignoring case, and no entry in it is covered by
/// another.
pub fn cover(
    catalog: &Catalog,
    targets: &ActionSet,
    safe: &ActionSet,
    bound: Option<&Glob>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut cache = Cache::default();
    for id in targets.iter() {
        let service = catalog.service_of(id);
        if cache.service != service {
            cache = Cache {
                service,
                ..Cache::default()
            };
        } else if cache.whole_service_written {
            // Every prefix list starts with the empty prefix, written for
            // an earlier target: nothing more to write in this service.
            continue;
        }
        if let Some(entry) = entry_for(catalog, id, safe, bound, &mut cache) {
            out.push(entry);
        }
    }
    tidy(out)
}

/// Per-service memo of prefix decisions: `Get` is tried for every `Get…`
/// action of a service, and its answer does not change. Keys borrow the
/// catalog's names, so a lookup allocates nothing; each decision keeps the
/// prefix's range of ids, within which the next longer prefix is searched.
/// Targets come in catalog order, so the prefixes of one are mostly those
/// of the one before: those are compared directly before any hashing.
#[derive(Default)]
struct Cache<'c> {
    service: &'c str,
    decided: Vec<(Decision, Range<u32>)>,
    index: FastMap<&'c str, usize>,
    /// The prefixes the previous target tried, with their decisions.
    recent: Vec<(&'c str, usize)>,
    /// Whether the empty prefix (the whole service) was written.
    whole_service_written: bool,
}

impl<'c> Cache<'c> {
    /// The decision for `prefix`, made by `decide` on first sight.
    fn decision(
        &mut self,
        prefix: &'c str,
        decide: impl FnOnce() -> (Decision, Range<u32>),
    ) -> usize {
        if let Some(&(_, at)) = self.recent.iter().find(|(p, _)| *p == prefix) {
            return at;
        }
        let decided = &mut self.decided;
        *self.index.entry(prefix).or_insert_with(|| {
            decided.push(decide());
            decided.len() - 1
        })
    }
}

/// What a prefix tried for one action turned out to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Decision {
    Unsafe,
    /// Safe, and its entry is not written yet.
    Safe,
    /// Safe, and its entry is already written.
    Written,
}

/// The entry covering one target: its shortest safe prefix, or its name.
/// `None` when that prefix's entry was already written for another target.
fn entry_for<'c>(
    catalog: &'c Catalog,
    id: ActionId,
    safe: &ActionSet,
    bound: Option<&Glob>,
    cache: &mut Cache<'c>,
) -> Option<String> {
    let service = catalog.service_of(id);
    let name = catalog.name(id);
    // The prefixes grow, so each one's range lies in the one before: the
    // empty prefix's is the whole service.
    let mut range = catalog.service(service).unwrap_or(id.0..id.0 + 1);
    let mut tried = Vec::new();
    let ends = std::iter::once(0).chain(words::word_ends_lazily(name));
    let mut result = None;
    let mut decided = false;
    for end in ends {
        let prefix = &name[..end];
        let at = cache.decision(prefix, || {
            let within = catalog.prefix_range_within(range.clone(), prefix);
            (
                decide(catalog, service, prefix, &within, safe, bound),
                within,
            )
        });
        tried.push((prefix, at));
        let (decision, within) = &mut cache.decided[at];
        range = within.clone();
        match *decision {
            Decision::Unsafe => continue,
            Decision::Written => {}
            Decision::Safe => {
                *decision = Decision::Written;
                cache.whole_service_written |= prefix.is_empty();
                result = Some(entry(catalog, service, prefix, &range));
            }
        }
        decided = true;
        break;
    }
    cache.recent = tried;
    match decided {
        true => result,
        false => Some(format!("{service}:{name}")),
    }
}

/// The entry for a safe prefix matching `range`: `svc:Prefix*`, or the
/// action's name when the prefix (other than the empty one) matches a
/// single action.
fn entry(catalog: &Catalog, service: &str, prefix: &str, range: &Range<u32>) -> String {
    if range.len() == 1 && !prefix.is_empty() {
        return catalog.full_name(ActionId(range.start));
    }
    format!("{service}:{prefix}*")
}

/// Whether `prefix`, which matches the ids `range` of `service`, is safe
/// (see the module documentation).
fn decide(
    catalog: &Catalog,
    service: &str,
    prefix: &str,
    range: &Range<u32>,
    safe: &ActionSet,
    bound: Option<&Glob>,
) -> Decision {
    if range.is_empty() || !safe.contains_range(range.start, range.end) {
        return Decision::Unsafe;
    }
    // The catalog vouches for a prefix only where it knows the actions: a
    // prefix that matches nothing but actions added for the run (unused
    // ones the findings name and the catalog lacks) would also match their
    // unknown neighbours, which may be used.
    let added = catalog.added();
    if !added.is_empty() && added.contains_range(range.start, range.end) {
        return Decision::Unsafe;
    }
    if bound.is_some_and(|bound| !pattern::contains_text(bound, &format!("{service}:{prefix}*"))) {
        return Decision::Unsafe;
    }
    Decision::Safe
}

/// Sorts entries ignoring case and drops any entry another one covers.
///
/// Cover entries are exact names and `prefix*` globs, so coverage is a
/// case-insensitive string-prefix test against the `prefix*` entries.
fn tidy(mut entries: Vec<String>) -> Vec<String> {
    entries.sort_by(|a, b| cmp_ignore_case(a, b).then_with(|| a.cmp(b)));
    entries.dedup_by(|b, a| a.eq_ignore_ascii_case(b));
    // The `prefix*` entries, lowercased. An entry is covered when one of
    // its own prefixes is among them (and it is not that `prefix*` itself):
    // a lookup per prefix length, instead of comparing every entry with
    // every star (quadratic for a statement refined from `"*"`).
    let stars: FastSet<String> = entries
        .iter()
        .filter_map(|entry| entry.strip_suffix('*'))
        .map(str::to_ascii_lowercase)
        .collect();
    // Only the lengths some star has are worth a lookup.
    let mut lengths: Vec<usize> = stars.iter().map(String::len).collect();
    lengths.sort_unstable();
    lengths.dedup();
    let mut lower = String::new();
    let mut covered = |entry: &str| {
        lower.clear();
        lower.extend(entry.chars().map(|c| c.to_ascii_lowercase()));
        let own = entry.ends_with('*').then(|| entry.len() - 1);
        lengths.iter().any(|&end| {
            end <= lower.len()
                && Some(end) != own
                && lower.is_char_boundary(end)
                && stars.contains(&lower[..end])
        })
    };
    entries
        .into_iter()
        .filter(|entry| !covered(entry))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::{AccessLevel, CatalogInfo};

    fn catalog(names: &[&str]) -> Catalog {
        let actions = names.iter().map(|full| {
            let (service, name) = full.split_once(':').unwrap();
            (service, name, AccessLevel::Read)
        });
        Catalog::from_actions(CatalogInfo::default(), actions)
    }

    fn set(catalog: &Catalog, names: &[&str]) -> ActionSet {
        let mut set = catalog.empty_set();
        for full in names {
            let (service, name) = full.split_once(':').unwrap();
            set.insert(catalog.find(service, name).unwrap());
        }
        set
    }

    #[test]
    fn both_describe_instance_actions_survive_a_sibling_being_unused() {
        let names = [
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceStatus",
            "ec2:DescribeInstanceAttribute",
            "ec2:DescribeInstanceSqlHaStates",
        ];
        let c = catalog(&names);
        let keep = set(&c, &names[..2]);
        let bound = Glob::new("ec2:Describe*");
        assert_eq!(
            cover(&c, &keep, &keep, Some(&bound)),
            ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"]
        );
    }

    #[test]
    fn prefixes_are_compared_as_strings_ignoring_case() {
        // `DescribeInstances*` also matches `DescribeInstanceStatus` (IAM
        // compares ignoring case), so when both are kept it is safe and least.
        let c = catalog(&[
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceStatus",
            "ec2:DescribeInstanceAttribute",
        ]);
        let keep = set(&c, &["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"]);
        let bound = Glob::new("ec2:Describe*");
        assert_eq!(
            cover(&c, &keep, &keep, Some(&bound)),
            ["ec2:DescribeInstances*"]
        );
    }

    #[test]
    fn a_string_prefix_is_unsafe_when_it_reaches_an_unkept_action() {
        let c = catalog(&[
            "acm:ListCertificate",
            "acm:ListCertificates",
            "acm:ListCertificateAuthorities",
        ]);
        let keep = set(
            &c,
            &["acm:ListCertificate", "acm:ListCertificateAuthorities"],
        );
        let bound = Glob::new("acm:*");
        assert_eq!(
            cover(&c, &keep, &keep, Some(&bound)),
            ["acm:ListCertificate", "acm:ListCertificateAuthorities"]
        );
    }

    #[test]
    fn the_bound_keeps_prefixes_inside_the_original_entry() {
        let c = catalog(&["s3:GetObject", "s3:GetObjectAcl", "s3:PutObject"]);
        let keep = set(&c, &["s3:GetObject", "s3:GetObjectAcl"]);
        // Unbounded (as for NotAction), `Get*` is safe over the catalog.
        assert_eq!(cover(&c, &keep, &keep, None), ["s3:Get*"]);
        // Inside `s3:GetObject*`, the shortest safe word prefix is GetObject.
        assert_eq!(
            cover(&c, &keep, &keep, Some(&Glob::new("s3:GetObject*"))),
            ["s3:GetObject*"]
        );
        // An infix entry admits a prefix only inside its language.
        assert_eq!(
            cover(&c, &keep, &keep, Some(&Glob::new("s3:*Object*"))),
            ["s3:GetObject*"]
        );
        // A suffix entry admits none: exact names.
        let get_object = set(&c, &["s3:GetObject"]);
        assert_eq!(
            cover(&c, &get_object, &get_object, Some(&Glob::new("s3:*Object"))),
            ["s3:GetObject"]
        );
    }

    #[test]
    fn a_wholly_kept_service_is_one_entry() {
        let c = catalog(&[
            "s3:GetObject",
            "s3:PutObject",
            "sqs:SendMessage",
            "sqs:ReceiveMessage",
            "sns:Publish",
        ]);
        let keep = set(
            &c,
            &[
                "s3:GetObject",
                "s3:PutObject",
                "sqs:SendMessage",
                "sns:Publish",
            ],
        );
        let star = Glob::new("*");
        assert_eq!(
            cover(&c, &keep, &keep, Some(&star)),
            ["s3:*", "sns:*", "sqs:SendMessage"]
        );
    }

    #[test]
    fn a_single_match_is_written_as_the_name() {
        let c = catalog(&[
            "s3:GetAccountPublicAccessBlock",
            "s3:GetAccessPoint",
            "s3:GetBucketAcl",
        ]);
        let keep = set(&c, &["s3:GetAccountPublicAccessBlock", "s3:GetAccessPoint"]);
        assert_eq!(
            cover(&c, &keep, &keep, Some(&Glob::new("s3:Get*"))),
            ["s3:GetAccessPoint", "s3:GetAccountPublicAccessBlock"]
        );
    }

    #[test]
    fn tidy_drops_covered_entries_and_duplicates() {
        let entries = [
            "s3:GetObjectAcl",
            "s3:GetObject*",
            "s3:GetObject",
            "s3:getobject*",
            "s3:Get*",
        ];
        assert_eq!(
            tidy(entries.iter().map(|s| s.to_string()).collect()),
            ["s3:Get*"]
        );
        let entries = ["s3:GetObject", "s3:GetObjectAcl"];
        assert_eq!(
            tidy(entries.iter().map(|s| s.to_string()).collect()),
            entries
        );
        // A star covers what starts with its prefix, not a longer service.
        let entries = ["s3-object-lambda:GetObject", "s3:*"];
        assert_eq!(
            tidy(entries.iter().map(|s| s.to_string()).collect()),
            entries
        );
        let entries = ["S3:GETOBJECT", "s3:get*"];
        assert_eq!(
            tidy(entries.iter().map(|s| s.to_string()).collect()),
            ["s3:get*"]
        );
    }
}

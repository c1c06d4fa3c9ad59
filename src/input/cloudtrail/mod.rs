//! Observed use from CloudTrail logs: which actions a principal used.
//!
//! Access Analyzer says what is *unused*; CloudTrail says what was *used*,
//! and refinement can start from either (unused = granted − used). This
//! module reads CloudTrail logs and answers with the used actions, over a
//! catalog; the caller turns that into an unused set.
//!
//! Reading errs on the side of "used" throughout, because the cost of the
//! two mistakes is not the same: counting something as used that was not
//! keeps a permission a little longer; counting something as unused that
//! was used breaks the principal in production. Hence:
//!
//! * **Any file that cannot be read is an error, and the whole read fails.**
//!   Its events would otherwise be silently missing, and every action only
//!   they used would look unused. The same goes for a file that is not
//!   CloudTrail, a gzip that does not decompress, and a path with no log
//!   files under it (a typo in a directory name should not empty a policy).
//! * **A failed call counts as use unless it was refused for lack of
//!   permission.** The errorCodes `AccessDenied`, `UnauthorizedOperation`
//!   and `Client.UnauthorizedOperation` mean the call was not authorized:
//!   not use ([`Trail::denied`]). Any other errorCode (`NoSuchBucket`,
//!   `ThrottlingException`, `ValidationException`, ...) comes from a request
//!   that got past authorization, so the permission was needed and is
//!   counted as used. (Some services spell denial differently, e.g.
//!   `AccessDeniedException`; those count as use, the safe side.)
//! * **An event that maps to no action is listed, never dropped**
//!   ([`Trail::unmapped`]), and an event naming an action the catalog lacks
//!   (newer than the catalog) is kept as used ([`Trail::used_unknown`]), so
//!   the caller can add it to the catalog and refinement keeps it.
//! * **`--principal` matches the identity the policy belongs to**: a user's
//!   own calls (`userIdentity.arn`), and the sessions issued for a role or
//!   user (`sessionContext.sessionIssuer.arn` of `AssumedRole` and
//!   `FederatedUser` identities: a federation token's calls are made with the
//!   issuing user's permissions, so leaving them out would drop used
//!   permissions). ARNs are compared exactly.
//!
//! Events that are not calls authorized by a policy, CloudTrail Insights
//! events and console sign-ins (`eventType` `AwsCloudTrailInsight`,
//! `AwsConsoleSignIn`), are counted apart ([`Trail::not_calls`]). Events AWS
//! services record on the principal's behalf (`AwsServiceEvent`) are read
//! like calls: with `--principal` they rarely match, and without it counting
//! them errs towards "used".
//!
//! Speed: files are read one at a time into one reused buffer and parsed
//! without building JSON trees, each event borrowed from the buffer and
//! handed on as soon as it is read (the forms accepted, and how, are in the
//! private `parse` module). Mapping an event to actions ([`map_event`]) is
//! done once per distinct (eventSource, eventName), so the per-event cost
//! beyond parsing is one hash lookup.

mod map;
mod parse;

pub use map::{map_event, renamed, service_prefix, strip_version, Mapping};

use crate::error::{InputError, Location};
use crate::input::findings::{Beyond, Resolved};
use crate::input::{time, usage};
use crate::model::catalog::{ActionSet, Catalog};
use parse::{text, Event, Form, Sink};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// The errorCodes of calls refused for lack of permission: not use.
pub const DENIED: &[&str] = &[
    "AccessDenied",
    "UnauthorizedOperation",
    "Client.UnauthorizedOperation",
];

/// The file names read when walking a directory, compared ignoring ASCII
/// case: CloudTrail delivers `.json.gz`; `.jsonl` and `.ndjson` are the
/// usual names of one-event-per-line exports. A file given by name is read
/// whatever its name. Compression is told by content (the gzip magic
/// bytes), not by name, so a `.json` that is really gzip reads fine.
pub const EXTENSIONS: &[&str] = &[
    ".json",
    ".json.gz",
    ".jsonl",
    ".jsonl.gz",
    ".ndjson",
    ".ndjson.gz",
];

/// What reading CloudTrail said.
///
/// The counts add up: `events = counted + denied + other_principal +
/// not_calls`. `counted` includes the unmapped events: they are use, of
/// something the catalog cannot name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trail {
    /// Catalog actions used, as `(service prefix, action name)` as the
    /// catalog spells them, without duplicates, in catalog order (by
    /// service, then by name ignoring case).
    pub used: Vec<(String, String)>,
    /// The same actions, as a set over the catalog the logs were read with.
    pub used_ids: ActionSet,
    /// Actions used that the catalog does not know, of services it does
    /// (probably newer than the catalog), sorted and without duplicates:
    /// the caller adds them to the catalog ([`Catalog::with_actions`]) so
    /// that refinement keeps them, and should name them in a warning.
    pub used_unknown: Vec<(String, String)>,
    /// Log files read (digest files included).
    pub files: u64,
    /// CloudTrail digest files met, which hold no events.
    pub digests: u64,
    /// Events read.
    pub events: u64,
    /// Events that counted as use: by the principal asked for (any, without
    /// one), and not denied.
    pub counted: u64,
    /// Events refused for lack of permission ([`DENIED`]): not use.
    pub denied: u64,
    /// Events skipped because they were made by another principal.
    pub other_principal: u64,
    /// Events that are not calls: Insights events and console sign-ins.
    pub not_calls: u64,
    /// The calls counted, one per distinct (eventSource, eventName), in the
    /// order first met: what each is use of, how many there were and when
    /// (what `refine replay` reports).
    pub calls: Vec<Call>,
    /// Counted events that map to no action at all (an eventSource outside
    /// `amazonaws.com` or missing, a service the catalog does not know), as
    /// `(eventSource, eventName, count)`, most frequent first, then by name:
    /// the caller lists them, since their use cannot be kept.
    pub unmapped: Vec<(String, String, u64)>,
}

impl Trail {
    /// The unused set: every action of `catalog` (the catalog the logs were
    /// read with) not used; used actions it does not know join it, as used.
    /// The principal read for, when given, is the one the findings would
    /// name (`resource`), so that another principal's inline policy is
    /// refused as with findings.
    pub fn resolve(&self, catalog: &Catalog, principal: Option<&str>) -> Resolved {
        let mut resolved = if self.used_unknown.is_empty() {
            let mut unused = ActionSet::full(catalog.len());
            unused.difference_with(&self.used_ids);
            Resolved {
                catalog: catalog.clone(),
                unused,
                beyond: Beyond::default(),
                warnings: Vec::new(),
                resource: None,
                newer_than_catalog: None,
            }
        } else {
            let mut known = self.used.clone();
            known.extend(self.used_unknown.iter().cloned());
            usage::from_used(catalog, &known, |c| {
                let mut set = c.empty_set();
                for (service, name) in &known {
                    if let Some(id) = c.find(service, name) {
                        set.insert(id);
                    }
                }
                set
            })
        };
        resolved.resource = principal.map(str::to_string);
        resolved
    }
}

/// The counted calls of one (eventSource, eventName).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Call {
    /// The eventSource, `s3.amazonaws.com`.
    pub source: String,
    /// The eventName, `GetObject`.
    pub name: String,
    /// The actions the call is use of ([`map_event`]).
    pub mapping: Mapping,
    /// How many calls.
    pub count: u64,
    /// The earliest and latest `eventTime` (seconds since the epoch, and
    /// as written), when the events carry one that reads.
    pub first: Option<(i64, String)>,
    /// See `first`.
    pub last: Option<(i64, String)>,
}

/// A CloudTrail file that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file (or the path given, for a walk that failed or found nothing).
    pub path: PathBuf,
    /// What is wrong, and where in the file when known: line and column for
    /// JSON errors, the line for an event of the wrong shape in a
    /// one-event-per-line file.
    pub input: InputError,
}

impl Error {
    fn new(path: &Path, message: impl Into<String>) -> Error {
        Error {
            path: path.to_path_buf(),
            input: InputError::whole(message),
        }
    }
}

impl fmt::Display for Error {
    /// `FILE:LINE:COL: message`, then `hint: ...` on a line of its own, as
    /// the command line prints every input error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        match self.input.location {
            Location::LineColumn(line, column) => write!(f, ":{line}:{column}")?,
            Location::Line(line) => write!(f, ":{line}")?,
            Location::Whole | Location::Path(_) => {}
        }
        write!(f, ": {}", self.input.message)?;
        if let Some(hint) = &self.input.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Reads the CloudTrail logs at `paths` and says what was used, over
/// `catalog`; with `principal`, only that principal's events count (see the
/// module documentation for what matches).
///
/// Each path is a file, read whatever its name, or a directory, walked in
/// file-name order without following symbolic links, reading the files
/// whose names end in one of [`EXTENSIONS`]. Files are read one at a time
/// into a buffer that is reused (gzip decompressed as it is read), so memory
/// stays at about the largest file's text whatever the total.
///
/// Fails on the first file that cannot be read or is not CloudTrail, and on
/// a directory with no log files, naming it: see the module documentation
/// for why a partial read is never returned.
pub fn read(paths: &[PathBuf], principal: Option<&str>, catalog: &Catalog) -> Result<Trail, Error> {
    read_with(paths, principal, catalog, &mut |_| {})
}

/// How many log files [`read`] would read under `paths` (for a progress
/// bar; files that cannot be listed are not counted).
pub fn count_files(paths: &[PathBuf]) -> usize {
    paths
        .iter()
        .flat_map(|path| walkdir::WalkDir::new(path).into_iter().flatten())
        .filter(|entry| {
            entry.file_type().is_file() && (entry.depth() == 0 || is_log_name(entry.file_name()))
        })
        .count()
}

/// [`read`], calling `done` after each file it has read.
pub fn read_with(
    paths: &[PathBuf],
    principal: Option<&str>,
    catalog: &Catalog,
    done: &mut dyn FnMut(&Path),
) -> Result<Trail, Error> {
    let mut tally = Tally::new(catalog, principal);
    let mut buffers = Buffers::default();
    for path in paths {
        let before = tally.files;
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            let entry = entry.map_err(|err| {
                // The I/O error alone: the path is printed in front already.
                let why = err
                    .io_error()
                    .map_or_else(|| err.to_string(), ToString::to_string);
                Error::new(err.path().unwrap_or(path), format!("cannot read: {why}"))
            })?;
            let given = entry.depth() == 0;
            if !entry.file_type().is_file() || !(given || is_log_name(entry.file_name())) {
                continue;
            }
            let data = buffers.load(entry.path())?;
            let form = parse::parse(data, &mut tally).map_err(|input| Error {
                path: entry.path().to_path_buf(),
                input,
            })?;
            tally.files += 1;
            tally.digests += u64::from(form == Form::Digest);
            done(entry.path());
        }
        if tally.files == before {
            let names = EXTENSIONS.join(", ");
            return Err(Error::new(
                path,
                format!("no CloudTrail log files here ({names})"),
            ));
        }
    }
    Ok(tally.finish())
}

/// Whether a file met in a walk is read, by its name.
fn is_log_name(name: &std::ffi::OsStr) -> bool {
    let name = name.as_encoded_bytes();
    EXTENSIONS.iter().any(|ext| {
        name.len() > ext.len()
            && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext.as_bytes())
    })
}

/// The buffer every file is read into, reused from file to file, so that
/// memory is the largest file's text however many files there are.
#[derive(Default)]
struct Buffers {
    /// The file's text, decompressed if it was gzip.
    text: Vec<u8>,
}

impl Buffers {
    /// The text of the file at `path`, decompressed if it is gzip (any
    /// number of members, as `cat a.gz b.gz` makes). Gzip is decompressed
    /// as it is read, so its compressed bytes are never held whole.
    fn load(&mut self, path: &Path) -> Result<&[u8], Error> {
        let cannot_read = |err: std::io::Error| Error::new(path, format!("cannot read: {err}"));
        self.text.clear();
        let file = std::fs::File::open(path).map_err(cannot_read)?;
        let size = file.metadata().map_err(cannot_read)?.len();
        let mut reader = std::io::BufReader::with_capacity(64 << 10, file);
        if !reader
            .fill_buf()
            .map_err(cannot_read)?
            .starts_with(&[0x1f, 0x8b])
        {
            self.text.reserve(usize::try_from(size).unwrap_or(0));
            reader.read_to_end(&mut self.text).map_err(cannot_read)?;
            return Ok(&self.text);
        }
        flate2::bufread::MultiGzDecoder::new(reader)
            .read_to_end(&mut self.text)
            .map_err(|err| Error::new(path, format!("cannot decompress (gzip): {err}")))?;
        Ok(&self.text)
    }
}

/// One distinct (eventSource, eventName) seen, with its actions.
struct Seen {
    source: Box<str>,
    name: Box<str>,
    mapping: Mapping,
    count: u64,
    first: Option<(i64, String)>,
    last: Option<(i64, String)>,
}

/// The running counts, and the mapping of each distinct event seen.
struct Tally<'c> {
    catalog: &'c Catalog,
    principal: Option<&'c str>,
    /// `eventSource \0 eventName` to an index into `seen`.
    index: HashMap<Box<str>, usize>,
    seen: Vec<Seen>,
    /// The key being looked up, reused so that a lookup allocates nothing.
    key: String,
    files: u64,
    digests: u64,
    events: u64,
    counted: u64,
    denied: u64,
    other_principal: u64,
    not_calls: u64,
}

impl<'c> Tally<'c> {
    fn new(catalog: &'c Catalog, principal: Option<&'c str>) -> Tally<'c> {
        Tally {
            catalog,
            principal,
            index: HashMap::new(),
            seen: Vec::new(),
            key: String::new(),
            files: 0,
            digests: 0,
            events: 0,
            counted: 0,
            denied: 0,
            other_principal: 0,
            not_calls: 0,
        }
    }

    /// Whether `event` was made by `principal` or by a session it issued.
    fn by(event: &Event<'_>, principal: &str) -> bool {
        let Some(identity) = &event.identity else {
            return false;
        };
        if text(&identity.arn) == Some(principal) {
            return true;
        }
        let issued = matches!(text(&identity.kind), Some("AssumedRole" | "FederatedUser"));
        let issuer = identity.session.as_ref().and_then(|s| s.issuer.as_ref());
        issued && issuer.is_some_and(|issuer| text(&issuer.arn) == Some(principal))
    }

    fn finish(self) -> Trail {
        let catalog = self.catalog;
        let mut used = catalog.empty_set();
        let mut used_unknown = BTreeSet::new();
        let mut unmapped = Vec::new();
        let mut calls = Vec::with_capacity(self.seen.len());
        for seen in self.seen {
            if seen.mapping.is_unmapped() {
                unmapped.push((seen.source.to_string(), seen.name.to_string(), seen.count));
            }
            for &id in &seen.mapping.actions {
                used.insert(id);
            }
            used_unknown.extend(seen.mapping.unknown.iter().cloned());
            calls.push(Call {
                source: seen.source.into(),
                name: seen.name.into(),
                mapping: seen.mapping,
                count: seen.count,
                first: seen.first,
                last: seen.last,
            });
        }
        unmapped.sort_by(|a: &(String, String, u64), b| {
            b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1)))
        });
        Trail {
            used_ids: used.clone(),
            used: used
                .iter()
                .map(|id| {
                    (
                        catalog.service_of(id).to_string(),
                        catalog.name(id).to_string(),
                    )
                })
                .collect(),
            used_unknown: used_unknown.into_iter().collect(),
            files: self.files,
            digests: self.digests,
            events: self.events,
            counted: self.counted,
            denied: self.denied,
            other_principal: self.other_principal,
            not_calls: self.not_calls,
            calls,
            unmapped,
        }
    }
}

impl Sink for Tally<'_> {
    fn event(&mut self, event: &Event<'_>) {
        self.events += 1;
        if matches!(
            text(&event.kind),
            Some("AwsCloudTrailInsight" | "AwsConsoleSignIn")
        ) {
            self.not_calls += 1;
            return;
        }
        if self
            .principal
            .is_some_and(|principal| !Tally::by(event, principal))
        {
            self.other_principal += 1;
            return;
        }
        if text(&event.error_code).is_some_and(|code| DENIED.contains(&code)) {
            self.denied += 1;
            return;
        }
        self.counted += 1;
        let source = text(&event.source).unwrap_or_default();
        let name = text(&event.name).unwrap_or_default();
        self.key.clear();
        self.key.push_str(source);
        self.key.push('\0');
        self.key.push_str(name);
        let at = match self.index.get(self.key.as_str()) {
            Some(&at) => at,
            None => {
                self.seen.push(Seen {
                    source: source.into(),
                    name: name.into(),
                    mapping: map_event(self.catalog, source, name),
                    count: 0,
                    first: None,
                    last: None,
                });
                self.index
                    .insert(self.key.as_str().into(), self.seen.len() - 1);
                self.seen.len() - 1
            }
        };
        let seen = &mut self.seen[at];
        seen.count += 1;
        let at = text(&event.time).and_then(|t| Some((time::parse_timestamp(t)?, t)));
        if let Some((when, written)) = at {
            if seen.first.as_ref().is_none_or(|(first, _)| when < *first) {
                seen.first = Some((when, written.to_string()));
            }
            if seen.last.as_ref().is_none_or(|(last, _)| when > *last) {
                seen.last = Some((when, written.to_string()));
            }
        }
    }
}

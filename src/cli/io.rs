//! Files, stdin and stdout for the command line: reading inputs as text,
//! naming places in them, and writing output completely or not at all.

use anyhow::{anyhow, bail, Context, Result};
use iam_refine::error::{InputError, JsonPath, Location};
use iam_refine::json;
use std::cell::OnceCell;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Stdout was closed by the reader (`refine ... | head -1`): not an error,
/// just the end of the run, quietly.
#[derive(Debug)]
pub(super) struct ClosedStdout;

impl std::fmt::Display for ClosedStdout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout closed")
    }
}

impl std::error::Error for ClosedStdout {}

/// An input file's name for messages and its text.
pub(super) struct Input {
    pub(super) name: String,
    pub(super) text: String,
    /// The text's span tree and line index, built on the first error or
    /// warning with a JSON path and kept for the others: a file with
    /// thousands of warnings is read once, not once per warning.
    spans: OnceCell<(Option<json::Value>, json::LineIndex)>,
}

impl Input {
    pub(super) fn new(name: String, text: String) -> Input {
        Input {
            name,
            text,
            spans: OnceCell::new(),
        }
    }

    /// The line and column of the value at `path` (or of the deepest part
    /// of it that exists); `None` when the text is not JSON.
    fn locate(&self, path: &JsonPath) -> Option<(usize, usize)> {
        let (tree, lines) = self.spans.get_or_init(|| {
            let tree = json::read::parse(&self.text).ok();
            (tree, json::LineIndex::new(&self.text))
        });
        let node = tree.as_ref()?.deepest(path);
        Some(lines.line_column(&self.text, node.span.start))
    }
}

/// How much of an input refine reads, and what to call it when it is more:
/// a bound on memory and work that also catches a wrong file early (a
/// 200 MB "policy" is not one).
#[derive(Clone, Copy)]
pub(super) struct Limit {
    bytes: u64,
    what: &'static str,
}

/// The most bytes a policy file may have.
pub(super) const POLICY_BYTES: u64 = 1 << 20;

/// A policy: IAM's largest is 10,240 characters; 1 MiB leaves room for any
/// layout and the API's wrappers.
pub(super) const POLICY: Limit = Limit {
    bytes: POLICY_BYTES,
    what: "a policy (IAM's largest has 10,240 characters)",
};

/// Findings, used lists, last-accessed data, catalogs.
pub(super) const DATA: Limit = Limit {
    bytes: 256 << 20,
    what: "this input",
};

/// A Terraform file: read whole for owners whatever its size (a generated
/// `cdk.tf.json` can be large), within this bound.
pub(super) const TERRAFORM: Limit = Limit {
    bytes: 64 << 20,
    what: "a Terraform file",
};

/// `get-account-authorization-details` output of a large account.
pub(super) const ACCOUNT: Limit = Limit {
    bytes: 4 << 30,
    what: "account authorization details",
};

/// Reads `arg` (a path, or `-` for stdin), at most `limit` bytes.
///
/// Only regular files are read (and stdin): a FIFO or a device given as a
/// file would block or never end.
pub(super) fn read_input(arg: impl AsRef<Path>, limit: Limit) -> Result<Input> {
    let (name, bytes) = read_bytes(arg.as_ref(), limit)?;
    let text = into_text(&name, bytes)?;
    Ok(Input::new(name, text))
}

/// [`read_input`], decompressing gzip (told by its magic bytes, not the
/// name; any number of members). At most `limit` bytes are read and, for
/// gzip, at most `limit` bytes decompressed: a small file cannot expand
/// without bound.
pub(super) fn read_maybe_gzip(arg: impl AsRef<Path>, limit: Limit) -> Result<Input> {
    let (name, bytes) = read_bytes(arg.as_ref(), limit)?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        let text = into_text(&name, bytes)?;
        return Ok(Input::new(name, text));
    }
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .take(limit.bytes + 1)
        .read_to_end(&mut plain)
        .map_err(|err| anyhow!("{name}: cannot decompress (gzip): {err}"))?;
    if plain.len() as u64 > limit.bytes {
        bail!(
            "{name}: decompresses to more than {} MiB, too large for {}",
            limit.bytes >> 20,
            limit.what
        );
    }
    let text = into_text(&name, plain)?;
    Ok(Input::new(name, text))
}

/// The name of `path` for messages and its bytes, at most `limit` of them.
fn read_bytes(path: &Path, limit: Limit) -> Result<(String, Vec<u8>)> {
    // Messages name the file as given, lossily when it is not UTF-8; it is
    // opened by its real path.
    let name = path.to_string_lossy();
    let arg = name.as_ref();
    let too_large = |name: &str| {
        anyhow!(
            "{name}: larger than {} MiB, too large for {}",
            limit.bytes >> 20,
            limit.what
        )
    };
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin()
            .take(limit.bytes + 1)
            .read_to_end(&mut bytes)
            .context("<stdin>: cannot read")?;
        if bytes.len() as u64 > limit.bytes {
            return Err(too_large("<stdin>"));
        }
        return Ok(("<stdin>".to_string(), bytes));
    }
    let metadata = std::fs::metadata(path).with_context(|| format!("{arg}: cannot read"))?;
    if metadata.is_dir() {
        bail!("{arg}: is a directory: expected a JSON file");
    }
    if !metadata.is_file() {
        bail!("{arg}: not a regular file (a FIFO or a device?): expected a JSON file\nhint: to read a stream, pass it on stdin as `-`");
    }
    if metadata.len() > limit.bytes {
        return Err(too_large(arg));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    std::fs::File::open(path)
        .and_then(|file| file.take(limit.bytes + 1).read_to_end(&mut bytes))
        .with_context(|| format!("{arg}: cannot read"))?;
    if bytes.len() as u64 > limit.bytes {
        return Err(too_large(arg));
    }
    Ok((arg.to_string(), bytes))
}

/// The bytes as UTF-8 text, or an error naming the first bad byte.
fn into_text(name: &str, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|err| {
        let at = err.utf8_error().valid_up_to();
        let (line, column) =
            json::line_column(std::str::from_utf8(&err.as_bytes()[..at]).unwrap_or(""), at);
        anyhow!("{name}:{line}:{column}: not UTF-8 text: expected a JSON file")
    })
}

/// `FILE[:LINE:COL]: message` for an error in `input`, plus its hint.
pub(super) fn describe(input: &Input, err: &InputError) -> String {
    let place = match &err.location {
        Location::Whole => String::new(),
        Location::LineColumn(line, column) => format!(":{line}:{column}"),
        Location::Line(line) => format!(":{line}"),
        Location::Path(path) => match input.locate(path) {
            Some((line, column)) => format!(":{line}:{column}"),
            None => String::new(),
        },
    };
    let path = match &err.location {
        Location::Path(path) if !path.segments().is_empty() => format!("{path}: "),
        _ => String::new(),
    };
    let mut text = format!("{}{place}: {path}{}", input.name, err.message);
    if let Some(hint) = &err.hint {
        text.push_str("\nhint: ");
        text.push_str(hint);
    }
    text
}

/// Writes `text` to `path` atomically, or to stdout.
///
/// A closed stdout (`refine ... | head -1`) ends the program quietly.
pub(super) fn emit(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(path) => write_atomic(path, text.as_bytes()),
        None => {
            let mut stdout = io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Err(ClosedStdout.into()),
                other => other.context("<stdout>: cannot write"),
            }
        }
    }
}

/// Writes a file so that it is either old or new, never partial: a temporary
/// file in the same directory, flushed to disk, then renamed over the target.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_all_atomic(&[Rewrite {
        path: path.to_path_buf(),
        new: bytes.to_vec(),
        old: Vec::new(),
    }])
}

/// One file to rewrite: its new bytes, and its old ones to put back if
/// the batch it is in fails after it was written.
pub(super) struct Rewrite {
    pub(super) path: PathBuf,
    pub(super) new: Vec<u8>,
    pub(super) old: Vec<u8>,
}

/// [`write_atomic`] for several files, as one step as far as the file
/// system allows: every new text is written to its temporary file and
/// flushed first, and only when all are ready are they renamed over their
/// files. A file that cannot be written (read-only, a full disk, a
/// directory that refuses new files) stops the batch before any file
/// changed. A rename that fails after others succeeded (an immutable file,
/// a sticky directory) puts the files already renamed back as they were,
/// and the error says so, or names those it could not put back.
pub(super) fn write_all_atomic(files: &[Rewrite]) -> Result<()> {
    let mut staged = Vec::with_capacity(files.len());
    for file in files {
        staged.push(stage(&file.path, &file.new)?);
    }
    let mut done: Vec<&Rewrite> = Vec::new();
    for ((path, dir, temp), file) in staged.into_iter().zip(files) {
        let renamed = temp
            .persist(&path)
            .map_err(|err| err.error)
            .and_then(|_| sync_dir(&dir));
        if let Err(err) = renamed {
            let name = path.display().to_string();
            return Err(match put_back(&done) {
                None => anyhow!("{name}: cannot write: {err}: no file changed"),
                Some(left) => anyhow!(
                    "{name}: cannot write: {err}; already rewritten and not put back: {left}"
                ),
            });
        }
        done.push(file);
    }
    Ok(())
}

/// Writes the old bytes of `files` back; the names of those it cannot,
/// if any.
fn put_back(files: &[&Rewrite]) -> Option<String> {
    let failed: Vec<String> = files
        .iter()
        .filter(|file| {
            stage(&file.path, &file.old)
                .and_then(|(path, _, temp)| temp.persist(&path).map_err(|err| err.error.into()))
                .is_err()
        })
        .map(|file| file.path.display().to_string())
        .collect();
    (!failed.is_empty()).then(|| failed.join(", "))
}

/// `bytes` in a flushed temporary file beside `path` (the file a link
/// points to, through a link), with `path`'s permissions, ready to be
/// renamed over it; with that path and its directory.
fn stage(path: &Path, bytes: &[u8]) -> Result<(PathBuf, PathBuf, tempfile::TempPath)> {
    // Through a symbolic link, the file it points to is rewritten; the link
    // stays a link.
    let resolved = std::fs::canonicalize(path).ok();
    let path = resolved.as_deref().unwrap_or(path);
    // A read-only file says "do not change me", even to a user who could.
    if std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly()) {
        bail!("{}: read-only: not rewritten", path.display());
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let result = (|| -> io::Result<tempfile::TempPath> {
        // An unpredictable name, created exclusively, in the same directory:
        // the rename is atomic, and nobody can plant the file first.
        let mut temp = temp_builder(".refine-", true).tempfile_in(dir)?;
        temp.write_all(bytes)?;
        // A file rewritten in place keeps its permissions.
        if let Ok(existing) = std::fs::metadata(path) {
            temp.as_file().set_permissions(existing.permissions())?;
        }
        temp.as_file().sync_all()?;
        // Closed, and deleted if the batch stops: a thousand files do not
        // hold a thousand descriptors.
        Ok(temp.into_temp_path())
    })();
    let temp = result.with_context(|| format!("{}: cannot write", path.display()))?;
    Ok((path.to_path_buf(), dir.to_path_buf(), temp))
}

/// A temporary file's builder: named `PREFIX...tmp`; when it becomes a
/// file (`becomes_file`), created as a new file would be (mode 0666 less
/// the umask, where modes exist), not tempfile's private 0600: a new
/// report or output must be readable as any file the user makes (a file
/// rewritten in place keeps its own mode).
fn temp_builder(prefix: &str, becomes_file: bool) -> tempfile::Builder<'_, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(".tmp");
    #[cfg(unix)]
    if becomes_file {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
}

/// Flushes a directory's entries to disk, so that a rename into it
/// survives a crash. Where directories cannot be opened for that (not
/// Unix), the rename is as durable as the platform makes it.
fn sync_dir(dir: &Path) -> io::Result<()> {
    match std::fs::File::open(dir) {
        Ok(handle) => handle.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// Prints an error as the command line does: `refine: ` and its first
/// line, then any further lines (the hint) indented.
pub(super) fn print_error(err: &anyhow::Error) {
    super::diag::error(&format!("{err:#}"));
}

/// Output written to a temporary file first, and moved into place (or
/// copied to stdout) only once complete: a run that fails half-way writes
/// nothing anywhere, and a large report never has to sit in memory. The
/// temporary file is removed if the output is dropped uncommitted.
pub(super) struct Staged {
    file: io::BufWriter<tempfile::NamedTempFile>,
    target: Option<PathBuf>,
}

impl Staged {
    /// Stages output for `target`, or for stdout when `None`.
    pub(super) fn new(target: Option<&Path>) -> Result<Staged> {
        let dir = match target.and_then(Path::parent) {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            Some(_) => PathBuf::from("."),
            None => std::env::temp_dir(),
        };
        let named =
            |path: Option<&Path>| path.map_or("<stdout>".to_string(), |p| p.display().to_string());
        // Output on its way to stdout stays private in the temporary
        // directory.
        let temp = temp_builder(".refine-output-", target.is_some())
            .tempfile_in(&dir)
            .with_context(|| format!("{}: cannot write", named(target)))?;
        Ok(Staged {
            file: io::BufWriter::new(temp),
            target: target.map(Path::to_path_buf),
        })
    }

    /// Where to write the output.
    pub(super) fn writer(&mut self) -> &mut io::BufWriter<tempfile::NamedTempFile> {
        &mut self.file
    }

    /// Moves the complete output into place, or copies it to stdout.
    pub(super) fn commit(self) -> Result<()> {
        let name = self
            .target
            .as_ref()
            .map_or("<stdout>".to_string(), |p| p.display().to_string());
        let temp = self
            .file
            .into_inner()
            .map_err(|err| err.into_error())
            .with_context(|| format!("{name}: cannot write"))?;
        match &self.target {
            Some(target) => {
                temp.as_file()
                    .sync_all()
                    .with_context(|| format!("{name}: cannot write"))?;
                temp.persist(target)
                    .map_err(|err| err.error)
                    .with_context(|| format!("{name}: cannot write"))?;
                let dir = match target.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir,
                    _ => Path::new("."),
                };
                sync_dir(dir).with_context(|| format!("{name}: cannot write"))?;
            }
            None => {
                let mut reader = temp.reopen().context("cannot read back the output")?;
                let mut stdout = io::stdout().lock();
                match io::copy(&mut reader, &mut stdout).and_then(|_| stdout.flush()) {
                    Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                        return Err(ClosedStdout.into())
                    }
                    other => other.map(drop).context("<stdout>: cannot write")?,
                }
            }
        }
        Ok(())
    }
}

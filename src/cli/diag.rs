//! Diagnostics on stderr: every line refine prints there goes through
//! [`emit`] (or [`located`], for `--check`), so that each message is its
//! own line of printable text, starting with its level.
//!
//! The library quotes what it takes from input ([`iam_refine::error::quote`]);
//! this is the net under that: any control character left in a message
//! (C0, C1, DEL, the Unicode line separators) is written as a JSON escape,
//! and a message's further lines (its hint) are indented, so no input can
//! forge a line that starts like refine's own or send a terminal escape
//! sequence.

use anstyle::{AnsiColor, Style};
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// Something failed.
    Error,
    /// Something to look at; the run goes on.
    Warning,
    /// What was skipped or assumed.
    Note,
    /// A note only `--verbose` shows.
    Info,
}

impl Level {
    /// The label a line starts with.
    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note | Level::Info => "note",
        }
    }
}

/// Prints `message` at `level`: `LEVEL: MESSAGE` (`error`, `warning`,
/// `note`), as cargo does, and when the message ends in `\nhint: HINT`,
/// the hint on a second line, indented. No other line break survives: one
/// in the message is input that escaped quoting, and is written as `\n`
/// like any other control character. A warning or note said before in
/// this run is not said again ([`repeated`] counts it); with `--quiet`
/// only errors are said, and an [`Level::Info`] note only with
/// `--verbose`.
pub(super) fn emit(level: Level, message: &str) {
    if captured(Said::Emit(level, message.to_string())) {
        return;
    }
    if !shown(level) || !first_time(level, message) {
        return;
    }
    write(&format!("{}: ", label(level.name())), message);
}

/// One diagnostic held back by [`capture`], to be said by [`replay`].
#[derive(Debug, Clone)]
pub(super) enum Said {
    Emit(Level, String),
    Located(String, String),
}

thread_local! {
    /// What this thread says while it works under [`capture`].
    static CAPTURED: std::cell::RefCell<Option<Vec<Said>>> = const { std::cell::RefCell::new(None) };
}

/// Keeps `said` for [`capture`] when this thread is capturing.
fn captured(said: Said) -> bool {
    CAPTURED.with(|captured| match captured.borrow_mut().as_mut() {
        Some(list) => {
            list.push(said);
            true
        }
        None => false,
    })
}

/// Runs `work`, holding back what it says: work done on several threads
/// says it in order afterwards ([`replay`]), so stderr reads as one thread
/// would have written it, repeats and `--quiet` decided at that point.
pub(super) fn capture<T>(work: impl FnOnce() -> T) -> (T, Vec<Said>) {
    let outer = CAPTURED.with(|captured| captured.borrow_mut().replace(Vec::new()));
    let done = work();
    let said = CAPTURED.with(|captured| std::mem::replace(&mut *captured.borrow_mut(), outer));
    (done, said.unwrap_or_default())
}

/// What this thread's [`capture`] has held back so far, taken: for work
/// that interleaves its own messages with others' held back elsewhere.
pub(super) fn take_captured() -> Vec<Said> {
    CAPTURED.with(|captured| {
        captured
            .borrow_mut()
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    })
}

/// Says what [`capture`] held back, in order.
pub(super) fn replay(said: Vec<Said>) {
    for said in said {
        match said {
            Said::Emit(level, message) => emit(level, &message),
            Said::Located(place, message) => located(&place, &message),
        }
    }
}

/// A line of `--check`: `PLACE: error: MESSAGE`, the place first, as
/// compilers write it, so that editors and CI problem matchers read it.
/// Said even with `--quiet`: it is what the gate found.
pub(super) fn located(place: &str, message: &str) {
    if captured(Said::Located(place.to_string(), message.to_string())) {
        return;
    }
    write(
        &format!("{}: {}: ", sanitize(place), label("error")),
        message,
    );
}

/// The closing line of `--check`: a note said even with `--quiet`, since
/// it sums up what the gate found.
pub(super) fn verdict(message: &str) {
    write(&format!("{}: ", label("note")), message);
}

/// Whether the levels are written in colour: `--color`, or on a terminal
/// unless NO_COLOR says otherwise.
static COLOR: AtomicBool = AtomicBool::new(false);

/// Sets whether stderr's levels are coloured.
pub(super) fn set_color(color: bool) {
    COLOR.store(color, Ordering::Relaxed);
}

/// A level's name, in its colour when stderr has colour (as cargo's:
/// errors red, warnings yellow, notes green; bold).
fn label(name: &str) -> String {
    if !COLOR.load(Ordering::Relaxed) {
        return name.to_string();
    }
    let colour = match name {
        "error" => AnsiColor::Red,
        "warning" => AnsiColor::Yellow,
        _ => AnsiColor::Green,
    };
    let style = Style::new().bold().fg_color(Some(colour.into()));
    format!("{style}{name}{style:#}")
}

/// Writes `prefix` and `message` (its hint on a line of its own).
fn write(prefix: &str, message: &str) {
    // The last one: a hint is always appended after the message.
    let (body, hint) = match message.rsplit_once("\nhint: ") {
        Some((body, hint)) => (body, Some(hint)),
        None => (message, None),
    };
    let mut text = format!("{prefix}{}\n", sanitize(body));
    if let Some(hint) = hint {
        text.push_str(&format!("  hint: {}\n", sanitize(hint)));
    }
    // One write per message, so that lines from parallel work never mix;
    // a closed stderr leaves nothing to tell. Above a progress bar.
    super::progress::around(|| {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    });
}

/// How much refine says on stderr: `--quiet` (0), by default (1),
/// `--verbose` (2).
static VERBOSITY: AtomicU8 = AtomicU8::new(1);

/// Warnings and notes said so far, and how often each came again.
static SAID: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

/// Sets how much refine says: `-q` and `-v` as given.
pub(super) fn set_verbosity(quiet: bool, verbose: bool) {
    let level = match (quiet, verbose) {
        (true, _) => 0,
        (false, true) => 2,
        (false, false) => 1,
    };
    VERBOSITY.store(level, Ordering::Relaxed);
}

/// Whether a progress bar may show: not with `--quiet`.
pub(super) fn shows_progress() -> bool {
    VERBOSITY.load(Ordering::Relaxed) >= 1
}

fn shown(level: Level) -> bool {
    let verbosity = VERBOSITY.load(Ordering::Relaxed);
    match level {
        Level::Error => true,
        Level::Warning | Level::Note => verbosity >= 1,
        Level::Info => verbosity >= 2,
    }
}

/// Whether `message` is said for the first time (errors always are).
fn first_time(level: Level, message: &str) -> bool {
    if level == Level::Error {
        return true;
    }
    let mut said = SAID.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let count = said
        .get_or_insert_with(HashMap::new)
        .entry(format!("{}{message}", level.name()))
        .or_insert(0);
    *count += 1;
    *count == 1
}

/// Once, at the end of a run: how many warnings and notes were said again
/// and left out.
pub(super) fn repeated() {
    let said = SAID.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let again: usize = said
        .iter()
        .flat_map(|map| map.values())
        .map(|n| n - 1)
        .sum();
    drop(said);
    if again > 0 {
        emit(
            Level::Note,
            &format!(
                "{again} repeated warning{} or note{} left out (each was said once)",
                if again == 1 { "" } else { "s" },
                if again == 1 { "" } else { "s" }
            ),
        );
    }
}

/// A warning.
pub(super) fn warning(message: &str) {
    emit(Level::Warning, message);
}

/// A note.
pub(super) fn note(message: &str) {
    emit(Level::Note, message);
}

/// A note said only with `--verbose`: what a routine run need not hear
/// (files skipped in a walk, counts).
pub(super) fn info(message: &str) {
    emit(Level::Info, message);
}

/// An error.
pub(super) fn error(message: &str) {
    emit(Level::Error, message);
}

/// `text` with every control character, line breaks included, written as
/// a JSON escape; `\` is left alone, since text the library escaped already
/// doubled it.
fn sanitize(text: &str) -> String {
    let unsafe_char = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    if !text.chars().any(unsafe_char) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\t' => "\\t".to_string(),
            '\r' => "\\r".to_string(),
            '\n' => "\\n".to_string(),
            c if unsafe_char(c) => format!("\\u{:04x}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn control_characters_are_escaped_and_backslashes_kept() {
        assert_eq!(
            sanitize("a\u{1b}[31mb\u{0}c\u{9b}d"),
            "a\\u001b[31mb\\u0000c\\u009bd"
        );
        assert_eq!(sanitize("tab\there\r"), "tab\\there\\r");
        assert_eq!(sanitize("s3:Get\\nX é"), "s3:Get\\nX é");
        assert_eq!(sanitize("forged\nrefine: ok"), "forged\\nrefine: ok");
        // A backslash beside a control character stays one backslash.
        assert_eq!(sanitize("a\\b\u{7}"), "a\\b\\u0007");
    }
}

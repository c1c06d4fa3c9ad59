//! Diagnostics on stderr: every line refine prints there goes through
//! [`emit`], so that each message is its own line of printable text.
//!
//! The library quotes what it takes from input ([`iam_refine::error::quote`]);
//! this is the net under that: any control character left in a message
//! (C0, C1, DEL, the Unicode line separators) is written as a JSON escape,
//! and a message's further lines (its hint) are indented, so no input can
//! forge a line that starts like refine's own or send a terminal escape
//! sequence.

use std::io::Write;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// Something failed.
    Error,
    /// Something to look at; the run goes on.
    Warning,
    /// What was skipped or assumed.
    Note,
}

/// Prints `message` at `level`: `refine: [warning: |note: ]MESSAGE`, and
/// when the message ends in `\nhint: HINT`, the hint on a second line,
/// indented. No other line break survives: one in the message is input
/// that escaped quoting, and is written as `\n` like any other control
/// character.
pub(super) fn emit(level: Level, message: &str) {
    let label = match level {
        Level::Error => "",
        Level::Warning => "warning: ",
        Level::Note => "note: ",
    };
    // The last one: a hint is always appended after the message.
    let (body, hint) = match message.rsplit_once("\nhint: ") {
        Some((body, hint)) => (body, Some(hint)),
        None => (message, None),
    };
    let mut text = format!("refine: {label}{}\n", sanitize(body));
    if let Some(hint) = hint {
        text.push_str(&format!("  hint: {}\n", sanitize(hint)));
    }
    // One write per message, so that lines from parallel work never mix;
    // a closed stderr leaves nothing to tell.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A warning.
pub(super) fn warning(message: &str) {
    emit(Level::Warning, message);
}

/// A note.
pub(super) fn note(message: &str) {
    emit(Level::Note, message);
}

/// An error (printed without a label, as refine's errors always were).
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
    }
}

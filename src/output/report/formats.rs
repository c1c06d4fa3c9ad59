//! `--format github` and `--format text`: for CI logs and for people.

use super::sarif::severity;
use super::{level_key, totals, worst, FileReport, READMITTED};
use crate::error::{escape, quote};
use crate::input::findings::abbreviate;
use crate::input::policy::ActionKey;
use crate::model::catalog::AccessLevel;
use anstyle::{AnsiColor, Style};

/// GitHub Actions workflow commands, one per entry:
/// `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=...::message`
/// (`::warning` for the levels SARIF calls warnings), which GitHub shows as
/// annotations on the pull request; a `::notice` for each policy not
/// checked.
pub fn github(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for report in reports {
        if let Some(text) = report.not_checked_text() {
            out.push_str(&format!(
                "::notice file={}{},title={}::{}\n",
                property(&escape(&report.path)),
                report
                    .line
                    .map_or_else(String::new, |line| format!(",line={line}")),
                property("refine: not-checked"),
                data(&text)
            ));
        }
        for readmitted in &report.readmitted {
            let message = match &report.policy {
                Some(place) => format!("{place}: {}", readmitted.summary()),
                None => readmitted.summary(),
            };
            out.push_str(&format!(
                "::notice file={},line={},col={},title={}::{}\n",
                property(&escape(&report.path)),
                readmitted.region.start_line,
                readmitted.region.start_column,
                property(&format!("refine: {READMITTED}")),
                data(&message)
            ));
        }
        for entry in &report.entries {
            let level = worst(entry);
            let names: Vec<String> = entry.unused.iter().map(|(a, _)| a.clone()).collect();
            let what = match entry.beyond_catalog {
                true => entry.summary(),
                false => format!(
                    "{} grants {} unused action{} ({}): {}",
                    quote(&entry.entry),
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    level_counts(&entry.unused),
                    abbreviate(&names),
                ),
            };
            let replacement = match (entry.replacement.is_empty(), entry.replaced_by()) {
                (true, _) => "nothing".to_string(),
                (false, ActionKey::Action) => entry.replacement.join(", "),
                (false, ActionKey::NotAction) => {
                    format!("NotAction {}", entry.replacement.join(", "))
                }
            };
            let message = match &report.policy {
                Some(place) => format!("{place}: {what}. Replace with: {replacement}"),
                None => format!("{what}. Replace with: {replacement}"),
            };
            out.push_str(&format!(
                "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                severity(level),
                property(&escape(&report.path)),
                entry.region.start_line,
                entry.region.start_column,
                entry.region.end_line,
                entry.region.end_column,
                property(&format!("refine: unused-{}", level_key(level))),
                data(&message)
            ));
        }
    }
    out
}

/// A workflow command's message, escaped.
pub(crate) fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value, escaped.
pub(crate) fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// "Read 20, List 2", most severe level first.
pub fn level_counts(unused: &[(String, AccessLevel)]) -> String {
    let mut counts: Vec<(AccessLevel, usize)> = Vec::new();
    for (_, level) in unused {
        match counts.iter_mut().find(|(l, _)| l == level) {
            Some((_, n)) => *n += 1,
            None => counts.push((*level, 1)),
        }
    }
    let rank = |level: &AccessLevel| {
        super::LEVELS
            .iter()
            .position(|(_, l)| l == level)
            .unwrap_or(0)
    };
    counts.sort_by_key(|(level, _)| rank(level));
    counts
        .iter()
        .map(|(level, n)| format!("{} {n}", level.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The end of the text summary: a line per policy not checked, and the
/// counts (for more than one policy, or when none grants unused actions).
fn closing(reports: &[FileReport], with_unused: usize, bold: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let unchecked: Vec<&FileReport> = reports.iter().filter(|r| r.not_checked.is_some()).collect();
    for report in &unchecked {
        let text = report.not_checked_text().unwrap_or_default();
        out.push_str(&format!(
            "{}: {}\n",
            bold(&escape(&report.path)),
            escape(&text)
        ));
    }
    let checked = reports.len() - unchecked.len();
    if reports.len() > 1 || with_unused == 0 {
        let not_checked = match unchecked.len() {
            0 => String::new(),
            n => format!(", {n} not checked"),
        };
        out.push_str(&format!(
            "{checked} polic{} checked, {with_unused} grant{} unused actions{not_checked}\n",
            if checked == 1 { "y" } else { "ies" },
            if with_unused == 1 { "s" } else { "" }
        ));
    }
    out
}

/// A short summary for people: per policy, what goes, by service and
/// access level; colour (bold names, red for write and permissions
/// management, yellow for the rest) when `color` is set.
pub fn text(reports: &[FileReport], color: bool) -> String {
    let paint = |style: Style, text: &str| match color {
        true => format!("{style}{text}{style:#}"),
        false => text.to_string(),
    };
    let bold = Style::new().bold();
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    let mut out = String::new();
    let mut with_unused = 0;
    for report in reports
        .iter()
        .filter(|r| !r.entries.is_empty() || r.grants_nothing)
    {
        with_unused += 1;
        let one = std::slice::from_ref(report);
        let actions: usize = report.entries.iter().map(|e| e.unused.len()).sum();
        let name = match &report.policy {
            Some(place) => format!("{} ({})", report.path, place),
            None => report.path.clone(),
        };
        out.push_str(&format!(
            "{}: {actions} unused action{} in {} entr{}\n",
            paint(bold, &escape(&name)),
            if actions == 1 { "" } else { "s" },
            report.entries.len(),
            if report.entries.len() == 1 {
                "y"
            } else {
                "ies"
            }
        ));
        let services = totals(one);
        let width = services.iter().map(|(s, _)| s.len()).max().unwrap_or(0);
        for (service, mut levels) in services {
            let rank = |level: &AccessLevel| {
                super::LEVELS
                    .iter()
                    .position(|(_, l)| l == level)
                    .unwrap_or(0)
            };
            levels.sort_by_key(|(level, _)| rank(level));
            let parts: Vec<String> = levels
                .iter()
                .map(|(level, n)| {
                    let style = if severity(*level) == "error" {
                        red
                    } else {
                        yellow
                    };
                    paint(style, &format!("{} {n}", level.name()))
                })
                .collect();
            out.push_str(&format!("  {service:<width$}  {}\n", parts.join(", ")));
        }
        let wildcards: Vec<&str> = report
            .entries
            .iter()
            .flat_map(|e| &e.wildcards)
            .map(String::as_str)
            .collect();
        if !wildcards.is_empty() {
            out.push_str(&format!(
                "  new wildcards, which also match actions AWS adds later (--exact avoids them): {}\n",
                wildcards.join(", ")
            ));
        }
        for readmitted in &report.readmitted {
            out.push_str(&format!(
                "  statement {}: {}\n",
                readmitted.statement,
                paint(yellow, &readmitted.summary())
            ));
        }
        if report.grants_nothing {
            out.push_str(&format!(
                "  {}\n",
                paint(red, "grants nothing used: detach it")
            ));
        }
    }
    out.push_str(&closing(reports, with_unused, &|text| paint(bold, text)));
    out
}

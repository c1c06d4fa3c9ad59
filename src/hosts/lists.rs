//! Lists and scalars rewritten in a template's own style: see the layout
//! rules in [`super::splice`].

use crate::hosts::json_splice::{self, RewriteError, Splice};
use crate::hosts::view::StatementPlace;
use crate::hosts::Syntax;
use crate::json::{Kind, Member, Value};

/// One entry of a rewritten list: an entry kept (by its index in the
/// written list) or a new one, as text.
pub(crate) struct Piece {
    pub(crate) kept: Option<usize>,
    pub(crate) text: String,
}

/// The rewritten list: unevaluated entries where they are, literal
/// entries that stay where they are, new ones before the kept entry that
/// follows them in `entries` (or after the last literal entry).
pub(crate) fn merge(
    text: &str,
    items: &[Value],
    place: &StatementPlace,
    entries: &[String],
    style: Style,
) -> Vec<Piece> {
    let literal: Vec<usize> = (0..items.len())
        .filter(|i| !place.opaque.contains(i))
        .collect();
    let keeps = kept_entries(text, items, &literal, entries);
    let mut before: Vec<Vec<String>> = vec![Vec::new(); items.len()];
    let mut pending = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        match keeps[n] {
            Some(i) => before[i].append(&mut pending),
            None => pending.push(style.quote(entry)),
        }
    }
    let last_literal = literal.last().copied();
    let mut pieces = Vec::new();
    for (i, item) in items.iter().enumerate() {
        pieces.extend(before[i].drain(..).map(|text| Piece { kept: None, text }));
        if place.opaque.contains(&i) || keeps.contains(&Some(i)) {
            pieces.push(Piece {
                kept: Some(i),
                text: text[item.span.start..item.span.end].to_string(),
            });
        }
        if Some(i) == last_literal {
            pieces.extend(pending.drain(..).map(|text| Piece { kept: None, text }));
        }
    }
    pieces
}

/// Which written literal entry each refined entry keeps (`None`: a new
/// one): the most written entries that can stay in the refined order
/// (which the rewrite must keep), an entry with a comment after it
/// counting double, so that its comment stays where it can.
fn kept_entries(
    text: &str,
    items: &[Value],
    literal: &[usize],
    entries: &[String],
) -> Vec<Option<usize>> {
    let weight = |i: usize| {
        let end = text[items[i].span.end..]
            .find('\n')
            .map_or(text.len(), |e| items[i].span.end + e);
        let rest = &text[items[i].span.end..end];
        1 + usize::from(rest.contains('#') || rest.contains("//"))
    };
    let (n, m) = (literal.len(), entries.len());
    if n.saturating_mul(m) > 1 << 20 {
        return kept_in_order(items, literal, entries);
    }
    // best[a][b]: the most weight keeping among literal[a..] and entries[b..].
    let mut best = vec![vec![0usize; m + 1]; n + 1];
    for a in (0..n).rev() {
        for b in (0..m).rev() {
            let skip = best[a + 1][b].max(best[a][b + 1]);
            let same = items[literal[a]].as_str() == Some(entries[b].as_str());
            best[a][b] = match same {
                true => skip.max(weight(literal[a]) + best[a + 1][b + 1]),
                false => skip,
            };
        }
    }
    let mut keeps = vec![None; m];
    let (mut a, mut b) = (0, 0);
    while a < n && b < m {
        let same = items[literal[a]].as_str() == Some(entries[b].as_str());
        if same && best[a][b] == weight(literal[a]) + best[a + 1][b + 1] {
            keeps[b] = Some(literal[a]);
            a += 1;
            b += 1;
        } else if best[a][b] == best[a + 1][b] {
            a += 1;
        } else {
            b += 1;
        }
    }
    keeps
}

/// [`kept_entries`] for lists too long to weigh every pair: each refined
/// entry keeps the next written one of its text.
fn kept_in_order(items: &[Value], literal: &[usize], entries: &[String]) -> Vec<Option<usize>> {
    let mut keeps = vec![None; entries.len()];
    let mut next = 0;
    for (n, entry) in entries.iter().enumerate() {
        if let Some(found) = literal[next..]
            .iter()
            .position(|&i| items[i].as_str() == Some(entry))
        {
            keeps[n] = Some(literal[next + found]);
            next += found + 1;
        }
    }
    keeps
}

/// A flow list of `pieces` in the style of `list`: its opening and
/// padding, its separator, its closing; a comment after an entry that
/// stays (`[\n  a,   # why\n  b\n]`) stays after it, and goes with an entry
/// that goes.
pub(crate) fn flow_list(text: &str, list: &Value, pieces: &[Piece]) -> String {
    let items = list.as_array().unwrap_or_default();
    let (Some(first), Some(_)) = (items.first(), items.last()) else {
        let texts: Vec<&str> = pieces.iter().map(|p| p.text.as_str()).collect();
        return format!("[{}]", texts.join(", "));
    };
    if pieces.is_empty() {
        return "[]".to_string();
    }
    let open = &text[list.span.start..first.span.start];
    // What follows each item: a separator (or the closing), maybe with a
    // comment.
    let after: Vec<(String, Option<&str>)> = (0..items.len())
        .map(|i| {
            let end = items
                .get(i + 1)
                .map_or(list.span.end, |next| next.span.start);
            let gap = &text[items[i].span.end..end];
            // After the last item, only a comment before the closing
            // bracket is the item's; one after it is the list's.
            match (i + 1 == items.len(), gap.rfind(']')) {
                (true, Some(bracket)) => {
                    let (clean, comment) = split_comment(&gap[..bracket]);
                    (format!("{clean}{}", &gap[bracket..]), comment)
                }
                _ => split_comment(gap),
            }
        })
        .collect();
    let separator = match items.get(1) {
        Some(_) => after[0].0.clone(),
        None if open.contains('\n') => format!(",{}", &open[1..]),
        None => ", ".to_string(),
    };
    let close = &after[items.len() - 1].0;
    let mut out = open.to_string();
    for (k, piece) in pieces.iter().enumerate() {
        out.push_str(&piece.text);
        let follow = match k + 1 == pieces.len() {
            true => close.as_str(),
            false => separator.as_str(),
        };
        let comment = piece.kept.and_then(|i| after[i].1);
        match (comment, follow.find('\n')) {
            (Some(comment), Some(newline)) => {
                out.push_str(&follow[..newline]);
                out.push_str(comment);
                out.push_str(&follow[newline..]);
            }
            _ => out.push_str(follow),
        }
    }
    out
}

/// A flow list written one entry per line, `[` and `]` on lines of their
/// own, rewritten line by line as a block list is: the lines of entries
/// that stay and every comment line keep their place, entries that go
/// take their line, new ones take the first entry's indentation; then
/// commas are put after every entry but the last (and after the last too
/// when the list had a trailing comma). `None` for other layouts.
pub(crate) fn flow_lines(
    text: &str,
    list: &Value,
    items: &[Value],
    pieces: &[Piece],
) -> Option<String> {
    let line_start = |pos: usize| text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line_end = |pos: usize| text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
    let blank = |from: usize, to: usize| text[from..to].bytes().all(|b| b == b' ' || b == b'\t');
    let (first, last) = (items.first()?, items.last()?);
    let close = list.span.end.checked_sub(1)?;
    let head_end = line_end(list.span.start);
    if !text[list.span.start + 1..head_end].trim().is_empty()
        || !blank(line_start(close), close)
        || items
            .iter()
            .any(|item| !blank(line_start(item.span.start), item.span.start))
        || items
            .windows(2)
            .any(|w| line_end(w[0].span.end) > w[1].span.start)
        || line_end(last.span.end) > close
    {
        return None;
    }
    let indent = &text[line_start(first.span.start)..first.span.start];
    // New lines end as the list's lines do.
    let newline = match text[list.span.start..list.span.end].contains("\r\n") {
        true => "\r\n",
        false => "\n",
    };
    let trailing = text[last.span.end..line_end(last.span.end)]
        .trim_start()
        .starts_with(',');
    // Each entry's line as (text before the comma, text after it).
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut out_other: Vec<(usize, String)> = Vec::new();
    let mut cursor = head_end;
    let mut p = 0;
    for (i, item) in items.iter().enumerate() {
        let start = line_start(item.span.start);
        if cursor < start {
            out_other.push((lines.len(), text[cursor..start].to_string()));
        }
        while p < pieces.len() && pieces[p].kept.is_none_or(|k| k <= i) {
            match pieces[p].kept {
                Some(k) if k == i => {
                    // What follows the entry, without its comma (a
                    // comment keeps the blanks before it).
                    let rest = &text[item.span.end..line_end(item.span.end)];
                    let rest = match rest.trim_start_matches([' ', '\t']).strip_prefix(',') {
                        Some(after) => after,
                        None => rest,
                    };
                    lines.push((text[start..item.span.end].to_string(), rest.to_string()));
                }
                Some(_) => {}
                None => lines.push((format!("{indent}{}", pieces[p].text), newline.to_string())),
            }
            p += 1;
        }
        cursor = line_end(item.span.end);
    }
    let mut out = text[list.span.start..head_end].to_string();
    let count = lines.len();
    let mut others = out_other.into_iter().peekable();
    for (n, (entry, rest)) in lines.into_iter().enumerate() {
        while let Some((_, other)) = others.next_if(|(at, _)| *at <= n) {
            out.push_str(&other);
        }
        out.push_str(&entry);
        if n + 1 < count || trailing {
            out.push(',');
        }
        out.push_str(&rest);
    }
    for (_, other) in others {
        out.push_str(&other);
    }
    out.push_str(&text[cursor.max(head_end)..list.span.end]);
    Some(out)
}

/// `gap` without its comment (and the blanks before it), and the comment
/// with those blanks.
pub(crate) fn split_comment(gap: &str) -> (String, Option<&str>) {
    // From the first comment to the end of the last one's line: a comment
    // after the entry, then comment lines, all go with it.
    let (Some(first), Some(last)) = (gap.find('#'), gap.rfind('#')) else {
        return (gap.to_string(), None);
    };
    let eol = gap[last..].find('\n').map_or(gap.len(), |e| last + e);
    let before = gap[..first].trim_end_matches([' ', '\t']);
    // A comment on a line of its own keeps that line.
    let from = match before.ends_with('\n') {
        true => before.len() - 1,
        false => before.len(),
    };
    let from = match gap[..from].ends_with('\r') {
        true => from - 1,
        false => from,
    };
    let clean = format!("{}{}", &gap[..from], &gap[eol..]);
    (clean, Some(&gap[from..eol]))
}

/// The lines of a block list rewritten to `pieces`: one splice over the
/// list's lines, keeping kept entries' lines and the lines between.
pub(crate) fn block_splices(
    text: &str,
    items: &[Value],
    pieces: &[Piece],
) -> Result<Vec<Splice>, RewriteError> {
    let units = items
        .iter()
        .map(|item| block_unit(text, item))
        .collect::<Result<Vec<_>, _>>()?;
    let (Some(first), Some(last)) = (units.first(), units.last()) else {
        return Err(RewriteError::new("an empty block list"));
    };
    if pieces.is_empty() {
        return Err(RewriteError::new("a block list left empty"));
    }
    let dash = dash_of(text, &items[0])?;
    let indent = &text[first.0..dash];
    let spacing = &text[dash..items[0].span.start];
    let newline = if text[first.0..first.1].ends_with("\r\n")
        || (!text[first.0..first.1].ends_with('\n') && text.contains("\r\n"))
    {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = String::new();
    let mut cursor = first.0;
    let mut p = 0;
    for (i, unit) in units.iter().enumerate() {
        out.push_str(&text[cursor..unit.0]);
        while p < pieces.len() && pieces[p].kept.is_none_or(|k| k <= i) {
            match pieces[p].kept {
                Some(k) if k == i => out.push_str(&text[unit.0..unit.1]),
                Some(_) => {}
                None => {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push_str(newline);
                    }
                    out.push_str(&format!("{indent}{spacing}{}{newline}", pieces[p].text));
                }
            }
            p += 1;
        }
        cursor = unit.1;
    }
    if !text[first.0..last.1].ends_with('\n')
        && out.ends_with(newline)
        && !text[last.0..last.1].ends_with('\n')
    {
        let keep = out.len() - newline.len();
        out.truncate(keep);
    }
    Ok(vec![Splice {
        start: first.0,
        end: last.1,
        text: out,
    }])
}

/// Where the dash of a block list item is: before it, past whitespace
/// and comments (`- # note` on the line above the entry).
pub(crate) fn dash_of(text: &str, item: &Value) -> Result<usize, RewriteError> {
    let mut end = item.span.start;
    let dash = loop {
        let trimmed = text[..end].trim_end();
        if trimmed.ends_with('-') {
            break trimmed.len() - 1;
        }
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        let line = &trimmed[line_start..];
        let comment = match line.trim_start().starts_with('#') {
            true => Some(line.len() - line.trim_start().len()),
            false => line.find(" #").map(|i| i + 1),
        };
        match comment {
            Some(at) if line_start + at < end => end = line_start + at,
            _ => return Err(RewriteError::new("a block list item without its dash")),
        }
    };
    let line_start = text[..dash].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..dash]
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
    {
        return Err(RewriteError::new(
            "a block list item that does not start its line",
        ));
    }
    Ok(dash)
}

/// The lines of a block list item: from its line's start to past the end
/// of the line it ends on.
pub(crate) fn block_unit(text: &str, item: &Value) -> Result<(usize, usize), RewriteError> {
    let dash = dash_of(text, item)?;
    let start = text[..dash].rfind('\n').map_or(0, |i| i + 1);
    let end = text[item.span.end..]
        .find('\n')
        .map_or(text.len(), |i| item.span.end + i + 1);
    Ok((start, end))
}

/// The splices for a scalar element becoming `entries`.
pub(crate) fn scalar_splices(
    text: &str,
    syntax: Syntax,
    statement: &Value,
    member: &Member,
    style: Style,
    entries: &[String],
) -> Result<Vec<Splice>, RewriteError> {
    let value = &member.value;
    let quoted: Vec<String> = entries.iter().map(|e| style.quote(e)).collect();
    if let [one] = &quoted[..] {
        return Ok(vec![Splice::node(value, one.clone())]);
    }
    if quoted.is_empty() {
        return Err(RewriteError::new("an action element left empty"));
    }
    let flow_mapping = text[statement.span.start..].starts_with('{');
    if syntax == Syntax::Hcl {
        return Ok(vec![Splice::node(
            value,
            format!("[{}]", quoted.join(", ")),
        )]);
    }
    if syntax == Syntax::Json || flow_mapping {
        let list = match syntax {
            Syntax::Json => json_splice::render_new(text, statement, member, entries),
            Syntax::Yaml => format!("[{}]", quoted.join(", ")),
            Syntax::Hcl => format!("[{}]", quoted.join(", ")),
        };
        return Ok(vec![Splice::node(value, list)]);
    }
    let line_start = text[..member.key_span.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let column: String = text[line_start..member.key_span.start]
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: String = quoted
        .iter()
        .map(|q| format!("{newline}{column}  - {q}"))
        .collect();
    let colon = text[member.key_span.end..value.span.start]
        .find(':')
        .ok_or_else(|| RewriteError::new("no ':' after a key"))?;
    // A comment after the value stays on the key's line.
    let line_end = text[value.span.end..]
        .find('\n')
        .map_or(text.len(), |i| value.span.end + i);
    let rest = text[value.span.end..line_end].trim_end_matches('\r');
    let (end, comment) = match rest.trim_start().starts_with('#') {
        true => (value.span.end + rest.len(), rest.to_string()),
        false => (value.span.end, String::new()),
    };
    Ok(vec![Splice {
        start: member.key_span.end + colon + 1,
        end,
        text: format!("{comment}{lines}"),
    }])
}

/// How new entries are quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
}

impl Style {
    /// The style of the literal entries of `element` (the first one's);
    /// JSON's always.
    pub(crate) fn of(text: &str, syntax: Syntax, element: &Value) -> Style {
        if syntax != Syntax::Yaml {
            return Style::Double;
        }
        let first = match &element.kind {
            Kind::Array(items) => items.iter().find(|i| i.as_str().is_some()),
            _ => Some(element),
        };
        match first.map(|v| text[v.span.start..].chars().next()) {
            Some(Some('"')) => Style::Double,
            Some(Some('\'')) => Style::Single,
            _ => Style::Plain,
        }
    }

    /// `entry` in this style (plain only when YAML reads it back as the
    /// same string).
    pub(crate) fn quote(self, entry: &str) -> String {
        let plain_safe = entry
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && entry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ":*?_-.".contains(c))
            && entry.contains(':');
        match self {
            Style::Plain if plain_safe => entry.to_string(),
            Style::Double => json_splice::quote(entry),
            Style::Plain | Style::Single => format!("'{}'", entry.replace('\'', "''")),
        }
    }
}

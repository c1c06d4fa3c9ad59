//! What refine evaluates of a policy written in a template, and where each
//! part of it is written.
//!
//! A template's policy may hold intrinsic functions where a policy file
//! holds strings: an entry `!Sub "${Service}:Get*"`, an Action that is
//! `!Ref ActionsParameter`, a statement under `!If`. Refine cannot know
//! what those say, so it keeps them as written and refines what it can
//! read: the *view* of the document is the document without them (a
//! statement whose Effect or action element is not a literal goes whole;
//! an entry that is not goes from its list), and its [`Layout`] says where
//! each evaluated statement and entry is written.
//!
//! Why this is safe: refinement only removes and narrows. Literal entries
//! narrowed beside an opaque one still grant no more than before, and the
//! opaque one grants what it always did. The one exception is NotAction:
//! extending a NotAction list is narrowing too, but a statement whose
//! NotAction holds an opaque entry has an exclusion refine cannot read, so
//! it is kept whole; and a statement whose literal entries would turn into
//! a NotAction (`"*"` refined) keeps them when an opaque entry is beside
//! them (the host refuses that edit rather than write it).

use crate::json::{Kind, Value};

/// Where the evaluated parts of a template's policy are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Per statement of the view, where it is written.
    pub statements: Vec<StatementPlace>,
    /// Whether `Statement` is a lone object rather than a list.
    pub lone: bool,
    /// How many statements are written (evaluated or not).
    pub written: usize,
}

/// Where one evaluated statement is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementPlace {
    /// Its index in the written `Statement` list.
    pub written: usize,
    /// Per entry of the view, its index in the written action list.
    pub entries: Vec<usize>,
    /// The indices of written entries that are not evaluated.
    pub opaque: Vec<usize>,
}

/// Whether `value` is an intrinsic function: an object of one member named
/// `Ref`, `Condition`, `Fn::...`, or another `Name::...` of a template
/// pre-processor.
pub fn is_intrinsic(value: &Value) -> bool {
    match value.as_object() {
        Some([member]) => {
            member.key == "Ref" || member.key == "Condition" || member.key.contains("::")
        }
        _ => false,
    }
}

/// The function an intrinsic value calls, for messages (`Fn::Sub`).
pub fn function_name(value: &Value) -> &str {
    value
        .as_object()
        .and_then(|members| members.first())
        .map_or("", |m| m.key.as_str())
}

/// The view of `document` and its layout, or why nothing of it is
/// evaluated. A document that is no policy at all passes through as it is,
/// for the policy reader to refuse with its own message.
pub fn view(document: &Value) -> Result<(Value, Layout), String> {
    if is_intrinsic(document) {
        return Err(format!("the document is {}", function_name(document)));
    }
    if document.as_str().is_some() {
        return Err("the document is a string".to_string());
    }
    if let Some(version) = document.get("Version").filter(|v| is_intrinsic(v)) {
        return Err(format!("Version is {}", function_name(version)));
    }
    let Some(list) = document.get("Statement") else {
        return Ok((document.clone(), Layout::default()));
    };
    if is_intrinsic(list) {
        return Err(format!("Statement is {}", function_name(list)));
    }
    let (items, lone): (Vec<&Value>, bool) = match &list.kind {
        Kind::Array(items) => (items.iter().collect(), false),
        Kind::Object(_) => (vec![list], true),
        _ => return Ok((document.clone(), Layout::default())),
    };
    let mut layout = Layout {
        statements: Vec::new(),
        lone,
        written: items.len(),
    };
    let mut kept = Vec::new();
    for (written, item) in items.into_iter().enumerate() {
        if let Some((statement, mut place)) = statement_view(item) {
            place.written = written;
            layout.statements.push(place);
            kept.push(statement);
        }
    }
    // A lone statement refine does not evaluate leaves nothing to refine:
    // an empty view (kept as written, whole).
    let lone = lone && !kept.is_empty();
    let mut view = document.clone();
    if let Kind::Object(members) = &mut view.kind {
        if let Some(member) = members.iter_mut().find(|m| m.key == "Statement") {
            member.value = match lone {
                true => kept.remove(0),
                false => Value {
                    span: member.value.span,
                    kind: Kind::Array(kept),
                },
            };
        }
    }
    Ok((view, layout))
}

/// The evaluated part of one statement and where its entries are; `None`
/// when it is not evaluated at all.
pub(crate) fn statement_view(statement: &Value) -> Option<(Value, StatementPlace)> {
    if is_intrinsic(statement) {
        return None;
    }
    if !statement.is_object() {
        // Not a statement: the policy reader says what is wrong.
        return Some((statement.clone(), StatementPlace::default()));
    }
    if statement.get("Effect").is_some_and(is_intrinsic) {
        return None;
    }
    let key = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(_), None) => "Action",
        (None, Some(_)) => "NotAction",
        // Both or neither: the policy reader says what is wrong.
        _ => return Some((statement.clone(), StatementPlace::default())),
    };
    let element = &statement[key];
    if is_intrinsic(element) {
        return None;
    }
    let Kind::Array(items) = &element.kind else {
        return Some((statement.clone(), StatementPlace::default()));
    };
    let opaque: Vec<usize> = (0..items.len())
        .filter(|&i| is_intrinsic(&items[i]))
        .collect();
    if opaque.is_empty() {
        let entries = (0..items.len()).collect();
        return Some((
            statement.clone(),
            StatementPlace {
                written: 0,
                entries,
                opaque,
            },
        ));
    }
    // Beside a function, an entry that grants every action would be
    // refined into a NotAction, which the function cannot join.
    let every = items.iter().filter_map(Value::as_str).any(|entry| {
        crate::engine::refine::grants_every_action(&crate::model::pattern::Glob::new(entry))
    });
    if key == "NotAction" || opaque.len() == items.len() || every {
        return None;
    }
    let entries: Vec<usize> = (0..items.len()).filter(|i| !opaque.contains(i)).collect();
    let literal: Vec<Value> = entries.iter().map(|&i| items[i].clone()).collect();
    let mut view = statement.clone();
    if let Some(value) = view.get_mut(key) {
        value.kind = Kind::Array(literal);
    }
    Some((
        view,
        StatementPlace {
            written: 0,
            entries,
            opaque,
        },
    ))
}

/// `path`, into the view of the document at `document` laid out as
/// `layout`, as the path where that part is written (the view's statement
/// and entry indices made the written ones).
pub fn written_path(
    document: &crate::error::JsonPath,
    layout: &Layout,
    path: &crate::error::JsonPath,
) -> crate::error::JsonPath {
    use crate::error::Segment;
    let mut rest = path.segments()[document.segments().len()..].to_vec();
    if !matches!(rest.first(), Some(Segment::Key(k)) if k == "Statement") {
        return path.clone();
    }
    let (place, at) = match (layout.lone, rest.get(1)) {
        (true, _) => (layout.statements.first(), 1),
        (false, Some(Segment::Index(k))) => {
            let place = layout.statements.get(*k);
            if let Some(place) = place {
                rest[1] = Segment::Index(place.written);
            }
            (place, 2)
        }
        _ => (None, 0),
    };
    if let (Some(place), Some(Segment::Key(key)), Some(Segment::Index(e))) =
        (place, rest.get(at), rest.get(at + 1))
    {
        if key == "Action" || key == "NotAction" {
            rest[at + 1] = Segment::Index(place.entries.get(*e).copied().unwrap_or(*e));
        }
    }
    let mut written = document.clone();
    written.0.extend(rest);
    written
}

/// [`written_path`] in a host of several documents, each at its path with
/// its layout: `path` unchanged when it is in none of them.
pub fn written_in<'a>(
    placed: impl IntoIterator<Item = (&'a crate::error::JsonPath, &'a Layout)>,
    path: &crate::error::JsonPath,
) -> crate::error::JsonPath {
    placed
        .into_iter()
        .find(|(document, _)| path.segments().starts_with(document.segments()))
        .map_or_else(
            || path.clone(),
            |(document, layout)| written_path(document, layout, path),
        )
}

/// Which written statement of the document at `policy` (among `placed`)
/// the view's statement `index` is, unevaluated statements counted.
pub fn written_statement<'a>(
    placed: impl IntoIterator<Item = (&'a crate::error::JsonPath, &'a Layout)>,
    policy: &crate::error::JsonPath,
    index: usize,
) -> usize {
    placed
        .into_iter()
        .find(|(document, _)| *document == policy)
        .and_then(|(_, layout)| layout.statements.get(index))
        .map_or(index, |place| place.written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Value {
        crate::yaml::read(text).unwrap().tree
    }

    #[test]
    fn opaque_entries_and_statements_leave_the_view_and_keep_their_places() {
        let document = read(
            "Statement:\n  - !If [C, {Effect: Allow, Action: '*', Resource: '*'}, !Ref AWS::NoValue]\n  - Effect: Allow\n    Action: [!Sub '${S}:Get*', s3:GetObject, s3:Put*]\n    Resource: '*'\n  - Effect: Allow\n    NotAction: [!Ref X, iam:*]\n    Resource: '*'\n  - Effect: Allow\n    Action: !Ref Actions\n    Resource: '*'\n",
        );
        let (view, layout) = view(&document).unwrap();
        assert_eq!(
            serde_json::Value::from(&view),
            serde_json::json!({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:Put*"], "Resource": "*"}]})
        );
        assert_eq!(layout.written, 4);
        assert_eq!(
            layout.statements,
            vec![StatementPlace {
                written: 1,
                entries: vec![1, 2],
                opaque: vec![0]
            }]
        );
    }

    #[test]
    fn a_document_or_statement_list_that_is_a_function_is_not_evaluated() {
        assert_eq!(
            view(&read("!If [C, {Statement: []}, {Statement: []}]")).unwrap_err(),
            "the document is Fn::If"
        );
        assert_eq!(
            view(&read("Statement: !Ref S")).unwrap_err(),
            "Statement is Ref"
        );
        let (empty, layout) = view(&read(
            "Statement: {Effect: !Ref E, Action: '*', Resource: '*'}",
        ))
        .unwrap();
        assert_eq!(
            serde_json::Value::from(&empty),
            serde_json::json!({"Statement": []})
        );
        assert_eq!((layout.written, layout.statements.len()), (1, 0));
        assert_eq!(
            view(&read("Version: !Ref V\nStatement: []")).unwrap_err(),
            "Version is Ref"
        );
    }
}

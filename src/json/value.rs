//! The JSON tree refine reads every input into: values as written, and
//! where each one is in the text.
//!
//! Each [`Value`] keeps the byte range of its text ([`Span`]), object
//! members keep their order and the place of their key, strings are
//! decoded, and numbers keep their spelling (`1E+2` stays `1E+2`): so one
//! reading serves the policy model, the messages that point at a line and
//! column, the rewrite that splices new text into the old, and the printer
//! that keeps what refinement did not change. Values built in memory (a
//! refined action list) have an empty span.
//!
//! Equality ignores spans: two values are equal when they are the same
//! JSON, written the same way (numbers compare by their text, object
//! members in order).

use crate::error::{JsonPath, Segment};

/// A byte range `start..end` of the text a value was read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    /// The offset of the value's first byte (a string's opening quote).
    pub start: usize,
    /// The offset just past its last byte (a container's closing bracket).
    pub end: usize,
}

/// A JSON value and where it is.
#[derive(Debug, Clone)]
pub struct Value {
    /// Where the value's text is; empty for a value built in memory.
    pub span: Span,
    /// What the value is.
    pub kind: Kind,
}

/// What a [`Value`] is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, spelled as written.
    Number(String),
    /// A string, decoded.
    String(String),
    /// An array's elements, in order.
    Array(Vec<Value>),
    /// An object's members, in the order written.
    Object(Vec<Member>),
}

/// One member of an object.
#[derive(Debug, Clone)]
pub struct Member {
    /// The key, decoded.
    pub key: String,
    /// Where the key's text is (its quotes included).
    pub key_span: Span,
    /// The member's value.
    pub value: Value,
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.kind == other.kind
    }
}

impl PartialEq for Member {
    fn eq(&self, other: &Member) -> bool {
        self.key == other.key && self.value == other.value
    }
}

/// What indexing finds where there is nothing.
static NULL: Value = Value {
    span: Span { start: 0, end: 0 },
    kind: Kind::Null,
};

impl Value {
    /// A value built in memory, with an empty span.
    pub fn new(kind: Kind) -> Value {
        Value {
            span: Span::default(),
            kind,
        }
    }

    /// A string built in memory.
    pub fn string(text: impl Into<String>) -> Value {
        Value::new(Kind::String(text.into()))
    }

    /// The member with key `key` (the first, should the key repeat), if
    /// this is an object that has one.
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().find(|m| m.key == key)
    }

    /// The value of member `key`, if this is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.member(key).map(|m| &m.value)
    }

    /// The mutable value of member `key`, if this is an object that has one.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match &mut self.kind {
            Kind::Object(members) => members
                .iter_mut()
                .find(|m| m.key == key)
                .map(|m| &mut m.value),
            _ => None,
        }
    }

    /// Element `index`, if this is an array that long.
    pub fn element(&self, index: usize) -> Option<&Value> {
        self.as_array()?.get(index)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            Kind::Object(members) => Some(members),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self.kind, Kind::Object(_))
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        self.kind == Kind::Null
    }

    /// A short description of the value's type, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Number(_) => "a number",
            Kind::String(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Object(_) => "an object",
        }
    }

    /// The value at `path` below this one, or `None` if some step of the
    /// path does not exist.
    pub fn at(&self, path: &JsonPath) -> Option<&Value> {
        path.0
            .iter()
            .try_fold(self, |value, segment| value.step(segment))
    }

    /// The value at `path`, or the deepest value on the way to it when the
    /// rest of the path does not exist (a message about a missing member
    /// points at the object that lacks it; one inside a document written
    /// as a string, at that string).
    pub fn deepest(&self, path: &JsonPath) -> &Value {
        let mut value = self;
        for segment in &path.0 {
            match value.step(segment) {
                Some(child) => value = child,
                None => break,
            }
        }
        value
    }

    /// The child one path segment down.
    fn step(&self, segment: &Segment) -> Option<&Value> {
        match segment {
            Segment::Key(key) => self.get(key),
            Segment::Index(index) => self.element(*index),
        }
    }
}

impl std::ops::Index<&str> for Value {
    type Output = Value;

    /// The value of member `key`, or `null` when there is none.
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl From<&Value> for serde_json::Value {
    /// The same JSON as a serde_json value, for tests and for writers
    /// that build reports with serde_json (a number keeps its spelling as
    /// far as serde_json does).
    fn from(value: &Value) -> serde_json::Value {
        match &value.kind {
            Kind::Null => serde_json::Value::Null,
            Kind::Bool(b) => serde_json::Value::Bool(*b),
            Kind::Number(text) => serde_json::from_str(text).unwrap_or(serde_json::Value::Null),
            Kind::String(s) => serde_json::Value::String(s.clone()),
            Kind::Array(items) => serde_json::Value::Array(items.iter().map(Into::into).collect()),
            Kind::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), (&m.value).into()))
                    .collect(),
            ),
        }
    }
}

impl From<&serde_json::Value> for Value {
    /// A serde_json value as one built in memory (for tests, and for
    /// documents made with `json!`).
    fn from(value: &serde_json::Value) -> Value {
        Value::new(match value {
            serde_json::Value::Null => Kind::Null,
            serde_json::Value::Bool(b) => Kind::Bool(*b),
            serde_json::Value::Number(n) => Kind::Number(n.to_string()),
            serde_json::Value::String(s) => Kind::String(s.clone()),
            serde_json::Value::Array(items) => Kind::Array(items.iter().map(Into::into).collect()),
            serde_json::Value::Object(map) => Kind::Object(
                map.iter()
                    .map(|(k, v)| Member {
                        key: k.clone(),
                        key_span: Span::default(),
                        value: v.into(),
                    })
                    .collect(),
            ),
        })
    }
}

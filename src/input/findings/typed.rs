//! The typed reader: findings in the shapes AWS writes them, read straight
//! from the text into [`Group`]s, without the positioned tree.
//!
//! Findings are nine tenths of what refine reads (an account's findings
//! name millions of actions), and the positioned reader builds a tree with
//! a span and an owned string for every key and value only for messages
//! that correct findings never need. This reader borrows the strings from
//! the text and keeps nothing it does not use.
//!
//! It is a fast path, never a second judge. It answers only for input the
//! positioned reader would read without a word: anything it does not
//! expect (a syntax error, a repeated key, a value of another type, a
//! finding of another type or status, a detail that is not about
//! permissions, a date that is not a timestamp, a bad action name) makes
//! it answer `None`, and [`super::parse_groups`] reads the text again with
//! the positioned reader, which says what is wrong and where, or writes
//! the note. Where it answers, it builds the groups with the positioned
//! reader's own functions, in the same order, and a differential test
//! (`typed/tests.rs`) and the findings fuzz target hold the two to
//! the same result.

use super::read::{self, Groups};
use super::{Group, Seen, Unused};
use crate::error::JsonPath;
use crate::input::policy::check_action;
use crate::input::time;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

#[cfg(test)]
mod tests;

/// The findings in `text` as the positioned reader would group them, when
/// they are in the shapes this reader takes; `None` for anything else.
pub(super) fn groups(text: &str) -> Option<Vec<Group>> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: Root = serde_json::from_str(body).ok()?;
    let mut groups = Groups::default();
    let root_path = JsonPath::root();
    match root {
        Root::Object(object) if object.is_finding() => finding(&object, &root_path, &mut groups)?,
        Root::Object(_) => return None,
        Root::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                item_of_array(item, &root_path.index(i), &mut groups)?;
            }
        }
    }
    Some(groups.list)
}

/// One element of a findings array, as `parse_groups` tells them apart.
fn item_of_array(item: &Item, path: &JsonPath, groups: &mut Groups) -> Option<()> {
    match item {
        Item::String(entry) => {
            check_action(entry).ok()?;
            let findings = groups.of(None, path);
            findings.unused.push(read::action_or_pattern(entry));
            findings.analyzed.add(None);
        }
        Item::Object(object) if object.service_namespace.is_some() => {
            let findings = groups.of(None, path);
            service_details(object, &mut findings.unused)?;
            findings.analyzed.add(None);
        }
        Item::Object(object) if object.is_finding() => finding(object, path, groups)?,
        Item::Object(_) => return None,
    }
    Some(())
}

/// One get-finding-v2 output: an active finding of unused permissions
/// whose every detail is about unused permissions.
fn finding(object: &Object, path: &JsonPath, groups: &mut Groups) -> Option<()> {
    if !matches!(
        object.finding_type.as_deref(),
        None | Some("UnusedPermission")
    ) {
        return None;
    }
    if !matches!(object.status.as_deref(), None | Some("ACTIVE")) {
        return None;
    }
    let analyzed = match &object.analyzed_at {
        Some(text) => Some((time::parse_timestamp(text)?, text.to_string())),
        None => None,
    };
    let findings = groups.of(object.resource.as_deref(), path);
    let seen = Seen {
        kind: "UnusedPermission",
        id: object.id.as_deref().map(str::to_string),
        analyzed: analyzed.clone(),
        active: true,
    };
    if !findings.seen.contains(&seen) {
        findings.seen.push(seen);
    }
    findings.analyzed.add(analyzed);
    for detail in &object.finding_details {
        if detail.role_details {
            return None;
        }
        service_details(detail.permission_details.as_deref()?, &mut findings.unused)?;
    }
    Some(())
}

/// `{"serviceNamespace": ..., "actions": [...]}`, as `read::service_details`
/// reads it.
fn service_details(object: &Object, unused: &mut Vec<Unused>) -> Option<()> {
    let service = read::service_prefix(object.service_namespace.as_ref()?.as_deref()?)?;
    let last_accessed = match &object.last_accessed {
        Some(text) => Some(time::parse_timestamp(text)?),
        None => None,
    };
    let Some(actions) = &object.actions else {
        unused.push(Unused::Service {
            service,
            last_accessed,
        });
        return Some(());
    };
    unused.reserve(actions.len());
    let path = JsonPath::root;
    for action in actions {
        let (named, bare) = read::unused_named(&action.name, &service, &path).ok()?;
        let at = match &action.last_accessed {
            Some(text) => Some(time::parse_timestamp(text)?),
            None => None,
        };
        unused.push(read::last_accessed(named, at, bare, &path).ok()?);
    }
    Some(())
}

// ------------------------------------------------------------ the shapes

/// A string as written: borrowed from the text unless it has escapes.
type Text<'a> = Cow<'a, str>;

/// The whole input.
enum Root<'a> {
    Object(Box<Object<'a>>),
    Array(Vec<Item<'a>>),
}

/// An element of a findings array.
enum Item<'a> {
    String(Text<'a>),
    Object(Box<Object<'a>>),
}

/// Any object of the findings: a finding, a detail, or a detail's
/// `unusedPermissionDetails` (the seed form's elements are those too). The
/// members of all of them are read wherever they appear; a member of the
/// wrong type makes the whole input the positioned reader's.
#[derive(Default)]
struct Object<'a> {
    /// `id`, `resource`, `findingType`, `status`: read as `as_str` reads
    /// them (a string, or nothing for any other value).
    id: Option<Text<'a>>,
    resource: Option<Text<'a>>,
    finding_type: Option<Text<'a>>,
    status: Option<Text<'a>>,
    /// `findingType` or `findingDetails` is a member: the object is a
    /// finding.
    finding_keys: bool,
    /// `analyzedAt`, `lastAccessed`: a string or null (absent).
    analyzed_at: Option<Text<'a>>,
    last_accessed: Option<Text<'a>>,
    /// `findingDetails`: an array of objects, or null (none).
    finding_details: Vec<Object<'a>>,
    /// `serviceNamespace` when it is a member (the value as `as_str`
    /// reads it).
    service_namespace: Option<Option<Text<'a>>>,
    /// `actions`: an array, or null (absent: the whole service).
    actions: Option<Vec<Action<'a>>>,
    /// `unusedPermissionDetails`: an object.
    permission_details: Option<Box<Object<'a>>>,
    /// `unusedIamRoleDetails` is a member.
    role_details: bool,
}

impl Object<'_> {
    /// Whether the object is get-finding-v2 output.
    fn is_finding(&self) -> bool {
        self.finding_keys
    }
}

/// An entry of `actions`: a name, or `{"action": ..., "lastAccessed": ...}`.
struct Action<'a> {
    name: Text<'a>,
    last_accessed: Option<Text<'a>>,
}

impl<'a> Action<'a> {
    /// An entry written as a plain name.
    fn named(name: Text<'a>) -> Action<'a> {
        Action {
            name,
            last_accessed: None,
        }
    }
}

/// How deep the values the reader skips may nest: far below the positioned
/// reader's limit, so that nothing it refuses for depth is taken here.
const SKIP_DEPTH: usize = 64;

// ---------------------------------------------------------- the visitors

/// The error of every visitor: which one does not matter, since the input
/// goes to the positioned reader.
fn refuse<E: de::Error>() -> E {
    E::custom("not in the typed reader's shapes")
}

/// A string, borrowed where the text allows.
struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Text<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Text<'de>, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Cow::Owned(v))
    }
}

/// Any value, as `Value::as_str` reads it: a string, or `None`.
struct AsStrSeed;

impl<'de> DeserializeSeed<'de> for AsStrSeed {
    type Value = Option<Text<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(AnyVisitor { depth: 0 }).map(Into::into)
    }
}

/// A string or null (the absent timestamp), nothing else.
struct StampSeed;

impl<'de> DeserializeSeed<'de> for StampSeed {
    type Value = Option<Text<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match d.deserialize_any(AnyVisitor { depth: 0 })? {
            Any::String(text) => Ok(Some(text)),
            Any::Null => Ok(None),
            Any::Other => Err(refuse()),
        }
    }
}

/// What [`AnyVisitor`] saw.
enum Any<'a> {
    String(Text<'a>),
    Null,
    Other,
}

impl<'a> From<Any<'a>> for Option<Text<'a>> {
    fn from(any: Any<'a>) -> Self {
        match any {
            Any::String(text) => Some(text),
            Any::Null | Any::Other => None,
        }
    }
}

/// Any value, skipped unless it is a string or null; its objects checked
/// for repeated keys and its nesting bounded, as the positioned reader
/// refuses both.
struct AnyVisitor {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for AnyVisitor {
    type Value = Any<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Any<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = Any<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Any<'de>, E> {
        TextVisitor.visit_borrowed_str(v).map(Any::String)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Any<'de>, E> {
        TextVisitor.visit_str(v).map(Any::String)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Any<'de>, E> {
        TextVisitor.visit_string(v).map(Any::String)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Any<'de>, E> {
        Ok(Any::Null)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Any<'de>, E> {
        Ok(Any::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Any<'de>, E> {
        Ok(Any::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Any<'de>, E> {
        Ok(Any::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Any<'de>, E> {
        Ok(Any::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Any<'de>, A::Error> {
        let depth = self.deeper()?;
        while seq.next_element_seed(AnyVisitor { depth })?.is_some() {}
        Ok(Any::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Any<'de>, A::Error> {
        let depth = self.deeper()?;
        let mut keys = Keys::default();
        while let Some(key) = map.next_key_seed(TextSeed)? {
            keys.insert(key)?;
            map.next_value_seed(AnyVisitor { depth })?;
        }
        Ok(Any::Other)
    }
}

impl AnyVisitor {
    /// The depth of the values inside a container at this one's.
    fn deeper<E: de::Error>(&self) -> Result<usize, E> {
        if self.depth >= SKIP_DEPTH {
            return Err(refuse());
        }
        Ok(self.depth + 1)
    }
}

/// The keys of one object so far, for refusing a repeated one (most
/// objects of findings have two to nine members).
#[derive(Default)]
struct Keys<'a>(Vec<Text<'a>>);

/// The most members an object may have here: the keys are compared one
/// by one, and AWS's objects have a handful. A larger one is the
/// positioned reader's, which keeps a set.
const MAX_KEYS: usize = 32;

impl<'a> Keys<'a> {
    /// Adds `key`; an error when the object has it already, or too many.
    fn insert<E: de::Error>(&mut self, key: Text<'a>) -> Result<(), E> {
        if self.0.len() >= MAX_KEYS || self.0.contains(&key) {
            return Err(refuse());
        }
        self.0.push(key);
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Root<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RootVisitor;
        impl<'de> Visitor<'de> for RootVisitor {
            type Value = Root<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("findings")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Root<'de>, A::Error> {
                ObjectVisitor
                    .visit_map(map)
                    .map(|o| Root::Object(Box::new(o)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Root<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element_seed(ItemSeed)? {
                    items.push(item);
                }
                Ok(Root::Array(items))
            }
        }
        d.deserialize_any(RootVisitor)
    }
}

/// An element of a findings array: a string or an object.
struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Item<'de>, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an object")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Item<'de>, E> {
                TextVisitor.visit_borrowed_str(v).map(Item::String)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Item<'de>, E> {
                TextVisitor.visit_str(v).map(Item::String)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item<'de>, A::Error> {
                ObjectVisitor
                    .visit_map(map)
                    .map(|o| Item::Object(Box::new(o)))
            }
        }
        d.deserialize_any(ItemVisitor)
    }
}

/// An object of the findings (see [`Object`]).
#[derive(Clone, Copy)]
struct ObjectVisitor;

impl<'de> DeserializeSeed<'de> for ObjectVisitor {
    type Value = Object<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Object<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Object<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object<'de>, A::Error> {
        let mut object = Object::default();
        let mut keys = Keys::default();
        while let Some(key) = map.next_key_seed(TextSeed)? {
            match key.as_ref() {
                "id" => object.id = map.next_value_seed(AsStrSeed)?,
                "resource" => object.resource = map.next_value_seed(AsStrSeed)?,
                "status" => object.status = map.next_value_seed(AsStrSeed)?,
                "findingType" => {
                    object.finding_type = map.next_value_seed(AsStrSeed)?;
                    object.finding_keys = true;
                }
                "findingDetails" => {
                    let details = map.next_value_seed(ListSeed(ObjectVisitor))?;
                    object.finding_details = details.unwrap_or_default();
                    object.finding_keys = true;
                }
                "analyzedAt" => object.analyzed_at = map.next_value_seed(StampSeed)?,
                "lastAccessed" => object.last_accessed = map.next_value_seed(StampSeed)?,
                "serviceNamespace" => {
                    object.service_namespace = Some(map.next_value_seed(AsStrSeed)?)
                }
                "actions" => object.actions = map.next_value_seed(ListSeed(ActionSeed))?,
                "unusedPermissionDetails" => {
                    object.permission_details = Some(Box::new(map.next_value_seed(ObjectVisitor)?))
                }
                "unusedIamRoleDetails" => {
                    map.next_value_seed(AnyVisitor { depth: 0 })?;
                    object.role_details = true;
                }
                _ => {
                    map.next_value_seed(AnyVisitor { depth: 0 })?;
                }
            }
            keys.insert(key)?;
        }
        Ok(object)
    }
}

/// An array of what `T` reads, or null (`None`); nothing else.
struct ListSeed<T>(T);

impl<'de, T: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for ListSeed<T> {
    type Value = Option<Vec<T::Value>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeSeed<'de> + Copy> Visitor<'de> for ListSeed<T> {
    type Value = Option<Vec<T::Value>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(self.0)? {
            items.push(item);
        }
        Ok(Some(items))
    }
}

/// An entry of `actions`.
#[derive(Clone, Copy)]
struct ActionSeed;

impl<'de> DeserializeSeed<'de> for ActionSeed {
    type Value = Action<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Action<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ActionSeed {
    type Value = Action<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an action")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Action<'de>, E> {
        TextVisitor.visit_borrowed_str(v).map(Action::named)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Action<'de>, E> {
        TextVisitor.visit_str(v).map(Action::named)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Action<'de>, A::Error> {
        let (mut name, mut last_accessed) = (None, None);
        let mut keys = Keys::default();
        while let Some(key) = map.next_key_seed(TextSeed)? {
            match key.as_ref() {
                "action" => name = map.next_value_seed(AsStrSeed)?,
                "lastAccessed" => last_accessed = map.next_value_seed(StampSeed)?,
                _ => {
                    map.next_value_seed(AnyVisitor { depth: 0 })?;
                }
            }
            keys.insert(key)?;
        }
        Ok(Action {
            name: name.ok_or_else(refuse)?,
            last_accessed,
        })
    }
}

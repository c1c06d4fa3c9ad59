//! Reading CloudTrail JSON fast: typed, borrowing, one event at a time.
//!
//! A day of CloudTrail for a busy account is gigabytes, nearly all of it
//! `requestParameters`, `responseElements` and other fields refinement does
//! not need. So no `serde_json::Value` tree is built: each event is
//! deserialized into [`Event`], which names only the five fields read and
//! borrows their text from the file's buffer (an escaped string, rare in
//! these fields, is the only copy); serde_json skips every other field
//! without allocating. The `Records` array is walked by a visitor that hands
//! each event to a [`Sink`] as soon as it is read, so no file's events are
//! ever held together.
//!
//! The forms, told apart by the first value in the file:
//!
//! * an object with `Records`: the form CloudTrail delivers to S3 (several
//!   such objects in one file, as `zcat *.json.gz` makes, are read too);
//! * an object that looks like an event (`eventSource`, `eventName`,
//!   `eventType`, ...): one event after another, normally one per line, as
//!   CloudTrail Lake and Athena (`UNLOAD ... WITH (format = 'JSON')`, whose
//!   keys are lowercase) export them; blank lines and pretty-printed events
//!   are fine, since values are read as a stream rather than line by line;
//! * an array: events, as `jq .Records` writes them;
//! * an object with `Events`: `aws cloudtrail lookup-events` output, each
//!   event a JSON string in `CloudTrailEvent` (this one copies: it is small);
//! * a CloudTrail digest file (`digestStartTime`, `logFiles`): no events,
//!   reported as such so a synced log bucket can be read whole.
//!
//! Anything else is an error, never "no events": a file read as empty would
//! make everything its events used look unused.

use crate::error::{InputError, Location};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// A string field, borrowed from the buffer unless it had escapes.
#[derive(Debug)]
pub(super) struct Str<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// The text of an optional string field, `None` when absent or null.
pub(super) fn text<'s>(field: &'s Option<Str<'_>>) -> Option<&'s str> {
    field.as_ref().map(|s| s.0.as_ref())
}

/// The fields of a CloudTrail event that refinement reads; serde skips the
/// rest. The lowercase aliases are Athena's column names.
#[derive(Debug, Deserialize)]
pub(super) struct Event<'a> {
    /// The service's endpoint, `s3.amazonaws.com`.
    #[serde(borrow, rename = "eventSource", alias = "eventsource")]
    pub source: Option<Str<'a>>,
    /// The API operation, `GetObject`.
    #[serde(borrow, rename = "eventName", alias = "eventname")]
    pub name: Option<Str<'a>>,
    /// `AwsApiCall`, `AwsServiceEvent`, `AwsConsoleSignIn`, `AwsCloudTrailInsight`, ...
    #[serde(borrow, rename = "eventType", alias = "eventtype")]
    pub kind: Option<Str<'a>>,
    /// Set when the call failed: `AccessDenied`, `NoSuchBucket`, ...
    #[serde(borrow, rename = "errorCode", alias = "errorcode")]
    pub error_code: Option<Str<'a>>,
    /// Who made the call.
    #[serde(borrow, rename = "userIdentity", alias = "useridentity")]
    pub identity: Option<Identity<'a>>,
    /// When, as CloudTrail writes it (`2026-01-02T03:04:05Z`).
    #[serde(borrow, rename = "eventTime", alias = "eventtime")]
    pub time: Option<Str<'a>>,
}

/// `userIdentity`: who made the call.
#[derive(Debug, Deserialize)]
pub(super) struct Identity<'a> {
    /// `IAMUser`, `AssumedRole`, `FederatedUser`, `Root`, `AWSService`, ...
    #[serde(borrow, rename = "type")]
    pub kind: Option<Str<'a>>,
    /// The caller's ARN; for an assumed role, the session's
    /// (`arn:aws:sts::123456789012:assumed-role/app/session`).
    #[serde(borrow)]
    pub arn: Option<Str<'a>>,
    /// For temporary credentials: whose they are.
    #[serde(borrow, rename = "sessionContext", alias = "sessioncontext")]
    pub session: Option<Session<'a>>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Deserialize)]
pub(super) struct Session<'a> {
    /// The role or user the session was issued for.
    #[serde(borrow, rename = "sessionIssuer", alias = "sessionissuer")]
    pub issuer: Option<Issuer<'a>>,
}

/// `userIdentity.sessionContext.sessionIssuer`.
#[derive(Debug, Deserialize)]
pub(super) struct Issuer<'a> {
    /// The role's ARN, with its path (`arn:aws:iam::123456789012:role/app`).
    #[serde(borrow)]
    pub arn: Option<Str<'a>>,
}

/// Where events go as they are read.
pub(super) trait Sink {
    /// Takes one event; its text lives only as long as the call.
    fn event(&mut self, event: &Event<'_>);
}

/// What a file turned out to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// `{"Records": [...]}`, once or more.
    Records,
    /// One event after another.
    Lines,
    /// `[event, ...]`.
    Array,
    /// `aws cloudtrail lookup-events` output.
    Lookup,
    /// A digest file: no events.
    Digest,
}

/// What the keys of a top-level object said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Records,
    Lookup,
    Digest,
    Event,
    Other,
}

/// The forms, as named in the error for anything else.
const FORMS: &str = "expected CloudTrail logs: {\"Records\": [...]} as CloudTrail delivers them, \
                     one event per line, an array of events, or `aws cloudtrail lookup-events` output";

/// Reads every event in `data` (one file's text, decompressed) into `sink`.
pub(super) fn parse(data: &[u8], sink: &mut impl Sink) -> Result<Form, InputError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let Some(first) = data.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(InputError::whole("empty file: no CloudTrail events").with_hint(FORMS));
    };
    let mut de = serde_json::Deserializer::from_slice(data);
    match first {
        b'[' => {
            EventsSeed { sink }
                .deserialize(&mut de)
                .map_err(json_error)?;
            de.end().map_err(json_error)?;
            Ok(Form::Array)
        }
        b'{' => {
            let mut form = None;
            loop {
                let shape = TopSeed { sink: &mut *sink }
                    .deserialize(&mut de)
                    .map_err(json_error)?;
                form = match (form, shape) {
                    (None, Shape::Event) => return lines(data, sink),
                    (None | Some(Form::Records), Shape::Records) => Some(Form::Records),
                    (None | Some(Form::Lookup), Shape::Lookup) => Some(Form::Lookup),
                    (None | Some(Form::Digest), Shape::Digest) => Some(Form::Digest),
                    _ => return Err(InputError::whole("not CloudTrail logs").with_hint(FORMS)),
                };
                if de.end().is_ok() {
                    return Ok(form.unwrap_or(Form::Records));
                }
            }
        }
        _ => Err(
            InputError::whole("not CloudTrail logs: not a JSON object or array").with_hint(FORMS),
        ),
    }
}

/// Reads one event after another, each an object with at least one of
/// `eventSource`, `eventName` and `eventType`.
fn lines(data: &[u8], sink: &mut impl Sink) -> Result<Form, InputError> {
    let mut stream = serde_json::Deserializer::from_slice(data).into_iter::<Event>();
    let mut start = 0;
    while let Some(event) = stream.next() {
        let event = event.map_err(json_error)?;
        if event.source.is_none() && event.name.is_none() && event.kind.is_none() {
            let at = start
                + data[start..]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
            let line = 1 + data[..at].iter().filter(|&&b| b == b'\n').count();
            return Err(InputError {
                location: Location::Line(line),
                message: "not a CloudTrail event: no eventSource, eventName or eventType"
                    .to_string(),
                hint: None,
            });
        }
        sink.event(&event);
        start = stream.byte_offset();
    }
    Ok(Form::Lines)
}

/// A serde_json error as an [`InputError`]: bad syntax is "invalid JSON",
/// valid JSON of the wrong shape is "not CloudTrail logs".
fn json_error(err: serde_json::Error) -> InputError {
    let mut input = InputError::from_json(&err);
    if err.is_data() {
        if let Some(rest) = input.message.strip_prefix("invalid JSON: ") {
            input.message = format!("not CloudTrail logs: {rest}");
        }
    }
    input
}

/// The top-level object of a file: walks `Records` (or lookup-events'
/// `Events`) as it goes, and says from the keys what the object was.
struct TopSeed<'s, S> {
    sink: &'s mut S,
}

impl<'de, S: Sink> DeserializeSeed<'de> for TopSeed<'_, S> {
    type Value = Shape;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for TopSeed<'_, S> {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut shape = Shape::Other;
        while let Some(key) = map.next_key::<TopKey>()? {
            match key.0 {
                Shape::Records => {
                    map.next_value_seed(EventsSeed {
                        sink: &mut *self.sink,
                    })?;
                    shape = Shape::Records;
                }
                Shape::Lookup if shape != Shape::Records => {
                    map.next_value_seed(LookupSeed {
                        sink: &mut *self.sink,
                    })?;
                    shape = Shape::Lookup;
                }
                Shape::Other | Shape::Lookup => {
                    map.next_value::<IgnoredAny>()?;
                }
                seen => {
                    if shape == Shape::Other || (shape, seen) == (Shape::Event, Shape::Digest) {
                        shape = seen;
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(shape)
    }
}

/// A key of a top-level object, classified by what it says the object is.
struct TopKey(Shape);

impl<'de> Deserialize<'de> for TopKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = TopKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<TopKey, E> {
                Ok(TopKey(match key {
                    "Records" => Shape::Records,
                    "Events" => Shape::Lookup,
                    "digestStartTime"
                    | "digestEndTime"
                    | "logFiles"
                    | "digestPublicKeyFingerprint" => Shape::Digest,
                    "eventVersion" | "eventSource" | "eventName" | "eventType" | "eventTime"
                    | "eventID" | "eventversion" | "eventsource" | "eventname" | "eventtype"
                    | "eventtime" | "eventid" => Shape::Event,
                    _ => Shape::Other,
                }))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// An array of events, each handed to the sink as soon as it is read.
struct EventsSeed<'s, S> {
    sink: &'s mut S,
}

impl<'de, S: Sink> DeserializeSeed<'de> for EventsSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for EventsSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of CloudTrail events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(event) = seq.next_element::<Event>()? {
            self.sink.event(&event);
        }
        Ok(())
    }
}

/// lookup-events' `Events`: each element's `CloudTrailEvent` is the event
/// as a JSON string.
struct LookupSeed<'s, S> {
    sink: &'s mut S,
}

/// One element of lookup-events' `Events`.
#[derive(Deserialize)]
struct LookupEvent<'a> {
    #[serde(borrow, rename = "CloudTrailEvent")]
    event: Option<Str<'a>>,
}

impl<'de, S: Sink> DeserializeSeed<'de> for LookupSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for LookupSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("lookup-events' array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<LookupEvent>()? {
            let text = item
                .event
                .ok_or_else(|| de::Error::custom("an element of Events has no CloudTrailEvent"))?;
            let event: Event = serde_json::from_str(&text.0).map_err(|err| {
                de::Error::custom(format_args!("in a CloudTrailEvent string: {err}"))
            })?;
            self.sink.event(&event);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events as `source name error arn`, for comparing.
    #[derive(Default)]
    struct Collect(Vec<String>);

    impl Sink for Collect {
        fn event(&mut self, event: &Event<'_>) {
            let identity = event.identity.as_ref();
            let issuer = identity
                .and_then(|i| i.session.as_ref())
                .and_then(|s| s.issuer.as_ref())
                .and_then(|i| text(&i.arn));
            self.0.push(format!(
                "{} {} {} {} {}",
                text(&event.source).unwrap_or("-"),
                text(&event.name).unwrap_or("-"),
                text(&event.error_code).unwrap_or("-"),
                identity.and_then(|i| text(&i.arn)).unwrap_or("-"),
                issuer.unwrap_or("-"),
            ));
        }
    }

    fn read(text: &str) -> Result<(Form, Vec<String>), InputError> {
        let mut sink = Collect::default();
        let form = parse(text.as_bytes(), &mut sink)?;
        Ok((form, sink.0))
    }

    #[test]
    fn every_form_reads_the_same_fields() {
        let event = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/app/s","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/app"}}},"eventSource":"s3.amazonaws.com","eventName":"Get\u004fbject","requestParameters":{"a":[1,{"b":null}]},"errorCode":"NoSuchKey"}"#;
        let want = vec!["s3.amazonaws.com GetObject NoSuchKey arn:aws:sts::1:assumed-role/app/s arn:aws:iam::1:role/app".to_string()];
        let records = format!("{{\"Records\":[{event}]}}");
        assert_eq!(
            read(&format!("\u{feff}{records}")).unwrap(),
            (Form::Records, want.clone())
        );
        assert_eq!(
            read(&format!("[{event}]")).unwrap(),
            (Form::Array, want.clone())
        );
        let two = [want.clone(), want.clone()].concat();
        assert_eq!(
            read(&format!("\n{event}\n\n{event}\n")).unwrap(),
            (Form::Lines, two.clone())
        );
        assert_eq!(
            read(&format!("{records}\n{records}")).unwrap(),
            (Form::Records, two)
        );
        let lookup =
            serde_json::json!({"Events": [{"EventName": "GetObject", "CloudTrailEvent": event}]});
        assert_eq!(read(&lookup.to_string()).unwrap(), (Form::Lookup, want));
        let athena = r#"{"eventsource":"sqs.amazonaws.com","eventname":"SendMessage","useridentity":{"arn":"u"}}"#;
        assert_eq!(
            read(athena).unwrap().1,
            ["sqs.amazonaws.com SendMessage - u -"]
        );
    }

    #[test]
    fn digests_hold_no_events() {
        let digest =
            r#"{"awsAccountId":"1","digestStartTime":"2026-01-01T00:00:00Z","logFiles":[]}"#;
        assert_eq!(read(digest).unwrap(), (Form::Digest, vec![]));
    }

    #[test]
    fn anything_else_is_an_error_with_a_place() {
        let err = read("{\"Records\": [{\"eventName\": \"A\"},]}").unwrap_err();
        assert_eq!(err.location, Location::LineColumn(1, 33));
        assert!(err.message.starts_with("invalid JSON"), "{}", err.message);
        let err = read("{\"Records\": 3}").unwrap_err();
        assert_eq!(err.message, "not CloudTrail logs: invalid type: integer `3`, expected an array of CloudTrail events");
        let err = read("{\"eventName\": \"A\"}\n\n{\"other\": 1}\n").unwrap_err();
        assert_eq!(
            (err.location, err.message.as_str()),
            (
                Location::Line(3),
                "not a CloudTrail event: no eventSource, eventName or eventType"
            )
        );
        let err = read("{\"eventName\": \"A\"}\n{\"eventName\": \n").unwrap_err();
        assert_eq!(err.location, Location::LineColumn(3, 0));
        assert_eq!(
            read("{\"Version\": \"2012-10-17\"}").unwrap_err().message,
            "not CloudTrail logs"
        );
        assert_eq!(
            read("  \n").unwrap_err().message,
            "empty file: no CloudTrail events"
        );
        assert!(read("\"Records\"").is_err());
        assert!(read("{\"Records\": []} {\"Version\": 1}").is_err());
    }
}

//! Who attaches a managed policy of the template, and whether it is used
//! anywhere refine cannot follow.
//!
//! A managed policy belongs to every principal that attaches it. In a
//! template that is an entry of a role's, user's or group's
//! `ManagedPolicyArns`, or of a SAM function's `Policies`, which names the
//! policy by `!Ref`, `!GetAtt X.PolicyArn`, an ARN (a string or a `!Sub`)
//! ending in its name, under an `!If` or not. An entry refine cannot
//! evaluate (`!Join`, `!ImportValue`, `!Ref` to a parameter, an ARN of an
//! account's policy when the policy's own name is not known) may be this
//! policy: then its owners are not known, and it is left as written. An
//! owner too many only keeps actions; one missed could drop what it uses.

use super::find::StackContext;
use super::find::{principal_type, Finder};
use super::names::{literal, substitute};
use super::view::{function_name, is_intrinsic};
use crate::error::{JsonPath, Segment};
use crate::json::{Kind, Value};
use crate::model::principal::NamePart;
use crate::model::principal::{Owner, OwnerName};

/// Whether an attachment entry names the managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refers {
    Yes,
    No,
    /// It cannot be told: what the entry is.
    Maybe(String),
}

impl Refers {
    /// Either of two branches (`!If`).
    fn or(self, other: Refers) -> Refers {
        match (self, other) {
            (Refers::Yes, _) | (_, Refers::Yes) => Refers::Yes,
            (Refers::Maybe(why), _) | (_, Refers::Maybe(why)) => Refers::Maybe(why),
            _ => Refers::No,
        }
    }
}

/// The managed policy being attached: its logical ID and, when known, its
/// name.
struct Target<'a> {
    logical: &'a str,
    name: Option<String>,
    /// What the run knows of the stack, for `!Sub` ARNs.
    context: &'a StackContext,
}

impl<'a> Finder<'a> {
    /// The owners of the managed policy `logical` by its attachments in
    /// the template; an unknown owner when an entry may attach it.
    pub(super) fn attached(&self, logical: &str) -> Vec<OwnerName> {
        let target = Target {
            logical,
            name: self.policy_name(logical),
            context: self.context,
        };
        let mut owners = Vec::new();
        for member in self.resources {
            let kind = member.value["Type"].as_str().unwrap_or_default();
            let properties = &member.value["Properties"];
            let (list, role) = match kind {
                "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                    (&properties["Policies"], format!("{}Role", member.key))
                }
                _ if principal_type(kind).is_some() => {
                    (&properties["ManagedPolicyArns"], member.key.clone())
                }
                _ => continue,
            };
            let entries: Vec<&Value> = match &list.kind {
                Kind::Array(items) => items.iter().collect(),
                Kind::Null => Vec::new(),
                _ => vec![list],
            };
            let refers = entries
                .into_iter()
                .map(|entry| self.refers(entry, &target))
                .fold(Refers::No, Refers::or);
            match refers {
                Refers::No => {}
                Refers::Maybe(what) => owners.push(OwnerName::Unknown(format!(
                    "{} attaches {what}, which may be {logical}",
                    member.key
                ))),
                Refers::Yes => owners.extend(match principal_type(kind) {
                    Some(_) => self.principal(&role),
                    None => self.name_of(&role, Owner::Role, "AWS::IAM::Role", None),
                }),
            }
        }
        owners
    }

    /// Why principals may attach the template's managed policies beyond
    /// those refine reads: a `Transform` macro that may rewrite the
    /// template, an `AWS::Include` (`Fn::Transform`), a `Fn::ForEach` loop
    /// making resources. SAM's transform is read as SAM, and
    /// `AWS::LanguageExtensions` adds no principals but by its loops.
    pub(super) fn unseen_principals(&self) -> Option<String> {
        let transforms: Vec<&str> = match &self.tree["Transform"].kind {
            Kind::String(name) => vec![name.as_str()],
            Kind::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let known = ["AWS::Serverless-2016-10-31", "AWS::LanguageExtensions"];
        if let Some(macro_name) = transforms.iter().find(|t| !known.contains(t)) {
            return Some(format!(
                "the template's Transform {macro_name} may change it"
            ));
        }
        let mut stack = vec![self.tree];
        while let Some(value) = stack.pop() {
            match &value.kind {
                Kind::Object(members) => {
                    for member in members {
                        if member.key == "Fn::Transform" {
                            return Some(
                                "the template includes parts (Fn::Transform) refine does not read"
                                    .into(),
                            );
                        }
                        if member.key.starts_with("Fn::ForEach::") {
                            return Some(format!(
                                "{} makes resources refine does not read",
                                member.key
                            ));
                        }
                        stack.push(&member.value);
                    }
                }
                Kind::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        None
    }

    /// The managed policy's name, when the template says it: literal, or
    /// a `!Sub` of pseudo parameters the run knows.
    fn policy_name(&self, logical: &str) -> Option<String> {
        let written = self.resources.iter().find(|m| m.key == logical)?.value["Properties"]
            .get("ManagedPolicyName")?;
        if let Some(name) = written.as_str() {
            return Some(name.to_string());
        }
        let template = written.get("Fn::Sub")?.as_str()?;
        literal(&substitute(template, self.context).ok()?)
    }

    /// Whether one attachment entry names `target` (in a SAM function's
    /// `Policies` a plain string is an AWS managed policy's name and a
    /// mapping a policy template or document: neither does).
    fn refers(&self, entry: &Value, target: &Target) -> Refers {
        match &entry.kind {
            Kind::String(text) => arn_refers(text, target),
            // A list as a branch of an `!If`.
            Kind::Array(items) => items
                .iter()
                .map(|item| self.refers(item, target))
                .fold(Refers::No, Refers::or),
            _ if !is_intrinsic(entry) => Refers::No,
            _ => {
                let function = function_name(entry);
                let argument = &entry[function];
                match (function, &argument.kind) {
                    ("Ref", Kind::String(id)) => self.ref_refers(id, target),
                    ("Fn::GetAtt", _) => match getatt_target(argument) == Some(target.logical) {
                        true => Refers::Yes,
                        false => Refers::No,
                    },
                    ("Fn::If", Kind::Array(branches)) => branches
                        .iter()
                        .skip(1)
                        .map(|branch| self.refers(branch, target))
                        .fold(Refers::No, Refers::or),
                    ("Fn::Sub", Kind::String(text)) => sub_refers(text, target),
                    _ => Refers::Maybe(function.to_string()),
                }
            }
        }
    }

    /// `!Ref id` as an attachment: the policy itself, another resource of
    /// the template (not a policy ARN unless a managed policy, and then
    /// another), or a parameter, whose value may be anything.
    fn ref_refers(&self, id: &str, target: &Target) -> Refers {
        if id == target.logical {
            return Refers::Yes;
        }
        if id == "AWS::NoValue" || self.resource_type(id).is_some() {
            return Refers::No;
        }
        Refers::Maybe(format!("!Ref {id}"))
    }

    /// Where the managed policy `logical` is mentioned other than in its
    /// own resource and where principals attach it (`ManagedPolicyArns`,
    /// a SAM function's `Policies`): as a permissions boundary, in
    /// `Outputs` (exported), in `Globals`, in another resource (an SSO
    /// permission set naming it). Whoever it reaches there is not known.
    pub(super) fn used_elsewhere(&self, logical: &str) -> Option<JsonPath> {
        let target = Target {
            logical,
            name: self.policy_name(logical),
            context: self.context,
        };
        let mut stack = vec![(JsonPath::root(), self.tree)];
        while let Some((path, value)) = stack.pop() {
            if self.attaching(path.segments(), logical) {
                continue;
            }
            if mentions(value, &target) {
                return Some(path);
            }
            match &value.kind {
                Kind::Object(members) => {
                    for member in members {
                        stack.push((path.key(&member.key), &member.value));
                    }
                }
                Kind::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        stack.push((path.index(i), item));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Whether `segments` lead to the policy's own resource or to a list
    /// of attachments, which [`Finder::attached`] reads.
    fn attaching(&self, segments: &[Segment], logical: &str) -> bool {
        match segments {
            [Segment::Key(r), Segment::Key(id), ..] if r == "Resources" && id == logical => true,
            [Segment::Key(r), Segment::Key(id), Segment::Key(p), Segment::Key(list)]
                if r == "Resources" && p == "Properties" =>
            {
                let kind = self.resource_type(id).unwrap_or_default();
                (list == "ManagedPolicyArns" && principal_type(kind).is_some())
                    || (list == "Policies" && kind.starts_with("AWS::Serverless::"))
            }
            _ => false,
        }
    }
}

/// The logical ID a `Fn::GetAtt` reads (`X.Attr` or `[X, Attr]`).
fn getatt_target(argument: &Value) -> Option<&str> {
    match &argument.kind {
        Kind::String(path) => path.split('.').next(),
        Kind::Array(items) => items.first().and_then(Value::as_str),
        _ => None,
    }
}

/// Whether a literal attachment names the target: an ARN of AWS's own
/// policies never does; an account's policy ARN does when it ends in the
/// target's name, and may when that name is not known.
fn arn_refers(text: &str, target: &Target) -> Refers {
    // A SAM `Policies` string that is not an ARN names an AWS managed
    // policy; elsewhere it is no ARN at all.
    let Some(rest) = text.strip_prefix("arn:") else {
        return Refers::No;
    };
    let account = rest.split(':').nth(3).unwrap_or_default();
    let Some((_, path)) = rest.split_once(":policy/") else {
        return Refers::No;
    };
    if account == "aws" {
        return Refers::No;
    }
    match &target.name {
        Some(name) => match path.rsplit('/').next() == Some(name.as_str()) {
            true => Refers::Yes,
            false => Refers::No,
        },
        None => Refers::Maybe(format!("the policy ARN {}", crate::error::quote(text))),
    }
}

/// Whether a `!Sub` attachment names the target: `${X}` or `${X.Attr}` of
/// it, or an ARN (pseudo parameters aside) ending in its name; another
/// variable may be anything.
fn sub_refers(text: &str, target: &Target) -> Refers {
    let variables = sub_variables(text);
    if variables
        .iter()
        .any(|v| v.split('.').next() == Some(target.logical))
    {
        return Refers::Yes;
    }
    if !text.contains(":policy/") || text.contains("::aws:policy/") {
        return Refers::No;
    }
    // The account and partition may be any; the name is the text after
    // the last `/`, with what the run knows of the stack put in.
    let maybe = || Refers::Maybe(format!("the policy ARN {}", crate::error::quote(text)));
    let Ok(parts) = substitute(text, target.context) else {
        return maybe();
    };
    let tail = match parts.last() {
        Some(NamePart::Literal(last)) => last.rsplit('/').next().unwrap_or_default(),
        _ => return maybe(),
    };
    match &target.name {
        Some(name) if tail == name => Refers::Yes,
        Some(_) => Refers::No,
        None => maybe(),
    }
}

/// The variables `${...}` of a `!Sub` string (`${!Literal}` is none).
pub(super) fn sub_variables(text: &str) -> Vec<&str> {
    let mut variables = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else { break };
        let variable = &after[..end];
        if !variable.starts_with('!') {
            variables.push(variable.trim());
        }
        rest = &after[end + 1..];
    }
    variables
}

/// Whether `value` itself mentions the target: a `Ref`, `Fn::GetAtt` or
/// `${...}` of it, an ARN ending in its name, or its name as a string.
fn mentions(value: &Value, target: &Target) -> bool {
    match &value.kind {
        Kind::String(text) => {
            target.name.as_deref() == Some(text.as_str())
                || matches!(arn_refers(text, target), Refers::Yes)
        }
        _ if is_intrinsic(value) => {
            let function = function_name(value);
            let argument = &value[function];
            match (function, &argument.kind) {
                ("Ref", Kind::String(id)) => id == target.logical,
                ("Fn::GetAtt", _) => getatt_target(argument) == Some(target.logical),
                ("Fn::Sub", Kind::String(text)) => matches!(sub_refers(text, target), Refers::Yes),
                ("Fn::Sub", Kind::Array(items)) => {
                    items.first().and_then(Value::as_str).is_some_and(|text| {
                        sub_variables(text)
                            .iter()
                            .any(|v| v.split('.').next() == Some(target.logical))
                    })
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_variables_skip_literal_dollars() {
        assert_eq!(
            sub_variables("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${Name}-${!x}"),
            ["AWS::Partition", "AWS::AccountId", "Name"]
        );
    }

    #[test]
    fn arns_of_aws_policies_never_name_a_template_s_policy() {
        let context = StackContext::default();
        let target = Target {
            logical: "Shared",
            name: None,
            context: &context,
        };
        assert_eq!(
            arn_refers("arn:aws:iam::aws:policy/ReadOnlyAccess", &target),
            Refers::No
        );
        assert!(matches!(
            arn_refers("arn:aws:iam::123456789012:policy/x", &target),
            Refers::Maybe(_)
        ));
        let named = Target {
            logical: "Shared",
            name: Some("shared".into()),
            context: &context,
        };
        assert_eq!(
            arn_refers("arn:aws:iam::123456789012:policy/team/shared", &named),
            Refers::Yes
        );
        assert_eq!(
            sub_refers(
                "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/shared",
                &named
            ),
            Refers::Yes
        );
        assert!(matches!(
            sub_refers("arn:aws:iam::${AWS::AccountId}:policy/${N}", &named),
            Refers::Maybe(_)
        ));
    }
}

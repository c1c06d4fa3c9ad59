//! Whose a template's policy is: the names of its principals, as the
//! module documentation of [`super::find`] sets out, and the principals
//! that attach a managed policy.

use super::find::{describe, principal_type, Finder, StackContext};

use crate::input::stack::StackResource;
use crate::json::Value;
use crate::model::principal::{NamePart, NamePattern, Owner, OwnerName, Principal};

impl<'a> Finder<'a> {
    /// The owners named by a `Roles`/`Users`/`Groups` list.
    pub(super) fn listed(&self, list: &Value, owner: Owner, what: &str) -> Vec<OwnerName> {
        match list.as_array() {
            Some(items) => items
                .iter()
                .flat_map(|item| self.listed_one(item, owner, what))
                .collect(),
            None => vec![OwnerName::Unknown(format!("{what} is not a list"))],
        }
    }

    /// The owner one list entry (or name property) names: a literal name,
    /// or `!Ref` to a principal of the template.
    pub(super) fn listed_one(&self, item: &Value, owner: Owner, what: &str) -> Vec<OwnerName> {
        if let Some(name) = item.as_str() {
            return vec![OwnerName::Exact(Principal {
                kind: owner,
                name: name.to_string(),
            })];
        }
        vec![match item.get("Ref").and_then(Value::as_str) {
            Some(target)
                if self
                    .resource_type(target)
                    .and_then(principal_type)
                    .is_some_and(|(k, _)| k == owner) =>
            {
                return self.principal(target);
            }
            Some(target) => OwnerName::Unknown(format!(
                "{what} names !Ref {target}, not a {} of the template",
                owner.as_str()
            )),
            None => OwnerName::Unknown(format!("{what} has {}: not evaluated", describe(item))),
        }]
    }

    /// The names of the role, user or group `logical` of the template.
    pub(super) fn principal(&self, logical: &str) -> Vec<OwnerName> {
        let Some(kind) = self.resource_type(logical) else {
            return vec![OwnerName::Unknown(format!(
                "{logical} is not a resource of the template"
            ))];
        };
        let Some((owner, key)) = principal_type(kind) else {
            return vec![OwnerName::Unknown(format!("{logical} is a {kind}"))];
        };
        let written = self
            .resources
            .iter()
            .find(|m| m.key == logical)
            .and_then(|m| m.value["Properties"].get(key));
        self.name_of(logical, owner, kind, written.map(|w| (key, w)))
    }

    /// A principal's name by the rules of the module documentation.
    pub(super) fn name_of(
        &self,
        logical: &str,
        owner: Owner,
        kind: &str,
        written: Option<(&str, &Value)>,
    ) -> Vec<OwnerName> {
        match self.stated(logical, owner, kind, written) {
            Stated::Deployed(names) => names
                .into_iter()
                .map(|(stack, name)| OwnerName::Deployed {
                    principal: Principal { kind: owner, name },
                    label: format!("{} {logical} of stack {stack}", owner.as_str()),
                })
                .collect(),
            Stated::Name(name) => vec![name],
            Stated::Generated => vec![self.generated(logical, owner)],
        }
    }

    /// What the stacks and the template say of a principal's name, before
    /// generated names are told apart.
    fn stated(
        &self,
        logical: &str,
        owner: Owner,
        kind: &str,
        written: Option<(&str, &Value)>,
    ) -> Stated {
        let context = self.context;
        let deployed: Vec<&StackResource> = context
            .resources
            .iter()
            .filter(|r| r.logical == logical)
            .collect();
        let literal = written.and_then(|(_, value)| value.as_str());
        for resource in &deployed {
            // A stack whose resource of that logical ID is of another type,
            // or has another name than the template writes, was not made
            // from this template: whose policy this is, is not known.
            if resource.kind != kind {
                return Stated::Name(OwnerName::Unknown(format!(
                    "stack {}'s {logical} is a {}, the template's a {kind}",
                    resource.stack, resource.kind
                )));
            }
            if literal.is_some_and(|name| name != resource.physical) {
                return Stated::Name(OwnerName::Unknown(format!(
                    "stack {}'s {logical} is named {}, the template names it {}",
                    resource.stack,
                    resource.physical,
                    literal.unwrap_or_default()
                )));
            }
        }
        if !deployed.is_empty() {
            // The same template as several stacks: each deployment owns it.
            return Stated::Deployed(
                deployed
                    .into_iter()
                    .map(|r| (r.stack.clone(), r.physical.clone()))
                    .collect(),
            );
        }
        match written {
            Some((_, value)) if value.as_str().is_some() => {
                Stated::Name(OwnerName::Exact(Principal {
                    kind: owner,
                    name: value.as_str().unwrap_or_default().to_string(),
                }))
            }
            Some((key, value)) => {
                Stated::Name(match value.get("Fn::Sub").and_then(Value::as_str) {
                    Some(template) => sub_owner(template, owner, logical, context),
                    None => OwnerName::Unknown(format!(
                        "{key} of {logical} is {}: give --stack-resources",
                        describe(value)
                    )),
                })
            }
            None => Stated::Generated,
        }
    }

    /// The name CloudFormation generates for `logical`, as a pattern that
    /// no other principal of the kind in the template may also fit.
    fn generated(&self, logical: &str, owner: Owner) -> OwnerName {
        let Some(stack) = &self.context.stack_name else {
            return OwnerName::Unknown(format!(
                "{logical}'s name is generated by CloudFormation: give --stack-resources (or --stack-name)"
            ));
        };
        if owner == Owner::Group {
            return OwnerName::Unknown(format!(
                "group {logical}'s name is generated: give --stack-resources"
            ));
        }
        let parts = |id: &str| {
            vec![
                NamePart::Literal(format!("{stack}-{id}-")),
                NamePart::Suffix,
            ]
        };
        let mut rivals = Vec::new();
        for (id, kind, written) in self.principals(owner) {
            if id == logical {
                continue;
            }
            match self.stated(&id, owner, kind, written) {
                Stated::Deployed(names) => rivals.extend(
                    names.into_iter().map(|(_, name)| vec![NamePart::Literal(name)]),
                ),
                Stated::Name(
                    OwnerName::Exact(principal) | OwnerName::Deployed { principal, .. },
                ) => {
                    rivals.push(vec![NamePart::Literal(principal.name)])
                }
                Stated::Name(OwnerName::Fits(pattern)) => rivals.push(pattern.parts),
                Stated::Name(OwnerName::Unknown(_) | OwnerName::Unnamed(_)) => {
                    return OwnerName::Unknown(format!(
                        "{logical}'s name is generated, and {id}'s is not known: a role that fits one may be the other's; give --stack-resources"
                    ))
                }
                Stated::Generated => rivals.push(parts(&id)),
            }
        }
        OwnerName::Fits(NamePattern {
            kind: owner,
            parts: parts(logical),
            label: format!("{} {logical} of stack {stack}", owner.as_str()),
            rivals,
        })
    }

    /// The template's principals of kind `owner` (SAM functions' roles
    /// included): logical ID, type and written name.
    fn principals(&self, owner: Owner) -> Vec<(String, &'static str, Written<'a>)> {
        let mut found = Vec::new();
        for member in self.resources {
            let kind = member
                .value
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match principal_type(kind) {
                Some((k, key)) if k == owner => {
                    let written = member.value["Properties"].get(key).map(|v| (key, v));
                    let kind = match owner {
                        Owner::Role => "AWS::IAM::Role",
                        Owner::User => "AWS::IAM::User",
                        Owner::Group => "AWS::IAM::Group",
                    };
                    found.push((member.key.clone(), kind, written));
                }
                _ if owner == Owner::Role
                    && kind.starts_with("AWS::Serverless::")
                    && member.value["Properties"].get("Role").is_none() =>
                {
                    found.push((format!("{}Role", member.key), "AWS::IAM::Role", None));
                }
                _ => {}
            }
        }
        found
    }
}

/// A principal's name property as written: its key and value.
type Written<'a> = Option<(&'a str, &'a Value)>;

/// What is said of a principal's name: see [`Finder::stated`].
enum Stated {
    /// The stacks and physical names of its deployments.
    Deployed(Vec<(String, String)>),
    /// The name the template writes (or why it is not known).
    Name(OwnerName),
    /// None: CloudFormation generates it.
    Generated,
}

/// A `!Sub` string with only pseudo parameters, substituted as far as
/// the run knows them: `AWS::StackName` from `--stack-name`, `AWS::Region`
/// from `--region`; `AWS::AccountId` and `AWS::Partition` stay holes a
/// finding's ARN fills. Literal runs are merged. An error says which
/// variable refine cannot know (`uses ${Env}: give --stack-resources`).
pub(super) fn substitute(template: &str, context: &StackContext) -> Result<Vec<NamePart>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("${") {
        literal.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find('}').ok_or("is an unclosed !Sub")?;
        let variable = &after[..end];
        rest = &after[end + 1..];
        let value = match variable {
            _ if variable.starts_with('!') => Some(format!("${{{}}}", &variable[1..])),
            "AWS::StackName" => Some(
                context
                    .stack_name
                    .clone()
                    .ok_or("uses ${AWS::StackName}: give --stack-name or --stack-resources")?,
            ),
            "AWS::Region" => Some(
                context
                    .region
                    .clone()
                    .ok_or("uses ${AWS::Region}: give --region or --stack-resources")?,
            ),
            "AWS::AccountId" | "AWS::Partition" => None,
            _ => return Err(format!("uses ${{{variable}}}: give --stack-resources")),
        };
        match value {
            Some(value) => literal.push_str(&value),
            None => {
                if !literal.is_empty() {
                    parts.push(NamePart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(match variable {
                    "AWS::AccountId" => NamePart::AccountId,
                    _ => NamePart::Partition,
                });
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() || parts.is_empty() {
        parts.push(NamePart::Literal(literal));
    }
    Ok(parts)
}

/// The name `parts` spell when they have no hole.
pub(super) fn literal(parts: &[NamePart]) -> Option<String> {
    match parts {
        [NamePart::Literal(name)] => Some(name.clone()),
        _ => None,
    }
}

/// The owner a `!Sub` name of the principal `logical` makes: a name, a
/// pattern a finding's ARN completes, or why it is not known.
fn sub_owner(template: &str, owner: Owner, logical: &str, context: &StackContext) -> OwnerName {
    match substitute(template, context) {
        Ok(parts) => match literal(&parts) {
            Some(name) => OwnerName::Exact(Principal { kind: owner, name }),
            None => OwnerName::Fits(NamePattern {
                kind: owner,
                parts,
                label: format!("{} {logical}", owner.as_str()),
                rivals: Vec::new(),
            }),
        },
        Err(why) => OwnerName::Unknown(format!("the name of {logical} {why}")),
    }
}

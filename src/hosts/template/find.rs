//! The identity policies of a template, and the principals each belongs to.
//!
//! Where policies are written: `Policies[].PolicyDocument` of
//! `AWS::IAM::Role`, `User` and `Group`; `PolicyDocument` of
//! `AWS::IAM::Policy`, `ManagedPolicy`, `RolePolicy`, `UserPolicy` and
//! `GroupPolicy`; the inline `Statement` documents in `Policies` of
//! `AWS::Serverless::Function` and `StateMachine`. Trust policies and
//! resource policies are never read. SAM policy templates and managed
//! policy names in `Policies` are reported, not changed.
//!
//! Whose each is ([`OwnerName`]): a role's, user's or group's name is, in
//! this order, its physical ID in the stack resources given, its literal
//! `RoleName`/`UserName`/`GroupName`, a `!Sub` of that name with only
//! pseudo parameters (`AWS::StackName` from `--stack-name`, `AWS::Region`
//! from `--region`, `AWS::AccountId` and `AWS::Partition` from the
//! finding's ARN), or, with `--stack-name` and no name written, the name
//! CloudFormation generates (`<stack>-<LogicalId>-<suffix>`), matched to a
//! finding only when no other logical ID of the template fits it. A SAM
//! function's role is the logical ID `<Function>Role`. Anything else is an
//! owner refine cannot name, and the policy stays as written.

use super::view::{function_name, is_intrinsic};
use crate::error::{InputError, JsonPath};
use crate::input::stack::StackResource;
use crate::json::{Kind, Value};
use crate::model::principal::{NamePart, NamePattern, Owner, OwnerName, Principal};
use crate::output::size::Limit;

/// What a template's owners are told by the run.
#[derive(Debug, Clone, Default)]
pub struct StackContext {
    /// The resources of the stacks the template was deployed as.
    pub resources: Vec<StackResource>,
    /// `--stack-name`.
    pub stack_name: Option<String>,
    /// `--region`.
    pub region: Option<String>,
}

/// A policy document found in a template.
#[derive(Debug, Clone)]
pub struct Found {
    /// Where the document is in the template.
    pub document: JsonPath,
    /// The resource and policy, for messages (`AppRole policy s3`).
    pub place: String,
    /// Its owners, as far as the template and the context tell.
    pub owners: Vec<OwnerName>,
    /// The IAM size limit that applies.
    pub limit: Option<Limit>,
}

/// Something in a template's `Policies` that refine reports but does not
/// change (a SAM policy template, a managed policy's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    /// Where it is.
    pub path: JsonPath,
    /// What it is.
    pub what: String,
}

/// The kinds of principal a resource type is, and its name property.
fn principal_type(kind: &str) -> Option<(Owner, &'static str)> {
    match kind {
        "AWS::IAM::Role" => Some((Owner::Role, "RoleName")),
        "AWS::IAM::User" => Some((Owner::User, "UserName")),
        "AWS::IAM::Group" => Some((Owner::Group, "GroupName")),
        _ => None,
    }
}

/// Reads the template's resources.
pub struct Finder<'a> {
    resources: &'a [crate::json::Member],
    context: &'a StackContext,
    found: Vec<Found>,
    left: Vec<Left>,
}

impl<'a> Finder<'a> {
    /// Every policy of the template `tree`, and what is left as written.
    pub fn find(
        tree: &'a Value,
        context: &'a StackContext,
    ) -> Result<(Vec<Found>, Vec<Left>), InputError> {
        let resources = tree
            .get("Resources")
            .and_then(Value::as_object)
            .unwrap_or_default();
        let mut finder = Finder {
            resources,
            context,
            found: Vec::new(),
            left: Vec::new(),
        };
        for member in resources {
            finder.resource(&member.key, &member.value)?;
        }
        Ok((finder.found, finder.left))
    }

    fn resource(&mut self, logical: &str, resource: &Value) -> Result<(), InputError> {
        let path = JsonPath::root().key("Resources").key(logical);
        let kind = resource
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let properties = &resource["Properties"];
        let props = path.key("Properties");
        match kind {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                let Some((owner, _)) = principal_type(kind) else {
                    return Ok(());
                };
                let owners = self.principal(logical);
                self.inline_list(logical, properties, &props, owners, Limit::Inline(owner))
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                let mut owners = Vec::new();
                let mut kinds = Vec::new();
                for (key, owner) in [
                    ("Roles", Owner::Role),
                    ("Users", Owner::User),
                    ("Groups", Owner::Group),
                ] {
                    if let Some(list) = properties.get(key) {
                        kinds.push(owner);
                        owners.extend(self.listed(list, owner, &format!("{key} of {logical}")));
                    }
                }
                let managed = kind == "AWS::IAM::ManagedPolicy";
                if managed {
                    owners.extend(self.attached(logical));
                }
                if owners.is_empty() {
                    owners.push(OwnerName::Unknown(format!(
                        "{logical} is attached to no principal of the template"
                    )));
                }
                let limit = match managed {
                    true => Some(Limit::Managed),
                    false => kinds
                        .into_iter()
                        .map(Limit::Inline)
                        .min_by_key(|l| l.chars()),
                };
                self.document(
                    logical,
                    properties,
                    &props,
                    owners,
                    limit,
                    logical.to_string(),
                )
            }
            "AWS::IAM::RolePolicy" | "AWS::IAM::UserPolicy" | "AWS::IAM::GroupPolicy" => {
                let (owner, key) = match kind {
                    "AWS::IAM::RolePolicy" => (Owner::Role, "RoleName"),
                    "AWS::IAM::UserPolicy" => (Owner::User, "UserName"),
                    _ => (Owner::Group, "GroupName"),
                };
                let owners = match properties.get(key) {
                    Some(name) => self.listed_one(name, owner, &format!("{key} of {logical}")),
                    None => vec![OwnerName::Unknown(format!("{logical} has no {key}"))],
                };
                self.document(
                    logical,
                    properties,
                    &props,
                    owners,
                    Some(Limit::Inline(owner)),
                    logical.to_string(),
                )
            }
            "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                self.serverless(logical, properties, &props)
            }
            _ => Ok(()),
        }
    }

    /// `Policies[].PolicyDocument` of a role, user or group.
    fn inline_list(
        &mut self,
        logical: &str,
        properties: &Value,
        props: &JsonPath,
        owners: Vec<OwnerName>,
        limit: Limit,
    ) -> Result<(), InputError> {
        let Some(list) = properties.get("Policies") else {
            return Ok(());
        };
        let path = props.key("Policies");
        if is_intrinsic(list) {
            self.left.push(Left {
                path,
                what: format!(
                    "Policies of {logical} is {}: not evaluated",
                    function_name(list)
                ),
            });
            return Ok(());
        }
        let Some(items) = list.as_array() else {
            return Err(InputError::at(
                &path,
                format!("Policies must be a list, found {}", list.kind_name()),
            ));
        };
        for (i, item) in items.iter().enumerate() {
            let at = path.index(i);
            if is_intrinsic(item) {
                self.left.push(Left {
                    path: at,
                    what: format!(
                        "a policy of {logical} is {}: not evaluated",
                        function_name(item)
                    ),
                });
                continue;
            }
            if !item.is_object() {
                return Err(InputError::at(
                    &at,
                    format!(
                        "a policy must be a mapping with PolicyName and PolicyDocument, found {}",
                        item.kind_name()
                    ),
                ));
            }
            let name = item
                .get("PolicyName")
                .and_then(Value::as_str)
                .map_or_else(|| format!("policy {i}"), |n| format!("policy {n}"));
            self.document(
                logical,
                item,
                &at,
                owners.clone(),
                Some(limit),
                format!("{logical} {name}"),
            )?;
        }
        Ok(())
    }

    /// The `PolicyDocument` of `holder` (at `at`).
    fn document(
        &mut self,
        logical: &str,
        holder: &Value,
        at: &JsonPath,
        owners: Vec<OwnerName>,
        limit: Option<Limit>,
        place: String,
    ) -> Result<(), InputError> {
        if holder.get("PolicyDocument").is_none() {
            return Err(InputError::at(
                at,
                format!("no PolicyDocument in {logical}"),
            ));
        }
        self.found.push(Found {
            document: at.key("PolicyDocument"),
            place,
            owners,
            limit,
        });
        Ok(())
    }

    /// The `Policies` of a SAM function or state machine: inline documents
    /// are refined; policy templates and managed policies are reported.
    fn serverless(
        &mut self,
        logical: &str,
        properties: &Value,
        props: &JsonPath,
    ) -> Result<(), InputError> {
        let Some(policies) = properties.get("Policies") else {
            return Ok(());
        };
        let path = props.key("Policies");
        if properties.get("Role").is_some() {
            self.left.push(Left {
                path,
                what: format!("{logical} has a Role, so SAM ignores its Policies"),
            });
            return Ok(());
        }
        let role = format!("{logical}Role");
        let owners = self.name_of(&role, Owner::Role, "AWS::IAM::Role", None);
        let items: Vec<(JsonPath, &Value)> = match &policies.kind {
            Kind::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (path.index(i), v))
                .collect(),
            _ => vec![(path.clone(), policies)],
        };
        for (at, item) in items {
            let what = match &item.kind {
                Kind::Object(_) if item.get("Statement").is_some() => {
                    self.found.push(Found { document: at, place: format!("{logical} inline policy"), owners: owners.clone(), limit: Some(Limit::Inline(Owner::Role)) });
                    continue;
                }
                Kind::String(name) => format!("the managed policy {}", crate::error::quote(name)),
                _ if is_intrinsic(item) => format!("{} (a managed policy)", function_name(item)),
                Kind::Object(members) if members.len() == 1 => format!("the SAM policy template {}", members[0].key),
                _ => return Err(InputError::at(&at, "a SAM policy must be a managed policy, a policy template or a document with Statement")),
            };
            self.left.push(Left {
                path: at,
                what: format!("{what} of {logical}: not changed"),
            });
        }
        Ok(())
    }

    /// The owners named by a `Roles`/`Users`/`Groups` list.
    fn listed(&self, list: &Value, owner: Owner, what: &str) -> Vec<OwnerName> {
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
    fn listed_one(&self, item: &Value, owner: Owner, what: &str) -> Vec<OwnerName> {
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

    /// The principals that attach the managed policy `logical` through
    /// `ManagedPolicyArns`, and SAM functions that list it in `Policies`:
    /// by `!Ref` or `!GetAtt` of it anywhere in the entry (under an `!If`
    /// too: a conditional attachment may be deployed), or by an ARN (a
    /// string or a `!Sub`) ending in its `ManagedPolicyName`. An owner too
    /// many only keeps actions; one missed could drop what it uses.
    fn attached(&self, logical: &str) -> Vec<OwnerName> {
        let name = self
            .resources
            .iter()
            .find(|m| m.key == logical)
            .and_then(|m| {
                m.value["Properties"]
                    .get("ManagedPolicyName")
                    .and_then(Value::as_str)
            });
        let refers = |v: &Value| mentions(v, logical, name);
        let mut owners = Vec::new();
        for member in self.resources {
            let kind = member
                .value
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let properties = &member.value["Properties"];
            let (list, principal) = match kind {
                "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                    (&properties["Policies"], format!("{}Role", member.key))
                }
                _ if principal_type(kind).is_some() => {
                    (&properties["ManagedPolicyArns"], member.key.clone())
                }
                _ => continue,
            };
            let listed = match &list.kind {
                Kind::Array(items) => items.iter().any(refers),
                _ => refers(list),
            };
            if listed {
                owners.extend(match principal_type(kind) {
                    Some(_) => self.principal(&principal),
                    None => self.name_of(&principal, Owner::Role, "AWS::IAM::Role", None),
                });
            }
        }
        owners
    }

    fn resource_type(&self, logical: &str) -> Option<&str> {
        self.resources
            .iter()
            .find(|m| m.key == logical)?
            .value
            .get("Type")?
            .as_str()
    }

    /// The names of the role, user or group `logical` of the template.
    fn principal(&self, logical: &str) -> Vec<OwnerName> {
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
    fn name_of(
        &self,
        logical: &str,
        owner: Owner,
        kind: &str,
        written: Option<(&str, &Value)>,
    ) -> Vec<OwnerName> {
        let context = self.context;
        let deployed: Vec<&StackResource> = context
            .resources
            .iter()
            .filter(|r| r.logical == logical && r.kind == kind)
            .filter(|r| context.stack_name.as_ref().is_none_or(|s| &r.stack == s))
            .collect();
        if !deployed.is_empty() {
            // The same template as several stacks: each deployment owns it.
            return deployed
                .into_iter()
                .map(|r| {
                    OwnerName::Exact(Principal {
                        kind: owner,
                        name: r.physical.clone(),
                    })
                })
                .collect();
        }
        let name = match written {
            Some((_, value)) if value.as_str().is_some() => OwnerName::Exact(Principal {
                kind: owner,
                name: value.as_str().unwrap_or_default().to_string(),
            }),
            Some((key, value)) => match value.get("Fn::Sub").and_then(Value::as_str) {
                Some(template) => substitute(template, owner, logical, context),
                None => OwnerName::Unknown(format!(
                    "{key} of {logical} is {}: give --stack-resources",
                    describe(value)
                )),
            },
            None => self.generated(logical, owner),
        };
        vec![name]
    }

    /// The name CloudFormation generates for `logical`, as a pattern.
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
        let rivals = self
            .generated_ids(owner)
            .into_iter()
            .filter(|id| id != logical)
            .map(|id| parts(&id))
            .collect();
        OwnerName::Fits(NamePattern {
            kind: owner,
            parts: parts(logical),
            label: format!("{} {logical} of stack {stack}", owner.as_str()),
            rivals,
        })
    }

    /// The logical IDs of the template's principals of kind `owner` whose
    /// names CloudFormation generates (SAM functions' roles included).
    fn generated_ids(&self, owner: Owner) -> Vec<String> {
        let mut ids = Vec::new();
        for member in self.resources {
            let kind = member
                .value
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match principal_type(kind) {
                Some((k, key)) if k == owner && member.value["Properties"].get(key).is_none() => {
                    ids.push(member.key.clone())
                }
                _ if owner == Owner::Role && kind.starts_with("AWS::Serverless::") => {
                    ids.push(format!("{}Role", member.key))
                }
                _ => {}
            }
        }
        ids
    }
}

/// Whether `value` refers to the managed policy `logical` (named `name`):
/// a `Ref` or `Fn::GetAtt` of it anywhere inside, or a string (`Fn::Sub`
/// template included) that is an ARN ending in `:policy/...name`.
fn mentions(value: &Value, logical: &str, name: Option<&str>) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match &value.kind {
            Kind::String(text) => {
                let arn = text.contains(":policy/")
                    && name.is_some_and(|n| text.ends_with(&format!("/{n}")));
                if arn {
                    return true;
                }
            }
            Kind::Array(items) => stack.extend(items),
            Kind::Object(members) => {
                for member in members {
                    let target = match (&member.key[..], &member.value.kind) {
                        ("Ref", Kind::String(target)) => Some(target.as_str()),
                        ("Fn::GetAtt", Kind::String(path)) => path.split('.').next(),
                        ("Fn::GetAtt", Kind::Array(items)) => items.first().and_then(Value::as_str),
                        _ => None,
                    };
                    if target == Some(logical) {
                        return true;
                    }
                    stack.push(&member.value);
                }
            }
            _ => {}
        }
    }
    false
}

/// A `!Sub` name with only pseudo parameters, as a name or a pattern.
fn substitute(template: &str, owner: Owner, logical: &str, context: &StackContext) -> OwnerName {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("${") {
        literal.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            return OwnerName::Unknown(format!("the name of {logical} is an unclosed !Sub"));
        };
        let variable = &after[..end];
        rest = &after[end + 1..];
        if let Some(kept) = variable.strip_prefix('!') {
            literal.push_str(&format!("${{{kept}}}"));
            continue;
        }
        let known = match variable {
            "AWS::StackName" => context.stack_name.clone().ok_or("--stack-name"),
            "AWS::Region" => context.region.clone().ok_or("--region"),
            "AWS::AccountId" | "AWS::Partition" => Err(""),
            _ => {
                return OwnerName::Unknown(format!(
                    "the name of {logical} uses ${{{variable}}}: give --stack-resources"
                ))
            }
        };
        match known {
            Ok(value) => literal.push_str(&value),
            Err("") => {
                parts.push(NamePart::Literal(std::mem::take(&mut literal)));
                parts.push(match variable {
                    "AWS::AccountId" => NamePart::AccountId,
                    _ => NamePart::Partition,
                });
            }
            Err(flag) => {
                return OwnerName::Unknown(format!(
                    "the name of {logical} uses ${{{variable}}}: give {flag} or --stack-resources"
                ))
            }
        }
    }
    literal.push_str(rest);
    if parts.is_empty() {
        return OwnerName::Exact(Principal {
            kind: owner,
            name: literal,
        });
    }
    parts.push(NamePart::Literal(literal));
    parts.retain(|p| *p != NamePart::Literal(String::new()));
    OwnerName::Fits(NamePattern {
        kind: owner,
        parts,
        label: format!("{} {logical}", owner.as_str()),
        rivals: Vec::new(),
    })
}

/// A value for a message about it: `!Ref X`, `Fn::Join`, a number.
fn describe(value: &Value) -> String {
    match value.get("Ref").and_then(Value::as_str) {
        Some(target) => format!("!Ref {target}"),
        None if is_intrinsic(value) => function_name(value).to_string(),
        None => value.kind_name().to_string(),
    }
}

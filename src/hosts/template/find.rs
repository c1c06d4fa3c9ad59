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
use crate::model::principal::{Owner, OwnerName};
use crate::model::size::Limit;

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
pub(super) fn principal_type(kind: &str) -> Option<(Owner, &'static str)> {
    match kind {
        "AWS::IAM::Role" => Some((Owner::Role, "RoleName")),
        "AWS::IAM::User" => Some((Owner::User, "UserName")),
        "AWS::IAM::Group" => Some((Owner::Group, "GroupName")),
        _ => None,
    }
}

/// Reads the template's resources.
pub struct Finder<'a> {
    pub(super) tree: &'a Value,
    pub(super) resources: &'a [crate::json::Member],
    pub(super) context: &'a StackContext,
    /// Why the template may hold principals refine does not read, if it
    /// may (see `Finder::unseen_principals`): read once per template.
    unseen: Option<String>,
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
            tree,
            resources,
            context,
            unseen: None,
            found: Vec::new(),
            left: Vec::new(),
        };
        finder.unseen = finder.unseen_principals();
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
                let managed = kind == "AWS::IAM::ManagedPolicy";
                let (owners, limit) = self.policy_owners(logical, properties, managed);
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

    /// The owners of an `AWS::IAM::Policy` or `ManagedPolicy`, and the size
    /// limit that applies to it.
    fn policy_owners(
        &self,
        logical: &str,
        properties: &Value,
        managed: bool,
    ) -> (Vec<OwnerName>, Option<Limit>) {
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
        if managed {
            if let Some(why) = &self.unseen {
                owners.push(OwnerName::Unknown(format!(
                    "{why}: who attaches {logical} is not known"
                )));
            }
            owners.extend(self.attached(logical));
            if let Some(place) = self.used_elsewhere(logical) {
                owners.push(OwnerName::Unknown(format!(
                    "{logical} is also used at {place}, which refine does not follow (a permissions boundary, an export, another resource)"
                )));
            }
        }
        if owners.is_empty() {
            owners.push(OwnerName::Unknown(format!(
                "{logical} is attached to no principal of the template"
            )));
        }
        // An inline policy of several kinds of principal counts against
        // each; the smallest limit applies.
        let limit = match managed {
            true => Some(Limit::Managed),
            false => kinds
                .into_iter()
                .map(Limit::Inline)
                .min_by_key(|l| l.chars()),
        };
        (owners, limit)
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
        if let Some(role) = properties.get("Role") {
            // A Role that is a condition may or may not be there: whose the
            // Policies are is then not known either way.
            let what = match function_name(role) == "Fn::If" {
                true => format!(
                    "{logical}'s Role is {}: its Policies are not evaluated",
                    function_name(role)
                ),
                false => format!("{logical} has a Role, so SAM ignores its Policies"),
            };
            self.left.push(Left { path, what });
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
                _ if is_intrinsic(item) => format!("{} (not evaluated)", function_name(item)),
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

    pub(super) fn resource_type(&self, logical: &str) -> Option<&str> {
        self.resources
            .iter()
            .find(|m| m.key == logical)?
            .value
            .get("Type")?
            .as_str()
    }
}

/// A value for a message about it: `!Ref X`, `Fn::Join`, a number.
pub(super) fn describe(value: &Value) -> String {
    match value.get("Ref").and_then(Value::as_str) {
        Some(target) => format!("!Ref {target}"),
        None if is_intrinsic(value) => function_name(value).to_string(),
        None => value.kind_name().to_string(),
    }
}

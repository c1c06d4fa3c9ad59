//! Whose each Terraform policy is: references followed through the
//! configuration ([`super::graph`]), names from the configuration or the
//! state.
//!
//! The rules (an owner too many only keeps an action; one too few could
//! drop one in use, so every doubt is an unknown owner, and a principal
//! refine sees but cannot name is an unnamed one, which an owners manifest
//! may answer):
//! * `aws_iam_role_policy` (user, group): the principal its `role`
//!   (`user`, `group`) names; an `inline_policy` of `aws_iam_role`: that
//!   role.
//! * `aws_iam_policy`: every principal an attachment in its module gives
//!   it to (`aws_iam_role_policy_attachment`, user and group ones,
//!   `aws_iam_policy_attachment`'s `roles`, `users`, `groups`,
//!   `aws_iam_role.managed_policy_arns`). Any other use of it (an output, a
//!   module argument, a local, its ARN or name written out) is an owner
//!   refine does not follow.
//! * `data "aws_iam_policy_document"`: the owners of every policy whose
//!   `policy` uses its JSON, and of every document that names it in
//!   `source_policy_documents` (or the older `source_json`). A document
//!   used as an override (its statements replace others by Sid) and any
//!   other use (a bucket policy, an output) is not followed.
//! * A principal reference is a literal name or ARN, a role, user or group
//!   of the module (`aws_iam_role.app.name`, every instance under `count`
//!   or `for_each`), a `data "aws_iam_role"` (user, group) with a literal
//!   name, a `var.` (what each call of the module passes, followed into the
//!   caller), a `local.`, a list of these, or either side of a condition.
//! * A principal resource's names: its instances in the state (`--tf-state`),
//!   else its literal `name`; `name_prefix` or a computed name without a
//!   state is an owner refine cannot name.
//! * A module's policies are owned through every call of it that the graph
//!   knows; one a call from outside the tree may reach, or with an override
//!   file, has an unknown owner.

use super::find::Holder;
use super::graph::{address, Context, Graph, GraphError, CHAINS, DEPTH};
use super::hcl::{self, attribute, labels, literal, Reference};
use crate::model::principal::{Owner, OwnerName, Principal};
use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;

fn principal_kind(resource: &str) -> Option<Owner> {
    match resource {
        "aws_iam_role" => Some(Owner::Role),
        "aws_iam_user" => Some(Owner::User),
        "aws_iam_group" => Some(Owner::Group),
        _ => None,
    }
}

impl<'c> Graph<'c> {
    /// The owners of the policy `holder` declares in module `m`, over every
    /// call chain that reaches the module.
    pub fn owners(&self, m: usize, holder: &Holder) -> Result<Vec<OwnerName>, GraphError> {
        let mut owners = Vec::new();
        let contexts = self.contexts(m, 0);
        if contexts.len() > CHAINS {
            return Ok(vec![unknown(format!(
                "its module is reached by more than {CHAINS} chains of module calls"
            ))]);
        }
        if let Some(why) = self.tainted.get(m).and_then(Option::as_ref) {
            owners.push(unknown(why.clone()));
        }
        for context in contexts {
            // A caller with files refine does not read (an override file)
            // may pass something else than refine reads.
            if let Some(why) = context
                .iter()
                .find_map(|(caller, _)| self.tainted.get(*caller).and_then(Option::as_ref))
            {
                owners.push(unknown(why.clone()));
                continue;
            }
            for owner in self.holder_owners(m, &context, holder, 0)? {
                if !owners.contains(&owner) {
                    owners.push(owner);
                }
            }
        }
        Ok(owners)
    }

    fn holder_owners(
        &self,
        m: usize,
        context: &Context<'c>,
        holder: &Holder,
        depth: usize,
    ) -> Result<Vec<OwnerName>, GraphError> {
        if depth > DEPTH {
            return Ok(vec![unknown(
                "policy documents include each other too deeply",
            )]);
        }
        match holder {
            Holder::Inline { kind, name } => {
                let Some((file, block)) = self.block(m, "resource", kind, name) else {
                    return Ok(vec![unknown(format!("{kind}.{name} is not declared"))]);
                };
                let (owner, key) = super::find::inline_kind(kind).unwrap_or((Owner::Role, "role"));
                match attribute(&block.body, key) {
                    Some(expr) => self.principals(m, context, file, expr, owner),
                    None => Ok(vec![unknown(format!("{kind}.{name} has no {key}"))]),
                }
            }
            Holder::RoleInline { name } => {
                self.resource_names(m, context, Owner::Role, "aws_iam_role", name)
            }
            Holder::Managed { name } => self.attached(m, context, name),
            Holder::Document { name } => self.document_users(m, context, name, depth),
        }
    }

    /// The owners of `aws_iam_policy.name` of module `m`: what its
    /// attachments give it to.
    fn attached(
        &self,
        m: usize,
        context: &Context<'c>,
        name: &str,
    ) -> Result<Vec<OwnerName>, GraphError> {
        let target = ["aws_iam_policy", name];
        let mut owners = Vec::new();
        if let Some(why) = self.named_elsewhere(m, name) {
            owners.push(unknown(why));
        }
        let uses = self.uses(m, &target);
        if uses.is_empty() {
            owners.push(unknown(format!(
                "aws_iam_policy.{name} is attached to no principal of the configuration"
            )));
        }
        for (file, block, attr, _) in uses {
            let kind = labels(block).first().copied().unwrap_or_default();
            let lists: &[(&str, Owner)] = match (kind, attr.as_str()) {
                ("aws_iam_role_policy_attachment", "policy_arn") => &[("role", Owner::Role)],
                ("aws_iam_user_policy_attachment", "policy_arn") => &[("user", Owner::User)],
                ("aws_iam_group_policy_attachment", "policy_arn") => &[("group", Owner::Group)],
                ("aws_iam_policy_attachment", "policy_arn") => &[
                    ("roles", Owner::Role),
                    ("users", Owner::User),
                    ("groups", Owner::Group),
                ],
                ("aws_iam_role", "managed_policy_arns") if block.ident.as_str() == "resource" => {
                    let role = labels(block).get(1).copied().unwrap_or_default();
                    let names =
                        self.resource_names(m, context, Owner::Role, "aws_iam_role", role)?;
                    owners.extend(names);
                    continue;
                }
                _ => {
                    owners.push(unknown(format!(
                        "aws_iam_policy.{name} is also used by {} ({attr}), which refine does not follow",
                        address(block)
                    )));
                    continue;
                }
            };
            for (key, owner) in lists {
                if let Some(expr) = attribute(&block.body, key) {
                    owners.extend(self.principals(m, context, file, expr, *owner)?);
                }
            }
        }
        Ok(owners)
    }

    /// Why `aws_iam_policy.name` of module `m` may be attached by its name
    /// or ARN written out (`"arn:aws:iam::...:policy/app"`, a
    /// `data "aws_iam_policy"` of that name), which refine does not
    /// follow; `None` when nothing in the configuration names it so.
    fn named_elsewhere(&self, m: usize, name: &str) -> Option<String> {
        let (_, block) = self.block(m, "resource", "aws_iam_policy", name)?;
        let written = attribute(&block.body, "name").and_then(literal)?;
        let names_it = |text: &str| {
            text.rsplit_once(":policy/")
                .is_some_and(|(_, path)| path.rsplit('/').next() == Some(written))
        };
        for module in &self.modules {
            for (_, other) in &module.blocks {
                let data = other.ident.as_str() == "data"
                    && labels(other).first() == Some(&"aws_iam_policy")
                    && attribute(&other.body, "name").and_then(literal) == Some(written);
                if data || hcl::strings(&other.body).iter().any(|(_, s)| names_it(s)) {
                    return Some(format!(
                        "aws_iam_policy.{name} ({written}) is also named by {}, which refine does not follow",
                        address(other)
                    ));
                }
            }
        }
        None
    }

    /// The owners of `data.aws_iam_policy_document.name` of module `m`:
    /// those of every policy that uses it.
    fn document_users(
        &self,
        m: usize,
        context: &Context<'c>,
        name: &str,
        depth: usize,
    ) -> Result<Vec<OwnerName>, GraphError> {
        let target = ["data", "aws_iam_policy_document", name];
        let uses = self.uses(m, &target);
        let mut owners = Vec::new();
        if uses.is_empty() {
            owners.push(unknown(format!(
                "data.aws_iam_policy_document.{name} is used by no policy of the configuration"
            )));
        }
        for (_, block, attr, _) in uses {
            let labels = labels(block);
            let kind = labels.first().copied().unwrap_or_default();
            let user = labels.get(1).copied().unwrap_or_default();
            let holder = match (block.ident.as_str(), kind, attr.as_str()) {
                // An override document's statements replace those of the
                // same Sid in the document it overrides: a statement
                // refinement removed would let the overridden one back.
                (
                    "data",
                    "aws_iam_policy_document",
                    "override_policy_documents" | "override_json",
                ) => {
                    owners.push(unknown(format!(
                        "data.aws_iam_policy_document.{name} overrides statements of {} by Sid",
                        address(block)
                    )));
                    continue;
                }
                ("resource", "aws_iam_policy", "policy") => Holder::Managed { name: user.into() },
                ("resource", _, "policy") if super::find::inline_kind(kind).is_some() => {
                    Holder::Inline {
                        kind: kind.into(),
                        name: user.into(),
                    }
                }
                ("resource", "aws_iam_role", "inline_policy.policy") => {
                    Holder::RoleInline { name: user.into() }
                }
                ("data", "aws_iam_policy_document", attr)
                    if super::find::INCLUDES.contains(&attr) && user != name =>
                {
                    Holder::Document { name: user.into() }
                }
                _ => {
                    let why = match attr.as_str() {
                        "assume_role_policy" => "as a trust policy".to_string(),
                        _ => format!("({attr}), which refine does not follow"),
                    };
                    owners.push(unknown(format!(
                        "data.aws_iam_policy_document.{name} is also used by {} {why}",
                        address(block)
                    )));
                    continue;
                }
            };
            owners.extend(self.holder_owners(m, context, &holder, depth + 1)?);
        }
        Ok(owners)
    }

    /// The principals `expr` (in module `m`, file `file`) names as
    /// principals of kind `owner`.
    fn principals(
        &self,
        m: usize,
        context: &Context<'c>,
        file: usize,
        expr: &'c Expression,
        owner: Owner,
    ) -> Result<Vec<OwnerName>, GraphError> {
        let text_of =
            |what: &str| unnamed(format!("the {} is {what}: not followed", owner.as_str()));
        match expr {
            Expression::String(name) => Ok(vec![named(owner, name.value())]),
            Expression::Array(items) => {
                let mut all = Vec::new();
                for item in items.iter() {
                    all.extend(self.principals(m, context, file, item, owner)?);
                }
                Ok(all)
            }
            Expression::Conditional(c) => {
                let mut all = self.principals(m, context, file, &c.true_expr, owner)?;
                all.extend(self.principals(m, context, file, &c.false_expr, owner)?);
                Ok(all)
            }
            Expression::Parenthesis(p) => self.principals(m, context, file, p.inner(), owner),
            Expression::Traversal(traversal) => {
                let reference = match &traversal.expr {
                    Expression::Variable(_) => hcl::references(expr).into_iter().next(),
                    // `[a, b][var.i]`: which one is not known.
                    _ => None,
                };
                let Some(reference) = reference else {
                    return Ok(vec![unknown(format!(
                        "the {} is an expression refine does not follow",
                        owner.as_str()
                    ))]);
                };
                self.principal_reference(m, context, file, &reference, owner)
            }
            Expression::StringTemplate(_) => Ok(vec![text_of("a string template")]),
            _ => Ok(vec![text_of("an expression")]),
        }
    }

    /// The principals a reference names.
    fn principal_reference(
        &self,
        m: usize,
        context: &Context<'c>,
        file: usize,
        reference: &Reference,
        owner: Owner,
    ) -> Result<Vec<OwnerName>, GraphError> {
        let names: Vec<&str> = reference.names.iter().map(String::as_str).collect();
        match names[..] {
            [kind, name, ..] if principal_kind(kind).is_some() => {
                let kind_owner = principal_kind(kind).unwrap_or(owner);
                if self.block(m, "resource", kind, name).is_none() {
                    return Err(GraphError {
                        file,
                        span: reference.span,
                        message: format!("a reference to {kind}.{name}, which is not declared"),
                    });
                }
                self.resource_names(m, context, kind_owner, kind, name)
            }
            ["data", kind, name, ..] if principal_kind(kind).is_some() => {
                let kind_owner = principal_kind(kind).unwrap_or(owner);
                let Some((_, block)) = self.block(m, "data", kind, name) else {
                    return Err(GraphError {
                        file,
                        span: reference.span,
                        message: format!(
                            "a reference to data.{kind}.{name}, which is not declared"
                        ),
                    });
                };
                let key = ["role_name", "user_name", "group_name", "name"]
                    .into_iter()
                    .find_map(|k| attribute(&block.body, k).and_then(literal));
                Ok(vec![match key {
                    Some(name) => named(kind_owner, name),
                    None => unnamed(format!("data.{kind}.{name} has no literal name")),
                }])
            }
            ["var", variable, ..] => {
                let Some((caller, call)) = context.last().copied() else {
                    return Ok(vec![unnamed(format!(
                        "the {} is var.{variable}, an input of the root module",
                        owner.as_str()
                    ))]);
                };
                let outer: Context<'c> = context[..context.len() - 1].to_vec();
                let Some(argument) = attribute(&call.body, variable) else {
                    return Ok(vec![unnamed(format!(
                        "the {} is var.{variable}, which module.{} does not pass",
                        owner.as_str(),
                        labels(call).first().copied().unwrap_or_default()
                    ))]);
                };
                let call_file = self
                    .modules
                    .get(caller)
                    .and_then(|c| c.blocks.iter().find(|(_, b)| std::ptr::eq(*b, call)))
                    .map_or(file, |(f, _)| *f);
                self.principals(caller, &outer, call_file, argument, owner)
            }
            ["local", local, ..] => {
                let found = self.modules.get(m).and_then(|module| {
                    module
                        .blocks
                        .iter()
                        .filter(|(_, b)| b.ident.as_str() == "locals")
                        .find_map(|(f, b)| attribute(&b.body, local).map(|e| (*f, e)))
                });
                match found {
                    Some((f, expr)) => self.principals(m, context, f, expr, owner),
                    None => Ok(vec![unknown(format!("local.{local} is not declared"))]),
                }
            }
            _ => Ok(vec![unnamed(format!(
                "the {} is {}: not followed",
                owner.as_str(),
                names.join(".")
            ))]),
        }
    }

    /// The strings `expr` (in module `m`, reached by `context`) is: a
    /// literal, a `var.` each call passes as one (followed into the
    /// caller), a `local.`, or a template of those; `None` when any part
    /// is anything else (a function, a resource's attribute, a condition).
    fn strings_of(
        &self,
        m: usize,
        context: &Context<'c>,
        expr: &'c Expression,
        depth: usize,
    ) -> Option<Vec<String>> {
        if depth > DEPTH {
            return None;
        }
        match expr {
            Expression::String(s) => Some(vec![s.value().clone()]),
            Expression::Parenthesis(p) => self.strings_of(m, context, p.inner(), depth + 1),
            Expression::Traversal(t) => {
                let Expression::Variable(root) = &t.expr else {
                    return None;
                };
                let [op] = &t.operators[..] else {
                    return None;
                };
                let hcl_edit::expr::TraversalOperator::GetAttr(name) = op.value() else {
                    return None;
                };
                match root.as_str() {
                    "var" => {
                        let (caller, call) = context.last().copied()?;
                        let outer: Context<'c> = context[..context.len() - 1].to_vec();
                        let argument = attribute(&call.body, name.as_str())?;
                        self.strings_of(caller, &outer, argument, depth + 1)
                    }
                    "local" => {
                        let module = self.modules.get(m)?;
                        let local = module
                            .blocks
                            .iter()
                            .filter(|(_, b)| b.ident.as_str() == "locals")
                            .find_map(|(_, b)| attribute(&b.body, name.as_str()))?;
                        self.strings_of(m, context, local, depth + 1)
                    }
                    _ => None,
                }
            }
            Expression::StringTemplate(template) => {
                let mut out = String::new();
                for element in template.iter() {
                    match element {
                        hcl_edit::template::Element::Literal(text) => out.push_str(text.value()),
                        // `${~ x ~}` strips the text around it: not read.
                        hcl_edit::template::Element::Interpolation(i)
                            if i.strip != hcl_edit::template::Strip::None =>
                        {
                            return None
                        }
                        hcl_edit::template::Element::Interpolation(i) => {
                            match &self.strings_of(m, context, &i.expr, depth + 1)?[..] {
                                [one] => out.push_str(one),
                                _ => return None,
                            }
                        }
                        hcl_edit::template::Element::Directive(_) => return None,
                    }
                }
                Some(vec![out])
            }
            _ => None,
        }
    }

    /// The names of the principal resource `kind.name` of module `m`: its
    /// instances in the state, else its literal name.
    fn resource_names(
        &self,
        m: usize,
        context: &Context<'c>,
        owner: Owner,
        kind: &str,
        name: &str,
    ) -> Result<Vec<OwnerName>, GraphError> {
        let address = format!("{kind}.{name}");
        if let Some((_, block)) = self.block(m, "resource", kind, name) {
            if let Some(why) = named_per_deployment(block) {
                return Ok(vec![unknown(format!("{address}: {why}"))]);
            }
        }
        let root = context.first().map_or(m, |(caller, _)| *caller);
        if let Some((state, _)) = self.state.filter(|(_, r)| *r == root) {
            let path: Vec<String> = context
                .iter()
                .map(|(_, call)| {
                    labels(call)
                        .first()
                        .copied()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            let instances = state.instances_of(&path, kind, name);
            if !instances.is_empty() {
                return Ok(instances
                    .iter()
                    .map(|instance| {
                        let from_arn = instance.arn.as_deref().and_then(Principal::from_arn);
                        match (&instance.values_name, from_arn) {
                            (Some(n), _) => named(owner, n),
                            (None, Some(p)) => OwnerName::Exact(p),
                            (None, None) => {
                                unnamed(format!("{} has no name in the state (a name known only after apply: give the state after it)", instance.address))
                            }
                        }
                    })
                    .collect());
            }
        }
        let Some((_, block)) = self.block(m, "resource", kind, name) else {
            return Ok(vec![unknown(format!("{address} is not declared"))]);
        };
        let why = match attribute(&block.body, "name") {
            Some(expr) => match self.strings_of(m, context, expr, 0) {
                Some(names) => return Ok(names.iter().map(|n| named(owner, n)).collect()),
                None => "its name is an expression",
            },
            None if block.body.has_attribute("name_prefix") => "its name has a name_prefix",
            None => "Terraform generates its name",
        };
        let state = match self.state {
            Some((_, r)) if r == root => "it is not in the state given",
            _ => "give --tf-state",
        };
        Ok(vec![unnamed(format!("{address}: {why} ({state})"))])
    }
}

/// Why a principal resource's name is not one name the configuration or
/// a state can tell: it holds `terraform.workspace` (one name per
/// workspace, and a state is one workspace's), or its `lifecycle` ignores
/// changes to it (the deployed name may be another).
fn named_per_deployment(block: &Block) -> Option<&'static str> {
    let name = attribute(&block.body, "name").or_else(|| attribute(&block.body, "name_prefix"));
    let workspace = name.is_some_and(|expr| {
        hcl::references(expr).iter().any(|r| {
            r.names.first().is_some_and(|n| n == "terraform")
                && r.names.get(1).is_some_and(|n| n == "workspace")
        })
    });
    if workspace {
        return Some("its name holds terraform.workspace: each workspace's role is another");
    }
    let ignored = block.body.get_blocks("lifecycle").any(|lifecycle| {
        attribute(&lifecycle.body, "ignore_changes").is_some_and(|expr| {
            matches!(expr, Expression::Variable(v) if v.as_str() == "all")
                || hcl::references(expr)
                    .iter()
                    .any(|r| r.names.first().is_some_and(|n| n == "name" || n == "all"))
        })
    });
    ignored.then_some("its lifecycle ignores changes to its name: the deployed one may be another")
}

/// A principal named by a literal: a name, or an ARN.
fn named(owner: Owner, name: &str) -> OwnerName {
    match Principal::from_arn(name) {
        Some(principal) => OwnerName::Exact(principal),
        None => OwnerName::Exact(Principal {
            kind: owner,
            name: name.to_string(),
        }),
    }
}

fn unknown(why: impl Into<String>) -> OwnerName {
    OwnerName::Unknown(why.into())
}

fn unnamed(why: impl Into<String>) -> OwnerName {
    OwnerName::Unnamed(why.into())
}

//! Terraform state and plans: which resource instances a configuration
//! became, as `terraform show -json` prints them.
//!
//! Terraform documents this JSON as its stable interface (the state file
//! and the binary plan are not), so refine reads only it. A state prints
//! `{"format_version", "terraform_version", "values"}`; a saved plan prints
//! `planned_values` (the same shape as `values`, attributes not known
//! until apply left out) and `prior_state` (a whole state object). Both
//! shapes hold a `root_module` with `resources` and `child_modules`, each
//! child with its absolute `address` (`module.a[0]`) and children of its
//! own. An empty state prints `format_version` alone.
//!
//! Each resource names its `address`, `mode` (`managed` or `data`),
//! `type`, `name`, `index` (the count or for_each key, a number or a
//! string, absent without either) and its attribute `values`. A resource
//! being replaced may also appear a second time at the same address as a
//! `deposed_key` object.
//!
//! `format_version` is `0.x` up to Terraform 1.0 and `1.x` since; Terraform
//! promises to raise the major version for incompatible changes and asks
//! readers to refuse a major version they do not know, so refine does.

use crate::error::{quote, InputError, JsonPath, Location};
use crate::json::{self, write, Kind, Value};
use std::collections::HashMap;

/// What to run to get the input this reader takes: every refusal of the
/// whole file comes with it, since the usual mistake is passing the state
/// file, the binary plan or the human-readable `terraform show` instead.
const HINT: &str =
    "run `terraform show -json > state.json` (or `terraform show -json plan.out` for a saved plan)";

/// One resource instance of a state or plan.
///
/// Kept as the parts refine matches configuration against (module call
/// names, type, resource name) rather than one address string, because a
/// resource in a module called with `count` or `for_each` has one instance
/// per module instance and per key, all declared by the same block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TfInstance {
    /// The absolute instance address as Terraform printed it, e.g.
    /// `module.m[0].aws_iam_role.r["k"]`: unique in a state, so the key
    /// that merges a plan's two views of the same instance.
    pub address: String,
    /// The module call names from the root, instance keys stripped
    /// (`module.a[0].module.b` is `["a", "b"]`): the module blocks of the
    /// configuration that declared it.
    pub module: Vec<String>,
    /// The module instance address as given (`module.a[0]`), empty in the
    /// root module: tells apart the instances of one module block.
    pub module_address: String,
    /// Whether this is a managed resource (`mode` `managed`) rather than a
    /// data source: only managed resources are principals this
    /// configuration owns.
    pub managed: bool,
    /// The resource type, e.g. `aws_iam_role`.
    pub kind: String,
    /// The resource name in the configuration (`r` of `aws_iam_role.r`).
    pub name: String,
    /// The instance key as addresses write it: `0` for a count index,
    /// `"k"` (quoted, escaped as JSON) for a for_each key; `None` for a
    /// resource with neither.
    pub key: Option<String>,
    /// The `name` attribute, when known: an IAM principal's name, which is
    /// what findings and account data identify it by.
    pub values_name: Option<String>,
    /// The `arn` attribute, when known (never in a plan for a principal
    /// not yet created).
    pub arn: Option<String>,
}

/// The resource instances of a state, or of a plan's planned and prior
/// states merged, one per address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TfState {
    /// The instances, in the order Terraform listed them (a plan's planned
    /// instances first, then those only in its prior state).
    pub instances: Vec<TfInstance>,
}

impl TfState {
    /// Instances of the managed resource `kind.name` declared in the module
    /// at `module` (call names), every instance key and module instance.
    ///
    /// Data sources are left out: `data.kind.name` is another block than
    /// `kind.name` even with the same type and name, and it reads an object
    /// owned elsewhere.
    pub fn instances_of(&self, module: &[String], kind: &str, name: &str) -> Vec<&TfInstance> {
        self.instances
            .iter()
            .filter(|i| i.managed && i.module == module && i.kind == kind && i.name == name)
            .collect()
    }
}

/// An instance as read from one values tree, before merging.
struct Found {
    /// The instance.
    instance: TfInstance,
    /// Whether it is a deposed object: the old one of a replacement, which
    /// must not hide the current object at the same address.
    deposed: bool,
}

/// Reads the output of `terraform show -json`, of a state or of a saved
/// plan.
pub fn read(text: &str) -> Result<TfState, InputError> {
    let tree = json::read(text, "the JSON output of `terraform show -json`").map_err(not_json)?;
    check_format(&tree)?;
    let root = JsonPath::root();
    let mut found = Vec::new();
    if tree.get("planned_values").is_some() || tree.get("prior_state").is_some() {
        collect(&tree, &root.key("planned_values"), &mut found)?;
        let prior = root.key("prior_state");
        if object_at(tree.get("prior_state"), &prior)?.is_some() {
            collect(&tree, &prior.key("values"), &mut found)?;
        }
    } else {
        collect(&tree, &root.key("values"), &mut found)?;
    }
    Ok(TfState {
        instances: merge(found),
    })
}

/// A JSON syntax error, said to be about the wrong kind of file: text that
/// is not JSON at all is most often `terraform show` without `-json`.
fn not_json(err: InputError) -> InputError {
    let message = match err.location {
        Location::Whole => err.message,
        _ => format!(
            "not the JSON output of `terraform show -json`: {}",
            err.message
        ),
    };
    InputError {
        message,
        hint: err.hint.or_else(|| Some(HINT.to_string())),
        ..err
    }
}

/// Refuses what is not `terraform show -json` output of a format version
/// refine knows, naming what it is instead when that is recognisable.
fn check_format(tree: &Value) -> Result<(), InputError> {
    let not_show = |what: String| {
        InputError::whole(format!("not the output of `terraform show -json`: {what}"))
            .with_hint(HINT)
    };
    if !tree.is_object() {
        return Err(not_show(format!(
            "expected an object, found {}",
            tree.kind_name()
        )));
    }
    let Some(version) = tree.get("format_version") else {
        // terraform.tfstate itself: `version`, `lineage`, and `resources`
        // (`modules` before Terraform 0.12) at the top.
        if tree.get("version").is_some() && tree.get("lineage").or(tree.get("resources")).is_some()
        {
            return Err(InputError::whole(
                "a raw Terraform state file, not the output of `terraform show -json`",
            )
            .with_hint(
                "run `terraform show -json terraform.tfstate > state.json` and pass state.json",
            ));
        }
        return Err(not_show("no format_version".to_string()));
    };
    let path = JsonPath::root().key("format_version");
    let Some(text) = version.as_str() else {
        return Err(InputError::at(
            &path,
            format!(
                "format_version must be a string, found {}",
                version.kind_name()
            ),
        ));
    };
    let major = text.split_once('.').map_or(text, |(major, _)| major);
    if major != "0" && major != "1" {
        return Err(InputError::at(
            &path,
            format!("unsupported format_version {}: refine reads versions 0.x and 1.x of `terraform show -json` output", quote(text)),
        )
        .with_hint("a newer Terraform changed the format incompatibly; look for a newer refine"));
    }
    // An empty state prints format_version (and terraform_version) alone;
    // any other object without values is another command's output.
    let known = ["values", "planned_values", "prior_state"];
    let empty = ["format_version", "terraform_version"];
    let members = tree.as_object().unwrap_or_default();
    if !members.iter().any(|m| known.contains(&m.key.as_str()))
        && !members.iter().all(|m| empty.contains(&m.key.as_str()))
    {
        return Err(not_show(
            "no values, planned_values or prior_state".to_string(),
        ));
    }
    Ok(())
}

/// `value` (found at `path`) as an object: `None` when it is absent or
/// null (Terraform omits what is empty), an error when it is something
/// else.
fn object_at<'t>(
    value: Option<&'t Value>,
    path: &JsonPath,
) -> Result<Option<&'t Value>, InputError> {
    match value {
        None => Ok(None),
        Some(value) if value.is_null() => Ok(None),
        Some(value) if value.is_object() => Ok(Some(value)),
        Some(value) => Err(InputError::at(
            path,
            format!("expected an object, found {}", value.kind_name()),
        )),
    }
}

/// Adds the instances of the values representation at `path`, if any.
fn collect(tree: &Value, path: &JsonPath, out: &mut Vec<Found>) -> Result<(), InputError> {
    if object_at(tree.at(path), path)?.is_none() {
        return Ok(());
    }
    let root_path = path.key("root_module");
    let Some(root_module) = object_at(tree.at(&root_path), &root_path)? else {
        return Err(InputError::at(
            path,
            "no root_module: a values representation has one, even when empty",
        ));
    };
    walk(root_module, &root_path, &[], "", out)
}

/// Adds the resources of `module` (at `path`, with call names `names` and
/// instance address `address`) and of its child modules, recursively.
fn walk(
    module: &Value,
    path: &JsonPath,
    names: &[String],
    address: &str,
    out: &mut Vec<Found>,
) -> Result<(), InputError> {
    for (i, item) in array(module, path, "resources")?.iter().enumerate() {
        out.push(resource(
            item,
            &path.key("resources").index(i),
            names,
            address,
        )?);
    }
    for (i, child) in array(module, path, "child_modules")?.iter().enumerate() {
        let at = path.key("child_modules").index(i);
        if !child.is_object() {
            return Err(InputError::at(
                &at,
                format!(
                    "a child module must be an object, found {}",
                    child.kind_name()
                ),
            ));
        }
        let child_address = string(child, &at, "address", "each child module has an address")?;
        let Some(child_names) = module_names(child_address) else {
            return Err(InputError::at(
                &at.key("address"),
                format!(
                    "{} is not a module address such as module.a[0].module.b",
                    quote(child_address)
                ),
            ));
        };
        walk(child, &at, &child_names, child_address, out)?;
    }
    Ok(())
}

/// The array member `key` of `object` (at `path`); empty when absent or
/// null, since Terraform omits empty lists.
fn array<'t>(object: &'t Value, path: &JsonPath, key: &str) -> Result<&'t [Value], InputError> {
    match object.get(key) {
        None => Ok(&[]),
        Some(value) if value.is_null() => Ok(&[]),
        Some(value) => value.as_array().ok_or_else(|| {
            InputError::at(
                &path.key(key),
                format!("{key} must be an array, found {}", value.kind_name()),
            )
        }),
    }
}

/// The string member `key` of `object` (at `path`); `why` says which
/// members are required, for the message when it is missing.
fn string<'t>(
    object: &'t Value,
    path: &JsonPath,
    key: &str,
    why: &str,
) -> Result<&'t str, InputError> {
    match object.get(key) {
        None => Err(InputError::at(path, format!("no {key}: {why}"))),
        Some(value) => value.as_str().ok_or_else(|| {
            InputError::at(
                &path.key(key),
                format!("{key} must be a string, found {}", value.kind_name()),
            )
        }),
    }
}

/// One resource instance of a module's `resources`.
fn resource(
    item: &Value,
    path: &JsonPath,
    names: &[String],
    address: &str,
) -> Result<Found, InputError> {
    if !item.is_object() {
        return Err(InputError::at(
            path,
            format!("a resource must be an object, found {}", item.kind_name()),
        ));
    }
    let why = "each resource has address, mode, type and name";
    let key = match item.get("index") {
        None => None,
        Some(index) => match &index.kind {
            Kind::Null => None,
            Kind::Number(number) => Some(number.clone()),
            Kind::String(text) => Some(write::quoted(text)),
            _ => {
                return Err(InputError::at(
                    &path.key("index"),
                    format!(
                        "index must be a number (count) or a string (for_each), found {}",
                        index.kind_name()
                    ),
                ))
            }
        },
    };
    let values = object_at(item.get("values"), &path.key("values"))?;
    let attribute = |name: &str| {
        values
            .and_then(|values| values.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let instance = TfInstance {
        address: string(item, path, "address", why)?.to_string(),
        module: names.to_vec(),
        module_address: address.to_string(),
        managed: string(item, path, "mode", why)? == "managed",
        kind: string(item, path, "type", why)?.to_string(),
        name: string(item, path, "name", why)?.to_string(),
        key,
        values_name: attribute("name"),
        arn: attribute("arn"),
    };
    let deposed = item.get("deposed_key").is_some_and(|key| !key.is_null());
    Ok(Found { instance, deposed })
}

/// The instances, one per address: the first seen of each keeps its place
/// and takes a name or ARN it lacks from the later ones (a plan lists its
/// planned values first, where a computed name is missing, and its prior
/// state after, where the existing principal's name is). Deposed objects
/// count only where no current object has the address.
fn merge(found: Vec<Found>) -> Vec<TfInstance> {
    let (current, deposed): (Vec<Found>, Vec<Found>) = found.into_iter().partition(|f| !f.deposed);
    let mut slots: HashMap<String, usize> = HashMap::new();
    let mut instances: Vec<TfInstance> = Vec::new();
    for (found, fills) in current
        .into_iter()
        .map(|f| (f, true))
        .chain(deposed.into_iter().map(|f| (f, false)))
    {
        let instance = found.instance;
        match slots
            .get(&instance.address)
            .and_then(|&i| instances.get_mut(i))
        {
            Some(slot) if fills => {
                slot.values_name = slot.values_name.take().or(instance.values_name);
                slot.arn = slot.arn.take().or(instance.arn);
            }
            Some(_) => {}
            None => {
                slots.insert(instance.address.clone(), instances.len());
                instances.push(instance);
            }
        }
    }
    instances
}

/// The module call names of a module instance address: `module.a[0]`
/// `.module.b["x.y"]` is `["a", "b"]`; `None` when it is not one.
///
/// Read from the child module's own address because the resource address
/// would need the same parsing with the resource part to tell apart, and
/// a for_each key may hold any character.
fn module_names(address: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = address;
    loop {
        rest = rest.strip_prefix("module.")?;
        let end = rest.find(['[', '.']).unwrap_or(rest.len());
        let (name, after) = rest.split_at(end);
        let identifier = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
        if name.is_empty() || !name.chars().all(identifier) {
            return None;
        }
        names.push(name.to_string());
        rest = match after.strip_prefix('[') {
            Some(key) => after_key(key)?,
            None => after,
        };
        if rest.is_empty() {
            return Some(names);
        }
        rest = rest.strip_prefix('.')?;
    }
}

/// The text after an instance key's closing `]`, given the text after its
/// opening `[`: digits, or a JSON string whose escaped quotes and `]` are
/// part of the key.
fn after_key(text: &str) -> Option<&str> {
    let end = match text.strip_prefix('"') {
        Some(string) => {
            let mut escaped = false;
            let (quote_at, _) = string.char_indices().find(|&(_, c)| {
                let closes = !escaped && c == '"';
                escaped = !escaped && c == '\\';
                closes
            })?;
            quote_at + 2
        }
        None => {
            let digits = text.find(']')?;
            if digits == 0 || !text.bytes().take(digits).all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits
        }
    };
    text.get(end..)?.strip_prefix(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state as Terraform 1.x prints it: a root role and a data source,
    /// a module called with for_each whose key holds a dot and brackets,
    /// a counted role in it, and a nested module called with count holding
    /// a for_each role.
    const STATE: &str = r#"{
      "format_version": "1.0",
      "terraform_version": "1.9.5",
      "values": {
        "outputs": {"role_arn": {"sensitive": false, "value": "arn:aws:iam::123456789012:role/app", "type": "string"}},
        "root_module": {
          "resources": [
            {"address": "aws_iam_role.app", "mode": "managed", "type": "aws_iam_role", "name": "app",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"arn": "arn:aws:iam::123456789012:role/app", "name": "app", "path": "/", "tags": null},
             "sensitive_values": {}},
            {"address": "data.aws_iam_role.app", "mode": "data", "type": "aws_iam_role", "name": "app",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"arn": "arn:aws:iam::123456789012:role/shared", "name": "shared"}}
          ],
          "child_modules": [
            {
              "address": "module.team[\"a.b[c]\"]",
              "resources": [
                {"address": "module.team[\"a.b[c]\"].aws_iam_role.worker[0]", "mode": "managed", "type": "aws_iam_role",
                 "name": "worker", "index": 0, "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                 "values": {"arn": "arn:aws:iam::123456789012:role/worker-0", "name": "worker-0"}},
                {"address": "module.team[\"a.b[c]\"].aws_iam_role.worker[1]", "mode": "managed", "type": "aws_iam_role",
                 "name": "worker", "index": 1, "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                 "values": {"arn": "arn:aws:iam::123456789012:role/worker-1", "name": "worker-1"}}
              ],
              "child_modules": [
                {
                  "address": "module.team[\"a.b[c]\"].module.inner[0]",
                  "resources": [
                    {"address": "module.team[\"a.b[c]\"].module.inner[0].aws_iam_user.ci[\"ops.x[1]\"]", "mode": "managed",
                     "type": "aws_iam_user", "name": "ci", "index": "ops.x[1]",
                     "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                     "values": {"arn": "arn:aws:iam::123456789012:user/ci-ops", "name": "ci-ops"}}
                  ]
                }
              ]
            }
          ]
        }
      }
    }"#;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn reads_a_state_with_nested_modules_count_and_for_each_keys() {
        let state = read(STATE).unwrap();
        assert_eq!(state.instances.len(), 5);
        let root = &state.instances[0];
        assert_eq!(root.address, "aws_iam_role.app");
        assert!(root.module.is_empty() && root.module_address.is_empty());
        assert!(root.managed && root.key.is_none());
        assert_eq!(root.values_name.as_deref(), Some("app"));
        assert_eq!(
            root.arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/app")
        );
        assert!(!state.instances[1].managed);

        let workers = state.instances_of(&names(&["team"]), "aws_iam_role", "worker");
        let keys: Vec<_> = workers.iter().map(|i| i.key.as_deref()).collect();
        assert_eq!(keys, [Some("0"), Some("1")]);
        assert_eq!(workers[1].module_address, r#"module.team["a.b[c]"]"#);
        assert_eq!(workers[1].values_name.as_deref(), Some("worker-1"));

        let ci = state.instances_of(&names(&["team", "inner"]), "aws_iam_user", "ci");
        assert_eq!(ci.len(), 1);
        assert_eq!(ci[0].key.as_deref(), Some(r#""ops.x[1]""#));
        assert_eq!(
            ci[0].module_address,
            r#"module.team["a.b[c]"].module.inner[0]"#
        );
        assert_eq!(ci[0].kind, "aws_iam_user");
        assert_eq!(ci[0].name, "ci");

        // The data source of the same type and name is not the role block.
        let app = state.instances_of(&[], "aws_iam_role", "app");
        assert_eq!(app.len(), 1);
        assert_eq!(app[0].values_name.as_deref(), Some("app"));
        assert!(state
            .instances_of(&names(&["inner"]), "aws_iam_user", "ci")
            .is_empty());
    }

    #[test]
    fn a_plan_takes_a_name_known_only_in_the_prior_state() {
        // `name` is computed from an unknown value in the plan, so
        // planned_values leaves it (and the ARN) out; the prior state has
        // the role as it exists. A new role is only planned, a removed one
        // only prior, and a renamed one takes its planned name.
        let plan = r#"{
          "format_version": "1.2", "terraform_version": "1.9.5",
          "planned_values": {"root_module": {"resources": [
            {"address": "aws_iam_role.app", "mode": "managed", "type": "aws_iam_role", "name": "app",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"path": "/"}, "sensitive_values": {}},
            {"address": "aws_iam_role.renamed", "mode": "managed", "type": "aws_iam_role", "name": "renamed",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"name": "new-name"}},
            {"address": "aws_iam_role.fresh", "mode": "managed", "type": "aws_iam_role", "name": "fresh",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"name": "fresh"}}
          ]}},
          "resource_changes": [{"address": "aws_iam_role.app", "change": {"actions": ["update"]}}],
          "prior_state": {"format_version": "1.0", "terraform_version": "1.9.5", "values": {"root_module": {"resources": [
            {"address": "aws_iam_role.app", "mode": "managed", "type": "aws_iam_role", "name": "app",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"arn": "arn:aws:iam::123456789012:role/app-1a2b", "name": "app-1a2b"}},
            {"address": "aws_iam_role.old", "mode": "managed", "type": "aws_iam_role", "name": "old",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"arn": "arn:aws:iam::123456789012:role/old", "name": "old"}},
            {"address": "aws_iam_role.renamed", "mode": "managed", "type": "aws_iam_role", "name": "renamed",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"arn": "arn:aws:iam::123456789012:role/old-name", "name": "old-name"}}
          ]}}}
        }"#;
        let state = read(plan).unwrap();
        let addresses: Vec<_> = state.instances.iter().map(|i| i.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "aws_iam_role.app",
                "aws_iam_role.renamed",
                "aws_iam_role.fresh",
                "aws_iam_role.old"
            ]
        );
        let app = &state.instances[0];
        assert_eq!(app.values_name.as_deref(), Some("app-1a2b"));
        assert_eq!(
            app.arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/app-1a2b")
        );
        let renamed = &state.instances[1];
        assert_eq!(renamed.values_name.as_deref(), Some("new-name"));
        assert_eq!(
            renamed.arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/old-name")
        );
        assert_eq!(state.instances[2].arn, None);
    }

    #[test]
    fn a_first_plan_leaves_a_computed_name_unknown() {
        // A role with name_prefix in a plan against an empty state: no
        // prior_state at all, and no name or ARN until apply.
        let plan = r#"{
          "format_version": "1.2", "terraform_version": "1.9.5",
          "planned_values": {"root_module": {"child_modules": [{"address": "module.svc", "resources": [
            {"address": "module.svc.aws_iam_role.task", "mode": "managed", "type": "aws_iam_role", "name": "task",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"name_prefix": "task-", "path": "/", "tags": null}, "sensitive_values": {}}
          ]}]}},
          "resource_changes": [], "applyable": true, "complete": true, "errored": false
        }"#;
        let state = read(plan).unwrap();
        let task = state.instances_of(&names(&["svc"]), "aws_iam_role", "task");
        assert_eq!(task.len(), 1);
        assert_eq!(task[0].module_address, "module.svc");
        assert_eq!(
            (task[0].values_name.as_deref(), task[0].arn.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn a_deposed_object_does_not_hide_the_current_one() {
        // create_before_destroy: the old object stays, deposed, at the same
        // address until the apply finishes.
        let state = r#"{"format_version": "1.0", "values": {"root_module": {"resources": [
            {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
             "deposed_key": "00000001", "values": {"name": "r-old", "arn": "arn:aws:iam::123456789012:role/r-old"}},
            {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
             "values": {"name": "r-new"}}
        ]}}}"#;
        let state = read(state).unwrap();
        assert_eq!(state.instances.len(), 1);
        assert_eq!(state.instances[0].values_name.as_deref(), Some("r-new"));
        assert_eq!(state.instances[0].arn, None);
    }

    #[test]
    fn accepts_major_versions_0_and_1_and_an_empty_state() {
        for version in ["0.1", "0.2", "1.0", "1.2"] {
            let text =
                format!(r#"{{"format_version": "{version}", "values": {{"root_module": {{}}}}}}"#);
            assert_eq!(read(&text).unwrap(), TfState::default(), "{version}");
        }
        // What `terraform show -json` prints for a state with nothing in it.
        assert!(read(r#"{"format_version":"1.0"}"#)
            .unwrap()
            .instances
            .is_empty());
    }

    #[test]
    fn refuses_another_major_format_version_naming_it() {
        let err = read(r#"{"format_version": "2.0", "values": {"root_module": {}}}"#).unwrap_err();
        assert_eq!(
            err.location,
            Location::Path(JsonPath::root().key("format_version"))
        );
        assert!(
            err.message.contains(r#"unsupported format_version "2.0""#),
            "{}",
            err.message
        );
        let err = read(r#"{"format_version": 1, "values": {}}"#).unwrap_err();
        assert_eq!(
            err.message,
            "format_version must be a string, found a number"
        );
    }

    #[test]
    fn refuses_a_raw_state_file_and_other_json() {
        let raw = r#"{"version": 4, "terraform_version": "1.9.5", "serial": 12, "lineage": "5f2c-77",
          "outputs": {}, "resources": [{"mode": "managed", "type": "aws_iam_role", "name": "app",
          "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
          "instances": [{"schema_version": 0, "attributes": {"name": "app"}}]}], "check_results": null}"#;
        let err = read(raw).unwrap_err();
        assert_eq!(err.location, Location::Whole);
        assert!(
            err.message.starts_with("a raw Terraform state file"),
            "{}",
            err.message
        );
        assert!(err.hint.unwrap().contains("terraform show -json"));

        let err = read(r#"{"Version": "2012-10-17", "Statement": []}"#).unwrap_err();
        assert_eq!(
            err.message,
            "not the output of `terraform show -json`: no format_version"
        );
        assert_eq!(err.hint.as_deref(), Some(HINT));
        // `terraform providers schema -json` has a format_version too.
        let err = read(r#"{"format_version": "1.0", "provider_schemas": {}}"#).unwrap_err();
        assert!(err
            .message
            .ends_with("no values, planned_values or prior_state"));
        assert!(read("[]")
            .unwrap_err()
            .message
            .ends_with("expected an object, found an array"));
    }

    #[test]
    fn refuses_text_that_is_not_json() {
        // `terraform show` without -json.
        let err = read("# aws_iam_role.app:\nresource \"aws_iam_role\" \"app\" {\n").unwrap_err();
        assert_eq!(err.location, Location::LineColumn(1, 1));
        assert!(
            err.message
                .starts_with("not the JSON output of `terraform show -json`: invalid JSON"),
            "{}",
            err.message
        );
        assert_eq!(err.hint.as_deref(), Some(HINT));
        assert!(read("  \n").unwrap_err().message.starts_with("empty file"));
    }

    #[test]
    fn names_the_path_of_a_malformed_resource_or_module() {
        let text = r#"{"format_version": "1.0", "values": {"root_module": {"child_modules": [{"address": "module.m",
          "resources": [{"address": "module.m.aws_iam_role.a", "mode": "managed", "type": "aws_iam_role", "name": "a"},
                        {"address": "module.m.aws_iam_role.b", "mode": "managed", "name": "b"}]}]}}}"#;
        let err = read(text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "values.root_module.child_modules[0].resources[1]: no type: each resource has address, mode, type and name"
        );
        let err = read(r#"{"format_version": "1.0", "values": {"root_module": {"resources": [
          {"address": "aws_iam_role.a", "mode": "managed", "type": "aws_iam_role", "name": "a", "index": true}]}}}"#)
        .unwrap_err();
        assert_eq!(
            err.location,
            Location::Path(
                JsonPath::root()
                    .key("values")
                    .key("root_module")
                    .key("resources")
                    .index(0)
                    .key("index")
            )
        );
        let err = read(r#"{"format_version": "1.0", "planned_values": {"root_module": {"child_modules": [{"address": "aws_iam_role.a"}]}}}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"planned_values.root_module.child_modules[0].address: "aws_iam_role.a" is not a module address such as module.a[0].module.b"#
        );
        let err = read(r#"{"format_version": "1.2", "planned_values": {"root_module": {}}, "prior_state": {"values": {}}}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "prior_state.values: no root_module: a values representation has one, even when empty"
        );
    }

    #[test]
    fn module_addresses_give_call_names_whatever_their_keys_hold() {
        assert_eq!(module_names("module.a"), Some(names(&["a"])));
        assert_eq!(
            module_names("module.a[0].module.b"),
            Some(names(&["a", "b"]))
        );
        assert_eq!(
            module_names(r#"module.a["x.y]\"].module.z"].module.b-2[12]"#),
            Some(names(&["a", "b-2"]))
        );
        for bad in [
            "",
            "module.",
            "mod.a",
            "module.a[",
            "module.a[]",
            "module.a[x]",
            r#"module.a["x"#,
            "module.a[0]b",
            "module.a.",
            "module.a.b",
        ] {
            assert_eq!(module_names(bad), None, "{bad}");
        }
    }
}

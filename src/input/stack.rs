//! Stack resources: which physical principal each logical ID of a
//! deployed template became.
//!
//! `aws cloudformation describe-stack-resources --stack-name NAME` prints
//! `{"StackResources": [{"StackName", "LogicalResourceId",
//! "PhysicalResourceId", "ResourceType", ...}]}`; for a role, user or
//! group the physical ID is its name. Several files (stacks) may be given:
//! a template deployed as several stacks is owned in each.

use crate::error::{InputError, JsonPath};
use crate::json::{self, Value};

/// One resource of a deployed stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    /// The stack's name.
    pub stack: String,
    /// The resource's logical ID in the template.
    pub logical: String,
    /// Its physical ID: a role's, user's or group's name.
    pub physical: String,
    /// Its type (`AWS::IAM::Role`).
    pub kind: String,
}

/// The resources `describe-stack-resources` output lists.
pub fn parse(text: &str) -> Result<Vec<StackResource>, InputError> {
    let tree = json::read(text, "describe-stack-resources output")?;
    let root = JsonPath::root();
    let Some(list) = tree.get("StackResources") else {
        return Err(InputError::whole(
            "no StackResources: expected `aws cloudformation describe-stack-resources` output",
        ));
    };
    let Some(items) = list.as_array() else {
        return Err(InputError::at(
            &root.key("StackResources"),
            format!(
                "StackResources must be an array, found {}",
                list.kind_name()
            ),
        ));
    };
    let mut resources = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = root.key("StackResources").index(i);
        let field = |key: &str| -> Result<String, InputError> {
            match item.get(key).and_then(Value::as_str) {
                Some(text) if !text.is_empty() => Ok(text.to_string()),
                _ => Err(InputError::at(
                    &path,
                    format!("no {key}: each stack resource needs StackName, LogicalResourceId, PhysicalResourceId and ResourceType"),
                )),
            }
        };
        // A resource still being created has no physical ID yet: it owns
        // nothing so far.
        if item.get("PhysicalResourceId").is_none() {
            continue;
        }
        resources.push(StackResource {
            stack: field("StackName")?,
            logical: field("LogicalResourceId")?,
            physical: field("PhysicalResourceId")?,
            kind: field("ResourceType")?,
        });
    }
    Ok(resources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_describe_stack_resources_output_and_refuses_other_shapes() {
        let resources = parse(r#"{"StackResources": [{"StackName": "prod", "LogicalResourceId": "AppRole", "PhysicalResourceId": "prod-AppRole-1AB2", "ResourceType": "AWS::IAM::Role", "ResourceStatus": "CREATE_COMPLETE"}]}"#).unwrap();
        assert_eq!(resources[0].physical, "prod-AppRole-1AB2");
        assert!(parse("{}")
            .unwrap_err()
            .message
            .contains("no StackResources"));
        let err = parse(r#"{"StackResources": [{"StackName": "p", "PhysicalResourceId": "x"}]}"#)
            .unwrap_err();
        assert_eq!(
            err.location,
            crate::error::Location::Path(JsonPath::root().key("StackResources").index(0))
        );
    }
}

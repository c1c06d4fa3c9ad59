//! The owners manifest (`--owners FILE`): which principals each policy file
//! of a repository is attached to.
//!
//! A JSON object. Each key is a path relative to the manifest's directory,
//! glob patterns allowed (`*` and `?` within one path segment, `**` across
//! segments, `{a,b}` alternatives); each value lists the owners of the
//! files it matches:
//!
//! ```json
//! {
//!   "policies/app/*.json": ["arn:aws:iam::123456789012:role/app"],
//!   "policies/shared.json": ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"],
//!   "policies/dev.json": [{"group": "arn:aws:iam::123456789012:group/dev",
//!                          "members": ["arn:aws:iam::123456789012:user/alice"]}]
//! }
//! ```
//!
//! An owner is the ARN of a role or user, or a group: a group's policy is
//! owned by its members, listed with it (`{"group", "members"}`) or, for a
//! group given by its ARN alone, found in `--details`. A key that matches no
//! file, and a file that two keys give different owners, are errors: a
//! manifest that does not say what it seems to must not be trusted.

use crate::error::{quote, InputError, JsonPath};
use crate::json::{self, Kind, Value};
use crate::model::principal::{Owner, Principal};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// An owner as the manifest names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestOwner {
    /// A role or a user, by ARN.
    Principal(String),
    /// A group, by ARN, with its members when the manifest lists them.
    Group {
        /// The group's ARN.
        arn: String,
        /// The members' ARNs; `None`: ask `--details`.
        members: Option<Vec<String>>,
    },
}

/// One key of the manifest.
#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    owners: Vec<ManifestOwner>,
}

/// The manifest, read.
#[derive(Debug, Clone)]
pub struct Manifest {
    rules: Vec<Rule>,
    /// Every key's pattern, matched at once (one pass over a path for
    /// hundreds of keys), indices as in `rules`.
    set: GlobSet,
}

/// Two keys that give one file different owners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ambiguous {
    /// The two keys.
    pub keys: (String, String),
}

impl Manifest {
    /// Reads a manifest.
    pub fn parse(text: &str) -> Result<Manifest, InputError> {
        let value = json::read(text, "an owners manifest")?;
        let Kind::Object(members) = &value.kind else {
            return Err(InputError::whole(format!(
                "expected an owners manifest (a JSON object of paths and owners), found {}",
                value.kind_name()
            )));
        };
        let root = JsonPath::root();
        let mut rules = Vec::with_capacity(members.len());
        let mut set = GlobSetBuilder::new();
        for member in members {
            let path = root.key(&member.key);
            let glob = GlobBuilder::new(&member.key)
                .literal_separator(true)
                .build()
                .map_err(|err| {
                    InputError::at(
                        &path,
                        format!("{} is not a path pattern: {err}", quote(&member.key)),
                    )
                })?;
            set.add(glob);
            rules.push(Rule {
                pattern: member.key.clone(),
                owners: owners(&member.value, &path)?,
            });
        }
        let set = set
            .build()
            .map_err(|err| InputError::whole(format!("the keys are not path patterns: {err}")))?;
        Ok(Manifest { rules, set })
    }

    /// The owners of the file at `relative` (its path relative to the
    /// manifest's directory, `/`-separated), marking the keys that match;
    /// `None` when no key matches.
    pub fn owners_of(
        &self,
        relative: &str,
        matched: &mut [bool],
    ) -> Result<Option<Vec<ManifestOwner>>, Ambiguous> {
        let mut found: Option<&Rule> = None;
        // In key order: the first two keys that disagree are named.
        let mut hits = self.set.matches(relative);
        hits.sort_unstable();
        for i in hits {
            let Some(rule) = self.rules.get(i) else {
                continue;
            };
            if let Some(flag) = matched.get_mut(i) {
                *flag = true;
            }
            match found {
                Some(first) if first.owners != rule.owners => {
                    return Err(Ambiguous {
                        keys: (first.pattern.clone(), rule.pattern.clone()),
                    })
                }
                Some(_) => {}
                None => found = Some(rule),
            }
        }
        Ok(found.map(|rule| rule.owners.clone()))
    }

    /// Marks the keys that match `relative`, whatever their owners.
    pub fn mark(&self, relative: &str, matched: &mut [bool]) {
        for i in self.set.matches(relative) {
            if let Some(flag) = matched.get_mut(i) {
                *flag = true;
            }
        }
    }

    /// How many keys the manifest has (for the `matched` flags).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the manifest is empty.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The key at `index`.
    pub fn key(&self, index: usize) -> &str {
        self.rules.get(index).map_or("", |r| r.pattern.as_str())
    }
}

/// A key's list of owners.
fn owners(value: &Value, path: &JsonPath) -> Result<Vec<ManifestOwner>, InputError> {
    let Some(items) = value.as_array() else {
        return Err(InputError::at(
            path,
            format!("expected a list of owners, found {}", value.kind_name()),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| owner(item, &path.index(i)))
        .collect()
}

/// One owner: an ARN string, or `{"group", "members"}`.
fn owner(value: &Value, path: &JsonPath) -> Result<ManifestOwner, InputError> {
    if let Some(arn) = value.as_str() {
        let principal = principal_arn(arn, path)?;
        return Ok(match principal.kind {
            Owner::Group => ManifestOwner::Group {
                arn: arn.to_string(),
                members: None,
            },
            _ => ManifestOwner::Principal(arn.to_string()),
        });
    }
    if !value.is_object() {
        return Err(InputError::at(
            path,
            format!(
                "expected a principal ARN or {{\"group\", \"members\"}}, found {}",
                value.kind_name()
            ),
        ));
    }
    let group_path = path.key("group");
    let Some(arn) = value.get("group").and_then(Value::as_str) else {
        return Err(InputError::at(&group_path, "expected the group's ARN"));
    };
    if principal_arn(arn, &group_path)?.kind != Owner::Group {
        return Err(InputError::at(
            &group_path,
            format!("{} is not a group's ARN", quote(arn)),
        ));
    }
    let members = match value.get("members") {
        None => None,
        Some(list) => {
            let members_path = path.key("members");
            let Some(items) = list.as_array() else {
                return Err(InputError::at(
                    &members_path,
                    "expected a list of user ARNs",
                ));
            };
            let mut members = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let at = members_path.index(i);
                let arn = item
                    .as_str()
                    .ok_or_else(|| InputError::at(&at, "expected a user's ARN"))?;
                if principal_arn(arn, &at)?.kind != Owner::User {
                    return Err(InputError::at(
                        &at,
                        format!("{} is not a user's ARN", quote(arn)),
                    ));
                }
                members.push(arn.to_string());
            }
            Some(members)
        }
    };
    Ok(ManifestOwner::Group {
        arn: arn.to_string(),
        members,
    })
}

/// The principal an owner's ARN names, or the error at `path`.
fn principal_arn(arn: &str, path: &JsonPath) -> Result<Principal, InputError> {
    Principal::from_arn(arn).ok_or_else(|| {
        InputError::at(
            path,
            format!(
                "{} is not the ARN of an IAM role, user or group",
                quote(arn)
            ),
        )
        .with_hint("e.g. arn:aws:iam::123456789012:role/app")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"{
        "policies/app/*.json": ["arn:aws:iam::123456789012:role/app"],
        "policies/app/special.json": ["arn:aws:iam::123456789012:role/app"],
        "policies/**/shared.json": ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:user/u"],
        "policies/dev.json": [{"group": "arn:aws:iam::123456789012:group/dev", "members": ["arn:aws:iam::123456789012:user/alice"]}],
        "policies/ops.json": ["arn:aws:iam::123456789012:group/ops"]
    }"#;

    #[test]
    fn keys_are_globs_relative_to_the_manifest() {
        let manifest = Manifest::parse(MANIFEST).unwrap();
        let mut matched = vec![false; manifest.len()];
        let app = manifest
            .owners_of("policies/app/x.json", &mut matched)
            .unwrap();
        assert_eq!(
            app,
            Some(vec![ManifestOwner::Principal(
                "arn:aws:iam::123456789012:role/app".into()
            )])
        );
        assert!(manifest
            .owners_of("policies/app/deeper/x.json", &mut matched)
            .unwrap()
            .is_none());
        assert_eq!(
            manifest
                .owners_of("policies/a/b/shared.json", &mut matched)
                .unwrap()
                .map(|o| o.len()),
            Some(2)
        );
        assert_eq!(
            manifest
                .owners_of("policies/ops.json", &mut matched)
                .unwrap(),
            Some(vec![ManifestOwner::Group {
                arn: "arn:aws:iam::123456789012:group/ops".into(),
                members: None
            }])
        );
        assert_eq!(matched, vec![true, false, true, false, true]);
        // Two keys that agree are fine.
        assert!(manifest
            .owners_of("policies/app/special.json", &mut matched)
            .is_ok());
    }

    #[test]
    fn disagreeing_keys_and_bad_owners_are_refused() {
        let manifest = Manifest::parse(
            r#"{"p/*.json": ["arn:aws:iam::1:role/a"], "p/x.json": ["arn:aws:iam::1:role/b"]}"#,
        )
        .unwrap();
        let err = manifest
            .owners_of("p/x.json", &mut [false, false])
            .unwrap_err();
        assert_eq!(err.keys, ("p/*.json".to_string(), "p/x.json".to_string()));
        let err = Manifest::parse(r#"{"p.json": ["arn:aws:s3:::bucket"]}"#).unwrap_err();
        assert_eq!(
            err.message,
            "\"arn:aws:s3:::bucket\" is not the ARN of an IAM role, user or group"
        );
        let err = Manifest::parse(r#"{"p.json": "arn:aws:iam::1:role/a"}"#).unwrap_err();
        assert_eq!(err.message, "expected a list of owners, found a string");
        let err = Manifest::parse(
            r#"{"p.json": [{"group": "arn:aws:iam::1:group/g", "members": ["arn:aws:iam::1:role/r"]}]}"#,
        )
        .unwrap_err();
        assert!(
            err.message.ends_with("is not a user's ARN"),
            "{}",
            err.message
        );
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
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
            let key = normal_key(&member.key)
                .map_err(|why| InputError::at(&path, format!("{}: {why}", quote(&member.key))))?;
            let glob = GlobBuilder::new(&key)
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
    /// manifest's directory, `/`-separated); `None` when no key matches.
    pub fn owners_of(&self, relative: &str) -> Result<Option<Vec<ManifestOwner>>, Ambiguous> {
        let mut found: Option<&Rule> = None;
        // In key order: the first two keys that disagree are named.
        let mut hits = self.set.matches(relative);
        hits.sort_unstable();
        for i in hits {
            let Some(rule) = self.rules.get(i) else {
                continue;
            };
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

    /// Whether any key lists `arn` as an owner (or a group member).
    pub fn names(&self, arn: &str) -> bool {
        self.rules
            .iter()
            .flat_map(|rule| &rule.owners)
            .any(|owner| match owner {
                ManifestOwner::Principal(listed) => listed == arn,
                ManifestOwner::Group {
                    arn: group,
                    members,
                } => group == arn || members.iter().flatten().any(|member| member == arn),
            })
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

/// A key as the pattern it stands for: `/`-separated segments, `.` and
/// empty segments dropped, `..` only at the start (a manifest beside the
/// policies' directory names them `../policies/...`).
fn normal_key(key: &str) -> Result<String, &'static str> {
    if key.starts_with('/') {
        return Err("a key is a path relative to the manifest's directory, not an absolute one");
    }
    if key.ends_with('/') {
        return Err("a key names files, not a directory (`dir/*.json`, `dir/**`)");
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in key.split('/') {
        match segment {
            "" | "." => {}
            ".." if segments.iter().all(|s| *s == "..") => segments.push(".."),
            ".." => return Err("`..` may only start a key"),
            other => segments.push(other),
        }
    }
    if segments.last().is_none_or(|s| *s == "..") {
        return Err("a key names files, not a directory (`dir/*.json`, `dir/**`)");
    }
    Ok(segments.join("/"))
}

/// A key's list of owners, sorted (two keys that list the same owners in
/// another order agree).
fn owners(value: &Value, path: &JsonPath) -> Result<Vec<ManifestOwner>, InputError> {
    let Some(items) = value.as_array() else {
        return Err(InputError::at(
            path,
            format!("expected a list of owners, found {}", value.kind_name()),
        ));
    };
    if items.is_empty() {
        return Err(InputError::at(
            path,
            "an empty list of owners: name at least one, or remove the key",
        ));
    }
    let mut owners = items
        .iter()
        .enumerate()
        .map(|(i, item)| owner(item, &path.index(i)))
        .collect::<Result<Vec<_>, _>>()?;
    owners.sort();
    owners.dedup();
    Ok(owners)
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
    group(value, path)
}

/// A group owner: `{"group": ARN, "members": [ARN...]}`.
fn group(value: &Value, path: &JsonPath) -> Result<ManifestOwner, InputError> {
    if let Kind::Object(members) = &value.kind {
        if let Some(other) = members
            .iter()
            .find(|m| m.key != "group" && m.key != "members")
        {
            return Err(InputError::at(
                &path.key(&other.key),
                format!(
                    "unknown key {}: a group is {{\"group\": ARN, \"members\": [ARN...]}}",
                    quote(&other.key)
                ),
            ));
        }
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
            if items.is_empty() {
                return Err(InputError::at(
                    &members_path,
                    "an empty list of members: list them, or leave out \"members\" to take them from --details",
                ));
            }
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
            members.sort();
            members.dedup();
            Some(members)
        }
    };
    Ok(ManifestOwner::Group {
        arn: arn.to_string(),
        members,
    })
}

/// Whether `arn` is spelled as IAM spells a principal's ARN:
/// `arn:PARTITION:iam::ACCOUNT:KIND/[PATH/]NAME`, the account twelve
/// digits, the path and name of IAM's characters. A manifest is written by
/// hand: an ARN that could never match a finding is a typo to report.
fn well_formed(arn: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    let Some((_, rest)) = resource.split_once('/') else {
        return false;
    };
    scheme == "arn"
        && (partition == "aws" || partition.starts_with("aws-"))
        && partition
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-')
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && rest
            .split('/')
            .all(|s| !s.is_empty() && s.chars().all(name_char))
}

/// The principal an owner's ARN names, or the error at `path`.
fn principal_arn(arn: &str, path: &JsonPath) -> Result<Principal, InputError> {
    Principal::from_arn(arn)
        .filter(|_| well_formed(arn))
        .ok_or_else(|| {
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
        "./policies//app/special.json": ["arn:aws:iam::123456789012:role/app"],
        "policies/**/shared.json": ["arn:aws:iam::123456789012:user/u", "arn:aws:iam::123456789012:role/a"],
        "policies/dev.json": [{"group": "arn:aws:iam::123456789012:group/dev", "members": ["arn:aws:iam::123456789012:user/alice"]}],
        "policies/ops.json": ["arn:aws:iam::123456789012:group/ops"],
        "../elsewhere/*.json": ["arn:aws-cn:iam::123456789012:role/service-role/x"]
    }"#;

    #[test]
    fn keys_are_globs_relative_to_the_manifest() {
        let manifest = Manifest::parse(MANIFEST).unwrap();
        let app = manifest.owners_of("policies/app/x.json").unwrap();
        assert_eq!(
            app,
            Some(vec![ManifestOwner::Principal(
                "arn:aws:iam::123456789012:role/app".into()
            )])
        );
        assert!(manifest
            .owners_of("policies/app/deeper/x.json")
            .unwrap()
            .is_none());
        assert_eq!(
            manifest
                .owners_of("policies/a/b/shared.json")
                .unwrap()
                .map(|o| o.len()),
            Some(2)
        );
        assert_eq!(
            manifest.owners_of("policies/ops.json").unwrap(),
            Some(vec![ManifestOwner::Group {
                arn: "arn:aws:iam::123456789012:group/ops".into(),
                members: None
            }])
        );
        // `./`, `//` and a leading `..` are read as paths are.
        assert!(manifest
            .owners_of("policies/app/special.json")
            .unwrap()
            .is_some());
        assert!(manifest.owners_of("../elsewhere/p.json").unwrap().is_some());
        let mut matched = vec![false; manifest.len()];
        for path in [
            "policies/app/x.json",
            "policies/a/shared.json",
            "policies/ops.json",
        ] {
            manifest.mark(path, &mut matched);
        }
        assert_eq!(matched, vec![true, false, true, false, true, false]);
        assert!(manifest.names("arn:aws:iam::123456789012:user/alice"));
        assert!(!manifest.names("arn:aws:iam::123456789012:user/bob"));
    }

    #[test]
    fn disagreeing_keys_and_bad_owners_are_refused() {
        let manifest = Manifest::parse(
            r#"{"p/*.json": ["arn:aws:iam::111122223333:role/a"], "p/x.json": ["arn:aws:iam::111122223333:role/b"],
                "q/*.json": ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"],
                "q/x.json": ["arn:aws:iam::111122223333:role/b", "arn:aws:iam::111122223333:role/a"]}"#,
        )
        .unwrap();
        let err = manifest.owners_of("p/x.json").unwrap_err();
        assert_eq!(err.keys, ("p/*.json".to_string(), "p/x.json".to_string()));
        assert!(
            manifest.owners_of("q/x.json").is_ok(),
            "the same owners in another order agree"
        );
        let refused = |text: &str| Manifest::parse(text).unwrap_err().message;
        assert_eq!(
            refused(r#"{"p.json": ["arn:aws:s3:::bucket"]}"#),
            "\"arn:aws:s3:::bucket\" is not the ARN of an IAM role, user or group"
        );
        for arn in [
            "arn:aws:iam:::role/app",
            "arn:aws:iam::111122223333:role/app ",
            "arn:aws:iam::1:role/app",
            "arn:aws:iam::111122223333:role//app",
            "arn:awsfoo:iam::111122223333:role/app",
        ] {
            let message = refused(&format!(r#"{{"p.json": ["{arn}"]}}"#));
            assert!(
                message.ends_with("is not the ARN of an IAM role, user or group"),
                "{arn}: {message}"
            );
        }
        assert_eq!(
            refused(r#"{"p.json": "arn:aws:iam::111122223333:role/a"}"#),
            "expected a list of owners, found a string"
        );
        assert_eq!(
            refused(r#"{"p.json": []}"#),
            "an empty list of owners: name at least one, or remove the key"
        );
        assert!(refused(
            r#"{"p.json": [{"group": "arn:aws:iam::111122223333:group/g", "members": ["arn:aws:iam::111122223333:role/r"]}]}"#,
        )
        .ends_with("is not a user's ARN"));
        assert_eq!(
            refused(
                r#"{"p.json": [{"group": "arn:aws:iam::111122223333:group/g", "member": []}]}"#
            ),
            "unknown key \"member\": a group is {\"group\": ARN, \"members\": [ARN...]}"
        );
        assert_eq!(
            refused(r#"{"a/../b.json": ["arn:aws:iam::111122223333:role/a"]}"#),
            "\"a/../b.json\": `..` may only start a key"
        );
        assert_eq!(
            refused(r#"{"policies/": ["arn:aws:iam::111122223333:role/a"]}"#),
            "\"policies/\": a key names files, not a directory (`dir/*.json`, `dir/**`)"
        );
        assert_eq!(
            refused(r#"{"/etc/p.json": ["arn:aws:iam::111122223333:role/a"]}"#),
            "\"/etc/p.json\": a key is a path relative to the manifest's directory, not an absolute one"
        );
    }
}

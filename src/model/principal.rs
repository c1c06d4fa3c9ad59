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
}

//! Role rules, decided by casbin from an embedded model and policy.
//!
//! The policy maps roles to named rules only (no request attributes), so the
//! enforcer is asked once per (rule, role) at start-up and the answers are kept in
//! a table: a request pays a lookup, not a policy evaluation. Ownership (OWNER of
//! OWNER|ADMIN) depends on the entity and is checked in the handler after loading
//! it, with [`super::Claims::require_owner_or_admin`].

use std::collections::HashSet;

use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};
use types::{Role, Roles};

const MODEL: &str = include_str!("model.conf");
const POLICY: &str = include_str!("policy.csv");

/// A role rule a route requires.
pub trait Rule: Send + Sync + 'static {
    const NAME: &'static str;
}

/// The rules of API.md: ANY, ADMIN, USER, OWNER|ADMIN (role part).
pub mod rules {
    use super::Rule;

    /// Any authenticated user with any role.
    pub struct Any;
    /// ADMIN role.
    pub struct AdminOnly;
    /// USER role.
    pub struct UserOnly;
    /// Any role here; the handler then requires ownership unless ADMIN.
    pub struct AdminOrSubject;

    impl Rule for Any {
        const NAME: &'static str = "rule_any";
    }
    impl Rule for AdminOnly {
        const NAME: &'static str = "rule_admin_only";
    }
    impl Rule for UserOnly {
        const NAME: &'static str = "rule_user_only";
    }
    impl Rule for AdminOrSubject {
        const NAME: &'static str = "rule_admin_or_subject";
    }

    pub const ALL: [&str; 4] = [Any::NAME, AdminOnly::NAME, UserOnly::NAME, AdminOrSubject::NAME];
}

pub struct Authz {
    allowed: HashSet<(&'static str, Role)>,
}

impl Authz {
    pub async fn new() -> anyhow::Result<Authz> {
        let model = DefaultModel::from_str(MODEL).await?;
        let enforcer = Enforcer::new(model, StringAdapter::new(POLICY)).await?;
        let mut allowed = HashSet::new();
        for rule in rules::ALL {
            for role in Role::ALL {
                if enforcer.enforce((role.as_str(), rule))? {
                    allowed.insert((rule, role));
                }
            }
        }
        Ok(Authz { allowed })
    }

    /// True when any of `roles` satisfies `rule`.
    pub fn allows(&self, rule: &'static str, roles: &Roles) -> bool {
        roles.iter().any(|r| self.allowed.contains(&(rule, r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn policy_matches_the_api_rules() {
        let authz = Authz::new().await.unwrap();
        let admin = Roles::new([Role::Admin]).unwrap();
        let user = Roles::new([Role::User]).unwrap();
        let both = Roles::new([Role::Admin, Role::User]).unwrap();
        use rules::*;
        assert!(authz.allows(Any::NAME, &admin) && authz.allows(Any::NAME, &user));
        assert!(authz.allows(AdminOnly::NAME, &admin) && !authz.allows(AdminOnly::NAME, &user));
        assert!(authz.allows(UserOnly::NAME, &user) && !authz.allows(UserOnly::NAME, &admin));
        assert!(authz.allows(UserOnly::NAME, &both) && authz.allows(AdminOnly::NAME, &both));
        assert!(authz.allows(AdminOrSubject::NAME, &user) && authz.allows(AdminOrSubject::NAME, &admin));
        assert!(!authz.allows("rule_unknown", &both));
    }
}

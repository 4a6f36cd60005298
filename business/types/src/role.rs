use std::fmt;

use crate::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    Admin,
    User,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Admin, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::User => "USER",
        }
    }

    pub fn parse(raw: &str) -> Result<Role, ParseError> {
        match raw {
            "ADMIN" => Ok(Role::Admin),
            "USER" => Ok(Role::User),
            other => Err(ParseError::new(format!(
                "unknown role {other:?}: expected ADMIN or USER"
            ))),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of roles, kept sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Result<Roles, ParseError> {
        let mut v: Vec<Role> = roles.into_iter().collect();
        v.sort();
        v.dedup();
        if v.is_empty() {
            return Err(ParseError::new("must hold at least one role"));
        }
        Ok(Roles(v))
    }

    pub fn parse_all<S: AsRef<str>>(raw: &[S]) -> Result<Roles, ParseError> {
        Roles::new(
            raw.iter()
                .map(|r| Role::parse(r.as_ref()))
                .collect::<Result<Vec<_>, _>>()?,
        )
    }

    /// The storage form: `ADMIN,USER`.
    pub fn to_csv(&self) -> String {
        self.0.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }

    pub fn from_csv(csv: &str) -> Result<Roles, ParseError> {
        Roles::parse_all(&csv.split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>())
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn as_slice(&self) -> &[Role] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_csv() {
        let r = Roles::parse_all(&["USER", "ADMIN", "USER"]).unwrap();
        assert_eq!(r.to_csv(), "ADMIN,USER");
        assert_eq!(Roles::from_csv("ADMIN,USER").unwrap(), r);
    }

    #[test]
    fn refuses_empty_and_unknown() {
        assert!(Roles::parse_all::<&str>(&[]).is_err());
        assert!(Roles::parse_all(&["ROOT"]).is_err());
        assert!(Roles::parse_all(&["admin"]).is_err(), "roles are case-sensitive");
    }
}

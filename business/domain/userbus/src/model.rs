use sdk::OrderBy;
use time::OffsetDateTime;
use types::{Email, Name, Password, PasswordHash, Role, Roles};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub name: Name,
    pub email: Email,
    pub roles: Roles,
    pub password_hash: PasswordHash,
    pub department: Option<String>,
    pub enabled: bool,
    pub version: i64,
    pub date_created: OffsetDateTime,
    pub date_updated: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: Name,
    pub email: Email,
    pub roles: Roles,
    pub department: Option<String>,
    pub password: Password,
}

/// Each field is independent: `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateUser {
    pub name: Option<Name>,
    pub email: Option<Email>,
    /// `Some(None)` clears the department.
    pub department: Option<Option<String>>,
    pub password: Option<Password>,
    pub roles: Option<Roles>,
    pub enabled: Option<bool>,
}

/// An update ready for the store: the password already hashed.
#[derive(Debug, Clone)]
pub struct UserChanges {
    pub name: Option<Name>,
    pub email: Option<Email>,
    pub department: Option<Option<String>>,
    pub password_hash: Option<PasswordHash>,
    pub roles: Option<Roles>,
    pub enabled: Option<bool>,
    pub date_updated: OffsetDateTime,
}

impl UserChanges {
    pub(crate) fn is_roles_only(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.department.is_none()
            && self.password_hash.is_none()
            && self.enabled.is_none()
    }

    /// What changed, for the audit row. The password is only noted as changed.
    pub(crate) fn audit_data(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        if let Some(v) = &self.name {
            m.insert("name".into(), serde_json::json!(v));
        }
        if let Some(v) = &self.email {
            m.insert("email".into(), serde_json::json!(v));
        }
        if let Some(v) = &self.department {
            m.insert("department".into(), serde_json::json!(v));
        }
        if let Some(v) = &self.roles {
            m.insert("roles".into(), serde_json::json!(v));
        }
        if let Some(v) = self.enabled {
            m.insert("enabled".into(), serde_json::json!(v));
        }
        if self.password_hash.is_some() {
            m.insert("credentialsChanged".into(), serde_json::json!(true));
        }
        serde_json::Value::Object(m)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryFilter {
    pub id: Option<Uuid>,
    /// Case-insensitive substring.
    pub name: Option<String>,
    /// Exact (emails are stored lowercase).
    pub email: Option<Email>,
    pub role: Option<Role>,
    pub enabled: Option<bool>,
    pub start_created_date: Option<OffsetDateTime>,
    pub end_created_date: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    Id,
    Name,
    Email,
    Roles,
    Enabled,
    DateCreated,
}

pub const DEFAULT_ORDER: OrderBy<OrderField> = OrderBy {
    field: OrderField::Id,
    direction: sdk::Direction::Asc,
};

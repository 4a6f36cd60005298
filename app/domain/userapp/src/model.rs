use appsdk::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use types::{Email, Name, Password, Roles};
use uuid::Uuid;

/// A user as the API shows it: never a password or hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = User)]
pub struct AppUser {
    pub id: Uuid,
    #[schema(example = "Bill Kennedy")]
    pub name: String,
    /// Stored lowercase.
    #[schema(example = "bill@example.com")]
    pub email: String,
    #[schema(value_type = Vec<appsdk::docs::RoleSchema>)]
    pub roles: Vec<String>,
    /// Omitted when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// A disabled user cannot log in and their tokens are refused.
    pub enabled: bool,
    /// Starts at 1, incremented by every change; the `ETag` is this number quoted.
    #[schema(example = 1)]
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub date_created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub date_updated: OffsetDateTime,
}

impl From<&userbus::User> for AppUser {
    fn from(u: &userbus::User) -> Self {
        AppUser {
            id: u.id,
            name: u.name.to_string(),
            email: u.email.to_string(),
            roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
            department: u.department.clone(),
            enabled: u.enabled,
            version: u.version,
            date_created: u.date_created,
            date_updated: u.date_updated,
        }
    }
}

/// Collects field errors so one response lists every bad field.
#[derive(Default)]
pub(crate) struct Check {
    fields: Vec<FieldError>,
}

impl Check {
    pub(crate) fn field<T, E: std::fmt::Display>(&mut self, name: &str, r: Result<T, E>) -> Option<T> {
        r.map_err(|e| self.fields.push(FieldError::new(name, e.to_string())))
            .ok()
    }

    pub(crate) fn fail(&mut self, name: &str, msg: &str) {
        self.fields.push(FieldError::new(name, msg));
    }

    pub(crate) fn finish(mut self) -> Result<(), AppError> {
        self.fields.sort_by(|a, b| a.field.cmp(&b.field));
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(self.fields))
        }
    }
}

fn department(raw: Option<String>, check: &mut Check) -> Option<String> {
    let d = raw.map(|d| d.trim().to_string()).filter(|d| !d.is_empty())?;
    if d.chars().count() > 64 {
        check.fail("department", "must be at most 64 characters");
    } else if d.chars().any(char::is_control) {
        check.fail("department", "must not contain control characters");
    }
    Some(d)
}

fn password_pair(password: &str, confirm: Option<&str>, check: &mut Check) -> Option<Password> {
    let pw = check.field("password", Password::parse(password));
    if confirm != Some(password) {
        check.fail("passwordConfirm", "must equal password");
    }
    pw
}

/// The body of `POST /v1/users`. Every bad field is listed in one 400.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(as = NewUser)]
pub struct AppNewUser {
    /// 2 to 64 characters after trimming, no control characters.
    #[schema(min_length = 2, max_length = 64, example = "Bill Kennedy")]
    pub name: String,
    /// A valid address of at most 254 characters, unique regardless of case.
    #[schema(max_length = 254, example = "bill@example.com")]
    pub email: String,
    /// A non-empty subset of ADMIN, USER.
    #[schema(value_type = Vec<appsdk::docs::RoleSchema>, min_items = 1)]
    pub roles: Vec<String>,
    /// At most 64 characters; empty or absent means none.
    #[serde(default)]
    #[schema(max_length = 64, example = "IT")]
    pub department: Option<String>,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128, example = "gophers123", format = Password)]
    pub password: String,
    /// Must equal `password`.
    #[schema(min_length = 8, max_length = 128, example = "gophers123", format = Password)]
    pub password_confirm: String,
}

impl AppNewUser {
    pub fn to_bus(self) -> Result<userbus::NewUser, AppError> {
        let mut c = Check::default();
        let name = c.field("name", Name::parse(&self.name));
        let email = c.field("email", Email::parse(&self.email));
        let roles = c.field("roles", Roles::parse_all(&self.roles));
        let department = department(self.department, &mut c);
        let password = password_pair(&self.password, Some(&self.password_confirm), &mut c);
        c.finish()?;
        match (name, email, roles, password) {
            (Some(name), Some(email), Some(roles), Some(password)) => Ok(userbus::NewUser {
                name,
                email,
                roles,
                department,
                password,
            }),
            _ => Err(AppError::internal(anyhow::anyhow!(
                "validation passed with missing fields"
            ))),
        }
    }
}

/// The body of `PUT /v1/users/{user_id}`: every field optional, absent or null
/// means unchanged.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(as = UpdateUser)]
pub struct AppUpdateUser {
    /// Same rules as on create.
    #[schema(min_length = 2, max_length = 64)]
    pub name: Option<String>,
    /// Same rules as on create; another user's address is a 409.
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// At most 64 characters; an empty string clears the department.
    #[schema(max_length = 64)]
    pub department: Option<String>,
    /// Both `password` and `passwordConfirm`, or neither.
    #[schema(min_length = 8, max_length = 128, format = Password)]
    pub password: Option<String>,
    /// Must equal `password`.
    #[schema(min_length = 8, max_length = 128, format = Password)]
    pub password_confirm: Option<String>,
    /// ADMIN only: a user may not enable or disable themselves (403).
    pub enabled: Option<bool>,
}

impl AppUpdateUser {
    pub fn to_bus(self) -> Result<userbus::UpdateUser, AppError> {
        let mut c = Check::default();
        let name = self.name.as_deref().and_then(|n| c.field("name", Name::parse(n)));
        let email = self.email.as_deref().and_then(|e| c.field("email", Email::parse(e)));
        let department = self.department.map(|d| department(Some(d), &mut c));
        let password = match (&self.password, &self.password_confirm) {
            (None, None) => None,
            (Some(pw), confirm) => password_pair(pw, confirm.as_deref(), &mut c),
            (None, Some(_)) => {
                c.fail("password", "is required with passwordConfirm");
                None
            }
        };
        c.finish()?;
        Ok(userbus::UpdateUser {
            name,
            email,
            department,
            password,
            roles: None,
            enabled: self.enabled,
        })
    }
}

/// The body of `PUT /v1/users/role/{user_id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateRoles)]
pub struct AppUpdateRoles {
    /// A non-empty subset of ADMIN, USER; replaces the user's roles.
    #[schema(value_type = Vec<appsdk::docs::RoleSchema>, min_items = 1)]
    pub roles: Vec<String>,
}

impl AppUpdateRoles {
    pub fn to_bus(self) -> Result<userbus::UpdateUser, AppError> {
        let roles = Roles::parse_all(&self.roles).map_err(|e| AppError::invalid("roles", e.to_string()))?;
        Ok(userbus::UpdateUser {
            roles: Some(roles),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: AppError) -> Vec<String> {
        e.fields.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn new_user_lists_every_bad_field() {
        let nu = AppNewUser {
            name: "x".into(),
            email: "nope".into(),
            roles: vec!["ROOT".into()],
            department: Some("d".repeat(65)),
            password: "short".into(),
            password_confirm: "other".into(),
        };
        assert_eq!(
            fields(nu.to_bus().unwrap_err()),
            ["department", "email", "name", "password", "passwordConfirm", "roles"]
        );
    }

    #[test]
    fn update_needs_both_passwords() {
        let uu = AppUpdateUser {
            password_confirm: Some("longenough".into()),
            ..Default::default()
        };
        assert_eq!(fields(uu.to_bus().unwrap_err()), ["password"]);
        let uu = AppUpdateUser {
            password: Some("longenough".into()),
            ..Default::default()
        };
        assert_eq!(fields(uu.to_bus().unwrap_err()), ["passwordConfirm"]);
        let uu = AppUpdateUser {
            department: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(uu.to_bus().unwrap().department, Some(None), "empty string clears");
    }
}

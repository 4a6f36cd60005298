//! Users: the people who sell and buy at the garage sale, and the admins who run it.

mod model;
pub mod stores;

pub use model::*;

use std::sync::Arc;

use async_trait::async_trait;
use auditbus::{Audit, Domain};
use sdk::{OrderBy, Page};
use types::{Email, PasswordHash};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("user not found")]
    NotFound,
    #[error("email is already in use")]
    UniqueEmail,
    /// The expected version (`If-Match`) is not the current one.
    #[error("user was changed by someone else")]
    VersionConflict,
    #[error("authentication failed")]
    AuthFailed,
    /// A failure below the domain (database, I/O). Not transparent: the cause
    /// stays in `source()`, so `sdk::sqldb::is_unavailable_error` finds a
    /// database outage however the error is passed on.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(e.into())
    }
}

/// What a backend must provide. Every write runs in one transaction that also
/// writes the given audit row.
#[async_trait]
pub trait Storer: Send + Sync {
    async fn create(&self, user: &User, audit: &Audit) -> Result<(), Error>;
    /// Applies `changes` if the user exists (not deleted) and, when
    /// `expected_version` is given, still has that version. Bumps the version.
    async fn update(
        &self,
        id: Uuid,
        changes: &UserChanges,
        expected_version: Option<i64>,
        audit: &Audit,
    ) -> Result<User, Error>;
    /// Soft delete: the row stays for history, the user disappears from reads.
    async fn delete(&self, id: Uuid, expected_version: Option<i64>, audit: &Audit) -> Result<(), Error>;
    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<User>, Error>;
    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error>;
    async fn query_by_id(&self, id: Uuid) -> Result<User, Error>;
    async fn query_by_email(&self, email: &Email) -> Result<User, Error>;
}

/// The users business API.
#[derive(Clone)]
pub struct Business {
    storer: Arc<dyn Storer>,
}

impl Business {
    pub fn new(storer: Arc<dyn Storer>) -> Self {
        Self { storer }
    }

    #[tracing::instrument(name = "userbus.create", skip_all)]
    pub async fn create(&self, actor_id: Uuid, nu: NewUser) -> Result<User, Error> {
        let hash = nu.password.hash().await?;
        let now = sdk::sqldb::now();
        let user = User {
            id: Uuid::now_v7(),
            name: nu.name,
            email: nu.email,
            roles: nu.roles,
            password_hash: hash,
            department: nu.department,
            enabled: true,
            version: 1,
            date_created: now,
            date_updated: now,
        };
        let audit = Audit::new(
            user.id,
            Domain::User,
            user.name.as_str(),
            actor_id,
            "created",
            serde_json::json!({
                "name": user.name, "email": user.email, "roles": user.roles,
                "department": user.department, "enabled": user.enabled,
            }),
            "user created",
        );
        self.storer.create(&user, &audit).await?;
        Ok(user)
    }

    /// Applies `uu` to `user`; `expected_version` comes from `If-Match`.
    #[tracing::instrument(name = "userbus.update", skip_all, fields(user_id = %user.id))]
    pub async fn update(
        &self,
        actor_id: Uuid,
        user: &User,
        uu: UpdateUser,
        expected_version: Option<i64>,
    ) -> Result<User, Error> {
        let changes = UserChanges {
            password_hash: match &uu.password {
                Some(pw) => Some(pw.hash().await?),
                None => None,
            },
            name: uu.name,
            email: uu.email,
            department: uu.department,
            roles: uu.roles,
            enabled: uu.enabled,
            date_updated: sdk::sqldb::now(),
        };
        let action = if changes.roles.is_some() && changes.is_roles_only() {
            "role_changed"
        } else {
            "updated"
        };
        let audit = Audit::new(
            user.id,
            Domain::User,
            user.name.as_str(),
            actor_id,
            action,
            changes.audit_data(),
            format!("user {action}"),
        );
        self.storer.update(user.id, &changes, expected_version, &audit).await
    }

    #[tracing::instrument(name = "userbus.delete", skip_all, fields(user_id = %user.id))]
    pub async fn delete(&self, actor_id: Uuid, user: &User, expected_version: Option<i64>) -> Result<(), Error> {
        let audit = Audit::new(
            user.id,
            Domain::User,
            user.name.as_str(),
            actor_id,
            "deleted",
            serde_json::json!({"email": user.email}),
            "user deleted",
        );
        self.storer.delete(user.id, expected_version, &audit).await
    }

    #[tracing::instrument(name = "userbus.query", skip_all)]
    pub async fn query(
        &self,
        filter: &QueryFilter,
        order: OrderBy<OrderField>,
        page: Page,
    ) -> Result<Vec<User>, Error> {
        self.storer.query(filter, order, page).await
    }

    #[tracing::instrument(name = "userbus.count", skip_all)]
    pub async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        self.storer.count(filter).await
    }

    #[tracing::instrument(name = "userbus.query_by_id", skip_all, fields(user_id = %id))]
    pub async fn query_by_id(&self, id: Uuid) -> Result<User, Error> {
        self.storer.query_by_id(id).await
    }

    #[tracing::instrument(name = "userbus.query_by_email", skip_all)]
    pub async fn query_by_email(&self, email: &Email) -> Result<User, Error> {
        self.storer.query_by_email(email).await
    }

    /// Checks credentials. An unknown email, a deleted or disabled user and a wrong
    /// password all give `AuthFailed` and take the same time: an unknown email is
    /// verified against a dummy hash.
    #[tracing::instrument(name = "userbus.authenticate", skip_all)]
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<User, Error> {
        let found = match Email::parse(email) {
            Ok(email) => match self.storer.query_by_email(&email).await {
                Ok(u) => Some(u),
                Err(Error::NotFound) => None,
                Err(e) => return Err(e),
            },
            Err(_) => None,
        };
        let hash = found
            .as_ref()
            .map_or_else(PasswordHash::dummy, |u| u.password_hash.clone());
        let ok = hash.verify(password).await;
        match found {
            Some(user) if ok && user.enabled => Ok(user),
            _ => Err(Error::AuthFailed),
        }
    }
}

//! {{ c.n.pascal_plural }}: made by `sales-admin domain new {{ c.n.name }}`. Each {{ c.n.name }} is owned by the
//! user who created it (`user_id`). Business rules go in [`Business`].

mod model;
pub mod stores;

pub use model::*;

use std::sync::Arc;

use async_trait::async_trait;
use auditbus::{Audit, Domain};
use sdk::{OrderBy, Page};
{%- if c.has_time %}
use time::format_description::well_known::Rfc3339;
{%- endif %}
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{{ c.n.name }} not found")]
    NotFound,
    /// The expected version (`If-Match`) is not the current one.
    #[error("{{ c.n.name }} was changed by someone else")]
    VersionConflict,
{%- if c.has_unique %}
    /// A live {{ c.n.name }} already has the same value in a unique field ({{ c.unique_json }}).
    #[error("a {{ c.n.name }} with the same {{ c.unique_json }} already exists")]
    Duplicate,
{%- endif %}
{%- if c.has_user %}
    /// A user reference ({{ c.user_json }}) names no user.
    #[error("a referenced user does not exist")]
    UnknownUser,
{%- endif %}
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
/// writes the given audit row. Reads never see deleted {{ c.n.plural }}.
#[async_trait]
pub trait Storer: Send + Sync {
    async fn create(&self, item: &{{ c.n.pascal }}, audit: &Audit) -> Result<(), Error>;
    /// Applies `changes` if the {{ c.n.name }} exists (not deleted) and, when
    /// `expected_version` is given, still has that version. Bumps the version.
    async fn update(
        &self,
        id: Uuid,
        changes: &{{ c.n.pascal }}Changes,
        expected_version: Option<i64>,
        audit: &Audit,
    ) -> Result<{{ c.n.pascal }}, Error>;
    /// Soft delete: the row stays, hidden from reads.
    async fn delete(&self, id: Uuid, expected_version: Option<i64>, audit: &Audit) -> Result<(), Error>;
    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<{{ c.n.pascal }}>, Error>;
    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error>;
    async fn query_by_id(&self, id: Uuid) -> Result<{{ c.n.pascal }}, Error>;
}

/// The {{ c.n.plural }} business API.
#[derive(Clone)]
pub struct Business {
    storer: Arc<dyn Storer>,
}

impl Business {
    pub fn new(storer: Arc<dyn Storer>) -> Self {
        Self { storer }
    }

    #[tracing::instrument(name = "{{ c.n.bus }}.create", skip_all)]
    pub async fn create(&self, actor_id: Uuid, new: New{{ c.n.pascal }}) -> Result<{{ c.n.pascal }}, Error> {
        let now = sdk::sqldb::now();
        let item = {{ c.n.pascal }} {
            id: Uuid::now_v7(),
            user_id: new.user_id,
{%- for f in c.fields %}
            {{ f.name }}: new.{{ f.name }},
{%- endfor %}
            version: 1,
            date_created: now,
            date_updated: now,
        };
        let audit = Audit::new(
            item.id,
            Domain::{{ c.n.pascal }},
            {{ c.obj_name }},
            actor_id,
            "created",
            serde_json::json!({
                "userID": item.user_id,
{%- for f in c.fields %}
                "{{ f.json }}": {{ f.audit_place }},
{%- endfor %}
            }),
            "{{ c.n.name }} created",
        );
        self.storer.create(&item, &audit).await?;
        Ok(item)
    }

    /// Applies `up` to `item`; `expected_version` comes from `If-Match`.
    #[tracing::instrument(name = "{{ c.n.bus }}.update", skip_all, fields({{ c.n.name }}_id = %item.id))]
    pub async fn update(
        &self,
        actor_id: Uuid,
        item: &{{ c.n.pascal }},
        up: Update{{ c.n.pascal }},
        expected_version: Option<i64>,
    ) -> Result<{{ c.n.pascal }}, Error> {
        let changes = {{ c.n.pascal }}Changes {
{%- for f in c.fields %}
            {{ f.name }}: up.{{ f.name }},
{%- endfor %}
            date_updated: sdk::sqldb::now(),
        };
        let audit = Audit::new(
            item.id,
            Domain::{{ c.n.pascal }},
            {{ c.obj_name }},
            actor_id,
            "updated",
            changes.audit_data(),
            "{{ c.n.name }} updated",
        );
        self.storer.update(item.id, &changes, expected_version, &audit).await
    }

    #[tracing::instrument(name = "{{ c.n.bus }}.delete", skip_all, fields({{ c.n.name }}_id = %item.id))]
    pub async fn delete(&self, actor_id: Uuid, item: &{{ c.n.pascal }}, expected_version: Option<i64>) -> Result<(), Error> {
        let audit = Audit::new(
            item.id,
            Domain::{{ c.n.pascal }},
            {{ c.obj_name }},
            actor_id,
            "deleted",
            serde_json::json!({"userID": item.user_id}),
            "{{ c.n.name }} deleted",
        );
        self.storer.delete(item.id, expected_version, &audit).await
    }

    #[tracing::instrument(name = "{{ c.n.bus }}.query", skip_all)]
    pub async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<{{ c.n.pascal }}>, Error> {
        self.storer.query(filter, order, page).await
    }

    #[tracing::instrument(name = "{{ c.n.bus }}.count", skip_all)]
    pub async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        self.storer.count(filter).await
    }

    #[tracing::instrument(name = "{{ c.n.bus }}.query_by_id", skip_all, fields({{ c.n.name }}_id = %id))]
    pub async fn query_by_id(&self, id: Uuid) -> Result<{{ c.n.pascal }}, Error> {
        self.storer.query_by_id(id).await
    }
}

//! Audit trail: one row per change, written by the changing domain's store in the
//! same transaction as the change, so a rolled-back change leaves no audit row.

pub mod stores;

use std::sync::Arc;

use async_trait::async_trait;
use sdk::{OrderBy, Page};
use time::OffsetDateTime;
use uuid::Uuid;

/// Which kind of object an audit row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Domain {
    User,
    Product,
    Sale,
    // @generator:audit-domain
}

impl Domain {
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::User => "USER",
            Domain::Product => "PRODUCT",
            Domain::Sale => "SALE",
            // @generator:audit-domain-str
        }
    }

    pub fn parse(s: &str) -> Option<Domain> {
        [
            Domain::User,
            Domain::Product,
            Domain::Sale,
            // @generator:audit-domain-parse
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// One recorded change. `data` holds what changed, never a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    pub id: Uuid,
    pub obj_id: Uuid,
    pub obj_domain: Domain,
    pub obj_name: String,
    pub actor_id: Uuid,
    pub action: String,
    pub data: serde_json::Value,
    pub message: String,
    pub timestamp: OffsetDateTime,
}

impl Audit {
    /// A new audit row stamped now. Keys whose names suggest a secret are removed
    /// from `data` as a last line of defence.
    pub fn new(
        obj_id: Uuid,
        obj_domain: Domain,
        obj_name: impl Into<String>,
        actor_id: Uuid,
        action: impl Into<String>,
        data: serde_json::Value,
        message: impl Into<String>,
    ) -> Audit {
        Audit {
            id: Uuid::now_v7(),
            obj_id,
            obj_domain,
            obj_name: obj_name.into(),
            actor_id,
            action: action.into(),
            data: scrub(data),
            message: message.into(),
            timestamp: sdk::sqldb::now(),
        }
    }
}

const SECRET_MARKERS: [&str; 4] = ["password", "hash", "token", "secret"];

fn scrub(mut data: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(map) = &mut data {
        map.retain(|k, _| {
            let k = k.to_ascii_lowercase();
            !SECRET_MARKERS.iter().any(|m| k.contains(m))
        });
        for v in map.values_mut() {
            *v = scrub(std::mem::take(v));
        }
    }
    data
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryFilter {
    pub obj_id: Option<Uuid>,
    pub obj_domain: Option<Domain>,
    pub obj_name: Option<String>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    Timestamp,
    ObjId,
    ObjDomain,
    ObjName,
    ActorId,
    Action,
}

pub const DEFAULT_ORDER: OrderBy<OrderField> = OrderBy {
    field: OrderField::Timestamp,
    direction: sdk::Direction::Desc,
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A failure below the domain (database, I/O). Not transparent: the cause
    /// stays in `source()`, so `sdk::sqldb::is_unavailable_error` finds a
    /// database outage however the error is passed on.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// What a backend must provide to read audits (writing happens inside the other
/// domains' transactions through [`stores::insert`]).
#[async_trait]
pub trait Storer: Send + Sync {
    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<Audit>, Error>;
    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error>;
}

/// The audit business API.
#[derive(Clone)]
pub struct Business {
    storer: Arc<dyn Storer>,
}

impl Business {
    pub fn new(storer: Arc<dyn Storer>) -> Self {
        Self { storer }
    }

    #[tracing::instrument(name = "auditbus.query", skip_all)]
    pub async fn query(
        &self,
        filter: &QueryFilter,
        order: OrderBy<OrderField>,
        page: Page,
    ) -> Result<Vec<Audit>, Error> {
        self.storer.query(filter, order, page).await
    }

    #[tracing::instrument(name = "auditbus.count", skip_all)]
    pub async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        self.storer.count(filter).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_secret_keys_at_any_depth() {
        let data = serde_json::json!({"name": "x", "password": "p", "passwordHash": "h",
            "nested": {"refreshToken": "t", "keep": 1}});
        let a = Audit::new(Uuid::nil(), Domain::User, "x", Uuid::nil(), "update", data, "m");
        assert_eq!(a.data, serde_json::json!({"name": "x", "nested": {"keep": 1}}));
    }
}

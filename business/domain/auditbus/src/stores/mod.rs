//! One store, generic over the backend ([`sdk::sqldb::StoreDb`]); `new` picks the
//! backend that matches the pool. The SQL is built once, generic over
//! [`sdk::sqldb::Dialect`].

mod store;

use std::sync::Arc;

use sdk::DbPool;
pub use store::insert;

use crate::Storer;

pub fn new(pool: &DbPool) -> Arc<dyn Storer> {
    match pool {
        DbPool::Postgres(p) => Arc::new(store::Store::new(p.clone())),
        DbPool::Sqlite(p) => Arc::new(store::Store::new(p.clone())),
    }
}

/// The database row. `data` is JSONB in PostgreSQL and JSON text in SQLite;
/// `Json` decodes either.
#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub audit_id: uuid::Uuid,
    pub obj_id: uuid::Uuid,
    pub obj_domain: String,
    pub obj_name: String,
    pub actor_id: uuid::Uuid,
    pub action: String,
    pub data: sqlx::types::Json<serde_json::Value>,
    pub message: String,
    pub timestamp: time::OffsetDateTime,
}

impl AuditRow {
    pub(crate) fn into_audit(self) -> Result<crate::Audit, crate::Error> {
        let obj_domain = crate::Domain::parse(&self.obj_domain)
            .ok_or_else(|| anyhow::anyhow!("unknown audit domain {:?} in database", self.obj_domain))?;
        Ok(crate::Audit {
            id: self.audit_id,
            obj_id: self.obj_id,
            obj_domain,
            obj_name: self.obj_name,
            actor_id: self.actor_id,
            action: self.action,
            data: self.data.0,
            message: self.message,
            timestamp: self.timestamp,
        })
    }
}

pub(crate) fn order_column(f: crate::OrderField) -> &'static str {
    use crate::OrderField::*;
    match f {
        Timestamp => "timestamp",
        ObjId => "obj_id",
        ObjDomain => "obj_domain",
        ObjName => "obj_name",
        ActorId => "actor_id",
        Action => "action",
    }
}

pub(crate) const COLUMNS: &str = "audit_id, obj_id, obj_domain, obj_name, actor_id, action, data, message, timestamp";

/// The WHERE clause for `filter`, written once for both backends.
pub(crate) fn push_filter<DB: sdk::sqldb::Dialect>(qb: &mut sqlx::QueryBuilder<DB>, filter: &crate::QueryFilter) {
    let mut w = sdk::sqldb::Where::new();
    if let Some(v) = filter.obj_id {
        w.and(qb, "obj_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = filter.obj_domain {
        w.and(qb, "obj_domain = ");
        DB::bind_text(qb, v.as_str().to_string());
    }
    if let Some(v) = &filter.obj_name {
        w.and(qb, "obj_name = ");
        DB::bind_text(qb, v.clone());
    }
    if let Some(v) = filter.actor_id {
        w.and(qb, "actor_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = &filter.action {
        w.and(qb, "action = ");
        DB::bind_text(qb, v.clone());
    }
    if let Some(v) = filter.since {
        w.and(qb, "timestamp >= ");
        DB::bind_time(qb, v);
    }
    if let Some(v) = filter.until {
        w.and(qb, "timestamp <= ");
        DB::bind_time(qb, v);
    }
}

pub(crate) fn select_sql<DB: sdk::sqldb::Dialect>(
    filter: &crate::QueryFilter,
    order: sdk::OrderBy<crate::OrderField>,
    page: sdk::Page,
) -> sqlx::QueryBuilder<DB> {
    let mut qb = sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM audits"));
    push_filter(&mut qb, filter);
    sdk::sqldb::push_order_page(&mut qb, order_column(order.field), order.direction, "audit_id", page);
    qb
}

pub(crate) fn count_sql<DB: sdk::sqldb::Dialect>(filter: &crate::QueryFilter) -> sqlx::QueryBuilder<DB> {
    let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM audits");
    push_filter(&mut qb, filter);
    qb
}

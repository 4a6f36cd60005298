//! SQLite audit store. `data` is JSON text.

use async_trait::async_trait;
use sdk::{OrderBy, Page};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::{AuditRow, count_sql, select_sql};
use crate::{Audit, Error, OrderField, QueryFilter, Storer};

pub struct Store {
    pool: SqlitePool,
}

impl Store {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

/// Writes `audit` on `conn`, which is the changing domain's open transaction.
pub async fn insert(conn: &mut SqliteConnection, audit: &Audit) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audits (audit_id, obj_id, obj_domain, obj_name, actor_id, action, data, message, timestamp)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(audit.id)
    .bind(audit.obj_id)
    .bind(audit.obj_domain.as_str())
    .bind(&audit.obj_name)
    .bind(audit.actor_id)
    .bind(&audit.action)
    .bind(sqlx::types::Json(&audit.data))
    .bind(&audit.message)
    .bind(sdk::sqldb::sqlite_time(audit.timestamp))
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Storer for Store {
    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<Audit>, Error> {
        let rows = select_sql::<sqlx::Sqlite>(filter, order, page)
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(anyhow::Error::from)?;
        rows.into_iter()
            .map(|row| {
                let data: sqlx::types::Json<serde_json::Value> = row.try_get("data").map_err(anyhow::Error::from)?;
                let r: AuditRow = sqlx::FromRow::from_row(&row).map_err(anyhow::Error::from)?;
                r.into_audit(data.0)
            })
            .collect()
    }

    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        let n: i64 = count_sql::<sqlx::Sqlite>(filter)
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(anyhow::Error::from)?;
        Ok(n)
    }
}

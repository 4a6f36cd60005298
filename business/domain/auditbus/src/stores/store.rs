//! The audit store, for either backend: reads, and the insert that the other
//! domains run inside their own write transactions.

use async_trait::async_trait;
use sdk::{OrderBy, Page, sqldb::StoreDb};
use sqlx::{FromRow, Pool, QueryBuilder};

use super::{AuditRow, count_sql, select_sql};
use crate::{Audit, Error, OrderField, QueryFilter, Storer};

pub struct Store<DB: StoreDb> {
    pool: Pool<DB>,
}

impl<DB: StoreDb> Store<DB> {
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

/// Writes `audit` on `conn`, which is the changing domain's open transaction.
pub async fn insert<DB: StoreDb>(conn: &mut DB::Connection, audit: &Audit) -> Result<(), sqlx::Error> {
    let mut qb = QueryBuilder::<DB>::new(
        "INSERT INTO audits (audit_id, obj_id, obj_domain, obj_name, actor_id, action, data, message, timestamp)
         VALUES (",
    );
    DB::bind_uuid(&mut qb, audit.id);
    qb.push(", ");
    DB::bind_uuid(&mut qb, audit.obj_id);
    qb.push(", ");
    DB::bind_text(&mut qb, audit.obj_domain.as_str().to_string());
    qb.push(", ");
    DB::bind_text(&mut qb, audit.obj_name.clone());
    qb.push(", ");
    DB::bind_uuid(&mut qb, audit.actor_id);
    qb.push(", ");
    DB::bind_text(&mut qb, audit.action.clone());
    qb.push(", ");
    DB::bind_json(&mut qb, &audit.data);
    qb.push(", ");
    DB::bind_text(&mut qb, audit.message.clone());
    qb.push(", ");
    DB::bind_time(&mut qb, audit.timestamp);
    qb.push(")");
    qb.build().execute(DB::conn(conn)).await?;
    Ok(())
}

#[async_trait]
impl<DB: StoreDb> Storer for Store<DB>
where
    AuditRow: for<'r> FromRow<'r, DB::Row>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
{
    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<Audit>, Error> {
        let rows: Vec<AuditRow> = select_sql::<DB>(filter, order, page)
            .build_query_as()
            .fetch_all(DB::pool(&self.pool))
            .await
            .map_err(anyhow::Error::from)?;
        rows.into_iter().map(AuditRow::into_audit).collect()
    }

    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        let n: i64 = count_sql::<DB>(filter)
            .build_query_scalar()
            .fetch_one(DB::pool(&self.pool))
            .await
            .map_err(anyhow::Error::from)?;
        Ok(n)
    }
}

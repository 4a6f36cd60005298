//! The {{ c.n.name }} store, for either backend: transactions and execution; the SQL is in
//! `super`. Writes begin with [`StoreDb::begin_write`] (`BEGIN IMMEDIATE` on SQLite).

use async_trait::async_trait;
use auditbus::Audit;
{%- if c.has_array %}
use sdk::dbarray::ArrayBind;
{%- endif %}
use sdk::{
    OrderBy, Page,
    sqldb::{RowsAffected, StoreDb},
};
use sqlx::{FromRow, Pool};
use uuid::Uuid;

use super::{
    {{ c.n.pascal }}Row, by_id_sql, conflict_or_missing, count_sql, delete_sql, exists_sql, insert_sql, map_write_err, select_sql, update_sql,
};
use crate::{Error, OrderField, QueryFilter, Storer, {{ c.n.pascal }}, {{ c.n.pascal }}Changes};

pub struct Store<DB: StoreDb> {
    pool: Pool<DB>,
}

impl<DB: StoreDb> Store<DB> {
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl<DB: StoreDb{% if c.has_array %} + ArrayBind{% endif %}> Storer for Store<DB>
where
    {{ c.n.pascal }}Row: for<'r> FromRow<'r, DB::Row>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
{
    async fn create(&self, item: &{{ c.n.pascal }}, audit: &Audit) -> Result<(), Error> {
        let mut tx = DB::begin_write(&self.pool).await?;
        insert_sql::<DB>(item).build().execute(DB::conn(&mut tx)).await.map_err(map_write_err)?;
        auditbus::stores::insert::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update(
        &self,
        id: Uuid,
        changes: &{{ c.n.pascal }}Changes,
        expected_version: Option<i64>,
        audit: &Audit,
    ) -> Result<{{ c.n.pascal }}, Error> {
        let mut tx = DB::begin_write(&self.pool).await?;
        let row: Option<{{ c.n.pascal }}Row> = update_sql::<DB>(id, changes, expected_version)
            .build_query_as()
            .fetch_optional(DB::conn(&mut tx))
            .await
            .map_err(map_write_err)?;
        let Some(row) = row else {
            let n: i64 = exists_sql::<DB>(id).build_query_scalar().fetch_one(DB::conn(&mut tx)).await?;
            return Err(conflict_or_missing(n));
        };
        auditbus::stores::insert::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn delete(&self, id: Uuid, expected_version: Option<i64>, audit: &Audit) -> Result<(), Error> {
        let mut tx = DB::begin_write(&self.pool).await?;
        let done = delete_sql::<DB>(id, expected_version, audit.timestamp)
            .build()
            .execute(DB::conn(&mut tx))
            .await?;
        if done.rows_affected() == 0 {
            let n: i64 = exists_sql::<DB>(id).build_query_scalar().fetch_one(DB::conn(&mut tx)).await?;
            return Err(conflict_or_missing(n));
        }
        auditbus::stores::insert::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<{{ c.n.pascal }}>, Error> {
        let rows: Vec<{{ c.n.pascal }}Row> = select_sql::<DB>(filter, order, page)
            .build_query_as()
            .fetch_all(DB::pool(&self.pool))
            .await?;
        Ok(rows.into_iter().map({{ c.n.pascal }}::from).collect())
    }

    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        Ok(count_sql::<DB>(filter).build_query_scalar().fetch_one(DB::pool(&self.pool)).await?)
    }

    async fn query_by_id(&self, id: Uuid) -> Result<{{ c.n.pascal }}, Error> {
        let row: Option<{{ c.n.pascal }}Row> = by_id_sql::<DB>(id).build_query_as().fetch_optional(DB::pool(&self.pool)).await?;
        Ok(row.ok_or(Error::NotFound)?.into())
    }
}

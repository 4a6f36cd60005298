//! The product store, for either backend: transactions and execution; the SQL is
//! in `super`. Writes begin with [`StoreDb::begin_write`] (`BEGIN IMMEDIATE` on
//! SQLite).

use async_trait::async_trait;
use auditbus::Audit;
use sdk::{
    OrderBy, Page,
    sqldb::{RowsAffected, StoreDb},
};
use sqlx::{FromRow, Pool};
use uuid::Uuid;

use super::{
    ProductRow, ProductViewRow, by_id_sql, conflict_or_missing, count_sql, count_view_sql, delete_sql, exists_sql,
    insert_sql, select_sql, select_view_sql, update_sql,
};
use crate::{Error, OrderField, Product, ProductChanges, ProductView, QueryFilter, Storer};

pub struct Store<DB: StoreDb> {
    pool: Pool<DB>,
}

impl<DB: StoreDb> Store<DB> {
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl<DB: StoreDb> Storer for Store<DB>
where
    ProductRow: for<'r> FromRow<'r, DB::Row>,
    ProductViewRow: for<'r> FromRow<'r, DB::Row>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
{
    async fn create(&self, product: &Product, audit: &Audit) -> Result<(), Error> {
        let mut tx = DB::begin_write(&self.pool).await?;
        insert_sql::<DB>(product).build().execute(DB::conn(&mut tx)).await?;
        auditbus::stores::insert::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update(
        &self,
        id: Uuid,
        changes: &ProductChanges,
        expected_version: Option<i64>,
        audit: &Audit,
    ) -> Result<Product, Error> {
        let mut tx = DB::begin_write(&self.pool).await?;
        let row: Option<ProductRow> = update_sql::<DB>(id, changes, expected_version)
            .build_query_as()
            .fetch_optional(DB::conn(&mut tx))
            .await?;
        let Some(row) = row else {
            let n: i64 = exists_sql::<DB>(id)
                .build_query_scalar()
                .fetch_one(DB::conn(&mut tx))
                .await?;
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
            let n: i64 = exists_sql::<DB>(id)
                .build_query_scalar()
                .fetch_one(DB::conn(&mut tx))
                .await?;
            return Err(conflict_or_missing(n));
        }
        auditbus::stores::insert::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<Product>, Error> {
        let rows: Vec<ProductRow> = select_sql::<DB>(filter, order, page)
            .build_query_as()
            .fetch_all(DB::pool(&self.pool))
            .await?;
        Ok(rows.into_iter().map(Product::from).collect())
    }

    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        Ok(count_sql::<DB>(filter)
            .build_query_scalar()
            .fetch_one(DB::pool(&self.pool))
            .await?)
    }

    async fn query_by_id(&self, id: Uuid) -> Result<Product, Error> {
        let row: Option<ProductRow> = by_id_sql::<DB>(id)
            .build_query_as()
            .fetch_optional(DB::pool(&self.pool))
            .await?;
        Ok(row.ok_or(Error::NotFound)?.into())
    }

    async fn query_view(
        &self,
        filter: &QueryFilter,
        order: OrderBy<OrderField>,
        page: Page,
    ) -> Result<Vec<ProductView>, Error> {
        let rows: Vec<ProductViewRow> = select_view_sql::<DB>(filter, order, page)
            .build_query_as()
            .fetch_all(DB::pool(&self.pool))
            .await?;
        Ok(rows.into_iter().map(ProductView::from).collect())
    }

    async fn count_view(&self, filter: &QueryFilter) -> Result<i64, Error> {
        Ok(count_view_sql::<DB>(filter)
            .build_query_scalar()
            .fetch_one(DB::pool(&self.pool))
            .await?)
    }
}

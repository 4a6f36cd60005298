//! The sale store, for either backend: transactions and execution; the SQL and
//! the steps of a sale or cancel are in `super`. Writes begin with
//! [`StoreDb::begin_write`]. PostgreSQL (READ COMMITTED): the conditional UPDATEs
//! lock the rows they change and re-check their WHERE after waiting for a lock.
//! SQLite: `BEGIN IMMEDIATE` takes the write lock up front, so concurrent sales
//! queue on the busy timeout, one at a time.

use async_trait::async_trait;
use auditbus::Audit;
use sdk::{
    OrderBy, Page,
    sqldb::{RowsAffected, StoreDb},
};
use sqlx::{FromRow, Pool, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    KeyRow, LineRow, ReportRowDb, SaleRow, Taken, WriteTx, assemble, by_id_sql, cancel_in, claim_key_sql,
    complete_key_sql, count_sql, create_in, insert_lines_sql, insert_sale_sql, key_row_sql, lines_sql,
    mark_cancelled_sql, report_count_sql, report_sql, restock_sql, select_sql, stock_of_sql, take_stock_sql,
};
use crate::{
    CreateOutcome, Error, IdempotencyKey, OrderField, QueryFilter, ReportFilter, ReportOrderField, ReportRow, Sale,
    SaleRequest, Storer,
};

pub struct Store<DB: StoreDb> {
    pool: Pool<DB>,
}

impl<DB: StoreDb> Store<DB> {
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

/// An open write transaction; dropping it without commit rolls back.
struct Tx<DB: StoreDb>(Transaction<'static, DB>);

#[async_trait]
impl<DB: StoreDb> WriteTx for Tx<DB>
where
    KeyRow: for<'r> FromRow<'r, DB::Row>,
    Taken: for<'r> FromRow<'r, DB::Row>,
    SaleRow: for<'r> FromRow<'r, DB::Row>,
    LineRow: for<'r> FromRow<'r, DB::Row>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
{
    async fn claim_key(&mut self, req: &SaleRequest, key: &IdempotencyKey) -> Result<bool, sqlx::Error> {
        let done = claim_key_sql::<DB>(req, key)
            .build()
            .execute(DB::conn(&mut self.0))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn key_row(&mut self, user_id: Uuid, key: &str) -> Result<Option<KeyRow>, sqlx::Error> {
        key_row_sql::<DB>(user_id, key)
            .build_query_as()
            .fetch_optional(DB::conn(&mut self.0))
            .await
    }

    async fn complete_key(&mut self, user_id: Uuid, key: &str, sale_id: Uuid) -> Result<(), sqlx::Error> {
        complete_key_sql::<DB>(user_id, key, sale_id)
            .build()
            .execute(DB::conn(&mut self.0))
            .await?;
        Ok(())
    }

    async fn take_stock(
        &mut self,
        product_id: Uuid,
        quantity: i64,
        now: OffsetDateTime,
    ) -> Result<Option<Taken>, sqlx::Error> {
        take_stock_sql::<DB>(product_id, quantity, now)
            .build_query_as()
            .fetch_optional(DB::conn(&mut self.0))
            .await
    }

    async fn stock_of(&mut self, product_id: Uuid) -> Result<Option<i64>, sqlx::Error> {
        stock_of_sql::<DB>(product_id)
            .build_query_scalar()
            .fetch_optional(DB::conn(&mut self.0))
            .await
    }

    async fn restock(&mut self, product_id: Uuid, quantity: i64, now: OffsetDateTime) -> Result<(), sqlx::Error> {
        restock_sql::<DB>(product_id, quantity, now)
            .build()
            .execute(DB::conn(&mut self.0))
            .await?;
        Ok(())
    }

    async fn insert_sale(&mut self, sale: &Sale) -> Result<(), sqlx::Error> {
        insert_sale_sql::<DB>(sale)
            .build()
            .execute(DB::conn(&mut self.0))
            .await?;
        insert_lines_sql::<DB>(sale)
            .build()
            .execute(DB::conn(&mut self.0))
            .await?;
        Ok(())
    }

    async fn sale_by_id(&mut self, id: Uuid) -> Result<Option<Sale>, Error> {
        let Some(row): Option<SaleRow> = by_id_sql::<DB>(id)
            .build_query_as()
            .fetch_optional(DB::conn(&mut self.0))
            .await?
        else {
            return Ok(None);
        };
        let lines: Vec<LineRow> = lines_sql::<DB>(&[id])
            .build_query_as()
            .fetch_all(DB::conn(&mut self.0))
            .await?;
        Ok(assemble(vec![row], lines)?.pop())
    }

    async fn mark_cancelled(
        &mut self,
        id: Uuid,
        expected_version: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<bool, sqlx::Error> {
        let done = mark_cancelled_sql::<DB>(id, expected_version, now)
            .build()
            .execute(DB::conn(&mut self.0))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_audit(&mut self, audit: &Audit) -> Result<(), sqlx::Error> {
        auditbus::stores::insert::<DB>(&mut self.0, audit).await
    }
}

#[async_trait]
impl<DB: StoreDb> Storer for Store<DB>
where
    KeyRow: for<'r> FromRow<'r, DB::Row>,
    Taken: for<'r> FromRow<'r, DB::Row>,
    SaleRow: for<'r> FromRow<'r, DB::Row>,
    LineRow: for<'r> FromRow<'r, DB::Row>,
    ReportRowDb: for<'r> FromRow<'r, DB::Row>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
{
    async fn create(&self, req: &SaleRequest) -> Result<CreateOutcome, Error> {
        let mut tx = Tx(DB::begin_write(&self.pool).await?);
        let outcome = create_in(&mut tx, req).await?;
        tx.0.commit().await?;
        Ok(outcome)
    }

    async fn cancel(
        &self,
        actor_id: Uuid,
        id: Uuid,
        expected_version: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<Sale, Error> {
        let mut tx = Tx(DB::begin_write(&self.pool).await?);
        let sale = cancel_in(&mut tx, actor_id, id, expected_version, now).await?;
        tx.0.commit().await?;
        Ok(sale)
    }

    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<Sale>, Error> {
        let rows: Vec<SaleRow> = select_sql::<DB>(filter, order, page)
            .build_query_as()
            .fetch_all(DB::pool(&self.pool))
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.sale_id).collect();
        let lines: Vec<LineRow> = lines_sql::<DB>(&ids)
            .build_query_as()
            .fetch_all(DB::pool(&self.pool))
            .await?;
        assemble(rows, lines)
    }

    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        Ok(count_sql::<DB>(filter)
            .build_query_scalar()
            .fetch_one(DB::pool(&self.pool))
            .await?)
    }

    async fn query_by_id(&self, id: Uuid) -> Result<Sale, Error> {
        let Some(row): Option<SaleRow> = by_id_sql::<DB>(id)
            .build_query_as()
            .fetch_optional(DB::pool(&self.pool))
            .await?
        else {
            return Err(Error::NotFound);
        };
        let lines: Vec<LineRow> = lines_sql::<DB>(&[id])
            .build_query_as()
            .fetch_all(DB::pool(&self.pool))
            .await?;
        assemble(vec![row], lines)?.pop().ok_or(Error::NotFound)
    }

    async fn report(
        &self,
        filter: &ReportFilter,
        order: OrderBy<ReportOrderField>,
        page: Page,
    ) -> Result<Vec<ReportRow>, Error> {
        let rows: Vec<ReportRowDb> = report_sql::<DB>(filter, order, page)
            .build_query_as()
            .fetch_all(DB::pool(&self.pool))
            .await?;
        Ok(rows.into_iter().map(ReportRow::from).collect())
    }

    async fn report_count(&self, filter: &ReportFilter) -> Result<i64, Error> {
        Ok(report_count_sql::<DB>(filter)
            .build_query_scalar()
            .fetch_one(DB::pool(&self.pool))
            .await?)
    }
}

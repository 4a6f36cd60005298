//! PostgreSQL sale store: transactions and execution; the SQL and the steps of a
//! sale or cancel are in `super`. READ COMMITTED: the conditional UPDATEs lock
//! the rows they change and re-check their WHERE after waiting for a lock.

use async_trait::async_trait;
use auditbus::Audit;
use sdk::{OrderBy, Page};
use sqlx::{PgPool, Postgres, Transaction};
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

pub struct Store {
    pool: PgPool,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// An open write transaction; dropping it without commit rolls back.
struct Tx(Transaction<'static, Postgres>);

#[async_trait]
impl WriteTx for Tx {
    async fn claim_key(&mut self, req: &SaleRequest, key: &IdempotencyKey) -> Result<bool, sqlx::Error> {
        let done = claim_key_sql::<Postgres>(req, key)
            .build()
            .execute(&mut *self.0)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn key_row(&mut self, user_id: Uuid, key: &str) -> Result<Option<KeyRow>, sqlx::Error> {
        key_row_sql::<Postgres>(user_id, key)
            .build_query_as()
            .fetch_optional(&mut *self.0)
            .await
    }

    async fn complete_key(&mut self, user_id: Uuid, key: &str, sale_id: Uuid) -> Result<(), sqlx::Error> {
        complete_key_sql::<Postgres>(user_id, key, sale_id)
            .build()
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn take_stock(
        &mut self,
        product_id: Uuid,
        quantity: i64,
        now: OffsetDateTime,
    ) -> Result<Option<Taken>, sqlx::Error> {
        take_stock_sql::<Postgres>(product_id, quantity, now)
            .build_query_as()
            .fetch_optional(&mut *self.0)
            .await
    }

    async fn stock_of(&mut self, product_id: Uuid) -> Result<Option<i64>, sqlx::Error> {
        stock_of_sql::<Postgres>(product_id)
            .build_query_scalar()
            .fetch_optional(&mut *self.0)
            .await
    }

    async fn restock(&mut self, product_id: Uuid, quantity: i64, now: OffsetDateTime) -> Result<(), sqlx::Error> {
        restock_sql::<Postgres>(product_id, quantity, now)
            .build()
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn insert_sale(&mut self, sale: &Sale) -> Result<(), sqlx::Error> {
        insert_sale_sql::<Postgres>(sale).build().execute(&mut *self.0).await?;
        insert_lines_sql::<Postgres>(sale).build().execute(&mut *self.0).await?;
        Ok(())
    }

    async fn sale_by_id(&mut self, id: Uuid) -> Result<Option<Sale>, Error> {
        let Some(row): Option<SaleRow> = by_id_sql::<Postgres>(id)
            .build_query_as()
            .fetch_optional(&mut *self.0)
            .await?
        else {
            return Ok(None);
        };
        let lines: Vec<LineRow> = lines_sql::<Postgres>(&[id])
            .build_query_as()
            .fetch_all(&mut *self.0)
            .await?;
        Ok(assemble(vec![row], lines)?.pop())
    }

    async fn mark_cancelled(
        &mut self,
        id: Uuid,
        expected_version: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<bool, sqlx::Error> {
        let done = mark_cancelled_sql::<Postgres>(id, expected_version, now)
            .build()
            .execute(&mut *self.0)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_audit(&mut self, audit: &Audit) -> Result<(), sqlx::Error> {
        auditbus::stores::pg::insert(&mut self.0, audit).await
    }
}

#[async_trait]
impl Storer for Store {
    async fn create(&self, req: &SaleRequest) -> Result<CreateOutcome, Error> {
        let mut tx = Tx(sdk::sqldb::pg_begin(&self.pool).await?);
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
        let mut tx = Tx(sdk::sqldb::pg_begin(&self.pool).await?);
        let sale = cancel_in(&mut tx, actor_id, id, expected_version, now).await?;
        tx.0.commit().await?;
        Ok(sale)
    }

    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<Sale>, Error> {
        let rows: Vec<SaleRow> = select_sql::<Postgres>(filter, order, page)
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.sale_id).collect();
        let lines: Vec<LineRow> = lines_sql::<Postgres>(&ids)
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        assemble(rows, lines)
    }

    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        Ok(count_sql::<Postgres>(filter)
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await?)
    }

    async fn query_by_id(&self, id: Uuid) -> Result<Sale, Error> {
        let Some(row): Option<SaleRow> = by_id_sql::<Postgres>(id)
            .build_query_as()
            .fetch_optional(&self.pool)
            .await?
        else {
            return Err(Error::NotFound);
        };
        let lines: Vec<LineRow> = lines_sql::<Postgres>(&[id])
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        assemble(vec![row], lines)?.pop().ok_or(Error::NotFound)
    }

    async fn report(
        &self,
        filter: &ReportFilter,
        order: OrderBy<ReportOrderField>,
        page: Page,
    ) -> Result<Vec<ReportRow>, Error> {
        let rows: Vec<ReportRowDb> = report_sql::<Postgres>(filter, order, page)
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(ReportRow::from).collect())
    }

    async fn report_count(&self, filter: &ReportFilter) -> Result<i64, Error> {
        Ok(report_count_sql::<Postgres>(filter)
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await?)
    }
}

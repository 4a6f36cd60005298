//! The user store, for either backend: transactions and execution; the SQL is in
//! `super`. Writes begin with [`StoreDb::begin_write`] (`BEGIN IMMEDIATE` on
//! SQLite).

use async_trait::async_trait;
use auditbus::Audit;
use sdk::{
    OrderBy, Page,
    sqldb::{RowsAffected, StoreDb},
};
use sqlx::{FromRow, Pool};
use types::Email;
use uuid::Uuid;

use super::{
    UserRow, by_email_sql, by_id_sql, conflict_or_missing, count_sql, delete_sql, exists_sql, insert_sql,
    map_write_err, select_sql, update_sql,
};
use crate::{Error, OrderField, QueryFilter, Storer, User, UserChanges};

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
    UserRow: for<'r> FromRow<'r, DB::Row>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
{
    async fn create(&self, user: &User, audit: &Audit) -> Result<(), Error> {
        let mut tx = DB::begin_write(&self.pool).await?;
        insert_sql::<DB>(user)
            .build()
            .execute(DB::conn(&mut tx))
            .await
            .map_err(map_write_err)?;
        auditbus::stores::insert::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update(
        &self,
        id: Uuid,
        changes: &UserChanges,
        expected_version: Option<i64>,
        audit: &Audit,
    ) -> Result<User, Error> {
        let mut tx = DB::begin_write(&self.pool).await?;
        let row: Option<UserRow> = update_sql::<DB>(id, changes, expected_version)
            .build_query_as()
            .fetch_optional(DB::conn(&mut tx))
            .await
            .map_err(map_write_err)?;
        let Some(row) = row else {
            let n: i64 = exists_sql::<DB>(id)
                .build_query_scalar()
                .fetch_one(DB::conn(&mut tx))
                .await?;
            return Err(conflict_or_missing(n));
        };
        auditbus::stores::insert::<DB>(&mut tx, audit).await?;
        tx.commit().await?;
        row.try_into()
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

    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<User>, Error> {
        let rows: Vec<UserRow> = select_sql::<DB>(filter, order, page)
            .build_query_as()
            .fetch_all(DB::pool(&self.pool))
            .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        Ok(count_sql::<DB>(filter)
            .build_query_scalar()
            .fetch_one(DB::pool(&self.pool))
            .await?)
    }

    async fn query_by_id(&self, id: Uuid) -> Result<User, Error> {
        let row: Option<UserRow> = by_id_sql::<DB>(id)
            .build_query_as()
            .fetch_optional(DB::pool(&self.pool))
            .await?;
        row.ok_or(Error::NotFound)?.try_into()
    }

    async fn query_by_email(&self, email: &Email) -> Result<User, Error> {
        let row: Option<UserRow> = by_email_sql::<DB>(email)
            .build_query_as()
            .fetch_optional(DB::pool(&self.pool))
            .await?;
        row.ok_or(Error::NotFound)?.try_into()
    }
}

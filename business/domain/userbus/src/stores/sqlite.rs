//! SQLite user store (writes start with BEGIN IMMEDIATE): transactions and execution; the SQL is in `super`.

use async_trait::async_trait;
use auditbus::Audit;
use sdk::{OrderBy, Page};
use sqlx::{Sqlite, SqlitePool};
use types::Email;
use uuid::Uuid;

use super::{
    UserRow, by_email_sql, by_id_sql, conflict_or_missing, count_sql, delete_sql, exists_sql, insert_sql,
    map_write_err, select_sql, update_sql,
};
use crate::{Error, OrderField, QueryFilter, Storer, User, UserChanges};

pub struct Store {
    pool: SqlitePool,
}

impl Store {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl Storer for Store {
    async fn create(&self, user: &User, audit: &Audit) -> Result<(), Error> {
        let mut tx = sdk::sqldb::sqlite_begin_write(&self.pool).await?;
        insert_sql::<Sqlite>(user)
            .build()
            .execute(&mut *tx)
            .await
            .map_err(map_write_err)?;
        auditbus::stores::sqlite::insert(&mut tx, audit).await?;
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
        let mut tx = sdk::sqldb::sqlite_begin_write(&self.pool).await?;
        let row: Option<UserRow> = update_sql::<Sqlite>(id, changes, expected_version)
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_write_err)?;
        let Some(row) = row else {
            let n: i64 = exists_sql::<Sqlite>(id)
                .build_query_scalar()
                .fetch_one(&mut *tx)
                .await?;
            return Err(conflict_or_missing(n));
        };
        auditbus::stores::sqlite::insert(&mut tx, audit).await?;
        tx.commit().await?;
        row.try_into()
    }

    async fn delete(&self, id: Uuid, expected_version: Option<i64>, audit: &Audit) -> Result<(), Error> {
        let mut tx = sdk::sqldb::sqlite_begin_write(&self.pool).await?;
        let done = delete_sql::<Sqlite>(id, expected_version, audit.timestamp)
            .build()
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            let n: i64 = exists_sql::<Sqlite>(id)
                .build_query_scalar()
                .fetch_one(&mut *tx)
                .await?;
            return Err(conflict_or_missing(n));
        }
        auditbus::stores::sqlite::insert(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<User>, Error> {
        let rows: Vec<UserRow> = select_sql::<Sqlite>(filter, order, page)
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        Ok(count_sql::<Sqlite>(filter)
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await?)
    }

    async fn query_by_id(&self, id: Uuid) -> Result<User, Error> {
        let row: Option<UserRow> = by_id_sql::<Sqlite>(id)
            .build_query_as()
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(Error::NotFound)?.try_into()
    }

    async fn query_by_email(&self, email: &Email) -> Result<User, Error> {
        let row: Option<UserRow> = by_email_sql::<Sqlite>(email)
            .build_query_as()
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(Error::NotFound)?.try_into()
    }
}

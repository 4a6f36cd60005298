//! {{ b.title }} {{ c.n.name }} store{{ b.note }}: transactions and execution; the SQL is in `super`.

use async_trait::async_trait;
use auditbus::Audit;
use sdk::{OrderBy, Page};
use sqlx::{ {{ b.pool }}, {{ b.db }} };
use uuid::Uuid;

use super::{
    {{ c.n.pascal }}Row, by_id_sql, conflict_or_missing, count_sql, delete_sql, exists_sql, insert_sql, map_write_err, select_sql, update_sql,
};
use crate::{Error, OrderField, QueryFilter, Storer, {{ c.n.pascal }}, {{ c.n.pascal }}Changes};

pub struct Store {
    pool: {{ b.pool }},
}

impl Store {
    pub fn new(pool: {{ b.pool }}) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl Storer for Store {
    async fn create(&self, item: &{{ c.n.pascal }}, audit: &Audit) -> Result<(), Error> {
        let mut tx = sdk::sqldb::{{ b.begin }}(&self.pool).await?;
        insert_sql::<{{ b.db }}>(item).build().execute(&mut *tx).await.map_err(map_write_err)?;
        auditbus::stores::{{ b.module }}::insert(&mut tx, audit).await?;
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
        let mut tx = sdk::sqldb::{{ b.begin }}(&self.pool).await?;
        let row: Option<{{ c.n.pascal }}Row> = update_sql::<{{ b.db }}>(id, changes, expected_version)
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_write_err)?;
        let Some(row) = row else {
            let n: i64 = exists_sql::<{{ b.db }}>(id).build_query_scalar().fetch_one(&mut *tx).await?;
            return Err(conflict_or_missing(n));
        };
        auditbus::stores::{{ b.module }}::insert(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn delete(&self, id: Uuid, expected_version: Option<i64>, audit: &Audit) -> Result<(), Error> {
        let mut tx = sdk::sqldb::{{ b.begin }}(&self.pool).await?;
        let done = delete_sql::<{{ b.db }}>(id, expected_version, audit.timestamp)
            .build()
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            let n: i64 = exists_sql::<{{ b.db }}>(id).build_query_scalar().fetch_one(&mut *tx).await?;
            return Err(conflict_or_missing(n));
        }
        auditbus::stores::{{ b.module }}::insert(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<{{ c.n.pascal }}>, Error> {
        let rows: Vec<{{ c.n.pascal }}Row> = select_sql::<{{ b.db }}>(filter, order, page)
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map({{ c.n.pascal }}::from).collect())
    }

    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        Ok(count_sql::<{{ b.db }}>(filter).build_query_scalar().fetch_one(&self.pool).await?)
    }

    async fn query_by_id(&self, id: Uuid) -> Result<{{ c.n.pascal }}, Error> {
        let row: Option<{{ c.n.pascal }}Row> = by_id_sql::<{{ b.db }}>(id).build_query_as().fetch_optional(&self.pool).await?;
        Ok(row.ok_or(Error::NotFound)?.into())
    }
}

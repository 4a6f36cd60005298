//! One store, generic over the backend ([`sdk::sqldb::StoreDb`]: transactions and
//! execution). The SQL is built once, generic over [`sdk::sqldb::Dialect`].

mod store;

use std::sync::Arc;

{%- if c.has_array %}
use sdk::dbarray::{ArrayBind, DbArray};
{%- endif %}
use sdk::{
    DbPool, OrderBy, Page,
    sqldb::{Dialect, Where, {% if c.has_substring %}like_pattern, {% endif %}push_order_page},
};
use sqlx::QueryBuilder;
use time::OffsetDateTime;
{%- if c.has_money %}
use types::Money;
{%- endif %}
use uuid::Uuid;

use crate::{Error, OrderField, QueryFilter, Storer, {{ c.n.pascal }}, {{ c.n.pascal }}Changes};

pub fn new(pool: &DbPool) -> Arc<dyn Storer> {
    match pool {
        DbPool::Postgres(p) => Arc::new(store::Store::new(p.clone())),
        DbPool::Sqlite(p) => Arc::new(store::Store::new(p.clone())),
    }
}

/// Every column, qualified with the alias `t` used by all reads.
const COLUMNS: &str = "t.{{ c.n.name }}_id, t.user_id, {% for f in c.fields %}t.{{ f.column }}, {% endfor %}t.version, t.date_created, t.date_updated";
/// The same, unqualified, for `RETURNING` (SQLite takes no table prefix there).
const RETURNING: &str = "{{ c.n.name }}_id, user_id, {% for f in c.fields %}{{ f.column }}, {% endfor %}version, date_created, date_updated";

#[derive(sqlx::FromRow)]
pub(crate) struct {{ c.n.pascal }}Row {
    {{ c.n.name }}_id: Uuid,
    user_id: Uuid,
{%- for f in c.fields %}
    {{ f.column }}: {{ f.row_ty }},
{%- endfor %}
    version: i64,
    date_created: OffsetDateTime,
    date_updated: OffsetDateTime,
}

impl From<{{ c.n.pascal }}Row> for {{ c.n.pascal }} {
    fn from(r: {{ c.n.pascal }}Row) -> {{ c.n.pascal }} {
        {{ c.n.pascal }} {
            id: r.{{ c.n.name }}_id,
            user_id: r.user_id,
{%- for f in c.fields %}
            {{ f.name }}: {{ f.from_row }},
{%- endfor %}
            version: r.version,
            date_created: r.date_created,
            date_updated: r.date_updated,
        }
    }
}

fn order_column(f: OrderField) -> &'static str {
    match f {
        OrderField::Id => "t.{{ c.n.name }}_id",
        OrderField::UserId => "t.user_id",
{%- for f in c.orderables %}
        OrderField::{{ f.pascal }} => "t.{{ f.column }}",
{%- endfor %}
        OrderField::DateCreated => "t.date_created",
    }
}

/// Unique-key and foreign-key violations are the caller's mistake, not ours.
pub(crate) fn map_write_err(e: sqlx::Error) -> Error {
{%- if c.has_unique %}
    if sdk::sqldb::is_unique_violation(&e) {
        return Error::Duplicate;
    }
{%- endif %}
{%- if c.has_user %}
    if let sqlx::Error::Database(db) = &e
        && db.is_foreign_key_violation()
    {
        return Error::UnknownUser;
    }
{%- endif %}
    Error::Internal(e.into())
}

pub(crate) fn insert_sql<DB: {{ c.db_bound }}>(item: &{{ c.n.pascal }}) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(
        "INSERT INTO {{ c.n.plural }} ({{ c.n.name }}_id, user_id, {% for f in c.fields %}{{ f.column }}, {% endfor %}version, date_created, date_updated) VALUES (",
    );
    DB::bind_uuid(&mut qb, item.id);
    qb.push(", ");
    DB::bind_uuid(&mut qb, item.user_id);
    qb.push(", ");
{%- for f in c.fields %}
    {{ f.insert_bind }}
    qb.push(", ");
{%- endfor %}
    DB::bind_i64(&mut qb, item.version);
    qb.push(", ");
    DB::bind_time(&mut qb, item.date_created);
    qb.push(", ");
    DB::bind_time(&mut qb, item.date_updated);
    qb.push(")");
    qb
}

/// `UPDATE ... RETURNING` touching only the given fields, guarded by the version
/// when one is expected: no lost updates between independent fields.
pub(crate) fn update_sql<DB: {{ c.db_bound }}>(id: Uuid, c: &{{ c.n.pascal }}Changes, expected_version: Option<i64>) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE {{ c.n.plural }} SET version = version + 1, date_updated = ");
    DB::bind_time(&mut qb, c.date_updated);
{%- for f in c.fields %}
    if let Some(v) = &c.{{ f.name }} {
        qb.push(", {{ f.column }} = ");
        {{ f.update_bind }}
    }
{%- endfor %}
    qb.push(" WHERE {{ c.n.name }}_id = ");
    DB::bind_uuid(&mut qb, id);
    qb.push(" AND date_deleted IS NULL");
    if let Some(v) = expected_version {
        qb.push(" AND version = ");
        DB::bind_i64(&mut qb, v);
    }
    qb.push(format_args!(" RETURNING {RETURNING}"));
    qb
}

pub(crate) fn delete_sql<DB: Dialect>(id: Uuid, expected_version: Option<i64>, now: OffsetDateTime) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE {{ c.n.plural }} SET version = version + 1, date_deleted = ");
    DB::bind_time(&mut qb, now);
    qb.push(", date_updated = ");
    DB::bind_time(&mut qb, now);
    qb.push(" WHERE {{ c.n.name }}_id = ");
    DB::bind_uuid(&mut qb, id);
    qb.push(" AND date_deleted IS NULL");
    if let Some(v) = expected_version {
        qb.push(" AND version = ");
        DB::bind_i64(&mut qb, v);
    }
    qb
}

/// Tells a missing {{ c.n.name }} from a version mismatch after a guarded write hit no row.
pub(crate) fn exists_sql<DB: Dialect>(id: Uuid) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM {{ c.n.plural }} WHERE date_deleted IS NULL AND {{ c.n.name }}_id = ");
    DB::bind_uuid(&mut qb, id);
    qb
}

pub(crate) fn conflict_or_missing(exists: i64) -> Error {
    if exists > 0 { Error::VersionConflict } else { Error::NotFound }
}

/// The WHERE clause for `f` over `{{ c.n.plural }} t`.
fn push_filter<DB: Dialect>(qb: &mut QueryBuilder<DB>, f: &QueryFilter) {
    let mut w = Where::new();
    w.and(qb, "t.date_deleted IS NULL");
    if let Some(v) = f.id {
        w.and(qb, "t.{{ c.n.name }}_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = f.user_id {
        w.and(qb, "t.user_id = ");
        DB::bind_uuid(qb, v);
    }
{%- for f in c.filters %}
    if let Some(v) = &f.{{ f.name }} {
{%- if f.filter_substring %}
        w.and(qb, &format!("t.{{ f.column }} {} ", DB::ILIKE));
        DB::bind_text(qb, like_pattern(v));
        qb.push(" ESCAPE '\\'");
{%- else %}
        w.and(qb, "t.{{ f.column }} = ");
        {{ f.filter_bind }}
{%- endif %}
    }
{%- endfor %}
}

pub(crate) fn select_sql<DB: Dialect>(f: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM {{ c.n.plural }} t"));
    push_filter(&mut qb, f);
    push_order_page(&mut qb, order_column(order.field), order.direction, "t.{{ c.n.name }}_id", page);
    qb
}

pub(crate) fn count_sql<DB: Dialect>(f: &QueryFilter) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM {{ c.n.plural }} t");
    push_filter(&mut qb, f);
    qb
}

pub(crate) fn by_id_sql<DB: Dialect>(id: Uuid) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM {{ c.n.plural }} t WHERE t.date_deleted IS NULL AND t.{{ c.n.name }}_id = "
    ));
    DB::bind_uuid(&mut qb, id);
    qb
}

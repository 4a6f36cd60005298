//! One store, generic over the backend ([`sdk::sqldb::StoreDb`]: transactions and
//! execution). The SQL is built once, generic over [`sdk::sqldb::Dialect`].

mod store;

use std::sync::Arc;

use sdk::{
    DbPool, OrderBy, Page,
    sqldb::{Dialect, Where, like_pattern, push_order_page},
};
use sqlx::QueryBuilder;
use types::{Email, Name, PasswordHash, Roles};
use uuid::Uuid;

use crate::{Error, OrderField, QueryFilter, Storer, User, UserChanges};

pub fn new(pool: &DbPool) -> Arc<dyn Storer> {
    match pool {
        DbPool::Postgres(p) => Arc::new(store::Store::new(p.clone())),
        DbPool::Sqlite(p) => Arc::new(store::Store::new(p.clone())),
    }
}

const COLUMNS: &str =
    "user_id, name, email, roles, password_hash, department, enabled, version, date_created, date_updated";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    user_id: Uuid,
    name: String,
    email: String,
    roles: String,
    password_hash: String,
    department: Option<String>,
    enabled: bool,
    version: i64,
    date_created: time::OffsetDateTime,
    date_updated: time::OffsetDateTime,
}

impl TryFrom<UserRow> for User {
    type Error = Error;

    fn try_from(r: UserRow) -> Result<User, Error> {
        Ok(User {
            id: r.user_id,
            name: Name::from_trusted(r.name),
            email: Email::from_trusted(r.email),
            roles: Roles::from_csv(&r.roles)
                .map_err(|e| anyhow::anyhow!("bad roles in database for {}: {e}", r.user_id))?,
            password_hash: PasswordHash::from_stored(r.password_hash),
            department: r.department,
            enabled: r.enabled,
            version: r.version,
            date_created: r.date_created,
            date_updated: r.date_updated,
        })
    }
}

pub(crate) fn map_write_err(e: sqlx::Error) -> Error {
    if sdk::sqldb::is_unique_violation(&e) {
        Error::UniqueEmail
    } else {
        Error::Internal(e.into())
    }
}

fn order_column(f: OrderField) -> &'static str {
    match f {
        OrderField::Id => "user_id",
        OrderField::Name => "name",
        OrderField::Email => "email",
        OrderField::Roles => "roles",
        OrderField::Enabled => "enabled",
        OrderField::DateCreated => "date_created",
    }
}

pub(crate) fn insert_sql<DB: Dialect>(u: &User) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("INSERT INTO users ({COLUMNS}) VALUES ("));
    DB::bind_uuid(&mut qb, u.id);
    qb.push(", ");
    DB::bind_text(&mut qb, u.name.as_str().to_string());
    qb.push(", ");
    DB::bind_text(&mut qb, u.email.as_str().to_string());
    qb.push(", ");
    DB::bind_text(&mut qb, u.roles.to_csv());
    qb.push(", ");
    DB::bind_text(&mut qb, u.password_hash.as_str().to_string());
    qb.push(", ");
    match &u.department {
        Some(d) => DB::bind_text(&mut qb, d.clone()),
        None => {
            qb.push("NULL");
        }
    }
    qb.push(", ");
    DB::bind_bool(&mut qb, u.enabled);
    qb.push(", ");
    DB::bind_i64(&mut qb, u.version);
    qb.push(", ");
    DB::bind_time(&mut qb, u.date_created);
    qb.push(", ");
    DB::bind_time(&mut qb, u.date_updated);
    qb.push(")");
    qb
}

/// `UPDATE ... RETURNING` touching only the given fields, guarded by the version
/// when one is expected: no lost updates between independent fields.
pub(crate) fn update_sql<DB: Dialect>(id: Uuid, c: &UserChanges, expected_version: Option<i64>) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE users SET version = version + 1, date_updated = ");
    DB::bind_time(&mut qb, c.date_updated);
    if let Some(v) = &c.name {
        qb.push(", name = ");
        DB::bind_text(&mut qb, v.as_str().to_string());
    }
    if let Some(v) = &c.email {
        qb.push(", email = ");
        DB::bind_text(&mut qb, v.as_str().to_string());
    }
    if let Some(v) = &c.department {
        qb.push(", department = ");
        match v {
            Some(d) => DB::bind_text(&mut qb, d.clone()),
            None => {
                qb.push("NULL");
            }
        }
    }
    if let Some(v) = &c.password_hash {
        qb.push(", password_hash = ");
        DB::bind_text(&mut qb, v.as_str().to_string());
    }
    if let Some(v) = &c.roles {
        qb.push(", roles = ");
        DB::bind_text(&mut qb, v.to_csv());
    }
    if let Some(v) = c.enabled {
        qb.push(", enabled = ");
        DB::bind_bool(&mut qb, v);
    }
    qb.push(" WHERE user_id = ");
    DB::bind_uuid(&mut qb, id);
    qb.push(" AND date_deleted IS NULL");
    if let Some(v) = expected_version {
        qb.push(" AND version = ");
        DB::bind_i64(&mut qb, v);
    }
    qb.push(format_args!(" RETURNING {COLUMNS}"));
    qb
}

pub(crate) fn delete_sql<DB: Dialect>(
    id: Uuid,
    expected_version: Option<i64>,
    now: time::OffsetDateTime,
) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE users SET version = version + 1, date_deleted = ");
    DB::bind_time(&mut qb, now);
    qb.push(", date_updated = ");
    DB::bind_time(&mut qb, now);
    qb.push(" WHERE user_id = ");
    DB::bind_uuid(&mut qb, id);
    qb.push(" AND date_deleted IS NULL");
    if let Some(v) = expected_version {
        qb.push(" AND version = ");
        DB::bind_i64(&mut qb, v);
    }
    qb
}

/// Tells a missing user from a version mismatch after a guarded write hit no row.
pub(crate) fn exists_sql<DB: Dialect>(id: Uuid) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM users WHERE date_deleted IS NULL AND user_id = ");
    DB::bind_uuid(&mut qb, id);
    qb
}

pub(crate) fn conflict_or_missing(exists: i64) -> Error {
    if exists > 0 {
        Error::VersionConflict
    } else {
        Error::NotFound
    }
}

fn push_filter<DB: Dialect>(qb: &mut QueryBuilder<DB>, f: &QueryFilter) {
    let mut w = Where::new();
    w.and(qb, "date_deleted IS NULL");
    if let Some(v) = f.id {
        w.and(qb, "user_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = &f.name {
        w.and(qb, &format!("name {} ", DB::ILIKE));
        DB::bind_text(qb, like_pattern(v));
        qb.push(" ESCAPE '\\'");
    }
    if let Some(v) = &f.email {
        w.and(qb, "email = ");
        DB::bind_text(qb, v.as_str().to_string());
    }
    if let Some(v) = f.role {
        // Roles are a sorted CSV of a closed set, so a substring match is exact.
        w.and(qb, "roles LIKE ");
        DB::bind_text(qb, format!("%{}%", v.as_str()));
    }
    if let Some(v) = f.enabled {
        w.and(qb, "enabled = ");
        DB::bind_bool(qb, v);
    }
    if let Some(v) = f.start_created_date {
        w.and(qb, "date_created >= ");
        DB::bind_time(qb, v);
    }
    if let Some(v) = f.end_created_date {
        w.and(qb, "date_created <= ");
        DB::bind_time(qb, v);
    }
}

pub(crate) fn select_sql<DB: Dialect>(f: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM users"));
    push_filter(&mut qb, f);
    push_order_page(&mut qb, order_column(order.field), order.direction, "user_id", page);
    qb
}

pub(crate) fn count_sql<DB: Dialect>(f: &QueryFilter) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM users");
    push_filter(&mut qb, f);
    qb
}

pub(crate) fn by_id_sql<DB: Dialect>(id: Uuid) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM users WHERE date_deleted IS NULL AND user_id = "
    ));
    DB::bind_uuid(&mut qb, id);
    qb
}

pub(crate) fn by_email_sql<DB: Dialect>(email: &Email) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM users WHERE date_deleted IS NULL AND email = "
    ));
    DB::bind_text(&mut qb, email.as_str().to_string());
    qb
}

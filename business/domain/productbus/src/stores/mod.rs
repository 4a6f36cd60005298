//! One store, generic over the backend ([`sdk::sqldb::StoreDb`]: transactions and
//! execution). The SQL is built once, generic over [`sdk::sqldb::Dialect`].

mod store;

use std::sync::Arc;

use sdk::{
    DbPool, OrderBy, Page,
    sqldb::{Dialect, Where, like_pattern, push_order_page},
};
use sqlx::QueryBuilder;
use types::{Money, Name};
use uuid::Uuid;

use crate::{Error, OrderField, Product, ProductChanges, ProductView, QueryFilter, Storer};

pub fn new(pool: &DbPool) -> Arc<dyn Storer> {
    match pool {
        DbPool::Postgres(p) => Arc::new(store::Store::new(p.clone())),
        DbPool::Sqlite(p) => Arc::new(store::Store::new(p.clone())),
    }
}

/// Every product column, qualified with the alias `p` used by all reads.
const COLUMNS: &str =
    "p.product_id, p.user_id, p.name, p.cost_cents, p.quantity, p.version, p.date_created, p.date_updated";
/// The same, unqualified, for `RETURNING` (SQLite takes no table prefix there).
const RETURNING: &str = "product_id, user_id, name, cost_cents, quantity, version, date_created, date_updated";

#[derive(sqlx::FromRow)]
pub(crate) struct ProductRow {
    product_id: Uuid,
    user_id: Uuid,
    name: String,
    cost_cents: i64,
    quantity: i64,
    version: i64,
    date_created: time::OffsetDateTime,
    date_updated: time::OffsetDateTime,
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Product {
        Product {
            id: r.product_id,
            user_id: r.user_id,
            name: Name::from_trusted(r.name),
            cost: Money::from_cents(r.cost_cents),
            quantity: r.quantity,
            version: r.version,
            date_created: r.date_created,
            date_updated: r.date_updated,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProductViewRow {
    #[sqlx(flatten)]
    product: ProductRow,
    user_name: String,
}

impl From<ProductViewRow> for ProductView {
    fn from(r: ProductViewRow) -> ProductView {
        ProductView {
            product: r.product.into(),
            user_name: Name::from_trusted(r.user_name),
        }
    }
}

fn order_column(f: OrderField) -> &'static str {
    match f {
        OrderField::Id => "p.product_id",
        OrderField::Name => "p.name",
        OrderField::Cost => "p.cost_cents",
        OrderField::Quantity => "p.quantity",
        OrderField::UserId => "p.user_id",
        OrderField::DateCreated => "p.date_created",
    }
}

pub(crate) fn insert_sql<DB: Dialect>(p: &Product) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(
        "INSERT INTO products (product_id, user_id, name, cost_cents, quantity, version, date_created, date_updated) VALUES (",
    );
    DB::bind_uuid(&mut qb, p.id);
    qb.push(", ");
    DB::bind_uuid(&mut qb, p.user_id);
    qb.push(", ");
    DB::bind_text(&mut qb, p.name.as_str().to_string());
    qb.push(", ");
    DB::bind_i64(&mut qb, p.cost.cents());
    qb.push(", ");
    DB::bind_i64(&mut qb, p.quantity);
    qb.push(", ");
    DB::bind_i64(&mut qb, p.version);
    qb.push(", ");
    DB::bind_time(&mut qb, p.date_created);
    qb.push(", ");
    DB::bind_time(&mut qb, p.date_updated);
    qb.push(")");
    qb
}

/// `UPDATE ... RETURNING` touching only the given fields, guarded by the version
/// when one is expected: no lost updates between independent fields.
pub(crate) fn update_sql<DB: Dialect>(id: Uuid, c: &ProductChanges, expected_version: Option<i64>) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE products SET version = version + 1, date_updated = ");
    DB::bind_time(&mut qb, c.date_updated);
    if let Some(v) = &c.name {
        qb.push(", name = ");
        DB::bind_text(&mut qb, v.as_str().to_string());
    }
    if let Some(v) = c.cost {
        qb.push(", cost_cents = ");
        DB::bind_i64(&mut qb, v.cents());
    }
    if let Some(v) = c.quantity {
        qb.push(", quantity = ");
        DB::bind_i64(&mut qb, v);
    }
    qb.push(" WHERE product_id = ");
    DB::bind_uuid(&mut qb, id);
    qb.push(" AND date_deleted IS NULL");
    if let Some(v) = expected_version {
        qb.push(" AND version = ");
        DB::bind_i64(&mut qb, v);
    }
    qb.push(format_args!(" RETURNING {RETURNING}"));
    qb
}

pub(crate) fn delete_sql<DB: Dialect>(
    id: Uuid,
    expected_version: Option<i64>,
    now: time::OffsetDateTime,
) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE products SET version = version + 1, date_deleted = ");
    DB::bind_time(&mut qb, now);
    qb.push(", date_updated = ");
    DB::bind_time(&mut qb, now);
    qb.push(" WHERE product_id = ");
    DB::bind_uuid(&mut qb, id);
    qb.push(" AND date_deleted IS NULL");
    if let Some(v) = expected_version {
        qb.push(" AND version = ");
        DB::bind_i64(&mut qb, v);
    }
    qb
}

/// Tells a missing product from a version mismatch after a guarded write hit no row.
pub(crate) fn exists_sql<DB: Dialect>(id: Uuid) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM products WHERE date_deleted IS NULL AND product_id = ");
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

/// The WHERE clause for `f` over `products p` (and `users u` when `view`).
fn push_filter<DB: Dialect>(qb: &mut QueryBuilder<DB>, f: &QueryFilter, view: bool) {
    let mut w = Where::new();
    w.and(qb, "p.date_deleted IS NULL");
    if let Some(v) = f.id {
        w.and(qb, "p.product_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = f.user_id {
        w.and(qb, "p.user_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = &f.name {
        w.and(qb, &format!("p.name {} ", DB::ILIKE));
        DB::bind_text(qb, like_pattern(v));
        qb.push(" ESCAPE '\\'");
    }
    if let Some(v) = f.cost {
        w.and(qb, "p.cost_cents = ");
        DB::bind_i64(qb, v.cents());
    }
    if let Some(v) = f.min_cost {
        w.and(qb, "p.cost_cents >= ");
        DB::bind_i64(qb, v.cents());
    }
    if let Some(v) = f.max_cost {
        w.and(qb, "p.cost_cents <= ");
        DB::bind_i64(qb, v.cents());
    }
    if let Some(v) = f.quantity {
        w.and(qb, "p.quantity = ");
        DB::bind_i64(qb, v);
    }
    match f.in_stock {
        Some(true) => w.and(qb, "p.quantity > 0"),
        Some(false) => w.and(qb, "p.quantity = 0"),
        None => {}
    }
    if let Some(v) = &f.user_name {
        if view {
            w.and(qb, &format!("u.name {} ", DB::ILIKE));
        } else {
            w.and(
                qb,
                &format!("p.user_id IN (SELECT user_id FROM users WHERE name {} ", DB::ILIKE),
            );
        }
        DB::bind_text(qb, like_pattern(v));
        qb.push(" ESCAPE '\\'");
        if !view {
            qb.push(")");
        }
    }
}

pub(crate) fn select_sql<DB: Dialect>(f: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM products p"));
    push_filter(&mut qb, f, false);
    push_order_page(
        &mut qb,
        order_column(order.field),
        order.direction,
        "p.product_id",
        page,
    );
    qb
}

/// Unfiltered: the trigger-maintained `product_counts` (migration 0006), exact and
/// O(1). Filtered: a plain `COUNT(*)`, which the filters' partial indexes serve.
pub(crate) fn count_sql<DB: Dialect>(f: &QueryFilter) -> QueryBuilder<DB> {
    if *f == QueryFilter::default() {
        return QueryBuilder::new("SELECT CAST(COALESCE(SUM(live), 0) AS BIGINT) FROM product_counts");
    }
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM products p");
    push_filter(&mut qb, f, false);
    qb
}

const VIEW_FROM: &str = " FROM products p JOIN users u ON u.user_id = p.user_id";

pub(crate) fn select_view_sql<DB: Dialect>(
    f: &QueryFilter,
    order: OrderBy<OrderField>,
    page: Page,
) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS}, u.name AS user_name{VIEW_FROM}"));
    push_filter(&mut qb, f, true);
    push_order_page(
        &mut qb,
        order_column(order.field),
        order.direction,
        "p.product_id",
        page,
    );
    qb
}

pub(crate) fn count_view_sql<DB: Dialect>(f: &QueryFilter) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("SELECT COUNT(*){VIEW_FROM}"));
    push_filter(&mut qb, f, true);
    qb
}

pub(crate) fn by_id_sql<DB: Dialect>(id: Uuid) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM products p WHERE p.date_deleted IS NULL AND p.product_id = "
    ));
    DB::bind_uuid(&mut qb, id);
    qb
}

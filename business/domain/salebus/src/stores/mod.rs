//! One store, generic over the backend ([`sdk::sqldb::StoreDb`]: transactions and
//! execution). The SQL is built once, generic over [`sdk::sqldb::Dialect`], and so
//! are the two multi-step writes (`create_in`, `cancel_in`), which run against
//! [`WriteTx`]; the store only opens and commits transactions and executes the
//! statements.
//!
//! A sale writes to `products` directly (stock) inside its own transaction: the
//! decrement has to be one conditional UPDATE in the same transaction as the sale.

mod store;

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use auditbus::Audit;
use sdk::{
    DbPool, OrderBy, Page,
    sqldb::{Dialect, Where, push_order_page},
};
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use types::{Money, Name};
use uuid::Uuid;

use crate::{
    CreateOutcome, Error, IdempotencyKey, OrderField, QueryFilter, ReportFilter, ReportOrderField, ReportRow, Sale,
    SaleLine, SaleRequest, ShortLine, Status, Storer, cancelled_audit, created_audit,
};

pub fn new(pool: &DbPool) -> Arc<dyn Storer> {
    match pool {
        DbPool::Postgres(p) => Arc::new(store::Store::new(p.clone())),
        DbPool::Sqlite(p) => Arc::new(store::Store::new(p.clone())),
    }
}

// ---- rows ----------------------------------------------------------------

#[derive(sqlx::FromRow)]
pub(crate) struct SaleRow {
    sale_id: Uuid,
    user_id: Uuid,
    status: String,
    total_cents: i64,
    version: i64,
    date_created: OffsetDateTime,
    date_updated: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
pub(crate) struct LineRow {
    sale_id: Uuid,
    product_id: Uuid,
    seller_id: Uuid,
    name: String,
    quantity: i64,
    unit_cost_cents: i64,
    line_total_cents: i64,
}

impl From<LineRow> for SaleLine {
    fn from(r: LineRow) -> SaleLine {
        SaleLine {
            product_id: r.product_id,
            seller_id: r.seller_id,
            name: Name::from_trusted(r.name),
            quantity: r.quantity,
            unit_cost: Money::from_cents(r.unit_cost_cents),
            line_total: Money::from_cents(r.line_total_cents),
        }
    }
}

/// Joins sale rows with their lines (`lines` ordered by sale, then line number).
pub(crate) fn assemble(rows: Vec<SaleRow>, lines: Vec<LineRow>) -> Result<Vec<Sale>, Error> {
    let mut by_sale: HashMap<Uuid, Vec<SaleLine>> = HashMap::new();
    for l in lines {
        by_sale.entry(l.sale_id).or_default().push(l.into());
    }
    rows.into_iter()
        .map(|r| {
            let status = Status::parse(&r.status)
                .ok_or_else(|| anyhow::anyhow!("bad status {:?} in database for sale {}", r.status, r.sale_id))?;
            Ok(Sale {
                id: r.sale_id,
                user_id: r.user_id,
                status,
                lines: by_sale.remove(&r.sale_id).unwrap_or_default(),
                total: Money::from_cents(r.total_cents),
                version: r.version,
                date_created: r.date_created,
                date_updated: r.date_updated,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    request_hash: String,
    sale_id: Option<Uuid>,
    state: String,
}

/// What a successful stock decrement reports about the product.
#[derive(sqlx::FromRow)]
pub(crate) struct Taken {
    name: String,
    cost_cents: i64,
    user_id: Uuid,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReportRowDb {
    product_id: Uuid,
    name: String,
    user_id: Uuid,
    user_name: String,
    units_sold: i64,
    revenue_cents: i64,
}

impl From<ReportRowDb> for ReportRow {
    fn from(r: ReportRowDb) -> ReportRow {
        ReportRow {
            product_id: r.product_id,
            name: Name::from_trusted(r.name),
            user_id: r.user_id,
            user_name: Name::from_trusted(r.user_name),
            units_sold: r.units_sold,
            revenue: Money::from_cents(r.revenue_cents),
        }
    }
}

// ---- the write transaction ------------------------------------------------

/// The statements of a sale or a cancel, executed on one open write transaction.
#[async_trait]
pub(crate) trait WriteTx: Send {
    /// Inserts the key row, or takes over a stale one; false when a live row exists.
    async fn claim_key(&mut self, req: &SaleRequest, key: &IdempotencyKey) -> Result<bool, sqlx::Error>;
    async fn key_row(&mut self, user_id: Uuid, key: &str) -> Result<Option<KeyRow>, sqlx::Error>;
    async fn complete_key(&mut self, user_id: Uuid, key: &str, sale_id: Uuid) -> Result<(), sqlx::Error>;
    /// The conditional decrement; `None` when the product is missing or short.
    async fn take_stock(
        &mut self,
        product_id: Uuid,
        quantity: i64,
        now: OffsetDateTime,
    ) -> Result<Option<Taken>, sqlx::Error>;
    /// Current stock of a live product.
    async fn stock_of(&mut self, product_id: Uuid) -> Result<Option<i64>, sqlx::Error>;
    async fn restock(&mut self, product_id: Uuid, quantity: i64, now: OffsetDateTime) -> Result<(), sqlx::Error>;
    async fn insert_sale(&mut self, sale: &Sale) -> Result<(), sqlx::Error>;
    async fn sale_by_id(&mut self, id: Uuid) -> Result<Option<Sale>, Error>;
    /// COMPLETED → CANCELLED; false when no row matched.
    async fn mark_cancelled(
        &mut self,
        id: Uuid,
        expected_version: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<bool, sqlx::Error>;
    async fn insert_audit(&mut self, audit: &Audit) -> Result<(), sqlx::Error>;
}

const KEY_IN_FLIGHT: &str = "IN_FLIGHT";
const KEY_COMPLETED: &str = "COMPLETED";

/// A sale, on a write transaction the caller commits on `Ok`.
///
/// Idempotency: the key row is claimed first. Because it commits together with
/// the sale, a second request with the same key sees either nothing (the first
/// is still running or rolled back) or a completed key. On PostgreSQL the
/// second request's claim waits on the first one's uncommitted row, then reads
/// the committed outcome; on SQLite `BEGIN IMMEDIATE` already serialises them.
/// Either way at most one sale is made per key, and `IdempotencyInFlight` is
/// only the answer for a key row that exists without a sale.
pub(crate) async fn create_in<T: WriteTx>(tx: &mut T, req: &SaleRequest) -> Result<CreateOutcome, Error> {
    if let Some(key) = &req.idempotency
        && !tx.claim_key(req, key).await?
    {
        return match tx.key_row(req.user_id, &key.key).await? {
            Some(row) if row.request_hash != key.request_hash => Err(Error::IdempotencyMismatch),
            Some(KeyRow {
                state,
                sale_id: Some(id),
                ..
            }) if state == KEY_COMPLETED => match tx.sale_by_id(id).await? {
                Some(sale) => Ok(CreateOutcome::Replayed(sale)),
                None => Err(anyhow::anyhow!("idempotency key points at missing sale {id}").into()),
            },
            _ => Err(Error::IdempotencyInFlight),
        };
    }

    // Lock products in ascending id order; report lines by request position.
    let mut order: Vec<usize> = (0..req.lines.len()).collect();
    order.sort_by_key(|&i| req.lines[i].product_id);
    let mut sold: Vec<Option<SaleLine>> = vec![None; req.lines.len()];
    let mut missing: Option<usize> = None;
    let mut short = Vec::new();
    for i in order {
        let line = req.lines[i];
        match tx.take_stock(line.product_id, line.quantity, req.now).await? {
            Some(t) => {
                let unit_cost = Money::from_cents(t.cost_cents);
                let line_total = unit_cost
                    .checked_mul(line.quantity)
                    .ok_or_else(|| anyhow::anyhow!("line total overflows for product {}", line.product_id))?;
                sold[i] = Some(SaleLine {
                    product_id: line.product_id,
                    seller_id: t.user_id,
                    name: Name::from_trusted(t.name),
                    quantity: line.quantity,
                    unit_cost,
                    line_total,
                });
            }
            None => match tx.stock_of(line.product_id).await? {
                None => missing = Some(missing.map_or(i, |m| m.min(i))),
                Some(available) => short.push(ShortLine {
                    index: i,
                    product_id: line.product_id,
                    requested: line.quantity,
                    available,
                }),
            },
        }
    }
    if let Some(index) = missing {
        return Err(Error::ProductNotFound { index });
    }
    if !short.is_empty() {
        short.sort_by_key(|s| s.index);
        return Err(Error::InsufficientStock { lines: short });
    }

    let lines: Vec<SaleLine> = sold.into_iter().map(|l| l.expect("every line was sold")).collect();
    let total = lines
        .iter()
        .try_fold(Money::from_cents(0), |acc, l| acc.checked_add(l.line_total))
        .ok_or_else(|| anyhow::anyhow!("sale total overflows"))?;
    let sale = Sale {
        id: req.sale_id,
        user_id: req.user_id,
        status: Status::Completed,
        lines,
        total,
        version: 1,
        date_created: req.now,
        date_updated: req.now,
    };
    tx.insert_sale(&sale).await?;
    if let Some(key) = &req.idempotency {
        tx.complete_key(req.user_id, &key.key, sale.id).await?;
    }
    tx.insert_audit(&created_audit(req.actor_id, &sale)).await?;
    Ok(CreateOutcome::Created(sale))
}

/// A cancel, on a write transaction the caller commits on `Ok`. The sale row is
/// locked first (a concurrent cancel waits, then finds it cancelled), then the
/// products in ascending id order, like a sale.
pub(crate) async fn cancel_in<T: WriteTx>(
    tx: &mut T,
    actor_id: Uuid,
    id: Uuid,
    expected_version: Option<i64>,
    now: OffsetDateTime,
) -> Result<Sale, Error> {
    if !tx.mark_cancelled(id, expected_version, now).await? {
        return Err(match tx.sale_by_id(id).await? {
            None => Error::NotFound,
            Some(s) if expected_version.is_some_and(|v| v != s.version) => Error::VersionConflict,
            Some(s) if s.status == Status::Cancelled => Error::AlreadyCancelled,
            Some(_) => anyhow::anyhow!("sale {id} matched no row but is completed at the expected version").into(),
        });
    }
    let sale = tx
        .sale_by_id(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("sale {id} vanished while cancelling"))?;
    let mut restock: Vec<&SaleLine> = sale.lines.iter().collect();
    restock.sort_by_key(|l| l.product_id);
    for l in restock {
        tx.restock(l.product_id, l.quantity, now).await?;
    }
    tx.insert_audit(&cancelled_audit(actor_id, &sale)).await?;
    Ok(sale)
}

// ---- SQL: writes ----------------------------------------------------------

/// Inserts the key row; a row older than `keys_valid_since` is taken over (the
/// key is treated as new), a live one is left alone (0 rows affected).
pub(crate) fn claim_key_sql<DB: Dialect>(req: &SaleRequest, key: &IdempotencyKey) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(
        "INSERT INTO sale_idempotency (user_id, idem_key, request_hash, sale_id, state, date_created) VALUES (",
    );
    DB::bind_uuid(&mut qb, req.user_id);
    qb.push(", ");
    DB::bind_text(&mut qb, key.key.clone());
    qb.push(", ");
    DB::bind_text(&mut qb, key.request_hash.clone());
    qb.push(format_args!(", NULL, '{KEY_IN_FLIGHT}', "));
    DB::bind_time(&mut qb, req.now);
    qb.push(format_args!(
        ") ON CONFLICT (user_id, idem_key) DO UPDATE SET request_hash = excluded.request_hash, sale_id = NULL, \
         state = '{KEY_IN_FLIGHT}', date_created = excluded.date_created WHERE sale_idempotency.date_created < "
    ));
    DB::bind_time(&mut qb, req.keys_valid_since);
    qb
}

pub(crate) fn key_row_sql<DB: Dialect>(user_id: Uuid, key: &str) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("SELECT request_hash, sale_id, state FROM sale_idempotency WHERE user_id = ");
    DB::bind_uuid(&mut qb, user_id);
    qb.push(" AND idem_key = ");
    DB::bind_text(&mut qb, key.to_string());
    qb
}

pub(crate) fn complete_key_sql<DB: Dialect>(user_id: Uuid, key: &str, sale_id: Uuid) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!(
        "UPDATE sale_idempotency SET state = '{KEY_COMPLETED}', sale_id = "
    ));
    DB::bind_uuid(&mut qb, sale_id);
    qb.push(" WHERE user_id = ");
    DB::bind_uuid(&mut qb, user_id);
    qb.push(" AND idem_key = ");
    DB::bind_text(&mut qb, key.to_string());
    qb
}

/// The atomic decrement: matches only a live product with enough stock.
pub(crate) fn take_stock_sql<DB: Dialect>(product_id: Uuid, quantity: i64, now: OffsetDateTime) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE products SET quantity = quantity - ");
    DB::bind_i64(&mut qb, quantity);
    qb.push(", version = version + 1, date_updated = ");
    DB::bind_time(&mut qb, now);
    qb.push(" WHERE product_id = ");
    DB::bind_uuid(&mut qb, product_id);
    qb.push(" AND date_deleted IS NULL AND quantity >= ");
    DB::bind_i64(&mut qb, quantity);
    qb.push(" RETURNING name, cost_cents, user_id");
    qb
}

pub(crate) fn stock_of_sql<DB: Dialect>(product_id: Uuid) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("SELECT quantity FROM products WHERE date_deleted IS NULL AND product_id = ");
    DB::bind_uuid(&mut qb, product_id);
    qb
}

/// Puts stock back, also on a product deleted since the sale (kept simple: the
/// units exist again; a deleted product stays hidden either way).
pub(crate) fn restock_sql<DB: Dialect>(product_id: Uuid, quantity: i64, now: OffsetDateTime) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE products SET quantity = quantity + ");
    DB::bind_i64(&mut qb, quantity);
    qb.push(", version = version + 1, date_updated = ");
    DB::bind_time(&mut qb, now);
    qb.push(" WHERE product_id = ");
    DB::bind_uuid(&mut qb, product_id);
    qb
}

pub(crate) fn insert_sale_sql<DB: Dialect>(s: &Sale) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(
        "INSERT INTO sales (sale_id, user_id, status, total_cents, version, date_created, date_updated) VALUES (",
    );
    DB::bind_uuid(&mut qb, s.id);
    qb.push(", ");
    DB::bind_uuid(&mut qb, s.user_id);
    qb.push(", ");
    DB::bind_text(&mut qb, s.status.as_str().to_string());
    qb.push(", ");
    DB::bind_i64(&mut qb, s.total.cents());
    qb.push(", ");
    DB::bind_i64(&mut qb, s.version);
    qb.push(", ");
    DB::bind_time(&mut qb, s.date_created);
    qb.push(", ");
    DB::bind_time(&mut qb, s.date_updated);
    qb.push(")");
    qb
}

/// All lines of `s` in one statement (at most 50 lines × 8 values).
pub(crate) fn insert_lines_sql<DB: Dialect>(s: &Sale) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(
        "INSERT INTO sale_lines (sale_id, line_no, product_id, seller_id, name, quantity, unit_cost_cents, line_total_cents) VALUES ",
    );
    for (i, l) in s.lines.iter().enumerate() {
        qb.push(if i == 0 { "(" } else { ", (" });
        DB::bind_uuid(&mut qb, s.id);
        qb.push(", ");
        DB::bind_i64(&mut qb, i as i64);
        qb.push(", ");
        DB::bind_uuid(&mut qb, l.product_id);
        qb.push(", ");
        DB::bind_uuid(&mut qb, l.seller_id);
        qb.push(", ");
        DB::bind_text(&mut qb, l.name.as_str().to_string());
        qb.push(", ");
        DB::bind_i64(&mut qb, l.quantity);
        qb.push(", ");
        DB::bind_i64(&mut qb, l.unit_cost.cents());
        qb.push(", ");
        DB::bind_i64(&mut qb, l.line_total.cents());
        qb.push(")");
    }
    qb
}

pub(crate) fn mark_cancelled_sql<DB: Dialect>(
    id: Uuid,
    expected_version: Option<i64>,
    now: OffsetDateTime,
) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!(
        "UPDATE sales SET status = '{}', version = version + 1, date_updated = ",
        Status::Cancelled.as_str()
    ));
    DB::bind_time(&mut qb, now);
    qb.push(" WHERE sale_id = ");
    DB::bind_uuid(&mut qb, id);
    qb.push(format_args!(" AND status = '{}'", Status::Completed.as_str()));
    if let Some(v) = expected_version {
        qb.push(" AND version = ");
        DB::bind_i64(&mut qb, v);
    }
    qb
}

// ---- SQL: reads -----------------------------------------------------------

const SALE_COLUMNS: &str = "s.sale_id, s.user_id, s.status, s.total_cents, s.version, s.date_created, s.date_updated";
const LINE_COLUMNS: &str = "sale_id, product_id, seller_id, name, quantity, unit_cost_cents, line_total_cents";

fn order_column(f: OrderField) -> &'static str {
    match f {
        OrderField::DateCreated => "s.date_created",
        OrderField::Id => "s.sale_id",
        OrderField::UserId => "s.user_id",
        OrderField::Total => "s.total_cents",
        OrderField::Status => "s.status",
    }
}

fn push_filter<DB: Dialect>(qb: &mut QueryBuilder<DB>, f: &QueryFilter) {
    let mut w = Where::new();
    if let Some(v) = f.id {
        w.and(qb, "s.sale_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = f.user_id {
        w.and(qb, "s.user_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = f.product_id {
        w.and(
            qb,
            "EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.sale_id AND l.product_id = ",
        );
        DB::bind_uuid(qb, v);
        qb.push(")");
    }
    if let Some(v) = f.status {
        w.and(qb, "s.status = ");
        DB::bind_text(qb, v.as_str().to_string());
    }
    if let Some(v) = f.start_created_date {
        w.and(qb, "s.date_created >= ");
        DB::bind_time(qb, v);
    }
    if let Some(v) = f.end_created_date {
        w.and(qb, "s.date_created <= ");
        DB::bind_time(qb, v);
    }
    if let Some(v) = f.visible_to {
        // The line's seller_id is the product's owner, kept at sale time.
        w.and(qb, "(s.user_id = ");
        DB::bind_uuid(qb, v);
        qb.push(" OR EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.sale_id AND l.seller_id = ");
        DB::bind_uuid(qb, v);
        qb.push("))");
    }
}

pub(crate) fn select_sql<DB: Dialect>(f: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("SELECT {SALE_COLUMNS} FROM sales s"));
    push_filter(&mut qb, f);
    push_order_page(&mut qb, order_column(order.field), order.direction, "s.sale_id", page);
    qb
}

pub(crate) fn count_sql<DB: Dialect>(f: &QueryFilter) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM sales s");
    push_filter(&mut qb, f);
    qb
}

pub(crate) fn by_id_sql<DB: Dialect>(id: Uuid) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("SELECT {SALE_COLUMNS} FROM sales s WHERE s.sale_id = "));
    DB::bind_uuid(&mut qb, id);
    qb
}

/// The lines of the given sales (non-empty), in request order.
pub(crate) fn lines_sql<DB: Dialect>(sale_ids: &[Uuid]) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("SELECT {LINE_COLUMNS} FROM sale_lines WHERE sale_id IN ("));
    for (i, id) in sale_ids.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        DB::bind_uuid(&mut qb, *id);
    }
    qb.push(") ORDER BY sale_id, line_no");
    qb
}

fn report_order_column(f: ReportOrderField) -> &'static str {
    match f {
        ReportOrderField::Revenue => "revenue_cents",
        ReportOrderField::UnitsSold => "units_sold",
        ReportOrderField::Name => "p.name",
    }
}

const REPORT_FROM: &str = " FROM sale_lines l JOIN sales s ON s.sale_id = l.sale_id \
     JOIN products p ON p.product_id = l.product_id JOIN users u ON u.user_id = p.user_id";

/// Completed sales only; deleted products and sellers stay in the history.
fn push_report_filter<DB: Dialect>(qb: &mut QueryBuilder<DB>, f: &ReportFilter) {
    let mut w = Where::new();
    w.and(qb, &format!("s.status = '{}'", Status::Completed.as_str()));
    if let Some(v) = f.user_id {
        w.and(qb, "p.user_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = f.visible_to {
        w.and(qb, "p.user_id = ");
        DB::bind_uuid(qb, v);
    }
    if let Some(v) = f.start_created_date {
        w.and(qb, "s.date_created >= ");
        DB::bind_time(qb, v);
    }
    if let Some(v) = f.end_created_date {
        w.and(qb, "s.date_created <= ");
        DB::bind_time(qb, v);
    }
}

pub(crate) fn report_sql<DB: Dialect>(
    f: &ReportFilter,
    order: OrderBy<ReportOrderField>,
    page: Page,
) -> QueryBuilder<DB> {
    // SUM(BIGINT) is NUMERIC on PostgreSQL: cast back to a 64-bit integer.
    let mut qb = QueryBuilder::new(format!(
        "SELECT p.product_id, p.name, p.user_id, u.name AS user_name, \
         CAST(SUM(l.quantity) AS BIGINT) AS units_sold, CAST(SUM(l.line_total_cents) AS BIGINT) AS revenue_cents{REPORT_FROM}"
    ));
    push_report_filter(&mut qb, f);
    qb.push(" GROUP BY p.product_id, p.name, p.user_id, u.name");
    push_order_page(
        &mut qb,
        report_order_column(order.field),
        order.direction,
        "p.product_id",
        page,
    );
    qb
}

pub(crate) fn report_count_sql<DB: Dialect>(f: &ReportFilter) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(format!("SELECT COUNT(DISTINCT l.product_id){REPORT_FROM}"));
    push_report_filter(&mut qb, f);
    qb
}

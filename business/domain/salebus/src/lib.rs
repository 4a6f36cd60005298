//! Sales: a buyer takes products off the shelves in one atomic step (stock
//! decremented, sale and lines written, audited), and may cancel it later.

mod model;
pub mod stats;
pub mod stores;

pub use model::*;

use std::{collections::HashSet, sync::Arc};

use async_trait::async_trait;
use sdk::{OrderBy, Page};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_TTL: time::Duration = time::Duration::hours(24);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The product of `lines[index]` does not exist or is deleted.
    #[error("product of line {index} not found")]
    ProductNotFound { index: usize },
    /// Every short line, in request order. Nothing was sold.
    #[error("insufficient stock")]
    InsufficientStock { lines: Vec<ShortLine> },
    /// The idempotency key was used by this buyer for a different request.
    #[error("idempotency key was used for a different request")]
    IdempotencyMismatch,
    /// The first request with this idempotency key has not finished.
    #[error("a request with this idempotency key is still in progress")]
    IdempotencyInFlight,
    #[error("sale is already cancelled")]
    AlreadyCancelled,
    #[error("sale not found")]
    NotFound,
    /// The expected version (`If-Match`) is not the current one.
    #[error("sale was changed by someone else")]
    VersionConflict,
    /// A failure below the domain (database, I/O). Not transparent: the cause
    /// stays in `source()`, so `sdk::sqldb::is_unavailable_error` finds a
    /// database outage however the error is passed on.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(e.into())
    }
}

/// What a backend must provide. `create` and `cancel` each run in one
/// transaction covering stock, sale, lines, idempotency key and audit row.
#[async_trait]
pub trait Storer: Send + Sync {
    async fn create(&self, req: &SaleRequest) -> Result<CreateOutcome, Error>;
    /// COMPLETED → CANCELLED (version-guarded when `expected_version` is given)
    /// and every line's quantity back in stock.
    async fn cancel(
        &self,
        actor_id: Uuid,
        id: Uuid,
        expected_version: Option<i64>,
        now: time::OffsetDateTime,
    ) -> Result<Sale, Error>;
    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<Sale>, Error>;
    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error>;
    async fn query_by_id(&self, id: Uuid) -> Result<Sale, Error>;
    async fn report(
        &self,
        filter: &ReportFilter,
        order: OrderBy<ReportOrderField>,
        page: Page,
    ) -> Result<Vec<ReportRow>, Error>;
    async fn report_count(&self, filter: &ReportFilter) -> Result<i64, Error>;
}

/// The sales business API.
#[derive(Clone)]
pub struct Business {
    storer: Arc<dyn Storer>,
}

impl Business {
    pub fn new(storer: Arc<dyn Storer>) -> Self {
        Self { storer }
    }

    /// Sells every line or nothing. Products are locked in ascending id order,
    /// so concurrent sales never deadlock; stock never goes below zero.
    #[tracing::instrument(name = "salebus.create", skip_all, fields(user_id = %ns.user_id, lines = ns.lines.len()))]
    pub async fn create(&self, actor_id: Uuid, ns: NewSale) -> Result<CreateOutcome, Error> {
        check_lines(&ns.lines)?;
        let now = sdk::sqldb::now();
        let idempotency = ns.idempotency_key.map(|key| IdempotencyKey {
            key,
            request_hash: ns.request_hash.unwrap_or_else(|| lines_hash(&ns.lines)),
        });
        let req = SaleRequest {
            sale_id: Uuid::now_v7(),
            user_id: ns.user_id,
            actor_id,
            lines: ns.lines,
            idempotency,
            now,
            keys_valid_since: now - IDEMPOTENCY_TTL,
        };
        let outcome = self.storer.create(&req).await?;
        if let CreateOutcome::Created(sale) = &outcome {
            stats::record(sale);
        }
        Ok(outcome)
    }

    /// Cancels `sale` and puts its quantities back in stock; `expected_version`
    /// comes from `If-Match`.
    #[tracing::instrument(name = "salebus.cancel", skip_all, fields(sale_id = %sale.id))]
    pub async fn cancel(&self, actor_id: Uuid, sale: &Sale, expected_version: Option<i64>) -> Result<Sale, Error> {
        self.storer
            .cancel(actor_id, sale.id, expected_version, sdk::sqldb::now())
            .await
    }

    #[tracing::instrument(name = "salebus.query", skip_all)]
    pub async fn query(
        &self,
        filter: &QueryFilter,
        order: OrderBy<OrderField>,
        page: Page,
    ) -> Result<Vec<Sale>, Error> {
        self.storer.query(filter, order, page).await
    }

    #[tracing::instrument(name = "salebus.count", skip_all)]
    pub async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        self.storer.count(filter).await
    }

    #[tracing::instrument(name = "salebus.query_by_id", skip_all, fields(sale_id = %id))]
    pub async fn query_by_id(&self, id: Uuid) -> Result<Sale, Error> {
        self.storer.query_by_id(id).await
    }

    /// Units sold and revenue per product over completed sales.
    #[tracing::instrument(name = "salebus.report", skip_all)]
    pub async fn report(
        &self,
        filter: &ReportFilter,
        order: OrderBy<ReportOrderField>,
        page: Page,
    ) -> Result<Vec<ReportRow>, Error> {
        self.storer.report(filter, order, page).await
    }

    #[tracing::instrument(name = "salebus.report_count", skip_all)]
    pub async fn report_count(&self, filter: &ReportFilter) -> Result<i64, Error> {
        self.storer.report_count(filter).await
    }
}

/// The app layer validates requests; this only guards the invariants the
/// store relies on (a caller breaking them is a bug, hence `Internal`).
fn check_lines(lines: &[NewLine]) -> Result<(), Error> {
    if lines.is_empty() {
        return Err(anyhow::anyhow!("a sale needs at least one line").into());
    }
    if let Some(l) = lines.iter().find(|l| l.quantity < 1) {
        return Err(anyhow::anyhow!(
            "line quantity {} for product {} is not positive",
            l.quantity,
            l.product_id
        )
        .into());
    }
    let mut seen = HashSet::with_capacity(lines.len());
    if let Some(l) = lines.iter().find(|l| !seen.insert(l.product_id)) {
        return Err(anyhow::anyhow!("product {} appears in more than one line", l.product_id).into());
    }
    Ok(())
}

/// The request hash used when the caller gives none: the lines in request order.
fn lines_hash(lines: &[NewLine]) -> String {
    let mut h = Sha256::new();
    for l in lines {
        h.update(format!("{}:{}\n", l.product_id, l.quantity));
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_hash_depends_on_content_and_order() {
        let a = NewLine {
            product_id: Uuid::from_u128(1),
            quantity: 1,
        };
        let b = NewLine {
            product_id: Uuid::from_u128(2),
            quantity: 1,
        };
        assert_eq!(lines_hash(&[a, b]), lines_hash(&[a, b]));
        assert_ne!(lines_hash(&[a, b]), lines_hash(&[b, a]));
        assert_ne!(lines_hash(&[a]), lines_hash(&[NewLine { quantity: 2, ..a }]));
    }

    #[test]
    fn check_lines_refuses_what_the_store_cannot_sell() {
        let a = NewLine {
            product_id: Uuid::from_u128(1),
            quantity: 1,
        };
        assert!(check_lines(&[a]).is_ok());
        assert!(check_lines(&[]).is_err());
        assert!(check_lines(&[NewLine { quantity: 0, ..a }]).is_err());
        assert!(check_lines(&[a, a]).is_err());
    }
}

//! Products: what the families put up for sale, each owned by the user selling it.

mod model;
pub mod stores;

pub use model::*;

use std::sync::Arc;

use async_trait::async_trait;
use auditbus::{Audit, Domain};
use sdk::{OrderBy, Page};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("product not found")]
    NotFound,
    /// The expected version (`If-Match`) is not the current one.
    #[error("product was changed by someone else")]
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

/// What a backend must provide. Every write runs in one transaction that also
/// writes the given audit row. Reads never see deleted products.
#[async_trait]
pub trait Storer: Send + Sync {
    async fn create(&self, product: &Product, audit: &Audit) -> Result<(), Error>;
    /// Applies `changes` if the product exists (not deleted) and, when
    /// `expected_version` is given, still has that version. Bumps the version.
    async fn update(
        &self,
        id: Uuid,
        changes: &ProductChanges,
        expected_version: Option<i64>,
        audit: &Audit,
    ) -> Result<Product, Error>;
    /// Soft delete: the row stays for the history of past sales.
    async fn delete(&self, id: Uuid, expected_version: Option<i64>, audit: &Audit) -> Result<(), Error>;
    async fn query(&self, filter: &QueryFilter, order: OrderBy<OrderField>, page: Page) -> Result<Vec<Product>, Error>;
    async fn count(&self, filter: &QueryFilter) -> Result<i64, Error>;
    async fn query_by_id(&self, id: Uuid) -> Result<Product, Error>;
    async fn query_view(
        &self,
        filter: &QueryFilter,
        order: OrderBy<OrderField>,
        page: Page,
    ) -> Result<Vec<ProductView>, Error>;
    async fn count_view(&self, filter: &QueryFilter) -> Result<i64, Error>;
}

/// The products business API.
#[derive(Clone)]
pub struct Business {
    storer: Arc<dyn Storer>,
}

impl Business {
    pub fn new(storer: Arc<dyn Storer>) -> Self {
        Self { storer }
    }

    #[tracing::instrument(name = "productbus.create", skip_all)]
    pub async fn create(&self, actor_id: Uuid, np: NewProduct) -> Result<Product, Error> {
        let now = sdk::sqldb::now();
        let product = Product {
            id: Uuid::now_v7(),
            user_id: np.user_id,
            name: np.name,
            cost: np.cost,
            quantity: np.quantity,
            version: 1,
            date_created: now,
            date_updated: now,
        };
        let audit = Audit::new(
            product.id,
            Domain::Product,
            product.name.as_str(),
            actor_id,
            "created",
            serde_json::json!({
                "userID": product.user_id, "name": product.name,
                "cost": product.cost, "quantity": product.quantity,
            }),
            "product created",
        );
        self.storer.create(&product, &audit).await?;
        Ok(product)
    }

    /// Applies `up` to `product`; `expected_version` comes from `If-Match`.
    #[tracing::instrument(name = "productbus.update", skip_all, fields(product_id = %product.id))]
    pub async fn update(
        &self,
        actor_id: Uuid,
        product: &Product,
        up: UpdateProduct,
        expected_version: Option<i64>,
    ) -> Result<Product, Error> {
        let changes = ProductChanges {
            name: up.name,
            cost: up.cost,
            quantity: up.quantity,
            date_updated: sdk::sqldb::now(),
        };
        let name = changes.name.as_ref().unwrap_or(&product.name).as_str();
        let audit = Audit::new(
            product.id,
            Domain::Product,
            name,
            actor_id,
            "updated",
            changes.audit_data(),
            "product updated",
        );
        self.storer.update(product.id, &changes, expected_version, &audit).await
    }

    #[tracing::instrument(name = "productbus.delete", skip_all, fields(product_id = %product.id))]
    pub async fn delete(&self, actor_id: Uuid, product: &Product, expected_version: Option<i64>) -> Result<(), Error> {
        let audit = Audit::new(
            product.id,
            Domain::Product,
            product.name.as_str(),
            actor_id,
            "deleted",
            serde_json::json!({"userID": product.user_id, "name": product.name}),
            "product deleted",
        );
        self.storer.delete(product.id, expected_version, &audit).await
    }

    #[tracing::instrument(name = "productbus.query", skip_all)]
    pub async fn query(
        &self,
        filter: &QueryFilter,
        order: OrderBy<OrderField>,
        page: Page,
    ) -> Result<Vec<Product>, Error> {
        self.storer.query(filter, order, page).await
    }

    /// A plain `COUNT(*)` over live products, served by the partial indexes of
    /// migration 0004. Good enough for now; at a million rows an estimate or a
    /// maintained counter may be wanted for the unfiltered case.
    #[tracing::instrument(name = "productbus.count", skip_all)]
    pub async fn count(&self, filter: &QueryFilter) -> Result<i64, Error> {
        self.storer.count(filter).await
    }

    #[tracing::instrument(name = "productbus.query_by_id", skip_all, fields(product_id = %id))]
    pub async fn query_by_id(&self, id: Uuid) -> Result<Product, Error> {
        self.storer.query_by_id(id).await
    }

    /// Products with their owner's name.
    #[tracing::instrument(name = "productbus.query_view", skip_all)]
    pub async fn query_view(
        &self,
        filter: &QueryFilter,
        order: OrderBy<OrderField>,
        page: Page,
    ) -> Result<Vec<ProductView>, Error> {
        self.storer.query_view(filter, order, page).await
    }

    #[tracing::instrument(name = "productbus.count_view", skip_all)]
    pub async fn count_view(&self, filter: &QueryFilter) -> Result<i64, Error> {
        self.storer.count_view(filter).await
    }
}

use sdk::OrderBy;
use time::OffsetDateTime;
use types::{Money, Name};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: Uuid,
    /// The owner: the seller.
    pub user_id: Uuid,
    pub name: Name,
    pub cost: Money,
    pub quantity: i64,
    pub version: i64,
    pub date_created: OffsetDateTime,
    pub date_updated: OffsetDateTime,
}

/// A product with its owner's name (`/v1/vproducts`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductView {
    pub product: Product,
    pub user_name: Name,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub user_id: Uuid,
    pub name: Name,
    pub cost: Money,
    pub quantity: i64,
}

/// Each field is independent: `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateProduct {
    pub name: Option<Name>,
    pub cost: Option<Money>,
    pub quantity: Option<i64>,
}

/// An update ready for the store, stamped with its time.
#[derive(Debug, Clone)]
pub struct ProductChanges {
    pub name: Option<Name>,
    pub cost: Option<Money>,
    pub quantity: Option<i64>,
    pub date_updated: OffsetDateTime,
}

impl ProductChanges {
    /// What changed, for the audit row.
    pub(crate) fn audit_data(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        if let Some(v) = &self.name {
            m.insert("name".into(), serde_json::json!(v));
        }
        if let Some(v) = self.cost {
            m.insert("cost".into(), serde_json::json!(v));
        }
        if let Some(v) = self.quantity {
            m.insert("quantity".into(), serde_json::json!(v));
        }
        serde_json::Value::Object(m)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryFilter {
    pub id: Option<Uuid>,
    /// The owner.
    pub user_id: Option<Uuid>,
    /// Case-insensitive substring.
    pub name: Option<String>,
    /// Exact.
    pub cost: Option<Money>,
    /// Inclusive.
    pub min_cost: Option<Money>,
    /// Inclusive.
    pub max_cost: Option<Money>,
    /// Exact.
    pub quantity: Option<i64>,
    /// `true`: quantity > 0; `false`: quantity = 0.
    pub in_stock: Option<bool>,
    /// Case-insensitive substring of the owner's name (the `vproducts` filter;
    /// `query`/`count` honour it too).
    pub user_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    Id,
    Name,
    Cost,
    Quantity,
    UserId,
    DateCreated,
}

pub const DEFAULT_ORDER: OrderBy<OrderField> = OrderBy {
    field: OrderField::Id,
    direction: sdk::Direction::Asc,
};

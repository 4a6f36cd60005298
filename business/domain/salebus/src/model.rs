use sdk::OrderBy;
use time::OffsetDateTime;
use types::{Money, Name};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Completed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Completed => "COMPLETED",
            Status::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Completed, Status::Cancelled]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    pub id: Uuid,
    /// The buyer.
    pub user_id: Uuid,
    pub status: Status,
    /// In the order of the request that created the sale.
    pub lines: Vec<SaleLine>,
    pub total: Money,
    pub version: i64,
    pub date_created: OffsetDateTime,
    pub date_updated: OffsetDateTime,
}

impl Sale {
    pub fn is_buyer(&self, user_id: Uuid) -> bool {
        self.user_id == user_id
    }

    /// True when `user_id` owned the product of at least one line.
    pub fn is_seller(&self, user_id: Uuid) -> bool {
        self.lines.iter().any(|l| l.seller_id == user_id)
    }
}

/// One product of a sale, as it was when sold.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleLine {
    pub product_id: Uuid,
    /// The product's owner at the time of the sale.
    pub seller_id: Uuid,
    /// The product's name at the time of the sale.
    pub name: Name,
    pub quantity: i64,
    /// The product's cost at the time of the sale.
    pub unit_cost: Money,
    pub line_total: Money,
}

#[derive(Debug, Clone)]
pub struct NewSale {
    /// The buyer.
    pub user_id: Uuid,
    /// Distinct products, each with quantity ≥ 1 (the app layer validates).
    pub lines: Vec<NewLine>,
    /// `Idempotency-Key`, scoped per buyer.
    pub idempotency_key: Option<String>,
    /// A hash of the canonical request body, computed by the caller; when `None`
    /// a hash of `lines` is used.
    pub request_hash: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLine {
    pub product_id: Uuid,
    pub quantity: i64,
}

/// What `create` did: sold, or found the same request already done under the
/// same idempotency key (nothing sold again).
#[derive(Debug, Clone, PartialEq)]
pub enum CreateOutcome {
    Created(Sale),
    Replayed(Sale),
}

impl CreateOutcome {
    pub fn sale(&self) -> &Sale {
        match self {
            CreateOutcome::Created(s) | CreateOutcome::Replayed(s) => s,
        }
    }

    pub fn into_sale(self) -> Sale {
        match self {
            CreateOutcome::Created(s) | CreateOutcome::Replayed(s) => s,
        }
    }

    pub fn is_replayed(&self) -> bool {
        matches!(self, CreateOutcome::Replayed(_))
    }
}

/// A line whose product has less stock than requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortLine {
    /// Position in the request (`lines[index]`).
    pub index: usize,
    pub product_id: Uuid,
    pub requested: i64,
    pub available: i64,
}

/// An idempotency key with the hash of the request it was first used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

/// A sale ready for the store: ids and times chosen, lines in request order.
#[derive(Debug, Clone)]
pub struct SaleRequest {
    pub sale_id: Uuid,
    pub user_id: Uuid,
    pub actor_id: Uuid,
    pub lines: Vec<NewLine>,
    pub idempotency: Option<IdempotencyKey>,
    pub now: OffsetDateTime,
    /// Keys first used before this time are forgotten (treated as new).
    pub keys_valid_since: OffsetDateTime,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryFilter {
    pub id: Option<Uuid>,
    /// The buyer.
    pub user_id: Option<Uuid>,
    /// Sales with a line for this product.
    pub product_id: Option<Uuid>,
    pub status: Option<Status>,
    /// Inclusive.
    pub start_created_date: Option<OffsetDateTime>,
    /// Inclusive.
    pub end_created_date: Option<OffsetDateTime>,
    /// A non-admin viewer: only sales they bought or with a line they sold.
    pub visible_to: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    DateCreated,
    Id,
    UserId,
    Total,
    Status,
}

pub const DEFAULT_ORDER: OrderBy<OrderField> = OrderBy {
    field: OrderField::DateCreated,
    direction: sdk::Direction::Desc,
};

/// Units sold and revenue of one product over completed sales.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub product_id: Uuid,
    /// The product's current name.
    pub name: Name,
    /// The seller (the product's owner).
    pub user_id: Uuid,
    pub user_name: Name,
    pub units_sold: i64,
    pub revenue: Money,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportFilter {
    /// The seller.
    pub user_id: Option<Uuid>,
    /// Inclusive, on the sale's creation time.
    pub start_created_date: Option<OffsetDateTime>,
    /// Inclusive, on the sale's creation time.
    pub end_created_date: Option<OffsetDateTime>,
    /// A non-admin viewer: only their own products.
    pub visible_to: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOrderField {
    Revenue,
    UnitsSold,
    Name,
}

pub const DEFAULT_REPORT_ORDER: OrderBy<ReportOrderField> = OrderBy {
    field: ReportOrderField::Revenue,
    direction: sdk::Direction::Desc,
};

pub(crate) fn created_audit(actor_id: Uuid, sale: &Sale) -> auditbus::Audit {
    let lines: Vec<_> = sale
        .lines
        .iter()
        .map(|l| serde_json::json!({"productID": l.product_id, "quantity": l.quantity, "unitCost": l.unit_cost}))
        .collect();
    auditbus::Audit::new(
        sale.id,
        auditbus::Domain::Sale,
        sale.id.to_string(),
        actor_id,
        "created",
        serde_json::json!({"userID": sale.user_id, "status": sale.status.as_str(), "total": sale.total, "lines": lines}),
        "sale created",
    )
}

pub(crate) fn cancelled_audit(actor_id: Uuid, sale: &Sale) -> auditbus::Audit {
    let restocked: Vec<_> = sale
        .lines
        .iter()
        .map(|l| serde_json::json!({"productID": l.product_id, "quantity": l.quantity}))
        .collect();
    auditbus::Audit::new(
        sale.id,
        auditbus::Domain::Sale,
        sale.id.to_string(),
        actor_id,
        "cancelled",
        serde_json::json!({"status": sale.status.as_str(), "restocked": restocked}),
        "sale cancelled",
    )
}

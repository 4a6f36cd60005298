use std::collections::HashSet;

use appsdk::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use types::Money;
use uuid::Uuid;

pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i64 = 1_000_000;

/// One line of a sale, as sold.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = SaleLine)]
pub struct AppSaleLine {
    #[serde(rename = "productID")]
    pub product_id: Uuid,
    /// The product's name at the time of the sale.
    pub name: String,
    pub quantity: i64,
    /// The product's cost at the time of the sale.
    #[schema(value_type = appsdk::docs::MoneySchema)]
    pub unit_cost: Money,
    /// `unitCost × quantity`.
    #[schema(value_type = appsdk::docs::MoneySchema)]
    pub line_total: Money,
}

/// A sale: what a buyer bought, in one transaction.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Sale)]
pub struct AppSale {
    pub id: Uuid,
    /// The buyer.
    #[serde(rename = "userID")]
    pub user_id: Uuid,
    #[schema(value_type = SaleStatus)]
    pub status: String,
    pub lines: Vec<AppSaleLine>,
    /// The sum of the line totals.
    #[schema(value_type = appsdk::docs::MoneySchema)]
    pub total: Money,
    /// Starts at 1; a cancellation increments it. The `ETag` is this number quoted.
    #[schema(example = 1)]
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub date_created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub date_updated: OffsetDateTime,
}

impl From<&salebus::Sale> for AppSale {
    fn from(s: &salebus::Sale) -> Self {
        AppSale {
            id: s.id,
            user_id: s.user_id,
            status: s.status.as_str().to_string(),
            lines: s
                .lines
                .iter()
                .map(|l| AppSaleLine {
                    product_id: l.product_id,
                    name: l.name.to_string(),
                    quantity: l.quantity,
                    unit_cost: l.unit_cost,
                    line_total: l.line_total,
                })
                .collect(),
            total: s.total,
            version: s.version,
            date_created: s.date_created,
            date_updated: s.date_updated,
        }
    }
}

/// A sale's status.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, clippy::upper_case_acronyms)] // documentation only: `salebus::Status` is the real type
pub(crate) enum SaleStatus {
    COMPLETED,
    CANCELLED,
}

/// One line of `POST /v1/sales`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSaleLine)]
pub struct AppNewLine {
    /// A product that exists and is not deleted.
    #[serde(rename = "productID")]
    pub product_id: Uuid,
    /// 1 to 1000000, and no more than the product's stock.
    #[schema(minimum = 1, maximum = 1_000_000, example = 2)]
    pub quantity: i64,
}

/// The body of `POST /v1/sales`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSale)]
pub struct AppNewSale {
    /// 1 to 50 lines, each for a different product.
    #[schema(min_items = 1, max_items = 50)]
    pub lines: Vec<AppNewLine>,
}

impl AppNewSale {
    /// Validates the lines and builds the business request; `key` is the
    /// already-validated `Idempotency-Key`.
    pub fn to_bus(self, buyer: Uuid, key: Option<String>) -> Result<salebus::NewSale, AppError> {
        let mut fields = Vec::new();
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            fields.push(FieldError::new("lines", format!("must hold 1 to {MAX_LINES} lines")));
        }
        let mut seen = HashSet::new();
        for (i, l) in self.lines.iter().enumerate() {
            if !(1..=MAX_QUANTITY).contains(&l.quantity) {
                fields.push(FieldError::new(
                    format!("lines[{i}].quantity"),
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ));
            }
            if !seen.insert(l.product_id) {
                fields.push(FieldError::new(
                    format!("lines[{i}].productID"),
                    "appears in more than one line",
                ));
            }
        }
        if !fields.is_empty() {
            return Err(AppError::validation(fields));
        }
        // The same key with the same body is a retry; the hash tells them apart.
        let canonical = serde_json::to_vec(&self.lines).map_err(AppError::internal)?;
        let request_hash = key.as_ref().map(|_| hex::encode(Sha256::digest(&canonical)));
        Ok(salebus::NewSale {
            user_id: buyer,
            lines: self
                .lines
                .iter()
                .map(|l| salebus::NewLine {
                    product_id: l.product_id,
                    quantity: l.quantity,
                })
                .collect(),
            idempotency_key: key,
            request_hash,
        })
    }
}

/// `Idempotency-Key`: 1–255 visible ASCII characters, no spaces.
pub fn parse_idempotency_key(raw: Option<&axum::http::HeaderValue>) -> Result<Option<String>, AppError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let bad = || {
        AppError::invalid(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters without spaces",
        )
    };
    let s = raw.to_str().map_err(|_| bad())?;
    if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(s.to_string()))
}

/// Sales of one product over COMPLETED sales.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = SalesReportRow)]
pub struct AppReportRow {
    #[serde(rename = "productID")]
    pub product_id: Uuid,
    /// The product's current name.
    pub name: String,
    /// The seller (the product's owner).
    #[serde(rename = "userID")]
    pub user_id: Uuid,
    /// The seller's name.
    pub user_name: String,
    pub units_sold: i64,
    /// The sum of the line totals.
    #[schema(value_type = appsdk::docs::MoneySchema)]
    pub revenue: Money,
}

impl From<&salebus::ReportRow> for AppReportRow {
    fn from(r: &salebus::ReportRow) -> Self {
        AppReportRow {
            product_id: r.product_id,
            name: r.name.to_string(),
            user_id: r.user_id,
            user_name: r.user_name.to_string(),
            units_sold: r.units_sold,
            revenue: r.revenue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: AppError) -> Vec<String> {
        e.fields.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn lines_are_validated_by_index() {
        let p = Uuid::new_v4();
        let ns = AppNewSale {
            lines: vec![
                AppNewLine {
                    product_id: p,
                    quantity: 0,
                },
                AppNewLine {
                    product_id: p,
                    quantity: 2,
                },
            ],
        };
        assert_eq!(
            fields(ns.to_bus(Uuid::nil(), None).unwrap_err()),
            ["lines[0].quantity", "lines[1].productID"]
        );
        assert_eq!(
            fields(AppNewSale { lines: vec![] }.to_bus(Uuid::nil(), None).unwrap_err()),
            ["lines"]
        );
    }

    #[test]
    fn same_body_same_hash() {
        let p = Uuid::new_v4();
        let mk = |q| {
            AppNewSale {
                lines: vec![AppNewLine {
                    product_id: p,
                    quantity: q,
                }],
            }
            .to_bus(Uuid::nil(), Some("k".into()))
            .unwrap()
        };
        assert_eq!(mk(1).request_hash, mk(1).request_hash);
        assert_ne!(mk(1).request_hash, mk(2).request_hash);
    }

    #[test]
    fn documented_statuses_are_the_real_ones() {
        use utoipa::PartialSchema;
        let v = serde_json::to_value(SaleStatus::schema()).unwrap();
        let listed: Vec<&str> = v["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x.as_str())
            .collect();
        // A new status stops this match compiling, and so gets documented.
        let real: Vec<&str> = [salebus::Status::Completed, salebus::Status::Cancelled]
            .into_iter()
            .map(|s| match s {
                salebus::Status::Completed | salebus::Status::Cancelled => s.as_str(),
            })
            .collect();
        assert_eq!(listed, real);
        assert!(listed.iter().all(|s| salebus::Status::parse(s).is_some()));
    }

    #[test]
    fn idempotency_key_rules() {
        use axum::http::HeaderValue;
        assert_eq!(parse_idempotency_key(None).unwrap(), None);
        assert_eq!(
            parse_idempotency_key(Some(&HeaderValue::from_static("abc-123")))
                .unwrap()
                .as_deref(),
            Some("abc-123")
        );
        for bad in ["", "has space", &"x".repeat(256)] {
            let e = parse_idempotency_key(Some(&HeaderValue::from_str(bad).unwrap())).unwrap_err();
            assert_eq!(fields(e), ["Idempotency-Key"], "{bad:?}");
        }
    }
}

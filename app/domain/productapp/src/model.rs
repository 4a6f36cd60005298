use appsdk::{AppError, FieldError, errs::from_validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use types::{Money, Name};
use uuid::Uuid;
use validator::Validate;

pub const MAX_COST: Money = Money::from_cents(1_000_000 * 100);

/// A product on sale.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Product)]
pub struct AppProduct {
    pub id: Uuid,
    /// The owner (seller): the user who created it.
    #[serde(rename = "userID")]
    pub user_id: Uuid,
    #[schema(example = "Comic Books")]
    pub name: String,
    /// Price of one unit.
    #[schema(value_type = appsdk::docs::MoneySchema)]
    pub cost: Money,
    /// Units in stock; sales take from it, cancellations put back.
    #[schema(example = 10)]
    pub quantity: i64,
    /// Starts at 1, incremented by every change (a sale or a cancellation too);
    /// the `ETag` is this number quoted.
    #[schema(example = 1)]
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub date_created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub date_updated: OffsetDateTime,
}

impl From<&productbus::Product> for AppProduct {
    fn from(p: &productbus::Product) -> Self {
        AppProduct {
            id: p.id,
            user_id: p.user_id,
            name: p.name.to_string(),
            cost: p.cost,
            quantity: p.quantity,
            version: p.version,
            date_created: p.date_created,
            date_updated: p.date_updated,
        }
    }
}

/// A product with its owner's name (`/v1/vproducts`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ProductView)]
pub struct AppProductView {
    #[serde(flatten)]
    pub product: AppProduct,
    /// The owner's name.
    pub user_name: String,
}

impl From<&productbus::ProductView> for AppProductView {
    fn from(v: &productbus::ProductView) -> Self {
        AppProductView {
            product: AppProduct::from(&v.product),
            user_name: v.user_name.to_string(),
        }
    }
}

fn check_cost(cost: Money, fields: &mut Vec<FieldError>) {
    if cost.cents() <= 0 || cost > MAX_COST {
        fields.push(FieldError::new("cost", "must be greater than 0 and at most 1000000"));
    }
}

fn finish(mut fields: Vec<FieldError>, v: Result<(), validator::ValidationErrors>) -> Result<(), AppError> {
    if let Err(e) = v {
        fields.extend(from_validation(&e).fields);
    }
    if fields.is_empty() {
        return Ok(());
    }
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    Err(AppError::validation(fields))
}

/// The body of `POST /v1/products`. Every bad field is listed in one 400.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewProduct)]
pub struct AppNewProduct {
    /// 2 to 64 characters after trimming, no control characters.
    #[schema(min_length = 2, max_length = 64, example = "Comic Books")]
    pub name: String,
    /// Greater than 0 and at most 1000000, at most 2 decimals.
    #[schema(value_type = appsdk::docs::MoneySchema)]
    pub cost: Money,
    /// 1 to 1000000.
    #[schema(minimum = 1, maximum = 1_000_000, example = 10)]
    #[validate(range(min = 1, max = 1_000_000, message = "must be between 1 and 1000000"))]
    pub quantity: i64,
}

impl AppNewProduct {
    pub fn to_bus(self, owner: Uuid) -> Result<productbus::NewProduct, AppError> {
        let mut fields = Vec::new();
        let name = Name::parse(&self.name)
            .map_err(|e| fields.push(FieldError::new("name", e.to_string())))
            .ok();
        check_cost(self.cost, &mut fields);
        finish(fields, self.validate())?;
        let name = name.ok_or_else(|| AppError::internal(anyhow::anyhow!("validated name missing")))?;
        Ok(productbus::NewProduct {
            user_id: owner,
            name,
            cost: self.cost,
            quantity: self.quantity,
        })
    }
}

/// The body of `PUT /v1/products/{product_id}`: each field optional and
/// independent; absent or null means unchanged.
#[derive(Debug, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateProduct)]
pub struct AppUpdateProduct {
    /// 2 to 64 characters after trimming.
    #[schema(min_length = 2, max_length = 64)]
    pub name: Option<String>,
    /// Greater than 0 and at most 1000000, at most 2 decimals.
    #[schema(value_type = Option<appsdk::docs::MoneySchema>)]
    pub cost: Option<Money>,
    /// 0 to 1000000 (0 takes it out of stock).
    #[schema(minimum = 0, maximum = 1_000_000)]
    #[validate(range(min = 0, max = 1_000_000, message = "must be between 0 and 1000000"))]
    pub quantity: Option<i64>,
}

impl AppUpdateProduct {
    pub fn to_bus(self) -> Result<productbus::UpdateProduct, AppError> {
        let mut fields = Vec::new();
        let name = self.name.as_deref().and_then(|n| {
            Name::parse(n)
                .map_err(|e| fields.push(FieldError::new("name", e.to_string())))
                .ok()
        });
        if let Some(c) = self.cost {
            check_cost(c, &mut fields);
        }
        finish(fields, self.validate())?;
        Ok(productbus::UpdateProduct {
            name,
            cost: self.cost,
            quantity: self.quantity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: AppError) -> Vec<String> {
        e.fields.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn new_product_rules() {
        let np = AppNewProduct {
            name: "x".into(),
            cost: Money::from_cents(0),
            quantity: 0,
        };
        assert_eq!(
            fields(np.to_bus(Uuid::nil()).unwrap_err()),
            ["cost", "name", "quantity"]
        );
        let np = AppNewProduct {
            name: "Lamp".into(),
            cost: Money::from_cents(100_000_001),
            quantity: 1_000_001,
        };
        assert_eq!(fields(np.to_bus(Uuid::nil()).unwrap_err()), ["cost", "quantity"]);
        let np = AppNewProduct {
            name: " Lamp ".into(),
            cost: MAX_COST,
            quantity: 1,
        };
        assert_eq!(np.to_bus(Uuid::nil()).unwrap().name.as_str(), "Lamp");
    }

    #[test]
    fn update_fields_are_independent() {
        let up = AppUpdateProduct {
            quantity: Some(0),
            ..Default::default()
        }
        .to_bus()
        .unwrap();
        assert_eq!((up.name, up.cost, up.quantity), (None, None, Some(0)));
        let e = AppUpdateProduct {
            cost: Some(Money::from_cents(-5)),
            ..Default::default()
        }
        .to_bus()
        .unwrap_err();
        assert_eq!(fields(e), ["cost"]);
    }
}

//! HTTP edge of the sales domain: `/v1/sales` and `/v1/reports/sales`.

mod model;
mod route;

pub use model::{AppNewSale, AppReportRow, AppSale, AppSaleLine};
pub use route::{ApiDoc, ORDER_FIELDS, REPORT_ORDER_FIELDS, routes, to_app_error};

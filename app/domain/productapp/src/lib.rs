//! HTTP edge of the products domain: `/v1/products` and `/v1/vproducts`.

mod model;
mod route;

pub use model::{AppNewProduct, AppProduct, AppProductView, AppUpdateProduct};
pub use route::{ApiDoc, ORDER_FIELDS, routes, to_app_error};

//! HTTP edge of the {{ c.n.plural }} domain: `/v1/{{ c.n.plural }}`.

mod model;
mod route;

pub use model::{App{{ c.n.pascal }}, AppNew{{ c.n.pascal }}, AppUpdate{{ c.n.pascal }}};
pub use route::{ApiDoc, ORDER_FIELDS, routes, to_app_error};

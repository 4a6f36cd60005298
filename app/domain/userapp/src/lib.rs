//! HTTP edge of the users domain: `/v1/users`.

mod model;
mod route;

pub use model::{AppNewUser, AppUpdateRoles, AppUpdateUser, AppUser};
pub use route::{ApiDoc, ORDER_FIELDS, routes, to_app_error};

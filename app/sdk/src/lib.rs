//! The app layer's shared kit: the error model and its one status table, request
//! extractors that turn bad input into 400/413/415 with a field name, paging and
//! ordering query parsing, authentication (JWT) and authorization (casbin).

pub mod auth;
pub mod docs;
pub mod errs;
pub mod extract;
pub mod mid;
pub mod page;
pub mod query;

#[cfg(test)]
mod props;

pub use auth::{Auth, Authenticator, Claims};
pub use errs::{AppError, ErrCode, FieldError};
pub use extract::{IfMatch, Json, UuidPath};
pub use page::PageDocument;

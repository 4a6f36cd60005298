//! Value types shared by the business domains. Each one can only be built through
//! its `parse` function, so a value in hand is always valid.

pub mod email;
pub mod money;
pub mod name;
pub mod password;
pub mod role;

#[cfg(test)]
mod props;

pub use email::Email;
pub use money::Money;
pub use name::Name;
pub use password::{Password, PasswordHash};
pub use role::{Role, Roles};

/// Why a value was refused; the app layer puts it next to the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

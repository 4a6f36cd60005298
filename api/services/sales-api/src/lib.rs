//! `sales-api`: wiring of the layers into one HTTP service. `main.rs` only reads
//! the configuration and runs what is built here, so tests build the very same
//! router against their own database.

pub mod build;
pub mod config;
pub mod debug;
pub mod docs;
pub mod mid;

pub use build::{App, Deps};
pub use config::Config;

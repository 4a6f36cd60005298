//! Business-layer SDK: database access shared by every domain store (pool for
//! SQLite or PostgreSQL, migrations, seed data, error mapping), and the paging and
//! ordering types every domain's query methods take.

pub mod dbarray;
pub mod dbtest;
pub mod order;
pub mod page;
pub mod sqldb;

pub use order::{Direction, OrderBy};
pub use page::Page;
pub use sqldb::{DbConfig, DbPool};

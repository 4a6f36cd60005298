//! Black-box API tests: the real router on a real port, a fresh database per test,
//! every test run on SQLite and on PostgreSQL. One test binary for the crate.

mod harness;

mod auth;
mod bench_sql;
mod checks;
mod docs;
mod middleware;
mod observability;
mod openapi;
mod outage;
mod products;
mod sales;
mod shutdown;
mod users;
// @generator:api-test-modules

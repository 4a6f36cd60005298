//! Black-box tests of the `sales-admin` binary: each test runs the built binary
//! against its own database (a temp SQLite file, or a fresh PostgreSQL database)
//! and checks exit status, stdout and stderr.

mod db;
mod help;
mod keys;
mod pg;
mod support;
mod tokens;
mod users;

//! `migrate`, `seed`, and opening the database for every other command.

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::Context;
use sdk::sqldb::Backend;
use sdk::{DbConfig, DbPool};
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteConnectOptions;
use uuid::{Uuid, uuid};

use crate::fail::{HintExt, fail};
use crate::ui::Ui;

/// The seeded accounts (business/sdk/seed/*.sql); their ids are fixed so docs,
/// scripts and `make token` can name them. Development data only.
pub const SEED_USERS: [(Uuid, &str); 2] = [
    (uuid!("5cf37266-3473-4006-984f-9325122678b7"), "admin@example.com"),
    (uuid!("45b5fbd3-755f-4379-8f07-a58d4a30fa2f"), "user@example.com"),
];

/// The password of every seeded account.
pub const SEED_PASSWORD: &str = "garagesale";

pub fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Postgres => "PostgreSQL",
        Backend::Sqlite => "SQLite",
    }
}

/// Whether opening may create a missing SQLite file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// `migrate`: a new file is where a database starts.
    CreateIfMissing,
    /// Every other command: a missing file is a mistake (wrong path or working
    /// directory), and silently creating an empty one would hide it.
    Existing,
}

/// Opens the database at `url`; errors say which database and what to check.
pub async fn connect(url: &str, open: Open, ui: &Ui) -> anyhow::Result<DbPool> {
    let shown = config::mask_url_password(url);
    let backend = Backend::from_url(url).ok_or_else(|| {
        fail(
            format!("unsupported database URL {shown:?}"),
            "set --db-url or SALES_DB_URL to sqlite://PATH or postgres://USER@HOST:PORT/DB",
        )
    })?;
    let cfg = DbConfig {
        url: url.to_string(),
        max_open_conns: 2,
        acquire_timeout_ms: 5_000,
        ..DbConfig::default()
    };
    let hint = match backend {
        Backend::Postgres => "is PostgreSQL running and reachable? check SALES_DB_URL (or --db-url)",
        Backend::Sqlite => "check SALES_DB_URL (or --db-url) and that its directory is writable",
    };
    if backend == Backend::Sqlite
        && open == Open::Existing
        && let Ok(opts) = SqliteConnectOptions::from_str(url)
        && opts.get_filename().as_os_str() != ":memory:"
        && !opts.get_filename().exists()
    {
        return Err(fail(
            format!("there is no SQLite database at {}", opts.get_filename().display()),
            "create it with `sales-admin migrate-seed` (or `make run`), or point SALES_DB_URL at the right file",
        ));
    }
    ui.note(format_args!("database: {} {shown}", backend_name(backend)));
    DbPool::open(&cfg)
        .await
        .with_context(|| format!("cannot open the {} database {shown}", backend_name(backend)))
        .hint(hint)
}

/// Migrations recorded as applied, `(version, description)`, oldest first. A
/// database sqlx has never migrated has none.
async fn applied_migrations(pool: &DbPool) -> anyhow::Result<Vec<(i64, String)>> {
    const LIST: &str = "SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version";
    let rows = match pool {
        DbPool::Sqlite(p) => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_one(p)
            .await?;
            if n == 0 {
                Vec::new()
            } else {
                sqlx::query_as(LIST).fetch_all(p).await?
            }
        }
        DbPool::Postgres(p) => {
            let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(p)
                .await?;
            if exists {
                sqlx::query_as(LIST).fetch_all(p).await?
            } else {
                Vec::new()
            }
        }
    };
    Ok(rows)
}

/// Fails with advice when the schema is missing, instead of a "no such table" later.
pub async fn require_schema(pool: &DbPool) -> anyhow::Result<()> {
    let applied = applied_migrations(pool)
        .await
        .context("cannot read the migration state")?;
    if applied.is_empty() {
        return Err(fail(
            "the database has no schema yet",
            "run `sales-admin migrate` (or `migrate-seed`) first",
        ));
    }
    Ok(())
}

/// Applies pending migrations and says which ones ran.
pub async fn migrate(pool: &DbPool, ui: &Ui) -> anyhow::Result<()> {
    let name = backend_name(pool.backend());
    let before = applied_migrations(pool)
        .await
        .context("cannot read the migration state")?;
    ui.note("applying migrations...");
    pool.migrate().await.context("migration failed").hint(
        "if the database was migrated by a newer version, use that version's sales-admin; \
         otherwise fix the failing migration and run `sales-admin migrate` again",
    )?;
    let after = applied_migrations(pool)
        .await
        .context("cannot read the migration state")?;
    let new: Vec<_> = after.iter().filter(|m| !before.contains(m)).collect();
    let latest = after
        .last()
        .map_or_else(|| "none".to_string(), |(v, d)| format!("{v:04} {d}"));
    if new.is_empty() {
        println!(
            "{name} schema is up to date ({} migrations, latest {latest})",
            after.len()
        );
    } else {
        println!(
            "{name} schema migrated: applied {} of {} migrations",
            new.len(),
            after.len()
        );
        for (version, description) in new {
            println!("  {version:04} {description}");
        }
    }
    Ok(())
}

/// Row counts of every application table (not sqlx's bookkeeping), by name. The
/// seed file grows with each domain (`@generator:seed`), so what seeding did is
/// measured on all tables rather than on a list kept here.
async fn table_rows(pool: &DbPool) -> anyhow::Result<BTreeMap<String, i64>> {
    let mut rows = BTreeMap::new();
    match pool {
        DbPool::Sqlite(p) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(p)
            .await?;
            for t in tables {
                let sql = format!("SELECT COUNT(*) FROM \"{}\"", t.replace('"', "\"\""));
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(p).await?;
                rows.insert(t, n);
            }
        }
        DbPool::Postgres(p) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
                 AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(p)
            .await?;
            for t in tables {
                let sql = format!("SELECT COUNT(*) FROM \"{}\"", t.replace('"', "\"\""));
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(p).await?;
                rows.insert(t, n);
            }
        }
    }
    Ok(rows)
}

/// Inserts the seed data (rows that exist are left alone), says what it inserted
/// and lists the accounts.
pub async fn seed(pool: &DbPool, ui: &Ui) -> anyhow::Result<()> {
    require_schema(pool).await?;
    let name = backend_name(pool.backend());
    let before = table_rows(pool).await.context("cannot count rows")?;
    ui.note("inserting seed data...");
    pool.seed()
        .await
        .context("seeding failed")
        .hint("run `sales-admin migrate` first; the schema may be out of date")?;
    let after = table_rows(pool).await.context("cannot count rows")?;
    let added: Vec<(String, i64)> = after
        .iter()
        .map(|(t, n)| (t.clone(), n - before.get(t).copied().unwrap_or(0)))
        .filter(|(_, d)| *d != 0)
        .collect();
    if added.is_empty() {
        println!("{name} seed data already present (no rows inserted)");
    } else {
        let total: i64 = added.iter().map(|(_, d)| d).sum();
        let parts: Vec<String> = added.iter().map(|(t, d)| format!("{t} +{d}")).collect();
        println!("{name} seed data inserted: {total} rows ({})", parts.join(", "));
    }

    let users = userbus::Business::new(userbus::stores::new(pool));
    println!("seed accounts (password \"{SEED_PASSWORD}\"):");
    for (id, email) in SEED_USERS {
        match users.query_by_id(id).await {
            Ok(u) => println!("  {id}  {:<18} {}", u.email.as_str(), u.roles.to_csv()),
            Err(userbus::Error::NotFound) => ui.warn(format_args!(
                "seed account {email} ({id}) is not present: it was deleted, or its email belongs to another user"
            )),
            Err(e) => return Err(e).context("cannot read the seed accounts"),
        }
    }
    Ok(())
}

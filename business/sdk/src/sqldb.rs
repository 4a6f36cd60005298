//! Database access shared by every store: one pool type for the two supported
//! backends, migrations and seed data embedded per backend, readiness checks and
//! the mapping of constraint violations.
//!
//! SQLite is the embedded default (one file, nothing to install); PostgreSQL is the
//! production database. Each domain has one store, generic over [`StoreDb`] (the
//! two backends' transactions and execution) and building its SQL through
//! [`Dialect`] (binding, `ILIKE`), so SQL never has to be written for the lowest
//! common denominator.

use std::{future::Future, str::FromStr, time::Duration};

use sqlx::{
    Executor, IntoArguments, Pool, Postgres, Sqlite, Transaction,
    postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgQueryResult},
    sqlite::{
        SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteQueryResult,
        SqliteSynchronous,
    },
};

/// Connection settings, filled from `SALES_DB_*`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DbConfig {
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host:port/db`.
    pub url: String,
    pub max_open_conns: u32,
    pub min_idle_conns: u32,
    /// How long a request waits for a free connection, in milliseconds.
    pub acquire_timeout_ms: u64,
    /// How long SQLite waits on a locked database before failing, in milliseconds.
    pub busy_timeout_ms: u64,
}

impl Default for DbConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://var/sales.db".into(),
            max_open_conns: 10,
            min_idle_conns: 0,
            acquire_timeout_ms: 5_000,
            busy_timeout_ms: 5_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database url {0:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot create the directory for the SQLite file {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("seeding failed: {0}")]
    Seed(#[source] sqlx::Error),
    #[error("database did not answer within {0:?}")]
    Timeout(Duration),
    #[error("database check failed: {0}")]
    Check(#[source] sqlx::Error),
}

/// The application's pool: one of the supported backends.
#[derive(Debug, Clone)]
pub enum DbPool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Which backend a URL or pool refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else {
            None
        }
    }
}

/// A pooled PostgreSQL connection idle this long is pinged before it is used.
const STALE_AFTER: Duration = Duration::from_secs(30);

static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/pg");
static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
const PG_SEED: &str = include_str!("../seed/pg.sql");
const SQLITE_SEED: &str = include_str!("../seed/sqlite.sql");

impl DbPool {
    /// Opens a pool for `cfg.url`. For SQLite the file (and its directory) is
    /// created if missing, WAL journaling and a busy timeout are set so readers
    /// never block the writer and writers queue instead of failing.
    pub async fn open(cfg: &DbConfig) -> Result<DbPool, DbError> {
        match Backend::from_url(&cfg.url) {
            Some(Backend::Postgres) => {
                let opts = PgConnectOptions::from_str(&cfg.url).map_err(DbError::Connect)?;
                let pool = PgPoolOptions::new()
                    .max_connections(cfg.max_open_conns)
                    .min_connections(cfg.min_idle_conns)
                    .acquire_timeout(Duration::from_millis(cfg.acquire_timeout_ms))
                    // sqlx pings every connection on acquire by default: one more round
                    // trip per statement (profiled in docs/performance.md). Ping only a
                    // connection that sat idle long enough to have gone stale; a dead
                    // one found later fails its statement, which answers 503.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= STALE_AFTER {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(opts)
                    .await
                    .map_err(DbError::Connect)?;
                Ok(DbPool::Postgres(pool))
            }
            Some(Backend::Sqlite) => {
                let opts = SqliteConnectOptions::from_str(&cfg.url)
                    .map_err(DbError::Connect)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_millis(cfg.busy_timeout_ms));
                if let Some(dir) = opts.get_filename().parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                        path: dir.display().to_string(),
                        source,
                    })?;
                }
                let pool = SqlitePoolOptions::new()
                    // An embedded file cannot drop a connection: no ping on acquire
                    // (each would be a round trip to the connection's worker thread).
                    .test_before_acquire(false)
                    .max_connections(cfg.max_open_conns.max(1))
                    .min_connections(cfg.min_idle_conns)
                    .acquire_timeout(Duration::from_millis(cfg.acquire_timeout_ms))
                    .connect_with(opts)
                    .await
                    .map_err(DbError::Connect)?;
                Ok(DbPool::Sqlite(pool))
            }
            None => Err(DbError::UnsupportedUrl(cfg.url.clone())),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbPool::Postgres(_) => Backend::Postgres,
            DbPool::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Applies the embedded migrations of this backend (idempotent).
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            DbPool::Postgres(p) => PG_MIGRATOR.run(p).await?,
            DbPool::Sqlite(p) => SQLITE_MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    /// Inserts the documented seed data; rows that already exist are left alone.
    ///
    /// Runs on a connection of its own with statement logging off: the seed script
    /// inlines password hashes, and every other statement is logged (and traced)
    /// from sqlx's statement events.
    pub async fn seed(&self) -> Result<(), DbError> {
        use sqlx::{ConnectOptions, Connection};
        match self {
            DbPool::Postgres(p) => {
                let opts = p.connect_options().as_ref().clone().disable_statement_logging();
                let mut conn = opts.connect().await.map_err(DbError::Seed)?;
                sqlx::raw_sql(PG_SEED).execute(&mut conn).await.map_err(DbError::Seed)?;
                let _ = conn.close().await;
            }
            DbPool::Sqlite(p) => {
                let opts = p.connect_options().as_ref().clone().disable_statement_logging();
                let mut conn = opts.connect().await.map_err(DbError::Seed)?;
                sqlx::raw_sql(SQLITE_SEED)
                    .execute(&mut conn)
                    .await
                    .map_err(DbError::Seed)?;
                let _ = conn.close().await;
            }
        }
        Ok(())
    }

    /// True when no user exists yet: the embedded default seeds on first start.
    pub async fn is_empty(&self) -> Result<bool, DbError> {
        let n: i64 = match self {
            DbPool::Postgres(p) => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await,
            DbPool::Sqlite(p) => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await,
        }
        .map_err(DbError::Check)?;
        Ok(n == 0)
    }

    /// Readiness: the database answers a trivial query within `timeout`.
    pub async fn status_check(&self, timeout: Duration) -> Result<(), DbError> {
        let check = async {
            match self {
                DbPool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
                DbPool::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
            }
        };
        match tokio::time::timeout(timeout, check).await {
            Ok(r) => r.map_err(DbError::Check),
            Err(_) => Err(DbError::Timeout(timeout)),
        }
    }

    /// Pool size and idle connections, for metrics.
    pub fn stats(&self) -> PoolStats {
        match self {
            DbPool::Postgres(p) => PoolStats {
                size: p.size(),
                idle: p.num_idle() as u32,
            },
            DbPool::Sqlite(p) => PoolStats {
                size: p.size(),
                idle: p.num_idle() as u32,
            },
        }
    }

    pub async fn close(&self) {
        match self {
            DbPool::Postgres(p) => p.close().await,
            DbPool::Sqlite(p) => p.close().await,
        }
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}

/// Starts a write transaction on SQLite with `BEGIN IMMEDIATE`: the write lock is
/// taken up front, so concurrent writers wait on the busy timeout instead of
/// failing with "database is locked" when a read lock cannot be upgraded.
pub async fn sqlite_begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Starts a PostgreSQL transaction (READ COMMITTED; stores lock rows explicitly).
pub async fn pg_begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    pool.begin().await
}

/// A backend a store runs on: one store body, `Store<DB: StoreDb>`, serves both.
///
/// sqlx implements execution per backend (`Executor` for `&mut PgConnection` and
/// for `&mut SqliteConnection`), so generic code would have to repeat the
/// higher-ranked bound `for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>`
/// on every impl: Rust does not carry a trait's where-clauses to its users, only
/// its supertraits and the bounds on associated types. Stores therefore execute on
/// [`StoreDb::conn`] (a transaction or connection) and [`StoreDb::pool`], and the
/// remaining sqlx requirements are associated-type bounds here, which do carry.
/// What a store decodes (its row types, `(i64,)` for counts) is the one bound a
/// store still names itself: `Row: for<'r> sqlx::FromRow<'r, DB::Row>`.
pub trait StoreDb: Dialect + sqlx::Database<Arguments: IntoArguments<Self>, QueryResult: RowsAffected> {
    /// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite
    /// ([`sqlite_begin_write`]), a plain `BEGIN` on PostgreSQL ([`pg_begin`]).
    fn begin_write(pool: &Pool<Self>) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send;

    /// A connection (`&mut tx` of an open transaction) as an executor: what
    /// `&mut *tx` is for a concrete backend.
    fn conn(conn: &mut Self::Connection) -> impl Executor<'_, Database = Self>;

    /// The pool as an executor (each statement on a connection of its own).
    fn pool(pool: &Pool<Self>) -> impl Executor<'_, Database = Self>;
}

impl StoreDb for Postgres {
    fn begin_write(pool: &PgPool) -> impl Future<Output = Result<Transaction<'static, Postgres>, sqlx::Error>> + Send {
        pg_begin(pool)
    }

    fn conn(conn: &mut PgConnection) -> impl Executor<'_, Database = Postgres> {
        conn
    }

    fn pool(pool: &PgPool) -> impl Executor<'_, Database = Postgres> {
        pool
    }
}

impl StoreDb for Sqlite {
    fn begin_write(
        pool: &SqlitePool,
    ) -> impl Future<Output = Result<Transaction<'static, Sqlite>, sqlx::Error>> + Send {
        sqlite_begin_write(pool)
    }

    fn conn(conn: &mut SqliteConnection) -> impl Executor<'_, Database = Sqlite> {
        conn
    }

    fn pool(pool: &SqlitePool) -> impl Executor<'_, Database = Sqlite> {
        pool
    }
}

/// The number of rows a statement changed, for [`StoreDb`]'s `QueryResult`
/// (each backend has it as an inherent method only).
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for PgQueryResult {
    fn rows_affected(&self) -> u64 {
        PgQueryResult::rows_affected(self)
    }
}

impl RowsAffected for SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        SqliteQueryResult::rows_affected(self)
    }
}

/// True when `err` is a unique-key violation (PostgreSQL 23505, SQLite 2067/1555).
/// Stores turn it into their domain's conflict error.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// True when `err` means the database is unreachable or overloaded (the app
/// answers 503 `unavailable` for these instead of 500).
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_)
    ) || matches!(err, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")))
}

/// [`is_unavailable`] for an error that travelled up as a domain's `Internal` case.
pub fn is_unavailable_error(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| cause.downcast_ref::<sqlx::Error>().is_some_and(is_unavailable))
}

/// The current time, UTC, truncated to whole microseconds: what PostgreSQL keeps,
/// so a value read back equals the value written on both backends.
pub fn now() -> time::OffsetDateTime {
    let t = time::OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .expect("nanoseconds stay in range")
}

/// SQLite keeps times as text; a fixed-width RFC 3339 form (6 fraction digits,
/// `Z`) makes text order equal time order, which range filters and ORDER BY rely on.
pub fn sqlite_time(t: time::OffsetDateTime) -> String {
    const FMT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(FMT)
        .expect("a UTC time always formats")
}

/// What differs between the backends when a store builds a dynamic query (filters,
/// ordering): how values bind and which operator matches text case-insensitively.
/// Stores write their filter code once, generic over `Dialect`.
pub trait Dialect: sqlx::Database + Sized {
    /// Case-insensitive substring match operator (`ILIKE` / `LIKE`, which is
    /// ASCII-case-insensitive in SQLite).
    const ILIKE: &'static str;
    fn bind_uuid(qb: &mut sqlx::QueryBuilder<Self>, v: uuid::Uuid);
    fn bind_text(qb: &mut sqlx::QueryBuilder<Self>, v: String);
    fn bind_i64(qb: &mut sqlx::QueryBuilder<Self>, v: i64);
    fn bind_bool(qb: &mut sqlx::QueryBuilder<Self>, v: bool);
    fn bind_time(qb: &mut sqlx::QueryBuilder<Self>, v: time::OffsetDateTime);
    /// A JSON document: `JSONB` in PostgreSQL, JSON text in SQLite.
    fn bind_json(qb: &mut sqlx::QueryBuilder<Self>, v: &serde_json::Value);
}

impl Dialect for Postgres {
    const ILIKE: &'static str = "ILIKE";
    fn bind_uuid(qb: &mut sqlx::QueryBuilder<Self>, v: uuid::Uuid) {
        qb.push_bind(v);
    }
    fn bind_text(qb: &mut sqlx::QueryBuilder<Self>, v: String) {
        qb.push_bind(v);
    }
    fn bind_i64(qb: &mut sqlx::QueryBuilder<Self>, v: i64) {
        qb.push_bind(v);
    }
    fn bind_bool(qb: &mut sqlx::QueryBuilder<Self>, v: bool) {
        qb.push_bind(v);
    }
    fn bind_time(qb: &mut sqlx::QueryBuilder<Self>, v: time::OffsetDateTime) {
        qb.push_bind(v);
    }
    fn bind_json(qb: &mut sqlx::QueryBuilder<Self>, v: &serde_json::Value) {
        qb.push_bind(sqlx::types::Json(v));
    }
}

impl Dialect for Sqlite {
    const ILIKE: &'static str = "LIKE";
    fn bind_uuid(qb: &mut sqlx::QueryBuilder<Self>, v: uuid::Uuid) {
        qb.push_bind(v);
    }
    fn bind_text(qb: &mut sqlx::QueryBuilder<Self>, v: String) {
        qb.push_bind(v);
    }
    fn bind_i64(qb: &mut sqlx::QueryBuilder<Self>, v: i64) {
        qb.push_bind(v);
    }
    fn bind_bool(qb: &mut sqlx::QueryBuilder<Self>, v: bool) {
        qb.push_bind(v);
    }
    fn bind_time(qb: &mut sqlx::QueryBuilder<Self>, v: time::OffsetDateTime) {
        qb.push_bind(sqlite_time(v));
    }
    fn bind_json(qb: &mut sqlx::QueryBuilder<Self>, v: &serde_json::Value) {
        qb.push_bind(sqlx::types::Json(v));
    }
}

/// Builds ` WHERE a AND b ...` clauses: `and()` emits `WHERE` the first time.
pub struct Where {
    started: bool,
}

impl Where {
    pub fn new() -> Self {
        Self { started: false }
    }

    /// Pushes ` WHERE ` or ` AND ` followed by `sql` (a fragment ending where the
    /// caller binds its value, e.g. `"email = "`).
    pub fn and<DB: sqlx::Database>(&mut self, qb: &mut sqlx::QueryBuilder<DB>, sql: &str) {
        qb.push(if self.started { " AND " } else { " WHERE " });
        qb.push(sql);
        self.started = true;
    }
}

impl Default for Where {
    fn default() -> Self {
        Self::new()
    }
}

/// Escapes `%`, `_` and `\` so user text is matched literally inside LIKE.
pub fn like_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Appends ` ORDER BY <column> <dir>, <tiebreak>` and ` LIMIT .. OFFSET ..`.
/// `tiebreak` (the primary key) keeps paging stable when values repeat.
pub fn push_order_page<DB: Dialect>(
    qb: &mut sqlx::QueryBuilder<DB>,
    column: &str,
    direction: crate::Direction,
    tiebreak: &str,
    page: crate::Page,
) {
    qb.push(format_args!(" ORDER BY {column} {}", direction.as_sql()));
    if column != tiebreak {
        qb.push(format_args!(", {tiebreak} {}", direction.as_sql()));
    }
    qb.push(" LIMIT ");
    DB::bind_i64(qb, page.limit());
    qb.push(" OFFSET ");
    DB::bind_i64(qb, page.offset());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_time_is_fixed_width_and_sorts_like_time() {
        let a = time::macros::datetime!(2026-11-23 10:00:00 UTC);
        let b = time::macros::datetime!(2026-11-23 10:00:00.5 UTC);
        assert_eq!(sqlite_time(a), "2026-11-23T10:00:00.000000Z");
        assert_eq!(sqlite_time(b), "2026-11-23T10:00:00.500000Z");
        assert!(sqlite_time(a) < sqlite_time(b));
    }

    #[test]
    fn now_has_whole_microseconds() {
        assert_eq!(now().nanosecond() % 1_000, 0);
    }

    #[test]
    fn backend_is_chosen_by_url_scheme() {
        assert_eq!(Backend::from_url("sqlite://var/x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::from_url("mysql://h/db"), None);
    }
}

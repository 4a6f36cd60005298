//! Fresh databases for tests: a new SQLite file or a new PostgreSQL database per
//! test, migrated, removed again when the [`TestDb`] is dropped.
//!
//! PostgreSQL comes from `SALES_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). When no server answers, tests
//! on it are skipped with a notice on stderr, except under `CI=true`, where a
//! missing server is a failure: CI must never pass by skipping.

use std::path::PathBuf;

use crate::sqldb::{Backend, DbConfig, DbPool};

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated, empty database that exists for one test.
pub struct TestDb {
    pub pool: DbPool,
    pub config: DbConfig,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

impl TestDb {
    /// A fresh database on `backend`, or `None` (with a notice) when PostgreSQL is
    /// not reachable outside CI.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite().await),
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// Same as [`TestDb::new`] and also inserts the seed data.
    pub async fn seeded(backend: Backend) -> Option<TestDb> {
        let db = Self::new(backend).await?;
        db.pool.seed().await.expect("seed test database");
        Some(db)
    }

    async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("sales-test-{}.db", uuid::Uuid::new_v4()));
        let config = DbConfig {
            url: format!("sqlite://{}", path.display()),
            ..DbConfig::default()
        };
        let pool = DbPool::open(&config).await.expect("open test SQLite file");
        pool.migrate().await.expect("migrate test SQLite file");
        TestDb {
            pool,
            config,
            cleanup: Cleanup::File(path),
        }
    }

    async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("SALES_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
        let admin_cfg = DbConfig {
            url: admin_url.clone(),
            max_open_conns: 1,
            acquire_timeout_ms: 3_000,
            ..DbConfig::default()
        };
        let admin = match DbPool::open(&admin_cfg).await {
            Ok(DbPool::Postgres(p)) => p,
            Ok(DbPool::Sqlite(_)) => panic!("SALES_TEST_DATABASE_URL must be a postgres:// URL"),
            Err(err) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("CI=true but PostgreSQL is not reachable at {admin_url}: {err}");
                }
                eprintln!(
                    "NOTICE: skipping PostgreSQL test, no server at {admin_url} ({err}); set SALES_TEST_DATABASE_URL"
                );
                return None;
            }
        };
        let name = format!("sales_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;

        let url = replace_db_name(&admin_url, &name);
        let config = DbConfig {
            url,
            max_open_conns: 20,
            ..DbConfig::default()
        };
        let pool = DbPool::open(&config).await.expect("open test database");
        pool.migrate().await.expect("migrate test database");
        Some(TestDb {
            pool,
            config,
            cleanup: Cleanup::PgDatabase { admin_url, name },
        })
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }
}

/// `postgres://u@h:p/old?x` → `postgres://u@h:p/new?x`.
fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..path_start], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PgDatabase { admin_url, name } => {
                // Drop runs inside the test's runtime: do the async work on a thread
                // with its own runtime and wait for it, so nothing is left behind.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    rt.block_on(async move {
                        let cfg = DbConfig {
                            url: admin_url,
                            max_open_conns: 1,
                            ..DbConfig::default()
                        };
                        if let Ok(DbPool::Postgres(admin)) = DbPool::open(&cfg).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .execute(&admin)
                            .await;
                            admin.close().await;
                        }
                    });
                    Some(())
                })
                .join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::replace_db_name;

    #[test]
    fn replaces_the_database_name_only() {
        assert_eq!(
            replace_db_name("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            replace_db_name("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(replace_db_name("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}

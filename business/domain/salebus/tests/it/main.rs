//! Sale store conformance: every test runs once on SQLite and once on
//! PostgreSQL (skipped with a NOTICE when no server answers, outside CI).

mod cancel;
mod create;
mod idempotency;
mod query;
mod race;
mod report;

use std::future::Future;

use auditbus::Audit;
use productbus::{NewProduct, Product};
use salebus::{CreateOutcome, Error, NewLine, NewSale, Sale};
use sdk::{DbPool, Page, dbtest::TestDb, sqldb::Backend};
use types::{Email, Money, Name, Password, Role, Roles};
use uuid::Uuid;

/// A fresh database with the businesses under test.
#[derive(Clone)]
pub struct Env {
    pub db: std::sync::Arc<TestDb>,
    pub users: userbus::Business,
    pub products: productbus::Business,
    pub sales: salebus::Business,
    pub audits: auditbus::Business,
}

impl Env {
    pub fn pool(&self) -> &DbPool {
        &self.db.pool
    }

    pub async fn user(&self, name: &str) -> userbus::User {
        let nu = userbus::NewUser {
            name: Name::parse(name).unwrap(),
            email: Email::parse(&format!("{}@example.com", Uuid::new_v4().simple())).unwrap(),
            roles: Roles::new([Role::User]).unwrap(),
            department: None,
            password: Password::parse("garagesale").unwrap(),
        };
        self.users.create(Uuid::nil(), nu).await.expect("create user")
    }

    pub async fn product(&self, owner: Uuid, name: &str, cost_cents: i64, quantity: i64) -> Product {
        let np = NewProduct {
            user_id: owner,
            name: Name::parse(name).unwrap(),
            cost: Money::from_cents(cost_cents),
            quantity,
        };
        self.products.create(owner, np).await.expect("create product")
    }

    /// A sale without idempotency key.
    pub async fn buy(&self, buyer: Uuid, lines: &[(Uuid, i64)]) -> Result<Sale, Error> {
        self.sales
            .create(buyer, new_sale(buyer, lines, None))
            .await
            .map(CreateOutcome::into_sale)
    }

    /// Stock as stored, also for deleted products.
    pub async fn stock(&self, product_id: Uuid) -> i64 {
        match self.pool() {
            DbPool::Postgres(p) => sqlx::query_scalar("SELECT quantity FROM products WHERE product_id = $1")
                .bind(product_id)
                .fetch_one(p)
                .await
                .unwrap(),
            DbPool::Sqlite(p) => sqlx::query_scalar("SELECT quantity FROM products WHERE product_id = ?1")
                .bind(product_id)
                .fetch_one(p)
                .await
                .unwrap(),
        }
    }

    pub async fn count_rows(&self, table: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        match self.pool() {
            DbPool::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            DbPool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }

    /// Audit rows of the sale domain, oldest first.
    pub async fn sale_audits(&self) -> Vec<Audit> {
        let filter = auditbus::QueryFilter {
            obj_domain: Some(auditbus::Domain::Sale),
            ..Default::default()
        };
        let order = sdk::OrderBy::new(auditbus::OrderField::Timestamp, sdk::Direction::Asc);
        self.audits
            .query(&filter, order, Page::new(1, 100))
            .await
            .expect("query audits")
    }
}

pub fn new_sale(buyer: Uuid, lines: &[(Uuid, i64)], key: Option<&str>) -> NewSale {
    NewSale {
        user_id: buyer,
        lines: lines
            .iter()
            .map(|&(product_id, quantity)| NewLine { product_id, quantity })
            .collect(),
        idempotency_key: key.map(str::to_string),
        request_hash: None,
    }
}

/// Runs `test` against a fresh database on `backend`, or skips with the notice
/// `TestDb` prints when PostgreSQL is unreachable (never under CI=true).
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let env = Env {
        users: userbus::Business::new(userbus::stores::new(&db.pool)),
        products: productbus::Business::new(productbus::stores::new(&db.pool)),
        sales: salebus::Business::new(salebus::stores::new(&db.pool)),
        audits: auditbus::Business::new(auditbus::stores::new(&db.pool)),
        db: std::sync::Arc::new(db),
    };
    test(env).await;
}

/// For each `async fn name(env: Env)`, a module `name` with the tests `sqlite`
/// and `postgres`, on a multi-threaded runtime so spawned tasks really race.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                $crate::run(sdk::sqldb::Backend::Sqlite, super::$test).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                $crate::run(sdk::sqldb::Backend::Postgres, super::$test).await
            }
        }
    )*};
}

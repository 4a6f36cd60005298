//! Product store conformance: every test runs once on SQLite and once on
//! PostgreSQL (skipped with a NOTICE when no server answers, outside CI).

mod count;
mod crud;
mod query;
mod trigger;

use std::future::Future;

use auditbus::Audit;
use productbus::{NewProduct, Product};
use sdk::{Page, dbtest::TestDb, sqldb::Backend};
use types::{Email, Money, Name, Password, Role, Roles};
use uuid::Uuid;

/// A fresh database with the businesses under test.
pub struct Env {
    pub db: TestDb,
    pub users: userbus::Business,
    pub products: productbus::Business,
    pub audits: auditbus::Business,
}

impl Env {
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

    /// Audit rows about `obj_id`, oldest first.
    pub async fn audits_of(&self, obj_id: Uuid) -> Vec<Audit> {
        let filter = auditbus::QueryFilter {
            obj_id: Some(obj_id),
            ..Default::default()
        };
        let order = sdk::OrderBy::new(auditbus::OrderField::Timestamp, sdk::Direction::Asc);
        self.audits
            .query(&filter, order, Page::new(1, 100))
            .await
            .expect("query audits")
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
        audits: auditbus::Business::new(auditbus::stores::new(&db.pool)),
        db,
    };
    test(env).await;
}

/// For each `async fn name(env: Env)`, a module `name` with the tests `sqlite`
/// and `postgres`.
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

//! {{ c.n.pascal }} store conformance: every test runs once on SQLite and once on
//! PostgreSQL (skipped with a NOTICE when no server answers, outside CI).

mod crud;
mod query;

use std::future::Future;

use auditbus::Audit;
use {{ c.n.bus }}::{New{{ c.n.pascal }}, {{ c.n.pascal }}};
use sdk::{Page, dbtest::TestDb, sqldb::Backend};
{%- if c.has_money %}
use types::Money;
{%- endif %}
use types::{Email, Name, Password, Role, Roles};
use uuid::Uuid;

/// A fresh database with the businesses under test.
pub struct Env {
    pub db: TestDb,
    pub users: userbus::Business,
    pub {{ c.n.plural }}: {{ c.n.bus }}::Business,
    pub audits: auditbus::Business,
}

/// Three users: test items are owned by (or refer to) them.
pub struct Users {
    pub owner: Uuid,
    pub other: Uuid,
    pub third: Uuid,
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

    pub async fn three_users(&self) -> Users {
        Users {
            owner: self.user("Owner One").await.id,
            other: self.user("Other Two").await.id,
            third: self.user("Third Three").await.id,
        }
    }

    /// Test item `i` (0, 1 or 2), owned by `owner`. Values increase with `i`.
    pub fn new_item({% if !c.has_user %}_{% endif %}u: &Users, owner: Uuid, i: usize) -> New{{ c.n.pascal }} {
        match i {
{%- for item in c.bus_items %}
            {% if loop.last %}_{% else %}{{ loop.index0 }}{% endif %} => New{{ c.n.pascal }} {
                user_id: owner,
{%- for v in item %}
                {{ v.name }}: {{ v.new }},
{%- endfor %}
            },
{%- endfor %}
        }
    }

    pub async fn create(&self, u: &Users, owner: Uuid, i: usize) -> {{ c.n.pascal }} {
        self.{{ c.n.plural }}.create(owner, Self::new_item(u, owner, i)).await.expect("create {{ c.n.name }}")
    }

    /// Audit rows about `obj_id`, oldest first.
    pub async fn audits_of(&self, obj_id: Uuid) -> Vec<Audit> {
        let filter = auditbus::QueryFilter {
            obj_id: Some(obj_id),
            ..Default::default()
        };
        let order = sdk::OrderBy::new(auditbus::OrderField::Timestamp, sdk::Direction::Asc);
        self.audits.query(&filter, order, Page::new(1, 100)).await.expect("query audits")
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
        {{ c.n.plural }}: {{ c.n.bus }}::Business::new({{ c.n.bus }}::stores::new(&db.pool)),
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

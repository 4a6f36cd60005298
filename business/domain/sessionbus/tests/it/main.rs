//! Session store conformance on SQLite and PostgreSQL: rotation, reuse
//! detection, revocation, expiry, and a real race between two refreshes.

use sdk::{dbtest::TestDb, sqldb::Backend};
use sessionbus::{Business, Error};
use time::Duration;
use types::{Email, Name, Password, Role, Roles};
use uuid::Uuid;

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::run(sdk::sqldb::Backend::Sqlite, super::$name).await } )* }
        mod pg { $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::run(sdk::sqldb::Backend::Postgres, super::$name).await } )* }
    };
}

both_backends!(
    rotation_and_reuse,
    revoke_ends_the_family,
    expired_tokens_are_invalid,
    racing_refreshes_have_one_winner
);

async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestDb, Uuid) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(db) = TestDb::new(backend).await else { return };
    let users = userbus::Business::new(userbus::stores::new(&db.pool));
    let nu = userbus::NewUser {
        name: Name::parse("Session User").unwrap(),
        email: Email::parse("session@example.com").unwrap(),
        roles: Roles::new([Role::User]).unwrap(),
        department: None,
        password: Password::parse("garagesale").unwrap(),
    };
    let user = users.create(Uuid::nil(), nu).await.unwrap();
    test(db, user.id).await;
}

async fn rotation_and_reuse(db: TestDb, user: Uuid) {
    let s = Business::new(db.pool.clone(), Duration::hours(1));
    let first = s.create(user).await.unwrap();
    let second = s.refresh(&first.token).await.unwrap();
    assert_eq!((second.user_id, second.family_id), (user, first.family_id));
    assert_ne!(second.token, first.token);
    let third = s.refresh(&second.token).await.unwrap();
    // Replaying an old token is theft: the family dies, the newest token too.
    assert!(matches!(s.refresh(&first.token).await, Err(Error::Reused)));
    assert!(matches!(s.refresh(&third.token).await, Err(Error::Invalid)));
    assert!(matches!(s.refresh("never-issued").await, Err(Error::Invalid)));
    // Other families are untouched.
    let other = s.create(user).await.unwrap();
    assert!(s.refresh(&other.token).await.is_ok());
}

async fn revoke_ends_the_family(db: TestDb, user: Uuid) {
    let s = Business::new(db.pool.clone(), Duration::hours(1));
    let first = s.create(user).await.unwrap();
    let second = s.refresh(&first.token).await.unwrap();
    s.revoke(&second.token).await.unwrap();
    assert!(matches!(s.refresh(&second.token).await, Err(Error::Invalid)));
    assert!(matches!(s.revoke("unknown").await, Err(Error::Invalid)));
}

async fn expired_tokens_are_invalid(db: TestDb, user: Uuid) {
    let s = Business::new(db.pool.clone(), Duration::seconds(-1));
    let t = s.create(user).await.unwrap();
    assert!(matches!(s.refresh(&t.token).await, Err(Error::Invalid)));
}

async fn racing_refreshes_have_one_winner(db: TestDb, user: Uuid) {
    let s = Business::new(db.pool.clone(), Duration::hours(1));
    let t = s.create(user).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (s, token) = (s.clone(), t.token.clone());
        tasks.push(tokio::spawn(async move { s.refresh(&token).await }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(Error::Reused) | Err(Error::Invalid) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(won, 1, "exactly one refresh of a token succeeds");
}

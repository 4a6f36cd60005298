//! The same commands against PostgreSQL: a fresh database per test from
//! `SALES_TEST_DATABASE_URL` (skipped with a notice when no server answers, a
//! failure under `CI=true`; see `sdk::dbtest`).

use sdk::dbtest::TestDb;
use sdk::sqldb::Backend;

use crate::support::{ADMIN_ID, DEV_KID, Sandbox, dev_keys, public_key_of, verify};

#[tokio::test]
async fn postgres_migrate_seed_useradd_users_gentoken() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let mut sb = Sandbox::new();
    sb.db_url = db.config.url.clone();

    let first = sb.run(&["migrate-seed"]).ok();
    assert!(
        first.stdout.contains("PostgreSQL schema is up to date"),
        "TestDb is migrated: {}",
        first.stdout
    );
    assert!(first.stdout.contains("users +2"), "{}", first.stdout);
    let second = sb.run(&["migrate-seed"]).ok();
    assert!(second.stdout.contains("already present"), "{}", second.stdout);

    let id = sb
        .run_env(
            &["useradd", "--name", "Pat Doe", "--email", "pat@example.com"],
            &[("SALES_ADMIN_PASSWORD", "long enough")],
        )
        .ok()
        .stdout;
    let users = sb.run(&["users", "--json"]).ok().json();
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 3);
    assert!(
        users
            .iter()
            .any(|u| u["id"] == id.trim() && u["email"] == "pat@example.com"),
        "{users:?}"
    );

    let keys = dev_keys().display().to_string();
    let token = sb.run(&["gentoken", ADMIN_ID, "--keys-folder", &keys]).ok().stdout;
    let (kid, claims) = verify(token.trim(), &public_key_of(&dev_keys().join(format!("{DEV_KID}.pem"))));
    assert_eq!((kid.as_str(), &claims["sub"]), (DEV_KID, &serde_json::json!(ADMIN_ID)));
}

#[tokio::test]
async fn postgres_migrate_reports_what_it_applied() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let mut sb = Sandbox::new();
    sb.db_url = db.config.url.clone();
    // TestDb hands out a migrated database; forget the migrations to see them applied.
    if let sdk::DbPool::Postgres(p) = &db.pool {
        sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .execute(p)
            .await
            .unwrap();
    }
    let run = sb.run(&["migrate"]).ok();
    assert!(
        run.stdout.contains("PostgreSQL schema migrated: applied"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("0001 users"), "{}", run.stdout);
}

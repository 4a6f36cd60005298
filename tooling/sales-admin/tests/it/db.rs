use crate::support::{ADMIN_ID, Sandbox, USER_ID};

#[test]
fn migrate_seed_twice_is_idempotent() {
    let sb = Sandbox::new();
    let first = sb.run(&["migrate-seed"]).ok();
    assert!(first.stdout.contains("schema migrated: applied"), "{}", first.stdout);
    assert!(first.stdout.contains("users +2"), "{}", first.stdout);
    assert!(first.stdout.contains("SQLite"), "names the backend: {}", first.stdout);

    let second = sb.run(&["migrate-seed"]).ok();
    assert!(second.stdout.contains("schema is up to date"), "{}", second.stdout);
    assert!(second.stdout.contains("already present"), "{}", second.stdout);
    for (id, email) in [(ADMIN_ID, "admin@example.com"), (USER_ID, "user@example.com")] {
        assert!(
            second.stdout.contains(id) && second.stdout.contains(email),
            "lists {email}: {}",
            second.stdout
        );
    }
    assert_eq!(sb.run(&["users", "--json"]).ok().json().as_array().unwrap().len(), 2);
}

#[test]
fn seed_before_migrate_says_to_migrate() {
    let sb = Sandbox::new();
    // An existing but empty database file: no schema yet.
    std::fs::write(sb.dir.join("sales.db"), b"").unwrap();
    let line = sb.run(&["seed"]).fails();
    assert!(line.contains("sales-admin migrate"), "{line}");
}

#[test]
fn unsupported_url_names_the_variable() {
    let sb = Sandbox::new();
    let line = sb.run(&["--db-url", "mysql://localhost/sales", "migrate"]).fails();
    assert!(line.contains("SALES_DB_URL") && line.contains("mysql://"), "{line}");
}

#[test]
fn unreachable_postgres_says_what_to_check() {
    // Port 1 is never a PostgreSQL server; the password must not be echoed.
    let sb = Sandbox::new();
    let line = sb
        .run(&["--db-url", "postgres://postgres:hunter22@127.0.0.1:1/sales", "users"])
        .fails();
    assert!(
        line.contains("is PostgreSQL running") && line.contains("SALES_DB_URL"),
        "{line}"
    );
    assert!(!line.contains("hunter22"), "password leaked: {line}");
}

#[test]
fn commands_other_than_migrate_do_not_create_a_missing_sqlite_file() {
    let sb = Sandbox::new();
    for args in [&["users"][..], &["seed"], &["gentoken", ADMIN_ID]] {
        let line = sb.run(args).fails();
        assert!(
            line.contains("no SQLite database") && line.contains("migrate-seed"),
            "{line}"
        );
    }
    assert!(!sb.dir.join("sales.db").exists(), "no empty database file left behind");
    sb.run(&["migrate"]).ok();
    assert!(sb.dir.join("sales.db").exists());
}

use uuid::Uuid;

use crate::support::{ADMIN_ID, Sandbox, USER_ID};

#[test]
fn users_json_lists_the_two_seeded_users() {
    let users = Sandbox::seeded().run(&["users", "--json"]).ok().json();
    let users = users.as_array().expect("a JSON array");
    assert_eq!(users.len(), 2, "{users:?}");
    let find = |id: &str| {
        users
            .iter()
            .find(|u| u["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing: {users:?}"))
    };
    let admin = find(ADMIN_ID);
    assert_eq!(admin["email"], "admin@example.com");
    assert_eq!(admin["roles"], serde_json::json!(["ADMIN", "USER"]));
    assert_eq!(admin["enabled"], true);
    let user = find(USER_ID);
    assert_eq!(user["email"], "user@example.com");
    assert_eq!(user["roles"], serde_json::json!(["USER"]));
    for u in users {
        assert!(
            u.get("password").is_none() && u.get("passwordHash").is_none(),
            "no secrets: {u}"
        );
        assert!(u["dateCreated"].as_str().is_some_and(|t| t.ends_with('Z')), "{u}");
    }
}

#[test]
fn users_table_has_the_documented_columns() {
    let run = Sandbox::seeded().run(&["users"]).ok();
    let header = run.stdout.lines().find(|l| l.contains("email")).expect("a header row");
    for col in ["id", "name", "email", "roles", "enabled", "created"] {
        assert!(header.contains(col), "{col} missing: {header}");
    }
    assert!(
        run.stdout.contains("admin@example.com") && run.stdout.contains("ADMIN,USER"),
        "{}",
        run.stdout
    );
}

#[test]
fn users_pages() {
    let sb = Sandbox::seeded();
    let page2 = sb.run(&["users", "--json", "--rows", "1", "--page", "2"]).ok().json();
    assert_eq!(page2.as_array().unwrap().len(), 1);
    let page3 = sb.run(&["users", "--json", "--rows", "1", "--page", "3"]).ok().json();
    assert_eq!(page3, serde_json::json!([]));
    assert_eq!(
        sb.run(&["users", "--rows", "101"]).code,
        Some(2),
        "rows is 1..=100 as in the API"
    );
}

#[test]
fn useradd_then_users_shows_it() {
    let sb = Sandbox::seeded();
    let run = sb
        .run_env(
            &[
                "useradd",
                "--name",
                "Ann Lee",
                "--email",
                "Ann@Example.com",
                "--roles",
                "ADMIN,USER",
                "--department",
                "Toys",
            ],
            &[("SALES_ADMIN_PASSWORD", "long enough")],
        )
        .ok();
    let id: Uuid = run
        .stdout
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("stdout is not a UUID ({e}): {:?}", run.stdout));

    let users = sb.run(&["users", "--json"]).ok().json();
    let ann = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id.to_string())
        .expect("new user listed");
    assert_eq!(ann["name"], "Ann Lee");
    assert_eq!(ann["email"], "ann@example.com", "stored lowercase");
    assert_eq!(ann["roles"], serde_json::json!(["ADMIN", "USER"]));
    assert_eq!(ann["department"], "Toys");

    // The same email again is refused, whatever its case.
    let line = sb
        .run(&[
            "useradd",
            "--name",
            "Ann Two",
            "--email",
            "ANN@example.com",
            "--password",
            "long enough",
        ])
        .fails();
    assert!(line.contains("--email") && line.contains("already in use"), "{line}");
}

#[test]
fn useradd_with_a_bad_email_names_the_field() {
    let sb = Sandbox::seeded();
    let line = sb
        .run(&[
            "useradd",
            "--name",
            "Ann Lee",
            "--email",
            "not-an-email",
            "--password",
            "long enough",
        ])
        .fails();
    assert!(
        line.contains("--email") && line.contains("not a valid email address"),
        "{line}"
    );
    assert!(
        !line.contains("--name") && !line.contains("--password"),
        "only the bad field: {line}"
    );
    assert_eq!(
        sb.run(&["users", "--json"]).ok().json().as_array().unwrap().len(),
        2,
        "nothing created"
    );
}

#[test]
fn useradd_without_a_password_says_how_to_give_one() {
    let line = Sandbox::seeded()
        .run(&["useradd", "--name", "Ann Lee", "--email", "ann@example.com"])
        .fails();
    assert!(
        line.contains("--password") && line.contains("SALES_ADMIN_PASSWORD"),
        "{line}"
    );
}

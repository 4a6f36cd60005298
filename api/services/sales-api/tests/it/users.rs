use reqwest::Method;
use serde_json::{Value, json};
use types::Role;

use crate::harness::{ADMIN_ID, Case, TestApp, USER_ID, run_cases};

crate::both_backends!(
    users_table,
    user_lifecycle_is_audited,
    if_match_and_etag,
    concurrent_updates_with_same_if_match_one_wins,
    deleted_or_disabled_users_lose_access,
    list_filters_order_and_paging
);

fn has_items(n: usize) -> impl Fn(&Value) + Send + Sync {
    move |b: &Value| {
        assert_eq!(b["items"].as_array().map(Vec::len), Some(n), "{b}");
        assert!(
            b["total"].as_i64().is_some() && b["page"].as_u64().is_some() && b["rowsPerPage"].as_u64().is_some(),
            "{b}"
        );
    }
}

async fn users_table(app: TestApp) {
    let admin = app.admin_token().await;
    let user = app.user_token().await;
    let me = format!("/v1/users/{USER_ID}");
    let other = format!("/v1/users/{ADMIN_ID}");
    let missing = format!("/v1/users/{}", uuid::Uuid::new_v4());
    let cases = vec![
        Case::new("list as admin", Method::GET, "/v1/users", Some(&admin)).ok(200, has_items(2)),
        Case::new("list as user", Method::GET, "/v1/users", Some(&user)).err(403, "permission_denied", None),
        Case::new("list anonymous", Method::GET, "/v1/users", None).err(401, "unauthenticated", None),
        Case::new("bad rows", Method::GET, "/v1/users?rows=101", Some(&admin)).err(400, "invalid_argument", Some("rows")),
        Case::new("bad page", Method::GET, "/v1/users?page=0", Some(&admin)).err(400, "invalid_argument", Some("page")),
        Case::new("bad order", Method::GET, "/v1/users?orderBy=password", Some(&admin)).err(400, "invalid_argument", Some("orderBy")),
        Case::new("bad filter", Method::GET, "/v1/users?enabled=maybe", Some(&admin)).err(400, "invalid_argument", Some("enabled")),
        Case::new("bad date", Method::GET, "/v1/users?start_created_date=yesterday", Some(&admin)).err(400, "invalid_argument", Some("start_created_date")),
        Case::new("get self", Method::GET, me.clone(), Some(&user)).ok(200, |b| {
            assert_eq!(b["email"], "user@example.com");
            assert!(b.get("passwordHash").is_none() && b.get("password").is_none());
        }),
        Case::new("get other as user", Method::GET, other.clone(), Some(&user)).err(403, "permission_denied", None),
        Case::new("get other as admin", Method::GET, me.clone(), Some(&admin)).ok(200, |b| assert_eq!(b["id"], USER_ID)),
        Case::new("get missing", Method::GET, missing.clone(), Some(&admin)).err(404, "not_found", None),
        Case::new("get bad uuid", Method::GET, "/v1/users/not-a-uuid", Some(&admin)).err(400, "invalid_argument", Some("user_id")),
        Case::new("create as user", Method::POST, "/v1/users", Some(&user)).body(TestApp::new_user_body("a@b.com")).err(403, "permission_denied", None),
        Case::new("create invalid", Method::POST, "/v1/users", Some(&admin))
            .body(json!({"name": "B", "email": "nope", "roles": [], "password": "x", "passwordConfirm": "y"}))
            .err(400, "invalid_argument", Some("email")),
        Case::new("create unknown field", Method::POST, "/v1/users", Some(&admin))
            .body(json!({"name": "Bill", "email": "b@example.com", "roles": ["USER"], "password": "gophers123", "passwordConfirm": "gophers123", "admin": true}))
            .err(400, "invalid_argument", Some("admin")),
        Case::new("create wrong type", Method::POST, "/v1/users", Some(&admin))
            .body(json!({"name": 5, "email": "b@example.com", "roles": ["USER"], "password": "gophers123", "passwordConfirm": "gophers123"}))
            .err(400, "invalid_argument", Some("name")),
        Case::new("create duplicate email", Method::POST, "/v1/users", Some(&admin))
            .body(TestApp::new_user_body("User@Example.com"))
            .err(409, "already_exists", Some("email")),
        Case::new("update other as user", Method::PUT, other.clone(), Some(&user)).body(json!({"name": "Hacker"})).err(403, "permission_denied", None),
        Case::new("user cannot enable", Method::PUT, me.clone(), Some(&user)).body(json!({"enabled": false})).err(403, "permission_denied", None),
        Case::new("update missing", Method::PUT, missing.clone(), Some(&admin)).body(json!({"name": "Nobody"})).err(404, "not_found", None),
        Case::new("update bad name", Method::PUT, me.clone(), Some(&user)).body(json!({"name": " x "})).err(400, "invalid_argument", Some("name")),
        Case::new("update password mismatch", Method::PUT, me.clone(), Some(&user))
            .body(json!({"password": "longenough1", "passwordConfirm": "longenough2"}))
            .err(400, "invalid_argument", Some("passwordConfirm")),
        Case::new("update email taken", Method::PUT, me.clone(), Some(&user)).body(json!({"email": "admin@example.com"})).err(409, "already_exists", Some("email")),
        Case::new("role as user", Method::PUT, format!("/v1/users/role/{USER_ID}"), Some(&user)).body(json!({"roles": ["ADMIN"]})).err(403, "permission_denied", None),
        Case::new("role invalid", Method::PUT, format!("/v1/users/role/{USER_ID}"), Some(&admin)).body(json!({"roles": ["ROOT"]})).err(400, "invalid_argument", Some("roles")),
        Case::new("role missing user", Method::PUT, format!("/v1/users/role/{}", uuid::Uuid::new_v4()), Some(&admin)).body(json!({"roles": ["USER"]})).err(404, "not_found", None),
        Case::new("delete other as user", Method::DELETE, other.clone(), Some(&user)).err(403, "permission_denied", None),
        Case::new("delete missing", Method::DELETE, missing, Some(&admin)).err(404, "not_found", None),
        Case::new("update self", Method::PUT, me.clone(), Some(&user)).body(json!({"name": "Renamed User", "department": "Sales"})).ok(200, |b| {
            assert_eq!(b["name"], "Renamed User");
            assert_eq!(b["department"], "Sales");
            assert_eq!(b["version"], 2);
        }),
        Case::new("role change by admin", Method::PUT, format!("/v1/users/role/{USER_ID}"), Some(&admin)).body(json!({"roles": ["USER", "ADMIN"]})).ok(200, |b| {
            assert_eq!(b["roles"], json!(["ADMIN", "USER"]));
        }),
    ];
    run_cases(&app, cases).await;
}

async fn user_lifecycle_is_audited(app: TestApp) {
    let admin = app.admin_token().await;
    let r = app
        .post("/v1/users", Some(&admin), TestApp::new_user_body("Bill@Example.com"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.header("location"), Some(format!("/v1/users/{id}").as_str()));
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(r.body["email"], "bill@example.com", "stored lowercase");
    assert_eq!(r.body["roles"], json!(["USER"]));
    assert_eq!(r.body["enabled"], true);

    // The new user can log in and read themselves, but not the list.
    let login = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": "bill@example.com", "password": "gophers123"}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let token = login.body["accessToken"].as_str().unwrap().to_string();
    assert_eq!(app.get(&format!("/v1/users/{id}"), Some(&token)).await.status, 200);
    app.get("/v1/users", Some(&token))
        .await
        .assert_error(403, "permission_denied", None);

    // They change their own password; the old one stops working.
    let r = app
        .put(
            &format!("/v1/users/{id}"),
            Some(&token),
            json!({"password": "newpassword1", "passwordConfirm": "newpassword1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let old = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": "bill@example.com", "password": "gophers123"}),
        )
        .await;
    old.assert_error(401, "unauthenticated", None);
    assert_eq!(
        app.post(
            "/v1/auth/login",
            None,
            json!({"email": "bill@example.com", "password": "newpassword1"})
        )
        .await
        .status,
        200
    );

    // They delete themselves.
    assert_eq!(app.delete(&format!("/v1/users/{id}"), Some(&token)).await.status, 204);
    app.get(&format!("/v1/users/{id}"), Some(&admin))
        .await
        .assert_error(404, "not_found", None);

    // Every change is in the audit trail, with no secrets.
    let audits = app
        .get(&format!("/v1/audits?obj_id={id}&orderBy=timestamp,ASC"), Some(&admin))
        .await;
    assert_eq!(audits.status, 200, "{}", audits.body);
    let items = audits.body["items"].as_array().unwrap();
    let actions: Vec<&str> = items.iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["created", "updated", "deleted"], "{}", audits.body);
    assert_eq!(items[0]["actorID"], ADMIN_ID);
    assert_eq!(items[1]["actorID"], id.as_str());
    assert_eq!(items[0]["objDomain"], "USER");
    let text = audits.body.to_string();
    for secret in ["gophers123", "newpassword1", "argon2"] {
        assert!(!text.contains(secret), "secret {secret:?} in audits: {text}");
    }
    assert_eq!(audits.body["total"], 3);
    // Audits are for admins only; filters are validated.
    app.get("/v1/audits", Some(&app.user_token().await))
        .await
        .assert_error(403, "permission_denied", None);
    app.get("/v1/audits?obj_domain=CAR", Some(&admin))
        .await
        .assert_error(400, "invalid_argument", Some("obj_domain"));
    let by_actor = app
        .get(&format!("/v1/audits?actor_id={id}&obj_domain=USER"), Some(&admin))
        .await;
    assert_eq!(by_actor.body["total"], 2, "{}", by_actor.body);
}

async fn if_match_and_etag(app: TestApp) {
    let admin = app.admin_token().await;
    let path = format!("/v1/users/{USER_ID}");
    let r = app.get(&path, Some(&admin)).await;
    assert_eq!(r.header("etag"), Some("\"1\""));
    let put = |if_match: &'static str, name: &'static str| {
        app.client
            .put(app.url(&path))
            .bearer_auth(&admin)
            .header("If-Match", if_match)
            .json(&json!({"name": name}))
    };
    let r = app.send(put("\"7\"", "Stale")).await;
    r.assert_error(412, "failed_precondition", None);
    let r = app.send(put("\"1\"", "Fresh Name")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("etag"), Some("\"2\""));
    let r = app.send(put("\"1\"", "Again")).await;
    r.assert_error(412, "failed_precondition", None);
    let r = app.send(put("garbage", "Again")).await;
    r.assert_error(400, "invalid_argument", Some("If-Match"));
    // A refused change writes nothing, not even an audit row.
    let audits = app.get(&format!("/v1/audits?obj_id={USER_ID}"), Some(&admin)).await;
    assert_eq!(audits.body["total"], 1, "{}", audits.body);
    let r = app
        .send(
            app.client
                .delete(app.url(&path))
                .bearer_auth(&admin)
                .header("If-Match", "\"1\""),
        )
        .await;
    r.assert_error(412, "failed_precondition", None);
    assert_eq!(app.get(&path, Some(&admin)).await.body["name"], "Fresh Name");
}

async fn concurrent_updates_with_same_if_match_one_wins(app: TestApp) {
    let admin = app.admin_token().await;
    let path = format!("/v1/users/{USER_ID}");
    let mut tasks = Vec::new();
    for i in 0..8 {
        let req = app
            .client
            .put(app.url(&path))
            .bearer_auth(&admin)
            .header("If-Match", "\"1\"")
            .json(&json!({"name": format!("Racer {i}")}));
        tasks.push(tokio::spawn(async move { req.send().await.unwrap().status().as_u16() }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 7, "{statuses:?}");
    assert_eq!(app.get(&path, Some(&admin)).await.body["version"], 2);
}

async fn deleted_or_disabled_users_lose_access(app: TestApp) {
    let admin = app.admin_token().await;
    let (disabled, token_d) = app.create_user(&[Role::User]).await;
    let (deleted, token_x) = app.create_user(&[Role::User]).await;
    assert_eq!(
        app.get(&format!("/v1/users/{disabled}"), Some(&token_d)).await.status,
        200
    );
    let r = app
        .put(
            &format!("/v1/users/{disabled}"),
            Some(&admin),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["enabled"], false);
    app.get(&format!("/v1/users/{disabled}"), Some(&token_d))
        .await
        .assert_error(401, "unauthenticated", None);
    assert_eq!(
        app.delete(&format!("/v1/users/{deleted}"), Some(&admin)).await.status,
        204
    );
    app.get(&format!("/v1/users/{deleted}"), Some(&token_x))
        .await
        .assert_error(401, "unauthenticated", None);
    // A deleted user's email can be registered again.
    let email = app
        .deps
        .users
        .query(&Default::default(), userbus::DEFAULT_ORDER, sdk::Page::new(1, 100))
        .await
        .unwrap()
        .len();
    assert_eq!(email, 3, "admin, user and the disabled one remain");
}

async fn list_filters_order_and_paging(app: TestApp) {
    let admin = app.admin_token().await;
    for i in 0..5 {
        let r = app
            .post(
                "/v1/users",
                Some(&admin),
                TestApp::new_user_body(&format!("paging{i}@example.com")),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = app
        .get("/v1/users?rows=3&page=2&orderBy=email,DESC", Some(&admin))
        .await;
    assert_eq!(r.body["total"], 7);
    assert_eq!(r.body["page"], 2);
    assert_eq!(r.body["rowsPerPage"], 3);
    let emails: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["paging2@example.com", "paging1@example.com", "paging0@example.com"]
    );

    let r = app.get("/v1/users?email=USER@example.com", Some(&admin)).await;
    assert_eq!(r.body["total"], 1, "{}", r.body);
    let r = app.get("/v1/users?role=ADMIN", Some(&admin)).await;
    assert_eq!(r.body["total"], 1, "{}", r.body);
    let r = app.get("/v1/users?name=gopher", Some(&admin)).await;
    assert_eq!(r.body["total"], 2, "case-insensitive substring: {}", r.body);
    let r = app.get("/v1/users?name=%25", Some(&admin)).await;
    assert_eq!(r.body["total"], 0, "% is literal: {}", r.body);
    let r = app
        .get(
            "/v1/users?start_created_date=2026-01-01T00:00:00Z&end_created_date=2026-01-01T00:00:00Z",
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["total"], 2, "date range is inclusive: {}", r.body);
    let r = app
        .get("/v1/users?enabled=true&role=USER&orderBy=name", Some(&admin))
        .await;
    assert_eq!(r.body["total"], 7, "{}", r.body);
}

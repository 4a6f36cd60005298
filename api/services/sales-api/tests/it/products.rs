use reqwest::Method;
use serde_json::{Value, json};
use types::Role;

use crate::harness::{ADMIN_ID, Case, TestApp, USER_ID, run_cases};

crate::both_backends!(
    products_table,
    product_updates_are_independent_and_audited,
    product_if_match_race_one_wins,
    product_lists_filter_and_order,
    deleting_a_user_takes_their_products_off_sale
);

pub async fn create_product(app: &TestApp, token: &str, name: &str, cost: f64, quantity: i64) -> Value {
    let r = app
        .post(
            "/v1/products",
            Some(token),
            json!({"name": name, "cost": cost, "quantity": quantity}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn products_table(app: TestApp) {
    let user = app.user_token().await;
    let admin = app.admin_token().await;
    let (_, other) = app.create_user(&[Role::User]).await;
    let (_, admin_only) = app.create_user(&[Role::Admin]).await;
    let p = create_product(&app, &user, "Comic Books", 12.5, 3).await;
    let id = p["id"].as_str().unwrap().to_string();
    let path = format!("/v1/products/{id}");
    let missing = format!("/v1/products/{}", uuid::Uuid::new_v4());
    let cases = vec![
        Case::new("list anonymous", Method::GET, "/v1/products", None).err(401, "unauthenticated", None),
        Case::new("list as user", Method::GET, "/v1/products", Some(&other))
            .ok(200, |b| assert!(b["total"].as_i64().unwrap() >= 1, "{b}")),
        Case::new("get", Method::GET, path.clone(), Some(&other)).ok(200, |b| {
            assert_eq!(b["name"], "Comic Books");
            assert_eq!(b["cost"], 12.5);
            assert_eq!(b["quantity"], 3);
            assert_eq!(b["userID"], USER_ID);
            assert_eq!(b["version"], 1);
        }),
        Case::new("get missing", Method::GET, missing.clone(), Some(&user)).err(404, "not_found", None),
        Case::new("get bad id", Method::GET, "/v1/products/42", Some(&user)).err(
            400,
            "invalid_argument",
            Some("product_id"),
        ),
        Case::new("create as admin-only", Method::POST, "/v1/products", Some(&admin_only))
            .body(json!({"name": "Lamp", "cost": 1, "quantity": 1}))
            .err(403, "permission_denied", None),
        Case::new("create invalid", Method::POST, "/v1/products", Some(&user))
            .body(json!({"name": "L", "cost": 0, "quantity": 0}))
            .err(400, "invalid_argument", Some("quantity")),
        Case::new("create 3 decimals", Method::POST, "/v1/products", Some(&user))
            .body(json!({"name": "Lamp", "cost": 1.234, "quantity": 1}))
            .err(400, "invalid_argument", Some("cost")),
        Case::new("create cost too high", Method::POST, "/v1/products", Some(&user))
            .body(json!({"name": "Lamp", "cost": 1000000.01, "quantity": 1}))
            .err(400, "invalid_argument", Some("cost")),
        Case::new("create missing field", Method::POST, "/v1/products", Some(&user))
            .body(json!({"name": "Lamp", "cost": 1}))
            .err(400, "invalid_argument", Some("quantity")),
        Case::new(
            "create sets owner from token",
            Method::POST,
            "/v1/products",
            Some(&user),
        )
        .body(json!({"name": "Lamp", "cost": 0.1, "quantity": 1000000}))
        .ok(201, |b| {
            assert_eq!(b["userID"], USER_ID);
            assert_eq!(b["cost"], 0.1);
        }),
        Case::new("update by other", Method::PUT, path.clone(), Some(&other))
            .body(json!({"name": "Mine Now"}))
            .err(403, "permission_denied", None),
        Case::new("update missing", Method::PUT, missing.clone(), Some(&user))
            .body(json!({"name": "Ghost"}))
            .err(404, "not_found", None),
        Case::new("update bad quantity", Method::PUT, path.clone(), Some(&user))
            .body(json!({"quantity": -1}))
            .err(400, "invalid_argument", Some("quantity")),
        Case::new("update unknown field", Method::PUT, path.clone(), Some(&user))
            .body(json!({"userID": ADMIN_ID}))
            .err(400, "invalid_argument", Some("userID")),
        Case::new("update by admin", Method::PUT, path.clone(), Some(&admin))
            .body(json!({"quantity": 0}))
            .ok(200, |b| {
                assert_eq!(b["quantity"], 0);
                assert_eq!(b["version"], 2);
            }),
        Case::new("vproducts as user", Method::GET, "/v1/vproducts", Some(&user)).err(403, "permission_denied", None),
        Case::new(
            "vproducts as admin",
            Method::GET,
            "/v1/vproducts?user_name=user%20gopher",
            Some(&admin),
        )
        .ok(200, |b| {
            let items = b["items"].as_array().unwrap();
            assert!(!items.is_empty(), "{b}");
            assert!(
                items
                    .iter()
                    .all(|i| i["userName"] == "User Gopher" && i["userID"] == USER_ID),
                "{b}"
            );
        }),
        Case::new("delete by other", Method::DELETE, path.clone(), Some(&other)).err(403, "permission_denied", None),
        Case::new("delete by owner", Method::DELETE, path.clone(), Some(&user)).ok(204, |_| {}),
        Case::new("deleted is gone", Method::GET, path.clone(), Some(&user)).err(404, "not_found", None),
        Case::new("delete again", Method::DELETE, path, Some(&user)).err(404, "not_found", None),
    ];
    run_cases(&app, cases).await;
}

async fn product_updates_are_independent_and_audited(app: TestApp) {
    let user = app.user_token().await;
    let admin = app.admin_token().await;
    let p = create_product(&app, &user, "Bicycle", 80.0, 2).await;
    let path = format!("/v1/products/{}", p["id"].as_str().unwrap());
    let r = app.put(&path, Some(&user), json!({"quantity": 7})).await;
    assert_eq!(
        (
            r.body["name"].clone(),
            r.body["cost"].clone(),
            r.body["quantity"].clone()
        ),
        (json!("Bicycle"), json!(80.0), json!(7))
    );
    let r = app.put(&path, Some(&user), json!({"cost": 75.99})).await;
    assert_eq!(
        (
            r.body["cost"].clone(),
            r.body["quantity"].clone(),
            r.body["version"].clone()
        ),
        (json!(75.99), json!(7), json!(3))
    );
    assert_eq!(r.header("etag"), Some("\"3\""));
    let audits = app
        .get(
            &format!("/v1/audits?obj_id={}&orderBy=timestamp,ASC", p["id"].as_str().unwrap()),
            Some(&admin),
        )
        .await;
    let items = audits.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", audits.body);
    assert_eq!(items[0]["objDomain"], "PRODUCT");
    assert_eq!(items[1]["data"], json!({"quantity": 7}));
    assert_eq!(items[2]["data"], json!({"cost": 75.99}));
}

async fn product_if_match_race_one_wins(app: TestApp) {
    let user = app.user_token().await;
    let p = create_product(&app, &user, "Record Player", 30.0, 1).await;
    let path = format!("/v1/products/{}", p["id"].as_str().unwrap());
    let mut tasks = Vec::new();
    for i in 0..2 {
        let req = app
            .client
            .put(app.url(&path))
            .bearer_auth(&user)
            .header("If-Match", "\"1\"")
            .json(&json!({"cost": 10 + i}));
        tasks.push(tokio::spawn(async move { req.send().await.unwrap().status().as_u16() }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    let r = app
        .send(
            app.client
                .delete(app.url(&path))
                .bearer_auth(&user)
                .header("If-Match", "\"1\""),
        )
        .await;
    r.assert_error(412, "failed_precondition", None);
}

async fn product_lists_filter_and_order(app: TestApp) {
    let user = app.user_token().await;
    let (_, other) = app.create_user(&[Role::User]).await;
    create_product(&app, &user, "Alpha Lamp", 5.0, 1).await;
    create_product(&app, &user, "beta lamp", 15.5, 1).await;
    let empty = create_product(&app, &other, "Gamma Chair", 25.0, 4).await;
    app.put(
        &format!("/v1/products/{}", empty["id"].as_str().unwrap()),
        Some(&other),
        json!({"quantity": 0}),
    )
    .await;

    let names = |b: &Value| {
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let r = app.get("/v1/products?name=LAMP&orderBy=cost,DESC", Some(&user)).await;
    assert_eq!(names(&r.body), ["beta lamp", "Alpha Lamp"], "{}", r.body);
    assert_eq!(r.body["total"], 2);
    let r = app
        .get("/v1/products?min_cost=5&max_cost=15.5&name=lamp", Some(&user))
        .await;
    assert_eq!(r.body["total"], 2, "inclusive bounds: {}", r.body);
    let r = app.get("/v1/products?in_stock=false&name=chair", Some(&user)).await;
    assert_eq!(names(&r.body), ["Gamma Chair"]);
    let r = app.get("/v1/products?in_stock=true&name=chair", Some(&user)).await;
    assert_eq!(r.body["total"], 0);
    let r = app
        .get(
            &format!("/v1/products?user_id={USER_ID}&orderBy=name&rows=1&page=1&name=lamp"),
            Some(&user),
        )
        .await;
    assert_eq!(names(&r.body), ["Alpha Lamp"], "{}", r.body);
    assert_eq!(r.body["total"], 2);
    app.get("/v1/products?min_cost=abc", Some(&user))
        .await
        .assert_error(400, "invalid_argument", Some("min_cost"));
    // A NUL cannot reach PostgreSQL (it refuses it in text: that was a 500).
    app.get("/v1/products?name=a%00b", Some(&user))
        .await
        .assert_error(400, "invalid_argument", Some("name"));
    app.get("/v1/products?orderBy=secret", Some(&user))
        .await
        .assert_error(400, "invalid_argument", Some("orderBy"));
    app.get("/v1/products?in_stock=perhaps", Some(&user))
        .await
        .assert_error(400, "invalid_argument", Some("in_stock"));
}

async fn deleting_a_user_takes_their_products_off_sale(app: TestApp) {
    let admin = app.admin_token().await;
    let (seller, seller_token) = app.create_user(&[Role::User]).await;
    let p = create_product(&app, &seller_token, "Old Sofa", 40.0, 1).await;
    let r = app
        .post(
            "/v1/sales",
            Some(&admin),
            json!({"lines": [{"productID": p["id"], "quantity": 1}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let sale_id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.delete(&format!("/v1/users/{seller}"), Some(&admin)).await.status,
        204
    );
    app.get(&format!("/v1/products/{}", p["id"].as_str().unwrap()), Some(&admin))
        .await
        .assert_error(404, "not_found", None);
    // The history stays readable.
    let sale = app.get(&format!("/v1/sales/{sale_id}"), Some(&admin)).await;
    assert_eq!(sale.status, 200, "{}", sale.body);
    assert_eq!(sale.body["lines"][0]["name"], "Old Sofa");
}

use reqwest::Method;
use serde_json::{Value, json};
use types::Role;

use crate::{
    harness::{ADMIN_ID, Case, TestApp, run_cases},
    products::create_product,
};

crate::both_backends!(
    sales_table,
    insufficient_stock_changes_nothing,
    cancel_restores_stock_once,
    idempotency_key_replays_and_refuses,
    concurrent_same_idempotency_key_sells_once,
    thirty_buyers_ten_units_never_oversell,
    opposite_order_two_line_sales_never_deadlock,
    sales_report_per_product
);

fn sale(lines: &[(&Value, i64)]) -> Value {
    json!({"lines": lines.iter().map(|(p, q)| json!({"productID": p["id"], "quantity": q})).collect::<Vec<_>>()})
}

async fn quantity(app: &TestApp, token: &str, product: &Value) -> i64 {
    let r = app
        .get(
            &format!("/v1/products/{}", product["id"].as_str().unwrap()),
            Some(token),
        )
        .await;
    r.body["quantity"].as_i64().unwrap_or_else(|| panic!("{}", r.body))
}

async fn sales_table(app: TestApp) {
    let (_, seller) = app.create_user(&[Role::User]).await;
    let (buyer_id, buyer) = app.create_user(&[Role::User]).await;
    let (_, stranger) = app.create_user(&[Role::User]).await;
    let admin = app.admin_token().await;
    let lamp = create_product(&app, &seller, "Lamp", 12.5, 5).await;
    let chair = create_product(&app, &seller, "Chair", 20.0, 5).await;

    let r = app
        .post("/v1/sales", Some(&buyer), sale(&[(&lamp, 2), (&chair, 1)]))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.header("location"), Some(format!("/v1/sales/{id}").as_str()));
    assert_eq!(r.body["userID"], buyer_id.to_string());
    assert_eq!(r.body["status"], "COMPLETED");
    assert_eq!(r.body["total"], 45.0);
    assert_eq!(
        r.body["lines"][0],
        json!({"productID": lamp["id"], "name": "Lamp", "quantity": 2, "unitCost": 12.5, "lineTotal": 25.0})
    );
    assert_eq!(quantity(&app, &seller, &lamp).await, 3);

    let path = format!("/v1/sales/{id}");
    let missing_product = json!({"id": uuid::Uuid::new_v4()});
    let cases = vec![
        Case::new("anonymous", Method::POST, "/v1/sales", None)
            .body(sale(&[(&lamp, 1)]))
            .err(401, "unauthenticated", None),
        Case::new("no lines", Method::POST, "/v1/sales", Some(&buyer))
            .body(json!({"lines": []}))
            .err(400, "invalid_argument", Some("lines")),
        Case::new("zero quantity", Method::POST, "/v1/sales", Some(&buyer))
            .body(sale(&[(&lamp, 0)]))
            .err(400, "invalid_argument", Some("lines[0].quantity")),
        Case::new("duplicate product", Method::POST, "/v1/sales", Some(&buyer))
            .body(sale(&[(&lamp, 1), (&lamp, 1)]))
            .err(400, "invalid_argument", Some("lines[1].productID")),
        Case::new("bad product id", Method::POST, "/v1/sales", Some(&buyer))
            .body(json!({"lines": [{"productID": "x", "quantity": 1}]}))
            .err(400, "invalid_argument", Some("lines[0].productID")),
        Case::new("unknown product", Method::POST, "/v1/sales", Some(&buyer))
            .body(sale(&[(&lamp, 1), (&missing_product, 1)]))
            .err(400, "invalid_argument", Some("lines[1].productID")),
        Case::new("get as buyer", Method::GET, path.clone(), Some(&buyer))
            .ok(200, |b| assert_eq!(b["lines"].as_array().unwrap().len(), 2)),
        Case::new("get as seller", Method::GET, path.clone(), Some(&seller))
            .ok(200, |b| assert_eq!(b["status"], "COMPLETED")),
        Case::new("get as admin", Method::GET, path.clone(), Some(&admin)).ok(200, |_| {}),
        Case::new("get as stranger", Method::GET, path.clone(), Some(&stranger)).err(403, "permission_denied", None),
        Case::new(
            "get missing",
            Method::GET,
            format!("/v1/sales/{}", uuid::Uuid::new_v4()),
            Some(&admin),
        )
        .err(404, "not_found", None),
        Case::new("get bad id", Method::GET, "/v1/sales/nope", Some(&admin)).err(
            400,
            "invalid_argument",
            Some("sale_id"),
        ),
        Case::new("list as stranger", Method::GET, "/v1/sales", Some(&stranger))
            .ok(200, |b| assert_eq!(b["total"], 0, "{b}")),
        Case::new("list as seller", Method::GET, "/v1/sales", Some(&seller))
            .ok(200, |b| assert_eq!(b["total"], 1, "{b}")),
        Case::new(
            "list as buyer by product",
            Method::GET,
            format!("/v1/sales?product_id={}", chair["id"].as_str().unwrap()),
            Some(&buyer),
        )
        .ok(200, |b| assert_eq!(b["total"], 1, "{b}")),
        Case::new("list bad status", Method::GET, "/v1/sales?status=DONE", Some(&admin)).err(
            400,
            "invalid_argument",
            Some("status"),
        ),
        Case::new(
            "list bad order",
            Method::GET,
            "/v1/sales?orderBy=total,UP",
            Some(&admin),
        )
        .err(400, "invalid_argument", Some("orderBy")),
        Case::new(
            "cancel as seller",
            Method::POST,
            format!("{path}/cancel"),
            Some(&seller),
        )
        .err(403, "permission_denied", None),
        Case::new(
            "cancel missing",
            Method::POST,
            format!("/v1/sales/{}/cancel", uuid::Uuid::new_v4()),
            Some(&admin),
        )
        .err(404, "not_found", None),
    ];
    run_cases(&app, cases).await;
    let r = app
        .get(
            &format!("/v1/sales?status=COMPLETED&user_id={buyer_id}&orderBy=total,DESC"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.body["total"], 1, "{}", r.body);
}

async fn insufficient_stock_changes_nothing(app: TestApp) {
    let (_, seller) = app.create_user(&[Role::User]).await;
    let buyer = app.user_token().await;
    let admin = app.admin_token().await;
    let a = create_product(&app, &seller, "Vase", 3.0, 2).await;
    let b = create_product(&app, &seller, "Rug", 9.0, 1).await;
    let c = create_product(&app, &seller, "Mirror", 4.0, 10).await;
    let r = app
        .post("/v1/sales", Some(&buyer), sale(&[(&c, 1), (&a, 3), (&b, 2)]))
        .await;
    r.assert_error(409, "insufficient_stock", Some("lines[1].quantity"));
    let fields: Vec<&str> = r.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["lines[1].quantity", "lines[2].quantity"], "{}", r.body);
    assert_eq!(
        (
            quantity(&app, &seller, &a).await,
            quantity(&app, &seller, &b).await,
            quantity(&app, &seller, &c).await
        ),
        (2, 1, 10)
    );
    let sales = app.get("/v1/sales", Some(&admin)).await;
    assert_eq!(sales.body["total"], 0, "{}", sales.body);
    let audits = app.get("/v1/audits?obj_domain=SALE", Some(&admin)).await;
    assert_eq!(
        audits.body["total"], 0,
        "a refused sale leaves no audit row: {}",
        audits.body
    );
}

async fn cancel_restores_stock_once(app: TestApp) {
    let (_, seller) = app.create_user(&[Role::User]).await;
    let buyer = app.user_token().await;
    let admin = app.admin_token().await;
    let p = create_product(&app, &seller, "Toaster", 15.0, 4).await;
    let r = app.post("/v1/sales", Some(&buyer), sale(&[(&p, 3)])).await;
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(quantity(&app, &seller, &p).await, 1);
    let c = app
        .post(&format!("/v1/sales/{id}/cancel"), Some(&buyer), json!({}))
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["status"], "CANCELLED");
    assert_eq!(c.body["version"], 2);
    assert_eq!(quantity(&app, &seller, &p).await, 4);
    app.post(&format!("/v1/sales/{id}/cancel"), Some(&admin), json!({}))
        .await
        .assert_error(409, "aborted", None);
    assert_eq!(quantity(&app, &seller, &p).await, 4, "a second cancel restocks nothing");
    let audits = app
        .get(&format!("/v1/audits?obj_id={id}&orderBy=timestamp,ASC"), Some(&admin))
        .await;
    let actions: Vec<&str> = audits.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "cancelled"], "{}", audits.body);
}

async fn idempotency_key_replays_and_refuses(app: TestApp) {
    let (_, seller) = app.create_user(&[Role::User]).await;
    let buyer = app.user_token().await;
    let p = create_product(&app, &seller, "Kettle", 8.0, 10).await;
    let post = |body: Value, key: &'static str| {
        app.client
            .post(app.url("/v1/sales"))
            .bearer_auth(&buyer)
            .header("Idempotency-Key", key)
            .json(&body)
    };
    let first = app.send(post(sale(&[(&p, 2)]), "order-42")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(first.header("idempotent-replayed").is_none());
    let again = app.send(post(sale(&[(&p, 2)]), "order-42")).await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(quantity(&app, &seller, &p).await, 8, "sold once");
    app.send(post(sale(&[(&p, 3)]), "order-42"))
        .await
        .assert_error(422, "unprocessable", None);
    app.send(post(sale(&[(&p, 1)]), "has space"))
        .await
        .assert_error(400, "invalid_argument", Some("Idempotency-Key"));
    // Keys are scoped per buyer: another buyer with the same key makes a new sale.
    let admin = app.admin_token().await;
    let other = app
        .send(
            app.client
                .post(app.url("/v1/sales"))
                .bearer_auth(&admin)
                .header("Idempotency-Key", "order-42")
                .json(&sale(&[(&p, 2)])),
        )
        .await;
    assert_eq!(other.status, 201);
    assert_ne!(other.body["id"], first.body["id"]);
    assert_eq!(quantity(&app, &seller, &p).await, 6);
}

async fn concurrent_same_idempotency_key_sells_once(app: TestApp) {
    let (_, seller) = app.create_user(&[Role::User]).await;
    let buyer = app.user_token().await;
    let p = create_product(&app, &seller, "Clock", 5.0, 100).await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let req = app
            .client
            .post(app.url("/v1/sales"))
            .bearer_auth(&buyer)
            .header("Idempotency-Key", "same-key")
            .json(&sale(&[(&p, 1)]));
        tasks.push(tokio::spawn(async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (status, body)
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert!(
            status == 201 || (status == 409 && body["code"] == "aborted"),
            "{status} {body}"
        );
        if status == 201 {
            ids.insert(body["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(ids.len(), 1, "one sale for one key: {ids:?}");
    assert_eq!(quantity(&app, &seller, &p).await, 99, "stock decremented once");
}

async fn thirty_buyers_ten_units_never_oversell(app: TestApp) {
    let (_, seller) = app.create_user(&[Role::User]).await;
    let p = create_product(&app, &seller, "Hot Item", 1.0, 10).await;
    let mut buyers = Vec::new();
    for _ in 0..30 {
        buyers.push(app.create_user(&[Role::User]).await.1);
    }
    let mut tasks = Vec::new();
    for token in buyers {
        let req = app
            .client
            .post(app.url("/v1/sales"))
            .bearer_auth(&token)
            .json(&sale(&[(&p, 1)]));
        tasks.push(tokio::spawn(async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, body)
        }));
    }
    let (mut ok, mut short) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            201 => ok += 1,
            409 => {
                assert_eq!(body["code"], "insufficient_stock", "{body}");
                short += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, short), (10, 20));
    assert_eq!(quantity(&app, &seller, &p).await, 0);
}

async fn opposite_order_two_line_sales_never_deadlock(app: TestApp) {
    let (_, seller) = app.create_user(&[Role::User]).await;
    let buyer = app.user_token().await;
    let a = create_product(&app, &seller, "Left Shoe", 2.0, 100).await;
    let b = create_product(&app, &seller, "Right Shoe", 3.0, 100).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let body = if i % 2 == 0 {
            sale(&[(&a, 1), (&b, 2)])
        } else {
            sale(&[(&b, 2), (&a, 1)])
        };
        let req = app.client.post(app.url("/v1/sales")).bearer_auth(&buyer).json(&body);
        tasks.push(tokio::spawn(async move { req.send().await.unwrap().status().as_u16() }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    assert_eq!(
        (quantity(&app, &seller, &a).await, quantity(&app, &seller, &b).await),
        (60, 20)
    );
}

async fn sales_report_per_product(app: TestApp) {
    let (seller_id, seller) = app.create_user(&[Role::User]).await;
    let (_, other_seller) = app.create_user(&[Role::User]).await;
    let buyer = app.user_token().await;
    let admin = app.admin_token().await;
    let a = create_product(&app, &seller, "Guitar", 100.0, 10).await;
    let b = create_product(&app, &other_seller, "Drum", 50.0, 10).await;
    app.post("/v1/sales", Some(&buyer), sale(&[(&a, 2), (&b, 1)])).await;
    let cancelled = app.post("/v1/sales", Some(&buyer), sale(&[(&a, 5)])).await;
    app.post(
        &format!("/v1/sales/{}/cancel", cancelled.body["id"].as_str().unwrap()),
        Some(&buyer),
        json!({}),
    )
    .await;

    let r = app.get("/v1/reports/sales", Some(&admin)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.body["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{}", r.body);
    assert_eq!(rows[0]["productID"], a["id"]);
    assert_eq!(rows[0]["unitsSold"], 2, "cancelled sales do not count");
    assert_eq!(rows[0]["revenue"], 200.0);
    assert_eq!(rows[0]["userID"], seller_id.to_string());
    assert!(rows[0]["userName"].as_str().is_some());
    let mine = app.get("/v1/reports/sales", Some(&seller)).await;
    assert_eq!(mine.body["total"], 1, "sellers see their own products: {}", mine.body);
    let by_units = app.get("/v1/reports/sales?orderBy=units_sold,ASC", Some(&admin)).await;
    assert_eq!(by_units.body["items"][0]["productID"], b["id"]);
    app.get("/v1/reports/sales?orderBy=profit", Some(&admin))
        .await
        .assert_error(400, "invalid_argument", Some("orderBy"));
    let _ = ADMIN_ID;
}

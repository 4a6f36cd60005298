//! `/v1/{{ c.n.plural }}` (made by `sales-admin domain new {{ c.n.name }}`): rules, validation,
//! versions and audit, on both backends.

use reqwest::Method;
use serde_json::{Value, json};
use types::Role;

use crate::harness::{ADMIN_ID, Case, TestApp, USER_ID, run_cases};

crate::both_backends!(
    {{ c.n.plural }}_table,
    {{ c.n.plural }}_updates_are_audited,
    {{ c.n.plural }}_if_match_race_one_wins,
    {{ c.n.plural }}_list_filter_order_page,
);

/// Creates a {{ c.n.name }} as the holder of `token`; returns its JSON.
pub async fn create_{{ c.n.name }}(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/v1/{{ c.n.plural }}", Some(token), body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// The JSON body of test item `i` (0, 1 or 2); `third` is a third user's id.
fn item(i: usize, {% if !c.has_user %}_{% endif %}third: &str) -> Value {
    match i {
{%- for item in c.api_items %}
        {% if loop.last %}_{% else %}{{ loop.index0 }}{% endif %} => json!({ {%- for v in item %}"{{ v.json }}": {{ v.json_value }}, {% endfor -%} }),
{%- endfor %}
    }
}

async fn {{ c.n.plural }}_table(app: TestApp) {
    let user = app.user_token().await;
    let admin = app.admin_token().await;
    let (third, other) = app.create_user(&[Role::User]).await;
    let third = third.to_string();
    let (_, admin_only) = app.create_user(&[Role::Admin]).await;
    let created = create_{{ c.n.name }}(&app, &user, item(0, &third)).await;
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/v1/{{ c.n.plural }}/{id}");
    let missing = format!("/v1/{{ c.n.plural }}/{}", uuid::Uuid::new_v4());
    let mut invalid = item(1, &third);
    invalid["{{ c.first.json }}"] = json!({{ c.first.invalid_json }});
{%- if let Some(req) = c.first_required %}
    let mut incomplete = item(1, &third);
    incomplete.as_object_mut().unwrap().remove("{{ req.json }}");
{%- endif %}
    let want = item(0, &third);
    let cases = vec![
        Case::new("list anonymous", Method::GET, "/v1/{{ c.n.plural }}", None).err(401, "unauthenticated", None),
        Case::new("list as user", Method::GET, "/v1/{{ c.n.plural }}", Some(&other))
            .ok(200, |b| assert!(b["total"].as_i64().unwrap() >= 1, "{b}")),
        Case::new("get", Method::GET, path.clone(), Some(&other)).ok(200, move |b| {
            for (k, v) in want.as_object().unwrap() {
                assert_eq!(&b[k], v, "{k}");
            }
            assert_eq!(b["userID"], USER_ID);
            assert_eq!(b["version"], 1);
        }),
        Case::new("get missing", Method::GET, missing.clone(), Some(&user)).err(404, "not_found", None),
        Case::new("get bad id", Method::GET, "/v1/{{ c.n.plural }}/42", Some(&user)).err(
            400,
            "invalid_argument",
            Some("{{ c.n.name }}_id"),
        ),
        Case::new("create as admin-only", Method::POST, "/v1/{{ c.n.plural }}", Some(&admin_only))
            .body(item(1, &third))
            .err(403, "permission_denied", None),
        Case::new("create invalid", Method::POST, "/v1/{{ c.n.plural }}", Some(&user))
            .body(invalid)
            .err(400, "invalid_argument", Some("{{ c.first.json }}")),
{%- if let Some(req) = c.first_required %}
        Case::new("create missing field", Method::POST, "/v1/{{ c.n.plural }}", Some(&user))
            .body(incomplete)
            .err(400, "invalid_argument", Some("{{ req.json }}")),
{%- endif %}
        Case::new("update by other", Method::PUT, path.clone(), Some(&other))
            .body(json!({"{{ c.first.json }}": {{ c.api_items[1][0].json_value }}}))
            .err(403, "permission_denied", None),
        Case::new("update missing", Method::PUT, missing.clone(), Some(&user))
            .body(json!({"{{ c.first.json }}": {{ c.api_items[1][0].json_value }}}))
            .err(404, "not_found", None),
        Case::new("update unknown field", Method::PUT, path.clone(), Some(&user))
            .body(json!({"userID": ADMIN_ID}))
            .err(400, "invalid_argument", Some("userID")),
        Case::new("update by admin", Method::PUT, path.clone(), Some(&admin))
            .body(json!({"{{ c.first.json }}": {{ c.api_items[1][0].json_value }}}))
            .ok(200, |b| {
                assert_eq!(b["{{ c.first.json }}"], json!({{ c.api_items[1][0].json_value }}));
                assert_eq!(b["version"], 2);
            }),
        Case::new("delete by other", Method::DELETE, path.clone(), Some(&other)).err(403, "permission_denied", None),
        Case::new("delete by owner", Method::DELETE, path.clone(), Some(&user)).ok(204, |_| {}),
        Case::new("deleted is gone", Method::GET, path.clone(), Some(&user)).err(404, "not_found", None),
        Case::new("delete again", Method::DELETE, path, Some(&user)).err(404, "not_found", None),
    ];
    run_cases(&app, cases).await;
}

async fn {{ c.n.plural }}_updates_are_audited(app: TestApp) {
    let user = app.user_token().await;
    let admin = app.admin_token().await;
    let third = app.create_user(&[Role::User]).await.0.to_string();
    let created = create_{{ c.n.name }}(&app, &user, item(0, &third)).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/{{ c.n.plural }}/{id}");
    let r = app.put(&path, Some(&user), item(2, &third)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for (k, v) in item(2, &third).as_object().unwrap() {
        assert_eq!(&r.body[k], v, "{k}");
    }
    assert_eq!(r.header("etag"), Some("\"2\""));
    let audits = app
        .get(&format!("/v1/audits?obj_id={id}&orderBy=timestamp,ASC"), Some(&admin))
        .await;
    let items = audits.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", audits.body);
    assert_eq!(items[0]["objDomain"], "{{ c.n.upper }}");
    assert_eq!(items[0]["action"], "created");
    assert_eq!(items[1]["action"], "updated");
{%- if c.has_unique %}

    // A second live {{ c.n.name }} with the same unique value is a 409.
    let r = app.post("/v1/{{ c.n.plural }}", Some(&user), item(2, &third)).await;
    r.assert_error(409, "already_exists", Some("{{ c.first_unique_json }}"));
{%- endif %}
{%- if c.has_user %}

    // A reference to a user that does not exist is a 400 naming the field.
    let mut body = item(1, &third);
    body["{{ c.first_user_json }}"] = json!(uuid::Uuid::new_v4());
    let r = app.post("/v1/{{ c.n.plural }}", Some(&user), body).await;
    r.assert_error(400, "invalid_argument", Some("{{ c.first_user_json }}"));
{%- endif %}
}

async fn {{ c.n.plural }}_if_match_race_one_wins(app: TestApp) {
    let user = app.user_token().await;
    let third = app.create_user(&[Role::User]).await.0.to_string();
    let created = create_{{ c.n.name }}(&app, &user, item(0, &third)).await;
    let path = format!("/v1/{{ c.n.plural }}/{}", created["id"].as_str().unwrap());
    let mut tasks = Vec::new();
    for body in [
        json!({"{{ c.first.json }}": {{ c.api_items[1][0].json_value }}}),
        json!({"{{ c.first.json }}": {{ c.api_items[2][0].json_value }}}),
    ] {
        let req = app.client.put(app.url(&path)).bearer_auth(&user).header("If-Match", "\"1\"").json(&body);
        tasks.push(tokio::spawn(async move { req.send().await.unwrap().status().as_u16() }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    let r = app
        .send(app.client.delete(app.url(&path)).bearer_auth(&user).header("If-Match", "\"1\""))
        .await;
    r.assert_error(412, "failed_precondition", None);
}

async fn {{ c.n.plural }}_list_filter_order_page(app: TestApp) {
    let user = app.user_token().await;
    let (third_id, other) = app.create_user(&[Role::User]).await;
    let third = third_id.to_string();
    let mut ids = Vec::new();
    for (token, i) in [(&user, 0), (&user, 1), (&other, 2)] {
        ids.push(create_{{ c.n.name }}(&app, token, item(i, &third)).await["id"].clone());
    }
    let list = |b: &Value| b["items"].as_array().unwrap().iter().map(|x| x["id"].clone()).collect::<Vec<_>>();

    let r = app.get("/v1/{{ c.n.plural }}?orderBy={{ c.n.name }}_id,DESC", Some(&user)).await;
    assert_eq!(list(&r.body), [ids[2].clone(), ids[1].clone(), ids[0].clone()], "{}", r.body);
    assert_eq!(r.body["total"], 3);
    let r = app.get(&format!("/v1/{{ c.n.plural }}?user_id={USER_ID}&rows=1&page=2"), Some(&user)).await;
    assert_eq!(list(&r.body), [ids[1].clone()], "{}", r.body);
    assert_eq!(r.body["total"], 2);
{%- for f in c.filters %}
    let r = app.get(&format!("/v1/{{ c.n.plural }}?{{ f.name }}={}", {{ f.api_query_value }}), Some(&user)).await;
    assert_eq!(r.body["total"], {{ f.api_match_count }}, "{{ f.name }}: {}", r.body);
{%- endfor %}
{%- for f in c.orderables %}
    let r = app.get("/v1/{{ c.n.plural }}?orderBy={{ f.name }},DESC", Some(&user)).await;
    assert_eq!(list(&r.body), [ids[2].clone(), ids[1].clone(), ids[0].clone()], "{{ f.name }}: {}", r.body);
{%- endfor %}
    app.get("/v1/{{ c.n.plural }}?orderBy=secret", Some(&user))
        .await
        .assert_error(400, "invalid_argument", Some("orderBy"));
    app.get("/v1/{{ c.n.plural }}?user_id=nobody", Some(&user))
        .await
        .assert_error(400, "invalid_argument", Some("user_id"));
}

use reqwest::Method;
use serde_json::json;

use crate::harness::TestApp;

crate::both_backends!(
    request_id_is_echoed_or_replaced,
    unknown_route_and_method_are_json,
    body_rules_415_413_400,
    cors_preflight_allows_api_headers,
    security_headers_on_every_response
);

async fn request_id_is_echoed_or_replaced(app: TestApp) {
    let r = app.send(app.client.get(app.url("/v1/liveness")).header("X-Request-ID", "abc-123_x.y")).await;
    assert_eq!(r.header("x-request-id"), Some("abc-123_x.y"));
    let r = app.send(app.client.get(app.url("/v1/liveness")).header("X-Request-ID", "bad id with spaces")).await;
    let id = r.header("x-request-id").unwrap();
    assert_ne!(id, "bad id with spaces");
    assert!(uuid::Uuid::parse_str(id).is_ok());
    let r = app.get("/nope", None).await;
    assert!(r.header("x-request-id").is_some(), "404s carry a request id too");
}

async fn unknown_route_and_method_are_json(app: TestApp) {
    app.get("/v1/nope", None).await.assert_error(404, "not_found", None);
    let r = app.call(Method::PATCH, "/v1/users", None, None).await;
    r.assert_error(405, "method_not_allowed", None);
}

async fn body_rules_415_413_400(app: TestApp) {
    let admin = app.admin_token().await;
    let r = app.send(app.client.post(app.url("/v1/users")).bearer_auth(&admin).body("{}")).await;
    r.assert_error(415, "unsupported_media_type", None);
    let big = "x".repeat(2 << 20);
    let r = app
        .send(app.client.post(app.url("/v1/users")).bearer_auth(&admin).header("content-type", "application/json").body(format!("{{\"name\":\"{big}\"}}")))
        .await;
    r.assert_error(413, "payload_too_large", None);
    let r = app.send(app.client.post(app.url("/v1/users")).bearer_auth(&admin).header("content-type", "application/json").body("{\"name\":")).await;
    r.assert_error(400, "invalid_argument", Some("body"));
    // Authentication is checked before the body.
    let r = app.send(app.client.post(app.url("/v1/users")).body("{}")).await;
    r.assert_error(401, "unauthenticated", None);
    let _ = json!(null);
}

async fn cors_preflight_allows_api_headers(app: TestApp) {
    let r = app
        .send(
            app.client
                .request(Method::OPTIONS, app.url("/v1/users"))
                .header("Origin", "https://shop.example.com")
                .header("Access-Control-Request-Method", "PUT")
                .header("Access-Control-Request-Headers", "authorization,if-match,content-type"),
        )
        .await;
    assert!(r.status.is_success(), "preflight status {}", r.status);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let methods = r.header("access-control-allow-methods").unwrap().to_ascii_uppercase();
    assert!(methods.contains("PUT"), "{methods}");
    let headers = r.header("access-control-allow-headers").unwrap().to_ascii_lowercase();
    assert!(headers.contains("if-match") && headers.contains("authorization"), "{headers}");
}

async fn security_headers_on_every_response(app: TestApp) {
    for r in [app.get("/v1/liveness", None).await, app.get("/v1/users", None).await] {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(r.header("strict-transport-security").is_none(), "HSTS is off unless configured");
    }
}

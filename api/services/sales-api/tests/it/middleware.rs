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
    let r = app
        .send(
            app.client
                .get(app.url("/v1/liveness"))
                .header("X-Request-ID", "abc-123_x.y"),
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("abc-123_x.y"));
    let r = app
        .send(
            app.client
                .get(app.url("/v1/liveness"))
                .header("X-Request-ID", "bad id with spaces"),
        )
        .await;
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
    let r = app
        .send(app.client.post(app.url("/v1/users")).bearer_auth(&admin).body("{}"))
        .await;
    r.assert_error(415, "unsupported_media_type", None);
    // Just over the 1 MiB limit: small enough that the client has finished writing
    // when the server answers, so the 413 is read rather than a reset connection.
    let big = "x".repeat((1 << 20) + 64);
    let r = app
        .send(
            app.client
                .post(app.url("/v1/users"))
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .body(format!("{{\"name\":\"{big}\"}}")),
        )
        .await;
    r.assert_error(413, "payload_too_large", None);
    let r = app
        .send(
            app.client
                .post(app.url("/v1/users"))
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .body("{\"name\":"),
        )
        .await;
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
    assert!(
        headers.contains("if-match") && headers.contains("authorization"),
        "{headers}"
    );
}

async fn security_headers_on_every_response(app: TestApp) {
    for r in [app.get("/v1/liveness", None).await, app.get("/v1/users", None).await] {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(
            r.header("strict-transport-security").is_none(),
            "HSTS is off unless configured"
        );
    }
}

mod stack {
    use std::time::Duration;

    use axum::{Router, routing::get};
    use sales_api::App;
    use sdk::sqldb::Backend;

    use crate::harness::TestApp;

    async fn panicking() -> &'static str {
        panic!("boom: secret detail")
    }

    /// The production middleware stack around routes that misbehave.
    async fn serve_misbehaving(app: &TestApp) -> String {
        let routes = Router::new()
            .route("/panic", get(panicking))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/big", get(|| async { "garage sale ".repeat(1000) }));
        let router = App::with_middleware(routes, &app.deps);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(web::serve(listener, router, app.shutdown.clone()));
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn panic_is_json_500_without_detail() {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        let base = serve_misbehaving(&app).await;
        let r = app.send(app.client.get(format!("{base}/panic"))).await;
        r.assert_error(500, "internal", None);
        assert_eq!(r.body["message"], "internal server error");
        assert!(!r.body.to_string().contains("boom"));
        assert!(r.header("x-request-id").is_some());
        // The service keeps serving after a panic.
        assert_eq!(app.send(app.client.get(format!("{base}/big"))).await.status, 200);
    }

    #[tokio::test]
    async fn slow_request_is_json_504() {
        let app = TestApp::start_with(Backend::Sqlite, |c| c.web.request_timeout_ms = 200)
            .await
            .unwrap();
        let base = serve_misbehaving(&app).await;
        let started = std::time::Instant::now();
        let r = app.send(app.client.get(format!("{base}/slow"))).await;
        r.assert_error(504, "deadline_exceeded", None);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "answered at the deadline, not after the handler"
        );
    }

    #[tokio::test]
    async fn responses_are_compressed_when_asked() {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        let base = serve_misbehaving(&app).await;
        let raw = reqwest::Client::builder().no_proxy().build().unwrap();
        let r = raw
            .get(format!("{base}/big"))
            .header("Accept-Encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers().get("content-encoding").map(|v| v.to_str().unwrap()),
            Some("gzip")
        );
        assert!(
            r.bytes().await.unwrap().len() < 12_000 / 4,
            "gzip shrinks repetitive text"
        );
    }
}

mod rate_limit {
    use sdk::sqldb::Backend;

    use crate::harness::TestApp;

    #[tokio::test]
    async fn over_the_limit_is_429_with_retry_after_and_probes_are_exempt() {
        let app = TestApp::start_with(Backend::Sqlite, |c| c.web.rate_limit = 1)
            .await
            .unwrap();
        let token = app.admin_token().await;
        // Rate 1/s, burst 2.
        for _ in 0..2 {
            assert_eq!(app.get("/v1/users", Some(&token)).await.status, 200);
        }
        let r = app.get("/v1/users", Some(&token)).await;
        r.assert_error(429, "too_many_requests", None);
        let retry: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((1..=2).contains(&retry), "{retry}");
        for _ in 0..10 {
            assert_eq!(
                app.get("/v1/liveness", None).await.status,
                200,
                "probes are never limited"
            );
            assert_eq!(app.get("/v1/readiness", None).await.status, 200);
        }
    }

    #[tokio::test]
    async fn off_by_default() {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        for _ in 0..20 {
            assert_eq!(app.get("/v1/auth/token/x", None).await.status, 401);
        }
    }
}

mod load_shedding {
    use sdk::sqldb::Backend;
    use serde_json::json;

    use crate::harness::TestApp;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn overload_is_answered_503_at_once_and_probes_still_answer() {
        let app = TestApp::start_with(Backend::Sqlite, |c| c.web.max_in_flight = 1)
            .await
            .unwrap();
        // Logins hash a password (tens of ms each): 16 at once overload a limit of 1.
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let req = app
                .client
                .post(app.url("/v1/auth/login"))
                .json(&json!({"email": "user@example.com", "password": "garagesale"}));
            tasks.push(tokio::spawn(async move {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<serde_json::Value>().await.unwrap())
            }));
        }
        let probe = app.get("/v1/liveness", None).await;
        assert_eq!(probe.status, 200, "probes are never shed");
        let (mut ok, mut shed) = (0, 0);
        for t in tasks {
            let (status, body) = t.await.unwrap();
            match status {
                200 => ok += 1,
                503 => {
                    assert_eq!(body["code"], "unavailable", "{body}");
                    shed += 1;
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert!(ok >= 1 && shed >= 1, "ok={ok} shed={shed}");
    }

    /// The limit counts requests on all routes together: while a login (tens of
    /// ms of password hashing) holds the only slot, a request on another route is
    /// shed. A limit built per route would answer it 401 (no token) instead.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_limit_is_shared_by_every_route() {
        let app = TestApp::start_with(Backend::Sqlite, |c| c.web.max_in_flight = 1)
            .await
            .unwrap();
        let login = app
            .client
            .post(app.url("/v1/auth/login"))
            .json(&json!({"email": "user@example.com", "password": "garagesale"}))
            .send();
        let login = tokio::spawn(async move { login.await.unwrap().status().as_u16() });
        let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
        while !login.is_finished() {
            let status = app.get("/v1/products", None).await.status.as_u16();
            *statuses.entry(status).or_default() += 1;
        }
        assert_eq!(login.await.unwrap(), 200);
        let other: Vec<_> = statuses.keys().filter(|s| **s != 401 && **s != 503).collect();
        assert!(
            other.is_empty(),
            "only 401 (no token) or 503 (shed) expected: {statuses:?}"
        );
        assert!(
            statuses.get(&503).copied().unwrap_or(0) >= 1,
            "no request on /v1/products was shed while the login held the only slot: {statuses:?}"
        );
    }
}

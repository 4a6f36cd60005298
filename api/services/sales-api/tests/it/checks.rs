use crate::harness::TestApp;

crate::both_backends!(liveness_reports_up, readiness_reports_ok_then_503_on_shutdown);

async fn liveness_reports_up(app: TestApp) {
    let r = app.get("/v1/liveness", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "up");
    assert!(r.body["cpus"].as_u64().unwrap() >= 1);
    assert!(
        r.body.get("podIP").is_none(),
        "empty pod fields are omitted: {}",
        r.body
    );
}

async fn readiness_reports_ok_then_503_on_shutdown(app: TestApp) {
    let r = app.get("/v1/readiness", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, serde_json::json!({"status": "ok"}));

    // Readiness flips as soon as shutdown starts, before the listener closes.
    let shutdown = web::Shutdown::new();
    let checks = checkapp::routes(checkapp::CheckState {
        db: app.db.pool.clone(),
        build: String::new(),
        shutdown: shutdown.clone(),
    });
    shutdown.trigger();
    let resp = tower::ServiceExt::oneshot(
        checks,
        axum::http::Request::get("/v1/readiness")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 503);
    let body = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["code"], "unavailable");
}

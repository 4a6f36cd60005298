//! The sidecar's three HTTP servers.

use axum::{Json, Router, extract::State, http::header, response::IntoResponse, routing::get};
use serde_json::{Value, json};

use crate::Collector;

/// `:4000` — `GET /metrics`: the last `/debug/vars` document, plus a `collector`
/// object saying whether it is current (`up`) and, if not, why.
pub fn expvar(c: Collector) -> Router {
    Router::new().route("/metrics", get(expvar_json)).with_state(c)
}

/// `:4020` — `GET /metrics`: Prometheus text.
pub fn prometheus(c: Collector) -> Router {
    Router::new().route("/metrics", get(prometheus_text)).with_state(c)
}

/// `:4010` — the sidecar's own health: `/v1/liveness`, `/v1/readiness` (both 200
/// while it serves, whatever the service's state: restarting the sidecar would not
/// bring the service back) and `/debug/vars` (the collector's status).
pub fn debug(c: Collector) -> Router {
    Router::new()
        .route("/v1/liveness", get(|| async { Json(json!({"status": "up"})) }))
        .route("/v1/readiness", get(readiness))
        .route(
            "/debug/vars",
            get(|State(c): State<Collector>| async move { Json(json!({"collector": status(&c)})) }),
        )
        .with_state(c)
}

fn status(c: &Collector) -> Value {
    let s = c.snapshot();
    json!({
        "target": c.target(),
        "up": s.up,
        "error": s.last_error,
        "lastSuccessUnix": s.last_success_unix,
        "scrapes": s.scrapes,
        "failures": s.failures,
    })
}

async fn expvar_json(State(c): State<Collector>) -> Json<Value> {
    let mut body = c.snapshot().vars.unwrap_or_else(|| json!({}));
    if let Some(map) = body.as_object_mut() {
        map.insert("collector".into(), status(&c));
    }
    Json(body)
}

async fn prometheus_text(State(c): State<Collector>) -> impl IntoResponse {
    let text = crate::render(c.namespace(), c.target(), &c.snapshot());
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
}

async fn readiness(State(c): State<Collector>) -> Json<Value> {
    let target = if c.snapshot().up { "up" } else { "down" };
    Json(json!({"status": "ok", "target": target}))
}

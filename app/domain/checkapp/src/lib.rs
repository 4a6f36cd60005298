//! Liveness and readiness probes (no auth).

use std::time::Duration;

use appsdk::{AppError, ErrCode};
use axum::{Router, extract::State, routing::get};
use sdk::DbPool;
use serde::Serialize;

#[derive(Clone)]
pub struct CheckState {
    pub db: DbPool,
    pub build: String,
    pub shutdown: web::Shutdown,
}

pub fn routes(state: CheckState) -> Router {
    Router::new()
        .route("/v1/liveness", get(liveness))
        .route("/v1/readiness", get(readiness))
        .with_state(state)
}

#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Liveness {
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub build: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub host: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub name: String,
    #[serde(rename = "podIP", skip_serializing_if = "String::is_empty", default)]
    pub pod_ip: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub node: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub namespace: String,
    pub cpus: usize,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

async fn liveness(State(s): State<CheckState>) -> axum::Json<Liveness> {
    axum::Json(Liveness {
        status: "up".into(),
        build: s.build.clone(),
        host: std::env::var("HOSTNAME").unwrap_or_else(|_| hostname()),
        name: env("KUBERNETES_NAME"),
        pod_ip: env("KUBERNETES_POD_IP"),
        node: env("KUBERNETES_NODE_NAME"),
        namespace: env("KUBERNETES_NAMESPACE"),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|s| s.trim().to_string()).unwrap_or_default()
}

#[derive(Debug, Serialize)]
struct Ready {
    status: &'static str,
}

async fn readiness(State(s): State<CheckState>) -> Result<axum::Json<Ready>, AppError> {
    if s.shutdown.is_shutting_down() {
        return Err(AppError::new(ErrCode::Unavailable, "shutting down"));
    }
    s.db.status_check(Duration::from_secs(1)).await.map_err(|e| {
        tracing::warn!(error = %e, "readiness: database not ready");
        AppError::new(ErrCode::Unavailable, "database not ready")
    })?;
    Ok(axum::Json(Ready { status: "ok" }))
}

//! Liveness and readiness probes (no auth).

use std::{sync::Arc, time::Duration};

use appsdk::{AppError, ErrCode};
use axum::{Router, body::Bytes, extract::State, http::header, response::IntoResponse, routing::get};
use sdk::DbPool;
use serde::Serialize;

#[derive(Clone)]
pub struct CheckState {
    pub db: DbPool,
    pub build: String,
    pub shutdown: web::Shutdown,
}

/// The OpenAPI description of the probes, merged into the service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(liveness, readiness),
    tags((name = "checks", description = "Probes for orchestrators and load balancers. No authentication, never \
        rate limited; also served on the debug port."))
)]
pub struct ApiDoc;

pub fn routes(state: CheckState) -> Router {
    let liveness_body = Bytes::from(serde_json::to_vec(&Liveness::of_this_process(&state.build)).expect("plain JSON"));
    Router::new()
        .route("/v1/liveness", get(liveness))
        .route("/v1/readiness", get(readiness))
        .with_state(Arc::new(Checks { state, liveness_body }))
}

/// What the probes share: the state, and the liveness answer, serialised once
/// (everything in it is fixed for the life of the process).
struct Checks {
    state: CheckState,
    liveness_body: Bytes,
}

/// The process is up. Empty fields are omitted; pod fields come from the
/// `KUBERNETES_*` environment variables.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Liveness {
    /// Always `up`.
    #[schema(example = "up")]
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

/// Liveness probe.
///
/// **Rule: none.** Answers as long as the process serves HTTP; it does not touch
/// the database.
#[utoipa::path(
    get,
    path = "/v1/liveness",
    operation_id = "liveness",
    tag = "checks",
    security(()),
    responses((status = 200, description = "The service is up.", body = Liveness))
)]
async fn liveness(State(c): State<Arc<Checks>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], c.liveness_body.clone())
}

impl Liveness {
    /// Where this process runs: fixed for its lifetime, so read once (at
    /// start-up) rather than from the environment, /etc/hostname and the cgroup
    /// files on every probe (`available_parallelism` alone cost a quarter of a
    /// liveness request's CPU, docs/performance.md).
    fn of_this_process(build: &str) -> Liveness {
        Liveness {
            status: "up".into(),
            build: build.to_string(),
            host: std::env::var("HOSTNAME").unwrap_or_else(|_| hostname()),
            name: env("KUBERNETES_NAME"),
            pod_ip: env("KUBERNETES_POD_IP"),
            node: env("KUBERNETES_NODE_NAME"),
            namespace: env("KUBERNETES_NAMESPACE"),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Ready for traffic.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Readiness)]
struct Ready {
    /// Always `ok`.
    #[schema(example = "ok")]
    status: &'static str,
}

/// Readiness probe.
///
/// **Rule: none.** 200 when the database answers within 1 s. 503 as soon as
/// shutdown starts, so load balancers stop sending traffic before the listener
/// closes.
#[utoipa::path(
    get,
    path = "/v1/readiness",
    operation_id = "readiness",
    tag = "checks",
    security(()),
    responses(
        (status = 200, description = "Ready.", body = Ready),
        (status = 503, description = "`unavailable`: the database did not answer within 1 s, or the service is \
            shutting down.", body = appsdk::errs::ErrorBody),
    )
)]
async fn readiness(State(c): State<Arc<Checks>>) -> Result<axum::Json<Ready>, AppError> {
    let s = &c.state;
    if s.shutdown.is_shutting_down() {
        return Err(AppError::new(ErrCode::Unavailable, "shutting down"));
    }
    s.db.status_check(Duration::from_secs(1)).await.map_err(|e| {
        tracing::warn!(error = %e, "readiness: database not ready");
        AppError::new(ErrCode::Unavailable, "database not ready")
    })?;
    Ok(axum::Json(Ready { status: "ok" }))
}

//! Request span, "request completed" log line and request counters.

use std::{
    sync::atomic::{AtomicI64, AtomicU64, Ordering},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

/// Counters shown on `/debug/vars`.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    pub in_flight: AtomicI64,
}

impl Counters {
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "errors": self.errors.load(Ordering::Relaxed),
            "inFlight": self.in_flight.load(Ordering::Relaxed),
            "panics": appsdk::mid::panics(),
        })
    }
}

/// Opens the request span (method, route, request id) that every log line of the
/// request inherits, and logs one "request completed" line at the end.
pub async fn log_request(
    axum::extract::State(counters): axum::extract::State<std::sync::Arc<Counters>>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let request_id = req.extensions().get::<web::RequestId>().map(|r| r.as_str().to_string()).unwrap_or_default();
    let span = tracing::info_span!("request", %method, route = %route, request_id = %request_id);
    counters.requests.fetch_add(1, Ordering::Relaxed);
    counters.in_flight.fetch_add(1, Ordering::Relaxed);
    let resp = next.run(req).instrument(span.clone()).await;
    counters.in_flight.fetch_sub(1, Ordering::Relaxed);
    let status = resp.status().as_u16();
    if status >= 500 {
        counters.errors.fetch_add(1, Ordering::Relaxed);
    }
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, latency_ms, "request completed"));
    resp
}

//! The request span (continuing the caller's W3C trace), the "request completed"
//! log line, the `traceparent` response header, and the request metrics.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use otel::OpenTelemetrySpanExt;
use tracing::{Instrument, field::Empty};

/// Routes of the health probes: never traced (see `otel::ProbeAwareSampler`).
pub const PROBE_ROUTES: &[&str] = &["/v1/liveness", "/v1/readiness"];

/// Route label of requests no route matched (404s): one label, not one per
/// path a scanner tried.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds (seconds) of the latency histogram buckets: 5 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Request counters and latencies, shown on `/debug/vars` and `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    /// Responses with a 5xx status.
    pub errors: AtomicU64,
    pub in_flight: AtomicI64,
    routes: Mutex<BTreeMap<RouteKey, RouteStats>>,
}

/// The labels of one request series.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteKey {
    pub method: String,
    /// The route template (`/v1/users/{user_id}`), never the raw path.
    pub route: String,
    pub status: u16,
}

/// Count and latency histogram of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteStats {
    pub count: u64,
    pub sum_seconds: f64,
    /// Observations ≤ each bound of [`LATENCY_BUCKETS`] (cumulative, as
    /// Prometheus wants them).
    pub buckets: Vec<u64>,
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

    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let key = RouteKey {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let stats = routes.entry(key).or_insert_with(|| RouteStats {
            count: 0,
            sum_seconds: 0.0,
            buckets: vec![0; LATENCY_BUCKETS.len()],
        });
        stats.count += 1;
        stats.sum_seconds += seconds;
        for (bound, n) in LATENCY_BUCKETS.iter().zip(stats.buckets.iter_mut()) {
            if seconds <= *bound {
                *n += 1;
            }
        }
    }

    /// Every series seen so far, in label order.
    pub fn routes(&self) -> Vec<(RouteKey, RouteStats)> {
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        routes.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// The matched route of a request, filled in by [`record_route`] once the router
/// has found it. The request span opens before routing (the middleware stack
/// wraps the whole router, see `App::with_middleware`), so the route comes back
/// through this slot.
#[derive(Debug, Default)]
pub struct RouteSlot(OnceLock<MatchedPath>);

/// Route-level middleware: puts the route template the router matched into the
/// request's [`RouteSlot`] and the request span's `route` and `otel.name` fields.
pub async fn record_route(req: Request, next: Next) -> Response {
    if let (Some(path), Some(slot)) = (
        req.extensions().get::<MatchedPath>(),
        req.extensions().get::<Arc<RouteSlot>>(),
    ) {
        let _ = slot.0.set(path.clone());
        let span = tracing::Span::current();
        if !span.is_disabled() {
            span.record("route", path.as_str());
            // For the log lines; the exported span is renamed by `log_request`.
            span.record("otel.name", format!("{} {}", req.method(), path.as_str()));
        }
    }
    next.run(req).await
}

/// Opens the request span that every log line and span of the request inherits,
/// continuing the caller's W3C trace; writes the "request completed" log
/// line; answers with the `traceparent` of this request's span; counts.
///
/// The span carries `method`, `route`, `request_id` and `trace_id` for the logs,
/// and the OpenTelemetry HTTP attributes (`http.request.method`, `url.path`,
/// `http.route`, `http.response.status_code`) for the trace. It is named
/// `{method} {route}` once the route is known.
pub async fn log_request(State(counters): State<Arc<Counters>>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let slot = Arc::new(RouteSlot::default());
    req.extensions_mut().insert(slot.clone());

    let span = tracing::info_span!(
        "request",
        otel.name = %method,
        otel.kind = "server",
        otel.status_code = Empty,
        method = %method,
        route = Empty,
        request_id = req.extensions().get::<web::RequestId>().map_or("", |r| r.as_str()),
        trace_id = Empty,
    );
    // Before the span starts: the sampler reads the path to leave probes out,
    // and the parent decides the trace id.
    span.set_attribute("http.request.method", method.to_string());
    span.set_attribute(otel::PATH_ATTRIBUTE, req.uri().path().to_string());
    // Fails only when no OpenTelemetry layer is installed; then there is no trace.
    let _ = span.set_parent(otel::extract(req.headers()));
    let span_context = otel::span_context(&span);
    if let Some(sc) = &span_context {
        span.record("trace_id", sc.trace_id().to_string());
    }

    counters.requests.fetch_add(1, Ordering::Relaxed);
    counters.in_flight.fetch_add(1, Ordering::Relaxed);
    let mut resp = next.run(req).instrument(span.clone()).await;
    counters.in_flight.fetch_sub(1, Ordering::Relaxed);

    let route = slot.0.get().map_or(UNMATCHED_ROUTE, |p| p.as_str());
    let status = resp.status().as_u16();
    if status >= 500 {
        counters.errors.fetch_add(1, Ordering::Relaxed);
        span.record("otel.status_code", "error");
    }
    let elapsed = start.elapsed();
    counters.observe(method.as_str(), route, status, elapsed.as_secs_f64());
    if let Some(sc) = &span_context {
        // Only with a trace: the name and route attribute are for the exporter.
        if route != UNMATCHED_ROUTE {
            span.set_attribute(otel::ROUTE_ATTRIBUTE, route.to_string());
        }
        otel::rename(&span, format!("{method} {route}"));
        if let Ok(value) = HeaderValue::from_str(&otel::traceparent(sc)) {
            resp.headers_mut().insert("traceparent", value);
        }
    }
    span.set_attribute("http.response.status_code", i64::from(status));
    if route == UNMATCHED_ROUTE {
        span.record("route", route);
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, latency_ms, "request completed"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_per_series() {
        let c = Counters::default();
        c.observe("GET", "/v1/users", 200, 0.003);
        c.observe("GET", "/v1/users", 200, 0.2);
        c.observe("GET", "/v1/users", 200, 30.0);
        c.observe("GET", "/v1/users", 404, 0.001);
        let routes = c.routes();
        assert_eq!(routes.len(), 2);
        let (key, ok) = &routes[0];
        assert_eq!((key.status, ok.count), (200, 3));
        assert!((ok.sum_seconds - 30.203).abs() < 1e-9);
        // ≤5ms: 1, ≤0.25s: 2 (the 0.2 s one), ≤10s: still 2 (30 s only in +Inf).
        assert_eq!(ok.buckets[0], 1);
        assert_eq!(ok.buckets[LATENCY_BUCKETS.iter().position(|b| *b == 0.25).unwrap()], 2);
        assert_eq!(*ok.buckets.last().unwrap(), 2);
        assert!(ok.buckets.windows(2).all(|w| w[0] <= w[1]));
    }
}

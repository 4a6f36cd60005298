use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::HeaderMap;
use opentelemetry::trace::{SpanId, SpanKind, TraceContextExt, TraceId};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use tracing::subscriber::with_default;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::Registry;

use super::*;
use crate::sql::{operation_and_table, sanitize};

/// Keeps every exported span, also after shutdown (the SDK's in-memory exporter
/// forgets them on shutdown, which would hide what the shutdown flushed).
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Recorder {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

impl Recorder {
    fn spans(&self) -> Vec<SpanData> {
        self.0.lock().unwrap().clone()
    }
}

const PROBE: &str = "/v1/readiness";

fn settings(probability: f64) -> Settings {
    Settings {
        endpoint: String::new(),
        probability,
        service_name: "test-svc".into(),
        service_version: "1.2.3".into(),
        never_sample_routes: vec!["/v1/liveness".into(), PROBE.into()],
        db_system: Some("postgresql".into()),
        // Long enough that only an explicit flush or shutdown exports.
        export_interval: Duration::from_secs(3600),
    }
}

fn telemetry(probability: f64) -> (Telemetry, Recorder) {
    let recorder = Recorder::default();
    let t = Telemetry::with_exporter(&settings(probability), recorder.clone()).unwrap();
    (t, recorder)
}

/// What the HTTP middleware does: a server span for `route`, continuing the
/// trace in `headers`, with a business span and one SQL statement inside.
/// Returns the request span's trace id.
fn request(t: &Telemetry, route: &str, headers: &HeaderMap) -> Option<String> {
    request_with(t, ROUTE_ATTRIBUTE, route, headers)
}

/// [`request`], with the route given as attribute `key` (`url.path`: the
/// request's path, known before routing).
fn request_with(t: &Telemetry, key: &'static str, route: &str, headers: &HeaderMap) -> Option<String> {
    with_default(Registry::default().with(t.layer()), || {
        let span = tracing::info_span!("request", otel.name = %format!("GET {route}"), otel.kind = "server");
        span.set_attribute(key, route.to_string());
        span.set_parent(extract(headers)).unwrap();
        let id = trace_id(&span);
        let _req = span.enter();
        let business = tracing::info_span!("userbus.query");
        let _b = business.enter();
        tracing::debug!(
            target: "sqlx::query",
            summary = "SELECT user_id, name, email …",
            db.statement = "\n\nSELECT user_id, name, email FROM users WHERE email = $1\n",
            rows_affected = 0u64,
            rows_returned = 1u64,
            elapsed_secs = 0.002,
        );
        id
    })
}

fn headers(traceparent: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("traceparent", traceparent.parse().unwrap());
    h
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a opentelemetry::Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

#[test]
fn request_business_and_sql_spans_nest_in_one_trace() {
    let (t, rec) = telemetry(1.0);
    let id = request(&t, "/v1/users", &HeaderMap::new()).expect("trace id");
    t.force_flush().unwrap();
    let spans = rec.spans();
    assert_eq!(spans.len(), 3, "{spans:#?}");

    let by_name = |n: &str| {
        spans
            .iter()
            .find(|s| s.name == n)
            .unwrap_or_else(|| panic!("{n} in {spans:#?}"))
    };
    let req = by_name("GET /v1/users");
    let bus = by_name("userbus.query");
    let sql = by_name("SELECT users");
    for s in [req, bus, sql] {
        assert_eq!(s.span_context.trace_id().to_string(), id);
        assert!(s.span_context.is_sampled());
    }
    assert_eq!(req.parent_span_id, SpanId::INVALID, "new trace: root span");
    assert_eq!(req.span_kind, SpanKind::Server);
    assert_eq!(bus.parent_span_id, req.span_context.span_id());
    assert_eq!(sql.parent_span_id, bus.span_context.span_id());
    assert_eq!(sql.span_kind, SpanKind::Client);
    assert_eq!(
        attr(sql, "db.query.text").unwrap().as_str(),
        "SELECT user_id, name, email FROM users WHERE email = $1"
    );
    assert_eq!(attr(sql, "db.collection.name").unwrap().as_str(), "users");
    assert_eq!(attr(sql, "db.system.name").unwrap().as_str(), "postgresql");
    assert_eq!(
        attr(sql, "db.response.returned_rows"),
        Some(&opentelemetry::Value::I64(1))
    );
    let took = sql.end_time.duration_since(sql.start_time).unwrap();
    assert!(
        took >= Duration::from_millis(1) && took < Duration::from_secs(1),
        "{took:?}"
    );
    assert!(sql.end_time <= bus.end_time, "statement ends inside the business call");
}

#[test]
fn a_sampled_caller_is_continued() {
    let (t, rec) = telemetry(0.0);
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let id = request(&t, "/v1/users", &headers(parent)).unwrap();
    assert_eq!(id, "4bf92f3577b34da6a3ce929d0e0e4736");
    t.force_flush().unwrap();
    let spans = rec.spans();
    assert_eq!(spans.len(), 3, "probability 0 but the caller sampled: {spans:#?}");
    let req = spans.iter().find(|s| s.span_kind == SpanKind::Server).unwrap();
    assert_eq!(req.parent_span_id.to_string(), "00f067aa0ba902b7");
}

#[test]
fn an_unsampled_caller_exports_nothing_but_keeps_its_trace_id() {
    let (t, rec) = telemetry(1.0);
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let id = request(&t, "/v1/users", &headers(parent)).unwrap();
    assert_eq!(id, "4bf92f3577b34da6a3ce929d0e0e4736");
    t.force_flush().unwrap();
    assert!(rec.spans().is_empty(), "{:#?}", rec.spans());
}

#[test]
fn probes_are_never_sampled_even_when_the_caller_asks() {
    let (t, rec) = telemetry(1.0);
    request(&t, PROBE, &HeaderMap::new()).unwrap();
    request(
        &t,
        PROBE,
        &headers("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    )
    .unwrap();
    request(&t, "/v1/liveness", &HeaderMap::new()).unwrap();
    t.force_flush().unwrap();
    assert!(rec.spans().is_empty(), "{:#?}", rec.spans());
    // The same pipeline does export an ordinary request.
    request(&t, "/v1/users", &HeaderMap::new()).unwrap();
    t.force_flush().unwrap();
    assert_eq!(rec.spans().len(), 3);
}

#[test]
fn probes_are_recognised_by_their_path_before_routing() {
    let (t, rec) = telemetry(1.0);
    request_with(&t, PATH_ATTRIBUTE, PROBE, &HeaderMap::new()).unwrap();
    t.force_flush().unwrap();
    assert!(rec.spans().is_empty(), "{:#?}", rec.spans());
    request_with(&t, PATH_ATTRIBUTE, "/v1/users", &HeaderMap::new()).unwrap();
    t.force_flush().unwrap();
    assert_eq!(rec.spans().len(), 3, "an ordinary path is sampled");
}

#[test]
fn ratio_decides_for_new_traces() {
    let (t, rec) = telemetry(0.0);
    for _ in 0..20 {
        request(&t, "/v1/users", &HeaderMap::new()).unwrap();
    }
    t.force_flush().unwrap();
    assert!(rec.spans().is_empty());

    let (t, rec) = telemetry(0.5);
    for _ in 0..200 {
        request(&t, "/v1/users", &HeaderMap::new()).unwrap();
    }
    t.force_flush().unwrap();
    let roots = rec.spans().iter().filter(|s| s.span_kind == SpanKind::Server).count();
    assert!((50..150).contains(&roots), "about half of 200 sampled, got {roots}");
}

#[test]
fn without_an_endpoint_nothing_is_sampled_but_trace_ids_exist() {
    let t = Telemetry::new(&Settings {
        probability: 1.0,
        ..settings(1.0)
    })
    .unwrap();
    assert!(!t.is_exporting());
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let with_parent = Registry::default().with(t.layer());
    with_default(with_parent, || {
        let span = tracing::info_span!("request");
        span.set_parent(extract(&headers(parent))).unwrap();
        let sc = span_context(&span).unwrap();
        assert_eq!(sc.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(!sc.is_sampled(), "nothing records when nothing exports");
        let fresh = tracing::info_span!("other");
        assert!(trace_id(&fresh).is_some_and(|id| id.len() == 32));
    });
}

#[test]
fn shutdown_flushes_pending_spans() {
    let (t, rec) = telemetry(1.0);
    request(&t, "/v1/users", &HeaderMap::new()).unwrap();
    assert!(rec.spans().is_empty(), "the hour-long batch delay holds them");
    t.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(rec.spans().len(), 3);
}

#[test]
fn statements_without_a_traced_parent_make_no_span() {
    let (t, rec) = telemetry(1.0);
    with_default(Registry::default().with(t.layer()), || {
        tracing::debug!(target: "sqlx::query", summary = "SELECT 1", db.statement = "", elapsed_secs = 0.001);
    });
    t.force_flush().unwrap();
    assert!(rec.spans().is_empty());
}

#[test]
fn propagation_round_trip_and_malformed_input() {
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let cx = extract(&headers(tp));
    let sc = cx.span().span_context().clone();
    assert!(sc.is_valid() && sc.is_remote() && sc.is_sampled());
    assert_eq!(traceparent(&sc), tp);
    let mut out = HeaderMap::new();
    inject(&cx, &mut out);
    assert_eq!(out["traceparent"], tp);

    for bad in [
        "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-zz-01",
    ] {
        let cx = extract(&headers(bad));
        assert!(!cx.span().span_context().is_valid(), "{bad}");
        let mut out = HeaderMap::new();
        inject(&cx, &mut out);
        assert!(out.get("traceparent").is_none(), "{bad}");
    }
    assert_ne!(TraceId::INVALID.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[test]
fn statement_text_is_sanitised_and_named() {
    assert_eq!(
        sanitize("\n\nINSERT INTO users (email, password_hash)\n  VALUES ('a@b.c', '$argon2id$v=19$x''y')\n"),
        "INSERT INTO users (email, password_hash) VALUES ('?', '?')"
    );
    assert_eq!(sanitize("SELECT user_id, name, email …"), "SELECT user_id, name, email");
    assert_eq!(sanitize("SELECT 'unterminated"), "SELECT '?'");
    let long = format!("SELECT {} FROM t", "x, ".repeat(3000));
    let cut = sanitize(&long);
    assert!(cut.len() <= 4096 + '…'.len_utf8() && cut.ends_with('…'));

    let cases = [
        ("SELECT a FROM users WHERE x = $1", "SELECT", Some("users")),
        ("select count(*) from \"products\"", "SELECT", Some("products")),
        ("INSERT INTO audits (a) VALUES ($1)", "INSERT", Some("audits")),
        (
            "UPDATE products SET quantity = quantity - $1",
            "UPDATE",
            Some("products"),
        ),
        ("DELETE FROM sessions WHERE id = ?", "DELETE", Some("sessions")),
        ("BEGIN IMMEDIATE", "BEGIN", None),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "WITH", None),
    ];
    for (sql, op, table) in cases {
        let (o, t) = operation_and_table(sql);
        assert_eq!((o.as_str(), t.as_deref()), (op, table), "{sql}");
    }
}

#[test]
fn settings_are_checked() {
    for p in [-0.1, 1.5, f64::NAN] {
        let err = Telemetry::new(&Settings {
            probability: p,
            ..Settings::default()
        })
        .unwrap_err();
        assert!(matches!(err, OtelError::InvalidProbability(_)), "{p}");
    }
    assert_eq!(endpoint_url("tempo:4317"), "http://tempo:4317");
    assert_eq!(
        endpoint_url(" https://tempo.example:4317 "),
        "https://tempo.example:4317"
    );
}

#[tokio::test]
async fn an_otlp_endpoint_builds_inside_a_runtime() {
    let t = Telemetry::new(&Settings {
        endpoint: "127.0.0.1:1".into(),
        ..settings(1.0)
    })
    .unwrap();
    assert!(t.is_exporting());
    // Nothing listens there: shutdown must still return, not hang.
    let _ = tokio::task::spawn_blocking(move || t.shutdown(Duration::from_secs(2)))
        .await
        .unwrap();
}

#[test]
fn the_exporters_transport_is_not_traced() {
    assert!(is_transport("h2::proto") && is_transport("tonic") && is_transport("opentelemetry_sdk"));
    assert!(!is_transport("userbus") && !is_transport("h2o") && !is_transport("sales_api::mid"));
    let (t, rec) = telemetry(1.0);
    // Nested in the logger's own filter, as in the service.
    let layers = vec![t.layer()].with_filter(tracing_subscriber::EnvFilter::new("trace"));
    with_default(Registry::default().with(layers), || {
        let _h2 = tracing::info_span!(target: "h2::proto", "send").entered();
        let _app = tracing::info_span!("userbus.query").entered();
    });
    t.force_flush().unwrap();
    let names: Vec<_> = rec.spans().iter().map(|s| s.name.to_string()).collect();
    assert_eq!(names, vec!["userbus.query"]);
}

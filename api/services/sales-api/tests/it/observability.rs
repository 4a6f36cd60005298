//! Traces, logs and metrics of real requests.
//!
//! The process gets one telemetry pipeline, as `main` builds it: the OpenTelemetry
//! layer installed through `logger` (JSON lines captured in memory) and spans
//! exported over OTLP/gRPC to an in-process receiver built from the OTLP protobuf
//! service definition. Tests tell their spans and log lines apart by trace id and
//! request id, so they can share the pipeline (and `cargo test`'s single process).

use std::{
    collections::HashMap,
    io,
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::{AnyValue, KeyValue, any_value},
};
use prometheus_parse::{Scrape, Value as Prom};
use reqwest::Method;
use sales_api::Config;
use sdk::sqldb::Backend;
use serde_json::{Value, json};
use tracing_subscriber::fmt::MakeWriter;
use uuid::Uuid;

use crate::harness::{TestApp, USER_ID};

crate::both_backends!(
    request_business_and_sql_spans_share_one_trace,
    a_full_scenario_leaks_no_secret
);

// ---------------------------------------------------------------------------
// The shared pipeline

/// One exported span, flattened from the OTLP message.
#[derive(Debug, Clone)]
struct Exported {
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    name: String,
    /// OTLP `SpanKind`: 2 server, 3 client.
    kind: i32,
    attributes: HashMap<String, String>,
    /// Attributes of the span's events (log events recorded on the span).
    event_attributes: Vec<(String, String)>,
    service_name: String,
}

const SERVER: i32 = 2;
const CLIENT: i32 = 3;

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Exported>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut out = self.0.lock().unwrap();
        for rs in request.into_inner().resource_spans {
            let resource = rs.resource.map(|r| attributes(&r.attributes)).unwrap_or_default();
            let service_name = resource.get("service.name").cloned().unwrap_or_default();
            for ss in rs.scope_spans {
                for s in ss.spans {
                    out.push(Exported {
                        trace_id: hex(&s.trace_id),
                        span_id: hex(&s.span_id),
                        parent_span_id: hex(&s.parent_span_id),
                        name: s.name,
                        kind: s.kind,
                        attributes: attributes(&s.attributes),
                        event_attributes: s
                            .events
                            .iter()
                            .flat_map(|e| {
                                attributes(&e.attributes)
                                    .into_iter()
                                    .chain([("event".into(), e.name.clone())])
                            })
                            .collect(),
                        service_name: service_name.clone(),
                    });
                }
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attributes(kvs: &[KeyValue]) -> HashMap<String, String> {
    kvs.iter()
        .map(|kv| {
            (
                kv.key.clone(),
                kv.value.as_ref().map(any_value_text).unwrap_or_default(),
            )
        })
        .collect()
}

fn any_value_text(v: &AnyValue) -> String {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// Everything written by the logger, for assertions.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

impl Capture {
    /// Everything captured so far.
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The JSON lines carrying `request_id`.
    fn lines_of(&self, request_id: &str) -> Vec<Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .filter(|v| v["request_id"] == request_id)
            .collect()
    }
}

struct Pipeline {
    received: Receiver,
    logs: Capture,
    telemetry: otel::Telemetry,
    // Hosts the receiver and the exporter's gRPC channel for the whole process;
    // each test's own runtime ends with the test.
    _runtime: tokio::runtime::Runtime,
}

fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    // Built on a plain thread: tests call this from inside their own runtime.
    PIPELINE.get_or_init(|| std::thread::spawn(build_pipeline).join().expect("telemetry pipeline"))
}

fn build_pipeline() -> Pipeline {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let received = Receiver::default();
    let addr: SocketAddr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = TraceServiceServer::new(received.clone());
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        addr
    });

    // The service's own settings, pointed at the receiver, sampling everything new.
    let mut config = Config::default();
    config.tempo.host = addr.to_string();
    config.tempo.probability = 1.0;
    let telemetry = {
        let _in_runtime = runtime.enter();
        otel::Telemetry::new(&sales_api::config::otel_settings(&config)).expect("telemetry")
    };
    let logs = Capture::default();
    let subscriber = logger::subscriber(
        "sales-api",
        logger::Format::Json,
        &config.log.level,
        // As main does while exporting: spans behind `tempo.level`.
        Some(logger::Extra::new(telemetry.layer(), config.tempo.level.as_str())),
        logs.clone(),
    )
    .expect("log subscriber");
    tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in this test binary");
    Pipeline {
        received,
        logs,
        telemetry,
        _runtime: runtime,
    }
}

impl Pipeline {
    fn spans_of(&self, trace_id: &str) -> Vec<Exported> {
        self.received
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.trace_id == trace_id)
            .cloned()
            .collect()
    }

    /// Flushes until `done` holds for the spans of `trace_id` (or fails after 15 s).
    async fn wait_for(&self, trace_id: &str, what: &str, done: impl Fn(&[Exported]) -> bool) -> Vec<Exported> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            self.flush().await;
            let spans = self.spans_of(trace_id);
            if done(&spans) {
                return spans;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} of trace {trace_id}; got {spans:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn flush(&self) {
        let t = self.telemetry.clone();
        tokio::task::spawn_blocking(move || t.force_flush())
            .await
            .unwrap()
            .expect("flush");
    }
}

// ---------------------------------------------------------------------------
// Helpers

/// `(trace id, span id, flags)` of a response's `traceparent`.
fn traceparent(resp: &crate::harness::Resp) -> (String, String, String) {
    let tp = resp
        .header("traceparent")
        .unwrap_or_else(|| panic!("no traceparent in {:?}", resp.headers));
    let parts: Vec<&str> = tp.split('-').collect();
    assert_eq!(parts.len(), 4, "{tp}");
    assert_eq!(parts[0], "00", "{tp}");
    assert!(parts[1].len() == 32 && parts[2].len() == 16, "{tp}");
    (parts[1].to_string(), parts[2].to_string(), parts[3].to_string())
}

fn new_trace(sampled: bool) -> (String, String, String) {
    let trace = Uuid::new_v4().simple().to_string();
    let parent = Uuid::new_v4().simple().to_string()[..16].to_string();
    let header = format!("00-{trace}-{parent}-{}", if sampled { "01" } else { "00" });
    (trace, parent, header)
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> crate::harness::Resp {
    let mut req = app.client.request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.send(req).await
}

/// The chain of parents of `span` inside `spans` (nearest first).
fn ancestors<'a>(span: &Exported, spans: &'a [Exported]) -> Vec<&'a Exported> {
    let mut out = Vec::new();
    let mut parent = span.parent_span_id.clone();
    while let Some(p) = spans.iter().find(|s| s.span_id == parent) {
        out.push(p);
        parent = p.parent_span_id.clone();
        assert!(out.len() < 64, "parent cycle");
    }
    out
}

fn request_span<'a>(spans: &'a [Exported], name: &str) -> &'a Exported {
    let found: Vec<_> = spans.iter().filter(|s| s.kind == SERVER && s.name == name).collect();
    assert_eq!(found.len(), 1, "one server span {name:?} in {spans:#?}");
    found[0]
}

// ---------------------------------------------------------------------------
// Traces

async fn request_business_and_sql_spans_share_one_trace(app: TestApp) {
    let p = pipeline();
    let admin = app.admin_token().await;
    let request_id = format!("obs-{}", Uuid::new_v4().simple());
    let email = format!("obs-{}@example.com", &Uuid::new_v4().simple().to_string()[..12]);
    let body = TestApp::new_user_body(&email);
    let password = body["password"].as_str().unwrap().to_string();

    let resp = send(
        &app,
        Method::POST,
        "/v1/users",
        Some(&admin),
        Some(body),
        &[("x-request-id", &request_id)],
    )
    .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let (trace_id, server_span_id, flags) = traceparent(&resp);
    assert_eq!(flags, "01", "probability 1: sampled");

    let is_insert = |s: &Exported| {
        s.kind == CLIENT
            && s.attributes
                .get("db.query.text")
                .is_some_and(|q| q.starts_with("INSERT INTO users"))
    };
    let spans = p
        .wait_for(&trace_id, "request, business and INSERT spans", |spans| {
            spans.iter().any(|s| s.kind == SERVER)
                && spans.iter().any(|s| s.name == "userbus.create")
                && spans.iter().any(is_insert)
        })
        .await;

    // The request span: route, method and status, and the id the client was given.
    let req = request_span(&spans, "POST /v1/users");
    assert_eq!(req.span_id, server_span_id, "traceparent names the request span");
    assert_eq!(req.parent_span_id, "", "no caller trace: the request is the root");
    assert_eq!(req.attributes["http.route"], "/v1/users");
    assert_eq!(req.attributes["http.request.method"], "POST");
    assert_eq!(req.attributes["http.response.status_code"], "201");
    assert_eq!(req.attributes["request_id"], request_id);
    assert_eq!(req.service_name, "sales-api");

    // business call inside the request, SQL statement inside the business call.
    let bus = spans.iter().find(|s| s.name == "userbus.create").unwrap();
    assert!(
        ancestors(bus, &spans).iter().any(|a| a.span_id == req.span_id),
        "business span under the request: {spans:#?}"
    );
    let insert = spans.iter().find(|s| is_insert(s)).unwrap();
    let chain = ancestors(insert, &spans);
    assert_eq!(
        chain.first().map(|s| s.name.as_str()),
        Some("userbus.create"),
        "INSERT directly under the business call: {spans:#?}"
    );
    assert_eq!(insert.name, "INSERT users");
    assert_eq!(insert.attributes["db.collection.name"], "users");
    // Set once per process from SALES_DB_URL (this shared pipeline's config says SQLite).
    assert!(
        matches!(insert.attributes["db.system.name"].as_str(), "sqlite" | "postgresql"),
        "{insert:#?}"
    );
    // The audit row is written in the same transaction, in the same trace.
    assert!(
        spans
            .iter()
            .any(|s| s.kind == CLIENT && s.attributes.get("db.collection.name").is_some_and(|t| t == "audits"))
    );
    // Every span of the trace hangs off the request span.
    for s in &spans {
        assert!(
            s.span_id == req.span_id || ancestors(s, &spans).iter().any(|a| a.span_id == req.span_id),
            "orphan span {s:#?}"
        );
    }

    // Nothing exported may carry the password, its hash, or the caller's token.
    let hash = app
        .deps
        .users
        .query_by_email(&types::Email::parse(&email).unwrap())
        .await
        .unwrap()
        .password_hash
        .as_str()
        .to_string();
    let secrets = [password.as_str(), hash.as_str(), admin.as_str(), "$argon2", "Bearer "];
    for s in &spans {
        let texts = s
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(s.event_attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for (k, v) in texts {
            for secret in secrets {
                assert!(
                    !v.contains(secret),
                    "span {:?} attribute {k} leaks {secret:?}: {v}",
                    s.name
                );
            }
        }
    }

    // The request's log lines: every one carries the trace id; one says it completed.
    let lines = p.logs.lines_of(&request_id);
    assert!(!lines.is_empty(), "request lines: {lines:#?}");
    for line in &lines {
        assert_eq!(line["trace_id"], trace_id.as_str(), "{line}");
        let text = line.to_string();
        for secret in secrets {
            assert!(!text.contains(secret), "log line leaks {secret:?}: {text}");
        }
    }
    let done: Vec<_> = lines.iter().filter(|l| l["message"] == "request completed").collect();
    assert_eq!(done.len(), 1, "{lines:#?}");
    let done = done[0];
    assert_eq!(
        (done["method"].as_str(), done["route"].as_str(), done["status"].as_u64()),
        (Some("POST"), Some("/v1/users"), Some(201))
    );
    assert!(done["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{done}");
    // Logs and traces have separate filters: at the default log level the
    // statements are spans (above) but not log lines.
    assert!(
        !lines.iter().any(|l| l["target"] == "sqlx::query"),
        "default log level logs no statements: {lines:#?}"
    );
}

// ---------------------------------------------------------------------------
// Secrets

/// Every response of a scenario, with where tokens may legitimately appear.
struct Seen {
    /// `(step, full text of status line, headers and body)`.
    responses: Vec<(String, String)>,
    trace_ids: Vec<String>,
}

impl Seen {
    fn record(&mut self, step: &str, resp: &crate::harness::Resp) {
        let (trace_id, _, _) = traceparent(resp);
        self.trace_ids.push(trace_id);
        self.responses.push((
            step.to_string(),
            format!("{} {:?} {}", resp.status, resp.headers, resp.body),
        ));
    }
}

async fn password_hash(app: &TestApp, email: &str) -> String {
    app.deps
        .users
        .query_by_email(&types::Email::parse(email).unwrap())
        .await
        .unwrap()
        .password_hash
        .as_str()
        .to_string()
}

/// A user's whole life through the API (created, token by Basic auth, login, refresh,
/// password change, a failed login, a product and a sale, logout, a reused refresh
/// token, a garbage bearer token), then a grep of everything that left the process:
/// responses, every captured log line, every exported span of the scenario, and the
/// audit rows. Passwords and hashes may appear nowhere; tokens only in the bodies of
/// the responses that issue them.
async fn a_full_scenario_leaks_no_secret(app: TestApp) {
    let p = pipeline();
    let admin = app.admin_token().await;
    let tag = Uuid::new_v4().simple().to_string();
    let email = format!("leak-{}@example.com", &tag[..12]);
    let (pw1, pw2, pw_wrong) = (format!("first-{tag}"), format!("second-{tag}"), format!("wrong-{tag}"));
    let garbage_token = format!("garbage.{tag}.token");
    let mut seen = Seen {
        responses: Vec::new(),
        trace_ids: Vec::new(),
    };
    // Requests carry sampled trace contexts, so their spans are exported whatever the
    // sampler says.
    let traced = |req: reqwest::RequestBuilder| req.header("traceparent", new_trace(true).2);

    let resp = app
        .send(
            traced(app.client.post(app.url("/v1/users")))
                .bearer_auth(&admin)
                .json(&json!({
            "name": "Leak Test", "email": email, "roles": ["USER"], "department": "QA",
            "password": pw1, "passwordConfirm": pw1})),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    seen.record("create user", &resp);
    let user_id = resp.body["id"].as_str().unwrap().to_string();
    let hash1 = password_hash(&app, &email).await;

    let resp = app
        .send(
            traced(
                app.client
                    .get(app.url(&format!("/v1/auth/token/{}", crate::harness::DEV_KID))),
            )
            .basic_auth(&email, Some(&pw1)),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let basic_token = resp.body["token"].as_str().unwrap().to_string();
    seen.record("token by basic auth", &resp);

    let login = json!({"email": email, "password": pw1});
    let resp = app
        .send(traced(app.client.post(app.url("/v1/auth/login"))).json(&login))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let (access1, refresh1) = (
        resp.body["accessToken"].as_str().unwrap().to_string(),
        resp.body["refreshToken"].as_str().unwrap().to_string(),
    );
    seen.record("login", &resp);

    let resp = app
        .send(traced(app.client.post(app.url("/v1/auth/refresh"))).json(&json!({"refreshToken": refresh1})))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let (access2, refresh2) = (
        resp.body["accessToken"].as_str().unwrap().to_string(),
        resp.body["refreshToken"].as_str().unwrap().to_string(),
    );
    seen.record("refresh", &resp);

    let resp = app
        .send(
            traced(app.client.put(app.url(&format!("/v1/users/{user_id}"))))
                .bearer_auth(&access2)
                .json(&json!({"password": pw2, "passwordConfirm": pw2})),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    seen.record("change password", &resp);
    let hash2 = password_hash(&app, &email).await;
    assert_ne!(hash1, hash2);

    let resp = app
        .send(traced(app.client.post(app.url("/v1/auth/login"))).json(&json!({"email": email, "password": pw_wrong})))
        .await;
    assert_eq!(resp.status, 401, "{}", resp.body);
    seen.record("wrong password", &resp);

    let resp = app
        .send(
            traced(app.client.post(app.url("/v1/products")))
                .bearer_auth(&access2)
                .json(&json!({"name": format!("Lamp {}", &tag[..6]), "cost": 12.5, "quantity": 3})),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    seen.record("create product", &resp);
    let product_id = resp.body["id"].as_str().unwrap().to_string();

    let resp = app
        .send(
            traced(app.client.post(app.url("/v1/sales")))
                .bearer_auth(&basic_token)
                .json(&json!({"lines": [{"productID": product_id, "quantity": 1}]})),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    seen.record("sale", &resp);

    let resp = app
        .send(traced(app.client.post(app.url("/v1/auth/logout"))).json(&json!({"refreshToken": refresh2})))
        .await;
    assert_eq!(resp.status, 204, "{}", resp.body);
    seen.record("logout", &resp);

    let resp = app
        .send(traced(app.client.post(app.url("/v1/auth/refresh"))).json(&json!({"refreshToken": refresh1})))
        .await;
    assert_eq!(resp.status, 401, "reused refresh token: {}", resp.body);
    seen.record("reused refresh token", &resp);

    let resp = app
        .send(traced(app.client.get(app.url("/v1/products"))).bearer_auth(&garbage_token))
        .await;
    assert_eq!(resp.status, 401, "{}", resp.body);
    seen.record("garbage token", &resp);

    let resp = app
        .send(
            traced(
                app.client
                    .get(app.url(&format!("/v1/audits?rows=100&obj_id={user_id}"))),
            )
            .bearer_auth(&admin),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let actions: Vec<&str> = resp.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"created") && actions.contains(&"updated"),
        "the user's creation and password change are audited: {}",
        resp.body
    );
    seen.record("audits", &resp);

    let passwords_and_hashes = [
        pw1.as_str(),
        pw2.as_str(),
        pw_wrong.as_str(),
        hash1.as_str(),
        hash2.as_str(),
        "$argon2",
    ];
    let tokens = [
        basic_token.as_str(),
        access1.as_str(),
        access2.as_str(),
        refresh1.as_str(),
        refresh2.as_str(),
        garbage_token.as_str(),
        admin.as_str(),
    ];
    // Where a token may appear: the body of the response that issued it.
    let issued_by = |token: &str| match token {
        t if t == basic_token => Some("token by basic auth"),
        t if t == access1 || t == refresh1 => Some("login"),
        t if t == access2 || t == refresh2 => Some("refresh"),
        _ => None,
    };

    for (step, text) in &seen.responses {
        for secret in passwords_and_hashes {
            assert!(!text.contains(secret), "response to {step:?} leaks {secret:?}: {text}");
        }
        for token in tokens {
            if issued_by(token) != Some(step.as_str()) {
                assert!(!text.contains(token), "response to {step:?} leaks a token: {text}");
            }
        }
    }

    // Spans: wait for the last request's server span, then everything is flushed.
    let last = seen.trace_ids.last().unwrap().clone();
    p.wait_for(&last, "the audit request's span", |spans| {
        spans.iter().any(|s| s.kind == SERVER)
    })
    .await;
    let mut span_count = 0;
    for trace_id in &seen.trace_ids {
        let spans = p.spans_of(trace_id);
        assert!(spans.iter().any(|s| s.kind == SERVER), "trace {trace_id} was exported");
        for s in &spans {
            span_count += 1;
            let texts = s
                .attributes
                .iter()
                .chain(s.event_attributes.iter().map(|(k, v)| (k, v)))
                .map(|(k, v)| format!("{k}={v}"));
            for text in texts.chain([s.name.clone()]) {
                for secret in passwords_and_hashes.iter().chain(tokens.iter()) {
                    assert!(!text.contains(secret), "span {:?} leaks {secret:?}: {text}", s.name);
                }
            }
        }
    }
    assert!(
        span_count > seen.trace_ids.len(),
        "business and SQL spans were checked too"
    );

    // Logs: every line captured in this process so far (other tests' lines included;
    // the secrets are this test's own, so any hit is a leak of this scenario).
    let logs = p.logs.text();
    for trace_id in &seen.trace_ids {
        assert!(
            logs.contains(trace_id.as_str()),
            "request of trace {trace_id} was logged"
        );
    }
    for secret in passwords_and_hashes.iter().chain(tokens.iter()) {
        if let Some(line) = logs.lines().find(|l| l.contains(secret)) {
            panic!("log line leaks {secret:?}: {line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoming_trace_context_is_continued_and_returned() {
    let p = pipeline();
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (trace, parent, header) = new_trace(true);

    let resp = send(
        &app,
        Method::GET,
        "/v1/users?rows=1",
        Some(&admin),
        None,
        &[("traceparent", &header)],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let (got_trace, span_id, flags) = traceparent(&resp);
    assert_eq!(
        (got_trace.as_str(), flags.as_str()),
        (trace.as_str(), "01"),
        "the caller's trace and decision"
    );
    assert_ne!(span_id, parent, "our own span id, not the caller's");

    let spans = p
        .wait_for(&trace, "request span", |s| s.iter().any(|s| s.kind == SERVER))
        .await;
    let req = request_span(&spans, "GET /v1/users");
    assert_eq!(req.parent_span_id, parent, "child of the caller's span");
    assert_eq!(req.span_id, span_id);
    assert!(spans.iter().any(|s| s.name == "userbus.query"), "{spans:#?}");

    // A malformed traceparent starts a new trace instead of failing the request.
    let resp = send(
        &app,
        Method::GET,
        "/v1/users?rows=1",
        Some(&admin),
        None,
        &[("traceparent", "00-garbage-01")],
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_ne!(traceparent(&resp).0, trace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_are_never_exported() {
    let p = pipeline();
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let mut probe_traces = Vec::new();
    for path in ["/v1/liveness", "/v1/readiness"] {
        // Even a caller that asks for sampling does not get a probe traced.
        let (trace, _, header) = new_trace(true);
        let resp = send(&app, Method::GET, path, None, None, &[("traceparent", &header)]).await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.body);
        let (got, _, flags) = traceparent(&resp);
        assert_eq!(
            (got.as_str(), flags.as_str()),
            (trace.as_str(), "00"),
            "{path}: same trace, not sampled"
        );
        probe_traces.push(trace);

        let resp = send(&app, Method::GET, path, None, None, &[]).await;
        assert_eq!(resp.status, 200);
        probe_traces.push(traceparent(&resp).0);
    }

    // An ordinary request sent after the probes is exported; once it has arrived,
    // anything the probes had exported would have arrived too.
    let admin = app.admin_token().await;
    let resp = send(&app, Method::GET, "/v1/users?rows=1", Some(&admin), None, &[]).await;
    let (control, _, _) = traceparent(&resp);
    p.wait_for(&control, "control request", |s| s.iter().any(|s| s.kind == SERVER))
        .await;
    for trace in &probe_traces {
        assert!(
            p.spans_of(trace).is_empty(),
            "probe trace {trace} exported: {:#?}",
            p.spans_of(trace)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sampled_out_request_exports_nothing() {
    let p = pipeline();
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (trace, _, header) = new_trace(false);
    let request_id = format!("obs-{}", Uuid::new_v4().simple());
    let email = format!("out-{}@example.com", &Uuid::new_v4().simple().to_string()[..12]);

    let resp = send(
        &app,
        Method::POST,
        "/v1/users",
        Some(&admin),
        Some(TestApp::new_user_body(&email)),
        &[("traceparent", &header), ("x-request-id", &request_id)],
    )
    .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let (got, _, flags) = traceparent(&resp);
    assert_eq!((got.as_str(), flags.as_str()), (trace.as_str(), "00"));

    let resp = send(&app, Method::GET, "/v1/users?rows=1", Some(&admin), None, &[]).await;
    let (control, _, _) = traceparent(&resp);
    p.wait_for(&control, "control request", |s| s.iter().any(|s| s.kind == SERVER))
        .await;
    assert!(p.spans_of(&trace).is_empty(), "{:#?}", p.spans_of(&trace));

    // Not exported, but still correlated in the logs.
    let lines = p.logs.lines_of(&request_id);
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["trace_id"] == trace.as_str()), "{lines:#?}");
}

// ---------------------------------------------------------------------------
// Debug server

/// The debug router of `app`, on its own port.
async fn debug_server(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(web::serve(
        listener,
        sales_api::debug::router(&app.deps),
        app.shutdown.clone(),
    ));
    addr
}

/// A product of the seeded user, bought by the admin: `(sale id, units)`.
async fn make_a_sale(app: &TestApp, units: u64) {
    let seller = app.token_for(USER_ID).await;
    let admin = app.admin_token().await;
    let product = app
        .post(
            "/v1/products",
            Some(&seller),
            json!({"name": "Observed lamp", "cost": 12.5, "quantity": 10}),
        )
        .await;
    assert_eq!(product.status, 201, "{}", product.body);
    let sale = app
        .post(
            "/v1/sales",
            Some(&admin),
            json!({"lines": [{"productID": product.body["id"], "quantity": units}]}),
        )
        .await;
    assert_eq!(sale.status, 201, "{}", sale.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_prometheus_text() {
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let debug = debug_server(&app).await;
    let admin = app.admin_token().await;
    for _ in 0..3 {
        assert_eq!(app.get("/v1/users", Some(&admin)).await.status, 200);
    }
    assert_eq!(
        app.get(&format!("/v1/users/{}", Uuid::new_v4()), Some(&admin))
            .await
            .status,
        404
    );
    make_a_sale(&app, 3).await;

    let resp = app.client.get(format!("http://{debug}/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = resp.text().await.unwrap();
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text");

    let sample = |name: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .unwrap_or_else(|| panic!("no {name} {labels:?} in\n{text}"))
            .value
            .clone()
    };
    // Counters by method, route template and status; TYPE lines make them counters.
    assert_eq!(
        sample(
            "http_requests_total",
            &[("method", "GET"), ("route", "/v1/users"), ("status", "200")]
        ),
        Prom::Counter(3.0)
    );
    assert_eq!(
        sample(
            "http_requests_total",
            &[("method", "GET"), ("route", "/v1/users/:user_id"), ("status", "404")]
        ),
        Prom::Counter(1.0),
        "ids never become labels; `{{param}}` is written `:param`"
    );
    // The latency histogram: cumulative buckets ending in +Inf = the count.
    match sample(
        "http_request_duration_seconds",
        &[("route", "/v1/users"), ("status", "200")],
    ) {
        Prom::Histogram(buckets) => {
            assert!(buckets.len() >= 10, "{buckets:?}");
            assert!(
                buckets
                    .windows(2)
                    .all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count),
                "{buckets:?}"
            );
            let inf = buckets.last().unwrap();
            assert!(inf.less_than.is_infinite() && inf.count == 3.0, "{buckets:?}");
        }
        other => panic!("histogram expected, got {other:?}"),
    }
    // DB pool gauges and the sales counters (process-wide: other tests sell too).
    assert!(matches!(sample("db_pool_open_connections", &[]), Prom::Gauge(n) if n >= 1.0));
    assert!(
        matches!(sample("db_pool_max_connections", &[]), Prom::Gauge(n) if n == f64::from(app.deps.config.db.max_open_conns))
    );
    assert!(matches!(sample("sales_total", &[]), Prom::Counter(n) if n >= 1.0));
    assert!(matches!(sample("sales_units_sold_total", &[]), Prom::Counter(n) if n >= 3.0));
    assert!(matches!(sample("process_resident_memory_bytes", &[]), Prom::Gauge(n) if n > 0.0));
    assert!(matches!(sample("build_info", &[("version", env!("CARGO_PKG_VERSION"))]), Prom::Gauge(n) if n == 1.0));
    // Every family is documented.
    for family in [
        "http_requests_total",
        "http_request_duration_seconds",
        "db_pool_in_use_connections",
        "sales_total",
        "tokio_workers",
    ] {
        assert!(
            scrape.docs.get(family).is_some_and(|h| !h.is_empty()),
            "HELP for {family}"
        );
        assert!(text.contains(&format!("# TYPE {family} ")), "TYPE for {family}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_vars_and_probes_on_the_debug_port() {
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let debug = debug_server(&app).await;
    let admin = app.admin_token().await;
    assert_eq!(app.get("/v1/users", Some(&admin)).await.status, 200);
    assert_eq!(app.get("/v1/nope", None).await.status, 404);

    let vars: Value = app
        .client
        .get(format!("http://{debug}/debug/vars"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(vars["build"], env!("CARGO_PKG_VERSION"));
    assert_eq!(vars["requests"], 2, "{vars}");
    assert_eq!(vars["errors"], 0, "a 404 is not an error: {vars}");
    assert_eq!(vars["inFlight"], 0);
    assert!(vars["panics"].is_u64());
    assert_eq!(vars["db"]["backend"], "sqlite");
    assert!(vars["db"]["open"].as_u64().is_some_and(|n| n >= 1), "{vars}");
    assert!(vars["db"]["idle"].is_u64() && vars["db"]["inUse"].is_u64() && vars["db"]["maxOpen"].is_u64());
    assert!(vars["runtime"]["workers"].as_u64().is_some_and(|n| n == 2), "{vars}");
    assert!(vars["runtime"]["aliveTasks"].as_u64().is_some_and(|n| n >= 1));
    assert!(
        vars["process"]["rssBytes"].as_u64().is_some_and(|n| n > 1 << 20),
        "{vars}"
    );
    assert!(vars["sales"]["completed"].is_u64() && vars["sales"]["unitsSold"].is_u64());

    for probe in ["/v1/liveness", "/v1/readiness"] {
        let resp = app.client.get(format!("http://{debug}{probe}")).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{probe}");
    }
    // Probes on the debug port do not count as API requests.
    let vars: Value = app
        .client
        .get(format!("http://{debug}/debug/vars"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(vars["requests"], 2);
}

#[cfg(feature = "pprof")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_profile_is_a_flame_graph() {
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let debug = debug_server(&app).await;
    // Something to sample (an idle process gives an explained, empty graph): burn
    // CPU until the profile is back, however long the loaded machine takes.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let burn = std::thread::spawn({
        let done = done.clone();
        move || {
            let mut x = 0u64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                for _ in 0..1_000_000 {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            x
        }
    });
    let resp = app
        .client
        .get(format!("http://{debug}/debug/pprof/profile?seconds=1"))
        .send()
        .await
        .unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    burn.join().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    let svg = resp.text().await.unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("samples"),
        "{}",
        &svg[..svg.len().min(300)]
    );
    assert!(!svg.contains("no CPU samples"), "the busy thread was sampled");
}

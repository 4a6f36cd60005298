//! The sidecar against a real sales API (in process, on SQLite) and against a
//! service that goes away and comes back. One test binary for the crate.

use std::{net::SocketAddr, time::Duration};

use metrics::{CollectConfig, Collector, routes};
use prometheus_parse::{Scrape, Value as Prom};
use sdk::{dbtest::TestDb, sqldb::Backend};
use serde_json::Value;

/// Serves `router` on a free port until the test ends.
async fn serve(router: axum::Router, shutdown: &web::Shutdown) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(web::serve(listener, router, shutdown.clone()));
    addr
}

/// The sidecar's two publications, scraping `from` every 50 ms.
struct Sidecar {
    prometheus: SocketAddr,
    json: SocketAddr,
    debug: SocketAddr,
    client: reqwest::Client,
}

impl Sidecar {
    async fn start(from: String, shutdown: &web::Shutdown) -> Sidecar {
        let cfg = CollectConfig {
            from,
            interval_secs: 1,
            timeout_ms: 500,
            namespace: "sales".into(),
        };
        let collector = Collector::new(&cfg).unwrap();
        tokio::spawn(collector.clone().run(Duration::from_millis(50), shutdown.clone()));
        Sidecar {
            prometheus: serve(routes::prometheus(collector.clone()), shutdown).await,
            json: serve(routes::expvar(collector.clone()), shutdown).await,
            debug: serve(routes::debug(collector), shutdown).await,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
        }
    }

    async fn scrape(&self) -> Scrape {
        let resp = self
            .client
            .get(format!("http://{}/metrics", self.prometheus))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = resp.text().await.unwrap();
        Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text")
    }

    async fn json(&self) -> Value {
        self.client
            .get(format!("http://{}/metrics", self.json))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Scrapes until `done` holds (5 s at most).
    async fn until(&self, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
        for _ in 0..100 {
            let s = self.scrape().await;
            if done(&s) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}: {:#?}", self.scrape().await.samples);
    }
}

fn value(s: &Scrape, name: &str) -> Option<f64> {
    s.samples.iter().find(|x| x.metric == name).map(|x| match x.value {
        Prom::Gauge(v) | Prom::Counter(v) | Prom::Untyped(v) => v,
        ref other => panic!("{name}: {other:?}"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn republishes_a_counter_the_service_incremented() {
    // The real service: its API and its debug server, as main.rs runs them.
    let db = TestDb::seeded(Backend::Sqlite).await.expect("SQLite test database");
    let mut config = sales_api::Config::default();
    config.db.url = db.config.url.clone();
    config.auth.keys_folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../zarf/keys").into();
    let keys = keystore::KeyStore::from_dir(&config.auth.keys_folder).unwrap();
    let shutdown = web::Shutdown::new();
    let deps = sales_api::Deps::new(config, db.pool.clone(), keys, shutdown.clone())
        .await
        .unwrap();
    let api = serve(sales_api::App::router(&deps), &shutdown).await;
    let debug = serve(sales_api::debug::router(&deps), &shutdown).await;

    let sidecar = Sidecar::start(format!("http://{debug}/debug/vars"), &shutdown).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let hit = |path: &'static str| {
        let client = client.clone();
        async move { client.get(format!("http://{api}{path}")).send().await.unwrap().status() }
    };

    let s = sidecar
        .until("first scrape", |s| value(s, "sidecar_target_up") == Some(1.0))
        .await;
    assert_eq!(value(&s, "sales_requests"), Some(0.0), "nothing served yet");

    for _ in 0..3 {
        assert_eq!(hit("/v1/liveness").await, 200);
    }
    assert_eq!(hit("/v1/no-such-route").await, 404);
    let s = sidecar
        .until("sales_requests = 4", |s| value(s, "sales_requests") == Some(4.0))
        .await;
    // A few more of the service's figures, renamed from its JSON paths.
    assert_eq!(value(&s, "sales_errors"), Some(0.0));
    assert_eq!(value(&s, "sales_in_flight"), Some(0.0));
    assert!(value(&s, "sales_db_open").is_some_and(|n| n >= 1.0));
    assert!(value(&s, "sales_process_rss_bytes").is_some_and(|n| n > 0.0));
    let info = s.samples.iter().find(|x| x.metric == "sales_info").expect("sales_info");
    assert_eq!(info.labels.get("build"), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(info.labels.get("db_backend"), Some("sqlite"));
    assert!(
        s.docs.get("sales_requests").is_some_and(|h| h.contains("requests")),
        "HELP lines"
    );

    // The JSON publication is the service's document plus the collector's status.
    let json = sidecar.json().await;
    assert_eq!(json["requests"], 4, "{json}");
    assert_eq!(json["db"]["backend"], "sqlite");
    assert_eq!(json["collector"]["up"], true);
    assert_eq!(json["collector"]["target"], format!("http://{debug}/debug/vars"));

    // Still live: the next request shows up too.
    assert_eq!(hit("/v1/liveness").await, 200);
    sidecar
        .until("sales_requests = 5", |s| value(s, "sales_requests") == Some(5.0))
        .await;
    shutdown.trigger();
}

/// A stand-in for the service: a `/debug/vars` with a request counter.
fn fake_service(requests: u64) -> axum::Router {
    axum::Router::new().route(
        "/debug/vars",
        axum::routing::get(
            move || async move { axum::Json(serde_json::json!({"build": "test", "requests": requests})) },
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_the_service_being_down_and_says_so() {
    let shutdown = web::Shutdown::new();
    // A port with nothing listening: the service is down from the start.
    let port = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = port.local_addr().unwrap();
    drop(port);
    let sidecar = Sidecar::start(format!("http://{addr}/debug/vars"), &shutdown).await;

    let s = sidecar
        .until("failed scrapes", |s| {
            value(s, "sidecar_scrape_failures_total").is_some_and(|n| n >= 2.0)
        })
        .await;
    assert_eq!(value(&s, "sidecar_target_up"), Some(0.0));
    assert_eq!(value(&s, "sales_requests"), None, "no figures while down");
    let json = sidecar.json().await;
    assert_eq!(json["collector"]["up"], false, "{json}");
    assert!(
        json["collector"]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{json}"
    );
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    for path in ["/v1/liveness", "/v1/readiness", "/debug/vars"] {
        let resp = client
            .get(format!("http://{}{path}", sidecar.debug))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "the sidecar itself stays healthy: {path}");
        let body: Value = resp.json().await.unwrap();
        if path == "/v1/readiness" {
            assert_eq!(body["target"], "down");
        }
    }

    // The service comes up on that address: the sidecar picks it up.
    let service_down = web::Shutdown::new();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("rebind the freed port");
    let server = tokio::spawn(web::serve(listener, fake_service(42), service_down.clone()));
    let s = sidecar
        .until("target up", |s| value(s, "sidecar_target_up") == Some(1.0))
        .await;
    assert_eq!(value(&s, "sales_requests"), Some(42.0));

    // And goes away again: down, figures dropped, last values kept (flagged) in JSON.
    service_down.trigger();
    server.await.unwrap().unwrap();
    sidecar
        .until("target down again", |s| value(s, "sidecar_target_up") == Some(0.0))
        .await;
    let json = sidecar.json().await;
    assert_eq!(
        (json["collector"]["up"].as_bool(), json["requests"].as_u64()),
        (Some(false), Some(42)),
        "{json}"
    );
    assert!(json["collector"]["lastSuccessUnix"].as_f64().is_some());

    // A service that answers, but not with JSON, is down as well.
    let garbage = axum::Router::new().route("/debug/vars", axum::routing::get(|| async { "<html>oops</html>" }));
    let other = serve(garbage, &shutdown).await;
    let sidecar = Sidecar::start(format!("http://{other}/debug/vars"), &shutdown).await;
    sidecar
        .until("failed scrape", |s| {
            value(s, "sidecar_scrape_failures_total").is_some_and(|n| n >= 1.0)
        })
        .await;
    let json = sidecar.json().await;
    assert!(
        json["collector"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("no JSON")),
        "{json}"
    );
    shutdown.trigger();
}

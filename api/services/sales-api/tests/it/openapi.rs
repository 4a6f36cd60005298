//! The OpenAPI document against the code: every route the router serves is
//! documented and every documented operation is served; the served document is
//! OpenAPI 3.1 and equals the committed `api/openapi.json`; every operation states
//! its rule, security and errors; the viewer and the landing page work offline.
//!
//! The document does not depend on the database, so these run on SQLite only.

use std::{collections::BTreeSet, path::PathBuf};

use axum::{
    Router,
    body::Body,
    http::{Method, Request},
    routing::get,
};
use sales_api::App;
use sdk::sqldb::Backend;
use serde_json::Value;
use tower::ServiceExt;

use crate::harness::TestApp;

/// `(METHOD, path)` with the path in the router's (and OpenAPI's) `{param}` form.
type Route = (String, String);

/// Routes that serve the documentation itself, not the API.
const NOT_API: [(&str, &str); 5] = [
    ("GET", "/"),
    ("GET", "/docs"),
    ("GET", "/docs/"),
    ("GET", "/docs/{*rest}"),
    ("GET", "/docs/openapi.json"),
];

const HTTP_METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

async fn app() -> TestApp {
    TestApp::start(Backend::Sqlite).await.expect("SQLite test database")
}

/// The paths of the router's route table. axum has no API to list routes, but its
/// `Debug` output prints the table as `paths: {RouteId(n): "/path", ...}`; this
/// reads it and fails loudly if the format ever changes.
fn router_paths(router: &Router) -> BTreeSet<String> {
    let dump = format!("{router:?}");
    // The main table comes first; the fallback router's table is not routes.
    let main = dump.split("fallback_router:").next().unwrap_or_default();
    let table = main
        .split_once("paths: {")
        .unwrap_or_else(|| panic!("no `paths: {{` in the router's Debug output; has axum changed it? {main:.300}"))
        .1;
    let mut paths = BTreeSet::new();
    let mut rest = table.trim_start();
    while !rest.starts_with('}') {
        let after_id = rest
            .strip_prefix("RouteId(")
            .and_then(|r| r.split_once("): \""))
            .unwrap_or_else(|| panic!("unexpected route table entry: {rest:.120}"))
            .1;
        let (path, tail) = after_id.split_once('"').expect("closing quote of a path");
        paths.insert(path.to_string());
        rest = tail.trim_start_matches([',', ' ']);
    }
    paths.retain(|p| !p.contains("__private__axum"));
    assert!(paths.contains("/v1/liveness"), "route table misread: {paths:?}");
    paths
}

/// Every `(METHOD, path)` the router serves: the paths from its route table, and
/// each path's methods from the `Allow` header of the 405 it answers to a method
/// that no route uses.
async fn served_routes(router: &Router) -> BTreeSet<Route> {
    let mut routes = BTreeSet::new();
    for path in router_paths(router) {
        let uri: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "probe" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let req = Request::builder()
            .method(Method::from_bytes(b"PROBE").unwrap())
            .uri(&uri)
            .body(Body::empty())
            .unwrap();
        let resp = router.clone().oneshot(req).await.unwrap();
        assert_eq!(
            resp.status(),
            405,
            "{path}: a route that takes any method cannot be documented per method"
        );
        let allow = resp
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        // HEAD comes with every GET; it is not documented separately.
        for m in allow
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty() && *m != "HEAD")
        {
            routes.insert((m.to_string(), path.clone()));
        }
    }
    routes
}

fn documented_routes(doc: &Value) -> BTreeSet<Route> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in HTTP_METHODS {
            if item.get(m).is_some() {
                routes.insert((m.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// `(served but undocumented, documented but not served)`.
fn coverage(served: &BTreeSet<Route>, documented: &BTreeSet<Route>) -> (Vec<Route>, Vec<Route>) {
    let not_api: BTreeSet<Route> = NOT_API.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let undocumented = served
        .iter()
        .filter(|r| !documented.contains(*r) && !not_api.contains(*r))
        .cloned()
        .collect();
    let phantom = documented.iter().filter(|r| !served.contains(*r)).cloned().collect();
    (undocumented, phantom)
}

fn document() -> Value {
    serde_json::to_value(sales_api::docs::openapi()).unwrap()
}

#[tokio::test]
async fn every_served_route_is_documented_and_every_documented_route_is_served() {
    let app = app().await;
    let served = served_routes(&App::routes(&app.deps)).await;
    for (m, p) in NOT_API {
        assert!(
            served.contains(&(m.to_string(), p.to_string())),
            "{m} {p} is not served"
        );
    }
    let (undocumented, phantom) = coverage(&served, &documented_routes(&document()));
    assert!(
        undocumented.is_empty(),
        "routes served but missing from the OpenAPI document (add #[utoipa::path] and list the handler in its \
         crate's ApiDoc): {undocumented:?}"
    );
    assert!(phantom.is_empty(), "operations documented but not served: {phantom:?}");
}

/// Proof that the check above can fail: a route added without documentation, a
/// method missing from the document, and a documented route nobody serves.
#[tokio::test]
async fn coverage_check_catches_undocumented_and_phantom_routes() {
    let app = app().await;
    let router = App::routes(&app.deps).merge(Router::new().route("/v1/undocumented/{id}", get(|| async { "x" })));
    let served = served_routes(&router).await;

    let mut doc = document();
    let paths = doc["paths"].as_object_mut().unwrap();
    paths["/v1/users"].as_object_mut().unwrap().remove("post");
    paths.insert("/v1/phantom".into(), serde_json::json!({"get": {"responses": {}}}));

    let (undocumented, phantom) = coverage(&served, &documented_routes(&doc));
    let route = |m: &str, p: &str| (m.to_string(), p.to_string());
    assert!(
        undocumented.contains(&route("GET", "/v1/undocumented/{id}")),
        "{undocumented:?}"
    );
    assert!(undocumented.contains(&route("POST", "/v1/users")), "{undocumented:?}");
    assert!(phantom.contains(&route("GET", "/v1/phantom")), "{phantom:?}");
}

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json")
}

#[tokio::test]
async fn served_document_is_openapi_3_1_and_matches_the_committed_copy() {
    let app = app().await;
    let resp = app.client.get(app.url("/docs/openapi.json")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let served: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).expect("valid JSON");
    assert!(
        served["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")),
        "openapi = {}",
        served["openapi"]
    );
    assert_eq!(served, document(), "the served document is the generated one");

    let path = committed_path();
    let pretty = sales_api::docs::openapi().to_pretty_json().unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, pretty).unwrap();
        return;
    }
    let committed: Option<Value> = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok());
    assert!(
        committed.as_ref() == Some(&served),
        "api/openapi.json is missing or out of date with the code. Regenerate it with\n    \
         UPDATE_OPENAPI=1 cargo nextest run -p sales-api openapi\nreview the diff and commit it."
    );
}

/// Structural rules every operation follows, so none can be half documented.
#[test]
fn every_operation_states_its_rule_security_and_errors() {
    let doc = document();
    let tags = [
        "checks", "auth", "users", "audits", "products", "sales",
        // @generator:openapi-tags
    ];
    let schemes: Vec<&String> = doc["components"]["securitySchemes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in HTTP_METHODS {
            let Some(op) = item.get(m) else { continue };
            let at = format!("{} {path}", m.to_ascii_uppercase());
            let description = op["description"].as_str().unwrap_or_default();
            assert!(
                description.contains("**Rule:"),
                "{at}: the description must state the rule"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{at}: no summary"
            );
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(operation_ids.insert(id), "{at}: operationId {id:?} is not unique");
            let tag = op["tags"][0].as_str().unwrap_or_default();
            assert!(tags.contains(&tag), "{at}: tag {tag:?} is not one of {tags:?}");

            // Security is explicit on every operation: a scheme, or `{}` for none.
            let security = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{at}: no security stated"));
            let used: Vec<&str> = security
                .iter()
                .flat_map(|r| r.as_object().unwrap().keys().map(String::as_str))
                .collect();
            for s in &used {
                assert!(schemes.iter().any(|k| k == s), "{at}: unknown security scheme {s}");
            }

            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{at}: no success response"
            );
            if !used.is_empty() {
                assert!(responses.contains_key("401"), "{at}: authenticated but no 401");
            }
            for status in ["500", "503", "504"] {
                assert!(responses.contains_key(status), "{at}: no {status}");
            }
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let by_ref = r["$ref"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("#/components/responses/"));
                    let body = &r["content"]["application/json"]["schema"]["$ref"];
                    assert!(
                        by_ref || body == "#/components/schemas/ErrorBody",
                        "{at} {status}: not an ErrorBody"
                    );
                }
            }

            // Every `{param}` of the path is declared.
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(['{', '}']);
                assert!(declared.contains(&name), "{at}: path parameter {name} not declared");
            }
        }
    }
}

#[tokio::test]
async fn viewer_is_served_from_the_binary() {
    let app = app().await;
    let resp = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url().path(), "/docs/", "/docs redirects to the viewer's folder");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "not Swagger UI: {html:.300}");

    // Every script and stylesheet is local, and is served.
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for chunk in html.split(attr).skip(1) {
            let target = chunk.split('"').next().unwrap();
            assert!(!target.contains("//"), "remote asset {target} in the viewer");
            assets.push(target.trim_start_matches("./").to_string());
        }
    }
    assert!(
        assets.iter().any(|a| a.ends_with(".js")),
        "no script found in {html:.300}"
    );
    for asset in &assets {
        let r = app.client.get(app.url(&format!("/docs/{asset}"))).send().await.unwrap();
        assert_eq!(r.status(), 200, "/docs/{asset}");
    }

    // The viewer loads our document, and nothing from elsewhere (no validator badge).
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/docs/openapi.json"), "{init}");
    assert!(!init.contains("http://") && !init.contains("https://"), "{init}");
}

#[tokio::test]
async fn landing_page_links_to_the_docs_and_the_probes() {
    let app = app().await;
    let resp = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    let links: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .map(|c| c.split('"').next().unwrap())
        .collect();
    for wanted in ["/docs", "/docs/openapi.json", "/v1/liveness", "/v1/readiness"] {
        assert!(links.contains(&wanted), "no link to {wanted} in {links:?}");
    }
    for link in links {
        let r = app.client.get(app.url(link)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{link}");
    }
}

//! The API's own documentation: the OpenAPI 3.1 document generated from the
//! handlers' annotations (`/docs/openapi.json`), Swagger UI compiled into the
//! binary (`/docs`, nothing fetched at build or run time), and a landing page
//! (`/`). None of them needs authentication.
//!
//! Each app crate documents its handlers and exposes an `ApiDoc`; a new domain
//! adds its own at the `@generator:openapi` marker.

use std::sync::LazyLock;

use axum::{Router, http::HeaderValue, response::Html, routing::get};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/docs/openapi.json";

const LANDING_PAGE: &str = include_str!("landing.html");

/// The part of the document that belongs to the service as a whole.
#[derive(OpenApi)]
#[openapi(info(
    title = "Sales API",
    description = include_str!("openapi_intro.md"),
    license(name = "Apache-2.0", identifier = "Apache-2.0"),
))]
struct ServiceDoc;

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let mut doc = ServiceDoc::openapi();
    for part in [
        appsdk::docs::CommonDoc::openapi(),
        checkapp::ApiDoc::openapi(),
        authapp::ApiDoc::openapi(),
        userapp::ApiDoc::openapi(),
        auditapp::ApiDoc::openapi(),
        productapp::ApiDoc::openapi(),
        saleapp::ApiDoc::openapi(),
        // @generator:openapi
    ] {
        doc.merge(part);
    }
    appsdk::docs::finish(&mut doc);
    doc
});

/// The OpenAPI document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    DOCUMENT.clone()
}

/// `/`, `/docs` (Swagger UI) and `/docs/openapi.json`.
pub fn routes() -> Router {
    // The validator badge would send the document to a public service; keep it off.
    let config = Config::new([OPENAPI_PATH])
        .validator_url("none")
        .try_it_out_enabled(true)
        .persist_authorization(true);
    let viewer = SwaggerUi::new("/docs").url(OPENAPI_PATH, openapi()).config(config);
    Router::new()
        .route("/", get(|| async { Html(LANDING_PAGE) }))
        .merge(viewer)
        // Static for the life of the process: let browsers keep it for a while
        // (the security headers layer would otherwise say `no-store`).
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ))
}

//! Builds every dependency from the configuration and mounts every domain's
//! routes. A new domain adds one line at each `@generator:` marker.

use std::{sync::Arc, time::Duration};

use appsdk::{Authenticator, auth::TokenConfig, mid as appmid};
use axum::{Extension, Router, extract::DefaultBodyLimit, middleware, response::IntoResponse};
use sdk::DbPool;
use tower_http::{catch_panic::CatchPanicLayer, compression::CompressionLayer};

use crate::{Config, mid::Counters};

/// Everything the routes need, built once at start-up.
#[derive(Clone)]
pub struct Deps {
    pub config: Config,
    pub db: DbPool,
    pub auth: Arc<Authenticator>,
    pub users: userbus::Business,
    pub audits: auditbus::Business,
    pub sessions: sessionbus::Business,
    pub products: productbus::Business,
    pub sales: salebus::Business,
    // @generator:deps-field
    pub shutdown: web::Shutdown,
    pub counters: Arc<Counters>,
    pub rate_limits: Option<Arc<web::RateLimits>>,
    pub build: String,
}

impl Deps {
    /// Builds the business layer on `db` with the keys from the configuration.
    pub async fn new(
        config: Config,
        db: DbPool,
        keys: keystore::KeyStore,
        shutdown: web::Shutdown,
    ) -> anyhow::Result<Deps> {
        let users = userbus::Business::new(userbus::stores::new(&db));
        let audits = auditbus::Business::new(auditbus::stores::new(&db));
        let sessions = sessionbus::Business::new(db.clone(), time::Duration::seconds(config.auth.refresh_ttl_secs));
        let products = productbus::Business::new(productbus::stores::new(&db));
        let sales = salebus::Business::new(salebus::stores::new(&db));
        // @generator:deps-build
        let token = TokenConfig {
            issuer: config.auth.issuer.clone(),
            active_kid: config.auth.active_kid.clone(),
            access_ttl: time::Duration::seconds(config.auth.access_ttl_secs),
        };
        let config_rate = config.web.rate_limit;
        let auth = Arc::new(Authenticator::new(Arc::new(keys), token, users.clone()).await?);
        Ok(Deps {
            config,
            db,
            auth,
            users,
            audits,
            sessions,
            products,
            sales,
            // @generator:deps-init
            shutdown,
            counters: Arc::new(Counters::default()),
            rate_limits: rate_limits(config_rate),
            build: env!("CARGO_PKG_VERSION").to_string(),
        })
    }
}

/// Limiters for `SALES_WEB_RATE_LIMIT`, with a task that forgets idle clients.
fn rate_limits(per_second: u32) -> Option<Arc<web::RateLimits>> {
    let limits = web::RateLimits::new(std::num::NonZeroU32::new(per_second)?);
    let weak = Arc::downgrade(&limits);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Some(limits) = weak.upgrade() else { break };
            limits.retain_recent();
        }
    });
    Some(limits)
}

/// The API router with its full middleware stack.
pub struct App;

impl App {
    /// The service: [`routes`](Self::routes) in the middleware stack.
    pub fn router(d: &Deps) -> Router {
        Self::with_middleware(Self::routes(d), d)
    }

    /// Every route, without the middleware stack around them (the route table
    /// the OpenAPI coverage test reads).
    pub fn routes(d: &Deps) -> Router {
        let mut api = Router::new()
            .merge(authapp::routes(authapp::AuthState { auth: d.auth.clone(), users: d.users.clone(), sessions: d.sessions.clone() }))
            .merge(userapp::routes(d.users.clone()))
            .merge(auditapp::routes(d.audits.clone()))
            .merge(productapp::routes(d.products.clone()))
            .merge(saleapp::routes(d.sales.clone()))
            .merge(crate::docs::routes())
            // @generator:routes
            ;
        let max_in_flight = d.config.web.max_in_flight;
        if max_in_flight > 0 {
            // Over the limit a request is refused at once (503) instead of queueing:
            // latency stays bounded under overload and clients can back off. The
            // limit is global: `Router::layer` builds the layer once per route, so a
            // per-instance `concurrency_limit` would give every route its own limit.
            api = api.layer(
                tower::ServiceBuilder::new()
                    .layer(axum::error_handling::HandleErrorLayer::new(
                        |_: tower::BoxError| async {
                            let mut e = appsdk::AppError::new(
                                appsdk::ErrCode::Unavailable,
                                "server is overloaded, retry shortly",
                            );
                            e.retry_after = Some(1);
                            e
                        },
                    ))
                    .load_shed()
                    .layer(tower::limit::GlobalConcurrencyLimitLayer::new(max_in_flight)),
            );
        }
        if let Some(limits) = &d.rate_limits {
            api = api.layer(middleware::from_fn_with_state(limits.clone(), web::rate_limit));
        }
        // Probes stay outside the rate limit and the load shedding.
        Router::new()
            .merge(checkapp::routes(checkapp::CheckState {
                db: d.db.clone(),
                build: d.build.clone(),
                shutdown: d.shutdown.clone(),
            }))
            .merge(api)
            .fallback(appmid::not_found)
    }

    /// Wraps `routes` in the full middleware stack (tests use it to put the same
    /// stack around routes that panic or hang).
    ///
    /// The stack wraps the router once, as one service composed at compile time,
    /// and is cloned once per request. `Router::layer` would instead wrap every
    /// route in every layer, each boxed, and clone and box each of them again per
    /// request: 45 % of the CPU of a liveness request went to that
    /// (docs/performance.md, "Profile 4"). Only [`record_route`] sits at the route
    /// level, where the matched route is known.
    ///
    /// [`record_route`]: crate::mid::record_route
    pub fn with_middleware(routes: Router, d: &Deps) -> Router {
        let web = &d.config.web;
        // Outermost first.
        let stack = tower::ServiceBuilder::new()
            .layer(web::RequestIdLayer::new())
            .layer(web::security_headers(web.hsts))
            .layer(web::cors(&web.cors_allowed_origins))
            .layer(middleware::from_fn_with_state(
                d.counters.clone(),
                crate::mid::log_request,
            ))
            .layer(middleware::from_fn(appmid::json_errors))
            .layer(CompressionLayer::new())
            .layer(Extension(d.auth.clone()))
            .layer(DefaultBodyLimit::max(web.body_limit_bytes))
            .layer(CatchPanicLayer::custom(appmid::panic_response))
            // Not tower-http's timeout: that one arms a timer for every request,
            // one more system call per probe (web::TimeoutLayer, docs/performance.md).
            .layer(web::TimeoutLayer::new(
                Duration::from_millis(web.request_timeout_ms),
                || appsdk::AppError::new(appsdk::ErrCode::DeadlineExceeded, "request timed out").into_response(),
            ));
        let routes = routes.route_layer(middleware::from_fn(crate::mid::record_route));
        Router::new().fallback_service(stack.service(routes))
    }
}

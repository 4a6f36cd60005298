//! Response security headers and CORS.

use std::time::Duration;

use http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MATCH, LOCATION, RETRY_AFTER, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderName, HeaderValue, Method};
use tower::Layer;
use tower::util::Either;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeader;

use crate::REQUEST_ID_HEADER;

/// Two years, the value HSTS preload lists require.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Layer adding `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
/// `Cache-Control: no-store` (unless the handler set its own) and, when enabled,
/// `Strict-Transport-Security`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecurityHeadersLayer {
    hsts: bool,
}

/// Shorthand for [`SecurityHeadersLayer`]; `hsts` only belongs behind TLS, since a
/// browser that sees it over plain HTTP on a dev box will refuse HTTP afterwards.
pub fn security_headers(hsts: bool) -> SecurityHeadersLayer {
    SecurityHeadersLayer { hsts }
}

/// The service made by [`SecurityHeadersLayer`]: tower-http header setters, nested.
pub type SecurityHeaders<S> = SetResponseHeader<
    SetResponseHeader<SetResponseHeader<Either<SetResponseHeader<S, HeaderValue>, S>, HeaderValue>, HeaderValue>,
    HeaderValue,
>;

impl<S> Layer<S> for SecurityHeadersLayer {
    type Service = SecurityHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let inner = if self.hsts {
            Either::Left(SetResponseHeader::overriding(
                inner,
                STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            ))
        } else {
            Either::Right(inner)
        };
        // API responses carry user data; no shared cache should keep them unless a
        // handler decided otherwise (e.g. the OpenAPI document).
        let inner = SetResponseHeader::if_not_present(inner, CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let inner = SetResponseHeader::overriding(inner, X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        SetResponseHeader::overriding(inner, X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))
    }
}

/// CORS for browser clients. `allowed_origins` empty or containing `*` allows any
/// origin; otherwise only the exact origins listed (e.g. `https://shop.example.com`).
///
/// Credentials (cookies) are never allowed: the API authenticates with a bearer token
/// the client sends explicitly, and wildcard origins with credentials would be unsafe.
/// Entries that are not valid header values are skipped with a warning, so one typo
/// does not stop the service.
pub fn cors(allowed_origins: &[String]) -> CorsLayer {
    let origins: Vec<&str> = allowed_origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    let allow_origin = if origins.is_empty() || origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.into_iter().filter_map(|o| match HeaderValue::from_str(o) {
            Ok(v) => Some(v),
            Err(_) => {
                tracing::warn!(origin = o, "ignoring invalid CORS origin");
                None
            }
        }))
    };

    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::PATCH,
        ])
        .allow_headers([
            AUTHORIZATION,
            CONTENT_TYPE,
            IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            REQUEST_ID_HEADER,
            HeaderName::from_static("traceparent"),
            HeaderName::from_static("tracestate"),
        ])
        .expose_headers([
            ETAG,
            LOCATION,
            REQUEST_ID_HEADER,
            HeaderName::from_static("idempotent-replayed"),
            RETRY_AFTER,
            HeaderName::from_static("traceparent"),
        ])
        .max_age(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use http::header::{
        ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
        ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
        ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
    };
    use http::{Request, Response, StatusCode};
    use tower::ServiceExt;

    fn with_security(hsts: bool) -> Router {
        Router::new()
            .route("/", get(|| async { "hi" }))
            .route(
                "/cached",
                get(|| async { ([(CACHE_CONTROL, "public, max-age=60")], "doc") }),
            )
            .layer(security_headers(hsts))
    }

    async fn get_path(app: Router, uri: &str) -> Response<Body> {
        app.oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn security_headers_are_set_and_hsts_only_when_enabled() {
        let res = get_path(with_security(false), "/").await;
        let h = res.headers();
        assert_eq!(h[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[CACHE_CONTROL], "no-store");
        assert!(h.get(STRICT_TRANSPORT_SECURITY).is_none());

        let res = get_path(with_security(true), "/").await;
        assert_eq!(res.headers()[STRICT_TRANSPORT_SECURITY], HSTS);

        // 404s from the fallback get them too.
        let res = get_path(with_security(true), "/missing").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(res.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[tokio::test]
    async fn handler_cache_control_is_kept() {
        let res = get_path(with_security(false), "/cached").await;
        let values: Vec<_> = res.headers().get_all(CACHE_CONTROL).iter().collect();
        assert_eq!(values, vec!["public, max-age=60"]);
    }

    fn preflight(origin: &str) -> Request<Body> {
        Request::options("/")
            .header(ORIGIN, origin)
            .header(ACCESS_CONTROL_REQUEST_METHOD, "PUT")
            .header(ACCESS_CONTROL_REQUEST_HEADERS, "authorization,if-match,idempotency-key")
            .body(Body::empty())
            .unwrap()
    }

    fn with_cors(origins: &[&str]) -> Router {
        let origins: Vec<String> = origins.iter().map(|s| s.to_string()).collect();
        Router::new().route("/", get(|| async { "hi" })).layer(cors(&origins))
    }

    fn header_list(res: &Response<Body>, name: HeaderName) -> Vec<String> {
        res.headers()
            .get_all(name)
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(',').map(|s| s.trim().to_ascii_lowercase()))
            .collect()
    }

    #[tokio::test]
    async fn preflight_for_a_listed_origin_is_allowed() {
        let res = with_cors(&["https://shop.example.com"])
            .oneshot(preflight("https://shop.example.com"))
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        let h = res.headers();
        assert_eq!(h[ACCESS_CONTROL_ALLOW_ORIGIN], "https://shop.example.com");
        assert_eq!(h[ACCESS_CONTROL_MAX_AGE], "3600");
        assert!(h.get(ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());

        let methods = header_list(&res, ACCESS_CONTROL_ALLOW_METHODS);
        for m in ["get", "post", "put", "delete", "options", "patch"] {
            assert!(methods.contains(&m.to_string()), "{m} in {methods:?}");
        }
        let headers = header_list(&res, ACCESS_CONTROL_ALLOW_HEADERS);
        for hname in [
            "authorization",
            "content-type",
            "if-match",
            "idempotency-key",
            "x-request-id",
        ] {
            assert!(headers.contains(&hname.to_string()), "{hname} in {headers:?}");
        }
    }

    #[tokio::test]
    async fn unlisted_origin_gets_no_allow_origin() {
        let res = with_cors(&["https://shop.example.com"])
            .oneshot(preflight("https://evil.example.com"))
            .await
            .unwrap();
        assert!(res.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    }

    #[tokio::test]
    async fn wildcard_or_empty_list_allows_any_origin() {
        for origins in [&["*"][..], &[][..]] {
            let res = with_cors(origins)
                .oneshot(preflight("https://a.example"))
                .await
                .unwrap();
            assert_eq!(res.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{origins:?}");
        }
    }

    #[tokio::test]
    async fn simple_request_exposes_response_headers() {
        let req = Request::get("/")
            .header(ORIGIN, "https://shop.example.com")
            .body(Body::empty())
            .unwrap();
        let res = with_cors(&["https://shop.example.com"]).oneshot(req).await.unwrap();
        let exposed = header_list(&res, ACCESS_CONTROL_EXPOSE_HEADERS);
        for hname in ["etag", "location", "x-request-id", "idempotent-replayed", "retry-after"] {
            assert!(exposed.contains(&hname.to_string()), "{hname} in {exposed:?}");
        }
    }
}

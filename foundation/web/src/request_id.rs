//! `X-Request-ID`: keep a well-formed client id, otherwise generate one, and echo it
//! on every response so a client's bug report can be matched with our logs.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderName, HeaderValue, Request, Response};
use tower::{Layer, Service};

/// The request id header (lowercase, as HTTP/2 requires).
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied id kept; longer ones are replaced, not truncated, so an id
/// in our logs is always exactly what the client sent or entirely ours.
const MAX_LEN: usize = 128;

/// Whether a client-supplied request id is kept: 1–128 characters of letters, digits,
/// `-`, `_` or `.`. Anything else (spaces, quotes, control characters) could corrupt
/// log lines or headers downstream.
pub fn is_valid_request_id(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The id of the current request, found in request (and response) extensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// `id` as a request id, if [`is_valid_request_id`] accepts it.
    pub fn new(id: &str) -> Option<Self> {
        is_valid_request_id(id).then(|| Self(id.to_string()))
    }

    /// A fresh random id (UUID v4).
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn header_value(&self) -> HeaderValue {
        // Valid ids are visible ASCII, so this never falls back in practice.
        HeaderValue::from_str(&self.0).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RequestId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Layer that assigns a [`RequestId`] to every request and sets `X-Request-ID` on
/// every response.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestIdLayer;

impl RequestIdLayer {
    /// The layer; it has no settings.
    pub fn new() -> Self {
        Self
    }
}

impl<S> Layer<S> for RequestIdLayer {
    type Service = SetRequestId<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SetRequestId { inner }
    }
}

/// The service made by [`RequestIdLayer`].
#[derive(Debug, Clone)]
pub struct SetRequestId<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SetRequestId<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let id = req
            .headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(RequestId::new)
            .unwrap_or_else(RequestId::generate);
        let value = id.header_value();
        // Overwrite the request header too, so inner layers that read the header
        // (access logs, proxies to other services) see the same id as the response.
        req.headers_mut().insert(REQUEST_ID_HEADER, value.clone());
        req.extensions_mut().insert(id.clone());

        let fut = self.inner.call(req);
        Box::pin(async move {
            let mut res = fut.await?;
            res.headers_mut().insert(REQUEST_ID_HEADER, value);
            res.extensions_mut().insert(id);
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::extract::Extension;
    use axum::routing::get;
    use http::StatusCode;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[test]
    fn validation_accepts_only_short_safe_ids() {
        for ok in [
            "a",
            "abc-DEF_123.x",
            &"x".repeat(128),
            "0af7651916cd43dd8448eb211c80319c",
        ] {
            assert!(is_valid_request_id(ok), "{ok:?} should be valid");
        }
        for bad in [
            "",
            &"x".repeat(129),
            "has space",
            "quote\"",
            "semi;colon",
            "ünï",
            "a/b",
            "a\tb",
        ] {
            assert!(!is_valid_request_id(bad), "{bad:?} should be invalid");
        }
    }

    fn app() -> Router {
        Router::new()
            .route(
                "/echo",
                get(|Extension(id): Extension<RequestId>| async move { id.to_string() }),
            )
            .route(
                "/fail",
                get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "inner error") }),
            )
            .layer(RequestIdLayer::new())
    }

    async fn call(uri: &str, id: Option<&str>) -> (Response<Body>, String) {
        let mut req = Request::get(uri);
        if let Some(id) = id {
            req = req.header("x-request-id", id);
        }
        let res = app().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let header = res.headers()[&REQUEST_ID_HEADER].to_str().unwrap().to_string();
        (res, header)
    }

    #[tokio::test]
    async fn valid_client_id_is_kept_and_seen_by_the_handler() {
        let (res, header) = call("/echo", Some("client-42.a_b")).await;
        assert_eq!(header, "client-42.a_b");
        assert_eq!(res.extensions().get::<RequestId>().unwrap().as_str(), "client-42.a_b");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"client-42.a_b");
    }

    #[tokio::test]
    async fn invalid_or_missing_id_is_replaced_by_a_uuid() {
        for sent in [Some("bad id with spaces"), Some(""), None] {
            let (res, header) = call("/echo", sent).await;
            assert!(uuid::Uuid::parse_str(&header).is_ok(), "{sent:?} → {header}");
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body, header.as_bytes(), "handler sees the same id");
        }
        let (_, a) = call("/echo", None).await;
        let (_, b) = call("/echo", None).await;
        assert_ne!(a, b, "generated ids are unique");
    }

    #[tokio::test]
    async fn error_responses_and_404s_carry_the_id() {
        let (res, header) = call("/fail", Some("r1")).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(header, "r1");

        let (res, header) = call("/no-such-route", Some("r2")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(header, "r2");
    }
}

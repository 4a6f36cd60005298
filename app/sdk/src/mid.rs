//! App-level middleware: every error leaves the service as the JSON error body,
//! whichever layer produced it (router 404/405, timeout, panic, body limit,
//! load shedding), and readiness/shutdown state is shared with handlers.

use std::any::Any;

use axum::{
    body::Body,
    extract::Request,
    http::{Response, StatusCode},
    middleware::Next,
    response::IntoResponse,
};

use crate::errs::{AppError, ErrCode, ErrorMarker};

/// Turns bare error responses made outside the handlers (an empty 405 from the
/// router, 504 from the timeout layer, 413 from a length check, 429 from the rate
/// limiter) into the API's JSON error body. Headers such as `Retry-After` stay.
pub async fn json_errors(req: Request, next: Next) -> Response<Body> {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || resp.extensions().get::<ErrorMarker>().is_some() {
        return resp;
    }
    let code = code_for(status);
    let message = match code {
        ErrCode::NotFound => "resource not found",
        ErrCode::MethodNotAllowed => "method not allowed on this resource",
        ErrCode::DeadlineExceeded => "request timed out",
        ErrCode::PayloadTooLarge => "request body is too large",
        ErrCode::UnsupportedMediaType => "request body must be application/json",
        ErrCode::TooManyRequests => "too many requests, slow down",
        ErrCode::Unavailable => "service unavailable, try again later",
        ErrCode::Unauthenticated => "authentication required",
        ErrCode::PermissionDenied => "you are not allowed to do that",
        ErrCode::InvalidArgument => "bad request",
        _ => "internal server error",
    };
    let (parts, _) = resp.into_parts();
    let mut new = AppError::new(code, message).into_response();
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    if code == ErrCode::MethodNotAllowed && !new.headers().contains_key(axum::http::header::ALLOW) {
        // axum's 405 carries Allow; keep whatever it set above.
    }
    new
}

fn code_for(status: StatusCode) -> ErrCode {
    match status.as_u16() {
        400 => ErrCode::InvalidArgument,
        401 => ErrCode::Unauthenticated,
        403 => ErrCode::PermissionDenied,
        404 => ErrCode::NotFound,
        405 => ErrCode::MethodNotAllowed,
        408 | 504 => ErrCode::DeadlineExceeded,
        413 => ErrCode::PayloadTooLarge,
        415 => ErrCode::UnsupportedMediaType,
        429 => ErrCode::TooManyRequests,
        503 => ErrCode::Unavailable,
        _ => ErrCode::Internal,
    }
}

/// The router fallback: unknown routes are a JSON 404.
pub async fn not_found() -> AppError {
    AppError::new(ErrCode::NotFound, "resource not found")
}

/// For `tower_http::catch_panic::CatchPanicLayer::custom`: a panic is a JSON 500;
/// the panic message goes to the log only.
pub fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    tracing::error!(panic = %detail, "handler panicked");
    metrics_panic_hook();
    AppError::new(ErrCode::Internal, "internal server error").into_response()
}

/// Counted in the debug vars; set by the service at start-up.
static PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn metrics_panic_hook() {
    PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Panics caught since start.
pub fn panics() -> u64 {
    PANICS.load(std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, routing::get};
    use tower::ServiceExt;

    #[tokio::test]
    async fn bare_405_becomes_json() {
        let app = Router::new()
            .route("/x", get(|| async { "ok" }))
            .fallback(not_found)
            .layer(axum::middleware::from_fn(json_errors));
        let resp = app
            .clone()
            .oneshot(
                Request::builder()
                    .method("DELETE")
                    .uri("/x")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), 405);
        assert!(resp.headers().contains_key("allow"));
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "method_not_allowed");

        let resp = app
            .oneshot(Request::builder().uri("/nope").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), 404);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "not_found");
    }
}

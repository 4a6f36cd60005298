//! Domain-free HTTP plumbing on axum: serving with graceful shutdown, request ids,
//! security headers and CORS.
//!
//! Nothing here knows the sales domain or its error format; the app layer owns both.
//! Layer order matters: put [`RequestIdLayer`] outermost (added last with
//! `Router::layer`) so every response, including ones produced by inner layers and
//! the 404 fallback, carries `X-Request-ID`, and tracing layers inside it can read the
//! [`RequestId`] extension.

mod headers;
mod ratelimit;
mod request_id;
mod shutdown;
mod timeout;

use std::net::SocketAddr;

pub use headers::{SecurityHeaders, SecurityHeadersLayer, cors, security_headers};
pub use ratelimit::{RateLimits, bearer_subject, rate_limit};
pub use request_id::{REQUEST_ID_HEADER, RequestId, RequestIdLayer, SetRequestId, is_valid_request_id};
pub use shutdown::{Shutdown, signal};
pub use timeout::{Timeout, TimeoutLayer};

/// Serves `router` on `listener` until `shutdown` is triggered, then stops accepting
/// connections and returns once in-flight requests have finished.
///
/// Handlers can extract `ConnectInfo<SocketAddr>` (rate limiting keys on the peer
/// address). Callers wanting a bound on the drain time wrap this in a timeout.
pub async fn serve(listener: tokio::net::TcpListener, router: axum::Router, shutdown: Shutdown) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "http server listening");
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.wait().await;
            tracing::info!(%addr, "http server draining in-flight requests");
        })
        .await?;
    tracing::info!(%addr, "http server stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::ConnectInfo;
    use axum::routing::get;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get_raw(addr: SocketAddr, path: &str) -> std::io::Result<String> {
        let mut conn = tokio::net::TcpStream::connect(addr).await?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        conn.write_all(req.as_bytes()).await?;
        let mut out = String::new();
        conn.read_to_string(&mut out).await?;
        Ok(out)
    }

    #[tokio::test]
    async fn in_flight_request_completes_after_shutdown_is_triggered() {
        let router = axum::Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            )
            .route(
                "/peer",
                get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let server = tokio::spawn(serve(listener, router, shutdown.clone()));

        let peer = get_raw(addr, "/peer").await.unwrap();
        assert!(peer.ends_with("127.0.0.1"), "connect info available: {peer}");

        let slow = tokio::spawn(get_raw(addr, "/slow"));
        tokio::time::sleep(Duration::from_millis(100)).await;
        shutdown.trigger();

        let response = slow.await.unwrap().unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("done"), "{response}");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("server stops after draining")
            .unwrap()
            .unwrap();
        assert!(get_raw(addr, "/peer").await.is_err(), "no longer accepting");
    }
}

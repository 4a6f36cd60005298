//! A request timeout that arms its timer only for requests that wait.
//!
//! tower-http's `TimeoutLayer` polls its timer before the request, so every
//! request arms one; when the runtime's timer driver is asleep (no other timer
//! pending, as with a stream of requests that each finish at once, such as
//! probes), arming one wakes it: a system call per request. This layer polls
//! the request first (through `tokio::time::Timeout`, which does), so a request
//! that is answered at once never touches the timer.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use http::{Request, Response};
use tower::{Layer, Service};

/// Answers `on_timeout()` when the inner service has not answered within
/// `timeout`; the inner future is dropped (cancelled).
#[derive(Clone)]
pub struct TimeoutLayer<F> {
    timeout: Duration,
    on_timeout: F,
}

impl<F> TimeoutLayer<F> {
    pub fn new(timeout: Duration, on_timeout: F) -> Self {
        Self { timeout, on_timeout }
    }
}

impl<S, F: Clone> Layer<S> for TimeoutLayer<F> {
    type Service = Timeout<S, F>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout {
            inner,
            timeout: self.timeout,
            on_timeout: self.on_timeout.clone(),
        }
    }
}

/// The service made by [`TimeoutLayer`].
#[derive(Clone)]
pub struct Timeout<S, F> {
    inner: S,
    timeout: Duration,
    on_timeout: F,
}

impl<S, F, ReqBody, ResBody> Service<Request<ReqBody>> for Timeout<S, F>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    F: Fn() -> Response<ResBody> + Clone,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, F>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        ResponseFuture {
            inner: tokio::time::timeout(self.timeout, self.inner.call(req)),
            on_timeout: Some(self.on_timeout.clone()),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Timeout`].
    pub struct ResponseFuture<Fut, F> {
        #[pin]
        inner: tokio::time::Timeout<Fut>,
        on_timeout: Option<F>,
    }
}

impl<Fut, F, ResBody, E> Future for ResponseFuture<Fut, F>
where
    Fut: Future<Output = Result<Response<ResBody>, E>>,
    F: Fn() -> Response<ResBody>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.inner.poll(cx) {
            Poll::Ready(Ok(answer)) => Poll::Ready(answer),
            Poll::Ready(Err(_elapsed)) => {
                let on_timeout = this.on_timeout.take().expect("polled after completion");
                Poll::Ready(Ok(on_timeout()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::{Router, body::Body, routing::get};
    use http::StatusCode;
    use tower::ServiceExt;

    use super::*;

    fn app() -> Router {
        Router::new()
            .route("/now", get(|| async { "now" }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .layer(TimeoutLayer::new(Duration::from_millis(50), || {
                Response::builder()
                    .status(StatusCode::GATEWAY_TIMEOUT)
                    .body(Body::from("timed out"))
                    .unwrap()
            }))
    }

    async fn get_status(path: &str) -> StatusCode {
        let req = Request::get(path).body(Body::empty()).unwrap();
        app().oneshot(req).await.unwrap().status()
    }

    #[tokio::test]
    async fn a_slow_request_is_answered_at_the_timeout() {
        let started = std::time::Instant::now();
        assert_eq!(get_status("/slow").await, StatusCode::GATEWAY_TIMEOUT);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(50) && took < Duration::from_secs(2),
            "{took:?}"
        );
        assert_eq!(get_status("/now").await, StatusCode::OK);
    }

    /// The point of the layer: the request is polled before the timer. The
    /// request's future is made, then its deadline passes before it is first
    /// polled: an answer ready at that poll still comes back here (the timer was
    /// never reached), where tower-http's layer, which polls its timer first,
    /// answers the timeout.
    #[tokio::test]
    async fn the_request_is_polled_before_the_timer() {
        async fn late_first_poll<S>(mut svc: S) -> StatusCode
        where
            S: Service<Request<Body>, Response = Response<Body>, Error = std::convert::Infallible>,
        {
            let req = Request::get("/now").body(Body::empty()).unwrap();
            let answer = svc.ready().await.unwrap().call(req);
            tokio::time::sleep(Duration::from_millis(30)).await;
            answer.await.unwrap().status()
        }
        // A service that answers at once (a Router would only call its layered
        // route at the first poll, when the deadline is taken).
        let now = || {
            tower::service_fn(|_: Request<Body>| async {
                Ok::<_, std::convert::Infallible>(Response::new(Body::from("now")))
            })
        };
        let ours = TimeoutLayer::new(Duration::from_millis(5), || {
            Response::builder()
                .status(StatusCode::GATEWAY_TIMEOUT)
                .body(Body::empty())
                .unwrap()
        })
        .layer(now());
        assert_eq!(late_first_poll(ours).await, StatusCode::OK);
        #[allow(deprecated)]
        let theirs =
            tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, Duration::from_millis(5))
                .layer(now());
        assert_eq!(
            late_first_poll(theirs).await,
            StatusCode::GATEWAY_TIMEOUT,
            "tower-http's polls its timer first"
        );
    }
}

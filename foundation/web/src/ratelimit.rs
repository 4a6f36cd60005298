//! Per-client rate limiting (GCRA, from `governor`): every request counts against
//! its peer IP, and a request with a bearer token also against the token's
//! subject, so one user cannot dodge the limit by switching addresses and one
//! address cannot starve everyone behind it with many users.
//!
//! The subject is read from the token payload without verifying the signature:
//! it only picks a bucket. A forged token is still refused (401) by the auth
//! layer, and its request was already counted against the IP.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::Engine;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

/// Keyed limiters shared by all requests.
pub struct RateLimits {
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_subject: DefaultKeyedRateLimiter<String>,
}

impl RateLimits {
    /// `per_second` requests per second per client, with a burst of twice that.
    pub fn new(per_second: NonZeroU32) -> Arc<Self> {
        let burst = per_second.saturating_mul(NonZeroU32::new(2).expect("2 is not zero"));
        let quota = Quota::per_second(per_second).allow_burst(burst);
        Arc::new(Self {
            by_ip: RateLimiter::keyed(quota),
            by_subject: RateLimiter::keyed(quota),
        })
    }

    /// Forgets idle clients; run it periodically so the maps stay small.
    pub fn retain_recent(&self) {
        self.by_ip.retain_recent();
        self.by_subject.retain_recent();
    }

    /// `Err(wait)` when `ip` or `subject` is over its limit.
    pub fn check(&self, ip: IpAddr, subject: Option<&str>) -> Result<(), Duration> {
        let clock = governor::clock::DefaultClock::default();
        self.by_ip.check_key(&ip).map_err(|n| n.wait_time_from(clock.now()))?;
        if let Some(sub) = subject {
            self.by_subject
                .check_key(&sub.to_string())
                .map_err(|n| n.wait_time_from(clock.now()))?;
        }
        Ok(())
    }
}

/// The `sub` claim of a bearer JWT, unverified (bucket choice only).
pub fn bearer_subject(req: &Request) -> Option<String> {
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = auth.strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("sub")?.as_str().map(|s| s.chars().take(64).collect())
}

/// Middleware: 429 with `Retry-After` (whole seconds, at least 1) over the limit.
/// The app layer turns the bare 429 into its JSON error body.
pub async fn rate_limit(
    State(limits): State<Arc<RateLimits>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let subject = bearer_subject(&req);
    match limits.check(peer.ip(), subject.as_deref()) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut resp = StatusCode::TOO_MANY_REQUESTS.into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_twice_the_rate_then_refused() {
        let limits = RateLimits::new(NonZeroU32::new(2).unwrap());
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for i in 0..4 {
            assert!(limits.check(ip, None).is_ok(), "request {i} within burst");
        }
        let wait = limits.check(ip, None).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(
            limits.check("10.0.0.2".parse().unwrap(), None).is_ok(),
            "other clients unaffected"
        );
    }

    #[test]
    fn subject_bucket_spans_addresses() {
        let limits = RateLimits::new(NonZeroU32::new(1).unwrap());
        for i in 0..2 {
            let ip: IpAddr = format!("10.0.1.{i}").parse().unwrap();
            assert!(limits.check(ip, Some("alice")).is_ok());
        }
        assert!(
            limits.check("10.0.1.9".parse().unwrap(), Some("alice")).is_err(),
            "alice is over from any address"
        );
    }

    #[test]
    fn reads_the_subject_of_a_bearer_token() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"abc"}"#);
        let req = Request::builder()
            .header("Authorization", format!("Bearer x.{payload}.y"))
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(bearer_subject(&req).as_deref(), Some("abc"));
        let req = Request::builder()
            .header("Authorization", "Basic abc")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(bearer_subject(&req), None);
    }
}

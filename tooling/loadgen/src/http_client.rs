//! The generator's HTTP client: one HTTP/1.1 keep-alive connection, driven by
//! hyper's connection-level client.
//!
//! The generator shares the 2 cores with the service and the database it
//! measures, so its own CPU per request is taken from what it measures. reqwest
//! (its pool, per-request URL parsing, redirect and decompression layers) cost
//! about 35 µs of CPU per request here; a bare connection costs about half of that
//! (docs/performance.md, "The load generator").

use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// How long one request may take before it counts as a transport error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where requests go: `http://host:port`, parsed once.
#[derive(Clone, Debug)]
pub struct Target {
    /// `host:port`, for connecting.
    addr: String,
    /// The `Host` header.
    host: HeaderValue,
}

impl Target {
    pub fn parse(base: &str) -> anyhow::Result<Self> {
        let uri: Uri = base.parse().with_context(|| format!("{base:?} is not a URL"))?;
        if uri.scheme_str() != Some("http") {
            bail!("{base:?}: only http:// is supported (the bench runs on loopback)");
        }
        let authority = uri.authority().with_context(|| format!("{base:?} has no host"))?;
        if !matches!(uri.path(), "" | "/") {
            bail!("{base:?}: give the base URL without a path");
        }
        let addr = match authority.port_u16() {
            Some(_) => authority.to_string(),
            None => format!("{authority}:80"),
        };
        Ok(Self {
            addr,
            host: HeaderValue::from_str(authority.as_str())?,
        })
    }
}

/// An answer, its body read to the end.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One keep-alive connection, opened on first use and again after a failure.
pub struct Conn {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(target: Target) -> Self {
        Self { target, sender: None }
    }

    /// Sends one request and reads the whole answer. A transport failure (or a
    /// timeout) drops the connection; the next call opens a new one.
    pub async fn send(
        &mut self,
        method: Method,
        path_and_query: &str,
        authorization: Option<&HeaderValue>,
        json_body: Option<String>,
    ) -> Result<Answer, String> {
        let mut req = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(header::HOST, self.target.host.clone());
        if let Some(a) = authorization {
            req = req.header(header::AUTHORIZATION, a.clone());
        }
        let body = match json_body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(b))
            }
            None => Full::new(Bytes::new()),
        };
        let req = req.body(body).map_err(|e| format!("building the request: {e}"))?;
        match tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(req)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                Err(format!("no answer within {REQUEST_TIMEOUT:?}"))
            }
        }
    }

    /// Writes `req` on the connection (opened first if need be), reads the answer.
    async fn exchange(&mut self, req: Request<Full<Bytes>>) -> Result<Answer, String> {
        let sender = match &mut self.sender {
            Some(s) if !s.is_closed() => s,
            _ => self.sender.insert(connect(&self.target.addr).await?),
        };
        sender.ready().await.map_err(|e| format!("connection: {e}"))?;
        let resp = sender.send_request(req).await.map_err(|e| format!("request: {e}"))?;
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("reading the body: {e}"))?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

async fn connect(addr: &str) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {addr}: {e}"))?;
    // The connection task ends when the sender is dropped or the peer closes.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_parsed_once() {
        let t = Target::parse("http://127.0.0.1:3000").expect("valid");
        assert_eq!(t.addr, "127.0.0.1:3000");
        assert_eq!(t.host, "127.0.0.1:3000");
        assert_eq!(Target::parse("http://localhost/").expect("valid").addr, "localhost:80");
        assert!(Target::parse("https://127.0.0.1:3000").is_err());
        assert!(Target::parse("http://127.0.0.1:3000/v1").is_err());
        assert!(Target::parse("not a url").is_err());
    }

    /// Against a real server on port 0: keep-alive reuse, status, headers and body.
    #[tokio::test]
    async fn one_connection_carries_many_requests() {
        use std::net::SocketAddr;

        use axum::{Router, extract::ConnectInfo, routing::post};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Echoes the Authorization header, the body and the client's port.
        let app = Router::new().route(
            "/v1/echo",
            post(
                |ConnectInfo(peer): ConnectInfo<SocketAddr>, h: HeaderMap, body: String| async move {
                    let auth = h.get(header::AUTHORIZATION).map_or("", |v| v.to_str().unwrap_or(""));
                    let ctype = h.get(header::CONTENT_TYPE).map_or("", |v| v.to_str().unwrap_or(""));
                    (
                        [(header::RETRY_AFTER, "3")],
                        format!("{auth}|{ctype}|{body}|{}", peer.port()),
                    )
                },
            ),
        );
        tokio::spawn(
            async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await },
        );

        let mut conn = Conn::new(Target::parse(&format!("http://{addr}")).expect("target"));
        let auth = HeaderValue::from_static("Bearer t");
        let mut ports = std::collections::BTreeSet::new();
        for i in 0..3 {
            let a = conn
                .send(Method::POST, "/v1/echo", Some(&auth), Some(format!("{{\"n\":{i}}}")))
                .await
                .expect("answer");
            assert_eq!(a.status, StatusCode::OK);
            assert_eq!(a.headers[header::RETRY_AFTER], "3");
            let text = String::from_utf8(a.body.to_vec()).expect("utf-8");
            let (sent, port) = text.rsplit_once('|').expect("port");
            assert_eq!(sent, format!("Bearer t|application/json|{{\"n\":{i}}}"));
            ports.insert(port.to_string());
        }
        assert_eq!(ports.len(), 1, "one keep-alive connection for every request: {ports:?}");
        let missing = conn.send(Method::GET, "/nope", None, None).await.expect("answer");
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let closed = Conn::new(Target::parse("http://127.0.0.1:1").expect("target"))
            .send(Method::GET, "/", None, None)
            .await;
        assert!(closed.is_err_and(|e| e.contains("connecting")));
    }
}

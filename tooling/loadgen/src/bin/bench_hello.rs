//! The framework limit for `GET /v1/liveness`: a bare axum server answering a
//! small JSON body, with no middleware, no database and no state. `make bench`
//! drives it exactly like the real service's liveness probe.

use axum::{Router, http::header, response::IntoResponse, routing::get};

async fn liveness() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], r#"{"status":"up"}"#)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3999".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bench-hello listening on {addr}");
    axum::serve(listener, Router::new().route("/v1/liveness", get(liveness))).await?;
    Ok(())
}

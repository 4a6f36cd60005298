//! The debug server: runtime figures and probes on a separate, private port.

use axum::{Router, extract::State, routing::get};

use crate::Deps;

pub fn router(d: &Deps) -> Router {
    Router::new()
        .route("/debug/vars", get(vars))
        .with_state(d.clone())
        .merge(checkapp::routes(checkapp::CheckState { db: d.db.clone(), build: d.build.clone(), shutdown: d.shutdown.clone() }))
        .fallback(appsdk::mid::not_found)
}

async fn vars(State(d): State<Deps>) -> axum::Json<serde_json::Value> {
    let pool = d.db.stats();
    axum::Json(serde_json::json!({
        "build": d.build,
        "http": d.counters.snapshot(),
        "db": {"backend": format!("{:?}", d.db.backend()), "size": pool.size, "idle": pool.idle},
        "runtime": {
            "workers": tokio::runtime::Handle::current().metrics().num_workers(),
            "aliveTasks": tokio::runtime::Handle::current().metrics().num_alive_tasks(),
        },
        "process": {"rssBytes": rss_bytes()},
    }))
}

/// Resident set size from /proc (Linux); 0 elsewhere.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096)
}

//! The debug server, on a separate private port (`SALES_WEB_DEBUG_HOST`):
//!
//! - `/debug/vars`: JSON figures in the spirit of Go's expvar (what the metrics
//!   sidecar scrapes): build, requests, errors, panics, in-flight, DB pool, Tokio
//!   runtime, process memory, sales.
//! - `/metrics`: the same and more in the Prometheus text format (request counter
//!   and latency histogram by method, route and status).
//! - `/v1/liveness`, `/v1/readiness`: the probes, as on the API port.
//! - `/debug/pprof/profile?seconds=N`: a CPU profile as a flame graph (SVG), when
//!   built with the `pprof` feature.

use std::fmt::Write as _;

use axum::{
    Router,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{
    Deps,
    mid::{Counters, LATENCY_BUCKETS},
};

pub fn router(d: &Deps) -> Router {
    let router = Router::new()
        .route("/debug/vars", get(vars))
        .route("/metrics", get(metrics));
    #[cfg(feature = "pprof")]
    let router = router.route("/debug/pprof/profile", get(profile::cpu));
    router
        .with_state(d.clone())
        .merge(checkapp::routes(checkapp::CheckState {
            db: d.db.clone(),
            build: d.build.clone(),
            shutdown: d.shutdown.clone(),
        }))
        .fallback(appsdk::mid::not_found)
}

/// Everything both endpoints report, read once per scrape.
struct Figures {
    build: String,
    backend: &'static str,
    pool_max: u32,
    pool_open: u32,
    pool_idle: u32,
    workers: usize,
    alive_tasks: usize,
    global_queue_depth: usize,
    process: Process,
    sales: u64,
    units_sold: u64,
}

impl Figures {
    fn read(d: &Deps) -> Figures {
        let pool = d.db.stats();
        let runtime = tokio::runtime::Handle::current().metrics();
        Figures {
            build: d.build.clone(),
            backend: match d.db.backend() {
                sdk::sqldb::Backend::Postgres => "postgres",
                sdk::sqldb::Backend::Sqlite => "sqlite",
            },
            pool_max: d.config.db.max_open_conns,
            pool_open: pool.size,
            pool_idle: pool.idle.min(pool.size),
            workers: runtime.num_workers(),
            alive_tasks: runtime.num_alive_tasks(),
            global_queue_depth: runtime.global_queue_depth(),
            process: Process::read(),
            sales: salebus::stats::sales(),
            units_sold: salebus::stats::units_sold(),
        }
    }
}

async fn vars(State(d): State<Deps>) -> axum::Json<serde_json::Value> {
    let f = Figures::read(&d);
    let c = &d.counters;
    let mut body = serde_json::json!({
        "build": f.build,
        "db": {
            "backend": f.backend,
            "maxOpen": f.pool_max,
            "open": f.pool_open,
            "idle": f.pool_idle,
            "inUse": f.pool_open - f.pool_idle,
        },
        "runtime": {
            "workers": f.workers,
            "aliveTasks": f.alive_tasks,
            "globalQueueDepth": f.global_queue_depth,
        },
        "process": {
            "rssBytes": f.process.rss_bytes,
            "virtualBytes": f.process.virtual_bytes,
            "threads": f.process.threads,
        },
        "sales": {"completed": f.sales, "unitsSold": f.units_sold},
    });
    // requests, errors, inFlight, panics at the top level, as the Go kit has them.
    if let (Some(body), serde_json::Value::Object(counters)) = (body.as_object_mut(), c.snapshot()) {
        body.extend(counters);
    }
    axum::Json(body)
}

async fn metrics(State(d): State<Deps>) -> Response {
    let text = render(&d.counters, &Figures::read(&d));
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response()
}

/// The Prometheus text exposition format (version 0.0.4), every family with HELP
/// and TYPE.
fn render(c: &Counters, f: &Figures) -> String {
    use std::sync::atomic::Ordering::Relaxed;

    let mut out = String::with_capacity(4096);
    let routes = c.routes();

    family(
        &mut out,
        "http_requests_total",
        "counter",
        "HTTP requests served, by method, route template and status.",
    );
    for (k, s) in &routes {
        let _ = writeln!(
            out,
            "http_requests_total{} {}",
            route_labels(&k.method, &k.route, k.status, None),
            s.count
        );
    }

    family(
        &mut out,
        "http_request_duration_seconds",
        "histogram",
        "Time from the request reaching the service to its response, by method, route template and status.",
    );
    for (k, s) in &routes {
        for (bound, n) in LATENCY_BUCKETS.iter().zip(&s.buckets) {
            let labels = route_labels(&k.method, &k.route, k.status, Some(&bound.to_string()));
            let _ = writeln!(out, "http_request_duration_seconds_bucket{labels} {n}");
        }
        let inf = route_labels(&k.method, &k.route, k.status, Some("+Inf"));
        let _ = writeln!(out, "http_request_duration_seconds_bucket{inf} {}", s.count);
        let labels = route_labels(&k.method, &k.route, k.status, None);
        let _ = writeln!(out, "http_request_duration_seconds_sum{labels} {}", s.sum_seconds);
        let _ = writeln!(out, "http_request_duration_seconds_count{labels} {}", s.count);
    }

    let simple: [(&str, &str, &str, String); 14] = [
        (
            "http_requests_in_flight",
            "gauge",
            "Requests being served now.",
            c.in_flight.load(Relaxed).to_string(),
        ),
        (
            "http_request_errors_total",
            "counter",
            "Responses with a 5xx status.",
            c.errors.load(Relaxed).to_string(),
        ),
        (
            "http_panics_total",
            "counter",
            "Handler panics caught (answered 500).",
            appsdk::mid::panics().to_string(),
        ),
        (
            "db_pool_max_connections",
            "gauge",
            "Configured maximum of open database connections.",
            f.pool_max.to_string(),
        ),
        (
            "db_pool_open_connections",
            "gauge",
            "Open database connections, idle or in use.",
            f.pool_open.to_string(),
        ),
        (
            "db_pool_idle_connections",
            "gauge",
            "Open database connections not in use.",
            f.pool_idle.to_string(),
        ),
        (
            "db_pool_in_use_connections",
            "gauge",
            "Database connections in use.",
            (f.pool_open - f.pool_idle).to_string(),
        ),
        (
            "sales_total",
            "counter",
            "Completed sales since start (idempotent replays not counted).",
            f.sales.to_string(),
        ),
        (
            "sales_units_sold_total",
            "counter",
            "Units sold by those sales.",
            f.units_sold.to_string(),
        ),
        ("tokio_workers", "gauge", "Tokio worker threads.", f.workers.to_string()),
        (
            "tokio_alive_tasks",
            "gauge",
            "Tokio tasks alive.",
            f.alive_tasks.to_string(),
        ),
        (
            "tokio_global_queue_depth",
            "gauge",
            "Tasks waiting in Tokio's global queue.",
            f.global_queue_depth.to_string(),
        ),
        (
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            f.process.rss_bytes.to_string(),
        ),
        (
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
            f.process.virtual_bytes.to_string(),
        ),
    ];
    for (name, kind, help, value) in simple {
        family(&mut out, name, kind, help);
        let _ = writeln!(out, "{name} {value}");
    }
    family(&mut out, "process_threads", "gauge", "OS threads of the process.");
    let _ = writeln!(out, "process_threads {}", f.process.threads);
    family(
        &mut out,
        "build_info",
        "gauge",
        "Always 1; the labels say which build and database backend run.",
    );
    let _ = writeln!(
        out,
        "build_info{{version=\"{}\",backend=\"{}\"}} 1",
        escape(&f.build),
        f.backend
    );
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn route_labels(method: &str, route: &str, status: u16, le: Option<&str>) -> String {
    let route = prometheus_route(route);
    let mut s = format!(
        "{{method=\"{}\",route=\"{}\",status=\"{status}\"",
        escape(method),
        escape(&route)
    );
    if let Some(le) = le {
        let _ = write!(s, ",le=\"{le}\"");
    }
    s.push('}');
    s
}

/// `/v1/users/{user_id}` → `/v1/users/:user_id`. Braces are legal in label values,
/// but simple parsers (and people writing PromQL regexes) trip over them.
fn prometheus_route(route: &str) -> String {
    route.replace('{', ":").replace('}', "")
}

/// Label values escape `\`, `"` and newlines.
fn escape(v: &str) -> String {
    v.replace('\\', r"\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Memory and threads from /proc/self/status (Linux); zeros elsewhere.
#[derive(Debug, Default, Clone, Copy)]
struct Process {
    rss_bytes: u64,
    virtual_bytes: u64,
    threads: u64,
}

impl Process {
    fn read() -> Process {
        std::fs::read_to_string("/proc/self/status")
            .map(|s| Process::parse(&s))
            .unwrap_or_default()
    }

    fn parse(status: &str) -> Process {
        let mut p = Process::default();
        for line in status.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let number = value
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            match key {
                "VmRSS" => p.rss_bytes = number * 1024,
                "VmSize" => p.virtual_bytes = number * 1024,
                "Threads" => p.threads = number,
                _ => {}
            }
        }
        p
    }
}

/// Resident set size of this process in bytes (Linux); 0 elsewhere.
pub fn rss_bytes() -> u64 {
    Process::read().rss_bytes
}

#[cfg(feature = "pprof")]
mod profile {
    //! CPU profile: samples every thread 99 times a second for `seconds` (1..=60,
    //! default 10) and answers a flame graph. One profile at a time.

    use std::time::Duration;

    use axum::{
        extract::Query,
        http::{StatusCode, header},
        response::{IntoResponse, Response},
    };

    #[derive(serde::Deserialize)]
    pub(super) struct Params {
        seconds: Option<u64>,
    }

    pub(super) async fn cpu(Query(p): Query<Params>) -> Response {
        let seconds = p.seconds.unwrap_or(10).clamp(1, 60);
        // The profiler guard is not Send; it lives on a blocking thread.
        let result = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
            let guard = pprof::ProfilerGuardBuilder::default()
                .frequency(99)
                .blocklist(&["libc", "libgcc", "pthread", "vdso"])
                .build()
                .map_err(|e| e.to_string())?;
            std::thread::sleep(Duration::from_secs(seconds));
            let report = guard.report().build().map_err(|e| e.to_string())?;
            let mut svg = Vec::new();
            report.flamegraph(&mut svg).map_err(|e| e.to_string())?;
            if svg.is_empty() {
                // inferno writes nothing without samples: say why instead of an empty image.
                svg = format!(
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"40\">\
                     <text x=\"10\" y=\"25\">no CPU samples in {seconds} s: the process was idle</text></svg>\n"
                )
                .into_bytes();
            }
            Ok(svg)
        })
        .await;
        match result {
            Ok(Ok(svg)) => ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response(),
            // Most likely another profile is running.
            Ok(Err(e)) => (StatusCode::CONFLICT, format!("cannot profile: {e}\n")).into_response(),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("profiler failed: {e}\n")).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_status_is_parsed() {
        let p = Process::parse("Name:\tsales-api\nVmSize:\t  20000 kB\nVmRSS:\t    1500 kB\nThreads:\t7\n");
        assert_eq!((p.rss_bytes, p.virtual_bytes, p.threads), (1_536_000, 20_480_000, 7));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(
            route_labels("GET", "/x\n", 200, Some("+Inf")),
            r#"{method="GET",route="/x\n",status="200",le="+Inf"}"#
        );
        assert_eq!(
            prometheus_route("/v1/users/{user_id}/x/{*rest}"),
            "/v1/users/:user_id/x/:*rest"
        );
    }
}
